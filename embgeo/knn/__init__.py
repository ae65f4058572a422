"""The one k-nearest-neighbour engine every analysis uses: :func:`knn`
(:mod:`~embgeo.knn.engine`), exact blockwise GEMM (:mod:`~embgeo.knn.exact`) or
approximate with pynndescent (:mod:`~embgeo.knn.approx`), and duplicate rows
found by value (:func:`find_duplicates`, :func:`drop_duplicates`)."""
from embgeo.knn.engine import BACKENDS, METRICS, DuplicateReport, Neighbors, drop_duplicates, find_duplicates, knn
from embgeo.knn.exact import exact_distances
from embgeo._callable import make_callable

__all__ = ["knn", "Neighbors", "find_duplicates", "drop_duplicates", "DuplicateReport", "exact_distances", "METRICS", "BACKENDS"]

# ``embgeo.knn`` is both this package and the function ``knn(X, k)``
make_callable(__name__, "knn")
