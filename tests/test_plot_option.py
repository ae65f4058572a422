"""`--plot FILE` on every analysis command writes a real image of what was computed."""
from __future__ import annotations

import numpy as np
import pytest

from embgeo.datasets import path
from embgeo.datasets.synthetic import paired_gap, subspace

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plots")
    x, y, _ = paired_gap(200, 16, gap=0.5, seed=1)
    np.save(tmp / "x.npy", x.astype(np.float32))
    np.save(tmp / "y.npy", y.astype(np.float32))
    z = subspace(300, 4, 20, noise=0.01, seed=2).astype(np.float32)
    np.save(tmp / "z.npy", z)
    attr = z @ np.linspace(1, 2, 20) + 0.1 * np.random.default_rng(3).standard_normal(300)
    (tmp / "z.csv").write_text("score\n" + "\n".join(f"{v:.6f}" for v in attr) + "\n")
    return tmp


CASES = {
    "uniformity": lambda f: ["uniformity", f / "x.npy", "--pairs", f / "y.npy"],
    "gap": lambda f: ["gap", f / "x.npy", f / "y.npy"],
    "id": lambda f: ["id", f / "z.npy", "--method", "twonn,pca"],
    "cosine": lambda f: ["cosine", f / "z.npy", "--n-pairs", "2000"],
    "rank": lambda f: ["rank", f / "z.npy", "--labels", f / "z.csv", "--attr", "score", "--method", "regression", "--bootstrap", "50", "--shuffles", "50", "--random-directions", "100"],
    "combinatorial": lambda f: ["hyperbolic", "combinatorial", path("smalltree")],
    "hmds": lambda f: ["hyperbolic", "hmds", path("smalltree"), "--dim", "2"],
    "train": lambda f: ["hyperbolic", "train", path("smalltree"), "--dim", "2", "--epochs", "5", "--coords", f / "t.npz"],
}


@pytest.mark.parametrize("name", list(CASES))
def test_plot_is_written(name, files, run_cli):
    out = files / f"{name}.png"
    res = run_cli(["-q", *CASES[name](files), "--plot", out, "-f", "json"])
    assert res.code == 0, res.stderr
    assert out.read_bytes()[:8] == PNG and out.stat().st_size > 5000


def test_eval_plot_draws_the_embedding(files, run_cli):
    run_cli(["-q", "hyperbolic", "train", path("smalltree"), "--dim", "2", "--epochs", "5", "--coords", files / "e.npz"])
    res = run_cli(["-q", "hyperbolic", "eval", files / "e.npz", path("smalltree"), "--protocol", "all", "--plot", files / "e.svg"])
    assert res.code == 0, res.stderr
    assert (files / "e.svg").read_text().lstrip().startswith("<?xml")


def test_eval_plot_histogram_uses_the_evaluations_sources_and_seed(files, run_cli, monkeypatch):
    """The histogram drew 300 source nodes with seed 0 whatever --distortion-sources and --seed said."""
    import embgeo.plots.hyperbolic as ph

    seen = []
    real = ph.pair_distortions

    def spy(*args, **kwargs):
        seen.append((kwargs.get("distortion_sources"), kwargs.get("seed")))
        return real(*args, **kwargs)

    monkeypatch.setattr(ph, "pair_distortions", spy)
    run_cli(["-q", "hyperbolic", "train", path("smalltree"), "--dim", "2", "--epochs", "5", "--coords", files / "e2.npz"])
    base = ["-q", "hyperbolic", "eval", files / "e2.npz", path("smalltree"), "-f", "json"]
    assert run_cli([*base, "--distortion-sources", "5", "--seed", "3", "--plot", files / "e2.png"]).code == 0
    assert run_cli([*base, "--plot", files / "e3.png"]).code == 0
    assert seen == [(5, 3), (None, 0)]  # None: every node, as the evaluation itself


def test_poincare_plot_draws_the_coordinates():
    from embgeo.hyperbolic.graphs import read_hierarchy
    from embgeo.hyperbolic.poincare import train_poincare
    from embgeo.plots import plot_result

    h = read_hierarchy(path("smalltree"))
    r = train_poincare(h, dim=2, epochs=3, seed=0)
    fig = plot_result(r, hierarchy=h)
    offsets = fig.axes[0].collections[-1].get_offsets()
    np.testing.assert_allclose(np.asarray(offsets), r.coordinates, rtol=1e-12)  # the points drawn are the embedding


def test_trainer_device_falls_back_with_a_message(tmp_path, run_cli):
    """`--device cuda` without CUDA trains on the CPU, says so on stderr, and gives the CPU numbers."""
    import json

    a = run_cli(["hyperbolic", "train", path("smalltree"), "--dim", "2", "--epochs", "3", "--coords", tmp_path / "a.npz", "-f", "json"])
    b = run_cli(["--device", "cuda", "hyperbolic", "train", path("smalltree"), "--dim", "2", "--epochs", "3", "--coords", tmp_path / "b.npz", "-f", "json"])
    import torch

    if not torch.cuda.is_available():
        assert "no CUDA device" in b.stderr
    np.testing.assert_allclose(np.load(tmp_path / "a.npz")["embeddings"], np.load(tmp_path / "b.npz")["embeddings"], rtol=1e-12)
    assert json.loads(a.stdout)["results"]["map"] == json.loads(b.stdout)["results"]["map"]
