"""``--attr-col`` / ``attr_cols=``: a CSV/TSV/parquet column named as an attribute is a label column,
whatever it holds, and never a dimension.

Without it an integer column beside float dimensions (a year, a grade, a class code) is refused as a
question (tests/test_csv_ambiguity.py); naming it answers the question. The numbers computed with the
column named must equal those computed with the same column moved to a ``--labels`` file.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from embgeo.errors import EmbgeoError
from embgeo.io import load
from tests._cli import one_line

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("attr_col")
    rng = np.random.default_rng(3)
    n, dim = 240, 6
    grade = rng.integers(0, 5, n)
    X = rng.normal(size=(n, dim))
    X[:, 0] += 0.9 * grade  # an ordinal attribute along one direction
    df = pd.DataFrame(X, columns=[f"e{i}" for i in range(dim)])
    df.insert(0, "grade", grade)
    df.insert(0, "id", [f"doc{i}" for i in range(n)])
    df["year"] = 2000 + rng.integers(0, 20, n)
    df.to_csv(d / "vec.csv", index=False, float_format="%.6f")
    df.to_parquet(d / "vec.parquet", index=False)
    # the same numbers split the recommended way: vectors alone, attributes in a labels file
    df.drop(columns=["grade", "year"]).to_csv(d / "only.csv", index=False, float_format="%.6f")
    df[["id", "grade", "year"]].to_csv(d / "labels.csv", index=False)
    np.save(d / "vec.npy", X)
    zips = pd.DataFrame(X[:, :3], columns=["a", "b", "c"])
    zips.insert(0, "zip", [f"{0.5 + i / 1000:.3f}" for i in range(n)])  # fractions stored as text: refused unless named
    pq.write_table(pa.Table.from_pandas(zips, preserve_index=False), d / "textnum.parquet")
    return d, X, grade


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_named_columns_are_attributes_not_dimensions(files, suffix):
    d, X, grade = files
    with pytest.raises(EmbgeoError, match=r"pass attr_cols=\['grade', 'year'\] to keep them as attributes"):
        load(d / f"vec.{suffix}")
    es = load(d / f"vec.{suffix}", attr_cols=["grade", "year"])
    assert es.matrix.shape == X.shape
    np.testing.assert_allclose(es.matrix, X, atol=1e-6)
    assert sorted(es.attributes) == ["grade", "year"]
    np.testing.assert_array_equal(es.attributes["grade"], grade.astype(float))
    assert es.ids[0] == "doc0"


def test_a_parquet_text_column_of_fractions_is_an_attribute_when_named(files):
    d, X, _ = files
    with pytest.raises(EmbgeoError, match="zip"):
        load(d / "textnum.parquet")
    es = load(d / "textnum.parquet", attr_cols="zip")
    assert es.matrix.shape == (X.shape[0], 3) and list(es.attributes) == ["zip"]


def test_rank_with_attr_col_equals_rank_with_a_labels_file(files, run_cli):
    d, _, _ = files
    a = run_cli(["rank", d / "vec.csv", "--attr-col", "grade,year", "--attr", "grade", "-m", "regression", "-f", "json"])
    b = run_cli(["rank", d / "only.csv", "--labels", d / "labels.csv", "--attr", "grade", "-m", "regression", "-f", "json"])
    assert a.code == 0 and b.code == 0, (a.stderr, b.stderr)
    ra, rb = json.loads(a.stdout), json.loads(b.stdout)
    assert ra["settings"]["attr_col"] == ["grade", "year"] and rb["settings"]["attr_col"] is None
    assert ra["inputs"][0]["dims"] == rb["inputs"][0]["dims"] == 6
    assert ra["results"] == rb["results"]
    assert ra["verdict"] == rb["verdict"]
    rho = ra["results"]["methods"]["regression"]["spearman"]
    assert rho > 0.6  # the planted direction is found


def test_repeated_option_and_comma_list_are_the_same(files, run_cli):
    d, _, _ = files
    a = run_cli(["info", d / "vec.parquet", "--attr-col", "grade", "--attr-col", "year", "-f", "json"])
    b = run_cli(["info", d / "vec.parquet", "--attr-col", "grade,year", "-f", "json"])
    assert a.code == b.code == 0, (a.stderr, b.stderr)
    assert json.loads(a.stdout)["settings"]["attr_col"] == json.loads(b.stdout)["settings"]["attr_col"] == ["grade", "year"]
    assert json.loads(a.stdout)["results"] == json.loads(b.stdout)["results"]


def test_every_reading_command_takes_it(files, run_cli):
    d, _, _ = files
    for argv in (["id", d / "vec.csv", "-m", "twonn"], ["uniformity", d / "vec.csv"], ["cosine", d / "vec.csv"],
                 ["hyperbolic", "delta", d / "vec.csv", "--mode", "sample"]):
        res = run_cli([*argv, "--attr-col", "grade,year", "-f", "json"])
        assert res.code == 0, (argv, res.stderr)
        got = json.loads(res.stdout)
        assert got["settings"]["attr_col"] == ["grade", "year"] and got["inputs"][0]["dims"] == 6, argv


def test_compare_gives_it_to_the_inputs_with_columns(files, run_cli):
    d, _, _ = files
    res = run_cli(["compare", d / "vec.csv", d / "vec.npy", "--attr-col", "grade,year", "--join", "row-order", "-f", "json"])
    assert res.code == 0, res.stderr
    got = json.loads(res.stdout)
    assert [i["dims"] for i in got["inputs"]] == [6, 6]
    assert got["results"]["n_dims_x"] == got["results"]["n_dims_y"] == 6
    assert got["results"]["cka_linear"]["value"] == pytest.approx(1.0, abs=1e-6)  # the same vectors (6-decimal CSV against float64)


def test_mistakes_are_one_line(files, run_cli):
    d, _, _ = files
    one_line(run_cli(["info", d / "vec.csv", "--attr-col", "Grade"]), "--attr-col names the column 'Grade'", "no such column", "'grade'")
    one_line(run_cli(["info", d / "vec.csv", "--attr-col", "id"]), "column 'grade'", "(so does 'year')", "--attr-col grade,year")  # id named: an attribute; the codes still ask
    one_line(run_cli(["info", d / "vec.csv", "--id-col", "id", "--attr-col", "id,grade,year"]), "named both as the id column and as an attribute")
    one_line(run_cli(["info", d / "vec.csv", "--attr-col", "grade,grade"]), "names the column 'grade' twice")
    one_line(run_cli(["info", d / "vec.npy", "--attr-col", "grade"]), "--attr-col 'grade' names a column, but this npy file has no columns",
             "applies to CSV, TSV and parquet")
    stack = d / "stack.npy"
    np.save(stack, np.random.default_rng(0).normal(size=(3, 70, 4)))
    one_line(run_cli(["id", stack, "--layers", "--attr-col", "grade"]), "names a column", "layer stack")


def test_a_list_column_cannot_be_an_attribute(tmp_path, run_cli):
    X = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    vec = pa.array([list(map(float, r)) for r in X], type=pa.list_(pa.float32()))
    pq.write_table(pa.table({"vec": vec, "year": list(range(2000, 2020))}), tmp_path / "l.parquet")
    es = load(tmp_path / "l.parquet", attr_cols=["year"])  # a list column beside it: the year was a label anyway
    assert es.matrix.shape == (20, 3) and list(es.attributes) == ["year"]
    one_line(run_cli(["info", tmp_path / "l.parquet", "--attr-col", "vec"]), "column 'vec' holds vectors (a list column)")


def test_layers_says_that_its_attributes_come_from_labels(files, run_cli):
    d, _, _ = files
    one_line(run_cli(["layers", d / "vec.csv", "--attr-col", "grade,year", "--attr", "grade"]),
             "--attr names a column of --labels; --attr-col only keeps 'grade' out of X's dimensions here")
