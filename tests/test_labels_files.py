"""A labels file is a CSV/TSV table: a parquet, .npy, zip, HDF5 or JSON file, a directory, and a
';'-separated file are named as such with how to write the table (never 'not UTF-8' or 'no id column')."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests._cli import one_line


@pytest.fixture
def files(tmp_path):
    np.save(tmp_path / "e.npy", np.random.default_rng(0).normal(size=(10, 4)))
    df = pd.DataFrame({"id": range(10), "score": [i % 3 for i in range(10)]})
    df.to_json(tmp_path / "lab.json")
    df.to_json(tmp_path / "lab.jsonl", orient="records", lines=True)
    df.to_csv(tmp_path / "semi.csv", sep=";", index=False)
    df.to_csv(tmp_path / "pipe.tsv", sep="|", index=False)
    np.save(tmp_path / "lab.npy", df.to_numpy())
    (tmp_path / "dir").mkdir()
    try:
        df.to_parquet(tmp_path / "lab.parquet")
    except ImportError:
        pass
    return tmp_path


@pytest.mark.parametrize("name, words", [
    ("lab.json", ["lab.json: looks like JSON, not a CSV/TSV table", "pandas.read_json(path).to_csv('labels.csv', index=False)"]),
    ("lab.jsonl", ["looks like JSON", "lines=True"]),
    ("lab.npy", ["is a NumPy .npy array, not a CSV/TSV table", "to_csv('labels.csv', index=False)"]),
    ("lab.parquet", ["is a parquet file, not a CSV/TSV table", "pandas.read_parquet(path).to_csv"]),
    ("dir", ["dir: is a directory, not a labels file", "one CSV or TSV file"]),
    ("semi.csv", ["has one column named 'id;score': the header holds ';', but a .csv labels file is split at ','", "sep=';'"]),
    ("pipe.tsv", ["the header holds '|', but a .tsv labels file is split at a tab", "write it with tabs"]),
])
@pytest.mark.parametrize("command", ["rank", "info"])
def test_a_labels_file_that_is_not_a_table_is_named(name, words, command, files, run_cli):
    if not (files / name).exists():
        pytest.skip("pyarrow is not installed")
    argv = [command, files / "e.npy", "--labels", files / name, "--join", "row-order"] + (["--attr", "score"] if command == "rank" else [])
    line = one_line(run_cli(argv), *words)
    assert "UTF-8" not in line and "no id column" not in line


def test_a_missing_class_column_is_named_a_class_column(files, run_cli):
    pd.DataFrame({"id": range(10), "topic": list("ab" * 5)}).to_csv(files / "lab.csv", index=False)
    line = one_line(run_cli(["cosine", files / "e.npy", "--labels", files / "lab.csv", "--join", "row-order", "--class", "nope"]),
                    "lab.csv: no class column 'nope' (columns: topic)")
    assert "attribute" not in line
