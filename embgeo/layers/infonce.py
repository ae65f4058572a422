"""InfoNCE between two views of the same samples.

Reference ``OFSkean/information_flow`` (``metric_functions.compute_infonce``; Oord et al.
2018): with rows ``a_i``, ``b_i`` of the two views (pooled, as given) and temperature τ
(default 0.1),

    L = −(1/N) Σ_i log( exp(a_i·b_i/τ) / Σ_j exp(a_i·b_j/τ) )

— the mean cross-entropy of the logits ``A Bᵀ/τ`` against the diagonal. The reference also
reports ``1 − L/log N`` (``mi-lower-bound``): 0 when the matched pair is no more likely than
any other (L = log N), 1 when L = 0.
"""
from __future__ import annotations

import math

import numpy as np

from embgeo.arguments import check_number
from embgeo.errors import EmbgeoError, param, setting
from embgeo.layers.entropy import cloud_matrix

TEMPERATURE = 0.1


def infonce(A, B, *, temperature: float = TEMPERATURE) -> tuple[float, float]:
    """``(L, 1 − L/log N)`` for row-paired views ``A`` and ``B`` (N × D each, N ≥ 2, real numbers, no NaN/inf)."""
    temperature = check_number("temperature", temperature)
    if not (temperature > 0 and math.isfinite(temperature)):
        raise EmbgeoError(f"{param('temperature')} must be positive; got {temperature!r}", hint=f"e.g. {setting('temperature', TEMPERATURE)}")
    # the loss depends on the scale of the dot products: values too large for float64 are refused, not rescaled
    A, B = cloud_matrix(A, name="A", min_rows=2, rescale=False), cloud_matrix(B, name="B", min_rows=2, rescale=False)
    if A.shape != B.shape:
        raise EmbgeoError(f"the two views must have the same (rows, dims) shape; got {A.shape} and {B.shape}",
                          hint="give views with the same rows in the same order")
    n = A.shape[0]
    logits = (A @ B.T) / temperature
    m = logits.max(axis=1, keepdims=True)
    lse = (m[:, 0] + np.log(np.exp(logits - m).sum(axis=1)))
    loss = float(np.mean(lse - np.diag(logits)))
    return loss, 1.0 - loss / math.log(n)
