"""embgeo extract's inputs: every bad .jsonl line is one error naming its real line, and a run that
fails leaves no --out-dir behind (options are checked before the folder is made)."""
from __future__ import annotations

import json

import pytest

from tests._cli import one_line


def _texts(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture
def fake_model(tmp_path):
    """A folder that passes the model check (config.json) but cannot load: enough for everything that is refused first."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    return folder


# --------------------------------------------------------------------------- read_texts: the real line, one line of error

@pytest.mark.parametrize("line, got", [('["x"]', "line 2 is an array, not a JSON object"),
                                       ('"just text"', "line 2 is a string, not a JSON object"),
                                       ("42", "line 2 is a number, not a JSON object"),
                                       ("null", "line 2 is null, not a JSON object")])
def test_a_jsonl_line_that_is_not_an_object_names_its_line(tmp_path, line, got):
    from embgeo.errors import EmbgeoError
    from embgeo.extract import read_texts

    path = _texts(tmp_path, "t.jsonl", '{"text": "a"}\n' + line + "\n")
    with pytest.raises(EmbgeoError) as err:
        read_texts(path)
    assert err.value.source == str(path) and got in err.value.message, str(err.value)
    assert "\n" not in str(err.value)


def test_bad_json_names_the_line_it_is_on(tmp_path):
    from embgeo.errors import EmbgeoError
    from embgeo.extract import read_texts

    path = _texts(tmp_path, "bad4.jsonl", '{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n{bad json\n')
    with pytest.raises(EmbgeoError, match=r"line 4 is not valid JSON \(.*column 2\)"):
        read_texts(path)
    # blank lines count: the bad line is still called by its number in the file
    path = _texts(tmp_path, "gaps.jsonl", '{"text": "a"}\n\n\n{"text": "b"\n')
    with pytest.raises(EmbgeoError, match="line 4 is not valid JSON"):
        read_texts(path)


def test_row_problems_name_the_file_line(tmp_path):
    from embgeo.errors import EmbgeoError
    from embgeo.extract import read_texts

    path = _texts(tmp_path, "empty.jsonl", '{"text": "a"}\n\n{"text": "  "}\n')
    with pytest.raises(EmbgeoError, match="line 3 has an empty text"):
        read_texts(path)
    path = _texts(tmp_path, "noid.jsonl", '{"id": "a1", "text": "a"}\n\n{"text": "b"}\n')  # was a KeyError traceback
    with pytest.raises(EmbgeoError, match="line 3 has no id in 'id'"):
        read_texts(path)
    path = _texts(tmp_path, "dup.jsonl", '{"id": 1, "text": "a"}\n\n{"id": 2, "text": "b"}\n{"id": 1, "text": "c"}\n')
    with pytest.raises(EmbgeoError, match="id '1' is on lines 1 and 4: ids must be unique"):
        read_texts(path)
    path = _texts(tmp_path, "nested.jsonl", '{"text": {"body": "a"}}\n')
    with pytest.raises(EmbgeoError, match="line 1: 'text' holds an object, not a text"):
        read_texts(path)


def test_good_files_still_read(tmp_path):
    from embgeo.extract import read_texts

    path = _texts(tmp_path, "ok.jsonl", '\ufeff{"id": "x", "text": "one"}\n\n{"id": "y", "text": "two"}\n')  # BOM and a blank line
    assert read_texts(path) == (["one", "two"], ["x", "y"])
    path = _texts(tmp_path, "ok.csv", 'id,text\nx1,"multi\nline"\nx2,b\n')
    assert read_texts(path) == (["multi\nline", "b"], ["x1", "x2"])
    path = _texts(tmp_path, "dup.csv", 'id,text\nx1,"multi\nline"\nx1,b\n')  # the quoted cell spans lines 2-3
    from embgeo.errors import EmbgeoError

    with pytest.raises(EmbgeoError, match="id 'x1' is on lines 3 and 4"):
        read_texts(path)


@pytest.mark.parametrize("body, needle", [('{"text": "a"}\n["x"]\n', "line 2 is an array, not a JSON object"),
                                          ('{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n{bad json\n', "line 4 is not valid JSON")])
def test_cli_bad_jsonl_is_one_line_and_leaves_no_folder(fake_model, tmp_path, run_cli, body, needle):
    path = _texts(tmp_path, "t.jsonl", body)
    r = run_cli(["extract", fake_model, "--texts", path, "--out-dir", tmp_path / "od"])
    one_line(r, f"{path}: {needle}")
    assert not (tmp_path / "od").exists()


# --------------------------------------------------------------------------- --out-dir: made only when there is something to write

def test_bad_pooling_is_refused_before_the_folder_is_made(fake_model, tmp_path, run_cli):
    texts = _texts(tmp_path, "t.txt", "the cat\n")
    r = run_cli(["extract", fake_model, "--texts", texts, "--out-dir", tmp_path / "od", "--pooling", "mean,bogus"])
    one_line(r, "unknown pooling 'bogus'", "mean, first, last")
    assert not (tmp_path / "od").exists()


def test_a_run_that_fails_leaves_no_folder(fake_model, tmp_path, run_cli):
    pytest.importorskip("transformers", reason="embgeo[extract] is not installed")
    texts = _texts(tmp_path, "t.txt", "the cat\n")
    r = run_cli(["extract", fake_model, "--texts", texts, "--out-dir", tmp_path / "a" / "b"])  # the model cannot load
    one_line(r, "cannot load the model")
    assert not (tmp_path / "a").exists()  # neither the folder nor the one above it that it would have made


def test_an_out_dir_that_cannot_be_a_folder_is_refused_first(fake_model, tmp_path, run_cli):
    texts = _texts(tmp_path, "t.txt", "the cat\n")
    (tmp_path / "f").write_text("a file")
    r = run_cli(["extract", fake_model, "--texts", texts, "--out-dir", tmp_path / "f"])
    one_line(r, "--out-dir is a file, not a folder")
    r = run_cli(["extract", fake_model, "--texts", texts, "--out-dir", tmp_path / "f" / "sub"])
    one_line(r, "cannot create --out-dir", "is a file, not a folder")
    assert (tmp_path / "f").read_text() == "a file"


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    pytest.importorskip("transformers", reason="embgeo[extract] is not installed")
    from tests.test_extract import _tiny

    return _tiny(tmp_path_factory.mktemp("bert"), "bert")


def test_extract_makes_a_missing_out_dir_with_its_parents(bert, tmp_path, run_cli):
    texts = _texts(tmp_path, "t.jsonl", '{"id": "a", "text": "the cat sat"}\n\n{"id": "b", "text": "a dog ran"}\n')
    r = run_cli(["extract", bert, "--texts", texts, "--out-dir", tmp_path / "x" / "y", "--pooling", "mean", "--no-tokens", "-f", "json"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["results"]["n_rows"] == 2 and doc["results"]["poolings"] == ["mean"]
    assert sorted(p.name for p in (tmp_path / "x" / "y").iterdir()) == ["pooled.h5"]
