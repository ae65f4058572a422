"""``embgeo rank --layers`` / :func:`embgeo.rank.rank_layers`: each layer's numbers are the single-layer
analysis of that layer's slice (to 1e-12), the best layer is the one that encodes the attribute, and the
output follows the contract (one tidy CSV row per layer, JSON per layer, a verdict naming the layer)."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

FAST = ["--bootstrap", "50", "--no-baselines"]


def _stack(n=90, d=8, L=4, signal_layer=2, seed=0):
    """Pure-noise layers except ``signal_layer``, where column 0 carries the attribute (σ = 0.3)."""
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(n)
    S = rng.standard_normal((L, n, d))
    S[signal_layer, :, 0] = y / 0.3 + S[signal_layer, :, 0]
    return S, y


def test_each_layer_equals_the_single_layer_analysis():
    from embgeo.rank import rank_axes, rank_layers

    S, y = _stack()
    kw = dict(methods=("regression", "extremes", "extremes_q"), baselines=True, mlp=False, n_random=100, n_shuffles=50, n_bootstrap=60, seed=3)
    res = rank_layers(S, y, attribute="a", **kw)
    assert res.layers == ("layer0", "layer1", "layer2", "layer3")
    for l in range(S.shape[0]):
        one = rank_axes(S[l], y, attribute="a", **kw)
        for m in ("regression", "extremes", "extremes_q", "pca", "knn"):
            a, b = res.results[l].methods[m], one.methods[m]
            np.testing.assert_allclose([a.spearman, *a.spearman_ci, a.kendall, a.pairwise_accuracy],
                                       [b.spearman, *b.spearman_ci, b.kendall, b.pairwise_accuracy], rtol=0, atol=1e-12)
        assert abs(res.results[l].random.spearman - one.random.spearman) <= 1e-12
        assert res.results[l].verdict() == one.verdict()
    np.testing.assert_allclose(res.spearman("regression"), [rank_axes(S[l], y, **kw).methods["regression"].spearman for l in range(4)],
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("signal_layer", [2, 0])
def test_the_layer_that_encodes_the_attribute_is_picked(signal_layer):
    from embgeo.rank import rank_layers

    S, y = _stack(signal_layer=signal_layer, seed=signal_layer + 1)
    res = rank_layers(list(S), y, attribute="a", baselines=False, n_bootstrap=50)
    rho = res.spearman()
    assert res.best() == signal_layer and rho[signal_layer] > 0.8
    assert np.all(np.abs(np.delete(rho, signal_layer)) < 0.4)  # noise layers: |ρ| ≲ 3/√n
    v = res.verdict()
    assert v.status == "ok" and v.decided_by == "spearman"
    assert f"layer{signal_layer} — held-out Spearman ρ {rho[signal_layer]:.3f} [" in v.reason
    second = int(np.argsort(rho)[-2])
    assert f"next: layer{second} ρ {rho[second]:.3f}" in v.reason


def test_layer_stack_shape_and_attribute_length_errors():
    from embgeo.errors import EmbgeoError
    from embgeo.rank import rank_layers

    S, y = _stack(n=40)
    with pytest.raises(EmbgeoError, match="39 values for 40 rows"):
        rank_layers(S, y[:-1])
    with pytest.raises(EmbgeoError, match="layer 1 has shape"):
        rank_layers([S[0], S[1][:30]], y)


@pytest.fixture
def stack_files(tmp_path):
    S, y = _stack()
    np.save(tmp_path / "stack.npy", S)
    for l in range(S.shape[0]):
        np.save(tmp_path / f"l{l}.npy", S[l])
    (tmp_path / "lab.csv").write_text("a\n" + "\n".join(repr(float(v)) for v in y) + "\n")
    return tmp_path


def test_cli_per_layer_json_equals_rank_on_that_layer(run_cli, stack_files):
    t = stack_files
    res = run_cli(["rank", t / "stack.npy", "--layers", "--labels", t / "lab.csv", "--attr", "a", "-f", "json", *FAST])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["schema"] == "embgeo.rank/2" and doc["inputs"] == [{"path": str(t / "stack.npy"), "key": None, "rows": 90, "dims": 8, "dtype": "float64"}]
    r = doc["results"]
    assert (r["n_rows"], r["n_dims"], r["n_layers"], r["best_layer"]) == (90, 8, 4, "layer2")
    assert doc["settings"]["layers"] is True and doc["settings"]["method"] == ["regression"]
    for row in r["layers"]:
        one = run_cli(["rank", t / f"l{row['layer'][-1]}.npy", "--labels", t / "lab.csv", "--attr", "a", "-m", "regression", "-f", "json", *FAST])
        m = json.loads(one.stdout)["results"]["methods"]["regression"]
        assert abs(row["spearman"] - m["spearman"]) <= 1e-12 and abs(row["ci_low"] - m["ci_low"]) <= 1e-12
        assert abs(row["ci_high"] - m["ci_high"]) <= 1e-12 and row["status"] == json.loads(one.stdout)["verdict"]["status"]
    v = doc["verdict"]
    assert v["decided_by"] == "spearman" and "best layer for 'a': layer2" in v["reason"]
    # several files, one per layer: the same numbers, the layers named by file
    res2 = run_cli(["rank", *[t / f"l{l}.npy" for l in range(4)], "--layers", "--labels", t / "lab.csv", "--attr", "a", "-f", "json", *FAST])
    doc2 = json.loads(res2.stdout)
    assert [x["layer"] for x in doc2["results"]["layers"]] == ["l0", "l1", "l2", "l3"]
    assert [x["spearman"] for x in doc2["results"]["layers"]] == [x["spearman"] for x in r["layers"]]


def test_cli_tidy_csv_one_row_per_layer_and_errors(run_cli, stack_files):
    t = stack_files
    res = run_cli(["rank", t / "stack.npy", "--layers", "--labels", t / "lab.csv", "--attr", "a", "-f", "csv", *FAST])
    assert res.code == 0, res.stderr
    assert res.stdout.splitlines()[0] == "metric,value,ci_low,ci_high,unit,status,layer,attr,method"
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["layer"] for r in rows] == ["layer0", "layer1", "layer2", "layer3"] and {r["metric"] for r in rows} == {"spearman"}
    assert rows[2]["status"] == "ok"
    for argv, text in ((["--save-axis", t / "ax.npy"], "--save-axis does not apply with --layers"),
                       (["-m", "anchors"], "--layers runs the axis methods")):
        bad = run_cli(["rank", t / "stack.npy", "--layers", "--labels", t / "lab.csv", "--attr", "a", *argv, *FAST])
        assert bad.code == 2 and text in bad.stderr and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    two = run_cli(["rank", t / "l0.npy", t / "l1.npy", "--labels", t / "lab.csv", "--attr", "a", *FAST])
    assert two.code == 2 and "without --layers pass exactly one" in two.stderr
