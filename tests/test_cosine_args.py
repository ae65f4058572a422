"""Arguments of the cosine family: each invalid one is refused with a one-line EmbgeoError that names it,
before anything is sampled or computed; valid calls give the numbers they gave before the checks."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import embgeo as eg
from embgeo.cosine.neighbors import norms
from embgeo.cosine.rescaling import factor_rescaling
from embgeo.cosine.retrieval import check_relevant, retrieval
from embgeo.errors import EmbgeoError

N = 150


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 12))
    lab = rng.integers(0, 4, N)
    return X, lab


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and exc.value.hint, text
    return text


# --------------------------------------------------------------------------- 1. confidence
@pytest.mark.parametrize("confidence", [0, -0.5, 1, 1.0, 95, float("nan"), float("inf"), "high", None])
def test_confidence_outside_0_1_is_refused(data, confidence):
    X, lab = data
    expected = r"confidence must (lie strictly between 0 and 1|be a number)"  # (text and None: not a number)
    with pytest.raises(EmbgeoError, match=expected) as exc:
        eg.cosine_diagnostics(X + 1, classes=lab, n_bootstrap=50, confidence=confidence)
    _one_line(exc)
    with pytest.raises(EmbgeoError, match=expected):
        retrieval(X + 1, classes=lab, n_bootstrap=50, confidence=confidence, methods=("cosine",))


def test_confidence_is_checked_before_any_work(data):
    X, _ = data
    steps = []
    with pytest.raises(EmbgeoError, match="confidence"):
        eg.cosine_diagnostics(X, confidence=95, on_step=steps.append)
    assert steps == []


@pytest.mark.parametrize("n_bootstrap", [-1, 2.5, True, "100"])
def test_n_bootstrap_must_be_a_whole_number(data, n_bootstrap):
    X, lab = data
    with pytest.raises(EmbgeoError, match=r"n_bootstrap must be an integer ≥ 0"):
        eg.cosine_diagnostics(X, classes=lab, n_bootstrap=n_bootstrap)


# --------------------------------------------------------------------------- 2. lengths before sampling
def test_classes_length_is_checked_before_the_sample(data):
    X, lab = data
    steps = []
    with pytest.raises(EmbgeoError, match=r"classes has 300 values for 150 rows") as exc:
        eg.cosine_diagnostics(X + 1, classes=np.r_[lab, lab], neighbour_sample=100, n_bootstrap=50, on_step=steps.append)
    _one_line(exc)
    assert steps == []
    with pytest.raises(EmbgeoError, match=r"classes has 100 values for 150 rows"):
        eg.cosine_diagnostics(X + 1, classes=lab[:100], neighbour_sample=120, n_bootstrap=50)


def test_attribute_and_factor_labels_lengths_are_checked_first(data):
    X, lab = data
    rng = np.random.default_rng(3)
    steps = []
    with pytest.raises(EmbgeoError, match=r"attribute 'freq' has 149 values for 150 rows"):
        eg.cosine_diagnostics(X, attribute=rng.random(N - 1), attribute_name="freq", neighbour_sample=100, on_step=steps.append)
    A, B = rng.normal(size=(40, 6)), rng.normal(size=(N, 6))
    with pytest.raises(EmbgeoError, match=r"factor_labels has 300 entries for 150 rows of B"):
        eg.cosine_diagnostics(B, factors=(A, B), factor_labels=np.r_[lab, lab], on_step=steps.append)
    assert steps == []


def test_relevant_with_a_sample_is_refused_before_any_work(data):
    X, _ = data
    steps = []
    with pytest.raises(EmbgeoError, match="cannot be used with a neighbour sample"):
        eg.cosine_diagnostics(X, relevant=[(0, {1})], neighbour_sample=100, on_step=steps.append)
    assert steps == []


@pytest.mark.parametrize("sample", [0, -5, 50.5, True])
def test_neighbour_sample_must_be_a_positive_whole_number(data, sample):
    X, _ = data
    with pytest.raises(EmbgeoError, match="neighbour_sample must be a positive whole number"):
        eg.cosine_diagnostics(X, neighbour_sample=sample)


def test_classes_and_relevant_together_and_unknown_similarity(data):
    X, lab = data
    with pytest.raises(EmbgeoError, match="classes and relevant both define what is relevant"):
        eg.cosine_diagnostics(X, classes=lab, relevant=[(0, {1})])
    steps = []
    with pytest.raises(EmbgeoError, match="unknown similarity 'mp'"):
        eg.cosine_diagnostics(X, classes=lab, similarities=["mp"], on_step=steps.append)
    assert steps == []


# --------------------------------------------------------------------------- 3. relevant
@pytest.mark.parametrize(
    "relevant, needle",
    [
        ([(-1, {2}), (1, {2})], r"the query of relevant\[0\] is row -1, but X has rows 0 … 149"),
        ([(1, {2}), (0, {500})], r"a relevant row of relevant\[1\] \(query row 0\) is row 500, but X has rows 0 … 149"),
        ([(500, {2})], r"the query of relevant\[0\] is row 500"),
        ([(0, {2, -3})], r"relevant\[0\] \(query row 0\) is row -3"),
        ([(0, {2}), (1, {1})], r"relevant\[1\] \(query row 1\) has no relevant row other than the query itself"),
        ([(1, set())], r"relevant\[0\] \(query row 1\) has no relevant row other than the query itself"),
        ([(0, {2}), (0, {3})], r"relevant\[1\] repeats query row 0 \(first in relevant\[0\]\)"),
        ([(1.0, {2})], r"the query of relevant\[0\] is 1.0, not a row number"),
        ([(0, {2.5})], r"relevant\[0\] \(query row 0\) is 2.5, not a row number"),
        ([(0, 2)], r"relevant\[0\] \(query row 0\) has 2 where a set of relevant rows belongs"),
        ([(0, {2}, 1)], r"relevant\[0\] is not a \(row, set_of_rows\) pair"),
        ([], r"no row has a relevant row"),
        (5, r"relevant must be a list of \(row, set_of_rows\) pairs"),
    ],
)
def test_bad_relevance_judgements_are_refused_naming_the_pair(data, relevant, needle):
    X, _ = data
    steps = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (0/0 recall) on the way to the refusal
        with pytest.raises(EmbgeoError, match=needle) as exc:
            eg.cosine_diagnostics(X, relevant=relevant, n_bootstrap=50, on_step=steps.append)
        _one_line(exc)
        assert steps == []
        with pytest.raises(EmbgeoError, match=needle):
            retrieval(X, relevant=relevant, n_bootstrap=50, methods=("cosine",))


def test_check_relevant_drops_the_query_itself_and_keeps_the_order():
    assert check_relevant([(3, [3, 1, 2]), (0, (1,)), (np.int64(2), np.array([0]))], 4) == [(3, {1, 2}), (0, {1}), (2, {0})]
    assert check_relevant({1: {0, 1}, 0: {2}}, 3) == [(1, {0}), (0, {2})]


def test_the_query_in_its_own_set_does_not_count(data):
    X, _ = data
    kw = dict(n_bootstrap=50, k=3, methods=("cosine",))
    plain = retrieval(X, relevant=[(0, {40, 28, 71}), (1, {9})], **kw).scores["cosine"]
    selfish = retrieval(X, relevant=[(0, {0, 40, 28, 71}), (1, {1, 9})], **kw).scores["cosine"]
    assert selfish == plain


# --------------------------------------------------------------------------- 4. seed
def test_the_seed_recorded_is_the_int_given_else_none(data):
    X, _ = data
    assert eg.cosine_diagnostics(X, seed=5).to_dict()["seed"] == 5
    assert eg.cosine_diagnostics(X, seed=np.int64(5)).seed == 5
    assert eg.cosine_diagnostics(X).to_dict()["seed"] == 0
    assert eg.cosine_diagnostics(X, seed=np.random.default_rng(7)).to_dict()["seed"] is None
    a, b = eg.cosine_diagnostics(X, seed=None), eg.cosine_diagnostics(X, seed=None)
    assert a.seed is None and b.seed is None and a.to_dict()["seed"] is None
    assert a.anisotropy.sampled_mean != b.anisotropy.sampled_mean  # fresh entropy: no seed reproduces it


# --------------------------------------------------------------------------- 5. infinite attribute
@pytest.mark.parametrize("value, row", [(np.inf, 0), (-np.inf, 7)])
def test_an_infinite_attribute_is_refused_naming_the_row(data, value, row):
    X, _ = data
    a = np.random.default_rng(1).random(N)
    a[row] = value
    with pytest.raises(EmbgeoError, match=rf"attribute 'freq' is {value:g} on row {row}\b") as exc:
        eg.cosine_diagnostics(X, attribute=a, attribute_name="freq")
    assert "NaN" in _one_line(exc)
    with pytest.raises(EmbgeoError, match=rf"on row {row}"):
        norms(X, attribute=a, attribute_name="freq")
    a[[row, 20]] = value
    with pytest.raises(EmbgeoError, match=rf"on row {row} \(and 1 more rows\)"):
        eg.cosine_diagnostics(X, attribute=a, attribute_name="freq")


def test_a_non_numeric_attribute_is_refused(data):
    X, _ = data
    with pytest.raises(EmbgeoError, match="attribute 'name' is not numeric"):
        eg.cosine_diagnostics(X, attribute=["w"] * N, attribute_name="name")


# --------------------------------------------------------------------------- 6. factors
@pytest.mark.parametrize(
    "factors, got",
    [
        (np.ones((20, 12)), r"an array of shape \(20, 12\)"),
        ((np.ones((20, 12)),), r"a tuple of 1 items"),
        ([np.ones((20, 3))] * 3, r"a list of 3 items"),
        ("A.npy", r"a str"),
    ],
)
def test_factors_must_be_a_pair(data, factors, got):
    X, _ = data
    steps = []
    with pytest.raises(EmbgeoError, match=r"factors is \(A, B\).*got " + got) as exc:
        eg.cosine_diagnostics(X, factors=factors, on_step=steps.append)
    _one_line(exc)
    assert steps == []


def test_factor_rank_mismatch_is_refused_first(data):
    X, _ = data
    steps = []
    with pytest.raises(EmbgeoError, match="factor matrices disagree on the rank"):
        eg.cosine_diagnostics(X, factors=(np.ones((10, 3)), X), on_step=steps.append)
    assert steps == []


def test_factor_labels_without_factors_are_refused(data):
    X, lab = data
    with pytest.raises(EmbgeoError, match=r"factor_labels label the rows of B in factors=\(A, B\), but no factors were given") as exc:
        eg.cosine_diagnostics(X, factor_labels=lab)
    _one_line(exc)


def test_factor_rescaling_still_checks_its_classes():
    rng = np.random.default_rng(2)
    A, B = rng.normal(size=(30, 4)), rng.normal(size=(50, 4))
    with pytest.raises(EmbgeoError, match="classes has 49 entries for 50 rows of B"):
        factor_rescaling(A, B, k=5, classes=np.zeros(49))
    with pytest.raises(EmbgeoError, match="classes must be a sequence of labels"):
        factor_rescaling(A, B, k=5, classes=3)


# --------------------------------------------------------------------------- valid calls: the numbers of before
# (values computed with the code before these checks were added; rel 1e-9 allows another BLAS's rounding)
def test_valid_calls_give_the_numbers_of_before(data):
    X, lab = data
    rng = np.random.default_rng(0)
    rng.normal(size=(N, 12)), rng.integers(0, 4, N)  # the fixture's draws
    same = lambda a, b: a == pytest.approx(b, rel=1e-9, abs=1e-12)  # noqa: E731

    r = eg.cosine_diagnostics(X + 1, classes=lab, n_bootstrap=50, confidence=0.9)
    c = r.retrieval.scores["cosine"]["precision_at_k"]
    assert same([c["value"], c["ci_low"], c["ci_high"], r.anisotropy.mean_cosine, r.hubness.raw.skewness],
                [0.2526666666666667, 0.23320000000000002, 0.26783333333333337, 0.4956429110155334, 0.7095394140631374])
    assert r.retrieval.confidence == 0.9

    r = eg.cosine_diagnostics(X + 1, classes=lab, neighbour_sample=100, n_bootstrap=50)
    c = r.retrieval.scores["cosine"]["precision_at_k"]
    assert same([c["value"], c["ci_low"], c["ci_high"], r.norms.jaccard_dot_cosine],
                [0.24600000000000002, 0.20980000000000001, 0.29405000000000003, 0.32883555986497165])

    att = np.abs(rng.normal(size=N))
    att[5] = np.nan  # NaN still means missing
    r = eg.cosine_diagnostics(X, attribute=att)
    assert same(r.norms.spearman, -0.027578450934155636) and r.norms.attribute_rows == 149

    A, B = rng.normal(size=(40, 6)), rng.normal(size=(N, 6))
    r = eg.cosine_diagnostics(B, factors=(A, B), factor_labels=lab, k=5)
    assert same([r.rescaling.min_jaccard] + [c.precision for c in r.rescaling.cases],
                [0.21161375661375662, 0.2653333333333333, 0.25333333333333335, 0.2613333333333333, 0.25466666666666665,
                 0.26666666666666666, 0.22533333333333333, 0.2693333333333333])
    r = eg.cosine_diagnostics(B, factors=[A, B], factor_labels=lab, k=5)  # a list pair is a pair
    assert same(r.rescaling.min_jaccard, 0.21161375661375662)

    r = eg.cosine_diagnostics(X, relevant=[(0, {40, 28, 71}), (1, {9}), (3, {9, 10, 11, 4})], n_bootstrap=50, k=3)
    s = r.retrieval.scores["cosine"]
    assert same([s["precision_at_k"]["value"], s["recall_at_k"]["value"], s["ndcg_at_k"]["value"],
                 s["precision_at_k"]["ci_low"], s["precision_at_k"]["ci_high"]],
                [1 / 3, 5 / 9, 0.44494928086853075, 0.0, 5 / 9])


# --------------------------------------------------------------------------- the command line keeps working
def test_cli_qrels_still_skips_what_it_skipped(run_cli, tmp_path):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 8))
    X[1] = X[0] + 0.01 * rng.standard_normal(8)
    np.save(tmp_path / "q.npy", X)
    # a self pair (3 3), an unknown id (99) and a negative number (-1) are skipped with a note, as before
    (tmp_path / "q.qrels").write_text("0\t1\n3\t3\n2\t99\n-1\t4\n")
    res = run_cli(["cosine", tmp_path / "q.npy", "--qrels", tmp_path / "q.qrels", "-k", "1", "--bootstrap", "0", "-m", "cosine", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["results"]["retrieval"]["n_queries"] == 1 and doc["results"]["retrieval"]["methods"]["cosine"]["precision_at_k"]["value"] == 1.0
    assert any("3 qrels pairs skipped" in n for n in doc["notes"])
    assert doc["settings"]["seed"] == 0 and doc["results"]["seed"] == 0


def test_cli_refuses_an_infinite_attribute_in_one_line(run_cli, tmp_path):
    X = np.random.default_rng(0).standard_normal((60, 8))
    np.save(tmp_path / "x.npy", X)
    (tmp_path / "lab.csv").write_text("freq\n" + "\n".join(["inf"] + [str(i) for i in range(1, 60)]) + "\n")
    res = run_cli(["cosine", tmp_path / "x.npy", "--labels", tmp_path / "lab.csv", "--attr", "freq", "--k", "5"])
    assert res.code == 2, res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert "freq" in lines[0] and ("row 0" in lines[0] or "inf" in lines[0].lower()), lines[0]
