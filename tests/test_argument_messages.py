"""The argument checks of :mod:`embgeo.arguments` name the argument as the caller wrote it: the keyword
(``n_bootstrap``, ``confidence=0.95``) from Python, the command line's option (``--bootstrap``,
``--confidence 0.95``) while a command runs, with the option of the command that reaches the check
where it differs from the keyword (``flag=``). The confidence/level checks of the intrinsic and the
uniformity families are :func:`embgeo.arguments.check_level`."""
from __future__ import annotations

import re

import numpy as np
import pytest
from typer.testing import CliRunner

import embgeo as eg
from embgeo.arguments import check_attribute, check_count, check_level, check_number, check_row_indices, method_list
from embgeo.errors import EmbgeoError, surface, use_surface

#: a command-line option in a text (as the scan of tests/test_error_surface.py reads it)
FLAG = re.compile(r"(?<![\w}-])--[a-z][a-z0-9-]*")


def _message(call) -> str:
    with pytest.raises(EmbgeoError) as exc:
        call()
    return str(exc.value)


def _both(call) -> tuple[str, str]:
    """The message of ``call`` from Python and on the command line's surface."""
    python = _message(call)
    with use_surface("cli"):
        cli = _message(call)
    assert surface() == "python"
    return python, cli


# --------------------------------------------------------------------------- the checkers, called directly


def test_check_count_names_the_keyword_or_the_option():
    py, cli = _both(lambda: check_count("n_bootstrap", -1, minimum=0, flag="bootstrap"))
    assert py == "n_bootstrap must be an integer ≥ 0, got -1 (pass n_bootstrap ≥ 0)"
    assert cli == "--bootstrap must be an integer ≥ 0, got -1 (pass --bootstrap ≥ 0)"
    py, cli = _both(lambda: check_count("n_bootstrap", 2.5, minimum=0, flag="--bootstrap"))  # the leading -- is optional
    assert py == "n_bootstrap must be an integer ≥ 0, got 2.5 (a fraction) (pass a whole number, e.g. n_bootstrap=1)"
    assert cli == "--bootstrap must be an integer ≥ 0, got 2.5 (a fraction) (pass a whole number, e.g. --bootstrap 1)"
    # without flag: -- and the name with - for _
    py, cli = _both(lambda: check_count("summary_pairs", np.int64(0), minimum=1))
    assert py == "summary_pairs must be an integer ≥ 1, got 0 (pass summary_pairs ≥ 1)"
    assert cli == "--summary-pairs must be an integer ≥ 1, got 0 (pass --summary-pairs ≥ 1)"


def test_check_number_and_check_level():
    py, cli = _both(lambda: check_number("rbf_sigma", "1"))
    assert py == "rbf_sigma must be a number, got '1' (str) (pass a number, e.g. rbf_sigma=0.5)"
    assert cli == "--rbf-sigma must be a number, got '1' (str) (pass a number, e.g. --rbf-sigma 0.5)"
    py, cli = _both(lambda: check_level(95))
    assert py == "confidence must lie strictly between 0 and 1, got 95 (e.g. confidence=0.95 for 95 % intervals)"
    assert cli == "--confidence must lie strictly between 0 and 1, got 95 (e.g. --confidence 0.95 for 95 % intervals)"
    # name= and flag= rename the argument and the option independently (every public function calls it confidence)
    py, cli = _both(lambda: check_level(np.float64(1.5), "level", flag="confidence"))
    assert py == "level must lie strictly between 0 and 1, got 1.5 (e.g. level=0.95 for 95 % intervals)"
    assert cli == "--confidence must lie strictly between 0 and 1, got 1.5 (e.g. --confidence 0.95 for 95 % intervals)"
    py, cli = _both(lambda: check_level("0.9"))
    assert py.startswith("confidence must be a number, got '0.9' (str)") and "e.g. confidence=0.5" in py
    assert cli.startswith("--confidence must be a number, got '0.9' (str)") and "e.g. --confidence 0.5" in cli
    assert check_level(0.9) == 0.9 and check_level(np.float32(0.5), "level") == 0.5


def test_method_list():
    py, cli = _both(lambda: method_list("methods", "", flag="method"))
    assert py == "methods is empty: no method asked for (e.g. methods='regression')"
    assert cli == "--method is empty: no method asked for (e.g. --method regression)"
    py, cli = _both(lambda: method_list("methods", 3, flag="method"))
    assert py.endswith("""got 3 (e.g. methods='regression' or methods=("regression", "fewshot"))"""), py
    assert cli.endswith("got 3 (e.g. --method regression or --method regression,fewshot)"), cli
    py, cli = _both(lambda: method_list("methods", ["regression", 1], flag="method"))
    assert py.startswith("methods must hold method names (text), got 1") and cli.startswith("--method must hold method names (text), got 1")
    assert method_list("methods", ["a", "b, c"]) == ("a", "b", "c")


def test_check_attribute_python_code_only_from_python():
    py, cli = _both(lambda: check_attribute(np.array(["1.0", "2.0"]), 2, attribute="score"))
    assert py == ("attribute 'score' (y) holds text (<U3); it must hold numbers "
                  "(convert it, e.g. np.asarray(y, dtype=float), or map labels to numbers)")
    assert cli == ("attribute column 'score' (--attr score) holds text; it must hold numbers "
                   "(fix the values in the labels or embeddings file that holds the column: numbers only, an empty cell for a missing value)")
    py, cli = _both(lambda: check_attribute(["high", 1.0], 2, attribute="score"))
    assert py.startswith("attribute 'score' (y) must hold numbers (NaN for a missing value), got 'high'") and "{'low': 0" in py
    assert cli.startswith("attribute column 'score' (--attr score) must hold numbers (an empty cell for a missing value), got 'high'")
    assert "fix the values in the labels or embeddings file" in cli and "{" not in cli
    py, cli = _both(lambda: check_attribute([1.0, np.inf, -np.inf], 3, attribute="score"))
    assert py == ("attribute 'score' (y) is ±inf on 2 rows (rows 1, 2); only NaN marks a missing value "
                  "(fix those values, or set them to NaN to leave the rows out)")
    assert cli == ("attribute column 'score' (--attr score) is ±inf on 2 rows (rows 1, 2); only an empty cell or NaN marks a missing value "
                   "(fix those values in the labels or embeddings file that holds the column, or empty their cells to leave the rows out)")
    # another option names the column: flag=
    with use_surface("cli"):
        assert "(--loss score)" in _message(lambda: check_attribute([np.inf, 1.0], 2, attribute="score", flag="loss"))
    py, cli = _both(lambda: check_attribute([1.0], 2))
    assert py == "the attribute has 1 values for 2 rows (give one value per row (NaN for a missing one))"
    assert cli == "the attribute has 1 values for 2 rows (give one value per row of the embeddings (an empty cell for a missing one))"


def test_check_row_indices():
    py, cli = _both(lambda: check_row_indices("anchor_rows", [1.5, 2.0], 5))
    assert py == "anchor_rows must be integer row numbers, got 1.5 (pass a list of ints in 0…4)"
    assert cli == "--anchor-rows must be integer row numbers, got 1.5 (give whole row numbers in 0…4)"
    py, cli = _both(lambda: check_row_indices("rows", [7], 5, flag="keep"))
    assert py.startswith("rows holds row 7, outside 0…4 (1 out of range)") and cli.startswith("--keep holds row 7, outside 0…4")
    assert check_row_indices("rows", [0, 4], 5).tolist() == [0, 4]


def test_python_messages_hold_no_option():
    for call in (lambda: check_count("n_bootstrap", -1, flag="bootstrap"), lambda: check_level(2, flag="confidence"),
                 lambda: method_list("methods", None, flag="method"), lambda: check_attribute([np.inf], 1, flag="attr"),
                 lambda: check_row_indices("anchor_rows", [9], 2, flag="anchor-low")):
        text = _message(call)
        assert not FLAG.search(text), text


# --------------------------------------------------------------------------- the library functions: the flags of their commands


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).standard_normal((60, 6))


def test_rank_arguments_name_the_options_of_embgeo_rank(X):
    y = X[:, 0]
    fast = dict(methods=("regression",), mlp=False, n_random=10, n_shuffles=10, n_bootstrap=0)
    for kw, python, cli in [
        ({"n_bootstrap": -1}, ["n_bootstrap must be an integer ≥ 0, got -1", "n_bootstrap=0 switches the intervals off"],
         ["--bootstrap must be an integer ≥ 0, got -1", "--bootstrap 0 switches the intervals off"]),
        ({"n_random": 0}, ["n_random must be an integer ≥ 1"], ["--random-directions must be an integer ≥ 1"]),
        ({"n_pcs": 0}, ["n_pcs must be"], ["--pcs must be"]),
        ({"k": 0}, ["k must be"], ["--k must be"]),
        ({"n_anchor_pairs": 0}, ["n_anchor_pairs must be"], ["--anchor-pairs must be"]),
        ({"n_shuffles": -1}, ["n_shuffles=0 switches the shuffled-label band off"], ["--shuffles must be", "--no-baselines skips the shuffled-label band"]),
        ({"repeats": 0}, ["e.g. repeats=10"], ["--repeats must be", "e.g. --repeats 10"]),
        ({"shots": (1, 4)}, ["shots must be an integer ≥ 2, got 1", "e.g. shots=(2, 4, 8)"], ["--shots must be an integer ≥ 2, got 1", "e.g. --shots 2,4,8"]),
        ({"methods": ""}, ["methods is empty"], ["--method is empty", "e.g. --method regression"]),
        ({"confidence": 95}, ["confidence must lie strictly between 0 and 1, got 95"], ["--confidence must lie strictly between 0 and 1, got 95"]),
    ]:
        py, cl = _both(lambda: eg.rank_axes(X, y, **{**fast, **kw}))
        assert all(w in py for w in python) and not FLAG.search(py), (kw, py)
        assert all(w in cl for w in cli), (kw, cl)
    py, cl = _both(lambda: eg.rank.ordering.ordering_metrics(y, y, n_bootstrap=-2))
    assert "n_bootstrap=0 switches" in py and "--bootstrap must be an integer ≥ 0, got -2 (--bootstrap 0 switches the intervals off)" in cl


def test_cosine_bootstrap_is_the_bootstrap_option(X):
    from embgeo.cosine.retrieval import retrieval

    labels = np.repeat(np.arange(6), 10)
    py, cl = _both(lambda: retrieval(X, classes=labels, n_bootstrap=-1))
    assert "n_bootstrap must be an integer ≥ 0, got -1 (n_bootstrap=0: no intervals)" in py
    assert "--bootstrap must be an integer ≥ 0, got -1 (--bootstrap 0: no intervals)" in cl


def test_intrinsic_confidence_is_check_level_and_the_confidence_option(X):
    import embgeo.intrinsic.estimators as est
    from embgeo.intrinsic.corrected import calibrated_dimension

    for call in (lambda: eg.intrinsic_dimension(X, methods="twonn", confidence=1.5), lambda: est.twonn_dimension(X, confidence=1.5),
                 lambda: est.mle_dimension(X, confidence=1.5), lambda: calibrated_dimension(X, confidence=1.5)):
        py, cl = _both(call)
        assert py == "confidence must lie strictly between 0 and 1, got 1.5 (e.g. confidence=0.95 for 95 % intervals)", py
        assert cl == "--confidence must lie strictly between 0 and 1, got 1.5 (e.g. --confidence 0.95 for 95 % intervals)", cl
    # one checker: a text level is refused as everywhere else (it was read as a number)
    assert _message(lambda: est.twonn_dimension(X, confidence="0.9")).startswith("confidence must be a number, got '0.9' (str)")


def test_uniformity_confidence_is_check_level(X):
    from embgeo.uniformity.gap import modality_gap

    Y = X + 0.1
    for call in (lambda: eg.uniformity(X, confidence=0), lambda: eg.uniformity.alignment(X, Y, confidence=1.0),
                 lambda: modality_gap(X, Y, confidence=95)):
        py, cl = _both(call)
        assert py.startswith("confidence must lie strictly between 0 and 1, got ") and py.endswith("(e.g. confidence=0.95 for 95 % intervals)"), py
        assert cl.startswith("--confidence must lie strictly between 0 and 1, got ") and cl.endswith("(e.g. --confidence 0.95 for 95 % intervals)"), cl


# --------------------------------------------------------------------------- end to end: the command line


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("argmsg")
    X = np.random.default_rng(1).standard_normal((40, 5))
    np.save(d / "x.npy", X)
    cells = [repr(float(v)) for v in X[:, 0]]
    (d / "score.csv").write_text("score\n" + "\n".join(cells) + "\n")
    cells[3], cells[9] = "inf", "-inf"
    (d / "inf.csv").write_text("score\n" + "\n".join(cells) + "\n")
    return d


def _embgeo(argv) -> tuple[int, str, str]:
    """``embgeo ARGV`` through the console entry point (``main``: one error line, exit 2), its streams
    captured by Typer's CliRunner: (exit code, stdout, stderr)."""
    from embgeo.cli.app import main

    with CliRunner().isolation() as (out, err, _):
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return code, out.getvalue().decode(), err.getvalue().decode()


def _one_line(argv, *needles) -> str:
    code, out, err = _embgeo(argv)
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1 and lines[0].startswith("embgeo: error: "), (code, out, err)
    for w in needles:
        assert w in lines[0], (w, lines[0])
    assert not re.search(r"\b(n_bootstrap|confidence=|level=|shots=|\(y\))", lines[0]), lines[0]  # no Python keyword
    assert surface() == "python"
    return lines[0]


def test_cli_uniformity_confidence(files):
    # the command line takes 0.5 … 0.999 in every command (tests/test_option_vocabulary.py), as click checks it
    _one_line(["uniformity", files / "x.npy", "--confidence", "1.5"], "embgeo uniformity: Invalid value for '--confidence'", "less than or equal to 0.999")
    _one_line(["gap", files / "x.npy", files / "x.npy", "--confidence", "95"], "embgeo gap: Invalid value for '--confidence'", "0.999")


def test_cli_rank_shots(files):
    _one_line(["rank", files / "x.npy", "--labels", files / "score.csv", "--attr", "score", "--shots", "1,4", "--no-baselines", "--bootstrap", "0"],
              "--shots must be an integer ≥ 2, got 1", "e.g. --shots 2,4,8")


def test_cli_rank_infinite_attribute(files):
    line = _one_line(["rank", files / "x.npy", "--labels", files / "inf.csv", "--attr", "score", "--no-baselines", "--bootstrap", "0"],
                     "attribute column 'score' (--attr score) is ±inf on 2 rows (rows 3, 9)", "empty their cells")
    assert "NaN to leave" not in line


def test_cli_app_called_directly(files):
    """``embgeo.cli.app.app`` through CliRunner.invoke (no ``main``): the error reaches the runner, naming the option."""
    from embgeo.cli.app import app

    res = CliRunner().invoke(app, ["uniformity", str(files / "x.npy"), "--t", "0"])
    assert isinstance(res.exception, EmbgeoError), res.output
    assert str(res.exception).startswith("--t must be a positive finite number, got --t 0"), str(res.exception)
    assert surface() == "python"
    with pytest.raises(EmbgeoError, match=r"^t must be a positive"):  # nothing leaks into the library called next
        eg.uniformity(np.load(files / "x.npy"), t=0)


def test_a_renamed_keyword_warns_at_the_users_line_through_decorators():
    # cosine_diagnostics is wrapped (one BLAS thread when small): the warning must still name this file,
    # or Python's default filters hide it from the script that should change
    import warnings

    from embgeo.cosine import cosine_diagnostics

    X = np.random.default_rng(0).normal(size=(60, 8))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cosine_diagnostics(X, n_components=1)
    dep = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert [str(w.message) for w in dep] == ["cosine_diagnostics(n_components=) is now abtt_components="]
    assert dep[0].filename == __file__
