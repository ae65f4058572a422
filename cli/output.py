"""The one renderer: a rich table on a terminal, or ``--format json|csv|md|table``.

Data goes to stdout (or atomically to ``--out FILE``); messages go to stderr.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Any

from embgeo._version import __version__

# numpy-backed helpers (embgeo.results, embgeo.io.writers) are imported inside the
# functions below, so that `embgeo --help` never loads numpy


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


SUFFIX_FORMATS = {".json": Format.json, ".csv": Format.csv, ".md": Format.md, ".txt": Format.table}


def resolve_format(fmt: Format | None, out: Path | None) -> Format:
    if fmt is not None:
        return fmt
    if out is not None and out.suffix.lower() in SUFFIX_FORMATS:
        return SUFFIX_FORMATS[out.suffix.lower()]
    return Format.table


def _cell(v: Any, *, exact: bool = False) -> str:
    """A table cell: floats to 6 significant digits, or (``exact``, for CSV) the shortest repr that round-trips."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) or type(v).__name__ in ("float32", "float16", "float64"):
        v = float(v)
        if v != v:
            return "nan"
        return repr(v) if exact else f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_cell(x, exact=exact) for x in v)
    return str(v)


def payload(command: str, data: dict) -> dict:
    """The JSON document of a command: schema version first, then the result keys."""
    from embgeo.results import SCHEMA_VERSION, jsonable

    return {"schema": f"embgeo.{command}/{SCHEMA_VERSION}", "embgeo_version": __version__, **jsonable(data)}


def render_text(fmt: Format, *, command: str, data: dict, columns: list[str], rows: list[list[Any]], title: str | None = None, notes: list[str] | None = None, width: int | None = None) -> str:
    if fmt is Format.json:
        return json.dumps(payload(command, data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt is Format.csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(v, exact=True) for v in r])
        return buf.getvalue()
    if fmt is Format.md:
        esc = lambda s: _cell(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
        lines = []
        if title:
            lines += [f"**{esc(title)}**", ""]
        lines.append("| " + " | ".join(esc(c) for c in columns) + " |")
        lines.append("|" + "|".join("---" for _ in columns) + "|")
        lines += ["| " + " | ".join(esc(v) for v in r) + " |" for r in rows]
        if notes:
            lines += [""] + [f"- {esc(n)}" for n in notes]
        return "\n".join(lines) + "\n"
    # table
    from rich.console import Console
    from rich.table import Table
    from rich.markup import escape

    table = Table(title_justify="left")
    for c in columns:
        table.add_column(escape(str(c)), overflow="fold")
    for r in rows:
        table.add_row(*[escape(_cell(v)) for v in r])
    buf = io.StringIO()
    if title:  # on its own line: a title inside the table would wrap (mid-path) to the table's width
        buf.write(title + "\n")
    con = Console(file=buf, width=width or 120, force_terminal=False, color_system=None, highlight=False)
    con.print(table)
    for n in notes or []:
        con.print(escape(n), soft_wrap=True)
    return buf.getvalue()


def emit(*, command: str, data: dict, columns: list[str], rows: list[list[Any]], fmt: Format | None, out: Path | None, title: str | None = None, notes: list[str] | None = None) -> None:
    """Render once and write to ``out`` (atomically) or stdout."""
    fmt = resolve_format(fmt, out)
    if out is None and fmt is Format.table and sys.stdout.isatty():
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        con = Console()
        table = Table(title=escape(title) if title else None, title_justify="left")
        for c in columns:
            table.add_column(escape(str(c)), overflow="fold")
        for r in rows:
            table.add_row(*[escape(_cell(v)) for v in r])
        con.print(table)
        for n in notes or []:
            con.print(f"[dim]{escape(n)}[/dim]")
        return
    text = render_text(fmt, command=command, data=data, columns=columns, rows=rows, title=title, notes=notes)
    if out is not None:
        from embgeo.io.writers import write_text

        write_text(out, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
