"""Argument checks shared by the library functions (rank, compare, cosine, intrinsic, uniformity).

Each raises an :class:`~embgeo.errors.EmbgeoError` whose one line names the argument and what it
must be, before anything is computed (never a raw numpy/sklearn error, never a silent truncation):
:func:`check_count` (a whole number with a lower bound), :func:`check_level` (a confidence strictly
between 0 and 1, given as a number), :func:`check_number` (a real number, not text),
:func:`check_finite_number` (a finite real number, optionally inside bounds), :func:`check_flag` (``True`` or
``False``, never a truthy string),
:func:`method_list` (a method name, a comma list in one string, or a sequence of names),
:func:`check_attribute` (a numeric attribute, NaN = missing, ±inf refused) and
:func:`check_row_indices` (row numbers inside ``0 … n−1``).

The messages name the argument as the caller wrote it (:mod:`embgeo.errors`: :func:`~embgeo.errors.param`,
:func:`~embgeo.errors.setting`, :func:`~embgeo.errors.either`): the keyword argument (``n_bootstrap``)
from Python, the option (``--bootstrap``) while a command runs. Each check takes ``flag``, the option
of the command line that sets the argument, where it is not ``--`` + the name with ``-`` for ``_``; its
leading ``--`` may be left out (``flag="bootstrap"``), which keeps the callers' text free of literal options
(``tests/test_error_surface.py`` scans for them outside ``param``/``setting``/``either``).

(The checks of data — matrices, rows — are in :mod:`embgeo.validation`; these check the other arguments.)
"""
from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.validation import format_rows


def _is_int(value) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _option(flag: str | None) -> str | None:
    """The command line's option for ``flag``: ``"bootstrap"`` and ``"--bootstrap"`` are both ``--bootstrap``."""
    return flag if flag is None or flag.startswith("-") else "--" + flag


def _shown(value):
    """``value`` for a message: a numpy scalar as the plain Python number (``3``, not ``np.int64(3)``)."""
    return value.item() if isinstance(value, np.generic) else value


def check_count(name: str, value, *, minimum: int = 0, hint: str | None = None, flag: str | None = None) -> int:
    """``value`` as an int; raises unless it is a whole number (not a float, text or bool) ≥ ``minimum``.
    ``hint`` (optional) is added to the remedy; ``flag``: the command line's option (see the module)."""
    flag = _option(flag)
    p = param(name, flag)
    if not _is_int(value):
        kind = "a fraction" if isinstance(value, (float, np.floating)) else type(value).__name__
        raise EmbgeoError(f"{p} must be an integer ≥ {minimum}, got {_shown(value)!r} ({kind})",
                          hint=f"pass a whole number, e.g. {setting(name, max(minimum, 1), flag)}" + (f"; {hint}" if hint else ""))
    if int(value) < minimum:
        raise EmbgeoError(f"{p} must be an integer ≥ {minimum}, got {int(value)}", hint=hint or f"pass {p} ≥ {minimum}")
    return int(value)


def check_number(name: str, value, *, flag: str | None = None) -> float:
    """``value`` as a float; raises for text, bools and anything that is not a real number."""
    flag = _option(flag)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)) or isinstance(value, np.complexfloating):
        raise EmbgeoError(f"{param(name, flag)} must be a number, got {_shown(value)!r} ({type(value).__name__})",
                          hint=f"pass a number, e.g. {setting(name, 0.5, flag)}")
    return float(value)


def check_flag(name: str, value, *, flag: str | None = None) -> bool:
    """``value`` as a bool; raises unless it is ``True`` or ``False`` (numpy's bools too). Text (``"False"``, which
    is truthy), numbers and None are refused: a yes/no argument read by its truth value took ``"False"`` as yes."""
    flag = _option(flag)
    if not isinstance(value, (bool, np.bool_)):
        raise EmbgeoError(f"{param(name, flag)} must be True or False, got {_shown(value)!r} ({type(value).__name__})",
                          hint=f"pass {setting(name, True, flag)} or {setting(name, False, flag)}")
    return bool(value)


def check_finite_number(name: str, value, *, flag: str | None = None, low: float | None = None, high: float | None = None,
                        closed: bool = True) -> float:
    """:func:`check_number`, finite, and inside ``[low, high]`` (``(low, high)`` with ``closed=False``) where given."""
    v = check_number(name, value, flag=flag)
    flag = _option(flag)
    inside = math.isfinite(v) and (low is None or (v >= low if closed else v > low)) and (high is None or (v <= high if closed else v < high))
    if not inside:
        lo, hi = ("[", "]") if closed else ("(", ")")
        where = (f"in {lo}{low:g}, {high:g}{hi}" if low is not None and high is not None
                 else f"{'≥' if closed else '>'} {low:g}" if low is not None else f"{'≤' if closed else '<'} {high:g}" if high is not None
                 else "finite")
        raise EmbgeoError(f"{param(name, flag)} must be a finite number {where}, got {_shown(value)!r}")
    return v


def check_level(value, name: str = "confidence", *, flag: str | None = None) -> float:
    """A confidence level as a float strictly inside (0, 1); text (``"0.9"``) and percentages (95) are refused.
    ``name``: the argument (``confidence`` in every public function; the command line's ``flag`` is ``--confidence``)."""
    flag = _option(flag)
    v = check_number(name, value, flag=flag)
    if not (math.isfinite(v) and 0 < v < 1):  # one message for 0, a negative level and a percentage
        raise EmbgeoError(f"{param(name, flag)} must lie strictly between 0 and 1, got {_shown(value)!r}",
                          hint=f"e.g. {setting(name, 0.95, flag)} for 95 % intervals")
    return v


def method_list(name: str, methods, *, flag: str | None = None, examples: tuple[str, str] = ("regression", "fewshot")) -> tuple[str, ...]:
    """``"a"`` / ``"a,b"`` / ``["a", "b,c"]`` → ``("a", "b", "c")`` (a string is one list, never its letters).
    ``examples``: two method names of the caller's family, for the hint."""
    flag = _option(flag)
    a, b = examples
    one = setting(name, a, flag)
    two = either(f'{name}=("{a}", "{b}")', f"{param(name, flag)} {a},{b}")
    if isinstance(methods, str):
        methods = [methods]
    try:
        items = list(methods)
    except TypeError:
        raise EmbgeoError(f"{param(name, flag)} must be a method name, a comma list or a sequence of names, got {methods!r}",
                          hint=f"e.g. {one} or {two}") from None
    out = []
    for item in items:
        if not isinstance(item, str):
            raise EmbgeoError(f"{param(name, flag)} must hold method names (text), got {_shown(item)!r}", hint=f"e.g. {two}")
        out += [m.strip() for m in item.split(",") if m.strip()]
    if not out:
        raise EmbgeoError(f"{param(name, flag)} is empty: no method asked for", hint=f"e.g. {one}")
    return tuple(out)


def check_attribute(y, n_rows: int, *, attribute: str = "attribute", flag: str | None = None) -> np.ndarray:
    """The attribute ``y`` as float64 (n_rows,): numbers only; NaN marks a missing value, ±inf is refused with its rows.
    ``attribute``: the column's name; ``flag``: the option that names the column (default ``--attr``)."""
    flag = _option(flag)
    # from Python: the argument y holding the attribute; on the command line: the column the option names
    what = either(f"attribute '{attribute}' (y)", f"attribute column '{attribute}' ({setting('attr', attribute, flag)})")
    in_file = "in the labels or embeddings file that holds the column"
    arr = np.asarray(y)
    if arr.dtype.kind not in "biuf":
        try:
            arr = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            sample = next((v for v in arr.reshape(-1) if not isinstance(v, (numbers.Real, np.number)) or isinstance(v, bool)), None)
            sample = sample.item() if isinstance(sample, np.generic) else sample
            raise EmbgeoError(f"{what} must hold numbers ({either('NaN', 'an empty cell')} for a missing value), got {sample!r}",
                              hint=either("map ordinal labels to numbers first, e.g. {'low': 0, 'mid': 1, 'high': 2}",
                                          f"fix the values {in_file}: numbers only, ordinal labels mapped to numbers "
                                          "(low → 0, mid → 1, high → 2), an empty cell for a missing value")) from None
        if np.asarray(y).dtype.kind in "SU":
            raise EmbgeoError(f"{what} holds text{either(f' ({np.asarray(y).dtype})', '')}; it must hold numbers",
                              hint=either("convert it, e.g. np.asarray(y, dtype=float), or map labels to numbers",
                                          f"fix the values {in_file}: numbers only, an empty cell for a missing value"))
    arr = np.asarray(arr, dtype=np.float64).reshape(-1)
    if arr.size != n_rows:
        raise EmbgeoError(f"the attribute has {arr.size} values for {n_rows} rows",
                          hint=either("give one value per row (NaN for a missing one)",
                                      "give one value per row of the embeddings (an empty cell for a missing one)"))
    inf = np.flatnonzero(np.isinf(arr))
    if inf.size:
        plural = "s" if inf.size > 1 else ""
        raise EmbgeoError(f"{what} is ±inf on {inf.size} row{plural} (row{plural} {format_rows(inf)}); only {either('NaN', 'an empty cell or NaN')} marks a missing value",
                          hint=either("fix those values, or set them to NaN to leave the rows out",
                                      f"fix those values {in_file}, or empty their cells to leave the rows out"))
    return arr


def check_row_indices(name: str, rows, n_rows: int, *, flag: str | None = None) -> np.ndarray:
    """Row numbers (integers in ``0 … n_rows−1``) as int64; fractions and rows out of range are refused."""
    flag = _option(flag)
    p = param(name, flag)
    arr = np.asarray(rows).reshape(-1)
    if arr.size and arr.dtype.kind not in "iu":
        bad = arr if arr.dtype.kind not in "f" else arr[~(np.isfinite(arr) & (arr == np.round(arr)))]
        raise EmbgeoError(f"{p} must be integer row numbers, got {bad[0].item()!r}" if bad.size else f"{p} must be integer row numbers (dtype {arr.dtype})",
                          hint=either(f"pass a list of ints in 0…{n_rows - 1}", f"give whole row numbers in 0…{n_rows - 1}"))
    arr = arr.astype(np.int64)
    out = np.flatnonzero((arr < 0) | (arr >= n_rows))
    if out.size:
        raise EmbgeoError(f"{p} holds row {int(arr[out[0]])}, outside 0…{n_rows - 1} ({out.size} out of range)",
                          hint=f"row numbers count from 0 in the {n_rows} rows of X (negative numbers are not counted from the end)")
    return arr


def check_attribute_name(name, *, values: str = "y") -> str:
    """``attribute`` where it is the attribute's **name** (``rank_axes``, ``score_axis``, ``rank_layers``):
    text. An array there is the values passed under the name's keyword (in ``cosine_diagnostics`` and
    ``layer_suite``, ``attribute`` is the values and ``attribute_name`` the name): refused, saying so."""
    if isinstance(name, str):
        return name
    arr = np.asarray(name, dtype=object)
    got = f"an array of {arr.size} values" if arr.ndim else f"{_shown(name)!r} ({type(name).__name__})"
    raise EmbgeoError(f"attribute is the attribute's name (text, shown in the verdict and the JSON), got {got}",
                      hint=f"pass the values as {values} and the name as attribute='…'")


def check_attribute_values(values, *, name_param: str = "attribute_name"):
    """``attribute`` where it is the attribute's **values** (``cosine_diagnostics``, ``layer_suite``, ``norms``):
    text there is a column name passed where the values go (in ``rank_axes`` ``attribute`` is the name)."""
    if isinstance(values, str):
        raise EmbgeoError(f"attribute takes the values (one number per row, NaN where missing), got the text {values!r}",
                          hint=f"pass the values as attribute=… and the name as {name_param}={values!r}")
    return values


def env_whole_number(name: str, default: int, *, unit: str, example: str, default_text: str | None = None) -> int:
    """The environment variable ``name`` as a whole number ≥ 0 (``unit``: what it counts), read when used: empty or
    unset gives ``default``; any other value (``1G``, ``1e6``, ``-1``) is refused in one line naming the variable,
    with ``example`` as the fix (nothing is guessed; ``EMBGEO_SPILL_BYTES``, ``EMBGEO_SMALL_BLAS_ENTRIES``)."""
    import os
    from shlex import quote

    raw = os.environ.get(name, "")
    value = raw.strip()
    if not value:
        return int(default)
    if value.isascii() and value.isdigit():
        return int(value)
    # the source is the environment, not the file being read (a reader would otherwise name its file)
    raise EmbgeoError(f"{name}={quote(raw)} is not a whole number of {unit}", source="environment",
                      hint=f"set it to a whole number, e.g. {name}={example}, or unset it for the default {default_text or default}")


class _DefaultInt(int):
    __slots__ = ()


class _DefaultFloat(float):
    __slots__ = ()


class _DefaultStr(str):
    __slots__ = ()


_DEFAULTS = {int: _DefaultInt, float: _DefaultFloat, str: _DefaultStr}


def keyword_default(value):
    """A keyword's default that the shim of a renamed keyword can tell from the same value given: it equals,
    hashes, prints and computes as ``value`` (an int, float or str), and :func:`given` is False for it alone.
    So ``f(k=10, knn_neighbors=5)`` is "both given" (an error), while ``f(knn_neighbors=5)`` reads 5."""
    return _DEFAULTS[type(value)](value)


def given(value) -> bool:
    """False only for a :func:`keyword_default` left in place: the caller did not pass the keyword."""
    return not isinstance(value, (_DefaultInt, _DefaultFloat, _DefaultStr))


def renamed_keyword(where: str, old: str, old_value, new: str, new_value):
    """The value of keyword ``new`` of ``where``, or of its former name ``old`` when only that was given (a
    DeprecationWarning pointing at the caller); both given (neither None) is an error, whatever the values."""
    if old_value is None:
        return new_value
    if new_value is not None:
        raise EmbgeoError(f"{old} is the former name of {new}; both were given ({old_value!r}, {new_value!r})", hint=f"give {new}= only")
    import warnings

    warnings.warn(f"{where}({old}=) is now {new}=", DeprecationWarning, stacklevel=_caller_outside_embgeo())
    return old_value


def _caller_outside_embgeo() -> int:
    """The ``stacklevel`` of the first frame outside the embgeo package: the user's call, also when it
    reached :func:`renamed_keyword` through decorators or wrappers (a warning attributed to a frame inside
    embgeo is hidden by Python's default filters)."""
    import os
    import sys

    root = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(1), 1  # the caller of this helper (renamed_keyword) is stacklevel 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(root):
        frame, level = frame.f_back, level + 1
    return level


def renamed_attribute(owner: str, old: str, new: str) -> property:
    """A read-only property ``old`` of a result that reads its attribute ``new`` with a DeprecationWarning
    (the attributes are named as the JSON keys: ``confidence`` and ``n_bootstrap`` for the ``bootstrap`` key)."""
    def get(self):
        import warnings

        warnings.warn(f"{owner}.{old} is now .{new}", DeprecationWarning, stacklevel=2)
        return getattr(self, new)

    return property(get, doc=f"The former name of ``{new}`` (DeprecationWarning).")


def former_keywords(owner: str, **renamed: str):
    """A class decorator for a result dataclass whose fields were renamed as their JSON keys: its constructor
    still takes each former keyword (``old="new"``) with a DeprecationWarning (:func:`renamed_keyword`;
    both given is an error). The former names read the fields through :func:`renamed_attribute`."""
    def wrap(cls):
        init = cls.__init__

        @functools.wraps(init)
        def __init__(self, *args, **kwargs):
            for old, new in renamed.items():
                if old in kwargs:
                    kwargs[new] = renamed_keyword(owner, old, kwargs.pop(old), new, kwargs.pop(new, None))
            init(self, *args, **kwargs)

        cls.__init__ = __init__
        return cls

    return wrap
