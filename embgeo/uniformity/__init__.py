"""Uniformity and alignment (Wang & Isola 2020) and the modality gap (Liang et al. 2022).

- :mod:`embgeo.uniformity.core` — :func:`uniformity`, :func:`alignment`,
  :func:`uniformity_sphere` (closed form on S^(d−1)) and their results;
- :mod:`embgeo.uniformity.kernels` — the exact blockwise sum and the pair sampler;
- :mod:`embgeo.uniformity.stats` — distribution summaries and the sampled-mode interval;
- :mod:`embgeo.uniformity.checks` — the parameter checks the family shares;
- :mod:`embgeo.uniformity.gap` — :func:`modality_gap` (and :func:`centroid_gap`), built from
  :mod:`~embgeo.uniformity.gap_measures` (centroid gap, retrieval, separability, mixup) and
  returning the results of :mod:`~embgeo.uniformity.gap_results`.

The package is callable: ``embgeo.uniformity(X)`` is :func:`embgeo.uniformity.core.uniformity`.
"""
from embgeo._callable import make_callable
from embgeo.uniformity.core import AlignmentResult, UniformityResult, alignment, uniformity, uniformity_sphere
from embgeo.uniformity.gap import CentroidGap, GapResult, centroid_gap, modality_gap

__all__ = [
    "uniformity", "alignment", "uniformity_sphere", "modality_gap", "centroid_gap",
    "UniformityResult", "AlignmentResult", "GapResult", "CentroidGap",
]

make_callable(__name__, "uniformity")
