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

from embgeo.arguments import check_flag
from embgeo.errors import EmbgeoError, param, setting

#: the reference's normalisations (``entropy_normalization``); maxEntropy is its default
ENTROPY_NORMS = ("maxEntropy", "logN", "logD", "logNlogD", "raw")


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """The entropy order α as a float > 0; ``name``: the keyword the caller used (``--entropy-alpha`` on the command line)."""
    if isinstance(alpha, (bool, np.bool_)) or not (isinstance(alpha, (int, float, np.integer, np.floating)) and math.isfinite(alpha) and alpha > 0):
        raise EmbgeoError(f"{param(name, '--entropy-alpha')} must be a positive number; got {alpha!r}",
                          hint=f"use {setting(name, 1, '--entropy-alpha')} (Shannon) or e.g. 2")
    return float(alpha)


def check_norm(norm: str, name: str = "norm") -> str:
    """The entropy normalisation, one of :data:`ENTROPY_NORMS`; ``name``: the keyword the caller used."""
    if not isinstance(norm, str) or norm not in ENTROPY_NORMS:
        raise EmbgeoError(f"unknown entropy normalisation {norm!r} ({param(name, '--entropy-norm')})", hint=f"use one of {', '.join(ENTROPY_NORMS)}")
    return norm


def cloud_matrix(X, *, name: str = "X", min_rows: int = 1, rescale: bool | None = True) -> np.ndarray:
    """``X`` checked by :func:`embgeo.validation.as_matrix` as a float64 matrix of at least ``min_rows`` rows: text,
    complex, object, 1-D or 3-D input and NaN/inf rows are refused in one line naming ``name`` (and the rows).
    ``rescale``: as in ``as_matrix`` (True where the metric is scale-free, False where it depends on the scale)."""
    from embgeo.validation import as_matrix

    M = as_matrix(X, name=name, min_rows=min_rows, dtype=np.float64, allow_nonfinite=True, rescale=rescale)
    if not np.isfinite(M).all():  # (one cheap test; the scan that names the rows only when it fails)
        as_matrix(M, name=name, min_rows=min_rows, dtype=np.float64, rescale=None)
    return M


def reference_normalise(X) -> np.ndarray:
    """Centre the rows of ``X`` (float64) and scale each to unit L2 norm (a zero row stays zero;
    the reference divides by 0 there and gets NaN)."""
    return _normalise(cloud_matrix(X))


def _normalise(Z: np.ndarray) -> np.ndarray:
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
    """Normalised α-entropy of one cloud ``X`` (rows × dims, at least one row; NaN/inf refused) by steps 1–6 of
    the module docstring (``preprocess=False`` skips step 1, for rows already normalised or pooled)."""
    alpha, norm, preprocess = check_alpha(alpha), check_norm(norm), check_flag("preprocess", preprocess)
    return _entropy(cloud_matrix(X), alpha, norm, preprocess)


def _entropy(X: np.ndarray, alpha: float, norm: str, preprocess: bool) -> float:
    """:func:`reference_entropy` of a checked float64 matrix."""
    Z = _normalise(X) if preprocess else X
    K = clamped_gram(Z)
    if not np.isfinite(K).all():
        return float("nan")
    H = spectrum_entropy(np.linalg.eigvalsh(K), alpha)
    return normalise_entropy(H, norm, Z.shape[0], Z.shape[1])


def prompt_entropies(clouds, *, alpha: float = 1.0, norm: str = "maxEntropy") -> np.ndarray:
    """Per text: :func:`reference_entropy` of its token cloud (NaN for a text of one token,
    whose centred cloud is zero). Average with ``np.nanmean`` for the prompt entropy."""
    alpha, norm = check_alpha(alpha), check_norm(norm)
    return np.array([_entropy(cloud_matrix(c, name=f"text {i}"), alpha, norm, True) for i, c in enumerate(clouds)], dtype=np.float64)


def reference_pool(clouds) -> np.ndarray:
    """Texts pooled as the reference pools them: each token cloud normalised (step 1), then
    the mean over its tokens — one row per text."""
    return np.stack([_normalise(cloud_matrix(c, name=f"text {i}")).mean(axis=0) for i, c in enumerate(clouds)])


def dataset_entropy(pooled, *, alpha: float = 1.0, norm: str = "maxEntropy", preprocess: bool = False) -> float:
    """Dataset entropy: steps 2–6 on the pooled texts (one row each). Pass the output of
    :func:`reference_pool` (the reference), or a pooled matrix with ``preprocess=True`` to
    centre and L2-normalise its rows first (what embgeo does when only pooled rows exist)."""
    alpha, norm, preprocess = check_alpha(alpha), check_norm(norm), check_flag("preprocess", preprocess)
    return _entropy(cloud_matrix(pooled, name="pooled"), alpha, norm, preprocess)
