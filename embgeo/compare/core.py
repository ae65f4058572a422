"""``compare``: are two embedding spaces of the same items the same geometry?

One pair (:func:`compare`) or many (:func:`compare_many`: several inputs, the layers of
a stack, the prefixes of one matrix, quantised copies). Every measure carries a seeded
bootstrap interval (``ci_low``/``ci_high``) and a permutation-null band
(``null_low``/``null_high``: the same measure with the rows of Y shuffled).

Scale: every value is exact on up to :data:`EXACT_MAX_ROWS` rows; above, a seeded sample
of that many rows is used and the notes say so. Replicates of the GEMM-based measures
(CKA, Procrustes) run on ``resample_rows`` rows (m-out-of-n bootstrap, intervals scaled
by √(m/n)); RSA on ``rsa_rows`` rows; RBF CKA on ``rbf_rows`` rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from embgeo.errors import EmbgeoError
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
#: every value is exact on up to this many rows; above, a seeded sample of this many rows
EXACT_MAX_ROWS = 20_000
#: verdict thresholds: ok when cka_linear ≥ OK_CKA and mutual_knn ≥ OK_MUTUAL_KNN; bad below BAD_*
OK_CKA, OK_MUTUAL_KNN = 0.9, 0.5
BAD_CKA, BAD_MUTUAL_KNN = 0.5, 0.2
#: the value of each metric for a space compared with itself (the diagonal of a matrix)
IDENTITY = {"cka_linear": 1.0, "cka_linear_unbiased": 1.0, "cka_rbf": 1.0, "mutual_knn": 1.0, "imbalance_xy": 0.0,
            "imbalance_yx": 0.0, "procrustes_residual": 0.0, "retrieval_r1": 1.0, "retrieval_r10": 1.0, "rsa_spearman": 1.0}
QUANTIZE = ("int8", "binary")
METRICS = ("cosine", "euclidean")


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

    def to_dict(self) -> dict:
        d = {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high, "null_low": self.null_low, "null_high": self.null_high,
             "n_rows": self.rows}
        if self.k is not None:
            d = {"k": self.k, **d}
        return jsonable(d)


def _status(metric: str, value: float) -> str:
    if value is None or not np.isfinite(value):
        return ""
    if metric == "cka_linear":
        return "ok" if value >= OK_CKA else ("warn" if value >= BAD_CKA else "bad")
    if metric == "mutual_knn":
        return "ok" if value >= OK_MUTUAL_KNN else ("warn" if value >= BAD_MUTUAL_KNN else "bad")
    return ""


@dataclass(frozen=True, slots=True)
class CompareResult(Result):
    """Two spaces over the same rows: every measure with its interval and null band."""

    x: str
    y: str
    n_rows: int
    n_rows_total: int
    n_dims_x: int
    n_dims_y: int
    metric: str
    join: str
    sampled: bool
    measures: tuple = field(repr=False)
    notes: tuple = ()

    def get(self, metric: str, k: int | None = None) -> Measure | None:
        for m in self.measures:
            if m.metric == metric and (k is None or m.k == k):
                return m
        return None

    def value(self, metric: str, k: int | None = None) -> float | None:
        m = self.get(metric, k)
        return None if m is None else m.value

    def to_dict(self) -> dict:
        d = {"x": self.x, "y": self.y, "n_rows": self.n_rows, "n_rows_total": self.n_rows_total, "n_dims_x": self.n_dims_x,
             "n_dims_y": self.n_dims_y, "metric": self.metric, "join": self.join, "sampled": self.sampled}
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
            rows.append(Metric(m.metric, m.value, m.ci_low, m.ci_high, "", _status(m.metric, m.value) if (m.k is None or m.k == self._verdict_k()) else "", extra))
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
            return Verdict("info", "no measure with a threshold was computed (cka, mutual_knn)", "add -m cka or -m mutual_knn for a verdict")
        label = {"cka_linear": "cka_linear", "mutual_knn": f"mutual_knn@{k}"}
        ok_t = {"cka_linear": OK_CKA, "mutual_knn": OK_MUTUAL_KNN}
        bad_t = {"cka_linear": BAD_CKA, "mutual_knn": BAD_MUTUAL_KNN}
        for m, name in have:
            if m.value < bad_t[name]:
                return Verdict("bad", f"{self.x} vs {self.y}: {label[name]} {m.value:.3f} < {bad_t[name]} — the two spaces do not share their geometry",
                               "check that the rows are the same items (ids); see imbalance_xy/imbalance_yx for which space holds the other's neighbourhoods",
                               name)
        for m, name in have:
            if m.value < ok_t[name]:
                return Verdict("warn", f"{self.x} vs {self.y}: {label[name]} {m.value:.3f} < {ok_t[name]} — the spaces agree only in part",
                               "look at the mutual_knn curve over k and at procrustes_residual before treating one space as a drop-in for the other",
                               name)
        parts = " and ".join(f"{label[name]} {m.value:.3f} ≥ {ok_t[name]}" for m, name in have)
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
        return jsonable({"kind": self.kind, "inputs": list(self.names), "pairs": [p.to_dict() for p in self.pairs], "matrices": mats})

    def metrics(self) -> list[Metric]:
        return [m for p in self.pairs for m in p.metrics(pair_columns=True)]

    def verdict(self) -> Verdict:
        """info for a matrix of inputs or layers (no single answer); for prefixes and quantised
        copies — X against versions of itself — the worst pair's verdict."""
        if self.kind not in ("inputs", "layers"):
            from embgeo.results import worst_verdict

            return worst_verdict([p.verdict() for p in self.pairs])
        return Verdict("info", f"a matrix of {len(self.names)} {'layers' if self.kind == 'layers' else 'inputs'} ({len(self.pairs)} pairs): no single verdict",
                       "", None)

    def table(self):
        cols = ["x", "y", "metric", "k", "value", "ci_low", "ci_high", "null_low", "null_high", "status"]
        rows = [[m.extra["x"], m.extra["y"], m.metric, m.extra.get("k", ""), m.value, m.ci_low, m.ci_high, m.extra.get("null_low"),
                 m.extra.get("null_high"), m.status] for m in self.metrics()]
        return cols, rows


# --------------------------------------------------------------------------- transforms


def prefix(X, dims: int) -> np.ndarray:
    """The first ``dims`` coordinates of every row (a Matryoshka truncation)."""
    X = np.asarray(X)
    if not 1 <= dims <= X.shape[1]:
        raise EmbgeoError(f"prefix of {dims} dimensions is not within 1…{X.shape[1]}", hint="give --prefix-dims below the width of X")
    return X[:, :dims]


def quantize(X, kind: str) -> np.ndarray:
    """A quantised copy of ``X`` as the numbers a vector store compares:

    * ``int8``: per-dimension ranges from ``X`` itself (min…max in 256 steps), values −128…127;
    * ``binary``: the sign of each coordinate as ±1 (Hamming order = cosine order).
    """
    X = np.asarray(X, dtype=np.float64)
    if kind == "int8":
        lo = X.min(axis=0)
        hi = X.max(axis=0)
        step = (hi - lo) / 255.0
        step[step == 0] = 1.0
        q = np.floor((X - lo) / step) - 128.0
        return np.clip(q, -128.0, 127.0).astype(np.float32)
    if kind == "binary":
        return np.where(X > 0, 1.0, -1.0).astype(np.float32)
    raise EmbgeoError(f"quantize must be one of {', '.join(QUANTIZE)}, got {kind!r}")


# --------------------------------------------------------------------------- the engine


def _check_methods(methods) -> tuple[str, ...]:
    if methods is None:
        return DEFAULT_MEASURES
    methods = [str(m).strip().lower().replace("-", "_") for m in methods]
    if "all" in methods:
        return tuple(MEASURES)
    aliases = {"cka_linear": "cka", "linear_cka": "cka", "unbiased_cka": "cka_unbiased", "cka_linear_unbiased": "cka_unbiased",
               "rbf": "cka_rbf", "rbf_cka": "cka_rbf", "mknn": "mutual_knn", "knn": "mutual_knn", "information_imbalance": "imbalance",
               "ii": "imbalance", "procrustes_residual": "procrustes", "rsa_spearman": "rsa"}
    out = []
    for m in methods:
        m = aliases.get(m, m)
        if m not in MEASURES:
            raise EmbgeoError(f"unknown measure {m!r} (measures: {', '.join(MEASURES)}, or all)", hint="pick from the list, e.g. -m cka,mutual_knn")
        if m not in out:
            out.append(m)
    if not out:
        raise EmbgeoError("no measure asked for", hint="e.g. -m cka,mutual_knn")
    return tuple(out)


class _Space:
    """One input restricted to the compared rows, with what pairs reuse cached."""

    def __init__(self, name: str, M, metric: str):
        from embgeo.validation import as_matrix

        A = as_matrix(M, name=name, min_rows=4, allow_zero_rows=(metric != "cosine"))
        self.name = name
        self.float64 = A.dtype == np.float64
        G = np.array(A, dtype=np.float64, copy=True)
        if metric == "cosine":
            G /= np.linalg.norm(G, axis=1, keepdims=True)
        self.G = G  # the geometry compared: unit rows (cosine) or raw rows (euclidean)
        self.metric = metric
        self.n, self.d = G.shape
        self._cache: dict = {}

    @property
    def work(self) -> np.ndarray:
        """The matrix given to the kNN engine and the rank pass (float32 unless the input was float64)."""
        if "work" not in self._cache:
            self._cache["work"] = self.G if self.float64 else self.G.astype(np.float32)
        return self._cache["work"]

    def centred(self):
        if "centred" not in self._cache:
            from embgeo.compare.cka import centre, self_terms

            Gc = centre(self.G)
            self._cache["centred"] = (Gc, self_terms(Gc))
        return self._cache["centred"]

    def centred_rows(self, rows: np.ndarray):
        key = ("centred_rows", rows.size, int(rows[:8].sum()))
        if key not in self._cache:
            from embgeo.compare.cka import centre, self_terms

            Gc = centre(self.G[rows])
            self._cache[key] = (Gc, self_terms(Gc))
        return self._cache[key]

    def neighbours(self, k: int, *, approx: bool, seed: int):
        have = self._cache.get("nn")
        if have is None or have[0].shape[1] < k:
            from embgeo.compare.neighbours import neighbour_lists

            idx, nb = neighbour_lists(self.work, k, metric=self.metric, approx=approx, seed=seed)
            self._cache["nn"] = (idx, nb)
        return self._cache["nn"]

    def rbf(self, rows: np.ndarray, sigma: float):
        key = ("rbf", rows.size, int(rows[:8].sum()), sigma)
        if key not in self._cache:
            from embgeo.compare.cka import rbf_gram

            self._cache[key] = rbf_gram(self.G[rows], sigma=sigma)
        return self._cache[key]


def _quantiles(values, confidence: float):
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        return None, None
    a = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(v, [a, 1.0 - a])
    return float(lo), float(hi)


def _scaled_ci(value: float, reps, m: int, n: int, confidence: float):
    """The bootstrap spread put around the estimate: ``value + √(m/n)·(quantiles(rep) − median(rep))``
    (√(m/n) = 1 when the replicates use all rows). Centring on the replicates' median removes their own
    bias (rows drawn twice lower the Procrustes residual and raise biased CKA), so the interval holds the value."""
    lo, hi = _quantiles(reps, confidence)
    if lo is None:
        return None, None
    med = float(np.median([x for x in reps if x is not None and np.isfinite(x)]))
    s = np.sqrt(m / n) if m < n else 1.0
    return float(value + s * (lo - med)), float(value + s * (hi - med))


def _rows(n: int, m: int, rng) -> np.ndarray:
    return np.arange(n) if m >= n else np.sort(rng.choice(n, size=m, replace=False))


@dataclass(frozen=True)
class _Settings:
    methods: tuple
    ks: tuple
    metric: str
    n_boot: int
    n_perm: int
    confidence: float
    seed: int
    resample_rows: int
    rsa_rows: int
    rbf_rows: int
    rbf_sigma: float
    approx: bool


def _pair(sx: _Space, sy: _Space, st: _Settings, *, pair_seed, n_total: int, join: str, sampled: bool) -> CompareResult:
    n = sx.n
    if sy.n != n:
        raise EmbgeoError(f"{sy.name} has {sy.n} rows but {sx.name} has {n}", hint="compare the same rows")
    rng = lambda tag: np.random.default_rng([st.seed, *pair_seed, tag])  # noqa: E731 (one stream per measure)
    conf = st.confidence
    out: list[Measure] = []
    notes: list[str] = []
    methods = st.methods

    # --- linear CKA (biased, unbiased) and Procrustes: exact values from the cross-products in
    # feature space; replicates on m = min(n, resample_rows) rows (CKA through the m×m Gram
    # matrices, O(m²) per replicate; Procrustes through the d_X×d_Y cross-product and its SVD)
    lin = [m for m in ("cka", "cka_unbiased", "procrustes") if m in methods]
    if lin:
        from embgeo.compare.cka import centre, linear_pieces

        want_nuc = "procrustes" in methods
        Xc, tx = sx.centred()
        Yc, ty = sy.centred()
        point = linear_pieces(Xc, Yc, tx, ty, want_nuclear=want_nuc)
        r = rng(1)
        m = min(n, st.resample_rows)
        rows = _rows(n, m, r)
        Xr = Xc if m >= n else centre(Xc[rows])
        Yr = Yc if m >= n else centre(Yc[rows])
        ids = {"cka": "cka_linear", "cka_unbiased": "cka_linear_unbiased", "procrustes": "procrustes_residual"}
        nulls: dict = {ids[x]: [] for x in lin}
        boots: dict = {ids[x]: [] for x in lin}
        if st.n_boot or st.n_perm:
            if "cka" in methods or "cka_unbiased" in methods:
                K = Xr @ Xr.T
                L = Yr @ Yr.T
                _gram_replicates(K, L, r, st, nulls, boots, biased="cka_linear" in nulls, unbiased="cka_linear_unbiased" in nulls)
            if want_nuc:
                _procrustes_replicates(Xr, Yr, r, st, nulls["procrustes_residual"], boots["procrustes_residual"])
        for meth in lin:
            key = ids[meth]
            lo, hi = _scaled_ci(point[key], boots[key], m, n, conf)
            nlo, nhi = _quantiles(nulls[key], conf)
            out.append(Measure(key, float(point[key]), lo, hi, nlo, nhi, rows=n))
        if m < n and (st.n_boot or st.n_perm):
            notes.append(f"cka/procrustes: values on all {n} rows; intervals and null bands from replicates on {m} rows "
                         f"(intervals rescaled by √(m/n); null bands at {m} rows are wider than at {n})")

    # --- RBF CKA on at most rbf_rows rows
    if "cka_rbf" in methods:
        from embgeo.compare.cka import cka_from_gram

        r = rng(2)
        m = min(n, st.rbf_rows)
        rows = _rows(n, m, r)
        K, bwx = sx.rbf(rows, st.rbf_sigma)
        L, bwy = sy.rbf(rows, st.rbf_sigma)
        value = cka_from_gram(K, L)
        nulls = {"cka_rbf": []}
        boots = {"cka_rbf": []}
        _gram_replicates(K, L, r, st, nulls, boots, biased=True, unbiased=False, key="cka_rbf")
        lo, hi = _scaled_ci(value, boots["cka_rbf"], m, m, conf)
        nlo, nhi = _quantiles(nulls["cka_rbf"], conf)
        out.append(Measure("cka_rbf", float(value), lo, hi, nlo, nhi, rows=m))
        notes.append(f"cka_rbf: biased CKA with RBF kernels on {m} of {n} rows, bandwidth {st.rbf_sigma:g} × median distance "
                     f"({bwx:.4g} for {sx.name}, {bwy:.4g} for {sy.name})")

    # --- neighbours: mutual kNN, information imbalance (both use the engine's lists)
    need_k = max(st.ks) if "mutual_knn" in methods else (1 if "imbalance" in methods else 0)
    if need_k:
        if need_k >= n:
            raise EmbgeoError(f"k = {need_k} needs more than {n} rows", hint="lower -k")
        A, nbx = sx.neighbours(need_k, approx=st.approx, seed=st.seed)
        B, nby = sy.neighbours(need_k, approx=st.approx, seed=st.seed)
        for name, nb in ((sx.name, nbx), (sy.name, nby)):
            if nb.n_duplicate_rows:
                notes.append(f"{name}: {nb.n_duplicate_rows} rows repeat another row exactly; their neighbours tie and are ordered by row number")
            if nb.recall is not None:
                notes.append(f"{name}: approximate neighbours, measured recall {nb.recall:.3f} on {nb.recall_sample} queries")
    if "mutual_knn" in methods:
        from embgeo.compare.neighbours import permuted_lists

        r = rng(3)
        ks = sorted(set(int(k) for k in st.ks))
        per = {k: _overlap(A, B, k) for k in ks}
        nulls = {k: [] for k in ks}
        for _ in range(st.n_perm):
            p = r.permutation(n)
            Bp = permuted_lists(B[:, :max(ks)], p)
            for k in ks:
                nulls[k].append(float(_overlap(A, Bp, k).mean()))
        boots = {k: [] for k in ks}
        for _ in range(st.n_boot):
            s = r.integers(0, n, n)
            for k in ks:
                boots[k].append(float(per[k][s].mean()))
        for k in ks:
            lo, hi = _quantiles(boots[k], conf)
            nlo, nhi = _quantiles(nulls[k], conf)
            out.append(Measure("mutual_knn", float(per[k].mean()), lo, hi, nlo, nhi, k=k, rows=n))
    if "imbalance" in methods:
        from embgeo.compare.imbalance import ranks_of

        r = rng(4)
        dtype = np.float64 if (sx.float64 and sy.float64) else np.float32
        for key, src_nn, target in (("imbalance_xy", A, sy), ("imbalance_yx", B, sx)):
            rk = ranks_of(target.work, src_nn[:, 0], metric=st.metric, dtype=dtype).astype(np.float64)
            value = float(2.0 * rk.mean() / n)
            boots = [float(2.0 * rk[r.integers(0, n, n)].mean() / n) for _ in range(st.n_boot)]
            # shuffled rows: the rank of a random other row is uniform on 1…n−1
            nulls = [float(2.0 * r.integers(1, n, n).mean() / n) for _ in range(st.n_perm)]
            lo, hi = _quantiles(boots, conf)
            nlo, nhi = _quantiles(nulls, conf)
            out.append(Measure(key, value, lo, hi, nlo, nhi, rows=n))

    # --- procrustes retrieval on held-out rows
    if "retrieval" in methods:
        from embgeo.compare.procrustes import retrieval_hits

        r = rng(5)
        hits, pool = retrieval_hits(sx.G, sy.G, (1, 10), metric=st.metric, seed=int(r.integers(2**31)))
        for k, key in ((1, "retrieval_r1"), (10, "retrieval_r10")):
            h = hits[k].astype(np.float64)
            if pool == 0:
                out.append(Measure(key, float("nan"), rows=0))
                continue
            boots = [float(h[r.integers(0, pool, pool)].mean()) for _ in range(st.n_boot)]
            chance = min(k, pool) / pool
            nulls = [float(r.binomial(pool, chance) / pool) for _ in range(st.n_perm)]
            lo, hi = _quantiles(boots, conf)
            nlo, nhi = _quantiles(nulls, conf)
            out.append(Measure(key, float(h.mean()), lo, hi, nlo, nhi, rows=pool))
        notes.append(f"retrieval: Procrustes map fitted on {n - pool} rows, {sx.name} rows query the {pool} held-out mapped {sy.name} rows (chance R@1 = {1 / max(pool, 1):.2g})")

    # --- RSA on a sample
    if "rsa" in methods:
        from embgeo.compare.rsa import pair_distances, pair_index, pearson, ranks

        r = rng(6)
        m = min(n, st.rsa_rows)
        rows = _rows(n, m, r)
        dx = pair_distances(sx.G[rows], st.metric)
        dy = pair_distances(sy.G[rows], st.metric)
        rx, ry = ranks(dx), ranks(dy)
        value = pearson(rx, ry)
        iu, ju = np.triu_indices(m, 1)
        nulls = []
        cx, cy = rx - rx.mean(), ry - ry.mean()  # a permutation moves the pairs, not the ranks: centring and norms hold
        den = float(np.sqrt((cx @ cx) * (cy @ cy)))
        for _ in range(st.n_perm):
            p = r.permutation(m)
            nulls.append(float(cx @ cy[pair_index(p[iu], p[ju], m)]) / den if den > 0 else float("nan"))
        boots = []
        for _ in range(st.n_boot):  # resampled rows → their pairs; correlated on the sample's ranks (no re-ranking)
            s = r.integers(0, m, m)
            keep = s[iu] != s[ju]
            idx = pair_index(s[iu][keep], s[ju][keep], m)
            boots.append(pearson(rx[idx], ry[idx]))
        lo, hi = _scaled_ci(value, boots, m, m, conf)
        nlo, nhi = _quantiles(nulls, conf)
        out.append(Measure("rsa_spearman", value, lo, hi, nlo, nhi, rows=m))
        if m < n:
            notes.append(f"rsa_spearman: on a seeded sample of {m} of {n} rows ({m * (m - 1) // 2} pairs)")

    order = {mid: i for i, mid in enumerate(mid for meth in MEASURES for mid in MEASURES[meth])}
    out.sort(key=lambda mm: (order[mm.metric], mm.k or 0))
    return CompareResult(x=sx.name, y=sy.name, n_rows=n, n_rows_total=n_total, n_dims_x=sx.d, n_dims_y=sy.d, metric=st.metric, join=join,
                         sampled=sampled, measures=tuple(out), notes=tuple(notes))


def _gram_replicates(K, L, r, st, nulls, boots, *, biased: bool, unbiased: bool, key: str = "cka_linear") -> None:
    """Permutation (rows of Y shuffled) and bootstrap replicates of CKA from m×m Gram matrices.

    A permutation needs one ``Σ K∘L[p][:, p]`` (every other term is invariant or a permuted
    vector). A bootstrap sample with row counts ``w`` gives every HSIC term as a quadratic form
    (``tr(K_b L_b) = wᵀ(K∘L)w``, ``1ᵀK_bL_b1 = Σ w_i (Kw)_i (Lw)_i`` …), so all replicates come
    from a few ``m×m · m×B`` products."""
    m = K.shape[0]
    dk, dl = np.diag(K).copy(), np.diag(L).copy()
    rk, rl = K.sum(axis=1), L.sum(axis=1)
    sk, sl = float(rk.sum()), float(rl.sum())

    def hb(tr, dot_rows, s1, s2, mm):  # tr(KHLH) from its pieces
        return tr - 2.0 * dot_rows / mm + s1 * s2 / (mm * mm)

    def hu(tr_t, s1_t, s2_t, dot_t, mm):  # Song et al. eq. 5 from its pieces (diagonals already removed)
        if mm < 4:
            return float("nan")
        return (tr_t + s1_t * s2_t / ((mm - 1) * (mm - 2)) - 2.0 * dot_t / (mm - 2)) / (mm * (mm - 3))

    kk_b = hb(float(np.vdot(K, K)), float(rk @ rk), sk, sk, m)
    ll_b = hb(float(np.vdot(L, L)), float(rl @ rl), sl, sl, m)
    kt, lt = rk - dk, rl - dl
    kk_u = hu(float(np.vdot(K, K)) - float(dk @ dk), sk - dk.sum(), sk - dk.sum(), float(kt @ kt), m)
    ll_u = hu(float(np.vdot(L, L)) - float(dl @ dl), sl - dl.sum(), sl - dl.sum(), float(lt @ lt), m)
    den_b = np.sqrt(kk_b * ll_b) if kk_b * ll_b > 0 else float("nan")
    den_u = np.sqrt(kk_u * ll_u) if kk_u * ll_u > 0 else float("nan")
    for _ in range(st.n_perm):
        p = r.permutation(m)
        tr = float(np.vdot(K, L[np.ix_(p, p)]))
        if biased:
            nulls[key].append(hb(tr, float(rk @ rl[p]), sk, sl, m) / den_b)
        if unbiased:
            tr_t = tr - float(dk @ dl[p])
            nulls["cka_linear_unbiased"].append(hu(tr_t, sk - dk.sum(), sl - dl.sum(), float(kt @ lt[p]), m) / den_u)
    if st.n_boot:
        W = np.stack([np.bincount(r.integers(0, m, m), minlength=m) for _ in range(st.n_boot)], axis=1).astype(np.float64)  # m × B
        KW, LW = K @ W, L @ W
        q_kl = np.einsum("ib,ib->b", W, (K * L) @ W)
        q_kk = np.einsum("ib,ib->b", W, (K * K) @ W)
        q_ll = np.einsum("ib,ib->b", W, (L * L) @ W)
        s_k = np.einsum("ib,ib->b", W, KW)
        s_l = np.einsum("ib,ib->b", W, LW)
        for b in range(W.shape[1]):
            w = W[:, b]
            kw, lw = KW[:, b], LW[:, b]
            if biased:
                num = hb(q_kl[b], float(w @ (kw * lw)), s_k[b], s_l[b], m)
                d2 = hb(q_kk[b], float(w @ (kw * kw)), s_k[b], s_k[b], m) * hb(q_ll[b], float(w @ (lw * lw)), s_l[b], s_l[b], m)
                boots[key].append(num / np.sqrt(d2) if d2 > 0 else float("nan"))
            if unbiased:
                kt_b, lt_b = kw - dk, lw - dl  # (K̃_b 1) at the rows drawn, by original row
                sk_t, sl_t = s_k[b] - float(w @ dk), s_l[b] - float(w @ dl)
                num = hu(q_kl[b] - float(w @ (dk * dl)), sk_t, sl_t, float(w @ (kt_b * lt_b)), m)
                d2 = (hu(q_kk[b] - float(w @ (dk * dk)), sk_t, sk_t, float(w @ (kt_b * kt_b)), m)
                      * hu(q_ll[b] - float(w @ (dl * dl)), sl_t, sl_t, float(w @ (lt_b * lt_b)), m))
                boots["cka_linear_unbiased"].append(num / np.sqrt(d2) if d2 > 0 else float("nan"))


def _nuclear_fast(C: np.ndarray) -> float:
    """``‖C‖_*`` from the eigenvalues of the smaller of CᵀC, CCᵀ (replicates; the point value uses the SVD)."""
    G = C.T @ C if C.shape[1] <= C.shape[0] else C @ C.T
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(G), 0.0, None)).sum())


def _procrustes_replicates(Xr, Yr, r, st, nulls: list, boots: list) -> None:
    """Replicates of ``1 − ‖X̂ᵀŶ‖²_*``: the cross-product of the (re-centred) rows and its singular values."""
    fx, fy = float(np.sum(Xr * Xr)), float(np.sum(Yr * Yr))
    m = Xr.shape[0]

    def resid(C, a, b):
        nuc = _nuclear_fast(C)
        return max(0.0, 1.0 - nuc * nuc / (a * b)) if a * b > 0 else float("nan")

    for _ in range(st.n_perm):
        p = r.permutation(m)
        nulls.append(resid(Xr.T @ Yr[p], fx, fy))
    for _ in range(st.n_boot):
        w = np.bincount(r.integers(0, m, m), minlength=m).astype(np.float64)
        mx, my = (w @ Xr) / m, (w @ Yr) / m
        C = (Xr * w[:, None]).T @ Yr - m * np.outer(mx, my)
        a = float(w @ np.einsum("ij,ij->i", Xr, Xr)) - m * float(mx @ mx)
        b = float(w @ np.einsum("ij,ij->i", Yr, Yr)) - m * float(my @ my)
        boots.append(resid(C, a, b))


def _overlap(A: np.ndarray, B: np.ndarray, k: int) -> np.ndarray:
    """Per-row |A[i,:k] ∩ B[i,:k]| / k by one sort of the concatenated lists (each list holds distinct rows)."""
    both = np.sort(np.concatenate([A[:, :k], B[:, :k]], axis=1), axis=1)
    return (both[:, 1:] == both[:, :-1]).sum(axis=1) / k


def _settings(methods, k, metric, n_boot, n_perm, confidence, seed, resample_rows, rsa_rows, rbf_rows, rbf_sigma, approx) -> _Settings:
    if metric not in METRICS:
        raise EmbgeoError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    ks = (k,) if isinstance(k, (int, np.integer)) else tuple(int(v) for v in k)
    if not ks or min(ks) < 1:
        raise EmbgeoError("k must be at least 1", hint="e.g. -k 10 or -k 5,10,50")
    if not 0 < confidence < 1:
        raise EmbgeoError(f"confidence must lie in (0, 1), got {confidence}")
    for name, v, lo in (("n_boot", n_boot, 0), ("n_perm", n_perm, 0), ("resample_rows", resample_rows, 10), ("rsa_rows", rsa_rows, 4), ("rbf_rows", rbf_rows, 4)):
        if int(v) < lo:
            raise EmbgeoError(f"{name} must be at least {lo}, got {v}")
    return _Settings(_check_methods(methods), ks, metric, int(n_boot), int(n_perm), float(confidence), int(seed), int(resample_rows),
                     int(rsa_rows), int(rbf_rows), float(rbf_sigma), bool(approx))


def _sample_rows(n: int, sample: int | None, seed: int) -> np.ndarray | None:
    target = EXACT_MAX_ROWS if sample is None else int(sample)
    if target >= n:
        return None
    return np.sort(np.random.default_rng([seed, 7]).choice(n, size=target, replace=False))


def _names(inputs, names):
    if names is not None:
        names = [str(n) for n in names]
        if len(names) != len(inputs):
            raise EmbgeoError(f"{len(names)} names for {len(inputs)} inputs")
    else:
        names = []
        for i, s in enumerate(inputs):
            prov = getattr(s, "provenance", None)
            names.append(str(prov.get("file")) if prov and prov.get("file") else ("XYZ"[i] if i < 3 else f"input{i + 1}"))
    if len(set(names)) < len(names):
        names = [f"{n}#{i + 1}" for i, n in enumerate(names)]
    return names


def compare_many(inputs, *, names=None, pairs=None, kind: str = "inputs", methods=None, k=10, metric: str = "cosine", n_boot: int = 100,
                 n_perm: int = 100, confidence: float = 0.95, seed: int = 0, sample: int | None = None, resample_rows: int = 1000,
                 rsa_rows: int = 500, rbf_rows: int = 1000, rbf_sigma: float = 1.0, approx: bool = False, join: str | None = None,
                 progress=None) -> CompareMatrix:
    """Compare several spaces of the same items pairwise.

    ``inputs``: arrays or :class:`~embgeo.io.EmbeddingSet` (rows joined by id when they carry
    ids, else by row order; see :func:`embgeo.compare.align.align_rows`). ``pairs``: index pairs
    to compare (default every ``i < j``). ``kind`` labels the matrix (``inputs``, ``layers``,
    ``prefix``, ``quantize``) and decides the verdict (see :meth:`CompareMatrix.verdict`).
    The other parameters are those of :func:`compare`.
    """
    from embgeo.compare.align import align_rows

    if len(inputs) < 2:
        raise EmbgeoError("compare needs at least two spaces", hint="give X and Y, --layers on a stack, --prefix-dims or --quantize")
    st = _settings(methods, k, metric, n_boot, n_perm, confidence, seed, resample_rows, rsa_rows, rbf_rows, rbf_sigma, approx)
    names = _names(inputs, names)
    al = align_rows(inputs, join=join, names=names)
    n_total = al.matrices[0].shape[0]
    rows = _sample_rows(n_total, sample, st.seed)
    spaces = [_Space(nm, (M if rows is None else np.asarray(M[rows])), st.metric) for nm, M in zip(names, al.matrices)]
    if pairs is None:
        pairs = [(i, j) for i in range(len(spaces)) for j in range(i + 1, len(spaces))]
    results = []
    for (i, j) in pairs:
        results.append(_pair(spaces[i], spaces[j], st, pair_seed=(i, j), n_total=n_total, join=al.join, sampled=rows is not None))
        if progress is not None:
            progress(1)
    notes = []
    if rows is not None:
        notes.append(f"sampled {rows.size} of {n_total} rows (seed {st.seed}): every value and interval is an estimate on the sample"
                     + (f" (exact up to {EXACT_MAX_ROWS} rows)" if sample is None else ""))
    for r in results:
        for note in r.notes:
            if note not in notes:
                notes.append(note)
    return CompareMatrix(names=tuple(names), pairs=tuple(results), kind=kind, notes=tuple(notes))


def compare(X, Y, *, methods=None, k=10, metric: str = "cosine", n_boot: int = 100, n_perm: int = 100, confidence: float = 0.95,
            seed: int = 0, sample: int | None = None, resample_rows: int = 1000, rsa_rows: int = 500, rbf_rows: int = 1000,
            rbf_sigma: float = 1.0, approx: bool = False, join: str | None = None, names=None) -> CompareResult:
    """Are ``X`` and ``Y`` (the same items in two spaces; widths may differ) the same geometry?

    Parameters
    ----------
    X, Y : arrays, torch tensors or :class:`~embgeo.io.EmbeddingSet` (joined by id when both carry ids).
    methods : measures (default every one but ``cka_rbf``): ``cka``, ``cka_unbiased``, ``cka_rbf``,
        ``mutual_knn``, ``imbalance``, ``procrustes``, ``retrieval``, ``rsa`` (or ``all``).
    k : neighbours for ``mutual_knn``: one number or several (a curve).
    metric : ``cosine`` (rows L2-normalised before every measure; the default) or ``euclidean``.
    n_boot, n_perm : bootstrap and permutation replicates (0 switches either off).
    sample : compare a seeded sample of this many rows (default: all up to 20 000, else 20 000).
    resample_rows, rsa_rows, rbf_rows : rows for the CKA/Procrustes replicates, RSA, RBF CKA.
    """
    res = compare_many([X, Y], names=names or _names([X, Y], None), methods=methods, k=k, metric=metric, n_boot=n_boot, n_perm=n_perm,
                       confidence=confidence, seed=seed, sample=sample, resample_rows=resample_rows, rsa_rows=rsa_rows, rbf_rows=rbf_rows,
                       rbf_sigma=rbf_sigma, approx=approx, join=join)
    pair = res.pairs[0]
    return replace(pair, notes=res.notes)
