"""``embgeo uniformity`` and ``embgeo gap`` through the real entry point."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.datasets.synthetic import paired_gap, sphere
from embgeo.uniformity.core import alignment, uniformity


@pytest.fixture
def files(tmp_path):
    X, Y, _ = paired_gap(300, 16, gap=0.5, seed=0)
    S = sphere(400, 32, seed=1)
    paths = {"x": tmp_path / "x.npy", "y": tmp_path / "y.npy", "s": tmp_path / "s.npy"}
    np.save(paths["x"], X)
    np.save(paths["y"], Y)
    np.save(paths["s"], S)
    return paths, X, Y, S


def _one_error_line(res):
    assert res.code == 2, (res.code, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error:"), res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


def test_uniformity_json(run_cli, files):
    paths, X, Y, S = files
    res = run_cli(["uniformity", paths["s"], "--format", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["schema"] == "embgeo.uniformity/1" and doc["normalized"] is True
    # the CLI calls the same library function: bitwise equal
    assert doc["uniformity"]["value"] == uniformity(S, mode="exact").value
    assert doc["uniformity"]["mode"] == "exact" and "alignment" not in doc


def test_uniformity_with_pairs(run_cli, files):
    paths, X, Y, _ = files
    res = run_cli(["uniformity", paths["x"], "--pairs", paths["y"], "--alpha", "1", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert {"uniformity", "uniformity_pairs", "alignment", "gap"} <= set(doc)
    np.testing.assert_allclose(doc["alignment"]["value"], alignment(X, Y, alpha=1).value, rtol=1e-15)
    # centroid gap from the blockwise float64 means; round-off only
    np.testing.assert_allclose(doc["gap"]["value"], np.linalg.norm(X.mean(0) - Y.mean(0)), atol=1e-12)


def test_uniformity_sampled_and_torch(run_cli, files):
    paths, *_ = files
    res = run_cli(["uniformity", paths["s"], "--mode", "sample", "--n-pairs", "5000", "--seed", "3", "-f", "json"])
    u = json.loads(res.stdout)["uniformity"]
    assert u["mode"] == "sample" and u["ci_low"] < u["value"] < u["ci_high"] and u["n_pairs"] == 5000
    a = json.loads(run_cli(["uniformity", paths["s"], "-f", "json"]).stdout)["uniformity"]["value"]
    b = json.loads(run_cli(["uniformity", paths["s"], "--backend", "torch", "-f", "json"]).stdout)["uniformity"]
    assert b["backend"] == "torch:cpu"
    np.testing.assert_allclose(b["value"], a, atol=1e-12)  # float64 input: round-off only


def test_uniformity_table_and_md(run_cli, files):
    paths, *_ = files
    res = run_cli(["uniformity", paths["s"], "--raw", "-f", "md"])
    assert res.code == 0 and "| uniformity |" in res.stdout and "raw rows" in res.stdout


def test_gap_json(run_cli, files):
    paths, X, Y, _ = files
    res = run_cli(["gap", paths["x"], paths["y"], "--cv", "3", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["schema"] == "embgeo.gap/1"
    assert {"gap", "uniformity", "alignment", "cosines", "separability", "shift", "mixup"} <= set(doc)
    np.testing.assert_allclose(doc["gap"]["value"], np.linalg.norm(X.mean(0) - Y.mean(0)), atol=1e-12)
    assert set(doc["uniformity"]) == {"x", "y", "joint"}
    assert doc["cosines"]["matched"]["quantiles"]["p50"] > doc["cosines"]["random"]["quantiles"]["p50"]
    # renormalising after the shift leaves a small residual gap (6 % here at d = 16)
    assert doc["shift"]["after"]["centroid_gap"] < 0.1 * doc["shift"]["before"]["centroid_gap"]
    assert 0.5 < doc["separability"]["accuracy"] <= 1.0


def test_bad_inputs(run_cli, files, tmp_path):
    paths, X, Y, S = files
    line = _one_error_line(run_cli(["uniformity", paths["x"], "--pairs", paths["s"]]))
    assert "300 rows" in line and "400" in line
    _one_error_line(run_cli(["gap", paths["x"], paths["s"]]))
    Z = X.copy()
    Z[[5, 17]] = 0.0
    np.save(tmp_path / "z.npy", Z)
    line = _one_error_line(run_cli(["uniformity", tmp_path / "z.npy"]))
    assert "z.npy" in line and "rows 5, 17" in line
    line = _one_error_line(run_cli(["gap", tmp_path / "z.npy", paths["y"]]))
    assert "rows 5, 17" in line
    N = X.copy()
    N[8, 2] = np.nan
    np.save(tmp_path / "n.npy", N)
    line = _one_error_line(run_cli(["uniformity", tmp_path / "n.npy", "--pairs", paths["y"]]))
    assert "rows 8" in line
    _one_error_line(run_cli(["uniformity", paths["s"], "--t", "0"]))
    _one_error_line(run_cli(["uniformity", paths["s"], "--confidence", "1.5"]))
    _one_error_line(run_cli(["uniformity", tmp_path / "missing.npy"]))


def test_drop_options_keep_pairs_aligned(run_cli, files, tmp_path):
    paths, X, Y, _ = files
    Z = X.copy()
    Z[[5, 17]] = 0.0
    N = Y.copy()
    N[8, 2] = np.nan
    np.save(tmp_path / "z.npy", Z)
    np.save(tmp_path / "n.npy", N)
    res = run_cli(["uniformity", tmp_path / "z.npy", "--pairs", tmp_path / "n.npy", "--drop-zero", "--drop-nonfinite", "-f", "json"])
    assert res.code == 0, res.stderr
    assert "dropped 3 pairs" in res.stderr
    keep = np.setdiff1d(np.arange(300), [5, 8, 17])
    doc = json.loads(res.stdout)
    np.testing.assert_allclose(doc["alignment"]["value"], alignment(X[keep], Y[keep]).value, rtol=1e-15)


def test_device_cuda_falls_back_to_cpu(run_cli, files):
    paths, *_ = files
    res = run_cli(["uniformity", paths["s"], "--device", "cuda", "-f", "json"])
    assert res.code == 0, res.stderr
    import torch

    backend = json.loads(res.stdout)["uniformity"]["backend"]
    if torch.cuda.is_available():
        assert backend == "torch:cuda"
    else:  # no GPU here: a note on stderr and the CPU engine
        assert "no CUDA device" in res.stderr and backend == "numpy"
