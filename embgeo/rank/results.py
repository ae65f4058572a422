"""Results of the rank-axis protocol: :class:`RankResult` and its parts (per-method scores,
the few-shot curve, the chance bands), with the contract's ``metrics()`` and ``verdict()``.

Reference: Sonthalia et al., *On the rankability of visual embeddings*.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError, either
from embgeo.rank.axes import preprocess
from embgeo.results import Metric, Result, Verdict, jsonable
from embgeo.validation import as_matrix

#: axis methods in the order they are reported
METHODS = ("axis", "regression", "pairwise", "extremes", "extremes_q", "fewshot", "anchors", "anchors_best")
#: baselines in the order they are reported
BASELINES = ("pca", "knn", "mlp", "shuffled", "random")
#: methods with one axis that can be saved and used to score new items
AXIS_METHODS = ("regression", "pairwise", "extremes", "extremes_q", "anchors", "anchors_best", "pca")
#: the linear axes whose held-out Spearman can decide the verdict (the best of those that ran)
VERDICT_ORDER = ("axis", "regression", "pairwise", "extremes_q", "anchors_best", "anchors", "extremes")
#: thresholds of the verdict: bad inside the random-direction band, warn below this ρ
RANK_WARN = 0.5
DEFAULT_SHOTS = (2, 4, 8, 16, 32, 64)
TRANSFORMS = ("none", "log1p", "rank")

_LABELS = {
    "regression": "ridge regression (CV penalty)",
    "extremes": "two extremes (max − min row)",
    "extremes_q": "top-q mean − bottom-q mean",
    "fewshot": "few-shot ridge",
    "anchors": "user anchors (high − low)",
    "anchors_best": "best of N anchor pairs (chosen on a validation split)",
    "pairwise": "pairwise logistic axis",
    "axis": "a saved axis, scored on these rows",
    "mlp": "MLP regression (nonlinear ceiling)",
    "pca": "best of top PCs (baseline)",
    "shuffled": "regression on shuffled labels, 95th pct |ρ| (baseline)",
    "knn": "kNN regression (nonlinear ceiling)",
    "random": "random directions, 95th pct |ρ| (baseline)",
}


def _fold_cosine(fold_axes: np.ndarray | None) -> float:
    """Mean cosine between the unit axes of different folds (1 = the same axis every time)."""
    if fold_axes is None or fold_axes.shape[0] < 2:
        return float("nan")
    G = fold_axes @ fold_axes.T
    iu = np.triu_indices(G.shape[0], 1)
    return float(G[iu].mean())


@dataclass(frozen=True, slots=True)
class MethodScore(Result):
    """Held-out ordering metrics of one method.

    ``heldout`` (n_rows,) is the held-out score of each used row (NaN where a row
    was not scored, e.g. an anchor row); ``fold_axes`` (n_folds, n_features) the
    unit axis fitted in each fold; ``axis`` (n_features,) the unit axis fitted on
    all used rows (``None`` for methods without a linear axis).
    """

    method: str
    spearman: float
    spearman_ci: list
    kendall: float
    kendall_ci: list
    pairwise_accuracy: float
    pairwise_accuracy_ci: list
    n_heldout: int
    fold_spearman: np.ndarray
    details: dict
    heldout: np.ndarray = field(repr=False)
    fold_axes: np.ndarray | None = field(default=None, repr=False)
    axis: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return jsonable({
            "method": self.method,
            "spearman": self.spearman,
            "ci_low": self.spearman_ci[0],
            "ci_high": self.spearman_ci[1],
            "kendall": self.kendall,
            "kendall_ci_low": self.kendall_ci[0],
            "kendall_ci_high": self.kendall_ci[1],
            "pairwise_accuracy": self.pairwise_accuracy,
            "pairwise_accuracy_ci_low": self.pairwise_accuracy_ci[0],
            "pairwise_accuracy_ci_high": self.pairwise_accuracy_ci[1],
            "n_heldout": self.n_heldout,
            "fold_spearman": self.fold_spearman,
            "fold_axis_cosine": _fold_cosine(self.fold_axes),
            **self.details,
        })


@dataclass(frozen=True, slots=True)
class FewShotCurve(Result):
    """Held-out Spearman of few-shot axes against the number of labelled rows ``k``.

    ``draws`` (n_k, n_draws) holds ρ of every draw (folds × repeats; NaN where a
    draw could not be made); ``mean``, ``std`` and the quantiles ``q05 … q95`` are
    over draws. ``spearman`` is the mean at the largest ``k``.
    """

    k: np.ndarray
    draws: np.ndarray = field(repr=False)
    mean: np.ndarray
    std: np.ndarray
    q05: np.ndarray
    q25: np.ndarray
    median: np.ndarray
    q75: np.ndarray
    q95: np.ndarray
    spearman: float
    method: str = "fewshot"

    def to_dict(self) -> dict:
        curve = [
            {"k": int(k), "mean": self.mean[i], "std": self.std[i], "q05": self.q05[i], "q25": self.q25[i],
             "median": self.median[i], "q75": self.q75[i], "q95": self.q95[i], "n_draws": int(np.isfinite(self.draws[i]).sum())}
            for i, k in enumerate(self.k)
        ]
        return jsonable({"method": self.method, "spearman": self.spearman, "k_max": int(self.k[-1]), "curve": curve})


@dataclass(frozen=True, slots=True)
class NullBand(Result):
    """Spearman ρ of ``n_draws`` chance draws (random directions, or the regression
    protocol on permuted labels); ``spearman`` is the 95th percentile of |ρ| (the band)."""

    method: str
    n_draws: int
    spearman: float
    abs_mean: float
    abs_p99: float
    abs_max: float
    rhos: np.ndarray = field(repr=False)
    details: dict = field(default_factory=dict)

    @classmethod
    def from_draws(cls, method: str, rhos: np.ndarray, details: dict | None = None) -> "NullBand":
        a = np.abs(rhos[np.isfinite(rhos)])
        if a.size == 0:
            a = np.array([np.nan])
        return cls(method=method, n_draws=int(rhos.size), spearman=float(np.percentile(a, 95)), abs_mean=float(a.mean()),
                   abs_p99=float(np.percentile(a, 99)), abs_max=float(a.max()), rhos=rhos, details=details or {})

    def to_dict(self) -> dict:
        return jsonable({"method": self.method, "band": self.spearman, "abs_p95": self.spearman, "abs_mean": self.abs_mean,
                         "abs_p99": self.abs_p99, "abs_max": self.abs_max, "n_draws": self.n_draws, **self.details})


@dataclass(frozen=True, slots=True)
class RankResult(Result):
    """Everything :func:`rank_axes` measured.

    ``n_rows``: the rows measured (those with a value of the attribute, the rows every number is on);
    ``n_rows_in``: the rows given; ``n_missing``: those without a value — as the JSON's keys
    (``n_used`` is the former name of ``n_rows``, and ``n_rows`` was the rows given, before 0.2).
    ``rows`` (n_rows,) are the indices of the used rows in the input; ``y`` their
    attribute (after the transform); ``center`` the mean of the used rows when
    centring is on (it is subtracted before normalising in :meth:`score`).
    """

    attribute: str
    n_rows: int
    n_rows_in: int
    n_missing: int
    n_folds: int
    n_groups: int | None
    transform: str
    normalize: bool
    centered: bool
    n_bootstrap: int
    confidence: float
    seed: int | None
    methods: dict
    fewshot: FewShotCurve | None
    random: NullBand | None
    shuffled: NullBand | None
    notes: list
    rows: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    center: np.ndarray | None = field(default=None, repr=False)
    n_dims: int | None = None

    @property
    def n_used(self) -> int:
        """The former name of :attr:`n_rows` (the rows measured); DeprecationWarning."""
        import warnings

        warnings.warn("RankResult.n_used is now n_rows (the rows measured; the rows given are n_rows_in)", DeprecationWarning, stacklevel=2)
        return self.n_rows

    def to_dict(self) -> dict:
        """Settings and counts (``n_rows``: the rows measured, those with a value; ``n_rows_in``: the rows given;
        ``n_missing``: those without a value), ``methods`` (per method: ``spearman`` with ``ci_low``/``ci_high``,
        ``kendall`` and ``pairwise_accuracy`` with ``*_ci_low``/``*_ci_high``), ``fewshot`` (the curve),
        ``knn_ceiling``/``mlp_ceiling`` (``value``, ``ci_low``, ``ci_high``; ``k``, the neighbours the kNN regression
        used, or ``hidden``, ``max_iter``), ``random_band``/``shuffled_band``."""
        out = {
            "attr": self.attribute, "n_rows": self.n_rows, "n_rows_in": self.n_rows_in, "n_dims": self.n_dims, "n_missing": self.n_missing,
            "folds": self.n_folds, "groups": self.n_groups, "transform": self.transform, "normalize": self.normalize,
            "centre": self.centered, "bootstrap": self.n_bootstrap, "confidence": self.confidence, "seed": self.seed,
            "methods": {},
        }
        for name, m in self.ordered():
            if name in ("knn", "mlp"):
                out[f"{name}_ceiling"] = {"value": m.spearman, "ci_low": m.spearman_ci[0], "ci_high": m.spearman_ci[1], **m.details}
            elif name in ("random", "shuffled"):
                out[f"{name}_band"] = m.spearman
                out[f"{name}_band_detail"] = m.to_dict()
            elif name == "fewshot":
                out["fewshot"] = m.to_dict()
            else:
                out["methods"][name] = m.to_dict()
        out["notes"] = list(self.notes)
        return jsonable(out)

    def metrics(self) -> list[Metric]:
        """Tidy rows: ``spearman``, ``kendall``, ``pairwise_accuracy`` per method (extra ``method``), few-shot
        ``spearman`` (mean over draws) with ``spearman_q05``/``spearman_q95`` per ``k``, ``knn_ceiling``,
        ``mlp_ceiling``, ``random_band``, ``shuffled_band``; every row carries ``attr``."""
        decider = self._decider()
        v = self.verdict()
        rows = []
        for name, m in self.ordered():
            ex = {"attr": self.attribute, "method": name}
            if isinstance(m, MethodScore) and name in ("knn", "mlp"):
                if name == "knn":
                    ex["k"] = m.details.get("k")
                rows.append(Metric(f"{name}_ceiling", m.spearman, m.spearman_ci[0], m.spearman_ci[1], extra=ex))
            elif isinstance(m, MethodScore):
                rows.append(Metric("spearman", m.spearman, m.spearman_ci[0], m.spearman_ci[1],
                                   status=v.status if name == decider else "", extra=ex))
                rows.append(Metric("kendall", m.kendall, m.kendall_ci[0], m.kendall_ci[1], extra=ex))
                rows.append(Metric("pairwise_accuracy", m.pairwise_accuracy, m.pairwise_accuracy_ci[0], m.pairwise_accuracy_ci[1], extra=ex))
            elif isinstance(m, FewShotCurve):
                for i, k in enumerate(m.k):
                    exk = {**ex, "k": int(k)}
                    rows += [Metric("spearman", m.mean[i], extra=exk), Metric("spearman_q05", m.q05[i], extra=exk),
                             Metric("spearman_q95", m.q95[i], extra=exk)]
            else:
                rows.append(Metric(f"{name}_band", m.spearman, extra={"attr": self.attribute}))
        return rows

    def _decider(self) -> str | None:
        ran = [m for m in VERDICT_ORDER if m in self.methods and np.isfinite(self.methods[m].spearman)]
        return max(ran, key=lambda m: self.methods[m].spearman) if ran else None  # first of equals

    def verdict(self) -> Verdict:
        """On the best held-out linear axis (the highest ρ of ``axis``, ``regression``, ``pairwise``, ``extremes_q``,
        ``anchors_best``, ``anchors``, ``extremes`` that ran; the PCA baseline never decides): ``bad`` when its ρ is
        within the random-direction band (95th percentile of |ρ|), ``warn`` below ρ = 0.5, else ``ok``; ``info``
        without an axis. When the ridge axis trails the best order-only axis by more than 0.1, the fix says to
        fit a transformed attribute (a heavy tail drags the ridge fit)."""
        name = self._decider()
        if name is None:
            return Verdict("info", "no linear axis was scored (few-shot curves and ceilings only)", "", None)
        m = self.methods[name]
        rho = m.spearman
        band = self.random.spearman if self.random is not None else float("nan")
        b, what = rho_texts(rho, band, m.spearman_ci, "saved" if name == "axis" else name)
        reg = self.methods.get("regression")
        hint = ""
        if reg is not None and name != "regression" and np.isfinite(reg.spearman) and reg.spearman < rho - 0.1 and self.transform == "none":
            hint = (f"the ridge axis reaches only ρ {reg.spearman:.3f}: fit a transformed attribute ("
                    + either("transform='log1p' or 'rank'", "--transform log1p or rank") + ") "
                    "if it is heavy-tailed")
        if np.isfinite(band) and rho <= band:
            fix = (f"the saved axis does not rank these rows: fit one on them ({either('rank_axes', 'drop --axis')}), and check both sets come from the same model"
                   if name == "axis" else "rank with a nonlinear model (see knn_ceiling) or find a better-suited embedding")
            return Verdict("bad", f"'{self.attribute}' is not a direction: {what} is within the random band ({b})", fix, "spearman")
        if rho < RANK_WARN:
            return Verdict("warn", f"a weak direction: {what} is below {RANK_WARN} ({b})",
                           f"treat x·w as a coarse ordering; more labels or a centred fit ({either('center=True', '--centre')}) may help", "spearman")
        return Verdict("ok", f"'{self.attribute}' is a direction: {what} ≥ {RANK_WARN} ({b})", hint, "spearman")

    def ordered(self) -> list[tuple[str, Result]]:
        """``(name, result)`` for every method and baseline that ran, in report order."""
        items = []
        for name in METHODS + BASELINES:
            if name == "fewshot" and self.fewshot is not None:
                items.append((name, self.fewshot))
            elif name == "random" and self.random is not None:
                items.append((name, self.random))
            elif name == "shuffled" and self.shuffled is not None:
                items.append((name, self.shuffled))
            elif name in self.methods:
                items.append((name, self.methods[name]))
        return items

    def table(self):
        """One row per method: ρ with its bootstrap interval (``ci_low``, ``ci_high``), Kendall τ-b and pairwise accuracy.

        Few-shot rows give the mean ρ over draws and the 5–95 % range of the draws;
        ``random`` and ``shuffled`` rows give their band (95th percentile of |ρ|).
        """
        columns = ["method", "spearman", "ci_low", "ci_high", "kendall", "pairwise_accuracy", "note"]
        rows = []
        for name, m in self.ordered():
            if isinstance(m, MethodScore):
                rows.append([name, _r(m.spearman), _r(m.spearman_ci[0]), _r(m.spearman_ci[1]), _r(m.kendall), _r(m.pairwise_accuracy),
                             "ceiling" if name in ("knn", "mlp") else ""])
            elif isinstance(m, FewShotCurve):
                for i, k in enumerate(m.k):
                    rows.append([f"fewshot k={int(k)}", _r(m.mean[i]), _r(m.q05[i]), _r(m.q95[i]), None, None, "5–95 % of draws"])
            else:
                rows.append([f"{name} (band)", _r(m.spearman), None, None, None, None, "95th pct |ρ|"])
        return columns, jsonable(rows)

    def score(self, X, method: str = "regression") -> np.ndarray:
        """Score rows of ``X`` (n_samples, n_features) on ``method``'s full-data axis:
        ``s = normalise(x − center) · axis`` (the same preprocessing as the fit)."""
        m = self.methods.get(method)
        if m is None or m.axis is None:
            have = ", ".join(k for k, v in self.methods.items() if v.axis is not None) or "none"
            raise EmbgeoError(f"method '{method}' has no axis here (axes: {have})", hint="pick one of the methods that ran")
        X = as_matrix(X, name="X", min_rows=1)
        if X.shape[1] != m.axis.size:
            raise EmbgeoError(f"X has {X.shape[1]} columns but the axis has {m.axis.size}")
        return preprocess(X, mean=self.center, normalize=self.normalize) @ m.axis


def _r(v) -> float | None:
    """A table cell: the number itself (the renderer rounds for display; CSV keeps every digit)."""
    v = float(v)
    return v if np.isfinite(v) else None


def _span(ci) -> str:
    lo, hi = (float(c) for c in ci)
    return f"{lo:.3f} – {hi:.3f}" if np.isfinite(lo) and np.isfinite(hi) else ""



def rho_texts(rho: float, band: float, ci, axis: str) -> tuple[str, str]:
    """The band and ρ as the rank verdicts quote them, at one precision at which they compare as the
    rule compared them, ρ on its side of 0.5 (:func:`embgeo.results.beside_each_other`)."""
    from embgeo.results import beside_each_other, beside_threshold

    if np.isfinite(band):
        rho_text, band_text = beside_each_other(rho, band, limits_a=(RANK_WARN,))
        b = f"random directions reach |ρ| {band_text} (95th percentile)"
    else:
        rho_text, b = beside_threshold(rho, RANK_WARN, digits=3), f"no random-direction band ({either('baselines=False', '--no-baselines')})"
    ci_text = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if np.isfinite(ci[0]) else ""
    return b, f"held-out Spearman ρ {rho_text}{ci_text} on the {axis} axis"


__all__ = ["MethodScore", "FewShotCurve", "NullBand", "RankResult", "METHODS", "BASELINES", "AXIS_METHODS",
           "VERDICT_ORDER", "RANK_WARN", "DEFAULT_SHOTS", "TRANSFORMS", "rho_texts"]
