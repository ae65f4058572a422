"""Uniformity and alignment: closed forms, a naive all-pairs reference, intervals, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.spatial.distance import pdist
from scipy.special import gammaln

from embgeo.datasets.synthetic import sphere
from embgeo.errors import EmbgeoError
from embgeo.uniformity import kernels as K
from embgeo.uniformity.core import alignment, uniformity, uniformity_sphere
from embgeo.uniformity.stats import log_mean_exp_interval, summarize


def naive_uniformity(X, t=2.0, normalize=True):
    """All pairwise distances at once, in float64 (what the reference code of Wang & Isola does)."""
    X = np.asarray(X, dtype=np.float64)
    if normalize:
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
    a = -t * pdist(X, "sqeuclidean")
    m = a.max()
    return m + math.log(np.mean(np.exp(a - m)))


def sphere_by_quadrature(d, t):
    """E exp(−t‖x−y‖²) on S^(d−1) by integrating over s = x·y with density ∝ (1 − s²)^((d−3)/2)."""
    logc = gammaln(d / 2) - gammaln((d - 1) / 2) - 0.5 * math.log(math.pi)
    f = lambda s: math.exp(logc + (d - 3) / 2 * math.log1p(-s * s) - t * (2 - 2 * s))  # noqa: E731
    val, _ = quad(f, -1, 1, points=[0.0], epsabs=0, epsrel=1e-13, limit=200)
    return math.log(val)


# ----------------------------------------------------------------- closed form

def test_sphere_closed_form_published_value():
    # the issue quotes −3.9792 (4 decimals) for d=384, t=2
    np.testing.assert_allclose(uniformity_sphere(384, 2.0), -3.9792, atol=5e-5)


@pytest.mark.parametrize("d,t", [(3, 2.0), (16, 2.0), (64, 0.5), (384, 2.0), (768, 2.0), (1024, 5.0)])
def test_sphere_closed_form_against_quadrature(d, t):
    # quadrature with relative tolerance 1e-13 is an independent evaluation; 1e-9 leaves room for it
    np.testing.assert_allclose(uniformity_sphere(d, t), sphere_by_quadrature(d, t), rtol=0, atol=1e-9)


def test_sphere_closed_form_small_and_huge_d():
    t = 2.0
    # S^0 = {−1, +1}: half the pairs at distance 0 and half at 2 → log((1 + e^(−4t))/2); exact up to rounding
    np.testing.assert_allclose(uniformity_sphere(1, t), math.log((1 + math.exp(-4 * t)) / 2), atol=1e-13)
    # S^2: s uniform on [−1, 1] → −2t + log(sinh(2t)/(2t))
    np.testing.assert_allclose(uniformity_sphere(3, t), -2 * t + math.log(math.sinh(2 * t) / (2 * t)), atol=1e-13)
    # d → ∞: −2t + t²/(d/2) + O(t⁴/d²); at d = 1e5 the remainder is below 1e-8
    d = 100_000
    np.testing.assert_allclose(uniformity_sphere(d, t), -2 * t + t * t / (d / 2), atol=1e-8)


# ----------------------------------------------------------------- exact mode

@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("normalize,t", [(True, 2.0), (True, 30.0), (False, 2.0), (False, 0.01)])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_exact_matches_naive_all_pairs(seed, normalize, t, backend, monkeypatch):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((301, 17)) * rng.uniform(0.5, 2.0, size=(301, 1))
    # small tiles so that rows, columns and the diagonal tile are split many times
    monkeypatch.setattr(K, "TILE_ELEMS", 40 * 64)
    got = uniformity(X, t=t, normalize=normalize, mode="exact", block=40, backend=backend)
    # float64 throughout: only summation order differs from the reference, so 1e-9 is ample (the issue asks 1e-6)
    np.testing.assert_allclose(got.uniformity, naive_uniformity(X, t, normalize), rtol=0, atol=1e-9)
    assert got.mode == "exact" and got.n_pairs == 301 * 300 // 2
    assert got.backend == ("numpy" if backend == "numpy" else "torch:cpu")


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_exact_float32_and_large_offset(backend):
    rng = np.random.default_rng(7)
    X = (rng.standard_normal((400, 32)) + 1000.0).astype(np.float32)  # a large common offset
    ref = naive_uniformity(X.astype(np.float64), 0.05, normalize=False)
    got = uniformity(X, t=0.05, normalize=False, mode="exact", backend=backend)
    # centring before the float32 GEMM keeps distances to float32 round-off (~1e-7 relative × |t d²| ≈ 3)
    np.testing.assert_allclose(got.uniformity, ref, atol=1e-4)
    Xs = sphere(500, 64, seed=3).astype(np.float32)
    got = uniformity(Xs, mode="exact", backend=backend)
    # float32 cosines carry ~1e-7 error; times 2t = 4 → 1e-6 on the kernel log, 1e-5 is safe
    np.testing.assert_allclose(got.uniformity, naive_uniformity(Xs), atol=1e-5)


def test_exact_memory_is_one_tile(monkeypatch):
    import tracemalloc

    X = sphere(3000, 16, seed=0)
    monkeypatch.setattr(K, "TILE_ELEMS", 64 * 512)
    tracemalloc.start()
    uniformity(X, mode="exact", block=64, summary_pairs=1000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # an n×n float64 matrix would be 72 MB; we allow the prepared copy (0.4 MB), one tile and the sampler
    assert peak < 4e6, peak


def test_invariances_rotation_permutation_scale():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((200, 8))
    q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    base = uniformity(X, mode="exact").uniformity
    for Z in (X @ q, X[rng.permutation(200)], X * rng.uniform(0.1, 10, size=(200, 1))):
        # normalised rows: rotation, row order and row scale change nothing but round-off
        np.testing.assert_allclose(uniformity(Z, mode="exact").uniformity, base, atol=1e-12)
    raw = uniformity(X, normalize=False, mode="exact").uniformity
    np.testing.assert_allclose(uniformity(X @ q + 5.0, normalize=False, mode="exact").uniformity, raw, atol=1e-10)


# ----------------------------------------------------------------- sampled mode

def test_sampled_interval_covers_closed_form():
    X = sphere(4000, 384, seed=5)
    res = uniformity(X, mode="sample", n_pairs=20_000, seed=1)
    truth = uniformity_sphere(384, 2.0)
    assert res.mode == "sample" and res.ci_low < truth < res.ci_high
    assert res.ci_high - res.ci_low < 0.01
    # delta-method se and the interval's half-width agree to first order
    np.testing.assert_allclose((res.ci_high - res.ci_low) / 2, 1.959964 * res.se, rtol=0.01)


def test_sampled_interval_coverage_and_unbiasedness():
    X = sphere(300, 8, seed=0)
    exact = uniformity(X, mode="exact")
    hits, kernels = 0, []
    for s in range(40):
        r = uniformity(X, mode="sample", n_pairs=3000, seed=s)
        hits += r.ci_low <= exact.uniformity <= r.ci_high
        kernels.append(r.mean_kernel)
    # nominal 95 %: 40 draws give ≥ 33 hits with probability > 0.99
    assert hits >= 33, hits
    # the mean kernel is unbiased: 40 × 3000 pairs → relative se ≈ 0.3 %; allow 1.5 %
    np.testing.assert_allclose(np.mean(kernels), exact.mean_kernel, rtol=0.015)


def test_heavy_tailed_sample_switches_to_the_empirical_bernstein_bound():
    """t = 9 on spread-out rows: a few pairs hold the mean, the normal interval under-covers (81 % in 200 seeds)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((500, 32)) * rng.uniform(0.1, 10, (500, 1))
    exact = uniformity(X, t=9.0, mode="exact").uniformity
    hits = 0
    for s in range(40):
        r = uniformity(X, t=9.0, mode="sample", n_pairs=20_000, seed=s, summary_pairs=10)
        assert r.interval_method == "empirical-bernstein" and r.effective_pairs < 1000
        hits += r.ci_low <= exact <= r.ci_high
    assert hits == 40  # a valid bound for every distribution on [0, 1]: misses would need a 2.5 % tail on both sides


def test_empirical_bernstein_formula():
    from embgeo.uniformity.stats import log_mean_exp_interval

    w = np.r_[np.full(5, 1.0), np.full(995, 1e-4)]  # 5 values hold the mean: effective 5.2 pairs
    est = log_mean_exp_interval(np.log(w), confidence=0.9)
    m, c = w.size, np.log(4 / 0.1)
    h = np.sqrt(2 * w.var(ddof=1) * c / m) + 7 * c / (3 * (m - 1))  # Maurer & Pontil 2009, Thm 4, range 1
    assert est.method == "empirical-bernstein"
    np.testing.assert_allclose(est.effective_pairs, w.sum() ** 2 / (w ** 2).sum(), rtol=1e-12)
    np.testing.assert_allclose(est.high, np.log(w.mean() + h), rtol=1e-12)
    assert est.low == (np.log(w.mean() - h) if w.mean() > h else -np.inf)
    benign = log_mean_exp_interval(np.log(np.random.default_rng(0).uniform(0.5, 1.0, 5000)))
    assert benign.method == "normal" and benign.effective_pairs > 4000


def test_sampled_reads_only_sampled_rows(tmp_path):
    n, d, m, seed = 50_000, 8, 500, 3
    X = sphere(n, d, seed=0).astype(np.float32)
    i, j = K.draw_pairs(n, m, np.random.default_rng(seed))
    clean = uniformity(X, mode="sample", n_pairs=m, seed=seed, summary_pairs=m)
    poisoned = np.full_like(X, np.nan)
    touched = np.unique(np.r_[i, j])
    poisoned[touched] = X[touched]
    path = tmp_path / "big.npy"
    np.save(path, poisoned)
    mm = np.load(path, mmap_mode="r")
    got = uniformity(mm, mode="sample", n_pairs=m, seed=seed, summary_pairs=m)
    # every untouched row is NaN, so a single stray read would raise; values are bitwise the same
    assert got.uniformity == clean.uniformity and got.ci_low == clean.ci_low
    assert touched.size < 2 * m <= n // 50
    # a float16 memory map is converted row by row as it is read, never as a whole
    np.save(path, poisoned.astype(np.float16))
    half = uniformity(np.load(path, mmap_mode="r"), mode="sample", n_pairs=m, seed=seed, summary_pairs=m)
    ref16 = uniformity(X.astype(np.float16), mode="sample", n_pairs=m, seed=seed, summary_pairs=m)
    assert half.uniformity == ref16.uniformity
    # float16 rounding (~5e-4 relative per coordinate) moves the estimate by far less than 1e-3
    np.testing.assert_allclose(half.uniformity, clean.uniformity, atol=1e-3)


def test_auto_mode_switches_by_size():
    X = sphere(150, 4, seed=0)
    assert uniformity(X, exact_max_n=150).mode == "exact"
    assert uniformity(X, exact_max_n=149, n_pairs=1000).mode == "sample"


def test_log_mean_exp_interval_no_underflow():
    a = np.array([-2000.0, -2001.0, -2002.0, -2000.5])
    est, lo, hi, se, method, ess = log_mean_exp_interval(a)
    # the shift by the maximum keeps exp from underflowing: compare with a direct float64 formula
    np.testing.assert_allclose(est, -2000 + math.log(np.mean(np.exp(a + 2000))), atol=1e-12)
    assert lo < est < hi <= 0.0 and se > 0  # 4 values: the Bernstein bound, capped at the kernel's maximum 1
    assert method == "empirical-bernstein" and 1 < ess < 4


# ----------------------------------------------------------------- alignment

def test_alignment_known_values():
    X = sphere(4000, 64, seed=1)
    Y = sphere(4000, 64, seed=2)
    assert alignment(X, X).alignment == 0.0
    res = alignment(X, Y)
    # independent isotropic unit vectors: E‖x−y‖² = 2 − 2E[x·y] = 2; se ≈ (2/√64)/√4000 = 0.004
    assert res.ci_low < 2.0 < res.ci_high
    np.testing.assert_allclose(res.alignment, 2.0, atol=0.02)
    rng = np.random.default_rng(3)
    A, B = rng.standard_normal((50, 5)), rng.standard_normal((50, 5))
    ref = np.mean(np.linalg.norm(A - B, axis=1) ** 1.5)
    # float64 and identical formula: round-off only
    np.testing.assert_allclose(alignment(A, B, alpha=1.5, normalize=False).alignment, ref, rtol=1e-12)
    a_n = A / np.linalg.norm(A, axis=1, keepdims=True)
    b_n = B / np.linalg.norm(B, axis=1, keepdims=True)
    np.testing.assert_allclose(alignment(A, B).alignment, np.mean(np.sum((a_n - b_n) ** 2, axis=1)), rtol=1e-12)


def test_summarize_matches_numpy():
    v = np.random.default_rng(0).standard_normal(1001)
    s = summarize(v, what="x", exact=True, bins=20)
    np.testing.assert_allclose(s.quantile(0.5), np.median(v), rtol=1e-15)
    assert s.hist_counts.sum() == 1001 and s.hist_edges.size == 21
    assert set(s.to_dict()["quantiles"]) >= {"p0", "p5", "p50", "p95", "p100"}


# ----------------------------------------------------------------- bad input

def test_bad_inputs_name_rows_and_parameters():
    X = sphere(20, 4, seed=0)
    bad = X.copy()
    bad[[3, 7]] = 0.0
    with pytest.raises(EmbgeoError, match=r"all-zero rows.*rows 3, 7"):
        uniformity(bad, mode="exact", name="emb.npy")
    assert math.isfinite(uniformity(bad, normalize=False, mode="exact").uniformity)  # raw mode accepts zero rows
    nan = X.copy()
    nan[5, 1] = np.nan
    with pytest.raises(EmbgeoError, match=r"NaN or inf \(row 5\)"):
        uniformity(nan, mode="exact")
    with pytest.raises(EmbgeoError, match=r"NaN or inf \(row 5\)"):
        uniformity(nan, mode="sample", n_pairs=2000)  # sampled rows are checked as they are read
    with pytest.raises(EmbgeoError, match=r"zero rows.*rows 3, 7"):
        uniformity(bad, mode="sample", n_pairs=2000)
    with pytest.raises(EmbgeoError, match="t must be a positive"):
        uniformity(X, t=0)
    with pytest.raises(EmbgeoError, match="mode must be one of"):
        uniformity(X, mode="fast")
    with pytest.raises(EmbgeoError, match="n_pairs"):
        uniformity(X, n_pairs=1)
    with pytest.raises(EmbgeoError, match="confidence"):
        uniformity(X, confidence=1.0)
    with pytest.raises(EmbgeoError, match="has 1 row;"):
        uniformity(X[:1])
    with pytest.raises(EmbgeoError, match=r"a.npy has 20 rows but b.npy has 19"):
        alignment(X, X[:19], names=("a.npy", "b.npy"))
    with pytest.raises(EmbgeoError, match=r"has 4 columns but .* has 3"):
        alignment(X, X[:, :3])
    with pytest.raises(EmbgeoError, match=r"Y has 2 all-zero rows"):
        alignment(X, bad, names=("X", "Y"))
    with pytest.raises(EmbgeoError, match="alpha"):
        alignment(X, X, alpha=-1)


# ----------------------------------------------------------------- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 70), d=st.integers(1, 9), seed=st.integers(0, 2**32 - 1), t=st.floats(0.05, 25.0), normalize=st.booleans())
def test_exact_equals_naive_and_is_permutation_invariant(n, d, seed, t, normalize):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.2, 3.0, size=(n, 1)) + rng.standard_normal(d)
    got = uniformity(X, t=t, normalize=normalize, mode="exact", block=int(rng.integers(1, 80)))
    # float64 end to end: differences are summation order only
    np.testing.assert_allclose(got.uniformity, naive_uniformity(X, t, normalize), rtol=0, atol=1e-9)
    perm = uniformity(X[rng.permutation(n)], t=t, normalize=normalize, mode="exact")
    np.testing.assert_allclose(perm.uniformity, got.uniformity, rtol=0, atol=1e-9)


def test_device_means_where_and_backend_which_library():
    """device='cpu' is numpy (as in every other function; it was torch here), backend picks the library."""
    X = np.random.default_rng(0).normal(size=(200, 8))
    assert uniformity(X, device="cpu").backend == "numpy" == uniformity(X).backend
    assert uniformity(X, backend="torch").backend == "torch:cpu"
    np.testing.assert_allclose(uniformity(X, backend="torch").uniformity, uniformity(X).uniformity, rtol=0, atol=1e-12)
    for kw, msg in ((dict(backend="jax"), "backend must be one of auto, numpy, torch"), (dict(device="gpu"), "device must be 'cpu', 'cuda'"),
                    (dict(backend="numpy", device="cuda"), "backend='numpy' runs on the CPU"), (dict(exact_max_n=-1), "exact_max_n must be an integer")):
        with pytest.raises(EmbgeoError, match=msg):
            uniformity(X, **kw)
