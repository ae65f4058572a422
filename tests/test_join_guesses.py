"""Joins that used to guess silently: an attribute that is also an embedding column, a labels
row-index column not named ``id``, row-paired files whose key column is shuffled, a ``report
--compare`` that cannot be joined, integer classes over classes with ids, hit@k with k ≥ the
number of classes, and the messages for headerless, non-numeric and decimal-comma labels.

Each refusal is exit code 2 with one line naming the file and the option that decides; each
accepted input gives the real numbers."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.io import EmbeddingSet, join_labels, load
from tests._cli import one_line

RANK = ["-m", "regression", "--no-baselines", "--bootstrap", "0", "-f", "json"]
CMP = ["-m", "cka_linear", "--bootstrap", "0", "--permutations", "0", "-f", "json"]


def spearman(res) -> float:
    assert res.code == 0, res.stderr
    return json.loads(res.stdout)["results"]["methods"]["regression"]["spearman"]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """x.npy (120 × 16, no ids) with a planted score; labels files with the score, shuffled."""
    d = tmp_path_factory.mktemp("planted")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 16))
    y = X[:, 0] + 0.5 * rng.normal(size=120)
    np.save(d / "x.npy", X)
    p = rng.permutation(120)
    for stem, head in (("id", "id"), ("empty", ""), ("unnamed", "Unnamed: 0"), ("index", "index"), ("idx", "idx"), ("ID", "ID")):
        (d / f"lab_{stem}.csv").write_text(f"{head},score\n" + "".join(f"{i},{y[i]:.6f}\n" for i in p))
    return d, X, y, p


# --------------------------------------------------------------------------- 1. the attribute inside the vectors

def test_rank_refuses_an_attribute_that_is_also_an_embedding_column(tmp_path, run_cli):
    """Random vectors saved with the attribute as one of their columns: the old run found a strong
    direction (ρ 0.92) in noise; now it is refused, naming the column."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 16))
    rating = rng.uniform(0, 10, 120)
    head = "id,rating," + ",".join(f"d{j}" for j in range(16))
    rows = [f"q{i},{rating[i]:.3f}," + ",".join(f"{v:.5f}" for v in X[i]) for i in range(120)]
    (tmp_path / "leak.csv").write_text(head + "\n" + "\n".join(rows) + "\n")
    (tmp_path / "leak_lab.csv").write_text("id,rating\n" + "".join(f"q{i},{rating[i]:.3f}\n" for i in range(120)))
    res = run_cli(["rank", tmp_path / "leak.csv", "--labels", tmp_path / "leak_lab.csv", "--attr", "rating", *RANK])
    one_line(res, "leak_lab.csv", "column 'rating'", "leak.csv", "dimension", "remove column 'rating' from the embeddings file")
    # the same vectors without the attribute column: the labels join and rank as before
    (tmp_path / "clean.csv").write_text("id," + ",".join(f"d{j}" for j in range(16)) + "\n"
                                        + "\n".join(f"q{i}," + ",".join(f"{v:.5f}" for v in X[i]) for i in range(120)) + "\n")
    assert abs(spearman(run_cli(["rank", tmp_path / "clean.csv", "--labels", tmp_path / "leak_lab.csv", "--attr", "rating", *RANK]))) < 0.5


def test_the_leak_check_reads_the_recorded_dimension_names():
    """A reader that records ``provenance['dimensions']`` is checked by name; without names nothing is refused."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        lab = Path(tmp) / "l.csv"
        lab.write_text("id,size,tag\na,1,x\nb,2,y\n")
        es = EmbeddingSet(np.zeros((2, 3)), ids=np.array(["a", "b"]), provenance={"file": "e.csv", "dimensions": ["u", "size", "w"]})
        with pytest.raises(EmbgeoError, match="column 'size' is also a column of the embeddings file e.csv"):
            join_labels(es, lab)
        ok = EmbeddingSet(np.zeros((2, 3)), ids=np.array(["a", "b"]), provenance={"file": "e.csv", "dimensions": ["u", "v", "w"]})
        assert join_labels(ok, lab).attributes["size"].tolist() == [1.0, 2.0]
        bare = EmbeddingSet(np.zeros((2, 3)), ids=np.array(["a", "b"]))  # an array: no column names, nothing to check
        assert join_labels(bare, lab).attributes["size"].tolist() == [1.0, 2.0]


def test_the_leak_check_with_an_id_column_named_by_id_col(tmp_path):
    """``--id-col word``: the reader records every column, not which one held the ids; a labels column
    that repeats the ids is that column, one named like a numeric column is refused."""
    (tmp_path / "e.csv").write_text("word,a,b\nu,0.1,0.2\nv,0.3,0.4\nw,0.5,0.7\n")
    es = load(tmp_path / "e.csv", id_col="word")
    (tmp_path / "same.csv").write_text("key,word,score\nw,w,3\nu,u,1\nv,v,2\n")
    out = join_labels(es, tmp_path / "same.csv", id_col="key")
    assert out.attributes["score"].tolist() == [1.0, 2.0, 3.0] and out.attributes["word"].tolist() == ["u", "v", "w"]
    (tmp_path / "b.csv").write_text("word,b\nw,9\nu,7\nv,8\n")
    with pytest.raises(EmbgeoError, match="column 'b' is also a column of the embeddings file"):
        join_labels(es, tmp_path / "b.csv", id_col="word")


# --------------------------------------------------------------------------- 2. a row-index column not named id

@pytest.mark.parametrize("stem,name", [("empty", "''"), ("unnamed", "'Unnamed: 0'"), ("index", "'index'"), ("idx", "'idx'"), ("ID", "'ID'")])
def test_a_labels_row_index_not_named_id_is_refused_then_joined_when_named(run_cli, planted, stem, name):
    d, X, y, p = planted
    lab = d / f"lab_{stem}.csv"
    one_line(run_cli(["rank", d / "x.npy", "--labels", lab, "--attr", "score", *RANK]), f"lab_{stem}.csv", f"--labels-id-col {name}", "--join row-order")
    right = spearman(run_cli(["rank", d / "x.npy", "--labels", d / "lab_id.csv", "--attr", "score", *RANK]))
    col = {"empty": "", "unnamed": "Unnamed: 0"}.get(stem, stem)
    assert spearman(run_cli(["rank", d / "x.npy", "--labels", lab, "--labels-id-col", col, "--attr", "score", *RANK])) == right
    assert right > 0.7


def test_a_labels_row_index_in_the_library(planted):
    d, X, y, p = planted
    es = EmbeddingSet(X)
    with pytest.raises(EmbgeoError, match="pass id_col='index' to join on it, or join='row-order'"):
        join_labels(es, d / "lab_index.csv")
    np.testing.assert_allclose(join_labels(es, d / "lab_index.csv", id_col="index").attributes["score"], y, atol=1e-6)
    np.testing.assert_allclose(join_labels(es, d / "lab_id.csv").attributes["score"], y, atol=1e-6)
    # asked for: by position (the index column stays a label column)
    out = join_labels(es, d / "lab_index.csv", join="row-order")
    np.testing.assert_allclose(out.attributes["score"], y[p], atol=1e-6)
    assert out.attributes["index"].tolist() == p.astype(float).tolist()


def test_a_labels_ID_column_over_embeddings_with_ids_names_the_option(tmp_path):
    es = EmbeddingSet(np.zeros((3, 2)), ids=np.array(["a", "b", "c"]))
    (tmp_path / "l.csv").write_text("ID,score\nc,3\na,1\nb,2\n")
    with pytest.raises(EmbgeoError, match="pass id_col='ID' to join on it"):
        join_labels(es, tmp_path / "l.csv")
    assert join_labels(es, tmp_path / "l.csv", id_col="ID").attributes["score"].tolist() == [1.0, 2.0, 3.0]


# --------------------------------------------------------------------------- 3. a shuffled key column in row-paired files

@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    """X (80 × 6) and Y = X·A + noise as CSVs with a 'word' / 'token' column or none (headerless), Y shuffled."""
    d = tmp_path_factory.mktemp("keyed")
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 6))
    Y = X @ rng.normal(size=(6, 6)) + 0.3 * rng.normal(size=(80, 6))
    p = rng.permutation(80)
    words = [f"w{i}" for i in range(80)]

    def write(name, head, M, order):
        lines = ([head + "," + ",".join(f"d{j}" for j in range(6))] if head else []) + [
            f"{words[i]}," + ",".join(f"{v:.6f}" for v in M[i]) for i in order]
        (d / name).write_text("\n".join(lines) + "\n")

    write("hx.csv", "word", X, range(80))
    write("hy.csv", "word", Y, range(80))
    write("hy_shuf.csv", "word", Y, p)
    write("ty_shuf.csv", "token", Y, p)
    write("wx.csv", None, X, range(80))
    write("wy_shuf.csv", None, Y, p)
    return d, X, Y, p


def test_compare_refuses_row_order_against_a_shuffled_key_column(run_cli, keyed):
    d = keyed[0]
    one_line(run_cli(["compare", d / "hx.csv", d / "hy_shuf.csv", *CMP]), "hy_shuf.csv", "column 'word'", "--id-col word", "--join row-order")
    one_line(run_cli(["compare", d / "hx.csv", d / "ty_shuf.csv", *CMP]), "column 'token' of", "--id-col NAME", "--join row-order")
    one_line(run_cli(["compare", d / "wx.csv", d / "wy_shuf.csv", *CMP]), "no header line", "--id-col", "--join row-order")
    aligned = json.loads(run_cli(["compare", d / "hx.csv", d / "hy.csv", *CMP]).stdout)["results"]["cka_linear"]["value"]
    by_word = run_cli(["compare", d / "hx.csv", d / "hy_shuf.csv", "--id-col", "word", *CMP])
    assert by_word.code == 0, by_word.stderr
    assert json.loads(by_word.stdout)["results"]["cka_linear"]["value"] == pytest.approx(aligned, abs=1e-12) and aligned > 0.5
    # asked for: by position (the shuffled pairing, as the user said)
    asked = run_cli(["compare", d / "hx.csv", d / "hy_shuf.csv", "--join", "row-order", *CMP])
    assert asked.code == 0 and json.loads(asked.stdout)["results"]["cka_linear"]["value"] < 0.3
    # the key column in the same order: both joins agree, nothing to refuse
    assert run_cli(["compare", d / "hx.csv", d / "hy.csv", *CMP]).code == 0


def test_row_orders_and_the_gap_refuse_a_shuffled_key_column(keyed):
    from embgeo.io.join import row_orders
    from embgeo.uniformity.gap import modality_gap

    d = keyed[0]
    x, y = load(d / "hx.csv"), load(d / "hy_shuf.csv")
    with pytest.raises(EmbgeoError, match=re.escape("embgeo.load(..., id_col='word')")):
        row_orders([x, y])
    assert row_orders([x, y], join="row-order").join == "row order"
    assert row_orders([x, load(d / "hy.csv")]).join == "row order"
    with pytest.raises(EmbgeoError, match=re.escape("embgeo.load(..., id_col='word')")):
        modality_gap(x, y, separability=False)


def test_report_pairs_refuses_a_shuffled_key_column(run_cli, keyed, tmp_path):
    d = keyed[0]
    one_line(run_cli(["report", d / "hx.csv", "--pairs", d / "hy_shuf.csv", "--html", tmp_path / "r.html"]), "--id-col word", "--join row-order")
    assert not (tmp_path / "r.html").exists()


# --------------------------------------------------------------------------- 4. report --compare that cannot be joined

def test_report_compare_that_cannot_be_joined_exits_2_before_the_report(run_cli, tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 8))
    np.save(tmp_path / "x.npy", X)
    np.savez(tmp_path / "yi.npz", emb=X, ids=np.array([f"r{i}" for i in range(60)]))
    res = run_cli(["report", tmp_path / "x.npy", "--compare", tmp_path / "yi.npz", "--map", "none", "--reembed-sample", "0",
                   "--html", tmp_path / "r.html"])
    one_line(res, "x.npy", "yi.npz carry row ids", "--join row-order")
    assert not (tmp_path / "r.html").exists()
    np.savez(tmp_path / "xi.npz", emb=X, ids=np.array([f"q{i}" for i in range(60)]))
    res = run_cli(["report", tmp_path / "xi.npz", "--compare", tmp_path / "yi.npz", "--map", "none", "--reembed-sample", "0",
                   "--html", tmp_path / "r.html"])
    one_line(res, "yi.npz", "the ids do not match")


# --------------------------------------------------------------------------- 5. zero-shot classes

@pytest.fixture(scope="module")
def zero_shot():
    from tests.test_gap import paired_gap

    X, Y, _ = paired_gap(90, 12, gap=0.5, seed=4)
    rng = np.random.default_rng(5)
    C = rng.normal(size=(3, 12))
    labels = np.argmax((X / np.linalg.norm(X, axis=1, keepdims=True)) @ (C / np.linalg.norm(C, axis=1, keepdims=True)).T, axis=1)
    labels[:20] = (labels[:20] + 1) % 3  # 20 rows whose class is not the nearest: hit@1 = 70/90
    return X, Y, C, labels


def test_integer_labels_over_classes_with_ids_are_refused(zero_shot):
    from embgeo.uniformity.gap import modality_gap

    X, Y, C, labels = zero_shot
    ids = np.array(["emu", "dog", "cat"])
    classes = EmbeddingSet(C, ids=ids, provenance={"file": "c.npz"})
    with pytest.raises(EmbgeoError, match="integers but the classes file carries ids") as exc:
        modality_gap(X, Y, separability=False, classes=classes, class_labels=labels)
    assert exc.value.source == "c.npz" and "'emu'" in str(exc.value)
    # the classes' names are joined by id: the same hits as row indices into the same rows
    by_name = modality_gap(X, Y, separability=False, classes=classes, class_labels=ids[labels])
    by_row = modality_gap(X, Y, separability=False, classes=C, class_labels=labels)
    assert by_name.zero_shot.hit_at_1 == by_row.zero_shot.hit_at_1 == pytest.approx(70 / 90)
    # ids 0 … k−1 in order: a row number and an id are the same class
    plain = EmbeddingSet(C, ids=np.array(["0", "1", "2"]))
    assert modality_gap(X, Y, separability=False, classes=plain, class_labels=labels).zero_shot.hit_at_1 == by_row.zero_shot.hit_at_1


def test_hit_at_k_of_at_least_the_number_of_classes_is_left_out_with_a_note(zero_shot):
    from embgeo.uniformity.gap import modality_gap

    X, Y, C, labels = zero_shot
    g = modality_gap(X, Y, separability=False, classes=C, class_labels=labels, sweep=[0.0, 1.0])
    z = g.zero_shot
    assert z.hit_at_1 == pytest.approx(70 / 90) and np.isnan(z.hit_at_5) and np.isnan(z.hit_at_5_after_shift)
    assert "hit@5 left out" in z.note and "3 classes" in z.note
    d = g.to_dict()["zero_shot"]
    assert d["zero_shot_hit_at_5"] is None and d["note"] == z.note
    names = [m.metric for m in g.metrics()]
    assert "zero_shot_hit_at_1" in names and "zero_shot_hit_at_5" not in names
    assert "zero_shot_hit_at_1" in g.sweep.columns and "zero_shot_hit_at_5" not in g.sweep.columns


def test_a_class_label_out_of_range_names_the_classes_file_and_the_row(zero_shot):
    from embgeo.uniformity.gap import modality_gap

    X, Y, C, labels = zero_shot
    bad = labels.copy()
    bad[7] = 3
    with pytest.raises(EmbgeoError, match=r"class labels must lie in 0\.\.2") as exc:
        modality_gap(X, Y, separability=False, classes=EmbeddingSet(C, provenance={"file": "classes.npy"}), class_labels=bad)
    assert exc.value.source == "classes.npy" and "row 7" in str(exc.value)


# --------------------------------------------------------------------------- 6. messages

def test_a_headerless_labels_file_says_its_first_line_was_read_as_the_header(run_cli, planted, tmp_path):
    d, X, y, p = planted
    (tmp_path / "nohdr.csv").write_text("".join(f"{v:.4f}\n" for v in y))
    one_line(run_cli(["rank", d / "x.npy", "--labels", tmp_path / "nohdr.csv", "--attr", "score", *RANK]),
             "nohdr.csv", "119 rows", "first line", "read as the header", "add a header line")
    (tmp_path / "short.csv").write_text("score\n" + "".join(f"{v:.4f}\n" for v in y[:100]))
    one_line(run_cli(["rank", d / "x.npy", "--labels", tmp_path / "short.csv", "--attr", "score", *RANK]),
             "100 rows", "'score'", "is read as the header")


def test_a_non_numeric_attribute_names_the_file_line_and_skips_na_tokens(run_cli, planted, tmp_path):
    d, X, y, p = planted
    cells = [f"{v:.6f}" for v in y]
    cells[5], cells[9], cells[30] = "n/a", "?", "NA"
    (tmp_path / "bad.csv").write_text("score\n" + "\n".join(cells) + "\n")
    one_line(run_cli(["rank", d / "x.npy", "--labels", tmp_path / "bad.csv", "--attr", "score", *RANK]),
             "bad.csv", "line 11", "'?'", "not numeric")
    cells[9] = "N/A"  # every non-number is a documented missing value: NaN, counted as missing
    (tmp_path / "na.csv").write_text("score\n" + "\n".join(cells) + "\n")
    res = run_cli(["rank", d / "x.npy", "--labels", tmp_path / "na.csv", "--attr", "score", *RANK])
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["results"]["n_missing"] == 3


def test_a_text_column_of_numbers_and_na_tokens_is_numeric_in_the_library():
    es = EmbeddingSet(np.zeros((4, 2)), attributes={"s": np.array(["1.5", "n/a", "", "2"])})
    v = es.attribute("s", numeric=True)
    assert v[0] == 1.5 and v[3] == 2.0 and np.isnan(v[1]) and np.isnan(v[2])
    es = EmbeddingSet(np.zeros((3, 2)), attributes={"s": np.array(["1", "n/a", "x"])})
    with pytest.raises(EmbgeoError, match=r"attribute column 's', row 2: 'x' is not a number"):
        es.attribute("s", numeric=True)


def test_decimal_commas_in_a_labels_tsv_are_explained(run_cli, planted, tmp_path):
    d, X, y, p = planted
    (tmp_path / "comma.tsv").write_text("score\n" + "".join(f"{v:.3f}".replace(".", ",") + "\n" for v in y))
    one_line(run_cli(["rank", d / "x.npy", "--labels", tmp_path / "comma.tsv", "--attr", "score", *RANK]),
             "comma.tsv", "line 2, column 'score'", "number written with a comma", "decimal=','")


def test_a_tab_separated_labels_file_named_csv_is_refused(run_cli, planted, tmp_path):
    d, X, y, p = planted
    (tmp_path / "tabs.csv").write_text("score\tname\n" + "".join(f"{v:.4f}\tw{i}\n" for i, v in enumerate(y)))
    one_line(run_cli(["rank", d / "x.npy", "--labels", tmp_path / "tabs.csv", "--attr", "score", *RANK]), "tabs.csv", "holds tabs", ".tsv")
    (tmp_path / "tabs.tsv").write_text((tmp_path / "tabs.csv").read_text())
    assert spearman(run_cli(["rank", d / "x.npy", "--labels", tmp_path / "tabs.tsv", "--attr", "score", *RANK])) > 0.7


def test_gap_and_uniformity_pairs_refuse_a_shuffled_key_column(run_cli, keyed):
    """The commands (not only the library): gap and uniformity --pairs load their inputs in the CLI."""
    d = keyed[0]
    for argv in (["gap", d / "hx.csv", d / "hy_shuf.csv"], ["uniformity", d / "hx.csv", "--pairs", d / "hy_shuf.csv"]):
        one_line(run_cli(argv), "hy_shuf.csv", "column 'word'", "--id-col word", "--join row-order")
    by_word = run_cli(["uniformity", d / "hx.csv", "--pairs", d / "hy_shuf.csv", "--id-col", "word", "-f", "json"])
    aligned = run_cli(["uniformity", d / "hx.csv", "--pairs", d / "hy.csv", "--id-col", "word", "-f", "json"])
    assert by_word.code == 0 and aligned.code == 0, by_word.stderr
    a, b = (json.loads(r.stdout)["results"]["alignment"]["alignment"] for r in (by_word, aligned))
    assert a == pytest.approx(b, rel=1e-12)


def test_gap_command_refuses_integer_classes_over_ids_and_notes_hit_at_5(run_cli, zero_shot, tmp_path):
    X, Y, C, labels = zero_shot
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", Y)
    np.savez(tmp_path / "c.npz", embeddings=C, ids=np.array(["emu", "dog", "cat"]))
    np.save(tmp_path / "c_rows.npy", C)
    (tmp_path / "lab.csv").write_text("cls\n" + "\n".join(str(v) for v in labels) + "\n")
    one_line(run_cli(["gap", tmp_path / "x.npy", tmp_path / "y.npy", "--classes", tmp_path / "c.npz", "--labels", tmp_path / "lab.csv",
                      "--join", "row-order"]), "c.npz", "integers but the classes file carries ids")
    r = run_cli(["gap", tmp_path / "x.npy", tmp_path / "y.npy", "--classes", tmp_path / "c_rows.npy", "--labels", tmp_path / "lab.csv",
                 "--join", "row-order", "-f", "json"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["results"]["zero_shot"]["zero_shot_hit_at_1"] == pytest.approx(70 / 90)
    assert doc["results"]["zero_shot"]["zero_shot_hit_at_5"] is None and any("hit@5 left out" in n for n in doc["notes"])


def test_library_alignment_refuses_a_shuffled_key_column(keyed):
    from embgeo.io import load
    from embgeo.uniformity import alignment

    d = keyed[0]
    with pytest.raises(EmbgeoError, match="column 'word'"):
        alignment(load(str(d / "hx.csv")), load(str(d / "hy_shuf.csv")))
    ok = alignment(load(str(d / "hx.csv")), load(str(d / "hy_shuf.csv")), join="row-order")  # asked for: by position
    assert np.isfinite(ok.alignment)


def test_pandas_default_index_in_file_order_is_not_a_question(run_cli, tmp_path):
    """df.to_csv(path) writes an unnamed index 0 … n−1: over id-less rows, a join on it and by row order agree."""
    rng = np.random.default_rng(12)
    X = rng.normal(size=(50, 8))
    np.save(tmp_path / "x.npy", X)
    (tmp_path / "pd.csv").write_text(",score\n" + "".join(f"{i},{X[i, 0]:.6f}\n" for i in range(50)))
    r = run_cli(["info", tmp_path / "x.npy", "--labels", tmp_path / "pd.csv", "-f", "json"])
    assert r.code == 0, r.stderr
    shuffled = rng.permutation(50)  # the same index shuffled: still refused
    (tmp_path / "pd_shuf.csv").write_text(",score\n" + "".join(f"{i},{X[i, 0]:.6f}\n" for i in shuffled))
    one_line(run_cli(["info", tmp_path / "x.npy", "--labels", tmp_path / "pd_shuf.csv"]), "named like a row index", "--labels-id-col")


def test_a_labels_column_that_an_embeddings_attribute_already_holds_is_a_question(run_cli, tmp_path):
    rng = np.random.default_rng(13)
    X = rng.normal(size=(30, 4))
    (tmp_path / "e.csv").write_text("id,year,a,b,c,d\n" + "".join(f"r{i},w{i % 3},{','.join(f'{v:.5f}' for v in X[i])}\n" for i in range(30)))
    (tmp_path / "same.csv").write_text("id,year\n" + "".join(f"r{i},w{i % 3}\n" for i in range(30)))
    (tmp_path / "other.csv").write_text("id,year\n" + "".join(f"r{i},w{(i + 1) % 3}\n" for i in range(30)))
    assert run_cli(["info", tmp_path / "e.csv", "--labels", tmp_path / "same.csv"]).code == 0  # the same values: nothing to choose
    one_line(run_cli(["info", tmp_path / "e.csv", "--labels", tmp_path / "other.csv"]), "column 'year' is in the embeddings file",
             "different values", "rename column 'year'")
