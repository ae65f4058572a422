"""Library argument checks of rank_axes / score_axis / compare / the intrinsic results: every invalid
argument raises an EmbgeoError naming it (no raw numpy/sklearn/torch error, no silent truncation),
and valid calls give the numbers they gave before."""
from __future__ import annotations

import json

import numpy as np
import pytest

import embgeo as eg
from embgeo.errors import EmbgeoError
from embgeo.rank.core import rank_axes, score_axis
from embgeo.rank.layers import rank_layers
from embgeo.rank.ordering import ordering_metrics

RANK = dict(n_bootstrap=50, mlp=False, methods=("regression",))
FAST = dict(n_bootstrap=0, baselines=False, methods=("regression",))
CMP = dict(methods=["cka"], n_bootstrap=5, n_permutations=5)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 150
    X = rng.normal(size=(n, 12))
    Y = X + 0.2 * rng.normal(size=(n, 12))
    return X, Y


# --------------------------------------------------------------------------- 1. confidence


@pytest.mark.parametrize("conf", [0, -1, 1, 95, 1.5, float("nan"), "0.9", None, True])
def test_rank_confidence_refused(data, conf):
    X, _ = data
    with pytest.raises(EmbgeoError, match="confidence"):
        rank_axes(X, X[:, 0], confidence=conf, **RANK)


@pytest.mark.parametrize("conf", [0, -1, 95, "0.9", float("nan")])
def test_compare_confidence_refused(data, conf):
    X, Y = data
    with pytest.raises(EmbgeoError, match="confidence"):
        eg.compare(X, Y, confidence=conf, **CMP)


def test_score_axis_and_ordering_metrics_confidence(data):
    X, _ = data
    with pytest.raises(EmbgeoError, match="confidence"):
        score_axis(X, X[:, 0], np.eye(12)[0], confidence=95, n_random=10)
    with pytest.raises(EmbgeoError, match="confidence"):
        ordering_metrics(X[:, 0], X[:, 1], confidence=0)
    with pytest.raises(EmbgeoError, match="n_bootstrap"):
        ordering_metrics(X[:, 0], X[:, 1], n_bootstrap=2.5)


# --------------------------------------------------------------------------- 2. inf in y


@pytest.mark.parametrize("val", [np.inf, -np.inf])
def test_rank_inf_attribute_refused(data, val):
    X, _ = data
    y = X[:, 0].copy()
    y[[7, 30]] = val
    with pytest.raises(EmbgeoError, match=r"inf on 2 rows \(rows 7, 30\)"):
        rank_axes(X, y, **FAST)
    with pytest.raises(EmbgeoError, match=r"rows 7, 30"):
        score_axis(X, y, np.eye(12)[0], n_random=10, n_bootstrap=0)


def test_rank_nan_still_missing(data):
    X, _ = data
    y = X[:, 0].copy()
    y[:10] = np.nan
    r = rank_axes(X, y, **FAST)
    assert r.n_missing == 10 and r.n_rows == 140 and r.n_rows_in == 150


# --------------------------------------------------------------------------- 3. anchors


def test_anchor_rows_refused(data):
    X, _ = data
    low, high = X[:2], X[2:4]
    kw = dict(methods=("anchors",), anchor_low=low, anchor_high=high, baselines=False, n_bootstrap=0)
    with pytest.raises(EmbgeoError, match=r"anchor_rows holds row 500, outside 0…149"):
        rank_axes(X, X[:, 0], anchor_rows=[500, -1], **kw)
    with pytest.raises(EmbgeoError, match=r"anchor_rows holds row -1"):
        rank_axes(X, X[:, 0], anchor_rows=[1, -1], **kw)
    with pytest.raises(EmbgeoError, match=r"anchor_rows must be integer row numbers, got 1.7"):
        rank_axes(X, X[:, 0], anchor_rows=[1.7, 2.2], **kw)
    ok = rank_axes(X, X[:, 0], anchor_rows=[0, 1, 2, 3], **kw)
    assert ok.methods["anchors"].n_heldout == 146


@pytest.mark.parametrize("arg", ["anchor_low", "anchor_high", "anchor_rows"])
def test_anchor_arguments_without_anchor_method(data, arg):
    X, _ = data
    value = [0, 1] if arg == "anchor_rows" else X[:2]
    with pytest.raises(EmbgeoError, match=f"{arg} given but methods has neither 'anchors' nor 'anchors_best'"):
        rank_axes(X, X[:, 0], **{arg: value}, **FAST)


def test_anchors_best_needs_both_ends(data):
    X, _ = data
    with pytest.raises(EmbgeoError, match="anchor_low given without anchor_high"):
        rank_axes(X, X[:, 0], methods=("anchors_best",), anchor_low=X[:2], baselines=False, n_bootstrap=0)


# --------------------------------------------------------------------------- 4. rbf_sigma


@pytest.mark.parametrize("sigma", [0, -1, float("nan"), float("inf"), "1"])
def test_compare_rbf_sigma_refused(data, sigma):
    X, Y = data
    with pytest.raises(EmbgeoError, match="rbf_sigma must be a"):
        eg.compare(X, Y, methods=["cka_rbf"], rbf_sigma=sigma, n_bootstrap=0, n_permutations=0)


# --------------------------------------------------------------------------- 5. compare seed


def test_compare_seed_forms(data):
    X, Y = data
    a = eg.compare(X, Y, seed=3, **CMP)
    assert a.seed == 3 and a.to_dict()["seed"] == 3
    g = eg.compare(X, Y, seed=np.random.default_rng(0), **CMP)
    assert g.seed is None and g.to_dict()["seed"] is None
    g2 = eg.compare(X, Y, seed=np.random.default_rng(0), **CMP)
    assert g.value("cka_linear") == a.value("cka_linear")  # the value does not depend on the seed
    assert g.get("cka_linear").ci_low == g2.get("cka_linear").ci_low  # one Generator state → one result
    u = eg.compare(X, Y, seed=None, **CMP)
    assert u.seed is None and np.isfinite(u.value("cka_linear"))
    from embgeo.compare import compare_many

    m = compare_many([X, Y], seed=5, **CMP)
    assert m.to_dict()["seed"] == 5
    json.dumps(a.to_dict(), allow_nan=False)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_compare_bad_seed(data, seed):
    X, Y = data
    with pytest.raises(EmbgeoError, match="seed must be a non-negative integer"):
        eg.compare(X, Y, seed=seed, **CMP)


def test_compare_unseeded_sample_note(data):
    X, Y = data
    r = eg.compare(X, Y, seed=None, sample=50, **CMP)
    assert r.n_rows == 50 and any("unseeded" in n for n in r.notes)


# --------------------------------------------------------------------------- 6. counts and types


@pytest.mark.parametrize("kw, name", [
    ({"k": 10.5, "methods": ["mutual_knn"]}, "k"),
    ({"k": "10", "methods": ["mutual_knn"]}, "k"),
    ({"k": (5, 0), "methods": ["mutual_knn"]}, "k"),
    ({"k": (), "methods": ["mutual_knn"]}, "k"),
    ({"n_bootstrap": "x"}, "n_bootstrap"),
    ({"n_bootstrap": 2.5}, "n_bootstrap"),
    ({"n_bootstrap": -1}, "n_bootstrap"),
    ({"n_permutations": -3}, "n_permutations"),
    ({"sample": -1}, "sample"),
    ({"sample": 50.7}, "sample"),
    ({"sample": 2}, "sample"),
    ({"rsa_rows": 100.5, "methods": ["rsa"]}, "rsa_rows"),
    ({"resample_rows": 5}, "resample_rows"),
])
def test_compare_counts_refused(data, kw, name):
    X, Y = data
    kwargs = {**CMP, **kw}
    with pytest.raises(EmbgeoError, match=f"^{name} "):
        eg.compare(X, Y, **kwargs)


@pytest.mark.parametrize("kw, name", [
    ({"n_pcs": 0}, "n_pcs"),
    ({"n_pcs": 2.5}, "n_pcs"),
    ({"k": 0}, "k"),
    ({"k": 3.5}, "k"),
    ({"n_bootstrap": -5}, "n_bootstrap"),
    ({"n_bootstrap": 2.5}, "n_bootstrap"),
    ({"n_shuffles": -1}, "n_shuffles"),
    ({"n_random": 0}, "n_random"),
    ({"repeats": -2, "methods": ("fewshot",)}, "repeats"),
    ({"repeats": 0, "methods": ("fewshot",)}, "repeats"),
    ({"shots": "2,4", "methods": ("fewshot",)}, "shots"),
    ({"shots": (2.5,), "methods": ("fewshot",)}, "shots"),
    ({"shots": (1, 4), "methods": ("fewshot",)}, "shots"),
    ({"shots": (), "methods": ("fewshot",)}, "shots"),
    ({"mlp_hidden": 0}, "mlp_hidden"),
    ({"max_pairs": 10.5, "methods": ("pairwise",)}, "max_pairs"),
    ({"n_anchor_pairs": 0, "methods": ("anchors_best",)}, "n_anchor_pairs"),
    ({"quantile": "0.1"}, "quantile"),
    ({"quantile": 0.7}, "quantile"),
    ({"validation": 1.5}, "validation"),
    ({"n_folds": 5.0}, "n_folds"),
])
def test_rank_counts_refused(data, kw, name):
    X, _ = data
    kwargs = {"methods": ("regression",), "n_bootstrap": 0, "mlp": False, "n_random": 20, "n_shuffles": 10, **kw}
    with pytest.raises(EmbgeoError, match=f"^{name} "):
        rank_axes(X, X[:, 0], **kwargs)


@pytest.mark.parametrize("y", [np.array(["high", "low"] * 75), ["high", "low"] * 75, np.array(["1.0", "2.0"] * 75), [1.0, "x"] * 75])
def test_rank_text_attribute_refused(data, y):
    X, _ = data
    with pytest.raises(EmbgeoError, match="must hold numbers"):
        rank_axes(X, y, **FAST)
    with pytest.raises(EmbgeoError, match="must hold numbers"):
        rank_layers([X, X], y, baselines=False, n_bootstrap=0)


def test_rank_attribute_length(data):
    X, _ = data
    with pytest.raises(EmbgeoError, match="the attribute has 10 values for 150 rows"):
        rank_axes(X, X[:10, 0], **FAST)


# --------------------------------------------------------------------------- 7. one string of methods


def test_rank_methods_string(data):
    X, _ = data
    a = rank_axes(X, X[:, 0], methods="regression", baselines=False, n_bootstrap=20)
    b = rank_axes(X, X[:, 0], methods=("regression",), baselines=False, n_bootstrap=20)
    assert list(a.methods) == ["regression"] and a.methods["regression"].spearman == b.methods["regression"].spearman
    c = rank_axes(X, X[:, 0], methods="regression,extremes", baselines=False, n_bootstrap=0)
    assert set(c.methods) == {"regression", "extremes"}
    with pytest.raises(EmbgeoError, match="unknown method 'regresion'"):
        rank_axes(X, X[:, 0], methods="regresion", **{k: v for k, v in FAST.items() if k != "methods"})


def test_compare_methods_string(data):
    X, Y = data
    a = eg.compare(X, Y, methods="cka", n_bootstrap=5, n_permutations=5)
    b = eg.compare(X, Y, methods=["cka"], n_bootstrap=5, n_permutations=5)
    assert [m.metric for m in a.measures] == ["cka_linear"] and a.to_dict() == b.to_dict()
    c = eg.compare(X, Y, methods="cka,rsa", n_bootstrap=0, n_permutations=0)
    assert {m.metric for m in c.measures} == {"cka_linear", "rsa_spearman"}
    with pytest.raises(EmbgeoError, match="unknown measure 'ckx'"):
        eg.compare(X, Y, methods="ckx")


def test_intrinsic_methods_string(data):
    X, _ = data
    a = eg.intrinsic_dimension(X, methods="twonn", n_bootstrap=0, peers=False)
    b = eg.intrinsic_dimension(X, methods=("twonn",), n_bootstrap=0, peers=False)
    assert a.methods == ("twonn",) and a.twonn.dimension == b.twonn.dimension


# --------------------------------------------------------------------------- 8. JSON of the intrinsic results


def test_mle_gride_to_dict_json(data):
    X, _ = data
    d = eg.mle_dimension(X, n_bootstrap=0).to_dict()
    assert d["ci_low"] is None and d["ci_high"] is None
    json.dumps(d, allow_nan=False)
    from embgeo.intrinsic.estimators import GrideResult

    g = GrideResult(np.array([1, 2]), np.array([2, 4]), np.array([3.0, np.nan]), np.array([0.1, np.nan]), np.array([1.0, 2.0]), 10)
    gd = g.to_dict()
    assert gd["scales"][1]["dimension"] is None
    json.dumps(gd, allow_nan=False)


# --------------------------------------------------------------------------- valid calls unchanged


def test_valid_rank_numbers_unchanged(data):
    """Pinned numbers of valid calls (computed before the checks were added)."""
    X, _ = data
    r = rank_axes(X, X[:, 0], confidence=0.9, **RANK)
    m = r.methods["regression"]
    assert m.spearman == pytest.approx(PINNED["rank_rho"], abs=1e-12)
    assert m.spearman_ci == pytest.approx(PINNED["rank_ci"], abs=1e-12)
    f = rank_axes(X, X[:, 0], methods=("fewshot",), shots=(2, 4), repeats=2, baselines=False, n_bootstrap=0)
    assert f.fewshot.spearman == pytest.approx(PINNED["fewshot"], abs=1e-12)
    a = rank_axes(X, X[:, 0], methods=("anchors",), anchor_low=X[:2], anchor_high=X[2:4], anchor_rows=[0, 1, 2, 3],
                  baselines=False, n_bootstrap=0)
    assert a.methods["anchors"].spearman == pytest.approx(PINNED["anchors"], abs=1e-12)


def test_valid_compare_numbers_unchanged(data):
    X, Y = data
    r = eg.compare(X, Y, methods=["cka", "mutual_knn", "cka_rbf"], k=(5, 10), n_bootstrap=10, n_permutations=10, confidence=0.9, seed=0)
    got = [(m.metric, m.k, m.value, m.ci_low, m.ci_high, m.null_low, m.null_high) for m in r.measures]
    assert len(got) == len(PINNED["compare"])
    for g, p in zip(got, PINNED["compare"]):
        assert g[:2] == tuple(p[:2]) and g[2:] == pytest.approx(p[2:], abs=1e-12)


PINNED: dict = {'rank_rho': 0.9880705809147073, 'rank_ci': [0.982141130478198, 0.9908866098259587], 'fewshot': 0.42820912124582866, 'anchors': 0.38828338137333346, 'compare': [['cka_linear', None, 0.9617866535943833, 0.958875920791266, 0.9652690967946619, 0.05967684291300936, 0.0829774293176332], ['cka_rbf', None, 0.9629868710434527, 0.9617221267009414, 0.9644430334754744, 0.10786310826195207, 0.12579297421489985], ['mutual_knn', 5, 0.704, 0.6945333333333332, 0.7127333333333332, 0.021400000000000002, 0.04233333333333333], ['mutual_knn', 10, 0.7606666666666666, 0.7545333333333333, 0.7748666666666667, 0.06199999999999999, 0.07583333333333332]]}
