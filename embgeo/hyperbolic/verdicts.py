"""The verdicts of the hyperbolic family, one rule each, shared by the CLI and the report.

- :func:`tree_verdict` — how well an embedding reproduces a hierarchy: MAP and mean
  distortion together, the worse of the two decides (``hyperbolic eval``, ``combinatorial``,
  ``hmds``, the report's hierarchy card);
- :func:`compare_verdict` — does the Poincaré ball fit an embedding's kNN geodesics better
  than the plane at the same dimension (``hyperbolic reembed`` and the report's re-embedding
  card): MAP and distortion of h-MDS against classical MDS, and which of the two decided.
"""
from __future__ import annotations

import numpy as np

from embgeo.results import Verdict, severity

#: tree-likeness thresholds shared by every hyperbolic verdict (CLI and report): MAP ok ≥ 0.9, warn ≥ 0.5
MAP_OK, MAP_WARN = 0.9, 0.5
#: … and mean distortion ok ≤ 0.2, warn ≤ 0.5 (relative error of distances)
DISTORTION_OK, DISTORTION_WARN = 0.2, 0.5


def map_status(v: float) -> str:
    return "ok" if v >= MAP_OK else "warn" if v >= MAP_WARN else "bad"


def distortion_status(v: float) -> str:
    return "ok" if v <= DISTORTION_OK else "warn" if v <= DISTORTION_WARN else "bad"


#: the advice of :func:`tree_verdict` by what produced the coordinates (``produced_by``)
FIXES = {
    "train": {"warn": "train longer (--epochs) or in more dimensions (--dim)",
              "bad": "the hierarchy is not reproduced: check the ids and --orientation (child → parent), then train longer in more dimensions"},
    None: {"warn": "embed in more dimensions, or refine what made the coordinates (hyperbolic train: more --epochs; "
                   "combinatorial: a smaller --eps; hmds: another --scale or --refine)",
           "bad": "the hierarchy is not reproduced: check the ids and the edges' orientation, then embed in more dimensions"},
}


def tree_verdict(map_value, distortion_mean, *, map_id: str = "map", what: str = "the embedding", fix: str | None = None,
                 produced_by: str | None = None) -> Verdict:
    """How well ``what`` reproduces a hierarchy, decided on MAP and mean distortion together.

    Each number gets a status (MAP: ok ≥ 0.9, warn ≥ 0.5, else bad; mean distortion: ok ≤ 0.2,
    warn ≤ 0.5, else bad); the verdict is the worse of the two and ``decided_by`` names the
    number that set it (MAP when both agree: neighbours are what a hierarchy is read for); ``fix``
    replaces the default advice for constructions, which otherwise fits ``produced_by``
    (``"train"``: coordinates written by ``hyperbolic train``; ``None``: unknown, see
    :data:`FIXES`). With
    only one of them, that one decides. The CLI (``hyperbolic eval/combinatorial/hmds``) and the
    report's hierarchy card both call this rule through ``result.verdict()``.
    """
    have_map = map_value is not None and np.isfinite(map_value)
    have_dist = distortion_mean is not None and not (isinstance(distortion_mean, float) and np.isnan(distortion_mean))
    if not have_map and not have_dist:
        return Verdict("info", "no MAP or distortion was computed")
    m_st = map_status(float(map_value)) if have_map else None
    d_st = distortion_status(float(distortion_mean)) if have_dist else None
    m_txt = f"MAP {float(map_value):.3f} (ok ≥ {MAP_OK}, warn ≥ {MAP_WARN})" if have_map else ""
    d_txt = f"mean distortion {float(distortion_mean):.3f} (ok ≤ {DISTORTION_OK}, warn ≤ {DISTORTION_WARN})" if have_dist else ""
    if have_map and (not have_dist or severity(m_st) >= severity(d_st)):
        status, by = m_st, map_id
        other = f"; {d_txt} agrees" if have_dist and d_st == m_st else (f"; {d_txt} is {d_st}" if have_dist else "; distortion not computed")
        reason = f"{what}: {m_txt} decides{other}"
    else:
        status, by = d_st, "distortion_mean"
        other = f"; {m_txt} is {m_st}" if have_map else "; MAP not computed"
        reason = f"{what}: {d_txt} decides{other}"
    if fix is not None:
        return Verdict(status, reason, "" if status == "ok" else fix, by)
    advice = FIXES.get(produced_by, FIXES[None])
    return Verdict(status, reason, "" if status == "ok" else advice[status], by)


#: differences below these count as a tie: MAP (absolute) and mean distortion (relative to the plane's)
MAP_TIE, DISTORTION_TIE = 0.02, 0.05


def compare_verdict(map_ball: float, map_plane: float, dist_ball: float, dist_plane: float, *, dim: int) -> Verdict:
    """Ball against plane on MAP and mean distortion together.

    Each comparison is a win, a tie (MAP within 0.02; distortion within 5 % of the plane's) or a
    loss for the ball. ok: the ball wins one and loses neither (tree-like at this scale: a
    hyperbolic embedding helps); bad: the plane wins one and loses neither; warn: both tie, or
    they disagree. ``decided_by`` is the comparison with the larger margin (in units of its tie
    threshold); its metric id is ``map`` or ``distortion_mean``.
    """
    dm = float(map_ball) - float(map_plane)
    dd = (float(dist_plane) - float(dist_ball)) / max(abs(float(dist_plane)), 1e-300)
    sm = 0 if abs(dm) < MAP_TIE else (1 if dm > 0 else -1)
    sd = 0 if abs(dd) < DISTORTION_TIE else (1 if dd > 0 else -1)
    by = "map" if abs(dm) / MAP_TIE >= abs(dd) / DISTORTION_TIE else "distortion_mean"
    if (sm >= 0 and sd >= 0 and sm + sd > 0) or (sm <= 0 and sd <= 0 and sm + sd < 0):
        by = "map" if sd == 0 else "distortion_mean" if sm == 0 else by  # the one that is not a tie decides
    txt = {"map": f"MAP {map_ball:.3f} vs {map_plane:.3f}", "distortion_mean": f"mean distortion {dist_ball:.3f} vs {dist_plane:.3f}"}
    sign = {"map": sm, "distortion_mean": sd}
    other = "distortion_mean" if by == "map" else "map"

    def reads(key: str) -> str:
        return {1: "favours the ball", -1: "favours the plane", 0: "is a tie"}[sign[key]]

    rule = f"(ball vs plane; differences within {MAP_TIE} in MAP or {DISTORTION_TIE:.0%} in distortion count as ties)"
    rest = f"{txt[other]} {reads(other)} {rule}"
    if sm >= 0 and sd >= 0 and sm + sd > 0:
        return Verdict("ok", f"at dim {dim} the Poincaré ball fits better than the plane, decided by {txt[by]}; {rest}", "", by)
    if sm <= 0 and sd <= 0 and sm + sd < 0:
        return Verdict("bad", f"at dim {dim} the plane fits better than the Poincaré ball, decided by {txt[by]}; {rest}",
                       "a hyperbolic embedding is unlikely to help; compare at another --dim or --k", by)
    if sm == 0 and sd == 0:
        return Verdict("warn", f"at dim {dim} the ball and the plane fit alike: {txt['map']} and {txt['distortion_mean']} are both ties {rule}",
                       "compare at another --dim or --k", by)
    return Verdict("warn", f"at dim {dim} MAP and distortion disagree; the larger margin decides: {txt[by]} {reads(by)}, "
                           f"{rest}", "compare at another --dim or --k", by)


__all__ = ["DISTORTION_OK", "DISTORTION_TIE", "DISTORTION_WARN", "FIXES", "MAP_OK", "MAP_TIE", "MAP_WARN", "compare_verdict",
           "distortion_status", "map_status", "tree_verdict"]
