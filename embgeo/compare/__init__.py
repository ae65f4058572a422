"""``compare``: two (or more) embedding spaces of the same items — the same geometry?

- :mod:`embgeo.compare.core` — :func:`compare` (one pair), :func:`compare_many` (a matrix),
  :func:`prefix` and :func:`quantize` (Matryoshka and quantised copies);
- :mod:`embgeo.compare.cka` — linear CKA (biased and unbiased HSIC), RBF CKA, Procrustes residual;
- :mod:`embgeo.compare.neighbours` — mutual kNN overlap (shared kNN engine);
- :mod:`embgeo.compare.imbalance` — information imbalance Δ(X→Y), Δ(Y→X);
- :mod:`embgeo.compare.procrustes` — cross-space retrieval after a Procrustes map;
- :mod:`embgeo.compare.rsa` — Spearman correlation of pairwise distances;
- :mod:`embgeo.compare.align` — rows joined by id (or row order when no input has ids); :func:`check_same_rows` and
  :func:`paired_matrices`, the checks of the measures taken alone (two matrices of the same items, row for row);
- :mod:`embgeo.compare.results` — :class:`CompareResult`, :class:`CompareMatrix`, the verdict thresholds;
- :mod:`embgeo.compare.replicates` — bootstrap intervals and permutation-null bands;
- :mod:`embgeo.compare.distributed` — the kNN-based measures on a Dask cluster (``client=``, ``--scheduler``).

The package is callable: ``embgeo.compare(X, Y)`` is :func:`embgeo.compare.core.compare`.
"""
from embgeo._callable import make_callable
from embgeo.compare.align import Aligned, align_rows, check_same_rows, paired_matrices
from embgeo.compare.cka import hsic_biased, hsic_unbiased, linear_cka, procrustes_residual
from embgeo.compare.core import (
    DEFAULT_MEASURES, EXACT_MAX_ROWS, MEASURES, CompareMatrix, CompareResult, Measure, compare, compare_many, prefix, quantize,
)
from embgeo.compare.imbalance import information_imbalance
from embgeo.compare.neighbours import mutual_knn
from embgeo.compare.rsa import rsa

__all__ = [
    "compare", "compare_many", "prefix", "quantize", "CompareResult", "CompareMatrix", "Measure", "MEASURES", "DEFAULT_MEASURES",
    "EXACT_MAX_ROWS", "align_rows", "Aligned", "check_same_rows", "paired_matrices", "linear_cka", "procrustes_residual", "hsic_biased", "hsic_unbiased", "mutual_knn",
    "information_imbalance", "rsa",
]

make_callable(__name__, "compare")
