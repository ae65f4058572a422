"""The Layer-by-Layer metric suite against independent direct implementations (to 1e-10)
and hand-checkable cases."""
from __future__ import annotations

import math

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.layers import (
    curvature, dataset_entropy, dime, infonce, lda_matrix, lidar, normalise_entropy, prompt_entropies, reference_entropy,
    reference_pool,
)

TOL = 1e-10


def _normalise_loop(X):
    """Centre and unit-normalise rows, written out row by row."""
    X = np.array(X, dtype=np.float64)
    n, d = X.shape
    mean = [sum(X[i, j] for i in range(n)) / n for j in range(d)]
    Z = np.empty_like(X)
    for i in range(n):
        row = [X[i, j] - mean[j] for j in range(d)]
        nr = math.sqrt(sum(v * v for v in row))
        Z[i] = [v / nr for v in row]
    return Z


def _entropy_direct(X, alpha, norm):
    """Reference steps with explicit loops: normalised rows, Gram of the smaller side with
    entries clamped at 0, divided by its trace, eigenvalues > 0 renormalised, α-entropy."""
    Z = _normalise_loop(X)
    n, d = Z.shape
    m = d if n > d else n
    K = np.zeros((m, m))
    for a in range(m):
        for b in range(m):
            if n > d:
                s = sum(Z[i, a] * Z[i, b] for i in range(n))
            else:
                s = sum(Z[a, j] * Z[b, j] for j in range(d))
            K[a, b] = max(s, 0.0)
    K /= sum(K[i, i] for i in range(m))
    lam = [v for v in np.linalg.eigh(K)[0] if v > 0]
    tot = sum(lam)
    p = [v / tot for v in lam]
    H = -sum(v * math.log(v) for v in p) if alpha == 1 else math.log(sum(v**alpha for v in p)) / (1 - alpha)
    den = {"maxEntropy": min(math.log(n), math.log(d)), "logN": math.log(n), "logD": math.log(d), "raw": 1.0}[norm]
    return H / den


@pytest.mark.parametrize("shape", [(12, 30), (40, 6)])  # N ≤ D (N×N Gram) and N > D (D×D)
@pytest.mark.parametrize("alpha", [1.0, 2.0, 0.5])
@pytest.mark.parametrize("norm", ["maxEntropy", "logN", "logD", "raw"])
def test_entropy_equals_direct_eigenvalues(shape, alpha, norm):
    X = np.random.default_rng(1).normal(size=shape) + 3.0
    assert abs(reference_entropy(X, alpha=alpha, norm=norm) - _entropy_direct(X, alpha, norm)) < TOL


def test_entropy_simplex_is_maximal():
    # rows e_1..e_N: centred and normalised they have pairwise cosine −1/(N−1), clamped to 0,
    # so K = I/N and the entropy is log N: maxEntropy-normalised exactly 1 for every alpha
    for alpha in (1.0, 2.0, 3.0):
        assert abs(reference_entropy(np.eye(7), alpha=alpha) - 1.0) < TOL
        assert abs(reference_entropy(np.eye(7), alpha=alpha, norm="raw") - math.log(7)) < TOL


def test_entropy_alpha2_is_frobenius_when_positive_definite():
    X = np.random.default_rng(2).normal(size=(8, 200))
    from embgeo.layers.entropy import clamped_gram, reference_normalise

    K = clamped_gram(reference_normalise(X))
    assert np.linalg.eigvalsh(K).min() > 0
    assert abs(reference_entropy(X, alpha=2.0, norm="raw") + math.log(np.sum(K * K))) < TOL


def test_prompt_and_dataset_entropy():
    rng = np.random.default_rng(3)
    clouds = [rng.normal(size=(t, 10)) for t in (5, 9, 14)]
    pe = prompt_entropies(clouds, alpha=1.0, norm="maxEntropy")
    assert np.allclose(pe, [_entropy_direct(c, 1.0, "maxEntropy") for c in clouds], atol=TOL, rtol=0)
    assert np.isnan(prompt_entropies([np.ones((1, 10))])[0])  # one token: a zero cloud after centring
    pooled = reference_pool(clouds)
    assert np.allclose(pooled, np.stack([_normalise_loop(c).mean(axis=0) for c in clouds]), atol=TOL, rtol=0)
    # dataset entropy: steps 2-6 on the pooled rows, no second normalisation
    P = pooled
    K = np.maximum(P @ P.T, 0)
    K /= np.trace(K)
    lam = np.linalg.eigvalsh(K)
    lam = lam[lam > 0] / lam[lam > 0].sum()
    want = -np.sum(lam * np.log(lam)) / min(math.log(3), math.log(10))
    assert abs(dataset_entropy(pooled) - want) < TOL


def test_entropy_norms_and_errors():
    assert normalise_entropy(2.0, "logNlogD", 10, 100) == pytest.approx(2.0 / (math.log(10) * math.log(100)), abs=TOL)
    with pytest.raises(EmbgeoError, match="normalisation"):
        reference_entropy(np.eye(3), norm="log2")
    with pytest.raises(EmbgeoError, match="alpha"):
        reference_entropy(np.eye(3), alpha=0)


# ------------------------------------------------------------------ curvature

def _curvature_loop(X):
    X = [list(map(float, r)) for r in X]
    total, count = 0.0, 0
    for k in range(1, len(X) - 1):
        v = [X[k][j] - X[k - 1][j] for j in range(len(X[0]))]
        w = [X[k + 1][j] - X[k][j] for j in range(len(X[0]))]
        nv, nw = math.sqrt(sum(a * a for a in v)), math.sqrt(sum(a * a for a in w))
        if nv == 0 or nw == 0:
            total += 0.0
        else:
            c = abs(sum(a * b for a, b in zip(v, w))) / (nv * nw)
            total += math.acos(max(-1.0, min(1.0, c)))
        count += 1
    return total / count


def test_curvature_equals_loop():
    X = np.random.default_rng(4).normal(size=(25, 12))
    assert abs(curvature(X, preprocess=False) - _curvature_loop(X)) < TOL
    assert abs(curvature(X) - _curvature_loop(_normalise_loop(X))) < TOL  # the reference's normalised tokens


def test_curvature_hand_cases():
    t = np.arange(10.0)[:, None]
    line = np.array([1.0, -2.0, 0.5]) + t * np.array([0.3, 0.1, -0.7])
    assert curvature(line, preprocess=False) < 1e-12  # exactly 0 up to the rounding of the differences
    assert curvature(line) < 1e-12  # normalised, a line folds onto ±u: zero or parallel differences
    stairs = np.array([[0, 0], [1, 0], [1, 1], [2, 1], [2, 2], [3, 2]], dtype=float)
    assert abs(curvature(stairs, preprocess=False) - math.pi / 2) < TOL
    assert math.isnan(curvature(np.ones((2, 3)), preprocess=False))


# ------------------------------------------------------------------ InfoNCE

def test_infonce_equals_cross_entropy():
    import torch

    rng = np.random.default_rng(5)
    A = rng.normal(size=(30, 16)) / 4
    B = A + 0.3 * rng.normal(size=A.shape) / 4
    for tau in (0.1, 0.5):
        loss, mi = infonce(A, B, temperature=tau)
        ce = torch.nn.functional.cross_entropy(torch.tensor(A @ B.T / tau), torch.arange(30)).item()
        assert abs(loss - ce) < TOL
        assert abs(mi - (1 - ce / math.log(30))) < TOL


def test_infonce_identical_views_reach_the_optimum():
    # identical orthonormal views: L = log(1 + (N−1) e^{−1/τ}), the least any unit-norm pairing gives,
    # and 1 − L/log N → 1 as τ → 0
    N = 8
    A = np.linalg.qr(np.random.default_rng(6).normal(size=(20, N)))[0].T
    loss, mi = infonce(A, A, temperature=0.1)
    assert abs(loss - math.log(1 + (N - 1) * math.exp(-10))) < TOL
    assert mi > 0.999
    assert infonce(A, A, temperature=0.01)[1] > mi
    # any other assignment of the same rows scores worse
    assert infonce(A, A[np.roll(np.arange(N), 1)], temperature=0.1)[0] > loss + 9


# ------------------------------------------------------------------ LiDAR and DiME

def test_lidar_equals_formula():
    from scipy.linalg import fractional_matrix_power

    rng = np.random.default_rng(7)
    N, A, D = 15, 3, 6
    V = rng.normal(size=(N, 1, D)) + 0.4 * rng.normal(size=(N, A, D))
    mu = V.mean(axis=(0, 1))
    Sb = sum(np.outer(V[i].mean(0) - mu, V[i].mean(0) - mu) for i in range(N)) / N
    Sw = sum(np.outer(V[i, j] - V[i].mean(0), V[i, j] - V[i].mean(0)) for i in range(N) for j in range(A)) / (N * A)
    Sw = Sw + 1e-4 * np.eye(D)
    W = np.real(fractional_matrix_power(Sw, -0.5))
    M = W @ Sb @ W
    assert np.allclose(lda_matrix(V), M, atol=TOL, rtol=0)
    lam = np.linalg.eigvalsh(M)
    lam = lam[lam > 0] / lam[lam > 0].sum()
    H = -np.sum(lam * np.log(lam))
    val, rank = lidar(V)
    assert abs(val - H / min(math.log(N), math.log(D))) < TOL
    assert abs(rank - math.exp(H)) < TOL
    H2 = -math.log(np.sum(lam**2))
    assert abs(lidar(V, alpha=2, norm="raw")[0] - H2) < TOL


def test_lidar_needs_two_augmentations():
    with pytest.raises(EmbgeoError, match="at least 2"):
        lidar(np.zeros((5, 1, 3)))


def _alpha_entropy(M):
    lam = np.linalg.eigh(M)[0]
    lam = lam[lam > 0] / lam[lam > 0].sum()
    return -float(np.sum(lam * np.log(lam)))


def test_dime_equals_direct():
    rng = np.random.default_rng(8)
    A = rng.normal(size=(12, 5))
    B = A + 0.5 * rng.normal(size=A.shape)
    Ka = np.array([[A[i] @ A[j] for j in range(12)] for i in range(12)])
    Kb = np.array([[B[i] @ B[j] for j in range(12)] for i in range(12)])
    H = _alpha_entropy(Ka * Kb)
    perm_rng = np.random.default_rng(11)
    Hp = np.mean([_alpha_entropy(Ka * Kb[np.ix_(p, p)]) for p in [perm_rng.permutation(12) for _ in range(10)]])
    assert abs(dime(A, B, seed=11, norm="raw") - (Hp - H)) < TOL
    assert abs(dime(A, B, seed=11) - (Hp - H) / min(math.log(12), math.log(5))) < TOL
    # shared structure: paired views give a larger DiME than unrelated ones
    assert dime(A, A, seed=1) > dime(A, rng.normal(size=A.shape), seed=1)


# ------------------------------------------------------------------ best layer for a task

def test_probe_and_label_overlap_against_direct():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from embgeo.layers.task import label_overlap, probe_accuracy

    rng = np.random.default_rng(9)
    y = np.repeat(np.arange(3), 20)
    X = rng.normal(size=(60, 5)) + y[:, None] * 0.8
    want = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), X, y,
                           cv=StratifiedKFold(5, shuffle=True, random_state=4)).mean()
    assert abs(probe_accuracy(X, y, seed=4) - want) < TOL
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    np.fill_diagonal(D, np.inf)
    share = [np.mean(y[np.argsort(D[i], kind="stable")[:7]] == y[i]) for i in range(60)]
    assert abs(label_overlap(X, y.astype(str), k=7) - np.mean(share)) < TOL


def test_best_layer_for_a_planted_task():
    from embgeo.layers import layer_suite

    rng = np.random.default_rng(10)
    n = 150
    a = rng.normal(size=n)
    L0 = rng.normal(size=(n, 8))
    L1 = L0.copy()
    L1[:, 2] += 4 * a  # the attribute and the classes live in layer 1 only
    res = layer_suite([L0, L1], attribute=a, classes=np.where(a > 0, "hi", "lo"), seed=0)
    rho = res.values["rank_spearman"]
    assert abs(rho[0]) < 0.3 and rho[1] > 0.9
    lo, hi = res.intervals["rank_spearman"]
    assert lo[1] <= rho[1] <= hi[1]
    assert res.values["probe_accuracy"][1] > 0.8 > 0.7 > res.values["probe_accuracy"][0]
    assert res.values["label_overlap"][1] > res.values["label_overlap"][0]
    v = res.verdict()
    assert v.decided_by == "probe_accuracy" and "layer1" in v.reason
    row = [m for m in res.metrics() if m.metric == "rank_spearman"][1]
    assert row.ci_low == lo[1] and row.extra == {"layer": "layer1"}
    assert res.to_dict()["layers"][1]["rank_spearman"]["ci_high"] == hi[1]


def test_cli_layers_class_and_attribute(tmp_path, run_cli):
    import json

    rng = np.random.default_rng(11)
    n = 60
    a = rng.normal(size=n)
    S = rng.normal(size=(2, n, 6))
    S[1, :, 0] += 3 * a
    np.save(tmp_path / "s.npy", S)
    (tmp_path / "l.csv").write_text("a,c\n" + "".join(f"{v},{'x' if v > 0 else 'y'}\n" for v in a))
    r = run_cli(["layers", tmp_path / "s.npy", "--labels", tmp_path / "l.csv", "--attr", "a", "--class", "c", "-f", "json"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["verdict"]["decided_by"] == "probe_accuracy" and "layer1" in doc["verdict"]["reason"]
    assert doc["settings"]["class"] == "c" and doc["settings"]["folds"] == 5
    r = run_cli(["layers", tmp_path / "s.npy", "--labels", tmp_path / "l.csv", "--attr", "c"])
    assert r.code == 2 and "not numeric" in r.stderr


def test_layer_suite_arguments_are_not_ignored_or_crashing():
    """views and groups together are refused (groups were ignored); one ndarray view stack is a list of one;
    a Generator seed works for the probe (it raised a raw TypeError in int(seed))."""
    from embgeo.errors import EmbgeoError
    from embgeo.layers import layer_suite

    rng = np.random.default_rng(0)
    S = rng.normal(size=(2, 60, 6))
    V = S + 0.01 * rng.normal(size=S.shape)
    with pytest.raises(EmbgeoError, match="views and groups"):
        layer_suite(S, views=[V], groups=np.arange(60) // 2)
    one = layer_suite(S, views=V)
    assert np.allclose(one.values["infonce"], layer_suite(S, views=[V]).values["infonce"])
    labels = np.arange(60) % 3
    a = layer_suite(S, classes=labels, seed=np.random.default_rng(5)).values["probe_accuracy"]
    assert np.all((a >= 0) & (a <= 1))


def test_layer_suite_says_when_it_cuts_the_folds_and_refuses_k_of_the_rows():
    from embgeo.errors import EmbgeoError
    from embgeo.layers import layer_suite

    rng = np.random.default_rng(1)
    S = rng.normal(size=(2, 40, 5))
    labels = np.r_[np.zeros(37, int), np.ones(3, int)]  # the smallest class has 3 rows
    res = layer_suite(S, classes=labels, n_folds=5, k=39)
    assert any("3-fold cross-validation, not 5" in n for n in res.notes)
    assert not any("neighbours, not" in n for n in res.notes)  # k = 39 < 40 rows: used as given
    with pytest.raises(EmbgeoError, match=r"^k=40 needs more than 40 rows, got 40 \(lower k\)"):
        layer_suite(S, classes=labels, n_folds=5, k=40)  # k ≥ the rows: refused (as cosine and compare refuse it), not lowered
    assert not any("fold" in n for n in layer_suite(S, classes=np.arange(40) % 2, n_folds=5).notes)
