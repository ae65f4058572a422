"""Row-paired inputs are joined by id whenever they carry ids (embgeo.io.join): ``gap``,
``uniformity --pairs``, ``report --pairs``, the per-layer files of ``id``/``compare --layers``,
a 3-D ``.npz`` stack with ids; and ``gap --direction`` refuses a zero vector."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.errors import EmbgeoError

GAP_FAST = ["--no-separability", "-f", "json"]


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    """X and a noisy copy Y (100 × 8) with ids i0…: aligned, shuffled, with other ids, repeated ids, and without ids."""
    d = tmp_path_factory.mktemp("pairs")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 8))
    Y = X + 0.3 * rng.normal(size=X.shape)
    ids = np.array([f"i{k}" for k in range(100)])
    p = rng.permutation(100)
    np.savez(d / "px_ids.npz", embeddings=X, ids=ids)
    np.savez(d / "py_ids.npz", embeddings=Y, ids=ids)
    np.savez(d / "py_ids_shuf.npz", embeddings=Y[p], ids=ids[p])
    np.savez(d / "py_ids_other.npz", embeddings=Y, ids=np.array([f"j{k}" for k in range(100)]))
    np.savez(d / "py_ids_dup.npz", embeddings=Y, ids=np.r_[ids[:-1], ids[:1]])
    np.save(d / "px.npy", X)
    np.save(d / "py.npy", Y)
    np.save(d / "dir_zero.npy", np.zeros(8))
    return d, X, Y, ids, p


@pytest.fixture(scope="module")
def layer_files(tmp_path_factory):
    """Two layers of 200 rows (the second a noisy linear map of the first) as per-layer files and 3-D stacks."""
    d = tmp_path_factory.mktemp("layers")
    rng = np.random.default_rng(1)
    n = 200
    A0 = rng.normal(size=(n, 10))
    A1 = A0 @ rng.normal(size=(10, 10)) * 0.5 + 0.05 * rng.normal(size=(n, 10))
    ids = np.array([f"r{k}" for k in range(n)])
    p = rng.permutation(n)
    np.savez(d / "A0.npz", embeddings=A0, ids=ids)
    np.savez(d / "A1.npz", embeddings=A1, ids=ids)
    np.savez(d / "A1shuf.npz", embeddings=A1[p], ids=ids[p])
    np.savez(d / "A1other.npz", embeddings=A1, ids=np.array([f"q{k}" for k in range(n)]))
    np.save(d / "A0.npy", A0)
    stack = np.stack([A0, A1])
    np.savez(d / "stack_ids.npz", embeddings=stack, ids=ids)
    np.savez(d / "stack_badids.npz", embeddings=stack, ids=ids[:-3])
    np.savez(d / "stack_dupids.npz", embeddings=stack, ids=np.r_[ids[:-1], ids[:1]])
    return d, A0, A1, ids, p


def _one_line_error(r, *needles):
    assert r.code == 2 and r.stdout == "", (r.code, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error:"), r.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# --------------------------------------------------------------------------- gap

def test_gap_joins_shuffled_ids_like_aligned_rows(run_cli, pairs):
    d, X, Y, ids, p = pairs
    a = run_cli(["gap", d / "px_ids.npz", d / "py_ids.npz", *GAP_FAST])
    b = run_cli(["gap", d / "px_ids.npz", d / "py_ids_shuf.npz", *GAP_FAST])
    assert a.code == 0 and b.code == 0, (a.stderr, b.stderr)
    ra, rb = json.loads(a.stdout)["results"], json.loads(b.stdout)["results"]
    Xh = X / np.linalg.norm(X, axis=1, keepdims=True)
    Yh = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    expected = float(np.einsum("ij,ij->i", Xh, Yh).mean())
    assert ra["matched_pair_cosine"] == pytest.approx(expected, abs=1e-12)
    assert rb["matched_pair_cosine"] == pytest.approx(ra["matched_pair_cosine"], abs=1e-12)
    assert rb["matched_pair_cosine"] > 0.9
    assert rb["alignment"]["alignment"] == pytest.approx(ra["alignment"]["alignment"], abs=1e-12)
    assert any("joined onto those of" in n and "by id" in n for n in json.loads(b.stdout)["notes"])


def test_gap_refuses_ids_that_cannot_pair(run_cli, pairs):
    d, *_ = pairs
    line = _one_line_error(run_cli(["gap", d / "px_ids.npz", d / "py_ids_other.npz", *GAP_FAST]),
                           "py_ids_other.npz", "the ids do not match", "100 of the 100 ids", "--join row-order")
    assert line.startswith("embgeo: error: ") and "py_ids_other.npz:" in line
    _one_line_error(run_cli(["gap", d / "px_ids.npz", d / "py_ids_dup.npz", *GAP_FAST]), "py_ids_dup.npz", "repeated ids", "--join row-order")
    _one_line_error(run_cli(["gap", d / "px_ids.npz", d / "py.npy", *GAP_FAST]), "py.npy", "carry row ids", "--join row-order")
    _one_line_error(run_cli(["gap", d / "px.npy", d / "py_ids.npz", *GAP_FAST]), "px.npy", "carry row ids", "--join row-order")


def test_gap_row_order_when_asked_or_without_ids(run_cli, pairs):
    d, *_ = pairs
    ref = json.loads(run_cli(["gap", d / "px_ids.npz", d / "py_ids.npz", *GAP_FAST]).stdout)["results"]["matched_pair_cosine"]
    r = run_cli(["gap", d / "px_ids.npz", d / "py_ids_other.npz", "--join", "row-order", *GAP_FAST])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["results"]["matched_pair_cosine"] == pytest.approx(ref, abs=1e-12)
    assert doc["settings"]["join"] == "row-order" and any("--join row-order" in n for n in doc["notes"])
    r = run_cli(["gap", d / "px_ids.npz", d / "py.npy", "--join", "row-order", *GAP_FAST])
    assert r.code == 0 and json.loads(r.stdout)["results"]["matched_pair_cosine"] == pytest.approx(ref, abs=1e-12)
    r = run_cli(["gap", d / "px.npy", d / "py.npy", *GAP_FAST])  # neither has ids: row order, no note about it
    doc = json.loads(r.stdout)
    assert r.code == 0 and doc["results"]["matched_pair_cosine"] == pytest.approx(ref, abs=1e-12)
    assert not any("by id" in n or "--join" in n for n in doc["notes"])


def test_gap_refuses_a_zero_direction(run_cli, pairs):
    d, *_ = pairs
    _one_line_error(run_cli(["gap", d / "px.npy", d / "py.npy", "--direction", d / "dir_zero.npy", *GAP_FAST]),
                    "dir_zero.npy", "zero vector")
    from embgeo.uniformity.gap import modality_gap

    X, Y = np.load(d / "px.npy"), np.load(d / "py.npy")
    with pytest.raises(EmbgeoError, match="zero vector"):
        modality_gap(X, Y, direction=np.zeros(8), separability=False)


def test_library_gap_and_alignment_join_sets_by_id(pairs):
    from embgeo.io import load
    from embgeo.uniformity.core import alignment
    from embgeo.uniformity.gap import modality_gap

    d, X, Y, ids, p = pairs
    sx, sy, sshuf, sother = (load(str(d / f)) for f in ("px_ids.npz", "py_ids.npz", "py_ids_shuf.npz", "py_ids_other.npz"))
    ref = modality_gap(X, Y, separability=False)  # arrays: row order
    g = modality_gap(sx, sshuf, separability=False)
    assert g.matched_cosines.mean == pytest.approx(ref.matched_cosines.mean, abs=1e-12)
    assert alignment(sx, sshuf).alignment == pytest.approx(alignment(X, Y).alignment, abs=1e-12)
    assert alignment(X, Y[p]).alignment > 1.0  # arrays carry no ids: the shuffled rows stay unpaired
    with pytest.raises(EmbgeoError, match="ids do not match"):
        modality_gap(sx, sother, separability=False)
    with pytest.raises(EmbgeoError, match="carry row ids"):
        alignment(sx, Y)
    assert alignment(sx, sother, join="row-order").alignment == pytest.approx(alignment(X, Y).alignment, abs=1e-12)


# --------------------------------------------------------------------------- uniformity --pairs

def test_uniformity_pairs_join_by_id(run_cli, pairs):
    d, *_ = pairs
    a = run_cli(["uniformity", d / "px_ids.npz", "--pairs", d / "py_ids.npz", "-f", "json"])
    b = run_cli(["uniformity", d / "px_ids.npz", "--pairs", d / "py_ids_shuf.npz", "-f", "json"])
    assert a.code == 0 and b.code == 0, (a.stderr, b.stderr)
    va = json.loads(a.stdout)["results"]["alignment"]["alignment"]
    vb = json.loads(b.stdout)["results"]["alignment"]["alignment"]
    assert vb == pytest.approx(va, abs=1e-12) and vb < 0.2
    _one_line_error(run_cli(["uniformity", d / "px_ids.npz", "--pairs", d / "py_ids_other.npz"]), "py_ids_other.npz", "--join row-order")
    _one_line_error(run_cli(["uniformity", d / "px_ids.npz", "--pairs", d / "py.npy"]), "py.npy", "--join row-order")
    r = run_cli(["uniformity", d / "px_ids.npz", "--pairs", d / "py_ids_other.npz", "--join", "row-order", "-f", "json"])
    assert r.code == 0 and json.loads(r.stdout)["results"]["alignment"]["alignment"] == pytest.approx(va, abs=1e-12)
    _one_line_error(run_cli(["uniformity", d / "px_ids.npz", "--join", "row-order"]), "--pairs")


# --------------------------------------------------------------------------- report --pairs

def test_report_pairs_join_by_id(run_cli, pairs, tmp_path):
    from embgeo.io import load
    from embgeo.report.build import build_report

    d, X, Y, ids, p = pairs
    _one_line_error(run_cli(["report", d / "px_ids.npz", "--pairs", d / "py_ids_other.npz", "--html", tmp_path / "r.html"]),
                    "py_ids_other.npz", "--join row-order")
    _one_line_error(run_cli(["report", d / "px_ids.npz", "--pairs", d / "py.npy", "--html", tmp_path / "r.html"]), "py.npy", "--join row-order")
    assert not (tmp_path / "r.html").exists()
    sx = load(str(d / "px_ids.npz"))
    rep_a = build_report(sx, pairs=(sx, load(str(d / "py_ids.npz"))), only=["gap"])
    rep_b = build_report(sx, pairs=(sx, load(str(d / "py_ids_shuf.npz"))), only=["gap"])
    ga = next(s for s in rep_a.sections if s.key == "gap")
    gb = next(s for s in rep_b.sections if s.key == "gap")
    assert ga.status != "error" and gb.status != "error"
    assert gb.data["matched_pair_cosine"] == pytest.approx(ga.data["matched_pair_cosine"], abs=1e-12)
    assert ga.data["matched_pair_cosine"] > 0.9
    with pytest.raises(EmbgeoError, match="ids do not match"):
        build_report(sx, pairs=(sx, load(str(d / "py_ids_other.npz"))), only=["gap"])


# --------------------------------------------------------------------------- layer stacks

def _overlap(run_cli, *files, extra=()):
    r = run_cli(["id", "--layers", *files, "-m", "twonn", "--bootstrap", "0", "-f", "json", *extra])
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)["results"]["layers"][0]["overlap_next"]


def test_id_layers_joins_per_layer_files_by_id(run_cli, layer_files):
    d, *_ = layer_files
    aligned = _overlap(run_cli, d / "A0.npz", d / "A1.npz")
    assert _overlap(run_cli, d / "A0.npz", d / "A1shuf.npz") == pytest.approx(aligned, abs=1e-12)
    assert aligned > 0.3  # k/(n-1) = 0.05 by chance
    assert _overlap(run_cli, d / "stack_ids.npz") == pytest.approx(aligned, abs=1e-12)
    _one_line_error(run_cli(["id", "--layers", d / "A0.npz", d / "A1other.npz", "-m", "twonn"]), "A1other.npz", "ids do not match", "--join row-order")
    _one_line_error(run_cli(["id", "--layers", d / "A0.npy", d / "A1.npz", "-m", "twonn"]), "A0.npy", "carry row ids", "--join row-order")
    assert _overlap(run_cli, d / "A0.npy", d / "A1.npz", extra=["--join", "row-order"]) == pytest.approx(aligned, abs=1e-12)
    assert _overlap(run_cli, d / "A0.npz", d / "A1other.npz", extra=["--join", "row-order"]) == pytest.approx(aligned, abs=1e-12)


def test_compare_layers_joins_by_id(run_cli, layer_files):
    d, *_ = layer_files
    fast = ["-m", "cka", "--bootstrap", "0", "--permutations", "0", "-f", "json"]

    def pair(*files):
        r = run_cli(["compare", "--layers", *files, *fast])
        assert r.code == 0, r.stderr
        return json.loads(r.stdout)["results"]["pairs"][0]

    a, b = pair(d / "A0.npz", d / "A1.npz"), pair(d / "A0.npz", d / "A1shuf.npz")
    assert a["join"] == b["join"] == "id"
    assert b["cka_linear"]["value"] == pytest.approx(a["cka_linear"]["value"], abs=1e-12)
    assert pair(d / "stack_ids.npz")["cka_linear"]["value"] == pytest.approx(a["cka_linear"]["value"], abs=1e-12)
    _one_line_error(run_cli(["compare", "--layers", d / "A0.npz", d / "A1other.npz", *fast]), "A1other.npz", "--join row-order")


def test_layer_stacks_keep_and_check_their_ids(run_cli, layer_files):
    from embgeo.io import EmbeddingSet, LayerStack, load_layers

    d, A0, A1, ids, p = layer_files
    st = load_layers([str(d / "stack_ids.npz")])
    assert st.ids is not None and list(st.ids) == list(ids)
    st = load_layers([str(d / "A0.npz"), str(d / "A1shuf.npz")])
    assert st.join == "id" and list(st.ids) == list(ids)
    np.testing.assert_array_equal(st.layers[1], A1)
    _one_line_error(run_cli(["id", "--layers", d / "stack_badids.npz", "-m", "twonn"]), "stack_badids.npz", "200 rows")
    _one_line_error(run_cli(["id", "--layers", d / "stack_dupids.npz", "-m", "twonn"]), "stack_dupids.npz", "repeat")
    with pytest.raises(EmbgeoError, match="ids have shape"):
        LayerStack.from_array(np.stack([A0, A1]), ids=ids[:5])
    sets = [EmbeddingSet(A0, ids=ids), EmbeddingSet(A1[p], ids=ids[p])]
    st = LayerStack.from_sets(sets)
    np.testing.assert_array_equal(st.layers[1], A1)
    with pytest.raises(EmbgeoError, match="carry row ids"):
        LayerStack.from_sets([EmbeddingSet(A0), EmbeddingSet(A1, ids=ids)])
    st = LayerStack.from_sets([EmbeddingSet(A0), EmbeddingSet(A1, ids=ids)], join="row-order")
    assert st.join == "row order" and list(st.ids) == list(ids)


def test_compare_keeps_its_join_through_the_shared_module():
    import embgeo.compare.align as align
    import embgeo.io.join as join

    assert align.align_rows is join.align_rows and align.Aligned is join.Aligned


def test_report_compare_follows_the_reports_join(rng):
    """`report --compare Y`: the second space is joined by the report's one --join rule (by id by
    default; row order only when asked), as `embgeo compare` joins it."""
    from embgeo.io import EmbeddingSet
    from embgeo.report.build import build_report

    X = rng.normal(size=(60, 5))
    ids = np.array([f"r{i}" for i in range(60)])
    p = rng.permutation(60)
    a = EmbeddingSet(X, ids=ids, provenance={"file": "a"})
    b = EmbeddingSet(2.0 * X[p], ids=ids[p], provenance={"file": "b"})

    def card(**kw):
        return next(s for s in build_report(a, only=["compare"], seed=0, **kw).sections if s.key == "compare")

    by_id = card(compare=b)
    assert by_id.data["join"] == "id" and by_id.data["cka_linear"]["value"] == pytest.approx(1.0, abs=1e-9)
    by_row = card(compare=b, join="row-order")
    assert by_row.data["join"] == "row order" and by_row.data["cka_linear"]["value"] < 0.5
    other = card(compare=EmbeddingSet(X, ids=np.array([f"q{i}" for i in range(60)]), provenance={"file": "c"}))
    assert other.status == "error" and "join='row-order'" in other.verdict


def test_id_col_goes_to_the_inputs_with_columns(tmp_path, rng, run_cli):
    """`compare X.csv Y.npz --id-col key`: the CSV takes its ids from column 'key', the .npz keeps its
    own; an --id-col that no input can use is refused."""
    X = rng.normal(size=(40, 4))
    ids = np.array([f"w{i}" for i in range(40)])
    p = rng.permutation(40)
    lines = ["key,a,b,c,d"] + [f"{i}," + ",".join(repr(float(v)) for v in row) for i, row in zip(ids, X)]
    (tmp_path / "x.csv").write_text("\n".join(lines) + "\n")
    np.savez(tmp_path / "y.npz", embeddings=3.0 * X[p], ids=ids[p])
    r = run_cli(["compare", tmp_path / "x.csv", tmp_path / "y.npz", "--id-col", "key", "-m", "cka", "-f", "json"])
    assert r.code == 0, r.stderr
    res = json.loads(r.stdout)["results"]
    assert res["join"] == "id" and res["cka_linear"]["value"] == pytest.approx(1.0, abs=1e-9)
    np.save(tmp_path / "z.npy", X)
    r = run_cli(["compare", tmp_path / "z.npy", tmp_path / "y.npz", "--id-col", "key"])
    assert r.code == 2 and "--id-col 'key' names a column" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_layers_uses_a_stacks_ids_and_joins_views_by_id(tmp_path, run_cli, layer_files):
    """`layers STACK.npz --labels` reads the ids of a 3-D .npz; a --views stack whose rows carry the
    same ids in another order gives the numbers of the aligned view."""
    d, A0, A1, ids, p = layer_files
    rng = np.random.default_rng(5)
    score = A0[:, 0] + 0.1 * rng.normal(size=A0.shape[0])
    q = rng.permutation(ids.size)  # the labels file in yet another order
    (tmp_path / "lab.csv").write_text("id,score\n" + "".join(f"{ids[i]},{float(score[i])!r}\n" for i in q))
    view = np.stack([A0, A1]) + 0.01 * rng.normal(size=(2, *A0.shape))
    np.savez(tmp_path / "view.npz", embeddings=view, ids=ids)
    np.savez(tmp_path / "view_shuf.npz", embeddings=view[:, p], ids=ids[p])

    def run(v):
        r = run_cli(["layers", d / "stack_ids.npz", "--labels", tmp_path / "lab.csv", "--attr", "score",
                     "--views", v, "-f", "json"])
        assert r.code == 0, r.stderr
        return json.loads(r.stdout)["results"]

    aligned, shuffled = run(tmp_path / "view.npz"), run(tmp_path / "view_shuf.npz")
    assert json.dumps(aligned, sort_keys=True) == json.dumps(shuffled, sort_keys=True)
    np.savez(tmp_path / "view_other.npz", embeddings=view, ids=np.array([f"z{k}" for k in range(ids.size)]))
    r = run_cli(["layers", d / "stack_ids.npz", "--views", tmp_path / "view_other.npz"])
    assert r.code == 2 and "the ids do not match" in r.stderr and "--join row-order" in r.stderr


def test_a_stacks_empty_id_is_refused_like_a_matrixs(tmp_path, run_cli, layer_files):
    d, A0, A1, ids, p = layer_files
    bad = ids.copy()
    bad[7] = ""
    np.savez(tmp_path / "stack_empty_id.npz", embeddings=np.stack([A0, A1]), ids=bad)
    r = run_cli(["id", tmp_path / "stack_empty_id.npz", "--layers", "-m", "twonn"])
    assert r.code == 2 and "row 7: the id is empty" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_pandas_inputs_pair_by_their_index():
    """A DataFrame's index is its row ids (the default RangeIndex is row order): a shuffled second
    frame pairs by index, as EmbeddingSets pair by id (it was paired by position: alignment 2.0, not 0.04)."""
    import pandas as pd

    from embgeo import alignment, compare
    from embgeo.errors import EmbgeoError

    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 12))
    Y = X + 0.2 * rng.normal(size=(150, 12))
    ids = [f"i{j}" for j in range(150)]
    p = rng.permutation(150)
    dX, dY = pd.DataFrame(X, index=ids), pd.DataFrame(Y, index=ids).iloc[p]
    assert alignment(dX, dY).alignment == pytest.approx(alignment(X, Y).alignment, rel=1e-12)
    assert compare(dX, dY, n_bootstrap=0, n_permutations=0, methods=["cka"]).get("cka_linear").value == pytest.approx(
        compare(X, Y, n_bootstrap=0, n_permutations=0, methods=["cka"]).get("cka_linear").value, rel=1e-12)
    with pytest.raises(EmbgeoError, match="carry row ids but"):
        alignment(dX, pd.DataFrame(Y))  # an index on one side only: which pairing?
    assert alignment(pd.DataFrame(X), pd.DataFrame(Y)).alignment == pytest.approx(alignment(X, Y).alignment, rel=1e-12)
