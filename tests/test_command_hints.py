"""A hint names only the remedies the running command offers (:func:`embgeo.errors.offers`).

The command line records the options of the running command (``embgeo.cli.app``; :func:`embgeo.errors.use_options`):
the hints of all-zero and NaN/inf rows (:func:`embgeo.validation.zero_rows_hint`, :func:`~embgeo.validation.nonfinite_hint`)
name ``--drop-zero``, ``--raw``, ``--no-normalize``, ``--metric euclidean`` or ``--drop-nonfinite`` only where the command
has them, and "remove those rows from the file" where it has none; from Python they name the keyword arguments.
Positive numbers (``--t 0``) and output suffixes (``--write-direction d.csv``) name the option.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import embgeo as eg
from embgeo.errors import EmbgeoError, command_options, offers, surface, use_options, use_surface
from embgeo.validation import nonfinite_hint, zero_rows_hint
from tests._cli import one_line

FLAG = re.compile(r"(?<![\w}-])--[a-z][a-z0-9-]*")


def _leaves(command, path=()):
    """``{"hyperbolic train": {its options and the root's}}`` for every command of the tree."""
    out = {}
    own = {o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}
    if hasattr(command, "list_commands"):
        for name in command.list_commands(None):
            for sub, opts in _leaves(command.get_command(None, name), (*path, name)).items():
                out[sub] = opts | own
    else:
        out[" ".join(path)] = own
    return out


@pytest.fixture(scope="module")
def commands():
    import typer

    from embgeo.cli.app import app

    return _leaves(typer.main.get_command(app))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("hints")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8)).astype(np.float32)
    Z = X.copy()
    Z[4] = 0
    np.save(d / "zero200.npy", Z)
    N = X.copy()
    N[5, 2] = np.nan
    np.save(d / "nan.npy", N)
    np.save(d / "x.npy", X)
    np.save(d / "b.npy", X + rng.normal(scale=0.1, size=X.shape).astype(np.float32))
    (d / "L.csv").write_text("id,score\n" + "".join(f"{i},{i % 5}\n" for i in range(200)))
    return d


def _no_foreign_option(line: str, options: set[str]) -> None:
    foreign = [f for f in FLAG.findall(line) if f not in options]
    assert not foreign, (foreign, line)


RANK = ["--labels", "{d}/L.csv", "--attr", "score", "--join", "row-order"]

#: command (path in the tree), argv, what the line says, what it must not say
CASES = {
    "compare zero rows": ("compare", ["compare", "{d}/zero200.npy", "{d}/zero200.npy"],
                          ["all-zero row", "use euclidean distances (--metric euclidean)", "remove those rows from the file"],
                          ["--drop-zero", "--raw", "uniformity/gap"]),
    "rank zero rows": ("rank", ["rank", "{d}/zero200.npy", *RANK],
                       ["zero200.npy has 1 all-zero row", "drop those rows (--drop-zero)", "keep the norms (--no-normalize)"],
                       ["X has", "--raw", "remove those rows"]),
    "id cosine zero rows": ("id", ["id", "{d}/zero200.npy", "--metric", "cosine", "-m", "twonn"],
                            ["zero200.npy", "all-zero row", "use euclidean distances (--metric euclidean)", "remove those rows from the file"],
                            ["metric='euclidean'", "--drop-zero", "drop them"]),
    "compare NaN rows": ("compare", ["compare", "{d}/nan.npy", "{d}/x.npy"],
                         ["nan.npy has 1 row with NaN or inf (row 5)", "fix or remove those rows in the file"],
                         ["--drop-nonfinite", "where a command offers it"]),
    "uniformity zero rows": ("uniformity", ["uniformity", "{d}/zero200.npy"],
                             ["zero200.npy has 1 all-zero row", "drop those rows (--drop-zero)", "keep the norms (--raw)"],
                             ["uniformity/gap", "remove those rows"]),
    "gap zero rows": ("gap", ["gap", "{d}/zero200.npy", "{d}/b.npy"],
                      ["zero200.npy has 1 all-zero row", "drop those rows (--drop-zero)"], ["--raw", "uniformity/gap"]),
    "cosine zero rows": ("cosine", ["cosine", "{d}/zero200.npy"], ["all-zero row", "drop those rows (--drop-zero)"], ["--raw", "--metric"]),
    "uniformity NaN rows": ("uniformity", ["uniformity", "{d}/nan.npy"], ["NaN or inf", "fix or drop those rows (--drop-nonfinite)"],
                            ["where a command offers it"]),
    "uniformity --t 0": ("uniformity", ["uniformity", "{d}/x.npy", "--t", "0"], ["--t must be a positive finite number, got --t 0", "give --t"],
                         [" t must", "t="]),
    "gap --temperature 0": ("gap", ["gap", "{d}/x.npy", "{d}/b.npy", "--temperature", "0"],
                            ["--temperature must be a positive finite number, got --temperature 0"], ["temperature="]),
    "gap --write-direction": ("gap", ["gap", "{d}/x.npy", "{d}/b.npy", "--write-direction", "{d}/d.csv"],
                              ["d.csv: --write-direction writes .npy, not '.csv'"], ["this option"]),
    "rank --save-axis": ("rank", ["rank", "{d}/x.npy", *RANK, "--save-axis", "{d}/axis.txt"], ["axis.txt: --save-axis writes .npy, not '.txt'"],
                         ["this option"]),
    "cosine --write-processed": ("cosine", ["cosine", "{d}/x.npy", "--write-processed", "{d}/proc.xyz"],
                                 ["proc.xyz: --write-processed writes .npy or .npz or .csv or .tsv, not '.xyz'"], ["this option"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_line_names_only_the_commands_own_remedies(name, files, run_cli, commands):
    command, argv, words, absent = CASES[name]
    line = one_line(run_cli([a.format(d=files) for a in argv]), *words)
    for w in absent:
        assert w not in line, (w, line)
    _no_foreign_option(line, commands[command])
    assert surface() == "python" and command_options() is None  # nothing outlives the command


def test_project_zero_rows_name_its_drop_zero_and_metric(files, run_cli, commands):
    pytest.importorskip("umap")
    line = one_line(run_cli(["project", files / "zero200.npy", "--method", "umap", "--metric", "cosine", "--quiet"]),
                    "zero200.npy has 1 all-zero row", "drop those rows (--drop-zero)", "use euclidean distances (--metric euclidean)")
    assert "--raw" not in line and "remove those rows" not in line
    _no_foreign_option(line, commands["project"])


# --------------------------------------------------------------------------- Python: keyword arguments


def test_python_hints_name_the_keywords(files):
    Z, N = np.load(files / "zero200.npy"), np.load(files / "nan.npy")
    for call, words in [
        (lambda: eg.uniformity(Z), ["drop those rows (embgeo.validation.clean_rows(X, drop_zero=True))", "keep the norms (normalize=False)"]),
        (lambda: eg.uniformity(N), ["fix or drop those rows (embgeo.validation.clean_rows(X, drop_nonfinite=True))"]),
        (lambda: eg.compare.compare(Z, Z), ["clean_rows(X, drop_zero=True)", "use euclidean distances (metric='euclidean')"]),
        (lambda: eg.compare.compare(N, Z), ["clean_rows(X, drop_nonfinite=True)"]),
        (lambda: eg.rank_axes(Z, np.arange(200.0)), ["X has 1 all-zero row", "clean_rows(X, drop_zero=True)", "keep the norms (normalize=False)"]),
        (lambda: eg.rank_axes(eg.load(files / "zero200.npy"), np.arange(200.0)), ["zero200.npy has 1 all-zero row"]),  # the file, where known
        (lambda: eg.intrinsic_dimension(Z, methods="twonn", metric="cosine"), ["cosine distance is undefined", "metric='euclidean'"]),
        (lambda: eg.cosine_diagnostics(Z), ["clean_rows(X, drop_zero=True)"]),
        (lambda: eg.uniformity(Z, t=0), ["t must be a positive finite number, got t=0", "give t a finite number above 0"]),
        (lambda: eg.uniformity(Z, t=float("nan")), ["got t=nan"]),
    ]:
        with pytest.raises(EmbgeoError) as exc:
            call()
        text = str(exc.value)
        assert all(w in text for w in words) and not FLAG.search(text), text
        assert "remove those rows" not in text, text  # Python can always drop them


def test_python_project_names_metric(files):
    from embgeo.projection import project

    with pytest.raises(EmbgeoError) as exc:
        project(np.load(files / "zero200.npy"), method="umap", metric="cosine")
    assert "metric='euclidean'" in str(exc.value) and not FLAG.search(str(exc.value)), str(exc.value)


# --------------------------------------------------------------------------- every hint, every command


def test_every_option_a_hint_names_is_an_option_of_the_command(commands):
    assert {"compare", "rank", "uniformity", "gap", "hyperbolic train", "datasets list"} <= set(commands)
    for path, options in commands.items():
        with use_surface("cli"), use_options(options):
            hints = [nonfinite_hint(), zero_rows_hint(), zero_rows_hint(normalize="raw"), zero_rows_hint(normalize="no-normalize"),
                     zero_rows_hint(metric=True), zero_rows_hint(normalize="raw", metric=True)]
        for hint in hints:
            _no_foreign_option(f"{path}: {hint}", options)
        # each names a way out: the command's drop option, or the file
        assert ("--drop-zero" in hints[1]) == ("--drop-zero" in options) != ("remove those rows from the file" in hints[1]), (path, hints[1])
        assert ("--drop-nonfinite" in hints[0]) == ("--drop-nonfinite" in options) != ("in the file" in hints[0]), (path, hints[0])


def test_offers_follows_the_surface_and_the_options():
    assert surface() == "python" and command_options() is None
    assert offers("drop_zero") and offers("normalize", "raw")  # Python: the function that asks knows its keywords
    with use_surface("cli"):
        assert offers("drop_zero")  # options unknown: every remedy
        with use_options({"--drop-zero", "--metric"}):
            assert command_options() == {"--drop-zero", "--metric"}
            assert offers("drop_zero") and offers("metric") and offers("metric", "--metric")
            assert not offers("normalize", "raw") and not offers("drop_nonfinite")
            with use_options(lambda: {"--raw"}):  # a function asked when a hint is made
                assert offers("normalize", "raw") and not offers("drop_zero")
            with use_options(lambda: None):
                assert offers("drop_nonfinite")
        with use_surface("python"), use_options(set()):
            assert offers("drop_zero")
    assert command_options() is None


def test_a_nested_command_records_its_own_options(files, run_cli, monkeypatch):
    """``hyperbolic reembed``: its options and the root's (--seed), not those of ``hyperbolic train``; reset afterwards."""
    import embgeo.hyperbolic.reembed as R

    def spy(*args, **kwargs):
        raise EmbgeoError("options: " + " ".join(sorted(command_options())))

    monkeypatch.setattr(R, "reembed", spy)
    line = one_line(run_cli(["hyperbolic", "reembed", files / "x.npy"]), "--k", "--seed", "--format")
    assert "--checkpoint" not in line and "--drop-zero" not in line, line
    assert command_options() is None and surface() == "python"


def test_the_app_called_directly_resets_the_options(files):
    from typer.testing import CliRunner

    from embgeo.cli.app import build_app

    res = CliRunner().invoke(build_app(only="compare"), ["compare", str(files / "zero200.npy"), str(files / "zero200.npy")])
    assert isinstance(res.exception, EmbgeoError), res.output
    assert "--metric euclidean" in str(res.exception) and "--drop-zero" not in str(res.exception)
    assert command_options() is None and surface() == "python"
