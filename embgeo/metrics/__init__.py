"""Metrics over embedding matrices: uniformity, intrinsic dimension, rankability, cosine pitfalls."""
from embgeo.metrics.uniformity import alignment, uniformity, uniformity_sphere  # noqa: E402,F401
from embgeo.metrics.gap import modality_gap  # noqa: E402,F401
