"""``embgeo uniformity X [--pairs Y]`` and ``embgeo gap X Y``."""
from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from embgeo.cli.common import (
    Device,
    PlotOpt,
    save_plot,
    DedupeOpt,
    DropNonfiniteOpt,
    FormatOpt,
    IdColOpt,
    InputFormatOpt,
    OutOpt,
    SchedulerOpt,
    SeedOpt,
    message,
    progress,
    resolve_device,
    scheduler_client,
    seed_value,
)
from embgeo.cli.output import emit


class Mode(str, Enum):
    auto = "auto"
    exact = "exact"
    sample = "sample"


class Backend(str, Enum):
    auto = "auto"
    numpy = "numpy"
    torch = "torch"


TOpt = Annotated[float, typer.Option("--t", help="Temperature t of the uniformity kernel exp(-t‖x−y‖²).")]
ModeOpt = Annotated[Mode, typer.Option("--mode", help="exact: all pairs (blockwise); sample: random pairs with an interval; auto: exact up to 20 000 rows.", case_sensitive=False)]
NPairsOpt = Annotated[int, typer.Option("--n-pairs", help="Random pairs in sampled mode.", min=2)]
ConfOpt = Annotated[float, typer.Option("--confidence", help="Level of the intervals.")]
DeviceOpt = Annotated[Optional[Device], typer.Option("--device", help="Where the exact sum runs (default: the global --device). cuda uses torch on a GPU.", case_sensitive=False)]
BackendOpt = Annotated[Backend, typer.Option("--backend", help="Exact-mode engine: auto (numpy on CPU, torch on CUDA), numpy, or torch.", case_sensitive=False)]
DropZeroOpt = Annotated[bool, typer.Option("--drop-zero", help="Drop all-zero rows (they cannot be L2-normalised) instead of failing.")]


def _engine(device: Optional[Device], backend: Backend) -> str | None:
    """The library's ``device`` argument: None → numpy, else a torch device."""
    asked = device.value if device is not None else None
    where = resolve_device(asked)
    if backend is Backend.numpy:
        from embgeo.cli.common import settings

        if where == "cuda" and (asked or settings().device or "cpu").lower() == "cuda":  # an explicit cuda, not auto
            message("--backend numpy runs on the CPU; ignoring --device cuda.", style="yellow")
        return None
    if backend is Backend.torch or where == "cuda":
        return where
    return None


def _load(specs: list[str], *, id_col, input_format, drop_nonfinite: bool, drop_zero: bool, dedupe: bool):
    """Load one set or a row-paired list of sets; drop a row (a pair) when any of its rows is dropped."""
    import numpy as np

    from embgeo.io import load
    from embgeo.validation import rows_to_drop, scan_rows

    sets = [load(s, fmt=input_format, id_col=id_col) for s in specs]
    if len(sets) == 2:
        from embgeo.uniformity.core import check_paired

        check_paired(sets[0].matrix, sets[1].matrix, names=(specs[0], specs[1]))
    if not (drop_nonfinite or drop_zero or dedupe):
        return sets
    # a pair is dropped when either of its rows is
    bad = np.unique(np.concatenate([
        rows_to_drop(scan_rows(es.matrix, duplicates=dedupe), drop_nonfinite=drop_nonfinite, dedupe=dedupe, drop_zero=drop_zero)
        for es in sets
    ]))
    if bad.size == 0:
        return sets
    keep = np.setdiff1d(np.arange(sets[0].n_samples), bad)
    what = ", ".join(w for w, on in (("NaN/inf", drop_nonfinite), ("all-zero", drop_zero), ("duplicate", dedupe)) if on)
    unit = "pairs" if len(sets) == 2 else "rows"
    message(f"{', '.join(specs)}: dropped {bad.size} {unit} ({what} rows; first: {', '.join(map(str, bad[:5]))})")
    return [es.take(keep) for es in sets]


def uniformity(
    x: Annotated[str, typer.Argument(help="Embedding file (PATH or PATH:KEY).", show_default=False)],
    pairs: Annotated[Optional[str], typer.Option("--pairs", help="A row-paired second file: adds alignment, its uniformity and the centroid gap.")] = None,
    t: TOpt = 2.0,
    alpha: Annotated[float, typer.Option("--alpha", help="Exponent α of the alignment E‖x−y‖^α.")] = 2.0,
    mode: ModeOpt = Mode.auto,
    n_pairs: NPairsOpt = 200_000,
    raw: Annotated[bool, typer.Option("--raw", help="Use the rows as they are (no L2 normalisation).")] = False,
    confidence: ConfOpt = 0.95,
    block: Annotated[Optional[int], typer.Option("--block", help="Rows per tile of the exact sum (memory ~ block × n).", min=1)] = None,
    device: DeviceOpt = None,
    backend: BackendOpt = Backend.auto,
    seed: SeedOpt = None,
    scheduler: SchedulerOpt = None,
    id_col: IdColOpt = None,
    input_format: InputFormatOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    drop_zero: DropZeroOpt = False,
    dedupe: DedupeOpt = False,
    plot: PlotOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Uniformity log E exp(-t‖x−y‖²) (Wang & Isola 2020); with --pairs also alignment E‖x−y‖^α and the centroid gap."""
    from embgeo.uniformity.gap import centroid_gap
    from embgeo.uniformity.core import EXACT_MAX_N, alignment
    from embgeo.uniformity.core import uniformity as compute

    specs = [x] + ([pairs] if pairs else [])
    sets = _load(specs, id_col=id_col, input_format=input_format, drop_nonfinite=drop_nonfinite, drop_zero=drop_zero, dedupe=dedupe)
    engine = _engine(device, backend)
    normalize = not raw
    seed = seed_value(seed)
    results = []
    with scheduler_client(scheduler) as client:
        if client is not None:  # the same computation, its blocks run on the Dask workers
            from functools import partial

            from embgeo.distributed.metrics import uniformity as on_cluster

            compute = partial(on_cluster, client=client)
        for k, es in enumerate(sets):
            n = es.n_samples
            exact = mode is Mode.exact or (mode is Mode.auto and n <= EXACT_MAX_N)
            total = n * (n + 1) // 2 if exact else n_pairs
            with progress(f"uniformity of {specs[k]}", total=total) as advance:
                results.append(compute(
                    es.matrix, t=t, normalize=normalize, mode=mode.value, n_pairs=n_pairs, confidence=confidence,
                    seed=seed + k, device=engine, block=block, name=specs[k], progress=advance,
                ))
    ux = results[0]
    data = {"input": x, "n_samples": ux.n_samples, "n_features": ux.n_features, "normalized": normalize, "uniformity": ux.to_dict()}
    cols, rows = ux.table()
    notes = [
        "rows were L2-normalised (pass --raw to keep their norms)" if normalize else "raw rows (not normalised; centred before the exact sum, which leaves distances unchanged)",
        "lower uniformity = more uniform; the uniform-sphere value is what points spread uniformly over the sphere would give",
    ]
    if ux.mode == "sample":
        notes.append(f"sampled {ux.n_pairs} random pairs; only the rows they touch were read and checked for NaN/inf/zero (embgeo info scans every row)")
    for r in results:
        if r.interval_method == "empirical-bernstein":
            notes.append(f"a few pairs hold the mean kernel ({r.effective_pairs:.0f} effective pairs of {r.n_pairs}): the interval is the "
                         "distribution-free empirical Bernstein bound, wide by design; more --n-pairs or --mode exact narrow it")
            break
    if pairs:
        uy = results[1]
        al = alignment(sets[0].matrix, sets[1].matrix, alpha=alpha, normalize=normalize, confidence=confidence, names=(x, pairs))
        cg = centroid_gap(sets[0].matrix, sets[1].matrix, names=(x, pairs))
        data.update({"pairs_input": pairs, "uniformity_pairs": uy.to_dict(), "alignment": al.to_dict(), "gap": cg.to_dict()})
        rows = [[f"X: {r[0]}", r[1]] for r in rows] + [["Y: uniformity", uy.value]]
        if uy.mode == "sample":
            rows.append([f"Y: {uy.confidence:.0%} interval", [uy.ci_low, uy.ci_high]])
        rows += [["alignment", al.value], [f"alignment {al.confidence:.0%} interval", [al.ci_low, al.ci_high]], ["alpha", al.alpha], ["centroid gap (normalised rows)", cg.value]]
        notes.append("alignment: mean ‖x_i − y_i‖^α over row-paired inputs (0 = identical pairs; 2 = unrelated, isotropic pairs at α = 2)")
    emit(command="uniformity", data=data, columns=cols, rows=rows, fmt=fmt, out=out, title=f"embgeo uniformity {x}" + (f" --pairs {pairs}" if pairs else ""), notes=notes)
    save_plot(ux, plot, **({"pairs": uy, "alignment": al} if pairs else {}))


def gap(
    x: Annotated[str, typer.Argument(help="First modality (e.g. image embeddings): PATH or PATH:KEY.", show_default=False)],
    y: Annotated[str, typer.Argument(help="Second modality, row-paired with X (row i of both is one item).", show_default=False)],
    t: TOpt = 2.0,
    alpha: Annotated[float, typer.Option("--alpha", help="Exponent α of the alignment.")] = 2.0,
    mode: ModeOpt = Mode.auto,
    n_pairs: NPairsOpt = 200_000,
    confidence: ConfOpt = 0.95,
    cv: Annotated[int, typer.Option("--cv", help="Folds of the cross-validated linear-separability probe.", min=2)] = 5,
    separability: Annotated[bool, typer.Option("--separability/--no-separability", help="Run the logistic-regression probe (scikit-learn).")] = True,
    shift: Annotated[float, typer.Option("--shift", help="Fraction of the gap vector removed in the shift experiment (1 = all of it).", min=0.0, max=2.0)] = 1.0,
    mixup_lambda: Annotated[float, typer.Option("--lambda", help="Mixing ratio λ of the geodesic-mixup hard negatives (weight on X).", min=0.0, max=1.0)] = 0.5,
    block: Annotated[Optional[int], typer.Option("--block", help="Rows per tile of the exact uniformity sums (memory ~ block × n).", min=1)] = None,
    device: DeviceOpt = None,
    backend: BackendOpt = Backend.auto,
    seed: SeedOpt = None,
    id_col: IdColOpt = None,
    input_format: InputFormatOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    drop_zero: DropZeroOpt = False,
    dedupe: DedupeOpt = False,
    plot: PlotOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """The modality gap between two row-paired sets (Liang et al. 2022): centroid gap, uniformity, alignment, separability, shift and mixup."""
    from embgeo.uniformity.gap import modality_gap

    sx, sy = _load([x, y], id_col=id_col, input_format=input_format, drop_nonfinite=drop_nonfinite, drop_zero=drop_zero, dedupe=dedupe)
    res = modality_gap(
        sx.matrix, sy.matrix, t=t, alpha=alpha, mode=mode.value, n_pairs=n_pairs, confidence=confidence,
        seed=seed_value(seed), device=_engine(device, backend), block=block, cv=cv, separability=separability,
        shift_fraction=shift, mixup_lambda=mixup_lambda, names=(x, y),
    )
    data = {"inputs": [x, y], **res.to_dict()}
    cols, rows = res.table()
    notes = [
        "all numbers on L2-normalised rows; row i of X and Y is one matched pair",
        "separability 0.5 = the modalities are linearly indistinguishable; 1.0 = a hyperplane splits them",
        f"shift: x̂ − {shift:g}·Δ/2 and ŷ + {shift:g}·Δ/2, renormalised (Δ = mean x̂ − mean ŷ); recall@1 among {res.shift.retrieval_pool} pairs",
    ]
    emit(command="gap", data=data, columns=cols, rows=rows, fmt=fmt, out=out, title=f"embgeo gap {x} {y}", notes=notes)
    save_plot(res, plot, X=sx.matrix, Y=sy.matrix, names=(sx.source, sy.source))


def register(app: typer.Typer) -> None:
    app.command("uniformity")(uniformity)
    app.command("gap")(gap)
