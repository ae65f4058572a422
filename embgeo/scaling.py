"""Numbers at any scale: row norms and unit rows that neither overflow nor underflow (a power-of-two
rescale, exact), results computed on a rescaled matrix brought back to the data's units
(:func:`unscale`, :func:`representable`), and the errors of an analysis that depends on the scale
(split from :mod:`embgeo.validation`, which re-exports these names)."""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError


def tiny_rows_error(name: str, rows: np.ndarray, largest: float, dtype) -> EmbgeoError:
    """The error for rows that are not all zero but too small, next to the largest row of their matrix
    (norm ``largest``), to be L2-normalised in ``dtype`` (their squares underflow): a norm of 0 is not theirs."""
    from embgeo.validation import format_rows

    k = int(np.size(rows))
    s = "s" if k > 1 else ""
    return EmbgeoError(
        f"row{s} {format_rows(np.asarray(rows))} {'are' if k > 1 else 'is'} not zero but so much smaller than the largest rows "
        f"(norm {largest:.3g}) that {'their' if k > 1 else 'its'} squares underflow {np.dtype(dtype)}: "
        f"{'they' if k > 1 else 'it'} cannot be L2-normalised here",
        source=name, hint="the rows' scales differ by more than the number type holds: rescale or drop the extreme rows",
    )


def scale_error(name: str, X, exponent: int, *, hint: str | None = None) -> EmbgeoError:
    """The error of an analysis that depends on the scale, on data whose squares over- or underflow
    (``exponent``: what :func:`scale_exponent` asked for, < 0 for too large values)."""
    from embgeo.validation import abs_max

    dtype = np.dtype(getattr(X, "dtype", np.float64))
    largest = abs_max(X) if np.ndim(X) == 2 else float(np.max(np.abs(X)))
    return EmbgeoError(
        f"{name} holds values whose squares {'overflow' if exponent < 0 else 'underflow'} {dtype} "
        f"(largest |value| {largest:.3g}); squared norms and distances would be {'inf' if exponent < 0 else '0'}",
        hint=hint or "rescale the data (this analysis depends on the scale, so embgeo does not rescale it for you)",
    )


def unscale(value: float, exponent: int, power: float = 1.0) -> float:
    """``value · 2**(−exponent·power)``: a result computed on ``X · 2**exponent`` (:func:`as_scaled_matrix`)
    in the units of ``X`` — ``power`` 1 for a distance, 2 for a squared distance, α for a mean of
    distances to the α. Exact (a power of two) whenever ``exponent·power`` is a whole number and the
    result is a normal float; ``inf`` or a subnormal/zero result means it is out of the float range
    (:func:`representable` says so)."""
    import math

    e = -float(exponent) * float(power)
    if not e:
        return float(value)
    whole = math.floor(e)
    v = float(value) * 2.0 ** (e - whole)  # the fractional power (1 when exponent·power is whole)
    if not math.isfinite(v) or v == 0:
        return v
    try:
        return math.ldexp(v, int(whole))  # a subnormal or 0 when it underflows
    except OverflowError:
        return math.copysign(math.inf, v)


def representable(value: float, scaled: float) -> bool:
    """Whether ``value`` (from :func:`unscale` of ``scaled``) kept the full precision of ``scaled``:
    finite, and a normal float unless both are 0."""
    import math

    if not math.isfinite(value):
        return not math.isfinite(scaled)
    if scaled == 0:
        return True
    return abs(value) >= float(np.finfo(np.float64).tiny)


#: rows whose largest |value| lies outside [2⁻⁵⁰⁰, 2⁵⁰⁰] have their norm taken on a power-of-two rescaled copy
_NORM_SAFE = (2.0**-500, 2.0**500)


def _extreme_rows(B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a float64 block whose squares would over- or underflow (finite, not all zero), and the
    binary exponent of each one's largest ``|value|``."""
    top = np.max(np.abs(B), axis=1, initial=0.0)
    lo, hi = _NORM_SAFE
    rows = np.flatnonzero(np.isfinite(top) & (top > 0) & ((top < lo) | (top > hi)))
    return rows, np.frexp(top[rows])[1]


def row_norms(B: np.ndarray) -> np.ndarray:
    """The L2 norm of each row of a block, in float64, correct at any scale: a row whose squares would
    overflow (values ≳ 1e150) or underflow (≲ 1e-150) is scaled by a power of two first and its norm
    scaled back (both exact); every other row gets ``sqrt(Σ x²)`` as always. NaN or inf for a row with
    NaN or inf; inf for a finite row whose norm is beyond float64."""
    B = np.asarray(B, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", B, B))
    rows, e = _extreme_rows(B)
    if rows.size:
        R = np.ldexp(B[rows], -e[:, None])
        norms[rows] = np.ldexp(np.sqrt(np.einsum("ij,ij->i", R, R)), e)
    return norms


def unit_rows(B: np.ndarray) -> np.ndarray:
    """The rows of a float64 block divided by their L2 norms, at any scale (rows whose squares would over-
    or underflow are scaled by a power of two first: ``x/‖x‖`` is unchanged by it); all-zero rows stay zero.
    Bit for bit ``B / norms`` on rows of ordinary scale."""
    B = np.array(B, dtype=np.float64)
    rows, e = _extreme_rows(B)
    if rows.size:
        B[rows] = np.ldexp(B[rows], -e[:, None])
    norms = np.sqrt(np.einsum("ij,ij->i", B, B))
    norms[norms == 0] = 1.0
    B /= norms[:, None]
    return B
