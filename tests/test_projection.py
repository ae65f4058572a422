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
    # n_rows is the rows measured (mapped), as in every command; the input's rows are n_rows_in
    d, m = p.to_dict(), {r.metric: r.value for r in p.metrics()}
    assert (d["n_rows"], d["n_rows_in"], d["n_mapped"]) == (20, 50, 20) and (m["n_rows"], m["n_rows_in"]) == (20, 50)
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
    a = project(X, method="hyperbolic-umap", k=8, n_epochs=30, seed=7)
    b = project(X, method="hyperbolic-umap", k=8, n_epochs=30, seed=7)
    np.testing.assert_array_equal(a.coordinates, b.coordinates)  # same seed, same map
    assert a.disk and np.all(np.linalg.norm(a.coordinates, axis=1) < 1)
    np.testing.assert_allclose(a.hyperboloid[:, 0] ** 2 - np.sum(a.hyperboloid[:, 1:] ** 2, axis=1), 1.0, rtol=1e-9)
    assert UMAP_NOTE in a.notes


def test_project_command_writes_map_and_coords(run_cli, tmp_path, rng):
    import json

    from embgeo.projection import pca_2d

    X = rng.normal(size=(40, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    (tmp_path / "l.csv").write_text("kind\n" + "\n".join("a" if i < 20 else "<b>b</b>" for i in range(40)) + "\n")
    C, ev = pca_2d(X)
    # --plot is the picture ("wrote FILE (map)" on stderr), --coords a side CSV, and JSON the contract with the coordinates
    res = run_cli(["project", tmp_path / "x.npy", "--method", "pca", "--labels", tmp_path / "l.csv", "--color-by", "kind",
                   "--plot", tmp_path / "map.svg", "--coords", tmp_path / "c.csv", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert list(doc) == ["schema", "embgeo_version", "command", "inputs", "settings", "results", "verdict", "notes"]
    r = doc["results"]
    assert doc["schema"] == "embgeo.project/2" and r["method"] == "pca" and (r["n_rows"], r["n_rows_in"], r["n_dims"], r["n_mapped"]) == (40, 40, 5, 40)
    assert doc["verdict"]["status"] == "info" and f"wrote {tmp_path / 'map.svg'} (map)" in res.stderr and "wrote" not in res.stdout
    assert r["coordinates"]["row"] == list(range(40)) and r["coordinates"]["kind"][-1] == "<b>b</b>"
    np.testing.assert_allclose(np.c_[r["coordinates"]["x"], r["coordinates"]["y"]], C, rtol=1e-12)
    assert b"<svg" in (tmp_path / "map.svg").read_bytes()[:2000]
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0] == "row,x,y,kind" and len(lines) == 41 and lines[-1].endswith(",<b>b</b>")
    np.testing.assert_allclose([float(v) for v in lines[1].split(",")[1:3]], C[0], rtol=1e-12)
    # -f csv on stdout (and --out map.csv) is the coordinates, with ids; rows keep their input numbers after drops
    Z = X.copy()
    Z[3] = 0.0
    ids = np.array([f"w{i}" for i in range(40)])
    np.savez(tmp_path / "z.npz", embeddings=Z, ids=ids)
    res = run_cli(["-q", "project", f"{tmp_path / 'z.npz'}:embeddings", "-m", "pca", "--drop-zero", "-f", "csv"])
    assert res.code == 0, res.stderr
    lines = res.stdout.splitlines()
    keep = np.setdiff1d(np.arange(40), [3])
    C2, _ = pca_2d(Z[keep])
    assert lines[0] == "row,id,x,y" and len(lines) == 40 and lines[4].startswith("4,w4,")
    np.testing.assert_allclose([[float(v) for v in ln.split(",")[2:]] for ln in lines[1:]], C2, rtol=1e-12)
    res = run_cli(["-q", "project", f"{tmp_path / 'z.npz'}:embeddings", "-m", "pca", "--drop-zero", "--out", tmp_path / "m.csv"])
    assert res.code == 0 and res.stdout == "" and (tmp_path / "m.csv").read_text() == "\n".join(lines) + "\n"
    # the summary table goes to stdout, messages to stderr
    res = run_cli(["project", tmp_path / "x.npy", "-m", "pca", "-f", "md"])
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in res.stdout.splitlines() if ln.startswith("| ")]
    assert rows[0] == ["metric", "axis", "value", "ci_low", "ci_high", "unit", "status"]  # the ids of the JSON (and the metrics)
    doc = json.loads(run_cli(["-q", "project", tmp_path / "x.npy", "-m", "pca", "-f", "json"]).stdout)["results"]
    got = {(r[0], r[1]): r[2] for r in rows[2:]}
    assert [float(got[("explained_variance", f"pc{i}")]) for i in (1, 2)] == pytest.approx(doc["explained_variance"], rel=1e-5)
    assert got[("n_mapped", "")] == str(doc["n_mapped"]) and got[("method", "")] == "pca" and got[("params.centred", "")] == "true"
    assert not any(" " in k for k, _ in got)  # no "rows mapped", "explained variance (PC1, PC2)"


def test_project_command_bad_input(run_cli, tmp_path, rng):
    np.save(tmp_path / "x.npy", rng.normal(size=(10, 3)))
    for args in (["--plot", tmp_path / "m.pdf"], ["--out", tmp_path / "m.png"], ["--coords", tmp_path / "c.json"],
                 ["--color-by", "nope"], ["-f", "json", "--out", tmp_path / "m.csv"]):
        res = run_cli(["project", tmp_path / "x.npy", "--method", "pca", *args])
        assert res.code == 2
        assert res.stderr.startswith("embgeo: error:") and len(res.stderr.strip().splitlines()) == 1
        assert "Traceback" not in res.stderr


def test_identical_rows_are_refused_not_mapped(run_cli, tmp_path):
    """Every row the same vector: PCA drew all of them at the origin (exit 0); now one line, exit 2."""
    np.save(tmp_path / "same.npy", np.tile(np.arange(8.0), (50, 1)))
    for method in ("pca", "umap"):
        r = run_cli(["project", tmp_path / "same.npy", "--method", method])
        last = r.stderr.strip().splitlines()[-1]  # (umap first says it compiles)
        assert r.code == 2 and r.stderr.count("embgeo: error") == 1 and "every row is the same vector" in last, r.stderr
