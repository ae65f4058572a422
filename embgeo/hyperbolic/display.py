"""How the hyperbolic family shows a distortion that is infinite: one way in every command.

Internal helpers of the family (not in ``__all__``). A mean or worst-case distortion is
infinite when two points at positive graph distance share a point of the embedding (the
worst case divides by 0), or when float64 coordinates sit on the ball's boundary (infinitely
far apart). Every hyperbolic command (``train``/``eval``, ``combinatorial``, ``hmds``,
``reembed``) shows it the same way:

- table (``-f table``, ``-f md``): :data:`INFINITE` (``∞ (see notes)``) and a note saying why;
- JSON: ``null`` (as every non-finite number) and the same note;
- CSV: an empty value.
"""
from __future__ import annotations

import math

#: the table cell of an infinite distortion
INFINITE = "∞ (see notes)"


def is_infinite(value) -> bool:
    try:
        return math.isinf(float(value))
    except (TypeError, ValueError):
        return False


def shown(value):
    """The table form of a number: :data:`INFINITE` when it is infinite, else the value itself."""
    return INFINITE if not isinstance(value, bool) and is_infinite(value) else value


def infinite_note(why: str, *, mean=None, worst=None, of: str = "") -> str | None:
    """``"worst-case distortion is infinite: {why}"`` (or ``mean``, or both) when one is; else None."""
    names = [n for n, v in (("mean", mean), ("worst-case", worst)) if is_infinite(v)]
    if not names:
        return None
    what = " and ".join(names) + " distortion" + (f" of {of}" if of else "")
    return f"{what} {'are' if len(names) > 1 else 'is'} infinite: {why}"
