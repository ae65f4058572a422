"""embgeo hyperbolic train / eval through the real entry point."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.datasets import path

FAST = ["--dim", "5", "--epochs", "30", "--batch-size", "16", "--negatives", "10", "--lr", "0.1", "--eval-every", "10"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from embgeo.cli.app import main

    out = tmp_path_factory.mktemp("emb") / "tree.npz"
    try:
        main(["hyperbolic", "train", str(path("smalltree")), "--out", str(out), "-f", "json", *FAST])
    except SystemExit as exc:
        assert not exc.code
    return out


def test_train_writes_npz_and_json(run_cli, tmp_path):
    out = tmp_path / "e.npz"
    r = run_cli(["hyperbolic", "train", path("smalltree"), "--out", out, "-f", "json", "--seed", "2", *FAST])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "embgeo.hyperbolic.train/1"
    assert 0 <= doc["map"] <= 1 and doc["mean_rank"] >= 1 and doc["epochs_run"] == 30
    assert [h["epoch"] for h in doc["history"]] == [10, 20, 30]
    with np.load(out, allow_pickle=False) as z:
        assert set(z.files) >= {"embeddings", "ids", "curvature", "model", "config"}
        assert z["embeddings"].shape == (40, 5) and z["embeddings"].dtype == np.float64
        assert json.loads(str(z["config"]))["seed"] == 2
        assert float(z["curvature"]) == 1.0


def test_eval_reproduces_the_training_map(run_cli, trained):
    r = run_cli(["hyperbolic", "eval", trained, path("smalltree"), "--metric", "all", "-f", "json"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    with np.load(trained, allow_pickle=False) as z:
        hist = json.loads(str(z["history"]))
    np.testing.assert_allclose(doc["map"], hist[-1]["map"], rtol=1e-12)  # same evaluator, same coordinates
    assert doc["map_sala"] is not None and doc["distortion_avg"] is not None and doc["distortion_worst"] >= 1
    assert doc["nk_positives"] == 102 and doc["distortion_pairs"] == 40 * 39


def test_eval_matches_rows_by_id(run_cli, trained, tmp_path):
    with np.load(trained, allow_pickle=False) as z:
        X, ids = z["embeddings"], z["ids"]
    perm = np.random.default_rng(0).permutation(len(ids))
    shuffled = tmp_path / "shuffled.npz"
    np.savez(shuffled, embeddings=X[perm], ids=ids[perm])
    a = json.loads(run_cli(["hyperbolic", "eval", trained, path("smalltree"), "-f", "json"]).stdout)
    b = json.loads(run_cli(["hyperbolic", "eval", shuffled, path("smalltree"), "-f", "json"]).stdout)
    assert a["map"] == b["map"] and a["mean_rank"] == b["mean_rank"]


def _one_line_error(r):
    assert r.code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error:"), r.stderr
    assert "Traceback" not in r.stderr


def test_bad_inputs(run_cli, trained, tmp_path):
    bad = tmp_path / "bad.edges"
    bad.write_text("a b\nc\n")
    _one_line_error(run_cli(["hyperbolic", "train", bad, "--out", tmp_path / "x.npz"]))
    _one_line_error(run_cli(["hyperbolic", "train", path("smalltree"), "--out", tmp_path / "x.npy"]))
    _one_line_error(run_cli(["hyperbolic", "train", tmp_path / "missing.edges", "--out", tmp_path / "x.npz"]))
    outside = tmp_path / "outside.npy"
    np.save(outside, np.full((40, 2), 0.9))  # norm 1.27: not in the ball
    _one_line_error(run_cli(["hyperbolic", "eval", outside, path("smalltree")]))
    short = tmp_path / "short.npy"
    np.save(short, np.zeros((5, 2)))
    _one_line_error(run_cli(["hyperbolic", "eval", short, path("smalltree")]))
    _one_line_error(run_cli(["hyperbolic", "eval", trained, path("mammals")]))  # ids do not match
    cyc = tmp_path / "cyc.edges"
    cyc.write_text("a b\nb a\n")
    r = run_cli(["hyperbolic", "train", cyc, "--out", tmp_path / "c.npz", "--orientation", "child-parent", *FAST])
    _one_line_error(r)
    assert "cycle" in r.stderr
