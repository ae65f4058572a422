"""Shared fixtures: run the CLI in-process and capture (code, stdout, stderr)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys):
    """``run_cli(["info", path])`` → CliRun(code, stdout, stderr), through the real entry point."""
    from embgeo.cli.app import main

    def run(argv):
        capsys.readouterr()
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """One BLAS thread per test: no oversubscription when torch or several tests share the cores."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
