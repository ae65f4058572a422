"""``embgeo uniformity`` and ``embgeo gap`` through the real entry point."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from _tables import assert_table_speaks_ids

from embgeo.datasets.synthetic import paired_gap, sphere
from embgeo.uniformity.core import alignment, uniformity


@pytest.fixture
def files(tmp_path):
    X, Y, _ = paired_gap(300, 16, gap=0.5, seed=0)
    S = sphere(400, 32, seed=1)
    paths = {"x": tmp_path / "x.npy", "y": tmp_path / "y.npy", "s": tmp_path / "s.npy"}
    np.save(paths["x"], X)
    np.save(paths["y"], Y)
    np.save(paths["s"], S)
    return paths, X, Y, S


def _one_error_line(res):
    assert res.code == 2, (res.code, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error:"), res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


def test_uniformity_json(run_cli, files):
    paths, X, Y, S = files
    res = run_cli(["uniformity", paths["s"], "--format", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert list(doc) == ["schema", "embgeo_version", "command", "inputs", "settings", "results", "verdict", "notes"]
    r = doc["results"]
    assert doc["schema"] == "embgeo.uniformity/1" and r["normalized"] is True
    # the CLI calls the same library function: bitwise equal
    ref = uniformity(S, mode="exact")
    assert r["uniformity"] == ref.uniformity and r["n_rows"] == 400 and r["n_dims"] == 32
    assert r["mode"] == "exact" and r["ci_low"] is None and "alignment" not in r
    assert doc["inputs"] == [{"path": str(paths["s"]), "key": None, "rows": 400, "dims": 32, "dtype": "float64"}]
    assert doc["settings"]["t"] == 2.0 and doc["settings"]["seed"] == 0
    # a uniform sphere sample: the ratio to the closed form is ~1, so ok, decided by that ratio
    assert r["uniformity_ratio"] == ref.uniformity / ref.uniformity_sphere and 0.95 < r["uniformity_ratio"] < 1.05
    assert doc["verdict"]["status"] == "ok" and doc["verdict"]["decided_by"] == "uniformity_ratio"


def test_uniformity_with_pairs(run_cli, files):
    paths, X, Y, _ = files
    res = run_cli(["uniformity", paths["x"], "--pairs", paths["y"], "--alpha", "1", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)["results"]
    assert {"uniformity", "pairs", "alignment", "gap"} <= set(doc)
    assert doc["uniformity"] == uniformity(X).uniformity and doc["pairs"]["uniformity"] == uniformity(Y, seed=1).uniformity
    ref = alignment(X, Y, alpha=1)
    np.testing.assert_allclose(doc["alignment"]["alignment"], ref.alignment, rtol=1e-15)
    assert (doc["alignment"]["ci_low"], doc["alignment"]["ci_high"]) == (ref.ci_low, ref.ci_high)
    # centroid gap from the blockwise float64 means; round-off only
    np.testing.assert_allclose(doc["gap"]["gap_centroid_distance"], np.linalg.norm(X.mean(0) - Y.mean(0)), atol=1e-12)


def test_uniformity_sampled_and_torch(run_cli, files):
    paths, *_ = files
    res = run_cli(["uniformity", paths["s"], "--mode", "sample", "--n-pairs", "5000", "--seed", "3", "-f", "json"])
    u = json.loads(res.stdout)["results"]
    assert u["mode"] == "sample" and u["ci_low"] < u["uniformity"] < u["ci_high"] and u["n_pairs"] == 5000
    # the ratio's interval is the uniformity interval over the (negative) sphere value
    np.testing.assert_allclose([u["uniformity_ratio_ci_low"], u["uniformity_ratio_ci_high"]],
                               [u["ci_high"] / u["uniformity_sphere"], u["ci_low"] / u["uniformity_sphere"]], rtol=1e-15)
    a = json.loads(run_cli(["uniformity", paths["s"], "-f", "json"]).stdout)["results"]["uniformity"]
    b = json.loads(run_cli(["uniformity", paths["s"], "--backend", "torch", "-f", "json"]).stdout)["results"]
    assert b["backend"] == "torch:cpu"
    np.testing.assert_allclose(b["uniformity"], a, atol=1e-12)  # float64 input: round-off only


def test_uniformity_table_and_md(run_cli, files):
    paths, *_ = files
    res = run_cli(["uniformity", paths["s"], "--raw", "-f", "md"])
    assert res.code == 0 and "| uniformity |" in res.stdout and "raw rows" in res.stdout


def _md_rows(text):
    lines = [ln for ln in text.splitlines() if ln.startswith("| ")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    return head, [dict(zip(head, (c.strip() for c in ln.strip("|").split("|")))) for ln in lines[1:]]


@pytest.mark.parametrize("extra", [[], ["--mode", "sample", "--n-pairs", "3000"], ["--pairs", "Y"]])
def test_uniformity_table_speaks_the_json_and_csv_ids(run_cli, files, extra):
    """The terminal/Markdown table names its rows with the ids of the CSV and the JSON keys, not display labels."""
    from embgeo.results import flatten

    paths, *_ = files
    x = paths["x"] if extra[:1] == ["--pairs"] else paths["s"]
    extra = [str(paths["y"]) if a == "Y" else a for a in extra]
    head, md = _md_rows(run_cli(["uniformity", x, *extra, "-f", "md"]).stdout)
    assert head[0] == "metric" and head[-5:] == ["value", "ci_low", "ci_high", "unit", "status"]
    assert ("input" in head) == ("--pairs" in extra)
    csv_rows = list(csv.DictReader(io.StringIO(run_cli(["uniformity", x, *extra, "-f", "csv"]).stdout)))
    doc = json.loads(run_cli(["uniformity", x, *extra, "-f", "json"]).stdout)["results"]
    keys = set(flatten(doc)) | {k.split(".", 1)[1] for k in flatten(doc) if k.startswith("pairs.")}
    ids = {r["metric"] for r in csv_rows}
    assert ids <= {r["metric"] for r in md}
    assert all(r["metric"] in ids | keys for r in md), [r["metric"] for r in md if r["metric"] not in ids | keys]
    # every tidy row is shown with its value, interval and status (to the table's 6 significant digits)
    for c in csv_rows:
        m = next(r for r in md if r["metric"] == c["metric"] and r.get("input", "") == c.get("input", ""))
        assert float(m["value"]) == pytest.approx(float(c["value"]), rel=1e-5)
        for k in ("ci_low", "ci_high"):
            assert (m[k] == "") == (c[k] == "") and (c[k] == "" or float(m[k]) == pytest.approx(float(c[k]), rel=1e-5))
        assert m["status"] == c["status"]


def test_gap_json(run_cli, files):
    paths, X, Y, _ = files
    res = run_cli(["gap", paths["x"], paths["y"], "--folds", "3", "-f", "json"])
    assert res.code == 0, res.stderr
    top = json.loads(res.stdout)
    assert top["schema"] == "embgeo.gap/2" and top["command"] == "gap" and len(top["inputs"]) == 2
    doc = top["results"]
    assert {"gap_centroid_distance", "matched_pair_cosine", "recall_at_1_before", "recall_at_1_after_shift", "uniformity",
            "alignment", "cosines", "separability", "shift", "mixup", "n_rows", "n_dims"} <= set(doc)
    assert (doc["n_rows"], doc["n_dims"]) == (300, 16)
    np.testing.assert_allclose(doc["gap_centroid_distance"], np.linalg.norm(X.mean(0) - Y.mean(0)), atol=1e-12)
    assert set(doc["uniformity"]) == {"x", "y", "joint"}
    assert doc["cosines"]["matched"]["quantiles"]["p50"] > doc["cosines"]["random"]["quantiles"]["p50"]
    assert doc["matched_pair_cosine_ci_low"] < doc["matched_pair_cosine"] < doc["matched_pair_cosine_ci_high"]
    # renormalising after the shift leaves a small residual gap (6 % here at d = 16)
    assert doc["shift"]["after"]["gap_centroid_distance"] < 0.1 * doc["shift"]["before"]["gap_centroid_distance"]
    assert 0.5 < doc["separability_accuracy"] <= 1.0
    # the verdict quotes numbers the result reports
    v = top["verdict"]
    assert v["decided_by"] == "recall_at_1_gain" and f"{doc['recall_at_1_before']:.3f}" in v["reason"]
    # the tidy CSV carries the same ids and values
    rows = list(csv.DictReader(io.StringIO(run_cli(["gap", paths["x"], paths["y"], "--folds", "3", "-f", "csv"]).stdout)))
    first = {r["metric"]: r for r in rows}
    assert float(first["gap_centroid_distance"]["value"]) == doc["gap_centroid_distance"]
    assert float(first["recall_at_1_gain"]["ci_low"]) == doc["recall_at_1_gain_ci_low"]
    assert first["recall_at_1_gain"]["status"] == v["status"]


def test_bad_inputs(run_cli, files, tmp_path):
    paths, X, Y, S = files
    line = _one_error_line(run_cli(["uniformity", paths["x"], "--pairs", paths["s"]]))
    assert "300 rows" in line and "400" in line
    _one_error_line(run_cli(["gap", paths["x"], paths["s"]]))
    Z = X.copy()
    Z[[5, 17]] = 0.0
    np.save(tmp_path / "z.npy", Z)
    line = _one_error_line(run_cli(["uniformity", tmp_path / "z.npy"]))
    assert "z.npy" in line and "rows 5, 17" in line
    line = _one_error_line(run_cli(["gap", tmp_path / "z.npy", paths["y"]]))
    assert "rows 5, 17" in line
    N = X.copy()
    N[8, 2] = np.nan
    np.save(tmp_path / "n.npy", N)
    line = _one_error_line(run_cli(["uniformity", tmp_path / "n.npy", "--pairs", paths["y"]]))
    assert "row 8" in line
    _one_error_line(run_cli(["uniformity", paths["s"], "--t", "0"]))
    _one_error_line(run_cli(["uniformity", paths["s"], "--confidence", "1.5"]))
    _one_error_line(run_cli(["uniformity", tmp_path / "missing.npy"]))


def test_drop_options_keep_pairs_aligned(run_cli, files, tmp_path):
    paths, X, Y, _ = files
    Z = X.copy()
    Z[[5, 17]] = 0.0
    N = Y.copy()
    N[8, 2] = np.nan
    np.save(tmp_path / "z.npy", Z)
    np.save(tmp_path / "n.npy", N)
    res = run_cli(["uniformity", tmp_path / "z.npy", "--pairs", tmp_path / "n.npy", "--drop-zero", "--drop-nonfinite", "-f", "json"])
    assert res.code == 0, res.stderr
    assert "dropped 3 pairs" in res.stderr
    keep = np.setdiff1d(np.arange(300), [5, 8, 17])
    doc = json.loads(res.stdout)["results"]
    np.testing.assert_allclose(doc["alignment"]["alignment"], alignment(X[keep], Y[keep]).alignment, rtol=1e-15)
    assert doc["n_rows"] == 297 and doc["alignment"]["n_rows"] == 297


def test_device_cuda_falls_back_to_cpu(run_cli, files):
    paths, *_ = files
    res = run_cli(["uniformity", paths["s"], "--device", "cuda", "-f", "json"])
    assert res.code == 0, res.stderr
    import torch

    backend = json.loads(res.stdout)["results"]["backend"]
    if torch.cuda.is_available():
        assert backend == "torch:cuda"
    else:  # no GPU here: a note on stderr and the CPU engine
        assert "no CUDA device" in res.stderr and backend == "numpy"


def test_uniformity_sample_dedupe_and_gate(run_cli, files, tmp_path):
    paths, X, Y, S = files
    # --sample N: the same seeded rows of both files (pairs stay pairs)
    from embgeo.validation import as_rng

    keep = np.sort(as_rng(5).choice(300, size=120, replace=False))
    res = run_cli(["uniformity", paths["x"], "--pairs", paths["y"], "--sample", "120", "--seed", "5", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["results"]["n_rows"] == 120 and doc["settings"]["sample"] == 120
    assert any("sample of 120 of 300 pairs" in n for n in doc["notes"]) and "sample of" not in res.stderr  # said once, in the data
    csv_run = run_cli(["uniformity", paths["x"], "--pairs", paths["y"], "--sample", "120", "--seed", "5", "-f", "csv"])
    assert "note: a seeded sample of 120 of 300 pairs" in csv_run.stderr  # CSV has no notes column: stderr says it
    assert "note:" not in run_cli(["-q", "uniformity", paths["x"], "--sample", "120", "-f", "csv"]).stderr
    np.testing.assert_allclose(doc["results"]["alignment"]["alignment"], alignment(X[keep], Y[keep]).alignment, rtol=1e-15)
    assert doc["results"]["uniformity"] == uniformity(X[keep], seed=5).uniformity
    # --dedupe drops repeated rows before the sum
    D = np.vstack([S, S[:10]])
    np.save(tmp_path / "d.npy", D)
    res = run_cli(["uniformity", tmp_path / "d.npy", "--dedupe", "-f", "json"])
    assert json.loads(res.stdout)["results"]["uniformity"] == uniformity(S).uniformity and "dropped 10 rows" in res.stderr
    # a collapsed set (a narrow cone) is bad; --fail-on bad exits 1 after writing the data, quiet under -q
    rng = np.random.default_rng(0)
    C = np.ones(32) + 0.05 * rng.standard_normal((200, 32))
    np.save(tmp_path / "c.npy", C)
    res = run_cli(["-q", "uniformity", tmp_path / "c.npy", "--fail-on", "bad", "-f", "json"])
    assert res.code == 1 and res.stderr == ""
    doc = json.loads(res.stdout)
    u = uniformity(C)
    assert doc["verdict"]["status"] == "bad" and u.uniformity / u.uniformity_sphere < 0.5
    assert f"{u.uniformity:.4g}" in doc["verdict"]["reason"] and "50%" in doc["verdict"]["reason"]
    assert run_cli(["uniformity", paths["s"], "--fail-on", "warn", "-f", "json"]).code == 0  # ok passes the gate


def test_uniformity_csv_is_tidy(run_cli, files):
    paths, X, Y, S = files
    res = run_cli(["uniformity", paths["x"], "--pairs", paths["y"], "-f", "csv"])
    assert res.code == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0])[:6] == ["metric", "value", "ci_low", "ci_high", "unit", "status"] and "input" in rows[0] and "t" in rows[0]
    u = [r for r in rows if r["metric"] == "uniformity"]
    assert [r["input"] for r in u] == [str(paths["x"]), str(paths["y"])]
    assert float(u[0]["value"]) == uniformity(X).uniformity  # full precision
    al = next(r for r in rows if r["metric"] == "alignment")
    ref = alignment(X, Y)
    assert (float(al["value"]), float(al["ci_low"]), float(al["ci_high"])) == (ref.alignment, ref.ci_low, ref.ci_high)
    assert all(r["metric"] == r["metric"].lower() and " " not in r["metric"] for r in rows)


def test_gap_toolkit_on_the_command_line(run_cli, tmp_path):
    from embgeo.uniformity.gap import modality_gap
    from tests.test_gap import planted_noisy

    X, Y, *_ = planted_noisy(n=200, noise=0.6, vary=True)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", Y)
    rng = np.random.default_rng(1)
    C = rng.standard_normal((4, X.shape[1]))
    np.save(tmp_path / "c.npy", C)
    lab = rng.integers(0, 4, 200)
    (tmp_path / "lab.csv").write_text("cls\n" + "\n".join(map(str, lab)) + "\n")
    args = ["gap", tmp_path / "x.npy", tmp_path / "y.npy", "--no-separability", "--shift-sweep", "-1:2:1",
            "--classes", tmp_path / "c.npy", "--labels", tmp_path / "lab.csv", "--temperature", "0.05",
            "--write-direction", tmp_path / "d.npy", "--fail-on", "bad", "-f", "json"]
    res = run_cli(args)
    # removing this gap fixes retrieval: bad, and --fail-on bad exits 1 after writing the data
    assert res.code == 1, res.stderr
    doc = json.loads(res.stdout)
    assert doc["verdict"]["status"] == "bad" and "gate: verdict is bad" in res.stderr
    ref = modality_gap(X, Y, separability=False, sweep=[-1, 0, 1, 2], classes=C, class_labels=lab, temperature=0.05)
    r = doc["results"]
    assert r["recall_at_1_gain"] == ref.shift.recall_at_1_gain
    assert r["sweep"]["shift"] == [-1.0, 0.0, 1.0, 2.0]
    assert r["sweep"]["contrastive_loss"] == ref.sweep.columns["contrastive_loss"].tolist()
    assert r["zero_shot"]["zero_shot_hit_at_1"] == ref.zero_shot.hit_at_1
    assert doc["settings"]["class"] == "cls" and doc["settings"]["temperature"] == 0.05 and len(doc["inputs"]) == 3
    # the written gap vector, given back with --direction, reproduces the default shift exactly
    np.testing.assert_array_equal(np.load(tmp_path / "d.npy"), ref.gap_vector)
    again = json.loads(run_cli(["gap", tmp_path / "x.npy", tmp_path / "y.npy", "--no-separability", "--direction", tmp_path / "d.npy",
                                "-f", "json"]).stdout)["results"]
    assert again["recall_at_1_after_shift"] == r["recall_at_1_after_shift"] and again["shift"]["direction"] == "given direction"
    # the sweep plot is drawn
    res = run_cli(["-q", "gap", tmp_path / "x.npy", tmp_path / "y.npy", "--no-separability", "--shift-sweep", "0:1:0.5",
                   "--plot", tmp_path / "g.png", "-f", "csv"])
    assert res.code == 0 and (tmp_path / "g.png").stat().st_size > 5000 and "sweep.recall_at_1_x_to_y" in res.stdout
    # bad toolkit input: one line, exit 2
    _one_error_line(run_cli(["gap", tmp_path / "x.npy", tmp_path / "y.npy", "--shift-sweep", "2:1:0.1"]))
    _one_error_line(run_cli(["gap", tmp_path / "x.npy", tmp_path / "y.npy", "--labels", tmp_path / "lab.csv"]))
    np.save(tmp_path / "bad.npy", np.ones(5))
    _one_error_line(run_cli(["gap", tmp_path / "x.npy", tmp_path / "y.npy", "--direction", tmp_path / "bad.npy"]))


@pytest.mark.parametrize("extra", [[], ["--no-separability", "--shift-sweep", "0:1:0.5"]])
def test_gap_table_speaks_the_json_and_csv_ids(run_cli, files, extra):
    """gap -f md names its rows by the CSV ids (with the shift they were measured at) and the JSON keys, not display labels."""
    paths, *_ = files
    head, md = assert_table_speaks_ids(run_cli, ["gap", paths["x"], paths["y"], "--folds", "3", *extra])
    assert "shift" in head and not any(" " in m["metric"] for m in md)
    assert {"gap_centroid_distance", "matched_pair_cosine", "recall_at_1_gain", "uniformity.x.uniformity_sphere"} <= {m["metric"] for m in md}
    gain = next(m for m in md if m["metric"] == "recall_at_1_gain")
    assert gain["shift"] == "1" and gain["status"] in ("ok", "warn", "bad")


def test_gap_folds_and_its_old_name(run_cli, files):
    """gap's folds are --folds, as in rank and layers (the settings and separability say "folds"); the old --cv
    works with a note, and both is an error."""
    paths = files[0]
    doc = json.loads(run_cli(["gap", paths["x"], paths["y"], "--folds", "3", "-f", "json"]).stdout)
    assert doc["settings"]["folds"] == 3 and "cv" not in doc["settings"]
    assert doc["results"]["separability"]["folds"] == 3 and len(doc["results"]["separability"]["fold_accuracy"]) == 3
    old = run_cli(["gap", paths["x"], paths["y"], "--cv", "3", "-f", "json"])
    assert "--cv is now --folds" in old.stderr
    assert json.loads(old.stdout)["results"]["separability"] == doc["results"]["separability"]
    both = run_cli(["gap", paths["x"], paths["y"], "--cv", "3", "--folds", "3"])
    assert both.code == 2 and "--cv is the old name of --folds; both were given" in both.stderr


@pytest.mark.parametrize("extra", [[], ["--no-separability", "--shift-sweep", "0:1:0.5"]])
def test_gap_csv_rows_are_where_the_docs_say_in_the_json(run_cli, files, extra):
    """docs/gap.md "What is measured": every tidy CSV row is read back from the JSON at the path the page gives."""
    paths = files[0]
    args = ["-q", "gap", paths["x"], paths["y"], "--folds", "3", *extra]
    doc = json.loads(run_cli([*args, "-f", "json"]).stdout)["results"]
    rows = list(csv.DictReader(io.StringIO(run_cli([*args, "-f", "csv"]).stdout)))
    special = {"uniformity_x": ("uniformity", "x", "uniformity"), "uniformity_y": ("uniformity", "y", "uniformity"),
               "uniformity_joint": ("uniformity", "joint", "uniformity"), "alignment": ("alignment", "alignment")}

    def candidates(row):
        m, s = row["metric"], row["shift"]
        if m in special:
            node = doc
            for part in special[m]:
                node = node[part]
            yield node
        elif m in doc and not isinstance(doc[m], (dict, list)):
            yield doc[m]
        if s != "":
            where = {0.0: "before", 1.0: "after"}.get(float(s))
            if where is not None and m in doc["shift"][where]:
                yield doc["shift"][where][m]
            if m.startswith("sweep.") and m[6:] in doc["sweep"]:
                yield doc["sweep"][m[6:]][doc["sweep"]["shift"].index(float(s))]

    assert len(rows) > 20
    for row in rows:
        found = list(candidates(row))
        assert found, row
        assert any(float(row["value"]) == pytest.approx(float(v), rel=1e-9, abs=1e-12) for v in found), (row, found)
