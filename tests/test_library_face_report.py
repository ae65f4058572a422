"""The report from Python and its gate: a section that could not run is never a pass, the report's
arguments are checked before any work, and the callable packages show their function's signature and
docstring without making ``import embgeo`` heavy."""
from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import embgeo as eg
from embgeo.errors import EmbgeoError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def x8():
    """8 rows: too few for the cosine section's k = 10 neighbours, enough for the others."""
    return np.random.default_rng(0).normal(size=(8, 16)).astype(np.float32)


@pytest.fixture(scope="module")
def rep8(x8):
    return eg.report(x8, map_method="none")


def test_a_failed_section_makes_the_verdict_warn_and_names_it(rep8):
    status = {s.key: s.status for s in rep8.sections}
    assert status["cosine"] == "error"
    assert "k=10 needs more than 10 rows" in rep8.section("cosine").verdict
    judged = [s for s in rep8.sections if s.status in ("ok", "warn", "bad")]
    assert judged and all(s.status == "ok" for s in judged), status  # the other sections pass: the failure alone decides
    v = rep8.verdict()
    assert v.status == "warn"
    assert v.reason.startswith("1 section could not run (cosine): Cosine-similarity pitfalls: k=10 needs more than 10 rows, got 8")
    assert v.decided_by == "cosine"  # the failed section's row of the report's metrics (a failed section has no metric)
    assert v.decided_by in {m.metric for m in rep8.metrics()}
    assert [m.status for m in rep8.metrics() if m.metric == "cosine"] == ["error"]
    assert v.fix


def test_a_worse_judged_section_still_decides_and_the_failure_is_named():
    from embgeo.report.model import Report, Section

    ok = Section("uniformity", "Uniformity on the sphere", "ok", "u", "1", "fine", decided_by="uniformity_ratio")
    bad = Section("intrinsic", "Intrinsic dimension", "bad", "d", "2", "too many dims", decided_by="mle")
    err = Section("cosine", "Cosine-similarity pitfalls", "error", "", "—", "could not run: k=10 needs more than 10 rows")
    rep = Report(title="t", inputs=[], sections=[ok, err, bad], left_out=[], seconds=0.0, seed=0)
    v = rep.verdict()
    assert (v.status, v.decided_by) == ("bad", "intrinsic.mle")
    assert v.reason == "Intrinsic dimension: too many dims; also 1 section could not run (cosine): Cosine-similarity pitfalls: k=10 needs more than 10 rows"
    # only failures: warn, decided by the first failed one
    rep = Report(title="t", inputs=[], sections=[err, dataclass_replace(err, key="map", title="Map")], left_out=[], seconds=0.0, seed=0)
    v = rep.verdict()
    assert (v.status, v.decided_by) == ("warn", "cosine")
    assert v.reason.startswith("2 sections could not run (cosine, map): ")
    # nothing failed, nothing judged: info, as before
    assert Report(title="t", inputs=[], sections=[], left_out=[], seconds=0.0, seed=0).verdict().status == "info"
    # a judged warn is not hidden behind a failure: it decides, and the failure is named
    warn = dataclass_replace(bad, status="warn", verdict="a little high")
    v = Report(title="t", inputs=[], sections=[err, warn], left_out=[], seconds=0.0, seed=0).verdict()
    assert (v.status, v.decided_by) == ("warn", "intrinsic.mle") and "could not run (cosine)" in v.reason


def dataclass_replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


def test_fail_on_warn_exits_1_when_a_section_failed(x8, tmp_path, run_cli):
    np.save(tmp_path / "x8.npy", x8)
    html = tmp_path / "r.html"
    res = run_cli(["report", tmp_path / "x8.npy", "--html", html, "--map", "none", "--fail-on", "warn", "-f", "json"])
    assert res.code == 1, res.stderr
    assert html.exists()  # written first, then the gate
    doc = json.loads(res.stdout)
    assert doc["results"]["verdicts"]["cosine"] == "error"
    assert doc["verdict"]["status"] == "warn" and doc["verdict"]["decided_by"] == "cosine"
    assert "could not run (cosine)" in doc["verdict"]["reason"]
    assert "verdict is warn" in res.stderr
    # the same rule in Python and on the command line
    # the same reason as from Python, but for the fix: the report command has no -k to lower (the hint names only its options)
    cli_reason, py_reason = doc["verdict"]["reason"], eg.report(x8, map_method="none").verdict().reason
    assert cli_reason.endswith("k = 10 needs more than 10 rows, got 8 (give more than 10 rows)") and py_reason.endswith("k=10 needs more than 10 rows, got 8 (lower k)")
    assert cli_reason.split(": k")[0] == py_reason.split(": k")[0]
    # --fail-on bad does not trip on a failure alone
    res = run_cli(["report", tmp_path / "x8.npy", "--html", html, "--map", "none", "--fail-on", "bad", "-q", "-f", "json"])
    assert res.code == 0, res.stderr


@pytest.mark.parametrize("seed, shown", [("abc", "got 'abc' (str)"), (-1, "got -1"), (1.5, "got 1.5 (a fraction)"), (True, "got True (bool)")])
def test_bad_seed_is_refused_before_any_work(seed, shown, monkeypatch):
    import embgeo.report.build as build
    from embgeo.io.model import as_embedding_set

    def no_work(*a, **k):  # pragma: no cover - reached only if the check came too late
        raise AssertionError("a section ran")

    monkeypatch.setattr(build, "_safe_run", no_work)
    X = np.random.default_rng(1).normal(size=(300, 8))
    with pytest.raises(EmbgeoError) as err:
        eg.report(X, seed=seed)
    msg = str(err.value)
    assert msg.startswith("seed must be an integer ≥ 0") and shown in msg, msg
    assert "\n" not in msg
    with pytest.raises(EmbgeoError, match=r"^seed must be an integer ≥ 0"):
        build.build_report(as_embedding_set(X), seed=seed)


@pytest.mark.parametrize("kwargs, text", [
    ({"map_method": "bogus"}, "map_method must be one of pca, umap, hyperbolic-umap, none, got 'bogus'"),
    ({"reembed_sample": -1}, "reembed_sample must be an integer ≥ 0, got -1"),
    ({"reembed_sample": 2.5}, "reembed_sample must be an integer ≥ 0, got 2.5"),
    ({"only": ["nope"]}, "only names 1 unknown section: 'nope'"),
    ({"only": 3}, "only must be a section key or a list of them, got 3"),
    ({"join": "sideways"}, "join must be 'id' or 'row-order', got 'sideways'"),
    ({"title": 3}, "title must be text, got 3 (int)"),
    ({"progress": "yes"}, "progress must be a callable"),
    ({"pairs": (np.zeros((5, 3)),)}, "pairs must be two row-paired sets (A, B), got 1 items"),
    ({"labels": [1, 2, 3]}, "labels must map each column name to its values"),
    ({"hierarchy": [("b", "a")]}, "hierarchy must be a Hierarchy (a hierarchy or graph), got a list of 1 item"),
    ({"out": "report.txt"}, "report.txt: the report's HTML file must end in .html"),
])
def test_report_arguments_are_checked_up_front(kwargs, text, monkeypatch):
    import embgeo.report.build as build

    monkeypatch.setattr(build, "_safe_run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("a section ran")))
    X = np.random.default_rng(2).normal(size=(40, 6))
    with pytest.raises(EmbgeoError) as err:
        eg.report(X, **kwargs)
    assert str(err.value).startswith(text), str(err.value)


def test_only_takes_one_key_as_text_and_map_none_leaves_the_map_out(x8):
    rep = eg.report(x8, only="uniformity")
    assert [s.key for s in rep.sections] == ["uniformity"]  # one key, not its letters
    rep = eg.report(x8, only="uniformity,map", map_method="none")
    assert [s.key for s in rep.sections] == ["uniformity"]
    assert ["Map", "turned off (map_method='none')"] in rep.left_out
    assert rep.verdict().status == "ok" and rep.verdict().decided_by == "uniformity.uniformity_ratio"


def test_compare_and_pairs_take_arrays():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 6))
    Y = X @ rng.normal(size=(6, 6))
    rep = eg.report(X, compare=Y, only=["compare"])
    assert [(s.key, s.status in ("ok", "warn", "bad")) for s in rep.sections] == [("compare", True)], [(s.key, s.verdict) for s in rep.sections]
    assert ["compared with", "<compare> (40 × 6)"] in rep.inputs


# --------------------------------------------------------------------------- the callable packages
CALLABLES = {
    "uniformity": ("embgeo.uniformity.core", "uniformity", ("t", "normalize", "mode", "n_pairs", "seed")),
    "compare": ("embgeo.compare.core", "compare", ("X", "Y")),
    "knn": ("embgeo.knn.engine", "knn", ("X", "k", "metric")),
    "report": ("embgeo.report.build", "report", ("X", "out", "pairs", "attr", "labels", "seed")),
}
HYPERBOLIC = {
    "hmds": ("embgeo.hyperbolic.hmds", "hmds", ("D", "dim")),
    "delta": ("embgeo.hyperbolic.delta", "gromov_delta", ("n_quadruples", "seed")),
    "reembed": ("embgeo.hyperbolic.reembed", "reembed", ("X", "dim", "k")),
    "evaluate": ("embgeo.hyperbolic.evaluate", "evaluate_embedding", ("emb", "h", "protocol", "model", "c", "ids")),
    "combinatorial": ("embgeo.hyperbolic.combinatorial", "embed_hierarchy", ("h", "dim", "eps", "tau")),
}


@pytest.mark.parametrize("name", [*CALLABLES, *(f"hyperbolic.{n}" for n in HYPERBOLIC)])
def test_callable_packages_show_their_function(name):
    import importlib

    module_name, function_name, keywords = CALLABLES.get(name) or HYPERBOLIC[name.split(".", 1)[1]]
    function = getattr(importlib.import_module(module_name), function_name)
    obj = eg
    for part in name.split("."):
        obj = getattr(obj, part)
    sig = inspect.signature(obj)
    assert sig == inspect.signature(function)
    assert set(keywords) <= set(sig.parameters), (name, list(sig.parameters))
    assert "args" not in sig.parameters  # not the (*args, **kwargs) of a wrapper
    assert obj.__doc__.startswith(inspect.cleandoc(function.__doc__)), obj.__doc__[:200]
    assert inspect.getdoc(obj).startswith(inspect.cleandoc(function.__doc__))
    assert obj.__wrapped__ is function
    assert inspect.unwrap(obj) is function
    # the package's own docstring follows, and help() leads with the function's
    own = obj.__dict__["__doc__"]
    assert inspect.cleandoc(own) in obj.__doc__
    import pydoc

    text = pydoc.render_doc(obj, renderer=pydoc.plaintext)
    assert inspect.cleandoc(function.__doc__).splitlines()[0] in text
    assert callable(obj)


def test_callable_signature_matches_the_call():
    sig = inspect.signature(eg.uniformity)
    assert sig.parameters["t"].default == 2.0 and sig.parameters["t"].kind is inspect.Parameter.KEYWORD_ONLY
    X = np.random.default_rng(4).normal(size=(30, 5))
    assert eg.uniformity(X, t=2.0).to_dict() == eg.uniformity.uniformity(X).to_dict()


def test_import_embgeo_stays_light():
    code = """
import sys, inspect
import embgeo
heavy = ("torch", "umap", "sklearn", "matplotlib", "scipy", "pandas")
loaded = sorted(m for m in heavy if m in sys.modules)
assert not loaded, loaded
assert "embgeo.uniformity" not in sys.modules  # nothing is imported before it is asked for
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"
