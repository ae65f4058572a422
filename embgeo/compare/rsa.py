"""Representational similarity analysis (Kriegeskorte et al. 2008): Spearman correlation
between the two spaces' pairwise distances (cosine distance ``1 − cos``, or Euclidean),
over the ``m(m−1)/2`` pairs of a seeded sample of ``m`` rows (all rows when ``n ≤ m``)."""
from __future__ import annotations

import numpy as np


def pair_distances(M: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """The condensed upper-triangle distance vector (row-major, as scipy's ``pdist``), float64: ``metric``
    ``cosine``, else Euclidean (the callers check the metric: :func:`rsa`, :func:`embgeo.compare.compare`)."""
    M = np.asarray(M, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(M, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        U = M / norms
        D = 1.0 - U @ U.T
    else:
        Mc = M - M.mean(axis=0)
        sq = np.einsum("ij,ij->i", Mc, Mc)
        D = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * (Mc @ Mc.T), 0.0))
    iu = np.triu_indices(M.shape[0], 1)
    return D[iu]


def ranks(v: np.ndarray) -> np.ndarray:
    """Average ranks, 1-based (ties share their mean rank), as scipy.stats.rankdata."""
    v = np.asarray(v)
    order = np.argsort(v, kind="mergesort")
    sv = v[order]
    starts = np.flatnonzero(np.r_[True, sv[1:] != sv[:-1]])
    counts = np.diff(np.r_[starts, v.size])
    out = np.empty(v.size, dtype=np.float64)
    out[order] = np.repeat(starts + (counts + 1) / 2.0, counts)
    return out


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equal-length vectors; NaN (without a warning) for fewer than two values or no spread
    (a bootstrap resample of few rows can draw one row only: no pair at all)."""
    if np.size(a) < 2:
        return float("nan")
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / den) if den > 0 else float("nan")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return pearson(ranks(a), ranks(b))


def pair_index(i: np.ndarray, j: np.ndarray, m: int) -> np.ndarray:
    """Position of the pair ``(min(i,j), max(i,j))``, ``i ≠ j``, in the condensed vector of ``m`` rows."""
    a = np.minimum(i, j)
    b = np.maximum(i, j)
    return a * m - a * (a + 1) // 2 + (b - a - 1)


def rsa(X, Y, *, metric: str = "cosine") -> float:
    """Spearman correlation of the pairwise distances of ``X`` and ``Y`` (all pairs; the same items, row for row).
    ``metric``: ``cosine`` (``1 − cos``) or ``euclidean``; anything else raises."""
    from embgeo.compare.align import paired_matrices
    from embgeo.compare.results import check_metric

    metric = check_metric(metric)
    A, B = paired_matrices(X, Y)
    return spearman(pair_distances(A, metric), pair_distances(B, metric))
