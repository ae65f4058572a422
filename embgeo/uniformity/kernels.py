"""Kernels behind :mod:`embgeo.uniformity.core`: the exact blockwise sum and the pair sampler.

Exact: for row tiles ``A = P[a:a+b]`` and column chunks ``C = P[c:c+w]`` of the
prepared matrix ``P`` (L2-normalised rows, or centred rows in raw mode) with
``c >= a``, one GEMM ``G = A Cᵀ`` gives the log-kernel of every pair in the tile,

    log k_ij = −t‖p_i − p_j‖² = 2t(G_ij − 1)                  (unit rows)
             = −t (‖p_i‖² + ‖p_j‖² − 2 G_ij)                (raw rows)

pairs with ``j <= i`` are masked, and ``Σ exp(log k)`` is accumulated as a running
log-sum-exp in float64. Only the upper triangle is computed (n(n−1)/2 pairs, n²d
multiply-adds in all) and memory is one tile, ``block × chunk`` numbers. The
same loop runs on numpy or on torch (CPU or CUDA).

Sampled: i.i.d. pairs ``(i, j)`` with ``i`` uniform and ``j`` uniform over the
other ``n − 1`` rows; the rows of each batch are read in sorted order (so a
memory-mapped file is only touched where the sample lands) and distances are
taken from the differences ``x_i − x_j`` in float64 (no cancellation).
"""
from __future__ import annotations

import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from embgeo.validation import nonfinite_hint, release_rows, scale_error, take_rows, unit_rows, zero_rows_hint

from embgeo.errors import EmbgeoError, either, flag_of

#: numbers per tile of the exact loop (8 Mi float32 = 32 MiB)
TILE_ELEMS = 8 * 1024 * 1024
#: default rows per tile of the exact loop
DEFAULT_BLOCK = 1024
#: threads for the element-wise passes of the numpy engine (exp, sum, masks)
ELEMWISE_THREADS = max(1, min(8, os.cpu_count() or 1))
#: pairs per batch of the sampler
SAMPLE_BATCH = 1024
#: rows prepared per host batch when filling a device buffer
PREP_ROWS = 16384
#: a prepared copy of the whole matrix is made when it is at most this big
MAX_PREPARED_BYTES = 2 * 1024**3
#: with unit rows and 2t <= this, exp(2t·cos) stays in float32's normal range: no max pass
_FIXED_SHIFT_MAX = 40.0


def _logaddexp(acc: tuple[float, float], m: float, s: float) -> tuple[float, float]:
    """Merge ``exp(m)·s`` into an accumulator ``(M, S)`` that stands for ``exp(M)·S``."""
    M, S = acc
    if s <= 0.0 or not math.isfinite(m):
        return acc
    if M == -math.inf:
        return m, s
    if m > M:
        return m, S * math.exp(M - m) + s
    return M, S + s * math.exp(m - M)


def tile_plan(n: int, block: int | None) -> tuple[int, int]:
    """``(row_block, col_block)`` of the exact sum's tiles: ``block`` rows (default :data:`DEFAULT_BLOCK`)
    against at least :data:`TILE_ELEMS` / ``block`` columns (shared with the Dask path's task ranges)."""
    rb = max(1, min(n, int(block or DEFAULT_BLOCK)))
    cb = max(rb, TILE_ELEMS // rb)
    return rb, cb


def exact_logsum_numpy(
    get_rows: Callable[[int, int], np.ndarray],
    n: int,
    *,
    t: float,
    unit: bool,
    sq: np.ndarray | None,
    dtype: np.dtype,
    block: int | None = None,
    on_tile: Callable[[int], None] | None = None,
    row_range: tuple[int, int] | None = None,
) -> float:
    """``log Σ_{i<j} exp(−t‖p_i − p_j‖²)`` with numpy; ``get_rows(a, b)`` returns prepared rows.

    ``row_range=(r0, r1)`` (``r0`` a multiple of the row tile) sums only the pairs whose
    first row lies in ``[r0, r1)``, with the same tiles: :mod:`embgeo.distributed.cluster` runs
    disjoint ranges on workers and merges their log-sums.
    """
    rb, cb = tile_plan(n, block)
    buf = np.empty(rb * cb, dtype=dtype)
    tri = np.tril(np.ones((rb, rb), dtype=bool))  # j <= i inside a diagonal tile
    # unit rows, moderate t: exp(2t·cos) lies in [e^(−2t), e^(2t)], safe in float32 for 2t <= 40,
    # so the rows are pre-scaled by 2t and the shift −2t is applied once per tile in float64
    fixed = unit and 2.0 * t <= _FIXED_SHIFT_MAX
    two_t = dtype.type(2.0 * t)
    sq_c = None if unit else sq.astype(dtype)
    # the GEMM is multi-threaded by BLAS; the element-wise passes are split over row chunks in threads
    # (numpy releases the GIL inside ufunc loops)
    k = max(1, min(ELEMWISE_THREADS, rb // 64))

    def stage1(G, r0, r1, a, c, c2, diag):
        g = G[r0:r1]
        if not unit:  # g ← −t(‖p_i‖² + ‖p_j‖² − 2G), clamped to ≤ 0
            g *= -2.0
            g += sq_c[c:c2][None, :]
            g += sq_c[a + r0:a + r1][:, None]
            np.maximum(g, 0.0, out=g)
            g *= dtype.type(-t)
        if diag:
            hh = G.shape[0]
            g[:, :hh][tri[r0:r1, :hh]] = -np.inf
        return -math.inf if fixed else float(g.max())

    def stage2(G, r0, r1, m):
        g = G[r0:r1]
        if not fixed:
            g -= dtype.type(m)
            if unit:
                g *= two_t
        np.exp(g, out=g)
        return float(g.sum(dtype=np.float64))

    acc = (-math.inf, 0.0)
    with ThreadPoolExecutor(k) as pool:
        for a in range(*(row_range or (0, n)), rb):
            a2 = min(n, a + rb)
            A = get_rows(a, a2)
            if fixed:
                A = A * two_t
            h = a2 - a
            cuts = np.linspace(0, h, min(k, h) + 1).astype(int)
            chunks = list(zip(cuts[:-1], cuts[1:]))
            for c in range(a, n, cb):
                c2 = min(n, c + cb)
                w = c2 - c
                C = get_rows(c, c2)
                G = buf[: h * w].reshape(h, w)
                np.matmul(A, C.T, out=G)
                maxima = list(pool.map(lambda rr: stage1(G, rr[0], rr[1], a, c, c2, c == a), chunks))
                if on_tile is not None:
                    on_tile(h * w)
                if fixed:  # G = 2t·cos already
                    m, tile_shift = 0.0, -2.0 * t
                else:
                    m = max(maxima)
                    if m == -math.inf:  # a one-row diagonal tile: every entry masked
                        continue
                    tile_shift = 2.0 * t * (m - 1.0) if unit else m
                s = math.fsum(pool.map(lambda rr: stage2(G, rr[0], rr[1], m), chunks))
                acc = _logaddexp(acc, tile_shift, s)
    M, S = acc
    return M + math.log(S) if S > 0 else -math.inf


def exact_logsum_torch(
    get_rows: Callable[[int, int], np.ndarray],
    n: int,
    *,
    t: float,
    unit: bool,
    sq: np.ndarray | None,
    dtype: np.dtype,
    device: str,
    prepared: np.ndarray | None = None,
    block: int | None = None,
    on_tile: Callable[[int], None] | None = None,
    row_range: tuple[int, int] | None = None,
) -> float:
    """The same sum as :func:`exact_logsum_numpy`, with torch on ``device`` (``cpu``, ``cuda``, ``cuda:1``…).

    Without a host copy (``prepared`` None) on a GPU the rows are prepared once, 16 384 at a time,
    into one device buffer when it fits; each tile's log-sum stays on the device (float64) and
    the tiles are merged by one ``logsumexp`` at the end: no host sync inside the loop.
    """
    import torch

    from embgeo._torch import DEVICE_DB_SHARE, ieee_fp32, torch_device

    dev = torch_device(device)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    rb, cb = tile_plan(n, block)

    def as_tensor(arr: np.ndarray):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            return torch.from_numpy(np.ascontiguousarray(arr)).to(dev)

    whole = as_tensor(prepared) if prepared is not None else None
    if whole is None and dev.type == "cuda":
        # no host copy (data > 2 GiB): prepare on the host 16 384 rows at a time, once, into one device buffer
        first = np.ascontiguousarray(get_rows(0, min(n, PREP_ROWS)))
        if n * first.shape[1] * first.itemsize <= DEVICE_DB_SHARE * torch.cuda.mem_get_info(dev)[0]:
            whole = torch.empty((n, first.shape[1]), dtype=as_tensor(first[:1]).dtype, device=dev)
            whole[: first.shape[0]] = as_tensor(first)
            for a0 in range(first.shape[0], n, PREP_ROWS):
                b0 = min(n, a0 + PREP_ROWS)
                whole[a0:b0] = as_tensor(get_rows(a0, b0))

    def rows(a: int, b: int):
        return whole[a:b] if whole is not None else as_tensor(get_rows(a, b))

    sq_t = torch.from_numpy(sq).to(dev, tdtype) if (not unit and sq is not None) else None
    tri = torch.tril(torch.ones((rb, rb), dtype=torch.bool, device=dev))
    fixed = unit and 2.0 * t <= _FIXED_SHIFT_MAX
    logs = []  # one float64 device scalar per tile: log of its sum; no host sync inside the loop
    with torch.no_grad(), ieee_fp32(dev):
        for a in range(*(row_range or (0, n)), rb):
            a2 = min(n, a + rb)
            A = rows(a, a2)
            if fixed:
                A = A * (2.0 * t)
            h = a2 - a
            for c in range(a, n, cb):
                c2 = min(n, c + cb)
                w = c2 - c
                if c == a and w == 1:  # the last row alone: every pair masked (known without looking)
                    if on_tile is not None:
                        on_tile(h * w)
                    continue
                G = A @ rows(c, c2).T
                if not unit:
                    G.mul_(-2.0).add_(sq_t[c:c2][None, :]).add_(sq_t[a:a2][:, None]).clamp_(min=0.0).mul_(-t)
                if c == a:
                    G[:, :h].masked_fill_(tri[:h, :h], -math.inf)
                if fixed:
                    shift = torch.tensor(-2.0 * t, dtype=torch.float64, device=dev)
                else:
                    m = G.max()
                    G.sub_(m)
                    if unit:
                        G.mul_(2.0 * t)
                    m = m.to(torch.float64)
                    shift = 2.0 * t * (m - 1.0) if unit else m
                logs.append(shift + torch.log(torch.exp_(G).sum(dtype=torch.float64)))
                if on_tile is not None:
                    on_tile(h * w)
        if not logs:
            return -math.inf
        return float(torch.logsumexp(torch.stack(logs), 0))


def draw_pairs(n: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``m`` i.i.d. ordered pairs ``(i, j)``, ``i`` uniform on ``[0, n)``, ``j`` uniform on the rest."""
    i = rng.integers(0, n, size=m, dtype=np.int64)
    j = rng.integers(0, n - 1, size=m, dtype=np.int64)
    j += j >= i
    return i, j


def bad_rows_error(name: str, rows: np.ndarray, what: str, hint: str) -> EmbgeoError:
    """The one-line error for rows of ``name`` that break a rule (``what``), naming the first five."""
    rows = np.unique(rows)
    shown = ", ".join(str(int(r)) for r in rows[:5]) + (f" and {rows.size - 5} more" if rows.size > 5 else "")
    if rows.size == 1:  # "1 row with NaN or inf (row 5)", as embgeo.validation says it
        what = what.replace("rows", "row", 1)
        return EmbgeoError(f"{name} has 1 {what} (row {shown})", hint=hint)
    return EmbgeoError(f"{name} has {rows.size} {what} (rows {shown})", hint=hint)


def raw_scale_hint() -> str:
    """The hint of the error of raw uniformity (or alignment) on values whose squares over- or underflow."""
    return ("rescale the data: raw distances depend on the scale, so embgeo does not rescale them for you; "
            f"normalised rows do not ({either('normalize=True', 'leave out ' + flag_of('normalize', 'raw'))})")


def sample_scale_limits(X) -> tuple[float, float]:
    """The range of ``|values|`` that raw sampled distances of ``X`` (n × d) stay exact in, in float64:
    the same bounds as :func:`embgeo.validation.scale_exponent` for the whole matrix."""
    n, d = X.shape
    fi = np.finfo(np.float64)
    return float(np.sqrt(float(fi.tiny))) * 2.0**10, float(np.sqrt(float(fi.max) / (4.0 * max(n, 1) * max(d, 1))))


def read_rows(X, idx: np.ndarray, *, name: str, normalize: bool, scale_limits: tuple[float, float] | None = None) -> np.ndarray:
    """Rows ``idx`` (sorted, unique) of ``X`` as float64, checked and optionally L2-normalised.

    Only these rows are read from a memory-mapped ``X``. NaN/inf rows, and all-zero
    rows when normalising, raise an :class:`EmbgeoError` that names them. Normalised rows
    are right at any scale (:func:`embgeo.validation.unit_rows`); raw rows whose largest
    ``|value|`` lies outside ``scale_limits`` (:func:`sample_scale_limits`) raise the error of an
    analysis that depends on the scale.
    """
    raw = take_rows(X, idx)  # pread from a memory map: scattered rows would map whole folios
    finite = np.isfinite(raw).all(axis=1)
    if not finite.all():
        raise bad_rows_error(name, idx[~finite], "rows with NaN or inf", nonfinite_hint())
    R = raw.astype(np.float64)
    if normalize:
        zero = ~np.any(R != 0, axis=1)  # every entry exactly 0
        if zero.any():
            raise bad_rows_error(
                name, idx[zero], "all-zero rows that cannot be L2-normalised",
                zero_rows_hint(normalize="raw"),  # uniformity(normalize=False) is its --raw
            )
        R = unit_rows(R)  # at any scale: rows of 1e200 or 1e-200 too (bit for bit R / ‖R‖ otherwise)
    elif scale_limits is not None:
        top = float(np.max(np.abs(R), initial=0.0))
        lo, hi = scale_limits
        if top and not lo <= top <= hi:  # raw distances of these rows would over- or underflow
            raise scale_error(name, R, -1 if top > hi else 1, hint=raw_scale_hint())
    return R


def sample_sq_distances(
    X,
    n_pairs: int,
    rng: np.random.Generator,
    *,
    name: str,
    normalize: bool,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Squared distances of ``n_pairs`` random pairs ``i ≠ j`` of rows of ``X`` (float64).

    Pairs are drawn, then processed in batches: each batch reads its distinct rows
    in sorted order (one read per row however often it is drawn) and computes
    ``‖x_i − x_j‖²`` from the difference in float64. Memory: O(batch × n_features).
    """
    n = X.shape[0]
    limits = None if normalize else sample_scale_limits(X)
    i_all, j_all = draw_pairs(n, n_pairs, rng)
    out = np.empty(n_pairs, dtype=np.float64)
    for s in range(0, n_pairs, SAMPLE_BATCH):
        e = min(n_pairs, s + SAMPLE_BATCH)
        i, j = i_all[s:e], j_all[s:e]
        idx = np.unique(np.concatenate([i, j]))
        R = read_rows(X, idx, name=name, normalize=normalize, scale_limits=limits)
        release_rows(X, 0, n)  # a memory map keeps no file pages resident between batches
        diff = R[np.searchsorted(idx, i)]
        diff -= R[np.searchsorted(idx, j)]
        out[s:e] = np.einsum("ij,ij->i", diff, diff)
        if on_batch is not None:
            on_batch(e - s)
    return out
