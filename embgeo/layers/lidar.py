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

from embgeo.arguments import check_count
from embgeo.errors import EmbgeoError, either, param
from embgeo.layers.entropy import check_alpha, check_norm, normalise_entropy, spectrum_entropy
from embgeo.validation import as_rng

DELTA = 1e-4
DIME_PERMUTATIONS = 10


def _views(V) -> np.ndarray:
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 3 or V.shape[0] < 2 or V.shape[1] < 2:
        raise EmbgeoError(f"views must be an array of samples × augmentations × dims with at least 2 of each; got shape {V.shape}",
                          hint=f"give at least two views ({param('views')}) of the same rows, or {either('groups', 'a --group column')} with 2+ rows per group")
    return V


def lda_matrix(V, *, delta: float = DELTA) -> np.ndarray:
    """``S_w^{−1/2} S_b S_w^{−1/2}`` of views ``V`` (N × A × D)."""
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
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    if A.ndim != 2 or A.shape != B.shape or A.shape[0] < 2:
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
