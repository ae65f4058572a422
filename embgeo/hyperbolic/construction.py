"""The engines of the combinatorial construction (Sarkar 2011, Sala et al. 2018): scale, precision,
child directions, the exact ``frames`` engine and the reference engine (float64 or mpmath).

The public face is :mod:`embgeo.hyperbolic.combinatorial` (``combinatorial_embedding``,
``embed_hierarchy``); the rooted spanning tree is :mod:`embgeo.hyperbolic.trees`.

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
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from embgeo.arguments import check_count, check_number
from embgeo.errors import EmbgeoError, setting
from embgeo.hyperbolic.trees import RootedTree

#: bits of float64's significand
FLOAT64_BITS = 53
#: extra bits kept on top of R/ln 2 (angular resolution between siblings, rounding)
GUARD_BITS = 16
_LOG4 = math.log(4.0)
_LOG2 = math.log(2.0)


# --------------------------------------------------------------------------- scale and precision


def embedding_scale(eps: float, max_degree: int, *, min_weight: float = 1.0) -> float:
    """The scale τ of the construction for distortion target ``eps`` (Sala et al. 2018).

    ``β = π/(1.2·deg_max)``, ``v = −2 ln tan(β/2)``, ``τ = (1+ε)/ε · v / w_min``, and at
    least ``ν = −2 ln tan(α/2)/w_min`` with ``α = 2π/deg_max − 2β`` (the reference
    code's ``get_emb_par``). Larger degree or smaller ε → larger τ → more bits.
    """
    if isinstance(eps, bool) or not (isinstance(eps, (int, float)) and eps > 0 and math.isfinite(eps)):
        raise EmbgeoError(f"eps must be a positive number; got {eps!r}", hint=f"try {setting('eps', 0.1)} (10 % distortion target)")
    # a tree's largest degree is at least 1 (one edge); 0 or a fraction is no tree's
    d = max(check_count("max_degree", max_degree, minimum=1, hint="the largest number of edges at one node of the tree"), 2)
    beta = math.pi / (1.2 * d)
    v = -2.0 * math.log(math.tan(beta / 2.0))
    alpha = 2.0 * math.pi / d - 2.0 * beta
    nu = -2.0 * math.log(math.tan(alpha / 2.0)) / min_weight
    tau = (1.0 + eps) / eps * v / min_weight
    return float(max(tau, nu))


def bits_needed(max_radius: float) -> int:
    """Significand bits to store a point at hyperbolic radius ``R`` in the Poincaré ball:
    ``⌈R / ln 2⌉`` (because ``1 − ‖x‖ ≈ 2e^{−R}``) plus :data:`GUARD_BITS`. ``R`` is a distance from the
    origin: a finite number ≥ 0 (a negative, infinite or NaN radius is refused)."""
    R = check_number("max_radius", max_radius)
    if not (math.isfinite(R) and R >= 0):
        raise EmbgeoError(f"max_radius is a hyperbolic distance from the origin, a finite number ≥ 0; got {max_radius!r}",
                          hint="pass the largest radius of the embedding's points, e.g. max_radius=12.5")
    return int(math.ceil(R / _LOG2)) + GUARD_BITS


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
class Frames:
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


def build_frames(tree: RootedTree, tau: float, dim: int) -> Frames:
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
    return Frames(
        R=np.ascontiguousarray(R[pre].T), E=np.ascontiguousarray(E[pre].transpose(1, 0, 2)), Rn=R, En=E,
        Q=np.ascontiguousarray(Qn[pre].T), Qn=Qn,
    )


#: distances computed per batch of query rows (elements)
_ROW_BATCH_ELEMENTS = 2_000_000


def frames_rows(tree: RootedTree, fr: Frames, rows: np.ndarray) -> np.ndarray:
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


class Numbers:
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


def _reflect_at_zero(num: Numbers, mu, x):
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


def reference_coordinates(tree: RootedTree, tau: float, dim: int, num: Numbers) -> list:
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
        else:  # float64 directions (unit to ~1e-16), re-normalised in full precision: rad·(1 + 1e-16) may pass 1
            dv = [num.f(float(z)) for z in _directions(d, dim)[i]]
            nv = num.sqrt(_dot(dv, dv))
            T[v] = [rad * z / nv for z in dv]
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


def reference_rows(num: Numbers, T: list, rows: np.ndarray) -> np.ndarray:
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


__all__ = ["FLOAT64_BITS", "GUARD_BITS", "Frames", "Numbers", "bits_needed", "build_frames", "embedding_scale", "frames_rows", "reference_coordinates", "reference_rows"]
