"""Uniformity and alignment of embeddings (Wang & Isola 2020), exact at any size or sampled with an interval.

References
----------
T. Wang and P. Isola, "Understanding Contrastive Representation Learning through
Alignment and Uniformity on the Hypersphere", ICML 2020.

Definitions (rows L2-normalised by default, ``x̂ = x/‖x‖``):

    uniformity(X; t) = log [ 2/(n(n−1)) Σ_{i<j} exp(−t‖x̂_i − x̂_j‖²) ]        (t = 2)
    alignment(X, Y; α) = 1/n Σ_i ‖x̂_i − ŷ_i‖^α                                (α = 2)

Lower uniformity = more uniform; for points uniform on S^(d−1) the expectation has
the closed form :func:`uniformity_sphere`. Alignment is 0 for identical pairs and
2 (α = 2) for independent, isotropic pairs.

The pair kernels are in :mod:`embgeo.uniformity.kernels`, the distribution summaries and the
sampled-mode interval in :mod:`embgeo.uniformity.stats`, the parameter checks in
:mod:`embgeo.uniformity.checks`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from embgeo.arguments import check_count, check_flag, check_level, former_keywords, renamed_attribute
from embgeo.devices import BACKENDS, resolve_engine  # noqa: F401  (BACKENDS re-exported: the accepted values)
from embgeo.errors import EmbgeoError
from embgeo.results import Result
from embgeo.uniformity import kernels as K
from embgeo.uniformity.checks import check_n_pairs, check_names, check_paired, check_positive
from embgeo.uniformity.sphere import uniformity_sphere  # noqa: F401  (re-exported: the closed form lives beside the estimator)
from embgeo.uniformity.stats import Distribution, log_mean_exp_interval, normal_quantile, quantile_key, summarize
from embgeo.validation import (
    as_matrix, as_rng, iter_blocks, nonfinite_hint, representable, row_norms, tiny_rows_error, unscale, zero_rows_hint,
)

MODES = ("auto", "exact", "sample")
_TINY64 = float(np.finfo(np.float64).tiny)
#: ``mode="auto"`` computes all pairs exactly up to this many rows, and samples above
EXACT_MAX_N = 20_000
#: default number of random pairs in sampled mode
DEFAULT_N_PAIRS = 200_000
#: random pairs drawn (in every mode) to describe the distribution of pair distances
SUMMARY_PAIRS = 10_000
#: rows per block when rows are normalised, centred or summed (float64 temporaries stay ~25 MB at d = 768)
PREP_BLOCK = 4096
#: verdict thresholds on uniformity / uniform-sphere value (embgeo's rule of thumb, also used by the report)
UNIFORMITY_OK = 0.8
UNIFORMITY_WARN = 0.5


# ----------------------------------------------------------------- results

@former_keywords("UniformityResult", value="uniformity", n_samples="n_rows", n_features="n_dims", sphere_value="uniformity_sphere")
@dataclass(frozen=True, slots=True)
class UniformityResult(Result):
    """Uniformity of one set; see :func:`uniformity`. The attributes are named as the JSON keys of :meth:`to_dict`
    (``value``, ``n_samples``, ``n_features``, ``sphere_value`` and ``ratio`` are their former names, DeprecationWarning).

    ``uniformity`` is the uniformity (log of the mean pair kernel) of ``n_rows`` rows of ``n_dims`` dims. ``mode`` is ``exact``
    (all n(n−1)/2 pairs, no interval: ``ci_low``/``ci_high``/``se`` are NaN) or
    ``sample`` (``n_pairs`` random pairs; ``ci_low``/``ci_high`` at ``confidence``
    are the log of an interval of the mean kernel, ``se`` is the delta-method
    standard error of the log; ``interval_method`` says which interval:
    ``normal``, or ``empirical-bernstein`` when fewer than 1000 effective pairs
    ``effective_pairs = (Σk)²/Σk²`` hold the mean, see :func:`log_mean_exp_interval`). ``uniformity_sphere`` is
    :func:`uniformity_sphere` for the same ``d`` and ``t`` (only for normalised
    rows): the value a perfectly uniform set would reach. ``sq_distances``
    describes the squared pair distances (a random sample of pairs).
    """

    uniformity: float
    t: float
    normalized: bool
    mode: str
    n_rows: int
    n_dims: int
    n_pairs: int
    ci_low: float
    ci_high: float
    se: float
    confidence: float
    mean_kernel: float
    uniformity_sphere: float
    backend: str
    sq_distances: Distribution
    interval_method: str = "none"
    effective_pairs: float = math.nan

    value = renamed_attribute("UniformityResult", "value", "uniformity")
    n_samples = renamed_attribute("UniformityResult", "n_samples", "n_rows")
    n_features = renamed_attribute("UniformityResult", "n_features", "n_dims")
    sphere_value = renamed_attribute("UniformityResult", "sphere_value", "uniformity_sphere")
    ratio = renamed_attribute("UniformityResult", "ratio", "uniformity_ratio")

    def table(self):
        rows = [
            ["uniformity", self.uniformity],
            [f"{self.confidence:.0%} interval", "exact (all pairs)" if self.mode == "exact" else [self.ci_low, self.ci_high]],
            ["mode", self.mode],
            ["pairs", self.n_pairs],
        ]
        if self.mode == "sample":
            rows += [["interval method", self.interval_method], ["effective pairs (Σk)²/Σk²", self.effective_pairs]]
        rows += [
            ["t", self.t],
            ["normalized rows", self.normalized],
            ["uniform-sphere value", self.uniformity_sphere],
            ["rows × dims", f"{self.n_rows} × {self.n_dims}"],
        ]
        how = "" if self.sq_distances.exact else f" ({self.sq_distances.n} sampled pairs)"
        rows += [[f"squared distance {quantile_key(q)}{how}", v] for q, v in zip(self.sq_distances.quantile_levels, self.sq_distances.quantile_values) if q in (0.05, 0.5, 0.95)]
        return ["metric", "value"], rows

    @property
    def uniformity_ratio(self) -> float:
        """``uniformity / uniformity_sphere``: 1 for a set spread like the uniform sphere, 0 for a collapsed one (NaN on raw rows)."""
        if self.normalized and math.isfinite(self.uniformity_sphere) and self.uniformity_sphere != 0:
            return float(self.uniformity / self.uniformity_sphere)
        return math.nan

    def ratio_interval(self) -> tuple[float | None, float | None]:
        """The interval of :attr:`uniformity_ratio` in sampled mode (the uniformity interval over the negative sphere value):
        the JSON's ``uniformity_ratio_ci_low``, ``uniformity_ratio_ci_high``."""
        if self.mode != "sample" or not math.isfinite(self.uniformity_ratio):
            return None, None
        lo, hi = sorted((self.ci_low / self.uniformity_sphere, self.ci_high / self.uniformity_sphere))
        return lo, hi

    def to_dict(self) -> dict:
        """The JSON ``results``: ``uniformity`` with ``ci_low``/``ci_high`` (null in exact mode), ``n_rows``, ``n_dims`` …"""
        from embgeo.results import jsonable

        return {
            "uniformity": jsonable(self.uniformity), "ci_low": jsonable(self.ci_low), "ci_high": jsonable(self.ci_high),
            "se": jsonable(self.se), "confidence": self.confidence, "t": self.t, "normalized": self.normalized,
            "mode": self.mode, "n_rows": self.n_rows, "n_dims": self.n_dims, "n_pairs": self.n_pairs,
            "mean_kernel": jsonable(self.mean_kernel), "uniformity_sphere": jsonable(self.uniformity_sphere),
            "uniformity_ratio": jsonable(self.uniformity_ratio),
            "uniformity_ratio_ci_low": jsonable(self.ratio_interval()[0]), "uniformity_ratio_ci_high": jsonable(self.ratio_interval()[1]),
            "backend": self.backend, "interval_method": self.interval_method,
            "effective_pairs": jsonable(self.effective_pairs), "sq_distances": self.sq_distances.to_dict(),
        }

    def metrics(self, *, input: str | None = None, prefix: str = "") -> list:
        """Tidy rows: ``uniformity`` (with its interval in sampled mode), ``uniformity_sphere``,
        ``uniformity_ratio`` (with the verdict's status), ``n_rows``, ``n_dims``, ``n_pairs``; ``t`` as a column."""
        from embgeo.results import Metric

        extra = {"t": self.t, **({"input": input} if input is not None else {})}
        ci = (self.ci_low, self.ci_high) if self.mode == "sample" else (None, None)
        status = self.verdict().status if math.isfinite(self.uniformity_ratio) else ""
        return [
            Metric(f"{prefix}uniformity", self.uniformity, *ci, status="" if status else "info", extra=extra),  # raw rows: the info verdict's row
            Metric(f"{prefix}uniformity_sphere", self.uniformity_sphere, extra=extra),
            Metric(f"{prefix}uniformity_ratio", self.uniformity_ratio, *self.ratio_interval(), status=status, extra=extra),
            Metric(f"{prefix}n_rows", self.n_rows, extra=extra),
            Metric(f"{prefix}n_dims", self.n_dims, extra=extra),
            Metric(f"{prefix}n_pairs", self.n_pairs, unit="pairs", extra=extra),
        ]

    def verdict(self):
        """embgeo's rule on ``uniformity_ratio`` = uniformity / uniform-sphere value (normalised rows):
        ``ok`` at ≥ 0.8, ``warn`` from 0.5, ``bad`` below (a narrow cone); ``info`` on raw rows (no reference value)."""
        from embgeo.results import Verdict

        r = self.uniformity_ratio
        if not math.isfinite(r):
            return Verdict("info", f"uniformity {self.uniformity:.4g} on raw rows: no uniform-sphere reference to judge it against",
                           "", "uniformity")
        from embgeo.results import beside_threshold

        pct = beside_threshold(r, UNIFORMITY_OK, UNIFORMITY_WARN, digits=0, scale=100)  # never rounded onto a threshold
        nums = f"uniformity {self.uniformity:.4g} is {pct}% of the uniform-sphere value {self.uniformity_sphere:.4g}"
        lo, hi = self.ratio_interval()
        if self.mode == "sample" and lo is not None:  # a sampled ratio whose interval spans a threshold does not decide
            lo = lo if lo is not None and math.isfinite(lo) else -math.inf
            hi = hi if hi is not None and math.isfinite(hi) else math.inf
            spans = [t for t in (UNIFORMITY_OK, UNIFORMITY_WARN) if lo < t <= hi]
            if spans:
                from embgeo.errors import setting

                shown = "[" + ", ".join("unbounded" if not math.isfinite(v) else f"{v + 0.0:.0%}" for v in (lo, hi)) + "]"
                return Verdict("warn", f"{nums}, but its {self.confidence:.0%} interval {shown} spans the {' and '.join(f'{t:.0%}' for t in spans)} "
                                       f"threshold{'s' if len(spans) > 1 else ''}: {self.n_pairs} sampled pairs do not decide",
                               f"sample more pairs (e.g. {setting('n_pairs', max(10 * self.n_pairs, 100_000))}) or compute it exactly "
                               f"({setting('mode', 'exact')})", "uniformity_ratio")
        if r >= UNIFORMITY_OK:
            return Verdict("ok", f"{nums} (ok at ≥ {UNIFORMITY_OK:.0%}): spread over the sphere", "", "uniformity_ratio")
        if r >= UNIFORMITY_WARN:
            return Verdict("warn", f"{nums} (warn below {UNIFORMITY_OK:.0%}): random pairs are closer than on a uniform sphere",
                           "centre the rows or remove the top principal directions (embgeo cosine) before cosine retrieval",
                           "uniformity_ratio")
        return Verdict("bad", f"{nums} (bad below {UNIFORMITY_WARN:.0%}): the rows are collapsed into a narrow cone",
                       "centre or whiten the rows (embgeo cosine shows which transform helps), or check for a degenerate model",
                       "uniformity_ratio")


@former_keywords("AlignmentResult", value="alignment", n_pairs="n_rows", n_features="n_dims")
@dataclass(frozen=True, slots=True)
class AlignmentResult(Result):
    """Alignment of two row-paired sets; see :func:`alignment`. The attributes are named as the JSON keys of
    :meth:`to_dict` (``value``, ``n_pairs``, ``n_features`` are their former names, DeprecationWarning).

    ``alignment`` is the mean of ``‖x_i − y_i‖^α``; ``se`` its standard error over the
    ``n_rows`` pairs (of ``n_dims`` dims) and ``ci_low``/``ci_high`` the normal interval at
    ``confidence`` (the pairs taken as a sample of a population of pairs).
    ``distances`` describes ``‖x_i − y_i‖`` over all pairs.
    """

    alignment: float
    alpha: float
    normalized: bool
    n_rows: int
    n_dims: int
    se: float
    ci_low: float
    ci_high: float
    confidence: float
    distances: Distribution

    value = renamed_attribute("AlignmentResult", "value", "alignment")
    n_pairs = renamed_attribute("AlignmentResult", "n_pairs", "n_rows")
    n_features = renamed_attribute("AlignmentResult", "n_features", "n_dims")

    def table(self):
        rows = [
            ["alignment", self.alignment],
            [f"{self.confidence:.0%} interval", [self.ci_low, self.ci_high]],
            ["alpha", self.alpha],
            ["normalized rows", self.normalized],
            ["pairs", self.n_rows],
        ]
        rows += [[f"pair distance {quantile_key(q)}", v] for q, v in zip(self.distances.quantile_levels, self.distances.quantile_values) if q in (0.05, 0.5, 0.95)]
        return ["metric", "value"], rows

    def to_dict(self) -> dict:
        from embgeo.results import jsonable

        return {
            "alignment": jsonable(self.alignment), "ci_low": jsonable(self.ci_low), "ci_high": jsonable(self.ci_high),
            "se": jsonable(self.se), "confidence": self.confidence, "alpha": self.alpha, "normalized": self.normalized,
            "n_rows": self.n_rows, "n_dims": self.n_dims, "distances": self.distances.to_dict(),
        }

    def metrics(self, *, prefix: str = "") -> list:
        from embgeo.results import Metric

        return [Metric(f"{prefix}alignment", self.alignment, self.ci_low, self.ci_high, extra={"alpha": self.alpha})]


# ----------------------------------------------------------------- the first pass

def scan_norms(X, *, name: str, normalize: bool) -> tuple[np.ndarray, np.ndarray]:
    """The first pass of exact uniformity (here and in :mod:`embgeo.distributed.metrics`): float64 row
    norms and column sums of ``X``, block by block; NaN/inf rows (and, when ``normalize``, all-zero rows and
    rows too small beside the others for ``1/‖x‖`` to hold in ``X``'s dtype) raise an :class:`EmbgeoError`
    naming them. Norms are right at any scale (:func:`embgeo.validation.row_norms`).
    Memory O(PREP_BLOCK × n_features)."""
    n, d = X.shape
    norms = np.empty(n, dtype=np.float64)
    colsum = np.zeros(d, dtype=np.float64)
    bad, zero, tiny = [], [], []
    for a, b in iter_blocks(n, PREP_BLOCK):
        blk = np.asarray(X[a:b], dtype=np.float64)
        finite = np.isfinite(blk).all(axis=1)
        if not finite.all():
            bad.append(np.flatnonzero(~finite) + a)
            continue
        norms[a:b] = row_norms(blk)  # right at any scale: a row of 1e-200 beside rows of 1 has its norm, not 0
        colsum += blk.sum(axis=0)
        if normalize:
            nonzero = np.any(blk != 0, axis=1)
            zero.append(np.flatnonzero(~nonzero) + a)  # every entry exactly 0
            with np.errstate(divide="ignore", over="ignore"):  # the row is scaled by 1/‖x‖, which must hold in X's dtype
                lost = nonzero & ((norms[a:b] < _TINY64) | ~np.isfinite((1.0 / norms[a:b]).astype(X.dtype, copy=False)))
            tiny.append(np.flatnonzero(lost) + a)
    if bad:
        raise K.bad_rows_error(name, np.concatenate(bad), "rows with NaN or inf", nonfinite_hint())
    zero = np.concatenate(zero) if zero else np.empty(0, dtype=np.int64)
    if zero.size:
        raise K.bad_rows_error(name, zero, "all-zero rows that cannot be L2-normalised", zero_rows_hint(normalize="raw"))
    tiny = np.concatenate(tiny) if tiny else np.empty(0, dtype=np.int64)
    if tiny.size:  # not zero, but too small next to the largest rows to be normalised (rows of 1e-200 beside rows of 1)
        raise tiny_rows_error(name, tiny, float(np.max(norms)), X.dtype)
    return norms, colsum


# ----------------------------------------------------------------- uniformity

def uniformity(
    X,
    *,
    t: float = 2.0,
    normalize: bool = True,
    mode: str = "auto",
    n_pairs: int = DEFAULT_N_PAIRS,
    confidence: float = 0.95,
    seed=0,
    device: str | None = None,
    backend: str = "auto",
    block: int | None = None,
    exact_max_n: int = EXACT_MAX_N,
    summary_pairs: int = SUMMARY_PAIRS,
    name: str = "X",
    progress=None,
) -> UniformityResult:
    """Uniformity ``log mean_{i<j} exp(−t‖x_i − x_j‖²)`` of ``X`` (n_samples, n_features).

    Wang & Isola 2020, eq. (2)-(3); default ``t = 2`` on L2-normalised rows
    (``normalize=False`` uses the raw rows; they are centred first, which leaves
    distances unchanged and keeps float32 GEMM distances accurate).

    Modes
    -----
    ``exact``: every pair, blockwise GEMM over the upper triangle with a float64
        log-sum-exp; memory O(block × n_samples) besides one prepared copy of ``X``
        (rows normalised or centred; for inputs over 2 GiB the rows are prepared
        tile by tile instead). ``backend``: ``"numpy"``, ``"torch"`` (on ``device``, default the CPU)
        or ``"auto"`` (numpy, torch on a ``"cuda"`` device); ``device`` ``"cpu"``, ``"cuda"`` or
        ``"auto"`` (CUDA when present) means what it means in every other function: where the work runs.
    ``sample``: ``n_pairs`` i.i.d. random pairs ``i ≠ j``; the mean kernel is an
        unbiased estimate of the all-pairs mean, with a normal interval at
        ``confidence`` whose bounds are log-transformed (``se`` is the delta-method
        standard error of the log, ``sd/(mean·√n_pairs)``). Only the sampled rows
        are read (sorted, in batches), so a memory-mapped matrix of any size works;
        NaN/inf and zero rows are detected among the rows read.
    ``auto`` (default): ``exact`` for ``n_samples <= exact_max_n`` (20 000), else ``sample``.
    ``n_pairs`` beside ``mode="exact"`` is refused unless it is the default (no pair is drawn there).

    ``sq_distances`` summarises ``summary_pairs`` random pairs for plots. ``progress``
    is an optional callable ``advance(k)`` told how many pairs are done.

    Scale: normalised rows give the same value at any scale (values of 1e160 or 1e-170 are
    rescaled by a power of two, exact). Raw distances depend on the scale: raw rows whose squares
    over- or underflow float64 (where the kernel ``e^(−t·1e320)`` is no float) raise an
    :class:`EmbgeoError` instead (in sampled mode, among the rows read).
    """
    t = check_positive("t", t)
    normalize = check_flag("normalize", normalize)
    confidence = check_level(confidence)
    if mode not in MODES:
        raise EmbgeoError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    n_pairs = check_n_pairs(n_pairs, mode, DEFAULT_N_PAIRS)
    if block is not None:  # a whole number of rows (a bool, a fraction or text is refused)
        block = check_count("block", block, minimum=1, hint="None: the default tile")
    summary_pairs = check_count("summary_pairs", summary_pairs, minimum=1)
    exact_max_n = check_count("exact_max_n", exact_max_n, minimum=0)
    engine = exact_engine(device, backend)
    rng = as_rng(seed)
    if hasattr(X, "matrix") and not isinstance(X, np.ndarray):  # an EmbeddingSet
        X = X.matrix
    if not isinstance(X, np.ndarray):  # lists, tensors…: checked for shape and dtype, not yet for values
        X = as_matrix(X, name=name, min_rows=2, allow_nonfinite=True, allow_zero_rows=True, rescale=None)
    n = X.shape[0] if X.ndim == 2 else 0
    chosen = mode if mode != "auto" else ("exact" if n <= exact_max_n else "sample")
    if chosen == "exact":  # NaN/inf and zero rows are checked in the first pass of _exact
        # normalised rows do not depend on the scale: values whose squares over/underflow are rescaled by a power
        # of two (exact); raw distances do, and such values are refused (the kernel of 1e160-apart rows is e^(-1e320))
        X = as_matrix(X, name=name, min_rows=2, allow_nonfinite=True, allow_zero_rows=True,
                      rescale=bool(normalize), scale_hint=K.raw_scale_hint())
    elif isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[0] >= 2 and X.dtype.kind in "biuf":
        # only the sampled rows are read, checked and converted (a float16 memory map stays on disk); their
        # scale is handled as they are read (kernels.read_rows: normalised at any scale, raw refused out of range)
        as_matrix(X[:2], name=name, min_rows=2, allow_nonfinite=True, allow_zero_rows=True, rescale=None)
    else:
        X = as_matrix(X, name=name, min_rows=2, allow_nonfinite=True, allow_zero_rows=True, rescale=None)
    n, d = X.shape
    sphere = uniformity_sphere(d, t) if normalize else math.nan
    if chosen == "exact":
        value, backend = _exact(X, t=t, normalize=normalize, device=engine, block=block, progress=progress, name=name)
        total = n * (n - 1) // 2
        sq = K.sample_sq_distances(X, summary_pairs, rng, name=name, normalize=normalize)
        return UniformityResult(
            uniformity=value, t=t, normalized=normalize, mode="exact", n_rows=n, n_dims=d,
            n_pairs=total, ci_low=math.nan, ci_high=math.nan, se=math.nan, confidence=confidence,
            mean_kernel=math.exp(value), uniformity_sphere=sphere, backend=backend,
            sq_distances=summarize(sq, what="squared distance of random pairs", exact=False, value_range=(0.0, 4.0) if normalize else None),
        )
    sq = K.sample_sq_distances(X, int(n_pairs), rng, name=name, normalize=normalize, on_batch=progress)
    est = log_mean_exp_interval(-t * sq, confidence=confidence)
    return UniformityResult(
        uniformity=est.value, t=t, normalized=normalize, mode="sample", n_rows=n, n_dims=d,
        n_pairs=int(n_pairs), ci_low=est.low, ci_high=est.high, se=est.se, confidence=confidence,
        mean_kernel=math.exp(est.value), uniformity_sphere=sphere, backend="numpy",
        interval_method=est.method, effective_pairs=est.effective_pairs,
        sq_distances=summarize(sq[:summary_pairs], what="squared distance of random pairs", exact=False, value_range=(0.0, 4.0) if normalize else None),
    )


def exact_engine(device: str | None, backend: str = "auto", *, check_gpu: bool = True) -> str | None:
    """Where the exact all-pairs loop runs: None for numpy, else the torch device (``"cpu"``, ``"cuda"``).
    ``device`` says where the work runs (as in every function: ``"cpu"``, ``"cuda"``, ``"auto"``), ``backend``
    which library runs it: ``"auto"`` is numpy on the CPU and torch on a GPU (:func:`embgeo.devices.resolve_engine`,
    the rule the kNN engine follows too; ``check_gpu``: a cuda device needs a GPU torch sees here)."""
    used, where = resolve_engine(backend, device, check_gpu=check_gpu)
    return None if used == "numpy" else where


def _exact(X: np.ndarray, *, t: float, normalize: bool, device: str | None, block: int | None, progress, name: str = "X") -> tuple[float, str]:
    """log mean over i<j of the kernel; returns ``(value, backend)``."""
    n, d = X.shape
    dtype = np.dtype(X.dtype)
    norms, colsum = scan_norms(X, name=name, normalize=normalize)
    scale = 1.0 / norms if normalize else None
    shift = None if normalize else colsum / n

    def prep(a: int, b: int) -> np.ndarray:
        blk = np.asarray(X[a:b])
        if normalize:
            out = blk * scale[a:b, None].astype(dtype)
        else:
            out = (blk.astype(np.float64) - shift).astype(dtype)
        return np.ascontiguousarray(out, dtype=dtype)

    prepared = None
    # rows already unit-norm to a few ulps (embeddings saved normalised) are used in place: no copy
    already_unit = (
        normalize and isinstance(X, np.ndarray) and X.flags.c_contiguous
        and float(np.max(np.abs(norms - 1.0))) <= 8 * float(np.finfo(dtype).eps)
    )
    if already_unit:
        prepared = X
        get_rows = lambda a, b: X[a:b]  # noqa: E731
    elif n * d * dtype.itemsize <= K.MAX_PREPARED_BYTES:
        prepared = np.empty((n, d), dtype=dtype)
        for a, b in iter_blocks(n, PREP_BLOCK):
            prepared[a:b] = prep(a, b)
        get_rows = lambda a, b: prepared[a:b]  # noqa: E731
    else:
        get_rows = prep
    sq = None
    if not normalize:  # squared norms of the prepared rows, in float64
        src = prepared if prepared is not None else None
        sq = np.empty(n, dtype=np.float64)
        for a, b in iter_blocks(n, PREP_BLOCK):
            blk = (src[a:b] if src is not None else prep(a, b)).astype(np.float64)
            sq[a:b] = np.einsum("ij,ij->i", blk, blk)
    if device is None or device == "numpy":
        logsum = K.exact_logsum_numpy(get_rows, n, t=t, unit=normalize, sq=sq, dtype=dtype, block=block, on_tile=progress)
        backend = "numpy"
    else:
        logsum = K.exact_logsum_torch(get_rows, n, t=t, unit=normalize, sq=sq, dtype=dtype, device=str(device), prepared=prepared, block=block, on_tile=progress)
        backend = f"torch:{device}"
    return logsum - math.log(n * (n - 1) / 2.0), backend


# ----------------------------------------------------------------- alignment

def paired_rows(X, Y, *, join: str | None = None, names: tuple[str, str] = ("X", "Y")):
    """``(X, Y)`` with the rows of ``Y`` put in the order of ``X`` by :func:`embgeo.io.join.align_sets`.

    :class:`~embgeo.io.EmbeddingSet` s with ids are paired **by id** (every id in both, once; a
    mismatch, repeated ids, or ids on one side only raise an :class:`EmbgeoError`), unless
    ``join="row-order"``. Arrays (and sets without ids) carry no ids: they pair by row order and
    are returned as they are. ``names`` name the inputs in errors (a set's file by default).
    """
    from embgeo.io.join import align_sets, check_join, check_key_columns, input_ids, input_name

    default = tuple(names) == ("X", "Y")
    jn = [input_name(s, i) if default and getattr(s, "provenance", None) else str(names[i]) for i, s in enumerate((X, Y))]
    if check_join(join) == "row-order" or (input_ids(X) is None and input_ids(Y) is None):
        check_key_columns([X, Y], join=join, names=jn)  # no ids: a shuffled key column both carry is refused
        return X, Y
    (X, Y), _ = align_sets([X, Y], join=join, names=jn)
    return X, Y


def _powered_mean(dist: np.ndarray, alpha: float, z: float, *, names: tuple[str, str]) -> tuple[float, float, float, float]:
    """``(mean, se, mean − z·se, mean + z·se)`` of ``dist**alpha``. Where a power over- or underflows
    (raw distances of 1e160 or 1e-170) it is taken on the distances scaled by a power of two ``2**−e``
    and brought back exactly (``mean · 2**(eα)``); a mean beyond the float64 range is refused, never
    shown as ``inf`` or 0."""
    n = dist.size
    if not np.isfinite(dist).all():  # x − y itself beyond float64 (values near ±1.8e308 of opposite signs)
        bad = np.flatnonzero(~np.isfinite(dist))
        raise EmbgeoError(f"the differences of paired rows {', '.join(map(str, bad[:5]))} exceed the float64 range",
                          source=names[0], hint=K.raw_scale_hint())
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        powered = dist**alpha
        value = float(powered.mean())
        se = float(powered.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    lost = np.any((powered < _TINY64) & (dist > 0))  # a power that underflowed (subnormal or 0)
    top = float(powered.max())
    # the standard error squares deviations from the mean: powers beyond 2**±300 would over/underflow there
    if math.isfinite(value) and (math.isfinite(se) or n == 1) and not lost and (top == 0 or 2.0**-300 <= top <= 2.0**300):
        return value, se, value - z * se, value + z * se
    e = int(np.frexp(float(dist.max()))[1])  # dist · 2**−e lies in [0, 1)
    with np.errstate(under="ignore"):
        p = np.ldexp(dist, -e) ** alpha
        m = float(p.mean())
        s = float(p.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    value = unscale(m, -e, alpha)
    if not representable(value, m):
        raise EmbgeoError(
            f"the alignment, the mean of ‖x − y‖^{alpha:g} over distances up to {float(dist.max()):.3g}, is "
            f"{'above' if not math.isfinite(value) else 'below'} the float64 range",
            source=names[0], hint=K.raw_scale_hint(),
        )
    return value, unscale(s, -e, alpha), unscale(m - z * s, -e, alpha), unscale(m + z * s, -e, alpha)


def alignment(
    X,
    Y,
    *,
    alpha: float = 2.0,
    normalize: bool = True,
    confidence: float = 0.95,
    names: tuple[str, str] = ("X", "Y"),
    join: str | None = None,
) -> AlignmentResult:
    """Alignment ``mean_i ‖x_i − y_i‖^α`` of row-paired ``X``, ``Y`` (n_samples, n_features).

    Wang & Isola 2020, eq. (1); default ``α = 2`` on L2-normalised rows
    (``normalize=False``: raw rows). Row ``i`` of ``X`` and of ``Y`` are a positive
    pair; both must have the same shape. Computed block by block in float64
    from the differences (no cancellation); memory O(block × n_features).
    The interval treats the pairs as a sample: ``mean ± z·sd/√n``. Raw distances are taken at
    any scale (each one's norm by :func:`embgeo.validation.row_norms`) and a mean whose powers
    over- or underflow is taken on distances scaled by a power of two and brought back exactly;
    a value beyond float64 (α = 2 on rows 1e160 apart) raises an :class:`EmbgeoError`.

    :class:`~embgeo.io.EmbeddingSet` s with ids are paired by id (``join``: ``None``/``"id"``, or
    ``"row-order"`` to take the rows as they are); arrays have no ids and pair by row order
    (see :func:`paired_rows`). ``names``: the two inputs' names in messages (a pair of strings).
    """
    alpha = check_positive("alpha", alpha)
    normalize = check_flag("normalize", normalize)
    confidence = check_level(confidence)
    names = check_names(names)
    X, Y = paired_rows(X, Y, join=join, names=names)
    # normalised rows do not depend on the scale (values whose squares over/underflow are rescaled by a power of
    # two); raw distances do: the rows are kept as they are, and each distance is taken at its own scale below
    X = as_matrix(X, name=names[0], min_rows=1, allow_nonfinite=False, allow_zero_rows=not normalize, zero_hint=zero_rows_hint(normalize="raw"),
                  rescale=True if normalize else None)
    Y = as_matrix(Y, name=names[1], min_rows=1, allow_nonfinite=False, allow_zero_rows=not normalize, zero_hint=zero_rows_hint(normalize="raw"),
                  rescale=True if normalize else None)
    check_paired(X, Y, names=names)
    n, d = X.shape
    dist = np.empty(n, dtype=np.float64)
    for a, b in iter_blocks(n, PREP_BLOCK):
        x = np.asarray(X[a:b], dtype=np.float64)
        y = np.asarray(Y[a:b], dtype=np.float64)
        if normalize:
            x = x / np.linalg.norm(x, axis=1, keepdims=True)
            y = y / np.linalg.norm(y, axis=1, keepdims=True)
        with np.errstate(over="ignore", invalid="ignore"):
            diff = x - y
        dist[a:b] = row_norms(diff)  # sqrt(Σ diff²), at any scale (differences of 1e200 or 1e-200 too)
    z = normal_quantile(confidence)
    value, se, lo, hi = _powered_mean(dist, alpha, z, names=names)
    return AlignmentResult(
        alignment=value, alpha=alpha, normalized=normalize, n_rows=n, n_dims=d, se=se,
        ci_low=lo, ci_high=hi, confidence=confidence,
        distances=summarize(dist, what="distance of matched pairs", exact=True, value_range=(0.0, 2.0) if normalize else None),
    )
