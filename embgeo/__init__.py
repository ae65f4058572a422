"""embgeo — the geometry of saved embeddings, and whether its similarities can be trusted.

A notebook face over a functional core::

    import embgeo as eg
    X = eg.load("emb.npy")                 # an EmbeddingSet (or pass any array / tensor)
    eg.uniformity(X)                       # Wang & Isola uniformity, exact or sampled
    eg.intrinsic_dimension(X, methods=["twonn", "mle"])
    eg.cosine_diagnostics(X)
    eg.project(X, method="pca")            # a 2-D map (UMAP, PCA, hyperbolic UMAP)
    eg.hyperbolic.hmds(D, dim=5)

Every function takes arrays (numpy, torch tensors, nested lists, or an
:class:`~embgeo.io.EmbeddingSet`) and keyword-only parameters and returns a frozen
result with ``to_dict()``, ``to_frame()`` and a notebook view. Names are loaded
lazily: ``import embgeo`` imports neither torch, umap, scikit-learn nor matplotlib.
"""
from __future__ import annotations

import importlib

from embgeo._version import __version__
from embgeo.errors import EmbgeoError, MissingExtraError

#: public name -> "module:attribute" (attribute None: the module itself)
_LAZY = {
    "load": "embgeo.io.readers:load",
    "load_layers": "embgeo.io.readers:load_layers",
    "EmbeddingSet": "embgeo.io.model:EmbeddingSet",
    "LayerStack": "embgeo.io.model:LayerStack",
    "uniformity": "embgeo.uniformity:",
    "alignment": "embgeo.uniformity.core:alignment",
    "uniformity_sphere": "embgeo.uniformity.core:uniformity_sphere",
    "modality_gap": "embgeo.uniformity.gap:modality_gap",
    "intrinsic_dimension": "embgeo.intrinsic.summary:intrinsic_dimension",
    "twonn_dimension": "embgeo.intrinsic.estimators:twonn_dimension",
    "mle_dimension": "embgeo.intrinsic.estimators:mle_dimension",
    "gride_dimension": "embgeo.intrinsic.estimators:gride_dimension",
    "layer_dimensions": "embgeo.intrinsic.layers:layer_dimensions",
    "rank_axes": "embgeo.rank.core:rank_axes",
    "cosine_diagnostics": "embgeo.cosine.diagnostics:cosine_diagnostics",
    "project": "embgeo.projection:project",
    "knn": "embgeo.knn:",
    "compare": "embgeo.compare:",
    "report": "embgeo.report:",
    "hyperbolic": "embgeo.hyperbolic:",
    "intrinsic": "embgeo.intrinsic:",
    "rank": "embgeo.rank:",
    "projection": "embgeo.projection:",
    "cosine": "embgeo.cosine:",
    "io": "embgeo.io:",
    "plots": "embgeo.plots:",
    "layers": "embgeo.layers:",
    "extract": "embgeo.extract:",
}

__all__ = ["__version__", "EmbgeoError", "MissingExtraError", *_LAZY]


def __getattr__(name: str):
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'embgeo' has no attribute {name!r}")
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attr) if attr else module
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
