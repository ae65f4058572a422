"""A verdict is derived from the numbers shown beside it: ``embgeo cosine`` and ``embgeo id``.

For small seeded inputs, parse ``-f csv`` and ``-f json`` and check that the row named by
``verdict.decided_by`` carries the verdict's status, that every row with a status agrees with
the documented rule (docs/cosine.md, docs/id.md) applied to its own value, and that a number
shown beside a threshold is never rounded onto or across it.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from embgeo.cosine.common import shown

ROOT = Path(__file__).resolve().parents[1]
SEVERITY = {"ok": 0, "warn": 1, "bad": 2}


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _f(cell: str) -> float | None:
    return None if cell in ("", None) else float(cell)


def _run(run_cli, argv):
    res = run_cli(argv)
    assert res.code == 0, res.stderr
    return res.stdout


# --------------------------------------------------------------------------- the helper


@pytest.mark.parametrize("value, thresholds, kw, text", [
    (0.3957, (0.7, 0.4), dict(digits=0, scale=100), "39.6"),
    (0.3957, (0.7, 0.4), dict(digits=2), "0.396"),
    (0.5804, (0.7, 0.4), dict(digits=0, scale=100), "58"),
    (0.4, (0.7, 0.4), dict(digits=0, scale=100), "40"),  # exactly on it: shown on it
    (0.0999, (0.1, 0.4), {}, "0.0999"),
    (0.2496, (0.25,), dict(digits=2), "0.2496"),
    (0.9996, (1.0, 3.0), dict(digits=2), "0.9996"),
    (-0.0003, (0.1, 0.4), {}, "-0.000"),
    (float("nan"), (0.1,), {}, "n/a"),
])
def test_shown_never_rounds_across_a_threshold(value, thresholds, kw, text):
    assert shown(value, *thresholds, **kw) == text


def test_shown_reads_to_the_same_side_on_random_values():
    rng = np.random.default_rng(0)
    for t in (0.1, 0.25, 0.4, 0.5, 0.6, 0.7, 0.8):
        for v in t + rng.normal(scale=0.003, size=200):
            for scale, digits in ((1.0, 2), (100.0, 0), (1.0, 3)):
                s = float(shown(v, t, digits=digits, scale=scale)) / scale
                assert np.sign(round(s - t, 12)) == np.sign(round(v - t, 12)), (v, t, s)


# --------------------------------------------------------------------------- cosine


def _grade(value, warn, bad, higher_is_worse=True):
    if higher_is_worse:
        return "bad" if value >= bad else "warn" if value >= warn else "ok"
    return "bad" if value < bad else "warn" if value < warn else "ok"


def _cosine_expected(row: dict, by: dict, n_dims: int, top: int = 3, margin: float = 0.02) -> str:
    """The documented rule of the metric ``row`` (docs/cosine.md, "The diagnostics"), applied to its value."""
    m, v = row["metric"], _f(row["value"])
    if m == "anisotropy":
        return _grade(v, 0.1, 0.4)
    if m == "isoscore_ratio":
        return "warn" if v < 0.25 else "ok"
    if m == "rogue_dims":
        even = 4.0 * top / n_dims
        return "ok" if by["anisotropy"] < 0.1 else _grade(v, max(0.25, even), max(0.5, even))
    if m == "jaccard_dot_cosine":
        rho = by.get("norm_spearman")
        s_r = "warn" if rho is not None and abs(rho) >= 0.3 else "ok"
        return max(_grade(v, 0.5, 0.2, False), s_r, key=SEVERITY.get)
    if m == "norm_spearman":
        return "warn" if abs(v) >= 0.3 else "ok"
    if m == "hubness_skewness":
        return _grade(v, 1.0, 3.0)
    if m == "rescaling_jaccard_standardised":
        return _grade(v, 0.6, 0.3, False)
    if m == "rescaling_jaccard":  # --factors: the smallest Jaccard over the rescalings
        return _grade(v, 0.8, 0.5, False)
    if m == "postprocess_jaccard":
        needed = by["transform_mean_cosine.raw"] >= 0.1 or by["transform_hubness_skewness.raw"] >= 1.0
        return _grade(v, 0.7, 0.4, False) if needed else "ok"
    if m == "precision_gain":
        lo = _f(row["ci_low"])
        return "bad" if lo is not None and lo > margin else "ok"
    raise AssertionError(f"row {m} has status {row['status']!r} but no documented rule")


def _check_cosine(run_cli, argv, *, expect_status=None, expect_decided_by=None):
    rows = _rows(_run(run_cli, ["cosine", *argv, "-f", "csv"]))
    doc = json.loads(_run(run_cli, ["cosine", *argv, "-f", "json"]))
    v = doc["verdict"]
    by = {}
    for r in rows:
        key = r["metric"] + (f".{r['method']}" if r.get("method") else "")
        by.setdefault(key, _f(r["value"]))
    # the verdict's row carries the verdict's status, and JSON and CSV agree on its number
    named = [r for r in rows if r["metric"] == v["decided_by"]]
    assert named, f"decided_by {v['decided_by']!r} names no CSV row"
    assert v["status"] in {r["status"] for r in named}
    if not any(r.get("method") for r in named):
        assert len(named) == 1 and _f(named[0]["value"]) == doc["results"][v["decided_by"]]
    # every diagnostic's own decided_by row carries that diagnostic's status
    for name, part in doc["results"]["diagnostics"].items():
        pv = part["verdict"]
        assert [r["status"] for r in rows if r["metric"] == pv["decided_by"] and not r.get("method")] == [pv["status"]], name
    # every status agrees with the documented rule applied to the value beside it
    checked = 0
    for r in rows:
        if r["status"]:
            assert r["status"] == _cosine_expected(r, by, doc["results"]["n_dims"]), r
            checked += 1
    assert checked >= 7
    if expect_status:
        assert v["status"] == expect_status
    if expect_decided_by:
        assert v["decided_by"] == expect_decided_by
    return rows, doc


@pytest.fixture(scope="module")
def sentence_sets(tmp_path_factory):
    d = tmp_path_factory.mktemp("sent")
    data = ROOT / "datasets" / "data" / "sentences"
    sent, pa = d / "sent.npy", d / "pa.npy"
    np.save(sent, np.load(data / "sentences.npy")[:300].astype("f4"))
    np.save(pa, np.load(data / "paraphrases_a.npy")[:300].astype("f4"))
    return sent, pa


def test_cosine_rescaling_status_sits_on_the_standardised_jaccard(run_cli, sentence_sets):
    sent, _ = sentence_sets
    rows, doc = _check_cosine(run_cli, [sent])
    resc = doc["results"]["diagnostics"]["rescaling"]["verdict"]
    assert resc["decided_by"] == "rescaling_jaccard_standardised"
    st = {r["metric"]: r for r in rows}
    assert "rescaling_jaccard" not in st  # one matrix: the old min(standardised, whitened) row is gone
    assert st["rescaling_jaccard_standardised"]["status"] == resc["status"] == "ok"
    assert st["rescaling_jaccard_whitened"]["status"] == ""  # the whitened Jaccard decides nothing
    assert _f(st["rescaling_jaccard_whitened"]["value"]) < 0.3  # ... and would read bad if it carried a status


def test_cosine_abtt_is_shown_on_its_side_of_the_threshold(run_cli, sentence_sets):
    _, pa = sentence_sets
    rows, doc = _check_cosine(run_cli, [pa], expect_status="bad", expect_decided_by="postprocess_jaccard")
    value = next(_f(r["value"]) for r in rows if r["metric"] == "postprocess_jaccard")
    assert 0.39 < value < 0.4  # the case the rounding got wrong
    pct = float(re.search(r"all-but-the-top \(\d+ PCs?\) ([\d.]+) %", doc["verdict"]["reason"]).group(1))
    assert pct < 40 and abs(pct - 100 * value) < 0.051
    md = _run(run_cli, ["cosine", pa, "-f", "md"])
    post = next(line for line in md.splitlines() if line.startswith("| postprocessing"))
    assert float(re.search(r"abtt ([\d.]+)", post).group(1)) < 0.4
    assert float(re.search(r"all-but-the-top \(\d+ PCs?\) ([\d.]+) %", post).group(1)) < 40


def test_cosine_shifted_cloud_with_retrieval(run_cli, tmp_path):
    rng = np.random.default_rng(0)
    centres, spread = rng.standard_normal((6, 40)), rng.uniform(0.5, 3.0, size=6)
    X = np.concatenate([centres[c] + 1.0 + spread[c] * rng.standard_normal((40, 40)) for c in range(6)]).astype("f4")
    path, labels = tmp_path / "x.npy", tmp_path / "x.csv"
    np.save(path, X)
    labels.write_text("cls\n" + "\n".join(f"c{i // 40}" for i in range(240)) + "\n")
    rows, doc = _check_cosine(run_cli, [path, "--labels", labels, "--join", "row-order", "--class", "cls",
                                        "-m", "cosine,centred,csls", "--bootstrap", "50", "-k", "5"])
    assert doc["verdict"]["status"] in ("warn", "bad")
    assert any(r["metric"] == "precision_gain" and r["status"] for r in rows)


def test_cosine_factors(run_cli, tmp_path):
    rng = np.random.default_rng(1)
    A = np.hstack([10.0 * rng.standard_normal((80, 4)), 0.01 * rng.standard_normal((80, 8))])
    B = np.hstack([0.1 * rng.standard_normal((120, 4)), rng.standard_normal((120, 8))])
    pa, pb = tmp_path / "A.npy", tmp_path / "B.npy"
    np.save(pa, A)
    np.save(pb, B)
    rows, doc = _check_cosine(run_cli, [pb, "--factors", pa, pb, "-k", "5"], expect_status="bad", expect_decided_by="rescaling_jaccard")
    st = {r["metric"]: r["status"] for r in rows}
    assert st["rescaling_jaccard"] == "bad" and st["rescaling_invariant_jaccard"] == ""
    assert "rescaling_jaccard_standardised" not in st


# --------------------------------------------------------------------------- id


def _layer3(noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    Z = rng.uniform(size=(300, 5)) @ rng.normal(size=(5, 64))
    return Z + noise * rng.normal(size=Z.shape)


ESTIMATES = ("twonn", "mle", "gride.plateau", "calibrated")


def _check_id_rows(rows: list[dict], status: str, decided_by: str | None):
    """One report's rows (one layer): statuses follow docs/id.md."""
    est = [r for r in rows if r["metric"] in ESTIMATES and _f(r["ci_low"]) is not None and r["metric"] != "calibrated"]

    def misses(r):  # its 95 % interval misses another estimate's
        return any(max(_f(r["ci_low"]) - _f(o["ci_high"]), _f(o["ci_low"]) - _f(r["ci_high"])) > 0 for o in est if o is not r)

    for r in rows:
        s = r["status"]
        if not s:
            continue
        m = r["metric"]
        if m in ESTIMATES:
            if s == "warn":
                assert (m == "gride.plateau" and r["value"] == "") or misses(r), r
            else:
                assert s == "ok" and r["value"] != "" and not (r in est and misses(r)), r
        elif m == "sample_check.twonn":
            assert s in ("ok", "warn")
        elif m in ("pca", "rankme"):
            assert s == "info" == status and m == decided_by, r
        else:
            raise AssertionError(f"row {m} has status {s!r} but no documented rule")
    if decided_by is not None:
        assert status in {r["status"] for r in rows if r["metric"] == decided_by}, (decided_by, status)


def test_id_single_matrix_statuses(run_cli, tmp_path):
    path = tmp_path / "layer3.npy"
    for noise in (0.05, 0.5):
        np.save(path, _layer3(noise))
        rows = _rows(_run(run_cli, ["id", path, "--bootstrap", "50", "-f", "csv"]))
        v = json.loads(_run(run_cli, ["id", path, "--bootstrap", "50", "-f", "json"]))["verdict"]
        _check_id_rows(rows, v["status"], v["decided_by"])
        assert any(r["status"] for r in rows)
        if noise == 0.5:
            assert v["status"] == "warn" and v["decided_by"] in ("mle", "twonn", "gride.plateau")
    rows = _rows(_run(run_cli, ["id", path, "-m", "pca", "-f", "csv"]))
    v = json.loads(_run(run_cli, ["id", path, "-m", "pca", "-f", "json"]))["verdict"]
    assert v["status"] == "info" and v["decided_by"] == "pca"
    _check_id_rows(rows, v["status"], v["decided_by"])


def test_id_layers_statuses(run_cli, tmp_path):
    path = tmp_path / "stack.npy"
    np.save(path, np.stack([_layer3(s, seed=0) for s in (0.01, 0.05, 0.2, 0.5)]))
    rows = _rows(_run(run_cli, ["id", path, "--layers", "--bootstrap", "50", "-f", "csv"]))
    v = json.loads(_run(run_cli, ["id", path, "--layers", "--bootstrap", "50", "-f", "json"]))["verdict"]
    assert v["status"] == "warn"
    layers = sorted({r["layer"] for r in rows if r["layer"] and r["metric"] != "overlap_next"})
    warned = re.search(r"layer (\S+?)(?: \((\d+) of \d+ layers warn: ([^)]*)\))?:", v["reason"])
    named = warned.group(3).split(", ") if warned.group(3) else [warned.group(1)]
    for layer in layers:
        mine = [r for r in rows if r["layer"] == layer and r["metric"] != "overlap_next"]
        statuses = {r["status"] for r in mine if r["status"]}
        if layer in named:  # a layer the verdict names carries warn on its own rows
            assert "warn" in statuses, layer
        else:
            assert statuses <= {"ok"}, layer
        _check_id_rows(mine, "warn" if layer in named else "ok", v["decided_by"] if layer == warned.group(1) else None)


# --------------------------------------------------------------------------- device


@pytest.mark.parametrize("command", ["cosine", "id"])
def test_device_records_where_it_ran_and_what_was_asked(run_cli, tmp_path, command):
    torch = pytest.importorskip("torch")
    path = tmp_path / "x.npy"
    np.save(path, _layer3(0.05)[:120].astype("f4"))
    extra = ["-m", "twonn", "--bootstrap", "0"] if command == "id" else ["-k", "5"]
    doc = json.loads(_run(run_cli, ["--device", "cuda", command, path, *extra, "-f", "json"]))
    ran = "cuda" if torch.cuda.is_available() else "cpu"
    assert doc["settings"]["device"] == ran
    fell_back = [n for n in doc["notes"] if n.startswith("--device cuda: no CUDA device")]
    assert bool(fell_back) == (ran == "cpu")
    doc = json.loads(_run(run_cli, ["--device", "cpu", command, path, *extra, "-f", "json"]))
    assert doc["settings"]["device"] == "cpu" and not [n for n in doc["notes"] if n.startswith("--device")]
