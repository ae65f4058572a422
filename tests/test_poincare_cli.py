"""embgeo hyperbolic train / eval through the real entry point."""
from __future__ import annotations

import json

import numpy as np
import pytest

from _tables import assert_table_speaks_ids

from embgeo.datasets import path

FAST = ["--dim", "5", "--epochs", "30", "--batch-size", "16", "--negatives", "10", "--lr", "0.1", "--eval-every", "10"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from embgeo.cli.app import main

    out = tmp_path_factory.mktemp("emb") / "tree.npz"
    try:
        main(["-q", "hyperbolic", "train", str(path("smalltree")), "--coords", str(out), "-f", "json", *FAST])
    except SystemExit as exc:
        assert not exc.code
    return out


def test_train_writes_npz_and_json(run_cli, tmp_path):
    out = tmp_path / "e.npz"
    r = run_cli(["hyperbolic", "train", path("smalltree"), "--coords", out, "-f", "json", "--seed", "2", *FAST])
    assert r.code == 0, r.stderr
    top = json.loads(r.stdout)
    assert list(top) == ["schema", "embgeo_version", "command", "inputs", "settings", "results", "verdict", "notes"]
    assert top["schema"] == "embgeo.hyperbolic.train/1" and top["settings"]["seed"] == 2 and top["settings"]["coords"] == str(out)
    assert top["inputs"][0]["rows"] == 40 and f"wrote {out}" in r.stderr  # messages on stderr only
    doc = top["results"]
    assert doc["n_rows"] == 40 and doc["n_dims"] == 5
    v = top["verdict"]
    assert v["decided_by"] == "map" and v["status"] == ("ok" if doc["map"] >= 0.9 else "warn" if doc["map"] >= 0.5 else "bad")
    assert 0 <= doc["map"] <= 1 and doc["mean_rank"] >= 1 and doc["epochs_run"] == 30
    assert [h["epoch"] for h in doc["history"]] == [10, 20, 30]
    with np.load(out, allow_pickle=False) as z:
        assert set(z.files) >= {"embeddings", "ids", "curvature", "model", "config"}
        assert z["embeddings"].shape == (40, 5) and z["embeddings"].dtype == np.float64
        assert json.loads(str(z["config"]))["seed"] == 2
        assert float(z["curvature"]) == 1.0


def test_eval_reproduces_the_training_map(run_cli, trained):
    r = run_cli(["hyperbolic", "eval", trained, path("smalltree"), "--protocol", "all", "-f", "json"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)["results"]
    with np.load(trained, allow_pickle=False) as z:
        hist = json.loads(str(z["history"]))
    np.testing.assert_allclose(doc["map"], hist[-1]["map"], rtol=1e-12)  # same evaluator, same coordinates
    assert doc["map_sala"] is not None and doc["distortion_mean"] is not None and doc["distortion_worst"] >= 1
    assert doc["nk_positives"] == 102 and doc["distortion_pairs"] == 40 * 39


def test_eval_matches_rows_by_id(run_cli, trained, tmp_path):
    with np.load(trained, allow_pickle=False) as z:
        X, ids = z["embeddings"], z["ids"]
    perm = np.random.default_rng(0).permutation(len(ids))
    shuffled = tmp_path / "shuffled.npz"
    np.savez(shuffled, embeddings=X[perm], ids=ids[perm])
    a = json.loads(run_cli(["hyperbolic", "eval", trained, path("smalltree"), "-f", "json"]).stdout)["results"]
    b = json.loads(run_cli(["hyperbolic", "eval", shuffled, path("smalltree"), "-f", "json"]).stdout)["results"]
    assert a["map"] == b["map"] and a["mean_rank"] == b["mean_rank"]


def _one_line_error(r):
    assert r.code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error:"), r.stderr
    assert "Traceback" not in r.stderr


def test_bad_inputs(run_cli, trained, tmp_path):
    bad = tmp_path / "bad.edges"
    bad.write_text("a b\nc\n")
    _one_line_error(run_cli(["hyperbolic", "train", bad, "--coords", tmp_path / "x.npz"]))
    _one_line_error(run_cli(["hyperbolic", "train", path("smalltree"), "--coords", tmp_path / "x.npy"]))
    _one_line_error(run_cli(["hyperbolic", "train", tmp_path / "missing.edges", "--coords", tmp_path / "x.npz"]))
    r = run_cli(["hyperbolic", "train", path("smalltree"), "--out", tmp_path / "x.npz"])  # --out is the summary now
    _one_line_error(r)
    assert "--coords" in r.stderr
    r = run_cli(["hyperbolic", "eval", trained, path("smalltree"), "--link-prediction"])  # trained without --holdout
    _one_line_error(r)
    assert "--holdout" in r.stderr
    outside = tmp_path / "outside.npy"
    np.save(outside, np.full((40, 2), 0.9))  # norm 1.27: not in the ball
    _one_line_error(run_cli(["hyperbolic", "eval", outside, path("smalltree")]))
    short = tmp_path / "short.npy"
    np.save(short, np.zeros((5, 2)))
    _one_line_error(run_cli(["hyperbolic", "eval", short, path("smalltree")]))
    _one_line_error(run_cli(["hyperbolic", "eval", trained, path("mammals")]))  # ids do not match
    cyc = tmp_path / "cyc.edges"
    cyc.write_text("a b\nb a\n")
    r = run_cli(["hyperbolic", "train", cyc, "--coords", tmp_path / "c.npz", "--orientation", "child-parent", *FAST])
    _one_line_error(r)
    assert "cycle" in r.stderr


def test_holdout_then_link_prediction_and_hyperlex(run_cli, tmp_path):
    """train --holdout stores the held-out pairs; eval --link-prediction scores them as the library does."""
    from embgeo.hyperbolic.evaluate import evaluate_embedding
    from embgeo.hyperbolic.graphs import read_hierarchy
    from embgeo.hyperbolic.linkpred import hyperlex_spearman

    out = tmp_path / "h.npz"
    r = run_cli(["-q", "hyperbolic", "train", path("smalltree"), "--coords", out, "--holdout", "0.1", "-f", "json", *FAST])
    assert r.code == 0, r.stderr
    top = json.loads(r.stdout)
    assert top["settings"]["holdout"] == 0.1 and top["results"]["holdout_pairs"] == 9
    with np.load(out, allow_pickle=False) as z:
        X, ids, held = z["embeddings"], z["ids"], z["holdout"]
    assert held.shape == (9, 2)
    lex = tmp_path / "lex.txt"
    lex.write_text("u v score\n" + "".join(f"{a} {b} {s}\n" for (a, b), s in zip(held.tolist(), [9, 8, 7, 6, 5, 4, 3, 2, 1])))
    r = run_cli(["hyperbolic", "eval", out, path("smalltree"), "--link-prediction", "--hyperlex", lex, "-f", "json"])
    assert r.code == 0, r.stderr
    res = json.loads(r.stdout)["results"]
    h = read_hierarchy(path("smalltree"))
    ref = evaluate_embedding(X, h, ids=ids, holdout=held)
    assert res["link_map"] == ref.link_map and res["link_mean_rank"] == ref.link_mean_rank and res["link_edges"] == 9
    assert 0 < res["link_map_chance"] < res["link_map"] <= 1
    us, vs = held[:, 0].tolist(), held[:, 1].tolist()
    assert res["hyperlex_spearman"] == hyperlex_spearman(X, ids, us, vs, np.arange(9, 0, -1.0)).hyperlex_spearman
    rows = run_cli(["hyperbolic", "eval", out, path("smalltree"), "--link-prediction", "-f", "csv"]).stdout.splitlines()
    got = {ln.split(",")[0]: float(ln.split(",")[1]) for ln in rows[1:]}
    assert got["link_map"] == res["link_map"] and got["link_mean_rank_chance"] == res["link_mean_rank_chance"]


def test_eval_fix_fits_what_made_the_coordinates(run_cli, tmp_path):
    """A trained embedding (with or without --link-prediction/--hyperlex) gets training advice,
    never the h-MDS/combinatorial one ("a larger scale (smaller ε)"); coordinates of unknown
    origin get advice naming each producer's own option."""
    from embgeo.errors import use_surface
    from embgeo.hyperbolic.verdicts import fixes

    with use_surface("cli"):  # the advice as the command line words it (options, not Python arguments)
        FIXES = fixes()
    assert "--epochs" not in str(fixes()) and "epochs" in fixes()[None]["warn"]  # Python names them as arguments

    out = tmp_path / "h.npz"  # 0 epochs: random points, so the verdict is not ok and has a fix
    assert run_cli(["-q", "hyperbolic", "train", path("smalltree"), "--coords", out, "--holdout", "0.1", *FAST[:2], "--epochs", "0"]).code == 0
    with np.load(out, allow_pickle=False) as z:
        held = z["holdout"]
    lex = tmp_path / "lex.txt"
    lex.write_text("u v score\n" + "".join(f"{a} {b} {9 - i}\n" for i, (a, b) in enumerate(held.tolist())))
    for extra in (["--link-prediction"], ["--hyperlex", lex], ["--protocol", "all"]):
        doc = json.loads(run_cli(["hyperbolic", "eval", out, path("smalltree"), *extra, "-f", "json"]).stdout)
        v = doc["verdict"]
        assert v["status"] in ("warn", "bad") and v["fix"] == FIXES["train"][v["status"]], (extra, v)
        assert "ε" not in v["fix"] and "scale" not in v["fix"] and doc["results"]["produced_by"] == "train"
    with np.load(out, allow_pickle=False) as z:
        np.save(tmp_path / "plain.npy", z["embeddings"])  # same rows, no training metadata
    doc = json.loads(run_cli(["hyperbolic", "eval", tmp_path / "plain.npy", path("smalltree"), "-f", "json"]).stdout)
    v = doc["verdict"]
    assert v["fix"] == FIXES[None][v["status"]] and doc["results"]["produced_by"] is None
    assert all(o in FIXES[None]["warn"] for o in ("--epochs", "--eps", "--scale"))
    assert not any("both" in f for d in FIXES.values() for f in d.values())  # no distortion was computed: no advice about "both" numbers


def test_eval_verdict_and_fail_on(run_cli, trained):
    r = run_cli(["hyperbolic", "eval", trained, path("smalltree"), "--protocol", "all", "-f", "json"])
    doc = json.loads(r.stdout)
    from embgeo.errors import use_surface
    from embgeo.hyperbolic.verdicts import tree_verdict

    res = doc["results"]
    # every MAP computed is judged (Sala's first, then Nickel–Kiela's) with mean distortion: the worst decides
    with use_surface("cli"):  # the fix as the command line words it
        ref = tree_verdict(res["map_sala"], res["distortion_mean"], map_id="map_sala", more_maps={"map": res["map"]}, produced_by="train")
    assert doc["verdict"] == ref.to_dict()
    gated = run_cli(["hyperbolic", "eval", trained, path("smalltree"), "--protocol", "all", "--fail-on", "warn", "-f", "json"])
    assert gated.code == (1 if doc["verdict"]["status"] in ("warn", "bad") else 0)
    g = json.loads(gated.stdout)  # the output is written before the gate: the same but the gate it records
    assert g["settings"].pop("fail_on") == "warn" and doc["settings"].pop("fail_on") is None and g == doc


def _commands(trained, tmp):
    x = tmp / "cloud.npy"
    np.save(x, np.random.default_rng(0).standard_normal((60, 4)))
    return {
        "train": ["hyperbolic", "train", path("smalltree"), "--coords", tmp / "c.npz", *FAST[:2], "--epochs", "3"],
        "eval": ["hyperbolic", "eval", trained, path("smalltree"), "--protocol", "all"],
        "combinatorial": ["hyperbolic", "combinatorial", path("smalltree")],
        "hmds": ["hyperbolic", "hmds", path("smalltree")],
        "delta": ["hyperbolic", "delta", x],
        "reembed": ["hyperbolic", "reembed", x, "-k", "8"],
    }


@pytest.mark.parametrize("name", ["train", "eval", "combinatorial", "hmds", "delta", "reembed"])
def test_every_hyperbolic_command_speaks_the_contract(run_cli, trained, tmp_path, name):
    from embgeo.cli.output import CONTRACT_KEYS, TIDY_COLUMNS

    argv = _commands(trained, tmp_path)[name]
    r = run_cli(["-q", *argv, "-f", "json"])
    assert r.code == 0 and r.stderr == "", r.stderr  # -q: nothing on stderr, data only on stdout
    doc = json.loads(r.stdout)
    assert list(doc) == CONTRACT_KEYS and doc["command"] == f"hyperbolic {name}"
    assert set(doc["verdict"]) == {"status", "reason", "fix", "decided_by", "decided_row"} and "seed" in doc["settings"]
    res = doc["results"]
    assert "n_rows" in res and all({"path", "key", "rows", "dims", "dtype"} == set(i) for i in doc["inputs"])
    c = run_cli(["-q", *argv, "-f", "csv"])
    rows = c.stdout.splitlines()
    assert rows[0].split(",")[:6] == TIDY_COLUMNS
    keys = set(res) | {k for m in res.get("methods", []) for k in m}
    ids = {ln.split(",")[0] for ln in rows[1:]}
    assert ids and ids <= keys, ids - keys  # the same ids in CSV and JSON
    if doc["verdict"]["decided_by"]:
        assert doc["verdict"]["decided_by"] in keys
    gated = run_cli(["-q", *argv, "-f", "json", "--fail-on", "bad"])
    assert gated.code == (1 if doc["verdict"]["status"] == "bad" else 0)


def test_report_hierarchy_card_follows_the_eval_verdict(tmp_path):
    """X with node ids: the card's status is `hyperbolic eval`'s verdict on X; without ids the card
    scores the edges file alone, says so, and stays out of the verdict on X."""
    from embgeo.hyperbolic.evaluate import evaluate_embedding
    from embgeo.hyperbolic.graphs import read_hierarchy
    from embgeo.io import load
    from embgeo.report.build import Context
    from embgeo.report.sections import run_hierarchy

    h = read_hierarchy(path("smalltree"))
    X = np.random.default_rng(3).normal(size=(h.n_nodes, 6))
    np.savez(tmp_path / "named.npz", embeddings=X, ids=h.ids)
    np.save(tmp_path / "plain.npy", X)
    sec = run_hierarchy(Context(es=load(str(tmp_path / "named.npz")), hierarchy=h, seed=0))
    ref = evaluate_embedding(X / np.linalg.norm(X, axis=1, keepdims=True), h, protocol="all", model="euclidean").verdict()
    assert (sec.status, sec.data["verdict"]["decided_by"]) == (ref.status, ref.decided_by)
    assert sec.data.get("in_verdict", True) is True and sec.verdict.startswith("your embedding:")
    sec = run_hierarchy(Context(es=load(str(tmp_path / "plain.npy")), hierarchy=h, seed=0))
    assert sec.data["in_verdict"] is False and sec.verdict.startswith("the edges file alone (X has no node ids)")
    assert any("scores the edges file alone" in n for n in sec.notes)


def test_train_says_the_closure_note_once(run_cli, tmp_path):
    """A hierarchy note is a table note (stdout), not repeated on stderr."""
    clo = tmp_path / "clo.csv"
    clo.write_text("id1,id2\nb,a\nc,b\nc,a\nd,a\ne,d\ne,a\n")  # child → parent, every ancestor listed
    r = run_cli(["hyperbolic", "train", clo, "--coords", tmp_path / "c.npz", *FAST[:2], "--epochs", "2", "--burnin", "0"])
    assert r.code == 0, r.stderr
    both = r.stdout + r.stderr
    assert both.count("the edges are a transitive closure") == 1 and "the edges are a transitive closure" in r.stdout
    doc = json.loads(run_cli(["-q", "hyperbolic", "train", clo, "--coords", tmp_path / "c.npz", *FAST[:2], "--epochs", "2", "--burnin", "0", "-f", "json"]).stdout)
    assert sum("the edges are a transitive closure" in n for n in doc["notes"]) == 1


def _coincident(tmp_path):
    """smalltree's 40 nodes at seeded points of the disk, nodes 1 and 2 (siblings, 2 hops apart) on one point."""
    X = np.random.default_rng(0).uniform(-0.5, 0.5, size=(40, 2))
    X[2] = X[1]
    f = tmp_path / "same.npy"
    np.save(f, X)
    return f


@pytest.mark.parametrize("name", ["eval", "combinatorial", "hmds"])
def test_infinite_distortion_shows_one_way(run_cli, tmp_path, name):
    """∞ (see notes) in the table with a note saying why; null + the note in JSON; inf in CSV (a float that reads back)."""
    from embgeo.hyperbolic.display import INFINITE

    argv = {"eval": ["hyperbolic", "eval", _coincident(tmp_path), path("smalltree"), "--protocol", "all"],
            "combinatorial": ["hyperbolic", "combinatorial", path("smalltree"), "--precision", "53"],  # 153 bits needed: points on the boundary
            "hmds": ["hyperbolic", "hmds", path("smalltree"), "--dim", "2", "--scale", "2"]}[name]  # 12 pairs collapse
    doc = json.loads(run_cli(["-q", *argv, "-f", "json"]).stdout)
    assert doc["results"]["distortion_worst"] is None
    note = [n for n in doc["notes"] if "distortion is infinite" in n or "distortion are infinite" in n]
    assert len(note) == 1, doc["notes"]
    if name == "eval":  # nodes 1 and 2, both ways
        assert note[0] == "worst-case distortion is infinite: 2 (ordered) pairs at positive graph distance share a point"
    table = run_cli(["-q", *argv, "-f", "md"]).stdout
    assert f"| distortion_worst | {INFINITE} |" in table and note[0] in table
    assert "| distortion_worst |  |" not in table and "inf |" not in table
    assert_table_speaks_ids(run_cli, argv)
    rows = [ln.split(",") for ln in run_cli(["-q", *argv, "-f", "csv"]).stdout.splitlines()]
    assert [r[1] for r in rows if r[0] == "distortion_worst"] == ["inf"]


def test_infinite_distortion_in_reembed_table():
    import dataclasses

    from embgeo.hyperbolic.display import INFINITE, infinite_note
    from embgeo.hyperbolic.reembed import reembed

    r = reembed(np.random.default_rng(0).standard_normal((30, 3)), dim=2, k=5)
    methods = [dict(m, distortion_worst=float("inf")) if m["method"] == "mds" else m for m in r.methods]
    r2 = dataclasses.replace(r, methods=methods)
    assert r2.table()[1][1][4] == INFINITE and r2.table()[1][0][4] != INFINITE
    assert [m.value for m in r2.metrics() if m.metric == "distortion_worst" and m.extra["method"] == "mds"] == [float("inf")]
    assert r2.to_dict()["methods"][1]["distortion_worst"] is None
    assert infinite_note("x", mean=1.0, worst=2.0) is None
    assert infinite_note("x", mean=float("inf"), worst=float("inf"), of="MDS") == "mean and worst-case distortion of MDS are infinite: x"


@pytest.mark.parametrize("name", ["train", "eval", "combinatorial", "hmds", "delta", "reembed"])
def test_hyperbolic_tables_speak_the_json_and_csv_ids(run_cli, trained, tmp_path, name):
    """-f table/md show the stable metric ids (as uniformity, id, cosine), not display labels."""
    argv = _commands(trained, tmp_path)[name]
    head, md = assert_table_speaks_ids(run_cli, argv)
    assert head == (["metric", "method"] if name == "reembed" else ["metric"]) + ["value", "ci_low", "ci_high", "unit", "status"]
    ids = [m["metric"] for m in md]
    assert not any(" " in i or "(" in i for i in ids), ids  # no "MAP (Sala et al.: …)", "rows mapped" …
    if name == "reembed":
        assert [m["method"] for m in md if m["metric"] == "map_sala"] == ["hmds", "mds"]
    if name in ("combinatorial", "hmds", "reembed"):  # Sala's MAP: map is only ever Nickel–Kiela's
        assert "map_sala" in ids and "map" not in ids
    terminal = run_cli(["-q", *argv, "-f", "table"]).stdout
    assert all(i in terminal for i in ids[:3])
