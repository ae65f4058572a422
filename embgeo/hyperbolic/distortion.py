"""Distortion of embedding distances against graph distances (Sala et al. 2018, §2).

:func:`distortion` scores pairs held in memory; :class:`RatioAccumulator` collects the ratios
``d_emb/d_graph`` block by block for :func:`embgeo.hyperbolic.evaluate.evaluate_embedding`, exactly up
to ``EXACT_PAIRS`` and then in a log-spaced histogram, enough for the fitted scale.
"""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError

#: ratios kept exactly for the fitted scale; beyond, a log-histogram of 2^20 bins is used
EXACT_PAIRS = 20_000_000
_HIST_BINS, _HIST_LO, _HIST_HI = 1 << 20, -40.0, 40.0


def _fit_scale_exact(x: np.ndarray) -> tuple[float, float]:
    """Minimise ``mean |x/s − 1|`` over s > 0: t = 1/s is the weighted median of 1/x, weights x."""
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    if not (x > 0).any():
        return float("nan"), 1.0
    xs = np.sort(x)[::-1]  # 1/x ascending
    cw = np.cumsum(xs)
    k = int(np.searchsorted(cw, cw[-1] / 2.0))
    t = 1.0 / xs[min(k, xs.size - 1)]
    return 1.0 / t, float(np.abs(t * x - 1.0).mean())


def distortion(d_emb, d_graph, *, scale: float | None = None) -> tuple[float, float, float]:
    """Average and worst-case distortion of embedding distances against graph distances.

    ``d_emb`` and ``d_graph``: arrays of the same shape (pairs). Pairs with
    ``d_graph`` equal to 0 (a node with itself) or not finite (different
    connected parts) are left out.

    - average: ``mean |d_emb/s − d_graph| / d_graph`` with ``s = scale``, or fitted as
      the minimiser (a weighted median) when ``scale`` is None;
    - worst-case: ``max(d_emb/d_graph) · max(d_graph/d_emb)`` (∞ if some ``d_emb`` is 0).

    Returns ``(avg, worst, scale)`` (Sala et al. 2018, §2).
    """
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise EmbgeoError(f"scale must be a positive number; got {scale!r}", hint="leave it out to fit the scale")
    de = np.asarray(d_emb, dtype=np.float64).ravel()
    dg = np.asarray(d_graph, dtype=np.float64).ravel()
    if de.shape != dg.shape:
        raise EmbgeoError(f"d_emb has {de.size} pairs but d_graph has {dg.size}")
    ok = np.isfinite(dg) & (dg > 0)
    if np.isnan(de[ok]).any():
        raise EmbgeoError("embedding distances contain NaN", hint="check the embedding for NaN/inf coordinates")
    x = de[ok] / dg[ok]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan") if scale is None else float(scale)
    worst = float(x.max() / x.min()) if x.min() > 0 else float("inf")
    if scale is None:
        s, avg = _fit_scale_exact(x)
        return avg, worst, float(s)
    s = float(scale)
    if not np.isfinite(s) or s <= 0:
        raise EmbgeoError(f"scale must be a positive number, got {scale!r}")
    return float(np.abs(x / s - 1.0).mean()), worst, s


class RatioAccumulator:
    """Collects ratios x = d_emb/d_graph block by block: exactly up to ``EXACT_PAIRS``,
    then in a log-spaced histogram (count and Σx per bin), enough for the fitted scale."""

    def __init__(self, scale: float | None, exact_limit: int | None = None):
        self.scale, self.limit = scale, EXACT_PAIRS if exact_limit is None else int(exact_limit)  # read at call time
        self.parts: list[np.ndarray] | None = []
        self.n = 0
        self.xmax, self.xmin = 0.0, np.inf
        self.zeros = 0  # pairs at positive graph distance that share a point (worst case ∞)
        self.abs_sum = 0.0
        self.cnt = self.sx = None

    def add(self, x: np.ndarray) -> None:
        if x.size == 0:
            return
        self.n += x.size
        self.xmax = max(self.xmax, float(x.max()))
        self.xmin = min(self.xmin, float(x.min()))
        self.zeros += int(np.count_nonzero(x == 0))
        if self.scale is not None:
            self.abs_sum += float(np.abs(x / self.scale - 1.0).sum())
            return
        if self.parts is not None:
            self.parts.append(x)
            if self.n > self.limit:
                allx = np.concatenate(self.parts)
                self.parts = None
                self._hist(allx)
        else:
            self._hist(x)

    def _hist(self, x: np.ndarray) -> None:
        if self.cnt is None:
            self.cnt = np.zeros(_HIST_BINS)
            self.sx = np.zeros(_HIST_BINS)
        with np.errstate(divide="ignore"):
            lx = np.log(x)
        b = np.clip(((lx - _HIST_LO) / (_HIST_HI - _HIST_LO) * _HIST_BINS).astype(np.int64, copy=False), 0, _HIST_BINS - 1)
        self.cnt += np.bincount(b, minlength=_HIST_BINS)
        self.sx += np.bincount(b, weights=x, minlength=_HIST_BINS)

    def result(self) -> tuple[float, float, float]:
        if self.n == 0:
            return float("nan"), float("nan"), float("nan")
        worst = self.xmax / self.xmin if self.xmin > 0 else float("inf")
        if self.scale is not None:
            return self.abs_sum / self.n, worst, float(self.scale)
        if self.parts is not None:
            s, avg = _fit_scale_exact(np.concatenate(self.parts))
            return avg, worst, s
        # f(t) = Σ|t x − 1| at every bin edge t = 1/x_e: exact there; the optimum lies within one bin
        edges = np.exp(_HIST_LO + (_HIST_HI - _HIST_LO) * np.arange(1, _HIST_BINS) / _HIST_BINS)
        c_below, s_below = np.cumsum(self.cnt)[:-1], np.cumsum(self.sx)[:-1]
        c_tot, s_tot = self.cnt.sum(), self.sx.sum()
        t = 1.0 / edges
        f = (t * (s_tot - s_below) - (c_tot - c_below)) + (c_below - t * s_below)
        k = int(np.argmin(f))
        return float(f[k] / self.n), worst, float(edges[k])


__all__ = ["EXACT_PAIRS", "RatioAccumulator", "distortion"]
