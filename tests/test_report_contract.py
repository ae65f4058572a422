"""The report's contract with the commands it stands for: the same numbers as the command for the same input
and seed, every card naming the metric that decided it, a tidy full-precision CSV (one row per card), and a
top-level ``decided_by`` that names a metric. Also: ``embgeo info`` on several files names the file in its verdict.

One report of 300 sentence rows is built once (module fixture) through the real CLI, as CSV and as JSON.
"""
from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

SENTENCES = Path(__file__).resolve().parents[1] / "datasets" / "data" / "sentences" / "sentences.npy"


def _cli(argv) -> int:
    """Run the real entry point (usable from a module-scoped fixture: no capsys)."""
    from embgeo.cli.app import main

    buf = io.StringIO()
    try:
        with redirect_stdout(buf):
            main([str(a) for a in argv])
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    if not SENTENCES.exists():
        pytest.skip(f"{SENTENCES} is not available")
    d = tmp_path_factory.mktemp("report_contract")
    X = np.load(SENTENCES)[:300].astype(np.float32)
    np.save(d / "sent.npy", X)
    return d


@pytest.fixture(scope="module")
def built(sent):
    """The report of sent.npy (default settings: map pca, re-embedding of all 300 rows) as CSV, JSON, HTML and Markdown."""
    d = sent
    assert _cli(["report", d / "sent.npy", "--html", d / "r.html", "--md", d / "r.md", "-q", "--out", d / "r.json"]) == 0
    assert _cli(["report", d / "sent.npy", "--html", d / "r2.html", "-q", "--out", d / "r.csv"]) == 0
    assert _cli(["id", d / "sent.npy", "-q", "--out", d / "id.json"]) == 0
    doc = json.loads((d / "r.json").read_text())
    rows = list(csv.DictReader(io.StringIO((d / "r.csv").read_text())))
    return {"dir": d, "json": doc, "csv": rows, "html": (d / "r.html").read_text(), "md": (d / "r.md").read_text(),
            "id": json.loads((d / "id.json").read_text())}


def _section(doc, key):
    return next(s for s in doc["results"]["sections"] if s["key"] == key)


def _cards(html: str) -> dict:
    """section key -> the text of its summary card."""
    cards = re.findall(r'<a class="card st-[^"]+" href="#sec-([^"]+)">(.*?)</a>', html, flags=re.S)
    return {key: htmllib.unescape(re.sub(r"<[^>]+>", " ", body)) for key, body in cards}


def _own_results(X, seed: int = 0) -> dict:
    """Each section's analysis run again through the library with its command's defaults (what the CLI prints)."""
    from embgeo.cosine.diagnostics import cosine_diagnostics
    from embgeo.hyperbolic.reembed import reembed
    from embgeo.info import describe
    from embgeo.intrinsic.summary import intrinsic_dimension
    from embgeo.io.model import as_embedding_set
    from embgeo.uniformity.core import uniformity

    return {
        "overview": lambda: describe(as_embedding_set(X)),
        "uniformity": lambda: uniformity(X, seed=seed),
        "intrinsic": lambda: intrinsic_dimension(X, seed=seed),
        "cosine": lambda: cosine_diagnostics(X, seed=seed),
        "reembed": lambda: reembed(X, dim=2, k=10, seed=seed),
    }


# --------------------------------------------------------------------------- bug 1: the command's numbers
def test_intrinsic_card_shows_the_numbers_of_embgeo_id(built):
    idr = built["id"]["results"]
    sec = _section(built["json"], "intrinsic")
    for est in ("twonn", "mle"):  # the report ran embgeo id's defaults: the same estimates and bootstrap intervals
        assert sec["data"][est] == idr[est], est
    tw, mle = idr["twonn"], idr["mle"]
    twonn_text = f"twonn {tw['dimension']:.2f} [{tw['ci_low']:.2f}, {tw['ci_high']:.2f}]"
    mle_text = f"mle {mle['dimension']:.2f} [{mle['ci_low']:.2f}, {mle['ci_high']:.2f}]"
    card = _cards(built["html"])["intrinsic"]
    assert twonn_text in card and mle_text in card, card
    assert built["json"]["results"]["sections"][0]["key"] == "overview"
    # the same verdict and the same deciding metric as the command
    assert sec["status"] == built["id"]["verdict"]["status"]
    assert sec["decided_by"] == built["id"]["verdict"]["decided_by"]
    assert built["id"]["verdict"]["reason"] in sec["verdict"]
    assert "200 bootstrap replicates" in sec["settings"]
    assert not sec["reduced"]  # no card claims fewer settings when it ran the command's


def test_a_section_with_fewer_settings_says_so_on_its_card(sent):
    from embgeo.io import load
    from embgeo.report.build import build_report
    from embgeo.report.render import render_html

    rep = build_report(load(str(sent / "sent.npy")), only=["reembed"], reembed_sample=100, seed=0)
    sec = rep.section("reembed")
    assert "100 of 300 rows" in sec.reduced and "every row" in sec.reduced
    card = _cards(render_html(rep))["reembed"]
    assert "fewer than the command's defaults" in card and "100 of 300 rows" in card
    # with every row it runs the command's settings, and says nothing
    assert not build_report(load(str(sent / "sent.npy")), only=["reembed"], reembed_sample=300, seed=0).section("reembed").reduced


# --------------------------------------------------------------------------- bug 2: every card names its deciding metric
def test_every_card_names_the_metric_that_decided_it(built):
    cards = _cards(built["html"])
    sections = built["json"]["results"]["sections"]
    assert set(cards) == {s["key"] for s in sections}
    for s in sections:
        if s["status"] in ("ok", "warn", "bad") or s["decided_by"]:
            assert s["decided_by"], s["key"]
            assert f"decided by: {s['decided_by']}" in cards[s["key"]], (s["key"], cards[s["key"]])
            assert f"decided by: {s['decided_by']}" in built["md"]
    # the card's line holds the deciding value too (as the section's own metric row has it)
    rd = _section(built["json"], "reembed")
    assert f"decided by: {rd['decided_by']} = {rd['decided']['value']:.4g}" in cards["reembed"]


def test_top_level_decided_by_names_a_metric(built):
    doc = built["json"]
    v = doc["verdict"]
    key, _, metric = v["decided_by"].partition(".")
    sec = _section(doc, key)
    assert metric and metric == sec["decided_by"]  # "<section>.<metric id>"
    assert sec["status"] == v["status"]
    order = {"ok": 0, "warn": 1, "bad": 2}
    judged = [s for s in doc["results"]["sections"] if s["status"] in order and s["data"].get("in_verdict", True)]
    assert order[v["status"]] == max(order[s["status"]] for s in judged)
    assert v["decided_by"] in {r["metric"] for r in built["csv"]}  # a metric id of the report's own tidy rows


# --------------------------------------------------------------------------- bug 3: the tidy CSV
def test_csv_is_one_full_precision_row_per_card(built):
    rows = built["csv"]
    sections = built["json"]["results"]["sections"]
    assert list(rows[0]) == ["metric", "value", "ci_low", "ci_high", "unit", "status", "section", "in_verdict"]
    assert [r["section"] for r in rows] == [s["key"] for s in sections]
    X = np.load(built["dir"] / "sent.npy")
    own = _own_results(X)
    checked = set()
    for r, s in zip(rows, sections):
        assert r["status"] == s["status"]
        if s["status"] in ("ok", "warn", "bad", "info") and (s["decided_by"] or s["decided"]):
            assert r["value"] != "", r  # never blank for a card with a verdict
        if s["status"] not in ("ok", "warn", "bad"):
            continue
        assert r["metric"] == f"{s['key']}.{s['decided_by']}"
        # the value is the deciding metric's, at full precision (repr round-trips), as the JSON holds it
        assert float(r["value"]) == s["decided"]["value"]
        if s["key"] in own:  # ... and it is that metric's value in the section's own result, recomputed
            result = own[s["key"]]()
            assert result.verdict().decided_by == s["decided_by"]
            values = [m.value for m in result.metrics() if m.metric == s["decided_by"]]
            assert float(r["value"]) in values, (s["key"], r["value"], values)
            checked.add(s["key"])
    assert {"overview", "uniformity", "intrinsic", "cosine", "reembed"} <= checked
    # the values the audit saw rounded or wrong: full precision, never the rows × dims, reembed by its decider
    by = {r["section"]: r for r in rows}
    assert by["overview"]["metric"].startswith("overview.") and by["overview"]["value"] != "300.0"
    assert by["intrinsic"]["value"] != ""
    rd = _section(built["json"], "reembed")
    assert by["reembed"]["metric"] == f"reembed.{rd['decided_by']}"
    assert by["map"] == {"metric": "map.n_mapped", "value": "300", "ci_low": "", "ci_high": "", "unit": "", "status": "info", "section": "map", "in_verdict": "true"}


def test_csv_of_a_section_picks_the_row_the_verdict_names():
    """Several rows with the deciding id (per method, per layer): the one the verdict is about."""
    from embgeo.report.sections import judged
    from embgeo.results import Metric, Result, Verdict

    class R(Result):
        __slots__ = ()

        def metrics(self):
            return [Metric("d", 0.5, extra={"method": "mds"}), Metric("d", 0.25, status="ok", extra={"method": "hmds"}),
                    Metric("d", 0.75, extra={"method": "x", "layer": "3"})]

    assert judged(R(), Verdict("ok", "r", "", "d"))["decided"]["value"] == 0.25
    assert judged(R(), Verdict("ok", "r", "", "d"), layer="3")["decided"]["value"] == 0.75
    assert judged(R(), Verdict("info", "r")) == {"decided_by": "", "decided": {}}


# --------------------------------------------------------------------------- bug 4: info names the file
@pytest.fixture
def cube_and_dup(tmp_path):
    X = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    np.save(tmp_path / "cube.npy", X)
    X[8] = X[7]
    np.save(tmp_path / "dup.npy", X)
    return tmp_path / "dup.npy", tmp_path / "cube.npy"


def test_info_verdict_names_the_file_with_several_files(cube_and_dup, run_cli):
    dup, cube = cube_and_dup
    res = run_cli(["info", dup, cube, "-f", "json"])
    assert res.code == 0, res.stderr
    v = json.loads(res.stdout)["verdict"]
    assert v["status"] == "warn" and v["decided_by"] == "duplicate_rows"
    assert v["reason"] == f"{dup}: 1 of 300 rows repeats an earlier row exactly"
    res = run_cli(["info", cube, dup, "-f", "json"])  # order does not matter: the flagged file is named
    assert json.loads(res.stdout)["verdict"]["reason"].startswith(f"{dup}: ")
    res = run_cli(["info", cube, cube, "-f", "json"])
    v = json.loads(res.stdout)["verdict"]
    assert v["status"] == "ok" and v["reason"].count(f"{cube}: all 300 rows are finite") == 2
    res = run_cli(["info", dup, "-f", "json"])  # one file: the reason as before
    assert json.loads(res.stdout)["verdict"]["reason"] == "1 of 300 rows repeats an earlier row exactly"
