"""Joining attribute tables by id or by row order."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.io import EmbeddingSet, join_labels


def test_join_by_id_reorders(tmp_path):
    es = EmbeddingSet(np.zeros((3, 2)), ids=np.array(["b", "a", "c"]))
    (tmp_path / "l.csv").write_text("id,freq,tag\na,10,x\nb,20,y\nc,,z\n")
    out = join_labels(es, tmp_path / "l.csv")
    np.testing.assert_array_equal(out.attributes["freq"][:2], [20.0, 10.0])
    assert np.isnan(out.attributes["freq"][2])
    assert out.attributes["tag"].tolist() == ["y", "x", "z"]
    assert out.attribute("freq", numeric=True).dtype == np.float64
    with pytest.raises(EmbgeoError, match="not numeric"):
        out.attribute("tag", numeric=True)
    with pytest.raises(EmbgeoError, match="no attribute column 'size'"):
        out.attribute("size")


def test_join_by_row_order_and_tsv(tmp_path):
    es = EmbeddingSet(np.zeros((2, 2)))
    (tmp_path / "l.tsv").write_text("score\tname\n1.5\tp\n2.5\tq\n")
    out = join_labels(es, tmp_path / "l.tsv")
    assert out.attributes["score"].tolist() == [1.5, 2.5]


def test_custom_id_column_and_mismatch(tmp_path):
    es = EmbeddingSet(np.zeros((2, 2)), ids=np.array(["u", "v"]))
    (tmp_path / "l.csv").write_text("word,score\nv,1\nu,2\nextra,3\n")
    out = join_labels(es, tmp_path / "l.csv", id_col="word")
    assert out.attributes["score"].tolist() == [2.0, 1.0]
    with pytest.raises(EmbgeoError, match="no id column 'key'"):
        join_labels(es, tmp_path / "l.csv", id_col="key")


def test_labels_with_ids_over_embeddings_without_ids(tmp_path):
    """A labels id column over embeddings without ids is a join by row number when the ids are
    0 … n−1 (in any order), an error otherwise; --join row-order takes the rows by position and
    never makes the labels' ids the embeddings' ids."""
    es = EmbeddingSet(np.zeros((3, 2)))
    (tmp_path / "n.csv").write_text("id,score\n2,30\n0,10\n1,20\n")
    out = join_labels(es, tmp_path / "n.csv")
    assert out.attributes["score"].tolist() == [10.0, 20.0, 30.0] and out.provenance["labels_join"] == "row number"
    assert out.ids is None
    (tmp_path / "l.csv").write_text("id,score\nfirst,1\nsecond,2\nthird,3\n")
    with pytest.raises(EmbgeoError, match="has an id column 'id' but the embeddings carry no ids"):
        join_labels(es, tmp_path / "l.csv")
    out = join_labels(es, tmp_path / "l.csv", join="row-order")
    assert out.ids is None and out.attributes["score"].tolist() == [1.0, 2.0, 3.0] and out.provenance["labels_join"] == "row order"


def test_shuffled_labels_never_produce_a_result(tmp_path):
    """Embeddings with ids: a table without an id column, or whose id column matches nothing, is an error;
    a shuffled table with ids is reordered by id."""
    rng = np.random.default_rng(3)
    ids = np.array([f"w{i}" for i in range(50)])
    es = EmbeddingSet(rng.standard_normal((50, 4)), ids=ids)
    perm = rng.permutation(50)
    (tmp_path / "noid.csv").write_text("score\n" + "\n".join(str(int(i)) for i in perm) + "\n")
    with pytest.raises(EmbgeoError, match="no id column to join on but the embeddings carry ids"):
        join_labels(es, tmp_path / "noid.csv")
    out = join_labels(es, tmp_path / "noid.csv", join="row-order")  # asked for: by position
    assert out.attributes["score"].tolist() == perm.astype(float).tolist()
    (tmp_path / "other.csv").write_text("id,score\n" + "\n".join(f"x{i},{i}" for i in range(50)) + "\n")
    with pytest.raises(EmbgeoError, match="matches none of the 50 embedding ids"):
        join_labels(es, tmp_path / "other.csv")
    (tmp_path / "shuf.csv").write_text("id,score\n" + "\n".join(f"w{i},{i}" for i in perm) + "\n")
    out = join_labels(es, tmp_path / "shuf.csv")
    assert out.attributes["score"].tolist() == list(range(50)) and out.provenance["labels_join"] == "id"
    with pytest.raises(EmbgeoError, match="join must be"):
        join_labels(es, tmp_path / "shuf.csv", join="position")


def test_row_order_join_is_never_reported_as_ids(tmp_path, run_cli):
    np.save(tmp_path / "x.npy", np.arange(12, dtype=np.float32).reshape(4, 3))
    (tmp_path / "l.csv").write_text("id,tag\nd,x\nc,y\nb,z\na,w\n")
    res = run_cli(["info", tmp_path / "x.npy", "--labels", tmp_path / "l.csv", "-f", "json"])
    assert res.code == 2 and "carry no ids" in res.stderr
    res = run_cli(["info", tmp_path / "x.npy", "--labels", tmp_path / "l.csv", "--join", "row-order", "-f", "json"])
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["results"]["files"][0]["has_ids"] is False
