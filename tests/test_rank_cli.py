"""``embgeo rank``: JSON layout, saved axis and score CSV, anchors, and one-line errors."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

FAST = ["--bootstrap", "50", "--repeats", "2", "--random-directions", "200", "--shuffles", "100", "--shots", "2,8", "--no-mlp", "--join", "row-order"]


def with_fast(args: list) -> list:
    """``args`` + the fast settings that apply to them: an option tuning a method or baseline the run leaves out is
    refused (--shots without fewshot, --shuffles with --no-baselines), so those are left out here."""
    words = [str(a) for a in args]
    methods = ",".join(words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-m", "--method"))
    skip = set()
    if methods and "fewshot" not in methods and "all" not in methods or "--axis" in words:
        skip |= {"--repeats", "--shots"}
    if "--no-baselines" in words:
        skip |= {"--random-directions", "--shuffles"}
    out, i = [], 0
    while i < len(FAST):
        if FAST[i] in skip:
            i += 2
            continue
        out.append(FAST[i])
        i += 1
    return [*args, *out]
CONTRACT_KEYS = ["schema", "embgeo_version", "command", "inputs", "settings", "results", "verdict", "notes"]


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # the shared 2-core box oversubscribes OpenBLAS threads; one thread keeps these tests fast
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def planted_files(tmp_path):
    """X.npy (400×32, planted axis u, σ = 0.3) and L.csv (id, quality with 8 missing, label, flat, grp)."""
    rng = np.random.default_rng(7)
    n, d = 400, 32
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    a = rng.standard_normal(n)
    X = (a[:, None] * u + 0.3 * rng.standard_normal((n, d))).astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    lines = ["id,quality,label,flat,grp"]
    for i in range(n):
        q = "" if i % 50 == 0 else f"{a[i]:.6f}"
        lines.append(f"item{i},{q},w{i},1.0,g{i % 10}")
    (tmp_path / "L.csv").write_text("\n".join(lines) + "\n")
    return tmp_path, X, a, u


def test_json_follows_the_contract_with_a_key_per_method(run_cli, planted_files):
    tmp, X, a, u = planted_files
    res = run_cli(with_fast(["rank", tmp / "X.npy", "--labels", tmp / "L.csv", "--attr", "quality", "--format", "json"]))
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert list(doc) == CONTRACT_KEYS and doc["schema"] == "embgeo.rank/2"
    assert doc["inputs"] == [{"path": str(tmp / "X.npy"), "key": None, "rows": 400, "dims": 32, "dtype": "float32"}]
    assert doc["settings"]["k"] == 10 and doc["settings"]["seed"] == 0 and doc["settings"]["method"] == ["regression", "pairwise", "extremes", "extremes_q", "fewshot"]
    r = doc["results"]
    assert (r["n_rows"], r["n_rows_in"], r["n_dims"], r["n_missing"], r["attr"]) == (392, 400, 32, 8, "quality") and "n_used" not in r
    for key in ("regression", "pairwise", "extremes", "extremes_q", "pca"):
        m = r["methods"][key]
        assert isinstance(m["spearman"], float) and m["ci_low"] <= m["spearman"] <= m["ci_high"], key
    assert r["methods"]["regression"]["spearman"] > 0.9  # σ = 0.3 in 32 dims: r ≈ 0.95 on the true axis
    assert r["methods"]["regression"]["spearman"] > r["shuffled_band"] and "knn_ceiling" in r and "mlp_ceiling" not in r
    assert [c["k"] for c in r["fewshot"]["curve"]] == [2, 8]
    v = doc["verdict"]
    best = max(("regression", "pairwise", "extremes", "extremes_q"), key=lambda m: r["methods"][m]["spearman"])
    assert v["status"] == "ok" and v["decided_by"] == "spearman" and f"{r['methods'][best]['spearman']:.3f} [" in v["reason"]


def test_tidy_csv_and_fail_on(run_cli, planted_files, tmp_path):
    tmp, *_ = planted_files
    res = run_cli(with_fast(["rank", tmp / "X.npy", "--labels", tmp / "L.csv", "--attr", "quality", "-m", "regression", "-k", "7", "-f", "csv"]))
    assert res.code == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert res.stdout.splitlines()[0].startswith("metric,value,ci_low,ci_high,unit,status,attr,method")
    reg = [r for r in rows if r["metric"] == "spearman" and r["method"] == "regression"]
    assert len(reg) == 1 and reg[0]["status"] == "ok" and float(reg[0]["ci_low"]) < float(reg[0]["value"]) < float(reg[0]["ci_high"])
    knn = [r for r in rows if r["metric"] == "knn_ceiling"]
    assert knn[0]["k"] == "7" and {r["attr"] for r in rows} == {"quality"}
    # pure noise: the regression axis stays inside the random band → bad → --fail-on bad exits 1 after writing
    rng = np.random.default_rng(3)
    np.save(tmp_path / "noise.npy", rng.standard_normal((120, 16)))
    (tmp_path / "n.csv").write_text("v\n" + "\n".join(f"{v:.6f}" for v in rng.standard_normal(120)) + "\n")
    res = run_cli(with_fast(["rank", tmp_path / "noise.npy", "--labels", tmp_path / "n.csv", "--attr", "v", "-m", "regression", "--fail-on", "bad", "-f", "json"]))
    assert res.code == 1 and json.loads(res.stdout)["verdict"]["status"] == "bad" and "gate" in res.stderr


def test_saved_axis_scores_new_data(run_cli, planted_files, tmp_path):
    tmp, X, a, u = planted_files
    res = run_cli(with_fast(["rank", tmp / "X.npy", "--labels", tmp / "L.csv", "--attr", "quality", "-m", "regression", "--centre",
                   "--save-axis", tmp / "axis.npy", "-f", "json"]))
    assert res.code == 0, res.stderr
    assert f"wrote {tmp / 'axis.npy'} (the regression axis: unit length, 32 dims)" in res.stderr and (tmp / "axis.centre.npy").exists()
    assert json.loads(res.stdout)["settings"]["centre"] is True
    rng = np.random.default_rng(8)
    b = rng.uniform(-2, 2, 250)
    X2 = b[:, None] * u + 0.3 * rng.standard_normal((250, 32))
    np.save(tmp_path / "X2.npy", X2)
    (tmp_path / "L2.csv").write_text("quality\n" + "\n".join(f"{v:.6f}" for v in b) + "\n")
    res = run_cli(with_fast(["rank", tmp_path / "X2.npy", "--labels", tmp_path / "L2.csv", "--attr", "quality", "--axis", tmp / "axis.npy", "-f", "json"]))
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    m = doc["results"]["methods"]["axis"]
    assert m["spearman"] >= 0.9 and m["n_heldout"] == 250 and doc["verdict"]["status"] == "ok"
    assert doc["settings"]["axis_centre"] == str(tmp / "axis.centre.npy") and len(doc["inputs"]) == 2
    quiet = run_cli(with_fast(["-q", "rank", tmp_path / "X2.npy", "--labels", tmp_path / "L2.csv", "--attr", "quality", "--axis", tmp / "axis.npy", "-f", "csv"]))
    assert quiet.code == 0 and quiet.stderr == "" and quiet.stdout.startswith("metric,")


def test_save_axis_and_scores_csv(run_cli, planted_files):
    tmp, X, a, u = planted_files
    res = run_cli(with_fast(["rank", tmp / "X.npy", "--labels", tmp / "L.csv", "--attr", "quality", "--method", "regression",
                   "--save-axis", tmp / "axis.npy", "--scores", tmp / "scores.csv", "--format", "csv"]))
    assert res.code == 0, res.stderr
    axis = np.load(tmp / "axis.npy")
    assert axis.shape == (32,)
    np.testing.assert_allclose(np.linalg.norm(axis), 1.0, rtol=1e-12)
    assert axis @ u > 0.95
    with open(tmp / "scores.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "score", "attribute", "heldout"]
    assert len(rows) == 400 and rows[3]["id"] == "item3"
    assert rows[0]["attribute"] == "" and rows[0]["heldout"] == ""  # missing attribute: scored, not evaluated
    Xn = X.astype(np.float64) / np.linalg.norm(X.astype(np.float64), axis=1, keepdims=True)
    np.testing.assert_allclose([float(r["score"]) for r in rows], Xn @ axis, rtol=1e-9, atol=1e-12)
    assert res.stdout.splitlines()[0].startswith("metric,value,ci_low,ci_high")
    assert "(scores of 400 rows on the regression axis)" in res.stderr


def test_anchor_ids_and_anchor_files(run_cli, planted_files):
    tmp, X, a, u = planted_files
    lo, hi = int(np.argmin(a)), int(np.argmax(a))
    res = run_cli(with_fast(["rank", tmp / "X.npy", "--labels", tmp / "L.csv", "--attr", "quality", "--method", "anchors",
                   "--anchor-low", f"item{lo}", "--anchor-high", f"item{hi}", "--no-baselines", "--format", "json"]))
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)["results"]["methods"]
    assert doc["anchors"]["n_heldout"] == 392 - 2  # anchor rows are not evaluated
    assert doc["anchors"]["spearman"] > 0.8
    np.save(tmp / "low.npy", X[[lo]])
    np.save(tmp / "high.npy", X[[hi]])
    res2 = run_cli(with_fast(["rank", tmp / "X.npy", "--labels", tmp / "L.csv", "--attr", "quality", "--method", "anchors",
                    "--anchor-low-file", tmp / "low.npy", "--anchor-high-file", tmp / "high.npy", "--no-baselines", "--format", "json"]))
    assert res2.code == 0, res2.stderr
    assert json.loads(res2.stdout)["results"]["methods"]["anchors"]["spearman"] > 0.8


def test_group_and_transform_options(run_cli, planted_files):
    tmp, *_ = planted_files
    res = run_cli(with_fast(["rank", tmp / "X.npy", "--labels", tmp / "L.csv", "--attr", "quality", "--method", "extremes",
                   "--group", "grp", "--folds", "4", "--format", "json"]))
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)["results"]
    assert doc["groups"] == 10 and doc["folds"] == 4 and "regression" not in doc["methods"]


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--attr", "nope"], "no attribute column 'nope'"),
        (["--attr", "label"], "not numeric"),
        (["--attr", "flat"], "constant"),
        (["--attr", "quality", "--folds", "300"], "needs at least 600"),
        (["--attr", "quality", "--transform", "log1p"], "log1p"),
        (["--attr", "quality", "--method", "anchors"], "anchor"),
        (["--attr", "quality", "--method", "anchors", "--anchor-low", "zzz", "--anchor-high", "item1"], "'zzz' is not an id"),
        (["--attr", "quality", "--group", "grp", "--folds", "12"], "group"),
        (["--attr", "quality", "--shots", "2,x"], "--shots"),
        (["--attr", "quality", "--method", "fewshot", "--save-axis", "AXIS"], "no 'linear' axis"),
        (["--attr", "quality", "--axis", "MISSING.npy"], "no such axis file"),
        (["--attr", "quality", "--method", "bogus"], "unknown --method 'bogus'"),
    ],
)
def test_bad_input_is_one_line(run_cli, planted_files, extra, needle):
    tmp, *_ = planted_files
    extra = [str(tmp / "axis.npy") if e == "AXIS" else e for e in extra]
    res = run_cli(with_fast(["rank", tmp / "X.npy", "--labels", tmp / "L.csv", *extra]))
    assert res.code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error:"), res.stderr
    assert needle in lines[0]
    assert "Traceback" not in res.stderr
    assert not (tmp / "axis.npy").exists()


def test_rank_help_is_light():
    import subprocess
    import sys

    code = ("import sys; from embgeo.cli.app import app; import typer.main; "
            "typer.main.get_command(app).main(['rank', '--help'], standalone_mode=False); "
            "print(sorted(m for m in ('sklearn', 'torch', 'scipy', 'matplotlib', 'umap') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_anchor_ids_when_the_labels_join_by_row_number(run_cli, planted_files):
    """Labels whose id column holds the row numbers 0 … n−1 in another order join by row number; an anchor
    id then names that row (it named the row at that position of the file)."""
    tmp, X, a, u = planted_files
    perm = np.random.default_rng(3).permutation(400)
    (tmp / "Lnum.csv").write_text("id,quality\n" + "\n".join(f"{i},{a[i]:.6f}" for i in perm) + "\n")
    lo, hi = int(np.argmin(a)), int(np.argmax(a))
    res = run_cli([a for a in with_fast(["rank", tmp / "X.npy", "--labels", tmp / "Lnum.csv", "--attr", "quality", "--method", "anchors",
                                         "--anchor-low", str(lo), "--anchor-high", str(hi), "--no-baselines", "--format", "json"])
                   if a not in ("--join", "row-order")])
    assert res.code == 0, res.stderr
    m = json.loads(res.stdout)["results"]["methods"]["anchors"]
    assert m["n_heldout"] == 400 - 2 and m["spearman"] > 0.8  # the true extremes: the axis ranks the rest


def test_a_saved_axis_is_one_vector_read_from_a_npy(run_cli, planted_files):
    """A matrix whose size happens to equal the dimension is never flattened into an axis; a file that is
    not a plain .npy (text, pickled objects) is one line, not a traceback."""
    from tests._cli import one_line

    tmp, X, a, u = planted_files
    base = ["rank", tmp / "X.npy", "--labels", tmp / "L.csv", "--attr", "quality", *FAST]
    np.save(tmp / "m.npy", np.ones((4, 8)))  # 32 values, like the 32 dimensions
    one_line(run_cli([*base, "--axis", tmp / "m.npy"]), "an axis is one vector; --axis holds an array of shape (4, 8)")
    np.save(tmp / "col.npy", u[:, None])  # (32, 1): one vector stored as a column reads
    res = run_cli([*base, "--axis", tmp / "col.npy", "-f", "json"])
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["results"]["methods"]["axis"]["spearman"] > 0.9
    (tmp / "t.npy").write_text("1,2,3\n")
    one_line(run_cli([*base, "--axis", tmp / "t.npy"]), "--axis is not a .npy file (no NumPy header)")
    np.save(tmp / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    one_line(run_cli([*base, "--axis", tmp / "o.npy"]), "holds Python objects, which embgeo never unpickles")
    (tmp / "a.csv").write_text("1,2\n")
    one_line(run_cli([*base, "--axis", tmp / "a.csv"]), "--axis reads a .npy file")
