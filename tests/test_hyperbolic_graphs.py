"""Reading hierarchies, structure checks, closure/reduction and graph distances."""
from __future__ import annotations

import numpy as np
import pytest

from embgeo.datasets import path
from embgeo.errors import EmbgeoError
from embgeo.hyperbolic.graphs import (
    check_hierarchy,
    graph_distances,
    hierarchy_from_edges,
    read_hierarchy,
    transitive_closure,
    transitive_reduction,
)


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_mammals_closure_csv():
    h = read_hierarchy(path("mammals"))
    # SOURCES.md: 1180 nodes, 6540 directed closure pairs, hyponym → ancestor
    assert (h.n_nodes, h.n_edges) == (1180, 6540)
    assert h.directed and h.closed and h.orientation == "child-parent"
    ids = h.ids.tolist()
    root = ids.index("mammal.n.01")
    # every node but the root has mammal.n.01 among its ancestors
    anc = h.ancestors
    assert anc[root].nnz == 0
    assert all(root in anc[i].indices for i in range(h.n_nodes) if i != root)
    red = transitive_reduction(h)
    clo = transitive_closure(red)
    np.testing.assert_array_equal(clo.edges, h.edges)  # closure(reduction(C)) == C


def test_smalltree_edges_parent_child_flipped():
    h = read_hierarchy(path("smalltree"))
    assert (h.n_nodes, h.n_edges) == (40, 39)
    assert h.orientation == "parent-child" and h.directed
    rep = check_hierarchy(h)
    assert rep.is_tree and rep.roots == 1 and rep.components == 1 and rep.cyclomatic_number == 0
    # node 0 is the root: listed "0 1", stored child → parent as (1, 0)
    assert [1, 0] in h.edges.tolist()


def test_closure_of_a_small_dag(tmp_path):
    # a → b → d, a → c → d  (child → parent listing is inferred: d is the single sink)
    p = _write(tmp_path, "dag.csv", "id1,id2\na,b\na,c\nb,d\nc,d\n")
    h = read_hierarchy(p, closure=True)
    pairs = {(h.ids[u], h.ids[v]) for u, v in h.edges}
    assert pairs == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("a", "d")}
    assert h.closed


def test_integer_ids_ordered_by_value_and_weights(tmp_path):
    p = _write(tmp_path, "w.edges", "# comment\n10 2 1.5\n2 3 2\n")
    h = read_hierarchy(p, orientation="undirected")
    assert h.ids.tolist() == ["2", "3", "10"]
    assert not h.directed
    d = graph_distances(h)
    # path 10 –1.5– 2 –2– 3: weighted distances are sums of weights
    np.testing.assert_allclose(d[h.ids.tolist().index("10"), h.ids.tolist().index("3")], 3.5, rtol=0, atol=0)
    d_hops = graph_distances(h, weighted=False)
    assert d_hops[2, 1] == 2.0


def test_self_loops_duplicates_disconnected(tmp_path):
    p = _write(tmp_path, "g.edges", "a b\nb b\na b\nc d\n")
    h = read_hierarchy(p, orientation="undirected")
    assert h.self_loops == 1 and h.duplicate_edges == 1
    rep = check_hierarchy(h)
    assert rep.components == 2
    assert any("disconnected" in m for m in rep.messages)
    assert any("self-loop" in m for m in rep.messages)
    d = graph_distances(h)
    assert np.isinf(d[0, 2])


def test_directed_cycle_detected(tmp_path):
    p = _write(tmp_path, "cyc.edges", "a b\nb c\nc a\nc d\n")
    h = read_hierarchy(p)  # auto: a cycle → read as an undirected graph, and the report names it
    assert not h.directed
    rep = check_hierarchy(h)
    assert rep.cycle[0] == rep.cycle[-1] and set(rep.cycle) == {"a", "b", "c"}
    with pytest.raises(EmbgeoError, match="cycle"):
        read_hierarchy(p, closure=True)
    with pytest.raises(EmbgeoError, match="cycle"):
        read_hierarchy(p, closure=True, orientation="child-parent")


@pytest.mark.parametrize(
    "text, match",
    [("a\n", "line 1 has 1 field"), ("a b x\n", "not a number"), ("a b 1\nc d\n", "earlier lines"), ("a b -1\n", "positive"), ("", "no edges")],
)
def test_bad_files_name_the_line(tmp_path, text, match):
    p = _write(tmp_path, "bad.edges", text)
    with pytest.raises(EmbgeoError, match=match) as exc:
        read_hierarchy(p)
    assert "bad.edges" in str(exc.value)


def test_graph_distances_blockwise_matches_floyd():
    from scipy.sparse.csgraph import floyd_warshall

    h = read_hierarchy(path("smalltree"))
    full = floyd_warshall(h.neighbours, directed=False)
    np.testing.assert_array_equal(graph_distances(h, block=7), full)  # integers: exact
    np.testing.assert_array_equal(graph_distances(h, sources=[3, 5]), full[[3, 5]])


def test_hierarchy_from_index_pairs():
    h = hierarchy_from_edges(np.array([[1, 0], [2, 0]]), ids=["r", "x", "y"], orientation="child-parent")
    assert h.n_nodes == 3 and h.directed and h.closed
    assert h.to_dict()["n_edges"] == 2


def test_auto_reads_a_graph_listed_u_lt_v_as_undirected():
    """No directed cycle, but several roots in one connected part: a graph written u < v, not a hierarchy."""
    from embgeo.datasets import path
    from embgeo.hyperbolic.graphs import check_hierarchy, hierarchy_from_edges, read_hierarchy

    h = read_hierarchy(path("diseasome"))
    assert not h.directed and h.orientation == "undirected" and h.edges.shape == (1188, 2)
    assert h.extra_roots == 44  # 45 parentless nodes in one connected part, read as a DAG
    assert any("read as an undirected graph" in m for m in check_hierarchy(h).messages)
    assert read_hierarchy(path("diseasome"), orientation="child-parent").directed  # explicit: a DAG
    # a forest of two trees listed parent → child: one root per part, still a hierarchy
    forest = hierarchy_from_edges([("a", "b"), ("a", "c"), ("x", "y"), ("x", "z"), ("y", "w")])
    assert forest.directed and forest.orientation == "parent-child" and forest.extra_roots == 0
    # a "diamond" u < v listing: 1→2, 1→3, 2→4, 3→4 has one source and one sink: a DAG (multiple inheritance)
    diamond = hierarchy_from_edges([(1, 2), (1, 3), (2, 4), (3, 4), (4, 5), (4, 6)])
    assert diamond.directed
    # integer ids written u < v, two sources and two sinks in one part: whichever way round, two roots — a graph
    g = hierarchy_from_edges([(0, 2), (1, 2), (2, 3), (3, 4), (1, 5)])
    assert not g.directed and g.extra_roots == 1
    # a string-labelled taxonomy with two top roots sharing descendants stays a DAG (and its closure is kept)
    pairs = [("a", "r1"), ("b", "r1"), ("b", "r2"), ("c", "r2"), ("d", "a"), ("e", "c"), ("d", "r1"), ("e", "r2")]
    t = hierarchy_from_edges(pairs)
    assert t.directed and t.orientation == "child-parent" and t.closed and t.extra_roots == 0
