"""``embgeo id X [-m twonn,mle,gride,pca,rankme,entropy|all] [-k 20] [--approx] [--sample N] [--layers]``"""

from enum import Enum
from typing import Annotated, List, Optional

import typer

from embgeo.cli.common import (
    join_option,
    DedupeOpt, DropNonfiniteOpt, FailOnOpt, FormatOpt, AttrColOpt, IdColOpt, attr_list, InputFormatOpt, MethodOpt, OutOpt, PlotOpt, SampleOpt,
    SchedulerOpt, SeedOpt, StackLayoutOpt, layout_value, emit_result, input_entry, message, progress, read_embeddings, resolve_device, save_plot,
    scheduler_client, seed_value, settings as global_settings, split_list, verbose,
)


class Metric(str, Enum):
    euclidean = "euclidean"
    cosine = "cosine"


class Variant(str, Enum):
    mle = "mle"
    linear = "linear"


def intrinsic_id(
    files: Annotated[Optional[List[str]], typer.Argument(help="Embedding file (PATH or PATH:KEY); with --layers one L×n×d file or one file per layer.", show_default=False, metavar="X...")] = None,
    method: MethodOpt = None,
    k: Annotated[int, typer.Option("--k", "-k", help="Number of nearest neighbours of the MLE: it averages k/2..k (Levina–Bickel 10..20).", min=3)] = 20,
    gride_max: Annotated[int, typer.Option("--gride-max", help="Largest neighbour order n2 of the GRIDE scale curve (n1 = 1, 2, 4, …; n2 = 2·n1).", min=2)] = 64,
    discard: Annotated[float, typer.Option("--discard", help="TwoNN: share of the largest ratios r2/r1 censored.", min=0.0, max=0.89)] = 0.1,
    variant: Annotated[Variant, typer.Option("--variant", help="TwoNN estimate: censored maximum likelihood or Facco's linear fit.", case_sensitive=False)] = Variant.mle,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap replicates for the TwoNN and MLE intervals (0: none; TwoNN then shows its exact interval).", min=0)] = 200,
    confidence: Annotated[float, typer.Option("--confidence", help="Level of the intervals (bootstrap, TwoNN's exact, GRIDE's), which the verdict compares.", min=0.5, max=0.999)] = 0.95,
    approx: Annotated[bool, typer.Option("--approx", help="Approximate kNN (pynndescent) with a measured recall; for large n.")] = False,
    sample: SampleOpt = None,
    layers: Annotated[bool, typer.Option("--layers", help="Treat the input as a layer stack: estimates per layer and the neighbourhood overlap between consecutive layers.")] = False,
    overlap_k: Annotated[int, typer.Option("--overlap-k", help="Neighbours compared between consecutive layers.", min=1)] = 10,
    metric: Annotated[Metric, typer.Option("--metric", help="Distance for the neighbour-based estimators.", case_sensitive=False)] = Metric.euclidean,
    join: join_option("the rows of every per-layer file (--layers) onto the first") = None,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    input_format: InputFormatOpt = None,
    stack_layout: StackLayoutOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    dedupe: DedupeOpt = False,
    seed: SeedOpt = None,
    scheduler: SchedulerOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
    plot: PlotOpt = None,
    tokens: Annotated[Optional[str], typer.Option("--tokens", help="Token clouds (tokens.h5 from embgeo extract) instead of X: per text and layer GRIDE (up to 256), TwoNN, overlap χ(k) k≤31, token cosine; mean ± sd over texts (embgeo layers --tokens for more).", show_default=False)] = None,
):
    """Intrinsic dimension: the estimators TwoNN, MLE and GRIDE (ID against scale; the peers' TwoNN
    and MLE defaults beside embgeo's), and the spectral measures PCA, RankMe and matrix entropy;
    which estimate to read and why, and a verdict (warn when estimators disagree beyond their
    intervals, GRIDE has no plateau, or halving --sample moves TwoNN). Per layer with --layers.
    Exact duplicate rows are dropped before the ratio estimators."""
    import dataclasses

    from embgeo.errors import EmbgeoError
    from embgeo.intrinsic.summary import intrinsic_dimension, parse_methods

    if tokens is not None or not files:  # token-cloud mode (embgeo/layers/tokens.py)
        if tokens is None or files:
            raise EmbgeoError("give embedding files X or --tokens FILE", hint="see embgeo id --help")
        from embgeo.cli.commands.layers import token_id
        from embgeo.cli.common import refuse_unused

        refuse_unused("--tokens", {"tokens", "sample", "seed", "fail_on", "fmt", "out", "plot"},
                      "token clouds take --sample, --seed, --plot and the output options; their estimators and intervals are "
                      "fixed, mean ± sd over texts; see embgeo layers --tokens")
        return token_id(tokens, sample=sample, seed=seed, fail_on=fail_on, fmt=fmt, out=out, plot=plot)
    from embgeo.cli.common import only_with

    only_with("--layers", layers, {"overlap_k"}, "--overlap-k compares the neighbours of consecutive layers: add --layers, or drop it")
    only_with("--layers", layers, {"stack_layout"}, "--stack-layout says how a 3-D stack file is laid out: add --layers, or drop it")
    methods = parse_methods(split_list(method) or ["all"])

    device_notes: list[str] = []
    device = resolve_device(notes=device_notes)  # settings.device: where it ran (a cuda fallback is a note)
    s = seed_value(seed)
    common = dict(methods=methods, k=k, gride_max=gride_max, discard_fraction=discard, twonn_variant=variant.value,
                  sample=sample, approx=approx, seed=s, n_bootstrap=bootstrap, confidence=confidence, metric=metric.value,
                  backend="torch" if device == "cuda" else "numpy", device=device)
    settings = {"method": list(methods), "k": k, "gride_max": gride_max, "discard": discard, "variant": variant.value,
                "bootstrap": bootstrap, "confidence": confidence, "approx": approx, "sample": sample, "layers": layers, "overlap_k": overlap_k if layers else None,
                "metric": metric.value, "id_col": id_col, "attr_col": attr_list(attr_col), "input_format": input_format, "stack_layout": layout_value(stack_layout), "drop_nonfinite": drop_nonfinite,
                "dedupe": dedupe, "seed": s, "device": device, "scheduler": scheduler, "join": getattr(join, "value", join),
                "fail_on": getattr(fail_on, "value", fail_on), "tokens": None}

    if layers:
        if scheduler:
            message("--scheduler: the per-layer analysis runs in this process (the cluster runs single-matrix id)", style="yellow")
        if drop_nonfinite or dedupe:
            raise EmbgeoError("--drop-nonfinite/--dedupe would break the row alignment between layers", hint="clean the layers first; duplicates are dropped per layer for the ratio estimators anyway")
        from embgeo.io import load_layers
        from embgeo.io.readers import refuse_stack_id_col
        from embgeo.intrinsic.layers import layer_dimensions

        stack = load_layers(files, fmt=input_format, id_col=id_col, join=getattr(join, "value", join), layout=layout_value(stack_layout), attr_cols=attr_list(attr_col))
        refuse_stack_id_col(stack, id_col, ", ".join(files), attr_cols=attr_list(attr_col))
        if len(set(stack.names)) < len(stack.names) and len(files) == len(stack.names):  # two keys of one file: name them by key
            stack = dataclasses.replace(stack, names=tuple(spec_label(f) for f in files))
        with progress("layers", total=len(stack)) as advance:
            try:
                report = layer_dimensions(stack, overlap_k=overlap_k, progress=advance, **common)
            except EmbgeoError as exc:
                raise exc.with_source(", ".join(files)) from None
        from embgeo.cli.output import stack_inputs

        inputs = stack_inputs(files, stack, report.n_rows)
        notes = [report.reports[0].notes[0], f"overlap: share of common {overlap_k}-NN between a layer and the next "
                 f"(1 = same neighbourhoods; {report.overlap_chance:.3g} = unrelated, k/(n-1))"]
        from embgeo.intrinsic.methods import NEIGHBOR_METHODS
        from embgeo.intrinsic.sampling import SAMPLE_DETAIL
        from embgeo.validation import sample_note

        detail = ["the same rows in every layer"]
        if "twonn" in methods:
            detail.append("each layer's TwoNN is compared with half of it (sample_check)")
        if any(m in NEIGHBOR_METHODS for m in methods):
            detail.append(SAMPLE_DETAIL)
        note = sample_note(sample, report.n_rows, s, detail="; ".join(detail))
        if note is not None:
            notes.append(note)
        title = f"embgeo id --layers — {len(stack)} layers × {report.n_rows} rows ({', '.join(spec_label(f) for f in files)})"
    else:
        if len(files) != 1:
            raise EmbgeoError(f"got {len(files)} input files; without --layers pass exactly one", hint="add --layers to treat several files as layers")
        if join is not None:
            raise EmbgeoError("--join says how per-layer files meet: it needs --layers", hint="add --layers, or drop --join")
        es = read_embeddings(files[0], id_col=id_col, input_format=input_format, drop_nonfinite=drop_nonfinite, dedupe=dedupe, attr_cols=attr_list(attr_col))
        n_query = min(es.n_samples, sample) if sample else es.n_samples
        with progress("neighbours", total=n_query) as advance, scheduler_client(scheduler) as client:
            if client is not None:  # kNN and spectra run on the Dask workers; the estimators here
                from functools import partial

                from embgeo.distributed.metrics import intrinsic_dimension as on_cluster

                intrinsic_dimension = partial(on_cluster, client=client)
            try:
                report = intrinsic_dimension(es.matrix, progress=advance, kernel_rate=global_settings().verbose, **common)
            except EmbgeoError as exc:
                raise exc.with_source(es.source) from None
        if report.knn_rate:
            r = report.knn_rate
            verbose(f"exact kNN: the GEMMs ran at {r['gemm_gflops']:.1f} GFLOP/s = {r['gemm_fraction']:.0%} of this machine's sgemm rate "
                    f"({r['peak_gflops']:.1f} GFLOP/s, 1024³); the whole search, selection included, at {r['search_fraction']:.0%}")
        elif report.neighbors is not None:
            verbose("kNN: no sgemm-rate figure (it is measured on the exact numpy search only)")
        report = dataclasses.replace(report, n_dims=int(es.n_features))
        if report.n_duplicates_dropped:
            message(f"{es.source}: {report.n_duplicates_dropped} exact duplicate rows dropped before TwoNN/MLE/GRIDE (they make r1 = 0)")
        inputs = [input_entry(es)]
        notes = list(report.notes)
        title = f"embgeo id — {spec_label(inputs[0])} ({report.n_used} of {report.n_rows_in} rows × {es.n_features})"

    notes += device_notes
    verdict = report.verdict()
    if verdict.status == "info":  # the verdict line (which names the estimate to read) is shown only for ok/warn/bad
        notes.insert(0, verdict.reason)
    emit_result(command="id", inputs=inputs, settings=settings, result=report, verdict=verdict, notes=notes, fmt=fmt, out=out, title=title, fail_on=fail_on)
    save_plot(report, plot)


def spec_label(spec) -> str:
    """How tables and plots name an input: ``path:key`` (two keys of one file are told apart)."""
    if isinstance(spec, dict):
        return spec["path"] + (f":{spec['key']}" if spec.get("key") else "")
    from embgeo.io.readers import split_spec

    path, key = split_spec(spec)
    return str(path) + (f":{key}" if key else "")


def register(app: typer.Typer) -> None:
    app.command("id")(intrinsic_id)
