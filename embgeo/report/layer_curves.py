"""The report's per-layer section: every curve a layer stack allows, one axes per quantity.

With ``--layers`` the report draws, against the layer, the intrinsic-dimension estimators and
spectral measures of ``embgeo id --layers`` (the same numbers as the "Intrinsic dimension per
layer" section) and the Layer-by-Layer suite of ``embgeo layers`` (:func:`embgeo.layers.layer_suite`):
dataset entropy; with ``--tokens`` prompt entropy and curvature; with ``--attr`` the held-out
rank-axis Spearman; with ``--class`` the probe accuracy and label overlap. Labels are joined to
the stack's rows by id when both carry ids, else by row order when the row counts agree.
"""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError, either, param
from embgeo.report.model import Context, Image, Section, Table

#: ``embgeo id --layers`` curves drawn (those present), then the suite's, in this order
ID_CURVES = ("twonn", "mle", "gride", "pca", "rankme", "entropy", "overlap")
SUITE_CURVES = ("dataset_entropy", "prompt_entropy", "curvature", "infonce", "lidar", "dime", "rank_spearman",
                "probe_accuracy", "label_overlap")



def id_layers_name() -> str:
    """The per-layer intrinsic dimension the report's numbers equal, as the caller would run it."""
    return either("embgeo.layer_dimensions", "embgeo id --layers")


def suite_name() -> str:
    """The Layer-by-Layer suite, as the caller would run it."""
    return either("embgeo.layers.layer_suite", "embgeo layers")


def needs_layers(ctx: Context) -> str | None:
    return None if ctx.layers is not None else f"needs a layer stack ({param('layers')})"


def stack_column(ctx: Context, column: str, *, numeric: bool = False) -> np.ndarray:
    """``column`` of X's labels, one value per row of the layer stack: joined by id when the stack and X
    both carry ids, else by row order when they have the same rows."""
    es, stack = ctx.es, ctx.layers
    n = int(stack.layers[0].shape[0])
    values = es.attribute(column, numeric=numeric)
    sids = getattr(stack, "ids", None)
    if sids is not None and es.ids is not None:
        pos = {str(v): i for i, v in enumerate(es.ids)}
        missing = [str(v) for v in sids if str(v) not in pos]
        if missing:
            raise EmbgeoError(f"{len(missing)} row ids of the layer stack are not ids of X (first: {missing[0]!r}); "
                              f"column '{column}' cannot be joined to the layers", hint="give the stack and X the same ids")
        return values[[pos[str(v)] for v in sids]]
    if es.n_samples != n:
        raise EmbgeoError(f"the layer stack has {n} rows and X {es.n_samples}, and they share no ids: column '{column}' "
                          "cannot be joined to the layers", hint="extract the stack from the same texts as X (embgeo extract writes ids)")
    return values


def layer_curves(ctx: Context):
    """``(id_report, suite)``: :func:`embgeo.intrinsic.layers.layer_dimensions` (shared with the "layers"
    section through ``ctx.cache``) and :func:`embgeo.layers.layer_suite` with what the inputs allow."""
    from embgeo.layers import layer_suite
    from embgeo.report.sections import layer_dimensions_of

    r = layer_dimensions_of(ctx)
    attribute = classes = None
    if ctx.attr:
        attribute = stack_column(ctx, ctx.attr, numeric=True)
    if ctx.layer_class:
        classes = stack_column(ctx, ctx.layer_class)
    suite = layer_suite(ctx.layers, tokens=ctx.tokens, geometry=False, attribute=attribute, classes=classes, seed=ctx.seed)
    return r, suite


def curve_data(r, suite) -> dict:
    """``{quantity: per-layer values}`` of both results (``rank_spearman`` also with ``_ci_low``/``_ci_high``)."""
    ids = r.curves()
    out = {k: [None if v is None else float(v) for v in ids[k]] for k in ID_CURVES if k in ids}
    for k, v in suite.values.items():
        out[k] = [None if not np.isfinite(x) else float(x) for x in v]
        if k in suite.intervals:
            lo, hi = suite.intervals[k]
            out[f"{k}_ci_low"] = [float(x) for x in lo]
            out[f"{k}_ci_high"] = [float(x) for x in hi]
    return out


def run_layer_curves(ctx: Context) -> Section:
    from embgeo.plots import figure_bytes
    from embgeo.plots.report_layers import plot_layer_curves
    from embgeo.report.sections import LAYER_BOOT, LAYER_METHODS, f, judged

    r, suite = layer_curves(ctx)
    names = [str(n) for n in r.names]
    data = curve_data(r, suite)
    shown = [k for k in ID_CURVES + SUITE_CURVES if k in data]
    v = suite.verdict()
    i = None
    if v.decided_by in ("probe_accuracy", "rank_spearman"):
        i = int(np.nanargmax(suite.values[v.decided_by]))
        key_label, key_value = f"best layer ({v.decided_by})", f"{names[i]} ({f(suite.values[v.decided_by][i])})"
    elif v.decided_by:
        i = int(np.nanargmin(suite.values[v.decided_by]))
        key_label, key_value = f"lowest {v.decided_by}", f"{names[i]} ({f(suite.values[v.decided_by][i])})"
    else:
        key_label, key_value = "layers", str(len(names))
    cols = ["layer", *shown]
    rows = [[n, *[data[k][i] if i < len(data[k]) else None for k in shown]] for i, n in enumerate(names)]
    what = ["dataset entropy"] + (["prompt entropy", "curvature"] if ctx.tokens is not None else []) \
        + ([f"rank Spearman of '{ctx.attr}'"] if ctx.attr else []) + ([f"probe accuracy and label overlap of '{ctx.layer_class}'"] if ctx.layer_class else [])
    notes = list(suite.notes)
    if ctx.tokens is None:
        notes.append("prompt entropy and curvature need token clouds: " + either("pass tokens= (from embgeo.extract)", "pass --tokens tokens.h5 (from embgeo extract)"))
    return Section(
        "layer_curves", "Curves per layer", v.status, key_label, key_value, v.reason,
        explanation="Every per-layer quantity on its own axes: the intrinsic-dimension estimators, spectral measures and the "
                    f"kNN overlap with the next layer ({id_layers_name()}), and the Layer-by-Layer suite ({suite_name()}): "
                    "α-entropies with the reference preprocessing, curvature of the token paths, and, for a task column, the "
                    "held-out Spearman of the rank axis and a linear probe (dashed: chance). These are descriptive curves (info); "
                    "Skean et al. find intermediate layers of lower entropy often embed best.",
        reference="Skean et al. 2025, Layer by Layer; Valeriani et al. 2023",
        settings=f"{len(names)} layers × {r.n_rows} rows; id: methods {', '.join(LAYER_METHODS)}, {LAYER_BOOT} bootstrap replicates; "
                 f"suite: α = 1, maxEntropy normalisation, {', '.join(what)}; the same numbers as {id_layers_name()} and {suite_name()}",
        tables=[Table("per-layer curves", cols, rows)],
        images=[Image("one axes per quantity against the layer", figure_bytes(plot_layer_curves(names, data, shown), fmt="png", dpi=90))],
        notes=notes, data={"layers": names, "curves": data, "in_verdict": False},
        **judged(suite, v, **({} if i is None else {"layer": names[i]})),  # the layer the card shows
    )


__all__ = ["needs_layers", "stack_column", "layer_curves", "curve_data", "run_layer_curves"]
