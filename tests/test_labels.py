"""Joining attribute tables by id or by row order."""
from __future__ import annotations

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


def test_row_order_join_takes_ids_from_the_labels(tmp_path):
    es = EmbeddingSet(np.zeros((2, 2)))
    (tmp_path / "l.csv").write_text("id,score\nfirst,1\nsecond,2\n")
    out = join_labels(es, tmp_path / "l.csv")
    assert out.ids.tolist() == ["first", "second"] and "id" not in out.attributes
