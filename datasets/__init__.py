"""Bundled sample data (installed as ``embgeo.datasets``): hierarchies and graphs, a real
sentence-embedding sample, and synthetic sets with known answers generated from a seed."""
from embgeo.datasets.registry import DATASETS, Dataset, get, path  # noqa: F401
