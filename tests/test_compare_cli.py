"""``embgeo compare`` on the bundled MiniLM sample against a perturbed copy (issue 16)."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from embgeo.datasets.registry import SENTENCES

SENT = SENTENCES / "sentences.npy"
FAST = ["--bootstrap", "10", "--permutations", "10"]


@pytest.fixture(scope="module")
def perturbed(tmp_path_factory):
    X = np.load(SENT).astype(np.float32)
    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("cmp")
    small = d / "pert_small.npy"
    np.save(small, (X + 0.01 * rng.normal(size=X.shape)).astype(np.float32))
    big = d / "pert_big.npy"
    np.save(big, (X + 0.2 * rng.normal(size=X.shape)).astype(np.float32))
    return X, small, big, d


def test_compare_json_contract_and_verdict(run_cli, perturbed):
    X, small, big, d = perturbed
    r = run_cli(["compare", SENT, small, "-f", "json", "-m", "cka,mutual_knn,imbalance", *FAST])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc) == ["schema", "embgeo_version", "command", "inputs", "settings", "results", "verdict", "notes"]
    assert doc["command"] == "compare" and [i["rows"] for i in doc["inputs"]] == [1640, 1640]
    res = doc["results"]
    assert res["n_rows"] == 1640 and res["n_dims_x"] == 384 and res["join"] == "row order"
    from embgeo.compare import linear_cka

    U = X.astype(np.float64) / np.linalg.norm(X.astype(np.float64), axis=1, keepdims=True)
    Y = np.load(small).astype(np.float64)
    V = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    assert res["cka_linear"]["value"] == pytest.approx(linear_cka(U, V), abs=1e-10)
    assert res["cka_linear"]["ci_low"] <= res["cka_linear"]["value"] <= res["cka_linear"]["ci_high"]
    assert res["cka_linear"]["null_high"] < 0.2
    assert doc["verdict"]["status"] == "ok" and doc["verdict"]["decided_by"] == "mutual_knn"
    assert doc["settings"]["bootstrap"] == 10 and doc["settings"]["seed"] == 0


def test_compare_gate_and_tidy_csv(run_cli, perturbed):
    X, small, big, d = perturbed
    r = run_cli(["compare", SENT, big, "-f", "csv", "-m", "cka,mutual_knn", "-k", "5,10", *FAST, "--fail-on", "warn"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0])[:6] == ["metric", "value", "ci_low", "ci_high", "unit", "status"]
    assert "null_low" in rows[0] and "k" in rows[0]
    by = {(row["metric"], row["k"]): row for row in rows}
    mk10 = float(by[("mutual_knn", "10")]["value"])
    cka = float(by[("cka_linear", "")]["value"])
    ok = cka >= 0.9 and mk10 >= 0.5
    assert r.code == (0 if ok else 1)
    assert not ok  # noise 0.2 per coordinate on unit-norm-scale vectors breaks the neighbourhoods
    assert by[("mutual_knn", "10")]["status"] in ("warn", "bad")


def test_compare_ids_join_and_mismatch(run_cli, perturbed, tmp_path):
    X, small, big, d = perturbed
    ids = np.array([f"s{i:04d}" for i in range(X.shape[0])])
    perm = np.random.default_rng(1).permutation(X.shape[0])
    np.savez(tmp_path / "x.npz", embeddings=X, ids=ids)
    np.savez(tmp_path / "y.npz", embeddings=np.load(small)[perm], ids=ids[perm])
    np.savez(tmp_path / "z.npz", embeddings=np.load(small)[:-40], ids=ids[:-40])
    a = json.loads(run_cli(["compare", tmp_path / "x.npz", tmp_path / "y.npz", "-f", "json", "-m", "cka", "--bootstrap", "0", "--permutations", "0"]).stdout)
    b = json.loads(run_cli(["compare", SENT, small, "-f", "json", "-m", "cka", "--bootstrap", "0", "--permutations", "0"]).stdout)
    assert a["results"]["join"] == "id"
    assert a["results"]["cka_linear"]["value"] == pytest.approx(b["results"]["cka_linear"]["value"], abs=1e-10)
    r = run_cli(["compare", tmp_path / "x.npz", tmp_path / "z.npz", "-m", "cka"])
    assert r.code == 2 and r.stdout == ""
    assert r.stderr.startswith("embgeo: error:") and "40 of the 1640 ids" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli(["compare", tmp_path / "x.npz", small, "-m", "cka"])
    assert r.code == 2 and "carry row ids" in r.stderr and "--join row-order" in r.stderr


def test_compare_prefix_quantize_matrix_and_plot(run_cli, perturbed, tmp_path):
    X, small, big, d = perturbed
    png = tmp_path / "heat.png"
    r = run_cli(["compare", SENT, "--prefix-dims", "32,128", "--quantize", "binary", "-m", "cka,mutual_knn", *FAST, "-f", "csv", "--plot", png])
    assert r.code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    ys = {row["y"] for row in rows}
    assert ys == {f"{SENT}[:32]", f"{SENT}[:128]", f"{SENT}@binary"}
    cka = {row["y"]: float(row["value"]) for row in rows if row["metric"] == "cka_linear"}
    assert cka[f"{SENT}[:32]"] < cka[f"{SENT}[:128]"] < 1.0
    assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"
    r = run_cli(["compare", SENT, small, big, "-m", "cka", *FAST, "-f", "json"])
    doc = json.loads(r.stdout)
    M = np.array(doc["results"]["matrices"]["cka_linear"])
    assert M.shape == (3, 3) and np.allclose(M, M.T) and doc["verdict"]["status"] == "info"
    assert M[0, 1] > M[0, 2]  # the small perturbation is closer than the big one


def test_compare_layers(run_cli, perturbed, tmp_path):
    X, small, big, d = perturbed
    Xs = X[:300].astype(np.float32)
    rng = np.random.default_rng(2)
    stack = np.stack([Xs, Xs + 0.01 * rng.normal(size=Xs.shape), rng.normal(size=Xs.shape)]).astype(np.float32)
    np.save(tmp_path / "stack.npy", stack)
    r = run_cli(["compare", "--layers", tmp_path / "stack.npy", "-m", "cka,mutual_knn", *FAST, "-f", "json"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    M = np.array(doc["results"]["matrices"]["cka_linear"])
    assert doc["results"]["kind"] == "layers" and doc["results"]["inputs"] == ["layer0", "layer1", "layer2"]
    assert M[0, 1] > 0.95 and M[0, 2] < 0.3


def test_compare_bad_options(run_cli, perturbed):
    X, small, big, d = perturbed
    for argv, text in ((["compare", SENT], "needs two inputs"), (["compare", SENT, small, "-m", "cca"], "unknown measure"),
                       (["compare", SENT, "--quantize", "int4"], "int8 or binary"), (["compare", SENT, "--prefix-dims", "1000"], "not within"),
                       (["compare", SENT, small, "--prefix-dims", "32"], "one input X")):
        r = run_cli(argv)
        assert r.code == 2 and text in r.stderr and "Traceback" not in r.stderr, (argv, r.stderr)


def test_report_compare_section_agrees_with_the_command(run_cli, perturbed):
    X, small, big, d = perturbed
    from embgeo.compare import compare
    from embgeo.io import load
    from embgeo.report.build import build_report

    es = load(str(d / "x300.npy")) if (d / "x300.npy").exists() else None
    if es is None:
        np.save(d / "x300.npy", X[:300])
        np.save(d / "y300.npy", np.load(big)[:300])
        es = load(str(d / "x300.npy"))
    other = load(str(d / "y300.npy"))
    rep = build_report(es, compare=other, only=["compare"])
    (sec,) = rep.sections
    direct = compare(es, other, n_bootstrap=50, n_permutations=50, seed=0, names=(es.source, other.source))
    assert sec.key == "compare" and sec.status == direct.verdict().status
    assert sec.data["cka_linear"]["value"] == pytest.approx(direct.value("cka_linear"), abs=1e-12)
    assert ["compared with", f"{other.source} (300 × 384)"] in rep.inputs
    from embgeo.errors import use_surface

    left = build_report(es, only=["compare"]).left_out
    assert any("(compare)" in str(row) for row in left) and not any("--compare" in str(row) for row in left)  # Python: the argument
    with use_surface("cli"):
        left = build_report(es, only=["compare"]).left_out
    assert any("--compare Y" in str(row) for row in left)
    assert "--compare" in run_cli(["report", "--help"]).stdout
