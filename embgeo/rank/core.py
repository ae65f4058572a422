"""Rankability: is an ordinal attribute a direction in this embedding space?

Reference: Sonthalia et al., *On the rankability of visual embeddings* (regression
axes, few-shot axes, two-extremes axes; Spearman / Kendall on held-out rows).

Protocol of :func:`rank_axes` (all defaults in its signature):

1. Rows whose attribute is missing (NaN) are dropped and counted; an optional
   ``log1p`` (or ``rank``: the attribute's ranks) transform is applied to the attribute.
2. k-fold cross-validation (``KFold`` shuffled with the seed, or ``GroupKFold``
   when ``groups`` is given, so that no group straddles fit and check). In each
   fold the preprocessing ``x ↦ (x − μ_train)/‖x − μ_train‖`` (centring optional,
   μ fitted on the training rows; L2 normalisation optional) is applied, every
   axis is fitted on the training rows only, and the held-out rows are scored.
3. Held-out projections ``x·w`` (ridge included: its intercept is dropped) are
   z-scored with the training rows' projections, and kNN predictions have the
   training mean of the attribute subtracted, so that no fold-level offset that
   depends on the training labels enters the pooled scores (an intercept fitted on
   the training labels anti-correlates with the held-out labels, ρ ≈ −√(k/n) on
   pure noise). The held-out scores of all folds are pooled and compared with the
   attribute: Spearman ρ (primary), Kendall τ-b and pairwise ordering accuracy,
   each with a percentile-bootstrap interval.
4. Baselines: the 95th percentile of |ρ| over random unit directions (the chance
   level of a *direction*), the best of the top-10 principal components (chosen
   and oriented on the training rows), the 95th percentile of |ρ| of the whole
   regression protocol over shuffled labels (the chance level of a *fitted*
   axis: cross-validated estimates share training rows between folds, so on pure
   noise they spread wider than a random direction — by about 1.2–1.5× at
   d/n ≈ 0.16 — and this band is the one a regression ρ must clear), and a kNN
   regression as a nonlinear ceiling.

The per-row held-out scores, the axes of every fold and the full-data axes are
kept on the result (``heldout``, ``fold_axes``, ``axis``) for plots and for
ranking new items (:meth:`RankResult.score`).
"""
from __future__ import annotations

import warnings

import numpy as np

from embgeo._blas import one_thread_when_small
from embgeo.errors import EmbgeoError, either, offers, param, setting
from embgeo.rank.axes import (
    anchor_axis, extremes_axis, extremes_quantile_axis, fewshot_axis, pairwise_axis, pca_axes, preprocess, ridge_axis, unit,
)
from embgeo.arguments import (check_attribute, check_attribute_name, check_count, check_flag, check_level, check_number, check_row_indices,
                              given as keyword_given, keyword_default, method_list, renamed_keyword)
from embgeo.rank.checks import check_inputs, check_y, refuse_unused
from embgeo.rank.ordering import pearson_columns, average_ranks, ordering_metrics, random_direction_spearman, spearman
from embgeo.rank.results import (  # noqa: F401  (re-exported: the results live beside the protocol)
    AXIS_METHODS, BASELINES, DEFAULT_SHOTS, METHODS, RANK_WARN, TRANSFORMS, VERDICT_ORDER, FewShotCurve, MethodScore, NullBand, RankResult,
)
from embgeo.validation import as_matrix, as_rng


def _zscore(test: np.ndarray, train: np.ndarray) -> np.ndarray:
    sd = float(train.std())
    return (test - train.mean()) / (sd if sd > 0 else 1.0)


def permuted_ridge_scores(Xtr: np.ndarray, Xte: np.ndarray, Y: np.ndarray, *, alpha: float, block: int = 256) -> np.ndarray:
    """Held-out z-scored ridge projections for many label vectors at once (columns of ``Y``, (n_train, P)).

    With the penalty fixed, ``w = (XcᵀXc + αI)⁻¹ Xcᵀ (y − ȳ)`` is linear in ``y``:
    one Cholesky factor per fold (of the d×d or the n×n form, whichever is smaller)
    serves every permutation. Returns (n_test, P).
    """
    from scipy.linalg import cho_factor, cho_solve

    Xc = Xtr - Xtr.mean(axis=0)
    n_tr, d = Xc.shape
    primal = n_tr >= d
    factor = cho_factor((Xc.T @ Xc if primal else Xc @ Xc.T) + alpha * np.eye(min(n_tr, d)))
    out = np.empty((Xte.shape[0], Y.shape[1]))
    for start in range(0, Y.shape[1], block):
        Yb = Y[:, start:start + block].astype(np.float64)
        Yb -= Yb.mean(axis=0)
        W = cho_solve(factor, Xc.T @ Yb) if primal else Xc.T @ cho_solve(factor, Yb)
        Ptr, Pte = Xtr @ W, Xte @ W
        sd = Ptr.std(axis=0)
        out[:, start:start + block] = (Pte - Ptr.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return out


#: most entries (rows × permutations) the shuffled-label null holds at once; beyond it fewer permutations are run
SHUFFLE_BUDGET = 20_000_000


def _bootstrap_off() -> str:
    """The hint of a bad ``n_bootstrap`` (``--bootstrap`` on the command line)."""
    return f"{setting('n_bootstrap', 0, '--bootstrap')} switches the intervals off"


def cv_folds(n: int, n_folds: int, groups: np.ndarray | None, seed: int):
    from sklearn.model_selection import GroupKFold, KFold

    if groups is not None:
        return list(GroupKFold(n_splits=n_folds).split(np.zeros(n), groups=groups))
    return list(KFold(n_splits=n_folds, shuffle=True, random_state=seed).split(np.zeros(n)))


def refuse_degenerate(X: np.ndarray, y: np.ndarray, *, attribute: str, source=None, column_source=None) -> None:
    """Refuse rows that are all one vector (every row scores the same) and an attribute whose variance overflows."""
    if X.shape[0] > 1 and bool(np.all(X == X[0])):  # the words of embgeo compare's check of a constant space
        raise EmbgeoError(f"all {X.shape[0]} rows are the same vector: a constant space has no rank axis (every row scores the same)",
                          source=source, hint="check that the file holds the embeddings of distinct items, not one broadcast row")
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.isfinite(np.var(y)):
            raise EmbgeoError(f"attribute '{attribute}' has values up to {float(np.max(np.abs(y))):.3g}: its variance overflows a float64",
                              source=column_source, hint="rescale the column (e.g. divide it by a power of ten)" + (f" or pass {setting('transform', 'rank')}" if offers("transform") else ""))


MLP_MAX_ITER = 500

#: the axis methods ``embgeo rank`` and ``rank_axes`` run by default (``--method all`` without anchors) and ``embgeo report`` runs
#: on its rank card: one set, so that the card and the command are decided by the same axes
DEFAULT_METHODS = ("regression", "pairwise", "extremes", "extremes_q", "fewshot")


def _column_source(X, attribute: str) -> str | None:
    """The file the attribute column came from when ``X`` is an EmbeddingSet that carries it (its labels file, else
    its own file), so that an error about the column names that file; None for a bare matrix."""
    if not hasattr(X, "matrix") or attribute not in (getattr(X, "attributes", None) or {}):
        return None
    prov = getattr(X, "provenance", None) or {}
    src = prov.get("labels", getattr(X, "source", None))
    return None if src is None or str(src) == "<array>" else str(src)


def mlp_predict(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray, *, hidden: int, seed: int) -> np.ndarray:
    """A seeded one-hidden-layer MLP regression on the z-scored attribute; predictions on ``Xte`` (training mean 0)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    sd = float(ytr.std()) or 1.0
    model = MLPRegressor(hidden_layer_sizes=(int(hidden),), alpha=1e-3, solver="lbfgs", max_iter=MLP_MAX_ITER, random_state=seed)
    from embgeo._blas import single_thread

    # one BLAS thread at any size: L-BFGS amplifies the last-bit differences of a threaded GEMM's reductions
    # (the ceiling moved in its 4th digit between 1 and 2 threads on 3000 × 512), so the number would depend on
    # the machine's cores; on one thread it does not, and these small fits gain little from a pool (embgeo/_blas.py)
    with warnings.catch_warnings(), single_thread():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(Xtr, (ytr - ytr.mean()) / sd)
        return model.predict(Xte)


def _method_score(name: str, scores: np.ndarray, y: np.ndarray, *, n_bootstrap, confidence, seed, details, axis, fold_spearman=None) -> MethodScore:
    met = ordering_metrics(scores, y, n_bootstrap=n_bootstrap, confidence=confidence, seed=seed)
    return MethodScore(
        method=name, spearman=met["spearman"], spearman_ci=met["spearman_ci"], kendall=met["kendall"], kendall_ci=met["kendall_ci"],
        pairwise_accuracy=met["pairwise_accuracy"], pairwise_accuracy_ci=met["pairwise_accuracy_ci"], n_heldout=met["n"],
        fold_spearman=np.empty(0) if fold_spearman is None else fold_spearman, details=details, heldout=scores, fold_axes=None, axis=axis)


def _best_anchor_pair(Xall, y, rows, *, anchor_low, anchor_high, anchor_rows, mean, normalize, n_pairs, validation, quantile,
                      n_bootstrap, confidence, seed, boot_seed) -> MethodScore:
    """Best of ``n_pairs`` anchor-pair axes, chosen by Spearman on a validation split, scored on the other rows."""
    if not 0 < validation < 1:
        raise EmbgeoError(f"validation must be in (0, 1), got {validation}", hint=f"e.g. {setting('validation', 0.5)}")
    rng = as_rng(seed)
    n = y.size
    usable = np.ones(n, dtype=bool)
    if anchor_rows is not None:
        usable &= ~np.isin(rows, np.asarray(anchor_rows, dtype=np.int64))
    idx = rng.permutation(np.flatnonzero(usable))
    nv = int(round(validation * idx.size))
    val, test = idx[:nv], idx[nv:]
    if val.size < 3 or test.size < 3 or np.unique(y[val]).size < 2:
        raise EmbgeoError(f"anchors_best needs at least 3 rows with distinct values in each split, got {val.size} and {test.size}",
                          hint=f"label more rows or change {param('validation')}")
    if anchor_low is not None and anchor_high is not None:
        low = preprocess(np.atleast_2d(anchor_low), mean=mean, normalize=normalize)
        high = preprocess(np.atleast_2d(anchor_high), mean=mean, normalize=normalize)
        pairs = [(a, b) for a in range(low.shape[0]) for b in range(high.shape[0])]
        pick = rng.permutation(len(pairs))[: max(1, int(n_pairs))]
        cands = [(high[pairs[p][1]] - low[pairs[p][0]], {"low": int(pairs[p][0]), "high": int(pairs[p][1])}) for p in pick]
        source = "given anchors"
    else:
        m = max(1, int(round(quantile * val.size)))
        order = val[np.lexsort((rng.permutation(val.size), y[val]))]
        bottom, top = order[:m], order[-m:]
        cands = []
        for _ in range(max(1, int(n_pairs))):
            a, b = int(rng.choice(bottom)), int(rng.choice(top))
            cands.append((Xall[b] - Xall[a], {"low_row": int(rows[a]), "high_row": int(rows[b])}))
        source = f"bottom/top {quantile:.0%} rows of the validation split"
    val_rho = np.array([spearman(Xall[val] @ w, y[val]) if np.any(w) else np.nan for w, _ in cands])
    if not np.isfinite(val_rho).any():
        raise EmbgeoError("every anchor pair gives the same vector twice; no anchor axis is defined")
    best = int(np.nanargmax(val_rho))
    w = unit(cands[best][0])
    scores = np.full(n, np.nan)
    scores[test] = Xall[test] @ w
    details = {"n_pairs": len(cands), "candidates": source, "validation_rows": int(val.size), "validation_spearman": float(val_rho[best]),
               "pair": cands[best][1], "note": "chosen on the validation rows, scored on the others"}
    return _method_score("anchors_best", scores, y, n_bootstrap=n_bootstrap, confidence=confidence, seed=boot_seed, details=details, axis=w)


def _one_vector(v, what: str, given: str) -> np.ndarray:
    """A saved axis (or its centre) as one float64 vector: shape ``(d,)``, ``(1, d)`` or ``(d, 1)``; any
    other shape is refused, never flattened into a vector of another length."""
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 2 and 1 in a.shape:
        a = a.reshape(-1)
    if a.ndim != 1:
        raise EmbgeoError(f"{what} is one vector; {given} holds an array of shape {tuple(int(s) for s in a.shape)}",
                          hint="save one vector of the embeddings' dimension (" + either("rank(..., save_axis=...)", "embgeo rank … --save-axis AXIS.npy") + ")")
    return a


def score_axis(X, y, axis, *, attribute: str = "attribute", mean=None, normalize: bool = True, baselines: bool = True,
               n_random: int = 1000, n_bootstrap: int = 1000, confidence: float = 0.95, seed=0) -> RankResult:
    """Score a saved axis (n_features,) on new labelled rows: ``s = normalise(x − mean)·axis``, nothing fitted.

    Every row with a value is held out, so Spearman ρ, Kendall τ-b and pairwise accuracy
    (with bootstrap intervals) measure how the axis transfers; ``baselines`` adds the
    random-direction band on these rows. ``mean``: the centre saved with the axis (``--centre``).
    """
    attribute = check_attribute_name(attribute)
    normalize, baselines = check_flag("normalize", normalize), check_flag("baselines", baselines)
    confidence = check_level(confidence)
    n_bootstrap = check_count("n_bootstrap", n_bootstrap, minimum=0, flag="bootstrap", hint=_bootstrap_off())
    if baselines:
        n_random = check_count("n_random", n_random, minimum=1, flag="random-directions")
    X = as_matrix(X, name="X", min_rows=2)
    w = _one_vector(axis, "an axis", param("axis"))
    if w.size != X.shape[1]:
        raise EmbgeoError(f"the axis has {w.size} dimensions but X has {X.shape[1]} columns", hint="score an axis saved from embeddings of the same model")
    if not np.all(np.isfinite(w)) or not np.any(w):
        raise EmbgeoError("the axis is zero or holds NaN/inf")
    check_y(y)
    y_all = check_attribute(y, X.shape[0], attribute=attribute)
    rows = np.flatnonzero(~np.isnan(y_all))
    if rows.size < 3 or np.unique(y_all[rows]).size < 2:
        raise EmbgeoError(f"attribute '{attribute}' needs at least 3 rows and two distinct values to score an axis")
    child = as_rng(seed).integers(0, 2**31 - 1, size=2)
    mu = None if mean is None else _one_vector(mean, "an axis centre", "the centre")
    if mu is not None and mu.size != X.shape[1]:
        raise EmbgeoError(f"the axis centre has {mu.size} dimensions but X has {X.shape[1]} columns", hint="score an axis with the centre saved beside it")
    Xall = preprocess(X[rows], mean=mu, normalize=normalize)
    yy = y_all[rows]
    refuse_degenerate(np.asarray(X[rows]), yy, attribute=attribute)
    m = _method_score("axis", Xall @ unit(w), yy, n_bootstrap=n_bootstrap, confidence=confidence, seed=int(child[0]),
                      details={"note": "a saved axis; no row was used to fit it"}, axis=unit(w))
    random = NullBand.from_draws("random", random_direction_spearman(Xall, yy, n_directions=n_random, seed=int(child[1]))) if baselines else None
    n_missing = X.shape[0] - rows.size
    notes = [f"{n_missing} of {X.shape[0]} rows have no value for '{attribute}' and were left out"] if n_missing else []
    return RankResult(attribute=attribute, n_rows=int(rows.size), n_rows_in=int(X.shape[0]), n_missing=int(n_missing), n_folds=0, n_groups=None,
                      transform="none", normalize=bool(normalize), centered=mu is not None, n_bootstrap=int(n_bootstrap), confidence=float(confidence),
                      seed=seed if isinstance(seed, (int, np.integer)) or seed is None else None, methods={"axis": m}, fewshot=None,
                      random=random, shuffled=None, notes=notes, rows=rows, y=yy, center=mu, n_dims=int(X.shape[1]))


@one_thread_when_small
def rank_axes(
    X,
    y,
    *,
    attribute: str = "attribute",
    methods=DEFAULT_METHODS,
    baselines: bool = True,
    groups=None,
    n_folds: int = 5,
    normalize: bool = True,
    center: bool = False,
    transform: str = "none",
    quantile: float = 0.1,
    shots=DEFAULT_SHOTS,
    repeats: int = 10,
    anchor_low=None,
    anchor_high=None,
    anchor_rows=None,
    n_pcs: int = 10,
    n_random: int = 1000,
    n_shuffles: int = 1000,
    k: int = keyword_default(10),
    mlp: bool = True,
    mlp_hidden: int = 64,
    n_anchor_pairs: int = 20,
    validation: float = 0.5,
    max_pairs: int = 5000,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed=0,
    knn_neighbors: int | None = None,
) -> RankResult:
    """Fit rank axes for the attribute ``y`` (n_samples,) in ``X`` (n_samples, n_features) and score them on held-out rows.

    Methods (``methods``; default :data:`DEFAULT_METHODS`, the set ``embgeo rank`` runs; see :mod:`embgeo.rank.axes` for formulas):
    ``regression`` (ridge, penalty by leave-one-out or group CV), ``extremes``
    (max row − min row), ``extremes_q`` (top-``quantile`` mean − bottom-``quantile``
    mean, default 10 %), ``fewshot`` (ridge on k ∈ ``shots`` random training rows,
    ``repeats`` draws per fold; default k = 2 … 64, 10 draws), ``anchors`` (mean of
    ``anchor_high`` − mean of ``anchor_low``, vectors (m, n_features); the rows
    ``anchor_rows`` are left out of its evaluation). With ``baselines``: the best
    of the top ``n_pcs`` (10) principal components, ``n_shuffles`` (1000) label
    permutations through the regression protocol (penalty of each fold kept), kNN
    regression (``k`` = 10 neighbours, distance-weighted, lowered to the smallest training fold with a note;
    ``knn_neighbors`` is its former name, DeprecationWarning) and ``n_random`` (1000)
    random unit directions, and (``mlp``) a small seeded MLP regression (one hidden layer of
    ``mlp_hidden`` = 64 units, L2 penalty 10⁻³, L-BFGS, at most 500 iterations) as a second nonlinear ceiling.

    ``pairwise``: logistic regression on the differences of up to ``max_pairs`` (5000)
    random training pairs (see :func:`embgeo.rank.axes.pairwise_axis`). ``anchors_best``:
    best of ``n_anchor_pairs`` (20) anchor pairs — pairs of the given low × high anchors,
    or, without anchors, pairs of a bottom-``quantile`` and a top-``quantile`` row of the
    validation split — chosen by Spearman on a seeded ``validation`` (50 %) split of the
    rows and scored on the other rows only.

    Metrics on pooled held-out scores: Spearman ρ, Kendall τ-b and pairwise
    ordering accuracy with ``n_bootstrap`` (1000) percentile-bootstrap resamples at
    ``confidence`` (0.95). Missing attribute values (NaN) drop their rows.
    Preprocessing: ``x ↦ (x − μ)/‖x − μ‖`` with μ the training mean when ``center``
    (default off) and the L2 step when ``normalize`` (default on).

    A setting this call would ignore is refused (:func:`embgeo.rank.checks.refuse_unused`): the anchors without an
    anchor method, ``mlp_hidden`` without the MLP ceiling, ``n_anchor_pairs``/``validation`` without ``anchors_best``.
    ``y``: one value per row (1-D, or one column). Yes/no settings are True or False.

    Reference: Sonthalia et al., *On the rankability of visual embeddings*.
    """
    from sklearn.neighbors import KNeighborsRegressor

    from embgeo.cosine.neighbors import check_k
    methods = tuple(dict.fromkeys(method_list("methods", methods, flag="method")))
    unknown = [m for m in methods if m not in METHODS or m == "axis"]
    if unknown:
        raise EmbgeoError(f"unknown method '{unknown[0]}' (methods: {', '.join(m for m in METHODS if m != 'axis')})",
                          hint='e.g. methods="regression" or methods=("regression", "fewshot")')
    confidence = check_level(confidence)
    n_bootstrap = check_count("n_bootstrap", n_bootstrap, minimum=0, flag="bootstrap", hint=_bootstrap_off())
    n_pcs = check_count("n_pcs", n_pcs, minimum=1, flag="pcs")
    n_random = check_count("n_random", n_random, minimum=1, flag="random-directions")
    n_shuffles = check_count("n_shuffles", n_shuffles, minimum=0, flag="shuffles",  # (--shuffles is ≥ 1: --no-baselines drops the band)
                             hint=either("n_shuffles=0 switches the shuffled-label band off", "--no-baselines skips the shuffled-label band"))
    # the message names the keyword the caller used (knn_neighbors: the former name of k, --k on the command line)
    k_name = "k" if knn_neighbors is None else "knn_neighbors"
    if knn_neighbors is not None:  # k at its default counts as not given (the warning names the caller's line)
        k = renamed_keyword("rank_axes", "knn_neighbors", knn_neighbors, "k", k if keyword_given(k) else None)
    k = check_count(k_name, k, minimum=1, flag="k")
    baselines, mlp = check_flag("baselines", baselines), check_flag("mlp", mlp)
    mlp_hidden = check_count("mlp_hidden", mlp_hidden, minimum=1)  # (no option: the command line keeps 64)
    repeats = check_count("repeats", repeats, minimum=1, hint=f"few-shot draws per size and fold, e.g. {setting('repeats', 10)}")
    n_anchor_pairs = check_count("n_anchor_pairs", n_anchor_pairs, minimum=1, flag="anchor-pairs")
    max_pairs = check_count("max_pairs", max_pairs, minimum=1)  # (no option: the command line keeps 5000)
    quantile = check_number("quantile", quantile)
    if not 0 < quantile <= 0.5:
        raise EmbgeoError(f"{param('quantile')} must be in (0, 0.5], got {quantile:g}", hint=f"e.g. {setting('quantile', 0.1)} for the top and bottom 10 %")
    validation = check_number("validation", validation)
    if not 0 < validation < 1:
        raise EmbgeoError(f"validation must be in (0, 1), got {validation:g}", hint="e.g. validation=0.5")
    refuse_unused(methods, baselines=baselines, mlp=mlp, mlp_hidden=mlp_hidden, n_anchor_pairs=n_anchor_pairs, validation=validation)
    if isinstance(shots, (str, bytes)) or not np.iterable(shots):
        raise EmbgeoError(f"shots must be a sequence of integers, got {shots!r}", hint="e.g. shots=(2, 4, 8, 16, 32, 64)")
    shots = tuple(check_count("shots", k, minimum=2, hint="few-shot sizes are integers ≥ 2, e.g. " + either("shots=(2, 4, 8)", "--shots 2,4,8"))
                  for k in shots)
    if not shots:
        raise EmbgeoError("shots is empty", hint="e.g. shots=(2, 4, 8, 16, 32, 64)")
    uses_anchors = "anchors" in methods or "anchors_best" in methods
    given = [nm for nm, v in (("anchor_low", anchor_low), ("anchor_high", anchor_high), ("anchor_rows", anchor_rows)) if v is not None]
    if given and not uses_anchors:
        raise EmbgeoError(f"{', '.join(given)} given but methods has neither 'anchors' nor 'anchors_best'; they would be ignored",
                          hint="add 'anchors' (or 'anchors_best') to methods, or leave the anchor arguments out")
    if "anchors" in methods and (anchor_low is None or anchor_high is None):
        raise EmbgeoError("the anchors method needs both low and high anchors", hint=either("pass anchor_low and anchor_high (their vectors, (m, n_features) each)", "pass --anchor-low and --anchor-high (ids) or --anchor-low-file and --anchor-high-file"))
    if (anchor_low is None) != (anchor_high is None):
        raise EmbgeoError(f"{'anchor_low' if anchor_high is None else 'anchor_high'} given without {'anchor_high' if anchor_high is None else 'anchor_low'}; "
                          "anchor pairs need both ends", hint="pass both anchor_low and anchor_high, or neither")
    column_source, source = _column_source(X, attribute), (getattr(X, "source", None) if hasattr(X, "matrix") else None)
    X, y_all, groups_all = check_inputs(X, y, groups, n_folds=n_folds, transform=transform, normalize=normalize, center=center, attribute=attribute)
    n_rows, d = X.shape
    if anchor_rows is not None:
        anchor_rows = check_row_indices("anchor_rows", anchor_rows, n_rows)
    rows = np.flatnonzero(~np.isnan(y_all))
    n_missing = n_rows - rows.size
    y = y_all[rows]
    if transform == "log1p":
        bad = np.flatnonzero(y <= -1)
        if bad.size:
            raise EmbgeoError(f"log1p needs attribute values > −1; row {int(rows[bad[0]])} of '{attribute}' is {y[bad[0]]:g}", hint=f"use {setting('transform', 'none')}")
        y = np.log1p(y)
    elif transform == "rank":  # fit the order only: robust to heavy tails (Spearman/Kendall unchanged)
        from scipy.stats import rankdata

        y = rankdata(y) / y.size
    need = 2 * n_folds
    if rows.size < need:
        raise EmbgeoError(
            f"attribute '{attribute}' has {rows.size} rows with a value ({n_missing} missing); {n_folds}-fold cross-validation needs at least {need}",
            hint=f"label more rows or pass fewer {param('n_folds', '--folds')}",
        )
    if np.unique(y).size < 2:  # named as embgeo cosine and layers name it: the file the column came from, and the remedy
        raise EmbgeoError(f"attribute '{attribute}' is constant ({y[0]:g} on all {rows.size} rows with a value); a rank axis needs at least two distinct values",
                          source=column_source, hint=f"pass a column that varies with {param('y', '--attr')}")
    g = None
    n_groups = None
    if groups_all is not None:
        g = groups_all[rows]
        n_groups = int(np.unique(g.astype(str)).size)
        if n_groups < n_folds:
            raise EmbgeoError(f"groups has {n_groups} distinct values on the used rows; {n_folds}-fold group cross-validation needs at least {n_folds}", hint=f"pass fewer {param('n_folds', '--folds')} or a coarser {either('groups', '--group column')}")
    Xu = X[rows] if rows.size < n_rows else X
    n = rows.size
    refuse_degenerate(Xu, y, attribute=attribute, source=source if source != "<array>" else None, column_source=column_source)
    if baselines:  # k ≥ the rows is refused (as cosine and compare refuse it); only a smaller training fold lowers k, with a note
        check_k(k, n, rows=f"rows with a value of '{attribute}'", source=source if source != "<array>" else None, name=k_name, flag="k")

    # independent child seeds, fixed whatever methods are chosen
    child = as_rng(seed).integers(0, 2**31 - 1, size=8)
    fold_seed, ext_seed, few_seed, perm_seed, rand_seed, boot_seed, full_seed = (int(c) for c in child[:7])
    pair_seed, mlp_seed, best_seed = (int(c) for c in as_rng(int(child[7])).integers(0, 2**31 - 1, size=3))
    pair_rng = as_rng(pair_seed)
    folds = cv_folds(n, n_folds, None if g is None else g.astype(str), fold_seed)
    k_used = min(k, min(tr.size for tr, _ in folds))  # one k in every fold: the smallest training fold bounds it
    perm_rng = as_rng(perm_seed)
    ext_rng, full_rng = as_rng(ext_seed), as_rng(full_seed)
    few_rng = as_rng(few_seed)
    notes: list[str] = []
    if n_missing:
        notes.append(f"{n_missing} of {n_rows} rows have no value for '{attribute}' and were left out")
    if baselines and k_used < k:
        notes.append(f"kNN ceiling: k = {k_used} neighbours, not {k} (the smallest training fold has {k_used} rows)")

    fold_methods = [m for m in methods if m in ("regression", "pairwise", "extremes", "extremes_q")]
    if baselines:
        fold_methods += ["pca", "knn"] + (["mlp"] if mlp else [])
    held = {m: np.full(n, np.nan) for m in fold_methods}
    fold_rho = {m: [] for m in fold_methods}
    fold_axes = {m: [] for m in fold_methods if m not in ("knn", "mlp")}
    n_perm = min(n_shuffles, max(100, SHUFFLE_BUDGET // max(n, 1)))
    if baselines and n_perm < n_shuffles:
        notes.append(f"shuffled band from {n_perm} permutations instead of {n_shuffles} to bound memory ({n} rows)")
    perms = np.stack([perm_rng.permutation(n).astype(np.int32) for _ in range(n_perm)], axis=1) if baselines and n_perm > 0 else None
    null_scores = np.full((n, 0 if perms is None else perms.shape[1]), np.nan)
    details: dict[str, dict] = {m: {} for m in fold_methods}
    alphas, pcs_chosen = [], []
    shots = tuple(sorted(set(shots))) if "fewshot" in methods else ()
    few_draws = {k: [] for k in shots}

    for fi, (tr, te) in enumerate(folds):
        ytr = y[tr]
        if np.unique(ytr).size < 2:
            raise EmbgeoError(f"fold {fi + 1}: the attribute is constant on its {tr.size} training rows", hint=f"pass fewer {param('n_folds', '--folds')} or more varied data")
        mu = Xu[tr].astype(np.float64).mean(axis=0) if center else None
        Xtr = preprocess(Xu[tr], mean=mu, normalize=normalize)
        Xte = preprocess(Xu[te], mean=mu, normalize=normalize)
        gtr = None if g is None else g[tr].astype(str)

        def put(name, scores, axis=None):
            held[name][te] = scores
            fold_rho[name].append(spearman(scores, y[te]) if te.size > 1 else np.nan)
            if axis is not None:
                fold_axes[name].append(unit(axis))

        if "regression" in fold_methods or perms is not None:
            w, _, a = ridge_axis(Xtr, ytr, groups=gtr)
            alphas.append(a)
            if "regression" in fold_methods:
                put("regression", _zscore(Xte @ w, Xtr @ w), w)
            if perms is not None:
                null_scores[te] = permuted_ridge_scores(Xtr, Xte, y[perms[tr]], alpha=a)
        if "pairwise" in fold_methods:
            w = pairwise_axis(Xtr, ytr, rng=pair_rng, max_pairs=max_pairs)
            put("pairwise", _zscore(Xte @ w, Xtr @ w), w)
        for name, fit in (("extremes", lambda: extremes_axis(Xtr, ytr, rng=ext_rng)),
                          ("extremes_q", lambda: extremes_quantile_axis(Xtr, ytr, quantile=quantile, rng=ext_rng))):
            if name in fold_methods:
                w = fit()
                put(name, _zscore(Xte @ w, Xtr @ w), w)
        if baselines:
            V = pca_axes(Xtr, n_pcs)
            Ptr = Xtr @ V.T
            rho_tr = np.array([spearman(Ptr[:, j], ytr) for j in range(V.shape[0])])
            j = int(np.nanargmax(np.abs(rho_tr)))
            w = V[j] * (1.0 if rho_tr[j] >= 0 else -1.0)
            pcs_chosen.append(j + 1)
            put("pca", _zscore(Xte @ w, Xtr @ w), w)
            knn = KNeighborsRegressor(n_neighbors=k_used, weights="distance").fit(Xtr, ytr)
            put("knn", knn.predict(Xte) - ytr.mean())
            if mlp:
                put("mlp", mlp_predict(Xtr, ytr, Xte, hidden=mlp_hidden, seed=mlp_seed))
        for shot in shots:
            if shot > tr.size:
                continue
            for _ in range(repeats):
                pick = few_rng.choice(tr.size, size=shot, replace=False)
                for _retry in range(20):  # a draw needs two distinct attribute values
                    if np.unique(ytr[pick]).size >= 2:
                        break
                    pick = few_rng.choice(tr.size, size=shot, replace=False)
                else:
                    few_draws[shot].append(np.nan)
                    continue
                w = fewshot_axis(Xtr[pick], ytr[pick])
                few_draws[shot].append(spearman(Xte @ w, y[te]))

    # full-data axes (what --save-axis writes and RankResult.score uses)
    mu_all = Xu.astype(np.float64).mean(axis=0) if center else None
    Xall = preprocess(Xu, mean=mu_all, normalize=normalize)
    full_axes = {}
    if "regression" in fold_methods:
        w, _, a_all = ridge_axis(Xall, y, groups=None if g is None else g.astype(str))
        full_axes["regression"] = unit(w)
        details["regression"] = {"alpha": a_all, "fold_alphas": alphas}
    if "pairwise" in fold_methods:
        full_axes["pairwise"] = unit(pairwise_axis(Xall, y, rng=pair_rng, max_pairs=max_pairs))
        details["pairwise"] = {"max_pairs": int(max_pairs)}
    if "extremes" in fold_methods:
        full_axes["extremes"] = unit(extremes_axis(Xall, y, rng=full_rng))
    if "extremes_q" in fold_methods:
        full_axes["extremes_q"] = unit(extremes_quantile_axis(Xall, y, quantile=quantile, rng=full_rng))
        details["extremes_q"] = {"quantile": quantile}
    if baselines:
        V = pca_axes(Xall, n_pcs)
        rho_all = np.array([spearman(Xall @ v, y) for v in V])
        j = int(np.nanargmax(np.abs(rho_all)))
        full_axes["pca"] = V[j] * (1.0 if rho_all[j] >= 0 else -1.0)
        details["pca"] = {"n_components": int(V.shape[0]), "fold_best_pc": pcs_chosen, "best_pc": j + 1}
        details["knn"] = {"k": int(k_used)}
        if mlp:
            details["mlp"] = {"hidden": int(mlp_hidden), "max_iter": MLP_MAX_ITER}

    result_methods: dict[str, MethodScore] = {}
    for name in fold_methods:
        met = ordering_metrics(held[name], y, n_bootstrap=n_bootstrap, confidence=confidence, seed=boot_seed)
        fa = np.asarray(fold_axes[name]) if fold_axes.get(name) else None
        result_methods[name] = MethodScore(
            method=name, spearman=met["spearman"], spearman_ci=met["spearman_ci"], kendall=met["kendall"],
            kendall_ci=met["kendall_ci"], pairwise_accuracy=met["pairwise_accuracy"], pairwise_accuracy_ci=met["pairwise_accuracy_ci"],
            n_heldout=met["n"], fold_spearman=np.asarray(fold_rho[name]), details=details[name], heldout=held[name],
            fold_axes=fa, axis=full_axes.get(name),
        )

    if "anchors" in methods:
        low = as_matrix(np.atleast_2d(anchor_low), name="low anchors", min_rows=1)
        high = as_matrix(np.atleast_2d(anchor_high), name="high anchors", min_rows=1)
        for nm, A in (("low anchors", low), ("high anchors", high)):
            if A.shape[1] != d:
                raise EmbgeoError(f"{nm} have {A.shape[1]} columns but X has {d}", hint="anchors must be embedded by the same model")
        w = unit(anchor_axis(preprocess(low, mean=mu_all, normalize=normalize), preprocess(high, mean=mu_all, normalize=normalize)))
        if not np.any(w):
            raise EmbgeoError("the low and high anchors are the same vector; the anchor axis is undefined")
        scores = Xall @ w
        if anchor_rows is not None:
            excl = np.isin(rows, np.asarray(anchor_rows, dtype=np.int64))
            scores = np.where(excl, np.nan, scores)
        met = ordering_metrics(scores, y, n_bootstrap=n_bootstrap, confidence=confidence, seed=boot_seed)
        result_methods["anchors"] = MethodScore(
            method="anchors", spearman=met["spearman"], spearman_ci=met["spearman_ci"], kendall=met["kendall"],
            kendall_ci=met["kendall_ci"], pairwise_accuracy=met["pairwise_accuracy"], pairwise_accuracy_ci=met["pairwise_accuracy_ci"],
            n_heldout=met["n"], fold_spearman=np.empty(0), details={"n_low": int(low.shape[0]), "n_high": int(high.shape[0]),
            "note": "no labels are fitted, so every non-anchor row is held out"}, heldout=scores, fold_axes=None, axis=w,
        )

    if "anchors_best" in methods:
        result_methods["anchors_best"] = _best_anchor_pair(
            Xall, y, rows, anchor_low=anchor_low, anchor_high=anchor_high, anchor_rows=anchor_rows, mean=mu_all, normalize=normalize,
            n_pairs=n_anchor_pairs, validation=validation, quantile=quantile, n_bootstrap=n_bootstrap, confidence=confidence,
            seed=best_seed, boot_seed=boot_seed)

    fewshot = None
    if shots:
        ks = [k for k in shots if few_draws[k]]
        skipped = [k for k in shots if not few_draws[k]]
        if skipped:
            notes.append(f"few-shot k = {', '.join(map(str, skipped))} skipped: more than the training rows of a fold")
        if ks:
            width = max(len(few_draws[k]) for k in ks)
            D = np.full((len(ks), width), np.nan)
            for i, shot in enumerate(ks):
                D[i, : len(few_draws[shot])] = few_draws[shot]
            with warnings.catch_warnings():  # a k whose draws all failed gives NaN, not a warning
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanpercentile(D, [5, 25, 50, 75, 95], axis=1)
                mean, std = np.nanmean(D, axis=1), np.nanstd(D, axis=1)
            fewshot = FewShotCurve(k=np.asarray(ks), draws=D, mean=mean, std=std, q05=q[0], q25=q[1], median=q[2], q75=q[3], q95=q[4], spearman=float(mean[-1]))

    random = shuffled = None
    if baselines:
        random = NullBand.from_draws("random", random_direction_spearman(Xall, y, n_directions=n_random, seed=rand_seed))
        if perms is not None:
            rhos = pearson_columns(average_ranks(null_scores, axis=0), average_ranks(y)[perms], axis=0)
            shuffled = NullBand.from_draws("shuffled", rhos, {"note": "regression protocol on permuted labels, each fold's penalty kept"})

    return RankResult(
        attribute=attribute, n_rows=int(n), n_rows_in=int(n_rows), n_missing=int(n_missing), n_folds=int(n_folds), n_groups=n_groups,
        transform=transform, normalize=bool(normalize), centered=bool(center), n_bootstrap=int(n_bootstrap), confidence=float(confidence),
        seed=seed if isinstance(seed, (int, np.integer)) or seed is None else None, methods=result_methods, fewshot=fewshot, random=random, shuffled=shuffled,
        notes=notes, rows=rows, y=y, center=mu_all, n_dims=int(d),
    )
