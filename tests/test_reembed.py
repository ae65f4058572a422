"""Re-embedding an embedding matrix: classical MDS closed form, tree-like data favour the ball,
flat data do not, the hyperboloid → disk map of hyperbolic UMAP, and the CLI."""
from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from embgeo.errors import EmbgeoError
from embgeo.hyperbolic.reembed import classical_mds, reembed, umap_disk


def tree_cloud(n=300, d=20, seed=0):
    """Points along the edges of a random tree in R^d (each node = parent + Gaussian step)."""
    rng = np.random.default_rng(seed)
    pts = [np.zeros(d)]
    for i in range(1, n):
        p = int(rng.integers(max(0, i // 2 - 1), i)) if i > 1 else 0
        pts.append(pts[p] + rng.standard_normal(d))
    return np.array(pts)


def test_classical_mds_recovers_planar_points():
    X = np.random.default_rng(0).standard_normal((50, 2))
    Y, w = classical_mds(cdist(X, X), dim=2)
    np.testing.assert_allclose(cdist(Y, Y), cdist(X, X), atol=1e-9)  # exact up to round-off
    assert w[0] >= w[1] > 0


def test_tree_like_data_prefer_the_ball():
    r = reembed(tree_cloud(), dim=2, k=5)
    h, e = r.methods[0], r.methods[1]
    assert h["method"] == "h-MDS" and e["method"] == "classical MDS"
    assert h["distortion_avg"] < e["distortion_avg"]  # measured 0.18 vs 0.25 on the 600-point version
    assert r.coordinates_hmds.shape == (r.n_used, 2) and np.all(np.linalg.norm(r.coordinates_hmds, axis=1) < 1)


def test_flat_data_gain_nothing():
    X = np.random.default_rng(1).uniform(size=(300, 2))
    r = reembed(X, dim=2, k=10)
    h, e = r.methods[0], r.methods[1]
    # a flat square: Euclidean MDS is (nearly) exact, h-MDS at best matches it
    assert e["distortion_avg"] <= h["distortion_avg"] + 0.01
    assert not r.hyperbolic_better or abs(h["distortion_avg"] - e["distortion_avg"]) < 0.01


def test_disconnected_graph_keeps_largest_part():
    rng = np.random.default_rng(2)
    X = np.r_[rng.standard_normal((60, 3)), rng.standard_normal((20, 3)) + 100.0]
    r = reembed(X, dim=2, k=4)
    assert r.n_used == 60 and any("connected parts" in s for s in r.notes)


def test_umap_disk_mapping(monkeypatch):
    # a stand-in umap module: fit_transform returns known hyperboloid space coordinates
    pts = np.array([[0.0, 0.0], [3.0, 4.0], [-1.0, 0.5]])

    class FakeUMAP:
        def __init__(self, **kw):
            assert kw["output_metric"] == "hyperboloid" and kw["n_components"] == 2

        def fit_transform(self, X):
            return pts.astype(np.float32)

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    disk = umap_disk(np.zeros((3, 4)), k=2)
    z = np.sqrt(1 + (pts ** 2).sum(1))
    np.testing.assert_allclose(disk, pts / (1 + z)[:, None], rtol=1e-7)  # float32 round trip
    np.testing.assert_allclose(disk[1], [3 / (1 + np.sqrt(26)), 4 / (1 + np.sqrt(26))], rtol=1e-7)
    assert np.all(np.linalg.norm(disk, axis=1) < 1)


def test_bad_input():
    with pytest.raises(EmbgeoError, match="k must"):
        reembed(np.zeros((10, 3)) + np.arange(10)[:, None], k=0)
    with pytest.raises(EmbgeoError, match="scale"):
        reembed(np.random.default_rng(3).standard_normal((20, 3)), scale="big")


def test_cli(run_cli, tmp_path):
    f = tmp_path / "x.npy"
    np.save(f, tree_cloud(150))
    coords = tmp_path / "c.csv"
    res = run_cli(["hyperbolic", "reembed", f, "--dim", "2", "--k", "5", "--format", "json", "--coords-out", coords])
    assert res.code == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["schema"] == "embgeo.hyperbolic.reembed/1"
    for key in ("map", "distortion_avg", "distortion_worst", "methods", "hyperbolic_better"):
        assert key in d
    head = coords.read_text().splitlines()[0]
    assert head == "id,x1,x2,mds1,mds2"
    res = run_cli(["hyperbolic", "reembed", f, "--scale", "big"])
    assert res.code == 2 and res.stderr.startswith("embgeo: error:") and len(res.stderr.strip().splitlines()) == 1
