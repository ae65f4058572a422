"""Shared helpers of the plot modules: figures without pyplot, safe text, colours, histograms."""
from __future__ import annotations

import numpy as np

#: colours used across plots (matplotlib's tab10, named)
BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, PINK, GREY, OLIVE, CYAN = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
PALETTE = (BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, PINK, GREY, OLIVE, CYAN)


def figure(ncols: int = 1, nrows: int = 1, *, ax=None, width: float = 4.6, height: float = 3.4, squeeze: bool = True):
    """``(fig, axes)``: the figure of ``ax`` and ``[ax]`` when an axes is given, else a new
    ``Figure`` (no pyplot, Agg canvas) with ``nrows × ncols`` axes. ``axes`` is a flat list
    (one element when ``ax`` is given, whatever ``ncols``)."""
    if ax is not None:
        return ax.figure, [ax]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    return fig, axes


def plain(text) -> str:
    """User text for matplotlib with mathtext switched off (``$`` escaped)."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def stairs(ax, counts, edges, *, density: bool = True, label=None, color=None, fill: bool = False, **kw):
    """Draw a histogram given as ``counts`` on ``edges`` (as a density when asked); returns the heights."""
    counts = np.asarray(counts, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.float64)
    heights = counts
    if density:
        total = counts.sum()
        widths = np.diff(edges)
        heights = counts / (total * widths) if total > 0 else counts * 0.0
    ax.stairs(heights, edges, label=None if label is None else plain(label), color=color, fill=fill,
              alpha=0.35 if fill else 1.0, **kw)
    return heights


def trim_range(counts, edges, *, pad: int = 1) -> tuple[float, float]:
    """The x-range that holds the non-empty bins of a histogram (plus ``pad`` bins each side)."""
    counts = np.asarray(counts)
    nz = np.flatnonzero(counts > 0)
    if nz.size == 0:
        return float(edges[0]), float(edges[-1])
    lo = max(0, nz[0] - pad)
    hi = min(len(edges) - 1, nz[-1] + 1 + pad)
    return float(edges[lo]), float(edges[hi])


def finite(x) -> bool:
    return x is not None and np.isfinite(x)


def note(ax, text: str, *, loc: str = "upper right") -> None:
    """A small text box inside ``ax`` (plain text, no mathtext)."""
    x, ha = (0.98, "right") if "right" in loc else (0.02, "left")
    y, va = (0.97, "top") if "upper" in loc else (0.03, "bottom")
    ax.text(x, y, plain(text), transform=ax.transAxes, ha=ha, va=va, fontsize=8,
            bbox=dict(boxstyle="round,pad=0.3", facecolor="white", edgecolor="#cccccc", alpha=0.9))


def trapz(y, x) -> float:
    """Trapezoidal integral (``np.trapezoid`` on numpy ≥ 2, ``np.trapz`` before)."""
    fn = getattr(np, "trapezoid", None) or getattr(np, "trapz")
    return float(fn(y, x))
