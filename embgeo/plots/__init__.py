"""Figures of analysis results (matplotlib, Agg backend, PNG or SVG).

Every plot function takes a computed result (and optionally the data it came
from, e.g. the coordinates of a map) plus an optional matplotlib ``ax``, draws,
and returns the :class:`matplotlib.figure.Figure`. Nothing is shown: figures are
built on ``matplotlib.figure.Figure`` directly (no pyplot state, no GUI backend)
and written with :func:`save_figure`.

:func:`plot_result` picks the plot function from the class of the result (a
registry from class name to ``"module:function"``, imported lazily), so that the
command line can draw any result with one call (``--plot FILE``)::

    from embgeo.plots import plot_result, save_figure
    save_figure(plot_result(result), "uniformity.png")

matplotlib is imported only inside the functions that draw; importing this package first makes sure
matplotlib gets a writable configuration folder (``MPLCONFIGDIR``, :mod:`embgeo.plots._mplconfig`), so
that a read-only home does not print warnings.
"""
from __future__ import annotations

import importlib
import io
from pathlib import Path

from embgeo.errors import EmbgeoError, either
from embgeo.plots._mplconfig import use_writable_config

# before any plot module imports matplotlib (every one of them is imported through this package)
use_writable_config()

#: result class name → ``"embgeo.plots.<module>:<function>"``; extend with :func:`register`
REGISTRY: dict[str, str] = {
    # uniformity / alignment / gap (issue 3)
    "UniformityResult": "embgeo.plots.uniformity:plot_uniformity",
    "AlignmentResult": "embgeo.plots.uniformity:plot_alignment",
    "GapResult": "embgeo.plots.gap:plot_gap",
    "CentroidGap": "embgeo.plots.gap:plot_centroid_gap",
    # cosine diagnostics (issue 5)
    "CosineReport": "embgeo.plots.cosine:plot_cosine",
    "AnisotropyResult": "embgeo.plots.cosine:plot_anisotropy",
    "RogueDimensionsResult": "embgeo.plots.cosine:plot_rogue_dimensions",
    "HubnessResult": "embgeo.plots.cosine:plot_hubness",
    # intrinsic dimension (issue 4)
    "IntrinsicReport": "embgeo.plots.intrinsic:plot_intrinsic",
    "LayerReport": "embgeo.plots.intrinsic:plot_layers",
    # rank axes (issue 6)
    "RankResult": "embgeo.plots.rank:plot_rank",
    "FewShotCurve": "embgeo.plots.rank:plot_fewshot",
    "RankLayersResult": "embgeo.plots.rank_layers:plot_rank_layers",
    # the layer-wise suite and comparing spaces
    "LayerSuiteResult": "embgeo.plots.layers:plot_layer_suite",
    "CompareResult": "embgeo.plots.compare:plot_compare",
    "CompareMatrix": "embgeo.plots.compare:plot_compare",
    # maps
    "ProjectionResult": "embgeo.plots.maps:plot_projection",
    # hyperbolic (issues 7 and 8)
    "TreeEmbedding": "embgeo.plots.hyperbolic:plot_tree_embedding",
    "EvalResult": "embgeo.plots.hyperbolic:plot_evaluation",
    "PoincareEmbedding": "embgeo.plots.hyperbolic:plot_poincare_embedding",
    "HmdsResult": "embgeo.plots.hyperbolic:plot_hmds",
    "ReembedResult": "embgeo.plots.hyperbolic:plot_reembed",
}

#: suffixes :func:`save_figure` writes
FORMATS = ("png", "svg")


def register(class_name: str, target: str) -> None:
    """Map results of class ``class_name`` to the plot function ``"module:function"``."""
    if ":" not in target:
        raise EmbgeoError(f"plot target must look like 'module:function', got {target!r}")
    REGISTRY[class_name] = target


def plot_function(result):
    """The plot function registered for ``result``'s class (or one of its base classes), or None."""
    for cls in type(result).__mro__:
        target = REGISTRY.get(cls.__name__)
        if target is not None:
            module, _, name = target.partition(":")
            return getattr(importlib.import_module(module), name)
    return None


def plot_result(result, *, ax=None, **kwargs):
    """Draw ``result`` with the plot function registered for its class and return the figure.

    Extra keyword arguments go to that function (e.g. ``coordinates=`` for a
    hierarchy embedding, ``X=``/``Y=`` for the modality gap). Raises
    :class:`EmbgeoError` ``"no plot for this result"`` when none applies.
    """
    fn = plot_function(result)
    if fn is None:
        raise EmbgeoError(f"no plot for this result ({type(result).__name__})", hint=either("draw it yourself from its to_dict() or to_frame()", "drop --plot for this command"))
    return fn(result, ax=ax, **kwargs)


def _format_of(path: Path, fmt: str | None) -> str:
    f = (fmt or path.suffix.lstrip(".")).lower()
    if f not in FORMATS:
        raise EmbgeoError(f"cannot write a plot as '{f or path.name}'", source=str(path), hint="use a .png or .svg file name")
    return f


def save_figure(fig, path, *, fmt: str | None = None, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (PNG or SVG, from the suffix or ``fmt``) atomically; returns the path.

    The figure is rendered by the Agg canvas (no display is needed) and written to
    a temporary file beside ``path`` that is renamed onto it only when complete.
    """
    from embgeo.io.writers import atomic_path

    path = Path(path)
    f = _format_of(path, fmt)
    with atomic_path(path, suffix=f".{f}") as tmp:
        with open(tmp, "wb") as fh:
            fh.write(figure_bytes(fig, fmt=f, dpi=dpi))
    return path


def figure_bytes(fig, *, fmt: str = "png", dpi: int = 110) -> bytes:
    """The encoded image of ``fig`` (``png`` or ``svg``), rendered with Agg."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if fmt not in FORMATS:
        raise EmbgeoError(f"cannot encode a plot as '{fmt}'", hint="use png or svg")
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # metadata without dates keeps SVG/PNG output identical from run to run
    meta = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight", metadata=meta)
    return buf.getvalue()


__all__ = ["REGISTRY", "FORMATS", "register", "plot_function", "plot_result", "save_figure", "figure_bytes"]
