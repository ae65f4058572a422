"""Parameter checks of the uniformity family, shared by :mod:`~embgeo.uniformity.core`,
:mod:`~embgeo.uniformity.gap` and :mod:`embgeo.distributed.metrics`.

Each raises an :class:`~embgeo.errors.EmbgeoError` whose one line names the parameter and
what it must be: :func:`check_positive` (a positive finite number), :func:`check_paired` (two
row-paired sets of the same shape), :func:`check_names` (one name per input, as text; ``compare`` uses it
too) and :func:`check_n_pairs` (the sample of pairs, refused beside ``mode="exact"``, which draws none).
The confidence level is checked by :func:`embgeo.arguments.check_level`.
"""
from __future__ import annotations

import math

import numpy as np

from embgeo.errors import EmbgeoError, param, setting


def check_positive(name: str, value, *, flag: str | None = None) -> float:
    """``value`` as a float; raises unless it is a positive finite number (the message names ``name``).
    A bool or a string is not a number here (``t=True`` and ``t="2"`` were read as 1 and 2).
    ``flag``: the command line's option for ``name`` where it is not ``--`` + the name (its leading ``--``
    may be left out; :func:`embgeo.errors.flag_of`): the message names ``--t 0`` there, ``t=0`` from Python."""
    p = param(name, flag)
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise EmbgeoError(f"{p} must be a positive number, got {value!r} ({type(value).__name__})", hint=f"give {p} a finite number above 0")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise EmbgeoError(f"{p} must be a positive number, got {value!r}", hint=f"give {p} a finite number above 0") from None
    if not (math.isfinite(v) and v > 0):
        shown = int(v) if math.isfinite(v) and v.is_integer() else v  # --t 0, not --t 0.0
        raise EmbgeoError(f"{p} must be a positive finite number, got {setting(name, shown, flag)}", hint=f"give {p} a finite number above 0")
    return v


def check_paired(X: np.ndarray, Y: np.ndarray, *, names: tuple[str, str] = ("X", "Y")) -> None:
    """Raise unless ``X`` and ``Y`` have the same number of rows and of columns."""
    (nx, dx), (ny, dy) = X.shape, Y.shape
    if nx != ny:
        raise EmbgeoError(
            f"{names[0]} has {nx} rows but {names[1]} has {ny}; paired sets need the same rows in the same order",
            hint="row i of both inputs must describe the same item",
        )
    if dx != dy:
        raise EmbgeoError(
            f"{names[0]} has {dx} columns but {names[1]} has {dy}; paired sets must live in the same space",
            hint="use embeddings of the same model/projection head",
        )


def check_names(names, count: int = 2) -> tuple[str, ...]:
    """``names`` as ``count`` strings (a path is its text); a string (``"AB"`` is not the names ``A`` and ``B``),
    a non-sequence, a wrong count or a name that is not text is refused naming ``names``."""
    import os

    example = "names=(" + ", ".join(repr(c) for c in "XYZ"[:count]) + ")" if count <= 3 else f"names=[...] ({count} names)"
    items = None if isinstance(names, (str, bytes)) else names
    try:
        items = None if items is None else list(items)
    except TypeError:
        items = None
    if items is None:
        raise EmbgeoError(f"names must be a sequence of {count} names (text), one per input, got {names!r} ({type(names).__name__})",
                          hint=f"e.g. {example}")
    if len(items) != count:
        raise EmbgeoError(f"names holds {len(items)} name{'s' if len(items) != 1 else ''} for {count} inputs", hint=f"give one name per input, e.g. {example}")
    bad = next((v for v in items if not isinstance(v, (str, os.PathLike))), None)
    if bad is not None:
        raise EmbgeoError(f"names must hold text, got {bad!r} ({type(bad).__name__})", hint=f"e.g. {example}")
    return tuple(os.fspath(v) if isinstance(v, os.PathLike) else str(v) for v in items)


def check_n_pairs(n_pairs, mode: str, default: int) -> int:
    """``n_pairs`` as an int ≥ 2; refused when ``mode="exact"`` was asked for with a size other than ``default``:
    exact mode uses every pair and draws none, so the size would be ignored. (``mode="auto"`` samples above its
    exact limit, so any size is taken there; the command line refuses ``--n-pairs`` beside ``--mode exact`` itself.)"""
    from embgeo.arguments import check_count

    n_pairs = check_count("n_pairs", n_pairs, minimum=2)
    if mode == "exact" and n_pairs != default:
        raise EmbgeoError(f"{setting('n_pairs', n_pairs)} sizes the sample of pairs, but {setting('mode', 'exact')} uses every pair: "
                          "it would be ignored", hint=f"drop {param('n_pairs')}, or use {setting('mode', 'sample')}")
    return n_pairs
