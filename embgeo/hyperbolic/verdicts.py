"""The verdicts of the hyperbolic family, one rule each, shared by the CLI and the report.

- :func:`tree_verdict` — how well an embedding reproduces a hierarchy: every MAP computed
  (``map``: Nickel–Kiela; ``map_sala``: Sala et al.) and mean distortion together, the worst
  decides (``hyperbolic eval``, ``combinatorial``, ``hmds``, the report's hierarchy card);
- :func:`compare_verdict` — does the Poincaré ball fit an embedding's kNN geodesics better
  than the plane at the same dimension (``hyperbolic reembed`` and the report's re-embedding
  card): MAP (``map_sala``) and distortion of h-MDS against classical MDS, which of the two
  decided, and which side it favours.
"""
from __future__ import annotations

import numpy as np

from embgeo.errors import either, param
from embgeo.results import Verdict, beside_threshold, severity

#: tree-likeness thresholds shared by every hyperbolic verdict (CLI and report): MAP ok ≥ 0.9, warn ≥ 0.5
MAP_OK, MAP_WARN = 0.9, 0.5
#: … and mean distortion ok ≤ 0.2, warn ≤ 0.5 (relative error of distances)
DISTORTION_OK, DISTORTION_WARN = 0.2, 0.5


def map_status(v: float) -> str:
    return "ok" if v >= MAP_OK else "warn" if v >= MAP_WARN else "bad"


def distortion_status(v: float) -> str:
    return "ok" if v <= DISTORTION_OK else "warn" if v <= DISTORTION_WARN else "bad"


def fixes() -> dict:
    """The advice of :func:`tree_verdict` by what produced the coordinates (``produced_by``), naming
    the settings as the caller writes them (Python arguments, or the command line's options)."""
    train, sala = either("train_poincare", "hyperbolic train"), either("embed_hierarchy", "combinatorial")
    return {
        "train": {"warn": f"train longer ({param('epochs')}) or in more dimensions ({param('dim')})",
                  "bad": f"the hierarchy is not reproduced: check the ids and {param('orientation')} (child → parent), then train longer in more dimensions"},
        None: {"warn": f"embed in more dimensions, or refine what made the coordinates ({train}: more {param('epochs')}; "
                       f"{sala}: a smaller {param('eps')}; hmds: another {param('scale')} or {param('refine_steps', '--refine')})",
               "bad": "the hierarchy is not reproduced: check the ids and the edges' orientation, then embed in more dimensions"},
    }


#: what each MAP id measures, as the verdicts' reasons name it (one id, one definition, in every command)
MAP_IDS = {"map": "Nickel–Kiela", "map_sala": "Sala et al."}


def map_text(value: float, map_id: str) -> str:
    """``MAP 0.752 (map_sala: Sala et al.; ok ≥ 0.9, warn ≥ 0.5)``: the value with the id that holds it and its band."""
    name = MAP_IDS.get(map_id)
    return f"MAP {beside_threshold(float(value), MAP_OK, MAP_WARN, digits=3)} ({map_id}{': ' + name if name else ''}; ok ≥ {MAP_OK}, warn ≥ {MAP_WARN})"


def tree_verdict(map_value, distortion_mean, *, map_id: str = "map", more_maps: dict | None = None, what: str = "the embedding",
                 fix: str | None = None, produced_by: str | None = None) -> Verdict:
    """How well ``what`` reproduces a hierarchy, decided on every MAP given and mean distortion together.

    ``map_value`` is the MAP held by the metric id ``map_id`` (``map``: Nickel–Kiela, closure
    ancestors; ``map_sala``: Sala et al., graph neighbours); ``more_maps`` ``{id: value}`` are
    other MAPs of the same embedding, judged on the same band (``hyperbolic eval --protocol all``
    computes both). Each number gets a status (MAP: ok ≥ 0.9, warn ≥ 0.5, else bad; mean
    distortion: ok ≤ 0.2, warn ≤ 0.5, else bad); the verdict is the worst of them, so no judged
    row is worse than the verdict, and ``decided_by`` names the number that set it (on a tie:
    ``map_id`` first, then ``more_maps`` in order, then distortion — neighbours are what a
    hierarchy is read for). The reason names each MAP by its id. ``fix`` replaces the default
    advice for constructions, which otherwise fits ``produced_by`` (``"train"``: coordinates
    written by ``hyperbolic train``; ``None``: unknown, see :func:`fixes`). With only one
    number, that one decides. The CLI (``hyperbolic eval/combinatorial/hmds``) and the report's
    hierarchy card both call this rule through ``result.verdict()``.
    """
    def finite(v) -> bool:
        return v is not None and bool(np.isfinite(float(v)))

    judged = []  # (id, status, text), in tie-break order
    maps = [(map_id, map_value)] + list((more_maps or {}).items())
    for key, value in maps:
        if finite(value):
            judged.append((key, map_status(float(value)), map_text(value, key)))
    have_map = bool(judged)
    have_dist = distortion_mean is not None and not (isinstance(distortion_mean, float) and np.isnan(distortion_mean))
    if have_dist:
        judged.append(("distortion_mean", distortion_status(float(distortion_mean)),
                       f"mean distortion {beside_threshold(float(distortion_mean), DISTORTION_OK, DISTORTION_WARN, digits=3)} (ok ≤ {DISTORTION_OK}, warn ≤ {DISTORTION_WARN})"))
    if not judged:
        return Verdict("info", "no MAP or distortion was computed")
    worst = max(severity(st) for _, st, _ in judged)
    by, status, txt = next(j for j in judged if severity(j[1]) == worst)
    others = [f"{t} {'agrees' if st == status else 'is ' + st}" for key, st, t in judged if key != by]
    if not have_dist:
        others.append("distortion not computed")
    if not have_map:
        others.append("MAP not computed")
    reason = f"{what}: {txt} decides" + "".join(f"; {o}" for o in others)
    if fix is not None:
        return Verdict(status, reason, "" if status == "ok" else fix, by)
    advice = fixes()
    advice = advice.get(produced_by, advice[None])
    return Verdict(status, reason, "" if status == "ok" else advice[status], by)


#: differences below these count as a tie: MAP (absolute) and mean distortion (relative to the plane's)
MAP_TIE, DISTORTION_TIE = 0.02, 0.05
#: … and mean distortions closer than this (absolute) are a tie whatever their ratio: both are exact up to
#: round-off (MDS and h-MDS of exact data give 1e-16 … 1e-12; any distortion that matters is ≥ 1e-3)
DISTORTION_ABS_TIE = 1e-6


def compare_verdict(map_ball: float, map_plane: float, dist_ball: float, dist_plane: float, *, dim: int,
                    map_id: str = "map_sala") -> Verdict:
    """Ball against plane on MAP and mean distortion together.

    Each comparison is a win, a tie (MAP within 0.02; distortion within 5 % of the plane's, or
    within 1e-6 absolute: :data:`DISTORTION_ABS_TIE`, so that two distortions at round-off, 1e-16
    vs 1e-13, are a tie and not a 100-fold win) or a loss for the ball. ok: the ball wins one and
    loses neither (tree-like at this scale: a hyperbolic embedding helps); bad: the plane wins one
    and loses neither; warn: both tie, or they disagree. ``decided_by`` is the comparison with the
    larger margin (in units of its tie threshold); its metric id is ``map_id`` (``map_sala``:
    ``hyperbolic reembed`` scores Sala et al.'s MAP) or ``distortion_mean``. When they disagree the
    reason says which side the larger margin favours and both margins (the status stays warn: the
    other comparison says the opposite).
    """
    dm = float(map_ball) - float(map_plane)
    gain = float(dist_plane) - float(dist_ball)  # > 0: the ball's distortion is lower
    tie_d = _distortion_tie(float(dist_plane))
    sm = 0 if abs(dm) < MAP_TIE else (1 if dm > 0 else -1)
    sd = 0 if not abs(gain) >= tie_d else (1 if gain > 0 else -1)  # (a NaN distortion: a tie)
    margin = {map_id: abs(dm) / MAP_TIE, "distortion_mean": abs(gain) / tie_d}  # in units of the tie thresholds
    by = map_id if margin[map_id] >= margin["distortion_mean"] else "distortion_mean"
    if (sm >= 0 and sd >= 0 and sm + sd > 0) or (sm <= 0 and sd <= 0 and sm + sd < 0):
        by = map_id if sd == 0 else "distortion_mean" if sm == 0 else by  # the one that is not a tie decides
    mb, mp = _tie_pair(map_ball, map_plane, MAP_TIE, relative=False)
    db, dp = _tie_pair(dist_ball, dist_plane, DISTORTION_TIE, relative=True, floor=DISTORTION_ABS_TIE)
    txt = {map_id: f"MAP ({map_id}) {mb} vs {mp}", "distortion_mean": f"mean distortion {db} vs {dp}"}
    sign = {map_id: sm, "distortion_mean": sd}
    other = "distortion_mean" if by == map_id else map_id

    def reads(key: str) -> str:
        return {1: "favours the ball", -1: "favours the plane", 0: "is a tie"}[sign[key]]

    rule = (f"(ball vs plane; differences within {MAP_TIE} in MAP, or within {DISTORTION_TIE:.0%} "
            f"(or {DISTORTION_ABS_TIE:g} absolute: round-off) in distortion count as ties)")
    rest = f"{txt[other]} {reads(other)} {rule}"
    if sm >= 0 and sd >= 0 and sm + sd > 0:
        return Verdict("ok", f"at dim {dim} the Poincaré ball fits better than the plane, decided by {txt[by]}; {rest}", "", by)
    if sm <= 0 and sd <= 0 and sm + sd < 0:
        return Verdict("bad", f"at dim {dim} the plane fits better than the Poincaré ball, decided by {txt[by]}; {rest}",
                       f"a hyperbolic embedding is unlikely to help; compare at another {param('dim')} or {param('k')}", by)
    if sm == 0 and sd == 0:
        return Verdict("warn", f"at dim {dim} the ball and the plane fit alike: {txt[map_id]} and {txt['distortion_mean']} are both ties {rule}",
                       f"compare at another {param('dim')} or {param('k')}", by)
    side = "the Poincaré ball" if sign[by] > 0 else "the plane"
    return Verdict("warn", f"at dim {dim} MAP and distortion disagree, so neither wins outright; the larger margin leans to {side}: "
                           f"decided by {txt[by]}, which {reads(by)} by {beside_threshold(margin[by], 1.0, digits=1)}× its tie threshold; "
                           f"{txt[other]} {reads(other)} by {beside_threshold(margin[other], 1.0, digits=1)}× {rule}", f"compare at another {param('dim')} or {param('k')}", by)


def _distortion_tie(plane: float) -> float:
    """The distortion difference that is no longer a tie: 5 % of the plane's, at least :data:`DISTORTION_ABS_TIE`."""
    return max(DISTORTION_TIE * abs(plane), DISTORTION_ABS_TIE) if np.isfinite(plane) else DISTORTION_ABS_TIE


def _tie_pair(ball: float, plane: float, tie: float, *, relative: bool, floor: float = 0.0) -> tuple[str, str]:
    """Ball and plane at the precision (3 decimals or more) at which their shown difference is a tie
    or not as the exact one is: 0.5474 vs 0.5669 (a tie: 0.0195 < 0.02), not 0.547 vs 0.567.
    ``relative``: a tie is a difference below ``tie`` × |plane| or below ``floor`` (absolute)."""
    from decimal import Decimal

    if not (np.isfinite(ball) and np.isfinite(plane)):
        return f"{float(ball):.3f}", f"{float(plane):.3f}"

    def is_tie(a, b, t, f):
        return abs(a - b) < (max(t * abs(b), f) if relative else t)

    limit, lfloor = Decimal(repr(float(tie))), Decimal(repr(float(floor)))  # as the reader reads it, in decimal arithmetic (0.567 − 0.547 is 0.020)
    exact_tie = is_tie(float(ball), float(plane), tie, floor)
    sign = int(np.sign(float(ball) - float(plane)))
    for d in range(3, 13):
        ta, tb = f"{float(ball):.{d}f}", f"{float(plane):.{d}f}"
        a, b = Decimal(ta), Decimal(tb)
        shown = a - b
        # a tie may read as equal (0.000 vs 0.000); a win must show its side
        if is_tie(a, b, limit, lfloor) == exact_tie and (exact_tie or (shown > 0) - (shown < 0) == sign):
            return ta, tb
    return repr(float(ball)), repr(float(plane))


__all__ = ["DISTORTION_ABS_TIE", "DISTORTION_OK", "DISTORTION_TIE", "DISTORTION_WARN", "MAP_IDS", "MAP_OK", "MAP_TIE", "MAP_WARN",
           "compare_verdict", "distortion_status", "fixes", "map_status", "map_text", "tree_verdict"]
