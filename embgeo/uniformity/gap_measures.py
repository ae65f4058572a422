"""The measurements of the modality gap on L2-normalised, row-paired sets (see
:mod:`embgeo.uniformity.gap` for the analysis that combines them and the papers).

- :func:`centroid_gap` — ``‖mean x̂ − mean ŷ‖`` (Liang et al. 2022, §4.1);
- :func:`normalize_rows`, :func:`shifted`, :func:`renormalize` — unit rows, and the shift
  ``normalise(x̂ − λΔ/2)``, ``normalise(ŷ + λΔ/2)`` (§4.2);
- :func:`retrieval`, :func:`recall_at_1`, :func:`match_ranks`, :func:`zero_shot_ranks` —
  matched-pair retrieval, the contrastive loss, relative alignment, zero-shot ranks;
- :func:`linear_separability` — a cross-validated linear probe (scikit-learn, imported lazily);
- :func:`slerp`, :func:`geodesic_mixup` — geodesic-mixup hard negatives (Oh et al. 2023).
"""
from __future__ import annotations

import math

import numpy as np

from embgeo.arguments import renamed_keyword
from embgeo.errors import EmbgeoError
from embgeo.uniformity.gap_results import (
    DEFAULT_TEMPERATURE,
    RETRIEVAL_KS,
    CentroidGap,
    Mixup,
    Retrieval,
    Separability,
)
from embgeo.uniformity.kernels import draw_pairs
from embgeo.uniformity.stats import summarize
from embgeo.validation import as_matrix, as_rng, iter_blocks

#: at most this many pairs enter the separability probe
SEPARABILITY_MAX_PAIRS = 5_000


def centroid_gap(X, Y, *, names: tuple[str, str] = ("X", "Y")) -> CentroidGap:
    """The modality gap ``‖mean_i x̂_i − mean_i ŷ_i‖`` of L2-normalised rows (Liang et al. 2022, §4.1).

    ``X`` and ``Y`` (n_samples, n_features) need the same number of columns (not of
    rows). Block by block with float64 sums, so memory-mapped inputs stay on disk.
    """
    X = as_matrix(X, name=names[0], min_rows=1, allow_nonfinite=False, allow_zero_rows=False)
    Y = as_matrix(Y, name=names[1], min_rows=1, allow_nonfinite=False, allow_zero_rows=False)
    if X.shape[1] != Y.shape[1]:
        raise EmbgeoError(f"{names[0]} has {X.shape[1]} columns but {names[1]} has {Y.shape[1]}", hint="both sets must live in the same space")
    means = []
    for A in (X, Y):
        acc = np.zeros(A.shape[1], dtype=np.float64)
        for a, b in iter_blocks(A.shape[0]):
            blk = np.asarray(A[a:b], dtype=np.float64)
            acc += (blk / np.linalg.norm(blk, axis=1, keepdims=True)).sum(0)
        means.append(acc / A.shape[0])
    cx, cy = means
    delta = cx - cy
    ncx, ncy = float(np.linalg.norm(cx)), float(np.linalg.norm(cy))
    ccos = float(cx @ cy / (ncx * ncy)) if ncx > 0 and ncy > 0 else math.nan
    return CentroidGap(float(np.linalg.norm(delta)), ncx, ncy, ccos, delta)


def normalize_rows(X, *, name: str = "X") -> np.ndarray:
    """L2-normalised copy of ``X`` (n_samples, n_features); norms in float64; zero rows raise."""
    X = as_matrix(X, name=name, min_rows=2, allow_nonfinite=False, allow_zero_rows=False)
    out = np.empty(X.shape, dtype=X.dtype)
    for a, b in iter_blocks(X.shape[0]):
        blk = np.asarray(X[a:b], dtype=np.float64)
        out[a:b] = blk / np.linalg.norm(blk, axis=1, keepdims=True)
    return out


def slerp(A: np.ndarray, B: np.ndarray, lam: float) -> np.ndarray:
    """Row-wise spherical interpolation ``[sin(λθ) a + sin((1−λ)θ) b] / sin θ`` of unit rows.

    ``lam`` is the weight on ``A`` (λ = 1 gives ``A``, λ = 0 gives ``B``). Where
    ``sin θ`` is tiny (parallel or antipodal rows) the normalised linear
    interpolation is used instead.
    """
    A64, B64 = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    cos = np.clip(np.einsum("ij,ij->i", A64, B64), -1.0, 1.0)
    theta = np.arccos(cos)
    sin = np.sin(theta)
    ok = sin > 1e-6
    wa = np.where(ok, np.sin(lam * theta) / np.where(ok, sin, 1.0), lam)
    wb = np.where(ok, np.sin((1.0 - lam) * theta) / np.where(ok, sin, 1.0), 1.0 - lam)
    out = wa[:, None] * A64 + wb[:, None] * B64
    if not ok.all():
        norms = np.linalg.norm(out[~ok], axis=1, keepdims=True)
        out[~ok] = np.where(norms > 0, out[~ok] / np.where(norms > 0, norms, 1.0), A64[~ok])
    return out


def recall_at_1(Q: np.ndarray, C: np.ndarray, *, block: int = 1024) -> float:
    """Fraction of queries ``Q[i]`` whose highest-cosine row of ``C`` is ``C[i]`` (unit rows)."""
    n = Q.shape[0]
    hits = 0
    for a, b in iter_blocks(n, block):
        S = Q[a:b] @ C.T
        hits += int((S.argmax(axis=1) == np.arange(a, b)).sum())
    return hits / n


def match_ranks(Q: np.ndarray, C: np.ndarray, *, block: int = 1024) -> np.ndarray:
    """For each query ``Q[i]`` the number of rows of ``C`` whose cosine beats its match ``C[i]`` (0 = retrieved first).

    Unit rows; float64 scores; ties with the match do not count against it.
    """
    n = Q.shape[0]
    ranks = np.empty(n, dtype=np.int64)
    for a, b in iter_blocks(n, block):
        S = np.asarray(Q[a:b], dtype=np.float64) @ np.asarray(C, dtype=np.float64).T
        diag = S[np.arange(b - a), np.arange(a, b)]
        ranks[a:b] = (S > diag[:, None]).sum(axis=1)
    return ranks


def _direction_stats(Q: np.ndarray, C: np.ndarray, *, temperature: float, alpha: float, block: int = 1024):
    """Per query of ``Q`` (matched to the same row of ``C``): rank of the match, InfoNCE loss
    ``lse_j(s_ij/τ) − s_ii/τ``, and relative alignment ``‖q_i − c_i‖^α − min_{j≠i} ‖q_i − c_j‖^α`` (unit rows)."""
    n = Q.shape[0]
    ranks = np.empty(n, dtype=np.int64)
    loss = np.empty(n)
    rel = np.empty(n)
    C64 = np.asarray(C, dtype=np.float64)
    for a, b in iter_blocks(n, block):
        S = np.asarray(Q[a:b], dtype=np.float64) @ C64.T
        r = np.arange(b - a)
        diag = S[r, np.arange(a, b)].copy()
        ranks[a:b] = (S > diag[:, None]).sum(axis=1)
        L = S / temperature
        top = L.max(axis=1)
        loss[a:b] = top + np.log(np.exp(L - top[:, None]).sum(axis=1)) - diag / temperature
        S[r, np.arange(a, b)] = -np.inf
        hardest = S.max(axis=1)
        # ‖q − c‖² = 2 − 2 q·c on unit rows (clipped at 0 against round-off)
        rel[a:b] = np.maximum(2.0 - 2.0 * diag, 0.0) ** (alpha / 2.0) - np.maximum(2.0 - 2.0 * hardest, 0.0) ** (alpha / 2.0)
    return ranks, loss, rel


def retrieval(Xh: np.ndarray, Yh: np.ndarray, *, temperature: float = DEFAULT_TEMPERATURE, alpha: float = 2.0, block: int = 1024) -> Retrieval:
    """Matched-pair retrieval R@1/5/10 both ways, the symmetric contrastive loss at ``temperature``, and
    ``rel_lalign`` both ways, for unit rows ``Xh``, ``Yh`` (row i of both is a pair; at least 2 pairs)."""
    if Xh.shape[0] < 2:
        raise EmbgeoError("retrieval needs at least 2 pairs")
    rx, lx, relx = _direction_stats(Xh, Yh, temperature=temperature, alpha=alpha, block=block)
    ry, ly, rely = _direction_stats(Yh, Xh, temperature=temperature, alpha=alpha, block=block)
    rec = {f"recall_at_{k}_{d}": float((r < k).mean()) for d, r in (("x_to_y", rx), ("y_to_x", ry)) for k in RETRIEVAL_KS}
    return Retrieval(
        n_rows=int(Xh.shape[0]), temperature=float(temperature), alpha=float(alpha), **rec,
        contrastive_loss=float((lx.mean() + ly.mean()) / 2.0), rel_lalign_x_to_y=float(relx.mean()),
        rel_lalign_y_to_x=float(rely.mean()), hits_x_to_y=rx, hits_y_to_x=ry,
    )


def zero_shot_ranks(Xh: np.ndarray, Ch: np.ndarray, labels: np.ndarray, *, block: int = 4096) -> np.ndarray:
    """Rank of the true class ``Ch[labels[i]]`` among all classes for each unit row ``Xh[i]`` (0 = top; ties count as hits)."""
    n = Xh.shape[0]
    ranks = np.empty(n, dtype=np.int64)
    C64 = np.asarray(Ch, dtype=np.float64)
    for a, b in iter_blocks(n, block):
        S = np.asarray(Xh[a:b], dtype=np.float64) @ C64.T
        true = S[np.arange(b - a), labels[a:b]]
        ranks[a:b] = (S > true[:, None]).sum(axis=1)
    return ranks


def linear_separability(Xh: np.ndarray, Yh: np.ndarray, *, n_folds: int | None = None, max_pairs: int = SEPARABILITY_MAX_PAIRS, seed=0, cv=None) -> Separability:
    """Cross-validated accuracy of ``LogisticRegression`` telling rows of ``Xh`` (label 0) from ``Yh`` (label 1).

    Folds split pairs, so both members of a pair are always on the same side
    (no leakage through the pairing); at most ``max_pairs`` random pairs are used. ``n_folds``: the
    folds of the cross-validation (default 5; ``cv`` is its former name: DeprecationWarning; both is an error).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    n_folds = renamed_keyword("linear_separability", "cv", cv, "n_folds", n_folds)
    n_folds = 5 if n_folds is None else n_folds
    if isinstance(n_folds, (bool, np.bool_)) or not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
        raise EmbgeoError(f"n_folds must be an integer of at least 2, got {n_folds!r}")
    rng = as_rng(seed)
    n = Xh.shape[0]
    if n < n_folds:
        raise EmbgeoError(f"{n} pairs are too few for {n_folds}-fold cross-validation", hint="use fewer folds")
    take = np.sort(rng.choice(n, size=min(n, max_pairs), replace=False))
    Xs, Ys = np.asarray(Xh[take], dtype=np.float64), np.asarray(Yh[take], dtype=np.float64)
    m = take.size
    folds = []
    splitter = KFold(n_splits=int(n_folds), shuffle=True, random_state=int(rng.integers(2**31 - 1)))
    for train, test in splitter.split(np.arange(m)):
        Xtr = np.vstack([Xs[train], Ys[train]])
        ytr = np.r_[np.zeros(train.size), np.ones(train.size)]
        Xte = np.vstack([Xs[test], Ys[test]])
        yte = np.r_[np.zeros(test.size), np.ones(test.size)]
        clf = LogisticRegression(C=1.0, max_iter=2000)
        clf.fit(Xtr, ytr)
        folds.append(float((clf.predict(Xte) == yte).mean()))
    folds = np.array(folds)
    return Separability(accuracy=float(folds.mean()), std=float(folds.std(ddof=1)), fold_accuracy=folds, n_pairs_used=int(m), n_folds=int(n_folds))


def geodesic_mixup(Xh: np.ndarray, Yh: np.ndarray, lam: float, rng: np.random.Generator, n_random: int) -> Mixup:
    """m²-Mix hard negatives (Oh et al. 2023) of unit rows: ``m_j = slerp(x̂_j, ŷ_j, lam)``; exact means over
    ``i ≠ j`` of the anchors' cosines to ordinary and to mixed negatives, and ``n_random`` sampled ``x̂_i·m_j``."""
    n = Xh.shape[0]
    M = slerp(Xh, Yh, lam)
    X64, Y64 = np.asarray(Xh, dtype=np.float64), np.asarray(Yh, dtype=np.float64)
    sx, sy, sm = X64.sum(0), Y64.sum(0), M.sum(0)
    pairs = n * (n - 1)
    # mean over i ≠ j of a_i·b_j = (Σa · Σb − Σ_i a_i·b_i) / (n(n−1)), exact in O(n d)
    off = lambda sa, sb, A, B: float((sa @ sb - np.einsum("ij,ij->", A, B)) / pairs)  # noqa: E731
    i, j = draw_pairs(n, n_random, rng)
    mixed = np.einsum("ij,ij->i", X64[i], M[j])
    return Mixup(
        lam=lam,
        positive_mean=float(np.einsum("ij,ij->", X64, Y64) / n),
        x_anchor_negative_mean=off(sx, sy, X64, Y64),
        x_anchor_mixed_negative_mean=off(sx, sm, X64, M),
        y_anchor_negative_mean=off(sy, sx, Y64, X64),
        y_anchor_mixed_negative_mean=off(sy, sm, Y64, M),
        mixed_cosines=summarize(mixed, what="cosine of x anchors to mixed negatives of other pairs", exact=False, value_range=(-1.0, 1.0)),
    )


def shifted(X64: np.ndarray, Y64: np.ndarray, delta: np.ndarray, lam: float, *, names=("X", "Y")) -> tuple[np.ndarray, np.ndarray]:
    """``normalise(x̂ − λΔ/2)``, ``normalise(ŷ + λΔ/2)``: λ = 1 removes the gap Δ, λ < 0 enlarges it."""
    return (renormalize(X64 - lam * delta / 2.0, name=f"{names[0]} after the shift"),
            renormalize(Y64 + lam * delta / 2.0, name=f"{names[1]} after the shift"))


def renormalize(A: np.ndarray, *, name: str) -> np.ndarray:
    """Rows of ``A`` divided by their norms; a row that became zero (shifted onto the origin) raises, naming ``name``."""
    norms = np.linalg.norm(A, axis=1, keepdims=True)
    zero = np.flatnonzero(norms[:, 0] == 0)
    if zero.size:
        raise EmbgeoError(f"{name}: rows {', '.join(map(str, zero[:5]))} became zero and cannot be normalised", hint="use a shift fraction below 1")
    return A / norms
