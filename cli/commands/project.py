"""``embgeo project X --method umap|pca|hyperbolic-umap [--color-by COLUMN] [--out map.png] [--coords coords.csv]``"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from embgeo.cli.common import (
    DedupeOpt, DropNonfiniteOpt, FormatOpt, IdColOpt, InputFormatOpt, LabelsIdOpt, LabelsOpt, SeedOpt,
    message, read_embeddings, seed_value,
)


class Method(str, Enum):
    umap = "umap"
    pca = "pca"
    hyperbolic_umap = "hyperbolic-umap"


def project(
    file: Annotated[str, typer.Argument(help="Embedding file (PATH or PATH:KEY).", show_default=False, metavar="X")],
    method: Annotated[Method, typer.Option("--method", "-m", help="umap (seeded umap-learn), pca, or hyperbolic-umap (umap-learn's hyperboloid output drawn on the Poincaré disk).", case_sensitive=False)] = Method.umap,
    color_by: Annotated[Optional[str], typer.Option("--color-by", help="Label column that colours the map: numbers get a colour scale, text a legend (needs --labels unless the input carries it).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Draw the map to this image (.png or .svg), written atomically.", dir_okay=False)] = None,
    coords: Annotated[Optional[Path], typer.Option("--coords", help="Write the map coordinates to this CSV (row, id, x, y and the colour column), atomically.", dir_okay=False)] = None,
    n_neighbors: Annotated[int, typer.Option("--n-neighbors", help="UMAP neighbourhood size.", min=2)] = 15,
    min_dist: Annotated[float, typer.Option("--min-dist", help="UMAP minimum distance between points in the map.", min=0.0, max=1.0)] = 0.1,
    metric: Annotated[str, typer.Option("--metric", help="UMAP input metric (cosine, euclidean, …).")] = "cosine",
    n_epochs: Annotated[Optional[int], typer.Option("--epochs", help="UMAP epochs (default: umap-learn's, 500 below 10 000 rows).", min=1)] = None,
    sample: Annotated[Optional[int], typer.Option("--sample", help="Map a seeded random sample of N rows.", min=3)] = None,
    seed: SeedOpt = None,
    id_col: IdColOpt = None,
    labels: LabelsOpt = None,
    labels_id_col: LabelsIdOpt = None,
    input_format: InputFormatOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    dedupe: DedupeOpt = False,
    fmt: FormatOpt = None,
):
    """A 2-D map (UMAP, PCA, or hyperbolic UMAP on the Poincaré disk) coloured by a label or attribute;
    writes the picture (--out) and the coordinates (--coords). UMAP distances are not metric."""
    import csv
    import io

    from embgeo.cli.output import emit
    from embgeo.errors import EmbgeoError
    from embgeo.io.writers import write_text
    from embgeo.projection import coordinates_table
    from embgeo.projection import project as compute

    if out is not None and out.suffix.lower() not in (".png", ".svg"):
        raise EmbgeoError(f"cannot draw the map as '{out.suffix or out.name}'", source=str(out), hint="use a .png or .svg file name (coordinates go to --coords FILE.csv)")
    if coords is not None and coords.suffix.lower() not in (".csv", ".tsv"):
        raise EmbgeoError(f"coordinates are written as CSV or TSV, not '{coords.suffix or coords.name}'", source=str(coords))
    for p in (out, coords):
        if p is not None and str(p.parent) and not p.parent.exists():
            raise EmbgeoError("output folder does not exist", source=str(p), hint=f"create {p.parent} first")
    es = read_embeddings(file, id_col=id_col, labels=labels, labels_id_col=labels_id_col, input_format=input_format,
                         drop_nonfinite=drop_nonfinite, dedupe=dedupe)
    color = es.attribute(color_by) if color_by else None
    if method is not Method.pca:
        message(f"{method.value}: seeded (single-threaded); numba compiles on first use, so the first map takes longer")
    res = compute(es.matrix, method=method.value, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric, n_epochs=n_epochs,
                  sample=sample, seed=seed_value(seed), name=es.source)
    written = []
    if out is not None:
        from embgeo.plots import plot_result, save_figure

        save_figure(plot_result(res, color=color, color_name=color_by), out)
        written.append(f"map: {out}")
    if coords is not None:
        header, rows = coordinates_table(res, ids=es.ids, extra={color_by: color} if color_by else None)
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="\t" if coords.suffix.lower() == ".tsv" else ",", lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        write_text(coords, buf.getvalue())
        written.append(f"coordinates: {coords} ({len(rows)} rows)")
    cols, table_rows = res.table()
    data = {"input": es.source, **res.to_dict(), "out": str(out) if out else None, "coords": str(coords) if coords else None}
    emit(command="project", data=data, columns=cols, rows=table_rows, fmt=fmt, out=None,
         title=f"embgeo project — {es.source} ({res.method})", notes=list(res.notes) + written)


def register(app: typer.Typer) -> None:
    app.command("project")(project)
