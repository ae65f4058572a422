"""The rooted spanning tree that the combinatorial construction embeds (array form).

:func:`rooted_tree` roots an undirected graph (default: its first node of maximum degree,
as Sala et al.'s code does) and lays out BFS order, children, DFS pre-order ranges and the
ancestor table that :mod:`embgeo.hyperbolic.construction` walks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embgeo.errors import EmbgeoError

@dataclass(frozen=True)
class RootedTree:
    """A rooted spanning tree in array form (built by :func:`rooted_tree`).

    ``parent[root] == -1``; ``order`` is BFS order from the root; children of each
    node are ``child_idx[child_ptr[v]:child_ptr[v+1]]`` in neighbour order; ``tin`` /
    ``tout`` give each subtree as the contiguous range ``[tin, tout)`` of the DFS
    preorder ``pre`` (``pre[tin[v]] == v``); ``length[v]`` is the weight of the edge
    ``parent(v)–v`` (1 for unweighted trees); ``anc[v, k]`` is the depth-``k`` ancestor.
    """

    n: int
    root: int
    parent: np.ndarray
    depth: np.ndarray
    order: np.ndarray
    child_ptr: np.ndarray
    child_idx: np.ndarray
    length: np.ndarray
    tin: np.ndarray
    tout: np.ndarray
    pre: np.ndarray
    anc: np.ndarray
    max_degree: int
    n_graph_edges: int
    is_tree: bool

    @property
    def height(self) -> int:
        return int(self.depth.max())

    def n_children(self) -> np.ndarray:
        return np.diff(self.child_ptr)


def rooted_tree(edges, n_nodes: int | None = None, *, weights=None, root: int | None = None) -> RootedTree:
    """BFS spanning tree of the undirected graph given by ``edges`` (m, 2).

    ``root`` defaults to the first node of maximum degree in the graph (as Sala et
    al.'s code). Edge weights (optional, positive) become edge lengths in units of τ;
    parallel edges keep the smallest weight. A disconnected graph raises.
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    e = np.asarray(edges)
    if e.ndim != 2 or e.shape[1] != 2 or e.shape[0] == 0:
        raise EmbgeoError(f"edges must be an (m, 2) array of node indices with m ≥ 1; got shape {e.shape}")
    if e.dtype.kind not in "iu":
        raise EmbgeoError(f"edges must hold integer node indices; got dtype {e.dtype}", hint="read the file with embgeo.hyperbolic.graphs.read_hierarchy")
    e = e.astype(np.int64)
    n = int(e.max()) + 1 if n_nodes is None else int(n_nodes)
    if e.min() < 0 or e.max() >= n:
        raise EmbgeoError(f"edge endpoints must lie in [0, {n}); got {e.min()}..{e.max()}")
    if weights is None:
        w = np.ones(e.shape[0])
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.shape[0] != e.shape[0]:
            raise EmbgeoError(f"weights has {w.shape[0]} entries for {e.shape[0]} edges")
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            bad = int(np.flatnonzero(~(np.isfinite(w) & (w > 0)))[0])
            raise EmbgeoError(f"edge weights must be finite and positive; edge {bad} has weight {w[bad]!r}")
    loops = e[:, 0] == e[:, 1]
    if loops.any():
        e, w = e[~loops], w[~loops]
    # undirected simple graph; duplicate edges keep the smallest weight
    a, b = np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])
    key = a * n + b
    o = np.lexsort((w, key))
    key, a, b, w = key[o], a[o], b[o], w[o]
    first = np.r_[True, key[1:] != key[:-1]]
    a, b, w = a[first], b[first], w[first]
    m = a.size
    adj = sp.csr_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    adj.sort_indices()
    deg = np.diff(adj.indptr)
    n_comp, labels = connected_components(adj, directed=False)
    if n_comp > 1:
        sizes = np.bincount(labels)
        raise EmbgeoError(
            f"the graph has {n_comp} connected components (largest {sizes.max()} of {n} nodes); the construction embeds one connected tree",
            hint="embed each component separately or connect them under a new root",
        )
    if root is None:
        root = int(np.argmax(deg))  # first node of maximum degree
    elif not 0 <= int(root) < n:
        raise EmbgeoError(f"root must be a node index in [0, {n}); got {root}")
    root = int(root)
    order, pred = breadth_first_order(adj, root, directed=False, return_predecessors=True)
    parent = pred.astype(np.int64)
    parent[root] = -1
    depth = np.zeros(n, dtype=np.int64)
    for v in order[1:]:  # BFS order: parents come first
        depth[v] = depth[parent[v]] + 1
    # children in neighbour order (CSR is sorted), i.e. in BFS discovery order
    is_child = np.zeros(n, dtype=bool)
    is_child[order[1:]] = True
    kids = order[1:]
    # sort children by (parent, position in parent's neighbour list) == BFS order is already grouped
    o = np.argsort(parent[kids], kind="stable")
    child_idx = kids[o]
    counts = np.bincount(parent[kids], minlength=n)
    child_ptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
    # edge lengths from the adjacency weights
    length = np.zeros(n)
    pk = parent[kids]
    length[kids] = np.asarray(adj[pk, kids]).reshape(-1)
    # subtree sizes and DFS preorder ranges
    size = np.ones(n, dtype=np.int64)
    for v in order[::-1][:-1]:
        size[parent[v]] += size[v]
    tin = np.zeros(n, dtype=np.int64)
    for v in order:
        s, t = child_ptr[v], child_ptr[v + 1]
        if t > s:
            ch = child_idx[s:t]
            tin[ch] = tin[v] + 1 + np.r_[0, np.cumsum(size[ch])[:-1]]
    tout = tin + size
    pre = np.empty(n, dtype=np.int64)
    pre[tin] = np.arange(n)
    height = int(depth.max())
    anc = np.full((n, height + 1), -1, dtype=np.int64)
    cur = np.arange(n)
    for step in range(height + 1):
        k = depth - step
        ok = k >= 0
        anc[np.flatnonzero(ok), k[ok]] = cur[ok]
        cur = np.where(parent[cur] >= 0, parent[cur], cur)
    return RootedTree(
        n=n, root=root, parent=parent, depth=depth, order=order.astype(np.int64), child_ptr=child_ptr, child_idx=child_idx,
        length=length, tin=tin, tout=tout, pre=pre, anc=anc, max_degree=int(deg.max()), n_graph_edges=int(m), is_tree=(m == n - 1),
    )



__all__ = ["RootedTree", "rooted_tree"]
