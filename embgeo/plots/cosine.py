"""Cosine diagnostics: random-pair vs neighbour cosines, rogue-dimension bars, k-occurrence.

Draws what :mod:`embgeo.cosine.diagnostics` keeps for plots: the random-pair cosine
histograms (raw, centred and an isotropic Gaussian of the same size), the cosines
to the k nearest neighbours, each dimension's share of the mean cosine (Timkey &
van Schijndel 2021), and the k-occurrence distribution ``N_k`` (Radovanović et al.
2010) before and after centring.
"""
from __future__ import annotations

import numpy as np

from embgeo.plots._common import BLUE, GREEN, GREY, ORANGE, RED, figure, note, plain, stairs, trim_range

#: bars drawn in the rogue-dimension panel
TOP_BARS = 20


def _edges():
    from embgeo.cosine.common import COSINE_EDGES

    return COSINE_EDGES


def _draw_pair_cosines(ax, a, *, neighbours=None, k=None):
    e = a.hist_edges
    stairs(ax, a.hist_counts, e, label=f"random pairs (mean {a.mean_cosine:.3f})", color=BLUE, fill=True)
    stairs(ax, a.centred_hist_counts, e, label=f"random pairs, centred ({a.centred_mean_cosine:.3f})", color=GREEN)
    stairs(ax, a.baseline_hist_counts, e, label="isotropic Gaussian, same n and d", color=GREY, ls="--")
    lo, hi = trim_range(a.hist_counts + a.centred_hist_counts + a.baseline_hist_counts, e)
    if neighbours is not None and np.sum(neighbours) > 0:
        stairs(ax, neighbours, _edges(), label=f"{k} nearest neighbours", color=ORANGE, fill=True)
        hi = max(hi, trim_range(neighbours, _edges())[1])
        lo = min(lo, trim_range(neighbours, _edges())[0])
    ax.set_xlim(lo, hi)
    ax.set_xlabel("cosine similarity")
    ax.set_ylabel("density")
    ax.set_title("random-pair vs neighbour cosines", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")


def _draw_rogue(ax, r, *, top=TOP_BARS):
    shares = np.asarray(r.shares, dtype=np.float64)
    order = np.argsort(-shares, kind="stable")[: min(top, shares.size)]
    x = np.arange(order.size)
    colors = [RED if j in set(int(t) for t in r.top_dimensions) else BLUE for j in order]
    ax.bar(x, 100 * shares[order], color=colors)
    ax.axhline(100.0 / r.n_dims, color=GREY, ls="--", lw=1, label=f"even share (1/{r.n_dims})")
    ax.set_xticks(x)
    ax.set_xticklabels([str(int(j)) for j in order], rotation=90, fontsize=7)
    ax.set_xlabel("dimension")
    ax.set_ylabel("share of the mean cosine (%)")
    ax.set_title(plain(f"rogue dimensions: top {r.top} hold {100 * r.top_share:.1f} %"), fontsize=10)
    ax.legend(fontsize=8)


def _draw_occurrence(ax, h):
    k = h.k
    top = max(len(h.raw.occurrence_hist), len(h.centred.occurrence_hist), len(h.baseline.occurrence_hist))
    edges = np.arange(top + 1) - 0.5
    for occ, label, color, fill, ls in (
        (h.raw.occurrence_hist, f"raw (skew {h.raw.skewness:.2f})", BLUE, True, "-"),
        (h.centred.occurrence_hist, f"centred (skew {h.centred.skewness:.2f})", GREEN, False, "-"),
        (h.baseline.occurrence_hist, f"isotropic Gaussian (skew {h.baseline.skewness:.2f})", GREY, False, "--"),
    ):
        c = np.zeros(top)
        c[: len(occ)] = occ
        stairs(ax, c, edges, density=False, label=label, color=color, fill=fill, ls=ls)
    ax.axvline(2 * k + 0.5, color=RED, lw=1, ls=":", label=f"hub threshold N_k > {2 * k}")
    ax.set_xlabel(f"k-occurrence N_k (k = {k})")
    ax.set_ylabel("rows")
    ax.set_title(plain(f"hubness: {100 * h.raw.hub_share:.1f} % hubs, {100 * h.raw.antihub_share:.1f} % anti-hubs"), fontsize=10)
    ax.legend(fontsize=7)


def plot_cosine(result, *, ax=None):
    """Figure of a :class:`~embgeo.cosine.diagnostics.CosineReport`: three panels (cosine
    histograms, rogue dimensions, k-occurrence); with ``ax``, the cosine histograms only."""
    fig, axes = figure(3, ax=ax, width=4.8)
    _draw_pair_cosines(axes[0], result.anisotropy, neighbours=result.hubness.raw.neighbour_cosine_hist, k=result.k)
    note(axes[0], f"verdict: {result.anisotropy.verdict().status}", loc="upper right")
    if ax is None:
        _draw_rogue(axes[1], result.rogue_dimensions)
        _draw_occurrence(axes[2], result.hubness)
    return fig


def plot_anisotropy(result, *, ax=None):
    """Random-pair cosines of an :class:`AnisotropyResult` (raw, centred, Gaussian baseline)."""
    fig, axes = figure(1, ax=ax)
    _draw_pair_cosines(axes[0], result)
    return fig


def plot_rogue_dimensions(result, *, ax=None, top: int = TOP_BARS):
    """Bars of each dimension's share of the mean cosine (a :class:`RogueDimensionsResult`)."""
    fig, axes = figure(1, ax=ax)
    _draw_rogue(axes[0], result, top=top)
    return fig


def plot_hubness(result, *, ax=None):
    """The k-occurrence histogram of a :class:`HubnessResult` (raw, centred, baseline)."""
    fig, axes = figure(1, ax=ax)
    _draw_occurrence(axes[0], result)
    return fig
