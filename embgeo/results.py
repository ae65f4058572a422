"""The result protocol shared by every analysis.

Each analysis returns a frozen ``@dataclass(slots=True)`` that subclasses
:class:`Result`. ``to_dict()`` gives a JSON-safe dict (numpy scalars become
Python numbers, arrays become lists, NaN/inf become ``None``); ``table()``
gives ``(columns, rows)`` for the one renderer in the command line. The
defaults below work for flat results; nested results override ``table``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

#: version of the JSON layout; bump when a key is renamed or removed
SCHEMA_VERSION = 1


def jsonable(obj: Any) -> Any:
    """Convert ``obj`` into something ``json.dumps`` accepts (NaN/inf → None)."""
    if isinstance(obj, Result):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, (str, int)) or obj is None:
        return obj
    return str(obj)


def flatten(d: dict, prefix: str = "") -> dict:
    """Flatten nested dicts into dotted keys (lists are kept when short and scalar)."""
    out: dict = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


class Result:
    """Mixin for result dataclasses (declare them ``frozen=True, slots=True``)."""

    __slots__ = ()

    def to_dict(self) -> dict:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """Rows for a table: by default one ``metric | value`` row per scalar field."""
        rows = []
        for key, value in flatten(self.to_dict()).items():
            if isinstance(value, list) and (len(value) > 12 or any(isinstance(v, (list, dict)) for v in value)):
                continue  # long arrays belong in JSON, not a table
            rows.append([key, value])
        return ["metric", "value"], rows

    def to_frame(self):
        """The result's table as a ``pandas.DataFrame`` (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            from embgeo.errors import MissingExtraError

            raise MissingExtraError("pandas", "frame", feature="to_frame()") from None
        columns, rows = self.table()
        return pd.DataFrame([list(r) for r in rows], columns=list(columns))

    def _repr_html_(self) -> str:
        """A notebook view: the result's table as HTML (every cell escaped)."""
        import html

        columns, rows = self.table()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in r) + "</tr>" for r in rows
        )
        return f"<table><caption>{html.escape(type(self).__name__)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list):
        return ", ".join(_cell(x) for x in v)
    return "" if v is None else str(v)
