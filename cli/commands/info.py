"""``embgeo info FILE…``"""

from typing import Annotated, List

import typer

from embgeo.cli.common import (
    FailOnOpt, FormatOpt, AttrColOpt, IdColOpt, attr_list, InputFormatOpt, JoinOpt, LabelsIdOpt, LabelsOpt, OutOpt, emit_result, input_entry, read_embeddings,
)


def info(
    files: Annotated[List[str], typer.Argument(help="Embedding files (PATH or PATH:KEY).", show_default=False)],
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    labels: LabelsOpt = None,
    labels_id_col: LabelsIdOpt = None,
    input_format: InputFormatOpt = None,
    join: JoinOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any file has NaN/inf, all-zero or duplicate rows, or repeated ids (a gate for pipelines).")] = False,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Shape, dtype, memory, norms, NaN/inf, zero and duplicate rows, and repeated ids of each file.

    The verdict is bad with NaN/inf rows and warn with all-zero or duplicate rows or repeated ids;
    --strict exits 1 on either (the same as --fail-on warn)."""
    from embgeo.info import describe, files_verdict

    from embgeo.io.readers import id_cols, per_column_input

    if strict and fail_on is not None and getattr(fail_on, "value", fail_on) != "warn":
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"--strict is --fail-on warn; --fail-on {getattr(fail_on, 'value', fail_on)} says otherwise",
                          hint="give one of them")
    sets = [read_embeddings(f, id_col=c, labels=labels, labels_id_col=labels_id_col, input_format=input_format, join=join, attr_cols=a)
            for f, c, a in zip(files, id_cols(files, id_col, input_format), per_column_input(files, attr_list(attr_col), input_format))]
    found = [describe(es) for es in sets]
    results = {"files": [r.to_dict() for r in found]}
    tables = [dict(r.table()[1]) for r in found]
    rows = [[k] + [t[k] for t in tables] for k in tables[0] if k != "file"]
    columns = ["field"] + [r.file for r in found]
    verdict = files_verdict(found)  # with several files the reason names the file
    if strict and fail_on is None:
        fail_on = "warn"
    emit_result(command="info", inputs=[input_entry(es) for es in sets],
                settings={"id_col": id_col, "attr_col": attr_list(attr_col), "labels": labels, "labels_id_col": labels_id_col, "input_format": input_format,
                          "join": getattr(join, "value", join), "strict": strict, "fail_on": getattr(fail_on, "value", fail_on)},
                results=results, metrics=[m for r in found for m in r.metrics()], verdict=verdict,
                columns=columns, rows=rows, fmt=fmt, out=out, title="embgeo info", fail_on=fail_on)


def register(app: typer.Typer) -> None:
    app.command("info")(info)
