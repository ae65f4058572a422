"""Cross-space retrieval after an orthogonal Procrustes map (scipy.linalg.orthogonal_procrustes).

The rows are split (seeded) into a fitting half and a held-out half. On the fitting half
both sets are centred and scaled to unit Frobenius norm, and ``R`` (``d_Y × d_X``, with
orthonormal rows or columns: the smaller space is zero-padded) minimises ``‖Ŷ R − X̂‖_F``.
On the held-out half each ``x_i`` queries the mapped rows ``ŷ_j R``; R@k is the share of
queries whose own partner ``y_i`` is among the ``k`` nearest (shared kNN engine).
Chance is ``k / pool``.
"""
from __future__ import annotations

import numpy as np


def procrustes_map(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(R, mean_x, mean_y)`` mapping centred ``Y`` onto centred ``X`` (zero-padding the narrower one)."""
    mx = X.mean(axis=0)
    my = Y.mean(axis=0)
    M = (Y - my).T @ (X - mx)  # d_Y × d_X
    from embgeo.compare.cka import single_thread

    with single_thread():
        U, _, Vt = np.linalg.svd(M, full_matrices=False)
    return U @ Vt, mx, my


def retrieval_hits(X, Y, ks=(1, 10), *, metric: str = "cosine", seed: int = 0, fit_share: float = 0.5) -> tuple[dict, int]:
    """Per-query hit indicators ``{k: (pool,) bool}`` on the held-out rows, and the pool size."""
    from embgeo.knn import knn

    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    n = X.shape[0]
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_fit = max(2, int(round(n * fit_share)))
    fit, test = order[:n_fit], order[n_fit:]
    if test.size < 2:
        return {k: np.zeros(0, dtype=bool) for k in ks}, 0
    R, mx, my = procrustes_map(X[fit], Y[fit])
    Q = X[test] - mx
    G = (Y[test] - my) @ R
    kmax = min(max(ks), test.size)
    nb = knn(G, kmax, query=Q, metric=metric, exclude_self=False, check_duplicates=False)
    hit_rank = (np.asarray(nb.indices) == np.arange(test.size)[:, None])
    return {k: hit_rank[:, :min(k, kmax)].any(axis=1) for k in ks}, int(test.size)
