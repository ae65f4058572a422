"""Synthetic sets with known answers, generated on demand from a seed.

Every generator takes keyword-only parameters and a ``seed`` and returns float64
arrays; the known answer is stated in each docstring (and in ``KNOWN``).
"""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.validation import as_rng


def _check(n: int, **dims: int) -> None:
    if n < 1:
        raise EmbgeoError(f"n must be at least 1, got {n}")
    for name, v in dims.items():
        if v < 1:
            raise EmbgeoError(f"{name} must be at least 1, got {v}")


def random_rotation(d_in: int, d_out: int, *, seed=0) -> np.ndarray:
    """A ``(d_in, d_out)`` matrix with orthonormal rows (an isometric embedding of R^d_in in R^d_out)."""
    if d_in > d_out:
        raise EmbgeoError(f"cannot embed {d_in} dimensions isometrically into {d_out}")
    rng = as_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((d_out, d_in)))
    q *= np.sign(np.diag(r))  # Haar-distributed, deterministic signs
    return q.T


def sphere(n: int = 2000, d: int = 384, *, seed=0) -> np.ndarray:
    """Points uniform on the unit sphere S^(d−1) in R^d. Intrinsic dimension d−1;
    uniformity (t=2) has the closed form of :func:`embgeo.metrics.uniformity_sphere` where available."""
    _check(n, d=d)
    x = as_rng(seed).standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def ball(n: int = 2000, k: int = 5, *, seed=0) -> np.ndarray:
    """Points uniform in the unit k-ball. Intrinsic dimension k."""
    _check(n, k=k)
    rng = as_rng(seed)
    x = rng.standard_normal((n, k))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x * rng.random((n, 1)) ** (1.0 / k)


def cube(n: int = 2000, k: int = 10, d: int | None = None, *, noise: float = 0.0, seed=0) -> np.ndarray:
    """Points uniform in the unit k-cube, rotated into ``d`` ambient dims (default d=k), plus
    isotropic Gaussian noise of std ``noise`` per coordinate. Intrinsic dimension k."""
    d = k if d is None else d
    _check(n, k=k, d=d)
    rng = as_rng(seed)
    x = rng.random((n, k))
    if d != k:
        x = x @ random_rotation(k, d, seed=rng)
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
    return x


def subspace(n: int = 2000, k: int = 10, d: int = 768, *, noise: float = 0.01, seed=0) -> np.ndarray:
    """A k-dimensional Gaussian cloud in a random k-dim linear subspace of R^d, plus noise of std
    ``noise`` per coordinate. Intrinsic dimension k (at scales above the noise)."""
    _check(n, k=k, d=d)
    rng = as_rng(seed)
    x = rng.standard_normal((n, k)) @ random_rotation(k, d, seed=rng)
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
    return x


def swiss_roll(n: int = 2000, *, noise: float = 0.0, seed=0) -> np.ndarray:
    """The swiss roll (a 2-D sheet rolled in R^3). Intrinsic dimension 2."""
    _check(n)
    rng = as_rng(seed)
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    h = 21 * rng.random(n)
    x = np.column_stack([t * np.cos(t), h, t * np.sin(t)])
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
    return x


def paired_gap(n: int = 1000, d: int = 64, *, gap: float = 0.5, spread: float = 0.3, seed=0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two row-paired unit-norm sets X, Y whose centroids sit apart along a known direction.

    Each pair shares a latent point z on the sphere; X = normalise(z + c·u + spread·ε₁), Y =
    normalise(z − c·u + spread·ε₂) with unit direction u and c chosen so that before normalisation
    the centroid offset is ``gap``. Returns ``(X, Y, u)``.
    """
    _check(n, d=d)
    rng = as_rng(seed)
    z = rng.standard_normal((n, d)) / np.sqrt(d)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    c = gap / 2.0
    x = z + c * u + spread * rng.standard_normal((n, d)) / np.sqrt(d)
    y = z - c * u + spread * rng.standard_normal((n, d)) / np.sqrt(d)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    return x, y, u


#: generator name → (function, default kwargs, known answer in words)
GENERATORS = {
    "sphere": (sphere, {"n": 2000, "d": 384}, "uniform on S^(d-1): intrinsic dimension d-1; uniformity(t=2) has a closed form"),
    "ball": (ball, {"n": 2000, "k": 5}, "uniform in the k-ball: intrinsic dimension k"),
    "cube": (cube, {"n": 2000, "k": 10, "d": 768, "noise": 0.001}, "k-cube rotated into d dims plus noise: intrinsic dimension k"),
    "subspace": (subspace, {"n": 2000, "k": 10, "d": 768, "noise": 0.01}, "k-dim linear subspace rotated into d dims plus noise: intrinsic dimension k"),
    "swiss-roll": (swiss_roll, {"n": 2000, "noise": 0.0}, "swiss roll in R^3: intrinsic dimension 2"),
    "paired-gap": (paired_gap, {"n": 1000, "d": 64, "gap": 0.5}, "two row-paired unit-norm sets with a planted centroid offset along a known direction"),
}
