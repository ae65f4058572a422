"""Parquet columns by their type, never silently dropped: a decimal column is a dimension (numbers,
read as float64), a text column that holds fractions (``0.123``, ``1e-3``) in at least half of its cells
is refused with one line naming it (a dimension stored as text, or a label?), and a text column of words
or of whole numbers (zip codes ``02139``, codes ``0``/``1``, ``00042``: parquet is typed, the writer chose
text) stays a label column."""
from __future__ import annotations

import decimal

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from tests._cli import one_line

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("parquet_columns")
    X = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    dec = [decimal.Decimal(str(round(float(v), 3))) for v in X[:, 0]]
    pq.write_table(pa.table({"a": pa.array(dec), "b": X[:, 1], "c": X[:, 2]}), d / "dec.parquet")
    pq.write_table(pa.table({"a": [repr(float(v)) for v in X[:, 0]], "b": X[:, 1], "c": X[:, 2]}), d / "strnum.parquet")
    pq.write_table(pa.table({"code": ["0.1", "x", "0.25"] * 10, "b": X[:, 1], "c": X[:, 2]}), d / "mixed.parquet")
    pq.write_table(pa.table({"code": ["01", "x", "02"] * 10, "b": X[:, 1], "c": X[:, 2]}), d / "codes.parquet")
    pq.write_table(pa.table({"zip": [f"{2139 + i:05d}" for i in range(30)], "y": ["0", "1"] * 15, "doc_id": [f"{i:05d}" for i in range(30)],
                             "b": X[:, 1], "c": X[:, 2]}), d / "zip.parquet")
    pq.write_table(pa.table({"v": [f"{1e-3 * (i + 1):.0e}" for i in range(30)], "b": X[:, 1], "c": X[:, 2]}), d / "expo.parquet")
    pq.write_table(pa.table({"topic": ["x", "y", "z"] * 10, "b": X[:, 1], "c": X[:, 2]}), d / "words.parquet")
    vec = pa.array([list(map(float, r)) for r in X], type=pa.list_(pa.float32()))
    pq.write_table(pa.table({"vec": vec, "score": [str(i / 2) for i in range(30)]}), d / "listcol.parquet")
    return d, X, dec


def test_a_decimal_column_is_a_dimension(files):
    from embgeo.io import load

    d, X, dec = files
    es = load(d / "dec.parquet")
    assert es.matrix.shape == (30, 3) and es.matrix.dtype == np.float64 and not es.attributes
    np.testing.assert_array_equal(es.matrix[:, 0], [float(v) for v in dec])
    np.testing.assert_array_equal(es.matrix[:, 1:], X[:, 1:].astype(np.float64))


@pytest.mark.parametrize("name, column, share", [("strnum", "a", "30 of its 30"), ("mixed", "code", "20 of its 30"),
                                                 ("expo", "v", "30 of its 30")])
def test_numbers_stored_as_text_are_refused(files, run_cli, name, column, share):
    from embgeo.io import load

    d = files[0]
    with pytest.raises(EmbgeoError, match=f"column '{column}' stores numbers as text \\({share} values are fractions"):
        load(d / f"{name}.parquet")
    one_line(run_cli(["info", d / f"{name}.parquet"]), f"{name}.parquet", f"column '{column}' stores numbers as text",
             "embgeo does not guess", "write it as a float column", f"{name}.parquet:COLUMN")


def test_words_stay_a_label_column_and_a_list_file_keeps_text_numbers_as_labels(files):
    from embgeo.io import load

    d, X, _ = files
    es = load(d / "words.parquet")
    assert es.matrix.shape == (30, 2) and list(es.attributes) == ["topic"] and list(es.attributes["topic"][:3]) == ["x", "y", "z"]
    es = load(d / "listcol.parquet")  # the vectors are one list column: every scalar column is an attribute, as before
    np.testing.assert_array_equal(es.matrix, X)
    assert list(es.attributes) == ["score"]


@pytest.mark.parametrize("name, columns", [("zip", ["zip", "y", "doc_id"]), ("codes", ["code"])])
def test_whole_numbers_as_text_stay_label_columns(files, run_cli, name, columns):
    from embgeo.io import load

    d, X, _ = files
    es = load(d / f"{name}.parquet")
    assert es.matrix.shape == (30, 2) and list(es.attributes) == columns and es.ids is None
    np.testing.assert_array_equal(es.matrix, X[:, 1:])
    if name == "zip":  # attributes, never dimensions (their cells are read as a labels column is)
        assert len(es.attributes["zip"]) == 30 and len(es.attributes["doc_id"]) == 30
    assert run_cli(["info", d / f"{name}.parquet"]).code == 0


def test_an_integer_column_among_float_columns_is_a_question(tmp_path, run_cli):
    """A typed integer column (a class label, a year) beside float dimensions is refused, as in CSV; all-integer (quantized) files read."""
    import pandas as pd

    from embgeo.io import load

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(50, 4)), columns=[f"e{i}" for i in range(4)])
    df.insert(0, "label", rng.integers(0, 3, 50))
    df.to_parquet(tmp_path / "pl.parquet")
    one_line(run_cli(["info", tmp_path / "pl.parquet"]), "column 'label' is an integer column while 4 other columns are floats",
             "--id-col 'label'", "store it as float")
    pd.DataFrame(rng.integers(-128, 128, (50, 8)).astype("int8"), columns=[f"q{i}" for i in range(8)]).to_parquet(tmp_path / "q.parquet")
    es = load(tmp_path / "q.parquet")
    assert es.matrix.shape == (50, 8)
