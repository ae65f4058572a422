"""The bad-input corpus: each case gives one line naming the file and the problem,
exit code 2, no traceback, and leaves no output file behind."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


class NotATensor:  # a pickled instance of this must never be loaded
    def __reduce__(self):
        return (print, ("code ran",))


def _npy(p, a):
    np.save(p, a)
    return p


def make_corpus(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """name → (argv after `info`, a fragment the message must contain)."""
    import h5py
    import pyarrow as pa
    import pyarrow.parquet as pq
    import torch

    good = np.arange(12, dtype=np.float32).reshape(4, 3)
    c: dict[str, tuple[list[str], str]] = {}

    (tmp / "empty.npy").write_bytes(b"")
    c["empty file"] = ([tmp / "empty.npy"], "empty")
    raw = (_npy(tmp / "full.npy", np.ones((100, 8), np.float32))).read_bytes()
    (tmp / "trunc.npy").write_bytes(raw[: len(raw) // 2])
    c["truncated npy"] = ([tmp / "trunc.npy"], "truncated")
    np.save(tmp / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    c["pickled npy"] = ([tmp / "obj.npy"], "pickle")
    np.savez(tmp / "obj.npz", emb=np.array([[1, 2]], dtype=object))
    c["pickled npz"] = ([tmp / "obj.npz"], "pickle")
    np.savez(tmp / "two.npz", a=good, b=good)
    c["npz wrong key"] = ([f"{tmp / 'two.npz'}:nope"], "no array 'nope'")
    c["npz ambiguous"] = ([tmp / "two.npz"], "several arrays")
    np.savez(tmp / "none.npz")
    c["npz empty"] = ([tmp / "none.npz"], "none.npz")
    (tmp / "bad.npz").write_bytes(b"PK\x03\x04 not really a zip")
    c["corrupt npz"] = ([tmp / "bad.npz"], "bad.npz")
    (tmp / "ragged.csv").write_text("a,b,c\n1,2,3\n4,5\n")
    c["ragged csv"] = ([tmp / "ragged.csv"], "line 3")
    (tmp / "text.csv").write_text("a,b\n1,2\n3,x\n4,5\n5,6\n6,7\n7,8\n8,9\n9,1\n1,1\n2,2\n3,3\n")
    c["non-numeric csv value"] = ([tmp / "text.csv"], "non-numeric value 'x'")
    (tmp / "header.csv").write_text("a,b,c\n")
    c["csv header only"] = ([tmp / "header.csv"], "no data rows")
    (tmp / "words.csv").write_text("name,colour\nfox,red\nowl,brown\n")
    c["csv without numbers"] = ([tmp / "words.csv"], "no numeric columns")
    (tmp / "listrag.csv").write_text('id,v\na,"[1, 2, 3]"\nb,"[1, 2]"\n')
    c["ragged list column"] = ([tmp / "listrag.csv", "--id-col", "id"], "ragged")
    (tmp / "fine.csv").write_text("a,b\n1,2\n3,4\n")
    c["missing id column"] = ([tmp / "fine.csv", "--id-col", "key"], "no id column 'key'")
    c["file not found"] = ([tmp / "nothing.npy"], "not found")
    (tmp / "adir.npy").mkdir()
    c["directory"] = ([tmp / "adir.npy"], "directory")
    (tmp / "x.xyz").write_text("1 2 3")
    c["unknown suffix"] = ([tmp / "x.xyz"], "unknown file type")
    (tmp / "x.npy.gz").write_bytes(b"\x1f\x8b")
    c["compressed"] = ([tmp / "x.npy.gz"], "decompress")
    (tmp / "w2v.txt").write_text("5 3\nthe 1 2 3\nof 4 5 6\n")
    c["word2vec count mismatch"] = ([tmp / "w2v.txt"], "header says 5 vectors")
    (tmp / "glove.txt").write_text("the 1 2 3\nof 4 5\n")
    c["glove ragged"] = ([tmp / "glove.txt"], "line 2")
    (tmp / "glove2.txt").write_text("the 1 2 3\nof 4 five 6\n")
    c["glove non-numeric"] = ([tmp / "glove2.txt"], "line 2")
    (tmp / "w2v.bin").write_bytes(b"3 4\nthe " + np.ones(4, "<f4").tobytes() + b"\nof " + b"\x00\x01")
    c["word2vec binary truncated"] = ([tmp / "w2v.bin"], "truncated")
    (tmp / "a.fvecs").write_bytes(struct.pack("<i", 4) + np.ones(4, "<f4").tobytes() + struct.pack("<i", 4) + b"\x00" * 6)
    c["fvecs truncated"] = ([tmp / "a.fvecs"], "truncated")
    (tmp / "junk.safetensors").write_bytes(struct.pack("<Q", 10**12) + b"{}")
    c["safetensors bad header"] = ([tmp / "junk.safetensors"], "header")
    from safetensors.numpy import save_file

    save_file({"emb": good}, str(tmp / "ok.safetensors"))
    c["safetensors wrong key"] = ([f"{tmp / 'ok.safetensors'}:weights"], "no tensor 'weights'")
    with h5py.File(tmp / "a.h5", "w") as f:
        f.create_dataset("emb", data=good)
    c["hdf5 wrong path"] = ([f"{tmp / 'a.h5'}:/layers/3"], "no dataset '/layers/3'")
    (tmp / "junk.h5").write_bytes(b"not hdf5 at all" * 10)
    c["not hdf5"] = ([tmp / "junk.h5"], "HDF5")
    (tmp / "junk.parquet").write_bytes(b"PAR1 garbage")
    c["not parquet"] = ([tmp / "junk.parquet"], "parquet")
    pq.write_table(pa.table({"v": [[1.0, 2.0], [3.0, 4.0]]}), tmp / "ok.parquet")
    c["parquet wrong column"] = ([f"{tmp / 'ok.parquet'}:emb"], "no column 'emb'")
    with open(tmp / "evil.pt", "wb") as fh:
        torch.save({"x": NotATensor()}, fh)
    c["pickled object in .pt"] = ([tmp / "evil.pt"], "weights_only")
    torch.save({"note": "hello"}, tmp / "notensor.pt")
    c["pt without tensors"] = ([tmp / "notensor.pt"], "notensor.pt")
    (tmp / "junk.pt").write_bytes(b"garbage" * 20)
    c["not a torch file"] = ([tmp / "junk.pt"], "junk.pt")
    _npy(tmp / "vec.npy", np.arange(5.0))
    c["1-D array"] = ([tmp / "vec.npy"], "1-D")
    _npy(tmp / "cube.npy", np.zeros((2, 3, 4)))
    c["3-D array"] = ([tmp / "cube.npy"], "3-D")
    _npy(tmp / "str.npy", np.array([["a", "b"]]))
    c["string array"] = ([tmp / "str.npy"], "dtype")
    _npy(tmp / "good.npy", good)
    (tmp / "labels_short.csv").write_text("topic\nx\ny\n")
    c["labels row count"] = ([tmp / "good.npy", "--labels", tmp / "labels_short.csv"], "has 2 rows but the embeddings have 4")
    (tmp / "vecs.csv").write_text("id,a,b\nu,1,2\nv,3,4\nw,5,6\n")
    (tmp / "labels_dup.csv").write_text("id,topic\nu,x\nu,y\nw,z\n")
    c["labels duplicate id"] = ([tmp / "vecs.csv", "--id-col", "id", "--labels", tmp / "labels_dup.csv"], "appears twice")
    (tmp / "labels_missing.csv").write_text("id,topic\nu,x\nv,y\n")
    c["labels missing id"] = ([tmp / "vecs.csv", "--id-col", "id", "--labels", tmp / "labels_missing.csv"], "have no label row (first: 'w')")
    # issue 14: silent misreads, crashes and hangs that are now one line
    (tmp / "labels_other.csv").write_text("id,topic\na,x\nb,y\nc,z\n")
    c["labels ids match nothing"] = ([tmp / "vecs.csv", "--labels", tmp / "labels_other.csv"], "matches none of the 3 embedding ids")
    (tmp / "labels_noid.csv").write_text("topic\nx\ny\nz\n")
    c["labels without ids over ids"] = ([tmp / "vecs.csv", "--labels", tmp / "labels_noid.csv"], "no id column to join on")
    (tmp / "labels_ids.csv").write_text("id,topic\nq,x\nr,y\ns,z\nt,w\n")
    c["labels ids over no ids"] = ([tmp / "good.npy", "--labels", tmp / "labels_ids.csv"], "carry no ids")
    (tmp / "cell.csv").write_text("1,2,3\n4,five,6\n")
    c["csv bad cell"] = ([tmp / "cell.csv"], "line 2, column 'c1': non-numeric value 'five'")
    (tmp / "empty_cell.csv").write_text("a,b,c\n1,2,3\n4,,6\n7,8,9\n")
    c["csv empty cell"] = ([tmp / "empty_cell.csv"], "line 3, column 'b': an empty cell")
    (tmp / "semi.csv").write_text("0,1;0,2;0,3\n0,4;0,5;0,6\n")
    c["csv decimal commas"] = ([tmp / "semi.csv"], "';'-separated")
    (tmp / "huge.csv").write_text("a,b\n1e400,1\n2,3\n")
    c["csv beyond float64"] = ([tmp / "huge.csv"], "too large for float64")
    raw = (tmp / "good.npy").read_bytes()
    (tmp / "brace.npy").write_bytes(raw.replace(b"}", b" ", 1))
    c["npy header without brace"] = ([tmp / "brace.npy"], "malformed .npy header")
    (tmp / "short_shape.npy").write_bytes(raw.replace(b"(4, 3)", b"(4, 1)", 1))
    c["npy shape smaller than data"] = ([tmp / "short_shape.npy"], "more than its header's shape declares")
    import zipfile

    np.savez(tmp / "crc.npz", embeddings=good)
    data = bytearray((tmp / "crc.npz").read_bytes())
    data[-200] ^= 0xFF  # inside the member's data: a CRC error on read
    (tmp / "crc.npz").write_bytes(bytes(data))
    c["npz corrupt member"] = ([tmp / "crc.npz"], "corrupt")
    with zipfile.ZipFile(tmp / "foreign.npz", "w") as z:
        z.writestr("embeddings.npy", (tmp / "good.npy").read_bytes())
        z.writestr("readme.txt", "hello")
    c["npz member not .npy"] = ([tmp / "foreign.npz"], "member 'readme.txt' is not a .npy array")
    with zipfile.ZipFile(tmp / "nomagic.npz", "w") as z:
        z.writestr("embeddings.npy", b"not an array at all")
    c["npz member without npy header"] = ([tmp / "nomagic.npz"], "is not a .npy array")
    vec = np.arange(4, dtype="<f4").tobytes()
    (tmp / "w2v_dim.bin").write_bytes(b"2 3\nthe " + vec + b"\nof " + vec + b"\n")
    c["word2vec binary wrong dimension"] = ([tmp / "w2v_dim.bin"], "does not match the data")
    (tmp / "w2v_more.bin").write_bytes(b"1 4\nthe " + vec + b"\nof " + vec + b"\n")
    c["word2vec binary extra vectors"] = ([tmp / "w2v_more.bin"], "follow the header's 1 vectors")
    for name, header, payload, frag in (
        ("overlap", {"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [2, 1], "data_offsets": [8, 16]}}, 16, "overlaps"),
        ("gap", {"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [8, 24]}}, 24, "gap of 8 bytes"),
        ("float shape", {"a": {"dtype": "F32", "shape": [2.0, 2], "data_offsets": [0, 16]}}, 16, "list of non-negative integers"),
        ("past end", {"a": {"dtype": "F32", "shape": [4, 2], "data_offsets": [0, 32]}}, 16, "the file holds 16"),
    ):
        h = __import__("json").dumps(header).encode()
        (tmp / f"st_{name.replace(' ', '_')}.safetensors").write_bytes(struct.pack("<Q", len(h)) + h + b"\0" * payload)
        c[f"safetensors {name}"] = ([tmp / f"st_{name.replace(' ', '_')}.safetensors"], frag)
    with h5py.File(tmp / "target.h5", "w") as f:
        f["emb"] = good
    with h5py.File(tmp / "extlink.h5", "w") as f:
        f["emb"] = h5py.ExternalLink(str(tmp / "target.h5"), "/emb")
    c["hdf5 external link"] = ([f"{tmp / 'extlink.h5'}:/emb"], "external link")
    with h5py.File(tmp / "virtual.h5", "w") as f:
        layout = h5py.VirtualLayout(shape=(4, 3), dtype="f4")
        layout[:] = h5py.VirtualSource(str(tmp / "target.h5"), "emb", shape=(4, 3))
        f.create_virtual_dataset("emb", layout)
    c["hdf5 virtual dataset"] = ([tmp / "virtual.h5"], "virtual dataset")
    with h5py.File(tmp / "declared.h5", "w") as f:
        f.create_dataset("emb", shape=(2**31, 4096), dtype="f4", chunks=(1024, 64), compression="gzip")
    c["hdf5 declares 32 TB"] = ([tmp / "declared.h5"], "stores only")
    return c


def test_corpus_is_large_enough(tmp_path):
    assert len(make_corpus(tmp_path)) >= 25


def test_every_bad_input_fails_cleanly(tmp_path, run_cli):
    corpus = make_corpus(tmp_path)
    for name, (argv, fragment) in corpus.items():
        out = tmp_path / f"out-{abs(hash(name))}.json"
        res = run_cli(["info", *argv, "--out", out])
        assert res.code == 2, (name, res.code, res.stderr)
        err = res.stderr.strip()
        assert err.startswith("embgeo: error:"), (name, err)
        assert "\n" not in err, (name, err)
        assert "Traceback" not in res.stderr, name
        assert fragment.lower() in err.lower(), (name, err)
        file_arg = Path(str(argv[0]).split(":")[0]) if ":" in str(argv[0])[2:] else Path(str(argv[0]))
        named = [a for a in argv if isinstance(a, Path)]
        assert any(p.name in err for p in named + [file_arg]), (name, err)
        assert not out.exists(), name
        assert res.stdout == "", name  # nothing printed (a pickle payload would print "code ran")


def test_errors_in_a_subprocess_have_no_traceback(tmp_path):
    """The real console script: exit code 2 and one line on stderr."""
    import subprocess
    import sys

    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3\n")
    proc = subprocess.run([sys.executable, "-m", "embgeo", "info", str(tmp_path / "bad.csv")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "bad.csv" in proc.stderr and "Traceback" not in proc.stderr
