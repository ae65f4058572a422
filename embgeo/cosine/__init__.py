"""Cosine-similarity pitfalls: :func:`cosine_diagnostics` (:mod:`~embgeo.cosine.diagnostics`)
and its parts — anisotropy, IsoScore, rogue dimensions, norms
(:mod:`~embgeo.cosine.isotropy`), hubness and norm effects (:mod:`~embgeo.cosine.neighbors`),
post-processing (:mod:`~embgeo.cosine.postprocess`), the rescaling freedom of a
factorisation (:mod:`~embgeo.cosine.rescaling`), and retrieval against ground truth with
hubness reductions (:mod:`~embgeo.cosine.retrieval`). Each function's result class is exported
beside it (for ``isinstance`` checks and type hints)."""
from embgeo.cosine.diagnostics import CosineReport, cosine_diagnostics
from embgeo.cosine.isotropy import (
    AnisotropyResult, IsoScoreResult, NormDistribution, RogueDimensionsResult, anisotropy, isoscore, norm_distribution, rogue_dimensions,
)
from embgeo.cosine.neighbors import HubnessResult, KOccurrence, NormsResult, hubness, k_occurrence, norms
from embgeo.cosine.postprocess import PostprocessResult, TransformEffect, all_but_the_top, center, postprocess, postprocessing, whiten
from embgeo.cosine.rescaling import RescaleCase, RescalingResult, dimension_rescaling, factor_rescaling
from embgeo.cosine.retrieval import RetrievalResult, retrieval

__all__ = [
    "cosine_diagnostics", "CosineReport", "anisotropy", "isoscore", "rogue_dimensions", "norm_distribution",
    "hubness", "k_occurrence", "norms", "center", "all_but_the_top", "whiten", "postprocess", "postprocessing",
    "factor_rescaling", "dimension_rescaling", "retrieval",
    # the result classes the functions above return
    "AnisotropyResult", "IsoScoreResult", "RogueDimensionsResult", "NormDistribution", "NormsResult", "HubnessResult",
    "KOccurrence", "PostprocessResult", "TransformEffect", "RescalingResult", "RescaleCase", "RetrievalResult",
]
