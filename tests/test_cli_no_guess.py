"""Never guess silently (robustness audit): a setting the run cannot honour is one error line (exit 2), not a
number that contradicts it; k ≥ the rows is refused alike in every command; side outputs are checked before
any work; CSVs guard their cells; messages count what was written."""
from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest

from _cli import one_line

FAST_RANK = ["-m", "regression", "--no-mlp", "--bootstrap", "0", "--random-directions", "20", "--shuffles", "10",
             "--join", "row-order"]


@pytest.fixture
def files(tmp_path):
    """x.npy, y.npy (50 × 6, paired), const.npy (one row 50 times), lab.csv (id, year, year_big, cls)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 6))
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", X + 0.3 * rng.standard_normal((50, 6)))
    np.save(tmp_path / "const.npy", np.tile(X[0], (50, 1)))
    lines = ["id,year,year_big,cls"] + [f"r{i},{1990 + i},{i}e300,{'abc'[i % 3]}" for i in range(50)]
    (tmp_path / "lab.csv").write_text("\n".join(lines) + "\n")
    return tmp_path


# --------------------------------------------------------------------------- 1. extract --max-length

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + "the a cat dog sat on mat ran".split()


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    pytest.importorskip("transformers", reason="embgeo[extract] is not installed")
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    path = tmp_path_factory.mktemp("bert")
    tk = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]")
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(WORDS), hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                         max_position_embeddings=32)).save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.mark.parametrize("max_length", [1, 2])
def test_extract_refuses_a_max_length_without_room_for_text(run_cli, bert, tmp_path, max_length):
    (tmp_path / "t.txt").write_text("the cat sat on the mat\na dog ran\n")
    res = run_cli(["extract", bert, "--texts", tmp_path / "t.txt", "--out-dir", tmp_path / "ex", "--max-length", max_length])
    one_line(res, f"--max-length {max_length} is too short: the tokenizer adds 2 special tokens to every text, so it must be at least 3",
             "(pass --max-length 3 or more)")
    assert not (tmp_path / "ex").exists()


def test_extract_max_length_3_truncates_and_the_verdict_says_so(run_cli, bert, tmp_path):
    from embgeo.errors import EmbgeoError
    from embgeo.extract import extract

    (tmp_path / "t.txt").write_text("the cat sat on the mat\na dog ran\n")
    res = run_cli(["extract", bert, "--texts", tmp_path / "t.txt", "--out-dir", tmp_path / "ex", "--max-length", "3", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["results"]["tokens_max"] == 3 and doc["results"]["truncated_rows"] == 2
    assert doc["verdict"]["status"] == "warn" and "2 of 2 texts were cut at --max-length 3" in doc["verdict"]["reason"]
    with pytest.raises(EmbgeoError, match=r"^max_length=2 is too short: the tokenizer adds 2 special tokens"):
        extract(bert, ["the cat"], max_length=2)


# --------------------------------------------------------------------------- 2. a constant X

@pytest.mark.parametrize("order", [("const.npy", "x.npy"), ("x.npy", "const.npy")])
def test_gap_refuses_a_constant_side(run_cli, files, order):
    res = run_cli(["gap", files / order[0], files / order[1]])
    one_line(res, f"{files / 'const.npy'}: all 50 rows are the same vector: a constant set has no gap to measure")


def test_gap_refuses_scaled_copies_of_one_vector(files):
    from embgeo.errors import EmbgeoError
    from embgeo.uniformity.gap import modality_gap

    X = np.load(files / "x.npy")
    with pytest.raises(EmbgeoError, match=r"^Y: all 50 rows are scaled copies of one vector \(the same direction\)"):
        modality_gap(X, np.outer(np.arange(1.0, 51.0), X[0]), separability=False)


def test_rank_refuses_a_constant_x(run_cli, files):
    res = run_cli(["rank", files / "const.npy", "--labels", files / "lab.csv", "--attr", "year", *FAST_RANK])
    one_line(res, f"{files / 'const.npy'}: all 50 rows are the same vector: a constant space has no rank axis")


# --------------------------------------------------------------------------- 3. k ≥ the rows: refused alike

def test_rank_refuses_k_of_the_rows_and_keeps_the_training_fold_note(run_cli, files):
    res = run_cli(["rank", files / "x.npy", "--labels", files / "lab.csv", "--attr", "year", "-k", "100", *FAST_RANK])
    one_line(res, f"{files / 'x.npy'}: --k 100 needs more than 100 rows with a value of 'year', got 50 (lower --k)")
    res = run_cli(["rank", files / "x.npy", "--labels", files / "lab.csv", "--attr", "year", "-k", "45", "-f", "json", *FAST_RANK])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)  # 50 rows, 5 folds: 40 training rows, a k the user cannot see coming, lowered with a note
    assert doc["results"]["knn_ceiling"]["k"] == 40
    assert "kNN ceiling: k = 40 neighbours, not 45 (the smallest training fold has 40 rows)" in doc["notes"]


def test_layers_refuses_k_of_the_rows(run_cli, files):
    rng = np.random.default_rng(0)
    np.save(files / "stack.npy", rng.standard_normal((2, 50, 6)))
    args = ["layers", files / "stack.npy", "--labels", files / "lab.csv", "--class", "cls", "--join", "row-order"]
    one_line(run_cli([*args, "-k", "50"]), "--k 50 needs more than 50 rows, got 50 (lower --k)")
    res = run_cli([*args, "-k", "49", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["settings"]["k"] == 49 and not any("not 49" in n for n in doc["notes"])  # 49 of 50 rows: used as given


def test_project_umap_refuses_k_of_the_rows_before_any_work(run_cli, files):
    res = run_cli(["project", files / "x.npy", "-m", "umap", "-k", "100"])
    one_line(res, "--k 100 needs more than 100 rows, got 50 (lower --k)")  # (not even the umap note: nothing ran)
    res = run_cli(["project", files / "x.npy", "-m", "umap", "-k", "20", "--sample", "20"])
    one_line(res, "--k 20 needs more than 20 rows, got 20")


def test_project_library_refuses_k_of_the_rows(files):
    pytest.importorskip("umap")
    from embgeo.errors import EmbgeoError
    from embgeo.projection import project

    with pytest.raises(EmbgeoError, match=r"^k=50 needs more than 50 rows, got 50 \(lower k\)"):
        project(np.load(files / "x.npy"), method="umap", k=50)


# --------------------------------------------------------------------------- 4. an attribute whose variance overflows

def test_rank_refuses_an_attribute_whose_variance_overflows(run_cli, files):
    res = run_cli(["rank", files / "x.npy", "--labels", files / "lab.csv", "--attr", "year_big", *FAST_RANK])
    line = one_line(res, f"{files / 'lab.csv'}: attribute 'year_big' has values up to 4.9e+301: its variance overflows a float64",
                    "rescale the column", "--transform rank")
    assert "RuntimeWarning" not in line


# --------------------------------------------------------------------------- 5. compare --rsa-rows

def test_compare_rsa_rows_minimum_is_10(run_cli, files):
    res = run_cli(["compare", files / "x.npy", files / "y.npy", "--rsa-rows", "4"])
    one_line(res, "--rsa-rows", "greater than or equal to 10")
    res = run_cli(["compare", files / "x.npy", files / "y.npy", "-m", "rsa", "--rsa-rows", "10", "-f", "json"])
    assert res.code == 0 and "RuntimeWarning" not in res.stderr, res.stderr
    assert 0.5 < json.loads(res.stdout)["results"]["rsa_spearman"]["value"] <= 1


def test_rsa_bootstrap_of_few_rows_raises_no_warning():
    from embgeo.compare.rsa import pearson

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a resample that drew one row has no pair: NaN, not "Mean of empty slice"
        assert np.isnan(pearson(np.empty(0), np.empty(0)))
        assert np.isnan(pearson(np.ones(1), np.ones(1)))
        assert pearson(np.arange(3.0), np.arange(3.0)) == pytest.approx(1.0)


# --------------------------------------------------------------------------- 6. report

def test_report_that_runs_nothing_is_one_line_without_a_page(run_cli, tmp_path):
    np.save(tmp_path / "single.npy", np.ones((1, 4)))
    line = one_line(run_cli(["report", tmp_path / "single.npy", "-f", "json"]),
                    f"{tmp_path / 'single.npy'}: no analysis could run: all 4 sections failed (first: Uniformity on the sphere: could not run:")
    assert "None" not in line and "report at" not in line and "say" not in line.split("(first:")[0]


def test_report_that_runs_nothing_takes_its_page_back_and_says_why_itself(run_cli, tmp_path):
    np.save(tmp_path / "single.npy", np.ones((1, 4)))
    res = run_cli(["report", tmp_path / "single.npy", "--html", tmp_path / "r.html", "-f", "json"])
    assert res.code == 2 and res.stdout == "" and not (tmp_path / "r.html").exists()
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("embgeo: error:")]
    assert len(errors) == 1 and "no analysis could run: all 4 sections failed (first: Uniformity on the sphere" in errors[0]
    assert "says why" not in errors[0] and not any(ln.startswith("report: ") for ln in res.stderr.splitlines())


@pytest.mark.parametrize("n", [1, 3])
def test_report_reembed_sample_below_4_names_the_option(run_cli, files, tmp_path, n):
    res = run_cli(["report", files / "x.npy", "--html", tmp_path / "r.html", "--reembed-sample", n])
    one_line(res, f"--reembed-sample {n} is too few rows: the hyperbolic re-embedding needs at least 4",
             "--reembed-sample 0 to leave the section out")
    assert not (tmp_path / "r.html").exists()


# --------------------------------------------------------------------------- 7. a side output's folder must take files

@pytest.mark.parametrize("option, name", [("--plot", "p.png"), ("--out", "u.json")])
def test_an_output_folder_without_write_permission_is_refused_before_any_work(run_cli, files, monkeypatch, option, name):
    import os

    ro = files / "rodir"
    ro.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **kw: False if str(p) == str(ro) else real(p, mode, *a, **kw))
    res = run_cli(["uniformity", files / "x.npy", option, ro / name])
    one_line(res, f"{ro / name}: {option} cannot write into {str(ro)!r}: no permission to create files there")
    assert not (ro / name).exists()


def test_rank_scores_side_output_folder_is_checked(run_cli, files, monkeypatch):
    import os

    ro = files / "rodir"
    ro.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **kw: False if str(p) == str(ro) else real(p, mode, *a, **kw))
    res = run_cli(["rank", files / "x.npy", "--labels", files / "lab.csv", "--attr", "year", "--scores", ro / "s.csv", *FAST_RANK])
    one_line(res, "--scores cannot write into")


# --------------------------------------------------------------------------- 8. the formula guard of rank --scores

def test_rank_scores_guard_formula_ids_as_project_coords_does(run_cli, files):
    lab = (files / "lab.csv").read_text().splitlines()
    lab[1] = lab[1].replace("r0,", "=cmd(),", 1)
    lab[2] = lab[2].replace("r1,", '"a,b",', 1)
    (files / "lab.csv").write_text("\n".join(lab) + "\n")
    res = run_cli(["rank", files / "x.npy", "--labels", files / "lab.csv", "--attr", "year", "--scores", files / "s.csv", *FAST_RANK])
    assert res.code == 0, res.stderr
    with open(files / "s.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows[:3]] == ["'=cmd()", "a,b", "r2"]
    assert (files / "s.csv").read_text().splitlines()[1].startswith("'=cmd(),")


# --------------------------------------------------------------------------- 9. datasets export counts what it wrote

def test_datasets_export_counts_every_file_it_copies(run_cli, tmp_path):
    res = run_cli(["datasets", "export", "mammals", "--out", tmp_path / "m"])
    assert res.code == 0, res.stderr
    copied = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert copied == ["SOURCES.md", "WORDNET-LICENSE.txt", "mammal_closure.csv"]
    assert "(3 files of 'mammals': mammal_closure.csv, WORDNET-LICENSE.txt, SOURCES.md)" in res.stderr


def test_report_reembed_sample_below_4_is_refused_from_python_too(files):
    import numpy as np

    from embgeo.errors import EmbgeoError
    from embgeo.report import report

    with pytest.raises(EmbgeoError, match=r"^reembed_sample 2 is too few rows: the hyperbolic re-embedding needs at least 4"):
        report(np.load(files / "x.npy"), reembed_sample=2)


def test_probe_class_messages_name_the_option_and_the_class():
    import numpy as np

    from embgeo.errors import EmbgeoError, use_surface
    from embgeo.layers.task import probe_accuracy

    X = np.random.default_rng(0).normal(size=(12, 3))
    with use_surface("cli"), pytest.raises(EmbgeoError, match=r"^--class holds a single class \('a' on all 12 rows\)"):
        probe_accuracy(X, ["a"] * 12)
    with pytest.raises(EmbgeoError, match=r"^classes: 1 class with 1 row \('c'\); every class needs at least 2 rows"):
        probe_accuracy(X, ["a"] * 6 + ["b"] * 5 + ["c"])


def test_gap_direction_errors_name_the_direction_file(run_cli, files, tmp_path):
    import numpy as np

    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan, 0.0]))
    res = run_cli(["gap", files / "x.npy", files / "x.npy", "--direction", tmp_path / "nan.npy"])
    assert res.code == 2 and f"{tmp_path / 'nan.npy'}: the direction holds NaN or inf (1 of its 3 values)" in res.stderr
    np.save(tmp_path / "short.npy", np.ones(3))
    res = run_cli(["gap", files / "x.npy", files / "x.npy", "--direction", tmp_path / "short.npy"])
    assert res.code == 2 and f"{tmp_path / 'short.npy'}: the direction has 3 values but" in res.stderr


def test_a_sweep_with_too_many_steps_says_so_and_jsonl_texts_are_strings(tmp_path):
    from embgeo.errors import EmbgeoError
    from embgeo.extract.model import read_texts
    from embgeo.uniformity.gap import parse_sweep

    with pytest.raises(EmbgeoError, match=r"^the shift sweep '0:1:1e-9' has 1000000001 steps; at most 1001"):
        parse_sweep("0:1:1e-9")
    (tmp_path / "t.jsonl").write_text('{"text": "a cat"}\n{"text": 5}\n')
    with pytest.raises(EmbgeoError, match=r"line 2: 'text' holds the number 5, not a text"):
        read_texts(tmp_path / "t.jsonl")


def test_gap_class_column_of_fractions_is_not_called_names(run_cli, tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 6))
    np.save(tmp_path / "gx.npy", X)
    np.save(tmp_path / "gy.npy", X + 0.1)
    np.save(tmp_path / "gc.npy", rng.normal(size=(2, 6)))
    (tmp_path / "gl.csv").write_text("cls\n" + "".join(f"{0.5 + i % 2}\n" for i in range(20)))
    res = run_cli(["gap", tmp_path / "gx.npy", tmp_path / "gy.npy", "--classes", tmp_path / "gc.npy", "--labels", tmp_path / "gl.csv",
                   "--join", "row-order"])
    assert res.code == 2 and "the class column 'cls' holds numbers that are not whole (e.g. 0.5)" in res.stderr


def test_project_says_numba_compiles_only_once_every_check_passed(run_cli, files):
    bad = run_cli(["project", files / "x.npy", "-m", "umap", "--metric", "bogus"])
    assert bad.code == 2 and bad.stderr.count("\n") == 1 and "numba" not in bad.stderr
    big_k = run_cli(["project", files / "x.npy", "-m", "umap", "-k", "60"])
    assert big_k.code == 2 and big_k.stderr == f"embgeo: error: {files / 'x.npy'}: --k 60 needs more than 60 rows, got 50 (lower --k)\n"
    ok = run_cli(["project", files / "x.npy", "-m", "umap", "--epochs", "5", "-f", "csv"])
    assert ok.code == 0 and ok.stderr.startswith("umap: seeded (single-threaded); numba compiles on first use"), ok.stderr


# --------------------------------------------------------------------------- root --seed/--device against a command's own


def test_root_and_command_seed_that_differ_are_refused(files, run_cli):
    """``embgeo --seed 1 uniformity X --seed 2`` used 2 silently; now the two must agree (or be given once)."""
    x = files / "x.npy"
    base = ["uniformity", x, "--mode", "sample", "--n-pairs", "200", "-f", "json"]
    res = run_cli(["--seed", "1", *base, "--seed", "2"])
    assert one_line(res, "--seed 1 (before the command) and --seed 2 (after it) differ", "give --seed once")
    one = json.loads(run_cli(["-q", "--seed", "2", *base]).stdout)
    same = json.loads(run_cli(["-q", "--seed", "2", *base, "--seed", "2"]).stdout)  # the same value twice: fine
    local = json.loads(run_cli(["-q", *base, "--seed", "2"]).stdout)  # the command's own over the default: fine
    assert one["results"]["uniformity"] == same["results"]["uniformity"] == local["results"]["uniformity"]
    assert json.loads(run_cli(["-q", *base, "--seed", "1"]).stdout)["results"]["uniformity"] != one["results"]["uniformity"]


def test_root_and_command_device_that_differ_are_refused(files, run_cli):
    x = files / "x.npy"
    res = run_cli(["--device", "cuda", "uniformity", x, "--device", "cpu", "-f", "json"])
    assert res.code == 2 and "--device cuda (before the command) and --device cpu (after it) differ" in res.stderr
    assert run_cli(["-q", "--device", "cpu", "uniformity", x, "--device", "cpu", "-f", "json"]).code == 0


def test_info_strict_against_another_fail_on_is_refused(files, run_cli):
    """--strict is --fail-on warn: with --fail-on bad as well it was dropped silently (a file with duplicates exited 0)."""
    np.save(files / "dup.npy", np.tile(np.arange(6.0), (5, 1)))
    one_line(run_cli(["info", files / "dup.npy", "--strict", "--fail-on", "bad"]), "--strict is --fail-on warn; --fail-on bad says otherwise")
    assert run_cli(["-q", "info", files / "dup.npy", "--strict", "--fail-on", "warn"]).code == 1
    assert run_cli(["-q", "info", files / "dup.npy", "--strict"]).code == 1
    assert run_cli(["-q", "info", files / "dup.npy", "--fail-on", "bad"]).code == 0


def test_cosine_retrieval_and_process_options_need_what_they_tune(files, run_cli):
    """--bootstrap/--confidence/--margin set the retrieval check (--class/--qrels) and --process what --write-processed
    saves: without them every output was identical and settings recorded the value."""
    x = files / "x.npy"
    one_line(run_cli(["cosine", x, "--bootstrap", "50"]), "--bootstrap applies only with --class or --qrels")
    one_line(run_cli(["cosine", x, "--confidence", "0.9", "--margin", "0.05"]), "--confidence, --margin apply only with --class or --qrels")
    one_line(run_cli(["cosine", x, "--process", "abtt"]), "--process applies only with --write-processed")
    assert run_cli(["-q", "cosine", x, "--process", "abtt", "--write-processed", files / "p.npy", "-f", "json"]).code == 0
    assert np.load(files / "p.npy").shape == (50, 6)


def test_rank_options_of_a_method_or_baseline_left_out_are_refused(files, run_cli):
    """--shots with -m regression, --shuffles with --no-baselines, --anchor-pairs without anchors_best, --quantile without
    extremes_q/anchors_best: recorded in settings and ignored; now one line each."""
    base = ["rank", files / "x.npy", "--labels", files / "lab.csv", "--attr", "year", "--join", "row-order"]
    one_line(run_cli([*base, "-m", "regression", "--shots", "2,4"]), "--shots applies only with -m fewshot")
    one_line(run_cli([*base, "-m", "regression", "--no-baselines", "--shuffles", "10"]), "--shuffles applies only with the baselines")
    one_line(run_cli([*base, "-m", "regression", "--anchor-pairs", "5"]), "--anchor-pairs applies only with -m anchors_best")
    one_line(run_cli([*base, "-m", "pairwise", "--quantile", "0.2"]), "--quantile applies only with -m extremes (extremes_q) or anchors_best")
    ok = run_cli(["-q", *base, "-m", "extremes", "--quantile", "0.2", "--no-mlp", "--bootstrap", "0", "--random-directions", "20",
                  "--shuffles", "10", "-f", "json"])
    assert ok.code == 0, ok.stderr
