"""One option vocabulary: a name means one thing in every command.

Every option name that two or more commands share is listed in :data:`VOCABULARY` with what
it means; each command's help for it must say so. A new command that reuses a name with
another meaning (or a new shared name nobody described) fails here. Renamed options keep
their old name hidden for scripts: it works, says on stderr what it is called now, and is an
error when given together with the new name.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict

import numpy as np
import pytest

#: shared option → a pattern its help must match in every command that has it
VOCABULARY = {
    "--alpha": r"^Exponent α of the alignment",
    "--approx": r"^Approximate kNN \(pynndescent",
    "--attr": r"^Numeric (attribute |label )?column",
    "--backend": r".",
    "--batch-size": r"(Texts|pairs) per (forward pass|step)",
    "--block": r"^Rows per tile of the exact",
    "--bootstrap": r"^Bootstrap re(plicates|samples)",
    "--c": r"^Curvature −c",
    "--class": r"^(Class|Label) column",
    "--color-by": r"^Label column that colours the map",
    "--confidence": r"^Level of the",
    "--coords": r"(write the coordinates|Write the embedding)",
    "--dedupe": r"^Drop exact duplicate rows",
    "--device": r"(cpu, cuda|cuda uses torch)",
    "--dim": r"[Dd]imension",
    "--drop-nonfinite": r"^Drop rows with NaN or inf",
    "--distortion-sources": r"^Estimate distortion from this many random source",
    "--drop-zero": r"^Drop all-zero rows",
    "--dtype": r"(precision|float64)",
    "--epochs": r"(epochs|Passes over)",
    "--fail-on": r"^Exit 1",
    "--folds": r"^Cross-validation folds",
    "--format": r"^Output format",
    "--gride-max": r"^Largest (neighbour order|GRIDE neighbour rank)",
    "--group": r"rows sharing a value come from one sample",
    "--id-col": r"^(Column holding row ids|Id column)",
    "--attr-col": r"^Column holding an attribute, not a dimension",
    "--input-format": r"^Force the input format",
    "--join": r"^Join .* by 'id'",
    "--k": r"([Nn]eighbours|nearest neighbours)",
    "--labels": r"attributes, joined by id",
    "--labels-id-col": r"^Id column of the --labels file",
    "--layers": r"layer stack",
    "--stack-layout": r"^How one 3-D stack file is laid out: layers-first \(L×n×d\) or rows-first",
    "--method": r"(Method\(s\)|methods|umap)",
    "--metric": r"(cosine|[Dd]istance)",
    "--mode": r"^exact: all (pairs|quadruples)",  # the computation: every pair (uniformity) or quadruple (delta), or a sample
    "--model": r"(poincare|Geometry)",
    "--n-pairs": r"^Random pairs",
    "--orientation": r".",
    "--out": r"(Write the (output|summary) to this file|Output file)",
    "--pairs": r"[Rr]ow-paired",
    "--plot": r".",
    "--points": r"^The rows are points, also when the matrix looks like a distance matrix",
    "--sample": r"seeded random sample",
    "--scale": r"[Ss]cale",
    "--scheduler": r"Dask",
    "--seed": r"[Rr]andom seed",
    "--t": r".",
    "--temperature": r"temperature τ",
    "--tokens": r"[Tt]oken clouds",
}

#: renamed options: (command argv head, old name, new name, a value)
RENAMED = [
    (["cosine"], "--classes", "--class"),
    (["gap"], "--class-col", "--class"),
    (["layers"], "--attribute", "--attr"),
    (["layers"], "--alpha", "--entropy-alpha"),
    (["hyperbolic", "eval"], "--metric", "--protocol"),
    (["hyperbolic", "eval"], "--max-sources", "--distortion-sources"),
    (["gap"], "--cv", "--folds"),
]


def _options():
    import typer.main

    from embgeo.cli.app import build_app

    seen = defaultdict(list)

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, path + [name])
            return
        for p in cmd.params:
            if getattr(p, "param_type_name", "") == "option":
                for name in p.opts:
                    seen[name].append((" ".join(path), p))
    walk(typer.main.get_command(build_app()), [])
    return seen


def test_every_shared_option_has_one_meaning():
    seen = _options()
    shared = {name: uses for name, uses in seen.items() if name.startswith("--") and len({c for c, p in uses if not p.hidden}) > 1}
    missing = sorted(set(shared) - set(VOCABULARY))
    assert not missing, f"options shared by several commands with no stated meaning: {missing}"
    for name, uses in shared.items():
        for command, p in uses:
            if p.hidden:
                continue
            assert re.search(VOCABULARY[name], p.help or ""), f"{command} {name}: {p.help!r} does not mean {VOCABULARY[name]!r}"
    # flags stay flags: a shared name never switches between an on/off flag and a value, except the
    # two that read a file where other commands read a flag (report --layers FILE, extract --tokens)
    for name, uses in shared.items():
        kinds = {bool(p.is_flag) for _, p in uses if not p.hidden}
        assert len(kinds) == 1 or name in ("--layers", "--tokens"), (name, [(c, p.is_flag) for c, p in uses])


def test_the_clashing_names_are_gone():
    """--classes is a file of class embeddings (gap) and nothing else; --alpha the alignment exponent;
    --metric a distance; the class column is --class and the numeric attribute --attr everywhere."""
    seen = _options()
    visible = {name: sorted(c for c, p in uses if not p.hidden) for name, uses in seen.items()}
    assert visible["--classes"] == ["gap"]
    assert visible["--alpha"] == ["gap", "uniformity"]
    assert set(visible["--class"]) == {"cosine", "gap", "layers", "report"}
    assert set(visible["--attr"]) == {"cosine", "layers", "rank", "report"}
    assert "--attribute" not in visible or not visible["--attribute"]
    assert "--class-col" not in visible or not visible["--class-col"]
    for command, p in seen["--metric"]:
        assert p.hidden or "nk" not in (p.help or ""), command
    assert {c for c, p in seen["-k"]} >= {"project", "id", "cosine", "compare", "rank", "layers", "hyperbolic reembed"}
    assert {c for c, p in seen["-d"]} >= {"datasets export", "hyperbolic train", "hyperbolic hmds"}
    boot = {c for c, p in seen["--bootstrap"] if not p.hidden}
    assert boot and boot <= {c for c, p in seen["--confidence"]}, "every command with bootstrap intervals sets their level"
    ranges = {(c, p.min, p.max) for c, p in seen["--confidence"] if not p.hidden}
    assert {(lo, hi) for _, lo, hi in ranges} == {(0.5, 0.999)}, ranges  # one range for one option
    for short, long in (("-k", "--k"), ("-d", "--dim"), ("-m", "--method"), ("-f", "--format"), ("-o", "--out")):
        assert all(long in p.opts for _, p in seen[short]), short  # a short name is always the same long option


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from embgeo.datasets import path

    t = tmp_path_factory.mktemp("vocab")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6))
    np.save(t / "x.npy", X)
    np.save(t / "y.npy", X + 0.3 * rng.normal(size=X.shape))
    np.save(t / "c.npy", rng.normal(size=(3, 6)))
    np.save(t / "stack.npy", np.stack([X, X @ rng.normal(size=(6, 6))]))
    (t / "lab.csv").write_text("cls,a\n" + "".join(f"{i % 3},{i + rng.normal():.3f}\n" for i in range(60)))
    np.save(t / "ball40.npy", rng.uniform(-0.3, 0.3, (40, 3)))  # smalltree has 40 nodes
    return t, path("smalltree")


def _argv(files, command, option):
    t, tree = files
    if command == ["cosine"]:
        return ["cosine", t / "x.npy", "--labels", t / "lab.csv", "--join", "row-order", "-m", "cosine", "--bootstrap", "0",
                "--k", "3"], {"--classes": "cls", "--class": "cls"}
    if command == ["gap"] and option == "--cv":
        return ["gap", t / "x.npy", t / "y.npy", "--n-pairs", "500"], {"--cv": "3", "--folds": "3"}
    if command == ["hyperbolic", "eval"] and option == "--max-sources":
        return ["hyperbolic", "eval", t / "ball40.npy", tree, "--protocol", "sala"], {"--max-sources": "5", "--distortion-sources": "5"}
    if command == ["gap"]:
        return ["gap", t / "x.npy", t / "y.npy", "--classes", t / "c.npy", "--labels", t / "lab.csv", "--join", "row-order",
                "--no-separability", "--n-pairs", "500"], {"--class-col": "cls", "--class": "cls"}
    if command == ["layers"] and option == "--attribute":
        return ["layers", t / "stack.npy", "--labels", t / "lab.csv", "--join", "row-order", "--folds", "2"], {"--attribute": "a", "--attr": "a"}
    if command == ["layers"]:
        return ["layers", t / "stack.npy"], {"--alpha": "2", "--entropy-alpha": "2"}
    return ["hyperbolic", "eval", t / "ball40.npy", tree], {"--metric": "all", "--protocol": "all"}


def _results(doc):
    drop = {"seconds", "cpu_seconds"}
    return json.loads(json.dumps(doc["results"]), object_hook=lambda d: {k: v for k, v in d.items() if k not in drop})


@pytest.mark.parametrize("command,old,new", RENAMED, ids=[o for _, o, _ in RENAMED])
def test_old_names_still_work_and_say_the_new_one(run_cli, files, command, old, new):
    base, values = _argv(files, command, old)
    with_new = run_cli(base + [new, values[new], "-f", "json"])
    with_old = run_cli(base + [old, values[old], "-f", "json"])
    assert with_new.code == 0 and with_old.code == 0, (with_new.stderr, with_old.stderr)
    assert f"note: {old} is now {new}" in with_old.stderr
    assert "is now" not in with_new.stderr
    a, b = json.loads(with_new.stdout), json.loads(with_old.stdout)
    assert _results(a) == _results(b)
    assert a["settings"] == b["settings"]
    # both names is an error whatever the values, the new one at its default included (--entropy-alpha 1, --protocol nk)
    defaults = {"--entropy-alpha": "1", "--protocol": "nk", "--folds": "5"}
    for value in {values[new], defaults.get(new, values[new])}:
        both = run_cli(base + [new, value, old, values[old]])
        assert both.code == 2 and "Traceback" not in both.stderr, (value, both.stderr)
        assert both.stderr.strip().count("\n") == 0 and f"{old} is the old name of {new}" in both.stderr


def test_defaults_are_real_values_the_help_shows():
    """No option describes its default in words (click shows those as "[default: (…)]"): the
    renamed options declare their real default, and whether a script gave them is read from the
    parameter source, so the help and the run agree on it."""
    described = sorted({f"{c} {name}" for name, uses in _options().items() for c, p in uses
                        if isinstance(p.show_default, str) and not p.hidden})
    assert not described, described
    seen = _options()
    defaults = {(c, name): p.default for name, uses in seen.items() for c, p in uses}
    assert defaults[("layers", "--entropy-alpha")] == 1.0
    assert getattr(defaults[("hyperbolic eval", "--protocol")], "value", None) == "nk"
    assert list(defaults[("compare", "--k")]) == ["10"]


def test_an_option_its_mode_does_not_read_is_refused(run_cli, tmp_path):
    """A value given to an option that the chosen mode never reads is refused in one line naming the
    mode, never ignored: layers' token, view and task options without --tokens/--views/--class."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "s.npy", rng.normal(size=(3, 40, 8)).astype("f4"))
    base = ["layers", str(tmp_path / "s.npy")]
    for extra, needle in ((["--gride-max", "64"], "--gride-max applies only with --tokens"),
                          (["--temperature", "0.2", "--dime-perms", "3"], "--temperature, --dime-perms apply only with --views or --group"),
                          (["--folds", "3"], "--folds applies only with --attr or --class"),
                          (["-k", "5"], "--k applies only with --class")):
        r = run_cli(base + extra)
        assert r.code == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1, (extra, r.stderr)
        assert needle in r.stderr, (extra, r.stderr)
    assert run_cli(base + ["--gride-max", "256", "-q", "-f", "csv"]).code == 2  # given at its default: still given
    np.save(tmp_path / "x.npy", rng.normal(size=(40, 8)))
    r = run_cli(["id", str(tmp_path / "x.npy"), "--overlap-k", "5"])
    assert r.code == 2 and "--overlap-k applies only with --layers" in r.stderr
    assert run_cli(base + ["-q", "-f", "csv"]).code == 0
