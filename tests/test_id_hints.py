"""Where row ids come from, said for the format that was read, and ``--id-col`` on every command that
reads embeddings.

A hint for missing ids names the remedy the input's format allows: an id column (``--id-col``) for
CSV/TSV/parquet, an ``ids`` array saved beside the matrix for .npz/.h5/.pt/safetensors, a move to
such a container for a bare .npy — never ``--id-col`` for a file that has no columns, nor for a command
that lacks the option. ``layers`` takes ``--id-col`` as ``id``, ``rank`` and ``compare`` do: a
CSV X with its ids in a column joins labels by id, and gives the numbers of the same rows saved with
an ``ids`` array; on a 3-D stack the option is refused."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.errors import use_surface
from embgeo.io.common import where_ids
from tests._cli import one_line

N, D = 60, 6


@pytest.mark.parametrize("formats, python, cli", [
    (["csv"], "an id column, embgeo.load(..., id_col=COLUMN)", "an id column, --id-col COLUMN"),
    (["parquet", "tsv"], "an id column, embgeo.load(..., id_col=COLUMN)", "an id column, --id-col COLUMN"),
    (["npy"], "an 'ids' array, by saving the matrix as .npz, .h5 or .pt with its ids beside it", None),
    (["npz", "hdf5"], "an 'ids' array saved beside the matrix in .npz, .h5 or .pt, or 'ids' metadata in safetensors", None),
    (["npz", "csv"], "an 'ids' array saved beside the matrix in .npz, .h5 or .pt, or 'ids' metadata in safetensors, "
                     "or an id column of a CSV/TSV/parquet file, embgeo.load(..., id_col=COLUMN)", None),
    ([None], "an 'ids' array saved beside the matrix in .npz, .h5 or .pt, or 'ids' metadata in safetensors, "
             "or an id column of a CSV/TSV/parquet file, embgeo.load(..., id_col=COLUMN)", None),
])
def test_where_ids_names_the_remedy_of_the_format(formats, python, cli):
    assert where_ids(formats) == python
    with use_surface("cli"):
        expected = cli if cli is not None else python.replace("embgeo.load(..., id_col=COLUMN)", "--id-col COLUMN")
        assert where_ids(formats) == expected
        assert ("--id-col" in where_ids(formats)) == any(f in (None, "csv", "tsv", "parquet") for f in formats)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """One seeded matrix whose column 0 carries the attribute 'a', saved as a CSV with its ids in a column
    'word' (rows shuffled), as .npz with an ids array, and as a 1-layer .npy stack; labels keyed by id."""
    d = tmp_path_factory.mktemp("id_hints")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((N, D))
    y = rng.standard_normal(N)
    X[:, 0] += y / 0.3
    ids = np.array([f"w{i}" for i in range(N)])
    order = rng.permutation(N)
    (d / "x.csv").write_text("word," + ",".join(f"d{j}" for j in range(D)) + "\n"
                             + "".join(f"{ids[i]}," + ",".join(f"{v:.6f}" for v in X[i]) + "\n" for i in order))
    Xr = np.asarray([[float(f"{v:.6f}") for v in X[i]] for i in order])  # the CSV's values in its row order
    np.savez(d / "x.npz", embeddings=Xr[None], ids=ids[order])
    np.save(d / "x.npy", Xr[None])
    (d / "lab.csv").write_text("id,a\n" + "".join(f"{ids[i]},{float(y[i])!r}\n" for i in rng.permutation(N)))
    return d


def _layers(run_cli, *args):
    r = run_cli(["layers", *args, "-f", "json"])
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


def test_layers_reads_the_ids_of_a_csv_from_id_col(run_cli, data):
    """--id-col word: the shuffled CSV joins the labels by id and gives the numbers of the .npz with its ids array."""
    csv = _layers(run_cli, data / "x.csv", "--id-col", "word", "--labels", data / "lab.csv", "--attr", "a")
    npz = _layers(run_cli, data / "x.npz", "--labels", data / "lab.csv", "--attr", "a")
    assert csv["settings"]["id_col"] == "word" and npz["settings"]["id_col"] is None
    rho_csv = [r["rank_spearman"] for r in csv["results"]["layers"]]
    rho_npz = [r["rank_spearman"] for r in npz["results"]["layers"]]
    assert len(rho_csv) == 1 and rho_csv[0]["value"] == pytest.approx(rho_npz[0]["value"], abs=1e-6) and rho_csv[0]["value"] > 0.8


def test_layers_without_id_col_names_it_for_a_csv(run_cli, data):
    one_line(run_cli(["layers", data / "x.csv", "--labels", data / "lab.csv", "--attr", "a"]),
             "lab.csv", "carry no ids", "(an id column, --id-col COLUMN)", "--join row-order")


def test_a_stack_without_ids_is_told_where_ids_go_not_id_col(run_cli, data):
    """A bare .npy has no columns: the hint says how to keep ids beside it, in layers and rank alike."""
    for cmd in (["layers", data / "x.npy"], ["rank", data / "x.npy", "--layers"]):
        line = one_line(run_cli([*cmd, "--labels", data / "lab.csv", "--attr", "a"]),
                        "carry no ids", "by saving the matrix as .npz, .h5 or .pt with its ids beside it")
        assert "--id-col" not in line


def test_layers_refuses_id_col_on_a_stack(run_cli, data):
    one_line(run_cli(["layers", data / "x.npz", "--id-col", "word"]), "x.npz", "--id-col 'word' names a column", "drop --id-col")
