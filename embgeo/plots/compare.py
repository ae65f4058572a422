"""Figures of ``compare``: a heat-map of one metric over many spaces, or one pair's measures
with their intervals and null bands."""
from __future__ import annotations

import numpy as np

from embgeo.plots._common import BLUE, GREY, figure, plain


def _pick(metric, available):
    if metric is None:
        return "cka_linear" if "cka_linear" in available else available[0]
    if metric == "imbalance" and "imbalance_xy" in available:
        return "imbalance"
    if metric not in available:
        from embgeo.errors import EmbgeoError, param

        raise EmbgeoError(f"{param('metric', '--plot-metric')} {metric!r} was not computed (computed: {', '.join(available)})", hint="pick one of the computed metrics")
    return metric


def plot_compare_matrix(result, *, metric: str | None = None, k: int | None = None, ax=None):
    """Heat-map of ``result.matrix(metric)`` (names × names), each cell labelled with its value."""
    ids = [m for m, _ in result.metric_ids()]
    metric = _pick(metric, ids)
    if metric == "mutual_knn" and k is None:
        k = next(kk for m, kk in result.metric_ids() if m == "mutual_knn")
    M = result.matrix(metric, k)
    L = len(result.names)
    fig, (ax,) = figure(ax=ax, width=max(4.0, 0.55 * L + 2.5), height=max(3.4, 0.5 * L + 1.8))
    im = ax.imshow(np.ma.masked_invalid(M), cmap="viridis", vmin=np.nanmin(M) if np.isfinite(M).any() else 0, vmax=np.nanmax(M) if np.isfinite(M).any() else 1)
    labels = [plain(n if len(n) <= 24 else "…" + n[-23:]) for n in result.names]
    ax.set_xticks(range(L), labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(L), labels, fontsize=7)
    if L <= 16:
        lo, hi = np.nanmin(M), np.nanmax(M)
        for i in range(L):
            for j in range(L):
                if np.isfinite(M[i, j]):
                    dark = hi > lo and (M[i, j] - lo) / (hi - lo) < 0.5
                    ax.text(j, i, f"{M[i, j]:.2f}", ha="center", va="center", fontsize=6, color="white" if dark else "black")
    label = metric + (f"@{k}" if metric == "mutual_knn" else "") + (" (row → column)" if metric == "imbalance" else "")
    ax.set_title(plain(label))
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def plot_compare_pair(result, *, ax=None, **_):
    """One pair: every measure as a dot with its bootstrap interval, the permutation-null band in grey."""
    ms = list(result.measures)
    fig, (ax,) = figure(ax=ax, width=5.2, height=0.35 * len(ms) + 1.4)
    for i, m in enumerate(ms):
        y = len(ms) - 1 - i
        if m.null_low is not None and m.null_high is not None:
            ax.plot([m.null_low, m.null_high], [y, y], color=GREY, lw=6, alpha=0.4, solid_capstyle="butt")
        if m.ci_low is not None and m.ci_high is not None:
            ax.plot([m.ci_low, m.ci_high], [y, y], color=BLUE, lw=1.5)
        ax.plot([m.value], [y], "o", color=BLUE, ms=4)
    ax.set_yticks(range(len(ms)), [plain(m.metric + (f"@{m.k}" if m.k else "")) for m in ms][::-1], fontsize=7)
    ax.set_xlabel("value (grey: permutation null band; blue: bootstrap interval)")
    ax.set_title(plain(f"{result.x} vs {result.y}"), fontsize=8)
    return fig


def plot_compare(result, *, metric: str | None = None, ax=None):
    """A :class:`~embgeo.compare.CompareMatrix` as a heat-map, a :class:`~embgeo.compare.CompareResult` as a dot plot."""
    if hasattr(result, "pairs"):
        return plot_compare_matrix(result, metric=metric, ax=ax)
    return plot_compare_pair(result, ax=ax)
