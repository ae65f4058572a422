"""CSVs as pandas writes them — an index name or a text column, then the default integer column
names (``id,0,1,2,3``, ``word,0,1,2,3``) — are read with that line as the header, in bulk and row by
row alike; a first row ``w0,0,1,2`` over integer values only is refused (header or data?). Also the
hints of the duplicate-header and word-vector errors, and word-vector fields split on ASCII spaces
only (a word may be a non-breaking space)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from embgeo.errors import EmbgeoError
from embgeo.io import load
from embgeo.io import text as text_io
from tests._cli import one_line

X = np.random.default_rng(0).normal(size=(30, 4))
IDS = [f"s{i}" for i in range(30)]
WORDS = [f"w{i}" for i in range(30)]


def _frame(start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(X, columns=list(range(start, start + 4)))


@pytest.fixture
def files(tmp_path):
    """The reviewer's three files, and variants: 1 … d names, a tab separator, 6 printed digits."""
    df = _frame()
    df.index = IDS
    df.index.name = "id"
    df.to_csv(tmp_path / "pd_intcols.csv")  # id,0,1,2,3 / s0,…
    df = _frame()
    df.index.name = "id"
    df.to_csv(tmp_path / "pd_intid.csv")  # id,0,1,2,3 / 0,…
    df = _frame()
    df.insert(0, "word", WORDS)
    df.to_csv(tmp_path / "pd_word.csv", index=False)  # word,0,1,2,3 / w0,…
    df = _frame(1)
    df.index = IDS
    df.index.name = "id"
    df.to_csv(tmp_path / "pd_from1.csv")  # id,1,2,3,4
    df.to_csv(tmp_path / "pd_tab.tsv", sep="\t")
    df = _frame()
    df.index = IDS
    df.index.name = "id"
    df.to_csv(tmp_path / "pd_6.csv", float_format="%.6f")
    return tmp_path


def _info(run_cli, path) -> dict:
    res = run_cli(["info", path, "-f", "json", "-q"])
    assert res.code == 0, res.stderr
    return json.loads(res.stdout)["results"]["files"][0]


def _norm_median(x) -> float:
    return float(np.median(np.linalg.norm(x, axis=1)))


# --------------------------------------------------------------------------- pandas headers, CLI

@pytest.mark.parametrize("name,has_ids,labels", [("pd_intcols.csv", True, []), ("pd_intid.csv", True, []),
                                                 ("pd_word.csv", False, ["word"]), ("pd_from1.csv", True, []),
                                                 ("pd_tab.tsv", True, [])])
def test_cli_reads_line_1_as_the_header(files, run_cli, name, has_ids, labels):
    info = _info(run_cli, files / name)
    assert info["n_rows"] == 30 and info["n_dims"] == 4  # not 31 rows: the header is no data row
    assert info["has_ids"] is has_ids and info["label_columns"] == labels
    assert info["nan_inf_rows"] == 0
    assert info["norm_median"] == pytest.approx(_norm_median(X), rel=1e-12)


def test_cli_index_name_over_integer_ids_is_no_longer_a_bad_cell(files, run_cli):
    res = run_cli(["info", files / "pd_intid.csv", "-f", "json", "-q"])
    assert res.code == 0 and "non-numeric value 'id'" not in res.stderr, res.stderr


# --------------------------------------------------------------------------- pandas headers, Python

def test_load_index_name_with_text_ids(files):
    es = load(files / "pd_intcols.csv")
    assert es.matrix.shape == (30, 4)
    assert es.ids.tolist() == IDS and es.attributes == {}
    assert es.provenance["columns"] == ["id", "0", "1", "2", "3"]
    np.testing.assert_array_equal(es.matrix, X)  # pandas prints float64 exactly (repr)


def test_load_index_name_with_integer_ids(files):
    es = load(files / "pd_intid.csv")
    assert es.ids.tolist() == [str(i) for i in range(30)]
    assert es.provenance["columns"] == ["id", "0", "1", "2", "3"]
    np.testing.assert_array_equal(es.matrix, X)


def test_load_text_column_named_word_is_a_label_column(files):
    es = load(files / "pd_word.csv")
    assert es.ids is None and list(es.attributes) == ["word"]
    assert es.attributes["word"].tolist() == WORDS
    assert es.provenance["columns"] == ["word", "0", "1", "2", "3"]
    np.testing.assert_array_equal(es.matrix, X)
    es = load(files / "pd_word.csv", id_col="word")  # joined on the words when asked
    assert es.ids.tolist() == WORDS and es.matrix.shape == (30, 4)


@pytest.mark.parametrize("name", ["pd_from1.csv", "pd_tab.tsv"])
def test_load_names_1_to_d_and_tabs(files, name):
    es = load(files / name)
    assert es.ids.tolist() == IDS and es.provenance["columns"] == ["id", "1", "2", "3", "4"]
    np.testing.assert_array_equal(es.matrix, X)


def test_load_printed_precision(files):
    es = load(files / "pd_6.csv")
    assert es.matrix.shape == (30, 4) and es.matrix.dtype == np.float32 and es.ids[0] == "s0"
    np.testing.assert_allclose(es.matrix, X, rtol=6e-8, atol=5e-7)  # %.6f, then float32 (half an ulp)


def test_bulk_and_row_by_row_agree(tmp_path, monkeypatch):
    monkeypatch.setattr(text_io, "SAMPLE_ROWS", 3)
    monkeypatch.setattr(text_io, "BULK_CHARS", 200)
    x = np.random.default_rng(3).normal(size=(300, 5))
    for name, write in (("i.csv", lambda df, p: df.rename_axis("id").to_csv(p)),
                        ("w.csv", lambda df, p: df.assign(word=[f"t{i}" for i in range(300)])[["word", 0, 1, 2, 3, 4]].to_csv(p, index=False))):
        write(pd.DataFrame(x), tmp_path / name)
        got = []
        for bulk in (True, False):
            monkeypatch.setattr(text_io, "BULK", bulk)
            es = load(tmp_path / name)
            got.append((es.matrix.tobytes(), None if es.ids is None else es.ids.tolist(),
                        {k: v.tolist() for k, v in es.attributes.items()}, es.provenance["columns"]))
            assert es.matrix.shape == (300, 5)
            np.testing.assert_array_equal(es.matrix, x)
        assert got[0] == got[1]
        assert got[0][3] == [name[0].replace("i", "id").replace("w", "word"), "0", "1", "2", "3", "4"]


def test_integer_values_under_an_index_name_over_integer_ids(tmp_path):
    (tmp_path / "n.csv").write_text("id,0,1,2\n0,3,4,5\n1,6,7,8\n2,1,1,0\n")
    es = load(tmp_path / "n.csv")  # 'id' over integers: line 1 cannot be data ('id' would be a bad cell)
    assert es.ids.tolist() == ["0", "1", "2"]
    np.testing.assert_array_equal(es.matrix, [[3, 4, 5], [6, 7, 8], [1, 1, 0]])


# --------------------------------------------------------------------------- still ambiguous: refused

AMBIGUOUS = "w0,0,1,2\nw1,3,4,5\nw2,1,1,1\n"


def test_text_then_integer_run_over_integers_is_refused_on_the_cli(tmp_path, run_cli):
    (tmp_path / "amb.csv").write_text(AMBIGUOUS)
    line = one_line(run_cli(["info", tmp_path / "amb.csv"]), "amb.csv:", "line 1 ('w0,0,1,2')", "either a header",
                    "or a data row", "does not guess", "--id-col 'w0'", "add a header line")
    assert line.endswith(")")
    res = run_cli(["info", tmp_path / "amb.csv", "--id-col", "w0", "-f", "json", "-q"])  # the choice, made
    assert res.code == 0, res.stderr
    info = json.loads(res.stdout)["results"]["files"][0]
    assert info["n_rows"] == 2 and info["n_dims"] == 3 and info["has_ids"] is True


def test_text_then_integer_run_over_integers_is_refused_in_python(tmp_path):
    (tmp_path / "amb.csv").write_text(AMBIGUOUS)
    with pytest.raises(EmbgeoError, match=r"line 1 .*either a header.*id_col='w0'") as exc:
        load(tmp_path / "amb.csv")
    assert "--" not in str(exc.value)
    es = load(tmp_path / "amb.csv", id_col="w0")
    assert es.ids.tolist() == ["w1", "w2"] and es.provenance["columns"] == ["w0", "0", "1", "2"]
    np.testing.assert_array_equal(es.matrix, [[3, 4, 5], [1, 1, 1]])


def test_headerless_word_rows_that_are_no_run_stay_data(tmp_path):
    (tmp_path / "h.csv").write_text("w0,3,1,2\nw1,0.5,0.25,0.125\n")
    es = load(tmp_path / "h.csv")
    assert es.matrix.shape == (2, 3) and es.attributes["c0"].tolist() == ["w0", "w1"]
    np.testing.assert_array_equal(es.matrix, [[3, 1, 2], [0.5, 0.25, 0.125]])


# --------------------------------------------------------------------------- hints

def test_duplicate_header_names_says_how_to_fix_it(tmp_path, run_cli):
    (tmp_path / "dup.csv").write_text("id,a,a,b\nx,1,2,3\ny,4,5,7\n")
    one_line(run_cli(["info", tmp_path / "dup.csv"]), "dup.csv:", "header names column 'a' twice", "columns 2 and 3 of line 1",
             "rename one of the columns")
    (tmp_path / "dup2.csv").write_text("id,,,b\nx,1,2,3\ny,4,5,7\n")
    one_line(run_cli(["info", tmp_path / "dup2.csv"]), "dup2.csv:", "columns 2 and 3 of line 1 without a name", "give every column a name")


def test_word2vec_count_mismatch_says_how_to_fix_it(tmp_path, run_cli):
    (tmp_path / "h.vec").write_text("5 3\na 0.1 0.2 0.3\nb 0.4 0.5 0.6\nc 0.7 0.8 0.9\nd 0.1 0.5 0.9\n")
    one_line(run_cli(["info", tmp_path / "h.vec"]), "h.vec:", "header says 5 vectors but the file holds 4 (truncated?)",
             "export it again", "fix the count on line 1 to '4 3'")
    (tmp_path / "d.vec").write_text("2 4\na 0.1 0.2 0.3\nb 0.4 0.5 0.6\n")
    one_line(run_cli(["info", tmp_path / "d.vec"]), "d.vec:", "header says 4 dimensions but vectors have 3", "fix line 1 to '2 3'")


def test_a_word_with_a_space_is_named(tmp_path, run_cli):
    (tmp_path / "s.txt").write_text("new york 0.1 0.2 0.3\nb 0.4 0.5 0.6\nc 0.7 0.8 0.9\n")
    one_line(run_cli(["info", tmp_path / "s.txt"]), "s.txt:", "line 1: non-numeric value after the word 'new'",
             "'new york'", "contains a space", "GloVe 840B", "--id-col 'word'", ".npz", "rsplit(' ', 3)")
    with pytest.raises(EmbgeoError, match="id_col='word'"):
        load(tmp_path / "s.txt")
    # on a later line, a word with a space whose second part is a number makes the line too long
    (tmp_path / "r.txt").write_text("a 0.1 0.2 0.3\nroute 66 0.4 0.5 0.6\n")
    one_line(run_cli(["info", tmp_path / "r.txt"]), "line 2 has 4 values, earlier lines have 3", "'route 66'", "contains a space")
    # a plain bad value is named by its position and value, not blamed on a space
    (tmp_path / "x.txt").write_text("a 0.1 0.2 0.3\nb 0.4 x 0.6\n")
    line = one_line(run_cli(["info", tmp_path / "x.txt"]), "line 2: non-numeric value after the word 'b'", "value 2 is 'x'", "fix the value")
    assert "space (" not in line


def test_a_non_breaking_space_is_a_word(tmp_path, run_cli):
    (tmp_path / "nb.txt").write_bytes(b"\xc2\xa0 0.1 0.2 0.3\nb 0.4 0.5 0.6\nc\t0.7\t0.8\t0.9\n")
    es = load(tmp_path / "nb.txt")
    assert es.ids.tolist() == ["\u00a0", "b", "c"]
    np.testing.assert_array_equal(es.matrix, np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], np.float32))
    info = _info(run_cli, tmp_path / "nb.txt")
    assert info["n_rows"] == 3 and info["n_dims"] == 3 and info["has_ids"] is True
    # a word holding a non-breaking space (u00a0) is one word, as in GloVe 840B
    (tmp_path / "nb2.txt").write_text("new\u00a0york 0.1 0.2\nb 0.3 0.4\n")
    assert load(tmp_path / "nb2.txt").ids.tolist() == ["new\u00a0york", "b"]


def test_pandas_text_index_is_the_ids_and_an_index_beside_an_id_column_is_dropped(tmp_path):
    """``pd.DataFrame(X, index=words).to_csv()`` (an unnamed text index) gives the ids; ``df.to_csv()`` of a frame with an
    ``id`` column writes pandas' index first, with an empty name: its old row labels, neither ids nor a dimension."""
    pd.DataFrame(X, index=WORDS).to_csv(tmp_path / "tidx.csv")
    es = load(tmp_path / "tidx.csv")
    assert es.matrix.shape == (30, 4) and es.ids.tolist() == WORDS and not es.attributes
    np.testing.assert_allclose(es.matrix, X, rtol=1e-6)
    df = pd.DataFrame(X, columns=["e0", "e1", "e2", "e3"])
    df.insert(0, "id", IDS)
    df.iloc[::2].to_csv(tmp_path / "idplus.csv")  # index 0, 2, 4, … beside the id column
    es = load(tmp_path / "idplus.csv")
    assert es.matrix.shape == (15, 4) and es.ids.tolist() == IDS[::2] and not es.attributes
    np.testing.assert_allclose(es.matrix, X[::2], rtol=1e-6)
    assert load(tmp_path / "idplus.csv", id_col="id").ids.tolist() == IDS[::2]
