"""The result dataclasses of the modality gap (:func:`embgeo.uniformity.gap.modality_gap`) and of
``embgeo uniformity X --pairs Y`` (:class:`PairedUniformity`), with their JSON keys, tidy metric rows,
verdicts and tables.

- :class:`GapResult` — everything :func:`~embgeo.uniformity.gap.modality_gap` measures, and the
  verdict (does removing the gap raise retrieval recall?);
- its parts: :class:`CentroidGap`, :class:`Separability`, :class:`Retrieval`,
  :class:`GapSnapshot`, :class:`ShiftExperiment`, :class:`ShiftSweep`, :class:`ZeroShot`, :class:`Mixup`;
- :class:`PairedUniformity` — two sets' uniformity, their alignment and the centroid gap.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, fields

import numpy as np

from embgeo.errors import either
from embgeo.arguments import former_keywords, renamed_attribute
from embgeo.results import Result, jsonable
from embgeo.uniformity.core import AlignmentResult, UniformityResult
from embgeo.uniformity.stats import Distribution


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
    fold_accuracy: np.ndarray = field(repr=False)
    n_pairs_used: int = 0
    n_folds: int = 5
    chance: float = 0.5
    model: str = "LogisticRegression(C=1.0)"

    def to_dict(self) -> dict:
        # "folds" is the fold count, as in rank and layers; the per-fold accuracies are "fold_accuracy"
        return {"separability_accuracy": jsonable(self.accuracy), "std": jsonable(self.std), "fold_accuracy": jsonable(self.fold_accuracy),
                "n_rows": self.n_pairs_used, "folds": self.n_folds, "chance": self.chance, "model": self.model}

    @property
    def cv(self) -> int:
        """The former name of ``n_folds`` (DeprecationWarning)."""
        warnings.warn("Separability.cv is now Separability.n_folds", DeprecationWarning, stacklevel=2)
        return self.n_folds

    @property
    def folds(self) -> np.ndarray:
        """The former name of ``fold_accuracy`` (DeprecationWarning)."""
        warnings.warn("Separability.folds is now Separability.fold_accuracy", DeprecationWarning, stacklevel=2)
        return self.fold_accuracy


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


def sweep_hint() -> str:
    """Where the best shift is measured, as the caller writes it."""
    return either("modality_gap(X, Y, sweep=[…])", "gap --shift-sweep")


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
    A ``k`` of at least ``n_classes`` (hit rate 1 whatever the embeddings) is left out: NaN (JSON null,
    no metric row), and ``note`` says so.
    """

    n_rows: int
    n_classes: int
    hit_at_1: float
    hit_at_5: float
    hit_at_1_after_shift: float = math.nan
    hit_at_5_after_shift: float = math.nan
    note: str = ""

    def to_dict(self) -> dict:
        return {"n_rows": self.n_rows, "n_classes": self.n_classes, "zero_shot_hit_at_1": jsonable(self.hit_at_1),
                "zero_shot_hit_at_5": jsonable(self.hit_at_5), "zero_shot_hit_at_1_after_shift": jsonable(self.hit_at_1_after_shift),
                "zero_shot_hit_at_5_after_shift": jsonable(self.hit_at_5_after_shift), "note": self.note or None}


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

    def to_dict(self) -> dict:
        """The fields, λ under ``lambda`` (the ``--lambda`` that set it; ``lam`` is its Python name)."""
        d = {f.name: jsonable(getattr(self, f.name)) for f in fields(self)}
        return {"lambda": d.pop("lam"), **d}


@former_keywords("GapResult", n_pairs="n_rows", n_features="n_dims", centroid_gap="gap_centroid_distance",
                 centroid_cosine="gap_centroid_cosine", random_cosine_mean="random_pair_cosine",
                 matched_ci_low="matched_pair_cosine_ci_low", matched_ci_high="matched_pair_cosine_ci_high")
@dataclass(frozen=True, slots=True)
class GapResult(Result):
    """Everything :func:`modality_gap` measures (see the module docstring). The scalar attributes are named as
    the JSON keys of :meth:`to_dict` (``n_pairs``, ``n_features``, ``centroid_gap``, ``centroid_cosine``,
    ``random_cosine_mean``, ``matched_ci_low``, ``matched_ci_high`` are their former names, DeprecationWarning)."""

    n_rows: int
    n_dims: int
    gap_centroid_distance: float
    centroid_norm_x: float
    centroid_norm_y: float
    gap_centroid_cosine: float
    gap_vector: np.ndarray = field(repr=False)
    projection_x: Distribution = field(repr=False)
    projection_y: Distribution = field(repr=False)
    uniformity_x: UniformityResult = field(repr=False)
    uniformity_y: UniformityResult = field(repr=False)
    uniformity_joint: UniformityResult = field(repr=False)
    alignment: AlignmentResult = field(repr=False)
    matched_cosines: Distribution = field(repr=False)
    random_cosines: Distribution = field(repr=False)
    random_pair_cosine: float = math.nan
    separability: Separability | None = None
    shift: ShiftExperiment | None = None
    mixup: Mixup | None = None
    confidence: float = 0.95
    matched_pair_cosine_ci_low: float = math.nan
    matched_pair_cosine_ci_high: float = math.nan
    uniformity_reference_mm: float = math.nan
    sweep: ShiftSweep | None = None
    zero_shot: ZeroShot | None = None

    n_pairs = renamed_attribute("GapResult", "n_pairs", "n_rows")
    n_features = renamed_attribute("GapResult", "n_features", "n_dims")
    centroid_gap = renamed_attribute("GapResult", "centroid_gap", "gap_centroid_distance")
    centroid_cosine = renamed_attribute("GapResult", "centroid_cosine", "gap_centroid_cosine")
    random_cosine_mean = renamed_attribute("GapResult", "random_cosine_mean", "random_pair_cosine")
    matched_ci_low = renamed_attribute("GapResult", "matched_ci_low", "matched_pair_cosine_ci_low")
    matched_ci_high = renamed_attribute("GapResult", "matched_ci_high", "matched_pair_cosine_ci_high")

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
            "n_rows": self.n_rows,
            "n_dims": self.n_dims,
            "normalized": True,
            "gap_centroid_distance": jsonable(self.gap_centroid_distance),
            "gap_centroid_cosine": jsonable(self.gap_centroid_cosine),
            "centroid_norm_x": jsonable(self.centroid_norm_x),
            "centroid_norm_y": jsonable(self.centroid_norm_y),
            "matched_pair_cosine": jsonable(self.matched_cosines.mean),
            "matched_pair_cosine_ci_low": jsonable(self.matched_pair_cosine_ci_low),
            "matched_pair_cosine_ci_high": jsonable(self.matched_pair_cosine_ci_high),
            "random_pair_cosine": jsonable(self.random_pair_cosine),
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
            Metric("n_rows", self.n_rows), Metric("n_dims", self.n_dims),
            Metric("gap_centroid_distance", self.gap_centroid_distance, status=st("gap_centroid_distance")),
            Metric("gap_centroid_cosine", self.gap_centroid_cosine),
            Metric("matched_pair_cosine", self.matched_cosines.mean, self.matched_pair_cosine_ci_low, self.matched_pair_cosine_ci_high,
                   status=st("matched_pair_cosine")),
            Metric("random_pair_cosine", self.random_pair_cosine),
        ]
        for key, u in (("x", self.uniformity_x), ("y", self.uniformity_y), ("joint", self.uniformity_joint)):
            ci = (u.ci_low, u.ci_high) if u.mode == "sample" else (None, None)
            rows.append(Metric(f"uniformity_{key}", u.uniformity, *ci, extra={"t": u.t}))
        rows.append(Metric("uniformity_reference_mm", self.uniformity_reference_mm, extra={"t": self.uniformity_x.t}))
        rows.append(Metric("alignment", self.alignment.alignment, self.alignment.ci_low, self.alignment.ci_high, extra={"alpha": self.alignment.alpha}))
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
            rows += [Metric(k, val) for k, val in z.to_dict().items() if k.startswith("zero_shot") and val is not None]  # a k left out: no row
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
        from embgeo.results import Verdict, beside_each_other, beside_threshold as near  # numbers never rounded onto their threshold

        mc, rc = self.matched_cosines.mean, self.random_pair_cosine
        sep = "" if self.separability is None else f"; a linear probe tells the sets apart {self.separability.accuracy:.0%} of the time"
        if math.isfinite(self.matched_pair_cosine_ci_low) and self.matched_pair_cosine_ci_low <= rc:
            lo_text, rc_text = beside_each_other(self.matched_pair_cosine_ci_low, rc)
            return Verdict("warn", f"matched pairs are no more similar than random pairs (matched-pair cosine {mc:.3f}, "
                                   f"interval down to {lo_text} ≤ random-pair cosine {rc_text}): the pairing carries no signal",
                           "check that row i of both files is the same item", "matched_pair_cosine")
        sh = self.shift
        if sh is None:
            return Verdict("info", f"centroid gap {self.gap_centroid_distance:.3f}; no shift experiment was run", "", "gap_centroid_distance")
        g, lo, hi = sh.recall_at_1_gain, sh.gain_ci_low, sh.gain_ci_high
        nums = (f"removing the gap ({sh.direction}, shift {sh.fraction:g}) changes recall@1 from {self.recall_at_1_before:.3f} "
                f"to {self.recall_at_1_after_shift:.3f} ({near(g, RECALL_GAIN_BAD, sign=True)}, {sh.confidence:.0%} interval "
                f"{near(lo, 0.0, sign=True)} to {hi:+.3f})")
        ctx = f"; centroid gap {self.gap_centroid_distance:.3f}, matched-pair cosine {mc:.3f} vs random {rc:.3f}{sep}"
        if lo > 0 and g >= RECALL_GAIN_BAD:
            return Verdict("bad", f"{nums}: at least +{RECALL_GAIN_BAD:g}, the gap costs retrieval{ctx}",
                           f"subtract the gap (shift each modality by ∓Δ/2 and renormalise; {sweep_hint()} shows the best amount) "
                           "or fine-tune to close it", "recall_at_1_gain")
        if lo > 0:
            return Verdict("warn", f"{nums}: a small gain (below +{RECALL_GAIN_BAD:g}) whose interval is above 0{ctx}",
                           f"subtracting the gap helps retrieval a little ({sweep_hint()} shows the best amount)", "recall_at_1_gain")
        return Verdict("ok", f"{nums}: the gap does not cost retrieval (bad at a gain ≥ +{RECALL_GAIN_BAD:g} with its interval above 0){ctx}",
                       "", "recall_at_1_gain")

    def table(self):
        rows = [
            ["n_rows × n_dims", f"{self.n_rows} × {self.n_dims}"],
            ["gap_centroid_distance ‖mean x̂ − mean ŷ‖", self.gap_centroid_distance],
            ["centroid norms (x, y)", [self.centroid_norm_x, self.centroid_norm_y]],
            ["uniformity x", self.uniformity_x.uniformity],
            ["uniformity y", self.uniformity_y.uniformity],
            ["uniformity joint", self.uniformity_joint.uniformity],
            ["uniform-sphere value", self.uniformity_x.uniformity_sphere],
            ["uniformity_reference_mm (m²-Mix's: X twice)", self.uniformity_reference_mm],
            ["alignment", self.alignment.alignment],
            ["matched_pair_cosine (interval)",
             f"{self.matched_cosines.mean:.6g} ({self.matched_pair_cosine_ci_low:.6g} to {self.matched_pair_cosine_ci_high:.6g})"],
            ["random_pair_cosine", self.random_pair_cosine],
            ["matched cosine p5/p50/p95", [self.matched_cosines.quantile(q) for q in (0.05, 0.5, 0.95)]],
            ["random cosine p5/p50/p95", [self.random_cosines.quantile(q) for q in (0.05, 0.5, 0.95)]],
        ]
        if self.separability is not None:
            rows.append([f"separability_accuracy ({self.separability.n_folds}-fold)", self.separability.accuracy])
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
            if math.isnan(z.hit_at_5):  # hit@5 with at most 5 classes: left out (z.note)
                rows.append([f"zero-shot hit@1 ({z.n_classes} classes; {z.note})", z.hit_at_1])
                rows.append(["zero-shot hit@1 after shift", z.hit_at_1_after_shift])
            else:
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
        rows = [[f"X: {r[0]}", r[1]] for r in rows] + [["Y: uniformity", self.y.uniformity]]
        if self.y.mode == "sample":
            rows.append([f"Y: {self.y.confidence:.0%} interval", [self.y.ci_low, self.y.ci_high]])
        al = self.alignment
        rows += [["alignment", al.alignment], [f"alignment {al.confidence:.0%} interval", [al.ci_low, al.ci_high]], ["alpha", al.alpha],
                 ["gap_centroid_distance (normalised rows)", self.gap.gap_centroid_distance]]
        return cols, rows


@former_keywords("CentroidGap", value="gap_centroid_distance", centroid_cosine="gap_centroid_cosine")
@dataclass(frozen=True, slots=True)
class CentroidGap(Result):
    """``gap_centroid_distance = ‖mean(x̂) − mean(ŷ)‖`` with the centroid norms and ``gap_centroid_cosine``, the cosine
    between the centroids (named as the JSON keys; ``value`` and ``centroid_cosine`` are their former names, DeprecationWarning)."""

    gap_centroid_distance: float
    centroid_norm_x: float
    centroid_norm_y: float
    gap_centroid_cosine: float
    gap_vector: np.ndarray = field(repr=False)

    value = renamed_attribute("CentroidGap", "value", "gap_centroid_distance")
    centroid_cosine = renamed_attribute("CentroidGap", "centroid_cosine", "gap_centroid_cosine")

    def to_dict(self) -> dict:
        return {"gap_centroid_distance": jsonable(self.gap_centroid_distance), "gap_centroid_cosine": jsonable(self.gap_centroid_cosine),
                "centroid_norm_x": jsonable(self.centroid_norm_x), "centroid_norm_y": jsonable(self.centroid_norm_y)}

    def metrics(self) -> list:
        from embgeo.results import Metric

        return [Metric("gap_centroid_distance", self.gap_centroid_distance), Metric("gap_centroid_cosine", self.gap_centroid_cosine)]
