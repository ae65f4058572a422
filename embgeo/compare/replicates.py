"""Bootstrap intervals and permutation-null bands of ``compare``: percentile helpers and the
replicate loops of CKA (through m×m Gram matrices) and of the Procrustes residual."""
from __future__ import annotations

import numpy as np


def quantiles(values, confidence: float):
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        return None, None
    a = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(v, [a, 1.0 - a])
    return float(lo), float(hi)


def scaled_ci(value: float, reps, m: int, n: int, confidence: float):
    """The bootstrap spread put around the estimate: ``value + √(m/n)·(quantiles(rep) − median(rep))``
    (√(m/n) = 1 when the replicates use all rows). Centring on the replicates' median removes their own
    bias (rows drawn twice lower the Procrustes residual and raise biased CKA), so the interval holds the value."""
    lo, hi = quantiles(reps, confidence)
    if lo is None:
        return None, None
    med = float(np.median([x for x in reps if x is not None and np.isfinite(x)]))
    s = np.sqrt(m / n) if m < n else 1.0
    return float(value + s * (lo - med)), float(value + s * (hi - med))


def gram_replicates(K, L, r, n_perm: int, n_boot: int, nulls, boots, *, biased: bool, unbiased: bool, key: str = "cka_linear") -> None:
    """Permutation (rows of Y shuffled) and bootstrap replicates of CKA from m×m Gram matrices.

    A permutation needs one ``Σ K∘L[p][:, p]`` (every other term is invariant or a permuted
    vector). A bootstrap sample with row counts ``w`` gives every HSIC term as a quadratic form
    (``tr(K_b L_b) = wᵀ(K∘L)w``, ``1ᵀK_bL_b1 = Σ w_i (Kw)_i (Lw)_i`` …), so all replicates come
    from a few ``m×m · m×B`` products."""
    m = K.shape[0]
    dk, dl = np.diag(K).copy(), np.diag(L).copy()
    rk, rl = K.sum(axis=1), L.sum(axis=1)
    sk, sl = float(rk.sum()), float(rl.sum())

    def hb(tr, dot_rows, s1, s2, mm):  # tr(KHLH) from its pieces
        return tr - 2.0 * dot_rows / mm + s1 * s2 / (mm * mm)

    def hu(tr_t, s1_t, s2_t, dot_t, mm):  # Song et al. eq. 5 from its pieces (diagonals already removed)
        if mm < 4:
            return float("nan")
        return (tr_t + s1_t * s2_t / ((mm - 1) * (mm - 2)) - 2.0 * dot_t / (mm - 2)) / (mm * (mm - 3))

    kk_b = hb(float(np.vdot(K, K)), float(rk @ rk), sk, sk, m)
    ll_b = hb(float(np.vdot(L, L)), float(rl @ rl), sl, sl, m)
    kt, lt = rk - dk, rl - dl
    kk_u = hu(float(np.vdot(K, K)) - float(dk @ dk), sk - dk.sum(), sk - dk.sum(), float(kt @ kt), m)
    ll_u = hu(float(np.vdot(L, L)) - float(dl @ dl), sl - dl.sum(), sl - dl.sum(), float(lt @ lt), m)
    den_b = np.sqrt(kk_b * ll_b) if kk_b * ll_b > 0 else float("nan")
    den_u = np.sqrt(kk_u * ll_u) if kk_u * ll_u > 0 else float("nan")
    for _ in range(n_perm):
        p = r.permutation(m)
        tr = float(np.vdot(K, L[np.ix_(p, p)]))
        if biased:
            nulls[key].append(hb(tr, float(rk @ rl[p]), sk, sl, m) / den_b)
        if unbiased:
            tr_t = tr - float(dk @ dl[p])
            nulls["cka_linear_unbiased"].append(hu(tr_t, sk - dk.sum(), sl - dl.sum(), float(kt @ lt[p]), m) / den_u)
    if n_boot:
        W = np.stack([np.bincount(r.integers(0, m, m), minlength=m) for _ in range(n_boot)], axis=1).astype(np.float64)  # m × B
        KW, LW = K @ W, L @ W
        q_kl = np.einsum("ib,ib->b", W, (K * L) @ W)
        q_kk = np.einsum("ib,ib->b", W, (K * K) @ W)
        q_ll = np.einsum("ib,ib->b", W, (L * L) @ W)
        s_k = np.einsum("ib,ib->b", W, KW)
        s_l = np.einsum("ib,ib->b", W, LW)
        for b in range(W.shape[1]):
            w = W[:, b]
            kw, lw = KW[:, b], LW[:, b]
            if biased:
                num = hb(q_kl[b], float(w @ (kw * lw)), s_k[b], s_l[b], m)
                d2 = hb(q_kk[b], float(w @ (kw * kw)), s_k[b], s_k[b], m) * hb(q_ll[b], float(w @ (lw * lw)), s_l[b], s_l[b], m)
                boots[key].append(num / np.sqrt(d2) if d2 > 0 else float("nan"))
            if unbiased:
                kt_b, lt_b = kw - dk, lw - dl  # (K̃_b 1) at the rows drawn, by original row
                sk_t, sl_t = s_k[b] - float(w @ dk), s_l[b] - float(w @ dl)
                num = hu(q_kl[b] - float(w @ (dk * dl)), sk_t, sl_t, float(w @ (kt_b * lt_b)), m)
                d2 = (hu(q_kk[b] - float(w @ (dk * dk)), sk_t, sk_t, float(w @ (kt_b * kt_b)), m)
                      * hu(q_ll[b] - float(w @ (dl * dl)), sl_t, sl_t, float(w @ (lt_b * lt_b)), m))
                boots["cka_linear_unbiased"].append(num / np.sqrt(d2) if d2 > 0 else float("nan"))


def nuclear_fast(C: np.ndarray) -> float:
    """``‖C‖_*`` from the eigenvalues of the smaller of CᵀC, CCᵀ (replicates; the point value uses the SVD)."""
    from embgeo.compare.cka import single_thread

    G = C.T @ C if C.shape[1] <= C.shape[0] else C @ C.T
    with single_thread():
        ev = np.linalg.eigvalsh(G)
    return float(np.sqrt(np.clip(ev, 0.0, None)).sum())


def procrustes_replicates(Xr, Yr, r, n_perm: int, n_boot: int, nulls: list, boots: list) -> None:
    """Replicates of ``1 − ‖X̂ᵀŶ‖²_*``: the cross-product of the (re-centred) rows and its singular values. A side
    wider than tall is replaced by its ``m × m`` factor ``F = Xr·V`` (:func:`embgeo.compare.cka.row_factor`): weights,
    re-centring and permutations act on rows, so every cross-product below keeps its singular values."""
    from embgeo.compare.cka import row_factor

    Xr, Yr = row_factor(Xr), row_factor(Yr)
    fx, fy = float(np.sum(Xr * Xr)), float(np.sum(Yr * Yr))
    m = Xr.shape[0]

    def resid(C, a, b):
        nuc = nuclear_fast(C)
        return max(0.0, 1.0 - nuc * nuc / (a * b)) if a * b > 0 else float("nan")

    for _ in range(n_perm):
        p = r.permutation(m)
        nulls.append(resid(Xr.T @ Yr[p], fx, fy))
    for _ in range(n_boot):
        w = np.bincount(r.integers(0, m, m), minlength=m).astype(np.float64)
        mx, my = (w @ Xr) / m, (w @ Yr) / m
        C = (Xr * w[:, None]).T @ Yr - m * np.outer(mx, my)
        a = float(w @ np.einsum("ij,ij->i", Xr, Xr)) - m * float(mx @ mx)
        b = float(w @ np.einsum("ij,ij->i", Yr, Yr)) - m * float(my @ my)
        boots.append(resid(C, a, b))
