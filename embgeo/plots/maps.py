"""2-D maps (UMAP, PCA, hyperbolic UMAP on the Poincaré disk) coloured by a label or an attribute."""
from __future__ import annotations

import numpy as np

from embgeo.plots._common import BLUE, GREY, PALETTE, figure, note, plain

#: categories with their own colour and legend entry; the rest are drawn grey as "other"
MAX_CATEGORIES = 10


def _is_numeric(values) -> bool:
    v = np.asarray(values)
    return v.dtype.kind in "biuf"


def plot_projection(result, *, ax=None, color=None, color_name: str | None = None, point_size: float | None = None,
                    max_categories: int = MAX_CATEGORIES):
    """Scatter a :class:`~embgeo.projection.ProjectionResult`.

    ``color`` (n_samples,) over the *input* rows (the map's ``rows`` pick from it):
    numbers → a continuous colour scale with a colour bar (NaN drawn grey);
    anything else → categories, the ``max_categories`` most frequent with their own
    colour and a legend, the rest grey. On the disk (hyperbolic UMAP) the unit circle
    is drawn. The caveat that UMAP distances are not metric is written under the map.
    """
    from matplotlib.patches import Circle

    C = np.asarray(result.coordinates)
    fig, axes = figure(1, ax=ax, width=6.4, height=5.6)
    a = axes[0]
    size = point_size if point_size is not None else float(np.clip(8000.0 / max(C.shape[0], 1), 3.0, 20.0))
    if color is None:
        a.scatter(C[:, 0], C[:, 1], s=size, color=BLUE, alpha=0.7, linewidths=0)
    else:
        values = np.asarray(color)[result.rows]
        if _is_numeric(values):
            v = values.astype(np.float64)
            ok = np.isfinite(v)
            if (~ok).any():
                a.scatter(C[~ok, 0], C[~ok, 1], s=size, color="#d0d0d0", alpha=0.6, linewidths=0, label="no value")
            sc = a.scatter(C[ok, 0], C[ok, 1], s=size * 1.3, c=v[ok], cmap="viridis", alpha=0.85, linewidths=0)
            cb = fig.colorbar(sc, ax=a, shrink=0.8)
            cb.set_label(plain(color_name or "value"))
            if (~ok).any():
                a.legend(fontsize=8, loc="best", markerscale=2)
        else:
            v = values.astype(str)
            cats, counts = np.unique(v, return_counts=True)
            order = cats[np.argsort(-counts, kind="stable")]
            shown = list(order[:max_categories])
            rest = ~np.isin(v, shown)
            if rest.any():
                a.scatter(C[rest, 0], C[rest, 1], s=size, color=GREY, alpha=0.4, linewidths=0, label=f"other ({int(rest.sum())})")
            for i, cat in enumerate(shown):
                sel = v == cat
                a.scatter(C[sel, 0], C[sel, 1], s=size, color=PALETTE[i % len(PALETTE)], alpha=0.8, linewidths=0, label=plain(cat))
            a.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), markerscale=2, title=plain(color_name) if color_name else None,
                     title_fontsize=8)
    if result.disk:
        a.add_patch(Circle((0, 0), 1.0, fill=False, color="#444444", lw=1.0))
        a.set_xlim(-1.05, 1.05)
        a.set_ylim(-1.05, 1.05)
        a.set_xticks([])
        a.set_yticks([])
    a.set_aspect("equal", adjustable="datalim" if not result.disk else "box")
    if result.method == "pca" and result.explained_variance is not None:
        ev = result.explained_variance
        a.set_xlabel(f"PC1 ({100 * ev[0]:.1f} % of variance)")
        a.set_ylabel(f"PC2 ({100 * ev[1]:.1f} % of variance)")
    elif not result.disk:
        a.set_xticks([])
        a.set_yticks([])
    title = {"umap": "UMAP", "pca": "PCA", "hyperbolic-umap": "hyperbolic UMAP (Poincaré disk)"}[result.method]
    by = f", coloured by {color_name}" if color_name else ""
    a.set_title(plain(f"{title} of {result.n_mapped} rows{by}"), fontsize=10)
    if result.method != "pca":
        note(a, "UMAP distances are not metric", loc="lower right")
    return fig
