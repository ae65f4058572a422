"""``embgeo rank X --labels L.csv --attr COLUMN``: is an ordinal attribute a direction in this space?"""

from enum import Enum
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from embgeo.cli.common import (
    join_option, only_with,
    DedupeOpt, DropNonfiniteOpt, FailOnOpt, FormatOpt, AttrColOpt, IdColOpt, attr_list, InputFormatOpt, KOpt, LabelsIdOpt, LabelsOpt, OutOpt, PlotOpt, SampleOpt, SeedOpt, StackLayoutOpt, emit_result, input_entry, message, wrote, progress, read_embeddings, save_plot, seed_value, side_output,
    split_list, layout_value,
)


class Method(str, Enum):
    all = "all"
    regression = "regression"
    pairwise = "pairwise"
    extremes = "extremes"
    fewshot = "fewshot"
    anchors = "anchors"
    anchors_best = "anchors_best"


def _check_methods(value: Optional[List[str]]) -> Optional[List[str]]:
    """``-m regression,extremes`` and ``-m regression -m extremes`` alike; unknown names are refused at parse time."""
    if not value:
        return value
    names = [n.lower() for n in split_list(value)]
    valid = [m.value for m in Method]
    bad = [n for n in names if n not in valid]
    if bad:
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"unknown --method {bad[0]!r}", hint=f"use {', '.join(valid)} (comma-separated or repeated)")
    return names


class Transform(str, Enum):
    none = "none"
    log1p = "log1p"
    rank = "rank"


class AxisFrom(str, Enum):
    auto = "auto"
    regression = "regression"
    extremes = "extremes"
    pairwise = "pairwise"
    extremes_q = "extremes_q"
    anchors = "anchors"
    anchors_best = "anchors_best"
    pca = "pca"


def _row_ids(es, labels: Path | None, labels_id_col: str | None) -> list[str]:
    """Ids of the rows: the embeddings' own, else the labels file's id column (joined by row order), else row numbers."""
    if es.ids is not None:
        return [str(i) for i in es.ids]
    if labels is not None:
        from embgeo.io.labels import read_table

        header, rows = read_table(labels)
        key = labels_id_col if labels_id_col is not None else ("id" if "id" in header else None)
        if key is not None and key in header and len(rows) == es.n_samples:
            j = header.index(key)
            values = [r[j].strip() for r in rows]
            if sorted(values, key=lambda v: int(v) if v.isdigit() else -1) == [str(i) for i in range(es.n_samples)]:
                return [str(i) for i in range(es.n_samples)]  # joined by row number: row i's id is i, whatever the file's order
            return values  # joined by row order: the file's order is the rows' order
    return [str(i) for i in range(es.n_samples)]


def _anchor_rows(names: list[str], ids: list[str], which: str, source: str) -> list[int]:
    from embgeo.errors import EmbgeoError

    pos = {v: i for i, v in enumerate(ids)}
    out = []
    for name in names:
        if name not in pos:
            raise EmbgeoError(f"--anchor-{which} '{name}' is not an id of the embeddings", source=source,
                              hint="use an id from the embeddings, the labels file's id column, or a row number when there are no ids")
        out.append(pos[name])
    return out


def refuse_unused_method_options(names) -> None:
    """Options that tune one axis method, given while -m leaves that method out: refused (they would be ignored)."""
    only_with("-m fewshot", "fewshot" in names, {"shots", "repeats"}, "--shots/--repeats size the few-shot curve: add -m fewshot, or drop them")
    only_with("-m anchors_best", "anchors_best" in names, {"anchor_pairs", "validation"},
              "--anchor-pairs/--validation tune how anchors_best picks its pair: add -m anchors_best, or drop them")
    only_with("-m extremes (extremes_q) or anchors_best", bool({"extremes_q", "anchors_best"} & set(names)), {"quantile"},
              "--quantile sets the top/bottom share of extremes_q and of anchors_best's candidates: add one of them, or drop it")


def _parse_shots(text: str) -> tuple[int, ...]:
    from embgeo.errors import EmbgeoError

    try:
        shots = tuple(int(t) for t in text.replace(" ", "").split(",") if t)
    except ValueError:
        raise EmbgeoError(f"--shots must be comma-separated integers, got '{text}'", hint="e.g. --shots 2,4,8,16,32,64") from None
    if not shots:
        raise EmbgeoError("--shots is empty", hint="e.g. --shots 2,4,8,16,32,64")
    return shots


def _csv_cell(v) -> str:
    import math

    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return repr(float(v)) if isinstance(v, float) else str(v)


def rank(
    files: Annotated[List[str], typer.Argument(help="Embedding file (PATH or PATH:KEY); with --layers one L×n×d file or one file per layer.", show_default=False, metavar="X...")],
    attr: Annotated[str, typer.Option("--attr", help="Numeric attribute column (from --labels or the embedding file) to rank by.", show_default=False)],
    labels: LabelsOpt = None,
    method: Annotated[Optional[List[str]], typer.Option("--method", "-m", help="Axis methods, comma-separated or repeated: all = regression, pairwise, extremes (two extremes and top/bottom-q means), fewshot, and anchors, anchors_best when anchors are given.", callback=_check_methods, show_default=False)] = None,
    axis: Annotated[Optional[Path], typer.Option("--axis", help="Score this saved axis (.npy, from --save-axis) on X's labelled rows instead of fitting: cross-dataset transfer. Its centre (AXIS.centre.npy) is used when present.", dir_okay=False, show_default=False)] = None,
    transform: Annotated[Transform, typer.Option("--transform", help="Transform of the attribute before fitting: log1p, or rank (fit the order only; robust to heavy tails). Ranks, and so Spearman/Kendall of order-only axes, do not change.", case_sensitive=False)] = Transform.none,
    group: Annotated[Optional[str], typer.Option("--group", help="Column: rows sharing a value come from one sample, kept together in cross-validation (GroupKFold).", show_default=False)] = None,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.", min=2)] = 5,
    no_normalize: Annotated[bool, typer.Option("--no-normalize", help="Do not L2-normalise rows (after centring) before fitting.")] = False,
    centre: Annotated[bool, typer.Option("--centre", "--center", help="Subtract the training mean before normalising.")] = False,
    quantile: Annotated[float, typer.Option("--quantile", help="Top/bottom fraction for the extremes_q axis and the anchors_best candidates.", min=0.0, max=0.5)] = 0.1,
    shots: Annotated[str, typer.Option("--shots", help="Few-shot sizes (labelled training rows per draw).")] = "2,4,8,16,32,64",
    repeats: Annotated[int, typer.Option("--repeats", help="Few-shot draws per size and fold.", min=1)] = 10,
    anchor_low: Annotated[Optional[List[str]], typer.Option("--anchor-low", help="Id of a low-end row (repeatable; rows are averaged).", show_default=False)] = None,
    anchor_high: Annotated[Optional[List[str]], typer.Option("--anchor-high", help="Id of a high-end row (repeatable).", show_default=False)] = None,
    anchor_low_file: Annotated[Optional[str], typer.Option("--anchor-low-file", help="Embedding file of low-end vectors (e.g. embedded text prompts); rows are averaged.", show_default=False)] = None,
    anchor_high_file: Annotated[Optional[str], typer.Option("--anchor-high-file", help="Embedding file of high-end vectors.", show_default=False)] = None,
    anchor_pairs: Annotated[int, typer.Option("--anchor-pairs", help="anchors_best: candidate anchor pairs (low × high anchors, or bottom/top rows of the validation split).", min=1)] = 20,
    validation: Annotated[float, typer.Option("--validation", help="anchors_best: share of the rows that chooses the pair (the rest scores it).", min=0.05, max=0.95)] = 0.5,
    no_baselines: Annotated[bool, typer.Option("--no-baselines", help="Skip random directions, best PC, shuffled labels and the kNN and MLP ceilings.")] = False,
    no_mlp: Annotated[bool, typer.Option("--no-mlp", help="Skip the MLP ceiling (the slowest baseline).")] = False,
    random_directions: Annotated[int, typer.Option("--random-directions", help="Random unit directions for the chance band.", min=1)] = 1000,
    shuffles: Annotated[int, typer.Option("--shuffles", help="Label permutations for the shuffled-label band.", min=1)] = 1000,
    pcs: Annotated[int, typer.Option("--pcs", help="Principal components searched for the best-PC baseline.", min=1)] = 10,
    k: KOpt = 10,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples for the intervals (0: none).", min=0)] = 1000,
    confidence: Annotated[float, typer.Option("--confidence", help="Level of the bootstrap intervals.", min=0.5, max=0.999)] = 0.95,
    save_axis: Annotated[Optional[Path], typer.Option("--save-axis", help="Write the unit axis (n_features,) as .npy (and its centre as AXIS.centre.npy with --centre).", dir_okay=False, callback=side_output(".npy"), show_default=False)] = None,
    axis_from: Annotated[AxisFrom, typer.Option("--axis-from", help="Which method's full-data axis --save-axis and --scores use (auto: regression, else pairwise, extremes_q, extremes, anchors_best, anchors).", case_sensitive=False)] = AxisFrom.auto,
    layers: Annotated[bool, typer.Option("--layers", help="Treat the input as a layer stack (as id --layers): the axes fitted and scored per layer, one row per layer; the verdict names the best layer.")] = False,
    scores: Annotated[Optional[Path], typer.Option("--scores", help="Write a CSV of id, score, attribute, heldout for every row.", dir_okay=False, callback=side_output(".csv"), show_default=False)] = None,
    fail_on: FailOnOpt = None,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    labels_id_col: LabelsIdOpt = None,
    join: join_option("--labels onto X (and, with --layers, the per-layer files onto the first)") = None,
    input_format: InputFormatOpt = None,
    stack_layout: StackLayoutOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    dedupe: DedupeOpt = False,
    drop_zero: Annotated[bool, typer.Option("--drop-zero", help="Drop all-zero rows (they have no direction to normalise).")] = False,
    sample: SampleOpt = None,
    seed: SeedOpt = None,
    plot: PlotOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Rank axes for an ordinal attribute: ridge regression, pairwise logistic, two extremes, few-shot and anchor axes, scored on
    held-out rows (Spearman, Kendall τ-b, pairwise accuracy) against random-direction, best-PC and shuffled-label baselines and
    kNN and MLP ceilings; or (--axis) a saved axis scored on new labelled data."""
    import numpy as np

    from embgeo.errors import EmbgeoError
    from embgeo.io.writers import save_npy, write_text
    from embgeo.rank.core import DEFAULT_METHODS, rank_axes, score_axis

    normalize, baselines = not no_normalize, not no_baselines
    only_with("the baselines", baselines, {"random_directions", "shuffles", "pcs"},
              "they size the chance bands and the best-PC baseline, which --no-baselines skips: drop one or the other")
    only_with("--layers", layers, {"stack_layout"}, "--stack-layout says how a 3-D stack file is laid out: add --layers, or drop it")
    if layers:
        return _rank_layers(files, attr=attr, labels=labels, method=method, transform=transform.value, group=group, folds=folds,
                            normalize=normalize, centre=centre, quantile=quantile, shots=shots, repeats=repeats, baselines=baselines,
                            mlp=not no_mlp, random_directions=random_directions, shuffles=shuffles, pcs=pcs, k=k, bootstrap=bootstrap,
                            confidence=confidence, id_col=id_col, attr_col=attr_col, labels_id_col=labels_id_col, join=join, input_format=input_format,
                            stack_layout=stack_layout,
                            sample=sample, seed=seed, fail_on=fail_on, plot=plot, fmt=fmt, out=out,
                            refused={"--axis": axis, "--save-axis": save_axis, "--scores": scores, "--anchor-low": anchor_low,
                                     "--anchor-high": anchor_high, "--anchor-low-file": anchor_low_file,
                                     "--anchor-high-file": anchor_high_file, "--drop-nonfinite": drop_nonfinite, "--dedupe": dedupe,
                                     "--drop-zero": drop_zero})
    if len(files) != 1:
        raise EmbgeoError(f"got {len(files)} input files; without --layers pass exactly one", hint="add --layers to treat several files as layers")
    embeddings = files[0]
    es = read_embeddings(embeddings, id_col=id_col, labels=labels, labels_id_col=labels_id_col, input_format=input_format, attr_cols=attr_list(attr_col),
                         drop_nonfinite=drop_nonfinite, dedupe=dedupe, join=join)
    if drop_zero:
        from embgeo.validation import clean_rows

        _, kept = clean_rows(es.matrix, drop_zero=True)
        if kept.size < es.n_samples:
            message(f"{es.source}: dropped {es.n_samples - kept.size} all-zero rows")
            es = es.take(kept)
    s = seed_value(seed)
    from embgeo.validation import sample_note, seeded_rows

    sampled = sample_note(sample, es.n_samples, s)
    if sample is not None and sample < es.n_samples:
        es = es.take(seeded_rows(es.n_samples, sample, s))
    y = es.attribute(attr, numeric=True)
    ids = _row_ids(es, labels, labels_id_col)
    inputs = [input_entry(es)]
    notes: list[str] = [sampled] if sampled else []
    common = {"attr": attr, "labels": labels, "normalize": normalize, "bootstrap": bootstrap, "confidence": confidence,
              "random_directions": random_directions, "baselines": baselines, "fail_on": getattr(fail_on, "value", fail_on),
              "id_col": id_col, "attr_col": attr_list(attr_col), "labels_id_col": labels_id_col, "join": getattr(join, "value", join), "input_format": input_format,
              "drop_nonfinite": drop_nonfinite, "dedupe": dedupe, "drop_zero": drop_zero, "sample": sample, "seed": s,
              "layers": False, "stack_layout": layout_value(stack_layout), "axis": None if axis is None else str(axis)}

    if axis is not None:
        if method or save_axis or anchor_low or anchor_high or anchor_low_file or anchor_high_file:
            raise EmbgeoError("--axis scores a saved axis; it fits nothing", hint="drop --method, --save-axis and the anchor options")
        if not axis.is_file():
            raise EmbgeoError("no such axis file", source=str(axis), hint="write one with embgeo rank … --save-axis AXIS.npy")
        w = _read_npy(axis, "--axis")
        centre_path = next((c for c in (axis.with_name(axis.stem + ".centre.npy"), axis.with_name(axis.stem + ".center.npy")) if c.is_file()), None)
        mean = _read_npy(centre_path, "the axis centre") if centre_path is not None else None
        if centre_path is not None:
            message(f"read the axis centre from {centre_path}")
        try:
            result = score_axis(es.matrix, y, w, attribute=attr, mean=mean, normalize=normalize, baselines=baselines,
                                n_random=random_directions, n_bootstrap=bootstrap, confidence=confidence, seed=s)
        except EmbgeoError as exc:
            raise exc.with_source(str(axis)) from None
        inputs.append(input_entry(axis, rows=1, dims=int(np.size(w))))
        axis_name = "axis"
        settings = {"axis_centre": centre_path, **common}
        title = f"embgeo rank — saved axis {axis} on '{attr}', {result.n_rows} rows ({result.n_missing} missing)"
    else:
        groups = es.attribute(group) if group else None
        chosen = set(method or ["all"])
        have_anchors = bool(anchor_low or anchor_high or anchor_low_file or anchor_high_file)
        if "all" in chosen:
            chosen |= set(DEFAULT_METHODS) | ({"anchors", "anchors_best"} if have_anchors else set())
        names = [m for m in ("regression", "pairwise", "extremes", "extremes_q", "fewshot", "anchors", "anchors_best")
                 if m in chosen or (m == "extremes_q" and "extremes" in chosen)]
        refuse_unused_method_options(names)

        low = high = None
        anchor_rows: list[int] = []
        if "anchors" in names or ("anchors_best" in names and have_anchors):
            if bool(anchor_low) == bool(anchor_low_file) or bool(anchor_high) == bool(anchor_high_file):
                raise EmbgeoError("the anchors method needs one low and one high anchor source",
                                  hint="pass --anchor-low ID (or --anchor-low-file FILE) and --anchor-high ID (or --anchor-high-file FILE)")
            parts = {}
            for which, names_, spec in (("low", anchor_low, anchor_low_file), ("high", anchor_high, anchor_high_file)):
                if names_:
                    rows_ = _anchor_rows(list(names_), ids, which, es.source)
                    anchor_rows += rows_
                    parts[which] = np.asarray(es.matrix[rows_], dtype=np.float64)
                else:
                    af = read_embeddings(spec, input_format=input_format)
                    inputs.append(input_entry(af))
                    parts[which] = np.asarray(af.matrix, dtype=np.float64)
            low, high = parts["low"], parts["high"]
        elif have_anchors:
            message("anchors given but --method does not include anchors; they are ignored", style="yellow")

        result = rank_axes(
            es, y, attribute=attr, methods=names, baselines=baselines, groups=groups, n_folds=folds, normalize=normalize,
            center=centre, transform=transform.value, quantile=quantile, shots=_parse_shots(shots), repeats=repeats,
            anchor_low=low, anchor_high=high, anchor_rows=anchor_rows or None, n_pcs=pcs, n_random=random_directions,
            n_shuffles=shuffles, k=k, mlp=not no_mlp, n_anchor_pairs=anchor_pairs, validation=validation,
            n_bootstrap=bootstrap, confidence=confidence, seed=s,
        )
        axis_name = axis_from.value
        if axis_name == "auto":
            axis_name = next((m for m in ("regression", "pairwise", "extremes_q", "extremes", "anchors_best", "anchors") if m in result.methods), "")
        if (save_axis or scores) and (axis_name not in result.methods or result.methods[axis_name].axis is None):
            have = ", ".join(k_ for k_, v in result.methods.items() if v.axis is not None) or "none"
            raise EmbgeoError(f"no '{axis_name or 'linear'}' axis to save (axes here: {have})", hint="add --method regression, pairwise, extremes or anchors, or pick --axis-from")
        if save_axis is not None:
            w = result.methods[axis_name].axis
            save_npy(save_axis, w)
            wrote(save_axis, f"the {axis_name} axis: unit length, {w.size} dims")
            if result.center is not None:
                centre_path = save_axis.with_name(save_axis.stem + ".centre.npy")
                save_npy(centre_path, result.center)
                wrote(centre_path, "the axis centre: score = normalise(x − centre)·axis")
        settings = {"method": names, "transform": transform.value, "group": group, "folds": folds, "centre": centre, "quantile": quantile,
                    "shots": list(_parse_shots(shots)) if "fewshot" in names else None, "repeats": repeats,
                    "anchor_low": anchor_low, "anchor_high": anchor_high, "anchor_low_file": anchor_low_file, "anchor_high_file": anchor_high_file,
                    "anchor_pairs": anchor_pairs, "validation": validation, "mlp": not no_mlp, "shuffles": shuffles, "pcs": pcs, "k": k,
                    "save_axis": save_axis, "axis_from": axis_name or None, "scores": scores, **common}
        title = f"embgeo rank — '{attr}' on {result.n_rows} rows ({result.n_missing} missing), {folds}-fold{' group' if group else ''} CV"
        legend = {
            "regression": f"regression: ridge axis, penalty by {'GroupKFold' if group else 'leave-one-out'} on the training rows",
            "pairwise": "pairwise: logistic regression on differences of random training pairs (their order)",
            "extremes": "extremes: max row − min row",
            "extremes_q": f"extremes_q: mean of top {quantile:.0%} − mean of bottom {quantile:.0%}", "fewshot": "fewshot k: ridge on k labelled rows; mean ρ and 5–95 % of draws",
            "anchors": "anchors: mean high anchor − mean low anchor",
            "anchors_best": f"anchors_best: best of {anchor_pairs} anchor pairs by ρ on a {validation:.0%} validation split, scored on the other rows",
            "pca": f"pca: best of the top {pcs} principal components (chosen on training rows)",
            "knn": f"knn: {result.methods['knn'].details['k'] if 'knn' in result.methods else k}-NN regression, a nonlinear ceiling", "mlp": "mlp: MLP regression (64 hidden units, seeded), a nonlinear ceiling",
            "shuffled": "shuffled (band): chance level of a fitted axis (regression on permuted labels)",
            "random": "random (band): chance level of a random direction",
        }
        notes += [legend[k_] for k_, _ in result.ordered() if k_ in legend]
        notes.append("all scores are on held-out rows; an axis ranks better than chance when its ρ clears the bands")
    notes = list(result.notes) + notes
    if scores is not None:
        sc = result.score(es.matrix, axis_name)
        held = np.full(es.n_samples, np.nan)
        held[result.rows] = result.methods[axis_name].heldout
        from embgeo.io.writers import safe_cell  # the guard of every CSV embgeo writes (project --coords): '=cmd()' is kept as text

        lines = ["id,score,attribute,heldout"]
        for i in range(es.n_samples):
            rid = safe_cell(str(ids[i]), ",")
            lines.append(f"{rid},{_csv_cell(float(sc[i]))},{_csv_cell(float(y[i]))},{_csv_cell(float(held[i]))}")
        write_text(scores, "\n".join(lines) + "\n")
        wrote(scores, f"scores of {es.n_samples} rows on the {axis_name} axis")
    save_plot(result, plot)
    emit_result(command="rank", inputs=inputs, settings=settings, result=result, notes=notes, fmt=fmt, out=out, title=title, fail_on=fail_on)


def _read_npy(path: Path, what: str):
    """An axis (or its centre) saved by ``--save-axis``: one ``.npy`` array, never unpickled; anything else
    is one line naming the file."""
    import numpy as np

    from embgeo.errors import EmbgeoError

    fix = "give the .npy that embgeo rank … --save-axis AXIS.npy wrote"
    if path.suffix.lower() != ".npy":
        raise EmbgeoError(f"{what} reads a .npy file (the axis --save-axis writes), not '{path.suffix or '(none)'}'", source=str(path), hint=fix)
    try:
        with open(path, "rb") as fh:
            npy = fh.read(6) == b"\x93NUMPY"
    except OSError as exc:
        raise EmbgeoError(f"cannot read {what}: {exc.strerror or exc}", source=str(path), hint=fix) from None
    if not npy:
        raise EmbgeoError(f"{what} is not a .npy file (no NumPy header)", source=str(path), hint=fix)
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        reason = "it holds Python objects, which embgeo never unpickles" if "pickle" in str(exc) else str(exc).split("\n")[0][:120]
        raise EmbgeoError(f"cannot read {what} as a .npy array: {reason}", source=str(path), hint=fix) from None


def _rank_layers(files, *, attr, labels, method, transform, group, folds, normalize, centre, quantile, shots, repeats, baselines, mlp,
                 random_directions, shuffles, pcs, k, bootstrap, confidence, id_col, attr_col, labels_id_col, join, input_format, sample, seed,
                 stack_layout,
                 fail_on, plot, fmt, out, refused) -> None:
    """``rank --layers``: :func:`embgeo.rank.layers.rank_layers` on a stack (the formats of ``id --layers``)."""
    import dataclasses

    import numpy as np

    from embgeo.errors import EmbgeoError
    from embgeo.io import join_labels, load_layers
    from embgeo.io.model import EmbeddingSet
    from embgeo.io.readers import refuse_stack_id_col
    from embgeo.rank.layers import rank_layers

    bad = next((o for o, v in refused.items() if v), None)
    if bad is not None:
        raise EmbgeoError(f"{bad} does not apply with --layers (the axes are fitted per layer and not kept)",
                          hint="drop it, or run embgeo rank on one layer (e.g. FILE:KEY, or the layer's own file)")
    names = list(dict.fromkeys(split_list(method) or ["regression"]))
    if "anchors" in names or "anchors_best" in names or "all" in names:
        raise EmbgeoError("--layers runs the axis methods regression, pairwise, extremes, fewshot", hint="pick from those with -m")
    names = [m for m in ("regression", "pairwise", "extremes", "extremes_q", "fewshot") if m in names or (m == "extremes_q" and "extremes" in names)]
    refuse_unused_method_options(names)
    stack = load_layers(list(files), fmt=input_format, id_col=id_col, join=getattr(join, "value", join), layout=layout_value(stack_layout), attr_cols=attr_list(attr_col))
    refuse_stack_id_col(stack, id_col, ", ".join(files), attr_cols=attr_list(attr_col))
    if len(set(stack.names)) < len(stack.names) and len(files) == len(stack.names):  # two keys of one file: name them by key
        from embgeo.cli.commands.id import spec_label

        stack = dataclasses.replace(stack, names=tuple(spec_label(f) for f in files))
    n = int(stack.layers[0].shape[0])
    # the stack's own row ids (read beside a 3-D file, or joined from per-layer files); the dimension names of
    # per-layer CSV/TSV/parquet files go along so that a labels column that is also a dimension is refused
    rows = EmbeddingSet(np.zeros((n, 1)), ids=stack.ids, attributes=dict(stack.attributes),
                        provenance={"file": ", ".join(files), "format": stack.provenance.get("format"),
                                    "layer_dimensions": stack.provenance.get("layer_dimensions")})
    if labels is not None:
        rows = join_labels(rows, labels, id_col=labels_id_col, join=getattr(join, "value", join))
    y = rows.attribute(attr, numeric=True)
    groups = rows.attribute(group) if group else None
    s = seed_value(seed)
    notes: list[str] = []
    from embgeo.validation import sample_note, seeded_rows

    sampled = sample_note(sample, n, s, detail="the same rows in every layer")
    if sampled:
        notes.append(sampled)
    if sample is not None and sample < n:
        keep = seeded_rows(n, sample, s)
        stack = dataclasses.replace(stack, layers=tuple(L[keep] for L in stack.layers), ids=None if stack.ids is None else stack.ids[keep])
        y = y[keep]
        groups = None if groups is None else groups[keep]
    with progress("layers", total=len(stack)) as advance:
        result = rank_layers(stack, y, attribute=attr, methods=names, baselines=baselines, groups=groups, n_folds=folds,
                             normalize=normalize, center=centre, transform=transform, quantile=quantile, shots=_parse_shots(shots),
                             repeats=repeats, n_pcs=pcs, n_random=random_directions, n_shuffles=shuffles, k=k, mlp=mlp,
                             n_bootstrap=bootstrap, confidence=confidence, seed=s, progress=advance)
    from embgeo.cli.output import stack_inputs

    inputs = stack_inputs(files, stack, n)
    notes = list(result.notes) + notes + [f"per layer: the axes fitted on the training rows of {folds}-fold{' group' if group else ''} "
                                          "cross-validation and scored on the held-out rows (as embgeo rank on that layer alone)"]
    settings = {"layers": True, "method": names, "transform": transform, "group": group, "folds": folds, "centre": centre,
                "quantile": quantile, "shots": list(_parse_shots(shots)) if "fewshot" in names else None, "repeats": repeats,
                "mlp": mlp, "shuffles": shuffles, "pcs": pcs, "k": k, "attr": attr, "labels": labels, "normalize": normalize,
                "bootstrap": bootstrap, "confidence": confidence, "random_directions": random_directions, "baselines": baselines,
                "fail_on": getattr(fail_on, "value", fail_on), "id_col": id_col, "attr_col": attr_list(attr_col), "labels_id_col": labels_id_col,
                "join": getattr(join, "value", join), "input_format": input_format, "stack_layout": layout_value(stack_layout), "sample": sample, "seed": s}
    if plot is not None:
        from embgeo.plots import save_figure
        from embgeo.plots.rank_layers import plot_rank_layers

        save_figure(plot_rank_layers(result), plot)
        wrote(plot, "plot")
    title = f"embgeo rank --layers — '{attr}' on {len(stack)} layers × {result.results[0].n_rows} rows, {folds}-fold CV"
    emit_result(command="rank", inputs=inputs, settings=settings, result=result, notes=notes, fmt=fmt, out=out, title=title, fail_on=fail_on)


def register(app: typer.Typer) -> None:
    app.command("rank")(rank)
