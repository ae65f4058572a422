"""A header that names the direction of the edges (child,parent · parent,child · hyponym,hypernym …)
sets the orientation; a neutral one (id1,id2 · u,v · source,target · node1,node2) leaves it to auto.

- the same tree or DAG written child → parent under ``child,parent`` and parent → child under
  ``parent,child`` reads the same: same closure, same Nickel–Kiela MAP in ``hyperbolic eval``;
- where the auto rule would read the edges the other way (a chain, a node with several roots),
  the header wins and the notes say so; the JSON settings record what decided;
- ``--orientation`` contradicting the header is a one-line error (exit 2) naming both and the fix;
- neutral headers change nothing.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from embgeo.datasets import path

from embgeo.errors import EmbgeoError
from embgeo.hyperbolic.edgefiles import (
    column_word,
    header_orientation,
    is_edge_header,
    read_edge_file,
)
from embgeo.hyperbolic.graphs import (
    check_hierarchy,
    hierarchy_from_edges,
    read_hierarchy,
    transitive_closure,
)
from tests._cli import one_line


def _tree(n: int = 30, seed: int = 7) -> list[tuple[str, str]]:
    """A seeded random tree as (child, parent) names: node k's parent is one of 0..k−1."""
    rng = np.random.default_rng(seed)
    return [(f"n{k}", f"n{int(rng.integers(0, k))}") for k in range(1, n)]


def _write(tmp_path, name: str, header: str, pairs, sep: str = ",") -> str:
    f = tmp_path / name
    f.write_text((header + "\n" if header else "") + "".join(f"{a}{sep}{b}\n" for a, b in pairs))
    return str(f)


def _named_pairs(h) -> set:
    return {(str(h.ids[a]), str(h.ids[b])) for a, b in h.edges}


def _embedding(tmp_path, names, seed: int = 3) -> str:
    """Seeded points inside the Poincaré disk, one row per node id."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(len(names), 2))
    x *= (0.85 * rng.random(len(names)) / np.linalg.norm(x, axis=1))[:, None]
    f = tmp_path / "emb.csv"
    f.write_text("id,x1,x2\n" + "".join(f"{n},{float(a)!r},{float(b)!r}\n" for n, (a, b) in zip(names, x)))
    return str(f)


def _eval_json(run_cli, emb, edges, *extra):
    res = run_cli(["hyperbolic", "eval", emb, edges, "--protocol", "nk", "--format", "json", *extra])
    assert res.code == 0, res.stderr
    return json.loads(res.stdout)


# --------------------------------------------------------------------------- 1. both ways, one reading
@pytest.mark.parametrize("child, parent", [("child", "parent"), ("hyponym", "hypernym"), ("descendant", "ancestor"), ("Subclass", "Superclass")])
def test_a_tree_written_both_ways_reads_the_same(tmp_path, run_cli, child, parent):
    pairs = _tree()
    up = _write(tmp_path, "up.csv", f"{child},{parent}", pairs)
    down = _write(tmp_path, "down.csv", f"{parent},{child}", [(p, c) for c, p in pairs])
    a, b = read_hierarchy(up, closure=True), read_hierarchy(down, closure=True)
    assert (a.orientation, b.orientation) == ("child-parent", "parent-child")
    assert a.orientation_from == b.orientation_from == "header" and a.directed and b.directed
    assert _named_pairs(a) == _named_pairs(b)  # the same transitive closure, child → ancestor
    assert len(_named_pairs(a)) == sum(1 for _ in a.edges) and ("n1", "n0") in _named_pairs(a)
    # the closure is the tree's ancestors: the reference is the closure of the (child, parent) pairs
    ref = transitive_closure(hierarchy_from_edges(pairs, orientation="child-parent"))
    assert _named_pairs(a) == _named_pairs(ref)
    # `hyperbolic eval` (Nickel–Kiela MAP: the closure ancestors are the positives) agrees to the bit
    emb = _embedding(tmp_path, sorted({x for p in pairs for x in p}))
    ja, jb = _eval_json(run_cli, emb, up), _eval_json(run_cli, emb, down)
    assert ja["results"]["map"] == jb["results"]["map"] and ja["results"]["mean_rank"] == jb["results"]["mean_rank"]
    assert 0 < ja["results"]["map"] < 1  # random points: a real number, not a trivial 1.0
    assert ja["settings"]["orientation"] == "auto" and ja["results"]["orientation_from"] == "header"
    assert (ja["results"]["orientation_read"], jb["results"]["orientation_read"]) == ("child-parent", "parent-child")


def test_combinatorial_map_is_the_same_both_ways(tmp_path, run_cli):
    pairs = _tree(40, seed=11)
    up = _write(tmp_path, "up.csv", "child,parent", pairs)
    down = _write(tmp_path, "down.csv", "parent,child", [(p, c) for c, p in pairs])
    out = []
    for f in (up, down):
        res = run_cli(["hyperbolic", "combinatorial", f, "--format", "json", "--seed", "0"])
        assert res.code == 0, res.stderr
        out.append(json.loads(res.stdout)["results"])
    assert out[0]["map_sala"] == out[1]["map_sala"] and out[0]["distortion_mean"] == out[1]["distortion_mean"]
    assert out[0]["n_graph_edges"] == out[1]["n_graph_edges"] == 39


# --------------------------------------------------------------------------- 2. the header wins over auto
def test_a_chain_listed_parent_to_child_is_read_as_its_header_says(tmp_path, run_cli):
    # a chain has one source and one sink: auto keeps it as listed (child → parent) and reads it upside down
    chain = [(f"c{k}", f"c{k + 1}") for k in range(9)]  # parent, child: c0 is the root
    auto = hierarchy_from_edges(chain)
    assert auto.orientation == "child-parent"  # the auto rule: c9 would be the root
    neutral = read_hierarchy(_write(tmp_path, "neutral.csv", "id1,id2", chain), closure=True)
    f = _write(tmp_path, "chain.csv", "parent,child", chain)
    h = read_hierarchy(f, closure=True)
    assert (h.orientation, h.orientation_from, h.auto_orientation) == ("parent-child", "header", "child-parent")
    assert ("c9", "c0") in _named_pairs(h) and ("c0", "c9") not in _named_pairs(h)  # c9 descends from the root c0
    assert _named_pairs(neutral) == {(b, a) for a, b in _named_pairs(h)}  # the neutral header keeps auto's reading
    assert "orientation parent-child from the header (parent,child); the auto rule would have read child-parent" in check_hierarchy(h).messages
    # the same file with --orientation parent-child agrees with the header: no error, no note
    given = read_hierarchy(f, orientation="parent-child")
    assert given.orientation_from == "given" and not any("from the header" in m for m in check_hierarchy(given).messages)
    # eval: MAP of the header's reading, the note among the JSON notes, the settings say what decided
    emb = _embedding(tmp_path, [f"c{k}" for k in range(10)])
    j = _eval_json(run_cli, emb, f)
    assert j["results"]["orientation_read"] == "parent-child" and j["results"]["orientation_from"] == "header"
    assert any("from the header (parent,child); the auto rule would have read child-parent" in n for n in j["notes"])
    jn = _eval_json(run_cli, emb, _write(tmp_path, "neutral.csv", "id1,id2", chain))
    assert jn["results"]["orientation_from"] == "auto" and jn["results"]["map"] != j["results"]["map"]


def test_several_parents_of_one_node_keep_the_header_direction(tmp_path, run_cli):
    # x has four parents: as a DAG it has four sinks and one source, so auto would flip it
    pairs = [("x", p) for p in "abcd"] + [("y", "a")]
    f = _write(tmp_path, "multi.csv", "hyponym,hypernym", pairs)
    h = read_hierarchy(f)
    assert (h.orientation, h.auto_orientation) == ("child-parent", "parent-child")
    assert _named_pairs(h) == set(pairs)
    assert hierarchy_from_edges(pairs).orientation == "parent-child"  # without the header: auto flips
    res = run_cli(["hyperbolic", "combinatorial", f])
    assert res.code == 0 and "multi.csv: orientation child-parent from the header (hyponym,hypernym)" in res.stderr


def test_integer_ids_under_a_direction_header_stay_a_dag(tmp_path):
    # integer ids written child < parent on every line, with 2 roots in one part: auto reads a relabelled graph
    pairs = [(0, 2), (1, 2), (1, 3)]
    assert not hierarchy_from_edges(pairs).directed
    h = read_hierarchy(_write(tmp_path, "ints.csv", "child,parent", pairs))
    assert h.directed and (h.orientation, h.auto_orientation) == ("child-parent", "undirected")
    assert _named_pairs(h) == {("0", "2"), ("1", "2"), ("1", "3")}


def test_a_whitespace_edges_file_and_a_weight_column(tmp_path):
    tree = _tree(12, seed=5)
    h1 = read_hierarchy(_write(tmp_path, "t.edges", "parent child", [(p, c) for c, p in tree], sep=" "))
    f = tmp_path / "w.csv"
    f.write_text("Hypernym,Hyponym,weight\n" + "".join(f"{p},{c},{1 + i % 3}\n" for i, (c, p) in enumerate(tree)))
    h2 = read_hierarchy(f)
    assert h1.orientation == h2.orientation == "parent-child" and h1.orientation_from == h2.orientation_from == "header"
    assert _named_pairs(h1) == _named_pairs(h2) == set(tree) and h2.weights is not None


def test_undirected_drops_the_direction_a_cycle_reads_as_under_a_neutral_header(tmp_path, run_cli):
    f = _write(tmp_path, "t.csv", "child,parent", _tree(10))
    u = read_hierarchy(f, orientation="undirected")
    assert not u.directed and u.orientation_from == "given"
    pairs = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a"), ("e", "d")]
    cyc = _write(tmp_path, "cyc.csv", "child,parent", pairs)
    neutral = _write(tmp_path, "cyc_n.csv", "id1,id2", pairs)
    # a directed cycle is no hierarchy either way: as under the auto rule, an undirected graph with the cycle named
    h, hn = read_hierarchy(cyc), read_hierarchy(neutral)
    assert not h.directed and h.orientation == "undirected" and _named_pairs(h) == _named_pairs(hn)
    assert any(m.startswith("directed cycle a → b → c → a") for m in check_hierarchy(h).messages)
    # the commands without --orientation read it as they did before the header rule (same numbers as the neutral file)
    a = run_cli(["hyperbolic", "combinatorial", cyc, "-f", "json"])
    b = run_cli(["hyperbolic", "combinatorial", neutral, "-f", "json"])
    assert a.code == 0 and b.code == 0, (a.stderr, b.stderr)
    assert json.loads(a.stdout)["results"]["map_sala"] == json.loads(b.stdout)["results"]["map_sala"] > 0
    # asked for a direction (or a closure), a cycle is an error naming it
    with pytest.raises(EmbgeoError, match=r"directed cycle .* not a child-parent hierarchy") as exc:
        read_hierarchy(cyc, orientation="child-parent")
    assert str(exc.value).startswith(cyc)
    with pytest.raises(EmbgeoError, match="closure"):
        read_hierarchy(cyc, closure=True)


# --------------------------------------------------------------------------- 3. a contradiction is an error
def test_orientation_contradicting_the_header_is_refused(tmp_path, run_cli):
    pairs = _tree(10)
    f = _write(tmp_path, "t.csv", "child,parent", pairs)
    with pytest.raises(EmbgeoError) as exc:
        read_hierarchy(f, orientation="parent-child")
    msg = str(exc.value)
    assert msg.startswith(f"{f}: line 1: the header 'child,parent' lists each edge child → parent, but orientation='parent-child' reads it parent → child")
    assert "leave out orientation (the header decides)" in msg and "(parent,child)" in msg and "\n" not in msg
    emb = _embedding(tmp_path, sorted({x for p in pairs for x in p}))
    line = one_line(run_cli(["hyperbolic", "eval", emb, f, "--orientation", "parent-child"]),
                           f"{f}: line 1: the header 'child,parent'", "--orientation parent-child", "leave out --orientation")
    assert "orientation='" not in line
    # the other way round, after a comment line: the line number is the header's
    g = tmp_path / "g.csv"
    g.write_text("# a taxonomy\nhypernym,hyponym\n" + "".join(f"{p},{c}\n" for c, p in pairs))
    one_line(run_cli(["hyperbolic", "eval", emb, g, "--orientation", "child-parent"]),
                    "line 2: the header 'hypernym,hyponym' lists each edge parent → child", "--orientation child-parent")
    assert read_hierarchy(g, orientation="parent-child").orientation == "parent-child"  # agreeing is fine


# --------------------------------------------------------------------------- 4. neutral headers change nothing
@pytest.mark.parametrize("header", ["id1,id2", "u,v", "source,target", "node1,node2", "src,dst", "from,to", "ID1,ID2,weight"])
def test_neutral_headers_leave_the_orientation_to_auto(tmp_path, header):
    tree = _tree(15, seed=2)
    for listing in (tree, [(p, c) for c, p in tree]):  # child → parent, then parent → child
        rows = [(a, f"{b},1") for a, b in listing] if header.endswith("weight") else listing
        h = read_hierarchy(_write(tmp_path, "n.csv", header, rows))
        ref = hierarchy_from_edges(listing)  # no header: the auto rule alone
        assert h.orientation == ref.orientation and h.orientation_from == "auto" and h.auto_orientation is None
        assert _named_pairs(h) == _named_pairs(ref) == set(tree)  # a tree: auto finds the direction either way
        assert not any("from the header" in m for m in check_hierarchy(h).messages)


def test_the_bundled_mammals_closure_is_unchanged():
    h = read_hierarchy(path("mammals"))  # id1,id2,weight: neutral
    assert (h.n_nodes, h.n_edges, h.orientation, h.orientation_from) == (1180, 6540, "child-parent", "auto")


def test_report_says_when_the_header_decided_the_direction(tmp_path, run_cli):
    # the report reads the hierarchy as the hyperbolic commands do, and says the same thing on stderr
    chain = [(f"c{k}", f"c{k + 1}") for k in range(9)]
    f = _write(tmp_path, "chain.csv", "parent,child", chain)
    x = np.random.default_rng(0).normal(size=(60, 8))
    np.save(tmp_path / "x.npy", x)
    res = run_cli(["report", tmp_path / "x.npy", "--edges", f, "--map", "none", "--md", tmp_path / "r.md"])
    assert res.code == 0, res.stderr
    assert "chain.csv: orientation parent-child from the header (parent,child); the auto rule would have read child-parent" in res.stderr
    res = run_cli(["report", tmp_path / "x.npy", "--edges", _write(tmp_path, "n.csv", "id1,id2", chain), "--map", "none",
                   "--md", tmp_path / "r2.md"])
    assert res.code == 0 and "from the header" not in res.stderr, res.stderr


# --------------------------------------------------------------------------- 5. header names as real files spell them
# One rule (edgefiles.column_word), not a list: lower case, separators (_ - . space) dropped, ONE trailing
# qualifier (id, ids, name, node, key, synset, label, term) dropped, plurals read as the word.


def _multi_parent_dag() -> list[tuple[str, str]]:
    """(child, parent) pairs the auto rule reads the other way round: x has four parents (four sinks, one source)."""
    return [("x", p) for p in "abcd"] + [("y", "a"), ("z", "b")]


@pytest.mark.parametrize("header, stated", [
    ("child_id,parent_id", "child-parent"), ("ChildID,ParentID", "child-parent"), ("child id,parent id", "child-parent"),
    ("child_name,parent_name", "child-parent"), ("Child-Key,Parent.Label", "child-parent"), ("children,parents", "child-parent"),
    ("hyponym_synset,hypernym_synset", "child-parent"), ("subclass_term,SuperClass_Term", "child-parent"),
    ("parent_node,child_node", "parent-child"), ("parent_ids,child_ids", "parent-child"), ("Hypernyms,Hyponyms", "parent-child"),
    ("ancestor_label,descendant_label", "parent-child"), ("broader_term,narrower_term", "parent-child"),
])
def test_spelled_direction_headers_read_as_the_canonical_one(tmp_path, run_cli, header, stated):
    assert header_orientation(header.split(",")) == stated and is_edge_header(header.split(","))
    pairs = _multi_parent_dag()
    rows = pairs if stated == "child-parent" else [(p, c) for c, p in pairs]
    canon = "child,parent" if stated == "child-parent" else "parent,child"
    f, ref = _write(tmp_path, "spelled.csv", header, rows), _write(tmp_path, "canon.csv", canon, rows)
    h, r = read_hierarchy(f), read_hierarchy(ref)
    # the header decides (auto alone would flip this DAG), as the canonical header does
    assert (h.orientation, h.orientation_from, h.auto_orientation) == (stated, "header", "parent-child" if stated == "child-parent" else "child-parent")
    assert h.header == tuple(x.strip() for x in header.split(","))  # the names as written, for the messages
    assert _named_pairs(h) == _named_pairs(r) == set(pairs) and (h.n_nodes, h.n_edges) == (r.n_nodes, r.n_edges) == (7, 6)
    assert "child_id" not in {str(x) for x in h.ids} and all(str(x) not in header for x in h.ids if len(str(x)) > 1)
    # hyperbolic eval: the same MAP and mean rank as under the canonical header, the settings name the header
    emb = _embedding(tmp_path, sorted({x for p in pairs for x in p}))
    j, jr = _eval_json(run_cli, emb, f), _eval_json(run_cli, emb, ref)
    assert j["results"]["map"] == jr["results"]["map"] and j["results"]["mean_rank"] == jr["results"]["mean_rank"]
    assert 0 < j["results"]["map"] <= 1
    assert (j["results"]["orientation_read"], j["results"]["orientation_from"]) == (stated, "header")
    # a contradicting --orientation names the header as written
    other = "parent-child" if stated == "child-parent" else "child-parent"
    one_line(run_cli(["hyperbolic", "eval", emb, f, "--orientation", other]), f"the header '{header.split(',')[0]},{header.split(',')[1]}'")


@pytest.mark.parametrize("header", ["child_id,parent_id", "ChildID,ParentID", "child_name,parent_name", "children,parents",
                                    "hyponym_synset,hypernym_synset"])
def test_spelled_headers_give_the_same_combinatorial_and_delta_numbers(tmp_path, run_cli, header):
    tree = _tree(40, seed=11)
    out = []
    for name, head in (("spelled.csv", header), ("canon.csv", "child,parent")):
        f = _write(tmp_path, name, head, tree)
        res = run_cli(["hyperbolic", "combinatorial", f, "--format", "json", "--seed", "0"])
        assert res.code == 0, res.stderr
        d = run_cli(["hyperbolic", "delta", f, "--format", "json"])
        assert d.code == 0, d.stderr
        out.append((json.loads(res.stdout)["results"], json.loads(d.stdout)["results"]))
    (a, da), (b, db) = out
    assert a["n_graph_edges"] == b["n_graph_edges"] == 39  # the header is no edge: 40 nodes, 39 edges
    assert a["map_sala"] == b["map_sala"] and a["distortion_mean"] == b["distortion_mean"]
    assert da["n_rows"] == db["n_rows"] == 40 and da["diameter"] == db["diameter"] > 0 and da["delta"] == db["delta"] == 0


@pytest.mark.parametrize("header, canon", [("source_id,target_id", "source,target"), ("node_1,node_2", "node1,node2"),
                                           ("Source Node,Target Node", "source,target"), ("src_key,dst_key", "src,dst"),
                                           ("from_name,to_name", "from,to"), ("u_id,v_id", "u,v"), ("sourceid,targetid,Weight", "id1,id2,weight")])
def test_spelled_neutral_headers_stay_neutral(tmp_path, run_cli, header, canon):
    assert is_edge_header(header.split(",")) and header_orientation(header.split(",")) is None
    chain = [(f"c{k}", f"c{k + 1}") for k in range(9)]  # auto reads it child → parent; a neutral header keeps that
    rows = [(a, f"{b},1") for a, b in chain] if header.endswith("Weight") else chain
    f, ref = _write(tmp_path, "n.csv", header, rows), _write(tmp_path, "c.csv", canon, rows)
    h, r = read_hierarchy(f, closure=True), read_hierarchy(ref, closure=True)
    assert (h.orientation, h.orientation_from) == (r.orientation, r.orientation_from) == ("child-parent", "auto")
    assert _named_pairs(h) == _named_pairs(r) and (h.n_nodes, h.n_edges) == (10, 45)  # the closure of a 10-chain
    assert (read_hierarchy(f).weights is not None) == header.endswith("Weight")  # the closure has no weights; the edges do
    emb = _embedding(tmp_path, [f"c{k}" for k in range(10)])
    j, jr = _eval_json(run_cli, emb, f), _eval_json(run_cli, emb, ref)
    assert j["results"]["map"] == jr["results"]["map"] and j["results"]["orientation_from"] == "auto"


def test_spelled_headers_in_a_whitespace_edges_file(tmp_path):
    tree = _tree(12, seed=5)
    for header, listing in (("child_id parent_id", tree), ("ParentNode ChildNode", [(p, c) for c, p in tree]),
                            ("node_1 node_2", tree)):
        f = _write(tmp_path, "t.edges", header, listing, sep=" ")
        e = read_edge_file(f)
        assert e.header == tuple(header.split()) and e.header_line == 1 and len(e.us) == 11 and e.lines[0] == 2
        h = read_hierarchy(f)
        assert _named_pairs(h) == set(tree) and h.n_nodes == 12
        assert h.orientation_from == ("auto" if header.startswith("node") else "header")
    # integer ids under a spelled header: the header, not a line to refuse
    g = _write(tmp_path, "ints.edges", "child_id parent_id", [(1, 0), (2, 0), (3, 1)], sep=" ")
    assert _named_pairs(read_hierarchy(g)) == {("1", "0"), ("2", "0"), ("3", "1")}


def test_column_word_the_rule():
    assert [column_word(x) for x in ("ChildID", "child id", "child_name", "Parent-Node", "parent.key", "hyponym_synset",
                                     "children", "Parents", "child_ids", "subclasses", "source_id", "node_1", "Node 2", "U_ID")] == \
        ["child", "child", "child", "parent", "parent", "hyponym", "child", "parent", "child", "subclass", "source", "node1", "node2", "u"]
    # one qualifier only, and only when something is left; containing a word is not being it
    assert [column_word(x) for x in ("child_id_name", "id", "name", "node", "childhood", "Parenting", "grandchild", "dog")] == \
        ["childidname", "id", "name", "node", "childhood", "parenting", "grandchild", "dog"]
    assert [column_word(x) for x in ("us", "vs", "child.n.01")] == ["us", "vs", "childn01"]  # no plural of a short word


# --------------------------------------------------------------------------- 6. what stays data
@pytest.mark.parametrize("first", ["dog,animal", "childhood,parenting", "grandchild,grandparent", "child_of,parent_of",
                                   "child.n.01,parent.n.01", "id,name", "us,vs"])
def test_node_names_on_line_one_are_no_header(tmp_path, run_cli, first):
    assert not is_edge_header(first.split(",")) and header_orientation(first.split(",")) is None
    tree = _tree(10, seed=3)
    a, b = first.split(",")
    # .edges: line 1 is an edge like the others (one more edge, two more nodes)
    f = _write(tmp_path, "t.edges", "", [(a, b), *tree], sep=" ")
    e = read_edge_file(f)
    assert e.header is None and (e.us[0], e.vs[0]) == (a, b) and len(e.us) == 10 and e.lines[0] == 1
    assert read_hierarchy(f).n_nodes == 12
    # a .csv with weights: a numeric third field makes line 1 evidently data
    g = tmp_path / "w.csv"
    g.write_text(f"{a},{b},2\n" + "".join(f"{c},{p},1\n" for c, p in tree))
    e = read_edge_file(g)
    assert e.header is None and (e.us[0], e.vs[0]) == (a, b) and e.weights[0] == 2.0 and len(e.us) == 10
    # a .csv without weights: header or edge? still refused, not taken for a header
    c = _write(tmp_path, "c.csv", first, tree)
    with pytest.raises(EmbgeoError, match="is a header or an edge"):
        read_edge_file(c)
    one_line(run_cli(["hyperbolic", "combinatorial", c]), "is a header or an edge")


def test_a_numeric_third_field_keeps_a_spelled_header_line_data(tmp_path):
    # the weight rule is unchanged: a third field that is a number makes line 1 an edge, whatever its names
    g = tmp_path / "w.csv"
    g.write_text("child_id,parent_id,3\n" + "".join(f"{c},{p},1\n" for c, p in _tree(6)))
    assert not is_edge_header(["child_id", "parent_id", "3"])
    e = read_edge_file(g)
    assert e.header is None and (e.us[0], e.vs[0], e.weights[0]) == ("child_id", "parent_id", 3.0)
    assert is_edge_header(["child_id", "parent_id", "weight"]) and is_edge_header(["Child ID", "Parent ID", "Edge Weight"])
