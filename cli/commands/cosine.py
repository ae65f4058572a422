"""``embgeo cosine X [--factors A B] [--attr COLUMN] [--k 10]``"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional, Tuple

import typer

from embgeo.cli.common import (
    side_output,
    PlotOpt,
    save_plot,
    DedupeOpt, DropNonfiniteOpt, FormatOpt, IdColOpt, InputFormatOpt, LabelsIdOpt, LabelsOpt, OutOpt, SeedOpt,
    message, read_embeddings, resolve_device, seed_value, verbose,
)


class Process(str, Enum):
    centre = "centre"
    abtt = "abtt"
    whiten = "whiten"
    standardise = "standardise"


class FailOn(str, Enum):
    never = "never"
    warn = "warn"
    bad = "bad"


def cosine(
    file: Annotated[str, typer.Argument(help="Embedding file (PATH or PATH:KEY), rows = items.", show_default=False, metavar="X")],
    factors: Annotated[Optional[Tuple[str, str]], typer.Option("--factors", help="Factor matrices A B of X ≈ A Bᵀ (A: users × r, B: items × r): test cosine neighbours of B under rescalings A·D, B·D⁻¹.", show_default=False)] = None,
    attr: Annotated[Optional[str], typer.Option("--attr", help="Numeric attribute column (e.g. frequency) to correlate with the norm; needs --labels unless the input file carries it.")] = None,
    k: Annotated[int, typer.Option("--k", help="Neighbours per row for Jaccard@k, hubness and post-processing.", min=1)] = 10,
    pairs: Annotated[int, typer.Option("--n-pairs", help="Random pairs for the sampled anisotropy and its interval (as in embgeo uniformity).", min=2)] = 20000,
    top: Annotated[int, typer.Option("--top", help="How many rogue dimensions to name.", min=1)] = 3,
    abtt_components: Annotated[Optional[int], typer.Option("--abtt-components", help="Principal components all-but-the-top removes (default: max(1, round(d/100))).", min=0)] = None,
    whiten_floor: Annotated[float, typer.Option("--whiten-floor", help="Whitening eigenvalue floor, relative to the largest eigenvalue.", min=0.0)] = 1e-6,
    sample: Annotated[Optional[int], typer.Option("--sample", help="Run the neighbour diagnostics on a seeded sample of N rows (default: all rows).", min=2)] = None,
    approx: Annotated[bool, typer.Option("--approx", help="Approximate kNN (pynndescent, recall measured) for large n.")] = False,
    write_processed: Annotated[Optional[Path], typer.Option("--write-processed", help="Save the post-processed matrix here (.npy, .npz, .csv, .tsv; written atomically).", dir_okay=False, callback=side_output(".npy", ".npz", ".csv", ".tsv"))] = None,
    process: Annotated[Process, typer.Option("--process", help="Post-processing written by --write-processed.", case_sensitive=False)] = Process.abtt,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit with code 1 when the worst verdict reaches this level (for pipelines).", case_sensitive=False)] = FailOn.never,
    id_col: IdColOpt = None,
    labels: LabelsOpt = None,
    labels_id_col: LabelsIdOpt = None,
    input_format: InputFormatOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    dedupe: DedupeOpt = False,
    drop_zero: Annotated[bool, typer.Option("--drop-zero", help="Drop all-zero rows (they have no direction, so no cosine).")] = False,
    seed: SeedOpt = None,
    plot: PlotOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Cosine-similarity pitfalls: a verdict (ok / warn / bad) per diagnostic — anisotropy, IsoScore,
    rogue dimensions, norms, hubness, the rescaling freedom and post-processing — with the numbers behind it."""
    from embgeo.cli.output import emit
    from embgeo.errors import EmbgeoError
    from embgeo.io import save_matrix
    from embgeo.cosine.diagnostics import cosine_diagnostics, postprocess

    es = read_embeddings(file, id_col=id_col, labels=labels, labels_id_col=labels_id_col, input_format=input_format,
                         drop_nonfinite=drop_nonfinite, dedupe=dedupe)
    if drop_zero:
        from embgeo.validation import clean_rows

        _, kept = clean_rows(es.matrix, drop_zero=True)
        if kept.size < es.n_samples:
            message(f"{es.source}: dropped {es.n_samples - kept.size} all-zero rows")
            es = es.take(kept)
    attribute = es.attribute(attr, numeric=True) if attr else None
    fac = None
    if factors:
        A = read_embeddings(factors[0], input_format=input_format).matrix
        B = read_embeddings(factors[1], input_format=input_format).matrix
        fac = (A, B)
    device = resolve_device()
    backend = "torch" if device == "cuda" else "numpy"
    s = seed_value(seed)
    try:
        report = cosine_diagnostics(
            es.matrix, k=k, factors=fac, attribute=attribute, attribute_name=attr or "attribute", n_pairs=pairs, top=top,
            n_components=abtt_components, floor=whiten_floor, neighbour_sample=sample, seed=s, backend=backend,
            device=device, approx=approx, on_step=lambda name: verbose(f"cosine: {name}"),
        )
    except EmbgeoError as exc:
        raise exc.with_source(es.source) from None
    notes = [f"fix — {line}" for line in report.fixes()]
    if report.neighbour_rows < report.n_samples:
        notes.append(f"neighbour diagnostics used a seeded sample of {report.neighbour_rows} of {report.n_samples} rows")
    if write_processed is not None:
        processed = postprocess(es.matrix, process.value, n_components=abtt_components, floor=whiten_floor)
        save_matrix(write_processed, processed, ids=es.ids)
        message(f"wrote the {process.value} matrix ({processed.shape[0]} × {processed.shape[1]}, {processed.dtype}) to {write_processed}")
    columns, rows = report.table()
    data = report.to_dict()
    data["file"] = es.source
    if write_processed is not None:
        data["processed"] = {"file": str(write_processed), "method": process.value}
    emit(command="cosine", data=data, columns=columns, rows=rows, fmt=fmt, out=out,
         title=f"embgeo cosine — {es.source} ({report.n_samples} × {report.n_features}), worst verdict: {report.status}", notes=notes)
    save_plot(report, plot)
    if fail_on is not FailOn.never and (report.status == "bad" or (fail_on is FailOn.warn and report.status == "warn")):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("cosine")(cosine)
