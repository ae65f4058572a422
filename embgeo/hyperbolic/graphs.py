"""Hierarchies and graphs as input to hyperbolic embeddings.

Public API (used by every hyperbolic module; add parameters, do not rename):

    read_hierarchy(path, *, closure=False, orientation="auto", cycles="undirected") -> Hierarchy
    hierarchy_from_edges(pairs, *, weights=None, orientation="auto", closure=False, header=None, cycles="undirected") -> Hierarchy
    refuse_cycle(h)  raise when the edges were read as an undirected graph because of a directed cycle
    Hierarchy: ids (n,) str, edges (m, 2) int64 child→parent (directed) or u–v,
               weights (m,) float64 | None, directed, closed, orientation, orientation_from;
               .n_nodes, .n_edges, .adjacency(symmetric=, weighted=), .neighbours, .ancestors
    check_hierarchy(h) -> HierarchyReport (self-loops, duplicates, components, directed cycles, tree?)
    transitive_closure(h) -> Hierarchy        transitive_reduction(h) -> Hierarchy
    graph_distances(h, *, sources=None, weighted=True, block=256) -> (len(sources) or n, n) float64
    iter_graph_distances(h, *, sources=None, weighted=True, block=256) -> yields (sources_block, D_block)

File formats read by :func:`read_hierarchy` (``u v [w]`` edge lists, CSV edge lists under an
edge-list header): :mod:`embgeo.hyperbolic.edgefiles`. A pair listed twice (``u v``, ``v u``) is
kept once if the weights agree, else refused. Structure checks, closure, reduction and graph
distances: :mod:`embgeo.hyperbolic.graphops` (their names are importable from here too).

Ids may be strings or integers; all-integer ids are ordered by value (so id
``k`` is row ``k`` when the ids are ``0..n−1``), string ids by first
appearance. Directed hierarchies are stored **child → parent**: with
``orientation="auto"`` a DAG whose sinks (out-degree 0) are fewer than its
sources (in-degree 0) is taken as listed child → parent (a closure CSV: one
root, many leaves), otherwise it is flipped (a tree listed parent → child such
as ``smalltree.edges``). A list with a directed cycle is read as an undirected
graph, and :func:`check_hierarchy` names the cycle; so is an acyclic list of
integer ids written ``u < v`` on every line (the relabelled format of
``diseasome.edges``) whose DAG reading would need more than one root in a
connected part: a hierarchy has one root per part. String-labelled lists and
closures keep the DAG reading (a taxonomy may have several top roots). An
explicit ``orientation`` reads either way. With ``cycles="error"`` (what a caller that
treats the file as a hierarchy passes: whether it is a hierarchy with a wrong edge or an
undirected graph would be a guess) a directed cycle read under ``auto`` raises instead,
naming the cycle and ``orientation="undirected"`` (:func:`refuse_cycle`).

A header that states the direction (``child,parent``, ``hyponym,hypernym``, ``parent,child`` …:
:func:`embgeo.hyperbolic.edgefiles.header_orientation`) decides it under ``orientation="auto"``,
also where the rule above would read the edges otherwise (:func:`check_hierarchy` then says so);
an explicit ``child-parent``/``parent-child`` that contradicts it raises, ``undirected`` drops the
direction. Neutral headers (``id1,id2``, ``u,v``, ``source,target`` …) leave it to the rule.
``Hierarchy.orientation_from`` records what decided: ``auto``, ``header`` or ``given``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, either, offers, param, setting
from embgeo.hyperbolic.edgefiles import EDGE_COLUMNS, header_orientation, is_edge_header, read_edge_file  # noqa: F401 (re-exported)
from embgeo.hyperbolic.graphops import (
    HierarchyReport,
    check_hierarchy,
    find_cycle,
    graph_distances,
    is_closed,
    is_dag,
    iter_graph_distances,
    transitive_closure,
    transitive_reduction,
)
from embgeo.results import Result

__all__ = [
    "Hierarchy",
    "HierarchyReport",
    "read_hierarchy",
    "hierarchy_from_edges",
    "check_hierarchy",
    "transitive_closure",
    "transitive_reduction",
    "graph_distances",
    "iter_graph_distances",
    "find_cycle",
    "refuse_cycle",
]
# EDGE_COLUMNS and is_edge_header (embgeo.hyperbolic.edgefiles) stay importable from here (the CLI imports them from here)

ORIENTATIONS = ("auto", "child-parent", "parent-child", "undirected")
#: what ``cycles`` of :func:`read_hierarchy` does with a directed cycle under ``orientation="auto"``
CYCLES = ("undirected", "error")


@dataclass(frozen=True, slots=True)
class Hierarchy(Result):
    """A hierarchy (DAG, stored child → parent) or an undirected graph.

    Attributes
    ----------
    ids : (n_nodes,) array of str — the node names.
    edges : (n_edges, 2) int64 — index pairs, child → parent when ``directed``.
    weights : (n_edges,) float64 or None — edge lengths for weighted shortest paths.
    directed : True for a hierarchy (a DAG), False for a general graph.
    closed : True when the directed edge set is transitively closed.
    orientation : how the file listed the edges (``child-parent``, ``parent-child``
        (flipped on reading), ``undirected``).
    orientation_from : what decided it: ``auto`` (the rule), ``header`` (the file's header
        names, ``header``), ``given`` (the ``orientation`` argument).
    auto_orientation : what the auto rule would have read, when the header decided otherwise.
    self_loops, duplicate_edges : how many of each were dropped on reading.
    """

    ids: np.ndarray = field(repr=False)
    edges: np.ndarray = field(repr=False)
    weights: np.ndarray | None = field(default=None, repr=False)
    directed: bool = True
    closed: bool = False
    orientation: str = "child-parent"
    source: str | None = None
    self_loops: int = 0
    duplicate_edges: int = 0
    cycle: tuple = ()  # node indices of a directed cycle found on reading (then read undirected)
    extra_roots: int = 0  # read undirected because a connected part had this many roots too many
    orientation_from: str = "given"
    auto_orientation: str | None = None
    header: tuple = ()  # the column names of the file's header line, if any

    @property
    def n_nodes(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edges.shape[0])

    def adjacency(self, *, symmetric: bool = True, weighted: bool = False):
        """scipy.sparse CSR (n_nodes, n_nodes): entry (u, v) = weight (or 1) of edge u → v.

        ``symmetric=True`` adds the reverse edges (the undirected graph).
        """
        import scipy.sparse as sp

        n = self.n_nodes
        u, v = self.edges[:, 0], self.edges[:, 1]
        w = self.weights if (weighted and self.weights is not None) else np.ones(self.n_edges)
        if symmetric:
            u, v, w = np.r_[u, v], np.r_[v, u], np.r_[w, w]
        a = sp.csr_matrix((w.astype(np.float64), (u, v)), shape=(n, n))
        if symmetric or not self.directed:
            # a pair listed both ways keeps one entry (the smaller weight)
            a = a.minimum(a.T) if weighted else (a > 0).astype(np.float64)
            a = sp.csr_matrix(a)
        a.sum_duplicates()
        a.sort_indices()
        return a

    @property
    def neighbours(self):
        """Unweighted symmetric CSR: the graph neighbours of every node."""
        return self.adjacency(symmetric=True)

    @property
    def ancestors(self):
        """Directed CSR of the edges as stored (row u: the parents of u; of a closure: its ancestors)."""
        return self.adjacency(symmetric=not self.directed)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "n_nodes": self.n_nodes,
            "n_edges": self.n_edges,
            "directed": bool(self.directed),
            "closed": bool(self.closed),
            "orientation": self.orientation,
            "orientation_from": self.orientation_from,
            "auto_orientation": self.auto_orientation,
            "weighted": self.weights is not None,
            "self_loops_dropped": int(self.self_loops),
            "duplicate_edges_dropped": int(self.duplicate_edges),
        }


# --------------------------------------------------------------------------- reading
def read_hierarchy(path: str | os.PathLike, *, closure: bool = False, orientation: str = "auto", cycles: str = "undirected") -> Hierarchy:
    """Read an edge list ``u v [w]`` or a closure CSV ``id1,id2[,weight]``.

    Parameters
    ----------
    path : the file.
    closure : build the transitive closure (a tree or DAG is required; a
        directed cycle raises and is named).
    orientation : ``auto`` (see the module docstring), ``child-parent``,
        ``parent-child`` (flipped to child → parent) or ``undirected``. A header that states
        the direction (``child,parent`` …) decides under ``auto``; one it contradicts raises.
    cycles : what a directed cycle does under ``orientation="auto"``: ``"undirected"`` (the default)
        reads the edges as an undirected graph and :func:`check_hierarchy` names the cycle;
        ``"error"`` raises, naming the cycle and ``orientation="undirected"`` (:func:`refuse_cycle`):
        for a caller that reads the file as a hierarchy, a cycle leaves open whether it is a
        hierarchy with a wrong edge or a graph.

    Self-loops and repeated edges are dropped and counted (``Hierarchy.self_loops``,
    ``Hierarchy.duplicate_edges``; one with another weight raises); :func:`check_hierarchy` says what else is wrong.
    """
    f = read_edge_file(path)
    source = str(Path(path))
    try:
        h = hierarchy_from_edges(list(zip(f.us, f.vs)), weights=f.weights, orientation=orientation, closure=closure, source=source, lines=f.lines,
                                 header=f.header, header_line=f.header_line, cycles=cycles)
    except EmbgeoError as exc:
        raise exc.with_source(source) from None
    return h


def _index_ids(us, vs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    all_ids = list(us) + list(vs)
    try:
        ints = np.array([int(x) for x in all_ids], dtype=np.int64)
        uniq, inv = np.unique(ints, return_inverse=True)
        ids = np.array([str(x) for x in uniq], dtype=str)
    except (ValueError, OverflowError):
        lookup: dict[str, int] = {}
        for a, b in zip(us, vs):  # order of first appearance, line by line
            lookup.setdefault(str(a), len(lookup))
            lookup.setdefault(str(b), len(lookup))
        ids = np.array(list(lookup), dtype=str)
        inv = np.array([lookup[str(x)] for x in all_ids], dtype=np.int64)
    m = len(us)
    return ids, inv[:m].astype(np.int64), inv[m:].astype(np.int64)


def hierarchy_from_edges(pairs, *, weights=None, ids=None, orientation: str = "auto", closure: bool = False, source: str | None = None,
                         lines=None, header=None, header_line: int | None = None, cycles: str = "undirected") -> Hierarchy:
    """Build a :class:`Hierarchy` from ``pairs`` (a list of ``(u, v)`` ids, or an (m, 2) int array of
    indices when ``ids`` is given). See :func:`read_hierarchy` for ``orientation`` and ``closure``.

    A pair given twice (either way round) with different weights raises (``lines``: each pair's file line).
    ``header``: the column names above the pairs (on file line ``header_line``); when they state the
    direction (``child,parent`` …) they decide under ``orientation="auto"`` and must agree with an
    explicit ``child-parent``/``parent-child``."""
    if orientation not in ORIENTATIONS:
        raise EmbgeoError(f"orientation must be one of {', '.join(ORIENTATIONS)}, got {orientation!r}")
    if cycles not in CYCLES:
        raise EmbgeoError(f"{param('cycles')} must be one of {', '.join(CYCLES)}, got {cycles!r}")
    header = tuple(str(x) for x in header) if header else ()
    stated = header_orientation(header) if header else None
    if stated is not None and orientation in ("child-parent", "parent-child") and orientation != stated:
        _contradiction(header, header_line, stated, orientation)
    if ids is None:
        pairs = list(pairs)
        if not pairs:
            raise EmbgeoError("no edges given")
        ids, u, v = _index_ids([a for a, _ in pairs], [b for _, b in pairs])
    else:
        ids = np.asarray(ids).astype(str)
        e = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if e.size and (e.min() < 0 or e.max() >= ids.size):
            raise EmbgeoError(f"edge indices must lie in 0..{ids.size - 1}, got {e.min()}..{e.max()}")
        u, v = e[:, 0].copy(), e[:, 1].copy()
    w = None if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if w is not None and w.shape[0] != u.shape[0]:
        raise EmbgeoError(f"{w.shape[0]} weights for {u.shape[0]} edges")
    # self-loops
    loop = u == v
    n_loops = int(loop.sum())
    if n_loops:
        u, v = u[~loop], v[~loop]
        w = None if w is None else w[~loop]
    if u.size == 0:
        raise EmbgeoError("has no edges other than self-loops")
    if w is not None:
        in_file = lines is not None and len(lines) == loop.size
        _check_repeated_weights(u, v, w, ids, (np.asarray(lines, dtype=np.int64) if in_file else np.arange(loop.size))[~loop], in_file=in_file)
    directed_try = orientation != "undirected"
    u, v, w, n_dup = _dedupe(u, v, w, directed=directed_try)
    n = ids.size
    found_cycle: tuple = ()
    multi_root = 0
    auto_read = None  # what the auto rule reads, kept when the header decided otherwise
    if orientation == "auto" and stated is None:
        orient, found_cycle, multi_root = _auto_orientation(ids, u, v, n)
        decided_by = "auto"
    else:
        orient, decided_by = (stated, "header") if orientation == "auto" else (orientation, "given")
        if decided_by == "header":
            auto_read = _auto_orientation(ids, u, v, n)[0]
            auto_read = None if auto_read == orient else auto_read
        if decided_by == "header" and not is_dag(np.stack([u, v], axis=1), n):
            # a directed cycle is no hierarchy whichever way the header points: as under the auto
            # rule, the edges are read as an undirected graph, and check_hierarchy names the cycle
            orient, decided_by, auto_read = "undirected", "auto", None
            found_cycle = tuple(find_cycle(np.stack([u, v], axis=1), n))
        if orient != "undirected" and not is_dag(np.stack([u, v], axis=1), n):
            cyc = find_cycle(np.stack([u, v], axis=1), n)
            raise EmbgeoError(f"the edges contain a directed cycle ({' → '.join(ids[cyc].tolist()[:8])}{' → …' if len(cyc) > 8 else ''}), so they are not a {orient} hierarchy and have no transitive closure", hint="remove one edge of the cycle, or read it as an undirected graph ("
                                   + either("orientation='undirected'", "orientation 'undirected'") + ")")
    directed = orient != "undirected"
    if not directed and directed_try:  # the auto rule read a graph: a pair listed both ways is one edge
        u, v, w, extra = _dedupe(u, v, w, directed=False)
        n_dup += extra
    edges = np.stack([u, v], axis=1)
    if orient == "parent-child":
        edges = edges[:, ::-1].copy()
    if not directed:
        # store undirected pairs with u < v, sorted
        edges = np.sort(edges, axis=1)
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    edges = np.ascontiguousarray(edges[order])
    w = None if w is None else w[order]
    h = Hierarchy(ids=ids, edges=edges, weights=w, directed=directed, closed=False, orientation=orient, source=source, self_loops=n_loops, duplicate_edges=n_dup, cycle=found_cycle, extra_roots=multi_root,
                  orientation_from=decided_by, auto_orientation=auto_read, header=header)
    if cycles == "error":
        refuse_cycle(h)
    if directed:
        h = replace(h, closed=is_closed(h))
    if closure:
        if not directed:
            cyc = list(found_cycle)
            what = f" ({' → '.join(ids[cyc].tolist()[:8])})" if cyc else ""
            raise EmbgeoError(f"the edges contain a directed cycle{what} or were read as undirected, so there is no transitive closure", hint="a closure needs a tree or DAG; remove the cycle or give "
                                   + either("orientation='child-parent' or 'parent-child'", "--orientation"))
        h = transitive_closure(h)
    return h


def refuse_cycle(h: Hierarchy) -> None:
    """Raise when ``h`` was read as an undirected graph because its edges hold a directed cycle
    (``orientation="auto"``: ``h.cycle``). A hierarchy has no cycle, so the file is a hierarchy with a
    wrong edge or an undirected graph, and which one decides the result (ancestors and a closure, or
    graph neighbours; a tree's frame, or a graph's BFS tree): one line naming the cycle (a few of its
    nodes) and ``orientation="undirected"`` (``--orientation undirected``, where the command offers it),
    never a silent undirected reading. Nothing happens for any other hierarchy."""
    if not h.cycle:
        return
    names = [str(x) for x in h.ids[list(h.cycle)].tolist()]
    shown = " → ".join(names[:8]) + (" → …" if len(names) > 8 else "")
    fix = "if it is a hierarchy, remove one edge of the cycle"
    if offers("orientation"):
        fix += f"; if it is an undirected graph, pass {setting('orientation', 'undirected')} to read it as one"
    else:
        fix += "; this command has no option to read it as an undirected graph"
    raise EmbgeoError(f"the edges contain a directed cycle ({shown}): a hierarchy has none, so the file is a hierarchy with a wrong edge "
                      "or an undirected graph; embgeo does not guess which", source=h.source, hint=fix)


def _contradiction(header: tuple, line: int | None, stated: str, orientation: str):
    """Refuse an explicit orientation that the header's names contradict: which one is right would be a guess."""
    arrow = {"child-parent": "child → parent", "parent-child": "parent → child"}
    names = ",".join(header[:2])
    where = f"line {line}: " if line else ""
    raise EmbgeoError(f"{where}the header {names!r} lists each edge {arrow[stated]}, but {setting('orientation', orientation)} reads it {arrow[orientation]}",
                      hint=f"leave out {param('orientation')} (the header decides); if the header is wrong, swap its names "
                           f"({','.join(header[1::-1])}) or name the columns id1,id2 so that {param('orientation')} decides")


def _auto_orientation(ids: np.ndarray, u: np.ndarray, v: np.ndarray, n: int) -> tuple[str, tuple, int]:
    """What ``orientation="auto"`` reads from the edges ``u → v`` (repeats dropped): the orientation,
    the directed cycle that made it ``undirected`` (node indices), the roots too many that did."""
    edges = np.stack([u, v], axis=1)
    if not is_dag(edges, n):
        return "undirected", tuple(find_cycle(edges, n)), 0
    indeg = np.bincount(v, minlength=n)
    outdeg = np.bincount(u, minlength=n)
    sinks = int(((outdeg == 0) & (indeg > 0)).sum())
    sources = int(((indeg == 0) & (outdeg > 0)).sum())
    orient = "parent-child" if sinks > sources else "child-parent"
    if _relabelled_graph_listing(ids, u, v):
        # integer ids with every edge written low → high (or high → low), as relabelled undirected
        # graphs are (Network Repository, Sala et al.): a DAG reading that needs more than one
        # root per connected part is that listing, not a hierarchy
        extra_roots = _extra_roots(edges[:, ::-1] if orient == "parent-child" else edges, n)
        if extra_roots:
            return "undirected", (), extra_roots
    return orient, (), 0


def _check_repeated_weights(u, v, w, ids, where, *, in_file: bool) -> None:
    """Refuse a pair (either way round) listed with two weights: which is its length would be a guess."""
    order = np.lexsort((np.arange(u.size), np.maximum(u, v), np.minimum(u, v)))  # by pair, then as listed
    a_s, b_s, w_s = np.minimum(u, v)[order], np.maximum(u, v)[order], w[order]
    new = np.r_[True, (a_s[1:] != a_s[:-1]) | (b_s[1:] != b_s[:-1])]
    head = np.maximum.accumulate(np.where(new, np.arange(order.size), 0))  # each pair's first listing
    if (clash := np.flatnonzero(w_s != w_s[head])).size:
        later = clash[np.argmin(order[clash])]  # the clash that comes first in the file
        i, j, what = int(order[head[later]]), int(order[later]), "line" if in_file else "pair"
        raise EmbgeoError(f"edge {ids[u[i]]} {ids[v[i]]} has weight {w[i]:g} on {what} {where[i]} but weight {w[j]:g} on {what} {where[j]}"
                          + (f" (listed as {ids[u[j]]} {ids[v[j]]})" if u[i] != u[j] else "") + "; embgeo does not guess which is its length",
                          hint="give each edge one weight (a repeated edge must repeat it), or delete one of the lines")


def _relabelled_graph_listing(ids: np.ndarray, u: np.ndarray, v: np.ndarray) -> bool:
    """Integer ids (indexed by value) and every edge listed in the same direction of the ids."""
    try:
        ids.astype(np.int64)
    except (ValueError, OverflowError):
        return False
    return bool((u < v).all() or (u > v).all())


def _extra_roots(edges: np.ndarray, n: int) -> int:
    """Roots (nodes without a parent, edges child → parent) beyond one per connected part."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    outdeg = np.bincount(edges[:, 0], minlength=n)
    touched = np.zeros(n, dtype=bool)
    touched[edges.ravel()] = True
    A = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    ncomp, label = connected_components(A, directed=True, connection="weak")
    roots = touched & (outdeg == 0)
    per_part = np.bincount(label[roots], minlength=ncomp)
    return int(np.maximum(per_part - 1, 0).sum())


def _dedupe(u, v, w, *, directed: bool):
    a, b = (u, v) if directed else (np.minimum(u, v), np.maximum(u, v))
    key = np.stack([a, b], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    n_dup = int(u.size - first.size)
    return u[first], v[first], (None if w is None else w[first]), n_dup


