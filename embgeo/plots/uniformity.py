"""Uniformity and alignment on the sphere: pair-distance and angle distributions.

For L2-normalised rows ``‖x − y‖² = 2 − 2 cos θ``, so the histogram of squared pair
distances kept in :class:`~embgeo.uniformity.core.UniformityResult` is also a
histogram of pair angles ``θ = arccos(1 − ‖x − y‖²/2)`` (same counts, bins mapped).
The reference curves are the exact densities for points uniform on S^(d−1):
``θ`` has density ∝ sin^(d−2) θ, and ``u = ‖x − y‖²`` density ∝ (u(1 − u/4))^((d−3)/2).
"""
from __future__ import annotations

import numpy as np

from embgeo.plots._common import BLUE, GREEN, GREY, ORANGE, figure, note, plain, stairs


def sphere_angle_density(theta, d: int) -> np.ndarray:
    """Density of the angle between two independent uniform points on S^(d−1), on [0, π]:
    ``sin^(d−2) θ / B(1/2, (d−1)/2)`` (closed-form normaliser)."""
    from scipy.special import betaln

    theta = np.asarray(theta, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = (d - 2) * np.log(np.sin(theta)) - betaln(0.5, (d - 1) / 2.0)
    return np.where(np.isfinite(log_p), np.exp(log_p), 0.0) if d > 2 else np.full_like(theta, 1.0 / np.pi)


def sphere_sq_distance_density(u, d: int) -> np.ndarray:
    """Density of ``u = ‖x − y‖²`` for independent uniform points on S^(d−1), on [0, 4]:
    ``(u(1 − u/4))^a / (4^(a+1) B(a+1, a+1))`` with ``a = (d − 3)/2``."""
    from scipy.special import betaln

    u = np.asarray(u, dtype=np.float64)
    a = 0.5 * (d - 3)
    inside = (u > 0) & (u < 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = a * np.log(np.where(inside, u * (1 - u / 4), 1.0)) - ((a + 1) * np.log(4.0) + betaln(a + 1, a + 1))
    return np.where(inside, np.exp(log_p), 0.0)


def _angle_edges(sq_edges) -> np.ndarray:
    """Squared-distance bin edges (unit vectors) → angle edges in degrees."""
    s = 1.0 - np.clip(np.asarray(sq_edges, dtype=np.float64), 0.0, 4.0) / 2.0
    return np.degrees(np.arccos(np.clip(s, -1.0, 1.0)))


def _draw_sq(ax, res, *, label, color, reference: bool):
    dist = res.sq_distances
    stairs(ax, dist.hist_counts, dist.hist_edges, label=label, color=color, fill=True)
    if reference and res.normalized:
        lo, hi = float(dist.hist_edges[0]), float(dist.hist_edges[-1])
        u = np.linspace(min(lo, 1.0), max(hi, 3.0), 400)
        ax.plot(u, sphere_sq_distance_density(u, res.n_dims), color=GREY, lw=1.2, ls="--",
                label=f"uniform on S^{res.n_dims - 1}")
    ax.set_xlabel("squared pair distance ‖x̂ − ŷ‖²" if res.normalized else "squared pair distance ‖x − y‖²")
    ax.set_ylabel("density")


def _draw_angles(ax, res, *, label, color, reference: bool):
    dist = res.sq_distances
    edges = _angle_edges(dist.hist_edges)
    stairs(ax, dist.hist_counts, edges, label=label, color=color, fill=True)
    if reference:
        t = np.linspace(max(0.0, edges[0] - 10), min(180.0, edges[-1] + 10), 400)
        # density per degree = density per radian × π/180
        ax.plot(t, sphere_angle_density(np.radians(t), res.n_dims) * np.pi / 180.0, color=GREY, lw=1.2, ls="--",
                label=f"uniform on S^{res.n_dims - 1}")
    ax.axvline(90.0, color="#bbbbbb", lw=0.8, zorder=0)
    ax.set_xlabel("angle between random pairs (degrees)")
    ax.set_ylabel("density per degree")


def plot_uniformity(result, *, ax=None, pairs=None, alignment=None, labels=("X", "Y")):
    """Pair-distance and pair-angle distributions of a :class:`UniformityResult`.

    ``pairs`` (the uniformity of the second, row-paired set) is overlaid;
    ``alignment`` (an :class:`AlignmentResult`) adds a panel with matched-pair
    distances against random-pair distances. With ``ax`` only the squared-distance
    histogram is drawn into it. Dashed: the density for points uniform on the sphere.
    """
    angles = result.normalized
    ncols = 1 + int(angles) + int(alignment is not None)
    fig, axes = figure(ncols, ax=ax)
    many = pairs is not None
    _draw_sq(axes[0], result, label=labels[0] if many else "random pairs", color=BLUE, reference=True)
    if many:
        _draw_sq(axes[0], pairs, label=labels[1], color=ORANGE, reference=False)
    title = f"uniformity {result.uniformity:.3f}"
    if result.normalized and np.isfinite(result.uniformity_sphere):
        title += f" (uniform sphere {result.uniformity_sphere:.3f})"
    axes[0].set_title(plain(title), fontsize=10)
    axes[0].legend(fontsize=8, loc="upper left")
    if ax is None and angles:
        _draw_angles(axes[1], result, label=labels[0] if many else "random pairs", color=BLUE, reference=True)
        if many and pairs.normalized:
            _draw_angles(axes[1], pairs, label=labels[1], color=ORANGE, reference=False)
        axes[1].set_title("pair angles on the sphere", fontsize=10)
        axes[1].legend(fontsize=8, loc="upper left")
    if ax is None and alignment is not None:
        _draw_alignment(axes[-1], alignment, random=result)
    return fig


def _draw_alignment(ax, al, *, random=None):
    d = al.distances
    stairs(ax, d.hist_counts, d.hist_edges, label="matched pairs", color=GREEN, fill=True)
    if random is not None:
        edges = np.sqrt(np.clip(random.sq_distances.hist_edges, 0, None))
        stairs(ax, random.sq_distances.hist_counts, edges, label="random pairs", color=BLUE)
    ax.set_xlabel("pair distance ‖x̂ − ŷ‖" if al.normalized else "pair distance ‖x − y‖")
    ax.set_ylabel("density")
    ax.set_title(plain(f"alignment {al.alignment:.3f} (α = {al.alpha:g})"), fontsize=10)
    ax.legend(fontsize=8, loc="upper left")


def plot_alignment(result, *, ax=None, uniformity=None):
    """Distances of matched pairs (an :class:`AlignmentResult`); with ``uniformity``, random pairs too."""
    fig, axes = figure(1, ax=ax)
    _draw_alignment(axes[0], result, random=uniformity)
    note(axes[0], f"{result.n_rows} pairs", loc="upper right")
    return fig
