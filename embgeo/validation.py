"""The one validation helper for arrays and the one helper for random state.

``as_matrix`` turns anything array-like into a 2-D floating matrix (float16 and
bfloat16 become float32), checks its shape and finiteness and names the rows
that break a rule. ``scan_rows`` walks a (possibly memory-mapped) matrix block
by block and reports non-finite, zero and duplicate rows; ``clean_rows`` drops
what can be dropped. ``format_rows`` writes row indices into a message (the first
five, then a count); ``dtype_hint`` says how to turn a dtype that is not a real number into
one. ``as_rng`` is the only way the library makes random numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError, either, flag_of, offers, param, setting
from embgeo.results import Result
from embgeo.scaling import representable, row_norms, scale_error, tiny_rows_error, unit_rows, unscale  # noqa: F401  (re-exported)

#: rows per block when a matrix is scanned (bounded memory on memory-mapped data)
DEFAULT_BLOCK_ROWS = 16384


#: the largest seed that umap-learn, scikit-learn's ``random_state`` and numpy's legacy ``RandomState`` take (32 bits)
MAX_LEGACY_SEED = 2**32 - 1


def legacy_seed(seed) -> int:
    """The seed for an API limited to 32 bits (umap-learn, scikit-learn's ``random_state``, numpy's
    ``RandomState``/``np.random.seed``) derived from a non-negative integer ``seed``, deterministically:
    a seed up to 2**32 − 1 is passed unchanged (results of such seeds never change), a larger one is
    reduced to ``numpy.random.SeedSequence(seed).generate_state(1)[0]`` (32 bits of its hashed entropy).
    Distinct seeds below 2**32 never share a derived seed; a larger seed shares its derived seed with
    one below 2**32 (there are only 2**32 of them)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise EmbgeoError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    if seed <= MAX_LEGACY_SEED:
        return seed
    return int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint32)[0])


def as_rng(seed: int | np.random.Generator | None = 0) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a seed (``None`` → fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_seed(seed))


def check_seed(seed):
    """``seed`` unchanged when it is a non-negative integer, a ``numpy.random.Generator`` or None; otherwise one
    line naming it (``True`` is not seed 1, ``2.5`` not 2, ``"abc"`` not a seed). Functions whose result does not
    depend on the seed check it too, so that one call is valid or not whatever the other keywords say."""
    if isinstance(seed, np.random.Generator) or seed is None:
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise EmbgeoError(f"seed must be a non-negative integer (or a numpy Generator), got {seed!r} ({type(seed).__name__})")
    return seed


def seeded_rows(n: int, size: int, seed) -> np.ndarray:
    """The seeded ``--sample``: ``size`` of ``n`` row numbers, sorted — the one draw every command and
    :func:`embgeo.intrinsic.sampling.sample_rows` use, so one ``--sample``/``--seed`` picks the same rows."""
    return np.sort(as_rng(seed).choice(n, size=int(size), replace=False))


def sample_note(sample, n: int, seed, *, unit: str = "rows", values: str = "", detail: str = "", default: str = "",
                name: str = "sample") -> str | None:
    """The one note of ``--sample``, the same words in every command (None when ``sample`` is None).

    ``sample < n`` (the command drew :func:`seeded_rows` ``(n, sample, seed)``)::

        a seeded sample of S of N rows (--sample S, --seed SEED): every value is an estimate on the sample; DETAIL

    otherwise (nothing was sampled)::

        --sample S is not below the N rows: every one of them was used (no sampling)

    ``unit`` names what was sampled (``rows``, ``pairs``, ``groups``, ``texts``); ``values`` narrows
    "every value" to "every value of VALUES" when only some of a command's values are on the sample;
    ``detail`` is the command's own caveat, appended after ``"; "`` to the sampled note only; ``default``
    says why a sample nobody asked for was drawn (e.g. ``the default above 20000 rows``): it replaces
    ``--sample S`` in the parentheses. A ``seed`` of None (library use) draws an unseeded sample, and
    the note says so. ``name`` is the setting that asked for the sample (``sample``; ``reembed_sample``
    in the report): the note names it as the caller writes it (``sample=S`` in Python, ``--sample S``
    on the command line; :func:`embgeo.errors.setting`).
    """
    if sample is None:
        return None
    s, n = int(sample), int(n)
    if s >= n:
        return f"{setting(name, s)} is not below the {n} {unit}: every one of them was used (no sampling)"
    scope = f"every value of {values}" if values else "every value"
    if seed is None:
        kind, seeded = "an unseeded", "no seed: another run draws other rows"
    elif isinstance(seed, (int, np.integer)):
        kind, seeded = "a seeded", setting("seed", int(seed))
    else:
        kind, seeded = "a seeded", f"seeded by a {type(seed).__name__}"
    asked = f"{default}; {either(f'{name}=N', param(name) + ' N')} sets another size" if default else setting(name, s)
    return (f"{kind} sample of {s} of {n} {unit} ({asked}, {seeded}): {scope} is an estimate on the sample"
            + (f"; {detail}" if detail else ""))


def drop_option(what: str) -> str:
    """How to drop rows, as the caller writes it: ``what`` is ``drop_nonfinite``, ``dedupe`` or ``drop_zero``
    (:func:`clean_rows` in Python, the option of that name on the command line)."""
    return either(f"embgeo.validation.clean_rows(X, {what}=True)", "--" + what.replace("_", "-"))


def nonfinite_hint() -> str:
    """The hint of an error about rows with NaN or inf: drop them where the caller can (:func:`clean_rows` from
    Python, ``--drop-nonfinite`` where the running command has it), else fix or remove them in the file."""
    if offers("drop_nonfinite"):
        return f"fix or drop those rows ({drop_option('drop_nonfinite')})"
    return "fix or remove those rows in the file"


def zero_rows_hint(*, normalize: str | None = None, metric: bool | str = False) -> str:
    """The hint of an error about all-zero rows that cannot be L2-normalised: the remedies the caller offers.

    Dropping the rows: :func:`clean_rows` ``(X, drop_zero=True)`` from Python, ``--drop-zero`` where the running
    command has it, else removing them from the file. Where the calling function has them, also:
    ``normalize``: it takes ``normalize=False`` (keep the norms), which the command line sets with the option
    ``normalize`` names (``"raw"``: uniformity's ``--raw``; ``"no-normalize"``: rank's); ``metric``: it takes
    ``metric='euclidean'`` (``True``: the option ``--metric``, or the option named). On the command line only
    the options the running command has are named (:func:`embgeo.errors.offers`).
    """
    fixes = []
    drop = offers("drop_zero")
    if drop:
        fixes.append(f"drop those rows ({drop_option('drop_zero')})")
    if normalize is not None and offers("normalize", normalize):
        fixes.append(f"keep the norms ({either('normalize=False', flag_of('normalize', normalize))})")
    if metric and offers("metric", None if metric is True else metric):
        fixes.append(f"use euclidean distances ({setting('metric', 'euclidean', None if metric is True else flag_of('metric', metric))})")
    if not drop:
        fixes.append("remove those rows from the file")
    return ", or ".join(fixes)


def from_tensor(X):
    """A torch tensor (any device, with or without grad; bfloat16 as float32) as a numpy
    array; anything else unchanged. torch is never imported here: a tensor brings it."""
    if type(X).__module__.split(".")[0] != "torch" or not hasattr(X, "detach"):
        return X
    X = X.detach()
    if str(X.dtype) == "torch.bfloat16":
        X = X.float()
    return X.cpu().numpy()


def _from_pandas(X):
    """A pandas frame or series whose columns use nullable extension dtypes (``Float64``, ``Int64``,
    ``boolean``: ``np.asarray`` makes them objects) as a float64 array, ``pd.NA`` as NaN (refused later
    like any NaN row); plain numpy-typed frames and anything else unchanged. pandas is never imported here."""
    if type(X).__module__.split(".")[0] != "pandas" or not hasattr(X, "to_numpy"):
        return X
    dtypes = list(X.dtypes) if hasattr(X, "dtypes") and not hasattr(X, "dtype") else [X.dtype]
    if all(isinstance(dt, np.dtype) for dt in dtypes) or any(getattr(dt, "kind", "O") not in "biuf" for dt in dtypes):
        return X  # numpy dtypes as they are (float32 stays float32); text or objects are refused as such
    return X.to_numpy(dtype=np.float64, na_value=np.nan)


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The floating dtype a stored dtype is computed in (half precision → float32)."""
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def dtype_hint(dtype) -> str:
    """The fix for a matrix whose dtype is not real numbers (complex, text, records …), written as
    the ``hint`` of an :class:`EmbgeoError`."""
    kind = np.dtype(dtype).kind
    if kind == "c":
        return "save real numbers instead: np.real(X), np.abs(X) for the magnitude, or np.hstack([X.real, X.imag]) to keep both parts"
    if kind in "SUO":
        return "save the vectors as numbers, e.g. X.astype(np.float32), not as text or objects"
    return "save a float32/float64 matrix, e.g. X.astype(np.float32)"


def format_rows(rows: np.ndarray, limit: int = 5) -> str:
    """Row indices for a message: ``"3, 8, 12"``, or the first ``limit`` and ``"and N more"``."""
    rows = np.asarray(rows)
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    return f"{shown}{more}"


def as_matrix(
    X,
    *,
    name: str = "X",
    min_rows: int = 2,
    min_cols: int = 1,
    allow_nonfinite: bool = False,
    allow_zero_rows: bool = True,
    dtype: np.dtype | type | None = None,
    copy: bool = False,
    rescale: bool | None = True,
    zero_hint: str | None = None,
    scale_hint: str | None = None,
) -> np.ndarray:
    """Validate ``X`` as a ``(n_samples, n_features)`` floating matrix.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    name : how the array is named in error messages (a file name, ``"pairs"``, …).
    min_rows : fewest rows the caller's method needs.
    allow_nonfinite : if False, NaN/inf rows raise, naming the rows.
    allow_zero_rows : if False, all-zero rows raise (needed before L2 normalisation).
    zero_hint : the hint of that error, where the caller offers more than dropping the rows
        (default :func:`zero_rows_hint` ``()``; e.g. ``zero_rows_hint(metric=True)``).
    dtype : force a floating dtype; by default float64 stays float64 and every
        other dtype (float16, bfloat16, integers) is computed in float32, but for integers beyond 2**24 in
        magnitude (float64, which holds them exactly) and beyond 2**53 (an error: they would be rounded).

    rescale : values so large (or small) that squared norms or distance sums would overflow
        (underflow) the computing dtype — float64 ×1e200 — are multiplied by a power of two
        (exact; see :func:`scale_exponent`), which leaves every scale-free result (normalised
        uniformity, cosines, intrinsic dimension, ranks) as it is; with ``rescale=False``
        (analyses that depend on the scale) they raise an :class:`EmbgeoError` with the reason
        (:func:`scale_error`; ``scale_hint`` replaces its hint); with ``rescale=None`` the values are
        returned as they are, unchecked: the caller handles the scale itself (:func:`as_scaled_matrix`
        returns the power of two, so that a scale-dependent result can be brought back exactly).
        A rescale that would flush a non-zero row to zero (rows whose scales differ by more than
        the dtype's range) raises instead: that row would be taken for an all-zero row.

    A memory-mapped input whose dtype already fits is returned without a copy.
    """
    return as_scaled_matrix(X, name=name, min_rows=min_rows, min_cols=min_cols, allow_nonfinite=allow_nonfinite,
                            allow_zero_rows=allow_zero_rows, dtype=dtype, copy=copy, rescale=rescale,
                            zero_hint=zero_hint, scale_hint=scale_hint)[0]


def as_scaled_matrix(
    X,
    *,
    name: str = "X",
    min_rows: int = 2,
    min_cols: int = 1,
    allow_nonfinite: bool = False,
    allow_zero_rows: bool = True,
    dtype: np.dtype | type | None = None,
    copy: bool = False,
    rescale: bool | None = True,
    zero_hint: str | None = None,
    scale_hint: str | None = None,
) -> tuple[np.ndarray, int]:
    """:func:`as_matrix` and the power of two it applied: ``(X · 2**k, k)``, ``k = 0`` when ``X`` was left as it is.

    A scale-dependent result computed on the returned matrix is brought back to the units of ``X``
    exactly by :func:`unscale` (a distance ``v`` is ``v · 2**−k``, a squared one ``v · 2**−2k``).
    """
    if hasattr(X, "matrix") and not isinstance(X, np.ndarray):  # an EmbeddingSet
        X = X.matrix
    X = from_tensor(X)
    X = _from_pandas(X)
    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X)
        except (ValueError, TypeError) as exc:
            raise EmbgeoError(f"{name} is not a numeric matrix ({exc})") from None
    if X.dtype == object or X.dtype.kind not in "biuf":
        raise EmbgeoError(f"{name} has dtype {X.dtype}; expected real numbers", hint=dtype_hint(X.dtype))
    if X.ndim == 1:
        raise EmbgeoError(
            f"{name} is 1-D (shape {X.shape}); expected a matrix (n_samples, n_features)",
            hint="reshape to (-1, 1) for one feature, or (1, -1) for one sample",
        )
    if X.ndim != 2:
        raise EmbgeoError(f"{name} has {X.ndim} dimensions (shape {X.shape}); expected 2", hint=either("pass one layer (a stack of layers goes to the per-layer analyses, e.g. embgeo.layer_dimensions)", "pass one layer, or use --layers for a stack"))
    n, d = X.shape
    if n < min_rows:
        raise EmbgeoError(f"has {n} row{'' if n == 1 else 's'}; this needs at least {min_rows}", source=name,
                          hint=f"pass at least {min_rows} rows, one per item")
    if d < min_cols:
        raise EmbgeoError(f"has {d} column{'' if d == 1 else 's'}; this needs at least {min_cols}", source=name,
                          hint=f"pass vectors of at least {min_cols} dimensions, one row per item")
    target = np.dtype(dtype) if dtype is not None else compute_dtype(X.dtype)
    if X.dtype.kind in "iu" and dtype is None and X.size:  # integers: exact in float32 up to 2**24, in float64 up to 2**53
        if X.dtype.itemsize >= 8:  # beyond 2**53: the readers' rule, in their words (an error: float64 would round them)
            from embgeo.io.precision import check_exact_integers

            check_exact_integers(X, name)
        big = max(abs(int(X.max())), abs(int(X.min())))
        if big > 2**24:
            target = np.dtype(np.float64)  # (float32 would round them)
    if X.dtype != target:
        X = X.astype(target)
    elif copy:
        X = np.array(X)
    exponent = scale_exponent(X) if rescale is not None else 0
    if exponent:
        if not rescale:
            raise scale_error(name, X, exponent, hint=scale_hint)
        before = scan_rows(X, duplicates=False).zero_rows if exponent < 0 else None
        X = np.ldexp(X, exponent).astype(X.dtype, copy=False)  # exact: a power of two
        if before is not None:  # scaled down: entries far below the largest can underflow to 0
            flushed = np.setdiff1d(scan_rows(X, duplicates=False).zero_rows, before)
            if flushed.size:
                raise EmbgeoError(
                    f"row{'s' if flushed.size > 1 else ''} {format_rows(flushed)} hold only values so much smaller than the largest "
                    f"({abs_max(np.ldexp(X, -exponent)):.3g}) that bringing the matrix into {X.dtype}'s range would make them all zero",
                    source=name, hint="the rows' scales differ by more than the number type holds: rescale or drop the extreme rows",
                )
    if not allow_nonfinite or not allow_zero_rows:
        report = scan_rows(X, duplicates=False)
        plural = "s" if report.nonfinite_rows.size > 1 else ""
        zplural = "s" if report.zero_rows.size > 1 else ""
        if not allow_nonfinite and report.nonfinite_rows.size:
            raise EmbgeoError(
                f"{name} has {report.nonfinite_rows.size} row{plural} with NaN or inf (row{plural} {format_rows(report.nonfinite_rows)})",
                hint=nonfinite_hint(),
            )
        if not allow_zero_rows and report.zero_rows.size:
            raise EmbgeoError(
                f"{name} has {report.zero_rows.size} all-zero row{zplural} that cannot be L2-normalised (row{zplural} {format_rows(report.zero_rows)})",
                hint=zero_hint or zero_rows_hint(),
            )
        if not allow_zero_rows and report.tiny_rows.size:  # not zero: normalising them would divide by a norm of 0
            raise tiny_rows_error(name, report.tiny_rows, report.norm_max, X.dtype)
    return X, int(exponent)


def abs_max(X, block: int = DEFAULT_BLOCK_ROWS) -> float:
    """The largest finite ``|value|`` of a 2-D ``X``, block by block (no copy of the whole matrix); 0 when none."""
    best = 0.0
    for start, stop in iter_blocks(X.shape[0], block):
        b = X[start:stop]
        hi, lo = b.max(initial=-np.inf), b.min(initial=np.inf)
        if not (np.isfinite(hi) and np.isfinite(lo)):  # NaN/inf in this block: look at the finite values only
            b = np.asarray(b)
            b = b[np.isfinite(b)]
            hi, lo = (b.max(), b.min()) if b.size else (0.0, 0.0)
        best = max(best, abs(float(hi)), abs(float(lo)))
        release_rows(X, start, stop)
    return best


def scale_exponent(X) -> int:
    """``k`` such that ``X · 2**k`` is safe to analyse in its dtype (0 when ``X`` already is).

    Safe: the largest finite ``|value|`` M satisfies ``n · d · M² ≤ max/4`` (squared norms,
    Gram entries and sums of squared distances stay finite) and ``M² ≥ tiny · 2**20`` (squares
    of the largest values are not lost to underflow). Out of range, ``k`` brings M to [0.5, 1).
    """
    X = np.asarray(X) if not isinstance(X, np.ndarray) else X
    if X.ndim != 2 or X.size == 0 or X.dtype.kind != "f":
        return 0
    fi = np.finfo(X.dtype)
    n, d = X.shape
    m = abs_max(X)
    if m == 0.0:
        return 0
    hi = float(np.sqrt(float(fi.max) / (4.0 * max(n, 1) * max(d, 1))))
    lo = float(np.sqrt(float(fi.tiny))) * 2.0**10
    if lo <= m <= hi:
        return 0
    return -int(np.frexp(m)[1])


def read_rows(X, start: int, stop: int) -> np.ndarray:
    """Rows ``[start, stop)`` of ``X`` as an in-memory array.

    When ``X`` is a whole memory-mapped matrix (``np.load(..., mmap_mode="r")``) the file
    pages just read are released afterwards (``madvise(MADV_DONTNEED)``; the mapping is
    read-only, so they are simply re-read if needed). A pass over a file larger than
    memory then keeps a resident set of about one block instead of the whole file.
    """
    block = np.array(X[start:stop])
    release_rows(X, start, stop)
    return block


def release_rows(X, start: int, stop: int) -> None:
    """Drop the resident file pages of rows ``[start, stop)`` of a memory-mapped matrix (no-op otherwise)."""
    import mmap

    mm = getattr(X, "_mmap", None)
    if not isinstance(mm, mmap.mmap) or not X.flags.c_contiguous or not hasattr(mm, "madvise"):
        return
    row_bytes = X.strides[0]
    base = int(getattr(X, "offset", 0)) % mmap.ALLOCATIONGRANULARITY  # where row 0 sits in the mapping
    lo = base + start * row_bytes
    hi = min(len(mm), base + stop * row_bytes)
    page = mmap.PAGESIZE
    lo_aligned = (lo // page) * page
    if hi <= lo_aligned:
        return
    try:
        mm.madvise(mmap.MADV_DONTNEED, lo_aligned, hi - lo_aligned)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - platforms without madvise
        pass


def take_rows(X, idx) -> np.ndarray:
    """Rows ``idx`` (sorted indices) of ``X`` as an in-memory array.

    From a whole memory-mapped ``.npy`` the rows are read with ``pread`` instead of
    through the mapping: touching scattered rows of a mapping maps whole large page
    folios (measured: 2048 random rows of a 3 GB file raised the resident set by 2.1 GB),
    while ``pread`` maps nothing. Any other array is indexed as usual.
    """
    import os

    idx = np.asarray(idx, dtype=np.int64)
    path = getattr(X, "filename", None)
    if not (isinstance(X, np.memmap) and getattr(X, "_mmap", None) is not None and X.flags.c_contiguous and path and X.ndim == 2 and os.path.exists(path)):
        return np.asarray(X[idx])  # (a spilled temporary map has no file left to pread from)
    row_bytes = X.strides[0]
    out = np.empty((idx.size, X.shape[1]), dtype=X.dtype)
    if idx.size == 0:
        return out
    buf = out.reshape(-1).view(np.uint8)
    # runs of consecutive rows become one read each
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    starts = np.r_[0, breaks]
    ends = np.r_[breaks, idx.size]
    fd = os.open(path, os.O_RDONLY)
    try:
        for a, b in zip(starts, ends):
            want = int(b - a) * row_bytes
            got = os.preadv(fd, [memoryview(buf[a * row_bytes : a * row_bytes + want])], int(X.offset) + int(idx[a]) * row_bytes)
            if got != want:
                raise EmbgeoError(f"short read at row {int(idx[a])}: the file is truncated", source=str(path))
    finally:
        os.close(fd)
    return out


def iter_blocks(n: int, block: int = DEFAULT_BLOCK_ROWS):
    """Yield ``(start, stop)`` row ranges covering ``range(n)``."""
    for start in range(0, n, block):
        yield start, min(n, start + block)


def _row_hashes(block: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """64-bit hash of each row's values (``-0.0`` and ``0.0`` hash alike)."""
    b = np.ascontiguousarray(block + 0.0)  # +0.0 folds -0.0 into 0.0
    if b.dtype.itemsize == 8:
        words = b.view(np.uint64)
    else:
        words = b.astype(np.float32, copy=False).view(np.uint32).astype(np.uint64)
    # multiply-xorshift mix per word, then a weighted wrap-around sum per row
    mixed = words * np.uint64(0x9E3779B97F4A7C15)
    mixed ^= mixed >> np.uint64(29)
    with np.errstate(over="ignore"):
        return (mixed * weights[None, : words.shape[1]]).sum(axis=1, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class RowReport(Result):
    """What :func:`scan_rows` found: row indices of each kind of bad row."""

    n_rows: int
    nonfinite_rows: np.ndarray = field(repr=False)
    zero_rows: np.ndarray = field(repr=False)
    duplicate_rows: np.ndarray = field(repr=False)  # rows equal to an earlier row
    duplicate_groups: int = 0
    duplicate_of: np.ndarray = field(default=None, repr=False)  # for each duplicate row, the first row it equals
    norm_min: float = float("nan")
    norm_median: float = float("nan")
    norm_max: float = float("nan")
    #: finite rows, not all zero, whose plain float64 sum of squares underflows to below the smallest normal
    #: number (values ≲ 1e-154): ``x / sqrt(Σ x²)`` fails on them; their ``norm_*`` are right (:func:`row_norms`)
    tiny_rows: np.ndarray = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {
            "n_rows": self.n_rows,
            "nonfinite_rows": int(self.nonfinite_rows.size),
            "zero_rows": int(self.zero_rows.size),
            "duplicate_rows": int(self.duplicate_rows.size),
            "duplicate_groups": int(self.duplicate_groups),
            "norm_min": self.norm_min,
            "norm_median": self.norm_median,
            "norm_max": self.norm_max,
        }


_TINY64 = float(np.finfo(np.float64).tiny)

def scan_rows(X: np.ndarray, *, duplicates: bool = True, block: int | None = None) -> RowReport:
    """Scan ``X`` (n_samples, n_features) block by block for NaN/inf, zero and duplicate rows.

    Duplicates are found by exact equality of values (a 64-bit hash per row,
    then an exact comparison of the rows that share a hash) — never by a
    distance threshold, which GEMM round-off defeats. Norms are accumulated in
    float64 and are right at any scale (:func:`row_norms`: rows of 1e200 or 1e-200
    too); a row is all-zero only when every value is exactly 0.
    Memory: O(block × n_features + n_samples).
    """
    n, d = X.shape
    if block is None:  # ~32 MiB of float64 per block whatever the width
        block = max(256, min(DEFAULT_BLOCK_ROWS, (32 << 20) // (8 * max(d, 1))))
    nonfinite, zero, tiny, norms = [], [], [], np.empty(n, dtype=np.float64)
    hashes = np.empty(n, dtype=np.uint64) if duplicates else None
    weights = np.random.default_rng(0x5EED).integers(1, 2**63, size=d, dtype=np.uint64) | np.uint64(1)
    for start, stop in iter_blocks(n, block):
        b = read_rows(X, start, stop)
        if b.dtype.kind != "f" or b.dtype.itemsize < 4:
            b = b.astype(np.float32)
        finite = np.isfinite(b).all(axis=1)
        bad = np.flatnonzero(~finite)
        if bad.size:
            nonfinite.append(bad + start)
        b64 = b.astype(np.float64)
        sq = np.einsum("ij,ij->i", b64, b64)
        norms[start:stop] = row_norms(b64)
        nonzero = np.any(b64 != 0, axis=1)
        z = np.flatnonzero(finite & ~nonzero)  # all entries exactly 0 (-0.0 included)
        if z.size:
            zero.append(z + start)
        small = np.flatnonzero(finite & nonzero & (sq < _TINY64))
        if small.size:
            tiny.append(small + start)
        if duplicates:
            hashes[start:stop] = _row_hashes(b, weights)
    nonfinite_rows = np.concatenate(nonfinite) if nonfinite else np.empty(0, dtype=np.int64)
    zero_rows = np.concatenate(zero) if zero else np.empty(0, dtype=np.int64)
    dup_rows = np.empty(0, dtype=np.int64)
    dup_of = np.empty(0, dtype=np.int64)
    groups = 0
    if duplicates and n > 1:
        order = np.argsort(hashes, kind="stable")
        hs = hashes[order]
        same = np.flatnonzero(hs[1:] == hs[:-1])
        if same.size:
            dup_rows, dup_of, groups = _confirm_duplicates(X, order, hs)
    finite_norms = np.delete(norms, nonfinite_rows)  # a finite row's norm beyond float64 is inf, and shown so
    if finite_norms.size:
        nmin, nmed, nmax = float(finite_norms.min()), float(np.median(finite_norms)), float(finite_norms.max())
    else:
        nmin = nmed = nmax = float("nan")
    tiny_rows = np.concatenate(tiny) if tiny else np.empty(0, dtype=np.int64)
    return RowReport(n, nonfinite_rows, zero_rows, dup_rows, groups, dup_of, nmin, nmed, nmax, tiny_rows)


def _confirm_duplicates(X, order, sorted_hashes):
    """Exact check of rows sharing a hash; returns (rows equal to an earlier row, the first row
    each equals, number of groups)."""
    starts = np.flatnonzero(np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]])
    ends = np.r_[starts[1:], sorted_hashes.size]
    dups, firsts, groups = [], [], 0
    for s, e in zip(starts, ends):
        if e - s < 2:
            continue
        idx = np.sort(order[s:e])
        rows = np.asarray(X[idx]).astype(np.float64) + 0.0
        # group identical rows inside the bucket (hash collisions are split here)
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        for g in range(first.size):
            members = idx[inverse == g]
            if members.size > 1:
                groups += 1
                dups.append(members[1:])
                firsts.append(np.full(members.size - 1, members[0]))
    if not dups:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), 0
    rows, of = np.concatenate(dups), np.concatenate(firsts)
    order = np.argsort(rows)
    return rows[order], of[order], groups


def rows_to_drop(report: RowReport, *, drop_nonfinite: bool = False, dedupe: bool = False, drop_zero: bool = False) -> np.ndarray:
    """Sorted indices of the rows a scan marks for the asked drops (NaN/inf, duplicates, all-zero)."""
    drop = [rows for rows, on in ((report.nonfinite_rows, drop_nonfinite), (report.duplicate_rows, dedupe), (report.zero_rows, drop_zero)) if on]
    return np.unique(np.concatenate(drop)) if drop else np.empty(0, dtype=np.int64)


def clean_rows(
    X: np.ndarray,
    *,
    drop_nonfinite: bool = False,
    dedupe: bool = False,
    drop_zero: bool = False,
    report: RowReport | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Drop the rows a user asked to drop; return ``(kept_matrix, kept_row_indices)``.

    Only when something is dropped is a copy made; otherwise the input (possibly
    memory-mapped) is returned as is.
    """
    if not (drop_nonfinite or dedupe or drop_zero):
        return X, np.arange(X.shape[0])
    report = report or scan_rows(X, duplicates=dedupe)
    drop_idx = rows_to_drop(report, drop_nonfinite=drop_nonfinite, dedupe=dedupe, drop_zero=drop_zero)
    if drop_idx.size == 0:
        return X, np.arange(X.shape[0])
    keep = np.setdiff1d(np.arange(X.shape[0]), drop_idx)
    return np.asarray(X[keep]), keep
