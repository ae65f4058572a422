"""Exact k-NN search by blockwise GEMM: preparation, partial selection, float64 distances.

The internals of :func:`embgeo.knn.engine.knn` (see that module for the design):
data preparation (centring, unit rows), the row-block and symmetric self-join
GEMM loops (numpy and torch), the two-level partial selection, and the float64
recomputation of the selected distances.

The kernel API below is public so that the other engine modules
(:mod:`~embgeo.knn.engine`, :mod:`~embgeo.knn.approx`) and
:mod:`embgeo.distributed.cluster` run the very same code; it is not part of the
package face (``embgeo.knn.__all__``), and its signatures follow the engine:

- :class:`Prepared` — the database as the GEMM wants it (whole or streamed);
- :func:`default_block_rows` — query rows per GEMM block for a given database size;
- :func:`exact_numpy`, :func:`exact_numpy_symmetric`, :func:`exact_torch` — candidate indices;
- :func:`select_k`, :func:`select_k_columns` (``*_scores``: with the selected scores), :func:`merge_topk` —
  partial selection with canonical ties and the running top-k;
- :func:`column_mean` — float64 column means, block by block;
- :func:`exact_distances`, :func:`sort_rows` — float64 distances of the candidates, sorted.
"""
from __future__ import annotations

import time

import numpy as np

from embgeo.validation import read_rows, zero_rows_hint

from embgeo.arguments import check_row_indices
from embgeo.errors import EmbgeoError

#: bytes of the score tile (block_rows × database rows) when block_rows is not given
SCORE_TILE_BYTES = 128 * 2**20
#: database rows streamed per chunk when the data are memory-mapped or too large to copy
STREAM_ROWS = 65536
#: in-memory prepared copy allowed up to this size; above it the database is streamed
MAX_PREPARED_BYTES = 2 * 2**30
#: float64 scratch for the exact refinement of the k selected distances
REFINE_BYTES = 8 * 2**20


def default_block_rows(n_db: int, itemsize: int) -> int:
    """Query rows per GEMM block so that the score tile (block × ``n_db``) stays near :data:`SCORE_TILE_BYTES`."""
    rows = SCORE_TILE_BYTES // max(1, n_db * itemsize)
    return int(min(8192, max(32, rows)))


# --------------------------------------------------------------------------- preparation


class Prepared:
    """The database in the form the GEMM wants, either whole or streamed in chunks.

    euclidean: centred rows (mean in float64) and their float64 squared norms;
    cosine: unit rows; dot: rows as they are.
    """

    def __init__(self, X: np.ndarray, metric: str, dtype: np.dtype, stream_rows: int | None, *, augment: bool = False):
        self.X, self.metric, self.dtype = X, metric, np.dtype(dtype)
        self.augmented = None  # euclidean, whole: [x̃ | ‖x̃‖² | 1] rows for the symmetric self-join
        n, d = X.shape
        self.n = n
        self.mean = None
        if metric == "euclidean":
            self.mean = column_mean(X)
        if metric == "cosine":
            norms = _row_norms(X)
            zero = np.flatnonzero(norms == 0)
            if zero.size:
                raise EmbgeoError(
                    f"X has {zero.size} all-zero row{'s' if zero.size > 1 else ''} (first: row {int(zero[0])}); cosine distance is undefined for them",
                    hint=zero_rows_hint(metric=True),
                )
            self.inv_norms = 1.0 / norms
        streamed = isinstance(X, np.memmap) or n * d * self.dtype.itemsize > MAX_PREPARED_BYTES
        if stream_rows is not None:
            streamed = True
        self.chunk_rows = int(stream_rows or STREAM_ROWS) if streamed else n
        self._whole = None if streamed else self._prepare_whole(augment and metric == "euclidean")

    @property
    def whole(self):
        """``(rows, float64 squared norms or None)`` when the database is prepared whole; ``None`` when streamed."""
        return self._whole

    def _prepare_whole(self, augment: bool):
        """Prepare every row, 16384 at a time (bounded float64 scratch), into one array."""
        n, d = self.X.shape
        out = np.empty((n, d + 2 if augment else d), dtype=self.dtype)
        sq = np.empty(n, dtype=np.float64) if self.metric == "euclidean" else None
        for start in range(0, n, 16384):
            stop = min(n, start + 16384)
            B, s = self._prepare(start, stop)
            out[start:stop, :d] = B
            if sq is not None:
                sq[start:stop] = s
        if augment:
            out[:, d] = sq
            out[:, d + 1] = 1.0
            self.augmented = out
        return out[:, :d], sq

    def _prepare(self, start: int, stop: int):
        b = read_rows(self.X, start, stop)
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


def column_mean(X) -> np.ndarray:
    """Float64 column means of ``X`` (n_samples, n_features), 16384 rows at a time (memory maps stay on disk)."""
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


def select_k(S: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` smallest entries per row of ``S`` (unordered), no full sort.

    For long rows a two-level selection is used: the columns are split into
    ``c`` strided groups, the minimum of each group is taken with one SIMD
    reduction, and only the ``k`` groups with the smallest minima can hold the
    ``k`` smallest entries (each of those groups holds an entry ≤ any entry
    outside them), so ``argpartition`` runs on ``k·c`` candidates instead of
    ``n``. Exact; ties at the k-th score go to the lowest column indices (see
    :func:`break_ties`), so the result depends neither on numpy's partition
    algorithm (its tie order differs between versions and CPUs) nor on ``k``:
    the top-k' for k' < k is a subset of the top-k.
    """
    return select_k_scores(S, k)[0]


def select_k_scores(S: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`select_k` and the selected scores ``(sel, S[row, sel])``, gathered once."""
    b, n = S.shape
    if k >= n:
        return np.broadcast_to(np.arange(n), (b, n)).copy(), np.array(S, copy=True)
    c = 32
    m = n // c
    if n < 1024 or k > 64 or m < 4 * k:
        part = np.argpartition(S, k, axis=1)  # one kth: numpy's SIMD path
        sel = part[:, :k]
        vals, gmin, gpart = S, None, None
        sc = np.take_along_axis(S, sel, axis=1)
    else:
        head = S[:, : m * c]
        gmin = head.reshape(b, c, m).min(axis=1)  # group j = columns {j, j+m, j+2m, …}
        gpart = np.argpartition(gmin, k, axis=1)
        cols = (gpart[:, :k, None] + m * np.arange(c)[None, None, :]).reshape(b, k * c)
        if n > m * c:
            cols = np.concatenate([cols, np.broadcast_to(np.arange(m * c, n), (b, n - m * c))], axis=1)
        vals = np.take_along_axis(S, cols, axis=1)
        part = np.argpartition(vals, k, axis=1)
        sel = np.take_along_axis(cols, part[:, :k], axis=1)
        sc = np.take_along_axis(vals, part[:, :k], axis=1)
    redo = _straddling(sc, vals, part, k, gmin, gpart)
    if redo.size:
        sel[redo] = break_ties(S[redo], sel[redo], k)
        sc[redo] = np.take_along_axis(S[redo], sel[redo], axis=1)
    return sel, sc


def _straddling(sc, vals, part, k, group_min=None, gpart=None) -> np.ndarray:
    """Rows where a tie may straddle the k-th place, from partitions at ``k`` (the first ``k``
    positions hold the k smallest ``sc``, position ``k`` the (k+1)-th).

    Within the candidates: the (k+1)-th smallest equals the k-th. Outside them (two-level
    selection): an entry equal to the k-th score lies in a group whose minimum is ≤ it, so more
    than ``k`` group minima are ≤ it — the (k+1)-th smallest group minimum is. No temporaries
    of the tile's size: only those rows pay for :func:`break_ties`; the others are canonical.
    """
    kth = sc.max(axis=1, keepdims=True)
    flag = np.take_along_axis(vals, part[:, k:k + 1], axis=1) == kth
    if group_min is not None:
        flag |= np.take_along_axis(group_min, gpart[:, k:k + 1], axis=1) <= kth
    return np.flatnonzero(flag[:, 0])


def break_ties(S: np.ndarray, sel: np.ndarray, k: int) -> np.ndarray:
    """Make a top-k selection canonical: entries equal to a row's k-th score are taken lowest column first.

    ``sel`` (b, k) holds any valid top-k columns of each row of ``S``. One pass counts the
    entries ≤ the k-th score; only rows where more than ``k`` are (a tie straddles the k-th
    place) are redone, vectorised: every entry below the k-th score, then the tied entries in
    column order until ``k`` are taken.
    """
    kth = np.take_along_axis(S, sel, axis=1).max(axis=1)
    n_le = np.count_nonzero(S <= kth[:, None], axis=1)
    rows = np.flatnonzero(n_le > k)
    if rows.size:
        sub = S[rows]
        t = kth[rows][:, None]
        below = sub < t
        tied = sub == t
        need = k - np.count_nonzero(below, axis=1)
        keep = below | (tied & (np.cumsum(tied, axis=1) <= need[:, None]))
        sel = np.array(sel, copy=True)
        sel[rows] = np.nonzero(keep)[1].reshape(rows.size, k)
    return sel


def select_k_columns(S: np.ndarray, k: int) -> np.ndarray:
    """Row indices ``(n_cols, k)`` of the ``k`` smallest entries of each *column* of ``S``.

    The same two-level selection as :func:`select_k`, along axis 0, so the tile is
    never transposed in memory: group minima over strided row groups are
    elementwise minima of contiguous rows (SIMD), and only ``k·c`` candidates per
    column are gathered. Ties are canonical as in :func:`select_k`.
    """
    return select_k_columns_scores(S, k)[0]


def select_k_columns_scores(S: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`select_k_columns` and the selected scores ``(sel, S[sel, col])``, gathered once."""
    r, ncol = S.shape
    if k >= r:
        return np.broadcast_to(np.arange(r), (ncol, r)).copy(), np.ascontiguousarray(S.T)
    c = 32
    m = r // c
    if r < 1024 or k > 64 or m < 4 * k:
        vals = S.T  # a view: the partition runs along axis 0, the tile is never copied
        part = np.argpartition(S, k, axis=0).T
        sel = np.ascontiguousarray(part[:, :k])
        gmin = gpart = None
        sc = np.take_along_axis(vals, sel, axis=1)
    else:
        gmin = S[: m * c].reshape(c, m, ncol).min(axis=0).T  # (ncol, m): group g = rows {g, g+m, …}
        gpart = np.argpartition(gmin, k, axis=1)
        rows = (gpart[:, :k, None] + m * np.arange(c)[None, None, :]).reshape(ncol, k * c)
        if r > m * c:
            rows = np.concatenate([rows, np.broadcast_to(np.arange(m * c, r), (ncol, r - m * c))], axis=1)
        vals = S[rows, np.arange(ncol)[:, None]]
        part = np.argpartition(vals, k, axis=1)
        sel = np.take_along_axis(rows, part[:, :k], axis=1)
        sc = np.take_along_axis(vals, part[:, :k], axis=1)
    redo = _straddling(sc, vals, part, k, gmin, gpart)
    if redo.size:
        sub = np.ascontiguousarray(S[:, redo].T)
        sel[redo] = break_ties(sub, sel[redo], k)
        sc[redo] = np.take_along_axis(sub, sel[redo], axis=1)
    return sel, sc


def merge_topk(best_s, best_i, s, i, k):
    """Merge candidate scores ``s`` / indices ``i`` into the running best (``None`` at first): the ``k``
    smallest scores per row (unordered), or all of them while fewer than ``k`` have been seen.
    Ties at the k-th score keep the lowest indices (canonical, as :func:`select_k`)."""
    if best_s is None:
        return s, i
    s2 = np.concatenate([best_s, s], axis=1)
    i2 = np.concatenate([best_i, i], axis=1)
    if s2.shape[1] <= k:  # chunks shorter than k (small stream_rows): keep all so far
        return s2, i2
    part = np.argpartition(s2, k, axis=1) if s2.shape[1] > k + 1 else np.argsort(s2, axis=1, kind="stable")
    sel = part[:, :k]
    sc = np.take_along_axis(s2, sel, axis=1)
    tie = np.flatnonzero(np.take_along_axis(s2, part[:, k:k + 1], axis=1)[:, 0] == sc.max(axis=1))
    if tie.size:  # (score, index) order on those rows only (2k columns: cheap)
        sel[tie] = np.lexsort((i2[tie], s2[tie]), axis=1)[:, :k]
        sc[tie] = np.take_along_axis(s2[tie], sel[tie], axis=1)
    return sc, np.take_along_axis(i2, sel, axis=1)


class KernelClock:
    """Time spent in the GEMMs of one exact search and the flops they did (for the sgemm-rate report)."""

    __slots__ = ("gemm_seconds", "gemm_flops", "tiles")

    def __init__(self):
        self.gemm_seconds = 0.0
        self.gemm_flops = 0.0
        self.tiles = 0

    def gemm(self, a, b, out):
        """``out = a @ b`` timed; ``out`` is a reused, contiguous buffer view."""
        t = time.perf_counter()
        np.matmul(a, b, out=out)
        self.gemm_seconds += time.perf_counter() - t
        self.gemm_flops += 2.0 * a.shape[0] * a.shape[1] * b.shape[1]
        self.tiles += 1
        return out


def _workspace(size: int, dtype) -> np.ndarray:
    """A flat buffer touched once (pre-faulted), so that every tile reuses resident pages."""
    buf = np.empty(int(size), dtype=dtype)
    buf.fill(0)
    return buf


def _view(buf: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """A C-contiguous ``(rows, cols)`` view on the front of a flat workspace (a valid ``out=``)."""
    return buf[: rows * cols].reshape(rows, cols)


def exact_numpy(prep: Prepared, Q, k, self_offset, block_rows, on_block=None, clock: KernelClock | None = None):
    """Candidate indices (n_query, k) by blockwise GEMM + partial selection.

    One score workspace (block_rows × chunk rows) is allocated and pre-faulted once and
    every GEMM writes into it (``out=``): no per-tile allocation churn.
    """
    clock = clock if clock is not None else KernelClock()
    nq = Q.shape[0]
    out = np.empty((nq, k), dtype=np.int64)
    work = _workspace(min(block_rows, nq) * min(prep.chunk_rows, prep.n), prep.dtype)
    sq_cast = {}
    for qs in range(0, nq, block_rows):
        qe = min(nq, qs + block_rows)
        Qp = prep.prepare_query(Q[qs:qe])
        best_s = best_i = None
        for start, stop, B, sq in prep.chunks():
            S = clock.gemm(Qp, B.T, _view(work, qe - qs, stop - start))  # −2q·x (euclidean), −cos, −q·x
            if sq is not None:
                c = sq_cast.get(start) if prep._whole is not None else None
                if c is None:
                    c = sq.astype(S.dtype)
                    if prep._whole is not None:
                        sq_cast[start] = c
                np.add(S, c[None, :], out=S)
            if self_offset is not None:
                rows = np.arange(qs, qe) + self_offset
                hit = (rows >= start) & (rows < stop)
                S[np.flatnonzero(hit), rows[hit] - start] = np.inf
            kk = min(k, stop - start)
            sel, s = select_k_scores(S, kk)
            best_s, best_i = merge_topk(best_s, best_i, s, sel + start, k)
        out[qs:qe] = best_i
        if on_block is not None:
            on_block(qe - qs)
    return out


def exact_numpy_symmetric(prep: Prepared, k, exclude, tile, on_block=None, clock: KernelClock | None = None):
    """Self-join kNN that computes each pair once: half the GEMM flops of :func:`exact_numpy`.

    The rows are cut into tiles of ``tile`` rows; for tiles ``I ≤ J`` one product
    serves the rows of ``I`` (row-wise selection) and, when ``J > I``, the rows of
    ``J`` (column-wise selection, no transpose). For euclidean the product is the
    full squared distance ``‖x_i‖² + ‖x_j‖² − 2x_i·x_j``, symmetric in i and j,
    obtained in one GEMM by augmenting the rows with ``[1, ‖x‖²]`` (no extra
    passes over the tile); for cosine/dot it is ``−x_i·x_j``. A running top-k per
    row is merged after every tile. Memory O(tile² + n·k) plus the augmented copy.
    The tile and the left operand live in workspaces allocated and pre-faulted once;
    every GEMM writes into the tile workspace (``out=``).
    """
    clock = clock if clock is not None else KernelClock()
    B, sq = prep._whole
    n, d = B.shape
    best_s = np.full((n, k), np.inf, dtype=B.dtype)
    best_i = np.full((n, k), -1, dtype=np.int64)
    if sq is not None:
        right = prep.augmented
        if right is None:
            right = np.empty((n, d + 2), dtype=B.dtype)
            right[:, :d] = B
            right[:, d] = sq
            right[:, d + 1] = 1.0
    else:
        right = B
    starts = list(range(0, n, tile))
    width = right.shape[1]
    left_work = _workspace(min(tile, n) * width, B.dtype)
    tile_work = _workspace(min(tile, n) ** 2, B.dtype)
    for a in starts:
        ae = min(n, a + tile)
        left = _view(left_work, ae - a, width)
        if sq is not None:
            np.multiply(B[a:ae], -2.0, out=left[:, :d])  # exact scaling
            left[:, d] = 1.0
            left[:, d + 1] = sq[a:ae]
        else:
            np.negative(B[a:ae], out=left)
        for b in starts:
            if b < a:
                continue
            be = min(n, b + tile)
            G = clock.gemm(left, right[b:be].T, _view(tile_work, ae - a, be - b))
            if a == b and exclude:
                np.fill_diagonal(G, np.inf)
            _merge_into(best_s, best_i, a, G, b, k)
            if b > a:  # the same product serves the rows of tile J
                sel, s_ = select_k_columns_scores(G, min(k, G.shape[0]))  # (tile_J, kk) rows of tile I
                rows = slice(b, be)
                best_s[rows], best_i[rows] = merge_topk(best_s[rows], best_i[rows], s_, sel + a, k)
        if on_block is not None:
            on_block(ae - a)
    return best_i


def _merge_into(best_s, best_i, row0, S, col0, k):
    """Merge the top-k of each row of ``S`` (rows ``row0…``, columns ``col0…``) into the running best."""
    rows = slice(row0, row0 + S.shape[0])
    kk = min(k, S.shape[1])
    sel, s = select_k_scores(S, kk)
    ms, mi = merge_topk(best_s[rows], best_i[rows], s, sel + col0, k)
    best_s[rows], best_i[rows] = ms, mi


def exact_torch(prep: Prepared, Q, k, self_offset, block_rows, device, on_block=None):
    """Candidate indices (n_query, k) with torch on ``device``.

    The database is prepared and copied to the device once: kept there whole when it fits
    (any size up to DEVICE_DB_SHARE of the free memory, memory maps included), else streamed
    once, chunk by chunk, against every query block with a running top-k of all queries kept
    on the device. Results are copied back once.
    """
    import torch

    from embgeo._torch import DEVICE_DB_SHARE, DEVICE_TILE_BYTES, ieee_fp32, torch_device

    dev = torch_device(device)
    tdtype = torch.float64 if prep.dtype == np.float64 else torch.float32
    nq, d = Q.shape[0], prep.X.shape[1]
    itemsize = prep.dtype.itemsize
    if dev.type == "cuda":
        free, _total = torch.cuda.mem_get_info(dev)
        resident = prep.n * d * itemsize <= DEVICE_DB_SHARE * free
        if block_rows is None:
            block_rows = int(min(16384, max(256, DEVICE_TILE_BYTES // max(1, prep.n * itemsize))))
    else:
        resident = prep._whole is not None
        if block_rows is None:
            block_rows = default_block_rows(min(prep.n, prep.chunk_rows), itemsize)

    def upload(chunk):
        s, e, B, sq = chunk
        return s, e, torch.from_numpy(B).to(dev), None if sq is None else torch.from_numpy(sq).to(dev, dtype=tdtype)

    best_s = torch.full((nq, k), float("inf"), dtype=tdtype, device=dev)
    best_i = torch.full((nq, k), -1, dtype=torch.long, device=dev)

    def score_block(qs, qe, Qp, start, stop, B, sq):
        S = Qp @ B.T
        if sq is not None:
            S += sq[None, :]
        if self_offset is not None:
            lo, hi = max(qs + self_offset, start), min(qe + self_offset, stop)
            if lo < hi:  # the diagonal of this (query block, chunk) tile: no host index tensors
                r = torch.arange(lo - self_offset - qs, hi - self_offset - qs, device=dev)
                S[r, r + (qs + self_offset - start)] = float("inf")
        s, sel = torch.topk(S, min(k, stop - start), dim=1, largest=False, sorted=False)
        s2 = torch.cat([best_s[qs:qe], s], 1)  # ≥ k columns: the running best starts as k × inf
        i2 = torch.cat([best_i[qs:qe], sel + start], 1)
        v, j = torch.topk(s2, k, dim=1, largest=False, sorted=False)
        best_s[qs:qe] = v
        best_i[qs:qe] = torch.gather(i2, 1, j)

    with torch.no_grad(), ieee_fp32(dev):
        if resident:
            chunks = [upload(c) for c in prep.chunks()]  # memory maps too: each row read and sent once
            for qs in range(0, nq, block_rows):
                qe = min(nq, qs + block_rows)
                Qp = torch.from_numpy(prep.prepare_query(Q[qs:qe])).to(dev)
                for start, stop, B, sq in chunks:
                    score_block(qs, qe, Qp, start, stop, B, sq)
                if on_block is not None:
                    on_block(qe - qs)
            del chunks
        else:  # larger than the device: the database streams through once, the queries are re-sent
            for c in prep.chunks():
                start, stop, B, sq = upload(c)
                for qs in range(0, nq, block_rows):
                    qe = min(nq, qs + block_rows)
                    Qp = torch.from_numpy(prep.prepare_query(Q[qs:qe])).to(dev)
                    score_block(qs, qe, Qp, start, stop, B, sq)
                del B, sq
            if on_block is not None:
                on_block(nq)
        return best_i.cpu().numpy()


# --------------------------------------------------------------------------- exact distances


def exact_distances(X, Q, indices: np.ndarray, *, metric: str = "euclidean") -> np.ndarray:
    """Distances from each query row to its listed rows of ``X``, computed directly in float64.

    ``indices`` (n_query, k). euclidean ``‖q − x‖``; cosine ``1 − q·x/(‖q‖‖x‖)``;
    dot ``−q·x``. Memory is bounded by :data:`REFINE_BYTES`. Every index must be a row of ``X`` (``0 … n−1``;
    a negative one is not counted from the end) and ``Q`` must hold a row per row of ``indices``.
    """
    indices = np.asarray(indices)
    if indices.ndim != 2:
        raise EmbgeoError(f"indices must be a 2-D array (n_query, k), got shape {indices.shape}", hint="one row of row numbers per query")
    nq, k = indices.shape
    d = X.shape[1]
    if metric not in ("euclidean", "cosine", "dot"):
        raise EmbgeoError(f"metric must be one of euclidean, cosine, dot; got {metric!r}")
    if tuple(Q.shape) != (nq, d):
        raise EmbgeoError(f"Q has shape {tuple(Q.shape)}; it must be ({nq}, {d}): one row per row of indices, as wide as X")
    if indices.size and (indices.dtype.kind not in "iu" or indices.min() < 0 or indices.max() >= X.shape[0]):
        indices = check_row_indices("indices", indices, X.shape[0]).reshape(nq, k)  # raises unless whole numbers in 0…n−1
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


def sort_rows(indices: np.ndarray, distances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each row by distance, ties by index (only k columns: cheap)."""
    o = np.argsort(indices, axis=1, kind="stable")
    indices = np.take_along_axis(indices, o, axis=1)
    distances = np.take_along_axis(distances, o, axis=1)
    o = np.argsort(distances, axis=1, kind="stable")
    return np.take_along_axis(indices, o, axis=1), np.take_along_axis(distances, o, axis=1)
