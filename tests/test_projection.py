"""Maps: PCA against scikit-learn, hyperbolic UMAP on the disk, reproducibility, the project command."""
from __future__ import annotations

import numpy as np
import pytest


def test_pca_matches_sklearn(rng):
    from sklearn.decomposition import PCA

    from embgeo.projection import project

    X = rng.normal(size=(200, 12)) @ np.diag(np.linspace(3, 0.2, 12)) + 5.0  # offset: centring matters
    p = project(X, method="pca")
    ref = PCA(n_components=2, svd_solver="full").fit(X)
    Z = ref.transform(X)
    # same axes up to sign (float64 eigh vs SVD: agreement to rounding)
    signs = np.sign(np.sum(Z * p.coordinates, axis=0))
    np.testing.assert_allclose(p.coordinates, Z * signs, atol=1e-9)
    np.testing.assert_allclose(p.explained_variance, ref.explained_variance_ratio_, rtol=1e-9)
    assert p.method == "pca" and not p.disk and p.n_mapped == 200


def test_pca_sample_and_bad_input(rng):
    from embgeo.errors import EmbgeoError
    from embgeo.projection import project

    X = rng.normal(size=(50, 4))
    p = project(X, method="pca", sample=20, seed=3)
    assert p.rows.size == 20 and np.all(np.diff(p.rows) > 0)
    assert np.array_equal(project(X, method="pca", sample=20, seed=3).rows, p.rows)
    with pytest.raises(EmbgeoError, match="method must be one of"):
        project(X, method="tsne")
    with pytest.raises(EmbgeoError):
        project(np.full((5, 3), np.nan), method="pca")


def test_hyperboloid_to_disk_preserves_distances(rng):
    from embgeo.hyperbolic.math import poincare_pairwise
    from embgeo.projection import hyperboloid_to_disk

    xy = rng.normal(scale=3.0, size=(30, 2))
    disk, H = hyperboloid_to_disk(xy)
    assert np.all(np.linalg.norm(disk, axis=1) < 1)
    # Lorentz distance arcosh(z_i z_j − x_i·x_j) equals the Poincaré distance of the mapped points
    G = H[:, :1] * H[:, :1].T - xy @ xy.T
    np.testing.assert_allclose(poincare_pairwise(disk), np.arccosh(np.maximum(G, 1.0)), atol=1e-6)  # arccosh(1 + ε) ≈ √(2ε): rounding of z² ~ 1e-13 gives ~5e-7 on the diagonal


@pytest.mark.slow
def test_umap_is_seeded_and_hyperbolic_lands_on_the_disk(rng):
    from embgeo.projection import UMAP_NOTE, project

    X = np.vstack([rng.normal(size=(30, 6)), rng.normal(size=(30, 6)) + 6.0])
    a = project(X, method="hyperbolic-umap", n_neighbors=8, n_epochs=30, seed=7)
    b = project(X, method="hyperbolic-umap", n_neighbors=8, n_epochs=30, seed=7)
    np.testing.assert_array_equal(a.coordinates, b.coordinates)  # same seed, same map
    assert a.disk and np.all(np.linalg.norm(a.coordinates, axis=1) < 1)
    np.testing.assert_allclose(a.hyperboloid[:, 0] ** 2 - np.sum(a.hyperboloid[:, 1:] ** 2, axis=1), 1.0, rtol=1e-9)
    assert UMAP_NOTE in a.notes


def test_project_command_writes_map_and_coords(run_cli, tmp_path, rng):
    X = rng.normal(size=(40, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    (tmp_path / "l.csv").write_text("kind\n" + "\n".join("a" if i < 20 else "<b>b</b>" for i in range(40)) + "\n")
    res = run_cli(["project", tmp_path / "x.npy", "--method", "pca", "--labels", tmp_path / "l.csv", "--color-by", "kind",
                   "--out", tmp_path / "map.svg", "--coords", tmp_path / "c.csv", "-f", "json"])
    assert res.code == 0, res.stderr
    import json

    doc = json.loads(res.stdout)
    assert doc["schema"] == "embgeo.project/1" and doc["method"] == "pca" and doc["n_mapped"] == 40
    assert b"<svg" in (tmp_path / "map.svg").read_bytes()[:2000]
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0] == "row,x,y,kind" and len(lines) == 41 and lines[-1].endswith(",<b>b</b>")
    from embgeo.projection import pca_2d

    C, _ = pca_2d(X)
    np.testing.assert_allclose([float(v) for v in lines[1].split(",")[1:3]], C[0], rtol=1e-12)


def test_project_command_bad_input(run_cli, tmp_path, rng):
    np.save(tmp_path / "x.npy", rng.normal(size=(10, 3)))
    for args in (["--out", tmp_path / "m.pdf"], ["--coords", tmp_path / "c.json"], ["--color-by", "nope"]):
        res = run_cli(["project", tmp_path / "x.npy", "--method", "pca", *args])
        assert res.code == 2
        assert res.stderr.startswith("embgeo: error:") and len(res.stderr.strip().splitlines()) == 1
        assert "Traceback" not in res.stderr
