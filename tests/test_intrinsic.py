"""Intrinsic-dimension estimators: exact models, sets with known dimension, closed forms, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embgeo.datasets import synthetic as syn
from embgeo.errors import EmbgeoError
from embgeo.intrinsic.estimators import gride_dimension, gride_mle, mle_dimension, mle_inverse_local, twonn_dimension
from embgeo.intrinsic.summary import intrinsic_dimension, parse_methods
from embgeo.intrinsic.spectral import matrix_entropy, pca_dimension, rankme
from embgeo.knn.engine import Neighbors


def fake_neighbors(D: np.ndarray) -> Neighbors:
    """Wrap a distance matrix (n, k) as a Neighbors result (indices unused by the estimators)."""
    n, k = D.shape
    return Neighbors(np.zeros((n, k), dtype=np.int64), D, "euclidean", True, k, n, n, 0, True, "numpy")


def poisson_distances(n: int, k: int, d: float, seed: int) -> np.ndarray:
    """Neighbour distances of a homogeneous Poisson process in d dims (the model all three estimators assume).

    The volumes between successive neighbour shells are i.i.d. Exp(1), so r_j = (E_1 + … + E_j)^(1/d)
    (up to a constant that cancels in every ratio).
    """
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.exponential(size=(n, k)), axis=1) ** (1.0 / d)


# --------------------------------------------------------------------------- exact models


def test_twonn_mle_on_exact_pareto_ratios_is_unbiased_and_covers():
    # μ = r2/r1 ~ Pareto(d) exactly: the censored MLE is unbiased and 2dT ~ χ²(2 n_kept)
    d, n, covered, est = 7.0, 2000, 0, []
    for seed in range(300):
        r = twonn_dimension(neighbors=fake_neighbors(poisson_distances(n, 2, d, seed)), n_bootstrap=0, discard_fraction=0.1)
        est.append(r.mle)
        lo, hi = r.mle_exact_interval
        covered += lo <= d <= hi
    # mean of 300 estimates with sd ≈ d/sqrt(0.9 n) ≈ 0.165: standard error of the mean ≈ 0.0095 → 4 se
    assert abs(np.mean(est) - d) < 0.04
    # 95 % exact interval: 285 expected of 300, binomial sd 3.8 → allow ±4 sd
    assert 270 <= covered <= 297


def test_twonn_variants_agree_on_exact_model():
    r = twonn_dimension(neighbors=fake_neighbors(poisson_distances(50000, 2, 4.0, 1)), n_bootstrap=50, seed=3)
    # n = 50 000: both estimators have sd ≈ 0.02; 0.1 is 5 sd
    assert abs(r.mle - 4.0) < 0.1 and abs(r.linear - 4.0) < 0.1
    assert r.interval[0] < r.mle < r.interval[1]
    assert r.linear_r2 > 0.99


@pytest.mark.parametrize("n1, d", [(1, 3.0), (4, 6.0), (16, 12.0)])
def test_gride_on_exact_model(n1, d):
    D = poisson_distances(20000, 2 * n1, d, seed=n1)
    L = np.log(D[:, 2 * n1 - 1] / D[:, n1 - 1])
    est, se = gride_mle(L, n1, 2 * n1)
    # the MLE is asymptotically normal with sd = 1/sqrt(Fisher information): 4 sd
    assert abs(est - d) < 4 * se
    assert se < 0.05 * d


def test_gride_first_scale_is_twonn_mle():
    D = poisson_distances(3000, 2, 5.0, seed=4)
    L = np.log(D[:, 1] / D[:, 0])
    est, _ = gride_mle(L, 1, 2)
    # n1 = 1, n2 = 2: the score is N/d − Σ L, so d = N / Σ L (bisection to 1e-13)
    np.testing.assert_allclose(est, L.size / L.sum(), rtol=1e-11)


def test_mle_on_exact_model_every_k():
    r = mle_dimension(neighbors=fake_neighbors(poisson_distances(20000, 20, 8.0, seed=5)), n_bootstrap=100, seed=1)
    # 1/m̂_k averages (k−1) log-ratios with mean 1/d: m̂_k is consistent; with n = 20 000 the sd of
    # each m̂_k is ≤ d/sqrt(n (k−1)) ≈ 0.02, so 0.15 is generous for the mild bias of 1/mean
    np.testing.assert_allclose(r.per_k, 8.0, atol=0.15)
    assert r.interval[0] < r.dimension < r.interval[1]


def test_mle_matches_loop_definition():
    rng = np.random.default_rng(6)
    D = np.sort(rng.random((40, 12)) + 0.1, axis=1)
    inv = mle_inverse_local(D, 3, 12)
    for i in range(40):
        for col, k in enumerate(range(3, 13)):
            ref = sum(np.log(D[i, k - 1] / D[i, j - 1]) for j in range(1, k)) / (k - 1)
            np.testing.assert_allclose(inv[i, col], ref, rtol=1e-12)  # float64 round-off only
    r = mle_dimension(neighbors=fake_neighbors(D), k1=3, k2=12, n_bootstrap=0)
    ref = np.mean([1 / np.mean([1 / (1 / inv[i, c]) for i in range(40)]) for c in range(10)])
    np.testing.assert_allclose(r.dimension, ref, rtol=1e-12)


# --------------------------------------------------------------------------- known dimension


@pytest.mark.parametrize("kind", ["ball", "cube"])
def test_balls_and_cubes_k2_to_10(kind):
    make = syn.ball if kind == "ball" else syn.cube
    twonn, mle = [], []
    for k in range(2, 11):
        rep = intrinsic_dimension(make(2000, k, seed=k), methods="twonn,mle", n_bootstrap=0)
        twonn.append(rep.twonn.dimension)
        mle.append(rep.mle.dimension)
    ks = np.arange(2, 11)
    # finite-sample and boundary bias (Facco 2017 fig. 2; Levina & Bickel 2004 fig. 1) grows with k at
    # n = 2000: measured worst −10 % (ball, k = 10) / −17 % (cube, k = 9) for TwoNN, −14 % / −19 % for MLE;
    # the cube's corners make it the harder case.
    tol_twonn, tol_mle = (0.12, 0.16) if kind == "ball" else (0.19, 0.21)
    np.testing.assert_allclose(twonn, ks, rtol=tol_twonn)
    np.testing.assert_allclose(mle, ks, rtol=tol_mle)
    assert np.all(np.diff(twonn) > 0) and np.all(np.diff(mle) > 0)  # the ordering of dimensions is kept
    assert np.all(np.array(twonn[4:]) < ks[4:])  # the documented direction: high ID is underestimated


@pytest.mark.parametrize("d", [3, 6, 11])
def test_spheres(d):
    X = syn.sphere(2000, d, seed=d)
    rep = intrinsic_dimension(X, methods="twonn,mle", n_bootstrap=0)
    # no boundary, so only sampling error: TwoNN's sd is d/sqrt(0.9 n) ≈ 2.4 % → 4 sd ≈ 10 %;
    # the MLE (k = 10..20) has a smaller sd but a small curvature bias: 12 %
    np.testing.assert_allclose(rep.twonn.dimension, d - 1, rtol=0.10)
    np.testing.assert_allclose(rep.mle.dimension, d - 1, rtol=0.12)


def test_rotated_subspace_with_noise():
    X = syn.subspace(2000, 10, 768, noise=0.01, seed=0)
    rep = intrinsic_dimension(X, methods="twonn,gride,pca", n_bootstrap=0, gride_max=16)
    # noise std 0.01 against unit-variance signal: TwoNN 10.05 measured; 5 % tolerance
    np.testing.assert_allclose(rep.twonn.dimension, 10, rtol=0.05)
    assert rep.pca.components_95 == 10 and rep.pca.components_99 == 10
    np.testing.assert_allclose(rep.pca.participation_ratio, 10, rtol=0.05)  # 10 near-equal variances
    assert rep.gride.n2.tolist() == [2, 4, 8, 16]


def test_swiss_roll():
    X = syn.swiss_roll(2000, seed=0)
    rep = intrinsic_dimension(X, methods="twonn,mle,pca", n_bootstrap=0)
    np.testing.assert_allclose(rep.twonn.dimension, 2, rtol=0.03)  # measured 1.988
    np.testing.assert_allclose(rep.mle.dimension, 2, rtol=0.05)  # measured 1.957
    assert rep.pca.components_90 == 3  # a curved sheet needs three linear directions


def test_large_offset_does_not_change_twonn():
    # design note: float32 GEMM with an offset of norm 1000 used to drop TwoNN from 10 to 5.7
    X = syn.cube(3000, 10, 64, seed=2)
    off = np.random.default_rng(0).standard_normal(64)
    Y = (X + 1000 * off / np.linalg.norm(off)).astype(np.float32)
    a = twonn_dimension(X.astype(np.float32), n_bootstrap=0)
    b = twonn_dimension(Y, n_bootstrap=0)
    # float32 storage near 1000 rounds coordinates by ~3e-5 (distances ~0.3): estimates agree to 1 %
    np.testing.assert_allclose(b.dimension, a.dimension, rtol=0.01)


# --------------------------------------------------------------------------- spectral closed forms


def test_pca_closed_form():
    rng = np.random.default_rng(7)
    Z = rng.standard_normal((500, 3))
    Q, _ = np.linalg.qr(Z - Z.mean(axis=0))  # orthonormal columns spanning centred vectors: still centred
    X = (Q * np.array([3.0, 2.0, 1.0])) @ np.linalg.qr(rng.standard_normal((20, 3)))[0].T + 5.0
    r = pca_dimension(X)
    # eigenvalues ∝ 9, 4, 1: PR = 14² / 98 = 2; variance shares 9/14, 13/14, 1
    np.testing.assert_allclose(r.participation_ratio, 2.0, rtol=1e-9)
    np.testing.assert_allclose(r.explained_variance_ratio[:3], [9 / 14, 4 / 14, 1 / 14], rtol=1e-9)
    assert (r.components_90, r.components_95, r.components_99) == (2, 3, 3)


def test_rankme_and_entropy_closed_forms():
    rng = np.random.default_rng(8)
    Q = np.linalg.qr(rng.standard_normal((300, 40)))[0]  # 40 equal singular values
    r = rankme(Q)
    # p = 1/40 + ε (ε = 1e-7): RankMe = 40 up to O(ε·40·log 40) ≈ 1.5e-5 relative
    np.testing.assert_allclose(r.effective_rank, 40, rtol=2e-5)
    e = matrix_entropy(Q)
    np.testing.assert_allclose(e.entropy, np.log(40), rtol=1e-10)
    np.testing.assert_allclose(e.normalized, 1.0, rtol=1e-10)  # r = min(300, 40)
    e2 = matrix_entropy(Q, alpha=2.0)
    np.testing.assert_allclose(e2.entropy, np.log(40), rtol=1e-10)  # Rényi-2 of a uniform spectrum
    one = np.outer(rng.standard_normal(50), rng.standard_normal(10))  # rank one
    # the 9 zero singular values still get p = ε: 9·ε·|log ε| ≈ 1.45e-5 above 1
    np.testing.assert_allclose(rankme(one).effective_rank, 1.0, rtol=3e-5)
    np.testing.assert_allclose(matrix_entropy(one).normalized, 0.0, atol=1e-6)
    # unequal singular values 2:1 → p = (2/3, 1/3) for RankMe, (4/5, 1/5) for the Gram entropy
    M = np.linalg.qr(rng.standard_normal((100, 2)))[0] * [2.0, 1.0]
    p = np.array([2, 1]) / 3
    np.testing.assert_allclose(rankme(M).effective_rank, np.exp(-(p * np.log(p)).sum()), rtol=1e-6)
    q = np.array([4, 1]) / 5
    np.testing.assert_allclose(matrix_entropy(M).entropy, -(q * np.log(q)).sum(), rtol=1e-10)


def test_rankme_of_a_wide_matrix_sums_min_n_d_singular_values():
    """50 × 3000: the reference is Garrido et al.'s formula on the 50 singular values (SVD)."""
    X = np.random.default_rng(0).standard_normal((50, 3000))
    s = np.linalg.svd(X, compute_uv=False)
    p = s / s.sum() + 1e-7
    r = rankme(X)
    np.testing.assert_allclose(r.effective_rank, np.exp(-(p * np.log(p)).sum()), rtol=1e-10)  # eigvalsh vs SVD: float64 round-off
    assert r.effective_rank <= r.max_rank == 50


# --------------------------------------------------------------------------- invariances, duplicates, bootstrap


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100.0), shift=st.floats(-50, 50))
def test_invariant_to_rotation_scale_translation_permutation(seed, scale, shift):
    rng = np.random.default_rng(seed)
    X = syn.ball(400, 4, seed=seed) @ np.linalg.qr(rng.standard_normal((6, 4)))[0].T
    R = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    Y = scale * X @ R + shift
    perm = rng.permutation(400)
    a = intrinsic_dimension(X, methods="twonn,mle,gride", n_bootstrap=0)
    b = intrinsic_dimension(Y[perm], methods="twonn,mle,gride", n_bootstrap=0)
    # distances change by float64 round-off only; estimates to 1e-8
    np.testing.assert_allclose(b.twonn.dimension, a.twonn.dimension, rtol=1e-8)
    np.testing.assert_allclose(b.mle.dimension, a.mle.dimension, rtol=1e-8)
    np.testing.assert_allclose(b.gride.dimension, a.gride.dimension, rtol=1e-8)


def test_duplicates_are_dropped_and_reported():
    X = syn.cube(1000, 6, 30, seed=9)
    rng = np.random.default_rng(9)
    dup_src = rng.choice(1000, 50, replace=False)
    Xd = np.vstack([X, X[dup_src]])[rng.permutation(1050)]
    a = intrinsic_dimension(X, methods="twonn,mle,gride", n_bootstrap=0)
    b = intrinsic_dimension(Xd, methods="twonn,mle,gride", n_bootstrap=0)
    assert b.n_duplicates_dropped == 50 and b.twonn.n_duplicates_dropped == 50
    # the same 1000 distinct points (in another order): the same estimates (skdim's MLE gives 0.0 here)
    np.testing.assert_allclose(b.twonn.dimension, a.twonn.dimension, rtol=1e-9)
    np.testing.assert_allclose(b.mle.dimension, a.mle.dimension, rtol=1e-9)
    with pytest.raises(EmbgeoError, match="50 exact duplicate rows"):
        twonn_dimension(Xd, duplicates="error")
    with pytest.raises(EmbgeoError, match="distance 0"):
        twonn_dimension(neighbors=fake_neighbors(np.array([[0.0, 1.0], [1.0, 2.0], [1.0, 3.0]])))


def test_bootstrap_is_seeded():
    X = syn.ball(800, 3, seed=1)
    a = intrinsic_dimension(X, methods="twonn,mle", seed=4, n_bootstrap=100)
    b = intrinsic_dimension(X, methods="twonn,mle", seed=4, n_bootstrap=100)
    c = intrinsic_dimension(X, methods="twonn,mle", seed=5, n_bootstrap=100)
    assert a.twonn.interval == b.twonn.interval and a.mle.interval == b.mle.interval
    assert a.twonn.interval != c.twonn.interval
    assert a.twonn.interval[0] < a.twonn.dimension < a.twonn.interval[1]


def test_sample_is_seeded_and_reported():
    X = syn.ball(3000, 4, seed=2)
    a = intrinsic_dimension(X, methods="twonn", sample=1000, seed=1, n_bootstrap=0)
    b = intrinsic_dimension(X, methods="twonn", sample=1000, seed=1, n_bootstrap=0)
    assert a.n_used == 1000 and a.sampled and a.twonn.dimension == b.twonn.dimension
    assert any("sample of 1000 of 3000" in n for n in a.notes)
    assert any("underestimates high dimensions" in n for n in a.notes)
    np.testing.assert_allclose(a.twonn.dimension, 4, rtol=0.1)


def test_report_json_keys_named_after_methods():
    import json

    rep = intrinsic_dimension(syn.ball(300, 3, seed=0), methods="all", n_bootstrap=10, gride_max=16)
    d = rep.to_dict()
    json.dumps(d)
    for m in ("twonn", "mle", "gride", "pca", "rankme", "entropy"):
        assert m in d and d[m] is not None
    assert parse_methods("mle,twonn") == ("twonn", "mle")


# --------------------------------------------------------------------------- bad input


def test_bad_inputs():
    with pytest.raises(EmbgeoError, match="1-D"):
        twonn_dimension(np.arange(10.0))
    with pytest.raises(EmbgeoError, match="this needs at least 22"):
        mle_dimension(np.random.default_rng(0).standard_normal((10, 3)))
    with pytest.raises(EmbgeoError, match="only 1 distinct rows among 50"):
        intrinsic_dimension(np.tile([1.0, 2.0, 3.0], (50, 1)), methods="twonn")
    with pytest.raises(EmbgeoError, match="unknown method 'foo'"):
        intrinsic_dimension(np.eye(5), methods="twonn,foo")
    with pytest.raises(EmbgeoError, match="discard_fraction"):
        twonn_dimension(syn.ball(100, 2), discard_fraction=0.95)
    with pytest.raises(EmbgeoError, match="k1"):
        mle_dimension(syn.ball(100, 2), k1=5, k2=3)
    with pytest.raises(EmbgeoError, match="zero variance"):
        pca_dimension(np.ones((10, 3)))
    with pytest.raises(EmbgeoError, match="^gride_max must be an integer ≥ 2, got 1"):
        gride_dimension(syn.ball(100, 2), gride_max=1)


def test_sample_reads_memory_map_through_windows(tmp_path):
    from embgeo.intrinsic.summary import sample_rows, take_rows

    X = np.random.default_rng(3).standard_normal((5000, 7)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    rows = sample_rows(5000, 700, 2)
    np.testing.assert_array_equal(take_rows(mm, rows, window_rows=300), X[rows])  # bit-identical rows
    a = intrinsic_dimension(mm, methods="twonn", sample=700, seed=2, n_bootstrap=0)
    b = intrinsic_dimension(X, methods="twonn", sample=700, seed=2, n_bootstrap=0)
    assert a.twonn.dimension == b.twonn.dimension and a.n_rows_in == 5000 and a.n_rows == 700


# --------------------------------------------------------------------------- peers' defaults, recommendation, verdict, sample check


def _brute_neighbour_distances(X: np.ndarray, k: int) -> np.ndarray:
    """Sorted distances to the k nearest other rows, by a plain float64 double loop over blocks (no embgeo code)."""
    X = np.asarray(X, dtype=np.float64)
    out = np.empty((X.shape[0], k))
    for i in range(X.shape[0]):
        d = np.sqrt(((X - X[i]) ** 2).sum(axis=1))
        d[i] = np.inf
        out[i] = np.sort(d)[:k]
    return out


def test_peer_defaults_equal_the_direct_formulas():
    # issue 20 item 4: the table's twonn_linear and mle_k20 are the skdim/DADApy defaults,
    # checked against the formulas written out here on independently computed neighbours
    X = syn.ball(700, 4, seed=11) @ np.linalg.qr(np.random.default_rng(11).standard_normal((9, 4)))[0].T
    rep = intrinsic_dimension(X, methods="twonn,mle", n_bootstrap=0)
    D = _brute_neighbour_distances(X, 20)
    # TwoNN, Facco's linear fit with discard 0.1 (skdim TwoNN(), DADApy compute_id_2NN()):
    # slope through 0 of −log(1 − i/N) on log μ_(i), i = 1 .. ⌊0.9 N⌋
    mu = np.sort(D[:, 1] / D[:, 0])
    N = mu.size
    m = int(np.floor(N * 0.9))
    x = np.log(mu[:m])
    y = -np.log(1.0 - np.arange(1, m + 1) / N)
    np.testing.assert_allclose(rep.twonn_linear.dimension, (x @ y) / (x @ x), rtol=1e-10)
    # MLE at k = 20 (skdim MLE()): 1 / mean_i [ (1/19) Σ_{j<20} log(T_20(i)/T_j(i)) ]
    inv = np.array([np.mean([np.log(D[i, 19] / D[i, j]) for j in range(19)]) for i in range(N)])
    np.testing.assert_allclose(rep.mle_k20.dimension, 1.0 / inv.mean(), rtol=1e-10)
    # and they are rows of their own, next to embgeo's defaults
    ids = [m.metric for m in rep.metrics()]
    assert ids[:4] == ["twonn", "twonn_linear", "mle", "mle_k20"]
    # the averaged MLE's row says the neighbour range it read (k_min … k), the peer's row its one k
    rows = {m.metric: m.extra for m in rep.metrics()}
    assert (rows["mle"]["variant"], rows["mle"]["k_min"], rows["mle"]["k"]) == ("levina_bickel_k10_20", 10, 20)
    assert (rows["mle_k20"]["variant"], rows["mle_k20"]["k_min"], rows["mle_k20"]["k"]) == ("levina_bickel", 20, 20)
    assert abs(rep.twonn.dimension - rep.twonn_linear.dimension) > 1e-6  # a different variant, not a copy


def test_peer_rows_left_out_when_they_equal_the_default():
    X = syn.ball(300, 3, seed=1)
    rep = intrinsic_dimension(X, methods="twonn", n_bootstrap=0, twonn_variant="linear")
    assert rep.twonn_linear is None and rep.mle_k20 is None
    rep = intrinsic_dimension(X, methods="twonn,mle", n_bootstrap=0, peers=False)
    assert rep.twonn_linear is None and rep.mle_k20 is None


def _gride(dims, errs):
    from embgeo.intrinsic.estimators import GrideResult

    n1 = 2 ** np.arange(len(dims))
    return GrideResult(n1, 2 * n1, np.array(dims, float), np.array(errs, float), np.linspace(1, 2, len(dims)), 1000)


def test_gride_plateau_rule():
    from embgeo.intrinsic.summary import gride_plateau

    # 5.0, 5.2, 4.8 lie within 10 % of their median (spread 0.4 ≤ 0.5): a plateau over n2 = 2..8
    p = gride_plateau(_gride([5.0, 5.2, 4.8, 7.0, 9.0], [0.01] * 5))
    assert (p.n2_first, p.n2_last, p.value) == (2, 8, 5.0)
    np.testing.assert_allclose([p.ci_low, p.ci_high], [4.8 - 1.959963984540054 * 0.01, 5.2 + 1.959963984540054 * 0.01], rtol=1e-12)
    # a curve that doubles at every scale has none; nor do two scales
    assert gride_plateau(_gride([2.0, 4.0, 8.0, 16.0], [0.01] * 4)) is None
    assert gride_plateau(_gride([3.0, 3.0], [0.01] * 2)) is None
    # wide intervals (s.e. 1) make a 30 % spread consistent: 2·1.96·1 ≥ 3
    assert gride_plateau(_gride([10.0, 13.0, 11.0], [1.0] * 3)) is not None
    # the longest run wins; between equals, the one at larger scales
    p = gride_plateau(_gride([2.0, 2.05, 2.1, 6.0, 6.1, 6.2], [0.01] * 6))
    assert (p.n2_first, p.n2_last) == (16, 64)


def _report(**parts):
    from embgeo.intrinsic.summary import IntrinsicReport

    methods = tuple(m for m in ("twonn", "mle", "gride", "pca") if m in parts)
    return IntrinsicReport(2000, 2000, 0, False, methods, **parts)


def test_recommendation_and_verdict_from_the_reports_own_numbers():
    tw3 = twonn_dimension(neighbors=fake_neighbors(poisson_distances(4000, 2, 3.0, 1)), n_bootstrap=0)
    tw6 = twonn_dimension(neighbors=fake_neighbors(poisson_distances(4000, 2, 6.0, 2)), n_bootstrap=0)
    ml3 = mle_dimension(neighbors=fake_neighbors(poisson_distances(4000, 20, 3.0, 3)), n_bootstrap=100, seed=0)
    # twonn without bootstrap shows its exact χ² interval
    lo, hi = tw3.mle_exact_interval
    r = _report(twonn=tw3, mle=ml3)
    assert r.to_dict()["twonn"]["ci_low"] == lo and r.to_dict()["twonn"]["interval_method"] == "exact_chi2"
    # same dimension: intervals overlap, TwoNN is read (no GRIDE asked), ok
    v = r.verdict()
    assert r.recommended().metric == "twonn" and v.status == "ok" and v.decided_by == "twonn"
    assert f"read twonn = {tw3.dimension:.2f}" in v.reason
    # planted disagreement: TwoNN reads 6, MLE 3 → warn, decided by the pair
    v = _report(twonn=tw6, mle=ml3).verdict()
    assert v.status == "warn" and v.decided_by == "mle" and "disagree beyond their 95 % intervals" in v.reason
    # GRIDE with a plateau is the estimate to read; without one the verdict warns and TwoNN is read
    r = _report(twonn=tw3, gride=_gride([3.0, 3.05, 2.95, 2.9], [0.05] * 4))
    assert r.recommended().metric == "gride.plateau" and r.recommended().value == pytest.approx(2.975)
    assert r.verdict().status == "ok"
    r = _report(twonn=tw3, gride=_gride([3.0, 6.0, 12.0, 24.0], [0.05] * 4))
    v = r.verdict()
    assert r.recommended().metric == "twonn" and v.status == "warn" and v.decided_by == "gride.plateau" and "no plateau" in v.reason
    # spectral measures only: info, and PCA is named
    r = intrinsic_dimension(syn.cube(300, 4, 12, seed=0), methods="pca", n_bootstrap=0)
    assert r.verdict().status == "info" and r.recommended().metric == "pca"


def test_sample_check_warns_on_scale_dependent_data():
    # a plane (2-d) with isotropic noise 0.02 in 10 dims: below the noise scale the data look 10-d, above it 2-d,
    # so fewer rows (larger neighbourhoods) read a lower dimension: measured 3.48 [3.35, 3.62] on 3000 rows,
    # 2.92 [2.77, 3.08] on 1500 — the intervals are apart
    rng = np.random.default_rng(0)
    P = np.c_[rng.random((8000, 2)) * 10, np.zeros((8000, 8))] + 0.02 * rng.standard_normal((8000, 10))
    r = intrinsic_dimension(P, methods="twonn", sample=3000, n_bootstrap=0, seed=0)
    sc = r.sample_check
    assert sc.n_rows == 3000 and sc.n_rows_half == 1500 and not sc.agree
    # the reported numbers are TwoNN on the sampled rows and on a seeded half of them
    from embgeo.intrinsic.summary import sample_rows
    from embgeo.validation import as_rng

    S = P[sample_rows(8000, 3000, 0)]
    half = np.sort(as_rng(0).choice(3000, 1500, replace=False))
    assert sc.dimension == twonn_dimension(S, n_bootstrap=0).mle
    np.testing.assert_allclose(sc.dimension_half, twonn_dimension(S[half], n_bootstrap=0).mle, rtol=1e-12)
    v = r.verdict()
    assert v.status == "warn" and v.decided_by == "sample_check.twonn"
    rows = [m for m in r.metrics() if m.metric == "sample_check.twonn"]
    assert [m.extra["n_rows"] for m in rows] == [3000, 1500] and all(m.status == "warn" for m in rows)
    # a uniform ball has no scale: the two sizes agree (measured 2.91 vs 2.84, intervals ±0.15)
    r = intrinsic_dimension(syn.ball(4000, 3, seed=0), methods="twonn", sample=2000, n_bootstrap=0)
    assert r.sample_check.agree and r.verdict().status == "ok"
    # no sample, no check
    assert intrinsic_dimension(syn.ball(500, 3, seed=0), methods="twonn", n_bootstrap=0).sample_check is None


def test_result_dict_and_metrics_follow_the_contract():
    import json
    import re

    rep = intrinsic_dimension(syn.cube(600, 5, 20, seed=3), methods="all", n_bootstrap=20, gride_max=16, sample=500)
    d = rep.to_dict()
    json.dumps(d)
    assert d["n_rows"] == 500 and d["n_rows_in"] == 600 and d["n_dims"] == 20 and d["pca"]["n_rows"] == 500 and d["pca"]["n_dims"] == 20

    def keys(o):
        if isinstance(o, dict):
            for k, v in o.items():
                yield k
                yield from keys(v)
        elif isinstance(o, list):
            for v in o:
                yield from keys(v)

    found = set(keys(d))
    assert "interval" not in found and "n_samples" not in found and "n_features" not in found
    assert d["twonn"]["ci_low"] < d["twonn"]["dimension"] < d["twonn"]["ci_high"]
    assert d["recommended"]["metric"] in ("gride.plateau", "twonn")
    ms = rep.metrics()
    assert all(re.fullmatch(r"[a-z0-9_.]+", m.metric) for m in ms)
    ids = {m.metric for m in ms}
    assert {"twonn", "twonn_linear", "mle", "mle_k20", "gride", "gride.plateau", "pca", "rankme", "entropy", "sample_check.twonn"} <= ids
    gride = [m for m in ms if m.metric == "gride"]
    assert [m.extra["k"] for m in gride] == [2, 4, 8, 16]
    for m, (e, s) in zip(gride, zip(rep.gride.dimension, rep.gride.stderr)):
        np.testing.assert_allclose([m.ci_low, m.ci_high], [e - 1.959963984540054 * s, e + 1.959963984540054 * s], rtol=1e-12)
    # every id is a (dotted) key of the JSON results
    from embgeo.results import flatten

    flat = set(flatten(d)) | {k.rsplit(".", 1)[0] for k in flatten(d)}
    assert {m.metric for m in ms} <= flat, {m.metric for m in ms} - flat
    # the two tables: estimators, then spectral measures
    assert [r[0] for r in rep.spectral_table()[1]] == ["pca", "rankme", "entropy"]
    assert {r[0].split(" ")[0] for r in rep.estimator_table()[1]} >= {"twonn", "twonn_linear", "mle", "mle_k20"}
    (c1, *est), (c2, *spec) = rep.tables()  # two separate tables, each under its caption
    assert c1.startswith("intrinsic-dimension estimators") and c2.startswith("spectral measures")
    assert est == list(rep.estimator_table()) and spec == list(rep.spectral_table()) and rep.table() == tuple(est)
    html = rep._repr_html_()
    assert html.count("<table>") == 2 and "rankme" in html and "mle_k20" in html


def test_parse_methods_repeatable_and_comma():
    assert parse_methods(["mle", "twonn,pca"]) == ("twonn", "mle", "pca")
    assert parse_methods(["all"]) == ("twonn", "mle", "gride", "pca", "rankme", "entropy")
    with pytest.raises(EmbgeoError, match="unknown method 'x'"):
        parse_methods(["twonn", "x"])
