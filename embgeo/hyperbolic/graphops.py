"""Graph algorithms on a :class:`~embgeo.hyperbolic.graphs.Hierarchy`: structure checks,
directed cycles, transitive closure and reduction, shortest-path distances.

Public API (split out of :mod:`embgeo.hyperbolic.graphs`, where callers still import the first six
from; ``is_dag``, ``is_closed`` and ``orientation_note`` are new public names):

    check_hierarchy(h) -> HierarchyReport (self-loops, duplicates, components, directed cycles, tree?)
    transitive_closure(h) -> Hierarchy        transitive_reduction(h) -> Hierarchy
    graph_distances(h, *, sources=None, weighted=True, block=256) -> (len(sources) or n, n) float64
    iter_graph_distances(h, *, sources=None, weighted=True, block=256) -> yields (sources_block, D_block)
    find_cycle(edges, n) -> node indices of one directed cycle
    is_dag(edges, n) -> bool                  is_closed(h) -> bool (the edge set is transitively closed)
    orientation_note(h) -> str | None         the header decided the orientation against the auto rule

This module does not import :mod:`~embgeo.hyperbolic.graphs` (which builds hierarchies and
imports these): it works on any object with the ``Hierarchy`` fields.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from embgeo.errors import EmbgeoError, either
from embgeo.results import Result

if TYPE_CHECKING:
    from embgeo.hyperbolic.graphs import Hierarchy

__all__ = [
    "HierarchyReport",
    "check_hierarchy",
    "transitive_closure",
    "transitive_reduction",
    "graph_distances",
    "iter_graph_distances",
    "find_cycle",
    "is_dag",
    "is_closed",
    "orientation_note",
]


@dataclass(frozen=True, slots=True)
class HierarchyReport(Result):
    """Structure of a hierarchy: what :func:`check_hierarchy` found, and what it means."""

    n_nodes: int
    n_edges: int
    directed: bool
    self_loops: int
    duplicate_edges: int
    components: int
    is_dag: bool
    cycle: list = field(default_factory=list)  # node ids of one directed cycle, if any
    is_tree: bool = False  # undirected: connected and n_edges == n_nodes − 1
    cyclomatic_number: int = 0  # undirected edges − nodes + components (0 for a forest)
    roots: int = 0  # directed: nodes without a parent
    leaves: int = 0  # directed: nodes without a child
    messages: list = field(default_factory=list)


# --------------------------------------------------------------------------- cycles
def _csr(edges: np.ndarray, n: int):
    import scipy.sparse as sp

    return sp.csr_matrix((np.ones(edges.shape[0], dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n))


def is_dag(edges: np.ndarray, n: int) -> bool:
    """Whether the directed edges (index pairs) have no directed cycle."""
    from scipy.sparse.csgraph import connected_components

    if edges.shape[0] == 0:
        return True
    ncomp, _ = connected_components(_csr(edges, n), directed=True, connection="strong")
    return ncomp == n


def find_cycle(edges: np.ndarray, n: int) -> list[int]:
    """Indices of the nodes of one directed cycle (first node repeated at the end), or ``[]``."""
    from scipy.sparse.csgraph import connected_components

    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    loops = edges[edges[:, 0] == edges[:, 1]]
    if loops.size:
        return [int(loops[0, 0]), int(loops[0, 0])]
    ncomp, labels = connected_components(_csr(edges, n), directed=True, connection="strong")
    if ncomp == n:
        return []
    big = np.bincount(labels).argmax()
    members = set(np.flatnonzero(labels == big).tolist())
    a = _csr(edges, n)
    start = min(members)
    # walk inside the strong component until a node repeats: that closes a cycle
    path, seen, node = [], {}, start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        nxt = [int(x) for x in a.indices[a.indptr[node]:a.indptr[node + 1]] if int(x) in members]
        node = nxt[0]
    cyc = path[seen[node]:]
    return cyc + [cyc[0]]


def is_closed(h: Hierarchy) -> bool:
    """Whether the directed edge set of ``h`` is transitively closed (every ancestor listed)."""
    a = (h.adjacency(symmetric=False) > 0).astype(np.int64)
    a2 = (a @ a) > 0
    extra = a2 - a2.multiply(a > 0)
    return extra.nnz == 0


# --------------------------------------------------------------------------- structure
def orientation_note(h: Hierarchy) -> str | None:
    """The note when the file's header decided the orientation and the auto rule would have read
    the edges otherwise (``None`` when it did not, or agreed)."""
    if getattr(h, "orientation_from", "") != "header" or not getattr(h, "auto_orientation", None):
        return None
    return f"orientation {h.orientation} from the header ({','.join(h.header[:2])}); the auto rule would have read {h.auto_orientation}"


def check_hierarchy(h: Hierarchy) -> HierarchyReport:
    """Self-loops and duplicates dropped on reading, connected components, directed cycles,
    whether the graph is a tree, its cyclomatic number, roots and leaves — with a message for
    each problem."""
    from scipy.sparse.csgraph import connected_components

    n = h.n_nodes
    sym = h.neighbours
    ncomp, _ = connected_components(sym, directed=False)
    undirected_edges = int(sym.nnz // 2)
    cyclomatic = undirected_edges - n + ncomp
    messages = []
    cycle = [str(h.ids[i]) for i in h.cycle]
    dag = bool(h.directed)
    if cycle:
        messages.append(f"directed cycle {' → '.join(cycle[:8])}{' → …' if len(cycle) > 8 else ''}: read as an undirected graph (no closure, no ancestors)")
    if h.extra_roots:
        messages.append(f"read as an undirected graph: taken as a DAG it would have {h.extra_roots} more root(s) than connected parts "
                        "(a hierarchy has one root per part); give "
                        + either("orientation='child-parent' or 'parent-child'", "--orientation child-parent or parent-child") + " to read it as a DAG")
    if note := orientation_note(h):
        messages.append(note)
    roots = leaves = 0
    if h.directed:
        indeg = np.bincount(h.edges[:, 1], minlength=n)
        outdeg = np.bincount(h.edges[:, 0], minlength=n)
        roots, leaves = int((outdeg == 0).sum()), int((indeg == 0).sum())
        if roots > 1:
            messages.append(f"{roots} roots (nodes without a parent)")
    if h.self_loops:
        messages.append(f"{h.self_loops} self-loop(s) dropped")
    if h.duplicate_edges:
        messages.append(f"{h.duplicate_edges} repeated edge(s) dropped")
    if ncomp > 1:
        messages.append(f"{ncomp} disconnected parts: pairs in different parts have no graph distance and are left out of distortion")
    is_tree = ncomp == 1 and undirected_edges == n - 1
    if h.closed and h.directed:
        messages.append("the edges are a transitive closure (every ancestor listed)")
    elif not is_tree and ncomp == 1:
        messages.append(f"not a tree: {cyclomatic} independent undirected cycle(s)")
    return HierarchyReport(n_nodes=n, n_edges=h.n_edges, directed=bool(h.directed), self_loops=int(h.self_loops), duplicate_edges=int(h.duplicate_edges), components=int(ncomp), is_dag=dag, cycle=cycle, is_tree=bool(is_tree), cyclomatic_number=int(cyclomatic), roots=roots, leaves=leaves, messages=messages)


def transitive_closure(h: Hierarchy) -> Hierarchy:
    """All pairs (u, a) with ``a`` an ancestor of ``u`` (child → ancestor), without self-pairs.

    Repeated squaring of the boolean adjacency ``R ← R ∨ R·R`` until no pair is
    added (⌈log₂ depth⌉ sparse products). Requires a DAG; weights are dropped.
    """
    if not h.directed:
        raise EmbgeoError("a transitive closure needs a directed hierarchy (a tree or DAG); this graph is undirected or has a directed cycle", hint="check it with check_hierarchy(), or give the orientation explicitly")
    import scipy.sparse as sp

    n = h.n_nodes
    r = sp.csr_matrix((np.ones(h.n_edges, dtype=np.int64), (h.edges[:, 0], h.edges[:, 1])), shape=(n, n))
    while True:
        r2 = ((r + r @ r) > 0).astype(np.int64)
        r2 = sp.csr_matrix(r2)
        if r2.nnz == r.nnz:
            break
        r = r2
    r.setdiag(0)
    r.eliminate_zeros()
    coo = r.tocoo()
    edges = np.stack([coo.row, coo.col], axis=1).astype(np.int64)
    edges = edges[np.lexsort((edges[:, 1], edges[:, 0]))]
    return replace(h, edges=np.ascontiguousarray(edges), weights=None, closed=True, duplicate_edges=h.duplicate_edges)


def transitive_reduction(h: Hierarchy) -> Hierarchy:
    """The Hasse diagram of a DAG: edges (u, p) with no other path from u to p.

    ``reduction = R ∧ ¬(R⁺·R⁺)`` with ``R⁺`` the transitive closure. A closure
    CSV (the mammals file) becomes its hypernym DAG; the graph metrics of Sala
    et al. (neighbours, distortion) are computed on it.
    """
    if not h.directed:
        return h
    import scipy.sparse as sp

    n = h.n_nodes
    c = transitive_closure(h) if not h.closed else h
    r = sp.csr_matrix((np.ones(c.n_edges, dtype=np.int64), (c.edges[:, 0], c.edges[:, 1])), shape=(n, n))
    rr = (r @ r) > 0
    a = sp.csr_matrix((np.ones(h.n_edges, dtype=np.int64), (h.edges[:, 0], h.edges[:, 1])), shape=(n, n))
    keep = (a > 0).astype(np.int64) - ((a > 0).multiply(rr)).astype(np.int64)
    keep = sp.csr_matrix(keep)
    keep.eliminate_zeros()
    coo = keep.tocoo()
    edges = np.stack([coo.row, coo.col], axis=1).astype(np.int64)
    edges = edges[np.lexsort((edges[:, 1], edges[:, 0]))]
    w = None
    if h.weights is not None:
        lookup = {(int(a_), int(b_)): float(x) for (a_, b_), x in zip(h.edges, h.weights)}
        w = np.array([lookup[(int(a_), int(b_))] for a_, b_ in edges])
    return replace(h, edges=np.ascontiguousarray(edges), weights=w, closed=is_closed(replace(h, edges=edges, weights=w)))


# --------------------------------------------------------------------------- distances
def iter_graph_distances(h: Hierarchy, *, sources=None, weighted: bool = True, block: int = 256):
    """Yield ``(sources_block, D_block)`` with ``D_block`` (len(sources_block), n_nodes) float64
    shortest-path lengths in the undirected graph (``inf`` between disconnected parts).

    Unweighted graphs (or ``weighted=False``) count hops (breadth-first search);
    weighted ones use Dijkstra on the edge weights. Memory: ``block × n_nodes`` floats.
    """
    from scipy.sparse.csgraph import shortest_path

    use_w = weighted and h.weights is not None
    adj = h.adjacency(symmetric=True, weighted=use_w)
    n = h.n_nodes
    src = np.arange(n) if sources is None else np.asarray(sources, dtype=np.int64).reshape(-1)
    if src.size and (src.min() < 0 or src.max() >= n):
        raise EmbgeoError(f"sources must be node indices in 0..{n - 1}")
    block = max(1, int(block))
    for s in range(0, src.size, block):
        idx = src[s:s + block]
        d = shortest_path(adj, method="D", directed=False, unweighted=not use_w, indices=idx)
        yield idx, np.asarray(d, dtype=np.float64).reshape(idx.size, n)


def graph_distances(h: Hierarchy, *, sources=None, weighted: bool = True, block: int = 256) -> np.ndarray:
    """Shortest-path matrix (len(sources) or n_nodes, n_nodes) float64, computed blockwise over
    ``sources`` (see :func:`iter_graph_distances`)."""
    n = h.n_nodes
    src = np.arange(n) if sources is None else np.asarray(sources, dtype=np.int64).reshape(-1)
    out = np.empty((src.size, n), dtype=np.float64)
    pos = 0
    for idx, d in iter_graph_distances(h, sources=src, weighted=weighted, block=block):
        out[pos:pos + idx.size] = d
        pos += idx.size
    return out
