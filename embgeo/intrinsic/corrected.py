"""A bias-corrected intrinsic dimension for high dimensions: TwoNN calibrated on uniform balls.

Every nearest-neighbour estimator reads a high intrinsic dimension low: at
n = 20 000 a uniform 70-d cube gives a TwoNN of about 43, a 20-d cube about 16.
The bias is a smooth, monotone function of the true dimension ``d`` at a given
number of points ``n`` (the neighbourhoods of a finite sample reach the
boundary, and the ratio r₂/r₁ stops being Pareto), so it can be measured and
inverted:

1. estimate TwoNN (censored MLE, discard 0.1) on the interior half of the data (the half
   of the points whose 10 nearest neighbours surround them best, :func:`neighbour_resultant`:
   points at a boundary or on a density slope carry most of the bias that depends on the
   shape of the data, which the reference cannot know). Where that raw value is high, the
   k nearest neighbours lie at nearly the TwoNN radius (r_k / r_2 ≈ (k/2)^(1/d)), so the
   statistic reads ``k`` of them: the largest ``k ≤ 10`` with ``(k/2)^(1/raw) ≤ 1.05``
   (:func:`neighbours_for`: 2 below a raw 8.3, 4 at 14.3, 10 above 33), as the Levina–Bickel
   MLE ``1 / mean_i mean_{j<k} log(r_k / r_j)``: more ratios per point, less sampling error,
   the same neighbourhood. ``v`` is that statistic;
2. on seeded uniform samples of the unit ball (or the cube ``[0, 1]^d``) with the *same* n,
   for a grid of ``d`` (1, 2, …, up to the data's column count, stopping once the
   curve has passed ``v``), compute the same statistic the same way (interior half and ``k``
   included): the reference curve ``g(d)``;
3. report ``d̂ = g⁻¹(v)`` (linear interpolation of ``log g`` against ``log d``).

The interval is the bootstrap percentile interval of ``v`` (over points, the
neighbours held fixed), widened by the reference curve's own sampling error
(relative sd ``1/√m`` for ``m`` reference points), mapped through ``g⁻¹``.

Calibration is deterministic for a seed and cached in memory per
``(n, d, seed)``: a second call at the same n costs only the bootstrap. This is
the idea of DANCo (Ceruti et al. 2014) and of the "calibrated" corrections of
Camastra & Vinciarelli (2002), with the uniform ball as the reference (as DANCo):
exact for uniform data in a ball; within ~5 % for a cube, a sphere or a Gaussian
at n ≥ 2000 (docs/benchmarks.md; ``interior=1.0`` reads every point). It does not correct
curvature or a strongly non-uniform density (the benchmark's M8 and Mbeta stay off).

References
----------
* Facco, d'Errico, Rodriguez & Laio (2017), Sci. Rep. 7, 12140 (TwoNN).
* Camastra & Vinciarelli (2002), Estimating the intrinsic dimension of data with a
  fractal-based method. IEEE TPAMI 24(10).
* Ceruti, Bassis, Rozza, Lombardi, Casiraghi & Campadelli (2014), DANCo. Pattern
  Recognition 47(8).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.arguments import check_count, check_flag, check_level, check_number, renamed_attribute, renamed_keyword
from embgeo.errors import EmbgeoError
from embgeo.intrinsic.estimators import (
    check_bootstrap, check_ties, dedupe_hint, neighbor_distances, prepare_points, tied_points, twonn_censored_mle, twonn_kept,
    twonn_log_ratios,
)
from embgeo.knn.engine import Neighbors, knn
from embgeo.results import Metric, Result, Verdict, jsonable
from embgeo.validation import as_matrix, as_rng

#: true dimensions at which the reference curve is measured (cut at the data's column count)
D_GRID = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 23, 26, 30, 35, 40, 46, 53, 61, 70, 80, 92,
          106, 122, 140, 161, 185, 213, 245, 282, 324, 373, 429, 493, 567, 652, 750, 862, 1000)
#: reference points per grid dimension (several seeded replicates when n is smaller)
REFERENCE_POINTS = 10_000
#: discard fraction of the TwoNN censored MLE, data and references alike
DISCARD = 0.1
#: share of the points read, data and references alike: those whose neighbours surround them best
#: (smallest :func:`neighbour_resultant`); 1.0 reads every point
INTERIOR = 0.5
#: neighbours that say how well a point is surrounded
INTERIOR_K = 10
#: the statistic reads the k nearest neighbours whose expected radius stays within this share of the
#: TwoNN radius: (k/2)^(1/d_raw) ≤ 1 + RADIUS_SLACK (:func:`neighbours_for`), with k ≤ INTERIOR_K
RADIUS_SLACK = 0.05

_CACHE: dict = {}


def clear_reference_cache() -> None:
    """Forget the cached reference values (they are recomputed, identically, on the next call)."""
    _CACHE.clear()


def twonn_censored(log_mu: np.ndarray, discard: float = DISCARD) -> float:
    """TwoNN censored MLE of unsorted ``log μ`` (:func:`~embgeo.intrinsic.estimators.twonn_censored_mle`,
    the estimator ``twonn_dimension`` computes)."""
    s = np.sort(np.asarray(log_mu, dtype=np.float64))
    return twonn_censored_mle(s, s.size, twonn_kept(s.size, discard))


REFERENCES = ("ball", "cube")


def neighbours_for(raw: float) -> int:
    """Neighbours the calibrated statistic reads at a raw TwoNN of ``raw``: the largest ``k ≤`` :data:`INTERIOR_K`
    whose expected distance ratio to the second neighbour, ``(k/2)^(1/raw)``, is at most ``1 +`` :data:`RADIUS_SLACK`.

    2 (TwoNN itself) below a raw dimension of about 8.3; in higher dimensions the nearest neighbours sit at almost
    one radius, so reading more of them lowers the sampling error without widening the neighbourhood (measured on
    scikit-dimension's benchmark manifolds at n = 2000, five seeds: docs/benchmarks.md).
    """
    if not np.isfinite(raw) or raw <= 0:
        return 2
    return int(min(INTERIOR_K, max(2, np.floor(2.0 * (1.0 + RADIUS_SLACK) ** float(raw) + 1e-12))))


def mle_terms(D: np.ndarray) -> np.ndarray:
    """Per row, ``mean_{j<k} log(r_k / r_j)`` of its ``k`` sorted neighbour distances ``D`` (``k ≥ 2``); the
    Levina–Bickel (MacKay–Ghahramani) MLE of the rows is ``1 / mean`` of these."""
    L = np.log(np.asarray(D, dtype=np.float64))
    return (L[:, -1:] - L[:, :-1]).mean(axis=1)


def _statistic(terms: np.ndarray, k: int) -> float:
    """The value read off the curve: TwoNN's censored MLE of ``log μ`` (``k = 2``) or ``1 / mean`` of the MLE terms."""
    return twonn_censored(terms) if k == 2 else float(1.0 / np.mean(terms))


def reference_sample(shape: str, n: int, d: int, rng) -> np.ndarray:
    """``n`` uniform points in the unit ``d``-ball (``shape="ball"``) or the cube ``[0, 1]^d``."""
    if shape == "cube":
        return rng.random((n, d))
    G = rng.standard_normal((n, d))
    G /= np.linalg.norm(G, axis=1, keepdims=True)
    return G * rng.random((n, 1)) ** (1.0 / d)


def neighbour_resultant(X: np.ndarray, indices: np.ndarray, *, query: np.ndarray | None = None) -> np.ndarray:
    """Per query row, the length of the mean of the unit vectors to its neighbours (rows ``indices`` of ``X``).

    About ``1/√k`` where the ``k`` neighbours surround the point (directions spread evenly), up to 1
    where they all lie on one side (a boundary, a corner, a steep density slope). ``query`` defaults
    to ``X`` (a self-join). Computed in blocks of rows (bounded memory).
    """
    Q = X if query is None else query
    n, k = indices.shape
    out = np.empty(n)
    step = max(1, int(2**22 // max(1, k * X.shape[1])))
    for s in range(0, n, step):
        V = X[indices[s:s + step]] - Q[s:s + step, None, :]
        V /= np.maximum(np.linalg.norm(V, axis=2, keepdims=True), np.finfo(np.float64).tiny)
        out[s:s + step] = np.linalg.norm(V.mean(axis=1), axis=1)
    return out


def interior_mask(resultant: np.ndarray, share: float) -> np.ndarray:
    """The ``share`` of points with the smallest :func:`neighbour_resultant` (all of them when ``share ≥ 1``)."""
    if share >= 1.0:
        return np.ones(resultant.size, dtype=bool)
    return resultant <= np.quantile(resultant, share)


def reference_point(n: int, d: int, seed: int, shape: str = "ball", points: int = REFERENCE_POINTS,
                     interior: float = INTERIOR, neighbours: int = 2) -> tuple[float, int]:
    """The calibrated statistic on uniform samples of ``n`` points in the ``d``-ball or cube: ``(value, points used)``.

    ``min(n, points)`` query points per replicate and enough replicates
    (seeded ``(seed, n, d, r)``) that about ``points`` ratios enter; of each replicate's
    queries the ``interior`` share is kept, exactly as in the data (:func:`interior_mask`).
    ``neighbours = 2`` is TwoNN (censored MLE); more is the MLE over that many neighbours
    (:func:`mle_terms`), as the data is read. Cached.
    """
    neighbours = int(neighbours)
    key = (shape, int(n), int(d), int(seed), int(points), float(interior), neighbours)
    if key in _CACHE:
        return _CACHE[key]
    k = INTERIOR_K if interior < 1.0 else max(2, neighbours)
    m = min(n, points)
    reps = max(1, int(np.ceil(points / n)))
    log_mu = []
    for r in range(reps):
        rng = np.random.default_rng([int(seed), int(n), int(d), r])
        Y = reference_sample(shape, n, d, rng)
        if m == n:
            nb = knn(Y, k, check_duplicates=False)
            D, idx, Q = nb.distances, nb.indices, Y
        else:
            q = np.sort(rng.choice(n, size=m, replace=False))
            nb = knn(Y, k + 1, query=Y[q], check_duplicates=False)
            D, idx, Q = nb.distances[:, 1:], nb.indices[:, 1:], Y[q]  # the query itself comes first, at distance exactly 0
        ok = D[:, 0] > 0
        lm = twonn_log_ratios(D[ok]) if neighbours == 2 else mle_terms(D[ok][:, :neighbours])
        if interior < 1.0:
            lm = lm[interior_mask(neighbour_resultant(Y, idx[ok], query=Q[ok]), interior)]
        log_mu.append(lm)
    lm = np.concatenate(log_mu)
    _CACHE[key] = (_statistic(lm, neighbours), int(lm.size))
    return _CACHE[key]


def reference_curve(n: int, *, d_max: int, target: float | None = None, seed: int = 0, shape: str = "ball", points: int = REFERENCE_POINTS,
                    interior: float = INTERIOR, neighbours: int = 2) -> tuple[np.ndarray, np.ndarray, int]:
    """``(d, g(d), m)``: the statistic (TwoNN, or the MLE over ``neighbours``) of the ``interior`` share of
    uniform balls (or cubes) with ``n`` points, for ``d`` on :data:`D_GRID` ≤ ``d_max``.

    With ``target``, the grid stops two points after ``g(d)`` first exceeds it.
    """
    ds, gs, m_min = [], [], None
    past = 0
    for d in D_GRID:
        if d > d_max:
            break
        g, m = reference_point(n, d, seed, shape, points, interior, neighbours)
        ds.append(d), gs.append(g)
        m_min = m if m_min is None else min(m_min, m)
        if target is not None and g > target:
            past += 1
            if past >= 2:
                break
    if ds[-1] < d_max and (target is None or gs[-1] <= target) and d_max not in ds and d_max <= D_GRID[-1] * 2:
        g, m = reference_point(n, d_max, seed, shape, points, interior, neighbours)
        ds.append(d_max), gs.append(g)
    return np.asarray(ds, dtype=np.float64), np.asarray(gs, dtype=np.float64), int(m_min or 0)


def invert_curve(ds: np.ndarray, gs: np.ndarray, v: float) -> tuple[float, str]:
    """``g⁻¹(v)`` by linear interpolation of ``log g`` against ``log d`` on the running maximum of ``g``.

    Returns ``(d, where)`` with ``where`` ``"inside"``, ``"below"`` (v under g(1): d is
    ``v / g(1)`` scaled from d = 1) or ``"above"`` (v beyond the curve: the last ``d``, a lower bound).
    """
    if not np.isfinite(v):
        return float(ds[-1]), "above"
    g = np.maximum.accumulate(gs)
    if v <= g[0]:
        return float(ds[0] * v / g[0]), "below"
    if v > g[-1]:
        return float(ds[-1]), "above"
    lg, ld = np.log(g), np.log(ds)
    j = int(np.searchsorted(g, v, side="left"))  # g[j-1] < v ≤ g[j]
    j = max(1, min(j, g.size - 1))
    while j > 1 and g[j - 1] == g[j]:
        j -= 1
    if g[j] == g[j - 1]:
        return float(ds[j]), "inside"
    t = (np.log(v) - lg[j - 1]) / (lg[j] - lg[j - 1])
    return float(np.exp(ld[j - 1] + t * (ld[j] - ld[j - 1]))), "inside"


@dataclass(frozen=True, slots=True)
class CalibratedResult(Result):
    """TwoNN corrected by a uniform-ball (or cube) reference curve at the same n (:func:`calibrated_dimension`).

    ``dimension`` the corrected estimate, ``ci_low``/``ci_high`` its interval
    (level ``confidence``; ``n_bootstrap`` replicates), ``raw`` the uncorrected TwoNN (censored MLE, discard 0.1) of the points read,
    ``neighbours`` how many neighbours the statistic read (2: TwoNN; more: the MLE over that many,
    :func:`neighbours_for`) and ``statistic`` its value, the one read off the curve;
    ``reference_d``/``reference_twonn`` the calibration curve (of that statistic), ``lower_bound`` true when
    the value lies beyond the curve (the estimate is then the largest ``d`` measured).
    :meth:`to_dict` is the ``calibrated`` object of ``embgeo id``'s JSON, key for key.
    """

    dimension: float
    ci_low: float
    ci_high: float
    confidence: float
    raw: float
    n_rows: int
    n_dims: int
    n_bootstrap: int
    reference: str
    reference_points: int
    reference_d: np.ndarray = field(repr=False)
    reference_twonn: np.ndarray = field(repr=False)
    lower_bound: bool = False
    n_duplicates_dropped: int = 0
    seed: int = 0
    interior: float = 1.0
    n_interior: int = 0
    neighbours: int = 2
    statistic: float = float("nan")
    #: as :attr:`~embgeo.intrinsic.estimators.TwoNNResult.recall` (JSON key only for an approximate search)
    recall: float | None = None

    interval_level = renamed_attribute("CalibratedResult", "interval_level", "confidence")
    n_boot = renamed_attribute("CalibratedResult", "n_boot", "n_bootstrap")

    @property
    def interval(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)

    @property
    def detail(self) -> str:
        """One line for the estimator table: what was corrected, against what."""
        bound = "; a lower bound (beyond the curve)" if self.lower_bound else ""
        who = "TwoNN" if self.interior >= 1.0 else f"TwoNN of the interior {self.interior:.0%}"
        read = "" if self.neighbours == 2 else f", read over {self.neighbours} neighbours (MLE {self.statistic:.2f})"
        return (f"{who} {self.raw:.2f} × {self.correction:.2f}{read}: its bias on uniform {self.reference}s at n = {self.n_rows} "
                f"removed{bound}")

    @property
    def correction(self) -> float:
        """``dimension / raw``: how much the raw TwoNN is scaled up."""
        return float(self.dimension / self.raw) if self.raw > 0 else float("nan")

    def to_dict(self) -> dict:
        return jsonable({
            "dimension": self.dimension, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "confidence": self.confidence, "raw": self.raw, "correction": self.correction,
            "lower_bound": bool(self.lower_bound), "reference": self.reference, "reference_points": self.reference_points,
            "reference_curve": {str(int(d)): float(g) for d, g in zip(self.reference_d, self.reference_twonn)},
            "n_rows": self.n_rows, "n_dims": self.n_dims, "bootstrap": self.n_bootstrap,
            "n_duplicates_dropped": self.n_duplicates_dropped, "seed": self.seed,
            "interior": self.interior, "n_interior": self.n_interior, "neighbours": self.neighbours, "statistic": self.statistic,
            **({} if self.recall is None else {"recall": float(self.recall)}),
        })

    def metrics(self) -> list[Metric]:
        ex = {"method": "calibrated", "reference": self.reference}
        return [
            Metric("dimension", self.dimension, self.ci_low, self.ci_high, unit="dims", extra={**ex, "lower_bound": bool(self.lower_bound)}),
            Metric("raw", self.raw, unit="dims", extra=ex),
            Metric("correction", self.correction, extra=ex),
        ]

    def verdict(self) -> Verdict:
        bound = " (a lower bound: the raw value lies beyond the calibration curve)" if self.lower_bound else ""
        return Verdict(
            "info",
            f"calibrated intrinsic dimension {self.dimension:.2f} ({100 * self.confidence:g} % {self.ci_low:.2f}–{self.ci_high:.2f}){bound}; "
            f"the raw TwoNN {self.raw:.2f} is scaled by {self.correction:.2f}, the bias a uniform {self.reference} shows at n = {self.n_rows}",
            "read this estimate for dimensions above ~10; it does not correct curvature or a strongly non-uniform density",
            decided_by="dimension",
        )

    def table(self):
        return ["metric", "value"], [
            ["dimension", self.dimension], [f"{100 * self.confidence:g} % interval", f"{self.ci_low:.3f} – {self.ci_high:.3f}"],
            ["raw TwoNN", self.raw], ["neighbours read", self.neighbours], ["statistic", self.statistic],
            ["correction", self.correction], ["lower_bound", self.lower_bound],
            ["reference", f"{self.reference}, {self.reference_points} points per d, d ≤ {int(self.reference_d[-1])}"],
            ["n_rows", self.n_rows], ["n_duplicates_dropped", self.n_duplicates_dropped],
        ]


def calibrated_dimension(
    X=None,
    *,
    neighbors: Neighbors | None = None,
    n_dims: int | None = None,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    seed=0,
    duplicates: str = "drop",
    approx: bool = False,
    metric: str = "euclidean",
    backend: str = "auto",
    device: str = "cpu",
    reference: str = "ball",
    reference_points: int = REFERENCE_POINTS,
    interior: float = INTERIOR,
    k: int | None = None,
    neighbours: int | None = None,
) -> CalibratedResult:
    """Intrinsic dimension with the finite-sample bias of TwoNN removed by calibration on uniform cubes.

    See the module docstring for the method. ``neighbors`` may pass a search already
    done on the (deduplicated) rows (then ``n_dims``, the column count that caps the
    reference grid, must be given unless ``X`` is). ``n_bootstrap`` seeded bootstrap
    replicates give the ``confidence`` interval. The reference curve uses ``seed``
    (integer; default 0), ``reference`` (``"ball"``, default, or ``"cube"``) and about
    ``reference_points`` ratios per grid dimension, and is cached per ``(n, d, seed)``.
    The reference shape was chosen by measurement on the 24 benchmark manifolds of
    scikit-dimension (docs/benchmarks.md): the ball's boundary bias lies between a
    cube's and none (a sphere, a Gaussian), so it over-corrects neither.

    ``interior`` (default 0.5): the estimate and the references read only that share of their
    points, those whose :data:`INTERIOR_K` = 10 nearest neighbours surround them best (smallest
    :func:`neighbour_resultant`). Points at a boundary or on a density slope carry most of the
    shape-dependent bias; without them the reference shape matters less (n = 2000, 30 000 reference
    ratios: uniform balls and cubes differ by 5.8 % at d = 20 and 4.7 % at d = 40 on every point, by
    3.6 % and 2.2 % on the interior half), which brought the 20-d cube M9 from 18.83 to 19.29 and the
    70-d M10d from 68.1 to 70.7 at n = 20 000 (docs/benchmarks.md). It needs the rows ``X`` (the directions to the neighbours); ``1.0`` reads
    every point and needs only the distances.

    ``k`` (default ``None``: :func:`neighbours_for` the raw TwoNN) fixes how many neighbours the
    statistic reads, 2 (TwoNN) to :data:`INTERIOR_K`; more than 2 needs ``interior < 1`` (the result's
    ``neighbours`` says how many it read). ``neighbours`` is the former name of ``k`` (DeprecationWarning):
    it was a typo trap beside ``neighbors``, the search.

    Without ``neighbors`` the rows are searched as in :func:`~embgeo.intrinsic.estimators.twonn_dimension`:
    ``metric`` (``"euclidean"`` or ``"cosine"``), ``approx`` (pynndescent, seeded by ``seed``),
    ``backend``/``device`` (where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`: ``backend="auto"``
    (the default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"``
    or ``"auto"``), after exact duplicate rows are dropped
    (``duplicates="drop"``) or refused (``"error"``).
    """
    k = renamed_keyword("calibrated_dimension", "neighbours", neighbours, "k", k)
    confidence = check_level(confidence)
    n_bootstrap = check_bootstrap(n_bootstrap)
    approx = check_flag("approx", approx)
    if not isinstance(reference, str) or reference not in REFERENCES:
        raise EmbgeoError(f"reference must be one of {', '.join(REFERENCES)}; got {reference!r}")
    reference_points = check_count("reference_points", reference_points, minimum=100, hint="ratios per grid dimension of the reference curve")
    if X is not None and len(getattr(X, "shape", ())) != 2:
        X = as_matrix(X, name="X", min_rows=3)  # a list of rows (or a ragged list, a 1-D array: refused here, naming X)
    if n_dims is None:
        if X is None:
            raise EmbgeoError("calibrated_dimension needs X or n_dims (the column count caps the reference grid)")
        n_dims = int(X.shape[1])
    n_dims = check_count("n_dims", n_dims, minimum=1, hint="the column count of the data, which caps the reference grid")
    interior = check_number("interior", interior)
    if not 0.0 < interior <= 1.0:  # NaN fails too
        raise EmbgeoError(f"interior must be in (0, 1]; got {interior!r}", hint=f"e.g. interior={INTERIOR} (the default), or 1.0 to read every point")
    name = "k" if neighbours is None else "neighbours"  # the keyword the caller wrote
    if k is not None:
        k = check_count(name, k, minimum=2)
        if k > INTERIOR_K or (k > 2 and interior >= 1.0):
            raise EmbgeoError(f"{name} must be an integer from 2 to {INTERIOR_K} (more than 2 with interior < 1); got {k}",
                              hint=f"leave {name}=None: it is chosen from the raw TwoNN")
    Dk = None
    if interior >= 1.0:
        D, dropped, recall = neighbor_distances(X, 2, neighbors=neighbors, duplicates=duplicates, approx=approx, seed=seed, metric=metric,
                                                backend=backend, device=device, name="X")
        log_mu = twonn_log_ratios(D[~tied_points(D)])  # ties r1 = r2 left out, as TwoNN leaves them out
        n_rows = int(D.shape[0])
    else:
        log_mu, Dk, dropped, n_rows, recall = _interior_log_ratios(X, neighbors, interior, duplicates=duplicates, approx=approx, seed=seed,
                                                                   metric=metric, backend=backend, device=device)
    n = log_mu.size  # the points the estimate reads (and the bootstrap resamples)
    raw = twonn_censored(log_mu)
    k = 2 if Dk is None else (neighbours_for(raw) if k is None else int(k))
    terms = log_mu if k == 2 else mle_terms(Dk[:, :k])
    stat = _statistic(terms, k)
    rng = as_rng(seed)
    boots = np.array([_statistic(terms[rng.integers(0, n, n)], k) for _ in range(n_bootstrap)])
    a = (1.0 - confidence) / 2.0
    from scipy.special import ndtri

    z = float(ndtri(1.0 - a))
    ref_seed = int(seed) if isinstance(seed, (int, np.integer)) else 0
    m_guess = min(n_rows, reference_points) * max(1, int(np.ceil(reference_points / n_rows))) * interior
    s_ref = 1.0 / np.sqrt(max(1.0, ((1.0 - DISCARD) if k == 2 else (k - 1)) * m_guess))
    if boots.size:
        b_lo, b_hi = np.quantile(boots, [a, 1.0 - a])
    else:
        b_lo = b_hi = stat
    b_lo, b_hi = float(b_lo) * np.exp(-z * s_ref), float(b_hi) * np.exp(z * s_ref)
    ds, gs, m = reference_curve(n_rows, d_max=int(n_dims), target=b_hi, seed=ref_seed, shape=reference, points=int(reference_points),
                                interior=interior, neighbours=k)
    dim, where = invert_curve(ds, gs, stat)
    lo, _ = invert_curve(ds, gs, b_lo)
    hi, where_hi = invert_curve(ds, gs, b_hi)
    if where_hi == "above":
        hi = float(n_dims)  # the curve could not reach the upper end: the column count bounds it
    return CalibratedResult(
        float(dim), float(min(lo, dim)), float(max(hi, dim)), confidence, float(raw), int(n_rows), int(n_dims), int(boots.size),
        reference, int(m), ds, gs, where == "above", int(dropped), ref_seed, interior, int(n), int(k), float(stat), recall,
    )


def _interior_log_ratios(X, neighbors: Neighbors | None, interior: float, *, duplicates: str, approx: bool, seed, metric: str,
                         backend: str, device: str) -> tuple[np.ndarray, np.ndarray, int, int, float | None]:
    """``(log μ, distances, duplicates dropped, rows, recall)`` of the ``interior`` share of the rows whose :data:`INTERIOR_K`
    neighbours surround them best: their TwoNN ratios and their distances to those neighbours; ``recall``: the measured
    recall of those neighbours when they are approximate (None: exact ones)."""
    if X is None:
        raise EmbgeoError("the calibrated estimate reads the interior points, which needs the rows X (the directions to the neighbours)",
                          hint="pass X (with or without neighbors=), or interior=1.0 to read every point from the distances alone")
    if neighbors is None:
        Xd, _, dropped = prepare_points(X, min_rows=INTERIOR_K + 2, duplicates=duplicates, name="X")
        neighbors = knn(Xd, INTERIOR_K, metric=metric, approx=approx, seed=seed, backend=backend, device=device, check_duplicates=False)
    else:
        Xd, dropped = as_matrix(X, name="X", min_rows=3), 0
        if neighbors.n_query != Xd.shape[0] or neighbors.k < INTERIOR_K:
            raise EmbgeoError(f"the given neighbours hold {neighbors.n_query} rows × k={neighbors.k}; the calibrated estimate needs "
                              f"the search on these {Xd.shape[0]} rows with k ≥ {INTERIOR_K}", hint="search with a larger k")
    D = neighbors.distances[:, :INTERIOR_K]
    if neighbors.metric == "cosine":  # the engine reports 1 − cos; the chord is the distance between the normalised rows
        D = np.sqrt(2.0 * np.maximum(D, 0.0))
        P = Xd / np.maximum(np.linalg.norm(Xd, axis=1, keepdims=True), np.finfo(np.float64).tiny)
    elif neighbors.metric == "euclidean":
        P = Xd
    else:
        raise EmbgeoError("intrinsic dimension needs a distance; the dot product is not one", hint="use metric='euclidean' or 'cosine'")
    if np.any(D[:, 0] <= 0.0):
        raise EmbgeoError("some points have a neighbour at distance 0; ratio estimators need distinct points",
                          hint=f"drop exact duplicates first ({dedupe_hint()})")
    check_ties(D)  # quantised data (many r1 = r2) refuse; the few tied points are left out, as TwoNN leaves them out
    keep = interior_mask(neighbour_resultant(np.asarray(P), neighbors.indices[:, :INTERIOR_K]), interior) & ~tied_points(D)
    return twonn_log_ratios(D[keep]), np.asarray(D[keep], dtype=np.float64), int(dropped), int(Xd.shape[0]), (None if neighbors.exact else neighbors.recall)
