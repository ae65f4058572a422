"""Information imbalance (Glielmo et al. 2022, PNAS Nexus; DADApy ``return_inf_imb_two_selected_coords``).

    Δ(A → B) = 2/N · ⟨ r^B_{i, j(i)} ⟩_i ,   j(i) = the nearest neighbour of i in A,

where ``r^B_{ij}`` is the rank of ``j`` among the other rows ordered by their distance
to ``i`` in B (1 = nearest). Δ ≈ 0: A's neighbourhoods are B's (A predicts B); Δ ≈ 1:
no information (ranks uniform on 1…N−1 give mean N/2). DADApy draws a random rank when
``j`` lies beyond its ``maxk`` neighbours; here every rank is exact: a blockwise pass
counts, for each ``i``, the rows nearer to ``i`` in B than ``j(i)``.
"""
from __future__ import annotations

import numpy as np


def prepare(M: np.ndarray, metric: str, dtype) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows ready for score GEMMs: unit rows (cosine; larger score = nearer) or centred rows and their
    squared norms (euclidean; the score ``‖b‖² − 2 q·b`` orders rows by distance, smaller = nearer)."""
    M64 = np.asarray(M, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(M64, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.ascontiguousarray(M64 / norms, dtype=dtype), None
    Mc = M64 - M64.mean(axis=0, keepdims=True)
    return np.ascontiguousarray(Mc, dtype=dtype), np.einsum("ij,ij->i", Mc, Mc).astype(dtype)


def tile_rows(n: int, dtype, tile_bytes: int = 64 << 20) -> int:
    """Query rows per score tile (one ``rows × n`` GEMM of ``tile_bytes``)."""
    return max(1, int(tile_bytes // (np.dtype(dtype).itemsize * max(n, 1))))


def ranks_of(M: np.ndarray, targets: np.ndarray, *, metric: str = "cosine", dtype=np.float64, tile_bytes: int = 64 << 20) -> np.ndarray:
    """For each row ``i``: 1 + the number of rows ``l ∉ {i}`` strictly nearer to ``i`` than ``targets[i]`` (in ``M``)."""
    P, sq = prepare(M, metric, dtype)
    n = P.shape[0]
    return ranks_range(P, sq, np.asarray(targets, dtype=np.int64), 0, n, metric=metric, rows=tile_rows(n, dtype, tile_bytes))


def ranks_range(P: np.ndarray, sq: np.ndarray | None, targets: np.ndarray, a: int, b: int, *, metric: str, rows: int) -> np.ndarray:
    """:func:`ranks_of` for the query rows ``[a, b)`` of prepared rows ``P`` (:func:`prepare`), in tiles of ``rows``
    starting at ``a`` (a range that starts at a multiple of ``rows`` runs the very GEMMs of the whole pass)."""
    out = np.empty(b - a, dtype=np.int64)
    for s in range(a, b, rows):
        e = min(b, s + rows)
        S = P[s:e] @ P.T
        idx = np.arange(e - s)
        if metric == "cosine":
            t = S[idx, targets[s:e]]
            S[idx, np.arange(s, e)] = -np.inf  # self is never counted
            out[s - a:e - a] = 1 + (S > t[:, None]).sum(axis=1)
        else:
            S *= -2.0
            S += sq[None, :]
            t = S[idx, targets[s:e]]
            S[idx, np.arange(s, e)] = np.inf
            out[s - a:e - a] = 1 + (S < t[:, None]).sum(axis=1)
    return out


def imbalance_from_ranks(ranks: np.ndarray) -> float:
    n = ranks.size
    return float(2.0 * ranks.mean() / n)


def information_imbalance(A, B, *, metric: str = "euclidean") -> float:
    """Δ(A → B) with exact ranks (nearest neighbours in A from the shared engine); ``A`` and ``B`` hold the same
    items, row for row. ``metric``: ``euclidean`` or ``cosine``."""
    from embgeo.compare.align import paired_matrices
    from embgeo.compare.neighbours import neighbour_lists
    from embgeo.compare.results import check_metric

    metric = check_metric(metric)
    A, B = paired_matrices(A, B, names=("A", "B"))
    nn, _ = neighbour_lists(A, 1, metric=metric)
    return imbalance_from_ranks(ranks_of(B, nn[:, 0], metric=metric))
