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

The results are in :mod:`embgeo.uniformity.gap_results`, the single measurements in
:mod:`embgeo.uniformity.gap_measures`; this module combines them (:func:`modality_gap`) and
re-exports the names callers use from here.
"""
from __future__ import annotations

import math

import numpy as np

from embgeo.arguments import check_count, check_flag, check_level, check_number, renamed_keyword
from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.uniformity.checks import check_n_pairs, check_names, check_paired, check_positive
from embgeo.uniformity.core import DEFAULT_N_PAIRS, alignment, paired_rows, uniformity
from embgeo.uniformity.gap_measures import (
    SEPARABILITY_MAX_PAIRS,
    centroid_gap,
    geodesic_mixup,
    linear_separability,
    normalize_rows,
    recall_at_1,
    renormalize,
    retrieval,
    shifted,
    slerp,
    zero_shot_ranks,
)
from embgeo.uniformity.gap_results import (
    DEFAULT_TEMPERATURE,
    RETRIEVAL_KEYS,
    ZERO_SHOT_KS,
    CentroidGap,
    GapResult,
    GapSnapshot,
    PairedUniformity,
    ShiftExperiment,
    ShiftSweep,
    ZeroShot,
)
from embgeo.uniformity.kernels import draw_pairs
from embgeo.uniformity.stats import normal_quantile, summarize
from embgeo.validation import as_rng

__all__ = [
    "modality_gap", "parse_sweep", "centroid_gap", "normalize_rows", "shifted", "retrieval", "recall_at_1",
    "linear_separability", "slerp", "GapResult", "CentroidGap", "PairedUniformity",
    "RANDOM_PAIRS", "RETRIEVAL_MAX_PAIRS", "SEPARABILITY_MAX_PAIRS", "DEFAULT_TEMPERATURE",
]

#: random cross-modal pairs drawn for the random-pair cosine distribution
RANDOM_PAIRS = 20_000
#: at most this many pairs enter the retrieval pool of the shift experiment
RETRIEVAL_MAX_PAIRS = 5_000


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
            q = (b - a) / step
            count = int(math.floor(q + 1e-9 * max(1.0, q))) + 1  # (a relative slack: 1/1e-9 is 999999999.99…)
            if count > 1001:
                raise EmbgeoError(f"the shift sweep {spec!r} has {count} steps; at most 1001", hint="use a larger step")
            return np.round(a + step * np.arange(count), 12)
        values = np.array([float(p) for p in text.split(",") if p.strip()])
        if values.size == 0 or not np.isfinite(values).all():
            raise ValueError
        return values
    except EmbgeoError:
        raise  # (too many steps: said as such, not as an unreadable sweep)
    except ValueError:
        raise EmbgeoError(f"cannot read the shift sweep {spec!r}", hint="write START:STOP:STEP with STEP > 0 (e.g. -1:2:0.1) or a comma list") from None


def check_sweep(sweep) -> np.ndarray | None:
    """The shift values λ of ``sweep`` as float64 (None stays None): one string is read by :func:`parse_sweep`;
    otherwise numbers only (text such as ``"0.5"`` or ``"a"`` inside a list, and bools, are refused), all finite."""
    if sweep is None:
        return None
    if isinstance(sweep, str):
        return parse_sweep(sweep)  # "START:STOP:STEP" or a comma list, as the CLI takes it
    values = np.asarray(sweep, dtype=object).ravel()
    bad = next((v for v in values if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating))), None)
    if bad is not None:
        raise EmbgeoError(f"sweep must hold numbers (shift values λ), got {bad!r} ({type(bad).__name__})",
                          hint="e.g. sweep=[0.0, 0.5, 1.0], or one string such as sweep='-1:2:0.1'")
    out = values.astype(np.float64)
    if not np.isfinite(out).all():
        raise EmbgeoError(f"sweep holds a value that is not a finite number ({out[~np.isfinite(out)][0]})", hint="give finite shift values λ")
    return out


# ----------------------------------------------------------------- the analysis

def refuse_one_direction(X, Xh: np.ndarray, *, name: str = "X") -> None:
    """Refuse a set whose normalised rows ``Xh`` are all one vector (up to rounding): every cosine ties, so retrieval
    would count each tie as a hit (recall 1) and the uniformity, alignment and probe would measure nothing. ``X``: the
    rows before normalisation, to say whether they are one vector or only point one way (as embgeo compare says it)."""
    if Xh.shape[0] < 2 or float(np.abs(Xh - Xh[0]).max()) > 8 * np.finfo(np.result_type(Xh.dtype, np.float32)).eps:
        return
    raw = np.asarray(getattr(X, "matrix", X))
    how = "the same vector" if bool(np.all(raw == raw[0])) else "scaled copies of one vector (the same direction)"
    raise EmbgeoError(f"all {Xh.shape[0]} rows are {how}: a constant set has no gap to measure (every cosine ties, "
                      "so retrieval would count each tie as a hit)", source=name,
                      hint="check that the file holds the embeddings of distinct items, not one broadcast row")


def class_indices(class_labels, classes, n: int, name: str = "X") -> np.ndarray:
    """The class of each of the ``n`` rows as a row index into ``classes`` (int64).

    ``class_labels`` holds row numbers of the classes (integers) or, when
    ``classes`` is an :class:`~embgeo.io.EmbeddingSet` with ids, ids of its rows (text). Integer
    labels over classes that carry ids are refused (unless the ids are ``0 … k−1`` in order, where
    both readings agree): it is not known whether ``0`` names the first row or an id."""
    class_src = getattr(classes, "source", None) if hasattr(classes, "matrix") else None
    ids = getattr(classes, "ids", None) if hasattr(classes, "matrix") else None
    labels = np.asarray(class_labels)
    if labels.shape != (n,):
        raise EmbgeoError(f"class_labels must be {n} integer class indices (one per row of {name})", source=class_src)
    if labels.dtype.kind in "US" or labels.dtype.kind == "O":
        if ids is None:
            raise EmbgeoError(f"class_labels must be {n} integer class indices (one per row of {name}); names need classes with ids",
                              source=class_src, hint="give class indices 0 .. classes − 1, or classes with ids")
        from embgeo.io.common import ids_as_text

        index = {v: i for i, v in enumerate(ids_as_text(ids).tolist())}
        text = [str(v).strip() for v in labels.tolist()]
        missing = sorted(set(text) - set(index))
        if missing:
            raise EmbgeoError(f"{len(missing)} class names are not ids of the classes file (first: {', '.join(missing[:3])})", source=class_src,
                              hint="give each row's class as an id of the classes file")
        return np.array([index[v] for v in text], dtype=np.int64)
    if labels.dtype.kind not in "iu":
        raise EmbgeoError(f"class_labels must be {n} integer class indices (one per row of {name})", source=class_src)
    if ids is not None:
        from embgeo.io.common import ids_as_text

        shown = ids_as_text(ids).tolist()
        if shown != [str(i) for i in range(len(shown))]:
            raise EmbgeoError(f"the class labels are integers but the classes file carries ids ({', '.join(repr(v) for v in shown[:3])}"
                              f"{', …' if len(shown) > 3 else ''}): an integer could be a row number or an id, and embgeo does not pick one",
                              source=class_src, hint="write each row's class as an id of the classes file (e.g. "
                                                     f"{shown[0]!r}), or save the classes without ids to use row numbers 0..{len(shown) - 1}")
    return labels.astype(np.int64)


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
    backend: str = "auto",
    block: int | None = None,
    n_folds: int | None = None,
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
    join: str | None = None,
    cv: int | None = None,
) -> GapResult:
    """The modality gap between row-paired ``X`` and ``Y`` (n_samples, n_features), on L2-normalised rows.

    Defaults: ``t = 2`` (uniformity), ``α = 2`` (alignment, ``rel_lalign``), uniformity ``mode="auto"``
    (exact up to 20 000 rows, sampled with ``n_pairs`` pairs above; the joint set
    has 2·n_samples rows), ``n_folds = 5`` folds (None: 5; ``cv`` is its former name, DeprecationWarning) on at most 5 000 pairs for the
    separability probe, the full gap removed in the shift experiment
    (``shift_fraction = 1``) with retrieval among at most 5 000 pairs, the contrastive loss
    at ``temperature = 0.01`` (CLIP's logit scale 100), and mixup at ``λ = 0.5``. ``block`` sets
    the rows per tile of the exact uniformity sums (memory ~ block × n).

    ``alpha`` (2): the exponent α of the alignment ``mean_i ‖x̂_i − ŷ_i‖^α`` and of ``rel_lalign`` in the
    shift experiment. ``confidence`` (0.95): the level of every interval (uniformity, alignment, the matched
    cosine, the retrieval gain of the shift). ``device`` and ``backend``: where and how the exact uniformity
    sums run, as in :func:`~embgeo.uniformity.core.uniformity` (``backend="auto"``: numpy, torch on a ``"cuda"``
    device; ``device=None``: the CPU). ``separability_max_pairs`` (5 000, at least 2·``n_folds``): a seeded subset
    of at most that many pairs enters the separability probe. ``retrieval_max_pairs`` (5 000, at least 2): the
    seeded pool of pairs among which the shift experiment (and ``sweep``) measures retrieval and the contrastive
    loss. ``mixup_lambda`` (0.5, in [0, 1]): where on the great circle between a pair the geodesic-mixup
    negatives lie. ``random_pairs`` (20 000, at least 1): the random cross-modal pairs drawn for the random-pair
    cosines (and the mixup's sampled cosines of anchors to mixed negatives). ``seed`` (0) seeds every draw (the
    sampled uniformity, the random pairs, the probe's subset and folds, the retrieval pool); ``names`` (``("X", "Y")``)
    name the two sets in messages and tables (a pair of strings); ``separability=False`` leaves the probe out
    (``n_folds`` is still checked, and a ``separability_max_pairs`` other than the default is refused: it would be
    ignored). ``n_pairs`` beside ``mode="exact"`` is refused unless it is the default (no pair is drawn there).

    ``direction`` (n_features,): the vector Δ to shift by instead of this data's
    ``mean x̂ − mean ŷ`` (e.g. a gap measured on another dataset); rows move to
    ``normalise(x̂ − λΔ/2)`` and ``normalise(ŷ + λΔ/2)``. ``sweep``: shift values λ at which
    retrieval, contrastive loss, ``rel_lalign`` and zero-shot hits are measured (λ < 0 enlarges
    the gap): numbers, or one string ``"START:STOP:STEP"`` / ``"a,b,c"`` (:func:`parse_sweep`). ``classes`` (n_classes, n_features; an array or an :class:`~embgeo.io.EmbeddingSet`)
    with ``class_labels`` (n_samples,): the integer class (row of ``classes``) of each X row or, for
    classes with ids, the id of its class (integers over classes with ids are refused: row number
    or id?; :func:`class_indices`): zero-shot Hit@1/5 of X against the classes (the classes move
    with Y in a shift). Hit@k with k ≥ n_classes is always 1: it is left out (NaN, no metric row,
    ``zero_shot.note`` says so).
    See the module docstring for the formulas and papers (Liang et al. 2022; Oh et al. 2023; Wang & Isola 2020).

    ``X`` and ``Y`` may be :class:`~embgeo.io.EmbeddingSet` s: with ids their rows are paired **by id**
    (every id in both, once; a mismatch, repeated ids or ids on one side only raise), unless
    ``join="row-order"``; arrays have no ids and pair by row order.
    """
    t = check_positive("t", t)
    alpha = check_positive("alpha", alpha)
    temperature = check_positive("temperature", temperature)
    confidence = check_level(confidence)
    n_pairs = check_n_pairs(n_pairs, mode, DEFAULT_N_PAIRS)
    names = check_names(names)
    separability = check_flag("separability", separability)
    random_pairs = check_count("random_pairs", random_pairs, minimum=1)
    retrieval_max_pairs = check_count("retrieval_max_pairs", retrieval_max_pairs, minimum=2)
    folds_name = "cv" if cv is not None else "n_folds"  # the keyword the caller wrote
    n_folds = renamed_keyword("modality_gap", "cv", cv, "n_folds", n_folds)
    n_folds = check_count(folds_name, 5 if n_folds is None else n_folds, minimum=2, flag="folds")
    separability_max_pairs = check_count("separability_max_pairs", separability_max_pairs, minimum=2 * n_folds)
    if not separability and separability_max_pairs != SEPARABILITY_MAX_PAIRS:
        raise EmbgeoError(f"{setting('separability_max_pairs', separability_max_pairs)} sizes the separability probe, but "
                          f"{setting('separability', False)} leaves the probe out: it would be ignored",
                          hint=f"drop {param('separability_max_pairs')}, or run the probe")
    if (class_labels is None) != (classes is None):
        raise EmbgeoError("classes and class_labels go together (zero-shot: the class of each X row among the classes)",
                          hint="give both, or neither")
    mixup_lambda = check_number("mixup_lambda", mixup_lambda, flag="lambda")
    if not (0.0 <= mixup_lambda <= 1.0):
        raise EmbgeoError(f"{param('mixup_lambda', '--lambda')} must lie in [0, 1], got {mixup_lambda!r}")
    shift_fraction = check_number("shift_fraction", shift_fraction, flag="shift")
    if not (math.isfinite(shift_fraction) and 0.0 <= shift_fraction <= 2.0):
        raise EmbgeoError(f"{param('shift_fraction', '--shift')} must lie in [0, 2] (1 removes the whole gap), got {shift_fraction!r}")
    sweep = check_sweep(sweep)
    from embgeo.io.join import check_key_columns

    check_key_columns((X, Y), join=join, names=None if tuple(names) == ("X", "Y") else names)  # no ids, a key column in another order
    X, Y = paired_rows(X, Y, join=join, names=names)
    rng = as_rng(seed)
    Xh = normalize_rows(X, name=names[0])
    Yh = normalize_rows(Y, name=names[1])
    check_paired(Xh, Yh, names=names)
    for M, Mh, name in ((X, Xh, names[0]), (Y, Yh, names[1])):
        refuse_one_direction(M, Mh, name=name)
    n, d = Xh.shape
    cg = centroid_gap(Xh, Yh, names=names)
    delta, gap, ncx, ncy, ccos = cg.gap_vector, cg.gap_centroid_distance, cg.centroid_norm_x, cg.centroid_norm_y, cg.gap_centroid_cosine
    u = delta / gap if gap > 0 else np.zeros(d)
    shift_vec, shift_name = delta, "centroid gap"
    if direction is not None:
        if np.ndim(direction) != 1:
            raise EmbgeoError(f"direction must be one vector of {d} values, got an array of shape {np.shape(direction)}")
        shift_vec = np.asarray(direction, dtype=np.float64).ravel()
        if shift_vec.shape != (d,):
            raise EmbgeoError(f"the direction has {shift_vec.size} values but the embeddings have {d} columns",
                              hint="use a gap vector measured in the same space (same model)")
        if not np.isfinite(shift_vec).all():
            raise EmbgeoError("the direction holds NaN or inf")
        if not np.any(shift_vec):
            raise EmbgeoError("the direction is the zero vector: a shift along it moves nothing",
                              hint=f"give a gap vector measured on data with a gap ({either('the gap_vector of its modality_gap', 'gap --write-direction')}), or leave {param('direction')} out")
        shift_name = "given direction"
    zs_note = ""
    if classes is not None:
        class_src = getattr(classes, "source", None) if hasattr(classes, "matrix") else None
        Ch = normalize_rows(classes.matrix if hasattr(classes, "matrix") else classes, name="classes")
        if Ch.shape[1] != d:
            raise EmbgeoError(f"the classes have {Ch.shape[1]} columns but {names[0]} has {d}", source=class_src,
                              hint="class embeddings must come from the same model")
        k_classes = int(Ch.shape[0])
        labels = class_indices(class_labels, classes, n, names[0])
        if labels.size and (labels.min() < 0 or labels.max() >= k_classes):
            row = int(np.flatnonzero((labels < 0) | (labels >= k_classes))[0])
            raise EmbgeoError(f"class labels must lie in 0..{k_classes - 1} (the rows of the classes file); "
                              f"the label of row {row} of {names[0]} is {int(labels[row])}", source=class_src,
                              hint=f"give each row's class as a row number 0..{k_classes - 1} of the classes file")
        left = [k for k in ZERO_SHOT_KS if k >= k_classes]
        if left:
            zs_note = (f"hit@{', hit@'.join(map(str, left))} left out: with only {k_classes} classes every row's class is among the top "
                       f"{left[0]}, so the hit rate would be 1 whatever the embeddings")
    ukw = dict(t=t, mode=mode, n_pairs=n_pairs, confidence=confidence, device=device, backend=backend, block=block)
    seeds = rng.integers(2**31 - 1, size=8)
    ux = uniformity(Xh, seed=int(seeds[0]), name=names[0], **ukw)
    uy = uniformity(Yh, seed=int(seeds[1]), name=names[1], **ukw)
    uj = uniformity(np.vstack([Xh, Yh]), seed=int(seeds[2]), name=f"{names[0]}+{names[1]}", **ukw)
    al = alignment(Xh, Yh, alpha=alpha, confidence=confidence, names=names)

    X64, Y64 = Xh.astype(np.float64), Yh.astype(np.float64)
    matched = np.einsum("ij,ij->i", X64, Y64)
    z = normal_quantile(confidence)
    m_se = float(matched.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    i, j = draw_pairs(n, random_pairs, as_rng(int(seeds[3])))
    rand = np.einsum("ij,ij->i", X64[i], Y64[j])
    rand_mean = float((X64.sum(0) @ Y64.sum(0) - matched.sum()) / (n * (n - 1)))

    sep = linear_separability(Xh, Yh, n_folds=n_folds, max_pairs=separability_max_pairs, seed=int(seeds[4])) if separability else None

    # the shift experiment (Liang et al. §4.2)
    lam = float(shift_fraction)
    Xs, Ys = shifted(X64, Y64, shift_vec, lam, names=names)
    pool = np.sort(as_rng(int(seeds[5])).choice(n, size=min(n, retrieval_max_pairs), replace=False))
    rkw = dict(temperature=temperature, alpha=alpha)
    r_before = retrieval(X64[pool], Y64[pool], **rkw)
    r_after = retrieval(Xs[pool], Ys[pool], **rkw)
    before = GapSnapshot(centroid_gap=gap, uniformity_x=ux.uniformity, uniformity_y=uy.uniformity, uniformity_joint=uj.uniformity,
                         alignment=al.alignment, matched_cosine_mean=float(matched.mean()), retrieval=r_before)
    after = GapSnapshot(
        centroid_gap=float(np.linalg.norm(Xs.mean(0) - Ys.mean(0))),
        uniformity_x=uniformity(Xs, seed=int(seeds[0]), name=names[0], **ukw).uniformity,
        uniformity_y=uniformity(Ys, seed=int(seeds[1]), name=names[1], **ukw).uniformity,
        uniformity_joint=uniformity(np.vstack([Xs, Ys]), seed=int(seeds[2]), name=f"{names[0]}+{names[1]}", **ukw).uniformity,
        alignment=alignment(Xs, Ys, alpha=alpha, names=names).alignment,
        matched_cosine_mean=float(np.einsum("ij,ij->", Xs, Ys) / n), retrieval=r_after,
    )
    # paired outcomes of the 2·pool queries: hit after − hit before
    diff = np.concatenate([(r_after.hits_x_to_y == 0).astype(float) - (r_before.hits_x_to_y == 0),
                           (r_after.hits_y_to_x == 0).astype(float) - (r_before.hits_y_to_x == 0)])
    gain = float(diff.mean())
    g_se = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else math.nan
    shift = ShiftExperiment(fraction=lam, retrieval_pool=int(pool.size), before=before, after=after, recall_at_1_gain=gain,
                            gain_ci_low=gain - z * g_se, gain_ci_high=gain + z * g_se, confidence=confidence, direction=shift_name)
    mix = geodesic_mixup(Xh, Yh, float(mixup_lambda), as_rng(int(seeds[6])), random_pairs)

    zs = None
    if classes is not None:
        hit = lambda r, k: float((r < k).mean())  # noqa: E731
        r0 = zero_shot_ranks(X64, Ch, labels)
        Cs = renormalize(np.asarray(Ch, dtype=np.float64) + lam * shift_vec / 2.0, name="classes after the shift")
        r1 = zero_shot_ranks(Xs, Cs, labels)
        kept = lambda r, k: hit(r, k) if k < Ch.shape[0] else math.nan  # noqa: E731  (k ≥ classes: always 1, left out)
        zs = ZeroShot(n_rows=n, n_classes=int(Ch.shape[0]), hit_at_1=kept(r0, 1), hit_at_5=kept(r0, 5),
                      hit_at_1_after_shift=kept(r1, 1), hit_at_5_after_shift=kept(r1, 5), note=zs_note)
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
                Ck = renormalize(np.asarray(Ch, dtype=np.float64) + float(lam_k) * shift_vec / 2.0, name="classes after the shift")
                rz = zero_shot_ranks(Xk, Ck, labels)
                for kk in (k for k in ZERO_SHOT_KS if k < Ch.shape[0]):  # k ≥ classes: always 1, left out
                    cols.setdefault(f"zero_shot_hit_at_{kk}", []).append(float((rz < kk).mean()))
        sw = ShiftSweep(shift=sweep, centroid_gap=np.array(gaps), matched_cosine_mean=np.array(mcs),
                        columns={k: np.array(v) for k, v in cols.items()}, temperature=temperature)

    # the m²-Mix reference's "multimodal uniformity": lunif(cat[x̂, x̂]) — X twice. Its pairs: the n(n−1)/2
    # pairs of X four times, plus n identical pairs (kernel 1), over n(2n−1) pairs
    log_s = ux.uniformity + math.log(n * (n - 1) / 2.0)
    ref_mm = float(np.logaddexp(math.log(4.0) + log_s, math.log(n)) - math.log(n * (2 * n - 1)))

    proj_range = (-1.0, 1.0)
    return GapResult(
        n_rows=n, n_dims=d, gap_centroid_distance=gap, centroid_norm_x=ncx, centroid_norm_y=ncy, gap_centroid_cosine=ccos,
        gap_vector=delta,
        projection_x=summarize(X64 @ u, what="projection of x̂ on the gap direction", exact=True, value_range=proj_range),
        projection_y=summarize(Y64 @ u, what="projection of ŷ on the gap direction", exact=True, value_range=proj_range),
        uniformity_x=ux, uniformity_y=uy, uniformity_joint=uj, alignment=al,
        matched_cosines=summarize(matched, what="cosine of matched pairs", exact=True, value_range=(-1.0, 1.0)),
        random_cosines=summarize(rand, what="cosine of random cross-modal pairs", exact=False, value_range=(-1.0, 1.0)),
        random_pair_cosine=rand_mean, separability=sep, shift=shift, mixup=mix, confidence=confidence,
        matched_pair_cosine_ci_low=float(matched.mean() - z * m_se), matched_pair_cosine_ci_high=float(matched.mean() + z * m_se),
        uniformity_reference_mm=ref_mm, sweep=sw, zero_shot=zs,
    )
