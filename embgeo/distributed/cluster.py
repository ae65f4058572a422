"""Run embgeo's blockwise work on a Dask cluster (``dask.distributed``, the optional extra ``cluster``).

The single-process kernels are reused unchanged; only the loop over blocks is
handed to the workers, and the pieces are merged on the client:

* exact kNN: query blocks (aligned to the single-process GEMM blocks) against the
  whole data; :func:`embgeo.knn.exact.exact_numpy` / ``exact_torch`` on
  each worker, float64 distances from :func:`exact_distances` there too;
* exact uniformity: ranges of row tiles of the upper triangle
  (:func:`embgeo.uniformity.kernels.exact_logsum_numpy` with
  ``row_range``), log-sums merged with a log-sum-exp;
* covariance / PCA / effective rank / matrix entropy: per-block float64
  sufficient statistics — count and column sums (the mean), then the scatter
  ``Σ (x − mean)ᵀ(x − mean)`` about that mean (two passes, as in
  :func:`embgeo.intrinsic.spectral.scatter_spectrum`, so a large common
  offset does not cancel) — added on the client;
* sampled uniformity: the client draws the pairs with the same seeded
  generator as the single-process path, the workers compute their squared
  distances in float64.

Same seed → same numbers as the single-process path (within 1e-9; the merges
only reassociate float64 sums). See docs/scaling.md.

How the data reach the workers (``share``): a ``.npy`` memory map is opened by
each worker from its path (the workers must see the same file system: a
``LocalCluster`` or a shared mount); anything else is scattered once to every
worker (``broadcast=True``). ``share="scatter"`` forces the second way.

Helpers shared with :mod:`embgeo.distributed.metrics` (and any other blockwise
path): :func:`share` / :func:`task_matrix` (the data on the workers),
:func:`block_ranges` (block-aligned task ranges), :func:`gather_in_order`
(results in submission order, with progress), :func:`n_workers`.
"""
from __future__ import annotations

import math
import mmap
import os
import threading
import uuid
from dataclasses import dataclass

import numpy as np

from embgeo.errors import EmbgeoError, either, param, require, setting
from embgeo.validation import as_matrix

#: environment variable read when no scheduler is given
ENV_VAR = "EMBGEO_SCHEDULER"
SHARE_MODES = ("auto", "file", "scatter")
#: rows per block of the sufficient statistics (the single-process block, for identical sums)
STATS_BLOCK = 16384


def _distributed():
    return require("distributed", package="dask[distributed]", extra="cluster", feature=either("running on a Dask cluster", "running on a Dask cluster (--scheduler)"))


# --------------------------------------------------------------------------- connecting


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The scheduler to use: ``scheduler`` if given, else ``$EMBGEO_SCHEDULER``, else None."""
    value = scheduler if scheduler is not None else os.environ.get(ENV_VAR)
    value = (value or "").strip()
    return value or None


def connect(scheduler: str | None = None, *, n_workers: int = 2, threads_per_worker: int = 1, processes: bool = False, timeout: float = 10.0):
    """A ``distributed.Client`` for ``scheduler`` (default ``$EMBGEO_SCHEDULER``).

    ``"local"`` starts a ``LocalCluster`` of ``n_workers`` workers with
    ``threads_per_worker`` threads each (in this process unless ``processes``);
    it is closed with the client. ``"tcp://HOST:PORT"`` (or ``tls://``, ``ws://``…)
    connects to a running scheduler (``dask scheduler`` + ``dask worker`` on the
    machines, with embgeo installed on every worker). Close the client when done
    (``client.close()``, or use it as a context manager).
    """
    address = scheduler_address(scheduler)
    if address is None:
        raise EmbgeoError("no scheduler given", hint=f"pass 'local' or tcp://HOST:PORT, or set {ENV_VAR}")
    distributed = _distributed()
    if address.lower() == "local":
        import logging

        # the in-process workers share the CPU with numpy: under load Dask logs "event loop was
        # unresponsive" / "garbage collections took …" warnings, and at shutdown a race logs "Batched
        # Comm Closed" with a traceback (at INFO, after the cluster has restored its log level): none
        # says anything about the result (a failed task raises in the client), and all would mix with
        # the command's stderr. So the 'distributed' loggers of this process are set to ERROR.
        lg = logging.getLogger("distributed")
        lg.setLevel(max(lg.getEffectiveLevel(), logging.ERROR))
        return distributed.Client(
            n_workers=int(n_workers), threads_per_worker=int(threads_per_worker), processes=bool(processes),
            dashboard_address=":0", set_as_default=False, silence_logs=logging.ERROR,
        )
    if "://" not in address:
        raise EmbgeoError(f"scheduler must be 'local' or an address like tcp://HOST:PORT; got {address!r}", hint=f"check {param('scheduler')} or {ENV_VAR}")
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise EmbgeoError(
            f"could not connect to the Dask scheduler at {address} ({' '.join(str(exc).split())[:160]})",
            hint="start it with `dask scheduler` and `dask worker ADDRESS`, or use " + setting("scheduler", "local"),
        ) from None


def n_workers(client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


# --------------------------------------------------------------------------- data on the workers


@dataclass(frozen=True, slots=True)
class NpyFile:
    """A C-ordered ``.npy`` matrix that every worker opens from its path (no data travel)."""

    path: str
    offset: int
    dtype: str
    shape: tuple

    def open(self) -> np.memmap:
        return np.memmap(self.path, dtype=np.dtype(self.dtype), mode="r", offset=self.offset, shape=self.shape)

    def read(self, a: int, b: int) -> np.ndarray:
        """Rows ``[a, b)`` as a private copy; the mapping is closed at once, so the file's
        pages do not stay in this process's resident set."""
        m = self.open()
        try:
            return np.array(m[a:b])
        finally:
            _release(m)

    def take(self, idx: np.ndarray) -> np.ndarray:
        """Rows ``idx`` (sorted) read with pread (see :func:`embgeo.validation.take_rows`)."""
        from embgeo.validation import take_rows

        m = self.open()
        try:
            return take_rows(m, idx)
        finally:
            _release(m)


def _release(m: np.memmap) -> None:
    mm = getattr(m, "_mmap", None)
    if isinstance(mm, mmap.mmap):
        try:
            mm.madvise(mmap.MADV_DONTNEED)
        except (AttributeError, OSError, ValueError):  # pragma: no cover - platform without madvise
            pass


def as_npy_file(X) -> NpyFile | None:
    """The file behind ``X`` when it is a whole, C-ordered ``.npy`` memory map (not a view); else ``None``."""
    if not isinstance(X, np.memmap) or not isinstance(X.base, mmap.mmap) or not X.flags.c_contiguous:
        return None
    path = getattr(X, "filename", None)
    if not path or not os.path.exists(path) or str(path).startswith("/proc/"):
        return None  # (a spilled temporary map is readable only in this process: scatter it)
    return NpyFile(str(path), int(X.offset), X.dtype.str, tuple(int(s) for s in X.shape))


def share(client, X: np.ndarray, how: str = "auto"):
    """What the tasks receive for ``X``: an :class:`NpyFile` or a future of the array scattered to every worker."""
    if how not in SHARE_MODES:
        raise EmbgeoError(f"share must be one of {', '.join(SHARE_MODES)}; got {how!r}")
    f = as_npy_file(X) if how in ("auto", "file") else None
    if f is not None:
        return f
    if how == "file":
        raise EmbgeoError("share='file' needs a whole .npy memory map", hint="load the matrix with np.load(path, mmap_mode='r'), or use share='scatter'")
    return client.scatter(np.ascontiguousarray(X), broadcast=True, hash=False)


def task_matrix(data):
    """On a worker: the matrix behind a task's ``data`` argument (what :func:`share` returned;
    futures arrive resolved, an :class:`NpyFile` is opened as a memory map)."""
    return data.open() if isinstance(data, NpyFile) else data


def _read(data, a: int, b: int) -> np.ndarray:
    return data.read(a, b) if isinstance(data, NpyFile) else np.asarray(data[a:b])


def block_ranges(n: int, unit: int, parts: int) -> list[tuple[int, int]]:
    """Split ``range(n)`` into about ``parts`` ranges whose starts are multiples of ``unit``."""
    units = max(1, math.ceil(n / unit))
    per = max(1, math.ceil(units / max(1, parts)))
    return [(s * unit, min(n, (s + per) * unit)) for s in range(0, units, per)]


def gather_in_order(client, futures, progress=None, sizes=None):
    """Results of ``futures`` in submission order; ``progress(size)`` as each one finishes."""
    distributed = _distributed()
    if progress is not None:
        pos = {f.key: i for i, f in enumerate(futures)}
        for f in distributed.as_completed(futures, loop=client.loop):
            progress(sizes[pos[f.key]] if sizes is not None else 1)
    return client.gather(futures)


# --------------------------------------------------------------------------- exact kNN

_PREPARED: dict = {}
_PREPARED_LOCK = threading.Lock()


def _prepared(token, X, metric, dtype, stream_rows):
    """The worker's :class:`Prepared` for one search, built once per worker process."""
    from embgeo.knn.exact import Prepared

    with _PREPARED_LOCK:
        prep = _PREPARED.get(token)
        if prep is None:
            prep = _PREPARED[token] = Prepared(X, metric, np.dtype(dtype), stream_rows)
        return prep


def _forget(token) -> None:
    with _PREPARED_LOCK:
        _PREPARED.pop(token, None)


def _knn_task(data, token, q0, q1, query, *, k, metric, dtype, stream_rows, exclude, block_rows, backend, device):
    """Worker: neighbours of queries ``[q0, q1)`` (or of ``query``) with the single-process kernels."""
    from embgeo.knn.exact import exact_distances, exact_numpy, exact_torch

    X = task_matrix(data)
    prep = _prepared(token, X, metric, dtype, stream_rows)
    Q = np.asarray(X[q0:q1]) if query is None else query
    offset = q0 if exclude else None
    if backend == "torch":
        idx = exact_torch(prep, Q, k, offset, block_rows, device)
    else:
        idx = exact_numpy(prep, Q, k, offset, block_rows)
    return idx, exact_distances(X, Q, idx, metric=metric)


def _knn_indices(client, X, Q, k, *, metric, exclude, backend, device, block_rows, dtype, stream_rows, how, progress):
    from embgeo.knn.exact import MAX_PREPARED_BYTES, STREAM_ROWS, default_block_rows

    n, d = X.shape
    # the single-process plan: streamed database chunks and query block size
    streamed = isinstance(X, np.memmap) or n * d * dtype.itemsize > MAX_PREPARED_BYTES or stream_rows is not None
    chunk = int(stream_rows or STREAM_ROWS) if streamed else n
    br = int(block_rows) if block_rows else default_block_rows(min(n, chunk), dtype.itemsize)
    if br < 1:
        raise EmbgeoError(f"block_rows must be a positive integer; got {block_rows!r}")
    data = share(client, X, how)
    token = uuid.uuid4().hex
    nq = Q.shape[0]
    ranges = block_ranges(nq, br, 4 * n_workers(client))
    kw = dict(k=k, metric=metric, dtype=dtype.str, stream_rows=chunk if streamed else None, exclude=exclude,
              block_rows=br, backend=backend, device=device)
    futures = [
        client.submit(_knn_task, data, token, a, b, None if Q is X else np.ascontiguousarray(Q[a:b]), **kw, pure=False)
        for a, b in ranges
    ]
    try:
        parts = gather_in_order(client, futures, progress, [b - a for a, b in ranges])
    finally:
        client.run(_forget, token)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def knn(
    X,
    k: int,
    *,
    client,
    query=None,
    metric: str = "euclidean",
    exclude_self: bool = True,
    backend: str = "auto",
    device: str = "cpu",
    block_rows: int | None = None,
    approx: bool = False,
    seed=0,
    recall_sample: int = 200,
    check_duplicates: bool = True,
    selection_dtype=None,
    stream_rows: int | None = None,
    share_data: str = "auto",
    progress=None,
):
    """:func:`embgeo.knn.engine.knn` with the exact search spread over a Dask cluster.

    Query blocks of the single-process size run against the whole data on the
    workers (the data are opened from the ``.npy`` path or scattered once), with
    the same GEMM, partial selection and float64 distance kernels, so the result
    equals ``knn(X, k, block_rows=...)`` run in one process. (Without
    ``block_rows`` a single-process self-join of more than 4096 rows computes each
    pair once in a symmetric loop; its float32 scores can order near-ties
    differently, never the float64 distances of a neighbour both find.)
    ``approx=True`` runs pynndescent on the client (it is not distributed).
    ``backend``/``device``: where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`: ``backend="auto"``
    (the default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"``
    or ``"auto"``; resolved on the client, the GPU itself checked on the workers.
    """
    from embgeo.devices import resolve_engine
    from embgeo.knn.engine import COSINE_FLOAT64_BELOW, Neighbors, candidate_count, check_params, find_duplicates, sort_rows
    from embgeo.knn.engine import knn as knn_local

    if approx:
        return knn_local(X, k, query=query, metric=metric, exclude_self=exclude_self, approx=True, seed=seed,
                         recall_sample=recall_sample, check_duplicates=check_duplicates, selection_dtype=selection_dtype)
    self_query = query is None
    X = as_matrix(X, name="X", min_rows=2)
    Q = X if self_query else as_matrix(query, name="query", min_rows=1)
    if Q.shape[1] != X.shape[1]:
        raise EmbgeoError(f"query has {Q.shape[1]} columns but X has {X.shape[1]}", hint="use vectors from the same space")
    exclude = bool(exclude_self and self_query)
    # "auto" → numpy on the CPU, torch on a GPU (the workers' torch checks that a cuda device exists there)
    backend, device = resolve_engine(backend, device, check_gpu=False)
    check_params(metric, backend, k, X.shape[0], Q.shape[0], exclude)
    k = int(k)
    from embgeo.knn.engine import check_selection_dtype

    chosen = check_selection_dtype(selection_dtype)  # float32 or float64 only, as the local search (one rule)
    dtype = chosen if chosen is not None else (np.dtype(np.float64) if X.dtype == np.float64 else np.dtype(np.float32))
    dup = find_duplicates(X) if (check_duplicates and self_query) else None
    common = dict(metric=metric, exclude=exclude, backend=backend, device=device, block_rows=block_rows, stream_rows=stream_rows, how=share_data)
    kc = candidate_count(k, X.shape[0], exclude)  # as the single-process engine
    idx, dist = _knn_indices(client, X, Q, kc, dtype=dtype, progress=progress, **common)
    if metric == "cosine" and dtype == np.float32 and selection_dtype is None and np.median(dist.max(axis=1)) < COSINE_FLOAT64_BELOW:
        idx, dist = _knn_indices(client, X, Q, kc, dtype=np.dtype(np.float64), progress=None, **common)
    idx, dist = sort_rows(idx, dist)
    idx, dist = np.ascontiguousarray(idx[:, :k]), np.ascontiguousarray(dist[:, :k])
    return Neighbors(
        indices=idx, distances=dist, metric=metric, exact=True, k=k, n_samples=int(X.shape[0]), n_query=int(Q.shape[0]),
        n_zero_distances=int(np.count_nonzero(dist[:, 0] == 0.0)), exclude_self=exclude, backend=f"dask:{backend}",
        device=device if backend == "torch" else "cpu",
        n_duplicate_rows=None if dup is None else dup.n_duplicate_rows,
        duplicate_groups=None if dup is None else dup.duplicate_groups,
    )


# --------------------------------------------------------------------------- sufficient statistics / spectra


def _sum_task(data, a: int, b: int, block: int) -> tuple[int, np.ndarray]:
    """Worker: (count, float64 column sums) of rows ``[a, b)``, block by block."""
    d = _shape(data)[1]
    s = np.zeros(d, dtype=np.float64)
    for u in range(a, b, block):
        s += _read(data, u, min(b, u + block)).sum(axis=0, dtype=np.float64)
    return b - a, s


def _scatter_task(data, a: int, b: int, block: int, mean: np.ndarray) -> np.ndarray:
    """Worker: ``Σ (x − mean)ᵀ(x − mean)`` over rows ``[a, b)`` in float64, block by block."""
    d = _shape(data)[1]
    C = np.zeros((d, d), dtype=np.float64)
    for u in range(a, b, block):
        blk = _read(data, u, min(b, u + block)).astype(np.float64) - mean
        C += blk.T @ blk
    return C


def _shape(data) -> tuple:
    return tuple(data.shape)


def column_stats(X, *, client, share_data: str = "auto", block: int = STATS_BLOCK, _data=None) -> tuple[int, np.ndarray]:
    """``(count, column sums)`` of ``X`` (n_samples, n_features) in float64, summed over blocks on the workers."""
    n = X.shape[0]
    data = _data if _data is not None else share(client, X, share_data)
    ranges = block_ranges(n, block, 2 * n_workers(client))
    parts = client.gather([client.submit(_sum_task, data, a, b, block, pure=False) for a, b in ranges])
    total = np.zeros(X.shape[1], dtype=np.float64)
    count = 0
    for c, s in parts:  # in row order
        count += c
        total += s
    return count, total


def scatter_matrix(X, *, client, center: bool, share_data: str = "auto", block: int = STATS_BLOCK) -> np.ndarray:
    """The float64 ``(n_features × n_features)`` scatter ``ZᵀZ``, ``Z = X − mean`` if ``center`` else ``X``.

    Merged exactly from per-block statistics: pass 1 gives count and column sums
    (the mean), pass 2 the blocks' scatters about that mean, added in row order.
    """
    X = as_matrix(X, name="X", min_rows=2)
    n, d = X.shape
    data = share(client, X, share_data)
    mean = np.zeros(d)
    if center:
        count, total = column_stats(X, client=client, block=block, _data=data)
        mean = total / count
    ranges = block_ranges(n, block, 2 * n_workers(client))
    futures = [client.submit(_scatter_task, data, a, b, block, mean, pure=False) for a, b in ranges]
    C = np.zeros((d, d), dtype=np.float64)
    for f in futures:  # fetched one at a time: one d × d matrix on the client
        C += f.result()
        f.release()
    return C


def scatter_spectrum(X, *, client, center: bool, share_data: str = "auto") -> np.ndarray:
    """:func:`embgeo.intrinsic.spectral.scatter_spectrum` with the scatter summed on the cluster."""
    from embgeo.intrinsic.spectral import scatter_spectrum as local

    X = as_matrix(X, name="X", min_rows=2)
    n, d = X.shape
    if not (d <= n or d <= 4096):  # wide and short: the small n × n Gram, in one process
        return local(X, center=center)
    ev = np.linalg.eigvalsh(scatter_matrix(X, client=client, center=center, share_data=share_data))
    return np.clip(ev[::-1], 0.0, None)


def spectral_dimensions(X, *, client, methods=("pca", "rankme", "entropy"), share_data: str = "auto") -> dict:
    """PCA dimension, RankMe and matrix entropy of ``X`` from scatters summed on the cluster.

    Returns ``{method: result}`` with the results of
    :func:`~embgeo.intrinsic.spectral.pca_dimension`,
    :func:`~embgeo.intrinsic.spectral.rankme` and
    :func:`~embgeo.intrinsic.spectral.matrix_entropy` (their defaults:
    PCA centred, RankMe and entropy on the rows as given).
    """
    from embgeo.intrinsic.spectral import matrix_entropy, pca_dimension, rankme

    X = as_matrix(X, name="X", min_rows=2)
    out = {}
    if "rankme" in methods or "entropy" in methods:
        raw = scatter_spectrum(X, client=client, center=False, share_data=share_data)
        if "rankme" in methods:
            out["rankme"] = rankme(X, eigenvalues=raw)
        if "entropy" in methods:
            out["entropy"] = matrix_entropy(X, eigenvalues=raw)
    if "pca" in methods:
        out["pca"] = pca_dimension(X, eigenvalues=scatter_spectrum(X, client=client, center=True, share_data=share_data))
    return out
