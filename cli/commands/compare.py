"""``embgeo compare X Y [Z …] [--layers] [--prefix-dims 32,64] [--quantize int8|binary]``"""

from enum import Enum
from typing import Annotated, List, Optional

import typer

from embgeo.cli.common import (
    join_option, only_with,
    FailOnOpt, FormatOpt, AttrColOpt, IdColOpt, attr_list, InputFormatOpt, MethodOpt, OutOpt, PlotOpt, SampleOpt, SchedulerOpt, SeedOpt, StackLayoutOpt, emit_result, layout_value,
    input_entry, message, wrote, progress, read_embeddings, resolve_device, scheduler_client, seed_value, split_list, settings as global_settings,
)


#: how the rows of the inputs (or of per-layer files with --layers) meet: the rule of embgeo.io.join
CompareJoinOpt = join_option("the rows of the inputs (per-layer files with --layers)")


class CompareMetric(str, Enum):
    cosine = "cosine"
    euclidean = "euclidean"


def compare(
    files: Annotated[List[str], typer.Argument(help="Embedding files of the same items (PATH or PATH:KEY): X Y [Z …]; one X with --prefix-dims/--quantize; a stack with --layers.", show_default=False, metavar="X [Y ...]")],
    method: MethodOpt = None,
    k: Annotated[Optional[List[str]], typer.Option("--k", "-k", help="Neighbours of mutual kNN: one number or a comma list for a curve (e.g. -k 5,10,50).")] = ["10"],
    metric: Annotated[CompareMetric, typer.Option("--metric", help="cosine: rows L2-normalised before every measure; euclidean: raw rows.", case_sensitive=False)] = CompareMetric.cosine,
    layers: Annotated[bool, typer.Option("--layers", help="Treat the input as a layer stack (one L×n×d file or one file per layer): layer × layer.")] = False,
    prefix_dims: Annotated[Optional[str], typer.Option("--prefix-dims", help="Compare X with its first D coordinates, for each D in a comma list (Matryoshka check), e.g. 32,64,128,256.", show_default=False)] = None,
    quantize: Annotated[Optional[List[str]], typer.Option("--quantize", help="Compare X with a quantised copy: int8 (per-dimension ranges) or binary (signs); repeat or comma list.", show_default=False)] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap replicates of every interval (0: none).", min=0)] = 100,
    permutations: Annotated[int, typer.Option("--permutations", help="Permutations (rows of Y shuffled) of every null band (0: none).", min=0)] = 100,
    confidence: Annotated[float, typer.Option("--confidence", help="Level of the intervals and null bands.", min=0.5, max=0.999)] = 0.95,
    sample: SampleOpt = None,
    resample_rows: Annotated[int, typer.Option("--resample-rows", help="Rows of the CKA/Procrustes bootstrap (m-out-of-n: spread rescaled by √(m/n) when fewer than n; null bands use every row).", min=10)] = 1000,
    rsa_rows: Annotated[int, typer.Option("--rsa-rows", help="Rows whose pairwise distances RSA correlates (at least 10: 45 pairs).", min=10)] = 500,
    rbf_rows: Annotated[int, typer.Option("--rbf-rows", help="Rows of RBF CKA (-m cka_rbf).", min=4)] = 1000,
    rbf_sigma: Annotated[float, typer.Option("--rbf-sigma", help="RBF bandwidth as a multiple of the median pairwise distance.", min=1e-6)] = 1.0,
    approx: Annotated[bool, typer.Option("--approx", help="Approximate kNN (pynndescent) for mutual kNN and the imbalance, with a measured recall.")] = False,
    scheduler: SchedulerOpt = None,
    join: CompareJoinOpt = None,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    input_format: InputFormatOpt = None,
    stack_layout: StackLayoutOpt = None,
    plot: PlotOpt = None,
    plot_metric: Annotated[Optional[str], typer.Option("--plot-metric", help="Metric of the heat-map (default: cka_linear, else the first computed).", show_default=False)] = None,
    seed: SeedOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Are two embedding spaces of the same items the same geometry? Linear CKA (biased and
    unbiased), RBF CKA (-m cka_rbf), mutual kNN overlap, information imbalance both ways,
    Procrustes residual and retrieval R@1/R@10 after the map, RSA — each with a bootstrap
    interval and a permutation-null band. Rows are joined by id (an error on any mismatch);
    by row order only when no input has ids. Three or more inputs, or --layers, give a matrix.
    Verdict: ok when cka_linear ≥ 0.9 and mutual_knn ≥ 0.5, bad below 0.5 / 0.2."""
    import numpy as np

    from embgeo.compare.core import QUANTIZE, check_methods, compare_many, prefix, quantize as quantize_copy
    from embgeo.errors import EmbgeoError

    s = seed_value(seed)
    methods = check_methods(split_list(method) or None)
    ks = []
    for v in split_list(k):
        try:
            ks.append(int(v))
        except ValueError:
            raise EmbgeoError(f"--k takes whole numbers, got {v!r}", hint="e.g. -k 10 or -k 5,10,50") from None
    if not ks or min(ks) < 1:
        raise EmbgeoError("--k must be at least 1", hint="e.g. -k 10 or -k 5,10,50")
    dims = []
    for v in split_list([prefix_dims] if prefix_dims else []):
        try:
            dims.append(int(v))
        except ValueError:
            raise EmbgeoError(f"--prefix-dims takes whole numbers, got {v!r}", hint="e.g. --prefix-dims 32,64,128,256") from None
    quants = [q.lower() for q in split_list(quantize)]
    for q in quants:
        if q not in QUANTIZE:
            raise EmbgeoError(f"--quantize takes {' or '.join(QUANTIZE)}, got {q!r}")
    copies = bool(dims or quants)
    if copies and (layers or len(files) != 1):
        raise EmbgeoError("--prefix-dims/--quantize compare one input X with copies of itself", hint="give exactly one file and no --layers")
    join_value = getattr(join, "value", join)
    # every compare measure runs with numpy on the CPU: the global --device is resolved (a cuda without a
    # GPU says so on stderr, as in every command) and recorded, and a device it cannot use is a note
    asked = (global_settings().device or "cpu").lower()
    device_notes = []
    if asked != "cpu":
        where = resolve_device(asked, device_notes)
        if where == "cuda":
            message(f"--device {asked}: compare runs with numpy on the CPU; the GPU is not used.", style="yellow")
            device_notes.append(f"--device {asked}: compare runs with numpy on the CPU; the GPU was not used")

    pairs = None
    only_with("--layers", layers, {"stack_layout"}, "--stack-layout says how a 3-D stack file is laid out: add --layers, or drop it")
    only_with("--plot", plot is not None, {"plot_metric"}, "--plot-metric picks the metric of the --plot heat-map: add --plot FILE, or drop it")
    if plot_metric is not None and not layers and len(files) == 2 and not (prefix_dims or quantize):
        raise EmbgeoError("--plot-metric picks the heat-map of three or more spaces; two spaces are drawn as one dot plot of every metric",
                          hint="drop --plot-metric (or compare three or more spaces)")
    if layers:
        from embgeo.io import load_layers
        from embgeo.io.readers import refuse_stack_id_col

        stack = load_layers(files, fmt=input_format, id_col=id_col, join=join_value, layout=layout_value(stack_layout), attr_cols=attr_list(attr_col))
        refuse_stack_id_col(stack, id_col, ", ".join(files), attr_cols=attr_list(attr_col))
        if len(stack) < 2:
            raise EmbgeoError("--layers needs at least two layers", source=", ".join(files))
        names = list(stack.names)
        if len(set(names)) < len(names):
            names = [f"layer{i}" for i in range(len(names))]
        spaces = list(stack.layers)
        kind = "layers"
        n = int(stack.layers[0].shape[0])
        from embgeo.cli.output import stack_inputs

        inputs = stack_inputs(files, stack, n)
        stack_join = stack.join or "row order"  # per-layer files: joined by id (or row order) onto the first file's rows
        if stack.ids is not None and stack_join == "id":  # already in one order: the pairs say "id", as for X Y
            from embgeo.io.model import EmbeddingSet

            spaces = [EmbeddingSet(L, ids=stack.ids, provenance={"file": nm}) for L, nm in zip(spaces, names)]
            join_value = "id"
        else:
            join_value = "row-order"  # the layers of one array (or files without ids) hold the same rows in the same order
    else:
        from embgeo.io.readers import id_cols, per_column_input

        sets = [read_embeddings(f, id_col=c, input_format=input_format, attr_cols=a)
                for f, c, a in zip(files, id_cols(files, id_col, input_format), per_column_input(files, attr_list(attr_col), input_format))]
        inputs = [input_entry(es) for es in sets]
        names = list(files)
        if len(set(names)) < len(names):
            names = [f"{n}#{i + 1}" for i, n in enumerate(names)]
        if copies:
            X = np.asarray(sets[0].matrix)
            if quants:  # quantize() refuses NaN/inf rows: say so naming the file, as compare_many would
                from embgeo.validation import as_matrix

                as_matrix(X, name=names[0], min_rows=1, rescale=None)
            spaces = [X]
            for d in dims:
                spaces.append(prefix(X, d))
                names.append(f"{names[0]}[:{d}]")
            for q in quants:
                spaces.append(quantize_copy(X, q))
                names.append(f"{names[0]}@{q}")
            pairs = [(0, j) for j in range(1, len(spaces))]
            kind = "prefix" if dims and not quants else ("quantize" if quants and not dims else "prefix+quantize")
            join_value = "row-order"
        else:
            if len(sets) < 2:
                raise EmbgeoError("compare needs two inputs X Y (or one X with --layers, --prefix-dims or --quantize)", hint="see embgeo compare --help")
            spaces = sets
            kind = "inputs"
    n_pairs = len(pairs) if pairs is not None else len(spaces) * (len(spaces) - 1) // 2
    with progress("pairs", total=n_pairs) as advance, scheduler_client(scheduler) as client:
        res = compare_many(spaces, names=names, pairs=pairs, kind=kind, methods=methods, k=ks, metric=metric.value, n_bootstrap=bootstrap,
                           n_permutations=permutations, confidence=confidence, seed=s, sample=sample, resample_rows=resample_rows, rsa_rows=rsa_rows,
                           rbf_rows=rbf_rows, rbf_sigma=rbf_sigma, approx=approx, join=join_value, progress=advance, client=client)
    single = kind == "inputs" and len(spaces) == 2
    result = res.pairs[0] if single else res
    notes = list(res.notes) + device_notes  # res.notes: the --sample note (embgeo.validation.sample_note), sampled or not
    if res.pairs and res.pairs[0].join == "row order" and kind == "inputs":
        notes.append("rows joined by row order (no input has ids): row i of every input must be the same item")
    settings = {"method": list(methods), "k": ks, "metric": metric.value, "layers": layers, "prefix_dims": dims or None,
                "quantize": quants or None, "bootstrap": bootstrap, "permutations": permutations, "confidence": confidence, "sample": sample,
                "resample_rows": resample_rows, "rsa_rows": rsa_rows, "rbf_rows": rbf_rows, "rbf_sigma": rbf_sigma, "approx": approx,
                "scheduler": scheduler, "join": join_value, "id_col": id_col, "attr_col": attr_list(attr_col), "input_format": input_format, "stack_layout": layout_value(stack_layout), "device": "cpu", "seed": s, "fail_on": getattr(fail_on, "value", fail_on)}
    verdict = result.verdict()
    if verdict.status == "info":
        notes.insert(0, verdict.reason)
    if single:
        title = f"embgeo compare {names[0]} {names[1]} ({res.pairs[0].n_rows} rows; {res.pairs[0].n_dims_x} vs {res.pairs[0].n_dims_y} dims; {metric.value})"
    else:
        title = f"embgeo compare — {kind}: {len(names)} spaces, {len(res.pairs)} pairs ({res.pairs[0].n_rows} rows; {metric.value})"
    if plot is not None:
        from embgeo.plots import save_figure
        from embgeo.plots.compare import plot_compare

        save_figure(plot_compare(result, metric=plot_metric), plot)
        wrote(plot, "plot")
    emit_result(command="compare", inputs=inputs, settings=settings, result=result, verdict=verdict, notes=notes, fmt=fmt, out=out,
                title=title, fail_on=fail_on)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
