"""Never a silent guess when reading input (a robustness audit): each ambiguity is one line naming the
choice and the way out, and the legitimate files around it still read.

1. a container's matrix picked by its name beside any other matrix (2-D or more), whatever its shape;
   embgeo's own coordinates files (``embeddings`` with ``lorentz``/``table``) still read;
2. 64-bit integers beyond 2**53, which float64 would round;
3. a 1-D array of a container asked for as an attribute column;
4. ``:KEY`` naming ids or an id column, and an empty ``:KEY``;
5. a malformed ``.npy`` header (no internal repr in the message);
6. an edge-list header whose names are nodes below it;
7. a directed cycle in a hierarchy (``read_hierarchy(..., cycles="error")``).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import embgeo as eg
from embgeo.errors import EmbgeoError, use_options, use_surface
from tests._cli import one_line

X = np.random.default_rng(7).normal(size=(50, 8))
RIVAL = "which one? embgeo reads one matrix per input and does not pick one by its name or its shape"


def _err(fn) -> str:
    with pytest.raises(EmbgeoError) as exc:
        fn()
    return str(exc.value)


# --------------------------------------------------------------------------- 1. every other matrix is a rival
@pytest.mark.parametrize("arrays, listed, hint", [
    ({"x": X, "y": X[:, :4]}, "x 50×8, y 50×4", "FILE.npz:x or FILE.npz:y"),
    ({"embeddings": X, "pca": X[:, :2]}, "embeddings 50×8, pca 50×2", "FILE.npz:embeddings or FILE.npz:pca"),
    ({"embeddings": X, "hidden": np.stack([X, X, X])}, "embeddings 50×8, hidden 3×50×8", "FILE.npz:embeddings or FILE.npz:hidden"),
])
def test_npz_matrix_beside_another_of_any_shape_is_a_question(tmp_path, arrays, listed, hint):
    p = tmp_path / "m.npz"
    np.savez(p, **arrays)
    assert _err(lambda: eg.load(p)) == f"{p}: holds several matrices ({listed}); {RIVAL} (name it as {hint})"
    key = next(iter(arrays))
    assert eg.load(f"{p}:{key}").matrix.shape == arrays[key].shape  # naming one reads it


def test_a_stack_beside_the_matrix_is_a_question_for_layers_too(tmp_path, run_cli):
    p = tmp_path / "el.npz"
    np.savez(p, embeddings=X, hidden=np.stack([X, X, X]))
    line = one_line(run_cli(["id", p, "--layers", "-m", "twonn,pca"]))
    assert line == f"embgeo: error: {p}: holds several matrices (embeddings 50×8, hidden 3×50×8); {RIVAL} " \
                   "(name it as FILE.npz:embeddings or FILE.npz:hidden)"


@pytest.mark.parametrize("kind", ["pt", "h5", "safetensors"])
def test_other_containers_refuse_a_rival_of_another_shape(kind, tmp_path):
    p = tmp_path / f"m.{kind}"
    E, H = X.astype(np.float32), np.stack([X, X, X]).astype(np.float32)
    if kind == "pt":
        torch = pytest.importorskip("torch")
        torch.save({"embeddings": torch.from_numpy(E), "hidden": torch.from_numpy(H)}, p)
    elif kind == "h5":
        h5py = pytest.importorskip("h5py")
        with h5py.File(p, "w") as f:
            f["embeddings"], f["hidden"] = E, H
    else:
        st = pytest.importorskip("safetensors.numpy")
        st.save_file({"embeddings": E, "hidden": H}, str(p))
    pre = "/" if kind == "h5" else ""
    assert _err(lambda: eg.load(p)) == (f"{p}: holds several matrices ({pre}embeddings 50×8, {pre}hidden 3×50×8); {RIVAL} "
                                        f"(name it as FILE.{kind}:{pre}embeddings or FILE.{kind}:{pre}hidden)")


def test_one_dimensional_arrays_are_no_rivals(tmp_path):
    p = tmp_path / "ok.npz"
    ids = np.array([f"r{i}" for i in range(50)])
    np.savez(p, embeddings=X, ids=ids, labels=np.arange(50) % 3, score=np.linspace(0, 1, 50), c=np.array(2.0))
    es = eg.load(p)
    assert es.matrix.shape == (50, 8) and es.ids.tolist() == ids.tolist()
    assert es.provenance["key"] == "embeddings" and es.provenance["vectors"] == ["labels", "score"]


def test_embgeo_coordinates_files_keep_their_companions(tmp_path):
    coords = X[:, :3] / 10
    own = {"embeddings": coords, "ids": np.array([f"n{i}" for i in range(50)]), "curvature": np.array(1.0), "model": np.array("poincare")}
    p = tmp_path / "train.npz"  # hyperbolic train --model lorentz
    np.savez(p, **own, config=np.array("{}"), history=np.array("[]"), lorentz=np.c_[np.ones(50), coords])
    q = tmp_path / "reembed.npz"  # hyperbolic reembed --coords
    np.savez(q, **own, table=np.c_[coords, X[:, :2]], table_columns=np.array(["x1", "x2", "x3", "mds1", "mds2"]))
    for f in (p, q):
        es = eg.load(f)
        assert es.provenance["key"] == "embeddings" and np.array_equal(es.matrix, coords) and es.ids[0] == "n0"
    assert eg.load(f"{p}:lorentz").matrix.shape == (50, 4)
    r = tmp_path / "user.npz"  # the same arrays without embgeo's 0-D curvature and model: a question
    np.savez(r, embeddings=coords, table=np.c_[coords, X[:, :2]])
    assert _err(lambda: eg.load(r)).startswith(f"{r}: holds several matrices (embeddings 50×3, table 50×5); which one?")


def test_reembed_coordinates_read_back(tmp_path, run_cli):
    src = tmp_path / "emb.npy"
    np.save(src, X[:30, :5])
    out = tmp_path / "r.npz"
    res = run_cli(["hyperbolic", "reembed", src, "-d", "2", "--coords", out, "-q", "--seed", "0"])
    assert res.code == 0, res.stderr
    with np.load(out) as z:
        assert z["table"].ndim == 2  # a 2-D companion beside the embeddings
        coords = z["embeddings"]
    doc = json.loads(run_cli(["info", out, "-f", "json", "-q"]).stdout)
    assert doc["inputs"][0]["key"] == "embeddings" and doc["inputs"][0]["rows"] == 30 and doc["inputs"][0]["dims"] == 2
    assert np.array_equal(eg.load(out).matrix, coords)


# --------------------------------------------------------------------------- 2. integers beyond 2**53
def test_int64_beyond_two_to_the_53_is_refused(tmp_path, run_cli):
    big = np.full((50, 8), 2**62, dtype=np.int64) + np.arange(400, dtype=np.int64).reshape(50, 8)
    p = tmp_path / "bigint.npy"
    np.save(p, big)
    line = one_line(run_cli(["info", p]))
    assert line == (f"embgeo: error: {p}: the matrix holds int64 values as large as {2**62 + 399} (in magnitude), beyond 2**53 = "
                    "9007199254740992: embgeo computes in float64, which rounds integers that large (distinct values could become equal); "
                    "it never rounds them silently (convert it yourself if the rounding is intended (e.g. X.astype(np.float64)), "
                    "or store smaller integers)")
    neg = tmp_path / "neg.npy"
    np.save(neg, -big)
    assert f"as large as {-(2**62 + 399)} (in magnitude)" in _err(lambda: eg.load(neg))
    u = tmp_path / "u.npy"
    np.save(u, big.astype(np.uint64) * 2)  # beyond int64 too
    assert f"holds uint64 values as large as {2**63 + 798} (in magnitude)" in _err(lambda: eg.load(u))
    stack = tmp_path / "stack.npy"
    np.save(stack, np.stack([big, big]))
    assert _err(lambda: eg.load_layers([str(stack)])).startswith(f"{stack}: the stack holds int64 values as large as {2**62 + 399}")


def test_integers_up_to_two_to_the_53_read_exactly(tmp_path):
    ok = np.full((20, 3), 2**53, dtype=np.int64) - np.arange(60, dtype=np.int64).reshape(20, 3)
    p = tmp_path / "ok.npy"
    np.save(p, ok)
    es = eg.load(p)
    assert es.matrix.dtype == np.int64 and np.array_equal(np.asarray(es.matrix, dtype=np.float64).astype(np.int64), ok)
    small = tmp_path / "i32.npy"
    np.save(small, np.arange(60, dtype=np.int32).reshape(20, 3))
    assert eg.load(small).matrix.shape == (20, 3)


# --------------------------------------------------------------------------- 3. 1-D arrays asked for as attributes
def test_a_one_dimensional_array_is_named_when_asked_for_as_an_attribute(tmp_path, run_cli):
    p = tmp_path / "e_labels.npz"
    np.savez(p, X=X, labels=np.arange(50) % 3)
    line = one_line(run_cli(["rank", p, "--attr", "labels"]))
    assert line == (f"embgeo: error: {p}: no attribute column 'labels' (columns: none): the file holds a 1-D array 'labels', but embgeo "
                    "reads attribute columns only from CSV, TSV and parquet files and labels files, never from the arrays of a container "
                    "(write the array to a CSV with a header naming it (and an 'id' column if the matrix has ids, else in row order), "
                    "then pass --labels FILE)")
    msg = _err(lambda: eg.load(p).attribute("score"))
    assert "no attribute column 'score' (columns: none): the file holds 1-D arrays ('labels')" in msg
    assert "embgeo.io.join_labels(X, FILE)" in msg and "--" not in msg
    # the way out works: the array as a labels CSV, joined in row order
    lab = tmp_path / "labels.csv"
    lab.write_text("labels\n" + "".join(f"{v}\n" for v in np.arange(50) % 3))
    res = run_cli(["rank", p, "--attr", "labels", "--labels", lab, "-f", "json", "-q"])
    assert res.code == 0, res.stderr


# --------------------------------------------------------------------------- 4. :KEY
def test_a_key_naming_the_ids_says_so(tmp_path):
    torch = pytest.importorskip("torch")
    pt = tmp_path / "tdict.pt"
    torch.save({"embeddings": torch.from_numpy(X), "ids": [f"r{i}" for i in range(50)]}, pt)
    assert _err(lambda: eg.load(f"{pt}:ids")) == (f"{pt}: entry 'ids' is a list, not a tensor, so it is not a matrix (it holds the row ids, "
                                                  "which are read with the matrix) (name the matrix: FILE.pt:embeddings)")
    z = tmp_path / "z.npz"
    np.savez(z, embeddings=X, ids=np.array([f"r{i}" for i in range(50)]))
    assert _err(lambda: eg.load(f"{z}:ids")) == (f"{z}: 'ids' is a 1-D array of shape (50,), not a matrix (it holds the row ids, which are "
                                                 "read with the matrix) (name the matrix instead: FILE.npz:embeddings)")
    assert eg.load(pt).ids[3] == "r3" and eg.load(z).ids[3] == "r3"


def test_a_parquet_key_naming_the_id_column_says_so(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    p = tmp_path / "p_list.parquet"
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(50)], "emb": [list(r) for r in X]}), p)
    assert _err(lambda: eg.load(f"{p}:id")) == (f"{p}: column 'id' is the id column (the row ids, string), not the embeddings "
                                                f"(name the vector column instead (p_list.parquet:emb); its rows take their ids from 'id')")
    es = eg.load(f"{p}:emb")
    assert es.matrix.shape == (50, 8) and es.ids[0] == "r0"


def test_an_empty_key_is_refused(tmp_path, run_cli):
    p = tmp_path / "one.npz"
    np.savez(p, a=X)
    line = one_line(run_cli(["info", f"{p}:"]))
    assert line == f"embgeo: error: {p}: empty key after ':' (name the array after the ':' (one.npz:KEY), or drop the ':' to let embgeo pick the one matrix)"
    assert eg.load(p).matrix.shape == (50, 8) and eg.load(f"{p}:a").matrix.shape == (50, 8)


# --------------------------------------------------------------------------- 5. a malformed .npy header
def test_a_malformed_npy_header_shows_no_internal_repr(tmp_path, run_cli):
    p = tmp_path / "badhdr.npy"
    header = b"__import__('os')   \n"
    p.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
    line = one_line(run_cli(["info", p]))
    assert line == f"embgeo: error: {p}: the file has a malformed .npy header: it is not a valid .npy file (save it again with np.save)"
    assert "0x" not in line and "ast." not in line


# --------------------------------------------------------------------------- 6. edge-list header words that are nodes
def test_a_header_whose_names_are_nodes_is_refused(tmp_path, run_cli):
    from embgeo.hyperbolic.graphs import read_hierarchy

    chain = tmp_path / "chain.edges"
    chain.write_text("u v\nv w\nw x\nx y\n")
    line = one_line(run_cli(["hyperbolic", "hmds", chain, "-d", "1"]))
    assert line == (f"embgeo: error: {chain}: line 1 ('u v') could be an edge or a header: its names are edge-list column names, but 'v' is "
                    "also a node (line 2); embgeo does not guess (if line 1 is an edge, put a header line 'id1 id2' above it; if it is a "
                    "header, its names must not be nodes: rename the columns (or the nodes))")
    csv = tmp_path / "chain.csv"
    csv.write_text("source,target\nsource,b\nb,c\n")
    assert "line 1 ('source,target') could be an edge or a header" in _err(lambda: read_hierarchy(csv))
    assert "'source' is also a node (line 2)" in _err(lambda: read_hierarchy(csv))
    # the ways out: a header above the edge, or a header whose names are not nodes
    fixed = tmp_path / "fixed.edges"
    fixed.write_text("id1 id2\nu v\nv w\nw x\nx y\n")
    assert sorted(read_hierarchy(fixed).ids.tolist()) == ["u", "v", "w", "x", "y"]
    real = tmp_path / "real.edges"
    real.write_text("u v\na b\nb c\nc d\n")
    h = read_hierarchy(real)
    assert sorted(h.ids.tolist()) == ["a", "b", "c", "d"] and h.header == ("u", "v")
    closure = tmp_path / "closure.csv"
    closure.write_text("id1,id2,weight\ndog,animal,1\ncat,animal,1\n")
    assert read_hierarchy(closure).n_nodes == 3


# --------------------------------------------------------------------------- 7. a directed cycle in a hierarchy
def _cycle_file(tmp_path):
    p = tmp_path / "tree_cycle.edges"
    p.write_text("b a\nc a\nd b\ne b\na d\n")  # a tree listed child → parent, plus a → d closing a → d → b → a
    return p


def test_a_directed_cycle_is_refused_when_a_hierarchy_is_asked_for(tmp_path):
    from embgeo.hyperbolic.graphs import read_hierarchy, refuse_cycle

    p = _cycle_file(tmp_path)
    msg = _err(lambda: read_hierarchy(p, cycles="error"))
    assert msg == (f"{p}: the edges contain a directed cycle (b → a → d → b): a hierarchy has none, so the file is a hierarchy with a wrong "
                   "edge or an undirected graph; embgeo does not guess which (if it is a hierarchy, remove one edge of the cycle; if it is "
                   "an undirected graph, pass orientation='undirected' to read it as one)")
    h = read_hierarchy(p)  # the default reads it as an undirected graph, the cycle recorded
    assert not h.directed and len(h.cycle) == 4
    with use_surface("cli"), use_options({"--orientation"}):
        assert "pass --orientation undirected to read it as one" in _err(lambda: refuse_cycle(h))
    with use_surface("cli"), use_options({"--dim"}):
        assert _err(lambda: refuse_cycle(h)).endswith("(if it is a hierarchy, remove one edge of the cycle; "
                                                      "this command has no option to read it as an undirected graph)")
    u = read_hierarchy(p, orientation="undirected", cycles="error")  # the way out
    assert not u.directed and u.n_nodes == 5 and u.n_edges == 5


def test_acyclic_hierarchies_read_with_cycles_error(tmp_path):
    from embgeo.hyperbolic.graphs import read_hierarchy, refuse_cycle

    tree = tmp_path / "tree.edges"
    tree.write_text("b a\nc a\nd b\ne b\n")
    h = read_hierarchy(tree, cycles="error")
    assert h.directed and h.n_nodes == 5 and h.n_edges == 4
    refuse_cycle(h)  # nothing to refuse
    assert "cycles must be one of undirected, error, got 'ignore'" in _err(lambda: read_hierarchy(tree, cycles="ignore"))


def test_lorentz_training_coordinates_read_back(tmp_path, run_cli):
    pytest.importorskip("geoopt")
    tree = tmp_path / "tree.edges"
    tree.write_text("b a\nc a\nd b\ne b\n")
    out = tmp_path / "lz.npz"
    res = run_cli(["hyperbolic", "train", tree, "--coords", out, "--model", "lorentz", "--epochs", "2", "-d", "2", "-q", "--seed", "0"])
    assert res.code == 0, res.stderr
    with np.load(out) as z:
        assert z["lorentz"].shape == (5, 3) and z["embeddings"].shape == (5, 2)
    es = eg.load(out)
    assert es.provenance["key"] == "embeddings" and es.matrix.shape == (5, 2) and sorted(es.ids.tolist()) == list("abcde")
    res = run_cli(["hyperbolic", "eval", out, tree, "-f", "json", "-q"])
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["results"]["n_nodes"] == 5


def test_train_and_eval_refuse_a_cycle_and_read_it_as_a_graph_when_told(tmp_path, run_cli):
    p = _cycle_file(tmp_path)
    res = run_cli(["hyperbolic", "train", p, "--dim", "2", "--epochs", "2", "--coords", tmp_path / "c.npz"])
    assert res.code == 2 and res.stderr.count("\n") == 1 and "directed cycle (b → a → d → b)" in res.stderr
    assert "pass --orientation undirected to read it as one" in res.stderr and not (tmp_path / "c.npz").exists()
    ok = run_cli(["-q", "hyperbolic", "train", p, "--dim", "2", "--epochs", "2", "--orientation", "undirected",
                  "--coords", tmp_path / "c.npz", "-f", "json"])
    assert ok.code == 0, ok.stderr
    ev = run_cli(["hyperbolic", "eval", tmp_path / "c.npz", p])
    assert ev.code == 2 and "directed cycle (b → a → d → b)" in ev.stderr


def test_a_square_stack_is_a_question_too(tmp_path):
    # 30 layers of 30 rows, or 30 rows of 30 layers: both readings fit, so the layout is asked for
    from embgeo.io import load_layers

    arr = np.random.default_rng(0).normal(size=(30, 30, 8))
    np.save(tmp_path / "sq.npy", arr)
    with pytest.raises(EmbgeoError, match=r"holds 30 layers of 30 rows each: as many layers as rows, so both readings fit; "
                                          r"embgeo does not guess which axis holds the rows \(pass layout='rows-first' if its first axis is the rows"):
        load_layers(tmp_path / "sq.npy")
    first, rows = load_layers(tmp_path / "sq.npy", layout="layers-first"), load_layers(tmp_path / "sq.npy", layout="rows-first")
    assert np.array_equal(first.layers[2], arr[2]) and np.array_equal(rows.layers[2], arr[:, 2])
    np.save(tmp_path / "tall.npy", np.random.default_rng(1).normal(size=(3, 30, 8)))
    assert len(load_layers(tmp_path / "tall.npy").layers) == 3  # fewer layers than rows: layers-first, as before


def test_a_distance_matrix_is_not_read_as_points(tmp_path, run_cli):
    # square, symmetric, zero diagonal, no negative entry: every sign of distances; delta asks for --distances,
    # reembed (points only) points to hmds; the same rows as points still read
    P = np.random.default_rng(0).normal(size=(20, 3))
    D = np.sqrt(((P[:, None] - P[None]) ** 2).sum(-1))
    np.save(tmp_path / "D.npy", D)
    res = run_cli(["hyperbolic", "delta", tmp_path / "D.npy"])
    assert res.code == 2 and "this 20 × 20 matrix is symmetric with a zero diagonal, so it looks like a distance matrix" in res.stderr
    assert "(pass --distances to read it as distances, or --points if its rows are points)" in res.stderr
    as_points = run_cli(["-q", "hyperbolic", "delta", tmp_path / "D.npy", "--points", "-f", "json"])  # an adjacency-like reading, asked
    assert as_points.code == 0 and json.loads(as_points.stdout)["settings"]["points"] is True
    assert run_cli(["hyperbolic", "delta", tmp_path / "D.npy", "--points", "--distances"]).code == 2
    ok = run_cli(["-q", "hyperbolic", "delta", tmp_path / "D.npy", "--distances", "-f", "json"])
    assert ok.code == 0, ok.stderr
    res = run_cli(["hyperbolic", "reembed", tmp_path / "D.npy"])
    assert res.code == 2 and "embgeo hyperbolic hmds, which reads one; pass --points if its rows are points" in res.stderr
    assert run_cli(["-q", "hyperbolic", "reembed", tmp_path / "D.npy", "--points", "-f", "json"]).code == 0
    S = np.abs(np.random.default_rng(1).normal(size=(10, 10)))
    np.save(tmp_path / "P.npy", S + S.T)  # symmetric, but a non-zero diagonal: points
    assert run_cli(["-q", "hyperbolic", "delta", tmp_path / "P.npy", "-f", "json"]).code == 0


def test_as_matrix_never_rounds_integers_silently():
    from embgeo.validation import as_matrix

    X = (2**62 + np.arange(20)).reshape(10, 2).astype(np.int64)
    with pytest.raises(EmbgeoError, match=r"^X holds int64 values as large as 4611686018427387923 \(in magnitude\), beyond 2\*\*53 = 9007199254740992: "
                       r"embgeo computes in float64"):  # the readers' wording (one rule, one message)
        as_matrix(X)
    with pytest.raises(EmbgeoError, match=r"holds uint64 values as large as 18446744073709551615 \(in magnitude\)"):
        as_matrix(np.full((4, 2), 2**64 - 1, dtype=np.uint64))
    M = (2**30 + np.arange(20)).reshape(10, 2).astype(np.int64)  # exact in float64, not in float32
    out = as_matrix(M, rescale=None)
    assert out.dtype == np.float64 and np.unique(out).size == 20
    assert as_matrix(np.arange(20, dtype=np.int64).reshape(10, 2)).dtype == np.float32  # small integers: float32, as before


def test_text_integers_beyond_2_to_the_53_are_refused_as_in_binary_files(tmp_path):
    from embgeo.io import load

    big = 2**62
    (tmp_path / "big.csv").write_text("a,b\n" + "".join(f"{big + i},{i}\n" for i in range(20)))
    with pytest.raises(EmbgeoError, match=rf"the text writes the integer {big}, beyond 2\*\*53 = 9007199254740992"):
        load(tmp_path / "big.csv")
    (tmp_path / "one.csv").write_text("a,b\n1.5,2\n" + f"{big},3\n")  # one row by one (a cell that is not plain)
    with pytest.raises(EmbgeoError, match="beyond 2\\*\\*53"):
        load(tmp_path / "one.csv")
    (tmp_path / "ok.csv").write_text("a,b\n" + "".join(f"{2**53 - i},{i}.5\n" for i in range(5)))  # up to 2**53: exact
    assert load(tmp_path / "ok.csv").matrix[0, 0] == 2**53
    (tmp_path / "dec.csv").write_text("a,b\n" + "".join(f"{big + i}.0,{i}\n" for i in range(5)))  # decimals: usual rounding
    assert load(tmp_path / "dec.csv").matrix.dtype == np.float64
    (tmp_path / "v.txt").write_text(f"2 2\nw {big} 1\nv 1 2\n")
    with pytest.raises(EmbgeoError, match="beyond 2\\*\\*53"):
        load(tmp_path / "v.txt")
