"""The report's cards show the number that decided their verdict, by the rule (and defaults) of their command.

The rank card against ``embgeo rank`` (same status, deciding number and axis), the reembed card's headline
against its verdict's ``decided_by``, and the refusal of a constant rank attribute (named file and remedy,
as ``embgeo cosine`` and ``embgeo layers`` give them).
"""
from __future__ import annotations

import inspect
import json
import re

import numpy as np
import pytest

from tests._cli import one_line


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    """A seeded 100 × 6 space whose attribute is a heavy-tailed function of one direction: an order-only
    axis (pairwise, extremes_q) beats the ridge axis, so a card that ran fewer methods or showed the ridge
    ρ would differ from ``embgeo rank``."""
    d = tmp_path_factory.mktemp("rank_card")
    rng = np.random.default_rng(7)
    X = rng.normal(size=(100, 6))
    z = X[:, 0] + 0.3 * rng.normal(size=100)
    y = np.exp(2.5 * z)
    np.save(d / "x.npy", X.astype(np.float32))
    (d / "lab.csv").write_text("value\n" + "".join(f"{float(v)!r}\n" for v in y))
    (d / "const.csv").write_text("const\n" + "1\n" * 100)
    return d


def _section(doc: dict, key: str) -> dict:
    return next(s for s in doc["results"]["sections"] if s["key"] == key)


def test_rank_card_equals_embgeo_rank(ranked, tmp_path, run_cli):
    args = ["--labels", ranked / "lab.csv", "--join", "row-order", "--attr", "value", "-f", "json"]
    res = run_cli(["rank", ranked / "x.npy", *args])
    assert res.code == 0, res.stderr
    cli = json.loads(res.stdout)
    rep = run_cli(["report", ranked / "x.npy", *args, "--reembed-sample", "0", "--html", tmp_path / "r.html"])
    assert rep.code == 0, rep.stderr
    card = _section(json.loads(rep.stdout), "rank")

    # the same methods ran
    assert set(card["data"]["methods"]) == set(cli["results"]["methods"])
    assert "pairwise" in card["data"]["methods"]
    # the same verdict, decided by the same metric of the same axis at the same value
    v = cli["verdict"]
    assert card["status"] == v["status"] and card["decided_by"] == v["decided_by"] == "spearman"
    decider = re.search(r"on the (\w+) axis", v["reason"]).group(1)  # the axis `embgeo rank` names
    assert card["decided"]["method"] == decider
    rho = cli["results"]["methods"][decider]["spearman"]
    assert card["decided"]["value"] == pytest.approx(rho, abs=1e-12)
    # and the headline is that number, with that axis named
    assert f"({decider} axis" in card["key_label"]
    assert card["key_value"].startswith(f"{rho:.3f} [")
    assert f"{rho:.3f}" in v["reason"]
    # the ridge axis is not the decider here (the case the card used to get wrong)
    assert decider != "regression"


def test_rank_defaults_are_the_commands():
    """The report runs rank_axes with DEFAULT_METHODS and the function's own defaults: those must be `embgeo rank`'s."""
    from embgeo.cli.commands import rank as cmd
    from embgeo.rank.core import DEFAULT_METHODS, rank_axes

    opts = {k: p.default for k, p in inspect.signature(cmd.rank).parameters.items()}
    lib = {k: p.default for k, p in inspect.signature(rank_axes).parameters.items()}
    pairs = {"folds": "n_folds", "quantile": "quantile", "repeats": "repeats", "anchor_pairs": "n_anchor_pairs",
             "validation": "validation", "random_directions": "n_random", "shuffles": "n_shuffles", "pcs": "n_pcs",
             "k": "k", "bootstrap": "n_bootstrap", "confidence": "confidence"}
    for opt, kw in pairs.items():
        assert opts[opt] == lib[kw], (opt, opts[opt], kw, lib[kw])
    assert tuple(int(s) for s in opts["shots"].split(",")) == tuple(lib["shots"])
    assert opts["no_mlp"] is (not lib["mlp"]) and opts["no_normalize"] is (not lib["normalize"])
    assert opts["centre"] is lib["center"] and opts["transform"].value == lib["transform"]
    # `--method all` without anchors runs DEFAULT_METHODS (the command's expansion, as its settings record it)
    assert set(DEFAULT_METHODS) >= {"regression", "pairwise", "extremes", "extremes_q", "fewshot"}


def test_reembed_headline_is_the_deciding_number():
    from embgeo.report.sections import reembed_headline

    h = {"map_sala": 0.467, "distortion_mean": 0.205, "distortion_worst": 3.0}
    e = {"map_sala": 0.475, "distortion_mean": 0.251, "distortion_worst": 4.0}
    label, value = reembed_headline(h, e, "distortion_mean")
    assert label.startswith("mean distortion") and value.startswith("0.205 vs 0.251") and "MAP 0.467 vs 0.475" in value
    label, value = reembed_headline(h, e, "map_sala")
    assert label.startswith("MAP") and value == "0.467 vs 0.475"


def test_reembed_card_follows_its_verdict():
    from embgeo.hyperbolic.reembed import reembed
    from embgeo.report.sections import f, reembed_headline

    X = np.random.default_rng(3).normal(size=(60, 5))
    r = reembed(X, dim=2, k=10, seed=0)
    v = r.verdict()
    h = next(m for m in r.methods if m["method"] == "hmds")
    e = next(m for m in r.methods if m["method"] == "mds")
    label, value = reembed_headline(h, e, v.decided_by)
    assert value.startswith(f"{f(h[v.decided_by])} vs {f(e[v.decided_by])}")
    assert ("distortion" in label) == (v.decided_by == "distortion_mean")


def test_rank_constant_attribute_names_the_file_and_remedy(ranked, run_cli):
    res = run_cli(["rank", ranked / "x.npy", "--labels", ranked / "const.csv", "--join", "row-order", "--attr", "const"])
    line = one_line(res, "const.csv: ", "attribute 'const' is constant (1 on all 100 rows with a value)",
                    "a rank axis needs at least two distinct values", "(pass a column that varies with --attr)")
    assert line.count("const.csv") == 1


def test_rank_constant_attribute_from_python_names_the_keyword():
    from embgeo.errors import EmbgeoError
    from embgeo.rank.core import rank_axes

    with pytest.raises(EmbgeoError) as exc:
        rank_axes(np.random.default_rng(0).normal(size=(30, 4)), np.ones(30), attribute="c")
    assert "pass a column that varies with y" in str(exc.value) and "--attr" not in str(exc.value)


def test_a_small_input_says_its_id_card_ran_below_the_commands_defaults():
    """Under 66 rows the intrinsic card shrinks k and GRIDE's largest order (embgeo id refuses such inputs at its
    defaults); the card's `reduced` line says so, as every card whose settings fall short of its command does."""
    import numpy as np

    from embgeo.report.sections import id_scales, scales_reduced

    assert scales_reduced(*id_scales(1640)) == ""
    assert scales_reduced(*id_scales(40)) == "GRIDE up to n2 = 32 (embgeo id: 64): this input has too few rows for embgeo id's defaults"
    assert scales_reduced(*id_scales(12)).startswith("k = 10 (embgeo id: 20) and GRIDE up to n2 = 8 (embgeo id: 64)")
    from embgeo.io import EmbeddingSet
    from embgeo.report.build import build_report

    rep = build_report(EmbeddingSet(np.random.default_rng(0).normal(size=(40, 8))), seed=0, map_method="none", reembed_sample=0)
    assert rep.section("intrinsic").reduced.startswith("GRIDE up to n2 = 32")
