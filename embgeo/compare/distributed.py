"""``compare`` on a Dask cluster (``--scheduler``, ``client=``): the kNN-based measures.

* the neighbour lists of mutual kNN and of the information imbalance come from
  :func:`embgeo.distributed.cluster.knn` (query blocks of the single-process size on the
  workers, the same kernels; ``approx=True`` runs pynndescent on the client, as there);
* the imbalance's exact ranks run in ranges of score tiles on the workers
  (:func:`embgeo.compare.imbalance.ranks_range`): each range starts at a multiple of the
  single-process tile, so every worker runs the very GEMMs of the one-process pass and the
  integer ranks are the same.

The permutation nulls and bootstraps of these measures reshuffle the gathered lists and ranks
on the client; CKA, Procrustes, retrieval and RSA run on the client. Nothing here imports dask
until a function is called.
"""
from __future__ import annotations

import math

import numpy as np


def neighbour_lists(M: np.ndarray, k: int, *, client, metric: str, approx: bool = False, seed: int = 0):
    """``(indices (n, k), Neighbors)`` as :func:`embgeo.compare.neighbours.neighbour_lists`, searched on the cluster."""
    from embgeo.distributed.cluster import knn

    nb = knn(M, k, client=client, metric=metric, exclude_self=True, approx=approx, seed=seed)
    return np.asarray(nb.indices, dtype=np.int64), nb


def _ranks_task(P, sq, targets, a: int, b: int, *, metric: str, rows: int) -> np.ndarray:
    """Worker: the ranks of query rows ``[a, b)`` (futures arrive resolved)."""
    from embgeo.compare.imbalance import ranks_range

    return ranks_range(P, sq, targets, a, b, metric=metric, rows=rows)


def ranks_of(M: np.ndarray, targets: np.ndarray, *, client, metric: str = "cosine", dtype=np.float64, tile_bytes: int = 64 << 20) -> np.ndarray:
    """:func:`embgeo.compare.imbalance.ranks_of` with the score tiles spread over the cluster's workers."""
    from embgeo.compare.imbalance import prepare, tile_rows
    from embgeo.distributed.cluster import n_workers, share

    P, sq = prepare(M, metric, dtype)
    n = P.shape[0]
    rows = tile_rows(n, dtype, tile_bytes)
    tiles = math.ceil(n / rows)
    per = max(1, math.ceil(tiles / (4 * n_workers(client))))
    ranges = [(s * rows, min(n, (s + per) * rows)) for s in range(0, tiles, per)]
    data = share(client, P, "scatter")
    sq_f = None if sq is None else client.scatter(sq, broadcast=True, hash=False)
    t_f = client.scatter(np.asarray(targets, dtype=np.int64), broadcast=True, hash=False)
    futures = [client.submit(_ranks_task, data, sq_f, t_f, a, b, metric=metric, rows=rows, pure=False) for a, b in ranges]
    return np.concatenate(client.gather(futures))
