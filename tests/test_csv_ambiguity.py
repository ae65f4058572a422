"""CSV/TSV first rows and integer columns that used to be misread silently (exit 0), and the hints of
the word-vector readers: a run of integer column names over integer values (header or data?), pandas'
header after slicing (``8,9,…``) or with its unnamed index column (``,0,1,…``), integer columns named
like an id or holding codes beside fractions, comma-separated numbers read as word vectors, a ``.vec``
header after a blank line, Python reprs in list cells, a fastText model given as word2vec binary."""
from __future__ import annotations

import json
import struct

import numpy as np
import pandas as pd
import pytest

from embgeo.errors import EmbgeoError
from embgeo.io import load
from tests._cli import one_line


@pytest.fixture
def gen():
    return np.random.default_rng(7)


# --------------------------------------------------------------------------- 1. integer column names as the first row

@pytest.mark.parametrize("name,sep,low,high", [("int_hdr.csv", ",", -128, 128), ("codes.csv", ",", 0, 2), ("int_hdr.tsv", "\t", -128, 128)])
def test_an_integer_run_over_integer_values_is_refused(tmp_path, run_cli, gen, name, sep, low, high):
    p = tmp_path / name
    pd.DataFrame(gen.integers(low, high, (50, 7))).to_csv(p, index=False, sep=sep)  # 0 … 6: shorter than pandas' run
    line = one_line(run_cli(["info", p]), "line 1", "either a header (columns named 0 … 6", "or a data row",
                    "does not guess", "remove the line", "add a header line above it")
    assert "d0" in line
    with pytest.raises(EmbgeoError, match="either a header"):
        load(p)


@pytest.mark.parametrize("low,high", [(-128, 128), (0, 2)])
def test_pandas_default_names_over_integers_are_a_header(tmp_path, gen, low, high):
    """0 … d−1 with d ≥ 8 over integer values is pandas' header (a data row holding exactly 0, 1, …, 7 is not a reading to weigh)."""
    x = gen.integers(low, high, (50, 8))
    pd.DataFrame(x).to_csv(tmp_path / "q.csv", index=False)
    es = load(tmp_path / "q.csv")
    assert es.matrix.shape == (50, 8)
    np.testing.assert_array_equal(es.matrix, x)
    df = pd.DataFrame(x)
    df.insert(0, "word", [f"w{i}" for i in range(50)])
    df.to_csv(tmp_path / "w.csv", index=False)  # word,0,1,…,7 over integers
    assert load(tmp_path / "w.csv").matrix.shape == (50, 8)


def test_a_sliced_run_over_integers_is_refused_and_the_fixes_read(tmp_path, run_cli, gen):
    x = gen.integers(-128, 128, (50, 16))
    p = tmp_path / "s.csv"
    pd.DataFrame(x).iloc[:, 8:].to_csv(p, index=False)
    one_line(run_cli(["info", p]), "columns named 8 … 15", "or a data row", "d8")
    # the fixes: the header removed, or named with text
    (tmp_path / "noheader.csv").write_text("".join(p.read_text().splitlines(keepends=True)[1:]))
    es = load(tmp_path / "noheader.csv")
    assert es.matrix.shape == (50, 8)
    np.testing.assert_array_equal(es.matrix, x[:, 8:])
    pd.DataFrame(x).iloc[:, 8:].add_prefix("d").to_csv(tmp_path / "named.csv", index=False)
    assert load(tmp_path / "named.csv").matrix.shape == (50, 8)


def test_a_sliced_run_over_fractions_is_a_header(tmp_path, run_cli, gen):
    x = gen.normal(size=(50, 16))
    p = tmp_path / "slice_hdr.csv"
    pd.DataFrame(x).iloc[:, 8:].to_csv(p, index=False)
    es = load(p)
    assert es.matrix.shape == (50, 8) and es.provenance["columns"] == [str(i) for i in range(8, 16)]
    np.testing.assert_array_equal(es.matrix, x[:, 8:])
    res = run_cli(["info", p, "-f", "json", "-q"])
    assert res.code == 0 and '"n_rows": 50' in res.stdout and '"n_dims": 8' in res.stdout, res.stderr


@pytest.mark.parametrize("kind", ["normal", "int"])
@pytest.mark.parametrize("start", [0, 8])
def test_pandas_unnamed_index_then_a_run_is_a_header_with_ids(tmp_path, run_cli, gen, kind, start):
    x = gen.normal(size=(50, 16)) if kind == "normal" else gen.integers(-128, 128, (50, 16))
    p = tmp_path / "idx.csv"
    pd.DataFrame(x).iloc[:, start:start + 8].to_csv(p)  # ',0,1,…' (or ',8,9,…'), then the row index
    es = load(p)
    assert es.matrix.shape == (50, 8)
    assert es.ids.tolist() == [str(i) for i in range(50)]
    np.testing.assert_array_equal(es.matrix, x[:, start:start + 8])
    res = run_cli(["info", p, "-f", "json", "-q"])
    assert res.code == 0 and "empty cell" not in res.stderr, res.stderr


def test_other_integer_first_rows_are_still_data(tmp_path):
    (tmp_path / "d.csv").write_text("1,3,2\n4,5,6\n7,8,9\n")  # not a run
    assert load(tmp_path / "d.csv").matrix.shape == (3, 3)
    (tmp_path / "neg.csv").write_text("-1,0,1\n4,5,6\n")  # no column name is negative
    assert load(tmp_path / "neg.csv").matrix.shape == (2, 3)
    (tmp_path / "one.csv").write_text("3\n4\n5\n")  # a single column holds no run
    assert load(tmp_path / "one.csv").matrix.shape == (3, 1)


# --------------------------------------------------------------------------- 2. integer metadata columns

def _frame(gen, n=50):
    return pd.DataFrame(gen.normal(size=(n, 4)), columns=[f"e{i}" for i in range(4)])


@pytest.mark.parametrize("name", ["doc_id", "docID", "item-id", "user ids"])
def test_an_integer_column_named_like_an_id_is_refused(tmp_path, run_cli, gen, name):
    df = _frame(gen)
    df.insert(0, name, gen.integers(0, 10**6, 50))
    p = tmp_path / "docid.csv"
    df.to_csv(p, index=False)
    one_line(run_cli(["info", p]), f"column '{name}'", "named like an id", "not use it as an embedding dimension",
             f"--id-col '{name}'")
    es = load(p, id_col=name)  # the fix
    assert es.matrix.shape == (50, 4) and es.ids.tolist()[:2] == [str(v) for v in df[name][:2]]


def test_an_id_named_column_beside_the_id_column_names_it(tmp_path, run_cli, gen):
    df = _frame(gen)
    df.insert(0, "doc_id", gen.integers(0, 10**6, 50))
    df.insert(0, "id", [f"r{i}" for i in range(50)])
    df.to_csv(tmp_path / "two.csv", index=False)
    one_line(run_cli(["info", tmp_path / "two.csv"]), "column 'doc_id'", "the ids come from column 'id'")


@pytest.mark.parametrize("name,where", [("score", "after"), ("label", "after"), ("code", "before")])
def test_an_integer_column_beside_fractions_is_refused(tmp_path, run_cli, gen, name, where):
    df = _frame(gen)
    vals = gen.integers(0, 10 if name != "label" else 2, 50)
    vals[:2] = [3, 1]
    if where == "after":
        df[name] = vals
    else:
        df.insert(0, name, vals)
    p = tmp_path / "withint.csv"
    df.to_csv(p, index=False)
    one_line(run_cli(["info", p]), f"column '{name}' holds only integers (3, 1,", "other columns hold fractions",
             "does not guess", f"--id-col '{name}'", f"pass --attr-col '{name}' to keep it as an attribute", "write its values as floats (e.g. 3.0)")
    one_line(run_cli(["rank", p, "--attr", name]), f"column '{name}' holds only integers", f"--attr-col '{name}'")
    with pytest.raises(EmbgeoError, match=rf"attr_cols=\['{name}'\]"):
        load(p)
    # the fix for an attribute: name it; it is read as a label column, the other columns as the dimensions
    es = load(p, attr_cols=[name])
    assert es.matrix.shape == (50, 4) and list(es.attributes) == [name]
    np.testing.assert_array_equal(es.attributes[name], vals.astype(float))
    res = run_cli(["info", p, "--attr-col", name, "-f", "json"])
    assert res.code == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["inputs"][0]["dims"] == 4 and got["settings"]["attr_col"] == [name]
    assert got["results"]["files"][0]["label_columns"] == [name]
    # the fix for a dimension: the values written as floats
    df[name] = vals.astype(float)
    df.to_csv(p, index=False)
    es = load(p)
    assert es.matrix.shape == (50, 5) and es.attributes == {}


def test_quantized_constant_and_small_files_read_as_before(tmp_path, gen):
    q = pd.DataFrame(gen.integers(-128, 128, (50, 4)), columns=[f"e{i}" for i in range(4)])
    q["score"] = gen.integers(0, 10, 50)
    q.to_csv(tmp_path / "quant.csv", index=False)  # every column integer: quantized embeddings
    assert load(tmp_path / "quant.csv").matrix.shape == (50, 5)
    df = _frame(gen)
    df["flag"] = 0  # constant
    df.to_csv(tmp_path / "const.csv", index=False)
    es = load(tmp_path / "const.csv")
    assert es.matrix.shape == (50, 5) and (es.matrix[:, 4] == 0).all()
    df = _frame(gen, 10)
    df["n"] = range(3, 13)  # fewer than 20 rows: integers there are no evidence
    df.to_csv(tmp_path / "small.csv", index=False)
    assert load(tmp_path / "small.csv").matrix.shape == (10, 5)
    x = gen.normal(size=(50, 4))  # headerless: the integer column stays a dimension
    np.savetxt(tmp_path / "nohdr.csv", np.c_[x, gen.integers(0, 10, 50)], delimiter=",", fmt=["%.6f"] * 4 + ["%d"])
    assert load(tmp_path / "nohdr.csv").matrix.shape == (50, 5)


def test_a_text_label_column_is_still_an_attribute(tmp_path, gen):
    df = _frame(gen)
    df["label"] = [f"c{i % 3}" for i in range(50)]
    df.to_csv(tmp_path / "lab.csv", index=False)
    es = load(tmp_path / "lab.csv")
    assert es.matrix.shape == (50, 4) and list(es.attributes) == ["label"]


# --------------------------------------------------------------------------- 3. hints of the word-vector and list readers

def test_comma_separated_numbers_read_as_word_vectors_say_csv(tmp_path, run_cli, gen):
    p = tmp_path / "comma.txt"
    np.savetxt(p, gen.normal(size=(20, 5)), delimiter=",")
    one_line(run_cli(["info", p]), "line 1: expected a word followed by numbers", "comma-separated numbers",
             "--input-format csv")
    with pytest.raises(EmbgeoError, match="fmt='csv'"):
        load(p)
    assert load(p, fmt="csv").matrix.shape == (20, 5)


def test_a_vec_header_after_a_blank_line_is_read(tmp_path, run_cli):
    p = tmp_path / "blank.vec"
    p.write_text("\n3 2\na 0.1 0.2\nb 0.3 0.4\nc 0.5 0.6\n")
    es = load(p)
    assert es.matrix.shape == (3, 2) and es.ids.tolist() == ["a", "b", "c"] and es.provenance["variant"] == "word2vec"
    (tmp_path / "bad.vec").write_text("\n\n4 2\na 0.1 0.2\nb 0.3 0.4\n")
    one_line(run_cli(["info", tmp_path / "bad.vec"]), "header says 4 vectors", "on line 3")


@pytest.mark.parametrize("cell", ["[np.float32(0.1), np.float32(0.2)]", "[0.000e+00 1.000e+00 ... 1.998e+03 1.999e+03]"])
def test_a_python_repr_in_a_list_cell_says_so(tmp_path, run_cli, cell):
    p = tmp_path / "repr.csv"
    pd.DataFrame({"id": ["a", "b"], "v": [cell, cell]}).to_csv(p, index=False)
    one_line(run_cli(["info", p]), "non-numeric value in list", "Python repr, not numbers", ".npy", "json.dumps(v.tolist())")


def test_a_fasttext_model_given_as_word2vec_binary(tmp_path, run_cli):
    p = tmp_path / "ft.bin"
    p.write_bytes(struct.pack("<ii", 793712314, 12) + bytes(200))
    one_line(run_cli(["info", p]), "word2vec binary header", "fastText", ".vec", "save_word2vec_format", "print-word-vectors")


def test_an_integer_column_numbered_as_the_dimensions_is_a_dimension(tmp_path):
    """``e15`` holding 0/1 beside ``e0`` … ``e14`` (a binary feature) is a dimension, in CSV and parquet; ``label`` is not."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.normal(size=(40, 15)), columns=[f"e{i}" for i in range(15)])
    df["e15"] = rng.integers(0, 2, 40)
    df.to_csv(tmp_path / "b.csv", index=False)
    df.to_parquet(tmp_path / "b.parquet")
    for name in ("b.csv", "b.parquet"):
        es = load(tmp_path / name)
        assert es.matrix.shape == (40, 16), name
        np.testing.assert_allclose(es.matrix[:, 15], df["e15"].to_numpy())
    df["label"] = rng.integers(0, 3, 40)
    df.to_csv(tmp_path / "l.csv", index=False)
    with pytest.raises(EmbgeoError, match="column 'label' holds only integers"):
        load(tmp_path / "l.csv")
