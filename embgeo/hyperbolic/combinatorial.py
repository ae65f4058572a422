"""The combinatorial construction of a tree in the Poincaré ball (Sarkar 2011, Sala et al. 2018):
the public face.

- :func:`combinatorial_embedding` — embed a tree (or a graph's BFS spanning tree) and keep
  its exact distance rows (:class:`TreeEmbedding`);
- :func:`embed_hierarchy` — embed a :class:`~embgeo.hyperbolic.graphs.Hierarchy` and score it
  against itself: MAP (Sala et al.) and distortion (:class:`CombinatorialResult`).

How the construction works, and its three engines (``frames``, ``mpmath``, ``float64``), is
described in :mod:`embgeo.hyperbolic.construction`; the rooted tree is
:mod:`embgeo.hyperbolic.trees`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError, param, setting
from embgeo.hyperbolic.construction import (
    FLOAT64_BITS, GUARD_BITS, Numbers, bits_needed, build_frames, embedding_scale, frames_rows, reference_coordinates, reference_rows,
)
from embgeo.hyperbolic.trees import RootedTree, rooted_tree
from embgeo.results import Result, Verdict


@dataclass(frozen=True, slots=True)
class TreeEmbedding(Result):
    """The combinatorial construction of a tree; ``distances(rows)`` gives exact distance rows.

    Attributes: ``n_nodes``, ``dim``, ``eps``, ``tau`` (scale: one tree edge ↦ τ
    hyperbolic units), ``root``, ``max_degree``, ``height`` (tree depth from the root),
    ``max_radius`` (largest hyperbolic distance from the origin), ``bits_needed``,
    ``engine`` (``frames``, ``mpmath`` or ``float64``), ``precision_bits`` (mpmath
    bits, 53 for float64, ``None`` for frames — exact at float64 relative accuracy),
    ``float64_enough``, ``n_on_boundary`` (points whose float64 coordinates have
    ``‖x‖ ≥ 1``), ``is_tree`` / ``n_graph_edges`` / ``n_tree_edges``.
    ``coordinates`` (n, dim) are float64 Poincaré coordinates (rounded: exact only when
    ``float64_enough``); ``coordinates_text`` holds the full-precision mpmath
    coordinates as strings when the mpmath engine ran.
    """

    n_nodes: int
    dim: int
    eps: float
    tau: float
    root: int
    max_degree: int
    height: int
    max_radius: float
    bits_needed: int
    engine: str
    precision_bits: int | None
    float64_enough: bool
    n_on_boundary: int
    is_tree: bool
    n_graph_edges: int
    n_tree_edges: int
    coordinates: np.ndarray = field(repr=False)
    coordinates_text: tuple | None = field(default=None, repr=False)
    _tree: RootedTree | None = field(default=None, repr=False)
    _state: object = field(default=None, repr=False)

    def distances(self, rows=None) -> np.ndarray:
        """Hyperbolic distances (len(rows), n_nodes) from the given node indices to every node,
        computed by this embedding's engine in its own precision (float64 results)."""
        rows = np.arange(self.n_nodes) if rows is None else np.atleast_1d(np.asarray(rows, dtype=np.int64))
        if self.engine == "frames":
            return frames_rows(self._tree, self._state, rows)
        num, T = self._state
        return reference_rows(num, T, rows)

    def to_dict(self) -> dict:
        skip = {"coordinates", "coordinates_text", "_tree", "_state"}
        from embgeo.results import jsonable

        return {k: jsonable(getattr(self, k)) for k in self.__dataclass_fields__ if k not in skip}


def combinatorial_embedding(
    edges,
    n_nodes: int | None = None,
    *,
    dim: int = 2,
    eps: float = 0.1,
    tau: float | None = None,
    precision: int | str = "auto",
    weights=None,
    root: int | None = None,
) -> TreeEmbedding:
    """Embed a tree (or a graph's BFS spanning tree) in the Poincaré ball by Sarkar's construction.

    Parameters
    ----------
    edges : (m, 2) integer node indices of an undirected graph; a tree gives the
        construction's guarantee, any other connected graph is replaced by its BFS tree.
    n_nodes : number of nodes (default ``edges.max() + 1``).
    dim : dimension of the ball (2 = the Poincaré disk).
    eps : distortion target ε (default 0.1): the scale is ``τ = (1+ε)/ε · v`` (see
        :func:`embedding_scale`); ignored when ``tau`` is given.
    precision : ``"auto"`` (float64 when :func:`bits_needed` ≤ 53, otherwise the exact
        ``frames`` engine), ``"frames"``, or an integer number of bits: 53 runs the
        reference algorithm in float64, more runs it in mpmath at that many bits.
    weights : optional positive edge weights (edge ``i`` has length ``τ·weights[i]``).
    root : root node (default: first node of maximum degree, as the reference code).

    Returns
    -------
    TreeEmbedding : scale, depth, bits needed, engine, coordinates, and
    ``distances(rows)`` for evaluation in the same precision.

    Reference: Sala, De Sa, Gu & Ré (2018), *Representation Tradeoffs for Hyperbolic
    Embeddings*, ICML; Sarkar (2011), *Low distortion Delaunay embedding of trees in
    hyperbolic plane*.
    """
    if not isinstance(dim, (int, np.integer)) or dim < 2:
        raise EmbgeoError(f"dim must be an integer ≥ 2; got {dim!r}")
    dim = int(dim)
    tree = rooted_tree(edges, n_nodes, weights=weights, root=root)
    if tau is None:
        tau = embedding_scale(eps, tree.max_degree, min_weight=float(tree.length[tree.parent >= 0].min()) if tree.n > 1 else 1.0)
    elif not (tau > 0 and math.isfinite(tau)):
        raise EmbgeoError(f"tau must be a positive number; got {tau!r}")
    tau = float(tau)
    fr = build_frames(tree, tau, dim)
    max_radius = float(np.nanmax(fr.Rn[:, 0])) if tree.n > 1 else 0.0
    need = bits_needed(max_radius)
    enough = need <= FLOAT64_BITS
    if precision == "auto":
        engine, bits = ("float64", FLOAT64_BITS) if enough else ("frames", None)
    elif precision == "frames":
        engine, bits = "frames", None
    else:
        try:
            bits = int(precision)
        except (TypeError, ValueError):
            raise EmbgeoError(f"precision must be 'auto', 'frames' or a number of bits; got {precision!r}") from None
        if bits < 24:
            raise EmbgeoError(f"precision must be at least 24 bits; got {bits}")
        engine = "float64" if bits <= FLOAT64_BITS else "mpmath"
        bits = FLOAT64_BITS if engine == "float64" else bits
    text = None
    if engine == "frames":
        X = np.tanh(fr.Rn[:, 0] / 2.0)[:, None] * fr.En[:, 0]
        state = fr
    else:
        num = Numbers(None if engine == "float64" else bits)
        T = reference_coordinates(tree, tau, dim, num)
        X = np.array([[float(z) for z in x] for x in T], dtype=np.float64)
        if engine == "mpmath":
            text = tuple(tuple(num.ctx.nstr(z, max(17, int(bits * 0.30103) + 1)) for z in x) for x in T)
        state = (num, T)
    on_boundary = int(np.count_nonzero(~(np.einsum("ij,ij->i", X, X) < 1.0)))
    return TreeEmbedding(
        n_nodes=tree.n, dim=dim, eps=float(eps), tau=tau, root=tree.root, max_degree=tree.max_degree, height=tree.height,
        max_radius=max_radius, bits_needed=need, engine=engine, precision_bits=bits, float64_enough=enough,
        n_on_boundary=on_boundary, is_tree=tree.is_tree, n_graph_edges=tree.n_graph_edges, n_tree_edges=tree.n - 1,
        coordinates=X, coordinates_text=text, _tree=tree, _state=state,
    )


# --------------------------------------------------------------------------- embed and score a hierarchy


@dataclass(frozen=True, slots=True)
class CombinatorialResult(Result):
    """The construction of a hierarchy's (spanning) tree and how well it reproduces the graph.

    ``map_sala`` is MAP with the Sala et al. definition (positives = graph neighbours in the
    original graph; the id ``map`` is only ever the Nickel–Kiela MAP of ``hyperbolic
    train/eval``), ``distortion_mean`` / ``distortion_worst`` use graph distances of the
    original graph and the construction's own scale ``τ`` (``d_emb/τ`` against ``d_G``).
    When ``sala_queries < n_nodes`` the MAP is estimated from that many random query rows
    (``map_sala_stderr`` is its standard error); likewise distortion from ``distortion_sources``
    random source nodes × all nodes. Every distance comes from the embedding's own engine
    (``engine``), i.e. in the precision the coordinates were built in.
    """

    embedding: TreeEmbedding = field(repr=False)
    ids: np.ndarray = field(repr=False)
    map_sala: float
    map_sala_stderr: float | None
    sala_queries: int
    distortion_mean: float | None
    distortion_worst: float | None
    distortion_sources: int
    seconds_embed: float
    seconds_eval: float
    notes: tuple = ()

    def to_dict(self) -> dict:
        from embgeo.results import jsonable

        d = self.embedding.to_dict()
        d.update(
            map_sala=self.map_sala, map_sala_stderr=self.map_sala_stderr, sala_queries=self.sala_queries,
            distortion_mean=self.distortion_mean, distortion_worst=self.distortion_worst,
            distortion_sources=self.distortion_sources, seconds_embed=self.seconds_embed,
            seconds_eval=self.seconds_eval, notes=list(self.notes), n_rows=self.embedding.n_nodes, n_dims=self.embedding.dim,
        )
        if self.ids is not None and 0 <= self.embedding.root < len(self.ids):  # the root by name: its index depends on the file's line order
            d["root_id"] = str(self.ids[self.embedding.root])
        if self.map_sala_stderr is not None:
            lo, hi = self._map_interval()
            d.update(map_sala_ci_low=lo, map_sala_ci_high=hi)
        return jsonable(d)

    def _map_interval(self):
        if self.map_sala_stderr is None:
            return None, None
        return max(0.0, self.map_sala - 1.96 * self.map_sala_stderr), min(1.0, self.map_sala + 1.96 * self.map_sala_stderr)

    def metrics(self):
        from embgeo.hyperbolic.verdicts import distortion_status, map_status
        from embgeo.results import Metric

        v = self.verdict()
        e = self.embedding
        lo, hi = self._map_interval()
        st = lambda key, own: v.status if v.decided_by == key else own  # noqa: E731
        out = [Metric("map_sala", self.map_sala, lo, hi, status=st("map_sala", map_status(self.map_sala)))]
        if self.distortion_mean is not None:
            out.append(Metric("distortion_mean", self.distortion_mean, status=st("distortion_mean", distortion_status(self.distortion_mean))))
        if self.distortion_worst is not None:
            out.append(Metric("distortion_worst", self.distortion_worst))
        out += [Metric("tau", e.tau), Metric("max_radius", e.max_radius), Metric("bits_needed", e.bits_needed, unit="bits", status=st("bits_needed", "")),
                Metric("n_on_boundary", e.n_on_boundary, unit="nodes")]
        return out

    def verdict(self):
        """Too few bits make the scores wrong (bad, decided by ``bits_needed``); otherwise the
        tree rule on MAP and mean distortion (:func:`embgeo.hyperbolic.verdicts.tree_verdict`)."""
        from embgeo.hyperbolic.verdicts import tree_verdict

        e = self.embedding
        short = (e.engine == "float64" and not e.float64_enough) or (e.engine == "mpmath" and (e.precision_bits or 0) < e.bits_needed)
        if short:
            return Verdict("bad", f"the tree needs {e.bits_needed} bits but ran with {e.precision_bits}: points collapse onto the boundary and MAP/distortion are wrong",
                           f"use {setting('precision', 'auto')} (the exact frames engine)", "bits_needed")
        return tree_verdict(self.map_sala, self.distortion_mean, map_id="map_sala", what="the construction",
                            fix=f"a smaller {param('eps')} (larger scale τ) or a higher {param('dim')}; a graph that is not a tree loses its non-tree edges")

    def table(self):
        d = self.to_dict()
        keys = [
            ("map_sala", "MAP (Sala et al.: graph neighbours)"), ("map_sala_stderr", "MAP standard error (sampled rows)"),
            ("sala_queries", "query rows"), ("distortion_mean", "mean distortion (scale τ)"),
            ("distortion_worst", "worst-case distortion"), ("distortion_sources", "distortion source rows"),
            ("n_nodes", "nodes"), ("dim", "dimension"), ("eps", "ε (distortion target)"), ("tau", "τ (scale)"),
            ("root", "root node (index)"), ("max_degree", "max degree"), ("height", "tree height"),
            ("max_radius", "max hyperbolic radius"), ("bits_needed", "bits needed"), ("engine", "engine"),
            ("precision_bits", "precision (bits; none = exact frames)"), ("float64_enough", "float64 enough"),
            ("n_on_boundary", "float64 coordinates on the boundary"), ("is_tree", "input is a tree"),
            ("seconds_embed", "seconds (construction)"), ("seconds_eval", "seconds (evaluation)"),
        ]
        from embgeo.hyperbolic.display import shown

        d.update(distortion_mean=shown(self.distortion_mean), distortion_worst=shown(self.distortion_worst))
        return ["metric", "value"], [[label, d[k]] for k, label in keys if k in d]


def embed_hierarchy(
    h,
    *,
    dim: int = 2,
    eps: float = 0.1,
    tau: float | None = None,
    precision: int | str = "auto",
    root: int | None = None,
    weighted: bool = False,
    max_queries: int | None = None,
    distortion_sources: int | None = None,
    seed=0,
) -> CombinatorialResult:
    """Embed ``h`` (an :class:`embgeo.hyperbolic.graphs.Hierarchy`) by the combinatorial
    construction and score it against ``h`` itself.

    ``weighted`` uses the file's edge weights as edge lengths (default: every edge has
    length 1, as the MAP of Sala et al. is defined on the unweighted graph).
    ``max_queries`` / ``distortion_sources`` sample query rows for MAP and source rows for
    distortion (seeded); ``None`` uses every node. MAP and distortion come from
    :mod:`embgeo.hyperbolic.evaluate` with the embedding's exact distance rows.
    """
    import time

    from embgeo.hyperbolic.evaluate import distortion as _distortion
    from embgeo.hyperbolic.evaluate import mean_average_precision
    from embgeo.hyperbolic.graphs import iter_graph_distances
    from embgeo.validation import as_rng

    from embgeo.hyperbolic.evaluate import require_hierarchy

    h = require_hierarchy(h)  # an edge list or an array: a one-line error saying how to build a Hierarchy
    t0 = time.perf_counter()
    w = h.weights if (weighted and h.weights is not None) else None
    emb = combinatorial_embedding(h.edges, h.n_nodes, dim=dim, eps=eps, tau=tau, precision=precision, weights=w, root=root)
    t1 = time.perf_counter()
    n = emb.n_nodes
    rng = as_rng(seed)
    notes = []
    if not emb.is_tree:
        notes.append(f"the graph is not a tree ({emb.n_graph_edges} edges for {n} nodes): its BFS spanning tree was embedded and scored against the original graph")
    if not emb.float64_enough:
        if emb.engine == "float64":
            notes.append(f"the tree needs {emb.bits_needed} bits but ran in float64: {emb.n_on_boundary} points sit on the boundary and the scores are wrong — use {setting('precision', 'auto')}")
        elif emb.engine == "mpmath" and emb.precision_bits is not None and emb.precision_bits < emb.bits_needed:
            notes.append(f"the tree needs {emb.bits_needed} bits but ran with {emb.precision_bits}: points collapse onto the boundary and "
                         f"the scores are wrong — use {setting('precision', 'auto')}")
        else:
            notes.append(f"the tree needs {emb.bits_needed} bits; float64 coordinates would put {emb.n_on_boundary} points on the boundary — distances come from the {emb.engine} engine")
    nbrs = h.neighbours
    if max_queries is not None and max_queries < n:
        rows = np.sort(rng.choice(n, size=int(max_queries), replace=False))
    else:
        rows = None
    res = mean_average_precision(emb.distances, nbrs, rows=rows)
    stderr = None
    if rows is not None:
        stderr = float(np.std(res.ap, ddof=1) / np.sqrt(res.ap.size)) if res.ap.size > 1 else None
        notes.append(f"MAP from {res.n_queries} random query rows of {n} (seed {seed})")
    if distortion_sources is not None and distortion_sources < n:
        src = np.sort(rng.choice(n, size=int(distortion_sources), replace=False))
        notes.append(f"distortion from {src.size} random source rows × all {n} nodes (seed {seed})")
    else:
        src = np.arange(n)
    total, count, xmax, xmin, shared, far = 0.0, 0, 0.0, np.inf, 0, 0
    block = max(1, 4_000_000 // max(n, 1))
    for idx, dg in iter_graph_distances(h, sources=src, weighted=weighted, block=block):
        de = emb.distances(idx)
        ok = np.isfinite(dg) & (dg > 0)
        if not ok.any():
            continue
        avg, _, _ = _distortion(de[ok], dg[ok], scale=emb.tau)
        total += avg * int(ok.sum())
        count += int(ok.sum())
        x = de[ok] / dg[ok]
        xmax, xmin = max(xmax, float(x.max())), min(xmin, float(x.min()))
        shared, far = shared + int(np.count_nonzero(x == 0)), far + int(np.count_nonzero(np.isinf(x)))
    t2 = time.perf_counter()
    mean = total / count if count else None
    worst = (xmax / xmin if xmin > 0 else float("inf")) if count else None
    why = "; ".join(w for w in (f"{far} (ordered) pairs are infinitely far apart (float64 points on the boundary)" if far else "",
                                f"{shared} (ordered) pairs at positive graph distance share a point" if shared else "") if w)
    from embgeo.hyperbolic.display import infinite_note

    note = infinite_note(why or "the distances overflow", mean=mean, worst=worst)
    if note:
        notes.append(note)
    return CombinatorialResult(
        embedding=emb, ids=np.asarray(h.ids), map_sala=float(res.map), map_sala_stderr=stderr, sala_queries=int(res.n_queries),
        distortion_mean=mean, distortion_worst=worst,
        distortion_sources=int(src.size), seconds_embed=t1 - t0, seconds_eval=t2 - t1, notes=tuple(notes),
    )


__all__ = [
    "CombinatorialResult", "TreeEmbedding", "combinatorial_embedding", "embed_hierarchy",
    "FLOAT64_BITS", "GUARD_BITS", "RootedTree", "bits_needed", "embedding_scale", "rooted_tree",
]

from embgeo._callable import make_callable  # noqa: E402

make_callable(__name__, "embed_hierarchy")
