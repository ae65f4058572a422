"""``embgeo cosine``: output formats, options and one-line errors."""
from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest

from embgeo.results import schema_id

DIAGNOSTICS = ("anisotropy", "isoscore", "rogue_dimensions", "norms", "hubness", "rescaling", "postprocessing")


@pytest.fixture
def shifted(tmp_path):
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((300, 40)) + 1.0).astype(np.float32)
    path = tmp_path / "shifted.npy"
    np.save(path, X)
    labels = tmp_path / "labels.csv"
    norms = np.linalg.norm(X.astype(np.float64), axis=1)
    labels.write_text("freq,name\n" + "\n".join(f"{v:.6f},w{i}" for i, v in enumerate(norms)) + "\n")
    return path, labels, X


CONTRACT_KEYS = ["schema", "embgeo_version", "command", "inputs", "settings", "results", "verdict", "notes"]


def test_json_follows_the_output_contract(run_cli, shifted):
    path, _, X = shifted
    res = run_cli(["cosine", path, "-k", "5", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert list(doc) == CONTRACT_KEYS and doc["schema"] == schema_id("cosine") and doc["command"] == "cosine"
    assert doc["inputs"] == [{"path": str(path), "key": None, "rows": 300, "dims": 40, "dtype": "float32"}]
    assert doc["settings"]["k"] == 5 and doc["settings"]["seed"] == 0 and doc["settings"]["process"] == "best"
    r = doc["results"]
    assert (r["n_rows"], r["n_dims"]) == (300, 40)
    for name in DIAGNOSTICS:
        assert r["diagnostics"][name]["verdict"]["status"] in ("ok", "warn", "bad")
    # offset norm √40 against noise norm √40: mean cosine ≈ 1/2 (ratio of expectations, ±3 %)
    assert abs(r["anisotropy"] - 0.5) < 0.03 and r["diagnostics"]["anisotropy"]["verdict"]["status"] == "bad"
    lo, hi = r["anisotropy_sampled"]["ci_low"], r["anisotropy_sampled"]["ci_high"]
    assert lo < r["anisotropy_sampled"]["value"] < hi
    assert doc["verdict"]["status"] == "bad" and doc["verdict"]["decided_by"] == "anisotropy"
    assert "0.5" in doc["verdict"]["reason"] and "bad ≥ 0.4" in doc["verdict"]["reason"]
    assert r["diagnostics"]["rescaling"]["mode"] == "single"
    assert len(r["diagnostics"]["anisotropy"]["hist_counts"]) == 100 and len(r["diagnostics"]["rogue_dimensions"]["shares"]) == 40
    for key in ("rogue_dims", "hubness_skewness", "robin_hood", "k_occurrence_max", "jaccard_dot_cosine", "postprocess_jaccard"):
        assert isinstance(r[key], (int, float)), key
    assert 0 <= r["robin_hood"] <= 1 and set(r["transform_jaccard"]) == {"raw", "centre", "abtt", "whiten"}


def test_tidy_csv_rows_match_the_json(run_cli, shifted):
    path, _, _ = shifted
    res = run_cli(["cosine", path, "--k", "5", "-f", "csv"])
    assert res.code == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert res.stdout.splitlines()[0].startswith("metric,value,ci_low,ci_high,unit,status")
    doc = json.loads(run_cli(["cosine", path, "--k", "5", "-f", "json"]).stdout)
    for row in rows:
        assert re.fullmatch(r"[a-z0-9_.]+", row["metric"]), row["metric"]
        want = doc["results"][row["metric"]]
        if row.get("method"):
            want = want[row["method"]]
        if isinstance(want, dict):
            assert float(row["ci_low"]) == want["ci_low"] and float(row["ci_high"]) == want["ci_high"]
            want = want["value"]
        assert float(row["value"]) == want  # full precision
    by = {r["metric"]: r for r in rows if not r.get("method")}
    assert by["anisotropy"]["status"] == "bad" and by["hubness_skewness"]["status"] in ("warn", "bad")
    table = run_cli(["cosine", path, "--k", "5"])
    text = table.stdout.replace("\n", " ")
    assert "fix — anisotropy: centre the embeddings" in text and "verdict: bad" in text


def test_retrieval_with_classes_and_write_processed(run_cli, tmp_path):
    rng = np.random.default_rng(0)
    C = rng.standard_normal((10, 100))
    s = rng.uniform(0.5, 3.0, size=10)
    X = np.concatenate([C[c] + s[c] * rng.standard_normal((30, 100)) for c in range(10)]) + 2.0
    np.save(tmp_path / "hubs.npy", X)
    (tmp_path / "cls.csv").write_text("cls\n" + "\n".join(f"c{i // 30}" for i in range(300)) + "\n")
    out = tmp_path / "best.npy"
    res = run_cli(["cosine", tmp_path / "hubs.npy", "--labels", tmp_path / "cls.csv", "--class", "cls", "-m", "mp_empirical,centred",
                   "-m", "csls", "--bootstrap", "200", "--write-processed", out, "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    rt = doc["results"]["retrieval"]
    assert rt["n_queries"] == 300 and list(rt["methods"]) == ["cosine", "mp_empirical", "centred", "csls"]
    mp = rt["methods"]["mp_empirical"]
    assert mp["precision_at_k"]["value"] > rt["methods"]["cosine"]["precision_at_k"]["value"] and mp["precision_gain"]["ci_low"] > 0
    assert doc["settings"]["method"] == ["mp_empirical", "centred", "csls"]
    # written: the best vector transform (centring, which also beats raw cosine on this offset set) — or the recommended one
    written = doc["settings"]["process"]
    assert written in ("centre", "abtt", "whiten") and f"wrote {tmp_path / 'best.npy'} (the rows after --process {written}, 300 × 100, float64)" in res.stderr
    Y = np.load(out)
    if written == "centre":
        np.testing.assert_allclose(Y, X - X.mean(axis=0), atol=1e-9)
    rows = list(csv.DictReader(io.StringIO(run_cli(["cosine", tmp_path / "hubs.npy", "--labels", tmp_path / "cls.csv", "--class", "cls",
                                                     "-m", "mp_empirical", "--bootstrap", "200", "-f", "csv"]).stdout)))
    gain = [r for r in rows if r["metric"] == "precision_gain" and r["method"] == "mp_empirical"]
    assert len(gain) == 1 and gain[0]["status"] == "bad" and gain[0]["k"] == "10"


def test_qrels(run_cli, tmp_path):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 8))
    X[1] = X[0] + 0.01 * rng.standard_normal(8)  # row 1 is row 0's nearest neighbour
    np.save(tmp_path / "q.npy", X)
    (tmp_path / "q.qrels").write_text("query\tdoc\trel\n0\t1\t1\n0\t5\t0\n2\t99\t1\n")
    res = run_cli(["cosine", tmp_path / "q.npy", "--qrels", tmp_path / "q.qrels", "-k", "1", "--bootstrap", "0", "-m", "cosine", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    rt = doc["results"]["retrieval"]
    assert rt["n_queries"] == 1 and rt["methods"]["cosine"]["precision_at_k"]["value"] == 1.0
    assert any("1 qrels pairs skipped" in n for n in doc["notes"])


def test_attr_with_labels_and_write_processed(run_cli, shifted, tmp_path):
    path, labels, X = shifted
    out = tmp_path / "centred.npy"
    res = run_cli(["cosine", path, "--k", "5", "--labels", labels, "--attr", "freq", "--write-processed", out, "--process", "center", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    # the attribute is the norm itself (printed to 6 decimals): Spearman 1 up to rounding ties
    assert doc["results"]["norm_spearman"] > 0.999 and doc["results"]["diagnostics"]["norms"]["attribute"] == "freq"
    Y = np.load(out)
    assert Y.shape == X.shape and doc["settings"]["process"] == "centre"
    np.testing.assert_allclose(Y.mean(axis=0), 0.0, atol=1e-5)  # float32 output of a float64 centring
    quiet = run_cli(["-q", "cosine", path, "--k", "5", "--write-processed", out, "-f", "json"])
    assert quiet.code == 0 and quiet.stderr == "" and json.loads(quiet.stdout)["command"] == "cosine"


def test_factors(run_cli, tmp_path):
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((60, 6)) * np.r_[10, 10, 1, 1, 0.1, 0.1], rng.standard_normal((80, 6))
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "B.npy", B)
    res = run_cli(["cosine", tmp_path / "B.npy", "--factors", tmp_path / "A.npy", tmp_path / "B.npy", "--k", "5", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert len(doc["inputs"]) == 3
    rs = doc["results"]["diagnostics"]["rescaling"]
    assert rs["mode"] == "factors" and rs["invariant_jaccard"] == 1.0 and doc["results"]["rescaling_invariant_jaccard"] == 1.0
    assert max(c["max_dot_change"] for c in rs["cases"]) < 1e-9  # dot products unchanged to round-off
    # --class with --factors: label precision@k of B's cosine neighbours under each rescaling (issue 19)
    (tmp_path / "cls.csv").write_text("cls\n" + "\n".join(str(i % 4) for i in range(80)) + "\n")
    res = run_cli(["cosine", tmp_path / "B.npy", "--factors", tmp_path / "A.npy", tmp_path / "B.npy", "--labels", tmp_path / "cls.csv",
                   "--join", "row-order", "--class", "cls", "-m", "cosine", "--bootstrap", "0", "--k", "5", "-f", "json"])
    assert res.code == 0, res.stderr
    prec = json.loads(res.stdout)["results"]["rescaling_precision"]
    Bu = B / np.linalg.norm(B, axis=1, keepdims=True)
    S = Bu @ Bu.T
    np.fill_diagonal(S, -np.inf)
    nb = np.argsort(-S, axis=1, kind="stable")[:, :5]
    lab = np.arange(80) % 4
    assert prec["identity"] == pytest.approx(np.mean(lab[nb] == lab[:, None]), abs=1e-12)
    assert set(prec) >= {"identity", "balanced", "scale-in-A", "scale-in-B", "invariant"}
    # X must be B's items: an unrelated X, or A and B swapped, is refused (it was judged and reported for X)
    np.save(tmp_path / "other.npy", rng.standard_normal((120, 16)))
    for argv in (["other.npy", "A.npy", "B.npy"], ["B.npy", "B.npy", "A.npy"]):
        res = run_cli(["cosine", tmp_path / argv[0], "--factors", tmp_path / argv[1], tmp_path / argv[2]])
        assert res.code == 2 and res.stderr.count("\n") == 1 and "with --factors, X's rows are the items" in res.stderr, res.stderr


def test_fail_on(run_cli, shifted):
    path, _, _ = shifted
    res = run_cli(["cosine", path, "--k", "5", "--fail-on", "bad", "-f", "json"])
    assert res.code == 1 and json.loads(res.stdout)["verdict"]["status"] == "bad" and "gate" in res.stderr
    iso = path.parent / "iso.npy"
    np.save(iso, np.random.default_rng(2).standard_normal((300, 64)))
    res = run_cli(["cosine", iso, "--k", "5", "--fail-on", "warn", "-f", "json"])
    assert res.code == 0 and json.loads(res.stdout)["verdict"]["status"] == "ok"


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--attr", "freq"], "no attribute column 'freq'"),
        (["--k", "400"], "--k 400 needs more than 400 rows"),
        (["--labels", "LABELS", "--attr", "name"], "not numeric"),
        (["--factors", "MISSING.npy", "MISSING.npy"], "MISSING.npy"),
        (["--class", "name", "--qrels", "LABELS"], "--class and --qrels"),
        (["-m", "mp_empirical"], "--class COLUMN or --qrels FILE"),
        (["--labels", "LABELS", "--class", "name", "-m", "mp"], "unknown --method 'mp'"),
        (["--labels", "LABELS", "--class", "name"], "no row has a relevant row"),
    ],
)
def test_bad_input_is_one_line(run_cli, shifted, extra, needle):
    path, labels, _ = shifted
    extra = [str(labels) if e == "LABELS" else e for e in extra]
    res = run_cli(["cosine", path, *extra])
    assert res.code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error:") and needle in lines[0]
    assert "Traceback" not in res.stderr


def test_zero_rows(run_cli, tmp_path):
    X = np.random.default_rng(3).standard_normal((50, 8))
    X[7] = 0.0
    np.save(tmp_path / "z.npy", X)
    res = run_cli(["cosine", tmp_path / "z.npy", "--k", "3"])
    assert res.code == 2 and "all-zero row" in res.stderr
    ok = run_cli(["cosine", tmp_path / "z.npy", "--k", "3", "--drop-zero", "-f", "json"])
    assert ok.code == 0 and json.loads(ok.stdout)["results"]["n_rows"] == 49


def test_confidence_sets_the_level_of_the_retrieval_intervals(run_cli, tmp_path):
    """--confidence has the meaning it has in compare, rank, uniformity and gap: the same point
    estimates, the same bootstrap draws, a narrower percentile interval at a lower level."""
    rng = np.random.default_rng(0)
    C = rng.standard_normal((6, 40))
    X = np.concatenate([C[c] + 1.5 * rng.standard_normal((25, 40)) for c in range(6)])
    np.save(tmp_path / "x.npy", X)
    (tmp_path / "cls.csv").write_text("cls\n" + "\n".join(f"c{i // 25}" for i in range(150)) + "\n")
    base = ["cosine", tmp_path / "x.npy", "--labels", tmp_path / "cls.csv", "--class", "cls", "-m", "centred", "--bootstrap", "300",
            "-f", "json"]
    wide, narrow = (json.loads(run_cli(base + ["--confidence", c]).stdout) for c in ("0.95", "0.5"))
    assert narrow["settings"]["confidence"] == 0.5 and wide["settings"]["confidence"] == 0.95
    assert wide["results"]["retrieval"]["confidence"] == 0.95 and narrow["results"]["retrieval"]["confidence"] == 0.5
    for m in ("cosine", "centred"):
        w, n = wide["results"]["retrieval"]["methods"][m]["precision_at_k"], narrow["results"]["retrieval"]["methods"][m]["precision_at_k"]
        assert w["value"] == n["value"]
        assert w["ci_low"] < n["ci_low"] <= n["value"] <= n["ci_high"] < w["ci_high"]
