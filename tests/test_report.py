"""The report: the sections that apply and only those, escaping, no external references, a real render."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

XSS = "<script>alert(1)</script>"
CHROMIUM = Path("/usr/bin/chromium")
DATA_URI = re.compile(r'data:image/png;base64,[A-Za-z0-9+/=]*')


def _sections(html: str) -> set[str]:
    return set(re.findall(r'<section id="sec-[^"]+" data-section="([^"]+)"', html))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """60 rows in 3 clusters with a text label (holding markup), a numeric attribute, pairs and a small tree."""
    d = tmp_path_factory.mktemp("report_inputs")
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(3, 12)) * 3
    lab = np.repeat(np.arange(3), 20)
    X = (centres[lab] + rng.normal(size=(60, 12))).astype(np.float32)
    score = X @ rng.normal(size=12) + 0.5 * rng.normal(size=60)
    np.save(d / "x.npy", X)
    names = np.array(["alpha", "beta", XSS])[lab]
    rows = ["id,kind,score"] + [f"{i},{names[i]},{score[i]:.6f}" for i in range(60)]
    (d / "labels.csv").write_text("\n".join(rows) + "\n")
    np.save(d / "a.npy", X[:40])
    np.save(d / "b.npy", (X[:40] + 0.3 * rng.normal(size=(40, 12))).astype(np.float32))
    edges = [(i, (i - 1) // 2) for i in range(1, 15)]  # a binary tree of 15 nodes
    (d / "tree.edges").write_text("\n".join(f"n{u} n{v}" for u, v in edges) + "\n")
    return d


@pytest.fixture(scope="module")
def full_report(inputs, tmp_path_factory):
    """The report with every input given, through the library (built once for several tests)."""
    from embgeo.hyperbolic.graphs import read_hierarchy
    from embgeo.io import join_labels, load
    from embgeo.report.build import build_report, write_report

    out = tmp_path_factory.mktemp("report_out") / "report.html"
    es = join_labels(load(str(inputs / "x.npy")), inputs / "labels.csv")
    pairs = (load(str(inputs / "a.npy")), load(str(inputs / "b.npy")))
    layers = None
    from embgeo.io import LayerStack

    layers = LayerStack(layers=(es.matrix, es.matrix * 2.0 + 1.0), names=("first", XSS))
    h = read_hierarchy(inputs / "tree.edges")
    calls = []
    rep = build_report(es, pairs=pairs, attr="score", layers=layers, hierarchy=h, seed=0, reembed_sample=60,
                       title=f"report {XSS}", progress=lambda i, n, t: calls.append((i, n)))
    written = write_report(rep, out, md=out.with_suffix(".md"))
    return rep, out, written, calls


def test_every_section_that_applies(full_report):
    rep, out, written, calls = full_report
    html = out.read_text()
    expected = {"overview", "uniformity", "gap", "intrinsic", "layers", "layer_curves", "cosine", "rank", "map", "hierarchy", "reembed"}
    assert _sections(html) == expected
    assert {s.key for s in rep.sections} == expected
    # built through the library: the reason names the argument (the command line names --compare Y)
    assert rep.left_out == [["Same geometry as the second space?", "needs a second space of the same items (compare)"]]
    assert all(s.status in ("ok", "warn", "bad", "info") for s in rep.sections), [(s.key, s.verdict) for s in rep.sections if s.status in ("skipped", "error")]
    # one summary card per section, linking to it
    assert html.count('class="card st-') == len(expected)
    for key in expected:
        assert f'href="#sec-{key}"' in html
    assert calls[0] == (0, len(expected)) and calls[-1] == (len(expected), len(expected))  # progress
    # the rank section is right about a planted linear attribute (ρ on held-out rows)
    assert rep.section("rank").status == "ok"


def test_sections_left_out_without_their_inputs(inputs, tmp_path, run_cli):
    out = tmp_path / "r.html"
    res = run_cli(["report", inputs / "x.npy", "--html", out, "--md", tmp_path / "r.md", "--reembed-sample", "0", "-f", "json"])
    assert res.code == 0, res.stderr
    html = out.read_text()
    assert _sections(html) == {"overview", "uniformity", "intrinsic", "cosine", "map"}
    import json

    doc = json.loads(res.stdout)
    assert doc["schema"] == "embgeo.report/2"
    assert list(doc) == ["schema", "embgeo_version", "command", "inputs", "settings", "results", "verdict", "notes"]
    # the report's verdict is its worst judging section, and names it
    judged = {s["key"]: s["status"] for s in doc["results"]["sections"] if s["status"] in ("ok", "warn", "bad")}
    order = {"ok": 0, "warn": 1, "bad": 2}
    assert order[doc["verdict"]["status"]] == max(order[v] for v in judged.values())
    assert judged[doc["verdict"]["decided_by"].split(".")[0]] == doc["verdict"]["status"]  # "<section>.<metric>"
    left = {d["section"] for d in doc["results"]["left_out"]}
    assert left == {"Modality gap", "Intrinsic dimension per layer", "Curves per layer", "Rank axis", "Hierarchy in the Poincaré disk",
                    "Is the space tree-like? (hyperbolic re-embedding)", "Same geometry as the second space?"}
    assert (tmp_path / "r.md").exists() and (tmp_path / "r_files" / "uniformity-1.png").exists()


def test_user_strings_are_escaped(full_report):
    rep, out, written, _ = full_report
    html = out.read_text()
    assert "<script" not in html.lower()  # no script element at all, and the label's markup is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # title and layer name, as text
    md = out.with_suffix(".md").read_text()
    assert "<script" not in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    # the Markdown twin reads as plain text too: quotes and a plain '&' are not turned into entities
    assert "&#x27;" not in md and "&quot;" not in md and "&amp;" not in md
    assert "Wang & Isola" in md and "GRIDE's" in md


def test_markdown_neutralises_entities_and_markup():
    from embgeo.report.render import md

    assert md("a & b 'c' \"d\"") == "a & b 'c' \"d\""
    assert md("&amp; &#39; &#x27; &lt;") == "&amp;amp; &amp;#39; &amp;#x27; &amp;lt;"  # shown as typed, not as the character
    assert md("<b>x</b> | `y`\nz") == "&lt;b&gt;x&lt;/b&gt; \\| &#96;y&#96; z"


def test_self_contained_no_external_references(full_report):
    rep, out, written, _ = full_report
    html = out.read_text()
    srcs = re.findall(r'\b(?:src|href)="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") or s.startswith("#") for s in srcs)
    text = DATA_URI.sub("", html)  # base64 may spell anything; outside it nothing may point outside
    assert "http" not in text.lower()
    assert "url(" not in text and "@import" not in text and "<link" not in text and "<iframe" not in text
    # every image is a valid inline PNG, and the Markdown twin has the same images as files
    import base64

    pngs = [base64.b64decode(m[len("data:image/png;base64,"):]) for m in DATA_URI.findall(html)]
    assert len(pngs) == sum(len(s.images) for s in rep.sections) and all(p[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    files = sorted(p for p in written if p.suffix == ".png")
    assert sorted(p.read_bytes() for p in files) == sorted(pngs)
    md = out.with_suffix(".md").read_text()
    for p in files:
        assert f"](report_files/{p.name})" in md


def test_missing_module_is_skipped_with_a_note(inputs, monkeypatch):
    from embgeo.report import sections as report_sections
    from embgeo.io import load
    from embgeo.report.build import build_report
    from embgeo.report.render import render_html

    def run(ctx):
        import embgeo.not_written_yet  # noqa: F401

    spec = report_sections.SectionSpec("future", "A future analysis", "—", report_sections.always, run)
    monkeypatch.setattr(report_sections, "SECTIONS", [report_sections.SECTIONS[0], spec])
    rep = build_report(load(str(inputs / "x.npy")))
    sec = rep.section("future")
    assert sec.status == "skipped" and "not available" in sec.verdict
    assert 'data-section="future"' in render_html(rep)


def test_report_bad_input(inputs, tmp_path, run_cli):
    (tmp_path / "r_files").write_text("a file where the image folder goes")
    for args in (["--html", tmp_path / "r.txt"], ["--html", tmp_path / "r.html", "--attr", "nope"], [],
                 ["--html", tmp_path / "missing" / "r.html"], ["--html", tmp_path / "r.html", "--edges", tmp_path / "none.edges"],
                 ["--md", tmp_path / "r.md"], ["--html", tmp_path / "r.html", "-f", "json", "--out", tmp_path / "s.csv"]):
        res = run_cli(["report", inputs / "x.npy", *args])
        assert res.code == 2, args
        assert res.stderr.startswith("embgeo: error:") and len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert not (tmp_path / "r.html").exists()  # nothing written half-way


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed at /usr/bin/chromium (Debian package 'chromium'; `make test` installs it when it can)")
def test_report_renders_in_headless_chromium(full_report, tmp_path):
    import matplotlib.image as mpimg

    _, out, _, _ = full_report
    shot = tmp_path / "shot.png"
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2000", out.resolve().as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=180, check=False)
    assert shot.exists(), "Chromium wrote no screenshot"
    img = mpimg.imread(shot)[..., :3]
    assert img.shape[:2] == (2000, 1200)
    # not blank: the page has ink (dark text), colour (badges, plots) and variation
    assert img.std() > 0.05
    assert (img.mean(axis=2) < 0.3).mean() > 0.002
    assert (np.ptp(img, axis=2) > 0.2).mean() > 0.001
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_hierarchy_section_scores_rows_named_by_the_hierarchy(inputs, tmp_path, run_cli):
    """X whose row ids are the tree's nodes is scored as an embedding of it, equal to `hyperbolic eval`."""
    import json

    from embgeo.hyperbolic.graphs import read_hierarchy
    from embgeo.io import load
    from embgeo.report.build import Context
    from embgeo.report.sections import run_hierarchy

    rng = np.random.default_rng(11)
    ids = np.array([f"e{i}" for i in range(3)] + [f"n{i}" for i in range(14, -1, -1)])  # extra rows, shuffled order
    X = rng.normal(size=(ids.size, 8))
    np.savez(tmp_path / "x.npz", embeddings=X, ids=ids)
    h = read_hierarchy(inputs / "tree.edges")
    sec = run_hierarchy(Context(es=load(str(tmp_path / "x.npz")), hierarchy=h, seed=0))
    own = sec.data["embedding"]
    # independent route: the CLI evaluator on the L2-normalised rows with their ids
    np.savez(tmp_path / "unit.npz", embeddings=X / np.linalg.norm(X, axis=1, keepdims=True), ids=ids)
    ref = json.loads(run_cli(["hyperbolic", "eval", tmp_path / "unit.npz", inputs / "tree.edges", "--protocol", "all",
                              "--model", "euclidean", "-f", "json"]).stdout)
    for key in ("map", "map_sala", "distortion_mean"):
        assert own[key] == pytest.approx(ref["results"][key], rel=1e-12), key  # same engine, same rows: equal up to summation order
    assert sec.tables[0].caption.startswith("your embedding")
    assert sec.status == ref["verdict"]["status"]  # one rule: the card's verdict is `hyperbolic eval`'s
    assert sec.data["verdict"]["decided_by"] == ref["verdict"]["decided_by"]
    assert f"{own['map_sala']:.3f}" in sec.key_value and sec.verdict.startswith("your embedding: MAP")

    # a zero row that is not a node does not stop the scoring (only the nodes' rows are used)
    np.savez(tmp_path / "z.npz", embeddings=np.vstack([X, np.zeros((1, 8))]), ids=np.r_[ids, ["zero"]])
    sec_z = run_hierarchy(Context(es=load(str(tmp_path / "z.npz")), hierarchy=h, seed=0))
    assert sec_z.data["embedding"]["map_sala"] == pytest.approx(own["map_sala"], rel=1e-12)

    # the construction is scored as `embgeo hyperbolic combinatorial` scores it (at its scale τ), whose rule the card follows
    ref_c = json.loads(run_cli(["hyperbolic", "combinatorial", inputs / "tree.edges", "-f", "json"]).stdout)
    ev = sec.data["evaluation"]
    for key in ("map_sala", "distortion_mean"):
        assert ev[key] == pytest.approx(ref_c["results"][key], rel=1e-12), key
    assert ev["scale"] == pytest.approx(sec.data["construction"]["tau"], rel=1e-15)
    # 15 nodes: δ is exact, and the card says so rather than "sampled … fewer than"
    assert sec.data["delta"]["exact"] and not sec.reduced and "δ exact" in sec.settings

    # rows naming only some nodes: a note, and the construction alone
    np.savez(tmp_path / "part.npz", embeddings=X[:10], ids=ids[:10])
    sec = run_hierarchy(Context(es=load(str(tmp_path / "part.npz")), hierarchy=h, seed=0))
    assert "embedding" not in sec.data
    assert any("name 7 of the 15 hierarchy nodes" in n for n in sec.notes)


@pytest.fixture(scope="module")
def layer_inputs(tmp_path_factory):
    """A 3-layer stack of 60 rows (6 dims) whose layer 1 carries the attribute 'a' in column 0; X = layer 1;
    labels a (numeric) and c (its sign, a class)."""
    d = tmp_path_factory.mktemp("report_layers")
    rng = np.random.default_rng(0)
    S = rng.standard_normal((3, 60, 6))
    y = rng.standard_normal(60)
    S[1, :, 0] += 3 * y
    np.save(d / "stack.npy", S)
    np.save(d / "x.npy", S[1])
    (d / "lab.csv").write_text("a,c\n" + "\n".join(f"{float(v)!r},{'hi' if v > 0 else 'lo'}" for v in y) + "\n")
    return d


def test_layer_curves_section_equals_the_commands_json(layer_inputs, run_cli):
    """The per-layer section's curves are the numbers of embgeo id --layers (its methods and bootstrap)
    and embgeo layers --attr --class on the same stack (to 1e-12)."""
    import csv
    import io
    import json

    from embgeo.io import join_labels, load, load_layers
    from embgeo.report.build import build_report
    from embgeo.report.sections import LAYER_BOOT, LAYER_METHODS, id_scales

    d = layer_inputs
    es = join_labels(load(str(d / "x.npy")), d / "lab.csv")
    rep = build_report(es, attr="a", layer_class="c", layers=load_layers([str(d / "stack.npy")]), only=["layer_curves"])
    sec = rep.section("layer_curves")
    assert sec.status == "info" and sec.images and sec.data["layers"] == ["layer0", "layer1", "layer2"]
    curves = sec.data["curves"]
    assert {"twonn", "mle", "pca", "rankme", "entropy", "overlap", "dataset_entropy", "rank_spearman", "probe_accuracy",
            "label_overlap"} <= set(curves)
    k, gride_max = id_scales(60)  # embgeo id's defaults, shrunk for 60 rows as the report does
    res = run_cli(["id", d / "stack.npy", "--layers", "-m", ",".join(LAYER_METHODS), "--bootstrap", LAYER_BOOT, "-k", k,
                   "--gride-max", gride_max, "-f", "csv"])
    assert res.code == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    for key in ("twonn", "mle", "pca", "rankme", "entropy", "overlap_next"):
        got = curves["overlap" if key == "overlap_next" else key]
        want = [float(r["value"]) for r in rows if r["metric"] == key]
        assert len(want) == len(got) and np.allclose(got, want, rtol=0, atol=1e-12), key
    res = run_cli(["layers", d / "stack.npy", "--labels", d / "lab.csv", "--attr", "a", "--class", "c", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    layers = doc["results"]["layers"]
    for key in ("dataset_entropy", "probe_accuracy", "probe_chance", "label_overlap", "label_overlap_chance"):
        assert np.allclose(curves[key], [L[key] for L in layers], rtol=0, atol=1e-12), key
    for part, col in (("value", "rank_spearman"), ("ci_low", "rank_spearman_ci_low"), ("ci_high", "rank_spearman_ci_high")):
        assert np.allclose(curves[col], [L["rank_spearman"][part] for L in layers], rtol=0, atol=1e-12), col
    assert sec.verdict == doc["verdict"]["reason"]  # the same rule: best layer for the task
    assert "layer1" in sec.key_value  # the layer that carries the attribute


def test_report_layer_options_need_a_stack(layer_inputs, tmp_path, run_cli):
    d = layer_inputs
    for opt in (["--class", "c"], ["--tokens", d / "none.h5"]):
        res = run_cli(["report", d / "x.npy", "--labels", d / "lab.csv", *opt, "--html", tmp_path / "r.html"])
        assert res.code == 2 and "needs --layers STACK" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_the_page_opens_with_the_verdict_the_gate_reads(full_report, inputs, tmp_path, run_cli):
    """The HTML and the Markdown open with the report's verdict (the one --fail-on reads) and name the
    sections shown with a status that it does not count; the CSV marks those rows in_verdict false."""
    import csv
    import io
    import json

    rep, out, written, _ = full_report
    v = rep.verdict()
    html, md = out.read_text(), out.with_suffix(".md").read_text()
    assert f"Verdict: {v.status} — " in html and f"Verdict: {v.status} — " in md
    assert html.index("Verdict: ") < html.index('<div class="cards">')
    shown = [s for s in rep.sections if not s.in_verdict and s.status in ("ok", "warn", "bad")]
    assert [s.key for s in shown] == [s.key for s in rep.not_counted()] and shown  # the re-embedding at least
    assert all(f"{s.title} ({s.status})" in md for s in shown) and "not counted in the verdict" in md
    # the CLI: a card of the re-embedding out of the verdict, said in the CSV and the section's JSON
    args = ["-q", "report", inputs / "x.npy", "--html", tmp_path / "r.html", "--map", "none"]
    rows = list(csv.DictReader(io.StringIO(run_cli([*args, "-f", "csv"]).stdout)))
    flags = {r["section"]: r["in_verdict"] for r in rows}
    assert flags["reembed"] == "false" and flags["uniformity"] == "true"
    doc = json.loads(run_cli([*args, "-f", "json"]).stdout)
    assert {s["key"]: s["in_verdict"] for s in doc["results"]["sections"]}["reembed"] is False
    assert {"section": "Map", "reason": "turned off (--map none)"} in doc["results"]["left_out"]


def test_a_second_report_leaves_no_figures_of_the_first(inputs, tmp_path, run_cli):
    """<stem>_files/ held the figures of an earlier, larger report beside the new Markdown; they are removed
    (files that are not report figures stay)."""
    md = tmp_path / "r.md"
    first = run_cli(["-q", "report", inputs / "x.npy", "--md", md, "--pairs", inputs / "x.npy", "--reembed-sample", "0", "--map", "none"])
    assert first.code == 0, first.stderr
    assert any(p.name.startswith("gap-") for p in (tmp_path / "r_files").iterdir())
    (tmp_path / "r_files" / "notes.txt").write_text("mine")
    second = run_cli(["-q", "report", inputs / "x.npy", "--md", md, "--reembed-sample", "0", "--map", "none"])
    assert second.code == 0, second.stderr
    names = {p.name for p in (tmp_path / "r_files").iterdir()}
    referenced = {n for n in names if f"r_files/{n}" in md.read_text()}
    assert names == referenced | {"notes.txt"} and not any(n.startswith("gap-") for n in names)


def test_the_summary_alone_is_a_gate(inputs, tmp_path, run_cli, monkeypatch):
    """`report X -f json --fail-on bad` (no --html/--md) runs every section and writes only the summary: a CI gate.
    A bare `report X` (the terminal table only) still asks for a page."""
    import json

    monkeypatch.chdir(tmp_path)
    res = run_cli(["-q", "report", inputs / "x.npy", "-f", "json", "--map", "none", "--reembed-sample", "0"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert {s["key"] for s in doc["results"]["sections"]} >= {"overview", "uniformity", "intrinsic", "cosine"}
    assert list(tmp_path.iterdir()) == []  # no page, no image folder
    bare = run_cli(["-q", "report", inputs / "x.npy"])
    assert bare.code == 2 and "nothing to write" in bare.stderr and "-f json" in bare.stderr
