"""The Python face of id, project, hyperbolic and uniformity (audit of the public API, stop 35).

- result attributes mean what the JSON keys of the same name mean (``n_rows`` the rows measured,
  ``n_rows_in`` the rows given; ``confidence``, ``n_bootstrap`` for ``bootstrap``), the old names
  still read with a DeprecationWarning;
- each estimator's ``to_dict()`` is its object in ``embgeo id``'s JSON, key for key and value for value;
- renamed keywords (``k`` of ``calibrated_dimension`` and ``project``, ``gride_max``, ``distortion_sources``)
  keep the old names working, and giving both is an error;
- arguments are checked at entry: one EmbgeoError naming the argument, never a raw TypeError/ValueError;
- the hyperbolic result classes are exported, lazily.
"""
from __future__ import annotations

import inspect
import re
import subprocess
import sys

import numpy as np
import pytest

from embgeo.errors import EmbgeoError, use_surface
from embgeo.intrinsic import (
    IntrinsicReport, calibrated_dimension, gride_dimension, intrinsic_dimension, layer_dimensions, mle_dimension, pca_dimension,
    twonn_dimension,
)


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(3)
    return rng.random((300, 4)) @ rng.standard_normal((4, 6))  # a 4-d cube in 6 columns


def _message(fn) -> str:
    with pytest.raises(EmbgeoError) as info:
        fn()
    return str(info.value)


# --------------------------------------------------------------------------- 1. n_rows is the rows measured


def test_intrinsic_report_n_rows_is_the_rows_measured_as_in_the_json():
    Z = np.random.default_rng(0).standard_normal((123, 5))
    r = intrinsic_dimension(Z, sample=100, methods="twonn", n_bootstrap=0)
    d = r.to_dict()
    assert (r.n_rows, r.n_rows_in) == (100, 123) == (d["n_rows"], d["n_rows_in"])
    full = intrinsic_dimension(Z, methods="pca")
    assert (full.n_rows, full.n_rows_in) == (123, 123) == (full.to_dict()["n_rows"], full.to_dict()["n_rows_in"])
    # the former constructor layout (n_rows the rows given, n_measured the rows measured) still builds the same report
    with pytest.warns(DeprecationWarning, match="n_measured"):
        old = IntrinsicReport(123, 100, 0, True, ("pca",), n_measured=100)
    assert (old.n_rows, old.n_rows_in) == (100, 123)
    new = IntrinsicReport(100, 100, 0, True, ("pca",), n_rows_in=123)
    assert old == new and old.to_dict()["n_rows"] == 100 and old.to_dict()["n_rows_in"] == 123


def test_reembed_n_rows_is_the_rows_reembedded_as_in_the_json():
    from embgeo.hyperbolic.reembed import reembed

    rng = np.random.default_rng(1)
    Z = np.r_[rng.standard_normal((40, 3)), rng.standard_normal((12, 3)) + 100.0]  # two far parts: the largest is kept
    Z = np.r_[Z, Z[:3]]  # and 3 exact duplicates, dropped
    r = reembed(Z, dim=2, k=4, seed=0)
    d = r.to_dict()
    assert (r.n_rows, r.n_rows_in) == (40, 55) == (d["n_rows"], d["n_rows_in"])
    assert list(d)[:2] == ["n_rows", "n_rows_in"] and "n_rows_used" not in d and r.kept.size == 40
    with pytest.warns(DeprecationWarning, match=r"n_rows_used is now \.n_rows"):
        assert r.n_rows_used == 40


# --------------------------------------------------------------------------- 2. to_dict() is the id JSON's object


def test_each_estimator_to_dict_is_its_object_in_the_id_json(X):
    kw = dict(n_bootstrap=20, confidence=0.9, seed=0)
    rep = intrinsic_dimension(X, methods=("twonn", "mle", "gride", "calibrated"), gride_max=16, **kw)
    d = rep.to_dict()
    # the report's own results
    assert rep.twonn.to_dict() == d["twonn"] and rep.mle.to_dict() == d["mle"]
    assert rep.gride.to_dict() == d["gride"] and rep.calibrated.to_dict() == d["calibrated"]
    assert d["mle_k20"] == {**rep.mle_k20.to_dict(), "peer": "skdim MLE(), n_neighbors=20"}
    lin = rep.twonn_linear.to_dict()
    assert d["twonn_linear"] == {**{k: lin[k] for k in ("dimension", "ci_low", "ci_high", "variant", "discard", "linear_r2", "bootstrap")},
                                 "peer": "skdim TwoNN(), DADApy compute_id_2NN()"}
    # each estimator called on its own, on the same data: the same object
    assert twonn_dimension(X, **kw).to_dict() == d["twonn"]
    assert mle_dimension(X, k1=10, k2=20, **kw).to_dict() == d["mle"]
    assert gride_dimension(X, gride_max=16, confidence=0.9).to_dict() == d["gride"]
    assert calibrated_dimension(X, **kw).to_dict() == d["calibrated"]
    # the keys are the id JSON's, not the attributes' former names
    tw = d["twonn"]
    assert list(tw) == ["dimension", "ci_low", "ci_high", "confidence", "bootstrap", "interval_method", "variant", "discard", "mle", "linear",
                        "linear_r2", "mle_exact_ci_low", "mle_exact_ci_high", "n_points", "n_used", "n_ties", "n_duplicates_dropped"]
    assert (tw["confidence"], tw["bootstrap"], tw["interval_method"], tw["discard"], tw["n_points"]) == (0.9, 20, "bootstrap", 0.1, 300)
    assert (tw["ci_low"], tw["ci_high"]) == (rep.twonn.ci_low, rep.twonn.ci_high) == tuple(rep.twonn.interval)
    assert tw["ci_low"] < tw["dimension"] < tw["ci_high"] and 3.0 < tw["dimension"] < 4.5
    ml = d["mle"]
    assert list(ml) == ["dimension", "ci_low", "ci_high", "k1", "k2", "per_k", "confidence", "bootstrap", "n_points", "n_duplicates_dropped"]
    assert (ml["k1"], ml["k2"], ml["confidence"], ml["bootstrap"], len(ml["per_k"])) == (10, 20, 0.9, 20, 11)
    assert [s["n2"] for s in d["gride"]["scales"]] == [2, 4, 8, 16]
    z = 1.6448536269514722  # the 90 % normal quantile: GRIDE's intervals follow confidence
    s0 = d["gride"]["scales"][0]
    assert s0["ci_high"] == pytest.approx(s0["dimension"] + z * s0["stderr"], rel=1e-12)
    assert d["calibrated"]["confidence"] == 0.9 and d["calibrated"]["bootstrap"] == 20


def test_twonn_without_a_bootstrap_reads_its_exact_interval(X):
    tw = twonn_dimension(X, n_bootstrap=0)
    d = tw.to_dict()
    assert np.isnan(tw.interval[0]) and d["interval_method"] == "exact_chi2" and d["bootstrap"] == 0
    assert (d["ci_low"], d["ci_high"]) == (d["mle_exact_ci_low"], d["mle_exact_ci_high"]) == (tw.ci_low, tw.ci_high)
    lin = twonn_dimension(X, n_bootstrap=0, variant="linear").to_dict()
    assert lin["ci_low"] is None and lin["ci_high"] is None and lin["interval_method"] is None
    m = mle_dimension(X, n_bootstrap=0).to_dict()
    assert m["ci_low"] is None and m["ci_high"] is None and "interval" not in m


# --------------------------------------------------------------------------- 3. renamed attributes


def test_result_attributes_are_named_as_the_json_and_the_old_names_warn(X):
    tw = twonn_dimension(X, n_bootstrap=7, confidence=0.8)
    ml = mle_dimension(X, n_bootstrap=4, confidence=0.8)
    cal = calibrated_dimension(X, n_bootstrap=3, confidence=0.8, reference_points=500)
    for r, boots in ((tw, 7), (ml, 4), (cal, 3)):
        assert (r.n_bootstrap, r.confidence) == (boots, 0.8) == (r.to_dict()["bootstrap"], r.to_dict()["confidence"])
        with pytest.warns(DeprecationWarning, match=r"n_boot is now \.n_bootstrap"):
            assert r.n_boot == boots
        with pytest.warns(DeprecationWarning, match=r"interval_level is now \.confidence"):
            assert r.interval_level == 0.8
        with pytest.raises((AttributeError, TypeError)):  # read-only (a frozen slots dataclass says TypeError on Python 3.11)
            r.n_boot = 1


# --------------------------------------------------------------------------- 4. renamed keywords


def test_calibrated_k_and_its_former_name_neighbours(X):
    new = calibrated_dimension(X, k=4, n_bootstrap=0, reference_points=500)
    assert new.neighbours == 4 and new.to_dict()["neighbours"] == 4
    with pytest.warns(DeprecationWarning, match=r"calibrated_dimension\(neighbours=\) is now k="):
        old = calibrated_dimension(X, neighbours=4, n_bootstrap=0, reference_points=500)
    assert old.to_dict() == new.to_dict()
    assert _message(lambda: calibrated_dimension(X, neighbours=4, k=4)).startswith("neighbours is the former name of k; both were given")
    assert _message(lambda: calibrated_dimension(X, k=1)).startswith("k must be an integer ≥ 2, got 1")
    assert _message(lambda: calibrated_dimension(X, k=True)).startswith("k must be an integer ≥ 2, got True (bool)")
    with pytest.warns(DeprecationWarning):  # the message names the keyword the caller wrote
        assert _message(lambda: calibrated_dimension(X, neighbours=11)).startswith("neighbours must be an integer from 2 to 10")


def test_gride_max_and_its_former_name_max_order(X):
    new = gride_dimension(X, gride_max=8)
    assert list(new.n2) == [2, 4, 8]
    with pytest.warns(DeprecationWarning, match=r"gride_dimension\(max_order=\) is now gride_max="):
        old = gride_dimension(X, max_order=8)
    assert old.to_dict() == new.to_dict()
    assert list(gride_dimension(X).n2) == [2, 4, 8, 16, 32, 64]  # None: 64
    assert _message(lambda: gride_dimension(X, gride_max=8, max_order=8)).startswith("max_order is the former name of gride_max")
    assert _message(lambda: gride_dimension(X, gride_max=1)).startswith("gride_max must be an integer ≥ 2, got 1")
    with use_surface("cli"):
        assert _message(lambda: gride_dimension(X, gride_max=1)).startswith("--gride-max must be an integer ≥ 2, got 1")


def test_project_k_and_its_former_name_n_neighbors(X):
    from embgeo.projection import project

    a = project(X, method="pca", k=15)  # (k other than 15 is refused with PCA, which ignores it)
    with pytest.warns(DeprecationWarning, match=r"project\(n_neighbors=\) is now k="):
        b = project(X, method="pca", n_neighbors=15)
    np.testing.assert_array_equal(a.coordinates, b.coordinates)
    assert _message(lambda: project(X, method="pca", k=5, n_neighbors=5)).startswith("n_neighbors is the former name of k")


def test_distortion_sources_and_its_former_name_max_sources():
    from embgeo.hyperbolic import combinatorial_embedding
    from embgeo.hyperbolic.graphs import hierarchy_from_edges
    from embgeo.plots.hyperbolic import pair_distortions

    h = hierarchy_from_edges([(i, (i - 1) // 2) for i in range(1, 31)])  # a binary tree of 31 nodes
    te = combinatorial_embedding(h.edges, h.n_nodes, dim=2, eps=0.5)
    every, s_every = pair_distortions(te.distances, h, distortion_sources=None)
    assert every.size == 31 * 30 // 2
    with pytest.warns(DeprecationWarning, match=r"pair_distortions\(max_sources=\) is now distortion_sources="):
        old, s_old = pair_distortions(te.distances, h, max_sources=None)  # None: every node, under the old name too
    np.testing.assert_array_equal(old, every)
    five, _ = pair_distortions(te.distances, h, distortion_sources=5, seed=2)
    with pytest.warns(DeprecationWarning):
        old5, _ = pair_distortions(te.distances, h, max_sources=5, seed=2)
    np.testing.assert_array_equal(old5, five)
    assert five.size == 5 * 30
    assert _message(lambda: pair_distortions(te.distances, h, distortion_sources=5, max_sources=5)).startswith(
        "max_sources is the former name of distortion_sources")
    assert _message(lambda: pair_distortions(te.distances, h, distortion_sources=0)).startswith("distortion_sources must be an integer ≥ 1")


# --------------------------------------------------------------------------- 5. project checks its UMAP settings at entry


@pytest.mark.parametrize("kw, python, cli", [
    (dict(n_epochs=-1), "n_epochs must be an integer ≥ 1, got -1", "--epochs must be an integer ≥ 1, got -1"),
    (dict(n_epochs=1.5), "n_epochs must be an integer ≥ 1, got 1.5 (a fraction)", "--epochs must be"),
    (dict(n_epochs="3"), "n_epochs must be an integer ≥ 1, got '3' (str)", "--epochs must be"),
    (dict(n_epochs=True), "n_epochs must be an integer ≥ 1, got True (bool)", "--epochs must be"),
    (dict(min_dist="x"), "min_dist must be a number, got 'x' (str)", "--min-dist must be a number"),
    (dict(min_dist=1.5), "min_dist must lie in [0, 1], got 1.5", "--min-dist must lie in [0, 1]"),
    (dict(k=1), "k must be an integer ≥ 2, got 1", "--k must be an integer ≥ 2, got 1"),
    (dict(k=2.5), "k must be an integer ≥ 2, got 2.5 (a fraction)", "--k must be"),
    (dict(sample="3"), "sample must be an integer ≥ 3, got '3' (str)", "--sample must be"),
])
@pytest.mark.parametrize("method", ["pca", "umap"])
def test_project_refuses_bad_settings_before_anything_runs(X, kw, python, cli, method):
    from embgeo.projection import project

    assert _message(lambda: project(X, method=method, **kw)).startswith(python)
    with use_surface("cli"):
        assert _message(lambda: project(X, method=method, **kw)).startswith(cli)


# --------------------------------------------------------------------------- 6. one-line errors instead of raw ones


def test_spectral_measures_refuse_what_is_not_a_matrix_and_read_lists():
    from embgeo.intrinsic import matrix_entropy, rankme

    for fn in (pca_dimension, rankme, matrix_entropy):
        assert _message(lambda: fn(np.arange(10.0))).startswith("X is 1-D (shape (10,))")
        assert _message(lambda: fn(np.zeros((2, 3, 4)))).startswith("X has 3 dimensions (shape (2, 3, 4))")
    rows = [[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]
    assert pca_dimension(rows).to_dict() == pca_dimension(np.array(rows)).to_dict()
    assert (pca_dimension(rows).n_rows, pca_dimension(rows).n_dims) == (3, 2)
    assert rankme(rows).max_rank == 2 and matrix_entropy(rows).max_rank == 2


@pytest.mark.parametrize("sample, text", [("3", "got '3' (str)"), (2, "got 2"), (True, "got True (bool)"), (50.0, "got 50.0 (a fraction)")])
def test_intrinsic_sample_is_a_whole_number(X, sample, text):
    assert _message(lambda: intrinsic_dimension(X, methods="pca", sample=sample)).startswith(f"sample must be an integer ≥ 3, {text}")
    assert intrinsic_dimension(X, methods="pca", sample=1000).n_rows == 300  # not below the rows: every row


def test_delta_counts_are_whole_numbers_and_a_subset_holds_four_points():
    from embgeo.hyperbolic.delta import gromov_delta

    P = np.random.default_rng(0).standard_normal((30, 3))
    cases = [(dict(subset_size=0), "subset_size must be an integer ≥ 4, got 0"),
             (dict(subset_size=3), "subset_size must be an integer ≥ 4, got 3"),
             (dict(subset_size=True), "subset_size must be an integer ≥ 4, got True (bool)"),
             (dict(exact_max=True), "exact_max must be an integer ≥ 0, got True (bool)"),
             (dict(n_subsets=1.5), "n_subsets must be an integer ≥ 0, got 1.5 (a fraction)"),
             (dict(n_quadruples="10"), "n_quadruples must be an integer ≥ 0, got '10' (str)")]
    for kw, text in cases:
        assert _message(lambda: gromov_delta(points=P, method="sampled", **kw)).startswith(text)
    with use_surface("cli"):
        assert _message(lambda: gromov_delta(points=P, method="sampled", n_subsets=-1)).startswith("--subsets must be an integer ≥ 0")
    r = gromov_delta(points=P, method="sampled", subset_size=4, n_subsets=5, n_quadruples=0, seed=1)
    assert r.subset_size == 4 and r.n_subsets == 5 and not r.exact and 0 < r.delta_relative <= 1


def test_uniformity_block_is_a_whole_number(X):
    from embgeo.uniformity.core import uniformity

    for bad, text in ((True, "got True (bool)"), (0, "got 0"), (2.0, "got 2.0 (a fraction)")):
        assert _message(lambda: uniformity(X, block=bad)).startswith(f"block must be an integer ≥ 1, {text}")
    assert uniformity(X, block=16, mode="exact").uniformity == pytest.approx(uniformity(X, mode="exact").uniformity, rel=1e-12, abs=1e-12)


def test_construction_scale_and_bits_refuse_impossible_values():
    import math

    from embgeo.hyperbolic import bits_needed, embedding_scale

    assert bits_needed(0.0) == 16 and bits_needed(100.0) == math.ceil(100.0 / math.log(2)) + 16
    for bad in (-1, float("nan"), float("inf")):
        assert _message(lambda: bits_needed(bad)).startswith("max_radius is a hyperbolic distance from the origin, a finite number ≥ 0")
    assert _message(lambda: bits_needed("3")).startswith("max_radius must be a number, got '3' (str)")
    assert _message(lambda: embedding_scale(0.1, max_degree=0)).startswith("max_degree must be an integer ≥ 1, got 0")
    assert _message(lambda: embedding_scale(0.1, max_degree=2.5)).startswith("max_degree must be an integer ≥ 1, got 2.5")
    assert embedding_scale(0.1, 1) == embedding_scale(0.1, 2)  # one edge: the scale of degree 2, as the reference code


# --------------------------------------------------------------------------- 7. the hyperbolic results are exported


def test_hyperbolic_results_are_exported_lazily():
    import embgeo.hyperbolic as H
    from embgeo.hyperbolic.delta import DeltaResult
    from embgeo.hyperbolic.evaluate import EvalResult
    from embgeo.hyperbolic.graphs import Hierarchy
    from embgeo.hyperbolic.hmds import HmdsResult
    from embgeo.hyperbolic.poincare import PoincareEmbedding
    from embgeo.hyperbolic.reembed import ReembedResult

    for cls in (HmdsResult, DeltaResult, ReembedResult, EvalResult, PoincareEmbedding, Hierarchy):
        assert cls.__name__ in H.__all__ and getattr(H, cls.__name__) is cls
    D = np.array([[0, 1, 2, 2], [1, 0, 1, 1], [2, 1, 0, 2], [2, 1, 2, 0]], dtype=float)  # a star: a tree
    assert isinstance(H.hmds(D, dim=2), H.HmdsResult) and isinstance(H.delta(D), H.DeltaResult)
    assert H.delta(D).delta == 0.0
    code = ("import sys, embgeo.hyperbolic as H; H.__all__; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'torch', 'geoopt', 'matplotlib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


# --------------------------------------------------------------------------- 8. every keyword is documented


@pytest.mark.parametrize("fn", ["intrinsic_dimension", "layer_dimensions", "modality_gap", "project", "twonn_dimension", "mle_dimension",
                                "gride_dimension", "calibrated_dimension"])
def test_every_keyword_is_in_the_docstring(fn):
    from embgeo.projection import project
    from embgeo.uniformity.gap import modality_gap

    f = {"intrinsic_dimension": intrinsic_dimension, "layer_dimensions": layer_dimensions, "modality_gap": modality_gap,
         "project": project, "twonn_dimension": twonn_dimension, "mle_dimension": mle_dimension, "gride_dimension": gride_dimension,
         "calibrated_dimension": calibrated_dimension}[fn]
    f = inspect.unwrap(f)
    missing = [p for p in inspect.signature(f).parameters if p not in ("X", "Y", "stack") and not re.search(rf"\b{p}\b", f.__doc__)]
    assert not missing, (fn, missing)
