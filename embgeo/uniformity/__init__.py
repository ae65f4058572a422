"""Uniformity and alignment (Wang & Isola 2020) and the modality gap (Liang et al. 2022).

- :mod:`embgeo.uniformity.core` — :func:`uniformity`, :func:`alignment`,
  :func:`uniformity_sphere` (closed form on S^(d−1));
- :mod:`embgeo.uniformity.kernels` — the exact blockwise sum and the pair sampler;
- :mod:`embgeo.uniformity.gap` — :func:`modality_gap`, :func:`centroid_gap`.

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
