"""Input that the loaders used to read by guessing: decimal commas, row-index columns, empty
columns, missing ids, mismatched HDF5 ids, misleading "which one?" messages, ignored ``:KEY`` /
``--id-col`` and numbers Python reads but a data file does not write (``1_000``, ``６``).

Each must be refused with exit code 2 and one line naming the file and where in it; the files
next to them that are fine must still load with the right shape."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.io import load

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ROOT / "datasets" / "data" / "sentences" / "sentences.npy"


def refused(run_cli, argv, *fragments):
    """``embgeo info ARGV`` exits 2 with one line that names the file and every fragment."""
    res = run_cli(["info", *argv])
    assert res.code == 2, (res.code, res.stdout, res.stderr)
    err = res.stderr.strip()
    assert err.startswith("embgeo: error:") and "\n" not in err and "Traceback" not in res.stderr, err
    name = Path(str(argv[0])).name.split(":")[0]
    assert name in err, err
    for frag in fragments:
        assert frag in err, (frag, err)
    assert res.stdout == ""
    return err


def info(run_cli, argv) -> dict:
    res = run_cli(["info", *argv, "-f", "json"])
    assert res.code == 0, res.stderr
    return json.loads(res.stdout)["results"]["files"][0]


# ---------------------------------------------------------------- decimal commas

def test_decimal_comma_tsv_is_refused_not_read_as_labels(tmp_path, run_cli):
    p = tmp_path / "t.tsv"
    p.write_text("n\ta\tb\n1\t0,5\t0,25\n2\t0,75\t0,125\n3\t0,1\t0,2\n")
    err = refused(run_cli, [p], "line 2", "column 'a'", "'0,5'", "decimal comma", "decimal=','")
    with pytest.raises(EmbgeoError, match="column 'a'"):
        load(p)
    assert "t.tsv" in err


def test_decimal_comma_in_quoted_csv_cells_and_headerless_tsv(tmp_path, run_cli):
    (tmp_path / "q.csv").write_text('id,a,b\nx,"0,5","0,25"\ny,"0,75","0,125"\n')
    refused(run_cli, [tmp_path / "q.csv"], "column 'a'", "'0,5'", "decimal comma")
    (tmp_path / "h.tsv").write_text("0,5\t0,25\n0,75\t0,125\n")
    refused(run_cli, [tmp_path / "h.tsv"], "column 'c0'", "line 1", "'0,5'")
    (tmp_path / "k.csv").write_text('a,b\n"1,000",0.5\n"2,500",0.25\n')  # thousands separators
    refused(run_cli, [tmp_path / "k.csv"], "column 'a'", "'1,000'")


def test_one_decimal_comma_in_a_numeric_column_names_the_cell(tmp_path, run_cli):
    (tmp_path / "m.csv").write_text('a,b\n1,0.5\n"0,5",0.7\n3,0.1\n')
    refused(run_cli, [tmp_path / "m.csv"], "line 3", "column 'a'", "'0,5'", "comma")


def test_no_numeric_columns_lists_the_columns_and_the_fix(tmp_path, run_cli):
    (tmp_path / "w.csv").write_text("id,name,colour\n1,fox,red\n2,owl,brown\n")
    refused(run_cli, [tmp_path / "w.csv"], "no numeric columns", "'name' (text, e.g. 'fox')", "'colour'", "'id' (ids", "--input-format")


def test_a_text_column_with_commas_stays_a_label_column(tmp_path):
    (tmp_path / "l.csv").write_text('who,a,b\n"Smith, J",0.5,0.25\n"Doe, A",0.75,0.125\n')
    es = load(tmp_path / "l.csv")
    assert es.matrix.shape == (2, 2) and es.attributes["who"].tolist() == ["Smith, J", "Doe, A"]


# ---------------------------------------------------------------- row-index columns

@pytest.mark.parametrize("name", ["Unnamed: 0", "index", "ID"])
def test_an_index_column_is_never_a_dimension(tmp_path, run_cli, name):
    p = tmp_path / "u.csv"
    p.write_text(f"{name},a,b\n0,0.5,0.1\n1,0.2,0.3\n2,0.4,0.6\n")
    refused(run_cli, [p], f"column '{name}'", "row index", f"--id-col '{name}'")
    doc = info(run_cli, [p, "--id-col", name])  # the fix works
    assert doc["n_rows"] == 3 and doc["n_dims"] == 2 and doc["has_ids"] is True


def test_an_unnamed_index_beside_another_id_column_is_dropped(tmp_path, run_cli):
    """``df.to_csv()`` of a frame with an ``id`` column: pandas' index (empty name, unique integers) is its old row labels."""
    p = tmp_path / "e.csv"
    p.write_text(",id,a,b\n0,x,0.5,0.1\n1,y,0.2,0.3\n2,z,0.4,0.6\n")
    for extra in ([], ["--id-col", "id"]):
        doc = info(run_cli, [p, *extra])
        assert doc["n_rows"] == 3 and doc["n_dims"] == 2 and doc["has_ids"] and doc["label_columns"] == []
    # an unnamed integer column that is not pandas' index (repeated values) is still refused, never a dimension
    q = tmp_path / "r.csv"
    q.write_text(",id,a,b\n" + "".join(f"{i % 3},x{i},0.{i}5,0.{i}1\n" for i in range(8)))
    refused(run_cli, [q, "--id-col", "id"], "column 1 (no name in the header)", "drop the column")


def test_ordinary_integer_columns_stay_dimensions(tmp_path, run_cli):
    (tmp_path / "n.csv").write_text("n,a,b\n0,0.5,0.1\n1,0.2,0.3\n2,0.4,0.6\n")
    doc = info(run_cli, [tmp_path / "n.csv"])
    assert doc["n_rows"] == 3 and doc["n_dims"] == 3
    # pandas' unnamed index with no other id column is still the ids (documented)
    (tmp_path / "p.csv").write_text(",a,b\n0,0.5,0.1\n1,0.2,0.3\n")
    es = load(tmp_path / "p.csv")
    assert es.matrix.shape == (2, 2) and es.ids.tolist() == ["0", "1"]


# ---------------------------------------------------------------- empty columns and ids

def test_an_empty_column_is_refused(tmp_path, run_cli):
    (tmp_path / "em.csv").write_text("a,b,c\n1,,0.1\n2,NA,0.3\n")
    refused(run_cli, [tmp_path / "em.csv"], "column 'b'", "no value in any row")
    (tmp_path / "tr.csv").write_text("a,b,\n1,2,\n3,4,\n")
    refused(run_cli, [tmp_path / "tr.csv"], "column 3 (no name in the header)", "end of every line")


def test_an_empty_id_cell_is_refused(tmp_path, run_cli):
    (tmp_path / "eid.csv").write_text("id,a,b\nx,1,2\n,3,4\n")
    refused(run_cli, [tmp_path / "eid.csv"], "line 3", "column 'id'", "the id is empty")
    refused(run_cli, [tmp_path / "eid.csv", "--id-col", "id"], "line 3", "the id is empty")


def test_missing_ids_in_containers_are_refused(tmp_path, run_cli):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["a", None, "c"], "a": [1.0, 2.0, 3.0], "b": [3.0, 4.0, 5.0]}), tmp_path / "n.parquet")
    refused(run_cli, [tmp_path / "n.parquet"], "column 'id', row 1", "missing (null)")
    np.savez(tmp_path / "e.npz", emb=np.ones((2, 2)), ids=np.array(["a", ""]))
    refused(run_cli, [tmp_path / "e.npz"], "array 'ids', row 1", "empty")
    # float ids are left as they are
    pq.write_table(pa.table({"id": [1.5, 2.5], "a": [1.0, 2.0], "b": [3.0, 4.0]}), tmp_path / "f.parquet")
    es = load(tmp_path / "f.parquet")
    assert es.matrix.shape == (2, 2) and es.ids.tolist() == ["1.5", "2.5"]


def test_hdf5_ids_of_the_wrong_length_are_an_error_like_npz(tmp_path, run_cli):
    import h5py

    X = np.ones((50, 4), np.float32)
    with h5py.File(tmp_path / "ids.h5", "w") as f:
        f["emb"] = X
        f["ids"] = np.arange(40)
    refused(run_cli, [tmp_path / "ids.h5"], "'/ids' has shape (40,)", "50 rows")
    np.savez(tmp_path / "ids.npz", emb=X, ids=np.arange(40))
    refused(run_cli, [tmp_path / "ids.npz"], "'ids' has shape (40,)", "50 rows")
    with h5py.File(tmp_path / "good.h5", "w") as f:
        f["emb"] = X
        f["ids"] = np.arange(50)
    es = load(tmp_path / "good.h5")
    assert es.matrix.shape == (50, 4) and es.ids[49] == "49"


# ---------------------------------------------------------------- "which one?" messages

def _safetensors(path, tensors: dict):
    header, data, off = {}, b"", 0
    for k, a in tensors.items():
        raw = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    h = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(h)) + h + data)


def test_containers_with_nothing_usable_say_so(tmp_path, run_cli):
    import h5py

    _safetensors(tmp_path / "one.safetensors", {"emb": np.ones(10)})
    err = refused(run_cli, [tmp_path / "one.safetensors"], "holds no 2-D numeric tensor", "emb 1-D float32")
    assert "several" not in err
    with h5py.File(tmp_path / "scalar.h5", "w") as f:
        f["emb"] = 3.0
    refused(run_cli, [tmp_path / "scalar.h5"], "holds no 2-D numeric dataset", "/emb scalar float64")
    with h5py.File(tmp_path / "str.h5", "w") as f:
        f["emb"] = "hello"
    refused(run_cli, [tmp_path / "str.h5"], "/emb scalar string")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["emb"] = np.ones((3, 2))
    with h5py.File(tmp_path / "ext.h5", "w") as f:
        f["emb"] = h5py.ExternalLink("other.h5", "/emb")
    refused(run_cli, [tmp_path / "ext.h5"], "external link to other.h5:/emb", "reads only the file itself")
    with h5py.File(tmp_path / "grp.h5", "w") as f:
        f.create_group("g")
    refused(run_cli, [tmp_path / "grp.h5"], "/g (group)")
    np.savez(tmp_path / "onlyids.npz", ids=np.array(["a", "b"]))
    refused(run_cli, [tmp_path / "onlyids.npz"], "holds only id arrays (ids)")


def test_several_candidates_still_ask_which_one(tmp_path, run_cli):
    import h5py

    _safetensors(tmp_path / "two.safetensors", {"a": np.ones((3, 2)), "b": np.ones((3, 2)), "bias": np.ones(2)})
    refused(run_cli, [tmp_path / "two.safetensors"], "several 2-D tensors (a, b)", "FILE.safetensors:a")
    with h5py.File(tmp_path / "two.h5", "w") as f:
        f["a"] = np.ones((3, 2))
        f["b"] = np.ones((3, 2))
        f["s"] = 1.0
    refused(run_cli, [tmp_path / "two.h5"], "several 2-D numeric datasets (/a, /b)")
    assert load(f"{tmp_path / 'two.h5'}:/b").matrix.shape == (3, 2)


# ---------------------------------------------------------------- :KEY and --id-col

def test_key_on_a_one_matrix_format_is_refused(tmp_path, run_cli):
    (tmp_path / "ok.vec").write_text("the 1 2\nof 3 4\n")
    (tmp_path / "ok.txt").write_text("the 1 2\nof 3 4\n")
    X = np.ones((3, 2), np.float32)
    with open(tmp_path / "ok.bin", "wb") as fh:
        fh.write(b"1 2\nw " + X[0].tobytes() + b"\n")
    rows = b"".join(struct.pack("<i", 2) + r.tobytes() for r in X)
    (tmp_path / "ok.fvecs").write_bytes(rows)
    (tmp_path / "ok.bvecs").write_bytes(b"".join(struct.pack("<i", 2) + b"\x01\x02" for _ in range(3)))
    for name in ("ok.vec", "ok.txt", "ok.bin", "ok.fvecs", "ok.bvecs"):
        refused(run_cli, [f"{tmp_path / name}:x"], "holds one matrix", "got key 'x'", "drop the ':KEY' part")
        assert load(tmp_path / name).n_samples in (1, 2, 3)


def test_id_col_on_a_format_without_columns_is_refused(tmp_path, run_cli):
    np.save(tmp_path / "ok.npy", np.ones((3, 2)))
    refused(run_cli, [tmp_path / "ok.npy", "--id-col", "x"], "--id-col 'x'", "npy file has no columns", "drop --id-col")
    (tmp_path / "ok.vec").write_text("the 1 2\nof 3 4\n")
    refused(run_cli, [tmp_path / "ok.vec", "--id-col", "x"], "--id-col 'x'", "words as ids")


# ---------------------------------------------------------------- numbers Python reads but files do not write

@pytest.mark.parametrize("cell", ["1_000", "６", "1\u00a0000"])
def test_non_ascii_and_underscore_numbers_are_bad_cells(tmp_path, run_cli, cell):
    p = tmp_path / "u.csv"
    p.write_text(f"a,b\n{cell},2\n3,4\n5,6\n", encoding="utf-8")
    refused(run_cli, [p], "line 2", "column 'a'", "non-numeric value")
    es = load(p, bad_cells="nan")
    assert es.matrix.shape == (3, 2) and np.isnan(es.matrix[0, 0]) and es.matrix[1, 0] == 3


def test_underscore_numbers_in_word_vectors_and_list_cells(tmp_path, run_cli):
    (tmp_path / "u.vec").write_text("the 1_0 2\nof 3 4\n")
    refused(run_cli, [tmp_path / "u.vec"], "line 1", "non-numeric")
    (tmp_path / "l.csv").write_text('id,v\na,"[1_0, 2]"\nb,"[3, 4]"\n')
    refused(run_cli, [tmp_path / "l.csv"], "line 2", "column 'v'")
    (tmp_path / "lab.csv").write_text("a,b,tag\n1,2,1_000\n3,4,x\n")
    assert load(tmp_path / "lab.csv").attributes["tag"].tolist() == ["1_000", "x"]  # text, not the number 1000


# ---------------------------------------------------------------- files that are fine

def test_normal_files_still_load(tmp_path, run_cli):
    doc = info(run_cli, [SENTENCES])
    assert (doc["n_rows"], doc["n_dims"]) == (1640, 384)
    X = np.random.default_rng(3).standard_normal((6, 3)).round(4)
    lines = ["a,b,c,topic"] + [f"{r[0]},{r[1]},{r[2]},t{i % 2}" for i, r in enumerate(X)]
    (tmp_path / "num.csv").write_text("\n".join(lines) + "\n")
    es = load(tmp_path / "num.csv")
    assert es.matrix.shape == (6, 3) and es.attributes["topic"].tolist()[:2] == ["t0", "t1"]
    np.testing.assert_allclose(es.matrix, X, rtol=1e-6)
    lines = ["key,a,b,c"] + [f"k{i},{r[0]},{r[1]},{r[2]}" for i, r in enumerate(X)]
    (tmp_path / "ids.csv").write_text("\n".join(lines) + "\n")
    doc = info(run_cli, [tmp_path / "ids.csv", "--id-col", "key"])
    assert (doc["n_rows"], doc["n_dims"], doc["has_ids"]) == (6, 3, True)
    es = load(tmp_path / "ids.csv", id_col="key")
    assert es.ids.tolist()[:2] == ["k0", "k1"] and es.matrix.shape == (6, 3)
    (tmp_path / "plain.tsv").write_text("0.5\t0.25\n0.75\t0.125\n")
    assert load(tmp_path / "plain.tsv").matrix.shape == (2, 2)
