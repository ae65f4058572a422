"""The report's per-layer figure: one axes per quantity against the layer (report-only)."""
from __future__ import annotations

import math

import numpy as np

from embgeo.plots._common import BLUE, GREY, figure, plain

TITLES = {"twonn": "TwoNN ID", "mle": "MLE ID", "gride": "GRIDE ID (plateau)", "pca": "PCA participation ratio", "rankme": "RankMe",
          "entropy": "matrix entropy (id)", "overlap": "kNN overlap with next layer", "dataset_entropy": "dataset entropy",
          "prompt_entropy": "prompt entropy", "curvature": "curvature (rad)", "rank_spearman": "rank axis: held-out ρ",
          "probe_accuracy": "probe accuracy", "label_overlap": "label overlap"}
CHANCE = {"probe_accuracy": "probe_chance", "label_overlap": "label_overlap_chance"}


def plot_layer_curves(names, curves: dict, keys, *, max_cols: int = 4):
    """``curves[key]`` (per-layer values, None where missing) for each of ``keys`` on its own axes;
    ``<key>_ci_low``/``_ci_high`` as a band, chance companions (``probe_chance`` …) dashed."""
    n = max(len(keys), 1)
    cols = min(max_cols, n)
    fig, axes = figure(cols, math.ceil(n / cols), width=3.4, height=2.6)
    x = np.arange(len(names))
    for a, key in zip(axes, keys):
        y = np.array([np.nan if v is None else v for v in curves[key]], dtype=float)
        xs = x[: y.size]
        a.plot(xs, y, marker="o", color=BLUE, lw=1.5)
        if f"{key}_ci_low" in curves:
            a.fill_between(xs, curves[f"{key}_ci_low"], curves[f"{key}_ci_high"], color=BLUE, alpha=0.2, lw=0)
        if CHANCE.get(key) in curves:
            a.plot(xs, curves[CHANCE[key]], color=GREY, ls="--", lw=1)
        a.set_title(plain(TITLES.get(key, key)), fontsize=9)
        a.set_xticks(x if len(x) <= 13 else x[:: max(1, len(x) // 12)])
        a.set_xticklabels([plain(names[i]) for i in (x if len(x) <= 13 else x[:: max(1, len(x) // 12)])], rotation=45, fontsize=6)
        a.tick_params(labelsize=7)
    for a in axes[len(keys):]:
        a.set_visible(False)
    return fig
