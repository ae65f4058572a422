"""A run that fails after writing some of its outputs leaves none of them (embgeo.outputs).

Each file is written atomically already; here a run writes ``-o`` and then fails on ``--plot``
(a full disk, simulated): the ``-o`` file it created is removed, one it replaced gets its old
content back, the one error line says what was taken back, and nothing else is left in the folder.
A ``--fail-on`` exit (1) keeps its outputs: they were written on purpose.
"""
from __future__ import annotations

import errno
import json

import numpy as np
import pytest


@pytest.fixture
def full_disk_plot(monkeypatch):
    """``--plot`` fails like a full disk (the error atomic_path gives for ENOSPC)."""
    import embgeo.plots
    from embgeo.outputs import write_error

    def fail(fig, path, **kw):
        raise write_error(OSError(errno.ENOSPC, "No space left on device"), path)

    monkeypatch.setattr(embgeo.plots, "save_figure", fail)


def _data(tmp_path, rng):
    x = tmp_path / "x.npy"
    np.save(x, rng.normal(size=(120, 6)))
    return x


def test_a_failing_run_removes_the_file_it_created(tmp_path, rng, run_cli, full_disk_plot):
    x = _data(tmp_path, rng)
    out = tmp_path / "u.json"
    r = run_cli(["uniformity", x, "-o", out, "--plot", tmp_path / "u.png"])
    assert r.code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "no space left on the device" in lines[0], r.stderr
    assert f"(took back what this run had written: {out} removed)" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]


def test_a_failing_run_puts_back_the_file_it_replaced(tmp_path, rng, run_cli, full_disk_plot):
    x = _data(tmp_path, rng)
    out = tmp_path / "u.json"
    out.write_text("the old result\n")
    r = run_cli(["uniformity", x, "-o", out, "--plot", tmp_path / "u.png"])
    assert r.code == 2
    assert out.read_text() == "the old result\n"
    assert f"(took back what this run had written: {out} restored)" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.json", "x.npy"]  # no backup left behind


def test_a_run_that_succeeds_keeps_everything_and_leaves_no_backup(tmp_path, rng, run_cli):
    x = _data(tmp_path, rng)
    out = tmp_path / "u.json"
    out.write_text("the old result\n")
    r = run_cli(["uniformity", x, "-o", out, "--plot", tmp_path / "u.png"])
    assert r.code == 0, r.stderr
    assert json.loads(out.read_text())["command"] == "uniformity"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.json", "u.png", "x.npy"]


def test_fail_on_keeps_the_outputs_it_gates(tmp_path, rng, run_cli):
    x = tmp_path / "x.npy"
    np.save(x, 1.0 + 0.01 * rng.normal(size=(120, 6)))  # every row points the same way: bad uniformity
    out = tmp_path / "u.json"
    r = run_cli(["uniformity", x, "-o", out, "--fail-on", "bad"])
    assert r.code == 1, r.stderr
    assert json.loads(out.read_text())["verdict"]["status"] == "bad"


def test_report_folder_is_taken_back(tmp_path, rng, monkeypatch):
    """The Markdown report's image folder, made by this run, goes with its files."""
    from embgeo.outputs import begin_outputs, end_outputs, make_folder
    from embgeo.io.writers import write_text

    begin_outputs()
    folder = tmp_path / "rep_files"
    make_folder(folder)
    write_text(folder / "a.png", "x")
    write_text(tmp_path / "rep.md", "y")
    undone = end_outputs(keep=False)
    assert sorted(undone) == sorted([f"{folder / 'a.png'} removed", f"{tmp_path / 'rep.md'} removed"])
    assert list(tmp_path.iterdir()) == []


def test_stdout_on_a_full_disk_is_one_line_naming_stdout(tmp_path, rng, run_cli, monkeypatch):
    import sys

    x = _data(tmp_path, rng)

    def full(text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys.stdout, "write", full)
    r = run_cli(["uniformity", x, "-f", "csv"])
    assert r.code == 2
    assert r.stderr.strip().splitlines() == [
        "embgeo: error: standard output: cannot write: no space left on the device "
        "(free space where stdout is redirected, or write with --out FILE elsewhere)"]
