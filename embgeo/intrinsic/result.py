"""All intrinsic-dimension estimators on one matrix, sharing one neighbour search.

:func:`intrinsic_dimension` samples rows (seeded), drops exact duplicates for
the ratio estimators, runs :func:`embgeo.knn.engine.knn` once with the largest
``k`` any asked method needs, and hands the distances to TwoNN, MLE and GRIDE;
PCA, RankMe and matrix entropy share one float64 scatter spectrum.

The report says which estimate to read (:meth:`IntrinsicReport.recommended`)
and why, and gives a verdict (:meth:`IntrinsicReport.verdict`) from its own
numbers: ``warn`` when the neighbour estimators disagree beyond their 95 %
intervals, when GRIDE's scale curve has no plateau, or when halving a
``sample`` moves TwoNN beyond its interval (the estimate depends on scale).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.intrinsic.corrected import CalibratedResult, calibrated_dimension
from embgeo.intrinsic.estimators import (
    HIGH_ID_NOTE,
    NOISE_NOTE,
    GrideResult,
    MLEResult,
    TwoNNResult,
    gride_dimension,
    mle_dimension,
    prepare_points,
    twonn_dimension,
)
from embgeo.intrinsic.spectral import (
    EntropyResult,
    PCAResult,
    RankMeResult,
    matrix_entropy,
    pca_dimension,
    rankme,
    scatter_spectrum,
)
from embgeo.knn.engine import Neighbors, knn
from embgeo.results import Metric, Result, Verdict, jsonable
from embgeo.validation import as_matrix, as_rng

# --- the method registry: one name per method, in the order tables show them ----------------
#: every method ``--method`` accepts (``all`` = every one)
METHODS = ("twonn", "mle", "gride", "calibrated", "pca", "rankme", "entropy")
#: the intrinsic-dimension estimators: they read nearest-neighbour distances (one shared search)
NEIGHBOR_METHODS = ("twonn", "mle", "gride", "calibrated")
#: the spectral (linear) measures: they read the eigenvalues of the scatter matrix
SPECTRAL_METHODS = ("pca", "rankme", "entropy")
#: which estimate to read, the first that applies (``gride.plateau``: only when GRIDE's scale curve has one)
RECOMMEND_ORDER = ("calibrated", "gride.plateau", "twonn", "mle")

#: the peers' defaults shown next to embgeo's (skdim / DADApy): TwoNN linear fit with discard 0.1, MLE at k = 20
PEER_TWONN_DISCARD = 0.1
PEER_MLE_K = 20
#: GRIDE plateau: ≥ PLATEAU_MIN consecutive scales within PLATEAU_TOL of their median (or within their intervals)
PLATEAU_MIN = 3
PLATEAU_TOL = 0.10
#: interval level of every ``ci_low``/``ci_high`` here
LEVEL = 0.95
Z95 = 1.959963984540054
#: estimates above this read as lower bounds (HIGH_ID_NOTE)
HIGH_ID = 20.0


def parse_methods(methods) -> tuple[str, ...]:
    """``"twonn,mle"`` / ``["twonn", "mle,pca"]`` / ``["all"]`` → validated method names in canonical order."""
    if isinstance(methods, str):
        methods = [methods]
    names = set()
    for item in methods or ():
        for m in str(item).replace(" ", "").split(","):
            m = m.lower()
            if not m:
                continue
            if m == "all":  # calibrated is opt-in: its first call at a given n measures reference curves
                names.update(x for x in METHODS if x != "calibrated")
            elif m in METHODS:
                names.add(m)
            else:
                raise EmbgeoError(f"unknown method {m!r}; choose from {', '.join(METHODS)} or all", hint="e.g. --method twonn,mle")
    if not names:
        raise EmbgeoError("no method given", hint=f"choose from {', '.join(METHODS)} or all")
    return tuple(m for m in METHODS if m in names)


def sample_rows(n: int, sample: int | None, seed) -> np.ndarray | None:
    """Sorted seeded row indices of a subsample of size ``sample`` (None: all rows)."""
    if sample is None or sample >= n:
        return None
    if not isinstance(sample, (int, np.integer)) or sample < 3:
        raise EmbgeoError(f"sample must be an integer ≥ 3; got {sample!r}")
    return np.sort(as_rng(seed).choice(n, size=int(sample), replace=False))


def take_rows(X: np.ndarray, rows: np.ndarray, *, window_rows: int = 32768) -> np.ndarray:
    """``X[rows]`` for sorted ``rows``; on a memory map, read through short-lived windows.

    Fancy indexing a memory map faults in (and keeps mapped, counted as resident
    memory) every page the read-ahead touches — most of the file for a 10 % sample.
    Mapping one window of at most ``window_rows`` rows at a time keeps resident
    memory near the size of the sample.
    """
    if not isinstance(X, np.memmap) or getattr(X, "filename", None) is None or not X.flags.c_contiguous:
        return np.asarray(X[rows])
    out = np.empty((rows.size, X.shape[1]), dtype=X.dtype)
    row_bytes = X.shape[1] * X.dtype.itemsize
    i = 0
    while i < rows.size:
        lo = int(rows[i])
        j = int(np.searchsorted(rows, lo + window_rows, side="left"))
        hi = int(rows[j - 1]) + 1
        win = np.memmap(X.filename, dtype=X.dtype, mode="r", offset=X.offset + lo * row_bytes, shape=(hi - lo, X.shape[1]))
        out[i:j] = win[rows[i:j] - lo]
        del win  # unmapped: its pages stop counting as this process's memory
        i = j
    return out


# --------------------------------------------------------------------------- plateau, sample check


@dataclass(frozen=True, slots=True)
class Plateau:
    """Consecutive GRIDE scales ``first..last`` (indices) whose estimates agree: ``value`` is their
    median, ``ci_low``/``ci_high`` the envelope of their 95 % intervals (d ± 1.96 s.e.)."""

    first: int
    last: int
    n2_first: int
    n2_last: int
    value: float
    ci_low: float
    ci_high: float


def gride_plateau(g: GrideResult) -> Plateau | None:
    """The longest run of ≥ :data:`PLATEAU_MIN` consecutive GRIDE scales whose estimates agree.

    A run agrees when ``max − min ≤ max(PLATEAU_TOL · median, 2 · 1.96 · largest s.e.)``: within
    10 % of each other, or within their 95 % intervals when those are wider. Ties go to the run
    at larger scales (above the noise). ``None`` when there is no such run (or too few scales).
    """
    d = np.asarray(g.dimension, dtype=np.float64)
    e = np.asarray(g.stderr, dtype=np.float64)
    best = None
    for i in range(d.size):
        for j in range(i + PLATEAU_MIN, d.size + 1):
            run, err = d[i:j], e[i:j]
            if not (np.all(np.isfinite(run)) and np.all(np.isfinite(err))):
                break
            if run.max() - run.min() > max(PLATEAU_TOL * float(np.median(run)), 2 * Z95 * float(err.max())):
                break
            if best is None or (j - i) >= (best[1] - best[0]):
                best = (i, j)
    if best is None:
        return None
    i, j = best
    run, err = d[i:j], e[i:j]
    return Plateau(i, j - 1, int(g.n2[i]), int(g.n2[j - 1]), float(np.median(run)),
                   float(np.min(run - Z95 * err)), float(np.max(run + Z95 * err)))


@dataclass(frozen=True, slots=True)
class SampleCheck:
    """TwoNN (censored MLE, exact χ² 95 % interval) on the ``--sample`` rows and on a seeded half of them.

    On data with structure at several scales the estimate depends on n (fewer points =
    larger neighbourhoods); ``agree`` is False when the two intervals do not overlap.
    """

    n_rows: int
    dimension: float
    ci_low: float
    ci_high: float
    n_rows_half: int
    dimension_half: float
    ci_low_half: float
    ci_high_half: float

    @property
    def agree(self) -> bool:
        return not (self.ci_high_half < self.ci_low or self.ci_low_half > self.ci_high)

    @property
    def relative_change(self) -> float:
        return float(self.dimension_half / self.dimension - 1.0)

    def to_dict(self) -> dict:
        return {
            "twonn": [
                {"n_rows": self.n_rows, "dimension": self.dimension, "ci_low": self.ci_low, "ci_high": self.ci_high},
                {"n_rows": self.n_rows_half, "dimension": self.dimension_half, "ci_low": self.ci_low_half, "ci_high": self.ci_high_half},
            ],
            "variant": "mle", "agree": self.agree, "relative_change": self.relative_change,
        }


def sample_check(Xd: np.ndarray, main: TwoNNResult, *, seed, discard_fraction: float, metric: str, approx: bool,
                 backend: str, device: str) -> SampleCheck | None:
    """TwoNN on a seeded half of the (deduplicated, sampled) rows ``Xd`` against ``main`` (on all of them)."""
    n = Xd.shape[0]
    half = n // 2
    if half < 20:
        return None
    rows = np.sort(as_rng(seed).choice(n, size=half, replace=False))
    nb = knn(np.asarray(Xd[rows]), 2, metric=metric, approx=approx, seed=seed, backend=backend, device=device, check_duplicates=False)
    h = twonn_dimension(neighbors=nb, discard_fraction=discard_fraction, variant="mle", n_boot=0, seed=seed)
    return SampleCheck(int(n), float(main.mle), *map(float, main.mle_exact_interval),
                       int(half), float(h.mle), *map(float, h.mle_exact_interval))


# --------------------------------------------------------------------------- the report


def _ci(r) -> tuple[float, float]:
    """``(ci_low, ci_high)`` of an estimator result: its bootstrap interval, or (TwoNN's censored
    MLE without a bootstrap) its exact χ² interval; NaN when it has none."""
    lo, hi = getattr(r, "interval", None) or (None, None)
    if not _finite(lo, hi) and getattr(r, "variant", None) == "mle" and getattr(r, "mle_exact_interval", None) is not None:
        lo, hi = r.mle_exact_interval
    return (float("nan") if lo is None else float(lo)), (float("nan") if hi is None else float(hi))


def _finite(*v) -> bool:
    return all(x is not None and np.isfinite(x) for x in v)


@dataclass(frozen=True, slots=True)
class Estimate:
    """One number to read: ``metric`` id, value, 95 % interval and a short description."""

    metric: str
    value: float
    ci_low: float
    ci_high: float
    reason: str = ""

    def to_dict(self) -> dict:
        return {"metric": self.metric, "value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class IntrinsicReport(Result):
    """Every asked estimator on one matrix; keys named after the methods.

    ``twonn_linear`` and ``mle_k20`` are the peers' defaults (skdim / DADApy: TwoNN
    linear fit with discard 0.1; MLE at k = 20) on the same neighbours, shown
    next to embgeo's defaults; ``sample_check`` compares TwoNN on the sample
    and on half of it (only with ``sample``).
    """

    n_rows: int
    n_used: int
    n_duplicates_dropped: int
    sampled: bool
    methods: tuple
    twonn: TwoNNResult | None = None
    mle: MLEResult | None = None
    gride: GrideResult | None = None
    calibrated: CalibratedResult | None = None
    pca: PCAResult | None = None
    rankme: RankMeResult | None = None
    entropy: EntropyResult | None = None
    neighbors: dict | None = None
    notes: tuple = field(default=())
    n_dims: int = 0
    twonn_linear: TwoNNResult | None = None
    mle_k20: MLEResult | None = None
    sample_check: SampleCheck | None = None

    # ---- which estimate to read, and the verdict (the CLI and the report call these) ----
    def plateau(self) -> Plateau | None:
        return gride_plateau(self.gride) if self.gride is not None and self.gride.dimension.size else None

    def estimates(self) -> list[Estimate]:
        """The neighbour estimators' headline numbers, in table order (GRIDE: its plateau, when there is one)."""
        out = []
        for m in self.methods:
            if m not in NEIGHBOR_METHODS:
                continue
            r = getattr(self, m, None)
            if r is None:
                continue
            if m == "gride":
                p = self.plateau()
                if p is not None:
                    out.append(Estimate("gride.plateau", p.value, p.ci_low, p.ci_high))
            else:
                out.append(Estimate(m, float(r.dimension), *_ci(r)))
        return out

    def recommended(self) -> Estimate | None:
        """Which estimate to read, and why (the first of :data:`RECOMMEND_ORDER` that applies).

        * GRIDE's plateau, when its scale curve has one: the dimension that holds over a range of
          neighbourhood scales, above the scale where noise inflates it (Denti et al. 2022);
        * else TwoNN: it reads the smallest neighbourhoods (two neighbours), the least affected by
          curvature and by density changing across the data (Facco et al. 2017);
        * else MLE; with no neighbour estimator, PCA's participation ratio (linear directions only).
        """
        found = {e.metric: e for e in self.estimates()}
        high = ""
        why = {
            "gride.plateau": lambda p: f"GRIDE holds within {PLATEAU_TOL:.0%} over n2 = {p.n2_first}..{p.n2_last}: a plateau across scales, above the noise",
            "twonn": lambda p: ("TwoNN reads the smallest neighbourhoods, the least affected by curvature and density changes"
                                + ("; GRIDE has no plateau: read its scale curve too" if self.gride is not None else "")),
            "mle": lambda p: f"MLE (k = {self.mle.k1}..{self.mle.k2}) is the only neighbour estimator asked",
            "calibrated": lambda p: (f"TwoNN {self.calibrated.raw:.2f} with the bias it shows on uniform {self.calibrated.reference}s "
                                     f"at n = {self.calibrated.n_rows} removed (every raw estimator reads high dimensions low)"),
        }
        for m in RECOMMEND_ORDER:
            if m in found:
                e = found[m]
                if e.value > HIGH_ID and m != "calibrated":
                    high = f"; above {HIGH_ID:g}, read it as a lower bound (every estimator underestimates high dimensions)"
                reason = why[m](self.plateau()) if m in why else f"{m} is the first estimate of RECOMMEND_ORDER that ran"
                return dataclasses.replace(e, reason=reason + high)
        if self.pca is not None:
            return Estimate("pca", float(self.pca.participation_ratio), float("nan"), float("nan"),
                            "no neighbour-based estimator was asked: PCA's participation ratio counts linear directions, "
                            "an upper bound on a curved manifold's dimension")
        if self.rankme is not None:
            return Estimate("rankme", float(self.rankme.effective_rank), float("nan"), float("nan"),
                            "no neighbour-based estimator was asked: RankMe is an effective rank, not an intrinsic dimension")
        return None

    def disagreement(self) -> tuple[Estimate, Estimate] | None:
        """The pair of neighbour estimates whose 95 % intervals are furthest apart (None when all overlap)."""
        est = [e for e in self.estimates() if _finite(e.ci_low, e.ci_high) and e.metric != "calibrated"]  # it corrects the others' bias
        worst, gap = None, 0.0
        for i, a in enumerate(est):
            for b in est[i + 1:]:
                g = max(a.ci_low - b.ci_high, b.ci_low - a.ci_high)
                if g > gap:
                    worst, gap = (a, b), g
        return worst

    def verdict(self) -> Verdict:
        """``warn`` when halving ``--sample`` moves TwoNN beyond its interval, when two neighbour
        estimators disagree beyond their 95 % intervals, or when GRIDE's scale curve has no plateau;
        else ``ok`` (``info`` with spectral measures only). The reason names the estimate to read."""
        rec = self.recommended()
        read = "" if rec is None else f"read {rec.metric} = {rec.value:.2f}" + (
            f" [{rec.ci_low:.2f}, {rec.ci_high:.2f}]" if _finite(rec.ci_low, rec.ci_high) else "")
        warns = []
        sc = self.sample_check
        if sc is not None and not sc.agree:
            warns.append((f"TwoNN moves from {sc.dimension:.2f} [{sc.ci_low:.2f}, {sc.ci_high:.2f}] on the {sc.n_rows}-row sample "
                          f"to {sc.dimension_half:.2f} [{sc.ci_low_half:.2f}, {sc.ci_high_half:.2f}] on half of it: the estimate depends on "
                          "the sample size (scale)", "sample_check.twonn",
                          "compare with a larger --sample (or --approx on all rows) and report the size used"))
        pair = self.disagreement()
        if pair is not None:
            a, b = pair
            warns.append((f"{a.metric} {a.value:.2f} [{a.ci_low:.2f}, {a.ci_high:.2f}] and {b.metric} {b.value:.2f} "
                          f"[{b.ci_low:.2f}, {b.ci_high:.2f}] disagree beyond their 95 % intervals (they read different scales)",
                          b.metric, "read the GRIDE scale curve (-m gride, --plot) and report the dimension with the scale it holds at"))
        if self.gride is not None and self.gride.dimension.size >= PLATEAU_MIN and self.plateau() is None:
            curve = ", ".join(f"{d:.2f}" for d in self.gride.dimension)
            warns.append((f"GRIDE's scale curve ({curve} at n2 = {', '.join(str(int(v)) for v in self.gride.n2)}) has no plateau of "
                          f"{PLATEAU_MIN} scales within {PLATEAU_TOL:.0%}: no single dimension describes the data", "gride",
                          "read the curve (--plot): structure at several scales (clusters, noise) needs more than one number"))
        if warns:
            reason = "; ".join(w[0] for w in warns) + (f"; {read}" if read else "")
            return Verdict("warn", reason, warns[0][2], warns[0][1])
        if rec is None:
            return Verdict("info", "no estimate was asked")
        if rec.metric in SPECTRAL_METHODS:
            return Verdict("info", f"{read}: {rec.reason}", "add -m twonn,mle,gride for the intrinsic dimension", rec.metric)
        checked = [e.metric for e in self.estimates() if _finite(e.ci_low, e.ci_high)]
        agree = (f"{', '.join(checked)} agree within their 95 % intervals" if len(checked) > 1
                 else "one estimator with an interval: nothing to compare")
        if sc is not None:
            agree += f"; TwoNN on half the sample agrees ({sc.dimension_half:.2f})"
        return Verdict("ok", f"{read}: {rec.reason}; {agree}", "", rec.metric)

    def _other_estimators(self) -> list[str]:
        """Neighbour estimators beyond TwoNN, MLE and GRIDE (a field named after the method, holding a
        result with ``dimension`` and ``interval``): rendered generically in the tables, JSON and CSV."""
        return [m for m in self.methods if m in NEIGHBOR_METHODS and m not in ("twonn", "mle", "gride") and getattr(self, m, None) is not None]

    # ---- the contract: JSON dict, tidy rows, tables ----
    def _estimator_dicts(self) -> dict:
        out = {}
        tw = self.twonn
        if tw is not None:
            lo, hi = _ci(tw)
            out["twonn"] = {
                "dimension": tw.dimension, "ci_low": lo, "ci_high": hi, "interval_level": tw.interval_level, "n_boot": tw.n_boot,
                "interval_method": "bootstrap" if tw.n_boot else ("exact_chi2" if tw.variant == "mle" else None),
                "variant": tw.variant, "discard_fraction": tw.discard_fraction, "mle": tw.mle, "linear": tw.linear, "linear_r2": tw.linear_r2,
                "mle_exact_ci_low": tw.mle_exact_interval[0], "mle_exact_ci_high": tw.mle_exact_interval[1],
                "n_points": tw.n_points, "n_used": tw.n_used, "n_duplicates_dropped": tw.n_duplicates_dropped,
            }
        if self.twonn_linear is not None:
            p = self.twonn_linear
            lo, hi = _ci(p)
            out["twonn_linear"] = {"dimension": p.dimension, "ci_low": lo, "ci_high": hi, "variant": "linear",
                                   "discard_fraction": p.discard_fraction, "linear_r2": p.linear_r2, "n_boot": p.n_boot, "peer": "skdim TwoNN(), DADApy compute_id_2NN()"}
        for name in ("mle", "mle_k20"):
            m = getattr(self, name)
            if m is not None:
                lo, hi = _ci(m)
                out[name] = {"dimension": m.dimension, "ci_low": lo, "ci_high": hi, "k1": m.k1, "k2": m.k2,
                             "per_k": {str(k): float(v) for k, v in zip(range(m.k1, m.k2 + 1), m.per_k)},
                             "interval_level": m.interval_level, "n_boot": m.n_boot, "n_points": m.n_points,
                             "n_duplicates_dropped": m.n_duplicates_dropped}
                if name == "mle_k20":
                    out[name]["peer"] = "skdim MLE(), n_neighbors=20"
        for m in self._other_estimators():
            r = getattr(self, m)
            lo, hi = _ci(r)
            out[m] = {"dimension": float(r.dimension), "ci_low": lo, "ci_high": hi}
            for key, v in r.to_dict().items():  # any other 2-list interval becomes a ci_low/ci_high pair
                if key.endswith("interval") and isinstance(v, (list, tuple)) and len(v) == 2:
                    if key != "interval":
                        out[m][key[: -len("interval")] + "ci_low"], out[m][key[: -len("interval")] + "ci_high"] = v
                elif key not in out[m]:
                    out[m][key] = v
        g = self.gride
        if g is not None:
            p = self.plateau()
            out["gride"] = {
                "plateau": None if p is None else {"dimension": p.value, "ci_low": p.ci_low, "ci_high": p.ci_high, "n2_first": p.n2_first, "n2_last": p.n2_last},
                "scales": [{"n1": int(a), "n2": int(b), "dimension": float(d), "stderr": float(e), "ci_low": float(d - Z95 * e),
                            "ci_high": float(d + Z95 * e), "scale": float(s)}
                           for a, b, d, e, s in zip(g.n1, g.n2, g.dimension, g.stderr, g.scale)],
                "n_points": g.n_points, "n_duplicates_dropped": g.n_duplicates_dropped,
            }
        return out

    def _spectral_dicts(self) -> dict:
        out = {}
        if self.pca is not None:
            out["pca"] = self.pca.to_dict()
        if self.rankme is not None:
            r = self.rankme
            out["rankme"] = {"effective_rank": r.effective_rank, "normalized": r.normalized, "max_rank": r.max_rank, "centered": r.centered}
        if self.entropy is not None:
            e = self.entropy
            out["entropy"] = {"normalized": e.normalized, "nats": e.entropy, "alpha": e.alpha, "max_rank": e.max_rank, "centered": e.centered}
        return out

    def to_dict(self) -> dict:
        rec = self.recommended()
        n_dims = self.n_dims or (self.pca.n_dims if self.pca is not None else None)
        out = {"n_rows": self.n_rows, "n_dims": n_dims, "n_used": self.n_used, "n_duplicates_dropped": self.n_duplicates_dropped,
               "sampled": self.sampled, "methods": list(self.methods), "recommended": None if rec is None else rec.to_dict()}
        out.update(self._estimator_dicts())
        out.update(self._spectral_dicts())
        if self.sample_check is not None:
            out["sample_check"] = self.sample_check.to_dict()
        nb = dict(self.neighbors) if self.neighbors else None
        if nb is not None and "n_samples" in nb:
            nb = {("n_rows" if k == "n_samples" else k): v for k, v in nb.items()}
        out["neighbors"] = nb
        return jsonable(out)  # NaN → None, numpy → Python: equal dicts compare equal

    def metrics(self, extra: dict | None = None) -> list[Metric]:
        """Tidy rows: ``twonn``, ``twonn_linear``, ``mle``, ``mle_k20``, ``gride`` (one per scale, ``k`` = n2),
        ``gride.plateau``, ``pca`` (+ ``pca.components_90/95/99``), ``rankme``, ``entropy`` (+ ``entropy.nats``),
        ``sample_check.twonn`` (two rows, ``n_rows``), ``n_used``, ``n_duplicates_dropped``; ``extra`` columns
        (e.g. ``layer``) are added to every row."""
        ex = dict(extra or {})
        rows: list[Metric] = []
        rec = self.recommended()

        def add(metric, value, lo=None, hi=None, unit="", status="", **cols):
            rows.append(Metric(metric, value, lo, hi, unit, status, {**ex, **cols}))

        tw = self.twonn
        if tw is not None:
            add("twonn", tw.dimension, *_ci(tw), "dims", method=tw.variant, k=2, discard=tw.discard_fraction, read=rec is not None and rec.metric == "twonn")
        if self.twonn_linear is not None:
            p = self.twonn_linear
            add("twonn_linear", p.dimension, *_ci(p), "dims", method="linear", k=2, discard=p.discard_fraction, read=False)
        for name in ("mle", "mle_k20"):
            m = getattr(self, name)
            if m is not None:
                add(name, m.dimension, *_ci(m), "dims", method=f"levina_bickel_k{m.k1}_{m.k2}" if m.k1 != m.k2 else "levina_bickel",
                    k=m.k2, read=rec is not None and rec.metric == name)
        for name in self._other_estimators():
            r = getattr(self, name)
            add(name, float(r.dimension), *_ci(r), "dims", method=name, read=rec is not None and rec.metric == name)
        g = self.gride
        if g is not None:
            p = self.plateau()
            for a, b, d, e, s in zip(g.n1, g.n2, g.dimension, g.stderr, g.scale):
                add("gride", float(d), float(d - Z95 * e), float(d + Z95 * e), "dims", method="gride", k=int(b), scale=float(s), read=False)
            add("gride.plateau", None if p is None else p.value, None if p is None else p.ci_low, None if p is None else p.ci_high, "dims",
                "ok" if p is not None else ("warn" if g.dimension.size >= PLATEAU_MIN else ""), method="gride",
                k=None if p is None else p.n2_last, read=rec is not None and rec.metric == "gride.plateau")
        if self.pca is not None:
            c = self.pca
            add("pca", c.participation_ratio, unit="dims", method="participation_ratio", read=rec is not None and rec.metric == "pca")
            for lvl in (90, 95, 99):
                add(f"pca.components_{lvl}", getattr(c, f"components_{lvl}"), unit="components", method=f"variance_{lvl}")
        if self.rankme is not None:
            add("rankme", self.rankme.effective_rank, unit="dims", method="effective_rank")
        if self.entropy is not None:
            add("entropy", self.entropy.normalized, method=f"renyi_alpha{self.entropy.alpha:g}")
            add("entropy.nats", self.entropy.entropy, unit="nats", method=f"renyi_alpha{self.entropy.alpha:g}")
        sc = self.sample_check
        if sc is not None:
            st = "ok" if sc.agree else "warn"
            add("sample_check.twonn", sc.dimension, sc.ci_low, sc.ci_high, "dims", st, method="mle", n_rows=sc.n_rows)
            add("sample_check.twonn", sc.dimension_half, sc.ci_low_half, sc.ci_high_half, "dims", st, method="mle", n_rows=sc.n_rows_half)
        add("n_used", self.n_used, unit="rows")
        add("n_duplicates_dropped", self.n_duplicates_dropped, unit="rows")
        return rows

    def estimator_table(self) -> tuple[list[str], list[list]]:
        """``estimator | value | ci_low | ci_high | detail``: the neighbour-based intrinsic-dimension estimates."""
        rows = []
        rec = self.recommended()
        mark = lambda m: " ←read" if rec is not None and rec.metric == m else ""  # noqa: E731
        tw = self.twonn
        if tw is not None:
            how = "censored MLE" if tw.variant == "mle" else "linear fit"
            boot = f"{tw.n_boot} bootstrap" if tw.n_boot else ("exact χ² interval" if tw.variant == "mle" else "no interval")
            rows.append(["twonn" + mark("twonn"), tw.dimension, *_ci(tw), f"{how}, discard {tw.discard_fraction:g}, {boot} (embgeo default)"])
        if self.twonn_linear is not None:
            p = self.twonn_linear
            rows.append(["twonn_linear", p.dimension, *_ci(p), f"linear fit, discard {p.discard_fraction:g} (skdim/DADApy default)"])
        if self.mle is not None:
            m = self.mle
            rows.append(["mle" + mark("mle"), m.dimension, *_ci(m), f"mean over k = {m.k1}..{m.k2} (embgeo default)"])
        if self.mle_k20 is not None:
            m = self.mle_k20
            rows.append(["mle_k20", m.dimension, *_ci(m), f"k = {m.k2} (skdim default)"])
        for name in self._other_estimators():
            r = getattr(self, name)
            rows.append([name + mark(name), float(r.dimension), *_ci(r), getattr(r, "detail", "")])
        g = self.gride
        if g is not None:
            p = self.plateau()
            curve = " ".join(f"{d:.2f}@{int(b)}" for b, d in zip(g.n2, g.dimension))
            if p is None:
                rows.append(["gride.plateau", None, None, None, f"no plateau; ID@n2 {curve}"])
            else:
                rows.append(["gride.plateau" + mark("gride.plateau"), p.value, p.ci_low, p.ci_high, f"n2={p.n2_first}..{p.n2_last}; ID@n2 {curve}"])
        sc = self.sample_check
        if sc is not None:
            rows.append([f"twonn @ {sc.n_rows_half} rows", sc.dimension_half, sc.ci_low_half, sc.ci_high_half,
                         f"half the sample; {sc.n_rows} rows: {sc.dimension:.2f} [{sc.ci_low:.2f}, {sc.ci_high:.2f}] (χ²): "
                         + ("agree" if sc.agree else "DISAGREE")])
        rows = [[None if isinstance(v, float) and not np.isfinite(v) else v for v in r] for r in rows]  # no interval: an empty cell
        return ["estimator", "value", "ci_low", "ci_high", "detail"], rows

    def spectral_table(self) -> tuple[list[str], list[list]]:
        """``spectral measure | value | detail``: PCA, RankMe and matrix entropy (linear measures)."""
        rows = []
        if self.pca is not None:
            c = self.pca
            rows.append(["pca", c.participation_ratio, f"participation ratio; {c.components_90}/{c.components_95}/{c.components_99} components for 90/95/99 %"])
        if self.rankme is not None:
            r = self.rankme
            rows.append(["rankme", r.effective_rank, f"effective rank (uncentred), at most {r.max_rank}"])
        if self.entropy is not None:
            e = self.entropy
            rows.append(["entropy", e.normalized, f"normalised matrix entropy (alpha = {e.alpha:g}); {e.entropy:.3f} nats"])
        return ["spectral measure", "value", "detail"], rows

    def table(self):
        """Both tables in one: the estimators, then (under their own header row) the spectral measures."""
        cols, rows = self.estimator_table()
        scols, srows = self.spectral_table()
        if not rows:
            return scols, srows
        rows = [list(r) for r in rows]
        if srows:
            rows.append([scols[0].upper(), scols[1].upper(), "", "", scols[2].upper()])
            rows += [[r[0], r[1], None, None, r[2]] for r in srows]
        return cols, rows

    def summary_rows(self) -> list[list]:
        """``[method, estimate]`` per asked method (the headline numbers; GRIDE: its plateau or first scale)."""
        out = []
        for m in self.methods:
            r = getattr(self, m, None)
            if r is None:
                continue
            if m == "gride":
                p = self.plateau()
                out.append([m, p.value if p is not None else None])
            elif m == "pca":
                out.append([m, r.participation_ratio])
            elif m == "rankme":
                out.append([m, r.effective_rank])
            elif m == "entropy":
                out.append([m, r.normalized])
            else:
                out.append([m, float(r.dimension)])
        return out


def check_enough_rows(n: int, methods, *, k: int, gride_max: int) -> None:
    """Raise, naming the estimator and the option, when ``n`` rows cannot give the neighbours asked for."""
    need = neighbors_needed(methods, k=k, gride_max=gride_max)
    if need and n < need + 2:
        why = "GRIDE up to --gride-max" if "gride" in methods and need == gride_max else (
            "MLE up to --k" if "mle" in methods and need == k else "TwoNN")
        raise EmbgeoError(f"X has {n} rows; {why} needs {need} neighbours, so at least {need + 2} rows",
                          hint="lower --gride-max / --k, or pick estimators with -m (e.g. -m twonn,pca)")


def neighbors_needed(methods, *, k: int, gride_max: int) -> int:
    need = 0
    if "twonn" in methods or "calibrated" in methods:
        need = max(need, 2)
    if "mle" in methods:
        need = max(need, k)
    if "gride" in methods:
        need = max(need, gride_max)
    return need


def intrinsic_dimension(
    X,
    *,
    methods=("twonn", "mle", "gride", "pca", "rankme", "entropy"),
    k: int = 20,
    gride_max: int = 64,
    discard_fraction: float = 0.1,
    twonn_variant: str = "mle",
    n_boot: int = 200,
    sample: int | None = None,
    approx: bool = False,
    seed=0,
    duplicates: str = "drop",
    metric: str = "euclidean",
    backend: str = "numpy",
    device: str = "cpu",
    neighbors: Neighbors | None = None,
    peers: bool = True,
    check_sample: bool | None = None,
    progress=None,
) -> IntrinsicReport:
    """Run the asked estimators on ``X`` (n_rows, n_dims) with one kNN search.

    ``k`` is the MLE's upper neighbour order (k1 = ⌈k/2⌉, the Levina–Bickel
    10..20 by default); ``gride_max`` the largest GRIDE order; ``sample``
    estimates on a seeded random subset of rows. Exact duplicates are dropped
    (first copy kept) for the ratio estimators and counted in
    ``n_duplicates_dropped``; ``neighbors`` may pass a search already done on
    exactly these (deduplicated, sampled) rows.

    ``peers`` (default True) adds the peers' defaults on the same neighbours:
    ``twonn_linear`` (linear fit, discard 0.1: skdim ``TwoNN()``, DADApy
    ``compute_id_2NN()``) and ``mle_k20`` (skdim ``MLE()``, k = 20), each left out
    when it equals embgeo's own row. ``check_sample`` (default: when ``sample``
    is smaller than the data) re-estimates TwoNN on a seeded half of the used
    rows: on data with structure at several scales the estimate depends on n.
    """
    methods = parse_methods(methods)
    if not isinstance(k, (int, np.integer)) or k < 3:
        raise EmbgeoError(f"k must be an integer ≥ 3 (MLE averages k/2..k); got {k!r}")
    rows = None
    if sample is not None and isinstance(X, np.ndarray) and X.ndim == 2:
        # sample first: only the sampled rows of a memory map are read (and validated)
        n_rows = X.shape[0]
        rows = sample_rows(n_rows, sample, seed)
        if rows is not None:
            X = take_rows(X, rows)
    X = as_matrix(X, name="X", min_rows=3)
    if rows is None:
        n_rows = X.shape[0]
        rows = sample_rows(n_rows, sample, seed)
        if rows is not None:
            X = np.asarray(X[rows])
    if check_sample is None:
        check_sample = rows is not None
    results: dict = {}
    dropped = 0
    n_used = X.shape[0]
    nb_summary = None
    notes = [HIGH_ID_NOTE]
    nb_methods = [m for m in methods if m in NEIGHBOR_METHODS]
    if nb_methods:
        need = neighbors_needed(nb_methods, k=int(k), gride_max=int(gride_max))
        check_enough_rows(X.shape[0], nb_methods, k=int(k), gride_max=int(gride_max))
        Xd, _, dropped = prepare_points(X, min_rows=need + 2, duplicates=duplicates)
        n_used = Xd.shape[0]
        peer_k = PEER_MLE_K if (peers and "mle" in methods and n_used >= PEER_MLE_K + 2) else 0
        if neighbors is None or neighbors.k < need or neighbors.n_query != Xd.shape[0]:
            neighbors = knn(Xd, max(need, peer_k), metric=metric, approx=approx, seed=seed, backend=backend, device=device,
                            check_duplicates=False, progress=progress)
        nb_summary = neighbors.to_dict()
        common = {"neighbors": neighbors, "seed": seed}
        if "twonn" in methods:
            results["twonn"] = twonn_dimension(discard_fraction=discard_fraction, variant=twonn_variant, n_boot=n_boot, **common)
            if peers and not (twonn_variant == "linear" and discard_fraction == PEER_TWONN_DISCARD):
                results["twonn_linear"] = twonn_dimension(discard_fraction=PEER_TWONN_DISCARD, variant="linear", n_boot=n_boot, **common)
        if "mle" in methods:
            results["mle"] = mle_dimension(k1=max(2, (int(k) + 1) // 2), k2=int(k), n_boot=n_boot, **common)
            if peer_k:
                peer_nb = neighbors if neighbors.k >= PEER_MLE_K else knn(
                    Xd, PEER_MLE_K, metric=metric, approx=approx, seed=seed, backend=backend, device=device, check_duplicates=False)
                results["mle_k20"] = mle_dimension(k1=PEER_MLE_K, k2=PEER_MLE_K, n_boot=n_boot, neighbors=peer_nb, seed=seed)
            elif peers:
                notes.append(f"note: the peers' MLE at k = {PEER_MLE_K} needs {PEER_MLE_K + 2} distinct rows; left out")
        if "gride" in methods:
            results["gride"] = gride_dimension(neighbors=neighbors, max_order=int(gride_max))
        if "calibrated" in methods:
            results["calibrated"] = calibrated_dimension(neighbors=neighbors, n_dims=int(X.shape[1]), n_boot=n_boot, seed=seed)
        for m in list(results):
            results[m] = dataclasses.replace(results[m], n_duplicates_dropped=dropped)
        if check_sample and "twonn" in results:
            results["sample_check"] = sample_check(Xd, results["twonn"], seed=seed, discard_fraction=discard_fraction, metric=metric,
                                                   approx=approx, backend=backend, device=device)
    if any(m in methods for m in ("rankme", "entropy")):
        raw = scatter_spectrum(X, center=False)
        if "rankme" in methods:
            results["rankme"] = rankme(X, eigenvalues=raw)
        if "entropy" in methods:
            results["entropy"] = matrix_entropy(X, eigenvalues=raw)
    if "pca" in methods:
        results["pca"] = pca_dimension(X)
    if "gride" in methods:
        notes.append(NOISE_NOTE)
    if dropped:
        notes.append(f"note: {dropped} exact duplicate rows were dropped before the ratio estimators (they make r1 = 0)")
    if rows is not None:
        notes.append(f"note: estimated on a seeded random sample of {rows.size} of {n_rows} rows (--seed {seed}); "
                     "the neighbour estimators depend on n (fewer rows = larger neighbourhoods)")
    if neighbors is not None and not neighbors.exact and neighbors.recall is not None:
        notes.append(f"note: approximate neighbours; measured recall {neighbors.recall:.3f} on {neighbors.recall_sample} queries")
    return IntrinsicReport(n_rows, int(n_used), int(dropped), rows is not None, methods, neighbors=nb_summary, notes=tuple(notes),
                           n_dims=int(X.shape[1]), **results)
