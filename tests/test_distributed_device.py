"""--device cuda without a GPU: a clear fallback message, and bench/gpu_check.sh fails cleanly."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FALLBACK = "--device cuda: no CUDA device is available here; running on the CPU."

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="tests the path without CUDA")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("dev") / "x.npy"
    np.save(path, np.random.default_rng(3).standard_normal((400, 8)).astype(np.float32))
    return path


@pytest.mark.parametrize("argv", [
    ["--device", "cuda", "uniformity", "{p}"],
    ["uniformity", "{p}", "--device", "cuda"],
    ["--device", "cuda", "id", "{p}", "-m", "twonn", "--bootstrap", "5"],
])
def test_cuda_falls_back_to_cpu_with_a_message(run_cli, small, argv):
    r = run_cli([a.format(p=small) for a in argv] + ["-f", "json"])
    assert r.code == 0, r.stderr
    assert FALLBACK in " ".join(r.stderr.split())
    data = json.loads(r.stdout)  # stdout holds only the data
    assert data["schema"].startswith("embgeo.")


def test_cuda_fallback_gives_the_cpu_numbers(run_cli, small):
    cpu = json.loads(run_cli(["uniformity", small, "-f", "json"]).stdout)
    cuda = json.loads(run_cli(["--device", "cuda", "uniformity", small, "-f", "json"]).stdout)
    assert cuda["results"]["uniformity"] == cpu["results"]["uniformity"]


def test_library_refuses_cuda_with_a_clear_error(small):
    from embgeo.errors import EmbgeoError
    from embgeo.knn.engine import knn

    X = np.load(small)
    with pytest.raises(EmbgeoError, match="no CUDA device"):
        knn(X, 3, backend="torch", device="cuda")


def test_gpu_check_fails_cleanly_without_cuda():
    r = subprocess.run(["bash", str(ROOT / "bench" / "gpu_check.sh")], capture_output=True, text=True, timeout=120,
                       env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})
    assert r.returncode == 3
    assert r.stdout == ""
    assert r.stderr.startswith("gpu_check: CUDA is not available")
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
