"""Bundled and synthetic datasets: present, licensed, and with their known answers."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from embgeo.datasets import DATASETS, get, path
from embgeo.datasets import synthetic as syn
from embgeo.errors import EmbgeoError


def test_bundled_files_exist_with_licence():
    for d in DATASETS.values():
        for p in d.paths():
            assert p.exists(), p
        if "WordNet" in d.source:
            assert any(p.name == "WORDNET-LICENSE.txt" for p in d.paths())
    assert (path("mammals").parent / "SOURCES.md").exists()


def test_graph_sizes_match_sources():
    lines = path("mammals").read_text().strip().splitlines()
    assert lines[0] == "id1,id2,weight" and len(lines) - 1 == 6540
    nodes = {t for ln in lines[1:] for t in ln.split(",")[:2]}
    assert len(nodes) == 1180
    edges = [ln.split() for ln in path("smalltree").read_text().split("\n") if ln.strip()]
    assert len(edges) == 39 and len({v for e in edges for v in e}) == 40


def test_sentence_sample():
    x = np.load(path("sentences"))
    assert x.shape == (1640, 384) and x.dtype == np.float16
    rows = list(csv.DictReader(open(get("sentences").paths()[1], encoding="utf-8")))
    assert len(rows) == 1640 and len({r["text"] for r in rows}) == 1640
    assert {"id", "text", "topic", "number", "rating", "pair"} <= set(rows[0])
    a = np.load(get("paraphrases").paths()[0]).astype(np.float32)
    b = np.load(get("paraphrases").paths()[1]).astype(np.float32)
    assert a.shape == b.shape == (540, 384)
    # paraphrases are much closer than random pairs (all-MiniLM-L6-v2 vectors are unit-norm)
    matched = float(np.mean(np.sum(a * b, axis=1)))
    shuffled = float(np.mean(np.sum(a * b[np.random.default_rng(0).permutation(540)], axis=1)))
    assert matched > 0.8 and shuffled < 0.3
    np.testing.assert_allclose(np.linalg.norm(x.astype(np.float32), axis=1), 1.0, atol=2e-3)  # float16 storage


def test_synthetic_known_answers():
    s = syn.sphere(500, 16, seed=1)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), 1.0, rtol=1e-12)
    b = syn.ball(2000, 3, seed=1)
    assert np.linalg.norm(b, axis=1).max() <= 1.0
    # radius of a uniform 3-ball: E r = 3/4
    np.testing.assert_allclose(np.linalg.norm(b, axis=1).mean(), 0.75, atol=0.02)
    c = syn.cube(300, 4, 50, noise=0.0, seed=2)
    sv = np.linalg.svd(c - c.mean(0), compute_uv=False)
    assert sv[4] < 1e-10 * sv[0]  # exactly rank 4 after centring
    sub = syn.subspace(400, 5, 80, noise=0.0, seed=3)
    assert np.linalg.matrix_rank(sub, tol=1e-8) == 5
    x, y, u = syn.paired_gap(4000, 32, gap=0.6, seed=4)
    proj = (x.mean(0) - y.mean(0)) @ u
    assert proj > 0.3 and np.linalg.norm(u) == pytest.approx(1.0)
    assert syn.swiss_roll(10, seed=0).shape == (10, 3)
    np.testing.assert_array_equal(syn.sphere(5, 3, seed=9), syn.sphere(5, 3, seed=9))


def test_unknown_dataset():
    with pytest.raises(EmbgeoError, match="no dataset 'nope'"):
        get("nope")


def test_cli_export_and_list(tmp_path, run_cli):
    res = run_cli(["datasets", "export", "subspace", "--out", tmp_path / "s.npy", "--n", "50", "--intrinsic", "3", "--d", "20", "--noise", "0", "--seed", "5"])
    assert res.code == 0, res.stderr
    assert "intrinsic=3" in res.stderr
    np.testing.assert_allclose(np.load(tmp_path / "s.npy"), syn.subspace(50, 3, 20, noise=0.0, seed=5))
    res = run_cli(["datasets", "export", "paired-gap", "--out", tmp_path / "g.npz", "--n", "30"])
    z = np.load(tmp_path / "g.npz")
    assert z["x"].shape == z["y"].shape == (30, 64)
    res = run_cli(["datasets", "export", "mammals", "--out", tmp_path / "m"])
    assert res.code == 0 and (tmp_path / "m" / "WORDNET-LICENSE.txt").exists() and (tmp_path / "m" / "SOURCES.md").exists()
    res = run_cli(["datasets", "export", "sphere", "--out", tmp_path / "x.npy", "--intrinsic", "3"])
    assert res.code == 2 and "--intrinsic does not apply" in res.stderr and "--k" not in res.stderr
    res = run_cli(["datasets", "export", "cube", "--out", tmp_path / "x.npy", "--k", "3"])  # -k/--k means neighbours
    assert res.code == 2 and "No such option" in res.stderr and not (tmp_path / "x.npy").exists()
    res = run_cli(["datasets", "export", "ball", "--out", tmp_path / "x.npy", "--gap", "1"])
    assert res.code == 2 and "it takes: --intrinsic, --n" in res.stderr
    # a bundled set is copied as shipped: a synthetic option or a file name for -o is refused, never ignored
    res = run_cli(["datasets", "export", "sentences", "--out", tmp_path / "ex", "--n", "50"])
    assert res.code == 2 and "option --n does not apply to the bundled dataset 'sentences'" in res.stderr and not (tmp_path / "ex").exists()
    res = run_cli(["datasets", "export", "sentences", "--out", tmp_path / "ex.csv"])
    assert res.code == 2 and "names a .csv file, but a bundled dataset is copied into a folder" in res.stderr
    assert "-o " + str(tmp_path / "ex") in res.stderr and not (tmp_path / "ex.csv").exists()
    res = run_cli(["datasets", "list", "-f", "json"])
    names = [d["name"] for d in json.loads(res.stdout)["results"]["datasets"]]
    assert {"mammals", "smalltree", "diseasome", "csphd", "wordnet-tree", "sentences", "sphere", "paired-gap"} <= set(names)
    res = run_cli(["datasets", "info", "diseasome", "-f", "json"])
    assert "nr-aaai15" in json.loads(res.stdout)["results"]["licence"]
