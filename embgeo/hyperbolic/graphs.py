"""Hierarchies and graphs as input to hyperbolic embeddings.

Public API (used by every hyperbolic module; add parameters, do not rename):

    read_hierarchy(path, *, closure=False, orientation="auto") -> Hierarchy
    hierarchy_from_edges(pairs, *, weights=None, orientation="auto", closure=False) -> Hierarchy
    Hierarchy: ids (n,) str, edges (m, 2) int64 child→parent (directed) or u–v,
               weights (m,) float64 | None, directed, closed, orientation;
               .n_nodes, .n_edges, .adjacency(symmetric=, weighted=), .neighbours, .ancestors
    check_hierarchy(h) -> HierarchyReport (self-loops, duplicates, components, directed cycles, tree?)
    transitive_closure(h) -> Hierarchy        transitive_reduction(h) -> Hierarchy
    graph_distances(h, *, sources=None, weighted=True, block=256) -> (len(sources) or n, n) float64
    iter_graph_distances(h, *, sources=None, weighted=True, block=256) -> yields (sources_block, D_block)

File formats read by :func:`read_hierarchy`:

- **edge lists** ``u v [w]`` separated by whitespace (or commas), one edge per
  line; ``#`` and ``%`` start comments (Network Repository ``.edges`` files);
- **CSV edge lists** ``id1,id2[,weight]`` (``mammal_closure.csv``: each row hyponym → ancestor).
  Line 1 of a ``.csv`` is an edge-list header (:func:`is_edge_header`: ``id1,id2``, ``u,v``,
  ``source,target`` … of :data:`EDGE_COLUMNS`, any case) or evidently data (two integer ids,
  or a numeric weight); a first line that may be either (``a,b``) is refused. In other files a
  first line of edge-column names is skipped; one of other names over integer ids is refused.
  A pair listed twice (``u v``, ``v u``) is kept once if the weights agree, else refused.

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
explicit ``orientation`` reads either way.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError
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
]

ORIENTATIONS = ("auto", "child-parent", "parent-child", "undirected")
#: the column pairs that make a first line an edge-list header (compared in lower case)
EDGE_COLUMNS = (("id1", "id2"), ("u", "v"), ("source", "target"), ("src", "dst"), ("child", "parent"), ("parent", "child"),
                ("from", "to"), ("node1", "node2"))
_HEADER_WORDS = {"id1", "id2", "u", "v", "source", "target", "src", "dst", "child", "parent", "from", "to", "node1", "node2", "weight", "w"}


def is_edge_header(fields) -> bool:
    """Whether ``fields`` (line 1, split) is an edge-list header: the first two names one of
    :data:`EDGE_COLUMNS` (any case), and at most a third, the weight column's (not a number)."""
    f = [str(x).strip().lstrip("\ufeff").strip("\"") for x in fields]
    return len(f) in (2, 3) and (f[0].lower(), f[1].lower()) in EDGE_COLUMNS and (len(f) == 2 or bool(f[2]) and not _is_float(f[2]))


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
            "weighted": self.weights is not None,
            "self_loops_dropped": int(self.self_loops),
            "duplicate_edges_dropped": int(self.duplicate_edges),
        }


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


# --------------------------------------------------------------------------- reading
def _parse_lines(path: Path) -> tuple[list[str], list[str], list[str] | None, list[int]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise EmbgeoError("is not a UTF-8 text file", source=str(path), hint="give an edge list 'u v [w]' or a CSV 'id1,id2[,weight]'") from None
    is_csv = path.suffix.lower() == ".csv"
    us, vs, ws, lines = [], [], [], []
    has_w = None
    first = None  # (line number, text) of line 1 when it is not a header; False after a header
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#%":
            continue
        parts = [p.strip() for p in line.split(",")] if (is_csv or "," in line) else line.split()
        if first is None:
            if is_edge_header(parts) or (not is_csv and len(parts) >= 2 and {p.lower() for p in parts[:2]} <= _HEADER_WORDS):
                first = False
                continue  # a header row
            first = (lineno, line)
            if is_csv and len(parts) in (2, 3) and parts[0] and parts[1] and not (_is_float(parts[0], int) and _is_float(parts[1], int) or len(parts) == 3 and _is_float(parts[2])):
                raise EmbgeoError(f"line {lineno} ({line[:60]!r}) is a header or an edge? a CSV edge list names its columns on line 1 (id1,id2[,weight]); embgeo does not guess",
                                  source=str(path), hint="start the file with the header line id1,id2 or id1,id2,weight, or name it .edges (read without a header)")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise EmbgeoError(f"line {lineno} has {len(parts)} field(s) ({line[:60]!r}); expected 'u v [weight]'", source=str(path), hint="one edge per line: two node ids and an optional weight")
        if len(parts) > 3:
            raise EmbgeoError(f"line {lineno} has {len(parts)} fields ({line[:60]!r}); expected 'u v [weight]'", source=str(path))
        this_w = len(parts) == 3
        if has_w is None:
            has_w = this_w
        elif has_w != this_w:
            raise EmbgeoError(f"line {lineno} has {len(parts)} fields but earlier lines have {3 if has_w else 2}", source=str(path), hint="give a weight on every line or on none")
        us.append(parts[0])
        vs.append(parts[1])
        if this_w:
            ws.append(parts[2])
        lines.append(lineno)
    if first and len(us) > 1 and not (_is_float(us[0], int) or _is_float(vs[0], int)) and all(_is_float(a, int) and _is_float(b, int) for a, b in zip(us[1:], vs[1:])):
        raise EmbgeoError(f"line {first[0]} ({first[1][:60]!r}) looks like a header, but its names are not edge-list columns, and every other line holds integer ids: "
                          "embgeo does not guess", source=str(path), hint="name the columns id1,id2[,weight] (or u,v, source,target …), or delete the line")
    return us, vs, (ws if has_w else None), lines


def read_hierarchy(path: str | os.PathLike, *, closure: bool = False, orientation: str = "auto") -> Hierarchy:
    """Read an edge list ``u v [w]`` or a closure CSV ``id1,id2[,weight]``.

    Parameters
    ----------
    path : the file.
    closure : build the transitive closure (a tree or DAG is required; a
        directed cycle raises and is named).
    orientation : ``auto`` (see the module docstring), ``child-parent``,
        ``parent-child`` (flipped to child → parent) or ``undirected``.

    Self-loops and repeated edges are dropped and counted (``Hierarchy.self_loops``,
    ``Hierarchy.duplicate_edges``; one with another weight raises); :func:`check_hierarchy` says what else is wrong.
    """
    p = Path(path)
    if not p.exists():
        raise EmbgeoError("no such file", source=str(p), hint="give an edge list 'u v [w]' or a closure CSV 'id1,id2[,weight]'")
    if p.is_dir():
        raise EmbgeoError("is a folder, not an edge list", source=str(p))
    us, vs, ws, lines = _parse_lines(p)
    if not us:
        raise EmbgeoError("has no edges", source=str(p), hint="one edge per line: 'u v [weight]'")
    weights = None
    if ws is not None:
        try:
            weights = np.array([float(w) for w in ws], dtype=np.float64)
        except ValueError:
            bad = next(i for i, w in enumerate(ws) if not _is_float(w))
            raise EmbgeoError(f"line {lines[bad]}: weight {ws[bad]!r} is not a number", source=str(p)) from None
        bad = np.flatnonzero(~np.isfinite(weights) | (weights <= 0))
        if bad.size:
            raise EmbgeoError(f"line {lines[bad[0]]}: weight {ws[bad[0]]} must be a positive finite number", source=str(p), hint="edge weights are lengths for shortest paths")
    try:
        h = hierarchy_from_edges(list(zip(us, vs)), weights=weights, orientation=orientation, closure=closure, source=str(p), lines=lines)
    except EmbgeoError as exc:
        raise exc.with_source(str(p)) from None
    return h


def _is_float(s: str, kind=float) -> bool:
    try:
        kind(s)
        return True
    except ValueError:
        return False


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
                         lines=None) -> Hierarchy:
    """Build a :class:`Hierarchy` from ``pairs`` (a list of ``(u, v)`` ids, or an (m, 2) int array of
    indices when ``ids`` is given). See :func:`read_hierarchy` for ``orientation`` and ``closure``.

    A pair given twice (either way round) with different weights raises (``lines``: each pair's file line)."""
    if orientation not in ORIENTATIONS:
        raise EmbgeoError(f"orientation must be one of {', '.join(ORIENTATIONS)}, got {orientation!r}")
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
    edges = np.stack([u, v], axis=1)
    directed, orient = True, orientation
    found_cycle: tuple = ()
    multi_root = 0
    if orientation == "undirected":
        directed = False
    else:
        if not _is_dag(edges, n):
            if orientation == "auto":
                directed, orient = False, "undirected"
                found_cycle = tuple(find_cycle(edges, n))
                u, v, w, extra = _dedupe(u, v, w, directed=False)
                n_dup += extra
                edges = np.stack([u, v], axis=1)
            else:
                cyc = find_cycle(edges, n)
                raise EmbgeoError(f"the edges contain a directed cycle ({' → '.join(ids[cyc].tolist()[:8])}{' → …' if len(cyc) > 8 else ''}), so they are not a {orientation} hierarchy and have no transitive closure", hint="remove one edge of the cycle, or read it as an undirected graph (orientation 'undirected')")
        if directed:
            if orientation == "auto":
                indeg = np.bincount(edges[:, 1], minlength=n)
                outdeg = np.bincount(edges[:, 0], minlength=n)
                sinks = int(((outdeg == 0) & (indeg > 0)).sum())
                sources = int(((indeg == 0) & (outdeg > 0)).sum())
                orient = "parent-child" if sinks > sources else "child-parent"
            if orient == "parent-child":
                edges = edges[:, ::-1].copy()
            if orientation == "auto" and _relabelled_graph_listing(ids, u, v):
                # integer ids with every edge written low → high (or high → low), as relabelled undirected
                # graphs are (Network Repository, Sala et al.): a DAG reading that needs more than one
                # root per connected part is that listing, not a hierarchy
                extra_roots = _extra_roots(edges, n)
                if extra_roots:
                    directed, orient = False, "undirected"
                    multi_root = extra_roots
                    u, v, w, extra = _dedupe(edges[:, 0], edges[:, 1], w, directed=False)
                    n_dup += extra
                    edges = np.stack([u, v], axis=1)
    if not directed:
        # store undirected pairs with u < v, sorted
        edges = np.sort(edges, axis=1)
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    edges = np.ascontiguousarray(edges[order])
    w = None if w is None else w[order]
    h = Hierarchy(ids=ids, edges=edges, weights=w, directed=directed, closed=False, orientation=orient, source=source, self_loops=n_loops, duplicate_edges=n_dup, cycle=found_cycle, extra_roots=multi_root)
    if directed:
        h = replace(h, closed=_is_closed(h))
    if closure:
        if not directed:
            cyc = list(found_cycle)
            what = f" ({' → '.join(ids[cyc].tolist()[:8])})" if cyc else ""
            raise EmbgeoError(f"the edges contain a directed cycle{what} or were read as undirected, so there is no transitive closure", hint="a closure needs a tree or DAG; remove the cycle or give --orientation")
        h = transitive_closure(h)
    return h


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


def _csr(edges: np.ndarray, n: int):
    import scipy.sparse as sp

    return sp.csr_matrix((np.ones(edges.shape[0], dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n))


def _is_dag(edges: np.ndarray, n: int) -> bool:
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


def _is_closed(h: Hierarchy) -> bool:
    a = (h.adjacency(symmetric=False) > 0).astype(np.int64)
    a2 = (a @ a) > 0
    extra = a2 - a2.multiply(a > 0)
    return extra.nnz == 0


# --------------------------------------------------------------------------- structure
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
    is_dag = bool(h.directed)
    if cycle:
        messages.append(f"directed cycle {' → '.join(cycle[:8])}{' → …' if len(cycle) > 8 else ''}: read as an undirected graph (no closure, no ancestors)")
    if h.extra_roots:
        messages.append(f"read as an undirected graph: taken as a DAG it would have {h.extra_roots} more root(s) than connected parts "
                        "(a hierarchy has one root per part); give --orientation child-parent or parent-child to read it as a DAG")
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
    return HierarchyReport(n_nodes=n, n_edges=h.n_edges, directed=bool(h.directed), self_loops=int(h.self_loops), duplicate_edges=int(h.duplicate_edges), components=int(ncomp), is_dag=is_dag, cycle=cycle, is_tree=bool(is_tree), cyclomatic_number=int(cyclomatic), roots=roots, leaves=leaves, messages=messages)


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
    return replace(h, edges=np.ascontiguousarray(edges), weights=w, closed=_is_closed(replace(h, edges=edges, weights=w)))


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
