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

    results = [describe(read_embeddings(f, id_col=id_col, labels=labels, labels_id_col=labels_id_col, input_format=input_format)).to_dict() for f in files]
    fields = list(results[0])
    rows = [[k] + [r[k] for r in results] for k in fields if k != "file"]
    columns = ["field"] + [r["file"] for r in results]
    emit(command="info", data={"files": results}, columns=columns, rows=rows, fmt=fmt, out=out, title="embgeo info")


def register(app: typer.Typer) -> None:
    app.command("info")(info)
