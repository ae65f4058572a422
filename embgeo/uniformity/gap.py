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


@dataclass(frozen=True, slots=True)
class GapSnapshot(Result):
    """Gap, uniformity, alignment and retrieval of a pair of sets at one moment of the shift experiment."""

    centroid_gap: float
    uniformity_x: float
    uniformity_y: float
    uniformity_joint: float
    alignment: float
    matched_cosine_mean: float
    recall_at_1_x_to_y: float
    recall_at_1_y_to_x: float


@dataclass(frozen=True, slots=True)
class ShiftExperiment(Result):
    """Before/after removing ``fraction`` of the gap vector (``retrieval_pool`` pairs in the retrieval task)."""

    fraction: float
    retrieval_pool: int
    before: GapSnapshot
    after: GapSnapshot


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

    def to_dict(self) -> dict:
        return {
            "n_pairs": self.n_pairs,
            "n_features": self.n_features,
            "normalized": True,
            "gap": {
                "value": jsonable(self.centroid_gap),
                "centroid_norm_x": jsonable(self.centroid_norm_x),
                "centroid_norm_y": jsonable(self.centroid_norm_y),
                "centroid_cosine": jsonable(self.centroid_cosine),
                "projection_x": self.projection_x.to_dict(),
                "projection_y": self.projection_y.to_dict(),
            },
            "uniformity": {"x": self.uniformity_x.to_dict(), "y": self.uniformity_y.to_dict(), "joint": self.uniformity_joint.to_dict()},
            "alignment": self.alignment.to_dict(),
            "cosines": {
                "matched": self.matched_cosines.to_dict(),
                "random": self.random_cosines.to_dict(),
                "random_mean_exact": jsonable(self.random_cosine_mean),
            },
            "separability": None if self.separability is None else self.separability.to_dict(),
            "shift": None if self.shift is None else self.shift.to_dict(),
            "mixup": None if self.mixup is None else self.mixup.to_dict(),
        }

    def table(self):
        rows = [
            ["centroid gap ‖mean x̂ − mean ŷ‖", self.centroid_gap],
            ["centroid norms (x, y)", [self.centroid_norm_x, self.centroid_norm_y]],
            ["uniformity x", self.uniformity_x.value],
            ["uniformity y", self.uniformity_y.value],
            ["uniformity joint", self.uniformity_joint.value],
            ["uniform-sphere value", self.uniformity_x.sphere_value],
            ["alignment", self.alignment.value],
            ["matched cosine mean", self.matched_cosines.mean],
            ["random-pair cosine mean", self.random_cosine_mean],
            ["matched cosine p5/p50/p95", [self.matched_cosines.quantile(q) for q in (0.05, 0.5, 0.95)]],
            ["random cosine p5/p50/p95", [self.random_cosines.quantile(q) for q in (0.05, 0.5, 0.95)]],
        ]
        if self.separability is not None:
            rows.append([f"linear separability ({self.separability.cv}-fold accuracy)", self.separability.accuracy])
        if self.shift is not None:
            b, a = self.shift.before, self.shift.after
            for key, label in (("centroid_gap", "gap"), ("uniformity_joint", "uniformity joint"), ("alignment", "alignment"),
                               ("recall_at_1_x_to_y", "recall@1 x→y"), ("recall_at_1_y_to_x", "recall@1 y→x")):
                rows.append([f"shift: {label} before → after", [getattr(b, key), getattr(a, key)]])
        if self.mixup is not None:
            m = self.mixup
            rows.append([f"mixup λ={m.lam:g}: x-anchor cosine to negatives / mixed negatives", [m.x_anchor_negative_mean, m.x_anchor_mixed_negative_mean]])
            rows.append([f"mixup λ={m.lam:g}: y-anchor cosine to negatives / mixed negatives", [m.y_anchor_negative_mean, m.y_anchor_mixed_negative_mean]])
        return ["metric", "value"], rows


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
        return {k: jsonable(getattr(self, k)) for k in ("value", "centroid_norm_x", "centroid_norm_y", "centroid_cosine")}


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
    names: tuple[str, str] = ("X", "Y"),
) -> GapResult:
    """The modality gap between row-paired ``X`` and ``Y`` (n_samples, n_features), on L2-normalised rows.

    Defaults: ``t = 2`` (uniformity), ``α = 2`` (alignment), uniformity ``mode="auto"``
    (exact up to 20 000 rows, sampled with ``n_pairs`` pairs above; the joint set
    has 2·n_samples rows), ``cv = 5`` folds on at most 5 000 pairs for the
    separability probe, the full gap removed in the shift experiment
    (``shift_fraction = 1``) with retrieval among at most 5 000 pairs, and
    mixup at ``λ = 0.5``. ``block`` sets the rows per tile of the exact uniformity sums
    (memory ~ block × n). See the module docstring for the formulas and papers
    (Liang et al. 2022; Oh et al. 2023; Wang & Isola 2020).
    """
    t = _check_positive("t", t)
    alpha = _check_positive("alpha", alpha)
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

    ukw = dict(t=t, mode=mode, n_pairs=n_pairs, confidence=confidence, device=device, block=block)
    seeds = rng.integers(2**31 - 1, size=8)
    ux = uniformity(Xh, seed=int(seeds[0]), name=names[0], **ukw)
    uy = uniformity(Yh, seed=int(seeds[1]), name=names[1], **ukw)
    uj = uniformity(np.vstack([Xh, Yh]), seed=int(seeds[2]), name=f"{names[0]}+{names[1]}", **ukw)
    al = alignment(Xh, Yh, alpha=alpha, confidence=confidence, names=names)

    X64, Y64 = Xh.astype(np.float64), Yh.astype(np.float64)
    matched = np.einsum("ij,ij->i", X64, Y64)
    i, j = draw_pairs(n, random_pairs, as_rng(int(seeds[3])))
    rand = np.einsum("ij,ij->i", X64[i], Y64[j])
    rand_mean = float((X64.sum(0) @ Y64.sum(0) - matched.sum()) / (n * (n - 1)))

    sep = linear_separability(Xh, Yh, cv=cv, max_pairs=separability_max_pairs, seed=int(seeds[4])) if separability else None

    # the shift experiment (Liang et al. §4.2)
    lam = float(shift_fraction)
    Xs = _renormalize(X64 - lam * delta / 2.0, name=f"{names[0]} after the shift")
    Ys = _renormalize(Y64 + lam * delta / 2.0, name=f"{names[1]} after the shift")
    pool = np.sort(as_rng(int(seeds[5])).choice(n, size=min(n, retrieval_max_pairs), replace=False))
    before = GapSnapshot(
        centroid_gap=gap, uniformity_x=ux.value, uniformity_y=uy.value, uniformity_joint=uj.value, alignment=al.value,
        matched_cosine_mean=float(matched.mean()),
        recall_at_1_x_to_y=recall_at_1(X64[pool], Y64[pool]), recall_at_1_y_to_x=recall_at_1(Y64[pool], X64[pool]),
    )
    after = GapSnapshot(
        centroid_gap=float(np.linalg.norm(Xs.mean(0) - Ys.mean(0))),
        uniformity_x=uniformity(Xs, seed=int(seeds[0]), name=names[0], **ukw).value,
        uniformity_y=uniformity(Ys, seed=int(seeds[1]), name=names[1], **ukw).value,
        uniformity_joint=uniformity(np.vstack([Xs, Ys]), seed=int(seeds[2]), name=f"{names[0]}+{names[1]}", **ukw).value,
        alignment=alignment(Xs, Ys, alpha=alpha, names=names).value,
        matched_cosine_mean=float(np.einsum("ij,ij->", Xs, Ys) / n),
        recall_at_1_x_to_y=recall_at_1(Xs[pool], Ys[pool]), recall_at_1_y_to_x=recall_at_1(Ys[pool], Xs[pool]),
    )
    shift = ShiftExperiment(fraction=lam, retrieval_pool=int(pool.size), before=before, after=after)
    mix = _mixup(Xh, Yh, float(mixup_lambda), as_rng(int(seeds[6])), random_pairs)

    proj_range = (-1.0, 1.0)
    return GapResult(
        n_pairs=n, n_features=d, centroid_gap=gap, centroid_norm_x=ncx, centroid_norm_y=ncy, centroid_cosine=ccos,
        gap_vector=delta,
        projection_x=summarize(X64 @ u, what="projection of x̂ on the gap direction", exact=True, value_range=proj_range),
        projection_y=summarize(Y64 @ u, what="projection of ŷ on the gap direction", exact=True, value_range=proj_range),
        uniformity_x=ux, uniformity_y=uy, uniformity_joint=uj, alignment=al,
        matched_cosines=summarize(matched, what="cosine of matched pairs", exact=True, value_range=(-1.0, 1.0)),
        random_cosines=summarize(rand, what="cosine of random cross-modal pairs", exact=False, value_range=(-1.0, 1.0)),
        random_cosine_mean=rand_mean, separability=sep, shift=shift, mixup=mix,
    )


def _renormalize(A: np.ndarray, *, name: str) -> np.ndarray:
    norms = np.linalg.norm(A, axis=1, keepdims=True)
    zero = np.flatnonzero(norms[:, 0] == 0)
    if zero.size:
        raise EmbgeoError(f"{name}: rows {', '.join(map(str, zero[:5]))} became zero and cannot be normalised", hint="use a shift fraction below 1")
    return A / norms
