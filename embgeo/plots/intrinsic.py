"""Intrinsic dimension against scale and per layer.

One colour per estimate, the same in every figure (and so in the report, which draws
with these functions): :data:`COLOURS`.

- :func:`plot_intrinsic` (an :class:`~embgeo.intrinsic.result.IntrinsicReport`):
  GRIDE's estimate against the neighbourhood scale (Denti et al. 2022) with ±1.96
  standard errors and its plateau shaded, the TwoNN and MLE estimates with their
  intervals as bands (the peers' defaults dotted), and the PCA spectrum (cumulative
  explained variance, with the participation ratio).
- :func:`plot_layers` (a :class:`~embgeo.intrinsic.layers.LayerReport`): one axes per
  quantity — the intrinsic-dimension estimators (with intervals), the neighbourhood
  overlap between consecutive layers, PCA's participation ratio, RankMe and the
  matrix entropy — on a log axis where the values span more than a factor of 10.
"""
from __future__ import annotations

import numpy as np

from embgeo.plots._common import BLUE, BROWN, GREEN, GREY, ORANGE, PURPLE, RED, figure, plain

#: one colour per estimate (the peers' variants share their estimator's colour, drawn dotted)
COLOURS = {
    "twonn": ORANGE, "twonn_linear": ORANGE, "mle": GREEN, "mle_k20": GREEN, "gride": BLUE,
    "pca": PURPLE, "rankme": BROWN, "entropy": GREY, "overlap": RED,
}
LABELS = {
    "twonn": "TwoNN", "twonn_linear": "TwoNN linear fit (skdim/DADApy)", "mle": "MLE", "mle_k20": "MLE k=20 (skdim)",
    "gride": "GRIDE plateau", "pca": "PCA participation ratio", "rankme": "RankMe (effective rank)",
    "entropy": "normalised matrix entropy", "overlap": "neighbourhood overlap χ",
}
PEERS = ("twonn_linear", "mle_k20")
#: a positive quantity is drawn on a log axis when its largest value exceeds its smallest by this factor
LOG_RATIO = 10.0


def _band(ax, value, interval, *, color, label, ls="--"):
    lo, hi = interval if interval is not None else (None, None)
    ax.axhline(value, color=color, lw=1.3, ls=ls, label=label)
    if ls == "--" and lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi):
        ax.axhspan(lo, hi, color=color, alpha=0.12, lw=0)


def _draw_scale(ax, rep):
    from embgeo.intrinsic.result import interval_of, level_text, z_of

    drew = False
    rec = rep.recommended()
    read = rec.metric if rec is not None else None
    tag = lambda m: " ← read" if m == read else ""  # noqa: E731
    g = rep.gride
    if g is not None and g.dimension.size:
        s = np.asarray(g.scale, dtype=np.float64)
        d = np.asarray(g.dimension, dtype=np.float64)
        e = np.asarray(g.stderr, dtype=np.float64)
        z = z_of(rep.confidence)
        ax.fill_between(s, d - z * e, d + z * e, color=COLOURS["gride"], alpha=0.2, lw=0)
        ax.plot(s, d, "o-", color=COLOURS["gride"], label=f"GRIDE ({level_text(rep.confidence)} interval)")
        p = rep.plateau()
        if p is not None:
            ax.axvspan(s[p.first], s[p.last], color=COLOURS["gride"], alpha=0.08, lw=0,
                       label=f"plateau n2={p.n2_first}..{p.n2_last}: {p.value:.2f}{tag('gride.plateau')}")
        for si, n2 in zip(s, g.n2):
            ax.annotate(f"n2={int(n2)}", (si, 0), xycoords=("data", "axes fraction"), fontsize=6, rotation=90,
                        xytext=(0, 2), textcoords="offset points", color=GREY)
        ax.set_xscale("log")
        drew = True
    if rep.twonn is not None:
        _band(ax, rep.twonn.dimension, interval_of(rep.twonn), color=COLOURS["twonn"], label=f"TwoNN {rep.twonn.dimension:.2f}{tag('twonn')}")
        drew = True
    if rep.twonn_linear is not None:
        _band(ax, rep.twonn_linear.dimension, None, color=COLOURS["twonn_linear"], ls=":", label=f"{LABELS['twonn_linear']} {rep.twonn_linear.dimension:.2f}")
    if rep.mle is not None:
        _band(ax, rep.mle.dimension, interval_of(rep.mle), color=COLOURS["mle"], label=f"MLE k={rep.mle.k1}..{rep.mle.k2}: {rep.mle.dimension:.2f}{tag('mle')}")
        drew = True
    if rep.mle_k20 is not None:
        _band(ax, rep.mle_k20.dimension, None, color=COLOURS["mle_k20"], ls=":", label=f"{LABELS['mle_k20']} {rep.mle_k20.dimension:.2f}")
    if not drew:
        ax.text(0.5, 0.5, "no neighbour-based estimate", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("neighbourhood scale (median distance to the n2-th neighbour)")
    ax.set_ylabel("intrinsic dimension")
    ax.set_title("intrinsic dimension against scale", fontsize=10)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="best")


def _draw_spectrum(ax, pca):
    r = np.asarray(pca.explained_variance_ratio, dtype=np.float64)
    c = np.cumsum(r)
    k = np.arange(1, r.size + 1)
    ax.plot(k, c, color=COLOURS["pca"], label="cumulative explained variance")
    for level, comps in ((0.9, pca.components_90), (0.95, pca.components_95), (0.99, pca.components_99)):
        ax.axhline(level, color=GREY, lw=0.6, ls=":")
        ax.plot([comps], [level], "s", color=RED, ms=4)
        ax.annotate(f"{int(comps)} for {int(level * 100)} %", (comps, level), fontsize=7, xytext=(4, -10), textcoords="offset points")
    ax.axvline(pca.participation_ratio, color=COLOURS["pca"], ls="--", lw=1.2, label=f"participation ratio {pca.participation_ratio:.1f}")
    ax.set_xscale("log")
    ax.set_xlabel("principal components")
    ax.set_ylabel("share of the variance")
    ax.set_ylim(0, 1.02)
    ax.set_title("PCA spectrum", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")


def plot_intrinsic(result, *, ax=None):
    """ID against scale (GRIDE curve with TwoNN/MLE bands) and, without ``ax``, the PCA spectrum."""
    with_pca = ax is None and result.pca is not None
    fig, axes = figure(2 if with_pca else 1, ax=ax)
    _draw_scale(axes[0], result)
    if with_pca:
        _draw_spectrum(axes[1], result.pca)
    return fig


def _values(vals) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in vals], dtype=np.float64)


def needs_log(*arrays) -> bool:
    """Log scale when every finite value is positive and the largest exceeds the smallest by :data:`LOG_RATIO`."""
    v = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays]) if arrays else np.empty(0)
    v = v[np.isfinite(v)]
    return bool(v.size and v.min() > 0 and v.max() / v.min() > LOG_RATIO)


def _log_y(ax) -> None:
    """A log y axis with plain tick labels (3, 10, 30, not 3×10⁰)."""
    from matplotlib.ticker import FuncFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "235" else ""))


def _layer_axis(ax, names, title, ylabel):
    x = np.arange(len(names))
    many = len(names) > 6
    ax.set_xticks(x)
    ax.set_xticklabels([plain(n) for n in names], rotation=45 if many else 0, ha="right" if many else "center", fontsize=8)
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)


def layer_panels(result) -> list[str]:
    """The axes :func:`plot_layers` draws, in order: ``id`` (the estimators), ``overlap``, then ``pca``, ``rankme``, ``entropy`` as asked."""
    curves = result.curves()
    panels = []
    if any(k in curves for k in ("twonn", "twonn_linear", "mle", "mle_k20", "gride")):
        panels.append("id")
    if len(result.names) > 1:
        panels.append("overlap")
    panels += [k for k in ("pca", "rankme", "entropy") if k in curves]
    return panels


def plot_layers(result, *, ax=None):
    """One axes per quantity across layers (see :func:`layer_panels`); with ``ax``, the first only."""
    curves = result.curves()
    intervals = result.intervals()
    names = list(result.names)
    x = np.arange(len(names))
    panels = layer_panels(result) or ["id"]
    if ax is not None:
        panels = panels[:1]
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = figure(ncols, nrows, ax=ax, width=4.4, height=3.3)
    for a, panel in zip(axes, panels):
        if panel == "id":
            drawn = []
            for key in ("twonn", "twonn_linear", "mle", "mle_k20", "gride"):
                if key not in curves:
                    continue
                y = _values(curves[key])
                peer = key in PEERS
                a.plot(x, y, ":" if peer else "-", marker="." if peer else "o", color=COLOURS[key], label=LABELS[key])
                if key in intervals and not peer:
                    lo = np.array([iv[0] for iv in intervals[key]])
                    hi = np.array([iv[1] for iv in intervals[key]])
                    a.fill_between(x, lo, hi, color=COLOURS[key], alpha=0.15, lw=0)
                drawn.append(y)
            if needs_log(*drawn):
                _log_y(a)
            _layer_axis(a, names, "intrinsic dimension (estimators)", "intrinsic dimension" + (" (log)" if needs_log(*drawn) else ""))
            a.legend(fontsize=7)
        elif panel == "overlap":
            a.plot(x[:-1] + 0.5, curves["overlap"], "s-", color=COLOURS["overlap"], label=f"χ, k={result.overlap_k}, layer l → l+1")
            a.axhline(result.overlap_chance, color=GREY, ls=":", lw=1, label=f"unrelated layers ({result.overlap_chance:.3g})")
            a.set_ylim(0, 1.02)
            _layer_axis(a, names, "neighbourhood overlap between consecutive layers", "share of common neighbours")
            a.legend(fontsize=7)
        else:
            y = _values(curves[panel])
            a.plot(x, y, "o-", color=COLOURS[panel], label=LABELS[panel])
            if panel == "entropy":
                a.set_ylim(0, 1.02)
                ylabel = "normalised entropy"
            else:
                log = needs_log(y)
                if log:
                    _log_y(a)
                ylabel = ("participation ratio" if panel == "pca" else "effective rank") + (" (log)" if log else "")
            _layer_axis(a, names, LABELS[panel], ylabel)
    for a in axes[len(panels):]:
        a.set_visible(False)
    return fig
