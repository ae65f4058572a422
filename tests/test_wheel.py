"""A wheel built from the tree installs in a fresh venv and runs `embgeo datasets list`."""
from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_runs(tmp_path):
    dist = tmp_path / "dist"
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    wheel = next(dist.glob("embgeo-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    # the front-end and the data ship under the embgeo namespace only
    tops = {n.split("/")[0] for n in names if not n.startswith("embgeo-")}
    assert tops == {"embgeo"}, tops
    for required in ("embgeo/cli/app.py", "embgeo/datasets/data/graphs/mammal_closure.csv", "embgeo/datasets/data/graphs/WORDNET-LICENSE.txt", "embgeo/datasets/data/graphs/SOURCES.md", "embgeo/datasets/data/sentences/sentences.npy"):
        assert required in names, required

    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    proc = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # dependencies come from the project's venv, appended after the fresh site-packages
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True).stdout.strip()
    Path(site, "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    proc = subprocess.run([str(venv / "bin" / "embgeo"), "datasets", "list", "--format", "csv"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "kind,hierarchy,,,,,mammals" in proc.stdout and "kind,embeddings,,,,,sentences" in proc.stdout  # tidy: metric,value,…,dataset
    where = subprocess.run([str(venv / "bin" / "embgeo"), "datasets", "path", "mammals"], capture_output=True, text=True, timeout=120, cwd=tmp_path).stdout.strip()
    assert where.startswith(str(venv)) and Path(where).exists()
