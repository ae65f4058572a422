"""Ordering metrics for rank axes: Spearman ρ, Kendall τ-b, pairwise ordering
accuracy, their percentile-bootstrap intervals, and the random-direction null.

Reference: Sonthalia et al., *On the rankability of visual embeddings* (Spearman
and Kendall between a projection and an ordinal attribute; random directions as
the chance level).

All functions take a score vector ``s`` of shape (n_samples,) and an attribute
``y`` of shape (n_samples,); they depend only on the *orders* of ``s`` and ``y``,
so any strictly increasing transform of either leaves them unchanged.
"""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError, setting
from embgeo.validation import as_rng

#: resamples per block in the vectorised Spearman bootstrap (bounded memory)
_BOOT_BLOCK = 64


def average_ranks(a: np.ndarray, axis: int = 0) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(a, axis=axis)  # average ranks for ties


def pearson_columns(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
    """Pearson correlation along ``axis`` (NaN where one side is constant)."""
    a = a - a.mean(axis=axis, keepdims=True)
    b = b - b.mean(axis=axis, keepdims=True)
    num = (a * b).sum(axis=axis)
    den = np.sqrt((a * a).sum(axis=axis) * (b * b).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    return np.where(den > 0, r, np.nan)


def scores_and_attribute(s, y) -> tuple[np.ndarray, np.ndarray]:
    """``s`` and ``y`` as float64 vectors of one length (a column or row vector counts as a vector); a length
    mismatch, another shape or a value that is not a number is refused in one line."""
    out = []
    for what, v in (("scores", s), ("the attribute", y)):
        a = np.asarray(v)
        if a.dtype.kind not in "biuf":
            try:  # a list of numbers (object dtype) is fine; text, complex numbers and None are not
                a = np.asarray(v, dtype=np.float64) if a.dtype.kind == "O" else None
            except (TypeError, ValueError):
                a = None
            if a is None:
                raise EmbgeoError(f"{what} must hold real numbers, got dtype {np.asarray(v).dtype}",
                                  hint="pass one number per row (NaN where missing in ordering_metrics)")
        if a.ndim == 2 and 1 in a.shape:
            a = a.reshape(-1)
        if a.ndim != 1:
            raise EmbgeoError(f"{what} must be a vector (one value per row), got shape {a.shape}", hint="pass a 1-D array")
        out.append(a.astype(np.float64, copy=False))
    if out[0].size != out[1].size:
        raise EmbgeoError(f"scores has {out[0].size} values, the attribute {out[1].size}",
                          hint="give one score per row of the attribute, in the same row order")
    return out[0], out[1]


def spearman(s, y) -> float:
    """Spearman's ρ: the Pearson correlation of the average ranks of ``s`` and ``y``.

    ``ρ = cov(rank s, rank y) / (σ_rank s · σ_rank y)``; NaN when either side is constant.
    For a bivariate normal pair with correlation r, ``ρ = (6/π)·arcsin(r/2)``.
    """
    s, y = scores_and_attribute(s, y)
    return float(pearson_columns(average_ranks(s), average_ranks(y), axis=0))


def _tie_pairs(a: np.ndarray) -> float:
    _, counts = np.unique(a, return_counts=True)
    return float((counts * (counts - 1) / 2).sum())


def kendall_and_pairwise(s, y) -> tuple[float, float]:
    """Kendall's τ-b and the pairwise ordering accuracy of ``s`` against ``y``.

    With n₀ = n(n−1)/2 pairs, n₁ pairs tied in ``s``, n₂ tied in ``y``, C concordant
    and D discordant pairs: ``τ_b = (C − D) / √((n₀ − n₁)(n₀ − n₂))``.
    Pairwise accuracy is the share of pairs with different ``y`` that ``s`` orders
    the same way, a tie in ``s`` counting one half:
    ``acc = (C + T_s/2) / (n₀ − n₂) = 1/2 + (C − D) / (2 (n₀ − n₂))``
    (T_s: pairs tied in ``s`` only). For a bivariate normal pair, ``acc = 1/2 + arcsin(r)/π``.
    """
    from scipy.stats import kendalltau

    s, y = scores_and_attribute(s, y)
    n = s.size
    n0 = n * (n - 1) / 2
    n1, n2 = _tie_pairs(s), _tie_pairs(y)
    if n < 2 or n0 - n1 <= 0 or n0 - n2 <= 0:
        return float("nan"), float("nan")
    tau = float(kendalltau(s, y, variant="b").statistic)
    c_minus_d = tau * np.sqrt((n0 - n1) * (n0 - n2))
    return tau, float(0.5 + c_minus_d / (2 * (n0 - n2)))


def kendall_tau(s, y) -> float:
    """Kendall's τ-b (see :func:`kendall_and_pairwise`)."""
    return kendall_and_pairwise(s, y)[0]


def pairwise_accuracy(s, y) -> float:
    """Share of pairs with different ``y`` that ``s`` orders correctly (ties in ``s`` = ½)."""
    return kendall_and_pairwise(s, y)[1]


def ordering_metrics(s, y, *, n_bootstrap: int = 1000, confidence: float = 0.95, seed=0) -> dict:
    """Spearman, Kendall τ-b and pairwise accuracy with percentile-bootstrap intervals.

    Rows are resampled with replacement ``n_bootstrap`` times (default 1000); the
    interval is the (α/2, 1 − α/2) percentile of the resampled statistic with
    α = 1 − ``confidence`` (default 0.95). Rows where ``s`` or ``y`` is NaN are
    left out. Returns ``{"n", "spearman", "spearman_ci", "kendall", "kendall_ci",
    "pairwise_accuracy", "pairwise_accuracy_ci"}`` (intervals as ``[lo, hi]``).
    """
    from embgeo.arguments import check_count, check_level

    confidence = check_level(confidence)
    n_bootstrap = check_count("n_bootstrap", n_bootstrap, minimum=0, flag="bootstrap",
                              hint=f"{setting('n_bootstrap', 0, '--bootstrap')} switches the intervals off")
    s, y = scores_and_attribute(s, y)
    ok = np.isfinite(s) & np.isfinite(y)
    s, y = s[ok], y[ok]
    n = int(s.size)
    nan2 = [float("nan"), float("nan")]
    out = {"n": n, "spearman": float("nan"), "spearman_ci": nan2, "kendall": float("nan"), "kendall_ci": nan2,
           "pairwise_accuracy": float("nan"), "pairwise_accuracy_ci": nan2}
    if n < 2:
        return out
    out["spearman"] = spearman(s, y)
    out["kendall"], out["pairwise_accuracy"] = kendall_and_pairwise(s, y)
    if n_bootstrap <= 0:
        return out
    rng = as_rng(seed)
    lo_q, hi_q = 50 * (1 - confidence), 100 - 50 * (1 - confidence)
    rho, tau, acc = bootstrap_draws(s, y, n_bootstrap, rng)
    for key, vals in (("spearman_ci", rho), ("kendall_ci", tau), ("pairwise_accuracy_ci", acc)):
        vals = vals[np.isfinite(vals)]
        out[key] = [float(np.percentile(vals, lo_q)), float(np.percentile(vals, hi_q))] if vals.size else nan2
    return out


#: largest n for which the bootstrap builds the n×n pair-sign matrix (float32, ≤ 36 MB)
PAIR_MATRIX_MAX_ROWS = 3000


def bootstrap_draws(s: np.ndarray, y: np.ndarray, n_bootstrap: int, rng: np.random.Generator):
    """ρ, τ_b and pairwise accuracy of ``n_bootstrap`` resamples (rows drawn with replacement).

    A resample is a vector of counts ``w`` over the original rows. Up to
    ``PAIR_MATRIX_MAX_ROWS`` rows the statistics are computed from the counts:
    mid-ranks from cumulative counts (Spearman), and
    ``C − D = ½ wᵀ S w`` with ``S_ij = sign(s_i − s_j)·sign(y_i − y_j)`` (Kendall and
    pairwise accuracy; copies of one row tie on both sides and add nothing), so
    that no resample is sorted. Larger inputs fall back to scipy per resample.
    """
    n = s.size
    rho, tau, acc = np.empty(n_bootstrap), np.empty(n_bootstrap), np.empty(n_bootstrap)
    small = n <= PAIR_MATRIX_MAX_ROWS
    if small:
        S = (np.sign(s[:, None] - s[None, :]) * np.sign(y[:, None] - y[None, :])).astype(np.float32)
        s_inv, y_inv = np.unique(s, return_inverse=True)[1], np.unique(y, return_inverse=True)[1]
        n0 = n * (n - 1) / 2
    for start in range(0, n_bootstrap, _BOOT_BLOCK):
        stop = min(n_bootstrap, start + _BOOT_BLOCK)
        idx = rng.integers(0, n, size=(stop - start, n))
        if not small:
            rho[start:stop] = pearson_columns(average_ranks(s[idx], axis=1), average_ranks(y[idx], axis=1), axis=1)
            for j, row in enumerate(idx):
                tau[start + j], acc[start + j] = kendall_and_pairwise(s[row], y[row])
            continue
        flat = (idx + n * np.arange(stop - start)[:, None]).ravel()
        W = np.bincount(flat, minlength=(stop - start) * n).reshape(stop - start, n).astype(np.float64)
        rs, cs = _resample_midranks(s_inv, W)
        ry, cy = _resample_midranks(y_inv, W)
        rho[start:stop] = _weighted_pearson(rs, ry, W)
        # integer counts: W @ S is exact in float32 (|entries| ≤ n·max count), the final sum in float64
        c_minus_d = 0.5 * np.einsum("bi,bi->b", (W.astype(np.float32) @ S).astype(np.float64), W)
        n1 = (cs * (cs - 1) / 2).sum(axis=1)
        n2 = (cy * (cy - 1) / 2).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            tau[start:stop] = np.where((n0 - n1 > 0) & (n0 - n2 > 0), c_minus_d / np.sqrt((n0 - n1) * (n0 - n2)), np.nan)
            acc[start:stop] = np.where(n0 - n2 > 0, 0.5 + c_minus_d / (2 * (n0 - n2)), np.nan)
    return rho, tau, acc


def _resample_midranks(inv: np.ndarray, W: np.ndarray):
    """Mid-rank of each original row inside each resample, and the resample's count per distinct value.

    ``inv`` (n,) maps rows to their distinct value (sorted); ``W`` (B, n) holds counts.
    A value with count c after b smaller elements gets rank ``b + (c + 1)/2``.
    """
    order = np.argsort(inv, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(inv[order]) != 0])
    C = np.add.reduceat(W[:, order], starts, axis=1)  # (B, n_distinct), columns in value order
    below = np.cumsum(C, axis=1) - C
    return (below + (C + 1) / 2)[:, inv], C


def _weighted_pearson(a: np.ndarray, b: np.ndarray, W: np.ndarray) -> np.ndarray:
    tot = W.sum(axis=1, keepdims=True)
    ma, mb = (W * a).sum(axis=1, keepdims=True) / tot, (W * b).sum(axis=1, keepdims=True) / tot
    da, db = a - ma, b - mb
    num = (W * da * db).sum(axis=1)
    den = np.sqrt((W * da * da).sum(axis=1) * (W * db * db).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def random_direction_spearman(X: np.ndarray, y, *, n_directions: int = 1000, seed=0, block: int = 256) -> np.ndarray:
    """Spearman ρ between ``y`` and the projections of ``X`` (n_samples, n_features)
    onto ``n_directions`` random unit directions (uniform on the sphere: normalised
    Gaussian vectors). Returns the ρ of each direction, shape (n_directions,).

    For ``X`` independent of ``y`` each ρ is ≈ N(0, 1/(n−1)), so the 95th
    percentile of |ρ| is ≈ 1.96/√(n−1): an axis inside that band ranks no better
    than a direction drawn at random.
    """
    if n_directions < 1:
        raise EmbgeoError(f"n_directions must be at least 1, got {n_directions}")
    rng = as_rng(seed)
    y_rank = average_ranks(np.asarray(y, dtype=np.float64))
    d = X.shape[1]
    out = np.empty(n_directions)
    for start in range(0, n_directions, block):
        stop = min(n_directions, start + block)
        R = rng.standard_normal((d, stop - start))
        R /= np.linalg.norm(R, axis=0, keepdims=True)
        P = np.asarray(X, dtype=np.float64) @ R
        out[start:stop] = pearson_columns(average_ranks(P, axis=0), y_rank[:, None], axis=0)
    return out
