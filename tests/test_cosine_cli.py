"""``embgeo cosine``: output formats, options and one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

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


def test_json_has_every_diagnostic_with_a_verdict(run_cli, shifted):
    path, _, X = shifted
    res = run_cli(["cosine", path, "--k", "5", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["schema"] == "embgeo.cosine/1" and doc["n_samples"] == 300 and doc["n_features"] == 40
    for name in DIAGNOSTICS:
        assert doc[name]["verdict"]["status"] in ("ok", "warn", "bad")
    # offset norm √40 against noise norm √40: mean cosine ≈ 1/2 (ratio of expectations, ±3 %)
    assert abs(doc["anisotropy"]["mean_cosine"] - 0.5) < 0.03 and doc["anisotropy"]["verdict"]["status"] == "bad"
    assert doc["status"] == "bad" and doc["rescaling"]["mode"] == "single"
    assert len(doc["anisotropy"]["hist_counts"]) == 100 and len(doc["rogue_dimensions"]["shares"]) == 40


def test_table_columns_and_fix_notes(run_cli, shifted):
    path, _, _ = shifted
    res = run_cli(["cosine", path, "--k", "5", "-f", "csv"])
    assert res.code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "diagnostic,value,baseline,verdict,reason"
    assert [line.split(",")[0] for line in lines[1:]] == list(DIAGNOSTICS)
    table = run_cli(["cosine", path, "--k", "5"])
    assert "fix — anisotropy: centre the embeddings" in table.stdout.replace("\n", " ")


def test_attr_with_labels_and_write_processed(run_cli, shifted, tmp_path):
    path, labels, X = shifted
    out = tmp_path / "centred.npy"
    res = run_cli(["cosine", path, "--k", "5", "--labels", labels, "--attr", "freq", "--write-processed", out, "--process", "centre", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    # the attribute is the norm itself (printed to 6 decimals): Spearman 1 up to rounding ties
    assert doc["norms"]["spearman"] > 0.999 and doc["norms"]["attribute"] == "freq"
    Y = np.load(out)
    assert Y.shape == X.shape and doc["processed"]["method"] == "centre"
    np.testing.assert_allclose(Y.mean(axis=0), 0.0, atol=1e-5)  # float32 output of a float64 centring


def test_factors(run_cli, tmp_path):
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((60, 6)) * np.r_[10, 10, 1, 1, 0.1, 0.1], rng.standard_normal((80, 6))
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "B.npy", B)
    res = run_cli(["cosine", tmp_path / "B.npy", "--factors", tmp_path / "A.npy", tmp_path / "B.npy", "--k", "5", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)["rescaling"]
    assert doc["mode"] == "factors" and doc["invariant_jaccard"] == 1.0
    assert max(c["max_dot_change"] for c in doc["cases"]) < 1e-9  # dot products unchanged to round-off


def test_fail_on(run_cli, shifted):
    path, _, _ = shifted
    assert run_cli(["cosine", path, "--k", "5", "--fail-on", "bad", "-f", "json"]).code == 1
    iso = path.parent / "iso.npy"
    np.save(iso, np.random.default_rng(2).standard_normal((300, 64)))
    res = run_cli(["cosine", iso, "--k", "5", "--fail-on", "warn", "-f", "json"])
    assert res.code == 0 and json.loads(res.stdout)["status"] == "ok"


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--attr", "freq"], "no attribute column 'freq'"),
        (["--k", "400"], "k=400"),
        (["--labels", "LABELS", "--attr", "name"], "not numeric"),
        (["--factors", "MISSING.npy", "MISSING.npy"], "MISSING.npy"),
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
    assert res.code == 2 and "all-zero rows" in res.stderr
    ok = run_cli(["cosine", tmp_path / "z.npy", "--k", "3", "--drop-zero", "-f", "json"])
    assert ok.code == 0 and json.loads(ok.stdout)["n_samples"] == 49
