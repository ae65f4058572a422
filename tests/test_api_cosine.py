"""The cosine family's public surface: one vocabulary for centring (``-m centre`` / ``--process centred``),
the retrieval JSON key ``bootstrap``, keyword names that match the options (``abtt_components``,
``whiten_floor``, ``classes``; the old names still work with a DeprecationWarning), counts checked the
same way everywhere (``k=True`` refused), ``gain_status`` and the exported result classes."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import embgeo.cosine as cos
from embgeo.cosine.isotropy import anisotropy, isoscore, norm_distribution
from embgeo.cosine.neighbors import hubness, k_occurrence, norms
from embgeo.cosine.postprocess import all_but_the_top, center, postprocess, postprocessing
from embgeo.cosine.rescaling import dimension_rescaling, factor_rescaling
from embgeo.cosine.retrieval import retrieval
from embgeo.errors import EmbgeoError


def _classes(n_classes=3, per=20, d=8, seed=0, offset=1.0):
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((n_classes, d))
    X = np.concatenate([C[c] + 0.8 * rng.standard_normal((per, d)) for c in range(n_classes)]) + offset
    return X, np.repeat(np.arange(n_classes), per)


@pytest.fixture
def data():
    return _classes()


@pytest.fixture
def files(tmp_path):
    X, y = _classes()
    np.save(tmp_path / "x.npy", X)
    (tmp_path / "cls.csv").write_text("cls\n" + "\n".join(f"c{v}" for v in y) + "\n")
    return tmp_path / "x.npy", tmp_path / "cls.csv", X


# --------------------------------------------------------------------------- 1. one spelling of centring for -m and --process
@pytest.mark.parametrize("spelling", ["centre", "center"])
def test_method_accepts_the_process_spelling_of_centring(run_cli, files, spelling):
    x, cls, _ = files
    base = ["cosine", x, "--labels", cls, "--class", "cls", "-k", "5", "--bootstrap", "20", "-f", "json"]
    res = run_cli(base + ["-m", spelling])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["settings"]["method"] == ["centred"]  # the canonical name in the output
    assert list(doc["results"]["retrieval"]["methods"]) == ["cosine", "centred"]
    ref = json.loads(run_cli(base + ["-m", "centred"]).stdout)["results"]["retrieval"]["methods"]["centred"]
    assert doc["results"]["retrieval"]["methods"]["centred"] == ref


def test_process_accepts_the_method_spelling_of_centring(run_cli, files, tmp_path):
    x, _, X = files
    out = tmp_path / "c.npy"
    res = run_cli(["cosine", x, "-k", "5", "--write-processed", out, "--process", "centred", "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["settings"]["process"] == "centre" and "--process centre," in res.stderr
    np.testing.assert_allclose(np.load(out), X - X.mean(axis=0), atol=1e-12)
    # without --write-processed it would change nothing: refused (it was recorded and ignored)
    res = run_cli(["cosine", x, "-k", "5", "--process", "centred", "-f", "json"])
    assert res.code == 2 and "--process applies only with --write-processed" in res.stderr


def test_library_accepts_both_spellings(data):
    X, y = data
    np.testing.assert_array_equal(postprocess(X, "centred"), center(X))
    a = retrieval(X, classes=y, k=5, methods=("centre",), n_bootstrap=0)
    b = retrieval(X, classes=y, k=5, methods="cosine,centred", n_bootstrap=0)
    assert a.methods == b.methods == ["cosine", "centred"] and a.to_dict() == b.to_dict()  # to_dict: NaN intervals as None
    with pytest.raises(EmbgeoError, match="unknown similarity 'mp'"):
        retrieval(X, classes=y, k=5, methods=("mp",))


# --------------------------------------------------------------------------- 2. retrieval JSON: bootstrap, not n_bootstrap
def test_retrieval_json_says_bootstrap(data, run_cli, files):
    X, y = data
    d = retrieval(X, classes=y, k=5, n_bootstrap=30, methods=("cosine",)).to_dict()
    assert d["bootstrap"] == 30 and "n_bootstrap" not in d
    x, cls, _ = files
    doc = json.loads(run_cli(["cosine", x, "--labels", cls, "--class", "cls", "-k", "5", "-m", "cosine", "--bootstrap", "25", "-f", "json"]).stdout)
    assert doc["results"]["retrieval"]["bootstrap"] == doc["settings"]["bootstrap"] == 25
    assert "n_bootstrap" not in doc["results"]["retrieval"]


# --------------------------------------------------------------------------- 3. keyword names of the options, old names kept
def test_postprocessing_takes_abtt_components_and_whiten_floor(data):
    X, _ = data
    new = postprocessing(X, k=5, abtt_components=2, whiten_floor=1e-3)
    assert new.abtt_components == 2
    lam1 = np.linalg.eigvalsh(np.cov(X.T))[-1]
    assert new.whiten_floor == pytest.approx(1e-3 * lam1, rel=1e-9)  # the floor in eigenvalue units
    with pytest.warns(DeprecationWarning) as rec:
        old = postprocessing(X, k=5, n_components=2, floor=1e-3)
    assert [str(w.message) for w in rec] == ["postprocessing(n_components=) is now abtt_components=",
                                             "postprocessing(floor=) is now whiten_floor="]
    assert old.to_dict() == new.to_dict()
    with pytest.raises(EmbgeoError, match="n_components is the former name of abtt_components; both were given"):
        postprocessing(X, k=5, n_components=2, abtt_components=2)


def test_cosine_diagnostics_takes_abtt_components_and_whiten_floor(data):
    X, y = data
    new = cos.cosine_diagnostics(X, k=5, abtt_components=3, whiten_floor=1e-4, classes=y, n_bootstrap=20, similarities=("abtt", "whiten"))
    assert new.postprocessing.abtt_components == 3
    ref = retrieval(X, classes=y, k=5, methods=("abtt", "whiten"), abtt_components=3, whiten_floor=1e-4, n_bootstrap=0)
    for m in ("abtt", "whiten"):
        assert new.retrieval.scores[m]["precision_at_k"]["value"] == ref.scores[m]["precision_at_k"]["value"]
    with pytest.warns(DeprecationWarning) as rec:
        old = cos.cosine_diagnostics(X, k=5, n_components=3, floor=1e-4, classes=y, n_bootstrap=20, similarities=("abtt", "whiten"))
    assert [str(w.message) for w in rec] == ["cosine_diagnostics(n_components=) is now abtt_components=",
                                             "cosine_diagnostics(floor=) is now whiten_floor="]  # and nothing from the parts it calls
    assert old.to_dict() == new.to_dict()


def test_retrieval_and_factor_rescaling_take_classes(data):
    X, y = data
    new = retrieval(X, classes=y, k=5, n_bootstrap=20, abtt_components=1)
    with pytest.warns(DeprecationWarning) as rec:
        old = retrieval(X, labels=y, k=5, n_bootstrap=20, n_components=1)
    assert [str(w.message) for w in rec] == ["retrieval(labels=) is now classes=", "retrieval(n_components=) is now abtt_components="]
    assert old.to_dict() == new.to_dict() and new.source == "classes" and new.n_queries == 60
    with pytest.raises(EmbgeoError, match="labels is the former name of classes"):
        retrieval(X, labels=y, classes=y, k=5)
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((30, 8)), X
    fr = factor_rescaling(A, B, k=5, classes=y)
    with pytest.warns(DeprecationWarning, match=r"factor_rescaling\(labels=\) is now classes="):
        fo = factor_rescaling(A, B, k=5, labels=y)
    assert [c.precision for c in fr.cases] == [c.precision for c in fo.cases]
    assert fr.cases[0].precision == pytest.approx(_same_class_share(B, y, 5), abs=1e-12)


def _same_class_share(B, y, k):
    U = B / np.linalg.norm(B, axis=1, keepdims=True)
    S = U @ U.T
    np.fill_diagonal(S, -np.inf)
    nb = np.argsort(-S, axis=1, kind="stable")[:, :k]
    return float(np.mean(y[nb] == y[:, None]))


def test_dimension_rescaling_takes_whiten_floor(data):
    X, _ = data
    new = dimension_rescaling(X, k=5, whiten_floor=1e-2)
    with pytest.warns(DeprecationWarning, match=r"dimension_rescaling\(floor=\) is now whiten_floor="):
        old = dimension_rescaling(X, k=5, floor=1e-2)
    assert [c.jaccard for c in new.cases] == [c.jaccard for c in old.cases]
    with pytest.raises(EmbgeoError, match="floor must be positive, got 0"):  # 0 was silently the default 1e-6
        dimension_rescaling(X, k=5, whiten_floor=0)


def test_all_but_the_top_keeps_n_components(data):
    X, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y = all_but_the_top(X, n_components=np.int64(2))
    Xc = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(Xc, full_matrices=False)
    np.testing.assert_allclose(Y, Xc - Xc @ Vt[:2].T @ Vt[:2], atol=1e-10)


# --------------------------------------------------------------------------- 4. k=True is refused everywhere (as knn refuses it)
@pytest.mark.parametrize("name", ["hubness", "norms", "postprocessing", "dimension_rescaling", "factor_rescaling", "retrieval",
                                  "cosine_diagnostics"])
@pytest.mark.parametrize("k", [True, 2.0, "3", 0])
def test_k_is_a_whole_number(data, name, k):
    X, y = data
    call = {
        "hubness": lambda: hubness(X, k=k), "norms": lambda: norms(X, k=k), "postprocessing": lambda: postprocessing(X, k=k),
        "dimension_rescaling": lambda: dimension_rescaling(X, k=k),
        "factor_rescaling": lambda: factor_rescaling(np.ones((5, 8)) + np.eye(5, 8), X, k=k),
        "retrieval": lambda: retrieval(X, classes=y, k=k), "cosine_diagnostics": lambda: cos.cosine_diagnostics(X, k=k),
    }[name]
    shown = {True: r"True \(bool\)", 2.0: r"2.0 \(a fraction\)", "3": r"'3' \(str\)", 0: "0"}[k]
    with pytest.raises(EmbgeoError, match=rf"^k must be an integer ≥ 1, got {shown}"):
        call()


def test_numpy_k_is_a_whole_number(data):
    X, _ = data
    assert hubness(X, k=np.int64(3)).k == 3 and norms(X, k=np.int32(3)).k == 3


# --------------------------------------------------------------------------- 5. counts and numbers checked, one line each
@pytest.mark.parametrize("candidates, words", [
    (0, "candidates must be an integer ≥ 1, got 0"), (-1, "candidates must be an integer ≥ 1, got -1"),
    (1.5, r"candidates must be an integer ≥ 1, got 1.5 \(a fraction\)"), (True, r"got True \(bool\)"),
    ("3", r"got '3' \(str\)"), (4, "candidates=4 is fewer than the k=5 rows each query ranks"),
])
def test_retrieval_candidates_are_checked(data, candidates, words):
    X, y = data
    with pytest.raises(EmbgeoError, match=words):
        retrieval(X, classes=y, k=5, candidates=candidates)


def test_retrieval_candidates_default_and_value(data):
    X, y = data
    assert retrieval(X, classes=y, k=5, n_bootstrap=0).candidates == 59  # max(100, k) capped at n − 1
    r = retrieval(X, classes=y, k=5, candidates=7, n_bootstrap=0, methods=("csls",))
    assert r.candidates == 7 and r.to_dict()["candidates"] == 7


@pytest.mark.parametrize("margin", [-1, -0.01, 1.5, float("nan"), "0.1", True])
def test_margin_is_a_gain_between_0_and_1(data, margin):
    X, y = data
    for call in (lambda: retrieval(X, classes=y, k=5, margin=margin), lambda: cos.cosine_diagnostics(X, k=5, classes=y, margin=margin)):
        with pytest.raises(EmbgeoError, match="margin"):
            call()


def test_margin_zero_and_one_are_accepted(data):
    X, y = data
    assert retrieval(X, classes=y, k=5, n_bootstrap=0, margin=0).margin == 0.0
    assert retrieval(X, classes=y, k=5, n_bootstrap=0, margin=1).verdict().status == "ok"  # no gain exceeds 1


@pytest.mark.parametrize("bins", [0, -1, 1.5, "3", True])
def test_norm_distribution_bins(data, bins):
    with pytest.raises(EmbgeoError, match="bins must be an integer ≥ 1"):
        norm_distribution(data[0], bins=bins)


def test_norm_distribution_bins_value(data):
    X, _ = data
    nd = norm_distribution(X, bins=4)
    nr = np.linalg.norm(X, axis=1)
    assert nd.hist_counts.tolist() == np.histogram(nr, bins=np.linspace(nr.min(), nr.max(), 5))[0].tolist()
    assert nd.hist_counts.sum() == 60


@pytest.mark.parametrize("repeats", [0, -1, 1.5, "3"])
def test_isoscore_baseline_repeats(data, repeats):
    with pytest.raises(EmbgeoError, match="baseline_repeats must be an integer ≥ 1"):
        isoscore(data[0], baseline_repeats=repeats)


def test_isoscore_one_baseline_repeat(data):
    r = isoscore(data[0], baseline_repeats=1)
    assert np.isnan(r.baseline_sd) and 0 < r.baseline < 1  # one Gaussian: no spread to report


@pytest.mark.parametrize("n_components", [1.5, "3", True, -1, 8])
def test_all_but_the_top_n_components(data, n_components):
    with pytest.raises(EmbgeoError, match="n_components must be"):
        all_but_the_top(data[0], n_components=n_components)


@pytest.mark.parametrize("spreads", [(0,), (-1,), (0.5, float("inf")), ("a",), "1.0"])
def test_factor_rescaling_spreads(data, spreads):
    X, _ = data
    with pytest.raises(EmbgeoError, match="spread"):
        factor_rescaling(np.ones((5, 8)) + np.eye(5, 8), X, k=5, spreads=spreads)


def test_factor_rescaling_spreads_value(data):
    X, _ = data
    A = np.random.default_rng(3).standard_normal((10, 8))
    names = [c.name for c in factor_rescaling(A, X, k=5, spreads=(0.25,)).cases]
    assert names == ["identity", "balanced", "scale-in-B", "scale-in-A", "random σ=0.25"]
    assert len(factor_rescaling(A, X, k=5, spreads=()).cases) == 4


@pytest.mark.parametrize("n_pairs", ["3", 1.5, 1, True])
def test_anisotropy_n_pairs(data, n_pairs):
    with pytest.raises(EmbgeoError, match="n_pairs must be an integer ≥ 2"):
        anisotropy(data[0], n_pairs=n_pairs)


def test_k_occurrence_checks_its_indices():
    idx = np.array([[1, 2], [0, 2], [0, 1], [0, 1]])
    ko = k_occurrence(idx, 4)
    assert ko.counts.tolist() == [3, 3, 2, 0] and ko.max_occurrence == 3 and ko.antihub_share == 0.25
    assert k_occurrence(idx, 4, k=1).counts.tolist() == [3, 1, 0, 0]
    with pytest.raises(EmbgeoError, match=r"indices hold row 3, outside 0…2 \(1 out of range\)"):
        k_occurrence(np.array([[1, 2], [0, 3], [0, 1]]), 3)
    with pytest.raises(EmbgeoError, match=r"indices hold row -1, outside 0…3"):
        k_occurrence(np.array([[1, -1], [0, 2]]), 4)
    with pytest.raises(EmbgeoError, match="k=3 but indices hold 2 neighbours per row"):
        k_occurrence(idx, 4, k=3)
    with pytest.raises(EmbgeoError, match="integer row numbers"):
        k_occurrence(idx.astype(float), 4)


# --------------------------------------------------------------------------- 6. gain_status is public
def test_gain_status_is_public_and_drives_the_table(data):
    X, y = data
    rep = cos.cosine_diagnostics(X, k=5, classes=y, n_bootstrap=50, similarities=("centred", "csls"))
    rt = rep.retrieval
    assert not hasattr(rt, "_gain_status")
    _, rows = rep.table()
    shown = {r[0].removeprefix("retrieval: "): r[3] for r in rows if r[0].startswith("retrieval: ")}
    for m in ("centred", "csls"):
        g = rt.scores[m]["precision_gain"]
        assert rt.gain_status(m) == ("bad" if g["ci_low"] > rt.margin else "ok") == shown[m]
    assert shown["cosine"] == ""


# --------------------------------------------------------------------------- 7. the result classes are exported
def test_result_classes_are_exported(data):
    X, y = data
    for name in ("AnisotropyResult", "IsoScoreResult", "RogueDimensionsResult", "NormDistribution", "HubnessResult", "NormsResult",
                 "KOccurrence", "PostprocessResult", "RescalingResult", "RetrievalResult", "CosineReport"):
        assert name in cos.__all__ and isinstance(getattr(cos, name), type), name
    rep = cos.cosine_diagnostics(X, k=5, classes=y, n_bootstrap=0)
    assert isinstance(rep, cos.CosineReport)
    for attr, cls in (("anisotropy", cos.AnisotropyResult), ("isoscore", cos.IsoScoreResult), ("rogue_dimensions", cos.RogueDimensionsResult),
                      ("norms", cos.NormsResult), ("hubness", cos.HubnessResult), ("rescaling", cos.RescalingResult),
                      ("postprocessing", cos.PostprocessResult), ("retrieval", cos.RetrievalResult)):
        assert isinstance(getattr(rep, attr), cls), attr
    assert isinstance(rep.norms.distribution, cos.NormDistribution) and isinstance(rep.hubness.raw, cos.KOccurrence)
    assert isinstance(rep.postprocessing.transforms[0], cos.TransformEffect) and isinstance(rep.rescaling.cases[0], cos.RescaleCase)


def test_qrels_refuse_a_pair_judged_twice_differently_and_a_relevance_that_is_no_number(tmp_path):
    from embgeo.cosine.retrieval import read_qrels

    def err(text):
        (tmp_path / "q.txt").write_text(text)
        with pytest.raises(EmbgeoError) as e:
            read_qrels(tmp_path / "q.txt")
        return str(e.value)

    assert "line 3 judges query 'r0', doc 'r1' 0, but line 1 judged it 1 (keep one judgement per query and doc)" in err("r0 r1 1\nr2 r3 1\nr0 r1 0\n")
    assert "line 1: relevance 'x' is not a number" in err("r0 r1 x\nr2 r3 1\n")  # not a header: it names no column
    assert "line 2: relevance 'x' is not a number" in err("query doc relevance\nr0 r1 x\n")
    (tmp_path / "ok.txt").write_text("query,doc,relevance\nr0,r1,1\nr0,r1,1\nr2,r3,0\nr4,r5,2\n")  # a header; a repeat that agrees
    assert read_qrels(tmp_path / "ok.txt") == [("r0", "r1"), ("r4", "r5")]
    (tmp_path / "two.txt").write_text("query\tdoc\nq1\td1\n")  # a two-column header is a header too
    assert read_qrels(tmp_path / "two.txt") == [("q1", "d1")]
