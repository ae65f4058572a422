"""Argument checks shared by the library functions (rank, compare, cosine).

Each raises an :class:`~embgeo.errors.EmbgeoError` whose one line names the argument and what it
must be, before anything is computed (never a raw numpy/sklearn error, never a silent truncation):
:func:`check_count` (a whole number with a lower bound), :func:`check_level` (a confidence strictly
between 0 and 1, given as a number), :func:`check_number` (a real number, not text),
:func:`method_list` (a method name, a comma list in one string, or a sequence of names),
:func:`check_attribute` (a numeric attribute, NaN = missing, ±inf refused) and
:func:`check_row_indices` (row numbers inside ``0 … n−1``).

(The checks of data — matrices, rows — are in :mod:`embgeo.validation`; these check the other arguments.)
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.validation import format_rows


def _is_int(value) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_count(name: str, value, *, minimum: int = 0, hint: str | None = None) -> int:
    """``value`` as an int; raises unless it is a whole number (not a float, text or bool) ≥ ``minimum``."""
    if not _is_int(value):
        kind = "a fraction" if isinstance(value, (float, np.floating)) else type(value).__name__
        raise EmbgeoError(f"{name} must be an integer ≥ {minimum}, got {value!r} ({kind})",
                          hint=f"pass a whole number, e.g. {name}={max(minimum, 1)}" + (f"; {hint}" if hint else ""))
    if int(value) < minimum:
        raise EmbgeoError(f"{name} must be an integer ≥ {minimum}, got {int(value)}", hint=hint or f"pass {name} ≥ {minimum}")
    return int(value)


def check_number(name: str, value) -> float:
    """``value`` as a float; raises for text, bools and anything that is not a real number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)) or isinstance(value, np.complexfloating):
        raise EmbgeoError(f"{name} must be a number, got {value!r} ({type(value).__name__})", hint=f"pass a number, e.g. {name}=0.5")
    return float(value)


def check_level(value, name: str = "confidence") -> float:
    """A confidence level as a float strictly inside (0, 1); text (``"0.9"``) and percentages (95) are refused."""
    v = check_number(name, value)
    if not (math.isfinite(v) and 0 < v < 1):  # one message for 0, a negative level and a percentage
        raise EmbgeoError(f"{name} must lie strictly between 0 and 1, got {value!r}", hint="e.g. 0.95 for 95 % intervals")
    return v


def method_list(name: str, methods) -> tuple[str, ...]:
    """``"a"`` / ``"a,b"`` / ``["a", "b,c"]`` → ``("a", "b", "c")`` (a string is one list, never its letters)."""
    if isinstance(methods, str):
        methods = [methods]
    try:
        items = list(methods)
    except TypeError:
        raise EmbgeoError(f"{name} must be a method name, a comma list or a sequence of names, got {methods!r}",
                          hint=f'e.g. {name}="regression" or {name}=("regression", "fewshot")') from None
    out = []
    for item in items:
        if not isinstance(item, str):
            raise EmbgeoError(f"{name} must hold method names (text), got {item!r}", hint=f'e.g. {name}=("regression", "fewshot")')
        out += [m.strip() for m in item.split(",") if m.strip()]
    if not out:
        raise EmbgeoError(f"{name} is empty: no method asked for", hint=f'e.g. {name}="regression"')
    return tuple(out)


def check_attribute(y, n_rows: int, *, attribute: str = "attribute") -> np.ndarray:
    """The attribute ``y`` as float64 (n_rows,): numbers only; NaN marks a missing value, ±inf is refused with its rows."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "biuf":
        try:
            arr = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            sample = next((v for v in arr.reshape(-1) if not isinstance(v, (numbers.Real, np.number)) or isinstance(v, bool)), None)
            sample = sample.item() if isinstance(sample, np.generic) else sample
            raise EmbgeoError(f"attribute '{attribute}' (y) must hold numbers (NaN for a missing value), got {sample!r}",
                              hint="map ordinal labels to numbers first, e.g. {'low': 0, 'mid': 1, 'high': 2}") from None
        if np.asarray(y).dtype.kind in "SU":
            raise EmbgeoError(f"attribute '{attribute}' (y) holds text ({np.asarray(y).dtype}); it must hold numbers",
                              hint="convert it, e.g. np.asarray(y, dtype=float), or map labels to numbers")
    arr = np.asarray(arr, dtype=np.float64).reshape(-1)
    if arr.size != n_rows:
        raise EmbgeoError(f"the attribute has {arr.size} values for {n_rows} rows", hint="give one value per row (NaN for a missing one)")
    inf = np.flatnonzero(np.isinf(arr))
    if inf.size:
        plural = "s" if inf.size > 1 else ""
        raise EmbgeoError(f"attribute '{attribute}' is ±inf on {inf.size} row{plural} (row{plural} {format_rows(inf)}); only NaN marks a missing value",
                          hint="fix those values, or set them to NaN to leave the rows out")
    return arr


def check_row_indices(name: str, rows, n_rows: int) -> np.ndarray:
    """Row numbers (integers in ``0 … n_rows−1``) as int64; fractions and rows out of range are refused."""
    arr = np.asarray(rows).reshape(-1)
    if arr.size and arr.dtype.kind not in "iu":
        bad = arr if arr.dtype.kind not in "f" else arr[~(np.isfinite(arr) & (arr == np.round(arr)))]
        raise EmbgeoError(f"{name} must be integer row numbers, got {bad[0].item()!r}" if bad.size else f"{name} must be integer row numbers (dtype {arr.dtype})",
                          hint=f"pass a list of ints in 0…{n_rows - 1}")
    arr = arr.astype(np.int64)
    out = np.flatnonzero((arr < 0) | (arr >= n_rows))
    if out.size:
        raise EmbgeoError(f"{name} holds row {int(arr[out[0]])}, outside 0…{n_rows - 1} ({out.size} out of range)",
                          hint=f"row numbers count from 0 in the {n_rows} rows of X (negative numbers are not counted from the end)")
    return arr
