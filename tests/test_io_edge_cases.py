"""Edge cases found in review: header detection, BOMs, id columns, malformed containers,
closure CSVs given to the tree commands."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.io import EmbeddingSet, join_labels, load

X = np.random.default_rng(11).standard_normal((20, 4)).astype(np.float32)


def _rows(x, ids=None, sep=","):
    return [sep.join(([ids[i]] if ids is not None else []) + [f"{v:.9g}" for v in r]) for i, r in enumerate(x)]


def test_headerless_csv_with_an_id_column_keeps_every_row(tmp_path):
    ids = [f"w{i}" for i in range(20)]
    (tmp_path / "a.csv").write_text("\n".join(_rows(X, ids)) + "\n")
    es = load(tmp_path / "a.csv")
    assert es.n_samples == 20  # the first row is data, not a header
    np.testing.assert_array_equal(es.matrix, X)


def test_pandas_default_header_and_index(tmp_path):
    (tmp_path / "noindex.csv").write_text("0,1,2,3\n" + "\n".join(_rows(X)) + "\n")
    es = load(tmp_path / "noindex.csv")
    assert es.n_samples == 20 and es.n_features == 4
    np.testing.assert_array_equal(es.matrix, X)
    (tmp_path / "index.csv").write_text(",0,1,2,3\n" + "\n".join(_rows(X, [str(i) for i in range(20)])) + "\n")
    es = load(tmp_path / "index.csv")
    assert es.n_features == 4 and es.ids[5] == "5"  # the index column is ids, not a dimension


def test_id_column_is_used_as_ids(tmp_path):
    (tmp_path / "a.csv").write_text("id,a,b,c,d\n" + "\n".join(_rows(X, [str(1000 + i) for i in range(20)])) + "\n")
    es = load(tmp_path / "a.csv")
    assert es.n_features == 4 and es.ids[0] == "1000"


def test_byte_order_marks(tmp_path):
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + ("\n".join(_rows(X)) + "\n").encode())
    assert load(tmp_path / "bom.csv").n_samples == 20
    (tmp_path / "w.txt").write_bytes(b"\xef\xbb\xbf2 3\nthe 1 2 3\nof\t4\t5\t6\n")
    es = load(tmp_path / "w.txt")
    assert es.ids.tolist() == ["the", "of"] and es.matrix.shape == (2, 3)
    # a labels file with a BOM still joins by id (not silently by row order)
    shuffled = np.random.default_rng(0).permutation(3)
    e = EmbeddingSet(np.zeros((3, 2)), ids=np.array(["a", "b", "c"]))
    lines = ["id,score"] + [f"{'abc'[i]},{i}" for i in shuffled]
    (tmp_path / "l.csv").write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode())
    out = join_labels(e, tmp_path / "l.csv")
    assert out.attributes["score"].tolist() == [0.0, 1.0, 2.0] and out.provenance["labels_join"] == "id"


def test_embeddings_with_ids_never_join_by_row_order_unless_asked(tmp_path, run_cli):
    (tmp_path / "w.txt").write_text("the 1 2\nof 3 4\nand 5 6\n")
    (tmp_path / "l.csv").write_text("score\n1\n2\n3\n")
    res = run_cli(["info", tmp_path / "w.txt", "--labels", tmp_path / "l.csv", "-f", "json"])
    assert res.code == 2 and "no id column to join on but the embeddings carry ids" in res.stderr and res.stderr.count("\n") == 1
    res = run_cli(["info", tmp_path / "w.txt", "--labels", tmp_path / "l.csv", "--join", "row-order", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["results"]["files"][0]["label_columns"] == ["score"]


def test_labels_with_a_repeated_column_name(tmp_path):
    (tmp_path / "l.csv").write_text("id,score,score\na,1,2\n")
    with pytest.raises(Exception, match="twice"):
        join_labels(EmbeddingSet(np.zeros((1, 2)), ids=np.array(["a"])), tmp_path / "l.csv")


def _safetensors(path, header: object, payload: bytes = b"\x00" * 16):
    h = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(h)) + h + payload)


@pytest.mark.parametrize("header", [[1, 2], {"a": 1}, {"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [-16, 0]}}])
def test_malformed_containers_fail_cleanly(tmp_path, run_cli, header):
    _safetensors(tmp_path / "bad.safetensors", header)
    res = run_cli(["info", tmp_path / "bad.safetensors"])
    assert res.code == 2 and res.stderr.startswith("embgeo: error:") and "Traceback" not in res.stderr


def test_zero_d_arrays_fail_cleanly(tmp_path, run_cli):
    np.save(tmp_path / "z.npy", np.float32(1))
    np.savez(tmp_path / "z.npz", a=np.float32(1))
    for f in ("z.npy", "z.npz"):
        res = run_cli(["info", tmp_path / f])
        assert res.code == 2 and "0-D" in res.stderr, res.stderr


def test_tree_commands_reduce_a_closure(run_cli):
    from embgeo.datasets import path

    res = run_cli(["hyperbolic", "delta", path("mammals"), "-f", "json"])
    assert res.code == 0 and "transitive reduction" in res.stderr
    doc = json.loads(res.stdout)
    assert doc["results"]["diameter"] == 16 and doc["results"]["delta"] == 0  # the mammal tree, not the flat closure (diameter 2)


def test_cosine_id_equals_euclidean_on_unit_rows():
    """On unit-norm rows cosine and euclidean neighbours coincide, so must every ratio estimator."""
    from embgeo.datasets.synthetic import sphere
    from embgeo.intrinsic.estimators import mle_dimension, twonn_dimension

    x = sphere(1500, 8, seed=3)
    for fn in (twonn_dimension, mle_dimension):
        e = fn(x, metric="euclidean", seed=0)
        c = fn(x, metric="cosine", seed=0)
        np.testing.assert_allclose(c.dimension, e.dimension, rtol=1e-6)
        assert 5.5 < e.dimension < 8.5  # S^7: intrinsic dimension 7


def test_output_suffixes_are_checked_before_any_work(tmp_path, run_cli):
    np.save(tmp_path / "x.npy", X)
    res = run_cli(["uniformity", tmp_path / "x.npy", "--plot", tmp_path / "p.pdf", "--out", tmp_path / "r.json"])
    assert res.code == 2 and "use .png or .svg" in res.stderr and not (tmp_path / "r.json").exists()
    res = run_cli(["uniformity", tmp_path / "x.npy", "--out", tmp_path / "r.xlsx"])
    assert res.code == 2 and "unknown output suffix" in res.stderr and not (tmp_path / "r.xlsx").exists()
    (tmp_path / "g.npy").write_text("not numpy at all")
    res = run_cli(["info", tmp_path / "g.npy"])
    assert res.code == 2 and "not a .npy file" in res.stderr


def test_rank_transform_fits_a_heavy_tailed_attribute():
    """A planted axis seen through exp(·) (heavy tail): the rank transform recovers the order."""
    from embgeo.rank.core import rank_axes

    rng = np.random.default_rng(5)
    u = rng.standard_normal(32)
    u /= np.linalg.norm(u)
    a = rng.standard_normal(400)
    x = a[:, None] * u + 0.3 * rng.standard_normal((400, 32))
    y = np.exp(8 * a)  # monotone in a, spanning many orders of magnitude
    kw = dict(methods=("regression",), n_bootstrap=0, baselines=False, seed=0)
    raw = rank_axes(x, y, transform="none", **kw).methods["regression"].spearman
    ranked = rank_axes(x, y, transform="rank", **kw).methods["regression"].spearman
    assert ranked > 0.9 and ranked > raw
    # with the rank transform only the order of the attribute matters: any monotone map gives the same fit
    same = rank_axes(x, a, transform="rank", **kw).methods["regression"].spearman
    assert same == ranked


def test_chunked_containers_are_read_block_by_block(tmp_path, monkeypatch):
    """Parquet and chunked HDF5 above the spill size are written block by block into a temporary
    memory map (peak memory ≈ one block) with the same values, and leave no file behind."""
    import glob
    import tempfile

    import h5py
    import pyarrow as pa
    import pyarrow.parquet as pq

    from embgeo.io import columnar as readers
    from embgeo.validation import scan_rows, take_rows

    monkeypatch.setattr(readers, "SPILL_BYTES", 0)
    monkeypatch.setattr(readers, "READ_BLOCK_ROWS", 7)
    monkeypatch.setattr(readers, "PARQUET_BATCH_ROWS", 7)
    x = np.random.default_rng(8).standard_normal((50, 6)).astype(np.float32)
    ids = [f"r{i}" for i in range(50)]
    pq.write_table(pa.table({"id": ids, "emb": pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), 6), "tag": [i % 3 for i in range(50)]}), tmp_path / "f.parquet", row_group_size=9)
    pq.write_table(pa.table({"emb": [list(map(float, r)) for r in x]}, schema=pa.schema([("emb", pa.list_(pa.float32()))])), tmp_path / "l.parquet", row_group_size=9)
    pq.write_table(pa.table({f"d{j}": x[:, j] for j in range(6)}), tmp_path / "c.parquet", row_group_size=9)
    with h5py.File(tmp_path / "c.h5", "w") as f:
        f.create_dataset("emb", data=x, chunks=(4, 6), compression="gzip")
    before = set(glob.glob(tempfile.gettempdir() + "/embgeo-*.npy"))
    for spec in ("f.parquet", "l.parquet", "c.parquet", "c.h5"):
        es = load(tmp_path / spec, id_col="id" if spec == "f.parquet" else None)
        assert isinstance(es.matrix, np.memmap), spec
        np.testing.assert_array_equal(es.matrix, x, err_msg=spec)
        np.testing.assert_array_equal(take_rows(es.matrix, np.array([1, 2, 40])), x[[1, 2, 40]])
        assert scan_rows(es.matrix).n_rows == 50
    es = load(tmp_path / "f.parquet", id_col="id")
    assert es.ids[3] == "r3" and es.attributes["tag"][4] == 1.0
    assert set(glob.glob(tempfile.gettempdir() + "/embgeo-*.npy")) == before  # nothing left on disk
    rag = [list(map(float, r)) for r in x]
    rag[20] = rag[20][:5]
    pq.write_table(pa.table({"emb": rag}), tmp_path / "rag.parquet", row_group_size=9)
    with pytest.raises(Exception, match="row 20 has 5 values"):
        load(tmp_path / "rag.parquet")


def test_npz_ids_of_the_wrong_length_are_an_error(tmp_path):
    from embgeo.errors import EmbgeoError
    from embgeo.io import load

    np.savez(tmp_path / "m.npz", embeddings=np.zeros((5, 3)), ids=np.array(["a", "b", "c"]))
    with pytest.raises(EmbgeoError, match="array 'ids' has shape"):
        load(str(tmp_path / "m.npz"))


# ---------------------------------------------------------------- issue 14: inputs you can trust

def _csv(path, rows, header=None):
    lines = ([",".join(header)] if header else []) + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_numeric_column_with_bad_cells_is_an_error_not_a_label_column(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1000, 4))
    rows = [[f"{v:.6f}" for v in r] for r in x]
    rows[500][2] = "oops"
    with pytest.raises(EmbgeoError, match="line 501, column 'c2': non-numeric value 'oops'"):
        load(_csv(tmp_path / "a.csv", rows))
    rows[500][2] = ""
    with pytest.raises(EmbgeoError, match="line 501, column 'c2': an empty cell"):
        load(_csv(tmp_path / "b.csv", rows))
    es = load(tmp_path / "b.csv", bad_cells="nan")  # asked for: NaN, then the usual NaN handling
    assert es.matrix.shape == (1000, 4) and np.isnan(es.matrix[500, 2]) and np.isfinite(np.delete(es.matrix, 500, 0)).all()
    # a clearly-text column stays a label column, and the dims are all there
    lab = [[f"w{i}"] + r for i, r in enumerate(rows[:10])]
    lab[4][3] = "0.5"
    es = load(_csv(tmp_path / "c.csv", lab, ["word", "a", "b", "c", "d"]), bad_cells="nan")
    assert es.matrix.shape == (10, 4) and es.attributes["word"][0] == "w0"


def test_header_sniffing(tmp_path):
    # a first row with NA / empty cells is data, not a header
    with pytest.raises(EmbgeoError, match="line 1, column 'c0'"):
        load(_csv(tmp_path / "na.csv", [["NA", "0.5", "0.25"], ["0.1", "0.2", "0.3"]]))
    es = load(tmp_path / "na.csv", bad_cells="nan")
    assert es.matrix.shape == (2, 3) and np.isnan(es.matrix[0, 0])
    # a header 1,2,3 over non-integer data is a header; over integer data it could be data: refused
    es = load(_csv(tmp_path / "h.csv", [["1", "2", "3"], ["0.5", "0.25", "0.125"], ["1.5", "2.5", "3.5"]]))
    assert es.matrix.shape == (2, 3) and es.provenance["columns"] == ["1", "2", "3"]
    with pytest.raises(EmbgeoError, match="either a header .* or a data row"):
        load(_csv(tmp_path / "d.csv", [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]]))
    es = load(_csv(tmp_path / "d2.csv", [["1", "3", "2"], ["4", "5", "6"], ["7", "8", "9"]]))  # no run: data
    np.testing.assert_array_equal(es.matrix, [[1, 3, 2], [4, 5, 6], [7, 8, 9]])
    # a ';'-separated file with decimal commas is refused, never read as 2 dims
    (tmp_path / "eu.csv").write_text("0,1;0,2;0,3\n0,4;0,5;0,6\n1,0;2,0;3,0\n")
    with pytest.raises(EmbgeoError, match="';'-separated"):
        load(tmp_path / "eu.csv")


def test_text_numbers_are_checked_on_conversion_to_float32(tmp_path):
    es = load(_csv(tmp_path / "big.csv", [["1e39", "1"], ["2", "3"]], ["a", "b"]))
    assert es.matrix.dtype == np.float64 and es.matrix[0, 0] == 1e39
    es = load(_csv(tmp_path / "tiny.csv", [["1e-46", "1"], ["2", "3"]], ["a", "b"]))
    assert es.matrix.dtype == np.float64 and es.matrix[0, 0] == 1e-46
    es = load(_csv(tmp_path / "ok.csv", [["0.5", "1"], ["2", "3"]], ["a", "b"]))
    assert es.matrix.dtype == np.float32
    (tmp_path / "g.txt").write_text("the 1e39 1\nof 2 3\n")
    es = load(tmp_path / "g.txt")
    assert es.matrix.dtype == np.float64 and es.matrix[0, 0] == 1e39
    with pytest.raises(EmbgeoError, match="too large for float64"):
        load(_csv(tmp_path / "inf.csv", [["1e400", "1"], ["2", "3"]], ["a", "b"]))
    assert np.isinf(load(_csv(tmp_path / "lit.csv", [["inf", "1"], ["2", "3"]], ["a", "b"])).matrix[0, 0])  # written as inf


def test_wide_and_long_fields(tmp_path):
    import time

    rng = np.random.default_rng(2)
    y = rng.standard_normal((3, 100_000)).astype(np.float32)
    (tmp_path / "wide.csv").write_text("\n".join(",".join(f"{v:.7g}" for v in r) for r in y) + "\n")
    t0 = time.perf_counter()
    es = load(tmp_path / "wide.csv")
    assert time.perf_counter() - t0 < 20  # linear in columns (it was > 60 s)
    assert es.matrix.shape == (3, 100_000)
    np.testing.assert_allclose(es.matrix, y, rtol=1e-6)
    z = rng.standard_normal((3, 40_000)).astype(np.float32)
    (tmp_path / "list.csv").write_text("id,vec\n" + "\n".join(f'r{i},"[{", ".join(f"{v:.9g}" for v in r)}]"' for i, r in enumerate(z)) + "\n")
    es = load(tmp_path / "list.csv")
    assert es.matrix.shape == (3, 40_000) and es.ids.tolist() == ["r0", "r1", "r2"]
    np.testing.assert_array_equal(es.matrix, z)
    (tmp_path / "field.csv").write_text("label,a\n" + "x" * 200_000 + ",1\ny,2\n")
    es = load(tmp_path / "field.csv")
    assert es.matrix.shape == (2, 1) and len(es.attributes["label"][0]) == 200_000


def test_integer_id_columns_are_ids_in_every_container(tmp_path):
    import h5py
    import pyarrow as pa
    import pyarrow.parquet as pq

    x = np.random.default_rng(4).standard_normal((6, 3)).astype(np.float32)
    ids = np.arange(100, 106)
    _csv(tmp_path / "a.csv", [[str(i)] + [f"{v:.9g}" for v in r] for i, r in zip(ids, x)], ["id", "a", "b", "c"])
    pq.write_table(pa.table({"id": ids, **{f"d{j}": x[:, j] for j in range(3)}}), tmp_path / "a.parquet")
    np.savez(tmp_path / "a.npz", id=ids, embeddings=x)
    np.savez(tmp_path / "b.npz", x, id=ids)
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f["id"] = ids
        f["emb"] = x
    for name in ("a.csv", "a.parquet", "a.npz", "b.npz", "a.h5"):
        es = load(tmp_path / name)
        assert es.matrix.shape == (6, 3), name
        np.testing.assert_array_equal(es.matrix, x, err_msg=name)
        assert es.ids.tolist() == [str(i) for i in ids], name


def test_contiguous_hdf5_is_mapped_only_from_the_file_itself(tmp_path):
    import h5py

    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    (tmp_path / "raw.bin").write_bytes(x.tobytes())
    with h5py.File(tmp_path / "ext.h5", "w") as f:
        f.create_dataset("emb", shape=(4, 3), dtype="f4", external=[(str(tmp_path / "raw.bin"), 0, x.nbytes)])
    with pytest.raises(EmbgeoError, match="external files"):
        load(tmp_path / "ext.h5")


def test_word2vec_binary_header_must_match_the_data(tmp_path):
    vec = lambda v: np.full(3, v, dtype="<f4").tobytes()  # noqa: E731
    (tmp_path / "ok.bin").write_bytes(b"2 3\nthe " + vec(1) + b"\nof " + vec(2) + b"\n")
    es = load(tmp_path / "ok.bin")
    assert es.ids.tolist() == ["the", "of"] and es.matrix.tolist() == [[1, 1, 1], [2, 2, 2]]
    (tmp_path / "nonl.bin").write_bytes(b"2 3\nthe " + vec(1) + b"of " + vec(2))  # gensim writes no newline
    assert load(tmp_path / "nonl.bin").ids.tolist() == ["the", "of"]
    (tmp_path / "d.bin").write_bytes(b"2 2\nthe " + vec(1) + b"\nof " + vec(2) + b"\n")
    with pytest.raises(EmbgeoError, match="does not match the data"):
        load(tmp_path / "d.bin")


def test_overflowing_values_are_rescaled_exactly():
    """float64 ×1e200: squared norms overflow; as_matrix rescales by a power of two, so the
    normalised uniformity equals the unscaled one (it was −4.0 instead of ≈ −3.5 here)."""
    import embgeo as eg
    from embgeo.validation import as_matrix, scale_exponent

    x = np.random.default_rng(5).standard_normal((300, 8))
    ref = eg.uniformity(x).uniformity
    for factor in (1e200, 1e-200):
        assert scale_exponent(x * factor) != 0
        assert eg.uniformity(x * factor).uniformity == pytest.approx(ref, rel=1e-9)
    big = as_matrix(x * 1e200)
    k = scale_exponent(x * 1e200)
    np.testing.assert_array_equal(big, np.ldexp(x * 1e200, k))  # a power of two: exact
    assert scale_exponent(x) == 0 and as_matrix(x) is x or np.shares_memory(as_matrix(x), x)
    with pytest.raises(EmbgeoError, match="overflow"):
        as_matrix(x * 1e200, rescale=False)
    f32 = (x * 1e18).astype(np.float32)
    assert np.isfinite(as_matrix(f32).astype(np.float64) ** 2).all()


def test_writes_fail_in_one_line_and_leave_nothing(tmp_path, monkeypatch, run_cli):
    import errno
    import os

    from embgeo.io import writers

    target = tmp_path / "out.csv"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    writers.write_text(target, "new\n")
    assert target.read_text() == "new\n" and (os.stat(target).st_mode & 0o777) == 0o640  # permissions kept

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers.os, "replace", full)
    with pytest.raises(EmbgeoError, match="no space left on the device"):
        writers.write_text(target, "newer\n")
    assert target.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    monkeypatch.undo()

    def interrupted(self, *a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(target), "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writers.write_text(tmp_path / "new.txt", "x")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no partial file, no temporary

    def readonly(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    np.save(tmp_path / "x.npy", np.eye(3, dtype=np.float32))
    monkeypatch.setattr(writers.tempfile, "mkstemp", readonly)
    res = run_cli(["info", tmp_path / "x.npy", "--out", tmp_path / "r.json"])
    assert res.code == 2 and "file system is read-only" in res.stderr and res.stderr.count("\n") == 1
    monkeypatch.undo()
    import embgeo.io

    def enospc(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "spill"))

    monkeypatch.setattr(embgeo.io, "load", enospc)
    res = run_cli(["info", tmp_path / "x.npy"])
    assert res.code == 2 and res.stderr == f"embgeo: error: {tmp_path / 'spill'}: No space left on device\n"


def test_csv_ids_are_spreadsheet_safe(tmp_path):
    from embgeo.io.writers import save_matrix

    save_matrix(tmp_path / "m.csv", np.ones((3, 1)), ids=["=HYPERLINK(1)", "-2.5", "a,b"])
    lines = (tmp_path / "m.csv").read_text().splitlines()
    assert lines[1:] == ["'=HYPERLINK(1),1.0", "-2.5,1.0", '"a,b",1.0']


def test_spill_files_are_removed_on_interrupt(tmp_path, monkeypatch):
    import glob
    import tempfile

    import h5py

    from embgeo.io import columnar

    x = np.random.default_rng(6).standard_normal((40, 4)).astype(np.float32)
    with h5py.File(tmp_path / "c.h5", "w") as f:
        f.create_dataset("emb", data=x, chunks=(4, 4), compression="gzip")
    monkeypatch.setattr(columnar, "SPILL_BYTES", 0)
    monkeypatch.setattr(columnar, "READ_BLOCK_ROWS", 8)
    before = set(glob.glob(tempfile.gettempdir() + "/embgeo-*.npy"))
    real_add, calls = columnar.Sink.add, []

    def add(self, block):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_add(self, block)

    monkeypatch.setattr(columnar.Sink, "add", add)
    with pytest.raises(KeyboardInterrupt):
        load(tmp_path / "c.h5")
    assert set(glob.glob(tempfile.gettempdir() + "/embgeo-*.npy")) == before
