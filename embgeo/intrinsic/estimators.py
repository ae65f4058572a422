"""Intrinsic dimension from nearest-neighbour distances: TwoNN, MLE and GRIDE.

Every estimator here reads the distances of one :func:`embgeo.knn.engine.knn`
call (pass ``neighbors=`` to share it between estimators). They are *ratio*
estimators: a distance of exactly 0 (an exact duplicate row) makes a ratio
infinite, so duplicates are dropped by value first (``duplicates="drop"``,
the default) or refused (``duplicates="error"``).

References
----------
* Facco, d'Errico, Rodriguez & Laio (2017), Estimating the intrinsic dimension
  of datasets by a minimal neighborhood information. Sci. Rep. 7, 12140 (TwoNN).
* Levina & Bickel (2004), Maximum likelihood estimation of intrinsic dimension.
  NIPS 17; MacKay & Ghahramani (2005), comments on it (average the inverses).
* Denti, Doimo, Laio & Mira (2022), The generalized ratios intrinsic dimension
  estimator. Sci. Rep. 12, 20005 (GRIDE).

Every one of these estimators underestimates a high intrinsic dimension (a
70-d cube reads 40–45 at n = 10⁴): see :func:`high_id_note`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embgeo.arguments import check_count, check_flag, check_level, check_number, renamed_attribute, renamed_keyword  # noqa: F401 (renamed_attribute: re-exported)
from embgeo.errors import EmbgeoError, param, setting
from embgeo.intrinsic.distances import (  # noqa: F401  (re-exported: the estimators' shared helpers)
    DUPLICATE_POLICIES, TIE_MAX_SHARE, TIE_RTOL, check_ties, dedupe_hint, high_id_note, neighbor_distances, noise_note, prepare_points,
    tied_points,
)
from embgeo.knn.engine import Neighbors
from embgeo.results import Result, jsonable
from embgeo.validation import as_rng, check_seed


def _percentile_interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(samples, [a, 1.0 - a])
    return float(lo), float(hi)


def check_bootstrap(n_bootstrap) -> int:
    """The bootstrap replicates as an int ≥ 0 (0: no bootstrap interval); a negative number or a fraction is refused."""
    return check_count("n_bootstrap", n_bootstrap, minimum=0, flag="bootstrap",
                       hint=f"{setting('n_bootstrap', 0, 'bootstrap')}: no bootstrap intervals")


def check_discard(discard_fraction) -> float:
    """TwoNN's censored share as a float in ``[0, 0.9)``: a number (not text, a bool or a list); NaN is refused.
    (``--discard`` on the command line.)"""
    v = check_number("discard_fraction", discard_fraction, flag="discard")
    if not (0.0 <= v < 0.9):
        raise EmbgeoError(f"{param('discard_fraction', '--discard')} must be in [0, 0.9); got {discard_fraction!r}",
                          hint=f"e.g. {setting('discard_fraction', 0.1, '--discard')}: the largest 10 % of the ratios censored")
    return v


def _recall_entry(recall) -> dict:
    """The ``recall`` key of an estimate read from approximate neighbours (nothing for exact ones)."""
    return {} if recall is None else {"recall": float(recall)}


def _bounds(interval) -> tuple[float, float]:
    lo, hi = interval if interval is not None else (None, None)
    return (float("nan") if lo is None else float(lo)), (float("nan") if hi is None else float(hi))


# --------------------------------------------------------------------------- TwoNN


@dataclass(frozen=True, slots=True)
class TwoNNResult(Result):
    """TwoNN intrinsic dimension (Facco et al. 2017).

    ``dimension`` is the chosen ``variant``; ``mle`` and ``linear`` hold both.
    ``interval`` is the bootstrap percentile interval of the chosen variant
    (level ``confidence``; ``n_bootstrap`` replicates) and ``mle_exact_interval`` the
    exact χ² interval of the censored MLE. ``ci_low``/``ci_high`` are the interval to read: the bootstrap
    interval, or without a bootstrap the censored MLE's exact one (NaN for the linear fit).
    :meth:`to_dict` is the ``twonn`` object of ``embgeo id``'s JSON, key for key.
    """

    dimension: float
    variant: str
    mle: float
    linear: float
    interval: tuple[float, float]
    confidence: float
    n_bootstrap: int
    mle_exact_interval: tuple[float, float]
    discard_fraction: float
    n_points: int
    n_used: int
    n_duplicates_dropped: int = 0
    linear_r2: float = float("nan")
    #: points left out because r1 = r2 (μ = 1; see :data:`TIE_RTOL`); ``n_points`` counts them
    n_ties: int = 0
    #: measured recall of the approximate neighbours read (``approx=True``, or approximate ``neighbors``); None: exact ones
    recall: float | None = None

    interval_level = renamed_attribute("TwoNNResult", "interval_level", "confidence")
    n_boot = renamed_attribute("TwoNNResult", "n_boot", "n_bootstrap")

    def _read_interval(self) -> tuple[float, float]:
        lo, hi = _bounds(self.interval)
        if not (np.isfinite(lo) and np.isfinite(hi)) and self.variant == "mle" and self.mle_exact_interval is not None:
            lo, hi = _bounds(self.mle_exact_interval)
        return lo, hi

    @property
    def ci_low(self) -> float:
        return self._read_interval()[0]

    @property
    def ci_high(self) -> float:
        return self._read_interval()[1]

    @property
    def interval_method(self) -> str | None:
        """``bootstrap``, ``exact_chi2`` (the censored MLE without a bootstrap) or None (no interval)."""
        return "bootstrap" if self.n_bootstrap else ("exact_chi2" if self.variant == "mle" else None)

    def to_dict(self) -> dict:
        lo, hi = self._read_interval()
        return jsonable({
            "dimension": self.dimension, "ci_low": lo, "ci_high": hi, "confidence": self.confidence, "bootstrap": self.n_bootstrap,
            "interval_method": self.interval_method, "variant": self.variant, "discard": self.discard_fraction, "mle": self.mle,
            "linear": self.linear, "linear_r2": self.linear_r2,
            "mle_exact_ci_low": self.mle_exact_interval[0], "mle_exact_ci_high": self.mle_exact_interval[1],
            "n_points": self.n_points, "n_used": self.n_used, "n_ties": self.n_ties, "n_duplicates_dropped": self.n_duplicates_dropped,
            **_recall_entry(self.recall),
        })

    def table(self):
        lo, hi = self._read_interval()
        return ["metric", "value"], [
            ["dimension", self.dimension], ["variant", self.variant],
            [f"{100 * self.confidence:g} % interval", f"{lo:.3f} – {hi:.3f}"],
            ["mle", self.mle], ["linear", self.linear], ["linear_r2", self.linear_r2],
            ["discard", self.discard_fraction], ["n_points", self.n_points], ["n_used", self.n_used],
            ["n_ties", self.n_ties], ["n_duplicates_dropped", self.n_duplicates_dropped],
        ]


def twonn_log_ratios(D: np.ndarray) -> np.ndarray:
    """``log μᵢ = log(r₂(i)/r₁(i))`` from neighbour distances ``D`` (n, ≥ 2), nearest first."""
    return np.log(D[:, 1] / D[:, 0])


def twonn_kept(n: int, discard_fraction: float) -> int:
    """How many of ``n`` ratios the censored TwoNN keeps: ``max(3, ⌊n·(1 − discard)⌋)``."""
    return max(3, int(np.floor(n * (1.0 - discard_fraction))))


def twonn_censored_mle(log_mu_sorted: np.ndarray, n_total: int, n_kept: int) -> float:
    """Censored Pareto MLE: ``(n_kept − 1) / (Σ_kept log μ + (N − n_kept)·log μ_(n_kept))`` (sorted input)."""
    T = log_mu_sorted[:n_kept].sum() + (n_total - n_kept) * log_mu_sorted[n_kept - 1]
    return float((n_kept - 1) / T) if T > 0 else float("inf")


def _twonn_linear(log_mu_sorted: np.ndarray, n_total: int, n_kept: int) -> tuple[float, float]:
    """Least squares through the origin of ``−log(1 − i/N)`` on ``log μ_(i)``, i = 1..n_kept."""
    m = min(n_kept, n_total - 1)  # i = N would give log 0; Facco fits i/N for i < N
    x = log_mu_sorted[:m]
    y = -np.log1p(-np.arange(1, m + 1) / n_total)
    sxx = float(x @ x)
    if sxx == 0:
        return float("inf"), float("nan")
    slope = float(x @ y) / sxx
    resid = y - slope * x
    r2 = 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum()) if y.size > 1 else float("nan")
    return slope, r2


def twonn_dimension(
    X=None,
    *,
    neighbors: Neighbors | None = None,
    discard_fraction: float = 0.1,
    variant: str = "mle",
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    seed=0,
    duplicates: str = "drop",
    approx: bool = False,
    metric: str = "euclidean",
    backend: str = "auto",
    device: str = "cpu",
) -> TwoNNResult:
    """TwoNN intrinsic dimension from the ratio of second to first neighbour distance.

    With ``μᵢ = r₂(i)/r₁(i)``, under local uniformity ``μ`` is Pareto:
    ``F(μ) = 1 − μ^(−d)`` (Facco et al. 2017). The largest ``discard_fraction``
    of the ``μ`` (outliers, curvature) are censored.

    * ``variant="mle"`` (default): censored maximum likelihood
      ``d = (n_k − 1) / (Σ_{i≤n_k} log μ_(i) + (N − n_k) log μ_(n_k))`` with ``n_k``
      the kept points; ``2dT ~ χ²(2n_k)`` gives an exact interval
      (``mle_exact_interval``), and ``n_k − 1`` makes it unbiased.
    * ``variant="linear"``: Facco's fit through the origin of
      ``−log(1 − i/N)`` against ``log μ_(i)`` (the skdim/dadapy default).

    ``interval`` is a bootstrap over points (``n_bootstrap`` seeded replicates,
    percentile, ``confidence``) of the chosen variant, with the neighbours held fixed.
    Defaults: discard 0.1, 200 replicates, 95 %. Duplicates are dropped by value.

    Ties ``r₁ = r₂`` among distinct points (``μ = 1``, probability 0 for continuous data) are left
    out of the fit and counted in ``n_ties``; more than :data:`TIE_MAX_SHARE` of them (quantised
    data) raise an :class:`~embgeo.errors.EmbgeoError` (:func:`check_ties`).

    The neighbours (every estimator here): ``neighbors``, a search already done (on distinct rows), reused; else
    one search on ``X`` with ``metric`` (``"euclidean"`` or ``"cosine"``), ``approx`` (pynndescent, seeded by
    ``seed``), ``backend``/``device`` (where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`:
    ``backend="auto"`` (the default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default),
    ``"cuda"``/``"cuda:N"`` or ``"auto"``), after exact duplicate rows are dropped (``duplicates="drop"``, counted
    in ``n_duplicates_dropped``) or refused (``"error"``). The measured recall of approximate neighbours (searched
    here or given) is the result's ``recall`` and its JSON key ``recall`` (None, and no key, for exact neighbours).
    ``seed`` is checked whatever ``approx`` says.
    """
    if not isinstance(variant, str) or variant not in ("mle", "linear"):
        raise EmbgeoError(f"variant must be 'mle' or 'linear'; got {variant!r}")
    discard_fraction = check_discard(discard_fraction)
    confidence = check_level(confidence)
    n_bootstrap = check_bootstrap(n_bootstrap)
    approx = check_flag("approx", approx)
    D, dropped, recall = neighbor_distances(X, 2, neighbors=neighbors, duplicates=duplicates, approx=approx, seed=seed, metric=metric, backend=backend,
                                            device=device, name="X")
    ties = tied_points(D)
    n_ties = int(np.count_nonzero(ties))
    log_mu = twonn_log_ratios(D[~ties])
    n_all = int(D.shape[0])
    n = log_mu.size
    if n < 3:
        raise EmbgeoError(f"only {n} of {n_all} points have r2 > r1 (the others tie); TwoNN needs at least 3")
    n_kept = twonn_kept(n, discard_fraction)
    srt = np.sort(log_mu)
    d_mle = twonn_censored_mle(srt, n, n_kept)
    d_lin, r2 = _twonn_linear(srt, n, n_kept)
    from scipy.special import gammaincinv  # chi2.ppf(q, 2m) / (2T) = gammaincinv(m, q) / T

    T = srt[:n_kept].sum() + (n - n_kept) * srt[n_kept - 1]
    a = (1.0 - confidence) / 2.0
    exact_ci = (float(gammaincinv(n_kept, a) / T), float(gammaincinv(n_kept, 1 - a) / T))
    rng = as_rng(seed)
    boots = np.empty(n_bootstrap)
    for b in range(boots.size):
        s = np.sort(log_mu[rng.integers(0, n, n)])
        boots[b] = twonn_censored_mle(s, n, n_kept) if variant == "mle" else _twonn_linear(s, n, n_kept)[0]
    dim = d_mle if variant == "mle" else d_lin
    ci = _percentile_interval(boots, confidence) if boots.size else (float("nan"), float("nan"))
    return TwoNNResult(dim, variant, d_mle, d_lin, ci, confidence, int(boots.size), exact_ci, discard_fraction, n_all, n_kept, dropped, r2, n_ties,
                       recall)


# --------------------------------------------------------------------------- MLE (Levina–Bickel)


@dataclass(frozen=True, slots=True)
class MLEResult(Result):
    """Levina–Bickel MLE with MacKay–Ghahramani averaging, averaged over ``k1..k2``.

    ``interval`` (= ``ci_low``, ``ci_high``) is the bootstrap percentile interval at ``confidence``
    (``n_bootstrap`` replicates; NaN without a bootstrap). :meth:`to_dict` is the ``mle`` object of
    ``embgeo id``'s JSON, key for key.
    """

    dimension: float
    k1: int
    k2: int
    per_k: np.ndarray
    interval: tuple[float, float]
    confidence: float
    n_bootstrap: int
    n_points: int
    n_duplicates_dropped: int = 0
    #: as :attr:`TwoNNResult.recall`
    recall: float | None = None

    interval_level = renamed_attribute("MLEResult", "interval_level", "confidence")
    n_boot = renamed_attribute("MLEResult", "n_boot", "n_bootstrap")

    @property
    def ci_low(self) -> float:
        return _bounds(self.interval)[0]

    @property
    def ci_high(self) -> float:
        return _bounds(self.interval)[1]

    def to_dict(self) -> dict:
        lo, hi = _bounds(self.interval)
        return jsonable({
            "dimension": self.dimension, "ci_low": lo, "ci_high": hi, "k1": self.k1, "k2": self.k2,
            "per_k": {str(k): float(v) for k, v in zip(range(self.k1, self.k2 + 1), self.per_k)},
            "confidence": self.confidence, "bootstrap": self.n_bootstrap,
            "n_points": self.n_points, "n_duplicates_dropped": self.n_duplicates_dropped, **_recall_entry(self.recall),
        })

    def table(self):
        lo, hi = _bounds(self.interval)
        rows = [["dimension", self.dimension], [f"{100 * self.confidence:g} % interval", f"{lo:.3f} – {hi:.3f}"],
                ["k range", f"{self.k1}–{self.k2}"], ["n_points", self.n_points], ["n_duplicates_dropped", self.n_duplicates_dropped]]
        rows += [[f"k={k}", float(v)] for k, v in zip(range(self.k1, self.k2 + 1), self.per_k)]
        return ["metric", "value"], rows


def mle_inverse_local(D: np.ndarray, k1: int, k2: int) -> np.ndarray:
    """Per-point inverse local estimates ``(n, k2 − k1 + 1)``:
    ``1/m̂_k(xᵢ) = (1/(k−1)) Σ_{j<k} log(T_k(xᵢ)/T_j(xᵢ))`` for k = k1..k2."""
    logT = np.log(D[:, :k2])
    csum = np.cumsum(logT, axis=1)  # Σ_{j≤k} log T_j
    ks = np.arange(k1, k2 + 1)
    # Σ_{j<k} (log T_k − log T_j) = (k−1)·log T_k − Σ_{j≤k−1} log T_j
    return ((ks - 1) * logT[:, ks - 1] - csum[:, ks - 2]) / (ks - 1)


def mle_dimension(
    X=None,
    *,
    neighbors: Neighbors | None = None,
    k1: int = 10,
    k2: int = 20,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    seed=0,
    duplicates: str = "drop",
    approx: bool = False,
    metric: str = "euclidean",
    backend: str = "auto",
    device: str = "cpu",
) -> MLEResult:
    """Levina–Bickel maximum-likelihood intrinsic dimension.

    Local inverse estimate ``1/m̂_k(x) = (1/(k−1)) Σ_{j=1}^{k−1} log(T_k(x)/T_j(x))``
    (``T_j`` the distance to the j-th neighbour); MacKay & Ghahramani (2005):
    average the *inverses* over points, ``m̂_k = [mean_i 1/m̂_k(xᵢ)]^(−1)``; then
    ``m̂ = mean_{k=k1..k2} m̂_k``. Defaults k1 = 10, k2 = 20 (Levina & Bickel 2004).
    ``interval``: bootstrap over points (neighbours fixed), percentile (``n_bootstrap`` replicates seeded by
    ``seed``, level ``confidence``). The neighbours: as in :func:`twonn_dimension` (``neighbors``, ``metric``,
    ``approx``, ``backend``, ``device``, ``duplicates``).
    """
    k1 = check_count("k1", k1, minimum=2, hint="the MLE's smallest neighbour order")
    k2 = check_count("k2", k2, minimum=2, hint="the MLE's largest neighbour order")
    if k1 > k2:
        raise EmbgeoError(f"k1 must not exceed k2; got k1={k1}, k2={k2}", hint="the MLE averages the orders k1..k2, e.g. k1=10, k2=20")
    confidence = check_level(confidence)
    n_bootstrap = check_bootstrap(n_bootstrap)
    approx = check_flag("approx", approx)
    D, dropped, recall = neighbor_distances(X, k2, neighbors=neighbors, duplicates=duplicates, approx=approx, seed=seed, metric=metric, backend=backend,
                                            device=device, name="X", needs=("k2", k2, None))
    inv = mle_inverse_local(D, int(k1), int(k2))
    n = inv.shape[0]
    per_k = 1.0 / inv.mean(axis=0)
    rng = as_rng(seed)
    boots = np.empty(n_bootstrap)
    chunk = max(1, int(2**22 // max(1, n)))
    for b0 in range(0, boots.size, chunk):
        b1 = min(boots.size, b0 + chunk)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=b1 - b0).astype(np.float64)  # (B, n) bootstrap weights
        boots[b0:b1] = (1.0 / (counts @ inv / n)).mean(axis=1)
    ci = _percentile_interval(boots, confidence) if boots.size else (float("nan"), float("nan"))
    return MLEResult(float(per_k.mean()), int(k1), int(k2), per_k, ci, confidence, int(boots.size), n, dropped, recall)


# --------------------------------------------------------------------------- GRIDE


@dataclass(frozen=True, slots=True)
class GrideResult(Result):
    """GRIDE intrinsic dimension as a function of scale (Denti et al. 2022).

    Row ``j``: neighbour orders ``n1[j]`` and ``n2[j] = 2·n1[j]``, the estimate,
    its standard error (inverse observed Fisher information) and the scale
    (median distance to the ``n2``-th neighbour). ``confidence``: the level of each scale's normal
    interval ``d ± z·stderr`` and of the :meth:`plateau`'s envelope. :meth:`to_dict` is the ``gride``
    object of ``embgeo id``'s JSON, key for key.
    """

    n1: np.ndarray
    n2: np.ndarray
    dimension: np.ndarray
    stderr: np.ndarray
    scale: np.ndarray
    n_points: int
    n_duplicates_dropped: int = 0
    confidence: float = 0.95
    #: as :attr:`TwoNNResult.recall`
    recall: float | None = None

    @property
    def z(self) -> float:
        """The normal quantile of ``confidence`` (1.96 at 0.95)."""
        from embgeo.intrinsic.result import z_of

        return z_of(self.confidence)

    def plateau(self):
        """The longest run of scales that agree (:func:`embgeo.intrinsic.result.gride_plateau`), or None."""
        from embgeo.intrinsic.result import gride_plateau

        return gride_plateau(self, self.z) if self.dimension.size else None

    def to_dict(self) -> dict:
        p, z = self.plateau(), self.z
        return jsonable({
            "plateau": None if p is None else {"dimension": p.value, "ci_low": p.ci_low, "ci_high": p.ci_high, "n2_first": p.n2_first,
                                               "n2_last": p.n2_last, "agreed_within": "intervals" if p.by_interval else "tolerance"},
            "scales": [{"n1": int(a), "n2": int(b), "dimension": float(d), "stderr": float(e), "ci_low": float(d - z * e),
                        "ci_high": float(d + z * e), "scale": float(s)}
                       for a, b, d, e, s in zip(self.n1, self.n2, self.dimension, self.stderr, self.scale)],
            "n_points": self.n_points, "n_duplicates_dropped": self.n_duplicates_dropped, **_recall_entry(self.recall),
        })

    def table(self):
        return ["n1", "n2", "scale", "dimension", "stderr"], [
            [int(a), int(b), float(s), float(d), float(e)] for a, b, d, e, s in zip(self.n1, self.n2, self.dimension, self.stderr, self.scale)
        ]


def gride_mle(log_mu: np.ndarray, n1: int, n2: int, *, d_max: float = 1e4) -> tuple[float, float]:
    """Maximise the GRIDE likelihood of ``μ = r_{n2}/r_{n1}``; return ``(d, stderr)``.

    Density (Denti et al. 2022, eq. 6):
    ``f(μ) = d (μ^d − 1)^(n2−n1−1) / (μ^((n2−1)d+1) B(n2−n1, n1))``.
    Score in d (with ``L = log μ``): ``N/d + (n2−n1−1) Σ L/(1 − e^(−dL)) − (n2−1) Σ L``,
    strictly decreasing, so its root is found by bracketing and bisection.
    ``stderr = 1/√I(d)`` with ``I(d) = N/d² + (n2−n1−1) Σ L² e^(−dL)/(1 − e^(−dL))²``.
    For n1 = 1, n2 = 2 this is the TwoNN MLE ``N / Σ L``.
    """
    L = np.asarray(log_mu, dtype=np.float64)
    N = L.size
    a = n2 - n1 - 1
    sL = L.sum()

    pos = L > 0  # a tie r_{n2} = r_{n1} gives L = 0, where L/(1 − e^(−dL)) → 1/d
    Lp, n_ties = L[pos], int(N - np.count_nonzero(pos))

    def score(d):
        s = N / d - (n2 - 1) * sL
        if a:
            s += a * (np.sum(Lp / -np.expm1(-d * Lp)) + n_ties / d)
        return s

    lo, hi = 1e-6, 1.0
    while score(hi) > 0 and hi < d_max:
        lo, hi = hi, hi * 2.0
    if score(hi) > 0:
        return float("inf"), float("nan")
    for _ in range(200):  # bisection on a strictly decreasing score: robust, ~50 steps to 1e-13
        mid = 0.5 * (lo + hi)
        if score(mid) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    d = 0.5 * (lo + hi)
    info = N / d**2
    if a:
        e = np.exp(-d * Lp)
        info += a * (np.sum(Lp**2 * e / (1.0 - e) ** 2) + n_ties / d**2)
    return d, float(1.0 / np.sqrt(info))


def gride_dimension(
    X=None,
    *,
    neighbors: Neighbors | None = None,
    gride_max: int | None = None,
    duplicates: str = "drop",
    approx: bool = False,
    seed=0,
    metric: str = "euclidean",
    backend: str = "auto",
    device: str = "cpu",
    confidence: float = 0.95,
    max_order: int | None = None,
) -> GrideResult:
    """Intrinsic dimension against scale with GRIDE (generalised ratios).

    For ``n1 = 1, 2, 4, …`` with ``n2 = 2·n1 ≤ gride_max`` (None: 64) the ratio
    ``μᵢ = r_{n2}(i)/r_{n1}(i)`` follows the density in :func:`gride_mle`; the
    estimate at larger ``n1`` probes larger neighbourhoods (the ``scale`` column
    is the median ``r_{n2}``), which is how ambient noise (high ID at small
    scale) is told from the manifold (the plateau). Default ``gride_max`` 64, the ``gride_max`` of
    :func:`~embgeo.intrinsic.summary.intrinsic_dimension` (as dadapy's ``return_id_scaling_gride(range_max=64)``);
    ``max_order`` is its former name (DeprecationWarning). ``confidence`` (0.95) is the level of each scale's
    interval ``d ± z·stderr`` in :meth:`GrideResult.to_dict` and of the plateau. At n2 = 2 ties ``r₁ = r₂`` are left
    out as in :func:`twonn_dimension`; a scale without a finite maximum of the likelihood reads NaN.
    The neighbours: as in :func:`twonn_dimension` (``neighbors``, ``metric``, ``approx``, ``seed``, ``backend``,
    ``device``, ``duplicates``); with ``neighbors``, ``gride_max`` is capped at its ``k``.
    """
    name = "gride_max" if max_order is None else "max_order"  # the keyword the caller wrote
    gride_max = renamed_keyword("gride_dimension", "max_order", max_order, "gride_max", gride_max)
    max_order = check_count(name, 64 if gride_max is None else gride_max, minimum=2, flag="gride-max")
    confidence = check_level(confidence)
    approx = check_flag("approx", approx)
    check_seed(seed)  # (read by an approximate search only: checked whatever approx says)
    if neighbors is not None:
        max_order = min(int(max_order), neighbors.k)
    D, dropped, recall = neighbor_distances(X, int(max_order), neighbors=neighbors, duplicates=duplicates, approx=approx, seed=seed, metric=metric,
                                            backend=backend, device=device, name="X", needs=(name, max_order, "gride-max"))
    n1s, n2s, dims, errs, scales = [], [], [], [], []
    n1 = 1
    while 2 * n1 <= D.shape[1]:
        n2 = 2 * n1
        L = np.log(D[:, n2 - 1] / D[:, n1 - 1])
        if n1 == 1:  # the TwoNN ratio: ties (μ = 1) are left out as TwoNN leaves them out
            L = L[~tied_points(D)]
        d, e = gride_mle(L, n1, n2)
        if not (np.isfinite(d) and np.isfinite(e)):  # no finite maximum (every ratio ties at this scale): no estimate
            d, e = float("nan"), float("nan")
        n1s.append(n1), n2s.append(n2), dims.append(d), errs.append(e), scales.append(float(np.median(D[:, n2 - 1])))
        n1 *= 2
    return GrideResult(np.array(n1s), np.array(n2s), np.array(dims), np.array(errs), np.array(scales), D.shape[0], dropped, confidence, recall)
