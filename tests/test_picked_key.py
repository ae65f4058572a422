"""A container's matrix picked by its name among several is recorded (``inputs[].key``), and one picked
beside another of the same shape (paired sets saved together) is refused: "which one?"."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests._cli import one_line

X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)


def _save(kind, path, arrays):
    if kind == "npz":
        np.savez(path, **arrays)
    elif kind == "pt":
        torch = pytest.importorskip("torch")
        torch.save({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}, path)
    elif kind == "h5":
        h5py = pytest.importorskip("h5py")
        with h5py.File(path, "w") as f:
            for k, v in arrays.items():
                f[k] = v
    else:
        from safetensors.numpy import save_file

        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(path))
    return path


KINDS = ["npz", "pt", "h5", "safetensors"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_same_shape_rival_is_a_question(kind, tmp_path, run_cli):
    if kind == "safetensors":
        pytest.importorskip("safetensors")
    p = _save(kind, tmp_path / f"two.{kind}", {"embeddings": X, "text": X + 1})
    prefix = "/" if kind == "h5" else ""
    one_line(run_cli(["info", p]), f"two.{kind}", "of shape (20, 4)", f"{prefix}embeddings, {prefix}text", "which one?",
             f"FILE.{kind}:{prefix}embeddings", f"FILE.{kind}:{prefix}text")
    res = run_cli(["info", f"{p}:text", "-f", "json", "-q"])  # naming one reads it
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["inputs"][0]["key"].lstrip("/") == "text" and doc["results"]["files"][0]["norm_max"] > 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_picked_key_is_recorded(kind, tmp_path, run_cli):
    if kind == "safetensors":
        pytest.importorskip("safetensors")
    p = _save(kind, tmp_path / f"ok.{kind}", {"embeddings": X, "labels": np.arange(20)})
    res = run_cli(["info", p, "-f", "json", "-q"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["inputs"][0]["key"] == "embeddings" and doc["inputs"][0]["rows"] == 20
    assert doc["inputs"][0]["path"] == str(p)


def test_a_single_array_records_no_key(tmp_path, run_cli):
    np.savez(tmp_path / "one.npz", X)
    doc = json.loads(run_cli(["info", tmp_path / "one.npz", "-f", "json", "-q"]).stdout)
    assert doc["inputs"][0]["key"] is None
