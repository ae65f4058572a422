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
    mle_terms,
    neighbours_for,
    reference_curve,
    reference_point,
    reference_sample,
    twonn_censored,
)
from embgeo.intrinsic.estimators import twonn_dimension
from embgeo.intrinsic.summary import intrinsic_dimension

N = 1000
POINTS = 3000  # reference ratios per grid dimension: enough for these tolerances, fast


def _interior_twonn(X, share=0.5, k=10, discard=0.1, mle_k=None):
    """An independent TwoNN of the interior points: brute-force float64 distances, the ``share`` of rows
    whose k unit directions to their neighbours have the shortest mean, the censored MLE in closed form
    (with ``mle_k``, also the MLE over that many neighbours: 1 / mean of mean_{j<k} log(r_k / r_j))."""
    X = np.asarray(X, dtype=np.float64)
    sq = (X * X).sum(axis=1)
    D2 = sq[:, None] + sq[None, :] - 2.0 * X @ X.T
    np.fill_diagonal(D2, np.inf)
    idx = np.argsort(D2, axis=1, kind="stable")[:, :k]
    r = np.sqrt(np.maximum(np.take_along_axis(D2, idx, axis=1), 0.0))
    b = np.empty(len(X))
    for i in range(len(X)):
        U = X[idx[i]] - X[i]
        U /= np.linalg.norm(U, axis=1, keepdims=True)
        b[i] = np.linalg.norm(U.mean(axis=0))
    keep = b <= np.quantile(b, share)
    L = np.sort(np.log(r[keep, 1] / r[keep, 0]))
    N = L.size
    m = max(3, int(np.floor(N * (1 - discard))))
    twonn = (m - 1) / (L[:m].sum() + (N - m) * L[m - 1])
    if mle_k is None:
        return twonn, int(keep.sum())
    rk = r[keep, :mle_k]
    terms = [np.mean([np.log(row[-1] / row[j]) for j in range(mle_k - 1)]) for row in rk]
    return twonn, int(keep.sum()), 1.0 / np.mean(terms)


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
    r = calibrated_dimension(X, n_bootstrap=50, reference_points=POINTS)
    assert abs(r.dimension - d) <= tol * d, (d, r.dimension, r.raw)
    assert r.ci_low <= r.dimension <= r.ci_high
    if d >= 20:
        assert r.raw < 0.85 * d  # the raw estimate is biased low ...
        assert abs(r.dimension - d) < 0.5 * abs(r.raw - d)  # ... and the correction removes most of the bias


def test_planted_ball_interval_contains_truth_and_raw_matches_twonn():
    """Uniform 30-d ball data (a different seed than the references) in 40 columns: the 95 % interval
    holds 30; the raw value is the TwoNN of the interior half (an independent brute-force implementation),
    and with ``interior=1.0`` exactly TwoNN's censored MLE on every point."""
    rng = np.random.default_rng(123)
    X = _embed(reference_sample("ball", N, 30, rng), 10, seed=7)
    r = calibrated_dimension(X, n_bootstrap=100, reference_points=POINTS)
    assert r.ci_low <= 30 <= r.ci_high, (r.ci_low, r.dimension, r.ci_high)
    raw, kept = _interior_twonn(X)
    assert r.raw == pytest.approx(raw, rel=1e-9) and r.n_interior == kept == N // 2 and r.interior == 0.5
    assert r.raw < 25  # raw TwoNN is far below 30 at n = 1000
    assert r.neighbours == neighbours_for(r.raw) == 5  # 2 · 1.05^raw with raw ≈ 20: the 5 nearest lie within 5 % of r₂
    assert r.statistic == pytest.approx(_interior_twonn(X, mle_k=5)[2], rel=1e-9)
    assert r.to_dict()["neighbours"] == 5 and "read over 5 neighbours" in r.detail
    every = calibrated_dimension(X, n_bootstrap=0, reference_points=POINTS, interior=1.0)
    assert every.raw == pytest.approx(twonn_dimension(X, n_bootstrap=0).mle, rel=1e-12) and every.n_interior == N


def test_low_dimension_left_nearly_unchanged():
    """A 2-d square: no high-dimension bias to remove; the correction is under 5 % and the estimate
    within 10 % of 2 (the raw TwoNN's own sampling error at n = 1000 is about 3 %)."""
    X = _embed(np.random.default_rng(3).random((N, 2)), 3, seed=3)
    r = calibrated_dimension(X, n_bootstrap=50, reference_points=POINTS)
    assert abs(r.dimension - 2) < 0.2
    assert abs(r.correction - 1) < 0.05


def test_deterministic_for_a_seed_and_cache_does_not_change_it():
    X = _embed(np.random.default_rng(5).random((600, 12)), 4, seed=5)
    a = calibrated_dimension(X, n_bootstrap=30, reference_points=POINTS, seed=1)
    clear_reference_cache()
    b = calibrated_dimension(X, n_bootstrap=30, reference_points=POINTS, seed=1)
    c = calibrated_dimension(X, n_bootstrap=30, reference_points=POINTS, seed=1)  # from the cache
    for r in (b, c):
        assert (r.dimension, r.ci_low, r.ci_high) == (a.dimension, a.ci_low, a.ci_high)
        np.testing.assert_array_equal(r.reference_twonn, a.reference_twonn)


def test_column_count_caps_the_estimate():
    """A 20-d ball in exactly 20 columns: the interval never exceeds the column count."""
    X = reference_sample("ball", N, 20, np.random.default_rng(9))
    r = calibrated_dimension(X, n_bootstrap=50, reference_points=POINTS)
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
    assert gs[-1] > 6.0 and gs[-3] <= 6.0 and m == 500  # two seeded replicates of 500 points, the interior half of each
    assert reference_curve(500, d_max=40, target=6.0, points=1000, interior=1.0)[2] == 1000


def test_in_intrinsic_dimension_and_recommended():
    X = _embed(np.random.default_rng(11).random((800, 15)), 5, seed=11)
    rep = intrinsic_dimension(X, methods="twonn,calibrated", n_bootstrap=30)
    assert rep.calibrated is not None and rep.calibrated.raw == pytest.approx(_interior_twonn(X)[0], rel=1e-9)
    assert rep.calibrated.dimension == calibrated_dimension(X, n_bootstrap=30).dimension  # the shared search changes nothing
    assert rep.recommended().metric == "calibrated"
    assert "calibrated" in rep.verdict().reason


def test_bad_parameters():
    X = np.random.default_rng(0).random((100, 3))
    with pytest.raises(EmbgeoError, match="reference"):
        calibrated_dimension(X, reference="torus")
    with pytest.raises(EmbgeoError, match="confidence must lie strictly between 0 and 1"):
        calibrated_dimension(X, confidence=1.5)
    with pytest.raises(EmbgeoError, match="interior"):
        calibrated_dimension(X, interior=0.0)
    from embgeo.knn.engine import knn

    with pytest.raises(EmbgeoError, match="needs the rows X"):  # the interior points need the directions, not only distances
        calibrated_dimension(neighbors=knn(X, 10), n_dims=3)
    with pytest.raises(EmbgeoError, match="k ≥ 10"):
        calibrated_dimension(X, neighbors=knn(X, 2))


def test_interior_share_makes_the_reference_shape_matter_less():
    """At d = 40, n = 1000 (20 000 reference ratios, sampling sd of each value about 1 %), the TwoNN of
    uniform balls and cubes differ by about 5 % on every point and by well under that on the interior
    half: the boundary points carry the shape-dependent bias (measured: 4.7 % → 0.3 % with seed 0,
    5.7 % → 2.6 % with seed 1)."""
    gap = {share: abs(np.log(reference_point(N, 40, 0, "ball", 20_000, share)[0] / reference_point(N, 40, 0, "cube", 20_000, share)[0]))
           for share in (1.0, 0.5)}
    assert gap[1.0] > 0.03 and gap[0.5] < 0.6 * gap[1.0], gap


def test_neighbours_for_thresholds_and_mle_terms():
    """k is the largest ≤ 10 with (k/2)^(1/raw) ≤ 1.05: 2 (TwoNN) below a raw 8.31, 3 from there, 4 at 14.3,
    10 from 33; the MLE terms are mean_{j<k} log(r_k / r_j) in closed form."""
    assert [neighbours_for(v) for v in (1.0, 8.3, 8.32, 14.3, 20.0, 32.9, 33.0, 500.0)] == [2, 2, 3, 4, 5, 9, 10, 10]
    assert neighbours_for(float("nan")) == 2 and neighbours_for(0.0) == 2
    np.testing.assert_allclose(mle_terms(np.array([[1.0, 2.0, 4.0], [1.0, 1.0, 1.0]])), [(np.log(4) + np.log(2)) / 2, 0.0], rtol=1e-15)


def test_more_neighbours_cut_the_sampling_error_in_high_dimensions():
    """Six uniform 30-d cubes (n = 1000, rotated into 40 columns): the estimates that read the 5 nearest
    neighbours (the default there) scatter less than TwoNN's two and stay as close to 30 on average.
    Measured: sd 0.79 against 1.71, mean |error| 0.86 against 2.02 (reference seed 0, 3000 points)."""
    fixed, auto = [], []
    for s in range(6):
        X = _embed(np.random.default_rng(100 + s).random((N, 30)), 10, seed=s)
        fixed.append(calibrated_dimension(X, n_bootstrap=0, reference_points=POINTS, k=2).dimension)
        a = calibrated_dimension(X, n_bootstrap=0, reference_points=POINTS)
        assert a.neighbours == 5
        auto.append(a.dimension)
    fixed, auto = np.array(fixed), np.array(auto)
    assert auto.std() < 0.65 * fixed.std(), (auto, fixed)
    assert np.abs(auto - 30).mean() < np.abs(fixed - 30).mean(), (auto, fixed)
    with pytest.raises(EmbgeoError, match=r"^k must be an integer from 2 to 10"):
        calibrated_dimension(X, k=11)
    with pytest.raises(EmbgeoError, match=r"^k must be an integer from 2 to 10 \(more than 2 with interior < 1\); got 4"):
        calibrated_dimension(X, k=4, interior=1.0)
