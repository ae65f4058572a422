"""Inputs of the hyperbolic commands that could be read more than one way are refused, not guessed.

- ``hyperbolic delta|hmds X``: a ``.csv`` is an edge list only when line 1 names edge columns
  (``id1,id2[,weight]``, ``u,v``, ``source,target`` …); other 2–3 column CSVs (``3,3``, ``x,y``,
  ``a,b,c``) could be an edge list or a matrix and are refused with both fixes (a header or
  ``.edges``; ``--input-format csv``). Edge lists keep working (``.csv`` with a header, ``.edges``,
  ``.edgelist``, named ``.txt``/``.tsv``); options that read a matrix are refused on an edge list.
- ``read_hierarchy``: a CSV's first line is a header (recognised names) or evidently data; a first
  line of unknown names is refused, as is one weight and another for the same edge.
- ``hyperbolic eval X EDGES``: an X without ids is matched to the nodes only when the nodes are
  the integers 0…n−1 (row k is node k, said in a note) or with ``--join row-order``.
- the messages of h-MDS, δ and reembed about their inputs name the option and the bound's reason.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.datasets import path
from embgeo.errors import EmbgeoError
from embgeo.hyperbolic.delta import gromov_delta
from embgeo.hyperbolic.evaluate import evaluate_embedding
from embgeo.hyperbolic.graphs import graph_distances, hierarchy_from_edges, read_hierarchy


def _one_line_error(res, *needles, absent=()):
    assert res.code == 2, (res.code, res.stdout[-300:], res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error: "), res.stderr
    assert "Traceback" not in res.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    for n in absent:
        assert n not in lines[0], (n, lines[0])
    return lines[0]


def _json(res):
    assert res.code == 0, res.stderr
    return json.loads(res.stdout)


# --------------------------------------------------------------------------- 1. edges or points?
@pytest.fixture
def grid_pairs():
    return np.random.default_rng(10).integers(0, 4, (50, 2))


@pytest.mark.parametrize("command", ["delta", "hmds"])
def test_a_headerless_csv_of_integer_pairs_is_refused(run_cli, tmp_path, grid_pairs, command):
    f = tmp_path / "e2grid_nohdr.csv"
    np.savetxt(f, grid_pairs, fmt="%d", delimiter=",")
    line = _one_line_error(run_cli(["hyperbolic", command, f]), f"{f}: 2 columns and no edge-list header", "does not guess",
                           "id1,id2[,weight]", ".edges", "--input-format csv")
    assert ("a matrix of points" if command == "delta" else "a distance matrix") in line


@pytest.mark.parametrize("header", ["a,b,c", "x,y,z", "id,x,y"])
def test_a_csv_of_points_with_another_header_is_refused_and_read_with_input_format(run_cli, tmp_path, header):
    X = np.random.default_rng(1).standard_normal((30, 3 if header != "id,x,y" else 2))
    f = tmp_path / "pts.csv"
    if header == "id,x,y":
        f.write_text(header + "\n" + "".join(f"n{i},{a!r},{b!r}\n" for i, (a, b) in enumerate(X.tolist())))
    else:
        f.write_text(header + "\n" + "".join(",".join(repr(v) for v in row) + "\n" for row in X.tolist()))
    _one_line_error(run_cli(["hyperbolic", "delta", f]), "3 columns and no edge-list header", "--input-format csv", absent=("weight '",))
    got = _json(run_cli(["hyperbolic", "delta", f, "--input-format", "csv", "-f", "json"]))["results"]
    ref = gromov_delta(points=X)
    assert got["n_rows"] == 30 and got["delta"] == pytest.approx(ref.delta, rel=1e-12) and got["exact"] is True


def _cycle8():
    return [(i, i + 1) for i in range(7)] + [(0, 7)]


@pytest.mark.parametrize("name, text", [
    ("c.csv", "id1,id2\n" + "".join(f"{u},{v}\n" for u, v in _cycle8())),
    ("c_case.csv", "ID1,ID2,Weight\n" + "".join(f"{u},{v},1\n" for u, v in _cycle8())),
    ("c_st.csv", "\ufeffsource,target\n" + "".join(f"{u},{v}\n" for u, v in _cycle8())),
    ("c.edges", "".join(f"{u} {v}\n" for u, v in _cycle8())),
    ("c.edgelist", "".join(f"{u} {v}\n" for u, v in _cycle8())),
    ("c.tsv", "u\tv\n" + "".join(f"{u}\t{v}\n" for u, v in _cycle8())),
    ("c_named.txt", "".join(f"n{u} n{v}\n" for u, v in _cycle8())),
])
def test_edge_lists_keep_working(run_cli, tmp_path, name, text):
    """An 8-cycle of unit edges: δ = 2 exactly (a cycle of 4k edges has δ = k), diameter 4."""
    f = tmp_path / name
    f.write_text(text)
    got = _json(run_cli(["hyperbolic", "delta", f, "-f", "json"]))["results"]
    assert (got["delta"], got["diameter"], got["n_rows"]) == (2.0, 4.0, 8)
    assert got["delta"] == gromov_delta(graph_distances(read_hierarchy(f))).delta
    h = _json(run_cli(["hyperbolic", "hmds", f, "--dim", "2", "-f", "json"]))
    assert h["inputs"][0]["rows"] == 8 and h["results"]["n_rows"] == 8


def test_the_bundled_closure_csv_is_an_edge_list(run_cli):
    doc = _json(run_cli(["-q", "hyperbolic", "delta", path("mammals"), "-m", "sampled", "--subsets", "2", "--quadruples", "2000", "-f", "json"]))
    assert doc["inputs"][0]["rows"] == 1180 and doc["results"]["diameter"] == 16  # the mammal tree's, not a matrix's


@pytest.mark.parametrize("name, text, needle", [
    ("pts.tsv", "x\ty\n" + "".join(f"{i}\t{i * 2}\n" for i in range(6)), "line 1 ('x y') names no edge-list columns"),
    ("num.tsv", "".join(f"{i}\t{i + 1}\n" for i in range(6)), "lines of 2–3 numeric fields"),
])
def test_a_text_table_of_numbers_is_refused(run_cli, tmp_path, name, text, needle):
    f = tmp_path / name
    f.write_text(text)
    _one_line_error(run_cli(["hyperbolic", "delta", f]), needle, "does not guess", "--input-format tsv", "name an edge list .edges")


def test_matrix_options_are_refused_on_an_edge_list(run_cli, tmp_path):
    f = tmp_path / "c.edges"
    f.write_text("".join(f"{u} {v}\n" for u, v in _cycle8()))
    _one_line_error(run_cli(["hyperbolic", "delta", f, "--distances"]), "--distances applies to a matrix, but this is an edge list")
    _one_line_error(run_cli(["hyperbolic", "hmds", f, "--id-col", "id"]), "--id-col applies to a matrix")


@pytest.mark.parametrize("name, text, needle", [
    ("hdr.csv", "x,y\n0,1\n1,2\n2,3\n", "line 1 ('x,y') is a header or an edge?"),
    ("named.csv", "a,b\nb,c\nc,d\n", "line 1 ('a,b') is a header or an edge?"),
    ("hdr.edges", "x y\n0 1\n1 2\n2 3\n", "line 1 ('x y') looks like a header"),
])
def test_read_hierarchy_refuses_a_first_line_that_may_be_a_header(tmp_path, run_cli, name, text, needle):
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(EmbgeoError, match="embgeo does not guess") as exc:
        read_hierarchy(f)
    assert needle in str(exc.value) and str(f) in str(exc.value)
    _one_line_error(run_cli(["hyperbolic", "combinatorial", f]), needle)


def test_read_hierarchy_reads_a_first_line_that_cannot_be_a_header(tmp_path):
    (tmp_path / "ints.csv").write_text("0,1\n1,2\n2,3\n")
    (tmp_path / "w.csv").write_text("a,b,1.5\nb,c,2\n")
    (tmp_path / "hdr.csv").write_text("child,parent,length\nb,a,1\nc,b,2\n")
    assert read_hierarchy(tmp_path / "ints.csv").ids.tolist() == ["0", "1", "2", "3"]
    w = read_hierarchy(tmp_path / "w.csv", orientation="undirected")
    assert w.ids.tolist() == ["a", "b", "c"] and graph_distances(w)[0, 2] == 3.5
    h = read_hierarchy(tmp_path / "hdr.csv", orientation="child-parent")
    assert h.ids.tolist() == ["b", "a", "c"] and graph_distances(h)[1, 2] == 3.0


# --------------------------------------------------------------------------- 2. eval: rows to nodes
@pytest.fixture
def named_tree(tmp_path):
    f = tmp_path / "named.edges"
    f.write_text("b a\nc a\nd b\ne b\nf c\ng c\n")
    return f


def _ball(n, seed=0):
    X = np.random.default_rng(seed).standard_normal((n, 2))
    return 0.8 * X / (1.0 + np.linalg.norm(X, axis=1, keepdims=True))


def test_eval_refuses_an_id_less_matrix_for_named_nodes(run_cli, tmp_path, named_tree):
    f = tmp_path / "c.npy"
    np.save(f, _ball(7))
    _one_line_error(run_cli(["hyperbolic", "eval", f, named_tree]), f"{f}: has no row ids and the nodes of named.edges are named",
                    "does not guess", "--join row-order", "npz key 'ids'")


def test_eval_join_row_order_takes_the_nodes_in_order_of_first_appearance(run_cli, tmp_path, named_tree):
    X = _ball(7)
    f = tmp_path / "c.npy"
    np.save(f, X)
    h = read_hierarchy(named_tree)
    assert h.ids.tolist() == ["b", "a", "c", "d", "e", "f", "g"]
    doc = _json(run_cli(["hyperbolic", "eval", f, named_tree, "--join", "row-order", "--protocol", "all", "-f", "json"]))
    ref = evaluate_embedding(X, h, protocol="all")
    assert doc["results"]["map"] == ref.map and doc["results"]["map_sala"] == ref.map_sala
    assert doc["settings"]["join"] == "row-order"
    assert any("row order (--join row-order)" in n and "first appearance in named.edges" in n for n in doc["notes"])
    # the same rows saved with their ids, shuffled: matched by id, the same values
    perm = np.random.default_rng(3).permutation(7)
    g = tmp_path / "c_ids.npz"
    np.savez(g, embeddings=X[perm], ids=h.ids[perm])
    byid = _json(run_cli(["hyperbolic", "eval", g, named_tree, "--protocol", "all", "-f", "json"]))
    assert byid["results"]["map"] == ref.map and byid["results"]["map_sala"] == ref.map_sala
    # a row whose id is not a node is left out, and the notes say so
    np.savez(g, embeddings=np.r_[X[perm], [[0.1, 0.1]]], ids=np.r_[h.ids[perm], ["zz"]])
    extra = _json(run_cli(["hyperbolic", "eval", g, named_tree, "--protocol", "all", "-f", "json"]))
    assert extra["results"]["map"] == ref.map and any("1 ids of X are not nodes of named.edges and were left out" in n for n in extra["notes"])
    np.save(tmp_path / "short.npy", X[:6])
    _one_line_error(run_cli(["hyperbolic", "eval", tmp_path / "short.npy", named_tree, "--join", "row-order"]), "has 6 rows but named.edges has 7 nodes")


def test_eval_integer_nodes_0_to_n_minus_1_match_row_numbers_with_a_note(run_cli, tmp_path):
    h = read_hierarchy(path("smalltree"))
    X = _ball(40, seed=4)
    f = tmp_path / "x.npy"
    np.save(f, X)
    doc = _json(run_cli(["hyperbolic", "eval", f, path("smalltree"), "--protocol", "sala", "-f", "json"]))
    ref = evaluate_embedding(X, h, protocol="sala", ids=[str(i) for i in range(40)])
    assert doc["results"]["map_sala"] == ref.map_sala
    assert any("row k is node k" in n for n in doc["notes"])


def test_eval_refuses_integer_nodes_that_are_not_row_numbers(run_cli, tmp_path):
    e = tmp_path / "shifted.edges"
    e.write_text("".join(f"{u + 1} {v + 1}\n" for u, v in read_hierarchy(path("smalltree")).edges[:, ::-1].tolist()))
    f = tmp_path / "x.npy"
    np.save(f, _ball(40))
    _one_line_error(run_cli(["hyperbolic", "eval", f, e]), "are integers but not 0…39", "--join row-order")
    assert run_cli(["hyperbolic", "eval", f, e, "--join", "row-order"]).code == 0


def test_eval_refuses_a_node_id_on_two_rows(run_cli, tmp_path, named_tree):
    X = _ball(8)
    f = tmp_path / "dup.npz"
    np.savez(f, embeddings=X, ids=np.array(["b", "a", "c", "d", "e", "f", "g", "a"]))
    # (-q: the reader's note on repeated ids goes to stderr before the error)
    _one_line_error(run_cli(["-q", "hyperbolic", "eval", f, named_tree]), "1 node ids are on more than one embedding row (first: 'a')")
    with pytest.raises(EmbgeoError, match="more than one embedding row"):
        evaluate_embedding(X, read_hierarchy(named_tree), ids=["b", "a", "c", "d", "e", "f", "g", "a"])


def test_train_then_eval_round_trips_by_id(run_cli, tmp_path, named_tree):
    out = tmp_path / "t.npz"
    fast = ["--dim", "2", "--epochs", "4", "--burnin", "0", "--batch-size", "4", "--negatives", "2", "--eval-every", "4", "--seed", "1"]
    doc = _json(run_cli(["-q", "hyperbolic", "train", named_tree, "--coords", out, *fast, "-f", "json"]))
    with np.load(out, allow_pickle=False) as z:
        assert z["ids"].tolist() == ["b", "a", "c", "d", "e", "f", "g"]
    ev = _json(run_cli(["-q", "hyperbolic", "eval", out, named_tree, "-f", "json"]))
    assert ev["results"]["map"] == pytest.approx(doc["results"]["map"], rel=1e-12)
    assert not any("row k is node k" in n or "row order" in n for n in ev["notes"])


# --------------------------------------------------------------------------- 3. one weight per edge
@pytest.mark.parametrize("text, listed", [("0 1 5\n0 1 1\n1 2 1\n2 3 1\n", ""), ("0 1 5\n1 0 1\n1 2 1\n2 3 1\n", " (listed as 1 0)")])
def test_a_repeated_edge_with_another_weight_is_refused(run_cli, tmp_path, text, listed):
    f = tmp_path / "e_dupw.edges"
    f.write_text(text)
    _one_line_error(run_cli(["hyperbolic", "delta", f]), f"edge 0 1 has weight 5 on line 1 but weight 1 on line 2{listed}",
                    "give each edge one weight")
    with pytest.raises(EmbgeoError, match="weight 5 on line 1 but weight 1 on line 2"):
        read_hierarchy(f, orientation="undirected")
    with pytest.raises(EmbgeoError, match="weight 5 on pair 0 but weight 1 on pair 1"):
        hierarchy_from_edges([("0", "1"), ("1", "0"), ("1", "2")], weights=[5, 1, 1])


def test_an_exact_repeat_keeps_its_one_weight(tmp_path):
    f = tmp_path / "e.edges"
    f.write_text("0 1 5\n1 0 5.0\n1 2 1\n2 3 1\n")
    h = read_hierarchy(f)
    assert h.duplicate_edges == 1 and h.n_edges == 3
    np.testing.assert_array_equal(graph_distances(h)[0], [0.0, 5.0, 6.0, 7.0])


# --------------------------------------------------------------------------- 4. messages that say what to do
@pytest.fixture
def dmat(tmp_path):
    X = np.random.default_rng(2).standard_normal((30, 3))
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    return tmp_path, D


def test_hmds_distance_matrix_errors_say_what_to_do(run_cli, dmat):
    tmp, D = dmat
    neg, diag, inf = D.copy(), D.copy(), D.copy()
    neg[0, 1] = neg[1, 0] = -1.0
    np.fill_diagonal(diag, 1.0)
    inf[0, 1] = inf[1, 0] = np.inf
    for name, M in (("D_neg.npy", neg), ("D_diag.npy", diag), ("D_inf.npy", inf)):
        np.save(tmp / name, M)
    _one_line_error(run_cli(["hyperbolic", "hmds", tmp / "D_neg.npy"]), "negative distance D[0,1] = -1", "distances are ≥ 0", "embgeo hyperbolic reembed")
    _one_line_error(run_cli(["hyperbolic", "hmds", tmp / "D_diag.npy"]), "non-zero diagonal: D[0,0] = 1 (30 of 30", "set the diagonal to 0",
                    "embgeo hyperbolic reembed")
    _one_line_error(run_cli(["hyperbolic", "hmds", tmp / "D_inf.npy"]), "2 distances that are NaN or inf, in 2 rows", "no --drop-nonfinite for a distance matrix",
                    absent=("where a command offers it",))
    _one_line_error(run_cli(["hyperbolic", "delta", tmp / "D_neg.npy", "--distances"]), "negative distance", "leave out --distances")


def test_delta_and_reembed_nonfinite_rows_name_no_missing_option(run_cli, tmp_path):
    X = np.random.default_rng(0).standard_normal((20, 3))
    X[5, 1] = np.nan
    np.save(tmp_path / "x_nan.npy", X)
    _one_line_error(run_cli(["hyperbolic", "delta", tmp_path / "x_nan.npy"]), "1 row with NaN or inf (row 5)", "delta has no --drop-nonfinite",
                    absent=("where a command offers it",))
    _one_line_error(run_cli(["hyperbolic", "reembed", tmp_path / "x_nan.npy"]), "1 row with NaN or inf (row 5)", "reembed has no --drop-nonfinite",
                    absent=("where a command offers it",))


def test_k_and_dim_bounds_name_the_option_and_the_reason(run_cli, tmp_path):
    np.save(tmp_path / "x_wide.npy", np.random.default_rng(0).standard_normal((5, 50)))
    _one_line_error(run_cli(["hyperbolic", "reembed", tmp_path / "x_wide.npy"]), "n − 1 = 4 for 5 rows", "other rows", "got --k 10",
                    "give --k between 1 and 4")
    _one_line_error(run_cli(["hyperbolic", "reembed", tmp_path / "x_wide.npy", "--k", "2", "--dim", "4"]), "n − 2 = 3 for 5 rows", "more than dim + 1 rows",
                    "give --dim between 1 and 3")
    (tmp_path / "e_one.edges").write_text("0 1\n")
    _one_line_error(run_cli(["hyperbolic", "hmds", tmp_path / "e_one.edges"]), "--dim 2 is not possible for 2 points",
                    "n points span at most n − 1 = 1 dimension", "give --dim 1")
