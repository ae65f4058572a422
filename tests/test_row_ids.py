"""Row ids: one rule for id text (:func:`embgeo.io.common.id_key`) on every side of every join, and a
container holding two id arrays that differ is refused, never read as the first of the list."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.io import load
from embgeo.io.common import canonical_number, csv_id, id_key, ids_as_text, repeated_ids
from embgeo.io.labels import join_labels
from tests._cli import one_line

RNG = np.random.default_rng(0)
X = RNG.normal(size=(30, 4)).astype(np.float32)


@pytest.mark.parametrize("text, key", [
    ("1", "1"), (" 1 ", "1"), ("w1", "w1"), (" w1 ", "w1"), ("W1", "W1"),
    # text is compared as written: word vectors hold '1', '01' and '1.0' as three tokens; '1.1' and '1.10' are two sections
    ("01", "01"), ("1.0", "1.0"), ("1.10", "1.10"), ("1e3", "1e3"), ("+1", "+1"), ("inf", "inf"),
])
def test_id_key_is_the_text_as_written(text, key):
    assert id_key(text) == key


@pytest.mark.parametrize("cell, key", [("3.0", "3"), ("3.00", "3"), ("-2.0", "-2"), ("3", "3"), (" 3.0 ", "3"), ("3.5", "3.5"), ("03.0", "03"),
                                       ("v3.0", "v3.0"), ("1.10", "1.10")])
def test_a_csv_cell_written_as_a_whole_float_is_the_integers_id(cell, key):
    assert csv_id(cell) == key


def test_numbers_stored_as_numbers_and_bytes():
    assert id_key(b" ab ") == "ab" and ids_as_text(np.array([3.0, 1.5, -0.0])).tolist() == ["3", "1.5", "0"]
    assert ids_as_text(np.arange(3)).tolist() == ["0", "1", "2"]
    assert canonical_number("1e400").startswith("1e") and canonical_number("1.50") == "1.5"  # exact, never through float
    assert repeated_ids(["a", "1", "b", "1.0", "a", "01"]) == [(0, 4)]


def test_word_vector_tokens_that_read_as_numbers_stay_distinct(tmp_path, run_cli):
    words = ["1", "01", "1.0", "1.00", "0", "00", "0.0", "the", "a", "of"]
    rng = np.random.default_rng(1)
    V = rng.normal(size=(len(words), 5))
    (tmp_path / "a.vec").write_text(f"{len(words)} 5\n" + "".join(w + " " + " ".join(f"{v:.5f}" for v in r) + "\n" for w, r in zip(words, V)))
    order = rng.permutation(len(words))
    (tmp_path / "b.txt").write_text("".join(words[i] + " " + " ".join(f"{v:.5f}" for v in V[i]) + "\n" for i in order))
    assert repeated_ids(load(tmp_path / "a.vec").ids) == []
    res = run_cli(["compare", tmp_path / "a.vec", tmp_path / "b.txt", "-q", "-f", "json", "--bootstrap", "0", "--permutations", "0", "-m", "cka"])
    assert res.code == 0, res.stderr
    r = json.loads(res.stdout)["results"]
    assert r["join"] == "id" and r["cka_linear"]["value"] == pytest.approx(1.0, abs=1e-6)


# --------------------------------------------------------------------------- two id arrays in one container


def test_npz_with_two_id_arrays_that_differ_is_refused(tmp_path, run_cli):
    np.savez(tmp_path / "e.npz", embeddings=X, ids=np.arange(30), id=np.arange(30)[::-1])
    with pytest.raises(EmbgeoError, match=r"two sets of row ids that differ \(array 'ids' and array 'id', first at row 0: '0' vs '29'\)"):
        load(tmp_path / "e.npz")
    one_line(run_cli(["info", tmp_path / "e.npz"]), "e.npz", "two sets of row ids that differ", "keep one of them in the file")


def test_npz_with_two_id_arrays_that_agree_is_read(tmp_path):
    np.savez(tmp_path / "e.npz", embeddings=X, ids=np.arange(30), id=np.arange(30).astype(float))  # 3 and 3.0 stored as numbers: one id
    es = load(tmp_path / "e.npz")
    assert es.ids.tolist() == [str(i) for i in range(30)]


def test_hdf5_with_two_id_datasets_that_differ_is_refused(tmp_path):
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "e.h5", "w") as f:
        f["embeddings"] = X
        f["ids"] = np.arange(30)
        f["id"] = np.arange(1, 31)
    with pytest.raises(EmbgeoError, match=r"dataset '/ids' and dataset '/id', first at row 0: '0' vs '1'"):
        load(tmp_path / "e.h5")
    with h5py.File(tmp_path / "same.h5", "w") as f:
        f["embeddings"] = X
        f["ids"] = np.arange(30)
        f["id"] = np.arange(30)
    assert load(tmp_path / "same.h5").ids[:3].tolist() == ["0", "1", "2"]


# --------------------------------------------------------------------------- one rule on both sides of a join


def _csv(path, ids, body=X):
    path.write_text("id,a,b,c,d\n" + "".join(f"{i}," + ",".join(f"{v:.6f}" for v in row) + "\n" for i, row in zip(ids, body)))
    return path


def test_labels_written_as_floats_join_csv_ids_written_as_integers(tmp_path):
    es = load(_csv(tmp_path / "e.csv", range(30)))
    (tmp_path / "L.csv").write_text("id,score\n" + "".join(f"{float(i)},{i % 5}\n" for i in reversed(range(30))))
    out = join_labels(es, tmp_path / "L.csv")
    assert out.provenance["labels_join"] == "id"
    assert out.attributes["score"].tolist() == [float(i % 5) for i in range(30)]  # joined by value, not by row order


def test_compare_joins_integer_ids_with_the_same_numbers_written_as_floats(tmp_path, run_cli):
    np.savez(tmp_path / "a.npz", embeddings=X, ids=np.arange(30))
    order = RNG.permutation(30)
    _csv(tmp_path / "b.csv", [f"{float(i)}" for i in order], X[order])
    res = run_cli(["compare", tmp_path / "a.npz", tmp_path / "b.csv", "-f", "json", "-q", "--bootstrap", "0", "--permutations", "0"])
    assert res.code == 0, res.stderr
    r = json.loads(res.stdout)["results"]
    assert r["join"] == "id" and r["n_rows"] == 30
    # the same vectors, paired by id through the reordering: linear CKA 1, every nearest neighbour retrieved
    assert r["cka_linear"]["value"] == pytest.approx(1.0, abs=1e-9) and r["retrieval_r1"]["value"] == 1.0


def test_a_labels_table_with_one_id_written_twice_is_refused(tmp_path):
    es = load(_csv(tmp_path / "e.csv", range(30)))
    (tmp_path / "L.csv").write_text("id,score\n" + "".join(f"{i},{i % 5}\n" for i in range(30)) + "3.0,9\n")
    with pytest.raises(EmbgeoError, match=r"id '3' appears twice \(lines 5 and 32\)"):
        join_labels(es, tmp_path / "L.csv")


def test_embedding_ids_that_are_one_id_are_refused_in_a_labels_join(tmp_path, run_cli):
    ids = [str(i) for i in range(30)]
    ids[7] = "1.0"
    _csv(tmp_path / "e.csv", ids)
    (tmp_path / "L.csv").write_text("id,score\n" + "".join(f"{i},{i % 5}\n" for i in range(30)))
    line = one_line(run_cli(["rank", tmp_path / "e.csv", "--labels", tmp_path / "L.csv", "--attr", "score"]),
                    "the embeddings", "e.csv hold id '1' (rows 1 and 7)", "make the embedding ids unique")
    assert "--join row-order" in line


def test_info_counts_repeated_ids_and_strict_fails_on_them(tmp_path, run_cli):
    ids = [str(i) for i in range(30)]
    ids[7], ids[9] = "1.0", "2"
    _csv(tmp_path / "e.csv", ids)
    res = run_cli(["info", tmp_path / "e.csv", "-f", "json", "-q"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    f = doc["results"]["files"][0]
    assert f["repeated_ids"] == 2 and f["examples"]["repeated_id"] == ["7=1", "9=2"]
    assert doc["verdict"]["status"] == "warn" and "repeat the id of an earlier row" in doc["verdict"]["reason"]
    assert run_cli(["info", tmp_path / "e.csv", "--strict", "-q"]).code == 1
    _csv(tmp_path / "ok.csv", range(30))
    assert run_cli(["info", tmp_path / "ok.csv", "--strict", "-q"]).code == 0
