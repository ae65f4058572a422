"""tests/test_cuda.py's logic on torch's CPU backend, so that the GPU test file itself is exercised
on machines without a GPU (there it is skipped). Its CUDA-only cases (TF32, device indices, the
CLI's cuda resolution) stay skipped here."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[1]


def test_cuda_tests_pass_on_the_cpu_backend():
    env = {**os.environ, "EMBGEO_TEST_DEVICE": "cpu", "EMBGEO_TEST_SCALE": "0.15"}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_cuda.py")],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    passed = int(re.search(r"(\d+) passed", r.stdout).group(1))
    assert passed >= 17 and " failed" not in r.stdout
