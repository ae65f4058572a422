"""Hyperbolic geometry as plain numpy functions (float64 by default).

Two models of hyperbolic space with curvature ``-c`` (``c > 0``):

- the **Poincaré ball** ``B_c = {x : c‖x‖² < 1}`` with metric
  ``λ_x² ‖·‖²``, ``λ_x = 2 / (1 − c‖x‖²)``;
- the **Lorentz model** (hyperboloid) ``H_c = {x ∈ R^{d+1} : ⟨x, x⟩_L = −1/c, x₀ > 0}``
  with ``⟨x, y⟩_L = −x₀y₀ + Σ_{i≥1} xᵢyᵢ``.

Formulas follow Ganea, Bécigneul & Hofmann 2018 (Hyperbolic Neural Networks,
gyrovector operations), Nickel & Kiela 2017 (Poincaré embeddings) and Nickel &
Kiela 2018 (Lorentz model). The functions mirror geoopt's
``geoopt.manifolds.stereographic.math`` (which works on torch tensors) for
numpy arrays, so that evaluation needs no torch. Shapes: points are
``(..., n_features)`` and broadcast like numpy; pairwise functions take
``(n_a, n_features)`` and ``(n_b, n_features)`` and return ``(n_a, n_b)``.

``arcosh(1 + z)`` is evaluated as ``log1p(z + sqrt(z (z + 2)))``, which keeps
full relative precision for small distances, where ``arccosh`` of a number
near 1 loses half the digits.
"""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError

#: default distance of the projection from the boundary, per dtype (as geoopt's PoincareBall)
BALL_EPS = {np.dtype(np.float32): 4e-3, np.dtype(np.float64): 1e-5}


def _check_c(c: float) -> float:
    c = float(c)
    if not np.isfinite(c) or c <= 0:
        raise EmbgeoError(f"curvature parameter c must be a positive number (curvature −c), got {c!r}")
    return c


def _asfloat(x) -> np.ndarray:
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def acosh1p(z: np.ndarray) -> np.ndarray:
    """``arcosh(1 + z)`` for ``z ≥ 0``, accurate for small ``z``: ``log1p(z + √(z(z+2)))``."""
    z = np.maximum(z, 0.0)
    return np.log1p(z + np.sqrt(z * (z + 2.0)))


def sq_norm(x, *, keepdims: bool = False) -> np.ndarray:
    """``‖x‖²`` along the last axis, accumulated in float64."""
    x = np.asarray(x, dtype=np.float64)
    return np.einsum("...i,...i->...", x, x)[..., None] if keepdims else np.einsum("...i,...i->...", x, x)


def _ball_distance(x: np.ndarray, y: np.ndarray, nx: np.ndarray, ny: np.ndarray, c: float) -> np.ndarray:
    """The kernel of :func:`poincare_distance`: float arrays ``x``, ``y`` and their squared norms, no checks."""
    den = (1.0 - c * nx) * (1.0 - c * ny)
    return acosh1p(2.0 * c * sq_norm(x - y) / np.maximum(den, np.finfo(np.float64).tiny)) / np.sqrt(c)


def _check_in_ball(name: str, n2: np.ndarray, c: float) -> None:
    """Raise unless every point (squared norms ``n2``, one per point) lies inside the ball ``c‖x‖² < 1``:
    the message names how many points are not, and the first."""
    n2 = np.asarray(n2)
    bad = np.flatnonzero(~(c * n2 < 1.0).reshape(-1))  # NaN norms too: not points of the ball
    if not bad.size:
        return
    def where(i: int) -> str:
        return f"row {i}" if n2.ndim == 1 else f"point {tuple(int(j) for j in np.unravel_index(i, n2.shape))}"

    first = bad[0]
    unit = "row" if n2.ndim == 1 else "point"
    nonfinite = np.flatnonzero(~np.isfinite(n2.reshape(-1)))
    if nonfinite.size:  # NaN/inf coordinates: not points at all
        if n2.ndim == 0:
            text = f"{name} has NaN or inf coordinates"
        else:
            text = f"{name} has {nonfinite.size} {unit}{'s' if nonfinite.size > 1 else ''} with NaN or inf coordinates; first {where(nonfinite[0])}"
        raise EmbgeoError(text, hint="give finite coordinates of points in the ball")
    radius = f"the Poincaré ball of curvature −c (radius 1/√c = {1 / np.sqrt(c):.6g})"
    norm = float(np.sqrt(n2.reshape(-1)[first]))
    if n2.ndim == 0:
        text = f"{name} lies on or outside {radius}: its norm is {norm:.6g}"
    else:
        text = f"{name} has {bad.size} {unit}{'s' if bad.size > 1 else ''} on or outside {radius}; first {where(first)}, norm {norm:.6g}"
    raise EmbgeoError(text, hint="give points of the ball, norm < 1/√c (embgeo.hyperbolic.math.project pulls points back inside), "
                                 "or the curvature c the points were made for")


def poincare_distance(x, y, *, c: float = 1.0) -> np.ndarray:
    """Geodesic distance in the Poincaré ball (rows broadcast).

    ``d_c(x, y) = (1/√c) · arcosh(1 + 2c‖x − y‖² / ((1 − c‖x‖²)(1 − c‖y‖²)))``
    (Nickel & Kiela 2017, eq. 1 for ``c = 1``). Returns shape ``broadcast(x, y)[:-1]``.

    ``x`` and ``y`` must be points of the ball (``c‖x‖² < 1``) with the same number of coordinates and
    shapes that broadcast; anything else raises :class:`~embgeo.errors.EmbgeoError` naming the rows
    outside the ball or both shapes.
    """
    c = _check_c(c)
    x, y = _asfloat(x), _asfloat(y)
    if x.ndim == 0 or y.ndim == 0:
        raise EmbgeoError(f"x and y must be points (the last axis holds the coordinates), got shapes {x.shape} and {y.shape}",
                          hint="give arrays of shape (n_features,) or (n_points, n_features)")
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise EmbgeoError(f"x and y have shapes {x.shape} and {y.shape}, which do not broadcast "
                          f"(the same number of coordinates, and rows that pair one to one or with a single point)",
                          hint="give x and y the same shape, e.g. (n, d) and (n, d), or one point (d,) against many (n, d); "
                               "poincare_pairwise(a, b) gives every distance between two sets") from None
    nx, ny = sq_norm(x), sq_norm(y)
    _check_in_ball("x", nx, c)
    _check_in_ball("y", ny, c)
    return _ball_distance(x, y, nx, ny, c)


def poincare_pairwise(a, b=None, *, c: float = 1.0) -> np.ndarray:
    """All distances between the rows of ``a`` (n_a, n_features) and ``b`` (n_b, n_features).

    Same formula as :func:`poincare_distance`; ``‖x − y‖²`` is formed with one
    GEMM as ``‖x‖² + ‖y‖² − 2x·y`` in float64 and clipped at 0, and recomputed from
    the differences where that cancels (``‖x − y‖² < 1e-6 (‖x‖² + ‖y‖²)``: nearby
    points, which near the boundary can still be far apart). Returns (n_a, n_b).
    """
    c = _check_c(c)
    a = np.asarray(a, dtype=np.float64)
    same = b is None
    b = a if same else np.asarray(b, dtype=np.float64)
    na, nb = sq_norm(a), sq_norm(b)
    diff = na[:, None] + nb[None, :] - 2.0 * (a @ b.T)
    np.maximum(diff, 0.0, out=diff)
    close = diff < 1e-6 * (na[:, None] + nb[None, :])
    if same:
        np.fill_diagonal(close, False)
        np.fill_diagonal(diff, 0.0)
    ii, jj = np.nonzero(close)
    step = max(1, (1 << 22) // max(1, a.shape[1]))
    for s in range(0, ii.size, step):
        i, j = ii[s:s + step], jj[s:s + step]
        e = a[i] - b[j]
        diff[i, j] = np.einsum("ij,ij->i", e, e)
    den = np.outer(1.0 - c * na, 1.0 - c * nb)
    np.maximum(den, np.finfo(np.float64).tiny, out=den)
    diff *= 2.0 * c
    diff /= den
    return acosh1p(diff) / np.sqrt(c)


def lorentz_inner(x, y) -> np.ndarray:
    """Minkowski inner product ``⟨x, y⟩_L = −x₀y₀ + Σ_{i≥1} xᵢyᵢ`` along the last axis."""
    x, y = _asfloat(x), _asfloat(y)
    return -x[..., 0] * y[..., 0] + np.einsum("...i,...i->...", x[..., 1:], y[..., 1:])


def lorentz_distance(x, y, *, c: float = 1.0) -> np.ndarray:
    """Geodesic distance on the hyperboloid: ``d(x, y) = (1/√c) · arcosh(−c ⟨x, y⟩_L)``
    (Nickel & Kiela 2018, eq. 5 for ``c = 1``)."""
    c = _check_c(c)
    return acosh1p(-c * lorentz_inner(x, y) - 1.0) / np.sqrt(c)


def lorentz_pairwise(a, b=None, *, c: float = 1.0) -> np.ndarray:
    """All hyperboloid distances between rows of ``a`` (n_a, d+1) and ``b`` (n_b, d+1)."""
    c = _check_c(c)
    a = np.asarray(a, dtype=np.float64)
    b = a if b is None else np.asarray(b, dtype=np.float64)
    inner = a[:, 1:] @ b[:, 1:].T - np.outer(a[:, 0], b[:, 0])
    return acosh1p(-c * inner - 1.0) / np.sqrt(c)


def lorentz_to_poincare(x, *, c: float = 1.0) -> np.ndarray:
    """Hyperboloid → ball: ``p = x_{1:} / (1 + √c x₀)`` (an isometry)."""
    c = _check_c(c)
    x = _asfloat(x)
    return x[..., 1:] / (1.0 + np.sqrt(c) * x[..., :1])


def poincare_to_lorentz(p, *, c: float = 1.0) -> np.ndarray:
    """Ball → hyperboloid: ``x = ((1 + c‖p‖²) / (√c (1 − c‖p‖²)), 2p / (1 − c‖p‖²))``."""
    c = _check_c(c)
    p = _asfloat(p)
    n2 = sq_norm(p, keepdims=True)
    den = 1.0 - c * n2
    return np.concatenate([(1.0 + c * n2) / (np.sqrt(c) * den), 2.0 * p / den], axis=-1)


def project(x, *, c: float = 1.0, eps: float | None = None) -> np.ndarray:
    """Pull points back inside the ball: rows with ``‖x‖ > (1 − eps)/√c`` are rescaled to that norm.

    ``eps`` defaults to 1e-5 for float64 and 4e-3 for float32 (geoopt's values).
    """
    c = _check_c(c)
    x = _asfloat(x)
    eps = BALL_EPS.get(x.dtype, 1e-5) if eps is None else float(eps)
    maxnorm = (1.0 - eps) / np.sqrt(c)
    norm = np.sqrt(sq_norm(x, keepdims=True))
    scale = np.where(norm > maxnorm, maxnorm / np.maximum(norm, np.finfo(np.float64).tiny), 1.0)
    return x * scale


def mobius_add(x, y, *, c: float = 1.0) -> np.ndarray:
    """Möbius addition ``x ⊕_c y = ((1 + 2c⟨x,y⟩ + c‖y‖²) x + (1 − c‖x‖²) y) / (1 + 2c⟨x,y⟩ + c²‖x‖²‖y‖²)``."""
    c = _check_c(c)
    x, y = _asfloat(x), _asfloat(y)
    xy = np.einsum("...i,...i->...", x, y)[..., None]
    x2, y2 = sq_norm(x, keepdims=True), sq_norm(y, keepdims=True)
    num = (1.0 + 2.0 * c * xy + c * y2) * x + (1.0 - c * x2) * y
    return num / np.maximum(1.0 + 2.0 * c * xy + c * c * x2 * y2, np.finfo(np.float64).tiny)


def expmap(x, v, *, c: float = 1.0) -> np.ndarray:
    """Exponential map at ``x``: ``exp_x(v) = x ⊕_c (tanh(√c λ_x ‖v‖ / 2) · v / (√c ‖v‖))``."""
    c = _check_c(c)
    x, v = _asfloat(x), _asfloat(v)
    sc = np.sqrt(c)
    vn = np.maximum(np.sqrt(sq_norm(v, keepdims=True)), 1e-300)
    lam = 2.0 / (1.0 - c * sq_norm(x, keepdims=True))
    second = np.tanh(sc * lam * vn / 2.0) * v / (sc * vn)
    return mobius_add(x, second, c=c)


def logmap(x, y, *, c: float = 1.0) -> np.ndarray:
    """Logarithmic map at ``x``: ``log_x(y) = (2 / (√c λ_x)) · artanh(√c ‖w‖) · w / ‖w‖``, ``w = (−x) ⊕_c y``."""
    c = _check_c(c)
    x, y = _asfloat(x), _asfloat(y)
    sc = np.sqrt(c)
    w = mobius_add(-x, y, c=c)
    wn = np.maximum(np.sqrt(sq_norm(w, keepdims=True)), 1e-300)
    lam = 2.0 / (1.0 - c * sq_norm(x, keepdims=True))
    return 2.0 / (sc * lam) * np.arctanh(np.minimum(sc * wn, 1.0 - 1e-16)) * w / wn


def expmap0(v, *, c: float = 1.0) -> np.ndarray:
    """Exponential map at the origin: ``exp_0(v) = tanh(√c ‖v‖) · v / (√c ‖v‖)``."""
    c = _check_c(c)
    v = _asfloat(v)
    sc = np.sqrt(c)
    vn = np.maximum(np.sqrt(sq_norm(v, keepdims=True)), 1e-300)
    return np.tanh(sc * vn) * v / (sc * vn)


def logmap0(y, *, c: float = 1.0) -> np.ndarray:
    """Logarithmic map at the origin: ``log_0(y) = artanh(√c ‖y‖) · y / (√c ‖y‖)``."""
    c = _check_c(c)
    y = _asfloat(y)
    sc = np.sqrt(c)
    yn = np.maximum(np.sqrt(sq_norm(y, keepdims=True)), 1e-300)
    return np.arctanh(np.minimum(sc * yn, 1.0 - 1e-16)) * y / (sc * yn)


def distance_from_origin(x, *, c: float = 1.0) -> np.ndarray:
    """``d_c(0, x) = (2/√c) · artanh(√c ‖x‖)``."""
    c = _check_c(c)
    sc = np.sqrt(c)
    return 2.0 / sc * np.arctanh(np.minimum(sc * np.sqrt(sq_norm(x)), 1.0 - 1e-16))
