"""The sections of ``embgeo report``, in order: each says when it applies and how it runs.

A section is a :class:`SectionSpec`: ``applies(ctx)`` returns ``None`` when the
inputs allow it, or the reason it is left out; ``run(ctx)`` calls the library
function(s), decides the verdict and returns a :class:`embgeo.report.build.Section`.
Analysis modules are imported inside ``run``, so a missing module makes only its
section say "skipped". Each section runs its command's defaults (so its card shows the
numbers the command prints for the same input and seed), except where the cost does not
allow it: those sections say so on their card (``Section.reduced``) and in their settings.
Every section records the metric that decided its verdict (``decided_by``, read from the
analysis's ``verdict()``) and that metric's full-precision row (``decided``): see :func:`judged`.

Verdict rules that are embgeo's own (not from a paper) are stated in the
section's ``explanation``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from embgeo.errors import either, param, setting
from embgeo.report.headline import decided_text, f, lead, rank_defaults, reembed_headline
from embgeo.report.layer_curves import id_layers_name, run_layer_curves
from embgeo.report.model import Context, Image, Section, Table

#: settings of the report's analyses: the commands' defaults (``embgeo id``, ``id --layers``, ``rank``,
#: ``compare``, ``hyperbolic sala``/``reembed``) wherever the cost allows it. The rank card runs
#: ``rank_axes`` with ``embgeo.rank.core.DEFAULT_METHODS`` (the methods of ``embgeo rank``) and the
#: function's own defaults for everything else, which are ``embgeo rank``'s option defaults.
ID_BOOT = 200  # embgeo id --bootstrap
LAYER_BOOT = 200  # embgeo id --layers --bootstrap
LAYER_METHODS = ("twonn", "mle", "gride", "pca", "rankme", "entropy")  # embgeo id --layers -m all
HIERARCHY_EPS = 0.1  # embgeo hyperbolic sala --eps
HIERARCHY_DIM = 2  # embgeo hyperbolic sala --dim
#: fewer than ``embgeo hyperbolic delta`` (200 000 quadruples, 20 subsets): δ is shown, not judged
DELTA_QUADRUPLES = 50_000
DELTA_SUBSETS = 10
CLI_DELTA_QUADRUPLES = 200_000
CLI_DELTA_SUBSETS = 20
REEMBED_DIM = 2
REEMBED_K = 10
MAX_CATEGORIES = 30


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    reference: str
    applies: Callable[[Context], str | None]
    run: Callable[[Context], Section]


def judged(result, v, **where) -> dict:
    """``decided_by`` and ``decided`` of a :class:`Section` for the verdict ``v`` of ``result``.

    ``decided`` is the row of ``result.metrics()`` whose id is ``v.decided_by``, at full precision. When
    several rows carry that id (per layer, per method), the verdict's ``decided_row`` picks by their extra
    columns (e.g. ``layer="3"``), and so does ``where``; otherwise the row whose status is the verdict's, then
    any row with a status, then the first. Ids are read from the verdict, never assumed: an id with no metric row falls back to the
    numeric field of ``result.to_dict()`` that it names.
    """
    from embgeo.results import flatten

    if v is None or not v.decided_by:
        return {"decided_by": "", "decided": {}}
    rows = [m for m in result.metrics() if m.metric == v.decided_by]
    where = {**(v.decided_row or {}), **where}
    if where:
        rows = [m for m in rows if all(str(m.extra.get(k)) == str(x) for k, x in where.items())] or rows
    if len(rows) > 1:
        rows = [m for m in rows if m.status == v.status] or [m for m in rows if m.status] or rows
    if rows:
        row = rows[0].row()
        row.pop("status", None)
        return {"decided_by": v.decided_by, "decided": row}
    for key, value in flatten(result.to_dict()).items():
        if (key == v.decided_by or key.endswith("." + v.decided_by)) and isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"decided_by": v.decided_by, "decided": {"metric": v.decided_by, "value": value}}
    return {"decided_by": v.decided_by, "decided": {"metric": v.decided_by}}


def image(result, caption: str, **kwargs) -> Image:
    from embgeo.plots import figure_bytes, plot_result

    return Image(caption, figure_bytes(plot_result(result, **kwargs), fmt="png", dpi=90))


def table(result, caption: str) -> Table:
    cols, rows = result.table()
    return Table(caption, list(cols), [list(r) for r in rows])


def always(ctx: Context) -> str | None:
    return None


# --------------------------------------------------------------------------- overview
def run_overview(ctx: Context) -> Section:
    from embgeo.info import describe

    info = describe(ctx.es)
    v = info.verdict()  # the same rule as `embgeo info`
    status, verdict = v.status, v.reason + (f" ({v.fix})" if v.fix else "")
    return Section(
        "overview", "Data", status, "rows × dims", f"{info.n_rows} × {info.n_dims}", verdict,
        explanation="Shape, storage type, L2 norms (min / median / max, accumulated in float64) and rows that break "
                    "analyses: NaN or inf values, all-zero rows (no direction, so no cosine) and exact duplicates "
                    "(they make nearest-neighbour distances zero and bias ratio estimators).",
        reference="embgeo info",
        tables=[table(info, "embgeo info")], data=info.to_dict(), **judged(info, v),
    )


# --------------------------------------------------------------------------- uniformity
def run_uniformity(ctx: Context) -> Section:
    from embgeo.uniformity.core import uniformity

    u = uniformity(ctx.X, seed=ctx.seed, name=ctx.es.source)
    v = u.verdict()  # the same rule as `embgeo uniformity`
    status, verdict = v.status, v.reason + (f" ({v.fix})" if v.fix else "")
    jd = judged(u, v)  # decided by uniformity_ratio: the ratio of the two numbers of the headline
    return Section(
        "uniformity", "Uniformity on the sphere", status,
        *lead("uniformity (t = 2)", f"{f(u.uniformity)} (uniform sphere {f(u.uniformity_sphere)})", jd, shown=("uniformity_ratio",)), verdict,
        explanation="Uniformity = log of the mean of exp(−t‖x̂ᵢ − x̂ⱼ‖²) over all pairs of L2-normalised rows (t = 2); lower "
                    "is more uniform. Points spread uniformly over the sphere S^(d−1) reach the closed-form value shown. "
                    "embgeo's rule of thumb: ok at ≥ 80 % of the uniform-sphere value, warn from 50 %, bad below 50 %. "
                    "The figure shows the squared pair distances and pair angles against the uniform sphere's densities.",
        reference="Wang & Isola 2020, Understanding Contrastive Representation Learning through Alignment and Uniformity on the Hypersphere",
        settings=f"mode {u.mode} ({u.n_pairs} pairs), rows L2-normalised",
        tables=[table(u, "uniformity")], images=[image(u, "pair distances and angles")], data=u.to_dict(), **jd,
    )


# --------------------------------------------------------------------------- modality gap
def needs_pairs(ctx: Context) -> str | None:
    return None if ctx.pairs is not None else f"needs two row-paired sets ({param('pairs')})"


def run_gap(ctx: Context) -> Section:
    from embgeo.uniformity.gap import modality_gap

    a, b = ctx.pairs
    names = (a.source, b.source)
    g = modality_gap(a.matrix, b.matrix, seed=ctx.seed, names=names)
    v = g.verdict()  # the same rule as `embgeo gap`: decided by the shift experiment, not by separability
    status, verdict = v.status, v.reason + (f" ({v.fix})" if v.fix else "")
    jd = judged(g, v)
    return Section(
        "gap", "Modality gap", status, *lead("centroid gap ‖Δ‖", f(g.gap_centroid_distance), jd, shown=("gap_centroid_distance",)), verdict,
        explanation="For two row-paired sets (e.g. images and captions), Δ = mean(x̂) − mean(ŷ) of the L2-normalised rows. "
                    "A large ‖Δ‖ with a linear probe that separates the sets means they occupy different regions of the "
                    "sphere; the shift experiment removes Δ and shows how retrieval and uniformity change. "
                    "The verdict asks whether the gap matters for retrieval: bad when removing it raises recall@1 "
                    "(both directions) by ≥ 0.05 with the interval above 0, warn on a smaller significant gain or "
                    "when matched pairs are no closer than random pairs, ok otherwise (however separable the sets are).",
        reference="Liang et al. 2022, Mind the Gap; Oh et al. 2023, Geodesic Multi-Modal Mixup; Wang & Isola 2020",
        settings=f"{g.n_rows} pairs; 5-fold logistic-regression probe; full gap removed in the shift; mixup λ = 0.5",
        tables=[table(g, "modality gap")], images=[image(g, "the two sets on one projection; cosines", X=a.matrix, Y=b.matrix, names=names, seed=ctx.seed)],
        data=g.to_dict(), **jd,
    )


# --------------------------------------------------------------------------- intrinsic dimension
def run_intrinsic(ctx: Context) -> Section:
    from embgeo.intrinsic.summary import intrinsic_dimension

    k, gride_max = id_scales(ctx.es.n_samples)
    r = intrinsic_dimension(ctx.X, n_bootstrap=ID_BOOT, seed=ctx.seed, k=k, gride_max=gride_max)
    v, rec = r.verdict(), r.recommended()  # the same rule (and estimate to read) as `embgeo id`
    key = "—" if rec is None else f"{rec.metric} {f(rec.value, 2)}" + (
        f" [{f(rec.ci_low, 2)}, {f(rec.ci_high, 2)}]" if np.isfinite(rec.ci_low) and np.isfinite(rec.ci_high) else "")
    verdict = v.reason + (f" ({v.fix})" if v.fix else "")
    jd = judged(r, v)
    return Section(
        "intrinsic", "Intrinsic dimension", v.status, *lead("estimate to read [95 % interval]", key, jd, shown=(rec.metric,) if rec else ()), verdict,
        explanation="How many directions the data really vary along, locally (TwoNN from the ratio of second to first "
                    "neighbour distance; MLE averaged over k neighbours; GRIDE across neighbourhood scales) and globally "
                    "(PCA, effective rank). Every estimator underestimates high dimensions, and ambient noise inflates "
                    "local estimates at small scales: read the GRIDE curve. The estimate to read is GRIDE's plateau "
                    "(≥ 3 consecutive scales within 10 %) when there is one, else TwoNN; embgeo's rule (as in `embgeo id`): "
                    "warn when two estimators disagree beyond their 95 % intervals or GRIDE's curve has no plateau.",
        reference="Facco et al. 2017 (TwoNN); Levina & Bickel 2004, MacKay & Ghahramani (MLE); Denti et al. 2022 (GRIDE); Garrido et al. 2023 (RankMe)",
        settings=f"{r.n_used} rows used ({r.n_duplicates_dropped} duplicates dropped); MLE k = {max(2, (k + 1) // 2)}..{k}; "
                 f"GRIDE up to n2 = {gride_max}; {ID_BOOT} bootstrap replicates",
        reduced=scales_reduced(k, gride_max),
        tables=[Table("intrinsic-dimension estimators", *map(list, r.estimator_table())), Table("spectral (linear) measures", *map(list, r.spectral_table()))],
        images=[image(r, "ID against scale; PCA spectrum")], notes=list(r.notes),
        data=r.to_dict(), **jd,
    )


def id_scales(n: int) -> tuple[int, int]:
    """``(k, gride_max)``: embgeo id's defaults (20, 64), shrunk for inputs too small for them."""
    gride_max = int(min(64, 2 ** int(np.floor(np.log2(max(n - 2, 4))))))  # GRIDE needs n2 + 2 rows
    return int(min(20, max(3, n - 2))), gride_max


def scales_reduced(k: int, gride_max: int) -> str:
    """The card's ``reduced`` line when :func:`id_scales` shrank embgeo id's defaults (empty when it did not)."""
    shrunk = ([f"k = {k} (embgeo id: 20)"] if k != 20 else []) + ([f"GRIDE up to n2 = {gride_max} (embgeo id: 64)"] if gride_max != 64 else [])
    return f"{' and '.join(shrunk)}: this input has too few rows for embgeo id's defaults" if shrunk else ""


def layer_dimensions_of(ctx: Context):
    """``embgeo id --layers`` with its defaults (k and GRIDE's largest order shrink for tiny stacks), once per
    report: the "layers" and "layer_curves" sections share it through ``ctx.cache``."""
    from embgeo.intrinsic.layers import layer_dimensions

    r = ctx.cache.get("layer_dimensions")
    if r is None:
        k, gride_max = id_scales(int(ctx.layers.layers[0].shape[0]))
        r = ctx.cache["layer_dimensions"] = layer_dimensions(ctx.layers, methods=LAYER_METHODS, n_bootstrap=LAYER_BOOT, k=k,
                                                             gride_max=gride_max, seed=ctx.seed)
    return r


def needs_layers(ctx: Context) -> str | None:
    return None if ctx.layers is not None else f"needs a layer stack ({param('layers')})"


def run_layers(ctx: Context) -> Section:
    r = layer_dimensions_of(ctx)
    tw = r.curves().get("twonn", [])
    key = " → ".join(f(v, 1) for v in (tw[0], tw[-1])) if tw else "—"
    ov = r.overlap
    v = r.verdict()  # the same rule as `embgeo id --layers`
    # the layer whose verdict is the stack's (the first that warns, as the verdict names it)
    layer = next((n for n, rep in zip(r.names, r.reports) if rep.verdict().status == v.status), r.names[0] if r.names else None)
    verdict = v.reason + (f" ({v.fix})" if v.fix else "")
    if ov.size:
        verdict += f"; neighbourhood overlap between consecutive layers {f(ov.min(), 2)}–{f(ov.max(), 2)}"
    jd = judged(r, v, **({} if layer is None else {"layer": layer}))
    return Section(
        "layers", "Intrinsic dimension per layer", v.status, *lead("TwoNN first → last layer", key, jd), verdict,
        explanation="The same estimators on every layer of a model, and χ, the share of each row's k = 10 nearest "
                    "neighbours that stay neighbours in the next layer (1 = the same neighbourhoods; k/(n−1) = unrelated).",
        reference="Valeriani et al. 2023, The geometry of hidden representations of large transformer models; Skean et al. 2025, Layer by Layer",
        settings=f"{len(r.names)} layers, {r.n_used} rows, methods {', '.join(LAYER_METHODS)}, {LAYER_BOOT} bootstrap replicates ({id_layers_name()} defaults; k and the largest GRIDE order shrink below 66 rows)",
        tables=[Table("intrinsic-dimension estimators per layer", *map(list, r.estimator_table())),
                Table("spectral (linear) measures per layer", *map(list, r.spectral_table()))],
        images=[image(r, "ID per layer; overlap; spectral measures")], data=r.to_dict(),
        reduced=scales_reduced(*id_scales(int(ctx.layers.layers[0].shape[0]))), **jd,
    )


# --------------------------------------------------------------------------- cosine
def run_cosine(ctx: Context) -> Section:
    from embgeo.cosine.diagnostics import cosine_diagnostics

    attribute = ctx.es.attribute(ctx.attr, numeric=True) if ctx.attr else None
    r = cosine_diagnostics(ctx.X, attribute=attribute, attribute_name=ctx.attr or "attribute", seed=ctx.seed)
    v = r.verdict()  # the same verdict as `embgeo cosine`
    flagged = [f"{name} ({w.status})" for name, w in r.verdicts().items() if w.status != "ok"]
    verdict = v.reason + (f" ({v.fix})" if v.fix else "") + ("; also flagged: " + ", ".join(x for x in flagged if not v.reason.startswith(x.split(" (")[0] + ":")) if len(flagged) > 1 else "")
    a = r.anisotropy
    jd = judged(r, v)
    return Section(
        "cosine", "Cosine-similarity pitfalls", v.status,
        *lead("mean cosine of random pairs", f"{f(a.mean_cosine)} (centred {f(a.centred_mean_cosine)})", jd, shown=("anisotropy",)), verdict,
        explanation="Seven checks of whether cosine similarity means what it seems to: anisotropy (a common offset makes "
                    "unrelated items look similar), IsoScore, rogue dimensions that dominate every cosine, norms, "
                    "hubness (a few rows are everyone's neighbour), the rescaling freedom of a factorisation, and what "
                    "centring, all-but-the-top and whitening change. The thresholds are in the table's reasons.",
        reference="Steck et al. 2024; Ethayarajh 2019; Rudman et al. 2022 (IsoScore); Timkey & van Schijndel 2021; Radovanović et al. 2010; Mu & Viswanath 2018",
        settings=f"k = {r.k} neighbours on {r.neighbour_rows} rows; 20000 random pairs",
        tables=[table(r, "cosine diagnostics")], images=[image(r, "random-pair vs neighbour cosines; rogue dimensions; k-occurrence")],
        notes=[f"fix — {line}" for line in r.fixes()], data=r.to_dict(), **jd,
    )


# --------------------------------------------------------------------------- rank axes
def needs_attr(ctx: Context) -> str | None:
    return None if ctx.attr else "needs a numeric attribute (" + either("attr, a numeric label column", "--labels FILE --attr COLUMN") + ")"


def run_rank(ctx: Context) -> Section:
    from embgeo.rank.core import DEFAULT_METHODS, rank_axes

    y = ctx.es.attribute(ctx.attr, numeric=True)
    # `embgeo rank`'s defaults: its method set (DEFAULT_METHODS) and rank_axes' defaults for every other setting
    r = rank_axes(ctx.es, y, attribute=ctx.attr, methods=DEFAULT_METHODS, seed=ctx.seed)
    v = r.verdict()  # the same verdict as `embgeo rank`, decided by the best held-out linear axis
    status, verdict = v.status, v.reason + (f" ({v.fix})" if v.fix else "")
    jd = judged(r, v)
    axis = jd["decided"].get("method")  # the axis whose held-out ρ decided the verdict
    key = decided_text(jd["decided"]) or "—"
    d = rank_defaults()
    return Section(
        "rank", f"Rank axis for '{ctx.attr}'", status, f"held-out Spearman ρ ({axis} axis, which decided)" if axis else "held-out Spearman ρ",
        key, verdict,
        explanation="Is the ordinal attribute a straight direction in the space? Axes are fitted on training folds (ridge "
                    "regression, pairwise logistic, two extremes and top/bottom-q means, few-shot) and scored on held-out rows "
                    "by Spearman ρ; baselines are random directions (95th percentile of |ρ|), the best principal component, "
                    "shuffled labels, and kNN and MLP regressions as nonlinear ceilings. embgeo's rule (as `embgeo rank`): the "
                    "best held-out linear axis decides, shown as the headline; bad within the random band, warn below ρ = 0.5.",
        reference="Sonthalia et al., On the rankability of visual embeddings",
        settings=f"{r.n_rows} rows with a value ({r.n_missing} missing); methods {', '.join(DEFAULT_METHODS)} (embgeo rank's defaults); "
                 f"{r.n_folds}-fold CV; {r.n_bootstrap} bootstrap resamples; {d['n_random']} random directions; "
                 f"{d['n_shuffles']} label shuffles; few-shot {d['repeats']} draws per size and fold",
        tables=[table(r, "rank axes")], images=[image(r, "projection vs attribute; few-shot curve; methods")], notes=list(r.notes),
        data=r.to_dict(), **jd,
    )


# --------------------------------------------------------------------------- map
def _color_column(ctx: Context) -> str | None:
    if ctx.color_by:
        return ctx.color_by
    best, best_k = None, 1
    for name in sorted(ctx.es.attributes):  # the text column with the most distinct values (2..30), ignoring blanks
        col = ctx.es.attributes[name]
        if col.dtype.kind in "biuf":
            continue
        values = np.unique(col.astype(str))
        k = int(np.sum(np.char.strip(values) != ""))
        if best_k < k <= MAX_CATEGORIES:
            best, best_k = name, k
    return best if best is not None else ctx.attr


def run_map(ctx: Context) -> Section:
    from embgeo.projection import project

    p = project(ctx.X, method=ctx.map_method, seed=ctx.seed, name=ctx.es.source)
    col = _color_column(ctx)
    color = ctx.es.attributes[col] if col else None
    label = {"pca": "PCA", "umap": "UMAP", "hyperbolic-umap": "hyperbolic UMAP"}[p.method]
    verdict = f"{label} of {p.n_mapped} rows" + (f", coloured by '{col}'" if col else "")
    if p.method == "pca":
        verdict += f"; the two axes hold {f(100 * float(np.sum(p.explained_variance)), 1)} % of the variance"
    return Section(
        "map", "Map", "info", "rows mapped", str(p.n_mapped), verdict,
        explanation="A 2-D picture of the rows. PCA keeps the two directions of largest variance (distances are projected "
                    "distances); UMAP keeps neighbourhoods but not distances, densities or gaps between clusters — UMAP "
                    "distances are not metric. Use embgeo project for UMAP and hyperbolic UMAP maps.",
        reference="McInnes et al. 2018 (UMAP); Pearson 1901 (PCA)",
        settings=f"method {p.method}; " + ", ".join(f"{k} {v}" for k, v in p.params.items()) + f"; seed {ctx.seed}",
        images=[image(p, f"{label} map", color=color, color_name=col)], notes=list(p.notes), data=p.to_dict(),
        decided={"metric": "n_mapped", "value": int(p.n_mapped)},  # no verdict: the card's headline number
    )


# --------------------------------------------------------------------------- hierarchy
def eval_all_name() -> str:
    """The rule the hierarchy card applies to X, as the caller would run it."""
    return either("evaluate_embedding(protocol='all')", "`hyperbolic eval --protocol all`")


def needs_hierarchy(ctx: Context) -> str | None:
    return None if ctx.hierarchy is not None else "needs a hierarchy or graph (" + either("hierarchy", "--edges FILE") + ")"


def run_hierarchy(ctx: Context) -> Section:
    from embgeo.hyperbolic.combinatorial import combinatorial_embedding
    from embgeo.hyperbolic.evaluate import evaluate_embedding
    from embgeo.hyperbolic.graphs import graph_distances, transitive_reduction

    h = ctx.hierarchy
    g = transitive_reduction(h) if (h.directed and h.closed) else h
    te = combinatorial_embedding(g.edges, h.n_nodes, dim=HIERARCHY_DIM, eps=HIERARCHY_EPS)
    # at the construction's scale τ, as `embgeo hyperbolic combinatorial` scores it (the card follows its rule, on its numbers)
    ev = evaluate_embedding(te.distances, h, protocol="all", seed=ctx.seed, scale=te.tau)
    tables = [Table("embedding quality", *ev.table()), Table("construction", *te.table())]
    notes = list(ev.notes)
    delta_text, delta_exact = "", None
    data = {"construction": te.to_dict(), "evaluation": ev.to_dict()}
    try:
        from embgeo.hyperbolic.delta import gromov_delta
    except ImportError:
        gromov_delta = None
    if gromov_delta is not None:
        D = graph_distances(g)
        if np.isfinite(D).all():
            dr = gromov_delta(D, n_quadruples=DELTA_QUADRUPLES, n_subsets=DELTA_SUBSETS, seed=ctx.seed)
            delta_exact = bool(dr.exact)
            tables.append(Table("Gromov δ of the graph", *dr.table()))
            delta_text = f"; Gromov δ {f(dr.delta, 2)} (relative {f(dr.delta_relative, 3)})"
            data["delta"] = dr.to_dict()
        else:
            notes.append("Gromov δ left out: the graph has more than one connected part")
    sala = ev.map_sala
    verdict = (f"2-D hyperbolic construction: MAP {f(sala)} (Sala et al., graph neighbours), {f(ev.map)} (Nickel–Kiela, ancestors); "
               f"mean distortion {f(ev.distortion_mean)}{delta_text}")
    key_name, key = "MAP (Sala et al.)", f"{f(sala)} (NK {f(ev.map)})"
    own = _evaluate_rows(ctx, h)
    from embgeo.hyperbolic.verdicts import tree_verdict

    # the rule of `embgeo hyperbolic combinatorial`: Sala's MAP (graph neighbours, what the construction
    # aims at) and mean distortion; the Nickel–Kiela MAP of the construction is shown, not judged
    v = tree_verdict(ev.map_sala, ev.distortion_mean, map_id="map_sala", what="the construction")
    scored = ev
    if isinstance(own, str) or own is None:  # X has no row per node: only the edges file is scored, outside X's verdicts
        notes.append(own if isinstance(own, str) else "the rows of X carry no node ids of the hierarchy: this card scores the edges file alone "
                     "(its 2-D construction), and its status is left out of the report's verdict on X")
        verdict = f"the edges file alone (X has no node ids): {v.reason.split(': ', 1)[-1]}; " + verdict
        data["in_verdict"] = False
    else:  # the user's rows are the hierarchy's nodes: score them too, first; their verdict is the card's
        tables.insert(0, Table("your embedding (cosine neighbours of the rows)", *own.table()))
        data["embedding"] = own.to_dict()
        v, scored = own.verdict(), own
        verdict = f"your embedding: {v.reason.split(': ', 1)[-1]}; MAP (Nickel–Kiela) {f(own.map)}; " + verdict
        key_name, key = "MAP (Sala et al.), yours vs 2-D hyperbolic", f"{f(own.map_sala)} vs {f(sala)}"
    data["verdict"] = v.to_dict()
    status = v.status
    jd = judged(scored, v)
    key_name, key = lead(key_name, key, jd, shown=("map_sala",))
    if not te.is_tree:
        notes.append(f"the graph is not a tree: its BFS spanning tree ({te.n_tree_edges} of {te.n_graph_edges} edges) was embedded and scored against the whole graph")
    return Section(
        "hierarchy", "Hierarchy in the Poincaré disk", status, key_name, key, verdict,
        explanation="When the rows of X carry the hierarchy's node ids, X itself is scored first (cosine neighbours: rows "
                    f"L2-normalised, chord distances) by the rule of {eval_all_name()}: every MAP computed (Nickel–Kiela "
                    "and Sala) and mean distortion, the worst decides; that verdict is the card's. "
                    "The hierarchy is embedded by the combinatorial construction (Sarkar's, as in Sala et al.): the root at "
                    "the origin, children spread around their parent, scale τ set by the distortion target ε. MAP (Sala) "
                    "asks whether each node's graph neighbours are its nearest points; MAP (Nickel–Kiela) asks the same "
                    "of its ancestors in the closure, which a construction tuned for graph distances does not optimise. "
                    "Mean distortion is the mean relative error of distances. The construction is judged by the rule of `hyperbolic "
                    "combinatorial`: MAP (Sala; ok ≥ 0.9, warn ≥ 0.5) and mean distortion (ok ≤ 0.2, warn ≤ 0.5), the worse decides; "
                    "its Nickel–Kiela MAP is shown, not judged. "
                    "Without node ids in X the card scores the edges file alone and stays out of the verdict on X. "
                    "Gromov δ (four-point, 0 for a tree metric) says how tree-like the graph's metric is.",
        reference="Sala, De Sa, Gu & Ré 2018, Representation Tradeoffs for Hyperbolic Embeddings; Sarkar 2011; Nickel & Kiela 2017; Gromov 1987",
        settings=f"combinatorial construction in {HIERARCHY_DIM}-D, ε = {HIERARCHY_EPS}, τ = {f(te.tau)}, engine {te.engine} "
                 f"({te.bits_needed} bits needed; distances computed exactly by the engine); scored at scale τ; "
                 + ("δ exact (all quadruples, as embgeo hyperbolic delta)" if delta_exact else
                    f"δ sampled from {DELTA_QUADRUPLES} quadruples and {DELTA_SUBSETS} exact subsets (fewer than embgeo hyperbolic "
                    f"delta's {CLI_DELTA_QUADRUPLES} and {CLI_DELTA_SUBSETS})" if delta_exact is not None else "δ not computed"),
        tables=tables, images=[image(te, "the construction on the Poincaré disk; pair distortion", hierarchy=h, seed=ctx.seed)],
        notes=notes, data=data, **jd,
        reduced=f"Gromov δ from {DELTA_QUADRUPLES} quadruples and {DELTA_SUBSETS} exact subsets (embgeo hyperbolic delta: "
                f"{CLI_DELTA_QUADRUPLES} and {CLI_DELTA_SUBSETS}); δ is shown, not judged" if delta_exact is False else "",
    )


def _evaluate_rows(ctx: Context, h):
    """X scored as an embedding of ``h`` when its row ids name every node; a note when they name only some; else None."""
    from embgeo.hyperbolic.evaluate import evaluate_embedding

    ids = getattr(ctx.es, "ids", None)
    if ids is None:
        return None
    ids = np.asarray(ids).astype(str)
    nodes = set(h.ids.astype(str).tolist())
    covered = len(nodes.intersection(ids.tolist()))
    if covered == 0:
        return None
    if covered < len(nodes):
        return (f"the rows of X name {covered} of the {len(nodes)} hierarchy nodes: X is scored as an embedding of the "
                f"hierarchy only when every node has a row")
    pos = {s: i for i, s in enumerate(ids.tolist())}
    rows = np.array([pos[s] for s in h.ids.astype(str).tolist()], dtype=np.int64)  # only the hierarchy's rows
    X = np.asarray(ctx.X[rows], dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    if not (norms > 0).all():
        return "rows of X for hierarchy nodes are all zero: X was not scored as an embedding of the hierarchy (cosine is undefined)"
    return evaluate_embedding(X / norms, h, protocol="all", model="euclidean", seed=ctx.seed)


# --------------------------------------------------------------------------- re-embedding
def needs_reembed(ctx: Context) -> str | None:
    if ctx.reembed_sample <= 0:
        return f"turned off ({setting('reembed_sample', 0)})"
    if ctx.es.n_samples < 3 * REEMBED_K:
        return f"needs at least {3 * REEMBED_K} rows"
    return None


def run_reembed(ctx: Context) -> Section:
    from embgeo.hyperbolic.reembed import reembed
    from embgeo.validation import as_rng, sample_note

    n = ctx.es.n_samples
    rows = np.arange(n)
    if n > ctx.reembed_sample:
        rows = np.sort(as_rng(ctx.seed).choice(n, size=ctx.reembed_sample, replace=False))
    X = np.asarray(ctx.X[rows])
    r = reembed(X, dim=REEMBED_DIM, k=REEMBED_K, seed=ctx.seed)
    h = next(m for m in r.methods if m["method"] == "hmds")
    e = next(m for m in r.methods if m["method"] == "mds")
    v = r.verdict()  # the rule of `embgeo hyperbolic reembed`: MAP and distortion together
    verdict = v.reason  # the card names the deciding metric (decided_by)
    data = {**r.to_dict(), "verdict": v.to_dict(), "in_verdict": False}  # an answer about X's shape, not a defect: not in X's verdict
    key_label, key = reembed_headline(h, e, v.decided_by)
    return Section(
        "reembed", "Is the space tree-like? (hyperbolic re-embedding)", v.status, key_label, key, verdict,
        explanation="The rows' k-nearest-neighbour graph gives geodesic distances along the data; h-MDS places them in the "
                    "Poincaré ball and classical MDS in the plane at the same dimension. If the ball keeps neighbours "
                    "(MAP) and distances (distortion) better, the data are more tree-like than flat at that scale. The rule is "
                    "`hyperbolic reembed`'s: ok when the ball wins on MAP or distortion and loses on neither (ties: MAP within 0.02, "
                    "distortion within 5 % or 1e-6), bad when the plane does, warn otherwise; the card names the number that decided. "
                    "It describes X's shape, so it stays out of the report's verdict on X.",
        reference="Sala et al. 2018 (h-MDS); Tenenbaum et al. 2000 (geodesic distances)",
        settings=(f"{sample_note(ctx.reembed_sample, n, ctx.seed, name='reembed_sample')}; "  # the one wording, its option
                  + (f"{r.n_rows} of them re-embedded (the largest connected part of the kNN graph); " if r.n_rows < rows.size else "")
                  + f"k = {REEMBED_K}; dimension {REEMBED_DIM}; scale t = {f(r.scale)}" + (" (chosen automatically)" if r.scale_auto else "")),
        tables=[table(r, "ball vs plane")], images=[image(r, "h-MDS on the disk; ball vs plane")], notes=list(r.notes), data=data,
        **judged(r, v),
        reduced=(f"a seeded sample of {rows.size} of {n} rows ({param('reembed_sample')}; "
                 f"{either('embgeo.hyperbolic.reembed', 'embgeo hyperbolic reembed')} uses every row): "
                 "h-MDS is O(n²)") if rows.size < n else "",
    )


# --------------------------------------------------------------------------- compare (--compare Y)
COMPARE_BOOT = 100  # embgeo compare --bootstrap and --permutations


def needs_compare(ctx: Context) -> str | None:
    return None if ctx.cache.get("compare") is not None else "needs a second space of the same items (" + either("compare", "--compare Y") + ")"


def run_compare(ctx: Context) -> Section:
    from embgeo.compare import compare
    from embgeo.plots import figure_bytes
    from embgeo.plots.compare import plot_compare_pair

    other = ctx.cache["compare"]
    r = compare(ctx.es, other, n_bootstrap=COMPARE_BOOT, n_permutations=COMPARE_BOOT, seed=ctx.seed, names=(ctx.es.source, other.source),
                join=ctx.cache.get("join"))
    v = r.verdict()  # the same rule as `embgeo compare`
    mk = r.get("mutual_knn", 10)
    jd = judged(r, v)
    return Section(
        "compare", "Same geometry as the second space?", v.status,
        *lead("CKA / mutual kNN@10", f"{f(r.value('cka_linear'))} / {f(mk.value if mk else None)}", jd, shown=("cka_linear", "mutual_knn")),
        v.reason + (f" ({v.fix})" if v.fix else ""),
        explanation="X against a second embedding of the same items (rows joined by id, or by row order when neither has ids): "
                    "linear CKA (biased and unbiased HSIC), the share of common 10 nearest neighbours, information imbalance "
                    "both ways (0 = one space's neighbours predict the other's, 1 = no information), the Procrustes residual "
                    "and retrieval after the map, and RSA. Grey bands are permutation nulls (rows of Y shuffled). embgeo's rule: "
                    "ok when CKA ≥ 0.9 and mutual kNN ≥ 0.5, bad below 0.5 or 0.2.",
        reference="Kornblith et al. 2019 (CKA); Song et al. 2012 (unbiased HSIC); Huh et al. 2024 (mutual kNN); Glielmo et al. 2022 (information imbalance)",
        settings=f"{r.n_rows} rows, {r.metric}, {COMPARE_BOOT} bootstrap replicates and permutations",
        tables=[table(r, f"{r.x} vs {r.y}")], images=[Image("measures, intervals and null bands", figure_bytes(plot_compare_pair(r), fmt="png", dpi=90))],
        notes=list(r.notes), data=r.to_dict(), **jd,
    )


SECTIONS: list[SectionSpec] = [
    SectionSpec("overview", "Data", "embgeo info", always, run_overview),
    SectionSpec("uniformity", "Uniformity on the sphere", "Wang & Isola 2020", always, run_uniformity),
    SectionSpec("gap", "Modality gap", "Liang et al. 2022", needs_pairs, run_gap),
    SectionSpec("intrinsic", "Intrinsic dimension", "Facco et al. 2017; Denti et al. 2022", always, run_intrinsic),
    SectionSpec("layers", "Intrinsic dimension per layer", "Valeriani et al. 2023", needs_layers, run_layers),
    SectionSpec("layer_curves", "Curves per layer", "Skean et al. 2025", needs_layers, run_layer_curves),
    SectionSpec("cosine", "Cosine-similarity pitfalls", "Steck et al. 2024", always, run_cosine),
    SectionSpec("rank", "Rank axis", "Sonthalia et al.", needs_attr, run_rank),
    SectionSpec("map", "Map", "McInnes et al. 2018", always, run_map),
    SectionSpec("hierarchy", "Hierarchy in the Poincaré disk", "Sala et al. 2018", needs_hierarchy, run_hierarchy),
    SectionSpec("reembed", "Is the space tree-like? (hyperbolic re-embedding)", "Sala et al. 2018", needs_reembed, run_reembed),
    SectionSpec("compare", "Same geometry as the second space?", "Kornblith et al. 2019; Huh et al. 2024", needs_compare, run_compare),
]

__all__ = ["SECTIONS", "SectionSpec", "judged"]
