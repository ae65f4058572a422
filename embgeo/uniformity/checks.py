"""Parameter checks of the uniformity family, shared by :mod:`~embgeo.uniformity.core`,
:mod:`~embgeo.uniformity.gap` and :mod:`embgeo.distributed.metrics`.

Each raises an :class:`~embgeo.errors.EmbgeoError` whose one line names the parameter and
what it must be: :func:`check_positive` (a positive finite number) and :func:`check_paired` (two
row-paired sets of the same shape). The confidence level is checked by :func:`embgeo.arguments.check_level`.
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
