"""``embgeo id X [--method twonn,mle,gride,pca,rankme,entropy|all] [--k 20] [--approx] [--sample N] [--layers]``"""
from __future__ import annotations

from enum import Enum
from typing import Annotated, List, Optional

import typer

from embgeo.cli.common import (
    DedupeOpt, DropNonfiniteOpt, FormatOpt, IdColOpt, InputFormatOpt, OutOpt, PlotOpt, SchedulerOpt, SeedOpt,
    message, progress, read_embeddings, resolve_device, save_plot, scheduler_client, seed_value,
)


class Metric(str, Enum):
    euclidean = "euclidean"
    cosine = "cosine"


class Variant(str, Enum):
    mle = "mle"
    linear = "linear"


def intrinsic_id(
    files: Annotated[List[str], typer.Argument(help="Embedding file (PATH or PATH:KEY); with --layers one L×n×d file or one file per layer.", show_default=False, metavar="X...")],
    method: Annotated[str, typer.Option("--method", "-m", help="Comma-separated estimators: twonn, mle, gride, pca, rankme, entropy, or all.")] = "all",
    k: Annotated[int, typer.Option("--k", help="MLE neighbour range k/2..k (Levina–Bickel 10..20).", min=3)] = 20,
    gride_max: Annotated[int, typer.Option("--gride-max", help="Largest neighbour order n2 of the GRIDE scale curve (n1 = 1, 2, 4, …; n2 = 2·n1).", min=2)] = 64,
    discard: Annotated[float, typer.Option("--discard", help="TwoNN: share of the largest ratios r2/r1 censored.", min=0.0, max=0.89)] = 0.1,
    variant: Annotated[Variant, typer.Option("--variant", help="TwoNN estimate: censored maximum likelihood or Facco's linear fit.", case_sensitive=False)] = Variant.mle,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap replicates for the TwoNN and MLE intervals (0: none).", min=0)] = 200,
    approx: Annotated[bool, typer.Option("--approx", help="Approximate kNN (pynndescent) with a measured recall; for large n.")] = False,
    sample: Annotated[Optional[int], typer.Option("--sample", help="Estimate on a seeded random sample of N rows (the same rows in every layer).", min=3)] = None,
    layers: Annotated[bool, typer.Option("--layers", help="Treat the input as a layer stack: a table per layer and the neighbourhood overlap between consecutive layers.")] = False,
    overlap_k: Annotated[int, typer.Option("--overlap-k", help="Neighbours compared between consecutive layers.", min=1)] = 10,
    metric: Annotated[Metric, typer.Option("--metric", help="Distance for the neighbour-based estimators.", case_sensitive=False)] = Metric.euclidean,
    id_col: IdColOpt = None,
    input_format: InputFormatOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    dedupe: DedupeOpt = False,
    seed: SeedOpt = None,
    scheduler: SchedulerOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
    plot: PlotOpt = None,
):
    """Intrinsic dimension: TwoNN, MLE, GRIDE (ID against scale), PCA, RankMe and matrix entropy, with
    bootstrap intervals; per layer with --layers. Exact duplicate rows are dropped before the ratio estimators."""
    from embgeo.cli.output import emit
    from embgeo.errors import EmbgeoError
    from embgeo.intrinsic.estimators import HIGH_ID_NOTE, NOISE_NOTE
    from embgeo.intrinsic.summary import intrinsic_dimension, parse_methods

    methods = parse_methods(method)
    device = resolve_device()
    backend = "torch" if device == "cuda" else "numpy"
    s = seed_value(seed)
    common = dict(methods=methods, k=k, gride_max=gride_max, discard_fraction=discard, twonn_variant=variant.value,
                  sample=sample, approx=approx, seed=s, n_boot=bootstrap, metric=metric.value, backend=backend, device=device)

    if layers:
        if scheduler:
            message("--scheduler: the per-layer analysis runs in this process (the cluster runs single-matrix id)", style="yellow")
        from embgeo.io import load_layers
        from embgeo.intrinsic.layers import layer_dimensions

        if drop_nonfinite or dedupe:
            raise EmbgeoError("--drop-nonfinite/--dedupe would break the row alignment between layers", hint="clean the layers first; duplicates are dropped per layer for the ratio estimators anyway")
        stack = load_layers(files, fmt=input_format, id_col=id_col)
        source = ", ".join(files)
        with progress("layers", total=len(stack)) as advance:
            try:
                report = layer_dimensions(stack, overlap_k=overlap_k, progress=advance,
                                          **{key: v for key, v in common.items() if key != "n_boot"}, n_boot=bootstrap)
            except EmbgeoError as exc:
                raise exc.with_source(source) from None
        columns, rows = report.table()
        data = {"files": list(files), **report.to_dict()}
        notes = [HIGH_ID_NOTE, f"overlap: share of common {overlap_k}-NN between a layer and the next (1 = same neighbourhoods; {overlap_k}/(n-1) = unrelated)"]
        if report.n_used < report.n_rows:
            notes.append(f"note: every layer estimated on the same seeded sample of {report.n_used} of {report.n_rows} rows (--seed {s})")
        emit(command="id", data=data, columns=columns, rows=rows, fmt=fmt, out=out,
             title=f"embgeo id --layers — {len(stack)} layers × {report.n_rows} rows", notes=notes)
        save_plot(report, plot)
        return

    if len(files) != 1:
        raise EmbgeoError(f"got {len(files)} input files; without --layers pass exactly one", hint="add --layers to treat several files as layers")
    es = read_embeddings(files[0], id_col=id_col, input_format=input_format, drop_nonfinite=drop_nonfinite, dedupe=dedupe)
    n_query = min(es.n_samples, sample) if sample else es.n_samples
    with progress("neighbours", total=n_query) as advance, scheduler_client(scheduler) as client:
        if client is not None:  # kNN and spectra run on the Dask workers; the estimators here
            from functools import partial

            from embgeo.distributed.metrics import intrinsic_dimension as on_cluster

            intrinsic_dimension = partial(on_cluster, client=client)
        try:
            report = intrinsic_dimension(es.matrix, progress=advance, **common)
        except EmbgeoError as exc:
            raise exc.with_source(es.source) from None
    if report.n_duplicates_dropped:
        message(f"{es.source}: {report.n_duplicates_dropped} exact duplicate rows dropped before TwoNN/MLE/GRIDE (they make r1 = 0)")
    columns, rows = report.table()
    data = {"file": es.source, "n_features": int(es.n_features), **report.to_dict()}
    notes = list(report.notes)
    if "gride" in methods and NOISE_NOTE not in notes:
        notes.append(NOISE_NOTE)
    emit(command="id", data=data, columns=columns, rows=rows, fmt=fmt, out=out,
         title=f"embgeo id — {es.source} ({report.n_used} of {report.n_rows} rows × {es.n_features})", notes=notes)
    save_plot(report, plot)


def register(app: typer.Typer) -> None:
    app.command("id")(intrinsic_id)
