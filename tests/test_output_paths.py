"""The files of a run: no output written over an input or over another output, empty paths and
symbolic-link loops refused by name, --out with --format and streams (/dev/stdout, pipes)."""
from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import numpy as np
import pytest

from embgeo.datasets import path as dataset_path
from tests._cli import one_line


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(7)
    np.save(tmp_path / "x.npy", rng.standard_normal((40, 5)).astype(np.float32))
    np.save(tmp_path / "in.npy", rng.standard_normal((40, 5)).astype(np.float32))
    np.savez(tmp_path / "e.npz", emb=rng.standard_normal((40, 5)))
    rows = rng.standard_normal((30, 4))
    (tmp_path / "in.csv").write_text("a,b,c,d\n" + "\n".join(",".join(f"{v:.6f}" for v in r) for r in rows) + "\n")
    (tmp_path / "lab.csv").write_text("id,y\n" + "\n".join(f"{i},{i % 3}" for i in range(40)) + "\n")
    return tmp_path


def _snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# --------------------------------------------------------------------------- an output over an input, or over another output

def test_an_output_over_the_input_is_refused(files, run_cli):
    before = _snapshot(files)
    one_line(run_cli(["info", files / "in.csv", "--out", files / "in.csv"]),
             f"{files / 'in.csv'}: is an input of this run", "writing --out there would replace it (write elsewhere)")
    one_line(run_cli(["cosine", files / "in.npy", "--write-processed", files / "in.npy"]),
             "is an input of this run", "writing --write-processed there")
    one_line(run_cli(["info", files / "x.npy", "--labels", files / "lab.csv", "--out", files / "lab.csv"]),
             "is an input of this run (--labels); writing --out there")
    one_line(run_cli(["cosine", f"{files / 'e.npz'}:emb", "--write-processed", files / "e.npz"]),  # PATH:KEY names the file PATH
             "e.npz: is an input of this run")
    assert _snapshot(files) == before  # nothing replaced, nothing written


def test_another_spelling_or_a_link_is_the_same_file(files, run_cli, monkeypatch):
    monkeypatch.chdir(files)
    os.symlink("in.npy", files / "alias.npy")
    (files / "sub").mkdir()
    before = _snapshot(files)
    one_line(run_cli(["cosine", "./in.npy", "--write-processed", files / "in.npy"]), "is an input of this run")
    one_line(run_cli(["cosine", "in.npy", "--write-processed", "alias.npy"]), "alias.npy: is an input of this run")
    one_line(run_cli(["hyperbolic", "reembed", "x.npy", "--coords", "c.csv", "--out", f"{files}/sub/../c.csv"]),
             "--coords and --out both write this file")
    assert _snapshot(files) == before and not (files / "c.csv").exists()


@pytest.mark.parametrize("argv, first, second", [
    (["hyperbolic", "reembed", "{x}", "--coords", "{d}/c.csv", "--out", "{d}/c.csv"], "--coords", "--out"),
    (["project", "{x}", "-m", "pca", "--coords", "{d}/m.csv", "--out", "{d}/m.csv"], "--coords", "--out"),
    (["report", "{x}", "--html", "{d}/r.html", "--md", "{d}/r.md", "--out", "{d}/r.md"], "--md", "--out"),
    (["report", "{x}", "--html", "{d}/r.md", "--md", "{d}/r.md"], "--html", "--md"),
])
def test_two_outputs_in_one_file_are_refused(files, run_cli, argv, first, second):
    before = _snapshot(files)
    argv = [a.format(x=files / "x.npy", d=files) for a in argv]
    one_line(run_cli(argv), f"{first} and {second} both write this file (give each output its own file)")
    assert _snapshot(files) == before  # refused before any work: not even the first output is written


def test_report_outputs_over_an_input_are_refused(files, run_cli):
    before = _snapshot(files)
    one_line(run_cli(["report", files / "x.npy", "--html", files / "r.html", "--labels", files / "lab.csv", "--out", files / "lab.csv"]),
             "lab.csv: is an input of this run (--labels); writing --out there")
    one_line(run_cli(["report", files / "x.npy", "--html", files / "x.npy"]), "x.npy: is an input of this run (X); writing --html there")
    assert _snapshot(files) == before


def test_distinct_paths_still_work(files, run_cli):
    r = run_cli(["info", files / "in.csv", "--out", files / "r.json"])
    assert r.code == 0, r.stderr
    assert json.loads((files / "r.json").read_text())["command"] == "info"
    r = run_cli(["hyperbolic", "reembed", files / "x.npy", "--coords", files / "c.csv", "--out", files / "s.json"])
    assert r.code == 0, r.stderr
    assert (files / "c.csv").read_text().startswith("id,") and json.loads((files / "s.json").read_text())["command"] == "hyperbolic reembed"
    r = run_cli(["project", files / "x.npy", "-m", "pca", "--coords", files / "m.csv", "--out", files / "m2.csv"])
    assert r.code == 0, r.stderr
    assert len((files / "m.csv").read_text().splitlines()) == 41 and (files / "m2.csv").read_text() == (files / "m.csv").read_text()
    r = run_cli(["cosine", files / "in.npy", "--write-processed", files / "p.npy", "-f", "json"])
    assert r.code == 0, r.stderr
    assert np.load(files / "p.npy").shape == (40, 5)


def test_a_training_may_checkpoint_to_the_file_it_resumes_from(files, run_cli):
    tree = dataset_path("smalltree")
    ck = files / "ck.npz"
    r = run_cli(["hyperbolic", "train", tree, "--coords", files / "e1.npz", "--epochs", "2", "--checkpoint", ck, "-f", "json"])
    assert r.code == 0, r.stderr
    r = run_cli(["hyperbolic", "train", tree, "--coords", files / "e2.npz", "--epochs", "4", "--checkpoint", ck, "--resume", ck, "-f", "json"])
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["results"]["epochs_run"] == 4
    # but the coordinates may not go over the checkpoint it reads
    one_line(run_cli(["hyperbolic", "train", tree, "--coords", ck, "--epochs", "6", "--resume", ck]),
             "ck.npz: is an input of this run (--resume); writing --coords there")


def test_every_file_option_is_classified():
    """Each option that names a file is an output or an input: a new one must be added to one side
    (cli/app.py: a check of cli/common.py as its callback, OUTPUT_OPTIONS or INPUT_SPEC_OPTIONS)."""
    import typer.main

    from embgeo.cli.app import build_app, is_output, is_path_option

    outputs = {
        "compare": ["--plot", "--out"], "cosine": ["--write-processed", "--plot", "--out"], "extract": ["--out-dir", "--out"],
        "id": ["--out", "--plot"], "info": ["--out"], "layers": ["--out", "--plot"], "project": ["--coords", "--plot", "--out"],
        "rank": ["--save-axis", "--scores", "--plot", "--out"], "report": ["--html", "--md", "--out"], "uniformity": ["--plot", "--out"],
        "gap": ["--write-direction", "--plot", "--out"], "datasets list": ["--out"], "datasets info": ["--out"], "datasets path": [],
        "datasets export": ["--out"], "hyperbolic train": ["--coords", "--checkpoint", "--plot", "--out"],
        "hyperbolic eval": ["--plot", "--out"], "hyperbolic combinatorial": ["--coords", "--plot", "--out"],
        "hyperbolic hmds": ["--coords", "--plot", "--out"], "hyperbolic delta": ["--out"], "hyperbolic reembed": ["--coords", "--plot", "--out"],
    }
    inputs = {
        "cosine": ["--factors", "--qrels", "--labels"], "extract": ["--texts"], "id": ["--tokens"], "info": ["--labels"],
        "layers": ["--views", "--tokens", "--labels"], "project": ["--labels"], "rank": ["--labels", "--axis", "--anchor-low-file", "--anchor-high-file"],
        "report": ["--pairs", "--layers", "--tokens", "--compare", "--edges", "--labels"], "uniformity": ["--pairs"], "gap": ["--direction", "--labels"],
        "hyperbolic train": ["--resume"], "hyperbolic eval": ["--hyperlex"],
    }

    def leaves(cmd, path=()):
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                yield from leaves(sub, (*path, name))
        else:
            yield " ".join(path), cmd

    got_out, got_in = {}, {}
    for name, cmd in leaves(typer.main.get_command(build_app())):
        got_out[name] = [p.opts[0] for p in cmd.params if is_output(p)]
        ins = [p.opts[0] for p in cmd.params if is_path_option(p) and not is_output(p)]
        if ins:
            got_in[name] = ins
    assert got_out == outputs
    assert got_in == inputs


# --------------------------------------------------------------------------- empty paths, symbolic-link loops

@pytest.mark.parametrize("argv, needle", [
    (["info", ""], "embgeo info: an empty path was given for FILES (name a file)"),
    (["info", "{x}", ""], "embgeo info: an empty path was given for FILES"),
    (["info", "{x}", "--out", ""], "embgeo info: --out was given an empty path (name a file after --out)"),
    (["info", "{x}", "-o", ""], "embgeo info: -o was given an empty path"),
    (["info", "{x}", "--out="], "embgeo info: --out was given an empty path"),
    (["cosine", "{x}", "--plot", ""], "embgeo cosine: --plot was given an empty path (name a file after --plot)"),
    (["info", "{x}", "--labels", ""], "embgeo info: --labels was given an empty path"),
    (["hyperbolic", "train", ""], "embgeo hyperbolic train: an empty path was given for EDGES"),
    (["extract", "m", "--texts", "t.txt", "--out-dir", ""], "embgeo extract: --out-dir was given an empty path (name a folder after --out-dir)"),
])
def test_an_empty_path_is_refused_by_name(files, run_cli, argv, needle):
    line = one_line(run_cli([a.format(x=files / "x.npy") for a in argv]), needle)
    assert "directory" not in line


def test_a_symbolic_link_loop_is_named(files, run_cli, monkeypatch):
    monkeypatch.chdir(files)
    os.symlink("l1.npy", "l2.npy")
    os.symlink("l2.npy", "l1.npy")
    os.symlink("gone.npy", "dangling.npy")
    one_line(run_cli(["info", "l1.npy"]), "l1.npy: is a symbolic link loop: it cannot be resolved to a file")
    one_line(run_cli(["info", "l1.npy:emb"]), "l1.npy: is a symbolic link loop")
    one_line(run_cli(["info", "x.npy", "--labels", "l2.npy"]), "l2.npy: is a symbolic link loop")
    one_line(run_cli(["info", "dangling.npy"]), "dangling.npy: is a symbolic link to 'gone.npy', which does not exist")
    assert not list(files.glob("*.json"))


# --------------------------------------------------------------------------- --out with --format; streams

def test_check_out_rule():
    from embgeo.cli.output import Format, check_out
    from embgeo.errors import EmbgeoError

    check_out(Format.json, Path("x.dat"))  # with a format, any name
    check_out(Format.csv, Path("/dev/stdout"))
    check_out(Format.table, Path("report.txt"))
    check_out(None, Path("x.dat"), fmt_known=False)  # --format may still follow: its own check decides
    with pytest.raises(EmbgeoError, match=r"unknown output suffix '\.dat'"):
        check_out(None, Path("x.dat"))
    with pytest.raises(EmbgeoError, match=r"unknown output suffix '\(none\)'"):
        check_out(None, Path("/dev/stdout"))
    with pytest.raises(EmbgeoError, match="--format json disagrees with the suffix '.csv'"):
        check_out(Format.json, Path("u.csv"))


def test_without_format_an_unknown_suffix_stays_an_error(files, run_cli):
    one_line(run_cli(["info", files / "x.npy", "--out", files / "x.dat"]), "unknown output suffix '.dat'")
    assert not (files / "x.dat").exists()


def test_with_format_any_out_path_is_written(files, run_cli):
    from embgeo.outputs import is_stream

    assert is_stream("/dev/stdout")  # (written in place, never replaced by a file)
    r = run_cli(["info", files / "x.npy", "-f", "json", "--out", files / "x.dat"])
    assert r.code == 0, r.stderr
    assert json.loads((files / "x.dat").read_text())["command"] == "info"
    r = run_cli(["info", files / "x.npy", "--out", files / "y.dat", "-f", "json"])  # --format after --out
    assert r.code == 0, r.stderr
    r = run_cli(["info", files / "x.npy", "-f", "json", "--out", "/dev/stdout"])
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["command"] == "info"


def test_streams_are_recognised():
    from embgeo.outputs import is_stream

    assert is_stream("/dev/stdout") and is_stream("/dev/stderr") and is_stream("/dev/null") and is_stream("/dev/fd/1")
    assert not is_stream(__file__) and not is_stream(Path(__file__).parent) and not is_stream("no/such/file.json")


def test_stdout_by_name_is_stdout(capsys):
    from embgeo.cli.output import write_output
    from embgeo.outputs import is_stream

    assert is_stream("/dev/stdout")  # guard: never let the atomic writer rename a file onto /dev/stdout
    write_output(Path("/dev/stdout"), "hello\n")
    assert capsys.readouterr().out == "hello\n"
    assert stat.S_ISLNK(os.lstat("/dev/stdout").st_mode) or not os.path.isfile("/dev/stdout")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_written_in_place_and_never_replaced(tmp_path):
    from embgeo.cli.output import write_output
    from embgeo.errors import EmbgeoError
    from embgeo.io.writers import write_text

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    write_output(fifo, "data\n")
    reader.join(10)
    assert got == ["data\n"] and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(EmbgeoError, match="is not a regular file"):  # the atomic writer refuses to rename a file onto it
        write_text(fifo, "x\n")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]
