"""One k-nearest-neighbour engine for every analysis.

Exact search is blockwise GEMM: for a block of ``block_rows`` queries the scores
against every database row come from one matrix product, the ``k`` best are
picked by *partial* selection (``np.argpartition`` or ``torch.topk``; never a
full row sort) and only those ``k`` are sorted. Memory is
``O(block_rows × n_samples)`` plus one prepared copy of the data.

Precision (see docs/neighbors.md and the design notes):

* Euclidean scores are computed on **centred** data (distances are
  translation-invariant) with squared norms accumulated in float64; the float32
  expansion ``‖x‖² + ‖y‖² − 2x·y`` otherwise loses everything when the data carry
  a large common offset.
* The GEMM only *selects* candidates. The ``k`` reported distances are then
  recomputed directly in float64 from the stored rows (``‖x − y‖``, ``1 − cos``,
  ``−x·y``), so a row that equals another row exactly gets distance exactly 0 and
  ``n_zero_distances`` counts duplicates by value, not by round-off.
* Self-exclusion (``exclude_self``) is by index: row ``i`` is never its own
  neighbour, but an exact duplicate ``j`` of ``i`` is, at distance 0.

Approximate search uses pynndescent (imported lazily) and measures its recall
against exact search on a seeded random sample of queries.

Duplicates break ratio estimators (``r2/r1`` with ``r1 = 0``): see
:func:`find_duplicates` and :func:`drop_duplicates`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from embgeo.arguments import check_count, check_flag
from embgeo.devices import BACKENDS, resolve_engine  # noqa: F401 (BACKENDS: re-exported by embgeo.knn)
from embgeo.errors import EmbgeoError, param, setting
from embgeo.results import Result
from embgeo.knn.approx import approx_recall, approx_search  # noqa: F401 (approx_recall: re-exported)
from embgeo.knn.exact import (
    KernelClock,
    Prepared,
    default_block_rows,
    exact_distances,
    exact_numpy,
    exact_numpy_symmetric,
    exact_torch,
    sort_rows,
)
from embgeo.validation import RowReport, as_matrix, as_scaled_matrix, check_seed, scan_rows

METRICS = ("euclidean", "cosine", "dot")
#: BACKENDS (from :mod:`embgeo.devices`): "auto", "numpy", "torch"

#: tile rows of the self-join (each pair computed once); tiles of 4096² float32 = 64 MB
SYMMETRIC_TILE = 4096
#: cosine selection is redone in float64 when the median k-th cosine distance is below this
COSINE_FLOAT64_BELOW = 1e-3
#: extra candidates selected by the float32 GEMM beyond k: the k reported neighbours are the k
#: nearest of the k + CANDIDATE_MARGIN candidates by float64 distance (ties: lower index), so a
#: float32 near-tie at the k-th place does not decide, and the first k of a k' > k search are the
#: same as a k search
CANDIDATE_MARGIN = 2


def tie_note(n_tied: int | None, n_rows: int, k: int, what: str, name: str | None = None) -> str | None:
    """The note for ``n_tied`` > 0 (:attr:`Neighbors.n_tied_kth`): how many of ``n_rows`` rows have a tie at the
    ``k``-th neighbour, and that ``what`` (the numbers read from the neighbour sets) can move with the row order
    there. None without ties."""
    if not n_tied:
        return None
    who = f"{name}: " if name else ""
    nth = f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"
    return (f"{who}{n_tied} of {n_rows} rows have a tie at their {nth} neighbour (the next row is at the same "
            f"distance): their neighbour set is one of several, picked by row number, so {what} can change with the row order "
            "(quantised or integer values; exact duplicates)")


def candidate_count(k: int, n_rows: int, exclude: bool) -> int:
    """Candidates the float32 selection keeps for a k-NN search: ``k + CANDIDATE_MARGIN``, at most all rows."""
    return min(int(k) + CANDIDATE_MARGIN, int(n_rows) - (1 if exclude else 0))


@dataclass(frozen=True, slots=True)
class Neighbors(Result):
    """The ``k`` nearest neighbours of each query row.

    ``indices`` (n_query, k) int64 and ``distances`` (n_query, k) float64, sorted
    ascending (ties broken by index). Distances: euclidean ``‖q − x‖``; cosine
    ``1 − cos(q, x)``; dot ``−q·x`` (maximum inner product). ``n_zero_distances``
    counts queries whose first neighbour is at distance exactly 0 (an exact
    duplicate when ``metric='euclidean'``). ``recall`` is the measured recall of
    approximate search on ``recall_sample`` queries (``None`` for exact search).
    ``n_tied_kth`` (exact search): queries whose k-th neighbour is at exactly the distance of the
    next candidate, so that their set of k neighbours is one of several, picked by index (quantised
    or integer data; exact duplicates too). None where it was not counted (approximate search, k = all rows).
    """

    indices: np.ndarray = field(repr=False)
    distances: np.ndarray = field(repr=False)
    metric: str
    exact: bool
    k: int
    n_samples: int
    n_query: int
    n_zero_distances: int
    exclude_self: bool
    backend: str
    device: str = "cpu"
    recall: float | None = None
    recall_sample: int = 0
    n_duplicate_rows: int | None = None
    duplicate_groups: int | None = None
    n_tied_kth: int | None = None
    #: exact numpy search only: ``search_s`` (wall time of the candidate search), ``gemm_s`` (time
    #: inside the GEMMs), ``gemm_gflop`` (their flops, ×1e9) and ``tiles``; ``None`` otherwise
    kernel: dict | None = field(default=None, repr=False, compare=False)

    @property
    def first_distances(self) -> np.ndarray:
        return self.distances[:, 0]

    def sgemm_fraction(self, peak_gflops: float | None = None) -> dict | None:
        """The search's achieved GEMM rate against the machine's sgemm rate.

        ``gemm_rate`` = GEMM flops / time in the GEMMs, ``search_rate`` = GEMM flops / wall time
        of the whole candidate search (selection and merging included); each also as a
        fraction of ``peak_gflops`` (default :func:`sgemm_rate`, measured once per process).
        ``None`` when the search was not the exact numpy path.
        """
        if not self.kernel or self.kernel.get("gemm_s", 0) <= 0:
            return None
        peak = float(peak_gflops) if peak_gflops else sgemm_rate(np.float64 if self.kernel.get("dtype") == "float64" else np.float32)
        g = self.kernel["gemm_gflop"]
        gemm_rate, search_rate = g / self.kernel["gemm_s"], g / self.kernel["search_s"]
        return {"peak_gflops": peak, "gemm_gflops": gemm_rate, "search_gflops": search_rate,
                "gemm_fraction": gemm_rate / peak, "search_fraction": search_rate / peak}

    def to_dict(self) -> dict:
        d1 = self.distances[:, 0] if self.distances.size else np.empty(0)
        return {
            "metric": self.metric,
            "exact": bool(self.exact),
            "k": int(self.k),
            "n_samples": int(self.n_samples),
            "n_query": int(self.n_query),
            "exclude_self": bool(self.exclude_self),
            "backend": self.backend,
            "device": self.device,
            "n_zero_distances": int(self.n_zero_distances),
            "n_duplicate_rows": self.n_duplicate_rows,
            "duplicate_groups": self.duplicate_groups,
            "n_tied_kth": self.n_tied_kth,
            "recall": self.recall,
            "recall_sample": int(self.recall_sample),
            "first_distance_median": float(np.median(d1)) if d1.size else None,
            "kth_distance_median": float(np.median(self.distances[:, -1])) if d1.size else None,
        }


_SGEMM_RATE: dict = {}


def sgemm_rate(dtype=np.float32, n: int = 1024, repeats: int = 3) -> float:
    """Best GEMM throughput (GFLOP/s) of an ``n³`` product in ``dtype`` on this machine; measured once
    per process and dtype (about 0.1 s), the reference for :meth:`Neighbors.sgemm_fraction`."""
    key = (np.dtype(dtype).str, n)
    if key not in _SGEMM_RATE:
        import time

        rng = np.random.default_rng(0)
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        out = np.empty((n, n), dtype=dtype)
        np.matmul(a, b, out=out)
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - t)
        _SGEMM_RATE[key] = 2.0 * n**3 / best / 1e9
    return _SGEMM_RATE[key]


# --------------------------------------------------------------------------- duplicates


@dataclass(frozen=True, slots=True)
class DuplicateReport(Result):
    """Exact duplicate rows found by value (:func:`embgeo.validation.scan_rows`).

    ``duplicate_rows`` are rows equal to an earlier row (the extra copies);
    ``duplicate_groups`` the number of distinct repeated vectors;
    ``rows_with_twin`` every row (first copies included) that has an exact twin.
    """

    n_rows: int
    duplicate_rows: np.ndarray = field(repr=False)
    duplicate_groups: int
    rows_with_twin: np.ndarray = field(repr=False)

    @property
    def n_duplicate_rows(self) -> int:
        return int(self.duplicate_rows.size)

    def to_dict(self) -> dict:
        return {
            "n_rows": int(self.n_rows),
            "duplicate_rows": int(self.duplicate_rows.size),
            "duplicate_groups": int(self.duplicate_groups),
            "rows_with_twin": int(self.rows_with_twin.size),
            "duplicate_share": float(self.duplicate_rows.size / self.n_rows) if self.n_rows else 0.0,
        }


def find_duplicates(X, *, report: RowReport | None = None) -> DuplicateReport:
    """Find rows of ``X`` (n_samples, n_features) that equal another row exactly.

    Detection is by value (a 64-bit hash per row, confirmed by exact comparison),
    never by a distance threshold: GEMM distances give duplicates tiny non-zero
    values. Memory O(block × n_features + n_samples). ``X`` must hold real numbers (as :func:`embgeo.validation.as_matrix`
    checks: objects, complex numbers and text are refused); a 2-D array is scanned as it is (NaN rows included).
    """
    if report is None:
        dtype = getattr(X, "dtype", None)
        if not hasattr(X, "shape") or len(getattr(X, "shape", ())) != 2 or (isinstance(dtype, np.dtype) and dtype.kind not in "biuf"):
            X = as_matrix(X, name="X", min_rows=1)  # raises for a dtype that is not real numbers, with the fix
        report = scan_rows(X, duplicates=True)
    dup = np.asarray(report.duplicate_rows, dtype=np.int64)
    if dup.size:
        # the first copy of each group: the earliest row equal to a duplicate
        firsts = _first_copies(X, dup)
        twins = np.unique(np.concatenate([dup, firsts]))
    else:
        twins = np.empty(0, dtype=np.int64)
    return DuplicateReport(int(report.n_rows), dup, int(report.duplicate_groups), twins)


def _first_copies(X, dup: np.ndarray) -> np.ndarray:
    """Rows not in ``dup`` that have an exact copy in ``dup`` (hash then exact check)."""
    rows = np.asarray(X[dup]).astype(np.float64) + 0.0
    keys = {r.tobytes() for r in rows}
    is_dup = np.zeros(X.shape[0], dtype=bool)
    is_dup[dup] = True
    out = []
    for start in range(0, X.shape[0], 16384):
        block = np.asarray(X[start:start + 16384]).astype(np.float64) + 0.0
        for i, r in enumerate(block):
            if not is_dup[start + i] and r.tobytes() in keys:
                out.append(start + i)
    return np.asarray(out, dtype=np.int64)


def drop_duplicates(X, *, report: DuplicateReport | None = None) -> tuple[np.ndarray, np.ndarray, DuplicateReport]:
    """Keep the first copy of every repeated row: ``(X_kept, kept_row_indices, report)``."""
    report = report or find_duplicates(X)
    if report.duplicate_rows.size == 0:
        return X, np.arange(X.shape[0]), report
    keep = np.setdiff1d(np.arange(X.shape[0]), report.duplicate_rows)
    return np.asarray(X[keep]), keep, report


# --------------------------------------------------------------------------- parameters


def check_params(metric, backend, k, n_db, n_q, exclude_self):
    """Raise an :class:`EmbgeoError` naming the parameter unless ``metric``, ``backend`` (one of :data:`BACKENDS`)
    and ``k`` suit ``n_db`` database rows (``n_q`` queries; ``exclude_self`` needs one row more). Shared with
    :func:`embgeo.distributed.cluster.knn`. (The device is checked, and ``"auto"`` resolved, by
    :func:`embgeo.devices.resolve_engine`.)"""
    if metric not in METRICS:
        raise EmbgeoError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    resolve_engine(backend, None, check_gpu=False)  # the backend alone (on the CPU: imports nothing)
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise EmbgeoError(f"k must be a positive integer; got {k!r}")
    limit = n_db - 1 if exclude_self else n_db
    if k > limit:
        raise EmbgeoError(
            f"k={k} neighbours need at least {k + 1 if exclude_self else k} rows; the data have {n_db}",
            hint=f"lower {param('k')} or pass more rows",
        )


def check_selection_dtype(selection_dtype) -> np.dtype | None:
    """``selection_dtype`` as ``float32`` or ``float64`` (None: the default, decided by the data's dtype); any other
    dtype (integers, float16, text that names no dtype) is refused in one line naming it."""
    if selection_dtype is None:
        return None
    try:
        dtype = np.dtype(selection_dtype)
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.name not in ("float32", "float64"):
        got = selection_dtype.__name__ if isinstance(selection_dtype, type) else repr(selection_dtype)
        raise EmbgeoError(f"selection_dtype must be float32 or float64 (the dtype of the candidate-selection GEMM), got {got}",
                          hint="pass selection_dtype=np.float64 for a float64 selection, or leave it out (None: float32, float64 for float64 data)")
    return dtype


# --------------------------------------------------------------------------- public API


def knn(
    X,
    k: int,
    *,
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
    progress=None,
) -> Neighbors:
    """The ``k`` nearest neighbours of each query row among the rows of ``X``.

    Parameters
    ----------
    X : array-like (n_samples, n_features); may be memory-mapped.
    k : neighbours per query.
    query : optional (n_query, n_features); default ``X`` itself.
    metric : ``"euclidean"`` (distance ``‖q − x‖``), ``"cosine"`` (``1 − cos``) or
        ``"dot"`` (maximum inner product; distance ``−q·x``).
    exclude_self : when ``query`` is ``X``, row ``i`` is not its own neighbour
        (by index: an exact duplicate of ``i`` is still found, at distance 0).
    backend, device : where the search runs: ``backend="auto"`` (default) is numpy on the CPU and torch on a GPU
        (or ``"numpy"``, CPU only, or ``"torch"``); ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"`` or
        ``"auto"`` (cuda when torch sees a GPU, else cpu). A cuda device without a GPU raises an
        :class:`EmbgeoError`. The result records the backend and device used.
    block_rows : queries per GEMM block (memory ``O(block_rows × n_samples)``);
        default keeps the score tile near 128 MB.
    approx : use pynndescent (euclidean and cosine) and measure its recall on
        ``recall_sample`` (a whole number ≥ 1; at most the queries) seeded queries against exact search.
    seed : seed for approximate search and the recall sample (a non-negative integer, a numpy Generator or None;
        checked with exact search too, which does not read it).
    check_duplicates : when ``query`` is ``X``, scan for exact duplicate rows
        (by value) and report them (``n_duplicate_rows``, ``duplicate_groups``).
    selection_dtype : dtype of the candidate-selection GEMM, ``float32`` or ``float64`` (default None: float32,
        float64 for float64 data). Reported distances are always float64.
    stream_rows : stream the database in chunks of this many rows (automatic
        for memory maps and data above 2 GiB).
    progress : optional callable ``advance(n_rows)`` called after each block.

    Returns
    -------
    Neighbors : indices and float64 distances sorted ascending.
    """
    exclude_self, approx = check_flag("exclude_self", exclude_self), check_flag("approx", approx)
    check_duplicates = check_flag("check_duplicates", check_duplicates)
    check_seed(seed)
    selection_dtype = check_selection_dtype(selection_dtype)
    self_query = query is None or query is X  # the same object: row i is the query i (as the docstring says)
    # values whose squares over/underflow are searched on X·2^e (exact), the query with the same power of two so that
    # the distances stay comparable, and the distances brought back to X's units at the end (euclidean ×2^−e, dot ×2^−2e)
    X, e = as_scaled_matrix(X, name="X", min_rows=2)
    Q = X if self_query else as_matrix(query, name="query", min_rows=1, rescale=None)
    if e and not self_query:
        Q = np.ldexp(Q.astype(np.result_type(Q.dtype, np.float32), copy=False), e)
    if Q.shape[1] != X.shape[1]:
        raise EmbgeoError(f"query has {Q.shape[1]} columns but X has {X.shape[1]}", hint="use vectors from the same space")
    exclude = bool(exclude_self and self_query)
    backend, device = resolve_engine(backend, device)  # "auto" → numpy on the CPU, torch on a GPU: decided once, here
    check_params(metric, backend, k, X.shape[0], Q.shape[0], exclude)
    k = int(k)
    if block_rows is not None:  # 0 is not "the default": None is
        block_rows = check_count("block_rows", block_rows, minimum=1, hint=f"queries per GEMM block, or {setting('block_rows', None)} for the default")
    recall_sample = check_count("recall_sample", recall_sample, minimum=1,
                               hint=f"approximate search measures its recall on this many queries, e.g. {setting('recall_sample', 200)}")
    if stream_rows is not None:
        stream_rows = check_count("stream_rows", stream_rows, minimum=1, hint=f"database rows per chunk, or {setting('stream_rows', None)} for the default")
    dtype = np.dtype(selection_dtype) if selection_dtype is not None else (np.dtype(np.float64) if X.dtype == np.float64 else np.dtype(np.float32))
    dup = find_duplicates(X) if (check_duplicates and self_query) else None
    kernel = None
    if approx:
        idx, recall, n_rec = approx_search(X, Q, k, metric=metric, exclude=exclude, seed=seed, recall_sample=recall_sample, dtype=dtype, self_query=self_query)
        exact = False
        backend_used = "pynndescent"
    else:
        clock = KernelClock()
        t0 = time.perf_counter()
        kc = candidate_count(k, X.shape[0], exclude)
        idx = _exact_indices(X, Q, kc, metric=metric, exclude=exclude, backend=backend, device=device, block_rows=block_rows, dtype=dtype, stream_rows=stream_rows, progress=progress, clock=clock)
        search_s = time.perf_counter() - t0
        recall, n_rec, exact, backend_used = None, 0, True, backend
        if clock.tiles:
            kernel = {"search_s": search_s, "gemm_s": clock.gemm_seconds, "gemm_gflop": clock.gemm_flops / 1e9, "tiles": clock.tiles, "dtype": dtype.name}
    dist = exact_distances(X, Q, idx, metric=metric)
    if not approx and metric == "cosine" and dtype == np.float32 and selection_dtype is None and np.median(dist.max(axis=1)) < COSINE_FLOAT64_BELOW:
        # nearly parallel rows: float32 cosines (error ~ sqrt(d)·6e-8) cannot rank them; select again in float64
        idx = _exact_indices(X, Q, kc, metric=metric, exclude=exclude, backend=backend, device=device, block_rows=block_rows, dtype=np.dtype(np.float64), stream_rows=stream_rows)
        dist = exact_distances(X, Q, idx, metric=metric)
    idx, dist = sort_rows(idx, dist)
    # a tie straddling the k-th place (the next candidate at the same float64 distance): the set is picked by index
    tied = int(np.count_nonzero(dist[:, k - 1] == dist[:, k])) if (exact and dist.shape[1] > k) else None
    idx, dist = np.ascontiguousarray(idx[:, :k]), np.ascontiguousarray(dist[:, :k])
    if e and metric != "cosine":  # (cosine distances do not depend on the scale)
        with np.errstate(over="ignore", under="ignore"):  # a dot product beyond float64 is ±inf (or 0): it is, in X's units
            dist = np.ldexp(dist, -e if metric == "euclidean" else -2 * e)
    return Neighbors(
        indices=idx,
        distances=dist,
        metric=metric,
        exact=exact,
        k=k,
        n_samples=int(X.shape[0]),
        n_query=int(Q.shape[0]),
        n_zero_distances=int(np.count_nonzero(dist[:, 0] == 0.0)),
        exclude_self=exclude,
        backend=backend_used,
        device=device if backend == "torch" and not approx else "cpu",
        recall=recall,
        recall_sample=n_rec,
        n_duplicate_rows=None if dup is None else dup.n_duplicate_rows,
        duplicate_groups=None if dup is None else dup.duplicate_groups,
        n_tied_kth=tied,
        kernel=kernel,
    )


def _exact_indices(X, Q, k, *, metric, exclude, backend, device, block_rows, dtype, stream_rows=None, progress=None, clock=None):
    # backend, device: as resolved by knn (backend "numpy" or "torch", never "auto"; numpy runs on the CPU)
    symmetric = Q is X and backend == "numpy" and X.shape[0] > SYMMETRIC_TILE and not block_rows
    prep = Prepared(X, metric, dtype, stream_rows, augment=symmetric)
    br = int(block_rows) if block_rows else default_block_rows(min(X.shape[0], prep.chunk_rows), dtype.itemsize)
    if br < 1:
        raise EmbgeoError(f"block_rows must be a positive integer; got {block_rows!r}")
    offset = 0 if exclude else None
    if backend == "torch":
        # torch picks its own block on a GPU (score tiles of ~1 GiB); the CPU rule otherwise
        return exact_torch(prep, Q, k, offset, int(block_rows) if block_rows else None, device, on_block=progress)
    if symmetric and prep.whole is not None:
        return exact_numpy_symmetric(prep, k, exclude, SYMMETRIC_TILE, on_block=progress, clock=clock)
    return exact_numpy(prep, Q, k, offset, br, on_block=progress, clock=clock)
