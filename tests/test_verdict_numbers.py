"""A verdict's numbers read to the status its rule gave: never rounded onto or across a threshold.

Before, a uniformity ratio of 0.7997 read "80% of the uniform-sphere value (warn below 80%)", a
MAP of 0.8996 "MAP 0.900 (ok ≥ 0.9)" under a warn verdict. :func:`embgeo.results.beside_threshold`
(which the cosine verdicts used alone) now writes every family's judged number.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from embgeo.results import beside_threshold


@pytest.mark.parametrize("value, limits, kw, text", [
    (0.7997, (0.8, 0.5), {"digits": 0, "scale": 100}, "79.97"),
    (0.8003, (0.8, 0.5), {"digits": 0, "scale": 100}, "80.03"),   # ok at ≥ 80 %: not "80"? 80 would read as ok too, but equal
    (0.81, (0.8, 0.5), {"digits": 0, "scale": 100}, "81"),
    (0.8, (0.8,), {"digits": 0, "scale": 100}, "80"),             # exactly on it: shown on it
    (0.3957, (0.7, 0.4), {"digits": 0, "scale": 100}, "39.6"),
    (0.8996, (0.9, 0.5), {}, "0.8996"),
    (0.2004, (0.2, 0.5), {}, "0.2004"),
    (0.04996, (0.05,), {"sign": True}, "+0.04996"),
    (0.0004, (0.0,), {"sign": True}, "+0.0004"),
    (-0.0004, (0.0,), {"sign": True}, "-0.0004"),
    (0.123, (0.5,), {"sign": True}, "+0.123"),
    (float("nan"), (0.5,), {}, "n/a"),
])
def test_beside_threshold(value, limits, kw, text):
    assert beside_threshold(value, *limits, **kw) == text


def _side(a: float, b: float) -> int:
    return (a > b) - (a < b)


def test_uniformity_ratio_just_below_its_threshold_reads_below_it():
    from embgeo.uniformity import uniformity
    from embgeo.uniformity.core import UNIFORMITY_OK

    r = uniformity(np.random.default_rng(0).normal(size=(200, 16)), seed=0)
    near = dataclasses.replace(r, uniformity=0.7997 * r.uniformity_sphere)  # ratio 0.7997 (warn below 0.8)
    v = near.verdict()
    assert v.status == "warn"
    assert "is 79.97% of the uniform-sphere value" in v.reason and "80%" in v.reason  # the threshold, and the number below it
    assert near.uniformity_ratio < UNIFORMITY_OK


def test_hyperbolic_map_and_distortion_never_read_as_their_thresholds():
    from embgeo.hyperbolic.verdicts import tree_verdict

    v = tree_verdict(0.8996, 0.1)
    assert v.status == "warn" and v.decided_by == "map" and "MAP 0.8996" in v.reason
    v = tree_verdict(0.95, 0.2004)
    assert v.status == "warn" and v.decided_by == "distortion_mean" and "mean distortion 0.2004" in v.reason
    assert "MAP 0.950" in tree_verdict(0.95, 0.1).reason  # away from a threshold: 3 decimals as before


def test_compare_cka_just_below_ok_reads_below_it():
    from embgeo.compare import compare

    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 12))
    r = compare(X, X + 0.01 * rng.normal(size=X.shape), methods=["cka"], n_bootstrap=0, seed=0)
    m = r.get("cka_linear")
    moved = dataclasses.replace(r, measures=tuple(dataclasses.replace(x, value=0.89996) if x is m else x for x in r.measures))
    v = moved.verdict()
    assert v.status == "warn" and "cka_linear 0.89996 < 0.9" in v.reason


def test_rank_rho_and_band_read_on_their_sides():
    from embgeo.rank.results import rho_texts

    band, rho = rho_texts(0.4996, float("nan"), (float("nan"), float("nan")), "regression")
    assert "ρ 0.4996 on" in rho  # below 0.5 (warn), not "0.500"
    band, rho = rho_texts(0.31204, 0.31196, (0.2, 0.4), "regression")
    shown_rho = float(rho.split("ρ ")[1].split(" ")[0])
    shown_band = float(band.split("|ρ| ")[1].split(" ")[0])
    assert _side(shown_rho, 0.31196) == 1 and _side(shown_band, 0.31204) == -1 and shown_rho > shown_band


def test_two_compared_numbers_share_a_precision_that_keeps_their_order():
    from embgeo.results import beside_each_other

    assert beside_each_other(0.31204, 0.31196) == ("0.31204", "0.31196")
    assert beside_each_other(0.7, 0.2) == ("0.700", "0.200")
    assert beside_each_other(0.25, 0.25) == ("0.250", "0.250")
    a, b = beside_each_other(0.50004, 0.1, limits_a=(0.5,))
    assert a == "0.50004" and b == "0.10000"


def test_id_intervals_judged_apart_never_read_as_touching():
    from embgeo.intrinsic.result import intervals_apart

    a, b = intervals_apart((9.7, 9.41, 10.0004), (10.3, 10.0011, 10.62))
    assert a == "9.70 [9.41, 10.000]" and b == "10.30 [10.001, 10.62]"
    a, b = intervals_apart((9.0, 8.5, 9.5), (11.0, 10.5, 11.5))  # well apart: 2 decimals as before
    assert a == "9.00 [8.50, 9.50]" and b == "11.00 [10.50, 11.50]"


def test_ball_and_plane_read_as_a_tie_when_the_rule_saw_one():
    """The audit case: MAP 0.54740 vs 0.56690 is a tie (0.0195 < 0.02) and read "0.547 vs 0.567" (0.020)."""
    from embgeo.hyperbolic.verdicts import compare_verdict

    v = compare_verdict(0.54740, 0.56690, 0.30, 0.30, dim=2)
    assert v.status == "warn" and "MAP (map_sala) 0.5474 vs 0.5669" in v.reason and "both ties" in v.reason
    v = compare_verdict(0.60, 0.50, 0.30, 0.30, dim=2)  # clear win: 3 decimals
    assert v.status == "ok" and "MAP (map_sala) 0.600 vs 0.500" in v.reason


def test_gride_plateau_reason_names_the_rule_that_accepted_it():
    """The audit case: n2 = 2..16 read 66.97, 55.10, 49.48, 49.07 (a 36 % spread), accepted because the
    spread is within the intervals, and the reason said "within 10 %"."""
    from embgeo.intrinsic.result import gride_plateau

    class G:  # the fields gride_plateau reads
        dimension = np.array([66.97, 55.10, 49.48, 49.07])
        stderr = np.array([4.8, 4.0, 3.5, 3.3])
        n2 = np.array([2, 4, 8, 16])

    p = gride_plateau(G())
    assert p is not None and p.by_interval and p.criterion(0.95) == "within their 95 % intervals (wider than 10%)"
    G.dimension = np.array([10.2, 10.0, 9.9, 9.8])
    G.stderr = np.array([0.1, 0.1, 0.1, 0.1])
    p = gride_plateau(G())
    assert p is not None and not p.by_interval and p.criterion() == "within 10%"


def test_ball_and_plane_with_a_zero_or_missing_distortion_still_give_a_verdict():
    from embgeo.hyperbolic.verdicts import compare_verdict

    assert compare_verdict(0.9, 0.8, 0.1, 0.0, dim=2).status in ("ok", "warn", "bad")  # a plane with distortion 0
    assert compare_verdict(0.9, 0.8, float("nan"), 0.2, dim=2).status in ("ok", "warn", "bad")
