"""Sampling rows for ``--sample``, and the check that the estimate does not depend on the sample size.

:func:`sample_rows` draws sorted seeded row indices; :func:`take_rows` reads them (from a memory
map through short-lived windows); :func:`sample_check` re-estimates TwoNN on a seeded half of the
sampled rows (:class:`SampleCheck`): on data with structure at several scales the estimate
depends on n.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embgeo.arguments import check_count
from embgeo.intrinsic.estimators import TwoNNResult, twonn_dimension
from embgeo.knn.engine import knn
from embgeo.validation import seeded_rows


#: the caveat of ``--sample`` for the neighbour estimators (the ``detail`` of :func:`embgeo.validation.sample_note`)
SAMPLE_DETAIL = "the neighbour estimators depend on n (fewer rows = larger neighbourhoods)"


def sample_rows(n: int, sample: int | None, seed) -> np.ndarray | None:
    """Sorted seeded row indices of a subsample of size ``sample`` (None, or ``sample ≥ n``: all rows).
    ``sample`` is a whole number (not text, a fraction or a bool) ≥ 3 below ``n``."""
    if sample is None:
        return None
    if isinstance(sample, (int, np.integer)) and not isinstance(sample, (bool, np.bool_)) and sample >= n:
        return None
    return seeded_rows(n, check_count("sample", sample, minimum=3), seed)


def take_rows(X: np.ndarray, rows: np.ndarray, *, window_rows: int = 32768) -> np.ndarray:
    """``X[rows]`` for sorted ``rows``; on a memory map, read through short-lived windows.

    Fancy indexing a memory map faults in (and keeps mapped, counted as resident
    memory) every page the read-ahead touches — most of the file for a 10 % sample.
    Mapping one window of at most ``window_rows`` rows at a time keeps resident
    memory near the size of the sample.
    """
    if not isinstance(X, np.memmap) or getattr(X, "filename", None) is None or not X.flags.c_contiguous:
        return np.asarray(X[rows])
    out = np.empty((rows.size, X.shape[1]), dtype=X.dtype)
    row_bytes = X.shape[1] * X.dtype.itemsize
    i = 0
    while i < rows.size:
        lo = int(rows[i])
        j = int(np.searchsorted(rows, lo + window_rows, side="left"))
        hi = int(rows[j - 1]) + 1
        win = np.memmap(X.filename, dtype=X.dtype, mode="r", offset=X.offset + lo * row_bytes, shape=(hi - lo, X.shape[1]))
        out[i:j] = win[rows[i:j] - lo]
        del win  # unmapped: its pages stop counting as this process's memory
        i = j
    return out


@dataclass(frozen=True, slots=True)
class SampleCheck:
    """TwoNN (censored MLE, exact χ² interval at ``confidence``, 95 % by default) on the ``--sample`` rows and on a seeded half of them.

    On data with structure at several scales the estimate depends on n (fewer points =
    larger neighbourhoods); ``agree`` is False when the two intervals do not overlap.
    """

    n_rows: int
    dimension: float
    ci_low: float
    ci_high: float
    n_rows_half: int
    dimension_half: float
    ci_low_half: float
    ci_high_half: float

    @property
    def agree(self) -> bool:
        return not (self.ci_high_half < self.ci_low or self.ci_low_half > self.ci_high)

    @property
    def relative_change(self) -> float:
        return float(self.dimension_half / self.dimension - 1.0)

    def to_dict(self) -> dict:
        return {
            "twonn": [
                {"n_rows": self.n_rows, "dimension": self.dimension, "ci_low": self.ci_low, "ci_high": self.ci_high},
                {"n_rows": self.n_rows_half, "dimension": self.dimension_half, "ci_low": self.ci_low_half, "ci_high": self.ci_high_half},
            ],
            "variant": "mle", "agree": self.agree, "relative_change": self.relative_change,
        }


def sample_check(Xd: np.ndarray, main: TwoNNResult, *, seed, discard_fraction: float, metric: str, approx: bool,
                 backend: str, device: str, confidence: float = 0.95) -> SampleCheck | None:
    """TwoNN on a seeded half of the (deduplicated, sampled) rows ``Xd`` against ``main`` (on all of them)."""
    n = Xd.shape[0]
    half = n // 2
    if half < 20:
        return None
    rows = seeded_rows(n, half, seed)
    nb = knn(np.asarray(Xd[rows]), 2, metric=metric, approx=approx, seed=seed, backend=backend, device=device, check_duplicates=False)
    h = twonn_dimension(neighbors=nb, discard_fraction=discard_fraction, variant="mle", n_bootstrap=0, seed=seed, confidence=confidence)
    return SampleCheck(int(n), float(main.mle), *map(float, main.mle_exact_interval),
                       int(half), float(h.mle), *map(float, h.mle_exact_interval))
