"""compare: every measure against an independent implementation, its invariances, its null band,
and the id joins (issue 16)."""
from __future__ import annotations

import numpy as np
import pytest

from embgeo.compare import compare, compare_many, linear_cka, prefix, procrustes_residual, quantize
from embgeo.compare.cka import hsic_unbiased as lib_hsic_unbiased
from embgeo.errors import EmbgeoError

FAST = dict(n_bootstrap=0, n_permutations=0)


def _planted(rng, n=120, d1=12, d2=7, noise=0.3):
    Z = rng.normal(size=(n, 5))
    X = Z @ rng.normal(size=(5, d1)) + 0.2 * rng.normal(size=(n, d1))
    Y = Z @ rng.normal(size=(5, d2)) + noise * rng.normal(size=(n, d2))
    return X, Y


# --------------------------------------------------------------------------- direct formulas (written here)


def _cka_direct(X, Y):
    """Kornblith et al.: HSIC = tr(KHLH) with explicit n×n H; CKA = HSIC(K,L)/sqrt(HSIC(K,K) HSIC(L,L))."""
    n = X.shape[0]
    H = np.eye(n) - np.ones((n, n)) / n
    K, L = X @ X.T, Y @ Y.T
    h = lambda A, B: np.trace(A @ H @ B @ H)  # noqa: E731
    return h(K, L) / np.sqrt(h(K, K) * h(L, L))


def _hsic_song(K, L):
    """Song et al. 2012 eq. 5 written out term by term with explicit loops over the off-diagonal."""
    n = K.shape[0]
    Kt = K * (1 - np.eye(n))
    Lt = L * (1 - np.eye(n))
    one = np.ones(n)
    t1 = np.trace(Kt @ Lt)
    t2 = (one @ Kt @ one) * (one @ Lt @ one) / ((n - 1) * (n - 2))
    t3 = 2.0 / (n - 2) * (one @ Kt @ Lt @ one)
    return (t1 + t2 - t3) / (n * (n - 3))


def _cka_unbiased_direct(X, Y):
    K, L = X @ X.T, Y @ Y.T
    return _hsic_song(K, L) / np.sqrt(_hsic_song(K, K) * _hsic_song(L, L))


def test_linear_cka_biased_and_unbiased_match_the_direct_formulas(rng):
    X, Y = _planted(rng)
    X = X + 5.0  # an offset: the centring must happen inside
    assert linear_cka(X, Y) == pytest.approx(_cka_direct(X, Y), abs=1e-10)
    assert linear_cka(X, Y, unbiased=True) == pytest.approx(_cka_unbiased_direct(X, Y), abs=1e-10)
    K, L = X @ X.T, Y @ Y.T
    assert lib_hsic_unbiased(K, L) == pytest.approx(_hsic_song(K, L), rel=1e-10)
    res = compare(X, Y, methods=["cka", "cka_unbiased"], metric="euclidean", **FAST)
    assert res.value("cka_linear") == pytest.approx(_cka_direct(X, Y), abs=1e-10)
    assert res.value("cka_linear_unbiased") == pytest.approx(_cka_unbiased_direct(X, Y), abs=1e-10)
    # cosine: rows L2-normalised first
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    V = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    assert compare(X, Y, methods=["cka"], **FAST).value("cka_linear") == pytest.approx(_cka_direct(U, V), abs=1e-10)


def test_cka_invariances(rng):
    X, Y = _planted(rng)
    Q, _ = np.linalg.qr(rng.normal(size=(X.shape[1], X.shape[1])))
    assert linear_cka(X, X @ Q) == pytest.approx(1.0, abs=1e-12)
    assert linear_cka(X, X @ Q, unbiased=True) == pytest.approx(1.0, abs=1e-12)
    base = linear_cka(X, Y)
    assert linear_cka(3.7 * X @ Q, Y) == pytest.approx(base, abs=1e-12)
    assert linear_cka(X, 0.01 * Y) == pytest.approx(base, abs=1e-12)
    assert linear_cka(X @ Q, Y, unbiased=True) == pytest.approx(linear_cka(X, Y, unbiased=True), abs=1e-12)
    # not invariant to an anisotropic scaling (a sanity check that the test can fail)
    S = np.diag(np.linspace(0.1, 10, X.shape[1]))
    assert abs(linear_cka(X @ S, Y) - base) > 1e-3
    res = compare(X, X @ Q, methods=["cka", "procrustes", "retrieval", "mutual_knn"], metric="euclidean", **FAST)
    assert res.value("cka_linear") == pytest.approx(1.0, abs=1e-12)
    assert res.value("procrustes_residual") == pytest.approx(0.0, abs=1e-10)
    assert res.value("retrieval_r1") == 1.0
    assert res.value("mutual_knn", 10) == 1.0
    assert res.verdict().status == "ok"


def test_procrustes_residual_matches_scipy(rng):
    from scipy.spatial import procrustes

    X, Y = _planted(rng, d2=12)
    assert procrustes_residual(X, Y) == pytest.approx(procrustes(X, Y)[2], abs=1e-10)
    # a narrower Y is zero-padded: scipy on the padded matrix gives the same disparity
    X2, Y2 = _planted(rng, d1=9, d2=4)
    Yp = np.hstack([Y2, np.zeros((Y2.shape[0], 5))])
    assert procrustes_residual(X2, Y2) == pytest.approx(procrustes(X2, Yp)[2], abs=1e-10)


def _brute_neighbours(M, metric):
    M = np.asarray(M, dtype=np.float64)
    if metric == "cosine":
        U = M / np.linalg.norm(M, axis=1, keepdims=True)
        D = 1.0 - U @ U.T
    else:
        D = np.sqrt(((M[:, None, :] - M[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(D, np.inf)
    return D


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_mutual_knn_matches_brute_force(rng, metric):
    X, Y = _planted(rng, n=90, noise=1.0)
    DX, DY = _brute_neighbours(X, metric), _brute_neighbours(Y, metric)
    res = compare(X, Y, methods=["mutual_knn"], k=[1, 5, 10], metric=metric, **FAST)
    for k in (1, 5, 10):
        A = np.argsort(DX, axis=1, kind="stable")[:, :k]
        B = np.argsort(DY, axis=1, kind="stable")[:, :k]
        expect = np.mean([len(set(a) & set(b)) / k for a, b in zip(A, B)])
        assert res.value("mutual_knn", k) == pytest.approx(expect, abs=1e-12)


def _dadapy_imbalance(A, B, metric):
    """DADApy's definition with full neighbour lists: rank of A's first neighbour in B's ordering
    (position in the argsort of the distance row, self at position 0); Δ = mean(rank) / (N/2)."""
    N = A.shape[0]
    DA, DB = _brute_neighbours(A, metric), _brute_neighbours(B, metric)
    np.fill_diagonal(DA, -1.0)
    np.fill_diagonal(DB, -1.0)  # self first, as dist_indices[:, 0] == i
    ia = np.argsort(DA, axis=1, kind="stable")
    ib = np.argsort(DB, axis=1, kind="stable")
    ranks = [int(np.where(ib[i] == ia[i, 1])[0][0]) for i in range(N)]
    return np.mean(ranks) / (N / 2.0)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_information_imbalance_matches_the_dadapy_definition(rng, metric):
    X, Y = _planted(rng, n=80, noise=0.8)
    res = compare(X, Y, methods=["imbalance"], metric=metric, **FAST)
    assert res.value("imbalance_xy") == pytest.approx(_dadapy_imbalance(X, Y, metric), abs=1e-12)
    assert res.value("imbalance_yx") == pytest.approx(_dadapy_imbalance(Y, X, metric), abs=1e-12)
    # planted asymmetry: Y = the first 2 coordinates of X → X predicts Y better than Y predicts X
    Z = rng.normal(size=(150, 6))
    r2 = compare(Z, Z[:, :2], methods=["imbalance"], metric="euclidean", **FAST)
    assert r2.value("imbalance_xy") < r2.value("imbalance_yx")
    assert r2.value("imbalance_xy") == pytest.approx(_dadapy_imbalance(Z, Z[:, :2], "euclidean"), abs=1e-12)


def test_rsa_matches_scipy_spearman_on_pdist(rng):
    from scipy.spatial.distance import pdist
    from scipy.stats import spearmanr

    X, Y = _planted(rng, n=70)
    res = compare(X, Y, methods=["rsa"], **FAST)
    assert res.value("rsa_spearman") == pytest.approx(spearmanr(pdist(X, "cosine"), pdist(Y, "cosine"))[0], abs=1e-10)
    res = compare(X, Y, methods=["rsa"], metric="euclidean", **FAST)
    assert res.value("rsa_spearman") == pytest.approx(spearmanr(pdist(X), pdist(Y))[0], abs=1e-10)


def test_null_band_holds_the_value_for_independent_spaces_and_excludes_related_ones(rng):
    n = 160
    X = rng.normal(size=(n, 10))
    Y = rng.normal(size=(n, 6))
    res = compare(X, Y, n_bootstrap=40, n_permutations=60, seed=3, methods=["cka", "cka_unbiased", "mutual_knn", "imbalance", "procrustes", "rsa"])
    for m in res.measures:
        assert m.null_low <= m.value <= m.null_high, m
    Xr, Yr = _planted(rng, n=n)
    rel = compare(Xr, Yr, n_bootstrap=40, n_permutations=60, seed=3, methods=["cka", "mutual_knn", "imbalance", "rsa"])
    for m in rel.measures:
        assert not (m.null_low <= m.value <= m.null_high), m
        assert m.ci_low <= m.value <= m.ci_high, m
    assert res.verdict().status == "bad"


def test_mutual_knn_null_band_is_centred_on_chance(rng):
    n, k = 300, 10
    X, Y = rng.normal(size=(n, 8)), rng.normal(size=(n, 8))
    m = compare(X, Y, methods=["mutual_knn"], k=k, n_bootstrap=0, n_permutations=200, seed=1).get("mutual_knn", k)
    chance = k / (n - 1)
    assert m.null_low < chance < m.null_high
    assert m.null_high < 3 * chance


def test_seeded_and_reproducible(rng):
    X, Y = _planted(rng)
    a = compare(X, Y, n_bootstrap=20, n_permutations=20, seed=7).to_dict()
    b = compare(X, Y, n_bootstrap=20, n_permutations=20, seed=7).to_dict()
    c = compare(X, Y, n_bootstrap=20, n_permutations=20, seed=8).to_dict()
    assert a == b
    assert a["cka_linear"]["value"] == c["cka_linear"]["value"] and a["cka_linear"]["ci_low"] != c["cka_linear"]["ci_low"]


def test_replicates_on_fewer_rows_and_sampling_above_the_exact_limit(rng, monkeypatch):
    import embgeo.compare.core as core

    X, Y = _planted(rng, n=200)
    full = compare(X, Y, methods=["cka"], **FAST)
    sub = compare(X, Y, methods=["cka"], n_bootstrap=30, n_permutations=30, resample_rows=80)
    assert sub.value("cka_linear") == full.value("cka_linear")  # the value always uses every row
    assert any("values and null bands on all 200 rows; intervals from bootstrap replicates on a seeded sample of 80 rows" in n
               for n in sub.notes)
    assert sub.to_dict()["cka_linear"]["bootstrap_rows"] == 80 and sub.metrics()[0].extra["bootstrap_rows"] == 80
    monkeypatch.setattr(core, "EXACT_MAX_ROWS", 120)
    s = compare(X, Y, methods=["cka"], **FAST)
    assert s.sampled and s.n_rows == 120 and s.n_rows_in == 200
    assert any("a seeded sample of 120 of 200 rows" in n for n in s.notes)


def test_rows_join_by_id_and_mismatches_are_errors(rng):
    from embgeo.io.model import EmbeddingSet

    X, Y = _planted(rng, n=60)
    ids = np.array([f"r{i}" for i in range(60)])
    perm = rng.permutation(60)
    ex = EmbeddingSet(X, ids=ids, provenance={"file": "x.npz"})
    ey = EmbeddingSet(Y[perm], ids=ids[perm], provenance={"file": "y.npz"})
    joined = compare(ex, ey, methods=["cka", "mutual_knn"], **FAST)
    aligned = compare(X, Y, methods=["cka", "mutual_knn"], **FAST)
    assert joined.value("cka_linear") == pytest.approx(aligned.value("cka_linear"), abs=1e-12)
    assert joined.value("mutual_knn", 10) == aligned.value("mutual_knn", 10)
    assert joined.join == "id"
    shuffled_by_order = compare(X, Y[perm], methods=["cka"], **FAST)  # without ids: row order, and the geometry is lost
    assert shuffled_by_order.value("cka_linear") < 0.5
    ez = EmbeddingSet(Y[:55], ids=np.array([f"r{i}" for i in range(5, 60)]), provenance={"file": "z.npz"})
    with pytest.raises(EmbgeoError, match=r"5 of the 60 ids of x.npz are not in z.npz \(first: 'r0'"):
        compare(ex, ez, **FAST)
    with pytest.raises(EmbgeoError, match="carry row ids but"):
        compare(ex, Y, **FAST)
    rep = EmbeddingSet(Y, ids=np.array(["a"] * 2 + [f"r{i}" for i in range(2, 60)]), provenance={"file": "rep.npz"})
    with pytest.raises(EmbgeoError, match="repeated ids"):
        compare(ex, rep, **FAST)
    with pytest.raises(EmbgeoError, match="has 55 rows but"):
        compare(X, Y[:55], **FAST)
    by_order = compare(ex, Y[perm], join="row-order", methods=["cka"], **FAST)
    assert by_order.join == "row order"
    eb = EmbeddingSet(Y[perm], ids=np.array([v.encode() for v in ids[perm]]), provenance={"file": "b.npz"})  # bytes ids (h5py, npz |S)
    assert compare(ex, eb, methods=["cka"], **FAST).value("cka_linear") == pytest.approx(aligned.value("cka_linear"), abs=1e-12)


def test_prefixes_quantised_copies_and_matrices(rng):
    X, Y = _planted(rng, n=100, d1=16)
    assert prefix(X, 16).shape == X.shape and np.array_equal(prefix(X, 4), X[:, :4])
    with pytest.raises(EmbgeoError):
        prefix(X, 17)
    b = quantize(X, "binary")
    assert set(np.unique(b)) <= {-1.0, 1.0} and np.array_equal(b > 0, X > 0)
    q = quantize(X, "int8")
    assert q.min() >= -128 and q.max() <= 127 and np.array_equal(np.argsort(q[:, 0], kind="stable"), np.argsort(np.floor(q[:, 0]), kind="stable"))
    m = compare_many([X, prefix(X, 16), prefix(X, 2), quantize(X, "int8")], names=["X", "X[:16]", "X[:2]", "X@int8"],
                     pairs=[(0, 1), (0, 2), (0, 3)], kind="prefix", methods=["cka", "mutual_knn"], **FAST)
    assert m.pairs[0].value("cka_linear") == pytest.approx(1.0, abs=1e-12)
    assert m.pairs[1].value("cka_linear") < m.pairs[2].value("cka_linear")
    assert m.verdict().status in ("warn", "bad") and "X[:2]" in m.verdict().reason  # the worst copy decides
    three = compare_many([X, Y, X + 0.01 * rng.normal(size=X.shape)], names=["a", "b", "c"], methods=["cka", "imbalance"], **FAST)
    M = three.matrix("cka_linear")
    assert np.allclose(M, M.T) and np.all(np.diag(M) == 1.0) and len(three.pairs) == 3
    assert M[0, 2] > 0.99 and M[0, 2] == three.pairs[1].value("cka_linear")
    I = three.matrix("imbalance")
    assert I[0, 1] == three.pairs[0].value("imbalance_xy") and I[1, 0] == three.pairs[0].value("imbalance_yx")
    assert three.verdict().status == "info"
    rows = three.metrics()
    assert {r.extra["x"] for r in rows} == {"a", "b"} and all("null_low" in r.extra for r in rows)


def test_rbf_cka(rng):
    from embgeo.compare.cka import cka_from_gram, rbf_gram

    X, Y = _planted(rng, n=80)
    res = compare(X, Y, methods=["cka_rbf"], metric="euclidean", n_bootstrap=10, n_permutations=10)
    D = ((X[:, None] - X[None]) ** 2).sum(-1)
    s = np.median(np.sqrt(D[np.triu_indices(80, 1)]))
    K = np.exp(-D / (2 * s * s))
    E = ((Y[:, None] - Y[None]) ** 2).sum(-1)
    t = np.median(np.sqrt(E[np.triu_indices(80, 1)]))
    L = np.exp(-E / (2 * t * t))
    assert res.value("cka_rbf") == pytest.approx(_cka_direct_gram(K, L), abs=1e-10)
    assert rbf_gram(X)[1] == pytest.approx(s, rel=1e-10)
    Q, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    assert compare(X, 2 * X @ Q, methods=["cka_rbf"], metric="euclidean", **FAST).value("cka_rbf") == pytest.approx(1.0, abs=1e-9)
    assert cka_from_gram(K, K) == pytest.approx(1.0)


def _cka_direct_gram(K, L):
    n = K.shape[0]
    H = np.eye(n) - np.ones((n, n)) / n
    h = lambda A, B: np.trace(A @ H @ B @ H)  # noqa: E731
    return h(K, L) / np.sqrt(h(K, K) * h(L, L))


def test_contract_ids_and_verdict(rng):
    X, Y = _planted(rng, n=100, noise=0.05)
    res = compare(X, Y, n_bootstrap=10, n_permutations=10, k=[5, 10])
    ids = [m.metric for m in res.metrics()]
    assert ids == ["cka_linear", "cka_linear_unbiased", "mutual_knn", "mutual_knn", "imbalance_xy", "imbalance_yx",
                   "procrustes_residual", "retrieval_r1", "retrieval_r10", "rsa_spearman"]
    d = res.to_dict()
    for i in set(ids):
        assert i in d
    assert [e["k"] for e in d["mutual_knn"]] == [5, 10]
    v = res.verdict()
    assert v.decided_by in ("cka_linear", "mutual_knn")
    cka, mk = res.value("cka_linear"), res.value("mutual_knn", 10)
    expect = "ok" if cka >= 0.9 and mk >= 0.5 else ("bad" if cka < 0.5 or mk < 0.2 else "warn")
    assert v.status == expect
    assert f"{(cka if v.decided_by == 'cka_linear' else mk):.3f}" in v.reason
    only = compare(X, Y, methods=["rsa"], **FAST)
    assert only.verdict().status == "info"
    with pytest.raises(EmbgeoError, match="unknown measure"):
        compare(X, Y, methods=["nope"])


# --------------------------------------------------------------------------- CKA/Procrustes replicates on every row


@pytest.mark.parametrize("shape", [(60, 9, 5), (40, 70, 55)])  # narrow, and wider than tall (the U·S factor)
def test_permutation_replicates_equal_the_measures_of_shuffled_rows(rng, shape):
    from embgeo.compare.cka import centre, pieces_from_cross, row_factor, self_terms
    from embgeo.compare.replicates import nuclear_fast

    n, d1, d2 = shape
    X, Y = rng.normal(size=(n, d1)), rng.normal(size=(n, d2)) + 0.5 * rng.normal(size=(n, 1))
    Xc, Yc = centre(X), centre(Y)
    Fx, Fy = row_factor(Xc), row_factor(Yc)
    assert Fx.shape == (n, min(n, d1))
    for _ in range(3):
        p = rng.permutation(n)
        got = pieces_from_cross(Fx.T @ Fy[p], self_terms(Xc), self_terms(Yc), perm=p, nuclear=nuclear_fast)
        Yp = Y[p]
        assert got["cka_linear"] == pytest.approx(_cka_direct(Xc, centre(Yp)), abs=1e-10)
        assert got["cka_linear_unbiased"] == pytest.approx(_cka_unbiased_direct(X, Yp), abs=1e-10)
        assert got["procrustes_residual"] == pytest.approx(procrustes_residual(X, Yp), abs=1e-10)


def test_null_bands_use_every_row_above_resample_rows(rng):
    """Biased CKA of unrelated spaces falls with n: a band from permutations of fewer rows lay above the value."""
    n = 900
    X, Y = rng.normal(size=(n, 30)), rng.normal(size=(n, 20))
    res = compare(X, Y, methods=["cka", "cka_unbiased", "procrustes"], metric="euclidean", n_bootstrap=20, n_permutations=60, resample_rows=150, seed=2)
    for m in res.measures:
        assert m.null_low <= m.value <= m.null_high, m
        assert m.ci_low <= m.value <= m.ci_high, m
        assert m.boot_rows == 150 and m.rows == n
    # the permutation law of tr(KHLH) has mean tr(K̃)tr(L̃)/(n−1): the band sits around it
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    mean_null = (Xc ** 2).sum() * (Yc ** 2).sum() / (n - 1) / np.sqrt(((Xc.T @ Xc) ** 2).sum() * ((Yc.T @ Yc) ** 2).sum())
    cka = res.get("cka_linear")
    assert cka.null_low < mean_null < cka.null_high


def test_float32_inputs_take_float32_permutation_products(rng):
    """float32 inputs: the values are float64 as always, the null replicates' cross-products float32 (≤ 1e-5 apart)."""
    X = rng.normal(size=(300, 24)).astype(np.float32)
    Y = (X[:, :12] + rng.normal(size=(300, 12))).astype(np.float32)
    kw = dict(methods=["cka", "cka_unbiased", "procrustes"], n_bootstrap=0, n_permutations=40, seed=1)
    a, b = compare(X, Y, **kw), compare(X.astype(np.float64), Y.astype(np.float64), **kw)
    for ma, mb in zip(a.measures, b.measures):
        assert ma.value == pytest.approx(mb.value, abs=1e-12)
        assert ma.null_low == pytest.approx(mb.null_low, abs=1e-5) and ma.null_high == pytest.approx(mb.null_high, abs=1e-5)


def test_bootstrap_interval_known_answers(rng):
    """X against X·Q·s: every replicate is 1 (interval [1, 1]); a Gaussian pair with a population CKA
    in closed form: the m-out-of-n interval (m = n/4) is as wide as the all-row bootstrap and covers it."""
    X = rng.normal(size=(500, 6))
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    r = compare(X, 3.0 * X @ Q, methods=["cka", "cka_unbiased", "procrustes"], metric="euclidean", n_bootstrap=30, n_permutations=0, resample_rows=100)
    for m in r.measures:
        ideal = 0.0 if m.metric == "procrustes_residual" else 1.0
        assert m.value == pytest.approx(ideal, abs=1e-10) and m.ci_low == pytest.approx(ideal, abs=1e-9) and m.ci_high == pytest.approx(ideal, abs=1e-9)
    s, noise = np.array([4.0, 2.0, 1.0, 0.5]), 1.0  # Σ_X = diag(s), Y = X + noise: CKA = ‖Σ_XY‖²/(‖Σ_X‖‖Σ_Y‖)
    pop = (s ** 2).sum() / np.sqrt((s ** 2).sum() * ((s + noise) ** 2).sum())
    covered, ratio = 0, []
    for seed in range(12):
        g = np.random.default_rng(seed)
        A = g.normal(size=(1000, 4)) * np.sqrt(s)
        B = A + np.sqrt(noise) * g.normal(size=A.shape)
        kw = dict(methods=["cka_unbiased"], metric="euclidean", n_bootstrap=60, n_permutations=0, seed=seed)
        sub = compare(A, B, resample_rows=250, **kw).get("cka_linear_unbiased")
        full = compare(A, B, resample_rows=1000, **kw).get("cka_linear_unbiased")
        assert sub.ci_low <= sub.value <= sub.ci_high and sub.value == full.value
        covered += sub.ci_low <= pop <= sub.ci_high
        ratio.append((sub.ci_high - sub.ci_low) / (full.ci_high - full.ci_low))
    assert covered >= 10  # nominal 95 %; observed ≈ 90 % for the percentile bootstrap at these n (40 seeds, all-row and m-out-of-n alike)
    assert 0.8 < np.mean(ratio) < 1.25


def test_sign_codes_search_is_exact_and_thread_independent():
    """A binary-quantised copy has many exactly tied neighbours: they are searched as ±1 codes by
    integer inner products, so every list is a valid Hamming top-k (brute force) and the lists do
    not depend on the BLAS's thread count (near-ties decided by rounding would)."""
    from threadpoolctl import threadpool_limits

    from embgeo.compare.core import quantize
    from embgeo.compare.neighbours import neighbour_lists, search_input

    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 24))
    B = quantize(X, "binary")
    unit = (B / np.linalg.norm(B, axis=1, keepdims=True)).astype(np.float32)
    M, metric = search_input(unit, "cosine")
    assert metric == "dot" and set(np.unique(M)) == {-1.0, 1.0}
    with threadpool_limits(1):
        one, _ = neighbour_lists(unit, 7, metric="cosine")
    with threadpool_limits(2):
        two, _ = neighbour_lists(unit, 7, metric="cosine")
    np.testing.assert_array_equal(one, two)
    bits = (B > 0).astype(np.int64)
    ham = (bits[:, None, :] != bits[None, :, :]).sum(-1)
    np.fill_diagonal(ham, 10 ** 6)
    best = np.sort(ham, axis=1)[:, :7]
    got = np.take_along_axis(ham, one, axis=1)
    np.testing.assert_array_equal(got, best)  # the k smallest Hamming distances, in order
    assert (got[:, 1:] - got[:, :-1] >= 0).all() and len({tuple(r) for r in one.tolist()}) == 300
    assert search_input(X.astype(np.float32), "cosine")[1] == "cosine"  # other data: unchanged
