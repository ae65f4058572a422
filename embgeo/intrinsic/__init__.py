"""Intrinsic dimension: TwoNN, MLE, GRIDE (:mod:`~embgeo.intrinsic.estimators`), the
calibrated TwoNN (:mod:`~embgeo.intrinsic.corrected`), PCA, RankMe and matrix entropy
(:mod:`~embgeo.intrinsic.spectral`), the combined :func:`intrinsic_dimension`
(:mod:`~embgeo.intrinsic.summary`; method registry :mod:`~embgeo.intrinsic.methods`, sampling
:mod:`~embgeo.intrinsic.sampling`) returning an :class:`IntrinsicReport`
(:mod:`~embgeo.intrinsic.result`), and per-layer curves (:mod:`~embgeo.intrinsic.layers`)."""
from embgeo.intrinsic.corrected import CalibratedResult, calibrated_dimension
from embgeo.intrinsic.estimators import GrideResult, MLEResult, TwoNNResult, gride_dimension, mle_dimension, twonn_dimension
from embgeo.intrinsic.layers import LayerReport, layer_dimensions, neighbourhood_overlap
from embgeo.intrinsic.spectral import EntropyResult, PCAResult, RankMeResult, matrix_entropy, pca_dimension, rankme
from embgeo.intrinsic.result import IntrinsicReport
from embgeo.intrinsic.summary import intrinsic_dimension

__all__ = [
    "intrinsic_dimension", "twonn_dimension", "calibrated_dimension", "mle_dimension", "gride_dimension",
    "pca_dimension", "rankme", "matrix_entropy", "layer_dimensions", "neighbourhood_overlap",
    "IntrinsicReport", "TwoNNResult", "MLEResult", "GrideResult", "PCAResult", "RankMeResult",
    "EntropyResult", "LayerReport", "CalibratedResult",
]
