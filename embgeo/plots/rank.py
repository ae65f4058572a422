"""Rank axes: held-out projection against the attribute, the few-shot curve, Spearman per method.

Draws a :class:`~embgeo.rank.core.RankResult` (Sonthalia et al., *On the
rankability of visual embeddings*): the pooled held-out scores on the axis against
the attribute, Spearman ρ of few-shot axes against the number of labelled rows
(mean, 25–75 % and 5–95 % of draws), and ρ with its bootstrap interval for every
method next to the random-direction band (95th percentile of |ρ|).
"""
from __future__ import annotations

import numpy as np

from embgeo.plots._common import BLUE, GREEN, GREY, ORANGE, RED, figure, plain


def _main_method(result):
    for name in ("axis", "regression", "pairwise", "extremes_q", "extremes", "anchors_best", "anchors", "pca"):
        if name in result.methods:
            return name, result.methods[name]
    return None, None


def _draw_scatter(ax, result, method=None):
    name, m = (method, result.methods[method]) if method else _main_method(result)
    if m is None:
        ax.text(0.5, 0.5, "no axis method ran", ha="center", va="center", transform=ax.transAxes)
        return
    s = np.asarray(m.heldout, dtype=np.float64)
    ok = np.isfinite(s)
    ax.scatter(result.y[ok], s[ok], s=8, alpha=0.6, color=BLUE)
    ax.set_xlabel(plain(f"{result.attribute}" + (" (log1p)" if result.transform == "log1p" else "")))
    ax.set_ylabel(plain(f"held-out score on the {'saved' if name == 'axis' else name} axis"))
    how = f"{result.n_folds}-fold, held out" if result.n_folds else "nothing fitted on these rows"
    ax.set_title(plain(f"{name}: Spearman ρ = {m.spearman:.3f} ({how})"), fontsize=10)


def _draw_fewshot(ax, result):
    c = result.fewshot
    k = np.asarray(c.k, dtype=np.float64)
    ax.fill_between(k, c.q05, c.q95, color=BLUE, alpha=0.15, lw=0, label="5–95 % of draws")
    ax.fill_between(k, c.q25, c.q75, color=BLUE, alpha=0.3, lw=0, label="25–75 % of draws")
    ax.plot(k, c.mean, "o-", color=BLUE, label="mean ρ")
    if "regression" in result.methods:
        ax.axhline(result.methods["regression"].spearman, color=GREEN, ls="--", lw=1.2, label="ridge regression, all training rows")
    if result.random is not None:
        ax.axhspan(-result.random.spearman, result.random.spearman, color=GREY, alpha=0.2, label="random directions (95 % of |ρ|)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(k)
    ax.set_xticklabels([str(int(v)) for v in k])
    ax.set_xlabel("labelled rows k")
    ax.set_ylabel("held-out Spearman ρ")
    ax.set_title("few-shot axes", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")


def _draw_methods(ax, result):
    from embgeo.rank.core import MethodScore

    names, rho, lo, hi = [], [], [], []
    for name, m in result.ordered():
        if isinstance(m, MethodScore):
            names.append(name)
            rho.append(m.spearman)
            ci = m.spearman_ci or [np.nan, np.nan]
            lo.append(ci[0] if ci[0] is not None else np.nan)
            hi.append(ci[1] if ci[1] is not None else np.nan)
        elif name == "fewshot":
            names.append(f"fewshot k={int(m.k[-1])}")
            rho.append(m.spearman)
            lo.append(m.q05[-1])
            hi.append(m.q95[-1])
    rho, lo, hi = (np.asarray(v, dtype=np.float64) for v in (rho, lo, hi))
    y = np.arange(len(names))
    colors = [GREY if n in ("shuffled", "pca") else ORANGE if n in ("knn", "mlp") else BLUE for n in names]
    err = np.vstack([np.clip(rho - lo, 0, None), np.clip(hi - rho, 0, None)])
    err = np.where(np.isfinite(err), err, 0.0)
    ax.barh(y, rho, xerr=err, color=colors, ecolor="#333333", capsize=2)
    if result.random is not None:
        ax.axvspan(-result.random.spearman, result.random.spearman, color=RED, alpha=0.12, label="random directions (95 % of |ρ|)")
        ax.legend(fontsize=7, loc="lower right")
    ax.axvline(0, color="#999999", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(min(-0.1, np.nanmin(lo) - 0.05 if np.isfinite(lo).any() else -0.1), 1.0)
    ax.set_xlabel("held-out Spearman ρ (bootstrap interval)")
    ax.set_title(plain(f"is '{result.attribute}' a direction?"), fontsize=10)


def plot_rank(result, *, ax=None, method: str | None = None):
    """Figure of a :class:`RankResult`: projection vs attribute, few-shot curve (when it ran) and
    Spearman per method. With ``ax``, only the projection-vs-attribute scatter is drawn."""
    ncols = 2 + int(result.fewshot is not None)
    fig, axes = figure(ncols, ax=ax)
    _draw_scatter(axes[0], result, method)
    if ax is None:
        if result.fewshot is not None:
            _draw_fewshot(axes[1], result)
        _draw_methods(axes[-1], result)
    return fig


def plot_fewshot(result, *, ax=None, reference: float | None = None, band: float | None = None):
    """The few-shot curve of a :class:`FewShotCurve` (``reference``: a ρ to draw as a line; ``band``: random |ρ|)."""

    class _View:
        fewshot = result
        methods = {}
        random = None

    view = _View()
    if reference is not None:
        view.methods = {"regression": type("M", (), {"spearman": reference})()}
    if band is not None:
        view.random = type("R", (), {"spearman": band})()
    fig, axes = figure(1, ax=ax)
    _draw_fewshot(axes[0], view)
    return fig
