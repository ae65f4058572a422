"""Shared pieces of the cosine diagnostics: the verdict, blockwise helpers, neighbour overlap.

Every diagnostic of :mod:`embgeo.cosine.diagnostics` ends in the one
:class:`embgeo.results.Verdict` of the package (``ok`` / ``warn`` / ``bad``, a reason
that quotes the deciding number and its threshold, a fix, and the metric id that
decided it), made by :func:`judge`; :class:`Judged` gives each part result its
``verdict()`` method.
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from embgeo.results import Result, Verdict, beside_threshold
from embgeo.validation import DEFAULT_BLOCK_ROWS, iter_blocks

OK, WARN, BAD = "ok", "warn", "bad"
_RANK = {OK: 0, WARN: 1, BAD: 2}

#: bins of every cosine histogram (kept in results for the plots): 100 bins on [-1, 1]
COSINE_EDGES = np.linspace(-1.0, 1.0, 101)


def judge(status: str, threshold: str, reason: str, fix: str, decided_by: str) -> Verdict:
    """The verdict of one diagnostic: the threshold is quoted in the reason (after the number that
    decided it); a fix of ``none needed`` becomes empty (nothing to do)."""
    return Verdict(status, f"{reason} ({threshold})", "" if fix == "none needed" else fix, decided_by)


class Judged(Result):
    """Mixin for a part result that stores its verdict in the field ``judgement``:
    ``verdict()`` returns it, and ``to_dict()`` writes it under ``verdict``. A part that reads neighbours has a
    field ``recall`` (:func:`neighbour_recall`); ``to_dict()`` writes it only for approximate neighbours."""

    __slots__ = ()

    def verdict(self) -> Verdict:
        return self.judgement or Verdict("info", "no verdict applies")

    def to_dict(self) -> dict:
        d = Result.to_dict(self)
        d["verdict"] = d.pop("judgement", None)
        if "recall" in d and d["recall"] is None:  # exact neighbours: no key (the JSON of an exact run is unchanged)
            del d["recall"]
        return d


def neighbour_recall(*neighbors) -> float | None:
    """The smallest measured recall among the approximate neighbour lists given (:class:`embgeo.knn.engine.Neighbors`,
    None skipped); None when every one is exact: what a part result records in ``recall``."""
    got = [float(nb.recall) for nb in neighbors if nb is not None and not nb.exact and nb.recall is not None]
    return min(got) if got else None


def grade(value: float, *, warn: float, bad: float, higher_is_worse: bool = True) -> str:
    """``ok`` / ``warn`` / ``bad`` for ``value`` against two thresholds (NaN → ``ok``), exactly as the
    reasons quote them: ``warn ≥ w, bad ≥ b`` when higher is worse, ``warn < w, bad < b`` otherwise."""
    if value is None or not np.isfinite(value):
        return OK
    if higher_is_worse:  # as the reasons state it: "warn ≥ w, bad ≥ b"
        return BAD if value >= bad else WARN if value >= warn else OK
    return BAD if value < bad else WARN if value < warn else OK  # "warn < w, bad < b"


def worst(*statuses: str) -> str:
    return max(statuses, key=lambda s: _RANK[s])


def row_norms(X: np.ndarray, *, block: int = DEFAULT_BLOCK_ROWS) -> np.ndarray:
    """Euclidean norm of every row, accumulated in float64, block by block."""
    out = np.empty(X.shape[0], dtype=np.float64)
    for s, e in iter_blocks(X.shape[0], block):
        b = np.asarray(X[s:e], dtype=np.float64)
        out[s:e] = np.sqrt(np.einsum("ij,ij->i", b, b))
    return out


def column_mean(X: np.ndarray, *, block: int = DEFAULT_BLOCK_ROWS) -> np.ndarray:
    """Mean row in float64, block by block."""
    total = np.zeros(X.shape[1], dtype=np.float64)
    for s, e in iter_blocks(X.shape[0], block):
        total += np.asarray(X[s:e], dtype=np.float64).sum(axis=0)
    return total / X.shape[0]


def column_variance(X: np.ndarray, *, mean: np.ndarray | None = None, block: int = DEFAULT_BLOCK_ROWS) -> np.ndarray:
    """Per-column sample variance (ddof=1) in float64, two passes, O(n·d)."""
    mu = column_mean(X, block=block) if mean is None else mean
    acc = np.zeros(X.shape[1], dtype=np.float64)
    for s, e in iter_blocks(X.shape[0], block):
        b = np.asarray(X[s:e], dtype=np.float64) - mu
        acc += (b * b).sum(axis=0)
    return acc / max(X.shape[0] - 1, 1)


def covariance(X: np.ndarray, *, mean: np.ndarray | None = None, block: int = DEFAULT_BLOCK_ROWS) -> np.ndarray:
    """Sample covariance ``Σ (x−μ)(x−μ)ᵀ / (n−1)`` in float64, two passes (no ``E[xxᵀ]−μμᵀ`` cancellation)."""
    mu = column_mean(X, block=block) if mean is None else mean
    d = X.shape[1]
    acc = np.zeros((d, d), dtype=np.float64)
    for s, e in iter_blocks(X.shape[0], block):
        b = np.asarray(X[s:e], dtype=np.float64) - mu
        acc += b.T @ b
    return acc / max(X.shape[0] - 1, 1)


@dataclass(frozen=True, slots=True)
class Spectrum:
    """Mean row and eigendecomposition of the float64 covariance: eigenvalues descending,
    eigenvectors as columns with deterministic signs (largest-magnitude entry positive, as
    scikit-learn's ``svd_flip``). Computed once by :func:`spectrum` and shared by IsoScore,
    all-but-the-top and whitening."""

    mean: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray


def spectrum(X: np.ndarray) -> Spectrum:
    """:class:`Spectrum` of ``X`` (n_samples, n_features); O(n·d² + d³)."""
    mu = column_mean(X)
    lam, U = np.linalg.eigh(covariance(X, mean=mu))
    order = np.argsort(lam)[::-1]
    lam, U = lam[order], U[:, order]
    signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
    signs[signs == 0] = 1.0
    return Spectrum(mu, lam, U * signs)


def unit_sums(X: np.ndarray, *, shift: np.ndarray | None = None, block: int = DEFAULT_BLOCK_ROWS):
    """``(Σ uᵢ, Σ uᵢ², n_used)`` over the unit rows ``uᵢ = (xᵢ−shift)/‖xᵢ−shift‖`` (zero rows skipped), float64."""
    d = X.shape[1]
    s1 = np.zeros(d, dtype=np.float64)
    s2 = np.zeros(d, dtype=np.float64)
    used = 0
    for s, e in iter_blocks(X.shape[0], block):
        b = np.asarray(X[s:e], dtype=np.float64)
        if shift is not None:
            b = b - shift
        nrm = np.sqrt(np.einsum("ij,ij->i", b, b))
        keep = nrm > 0
        u = b[keep] / nrm[keep, None]
        s1 += u.sum(axis=0)
        s2 += (u * u).sum(axis=0)
        used += int(keep.sum())
    return s1, s2, used


def per_dimension_pair_cosine(X: np.ndarray, *, shift: np.ndarray | None = None, block: int = DEFAULT_BLOCK_ROWS) -> np.ndarray:
    """Exact ``E_{i≠j}[uᵢₐ uⱼₐ]`` for every dimension ``a`` over all ordered pairs of distinct rows.

    With unit rows ``uᵢ``, ``Σ_{i≠j} uᵢₐ uⱼₐ = (Σᵢ uᵢₐ)² − Σᵢ uᵢₐ²``; dividing by
    ``n(n−1)`` gives each dimension's contribution to the mean pair cosine, and
    their sum is the mean cosine of all pairs (Timkey & van Schijndel 2021).
    O(n·d) time, exact — no sampling needed.
    """
    s1, s2, used = unit_sums(X, shift=shift, block=block)
    if used < 2:
        return np.zeros(X.shape[1])
    return (s1 * s1 - s2) / (used * (used - 1.0))


def jaccard_at_k(a: np.ndarray, b: np.ndarray, *, block: int = 4096) -> np.ndarray:
    """Per-row Jaccard ``|A∩B| / |A∪B|`` of two ``(n, k)`` neighbour index arrays."""
    a = np.asarray(a)
    b = np.asarray(b)
    out = np.empty(a.shape[0], dtype=np.float64)
    for s, e in iter_blocks(a.shape[0], block):
        inter = (a[s:e, :, None] == b[s:e, None, :]).any(axis=2).sum(axis=1)
        union = a.shape[1] + b.shape[1] - inter
        out[s:e] = inter / union
    return out


def histogram(values: np.ndarray, edges: np.ndarray = COSINE_EDGES) -> np.ndarray:
    """Counts of ``values`` in ``edges`` (values outside are clipped into the end bins)."""
    v = np.clip(np.asarray(values, dtype=np.float64), edges[0], edges[-1])
    counts, _ = np.histogram(v, bins=edges)
    return counts.astype(np.int64)


def with_direction(M: np.ndarray) -> np.ndarray:
    """``M`` with every all-zero row (no direction, e.g. a row equal to the mean after centring)
    replaced by the all-ones row, so that cosine neighbours are defined; a copy only when needed."""
    zero = ~np.any(np.asarray(M) != 0, axis=1)
    if not zero.any():
        return M
    M = np.array(M)
    M[zero] = 1.0
    return M


def fmt(value: float, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals (``n/a`` when missing or not finite). A number that a
    verdict compares with a threshold is written with :func:`shown` instead."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}"


#: the number as a verdict shows it, never rounded onto or across its rule's threshold (one helper for every family)
shown = beside_threshold
