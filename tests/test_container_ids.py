"""Row ids saved beside the matrix are read, never ignored or taken for a dimension:

- parquet: the pandas index stored as a column (``__index_level_0__`` or a named index) is the row ids;
  a named index beside an ``id`` column is a question (``--id-col``), an unnamed one (pandas' old row
  positions) is dropped and the ids come from ``id``; a named RangeIndex (metadata only) is the ids; an integer column named like an index or an id
  (``ID``, ``idx``, ``doc_id``) is never a dimension; numbers stored as dictionary/binary text are refused
  like plain strings;
- HDF5: ids in the matrix's own group (``/data/ids``) are found, before the root's; two that differ are refused;
- npz / HDF5 / safetensors / .pt: id names match in any case (``IDs``); a 1-D array of unique integers or
  text of one value per row under another name (``tokens``, ``arr_1``) is read as no ids and recorded in
  ``provenance["id_candidates"]``; a join of rows (compare, ``--labels`` with an id column) asks about it
  unless ``--join row-order``."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests._cli import one_line

N, D = 40, 6


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(7).normal(size=(N, D))


@pytest.fixture(scope="module")
def words():
    return np.array([f"w{i}" for i in range(N)])


def _load(path, **kw):
    from embgeo.io import load

    return load(path, **kw)


# ---------------------------------------------------------------- parquet

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")


def test_a_filtered_pandas_index_is_the_row_ids_not_a_dimension(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(200, 8)), columns=[f"e{i}" for i in range(8)])
    kept = df[df.e0 > -0.5]
    kept.to_parquet(tmp_path / "filtered.parquet")
    es = _load(tmp_path / "filtered.parquet")
    assert es.matrix.shape == (len(kept), 8) and not es.attributes
    assert list(es.ids) == [str(i) for i in kept.index]
    np.testing.assert_array_equal(es.matrix, kept.to_numpy())
    df.to_parquet(tmp_path / "range.parquet")  # a RangeIndex is metadata only: no column, no ids
    es = _load(tmp_path / "range.parquet")
    assert es.matrix.shape == (200, 8) and es.ids is None


def test_a_named_pandas_index_is_the_row_ids(tmp_path, X, words):
    df = pd.DataFrame(X, columns=[f"e{i}" for i in range(D)], index=pd.Index(words, name="word"))
    df.to_parquet(tmp_path / "named.parquet")
    es = _load(tmp_path / "named.parquet")
    assert es.matrix.shape == (N, D) and list(es.ids) == list(words)


def test_an_unnamed_pandas_index_beside_an_id_column_is_dropped(tmp_path, X, words, run_cli):
    df = pd.DataFrame(X, columns=[f"e{i}" for i in range(D)])
    df["id"] = words
    rows = [3, 0, 7, 12, 5, 30, 21, 8]  # not a range: pandas stores the index as a column
    df.iloc[rows].to_parquet(tmp_path / "both.parquet")
    assert "__index_level_0__" in pq.read_schema(tmp_path / "both.parquet").names
    res = run_cli(["info", tmp_path / "both.parquet", "-f", "json"])
    assert res.code == 0, res.stderr
    f = json.loads(res.stdout)["results"]["files"][0]
    assert f["n_dims"] == D and f["has_ids"] is True
    es = _load(tmp_path / "both.parquet")
    assert es.matrix.shape == (len(rows), D) and list(es.ids) == list(words[rows]) and not es.attributes
    es = _load(tmp_path / "both.parquet", id_col="__index_level_0__")
    assert es.matrix.shape == (len(rows), D) and list(es.ids) == [str(i) for i in rows] and list(es.attributes) == ["id"]


def test_a_filtered_frame_with_id_text_lang_and_a_vector_column_reads_its_ids(tmp_path, words):
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"id": words, "text": [f"t{i}" for i in range(N)], "lang": (["en", "fr", "fr", "en", "en"] * N)[:N],
                       "embedding": list(rng.normal(size=(N, D)))})
    en = df[df.lang == "en"]
    en.to_parquet(tmp_path / "f.parquet")
    es = _load(tmp_path / "f.parquet")
    assert es.matrix.shape == (len(en), D) and list(es.ids) == list(en.id) and sorted(es.attributes) == ["lang", "text"]


def test_a_named_pandas_index_beside_an_id_column_is_a_question(tmp_path, X, words, run_cli):
    df = pd.DataFrame(X, columns=[f"e{i}" for i in range(D)], index=pd.Index([f"k{i}" for i in range(N)], name="key"))
    df["id"] = words
    df.to_parquet(tmp_path / "both.parquet")
    one_line(run_cli(["info", tmp_path / "both.parquet"]), "both.parquet", "several columns that could be the row ids",
             "'key'", "column 'id'", "--id-col 'id'", "--id-col 'key'")
    es = _load(tmp_path / "both.parquet", id_col="id")
    assert es.matrix.shape == (N, D) and list(es.ids) == list(words)


def test_a_named_range_index_is_the_row_ids(tmp_path, X):
    df = pd.DataFrame({"embedding": list(X)}, index=pd.RangeIndex(1, N + 1, name="id"))
    df.to_parquet(tmp_path / "r.parquet")
    index = pq.read_schema(tmp_path / "r.parquet").pandas_metadata["index_columns"]
    es = _load(tmp_path / "r.parquet")
    if index and isinstance(index[0], dict):  # metadata only (a RangeIndex): read from its start, stop and step
        assert list(es.ids) == [str(i) for i in range(1, N + 1)]
    assert es.matrix.shape == (N, D)
    pd.DataFrame({"embedding": list(X)}).to_parquet(tmp_path / "u.parquet")  # unnamed: the default numbering, no ids
    assert _load(tmp_path / "u.parquet").ids is None


@pytest.mark.parametrize("name", ["ID", "index", "idx", "row_id", "doc_id"])
def test_an_integer_column_named_like_an_id_is_refused(tmp_path, X, run_cli, name):
    df = pd.DataFrame(X, columns=[f"e{i}" for i in range(D)])
    df[name] = np.arange(N) * 7
    df.to_parquet(tmp_path / "named.parquet", index=False)
    one_line(run_cli(["info", tmp_path / "named.parquet"]), "named.parquet", f"column '{name}' holds integers",
             "named like a row index or an id", "not use it as an embedding dimension", f"--id-col '{name}'")
    es = _load(tmp_path / "named.parquet", id_col=name)
    assert es.matrix.shape == (N, D) and list(es.ids) == [str(7 * i) for i in range(N)]


def test_an_id_named_column_beside_the_id_column_is_refused(tmp_path, X, words, run_cli):
    df = pd.DataFrame(X, columns=[f"e{i}" for i in range(D)])
    df["doc_id"] = np.arange(N) * 3
    df["id"] = words
    df.to_parquet(tmp_path / "two.parquet", index=False)
    one_line(run_cli(["info", tmp_path / "two.parquet"]), "column 'doc_id' holds integers", "the ids come from column 'id'")


@pytest.mark.parametrize("kind", ["dictionary", "binary", "large_binary"])
def test_numbers_stored_as_encoded_text_are_refused(tmp_path, run_cli, kind):
    text = ["1.5", "2.5", "3.0"] * 10
    col = {"dictionary": pa.array(text).dictionary_encode(), "binary": pa.array([t.encode() for t in text]),
           "large_binary": pa.array([t.encode() for t in text], type=pa.large_binary())}[kind]
    X = np.random.default_rng(1).normal(size=(30, 2))
    pq.write_table(pa.table({"a": col, "b": X[:, 0], "c": X[:, 1]}), tmp_path / "t.parquet")
    one_line(run_cli(["info", tmp_path / "t.parquet"]), "column 'a' stores numbers as text", "30 of its 30", "embgeo does not guess")


def test_encoded_words_stay_labels(tmp_path):
    X = np.random.default_rng(1).normal(size=(30, 2))
    pq.write_table(pa.table({"a": pa.array(["x", "y", "z"] * 10).dictionary_encode(), "t": pa.array([b"p", b"q", b"r"] * 10),
                             "b": X[:, 0], "c": X[:, 1]}), tmp_path / "w.parquet")
    es = _load(tmp_path / "w.parquet")
    assert es.matrix.shape == (30, 2) and list(es.attributes["a"][:3]) == ["x", "y", "z"] and list(es.attributes["t"][:3]) == ["p", "q", "r"]


# ---------------------------------------------------------------- hdf5

h5py = pytest.importorskip("h5py")


def _h5(path, X, **datasets):
    with h5py.File(path, "w") as f:
        g = f.create_group("data")
        g["embeddings"] = X
        for name, v in datasets.items():
            f[name.replace("__", "/")] = v


def test_hdf5_ids_in_the_matrix_group_are_read(tmp_path, X, words):
    _h5(tmp_path / "g.h5", X, data__ids=words.astype("S"))
    es = _load(tmp_path / "g.h5")
    assert es.n_features == D and list(es.ids) == list(words)
    _h5(tmp_path / "same.h5", X, data__ids=words.astype("S"), ids=words.astype("S"))  # the same ids twice: one set
    assert list(_load(tmp_path / "same.h5").ids) == list(words)
    _h5(tmp_path / "case.h5", X, data__IDs=np.arange(N) * 2)
    assert list(_load(tmp_path / "case.h5").ids) == [str(2 * i) for i in range(N)]


def test_hdf5_ids_that_differ_between_group_and_root_are_refused(tmp_path, X, words, run_cli):
    _h5(tmp_path / "two.h5", X, data__ids=words.astype("S"), ids=words[::-1].astype("S"))
    one_line(run_cli(["info", tmp_path / "two.h5"]), "two sets of row ids that differ", "'/data/ids'", "'/ids'")


def test_hdf5_unique_integers_under_another_name_are_id_candidates(tmp_path, X, run_cli):
    _h5(tmp_path / "tok.h5", X, data__tokens=np.arange(N)[::-1].copy(), texts=np.array([f"s{i}" for i in range(N)], dtype="S"))
    assert run_cli(["info", tmp_path / "tok.h5"]).code == 0
    es = _load(tmp_path / "tok.h5")
    assert es.ids is None and es.provenance["id_candidates"] == ["dataset '/data/tokens'", "dataset '/texts'"]
    _h5(tmp_path / "lab.h5", X, data__label=np.arange(N) % 3, data__score=np.arange(N) * 0.5)  # labels, scores: ignored
    es = _load(tmp_path / "lab.h5")
    assert es.n_features == D and es.ids is None


def test_compare_joins_hdf5_groups_by_their_ids(tmp_path, X, words, run_cli):
    perm = np.random.default_rng(3).permutation(N)
    _h5(tmp_path / "gA.h5", X, data__ids=words.astype("S"))
    _h5(tmp_path / "gB.h5", X[perm], data__ids=words[perm].astype("S"))
    res = run_cli(["compare", tmp_path / "gA.h5", tmp_path / "gB.h5", "-f", "json", "-q", "--bootstrap", "0", "--permutations", "0"])
    assert res.code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["results"]["join"] == "id"
    assert out["results"]["cka_linear"]["value"] == pytest.approx(1.0, abs=1e-9)


# ---------------------------------------------------------------- npz, .pt, safetensors

@pytest.mark.parametrize("name", ["IDs", "ID", "Ids"])
def test_npz_id_names_match_in_any_case(tmp_path, X, words, name):
    np.savez(tmp_path / "i.npz", embeddings=X, **{name: words})
    es = _load(tmp_path / "i.npz")
    assert es.n_features == D and list(es.ids) == list(words)


@pytest.mark.parametrize("how", ["texts", "labels", "positional"])
def test_npz_unique_values_under_another_name_are_read_without_ids(tmp_path, X, words, run_cli, how):
    if how == "positional":
        np.savez(tmp_path / "a.npz", X, np.arange(N))
        name = "arr_1"
    else:
        np.savez(tmp_path / "a.npz", embeddings=X, **{how: words})
        name = how
    res = run_cli(["info", tmp_path / "a.npz", "-f", "json"])
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["results"]["files"][0]["has_ids"] is False
    es = _load(tmp_path / "a.npz")
    assert es.ids is None and es.n_features == D and es.provenance["id_candidates"] == [f"array '{name}'"]


def _pair(tmp_path, X, words):
    perm = np.random.default_rng(5).permutation(N)
    np.savez(tmp_path / "a.npz", embeddings=X, tokens=words)
    np.savez(tmp_path / "b.npz", embeddings=X[perm], tokens=words[perm])
    return tmp_path / "a.npz", tmp_path / "b.npz"


def test_compare_asks_about_id_candidates_unless_row_order(tmp_path, X, words, run_cli):
    a, b = _pair(tmp_path, X, words)
    opts = ["-f", "json", "-q", "--bootstrap", "0", "--permutations", "0"]
    one_line(run_cli(["compare", a, b, *opts]), "a.npz", "array 'tokens'", "no row ids", "rename it to 'ids'", "--join row-order")
    res = run_cli(["compare", a, b, *opts, "--join", "row-order"])
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["results"]["join"] == "row order"


def test_python_row_orders_names_the_keyword(tmp_path, X, words):
    from embgeo.errors import EmbgeoError
    from embgeo.io.join import row_orders

    a, b = _pair(tmp_path, X, words)
    sets = [_load(a), _load(b)]
    with pytest.raises(EmbgeoError, match="join='row-order'"):
        row_orders(sets)
    assert row_orders(sets, join="row-order").join == "row order"
    assert row_orders(sets[:1]).join == "row order"  # one input: nothing joins


def test_labels_with_an_id_column_over_id_candidates_are_refused(tmp_path, X, words, run_cli):
    a, _ = _pair(tmp_path, X, words)
    (tmp_path / "lab.csv").write_text("id,y\n" + "".join(f"{i},{i % 3}\n" for i in range(N)))
    base = ["rank", a, "--labels", tmp_path / "lab.csv", "--attr", "y", "--no-baselines", "--bootstrap", "0", "-q"]
    one_line(run_cli(base), "a.npz", "array 'tokens'", "rename it to 'ids'", "--join row-order")
    assert run_cli([*base, "--join", "row-order"]).code == 0
    (tmp_path / "plain.csv").write_text("y\n" + "".join(f"{i % 3}\n" for i in range(N)))  # no id column: by row order, no question
    assert run_cli(["rank", a, "--labels", tmp_path / "plain.csv", "--attr", "y", "--no-baselines", "--bootstrap", "0", "-q"]).code == 0


def test_npz_labels_and_scores_beside_the_matrix_stay_ignored(tmp_path, X, words):
    np.savez(tmp_path / "l.npz", embeddings=X, y=np.arange(N) % 4, score=np.arange(N) * 0.25)
    es = _load(tmp_path / "l.npz")
    assert es.n_features == D and es.ids is None
    np.savez(tmp_path / "b.npz", embeddings=X, ids=words, tokens=np.arange(N))  # the ids are named: the other array is not a question
    assert list(_load(tmp_path / "b.npz").ids) == list(words)


def test_pt_ids_match_in_any_case_and_unique_entries_are_id_candidates(tmp_path, X, words, run_cli):
    torch = pytest.importorskip("torch")
    torch.save({"embeddings": torch.tensor(X), "IDs": words.tolist()}, tmp_path / "a.pt")
    es = _load(tmp_path / "a.pt")
    assert es.n_features == D and list(es.ids) == list(words)
    torch.save({"embeddings": torch.tensor(X), "tokens": torch.arange(N)}, tmp_path / "b.pt")
    assert run_cli(["info", tmp_path / "b.pt"]).code == 0
    assert _load(tmp_path / "b.pt").provenance["id_candidates"] == ["entry 'tokens'"]
    torch.save({"embeddings": torch.tensor(X), "texts": words.tolist()}, tmp_path / "t.pt")
    es = _load(tmp_path / "t.pt")
    assert es.ids is None and es.provenance["id_candidates"] == ["entry 'texts'"]
    torch.save({"embeddings": torch.tensor(X), "y": torch.arange(N) % 2}, tmp_path / "c.pt")
    assert _load(tmp_path / "c.pt").ids is None


def test_safetensors_ids_match_in_any_case_and_unique_tensors_are_id_candidates(tmp_path, X, run_cli):
    st = pytest.importorskip("safetensors.numpy")
    st.save_file({"embeddings": X.astype(np.float32), "ID": np.arange(N) * 5}, str(tmp_path / "a.safetensors"))
    es = _load(tmp_path / "a.safetensors")
    assert es.n_features == D and list(es.ids) == [str(5 * i) for i in range(N)]
    st.save_file({"embeddings": X.astype(np.float32), "tok": np.arange(N)}, str(tmp_path / "b.safetensors"))
    assert run_cli(["info", tmp_path / "b.safetensors"]).code == 0
    assert _load(tmp_path / "b.safetensors").provenance["id_candidates"] == ["tensor 'tok'"]
