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

from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.results import Result
from embgeo.validation import RowReport, as_matrix, as_rng, scan_rows

METRICS = ("euclidean", "cosine", "dot")
BACKENDS = ("numpy", "torch")

#: bytes of the score tile (block_rows × database rows) when block_rows is not given
SCORE_TILE_BYTES = 128 * 2**20
#: database rows streamed per chunk when the data are memory-mapped or too large to copy
STREAM_ROWS = 65536
#: in-memory prepared copy allowed up to this size; above it the database is streamed
MAX_PREPARED_BYTES = 2 * 2**30
#: tile rows of the self-join (each pair computed once); tiles of 4096² float32 = 64 MB
SYMMETRIC_TILE = 4096
#: float64 scratch for the exact refinement of the k selected distances
REFINE_BYTES = 8 * 2**20
#: cosine selection is redone in float64 when the median k-th cosine distance is below this
COSINE_FLOAT64_BELOW = 1e-3


@dataclass(frozen=True, slots=True)
class Neighbors(Result):
    """The ``k`` nearest neighbours of each query row.

    ``indices`` (n_query, k) int64 and ``distances`` (n_query, k) float64, sorted
    ascending (ties broken by index). Distances: euclidean ``‖q − x‖``; cosine
    ``1 − cos(q, x)``; dot ``−q·x`` (maximum inner product). ``n_zero_distances``
    counts queries whose first neighbour is at distance exactly 0 (an exact
    duplicate when ``metric='euclidean'``). ``recall`` is the measured recall of
    approximate search on ``recall_sample`` queries (``None`` for exact search).
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

    @property
    def first_distances(self) -> np.ndarray:
        return self.distances[:, 0]

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
            "recall": self.recall,
            "recall_sample": int(self.recall_sample),
            "first_distance_median": float(np.median(d1)) if d1.size else None,
            "kth_distance_median": float(np.median(self.distances[:, -1])) if d1.size else None,
        }


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
    values. Memory O(block × n_features + n_samples).
    """
    if report is None:
        if not hasattr(X, "shape") or len(getattr(X, "shape", ())) != 2:
            X = as_matrix(X, name="X", min_rows=1)
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


def _check_params(metric, backend, k, n_db, n_q, exclude_self):
    if metric not in METRICS:
        raise EmbgeoError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    if backend not in BACKENDS:
        raise EmbgeoError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise EmbgeoError(f"k must be a positive integer; got {k!r}")
    limit = n_db - 1 if exclude_self else n_db
    if k > limit:
        raise EmbgeoError(
            f"k={k} neighbours need at least {k + 1 if exclude_self else k} rows; the data have {n_db}",
            hint="lower --k or pass more rows",
        )


def _default_block_rows(n_db: int, itemsize: int) -> int:
    rows = SCORE_TILE_BYTES // max(1, n_db * itemsize)
    return int(min(8192, max(32, rows)))


# --------------------------------------------------------------------------- preparation


class _Prepared:
    """The database in the form the GEMM wants, either whole or streamed in chunks.

    euclidean: centred rows (mean in float64) and their float64 squared norms;
    cosine: unit rows; dot: rows as they are.
    """

    def __init__(self, X: np.ndarray, metric: str, dtype: np.dtype, stream_rows: int | None):
        self.X, self.metric, self.dtype = X, metric, np.dtype(dtype)
        n, d = X.shape
        self.n = n
        self.mean = None
        if metric == "euclidean":
            self.mean = _column_mean(X)
        if metric == "cosine":
            norms = _row_norms(X)
            zero = np.flatnonzero(norms == 0)
            if zero.size:
                raise EmbgeoError(
                    f"X has {zero.size} all-zero rows (first: row {int(zero[0])}); cosine distance is undefined for them",
                    hint="drop them or use metric='euclidean'",
                )
            self.inv_norms = 1.0 / norms
        streamed = isinstance(X, np.memmap) or n * d * self.dtype.itemsize > MAX_PREPARED_BYTES
        if stream_rows is not None:
            streamed = True
        self.chunk_rows = int(stream_rows or STREAM_ROWS) if streamed else n
        self._whole = None if streamed else self._prepare(0, n)

    def _prepare(self, start: int, stop: int):
        b = np.asarray(self.X[start:stop])
        if self.metric == "euclidean":
            b64 = b.astype(np.float64) - self.mean
            sq = np.einsum("ij,ij->i", b64, b64)
            return np.ascontiguousarray(b64, dtype=self.dtype), sq
        if self.metric == "cosine":
            b64 = b.astype(np.float64) * self.inv_norms[start:stop, None]
            return np.ascontiguousarray(b64, dtype=self.dtype), None
        return np.ascontiguousarray(b, dtype=self.dtype), None

    def chunks(self):
        if self._whole is not None:
            yield 0, self.n, self._whole[0], self._whole[1]
            return
        for start in range(0, self.n, self.chunk_rows):
            stop = min(self.n, start + self.chunk_rows)
            B, sq = self._prepare(start, stop)
            yield start, stop, B, sq

    def prepare_query(self, Q: np.ndarray) -> np.ndarray:
        """Queries transformed like the database; euclidean queries pre-scaled by −2 (exact)."""
        q = np.asarray(Q).astype(np.float64)
        if self.metric == "euclidean":
            q = -2.0 * (q - self.mean)
        elif self.metric == "cosine":
            norms = np.sqrt(np.einsum("ij,ij->i", q, q))
            if np.any(norms == 0):
                raise EmbgeoError("query has all-zero rows; cosine distance is undefined for them", hint="drop them")
            q = -q / norms[:, None]
        else:
            q = -q
        return np.ascontiguousarray(q, dtype=self.dtype)


def _column_mean(X) -> np.ndarray:
    n, d = X.shape
    acc = np.zeros(d, dtype=np.float64)
    for start in range(0, n, 16384):
        acc += np.asarray(X[start:start + 16384]).sum(axis=0, dtype=np.float64)
    return acc / n


def _row_norms(X) -> np.ndarray:
    out = np.empty(X.shape[0], dtype=np.float64)
    for start in range(0, X.shape[0], 16384):
        b = np.asarray(X[start:start + 16384]).astype(np.float64)
        out[start:start + b.shape[0]] = np.sqrt(np.einsum("ij,ij->i", b, b))
    return out


# --------------------------------------------------------------------------- selection


def _select_k(S: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` smallest entries per row of ``S`` (unordered), no full sort.

    For long rows a two-level selection is used: the columns are split into
    ``c`` strided groups, the minimum of each group is taken with one SIMD
    reduction, and only the ``k`` groups with the smallest minima can hold the
    ``k`` smallest entries (each of those groups holds an entry ≤ any entry
    outside them), so ``argpartition`` runs on ``k·c`` candidates instead of
    ``n``. Exact, ties included (any valid top-k is returned).
    """
    b, n = S.shape
    if k >= n:
        return np.broadcast_to(np.arange(n), (b, n)).copy()
    c = 32
    m = n // c
    if n < 1024 or k > 64 or m < 4 * k:
        return np.argpartition(S, k - 1, axis=1)[:, :k]
    head = S[:, : m * c]
    group_min = head.reshape(b, c, m).min(axis=1)  # group j = columns {j, j+m, j+2m, …}
    tail = S[:, m * c:]
    groups = np.argpartition(group_min, k - 1, axis=1)[:, :k]  # (b, k)
    cols = (groups[:, :, None] + m * np.arange(c)[None, None, :]).reshape(b, k * c)
    if tail.shape[1]:
        cols = np.concatenate([cols, np.broadcast_to(np.arange(m * c, n), (b, n - m * c))], axis=1)
    vals = np.take_along_axis(S, cols, axis=1)
    pick = np.argpartition(vals, k - 1, axis=1)[:, :k]
    return np.take_along_axis(cols, pick, axis=1)


def _select_k_columns(S: np.ndarray, k: int) -> np.ndarray:
    """Row indices ``(n_cols, k)`` of the ``k`` smallest entries of each *column* of ``S``.

    The same two-level selection as :func:`_select_k`, along axis 0, so the tile is
    never transposed in memory: group minima over strided row groups are
    elementwise minima of contiguous rows (SIMD), and only ``k·c`` candidates per
    column are gathered.
    """
    r, ncol = S.shape
    c = 32
    m = r // c
    if r < 1024 or k > 64 or m < 4 * k:
        return np.ascontiguousarray(np.argpartition(S, k - 1, axis=0)[:k].T)
    group_min = S[: m * c].reshape(c, m, ncol).min(axis=0)  # (m, ncol): group g = rows {g, g+m, …}
    groups = np.argpartition(group_min.T, k - 1, axis=1)[:, :k]  # (ncol, k)
    rows = (groups[:, :, None] + m * np.arange(c)[None, None, :]).reshape(ncol, k * c)
    if r > m * c:
        rows = np.concatenate([rows, np.broadcast_to(np.arange(m * c, r), (ncol, r - m * c))], axis=1)
    vals = S[rows, np.arange(ncol)[:, None]]
    pick = np.argpartition(vals, k - 1, axis=1)[:, :k]
    return np.take_along_axis(rows, pick, axis=1)


def _merge(best_s, best_i, s, i, k):
    if best_s is None:
        return s, i
    s2 = np.concatenate([best_s, s], axis=1)
    i2 = np.concatenate([best_i, i], axis=1)
    sel = np.argpartition(s2, k - 1, axis=1)[:, :k]
    return np.take_along_axis(s2, sel, axis=1), np.take_along_axis(i2, sel, axis=1)


def _exact_numpy(prep: _Prepared, Q, k, self_offset, block_rows, on_block=None):
    """Candidate indices (n_query, k) by blockwise GEMM + partial selection."""
    nq = Q.shape[0]
    out = np.empty((nq, k), dtype=np.int64)
    for qs in range(0, nq, block_rows):
        qe = min(nq, qs + block_rows)
        Qp = prep.prepare_query(Q[qs:qe])
        best_s = best_i = None
        for start, stop, B, sq in prep.chunks():
            S = Qp @ B.T  # −2q·x (euclidean), −cos, −q·x
            if sq is not None:
                S += sq.astype(S.dtype)[None, :]
            if self_offset is not None:
                rows = np.arange(qs, qe) + self_offset
                hit = (rows >= start) & (rows < stop)
                S[np.flatnonzero(hit), rows[hit] - start] = np.inf
            kk = min(k, stop - start)
            sel = _select_k(S, kk)
            s = np.take_along_axis(S, sel, axis=1)
            best_s, best_i = _merge(best_s, best_i, s, sel + start, k)
        out[qs:qe] = best_i
        if on_block is not None:
            on_block(qe - qs)
    return out


def _exact_numpy_symmetric(prep: _Prepared, k, exclude, tile, on_block=None):
    """Self-join kNN that computes each pair once: half the GEMM flops of :func:`_exact_numpy`.

    The rows are cut into tiles of ``tile`` rows; for tiles ``I ≤ J`` one product
    serves the rows of ``I`` (row-wise selection) and, when ``J > I``, the rows of
    ``J`` (column-wise selection, no transpose). For euclidean the product is the
    full squared distance ``‖x_i‖² + ‖x_j‖² − 2x_i·x_j``, symmetric in i and j,
    obtained in one GEMM by augmenting the rows with ``[1, ‖x‖²]`` (no extra
    passes over the tile); for cosine/dot it is ``−x_i·x_j``. A running top-k per
    row is merged after every tile. Memory O(tile² + n·k) plus the augmented copy.
    """
    B, sq = prep._whole
    n, d = B.shape
    best_s = np.full((n, k), np.inf, dtype=B.dtype)
    best_i = np.full((n, k), -1, dtype=np.int64)
    if sq is not None:
        right = np.empty((n, d + 2), dtype=B.dtype)
        right[:, :d] = B
        right[:, d] = sq
        right[:, d + 1] = 1.0
    else:
        right = B
    starts = list(range(0, n, tile))
    for a in starts:
        ae = min(n, a + tile)
        if sq is not None:
            left = np.empty((ae - a, d + 2), dtype=B.dtype)
            np.multiply(B[a:ae], -2.0, out=left[:, :d])  # exact scaling
            left[:, d] = 1.0
            left[:, d + 1] = sq[a:ae]
        else:
            left = -B[a:ae]
        for b in starts:
            if b < a:
                continue
            be = min(n, b + tile)
            G = left @ right[b:be].T
            if a == b and exclude:
                np.fill_diagonal(G, np.inf)
            _merge_into(best_s, best_i, a, G, b, k)
            if b > a:  # the same product serves the rows of tile J
                sel = _select_k_columns(G, min(k, G.shape[0]))  # (tile_J, kk) rows of tile I
                s_ = G[sel, np.arange(G.shape[1])[:, None]]
                rows = slice(b, be)
                best_s[rows], best_i[rows] = _merge(best_s[rows], best_i[rows], s_, sel + a, k)
        if on_block is not None:
            on_block(ae - a)
    return best_i


def _merge_into(best_s, best_i, row0, S, col0, k):
    """Merge the top-k of each row of ``S`` (rows ``row0…``, columns ``col0…``) into the running best."""
    rows = slice(row0, row0 + S.shape[0])
    kk = min(k, S.shape[1])
    sel = _select_k(S, kk)
    s = np.take_along_axis(S, sel, axis=1)
    ms, mi = _merge(best_s[rows], best_i[rows], s, sel + col0, k)
    best_s[rows], best_i[rows] = ms, mi


def _exact_torch(prep: _Prepared, Q, k, self_offset, block_rows, device, on_block=None):
    import torch  # lazy

    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise EmbgeoError("device='cuda' was asked but no CUDA device is available", hint="use device='cpu'")
    nq = Q.shape[0]
    out = np.empty((nq, k), dtype=np.int64)
    tdtype = torch.float64 if prep.dtype == np.float64 else torch.float32

    def to_dev(chunk):
        s, e, B, sq = chunk
        return s, e, torch.from_numpy(B).to(dev), None if sq is None else torch.from_numpy(sq).to(dev, dtype=tdtype)

    chunks = [to_dev(c) for c in prep.chunks()] if prep._whole is not None else None
    for qs in range(0, nq, block_rows):
        qe = min(nq, qs + block_rows)
        Qp = torch.from_numpy(prep.prepare_query(Q[qs:qe])).to(dev)
        best_s = best_i = None
        it = chunks if chunks is not None else (to_dev(c) for c in prep.chunks())
        for start, stop, B, sq in it:
            S = Qp @ B.T
            if sq is not None:
                S += sq[None, :]
            if self_offset is not None:
                rows = np.arange(qs, qe) + self_offset
                hit = (rows >= start) & (rows < stop)
                r = torch.from_numpy(np.flatnonzero(hit)).to(dev)
                c = torch.from_numpy(rows[hit] - start).to(dev)
                S[r, c] = float("inf")
            kk = min(k, stop - start)
            s, sel = torch.topk(S, kk, dim=1, largest=False, sorted=False)
            sel = sel + start
            if best_s is None:
                best_s, best_i = s, sel
            else:
                s2, i2 = torch.cat([best_s, s], 1), torch.cat([best_i, sel], 1)
                best_s, j = torch.topk(s2, k, dim=1, largest=False, sorted=False)
                best_i = torch.gather(i2, 1, j)
        out[qs:qe] = best_i.cpu().numpy()
        if on_block is not None:
            on_block(qe - qs)
    return out


# --------------------------------------------------------------------------- exact distances


def exact_distances(X, Q, indices: np.ndarray, *, metric: str = "euclidean") -> np.ndarray:
    """Distances from each query row to its listed rows of ``X``, computed directly in float64.

    ``indices`` (n_query, k). euclidean ``‖q − x‖``; cosine ``1 − q·x/(‖q‖‖x‖)``;
    dot ``−q·x``. Memory is bounded by :data:`REFINE_BYTES`.
    """
    nq, k = indices.shape
    d = X.shape[1]
    out = np.empty((nq, k), dtype=np.float64)
    step = max(1, REFINE_BYTES // max(1, k * d * 8))
    for s in range(0, nq, step):
        e = min(nq, s + step)
        q = np.asarray(Q[s:e]).astype(np.float64)
        idx = indices[s:e]
        flat = idx.reshape(-1)
        if isinstance(X, np.memmap):  # sorted reads are friendlier to memory maps
            order = np.argsort(flat, kind="stable")
            rows = np.empty((flat.size, d), dtype=np.float64)
            rows[order] = np.asarray(X[flat[order]])
        else:
            rows = np.take(X, flat, axis=0).astype(np.float64, copy=False)
        rows = rows.reshape(e - s, k, d)
        if metric == "euclidean":
            diff = rows - q[:, None, :]
            out[s:e] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        elif metric == "cosine":
            dots = np.einsum("ijk,ik->ij", rows, q)
            nx = np.sqrt(np.einsum("ijk,ijk->ij", rows, rows))
            nqv = np.sqrt(np.einsum("ik,ik->i", q, q))
            out[s:e] = 1.0 - dots / (nx * nqv[:, None])
        else:
            out[s:e] = -np.einsum("ijk,ik->ij", rows, q)
    return out


def _sort_rows(indices: np.ndarray, distances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each row by distance, ties by index (only k columns: cheap)."""
    o = np.argsort(indices, axis=1, kind="stable")
    indices = np.take_along_axis(indices, o, axis=1)
    distances = np.take_along_axis(distances, o, axis=1)
    o = np.argsort(distances, axis=1, kind="stable")
    return np.take_along_axis(indices, o, axis=1), np.take_along_axis(distances, o, axis=1)


# --------------------------------------------------------------------------- public API


def knn(
    X,
    k: int,
    *,
    query=None,
    metric: str = "euclidean",
    exclude_self: bool = True,
    backend: str = "numpy",
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
    backend : ``"numpy"`` or ``"torch"`` (``device="cuda"`` runs on a GPU).
    block_rows : queries per GEMM block (memory ``O(block_rows × n_samples)``);
        default keeps the score tile near 128 MB.
    approx : use pynndescent (euclidean and cosine) and measure its recall on
        ``recall_sample`` seeded queries against exact search.
    seed : seed for approximate search and the recall sample.
    check_duplicates : when ``query`` is ``X``, scan for exact duplicate rows
        (by value) and report them (``n_duplicate_rows``, ``duplicate_groups``).
    selection_dtype : dtype of the candidate-selection GEMM (default: float32,
        float64 for float64 data). Reported distances are always float64.
    stream_rows : stream the database in chunks of this many rows (automatic
        for memory maps and data above 2 GiB).
    progress : optional callable ``advance(n_rows)`` called after each block.

    Returns
    -------
    Neighbors : indices and float64 distances sorted ascending.
    """
    self_query = query is None
    X = as_matrix(X, name="X", min_rows=2)
    Q = X if self_query else as_matrix(query, name="query", min_rows=1)
    if Q.shape[1] != X.shape[1]:
        raise EmbgeoError(f"query has {Q.shape[1]} columns but X has {X.shape[1]}", hint="use vectors from the same space")
    exclude = bool(exclude_self and self_query)
    _check_params(metric, backend, k, X.shape[0], Q.shape[0], exclude)
    k = int(k)
    dtype = np.dtype(selection_dtype) if selection_dtype is not None else (np.dtype(np.float64) if X.dtype == np.float64 else np.dtype(np.float32))
    dup = find_duplicates(X) if (check_duplicates and self_query) else None

    if approx:
        idx, recall, n_rec = _approx(X, Q, k, metric=metric, exclude=exclude, seed=seed, recall_sample=recall_sample, dtype=dtype, self_query=self_query)
        exact = False
        backend_used = "pynndescent"
    else:
        idx = _exact_indices(X, Q, k, metric=metric, exclude=exclude, backend=backend, device=device, block_rows=block_rows, dtype=dtype, stream_rows=stream_rows, progress=progress)
        recall, n_rec, exact, backend_used = None, 0, True, backend
    dist = exact_distances(X, Q, idx, metric=metric)
    if not approx and metric == "cosine" and dtype == np.float32 and selection_dtype is None and np.median(dist[:, -1]) < COSINE_FLOAT64_BELOW:
        # nearly parallel rows: float32 cosines (error ~ sqrt(d)·6e-8) cannot rank them; select again in float64
        idx = _exact_indices(X, Q, k, metric=metric, exclude=exclude, backend=backend, device=device, block_rows=block_rows, dtype=np.dtype(np.float64), stream_rows=stream_rows)
        dist = exact_distances(X, Q, idx, metric=metric)
    idx, dist = _sort_rows(idx, dist)
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
    )


def _exact_indices(X, Q, k, *, metric, exclude, backend, device, block_rows, dtype, stream_rows=None, progress=None):
    prep = _Prepared(X, metric, dtype, stream_rows)
    br = int(block_rows) if block_rows else _default_block_rows(min(X.shape[0], prep.chunk_rows), dtype.itemsize)
    if br < 1:
        raise EmbgeoError(f"block_rows must be a positive integer; got {block_rows!r}")
    offset = 0 if exclude else None
    if backend == "torch":
        return _exact_torch(prep, Q, k, offset, br, device, on_block=progress)
    if device not in ("cpu", None):
        raise EmbgeoError(f"device={device!r} needs backend='torch'", hint="pass backend='torch' (or --device cpu)")
    if Q is X and prep._whole is not None and X.shape[0] > SYMMETRIC_TILE and not block_rows:
        return _exact_numpy_symmetric(prep, k, exclude, SYMMETRIC_TILE, on_block=progress)
    return _exact_numpy(prep, Q, k, offset, br, on_block=progress)


def _approx(X, Q, k, *, metric, exclude, seed, recall_sample, dtype, self_query):
    if metric == "dot":
        raise EmbgeoError("approximate search supports metric 'euclidean' or 'cosine'; got 'dot'", hint="use exact search for maximum inner product")
    from embgeo.errors import require

    pynndescent = require("pynndescent", package="pynndescent", extra="all", feature="approximate kNN")
    rng = as_rng(seed)
    data = np.ascontiguousarray(X, dtype=np.float32)
    if metric == "euclidean":
        mean = _column_mean(X).astype(np.float32)
        data = data - mean  # float32 precision near a large offset (pynndescent does not centre)
    n = data.shape[0]
    extra = 1 if exclude else 0
    index = pynndescent.NNDescent(data, n_neighbors=min(n - 1, max(k + extra, 15)), metric=metric,
                                  random_state=int(rng.integers(2**31 - 1)), low_memory=True, n_jobs=1, verbose=False)
    if self_query:
        graph_i, _ = index.neighbor_graph
        idx = _drop_self(graph_i, k, exclude)
    else:
        q = np.ascontiguousarray(Q, dtype=np.float32)
        if metric == "euclidean":
            q = q - mean
        idx, _ = index.query(q, k=k)
        idx = idx.astype(np.int64)
    # measured recall on a seeded sample of queries
    m = int(min(Q.shape[0], max(1, recall_sample)))
    sample = np.sort(rng.choice(Q.shape[0], size=m, replace=False))
    recall = approx_recall(X, Q, idx, sample, metric=metric, exclude=exclude, dtype=dtype)
    return idx, recall, m


def _drop_self(graph: np.ndarray, k: int, exclude: bool) -> np.ndarray:
    graph = graph.astype(np.int64)
    n = graph.shape[0]
    if not exclude:
        return graph[:, :k]
    rows = np.arange(n)[:, None]
    keep = graph != rows
    keep &= graph >= 0
    out = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        cand = graph[i][keep[i]]
        if cand.size < k:  # pynndescent found fewer than k valid neighbours
            raise EmbgeoError(f"approximate search returned only {cand.size} neighbours for row {i}", hint="use exact search")
        out[i] = cand[:k]
    return out


def approx_recall(X, Q, indices: np.ndarray, sample: np.ndarray, *, metric: str, exclude: bool, dtype=np.float32) -> float:
    """Recall of ``indices`` on the queries ``sample`` against exact search.

    A returned neighbour counts as correct when its (float64) distance is no
    larger than the exact ``k``-th distance: robust to ties and duplicates,
    and equal to ``|approx ∩ exact| / k`` when there are no ties.
    """
    k = indices.shape[1]
    prep = _Prepared(X, metric, dtype, None)
    if exclude:
        # exact search for the sampled rows only, excluding each sampled row by index
        qs = Q[sample]
        cand = _exact_with_excluded(prep, qs, k, sample)
    else:
        cand = _exact_numpy(prep, Q[sample], k, None, max(1, sample.size))
    exact_d = np.sort(exact_distances(X, Q[sample], cand, metric=metric), axis=1)
    approx_d = exact_distances(X, Q[sample], indices[sample], metric=metric)
    tol = 1e-12 * np.maximum(1.0, np.abs(exact_d[:, -1:]))
    hits = (approx_d <= exact_d[:, -1:] + tol).sum(axis=1)
    return float(hits.sum() / (k * sample.size))


def _exact_with_excluded(prep: _Prepared, Qs, k, rows):
    Qp = prep.prepare_query(Qs)
    best_s = best_i = None
    for start, stop, B, sq in prep.chunks():
        S = Qp @ B.T
        if sq is not None:
            S += sq.astype(S.dtype)[None, :]
        hit = (rows >= start) & (rows < stop)
        S[np.flatnonzero(hit), rows[hit] - start] = np.inf
        sel = _select_k(S, min(k, stop - start))
        best_s, best_i = _merge(best_s, best_i, np.take_along_axis(S, sel, axis=1), sel + start, k)
    return best_i
