"""The shared kNN engine against an independent brute force (scipy cdist in float64)."""
from __future__ import annotations

import os

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from embgeo.errors import EmbgeoError
from embgeo.knn.engine import Neighbors, drop_duplicates, exact_distances, find_duplicates, knn
from embgeo.knn.exact import merge_topk, select_k, select_k_columns


def brute(X, Q, k, metric, exclude_self):
    """Reference: full float64 distance matrix, self excluded by index, stable sort."""
    X64, Q64 = np.asarray(X, np.float64), np.asarray(Q, np.float64)
    if metric == "dot":
        D = -(Q64 @ X64.T)
    else:
        D = cdist(Q64, X64, metric="sqeuclidean" if metric == "euclidean" else "cosine")
        if metric == "euclidean":
            D = np.sqrt(D)
    if exclude_self:
        np.fill_diagonal(D, np.inf)
    order = np.argsort(D, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(D, order, axis=1)


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "dot"])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_matches_brute_force(metric, backend):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((700, 24))
    res = knn(X, 7, metric=metric, backend=backend, block_rows=128)
    idx, dist = brute(X, X, 7, metric, True)
    assert isinstance(res, Neighbors) and res.exact
    assert res.indices.dtype == np.int64 and res.distances.dtype == np.float64
    # continuous random data: no ties, so the index sets agree exactly;
    # distances are recomputed in float64, so they agree to float64 round-off
    np.testing.assert_array_equal(res.indices, idx)
    np.testing.assert_allclose(res.distances, dist, rtol=1e-10, atol=1e-12)
    assert np.all(np.diff(res.distances, axis=1) >= 0)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_float32_long_rows_use_grouped_selection(backend):
    # n ≥ 4096 takes the two-level selection path; float32 selection, float64 distances
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5000, 16)).astype(np.float32)
    res = knn(X, 3, backend=backend, block_rows=700)
    idx, dist = brute(X, X, 3, "euclidean", True)
    # float32 GEMM may swap candidates whose squared distances differ by < ~1e-6:
    # allow a handful of such swaps, but the distances must agree to round-off
    assert (res.indices != idx).any(axis=1).sum() <= 5
    np.testing.assert_allclose(res.distances, dist, rtol=1e-5)


def test_select_k_is_exact_top_k_with_ties():
    rng = np.random.default_rng(2)
    S = rng.integers(0, 50, size=(40, 9000)).astype(np.float32)  # many ties
    for k in (1, 2, 10, 64):
        sel = select_k(S, k)
        got = np.sort(np.take_along_axis(S, sel, axis=1), axis=1)
        np.testing.assert_array_equal(got, np.sort(S, axis=1)[:, :k])
        assert all(np.unique(r).size == k for r in sel)  # k distinct columns


def test_ties_go_to_the_lowest_index_whatever_the_partition_algorithm():
    # numpy's argpartition leaves ties in an order that differs between versions and CPUs;
    # the engine's selection is canonical: (score, index) order, and top-k' ⊂ top-k for k' < k
    rng = np.random.default_rng(5)
    S = rng.integers(0, 6, size=(30, 5000)).astype(np.float32)  # huge ties at every rank
    for k in (1, 3, 10, 40, 64, 100):
        want = np.sort(np.lexsort((np.broadcast_to(np.arange(S.shape[1]), S.shape), S), axis=1)[:, :k], axis=1)
        np.testing.assert_array_equal(np.sort(select_k(S, k), axis=1), want)
        np.testing.assert_array_equal(np.sort(select_k_columns(np.ascontiguousarray(S.T), k), axis=1), want)
    # merging two halves keeps the canonical order across chunks
    a, b = select_k(S[:, :2500], 10), select_k(S[:, 2500:], 10)
    _, mi = merge_topk(np.take_along_axis(S[:, :2500], a, axis=1), a, np.take_along_axis(S[:, 2500:], b, axis=1), b + 2500, 10)
    np.testing.assert_array_equal(np.sort(mi, axis=1), np.sort(select_k(S, 10), axis=1))


def test_first_k_neighbours_do_not_depend_on_k():
    # float16 data (as the bundled sample) make float32 scores tie: the first 10 of a k = 50 search
    # are the k = 10 search, and both are the brute-force (distance, index) order
    rng = np.random.default_rng(6)
    X = rng.standard_normal((1500, 24)).astype(np.float16)
    X[700:720] = X[0]  # exact duplicates: ties in float64 too
    for metric in ("cosine", "euclidean"):
        a = knn(X, 10, metric=metric)
        b = knn(X, 50, metric=metric)
        np.testing.assert_array_equal(a.indices, b.indices[:, :10])
        ref, _ = brute(X, X, 10, metric, True)
        assert (a.indices != ref).any(axis=1).sum() == 0


def test_large_offset_float32_is_centred():
    # design note: an offset of norm 1000 made 84 % of float32 GEMM nearest distances 0
    rng = np.random.default_rng(3)
    Z = rng.random((1500, 10))
    offset = rng.standard_normal(10)
    offset *= 1000 / np.linalg.norm(offset)
    X = (Z + offset).astype(np.float32)
    res = knn(X, 2)
    assert res.n_zero_distances == 0
    _, dist = brute(X.astype(np.float64), X.astype(np.float64), 2, "euclidean", True)
    # float32 storage of values near 1000 has spacing 6e-5; distances are ~0.1
    np.testing.assert_allclose(res.distances, dist, rtol=1e-9)


def test_duplicates_found_by_value_and_not_self():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((300, 8)).astype(np.float32)
    X[10] = X[3]
    X[200] = X[3]
    X[50] = X[40]
    res = knn(X, 2)
    # rows 3, 10, 200 and 40, 50 have an exact twin at distance exactly 0
    assert res.n_zero_distances == 5
    assert res.n_duplicate_rows == 3 and res.duplicate_groups == 2
    assert res.indices[3, 0] in (10, 200) and res.indices[3, 1] in (10, 200)
    assert res.distances[3, 0] == 0.0 and res.distances[3, 1] == 0.0
    assert res.indices[40, 0] == 50 and res.distances[40, 0] == 0.0
    assert not np.any(res.indices == np.arange(300)[:, None])  # never itself
    rep = find_duplicates(X)
    np.testing.assert_array_equal(rep.duplicate_rows, [10, 50, 200])
    np.testing.assert_array_equal(rep.rows_with_twin, [3, 10, 40, 50, 200])
    kept, keep_idx, _ = drop_duplicates(X)
    assert kept.shape[0] == 297 and 3 in keep_idx and 10 not in keep_idx
    assert knn(kept, 2).n_zero_distances == 0


def test_query_other_than_x_and_no_self_exclusion():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((400, 12))
    Q = np.vstack([X[:5], rng.standard_normal((20, 12))])
    res = knn(X, 4, query=Q)
    idx, dist = brute(X, Q, 4, "euclidean", False)
    np.testing.assert_array_equal(res.indices, idx)
    np.testing.assert_allclose(res.distances, dist, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(res.indices[:5, 0], np.arange(5))  # a query equal to a row finds it
    assert res.n_zero_distances == 5 and not res.exclude_self
    keep = knn(X, 3, exclude_self=False)
    np.testing.assert_array_equal(keep.indices[:, 0], np.arange(400))


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "dot"])
def test_streamed_database_matches_in_memory(metric, tmp_path):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((1000, 10)).astype(np.float32)
    path = tmp_path / "x.npy"
    np.save(path, X)
    mm = np.load(path, mmap_mode="r")
    a = knn(mm, 5, metric=metric, stream_rows=300, block_rows=257)
    b = knn(X, 5, metric=metric)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.distances, b.distances, rtol=0, atol=0)


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "dot"])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_streamed_torch_and_chunks_shorter_than_k(metric, backend, tmp_path, monkeypatch):
    """The memory-map path the CLI takes (torch: the database prepared once, not per query block),
    and stream chunks of 2 rows for k = 5 (the running merge once failed below k columns)."""
    pytest.importorskip("torch") if backend == "torch" else None
    from embgeo.knn import exact as NE

    rng = np.random.default_rng(7)
    X = rng.standard_normal((600, 12)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    ref = knn(X, 5, metric=metric)
    prepared = []
    real = NE.Prepared._prepare
    monkeypatch.setattr(NE.Prepared, "_prepare", lambda self, a, b: (prepared.append(b - a), real(self, a, b))[1])
    got = knn(mm, 5, metric=metric, backend=backend, stream_rows=128, block_rows=100)
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_array_equal(got.distances, ref.distances)
    if backend == "torch":
        assert sum(prepared) == 600  # six query blocks, one pass over the database
    tiny = knn(X[:40], 5, metric=metric, backend=backend, stream_rows=2)
    np.testing.assert_array_equal(tiny.indices, knn(X[:40], 5, metric=metric).indices)


def test_cosine_with_offset_switches_to_float64():
    # nearly parallel rows: float32 cosines cannot rank them; the engine selects again in float64
    rng = np.random.default_rng(7)
    X = rng.standard_normal((800, 16)) + 1000.0
    res = knn(X.astype(np.float32), 3, metric="cosine")
    idx, dist = brute(X.astype(np.float32), X.astype(np.float32), 3, "cosine", True)
    # float64 1 − cos of values ~1e-7 carries absolute error ~1e-16 × 1 — compare at 1e-12
    np.testing.assert_allclose(res.distances, dist, atol=1e-12)


def test_exact_distances_formula():
    X = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    np.testing.assert_allclose(exact_distances(X, X[:1] + [1.0, 1.0], np.array([[1, 2]])), [[np.sqrt(13), 1.0]], rtol=1e-15)
    np.testing.assert_allclose(exact_distances(X, X[1:2], np.array([[2]]), metric="cosine"), [[1 - 0.6]], rtol=1e-15)
    np.testing.assert_allclose(exact_distances(X, X[1:2], np.array([[1, 2]]), metric="dot"), [[-25.0, -3.0]], rtol=0)


class _StandInIndex:
    """A stand-in for ``pynndescent.NNDescent`` with a known, imperfect answer: brute-force neighbours
    (float64, on the data it is handed) in which the k-th neighbour of every ``wrong_every``-th row
    is replaced by that row's farthest row. It records what the engine handed it."""

    calls: list = []

    def __init__(self, data, *, n_neighbors, metric, random_state, low_memory, n_jobs, verbose, k, wrong_every):
        self.data, self.metric, self.k, self.wrong_every = data, metric, k, wrong_every
        _StandInIndex.calls.append({"data": data, "n_neighbors": n_neighbors, "random_state": random_state})
        D = self._dist(data)
        order = np.argsort(D, axis=1, kind="stable")[:, :n_neighbors]  # self first (distance 0), as pynndescent
        self.neighbor_graph = (self._spoil(order, D, col=k), np.take_along_axis(D, order, axis=1))

    def _dist(self, q):
        return cdist(np.asarray(q, np.float64), np.asarray(self.data, np.float64), metric="sqeuclidean" if self.metric == "euclidean" else "cosine")

    def _spoil(self, order, D, col):
        order = order.copy()
        rows = np.arange(0, order.shape[0], self.wrong_every)
        order[rows, col] = np.argmax(D[rows], axis=1)
        return order

    def query(self, q, k):
        _StandInIndex.calls.append({"query": q})
        D = self._dist(q)
        order = np.argsort(D, axis=1, kind="stable")[:, :k]
        return self._spoil(order, D, col=k - 1), np.take_along_axis(D, order, axis=1)


@pytest.fixture
def stand_in_pynndescent(monkeypatch):
    """Replace pynndescent (whose numba kernels compile for 60–90 s CPU in every fresh process) by
    :class:`_StandInIndex`; returns a setter for how many rows get one wrong neighbour."""
    import sys
    import types

    settings = {"k": 5, "wrong_every": 3}
    module = types.ModuleType("pynndescent")
    module.NNDescent = lambda data, **kw: _StandInIndex(data, **kw, **settings)
    monkeypatch.setitem(sys.modules, "pynndescent", module)
    _StandInIndex.calls = []
    return settings


def _brute_recall(X, Q, indices, k, metric, exclude_self):
    """|returned ∩ exact k nearest| / k over all queries, the exact sets from scipy cdist in float64."""
    exact, _ = brute(X, Q, k, metric, exclude_self)
    return sum(np.intersect1d(a, b).size for a, b in zip(indices, exact)) / (k * len(indices))


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_approx_reports_recall(metric, stand_in_pynndescent):
    """The approximate path's recall is the measured one: equal to a brute-force count on every query
    (continuous data, no ties), the self row dropped, euclidean rows centred before the index sees them."""
    rng = np.random.default_rng(8)
    X = rng.standard_normal((200, 8)).astype(np.float32) + 100.0
    res = knn(X, 5, metric=metric, approx=True, seed=0, recall_sample=200)
    assert not res.exact and res.backend == "pynndescent" and res.recall_sample == 200
    expected = _brute_recall(X, X, res.indices, 5, metric, True)
    assert expected == pytest.approx(1 - 67 / (5 * 200), abs=1e-15)  # rows 0, 3, …, 198 have one wrong neighbour
    assert res.recall == pytest.approx(expected, abs=1e-15)
    assert not np.any(res.indices == np.arange(200)[:, None])
    data = _StandInIndex.calls[0]["data"]
    assert data.dtype == np.float32 and _StandInIndex.calls[0]["n_neighbors"] == 15
    if metric == "euclidean":  # centred (pynndescent does not centre; float32 near an offset of 100 would lose digits)
        np.testing.assert_allclose(data, X.astype(np.float64) - X.astype(np.float64).mean(0), atol=2e-5)
    exact = knn(X, 5, metric=metric)
    # distances of what it found are exact float64 distances, never below the true ones
    assert np.all(res.distances >= exact.distances - 1e-12)
    # seeded: the same seed gives the same index seed and the same recall sample; a smaller sample
    # of rows that all have one wrong neighbour measures exactly (k − 1)/k
    stand_in_pynndescent["wrong_every"] = 1
    a = knn(X, 5, metric=metric, approx=True, seed=1, recall_sample=40)
    b = knn(X, 5, metric=metric, approx=True, seed=1, recall_sample=40)
    assert a.recall == b.recall == pytest.approx(4 / 5, abs=1e-15) and a.recall_sample == 40
    seeds = [c["random_state"] for c in _StandInIndex.calls if "random_state" in c]
    assert seeds[1] == seeds[2] != seeds[0]


def test_approx_query_recall_against_brute_force(stand_in_pynndescent):
    rng = np.random.default_rng(10)
    X = rng.standard_normal((150, 6)) + 50.0
    Q = rng.standard_normal((30, 6)) + 50.0
    stand_in_pynndescent["wrong_every"] = 1
    res = knn(X, 4, query=Q, approx=True, seed=0, recall_sample=30)
    assert res.n_query == 30 and not res.exclude_self
    # every query has its 4th neighbour replaced by the farthest row: recall 3/4, as brute force counts it
    assert res.recall == pytest.approx(_brute_recall(X, Q, res.indices, 4, "euclidean", False), abs=1e-15)
    assert res.recall == pytest.approx(3 / 4, abs=1e-15)
    sent = [c["query"] for c in _StandInIndex.calls if "query" in c][0]
    np.testing.assert_allclose(sent, Q - X.mean(0), atol=1e-4)  # the queries are centred like the data


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("EMBGEO_TEST_PYNNDESCENT"),
                    reason="real pynndescent compiles its numba kernels for 60–90 s CPU in every fresh process "
                           "(independent of the data size); set EMBGEO_TEST_PYNNDESCENT=1 to run it")
def test_approx_real_pynndescent_recall_against_brute_force():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((300, 8)).astype(np.float32) + 100.0
    res = knn(X, 5, approx=True, seed=0, recall_sample=300)
    assert res.recall == pytest.approx(_brute_recall(X, X, res.indices, 5, "euclidean", True), abs=1e-15)
    assert res.recall >= 0.95  # pynndescent's own tests hold recall ≥ 0.98 on data of this kind
    assert not np.any(res.indices == np.arange(300)[:, None])
    assert np.all(res.distances >= knn(X, 5).distances - 1e-12)
    assert knn(X, 5, approx=True, seed=0, recall_sample=300).recall == res.recall  # seeded


def test_to_dict_is_summary():
    import json

    res = knn(np.random.default_rng(9).standard_normal((50, 3)), 2)
    d = res.to_dict()
    json.dumps(d)
    assert d["k"] == 2 and d["exact"] is True and "indices" not in d


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"k": 0}, "k must be a positive integer"),
        ({"k": 10}, "k=10 neighbours need at least 11 rows"),
        ({"k": 2, "metric": "manhattan"}, "metric must be one of"),
        ({"k": 2, "backend": "jax"}, "backend must be one of"),
        ({"k": 2, "backend": "numpy", "device": "cuda"}, "backend='numpy' runs on the CPU"),
        ({"k": 2, "approx": True, "metric": "dot"}, "approximate search supports"),
    ],
)
def test_bad_parameters(kwargs, words):
    X = np.random.default_rng(10).standard_normal((10, 3))
    with pytest.raises(EmbgeoError, match=words):
        knn(X, **kwargs)


def test_bad_inputs():
    with pytest.raises(EmbgeoError, match="1-D"):
        knn(np.arange(5.0), 1)
    with pytest.raises(EmbgeoError, match="query has 2 columns"):
        knn(np.zeros((5, 3)) + np.arange(5)[:, None], 1, query=np.zeros((2, 2)))
    with pytest.raises(EmbgeoError, match="all-zero row"):
        knn(np.vstack([np.zeros(3), np.ones((4, 3))]), 1, metric="cosine")
    with pytest.raises(EmbgeoError, match="NaN"):
        knn(np.array([[np.nan, 1.0], [1.0, 2.0], [0.0, 1.0]]), 1)


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "dot"])
@pytest.mark.parametrize("exclude_self", [True, False])
def test_symmetric_self_join_matches_brute_force(metric, exclude_self, monkeypatch):
    # the self-join computes each pair once (tiles I ≤ J); small tiles exercise the row- and column-wise
    # selection, ragged last tiles, and the grouped selection (tile ≥ 1024 columns)
    import embgeo.knn.engine as nbm

    monkeypatch.setattr(nbm, "SYMMETRIC_TILE", 1100)
    rng = np.random.default_rng(11)
    X = rng.standard_normal((2900, 12))
    X[2500] = X[3]  # an exact duplicate across tiles
    res = knn(X, 6, metric=metric, exclude_self=exclude_self)
    idx, dist = brute(X, X, 6, metric, exclude_self)
    np.testing.assert_allclose(res.distances, dist, rtol=1e-10, atol=1e-12)  # float64 refinement
    # only the duplicate pair (3, 2500) can tie; all other index sets agree exactly
    differ = np.flatnonzero((res.indices != idx).any(axis=1))
    assert set(differ) <= {3, 2500}
    if exclude_self and metric == "euclidean":
        assert res.indices[3, 0] == 2500 and res.distances[3, 0] == 0.0 and res.n_zero_distances == 2


# ---- tile workspaces (issue 20): every GEMM writes into one pre-faulted buffer ----


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_symmetric_tile_workspace_matches_brute_force(metric):
    """n = 4700 > SYMMETRIC_TILE: a full 4096² tile and a 604-row edge tile share one workspace."""
    from embgeo.knn.engine import SYMMETRIC_TILE

    X = np.random.default_rng(4).standard_normal((4700, 12))
    assert X.shape[0] > SYMMETRIC_TILE
    res = knn(X, 6, metric=metric, check_duplicates=False)
    idx, dist = brute(X, X, 6, metric, True)
    np.testing.assert_array_equal(res.indices, idx)
    np.testing.assert_allclose(res.distances, dist, rtol=1e-12, atol=1e-12)
    # closed form of the work done: tile pairs I ≤ J of the augmented [−2x | 1 | ‖x‖²] rows (d + 2)
    width = 12 + 2 if metric == "euclidean" else 12
    sizes = [4096, 604]
    flops = sum(2.0 * a * width * b for i, a in enumerate(sizes) for b in sizes[i:])
    assert res.kernel["gemm_gflop"] == pytest.approx(flops / 1e9, rel=1e-12)
    assert res.kernel["tiles"] == 3


def test_streamed_block_workspace_matches_brute_force_and_the_symmetric_path():
    """Queries in blocks of 300 against a database streamed in chunks of 1000 (a shorter last chunk):
    the workspace views change shape and the result equals brute force, and equals the self-join."""
    X = np.random.default_rng(5).standard_normal((2500, 10))
    res = knn(X, 5, block_rows=300, stream_rows=1000, check_duplicates=False)
    idx, dist = brute(X, X, 5, "euclidean", True)
    np.testing.assert_array_equal(res.indices, idx)
    np.testing.assert_allclose(res.distances, dist, rtol=1e-12, atol=1e-12)
    assert res.kernel["gemm_gflop"] == pytest.approx(2.0 * 2500 * 2500 * 10 / 1e9, rel=1e-12)
    assert res.kernel["tiles"] == 9 * 3
    Y = np.random.default_rng(6).standard_normal((4500, 10))
    a, b = knn(Y, 4, check_duplicates=False), knn(Y, 4, block_rows=512, check_duplicates=False)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.distances, b.distances)  # same indices → the same float64 recomputation


def test_sgemm_fraction_from_the_kernel_clock():
    X = np.random.default_rng(7).standard_normal((900, 16)).astype(np.float32)
    res = knn(X, 3, check_duplicates=False)
    k = res.kernel
    assert k["dtype"] == "float32" and 0 < k["gemm_s"] <= k["search_s"]
    f = res.sgemm_fraction(peak_gflops=100.0)
    assert f["gemm_gflops"] == pytest.approx(k["gemm_gflop"] / k["gemm_s"], rel=1e-12)
    assert f["search_fraction"] == pytest.approx(k["gemm_gflop"] / k["search_s"] / 100.0, rel=1e-12)
    assert f["search_fraction"] <= f["gemm_fraction"]
    assert knn(X, 3, approx=False, backend="torch", check_duplicates=False).sgemm_fraction() is None


def test_query_that_is_x_itself_excludes_self_as_documented():
    """``exclude_self`` applies "when query is X": passing the same array as query gave each row itself first."""
    X = np.random.default_rng(0).normal(size=(50, 4))
    a, b = knn(X, 3), knn(X, 3, query=X)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert (b.indices[:, 0] != np.arange(50)).all()
    assert (knn(X, 3, query=X.copy()).indices[:, 0] == np.arange(50)).all()  # another array: queries, not rows
