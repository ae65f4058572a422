"""The one renderer: a rich table on a terminal, or ``--format json|csv|md|table``.

Data goes to stdout (or atomically to ``--out FILE``); messages go to stderr.
"""
from __future__ import annotations

import csv
import io
import json
import os
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


def _stdout_dash(out: Path | None) -> Path | None:
    """``--out -`` is standard output: read as no ``--out`` at all (None), every other value as it is."""
    return None if out is not None and str(out) == "-" else out


def resolve_format(fmt: Format | None, out: Path | None) -> Format:
    out = _stdout_dash(out)
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
    from embgeo.results import jsonable, schema_id

    return {"schema": schema_id(command), "embgeo_version": __version__, **jsonable(data)}


def render_text(fmt: Format, *, command: str, data: dict, columns: list[str], rows: list[list[Any]], title: str | None = None, notes: list[str] | None = None, width: int | None = None, tables: list | None = None) -> str:
    """``tables`` (``[(caption, columns, rows), …]``, table/md only) replaces ``columns, rows`` with several tables, each under its caption."""
    tables = tables or [(None, columns, rows)]
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
        for i, (caption, columns, rows) in enumerate(tables):
            if i:
                lines.append("")
            if caption:
                lines += [f"*{esc(caption)}*", ""]
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

    buf = io.StringIO()
    if title:  # on its own line: a title inside the table would wrap (mid-path) to the table's width
        buf.write(title + "\n")
    con = Console(file=buf, width=width or 120, force_terminal=False, color_system=None, highlight=False)
    for caption, columns, rows in tables:
        table = Table(title_justify="left")
        for c in columns:
            table.add_column(escape(str(c)), overflow="fold")
        for r in rows:
            table.add_row(*[escape(_cell(v)) for v in r])
        if caption:
            con.print(escape(caption), soft_wrap=True)
        con.print(table)
    for n in notes or []:
        con.print(escape(n), soft_wrap=True)
    return buf.getvalue()


def emit(*, command: str, data: dict, columns: list[str], rows: list[list[Any]], fmt: Format | None, out: Path | None, title: str | None = None, notes: list[str] | None = None, tables: list | None = None) -> None:
    """Render once and write to ``out`` (atomically) or stdout (``-`` too; ``tables``: see :func:`render_text`)."""
    out = _stdout_dash(out)
    fmt = resolve_format(fmt, out)
    if out is None and fmt is Format.table and sys.stdout.isatty():
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        con = Console()
        if title and tables:  # several tables: the title once, above the first caption
            con.print(escape(title), soft_wrap=True)
        for caption, cols, body in tables or [(None, columns, rows)]:
            table = Table(title=escape(title) if title and not tables else None, title_justify="left")
            for c in cols:
                table.add_column(escape(str(c)), overflow="fold")
            for r in body:
                table.add_row(*[escape(_cell(v)) for v in r])
            if caption:
                con.print(f"[bold]{escape(caption)}[/bold]")
            con.print(table)
        for n in notes or []:
            con.print(f"[dim]{escape(n)}[/dim]")
        return
    text = render_text(fmt, command=command, data=data, columns=columns, rows=rows, title=title, notes=notes, tables=tables)
    _write(text, out)


def _stdout_fd() -> int | None:
    """The file descriptor under ``sys.stdout`` when the text can go to it as bytes (a real stream, no newline
    translation), else None (a captured stream, a test runner's)."""
    if os.linesep != "\n" or not hasattr(sys.stdout, "buffer"):
        return None
    try:
        return sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def write_all(fd: int, data: bytes, chunk: int = 1 << 20) -> None:
    """Every byte of ``data`` to ``fd``, a chunk per call: a reader that leaves (``| head -1``) is a
    :class:`BrokenPipeError` here. Python's buffered stream loses that error when it comes after a partial
    write of a large text (the run then ended 0, as if every row had been read)."""
    view = memoryview(data)
    done = 0
    while done < len(view):
        done += os.write(fd, view[done:done + chunk])


def to_stdout(text: str) -> None:
    """Write the data to stdout; a full disk or an I/O error there is one line naming stdout."""
    try:
        fd = _stdout_fd()
        if fd is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            sys.stdout.flush()
            write_all(fd, text.encode(sys.stdout.encoding or "utf-8", sys.stdout.errors or "strict"))
    except BrokenPipeError:  # `| head`: the reader has gone, as with any Unix tool
        raise
    except OSError as exc:
        from embgeo.errors import EmbgeoError
        from embgeo.outputs import write_error

        raise EmbgeoError(write_error(exc, "standard output").message, source="standard output",
                          hint="free space where stdout is redirected, or write with --out FILE elsewhere") from None


# --- the output contract shared by every analysis (docs/output.md is the spec) ---------------

#: tidy CSV columns, in this order, before the columns that vary between rows (layer, method, k …)
TIDY_COLUMNS = ["metric", "value", "ci_low", "ci_high", "unit", "status"]
#: the JSON top-level keys of every analysis, in this order
CONTRACT_KEYS = ["schema", "embgeo_version", "command", "inputs", "settings", "results", "verdict", "notes"]
#: the only values in which two runs with the same inputs, options and seed may differ: wall-clock and CPU
#: seconds and the rates measured from them (JSON keys anywhere, CSV metric ids or columns; ``knn_rate``:
#: ``id -v``'s GEMM rate); everything else is the same, byte for byte (tests/test_contract.py)
TIMING_KEYS = ("seconds", "cpu_seconds", "seconds_embed", "seconds_eval", "knn_rate")
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def check_format(fmt: Format | None, out: Path | None) -> None:
    """``-f json --out u.csv`` is refused: the format and the suffix must agree."""
    out = _stdout_dash(out)
    if fmt is None or out is None:
        return
    implied = SUFFIX_FORMATS.get(out.suffix.lower())
    if implied is not None and implied is not fmt and not (fmt is Format.table and implied is Format.table):
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"--format {fmt.value} disagrees with the suffix '{out.suffix}' of --out",
                          source=str(out), hint=f"drop --format, or name the file with .{fmt.value if fmt is not Format.table else 'txt'}")


def check_out(fmt: Format | None, out: Path | None, *, fmt_known: bool = True) -> None:
    """``--out`` against ``--format``, the one rule: with ``--format`` any name will do (``/dev/stdout``,
    ``x.dat``), as long as a suffix that implies a format agrees with it (:func:`check_format`); without
    ``--format`` the suffix picks the format, so it must be one of :data:`SUFFIX_FORMATS`.
    ``fmt_known``: False while ``--format`` may still follow on the command line (``--out x.dat -f json``:
    ``--out``'s check runs first, and leaves the suffix to ``--format``'s check, which sees both).
    ``--out -`` is standard output, as if ``--out`` were not given: any ``--format``, a table by default."""
    out = _stdout_dash(out)
    if out is None:
        return
    check_format(fmt, out)
    if fmt is None and fmt_known and out.suffix.lower() not in SUFFIX_FORMATS:
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"unknown output suffix '{out.suffix or '(none)'}'", source=str(out),
                          hint="use .json, .csv, .md or .txt, or give --format to write any file")


def stack_inputs(files, stack, rows: int) -> list[dict]:
    """``inputs`` of a layer stack (:func:`embgeo.io.load_layers`): one entry for one file (the first layer's
    width), else one per per-layer file with its own width; ``rows`` as measured; every layer's dtype."""
    from embgeo.io.readers import split_spec

    specs = [split_spec(f) for f in files]
    layers = list(stack.layers)
    if len(files) == 1:
        return [input_entry(p, key=key, rows=rows, dims=int(layers[0].shape[1]), dtype=layers[0].dtype) for p, key in specs]
    return [input_entry(p, key=key, rows=rows, dims=int(L.shape[1]), dtype=L.dtype) for (p, key), L in zip(specs, layers)]


def input_entry(es_or_path, *, key: str | None = None, rows: int | None = None, dims: int | None = None, dtype=None) -> dict:
    """One item of ``inputs``: ``{path, key, rows, dims, dtype}`` from an EmbeddingSet (or given explicitly; ``dtype``:
    the precision the values were read at, e.g. float32 — results on float32 data differ from float64 ones in the
    last digits; None for an edge list or coordinates read as text)."""
    if hasattr(es_or_path, "provenance"):
        es = es_or_path
        prov = es.provenance
        path = str(prov.get("file", es.source))
        k = prov.get("key", key)
        if k is not None and path.endswith(f":{k}"):
            path = path[: -len(str(k)) - 1]
        rows = int(prov.get("rows_read", es.n_samples))  # the file's rows, also after --sample or --drop-*
        dtype = getattr(getattr(es, "matrix", None), "dtype", None)
        return {"path": path, "key": None if k is None else str(k), "rows": rows, "dims": int(es.n_features),
                "dtype": None if dtype is None else str(dtype)}
    return {"path": str(es_or_path), "key": key, "rows": None if rows is None else int(rows), "dims": None if dims is None else int(dims),
            "dtype": None if dtype is None else str(dtype)}


def safe_cell(v: Any) -> str:
    """A CSV cell: numbers at full precision; text that a spreadsheet would run as a formula is quoted with '."""
    if isinstance(v, str):
        return "'" + v if v.startswith(_FORMULA_LEAD) else v
    return _cell(v, exact=True)


def tidy_csv(metrics) -> str:
    """The tidy CSV of a list of :class:`embgeo.results.Metric` (or their ``row()`` dicts)."""
    rows = [m if isinstance(m, dict) else m.csv_row() for m in metrics]
    extra: list[str] = []
    for r in rows:
        for k in r:
            if k not in TIDY_COLUMNS and k not in extra:
                extra.append(k)
    columns = TIDY_COLUMNS + extra
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([safe_cell(r.get(c)) for c in columns])
    return buf.getvalue()


def metric_table(metrics, details=(), *, shown=None) -> tuple[list[str], list[list[Any]]]:
    """The terminal/Markdown table in the ids of the JSON and the CSV: one row per tidy metric,
    ``metric | <extra columns whose values differ between rows> | value | ci_low | ci_high | unit | status``,
    then the run's details as ``(json_key, value)`` pairs (value only). ``shown`` maps a value to its
    cell (e.g. an infinite distortion to ``∞ (see notes)``)."""
    shown = shown or (lambda v: v)
    extra: list[str] = []
    for m in metrics:
        extra += [k for k in m.extra if k not in extra]
    varying = [k for k in extra if len({repr(m.extra[k]) for m in metrics if m.extra.get(k) not in (None, "")}) > 1]
    columns = ["metric", *varying, "value", "ci_low", "ci_high", "unit", "status"]
    rows = [[m.metric, *(m.extra.get(k, "") for k in varying), shown(m.value), m.ci_low, m.ci_high, m.unit, m.status] for m in metrics]
    rows += [[k, *([""] * len(varying)), shown(v), None, None, "", ""] for k, v in details]
    return columns, rows


def contract_payload(*, command: str, inputs: list[dict], settings: dict, results: Any, verdict, notes: list[str]) -> dict:
    from embgeo.results import jsonable, schema_id

    results, notes = jsonable(results), [str(n) for n in notes]
    if isinstance(results, dict) and isinstance(results.get("notes"), list):  # a result's own notes (to_dict, for
        notes += [str(n) for n in results.pop("notes") if str(n) not in notes]  # Python) are the run's: one list, top level
    return {
        "schema": schema_id(command),
        "embgeo_version": __version__,
        "command": command,
        "inputs": jsonable(list(inputs)),
        "settings": jsonable(dict(settings)),
        "results": results,
        "verdict": verdict.to_dict(),
        "notes": notes,
    }


def verdict_line(verdict) -> str:
    """How a verdict reads under a table: ``verdict: warn — reason (decided by: id) → fix``."""
    text = f"verdict: {verdict.status} — {verdict.reason}"
    if verdict.decided_by:
        text += f" (decided by: {verdict.decided_text})"
    if verdict.fix:
        text += f"; fix: {verdict.fix}"
    return text


def emit_result(
    *,
    command: str,
    inputs: list[dict],
    settings: dict,
    fmt: Format | None,
    out: Path | None,
    result: Any = None,
    results: Any = None,
    metrics: list | None = None,
    verdict=None,
    notes: list[str] | None = None,
    columns: list[str] | None = None,
    rows: list[list[Any]] | None = None,
    title: str | None = None,
    fail_on: str | None = None,
) -> None:
    """Write one analysis in the shared contract, then apply the ``--fail-on`` gate.

    ``result`` (an :class:`embgeo.results.Result`) supplies the defaults: ``results`` =
    ``result.to_dict()``, ``metrics`` = ``result.metrics()``, ``verdict`` = ``result.verdict()``,
    ``columns, rows`` = ``result.table()``. JSON carries :data:`CONTRACT_KEYS`; CSV is the tidy
    metric rows; table/md the human table with the verdict line and notes under it. Data goes
    to ``out`` (atomically) or stdout; nothing else is written to stdout.
    """
    from embgeo.results import Verdict

    check_format(fmt, out)
    tables = None
    if result is not None:
        results = result.to_dict() if results is None else results
        metrics = result.metrics() if metrics is None else metrics
        verdict = result.verdict() if verdict is None else verdict
        if columns is None:
            columns, rows = result.table()
            tables = result.tables() if hasattr(result, "tables") else None  # several tables (e.g. id: estimators, spectral)
    verdict = verdict or Verdict("info", "no verdict applies to this analysis")
    notes = [str(n) for n in (notes or [])]
    settings = where_it_ran(command, settings, notes)
    resolved = resolve_format(fmt, out)
    if resolved is Format.json:
        text = json.dumps(contract_payload(command=command, inputs=inputs, settings=settings, results=results,
                                           verdict=verdict, notes=notes), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        _write(text, out)
    elif resolved is Format.csv:
        _write(tidy_csv(metrics or []), out)
        notes_to_stderr(notes)
    else:
        shown_notes = [verdict_line(verdict), *notes]  # every status, info too: the table says what JSON says
        emit(command=command, data={}, columns=columns or [], rows=rows or [], fmt=resolved, out=out, title=title, notes=shown_notes, tables=tables)
    gate(verdict, fail_on)


def where_it_ran(command: str, settings: dict, notes: list[str]) -> dict:
    """``settings`` with ``device`` (docs/output.md: where the work ran). A command that records it itself
    (it can run on a GPU) is left alone; every other one runs on the CPU, and says so, in ``notes`` and on
    stderr, when the global ``--device cuda`` asked for the GPU (it used to be ignored without a word).
    ``datasets list/info`` compute nothing: no device."""
    if "device" in settings or command.startswith("datasets"):
        return settings
    from embgeo.cli.common import message, settings as global_settings

    if (global_settings().device or "cpu").lower() == "cuda":
        text = f"--device cuda: {command} runs on the CPU; the GPU was not used"
        message(text + ".", style="yellow")
        notes.append(text)
    return {**settings, "device": "cpu"}


def notes_to_stderr(notes) -> None:
    """CSV has no place for the notes (JSON has ``notes``, a table prints them under it): each goes to
    stderr as ``note: …``, so that a sampled or filtered run says so in every format (``-q`` silences them)."""
    from embgeo.cli.common import message

    for n in notes or []:
        message(n if n.startswith("note: ") else f"note: {n}")


def _write(text: str, out: Path | None) -> None:
    out = _stdout_dash(out)
    if out is not None:
        write_output(out, text)
    else:
        to_stdout(text)


#: names of standard output and standard error (``--out -`` and ``--out /dev/stdout`` are stdout itself, flushed
#: in order; ``-`` is never a file of that name)
_STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")
_STDERR_NAMES = ("/dev/stderr", "/dev/fd/2", "/proc/self/fd/2")


def write_output(out: Path, text: str) -> None:
    """Write the data to ``out``: a file atomically (a temporary file renamed onto it; through a symbolic
    link onto its target); a stream or device (``-`` and ``/dev/stdout``: standard output itself, ``/dev/null``,
    a named pipe: :func:`embgeo.outputs.is_stream`) in place, since renaming a file onto it would replace the
    device's name with a plain file."""
    import os

    from embgeo.outputs import is_stream

    if not is_stream(out):
        from embgeo.io.writers import write_text

        write_text(out, text)
        return
    name = os.fspath(out)
    if name != "-":  # "-" is standard output by name, never the file ./-
        name = os.path.abspath(name)
    if name in _STDOUT_NAMES:
        to_stdout(text)
        return
    try:
        if name in _STDERR_NAMES:
            sys.stdout.flush()
            sys.stderr.write(text)
            sys.stderr.flush()
            return
        with open(out, "a", encoding="utf-8") as fh:  # append: a redirected stream keeps what was written before
            fh.write(text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        from embgeo.outputs import write_error

        raise write_error(exc, out) from None


def gate(verdict, fail_on: str | None) -> None:
    """``--fail-on warn|bad``: exit 1 (after the output is written) when the verdict is at least that severe."""
    if not fail_on:
        return
    from embgeo.results import severity

    fail_on = getattr(fail_on, "value", fail_on)
    if severity(verdict.status) >= severity(fail_on):
        if not _quiet():
            sys.stderr.write(f"embgeo: gate: verdict is {verdict.status} (--fail-on {fail_on}): {verdict.reason}\n")
        import typer

        raise typer.Exit(1)


def _quiet() -> bool:
    from embgeo.cli.common import settings

    return settings().quiet
