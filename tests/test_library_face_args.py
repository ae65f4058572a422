"""The library face of compare, the layer analyses, the intrinsic estimators, cosine, knn and h-MDS:
nested lists, torch tensors and EmbeddingSets give the numbers arrays give; every invalid argument
raises an EmbgeoError naming the keyword the caller used (the option while a command runs), before
anything is computed; a 1-D matrix is refused when the EmbeddingSet is built."""
from __future__ import annotations

import numpy as np
import pytest

import embgeo as eg
from embgeo.errors import EmbgeoError, use_surface

torch = pytest.importorskip("torch")

CMP = dict(methods=["cka", "mutual_knn", "rsa"], n_bootstrap=0, n_permutations=0)
ID = dict(methods=["twonn", "mle", "pca"], n_bootstrap=20)


@pytest.fixture(scope="module")
def Z():
    rng = np.random.default_rng(0)
    return rng.normal(size=(120, 8)) @ rng.normal(size=(8, 8))


@pytest.fixture(scope="module")
def stack(Z):
    rng = np.random.default_rng(1)
    return np.stack([Z, Z @ rng.normal(size=(8, 8)) + 0.1 * rng.normal(size=Z.shape)])


def _values(res):
    return {(m.metric, m.k): m.value for m in res.measures}


def _raises(fn, *expected, absent=()):
    with pytest.raises(EmbgeoError) as info:
        fn()
    msg = str(info.value)
    for text in expected:
        assert text in msg, msg
    for text in absent:
        assert text not in msg, msg
    return msg


# --------------------------------------------------------------------------- 1. compare takes nested lists


def test_compare_nested_lists_give_the_array_numbers(Z):
    Y = Z + 0.1
    ref = _values(eg.compare(Z, Y, **CMP))
    assert ref[("cka_linear", None)] > 0.99 and ref[("rsa_spearman", None)] > 0.97 and ref[("mutual_knn", 10)] > 0.8  # nearly the same geometry
    for a, b in ((Z.tolist(), Y.tolist()), (Z, Y.tolist()), (Z.tolist(), torch.from_numpy(Y)), (eg.EmbeddingSet(Z), Y.tolist())):
        got = _values(eg.compare(a, b, **CMP))
        assert got.keys() == ref.keys()
        for name, v in ref.items():
            assert got[name] == pytest.approx(v, rel=1e-9, abs=1e-12), name


def test_compare_many_and_helpers_take_lists_and_sets(Z):
    from embgeo.compare import compare_many, linear_cka, mutual_knn, prefix, quantize, rsa

    Y = Z @ np.diag(np.linspace(1, 3, 8))
    m = compare_many([Z.tolist(), Y.tolist(), Z], methods=["cka"], n_bootstrap=0, n_permutations=0)
    assert len(m.pairs) == 3
    assert m.pairs[1].value("cka_linear") == pytest.approx(1.0)  # X against itself
    ref = linear_cka(Z, Y)
    assert 0.5 < ref < 1
    for conv in (np.asarray, lambda a: a.tolist(), torch.from_numpy, eg.EmbeddingSet):
        assert linear_cka(conv(Z), conv(Y)) == pytest.approx(ref, rel=1e-12)
        assert rsa(conv(Z), conv(Y)) == pytest.approx(rsa(Z, Y), rel=1e-12)
        assert mutual_knn(conv(Z), conv(Y), 5) == pytest.approx(mutual_knn(Z, Y, 5))
        assert np.array_equal(np.asarray(prefix(conv(Z), 3)), Z[:, :3])
        assert np.array_equal(quantize(conv(Z), "binary"), np.where(Z > 0, 1.0, -1.0))


def test_compare_lists_that_are_no_matrix_are_refused(Z):
    _raises(lambda: eg.compare(Z[:, 0].tolist(), Z[:, 1].tolist(), **CMP), "1-D")
    _raises(lambda: eg.compare([[1.0, 2.0], [3.0]] * 3, Z[:6].tolist(), **CMP), "not a numeric matrix")
    _raises(lambda: eg.compare(Z[:3].tolist(), Z[:3].tolist(), **CMP), "3 rows", "at least 4")


def test_compare_k_hint_names_k(Z):
    msg = _raises(lambda: eg.compare(Z, Z + 0.1, k=1000, **CMP), "k = 1000 needs more than 120 rows", "(lower k)", absent=("-k",))
    assert msg.endswith("(lower k)")
    with use_surface("cli"):
        _raises(lambda: eg.compare(Z, Z + 0.1, k=1000, **CMP), "(lower -k)")


# --------------------------------------------------------------------------- 2. a 3-D tensor and a nested list are stacks


def test_layer_dimensions_takes_tensor_and_nested_list(stack):
    ref = eg.layer_dimensions(stack, **ID)
    assert ref.names == ("layer0", "layer1") and ref.n_rows == 120
    assert 5 < ref.curves()["twonn"][0] < 9  # 8 dimensions
    for s in (torch.from_numpy(stack), stack.tolist(), [torch.from_numpy(L) for L in stack], [eg.EmbeddingSet(L) for L in stack]):
        got = eg.layer_dimensions(s, **ID)
        assert got.names == ref.names
        for key in ("twonn", "mle", "pca"):
            assert got.curves()[key] == pytest.approx(ref.curves()[key], rel=1e-9), key
        assert np.allclose(got.overlap, ref.overlap)


def test_layer_suite_takes_tensor_and_nested_list(stack):
    ref = eg.layers.layer_suite(stack, views=[stack + 0.01], dime_perms=2)
    assert ref.layers == ("layer0", "layer1") and ref.n_views == 2
    for s, v in ((torch.from_numpy(stack), torch.from_numpy(stack + 0.01)), (stack.tolist(), [(stack + 0.01).tolist()])):
        got = eg.layers.layer_suite(s, views=v, dime_perms=2)
        assert got.values.keys() == ref.values.keys()
        for key, val in ref.values.items():
            assert np.allclose(got.values[key], val, equal_nan=True), key


def test_a_stack_that_is_no_stack_is_refused(Z, stack):
    _raises(lambda: eg.layer_dimensions(Z, **ID), "a layer stack must be", "single-matrix")
    _raises(lambda: eg.layer_dimensions([Z, Z[:50]], **ID), "layer 1 has shape (50, 8)", "120 rows")
    _raises(lambda: eg.layer_dimensions([Z[:, 0].tolist(), Z[:, 1].tolist()], **ID), "layer 0 has shape (120,)")


# --------------------------------------------------------------------------- 3. messages name the caller's keyword


def test_twonn_variant_is_named(Z, stack):
    for fn in (lambda: eg.intrinsic_dimension(Z, twonn_variant="bogus"), lambda: eg.layer_dimensions(stack, twonn_variant="bogus")):
        _raises(fn, "twonn_variant must be 'mle' or 'linear'; got 'bogus'", "twonn_variant='linear'")
        with use_surface("cli"):
            _raises(fn, "--variant must be", "--variant linear", absent=("twonn_variant",))
    # twonn_dimension's own keyword is variant
    _raises(lambda: eg.twonn_dimension(Z, variant="bogus"), "variant must be")


@pytest.mark.parametrize("kw", [dict(gride_max=1), dict(gride_max=0, methods=["gride"]), dict(gride_max=2.5)])
def test_gride_max_is_named(Z, stack, kw):
    for fn in (lambda: eg.intrinsic_dimension(Z, **kw), lambda: eg.layer_dimensions(stack, **kw)):
        _raises(fn, "gride_max must be an integer ≥ 2", absent=("max_order", "k must"))
        with use_surface("cli"):
            _raises(fn, "--gride-max must be an integer ≥ 2")
    with pytest.warns(DeprecationWarning, match=r"gride_dimension\(max_order=\) is now gride_max="):  # the former name, still read
        _raises(lambda: eg.gride_dimension(Z, max_order=1), "max_order must be an integer ≥ 2, got 1")


def test_layer_suite_counts_are_named(stack):
    classes = np.arange(120) % 3
    cases = [
        (dict(views=[stack + 0.01], dime_perms=-1), "dime_perms must be an integer ≥ 1, got -1", "--dime-perms must be"),
        (dict(classes=classes, k=0), "k must be an integer ≥ 1, got 0", "--k must be"),
        (dict(classes=classes, n_folds=1), "n_folds must be an integer ≥ 2, got 1", "--folds must be"),
        (dict(classes=classes, n_folds=2.5), "n_folds must be an integer ≥ 2, got 2.5", "--folds must be"),
    ]
    for kw, python, cli in cases:
        msg = _raises(lambda: eg.layers.layer_suite(stack, **kw), python, absent=("n_permutations", "every class"))
        assert msg.startswith(python), msg
        with use_surface("cli"):
            assert _raises(lambda: eg.layers.layer_suite(stack, **kw), cli).startswith(cli)
    # two folds are enough, and give the probe's real accuracy (the classes are not in the data: near chance)
    r = eg.layers.layer_suite(stack, classes=classes, n_folds=2, k=5)
    assert r.values["probe_chance"] == pytest.approx([1 / 3, 1 / 3])
    assert np.all((r.values["probe_accuracy"] >= 0) & (r.values["probe_accuracy"] <= 1))
    assert np.all((r.values["label_overlap"] > 0.1) & (r.values["label_overlap"] < 0.6))


# --------------------------------------------------------------------------- 4. n_bootstrap is checked everywhere


@pytest.mark.parametrize("bad", [-3, 5.5, "10", True])
def test_n_bootstrap_refused(Z, stack, bad):
    calls = {
        "twonn_dimension": lambda: eg.twonn_dimension(Z, n_bootstrap=bad),
        "mle_dimension": lambda: eg.mle_dimension(Z, n_bootstrap=bad),
        "intrinsic_dimension": lambda: eg.intrinsic_dimension(Z, n_bootstrap=bad),
        "cosine_diagnostics": lambda: eg.cosine_diagnostics(Z, n_bootstrap=bad),
        "layer_dimensions": lambda: eg.layer_dimensions(stack, n_bootstrap=bad),
        "compare": lambda: eg.compare(Z, Z + 0.1, n_bootstrap=bad),
    }
    for name, fn in calls.items():
        _raises(fn, "n_bootstrap must be an integer ≥ 0")
        with use_surface("cli"):
            _raises(fn, "--bootstrap must be an integer ≥ 0")


def test_n_bootstrap_counts_replicates(Z):
    tw = eg.twonn_dimension(Z, n_bootstrap=7)
    assert tw.n_bootstrap == 7 and tw.interval[0] <= tw.interval[1]
    assert eg.twonn_dimension(Z, n_bootstrap=0).n_bootstrap == 0
    assert eg.twonn_dimension(Z, n_bootstrap=np.int64(5)).n_bootstrap == 5
    assert eg.mle_dimension(Z, n_bootstrap=4).n_bootstrap == 4
    r = eg.intrinsic_dimension(Z, methods=["twonn"], n_bootstrap=0)
    assert r.twonn.n_bootstrap == 0 and np.isnan(r.twonn.interval[0])


# --------------------------------------------------------------------------- 5. cosine top


def test_cosine_top_refused_below_one(Z):
    for bad in (0, -1, 1.5):
        _raises(lambda: eg.cosine_diagnostics(Z, top=bad), "top must be an integer ≥ 1")
        with use_surface("cli"):
            _raises(lambda: eg.cosine_diagnostics(Z, top=bad), "--top must be")
    from embgeo.cosine.isotropy import rogue_dimensions

    _raises(lambda: rogue_dimensions(Z, top=0), "top must be an integer ≥ 1, got 0")
    one, two = rogue_dimensions(Z, top=1), rogue_dimensions(Z, top=2)
    assert len(one.top_dimensions) == 1 and len(two.top_dimensions) == 2
    assert one.top_dimensions[0] == two.top_dimensions[0]
    assert 0 < one.top_share <= two.top_share
    # more than d is refused (it was cut to d without a word); the default 3 on fewer columns names every dimension
    _raises(lambda: rogue_dimensions(Z, top=50), "top=50 asks for more rogue dimensions than the 8 columns of X")
    assert rogue_dimensions(Z[:, :2]).top_dimensions in ([0, 1], [1, 0])


# --------------------------------------------------------------------------- 6. knn block_rows, hmds refine_steps


def test_knn_block_rows_refused(Z):
    for bad in (0, -2, 2.5):
        _raises(lambda: eg.knn(Z, k=5, block_rows=bad), "block_rows must be an integer ≥ 1")
    _raises(lambda: eg.knn(Z, k=5, stream_rows=0), "stream_rows must be an integer ≥ 1")
    ref = eg.knn(Z, k=5)
    got = eg.knn(Z, k=5, block_rows=7)
    assert np.array_equal(got.indices, ref.indices) and np.allclose(got.distances, ref.distances)


def test_hmds_refine_steps_refused():
    rng = np.random.default_rng(2)
    P = rng.normal(size=(12, 2))
    D = np.sqrt(((P[:, None] - P[None]) ** 2).sum(-1))
    for bad in (-1, 2.5):
        _raises(lambda: eg.hyperbolic.hmds(D, refine_steps=bad), "refine_steps must be an integer ≥ 0")
        with use_surface("cli"):
            _raises(lambda: eg.hyperbolic.hmds(D, refine_steps=bad), "--refine must be")
    r = eg.hyperbolic.hmds(D, dim=2, refine_steps=0)
    assert r.refine_steps == 0 and r.dims_recovered == 2 and 0 <= r.distortion_mean < 1


# --------------------------------------------------------------------------- 7. EmbeddingSet of a 1-D array


def test_embedding_set_refuses_a_vector(stack):
    msg = _raises(lambda: eg.EmbeddingSet(stack[0][0]), "1-D array of shape (8,)", "x[None, :]")
    assert "n_samples, n_features" in msg
    _raises(lambda: eg.EmbeddingSet(np.float64(3.0)), "0-D")
    one = eg.EmbeddingSet(stack[0][0][None, :])
    assert (one.n_samples, one.n_features) == (1, 8)
    nested = eg.EmbeddingSet(stack[0][:5].tolist(), ids=[f"r{i}" for i in range(5)])
    assert isinstance(nested.matrix, np.ndarray) and nested.matrix.shape == (5, 8)
    assert np.array_equal(nested.matrix, stack[0][:5])
    _raises(lambda: eg.EmbeddingSet(stack[0][:5], ids=["a", "b"]), "2 ids for 5 rows")


def test_a_vector_file_still_names_the_file(tmp_path, run_cli):
    np.save(tmp_path / "vec.npy", np.arange(5.0))
    msg = _raises(lambda: eg.load(tmp_path / "vec.npy"), "vec.npy", "1-D")
    assert "<array>" not in msg
    res = run_cli(["info", tmp_path / "vec.npy"])
    assert res.code == 2 and "1-D" in res.stderr and "save a 2-D matrix" in res.stderr and "x[None" not in res.stderr


def test_load_takes_paths_and_checks_its_keywords(tmp_path):
    """embgeo.load(5) was a raw TypeError, bad_cells was checked only for CSV, and load_layers("L.npy")
    read the string's characters as file names."""
    import embgeo as eg
    from embgeo.errors import EmbgeoError

    np.save(tmp_path / "L.npy", np.random.default_rng(0).normal(size=(3, 40, 4)))
    np.save(tmp_path / "x.npy", np.ones((3, 2)))
    with pytest.raises(EmbgeoError, match="a file is named by a path"):
        eg.load(5)
    with pytest.raises(EmbgeoError, match="bad_cells must be 'error' or 'nan', got 'bogus'"):
        eg.load(tmp_path / "x.npy", bad_cells="bogus")
    stack = eg.load_layers(str(tmp_path / "L.npy"))  # one path, not a list of characters
    assert len(stack.layers) == 3 and stack.layers[0].shape == (40, 4)
    with pytest.raises(EmbgeoError, match="no files given"):
        eg.load_layers([])


def test_pandas_nullable_dtypes_are_numbers():
    """A frame of pandas' nullable Float64/Int64 columns was refused as 'dtype object'; pd.NA is a NaN row."""
    pd = pytest.importorskip("pandas")
    import embgeo as eg
    from embgeo.errors import EmbgeoError

    X = np.random.default_rng(0).normal(size=(50, 4))
    assert eg.uniformity(pd.DataFrame(X).astype("Float64")).uniformity == eg.uniformity(X).uniformity
    f32 = pd.DataFrame(X.astype(np.float32))
    assert eg.uniformity(f32).uniformity == eg.uniformity(X.astype(np.float32)).uniformity  # numpy dtypes as they are
    na = pd.DataFrame(X).astype("Float64")
    na.iloc[3, 1] = pd.NA
    with pytest.raises(EmbgeoError, match=r"NaN or inf \(row 3\)"):
        eg.uniformity(na, mode="exact")
    with pytest.raises(EmbgeoError, match="dtype object"):
        eg.uniformity(pd.DataFrame({"a": ["x", "y"], "b": [1.0, 2.0]}))


def test_attribute_name_and_values_are_not_swapped_silently():
    """``attribute`` is the name in rank_axes/score_axis/rank_layers and the values in cosine_diagnostics/
    layer_suite/norms (with ``attribute_name``): the other kind is refused with the fix, not printed into
    the verdict (an array in rank's reason) or reported as "attribute 'attribute' is not numeric"."""
    import numpy as np
    import pytest

    import embgeo as eg
    from embgeo.cosine.neighbors import norms
    from embgeo.errors import EmbgeoError
    from embgeo.rank.layers import rank_layers

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6))
    y = X[:, 0] + 0.1 * rng.normal(size=60)
    with pytest.raises(EmbgeoError, match=r"attribute is the attribute's name .*got an array of 60 values.*pass the values as y"):
        eg.rank_axes(X, y, attribute=y, methods="regression", baselines=False, n_bootstrap=0)
    with pytest.raises(EmbgeoError, match="attribute is the attribute's name"):
        rank_layers(np.stack([X, X]), y, attribute=y, baselines=False, n_bootstrap=0)
    assert eg.rank_axes(X, y, attribute="kg", methods="regression", baselines=False, n_bootstrap=0).attribute == "kg"
    with pytest.raises(EmbgeoError, match=r"attribute takes the values .*got the text 'number'.*attribute_name='number'"):
        eg.cosine_diagnostics(X, attribute="number")
    with pytest.raises(EmbgeoError, match="attribute takes the values"):
        norms(X, attribute="number")
    with pytest.raises(EmbgeoError, match="attribute takes the values"):
        eg.layers.layer_suite(np.stack([X, X]), attribute="number")
