"""The Python-API audit's findings in uniformity, modality_gap, compare, project, hmds, reembed, report and layers
(/tmp/s36 audit: H1 yes/no keywords, H3 numbers read by float(), names=, raw exceptions, M1/M4/M5/M7 keywords that
had no effect, L2 messages naming another keyword, L3 bools taken as 1, L6 compare.prefix): each nonsense value is a
one-line EmbgeoError naming the keyword; valid values give the results they gave before."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist

import embgeo as eg
from embgeo.errors import EmbgeoError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6))
    Y = X + 0.3 * rng.normal(size=(40, 6))
    return X, Y


@pytest.fixture(scope="module")
def D(data):
    return cdist(data[0][:16], data[0][:16])


def _message(fn) -> str:
    with pytest.raises(EmbgeoError) as info:
        fn()
    text = str(info.value)
    assert "\n" not in text
    return text


def _gap(X, Y, **kw):
    return eg.modality_gap(X, Y, random_pairs=200, **kw)


# --------------------------------------------------------------------------- H1: True or False only

FLAGS = [
    ("normalize", lambda d, v: eg.uniformity(d[0], normalize=v)),
    ("normalize", lambda d, v: eg.alignment(d[0], d[1], normalize=v)),
    ("separability", lambda d, v: _gap(d[0], d[1], separability=v)),
    ("approx", lambda d, v: eg.compare(d[0], d[1], approx=v, n_bootstrap=0, n_permutations=0)),
    ("approx", lambda d, v: eg.compare.compare_many([d[0], d[1]], approx=v, n_bootstrap=0, n_permutations=0)),
    ("unbiased", lambda d, v: eg.compare.linear_cka(d[0], d[1], unbiased=v)),
    ("centred", lambda d, v: eg.hyperbolic.hmds(cdist(d[0][:10], d[0][:10]), centred=v)),
    ("umap", lambda d, v: eg.hyperbolic.reembed(d[0], umap=v)),
    ("approx", lambda d, v: eg.hyperbolic.reembed(d[0], approx=v)),
    ("preprocess", lambda d, v: eg.layers.reference_entropy(d[0], preprocess=v)),
    ("preprocess", lambda d, v: eg.layers.dataset_entropy(d[0], preprocess=v)),
    ("preprocess", lambda d, v: eg.layers.curvature(d[0], preprocess=v)),
    ("preprocess", lambda d, v: eg.layers.curvatures([d[0]], preprocess=v)),
    ("geometry", lambda d, v: eg.layers.layer_suite([d[0], d[1]], geometry=v)),
]


@pytest.mark.parametrize("name, call", FLAGS, ids=[f"{i}-{n}" for i, (n, _) in enumerate(FLAGS)])
@pytest.mark.parametrize("value, shown", [("False", "'False' (str)"), (1, "1 (int)"), (None, "None (NoneType)")])
def test_yes_no_keywords_take_only_true_or_false(data, name, call, value, shown):
    assert _message(lambda: call(data, value)) == f"{name} must be True or False, got {shown} (pass {name}=True or {name}=False)"


def test_flags_valid_values_unchanged(data):
    X, Y = data
    assert eg.uniformity(X, normalize=np.False_).uniformity == eg.uniformity(X, normalize=False).uniformity
    assert eg.uniformity(X).normalized is True and eg.uniformity(X, normalize=False).normalized is False
    assert eg.compare.linear_cka(X, Y, unbiased=np.True_) == eg.compare.linear_cka(X, Y, unbiased=True)
    assert eg.compare.linear_cka(X, Y) != eg.compare.linear_cka(X, Y, unbiased=True)
    assert eg.layers.reference_entropy(X, preprocess=False) != eg.layers.reference_entropy(X)


def test_write_report_markdown_is_a_flag(tmp_path, data):
    rep = eg.report(data[0], only=["uniformity"])
    assert _message(lambda: eg.report.write_report(rep, tmp_path / "r.html", markdown="no")).startswith(
        "markdown must be True or False, got 'no' (str)")
    assert not (tmp_path / "r.html").exists()
    written = eg.report.write_report(rep, tmp_path / "r.html", markdown=True)
    assert {"r.html", "r.md"} <= {p.name for p in written} and (tmp_path / "r.md").is_file()


# --------------------------------------------------------------------------- H3: numbers, not text


@pytest.mark.parametrize("kw, message", [
    (dict(shift_fraction="0.5"), "shift_fraction must be a number, got '0.5' (str)"),
    (dict(shift_fraction=[0.5]), "shift_fraction must be a number, got [0.5] (list)"),
    (dict(shift_fraction=True), "shift_fraction must be a number, got True (bool)"),
    (dict(shift_fraction=2.5), "shift_fraction must lie in [0, 2] (1 removes the whole gap), got 2.5"),
    (dict(mixup_lambda="0.5"), "mixup_lambda must be a number, got '0.5' (str)"),
    (dict(mixup_lambda=True), "mixup_lambda must be a number, got True (bool)"),
    (dict(mixup_lambda=[0.5]), "mixup_lambda must be a number, got [0.5] (list)"),
    (dict(mixup_lambda=float("nan")), "mixup_lambda must lie in [0, 1], got nan"),
    (dict(sweep=[0.5, "a"]), "sweep must hold numbers (shift values λ), got 'a' (str)"),
    (dict(sweep=["0.5"]), "sweep must hold numbers (shift values λ), got '0.5' (str)"),
    (dict(sweep=[True, 0.5]), "sweep must hold numbers (shift values λ), got True (bool)"),
    (dict(sweep=[0.0, float("inf")]), "sweep holds a value that is not a finite number (inf)"),
])
def test_gap_numbers_refused(data, kw, message):
    assert _message(lambda: _gap(*data, **kw)).startswith(message)


def test_gap_valid_numbers_unchanged(data):
    X, Y = data
    a = _gap(X, Y, separability=False, shift_fraction=0.5, mixup_lambda=0.3, sweep=[0.0, 0.5])
    b = _gap(X, Y, separability=False, shift_fraction=np.float32(0.5), mixup_lambda=np.float64(0.3), sweep=np.array([0, 0.5]))
    c = _gap(X, Y, separability=False, shift_fraction=0.5, mixup_lambda=0.3, sweep="0:0.5:0.5")
    assert a.to_dict() == b.to_dict() == c.to_dict()
    assert a.shift.fraction == 0.5 and list(a.sweep.shift) == [0.0, 0.5]


@pytest.mark.parametrize("scale, message", [
    ("0.5", "scale must be a positive number or 'auto', got '0.5'"),
    ("Auto", "scale must be a positive number or 'auto', got 'Auto'"),
    (True, "scale must be a number, got True (bool)"),
    (0.0, "scale must be a finite number > 0, got 0.0"),
    (float("nan"), "scale must be a finite number > 0, got nan"),
    ([0.5], "scale must be a number, got [0.5] (list)"),
])
def test_reembed_scale_refused(data, scale, message):
    assert _message(lambda: eg.hyperbolic.reembed(data[0], scale=scale)).startswith(message)


def test_reembed_scale_number_unchanged(data):
    a = eg.hyperbolic.reembed(data[0], scale=0.5)
    b = eg.hyperbolic.reembed(data[0], scale=np.float32(0.5))
    assert a.scale == b.scale == 0.5 and not a.scale_auto
    assert a.to_dict() | {"seconds": 0} == b.to_dict() | {"seconds": 0}


@pytest.mark.parametrize("lr, message", [
    ("0.1", "refine_lr must be a number, got '0.1' (str)"),
    (True, "refine_lr must be a number, got True (bool)"),
    (0.0, "refine_lr must be a finite number > 0, got 0.0"),
    (-1.0, "refine_lr must be a finite number > 0, got -1.0"),
    (float("nan"), "refine_lr must be a finite number > 0, got nan"),
])
@pytest.mark.parametrize("steps", [0, 3])
def test_hmds_refine_lr_refused(D, lr, message, steps):
    """Checked with or without refinement steps (torch's raw 'Invalid learning rate' was the message before)."""
    assert _message(lambda: eg.hyperbolic.hmds(D, refine_lr=lr, refine_steps=steps)).startswith(message)


# --------------------------------------------------------------------------- names=


@pytest.mark.parametrize("call", [
    lambda X, Y, names: eg.alignment(X, Y, names=names),
    lambda X, Y, names: _gap(X, Y, names=names),
    lambda X, Y, names: eg.compare(X, Y, names=names, n_bootstrap=0, n_permutations=0),
], ids=["alignment", "modality_gap", "compare"])
def test_names_must_be_two_texts(data, call):
    X, Y = data
    assert _message(lambda: call(X, Y, "AB")) == \
        "names must be a sequence of 2 names (text), one per input, got 'AB' (str) (e.g. names=('X', 'Y'))"
    assert _message(lambda: call(X, Y, 3)).startswith("names must be a sequence of 2 names (text), one per input, got 3 (int)")
    assert _message(lambda: call(X, Y, ("A",))) == "names holds 1 name for 2 inputs (give one name per input, e.g. names=('X', 'Y'))"
    assert _message(lambda: call(X, Y, ("A", 2))).startswith("names must hold text, got 2 (int)")


def test_names_valid_forms(data):
    X, Y = data
    assert eg.compare(X, Y, names=["a", Path("b.npy")], n_bootstrap=0, n_permutations=0).y == "b.npy"
    a = eg.alignment(X, Y, names=("a", "b"))
    assert a.to_dict() == eg.alignment(X, Y).to_dict()
    Xz = X.copy()
    Xz[2] = 0.0
    assert "zz" in _message(lambda: eg.alignment(Xz, Y, names=["zz", "y"]))  # the names reach the messages
    assert eg.compare.compare_many([X, Y, X + 1], names=("p", "q", "r"), n_bootstrap=0, n_permutations=0).names == ("p", "q", "r")
    assert _message(lambda: eg.compare.compare_many([X, Y, X + 1], names=("p", "q"))).startswith("names holds 2 names for 3 inputs")


# --------------------------------------------------------------------------- raw exceptions → EmbgeoError


def test_hmds_positives_checked(D):
    assert _message(lambda: eg.hyperbolic.hmds(D, positives="abc")).startswith(
        "positives must be an n × n neighbour matrix (16 × 16), got str")
    assert _message(lambda: eg.hyperbolic.hmds(D, positives=np.eye(5))).startswith(
        "positives must be a 16 × 16 neighbour matrix of numbers (one row per point), got shape (5, 5)")
    dense = (D < np.median(D)).astype(float)
    np.fill_diagonal(dense, 0.0)
    a = eg.hyperbolic.hmds(D, positives=sp.csr_matrix(dense))
    b = eg.hyperbolic.hmds(D, positives=dense)
    assert a.map_sala == b.map_sala and 0 < a.map_sala <= 1
    assert eg.hyperbolic.hmds(D).map_sala is None


def test_project_starting_checked(data):
    for method in ("pca", "umap"):
        assert _message(lambda: eg.project(data[0], method=method, starting="zzz")).startswith(
            "starting must be None or a callable (called with no argument before UMAP starts), got 'zzz' (str)")
    called = []
    eg.project(data[0], method="pca", starting=lambda: called.append(1))
    assert called == []  # PCA does not start UMAP


def test_report_out_and_unknown_keyword(data, tmp_path):
    assert _message(lambda: eg.report(data[0], out=3)).startswith("out must be the path of the HTML file (text or a Path), got 3 (int)")
    msg = _message(lambda: eg.report(data[0], tittle="x"))
    assert msg.startswith("report() got an unexpected keyword argument 'tittle' (did you mean title=?")
    assert "build_report" not in msg
    assert _message(lambda: eg.report(data[0], zzz=1)).startswith("report() got an unexpected keyword argument 'zzz' (its keywords: attr,")
    rep = eg.report(data[0], out=tmp_path / "r.html", only="uniformity", title="t")
    assert rep.title == "t" and (tmp_path / "r.html").is_file() and (tmp_path / "r.md").is_file()


# --------------------------------------------------------------------------- M1: project(method="pca") and the UMAP settings


@pytest.mark.parametrize("kw, shown", [
    (dict(k=30), "k=30 tunes UMAP"),
    (dict(min_dist=0.5), "min_dist=0.5 tunes UMAP"),
    (dict(metric="euclidean"), "metric='euclidean' tunes UMAP"),
    (dict(n_epochs=50), "n_epochs=50 tunes UMAP"),
    (dict(k=1000, metric="euclidean", n_epochs=50), "k=1000, metric='euclidean', n_epochs=50 tune UMAP"),
])
def test_project_pca_refuses_umap_settings(data, kw, shown):
    msg = _message(lambda: eg.project(data[0], method="pca", **kw))
    assert msg.startswith(f"{shown}; method='pca' would ignore")
    assert msg.endswith("or use method='umap')")


def test_project_pca_checks_umap_settings_and_takes_defaults(data):
    X = data[0]
    ref = eg.project(X, method="pca")
    same = eg.project(X, method="pca", k=15, min_dist=0.1, metric="cosine", n_epochs=None, starting=lambda: None)
    np.testing.assert_array_equal(ref.coordinates, same.coordinates)
    assert ref.params == same.params == {"centred": True}
    assert _message(lambda: eg.project(X, method="pca", k=1.5)).startswith("k must be an integer ≥ 2, got 1.5")
    assert _message(lambda: eg.project(X, method="pca", min_dist=2.0)).startswith("min_dist must lie in [0, 1], got 2.0")
    assert _message(lambda: eg.project(X, method="pca", metric="zzz")).startswith("unknown UMAP metric 'zzz'")
    assert _message(lambda: eg.project(X, method="pca", n_epochs=0)).startswith("n_epochs must be an integer ≥ 1, got 0")


# --------------------------------------------------------------------------- M4: compare's RBF settings


def test_compare_rbf_settings_need_cka_rbf(data):
    X, Y = data
    kw = dict(n_bootstrap=0, n_permutations=0)
    assert _message(lambda: eg.compare(X, Y, rbf_rows=30, **kw)) == (
        "rbf_rows=30 only tunes RBF CKA, which methods leaves out: it would be ignored "
        "(add 'cka_rbf' to methods, or leave rbf_rows out)")
    assert _message(lambda: eg.compare(X, Y, rbf_rows=30, rbf_sigma=2.0, methods="rsa", **kw)).startswith(
        "rbf_rows=30 and rbf_sigma=2.0 only tune RBF CKA")
    # checked whatever the methods: a nonsense value is refused as such
    assert _message(lambda: eg.compare(X, Y, rbf_sigma=-1.0, **kw)).startswith("rbf_sigma must be a positive finite number, got -1.0")
    assert _message(lambda: eg.compare(X, Y, rbf_rows="30", **kw)).startswith("rbf_rows must be an integer ≥ 4, got '30'")
    # with cka_rbf they apply: rbf_rows=30 of 40 rows samples the Gram matrices
    a = eg.compare(X, Y, methods=["cka_rbf"], rbf_rows=30, **kw)
    b = eg.compare(X, Y, methods=["cka_rbf"], **kw)
    assert a.get("cka_rbf").rows == 30 and b.get("cka_rbf").rows == 40
    # the defaults given explicitly change nothing; compare_many (the command line's) takes them as they are
    assert eg.compare(X, Y, rbf_rows=1000, rbf_sigma=1.0, **kw).to_dict() == eg.compare(X, Y, **kw).to_dict()
    many = eg.compare.compare_many([X, Y], rbf_rows=30, **kw)
    assert many.pairs[0].to_dict() == eg.compare(X, Y, **kw).to_dict()


def test_compare_generator_seed_drawn_once(data):
    """compare() checks its settings before compare_many does: a Generator seed still gives compare_many's result."""
    X, Y = data
    kw = dict(n_bootstrap=20, n_permutations=20, methods=["cka", "rsa"])
    a = eg.compare(X, Y, seed=np.random.default_rng(7), **kw)
    b = eg.compare.compare_many([X, Y], seed=np.random.default_rng(7), **kw).pairs[0]
    assert a.to_dict() == b.to_dict()


# --------------------------------------------------------------------------- M5: n_pairs in exact mode, the probe's settings


def test_uniformity_n_pairs_in_exact_mode(data):
    X = data[0]
    assert _message(lambda: eg.uniformity(X, mode="exact", n_pairs=500)) == (
        "n_pairs=500 sizes the sample of pairs, but mode='exact' uses every pair: it would be ignored "
        "(drop n_pairs, or use mode='sample')")
    assert _message(lambda: eg.uniformity(X, mode="exact", n_pairs=1)).startswith("n_pairs must be an integer ≥ 2, got 1")
    assert _message(lambda: eg.uniformity(X, n_pairs=True)).startswith("n_pairs must be an integer ≥ 2, got True (bool)")
    exact = eg.uniformity(X, mode="exact")
    assert eg.uniformity(X, mode="exact", n_pairs=200_000).uniformity == exact.uniformity  # the default given: fine
    auto = eg.uniformity(X, n_pairs=500)  # auto may sample (above exact_max_n rows): any size is taken
    assert auto.mode == "exact" and auto.uniformity == exact.uniformity and auto.n_pairs == 40 * 39 // 2
    sampled = eg.uniformity(X, mode="sample", n_pairs=500)
    assert sampled.mode == "sample" and sampled.n_pairs == 500


def test_gap_n_pairs_and_probe_settings(data):
    X, Y = data
    assert _message(lambda: _gap(X, Y, mode="exact", n_pairs=500)).startswith("n_pairs=500 sizes the sample of pairs, but mode='exact'")
    assert _message(lambda: _gap(X, Y, separability=False, separability_max_pairs=100)) == (
        "separability_max_pairs=100 sizes the separability probe, but separability=False leaves the probe out: it would be ignored "
        "(drop separability_max_pairs, or run the probe)")
    # checked whether or not the probe runs
    assert _message(lambda: _gap(X, Y, separability=False, n_folds=1)).startswith("n_folds must be an integer ≥ 2, got 1")
    assert _message(lambda: _gap(X, Y, separability=False, separability_max_pairs=3)).startswith("separability_max_pairs must be an integer ≥ 10")
    off = _gap(X, Y, separability=False)
    assert off.separability is None
    assert _gap(X, Y, separability=False, separability_max_pairs=5000).to_dict() == off.to_dict()
    on = _gap(X, Y, separability_max_pairs=30)
    assert on.separability is not None and on.separability.n_pairs_used == 30


# --------------------------------------------------------------------------- M7: hmds's refinement and seed


def test_hmds_refine_lr_needs_refine_steps_and_seed_checked(D):
    assert _message(lambda: eg.hyperbolic.hmds(D, refine_lr=0.1)) == (
        "refine_lr=0.1 is the learning rate of the refinement, but refine_steps=0 runs none: it would be ignored "
        "(give refine_steps > 0, or leave refine_lr out)")
    ref = eg.hyperbolic.hmds(D)
    assert eg.hyperbolic.hmds(D, refine_lr=0.01).distortion_mean == ref.distortion_mean
    for bad in ("abc", -1, 2.5, True):
        assert _message(lambda: eg.hyperbolic.hmds(D, seed=bad)).startswith("seed must be a non-negative integer")
    # the dense solver draws nothing: the seed does not change the result (documented)
    np.testing.assert_array_equal(eg.hyperbolic.hmds(D, seed=5).coordinates, ref.coordinates)
    doc = eg.hyperbolic.hmds.__doc__
    assert "refine_lr :" in doc and "seed :" in doc and "refine_steps :" in doc


# --------------------------------------------------------------------------- L2, L3, L6


def test_messages_name_the_keyword_written(data):
    X, Y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert _message(lambda: eg.project(X, method="pca", n_neighbors=2.7)).startswith("n_neighbors must be an integer ≥ 2, got 2.7")
        assert _message(lambda: eg.project(X, method="pca", n_neighbors=30)).startswith("n_neighbors=30 tunes UMAP")
        assert _message(lambda: _gap(X, Y, cv=1)).startswith("cv must be an integer ≥ 2, got 1")
    assert _message(lambda: _gap(X, Y, n_folds=1)).startswith("n_folds must be an integer ≥ 2, got 1")


def test_bools_are_not_counts(data):
    assert _message(lambda: eg.uniformity_sphere(True)) == "d must be a positive integer, got True"
    assert eg.uniformity_sphere(np.int64(3)) == eg.uniformity_sphere(3)
    assert _message(lambda: eg.hyperbolic.reembed(data[0], k=True)).startswith("k must be between 1 and n − 1 = 39 for 40 rows")
    assert _message(lambda: eg.hyperbolic.reembed(data[0], dim=True)).startswith("dim must be between 1 and n − 2")


def test_prefix_refuses_empty_and_nonfinite(data):
    X = data[0]
    assert "0 rows" in _message(lambda: eg.compare.prefix(np.zeros((0, 4)), 2))
    Xn = X.copy()
    Xn[3, 1] = np.nan
    assert _message(lambda: eg.compare.prefix(Xn, 2)).startswith("X has 1 row with NaN or inf (row 3)")
    np.testing.assert_array_equal(eg.compare.prefix(X, 2), X[:, :2])


# --------------------------------------------------------------------------- the command line still runs (it passes the defaults)


def test_cli_passes_defaults_beside_the_modes(run_cli, tmp_path, data):
    X, Y = data
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", Y)
    res = run_cli(["-q", "uniformity", tmp_path / "x.npy", "--mode", "exact", "-f", "json"])
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["results"]["uniformity"] == pytest.approx(eg.uniformity(X).uniformity, abs=1e-12)
    res = run_cli(["-q", "gap", tmp_path / "x.npy", tmp_path / "y.npy", "--no-separability", "--mode", "exact", "-f", "json"])
    assert res.code == 0, res.stderr
    res = run_cli(["-q", "project", tmp_path / "x.npy", "-m", "pca", "-f", "json"])
    assert res.code == 0, res.stderr
    res = run_cli(["-q", "compare", tmp_path / "x.npy", tmp_path / "y.npy", "--rbf-rows", "30", "--bootstrap", "0",
                   "--permutations", "0", "-f", "json"])
    assert res.code == 0, res.stderr
