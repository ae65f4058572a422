"""The result of :func:`embgeo.intrinsic.summary.intrinsic_dimension`: :class:`IntrinsicReport`.

It says which estimate to read (:meth:`IntrinsicReport.recommended`) and why, and gives a
verdict (:meth:`IntrinsicReport.verdict`) from its own numbers: ``warn`` when the neighbour
estimators disagree beyond their 95 % intervals, when GRIDE's scale curve has no plateau
(:func:`gride_plateau`), or when TwoNN on half a ``sample`` has an interval that does not
overlap the full sample's (the estimate depends on scale). Its tables keep the two families apart: the intrinsic-dimension
estimators (:meth:`IntrinsicReport.estimator_table`) and the spectral measures
(:meth:`IntrinsicReport.spectral_table`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import InitVar, dataclass, field

import numpy as np

from embgeo.errors import either, param
from embgeo.intrinsic.corrected import CalibratedResult
from embgeo.intrinsic.estimators import GrideResult, MLEResult, TwoNNResult
from embgeo.intrinsic.methods import NEIGHBOR_METHODS, SPECTRAL_METHODS
from embgeo.intrinsic.sampling import SampleCheck
from embgeo.intrinsic.spectral import EntropyResult, PCAResult, RankMeResult
from embgeo.results import Metric, Result, Verdict, jsonable

#: which estimate to read, the first that applies (``gride.plateau``: only when GRIDE's scale curve has one)
RECOMMEND_ORDER = ("calibrated", "gride.plateau", "twonn", "mle")
#: GRIDE plateau: ≥ PLATEAU_MIN consecutive scales within PLATEAU_TOL of their median (or within their intervals)
PLATEAU_MIN = 3
PLATEAU_TOL = 0.10
#: default interval level of every ``ci_low``/``ci_high`` here (``intrinsic_dimension(confidence=…)``, ``id --confidence``)
LEVEL = 0.95
Z95 = 1.959963984540054


def z_of(level: float) -> float:
    """The normal quantile of a two-sided ``level`` interval (1.96 at 0.95)."""
    if level == LEVEL:
        return Z95
    from scipy.special import ndtri

    return float(ndtri(0.5 + level / 2.0))


def level_text(level: float) -> str:
    """``95 %`` — how the verdicts and tables name an interval level."""
    return f"{100.0 * float(level):g} %"
#: estimates above this read as lower bounds (high_id_note)
HIGH_ID = 20.0
#: captions of the two tables (:meth:`IntrinsicReport.tables`)
ESTIMATOR_CAPTION = "intrinsic-dimension estimators (nearest-neighbour distances: the dimension of the manifold)"
SPECTRAL_CAPTION = "spectral measures (eigenvalues of the scatter matrix: linear directions, not an intrinsic dimension)"


# --------------------------------------------------------------------------- GRIDE's plateau


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
    #: True when the run agreed only within its intervals (they were wider than PLATEAU_TOL of the median)
    by_interval: bool = False

    def criterion(self, level: float = 0.95) -> str:
        """How the run agreed, as the reason says it: the rule that actually accepted it."""
        return (f"within their {level_text(level)} intervals (wider than {PLATEAU_TOL:.0%})" if self.by_interval
                else f"within {PLATEAU_TOL:.0%}")


def gride_plateau(g: GrideResult, z: float = Z95) -> Plateau | None:
    """The longest run of ≥ :data:`PLATEAU_MIN` consecutive GRIDE scales whose estimates agree.

    A run agrees when ``max − min ≤ max(PLATEAU_TOL · median, 2 · z · largest s.e.)``: within
    10 % of each other, or within their intervals when those are wider (``z`` = 1.96: 95 %). Ties go to the run
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
            if run.max() - run.min() > max(PLATEAU_TOL * float(np.median(run)), 2 * z * float(err.max())):
                break
            if best is None or (j - i) >= (best[1] - best[0]):
                best = (i, j)
    if best is None:
        return None
    i, j = best
    run, err = d[i:j], e[i:j]
    return Plateau(i, j - 1, int(g.n2[i]), int(g.n2[j - 1]), float(np.median(run)),
                   float(np.min(run - z * err)), float(np.max(run + z * err)),
                   by_interval=bool(run.max() - run.min() > PLATEAU_TOL * float(np.median(run))))


# --------------------------------------------------------------------------- the report


def interval_of(r) -> tuple[float, float]:
    """``(ci_low, ci_high)`` of an estimator result (its ``ci_low``/``ci_high``: the bootstrap interval, or,
    for TwoNN's censored MLE without a bootstrap, its exact χ² interval); NaN when it has none."""
    lo, hi = (getattr(r, "ci_low", None), getattr(r, "ci_high", None)) if hasattr(r, "ci_low") else (getattr(r, "interval", None) or (None, None))
    return (float("nan") if lo is None else float(lo)), (float("nan") if hi is None else float(hi))


def _finite(*v) -> bool:
    return all(x is not None and np.isfinite(x) for x in v)


def _curve_value(d) -> str:
    """One GRIDE scale as the verdict and the table show it: ``n/a`` where the scale has no finite estimate."""
    return f"{float(d):.2f}" if np.isfinite(d) else "n/a"


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


#: the keys of a ``twonn_linear`` object (a projection of :meth:`TwoNNResult.to_dict`), and the peers each row stands for
PEER_TWONN_KEYS = ("dimension", "ci_low", "ci_high", "variant", "discard", "linear_r2", "bootstrap")
PEERS = {"twonn_linear": "skdim TwoNN(), DADApy compute_id_2NN()", "mle_k20": "skdim MLE(), n_neighbors=20"}


@dataclass(frozen=True, slots=True)
class IntrinsicReport(Result):
    """Every asked estimator on one matrix; keys named after the methods.

    ``n_rows`` is the rows measured (after ``sample``; before duplicates are dropped) and
    ``n_rows_in`` the rows given, as the JSON's ``n_rows`` and ``n_rows_in``; ``n_used`` the rows the
    neighbour estimators read (duplicates dropped). ``twonn_linear`` and ``mle_k20`` are the peers'
    defaults (skdim / DADApy: TwoNN linear fit with discard 0.1; MLE at k = 20) on the same neighbours,
    shown next to embgeo's defaults; ``sample_check`` compares TwoNN on the sample and on half of it
    (only with ``sample``). Each estimator's object in :meth:`to_dict` is that result's own ``to_dict()``.
    ``n_measured`` is a former keyword of the constructor (DeprecationWarning): ``n_rows`` was then the
    rows given and ``n_measured`` the rows measured.
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
    #: the rows given (JSON ``n_rows_in``; None: ``n_rows``, nothing was sampled)
    n_rows_in: int | None = None
    twonn_linear: TwoNNResult | None = None
    mle_k20: MLEResult | None = None
    sample_check: SampleCheck | None = None
    #: with ``kernel_rate=True``: the exact search's :meth:`~embgeo.knn.engine.Neighbors.sgemm_fraction` (None otherwise)
    knn_rate: dict | None = field(default=None, compare=False)
    #: level of every interval (the bootstrap percentiles, TwoNN's exact χ² interval, GRIDE's normal intervals)
    confidence: float = LEVEL
    n_measured: InitVar[int | None] = None

    def __post_init__(self, n_measured):
        if n_measured is not None:  # the former layout: n_rows the rows given, n_measured the rows measured
            import warnings

            warnings.warn("IntrinsicReport(n_measured=) is now IntrinsicReport(n_rows=<rows measured>, n_rows_in=<rows given>)",
                          DeprecationWarning, stacklevel=3)
            object.__setattr__(self, "n_rows_in", self.n_rows if self.n_rows_in is None else self.n_rows_in)
            object.__setattr__(self, "n_rows", int(n_measured))
        if self.n_rows_in is None:
            object.__setattr__(self, "n_rows_in", self.n_rows)

    # ---- which estimate to read, and the verdict (the CLI and the report call these) ----
    def plateau(self) -> Plateau | None:
        """GRIDE's plateau at its own ``confidence`` (:meth:`GrideResult.plateau`), or None."""
        return self.gride.plateau() if self.gride is not None else None

    def estimates(self) -> list[Estimate]:
        """The neighbour estimators' headline numbers, in table order (GRIDE: its plateau, when there is one);
        a non-finite estimate is left out (it is never the estimate to read)."""
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
            elif np.isfinite(float(r.dimension)):  # a non-finite estimate is no number to read or compare
                out.append(Estimate(m, float(r.dimension), *interval_of(r)))
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
            "gride.plateau": lambda p: (f"GRIDE holds {p.criterion(self.confidence)} over n2 = {p.n2_first}..{p.n2_last}: "
                                        "a plateau across scales, above the noise"),
            "twonn": lambda p: ("TwoNN reads the smallest neighbourhoods, the least affected by curvature and density changes"
                                + ("; GRIDE has no plateau: read its scale curve too" if self.gride is not None else "")),
            "mle": lambda p: f"MLE (k = {self.mle.k1}..{self.mle.k2}) is the only neighbour estimator asked",
            "calibrated": lambda p: (f"{self.calibrated.detail} (every raw estimator reads high dimensions low)"),
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

    def disagreeing(self) -> set[str]:
        """Every neighbour estimate (with an interval; not ``calibrated``) whose 95 % interval misses another's."""
        est = [e for e in self.estimates() if _finite(e.ci_low, e.ci_high) and e.metric != "calibrated"]
        return {x.metric for i, x in enumerate(est) for y in est[i + 1:] + est[:i] if max(x.ci_low - y.ci_high, y.ci_low - x.ci_high) > 0}

    def statuses(self) -> dict[str, str]:
        """The ``status`` of each headline row (metric id → status), from the rules of :meth:`verdict`: ``warn`` on
        every estimate whose interval misses another's and on ``gride.plateau`` when the curve has none; ``ok`` on
        a plateau found; and the verdict's own status on the row it names (``decided_by``): the estimate to read
        when all is well (``info`` with spectral measures only). ``sample_check.twonn`` rows carry their own."""
        out = {}
        if self.gride is not None and self.gride.dimension.size >= PLATEAU_MIN:
            out["gride.plateau"] = "ok" if self.plateau() is not None else "warn"
        out.update({m: "warn" for m in self.disagreeing()})
        v = self.verdict()
        if v.decided_by and v.decided_by != "sample_check.twonn":
            out[v.decided_by] = v.status
        return out

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
        """``warn`` when TwoNN on half of ``--sample`` has an interval disjoint from the full sample's, when two neighbour
        estimators disagree beyond their intervals (95 % unless ``confidence`` says otherwise), or when GRIDE's scale curve has no plateau;
        else ``ok`` (``info`` with spectral measures only). The reason names the estimate to read."""
        rec = self.recommended()
        read = "" if rec is None else f"read {rec.metric} = {rec.value:.2f}" + (
            f" [{rec.ci_low:.2f}, {rec.ci_high:.2f}]" if _finite(rec.ci_low, rec.ci_high) else "")
        warns = []
        sc = self.sample_check
        if sc is not None and not sc.agree:
            full, half = intervals_apart((sc.dimension, sc.ci_low, sc.ci_high), (sc.dimension_half, sc.ci_low_half, sc.ci_high_half))
            warns.append((f"TwoNN moves from {full} on the {sc.n_rows}-row sample "
                          f"to {half} on half of it: the estimate depends on "
                          "the sample size (scale)", "sample_check.twonn",
                          f"compare with a larger {param('sample')} (or {either('approx=True', '--approx')} on all rows) and report the size used"))
        pair = self.disagreement()
        if pair is not None:
            a, b = pair
            ta, tb = intervals_apart((a.value, a.ci_low, a.ci_high), (b.value, b.ci_low, b.ci_high))
            warns.append((f"{a.metric} {ta} and {b.metric} {tb} disagree beyond their {level_text(self.confidence)} intervals (they read different scales)",
                          b.metric, f"read the GRIDE scale curve ({either('embgeo.plots.plot_result', '-m gride, --plot')}) and report the dimension with the scale it holds at"))
        if self.gride is not None and self.gride.dimension.size >= PLATEAU_MIN and self.plateau() is None:
            curve = ", ".join(_curve_value(d) for d in self.gride.dimension)
            warns.append((f"GRIDE's scale curve ({curve} at n2 = {', '.join(str(int(v)) for v in self.gride.n2)}) has no plateau of "
                          f"{PLATEAU_MIN} scales that agree (within {PLATEAU_TOL:.0%}, or within their {level_text(self.confidence)} intervals "
                          "where those are wider): no single dimension describes the data", "gride.plateau",
                          f"read the curve ({either('embgeo.plots.plot_result', '--plot')}): structure at several scales (clusters, noise) needs more than one number"))
        if warns:
            reason = "; ".join(w[0] for w in warns) + (f"; {read}: {rec.reason}" if read else "")
            return Verdict("warn", reason, warns[0][2], warns[0][1])
        if rec is None:
            return Verdict("info", "no estimate was asked")
        if rec.metric in SPECTRAL_METHODS:
            return Verdict("info", f"{read}: {rec.reason}", f"add {either('twonn, mle and gride to methods', '-m twonn,mle,gride')} for the intrinsic dimension", rec.metric)
        checked = [e.metric for e in self.estimates() if _finite(e.ci_low, e.ci_high)]
        agree = (f"{', '.join(checked)} agree within their {level_text(self.confidence)} intervals" if len(checked) > 1
                 else "one estimator with an interval: nothing to compare")
        if sc is not None:
            agree += f"; TwoNN on half the sample agrees ({sc.dimension_half:.2f}; the intervals overlap)"
        return Verdict("ok", f"{read}: {rec.reason}; {agree}", "", rec.metric)

    def _other_estimators(self) -> list[str]:
        """Neighbour estimators beyond TwoNN, MLE and GRIDE (a field named after the method, holding a
        result with ``dimension`` and ``interval``): rendered generically in the tables, JSON and CSV."""
        return [m for m in self.methods if m in NEIGHBOR_METHODS and m not in ("twonn", "mle", "gride") and getattr(self, m, None) is not None]

    # ---- the contract: JSON dict, tidy rows, tables ----
    def _estimator_dicts(self) -> dict:
        """Each estimator's object: its result's own ``to_dict()`` (the peers' rows: a projection of it, with ``peer``)."""
        out = {}
        if self.twonn is not None:
            out["twonn"] = self.twonn.to_dict()
        if self.twonn_linear is not None:
            d = self.twonn_linear.to_dict()
            out["twonn_linear"] = {**{k: d[k] for k in PEER_TWONN_KEYS}, "peer": PEERS["twonn_linear"]}
        if self.mle is not None:
            out["mle"] = self.mle.to_dict()
        if self.mle_k20 is not None:
            out["mle_k20"] = {**self.mle_k20.to_dict(), "peer": PEERS["mle_k20"]}
        for m in self._other_estimators():
            out[m] = getattr(self, m).to_dict()
        if self.gride is not None:
            out["gride"] = self.gride.to_dict()
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
        out = {"n_rows": self.n_rows, "n_rows_in": self.n_rows_in, "n_dims": n_dims, "n_used": self.n_used, "n_duplicates_dropped": self.n_duplicates_dropped,
               "sampled": self.sampled, "methods": list(self.methods), "confidence": self.confidence,
               "recommended": None if rec is None else rec.to_dict()}
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
        status = self.statuses()

        def add(metric, value, lo=None, hi=None, unit="", st=None, **cols):
            rows.append(Metric(metric, value, lo, hi, unit, status.get(metric, "") if st is None else st, {**ex, **cols}))

        tw = self.twonn
        if tw is not None:
            add("twonn", tw.dimension, *interval_of(tw), "dims", variant=tw.variant, k=2, discard=tw.discard_fraction, read=rec is not None and rec.metric == "twonn")
        if self.twonn_linear is not None:
            p = self.twonn_linear
            add("twonn_linear", p.dimension, *interval_of(p), "dims", variant="linear", k=2, discard=p.discard_fraction, read=False)
        for name in ("mle", "mle_k20"):
            m = getattr(self, name)
            if m is not None:
                add(name, m.dimension, *interval_of(m), "dims", variant=f"levina_bickel_k{m.k1}_{m.k2}" if m.k1 != m.k2 else "levina_bickel",
                    k_min=m.k1, k=m.k2, read=rec is not None and rec.metric == name)  # averaged over k_min…k neighbours
        for name in self._other_estimators():
            r = getattr(self, name)
            add(name, float(r.dimension), *interval_of(r), "dims", variant=name, read=rec is not None and rec.metric == name)
        g = self.gride
        if g is not None:
            p = self.plateau()
            z = g.z
            for a, b, d, e, s in zip(g.n1, g.n2, g.dimension, g.stderr, g.scale):
                add("gride", float(d), float(d - z * e), float(d + z * e), "dims", "", variant="gride", k=int(b), scale=float(s), read=False)
            add("gride.plateau", None if p is None else p.value, None if p is None else p.ci_low, None if p is None else p.ci_high, "dims",
                variant="gride",
                k=None if p is None else p.n2_last, read=rec is not None and rec.metric == "gride.plateau")
        if self.pca is not None:
            c = self.pca
            add("pca", c.participation_ratio, unit="dims", variant="participation_ratio", read=rec is not None and rec.metric == "pca")
            for lvl in (90, 95, 99):
                add(f"pca.components_{lvl}", getattr(c, f"components_{lvl}"), unit="components", variant=f"variance_{lvl}")
        if self.rankme is not None:
            add("rankme", self.rankme.effective_rank, unit="dims", variant="effective_rank")
        if self.entropy is not None:
            add("entropy", self.entropy.normalized, variant=f"renyi_alpha{self.entropy.alpha:g}")
            add("entropy.nats", self.entropy.entropy, unit="nats", variant=f"renyi_alpha{self.entropy.alpha:g}")
        sc = self.sample_check
        if sc is not None:
            st = "ok" if sc.agree else "warn"
            add("sample_check.twonn", sc.dimension, sc.ci_low, sc.ci_high, "dims", st, variant="mle", n_rows=sc.n_rows)
            add("sample_check.twonn", sc.dimension_half, sc.ci_low_half, sc.ci_high_half, "dims", st, variant="mle", n_rows=sc.n_rows_half)
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
            boot = f"{tw.n_bootstrap} bootstrap" if tw.n_bootstrap else ("exact χ² interval" if tw.variant == "mle" else "no interval")
            rows.append(["twonn" + mark("twonn"), tw.dimension, *interval_of(tw), f"{how}, discard {tw.discard_fraction:g}, {boot} (embgeo default)"])
        if self.twonn_linear is not None:
            p = self.twonn_linear
            rows.append(["twonn_linear", p.dimension, *interval_of(p), f"linear fit, discard {p.discard_fraction:g} (skdim/DADApy default)"])
        if self.mle is not None:
            m = self.mle
            rows.append(["mle" + mark("mle"), m.dimension, *interval_of(m), f"mean over k = {m.k1}..{m.k2} (embgeo default)"])
        if self.mle_k20 is not None:
            m = self.mle_k20
            rows.append(["mle_k20", m.dimension, *interval_of(m), f"k = {m.k2} (skdim default)"])
        for name in self._other_estimators():
            r = getattr(self, name)
            rows.append([name + mark(name), float(r.dimension), *interval_of(r), getattr(r, "detail", "")])
        g = self.gride
        if g is not None:
            p = self.plateau()
            curve = " ".join(f"{_curve_value(d)}@{int(b)}" for b, d in zip(g.n2, g.dimension))
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

    def tables(self) -> list[tuple[str, list[str], list[list]]]:
        """``[(caption, columns, rows), …]``: the intrinsic-dimension estimators and the spectral measures,
        as two tables (those that have rows); the terminal and Markdown output show them one under the other."""
        out = []
        cols, rows = self.estimator_table()
        if rows:
            out.append((ESTIMATOR_CAPTION, cols, rows))
        scols, srows = self.spectral_table()
        if srows:
            out.append((SPECTRAL_CAPTION, scols, srows))
        return out

    def table(self):
        """The first of :meth:`tables`: the estimators (the spectral measures when no estimator ran)."""
        found = self.tables()
        return (found[0][1], found[0][2]) if found else (["estimator", "value"], [])

    def _repr_html_(self) -> str:
        """A notebook view: both tables, each under its caption."""
        import html

        def cell(v):
            return "" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v))

        parts = []
        for caption, cols, rows in self.tables():
            head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
            body = "".join("<tr>" + "".join(f"<td>{html.escape(cell(v))}</td>" for v in r) + "</tr>" for r in rows)
            parts.append(f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        return "".join(parts)

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


def intervals_apart(a: tuple, b: tuple) -> tuple[str, str]:
    """Two ``(value, ci_low, ci_high)`` as ``v [lo, hi]`` with 2 decimals, the bounds that separate
    them written at a precision that shows them apart (:func:`embgeo.results.beside_each_other`):
    intervals judged disjoint never read as touching ([9.41, 10.00] and [10.00, 10.62])."""
    from embgeo.results import beside_each_other

    text = {k: f"{v:.2f}" for k, v in zip(("av", "alo", "ahi", "bv", "blo", "bhi"), (*a, *b))}
    if a[1] > b[2]:
        text["alo"], text["bhi"] = beside_each_other(a[1], b[2], digits=2)
    elif b[1] > a[2]:
        text["blo"], text["ahi"] = beside_each_other(b[1], a[2], digits=2)
    return f"{text['av']} [{text['alo']}, {text['ahi']}]", f"{text['bv']} [{text['blo']}, {text['bhi']}]"
