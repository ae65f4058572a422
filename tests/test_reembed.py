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
from embgeo.hyperbolic.verdicts import compare_verdict


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
    assert h["method"] == "hmds" and e["method"] == "mds"
    assert h["distortion_mean"] < e["distortion_mean"]  # measured 0.18 vs 0.25 on the 600-point version
    v = r.verdict()
    assert v.status != "bad" and str(round(h["distortion_mean"], 3))[:4] in v.reason
    assert r.coordinates_hmds.shape == (r.n_rows, 2) and np.all(np.linalg.norm(r.coordinates_hmds, axis=1) < 1)


def test_flat_data_gain_nothing():
    X = np.random.default_rng(1).uniform(size=(300, 2))
    r = reembed(X, dim=2, k=10)
    h, e = r.methods[0], r.methods[1]
    # a flat square: Euclidean MDS is (nearly) exact, h-MDS at best matches it
    assert e["distortion_mean"] <= h["distortion_mean"] + 0.01
    assert not r.hyperbolic_better or abs(h["distortion_mean"] - e["distortion_mean"]) < 0.01
    assert r.verdict().status in ("bad", "warn")


@pytest.mark.parametrize("ball, plane, status, by", [
    ((0.80, 0.20), (0.70, 0.20), "ok", "map_sala"),                 # MAP wins, distortion ties: MAP decided
    ((0.70, 0.10), (0.70, 0.20), "ok", "distortion_mean"),     # distortion wins (half the plane's), MAP ties
    ((0.70, 0.30), (0.71, 0.20), "bad", "distortion_mean"),    # the plane wins on distortion, MAP ties
    ((0.50, 0.20), (0.70, 0.20), "bad", "map_sala"),
    ((0.70, 0.20), (0.71, 0.205), "warn", "map_sala"),              # both tie (0.01 < 0.02; 2.4 % < 5 %); MAP's margin is larger
    # disagree: MAP +0.20 is 10 tie units, distortion −100 % is 20: distortion decides, for the plane
    ((0.90, 0.40), (0.70, 0.20), "warn", "distortion_mean"),
])
def test_compare_verdict_planted(ball, plane, status, by):
    v = compare_verdict(ball[0], plane[0], ball[1], plane[1], dim=3)
    assert (v.status, v.decided_by) == (status, by)
    assert f"{ball[0]:.3f}" in v.reason and f"{plane[1]:.3f}" in v.reason
    if status == "warn" and ball == (0.90, 0.40):
        # the disagreement says which side the larger margin favours, and both margins
        assert "the larger margin leans to the plane" in v.reason and "which favours the plane by 20.0×" in v.reason
        assert "favours the ball by 10.0×" in v.reason
    # the reason says what decided, and a tie reads as a tie only when it is one
    decider = f"MAP (map_sala) {ball[0]:.3f} vs {plane[0]:.3f}" if by == "map_sala" else f"mean distortion {ball[1]:.3f} vs {plane[1]:.3f}"
    if status in ("ok", "bad"):
        assert f"decided by {decider};" in v.reason
        assert ("the Poincaré ball fits better" if status == "ok" else "the plane fits better") in v.reason
        assert v.reason.count("is a tie") == 1  # each planted ok/bad case has one tie: the other comparison
    elif ball == (0.70, 0.20):
        assert "are both ties" in v.reason
    assert "tie within" not in v.reason and "count as ties" in v.reason


def test_compare_verdict_reason_from_the_docs():
    """docs/hyperbolic-sala.md's reembed: distortion decided (0.185 vs 0.285 is 35 % better), MAP a tie."""
    v = compare_verdict(0.480, 0.496, 0.185, 0.285, dim=2)
    assert (v.status, v.decided_by) == ("ok", "distortion_mean")
    assert "decided by mean distortion 0.185 vs 0.285; MAP (map_sala) 0.480 vs 0.496 is a tie" in v.reason


def test_disconnected_graph_keeps_largest_part():
    rng = np.random.default_rng(2)
    X = np.r_[rng.standard_normal((60, 3)), rng.standard_normal((20, 3)) + 100.0]
    r = reembed(X, dim=2, k=4)
    assert r.n_rows == 60 and any("connected parts" in s for s in r.notes)


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
    res = run_cli(["hyperbolic", "reembed", f, "--dim", "2", "--k", "5", "--format", "json", "--coords", coords])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    d = doc["results"]
    assert doc["schema"] == "embgeo.hyperbolic.reembed/2"
    for key in ("map_sala", "distortion_mean", "distortion_worst", "methods", "hyperbolic_better"):
        assert key in d
    assert "map" not in d and all("map" not in m for m in d["methods"])  # map is only the Nickel–Kiela MAP
    assert d["n_rows"] == 150 and d["n_dims"] == tree_cloud(150).shape[1] and doc["settings"]["k"] == 5
    h, e = d["methods"][0], d["methods"][1]
    assert (h["method"], e["method"]) == ("hmds", "mds")
    from embgeo.errors import use_surface

    with use_surface("cli"):  # the fix as the command line words it (--dim, --k)
        assert doc["verdict"] == compare_verdict(h["map_sala"], e["map_sala"], h["distortion_mean"], e["distortion_mean"], dim=2).to_dict()
    assert d["hyperbolic_better"] == (doc["verdict"]["status"] == "ok")
    head = coords.read_text().splitlines()[0]
    assert head == "id,x1,x2,mds1,mds2"
    res = run_cli(["hyperbolic", "reembed", f, "--scale", "big"])
    assert res.code == 2 and res.stderr.startswith("embgeo: error:") and len(res.stderr.strip().splitlines()) == 1
