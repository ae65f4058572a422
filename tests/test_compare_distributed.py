"""compare on a Dask cluster (issue 16, item 5): the kNN-based measures through
embgeo.distributed equal the single-process path.

One in-process LocalCluster (2 workers, 1 thread each) serves the module, as in
tests/test_distributed.py. Tolerance 1e-12: the neighbour lists and the integer
ranks are the same (the workers run the single-process kernels on the same
blocks), so every value, interval and null band is the same float (observed: 0.0).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("distributed")

from embgeo.compare import compare, compare_many  # noqa: E402
from embgeo.compare import distributed as CD  # noqa: E402
from embgeo.compare.imbalance import ranks_of  # noqa: E402
from embgeo.distributed import connect  # noqa: E402

TOL = 1e-12
KNN = ["mutual_knn", "imbalance"]


@pytest.fixture(scope="module")
def client():
    c = connect("local", n_workers=2, threads_per_worker=1)
    yield c
    c.close()


def _pair(seed, n=400, d1=16, d2=9, dtype=np.float32):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 4))
    X = Z @ rng.normal(size=(4, d1)) + 0.3 * rng.normal(size=(n, d1))
    Y = Z @ rng.normal(size=(4, d2)) + 0.5 * rng.normal(size=(n, d2))
    return X.astype(dtype), Y.astype(dtype)


def _close(a, b, tol=TOL):
    """Every number of two results' dicts within ``tol`` (the same keys, the same strings)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k], tol)
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, tol)
    elif isinstance(a, float) and isinstance(b, float):
        assert abs(a - b) <= tol, (a, b)
    else:
        assert a == b


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_knn_measures_on_the_cluster_equal_one_process(client, metric, dtype):
    X, Y = _pair(1, dtype=dtype)
    kw = dict(methods=KNN, k=[5, 10, 30], metric=metric, n_bootstrap=30, n_permutations=30, seed=4)
    local = compare(X, Y, **kw)
    dist = compare(X, Y, client=client, **kw)
    _close(local.to_dict(), dist.to_dict())
    assert any("Dask cluster (2 workers)" in n for n in dist.notes)
    assert not any("Dask" in n for n in local.notes)


def test_a_matrix_of_spaces_on_the_cluster_equals_one_process(client):
    X, Y = _pair(2, n=250)
    Z = np.random.default_rng(3).normal(size=(250, 7))
    kw = dict(methods=["cka", *KNN], k=10, n_bootstrap=10, n_permutations=10, seed=0)
    _close(compare_many([X, Y, Z], **kw).to_dict(), compare_many([X, Y, Z], client=client, **kw).to_dict())


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_ranks_in_tile_ranges_on_the_workers_equal_the_one_process_pass(client, metric):
    X, _ = _pair(5, n=700, dtype=np.float64)
    targets = np.random.default_rng(0).integers(0, 700, 700)
    targets[targets == np.arange(700)] = (targets[targets == np.arange(700)] + 1) % 700
    tile = 37 * 700 * 8  # 37-row tiles: 19 tiles, several ranges per worker
    want = ranks_of(X, targets, metric=metric, tile_bytes=tile)
    got = CD.ranks_of(X, targets, client=client, metric=metric, tile_bytes=tile)
    assert np.array_equal(got, want)
    # and both against a brute-force count in float64 (ties impossible on continuous data)
    P = X / np.linalg.norm(X, axis=1, keepdims=True) if metric == "cosine" else X
    D = ((P[:, None, :] - P[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    brute = 1 + (D < D[np.arange(700), targets][:, None]).sum(axis=1)
    assert np.array_equal(want, brute)


def test_cli_scheduler_option_and_environment(run_cli, tmp_path, monkeypatch):
    X, Y = _pair(6, n=300)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", Y)
    base = ["compare", tmp_path / "x.npy", tmp_path / "y.npy", "-m", "cka,mutual_knn,imbalance", "-k", "5,10",
            "--bootstrap", "10", "--permutations", "10", "-f", "json"]
    monkeypatch.delenv("EMBGEO_SCHEDULER", raising=False)
    one = run_cli(base)
    assert one.code == 0, one.stderr
    on = run_cli([*base, "--scheduler", "local"])
    assert on.code == 0, on.stderr
    a, b = json.loads(one.stdout), json.loads(on.stdout)
    _close(a["results"], b["results"])
    assert a["settings"]["scheduler"] is None and b["settings"]["scheduler"] == "local"
    assert any("Dask cluster" in n for n in b["notes"])
    monkeypatch.setenv("EMBGEO_SCHEDULER", "local")
    env = run_cli(base)
    assert env.code == 0, env.stderr
    assert json.loads(env.stdout)["settings"]["scheduler"] == "local"
    monkeypatch.setenv("EMBGEO_SCHEDULER", "nowhere")
    bad = run_cli(base)
    assert bad.code == 2 and bad.stderr.count("\n") == 1 and "tcp://HOST:PORT" in bad.stderr
