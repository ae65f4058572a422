"""Hyperbolic embeddings: the Poincaré disk with edges (as geodesic arcs) and labels, distortion histograms.

Edges are drawn as hyperbolic geodesics, ``γ(t) = p ⊕ (t ⊗ ((−p) ⊕ q))`` with
Möbius addition ``⊕`` and scalar multiplication ``⊗`` (curvature −1), i.e. arcs of
circles orthogonal to the boundary. Embeddings of more than two dimensions are
shown by their first two coordinates (the projection of a ball point stays in
the disk). Labels go on the nodes nearest the origin (the top of a hierarchy).

The distortion histogram shows, over pairs ``(u, v)`` of a graph, the relative
distortion ``|d_emb/s − d_G| / d_G`` (Sala et al. 2018) with the scale ``s``
fitted as in :func:`embgeo.hyperbolic.evaluate.distortion`.
"""
from __future__ import annotations

import numpy as np

from embgeo.arguments import check_count, given, keyword_default, renamed_keyword
from embgeo.errors import EmbgeoError
from embgeo.plots._common import BLUE, GREY, ORANGE, RED, figure, note, plain, stairs


# --------------------------------------------------------------------------- geodesics
def _mobius_add(x, y):
    xy = np.sum(x * y, axis=-1, keepdims=True)
    x2 = np.sum(x * x, axis=-1, keepdims=True)
    y2 = np.sum(y * y, axis=-1, keepdims=True)
    num = (1 + 2 * xy + y2) * x + (1 - x2) * y
    return num / np.maximum(1 + 2 * xy + x2 * y2, 1e-15)


def _mobius_scale(t, x):
    r = np.linalg.norm(x, axis=-1, keepdims=True)
    r_safe = np.clip(r, 1e-15, 1 - 1e-15)
    return np.tanh(t * np.arctanh(r_safe)) * x / r_safe


def geodesic_arcs(P, Q, *, points: int = 16) -> np.ndarray:
    """Points along the Poincaré-disk geodesics from each row of ``P`` to the same row of ``Q``.

    ``P``, ``Q``: (m, 2) inside the unit disk. Returns (m, points, 2); the first and last
    points are ``P`` and ``Q``.
    """
    P = np.asarray(P, dtype=np.float64)
    Q = np.asarray(Q, dtype=np.float64)
    t = np.linspace(0.0, 1.0, points)[None, :, None]
    v = _mobius_add(-P, Q)[:, None, :]
    arcs = _mobius_add(np.broadcast_to(P[:, None, :], (P.shape[0], points, 2)), _mobius_scale(t, v))
    arcs[:, 0], arcs[:, -1] = P, Q
    return arcs


def _disk_coordinates(coords) -> tuple[np.ndarray, bool]:
    C = np.asarray(coords, dtype=np.float64)
    if C.ndim != 2 or C.shape[1] < 2:
        raise EmbgeoError(f"Poincaré coordinates must be (n_nodes, ≥2), got shape {C.shape}")
    C2 = C[:, :2]
    r = np.linalg.norm(C2, axis=1)
    too_far = r >= 1.0
    if too_far.any():  # rounding on the boundary: pull in for drawing only
        C2 = C2.copy()
        C2[too_far] *= (1 - 1e-9) / r[too_far, None]
    return C2, C.shape[1] > 2


def plot_disk(coords, *, edges=None, labels=None, ax=None, max_labels: int = 20, color=None, title: str | None = None,
              point_size: float = 8.0, geodesics: bool = True, label_order=None):
    """Draw points on the Poincaré disk with optional ``edges`` ((m, 2) index pairs) and ``labels``.

    ``labels`` (n_nodes,) names the nodes; the first ``max_labels`` nodes of
    ``label_order`` (default: nearest the origin first) are labelled. ``color``
    (n_nodes,) numbers colour the points.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Circle

    C, projected = _disk_coordinates(coords)
    fig, axes = figure(1, ax=ax, width=6.0, height=6.0)
    a = axes[0]
    a.add_patch(Circle((0, 0), 1.0, fill=False, color="#444444", lw=1.0))
    if edges is not None and len(edges):
        E = np.asarray(edges, dtype=np.int64)
        segs = geodesic_arcs(C[E[:, 0]], C[E[:, 1]]) if geodesics else np.stack([C[E[:, 0]], C[E[:, 1]]], axis=1)
        a.add_collection(LineCollection(segs, colors=GREY, linewidths=0.4, alpha=0.5, zorder=1))
    sc = a.scatter(C[:, 0], C[:, 1], s=point_size, c=BLUE if color is None else color, cmap=None if color is None else "viridis", zorder=2)
    if labels is not None and max_labels > 0:
        labels = np.asarray(labels).astype(str)
        order = np.argsort(np.linalg.norm(C, axis=1), kind="stable") if label_order is None else np.asarray(label_order)
        for i in order[:max_labels]:
            a.annotate(plain(labels[i]), C[i], fontsize=7, xytext=(3, 3), textcoords="offset points", zorder=3)
    a.set_xlim(-1.05, 1.05)
    a.set_ylim(-1.05, 1.05)
    a.set_aspect("equal")
    a.set_xticks([])
    a.set_yticks([])
    a.set_title(plain(title or "Poincaré disk") + (" (first two coordinates)" if projected else ""), fontsize=10)
    return fig, sc


def _tree_edges(result) -> np.ndarray | None:
    tree = getattr(result, "_tree", None)
    if tree is None:
        return None
    child = np.flatnonzero(tree.parent >= 0)
    return np.stack([child, tree.parent[child]], axis=1)


# --------------------------------------------------------------------------- distortion
#: source nodes of the distortion histograms (``distortion_sources``; None: every node)
DISTORTION_SOURCES = keyword_default(300)  # (as given, 300 is told from this default: both names given is an error)
#: ``max_sources`` not given (None is a value of it: every node)
NOT_GIVEN = object()
#: ``max_sources=None`` (every node) as :func:`~embgeo.arguments.renamed_keyword` passes it on (None there is "not given")
EVERY_NODE = "every node"


def former_sources(max_sources, distortion_sources) -> tuple:
    """``(old, new)`` for :func:`~embgeo.arguments.renamed_keyword`: None (every node) as :data:`EVERY_NODE` on
    both sides, and ``distortion_sources`` left at its default as not given (so both names given is an error)."""
    new = EVERY_NODE if distortion_sources is None else (distortion_sources if given(distortion_sources) else None)
    return (EVERY_NODE if max_sources is None else max_sources), new


def given_sources(value):
    """The value :func:`~embgeo.arguments.renamed_keyword` returned, :data:`EVERY_NODE` back to None."""
    return None if isinstance(value, str) and value == EVERY_NODE else value


def pair_distortions(distances, h, *, distortion_sources: int | None = DISTORTION_SOURCES, seed=0, scale: float | None = None,
                     max_sources=NOT_GIVEN):
    """Relative distortion ``|d_emb/s − d_G| / d_G`` of sampled pairs of the graph ``h``.

    ``distances``: (n, n_features) Poincaré coordinates or a callable ``rows -> (len(rows), n)``
    hyperbolic distances (e.g. ``TreeEmbedding.distances``). The graph is ``h``, or its
    transitive reduction when ``h`` is a closure (as in the evaluation). ``distortion_sources``
    random source nodes (all nodes when None or ≥ n; ``seed`` draws them) × all nodes, as
    :func:`~embgeo.hyperbolic.evaluate.evaluate_embedding`'s ``distortion_sources``; ``s`` fitted when
    ``scale`` is None. ``max_sources`` is the former name of ``distortion_sources`` (DeprecationWarning).
    Returns ``(values, scale)``.
    """
    if max_sources is not NOT_GIVEN:  # the former name (DeprecationWarning); None is every node
        old, new = former_sources(max_sources, distortion_sources)
        distortion_sources = given_sources(renamed_keyword("pair_distortions", "max_sources", old, "distortion_sources", new))
    if distortion_sources is not None:
        distortion_sources = check_count("distortion_sources", distortion_sources, minimum=1)
    from embgeo.hyperbolic.evaluate import distortion
    from embgeo.hyperbolic.graphs import iter_graph_distances, transitive_reduction
    from embgeo.validation import as_rng

    n = h.n_nodes
    if callable(distances):
        dist = distances
    else:
        from embgeo.hyperbolic.math import poincare_pairwise

        X = np.asarray(distances, dtype=np.float64)
        dist = lambda rows: poincare_pairwise(X[rows], X)  # noqa: E731
    g = transitive_reduction(h) if (h.directed and h.closed) else h
    src = np.arange(n)
    if distortion_sources is not None and distortion_sources < n:
        src = np.sort(as_rng(seed).choice(n, size=int(distortion_sources), replace=False))
    de_all, dg_all = [], []
    for idx, dg in iter_graph_distances(g, sources=src):
        de = dist(idx)
        upper = np.arange(n)[None, :] > idx[:, None] if src.size == n else np.ones_like(dg, dtype=bool)
        ok = np.isfinite(dg) & (dg > 0) & upper
        de_all.append(de[ok])
        dg_all.append(dg[ok])
    de, dg = np.concatenate(de_all), np.concatenate(dg_all)
    _, _, s = distortion(de, dg, scale=scale)
    return np.abs(de / s - dg) / dg, float(s)


def plot_distortion(values, *, ax=None, bins: int = 50, title: str | None = None, average: float | None = None):
    """Histogram of relative pair distortions (from :func:`pair_distortions`)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    fig, axes = figure(1, ax=ax)
    a = axes[0]
    hi = float(np.quantile(v, 0.995)) if v.size else 1.0
    counts, edges = np.histogram(np.clip(v, 0, hi), bins=bins, range=(0.0, max(hi, 1e-12)))
    stairs(a, counts, edges, density=False, color=ORANGE, fill=True, label="pairs")
    avg = float(v.mean()) if average is None and v.size else average
    if avg is not None:
        a.axvline(avg, color=RED, ls="--", lw=1.2, label=f"average {avg:.3f}")
    a.set_xlabel("relative distortion |d_emb/s − d_G| / d_G")
    a.set_ylabel("pairs")
    a.set_title(plain(title or f"distortion over {v.size} pairs"), fontsize=10)
    a.legend(fontsize=8)
    return fig


# --------------------------------------------------------------------------- results
def display_embedding(result, *, radius: float = 6.0):
    """The same construction (tree, root, dimension) with the scale lowered so that the farthest node
    lies at hyperbolic distance ``radius`` from the origin — drawable in float64. Returns
    ``(coordinates, tau)``; the result itself when it already fits."""
    from embgeo.hyperbolic.combinatorial import combinatorial_embedding

    tree = getattr(result, "_tree", None)
    if tree is None or not (result.max_radius > radius):
        return result.coordinates, result.tau
    tau = result.tau * radius / result.max_radius
    child = np.flatnonzero(tree.parent >= 0)
    edges = np.stack([child, tree.parent[child]], axis=1)
    small = combinatorial_embedding(edges, tree.n, dim=result.dim, tau=tau, weights=tree.length[child], root=tree.root)
    return small.coordinates, tau


def plot_tree_embedding(result, *, ax=None, hierarchy=None, labels=None, max_labels: int = 12, distortion: bool = True,
                        distortion_sources: int | None = DISTORTION_SOURCES, seed=0, display_radius: float | None = 8.0,
                        max_sources=NOT_GIVEN):
    """A :class:`~embgeo.hyperbolic.combinatorial.TreeEmbedding` on the Poincaré disk (tree edges as
    geodesics, node names from ``labels`` or ``hierarchy.ids``); with ``hierarchy`` and no ``ax``, a
    second panel with the distortion histogram over pairs of the hierarchy's graph (computed from the
    embedding's exact distances).

    A construction at a useful ε puts deep nodes so far out that their float64 coordinates
    sit on the boundary circle. With ``display_radius`` (default 8) the disk shows the same
    construction at a smaller scale τ (farthest node at that hyperbolic radius), and says so;
    ``None`` draws the coordinates as they are. ``distortion_sources`` (default 300; None: all) source nodes
    of the histogram, drawn with ``seed`` (:func:`pair_distortions`; ``max_sources`` is its former name).
    """
    if max_sources is not NOT_GIVEN:  # the former name (DeprecationWarning); None is every node
        old, new = former_sources(max_sources, distortion_sources)
        distortion_sources = given_sources(renamed_keyword("plot_tree_embedding", "max_sources", old, "distortion_sources", new))
    if labels is None and hierarchy is not None:
        labels = hierarchy.ids
    with_hist = ax is None and distortion and hierarchy is not None
    fig, axes = figure(2 if with_hist else 1, ax=ax, width=5.5, height=5.5)
    coords, tau = (result.coordinates, result.tau) if display_radius is None else display_embedding(result, radius=display_radius)
    title = f"combinatorial construction, {result.engine} engine"
    tree = getattr(result, "_tree", None)
    order = None
    if tree is not None:  # the top of the tree first, the nodes with most children first within a level
        order = np.lexsort((-np.diff(tree.child_ptr), tree.depth))
    plot_disk(coords, edges=_tree_edges(result), labels=labels, ax=axes[0], max_labels=max_labels, title=title, point_size=6,
              label_order=order)
    if tau != result.tau:
        note(axes[0], f"drawn at τ = {tau:.3g} (the embedding uses τ = {result.tau:.3g}, ε = {result.eps:g})", loc="lower left")
    elif result.n_on_boundary:
        note(axes[0], f"{result.n_on_boundary} points round onto the boundary in float64", loc="lower left")
    if with_hist:
        vals, s = pair_distortions(result.distances, hierarchy, distortion_sources=distortion_sources, seed=seed)
        plot_distortion(vals, ax=axes[1], title=f"pair distortion (scale s = {s:.3g})")
    return fig


def plot_evaluation(result, *, ax=None, coordinates=None, hierarchy=None, labels=None, max_labels: int = 20,
                    distortion_sources: int | None = DISTORTION_SOURCES, seed=0, max_sources=NOT_GIVEN):
    """An :class:`~embgeo.hyperbolic.evaluate.EvalResult`: bars of the MAPs with the distortions noted;
    with ``coordinates`` (Poincaré, rows in the order of ``hierarchy.ids``) and ``hierarchy``, the disk
    with the hierarchy's edges and the distortion histogram instead (over ``distortion_sources`` source
    nodes, default 300, None: all; ``max_sources`` is its former name, a DeprecationWarning)."""
    if max_sources is not NOT_GIVEN:  # the former name (DeprecationWarning); None is every node
        old, new = former_sources(max_sources, distortion_sources)
        distortion_sources = given_sources(renamed_keyword("plot_evaluation", "max_sources", old, "distortion_sources", new))
    if coordinates is not None and hierarchy is not None:
        fig, axes = figure(1 if ax is not None else 2, ax=ax, width=5.5, height=5.5)
        edges = _reduced_edges(hierarchy)
        plot_disk(coordinates, edges=edges, labels=labels if labels is not None else hierarchy.ids, ax=axes[0],
                  max_labels=max_labels, title=f"{result.model} embedding ({result.n_nodes} nodes)", point_size=6)
        if ax is None:
            vals, s = pair_distortions(coordinates, hierarchy, distortion_sources=distortion_sources, seed=seed)
            plot_distortion(vals, ax=axes[1], title=f"pair distortion (scale s = {s:.3g})")
        return fig
    fig, axes = figure(1, ax=ax)
    a = axes[0]
    names, vals = [], []
    for key, label in (("map", "MAP (Nickel–Kiela)"), ("map_sala", "MAP (Sala et al.)")):
        v = getattr(result, key)
        if v is not None:
            names.append(label)
            vals.append(v)
    a.barh(np.arange(len(vals)), vals, color=BLUE)
    a.set_yticks(np.arange(len(vals)))
    a.set_yticklabels(names, fontsize=8)
    a.set_xlim(0, 1)
    a.set_xlabel("mean average precision")
    parts = []
    if result.distortion_mean is not None:
        parts.append(f"mean distortion {result.distortion_mean:.3f}")
    if result.distortion_worst is not None:
        parts.append(f"worst-case {result.distortion_worst:.3g}")
    if parts:
        note(a, "; ".join(parts), loc="lower right")
    a.set_title(plain(f"{result.model} embedding, {result.n_nodes} nodes"), fontsize=10)
    return fig


def _reduced_edges(h) -> np.ndarray:
    from embgeo.hyperbolic.graphs import transitive_reduction

    g = transitive_reduction(h) if (h.directed and h.closed) else h
    return np.asarray(g.edges, dtype=np.int64)


def plot_hmds(result, *, ax=None, edges=None, labels=None, max_labels: int = 20):
    """An :class:`~embgeo.hyperbolic.hmds.HmdsResult`: the points on the Poincaré disk (first two
    coordinates), with optional graph ``edges`` and ``labels``; the distortions in the corner."""
    fig, sc = plot_disk(result.coordinates, edges=edges, labels=labels, ax=ax, max_labels=max_labels,
                        title=f"h-MDS, {result.n_rows} points, scale t = {result.scale:.3g}")
    a = sc.axes
    note(a, f"mean distortion {result.distortion_mean:.3f}; {result.dims_recovered} of {result.dim} dims recovered", loc="lower left")
    return fig


def plot_reembed(result, *, ax=None, color=None):
    """A :class:`~embgeo.hyperbolic.reembed.ReembedResult`: the h-MDS points on the disk (and the
    hyperbolic-UMAP disk when it ran) plus MAP and distortion of the ball against the flat baseline.
    ``color`` (n_samples,) numbers over the input rows colour the points. With ``ax``: the h-MDS disk."""
    col = None if color is None else np.asarray(color, dtype=np.float64)[result.kept]
    panels = 1 if ax is not None else 2 + int(result.coordinates_umap is not None)
    fig, axes = figure(panels, ax=ax, width=5.0, height=5.0)
    plot_disk(result.coordinates_hmds, ax=axes[0], color=col, title=f"h-MDS of the kNN graph (k = {result.k})", point_size=5)
    if result.coordinates_umap is not None and ax is None:
        plot_disk(result.coordinates_umap, ax=axes[1], color=col, title="hyperbolic UMAP", point_size=5)
    if ax is None:
        b = axes[-1]
        names = [m["label"] for m in result.methods]
        y = np.arange(len(names))
        maps = [m["map_sala"] if m["map_sala"] is not None else np.nan for m in result.methods]
        dist = [m["distortion_mean"] if m["distortion_mean"] is not None else np.nan for m in result.methods]
        b.barh(y - 0.2, maps, height=0.4, color=BLUE, label="MAP (Sala), higher is better")
        b.barh(y + 0.2, dist, height=0.4, color=ORANGE, label="mean distortion, lower is better")
        b.set_yticks(y)
        b.set_yticklabels([plain(f"{m['label']}\n{m['space']}") for m in result.methods], fontsize=8)
        b.invert_yaxis()
        b.set_xlim(0, max(1.0, np.nanmax(dist) * 1.05 if np.isfinite(dist).any() else 1.0))
        b.legend(fontsize=7, loc="lower right")
        b.set_title("ball vs flat at the same dimension", fontsize=10)
    return fig


def plot_poincare_embedding(result, *, ax=None, hierarchy=None, max_labels: int = 20):
    """A trained :class:`~embgeo.hyperbolic.poincare.PoincareEmbedding` on the Poincaré disk,
    with the hierarchy's (transitively reduced) edges when ``hierarchy`` is given; more than
    two dimensions are projected as :func:`plot_disk` says in its title."""
    edges = _reduced_edges(hierarchy) if hierarchy is not None else None
    labels = hierarchy.ids if hierarchy is not None else None
    n, d = result.coordinates.shape
    fig, _ = plot_disk(result.coordinates, edges=edges, labels=labels, ax=ax, max_labels=max_labels,
                       title=f"Poincaré embedding, {n} nodes in {d} dims", point_size=6)
    return fig
