"""Per-layer estimates, neighbourhood overlap, and the ``embgeo id`` command."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.datasets import synthetic as syn
from embgeo.errors import EmbgeoError
from embgeo.intrinsic.summary import intrinsic_dimension
from embgeo.intrinsic.layers import layer_dimensions, neighbourhood_overlap


def make_stack(n=600, seed=0):
    """layer0: a 3-ball in 16 dims; layer1: the same points rotated, scaled and shifted; layer2: unrelated noise."""
    rng = np.random.default_rng(seed)
    Z = syn.ball(n, 3, seed=seed) @ np.linalg.qr(rng.standard_normal((16, 3)))[0].T
    R = np.linalg.qr(rng.standard_normal((16, 16)))[0]
    return np.stack([Z, 2.5 * Z @ R + 7.0, rng.standard_normal((n, 16))])


def test_overlap_closed_form():
    a = np.array([[1, 2, 3], [4, 5, 6]])
    b = np.array([[3, 2, 9], [7, 8, 0]])
    np.testing.assert_allclose(neighbourhood_overlap(a, b), [2 / 3, 0.0], rtol=0)
    np.testing.assert_allclose(neighbourhood_overlap(a, a[:, ::-1]), [1.0, 1.0], rtol=0)  # order does not matter
    with pytest.raises(EmbgeoError, match="same"):
        neighbourhood_overlap(a, b[:, :2])


def test_layers_overlap_and_per_layer_estimates():
    stack = make_stack()
    rep = layer_dimensions(stack, methods="twonn,mle,pca", n_boot=0, overlap_k=10)
    # an isometry up to scale keeps every neighbourhood: overlap exactly 1
    assert rep.overlap[0] == 1.0
    # unrelated layers: each of the 10 neighbours matches by chance with p = 10/599; the mean over
    # 600 rows has sd ≈ sqrt(10·p)/(10·sqrt(600)) ≈ 0.0017 → 0.0167 ± 0.01 is > 5 sd
    assert abs(rep.overlap[1] - 10 / 599) < 0.01
    # per-layer numbers are exactly those of a single-matrix call, and similar layers agree
    single = intrinsic_dimension(stack[0], methods="twonn,mle,pca", n_boot=0)
    assert rep.reports[0].twonn.dimension == single.twonn.dimension
    np.testing.assert_allclose(rep.reports[1].twonn.dimension, single.twonn.dimension, rtol=1e-8)  # isometry
    np.testing.assert_allclose(rep.reports[0].twonn.dimension, 3, rtol=0.12)
    assert rep.reports[2].twonn.dimension > 10  # 16-d noise
    cols, rows = rep.table()
    assert cols[0] == "layer" and len(rows) == 3 and rows[2][-1] is None
    d = rep.to_dict()
    json.dumps(d)
    assert [layer["layer"] for layer in d["layers"]] == ["layer0", "layer1", "layer2"]
    assert d["layers"][0]["overlap_next"] == 1.0


def test_layers_use_the_same_sample():
    stack = make_stack(n=900)
    rep = layer_dimensions(stack, methods="twonn", sample=400, seed=3, n_boot=0)
    assert rep.n_used == 400 and rep.overlap[0] == 1.0  # same rows in each layer, else the overlap would be ~0


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def files(tmp_path):
    X = syn.cube(1200, 5, 40, noise=1e-3, seed=1).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "stack.npy", make_stack(500).astype(np.float32))
    np.save(tmp_path / "l0.npy", make_stack(500)[0])
    np.save(tmp_path / "l1.npy", make_stack(500)[2])
    np.save(tmp_path / "vec.npy", np.arange(10.0))
    np.save(tmp_path / "same.npy", np.ones((30, 4)))
    Xd = X.copy()
    Xd[:60] = Xd[60:120]
    np.save(tmp_path / "dup.npy", Xd)
    return tmp_path


def test_cli_json(run_cli, files):
    r = run_cli(["id", files / "x.npy", "--method", "twonn,mle,pca", "--bootstrap", "20", "-f", "json"])
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["schema"] == "embgeo.id/1"
    assert set(("twonn", "mle", "pca")) <= set(d) and "gride" not in d
    ref = intrinsic_dimension(np.load(files / "x.npy"), methods="twonn,mle,pca", n_boot=20)
    assert d["twonn"]["dimension"] == pytest.approx(ref.twonn.dimension, rel=1e-12)
    assert d["twonn"]["interval"] == pytest.approx(list(ref.twonn.interval), rel=1e-12)
    np.testing.assert_allclose(d["twonn"]["dimension"], 5, rtol=0.1)  # a 5-cube; 10 %: see test_intrinsic
    assert any("underestimates" in n for n in d["notes"])


def test_cli_table_has_caveat_and_all_methods(run_cli, files):
    r = run_cli(["id", files / "x.npy", "--gride-max", "16", "--bootstrap", "10", "--sample", "800"])
    assert r.code == 0, r.stderr
    for m in ("twonn", "mle", "gride", "pca", "rankme", "entropy"):
        assert m in r.stdout
    assert "underestimates high dimensions" in r.stdout
    assert "sample of 800 of 1200" in r.stdout


def test_cli_duplicates_reported(run_cli, files):
    r = run_cli(["id", files / "dup.npy", "-m", "twonn", "-f", "json", "--bootstrap", "0"])
    assert r.code == 0
    d = json.loads(r.stdout)
    assert d["n_duplicates_dropped"] == 60 and d["n_used"] == 1140
    assert "60 exact duplicate rows dropped" in r.stderr


def test_cli_layers(run_cli, files):
    r = run_cli(["id", files / "stack.npy", "--layers", "-m", "twonn,pca", "-f", "json", "--bootstrap", "0"])
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert len(d["layers"]) == 3 and d["layers"][0]["overlap_next"] == 1.0
    r = run_cli(["id", files / "l0.npy", files / "l1.npy", "--layers", "-m", "twonn", "-f", "csv", "--bootstrap", "0"])
    assert r.code == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("layer,twonn") and lines[1].startswith("l0,") and lines[2].startswith("l1,")


@pytest.mark.parametrize("opts, kwargs", [
    (["--discard", "0"], dict(discard_fraction=0.0)),
    (["--discard", "0.5"], dict(discard_fraction=0.5)),
    (["--variant", "linear"], dict(twonn_variant="linear")),
])
def test_cli_twonn_options_reach_the_estimator(run_cli, files, opts, kwargs):
    from embgeo.intrinsic.estimators import twonn_dimension

    X = np.load(files / "x.npy")
    ref = twonn_dimension(X, n_boot=0, discard_fraction=kwargs.get("discard_fraction", 0.1), variant=kwargs.get("twonn_variant", "mle"))
    default = twonn_dimension(X, n_boot=0)
    assert abs(ref.dimension - default.dimension) > 1e-3  # the option matters on this data
    d = json.loads(run_cli(["id", files / "x.npy", "-m", "twonn", "--bootstrap", "0", *opts, "-f", "json"]).stdout)["twonn"]
    assert d["dimension"] == pytest.approx(ref.dimension, rel=1e-12)
    assert d["variant"] == ref.variant and d["discard_fraction"] == ref.discard_fraction
    lay = json.loads(run_cli(["id", files / "l0.npy", files / "l1.npy", "--layers", "-m", "twonn", "--bootstrap", "0", *opts, "-f", "json"]).stdout)
    for layer, name in zip(lay["layers"], ("l0", "l1")):
        ref_l = twonn_dimension(np.load(files / f"{name}.npy"), n_boot=0, **{("variant" if k == "twonn_variant" else k): v for k, v in kwargs.items()})
        assert layer["twonn"]["dimension"] == pytest.approx(ref_l.dimension, rel=1e-12)


@pytest.mark.parametrize(
    "args, words",
    [
        (["vec.npy"], "1-D"),
        (["same.npy", "-m", "twonn"], "only 1 distinct rows among 30"),
        (["x.npy", "-m", "twonn,bogus"], "unknown method 'bogus'"),
        (["x.npy", "x.npy"], "without --layers pass exactly one"),
        (["same.npy", "-m", "mle", "--k", "40"], "MLE up to --k needs 40 neighbours"),
    ],
)
def test_cli_bad_input(run_cli, files, args, words):
    r = run_cli(["id", files / args[0], *args[1:]])
    assert r.code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error:") and words in lines[0]
    assert "Traceback" not in r.stderr


def test_cli_plot_written(run_cli, files, tmp_path):
    png = tmp_path / "id.png"
    r = run_cli(["id", files / "stack.npy", "--layers", "-m", "twonn", "--bootstrap", "0", "-f", "csv", "--plot", png])
    assert r.code == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "plot:" in r.stderr
    assert r.stdout.startswith("layer,twonn")  # stdout carries only the data
