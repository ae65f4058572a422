"""The CUDA paths against the numpy engine; skipped without a GPU. Budget: < 2 min on one H100.

    .venv/bin/python -m pytest tests/test_cuda.py -q -rs

Tolerances, and why:

* kNN: the reported distances are recomputed in float64 from the stored rows, so a
  neighbour both engines pick has bit-identical distances. The float32 selection GEMM of
  cuBLAS and of OpenBLAS round differently (~1e-7 relative), so at a near-tie (relative gap
  of the squared distances below ~1e-6) they may pick different rows: at most 0.1 % of the
  rows may hold a different neighbour *set*, and there the k-th distances agree to 1e-5.
  float64 data (float64 selection): identical indices. TF32 would break this (emulated on
  the CPU: ~3 % of rows differ), so the tests also check that a caller's TF32 setting does
  not leak into the selection.
* exact uniformity: float32 tiles -> |dU| <= 2e-5 (cos error ~1e-7·sqrt(d) times 2t);
  float64 -> 1e-9 (only the summation order differs).
* Poincaré training: GPU float64 reductions are ordered differently, so trajectories differ
  from the CPU's; MAP within 0.05, and two runs on the same device are identical.

EMBGEO_TEST_DEVICE=cpu runs the same checks on torch's CPU backend (a dry run of the test
logic on a machine without a GPU).
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
DEV = os.environ.get("EMBGEO_TEST_DEVICE", "cuda")
if DEV.startswith("cuda"):
    pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

from embgeo.errors import EmbgeoError  # noqa: E402
from embgeo.knn.engine import knn  # noqa: E402

SCALE = float(os.environ.get("EMBGEO_TEST_SCALE", "1"))  # < 1 shrinks the data for a CPU dry run


def _n(n: int) -> int:
    return max(500, int(n * SCALE))


def clustered(n, d, seed=0, dtype=np.float32):
    """Embedding-like data: 50 clusters plus noise (close neighbours, some near-ties)."""
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((50, d))
    return (C[rng.integers(0, 50, n)] + 0.35 * rng.standard_normal((n, d))).astype(dtype)


def assert_same_neighbours(ref, got, *, max_row_share=1e-3, rtol=1e-5):
    assert ref.indices.shape == got.indices.shape
    differ = (np.sort(ref.indices, 1) != np.sort(got.indices, 1)).any(1)
    assert differ.mean() <= max_row_share, f"{differ.sum()} of {differ.size} rows have another neighbour set"
    same = ~differ
    # a neighbour both engines found: the same float64 recomputation, so the same bits
    np.testing.assert_array_equal(np.sort(ref.distances[same], 1), np.sort(got.distances[same], 1))
    np.testing.assert_allclose(got.distances[:, -1], ref.distances[:, -1], rtol=rtol, atol=1e-7)


@pytest.fixture(autouse=True)
def _ieee_matmul_after_each_test():
    yield
    m = torch.backends.cuda.matmul
    if hasattr(m, "fp32_precision"):
        m.fp32_precision = "ieee"
    else:
        m.allow_tf32 = False


# ----------------------------------------------------------------- kNN


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "dot"])
def test_knn_self_join_matches_numpy(metric):
    X = clustered(_n(20_000), 128, seed=1)
    ref = knn(X, 10, metric=metric, backend="numpy", check_duplicates=False)
    got = knn(X, 10, metric=metric, backend="torch", device=DEV, check_duplicates=False)
    assert got.device == DEV and got.backend == "torch"
    assert_same_neighbours(ref, got)


def test_knn_float64_data_gives_identical_indices():
    X = clustered(_n(8_000), 64, seed=2, dtype=np.float64)
    ref = knn(X, 8, backend="numpy", check_duplicates=False)
    got = knn(X, 8, backend="torch", device=DEV, check_duplicates=False)
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_array_equal(got.distances, ref.distances)


def test_knn_queries_memmap_and_streamed_chunks(tmp_path, monkeypatch):
    # a .npy is memory-mapped by embgeo.io, which always takes the streamed path: the CLI's case
    from embgeo.knn import exact as NE

    X = clustered(_n(30_000), 96, seed=3)
    np.save(tmp_path / "x.npy", X)
    M = np.load(tmp_path / "x.npy", mmap_mode="r")
    ref = knn(X, 5, backend="numpy", check_duplicates=False)
    prepared = []
    original = NE.Prepared._prepare
    monkeypatch.setattr(NE.Prepared, "_prepare", lambda self, a, b: (prepared.append(b - a), original(self, a, b))[1])
    got = knn(M, 5, backend="torch", device=DEV, check_duplicates=False)
    assert_same_neighbours(ref, got)
    if DEV.startswith("cuda"):
        # the database is prepared and uploaded once, not once per query block (27 times before the fix)
        assert sum(prepared) <= M.shape[0], f"{sum(prepared) / M.shape[0]:.0f} passes over the database"
    got = knn(M, 5, backend="torch", device=DEV, stream_rows=4096, block_rows=1000, check_duplicates=False)
    assert_same_neighbours(ref, got)
    Q = X[:500] + np.float32(0.01)
    ref_q = knn(X, 7, query=Q, metric="cosine", backend="numpy")
    got_q = knn(M, 7, query=Q, metric="cosine", backend="torch", device=DEV)
    assert_same_neighbours(ref_q, got_q)


def test_knn_duplicates_and_self_exclusion():
    X = clustered(_n(5_000), 32, seed=4)
    X[100:110] = X[5]  # an exact duplicate group
    ref = knn(X, 4, backend="numpy")
    got = knn(X, 4, backend="torch", device=DEV)
    assert got.n_zero_distances == ref.n_zero_distances == 11
    assert got.n_duplicate_rows == ref.n_duplicate_rows == 10
    assert not (got.indices == np.arange(X.shape[0])[:, None]).any()  # never its own neighbour
    # 11 identical rows are exact ties: which k of them each engine lists differs (here ~3 % of
    # the rows: the group and every row whose neighbours include it); the distances may not
    np.testing.assert_array_equal(got.distances[:, 0] == 0, ref.distances[:, 0] == 0)
    np.testing.assert_allclose(got.distances, ref.distances, rtol=1e-5, atol=1e-7)


def test_knn_cosine_float64_reselection():
    rng = np.random.default_rng(5)
    base = rng.standard_normal(64)
    X = (base + 1e-4 * rng.standard_normal((3_000, 64))).astype(np.float32)  # nearly parallel rows
    ref = knn(X, 4, metric="cosine", backend="numpy", check_duplicates=False)
    got = knn(X, 4, metric="cosine", backend="torch", device=DEV, check_duplicates=False)
    assert_same_neighbours(ref, got, max_row_share=0.0, rtol=1e-9)


@pytest.mark.skipif(not DEV.startswith("cuda"), reason="TF32 exists only on CUDA")
@pytest.mark.parametrize("how", ["legacy", "global", "new"])
def test_knn_ignores_a_callers_tf32_setting(how):
    X = clustered(_n(20_000), 256, seed=6)
    ieee = knn(X, 10, metric="cosine", backend="torch", device=DEV, check_duplicates=False)
    m = torch.backends.cuda.matmul
    if how == "legacy":
        m.allow_tf32 = True
    elif how == "global":
        torch.set_float32_matmul_precision("high")
    else:
        if not hasattr(m, "fp32_precision"):
            pytest.skip("torch < 2.9 has no fp32_precision")
        m.fp32_precision = "tf32"
    try:
        got = knn(X, 10, metric="cosine", backend="torch", device=DEV, check_duplicates=False)
        after = m.fp32_precision if hasattr(m, "fp32_precision") else m.allow_tf32
    finally:
        if how == "global":
            torch.set_float32_matmul_precision("highest")
    np.testing.assert_array_equal(got.indices, ieee.indices)  # selection ran in IEEE float32
    assert after in ("tf32", True)  # the caller's setting is restored afterwards


@pytest.mark.skipif(not DEV.startswith("cuda"), reason="device indices exist only on CUDA")
def test_knn_device_strings():
    X = clustered(2_000, 16, seed=7)
    a = knn(X, 3, backend="torch", device="cuda:0", check_duplicates=False)
    b = knn(X, 3, backend="torch", device="cuda", check_duplicates=False)
    np.testing.assert_array_equal(a.indices, b.indices)
    with pytest.raises(EmbgeoError):
        knn(X, 3, backend="torch", device=f"cuda:{torch.cuda.device_count()}", check_duplicates=False)
    with pytest.raises(EmbgeoError):
        knn(X, 3, backend="torch", device="gpu", check_duplicates=False)


def test_knn_k_larger_than_a_stream_chunk():
    X = clustered(600, 8, seed=8)
    ref = knn(X, 5, backend="numpy", check_duplicates=False)
    got = knn(X, 5, backend="torch", device=DEV, stream_rows=2, block_rows=64, check_duplicates=False)
    assert_same_neighbours(ref, got)


# ----------------------------------------------------------------- exact uniformity


@pytest.mark.parametrize("normalize,t,dtype,atol", [
    (True, 2.0, np.float32, 2e-5),    # fixed shift (2t <= 40): no max pass
    (True, 30.0, np.float32, 2e-4),   # max pass; 2t·cos error is 15× larger
    (False, 0.05, np.float32, 1e-4),  # raw rows, centred
    (True, 2.0, np.float64, 1e-9),
    (False, 0.05, np.float64, 1e-9),
])
def test_exact_uniformity_matches_numpy(normalize, t, dtype, atol):
    from embgeo.uniformity.core import uniformity

    X = clustered(_n(12_000), 128, seed=9, dtype=dtype)
    ref = uniformity(X, t=t, normalize=normalize, mode="exact", device=None)
    got = uniformity(X, t=t, normalize=normalize, mode="exact", backend="torch", device=DEV)
    assert got.backend == f"torch:{DEV}"
    np.testing.assert_allclose(got.uniformity, ref.uniformity, rtol=0, atol=atol)


def test_exact_uniformity_tile_paths(monkeypatch):
    from embgeo.uniformity import kernels as K
    from embgeo.uniformity.core import uniformity

    X = clustered(_n(6_000), 64, seed=10)
    ref = uniformity(X, mode="exact", device=None).uniformity
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)  # already unit: used in place, no copy
    np.testing.assert_allclose(uniformity(unit, mode="exact", backend="torch", device=DEV).uniformity, ref, atol=2e-5)
    monkeypatch.setattr(K, "MAX_PREPARED_BYTES", 1)  # rows prepared tile by tile
    np.testing.assert_allclose(uniformity(X, mode="exact", backend="torch", device=DEV, block=512).uniformity, ref, atol=2e-5)


# ----------------------------------------------------------------- Poincaré trainer

SMALL = dict(dim=5, epochs=40, batch_size=16, negatives=10, lr=0.1, eval_every=0, threads=1)


@pytest.fixture(scope="module")
def tree():
    from embgeo.datasets import path
    from embgeo.hyperbolic.graphs import read_hierarchy

    return read_hierarchy(path("smalltree"))


@pytest.mark.parametrize("model", ["poincare", "lorentz"])
def test_poincare_trains_on_the_device(tree, model):
    from embgeo.hyperbolic.poincare import train_poincare

    cfg = {**SMALL, "epochs": 100, "model": model}
    a = train_poincare(tree, seed=0, device=DEV, **cfg)
    cpu = a if DEV == "cpu" else train_poincare(tree, seed=0, device="cpu", **cfg)  # the dry run: one device
    b = train_poincare(tree, seed=0, device=DEV, **cfg)
    np.testing.assert_array_equal(a.coordinates, b.coordinates)  # reproducible on one device
    assert a.map >= 0.95 and abs(a.map - cpu.map) <= 0.05
    assert np.sqrt((a.coordinates ** 2).sum(1)).max() < 1.0


@pytest.mark.parametrize("saved_on,resumed_on", list(dict.fromkeys([(DEV, DEV), (DEV, "cpu"), ("cpu", DEV)])))
def test_poincare_checkpoint_across_devices(tree, tmp_path, saved_on, resumed_on):
    from embgeo.hyperbolic.poincare import train_poincare

    ck = tmp_path / "ck.npz"
    train_poincare(tree, seed=1, checkpoint=ck, device=saved_on, **{**SMALL, "epochs": 17})
    resumed = train_poincare(tree, seed=1, resume=ck, device=resumed_on, **SMALL)  # RiemannianAdam state
    assert resumed.epochs_run == 40 and np.isfinite(resumed.coordinates).all()
    if saved_on == resumed_on:
        full = train_poincare(tree, seed=1, device=saved_on, **SMALL)
        np.testing.assert_array_equal(resumed.coordinates, full.coordinates)


# ----------------------------------------------------------------- CLI


@pytest.mark.skipif(not DEV.startswith("cuda"), reason="the CLI resolves --device to cuda only with a GPU")
def test_cli_device_cuda_and_auto(run_cli, tmp_path):
    X = clustered(3_000, 64, seed=11)
    p = tmp_path / "x.npy"
    np.save(p, X)
    cpu = json.loads(run_cli(["uniformity", p, "-f", "json"]).stdout)["results"]
    for flag in ("cuda", "auto"):
        r = run_cli(["--device", flag, "uniformity", p, "-f", "json"])
        assert r.code == 0, r.stderr
        u = json.loads(r.stdout)["results"]
        assert u["backend"] == "torch:cuda"
        np.testing.assert_allclose(u["uniformity"], cpu["uniformity"], atol=2e-5)
    r = run_cli(["--device", "cuda", "id", p, "-m", "twonn,mle", "--bootstrap", "5", "-f", "json"])
    assert r.code == 0, r.stderr
    ref = run_cli(["id", p, "-m", "twonn,mle", "--bootstrap", "5", "-f", "json"])
    a, b = json.loads(r.stdout), json.loads(ref.stdout)
    assert a["neighbors"]["backend"] == "torch" and a["neighbors"]["device"] == "cuda"
    # same neighbour distances up to near-tie swaps: the estimates agree closely
    np.testing.assert_allclose(a["results"]["twonn"]["dimension"], b["results"]["twonn"]["dimension"], rtol=1e-4)
    np.testing.assert_allclose(a["mle"]["dimension"], b["mle"]["dimension"], rtol=1e-4)
