"""Metrics over embedding matrices: uniformity, intrinsic dimension, rankability, cosine pitfalls."""
from embgeo.metrics.uniformity import alignment, uniformity_sphere  # noqa: E402,F401  (not `uniformity`: it would shadow the module)
from embgeo.metrics.gap import modality_gap  # noqa: E402,F401
from embgeo.metrics.intrinsic import gride_dimension, mle_dimension, twonn_dimension  # noqa: E402,F401
from embgeo.metrics.intrinsic_spectral import matrix_entropy, pca_dimension, rankme  # noqa: E402,F401
from embgeo.metrics.intrinsic_report import intrinsic_dimension  # noqa: E402,F401
from embgeo.metrics.layers import layer_dimensions, neighbourhood_overlap  # noqa: E402,F401
