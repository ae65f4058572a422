"""The public Python API of compare and knn refuses bad input in one line (audit of the library face):
the metric of ``rsa``/``information_imbalance``, spaces of different lengths (one shared check),
``quantize``'s argument, empty or NaN input, dtypes of ``find_duplicates``, indices of
``exact_distances``, ``recall_sample``; ``embgeo.project`` exists; the docstrings name every keyword."""
from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

import embgeo
from embgeo.compare import (
    check_same_rows, compare, compare_many, information_imbalance, linear_cka, mutual_knn, paired_matrices, procrustes_residual,
    quantize, rsa,
)
from embgeo.errors import EmbgeoError, use_surface
from embgeo.knn import exact_distances, find_duplicates, knn


@pytest.fixture(scope="module")
def XY():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5))
    return X, X + 0.1 * rng.normal(size=X.shape)


# ----------------------------------------------------------------------------- 1. rsa's metric


def test_rsa_refuses_an_unknown_metric_instead_of_computing_euclidean(XY):
    X, Y = XY
    with pytest.raises(EmbgeoError) as err:
        rsa(X, Y, metric="bogus")
    assert str(err.value) == "metric must be one of cosine, euclidean, got 'bogus' (e.g. metric='cosine')"
    # the two metrics it takes still give their own (different) values, and X against itself is 1
    cos, euc = rsa(X, Y, metric="cosine"), rsa(X, Y, metric="euclidean")
    assert 0.9 < cos < 1 and 0.9 < euc < 1 and cos != euc
    assert rsa(X, X, metric="euclidean") == pytest.approx(1.0, abs=1e-12)


def test_information_imbalance_refuses_a_metric_it_does_not_rank(XY):
    X, Y = XY
    for metric in ("dot", "bogus"):  # "dot" used to search by inner product and rank by euclidean distance
        with pytest.raises(EmbgeoError, match=rf"^metric must be one of cosine, euclidean, got '{metric}'"):
            information_imbalance(X, Y, metric=metric)
    assert information_imbalance(X, X) == pytest.approx(2.0 / X.shape[0])  # every nearest neighbour has rank 1


def test_compare_names_the_metric_the_same_way(XY):
    with pytest.raises(EmbgeoError, match=r"^metric must be one of cosine, euclidean, got 'manhattan'"):
        compare(*XY, metric="manhattan", n_bootstrap=0, n_permutations=0)


# ----------------------------------------------------------------------------- 2. one check of the pairing

MISMATCH = "X has 20 rows, Y has 15: the two spaces must hold the same items, row for row"


@pytest.mark.parametrize("fn", [linear_cka, procrustes_residual, rsa, lambda a, b: mutual_knn(a, b, 3)],
                         ids=["linear_cka", "procrustes_residual", "rsa", "mutual_knn"])
def test_measures_refuse_spaces_of_different_lengths_in_one_line(XY, fn):
    X, Y = XY
    with pytest.raises(EmbgeoError) as err:
        fn(X, Y[:15])
    assert str(err.value).startswith(MISMATCH + " (pass the same items in the same order in both")
    assert "\n" not in str(err.value)


def test_information_imbalance_names_its_own_arguments(XY):
    X, Y = XY
    with pytest.raises(EmbgeoError, match=r"^A has 20 rows, B has 15: the two spaces must hold the same items, row for row"):
        information_imbalance(X, Y[:15])


@pytest.mark.parametrize("fn", [linear_cka, procrustes_residual, rsa, mutual_knn, information_imbalance],
                         ids=["linear_cka", "procrustes_residual", "rsa", "mutual_knn", "information_imbalance"])
def test_measures_refuse_1d_and_nonfinite_input(XY, fn):
    X, Y = XY
    first = "A" if fn is information_imbalance else "X"
    with pytest.raises(EmbgeoError, match=rf"^{first} is 1-D \(shape \(20,\)\)"):
        fn(X[:, 0], Y)
    bad = X.copy()
    bad[4, 1] = np.nan
    with pytest.raises(EmbgeoError, match=rf"^{first} has 1 row with NaN or inf \(row 4\)"):
        fn(bad, Y)


def test_the_shared_check_itself(XY):
    X, Y = XY
    check_same_rows(X, Y)  # same length: nothing to say
    with pytest.raises(EmbgeoError, match=r"^a.npy has 20 rows, b.npy has 3: the two spaces"):
        check_same_rows(X, Y[:3], names=("a.npy", "b.npy"))
    with use_surface("cli"):  # the remedy of the command line names no Python function
        with pytest.raises(EmbgeoError) as err:
            check_same_rows(X, Y[:3])
    assert "align_rows" not in str(err.value) and "joined by id when every file has ids" in str(err.value)
    A, B = paired_matrices(X.tolist(), Y)
    assert A.shape == B.shape == (20, 5) and A.dtype == np.float64
    # the measures still agree with their definitions on valid input
    assert linear_cka(X, X) == pytest.approx(1.0) and procrustes_residual(X, 3.0 * X) == pytest.approx(0.0, abs=1e-12)
    assert mutual_knn(X, X, 3) == 1.0


# ----------------------------------------------------------------------------- 3. quantize's argument, 5. its input


def test_quantize_names_its_argument_as_the_caller_wrote_it(XY):
    X, _ = XY
    with pytest.raises(EmbgeoError) as err:
        quantize(X, "int4")
    assert str(err.value) == "kind must be one of int8, binary, got 'int4' (e.g. kind='int8')"
    with use_surface("cli"), pytest.raises(EmbgeoError) as err:
        quantize(X, "int4")
    assert str(err.value) == "--quantize must be one of int8, binary, got 'int4' (e.g. --quantize int8)"


def test_quantize_refuses_empty_and_nonfinite_input(XY):
    X, _ = XY
    with pytest.raises(EmbgeoError, match=r"^X: has 0 rows; this needs at least 1"):
        quantize(np.empty((0, 5)), "int8")
    bad = X.copy()
    bad[7, 2] = np.nan
    for kind in ("int8", "binary"):
        with pytest.raises(EmbgeoError, match=r"^X has 1 row with NaN or inf \(row 7\)"):
            quantize(bad, kind)
    bad[7, 2] = np.inf
    with pytest.raises(EmbgeoError, match=r"^X has 1 row with NaN or inf \(row 7\)"):
        quantize(bad, "int8")
    q = quantize(X, "int8")  # valid input: each column's minimum is −128 and its maximum 127, whatever the rounding
    assert q.dtype == np.float32 and (q.min(axis=0) == -128).all() and (q.max(axis=0) == 127).all()
    W = np.random.default_rng(3).normal(size=(500, 300)) * np.logspace(-6, 6, 300)  # many spans: none rounds to 126
    qw = quantize(W, "int8")
    assert (qw.max(axis=0) == 127).all() and (qw.min(axis=0) == -128).all()
    # the levels are FAISS's 8-bit scalar quantiser's: floor(255·(x − lo)/span) − 128
    assert qw[0, 5] == np.floor(255 * (W[0, 5] - W[:, 5].min()) / np.ptp(W[:, 5])) - 128
    assert set(np.unique(quantize(X, "binary"))) == {-1.0, 1.0}


def test_cli_quantize_names_the_file_with_nan_rows(tmp_path, XY):
    X, _ = XY
    bad = X.copy()
    bad[3, 0] = np.nan
    path = tmp_path / "nan.npy"
    np.save(path, bad)
    proc = subprocess.run([sys.executable, "-m", "embgeo", "compare", str(path), "--quantize", "int8", "-q"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert f"{path} has 1 row with NaN or inf (row 3)" in proc.stderr


# ----------------------------------------------------------------------------- 4. find_duplicates' dtype


def test_find_duplicates_runs_the_dtype_check_of_as_matrix():
    same = np.array([[1.0, 2.0, 3.0]] * 60)
    with pytest.raises(EmbgeoError) as err:
        find_duplicates(same.astype(object))
    assert str(err.value) == ("X has dtype object; expected real numbers "
                              "(save the vectors as numbers, e.g. X.astype(np.float32), not as text or objects)")
    with pytest.raises(EmbgeoError, match=r"^X has dtype complex128; expected real numbers \(save real numbers instead: np.real\(X\)"):
        find_duplicates(same.astype(complex))
    with pytest.raises(EmbgeoError, match=r"^X has dtype <U1; expected real numbers"):
        find_duplicates(np.array([["a", "b"]] * 3))
    rep = find_duplicates(same)  # real numbers: 59 extra copies in one group
    assert (rep.n_duplicate_rows, rep.duplicate_groups, rep.rows_with_twin.size) == (59, 1, 60)
    assert find_duplicates(same.astype(np.int64)).n_duplicate_rows == 59
    assert find_duplicates(same.tolist()).n_duplicate_rows == 59


# ----------------------------------------------------------------------------- 5. exact_distances, recall_sample


def test_exact_distances_refuses_rows_outside_x():
    X = np.eye(4)
    for bad, row in (([[0, 9]], 9), ([[0, -1]], -1)):
        with pytest.raises(EmbgeoError) as err:
            exact_distances(X, X[:1], np.array(bad))
        assert str(err.value).startswith(f"indices holds row {row}, outside 0…3 (1 out of range)")
    with pytest.raises(EmbgeoError, match=r"^indices must be integer row numbers, got 1.5"):
        exact_distances(X, X[:1], np.array([[0, 1.5]]))
    with pytest.raises(EmbgeoError, match=r"^indices must be a 2-D array \(n_query, k\), got shape \(2,\)"):
        exact_distances(X, X[:1], np.array([0, 1]))
    with pytest.raises(EmbgeoError, match=r"^Q has shape \(4, 4\); it must be \(1, 4\)"):
        exact_distances(X, X, np.array([[0, 1]]))
    with pytest.raises(EmbgeoError, match=r"^metric must be one of euclidean, cosine, dot; got 'l1'"):
        exact_distances(X, X[:1], np.array([[0, 1]]), metric="l1")
    np.testing.assert_allclose(exact_distances(X, X[:1], np.array([[0, 2]])), [[0.0, np.sqrt(2.0)]], rtol=1e-15)


@pytest.mark.parametrize("value, text", [(-1, "recall_sample must be an integer ≥ 1, got -1"), (0, "recall_sample must be an integer ≥ 1, got 0"),
                                         (2.5, "recall_sample must be an integer ≥ 1, got 2.5 (a fraction)")])
def test_knn_refuses_a_recall_sample_below_one(XY, value, text):
    X, _ = XY
    with pytest.raises(EmbgeoError) as err:
        knn(X, 3, approx=True, recall_sample=value)  # refused before pynndescent is imported
    assert str(err.value).startswith(text) and "recall_sample=200" in str(err.value)
    assert knn(X, 3, recall_sample=5).recall_sample == 0  # exact search: no recall measured


# ----------------------------------------------------------------------------- 6. embgeo.project


def test_project_is_a_top_level_name():
    assert "project" in embgeo.__all__ and "projection" in embgeo.__all__
    from embgeo.projection import project

    assert embgeo.project is project
    res = embgeo.project(np.random.default_rng(0).normal(size=(30, 5)), method="pca")
    assert res.coordinates.shape == (30, 2) and res.method == "pca"


# ----------------------------------------------------------------------------- 7. the docstrings


def test_compare_documents_every_keyword_and_compare_many_points_to_them():
    doc = inspect.getdoc(compare)
    for name in inspect.signature(compare).parameters:
        assert f"{name} :" in doc or f", {name} :" in doc or f"{name}, " in doc, name
    many = inspect.getdoc(compare_many)
    shared = set(inspect.signature(compare_many).parameters) & set(inspect.signature(compare).parameters) - {"names", "client"}
    assert "those of :func:`compare`" in many
    for name in shared:
        assert f"``{name}``" in many, name


def test_procrustes_of_wide_short_matrices_uses_the_row_factor_with_the_same_values():
    # 30 rows × 400 and 300 dims: value and bootstrap replicates through the n×n factors equal the d_X×d_Y SVD
    from embgeo.compare.replicates import procrustes_replicates

    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 400))
    Y = X[:, :300] + 0.3 * rng.normal(size=(30, 300))
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    full = 1 - np.linalg.svd(Xc.T @ Yc, compute_uv=False).sum() ** 2 / ((Xc ** 2).sum() * (Yc ** 2).sum())
    assert procrustes_residual(X, Y) == pytest.approx(full, abs=1e-12)
    boots: list = []
    procrustes_replicates(Xc, Yc, np.random.default_rng(9), 0, 3, [], boots)
    r = np.random.default_rng(9)
    for b in boots:  # the same draws, by the d_X×d_Y formula
        w = np.bincount(r.integers(0, 30, 30), minlength=30).astype(float)
        mx, my = w @ Xc / 30, w @ Yc / 30
        C = (Xc * w[:, None]).T @ Yc - 30 * np.outer(mx, my)
        a = w @ (Xc ** 2).sum(1) - 30 * mx @ mx
        c = w @ (Yc ** 2).sum(1) - 30 * my @ my
        # (replicates take ‖C‖_* from eigenvalues, √ of rounding noise on the null directions: ~1e-6 relative here;
        # through the 400×300 cross-product they were further off, 5e-8 on the full rows' value against 2e-15 now)
        assert b == pytest.approx(1 - np.linalg.svd(C, compute_uv=False).sum() ** 2 / (a * c), rel=1e-5)


def test_procrustes_map_with_fewer_rows_than_dimensions_is_the_partial_isometry():
    from embgeo.compare.procrustes import procrustes_map

    rng = np.random.default_rng(5)
    X = rng.normal(size=(20, 60))
    Y = X[:, :50] @ np.linalg.qr(rng.normal(size=(50, 50)))[0] + 0.1 * rng.normal(size=(20, 50))
    R, mx, my = procrustes_map(X, Y)
    Xf, Yf = X - mx, Y - my
    U, S, Vt = np.linalg.svd(Yf.T @ Xf, full_matrices=False)  # the d_Y × d_X route: one optimal map among many
    best = np.sum((Yf @ (U @ Vt) - Xf) ** 2)
    assert np.sum((Yf @ R - Xf) ** 2) == pytest.approx(best, rel=1e-10)  # the same (optimal) residual
    assert np.allclose(R @ R.T @ R, R, atol=1e-10)  # a partial isometry: singular values 0 or 1
    assert np.linalg.matrix_rank(R, tol=1e-8) == np.linalg.matrix_rank(Yf.T @ Xf, tol=1e-8)
    z = np.linalg.svd(Yf)[2][-1]  # a direction no fitting row spans is mapped to 0
    assert np.allclose(z @ R, 0, atol=1e-10)
    tall = rng.normal(size=(80, 10)), rng.normal(size=(80, 12))  # more rows than dimensions: the orthogonal map as before
    R2, *_ = procrustes_map(*tall)
    assert R2.shape == (12, 10) and np.allclose(R2.T @ R2, np.eye(10), atol=1e-10)
