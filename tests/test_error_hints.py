"""Input errors that name the problem also say how to fix it: one line on stderr naming the file
(and the row / line / column when known) with a concrete fix, exit code 2, no traceback."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def _fails(run_cli, argv, *fragments):
    """Run ``embgeo ARGV``: exit 2, one line on stderr holding every fragment; the line is returned."""
    res = run_cli([str(a) for a in argv])
    err = res.stderr.strip()
    assert res.code == 2, (argv, res.code, res.stderr)
    assert err.startswith("embgeo: error:"), err
    assert "\n" not in err, err
    assert "Traceback" not in res.stderr, res.stderr
    for frag in fragments:
        assert frag in err, (frag, err)
    assert err.endswith(")"), err  # the hint, in parentheses
    return err


# 1. an empty matrix
def test_csv_with_a_header_only(tmp_path, run_cli):
    (tmp_path / "header.csv").write_text("a,b,c\n")
    _fails(run_cli, ["info", tmp_path / "header.csv"], "header.csv:", "no data rows",
           "add one line per embedding below the header, 3 values per line")


def test_npy_with_no_rows(tmp_path, run_cli):
    np.save(tmp_path / "empty.npy", np.zeros((0, 5), np.float32))
    _fails(run_cli, ["info", tmp_path / "empty.npy"], "empty.npy:", "shape (0, 5): no rows",
           "np.save('empty.npy', X) with X of shape (n, 5), n ≥ 1")


def test_npz_array_with_no_rows_names_the_other_way(tmp_path, run_cli):
    np.savez(tmp_path / "e.npz", embeddings=np.zeros((0, 3), np.float32))
    _fails(run_cli, ["info", tmp_path / "e.npz"], "e.npz:", "no rows", "np.savez('e.npz', embeddings=X)", "e.npz:KEY")


# 2. a complex dtype
def test_complex_npy(tmp_path, run_cli):
    np.save(tmp_path / "complex.npy", np.ones((4, 3)) + 1j)
    _fails(run_cli, ["info", tmp_path / "complex.npy"], "complex.npy:", "complex128", "expected real numbers",
           "np.real(X)", "np.abs(X)")


# 3. zero variance and the whitening floor (embgeo cosine)
@pytest.mark.parametrize("row", [np.arange(1.0, 5.0), np.random.default_rng(0).normal(size=16)], ids=["exact", "rounding"])
def test_cosine_on_identical_rows(tmp_path, run_cli, row):
    """Identical rows are refused whether the spectrum is exactly 0 or holds rounding noise (a random row, tiled)."""
    np.save(tmp_path / "same.npy", np.tile(row, (37, 1)))
    _fails(run_cli, ["cosine", tmp_path / "same.npy"], "same.npy:", "zero variance", "every row is the same vector",
           "embgeo info FILE counts the duplicate rows")


def test_cosine_whiten_floor_zero(tmp_path, run_cli, rng):
    X = rng.normal(size=(40, 4))
    X[:, 2] = 3.0  # a constant column: the floor is what keeps whitening finite
    np.save(tmp_path / "const.npy", X)
    _fails(run_cli, ["cosine", tmp_path / "const.npy", "--whiten-floor", "0"], "const.npy:", "floor must be positive",
           "pass --whiten-floor above 0")


def test_cosine_constant_column_is_whitened_with_the_floor(tmp_path, run_cli, rng):
    X = rng.normal(size=(40, 4))
    X[:, 2] = 3.0
    np.save(tmp_path / "const.npy", X)
    res = run_cli(["cosine", tmp_path / "const.npy", "-f", "json"])
    assert res.code in (0, 1), res.stderr
    assert "Traceback" not in res.stderr


# 4. IsoScore with one column
def test_cosine_on_one_column(tmp_path, run_cli, rng):
    np.save(tmp_path / "one.npy", rng.normal(size=(20, 1)))
    _fails(run_cli, ["cosine", tmp_path / "one.npy"], "one.npy:", "IsoScore needs at least 2 columns, got 1",
           "pass the whole embedding matrix", "embgeo info FILE")


# 5. a bad --labels file
@pytest.fixture
def good(tmp_path):
    np.save(tmp_path / "good.npy", np.arange(12, dtype=np.float32).reshape(4, 3))
    return tmp_path / "good.npy"


def test_ragged_labels(tmp_path, run_cli, good):
    (tmp_path / "rag.csv").write_text("topic,x\na,1\n\nb\nc,3,4\nd,1\n")
    _fails(run_cli, ["info", good, "--labels", tmp_path / "rag.csv"], "rag.csv:", "line 4 has 1 field but the header has 2 (topic, x)",
           "give every row 2 values, one per header column", "double quotes")


def test_labels_not_utf8(tmp_path, run_cli, good):
    (tmp_path / "latin.csv").write_bytes("topic\ncaf\xe9\nx\ny\nz\n".encode("latin-1"))
    _fails(run_cli, ["info", good, "--labels", tmp_path / "latin.csv"], "latin.csv:", "not UTF-8", "line 2", "0xe9",
           "iconv -f latin1 -t utf-8 latin.csv > latin-utf8.csv")


def test_embeddings_csv_not_utf8(tmp_path, run_cli):
    (tmp_path / "data.csv").write_bytes("a,b,name\n1,2,x\n3,4,caf\xe9\n".encode("latin-1"))
    _fails(run_cli, ["info", tmp_path / "data.csv"], "data.csv:", "not UTF-8", "line 3", "iconv")


# 6. FILE:KEY on a CSV, and a key an .npz does not hold
def test_key_on_a_csv_without_list_column(tmp_path, run_cli):
    (tmp_path / "small.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    _fails(run_cli, ["info", f"{tmp_path / 'small.csv'}:nope"], "small.csv:", "no column 'nope' (columns: a, b)",
           "names a column of lists", "drop ':nope' to read the numeric columns (a, b) as the dimensions")


def test_key_on_a_csv_naming_a_numeric_column(tmp_path, run_cli):
    (tmp_path / "small.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    _fails(run_cli, ["info", f"{tmp_path / 'small.csv'}:a"], "small.csv:", "column 'a' is not a list column", "drop ':a'")


def test_key_on_a_csv_with_a_list_column(tmp_path, run_cli):
    (tmp_path / "lists.csv").write_text('id,vec\nx,"[1, 2]"\ny,"[3, 4]"\n')
    _fails(run_cli, ["info", f"{tmp_path / 'lists.csv'}:emb"], "lists.csv:", "no column 'emb'", "name the list column: lists.csv:vec")


def test_npz_wrong_key_lists_the_arrays(tmp_path, run_cli):
    np.savez(tmp_path / "two.npz", a=np.ones((3, 2)), b=np.ones((3, 2)))
    _fails(run_cli, ["info", f"{tmp_path / 'two.npz'}:nope"], "two.npz:", "no array 'nope' (arrays: a, b)", "FILE.npz:a")


# 7. a parquet file with a bad row
def _parquet(path: Path, columns: dict, **kw):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path, **kw)
    return path


def test_parquet_null_scalar_cell(tmp_path, run_cli):
    p = _parquet(tmp_path / "cols.parquet", {"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 2.0, None, 4.0, 5.0]}, row_group_size=2)
    _fails(run_cli, ["info", p], "cols.parquet:", "column 'b', row 2: the value is missing (null)", "df.dropna(subset=['b'])")


def test_parquet_null_value_inside_a_vector(tmp_path, run_cli):
    p = _parquet(tmp_path / "vec.parquet", {"v": [[1.0, 2.0], [3.0, 4.0], [5.0, None]]}, row_group_size=2)
    _fails(run_cli, ["info", p], "vec.parquet:", "column 'v', row 2: value 1 of the vector is missing (null)", "df.drop(index=2)")


def test_parquet_null_vector(tmp_path, run_cli):
    p = _parquet(tmp_path / "nullrow.parquet", {"v": [[1.0, 2.0], None, [5.0, 6.0]]})
    _fails(run_cli, ["info", p], "nullrow.parquet:", "column 'v', row 1: the vector is missing (null)", "fill it in, or drop the row")


def test_parquet_non_numeric_value_in_a_vector(tmp_path, run_cli):
    p = _parquet(tmp_path / "text.parquet", {"v": [["1", "2"], ["3", "x"], ["5", "6"]]})
    _fails(run_cli, ["info", p], "text.parquet:", "column 'v', row 1, value 1 of the vector: 'x' is not a number",
           "store the vectors as lists of floats")


def test_parquet_non_numeric_named_column(tmp_path, run_cli):
    p = _parquet(tmp_path / "s.parquet", {"a": ["1", "2", "x"], "b": [1.0, 2.0, 3.0]})
    _fails(run_cli, ["info", f"{p}:a"], "s.parquet:", "column 'a', row 2: 'x' is not a number", "pd.to_numeric(df['a'])")
