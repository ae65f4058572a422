"""LiDAR (the LDA-matrix entropy over augmentations) and DiME (difference of matrix entropies).

LiDAR — Thilak et al. (2023), *LiDAR: sensing linear probing performance in joint embedding
SSL architectures*; reference ``OFSkean/information_flow`` (``compute_LDA_matrix``,
``compute_lidar``). Views ``V`` are ``N`` samples × ``A`` augmentations × ``D``: with class
means ``μ_i`` (over augmentations) and the grand mean ``μ``,

    S_b = (1/N) Σ_i (μ_i − μ)(μ_i − μ)ᵀ
    S_w = (1/(N A)) Σ_i Σ_j (x_ij − μ_i)(x_ij − μ_i)ᵀ + δ I        (δ = 1e-4)
    Σ_LDA = S_w^{−1/2} S_b S_w^{−1/2}

and LiDAR is the α-entropy of the spectrum of ``Σ_LDA`` (eigenvalues > 0, renormalised),
normalised by the reference's ``entropy_normalization`` with ``N`` samples and ``D`` dims.
(The paper reports ``exp`` of the Shannon entropy, an effective rank; ``lidar_rank`` here.)

DiME — Skean et al. (2023), *DiME: maximizing mutual information by a difference of
matrix-based entropies*; ``repitl.difference_of_entropies.doe``: with the Gram matrices
``K_a = A Aᵀ`` and ``K_b = B Bᵀ`` of two views,

    DiME = E_P[ H_α(K_a ∘ P K_b Pᵀ) ] − H_α(K_a ∘ K_b)

(``∘`` the element-wise product, ``P`` a uniformly random permutation; the expectation over
``n_permutations`` seeded permutations, 10 by default), normalised like the entropy. The reference
switches to ``D×D`` covariances when ``N > D``; embgeo always uses the ``N×N`` Gram matrices
of the DiME paper (a permutation of samples, not of features).
"""
from __future__ import annotations

import numpy as np

from embgeo.arguments import check_count, check_number
from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.layers.entropy import check_alpha, check_norm, cloud_matrix, normalise_entropy, spectrum_entropy
from embgeo.validation import as_rng, dtype_hint, from_tensor

DELTA = 1e-4
DIME_PERMUTATIONS = 10


def _views(V) -> np.ndarray:
    """``V`` (N × A × D) as float64: real numbers, no NaN/inf (checked as the N·A × D matrix of its rows)."""
    try:
        V = np.asarray(from_tensor(V))
    except (TypeError, ValueError) as exc:
        raise EmbgeoError(f"views is not a numeric array of samples × augmentations × dims ({exc})") from None
    if V.dtype.kind not in "biuf":
        raise EmbgeoError(f"views has dtype {V.dtype}; expected real numbers", hint=dtype_hint(V.dtype))
    if V.ndim != 3 or V.shape[0] < 2 or V.shape[1] < 2:
        raise EmbgeoError(f"views must be an array of samples × augmentations × dims with at least 2 of each; got shape {V.shape}",
                          hint=f"give at least two views ({param('views')}) of the same rows, or {either('groups', 'a --group column')} with 2+ rows per group")
    # LiDAR depends on the scale (δ·I is added to S_w): values too large for float64 are refused, not rescaled
    return cloud_matrix(V.reshape(-1, V.shape[2]), name="views", rescale=False).reshape(V.shape)


def lda_matrix(V, *, delta: float = DELTA) -> np.ndarray:
    """``S_w^{−1/2} S_b S_w^{−1/2}`` of views ``V`` (N × A × D)."""
    delta = check_number("delta", delta)
    if not (np.isfinite(delta) and delta >= 0):
        raise EmbgeoError(f"{param('delta')} (the ridge added to S_w) must be a number ≥ 0; got {delta!r}", hint=f"e.g. {setting('delta', DELTA)}")
    V = _views(V)
    N, A, D = V.shape
    mu_i = V.mean(axis=1)
    Cb = mu_i - V.mean(axis=(0, 1))
    Sb = Cb.T @ Cb / N
    Cw = (V - mu_i[:, None, :]).reshape(N * A, D)
    Sw = Cw.T @ Cw / (N * A) + delta * np.eye(D)
    ev, U = np.linalg.eigh(Sw)
    W = (U * ev**-0.5) @ U.T
    return W @ Sb @ W


def lidar(V, *, alpha: float = 1.0, norm: str = "maxEntropy", delta: float = DELTA) -> tuple[float, float]:
    """``(normalised entropy of the LDA spectrum, exp(Shannon entropy) = LiDAR's effective rank)``."""
    alpha, norm = check_alpha(alpha), check_norm(norm)
    V = _views(V)
    ev = np.linalg.eigvalsh(lda_matrix(V, delta=delta))
    H = spectrum_entropy(ev, alpha)
    return normalise_entropy(H, norm, V.shape[0], V.shape[2]), float(np.exp(spectrum_entropy(ev, 1.0)))


def dime(A, B, *, alpha: float = 1.0, norm: str = "maxEntropy", n_permutations: int = DIME_PERMUTATIONS, seed=0) -> float:
    """DiME between row-paired views ``A`` and ``B`` (N × D), averaged over ``n_permutations`` seeded permutations."""
    alpha, norm = check_alpha(alpha), check_norm(norm)
    A, B = cloud_matrix(A, name="A", min_rows=2), cloud_matrix(B, name="B", min_rows=2)  # scale-free: normalised entropies
    if A.shape != B.shape:
        raise EmbgeoError(f"DiME needs two views of the same (rows ≥ 2, dims) shape; got {A.shape} and {B.shape}")
    n_permutations = check_count("n_permutations", n_permutations, minimum=1, flag="dime-perms")
    Ka, Kb = A @ A.T, B @ B.T
    H = spectrum_entropy(np.linalg.eigvalsh(Ka * Kb), alpha)
    rng = as_rng(seed)
    Hp = 0.0
    for _ in range(int(n_permutations)):
        p = rng.permutation(Kb.shape[0])
        Hp += spectrum_entropy(np.linalg.eigvalsh(Ka * Kb[np.ix_(p, p)]), alpha) / int(n_permutations)
    return normalise_entropy(Hp - H, norm, A.shape[0], A.shape[1])
