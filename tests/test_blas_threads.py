"""Small inputs run BLAS on one thread (embgeo/_blas.py; figures in docs/benchmarks.md, "BLAS threads")."""
from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from embgeo._blas import SMALL_ENTRIES, one_thread_when_small, small_entries, threads_for


def _blas_threads() -> set[int]:
    return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}


@pytest.fixture
def two_threads():
    with threadpool_limits(limits=2, user_api="blas"):
        if _blas_threads() != {2}:
            pytest.skip(f"this BLAS cannot run 2 threads here: {_blas_threads()}")
        yield


def test_small_inputs_get_one_thread_and_large_ones_keep_the_pool(two_threads, monkeypatch):
    monkeypatch.delenv("EMBGEO_SMALL_BLAS_ENTRIES", raising=False)
    small = np.empty((1000, 1000))  # exactly SMALL_ENTRIES
    large = np.empty((1000, 1001))
    assert small.size == SMALL_ENTRIES
    with threads_for(small):
        assert _blas_threads() == {1}
    assert _blas_threads() == {2}  # restored on the way out
    with threads_for(large):
        assert _blas_threads() == {2}
    with threads_for([1.0, 2.0]):  # no shape: left alone
        assert _blas_threads() == {2}


def test_the_environment_moves_the_limit(two_threads, monkeypatch):
    X = np.empty((10, 10))
    monkeypatch.setenv("EMBGEO_SMALL_BLAS_ENTRIES", "0")  # never limit: numpy's pool
    assert small_entries() == 0
    with threads_for(X):
        assert _blas_threads() == {2}
    monkeypatch.setenv("EMBGEO_SMALL_BLAS_ENTRIES", "50")
    with threads_for(X):
        assert _blas_threads() == {2}
    with threads_for(np.empty((5, 10))):
        assert _blas_threads() == {1}
    monkeypatch.setenv("EMBGEO_SMALL_BLAS_ENTRIES", "")  # empty: the default
    assert small_entries() == SMALL_ENTRIES
    from embgeo.errors import EmbgeoError

    for bad in ("many", "1e6", "-5"):  # not a whole number: refused in one line (it was ignored silently)
        monkeypatch.setenv("EMBGEO_SMALL_BLAS_ENTRIES", bad)
        with pytest.raises(EmbgeoError, match=r"EMBGEO_SMALL_BLAS_ENTRIES=.* is not a whole number"):
            small_entries()


def test_the_analyses_run_under_it_and_return_the_same_numbers(two_threads, monkeypatch):
    """rank, cosine and project are decorated: inside them BLAS has one thread for a small input, and the
    results equal those computed on the pool to rounding."""
    import embgeo as eg

    seen = []

    def spy(X, *a, **k):
        seen.append(_blas_threads())
        return real(X, *a, **k)

    from embgeo.cosine import diagnostics

    real = diagnostics.isoscore
    monkeypatch.setattr(diagnostics, "isoscore", spy)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 16)) + 0.5
    a = eg.cosine_diagnostics(X, seed=0).to_dict()
    assert seen and seen[-1] == {1}
    monkeypatch.setenv("EMBGEO_SMALL_BLAS_ENTRIES", "0")
    b = eg.cosine_diagnostics(X, seed=0).to_dict()
    assert seen[-1] == {2}
    for key in ("anisotropy", "isoscore", "hubness_skewness", "jaccard_dot_cosine", "norm_cv"):
        assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-12), key
    assert one_thread_when_small(lambda M: _blas_threads())(np.empty((2, 2))) == {2}  # env 0: the pool


def test_the_mlp_ceiling_does_not_depend_on_the_blas_threads():
    """L-BFGS amplified the last bits of a threaded GEMM: rank's mlp_ceiling moved in its 4th digit between 1 and
    2 BLAS threads on inputs above the one-thread size. The fit now always runs on one thread."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    from embgeo.rank.core import mlp_predict

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2100, 500))  # above SMALL_ENTRIES: the pool was used
    y = X[:, :5].sum(axis=1) + rng.normal(size=2100)
    with threadpool_limits(limits=1):
        one = mlp_predict(X, y, X[:50], hidden=8, seed=0)
    with threadpool_limits(limits=2):
        two = mlp_predict(X, y, X[:50], hidden=8, seed=0)
    assert np.array_equal(one, two)
