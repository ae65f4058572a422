"""Gromov δ: tree metrics (0), cycles (closed form and brute force), random metrics against an
independent brute force over all quadruples, the sampled estimate, points input and the CLI."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from scipy.sparse.csgraph import shortest_path
from scipy.spatial.distance import cdist

from embgeo.datasets import path
from embgeo.errors import EmbgeoError
from embgeo.hyperbolic.delta import gromov_delta


def brute(D):
    """Independent reference: every ordered quadruple, (largest − middle of the three sums)/2."""
    n = D.shape[0]
    best = 0.0
    for x, y, z, w in itertools.combinations(range(n), 4):
        s = sorted([D[x, y] + D[z, w], D[x, z] + D[y, w], D[x, w] + D[y, z]])
        best = max(best, (s[2] - s[1]) / 2)
    return best


def cycle(n):
    i = np.arange(n)
    d = np.abs(i[:, None] - i[None, :])
    return np.minimum(d, n - d).astype(float)


def tree_metric(n, seed):
    rng = np.random.default_rng(seed)
    A = np.zeros((n, n))
    for v in range(1, n):
        p = rng.integers(0, v)
        A[p, v] = A[v, p] = rng.uniform(0.5, 2.0)
    return shortest_path(A, directed=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tree_metric_is_zero(seed):
    r = gromov_delta(tree_metric(40, seed))
    assert r.exact
    assert r.delta == pytest.approx(0.0, abs=1e-12)  # sums of float edge lengths: round-off only


@pytest.mark.parametrize("k", [1, 2, 3])
def test_cycle_4k_closed_form(k):
    # four equally spaced points on C_4k: sums k+k, 2k+2k, k+k → δ = (4k − 2k)/2 = k
    r = gromov_delta(cycle(4 * k))
    assert r.delta == k
    assert r.delta_relative == pytest.approx(2 * k / (2 * k))


@pytest.mark.parametrize("n", [5, 6, 7, 9, 10, 11])
def test_cycles_brute_force(n):
    assert gromov_delta(cycle(n)).delta == brute(cycle(n))


def test_random_metric_brute_force():
    X = np.random.default_rng(3).standard_normal((18, 3))
    D = cdist(X, X)
    np.testing.assert_allclose(gromov_delta(D).delta, brute(D), rtol=1e-12)  # same sums, round-off only


def test_sampled_is_lower_bound_and_close():
    X = np.random.default_rng(4).standard_normal((110, 2))
    D = cdist(X, X)
    exact = gromov_delta(D, method="exact").delta
    s = gromov_delta(D, method="sampled", n_subsets=10, subset_size=40, n_quadruples=100_000, seed=0)
    assert not s.exact and s.delta <= exact + 1e-12
    assert s.delta >= 0.8 * exact  # measured: within a few % on this set
    lo, hi = s.delta_subset_ci_low, s.delta_subset_ci_high
    assert lo <= s.delta_subset_mean <= hi


def test_points_input_matches_matrix():
    X = np.random.default_rng(5).standard_normal((30, 4))
    a = gromov_delta(points=X)
    b = gromov_delta(cdist(X, X))
    np.testing.assert_allclose(a.delta, b.delta, rtol=1e-10)


def test_bad_input():
    with pytest.raises(EmbgeoError, match="exactly one"):
        gromov_delta()
    with pytest.raises(EmbgeoError, match="at least 4"):
        gromov_delta(cycle(3))
    with pytest.raises(EmbgeoError, match="method"):
        gromov_delta(cycle(6), method="fast")


def test_cli(run_cli, tmp_path):
    res = run_cli(["hyperbolic", "delta", path("smalltree"), "--format", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    d = doc["results"]
    assert doc["schema"] == "embgeo.hyperbolic.delta/2" and d["delta"] == 0.0 and d["exact"] is True and d["n_rows"] == 40
    assert doc["verdict"]["status"] == "info" and doc["verdict"]["decided_by"] == "delta_relative"
    f = tmp_path / "x.npy"
    np.save(f, np.random.default_rng(6).standard_normal((300, 5)))
    res = run_cli(["hyperbolic", "delta", f, "--format", "json", "--subsets", "3", "--quadruples", "1000"])
    d = json.loads(res.stdout)["results"]
    assert d["exact"] is False and d["delta"] > 0 and 0 < d["delta_relative"] <= 1
    assert d["delta_subset_ci_low"] <= d["delta_subset_mean"] <= d["delta_subset_ci_high"]
    rows = run_cli(["hyperbolic", "delta", f, "-f", "csv", "--subsets", "3", "--quadruples", "1000"]).stdout.splitlines()
    assert rows[0] == "metric,value,ci_low,ci_high,unit,status"
    sub_row = next(r.split(",") for r in rows if r.startswith("delta_subset_mean,"))
    assert [float(x) for x in sub_row[1:4]] == [d["delta_subset_mean"], d["delta_subset_ci_low"], d["delta_subset_ci_high"]]
    # --sample: the δ of a seeded sample of rows equals the library's on the same rows
    res = run_cli(["hyperbolic", "delta", f, "--sample", "40", "--seed", "3", "-f", "json"])
    got = json.loads(res.stdout)
    X = np.load(f)
    rows40 = np.sort(np.random.default_rng(3).choice(300, size=40, replace=False))
    assert got["inputs"][0]["rows"] == 300 and got["results"]["n_rows"] == 40 and got["results"]["delta"] == pytest.approx(gromov_delta(points=X[rows40]).delta, rel=1e-12)
    assert run_cli(["hyperbolic", "delta", f, "-m", "exact,sampled"]).code == 2  # one mode at a time, said out loud
    res = run_cli(["hyperbolic", "delta", f, "--mode", "fast"])
    assert res.code == 2 and res.stderr.startswith("embgeo: error:")
    # --mode is uniformity's word (auto|exact|sample); the former -m/--method (auto|exact|sampled) still reads, with a note
    new = json.loads(run_cli(["hyperbolic", "delta", f, "--mode", "sample", "--seed", "1", "-f", "json"]).stdout)
    res = run_cli(["hyperbolic", "delta", f, "-m", "sampled", "--seed", "1", "-f", "json"])
    assert res.code == 0 and "note: --method is now --mode" in res.stderr
    old = json.loads(res.stdout)
    assert new["settings"]["mode"] == old["settings"]["mode"] == "sample" and "method" not in new["settings"]
    assert new["results"] == {**old["results"], "seconds": new["results"]["seconds"]} and new["results"]["exact"] is False
    both = run_cli(["hyperbolic", "delta", f, "--mode", "exact", "--method", "exact"])
    assert both.code == 2 and "--method is the old name of --mode; both were given" in both.stderr


def test_a_txt_edge_list_is_a_graph_and_numeric_pairs_are_refused(tmp_path, run_cli):
    """`hyperbolic delta/hmds tree.txt`: 'u v' lines with named nodes are an edge list (not GloVe
    text); '1 2' lines could be either, and are refused with the fix instead of guessed."""
    import json

    (tmp_path / "tree.txt").write_text("a b\nb c\nb d\na e\n")
    (tmp_path / "tree.edges").write_text("a b\nb c\nb d\na e\n")
    as_txt = run_cli(["hyperbolic", "delta", tmp_path / "tree.txt", "-f", "json"])
    as_edges = run_cli(["hyperbolic", "delta", tmp_path / "tree.edges", "-f", "json"])
    assert as_txt.code == 0 and as_edges.code == 0, as_txt.stderr
    assert json.loads(as_txt.stdout)["results"]["delta"] == json.loads(as_edges.stdout)["results"]["delta"] == 0.0
    (tmp_path / "num.txt").write_text("1 2\n2 3\n2 4\n1 5\n")
    r = run_cli(["hyperbolic", "hmds", tmp_path / "num.txt"])
    assert r.code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "num.txt: lines of 2–3 numeric fields" in r.stderr and "name an edge list .edges" in r.stderr


def test_graph_errors_name_the_file(tmp_path, run_cli):
    (tmp_path / "dis.edges").write_text("a b\nc d\n")
    (tmp_path / "three.edges").write_text("a b\nb c\n")
    r = run_cli(["hyperbolic", "combinatorial", tmp_path / "dis.edges"])
    assert r.code == 2 and r.stderr.startswith(f"embgeo: error: {tmp_path / 'dis.edges'}: the graph has 2 connected components")
    r = run_cli(["hyperbolic", "delta", tmp_path / "three.edges"])
    assert r.code == 2 and r.stderr.strip() == f"embgeo: error: {tmp_path / 'three.edges'}: δ needs at least 4 points; got 3"
