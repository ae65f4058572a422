"""Cosine-similarity pitfalls: closed forms, planted cases and independent re-implementations."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.cosine.diagnostics import cosine_diagnostics
from embgeo.cosine.common import jaccard_at_k
from embgeo.cosine.isotropy import (
    anisotropy, gaussian_covariance_spectrum, gaussian_norm_cv, isoscore, isoscore_from_variances,
    isotropic_pair_cosines, mean_pair_cosine, rogue_dimensions,
)
from embgeo.cosine.neighbors import hubness, k_occurrence, norms
from embgeo.cosine.postprocess import (
    all_but_the_top, center, postprocess, postprocessing, standardise, whiten, whitening_map,
)
from embgeo.cosine.rescaling import dimension_rescaling, factor_rescaling, invariant_factors, rescalings


def _brute_pair_cosines(X):
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    C = U @ U.T
    return C[~np.eye(len(X), dtype=bool)]


def _brute_knn(X, k, metric):
    """Independent reference: full sort of the dense score matrix (ties are absent in continuous data)."""
    X = np.asarray(X, dtype=np.float64)
    if metric == "cosine":
        U = X / np.linalg.norm(X, axis=1, keepdims=True)
        S = U @ U.T
    else:
        S = X @ X.T
    np.fill_diagonal(S, -np.inf)
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


def _shifted_cloud(rng, n=800, d=100, shift=1.0):
    """An isotropic Gaussian moved off the origin by ``shift`` per coordinate (offset norm shift·√d)."""
    return rng.standard_normal((n, d)) + shift


def _planted_factors(seed=0, n_items=300, n_users=200, n_clusters=6, r_sig=5, r_noise=15):
    """X = A Bᵀ where item clusters live in 5 small-scale dims of B that A amplifies, and B's 15
    large-scale dims are noise A nearly ignores: cosine on B sees noise, on A-scaled B the clusters."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(n_clusters, size=n_items)
    centres = rng.standard_normal((n_clusters, r_sig))
    B = np.hstack([0.1 * (centres[labels] + 0.2 * rng.standard_normal((n_items, r_sig))), rng.standard_normal((n_items, r_noise))])
    A = np.hstack([10.0 * rng.standard_normal((n_users, r_sig)), 0.01 * rng.standard_normal((n_users, r_noise))])
    return A, B, labels


# --------------------------------------------------------------------------- anisotropy
def test_exact_mean_cosine_matches_all_pairs():
    X = np.random.default_rng(0).standard_normal((60, 7)) + 0.3
    # both are float64 sums of 3540 terms: agreement to round-off
    np.testing.assert_allclose(mean_pair_cosine(X), _brute_pair_cosines(X).mean(), rtol=1e-12)


def test_isotropic_gaussian_has_no_anisotropy_and_no_warning():
    rng = np.random.default_rng(1)
    n, d = 1500, 128
    res = anisotropy(rng.standard_normal((n, d)), n_pairs=20000, seed=0)
    # the exact all-pairs mean of an isotropic cloud has sd √(2/(n(n−1)d)) ≈ 8e-5: allow 5 sd
    assert abs(res.mean_cosine) < 5 * np.sqrt(2 / (n * (n - 1) * d))
    assert res.ci_low <= res.mean_cosine <= res.ci_high
    assert res.baseline_ci_low <= 0.0 <= res.baseline_ci_high
    # pair cosines of an isotropic Gaussian have sd 1/√d; 20000 pairs estimate it to ≈ 1 %
    np.testing.assert_allclose(res.pair_sd, 1 / np.sqrt(d), rtol=0.03)
    assert res.verdict().status == "ok"
    assert res.hist_counts.sum() == res.n_pairs and res.hist_edges.size == res.hist_counts.size + 1


def test_shifted_cloud_is_anisotropic_and_centring_fixes_it():
    rng = np.random.default_rng(2)
    X = _shifted_cloud(rng, shift=1.0)
    res = anisotropy(X, seed=3)
    # cos ≈ ‖μ‖² / (‖μ‖² + d) = 100 / 200 for offset norm 10 in 100 dims (ratio of expectations, ±2 %)
    np.testing.assert_allclose(res.mean_cosine, 0.5, atol=0.02)
    assert res.ci_low - 0.01 <= res.mean_cosine <= res.ci_high + 0.01
    assert abs(res.centred_mean_cosine) < 0.01
    assert res.verdict().status == "bad"
    assert "centre" in res.verdict().fix and "bad ≥ 0.4" in res.verdict().reason


def test_isotropic_pair_cosine_law():
    c = isotropic_pair_cosines(50, 200000, seed=0)
    # Beta((d−1)/2, (d−1)/2) on [−1, 1]: mean 0, variance 1/d; 2e5 draws → sd error ≈ 0.3 %
    np.testing.assert_allclose(c.mean(), 0.0, atol=5 / np.sqrt(50 * 200000))
    np.testing.assert_allclose(c.var(), 1 / 50, rtol=0.01)


# --------------------------------------------------------------------------- IsoScore
@pytest.mark.parametrize("D", [5, 50, 384])
def test_isoscore_closed_form(D):
    for k in sorted({1, 2, D // 3 or 1, D - 1, D}):
        v = np.r_[np.ones(k), np.zeros(D - k)]
        np.testing.assert_allclose(isoscore_from_variances(v), (k - 1) / (D - 1), atol=1e-12)  # exact algebra


def test_isoscore_of_data_using_k_dims_evenly_is_rotation_invariant():
    rng = np.random.default_rng(4)
    k, D = 6, 20
    rows = np.vstack([s * np.eye(D)[:k] for s in (1.0, -1.0)])  # covariance exactly ∝ I_k ⊕ 0
    Q, _ = np.linalg.qr(rng.standard_normal((D, D)))
    for X in (rows, rows @ Q):
        # only round-off in the float64 covariance eigenvalues
        np.testing.assert_allclose(isoscore(X, baseline_repeats=1).isoscore, (k - 1) / (D - 1), atol=1e-10)


def test_isoscore_gaussian_bias_and_baseline():
    rng = np.random.default_rng(5)
    res = isoscore(rng.standard_normal((2000, 384)), seed=0)
    # the reference figure: ≈ 0.84 for a 2000 × 384 isotropic Gaussian
    np.testing.assert_allclose(res.isoscore, 0.84, atol=0.01)
    np.testing.assert_allclose(res.baseline, res.isoscore, atol=0.01)  # seed-to-seed spread ≈ 5e-4
    assert res.verdict().status == "ok"


def test_bartlett_spectrum_matches_direct_simulation():
    # same law (Wishart(I, n−1)): IsoScores agree within their sampling sd (≈ 1e-3 here)
    n, d = 400, 60
    bart = [isoscore_from_variances(gaussian_covariance_spectrum(n, d, seed=s)) for s in range(8)]
    direct = []
    for s in range(8):
        G = np.random.default_rng(100 + s).standard_normal((n, d))
        direct.append(isoscore_from_variances(np.linalg.eigvalsh(np.cov(G, rowvar=False))))
    np.testing.assert_allclose(np.mean(bart), np.mean(direct), atol=0.005)
    # n ≤ d takes the direct branch and pads the spectrum with zeros
    assert np.count_nonzero(gaussian_covariance_spectrum(30, 60, seed=0) > 1e-9) == 29


def test_low_rank_data_gets_a_low_isoscore_verdict():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((1000, 3)) @ rng.standard_normal((3, 100)) + 1e-3 * rng.standard_normal((1000, 100))
    res = isoscore(X, seed=0)
    assert res.ratio < 0.05 and res.verdict().status == "warn"  # never "bad": low rank can be signal


# --------------------------------------------------------------------------- rogue dimensions
def test_planted_rogue_dimension_is_found_first():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((1000, 64))
    X[:, 17] += 6.0  # a large shared offset in one coordinate
    res = rogue_dimensions(X)
    assert res.top_dimensions[0] == 17
    assert res.shares[17] > 0.9 and res.verdict().status == "bad"
    assert res.variance_shares[17] < 0.05  # rogue in the cosine, not in the variance
    np.testing.assert_allclose(res.contributions.sum(), mean_pair_cosine(X), rtol=1e-10)  # identity Σ_a CC_a = mean cos


def test_rogue_contributions_match_brute_force():
    X = np.random.default_rng(8).standard_normal((40, 5)) + np.array([0.0, 2.0, 0.0, -1.0, 0.5])
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    off = ~np.eye(40, dtype=bool)
    brute = np.array([(np.outer(U[:, a], U[:, a]))[off].mean() for a in range(5)])
    np.testing.assert_allclose(rogue_dimensions(X).contributions, brute, rtol=1e-10, atol=1e-14)  # float64 round-off


def test_isotropic_data_has_no_rogue_warning():
    assert rogue_dimensions(np.random.default_rng(9).standard_normal((500, 32))).verdict().status == "ok"


# --------------------------------------------------------------------------- norms
def test_norm_cv_baseline_closed_form():
    norms_ = np.linalg.norm(np.random.default_rng(10).standard_normal((200000, 20)), axis=1)
    # 2e5 chi_20 draws: CV estimated to ≈ 0.3 %
    np.testing.assert_allclose(gaussian_norm_cv(20), norms_.std() / norms_.mean(), rtol=0.01)


def test_dot_vs_cosine_jaccard_and_norm_attribute():
    rng = np.random.default_rng(11)
    U = rng.standard_normal((400, 16))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    freq = rng.lognormal(size=400)
    X = U * (1 + np.log1p(freq))[:, None]  # the norm is a monotone function of the attribute
    res = norms(X, k=5, attribute=freq, attribute_name="freq")
    ref = jaccard_at_k(_brute_knn(X, 5, "dot"), _brute_knn(X, 5, "cosine")).mean()
    np.testing.assert_allclose(res.jaccard_dot_cosine, ref, atol=1e-12)  # same sets, same formula
    np.testing.assert_allclose(res.spearman, 1.0, atol=1e-12)  # ranks identical
    assert res.verdict().status in ("warn", "bad") and "freq" in res.verdict().reason
    unit = norms(U, k=5)
    assert unit.jaccard_dot_cosine == 1.0 and unit.verdict().status == "ok"
    json.dumps(res.to_dict())


def test_jaccard_at_k():
    a = np.array([[1, 2, 3], [4, 5, 6]])
    b = np.array([[3, 2, 1], [6, 7, 8]])
    np.testing.assert_allclose(jaccard_at_k(a, b), [1.0, 1 / 5])


# --------------------------------------------------------------------------- hubness
def test_k_occurrence_against_hand_count():
    from scipy.stats import skew

    idx = np.array([[1, 2], [0, 2], [0, 1], [2, 0], [2, 1]])
    ko = k_occurrence(idx, 5, k=2)
    np.testing.assert_array_equal(ko.counts, [3, 3, 4, 0, 0])
    np.testing.assert_allclose(ko.skewness, skew([3, 3, 4, 0, 0]))
    assert ko.antihub_share == 0.4 and ko.hub_share == 0.0 and ko.counts.sum() == 10


def test_shifted_cloud_has_hubs_that_centring_removes():
    rng = np.random.default_rng(12)
    X = _shifted_cloud(rng, n=1000, d=100, shift=1.0)
    res = hubness(X, k=10, seed=0)
    ref = np.bincount(_brute_knn(X, 10, "cosine").ravel(), minlength=1000)
    np.testing.assert_array_equal(res.raw.counts, ref)  # the engine's graph is the exact cosine graph
    assert res.raw.skewness > 2.0 and res.centred.skewness < 1.0 and res.baseline.skewness < 1.0
    assert res.verdict().status in ("warn", "bad") and "centre" in res.verdict().fix
    assert res.raw.occurrence_hist.sum() == 1000 and res.raw.neighbour_cosine_hist.sum() == 10000


# --------------------------------------------------------------------------- rescaling
def test_rescaling_freedom_swings_precision_with_dot_products_fixed():
    A, B, labels = _planted_factors()
    res = factor_rescaling(A, B, k=10, classes=labels, seed=0)
    by = {c.name: c for c in res.cases}
    for c in res.cases:
        assert c.max_dot_change < 1e-9  # every A·D (B·D⁻¹)ᵀ equals A Bᵀ to round-off (≈ 3e-16 measured)
    # cosine neighbours of the raw factors see the noise dims (chance = 1/6); A-scaled ones the clusters
    assert by["identity"].precision < 0.3
    assert by["scale-in-B"].precision > 0.95 and by["balanced"].precision > 0.95
    assert res.min_jaccard < 0.1 and res.verdict().status == "bad"
    assert res.invariant_jaccard == 1.0 and res.invariant_precision > 0.95
    # the 1.0 compares Lᵀb with itself under two D (an invariance check); the reason says so, not that Lᵀb keeps B's
    # own neighbours (it shares few of them here)
    assert "Lᵀb has 100 % of its neighbours in common under D = I and the widest D" in res.verdict().reason
    assert "Lᵀb keeps" not in res.verdict().reason
    assert res.log_norm_ratio.shape == (20,) and res.log_norm_ratio_sd > 1.0
    json.dumps(res.to_dict())


def test_invariant_factors_do_not_depend_on_d():
    A, B, _ = _planted_factors(seed=1)
    for name, d in rescalings(A, B, seed=0):
        # Cholesky of D·AᵀA·D is D·L, so B·D⁻¹·D·L = B·L up to round-off
        np.testing.assert_allclose(invariant_factors(A * d, B / d), invariant_factors(A, B), rtol=1e-8, atol=1e-10)
    L = invariant_factors(A, B)
    X = A @ B.T
    np.testing.assert_allclose(L @ L.T, X.T @ X, rtol=1e-9, atol=1e-9)  # Gram of Lᵀb = Gram of X's columns


def test_balanced_factor_matrices_are_ok():
    rng = np.random.default_rng(13)
    A, B = rng.standard_normal((100, 8)), rng.standard_normal((150, 8))
    res = factor_rescaling(A, B, k=5, spreads=(), seed=0)
    # columns of similar norm: balanced/scale-in-A/B rescalings barely move B
    assert res.min_jaccard > 0.8 and res.verdict().status == "ok"


def test_single_matrix_rescaling():
    rng = np.random.default_rng(14)
    X = rng.standard_normal((500, 20)) * np.r_[np.full(2, 10.0), np.ones(18)]
    res = dimension_rescaling(X, k=10)
    assert res.mode == "single" and res.cases[1].jaccard < 0.3 and res.verdict().status == "bad"
    even = dimension_rescaling(rng.standard_normal((500, 20)), k=10)
    assert even.cases[1].jaccard > 0.6 and even.verdict().status == "ok"


# --------------------------------------------------------------------------- post-processing
def test_transforms():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(15)
    X = rng.standard_normal((300, 40)) @ rng.standard_normal((40, 40)) + 5.0
    np.testing.assert_allclose(center(X).mean(axis=0), 0.0, atol=1e-12)
    # all-but-the-top against an independent PCA (sklearn): same projection up to round-off
    pca = PCA(n_components=2).fit(X)
    ref = (X - pca.mean_) - (X - pca.mean_) @ pca.components_.T @ pca.components_
    np.testing.assert_allclose(all_but_the_top(X, n_components=2), ref, atol=1e-9)
    # whitened covariance is the identity (full rank, float64)
    np.testing.assert_allclose(np.cov(whiten(X), rowvar=False), np.eye(40), atol=1e-8)
    np.testing.assert_allclose(standardise(X).std(axis=0, ddof=1), 1.0, rtol=1e-12)
    assert whiten(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(postprocess(X, "center"), center(X))


def test_whitening_floor_on_rank_deficient_data():
    rng = np.random.default_rng(16)
    X = rng.standard_normal((30, 64))  # n ≤ d: 35 zero eigenvalues
    wm = whitening_map(X, floor=1e-6)
    assert wm.n_floored == 64 - 29
    W = whiten(X)
    assert np.isfinite(W).all()
    ev = np.linalg.eigvalsh(np.cov(W, rowvar=False))
    np.testing.assert_allclose(ev[-29:], 1.0, atol=1e-6)  # the 29 real directions have unit variance


def test_postprocessing_on_shifted_cloud():
    rng = np.random.default_rng(17)
    res = postprocessing(_shifted_cloud(rng, n=600, d=100), k=10)
    raw, cen = res.effect("raw"), res.effect("centre")
    assert raw.mean_cosine > 0.4 and abs(cen.mean_cosine) < 0.01
    assert raw.hub_skewness > 1.0 and cen.hub_skewness < 1.0
    assert raw.jaccard_with_raw == 1.0 and res.recommended == "centre"
    assert res.abtt_components == 1


def test_bad_inputs():
    rng = np.random.default_rng(18)
    X = rng.standard_normal((20, 5))
    Z = X.copy()
    Z[3] = 0.0
    with pytest.raises(EmbgeoError, match="all-zero row"):
        anisotropy(Z)
    with pytest.raises(EmbgeoError, match="k=20"):
        hubness(X, k=20)
    with pytest.raises(EmbgeoError, match="rank"):
        factor_rescaling(rng.standard_normal((10, 3)), rng.standard_normal((10, 4)))
    with pytest.raises(EmbgeoError, match="1-D"):
        isoscore(np.ones(5))
    with pytest.raises(EmbgeoError, match="unknown post-processing"):
        postprocess(X, "pca")


# --------------------------------------------------------------------------- the whole report
def test_isotropic_gaussian_report_is_all_ok():
    X = np.random.default_rng(19).standard_normal((800, 256))
    rep = cosine_diagnostics(X, k=10, seed=0)
    assert rep.status == "ok", {n: (v.status, v.reason) for n, v in rep.verdicts().items()}
    cols, rows = rep.table()
    assert cols == ["diagnostic", "value", "baseline", "verdict", "reason"] and len(rows) == 7
    doc = json.loads(json.dumps(rep.to_dict()))
    assert (doc["n_rows"], doc["n_dims"]) == (800, 256)
    for name in ("anisotropy", "isoscore", "rogue_dimensions", "norms", "hubness", "rescaling", "postprocessing"):
        v = doc["diagnostics"][name]["verdict"]
        assert v["status"] == "ok" and v["reason"] and v["fix"] == "" and v["decided_by"]
    # every decided_by names a metric of the same result, whose row carries the verdict's status
    rows = {m.metric: m for m in rep.metrics()}
    for v in rep.verdicts().values():
        assert rows[v.decided_by].status == v.status
    assert rep.verdict().status == "ok" and rep.verdict().decided_by in rows


def test_report_is_reproducible_and_samples_neighbours():
    X = _shifted_cloud(np.random.default_rng(20), n=500, d=50)
    a = cosine_diagnostics(X, k=5, seed=3, neighbour_sample=200)
    b = cosine_diagnostics(X, k=5, seed=3, neighbour_sample=200)
    assert a.to_dict() == b.to_dict()
    assert a.neighbour_rows == 200 and a.status == "bad" and any(f.startswith("anisotropy:") for f in a.fixes())


# --------------------------------------------------------------------------- invariances (hypothesis)
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(1e-3, 1e3), shift=st.floats(-2.0, 2.0))
def test_cosine_statistics_invariances(seed, scale, shift):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 6)) + shift
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    perm = rng.permutation(40)
    row_scale = rng.uniform(0.1, 10.0, size=(40, 1))
    m = mean_pair_cosine(X)
    # rotation, per-row positive scaling and row order do not change any cosine (float64 round-off)
    np.testing.assert_allclose(mean_pair_cosine(X @ Q), m, atol=1e-12)
    np.testing.assert_allclose(mean_pair_cosine(X * row_scale), m, atol=1e-12)
    np.testing.assert_allclose(mean_pair_cosine(X[perm]), m, atol=1e-12)
    # IsoScore depends only on the covariance spectrum up to scale: rotation and global scale are free
    iso = isoscore_from_variances(np.linalg.eigvalsh(np.cov(X, rowvar=False)))
    np.testing.assert_allclose(isoscore_from_variances(np.linalg.eigvalsh(np.cov(scale * X @ Q, rowvar=False))), iso, atol=1e-9)
    # rogue-dimension contributions follow a permutation of the columns
    cperm = rng.permutation(6)
    np.testing.assert_allclose(rogue_dimensions(X[:, cperm]).contributions, rogue_dimensions(X).contributions[cperm], atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_rescaling_invariant_is_exactly_d_free(seed):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((12, 4)), rng.standard_normal((15, 4))
    d = np.exp(rng.standard_normal(4))
    # Gram matrices of Lᵀb: identical under A·D, B·D⁻¹ up to float64 round-off
    G0 = invariant_factors(A, B) @ invariant_factors(A, B).T
    G1 = invariant_factors(A * d, B / d) @ invariant_factors(A * d, B / d).T
    np.testing.assert_allclose(G1, G0, rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- retrieval against ground truth (issue 19)
import math  # noqa: E402

from embgeo.cosine.retrieval import (  # noqa: E402
    HUBNESS_REDUCTIONS, candidate_lists, cosine_distance_matrix, relevant_from_labels, relevant_from_qrels, retrieval,
    secondary_distances,
)


def _brute_secondary(D, method, k):
    """Each hubness reduction written out pair by pair from its definition (scikit-hubness's, exact over all rows)."""
    n = D.shape[0]
    others = [[m for m in range(n) if m != i] for i in range(n)]
    dist = [sorted(D[i, m] for m in others[i]) for i in range(n)]
    mu = [sum(v) / len(v) for v in dist]
    sd = [math.sqrt(sum((x - mu[i]) ** 2 for x in dist[i]) / len(dist[i])) for i in range(n)]
    kth = [dist[i][k - 1] for i in range(n)]
    mean_k = [sum(dist[i][:k]) / k for i in range(n)]
    sf = lambda x, m, s: 0.5 * math.erfc((x - m) / (s * math.sqrt(2)))  # noqa: E731
    out = np.full((n, n), np.nan)
    for i in range(n):
        for j in others[i]:
            d = D[i, j]
            if method == "mp_empirical":
                c = sum(1 for m in range(n) if m not in (i, j) and D[i, m] > d and D[j, m] > d)
                out[i, j] = 1 - c / (n - 2)
            elif method == "mp_gaussian":
                out[i, j] = 1 - sf(d, mu[i], sd[i]) * sf(d, mu[j], sd[j])
            elif method == "local_scaling":
                out[i, j] = 1 - math.exp(-d * d / (kth[i] * kth[j]))
            elif method == "nicdm":
                out[i, j] = d / math.sqrt(mean_k[i] * mean_k[j])
            elif method == "csls":
                out[i, j] = 2 * d - mean_k[i] - mean_k[j]
    return out


@pytest.mark.parametrize("method", HUBNESS_REDUCTIONS)
def test_hubness_reductions_match_their_definitions(method):
    X = np.random.default_rng(30).standard_normal((28, 6)) + 0.5
    D = cosine_distance_matrix(X)
    cand = candidate_lists(D, 27)  # every other row is a candidate: exact re-ranking
    got = secondary_distances(D, cand, method, k=4)
    want = _brute_secondary(D, method, 4)
    np.testing.assert_allclose(got, want[np.arange(28)[:, None], cand], rtol=0, atol=1e-10)


def _brute_scores(S, labels, k, D):
    """precision@k, recall@k, nDCG@k of ranking every other row by the distance matrix S (lower = closer;
    ties, as in mutual proximity's counts, by the cosine distance D, then by row)."""
    n = S.shape[0]
    out = []
    for i in range(n):
        rel = {j for j in range(n) if j != i and labels[j] == labels[i]}
        if not rel:
            continue
        ranked = sorted((j for j in range(n) if j != i), key=lambda j: (S[i, j], D[i, j], j))[:k]
        hits = [j in rel for j in ranked]
        dcg = sum(1 / math.log2(r + 2) for r, h in enumerate(hits) if h)
        idcg = sum(1 / math.log2(r + 2) for r in range(min(k, len(rel))))
        out.append((sum(hits) / k, sum(hits) / len(rel), dcg / idcg))
    return np.mean(out, axis=0)


def test_retrieval_numbers_match_a_direct_implementation():
    rng = np.random.default_rng(31)
    n, d, k = 36, 8, 5
    labels = np.repeat(np.arange(6), 6)
    X = rng.standard_normal((6, d))[labels] + 1.2 * rng.standard_normal((n, d)) + 0.7
    labels = labels.astype(object)
    labels[35] = ""  # no label: a candidate, never a query
    res = retrieval(X, classes=labels, k=k, candidates=n - 1, n_bootstrap=200, seed=0)
    assert res.n_queries == 35
    unit = lambda M: M / np.linalg.norm(M, axis=1, keepdims=True)  # noqa: E731
    cosd = lambda M: 1 - unit(M) @ unit(M).T  # noqa: E731
    Xc = X - X.mean(axis=0)
    lam, U = np.linalg.eigh(np.cov(X, rowvar=False))
    top = U[:, np.argsort(lam)[::-1][:1]]  # d/100 rounds to 1 component
    direct = {
        "cosine": cosd(X), "dot": -(X @ X.T), "centred": cosd(Xc), "abtt": cosd(Xc - Xc @ top @ top.T),
        "whiten": cosd(Xc @ U @ np.diag(1 / np.sqrt(lam)) @ U.T),
    }
    D = cosd(X)
    for m in HUBNESS_REDUCTIONS:
        direct[m] = _brute_secondary(D, m, k)
    lab = [None if v == "" else v for v in labels]
    lab[35] = object()  # never equal to another label
    for m, S in direct.items():
        want = _brute_scores(S, lab, k, D)
        s = res.scores[m]
        got = [s["precision_at_k"]["value"], s["recall_at_k"]["value"], s["ndcg_at_k"]["value"]]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10, err_msg=m)
        gain = s["precision_gain"]
        np.testing.assert_allclose(gain["value"], s["precision_at_k"]["value"] - res.scores["cosine"]["precision_at_k"]["value"], atol=1e-12)
        assert s["precision_at_k"]["ci_low"] <= s["precision_at_k"]["value"] <= s["precision_at_k"]["ci_high"]


def _hub_ridden(seed=0, n_cls=10, per=30, d=100):
    """Gaussian classes of very different spreads in 100 dims: the loose classes' rows are everyone's neighbours."""
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((n_cls, d))
    s = rng.uniform(0.5, 3.0, size=n_cls)
    X = np.concatenate([C[c] + s[c] * rng.standard_normal((per, d)) for c in range(n_cls)])
    return X, np.repeat(np.arange(n_cls), per)


def test_mutual_proximity_raises_precision_on_a_hub_ridden_set():
    X, y = _hub_ridden()
    res = retrieval(X, classes=y, k=10, n_bootstrap=500, seed=0)
    raw = res.scores["cosine"]["precision_at_k"]["value"]
    mp = res.scores["mp_empirical"]
    assert mp["precision_at_k"]["value"] > raw + 0.03 and mp["precision_gain"]["ci_low"] > 0
    v = res.verdict()
    assert v.status == "bad" and v.decided_by == "precision_gain" and f"'{res.winners()[0]}'" in v.reason
    assert res.winners()[0] in HUBNESS_REDUCTIONS
    # the hubness reduction flattens the k-occurrence: lower Robin Hood index than raw cosine
    D = cosine_distance_matrix(X)
    cand = candidate_lists(D, 100)
    from embgeo.cosine.retrieval import rank_candidates

    top_mp = rank_candidates(secondary_distances(D, cand, "mp_empirical", k=10), cand, 10)
    assert k_occurrence(top_mp, X.shape[0], k=10).robin_hood < k_occurrence(cand[:, :10], X.shape[0], k=10).robin_hood


def test_equal_classes_give_no_winner():
    rng = np.random.default_rng(33)
    y = np.repeat(np.arange(8), 25)
    X = rng.standard_normal((8, 64))[y] + rng.standard_normal((200, 64))
    res = retrieval(X, classes=y, k=10, methods=("cosine", "mp_gaussian", "csls"), n_bootstrap=300, seed=0)
    assert res.verdict().status == "ok" and not res.winners()


def test_robin_hood_index_matches_its_definition():
    idx = np.array([[1, 2], [0, 2], [0, 1], [2, 1], [2, 0]])
    ko = k_occurrence(idx, 5, k=2)
    counts = np.array([3, 3, 4, 0, 0])
    assert ko.robin_hood == pytest.approx(0.5 * np.abs(counts - counts.mean()).sum() / counts.sum(), abs=1e-15)  # 0.5·8/10
    assert ko.robin_hood == pytest.approx(0.4, abs=1e-15)


def test_qrels_relevance_and_labels_relevance():
    assert relevant_from_labels(["a", "b", "a", "", "c"]) == [(0, {2}), (2, {0})]
    rel, skipped = relevant_from_qrels([("x", "y"), ("x", "z"), ("q", "x"), ("y", "y")], ["x", "y", "z"])
    assert rel == [(0, {1, 2})] and skipped == 2
