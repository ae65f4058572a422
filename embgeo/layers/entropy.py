"""Matrix α-entropy of token and sample clouds, with the Layer-by-Layer reference preprocessing.

Skean et al. (2025), *Layer by Layer: uncovering hidden representations in language models*
(ICML), reference code ``OFSkean/information_flow`` (``metric_functions.py``,
``metric_utils.py``). This module follows that code step by step:

1. **rows normalised** (``normalize`` in the reference): centre the cloud (subtract the
   row mean), then divide every row by its L2 norm;
2. **Gram matrix** of the smaller side: ``Z Zᵀ`` (N×N) when ``N ≤ D``, else ``Zᵀ Z`` (D×D);
3. **clamp ≥ 0**: every *entry* of that matrix below 0 is set to 0 (the reference's
   ``torch.clamp(cov, min=0)``; this is an element-wise choice of the reference, not part of
   the paper's definition, and it changes the spectrum);
4. **trace-normalise**: ``K / tr K``;
5. **α-entropy** of the spectrum: the eigenvalues ``> 0`` renormalised to sum 1,
   ``S_α = log(Σ pᵢ^α)/(1 − α)``, ``S_1 = −Σ pᵢ log pᵢ`` (natural log);
6. **normalisation** (``--entropy-norm``): ``maxEntropy`` divides by ``min(log N, log D)``
   (the reference default), ``logN`` by ``log N``, ``logD`` by ``log D``, ``logNlogD`` by
   their product, ``raw`` keeps nats.

*Prompt entropy* is step 1–6 on each text's token cloud (T×D), averaged over texts;
*dataset entropy* is step 2–6 on the matrix of texts pooled as the reference pools them
(each text's tokens normalised by step 1, then averaged over tokens; no second
normalisation). The uncentred entropy of ``embgeo id -m entropy``
(:func:`embgeo.intrinsic.spectral.matrix_entropy`) is a different quantity and keeps its name.
"""
from __future__ import annotations

import math

import numpy as np

from embgeo.errors import EmbgeoError, setting

#: the reference's normalisations (``entropy_normalization``); maxEntropy is its default
ENTROPY_NORMS = ("maxEntropy", "logN", "logD", "logNlogD", "raw")


def check_alpha(alpha: float) -> float:
    if not (isinstance(alpha, (int, float, np.floating)) and math.isfinite(alpha) and alpha > 0):
        raise EmbgeoError(f"alpha must be a positive number; got {alpha!r}", hint=f"use {setting('alpha', 1, '--entropy-alpha')} (Shannon) or e.g. 2")
    return float(alpha)


def check_norm(norm: str) -> str:
    if norm not in ENTROPY_NORMS:
        raise EmbgeoError(f"unknown entropy normalisation {norm!r}", hint=f"use one of {', '.join(ENTROPY_NORMS)}")
    return norm


def reference_normalise(X) -> np.ndarray:
    """Centre the rows of ``X`` (float64) and scale each to unit L2 norm (a zero row stays zero;
    the reference divides by 0 there and gets NaN)."""
    Z = np.asarray(X, dtype=np.float64)
    if Z.ndim != 2:
        raise EmbgeoError(f"expected a 2-D cloud (rows × dims); got shape {Z.shape}")
    Z = Z - Z.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(Z, axis=1, keepdims=True)
    return np.divide(Z, norms, out=np.zeros_like(Z), where=norms > 0)


def spectrum_entropy(eigenvalues, alpha: float = 1.0) -> float:
    """α-entropy (nats) of a spectrum: eigenvalues ``> 0`` renormalised to sum 1 (as the
    reference's ``matrixAlphaEntropy``); NaN when none is positive."""
    ev = np.asarray(eigenvalues, dtype=np.float64)
    ev = ev[ev > 0]
    if ev.size == 0:
        return float("nan")
    p = ev / ev.sum()
    if abs(alpha - 1.0) < 1e-12:
        return float(-np.sum(p * np.log(p)))
    return float(np.log(np.sum(p**alpha)) / (1.0 - alpha))


def normalise_entropy(value: float, norm: str, n: int, d: int) -> float:
    """The reference's ``entropy_normalization(entropy, norm, N, D)``."""
    check_norm(norm)
    if norm == "raw":
        return float(value)
    logn, logd = math.log(n) if n > 1 else float("nan"), math.log(d) if d > 1 else float("nan")
    denom = {"maxEntropy": min(logn, logd), "logN": logn, "logD": logd, "logNlogD": logn * logd}[norm]
    return float(value / denom) if denom and math.isfinite(denom) else float("nan")


def clamped_gram(Z: np.ndarray) -> np.ndarray:
    """Step 2–4: the Gram matrix of the smaller side, entries clamped at 0, divided by its trace."""
    n, d = Z.shape
    K = Z.T @ Z if n > d else Z @ Z.T
    np.maximum(K, 0.0, out=K)
    tr = np.trace(K)
    if not tr > 0:
        return np.full_like(K, np.nan)
    return K / tr


def reference_entropy(X, *, alpha: float = 1.0, norm: str = "maxEntropy", preprocess: bool = True) -> float:
    """Normalised α-entropy of one cloud ``X`` (rows × dims) by steps 1–6 of the module docstring
    (``preprocess=False`` skips step 1, for rows already normalised or pooled)."""
    alpha, norm = check_alpha(alpha), check_norm(norm)
    Z = reference_normalise(X) if preprocess else np.asarray(X, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[0] < 1:
        raise EmbgeoError(f"expected a non-empty 2-D cloud; got shape {np.shape(X)}")
    K = clamped_gram(Z)
    if not np.isfinite(K).all():
        return float("nan")
    H = spectrum_entropy(np.linalg.eigvalsh(K), alpha)
    return normalise_entropy(H, norm, Z.shape[0], Z.shape[1])


def prompt_entropies(clouds, *, alpha: float = 1.0, norm: str = "maxEntropy") -> np.ndarray:
    """Per text: :func:`reference_entropy` of its token cloud (NaN for a text of one token,
    whose centred cloud is zero). Average with ``np.nanmean`` for the prompt entropy."""
    return np.array([reference_entropy(c, alpha=alpha, norm=norm) for c in clouds], dtype=np.float64)


def reference_pool(clouds) -> np.ndarray:
    """Texts pooled as the reference pools them: each token cloud normalised (step 1), then
    the mean over its tokens — one row per text."""
    return np.stack([reference_normalise(c).mean(axis=0) for c in clouds])


def dataset_entropy(pooled, *, alpha: float = 1.0, norm: str = "maxEntropy", preprocess: bool = False) -> float:
    """Dataset entropy: steps 2–6 on the pooled texts (one row each). Pass the output of
    :func:`reference_pool` (the reference), or a pooled matrix with ``preprocess=True`` to
    centre and L2-normalise its rows first (what embgeo does when only pooled rows exist)."""
    return reference_entropy(pooled, alpha=alpha, norm=norm, preprocess=preprocess)
