"""Distribution summaries and the sampled-mode interval of the uniformity family.

- :class:`Distribution` / :func:`summarize` — moments, quantiles at :data:`QUANTILE_LEVELS`
  and a histogram of a sample of values (pair distances, cosines, projections), kept in
  the results for tables and plots;
- :func:`log_mean_exp_interval` — the log of a mean of ``exp(values)`` with its interval
  (normal, or empirical Bernstein when fewer than :data:`NORMAL_MIN_EFFECTIVE` effective
  values hold the mean), the interval of sampled uniformity;
- :func:`normal_quantile` — the two-sided normal quantile of a confidence level.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.results import Result

#: quantile levels reported for every distribution
QUANTILE_LEVELS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)
#: sampled mode: the normal interval is used when the sample has at least this many effective pairs
NORMAL_MIN_EFFECTIVE = 1000


def normal_quantile(confidence: float) -> float:
    """``z`` with ``P(|N(0, 1)| ≤ z) = confidence`` (1.959964 at 0.95): the half-width of a normal interval in standard errors."""
    from scipy.special import ndtri  # the normal quantile, without importing scipy.stats

    return float(ndtri(0.5 + confidence / 2.0))


@dataclass(frozen=True, slots=True)
class Distribution(Result):
    """Summary of a sample of values (pair distances, cosines): moments, quantiles, histogram.

    ``exact`` says whether the values are all of them (True) or a random sample of
    ``n`` of them (False). Kept for plots: ``hist_edges``/``hist_counts`` draw a
    histogram, ``quantile_levels``/``quantile_values`` a quantile curve.
    """

    what: str
    n: int
    exact: bool
    mean: float
    std: float
    quantile_levels: np.ndarray = field(repr=False)
    quantile_values: np.ndarray = field(repr=False)
    hist_edges: np.ndarray = field(repr=False)
    hist_counts: np.ndarray = field(repr=False)

    def quantile(self, q: float) -> float:
        """The stored quantile at level ``q`` (one of :data:`QUANTILE_LEVELS`)."""
        hit = np.flatnonzero(np.isclose(self.quantile_levels, q))
        if hit.size == 0:
            raise EmbgeoError(f"quantile level {q} is not stored (levels: {', '.join(map(str, self.quantile_levels))})")
        return float(self.quantile_values[hit[0]])

    def to_dict(self) -> dict:
        from embgeo.results import jsonable

        return {
            "what": self.what,
            "n_values": self.n,
            "exact": self.exact,
            "mean": jsonable(self.mean),
            "std": jsonable(self.std),
            "quantiles": {quantile_key(q): jsonable(v) for q, v in zip(self.quantile_levels, self.quantile_values)},
            "histogram": {"edges": jsonable(self.hist_edges), "counts": jsonable(self.hist_counts)},
        }


def quantile_key(q: float) -> str:
    """The key of quantile level ``q`` in tables and JSON: ``p5`` for 0.05, ``p50`` for 0.5."""
    return "p" + f"{100 * q:g}"


def summarize(values: np.ndarray, *, what: str, exact: bool, bins: int = 50, value_range: tuple[float, float] | None = None) -> Distribution:
    """A :class:`Distribution` of ``values`` (float64 moments, ``bins`` equal-width bins)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        nan = np.full(len(QUANTILE_LEVELS), np.nan)
        return Distribution(what, 0, exact, math.nan, math.nan, np.array(QUANTILE_LEVELS), nan, np.zeros(bins + 1), np.zeros(bins, dtype=np.int64))
    counts, edges = np.histogram(v, bins=bins, range=value_range if value_range is not None else _hist_range(v, bins))
    return Distribution(
        what=what,
        n=int(v.size),
        exact=exact,
        mean=float(v.mean()),
        std=float(v.std(ddof=1)) if v.size > 1 else 0.0,
        quantile_levels=np.array(QUANTILE_LEVELS),
        quantile_values=np.quantile(v, QUANTILE_LEVELS),
        hist_edges=edges,
        hist_counts=counts.astype(np.int64),
    )


def _equal_width(lo: float, hi: float, bins: int) -> bool:
    """Whether ``[lo, hi]`` splits into ``bins`` equal bins whose edges are distinct floats."""
    edges = np.linspace(lo, hi, bins + 1)
    return bool(np.isfinite(edges).all() and np.all(edges[1:] > edges[:-1]))


def _hist_range(v: np.ndarray, bins: int) -> tuple[float, float]:
    """The histogram range of finite values ``v``: ``[min, max]``, or, where that range is too narrow for
    ``bins`` distinct edges (every value equal, or equal to a few ulps: pair distances of rows moved by one
    offset), a range centred on it: ± 2⁻²⁰ of its centre (± 0.5 at 0, numpy's choice for equal values).
    Every value then falls in a middle bin; ``np.histogram`` would raise "too many bins" instead."""
    lo, hi = float(v.min()), float(v.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return lo, hi  # (np.histogram names the problem)
    if hi > lo and _equal_width(lo, hi, bins):
        return lo, hi
    c = lo + (hi - lo) / 2.0
    for half in (max((hi - lo) / 2.0, abs(c) * 2.0**-20), 0.5):
        if half > 0 and c - half <= lo and hi <= c + half and _equal_width(c - half, c + half, bins):
            return c - half, c + half
    return lo, hi


class LogMeanInterval(NamedTuple):
    """What :func:`log_mean_exp_interval` returns (all logs)."""

    value: float
    low: float
    high: float
    se: float
    method: str  # "normal" or "empirical-bernstein"
    effective_pairs: float


def log_mean_exp_interval(log_values: np.ndarray, *, confidence: float = 0.95, log_upper: float = 0.0) -> LogMeanInterval:
    """The log of the mean of ``exp(log_values)`` with an interval at ``confidence``.

    Computed with a shift by the maximum so that nothing under- or overflows. The
    values ``exp(a)`` must lie in ``[0, exp(log_upper)]`` (a pair kernel ``e^{−t d²}``
    lies in ``[0, 1]``: ``log_upper = 0``). When the sample's effective number of
    values ``(Σw)²/Σw²`` is at least :data:`NORMAL_MIN_EFFECTIVE`, the interval is
    the normal interval of the mean, log-transformed; below it a few values hold
    the mean and the normal interval under-covers (measured: 61–91 % at a nominal
    95 %), so the distribution-free empirical Bernstein bound for a mean of bounded
    i.i.d. values is used instead (Maurer & Pontil 2009, Thm 4, δ/2 on each side):
    ``mean ± (√(2 V ln(4/δ)/m) + 7 R ln(4/δ)/(3(m − 1)))`` with ``V`` the sample
    variance and ``R`` the range. A lower bound ≤ 0 gives ``-inf``. ``se`` is the
    delta-method ``sd/(mean·√m)`` in both cases.
    """
    a = np.asarray(log_values, dtype=np.float64)
    m = a.size
    shift = float(a.max())
    w = np.exp(a - shift)
    mean = float(w.mean())
    sd = float(w.std(ddof=1)) if m > 1 else math.inf
    se_mean = sd / math.sqrt(m)
    ess = float(w.sum() ** 2 / np.dot(w, w))
    value = shift + math.log(mean)
    if ess >= NORMAL_MIN_EFFECTIVE or m < 2:
        z = normal_quantile(confidence)
        lo, hi = mean - z * se_mean, mean + z * se_mean
        log_lo = shift + math.log(lo) if lo > 0 else -math.inf
        return LogMeanInterval(value, log_lo, shift + math.log(hi), se_mean / mean, "normal", ess)
    c = math.log(4.0 / (1.0 - confidence))
    spread = math.sqrt(2.0 * sd * sd * c / m)  # in shifted units
    log_tail = math.log(7.0 * c / (3.0 * (m - 1))) + float(log_upper)  # the range term, in absolute log units
    log_hi = min(float(np.logaddexp(shift + math.log(mean + spread), log_tail)), float(log_upper))  # a mean ≤ the values' bound
    base = mean - spread
    log_lo = -math.inf
    if base > 0:
        log_base = shift + math.log(base)
        if log_base > log_tail:
            log_lo = log_base + math.log1p(-math.exp(log_tail - log_base))
    return LogMeanInterval(value, log_lo, log_hi, se_mean / mean, "empirical-bernstein", ess)
