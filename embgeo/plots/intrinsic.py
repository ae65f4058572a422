"""Intrinsic dimension against scale and per layer.

- :func:`plot_intrinsic` (an :class:`~embgeo.intrinsic.summary.IntrinsicReport`):
  GRIDE's estimate against the neighbourhood scale (Denti et al. 2022) with ±2
  standard errors, the TwoNN and MLE estimates with their intervals as bands, and
  the PCA spectrum (cumulative explained variance, with the participation ratio).
- :func:`plot_layers` (a :class:`~embgeo.intrinsic.layers.LayerReport`): every
  estimator per layer and the neighbourhood overlap between consecutive layers.
"""
from __future__ import annotations

import numpy as np

from embgeo.plots._common import BLUE, GREEN, GREY, ORANGE, PALETTE, PURPLE, RED, figure, plain


def _band(ax, value, interval, *, color, label):
    lo, hi = interval if interval is not None else (None, None)
    ax.axhline(value, color=color, lw=1.3, ls="--", label=label)
    if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi):
        ax.axhspan(lo, hi, color=color, alpha=0.12, lw=0)


def _draw_scale(ax, rep):
    drew = False
    g = rep.gride
    if g is not None and g.dimension.size:
        s = np.asarray(g.scale, dtype=np.float64)
        d = np.asarray(g.dimension, dtype=np.float64)
        e = np.asarray(g.stderr, dtype=np.float64)
        ax.fill_between(s, d - 2 * e, d + 2 * e, color=BLUE, alpha=0.2, lw=0)
        ax.plot(s, d, "o-", color=BLUE, label="GRIDE (±2 s.e.)")
        for si, n2 in zip(s, g.n2):
            ax.annotate(f"n2={int(n2)}", (si, 0), xycoords=("data", "axes fraction"), fontsize=6, rotation=90,
                        xytext=(0, 2), textcoords="offset points", color=GREY)
        ax.set_xscale("log")
        drew = True
    if rep.twonn is not None:
        _band(ax, rep.twonn.dimension, rep.twonn.interval, color=ORANGE, label=f"TwoNN {rep.twonn.dimension:.2f}")
        drew = True
    if rep.mle is not None:
        _band(ax, rep.mle.dimension, rep.mle.interval, color=GREEN, label=f"MLE k={rep.mle.k1}..{rep.mle.k2}: {rep.mle.dimension:.2f}")
        drew = True
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
    ax.plot(k, c, color=PURPLE, label="cumulative explained variance")
    for level, comps, col in ((0.9, pca.components_90, GREY), (0.95, pca.components_95, GREY), (0.99, pca.components_99, GREY)):
        ax.axhline(level, color=col, lw=0.6, ls=":")
        ax.plot([comps], [level], "o", color=RED, ms=4)
        ax.annotate(f"{int(comps)} for {int(level * 100)} %", (comps, level), fontsize=7, xytext=(4, -10), textcoords="offset points")
    ax.axvline(pca.participation_ratio, color=ORANGE, ls="--", lw=1.2, label=f"participation ratio {pca.participation_ratio:.1f}")
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


def plot_layers(result, *, ax=None):
    """Per-layer curves of every estimator (dimension-like ones on the left axis) and the overlap χ."""
    curves = result.curves()
    L = len(result.names)
    x = np.arange(L)
    fig, axes = figure(1 if ax is not None else 2, ax=ax, width=5.2)
    a = axes[0]
    for i, m in enumerate(result.methods):
        if m == "entropy":
            continue  # on [0, 1]: drawn with the overlap
        vals = np.array([np.nan if v is None else float(v) for v in curves[m]])
        a.plot(x, vals, "o-", color=PALETTE[i % len(PALETTE)], label=m)
    a.set_xticks(x)
    a.set_xticklabels([plain(n) for n in result.names], rotation=45 if L > 6 else 0, ha="right" if L > 6 else "center", fontsize=8)
    a.set_xlabel("layer")
    a.set_ylabel("intrinsic dimension / effective rank")
    a.set_title("intrinsic dimension per layer", fontsize=10)
    a.legend(fontsize=7)
    if ax is None:
        b = axes[1]
        if L > 1:
            b.plot(x[:-1] + 0.5, curves["overlap"], "s-", color=RED, label=f"neighbourhood overlap χ (k={result.overlap_k}), l→l+1")
        if "entropy" in result.methods:
            b.plot(x, [np.nan if v is None else float(v) for v in curves["entropy"]], "o-", color=GREY, label="normalised matrix entropy")
        b.set_xticks(x)
        b.set_xticklabels([plain(n) for n in result.names], rotation=45 if L > 6 else 0, ha="right" if L > 6 else "center", fontsize=8)
        b.set_ylim(0, 1.02)
        b.set_xlabel("layer")
        b.set_title("overlap between consecutive layers", fontsize=10)
        b.legend(fontsize=7)
    return fig
