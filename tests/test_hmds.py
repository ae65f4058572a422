"""h-MDS: exact recovery of hyperbolic points (centred), the uncentred variant's lost dimension,
partial eigensolver, overflow/round-off reporting, refinement, bad input and the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.datasets import path
from embgeo.errors import EmbgeoError
from embgeo.hyperbolic.hmds import hmds, hyperboloid_pairwise


def hyperbolic_points(n, r, seed, *, max_radius=3.0, boost=1.5):
    """Points of H^r on the hyperboloid, moved off-centre by a Lorentz boost of rapidity ``boost``."""
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((n, r))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    rad = rng.uniform(0.0, max_radius, n)
    H = np.column_stack([np.cosh(rad), np.sinh(rad)[:, None] * V])
    c, s = np.cosh(boost), np.sinh(boost)
    t, x = H[:, 0].copy(), H[:, 1].copy()
    H[:, 0], H[:, 1] = c * t + s * x, s * t + c * x
    return H


def test_pairwise_closed_form():
    # origin to a point at radius ρ: distance ρ; two points at ±ρ along one axis: 2ρ
    rho = 2.5
    H = np.array([[1.0, 0.0], [np.cosh(rho), np.sinh(rho)], [np.cosh(rho), -np.sinh(rho)]])
    D = hyperboloid_pairwise(H)
    np.testing.assert_allclose(D[0, 1], rho, rtol=1e-14)
    np.testing.assert_allclose(D[1, 2], 2 * rho, rtol=1e-14)


@pytest.mark.parametrize("solver", ["dense", "partial"])
def test_recovers_h5_exactly(solver):
    H = hyperbolic_points(300, 5, seed=0)
    D = hyperboloid_pairwise(H)
    r = hmds(D, dim=5, scale=1.0, solver=solver)
    assert r.dims_recovered == 5
    # the bar: max distance error ≤ 1e-6 (we see ~1e-13)
    assert r.max_abs_error <= 1e-6
    np.testing.assert_allclose(hyperboloid_pairwise(r.hyperboloid), D, atol=1e-6)
    assert np.all(np.linalg.norm(r.coordinates, axis=1) < 1.0)


def test_scale_is_undone():
    H = hyperbolic_points(120, 3, seed=1, max_radius=1.0)
    D = hyperboloid_pairwise(H) / 2.0  # the data are H^3 distances divided by 2: t = 2 recovers them
    r = hmds(D, dim=3, scale=2.0)
    assert r.max_abs_error <= 1e-6


def test_uncentred_variant_loses_a_dimension():
    D = hyperboloid_pairwise(hyperbolic_points(200, 5, seed=2))
    r = hmds(D, dim=5, centred=False)
    assert r.dims_recovered == 4  # the Perron direction of −Y is negative and dropped
    assert r.max_abs_error > 1e-2


def test_overflow_and_roundoff_reported():
    D = hyperboloid_pairwise(hyperbolic_points(50, 2, seed=3))
    with pytest.raises(EmbgeoError, match="overflows float64"):
        hmds(D, dim=2, scale=1000.0)
    # asking for 4 dims of 2-D data: the extra eigenvalues are round-off (or non-positive)
    r = hmds(D, dim=4)
    assert r.dims_recovered == 2 and r.notes  # the two extra directions are round-off, not recovered dimensions
    assert r.max_abs_error <= 1e-6 and np.all(r.coordinates[:, 2:] == 0.0)


def test_refinement_reduces_distortion():
    pytest.importorskip("geoopt")
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 6))
    D = np.linalg.norm(X[:, None] - X[None], axis=-1)  # a Euclidean (not hyperbolic) metric
    base = hmds(D, dim=2, scale=0.5)
    ref = hmds(D, dim=2, scale=0.5, refine_steps=60, refine_lr=0.02)
    assert ref.distortion_mean < base.distortion_mean


def test_bad_input():
    with pytest.raises(EmbgeoError, match="square"):
        hmds(np.zeros((3, 4)))
    with pytest.raises(EmbgeoError, match="symmetric"):
        hmds(np.array([[0, 1, 2], [1, 0, 1], [3, 1, 0]], dtype=float))
    with pytest.raises(EmbgeoError, match="dim"):
        hmds(np.array([[0, 1], [1, 0]], dtype=float), dim=2)


def test_cli_graph_and_matrix(run_cli, tmp_path):
    res = run_cli(["hyperbolic", "hmds", path("smalltree"), "--dim", "2", "--scale", "2", "--format", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["schema"] == "embgeo.hyperbolic.hmds/2" and doc["command"] == "hyperbolic hmds"
    d = doc["results"]
    for key in ("map_sala", "distortion_mean", "distortion_worst", "dims_recovered"):
        assert key in d
    assert "map" not in d  # the id map is only the Nickel–Kiela MAP
    assert d["n_rows"] == 40 and d["n_dims"] == 2 and doc["settings"]["scale"] == 2.0
    # the verdict is the tree rule on the numbers reported beside it
    from embgeo.hyperbolic.verdicts import tree_verdict

    ref = tree_verdict(d["map_sala"], d["distortion_mean"], map_id="map_sala", what="h-MDS at dim 2, scale 2")
    assert (doc["verdict"]["status"], doc["verdict"]["reason"], doc["verdict"]["decided_by"]) == (ref.status, ref.reason, ref.decided_by)
    assert ref.status == "bad" and ref.decided_by == "map_sala" and "--dim" in doc["verdict"]["fix"]  # MAP 0.25 < 0.5 decides
    csv_rows = {r.split(",")[0]: r.split(",") for r in run_cli(["hyperbolic", "hmds", path("smalltree"), "--scale", "2", "-f", "csv"]).stdout.splitlines()[1:]}
    assert float(csv_rows["distortion_mean"][1]) == d["distortion_mean"] and float(csv_rows["map_sala"][1]) == d["map_sala"] and "map" not in csv_rows
    assert run_cli(["hyperbolic", "hmds", path("smalltree"), "-t", "2"]).code == 2  # --t is the uniformity temperature only
    D = hyperboloid_pairwise(hyperbolic_points(40, 3, seed=5))
    f = tmp_path / "d.npy"
    np.save(f, D)
    res = run_cli(["hyperbolic", "hmds", f, "--dim", "3", "--format", "json"])
    d = json.loads(res.stdout)["results"]
    assert d["max_abs_error"] <= 1e-6 and d["map_sala"] is None
    bad = tmp_path / "bad.npy"
    np.save(bad, np.ones((3, 4)))
    res = run_cli(["hyperbolic", "hmds", bad])
    assert res.code == 2 and res.stderr.startswith("embgeo: error:") and len(res.stderr.strip().splitlines()) == 1


def test_coinciding_points_are_counted_alike_whatever_the_round_off():
    # smalltree in 2 dims: a degenerate eigenspace and many leaves on one point; which of them
    # come out at exactly 0 or at 1e-15 depends on the LAPACK path (here: the node order).
    # MAP, mean distortion and the collapsed-pair count must not.
    from embgeo.hyperbolic.graphs import graph_distances, read_hierarchy

    h = read_hierarchy(path("smalltree"))
    D = np.asarray(graph_distances(h), dtype=np.float64)
    P = h.adjacency(symmetric=True)
    base = hmds(D, dim=2, scale=2.0, positives=P)
    rng = np.random.default_rng(1)
    for _ in range(4):
        o = rng.permutation(D.shape[0])
        r = hmds(D[np.ix_(o, o)], dim=2, scale=2.0, positives=P[o][:, o])
        assert r.map_sala == pytest.approx(base.map_sala, abs=1e-12)
        assert r.distortion_mean == pytest.approx(base.distortion_mean, rel=1e-9)
        assert [n for n in r.notes if "same point" in n] == [n for n in base.notes if "same point" in n]
    assert any("117 pairs" in n for n in base.notes)


def test_dim_and_scale_must_be_numbers_of_the_right_kind():
    """dim=2.0 read "--dim 2.0 is not possible for 14 points"; scale=True ran as 1."""
    from embgeo.errors import EmbgeoError
    from embgeo.hyperbolic.hmds import hmds

    P = np.random.default_rng(0).normal(size=(14, 3))
    D = np.sqrt(((P[:, None] - P[None]) ** 2).sum(-1))
    with pytest.raises(EmbgeoError, match="dim must be a whole number"):
        hmds(D, dim=2.0)
    with pytest.raises(EmbgeoError):
        hmds(D, dim=2, scale=True)
    assert hmds(D, dim=2).coordinates.shape == (14, 2)
