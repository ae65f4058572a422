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
    rep = layer_dimensions(stack, methods="twonn,mle,pca", n_bootstrap=0, overlap_k=10)
    # an isometry up to scale keeps every neighbourhood: overlap exactly 1
    assert rep.overlap[0] == 1.0
    # unrelated layers: each of the 10 neighbours matches by chance with p = 10/599; the mean over
    # 600 rows has sd ≈ sqrt(10·p)/(10·sqrt(600)) ≈ 0.0017 → 0.0167 ± 0.01 is > 5 sd
    assert abs(rep.overlap[1] - 10 / 599) < 0.01
    # per-layer numbers are exactly those of a single-matrix call, and similar layers agree
    single = intrinsic_dimension(stack[0], methods="twonn,mle,pca", n_bootstrap=0)
    assert rep.reports[0].twonn.dimension == single.twonn.dimension
    np.testing.assert_allclose(rep.reports[1].twonn.dimension, single.twonn.dimension, rtol=1e-8)  # isometry
    np.testing.assert_allclose(rep.reports[0].twonn.dimension, 3, rtol=0.12)
    assert rep.reports[2].twonn.dimension > 10  # 16-d noise
    cols, rows = rep.estimator_table()
    assert cols[0] == "layer" and len(rows) == 3 and rows[2][-1] is None
    assert cols[1:5] == ["twonn", "twonn_linear", "mle", "mle_k20"] and rows[0][1] == rep.reports[0].twonn.dimension
    scols, srows = rep.spectral_table()
    assert scols == ["layer", "pca"] and srows[1][1] == rep.reports[1].pca.participation_ratio
    d = rep.to_dict()
    json.dumps(d)
    assert [layer["layer"] for layer in d["layers"]] == ["layer0", "layer1", "layer2"]
    assert d["layers"][0]["overlap_next"] == 1.0
    # tidy rows: one per layer per estimate, plus the overlap between consecutive layers
    ms = rep.metrics()
    tw = [m for m in ms if m.metric == "twonn"]
    assert [m.extra["layer"] for m in tw] == ["layer0", "layer1", "layer2"]
    assert [m.value for m in tw] == [r.twonn.dimension for r in rep.reports]
    ov = [m for m in ms if m.metric == "overlap_next"]
    assert [(m.extra["layer"], m.extra["next"], m.value) for m in ov] == [("layer0", "layer1", 1.0), ("layer1", "layer2", rep.overlap[1])]
    # the verdict is the per-layer rule: the 16-d noise layer (TwoNN > 10, MLE lower) or all ok, never made up
    per_layer = [r.verdict().status for r in rep.reports]
    assert rep.verdict().status == ("warn" if "warn" in per_layer else "ok")


def test_layers_use_the_same_sample():
    stack = make_stack(n=900)
    rep = layer_dimensions(stack, methods="twonn", sample=400, seed=3, n_bootstrap=0)
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
    assert list(d) == ["schema", "embgeo_version", "command", "inputs", "settings", "results", "verdict", "notes"]
    assert d["schema"] == "embgeo.id/2" and d["command"] == "id"
    assert d["inputs"] == [{"path": str(files / "x.npy"), "key": None, "rows": 1200, "dims": 40, "dtype": "float32"}]
    assert d["settings"]["method"] == ["twonn", "mle", "pca"] and d["settings"]["k"] == 20 and d["settings"]["seed"] == 0
    res = d["results"]
    assert set(("twonn", "mle", "pca", "twonn_linear", "mle_k20")) <= set(res) and "gride" not in res
    assert res["n_rows"] == 1200 and res["n_dims"] == 40
    ref = intrinsic_dimension(np.load(files / "x.npy"), methods="twonn,mle,pca", n_bootstrap=20)
    assert res["twonn"]["dimension"] == pytest.approx(ref.twonn.dimension, rel=1e-12)
    assert [res["twonn"]["ci_low"], res["twonn"]["ci_high"]] == pytest.approx(list(ref.twonn.interval), rel=1e-12)
    np.testing.assert_allclose(res["twonn"]["dimension"], 5, rtol=0.1)  # a 5-cube; 10 %: see test_intrinsic
    assert d["verdict"] == ref.verdict().to_dict() and d["verdict"]["decided_by"]
    assert res["recommended"]["metric"] == ref.recommended().metric
    assert any("underestimates" in n for n in d["notes"])


def test_cli_method_is_repeatable(run_cli, files):
    # issue 15: `--method a --method b` used to run only b
    a = json.loads(run_cli(["id", files / "x.npy", "-m", "twonn", "--method", "pca", "-m", "mle,rankme", "--bootstrap", "0", "-f", "json"]).stdout)
    assert a["results"]["methods"] == ["twonn", "mle", "pca", "rankme"]
    assert a["settings"]["method"] == ["twonn", "mle", "pca", "rankme"]
    b = json.loads(run_cli(["id", files / "x.npy", "-m", "twonn,mle,pca,rankme", "--bootstrap", "0", "-f", "json"]).stdout)
    assert a["results"] == b["results"]


def test_cli_k_short_and_long(run_cli, files):
    a = json.loads(run_cli(["id", files / "x.npy", "-m", "mle", "-k", "12", "--bootstrap", "0", "-f", "json"]).stdout)
    b = json.loads(run_cli(["id", files / "x.npy", "-m", "mle", "--k", "12", "--bootstrap", "0", "-f", "json"]).stdout)
    assert a["results"]["mle"]["k1"] == 6 and a["results"]["mle"]["k2"] == 12 and a["results"] == b["results"]
    assert a["settings"]["k"] == 12


def test_cli_csv_is_tidy(run_cli, files):
    import csv
    import io

    r = run_cli(["id", files / "x.npy", "-m", "twonn,gride,pca", "--gride-max", "8", "--bootstrap", "10", "-f", "csv"])
    assert r.code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0])[:6] == ["metric", "value", "ci_low", "ci_high", "unit", "status"]
    by = {}
    for row in rows:
        by.setdefault(row["metric"], []).append(row)
    ref = intrinsic_dimension(np.load(files / "x.npy"), methods="twonn,gride,pca", gride_max=8, n_bootstrap=10)
    assert float(by["twonn"][0]["value"]) == ref.twonn.dimension  # full precision
    assert float(by["twonn"][0]["ci_low"]) == ref.twonn.interval[0]
    assert [int(g["k"]) for g in by["gride"]] == [2, 4, 8]
    assert by["pca"][0]["unit"] == "dims" and int(by["pca.components_95"][0]["value"]) == ref.pca.components_95


def test_cli_has_two_tables_caveat_and_sample_check(run_cli, files):
    r = run_cli(["id", files / "x.npy", "--gride-max", "16", "--bootstrap", "10", "--sample", "800"])
    assert r.code == 0, r.stderr
    for m in ("twonn", "twonn_linear", "mle", "mle_k20", "gride.plateau", "pca", "rankme", "entropy"):
        assert m in r.stdout
    out = r.stdout
    # two tables: the estimators, then the spectral measures (their own caption and header)
    assert out.count("┏") == 2 and out.count("└") == 2
    assert out.index("intrinsic-dimension estimators") < out.index("mle_k20") < out.index("└") < out.index("spectral measures (") \
        < out.index("spectral measure ") < out.index("rankme")
    assert "read " in out.split("verdict:")[1]  # the verdict names the estimate to read, and why
    assert "twonn @ 400 rows" in out and "verdict:" in out
    assert "underestimates high dimensions" in out
    assert "sample of 800 of 1200" in out


def test_cli_fail_on_gate(run_cli, files, tmp_path):
    # a plane with noise 0.02 in 10 dims: the estimate depends on scale, and the verdict says so
    rng = np.random.default_rng(0)
    P = np.c_[rng.random((8000, 2)) * 10, np.zeros((8000, 8))] + 0.02 * rng.standard_normal((8000, 10))
    np.save(tmp_path / "plane.npy", P)
    args = ["id", tmp_path / "plane.npy", "-m", "twonn", "--sample", "3000", "--bootstrap", "0", "-f", "json"]
    r = run_cli([*args, "--fail-on", "warn"])
    assert r.code == 1 and json.loads(r.stdout)["verdict"]["decided_by"] == "sample_check.twonn"
    assert "gate" in r.stderr
    assert run_cli([*args, "--fail-on", "bad"]).code == 0
    assert run_cli(["id", files / "x.npy", "-m", "twonn", "--bootstrap", "0", "-f", "json", "--fail-on", "warn"]).code == 0


def test_cli_duplicates_reported(run_cli, files):
    r = run_cli(["id", files / "dup.npy", "-m", "twonn", "-f", "json", "--bootstrap", "0"])
    assert r.code == 0
    d = json.loads(r.stdout)["results"]
    assert d["n_duplicates_dropped"] == 60 and d["n_used"] == 1140
    assert "60 exact duplicate rows dropped" in r.stderr
    # --dedupe drops them before everything (the spectral measures too), and -q silences the message
    r = run_cli(["-q", "id", files / "dup.npy", "-m", "twonn", "-f", "json", "--bootstrap", "0", "--dedupe"])
    d = json.loads(r.stdout)
    assert r.stderr == "" and d["results"]["n_rows"] == 1140 and d["results"]["n_duplicates_dropped"] == 0
    assert d["settings"]["dedupe"] is True


def test_cli_layers(run_cli, files):
    r = run_cli(["id", files / "stack.npy", "--layers", "-m", "twonn,pca", "-f", "json", "--bootstrap", "0"])
    assert r.code == 0, r.stderr
    d = json.loads(r.stdout)
    assert len(d["results"]["layers"]) == 3 and d["results"]["layers"][0]["overlap_next"] == 1.0
    assert d["inputs"] == [{"path": str(files / "stack.npy"), "key": None, "rows": 500, "dims": 16, "dtype": "float32"}]
    r = run_cli(["id", files / "l0.npy", files / "l1.npy", "--layers", "-m", "twonn", "-f", "csv", "--bootstrap", "0"])
    assert r.code == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    head = lines[0].split(",")
    assert head[:6] == ["metric", "value", "ci_low", "ci_high", "unit", "status"] and "layer" in head
    li = head.index("layer")
    tw = [ln.split(",") for ln in lines[1:] if ln.startswith("twonn,")]
    assert [t[li] for t in tw] == ["l0", "l1"]
    assert sum(ln.startswith("overlap_next,") for ln in lines) == 1


@pytest.mark.parametrize("opts, kwargs", [
    (["--discard", "0"], dict(discard_fraction=0.0)),
    (["--discard", "0.5"], dict(discard_fraction=0.5)),
    (["--variant", "linear"], dict(twonn_variant="linear")),
])
def test_cli_twonn_options_reach_the_estimator(run_cli, files, opts, kwargs):
    from embgeo.intrinsic.estimators import twonn_dimension

    X = np.load(files / "x.npy")
    ref = twonn_dimension(X, n_bootstrap=0, discard_fraction=kwargs.get("discard_fraction", 0.1), variant=kwargs.get("twonn_variant", "mle"))
    default = twonn_dimension(X, n_bootstrap=0)
    assert abs(ref.dimension - default.dimension) > 1e-3  # the option matters on this data
    d = json.loads(run_cli(["id", files / "x.npy", "-m", "twonn", "--bootstrap", "0", *opts, "-f", "json"]).stdout)["results"]["twonn"]
    assert d["dimension"] == pytest.approx(ref.dimension, rel=1e-12)
    assert d["variant"] == ref.variant and d["discard"] == ref.discard_fraction
    lay = json.loads(run_cli(["id", files / "l0.npy", files / "l1.npy", "--layers", "-m", "twonn", "--bootstrap", "0", *opts, "-f", "json"]).stdout)
    for layer, name in zip(lay["results"]["layers"], ("l0", "l1")):
        ref_l = twonn_dimension(np.load(files / f"{name}.npy"), n_bootstrap=0, **{("variant" if k == "twonn_variant" else k): v for k, v in kwargs.items()})
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
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote {png} (plot)" in r.stderr
    assert r.stdout.startswith("metric,value,ci_low,ci_high,unit,status")  # stdout carries only the data


def test_layer_plot_one_axes_per_quantity_with_shared_colours():
    from matplotlib.colors import to_hex

    from embgeo.plots import plot_result
    from embgeo.plots.intrinsic import COLOURS, layer_panels

    stack = make_stack(n=400)  # RankMe (uncentred) spans 1.6 (the shifted layer) to 16 (noise): a log axis; the rest linear
    rep = layer_dimensions(stack, methods="twonn,mle,pca,rankme,entropy", n_bootstrap=10)
    assert layer_panels(rep) == ["id", "overlap", "pca", "rankme", "entropy"]
    fig = plot_result(rep)  # the report draws with the same call
    axes = [a for a in fig.axes if a.get_visible()]
    assert len(axes) == 5
    titles = [a.get_title() for a in axes]
    assert titles[0].startswith("intrinsic dimension") and titles[1].startswith("neighbourhood overlap")
    curves = rep.curves()
    # each estimator drawn in its own colour, with the values of the table
    lines = {ln.get_label(): ln for ln in axes[0].lines}
    np.testing.assert_allclose(lines["TwoNN"].get_ydata(), curves["twonn"])
    assert to_hex(lines["TwoNN"].get_color()) == COLOURS["twonn"] and to_hex(lines["MLE"].get_color()) == COLOURS["mle"]
    for ax, key in zip(axes[2:], ("pca", "rankme", "entropy")):
        np.testing.assert_allclose(ax.lines[0].get_ydata(), curves[key])
        assert to_hex(ax.lines[0].get_color()) == COLOURS[key]
    # log where the values span more than a factor of 10 (decided from the plotted values), never for shares
    vals = np.array([v for k in ("twonn", "twonn_linear", "mle", "mle_k20") for v in curves[k]])
    assert axes[0].get_yscale() == ("log" if vals.max() / vals.min() > 10 else "linear")
    for ax, key in zip(axes[2:4], ("pca", "rankme")):
        v = np.array(curves[key])
        assert ax.get_yscale() == ("log" if v.max() / v.min() > 10 else "linear")
    assert axes[3].get_yscale() == "log" and axes[2].get_yscale() == "linear"  # both branches exercised
    assert axes[1].get_yscale() == "linear" and axes[4].get_yscale() == "linear" and axes[4].get_ylim() == (0, 1.02)
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), rep.overlap)


def test_report_cards_use_the_cli_rule(tmp_path):
    # the report's intrinsic and layers cards: the same verdict and estimate to read as `embgeo id`
    from embgeo.intrinsic.summary import intrinsic_dimension as idim
    from embgeo.io import load, load_layers
    from embgeo.report import sections as S
    from embgeo.report.model import Context

    X = syn.cube(400, 4, 12, noise=1e-3, seed=2)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "stack.npy", make_stack(300))
    ctx = Context(load(str(tmp_path / "x.npy")), layers=load_layers([str(tmp_path / "stack.npy")]))
    sec = S.run_intrinsic(ctx)
    ref = idim(X, n_bootstrap=S.ID_BOOT, seed=0, k=20, gride_max=64)
    v, rec = ref.verdict(), ref.recommended()
    assert sec.status == v.status and sec.verdict.startswith(v.reason)
    assert sec.key_value.startswith(f"{rec.metric} ")
    assert [t.caption for t in sec.tables] == ["intrinsic-dimension estimators", "spectral (linear) measures"]
    lay = S.run_layers(ctx)
    lref = layer_dimensions(ctx.layers, methods=S.LAYER_METHODS, n_bootstrap=S.LAYER_BOOT, seed=0)
    assert lay.status == lref.verdict().status and lay.verdict.startswith(lref.verdict().reason)


def test_cli_names_inputs_with_their_key(run_cli, tmp_path):
    # two keys of one npz must be told apart: in the title, the inputs and the layer names
    st = make_stack(300)
    np.savez(tmp_path / "two.npz", a=st[0], b=st[2])
    r = run_cli(["id", f"{tmp_path / 'two.npz'}:b", "-m", "twonn", "--bootstrap", "0"])
    assert r.code == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith(f"embgeo id — {tmp_path / 'two.npz'}:b ")
    r = run_cli(["id", f"{tmp_path / 'two.npz'}:a", f"{tmp_path / 'two.npz'}:b", "--layers", "-m", "twonn", "--bootstrap", "0", "-f", "json"])
    d = json.loads(r.stdout)
    assert [i["key"] for i in d["inputs"]] == ["a", "b"]
    names = [layer["layer"] for layer in d["results"]["layers"]]
    assert len(set(names)) == 2 and names[0].endswith(":a") and names[1].endswith(":b")


def test_layer_report_tables_keep_the_families_apart():
    stack = make_stack(n=300)
    both = layer_dimensions(stack, methods="twonn,pca,entropy", n_bootstrap=0, overlap_k=5)
    (c1, cols1, rows1), (c2, cols2, rows2) = both.tables()
    assert c1.startswith("intrinsic-dimension estimators") and c2.startswith("spectral measures")
    assert cols1[:2] == ["layer", "twonn"] and cols2 == ["layer", "pca", "entropy"]
    assert [r[0] for r in rows1] == [r[0] for r in rows2] == list(both.names)
    assert both.table() == (cols1, rows1)
    only = layer_dimensions(stack, methods="pca", n_bootstrap=0, overlap_k=5)
    [(c, cols, rows)] = only.tables()  # no estimator: the overlap joins the spectral table
    assert c.startswith("spectral measures") and cols[:2] == ["layer", "pca"] and cols[-1].startswith("overlap")


def test_verbose_reports_the_sgemm_fraction_of_the_exact_search(run_cli, files):
    r = run_cli(["-v", "id", files / "x.npy", "-m", "twonn", "--bootstrap", "0", "-f", "csv"])
    assert r.code == 0, r.stderr
    assert "of this machine's sgemm rate" in r.stderr and "sgemm" not in r.stdout
    quiet = run_cli(["id", files / "x.npy", "-m", "twonn", "--bootstrap", "0", "-f", "csv"])
    assert "sgemm" not in quiet.stderr
    X = np.load(files / "x.npy")
    rep = intrinsic_dimension(X, methods="twonn", n_bootstrap=0, kernel_rate=True)
    k = rep.knn_rate  # the engine's own figures: rates are flops / seconds, fractions rates / peak
    assert k is not None and k["gemm_gflops"] > 0
    np.testing.assert_allclose(k["gemm_fraction"], k["gemm_gflops"] / k["peak_gflops"], rtol=1e-12)
    assert k["search_fraction"] <= k["gemm_fraction"] * (1 + 1e-12)  # the search includes the GEMMs
    assert intrinsic_dimension(X, methods="twonn", n_bootstrap=0).knn_rate is None  # off by default (no sgemm timing)


def test_confidence_sets_every_interval_level(run_cli, tmp_path):
    """`id --confidence` means what it means in compare, rank, uniformity, gap and cosine: the level of every
    interval. The estimates stay; TwoNN's exact χ² interval is the closed form at that level; GRIDE's scale
    intervals are d ± z·s.e.; the verdict names the level it compared at; the layers path passes it on."""
    from scipy.stats import chi2

    X = syn.ball(800, 5, seed=3) @ np.linalg.qr(np.random.default_rng(3).standard_normal((12, 5)))[0].T
    np.save(tmp_path / "x.npy", X)
    docs = {c: json.loads(run_cli(["id", tmp_path / "x.npy", "-m", "twonn,gride", "--bootstrap", "0", "--confidence", c, "-f", "json"]).stdout)
            for c in ("0.95", "0.8")}
    for c, doc in docs.items():
        r = doc["results"]
        assert r["confidence"] == float(c) and "interval_level" not in r and doc["settings"]["confidence"] == float(c)
        tw = r["twonn"]
        m = tw["n_used"]
        a = (1 - float(c)) / 2
        # the censored MLE's exact interval: chi2(2m) quantiles / (2T), with T = (m − 1) / d̂ (m kept ratios; unbiased)
        T = (m - 1) / tw["mle"]
        assert tw["ci_low"] == pytest.approx(chi2.ppf(a, 2 * m) / (2 * T), rel=1e-9)
        assert tw["ci_high"] == pytest.approx(chi2.ppf(1 - a, 2 * m) / (2 * T), rel=1e-9)
        s = r["gride"]["scales"][0]
        z = {"0.95": 1.959963984540054, "0.8": 1.2815515655446004}[c]
        assert s["ci_high"] - s["dimension"] == pytest.approx(z * s["stderr"], rel=1e-12)
        assert f"{100 * float(c):g} % intervals" in doc["verdict"]["reason"]
    assert docs["0.95"]["results"]["twonn"]["dimension"] == docs["0.8"]["results"]["twonn"]["dimension"]
    assert docs["0.95"]["results"]["twonn"]["ci_low"] < docs["0.8"]["results"]["twonn"]["ci_low"]
    np.save(tmp_path / "stack.npy", np.stack([X, 2 * X]))
    lay = json.loads(run_cli(["id", tmp_path / "stack.npy", "--layers", "-m", "twonn", "--bootstrap", "0", "--confidence", "0.8",
                              "-f", "json"]).stdout)
    assert "80 % intervals" in lay["verdict"]["reason"]
