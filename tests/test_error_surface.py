"""Messages name settings the way the caller wrote them: Python arguments (``k=500``) from the
library, options (``--k 500``) from the command line (:mod:`embgeo.errors`: ``param``, ``setting``,
``either``, ``use_surface``); the surface the CLI sets never outlives its command."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

import embgeo as eg
from embgeo.errors import EmbgeoError, either, param, setting, surface, use_surface

ROOT = Path(__file__).resolve().parents[1]
FLAG = re.compile(r"(?<![\w}-])--[a-z][a-z0-9-]*")
#: the scan also catches the command line's short options followed by a value or a stop (``-m twonn``, ``-k 10``)
OPTION = re.compile(r"(?<![\w}-])(?:--[a-z][a-z0-9-]*|-[kmofd](?=[ ,)]))")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("surface")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 5))
    np.save(d / "x.npy", X)
    np.save(d / "stack.npy", np.stack([X, X]))
    P = rng.standard_normal((8, 3))
    np.save(d / "d.npy", np.sqrt(((P[:, None] - P[None]) ** 2).sum(-1)))
    # the loaders and the joins (embgeo.io): embeddings with ids, labels files, a shuffled key column
    np.savez(d / "ids.npz", embeddings=X, ids=np.array([f"r{i}" for i in range(30)]))
    p = rng.permutation(30)
    (d / "lab_index.csv").write_text("index,score\n" + "".join(f"{i},{i / 2}\n" for i in p))
    (d / "lab_plain.csv").write_text("score\n" + "".join(f"{i / 2}\n" for i in range(30)))
    (d / "lab_id.csv").write_text("id,score\n" + "".join(f"k{i},{i / 2}\n" for i in range(30)))
    (d / "plain.csv").write_text(",".join(f"d{j}" for j in range(5)) + "\n"
                                 + "".join(",".join(f"{v:.6f}" for v in X[i]) + "\n" for i in range(30)))
    for name, order in (("kx.csv", range(30)), ("ky.csv", p)):
        (d / name).write_text("word," + ",".join(f"d{j}" for j in range(5)) + "\n"
                              + "".join(f"w{i}," + ",".join(f"{v:.6f}" for v in X[i]) + "\n" for i in order))
    return d


# --------------------------------------------------------------------------- the helpers


def test_param_setting_either_follow_the_surface():
    assert surface() == "python"
    assert (param("k"), param("n_folds", "--folds"), setting("k", 5), setting("method", "pca")) == ("k", "n_folds", "k=5", "method='pca'")
    assert either("python", "cli") == "python"
    with use_surface("cli"):
        assert surface() == "cli"
        assert (param("k"), param("gride_max"), param("n_folds", "--folds")) == ("--k", "--gride-max", "--folds")
        assert (setting("k", 5), setting("method", "pca"), setting("n_folds", 5, "--folds")) == ("--k 5", "--method pca", "--folds 5")
        assert either("python", "cli") == "cli"
        # a text value is quoted for the shell only where it needs it: the hint can be pasted as it is
        assert (setting("id_col", "Unnamed: 0"), setting("id_col", "it's")) == ("--id-col 'Unnamed: 0'", "--id-col 'it'\"'\"'s'")
        with use_surface("python"):  # nests
            assert param("k") == "k"
        assert param("k") == "--k"
    assert surface() == "python"
    with pytest.raises(ValueError):
        with use_surface("gui"):
            pass


def test_surface_is_reset_when_the_block_raises():
    with pytest.raises(EmbgeoError):
        with use_surface("cli"):
            raise EmbgeoError("boom")
    assert surface() == "python"


# --------------------------------------------------------------------------- (a) the same inputs, both surfaces

#: (Python call, command line, what Python says, what the command line says)
CASES = {
    "reembed k": (lambda d: eg.hyperbolic.reembed(np.load(d / "x.npy"), k=500),
                  lambda d: ["hyperbolic", "reembed", d / "x.npy", "--k", "500"],
                  ["got k=500", "give k between 1 and 29"], ["got --k 500", "give --k between 1 and 29"]),
    "hmds dim": (lambda d: eg.hyperbolic.hmds(np.load(d / "d.npy"), dim=50),
                 lambda d: ["hyperbolic", "hmds", d / "d.npy", "--dim", "50"],
                 ["dim=50 is not possible", "give dim between 1 and 7"], ["--dim 50 is not possible", "give --dim between 1 and 7"]),
    "delta nothing sampled": (lambda d: eg.hyperbolic.delta.gromov_delta(points=np.load(d / "x.npy"), method="sampled", n_subsets=0, n_quadruples=0),
                              lambda d: ["hyperbolic", "delta", d / "x.npy", "--mode", "sample", "--subsets", "0", "--quadruples", "0"],
                              ["give n_subsets or n_quadruples > 0"], ["give --subsets or --quadruples > 0"]),
    "id gride_max": (lambda d: eg.intrinsic_dimension(np.load(d / "x.npy"), methods="gride", gride_max=64),
                     lambda d: ["id", d / "x.npy", "-m", "gride", "--gride-max", "64"],
                     ["GRIDE up to gride_max", "lower gride_max / k", "methods=('twonn', 'pca')"],
                     ["GRIDE up to --gride-max", "lower --gride-max / --k", "-m twonn,pca"]),
    # the loaders: load(fmt=, id_col=) is --input-format / --id-col
    "load id_col on a .npy": (lambda d: eg.load(d / "x.npy", id_col="word"),
                              lambda d: ["info", d / "x.npy", "--id-col", "word"],
                              ["id_col='word' names a column", "drop id_col (id_col applies to CSV, TSV and parquet files)"],
                              ["--id-col 'word' names a column", "drop --id-col (--id-col applies to CSV, TSV and parquet files)"]),
    "load fmt against the file's bytes": (lambda d: eg.load(d / "x.npy", fmt="csv"),
                                          lambda d: ["info", d / "x.npy", "--input-format", "csv"],
                                          ["but fmt='csv' reads it as csv", "drop fmt='csv': the suffix .npy"],
                                          ["but --input-format csv reads it as csv", "drop --input-format csv: the suffix .npy"]),
    "load a 3-D array": (lambda d: eg.load(d / "stack.npy"),
                         lambda d: ["id", d / "stack.npy"],
                         ["read it with embgeo.load_layers"], ["read it with id, rank or compare with --layers, embgeo layers, or report --layers FILE"]),
    # the labels join: join_labels(id_col=, join=) is --labels-id-col / --join; the embeddings' ids come from load(id_col=)
    "labels index-like column": (lambda d: eg.io.join_labels(eg.load(d / "x.npy"), d / "lab_index.csv"),
                                 lambda d: ["info", d / "x.npy", "--labels", d / "lab_index.csv"],
                                 ["pass id_col='index' to join on it, or join='row-order'"],
                                 ["pass --labels-id-col 'index' to join on it, or --join row-order"]),
    "labels without an id column": (lambda d: eg.io.join_labels(eg.load(d / "ids.npz"), d / "lab_plain.csv"),
                                    lambda d: ["info", d / "ids.npz", "--labels", d / "lab_plain.csv"],
                                    ["(or name it with id_col), or pass join='row-order'"],
                                    ["(or name it with --labels-id-col), or pass --join row-order"]),
    "labels ids over embeddings without": (lambda d: eg.io.join_labels(eg.load(d / "x.npy"), d / "lab_id.csv"),
                                           lambda d: ["info", d / "x.npy", "--labels", d / "lab_id.csv"],
                                           ["give the embeddings their ids (an 'ids' array, by saving the matrix as .npz, .h5 or .pt with its ids "
                                            "beside it), or pass join='row-order'"],
                                           ["give the embeddings their ids (an 'ids' array, by saving the matrix as .npz, .h5 or .pt with its ids "
                                            "beside it), or pass --join row-order"]),
    "labels ids over CSV embeddings without": (lambda d: eg.io.join_labels(eg.load(d / "plain.csv"), d / "lab_id.csv"),
                                               lambda d: ["info", d / "plain.csv", "--labels", d / "lab_id.csv"],
                                               ["give the embeddings their ids (an id column, embgeo.load(..., id_col=COLUMN)), or pass join='row-order'"],
                                               ["give the embeddings their ids (an id column, --id-col COLUMN), or pass --join row-order"]),
    "labels id column not in the file": (lambda d: eg.io.join_labels(eg.load(d / "x.npy"), d / "lab_id.csv", id_col="key"),
                                         lambda d: ["info", d / "x.npy", "--labels", d / "lab_id.csv", "--labels-id-col", "key"],
                                         ["no id column 'key'", "pass id_col with a column of the labels file"],
                                         ["no id column 'key'", "pass --labels-id-col with a column of the labels file"]),
    "attribute not loaded": (lambda d: eg.load(d / "x.npy").attribute("score"),
                             lambda d: ["rank", d / "x.npy", "--attr", "score"],
                             ["no attribute column 'score'", "embgeo.io.join_labels(X, FILE)"], ["no attribute column 'score'", "pass --labels FILE"]),
    # the row join of paired inputs (compare, gap, pairs, per-layer files): join='row-order' is --join row-order
    "join ids on one side": (lambda d: eg.compare.compare(eg.load(d / "ids.npz"), eg.load(d / "x.npy")),
                             lambda d: ["compare", d / "ids.npz", d / "x.npy"],
                             ["(an 'ids' array saved beside the matrix in .npz, .h5 or .pt, or 'ids' metadata in safetensors), or pass join='row-order'"],
                             ["(an 'ids' array saved beside the matrix in .npz, .h5 or .pt, or 'ids' metadata in safetensors), or pass --join row-order"]),
    "join ids on one side, CSV": (lambda d: eg.compare.compare(eg.load(d / "ids.npz"), eg.load(d / "plain.csv")),
                                  lambda d: ["compare", d / "ids.npz", d / "plain.csv"],
                                  ["(an 'ids' array saved beside the matrix in .npz, .h5 or .pt, or 'ids' metadata in safetensors, or an id column "
                                   "of a CSV/TSV/parquet file, embgeo.load(..., id_col=COLUMN)), or pass join='row-order'"],
                                  ["(an 'ids' array saved beside the matrix in .npz, .h5 or .pt, or 'ids' metadata in safetensors, or an id column "
                                   "of a CSV/TSV/parquet file, --id-col COLUMN), or pass --join row-order"]),
    "join a shuffled key column": (lambda d: eg.compare.compare(eg.load(d / "kx.csv"), eg.load(d / "ky.csv")),
                                   lambda d: ["compare", d / "kx.csv", d / "ky.csv"],
                                   ["load each file with embgeo.load(..., id_col='word') to join the rows on it, or join='row-order'"],
                                   ["pass --id-col word to join the rows on it, or --join row-order"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_python_names_arguments(name, files):
    call, _, python_words, _ = CASES[name]
    with pytest.raises(EmbgeoError) as exc:
        call(files)
    text = str(exc.value)
    for w in python_words:
        assert w in text, text
    assert not FLAG.search(text), text  # no --option from Python


@pytest.mark.parametrize("name", list(CASES))
def test_command_line_names_options(name, files, run_cli):
    _, argv, python_words, cli_words = CASES[name]
    r = run_cli(argv(files))
    assert r.code == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for w in cli_words:
        assert w in r.stderr, r.stderr
    # (d) nothing leaks into the library called next in this process
    assert surface() == "python"
    with pytest.raises(EmbgeoError) as exc:
        CASES[name][0](files)
    assert not FLAG.search(str(exc.value)) and python_words[0] in str(exc.value)


def test_more_python_messages_name_arguments(files):
    X = np.load(files / "x.npy")
    for call, words in [
        (lambda: eg.rank_axes(X, np.arange(30.0), n_folds=1), ["n_folds must be", "n_folds=5"]),
        (lambda: eg.compare.prefix(X, 100), ["give dims below"]),
        (lambda: eg.cosine_diagnostics(X, k=40), ["k=40 needs more than 40 rows", "lower k"]),
        (lambda: eg.hyperbolic.combinatorial_embedding(np.array([[0, 1], [1, 2]]), eps=-1), ["eps=0.1"]),
        (lambda: eg.uniformity(np.r_[X, np.zeros((1, 5))]), ["clean_rows(X, drop_zero=True)", "normalize=False"]),
    ]:
        with pytest.raises(EmbgeoError) as exc:
            call()
        text = str(exc.value)
        assert all(w in text for w in words) and not FLAG.search(text), text


def test_graph_messages_name_the_orientation(tmp_path):
    """The hierarchy reader (read_hierarchy / hierarchy_from_edges: ``orientation=``; ``--orientation`` of
    ``hyperbolic train`` / ``eval``): its notes and errors name the setting as the caller writes it."""
    from embgeo.hyperbolic.graphs import check_hierarchy, hierarchy_from_edges, read_hierarchy

    g = hierarchy_from_edges([(0, 2), (1, 2), (2, 3), (3, 4), (1, 5)])  # u < v, two roots in one part: read as a graph
    note = next(m for m in check_hierarchy(g).messages if "read as an undirected graph" in m)
    assert "give orientation='child-parent' or 'parent-child' to read it as a DAG" in note and not FLAG.search(note), note
    with use_surface("cli"):
        note = next(m for m in check_hierarchy(g).messages if "read as an undirected graph" in m)
    assert "give --orientation child-parent or parent-child to read it as a DAG" in note, note
    (tmp_path / "cyc.edges").write_text("a b\nb c\nc a\n")
    for kw, words in [({}, "remove the cycle or give orientation='child-parent' or 'parent-child'"),
                      ({"orientation": "child-parent"}, "read it as an undirected graph (orientation='undirected')")]:
        with pytest.raises(EmbgeoError) as exc:
            read_hierarchy(tmp_path / "cyc.edges", closure=True, **kw)
        assert words in str(exc.value) and not FLAG.search(str(exc.value)), str(exc.value)


def test_io_messages_hold_no_option_from_python(files):
    """More loader messages, from Python only: the format a file is read as is ``fmt``."""
    (files / "x.xyz").write_text("1 2\n")
    (files / "npy_named.csv").write_bytes((files / "x.npy").read_bytes())
    for call, words in [
        (lambda: eg.load(files / "x.xyz"), ["unknown file type '.xyz'", "or pass fmt"]),
        (lambda: eg.load(files / "npy_named.csv"), ["its suffix .csv reads it as csv", "rename it to npy_named.npy, or pass fmt='npy'"]),
        (lambda: eg.load(files / "npy_named.csv", fmt="tsv"), ["fmt='tsv' reads it as tsv", "(pass fmt='npy')"]),
        (lambda: eg.load_layers([str(files / "ids.npz"), str(files / "x.npy")]), ["carry row ids", "join='row-order'"]),
    ]:
        with pytest.raises(EmbgeoError) as exc:
            call()
        text = str(exc.value)
        assert all(w in text for w in words) and not FLAG.search(text), text


# --------------------------------------------------------------------------- report: notes made at compute time


def test_report_reasons_follow_the_surface(files, tmp_path, run_cli):
    from embgeo.io import load
    from embgeo.report.build import build_report

    rep = build_report(load(str(files / "x.npy")), only=["gap", "layers", "reembed"], reembed_sample=0)
    reasons = " ".join(r for _, r in rep.left_out)
    assert "(pairs)" in reasons and "(layers)" in reasons and "reembed_sample=0" in reasons and not FLAG.search(reasons), reasons

    md = tmp_path / "r.md"
    r = run_cli(["report", files / "x.npy", "--md", md, "--reembed-sample", "0", "-f", "json"])
    assert r.code == 0, r.stderr
    left = {d["section"]: d["reason"] for d in json.loads(r.stdout)["results"]["left_out"]}
    assert "(--pairs)" in left["Modality gap"] and "(--layers)" in left["Curves per layer"]
    assert "--reembed-sample 0" in left["Is the space tree-like? (hyperbolic re-embedding)"]
    assert "(--layers)" in md.read_text()
    assert surface() == "python"


# --------------------------------------------------------------------------- (d) no leak


def test_surface_does_not_leak_from_the_app_called_directly(files):
    """Typer's CliRunner calls the app without ``main``: the root callback sets the surface, and resets it."""
    from typer.testing import CliRunner

    from embgeo.cli.app import build_app

    res = CliRunner().invoke(build_app(only="hyperbolic"), ["hyperbolic", "reembed", str(files / "x.npy"), "--k", "500"])
    assert isinstance(res.exception, EmbgeoError) and "--k 500" in str(res.exception), res.output
    assert surface() == "python"
    ok = CliRunner().invoke(build_app(only="info"), ["info", str(files / "x.npy"), "-f", "json"])
    assert ok.exit_code == 0, ok.output
    assert surface() == "python"


def test_surface_does_not_leak_after_a_successful_command(files, run_cli):
    assert run_cli(["info", files / "x.npy", "-f", "json"]).code == 0
    assert surface() == "python" and param("k") == "k"


# --------------------------------------------------------------------------- (c) no literal --option in library text

OUT_OF_SCOPE: tuple[str, ...] = ()  # every file of embgeo/ is scanned

#: (file, option) -> why that literal may stay. Keep each entry justified; a stale entry fails the test.
#: Otherwise every message, hint, note and verdict text names its settings through param/setting, or
#: words a command-line-only remedy as the ``cli`` side of ``either`` (which the scan skips).
ALLOWED: dict[tuple[str, str], str] = {
    ("embgeo/io/common.py", "-f"): "iconv's own -f (the source encoding) in the shell command that converts a file to UTF-8",
}

#: calls whose string arguments are option spellings by design: param/setting/offers take the flag as an
#: argument, and either's second argument (``cli``) is only ever shown on the command line
SPELLING_CALLS = {"param": None, "setting": None, "offers": None, "either": 1}


def _docstrings(tree) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            out.add(id(node.value))  # docstrings and bare string statements: documentation, not messages
    return out


def _skipped(tree) -> set[int]:
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if fn not in SPELLING_CALLS:
            continue
        pos = SPELLING_CALLS[fn]
        args = [a for i, a in enumerate(node.args) if pos is None or i == pos]
        args += [k.value for k in node.keywords if pos is None or k.arg == "cli"]
        for a in args:
            skip.update(id(sub) for sub in ast.walk(a))
    return skip


def _texts(tree):
    """(line, text) of every string literal; an f-string as one text with {} for its fields."""
    skip = _skipped(tree)
    inner = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inner.update(id(v) for v in node.values)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inner:
            yield node.lineno, node.value


def test_no_literal_option_in_library_text():
    found, used = [], set()
    for p in sorted((ROOT / "embgeo").rglob("*.py")):
        rel = p.relative_to(ROOT).as_posix()
        if rel.startswith(OUT_OF_SCOPE):
            continue
        for line, text in _texts(ast.parse(p.read_text(encoding="utf-8"))):
            for flag in OPTION.findall(text):
                if (rel, flag) in ALLOWED:
                    used.add((rel, flag))
                else:
                    found.append(f"{rel}:{line}: {flag} in {text[:90]!r}")
    assert not found, "name options through embgeo.errors.param/setting/either:\n" + "\n".join(found)
    assert not set(ALLOWED) - used, f"stale allow-list entries: {set(ALLOWED) - used}"


def test_the_scan_sees_what_it_should():
    src = '''
def f(k):
    """Docstrings may name --k."""
    raise EmbgeoError(f"got --k {k}", hint="lower " + param("k", "--k") + either("python", "--cli-only"))
x = either("--bad-python-side", "ok")
'''
    flags = sorted(f for _, t in _texts(ast.parse(src)) for f in OPTION.findall(t))
    assert flags == ["--bad-python-side", "--k"], flags
    assert OPTION.findall("pick with -m twonn, or -k 10 in {}-D") == ["-m", "-k"]


def test_no_surface_call_left_in_a_plain_string():
    """``"... {param('k')}"`` without the f prefix prints its braces: every such text is an f-string."""
    call = re.compile(r"\{(?:param|setting|either)\(")
    found = []
    for p in sorted((ROOT / "embgeo").rglob("*.py")):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        inner = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inner and call.search(node.value):
                found.append(f"{p.relative_to(ROOT).as_posix()}:{node.lineno}: {node.value[:80]!r}")
    assert not found, "a plain string holds a surface call (missing f prefix):\n" + "\n".join(found)
