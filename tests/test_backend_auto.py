"""One meaning of ``backend``/``device`` everywhere (embgeo.devices.resolve_engine): ``backend="auto"`` (the default)
is numpy on the CPU and torch on a GPU, for the kNN engine and everything that calls it as for uniformity."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.cosine import hubness
from embgeo.devices import resolve_engine
from embgeo.errors import EmbgeoError
from embgeo.intrinsic import calibrated_dimension, twonn_dimension
from embgeo.knn import BACKENDS, knn
from embgeo.uniformity.core import exact_engine

torch = pytest.importorskip("torch")
HAS_GPU = torch.cuda.is_available()


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(11)
    return (rng.standard_normal((300, 3)) @ rng.standard_normal((3, 10))).astype(np.float32)


def same(a, b):
    return json.dumps(a.to_dict(), sort_keys=True, default=str) == json.dumps(b.to_dict(), sort_keys=True, default=str)


def test_backends_listed():
    assert BACKENDS == ("auto", "numpy", "torch")


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "dot"])
def test_default_knn_on_cpu_is_numpy_bit_for_bit(X, metric):
    auto = knn(X, 7, metric=metric)
    ref = knn(X, 7, metric=metric, backend="numpy")
    np.testing.assert_array_equal(auto.indices, ref.indices)
    np.testing.assert_array_equal(auto.distances, ref.distances)
    assert (auto.backend, auto.device) == ("numpy", "cpu") == (ref.backend, ref.device)


def test_auto_on_cpu_records_numpy(X):
    nb = knn(X, 4, backend="auto", device="cpu")
    assert nb.backend == "numpy" and nb.device == "cpu"
    assert nb.to_dict()["backend"] == "numpy"
    assert nb.kernel is not None  # the numpy path ran (it alone records its GEMM timings)


def test_device_auto_resolves_to_what_torch_sees(X):
    nb = knn(X, 4, device="auto")
    assert (nb.backend, nb.device) == (("torch", "cuda") if HAS_GPU else ("numpy", "cpu"))


def test_torch_on_cpu_matches_numpy(X):
    t = knn(X, 6, backend="torch", device="cpu")
    n = knn(X, 6, backend="numpy")
    assert (t.backend, t.device) == ("torch", "cpu")
    np.testing.assert_allclose(t.distances, n.distances, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(t.indices, n.indices)


def test_twonn_default_equals_numpy(X):
    auto, ref = twonn_dimension(X), twonn_dimension(X, backend="numpy")
    assert auto.dimension == ref.dimension and np.isfinite(auto.dimension)
    assert same(auto, ref)


def test_calibrated_default_equals_numpy(X):
    auto = calibrated_dimension(X, n_bootstrap=0)
    ref = calibrated_dimension(X, n_bootstrap=0, backend="numpy")
    assert auto.dimension == ref.dimension and np.isfinite(auto.dimension)
    assert same(auto, ref)


def test_cosine_hubness_default_equals_numpy(X):
    auto, ref = hubness(X, k=5), hubness(X, k=5, backend="numpy")
    assert auto.raw.skewness == ref.raw.skewness and np.isfinite(auto.raw.skewness)
    np.testing.assert_array_equal(auto.raw.counts, ref.raw.counts)
    assert same(auto, ref)


@pytest.mark.skipif(HAS_GPU, reason="tests the path without a GPU")
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_cuda_without_gpu_is_one_clear_line(X, device, backend):
    with pytest.raises(EmbgeoError) as err:
        knn(X, 3, backend=backend, device=device)
    text = str(err.value)
    assert "\n" not in text and "Traceback" not in text
    assert f"device={device!r}" in text and "no CUDA device" in text
    assert "device='cpu'" in text and "device='auto'" in text
    with pytest.raises(EmbgeoError, match="no CUDA device"):  # every function that searches neighbours says the same
        twonn_dimension(X, device=device)


def test_numpy_on_cuda_is_refused_with_the_fix(X):
    with pytest.raises(EmbgeoError) as err:
        knn(X, 3, backend="numpy", device="cuda")
    assert str(err.value) == "backend='numpy' runs on the CPU, not on 'cuda' (drop backend, or give backend='torch')"
    with pytest.raises(EmbgeoError, match="backend='numpy' runs on the CPU"):
        hubness(X, k=3, backend="numpy", device="cuda:1")


@pytest.mark.parametrize("fn", [lambda X: knn(X, 3, backend="bogus"), lambda X: twonn_dimension(X, backend="bogus"),
                                lambda X: hubness(X, k=3, backend="bogus")])
def test_bogus_backend_names_backend(X, fn):
    with pytest.raises(EmbgeoError) as err:
        fn(X)
    assert str(err.value) == "backend must be one of auto, numpy, torch, got 'bogus'"


@pytest.mark.parametrize("device", ["gpu", "CUDA", 0, ""])
def test_bad_device_names_device(X, device):
    with pytest.raises(EmbgeoError, match=r"device must be 'cpu', 'cuda' \(or 'cuda:N'\) or 'auto'"):
        knn(X, 3, device=device)


def test_one_rule_for_knn_and_uniformity():
    # the shared rule, and exact_engine (uniformity) built on it
    assert resolve_engine() == ("numpy", "cpu")
    assert resolve_engine("torch", None) == ("torch", "cpu")
    assert resolve_engine("auto", "cuda", check_gpu=False) == ("torch", "cuda")
    assert resolve_engine("auto", "cuda:1", check_gpu=False) == ("torch", "cuda:1")
    assert exact_engine("cpu") is None and exact_engine(None, "numpy") is None
    assert exact_engine("cpu", "torch") == "cpu"
    assert exact_engine("cuda", check_gpu=False) == "cuda"
    for kw in (dict(backend="bogus"), dict(backend="numpy", device="cuda")):
        with pytest.raises(EmbgeoError) as a:
            resolve_engine(kw.get("backend", "auto"), kw.get("device", "cpu"))
        with pytest.raises(EmbgeoError) as b:
            exact_engine(kw.get("device", "cpu"), kw["backend"])
        assert str(a.value) == str(b.value)
