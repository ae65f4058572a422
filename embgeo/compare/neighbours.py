"""Mutual k-nearest-neighbour overlap (Huh et al. 2024, platonic-rep ``mutual_knn``).

For each item ``i``: ``|N_X(i) ∩ N_Y(i)| / k``, where ``N_S(i)`` are the ``k`` nearest
other rows of ``i`` in space ``S`` (the shared engine, :func:`embgeo.knn.knn`); the
measure is the mean over items. Unrelated spaces give ``k/(n−1)`` on average.
"""
from __future__ import annotations

import numpy as np


def search_input(M: np.ndarray, metric: str):
    """``(matrix, metric)`` to search ``M`` with. Sign codes (every entry ±c, as
    ``quantize(X, "binary")`` makes, unit-normalised or not) under ``cosine`` are searched as ±1
    codes by inner product (``dot``): every row has the same norm, so the order is the cosine
    (and Hamming) order, but the scores are small integers computed exactly in float32, so the
    many exact ties of sign codes stay exact and are broken by index whatever the BLAS kernel or
    thread count (unit rows — or the centred rows of the euclidean search — would make them
    near-ties decided by rounding)."""
    if metric == "cosine" and M.size and M.dtype.kind == "f":
        c = abs(float(M.flat[0]))
        if c > 0 and bool(np.all(np.abs(M) == M.dtype.type(c))):
            return np.where(M > 0, 1.0, -1.0).astype(np.float32), "dot"
    return M, metric


def neighbour_lists(M: np.ndarray, k: int, *, metric: str, approx: bool = False, seed: int = 0):
    """``(indices (n, k), Neighbors)`` from the shared engine (self excluded, ties by index)."""
    from embgeo.knn import knn

    M, metric = search_input(M, metric)
    nb = knn(M, k, metric=metric, exclude_self=True, approx=approx, seed=seed)
    return np.asarray(nb.indices, dtype=np.int64), nb


def overlap_rows(A: np.ndarray, B: np.ndarray, k: int, *, block: int = 2048) -> np.ndarray:
    """Per-row ``|A[i, :k] ∩ B[i, :k]| / k`` for neighbour index lists (rows hold distinct indices)."""
    n = A.shape[0]
    out = np.empty(n, dtype=np.float64)
    A = A[:, :k]
    B = B[:, :k]
    step = max(1, block * 16 // max(k, 1))
    for s in range(0, n, step):
        a = A[s:s + step]
        b = B[s:s + step]
        out[s:s + step] = (a[:, :, None] == b[:, None, :]).sum(axis=(1, 2)) / k
    return out


def permuted_lists(B: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """The neighbour lists of ``Y[perm]`` from those of ``Y``: row ``i`` of the shuffled set is
    row ``perm[i]`` of ``Y``, whose neighbours ``j`` are rows ``perm⁻¹[j]`` of the shuffled set."""
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size)
    return inv[B[perm]]


def mutual_knn(X, Y, k: int = 10, *, metric: str = "cosine") -> float:
    """Mean mutual kNN overlap of ``X`` and ``Y`` (the same items, row for row) at ``k`` (exact search)."""
    from embgeo.compare.align import paired_matrices

    X, Y = paired_matrices(X, Y)
    A, _ = neighbour_lists(X, k, metric=metric)
    B, _ = neighbour_lists(Y, k, metric=metric)
    return float(overlap_rows(A, B, k).mean())
