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
    r = modality_gap(X, Y, n_folds=3, random_pairs=2000)
    # exact constructions in float64: only round-off separates the numbers from the closed forms
    np.testing.assert_allclose(r.gap_centroid_distance, 2 * c, atol=1e-12)
    np.testing.assert_allclose(r.gap_vector / r.gap_centroid_distance, u, atol=1e-12)
    np.testing.assert_allclose(r.matched_cosines.mean, 1 - 2 * c * c, atol=1e-12)
    np.testing.assert_allclose(r.alignment.alignment, 4 * c * c, atol=1e-12)
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
    np.testing.assert_allclose(r.random_pair_cosine, S[off].mean(), atol=1e-12)
    np.testing.assert_allclose(r.mixup.x_anchor_negative_mean, S[off].mean(), atol=1e-12)
    np.testing.assert_allclose(r.mixup.x_anchor_mixed_negative_mean, (X @ M.T)[off].mean(), atol=1e-12)
    np.testing.assert_allclose(r.mixup.y_anchor_mixed_negative_mean, (Y @ M.T)[off].mean(), atol=1e-12)
    np.testing.assert_allclose(r.mixup.positive_mean, np.diag(S).mean(), atol=1e-12)
    # mixed negatives are harder than ordinary ones: they lie between the two cones
    assert r.mixup.x_anchor_mixed_negative_mean > r.mixup.x_anchor_negative_mean
    np.testing.assert_allclose(r.gap_centroid_distance, np.linalg.norm(X.mean(0) - Y.mean(0)), atol=1e-12)
    # the planted direction is recovered
    assert abs(r.gap_vector @ paired_gap(200, 16, gap=0.6, seed=4)[2]) / r.gap_centroid_distance > 0.95


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
    sep = linear_separability(X, Y, n_folds=5, seed=0)
    # same distribution: accuracy ≈ 0.5; 1200 test rows give se ≈ 0.015 so 0.1 is > 6 se
    assert abs(sep.accuracy - 0.5) < 0.1 and sep.fold_accuracy.size == 5 and sep.n_folds == 5
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
    with pytest.raises(EmbgeoError, match=r"1 row with NaN or inf \(row 2\)"):
        centroid_gap(X, Z)
    with pytest.raises(EmbgeoError, match="mixup_lambda"):
        modality_gap(X, Y, mixup_lambda=1.5)
    with pytest.raises(EmbgeoError, match="n_folds"):
        modality_gap(X, Y, n_folds=1)


def test_block_changes_only_the_tiling():
    X, Y, _ = paired_gap(300, 16, gap=0.5, seed=2)
    a = modality_gap(X, Y, separability=False, seed=0)
    b = modality_gap(X, Y, separability=False, seed=0, block=7)
    # exact uniformity sums: the tiles change the summation order only (float64 accumulation)
    for ra, rb in ((a.uniformity_x, b.uniformity_x), (a.uniformity_y, b.uniformity_y), (a.uniformity_joint, b.uniformity_joint)):
        assert ra.mode == "exact"
        np.testing.assert_allclose(rb.uniformity, ra.uniformity, rtol=0, atol=1e-9)


# ----------------------------------------------------------------- contract, verdicts and the toolkit (issues 15, 19)

def planted_noisy(n=300, d=32, c=0.4, noise=0.6, vary=False, seed=0):
    """x_i = √(1−c²) v_i + c u and y_i = √(1−c_i²) w_i − c_i u with unit v_i, w_i ⟂ u, w_i a noisy copy of v_i.

    With one c for every y row (``vary=False``) the gap is a constant offset: x_i·y_j = s² v_i·w_j − c c_j
    ranks the candidates exactly as v_i·w_j does, so removing the gap cannot change retrieval. With c_i
    drawn per row (``vary=True``) the term −c·c_j favours candidates with a small offset whatever their
    content: removing the gap fixes retrieval."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)

    def perp(A):
        A = A - np.outer(A @ u, u)
        return A / np.linalg.norm(A, axis=1, keepdims=True)

    v = perp(rng.standard_normal((n, d)))
    w = perp(v + noise * rng.standard_normal((n, d)) / np.sqrt(d))
    cy = rng.uniform(0.05, 0.9, n) if vary else np.full(n, c)
    X = np.sqrt(1 - c * c) * v + c * u
    Y = np.sqrt(1 - cy * cy)[:, None] * w - cy[:, None] * u
    return X, Y, u, v, w


def test_verdict_a_gap_whose_removal_changes_nothing_is_ok():
    c = 0.4
    X, Y, u, v, w = planted_noisy(c=c, noise=2.0)
    # shifting along the planted offset 2c·u maps the rows exactly onto v and w: the rankings cannot change
    r = modality_gap(X, Y, n_folds=3, direction=2 * c * u)
    assert r.separability.accuracy == 1.0 and r.gap_centroid_distance > 0.75  # a wide, perfectly separable gap …
    assert 0.2 < r.recall_at_1_before < 0.8  # … and retrieval that is far from perfect
    np.testing.assert_array_equal(r.shift.after.retrieval.hits_x_to_y, r.shift.before.retrieval.hits_x_to_y)
    assert r.shift.recall_at_1_gain == 0.0 and r.shift.gain_ci_low == 0.0
    v_ = r.verdict()
    assert v_.status == "ok" and v_.decided_by == "recall_at_1_gain"  # separability alone would have said bad
    assert "+0.000" in v_.reason
    # shifting by this data's own centroid gap: nearly the same, and still not bad
    assert modality_gap(X, Y, n_folds=3).verdict().status == "ok"


def test_verdict_a_gap_whose_removal_fixes_retrieval_is_bad():
    X, Y, *_ = planted_noisy(noise=0.6, vary=True)
    r = modality_gap(X, Y, n_folds=3)
    sh = r.shift
    assert r.recall_at_1_after_shift - r.recall_at_1_before >= 0.1
    assert sh.gain_ci_low > 0 and sh.recall_at_1_gain >= 0.05
    v = r.verdict()
    assert v.status == "bad" and v.decided_by == "recall_at_1_gain"
    assert f"{r.recall_at_1_before:.3f}" in v.reason and f"{r.recall_at_1_after_shift:.3f}" in v.reason and "+0.05" in v.reason
    # the tidy row that decided carries the status
    row = next(m for m in r.metrics() if m.metric == "recall_at_1_gain")
    assert row.status == "bad" and (row.ci_low, row.ci_high) == (sh.gain_ci_low, sh.gain_ci_high)


def test_verdict_unpaired_sets_warn_on_the_matched_pairs():
    X, Y = sphere(300, 16, seed=1), sphere(300, 16, seed=2)  # row i of Y has nothing to do with row i of X
    r = modality_gap(X, Y, separability=False)
    v = r.verdict()
    assert v.status == "warn" and v.decided_by == "matched_pair_cosine" and r.matched_pair_cosine_ci_low <= r.random_pair_cosine


def _direct_retrieval(X, Y, tau, alpha):
    """The definitions written out on the full n×n matrices (reference style: N×N×D differences)."""
    from scipy.special import logsumexp

    n = X.shape[0]
    S = X @ Y.T
    out = {}
    for name, M in (("x_to_y", S), ("y_to_x", S.T)):
        order = np.argsort(-M, axis=1, kind="stable")
        pos = np.array([np.flatnonzero(order[i] == i)[0] for i in range(n)])  # random floats: no ties
        for k in (1, 5, 10):
            out[f"recall_at_{k}_{name}"] = float(np.mean(pos < k))
    L = S / tau
    out["contrastive_loss"] = 0.5 * np.mean(logsumexp(L, axis=1) - np.diag(L)) + 0.5 * np.mean(logsumexp(L, axis=0) - np.diag(L))
    for name, A, B in (("x_to_y", X, Y), ("y_to_x", Y, X)):
        D = np.linalg.norm(A[:, None, :] - B[None, :, :], axis=2) ** alpha
        pos_align = np.diag(D).copy()
        np.fill_diagonal(D, 10000.0)
        out[f"rel_lalign_{name}"] = float(np.mean(pos_align - D.min(axis=1)))
    return out


def test_retrieval_loss_and_rel_lalign_match_direct_implementations():
    from embgeo.uniformity.gap import retrieval

    X, Y, _ = paired_gap(120, 12, gap=0.5, seed=3)
    for tau, alpha in ((0.01, 2.0), (0.07, 1.0)):
        r = retrieval(X, Y, temperature=tau, alpha=alpha, block=17)  # a block that does not divide n
        ref = _direct_retrieval(X, Y, tau, alpha)
        for key, value in ref.items():
            np.testing.assert_allclose(getattr(r, key), value, rtol=0, atol=1e-10, err_msg=key)
    # the result reports the same numbers before the shift
    g = modality_gap(X, Y, separability=False, temperature=0.07)
    ref = _direct_retrieval(X, Y, 0.07, 2.0)
    for key, value in ref.items():
        np.testing.assert_allclose(getattr(g.shift.before.retrieval, key), value, rtol=0, atol=1e-10, err_msg=key)


def test_sweep_zero_shot_and_reference_uniformity_match_direct_implementations():
    from scipy.spatial.distance import pdist

    from embgeo.uniformity.gap import parse_sweep

    rng = np.random.default_rng(7)
    X, Y, _ = paired_gap(150, 10, gap=0.6, seed=5)
    C = rng.standard_normal((6, 10))
    labels = rng.integers(0, 6, 150)
    grid = parse_sweep("-1:2:0.5")
    np.testing.assert_array_equal(grid, [-1, -0.5, 0, 0.5, 1, 1.5, 2])
    assert parse_sweep("-1:2:0.1").size == 31 and parse_sweep("0.2,1").tolist() == [0.2, 1.0]
    g = modality_gap(X, Y, separability=False, sweep=grid, classes=C, class_labels=labels, temperature=0.05)
    delta = X.mean(0) - Y.mean(0)
    Ch = C / np.linalg.norm(C, axis=1, keepdims=True)
    unit = lambda A: A / np.linalg.norm(A, axis=1, keepdims=True)  # noqa: E731
    for i, lam in enumerate(grid):
        Xs, Ys, Cs = unit(X - lam * delta / 2), unit(Y + lam * delta / 2), unit(Ch + lam * delta / 2)
        ref = _direct_retrieval(Xs, Ys, 0.05, 2.0)
        for key, value in ref.items():
            np.testing.assert_allclose(g.sweep.columns[key][i], value, rtol=0, atol=1e-10, err_msg=f"{key} at {lam}")
        np.testing.assert_allclose(g.sweep.centroid_gap[i], np.linalg.norm(Xs.mean(0) - Ys.mean(0)), atol=1e-10)
        S = Xs @ Cs.T
        for k in (1, 5):
            top = np.argsort(-S, axis=1)[:, :k]
            np.testing.assert_allclose(g.sweep.columns[f"zero_shot_hit_at_{k}"][i], np.mean([labels[j] in top[j] for j in range(150)]), atol=1e-10)
    # λ = 0 and λ = 1 of the sweep are the shift experiment's before and after
    assert g.sweep.columns["recall_at_1_x_to_y"][2] == g.shift.before.retrieval.recall_at_1_x_to_y
    assert g.sweep.columns["contrastive_loss"][4] == g.shift.after.retrieval.contrastive_loss
    top1 = np.argmax(X @ Ch.T, axis=1)
    np.testing.assert_allclose(g.zero_shot.hit_at_1, np.mean(top1 == labels), atol=1e-10)
    # the m²-Mix reference's "multimodal uniformity": lunif(cat[X, X]) over all pairs of the doubled set
    Xh = unit(X)
    direct = np.log(np.mean(np.exp(-2.0 * pdist(np.vstack([Xh, Xh])) ** 2)))
    np.testing.assert_allclose(g.uniformity_reference_mm, direct, rtol=0, atol=1e-10)
    # tidy rows of the sweep carry the shift
    rows = [m for m in g.metrics() if m.metric == "sweep.recall_at_1_x_to_y"]
    assert [m.extra["shift"] for m in rows] == grid.tolist()


def test_recall_gain_interval_is_the_paired_normal_interval():
    X, Y, *_ = planted_noisy(noise=0.6, vary=True, n=200)
    g = modality_gap(X, Y, separability=False, confidence=0.9)
    b, a = g.shift.before.retrieval, g.shift.after.retrieval
    d = np.r_[(a.hits_x_to_y == 0) * 1.0 - (b.hits_x_to_y == 0), (a.hits_y_to_x == 0) * 1.0 - (b.hits_y_to_x == 0)]
    from scipy.stats import norm

    half = norm.ppf(0.95) * d.std(ddof=1) / np.sqrt(d.size)
    np.testing.assert_allclose([g.shift.gain_ci_low, g.shift.gain_ci_high], [d.mean() - half, d.mean() + half], atol=1e-12)
    assert g.shift.recall_at_1_gain == d.mean()


def test_toolkit_bad_input():
    from embgeo.uniformity.gap import parse_sweep

    X, Y, _ = paired_gap(50, 8, seed=0)
    for spec in ("1:0:0.1", "0:1:0", "a:b:c", "0:1", ""):
        with pytest.raises(EmbgeoError, match="shift sweep"):
            parse_sweep(spec)
    with pytest.raises(EmbgeoError, match="direction has 5 values"):
        modality_gap(X, Y, direction=np.ones(5))
    with pytest.raises(EmbgeoError, match="class labels must lie in 0..2"):
        modality_gap(X, Y, classes=np.eye(3, 8), class_labels=np.full(50, 3))
    with pytest.raises(EmbgeoError, match="temperature"):
        modality_gap(X, Y, temperature=0)


def test_modality_gap_refuses_arguments_it_would_misuse():
    """A NaN in the sweep gave a row of None; a 2-D direction was flattened; class_labels without classes
    were ignored. A sweep string is read as the CLI reads it."""
    from embgeo.errors import EmbgeoError
    from embgeo.uniformity.gap import modality_gap

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 8))
    Y = X + 0.3
    for kw, match in ((dict(sweep=[0, np.nan, 1]), "finite"), (dict(direction=np.ones((2, 4))), "one vector"),
                      (dict(class_labels=np.zeros(80, int)), "go together")):
        with pytest.raises(EmbgeoError, match=match):
            modality_gap(X, Y, separability=False, **kw)
    assert modality_gap(X, Y, separability=False, sweep="0:1:0.5").sweep.shift.tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(EmbgeoError, match="positive number"):
        modality_gap(X, Y, separability=False, t=True)  # a bool is not a number (it ran with t = 1)


@pytest.mark.parametrize("kw", [dict(random_pairs=-1), dict(retrieval_max_pairs=-3), dict(separability_max_pairs=3), dict(n_folds=1.5)])
def test_modality_gap_counts_are_checked_not_crashing(kw):
    """Raw numpy/sklearn errors before (a negative size, KFold with 3 pairs)."""
    from embgeo.errors import EmbgeoError
    from embgeo.uniformity.gap import modality_gap

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8))
    with pytest.raises(EmbgeoError, match=f"{next(iter(kw))} must be an integer"):
        modality_gap(X, X + 0.3, **kw)


def test_folds_is_one_name_with_the_old_cv_kept():
    """Cross-validation folds are ``n_folds`` in the library and "folds" (the count) in JSON, as in rank and
    layers; ``cv=`` still works with a DeprecationWarning, and both at once is an error."""
    import warnings

    from embgeo.errors import EmbgeoError
    from embgeo.uniformity.gap import modality_gap
    from embgeo.uniformity.gap_measures import linear_separability

    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 6)) + 1.0
    Y = rng.normal(size=(80, 6))
    new = modality_gap(X, Y, n_folds=4, seed=1)
    sep = new.to_dict()["separability"]
    assert sep["folds"] == 4 and len(sep["fold_accuracy"]) == 4 and "cv" not in sep
    assert sep["separability_accuracy"] == pytest.approx(float(np.mean(sep["fold_accuracy"])), abs=1e-15)
    with pytest.warns(DeprecationWarning, match="n_folds"):
        old = modality_gap(X, Y, cv=4, seed=1)
    assert old.separability.accuracy == new.separability.accuracy
    with pytest.warns(DeprecationWarning, match="n_folds"):
        assert old.separability.cv == 4
    with pytest.warns(DeprecationWarning, match="fold_accuracy"):
        assert old.separability.folds.tolist() == new.separability.fold_accuracy.tolist()
    with pytest.raises(EmbgeoError, match="former name of n_folds; both were given"):
        modality_gap(X, Y, n_folds=5, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert linear_separability(X, Y, seed=0).n_folds == 5
    with pytest.warns(DeprecationWarning):
        assert linear_separability(X, Y, cv=3, seed=0).n_folds == 3
