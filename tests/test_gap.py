"""The modality gap: planted offsets with closed-form answers, brute-force means, separability, mixup."""
from __future__ import annotations

import numpy as np
import pytest

from embgeo.datasets.synthetic import paired_gap, sphere
from embgeo.errors import EmbgeoError
from embgeo.uniformity.gap import centroid_gap, linear_separability, modality_gap, recall_at_1, slerp


def planted(n=400, d=32, c=0.3, seed=0):
    """x_i = √(1−c²) v_i + c u, y_i = √(1−c²) v_i − c u with unit v_i ⟂ u: unit rows whose
    gap is exactly 2c, matched cosine 1 − 2c², alignment 4c²."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    v = rng.standard_normal((n, d))
    v -= np.outer(v @ u, u)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    s = np.sqrt(1 - c * c)
    return s * v + c * u, s * v - c * u, u, v


def test_planted_gap_closed_forms():
    c = 0.3
    X, Y, u, v = planted(c=c)
    r = modality_gap(X, Y, cv=3, random_pairs=2000)
    # exact constructions in float64: only round-off separates the numbers from the closed forms
    np.testing.assert_allclose(r.centroid_gap, 2 * c, atol=1e-12)
    np.testing.assert_allclose(r.gap_vector / r.centroid_gap, u, atol=1e-12)
    np.testing.assert_allclose(r.matched_cosines.mean, 1 - 2 * c * c, atol=1e-12)
    np.testing.assert_allclose(r.alignment.value, 4 * c * c, atol=1e-12)
    np.testing.assert_allclose(r.projection_x.mean, c, atol=1e-12)
    np.testing.assert_allclose(r.projection_y.mean, -c, atol=1e-12)
    assert r.separability.accuracy == 1.0  # a hyperplane (normal u) splits the modalities
    # removing the gap maps both x̂ and ŷ onto v exactly
    after = r.shift.after
    np.testing.assert_allclose([after.centroid_gap, after.alignment], [0.0, 0.0], atol=1e-12)
    # the joint set is V twice: 4× the pairs of V plus n duplicate pairs of kernel 1
    n = X.shape[0]
    s_v = np.exp(after.uniformity_x) * n * (n - 1) / 2
    np.testing.assert_allclose(after.uniformity_joint, np.log((4 * s_v + n) / (n * (2 * n - 1))), atol=1e-9)
    assert after.recall_at_1_x_to_y == 1.0
    # mixup at λ = 0.5 lands on v: the mixed negatives sit halfway between the cones
    np.testing.assert_allclose(slerp(X, Y, 0.5), v, atol=1e-12)


def test_gap_means_match_brute_force():
    X, Y, _ = paired_gap(200, 16, gap=0.6, seed=4)
    r = modality_gap(X, Y, separability=False, random_pairs=500, mixup_lambda=0.3)
    n = X.shape[0]
    off = ~np.eye(n, dtype=bool)
    S = X @ Y.T
    M = slerp(X, Y, 0.3)
    # the O(n d) formulas reorder sums only: 1e-12
    np.testing.assert_allclose(r.random_cosine_mean, S[off].mean(), atol=1e-12)
    np.testing.assert_allclose(r.mixup.x_anchor_negative_mean, S[off].mean(), atol=1e-12)
    np.testing.assert_allclose(r.mixup.x_anchor_mixed_negative_mean, (X @ M.T)[off].mean(), atol=1e-12)
    np.testing.assert_allclose(r.mixup.y_anchor_mixed_negative_mean, (Y @ M.T)[off].mean(), atol=1e-12)
    np.testing.assert_allclose(r.mixup.positive_mean, np.diag(S).mean(), atol=1e-12)
    # mixed negatives are harder than ordinary ones: they lie between the two cones
    assert r.mixup.x_anchor_mixed_negative_mean > r.mixup.x_anchor_negative_mean
    np.testing.assert_allclose(r.centroid_gap, np.linalg.norm(X.mean(0) - Y.mean(0)), atol=1e-12)
    # the planted direction is recovered
    assert abs(r.gap_vector @ paired_gap(200, 16, gap=0.6, seed=4)[2]) / r.centroid_gap > 0.95


def test_slerp_geodesic():
    A, B = sphere(50, 8, seed=1), sphere(50, 8, seed=2)
    theta = np.arccos(np.einsum("ij,ij->i", A, B))
    for lam in (0.0, 0.25, 0.7, 1.0):
        M = slerp(A, B, lam)
        # on the sphere, at angle (1−λ)θ from A and λθ from B (round-off: 1e-9 through arccos)
        np.testing.assert_allclose(np.linalg.norm(M, axis=1), 1.0, atol=1e-12)
        np.testing.assert_allclose(np.arccos(np.clip(np.einsum("ij,ij->i", A, M), -1, 1)), (1 - lam) * theta, atol=1e-7)
    np.testing.assert_allclose(slerp(A, A, 0.4), A, atol=1e-12)  # parallel rows fall back safely


def test_separability_chance_without_gap_and_retrieval():
    X, Y = sphere(600, 16, seed=1), sphere(600, 16, seed=2)
    sep = linear_separability(X, Y, cv=5, seed=0)
    # same distribution: accuracy ≈ 0.5; 1200 test rows give se ≈ 0.015 so 0.1 is > 6 se
    assert abs(sep.accuracy - 0.5) < 0.1 and sep.folds.size == 5
    assert recall_at_1(X, X) == 1.0


def test_gap_bad_input():
    X, Y, _ = paired_gap(50, 8, seed=0)
    with pytest.raises(EmbgeoError, match=r"img.npy has 50 rows but txt.npy has 40"):
        modality_gap(X, Y[:40], names=("img.npy", "txt.npy"))
    Z = Y.copy()
    Z[[4, 9]] = 0
    with pytest.raises(EmbgeoError, match=r"txt.npy has 2 all-zero rows .*rows 4, 9"):
        modality_gap(X, Z, names=("img.npy", "txt.npy"))
    Z = Y.copy()
    Z[2, 0] = np.inf
    with pytest.raises(EmbgeoError, match=r"NaN or inf \(rows 2\)"):
        centroid_gap(X, Z)
    with pytest.raises(EmbgeoError, match="mixup_lambda"):
        modality_gap(X, Y, mixup_lambda=1.5)
    with pytest.raises(EmbgeoError, match="cv"):
        modality_gap(X, Y, cv=1)


def test_block_changes_only_the_tiling():
    X, Y, _ = paired_gap(300, 16, gap=0.5, seed=2)
    a = modality_gap(X, Y, separability=False, seed=0)
    b = modality_gap(X, Y, separability=False, seed=0, block=7)
    # exact uniformity sums: the tiles change the summation order only (float64 accumulation)
    for ra, rb in ((a.uniformity_x, b.uniformity_x), (a.uniformity_y, b.uniformity_y), (a.uniformity_joint, b.uniformity_joint)):
        assert ra.mode == "exact"
        np.testing.assert_allclose(rb.value, ra.value, rtol=0, atol=1e-9)
