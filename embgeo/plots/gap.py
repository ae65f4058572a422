"""The modality gap: both modalities on one 2-D projection with the gap vector, and cosine distributions.

The shared projection (:func:`gap_plane`) has the gap direction ``u = Δ/‖Δ‖``
(``Δ = mean x̂ − mean ŷ``) as its horizontal axis and, as its vertical axis, the
first principal direction of the union of both sets after the ``u`` component has
been removed. The gap vector is therefore drawn exactly, with its true length
``‖Δ‖``, and the picture shows how much of the spread lies across the gap.
"""
from __future__ import annotations

import numpy as np

from embgeo.plots._common import BLUE, GREY, ORANGE, RED, figure, note, plain, stairs, trim_range


def _unit_rows(A) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    n = np.linalg.norm(A, axis=1, keepdims=True)
    return A / np.where(n > 0, n, 1.0)


def gap_plane(X, Y, gap_vector, *, max_rows: int = 5000, seed=0):
    """Coordinates ``(P_x, P_y, basis)`` of the L2-normalised rows of ``X`` and ``Y`` on the plane
    spanned by the gap direction and the top principal direction orthogonal to it.

    ``basis`` is (2, n_features): row 0 = ``u``, row 1 = ``v``. Rows are centred on the
    mean of the union before projecting. The principal direction is fitted on at most
    ``max_rows`` rows of each set (seeded).
    """
    from embgeo.validation import as_rng

    Xh, Yh = _unit_rows(X), _unit_rows(Y)
    g = np.asarray(gap_vector, dtype=np.float64)
    norm = float(np.linalg.norm(g))
    d = Xh.shape[1]
    u = g / norm if norm > 0 else np.eye(d)[0]
    mu = 0.5 * (Xh.mean(0) + Yh.mean(0)) if Xh.shape[0] == Yh.shape[0] else np.vstack([Xh, Yh]).mean(0)
    rng = as_rng(seed)
    pick = lambda A: A[np.sort(rng.choice(A.shape[0], size=max_rows, replace=False))] if A.shape[0] > max_rows else A  # noqa: E731
    Z = np.vstack([pick(Xh), pick(Yh)]) - mu
    R = Z - np.outer(Z @ u, u)
    _, _, vt = np.linalg.svd(R, full_matrices=False)
    v = vt[0]
    v = v - (v @ u) * u
    v /= np.linalg.norm(v) if np.linalg.norm(v) > 0 else 1.0
    j = int(np.argmax(np.abs(v)))  # deterministic sign (as sklearn's svd_flip)
    v = v if v[j] >= 0 else -v
    B = np.vstack([u, v])
    return (Xh - mu) @ B.T, (Yh - mu) @ B.T, B


def _draw_plane(ax, res, X, Y, *, names, max_points, seed):
    from embgeo.validation import as_rng

    Px, Py, _ = gap_plane(X, Y, res.gap_vector, seed=seed)
    rng = as_rng(seed)
    n = Px.shape[0]
    show = np.sort(rng.choice(n, size=max_points, replace=False)) if n > max_points else np.arange(n)
    if Px.shape[0] == Py.shape[0]:
        for i in show[: min(30, show.size)]:  # a few matched pairs
            ax.plot([Px[i, 0], Py[i, 0]], [Px[i, 1], Py[i, 1]], color="#cccccc", lw=0.5, zorder=1)
    ax.scatter(Px[show, 0], Px[show, 1], s=6, color=BLUE, alpha=0.6, label=plain(names[0]), zorder=2)
    showy = show[show < Py.shape[0]]
    ax.scatter(Py[showy, 0], Py[showy, 1], s=6, color=ORANGE, alpha=0.6, label=plain(names[1]), zorder=2)
    cx, cy = Px.mean(0), Py.mean(0)
    ax.annotate("", xy=cx, xytext=cy, arrowprops=dict(arrowstyle="-|>", color=RED, lw=2), zorder=4)
    ax.plot(*np.vstack([cx, cy]).T, "o", color=RED, ms=4, zorder=4, label=f"gap vector, ‖Δ‖ = {res.gap_centroid_distance:.3f}")
    ax.set_xlabel("gap direction u = Δ/‖Δ‖")
    ax.set_ylabel("top principal direction orthogonal to u")
    ax.set_title("both modalities on one projection", fontsize=10)
    ax.legend(fontsize=8, loc="best", markerscale=2)
    ax.set_aspect("equal", adjustable="datalim")


def _draw_projection(ax, res, *, names):
    px, py = res.projection_x, res.projection_y
    stairs(ax, px.hist_counts, px.hist_edges, label=names[0], color=BLUE, fill=True)
    stairs(ax, py.hist_counts, py.hist_edges, label=names[1], color=ORANGE, fill=True)
    lo = min(trim_range(px.hist_counts, px.hist_edges)[0], trim_range(py.hist_counts, py.hist_edges)[0])
    hi = max(trim_range(px.hist_counts, px.hist_edges)[1], trim_range(py.hist_counts, py.hist_edges)[1])
    ax.set_xlim(lo, hi)
    ax.set_xlabel("projection x̂·u on the gap direction")
    ax.set_ylabel("density")
    ax.set_title(plain(f"centroid gap ‖Δ‖ = {res.gap_centroid_distance:.3f}"), fontsize=10)
    ax.legend(fontsize=8)


def _draw_cosines(ax, res):
    m, r = res.matched_cosines, res.random_cosines
    stairs(ax, m.hist_counts, m.hist_edges, label=f"matched pairs (mean {m.mean:.3f})", color=BLUE, fill=True)
    stairs(ax, r.hist_counts, r.hist_edges, label=f"random pairs (mean {res.random_pair_cosine:.3f})", color=GREY, fill=True)
    lo = min(trim_range(m.hist_counts, m.hist_edges)[0], trim_range(r.hist_counts, r.hist_edges)[0])
    hi = max(trim_range(m.hist_counts, m.hist_edges)[1], trim_range(r.hist_counts, r.hist_edges)[1])
    ax.set_xlim(lo, hi)
    ax.set_xlabel("cosine x̂ᵢ·ŷⱼ")
    ax.set_ylabel("density")
    ax.set_title("matched vs random cross-modal pairs", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    if res.separability is not None:
        note(ax, f"linear separability {res.separability.accuracy:.3f}")


def plot_gap(result, *, ax=None, X=None, Y=None, names=("X", "Y"), max_points: int = 2000, seed=0):
    """Figure of a :class:`~embgeo.uniformity.gap.GapResult`.

    With the data (``X``, ``Y``: the two row-paired sets), the first panel shows
    both modalities on the shared 2-D projection of :func:`gap_plane` with the gap
    vector; without them, the distribution of each set's projection on the gap
    direction. The last panel compares matched-pair and random-pair cosines. With
    ``ax``, only the first panel is drawn into it.
    """
    have_data = X is not None and Y is not None
    sweep = getattr(result, "sweep", None)
    ncols = (3 if have_data else 2) + (1 if sweep is not None and ax is None else 0)
    fig, axes = figure(ncols, ax=ax)
    if have_data:
        _draw_plane(axes[0], result, X, Y, names=names, max_points=max_points, seed=seed)
    else:
        _draw_projection(axes[0], result, names=names)
    if ax is None:
        if have_data:
            _draw_projection(axes[1], result, names=names)
        _draw_cosines(axes[2 if have_data else 1], result)
        if sweep is not None:
            draw_sweep(axes[-1], sweep)
    return fig


def draw_sweep(ax, sweep):
    """Recall@1 both ways (and zero-shot hit@1) against the shift λ, with the contrastive loss on a second axis.

    λ = 0 is the data as given, λ = 1 removes the gap, λ < 0 enlarges it."""
    lam = np.asarray(sweep.shift, dtype=np.float64)
    cols = sweep.columns
    ax.plot(lam, cols["recall_at_1_x_to_y"], "-o", ms=3, color=BLUE, label="recall@1 x→y")
    ax.plot(lam, cols["recall_at_1_y_to_x"], "-s", ms=3, color=ORANGE, label="recall@1 y→x")
    if "zero_shot_hit_at_1" in cols:
        ax.plot(lam, cols["zero_shot_hit_at_1"], "-^", ms=3, color=GREY, label="zero-shot hit@1")
    for v, style in ((0.0, ":"), (1.0, "--")):
        if lam.min() <= v <= lam.max():
            ax.axvline(v, color=GREY, lw=0.8, ls=style)
    ax.set_xlabel("shift λ (0 = as given, 1 = gap removed)")
    ax.set_ylabel("recall / hit rate")
    ax.set_ylim(-0.02, 1.02)
    ax2 = ax.twinx()
    ax2.plot(lam, cols["contrastive_loss"], "-", color=RED, lw=1.2, label="contrastive loss")
    ax2.set_ylabel(plain(f"contrastive loss (τ = {_temperature(sweep):g})"), color=RED)
    ax.set_title("shift sweep", fontsize=10)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=7, loc="lower left")


def _temperature(sweep) -> float:
    return float(getattr(sweep, "temperature", float("nan")))


def plot_centroid_gap(result, *, ax=None, X=None, Y=None, names=("X", "Y"), max_points: int = 2000, seed=0):
    """Both sets on the gap plane with the gap vector (needs ``X`` and ``Y``) for a :class:`CentroidGap`."""
    from embgeo.errors import EmbgeoError

    if X is None or Y is None:
        raise EmbgeoError("the centroid-gap plot needs the two sets (X=, Y=)")
    fig, axes = figure(1, ax=ax)
    _draw_plane(axes[0], result, X, Y, names=names, max_points=max_points, seed=seed)
    return fig
