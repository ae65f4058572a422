"""``embgeo project X --method umap|pca|hyperbolic-umap [--color-by COLUMN] [--plot map.png] [--out coords.csv]``"""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from embgeo.cli.common import (
    DedupeOpt, DropNonfiniteOpt, FailOnOpt, FormatOpt, AttrColOpt, IdColOpt, attr_list, InputFormatOpt, JoinOpt, LabelsIdOpt, LabelsOpt, OutOpt, PlotOpt,
    SampleOpt, SeedOpt, input_entry, message, wrote, only_with, seed_value, side_output,
)


class Method(str, Enum):
    umap = "umap"
    pca = "pca"
    hyperbolic_umap = "hyperbolic-umap"


def _load(spec, *, id_col, attr_cols, labels, labels_id_col, join, input_format, drop_nonfinite, drop_zero, dedupe):
    """The set (labels joined first) and the input row number of each kept row."""
    import numpy as np

    from embgeo.io import join_labels, load
    from embgeo.validation import clean_rows

    es = load(spec, fmt=input_format, id_col=id_col, attr_cols=attr_cols)
    if labels is not None:
        es = join_labels(es, labels, id_col=labels_id_col, join=getattr(join, "value", join))
    kept = np.arange(es.n_samples)
    if drop_nonfinite or drop_zero or dedupe:
        _, kept = clean_rows(es.matrix, drop_nonfinite=drop_nonfinite, dedupe=dedupe, drop_zero=drop_zero)
        dropped = es.n_samples - kept.size
        if dropped:
            what = ", ".join(w for w, on in (("NaN/inf", drop_nonfinite), ("all-zero", drop_zero), ("duplicate", dedupe)) if on)
            message(f"{es.source}: dropped {dropped} rows ({what})")
            es = es.take(kept)
    return es, kept


def project(
    file: Annotated[str, typer.Argument(help="Embedding file (PATH or PATH:KEY).", show_default=False, metavar="X")],
    method: Annotated[Method, typer.Option("--method", "-m", help="umap (seeded umap-learn), pca, or hyperbolic-umap (umap-learn's hyperboloid output drawn on the Poincaré disk).", case_sensitive=False)] = Method.umap,
    color_by: Annotated[Optional[str], typer.Option("--color-by", help="Label column that colours the map: numbers get a colour scale, text a legend (needs --labels unless the input carries it).", show_default=False)] = None,
    k: Annotated[int, typer.Option("--k", "-k", "--n-neighbors", help="Neighbours of the UMAP graph (umap-learn's n_neighbors).", min=2)] = 15,
    min_dist: Annotated[float, typer.Option("--min-dist", help="UMAP minimum distance between points in the map.", min=0.0, max=1.0)] = 0.1,
    metric: Annotated[str, typer.Option("--metric", help="UMAP input metric (cosine, euclidean, …).")] = "cosine",
    n_epochs: Annotated[Optional[int], typer.Option("--epochs", help="UMAP epochs (default: umap-learn's, 500 below 10 000 rows).", min=1, show_default=False)] = None,
    sample: SampleOpt = None,
    seed: SeedOpt = None,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    labels: LabelsOpt = None,
    labels_id_col: LabelsIdOpt = None,
    join: JoinOpt = None,
    input_format: InputFormatOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    drop_zero: Annotated[bool, typer.Option("--drop-zero", help="Drop all-zero rows (they have no cosine) instead of failing.")] = False,
    dedupe: DedupeOpt = False,
    coords: Annotated[Optional[Path], typer.Option("--coords", help="Also write the coordinates (row, id, x, y and the colour column) to this .csv or .tsv file.", dir_okay=False, callback=side_output(".csv", ".tsv"), show_default=False)] = None,
    fail_on: FailOnOpt = None,
    plot: PlotOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """A 2-D map (UMAP, PCA, or hyperbolic UMAP on the Poincaré disk) coloured by a label or attribute.

    The data are the coordinates: -f csv (or --out map.csv) writes one row per mapped row (row, id, x, y and the colour column), -f json the settings and the coordinates; the picture is --plot. A map has no verdict (status info): UMAP distances are not metric."""
    import json

    from embgeo.cli.output import Format, check_format, contract_payload, emit, gate, resolve_format, verdict_line
    from embgeo.projection import coordinates_table
    from embgeo.projection import project as compute

    check_format(fmt, out)
    only_with("-m umap or hyperbolic-umap", method is not Method.pca, {"k", "min_dist", "metric", "n_epochs"},
              "they tune UMAP; -m pca takes none of them: drop them, or pick -m umap")
    seed = seed_value(seed)
    es, kept = _load(file, id_col=id_col, attr_cols=attr_list(attr_col), labels=labels, labels_id_col=labels_id_col, join=join, input_format=input_format,
                     drop_nonfinite=drop_nonfinite, drop_zero=drop_zero, dedupe=dedupe)
    color = es.attribute(color_by) if color_by else None
    res = compute(es.matrix, method=method.value, k=k, min_dist=min_dist, metric=metric, n_epochs=n_epochs,
                  sample=sample, seed=seed, name=es.source,  # the note once every check has passed: never before an error
                  starting=lambda: message(f"{method.value}: seeded (single-threaded); numba compiles on first use, so the first map takes longer"))
    header, coord_rows = coordinates_table(res, ids=es.ids, extra={color_by: color} if color_by else None, row_numbers=kept)
    if plot is not None:
        from embgeo.plots import plot_result, save_figure

        save_figure(plot_result(res, color=color, color_name=color_by), plot)
        wrote(plot, "map")
    if coords is not None:
        from embgeo.io.writers import write_text

        write_text(coords, _delimited(header, coord_rows, "\t" if coords.suffix.lower() == ".tsv" else ","))
        wrote(coords, f"coordinates of {len(coord_rows)} row{'' if len(coord_rows) == 1 else 's'}")
    settings = {
        "method": method.value, "color_by": color_by, **({"k": None, "min_dist": None, "metric": None} if method is Method.pca else
                                                         {"k": k, "min_dist": min_dist, "metric": metric}),
        "epochs": n_epochs, "sample": sample, "seed": seed, "id_col": id_col, "attr_col": attr_list(attr_col), "labels": None if labels is None else str(labels),
        "labels_id_col": labels_id_col, "join": getattr(join, "value", join), "input_format": input_format, "drop_nonfinite": drop_nonfinite, "drop_zero": drop_zero,
        "dedupe": dedupe, "coords": None if coords is None else str(coords), "plot": None if plot is None else str(plot),
        "fail_on": getattr(fail_on, "value", fail_on),
    }
    verdict = res.verdict()
    notes = list(res.notes)
    from embgeo.cli.output import where_it_ran

    settings = where_it_ran("project", settings, notes)
    resolved = resolve_format(fmt, out)
    if resolved is Format.csv:
        from embgeo.cli.output import notes_to_stderr

        text = _delimited(header, coord_rows, ",")
        notes_to_stderr(notes)
    elif resolved is Format.json:
        results = {**res.to_dict(), "coordinates": {h: [r[i] for r in coord_rows] for i, h in enumerate(header)}}
        text = json.dumps(contract_payload(command="project", inputs=[input_entry(es)], settings=settings, results=results,
                                           verdict=verdict, notes=notes), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        from embgeo.cli.output import metric_table

        d = res.to_dict()  # the table in the ids of the JSON and the CSV: metric rows, then the run's details
        cols, table_rows = metric_table(res.metrics(), [("method", d["method"]), *((f"params.{k}", v) for k, v in d["params"].items()),
                                                             ("seconds", d["seconds"])])
        emit(command="project", data={}, columns=cols, rows=table_rows, fmt=resolved, out=out,
             title=f"embgeo project — {es.source} ({res.method})", notes=[verdict_line(verdict), *notes])
        gate(verdict, fail_on)
        return
    if out is not None:
        from embgeo.cli.output import write_output

        write_output(out, text)  # a file atomically; -, /dev/stdout or a pipe in place (silent, as every --out)
    else:
        from embgeo.cli.output import to_stdout

        to_stdout(text)
    gate(verdict, fail_on)


def _delimited(header, rows, delimiter: str) -> str:
    """CSV/TSV text; text cells a spreadsheet would run as a formula are quoted with '."""
    import csv
    import io

    from embgeo.cli.output import safe_cell

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([safe_cell(v) for v in r])
    return buf.getvalue()


def register(app: typer.Typer) -> None:
    app.command("project")(project)
