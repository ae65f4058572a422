"""The modality gap between two row-paired sets of embeddings (e.g. image and text).

References
----------
W. Liang, Y. Zhang, Y. Kwon, S. Yeung, J. Zou, "Mind the Gap: Understanding the
Modality Gap in Multi-modal Contrastive Representation Learning", NeurIPS 2022.
C. Oh et al., "Geodesic Multi-Modal Mixup for Robust Fine-Tuning", NeurIPS 2023.
T. Wang and P. Isola, "Understanding Contrastive Representation Learning through
Alignment and Uniformity on the Hypersphere", ICML 2020.

All quantities are computed on L2-normalised rows ``x̂_i``, ``ŷ_i``; row ``i`` of
both sets is a matched (positive) pair.

- centroid gap ``‖Δ‖``, ``Δ = mean(x̂) − mean(ŷ)`` (Liang et al., §4.1);
- uniformity of each set and of their union, alignment of the pairs
  (:mod:`embgeo.uniformity.core`);
- cosines of matched pairs ``x̂_i·ŷ_i`` against random pairs ``x̂_i·ŷ_j`` (i ≠ j);
- linear separability: cross-validated accuracy of a logistic regression that
  tells ``x̂`` from ``ŷ`` (0.5 = no gap visible to a linear probe);
- the shift experiment (Liang et al., §4.2): ``x̂' = normalise(x̂ − λΔ/2)``,
  ``ŷ' = normalise(ŷ + λΔ/2)``, and how gap, uniformity, alignment and
  matched-pair retrieval (recall@1) change;
- geodesic mixup (Oh et al., m²-Mix): hard negatives on the great circle between
  a pair, ``m_λ(x̂, ŷ) = [sin(λθ) x̂ + sin((1−λ)θ) ŷ] / sin θ``, ``θ = arccos(x̂·ŷ)``,
  and their mean cosine to anchors of other pairs against ordinary negatives.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.uniformity.kernels import draw_pairs
from embgeo.uniformity.core import (
    DEFAULT_N_PAIRS,
    AlignmentResult,
    Distribution,
    UniformityResult,
    _check_confidence,
    _check_positive,
    _z,
    alignment,
    check_paired,
    summarize,
    uniformity,
)
from embgeo.results import Result, jsonable
from embgeo.validation import as_matrix, as_rng, iter_blocks

#: random cross-modal pairs drawn for the random-pair cosine distribution
RANDOM_PAIRS = 20_000
#: at most this many pairs enter the separability probe and the retrieval pool
SEPARABILITY_MAX_PAIRS = 5_000
RETRIEVAL_MAX_PAIRS = 5_000


# ----------------------------------------------------------------- results

#: verdict thresholds (embgeo's rule, also used by the report): the gap matters for retrieval when
#: removing it raises recall@1 (mean of both directions) by at least this much, its interval above 0
RECALL_GAIN_BAD = 0.05
#: default softmax temperature of the contrastive (CLIP/InfoNCE) loss: logit scale 100
DEFAULT_TEMPERATURE = 0.01
#: the ranks at which retrieval recall and zero-shot hits are reported
RETRIEVAL_KS = (1, 5, 10)
ZERO_SHOT_KS = (1, 5)


@dataclass(frozen=True, slots=True)
class Separability(Result):
    """Cross-validated accuracy of a linear probe that tells the two modalities apart."""

    accuracy: float
    std: float
    folds: np.ndarray = field(repr=False)
    n_pairs_used: int = 0
    cv: int = 5
    chance: float = 0.5
    model: str = "LogisticRegression(C=1.0)"

    def to_dict(self) -> dict:
        return {"separability_accuracy": jsonable(self.accuracy), "std": jsonable(self.std), "folds": jsonable(self.folds),
                "n_rows": self.n_pairs_used, "cv": self.cv, "chance": self.chance, "model": self.model}


@dataclass(frozen=True, slots=True)
class Retrieval(Result):
    """Matched-pair retrieval among ``n_rows`` pairs, both directions, with the contrastive loss.

    ``recall_at_k_x_to_y``: share of rows ``x̂_i`` whose matched ``ŷ_i`` is among the ``k``
    highest-cosine rows of ``Ŷ`` (rank = number of rows scoring strictly higher; ties count as hits).
    ``contrastive_loss``: the symmetric CLIP/InfoNCE loss of the cosine logits at
    ``temperature`` τ, ``½ mean_i [lse_j(s_ij/τ) − s_ii/τ] + ½ mean_j [lse_i(s_ij/τ) − s_jj/τ]``.
    ``rel_lalign_x_to_y``: mean over i of ``‖x̂_i − ŷ_i‖^α − min_{j≠i} ‖x̂_i − ŷ_j‖^α`` (m²-Mix's relative
    alignment with the hardest negative; negative is good).
    """

    n_rows: int
    temperature: float
    alpha: float
    recall_at_1_x_to_y: float
    recall_at_5_x_to_y: float
    recall_at_10_x_to_y: float
    recall_at_1_y_to_x: float
    recall_at_5_y_to_x: float
    recall_at_10_y_to_x: float
    contrastive_loss: float
    rel_lalign_x_to_y: float
    rel_lalign_y_to_x: float
    hits_x_to_y: np.ndarray = field(repr=False)  # rank of the match for each x query
    hits_y_to_x: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        return {k: jsonable(getattr(self, k)) for k in RETRIEVAL_KEYS}

    @property
    def recall_at_1(self) -> float:
        """Mean of the two directions' recall@1."""
        return (self.recall_at_1_x_to_y + self.recall_at_1_y_to_x) / 2.0


RETRIEVAL_KEYS = ("n_rows", "temperature", "alpha", "recall_at_1_x_to_y", "recall_at_5_x_to_y", "recall_at_10_x_to_y",
                  "recall_at_1_y_to_x", "recall_at_5_y_to_x", "recall_at_10_y_to_x", "contrastive_loss",
                  "rel_lalign_x_to_y", "rel_lalign_y_to_x")


@dataclass(frozen=True, slots=True)
class GapSnapshot(Result):
    """Gap, uniformity, alignment, matched cosine and retrieval of a pair of sets at one moment of the shift experiment."""

    centroid_gap: float
    uniformity_x: float
    uniformity_y: float
    uniformity_joint: float
    alignment: float
    matched_cosine_mean: float
    retrieval: Retrieval

    @property
    def recall_at_1_x_to_y(self) -> float:
        return self.retrieval.recall_at_1_x_to_y

    @property
    def recall_at_1_y_to_x(self) -> float:
        return self.retrieval.recall_at_1_y_to_x

    def to_dict(self) -> dict:
        return {"gap_centroid_distance": jsonable(self.centroid_gap), "uniformity_x": jsonable(self.uniformity_x),
                "uniformity_y": jsonable(self.uniformity_y), "uniformity_joint": jsonable(self.uniformity_joint),
                "alignment": jsonable(self.alignment), "matched_pair_cosine": jsonable(self.matched_cosine_mean),
                **self.retrieval.to_dict()}


@dataclass(frozen=True, slots=True)
class ShiftExperiment(Result):
    """Before/after removing ``fraction`` of the gap vector (``retrieval_pool`` pairs in the retrieval task).

    ``recall_at_1_gain`` = after − before of the mean recall@1 of both directions, with a normal
    interval at ``confidence`` over the 2·pool paired query outcomes (hit after − hit before).
    """

    fraction: float
    retrieval_pool: int
    before: GapSnapshot
    after: GapSnapshot
    recall_at_1_gain: float = math.nan
    gain_ci_low: float = math.nan
    gain_ci_high: float = math.nan
    confidence: float = 0.95
    direction: str = "centroid gap"

    def to_dict(self) -> dict:
        return {"fraction": self.fraction, "direction": self.direction, "retrieval_pool": self.retrieval_pool,
                "recall_at_1_gain": jsonable(self.recall_at_1_gain), "ci_low": jsonable(self.gain_ci_low),
                "ci_high": jsonable(self.gain_ci_high), "confidence": self.confidence,
                "before": self.before.to_dict(), "after": self.after.to_dict()}


@dataclass(frozen=True, slots=True)
class ShiftSweep(Result):
    """Retrieval, contrastive loss, relative alignment and zero-shot hits along a grid of shifts.

    At shift λ the rows become ``normalise(x̂ − λΔ/2)`` and ``normalise(ŷ + λΔ/2)`` (λ = 1 removes
    the centroid gap, λ < 0 enlarges it); class embeddings (zero-shot) move with ŷ. Every column
    is a list over ``shift``.
    """

    shift: np.ndarray
    centroid_gap: np.ndarray
    matched_cosine_mean: np.ndarray
    columns: dict  # metric id → array over the shifts (retrieval, loss, rel_lalign, zero-shot)
    temperature: float = DEFAULT_TEMPERATURE

    def to_dict(self) -> dict:
        return {"shift": jsonable(self.shift), "gap_centroid_distance": jsonable(self.centroid_gap),
                "matched_pair_cosine": jsonable(self.matched_cosine_mean), **{k: jsonable(v) for k, v in self.columns.items()}}

    def metrics(self) -> list:
        from embgeo.results import Metric

        rows = []
        cols = self.to_dict()
        for i, lam in enumerate(self.shift):
            for key, values in cols.items():
                if key not in ("shift",):
                    rows.append(Metric(f"sweep.{key}", values[i], extra={"shift": float(lam)}))
        return rows


@dataclass(frozen=True, slots=True)
class ZeroShot(Result):
    """Zero-shot classification: each x̂ row against the class embeddings ĉ (``n_classes`` rows).

    ``hit_at_k``: share of rows whose true class is among the ``k`` highest-cosine classes (ties count as hits).
    """

    n_rows: int
    n_classes: int
    hit_at_1: float
    hit_at_5: float
    hit_at_1_after_shift: float = math.nan
    hit_at_5_after_shift: float = math.nan

    def to_dict(self) -> dict:
        return {"n_rows": self.n_rows, "n_classes": self.n_classes, "zero_shot_hit_at_1": jsonable(self.hit_at_1),
                "zero_shot_hit_at_5": jsonable(self.hit_at_5), "zero_shot_hit_at_1_after_shift": jsonable(self.hit_at_1_after_shift),
                "zero_shot_hit_at_5_after_shift": jsonable(self.hit_at_5_after_shift)}


@dataclass(frozen=True, slots=True)
class Mixup(Result):
    """Geodesic-mixup hard negatives (Oh et al.): mean cosines to anchors of other pairs.

    ``*_negative_mean`` are exact means over all ``i ≠ j``; ``mixed_cosines``
    describes a sample of ``x̂_i·m_j`` (i ≠ j) for plots.
    """

    lam: float
    positive_mean: float
    x_anchor_negative_mean: float
    x_anchor_mixed_negative_mean: float
    y_anchor_negative_mean: float
    y_anchor_mixed_negative_mean: float
    mixed_cosines: Distribution


@dataclass(frozen=True, slots=True)
class GapResult(Result):
    """Everything :func:`modality_gap` measures (see the module docstring)."""

    n_pairs: int
    n_features: int
    centroid_gap: float
    centroid_norm_x: float
    centroid_norm_y: float
    centroid_cosine: float
    gap_vector: np.ndarray = field(repr=False)
    projection_x: Distribution = field(repr=False)
    projection_y: Distribution = field(repr=False)
    uniformity_x: UniformityResult = field(repr=False)
    uniformity_y: UniformityResult = field(repr=False)
    uniformity_joint: UniformityResult = field(repr=False)
    alignment: AlignmentResult = field(repr=False)
    matched_cosines: Distribution = field(repr=False)
    random_cosines: Distribution = field(repr=False)
    random_cosine_mean: float = math.nan
    separability: Separability | None = None
    shift: ShiftExperiment | None = None
    mixup: Mixup | None = None
    confidence: float = 0.95
    matched_ci_low: float = math.nan
    matched_ci_high: float = math.nan
    uniformity_reference_mm: float = math.nan
    sweep: ShiftSweep | None = None
    zero_shot: ZeroShot | None = None

    # ---- headline numbers (ids of metrics() and keys of to_dict())
    @property
    def recall_at_1_before(self) -> float:
        return self.shift.before.retrieval.recall_at_1 if self.shift is not None else math.nan

    @property
    def recall_at_1_after_shift(self) -> float:
        return self.shift.after.retrieval.recall_at_1 if self.shift is not None else math.nan

    def to_dict(self) -> dict:
        sh = self.shift
        return {
            "n_rows": self.n_pairs,
            "n_dims": self.n_features,
            "normalized": True,
            "gap_centroid_distance": jsonable(self.centroid_gap),
            "gap_centroid_cosine": jsonable(self.centroid_cosine),
            "centroid_norm_x": jsonable(self.centroid_norm_x),
            "centroid_norm_y": jsonable(self.centroid_norm_y),
            "matched_pair_cosine": jsonable(self.matched_cosines.mean),
            "matched_pair_cosine_ci_low": jsonable(self.matched_ci_low),
            "matched_pair_cosine_ci_high": jsonable(self.matched_ci_high),
            "random_pair_cosine": jsonable(self.random_cosine_mean),
            "separability_accuracy": None if self.separability is None else jsonable(self.separability.accuracy),
            "recall_at_1_before": jsonable(self.recall_at_1_before),
            "recall_at_1_after_shift": jsonable(self.recall_at_1_after_shift),
            "recall_at_1_gain": None if sh is None else jsonable(sh.recall_at_1_gain),
            "recall_at_1_gain_ci_low": None if sh is None else jsonable(sh.gain_ci_low),
            "recall_at_1_gain_ci_high": None if sh is None else jsonable(sh.gain_ci_high),
            "uniformity_reference_mm": jsonable(self.uniformity_reference_mm),
            "projection": {"x": self.projection_x.to_dict(), "y": self.projection_y.to_dict()},
            "uniformity": {"x": self.uniformity_x.to_dict(), "y": self.uniformity_y.to_dict(), "joint": self.uniformity_joint.to_dict()},
            "alignment": self.alignment.to_dict(),
            "cosines": {"matched": self.matched_cosines.to_dict(), "random": self.random_cosines.to_dict()},
            "separability": None if self.separability is None else self.separability.to_dict(),
            "shift": None if sh is None else sh.to_dict(),
            "mixup": None if self.mixup is None else self.mixup.to_dict(),
            "sweep": None if self.sweep is None else self.sweep.to_dict(),
            "zero_shot": None if self.zero_shot is None else self.zero_shot.to_dict(),
        }

    def metrics(self) -> list:
        """Tidy rows; ids as in :meth:`to_dict`. Retrieval rows carry the ``shift`` they were measured at
        (0 = the data as given); uniformity rows carry ``t`` and the set (``x``, ``y``, ``joint``)."""
        from embgeo.results import Metric

        v = self.verdict()
        st = lambda key: v.status if key == v.decided_by else ""  # noqa: E731
        rows = [
            Metric("n_rows", self.n_pairs), Metric("n_dims", self.n_features),
            Metric("gap_centroid_distance", self.centroid_gap, status=st("gap_centroid_distance")),
            Metric("gap_centroid_cosine", self.centroid_cosine),
            Metric("matched_pair_cosine", self.matched_cosines.mean, self.matched_ci_low, self.matched_ci_high, status=st("matched_pair_cosine")),
            Metric("random_pair_cosine", self.random_cosine_mean),
        ]
        for key, u in (("x", self.uniformity_x), ("y", self.uniformity_y), ("joint", self.uniformity_joint)):
            ci = (u.ci_low, u.ci_high) if u.mode == "sample" else (None, None)
            rows.append(Metric(f"uniformity_{key}", u.value, *ci, extra={"t": u.t}))
        rows.append(Metric("uniformity_reference_mm", self.uniformity_reference_mm, extra={"t": self.uniformity_x.t}))
        rows.append(Metric("alignment", self.alignment.value, self.alignment.ci_low, self.alignment.ci_high, extra={"alpha": self.alignment.alpha}))
        if self.separability is not None:
            rows.append(Metric("separability_accuracy", self.separability.accuracy))
        if self.shift is not None:
            sh = self.shift
            rows += [
                Metric("recall_at_1_before", self.recall_at_1_before, extra={"shift": 0.0}),
                Metric("recall_at_1_after_shift", self.recall_at_1_after_shift, extra={"shift": sh.fraction}),
                Metric("recall_at_1_gain", sh.recall_at_1_gain, sh.gain_ci_low, sh.gain_ci_high, status=st("recall_at_1_gain"), extra={"shift": sh.fraction}),
            ]
            for snap, lam in ((sh.before, 0.0), (sh.after, sh.fraction)):
                r = snap.retrieval
                for key in RETRIEVAL_KEYS[3:]:
                    rows.append(Metric(key, getattr(r, key), extra={"shift": lam}))
        if self.zero_shot is not None:
            z = self.zero_shot
            rows += [Metric(k, val) for k, val in z.to_dict().items() if k.startswith("zero_shot")]
        if self.sweep is not None:
            rows += self.sweep.metrics()
        return rows

    def verdict(self):
        """Does the gap matter for retrieval? Decided on the shift experiment and the matched pairs, not on separability.

        - ``warn`` (``matched_pair_cosine``): matched pairs are not clearly more similar than random
          cross-modal pairs (the lower end of their interval ≤ the random-pair mean): the pairing carries
          no signal, so no gap judgement is possible;
        - ``bad`` (``recall_at_1_gain``): removing the gap raises recall@1 (both directions) by
          ≥ 0.05 with the interval above 0: the gap costs retrieval;
        - ``warn`` (``recall_at_1_gain``): a smaller gain whose interval is above 0;
        - ``ok`` otherwise: the gap (however separable) leaves retrieval as it is.
        """
        from embgeo.results import Verdict

        mc, rc = self.matched_cosines.mean, self.random_cosine_mean
        sep = "" if self.separability is None else f"; a linear probe tells the sets apart {self.separability.accuracy:.0%} of the time"
        if math.isfinite(self.matched_ci_low) and self.matched_ci_low <= rc:
            return Verdict("warn", f"matched pairs are no more similar than random pairs (matched-pair cosine {mc:.3f}, "
                                   f"interval down to {self.matched_ci_low:.3f} ≤ random-pair cosine {rc:.3f}): the pairing carries no signal",
                           "check that row i of both files is the same item", "matched_pair_cosine")
        sh = self.shift
        if sh is None:
            return Verdict("info", f"centroid gap {self.centroid_gap:.3f}; no shift experiment was run", "", "gap_centroid_distance")
        g, lo, hi = sh.recall_at_1_gain, sh.gain_ci_low, sh.gain_ci_high
        nums = (f"removing the gap ({sh.direction}, shift {sh.fraction:g}) changes recall@1 from {self.recall_at_1_before:.3f} "
                f"to {self.recall_at_1_after_shift:.3f} ({g:+.3f}, {sh.confidence:.0%} interval {lo:+.3f} to {hi:+.3f})")
        ctx = f"; centroid gap {self.centroid_gap:.3f}, matched-pair cosine {mc:.3f} vs random {rc:.3f}{sep}"
        if lo > 0 and g >= RECALL_GAIN_BAD:
            return Verdict("bad", f"{nums}: at least +{RECALL_GAIN_BAD:g}, the gap costs retrieval{ctx}",
                           "subtract the gap (shift each modality by ∓Δ/2 and renormalise; gap --shift-sweep shows the best amount) "
                           "or fine-tune to close it", "recall_at_1_gain")
        if lo > 0:
            return Verdict("warn", f"{nums}: a small gain (below +{RECALL_GAIN_BAD:g}) whose interval is above 0{ctx}",
                           "subtracting the gap helps retrieval a little (gap --shift-sweep shows the best amount)", "recall_at_1_gain")
        return Verdict("ok", f"{nums}: the gap does not cost retrieval (bad at a gain ≥ +{RECALL_GAIN_BAD:g} with its interval above 0){ctx}",
                       "", "recall_at_1_gain")

    def table(self):
        rows = [
            ["n_rows × n_dims", f"{self.n_pairs} × {self.n_features}"],
            ["gap_centroid_distance ‖mean x̂ − mean ŷ‖", self.centroid_gap],
            ["centroid norms (x, y)", [self.centroid_norm_x, self.centroid_norm_y]],
            ["uniformity x", self.uniformity_x.value],
            ["uniformity y", self.uniformity_y.value],
            ["uniformity joint", self.uniformity_joint.value],
            ["uniform-sphere value", self.uniformity_x.sphere_value],
            ["uniformity_reference_mm (m²-Mix's: X twice)", self.uniformity_reference_mm],
            ["alignment", self.alignment.value],
            ["matched_pair_cosine (interval)", f"{self.matched_cosines.mean:.6g} ({self.matched_ci_low:.6g} to {self.matched_ci_high:.6g})"],
            ["random_pair_cosine", self.random_cosine_mean],
            ["matched cosine p5/p50/p95", [self.matched_cosines.quantile(q) for q in (0.05, 0.5, 0.95)]],
            ["random cosine p5/p50/p95", [self.random_cosines.quantile(q) for q in (0.05, 0.5, 0.95)]],
        ]
        if self.separability is not None:
            rows.append([f"separability_accuracy ({self.separability.cv}-fold)", self.separability.accuracy])
        if self.shift is not None:
            sh = self.shift
            b, a = sh.before, sh.after
            rows.append(["recall_at_1 before → after shift (both directions)", [self.recall_at_1_before, self.recall_at_1_after_shift]])
            rows.append(["recall_at_1_gain (interval)", f"{sh.recall_at_1_gain:+.6g} ({sh.gain_ci_low:+.6g} to {sh.gain_ci_high:+.6g})"])
            for key, label in (("centroid_gap", "gap"), ("uniformity_joint", "uniformity joint"), ("alignment", "alignment")):
                rows.append([f"shift: {label} before → after", [getattr(b, key), getattr(a, key)]])
            for key in RETRIEVAL_KEYS[3:]:
                rows.append([f"shift: {key} before → after", [getattr(b.retrieval, key), getattr(a.retrieval, key)]])
        if self.zero_shot is not None:
            z = self.zero_shot
            rows.append([f"zero-shot hit@1, hit@5 ({z.n_classes} classes)", [z.hit_at_1, z.hit_at_5]])
            rows.append(["zero-shot hit@1, hit@5 after shift", [z.hit_at_1_after_shift, z.hit_at_5_after_shift]])
        if self.mixup is not None:
            m = self.mixup
            rows.append([f"mixup λ={m.lam:g}: x-anchor cosine to negatives / mixed negatives", [m.x_anchor_negative_mean, m.x_anchor_mixed_negative_mean]])
            rows.append([f"mixup λ={m.lam:g}: y-anchor cosine to negatives / mixed negatives", [m.y_anchor_negative_mean, m.y_anchor_mixed_negative_mean]])
        return ["metric", "value"], rows


@dataclass(frozen=True, slots=True)
class PairedUniformity(Result):
    """``embgeo uniformity X --pairs Y``: both sets' uniformity, their alignment and the centroid gap.

    ``to_dict()`` keeps X's uniformity at the top (the same keys as without ``--pairs``) and adds
    ``pairs`` (Y's uniformity), ``alignment`` and ``gap``. The verdict is the worse of the two
    uniformity verdicts (alignment has no threshold of its own).
    """

    x: UniformityResult
    y: UniformityResult
    alignment: AlignmentResult
    gap: "CentroidGap"
    names: tuple = ("X", "Y")

    def to_dict(self) -> dict:
        return {**self.x.to_dict(), "pairs": self.y.to_dict(), "alignment": self.alignment.to_dict(), "gap": self.gap.to_dict()}

    def metrics(self) -> list:
        return (self.x.metrics(input=str(self.names[0])) + self.y.metrics(input=str(self.names[1]))
                + self.alignment.metrics() + self.gap.metrics())

    def verdict(self):
        from embgeo.results import Verdict, worst_verdict

        vx, vy = self.x.verdict(), self.y.verdict()
        w = worst_verdict([vx, vy])
        which = self.names[0] if w is vx else self.names[1]
        return Verdict(w.status, f"{which}: {w.reason}", w.fix, w.decided_by)

    def table(self):
        cols, rows = self.x.table()
        rows = [[f"X: {r[0]}", r[1]] for r in rows] + [["Y: uniformity", self.y.value]]
        if self.y.mode == "sample":
            rows.append([f"Y: {self.y.confidence:.0%} interval", [self.y.ci_low, self.y.ci_high]])
        al = self.alignment
        rows += [["alignment", al.value], [f"alignment {al.confidence:.0%} interval", [al.ci_low, al.ci_high]], ["alpha", al.alpha],
                 ["gap_centroid_distance (normalised rows)", self.gap.value]]
        return cols, rows


# ----------------------------------------------------------------- pieces

@dataclass(frozen=True, slots=True)
class CentroidGap(Result):
    """``value = ‖mean(x̂) − mean(ŷ)‖`` with the centroid norms and the cosine between the centroids."""

    value: float
    centroid_norm_x: float
    centroid_norm_y: float
    centroid_cosine: float
    gap_vector: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        return {"gap_centroid_distance": jsonable(self.value), "gap_centroid_cosine": jsonable(self.centroid_cosine),
                "centroid_norm_x": jsonable(self.centroid_norm_x), "centroid_norm_y": jsonable(self.centroid_norm_y)}

    def metrics(self) -> list:
        from embgeo.results import Metric

        return [Metric("gap_centroid_distance", self.value), Metric("gap_centroid_cosine", self.centroid_cosine)]


def centroid_gap(X, Y, *, names: tuple[str, str] = ("X", "Y")) -> CentroidGap:
    """The modality gap ``‖mean_i x̂_i − mean_i ŷ_i‖`` of L2-normalised rows (Liang et al. 2022, §4.1).

    ``X`` and ``Y`` (n_samples, n_features) need the same number of columns (not of
    rows). Block by block with float64 sums, so memory-mapped inputs stay on disk.
    """
    X = as_matrix(X, name=names[0], min_rows=1, allow_nonfinite=False, allow_zero_rows=False)
    Y = as_matrix(Y, name=names[1], min_rows=1, allow_nonfinite=False, allow_zero_rows=False)
    if X.shape[1] != Y.shape[1]:
        raise EmbgeoError(f"{names[0]} has {X.shape[1]} columns but {names[1]} has {Y.shape[1]}", hint="both sets must live in the same space")
    means = []
    for A in (X, Y):
        acc = np.zeros(A.shape[1], dtype=np.float64)
        for a, b in iter_blocks(A.shape[0]):
            blk = np.asarray(A[a:b], dtype=np.float64)
            acc += (blk / np.linalg.norm(blk, axis=1, keepdims=True)).sum(0)
        means.append(acc / A.shape[0])
    cx, cy = means
    delta = cx - cy
    ncx, ncy = float(np.linalg.norm(cx)), float(np.linalg.norm(cy))
    ccos = float(cx @ cy / (ncx * ncy)) if ncx > 0 and ncy > 0 else math.nan
    return CentroidGap(float(np.linalg.norm(delta)), ncx, ncy, ccos, delta)



def normalize_rows(X, *, name: str = "X") -> np.ndarray:
    """L2-normalised copy of ``X`` (n_samples, n_features); norms in float64; zero rows raise."""
    X = as_matrix(X, name=name, min_rows=2, allow_nonfinite=False, allow_zero_rows=False)
    out = np.empty(X.shape, dtype=X.dtype)
    for a, b in iter_blocks(X.shape[0]):
        blk = np.asarray(X[a:b], dtype=np.float64)
        out[a:b] = blk / np.linalg.norm(blk, axis=1, keepdims=True)
    return out


def slerp(A: np.ndarray, B: np.ndarray, lam: float) -> np.ndarray:
    """Row-wise spherical interpolation ``[sin(λθ) a + sin((1−λ)θ) b] / sin θ`` of unit rows.

    ``lam`` is the weight on ``A`` (λ = 1 gives ``A``, λ = 0 gives ``B``). Where
    ``sin θ`` is tiny (parallel or antipodal rows) the normalised linear
    interpolation is used instead.
    """
    A64, B64 = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    cos = np.clip(np.einsum("ij,ij->i", A64, B64), -1.0, 1.0)
    theta = np.arccos(cos)
    sin = np.sin(theta)
    ok = sin > 1e-6
    wa = np.where(ok, np.sin(lam * theta) / np.where(ok, sin, 1.0), lam)
    wb = np.where(ok, np.sin((1.0 - lam) * theta) / np.where(ok, sin, 1.0), 1.0 - lam)
    out = wa[:, None] * A64 + wb[:, None] * B64
    if not ok.all():
        norms = np.linalg.norm(out[~ok], axis=1, keepdims=True)
        out[~ok] = np.where(norms > 0, out[~ok] / np.where(norms > 0, norms, 1.0), A64[~ok])
    return out


def recall_at_1(Q: np.ndarray, C: np.ndarray, *, block: int = 1024) -> float:
    """Fraction of queries ``Q[i]`` whose highest-cosine row of ``C`` is ``C[i]`` (unit rows)."""
    n = Q.shape[0]
    hits = 0
    for a, b in iter_blocks(n, block):
        S = Q[a:b] @ C.T
        hits += int((S.argmax(axis=1) == np.arange(a, b)).sum())
    return hits / n


def match_ranks(Q: np.ndarray, C: np.ndarray, *, block: int = 1024) -> np.ndarray:
    """For each query ``Q[i]`` the number of rows of ``C`` whose cosine beats its match ``C[i]`` (0 = retrieved first).

    Unit rows; float64 scores; ties with the match do not count against it.
    """
    n = Q.shape[0]
    ranks = np.empty(n, dtype=np.int64)
    for a, b in iter_blocks(n, block):
        S = np.asarray(Q[a:b], dtype=np.float64) @ np.asarray(C, dtype=np.float64).T
        diag = S[np.arange(b - a), np.arange(a, b)]
        ranks[a:b] = (S > diag[:, None]).sum(axis=1)
    return ranks


def _direction_stats(Q: np.ndarray, C: np.ndarray, *, temperature: float, alpha: float, block: int = 1024):
    """Per query of ``Q`` (matched to the same row of ``C``): rank of the match, InfoNCE loss
    ``lse_j(s_ij/τ) − s_ii/τ``, and relative alignment ``‖q_i − c_i‖^α − min_{j≠i} ‖q_i − c_j‖^α`` (unit rows)."""
    n = Q.shape[0]
    ranks = np.empty(n, dtype=np.int64)
    loss = np.empty(n)
    rel = np.empty(n)
    C64 = np.asarray(C, dtype=np.float64)
    for a, b in iter_blocks(n, block):
        S = np.asarray(Q[a:b], dtype=np.float64) @ C64.T
        r = np.arange(b - a)
        diag = S[r, np.arange(a, b)].copy()
        ranks[a:b] = (S > diag[:, None]).sum(axis=1)
        L = S / temperature
        top = L.max(axis=1)
        loss[a:b] = top + np.log(np.exp(L - top[:, None]).sum(axis=1)) - diag / temperature
        S[r, np.arange(a, b)] = -np.inf
        hardest = S.max(axis=1)
        # ‖q − c‖² = 2 − 2 q·c on unit rows (clipped at 0 against round-off)
        rel[a:b] = np.maximum(2.0 - 2.0 * diag, 0.0) ** (alpha / 2.0) - np.maximum(2.0 - 2.0 * hardest, 0.0) ** (alpha / 2.0)
    return ranks, loss, rel


def retrieval(Xh: np.ndarray, Yh: np.ndarray, *, temperature: float = DEFAULT_TEMPERATURE, alpha: float = 2.0, block: int = 1024) -> Retrieval:
    """Matched-pair retrieval R@1/5/10 both ways, the symmetric contrastive loss at ``temperature``, and
    ``rel_lalign`` both ways, for unit rows ``Xh``, ``Yh`` (row i of both is a pair; at least 2 pairs)."""
    if Xh.shape[0] < 2:
        raise EmbgeoError("retrieval needs at least 2 pairs")
    rx, lx, relx = _direction_stats(Xh, Yh, temperature=temperature, alpha=alpha, block=block)
    ry, ly, rely = _direction_stats(Yh, Xh, temperature=temperature, alpha=alpha, block=block)
    rec = {f"recall_at_{k}_{d}": float((r < k).mean()) for d, r in (("x_to_y", rx), ("y_to_x", ry)) for k in RETRIEVAL_KS}
    return Retrieval(
        n_rows=int(Xh.shape[0]), temperature=float(temperature), alpha=float(alpha), **rec,
        contrastive_loss=float((lx.mean() + ly.mean()) / 2.0), rel_lalign_x_to_y=float(relx.mean()),
        rel_lalign_y_to_x=float(rely.mean()), hits_x_to_y=rx, hits_y_to_x=ry,
    )


def zero_shot_ranks(Xh: np.ndarray, Ch: np.ndarray, labels: np.ndarray, *, block: int = 4096) -> np.ndarray:
    """Rank of the true class ``Ch[labels[i]]`` among all classes for each unit row ``Xh[i]`` (0 = top; ties count as hits)."""
    n = Xh.shape[0]
    ranks = np.empty(n, dtype=np.int64)
    C64 = np.asarray(Ch, dtype=np.float64)
    for a, b in iter_blocks(n, block):
        S = np.asarray(Xh[a:b], dtype=np.float64) @ C64.T
        true = S[np.arange(b - a), labels[a:b]]
        ranks[a:b] = (S > true[:, None]).sum(axis=1)
    return ranks


def parse_sweep(spec: str) -> np.ndarray:
    """``"START:STOP:STEP"`` (both ends included, e.g. ``-1:2:0.1``) or a comma list → the shift grid."""
    text = str(spec).strip()
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) != 3:
                raise ValueError
            a, b, step = parts
            if not (step > 0 and b >= a and math.isfinite(a) and math.isfinite(b)):
                raise ValueError
            count = int(math.floor((b - a) / step + 1e-9)) + 1
            if count > 1001:
                raise EmbgeoError(f"the shift sweep {spec!r} has {count} steps; at most 1001", hint="use a larger step")
            return np.round(a + step * np.arange(count), 12)
        values = np.array([float(p) for p in text.split(",") if p.strip()])
        if values.size == 0 or not np.isfinite(values).all():
            raise ValueError
        return values
    except ValueError:
        raise EmbgeoError(f"cannot read the shift sweep {spec!r}", hint="write START:STOP:STEP with STEP > 0 (e.g. -1:2:0.1) or a comma list") from None


def linear_separability(Xh: np.ndarray, Yh: np.ndarray, *, cv: int = 5, max_pairs: int = SEPARABILITY_MAX_PAIRS, seed=0) -> Separability:
    """Cross-validated accuracy of ``LogisticRegression`` telling rows of ``Xh`` (label 0) from ``Yh`` (label 1).

    Folds split pairs, so both members of a pair are always on the same side
    (no leakage through the pairing); at most ``max_pairs`` random pairs are used.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    if not isinstance(cv, (int, np.integer)) or cv < 2:
        raise EmbgeoError(f"cv must be an integer of at least 2, got {cv!r}")
    rng = as_rng(seed)
    n = Xh.shape[0]
    if n < cv:
        raise EmbgeoError(f"{n} pairs are too few for {cv}-fold cross-validation", hint="use fewer folds")
    take = np.sort(rng.choice(n, size=min(n, max_pairs), replace=False))
    Xs, Ys = np.asarray(Xh[take], dtype=np.float64), np.asarray(Yh[take], dtype=np.float64)
    m = take.size
    folds = []
    splitter = KFold(n_splits=int(cv), shuffle=True, random_state=int(rng.integers(2**31 - 1)))
    for train, test in splitter.split(np.arange(m)):
        Xtr = np.vstack([Xs[train], Ys[train]])
        ytr = np.r_[np.zeros(train.size), np.ones(train.size)]
        Xte = np.vstack([Xs[test], Ys[test]])
        yte = np.r_[np.zeros(test.size), np.ones(test.size)]
        clf = LogisticRegression(C=1.0, max_iter=2000)
        clf.fit(Xtr, ytr)
        folds.append(float((clf.predict(Xte) == yte).mean()))
    folds = np.array(folds)
    return Separability(accuracy=float(folds.mean()), std=float(folds.std(ddof=1)), folds=folds, n_pairs_used=int(m), cv=int(cv))


def _mixup(Xh: np.ndarray, Yh: np.ndarray, lam: float, rng: np.random.Generator, n_random: int) -> Mixup:
    n = Xh.shape[0]
    M = slerp(Xh, Yh, lam)
    X64, Y64 = np.asarray(Xh, dtype=np.float64), np.asarray(Yh, dtype=np.float64)
    sx, sy, sm = X64.sum(0), Y64.sum(0), M.sum(0)
    pairs = n * (n - 1)
    # mean over i ≠ j of a_i·b_j = (Σa · Σb − Σ_i a_i·b_i) / (n(n−1)), exact in O(n d)
    off = lambda sa, sb, A, B: float((sa @ sb - np.einsum("ij,ij->", A, B)) / pairs)  # noqa: E731
    i, j = draw_pairs(n, n_random, rng)
    mixed = np.einsum("ij,ij->i", X64[i], M[j])
    return Mixup(
        lam=lam,
        positive_mean=float(np.einsum("ij,ij->", X64, Y64) / n),
        x_anchor_negative_mean=off(sx, sy, X64, Y64),
        x_anchor_mixed_negative_mean=off(sx, sm, X64, M),
        y_anchor_negative_mean=off(sy, sx, Y64, X64),
        y_anchor_mixed_negative_mean=off(sy, sm, Y64, M),
        mixed_cosines=summarize(mixed, what="cosine of x anchors to mixed negatives of other pairs", exact=False, value_range=(-1.0, 1.0)),
    )


# ----------------------------------------------------------------- the analysis

def modality_gap(
    X,
    Y,
    *,
    t: float = 2.0,
    alpha: float = 2.0,
    mode: str = "auto",
    n_pairs: int = DEFAULT_N_PAIRS,
    confidence: float = 0.95,
    seed=0,
    device: str | None = None,
    block: int | None = None,
    cv: int = 5,
    separability_max_pairs: int = SEPARABILITY_MAX_PAIRS,
    shift_fraction: float = 1.0,
    retrieval_max_pairs: int = RETRIEVAL_MAX_PAIRS,
    mixup_lambda: float = 0.5,
    random_pairs: int = RANDOM_PAIRS,
    separability: bool = True,
    temperature: float = DEFAULT_TEMPERATURE,
    direction=None,
    sweep=None,
    classes=None,
    class_labels=None,
    names: tuple[str, str] = ("X", "Y"),
) -> GapResult:
    """The modality gap between row-paired ``X`` and ``Y`` (n_samples, n_features), on L2-normalised rows.

    Defaults: ``t = 2`` (uniformity), ``α = 2`` (alignment, ``rel_lalign``), uniformity ``mode="auto"``
    (exact up to 20 000 rows, sampled with ``n_pairs`` pairs above; the joint set
    has 2·n_samples rows), ``cv = 5`` folds on at most 5 000 pairs for the
    separability probe, the full gap removed in the shift experiment
    (``shift_fraction = 1``) with retrieval among at most 5 000 pairs, the contrastive loss
    at ``temperature = 0.01`` (CLIP's logit scale 100), and mixup at ``λ = 0.5``. ``block`` sets
    the rows per tile of the exact uniformity sums (memory ~ block × n).

    ``direction`` (n_features,): the vector Δ to shift by instead of this data's
    ``mean x̂ − mean ŷ`` (e.g. a gap measured on another dataset); rows move to
    ``normalise(x̂ − λΔ/2)`` and ``normalise(ŷ + λΔ/2)``. ``sweep``: shift values λ at which
    retrieval, contrastive loss, ``rel_lalign`` and zero-shot hits are measured (λ < 0 enlarges
    the gap). ``classes`` (n_classes, n_features) with ``class_labels`` (n_samples,) integer class
    of each X row: zero-shot Hit@1/5 of X against the classes (the classes move with Y in a shift).
    See the module docstring for the formulas and papers (Liang et al. 2022; Oh et al. 2023; Wang & Isola 2020).
    """
    t = _check_positive("t", t)
    alpha = _check_positive("alpha", alpha)
    temperature = _check_positive("temperature", temperature)
    confidence = _check_confidence(confidence)
    if not (0.0 <= float(mixup_lambda) <= 1.0):
        raise EmbgeoError(f"mixup_lambda must lie in [0, 1], got {mixup_lambda!r}")
    if not (math.isfinite(float(shift_fraction)) and 0.0 <= float(shift_fraction) <= 2.0):
        raise EmbgeoError(f"shift_fraction must lie in [0, 2] (1 removes the whole gap), got {shift_fraction!r}")
    rng = as_rng(seed)
    Xh = normalize_rows(X, name=names[0])
    Yh = normalize_rows(Y, name=names[1])
    check_paired(Xh, Yh, names=names)
    n, d = Xh.shape
    cg = centroid_gap(Xh, Yh, names=names)
    delta, gap, ncx, ncy, ccos = cg.gap_vector, cg.value, cg.centroid_norm_x, cg.centroid_norm_y, cg.centroid_cosine
    u = delta / gap if gap > 0 else np.zeros(d)
    shift_vec, shift_name = delta, "centroid gap"
    if direction is not None:
        shift_vec = np.asarray(direction, dtype=np.float64).ravel()
        if shift_vec.shape != (d,):
            raise EmbgeoError(f"the direction has {shift_vec.size} values but the embeddings have {d} columns",
                              hint="use a gap vector measured in the same space (same model)")
        if not np.isfinite(shift_vec).all():
            raise EmbgeoError("the direction holds NaN or inf")
        shift_name = "given direction"
    if classes is not None:
        Ch = normalize_rows(classes, name="classes")
        if Ch.shape[1] != d:
            raise EmbgeoError(f"the classes have {Ch.shape[1]} columns but {names[0]} has {d}", hint="class embeddings must come from the same model")
        labels = np.asarray(class_labels)
        if labels.shape != (n,) or labels.dtype.kind not in "iu":
            raise EmbgeoError(f"class_labels must be {n} integer class indices (one per row of {names[0]})")
        if labels.size and (labels.min() < 0 or labels.max() >= Ch.shape[0]):
            raise EmbgeoError(f"class labels must lie in 0..{Ch.shape[0] - 1} (the rows of the classes file)")
    sweep = None if sweep is None else np.asarray(sweep, dtype=np.float64).ravel()

    ukw = dict(t=t, mode=mode, n_pairs=n_pairs, confidence=confidence, device=device, block=block)
    seeds = rng.integers(2**31 - 1, size=8)
    ux = uniformity(Xh, seed=int(seeds[0]), name=names[0], **ukw)
    uy = uniformity(Yh, seed=int(seeds[1]), name=names[1], **ukw)
    uj = uniformity(np.vstack([Xh, Yh]), seed=int(seeds[2]), name=f"{names[0]}+{names[1]}", **ukw)
    al = alignment(Xh, Yh, alpha=alpha, confidence=confidence, names=names)

    X64, Y64 = Xh.astype(np.float64), Yh.astype(np.float64)
    matched = np.einsum("ij,ij->i", X64, Y64)
    z = _z(confidence)
    m_se = float(matched.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    i, j = draw_pairs(n, random_pairs, as_rng(int(seeds[3])))
    rand = np.einsum("ij,ij->i", X64[i], Y64[j])
    rand_mean = float((X64.sum(0) @ Y64.sum(0) - matched.sum()) / (n * (n - 1)))

    sep = linear_separability(Xh, Yh, cv=cv, max_pairs=separability_max_pairs, seed=int(seeds[4])) if separability else None

    # the shift experiment (Liang et al. §4.2)
    lam = float(shift_fraction)
    Xs, Ys = shifted(X64, Y64, shift_vec, lam, names=names)
    pool = np.sort(as_rng(int(seeds[5])).choice(n, size=min(n, retrieval_max_pairs), replace=False))
    rkw = dict(temperature=temperature, alpha=alpha)
    r_before = retrieval(X64[pool], Y64[pool], **rkw)
    r_after = retrieval(Xs[pool], Ys[pool], **rkw)
    before = GapSnapshot(centroid_gap=gap, uniformity_x=ux.value, uniformity_y=uy.value, uniformity_joint=uj.value,
                         alignment=al.value, matched_cosine_mean=float(matched.mean()), retrieval=r_before)
    after = GapSnapshot(
        centroid_gap=float(np.linalg.norm(Xs.mean(0) - Ys.mean(0))),
        uniformity_x=uniformity(Xs, seed=int(seeds[0]), name=names[0], **ukw).value,
        uniformity_y=uniformity(Ys, seed=int(seeds[1]), name=names[1], **ukw).value,
        uniformity_joint=uniformity(np.vstack([Xs, Ys]), seed=int(seeds[2]), name=f"{names[0]}+{names[1]}", **ukw).value,
        alignment=alignment(Xs, Ys, alpha=alpha, names=names).value,
        matched_cosine_mean=float(np.einsum("ij,ij->", Xs, Ys) / n), retrieval=r_after,
    )
    # paired outcomes of the 2·pool queries: hit after − hit before
    diff = np.concatenate([(r_after.hits_x_to_y == 0).astype(float) - (r_before.hits_x_to_y == 0),
                           (r_after.hits_y_to_x == 0).astype(float) - (r_before.hits_y_to_x == 0)])
    gain = float(diff.mean())
    g_se = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else math.nan
    shift = ShiftExperiment(fraction=lam, retrieval_pool=int(pool.size), before=before, after=after, recall_at_1_gain=gain,
                            gain_ci_low=gain - z * g_se, gain_ci_high=gain + z * g_se, confidence=confidence, direction=shift_name)
    mix = _mixup(Xh, Yh, float(mixup_lambda), as_rng(int(seeds[6])), random_pairs)

    zs = None
    if classes is not None:
        hit = lambda r, k: float((r < k).mean())  # noqa: E731
        r0 = zero_shot_ranks(X64, Ch, labels)
        Cs = _renormalize(np.asarray(Ch, dtype=np.float64) + lam * shift_vec / 2.0, name="classes after the shift")
        r1 = zero_shot_ranks(Xs, Cs, labels)
        zs = ZeroShot(n_rows=n, n_classes=int(Ch.shape[0]), hit_at_1=hit(r0, 1), hit_at_5=hit(r0, 5),
                      hit_at_1_after_shift=hit(r1, 1), hit_at_5_after_shift=hit(r1, 5))
    sw = None
    if sweep is not None and sweep.size:
        cols: dict[str, list] = {}
        gaps, mcs = [], []
        for lam_k in sweep:
            Xk, Yk = shifted(X64, Y64, shift_vec, float(lam_k), names=names)
            gaps.append(float(np.linalg.norm(Xk.mean(0) - Yk.mean(0))))
            mcs.append(float(np.einsum("ij,ij->", Xk, Yk) / n))
            rk = retrieval(Xk[pool], Yk[pool], **rkw)
            for key in RETRIEVAL_KEYS[3:]:
                cols.setdefault(key, []).append(getattr(rk, key))
            if classes is not None:
                Ck = _renormalize(np.asarray(Ch, dtype=np.float64) + float(lam_k) * shift_vec / 2.0, name="classes after the shift")
                rz = zero_shot_ranks(Xk, Ck, labels)
                for kk in ZERO_SHOT_KS:
                    cols.setdefault(f"zero_shot_hit_at_{kk}", []).append(float((rz < kk).mean()))
        sw = ShiftSweep(shift=sweep, centroid_gap=np.array(gaps), matched_cosine_mean=np.array(mcs),
                        columns={k: np.array(v) for k, v in cols.items()}, temperature=temperature)

    # the m²-Mix reference's "multimodal uniformity": lunif(cat[x̂, x̂]) — X twice. Its pairs: the n(n−1)/2
    # pairs of X four times, plus n identical pairs (kernel 1), over n(2n−1) pairs
    log_s = ux.value + math.log(n * (n - 1) / 2.0)
    ref_mm = float(np.logaddexp(math.log(4.0) + log_s, math.log(n)) - math.log(n * (2 * n - 1)))

    proj_range = (-1.0, 1.0)
    return GapResult(
        n_pairs=n, n_features=d, centroid_gap=gap, centroid_norm_x=ncx, centroid_norm_y=ncy, centroid_cosine=ccos,
        gap_vector=delta,
        projection_x=summarize(X64 @ u, what="projection of x̂ on the gap direction", exact=True, value_range=proj_range),
        projection_y=summarize(Y64 @ u, what="projection of ŷ on the gap direction", exact=True, value_range=proj_range),
        uniformity_x=ux, uniformity_y=uy, uniformity_joint=uj, alignment=al,
        matched_cosines=summarize(matched, what="cosine of matched pairs", exact=True, value_range=(-1.0, 1.0)),
        random_cosines=summarize(rand, what="cosine of random cross-modal pairs", exact=False, value_range=(-1.0, 1.0)),
        random_cosine_mean=rand_mean, separability=sep, shift=shift, mixup=mix, confidence=confidence,
        matched_ci_low=float(matched.mean() - z * m_se), matched_ci_high=float(matched.mean() + z * m_se),
        uniformity_reference_mm=ref_mm, sweep=sw, zero_shot=zs,
    )


def shifted(X64: np.ndarray, Y64: np.ndarray, delta: np.ndarray, lam: float, *, names=("X", "Y")) -> tuple[np.ndarray, np.ndarray]:
    """``normalise(x̂ − λΔ/2)``, ``normalise(ŷ + λΔ/2)``: λ = 1 removes the gap Δ, λ < 0 enlarges it."""
    return (_renormalize(X64 - lam * delta / 2.0, name=f"{names[0]} after the shift"),
            _renormalize(Y64 + lam * delta / 2.0, name=f"{names[1]} after the shift"))


def _renormalize(A: np.ndarray, *, name: str) -> np.ndarray:
    norms = np.linalg.norm(A, axis=1, keepdims=True)
    zero = np.flatnonzero(norms[:, 0] == 0)
    if zero.size:
        raise EmbgeoError(f"{name}: rows {', '.join(map(str, zero[:5]))} became zero and cannot be normalised", hint="use a shift fraction below 1")
    return A / norms
