"""Centred kernel alignment (Kornblith et al. 2019) with the biased (Gretton) and the
unbiased (Song et al. 2012) HSIC, and the orthogonal Procrustes residual.

Linear CKA is computed in feature space, never forming the ``n × n`` Gram matrices:
with ``X`` (n×d1) and ``Y`` (n×d2) centred,

    CKA = ‖XᵀY‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F)                      (biased HSIC, tr(KHLH))

which equals ``tr(KHLH) / sqrt(tr(KHKH) tr(LHLH))`` with ``K = XXᵀ``, ``L = YYᵀ``.
The unbiased HSIC (Song et al. 2012, eq. 5)

    HSIC₁(K, L) = [tr(K̃L̃) + 1ᵀK̃1 · 1ᵀL̃1 / ((n−1)(n−2)) − 2/(n−2) · 1ᵀK̃L̃1] / (n(n−3))

(``K̃`` = ``K`` with a zero diagonal) is also assembled from ``XᵀY``, ``XᵀX``, ``YᵀY``
and O(n·d) row terms. The Procrustes residual (after centring and scaling both to unit
Frobenius norm, as scipy.spatial.procrustes) is ``1 − ‖X̂ᵀŶ‖²_*`` (nuclear norm).
All in float64. RBF CKA needs the Gram matrices and is computed on at most a few
thousand rows (:func:`rbf_gram`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embgeo._blas import single_thread  # noqa: F401  (used here and by embgeo.compare)


def singular_values(C: np.ndarray) -> np.ndarray:
    with single_thread():
        return np.linalg.svd(C, compute_uv=False)


def centre(M) -> np.ndarray:
    """``M`` in float64 with column means removed (a copy)."""
    M = np.array(M, dtype=np.float64, copy=True)
    M -= M.mean(axis=0, keepdims=True)
    return M


@dataclass(frozen=True)
class SelfTerms:
    """The pieces of one centred matrix that CKA and Procrustes reuse across pairs and permutations."""

    fro2_gram: float      # ‖XᵀX‖²_F = tr(KK)
    sq_norms: np.ndarray  # a_i = ‖x_i‖² (the diagonal of K)
    k_row: np.ndarray     # K̃1 = X(Xᵀ1) − a  (centred: −a)
    hsic_u_self: float    # unbiased HSIC(K, K)
    fro2: float           # ‖X‖²_F = tr(K)
    n: int


def self_terms(Xc: np.ndarray) -> SelfTerms:
    n = Xc.shape[0]
    G = Xc.T @ Xc if Xc.shape[1] <= n else None
    fro2_gram = float(np.sum(G * G)) if G is not None else float(np.sum((Xc @ Xc.T) ** 2))
    a = np.einsum("ij,ij->i", Xc, Xc)
    k_row = Xc @ Xc.sum(axis=0) - a
    return SelfTerms(fro2_gram, a, k_row, _hsic_u(fro2_gram - float(a @ a), float(k_row.sum()), float(k_row.sum()), float(k_row @ k_row), n),
                     float(a.sum()), n)


def _hsic_u(tr_kl_tilde: float, sum_k: float, sum_l: float, kl_one: float, n: int) -> float:
    if n < 4:
        return float("nan")
    return (tr_kl_tilde + sum_k * sum_l / ((n - 1) * (n - 2)) - 2.0 * kl_one / (n - 2)) / (n * (n - 3))


def linear_pieces(Xc: np.ndarray, Yc: np.ndarray, sx: SelfTerms, sy: SelfTerms, *, want_nuclear: bool = True) -> dict:
    """``cka_linear``, ``cka_linear_unbiased`` and ``procrustes_residual`` of centred ``Xc``, ``Yc``. A side wider than
    tall enters through its ``n × n`` factor (:func:`row_factor`): the same singular values and Frobenius norm as
    ``XcᵀYc``, without a ``d_X × d_Y`` matrix and its SVD (50 rows × 3 000 dims: milliseconds, not minutes)."""
    return pieces_from_cross(row_factor(Xc).T @ row_factor(Yc), sx, sy, want_nuclear=want_nuclear)


def pieces_from_cross(C: np.ndarray, sx: SelfTerms, sy: SelfTerms, *, perm: np.ndarray | None = None, want_nuclear: bool = True,
                      nuclear=None) -> dict:
    """The linear measures from the cross-product ``C = XcᵀYc`` (``XcᵀYc[perm]`` for the rows of Y shuffled by ``perm``,
    whose self terms are those of Y permuted) and the self terms; ``nuclear`` computes ``‖C‖_*`` (default: the SVD)."""
    a_y = sy.sq_norms if perm is None else sy.sq_norms[perm]
    k_y = sy.k_row if perm is None else sy.k_row[perm]
    cross = float(np.sum(C * C))
    out = {"cka_linear": _ratio(cross, np.sqrt(sx.fro2_gram * sy.fro2_gram))}
    tr_kl = cross - float(sx.sq_norms @ a_y)
    hsic_u = _hsic_u(tr_kl, float(sx.k_row.sum()), float(sy.k_row.sum()), float(sx.k_row @ k_y), sx.n)
    denom = sx.hsic_u_self * sy.hsic_u_self
    out["cka_linear_unbiased"] = hsic_u / np.sqrt(denom) if denom > 0 else float("nan")
    if want_nuclear:
        nuc = float(singular_values(C).sum()) if nuclear is None else float(nuclear(C))
        scale = sx.fro2 * sy.fro2
        out["procrustes_residual"] = max(0.0, 1.0 - nuc * nuc / scale) if scale > 0 else float("nan")
    return out


def row_factor(Xc: np.ndarray) -> np.ndarray:
    """An ``n × min(n, d)`` matrix ``F`` with ``FFᵀ = XcXcᵀ`` and ``F = Xc·V`` for orthonormal ``V``: ``Xc`` itself when
    ``d ≤ n``, else ``U·S`` of its thin SVD. ``FᵀG[p]`` has the singular values and Frobenius norm of ``XcᵀYc[p]``
    (G the factor of Yc), so permutations of wide, short inputs cost ``n·min(n, d_x)·min(n, d_y)``."""
    n, d = Xc.shape
    if d <= n:
        return Xc
    U, S, _ = np.linalg.svd(Xc, full_matrices=False)
    return U * S


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def linear_cka(X, Y, *, unbiased: bool = False) -> float:
    """Linear CKA of ``X`` and ``Y`` (rows are the same items, row for row; widths may differ); ``unbiased``: from the
    unbiased HSIC (Song et al. 2012) instead of the biased one (True or False)."""
    from embgeo.arguments import check_flag
    from embgeo.compare.align import paired_matrices

    unbiased = check_flag("unbiased", unbiased)

    Xc, Yc = (centre(M) for M in paired_matrices(X, Y))  # both measures are scale-free: as_matrix may rescale
    res = linear_pieces(Xc, Yc, self_terms(Xc), self_terms(Yc), want_nuclear=False)
    return float(res["cka_linear_unbiased" if unbiased else "cka_linear"])


def procrustes_residual(X, Y) -> float:
    """``min_R ‖X̂ − s·ŶR‖²_F`` over orthogonal ``R`` and scale ``s`` after centring and unit-norm scaling (in [0, 1]);
    rows are the same items, row for row."""
    from embgeo.compare.align import paired_matrices

    Xc, Yc = (centre(M) for M in paired_matrices(X, Y))
    return float(linear_pieces(Xc, Yc, self_terms(Xc), self_terms(Yc))["procrustes_residual"])


# ----------------------------------------------------------------------------- Gram-matrix forms


def hsic_biased(K: np.ndarray, L: np.ndarray) -> float:
    """``tr(KHLH)`` (the scale factor cancels in CKA), from the Gram matrices."""
    Kc = K - K.mean(axis=0, keepdims=True) - K.mean(axis=1, keepdims=True) + K.mean()
    return float(np.sum(Kc * L))


def hsic_unbiased(K: np.ndarray, L: np.ndarray) -> float:
    """Song et al. (2012) eq. 5, from the Gram matrices."""
    n = K.shape[0]
    Kt = K.copy()
    Lt = L.copy()
    np.fill_diagonal(Kt, 0.0)
    np.fill_diagonal(Lt, 0.0)
    return _hsic_u(float(np.sum(Kt * Lt)), float(Kt.sum()), float(Lt.sum()), float(Kt.sum(axis=1) @ Lt.sum(axis=0)), n)


def cka_from_gram(K: np.ndarray, L: np.ndarray, *, unbiased: bool = False) -> float:
    f = hsic_unbiased if unbiased else hsic_biased
    kk, ll = f(K, K), f(L, L)
    return f(K, L) / np.sqrt(kk * ll) if kk * ll > 0 else float("nan")


def sq_dists(M: np.ndarray) -> np.ndarray:
    """All squared Euclidean distances of the rows of ``M`` (float64, centred first, clipped at 0)."""
    Mc = centre(M)
    sq = np.einsum("ij,ij->i", Mc, Mc)
    D = sq[:, None] + sq[None, :] - 2.0 * (Mc @ Mc.T)
    np.maximum(D, 0.0, out=D)
    np.fill_diagonal(D, 0.0)
    return D


def rbf_gram(M: np.ndarray, *, sigma: float = 1.0) -> tuple[np.ndarray, float]:
    """``exp(−‖x_i − x_j‖² / (2 (σ·median distance)²))`` and the bandwidth used (Kornblith et al.'s median rule)."""
    D = sq_dists(M)
    iu = np.triu_indices(D.shape[0], 1)
    med = float(np.median(np.sqrt(D[iu]))) if iu[0].size else 0.0
    bw = sigma * med
    if bw <= 0:
        return np.ones_like(D), 0.0
    return np.exp(-D / (2.0 * bw * bw)), bw


def centred_gram(K: np.ndarray) -> np.ndarray:
    return K - K.mean(axis=0, keepdims=True) - K.mean(axis=1, keepdims=True) + K.mean()
