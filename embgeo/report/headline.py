"""The headline of a report card: the number that decided its verdict (``decided_by``), named, with its interval.

A card leads with the metric its verdict was decided by (read from :func:`embgeo.report.sections.judged`);
where the card usually leads with another number, that number follows as secondary text.
"""
from __future__ import annotations

import numpy as np


def f(v, digits: int = 3) -> str:
    """A number for a card or a sentence (``—`` for None/NaN)."""
    if v is None:
        return "—"
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not np.isfinite(x):
        return "∞" if np.isinf(x) else "—"
    if x != 0 and (abs(x) >= 10 ** (digits + 2) or abs(x) < 10 ** (-digits)):
        return f"{x:.{digits}g}"
    return f"{x:.{digits}f}" if abs(x) < 100 else f"{x:.1f}"


def decided_text(decided: dict, digits: int = 3) -> str:
    """The deciding number of a :func:`judged` row as a card shows it: ``value [ci_low, ci_high]`` (``""`` without a value)."""
    value = decided.get("value")
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return ""
    lo, hi = decided.get("ci_low"), decided.get("ci_high")
    ci = f" [{f(lo, digits)}, {f(hi, digits)}]" if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi) else ""
    return f(value, digits) + ci


def lead(key_label: str, key_value: str, judgement: dict, shown=(), digits: int = 3) -> tuple[str, str]:
    """``(key_label, key_value)`` of a card whose headline is the number that decided its verdict.

    ``shown``: the metric ids the card's own headline already leads with; when the verdict was decided by
    another metric (``judgement`` from :func:`judged`), that metric's number (with its interval, and the
    layer or method it belongs to) leads and the card's own headline follows as secondary text."""
    by, row = judgement.get("decided_by"), judgement.get("decided") or {}
    num = decided_text(row, digits)
    if not by or by in shown or not num:
        return key_label, key_value
    where = ", ".join(f"{k} {row[k]}" for k in ("layer", "method", "variant") if row.get(k) not in (None, ""))
    return f"{by}{f' ({where})' if where else ''}, which decided · {key_label}", f"{num} · {key_value}"


def rank_defaults() -> dict:
    """The keyword defaults of :func:`embgeo.rank.core.rank_axes` (``embgeo rank``'s option defaults)."""
    import inspect

    from embgeo.rank.core import rank_axes

    return {k: p.default for k, p in inspect.signature(rank_axes).parameters.items() if p.default is not inspect.Parameter.empty}


#: what the reembed card calls the metrics its verdict may be decided by
REEMBED_LABELS = {"map_sala": "MAP", "distortion_mean": "mean distortion", "distortion_worst": "worst distortion"}


def reembed_headline(h: dict, e: dict, decided_by: str | None) -> tuple[str, str]:
    """The reembed card's headline: the metric that decided the verdict, ball (h-MDS) vs plane (MDS); MAP follows
    as secondary text when it did not decide."""
    maps = f"{f(h['map_sala'])} vs {f(e['map_sala'])}"
    if not decided_by or decided_by == "map_sala" or decided_by not in h or decided_by not in e:
        return "MAP: ball vs plane", maps
    name = REEMBED_LABELS.get(decided_by, decided_by)
    return f"{name} (decided): ball vs plane", f"{f(h[decided_by])} vs {f(e[decided_by])} (MAP {maps})"


__all__ = ["decided_text", "f", "lead", "rank_defaults", "reembed_headline", "REEMBED_LABELS"]
