"""The Dask engine against the single-process path: same seed, same numbers.

One LocalCluster (2 workers, 1 thread each, in-process) serves the whole module.
Tolerance 1e-9 everywhere (the issue's bar): the engine runs the same kernels on
the same blocks, and its merges only reassociate float64 sums (observed: 0.0).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("distributed")

from embgeo.distributed import cluster as D  # noqa: E402
from embgeo.distributed import metrics as DM  # noqa: E402
from embgeo.errors import EmbgeoError, MissingExtraError  # noqa: E402

TOL = 1e-9


@pytest.fixture(scope="module")
def client():
    c = D.connect("local", n_workers=2, threads_per_worker=1)
    yield c
    c.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(7)
    X = (rng.standard_normal((1800, 20)) + 3.0).astype(np.float32)  # an offset: centring matters
    path = tmp_path_factory.mktemp("dist") / "x.npy"
    np.save(path, X)
    return X, np.load(path, mmap_mode="r"), path


def test_connect_local_has_two_workers(client):
    assert D.n_workers(client) == 2


def test_local_cluster_warnings_stay_off_stderr():
    # under load the in-process workers log "event loop was unresponsive" warnings; a command's
    # stderr carries embgeo's messages only (a doc example failed on one in a loaded suite run)
    import subprocess
    import sys

    code = ("import logging; from embgeo.distributed.cluster import connect; c = connect('local'); "
            "logging.getLogger('distributed.core').warning('Event loop was unresponsive in Worker for 3.05s'); "
            "logging.getLogger('distributed.batched').info('Batched Comm Closed'); "
            "logging.getLogger('distributed.core').error('a real error'); c.close(); "
            "logging.getLogger('distributed.batched').info('Batched Comm Closed after close')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "unresponsive" not in r.stderr  # Dask's own default level (WARNING) prints it
    assert "Batched Comm Closed" not in r.stderr  # a shutdown race logs it at INFO, after close
    assert "a real error" in r.stderr


def test_connect_rejects_bad_addresses(monkeypatch):
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    with pytest.raises(EmbgeoError, match="no scheduler given"):
        D.connect(None)
    with pytest.raises(EmbgeoError, match="tcp://HOST:PORT"):
        D.connect("nowhere")
    with pytest.raises(EmbgeoError, match="could not connect"):
        D.connect("tcp://127.0.0.1:9", timeout=1)


def test_scheduler_from_environment(monkeypatch):
    monkeypatch.setenv(D.ENV_VAR, " tcp://10.0.0.1:8786 ")
    assert D.scheduler_address(None) == "tcp://10.0.0.1:8786"
    assert D.scheduler_address("local") == "local"
    monkeypatch.setenv(D.ENV_VAR, "")
    assert D.scheduler_address(None) is None


def test_missing_extra_names_the_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    with pytest.raises(MissingExtraError, match=r"embgeo\[cluster\]"):
        D.connect("local")


def test_memmap_is_shared_by_path_and_arrays_are_scattered(client, data):
    X, M, path = data
    assert D.share(client, M) == D.NpyFile(str(path), int(M.offset), "<f4", (1800, 20))
    assert D.as_npy_file(M[10:20]) is None  # a view is not the whole file
    assert not isinstance(D.share(client, X), D.NpyFile)
    with pytest.raises(EmbgeoError, match="share='file'"):
        D.share(client, X, "file")


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("source", ["array", "memmap"])
def test_knn_equals_single_process(client, data, metric, source):
    from embgeo.knn.engine import knn

    X = data[0] if source == "array" else data[1]
    one = knn(X, 8, metric=metric, block_rows=128)
    many = D.knn(X, 8, client=client, metric=metric, block_rows=128)
    np.testing.assert_array_equal(many.indices, one.indices)
    np.testing.assert_allclose(many.distances, one.distances, rtol=0, atol=TOL)
    assert many.backend == "dask:numpy" and many.exact


def test_knn_default_blocks_and_queries(client, data):
    from embgeo.knn.engine import knn

    X = data[0]
    Q = X[:37] + 0.01
    np.testing.assert_array_equal(D.knn(X, 5, client=client).indices, knn(X, 5).indices)  # n ≤ 4096: row-block path
    one, many = knn(X, 5, query=Q), D.knn(X, 5, client=client, query=Q)
    np.testing.assert_array_equal(many.indices, one.indices)
    np.testing.assert_allclose(many.distances, one.distances, rtol=0, atol=TOL)


@pytest.mark.parametrize("normalize", [True, False])
def test_exact_uniformity_equals_single_process(client, data, normalize):
    from embgeo.uniformity.core import uniformity

    for X in data[:2]:
        one = uniformity(X, normalize=normalize, mode="exact", block=256, seed=3)
        many = DM.uniformity(X, client=client, normalize=normalize, mode="exact", block=256, seed=3)
        assert abs(many.uniformity - one.uniformity) <= TOL
        assert many.n_pairs == one.n_pairs == 1800 * 1799 // 2
        np.testing.assert_allclose(many.sq_distances.quantile_values, one.sq_distances.quantile_values, rtol=0, atol=TOL)


def test_sampled_uniformity_same_pairs_same_interval(client, data):
    from embgeo.uniformity.core import uniformity

    M = data[1]
    one = uniformity(M, mode="sample", n_pairs=150_000, seed=11)
    many = DM.uniformity(M, client=client, mode="sample", n_pairs=150_000, seed=11)
    for a, b in [(one.uniformity, many.uniformity), (one.ci_low, many.ci_low), (one.ci_high, many.ci_high), (one.se, many.se)]:
        assert abs(a - b) <= TOL
    other = DM.uniformity(M, client=client, mode="sample", n_pairs=150_000, seed=12)
    assert other.uniformity != many.uniformity  # the seed is used


def test_bad_rows_are_named_from_the_workers(client):
    X = np.random.default_rng(0).standard_normal((300, 4))
    X[17] = 0.0
    with pytest.raises(EmbgeoError, match=r"all-zero row .*row 17"):
        DM.uniformity(X, client=client, mode="sample", n_pairs=50_000)
    with pytest.raises(EmbgeoError, match=r"all-zero row .*row 17"):
        DM.uniformity(X, client=client, mode="exact")


def test_scatter_matrix_merges_blocks_exactly(client):
    # a large common offset: the two-pass scatter keeps the covariance (one-pass XᵀX − nμμᵀ would cancel)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((5000, 6)) * [1, 2, 3, 4, 5, 6] + 1e4
    C = D.scatter_matrix(X, client=client, center=True, block=1000)
    Z = X - X.mean(axis=0)
    np.testing.assert_allclose(C, Z.T @ Z, rtol=1e-9)
    count, total = D.column_stats(X, client=client, block=700)
    assert count == 5000
    np.testing.assert_allclose(total, X.sum(axis=0), rtol=1e-12)


def test_spectral_dimensions_equal_single_process(client, data):
    from embgeo.intrinsic.spectral import matrix_entropy, pca_dimension, rankme

    M = data[1]
    got = D.spectral_dimensions(M, client=client)
    assert abs(got["pca"].participation_ratio - pca_dimension(M).participation_ratio) <= TOL
    assert got["pca"].components_90 == pca_dimension(M).components_90
    assert abs(got["rankme"].effective_rank - rankme(M).effective_rank) <= TOL
    assert abs(got["entropy"].normalized - matrix_entropy(M).normalized) <= TOL


def test_intrinsic_dimension_report_equals_single_process(client, data):
    from embgeo.intrinsic.summary import intrinsic_dimension

    M = data[1]
    kw = dict(methods="all", k=10, gride_max=16, n_bootstrap=20, seed=4)
    one, many = intrinsic_dimension(M, **kw).to_dict(), DM.intrinsic_dimension(M, client=client, **kw).to_dict()
    assert many.pop("neighbors")["backend"] == "dask:numpy"
    one.pop("neighbors")
    assert json.dumps(many, sort_keys=True) == json.dumps(one, sort_keys=True)
    kw = dict(methods="pca,rankme", sample=500, seed=2)
    assert DM.intrinsic_dimension(M, client=client, **kw).to_dict() == intrinsic_dimension(M, **kw).to_dict()


def test_cli_scheduler_local_gives_the_same_json(run_cli, data):
    path = data[2]
    for cmd in (["uniformity", path, "--mode", "exact"], ["id", path, "-m", "twonn,rankme", "--bootstrap", "10"]):
        one = run_cli([*cmd, "-f", "json"])
        many = run_cli([*cmd, "-f", "json", "--scheduler", "local"])
        assert one.code == many.code == 0, many.stderr
        a, b = json.loads(one.stdout), json.loads(many.stdout)
        if cmd[0] == "uniformity":
            assert abs(a["results"]["uniformity"] - b["results"]["uniformity"]) <= TOL
            assert b["results"]["backend"] == "dask:numpy"
        else:
            assert abs(a["results"]["twonn"]["dimension"] - b["results"]["twonn"]["dimension"]) <= TOL
            assert abs(a["results"]["rankme"]["effective_rank"] - b["results"]["rankme"]["effective_rank"]) <= TOL


def test_cli_bad_scheduler_is_one_line(run_cli, data, monkeypatch):
    monkeypatch.setenv(D.ENV_VAR, "nowhere")
    r = run_cli(["uniformity", data[2]])
    assert r.code == 2
    assert r.stderr.startswith("embgeo: error:") and "tcp://HOST:PORT" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
