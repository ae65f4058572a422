"""The hyperbolic commands keep the project's output contract (audit of the hyperbolic family).

- a verdict is derived from the numbers shown beside it: no CSV row is judged worse than the
  verdict, the row named by ``decided_by`` carries the verdict's status, and the reason names
  the MAP it read by its metric id (``map``: Nickel–Kiela; ``map_sala``: Sala et al.);
- ``map`` means only the Nickel–Kiela MAP: combinatorial, hmds and reembed report Sala's MAP as
  ``map_sala`` (JSON results and CSV ids);
- ``reembed --sample`` writes coordinates joinable to the input rows (input row numbers or ids),
  and ``reembed``/``delta`` put the sampling in the JSON notes (``-q`` silences stderr);
- reembed's warn on a disagreement says which side the larger margin favours.
"""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from embgeo.datasets import path
from embgeo.results import severity
from tests._cli import one_line


def _csv_rows(text: str) -> dict:
    """``{(metric, method): row dict}`` of a tidy CSV."""
    rows = list(csv.DictReader(io.StringIO(text)))
    return {(r["metric"], r.get("method", "")): r for r in rows}


def _assert_status_follows_verdict(rows: dict, verdict: dict):
    """No row is judged worse than the verdict; the deciding row carries the verdict's status."""
    worst = max((severity(r["status"]) for r in rows.values()), default=-1)
    assert worst <= severity(verdict["status"]), (verdict, {k: r["status"] for k, r in rows.items() if r["status"]})
    deciding = [r for (metric, _), r in rows.items() if metric == verdict["decided_by"] and r["status"]]
    assert deciding and all(r["status"] == verdict["status"] for r in deciding), (verdict, deciding)


# --------------------------------------------------------------------------- 1. the tree verdict reads every MAP
def test_audit_case_a_bad_map_row_makes_the_verdict_bad():
    """The audit's numbers: map 0.404 (bad), map_sala 0.752 (warn), distortion 0.349 (warn)."""
    from embgeo.hyperbolic.evaluate import EvalResult

    r = EvalResult(protocol="all", model="poincare", n_nodes=40, map=0.403555, mean_rank=6.2, map_sala=0.752036,
                   distortion_mean=0.34906, produced_by="train")
    v = r.verdict()
    assert (v.status, v.decided_by) == ("bad", "map")
    assert v.reason.startswith("the embedding: MAP 0.404 (map: Nickel–Kiela; ok ≥ 0.9, warn ≥ 0.5) decides")
    assert "MAP 0.752 (map_sala: Sala et al.; ok ≥ 0.9, warn ≥ 0.5) is warn" in v.reason
    assert "mean distortion 0.349 (ok ≤ 0.2, warn ≤ 0.5) is warn" in v.reason
    status = {m.metric: m.status for m in r.metrics()}
    assert status["map"] == "bad" and status["map_sala"] == "warn" and status["distortion_mean"] == "warn"
    assert status["mean_rank"] == ""
    # the same numbers with Sala's MAP alone: warn, decided by map_sala, named as such
    v2 = EvalResult(protocol="sala", model="poincare", n_nodes=40, map_sala=0.752036, distortion_mean=0.34906).verdict()
    assert (v2.status, v2.decided_by) == ("warn", "map_sala") and "(map_sala: Sala et al.;" in v2.reason
    assert "Nickel–Kiela" not in v2.reason


@pytest.mark.parametrize("m, ms, d, status, by", [
    (0.95, 0.95, 0.10, "ok", "map_sala"),          # all ok: Sala's MAP first (graph neighbours, as distortion)
    (0.40, 0.75, 0.35, "bad", "map"),              # the audit: Nickel–Kiela's MAP is the worst
    (0.60, 0.95, 0.10, "warn", "map"),
    (0.95, 0.60, 0.60, "bad", "distortion_mean"),
    (0.60, 0.60, 0.30, "warn", "map_sala"),        # a three-way tie: Sala's MAP, then Nickel–Kiela's, then distortion
    (0.70, 0.95, None, "warn", "map"),
])
def test_tree_verdict_judges_both_maps(m, ms, d, status, by):
    from embgeo.hyperbolic.verdicts import distortion_status, map_status, tree_verdict

    v = tree_verdict(ms, d, map_id="map_sala", more_maps={"map": m})
    assert (v.status, v.decided_by) == (status, by)
    own = [map_status(m), map_status(ms)] + ([distortion_status(d)] if d is not None else [])
    assert severity(v.status) == max(severity(s) for s in own)
    assert f"MAP {m:.3f} (map: Nickel–Kiela;" in v.reason and f"MAP {ms:.3f} (map_sala: Sala et al.;" in v.reason


def test_eval_cli_rows_and_verdict_agree(run_cli, tmp_path):
    """`hyperbolic eval --protocol all` of a fixed embedding: the CSV statuses follow the verdict it prints."""
    from embgeo.hyperbolic.graphs import read_hierarchy

    h = read_hierarchy(path("smalltree"))
    X = np.random.default_rng(4).uniform(-0.4, 0.4, size=(h.n_nodes, 2))
    f = tmp_path / "e.npz"
    np.savez(f, embeddings=X, ids=h.ids)
    argv = ["-q", "hyperbolic", "eval", f, path("smalltree"), "--protocol", "all"]
    doc = json.loads(run_cli([*argv, "-f", "json"]).stdout)
    v, res = doc["verdict"], doc["results"]
    rows = _csv_rows(run_cli([*argv, "-f", "csv"]).stdout)
    _assert_status_follows_verdict(rows, v)
    assert v["decided_by"] in ("map", "map_sala", "distortion_mean")
    if v["decided_by"] != "distortion_mean":  # the reason names the MAP it read, with the value shown beside it
        assert f"MAP {res[v['decided_by']]:.3f} ({v['decided_by']}:" in v["reason"]
    for key in ("map", "map_sala"):
        assert f"MAP {res[key]:.3f} ({key}:" in v["reason"]
        assert float(rows[(key, "")]["value"]) == res[key]


# --------------------------------------------------------------------------- 2. map_sala, never map, for Sala's MAP
@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """150 points in a 5-d cube mapped to 16 dims (the audit's cube, smaller), with and without ids."""
    d = tmp_path_factory.mktemp("hyp_contract")
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(150, 5)) @ rng.normal(size=(5, 16))
    np.save(d / "cube.npy", X)
    ids = np.array([f"r{i:03d}" for i in range(150)])
    np.savez(d / "cube.npz", embeddings=X, ids=ids)
    return d, X, ids


@pytest.mark.parametrize("name", ["combinatorial", "hmds", "reembed"])
def test_sala_map_is_map_sala(run_cli, cloud, name):
    d, _, _ = cloud
    argv = {"combinatorial": ["hyperbolic", "combinatorial", path("smalltree")],
            "hmds": ["hyperbolic", "hmds", path("smalltree"), "--dim", "2", "--scale", "2"],
            "reembed": ["hyperbolic", "reembed", d / "cube.npy", "--dim", "2"]}[name]
    doc = json.loads(run_cli(["-q", *argv, "-f", "json"]).stdout)
    res, v = doc["results"], doc["verdict"]
    assert "map_sala" in res and "map" not in res
    assert not any(k.startswith("map_") and not k.startswith("map_sala") for k in res), sorted(res)  # map_stderr … renamed too
    for m in res.get("methods", []):
        assert "map_sala" in m and "map" not in m
    rows = _csv_rows(run_cli(["-q", *argv, "-f", "csv"]).stdout)
    metrics = {k[0] for k in rows}
    assert "map_sala" in metrics and "map" not in metrics
    assert v["decided_by"] in ("map_sala", "distortion_mean", "bits_needed")
    assert "(map_sala" in v["reason"] or v["decided_by"] != "map_sala"
    assert any(n.startswith("map_sala is Sala et al.'s MAP") or "; map_sala is Sala et al.'s MAP" in n for n in doc["notes"])
    _assert_status_follows_verdict(rows, v)
    if name == "reembed":  # only the deciding row of the ball carries a status
        judged = [(k, r["status"]) for k, r in rows.items() if r["status"]]
        assert judged == [((v["decided_by"], "hmds"), v["status"])]


# --------------------------------------------------------------------------- 3./4. reembed --sample and delta --sample
@pytest.mark.parametrize("with_ids", [False, True])
def test_reembed_sample_coords_join_back_to_input_rows(run_cli, cloud, with_ids):
    from embgeo.hyperbolic.reembed import reembed

    d, X, ids = cloud
    src = d / ("cube.npz" if with_ids else "cube.npy")
    coords = d / f"c_{with_ids}.csv"
    res = run_cli(["-q", "hyperbolic", "reembed", src, "--sample", "60", "--seed", "5", "--coords", coords, "-f", "json"])
    assert res.code == 0 and res.stderr == "", res.stderr
    doc = json.loads(res.stdout)
    rows = np.sort(np.random.default_rng(5).choice(150, size=60, replace=False))  # the seeded sample (as project --sample)
    ref = reembed(X[rows], dim=2, k=10, seed=5)
    assert ref.n_rows == 60 == doc["results"]["n_rows"] and ref.n_rows_in == 60 == doc["results"]["n_rows_in"]
    assert "n_rows_used" not in doc["results"]
    table = list(csv.reader(io.StringIO(coords.read_text())))
    assert table[0] == ["id", "x1", "x2", "mds1", "mds2"]
    got = [r[0] for r in table[1:]]
    want = [ids[i] for i in rows[ref.kept]] if with_ids else [str(i) for i in rows[ref.kept]]
    assert got == want  # input row numbers (or ids), not positions in the sample
    if not with_ids:
        assert got != [str(i) for i in range(60)]
    # each id's coordinates are those of that input row's re-embedding
    np.testing.assert_allclose(np.array([[float(x) for x in r[1:3]] for r in table[1:]]), ref.coordinates_hmds, rtol=1e-9, atol=1e-12)
    notes = doc["notes"]
    assert any(n.startswith("a seeded sample of 60 of 150 rows (--sample 60, --seed 5)") for n in notes), notes
    assert any("; 60 of the 60 sampled rows (of 150); k = 10" in n for n in notes), notes
    assert not any("of 60 rows" in n for n in notes), notes


def test_delta_sample_is_in_the_notes(run_cli, cloud):
    d, _, _ = cloud
    res = run_cli(["-q", "hyperbolic", "delta", d / "cube.npy", "--sample", "40", "--seed", "3", "-f", "json"])
    assert res.code == 0 and res.stderr == ""
    doc = json.loads(res.stdout)
    assert doc["notes"][0] == "a seeded sample of 40 of 150 rows (--sample 40, --seed 3): every value is an estimate on the sample"
    full = json.loads(run_cli(["-q", "hyperbolic", "delta", d / "cube.npy", "-f", "json"]).stdout)
    assert not any("--sample" in n for n in full["notes"])


# --------------------------------------------------------------------------- 5. reembed's disagreement names the side
@pytest.mark.parametrize("ball, plane, side, by", [
    ((0.90, 0.40), (0.70, 0.20), "the plane", "distortion_mean"),   # MAP +10 tie units for the ball, distortion 20 for the plane
    ((0.50, 0.10), (0.70, 0.12), "the plane", "map_sala"),          # MAP 10 units for the plane, distortion 3.3 for the ball
    ((0.60, 0.10), (0.50, 0.20), None, "distortion_mean"),          # both favour the ball (MAP 5 units, distortion 10): ok
    ((0.80, 0.10), (0.70, 0.115), None, "map_sala"),                # MAP 5 units for the ball, distortion 2.6 for the ball: ok
    ((0.75, 0.30), (0.70, 0.20), "the plane", "distortion_mean"),   # MAP 2.5 units for the ball, distortion 10 for the plane
    ((0.90, 0.22), (0.70, 0.20), "the Poincaré ball", "map_sala"),  # MAP 10 units for the ball, distortion 2 for the plane
])
def test_reembed_disagreement_says_which_side(ball, plane, side, by):
    from embgeo.hyperbolic.verdicts import compare_verdict

    v = compare_verdict(ball[0], plane[0], ball[1], plane[1], dim=2)
    assert v.decided_by == by
    if v.status == "warn":
        assert f"the larger margin leans to {side}" in v.reason
        favoured = "the ball" if side == "the Poincaré ball" else "the plane"
        decider = f"MAP (map_sala) {ball[0]:.3f} vs {plane[0]:.3f}" if by == "map_sala" else f"mean distortion {ball[1]:.3f} vs {plane[1]:.3f}"
        assert f"decided by {decider}, which favours {favoured} by" in v.reason
    else:
        assert v.status == "ok" and "the Poincaré ball fits better" in v.reason


# --------------------------------------------------------------------------- 6. round-off is a tie, not a win
def test_compare_verdict_round_off_distortions_are_a_tie():
    """Two exact fits (1e-16 vs 1e-13) were a "100-fold" win for the ball under the purely relative 5 % rule."""
    from embgeo.hyperbolic.verdicts import DISTORTION_ABS_TIE, compare_verdict

    v = compare_verdict(0.979, 0.979, 9.409e-16, 1.096e-13, dim=2)
    assert v.status == "warn" and "are both ties" in v.reason and f"{DISTORTION_ABS_TIE:g} absolute" in v.reason, v.reason
    assert "mean distortion 0.000 vs 0.000" in v.reason
    # just above the floor the relative rule decides as before (1e-5 vs 1e-4: a 90 % gain, 90 floor units)
    v = compare_verdict(0.979, 0.979, 1e-5, 1e-4, dim=2)
    assert (v.status, v.decided_by) == ("ok", "distortion_mean")
    v = compare_verdict(0.979, 0.979, 0.19, 0.20, dim=2)  # 5 % exactly of the plane's: not a tie (the rule is "within")
    assert v.status == "ok"
    assert compare_verdict(0.979, 0.979, 0.1905, 0.20, dim=2).status == "warn"  # 4.75 %: a tie


def test_reembed_cli_round_off_is_a_tie(run_cli, tmp_path):
    """The reviewer's case: 50 points on a line, both maps exact; the verdict and hyperbolic_better agree (one rule)."""
    from embgeo.hyperbolic.verdicts import compare_verdict

    f = tmp_path / "onedim.npy"
    np.save(f, np.random.default_rng(0).normal(size=(50, 1)))
    doc = json.loads(run_cli(["-q", "hyperbolic", "reembed", f, "-f", "json"]).stdout)
    h, e = doc["results"]["methods"][0], doc["results"]["methods"][1]
    assert max(h["distortion_mean"], e["distortion_mean"]) < 1e-9  # both exact up to round-off
    v = doc["verdict"]
    assert v["status"] == "warn" and "fit alike" in v["reason"] and "are both ties" in v["reason"], v
    assert doc["results"]["hyperbolic_better"] is False
    ref = compare_verdict(h["map_sala"], e["map_sala"], h["distortion_mean"], e["distortion_mean"], dim=2)
    assert (v["status"], v["reason"], v["decided_by"]) == (ref.status, ref.reason, ref.decided_by)  # (fix names --dim on the CLI)


# --------------------------------------------------------------------------- 7. --format/--out refused before any work
def _subcommands(d):
    edges = path("smalltree")
    return {
        "train": ["hyperbolic", "train", edges, "--epochs", "1", "--dim", "2", "--coords", d / "c.npz"],
        "eval": ["hyperbolic", "eval", d / "given.npz", edges],
        "combinatorial": ["hyperbolic", "combinatorial", edges, "--coords", d / "c.csv"],
        "hmds": ["hyperbolic", "hmds", edges, "--coords", d / "c.csv"],
        "delta": ["hyperbolic", "delta", d / "cube.npy"],
        "reembed": ["hyperbolic", "reembed", d / "cube.npy", "--coords", d / "c.csv"],
    }


@pytest.fixture
def workdir(tmp_path):
    from embgeo.hyperbolic.graphs import read_hierarchy

    h = read_hierarchy(path("smalltree"))
    np.savez(tmp_path / "given.npz", embeddings=np.random.default_rng(1).uniform(-0.3, 0.3, size=(h.n_nodes, 2)), ids=h.ids)
    np.save(tmp_path / "cube.npy", np.random.default_rng(0).uniform(size=(60, 4)))
    return tmp_path


@pytest.mark.parametrize("name", ["train", "eval", "combinatorial", "hmds", "delta", "reembed"])
@pytest.mark.parametrize("order", ["format first", "out first"])
def test_format_and_out_refused_before_any_work(run_cli, workdir, name, order):
    argv = _subcommands(workdir)[name]
    out = workdir / "t.json"
    tail = ["-f", "csv", "-o", out] if order == "format first" else ["-o", out, "-f", "csv"]
    one_line(run_cli([*argv, *tail]), "--format csv disagrees with the suffix '.json' of --out")
    assert sorted(p.name for p in workdir.iterdir()) == ["cube.npy", "given.npz"]  # no coordinates, no summary


# --------------------------------------------------------------------------- 8. --coords: .npz or .csv everywhere, eval reads both
@pytest.mark.parametrize("name", ["train", "combinatorial", "hmds", "reembed"])
def test_coords_suffix_has_one_meaning(run_cli, workdir, name):
    argv = [a for a in _subcommands(workdir)[name]]
    i = argv.index("--coords")
    argv[i + 1] = workdir / "c.txt"
    one_line(run_cli(argv), "--coords writes .npz or .csv, not '.txt'")
    assert not (workdir / "c.txt").exists()


@pytest.mark.parametrize("name, extra", [("train", ["--epochs", "30", "--seed", "2"]), ("combinatorial", ["--eps", "1"]),
                                         ("hmds", ["--dim", "2", "--scale", "2"])])
def test_coords_npz_and_csv_hold_the_same_rows_and_eval_reads_both(run_cli, tmp_path, name, extra):
    from embgeo.io import load

    edges = path("smalltree")
    maps = {}
    for suffix in ("npz", "csv"):
        f = tmp_path / f"c.{suffix}"
        res = run_cli(["-q", "hyperbolic", name, edges, *extra, "--coords", f, "-f", "json"])
        assert res.code == 0 and f.is_file(), res.stderr
        assert json.loads(res.stdout)["settings"]["coords"] == str(f)
        ev = run_cli(["-q", "hyperbolic", "eval", f, edges, "--protocol", "all", "-f", "json"])
        assert ev.code == 0, ev.stderr
        maps[suffix] = json.loads(ev.stdout)["results"]
    a, b = load(str(tmp_path / "c.npz")), load(str(tmp_path / "c.csv"))
    assert list(map(str, a.ids)) == list(map(str, b.ids)) and len(a.ids) == 40
    np.testing.assert_array_equal(np.asarray(a.matrix), np.asarray(b.matrix))  # full precision in both
    assert maps["npz"]["map"] == maps["csv"]["map"] and maps["npz"]["map_sala"] == maps["csv"]["map_sala"]


def test_reembed_coords_npz_matches_the_csv(run_cli, workdir):
    from embgeo.io import load

    for suffix in ("npz", "csv"):
        assert run_cli(["-q", "hyperbolic", "reembed", workdir / "cube.npy", "--coords", workdir / f"r.{suffix}", "-f", "json"]).code == 0
    table = list(csv.reader(io.StringIO((workdir / "r.csv").read_text())))
    z = np.load(workdir / "r.npz")
    assert list(z["table_columns"]) == table[0][1:] == ["x1", "x2", "mds1", "mds2"]
    np.testing.assert_array_equal(z["table"], np.array([[float(v) for v in r[1:]] for r in table[1:]]))
    es = load(str(workdir / "r.npz"))  # read without a key: the h-MDS coordinates, with the input row numbers as ids
    assert list(map(str, es.ids)) == [r[0] for r in table[1:]]
    np.testing.assert_array_equal(np.asarray(es.matrix), z["table"][:, :2])


def test_train_csv_with_holdout_is_refused_before_training(run_cli, tmp_path):
    f = tmp_path / "c.csv"
    one_line(run_cli(["hyperbolic", "train", path("smalltree"), "--holdout", "0.1", "--coords", f]), "only .npz can hold", "c.npz")
    assert not f.exists()


# --------------------------------------------------------------------------- 9. settings: options only, fail_on in every one
@pytest.mark.parametrize("name", ["train", "eval", "combinatorial", "hmds", "delta", "reembed"])
def test_settings_record_fail_on_and_no_derived_values(run_cli, workdir, name):
    argv = _subcommands(workdir)[name]
    doc = json.loads(run_cli(["-q", *argv, "--fail-on", "bad", "-f", "json"]).stdout)
    assert doc["settings"]["fail_on"] == "bad"
    assert not {"orientation_read", "orientation_from"} & set(doc["settings"])
    if name in ("train", "eval"):  # what the run read of the edges is a result
        assert doc["settings"]["orientation"] == "auto"
        assert (doc["results"]["orientation_read"], doc["results"]["orientation_from"]) == ("parent-child", "auto")
    plain = json.loads(run_cli(["-q", *argv, "-f", "json"]).stdout)
    assert plain["settings"]["fail_on"] is None


# --------------------------------------------------------------------------- 10. reembed --sample: rows kept of the sample
def test_reembed_sample_note_counts_the_sampled_rows(run_cli, tmp_path):
    from embgeo.hyperbolic.reembed import reembed

    rng = np.random.default_rng(2)
    X = np.r_[rng.standard_normal((150, 3)), rng.standard_normal((50, 3)) + 100.0]  # two far parts: the kNN graph keeps one
    f = tmp_path / "two.npy"
    np.save(f, X)
    doc = json.loads(run_cli(["-q", "hyperbolic", "reembed", f, "--sample", "100", "--seed", "1", "-k", "4", "-f", "json"]).stdout)
    rows = np.sort(np.random.default_rng(1).choice(200, size=100, replace=False))
    ref = reembed(X[rows], dim=2, k=4, seed=1)
    used = ref.n_rows
    assert used < 100 and doc["results"]["n_rows"] == used and ref.n_rows_in == 100 == doc["results"]["n_rows_in"]
    assert any(f"; {used} of the 100 sampled rows (of 200); k = 4" in n for n in doc["notes"]), doc["notes"]
    assert not any(f"{used} of 200 rows" in n for n in doc["notes"])
