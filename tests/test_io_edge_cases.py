"""Edge cases found in review: header detection, BOMs, id columns, malformed containers,
closure CSVs given to the tree commands."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

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
