"""Layer by Layer: the per-layer metric suite of Skean et al. (2025) and the token-cloud
geometry of Viswanathan et al. (2025).

* :mod:`~embgeo.layers.entropy` — prompt and dataset α-entropy with the reference preprocessing;
* :mod:`~embgeo.layers.curvature` — mean angle between consecutive token-difference vectors;
* :mod:`~embgeo.layers.infonce` — InfoNCE between two views (τ = 0.1) and 1 − L/log N;
* :mod:`~embgeo.layers.lidar` — LiDAR (LDA matrix over augmentations, δ = 1e-4) and DiME;
* :mod:`~embgeo.layers.tokens` — per-text GRIDE, TwoNN, overlap χ(k), pairwise cosine, block shuffle;
* :func:`layer_suite` — all of them per layer, as one result (``embgeo layers``).
"""
from embgeo.layers.curvature import curvature, curvatures
from embgeo.layers.entropy import (
    ENTROPY_NORMS, dataset_entropy, normalise_entropy, prompt_entropies, reference_entropy, reference_normalise,
    reference_pool, spectrum_entropy,
)
from embgeo.layers.infonce import infonce
from embgeo.layers.lidar import dime, lda_matrix, lidar
from embgeo.layers.suite import LayerSuiteResult, layer_suite
from embgeo.layers.tokens import block_shuffle, pairwise_cosine, token_geometry

__all__ = [
    "layer_suite", "LayerSuiteResult", "reference_entropy", "prompt_entropies", "dataset_entropy", "reference_pool",
    "reference_normalise", "spectrum_entropy", "normalise_entropy", "ENTROPY_NORMS", "curvature", "curvatures",
    "infonce", "lidar", "lda_matrix", "dime", "token_geometry", "pairwise_cosine", "block_shuffle",
]
