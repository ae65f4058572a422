"""Intrinsic dimension: TwoNN, MLE, GRIDE (:mod:`~embgeo.intrinsic.estimators`), PCA,
RankMe and matrix entropy (:mod:`~embgeo.intrinsic.spectral`), the combined
:func:`intrinsic_dimension` (:mod:`~embgeo.intrinsic.summary`) and per-layer curves
(:mod:`~embgeo.intrinsic.layers`)."""
from embgeo.intrinsic.estimators import GrideResult, MLEResult, TwoNNResult, gride_dimension, mle_dimension, twonn_dimension
from embgeo.intrinsic.layers import LayerReport, layer_dimensions, neighbourhood_overlap
from embgeo.intrinsic.spectral import EntropyResult, PCAResult, RankMeResult, matrix_entropy, pca_dimension, rankme
from embgeo.intrinsic.summary import IntrinsicReport, intrinsic_dimension

__all__ = [
    "intrinsic_dimension", "twonn_dimension", "mle_dimension", "gride_dimension",
    "pca_dimension", "rankme", "matrix_entropy", "layer_dimensions", "neighbourhood_overlap",
    "IntrinsicReport", "TwoNNResult", "MLEResult", "GrideResult", "PCAResult", "RankMeResult",
    "EntropyResult", "LayerReport",
]
