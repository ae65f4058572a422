"""The calibrated intrinsic dimension (embgeo.intrinsic.corrected): closed-form cases, determinism,
planted intervals, the curve inversion, and its place in intrinsic_dimension."""
from __future__ import annotations

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.intrinsic.corrected import (
    calibrated_dimension,
    clear_reference_cache,
    invert_curve,
    reference_curve,
    reference_sample,
    twonn_censored,
)
from embgeo.intrinsic.estimators import twonn_dimension
from embgeo.intrinsic.summary import intrinsic_dimension

N = 1000
POINTS = 3000  # reference ratios per grid dimension: enough for these tolerances, fast


def _embed(Y, extra, seed):
    """``Y`` rotated into ``Y.shape[1] + extra`` columns (distances unchanged, the column cap not reached)."""
    d = Y.shape[1]
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d + extra, d + extra)))
    return np.hstack([Y, np.zeros((Y.shape[0], extra))]) @ Q


@pytest.mark.parametrize("d, tol", [(5, 0.10), (20, 0.12), (50, 0.15)])
def test_uniform_hypercube_within_tolerance_where_raw_twonn_is_far_off(d, tol):
    """A uniform d-cube (rotated into d + 10 columns), n = 1000: the calibrated estimate is within
    ``tol`` of d. At d = 50 the raw TwoNN reads about 30 (40 % low), so the correction is doing the work."""
    X = _embed(np.random.default_rng(d).random((N, d)), 10, seed=d)
    r = calibrated_dimension(X, n_boot=50, reference_points=POINTS)
    assert abs(r.dimension - d) <= tol * d, (d, r.dimension, r.raw)
    assert r.ci_low <= r.dimension <= r.ci_high
    if d >= 20:
        assert r.raw < 0.85 * d  # the raw estimate is biased low ...
        assert abs(r.dimension - d) < 0.5 * abs(r.raw - d)  # ... and the correction removes most of the bias


def test_planted_ball_interval_contains_truth_and_raw_matches_twonn():
    """Uniform 30-d ball data (a different seed than the references) in 40 columns: the 95 % interval
    holds 30; the raw value is exactly TwoNN's censored MLE (an independent implementation)."""
    rng = np.random.default_rng(123)
    X = _embed(reference_sample("ball", N, 30, rng), 10, seed=7)
    r = calibrated_dimension(X, n_boot=100, reference_points=POINTS)
    assert r.ci_low <= 30 <= r.ci_high, (r.ci_low, r.dimension, r.ci_high)
    assert r.raw == pytest.approx(twonn_dimension(X, n_boot=0).mle, rel=1e-12)
    assert r.raw < 25  # raw TwoNN is far below 30 at n = 1000


def test_low_dimension_left_nearly_unchanged():
    """A 2-d square: no high-dimension bias to remove; the correction is under 5 % and the estimate
    within 10 % of 2 (the raw TwoNN's own sampling error at n = 1000 is about 3 %)."""
    X = _embed(np.random.default_rng(3).random((N, 2)), 3, seed=3)
    r = calibrated_dimension(X, n_boot=50, reference_points=POINTS)
    assert abs(r.dimension - 2) < 0.2
    assert abs(r.correction - 1) < 0.05


def test_deterministic_for_a_seed_and_cache_does_not_change_it():
    X = _embed(np.random.default_rng(5).random((600, 12)), 4, seed=5)
    a = calibrated_dimension(X, n_boot=30, reference_points=POINTS, seed=1)
    clear_reference_cache()
    b = calibrated_dimension(X, n_boot=30, reference_points=POINTS, seed=1)
    c = calibrated_dimension(X, n_boot=30, reference_points=POINTS, seed=1)  # from the cache
    for r in (b, c):
        assert (r.dimension, r.ci_low, r.ci_high) == (a.dimension, a.ci_low, a.ci_high)
        np.testing.assert_array_equal(r.reference_twonn, a.reference_twonn)


def test_column_count_caps_the_estimate():
    """A 20-d ball in exactly 20 columns: the interval never exceeds the column count."""
    X = reference_sample("ball", N, 20, np.random.default_rng(9))
    r = calibrated_dimension(X, n_boot=50, reference_points=POINTS)
    assert r.ci_high <= 20 and r.dimension <= 20
    assert r.reference_d[-1] == 20


def test_invert_curve_on_a_power_law_is_exact():
    """log-log interpolation inverts g(d) = d^0.8 exactly, between and at grid points."""
    ds = np.array([1.0, 2, 4, 8, 16, 32, 64])
    gs = ds**0.8
    for d in (1.0, 3.0, 10.0, 50.0):
        got, where = invert_curve(ds, gs, d**0.8)
        assert where == "inside" or d == 1.0
        assert got == pytest.approx(d, rel=1e-12)
    assert invert_curve(ds, gs, 100.0) == (64.0, "above")
    assert invert_curve(ds, gs, 0.5)[1] == "below"


def test_twonn_censored_closed_form():
    """Pareto(d) ratios: log μ ~ Exp(d); with no censoring the MLE is (n − 1)/Σ log μ."""
    L = np.random.default_rng(0).exponential(1 / 7.0, 50_000)
    assert twonn_censored(L, discard=0.0) == pytest.approx((L.size - 1) / L.sum(), rel=1e-12)
    assert twonn_censored(L) == pytest.approx(7.0, rel=0.02)


def test_reference_curve_is_increasing_and_stops_past_target():
    ds, gs, m = reference_curve(500, d_max=40, target=6.0, points=1000)
    assert np.all(np.diff(gs) > 0)
    assert gs[-1] > 6.0 and gs[-3] <= 6.0 and m == 1000  # two seeded replicates of 500 points


def test_in_intrinsic_dimension_and_recommended():
    X = _embed(np.random.default_rng(11).random((800, 15)), 5, seed=11)
    rep = intrinsic_dimension(X, methods="twonn,calibrated", n_boot=30)
    assert rep.calibrated is not None and rep.calibrated.raw == pytest.approx(rep.twonn.mle, rel=1e-12)
    assert rep.recommended().metric == "calibrated"
    assert "calibrated" in rep.verdict().reason


def test_bad_parameters():
    X = np.random.default_rng(0).random((100, 3))
    with pytest.raises(EmbgeoError, match="reference"):
        calibrated_dimension(X, reference="torus")
    with pytest.raises(EmbgeoError, match="interval level"):
        calibrated_dimension(X, level=1.5)
