"""Text numbers and float32: which parsed values survive float32 (docs/formats.md, *Precision*).

A text format is parsed in float64 and kept as float32 only when no value is written with more
than 9 significant digits (:func:`needs_float64`) and every value survives the conversion
(:func:`fits_float32`); a float32 pass that meets a longer value raises :class:`NeedFloat64` and
the file is parsed again in float64.
"""
from __future__ import annotations

import re

import numpy as np

_SIG10 = re.compile(r"[1-9]\d{8}\d*?[1-9]")  # searched in the text with its decimal points removed
_F32 = np.finfo(np.float32)


class NeedFloat64(Exception):
    """Raised inside a float32 pass when a value needs float64; the file is parsed again."""


def needs_float64(text: str) -> bool:
    """Does ``text`` write a number with more than 9 significant digits (more than float32 holds)?"""
    return _SIG10.search(text.replace(".", "")) is not None


def fits_float32(values: np.ndarray) -> bool:
    """Do all finite float64 ``values`` survive float32? No inf, no 0 and no subnormal from a nonzero,
    and every value keeps its digits: rounded to float32 and printed with as many significant digits
    as it has, it gives the same number back (``0.1`` and ``0.123456791`` do; ``16777217``, which
    float32 stores as 16777216, does not). Values are written with at most 9 significant digits here
    (:func:`needs_float64` sends longer ones to float64 first)."""
    a = np.abs(values[np.isfinite(values)])
    if a.size == 0:
        return True
    nz = a[a > 0]
    if not (a.max() <= _F32.max and (nz.size == 0 or nz.min() >= _F32.tiny)):
        return False
    return _keeps_digits(nz)


def _keeps_digits(a: np.ndarray) -> bool:
    """Do the positive normal-range float64 values ``a`` (each with at most 9 significant digits) keep
    their digits through float32? A value with ``k`` significant digits does when float32 moves it by
    less than half a unit of its ``k``-th digit, or by exactly half a unit when that digit is even
    (printing rounds a tie to even)."""
    err = np.abs(a.astype(np.float32).astype(np.float64) - a)
    moved = err > 0
    if not moved.any():
        return True
    a, err = a[moved], err[moved]
    e = np.floor(np.log10(a))  # the decimal exponent: 10**e <= a < 10**(e + 1)
    e += a >= 10.0 ** (e + 1)
    e -= a < 10.0 ** e
    tol = 1e-6  # relative: covers the float64 rounding of the parsed text
    close = err >= 0.5 * 10.0 ** (e - 8) * (1 - tol)  # the others are within half a unit of the 9th digit: they survive
    if not close.any():
        return True
    a, err, e = a[close], err[close], e[close]
    half, sig = np.empty_like(a), np.zeros_like(a)
    todo = np.ones(a.shape, dtype=bool)
    for k in (6, 7, 8, 9):  # the fewest significant digits that write the value
        m = a[todo] * 10.0 ** (k - 1 - e[todo])
        # a value with more digits leaves at least 0.001 (k = 6) in m; float64 error in m is below 1e-8
        hit = np.abs(m - np.rint(m)) < 1e-5 if k < 9 else np.ones(m.shape, dtype=bool)
        exact = np.zeros_like(todo)
        exact[todo] = hit
        # up to 6 digits always survive (float32 holds 6 decimal digits: the error is < 6e-8 of the value)
        half[exact] = np.inf if k == 6 else 0.5 * 10.0 ** (e[exact] - k + 1)
        sig[exact] = np.rint(m[hit])
        todo &= ~exact
    below = err < half * (1 - tol)
    tie = ~below & (err <= half * (1 + tol))
    return bool((below | (tie & (sig % 2 == 0))).all())


__all__ = ["NeedFloat64", "fits_float32", "needs_float64"]
