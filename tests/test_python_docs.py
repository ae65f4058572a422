"""docs/python.md is executed: every ``>>>`` example runs and its shown output is compared."""
from __future__ import annotations

import doctest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_python_quick_start_runs_as_shown(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(ROOT / "docs" / "python.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted >= 15 and result.failed == 0, result


def test_api_reference_builds_from_docstrings(tmp_path):
    """`make docs` builds the API reference with pdoc: every family has a page with its public functions."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "pdoc", "--docformat", "numpy", "-o", str(tmp_path), "embgeo"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    pages = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")}
    for fam in ("uniformity", "intrinsic", "rank", "cosine", "hyperbolic", "knn", "io", "report", "compare"):
        assert f"embgeo/{fam}.html" in pages, (fam, sorted(pages)[:40])
    text = (tmp_path / "embgeo" / "intrinsic.html").read_text()
    assert "intrinsic_dimension" in text and "twonn_dimension" in text
