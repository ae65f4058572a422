"""The Python face of rank and layers after the API audit: one name per setting (``k``, ``n_folds``,
``entropy_alpha``/``entropy_norm``; the former names work with a DeprecationWarning), the kNN ceiling's k as
used, row counts that mean what the JSON's keys mean, and one-line EmbgeoErrors for bad input to the
ordering metrics and the Layer-by-Layer helpers (never a raw numpy error or a silently wrong number)."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.layers import (
    block_shuffle, curvature, dataset_entropy, dime, infonce, layer_suite, lidar, pairwise_cosine, reference_entropy,
)
from embgeo.rank.core import rank_axes, score_axis
from embgeo.rank.layers import rank_layers
from embgeo.rank.ordering import kendall_tau, ordering_metrics, pairwise_accuracy, spearman

FAST = dict(methods=("regression",), n_random=20, n_shuffles=10, n_bootstrap=0, mlp=False, seed=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 6))
    y = X[:, 0] + 0.3 * rng.standard_normal(60)
    return X, y


def _no_warnings(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        return fn()


# --------------------------------------------------------------------------- 1. rank_axes(k=)


def test_rank_axes_k_and_its_former_name(data):
    X, y = data
    new = _no_warnings(lambda: rank_axes(X, y, k=3, **FAST))
    with pytest.warns(DeprecationWarning, match=r"rank_axes\(knn_neighbors=\) is now k=") as rec:
        old = rank_axes(X, y, knn_neighbors=3, **FAST)
    assert rec[0].filename == __file__  # said from the caller's line, not from inside embgeo
    assert old.to_dict()["knn_ceiling"] == new.to_dict()["knn_ceiling"] and new.to_dict()["knn_ceiling"]["k"] == 3
    with pytest.raises(EmbgeoError, match=r"knn_neighbors is the former name of k; both were given \(3, 4\)"):
        rank_axes(X, y, knn_neighbors=3, k=4, **FAST)
    # the message names the keyword the caller used
    with pytest.raises(EmbgeoError, match=r"^k must be an integer ≥ 1, got 0"):
        rank_axes(X, y, k=0, **FAST)
    with pytest.warns(DeprecationWarning), pytest.raises(EmbgeoError, match=r"^knn_neighbors must be an integer ≥ 1, got 0"):
        rank_axes(X, y, knn_neighbors=0, **FAST)


def test_knn_k_lowered_to_the_training_fold_is_recorded_and_said(data):
    X, y = data  # 60 rows, 5 folds: 48 training rows in every fold
    big = rank_axes(X, y, k=50, **FAST)
    d = big.to_dict()["knn_ceiling"]
    assert d["k"] == 48 and "n_neighbors" not in d
    assert "kNN ceiling: k = 48 neighbours, not 50 (the smallest training fold has 48 rows)" in big.notes
    exact = rank_axes(X, y, k=48, **FAST)
    assert d["value"] == exact.to_dict()["knn_ceiling"]["value"]
    assert not any("kNN ceiling" in n for n in exact.notes)
    assert [m.extra["k"] for m in big.metrics() if m.metric == "knn_ceiling"] == [48]


def test_rank_cli_records_the_k_used(run_cli, tmp_path, data):
    X, y = data
    np.save(tmp_path / "x.npy", X)
    (tmp_path / "y.csv").write_text("a\n" + "\n".join(repr(float(v)) for v in y) + "\n")
    res = run_cli(["rank", tmp_path / "x.npy", "--labels", tmp_path / "y.csv", "--join", "row-order", "--attr", "a",
                   "-m", "regression", "-k", "50", "--no-mlp", "--bootstrap", "0", "--random-directions", "20",
                   "--shuffles", "10", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["settings"]["k"] == 50 and doc["results"]["knn_ceiling"]["k"] == 48
    assert any("k = 48 neighbours, not 50" in n for n in doc["notes"])


# --------------------------------------------------------------------------- 7. rank_layers' keywords


def test_rank_layers_refuses_an_unknown_keyword_naming_itself(data):
    X, y = data
    stack = np.stack([X, 2 * X])
    with pytest.raises(EmbgeoError, match=r"^rank_layers\(\) got an unexpected keyword argument 'n_fold'") as exc:
        rank_layers(stack, y, n_fold=3)
    assert "did you mean n_folds=?" in exc.value.hint
    with pytest.raises(EmbgeoError, match=r"^rank_layers\(\) got an unexpected keyword argument 'X'"):
        rank_layers(stack, y, X=X)


def test_rank_layers_k_and_its_former_name(data):
    X, y = data
    stack = np.stack([X, 2 * X])
    new = _no_warnings(lambda: rank_layers(stack, y, k=4, **{**FAST, "methods": "regression"}))
    with pytest.warns(DeprecationWarning, match=r"rank_layers\(knn_neighbors=\) is now k=") as rec:
        old = rank_layers(stack, y, knn_neighbors=4, **{**FAST, "methods": "regression"})
    assert len(rec) == 1  # once, not once per layer
    assert [r.to_dict()["knn_ceiling"] for r in old.results] == [r.to_dict()["knn_ceiling"] for r in new.results]
    assert new.results[0].to_dict()["knn_ceiling"]["k"] == 4
    with pytest.warns(DeprecationWarning), pytest.raises(EmbgeoError, match=r"^knn_neighbors must be an integer ≥ 1, got 0"):
        rank_layers(stack, y, knn_neighbors=0, **FAST)


# --------------------------------------------------------------------------- 8. row counts


def test_row_counts_mean_what_the_json_says():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((120, 5))
    y = X[:, 1].copy()
    y[[3, 17, 40, 77, 101]] = np.nan
    r = rank_axes(X, y, **FAST)
    d = r.to_dict()
    assert (r.n_rows, r.n_rows_in, r.n_missing) == (115, 120, 5) == (d["n_rows"], d["n_rows_in"], d["n_missing"])
    with pytest.warns(DeprecationWarning, match="n_used is now n_rows"):
        assert r.n_used == 115
    s = score_axis(X, y, r.methods["regression"].axis, n_random=10, n_bootstrap=0)
    assert (s.n_rows, s.n_rows_in) == (115, 120) == (s.to_dict()["n_rows"], s.to_dict()["n_rows_in"])
    rl = rank_layers(np.stack([X, X]), y, **FAST)
    assert (rl.n_rows, rl.n_rows_in) == (115, 120) == (rl.to_dict()["n_rows"], rl.to_dict()["n_rows_in"])


# --------------------------------------------------------------------------- 6. ordering metrics


@pytest.mark.parametrize("fn", [spearman, kendall_tau, pairwise_accuracy, ordering_metrics])
def test_ordering_metrics_refuse_a_length_mismatch(fn):
    with pytest.raises(EmbgeoError, match=r"^scores has 5 values, the attribute 4 \(give one score per row"):
        fn(np.arange(5.0), np.arange(4.0))
    with pytest.raises(EmbgeoError, match=r"scores must hold real numbers"):
        fn(["a", "b", "c"], [1.0, 2.0, 3.0])
    with pytest.raises(EmbgeoError, match=r"the attribute must be a vector \(one value per row\), got shape \(3, 2\)"):
        fn(np.arange(3.0), np.ones((3, 2)))


def test_ordering_metrics_take_column_vectors():
    s = np.array([0.1, 0.5, 0.3, 0.9, 0.7])
    y = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    assert spearman(s[:, None], y) == spearman(s, y) == pytest.approx(1.0)
    assert kendall_tau(s, y[None, :]) == pytest.approx(1.0)
    assert pairwise_accuracy(s, -y) == pytest.approx(0.0)


# --------------------------------------------------------------------------- 2, 3, 9. layer_suite's keywords


def test_layer_suite_new_keywords_and_former_names():
    rng = np.random.default_rng(2)
    S = rng.standard_normal((2, 40, 5))
    classes = np.arange(40) % 2
    new = _no_warnings(lambda: layer_suite(S, classes=classes, n_folds=3, k=5, entropy_alpha=2.0, entropy_norm="logN"))
    assert new.settings["entropy_alpha"] == 2.0 and new.settings["entropy_norm"] == "logN" and "alpha" not in new.settings
    with pytest.warns(DeprecationWarning) as rec:
        old = layer_suite(S, classes=classes, task_folds=3, task_k=5, alpha=2.0, norm="logN")
    said = sorted(str(w.message) for w in rec)
    assert said == ["layer_suite(alpha=) is now entropy_alpha=", "layer_suite(norm=) is now entropy_norm=",
                    "layer_suite(task_folds=) is now n_folds=", "layer_suite(task_k=) is now k="]
    assert all(w.filename == __file__ for w in rec)
    for key in ("dataset_entropy", "probe_accuracy", "label_overlap"):
        assert np.array_equal(old.values[key], new.values[key]), key
    # entropy_alpha = 2 is not the default: the numbers move
    assert not np.allclose(layer_suite(S).values["dataset_entropy"], new.values["dataset_entropy"])
    with pytest.raises(EmbgeoError, match=r"task_k is the former name of k; both were given \(3, 4\)"):
        layer_suite(S, classes=classes, task_k=3, k=4)
    with pytest.raises(EmbgeoError, match=r"^k must be an integer ≥ 1, got 0"):
        layer_suite(S, classes=classes, k=0)
    with pytest.warns(DeprecationWarning), pytest.raises(EmbgeoError, match=r"^task_k must be an integer ≥ 1, got 0"):
        layer_suite(S, classes=classes, task_k=0)
    with pytest.raises(EmbgeoError, match=r"^entropy_alpha must be a positive number; got 0"):
        layer_suite(S, entropy_alpha=0)
    with pytest.raises(EmbgeoError, match=r"unknown entropy normalisation 'log2' \(entropy_norm\)"):
        layer_suite(S, entropy_norm="log2")


def test_layer_suite_docstring_names_every_keyword():
    import inspect

    doc = layer_suite.__doc__
    missing = [p for p in inspect.signature(layer_suite).parameters if f"``{p}``" not in doc]
    assert missing == []


def test_too_many_folds_name_the_keyword_and_the_option(run_cli, tmp_path):
    rng = np.random.default_rng(4)
    S = rng.standard_normal((2, 60, 4))
    a = S[1, :, 0] + 0.1 * rng.standard_normal(60)
    with pytest.raises(EmbgeoError, match=r"60-fold cross-validation needs at least 120") as exc:
        layer_suite(S, attribute=a, n_folds=60)
    assert exc.value.hint.endswith("pass fewer n_folds")
    np.save(tmp_path / "stack.npy", S)
    (tmp_path / "a.csv").write_text("a\n" + "\n".join(repr(float(v)) for v in a) + "\n")
    res = run_cli(["layers", tmp_path / "stack.npy", "--labels", tmp_path / "a.csv", "--join", "row-order", "--attr", "a",
                   "--folds", "60", "-f", "json"])
    assert res.code == 2 and "pass fewer --folds" in res.stderr and "n_folds" not in res.stderr


# --------------------------------------------------------------------------- 4. complex layers


def test_complex_layers_are_refused_not_cut_to_their_real_part():
    S = np.random.default_rng(6).standard_normal((2, 30, 4))
    with pytest.raises(EmbgeoError, match=r"^layer 'layer0' has dtype complex128; expected real numbers") as exc:
        layer_suite(S + 0.5j)
    assert "np.real(X)" in exc.value.hint
    with pytest.raises(EmbgeoError, match=r"^view 2, layer 'layer0' has dtype complex128"):
        layer_suite(S, views=[S.astype(complex)])
    with pytest.raises(EmbgeoError, match=r"layer 'layer0' has dtype object"):
        layer_suite([S[0].astype(object), S[1]])


# --------------------------------------------------------------------------- 5. the layer helpers


def _nan(X):
    X = np.array(X, dtype=np.float64)
    X[3, 1] = np.nan
    return X


BAD = {
    "nan": (_nan, r"has 1 row with NaN or inf \(row 3\)"),
    "complex": (lambda X: X + 1j, r"has dtype complex128; expected real numbers"),
    "object": (lambda X: X.astype(object), r"has dtype object; expected real numbers"),
    "text": (lambda X: X.astype(str), r"has dtype <U\d+; expected real numbers"),
    "empty": (lambda X: X[:0], r"has 0 rows; this needs at least"),
    "3-D": (lambda X: np.stack([X, X]), r"has 3 dimensions"),
}

HELPERS = {
    "reference_entropy": lambda X: reference_entropy(X),
    "dataset_entropy": lambda X: dataset_entropy(X),
    "curvature": lambda X: curvature(X),
    "pairwise_cosine": lambda X: pairwise_cosine(X),
    "infonce": lambda X: infonce(X, X),
    "dime": lambda X: dime(X, X, n_permutations=2),
}


@pytest.mark.parametrize("helper", list(HELPERS))
@pytest.mark.parametrize("bad", list(BAD))
def test_layer_helpers_refuse_bad_input_in_one_line(helper, bad):
    X = np.random.default_rng(8).standard_normal((12, 4))
    make, message = BAD[bad]
    with pytest.raises(EmbgeoError, match=message):
        HELPERS[helper](make(X))


def test_layer_helpers_keep_their_values_on_good_input():
    X = np.random.default_rng(9).standard_normal((12, 4))
    X32 = X.astype(np.float32)
    # computed in float64 whatever the input's precision, as before
    assert reference_entropy(X32) == reference_entropy(X32.astype(np.float64))
    assert reference_entropy(X.tolist()) == reference_entropy(X)
    assert np.isnan(curvature(X[:2]))  # fewer than 3 tokens: no angle (not an error)
    assert np.isnan(pairwise_cosine(X[:1])[0])
    loss, mi = infonce(X, X)
    assert np.isfinite(loss) and mi == pytest.approx(1 - loss / np.log(12))


def test_lidar_refuses_nan_complex_and_text_views():
    V = np.random.default_rng(10).standard_normal((10, 3, 4))
    Vn = V.copy()
    Vn[1, 2, 0] = np.nan
    with pytest.raises(EmbgeoError, match=r"^views has 1 row with NaN or inf \(row 5\)"):  # row 1·3 + 2 of the N·A rows
        lidar(Vn)
    with pytest.raises(EmbgeoError, match=r"^views has dtype complex128"):
        lidar(V + 1j)
    with pytest.raises(EmbgeoError, match=r"^views has dtype <U"):
        lidar(V.astype(str))
    with pytest.raises(EmbgeoError, match=r"^views must be an array of samples × augmentations × dims"):
        lidar(V[:, 0])
    assert np.isfinite(lidar(V)[0])


def test_dime_with_nan_is_an_embgeo_error_not_a_linalg_error():
    A = np.random.default_rng(11).standard_normal((8, 3))
    with pytest.raises(EmbgeoError, match=r"^B has 1 row with NaN or inf \(row 3\)"):
        dime(A, _nan(A))


@pytest.mark.parametrize("s", [60, 6, -1, True, 2.0, "2"])
def test_block_shuffle_takes_the_levels_0_to_5_only(s):
    with pytest.raises(EmbgeoError, match=r"shuffle level s must be an integer in 0 … 5"):
        block_shuffle(8, s)


def test_block_shuffle_levels():
    assert block_shuffle(8, 0).tolist() == list(range(8))  # one block: nothing moves
    perm = block_shuffle(8, 5, seed=1)
    assert sorted(perm.tolist()) == list(range(8)) and perm.tolist() != list(range(8))


def test_a_former_keyword_beside_the_new_one_at_its_default_value_is_both_given():
    # k=10 (rank_axes' default value, given) with knn_neighbors=5: both names, an error; knn_neighbors alone reads 5
    import warnings

    from embgeo.errors import EmbgeoError
    from embgeo.layers import layer_suite

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)), rng.normal(size=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(EmbgeoError, match="knn_neighbors is the former name of k; both were given"):
            rank_axes(X, y, k=10, knn_neighbors=5, methods=["regression"], n_bootstrap=0, n_random=20, n_shuffles=0)
        S = rng.normal(size=(2, 60, 4))
        for new, old in (({"entropy_alpha": 1.0}, {"alpha": 2.0}), ({"n_folds": 5}, {"task_folds": 3}), ({"k": 10}, {"task_k": 5}),
                         ({"entropy_norm": "maxEntropy"}, {"norm": "logN"})):
            with pytest.raises(EmbgeoError, match=f"{next(iter(old))} is the former name of {next(iter(new))}; both were given"):
                layer_suite(S, **new, **old)
        assert layer_suite(S, alpha=2.0).settings["entropy_alpha"] == 2.0


def test_distortion_sources_none_beside_max_sources_is_both_given():
    import warnings

    from embgeo.errors import EmbgeoError
    from embgeo.hyperbolic.graphs import Hierarchy  # noqa: F401  (the plots' graph type)
    from embgeo.plots.hyperbolic import former_sources

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from embgeo.arguments import renamed_keyword

        for new in (None, 300, 40):  # None is every node, 300 the default's value given: both are given
            old, nv = former_sources(5, new)
            with pytest.raises(EmbgeoError, match="both were given"):
                renamed_keyword("pair_distortions", "max_sources", old, "distortion_sources", nv)
        from embgeo.plots.hyperbolic import DISTORTION_SOURCES

        assert former_sources(5, DISTORTION_SOURCES) == (5, None)  # left at its default: the former name alone
