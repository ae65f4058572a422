"""``embgeo rank X --labels L.csv --attr COLUMN``: is an ordinal attribute a direction in this space?"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from embgeo.cli.common import (
    side_output,
    PlotOpt,
    save_plot,
    DropNonfiniteOpt, FormatOpt, IdColOpt, InputFormatOpt, LabelsIdOpt, LabelsOpt, OutOpt, SeedOpt, message, read_embeddings, seed_value,
)
from embgeo.cli.output import emit


class Method(str, Enum):
    all = "all"
    regression = "regression"
    extremes = "extremes"
    fewshot = "fewshot"
    anchors = "anchors"


def _check_methods(value: Optional[List[str]]) -> Optional[List[str]]:
    """``-m regression,extremes`` and ``-m regression -m extremes`` alike; unknown names are refused at parse time."""
    if not value:
        return value
    names = [p.strip().lower() for v in value for p in v.split(",") if p.strip()]
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
    extremes_q = "extremes_q"
    anchors = "anchors"
    pca = "pca"


def _row_ids(es, labels: Path | None, labels_id_col: str | None) -> list[str]:
    """Ids of the rows: the embeddings' own, else the labels file's id column (joined by row order), else row numbers."""
    if es.ids is not None:
        return [str(i) for i in es.ids]
    if labels is not None:
        from embgeo.io.labels import read_table

        header, rows = read_table(labels)
        key = labels_id_col or ("id" if "id" in header else None)
        if key is not None and key in header and len(rows) == es.n_samples:
            j = header.index(key)
            return [r[j].strip() for r in rows]
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
    embeddings: Annotated[str, typer.Argument(help="Embedding file (PATH or PATH:KEY).", show_default=False)],
    attr: Annotated[str, typer.Option("--attr", help="Numeric attribute column (from --labels or the embedding file) to rank by.", show_default=False)],
    labels: LabelsOpt = None,
    method: Annotated[Optional[List[str]], typer.Option("--method", "-m", help="Axis methods, comma-separated or repeated: all = regression, extremes (two extremes and top/bottom-q means), fewshot, and anchors when given.", callback=_check_methods)] = None,
    transform: Annotated[Transform, typer.Option("--transform", help="Transform of the attribute before fitting: log1p, or rank (fit the order only; robust to heavy tails). Ranks, and so Spearman/Kendall of order-only axes, do not change.", case_sensitive=False)] = Transform.none,
    group: Annotated[Optional[str], typer.Option("--group", help="Column of groups kept together in cross-validation (GroupKFold).")] = None,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.", min=2)] = 5,
    normalize: Annotated[bool, typer.Option("--normalize/--no-normalize", help="L2-normalise rows (after centring) before fitting.")] = True,
    center: Annotated[bool, typer.Option("--center/--no-center", help="Subtract the training mean before normalising.")] = False,
    quantile: Annotated[float, typer.Option("--quantile", help="Top/bottom fraction for the extremes_q axis.", min=0.0, max=0.5)] = 0.1,
    shots: Annotated[str, typer.Option("--shots", help="Few-shot sizes k (labelled training rows per draw).")] = "2,4,8,16,32,64",
    repeats: Annotated[int, typer.Option("--repeats", help="Few-shot draws per k and fold.", min=1)] = 10,
    anchor_low: Annotated[Optional[List[str]], typer.Option("--anchor-low", help="Id of a low-end row (repeatable; rows are averaged).")] = None,
    anchor_high: Annotated[Optional[List[str]], typer.Option("--anchor-high", help="Id of a high-end row (repeatable).")] = None,
    anchor_low_file: Annotated[Optional[str], typer.Option("--anchor-low-file", help="Embedding file of low-end vectors (e.g. embedded text prompts); rows are averaged.")] = None,
    anchor_high_file: Annotated[Optional[str], typer.Option("--anchor-high-file", help="Embedding file of high-end vectors.")] = None,
    baselines: Annotated[bool, typer.Option("--baselines/--no-baselines", help="Random directions, best PC, shuffled labels and kNN ceiling.")] = True,
    random_directions: Annotated[int, typer.Option("--random-directions", help="Random unit directions for the chance band.", min=1)] = 1000,
    shuffles: Annotated[int, typer.Option("--shuffles", help="Label permutations for the shuffled-label band.", min=1)] = 1000,
    pcs: Annotated[int, typer.Option("--pcs", help="Principal components searched for the best-PC baseline.", min=1)] = 10,
    neighbors: Annotated[int, typer.Option("--neighbors", help="k of the kNN regression ceiling.", min=1)] = 10,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples for the intervals (0: none).", min=0)] = 1000,
    confidence: Annotated[float, typer.Option("--confidence", help="Level of the bootstrap intervals.", min=0.5, max=0.999)] = 0.95,
    save_axis: Annotated[Optional[Path], typer.Option("--save-axis", help="Write the unit axis (n_features,) as .npy.", dir_okay=False, callback=side_output(".npy"))] = None,
    axis_from: Annotated[AxisFrom, typer.Option("--axis-from", help="Which method's full-data axis --save-axis and --scores use (auto: regression, else extremes_q, extremes, anchors).", case_sensitive=False)] = AxisFrom.auto,
    scores: Annotated[Optional[Path], typer.Option("--scores", help="Write a CSV of id, score, attribute, heldout for every row.", dir_okay=False, callback=side_output(".csv"))] = None,
    id_col: IdColOpt = None,
    labels_id_col: LabelsIdOpt = None,
    input_format: InputFormatOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    seed: SeedOpt = None,
    plot: PlotOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Rank axes for an ordinal attribute: ridge regression, two extremes, few-shot and anchor axes, scored on held-out rows
    (Spearman, Kendall τ-b, pairwise accuracy) against random-direction, best-PC, shuffled-label and kNN baselines."""
    import numpy as np

    from embgeo.errors import EmbgeoError
    from embgeo.io.writers import save_npy, write_text
    from embgeo.rank.core import rank_axes

    es = read_embeddings(embeddings, id_col=id_col, labels=labels, labels_id_col=labels_id_col, input_format=input_format, drop_nonfinite=drop_nonfinite)
    y = es.attribute(attr, numeric=True)
    groups = es.attribute(group) if group else None
    chosen = set(method or ["all"])
    have_anchors = bool(anchor_low or anchor_high or anchor_low_file or anchor_high_file)
    if "all" in chosen:
        chosen |= {"regression", "extremes", "fewshot"} | ({"anchors"} if have_anchors else set())
    names = [m for m in ("regression", "extremes", "extremes_q", "fewshot", "anchors") if m in chosen or (m == "extremes_q" and "extremes" in chosen)]

    ids = _row_ids(es, labels, labels_id_col)
    low = high = None
    anchor_rows: list[int] = []
    if "anchors" in names:
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
                parts[which] = np.asarray(read_embeddings(spec, input_format=input_format).matrix, dtype=np.float64)
        low, high = parts["low"], parts["high"]
    elif have_anchors:
        message("anchors given but --method does not include anchors; they are ignored", style="yellow")

    result = rank_axes(
        es.matrix, y, attribute=attr, methods=names, baselines=baselines, groups=groups, n_folds=folds, normalize=normalize,
        center=center, transform=transform.value, quantile=quantile, shots=_parse_shots(shots), repeats=repeats,
        anchor_low=low, anchor_high=high, anchor_rows=anchor_rows or None, n_pcs=pcs, n_random=random_directions,
        n_shuffles=shuffles, knn_neighbors=neighbors, n_bootstrap=bootstrap, confidence=confidence, seed=seed_value(seed),
    )

    axis_name = axis_from.value
    if axis_name == "auto":
        axis_name = next((m for m in ("regression", "extremes_q", "extremes", "anchors") if m in result.methods), "")
    if (save_axis or scores) and (axis_name not in result.methods or result.methods[axis_name].axis is None):
        have = ", ".join(k for k, v in result.methods.items() if v.axis is not None) or "none"
        raise EmbgeoError(f"no '{axis_name or 'linear'}' axis to save (axes here: {have})", hint="add --method regression, extremes or anchors, or pick --axis-from")
    notes = list(result.notes)
    if save_axis is not None:
        axis = result.methods[axis_name].axis
        save_npy(save_axis, axis)
        notes.append(f"axis ({axis_name}, unit length, {axis.size} dims) written to {save_axis}")
        if result.center is not None:
            center_path = save_axis.with_name(save_axis.stem + ".center.npy")
            save_npy(center_path, result.center)
            notes.append(f"--center: score = normalise(x − center)·axis; the center is in {center_path}")
    if scores is not None:
        s = result.score(es.matrix, axis_name)
        held = np.full(es.n_samples, np.nan)
        held[result.rows] = result.methods[axis_name].heldout
        lines = ["id,score,attribute,heldout"]
        for i in range(es.n_samples):
            rid = ids[i]
            if any(c in rid for c in ',"\n'):
                rid = '"' + rid.replace('"', '""') + '"'
            lines.append(f"{rid},{_csv_cell(float(s[i]))},{_csv_cell(float(y[i]))},{_csv_cell(float(held[i]))}")
        write_text(scores, "\n".join(lines) + "\n")
        notes.append(f"scores of {es.n_samples} rows on the {axis_name} axis written to {scores}")
    legend = {
        "regression": f"regression: ridge axis, penalty by {'GroupKFold' if group else 'leave-one-out'} on the training rows", "extremes": "extremes: max row − min row",
        "extremes_q": f"extremes_q: mean of top {quantile:.0%} − mean of bottom {quantile:.0%}", "fewshot": "fewshot k: ridge on k labelled rows; mean ρ and 5–95 % of draws",
        "anchors": "anchors: mean high anchor − mean low anchor", "pca": f"pca: best of the top {pcs} principal components (chosen on training rows)",
        "knn": f"knn: {neighbors}-NN regression, a nonlinear ceiling", "shuffled": "shuffled (band): chance level of a fitted axis (regression on permuted labels)",
        "random": "random (band): chance level of a random direction",
    }
    notes += [legend[k] for k, _ in result.ordered()]
    notes.append("all scores are on held-out rows; an axis ranks better than chance when its ρ clears the bands")

    data = {"file": es.source, "axis_from": axis_name or None, **result.to_dict()}
    columns, rows = result.table()
    title = f"embgeo rank — '{attr}' on {result.n_used} rows ({result.n_missing} missing), {folds}-fold{' group' if group else ''} CV"
    emit(command="rank", data=data, columns=columns, rows=rows, fmt=fmt, out=out, title=title, notes=notes)
    save_plot(result, plot)


def register(app: typer.Typer) -> None:
    app.command("rank")(rank)
