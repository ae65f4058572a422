"""``--sample`` is never silently ignored and is said in the JSON notes; ``inputs[].rows`` is the rows of
the file as read; ``compare`` records ``settings.device``; ``datasets list|info`` speak the output contract.

Commands covered: layers (X, --views, --group, --attr), uniformity, gap, compare, datasets; and the one --sample note
(``embgeo.validation.sample_note``) and draw (``seeded_rows``) of id (also --layers, --tokens), cosine, project, rank
(also --layers), uniformity, gap, compare, layers (also --group, --tokens), hyperbolic delta and hyperbolic reembed.
"""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from embgeo.cli.output import CONTRACT_KEYS, TIDY_COLUMNS
from embgeo.datasets.registry import path

N, SAMPLE, SEED = 300, 120, 3


def _rows(n, sample, seed):
    """The rows a seeded --sample draws (the rule of uniformity, gap and layers)."""
    return np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sample")
    rng = np.random.default_rng(0)
    Z = rng.uniform(size=(N, 5)) @ rng.normal(size=(5, 64))
    stack = np.stack([Z + s * rng.normal(size=Z.shape) for s in (0.01, 0.05, 0.1, 0.2)]).astype("f4")
    view = (stack + 0.01 * rng.normal(size=stack.shape)).astype("f4")
    np.save(d / "stack.npy", stack)
    np.save(d / "view.npy", view)
    rows = _rows(N, SAMPLE, SEED)
    np.save(d / "stack_s.npy", stack[:, rows])
    np.save(d / "view_s.npy", view[:, rows])
    attr = Z[:, 0] + 0.1 * rng.normal(size=N)  # a numeric attribute that the rows carry
    with open(d / "labels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["g", "a"])
        w.writerows([i // 3, repr(float(attr[i]))] for i in range(N))
    with open(d / "labels_s.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["a"])
        w.writerows([repr(float(attr[i]))] for i in rows)
    src = path("sentences").parent
    a = np.load(src / "paraphrases_a.npy")[:N].astype("f4")
    b = np.load(src / "paraphrases_b.npy")[:N].astype("f4")
    np.save(d / "pa.npy", a)
    np.save(d / "pb.npy", b)
    np.save(d / "pa_s.npy", a[rows])
    np.save(d / "pb_s.npy", b[rows])
    return d


def _json(run_cli, args):
    r = run_cli([*args, "-q", "-f", "json"])
    assert r.code == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def _sample_note(doc, sample=SAMPLE, n=N):
    hits = [x for x in doc["notes"] if f"seeded sample of {sample} of {n}" in x]
    assert len(hits) == 1, doc["notes"]
    return hits[0]


# --- layers --------------------------------------------------------------------------------

def test_layers_sample_equals_the_explicit_sample(run_cli, files):
    full = _json(run_cli, ["layers", files / "stack.npy", "--seed", SEED])
    got = _json(run_cli, ["layers", files / "stack.npy", "--sample", SAMPLE, "--seed", SEED])
    want = _json(run_cli, ["layers", files / "stack_s.npy", "--seed", SEED])
    assert got["results"] == want["results"]
    assert got["results"] != full["results"]  # the option is not ignored
    assert got["results"]["n_rows"] == SAMPLE and full["results"]["n_rows"] == N
    assert f"--seed {SEED}" in _sample_note(got)
    assert got["settings"]["sample"] == SAMPLE and got["settings"]["seed"] == SEED
    assert got["inputs"][0]["rows"] == N  # the file as read
    # another seed, other rows, other numbers
    other = _json(run_cli, ["layers", files / "stack.npy", "--sample", SAMPLE, "--seed", SEED + 1])
    assert other["results"] != got["results"]


def test_layers_sample_takes_the_same_rows_of_every_view_and_the_labels_follow(run_cli, files):
    got = _json(run_cli, ["layers", files / "stack.npy", "--views", files / "view.npy", "--labels", files / "labels.csv",
                          "--attr", "a", "--folds", 2, "--sample", SAMPLE, "--seed", SEED])
    want = _json(run_cli, ["layers", files / "stack_s.npy", "--views", files / "view_s.npy", "--labels", files / "labels_s.csv",
                           "--attr", "a", "--folds", 2, "--seed", SEED])
    assert got["results"] == want["results"]
    assert {"infonce", "lidar", "dime", "rank_spearman"} <= set(got["results"]["metrics"])
    assert "every layer and view" in _sample_note(got)
    assert [i["rows"] for i in got["inputs"]] == [N, N]


def test_layers_sample_with_groups_draws_whole_groups(run_cli, files):
    got = _json(run_cli, ["layers", files / "stack.npy", "--labels", files / "labels.csv", "--group", "g", "--sample", 40,
                          "--seed", SEED])
    groups = np.arange(N) // 3
    chosen = np.arange(100)[_rows(100, 40, SEED)]
    rows = np.flatnonzero(np.isin(groups, chosen))
    assert got["results"]["n_rows"] == rows.size == 120 and got["results"]["n_views"] == 3
    assert any("seeded sample of 40 of 100 groups" in x for x in got["notes"])


def test_layers_sample_not_below_the_rows_is_said(run_cli, files):
    full = _json(run_cli, ["layers", files / "stack.npy"])
    got = _json(run_cli, ["layers", files / "stack.npy", "--sample", 500])
    assert got["results"] == full["results"]
    assert any("--sample 500 is not below the 300 rows" in x for x in got["notes"])


# --- uniformity and gap ---------------------------------------------------------------------

def test_uniformity_sample_note_and_rows(run_cli, files):
    got = _json(run_cli, ["uniformity", files / "pa.npy", "--sample", SAMPLE, "--seed", SEED])
    want = _json(run_cli, ["uniformity", files / "pa_s.npy", "--seed", SEED])
    assert got["results"] == want["results"]
    assert got["results"]["n_rows"] == SAMPLE
    assert got["inputs"] == [{"path": str(files / "pa.npy"), "key": None, "rows": N, "dims": 384, "dtype": "float32"}]
    assert "estimate on the sample" in _sample_note(got)
    assert got["settings"]["device"] == "cpu"


def test_gap_sample_note_and_rows(run_cli, files):
    args = ["--no-separability", "--seed", SEED]
    got = _json(run_cli, ["gap", files / "pa.npy", files / "pb.npy", "--sample", SAMPLE, *args])
    want = _json(run_cli, ["gap", files / "pa_s.npy", files / "pb_s.npy", *args])
    assert got["results"] == want["results"]
    assert [i["rows"] for i in got["inputs"]] == [N, N]
    assert "pairs" in _sample_note(got)
    assert got["settings"]["device"] == "cpu"


def test_uniformity_drop_is_a_note(run_cli, files, tmp_path):
    X = np.load(files / "pa.npy")[:50].copy()
    X[[3, 7]] = 0.0
    np.save(tmp_path / "z.npy", X)
    got = _json(run_cli, ["uniformity", tmp_path / "z.npy", "--drop-zero"])
    assert got["inputs"][0]["rows"] == 50 and got["results"]["n_rows"] == 48
    assert any(x.startswith("dropped 2 rows (all-zero rows; first: 3, 7)") for x in got["notes"])


# --- compare --------------------------------------------------------------------------------

def test_compare_records_the_device(run_cli, files):
    args = ["compare", files / "pa.npy", files / "pb.npy", "-m", "cka", "--bootstrap", "0", "--permutations", "0"]
    plain = _json(run_cli, args)
    assert plain["settings"]["device"] == "cpu"
    assert not any("--device" in x for x in plain["notes"])
    r = run_cli(["--device", "cuda", *args, "-f", "json"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["settings"]["device"] == "cpu"
    assert [x for x in doc["notes"] if x.startswith("--device cuda")]  # no GPU, or a GPU that compare does not use
    try:
        import torch

        gpu = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        gpu = False
    if not gpu:
        assert "no CUDA device is available here; running on the CPU" in r.stderr


def test_compare_sample_not_below_the_rows_is_said(run_cli, files):
    doc = _json(run_cli, ["compare", files / "pa.npy", files / "pb.npy", "-m", "cka", "--bootstrap", "0", "--permutations", "0",
                          "--sample", 1000])
    assert any("--sample 1000 is not below the 300 rows" in x for x in doc["notes"])
    assert [i["rows"] for i in doc["inputs"]] == [N, N]


# --- datasets -------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["datasets", "list"], ["datasets", "info", "sphere"], ["datasets", "info", "mammals"]])
def test_datasets_json_has_the_contract_keys(run_cli, args):
    doc = _json(run_cli, args)
    assert list(doc) == CONTRACT_KEYS
    assert doc["command"] == " ".join(args[:2]) and doc["schema"] == f"embgeo.{'.'.join(args[:2])}/1"
    assert doc["inputs"] == [] and doc["verdict"]["status"] == "info" and isinstance(doc["notes"], list)
    if args[1] == "list":
        kinds = {d["name"]: d["kind"] for d in doc["results"]["datasets"]}
        assert doc["results"]["n_datasets"] == len(kinds) and kinds["wordnet"] == "graph" and kinds["mammals"] == "hierarchy"
    else:
        assert doc["settings"] == {"name": args[2]} and doc["results"]["name"] == args[2]


@pytest.mark.parametrize("args", [["datasets", "list"], ["datasets", "info", "sphere"], ["datasets", "info", "cube"],
                                  ["datasets", "info", "wordnet"]])
def test_datasets_csv_is_tidy_without_python_reprs(run_cli, args):
    r = run_cli([*args, "-q", "-f", "csv"])
    assert r.code == 0 and r.stderr == ""
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0][:6] == TIDY_COLUMNS
    cells = [c for row in rows[1:] for c in row]
    assert not any(c.startswith(("{", "[")) or "{'" in c for c in cells)
    got = {row[0]: row[1] for row in rows[1:]}
    if args[-1] == "sphere":
        assert got["defaults.n"] == "2000" and got["defaults.d"] == "384" and got["kind"] == "synthetic"
    if args[-1] == "wordnet":
        assert got["kind"] == "graph" and got["nodes"] == "74374" and got["files.0"].endswith("wordnet.edges")


def test_datasets_doc_names_wordnet_a_graph():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "datasets.md").read_text()
    row = next(line for line in page.splitlines() if line.startswith("| `wordnet` |"))
    assert row.split("|")[2].strip() == "graph"


def test_inputs_rows_is_the_files_count_in_every_command(tmp_path, run_cli):
    """inputs[].rows is the file's row count as read, also after --sample and --dedupe (docs/output.md);
    the rows measured are results.n_rows (or the notes)."""
    import json

    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 6))
    X[5] = X[4]  # one duplicate row for --dedupe
    np.save(tmp_path / "x.npy", X)
    for argv in (["id", "--sample", "60", "-m", "twonn"], ["id", "--dedupe", "-m", "twonn"], ["cosine", "--sample", "60"],
                 ["uniformity", "--sample", "60"], ["hyperbolic", "delta", "--sample", "60"]):
        cmd = argv[:2] if argv[0] == "hyperbolic" else argv[:1]
        r = run_cli([*cmd, tmp_path / "x.npy", *argv[len(cmd):], "-f", "json"])
        assert r.code == 0, (argv, r.stderr)
        assert json.loads(r.stdout)["inputs"][0]["rows"] == 120, argv


# --- one --sample note, one draw, in every command --------------------------------------------
#
# Every command with --sample writes embgeo.validation.sample_note (one of two templates) exactly once in
# its JSON notes, and draws embgeo.validation.seeded_rows: the sampled run equals the run on a file that
# holds only those rows (or, where a command keeps values of every row, the part computed on the sample).

M, S, SEED_S = 80, 50, 2  # rows, --sample, --seed of the cases below (small: the whole set runs in seconds)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from embgeo.extract.store import TokenClouds, write_tokens
    from embgeo.validation import seeded_rows

    d = tmp_path_factory.mktemp("sample_note")
    rng = np.random.default_rng(1)
    X = (rng.normal(size=(M, 3)) @ rng.normal(size=(3, 8)) + 0.05 * rng.normal(size=(M, 8))).astype("f8")
    Y = (X @ rng.normal(size=(8, 8)) + 0.1 * rng.normal(size=(M, 8))).astype("f8")
    stack = np.stack([X, X + 0.1 * rng.normal(size=X.shape)])
    attr = X[:, 0] + 0.1 * rng.normal(size=M)
    rows = seeded_rows(M, S, SEED_S)
    for name, A in (("x", X), ("y", Y), ("st", stack)):
        np.save(d / f"{name}.npy", A)
        np.save(d / f"{name}_s.npy", A[rows] if A.ndim == 2 else A[:, rows])
    grows = np.flatnonzero(np.isin(np.arange(M) // 2, seeded_rows(M // 2, 20, SEED_S)))  # --group g --sample 20: 20 of the 40 pairs
    np.save(d / "st_g.npy", stack[:, grows])
    for name, r in (("lab", np.arange(M)), ("lab_s", rows), ("lab_g", grows)):
        with open(d / f"{name}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["a", "g"])
            w.writerows([repr(float(attr[i])), i // 2] for i in r)
    texts = TokenClouds.from_lists([rng.normal(size=(2, int(t), 6)) for t in rng.integers(12, 20, size=8)], ids=[f"t{i}" for i in range(8)])
    write_tokens(d / "tok.h5", texts)
    write_tokens(d / "tok_s.h5", texts.take(seeded_rows(8, 5, SEED_S)))
    return d


def _same(*keys):
    """Check: the sampled run's ``results[key]`` for each key (every result but the time taken, when no key
    is given) equal the pre-sampled run's."""
    def check(got, want, _rows):
        a, b = got["results"], want["results"]
        for key in keys or sorted((set(a) | set(b)) - {"seconds"}):
            assert a[key] == b[key], key
    return check


def _same_layers(key):
    """Check: every layer's ``key`` of the sampled run equals the pre-sampled run's."""
    def check(got, want, _rows):
        a, b = got["results"]["layers"], want["results"]["layers"]
        assert len(a) == len(b) and all(x[key] == y[key] for x, y in zip(a, b))
    return check


def _mapped_rows(got, _want, rows):
    assert got["results"]["coordinates"]["row"] == rows.tolist()


#: name → (argv on the files of suffix "" or "_s" (the pre-sampled rows), what --sample draws from (n, unit), the check of the
#: sampled run against the pre-sampled run (None: the note only)[, sample_note's values= where only some values are sampled])
SAMPLE_CASES = {
    "id": (lambda d, s: ["id", d / f"x{s}.npy", "-m", "twonn,pca", "--bootstrap", "0"], (M, "rows"), _same("twonn")),
    "id --layers": (lambda d, s: ["id", d / f"st{s}.npy", "--layers", "-m", "twonn", "--bootstrap", "0"], (M, "rows"), _same_layers("twonn")),
    "id --tokens": (lambda d, s: ["id", "--tokens", d / f"tok{s}.h5"], (8, "texts"), _same()),
    "cosine": (lambda d, s: ["cosine", d / f"x{s}.npy", "--k", "5"], (M, "rows"),
               _same("neighbour_rows", "norm_cv", "hubness_skewness", "robin_hood", "k_occurrence_max", "postprocess_jaccard"),
               {"values": "the neighbour diagnostics (norms, hubness, rescaling, post-processing)"}),
    "project": (lambda d, s: ["project", d / f"x{s}.npy", "--method", "pca"], (M, "rows"), _mapped_rows),
    "rank": (lambda d, s: ["rank", d / f"x{s}.npy", "--labels", d / f"lab{s}.csv", "--attr", "a", "-m", "regression", "--folds", "3",
                           "--bootstrap", "0", "--shuffles", "5", "--random-directions", "5", "--no-mlp"], (M, "rows"), _same()),
    "rank --layers": (lambda d, s: ["rank", d / f"st{s}.npy", "--layers", "--labels", d / f"lab{s}.csv", "--attr", "a", "--folds", "3",
                                    "--bootstrap", "0", "--shuffles", "5", "--random-directions", "5", "--no-mlp"], (M, "rows"), _same()),
    "uniformity": (lambda d, s: ["uniformity", d / f"x{s}.npy"], (M, "rows"), _same()),
    "gap": (lambda d, s: ["gap", d / f"x{s}.npy", d / f"y{s}.npy", "--no-separability"], (M, "pairs"), _same()),
    "compare": (lambda d, s: ["compare", d / f"x{s}.npy", d / f"y{s}.npy", "-m", "cka,mutual_knn", "--bootstrap", "0", "--permutations", "0"],
                (M, "rows"), _same("n_rows", "cka_linear", "mutual_knn")),
    "layers": (lambda d, s: ["layers", d / f"st{s}.npy"], (M, "rows"), _same()),
    "layers --group": (lambda d, s: ["layers", d / f"st{s and '_g'}.npy", "--labels", d / f"lab{s and '_g'}.csv", "--group", "g"],
                       (M // 2, "groups"), _same()),
    "layers --tokens": (lambda d, s: ["layers", "--tokens", d / f"tok{s}.h5", "--gride-max", "8"], (8, "texts"), _same()),
    "hyperbolic delta": (lambda d, s: ["hyperbolic", "delta", d / f"x{s}.npy"], (M, "rows"), _same()),
    "hyperbolic reembed": (lambda d, s: ["hyperbolic", "reembed", d / f"x{s}.npy", "--k", "5"], (M, "rows"), _same()),
}


def _the_sample_note(doc, want):
    """The one --sample note of ``doc``: the template ``want`` (a sampled note may add its command's caveat after '; ')."""
    hits = [x for x in doc["notes"] if x == want or (want.startswith("a seeded sample") and x.startswith(want + "; "))]
    assert len(hits) == 1, (want, doc["notes"])
    others = [x for x in doc["notes"] if x not in hits and ("--sample" in x or "no sampling" in x)]
    assert not others, others  # no second note about --sample
    return hits[0]


@pytest.mark.parametrize("name", list(SAMPLE_CASES))
def test_every_command_says_its_sample_in_one_note_and_draws_the_shared_rows(name, small, run_cli):
    from embgeo.errors import use_surface
    from embgeo.validation import sample_note as library_note, seeded_rows

    def sample_note(*a, **kw):  # the note as the command line words it (--sample, --seed)
        with use_surface("cli"):
            return library_note(*a, **kw)

    argv, (n, unit), check, *kw = SAMPLE_CASES[name]
    s = 5 if unit == "texts" else (20 if unit == "groups" else S)
    got = _json(run_cli, [*argv(small, ""), "--sample", s, "--seed", SEED_S])
    _the_sample_note(got, sample_note(s, n, SEED_S, unit=unit, **(kw[0] if kw else {})))
    assert got["settings"]["sample"] == s
    if check is not None:
        want = _json(run_cli, [*argv(small, "_s"), "--seed", SEED_S])
        check(got, want, seeded_rows(n, s, SEED_S))
    above = _json(run_cli, [*argv(small, ""), "--sample", 1000, "--seed", SEED_S])
    note = _the_sample_note(above, sample_note(1000, n, SEED_S, unit=unit))
    assert note == f"--sample 1000 is not below the {n} {unit}: every one of them was used (no sampling)"


def test_sample_note_has_two_templates():
    from embgeo.errors import use_surface
    from embgeo.validation import sample_note

    assert sample_note(None, 50, 0) is None
    # the Python surface names the arguments
    assert sample_note(40, 50, 0) == "a seeded sample of 40 of 50 rows (sample=40, seed=0): every value is an estimate on the sample"
    assert sample_note(50, 50, 0) == "sample=50 is not below the 50 rows: every one of them was used (no sampling)"
    assert sample_note(40, 50, 0, name="reembed_sample").startswith("a seeded sample of 40 of 50 rows (reembed_sample=40, seed=0)")
    with use_surface("cli"):
        _cli_templates(sample_note)
    assert sample_note(40, 50, 0).startswith("a seeded sample of 40 of 50 rows (sample=40")  # the surface is reset


def _cli_templates(sample_note):
    assert sample_note(40, 50, 0, name="reembed_sample").startswith("a seeded sample of 40 of 50 rows (--reembed-sample 40, --seed 0)")
    assert sample_note(40, 50, 0) == "a seeded sample of 40 of 50 rows (--sample 40, --seed 0): every value is an estimate on the sample"
    assert sample_note(40, 50, 3, unit="pairs", values="X", detail="why") == \
        "a seeded sample of 40 of 50 pairs (--sample 40, --seed 3): every value of X is an estimate on the sample; why"
    assert sample_note(50, 50, 0, detail="why") == "--sample 50 is not below the 50 rows: every one of them was used (no sampling)"
    assert sample_note(60, 50, 1, unit="texts") == "--sample 60 is not below the 50 texts: every one of them was used (no sampling)"
