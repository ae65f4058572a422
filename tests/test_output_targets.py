"""Where an output goes: ``--out -`` is standard output, a symbolic link is written through (the link
stays, its target gets the new content), and any file name the file system accepts can be written
(the temporary and backup files have short names of their own).
"""
from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")

#: a name of 255 bytes, the usual limit of one path component
LONG = "a" * 250 + ".json"


@pytest.fixture
def x(tmp_path, rng):
    path = tmp_path / "x.npy"
    np.save(path, rng.normal(size=(80, 5)))
    return path


@pytest.fixture
def full_disk_plot(monkeypatch):
    """``--plot`` fails like a full disk, after ``--out`` has been written."""
    import embgeo.plots
    from embgeo.outputs import write_error

    def fail(fig, path, **kw):
        raise write_error(OSError(errno.ENOSPC, "No space left on device"), path)

    monkeypatch.setattr(embgeo.plots, "save_figure", fail)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def one_error_line(r, *needles: str) -> str:
    assert r.code == 2, (r.code, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error: "), r.stderr
    for needle in needles:
        assert needle in lines[0], r.stderr
    return lines[0]


# --- '-' is standard output -------------------------------------------------------------------

def test_out_dash_with_json_goes_to_stdout_and_makes_no_file(tmp_path, x, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run_cli(["-q", "uniformity", x, "-f", "json", "--out", "-"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["command"] == "uniformity" and doc["results"]
    assert names(tmp_path) == ["x.npy"]  # no file called '-', no temporary left


def test_out_dash_equals_no_out_in_every_format(tmp_path, x, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for fmt in (["-f", "json"], ["-f", "csv"], ["-f", "md"], ["-f", "table"], []):
        plain = run_cli(["-q", "uniformity", x, *fmt])
        dash = run_cli(["-q", "uniformity", x, *fmt, "-o", "-"])
        assert plain.code == dash.code == 0, (fmt, dash.stderr)
        if fmt == ["-f", "json"]:  # the same document (the timings differ from run to run)
            assert json.loads(dash.stdout).keys() == json.loads(plain.stdout).keys()
        else:
            assert dash.stdout.splitlines()[:3] == plain.stdout.splitlines()[:3], fmt
    assert names(tmp_path) == ["x.npy"]


def test_out_dash_without_format_is_the_default_table(tmp_path, x, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run_cli(["-q", "uniformity", x, "--out", "-"])
    assert r.code == 0, r.stderr  # not "unknown output suffix": '-' has no suffix, and needs none
    assert "metric" in r.stdout and "uniformity" in r.stdout
    assert names(tmp_path) == ["x.npy"]
    r = run_cli(["-q", "info", x, "--out", "-", "-f", "json"])  # --format after --out
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["command"] == "info"
    assert names(tmp_path) == ["x.npy"]


def test_dash_is_a_stream_and_write_output_puts_it_on_stdout(tmp_path, capsys, monkeypatch):
    from embgeo.cli.output import check_out, resolve_format, Format, write_output
    from embgeo.outputs import is_dash, is_stream

    monkeypatch.chdir(tmp_path)
    assert is_stream("-") and is_stream(Path("-")) and is_dash(Path("-"))
    assert not is_stream("./-x") and not is_dash("--") and not is_dash(None)
    check_out(None, Path("-"))  # accepted without --format, like no --out
    assert resolve_format(None, Path("-")) is Format.table and resolve_format(Format.csv, Path("-")) is Format.csv
    write_output(Path("-"), "hello\n")
    assert capsys.readouterr().out == "hello\n"
    assert names(tmp_path) == []


def test_the_library_writer_refuses_dash_and_makes_no_file(tmp_path, monkeypatch):
    from embgeo.errors import EmbgeoError
    from embgeo.io.writers import save_npy, write_text

    monkeypatch.chdir(tmp_path)
    with pytest.raises(EmbgeoError, match="is not a regular file") as info:
        write_text("-", "x\n")
    assert "\n" not in str(info.value) and str(info.value).startswith("-: ")
    with pytest.raises(EmbgeoError, match="is not a regular file"):
        save_npy(Path("-"), np.eye(2))
    assert names(tmp_path) == []


# --- a symbolic link is written through ---------------------------------------------------------

def test_out_onto_a_link_updates_its_target_and_keeps_the_link(tmp_path, x, run_cli):
    target = tmp_path / "t.json"
    target.write_text("old\n")
    link = tmp_path / "l.json"
    link.symlink_to("t.json")
    r = run_cli(["-q", "uniformity", x, "-o", link])
    assert r.code == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == "t.json"
    assert json.loads(target.read_text())["command"] == "uniformity"
    assert names(tmp_path) == ["l.json", "t.json", "x.npy"]


def test_a_relative_link_is_read_from_its_own_folder(tmp_path, x, run_cli, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "b" / "t.json"
    target.write_text("old\n")
    link = tmp_path / "a" / "l.json"
    link.symlink_to(os.path.join("..", "b", "t.json"))
    monkeypatch.chdir(tmp_path / "elsewhere")  # not the link's folder
    r = run_cli(["-q", "uniformity", x, "-o", link])
    assert r.code == 0, r.stderr
    assert link.is_symlink() and json.loads(target.read_text())["command"] == "uniformity"
    assert names(tmp_path / "a") == ["l.json"] and names(tmp_path / "b") == ["t.json"]
    assert names(tmp_path / "elsewhere") == []


def test_a_failed_run_leaves_the_link_and_its_target_as_before(tmp_path, x, run_cli, full_disk_plot):
    target = tmp_path / "t.json"
    target.write_text("old\n")
    link = tmp_path / "l.json"
    link.symlink_to("t.json")
    r = run_cli(["uniformity", x, "-o", link, "--plot", tmp_path / "u.png"])
    one_error_line(r, "no space left on the device", f"{target} restored")
    assert link.is_symlink() and os.readlink(link) == "t.json"
    assert target.read_text() == "old\n"
    assert names(tmp_path) == ["l.json", "t.json", "x.npy"]  # no backup, no temporary left


def test_a_dangling_link_creates_its_target(tmp_path, x, run_cli):
    link = tmp_path / "l.json"
    link.symlink_to("new.json")
    r = run_cli(["-q", "uniformity", x, "-o", link])
    assert r.code == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == "new.json"
    assert json.loads((tmp_path / "new.json").read_text())["command"] == "uniformity"


def test_a_failed_run_through_a_dangling_link_leaves_it_dangling(tmp_path, x, run_cli, full_disk_plot):
    link = tmp_path / "l.json"
    link.symlink_to("new.json")
    r = run_cli(["uniformity", x, "-o", link, "--plot", tmp_path / "u.png"])
    one_error_line(r, "no space left on the device", f"{tmp_path / 'new.json'} removed")
    assert link.is_symlink() and not link.exists()
    assert names(tmp_path) == ["l.json", "x.npy"]


def test_a_link_into_a_missing_folder_is_refused_in_one_line(tmp_path, x, run_cli):
    link = tmp_path / "l.json"
    link.symlink_to(os.path.join("nodir", "t.json"))
    one_error_line(run_cli(["uniformity", x, "-o", link]), str(link), "symbolic link", "folder does not exist")
    assert link.is_symlink() and names(tmp_path) == ["l.json", "x.npy"]


def test_a_link_loop_is_refused_in_one_line(tmp_path, x, run_cli):
    (tmp_path / "a.json").symlink_to("b.json")
    (tmp_path / "b.json").symlink_to("a.json")
    one_error_line(run_cli(["uniformity", x, "-o", tmp_path / "a.json"]), "symbolic link loop")
    assert names(tmp_path) == ["a.json", "b.json", "x.npy"]


def test_a_link_to_an_input_is_still_refused(tmp_path, x, run_cli):
    before = x.read_bytes()
    link = tmp_path / "l.json"
    link.symlink_to("x.npy")
    one_error_line(run_cli(["uniformity", x, "-f", "json", "-o", link]), "is an input of this run")
    assert link.is_symlink() and x.read_bytes() == before


def test_the_library_writer_writes_through_links(tmp_path):
    from embgeo.errors import EmbgeoError
    from embgeo.io.writers import save_npy, write_text
    from embgeo.outputs import begin_outputs, end_outputs

    target = tmp_path / "t.txt"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    link = tmp_path / "l.txt"
    link.symlink_to(target)  # absolute
    write_text(link, "new\n")
    assert link.is_symlink() and target.read_text() == "new\n"
    assert (target.stat().st_mode & 0o777) == 0o640  # the target's permissions are kept
    chain = tmp_path / "chain.txt"
    chain.symlink_to("l.txt")  # a link to a link
    write_text(chain, "newer\n")
    assert chain.is_symlink() and link.is_symlink() and target.read_text() == "newer\n"

    begin_outputs()
    write_text(link, "failed run\n")
    assert target.read_text() == "failed run\n"
    assert end_outputs(keep=False) == [f"{target} restored"]
    assert link.is_symlink() and target.read_text() == "newer\n"

    dangling = tmp_path / "d.npy"
    dangling.symlink_to("made.npy")
    save_npy(dangling, np.eye(2))
    assert dangling.is_symlink() and np.array_equal(np.load(tmp_path / "made.npy"), np.eye(2))

    folder = tmp_path / "sub"
    folder.mkdir()
    (tmp_path / "to_folder.txt").symlink_to("sub")
    with pytest.raises(EmbgeoError, match="is a folder"):
        write_text(tmp_path / "to_folder.txt", "x\n")
    (tmp_path / "nowhere.txt").symlink_to(os.path.join("nodir", "f.txt"))
    with pytest.raises(EmbgeoError, match="folder does not exist") as info:
        write_text(tmp_path / "nowhere.txt", "x\n")
    assert "\n" not in str(info.value)
    assert names(tmp_path) == ["chain.txt", "d.npy", "l.txt", "made.npy", "nowhere.txt", "sub", "t.txt", "to_folder.txt"]
    assert names(folder) == []


# --- long file names ------------------------------------------------------------------------------

def test_a_long_valid_name_is_written(tmp_path, x, run_cli):
    assert len(LONG.encode()) == 255
    out = tmp_path / LONG
    r = run_cli(["-q", "uniformity", x, "-o", out])
    assert r.code == 0, r.stderr
    assert json.loads(out.read_text())["command"] == "uniformity"
    assert names(tmp_path) == sorted([LONG, "x.npy"])
    r = run_cli(["-q", "uniformity", x, "-o", out])  # replacing it (the backup has a short name too)
    assert r.code == 0, r.stderr
    assert names(tmp_path) == sorted([LONG, "x.npy"])


def test_a_long_name_with_a_long_suffix_is_written(tmp_path, x, run_cli):
    out = tmp_path / ("b." + "c" * 253)  # one long "suffix"
    r = run_cli(["-q", "uniformity", x, "-f", "json", "-o", out])
    assert r.code == 0, r.stderr
    assert json.loads(out.read_text())["command"] == "uniformity"


def test_a_failed_run_puts_back_a_long_named_file(tmp_path, x, run_cli, full_disk_plot):
    out = tmp_path / LONG
    out.write_text("old\n")
    r = run_cli(["uniformity", x, "-o", out, "--plot", tmp_path / "u.png"])
    one_error_line(r, "no space left on the device", "restored")
    assert out.read_text() == "old\n"
    assert names(tmp_path) == sorted([LONG, "x.npy"])


def test_the_library_writer_takes_long_names(tmp_path):
    from embgeo.io.writers import save_matrix, save_npy, write_text
    from embgeo.outputs import begin_outputs, end_outputs

    text = tmp_path / LONG
    write_text(text, "one\n")
    assert text.read_text() == "one\n"
    npy = tmp_path / ("n" * 251 + ".npy")
    save_npy(npy, np.eye(3))
    assert np.array_equal(np.load(npy), np.eye(3))
    csv = tmp_path / ("c" * 251 + ".csv")
    save_matrix(csv, np.eye(2))
    assert csv.read_text().startswith("d0,d1\n")

    begin_outputs()
    write_text(text, "two\n")
    assert end_outputs(keep=False) == [f"{text} restored"]
    assert text.read_text() == "one\n"
    assert names(tmp_path) == sorted([LONG, npy.name, csv.name])
