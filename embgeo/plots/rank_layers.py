"""Held-out rank-axis Spearman per layer (:class:`embgeo.rank.layers.RankLayersResult`)."""
from __future__ import annotations

import numpy as np

from embgeo.plots._common import BLUE, GREY, PALETTE, figure, plain


def plot_rank_layers(result, *, ax=None):
    """ρ of every axis method against the layer, with its bootstrap interval; the random-direction
    band (95th percentile of |ρ|) shaded grey; the best layer marked."""
    fig, (a,) = figure(1, 1, ax=ax, width=max(4.6, 0.5 * len(result.layers) + 2.5), height=3.4)
    x = np.arange(len(result.layers))
    methods = list(dict.fromkeys(m for r in result.results for m, s in r.methods.items() if m not in ("knn", "mlp", "pca")))
    for j, method in enumerate(methods):
        rho = np.array([r.methods[method].spearman if method in r.methods else np.nan for r in result.results], dtype=float)
        lo = np.array([r.methods[method].spearman_ci[0] if method in r.methods else np.nan for r in result.results], dtype=float)
        hi = np.array([r.methods[method].spearman_ci[1] if method in r.methods else np.nan for r in result.results], dtype=float)
        c = PALETTE[j % len(PALETTE)]
        a.plot(x, rho, marker="o", color=c, lw=1.5, label=plain(method))
        if np.isfinite(lo).any():
            a.fill_between(x, lo, hi, color=c, alpha=0.15, lw=0)
    band = np.array([r.random.spearman if r.random is not None else np.nan for r in result.results], dtype=float)
    if np.isfinite(band).any():
        a.fill_between(x, -band, band, color=GREY, alpha=0.2, lw=0, label="random directions (95 %)")
    b = result.best()
    if b is not None:
        a.axvline(b, color=BLUE, ls=":", lw=1)
    a.axhline(0, color="black", lw=0.5)
    a.set_xticks(x)
    a.set_xticklabels([plain(n) for n in result.layers], rotation=45 if len(x) > 6 else 0, fontsize=7)
    a.set_xlabel("layer", fontsize=8)
    a.set_ylabel("held-out Spearman ρ", fontsize=8)
    a.set_title(plain(f"rank axis of '{result.attribute}' per layer"), fontsize=9)
    a.legend(fontsize=7)
    return fig
