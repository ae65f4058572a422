"""The results of ``compare``: one pair (:class:`CompareResult`) or a matrix (:class:`CompareMatrix`),
their tidy metric rows, and the verdict rule (thresholds below)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.arguments import renamed_attribute
from embgeo.results import Metric, Result, Verdict, jsonable

#: the measures, by the name ``methods`` takes; each yields the metric ids listed
MEASURES = {
    "cka": ("cka_linear",),
    "cka_unbiased": ("cka_linear_unbiased",),
    "cka_rbf": ("cka_rbf",),
    "mutual_knn": ("mutual_knn",),
    "imbalance": ("imbalance_xy", "imbalance_yx"),
    "procrustes": ("procrustes_residual",),
    "retrieval": ("retrieval_r1", "retrieval_r10"),
    "rsa": ("rsa_spearman",),
}
DEFAULT_MEASURES = ("cka", "cka_unbiased", "mutual_knn", "imbalance", "procrustes", "retrieval", "rsa")
#: verdict thresholds: ok when cka_linear ≥ OK_CKA and mutual_knn ≥ OK_MUTUAL_KNN; bad below BAD_*
OK_CKA, OK_MUTUAL_KNN = 0.9, 0.5
BAD_CKA, BAD_MUTUAL_KNN = 0.5, 0.2
#: the value of each metric for a space compared with itself (the diagonal of a matrix)
IDENTITY = {"cka_linear": 1.0, "cka_linear_unbiased": 1.0, "cka_rbf": 1.0, "mutual_knn": 1.0, "imbalance_xy": 0.0,
            "imbalance_yx": 0.0, "procrustes_residual": 0.0, "retrieval_r1": 1.0, "retrieval_r10": 1.0, "rsa_spearman": 1.0}
QUANTIZE = ("int8", "binary")
METRICS = ("cosine", "euclidean")


def check_metric(metric) -> str:
    """``metric`` when it is one of :data:`METRICS` (``compare`` and each measure taken alone: ``rsa``,
    ``information_imbalance``); anything else raises, naming the argument and the values it takes."""
    if not isinstance(metric, str) or metric not in METRICS:
        raise EmbgeoError(f"{param('metric')} must be one of {', '.join(METRICS)}, got {metric!r}",
                          hint=f"e.g. {setting('metric', 'cosine')}")
    return metric


@dataclass(frozen=True, slots=True)
class Measure:
    """One measured value with its bootstrap interval and permutation-null band."""

    metric: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    null_low: float | None = None
    null_high: float | None = None
    k: int | None = None
    rows: int = 0  # rows the value was computed on
    boot_rows: int | None = None  # rows of the bootstrap replicates when they are a sample (CKA, Procrustes; m-out-of-n)

    def to_dict(self) -> dict:
        d = {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high, "null_low": self.null_low, "null_high": self.null_high,
             "n_rows": self.rows}
        if self.boot_rows is not None:
            d["bootstrap_rows"] = self.boot_rows
        if self.k is not None:
            d = {"k": self.k, **d}
        return jsonable(d)


def metric_status(metric: str, value: float) -> str:
    if value is None or not np.isfinite(value):
        return ""
    if metric == "cka_linear":
        return "ok" if value >= OK_CKA else ("warn" if value >= BAD_CKA else "bad")
    if metric == "mutual_knn":
        return "ok" if value >= OK_MUTUAL_KNN else ("warn" if value >= BAD_MUTUAL_KNN else "bad")
    return ""


@dataclass(frozen=True, slots=True)
class CompareResult(Result):
    """Two spaces over the same rows: every measure with its interval and null band. ``n_rows`` rows are
    measured of the ``n_rows_in`` given (named as the JSON keys; ``n_rows_total`` is the former name of
    ``n_rows_in``, DeprecationWarning)."""

    x: str
    y: str
    n_rows: int
    n_rows_in: int
    n_dims_x: int
    n_dims_y: int
    metric: str
    join: str
    sampled: bool
    measures: tuple = field(repr=False)
    notes: tuple = ()
    seed: int | None = None  # the seed as given (None: fresh entropy or a numpy Generator)

    n_rows_total = renamed_attribute("CompareResult", "n_rows_total", "n_rows_in")

    def get(self, metric: str, k: int | None = None) -> Measure | None:
        for m in self.measures:
            if m.metric == metric and (k is None or m.k == k):
                return m
        return None

    def value(self, metric: str, k: int | None = None) -> float | None:
        m = self.get(metric, k)
        return None if m is None else m.value

    def to_dict(self) -> dict:
        d = {"x": self.x, "y": self.y, "n_rows": self.n_rows, "n_rows_in": self.n_rows_in, "n_dims_x": self.n_dims_x,
             "n_dims_y": self.n_dims_y, "metric": self.metric, "join": self.join, "sampled": self.sampled, "seed": self.seed}
        for m in self.measures:
            if m.metric == "mutual_knn":
                d.setdefault("mutual_knn", []).append(m.to_dict())
            else:
                d[m.metric] = m.to_dict()
        d["thresholds"] = {"ok_cka_linear": OK_CKA, "ok_mutual_knn": OK_MUTUAL_KNN, "bad_cka_linear": BAD_CKA, "bad_mutual_knn": BAD_MUTUAL_KNN}
        v = self.verdict()
        d["verdict"] = v.to_dict()
        return jsonable(d)

    def metrics(self, *, pair_columns: bool = False) -> list[Metric]:
        rows = []
        for m in self.measures:
            extra = {}
            if pair_columns:
                extra.update({"x": self.x, "y": self.y})
            if m.metric == "mutual_knn":
                extra["k"] = m.k
            extra.update({"null_low": m.null_low, "null_high": m.null_high})
            if m.boot_rows is not None:
                extra["bootstrap_rows"] = m.boot_rows
            rows.append(Metric(m.metric, m.value, m.ci_low, m.ci_high, "", metric_status(m.metric, m.value) if (m.k is None or m.k == self._verdict_k()) else "", extra))
        return rows

    def _verdict_k(self) -> int | None:
        ks = [m.k for m in self.measures if m.metric == "mutual_knn"]
        return 10 if 10 in ks else (ks[0] if ks else None)

    def verdict(self) -> Verdict:
        """ok when ``cka_linear`` ≥ 0.9 and ``mutual_knn`` (k = 10, or the first k) ≥ 0.5; bad when
        ``cka_linear`` < 0.5 or ``mutual_knn`` < 0.2; warn between. Only the measures computed count."""
        cka = self.get("cka_linear")
        k = self._verdict_k()
        mk = self.get("mutual_knn", k) if k is not None else None
        have = [(m, name) for m, name in ((cka, "cka_linear"), (mk, "mutual_knn")) if m is not None and np.isfinite(m.value)]
        if not have:
            return Verdict("info", "no measure with a threshold was computed (cka, mutual_knn)", f"add {either('cka or mutual_knn to methods', '-m cka or -m mutual_knn')} for a verdict")
        label = {"cka_linear": "cka_linear", "mutual_knn": f"mutual_knn@{k}"}
        ok_t = {"cka_linear": OK_CKA, "mutual_knn": OK_MUTUAL_KNN}
        bad_t = {"cka_linear": BAD_CKA, "mutual_knn": BAD_MUTUAL_KNN}
        from embgeo.results import beside_threshold

        def num(m, name):  # never rounded onto or across a threshold of its rule
            return beside_threshold(m.value, ok_t[name], bad_t[name], digits=3)

        for m, name in have:
            if m.value < bad_t[name]:
                return Verdict("bad", f"{self.x} vs {self.y}: {label[name]} {num(m, name)} < {bad_t[name]} — the two spaces do not share their geometry",
                               "check that the rows are the same items (ids); see imbalance_xy/imbalance_yx for which space holds the other's neighbourhoods",
                               name)
        for m, name in have:
            if m.value < ok_t[name]:
                return Verdict("warn", f"{self.x} vs {self.y}: {label[name]} {num(m, name)} < {ok_t[name]} — the spaces agree only in part",
                               "look at the mutual_knn curve over k and at procrustes_residual before treating one space as a drop-in for the other",
                               name)
        parts = " and ".join(f"{label[name]} {num(m, name)} ≥ {ok_t[name]}" for m, name in have)
        decided = "mutual_knn" if mk is not None and np.isfinite(mk.value) else "cka_linear"
        return Verdict("ok", f"{self.x} vs {self.y}: {parts}", "", decided)

    def table(self):
        cols = ["metric", "k", "value", "ci_low", "ci_high", "null_low", "null_high", "status"]
        rows = [[m.metric, m.extra.get("k", ""), m.value, m.ci_low, m.ci_high, m.extra.get("null_low"), m.extra.get("null_high"), m.status]
                for m in self.metrics()]
        return cols, rows


@dataclass(frozen=True, slots=True)
class CompareMatrix(Result):
    """Many spaces over the same rows, compared pairwise (``pairs[i]`` is one :class:`CompareResult`)."""

    names: tuple
    pairs: tuple = field(repr=False)
    kind: str = "inputs"  # inputs | layers | prefix | quantize
    notes: tuple = ()
    seed: int | None = None  # the seed as given (None: fresh entropy or a numpy Generator)

    def metric_ids(self) -> list[tuple[str, int | None]]:
        seen = []
        for p in self.pairs:
            for m in p.measures:
                key = (m.metric, m.k)
                if key not in seen:
                    seen.append(key)
        return seen

    def matrix(self, metric: str, k: int | None = None) -> np.ndarray:
        """``names × names``: ``M[i, j]`` is the metric of the pair (i, j); for the asymmetric
        imbalance, ``imbalance_xy`` of pair (i, j) is ``M[i, j]`` and ``imbalance_yx`` is ``M[j, i]``
        (ask for ``"imbalance"``). The diagonal holds the value of a space with itself."""
        L = len(self.names)
        index = {n: i for i, n in enumerate(self.names)}
        M = np.full((L, L), np.nan)
        base = "imbalance_xy" if metric == "imbalance" else metric
        for i in range(L):
            M[i, i] = IDENTITY.get(base, np.nan)
        for p in self.pairs:
            i, j = index[p.x], index[p.y]
            if metric == "imbalance":
                a, b = p.value("imbalance_xy"), p.value("imbalance_yx")
                M[i, j] = np.nan if a is None else a
                M[j, i] = np.nan if b is None else b
                continue
            v = p.value(metric, k)
            M[i, j] = M[j, i] = np.nan if v is None else v
        return M

    def to_dict(self) -> dict:
        mats = {}
        for metric, k in self.metric_ids():
            if metric == "imbalance_yx":
                continue
            name = "imbalance" if metric == "imbalance_xy" else (f"mutual_knn@{k}" if metric == "mutual_knn" else metric)
            mats[name] = self.matrix("imbalance" if metric == "imbalance_xy" else metric, k).tolist()
        return jsonable({"kind": self.kind, "inputs": list(self.names), "seed": self.seed, "pairs": [p.to_dict() for p in self.pairs], "matrices": mats})

    def metrics(self) -> list[Metric]:
        return [m for p in self.pairs for m in p.metrics(pair_columns=True)]

    def verdict(self) -> Verdict:
        """info for a matrix of inputs or layers (no single answer); for prefixes and quantised
        copies — X against versions of itself — the worst pair's verdict."""
        if self.kind not in ("inputs", "layers"):
            from dataclasses import replace

            from embgeo.results import severity

            verdicts = [p.verdict() for p in self.pairs]
            if not verdicts:
                return Verdict("info", "no pair was compared", "", None)
            i = max(range(len(verdicts)), key=lambda j: severity(verdicts[j].status))  # the first of equals
            v = verdicts[i]
            # every pair has its own row of that id (the x, y columns): name the one that decided
            return replace(v, decided_row={"x": str(self.pairs[i].x), "y": str(self.pairs[i].y)}) if v.decided_by else v
        return Verdict("info", f"a matrix of {len(self.names)} {'layers' if self.kind == 'layers' else 'inputs'} ({len(self.pairs)} pairs): no single verdict",
                       "", None)

    def table(self):
        cols = ["x", "y", "metric", "k", "value", "ci_low", "ci_high", "null_low", "null_high", "status"]
        rows = [[m.extra["x"], m.extra["y"], m.metric, m.extra.get("k", ""), m.value, m.ci_low, m.ci_high, m.extra.get("null_low"),
                 m.extra.get("null_high"), m.status] for m in self.metrics()]
        return cols, rows
