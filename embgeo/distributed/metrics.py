"""Uniformity and intrinsic dimension on a Dask cluster (see :mod:`embgeo.distributed.cluster`).

:func:`uniformity` and :func:`intrinsic_dimension` take the same parameters and
return the same results as :func:`embgeo.uniformity.core.uniformity` and
:func:`embgeo.intrinsic.summary.intrinsic_dimension`, plus ``client``:

* exact uniformity — ranges of row tiles of the upper triangle run on the
  workers with the single-process tile kernel (same tiles, same float32 GEMMs);
  the ranges' float64 log-sums are merged with a log-sum-exp;
* sampled uniformity — the client draws the pairs with the same seeded
  generator (:func:`embgeo.uniformity.kernels.draw_pairs`); workers
  read only the rows their batches touch and return float64 squared distances;
* intrinsic dimension — the exact kNN search and the scatter spectra run on the
  cluster; TwoNN / MLE / GRIDE and their bootstraps read the gathered
  distances on the client (approximate kNN runs on the client).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from embgeo.distributed.cluster import NpyFile, block_ranges, gather_in_order, n_workers, share, task_matrix
from embgeo.errors import EmbgeoError
from embgeo.validation import as_matrix, as_rng, iter_blocks, sample_note

#: pairs per task of the sampled mode (64 sampler batches)
PAIRS_PER_TASK = 65536


# --------------------------------------------------------------------------- sampled squared distances


def _pairs_task(data, i_all: np.ndarray, j_all: np.ndarray, *, name: str, normalize: bool) -> np.ndarray:
    """Worker: squared distances of the given pairs, in the sampler's batches (same arithmetic)."""
    from embgeo.uniformity import kernels as K

    out = np.empty(i_all.size, dtype=np.float64)
    for s in range(0, i_all.size, K.SAMPLE_BATCH):
        e = min(i_all.size, s + K.SAMPLE_BATCH)
        i, j = i_all[s:e], j_all[s:e]
        idx = np.unique(np.concatenate([i, j]))
        rows = _Rows(data, idx) if isinstance(data, NpyFile) else data
        R = K.read_rows(rows, idx, name=name, normalize=normalize)
        diff = R[np.searchsorted(idx, i)]
        diff -= R[np.searchsorted(idx, j)]
        out[s:e] = np.einsum("ij,ij->i", diff, diff)
    return out


@dataclass(frozen=True, slots=True)
class _Rows:
    """Indexable stand-in for a file whose rows ``idx`` are read once (the mapping closed after)."""

    data: NpyFile
    idx: np.ndarray

    def __getitem__(self, idx):
        return self.data.take(idx)


def sample_sq_distances(X, n_pairs: int, rng, *, client, name: str = "X", normalize: bool = True, data=None, progress=None) -> np.ndarray:
    """:func:`embgeo.uniformity.kernels.sample_sq_distances` with the batches on the workers.

    The pairs are drawn on the client from ``rng`` exactly as in one process, so
    the same seed gives the same pairs and the same float64 distances.
    """
    from embgeo.uniformity import kernels as K

    n = X.shape[0]
    i_all, j_all = K.draw_pairs(n, int(n_pairs), rng)
    data = data if data is not None else share(client, X, "auto")
    ranges = [(s, min(n_pairs, s + PAIRS_PER_TASK)) for s in range(0, int(n_pairs), PAIRS_PER_TASK)]
    futures = [client.submit(_pairs_task, data, i_all[a:b], j_all[a:b], name=name, normalize=normalize, pure=False) for a, b in ranges]
    return np.concatenate(gather_in_order(client, futures, progress, [b - a for a, b in ranges])) if futures else np.empty(0)


# --------------------------------------------------------------------------- exact uniformity


@dataclass(frozen=True, slots=True)
class _TilePrep:
    """How a worker turns stored rows into the rows the exact kernel wants (as in one process)."""

    normalize: bool
    in_place: bool
    scale: np.ndarray | None
    shift: np.ndarray | None
    sq: np.ndarray | None
    dtype: str


def _uniformity_task(data, prep: _TilePrep, r0: int, r1: int, *, t: float, block, device) -> float:
    """Worker: ``log Σ exp(−t‖p_i − p_j‖²)`` over the pairs ``i < j`` with ``i`` in ``[r0, r1)``."""
    from embgeo.uniformity import kernels as K

    X = task_matrix(data)
    n = X.shape[0]
    dtype = np.dtype(prep.dtype)

    def get_rows(a: int, b: int) -> np.ndarray:  # the preparation of exact uniformity in embgeo.uniformity.core
        blk = np.asarray(X[a:b])
        if prep.in_place:
            return blk
        if prep.normalize:
            out = blk * prep.scale[a:b, None].astype(dtype)
        else:
            out = (blk.astype(np.float64) - prep.shift).astype(dtype)
        return np.ascontiguousarray(out, dtype=dtype)

    common = dict(t=t, unit=prep.normalize, sq=prep.sq, dtype=dtype, block=block, row_range=(r0, r1))
    if device is None or device == "numpy":
        return K.exact_logsum_numpy(get_rows, n, **common)
    return K.exact_logsum_torch(get_rows, n, device=str(device), **common)


def _exact_value(client, X, data, *, t: float, normalize: bool, device, block, name: str, progress) -> tuple[float, str]:
    from embgeo.uniformity import kernels as K
    from embgeo.uniformity.core import PREP_BLOCK, scan_norms

    n, d = X.shape
    dtype = np.dtype(X.dtype)
    norms, colsum = scan_norms(X, name=name, normalize=normalize)  # one blockwise pass on the client; bad rows raise here
    scale = 1.0 / norms if normalize else None
    shift = None if normalize else colsum / n
    in_place = bool(normalize and X.flags.c_contiguous and float(np.max(np.abs(norms - 1.0))) <= 8 * float(np.finfo(dtype).eps))
    sq = None
    if not normalize:  # float64 squared norms of the centred rows, as prepared
        sq = np.empty(n, dtype=np.float64)
        for a, b in iter_blocks(n, PREP_BLOCK):
            blk = (np.asarray(X[a:b]).astype(np.float64) - shift).astype(dtype).astype(np.float64)
            sq[a:b] = np.einsum("ij,ij->i", blk, blk)
    prep = client.scatter(_TilePrep(normalize, in_place, scale, shift, sq, dtype.str), broadcast=True, hash=False)
    rb, cb = K.tile_plan(n, block)
    ranges = block_ranges(n, rb, 8 * n_workers(client))
    futures = [client.submit(_uniformity_task, data, prep, a, b, t=t, block=block, device=device, pure=False) for a, b in ranges]
    # pairs per range, for the progress bar: Σ over its rows i of (n − i)
    sizes = [int((b - a) * n - (b * (b - 1) - a * (a - 1)) // 2) for a, b in ranges]
    logs = np.array(gather_in_order(client, futures, progress, sizes), dtype=np.float64)
    finite = logs[np.isfinite(logs)]
    if finite.size == 0:
        total = -math.inf
    else:
        m = float(finite.max())
        total = m + math.log(math.fsum(np.exp(finite - m)))
    backend = "dask:numpy" if device is None or device == "numpy" else f"dask:torch:{device}"
    return total - math.log(n * (n - 1) / 2.0), backend


def uniformity(
    X,
    *,
    client,
    t: float = 2.0,
    normalize: bool = True,
    mode: str = "auto",
    n_pairs: int | None = None,
    confidence: float = 0.95,
    seed=0,
    device: str | None = None,
    backend: str = "auto",
    block: int | None = None,
    exact_max_n: int | None = None,
    summary_pairs: int | None = None,
    name: str = "X",
    share_data: str = "auto",
    progress=None,
):
    """:func:`embgeo.uniformity.core.uniformity` (Wang & Isola 2020) with its work on a Dask cluster.

    ``log mean_{i<j} exp(−t‖x_i − x_j‖²)``, t = 2, rows L2-normalised by default;
    modes, defaults and the interval are those of the single-process function,
    and the same ``seed`` gives the same value (within 1e-9).
    """
    from embgeo.uniformity import core as U
    from embgeo.arguments import check_level
    from embgeo.uniformity.checks import check_positive
    from embgeo.uniformity.stats import log_mean_exp_interval, summarize

    n_pairs = U.DEFAULT_N_PAIRS if n_pairs is None else n_pairs
    exact_max_n = U.EXACT_MAX_N if exact_max_n is None else exact_max_n
    summary_pairs = U.SUMMARY_PAIRS if summary_pairs is None else summary_pairs
    t = check_positive("t", t)
    confidence = check_level(confidence)
    if mode not in U.MODES:
        raise EmbgeoError(f"mode must be one of {', '.join(U.MODES)}; got {mode!r}")
    if not isinstance(n_pairs, (int, np.integer)) or n_pairs < 2:
        raise EmbgeoError(f"n_pairs must be an integer of at least 2, got {n_pairs!r}")
    if block is not None and (not isinstance(block, (int, np.integer)) or block < 1):
        raise EmbgeoError(f"block must be a positive integer, got {block!r}")
    rng = as_rng(seed)
    from embgeo.uniformity import kernels as K

    # as the single-process function: normalised rows at any scale (an exact power-of-two rescale), raw rows whose
    # squares over/underflow refused (their kernel e^(−t·1e320) is no float)
    X = as_matrix(X, name=name, min_rows=2, allow_nonfinite=True, allow_zero_rows=True, rescale=bool(normalize), scale_hint=K.raw_scale_hint())
    n, d = X.shape
    chosen = mode if mode != "auto" else ("exact" if n <= exact_max_n else "sample")
    sphere = U.uniformity_sphere(d, t) if normalize else math.nan
    data = share(client, X, share_data)
    value_range = (0.0, 4.0) if normalize else None
    if chosen == "exact":
        from embgeo.uniformity.core import exact_engine

        value, backend = _exact_value(client, X, data, t=t, normalize=normalize, device=exact_engine(device, backend, check_gpu=False), block=block,
                                      name=name, progress=progress)
        sq = sample_sq_distances(X, summary_pairs, rng, client=client, name=name, normalize=normalize, data=data)
        return U.UniformityResult(
            uniformity=value, t=t, normalized=normalize, mode="exact", n_rows=n, n_dims=d,
            n_pairs=n * (n - 1) // 2, ci_low=math.nan, ci_high=math.nan, se=math.nan, confidence=confidence,
            mean_kernel=math.exp(value), uniformity_sphere=sphere, backend=backend,
            sq_distances=summarize(sq, what="squared distance of random pairs", exact=False, value_range=value_range),
        )
    sq = sample_sq_distances(X, int(n_pairs), rng, client=client, name=name, normalize=normalize, data=data, progress=progress)
    est = log_mean_exp_interval(-t * sq, confidence=confidence)
    return U.UniformityResult(
        uniformity=est.value, t=t, normalized=normalize, mode="sample", n_rows=n, n_dims=d,
        n_pairs=int(n_pairs), ci_low=est.low, ci_high=est.high, se=est.se, confidence=confidence,
        mean_kernel=math.exp(est.value), uniformity_sphere=sphere, backend="dask:numpy",
        interval_method=est.method, effective_pairs=est.effective_pairs,
        sq_distances=summarize(sq[:summary_pairs], what="squared distance of random pairs", exact=False, value_range=value_range),
    )


# --------------------------------------------------------------------------- intrinsic dimension


def intrinsic_dimension(X, *, client, share_data: str = "auto", **kwargs):
    """:func:`embgeo.intrinsic.summary.intrinsic_dimension` with kNN and spectra on a Dask cluster.

    Same parameters (``methods``, ``k``, ``gride_max``, ``sample``, ``approx``,
    ``seed``, ``duplicates``, ``metric``, ``backend``, ``device``, …) and the same
    report: the rows are sampled and deduplicated exactly as in one process, the
    neighbour search runs on the workers (:func:`embgeo.distributed.cluster.knn`) and is
    handed to the single-process estimators, and PCA / RankMe / entropy read
    scatter spectra summed on the workers.
    """
    from embgeo.distributed import cluster as D
    from embgeo.intrinsic import summary as R

    methods = R.parse_methods(kwargs.pop("methods", R.METHODS))
    seed = kwargs.get("seed", 0)
    k = kwargs.get("k", 20)
    if not isinstance(k, (int, np.integer)) or k < 3:
        raise EmbgeoError(f"k must be an integer ≥ 3 (MLE averages k/2..k); got {k!r}")
    X = as_matrix(X, name="X", min_rows=3)
    rows = R.sample_rows(X.shape[0], kwargs.get("sample"), seed)
    Xs = X if rows is None else np.asarray(X[rows])
    nb_methods = tuple(m for m in methods if m in R.NEIGHBOR_METHODS)
    spectral = tuple(m for m in methods if m not in R.NEIGHBOR_METHODS)
    progress = kwargs.pop("progress", None)
    if nb_methods:
        neighbors = kwargs.pop("neighbors", None)
        if neighbors is None:
            need = R.neighbors_needed(nb_methods, k=int(k), gride_max=int(kwargs.get("gride_max", 64)))
            R.check_enough_rows(Xs.shape[0], nb_methods, k=int(k), gride_max=int(kwargs.get("gride_max", 64)))
            Xd, _, _ = R.prepare_points(Xs, min_rows=need + 2, duplicates=kwargs.get("duplicates", "drop"))
            neighbors = D.knn(Xd, need, client=client, metric=kwargs.get("metric", "euclidean"), approx=kwargs.get("approx", False),
                              seed=seed, backend=kwargs.get("backend", "auto"), device=kwargs.get("device", "cpu"),
                              check_duplicates=False, share_data=share_data, progress=progress)
        report = R.intrinsic_dimension(X, methods=nb_methods, neighbors=neighbors, **kwargs)
    else:  # spectral methods only: no neighbour search, no duplicate handling
        notes = [R.high_id_note()]
        note = sample_note(kwargs.get("sample"), X.shape[0], seed)  # the note of the single-process report
        if note is not None:
            notes.append(note)
        report = R.IntrinsicReport(int(Xs.shape[0]), int(Xs.shape[0]), 0, rows is not None, methods, notes=tuple(notes),
                                   confidence=float(kwargs.get("confidence", 0.95)), n_rows_in=int(X.shape[0]))
    if spectral:
        extra = D.spectral_dimensions(Xs, client=client, methods=spectral, share_data=share_data if rows is None else "scatter")
        report = dataclasses.replace(report, methods=R.parse_methods(methods), **extra)
    return report
