"""BLAS thread control for small linear algebra.

Small matrix products, SVDs and L-BFGS fits (a few hundred rows) gain nothing from a BLAS
thread pool, and lose a great deal when its threads fight other work for the cores: OpenBLAS
threads spin while they wait. ``embgeo rank`` on the bundled 300 × 384 sentences (its MLP ceiling:
five L-BFGS fits of 240 × 384 → 64 → 1) took 30 s on numpy's pool and takes 7 s on one thread on an
idle 2-core machine; beside a busy BLAS process 83 s and 14 s (bench/bench_threads.py, docs/benchmarks.md).
"""
from __future__ import annotations

import contextlib


def single_thread():
    """A context in which BLAS/LAPACK use one thread (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


#: an analysis whose input has at most this many entries (rows × columns) runs BLAS on one thread:
#: its products and decompositions take milliseconds, which a pool cannot shorten but a contended
#: pool stretches to seconds (docs/benchmarks.md, "BLAS threads"); above it the pool is left alone.
#: ``EMBGEO_SMALL_BLAS_ENTRIES`` overrides it (0: never limit the pool).
SMALL_ENTRIES = 1_000_000


def small_entries() -> int:
    """:data:`SMALL_ENTRIES`, or ``$EMBGEO_SMALL_BLAS_ENTRIES`` (a whole number ≥ 0; empty: the default). Any other
    value (``1e6``, ``many``) is refused in one line, as ``EMBGEO_SPILL_BYTES`` is: it used to be ignored silently."""
    from embgeo.arguments import env_whole_number

    return env_whole_number("EMBGEO_SMALL_BLAS_ENTRIES", SMALL_ENTRIES, unit="matrix entries", example="1000000 (0: never limit the BLAS pool)")


def threads_for(X):
    """:func:`single_thread` when ``X`` (anything with a ``shape``) has at most :data:`SMALL_ENTRIES` entries."""
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) == 0:
        return contextlib.nullcontext()
    size = 1
    for s in shape:
        size *= int(s)
    return single_thread() if size <= small_entries() else contextlib.nullcontext()


def one_thread_when_small(fn):
    """Decorate an analysis ``fn(X, …)``: it runs under :func:`threads_for` ``(X)``."""
    import functools

    @functools.wraps(fn)
    def wrapper(X, *args, **kwargs):
        with threads_for(X):
            return fn(X, *args, **kwargs)

    return wrapper
