"""Ordering metrics of ``embgeo rank``: Spearman, Kendall τ-b, pairwise accuracy,
bootstrap intervals, the random-direction null — against scipy, brute force and
the closed forms for a bivariate normal pair."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embgeo.rank.ordering import (
    kendall_and_pairwise, kendall_tau, ordering_metrics, pairwise_accuracy, random_direction_spearman, spearman,
)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # The shared 2-core box oversubscribes OpenBLAS threads (an SVD of 800×128
    # took 1.4 s instead of 9 ms); one thread keeps these tests fast.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _bivariate(n, r, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(n)
    return a, r * a + np.sqrt(1 - r * r) * rng.standard_normal(n)


def _se_spearman(rho, n):
    # Bonett & Wright (2000): var(atanh ρ_S) ≈ (1 + ρ²/2)/(n − 3); delta method back to ρ
    return (1 - rho**2) * np.sqrt((1 + rho**2 / 2) / (n - 3))


def _se_kendall(tau, n):
    # Fieller, Hartley & Pearson (1957): var(atanh τ) ≈ 0.437/(n − 4)
    return (1 - tau**2) * np.sqrt(0.437 / (n - 4))


def test_spearman_and_kendall_match_scipy_with_ties():
    from scipy.stats import kendalltau, spearmanr

    rng = np.random.default_rng(1)
    s = rng.integers(0, 7, 300).astype(float)  # heavy ties on both sides
    y = s + rng.integers(0, 4, 300)
    # same formula, different code: agreement to round-off
    np.testing.assert_allclose(spearman(s, y), spearmanr(s, y).statistic, rtol=1e-12)
    np.testing.assert_allclose(kendall_tau(s, y), kendalltau(s, y).statistic, rtol=1e-12)


def test_pairwise_accuracy_matches_brute_force():
    rng = np.random.default_rng(2)
    s = np.round(rng.standard_normal(150), 1)  # ties in the score
    y = np.round(s + rng.standard_normal(150), 0)  # ties in the attribute
    i, j = np.triu_indices(s.size, 1)
    dy, ds = np.sign(y[i] - y[j]), np.sign(s[i] - s[j])
    keep = dy != 0
    brute = np.mean(np.where(ds[keep] == 0, 0.5, (ds[keep] == dy[keep]).astype(float)))
    # exact counting identity: agreement to round-off
    np.testing.assert_allclose(pairwise_accuracy(s, y), brute, rtol=1e-12)
    tau, acc = kendall_and_pairwise(s, y)
    assert acc == pytest.approx(pairwise_accuracy(s, y))


def test_metrics_match_bivariate_normal_closed_forms():
    n, r = 20000, 0.6
    a, b = _bivariate(n, r, seed=3)
    rho_true = 6 / np.pi * np.arcsin(r / 2)
    tau_true = 2 / np.pi * np.arcsin(r)
    acc_true = 0.5 + np.arcsin(r) / np.pi
    # 4 standard errors of the sampling distribution (n = 20000)
    np.testing.assert_allclose(spearman(a, b), rho_true, atol=4 * _se_spearman(rho_true, n))
    tau, acc = kendall_and_pairwise(a, b)
    np.testing.assert_allclose(tau, tau_true, atol=4 * _se_kendall(tau_true, n))
    np.testing.assert_allclose(acc, acc_true, atol=2 * _se_kendall(tau_true, n))  # acc = (1 + τ)/2 without ties


def test_bootstrap_interval_width_matches_standard_error():
    n, r = 2000, 0.5
    a, b = _bivariate(n, r, seed=4)
    m = ordering_metrics(a, b, n_bootstrap=400, seed=0)
    lo, hi = m["spearman_ci"]
    assert lo < m["spearman"] < hi
    rho = 6 / np.pi * np.arcsin(r / 2)
    # a 95 % interval spans ≈ 2·1.96 SE; 400 resamples estimate its ends to ~10 %, so 25 % slack
    np.testing.assert_allclose(hi - lo, 2 * 1.96 * _se_spearman(rho, n), rtol=0.25)
    tau = 2 / np.pi * np.arcsin(r)
    klo, khi = m["kendall_ci"]
    np.testing.assert_allclose(khi - klo, 2 * 1.96 * _se_kendall(tau, n), rtol=0.25)
    plo, phi = m["pairwise_accuracy_ci"]
    np.testing.assert_allclose(phi - plo, (khi - klo) / 2, rtol=0.05)  # acc = (1 + τ)/2 resample by resample, up to ties


def test_ordering_metrics_drop_nan_rows_and_reproduce():
    a, b = _bivariate(300, 0.4, seed=5)
    b2 = b.copy()
    b2[:10] = np.nan
    m1 = ordering_metrics(a, b2, n_bootstrap=50, seed=7)
    m2 = ordering_metrics(a[10:], b[10:], n_bootstrap=50, seed=7)
    assert m1["n"] == 290
    assert m1 == m2


@settings(max_examples=40, deadline=None)
@given(
    y=st.lists(st.integers(-20, 20), min_size=6, max_size=40),
    data=st.data(),
)
def test_metrics_invariant_to_monotone_transforms(y, data):
    y = np.asarray(y, dtype=float)
    s = np.asarray(data.draw(st.lists(st.integers(-15, 15), min_size=y.size, max_size=y.size)), dtype=float)
    base = ordering_metrics(s, y, n_bootstrap=20, seed=1)
    # strictly increasing maps of small integers are exact in float64, ties included
    for fy, fs in ((y**3, np.exp(s / 4)), (2 * y + 7, s**3), (np.exp(y / 5), 0.5 * s - 3)):
        other = ordering_metrics(fs, fy, n_bootstrap=20, seed=1)
        for key in ("spearman", "kendall", "pairwise_accuracy", "spearman_ci", "kendall_ci", "pairwise_accuracy_ci"):
            np.testing.assert_allclose(other[key], base[key], rtol=1e-12, atol=1e-12, equal_nan=True)


def test_random_directions_on_noise_match_the_normal_band():
    rng = np.random.default_rng(6)
    n, d = 400, 384
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    rhos = random_direction_spearman(X, y, n_directions=2000, seed=0)
    p95 = np.percentile(np.abs(rhos), 95)
    # ρ ≈ N(0, 1/(n−1)) → p95 |ρ| = 1.96/√(n−1). The directions share one X, so
    # the spread itself fluctuates by √(2/d) ≈ 7 % (d = 384); 15 % ≈ 2 of those
    np.testing.assert_allclose(p95, 1.96 / np.sqrt(n - 1), rtol=0.15)
    np.testing.assert_allclose(np.mean(rhos), 0.0, atol=3 / np.sqrt(n))


@pytest.mark.parametrize("ties", [False, True])
def test_count_based_bootstrap_matches_resampling_row_by_row(ties):
    from embgeo.rank.ordering import bootstrap_draws

    a, b = _bivariate(300, 0.5, seed=8)
    if ties:
        a, b = np.round(a, 1), np.round(b)
    draws = bootstrap_draws(a, b, 40, np.random.default_rng(3))
    idx_rng = np.random.default_rng(3)  # the same resamples, made again
    idx = idx_rng.integers(0, a.size, size=(40, a.size))
    ref = np.array([[spearman(a[i], b[i]), *kendall_and_pairwise(a[i], b[i])] for i in idx])
    # same statistics from counts instead of copies: agreement to round-off
    for k in range(3):
        np.testing.assert_allclose(draws[k], ref[:, k], rtol=1e-9, atol=1e-12)
