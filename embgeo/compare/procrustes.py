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
    """``(R, mean_x, mean_y)`` mapping centred ``Y`` onto centred ``X`` (zero-padding the narrower one).

    With fewer fitting rows than dimensions on both sides (``n ≤ min(d_X, d_Y)``), ``M = ŶᵀX̂`` has rank below
    ``n`` and the orthogonal maps that minimise the residual differ only on directions the fitting rows never
    span; the SVD of the ``d_Y × d_X`` matrix then picks one of them by LAPACK's choice of a null-space basis
    (and costs minutes at 3 000 dimensions). Here, instead, ``R`` is the partial isometry on the rows' span
    (``V_Y P Qᵀ V_Xᵀ`` from the thin SVDs ``Ŷ = U_Y S_Y V_Yᵀ``, ``X̂ = U_X S_X V_Xᵀ`` and ``S_Y U_YᵀU_X S_X = P S Qᵀ``,
    all ``n × n``, cut to the rank of ``M``): the same residual on the fitting rows, and nothing mapped that was not fitted."""
    mx = X.mean(axis=0)
    my = Y.mean(axis=0)
    Xf, Yf = X - mx, Y - my
    from embgeo.compare.cka import single_thread

    with single_thread():
        if X.shape[0] > min(X.shape[1], Y.shape[1]):
            U, _, Vt = np.linalg.svd(Yf.T @ Xf, full_matrices=False)  # d_Y × d_X
            return U @ Vt, mx, my
        Uy, Sy, Vyt = np.linalg.svd(Yf, full_matrices=False)
        Ux, Sx, Vxt = np.linalg.svd(Xf, full_matrices=False)
        P, S, Qt = np.linalg.svd((Sy[:, None] * (Uy.T @ Ux)) * Sx[None, :])
    keep = S > S[0] * max(P.shape) * np.finfo(np.float64).eps if S.size and S[0] > 0 else np.zeros(S.size, dtype=bool)
    return (Vyt.T @ P[:, keep]) @ (Qt[keep] @ Vxt), mx, my  # (the rank of M: centring leaves at most n − 1)


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
