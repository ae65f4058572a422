"""``embgeo uniformity X [--pairs Y]`` and ``embgeo gap X Y``."""

from enum import Enum
from typing import Annotated, Optional

import typer

from pathlib import Path

from embgeo.cli.common import (
    join_option,
    old_name,
    renamed,
    Device,
    FailOnOpt,
    LabelsIdOpt,
    LabelsOpt,
    PlotOpt,
    SampleOpt,
    save_plot,
    side_output,
    DedupeOpt,
    DropNonfiniteOpt,
    FormatOpt,
    AttrColOpt, IdColOpt, attr_list, only_with,
    InputFormatOpt,
    OutOpt,
    SchedulerOpt,
    SeedOpt,
    emit_result,
    input_entry,
    message, wrote,
    progress,
    resolve_device,
    scheduler_client,
    seed_value,
)


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
ConfOpt = Annotated[float, typer.Option("--confidence", help="Level of the intervals.", min=0.5, max=0.999)]
DeviceOpt = Annotated[Optional[Device], typer.Option("--device", help="Where the exact sum runs (default: the global --device). cuda uses torch on a GPU.", case_sensitive=False)]
BackendOpt = Annotated[Backend, typer.Option("--backend", help="Exact-mode engine: auto (numpy on CPU, torch on CUDA), numpy, or torch.", case_sensitive=False)]
DropZeroOpt = Annotated[bool, typer.Option("--drop-zero", help="Drop all-zero rows (they cannot be L2-normalised) instead of failing.")]
PairsJoinOpt = join_option("the rows of --pairs Y onto X")
GapJoinOpt = join_option("the rows of Y onto X (and --labels onto X)")


def _refuse_n_pairs_when_exact(mode: Mode) -> None:
    """``--n-pairs`` sizes the sample of pairs: an explicit ``--mode exact`` draws none, so a ``--n-pairs`` beside
    it would be ignored. (``--mode auto`` reads it above the exact limit, so it is accepted there at any size.)"""
    from embgeo.uniformity.core import EXACT_MAX_N

    only_with(f"sampled pairs (--mode sample, or --mode auto above {EXACT_MAX_N} rows)", mode is not Mode.exact, {"n_pairs"},
              "--mode exact uses every pair: drop --n-pairs, or use --mode sample")


def _engine(device: Optional[Device], backend: Backend, notes: list | None = None) -> str | None:
    """The library's ``device`` argument: None → numpy, else a torch device. A ``--device cuda``
    that cannot be honoured (no GPU; ``--backend numpy``) is said on stderr and, when ``notes``
    is given, in the JSON notes too."""
    from embgeo.cli.common import settings

    asked = device.value if device is not None else None
    wanted = (asked or settings().device or "cpu").lower()
    where = resolve_device(asked, notes)
    if backend is Backend.numpy:
        if where == "cuda" and wanted == "cuda":  # an explicit cuda, not auto
            message("--backend numpy runs on the CPU; ignoring --device cuda.", style="yellow")
            if notes is not None:
                notes.append("--backend numpy runs on the CPU: --device cuda was not used")
        return None
    if backend is Backend.torch or where == "cuda":
        return where
    return None


def _ran_on(engine: str | None) -> str:
    """``settings.device``: where the computation ran (``cpu`` or ``cuda``), as in id and cosine."""
    return "cuda" if engine is not None and str(engine).startswith("cuda") else "cpu"


def _load(specs: list[str], *, id_col, input_format, drop_nonfinite: bool, drop_zero: bool, dedupe: bool, sample=None, seed: int = 0,
          labels=None, labels_id_col=None, join=None, attr_cols=None):
    """Load one set or a row-paired list of sets; returns ``(sets, how, read, notes)``. Two sets are
    paired by id whenever they carry ids (``how = "id"``), else by row order (``join="row-order"``,
    or no ids); drop a row (a pair) when any of its rows is dropped; ``sample``: keep a seeded random
    sample of that many rows (pairs). ``read``: the ``inputs`` entries of the files as read (their
    full row counts, before any row is dropped or sampled); ``notes``: what was dropped or sampled,
    for the JSON notes (stderr messages vanish with -q)."""
    import numpy as np

    from embgeo.io import load
    from embgeo.io.readers import id_cols, per_column_input
    from embgeo.validation import rows_to_drop, scan_rows

    sets = [load(s, fmt=input_format, id_col=c, attr_cols=a)
            for s, c, a in zip(specs, id_cols(specs, id_col, input_format), per_column_input(specs, attr_cols, input_format))]
    read = [input_entry(es) for es in sets]
    notes: list[str] = []
    how = None
    if len(sets) == 2:  # Y's rows onto X's: by id whenever the inputs carry ids (embgeo.io.join), else by row order
        from embgeo.io.join import align_sets, check_join

        how = "row order"
        if check_join(_value(join)) == "id" and (sets[0].ids is not None or sets[1].ids is not None):
            sets, how = align_sets(sets, join=_value(join), names=specs)
        else:  # no ids: a shuffled key column (word, token) shared by both files is refused, not paired by row order
            from embgeo.io.join import check_key_columns

            check_key_columns(sets, join=_value(join), names=specs)
    if labels is not None:  # joined before rows are dropped or sampled, so that a row-order join still lines up
        from embgeo.io import join_labels

        sets[0] = join_labels(sets[0], labels, id_col=labels_id_col, join=_value(join))
    if len(sets) == 2:
        from embgeo.uniformity.core import check_paired

        check_paired(sets[0].matrix, sets[1].matrix, names=(specs[0], specs[1]))
    unit = "pairs" if len(sets) == 2 else "rows"
    if drop_nonfinite or drop_zero or dedupe:
        # a pair is dropped when either of its rows is
        bad = np.unique(np.concatenate([
            rows_to_drop(scan_rows(es.matrix, duplicates=dedupe), drop_nonfinite=drop_nonfinite, dedupe=dedupe, drop_zero=drop_zero)
            for es in sets
        ]))
        if bad.size:
            keep = np.setdiff1d(np.arange(sets[0].n_samples), bad)
            what = ", ".join(w for w, on in (("NaN/inf", drop_nonfinite), ("all-zero", drop_zero), ("duplicate", dedupe)) if on)
            text = f"dropped {bad.size} {unit} ({what} rows; first: {', '.join(map(str, bad[:5]))})"
            message(f"{', '.join(specs)}: {text}")
            notes.append(text)
            sets = [es.take(keep) for es in sets]
    if sample is not None:
        from embgeo.validation import sample_note, seeded_rows

        n = sets[0].n_samples
        note = sample_note(sample, n, seed, unit=unit)
        notes.append(note)  # in the output's notes (on stderr under -f csv), as in every command
        if sample < n:
            sets = [es.take(seeded_rows(n, sample, seed)) for es in sets]
    return sets, how, read, notes


def _join_note(how, join, sets) -> str | None:
    """The note that says how the rows of the two inputs were paired (None for the plain row-order case)."""
    if how == "id":
        return f"rows of {sets[1].source} joined onto those of {sets[0].source} by id"
    if how == "row order" and _value(join) == "row-order" and any(es.ids is not None for es in sets):
        return "rows paired by row order (--join row-order): the ids were not used"
    return None


def _value(v):
    return getattr(v, "value", v)


def _table(res, per_input, names) -> tuple[list[str], list[list]]:
    """The terminal/Markdown table in the ids of the JSON and the CSV: the tidy metric rows
    (``metric | value | ci_low | ci_high | unit | status``, with ``input`` when --pairs gives two),
    then each input's run details under their JSON keys (``mode``, ``normalized``,
    ``sq_distances.quantiles.p50`` …)."""
    paired = len(per_input) > 1
    cols = ["metric"] + (["input"] if paired else []) + ["value", "ci_low", "ci_high", "unit", "status"]
    rows = []
    for m in res.metrics():
        where = [m.extra.get("input", "")] if paired else []
        rows.append([m.metric, *where, m.value, m.ci_low, m.ci_high, m.unit, m.status])
    first = per_input[0].to_dict()  # t, mode and normalisation are the run's, the same for both inputs
    rows += [[k, *([""] if paired else []), first[k], None, None, "", ""] for k in ("t", "mode", "normalized")]
    for u, name in zip(per_input, names):
        d = u.to_dict()
        where = [name] if paired else []
        if u.mode == "sample":
            rows += [[k, *where, d[k], None, None, "", ""] for k in ("interval_method", "effective_pairs")]
        sq = d["sq_distances"]
        if not sq["exact"]:
            rows.append(["sq_distances.n_values", *where, sq["n_values"], None, None, "pairs", ""])
        rows += [[f"sq_distances.quantiles.{p}", *where, sq["quantiles"][p], None, None, "", ""] for p in ("p5", "p50", "p95")
                 if p in sq["quantiles"]]
    return cols, rows


#: the run details the gap table shows under its metric rows (JSON ``results`` keys, flattened)
GAP_DETAILS = (
    "centroid_norm_x", "centroid_norm_y", "uniformity.x.uniformity_sphere",
    "cosines.matched.quantiles.p5", "cosines.matched.quantiles.p50", "cosines.matched.quantiles.p95",
    "cosines.random.quantiles.p5", "cosines.random.quantiles.p50", "cosines.random.quantiles.p95",
    "separability.folds", "shift.direction", "shift.retrieval_pool",
    *(f"shift.after.{k}" for k in ("gap_centroid_distance", "uniformity_joint", "alignment", "matched_pair_cosine")),
    "zero_shot.n_classes", "mixup.lambda", "mixup.x_anchor_mixed_negative_mean", "mixup.y_anchor_mixed_negative_mean",
)


def _gap_table(res) -> tuple[list[str], list[list]]:
    """The gap's terminal/Markdown table in the ids of the JSON and the CSV: the tidy metric rows
    (``metric | shift | value | ci_low | ci_high | unit | status``; ``shift`` is the fraction of the
    gap removed, 0 = the data as given), then :data:`GAP_DETAILS` under their JSON keys."""
    from embgeo.cli.output import metric_table
    from embgeo.results import flatten

    d = flatten(res.to_dict())
    return metric_table(res.metrics(), [(k, d[k]) for k in GAP_DETAILS if d.get(k) is not None])


def uniformity(
    x: Annotated[str, typer.Argument(help="Embedding file (PATH or PATH:KEY).", show_default=False, metavar="X")],
    pairs: Annotated[Optional[str], typer.Option("--pairs", help="A row-paired second file Y: adds alignment, its uniformity and the centroid gap.", metavar="Y", show_default=False)] = None,
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
    attr_col: AttrColOpt = None,
    input_format: InputFormatOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    drop_zero: DropZeroOpt = False,
    dedupe: DedupeOpt = False,
    sample: SampleOpt = None,
    join: PairsJoinOpt = None,
    fail_on: FailOnOpt = None,
    plot: PlotOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Uniformity log E exp(-t‖x−y‖²) (Wang & Isola 2020); with --pairs also alignment E‖x−y‖^α and the centroid gap.

    Verdict on uniformity / uniform-sphere value (normalised rows): ok ≥ 0.8, warn ≥ 0.5, bad below."""
    from embgeo.errors import EmbgeoError
    from embgeo.uniformity.core import EXACT_MAX_N, alignment
    from embgeo.uniformity.core import uniformity as compute
    from embgeo.uniformity.gap import PairedUniformity, centroid_gap

    seed = seed_value(seed)
    specs = [x] + ([pairs] if pairs else [])
    if join is not None and not pairs:
        raise EmbgeoError("--join says how the rows of --pairs Y meet those of X: it needs --pairs Y")
    only_with("--pairs Y", bool(pairs), {"alpha"}, "--alpha is the exponent of the alignment of X with a row-paired Y: add --pairs Y, or drop --alpha")
    _refuse_n_pairs_when_exact(mode)
    sets, how, read, load_notes = _load(specs, id_col=id_col, attr_cols=attr_list(attr_col), input_format=input_format, drop_nonfinite=drop_nonfinite,
                                        drop_zero=drop_zero, dedupe=dedupe, sample=sample, seed=seed, join=join)
    engine = _engine(device, backend, load_notes)
    normalize = not raw
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
                    seed=seed + k, device=engine, backend="numpy" if engine is None else "torch", block=block, name=specs[k], progress=advance,
                ))
    ux = results[0]
    notes = [
        "rows were L2-normalised (pass --raw to keep their norms)" if normalize else "raw rows (not normalised; centred before the exact sum, which leaves distances unchanged)",
        "lower uniformity = more uniform; the uniform-sphere value is what points spread uniformly over the sphere would give",
        *load_notes,
    ]
    if ux.mode == "sample":
        notes.append(f"sampled {ux.n_pairs} random pairs; only the rows they touch were read and checked for NaN/inf/zero (embgeo info scans every row)")
    for r in results:
        if r.interval_method == "empirical-bernstein":
            notes.append(f"a few pairs hold the mean kernel ({r.effective_pairs:.0f} effective pairs of {r.n_pairs}): the interval is the "
                         "distribution-free empirical Bernstein bound, wide by design; more --n-pairs or --mode exact narrow it")
            break
    res = ux
    if pairs:
        uy = results[1]
        al = alignment(sets[0].matrix, sets[1].matrix, alpha=alpha, normalize=normalize, confidence=confidence, names=(x, pairs))
        cg = centroid_gap(sets[0].matrix, sets[1].matrix, names=(x, pairs))
        res = PairedUniformity(x=ux, y=uy, alignment=al, gap=cg, names=(x, pairs))
        notes.append("alignment: mean ‖x_i − y_i‖^α over row-paired inputs (0 = identical pairs; 2 = unrelated, isotropic pairs at α = 2)")
        if (jn := _join_note(how, join, sets)) is not None:
            notes.append(jn)
    settings = {
        "pairs": pairs, "t": t, "alpha": alpha, "mode": mode.value, "n_pairs": n_pairs, "raw": raw, "confidence": confidence,
        "block": block, "device": _ran_on(engine), "backend": backend.value, "engine": ux.backend, "seed": seed,
        "scheduler": scheduler, "id_col": id_col, "attr_col": attr_list(attr_col), "input_format": input_format, "drop_nonfinite": drop_nonfinite,
        "drop_zero": drop_zero, "dedupe": dedupe, "sample": sample, "join": _value(join), "fail_on": _value(fail_on),
    }
    cols, rows = _table(res, results, specs)
    emit_result(command="uniformity", inputs=read, settings=settings, result=res,
                columns=cols, rows=rows, notes=notes, fmt=fmt, out=out, fail_on=fail_on,
                title=f"embgeo uniformity {x}" + (f" --pairs {pairs}" if pairs else ""))
    save_plot(ux, plot, **({"pairs": uy, "alignment": al} if pairs else {}))


def _class_labels(es, classes_es, column: Optional[str]):
    """Integer class index of each row of ``es`` from its label column (indices, or names matched to the classes' ids)."""
    import numpy as np

    from embgeo.errors import EmbgeoError

    cols = sorted(es.attributes)
    if column is None:
        if len(cols) != 1:
            raise EmbgeoError(f"--classes needs the class of each row of X: {'no label column' if not cols else 'several label columns (' + ', '.join(cols) + ')'}",
                              hint="give --labels FILE (one class column) or name the column with --class")
        column = cols[0]
    values = np.asarray(es.attribute(column, kind="class"))
    ints = _as_indices(values)
    if ints is not None:
        if classes_es.ids is not None:  # row number or id? refused unless the ids are 0 … k−1 in order (both agree)
            from embgeo.uniformity.gap import class_indices

            ints = class_indices(ints, classes_es, len(ints))
        return ints, column
    if classes_es.ids is None:
        from embgeo.io.model import is_number

        numeric = np.asarray([is_number(v) for v in values])
        what = (f"holds numbers that are not whole (e.g. {float(values[numeric][0]):g})" if numeric.all() else
                "holds names") + " but the classes file has no row ids to match them"
        raise EmbgeoError(f"the class column {column!r} {what}", hint="give class indices (0 .. classes − 1), or a classes file with ids")
    index = {str(v): i for i, v in enumerate(classes_es.ids)}
    missing = sorted({str(v) for v in values} - set(index))
    if missing:
        raise EmbgeoError(f"{len(missing)} class names of {column!r} are not ids of the classes file (first: {', '.join(missing[:3])})")
    return np.array([index[str(v)] for v in values], dtype=np.int64), column


def _as_indices(values):
    """The values as int64 when every one is a whole number (ints, integral floats, or text digits), else None."""
    import numpy as np

    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    try:
        f = np.array([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if not np.all(np.isfinite(f)) or not np.all(f == np.round(f)):
        return None
    return f.astype(np.int64)


def _read_direction(path: Path):
    import numpy as np

    from embgeo.errors import EmbgeoError

    if path.suffix.lower() == ".npy":
        try:
            v = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise EmbgeoError(f"cannot read the direction: {e}", source=str(path)) from None
    else:
        from embgeo.io import load

        v = np.asarray(load(str(path)).matrix)
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 2 and 1 in v.shape:
        v = v.ravel()
    if v.ndim != 1:
        raise EmbgeoError(f"a direction is one vector; this file holds an array of shape {v.shape}", source=str(path),
                          hint="write it with gap --write-direction FILE.npy")
    if not np.isfinite(v).all():
        raise EmbgeoError(f"the direction holds NaN or inf ({int(np.sum(~np.isfinite(v)))} of its {v.size} values)", source=str(path),
                          hint="write it again with gap --write-direction FILE.npy")
    if not np.any(v):
        raise EmbgeoError("the direction is the zero vector: a shift along it moves nothing", source=str(path),
                          hint="give a gap vector measured on data with a gap (gap --write-direction), or leave --direction out")
    return v


def gap(
    x: Annotated[str, typer.Argument(help="First modality (e.g. image embeddings): PATH or PATH:KEY.", show_default=False, metavar="X")],
    y: Annotated[str, typer.Argument(help="Second modality, row-paired with X (row i of both is one item).", show_default=False, metavar="Y")],
    t: TOpt = 2.0,
    alpha: Annotated[float, typer.Option("--alpha", help="Exponent α of the alignment and of rel_lalign.")] = 2.0,
    mode: ModeOpt = Mode.auto,
    n_pairs: NPairsOpt = 200_000,
    confidence: ConfOpt = 0.95,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds of the linear-separability probe.", min=2)] = 5,
    separability: Annotated[bool, typer.Option("--separability/--no-separability", help="Run the logistic-regression probe (scikit-learn).")] = True,
    shift: Annotated[float, typer.Option("--shift", help="Fraction of the gap vector removed in the shift experiment (1 = all of it).", min=0.0, max=2.0)] = 1.0,
    shift_sweep: Annotated[Optional[str], typer.Option("--shift-sweep", help="Measure retrieval, contrastive loss, rel_lalign (and zero-shot hits) at each shift START:STOP:STEP, ends included (e.g. -1:2:0.1; negative values enlarge the gap), or a comma list.", show_default=False)] = None,
    direction: Annotated[Optional[Path], typer.Option("--direction", help="Shift along this gap vector (.npy, one row; e.g. written by --write-direction on another dataset) instead of this data's.", dir_okay=False, exists=True, show_default=False)] = None,
    write_direction: Annotated[Optional[Path], typer.Option("--write-direction", help="Write this data's gap vector Δ = mean x̂ − mean ŷ to this .npy file.", dir_okay=False, callback=side_output(".npy"), show_default=False)] = None,
    temperature: Annotated[float, typer.Option("--temperature", help="Softmax temperature τ of the contrastive (CLIP/InfoNCE) loss; 0.01 is CLIP's logit scale 100.")] = 0.01,
    classes: Annotated[Optional[str], typer.Option("--classes", help="Class embeddings (e.g. prompt texts, one row per class) for zero-shot Hit@1/5 of X; the class of each X row comes from --labels.", show_default=False)] = None,
    labels: LabelsOpt = None,
    labels_id_col: LabelsIdOpt = None,
    join: GapJoinOpt = None,
    class_col: Annotated[Optional[str], typer.Option("--class", help="Label column holding each X row's class (an index into --classes, or its id); default: the only label column.", show_default=False)] = None,
    mixup_lambda: Annotated[float, typer.Option("--lambda", help="Mixing ratio λ of the geodesic-mixup hard negatives (weight on X).", min=0.0, max=1.0)] = 0.5,
    block: Annotated[Optional[int], typer.Option("--block", help="Rows per tile of the exact uniformity sums (memory ~ block × n).", min=1)] = None,
    device: DeviceOpt = None,
    backend: BackendOpt = Backend.auto,
    seed: SeedOpt = None,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    input_format: InputFormatOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    drop_zero: DropZeroOpt = False,
    dedupe: DedupeOpt = False,
    sample: SampleOpt = None,
    fail_on: FailOnOpt = None,
    plot: PlotOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
    class_col_old: old_name("--class-col") = None,
    cv_old: old_name("--cv", int) = None,
):
    """The modality gap between two row-paired sets (Liang et al. 2022): centroid gap, uniformity, alignment, separability,
    the shift experiment (retrieval R@1/5/10, contrastive loss, rel_lalign), zero-shot hits and mixup.

    Verdict: bad when removing the gap raises recall@1 by ≥ 0.05 (interval above 0), warn on a smaller significant gain or when matched pairs are no closer than random pairs, else ok."""
    import numpy as np

    from embgeo.errors import EmbgeoError
    from embgeo.uniformity.gap import modality_gap, parse_sweep

    seed = seed_value(seed)
    _refuse_n_pairs_when_exact(mode)  # (--alpha always applies here: X and Y are paired)
    class_col = renamed(class_col, class_col_old, old="--class-col", new="--class")
    folds = renamed(folds, cv_old, old="--cv", new="--folds")
    grid = parse_sweep(shift_sweep) if shift_sweep is not None else None
    if classes is None and (labels is not None or class_col is not None):
        raise EmbgeoError("--labels/--class give the class of each X row for zero-shot hits, which needs --classes C.npy")
    vec = _read_direction(direction) if direction is not None else None
    (sx, sy), how, read, load_notes = _load([x, y], id_col=id_col, attr_cols=attr_list(attr_col), input_format=input_format, drop_nonfinite=drop_nonfinite,
                                            drop_zero=drop_zero, dedupe=dedupe, sample=sample, seed=seed, labels=labels,
                                            labels_id_col=labels_id_col, join=join)
    if vec is not None and vec.size != sx.matrix.shape[1]:  # (the library says it too, without the file's name)
        raise EmbgeoError(f"the direction has {vec.size} values but {x} has {sx.matrix.shape[1]} columns", source=str(direction),
                          hint="give the gap vector written by gap --write-direction on embeddings of the same width")
    engine = _engine(device, backend, load_notes)
    cls = class_labels = used_col = None
    if classes is not None:
        from embgeo.io import load

        cls = load(classes, fmt=input_format)
        class_labels, used_col = _class_labels(sx, cls, class_col)
    res = modality_gap(
        sx.matrix, sy.matrix, t=t, alpha=alpha, mode=mode.value, n_pairs=n_pairs, confidence=confidence,
        seed=seed, device=engine, backend="numpy" if engine is None else "torch", block=block, n_folds=folds, separability=separability,
        shift_fraction=shift, mixup_lambda=mixup_lambda, temperature=temperature, direction=vec, sweep=grid,
        classes=None if cls is None else cls.matrix, class_labels=class_labels, names=(x, y),
    )
    if write_direction is not None:
        from embgeo.io.writers import save_npy

        save_npy(write_direction, np.asarray(res.gap_vector, dtype=np.float64))
        wrote(write_direction, f"the gap vector: {res.n_dims} values, ‖Δ‖ = {res.gap_centroid_distance:.6g}")
    notes = [
        "all numbers on L2-normalised rows; row i of X and Y is one matched pair",
        "separability 0.5 = the modalities are linearly indistinguishable; 1.0 = a hyperplane splits them",
        f"shift: x̂ − {shift:g}·Δ/2 and ŷ + {shift:g}·Δ/2, renormalised (Δ = {'the --direction vector' if vec is not None else 'mean x̂ − mean ŷ'}); "
        f"retrieval among {res.shift.retrieval_pool} pairs; contrastive loss at τ = {temperature:g}",
        "uniformity_reference_mm is the m²-Mix reference's 'multimodal uniformity': it passes X twice (torch.cat([image, image])), not X and Y",
        *load_notes,
    ]
    if (jn := _join_note(how, join, (sx, sy))) is not None:
        notes.insert(1, jn)
    if res.zero_shot is not None and res.zero_shot.note:
        notes.append(res.zero_shot.note)  # e.g. hit@5 left out: with ≤ 5 classes it is always 1
    settings = {
        "t": t, "alpha": alpha, "mode": mode.value, "n_pairs": n_pairs, "confidence": confidence, "folds": folds,
        "separability": separability, "shift": shift, "shift_sweep": None if grid is None else [float(v) for v in grid],
        "direction": None if direction is None else str(direction), "write_direction": None if write_direction is None else str(write_direction),
        "temperature": temperature, "classes": classes, "labels": None if labels is None else str(labels),
        "labels_id_col": labels_id_col, "join": _value(join), "class": used_col, "lambda": mixup_lambda, "block": block,
        "device": _ran_on(engine), "backend": backend.value, "engine": res.uniformity_x.backend, "seed": seed, "id_col": id_col, "attr_col": attr_list(attr_col),
        "input_format": input_format, "drop_nonfinite": drop_nonfinite, "drop_zero": drop_zero, "dedupe": dedupe,
        "sample": sample, "fail_on": _value(fail_on),
    }
    inputs = read + ([input_entry(cls)] if cls is not None else [])
    cols, rows = _gap_table(res)
    emit_result(command="gap", inputs=inputs, settings=settings, result=res, notes=notes, fmt=fmt, out=out,
                fail_on=fail_on, title=f"embgeo gap {x} {y}", columns=cols, rows=rows)
    save_plot(res, plot, X=sx.matrix, Y=sy.matrix, names=(sx.source, sy.source))


def register(app: typer.Typer) -> None:
    app.command("uniformity")(uniformity)
    app.command("gap")(gap)
