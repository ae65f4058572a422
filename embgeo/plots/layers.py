"""Per-layer curves of :class:`embgeo.layers.LayerSuiteResult`: one axes per quantity."""
from __future__ import annotations

import math

import numpy as np

from embgeo.plots._common import BLUE, PALETTE, figure, plain

#: quantities drawn, in this order (a ``*_sd`` companion becomes the band around its mean)
ORDER = ("prompt_entropy", "dataset_entropy", "curvature", "infonce", "infonce_mi", "lidar", "dime",
         "token_gride", "token_twonn", "token_cosine_mean", "loss_spearman")


def plot_layer_suite(result, *, ax=None, max_cols: int = 4):
    """Each metric against the layer on its own axes (mean ± sd bands for token aggregates),
    plus the neighbourhood-overlap curves χ(k) between consecutive layers."""
    keys = [k for k in ORDER if k in result.values]
    has_overlap = result.overlap is not None and result.overlap.size > 0
    n = len(keys) + (1 if has_overlap else 0)
    if ax is not None:
        keys, has_overlap, n = keys[:1], False, 1
    cols = min(max_cols, max(n, 1))
    rows = math.ceil(max(n, 1) / cols)
    fig, axes = figure(cols, rows, ax=ax, width=3.6, height=2.8)
    x = np.arange(len(result.layers))
    for a, key in zip(axes, keys):
        y = np.asarray(result.values[key], dtype=np.float64)
        a.plot(x, y, marker="o", color=BLUE, lw=1.5)
        sd = result.values.get(f"{key}_sd")
        if sd is not None:
            a.fill_between(x, y - sd, y + sd, color=BLUE, alpha=0.2, lw=0)
        a.set_title(plain(key), fontsize=9)
        a.set_xlabel("layer", fontsize=8)
        a.set_xticks(x if len(x) <= 13 else x[:: max(1, len(x) // 12)])
        a.tick_params(labelsize=7)
    if has_overlap:
        a = axes[len(keys)]
        k = np.arange(1, result.overlap.shape[1] + 1)
        for i, row in enumerate(result.overlap):
            a.plot(k, row, color=PALETTE[i % len(PALETTE)], lw=1.2, label=plain(f"{result.layers[i]}→{result.layers[i + 1]}"))
        a.set_title("token overlap χ(k), next layer", fontsize=9)
        a.set_xlabel("k", fontsize=8)
        a.set_ylim(0, 1.02)
        a.tick_params(labelsize=7)
        if len(result.overlap) <= 12:
            a.legend(fontsize=6)
    for a in axes[n:]:
        a.set_visible(False)
    return fig
