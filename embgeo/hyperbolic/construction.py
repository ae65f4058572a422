"""The combinatorial construction of a tree in the Poincaré ball (Sarkar 2011, Sala et al. 2018).

Sarkar's construction, as used by Sala, De Sa, Gu & Ré, *Representation Tradeoffs for
Hyperbolic Embeddings* (ICML 2018), section 3:

1. Root the tree (default: the first node of maximum degree, as the reference code
   does) and place it at the origin; for a graph that is not a tree, embed its BFS
   spanning tree and score against the original graph.
2. Place each node's children on a circle (sphere) of hyperbolic radius ``τ·w`` around
   it after an isometry has moved the node to the origin, spread evenly and leaving one
   slot for the direction of its parent: in 2-D child ``k`` of ``c`` sits at angle
   ``ψ_parent + 2πk/(c+1)``; in r-D the ``c+1`` directions are a well-separated set
   (cross-polytope ``±e_i`` when ``c+1 ≤ 2r``, otherwise a repulsion-optimised set)
   rotated so that the first one points at the parent.
3. The scale ``τ`` comes from the distortion target ``ε`` and the maximum degree:
   ``β = π/(1.2·deg_max)``, ``τ = (1+ε)/ε · (−2 ln tan(β/2)) / w_min`` (the reference
   implementation's ``get_emb_par``).

Precision. A node at hyperbolic distance ``R`` from the origin has ``1 − ‖x‖ ≈ 2e^{−R}``,
so its coordinates need about ``R/ln 2`` bits (``bits_needed``). Float64 coordinates of
a deep tree sit *on* the boundary and every distance between them is garbage. Three
engines compute the same embedding:

``frames`` (the default when float64 is not enough)
    an exact float64 scheme that never forms a coordinate near the boundary: each node
    keeps its position (hyperbolic radius ``r``, unit direction ``e``) in the frame of
    *each* of its ancestors. Two nodes are compared in the frame of their lowest
    common ancestor, where their directions are an O(1) angle apart and
    ``cosh d = cosh r₁ cosh r₂ − sinh r₁ sinh r₂ cos Δ`` is evaluated in log form
    without cancellation. Distances carry float64 *relative* accuracy at any depth.
``mpmath``
    the reference algorithm (circle inversions of global coordinates) in ``bits``-bit
    arbitrary precision, with distances computed from the mpmath coordinates.
``float64``
    the same reference algorithm in float64 — only correct when ``bits_needed ≤ 53``;
    run it on a deep tree to see MAP collapse.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.results import Result

#: bits of float64's significand
FLOAT64_BITS = 53
#: extra bits kept on top of R/ln 2 (angular resolution between siblings, rounding)
GUARD_BITS = 16
_LOG4 = math.log(4.0)
_LOG2 = math.log(2.0)


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class RootedTree:
    """A rooted spanning tree in array form (internal; built by :func:`rooted_tree`).

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


# --------------------------------------------------------------------------- scale and precision


def embedding_scale(eps: float, max_degree: int, *, min_weight: float = 1.0) -> float:
    """The scale τ of the construction for distortion target ``eps`` (Sala et al. 2018).

    ``β = π/(1.2·deg_max)``, ``v = −2 ln tan(β/2)``, ``τ = (1+ε)/ε · v / w_min``, and at
    least ``ν = −2 ln tan(α/2)/w_min`` with ``α = 2π/deg_max − 2β`` (the reference
    code's ``get_emb_par``). Larger degree or smaller ε → larger τ → more bits.
    """
    if not (isinstance(eps, (int, float)) and eps > 0 and math.isfinite(eps)):
        raise EmbgeoError(f"eps must be a positive number; got {eps!r}", hint="try --eps 0.1 (10 % distortion target)")
    d = max(int(max_degree), 2)
    beta = math.pi / (1.2 * d)
    v = -2.0 * math.log(math.tan(beta / 2.0))
    alpha = 2.0 * math.pi / d - 2.0 * beta
    nu = -2.0 * math.log(math.tan(alpha / 2.0)) / min_weight
    tau = (1.0 + eps) / eps * v / min_weight
    return float(max(tau, nu))


def bits_needed(max_radius: float) -> int:
    """Significand bits to store a point at hyperbolic radius ``R`` in the Poincaré ball:
    ``⌈R / ln 2⌉`` (because ``1 − ‖x‖ ≈ 2e^{−R}``) plus :data:`GUARD_BITS`."""
    return int(math.ceil(max(max_radius, 0.0) / _LOG2)) + GUARD_BITS


# --------------------------------------------------------------------------- directions


@lru_cache(maxsize=256)
def _directions(m: int, dim: int) -> np.ndarray:
    """``m`` well-separated unit vectors in R^dim, the first equal to ``e_1`` (read-only)."""
    if dim == 2:
        a = 2.0 * np.pi * np.arange(m) / m
        out = np.column_stack([np.cos(a), np.sin(a)])
    elif m <= 2 * dim:  # cross-polytope: e1, -e1, e2, -e2, ... (pairwise angles ≥ 90°)
        out = np.zeros((m, dim))
        for k in range(m):
            out[k, k // 2] = 1.0 if k % 2 == 0 else -1.0
    else:  # repulsion on the sphere (deterministic), e1 kept fixed
        rng = np.random.default_rng(m * 1009 + dim)
        x = rng.standard_normal((m, dim))
        x[0] = 0.0
        x[0, 0] = 1.0
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        step = 0.5
        for _ in range(300):
            diff = x[:, None, :] - x[None, :, :]
            d2 = np.einsum("ijk,ijk->ij", diff, diff) + np.eye(m)
            f = (diff / d2[..., None] ** 2).sum(axis=1)
            f -= np.einsum("ij,ij->i", f, x)[:, None] * x  # tangential part
            f[0] = 0.0
            norm = np.linalg.norm(f, axis=1, keepdims=True).max() + 1e-300
            x = x + step * f / norm * (2.0 / m ** (1.0 / (dim - 1)))
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            step *= 0.99
        out = x
    out = np.ascontiguousarray(out)
    out.setflags(write=False)
    return out


def _rotate_e1_to(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Apply, row by row, the rotation in the plane (e1, p_i) that takes e1 to p_i to y_i."""
    c = p[:, 0]  # e1·p
    ay = y[:, 0]
    by = np.einsum("ij,ij->i", p, y)
    # K y = p (e1·y) − e1 (p·y);  K² y = K(K y)
    ky = p * ay[:, None]
    ky[:, 0] -= by
    a2 = ky[:, 0]
    b2 = np.einsum("ij,ij->i", p, ky)
    kky = p * a2[:, None]
    kky[:, 0] -= b2
    with np.errstate(divide="ignore", invalid="ignore"):
        out = y + ky + kky / (1.0 + c)[:, None]
    flip = c < -1.0 + 1e-12  # p = −e1: rotate by π in the (e1, e2) plane
    if flip.any():
        z = y[flip].copy()
        z[:, 0] *= -1.0
        z[:, 1] *= -1.0
        out[flip] = z
    return out


def _child_directions(tree: RootedTree, dim: int) -> np.ndarray:
    """Unit direction of each node, as seen from its parent in the parent's frame.

    Frames: the root's frame is the ball itself; a child's frame is its parent's moved
    by the hyperbolic translation (no rotation) that takes the child to the origin, so
    in a node's frame its parent lies in the direction ``−dir[node]``. In 2-D the
    children of a non-root node are laid out clockwise from the parent (the mirror of
    the root's counter-clockwise layout), which reproduces the reference algorithm's
    circle inversions exactly.
    """
    n = tree.n
    out = np.zeros((n, dim))
    nchild = tree.n_children()
    # index of each child among its siblings (1-based slot after the parent's slot)
    slot = np.zeros(n, dtype=np.int64)
    for v in np.flatnonzero(nchild):
        s, t = tree.child_ptr[v], tree.child_ptr[v + 1]
        slot[tree.child_idx[s:t]] = np.arange(t - s)
    r = tree.root
    rc = tree.child_idx[tree.child_ptr[r]:tree.child_ptr[r + 1]]
    out[rc] = _directions(int(rc.size), dim)
    # deeper levels, vectorised per depth
    depth = tree.depth
    for lev in range(2, tree.height + 1):
        kids = np.flatnonzero(depth == lev)
        par = tree.parent[kids]
        c = nchild[par]
        k = slot[kids] + 1
        pdir = -out[par]  # parent direction in the parent's (of kids) frame
        if dim == 2:
            ang = np.arctan2(pdir[:, 1], pdir[:, 0]) - 2.0 * np.pi * k / (c + 1)
            out[kids] = np.column_stack([np.cos(ang), np.sin(ang)])
        else:
            base = np.empty((kids.size, dim))
            for m in np.unique(c + 1):
                sel = (c + 1) == m
                base[sel] = _directions(int(m), dim)[k[sel]]
            out[kids] = _rotate_e1_to(pdir, base)
    return out


# --------------------------------------------------------------------------- the frames engine


def _log_cosh_dist(r1, r2, one_minus_cos, one_plus_cos):
    """``log cosh d`` for points at radii r1, r2 and angle Δ (cosΔ given as 1∓cosΔ), no cancellation:
    ``cosh d = e^{r1+r2}/4 · [(1−cosΔ)(1+e^{−2(r1+r2)}) + (1+cosΔ)(e^{−2r1}+e^{−2r2})]``."""
    s = r1 + r2
    # exponents are clipped at −200: e^{−200} is far below float64 resolution of B, and
    # clipping keeps exp() off the slow subnormal path
    B = one_minus_cos * (1.0 + np.exp(np.maximum(-2.0 * s, -200.0))) + one_plus_cos * (
        np.exp(np.maximum(-2.0 * r1, -200.0)) + np.exp(np.maximum(-2.0 * r2, -200.0))
    )
    with np.errstate(divide="ignore"):
        return s - _LOG4 + np.log(B)


def _acosh_from_log(L):
    """``arccosh(exp(L))`` for L ≥ 0 without overflow (``log 2y`` when ``y = e^L > e^20``)."""
    L = np.maximum(np.asarray(L, dtype=np.float64), 0.0)
    out = L + _LOG2
    small = L < 20.0
    if small.any():
        out[small] = np.arccosh(np.exp(L[small]))
    return out


@dataclass(frozen=True)
class _Frames:
    """Position of every node in the frame of each of its ancestors (radius, unit direction).

    ``R[k, j]`` / ``E[k, j]``: the node at DFS-preorder position ``j`` seen from its depth-``k``
    ancestor (NaN / zero above its depth, radius 0 at its own depth); ``Rn`` / ``En`` the
    same indexed by node, ``(n, height+1)``, for the query side.
    """

    R: np.ndarray  # (height+1, n) preorder layout
    E: np.ndarray  # (height+1, n, dim)
    Rn: np.ndarray  # (n, height+1)
    En: np.ndarray  # (n, height+1, dim)
    Q: np.ndarray  # exp(−2R), clipped at e^{−200}, preorder layout
    Qn: np.ndarray  # exp(−2Rn)


def _build_frames(tree: RootedTree, tau: float, dim: int) -> _Frames:
    n, H = tree.n, tree.height
    ell = tau * tree.length
    dirs = _child_directions(tree, dim)
    R = np.full((n, H + 1), np.nan)
    E = np.zeros((n, H + 1, dim))
    idx = np.arange(n)
    R[idx, tree.depth] = 0.0
    E[idx, tree.depth, 0] = 1.0  # any unit vector: at radius 0 the direction does not matter
    nonroot = np.flatnonzero(tree.parent >= 0)
    R[nonroot, tree.depth[nonroot] - 1] = ell[nonroot]
    E[nonroot, tree.depth[nonroot] - 1] = dirs[nonroot]
    with np.errstate(over="ignore", divide="ignore"):
        for s in range(2, H + 1):
            v = np.flatnonzero(tree.depth >= s)
            k = tree.depth[v] - s
            c = tree.anc[v, k + 1]
            r1 = R[v, k + 1]  # v seen from c
            e1 = E[v, k + 1]
            u = dirs[c]  # c seen from a = anc(v, k); in c's frame a lies in direction −u
            lc = ell[c]
            omc = 0.5 * np.einsum("ij,ij->i", e1 + u, e1 + u)  # 1 − cos φ, φ = angle at c between a and v
            opc = 0.5 * np.einsum("ij,ij->i", e1 - u, e1 - u)  # 1 + cos φ
            cosphi = 0.5 * (opc - omc)
            R[v, k] = _acosh_from_log(_log_cosh_dist(lc, r1, omc, opc))
            # direction of v from a: ∝ e1·sech ℓ + κ u,  κ = tanh ℓ · coth r1 − cos φ · (1 − sech ℓ)
            sech = 2.0 * np.exp(-lc) / (1.0 + np.exp(-2.0 * lc))
            coth_r1 = 1.0 + 2.0 / np.expm1(2.0 * r1)
            kappa = np.tanh(lc) * coth_r1 - cosphi * (1.0 - sech)
            d = e1 * sech[:, None] + kappa[:, None] * u
            E[v, k] = d / np.linalg.norm(d, axis=1, keepdims=True)
    pre = tree.pre
    Qn = np.exp(np.maximum(-2.0 * np.nan_to_num(R, nan=100.0), -200.0))
    return _Frames(
        R=np.ascontiguousarray(R[pre].T), E=np.ascontiguousarray(E[pre].transpose(1, 0, 2)), Rn=R, En=E,
        Q=np.ascontiguousarray(Qn[pre].T), Qn=Qn,
    )


#: distances computed per batch of query rows (elements)
_ROW_BATCH_ELEMENTS = 2_000_000


def _frames_rows(tree: RootedTree, fr: _Frames, rows: np.ndarray) -> np.ndarray:
    """Exact hyperbolic distances from each node in ``rows`` to every node (len(rows), n).

    Each pair is evaluated in the frame of its lowest common ancestor ``a`` (depth ``k``):
    ``cosh d = e^{r_u+r_v}/4 · [(1−cosΔ)(1+q_u q_v) + (1+cosΔ)(q_u+q_v)]`` with ``q = e^{−2r}``,
    where ``r`` are distances from ``a`` and ``Δ`` is the angle at ``a`` — an O(1) angle,
    because ``u`` and ``v`` hang below different children of ``a``. The nodes whose lca
    with ``u`` is ``a`` form two contiguous ranges of the DFS preorder.
    """
    n = tree.n
    rows = np.asarray(rows, dtype=np.int64)
    out = np.empty((rows.size, n))
    buf = np.empty(n)
    R, E, Q = fr.R, fr.E, fr.Q
    for i, u in enumerate(rows):
        du = int(tree.depth[u])
        path = tree.anc[u, : du + 1]
        for k in range(du + 1):
            a = path[k]
            if k < du:
                c = path[k + 1]
                parts = ((tree.tin[a], tree.tin[c]), (tree.tout[c], tree.tout[a]))
            else:
                parts = ((tree.tin[u], tree.tout[u]),)
            ru, qu, eu = fr.Rn[u, k], fr.Qn[u, k], fr.En[u, k]
            for lo, hi in parts:
                if hi <= lo:
                    continue
                if k == du:  # v below u: the distance is v's radius in u's frame
                    buf[lo:hi] = R[k, lo:hi]
                    continue
                cosd = E[k, lo:hi] @ eu
                qv = Q[k, lo:hi]
                B = (1.0 - cosd) * (1.0 + qu * qv) + (1.0 + cosd) * (qu + qv)
                with np.errstate(divide="ignore"):
                    L = np.log(B)
                L += ru - _LOG4
                L += R[k, lo:hi]
                buf[lo:hi] = _acosh_from_log(L)
        out[i, tree.pre] = buf
        out[i, u] = 0.0
    return out


# --------------------------------------------------------------------------- the reference engine (float64 or mpmath)


class _Num:
    """Scalar arithmetic for the reference engine: float64 (math) or mpmath at ``bits``."""

    def __init__(self, bits: int | None):
        self.bits = bits
        if bits is None:
            self.f, self.pi, self.one, self.zero = float, math.pi, 1.0, 0.0
            self.cos, self.sin, self.atan2, self.sqrt, self.tanh = math.cos, math.sin, math.atan2, math.sqrt, math.tanh
            self.ctx = None
        else:
            import mpmath

            ctx = mpmath.MPContext()
            ctx.prec = int(bits)
            self.ctx = ctx
            self.f, self.pi, self.one, self.zero = ctx.mpf, +ctx.pi, ctx.mpf(1), ctx.mpf(0)
            self.cos, self.sin, self.atan2, self.sqrt, self.tanh = ctx.cos, ctx.sin, ctx.atan2, ctx.sqrt, ctx.tanh


def _dot(x, y):
    s = x[0] * y[0]
    for a, b in zip(x[1:], y[1:]):
        s += a * b
    return s


def _reflect_at_zero(num: _Num, mu, x):
    """The circle inversion that swaps ``mu`` and the origin (an isometry of the ball)."""
    m2 = _dot(mu, mu)
    a = [c / m2 for c in mu]
    r2 = _dot(a, a) - num.one
    diff = [xi - ai for xi, ai in zip(x, a)]
    dd = _dot(diff, diff)
    if dd == 0:
        return [num.f(float("inf"))] * len(x) if num.ctx is None else [num.ctx.inf] * len(x)
    s = r2 / dd
    return [s * di + ai for di, ai in zip(diff, a)]


def _reference_coordinates(tree: RootedTree, tau: float, dim: int, num: _Num) -> list:
    """Global Poincaré coordinates by the reference algorithm (inversions), as lists of scalars."""
    n = tree.n
    T = [None] * n
    T[tree.root] = [num.zero] * dim
    tau_n = num.f(tau)
    r = tree.root
    rc = tree.child_idx[tree.child_ptr[r]:tree.child_ptr[r + 1]]
    d = int(rc.size)
    for i, v in enumerate(rc):
        rad = num.tanh(tau_n * num.f(float(tree.length[v])) / 2)
        if dim == 2:
            ang = 2 * num.pi * i / d
            T[v] = [rad * num.cos(ang), rad * num.sin(ang)]
        else:
            base = _directions(d, dim)[i]
            T[v] = [rad * num.f(float(b)) for b in base]
    for h in tree.order[1:]:
        s, t = tree.child_ptr[h], tree.child_ptr[h + 1]
        if t == s:
            continue
        kids = tree.child_idx[s:t]
        c = int(kids.size)
        x = T[h]
        p0 = _reflect_at_zero(num, x, T[tree.parent[h]])
        q = num.sqrt(_dot(p0, p0))
        pts = []
        if dim == 2:
            p_angle = num.atan2(p0[1], p0[0])
            alpha = 2 * num.pi / (c + 1)
            for k, v in enumerate(kids, start=1):
                rad = num.tanh(tau_n * num.f(float(tree.length[v])) / 2)
                ang = p_angle + alpha * k
                pts.append([rad * num.cos(ang), rad * num.sin(ang)])
        else:
            pdir = np.array([float(z / q) for z in p0])[None, :]
            base = _directions(c + 1, dim)[1:]
            rot = _rotate_e1_to(np.repeat(pdir, c, axis=0), np.array(base))
            # the rotation is applied in float64 to well-separated directions; re-normalise in full precision
            for k, v in enumerate(kids):
                rad = num.tanh(tau_n * num.f(float(tree.length[v])) / 2)
                dv = [num.f(float(z)) for z in rot[k]]
                nv = num.sqrt(_dot(dv, dv))
                pts.append([rad * z / nv for z in dv])
        for v, pt in zip(kids, pts):
            T[v] = _reflect_at_zero(num, x, pt)
    return T


def _reference_rows(num: _Num, T: list, rows: np.ndarray) -> np.ndarray:
    """Distances from the reference coordinates, in the engine's own precision."""
    n = len(T)
    sq = [_dot(x, x) for x in T]
    out = np.empty((len(rows), n))
    if num.ctx is None:
        X = np.array(T, dtype=np.float64)
        nrm = 1.0 - np.einsum("ij,ij->i", X, X)
        for i, u in enumerate(rows):
            diff = ((X - X[u]) ** 2).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                arg = 1.0 + 2.0 * diff / (nrm * nrm[u])
                arg = np.where(nrm * nrm[u] > 0, arg, np.inf)
                out[i] = np.arccosh(np.maximum(arg, 1.0))
            out[i, u] = 0.0
        return out
    ctx = num.ctx
    den = [num.one - s for s in sq]
    for i, u in enumerate(rows):
        xu = T[u]
        for v in range(n):
            if v == u:
                out[i, v] = 0.0
                continue
            xv = T[v]
            diff = [a - b for a, b in zip(xu, xv)]
            dd = den[u] * den[v]
            if dd <= 0:
                out[i, v] = np.inf
                continue
            arg = num.one + 2 * _dot(diff, diff) / dd
            # too few bits: round-off can push the argument below 1 (acosh would turn complex); 1 → distance 0
            out[i, v] = float(ctx.acosh(arg if arg >= num.one else num.one))
    return out


# --------------------------------------------------------------------------- public API


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
            return _frames_rows(self._tree, self._state, rows)
        num, T = self._state
        return _reference_rows(num, T, rows)

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
    fr = _build_frames(tree, tau, dim)
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
        num = _Num(None if engine == "float64" else bits)
        T = _reference_coordinates(tree, tau, dim, num)
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

    ``map`` is MAP with the Sala et al. definition (positives = graph neighbours in the
    original graph), ``distortion_avg`` / ``distortion_worst`` use graph distances of the
    original graph and the construction's own scale ``τ`` (``d_emb/τ`` against ``d_G``).
    When ``map_queries < n_nodes`` the MAP is estimated from that many random query rows
    (``map_stderr`` is its standard error); likewise distortion from ``distortion_sources``
    random source nodes × all nodes. Every distance comes from the embedding's own engine
    (``engine``), i.e. in the precision the coordinates were built in.
    """

    embedding: TreeEmbedding = field(repr=False)
    ids: np.ndarray = field(repr=False)
    map: float
    map_stderr: float | None
    map_queries: int
    distortion_avg: float | None
    distortion_worst: float | None
    distortion_sources: int
    seconds_embed: float
    seconds_eval: float
    notes: tuple = ()

    def to_dict(self) -> dict:
        from embgeo.results import jsonable

        d = self.embedding.to_dict()
        d.update(
            map=self.map, map_stderr=self.map_stderr, map_queries=self.map_queries,
            distortion_avg=self.distortion_avg, distortion_worst=self.distortion_worst,
            distortion_sources=self.distortion_sources, seconds_embed=self.seconds_embed,
            seconds_eval=self.seconds_eval, notes=list(self.notes),
        )
        return jsonable(d)

    def table(self):
        d = self.to_dict()
        keys = [
            ("map", "MAP (Sala et al.: graph neighbours)"), ("map_stderr", "MAP standard error (sampled rows)"),
            ("map_queries", "query rows"), ("distortion_avg", "average distortion (scale τ)"),
            ("distortion_worst", "worst-case distortion"), ("distortion_sources", "distortion source rows"),
            ("n_nodes", "nodes"), ("dim", "dimension"), ("eps", "ε (distortion target)"), ("tau", "τ (scale)"),
            ("root", "root node (index)"), ("max_degree", "max degree"), ("height", "tree height"),
            ("max_radius", "max hyperbolic radius"), ("bits_needed", "bits needed"), ("engine", "engine"),
            ("precision_bits", "precision (bits; none = exact frames)"), ("float64_enough", "float64 enough"),
            ("n_on_boundary", "float64 coordinates on the boundary"), ("is_tree", "input is a tree"),
            ("seconds_embed", "seconds (construction)"), ("seconds_eval", "seconds (evaluation)"),
        ]
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
            notes.append(f"the tree needs {emb.bits_needed} bits but ran in float64: {emb.n_on_boundary} points sit on the boundary and the scores are wrong — use --precision auto")
        elif emb.engine == "mpmath" and emb.precision_bits is not None and emb.precision_bits < emb.bits_needed:
            notes.append(f"the tree needs {emb.bits_needed} bits but ran with {emb.precision_bits}: points collapse onto the boundary and "
                         "the scores are wrong — use --precision auto")
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
    total, count, xmax, xmin = 0.0, 0, 0.0, np.inf
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
    t2 = time.perf_counter()
    return CombinatorialResult(
        embedding=emb, ids=np.asarray(h.ids), map=float(res.map), map_stderr=stderr, map_queries=int(res.n_queries),
        distortion_avg=total / count if count else None,
        distortion_worst=(xmax / xmin if xmin > 0 else float("inf")) if count else None,
        distortion_sources=int(src.size), seconds_embed=t1 - t0, seconds_eval=t2 - t1, notes=tuple(notes),
    )


from embgeo._callable import make_callable  # noqa: E402

make_callable(__name__, "embed_hierarchy")
