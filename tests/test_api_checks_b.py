"""The Python API audit (keyword validation, ignored keywords), part B: intrinsic dimension, knn, cosine, rank and
the readers. Every nonsense value raises one EmbgeoError line naming the keyword; a keyword that a call would ignore
is refused; valid values give the results they gave before."""
from __future__ import annotations

import math

import numpy as np
import pytest

import embgeo as eg
from embgeo.cosine.neighbors import hubness, norms
from embgeo.cosine.postprocess import center, postprocess, postprocessing
from embgeo.cosine.rescaling import dimension_rescaling
from embgeo.errors import EmbgeoError, use_surface
from embgeo.intrinsic import calibrated_dimension, layer_dimensions, matrix_entropy, rankme
from embgeo.rank.core import rank_axes, score_axis
from embgeo.rank.layers import rank_layers

RANK = dict(mlp=False, n_random=50, n_shuffles=50, n_bootstrap=50, methods=["regression"])


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(80, 12))


@pytest.fixture(scope="module")
def y(X):
    return X[:, 0] + 0.3 * np.random.default_rng(1).normal(size=80)


def _raises(fn, *texts):
    with pytest.raises(EmbgeoError) as info:
        fn()
    msg = str(info.value)
    for text in texts:
        assert text in msg, msg
    return msg


# --------------------------------------------------------------------------- H1: yes/no keywords


def _flag_calls(X, y, tmp_path):
    stack = tmp_path / "stack.npy"
    np.save(stack, np.stack([X, X + 1.0]))
    return {
        "intrinsic_dimension.approx": (lambda v: eg.intrinsic_dimension(X, methods="pca", approx=v), "approx"),
        "intrinsic_dimension.peers": (lambda v: eg.intrinsic_dimension(X, methods="pca", peers=v), "peers"),
        "intrinsic_dimension.check_sample": (lambda v: eg.intrinsic_dimension(X, methods="pca", check_sample=v), "check_sample"),
        "intrinsic_dimension.kernel_rate": (lambda v: eg.intrinsic_dimension(X, methods="pca", kernel_rate=v), "kernel_rate"),
        "layer_dimensions.approx": (lambda v: layer_dimensions(np.stack([X, X]), methods="pca", approx=v), "approx"),
        "twonn_dimension.approx": (lambda v: eg.twonn_dimension(X, approx=v), "approx"),
        "mle_dimension.approx": (lambda v: eg.mle_dimension(X, approx=v), "approx"),
        "gride_dimension.approx": (lambda v: eg.gride_dimension(X, approx=v), "approx"),
        "calibrated_dimension.approx": (lambda v: calibrated_dimension(X, approx=v), "approx"),
        "knn.exclude_self": (lambda v: eg.knn(X, 5, exclude_self=v), "exclude_self"),
        "knn.check_duplicates": (lambda v: eg.knn(X, 5, check_duplicates=v), "check_duplicates"),
        "knn.approx": (lambda v: eg.knn(X, 5, approx=v), "approx"),
        "rank_axes.baselines": (lambda v: rank_axes(X, y, baselines=v, **RANK), "baselines"),
        "rank_axes.normalize": (lambda v: rank_axes(X, y, normalize=v, **RANK), "normalize"),
        "rank_axes.center": (lambda v: rank_axes(X, y, center=v, **RANK), "center"),
        "rank_axes.mlp": (lambda v: rank_axes(X, y, **{**RANK, "mlp": v}), "mlp"),
        "score_axis.normalize": (lambda v: score_axis(X, y, np.ones(12), normalize=v), "normalize"),
        "score_axis.baselines": (lambda v: score_axis(X, y, np.ones(12), baselines=v), "baselines"),
        "rankme.center": (lambda v: rankme(X, center=v), "center"),
        "matrix_entropy.center": (lambda v: matrix_entropy(X, center=v), "center"),
        "load_layers.check_finite": (lambda v: eg.load_layers([str(stack)], check_finite=v), "check_finite"),
        "cosine_diagnostics.approx": (lambda v: eg.cosine_diagnostics(X, approx=v), "approx"),
        "norms.approx": (lambda v: norms(X, approx=v), "approx"),
        "hubness.approx": (lambda v: hubness(X, approx=v), "approx"),
        "postprocessing.approx": (lambda v: postprocessing(X, approx=v), "approx"),
        "dimension_rescaling.approx": (lambda v: dimension_rescaling(X, approx=v), "approx"),
    }


FLAG_CASES = ["intrinsic_dimension.approx", "intrinsic_dimension.peers", "intrinsic_dimension.check_sample",
              "intrinsic_dimension.kernel_rate", "layer_dimensions.approx", "twonn_dimension.approx", "mle_dimension.approx",
              "gride_dimension.approx", "calibrated_dimension.approx", "knn.exclude_self", "knn.check_duplicates", "knn.approx",
              "rank_axes.baselines", "rank_axes.normalize", "rank_axes.center", "rank_axes.mlp", "score_axis.normalize",
              "score_axis.baselines", "rankme.center", "matrix_entropy.center", "load_layers.check_finite",
              "cosine_diagnostics.approx", "norms.approx", "hubness.approx", "postprocessing.approx", "dimension_rescaling.approx"]


@pytest.mark.parametrize("case", FLAG_CASES)
def test_yes_no_keywords_refuse_text_numbers_and_none(X, y, tmp_path, case):
    call, name = _flag_calls(X, y, tmp_path)[case]
    _raises(lambda: call("False"), f"{name} must be True or False, got 'False' (str)")
    _raises(lambda: call(1), f"{name} must be True or False, got 1 (int)")
    if case != "intrinsic_dimension.check_sample":  # (None is its default: "when sampled")
        _raises(lambda: call(None), f"{name} must be True or False, got None (NoneType)")


def test_yes_no_keywords_take_real_and_numpy_bools(X, y):
    a, b = eg.knn(X, 5, exclude_self=False), eg.knn(X, 5, exclude_self=np.False_)
    assert np.array_equal(a.indices, b.indices) and a.indices[0, 0] == 0  # row 0 is its own nearest neighbour
    assert eg.knn(X, 5).indices[0, 0] != 0
    assert rankme(X, center=np.True_).centered is True
    assert matrix_entropy(X, center=True).entropy == matrix_entropy(X, center=np.True_).entropy
    r1 = rank_axes(X, y, normalize=np.True_, **RANK).methods["regression"].spearman
    assert r1 == rank_axes(X, y, **RANK).methods["regression"].spearman
    i1 = eg.intrinsic_dimension(X, methods=["twonn", "pca"], n_bootstrap=0, check_sample=False, peers=False)
    i2 = eg.intrinsic_dimension(X, methods=["twonn", "pca"], n_bootstrap=0, peers=np.False_)
    assert i1.twonn.dimension == i2.twonn.dimension and i1.twonn_linear is None


# --------------------------------------------------------------------------- H2: calibrated_dimension


@pytest.mark.parametrize("bad, text", [(2.7, "got 2.7 (a fraction)"), ("3", "got '3' (str)"), (True, "got True (bool)"),
                                       (0, "got 0"), (-1, "got -1"), (float("nan"), "got nan"), (float("inf"), "got inf"), ([], "got []")])
def test_calibrated_n_dims_is_a_whole_number(X, bad, text):
    _raises(lambda: calibrated_dimension(X, n_dims=bad, reference_points=100), "n_dims must be an integer ≥ 1", text)


@pytest.mark.parametrize("bad, text", [("0.5", "interior must be a number, got '0.5' (str)"), ([0.5], "interior must be a number, got [0.5]"),
                                       (float("nan"), "interior must be in (0, 1]; got nan"), (0.0, "interior must be in (0, 1]; got 0.0"),
                                       (True, "interior must be a number, got True (bool)")])
def test_calibrated_interior_is_a_number(X, bad, text):
    _raises(lambda: calibrated_dimension(X, interior=bad, reference_points=100), text)


def test_calibrated_valid_calls_unchanged(X):
    a = calibrated_dimension(X, n_bootstrap=20, reference_points=100)
    assert a.to_dict() == calibrated_dimension(X, n_bootstrap=20, reference_points=100, n_dims=np.int64(12)).to_dict()
    assert a.to_dict() == calibrated_dimension(X.tolist(), n_bootstrap=20, reference_points=100).to_dict()  # a list of rows
    assert a.n_dims == 12 and a.interior == 0.5 and "recall" not in a.to_dict()  # exact neighbours: no recall key
    _raises(lambda: calibrated_dimension([[1.0, 2.0], [3.0]]), "X")  # ragged: one line, not numpy's ValueError
    _raises(lambda: calibrated_dimension(X, reference_points=99.5), "reference_points must be an integer ≥ 100")


# --------------------------------------------------------------------------- H3: float keywords


@pytest.mark.parametrize("bad, text", [("0.5", "discard_fraction must be a number, got '0.5' (str)"),
                                       ([0.5], "discard_fraction must be a number, got [0.5] (list)"),
                                       (True, "discard_fraction must be a number, got True (bool)"),
                                       (float("nan"), "discard_fraction must be in [0, 0.9); got nan"),
                                       (0.9, "discard_fraction must be in [0, 0.9); got 0.9")])
def test_discard_fraction_is_a_number(X, bad, text):
    _raises(lambda: eg.twonn_dimension(X, discard_fraction=bad), text)
    _raises(lambda: eg.intrinsic_dimension(X, methods="pca", discard_fraction=bad), text)  # checked even when TwoNN is not asked
    _raises(lambda: layer_dimensions(np.stack([X, X]), methods="pca", discard_fraction=bad), text)


def test_discard_fraction_valid_value_is_used(X):
    r = eg.twonn_dimension(X, discard_fraction=0.2, n_bootstrap=0)
    assert r.to_dict()["discard"] == 0.2 and r.n_used == int(np.floor(80 * 0.8))
    assert r.dimension == eg.twonn_dimension(X, discard_fraction=np.float64(0.2), n_bootstrap=0).dimension


@pytest.mark.parametrize("bad, text", [("0.5", "alpha must be a number, got '0.5' (str)"), (True, "alpha must be a number, got True (bool)"),
                                       (float("inf"), "alpha must be a finite number > 0, got inf"),
                                       (float("nan"), "alpha must be a finite number > 0, got nan"), (0, "alpha must be a finite number > 0, got 0")])
def test_matrix_entropy_alpha_is_a_finite_positive_number(X, bad, text):
    _raises(lambda: matrix_entropy(X, alpha=bad), text)


def test_matrix_entropy_alpha_values(X):
    ev = np.linalg.eigvalsh(X.T @ X)
    p = ev / ev.sum()
    for a in (0.5, 2.0, 3):
        assert math.isclose(matrix_entropy(X, alpha=a).entropy, float(np.log(np.sum(p**a)) / (1 - a)), rel_tol=1e-9)
    assert math.isclose(matrix_entropy(X).entropy, float(-np.sum(p * np.log(p))), rel_tol=1e-9)
    big = matrix_entropy(X, alpha=1e6)  # Σ p^α in the log domain: finite, the min-entropy −log max p in the limit
    assert math.isclose(big.entropy, -math.log(p.max()), rel_tol=1e-4)


# --------------------------------------------------------------------------- H4: seed checked on every path


BAD_SEEDS = ["abc", -1, 2.5, [1, 2], float("nan"), True]


@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_seed_checked_where_it_is_not_read(X, seed):
    for call in (lambda: eg.knn(X, 5, seed=seed), lambda: eg.gride_dimension(X, seed=seed), lambda: norms(X, seed=seed),
                 lambda: postprocessing(X, seed=seed), lambda: dimension_rescaling(X, seed=seed),
                 lambda: eg.intrinsic_dimension(X, methods="pca", seed=seed)):
        _raises(call, "seed must be a non-negative integer (or a numpy Generator), got")


def test_valid_seeds_leave_exact_results_alone(X):
    assert np.array_equal(eg.knn(X, 5, seed=3).indices, eg.knn(X, 5).indices)
    assert np.array_equal(eg.gride_dimension(X, seed=np.random.default_rng(1), gride_max=8).dimension,
                          eg.gride_dimension(X, gride_max=8).dimension)
    assert norms(X, seed=None).jaccard_dot_cosine == norms(X).jaccard_dot_cosine


# --------------------------------------------------------------------------- H6: a 2-D y


def test_rank_y_is_one_value_per_row(X, y):
    msg = "y must hold one value per row (1-D, or one column), got an array of shape (40, 2)"
    _raises(lambda: rank_axes(X, y.reshape(40, 2), **RANK), msg)
    _raises(lambda: score_axis(X, y.reshape(40, 2), np.ones(12)), msg)
    _raises(lambda: rank_layers(np.stack([X, X]), y.reshape(40, 2), baselines=False, n_bootstrap=0), msg)
    one = rank_axes(X, y, **RANK).methods["regression"]
    column = rank_axes(X, y.reshape(80, 1), **RANK).methods["regression"]
    assert one.spearman == column.spearman and np.array_equal(one.heldout, column.heldout)


# --------------------------------------------------------------------------- H7, M2: cosine_diagnostics' retrieval keywords


def test_cosine_similarities_always_checked(X):
    labels = np.arange(80) % 4
    _raises(lambda: eg.cosine_diagnostics(X, similarities="abc"), "unknown similarity 'abc'")
    _raises(lambda: eg.cosine_diagnostics(X, similarities=3, classes=labels),
            "similarities must be a similarity name, a comma list or a sequence of names, got 3")
    _raises(lambda: eg.cosine_diagnostics(X, similarities=["cosine", 3], classes=labels), "similarities must hold similarity names (text), got 3")
    _raises(lambda: eg.cosine_diagnostics(X, similarities="cosine"),
            "similarities picks the similarities of the retrieval check, which runs only with classes or relevant; it would be ignored")
    r = eg.cosine_diagnostics(X, similarities="cosine,centre", classes=labels, n_bootstrap=20)
    assert r.retrieval.methods == ["cosine", "centred"]


def test_cosine_retrieval_settings_without_retrieval_are_refused(X):
    _raises(lambda: eg.cosine_diagnostics(X, n_bootstrap=50), "n_bootstrap=50 tunes the retrieval check", "it would be ignored")
    _raises(lambda: eg.cosine_diagnostics(X, confidence=0.9, margin=0.1), "confidence=0.9, margin=0.1 tune the retrieval check",
            "they would be ignored")
    _raises(lambda: eg.cosine_diagnostics(X, margin="0.1"), "margin must be a number")  # checked whether or not it is used
    _raises(lambda: eg.cosine_diagnostics(X, n_bootstrap=-1), "n_bootstrap must be an integer ≥ 0")
    base = eg.cosine_diagnostics(X).to_dict()
    assert eg.cosine_diagnostics(X, n_bootstrap=1000, confidence=0.95, margin=0.02).to_dict() == base  # the defaults, given
    with use_surface("cli"):  # the command line passes --bootstrap/--confidence/--margin with or without --class
        assert eg.cosine_diagnostics(X, n_bootstrap=50, margin=0.1).to_dict() == base


def test_cosine_attribute_name_needs_the_attribute(X):
    _raises(lambda: eg.cosine_diagnostics(X, attribute_name="freq"), "attribute_name='freq' names the attribute, but no attribute was given")
    _raises(lambda: norms(X, attribute_name="freq"), "attribute_name='freq' names the attribute")
    _raises(lambda: eg.cosine_diagnostics(X, attribute_name=3, attribute=X[:, 1]), "attribute_name must be text")
    r = eg.cosine_diagnostics(X, attribute=np.abs(X[:, 1]), attribute_name="freq")
    assert r.norms.attribute == "freq" and r.norms.spearman is not None


# --------------------------------------------------------------------------- M3: rank_axes' ignored settings


def test_rank_settings_that_would_be_ignored(X, y):
    _raises(lambda: rank_axes(X, y, validation=0.3, **RANK), "validation=0.3 given but methods has no 'anchors_best'; it would be ignored")
    _raises(lambda: rank_axes(X, y, n_anchor_pairs=5, validation=0.3, **RANK), "n_anchor_pairs=5, validation=0.3 given", "they would be ignored")
    _raises(lambda: rank_axes(X, y, mlp_hidden=8, **RANK), "mlp_hidden=8 sizes the MLP ceiling, which mlp=False switches off")
    _raises(lambda: rank_axes(X, y, mlp_hidden=8, baselines=False, **{**RANK, "mlp": True}), "which baselines=False switches off")
    _raises(lambda: rank_axes(X, y, validation="0.3", **RANK), "validation must be a number")
    base = rank_axes(X, y, **RANK).methods["regression"].spearman
    assert rank_axes(X, y, n_anchor_pairs=20, validation=0.5, mlp_hidden=64, **RANK).methods["regression"].spearman == base
    with use_surface("cli"):  # the command line passes --anchor-pairs and --validation whatever --method says
        assert rank_axes(X, y, n_anchor_pairs=5, validation=0.3, **RANK).methods["regression"].spearman == base
    best = rank_axes(X, y, n_anchor_pairs=5, validation=0.3, **{**RANK, "methods": ["regression", "anchors_best"]})
    assert best.methods["anchors_best"].details["n_pairs"] == 5


# --------------------------------------------------------------------------- M6: postprocess


def test_postprocess_checks_keywords_it_does_not_read(X):
    _raises(lambda: postprocess(X, "center", n_components="3"), "n_components must be an integer ≥ 0, got '3' (str)")
    _raises(lambda: postprocess(X, "center", floor=float("nan")), "the whitening eigenvalue floor must be positive, got nan")
    _raises(lambda: postprocess(X, "standardise", floor="1e-6"), "floor must be a number")
    assert np.array_equal(postprocess(X, "center", n_components=2, floor=1e-3), center(X))
    assert postprocess(X, "abtt", n_components=2).shape == X.shape


# --------------------------------------------------------------------------- MEDIUM: raw exceptions


def test_intrinsic_methods_must_be_names(X):
    _raises(lambda: eg.intrinsic_dimension(X, methods=3), "methods must be a method name, a comma list or a sequence of names, got 3")
    _raises(lambda: eg.intrinsic_dimension(X, methods=[]), "methods is empty: no method asked for")
    _raises(lambda: eg.intrinsic_dimension(X, methods=["pca", 2]), "methods must hold method names (text), got 2")
    assert eg.intrinsic_dimension(X, methods=[" PCA ", "rankme"]).methods == ("pca", "rankme")


@pytest.mark.parametrize("bad, shown", [("zzz", "'zzz'"), (3, "3"), (np.int32, "int32"), (np.float16, "float16"), (True, "True")])
def test_knn_selection_dtype(X, bad, shown):
    _raises(lambda: eg.knn(X, 5, selection_dtype=bad), f"selection_dtype must be float32 or float64 (the dtype of the candidate-selection GEMM), got {shown}")


def test_knn_selection_dtype_valid(X):
    ref = eg.knn(X, 5)
    for dt in (np.float64, "float64", np.dtype("float32"), "float32"):
        nb = eg.knn(X, 5, selection_dtype=dt)
        assert np.array_equal(nb.indices, ref.indices) and np.array_equal(nb.distances, ref.distances)


def test_load_attr_cols(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("year,a,b\n2001,0.1,0.2\n2002,0.3,0.5\n2003,0.7,0.1\n")
    _raises(lambda: eg.load(str(path), attr_cols=3), "attr_cols must be a column name or a list of column names, got 3 (int)")
    _raises(lambda: eg.load(str(path), attr_cols=["year", 2]), "attr_cols must hold column names (text), got 2 (int)")
    _raises(lambda: eg.load_layers([str(path), str(path)], attr_cols=3), "attr_cols must be a column name or a list of column names")
    es = eg.load(str(path), attr_cols="year")
    assert es.matrix.shape == (3, 2) and list(es.attributes["year"]) == [2001, 2002, 2003]
    assert eg.load(str(path), attr_cols=("year",)).matrix.tolist() == es.matrix.tolist()


# --------------------------------------------------------------------------- L2: the keyword the caller wrote


def test_messages_name_the_keyword_given(X, y):
    _raises(lambda: eg.mle_dimension(X, k2=1000), "X has 80 rows; this needs at least 1002 (k2=1000 neighbours, plus 2)", "lower k2")
    _raises(lambda: eg.gride_dimension(X, gride_max=1000), "this needs at least 1002 (gride_max=1000 neighbours, plus 2)", "lower gride_max")
    with pytest.warns(DeprecationWarning):
        _raises(lambda: eg.gride_dimension(X, max_order=1000), "(max_order=1000 neighbours, plus 2)")
    with pytest.warns(DeprecationWarning):
        _raises(lambda: rank_axes(X, y, knn_neighbors=1000, **RANK), "knn_neighbors=1000 needs more than 1000 rows", "lower knn_neighbors")
    _raises(lambda: eg.cosine_diagnostics(X, neighbour_sample=5), "the neighbour sample (neighbour_sample=5 rows) must exceed k=10")
    _raises(lambda: eg.mle_dimension(X, k1=21), "k1 must not exceed k2; got k1=21, k2=20")
    _raises(lambda: eg.mle_dimension(X, k1=True), "k1 must be an integer ≥ 2, got True (bool)")


# --------------------------------------------------------------------------- L3: silent clips


def test_score_axis_attribute_is_a_name(X, y):
    _raises(lambda: score_axis(X, y, np.ones(12), attribute=1), "attribute is the attribute's name")
    _raises(lambda: score_axis(X, y, np.ones(12), attribute=["a"]), "attribute is the attribute's name")
    assert score_axis(X, y, np.ones(12), attribute="year").attribute == "year"


def test_cosine_top_beyond_the_columns(X):
    _raises(lambda: eg.cosine_diagnostics(X, top=1000), "top=1000 asks for more rogue dimensions than the 12 columns of X")
    assert len(eg.cosine_diagnostics(X, top=12).rogue_dimensions.top_dimensions) == 12
    assert len(eg.cosine_diagnostics(X[:, :2]).rogue_dimensions.top_dimensions) == 2  # the default 3: every dimension


# --------------------------------------------------------------------------- L4: approximate neighbours are recorded


@pytest.fixture
def fake_approx(monkeypatch):
    """The approximate path without pynndescent (its numba kernels compile for a minute): the exact neighbours,
    reported with a measured recall of 0.875."""
    import embgeo.knn.engine as engine

    def approx_search(X, Q, k, *, metric, exclude, seed, recall_sample, dtype, self_query):
        nb = engine.knn(X, k, query=None if self_query else Q, metric=metric, exclude_self=exclude, check_duplicates=False)
        return nb.indices, 0.875, 10

    monkeypatch.setattr(engine, "approx_search", approx_search)


def test_approximate_neighbours_are_recorded(X, fake_approx):
    for fn in (eg.twonn_dimension, eg.mle_dimension, eg.gride_dimension):
        exact, approx = fn(X), fn(X, approx=True)
        assert exact.recall is None and "recall" not in exact.to_dict()
        assert approx.recall == 0.875 and approx.to_dict()["recall"] == 0.875
        assert approx.to_dict() == {**exact.to_dict(), "recall": 0.875}  # the same neighbours: the same numbers
    assert calibrated_dimension(X, approx=True, reference_points=100).to_dict()["recall"] == 0.875
    nb = eg.knn(X, 20, approx=True)
    assert eg.twonn_dimension(neighbors=nb).recall == 0.875  # neighbours given: theirs
    for fn in (norms, hubness, postprocessing, dimension_rescaling):
        exact, approx = fn(X), fn(X, approx=True)
        assert exact.recall is None and "recall" not in exact.to_dict()
        assert approx.recall == 0.875 and approx.to_dict()["recall"] == 0.875
    r = eg.cosine_diagnostics(X, approx=True).to_dict()["diagnostics"]
    assert r["hubness"]["recall"] == 0.875 and "recall" not in eg.cosine_diagnostics(X).to_dict()["diagnostics"]["hubness"]
