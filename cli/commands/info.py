"""``embgeo info FILE…``"""
from __future__ import annotations

from typing import Annotated, List

import typer

from embgeo.cli.common import FormatOpt, IdColOpt, InputFormatOpt, LabelsIdOpt, LabelsOpt, OutOpt, read_embeddings
from embgeo.cli.output import emit


def info(
    files: Annotated[List[str], typer.Argument(help="Embedding files (PATH or PATH:KEY).", show_default=False)],
    id_col: IdColOpt = None,
    labels: LabelsOpt = None,
    labels_id_col: LabelsIdOpt = None,
    input_format: InputFormatOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Shape, dtype, memory, norms, and NaN/inf, zero and duplicate rows of each file."""
    from embgeo.info import describe

    found = [describe(read_embeddings(f, id_col=id_col, labels=labels, labels_id_col=labels_id_col, input_format=input_format)) for f in files]
    results = [r.to_dict() for r in found]
    tables = [dict(r.table()[1]) for r in found]
    rows = [[k] + [t[k] for t in tables] for k in tables[0] if k != "file"]
    columns = ["field"] + [r["file"] for r in results]
    emit(command="info", data={"files": results}, columns=columns, rows=rows, fmt=fmt, out=out, title="embgeo info")


def register(app: typer.Typer) -> None:
    app.command("info")(info)
