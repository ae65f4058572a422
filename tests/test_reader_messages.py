"""What the readers say about files they cannot read as asked (review of the reader messages):

- a pickled ``.pt`` is one complete sentence, with nothing from torch on stderr;
- a comma-separated ``.tsv`` (labels or embeddings), a tab-separated ``.csv``, names its delimiter;
- a quoted field left open is named at the line where it opens, not at the last line of the file;
- a file the operating system does not let embgeo read is "permission denied", in every format and for labels;
- UTF-16/UTF-32 text and binary data read as text are named as such (never the latin1 advice);
- ``hyperbolic train --resume`` with a file that is not a checkpoint says what a checkpoint is and what the file is.
"""
from __future__ import annotations

import builtins
import errno
import pickle
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from embgeo.datasets import path as dataset

from embgeo.errors import EmbgeoError, use_surface
from embgeo.io import load
from embgeo.io.labels import read_table
from tests._cli import one_line

RNG = np.random.default_rng(0)


@pytest.fixture
def emb(tmp_path):
    np.save(tmp_path / "e.npy", RNG.normal(size=(10, 4)))
    return tmp_path / "e.npy"


# --------------------------------------------------------------------------- 1. a pickled .pt


class _Evil:
    def __reduce__(self):
        return (print, ("unpickled!",))


def _evil_pt(p: Path) -> Path:
    p.write_bytes(pickle.dumps(_Evil(), protocol=4))  # torch warns about protocol 4 before it refuses the file
    return p


def test_a_pickled_pt_is_one_complete_sentence_and_torch_stays_silent(tmp_path):
    pytest.importorskip("torch")
    p = _evil_pt(tmp_path / "evil.pt")
    r = subprocess.run([sys.executable, "-m", "embgeo", "info", str(p)], capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 2 and r.stdout == "", (r.returncode, r.stdout)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"embgeo: error: {p}: "), r.stderr  # no UserWarning before it
    line = lines[0]
    for words in ("holds pickled Python objects", "beyond tensors", "embgeo never unpickles",
                  "torch.save({'embeddings': X}, path)", ".safetensors or .npy"):
        assert words in line, line
    assert "Weights only load failed" not in line and "`w" not in line and "unpickled!" not in r.stdout + r.stderr


def test_a_pickled_pt_raises_no_warning_in_python(tmp_path):
    pytest.importorskip("torch")
    p = _evil_pt(tmp_path / "evil.pt")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(EmbgeoError, match="holds pickled Python objects"):
            load(p)
    assert not seen, [str(w.message) for w in seen]


def test_a_pt_of_garbage_is_not_called_pickled(tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "junk.pt").write_bytes(b"garbage" * 20)
    with pytest.raises(EmbgeoError, match="is not a torch file") as exc:
        load(tmp_path / "junk.pt")
    assert "pickled" not in str(exc.value)


# --------------------------------------------------------------------------- 2. the other delimiter


def test_a_comma_separated_tsv_labels_file_names_its_delimiter(tmp_path, emb, run_cli):
    (tmp_path / "lab.tsv").write_text("id,cls,att\n" + "".join(f"r{i},{'ab'[i % 2]},0.{i}\n" for i in range(10)))
    for argv in (["info", emb, "--labels", tmp_path / "lab.tsv", "--join", "row-order"],
                 ["cosine", emb, "--labels", tmp_path / "lab.tsv", "--join", "row-order", "--class", "cls"]):
        line = one_line(run_cli(argv), "lab.tsv: has one column named 'id,cls,att'", "commas but no tab", "rename it to lab.csv",
                        "save it with tabs")
        assert "no class column" not in line
    (tmp_path / "lab.tsv").rename(tmp_path / "lab.csv")  # the fix works
    assert read_table(tmp_path / "lab.csv")[0] == ["id", "cls", "att"]


def test_a_comma_separated_tsv_of_embeddings_names_its_delimiter(tmp_path, run_cli):
    (tmp_path / "x.tsv").write_text("id,a,b\n" + "".join(f"r{i},0.{i},0.{i + 1}\n" for i in range(10)))
    one_line(run_cli(["info", tmp_path / "x.tsv"]), "x.tsv: line 1 ('id,a,b') holds commas but no tab", "rename it to x.csv",
             "--input-format csv")
    (tmp_path / "n.tsv").write_text("0.5,0.25\n0.75,0.125\n0.1,0.2\n")  # no header: the same count of numbers on every line
    line = one_line(run_cli(["info", tmp_path / "n.tsv"]), "holds commas but no tab")
    assert "decimal comma" not in line
    (tmp_path / "x.csv").write_text((tmp_path / "x.tsv").read_text())
    one_line(run_cli(["info", tmp_path / "x.csv", "--input-format", "tsv"]), "holds commas but no tab", "pass --input-format csv")
    assert load(tmp_path / "x.tsv", fmt="csv").matrix.shape == (10, 2)  # the fix works


def test_a_tab_separated_csv_of_embeddings_names_its_delimiter(tmp_path, run_cli):
    (tmp_path / "t.csv").write_text("a\tb\n" + "".join(f"0.{i}\t0.{i + 1}\n" for i in range(5)))
    one_line(run_cli(["info", tmp_path / "t.csv"]), "holds tabs but no comma", "rename it to t.tsv")


def test_what_only_looks_like_the_other_delimiter_is_not_refused(tmp_path):
    (tmp_path / "l.tsv").write_text("[0.1, 0.2]\n[0.3, 0.4]\n[0.5, 0.7]\n")  # one list column: its commas are the list's
    assert load(tmp_path / "l.tsv").matrix.shape == (3, 2)
    (tmp_path / "d.tsv").write_text("0,5\n0,75\n")  # decimal commas (or two integer columns): named by the cell, as before
    with pytest.raises(EmbgeoError, match="written with a comma"):
        load(tmp_path / "d.tsv")


# --------------------------------------------------------------------------- 3. a quote left open


def _unclosed(p: Path, header: str = "id,cls,att") -> Path:
    lines = [header] + [f"r{i},a,0.{i}" for i in range(5)] + ['r5,"unclosed,-0.4690'] + [f"r{i},b,0.{i}" for i in range(6, 60)]
    p.write_text("\n".join(lines) + "\n")
    return p


def test_an_unclosed_quote_in_a_labels_file_is_named_where_it_opens(tmp_path, emb, run_cli):
    p = _unclosed(tmp_path / "lab.csv")
    line = one_line(run_cli(["info", emb, "--labels", p, "--join", "row-order"]),
                    "lab.csv: line 7: the quoted field '\"unclosed,-0.4690' is never closed", "lines 7–61", "close the quote")
    assert "line 61" not in line and "fields but the header" not in line


def test_an_unclosed_quote_in_the_last_column_is_not_read_silently(tmp_path):
    (tmp_path / "lab.csv").write_text('id,cls\nr0,a\nr1,"b\nr2,c\nr3,d\n')  # one field of three lines: no field count is wrong
    with pytest.raises(EmbgeoError, match="line 3: the quoted field '\"b' is never closed"):
        read_table(tmp_path / "lab.csv")
    (tmp_path / "ok.csv").write_text('id,txt\nr0,"two\nlines"\nr1,b\n')  # a closed quote over two lines is a field
    assert read_table(tmp_path / "ok.csv")[1] == [["r0", "two\nlines"], ["r1", "b"]]


def test_an_unclosed_quote_in_an_embeddings_file_is_named_where_it_opens(tmp_path, run_cli):
    p = _unclosed(tmp_path / "x.csv", "id,a,b")
    p.write_text(p.read_text().replace(",a,", ",0.5,").replace(",b,", ",0.25,"))
    line = one_line(run_cli(["info", p]), "x.csv: line 7: the quoted field", "never closed", "lines 7–61")
    assert "line 61 has" not in line


# --------------------------------------------------------------------------- 4. permission denied


def _deny(monkeypatch, target: Path):
    """``open`` of ``target`` fails as it does for a file without read permission (root reads every file)."""
    real = builtins.open

    def guarded(file, *args, **kwargs):
        if isinstance(file, (str, Path)) and Path(file).resolve() == target.resolve():
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)


def _write(fmt: str, p: Path) -> Path:
    X = RNG.normal(size=(6, 3)).astype(np.float32)
    if fmt == "npy":
        np.save(p, X)
    elif fmt == "npz":
        np.savez(p, embeddings=X)
    elif fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        p.write_text(sep.join("abc") + "\n" + "".join(sep.join(f"{v:.4f}" for v in r) + "\n" for r in X))
    elif fmt == "txt":
        p.write_text("".join(f"w{i} " + " ".join(f"{v:.4f}" for v in r) + "\n" for i, r in enumerate(X)))
    elif fmt == "fvecs":
        p.write_bytes(b"".join(struct.pack("<i", 3) + r.tobytes() for r in X))
    elif fmt == "bvecs":
        p.write_bytes(b"".join(struct.pack("<i", 3) + (np.abs(r) * 50).astype("u1").tobytes() for r in X))
    elif fmt == "bin":
        p.write_bytes(b"6 3\n" + b"".join(f"w{i} ".encode() + r.tobytes() + b"\n" for i, r in enumerate(X)))
    elif fmt == "safetensors":
        pytest.importorskip("safetensors")
        from safetensors.numpy import save_file

        save_file({"emb": X}, str(p))
    return p


@pytest.mark.parametrize("fmt", ["npy", "npz", "csv", "tsv", "txt", "fvecs", "bvecs", "bin", "safetensors"])
def test_permission_denied_is_said_as_such_in_every_format(fmt, tmp_path, monkeypatch, run_cli):
    p = _write(fmt, tmp_path / f"f.{fmt}")
    assert load(p).matrix.shape == (6, 3)
    _deny(monkeypatch, p)
    line = one_line(run_cli(["info", p]), f"f.{fmt}: cannot read the file: permission denied", f"(check its permissions: chmod u+r {p})")
    for wrong in ("not a valid", "complete", "UTF-8", "Errno"):
        assert wrong not in line, line


def test_permission_denied_inside_a_reader_is_said_as_such(tmp_path, monkeypatch):
    """Past the check in load (a file whose permissions change while it is read): the reader's OSError is named the same way."""
    from embgeo.io import readers

    p = _write("npz", tmp_path / "f.npz")
    monkeypatch.setattr(readers, "check_readable", lambda path: None)
    _deny(monkeypatch, p)
    monkeypatch.setattr("zipfile.io.open", builtins.open)
    with pytest.raises(EmbgeoError, match="cannot read the file: permission denied"):
        load(p)


def test_permission_denied_for_a_labels_file(tmp_path, emb, monkeypatch, run_cli):
    (tmp_path / "lab.csv").write_text("id,score\n" + "".join(f"{i},{i / 2}\n" for i in range(10)))
    _deny(monkeypatch, tmp_path / "lab.csv")
    one_line(run_cli(["info", emb, "--labels", tmp_path / "lab.csv", "--join", "row-order"]),
             "lab.csv: cannot read the file: permission denied", "chmod u+r")
    with pytest.raises(EmbgeoError, match="permission denied"):
        read_table(tmp_path / "lab.csv")


# --------------------------------------------------------------------------- 5. not UTF-8 text


def test_utf16_and_utf32_text_get_the_right_iconv(tmp_path, emb, run_cli):
    (tmp_path / "u16.csv").write_text("a,b\n1,2\n", encoding="utf-16")
    line = one_line(run_cli(["info", tmp_path / "u16.csv"]), "u16.csv: is UTF-16 text", "byte-order mark",
                    "iconv -f utf-16 -t utf-8 u16.csv > u16-utf8.csv")
    assert "latin1" not in line
    (tmp_path / "u32.csv").write_text("a,b\n1,2\n", encoding="utf-32")
    one_line(run_cli(["info", tmp_path / "u32.csv"]), "is UTF-32 text", "iconv -f utf-32 -t utf-8")
    (tmp_path / "le.csv").write_bytes("a,b\n1,2\n3,4\n".encode("utf-16-le"))  # no byte-order mark: NUL bytes decode as UTF-8
    one_line(run_cli(["info", tmp_path / "le.csv"]), "UTF-16 text without a byte-order mark", "iconv -f utf-16le -t utf-8")
    (tmp_path / "w.txt").write_text("w 1 2\nv 3 4\n", encoding="utf-16")
    one_line(run_cli(["info", tmp_path / "w.txt"]), "is UTF-16 text", "iconv -f utf-16")
    (tmp_path / "lab.csv").write_text("id,score\n" + "".join(f"{i},{i}\n" for i in range(10)), encoding="utf-16")
    line = one_line(run_cli(["info", emb, "--labels", tmp_path / "lab.csv", "--join", "row-order"]),
                    "lab.csv: labels file is UTF-16 text", "iconv -f utf-16 -t utf-8")
    assert "latin1" not in line


def test_binary_data_read_as_text_is_named_binary(tmp_path, emb, run_cli):
    p = _write("fvecs", tmp_path / "good.fvecs")
    for fmt in ("tsv", "csv", "text"):
        line = one_line(run_cli(["info", p, "--input-format", fmt]), "good.fvecs: holds binary data (NUL bytes), not text",
                        f"drop --input-format {fmt}")
        assert "latin1" not in line and "iconv" not in line
    (tmp_path / "bin.csv").write_bytes(p.read_bytes())
    line = one_line(run_cli(["info", emb, "--labels", tmp_path / "bin.csv", "--join", "row-order"]), "labels file holds binary data")
    assert "iconv" not in line


def test_latin1_text_keeps_the_latin1_advice(tmp_path, run_cli):
    (tmp_path / "lat.csv").write_bytes("a,b\n0.5,1\n\xe9,2\n".encode("latin1"))
    one_line(run_cli(["info", tmp_path / "lat.csv"]), "is not UTF-8 text: line 3 holds the byte 0xe9", "iconv -f latin1 -t utf-8")


# --------------------------------------------------------------------------- 6. --resume with a file that is not a checkpoint


@pytest.mark.parametrize("name, words", [
    ("c.csv", ["it is text (.csv), not an .npz archive"]),
    ("good.npz", ["it is an .npz archive without the 'meta' and 'params' arrays of a checkpoint (it holds 'embeddings')"]),
    ("x.npy", ["it is a NumPy .npy array, not an .npz archive"]),
])
def test_resume_from_what_is_not_a_checkpoint(name, words, tmp_path, run_cli):
    pytest.importorskip("geoopt")
    (tmp_path / "c.csv").write_text("a,b\n1,2\n")
    np.savez(tmp_path / "good.npz", embeddings=np.zeros((5, 3)))
    np.save(tmp_path / "x.npy", np.zeros((5, 3)))
    r = run_cli(["hyperbolic", "train", dataset("smalltree"), "--coords", tmp_path / "e.npz", "--epochs", "1", "--resume", tmp_path / name])
    line = one_line(r, f"{name}: is not an embgeo training checkpoint", *words,
                    "a checkpoint is the .npz that training writes with --checkpoint FILE.npz", "give --resume a checkpoint", "drop --resume")
    for wrong in ("pickled", "allow_pickle", "('meta')"):
        assert wrong not in line, line
    assert not (tmp_path / "e.npz").exists()


def test_read_checkpoint_names_arguments_from_python(tmp_path):
    from embgeo.hyperbolic.checkpoints import read_checkpoint

    (tmp_path / "c.csv").write_text("a,b\n1,2\n")
    np.savez(tmp_path / "obj.npz", meta=np.array([{"a": 1}], dtype=object), params=np.zeros((2, 2)))
    with use_surface("python"):
        with pytest.raises(EmbgeoError) as exc:
            read_checkpoint(tmp_path / "c.csv")
        assert "checkpoint='FILE.npz'" in str(exc.value) and "--" not in str(exc.value)
        with pytest.raises(EmbgeoError, match="arrays of Python objects") as exc:
            read_checkpoint(tmp_path / "obj.npz")
