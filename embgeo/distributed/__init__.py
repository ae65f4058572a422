"""Blockwise work on a Dask cluster (``--scheduler``): :mod:`~embgeo.distributed.cluster`
(connecting, sharing data, kNN and scatter spectra) and :mod:`~embgeo.distributed.metrics`
(uniformity and intrinsic dimension with the same results as the single-process path).
Nothing here imports dask until a function is called."""
from embgeo.distributed.cluster import connect, scheduler_address

__all__ = ["connect", "scheduler_address"]
