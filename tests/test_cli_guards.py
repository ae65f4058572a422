"""Guards found by a review of the CLI: each case exits 2 with one line naming the file, and writes nothing."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.datasets import path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("guards")
    rng = np.random.default_rng(0)
    np.save(d / "x.npy", rng.standard_normal((60, 6)).astype(np.float32))
    np.save(d / "const.npy", np.ones((50, 4), np.float32))
    X = rng.standard_normal((80, 5))
    np.save(d / "dup.npy", np.vstack([X, X[:20]]))
    ball = rng.uniform(-0.3, 0.3, (40, 3))  # smalltree has 40 nodes: points of the ball, not of the hyperboloid
    np.save(d / "ball40.npy", ball)
    (d / "rk.csv").write_text("id,y\n" + "\n".join(f"{i},{v:.4f}" for i, v in enumerate(rng.standard_normal(60))) + "\n")
    return d


def one_line_error(r, *words):
    assert r.code == 2, (r.code, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error:") and "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_lorentz_eval_refuses_points_off_the_hyperboloid(run_cli, files):
    r = run_cli(["hyperbolic", "eval", files / "ball40.npy", path("smalltree"), "--model", "lorentz", "--protocol", "all", "-f", "json"])
    one_line_error(r, "ball40.npy", "off the hyperboloid")
    ok = run_cli(["hyperbolic", "eval", files / "ball40.npy", path("smalltree"), "--protocol", "all", "-f", "json"])
    assert ok.code == 0 and 0.0 <= json.loads(ok.stdout)["results"]["map"] <= 1.0


def test_eval_scale_must_be_positive(run_cli, files):
    for bad in ("0", "-1"):
        one_line_error(run_cli(["hyperbolic", "eval", files / "ball40.npy", path("smalltree"), "--protocol", "sala", "--scale", bad]), "--scale must be positive")


def test_resume_from_a_plain_array(run_cli, files, tmp_path):
    r = run_cli(["hyperbolic", "train", path("smalltree"), "--coords", tmp_path / "e.npz", "--epochs", "2", "--resume", files / "x.npy"])
    one_line_error(r, "x.npy", "not an embgeo training checkpoint")
    assert not (tmp_path / "e.npz").exists()


def test_missing_plot_folder_is_refused_before_anything_is_written(run_cli, files, tmp_path):
    r = run_cli(["rank", files / "x.npy", "--labels", files / "rk.csv", "--attr", "y", "--save-axis", tmp_path / "ax.npy",
                 "--scores", tmp_path / "s.csv", "-o", tmp_path / "r.json", "--plot", tmp_path / "nodir" / "p.png"])
    one_line_error(r, "does not exist")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, words", [
    (["hyperbolic", "combinatorial", "{smalltree}", "--coords", "{tmp}/co.txt"], ["co.txt", ".npz or .csv"]),
    (["rank", "{x}", "--labels", "{rk}", "--attr", "y", "--save-axis", "{tmp}/ax.txt"], ["ax.txt", ".npy"]),
    (["hyperbolic", "train", "{smalltree}", "--coords", "{tmp}/e.json"], ["e.json", ".npz"]),
])
def test_side_outputs_check_their_suffix(run_cli, files, tmp_path, argv, words):
    args = [a.format(smalltree=path("smalltree"), tmp=tmp_path, x=files / "x.npy", rk=files / "rk.csv") for a in argv]
    one_line_error(run_cli(args), *words)
    assert list(tmp_path.iterdir()) == []


def test_delta_that_measures_nothing(run_cli, files):
    one_line_error(run_cli(["hyperbolic", "delta", files / "x.npy", "--mode", "sample", "--subsets", "0", "--quadruples", "0"]), "measures nothing")


def test_delta_subset_as_large_as_the_set_is_solved_once_exactly(files):
    from embgeo.hyperbolic.delta import gromov_delta

    X = np.load(files / "x.npy")[:30]
    a = gromov_delta(points=X, method="sampled", subset_size=100, n_subsets=20, n_quadruples=0)
    b = gromov_delta(points=X, method="exact")
    assert a.exact and a.delta == b.delta


def test_reembed_constant_and_duplicate_rows(run_cli, files):
    one_line_error(run_cli(["hyperbolic", "reembed", files / "const.npy"]), "const.npy", "only 1 distinct rows")
    r = run_cli(["hyperbolic", "reembed", files / "dup.npy", "-f", "json"])
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["results"]["n_rows_in"] == 100 and d["results"]["n_rows"] <= 80 and any("20 exact duplicate rows dropped" in n for n in d["notes"])


@pytest.mark.parametrize("argv, words", [
    (["uniformity", "{x}", "--mode", "bogus"], ["embgeo uniformity:", "--mode", "bogus", "--help"]),
    (["uniformity", "{x}", "--n-pairs", "1"], ["--n-pairs"]),
    (["datasets", "describe"], ["No such command 'describe'"]),
    (["uniformity"], ["Missing argument"]),
    (["cosine", "{x}", "--no-such"], ["No such option: --no-such"]),
])
def test_usage_errors_are_one_line(run_cli, files, argv, words):
    one_line_error(run_cli([a.format(x=files / "x.npy") for a in argv]), *words)


def test_rank_methods_comma_separated_or_repeated(run_cli, files):
    base = [files / "x.npy", "--labels", files / "rk.csv", "--attr", "y", "--shuffles", "20", "--random-directions", "20", "-f", "json"]
    a = json.loads(run_cli(["rank", *base, "-m", "regression,extremes"]).stdout)
    b = json.loads(run_cli(["rank", *base, "-m", "regression", "-m", "extremes"]).stdout)
    assert "regression" in a["results"]["methods"] and "extremes" in a["results"]["methods"] and "fewshot" not in a["results"]["methods"]
    assert a["results"]["methods"]["regression"]["spearman"] == b["results"]["methods"]["regression"]["spearman"]
    one_line_error(run_cli(["rank", *base, "-m", "regresion"]), "unknown --method 'regresion'")


@pytest.mark.parametrize("opt", [["--lr", "0"], ["--lr", "nan"], ["--target-map", "2"]])
def test_train_refuses_impossible_settings(run_cli, tmp_path, opt):
    one_line_error(run_cli(["hyperbolic", "train", path("smalltree"), "--coords", tmp_path / "e.npz", *opt]), opt[0])
    assert not (tmp_path / "e.npz").exists()


def test_report_refuses_nonfinite_rows_up_front(run_cli, tmp_path):
    X = np.random.default_rng(1).standard_normal((80, 8))
    X[5, 2] = np.nan
    np.save(tmp_path / "nan.npy", X)
    one_line_error(run_cli(["report", tmp_path / "nan.npy", "--html", tmp_path / "r.html"]), "nan.npy", "rows 5", "--drop-nonfinite")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nan.npy"]


def test_repeated_ids_are_reported(run_cli, tmp_path):
    np.savez(tmp_path / "d.npz", embeddings=np.random.default_rng(0).standard_normal((4, 3)), ids=np.array(["a", "b", "a", "c"]))
    r = run_cli(["info", tmp_path / "d.npz", "-f", "json"])
    assert r.code == 0 and "1 repeated ids (first: id 'a' (rows 0 and 2))" in " ".join(r.stderr.split())
    f = json.loads(r.stdout)["results"]["files"][0]
    assert f["n_rows"] == 4 and f["repeated_ids"] == 1 and f["examples"]["repeated_id"] == ["2=0"]


def test_delta_auto_that_would_measure_nothing(run_cli, files):
    one_line_error(run_cli(["hyperbolic", "delta", files / "x.npy", "--exact-max", "10", "--subsets", "0", "--quadruples", "0"]), "measures nothing")
