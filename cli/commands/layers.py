"""``embgeo layers [X] [--views Y …|--group COL] [--tokens FILE]``"""

from enum import Enum
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from embgeo.cli.common import (
    join_option, old_name, only_with, renamed,
    FailOnOpt, FormatOpt, AttrColOpt, IdColOpt, attr_list, InputFormatOpt, LabelsIdOpt, LabelsOpt, OutOpt, PlotOpt, SampleOpt, SeedOpt, StackLayoutOpt, emit_result, layout_value,
    input_entry, wrote, progress, seed_value,
)


class EntropyNorm(str, Enum):
    maxEntropy = "maxEntropy"
    logN = "logN"
    logD = "logD"
    logNlogD = "logNlogD"
    raw = "raw"


def _column(ids, n, labels, labels_id_col, col, what, join=None, layer_dimensions=None, fmt=None):
    import numpy as np

    from embgeo.errors import EmbgeoError
    from embgeo.io.labels import join_labels
    from embgeo.io.model import EmbeddingSet

    # layer_dimensions: the dimension columns of a CSV/TSV/parquet X (a labels column among them is refused)
    # fmt: the format X was read in (a hint on missing ids names where that format keeps them)
    es = join_labels(EmbeddingSet(np.zeros((n, 1)), ids=ids, provenance={"layer_dimensions": layer_dimensions, "format": fmt}), labels,
                     id_col=labels_id_col, join=join)
    if col not in es.attributes:
        raise EmbgeoError(f"no column '{col}' (columns: {', '.join(sorted(es.attributes)[:12])})", source=str(labels),
                          hint=f"name a column of the labels file with {what}")
    return np.asarray(es.attributes[col])


def _view_onto(vs, spec, ids, n: int, x, join):
    """The rows of a --views stack in X's order: by id whenever they carry ids, by row order when
    neither does or with --join row-order (the one rule of embgeo.io.join; a mismatch is one line)."""
    import dataclasses

    import numpy as np

    from embgeo.io import EmbeddingSet
    from embgeo.io.join import row_orders

    nv = int(vs.layers[0].shape[0])
    rows_x = EmbeddingSet(np.zeros((n, 1)), ids=ids, provenance={"file": str(x)})
    rows_v = EmbeddingSet(np.zeros((nv, 1)), ids=vs.ids, provenance={"file": str(spec)})  # the ids the stack's reader found
    take = row_orders([rows_x, rows_v], join=join).orders[1]
    if take is None:
        return vs
    return dataclasses.replace(vs, layers=tuple(layer[take] for layer in vs.layers), ids=ids)


def _sample_rows(n: int, sample: int, seed: int):
    """The seeded sample of ``sample`` of ``n`` rows (sorted): the draw of every command."""
    from embgeo.validation import seeded_rows

    return seeded_rows(n, sample, seed)


def sample_note(sample, n: int, seed, **kw):
    """The ``--sample`` note of every command (:func:`embgeo.validation.sample_note`)."""
    from embgeo.validation import sample_note as note

    return note(sample, n, seed, **kw)


def _take_stack(st, rows):
    """The layer stack ``st`` on ``rows`` (the same rows in every layer; ids and attributes follow)."""
    import dataclasses

    import numpy as np

    return dataclasses.replace(
        st, layers=tuple(layer[rows] for layer in st.layers), ids=None if st.ids is None else np.asarray(st.ids)[rows],
        attributes={k: np.asarray(v)[rows] for k, v in (st.attributes or {}).items()},
    )


def layers(
    x: Annotated[Optional[str], typer.Argument(help="Pooled layer stack (one L×n×d file, e.g. pooled.h5:mean from embgeo extract): the first view.", metavar="X", show_default=False)] = None,
    views: Annotated[Optional[List[str]], typer.Option("--views", help="Another view of the same rows and layers (an augmentation); repeat for more. Enables InfoNCE, LiDAR, DiME.", show_default=False)] = None,
    group: Annotated[Optional[str], typer.Option("--group", help="Column of --labels: rows sharing a value come from one sample (its views, e.g. augmentations).", show_default=False)] = None,
    tokens: Annotated[Optional[Path], typer.Option("--tokens", help="Token clouds (tokens.h5 from embgeo extract): prompt entropy, curvature, token geometry.", show_default=False)] = None,
    alpha: Annotated[float, typer.Option("--entropy-alpha", help="Order α of the matrix entropies (1 = Shannon).", min=0.0)] = 1.0,
    entropy_norm: Annotated[EntropyNorm, typer.Option("--entropy-norm", help="Entropy normalisation: maxEntropy = min(log N, log D) (the reference's default), logN, logD, logNlogD, raw (nats).")] = EntropyNorm.maxEntropy,
    temperature: Annotated[float, typer.Option("--temperature", help="InfoNCE temperature τ.", min=0.0)] = 0.1,
    delta: Annotated[float, typer.Option("--delta", help="LiDAR's ridge δ on the within-class scatter.", min=0.0)] = 1e-4,
    dime_perms: Annotated[int, typer.Option("--dime-perms", help="Random permutations averaged by DiME.", min=1)] = 10,
    geometry: Annotated[bool, typer.Option("--geometry/--no-geometry", help="With --tokens: per-text GRIDE, TwoNN, overlap χ(k) and pairwise cosine.")] = True,
    gride_max: Annotated[int, typer.Option("--gride-max", help="Largest GRIDE neighbour rank per text (duplicates dropped).", min=2)] = 256,
    overlap_max_k: Annotated[int, typer.Option("--overlap-max-k", help="Overlap χ(k) between consecutive layers for k = 1…this.", min=1)] = 31,
    loss: Annotated[Optional[str], typer.Option("--loss", help="Column of --labels (joined by text id) with a per-text loss: Spearman(token GRIDE, loss) per layer.", show_default=False)] = None,
    attribute: Annotated[Optional[str], typer.Option("--attr", help="Numeric column of --labels: held-out Spearman of its rank axis per layer (rank_spearman).", show_default=False)] = None,
    class_col: Annotated[Optional[str], typer.Option("--class", help="Class column of --labels: per-layer linear-probe accuracy and k-NN label overlap.", show_default=False)] = None,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds of --attr and --class.", min=2)] = 5,
    k: Annotated[int, typer.Option("--k", "-k", help="Neighbours of the label overlap (--class).", min=1)] = 10,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    labels: LabelsOpt = None,
    labels_id_col: LabelsIdOpt = None,
    join: join_option("--labels onto X and the rows of every --views stack onto X's") = None,
    sample: SampleOpt = None,
    input_format: InputFormatOpt = None,
    stack_layout: StackLayoutOpt = None,
    seed: SeedOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
    plot: PlotOpt = None,
    alpha_old: old_name("--alpha", float) = None,
    attribute_old: old_name("--attribute") = None,
):
    """The Layer-by-Layer metric suite per layer (Skean et al. 2025, faithful to its reference
    code): prompt and dataset entropy, curvature, InfoNCE, LiDAR, DiME; with --tokens also the
    token-cloud geometry (Geometry of Tokens): GRIDE, TwoNN, neighbourhood overlap χ(k) and
    pairwise cosine per text, as mean ± sd over texts."""
    import numpy as np

    from embgeo.errors import EmbgeoError
    from embgeo.io.readers import load_layers, refuse_stack_id_col
    from embgeo.layers import layer_suite

    seed = seed_value(seed)
    alpha = renamed(alpha, alpha_old, old="--alpha", new="--entropy-alpha")
    attribute = renamed(attribute, attribute_old, old="--attribute", new="--attr")
    join = getattr(join, "value", join)
    if x is None and tokens is None:
        raise EmbgeoError("nothing to measure", hint="give a pooled stack X, --tokens FILE, or both")
    needs = [o for o, v in (("--group", group), ("--loss", loss), ("--attr", attribute), ("--class", class_col)) if v]
    if needs and labels is None:
        named = set(attr_list(attr_col) or ()) & {group, loss, attribute, class_col}
        raise EmbgeoError(f"{needs[0]} names a column of --labels" + (f"; --attr-col only keeps {sorted(named)[0]!r} out of X's dimensions here"
                                                                         if named else ""),
                          hint="pass --labels FILE (e.g. the attribute columns of X saved as labels.csv with its id column)")
    only_with("--tokens", tokens is not None, {"geometry", "gride_max", "overlap_max_k", "loss"},
              "they tune the token-cloud geometry: give --tokens FILE, or drop them")
    only_with("--views or --group", bool(views or group), {"temperature", "delta", "dime_perms"},
              "InfoNCE, LiDAR and DiME compare views of the same rows: give --views FILE or --group COLUMN, or drop them")
    only_with("--attr or --class", bool(attribute or class_col), {"folds"}, "--folds cross-validates --attr and --class")
    only_with("--class", bool(class_col), {"k"}, "-k is the label overlap's neighbour count: give --class COLUMN, or drop it")
    only_with("a stack X", x is not None, {"stack_layout"}, "--stack-layout says how the stack X is laid out: give X, or drop it")
    attr_values = class_values = None
    if group and views:
        raise EmbgeoError("give views as --views files or as a --group column, not both")
    inputs, stack, view_stacks, groups, clouds, loss_values = [], None, [], None, None, None
    if x is not None:
        from embgeo.layers.suite import check_layer_stack

        stack = load_layers([x], fmt=input_format, id_col=id_col, check_finite=False, layout=layout_value(stack_layout), attr_cols=attr_list(attr_col))  # check_layer_stack scans once, NaN rows included
        refuse_stack_id_col(stack, id_col, x, attr_cols=attr_list(attr_col))
        check_layer_stack(stack.layers, stack.names, source=x)  # a NaN row or a constant layer: one line naming the layer
        n = stack.layers[0].shape[0]
        inputs.append(input_entry(x, rows=int(n), dims=int(stack.layers[0].shape[1]), dtype=stack.layers[0].dtype))
        for v in views or []:
            vs = load_layers([v], fmt=input_format, id_col=id_col, check_finite=False, layout=layout_value(stack_layout), attr_cols=attr_list(attr_col))
            refuse_stack_id_col(vs, id_col, v, attr_cols=attr_list(attr_col))
            check_layer_stack(vs.layers, vs.names, source=v)
            view_stacks.append(vs)
            inputs.append(input_entry(v, rows=int(vs.layers[0].shape[0]), dims=int(vs.layers[0].shape[1]), dtype=vs.layers[0].dtype))
        ids = stack.ids  # the row ids read beside the stack (.npz, .h5, .pt, safetensors), or None
        dims, x_format = stack.provenance.get("layer_dimensions"), stack.provenance.get("format")
        view_stacks = [_view_onto(vs, v, ids, n, x, join) for vs, v in zip(view_stacks, views or [])]
        if group:
            groups = _column(ids, n, labels, labels_id_col, group, "--group", join, dims, x_format)
        if attribute:
            raw = _column(ids, n, labels, labels_id_col, attribute, "--attr", join, dims, x_format)
            try:
                attr_values = raw.astype(np.float64)
            except ValueError:
                raise EmbgeoError(f"column '{attribute}' is not numeric", source=str(labels), hint="--attr takes a numeric column; use --class for categories") from None
            have = attr_values[np.isfinite(attr_values)]
            if have.size and np.unique(have).size < 2:
                raise EmbgeoError(f"column '{attribute}' is constant ({have[0]:g} on all {have.size} rows with a value); "
                                  "a rank axis needs at least two distinct values", source=str(labels),
                                  hint="pass a column that varies with --attr")
        if class_col:
            class_values = _column(ids, n, labels, labels_id_col, class_col, "--class", join, dims, x_format)
    elif views or group or attribute or class_col:
        raise EmbgeoError("views need the pooled first view X", hint="give X before --views / --group")
    sample_notes: list[str] = []  # the one --sample note (embgeo.validation.sample_note)
    rows = None  # the sampled rows of X (None: every row)
    sampled_of = None  # (sample, of how many, unit, detail) of X's sample; its note is written once the token file is known
    if stack is not None and sample is not None:
        # one seeded sample of rows, the same in every layer and every view; the --group, --attribute and
        # --class values follow their rows. With --group a sample is a group (its rows are its views).
        if groups is not None:
            uniq, first = np.unique(groups, return_index=True)
            order = uniq[np.argsort(first)]
            if sample < order.size:
                chosen = order[_sample_rows(order.size, sample, seed)]
                rows = np.flatnonzero(np.isin(groups, chosen))
            sampled_of = (order.size, "groups", "with --group a sample is a group" + ("" if rows is None else
                          f": all {rows.size} of their {n} rows, in every layer"))
        else:
            if sample < n:
                rows = _sample_rows(n, sample, seed)
            sampled_of = (n, "rows", "the same rows in every layer" + (" and view" if view_stacks else ""))
        if rows is not None:
            stack = _take_stack(stack, rows)
            view_stacks = [_take_stack(vs, rows) for vs in view_stacks]
            groups, attr_values, class_values = (None if v is None else np.asarray(v)[rows] for v in (groups, attr_values, class_values))
    if tokens is not None:
        from embgeo.extract.store import load_tokens

        clouds = load_tokens(tokens)
        n_texts = clouds.n_texts
        inputs.append(input_entry(str(tokens), rows=n_texts, dims=clouds.n_dims))
        if sample is not None:
            if stack is not None:  # X and the token clouds hold the same texts: the same sample of both
                if rows is not None and n_texts == n:
                    clouds = clouds.take(rows)
                    sampled_of = (*sampled_of[:2], f"{sampled_of[2]}, and the same {rows.size} texts of {tokens}")
                elif rows is not None:
                    raise EmbgeoError(f"--sample needs X and --tokens to hold the same texts; X has {n} rows, the token file {n_texts} texts",
                                      source=str(tokens), hint="give files extracted from the same texts, or leave --sample out")
            else:
                if sample < n_texts:
                    clouds = clouds.take(_sample_rows(n_texts, sample, seed))
                sampled_of = (n_texts, "texts", "")
        if loss:
            raw = _column(np.asarray(clouds.ids), clouds.n_texts, labels, labels_id_col, loss, "--loss", join)
            try:
                loss_values = raw.astype(np.float64)
            except ValueError:
                raise EmbgeoError(f"column '{loss}' is not numeric", source=str(labels)) from None
    if sampled_of is not None:
        sample_notes.append(sample_note(sample, sampled_of[0], seed, unit=sampled_of[1], detail=sampled_of[2]))  # output notes only
    with progress("layers", total=clouds.n_texts if clouds is not None and geometry else None) as advance:
        res = layer_suite(stack, views=view_stacks or None, groups=groups, tokens=clouds, entropy_alpha=alpha, entropy_norm=entropy_norm.value,
                          temperature=temperature, delta=delta, dime_perms=dime_perms, geometry=geometry, gride_max=gride_max,
                          overlap_max_k=overlap_max_k, loss=loss_values, attribute=attr_values, attribute_name=attribute or "attribute",
                          classes=class_values,
                          n_folds=folds, k=k, seed=seed, progress=advance)
    if plot is not None:
        from embgeo.plots import save_figure
        from embgeo.plots.layers import plot_layer_suite

        save_figure(plot_layer_suite(res), plot)
        wrote(plot, "plot")
    emit_result(command="layers", inputs=inputs,
                settings={"views": list(views or []), "group": group, "tokens": None if tokens is None else str(tokens), "entropy_alpha": alpha,
                          "entropy_norm": entropy_norm.value, "temperature": temperature, "delta": delta, "dime_perms": dime_perms,
                          "geometry": geometry, "gride_max": gride_max, "overlap_max_k": overlap_max_k, "loss": loss,
                          "attr": attribute, "class": class_col, "folds": folds, "k": k,
                          "id_col": id_col, "attr_col": attr_list(attr_col), "labels": None if labels is None else str(labels), "labels_id_col": labels_id_col, "join": join, "input_format": input_format,
                          "stack_layout": layout_value(stack_layout), "sample": sample,
                          "seed": seed, "fail_on": getattr(fail_on, "value", fail_on)},
                result=res, notes=sample_notes + list(res.notes), fmt=fmt, out=out, title="embgeo layers", fail_on=fail_on)


def register(app: typer.Typer) -> None:
    app.command("layers")(layers)


def token_id(tokens, *, labels=None, labels_id_col=None, loss=None, sample=None, seed=None, fail_on=None, fmt=None, out=None, plot=None) -> None:
    """``embgeo id --tokens FILE``: the token-cloud geometry only (GRIDE up to 256 neighbours,
    TwoNN, overlap χ(k) for k ≤ 31, pairwise cosine; mean ± sd over texts), with the reference's
    ranges; ``embgeo layers --tokens`` tunes them and adds the entropies and curvature."""
    import dataclasses

    import numpy as np

    from embgeo.extract.store import load_tokens
    from embgeo.layers import layer_suite

    seed = seed_value(seed)
    clouds = load_tokens(tokens)
    n_texts = clouds.n_texts
    note = sample_note(sample, n_texts, seed, unit="texts")
    sample_notes = [note] if note else []
    if sample is not None and sample < n_texts:
        clouds = clouds.take(_sample_rows(n_texts, sample, seed))
    loss_values = None
    if loss:
        loss_values = _column(np.asarray(clouds.ids), clouds.n_texts, labels, labels_id_col, loss, "--loss").astype(np.float64)
    with progress("tokens", total=clouds.n_texts) as advance:
        res = layer_suite(tokens=clouds, loss=loss_values, seed=seed, progress=advance)
    res = dataclasses.replace(res, values={k: v for k, v in res.values.items() if k.startswith(("token_", "loss_"))},
                              notes=tuple(n for n in res.notes if "curvature" not in n))
    if plot is not None:
        from embgeo.plots import save_figure
        from embgeo.plots.layers import plot_layer_suite

        save_figure(plot_layer_suite(res), plot)
        wrote(plot, "plot")
    emit_result(command="id", inputs=[input_entry(str(tokens), rows=n_texts, dims=clouds.n_dims)],
                settings={"tokens": str(tokens), "gride_max": 256, "overlap_max_k": 31, "loss": loss, "sample": sample, "seed": seed,
                          "fail_on": getattr(fail_on, "value", fail_on)},
                result=res, verdict=_token_verdict(res), notes=sample_notes + list(res.notes), fmt=fmt, out=out,
                title=f"embgeo id --tokens — {clouds.n_texts} texts × {clouds.n_layers} layers", fail_on=fail_on)


def _token_verdict(res):
    import numpy as np

    from embgeo.results import Verdict

    g = res.values.get("token_gride")
    if g is None or not np.isfinite(g).any():
        return Verdict("info", "no text has enough distinct tokens for an intrinsic dimension")
    i = int(np.nanargmax(g))
    return Verdict("info", f"token_gride peaks at layer {res.layers[i]} ({float(g[i]):.4g}, mean over texts)", "", "token_gride")

