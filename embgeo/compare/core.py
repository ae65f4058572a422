"""``compare``: are two embedding spaces of the same items the same geometry?

One pair (:func:`compare`) or many (:func:`compare_many`: several inputs, the layers of
a stack, the prefixes of one matrix, quantised copies). Every measure carries a seeded
bootstrap interval (``ci_low``/``ci_high``) and a permutation-null band
(``null_low``/``null_high``: the same measure with the rows of Y shuffled).

Scale: every value is exact on up to :data:`EXACT_MAX_ROWS` rows; above, a seeded sample
of that many rows is used and the notes say so. The permutation nulls of the GEMM-based
measures (CKA, Procrustes) use every row; their bootstrap runs on ``resample_rows`` rows
(m-out-of-n, spread scaled by √(m/n); ``bootstrap_rows`` in the results); RSA on
``rsa_rows`` rows; RBF CKA on ``rbf_rows`` rows. With a Dask ``client`` the kNN-based
measures search on the cluster (:mod:`embgeo.compare.distributed`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.arguments import check_count, check_flag, check_level, check_number, method_list
from embgeo.validation import as_rng, sample_note, seeded_rows
from embgeo.knn.engine import tie_note
from embgeo.compare.replicates import gram_replicates, procrustes_replicates, quantiles, scaled_ci
from embgeo.compare.align import check_same_rows
from embgeo.compare.results import (  # noqa: F401  (re-exported)
    BAD_CKA, BAD_MUTUAL_KNN, DEFAULT_MEASURES, IDENTITY, MEASURES, METRICS, OK_CKA, OK_MUTUAL_KNN, QUANTIZE, CompareMatrix,
    CompareResult, Measure, check_metric,
)

#: every value is exact on up to this many rows; above, a seeded sample of this many rows
EXACT_MAX_ROWS = 20_000
#: at most this many bootstrap replicates and permutations of the Procrustes residual (each is a d_X×d_Y SVD)
PROCRUSTES_REPLICATES = 30


# --------------------------------------------------------------------------- transforms


def _numbers(X, name: str = "X") -> np.ndarray:
    """The numbers of one input as stored (an EmbeddingSet's matrix, a tensor, nested lists as an array);
    anything but an ``(n, d)`` matrix of numbers raises the shared message of :func:`embgeo.validation.as_matrix`."""
    from embgeo.validation import as_matrix, from_tensor

    M = from_tensor(X.matrix if hasattr(X, "matrix") and not isinstance(X, np.ndarray) else X)
    if not isinstance(M, np.ndarray):
        try:
            M = np.asarray(M)
        except (ValueError, TypeError):
            pass  # ragged lists: as_matrix words it
    if not (isinstance(M, np.ndarray) and M.ndim == 2 and M.dtype.kind in "biuf"):
        as_matrix(M, name=name, min_rows=1, allow_nonfinite=True)  # raises: 1-D, 3-D, text, ragged lists
    return M


def prefix(X, dims: int) -> np.ndarray:
    """The first ``dims`` coordinates of every row (a Matryoshka truncation); ``X``: at least one row, no NaN/inf."""
    from embgeo.validation import as_matrix

    X = _numbers(X)
    as_matrix(X, name="X", min_rows=1, rescale=None)  # raises on no rows, NaN or inf (as quantize does)
    dims = check_count("dims", dims, minimum=1, flag="prefix-dims")
    if not 1 <= dims <= X.shape[1]:
        raise EmbgeoError(f"prefix of {dims} dimensions is not within 1…{X.shape[1]}", hint=f"give {param('dims', '--prefix-dims')} below the width of X")
    return X[:, :dims]


def quantize(X, kind: str) -> np.ndarray:
    """A quantised copy of ``X`` as the numbers a vector store compares:

    * ``int8``: per-dimension ranges from ``X`` itself (min…max in 256 steps), values −128…127;
    * ``binary``: the sign of each coordinate as ±1 (Hamming order = cosine order).

    ``X`` must hold at least one row and no NaN/inf (a NaN would spoil its whole column's range).
    """
    from embgeo.validation import as_matrix

    X = _numbers(X)
    as_matrix(X, name="X", min_rows=1, rescale=None)  # raises on no rows, NaN or inf (the ranges below need finite values)
    X = np.asarray(X, dtype=np.float64)
    if kind == "int8":
        lo = X.min(axis=0)
        hi = X.max(axis=0)
        span = hi - lo
        span[span == 0] = 1.0
        # floor(255·(x − lo)/span) − 128, and the column maximum exactly 127: in floating point
        # 255·span/span can come out as 254.99…, which would floor the maximum to 126
        q = np.where(X == hi, 255.0, np.floor((X - lo) * 255.0 / span)) - 128.0
        return np.clip(q, -128.0, 127.0).astype(np.float32)
    if kind == "binary":
        return np.where(X > 0, 1.0, -1.0).astype(np.float32)
    raise EmbgeoError(f"{param('kind', '--quantize')} must be one of {', '.join(QUANTIZE)}, got {kind!r}",
                      hint=f"e.g. {setting('kind', 'int8', '--quantize')}")


# --------------------------------------------------------------------------- the engine


def check_methods(methods) -> tuple[str, ...]:
    if methods is None:
        return DEFAULT_MEASURES
    methods = [m.lower().replace("-", "_") for m in method_list("methods", methods, flag="method", examples=("cka", "mutual_knn"))]
    if "all" in methods:
        return tuple(MEASURES)
    aliases = {"cka_linear": "cka", "linear_cka": "cka", "unbiased_cka": "cka_unbiased", "cka_linear_unbiased": "cka_unbiased",
               "rbf": "cka_rbf", "rbf_cka": "cka_rbf", "mknn": "mutual_knn", "knn": "mutual_knn", "information_imbalance": "imbalance",
               "ii": "imbalance", "procrustes_residual": "procrustes", "rsa_spearman": "rsa"}
    out = []
    for m in methods:
        m = aliases.get(m, m)
        if m not in MEASURES:
            raise EmbgeoError(f"unknown measure {m!r} (measures: {', '.join(MEASURES)}, or all)", hint="pick from the list, e.g. " + either("methods=('cka', 'mutual_knn')", "-m cka,mutual_knn"))
        if m not in out:
            out.append(m)
    if not out:
        raise EmbgeoError("no measure asked for", hint="e.g. " + either("methods=('cka', 'mutual_knn')", "-m cka,mutual_knn"))
    return tuple(out)


#: a space whose rows differ by less than this (relative) is one point: nothing to compare
CONSTANT_RTOL = 1e-12


class _Space:
    """One input restricted to the compared rows, with what pairs reuse cached."""

    def __init__(self, name: str, M, metric: str):
        from embgeo.validation import as_matrix, zero_rows_hint

        A = as_matrix(M, name=name, min_rows=4, allow_zero_rows=(metric != "cosine"), zero_hint=zero_rows_hint(metric=True))
        self.name = name
        self.float64 = A.dtype == np.float64
        G = np.array(A, dtype=np.float64, copy=True)
        if metric == "cosine":
            G /= np.linalg.norm(G, axis=1, keepdims=True)
        spread = float(np.abs(G - G[0]).max())
        if not spread > CONSTANT_RTOL * max(1.0, float(np.abs(G).max())):
            how = "points in the same direction" if metric == "cosine" and np.abs(A - A[0]).max() > 0 else "the same vector"
            raise EmbgeoError(f"all {G.shape[0]} rows are {how} ({metric} geometry): a constant space has no geometry to compare "
                              "(CKA, RSA and the neighbourhoods are undefined)", source=name,
                              hint="check that the file holds the embeddings of distinct items, not one broadcast row")
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

    def exact_factor(self) -> np.ndarray:
        """The centred rows, or ``U·S`` when wider than tall (:func:`~embgeo.compare.cka.row_factor`), in float64:
        the value's cross-product; one SVD per set, whatever the pairs and replicates that use it."""
        if "exact_factor" not in self._cache:
            from embgeo.compare.cka import row_factor

            self._cache["exact_factor"] = row_factor(self.centred()[0])
        return self._cache["exact_factor"]

    def factor(self) -> np.ndarray:
        """:meth:`exact_factor` as the permutation nulls multiply it: float32 unless the input was float64 (the
        null band's replicates need ~1e-6, not the value's 1e-12; half the GEMM time)."""
        if "factor" not in self._cache:
            F = self.exact_factor()
            self._cache["factor"] = F if self.float64 else F.astype(np.float32)
        return self._cache["factor"]

    def centred_rows(self, rows: np.ndarray):
        key = ("centred_rows", rows.size, int(rows[:8].sum()))
        if key not in self._cache:
            from embgeo.compare.cka import centre, self_terms

            Gc = centre(self.G[rows])
            self._cache[key] = (Gc, self_terms(Gc))
        return self._cache[key]

    def neighbours(self, k: int, *, approx: bool, seed: int, client=None):
        have = self._cache.get("nn")
        if have is None or have[0].shape[1] < k:
            if client is not None:
                from embgeo.compare.distributed import neighbour_lists as on_cluster

                from embgeo.compare.neighbours import search_input

                M, metric = search_input(self.work, self.metric)
                idx, nb = on_cluster(M, k, client=client, metric=metric, approx=approx, seed=seed)
            else:
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


def _rows(n: int, m: int, rng) -> np.ndarray:
    return np.arange(n) if m >= n else np.sort(rng.choice(n, size=m, replace=False))


@dataclass(frozen=True)
class _Settings:
    methods: tuple
    ks: tuple
    metric: str
    n_bootstrap: int
    n_permutations: int
    confidence: float
    seed: int  # the int every stream derives from (drawn from a Generator / fresh entropy when seed is not an int)
    resample_rows: int
    rsa_rows: int
    rbf_rows: int
    rbf_sigma: float
    approx: bool
    seed_given: object = 0  # the seed as given: an int, None or a numpy Generator
    sample: int | None = None

    @property
    def recorded_seed(self) -> int | None:
        """The seed as results record it: the int given, else None (fresh entropy or a Generator)."""
        return int(self.seed_given) if isinstance(self.seed_given, (int, np.integer)) else None


def _pair(sx: _Space, sy: _Space, st: _Settings, *, pair_seed, n_total: int, join: str, sampled: bool, client=None) -> CompareResult:
    n = sx.n
    check_same_rows(sx.G, sy.G, names=(sx.name, sy.name))
    rng = lambda tag: np.random.default_rng([st.seed, *pair_seed, tag])  # noqa: E731 (one stream per measure)
    conf = st.confidence
    out: list[Measure] = []
    notes: list[str] = []
    methods = st.methods

    # --- linear CKA (biased, unbiased) and Procrustes: exact values from the cross-products in
    # feature space. Null bands: permutations of all n rows (one n×d_X·d_Y product per permutation,
    # the same pieces as the value). Intervals: bootstrap replicates on m = min(n, resample_rows) rows
    # (CKA through the m×m Gram matrices; Procrustes through the d_X×d_Y cross-product and its SVD),
    # rescaled by √(m/n) when m < n.
    lin = [m for m in ("cka", "cka_unbiased", "procrustes") if m in methods]
    if lin:
        from embgeo.compare.cka import centre, pieces_from_cross

        want_nuc = "procrustes" in methods
        Xc, tx = sx.centred()
        Yc, ty = sy.centred()
        point = pieces_from_cross(sx.exact_factor().T @ sy.exact_factor(), tx, ty, want_nuclear=want_nuc)  # (linear_pieces' product)
        r = rng(1)
        ids = {"cka": "cka_linear", "cka_unbiased": "cka_linear_unbiased", "procrustes": "procrustes_residual"}
        nulls: dict = {ids[x]: [] for x in lin}
        boots: dict = {ids[x]: [] for x in lin}
        n_proc = min(st.n_permutations, PROCRUSTES_REPLICATES) if want_nuc else 0
        if st.n_permutations:
            from embgeo.compare.replicates import nuclear_fast

            Fx, Fy = sx.factor(), sy.factor()
            for i in range(st.n_permutations):
                p = r.permutation(n)
                C = (Fx.T @ Fy[p]).astype(np.float64, copy=False)
                vals = pieces_from_cross(C, tx, ty, perm=p, want_nuclear=i < n_proc, nuclear=nuclear_fast)
                for key in nulls:
                    if key in vals:
                        nulls[key].append(vals[key])
        m = min(n, st.resample_rows)
        if st.n_bootstrap:
            rows = _rows(n, m, r)
            Xr = Xc if m >= n else centre(Xc[rows])
            Yr = Yc if m >= n else centre(Yc[rows])
            if "cka" in methods or "cka_unbiased" in methods:
                gram_replicates(Xr @ Xr.T, Yr @ Yr.T, r, 0, st.n_bootstrap, nulls, boots, biased="cka_linear" in nulls,
                                unbiased="cka_linear_unbiased" in nulls)
            if want_nuc:
                procrustes_replicates(Xr, Yr, r, 0, min(st.n_bootstrap, PROCRUSTES_REPLICATES), [], boots["procrustes_residual"])
        for meth in lin:
            key = ids[meth]
            lo, hi = scaled_ci(point[key], boots[key], m, n, conf)
            nlo, nhi = quantiles(nulls[key], conf)
            out.append(Measure(key, float(point[key]), lo, hi, nlo, nhi, rows=n, boot_rows=m if st.n_bootstrap else None))
        if want_nuc and max(st.n_bootstrap, st.n_permutations) > PROCRUSTES_REPLICATES:
            notes.append(f"procrustes_residual: interval and null band from at most {PROCRUSTES_REPLICATES} replicates each "
                         "(each needs the singular values of a d_X×d_Y matrix)")
        if m < n and st.n_bootstrap:
            notes.append(f"cka/procrustes: values and null bands on all {n} rows; intervals from bootstrap replicates on a seeded "
                         f"sample of {m} rows (bootstrap_rows; m-out-of-n: their spread rescaled by √(m/n), {setting('resample_rows', n)} for all rows)")

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
        gram_replicates(K, L, r, st.n_permutations, st.n_bootstrap, nulls, boots, biased=True, unbiased=False, key="cka_rbf")
        lo, hi = scaled_ci(value, boots["cka_rbf"], m, m, conf)
        nlo, nhi = quantiles(nulls["cka_rbf"], conf)
        out.append(Measure("cka_rbf", float(value), lo, hi, nlo, nhi, rows=m))
        notes.append(f"cka_rbf: biased CKA with RBF kernels on {m} of {n} rows, bandwidth {st.rbf_sigma:g} × median distance "
                     f"({bwx:.4g} for {sx.name}, {bwy:.4g} for {sy.name})")

    # --- neighbours: mutual kNN, information imbalance (both use the engine's lists)
    need_k = max(st.ks) if "mutual_knn" in methods else (1 if "imbalance" in methods else 0)
    if need_k:
        if need_k >= n:
            raise EmbgeoError(f"k = {need_k} needs more than {n} rows", hint=f"lower {param('k', '-k')}")
        A, nbx = sx.neighbours(need_k, approx=st.approx, seed=st.seed, client=client)
        B, nby = sy.neighbours(need_k, approx=st.approx, seed=st.seed, client=client)
        for name, nb in ((sx.name, nbx), (sy.name, nby)):
            if nb.n_duplicate_rows:
                notes.append(f"{name}: {nb.n_duplicate_rows} rows repeat another row exactly; their neighbours tie and are ordered by row number")
            tied = tie_note(nb.n_tied_kth, nb.n_query, nb.k, "mutual kNN and the information imbalance", name)
            if tied:
                notes.append(tied)
            if nb.recall is not None:
                notes.append(f"{name}: approximate neighbours, measured recall {nb.recall:.3f} on {nb.recall_sample} queries")
    if "mutual_knn" in methods:
        from embgeo.compare.neighbours import permuted_lists

        r = rng(3)
        ks = sorted(set(int(k) for k in st.ks))
        per = {k: _overlap(A, B, k) for k in ks}
        nulls = {k: [] for k in ks}
        for _ in range(st.n_permutations):
            p = r.permutation(n)
            Bp = permuted_lists(B[:, :max(ks)], p)
            for k in ks:
                nulls[k].append(float(_overlap(A, Bp, k).mean()))
        boots = {k: [] for k in ks}
        for _ in range(st.n_bootstrap):
            s = r.integers(0, n, n)
            for k in ks:
                boots[k].append(float(per[k][s].mean()))
        for k in ks:
            lo, hi = quantiles(boots[k], conf)
            nlo, nhi = quantiles(nulls[k], conf)
            out.append(Measure("mutual_knn", float(per[k].mean()), lo, hi, nlo, nhi, k=k, rows=n))
    if "imbalance" in methods:
        if client is not None:
            from functools import partial

            from embgeo.compare.distributed import ranks_of as on_cluster

            ranks_of = partial(on_cluster, client=client)
        else:
            from embgeo.compare.imbalance import ranks_of

        r = rng(4)
        dtype = np.float64 if (sx.float64 and sy.float64) else np.float32
        for key, src_nn, target in (("imbalance_xy", A, sy), ("imbalance_yx", B, sx)):
            rk = ranks_of(target.work, src_nn[:, 0], metric=st.metric, dtype=dtype).astype(np.float64)
            value = float(2.0 * rk.mean() / n)
            boots = [float(2.0 * rk[r.integers(0, n, n)].mean() / n) for _ in range(st.n_bootstrap)]
            # shuffled rows: the rank of a random other row is uniform on 1…n−1
            nulls = [float(2.0 * r.integers(1, n, n).mean() / n) for _ in range(st.n_permutations)]
            lo, hi = quantiles(boots, conf)
            nlo, nhi = quantiles(nulls, conf)
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
            boots = [float(h[r.integers(0, pool, pool)].mean()) for _ in range(st.n_bootstrap)]
            chance = min(k, pool) / pool
            nulls = [float(r.binomial(pool, chance) / pool) for _ in range(st.n_permutations)]
            lo, hi = quantiles(boots, conf)
            nlo, nhi = quantiles(nulls, conf)
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
        for _ in range(st.n_permutations):
            p = r.permutation(m)
            nulls.append(float(cx @ cy[pair_index(p[iu], p[ju], m)]) / den if den > 0 else float("nan"))
        boots = []
        for _ in range(st.n_bootstrap):  # resampled rows → their pairs; correlated on the sample's ranks (no re-ranking)
            s = r.integers(0, m, m)
            keep = s[iu] != s[ju]
            idx = pair_index(s[iu][keep], s[ju][keep], m)
            boots.append(pearson(rx[idx], ry[idx]))
        lo, hi = scaled_ci(value, boots, m, m, conf)
        nlo, nhi = quantiles(nulls, conf)
        out.append(Measure("rsa_spearman", value, lo, hi, nlo, nhi, rows=m))
        if m < n:
            notes.append(f"rsa_spearman: on a seeded sample of {m} of {n} rows ({m * (m - 1) // 2} pairs)")

    order = {mid: i for i, mid in enumerate(mid for meth in MEASURES for mid in MEASURES[meth])}
    out.sort(key=lambda mm: (order[mm.metric], mm.k or 0))
    return CompareResult(x=sx.name, y=sy.name, n_rows=n, n_rows_in=n_total, n_dims_x=sx.d, n_dims_y=sy.d, metric=st.metric, join=join,
                         sampled=sampled, measures=tuple(out), notes=tuple(notes), seed=st.recorded_seed)


def _overlap(A: np.ndarray, B: np.ndarray, k: int) -> np.ndarray:
    """Per-row |A[i,:k] ∩ B[i,:k]| / k by one sort of the concatenated lists (each list holds distinct rows)."""
    both = np.sort(np.concatenate([A[:, :k], B[:, :k]], axis=1), axis=1)
    return (both[:, 1:] == both[:, :-1]).sum(axis=1) / k


def _settings(methods, k, metric, n_bootstrap, n_permutations, confidence, seed, resample_rows, rsa_rows, rbf_rows, rbf_sigma, approx, sample=None) -> _Settings:
    check_metric(metric)
    k_hint = either("one whole number or a sequence of them, e.g. k=10 or k=(5, 10, 50)", f"one whole number or a comma list, e.g. {setting('k', 10)} or {setting('k', '5,10,50')}")
    if isinstance(k, (str, bytes)) or not (np.iterable(k) or isinstance(k, (int, np.integer, float, np.floating))):
        raise EmbgeoError(f"{param('k')} must be an integer or a sequence of integers, got {k!r}", hint=k_hint)
    ks = tuple(check_count("k", v, minimum=1, hint=k_hint) for v in (k if np.iterable(k) else (k,)))
    if not ks:
        raise EmbgeoError(f"{param('k')} is empty", hint=k_hint)
    confidence = check_level(confidence)
    counts = {name: check_count(name, v, minimum=lo, hint=hint, flag=flag) for name, v, lo, hint, flag in (
        ("n_bootstrap", n_bootstrap, 0, "0 switches the intervals off", "bootstrap"),
        ("n_permutations", n_permutations, 0, "0 switches the null bands off", "permutations"),
        ("resample_rows", resample_rows, 10, None, None), ("rsa_rows", rsa_rows, 10, "RSA correlates the pairwise distances of these rows: 10 rows give 45 pairs", None), ("rbf_rows", rbf_rows, 4, None, None))}
    if sample is not None:
        sample = check_count("sample", sample, minimum=4, hint=either("compare a seeded sample of at least 4 rows, or sample=None for every row",
                                                                      "compare a seeded sample of at least 4 rows, or leave the option out for every row"))
    sigma = check_number("rbf_sigma", rbf_sigma)
    if not (np.isfinite(sigma) and sigma > 0):
        raise EmbgeoError(f"{param('rbf_sigma')} must be a positive finite number, got {rbf_sigma!r}",
                          hint=f"the RBF bandwidth in units of the median distance, e.g. {setting('rbf_sigma', 1.0)}")
    seed_hint = "pass a non-negative int, a numpy Generator, or None for fresh entropy"
    if isinstance(seed, (bool, np.bool_)):
        raise EmbgeoError(f"seed must be a non-negative integer, a numpy Generator or None, got {seed!r}", hint=seed_hint)
    try:
        rng = as_rng(seed)  # refuses a negative or non-integer seed
    except EmbgeoError as exc:
        raise EmbgeoError(exc.message, hint=seed_hint) from None
    stream = int(seed) if isinstance(seed, (int, np.integer)) else int(rng.integers(0, 2**31 - 1))
    return _Settings(check_methods(methods), ks, metric, counts["n_bootstrap"], counts["n_permutations"], confidence, stream, counts["resample_rows"],
                     counts["rsa_rows"], counts["rbf_rows"], sigma, check_flag("approx", approx), seed_given=seed, sample=sample)


def _sample_rows(n: int, sample: int | None, seed: int) -> np.ndarray | None:
    target = EXACT_MAX_ROWS if sample is None else int(sample)
    if target >= n:
        return None
    return seeded_rows(n, target, seed)  # the --sample of every command


def _names(inputs, names):
    if names is not None:
        from embgeo.uniformity.checks import check_names

        names = list(check_names(names, len(inputs)))  # "AB" is not the names A and B
    else:
        names = []
        for i, s in enumerate(inputs):
            prov = getattr(s, "provenance", None)
            names.append(str(prov.get("file")) if prov and prov.get("file") else ("XYZ"[i] if i < 3 else f"input{i + 1}"))
    if len(set(names)) < len(names):
        names = [f"{n}#{i + 1}" for i, n in enumerate(names)]
    return names


def _input(s, name: str):
    """One input as :func:`~embgeo.compare.align.align_rows` takes it: an array, a tensor, a data frame or an
    EmbeddingSet as it is (its ids, if any, join the rows); anything else (nested lists) as a checked matrix."""
    if hasattr(s, "shape") or hasattr(s, "matrix"):
        return s
    from embgeo.validation import as_matrix

    return as_matrix(s, name=name, min_rows=4, allow_nonfinite=True)  # NaN/inf and zero rows: _Space refuses them, as for arrays


def compare_many(inputs, *, names=None, pairs=None, kind: str = "inputs", methods=None, k=10, metric: str = "cosine", n_bootstrap: int = 100,
                 n_permutations: int = 100, confidence: float = 0.95, seed: int = 0, sample: int | None = None, resample_rows: int = 1000,
                 rsa_rows: int = 500, rbf_rows: int = 1000, rbf_sigma: float = 1.0, approx: bool = False, join: str | None = None,
                 progress=None, client=None) -> CompareMatrix:
    """Compare several spaces of the same items pairwise.

    ``inputs``: arrays or :class:`~embgeo.io.EmbeddingSet` (rows joined by id when they carry
    ids, else by row order; see :func:`embgeo.compare.align.align_rows`). ``pairs``: index pairs
    to compare (default every ``i < j``). ``kind`` labels the matrix (``inputs``, ``layers``,
    ``prefix``, ``quantize``) and decides the verdict (see :meth:`CompareMatrix.verdict`).
    ``client``: a ``distributed.Client`` (:func:`embgeo.distributed.connect`): the neighbour
    searches and the imbalance's ranks run on its workers (:mod:`embgeo.compare.distributed`),
    with the same results as in one process. ``names``: one name per input (default: each
    EmbeddingSet's file, else ``X``, ``Y``, ``Z``, ``input4`` …). ``progress``: a callable, called
    with 1 after each pair.

    The other keywords are those of :func:`compare`, with the same meaning and defaults, shared by
    every pair: ``methods``, ``k``, ``metric``, ``n_bootstrap``, ``n_permutations``, ``confidence``,
    ``seed``, ``sample``, ``resample_rows``, ``rsa_rows``, ``rbf_rows``, ``rbf_sigma``, ``approx``, ``join``.
    """
    from embgeo.compare.align import align_rows

    if len(inputs) < 2:
        raise EmbgeoError("compare needs at least two spaces", hint=either("give two or more spaces: X and Y, the layers of a stack, or prefix()/quantize() copies of X", "give X and Y, --layers on a stack, --prefix-dims or --quantize"))
    st = _settings(methods, k, metric, n_bootstrap, n_permutations, confidence, seed, resample_rows, rsa_rows, rbf_rows, rbf_sigma, approx, sample)
    sample = st.sample
    names = _names(inputs, names)
    inputs = [_input(s, nm) for s, nm in zip(inputs, names)]
    al = align_rows(inputs, join=join, names=names)
    n_total = al.matrices[0].shape[0]
    rows = _sample_rows(n_total, sample, st.seed)
    spaces = [_Space(nm, (M if rows is None else np.asarray(M[rows])), st.metric) for nm, M in zip(names, al.matrices)]
    if pairs is None:
        pairs = [(i, j) for i in range(len(spaces)) for j in range(i + 1, len(spaces))]
    results = []
    for (i, j) in pairs:
        results.append(_pair(spaces[i], spaces[j], st, pair_seed=(i, j), n_total=n_total, join=al.join, sampled=rows is not None, client=client))
        if progress is not None:
            progress(1)
    notes = []
    if sample is None and rows is not None:  # the default sample above EXACT_MAX_ROWS rows
        note = sample_note(rows.size, n_total, st.seed_given, default=f"the default above {EXACT_MAX_ROWS} rows, exact up to {EXACT_MAX_ROWS}")
    else:  # None, or the note of the --sample asked for (also when it is not below the rows)
        note = sample_note(sample, n_total, st.seed_given)
    if note is not None:
        notes.append(note)
    if client is not None and ("mutual_knn" in st.methods or "imbalance" in st.methods):
        from embgeo.distributed.cluster import n_workers

        notes.append(f"mutual_knn/imbalance: neighbour searches{' and ranks' if 'imbalance' in st.methods else ''} on the Dask cluster "
                     f"({n_workers(client)} workers){' (approximate neighbours: pynndescent on the client)' if st.approx else ''}; "
                     "the other measures and every replicate in this process")
    for r in results:
        for note in r.notes:
            if note not in notes:
                notes.append(note)
    return CompareMatrix(names=tuple(names), pairs=tuple(results), kind=kind, notes=tuple(notes), seed=st.recorded_seed)


def compare(X, Y, *, methods=None, k=10, metric: str = "cosine", n_bootstrap: int = 100, n_permutations: int = 100,
            confidence: float = 0.95, seed: int = 0, sample: int | None = None, resample_rows: int = 1000, rsa_rows: int = 500,
            rbf_rows: int = 1000, rbf_sigma: float = 1.0, approx: bool = False, join: str | None = None, names=None, client=None) -> CompareResult:
    """Are ``X`` and ``Y`` (the same items in two spaces; widths may differ) the same geometry?

    Parameters
    ----------
    X, Y : arrays, torch tensors or :class:`~embgeo.io.EmbeddingSet` (joined by id when both carry ids).
    methods : measures (default every one but ``cka_rbf``): ``cka``, ``cka_unbiased``, ``cka_rbf``,
        ``mutual_knn``, ``imbalance``, ``procrustes``, ``retrieval``, ``rsa`` (or ``all``).
    k : neighbours for ``mutual_knn``: one number or several (a curve).
    metric : ``cosine`` (rows L2-normalised before every measure; the default) or ``euclidean``.
    n_bootstrap, n_permutations : bootstrap and permutation replicates (0 switches either off).
    confidence : level of the bootstrap intervals and the permutation-null bands, strictly between 0 and 1.
    seed : an int, a numpy Generator or None (fresh entropy); every sample and replicate derives from it.
    sample : compare a seeded sample of this many rows (default: all up to 20 000, else 20 000).
    resample_rows : rows of the CKA/Procrustes bootstrap (m-out-of-n when fewer than n: the spread is
        rescaled by √(m/n)); their permutation nulls always use every row.
    rsa_rows : rows of RSA (``rsa``). rbf_rows, rbf_sigma : rows of RBF CKA (``cka_rbf``) and its bandwidth in units of the
        median pairwise distance (positive); checked always, and refused unless default when ``methods`` leaves ``cka_rbf`` out.
    approx : approximate neighbours (pynndescent) for ``mutual_knn`` and ``imbalance``, with their measured recall in the notes.
    join : ``None``/``"id"`` (by id when both carry ids, by row order when neither does; ids on one side only are
        refused) or ``"row-order"`` (row order, ids ignored).
    names : the two names the result and the messages use (default: each EmbeddingSet's file, else ``X`` and ``Y``).
    client : a ``distributed.Client``: mutual kNN's and the imbalance's neighbour searches and ranks
        run on its workers (same results); see :mod:`embgeo.compare.distributed`.
    """
    st = _settings(methods, k, metric, n_bootstrap, n_permutations, confidence, 0, resample_rows, rsa_rows, rbf_rows, rbf_sigma, approx, sample)
    unused = [nm for nm, dv in (("rbf_rows", 1000), ("rbf_sigma", 1.0)) if getattr(st, nm) != dv]  # (seed 0: a Generator is drawn once, below)
    if unused and "cka_rbf" not in st.methods:  # (compare_many, which the command line calls, takes them as they are)
        raise EmbgeoError(f"{' and '.join(setting(nm, getattr(st, nm)) for nm in unused)} only tune{'s' if len(unused) == 1 else ''} RBF CKA, "
                          "which methods leaves out: it would be ignored", hint=f"add 'cka_rbf' to methods, or leave {' and '.join(unused)} out")
    res = compare_many([X, Y], names=names if names is not None else _names([X, Y], None), methods=methods, k=k, metric=metric, n_bootstrap=n_bootstrap,
                       n_permutations=n_permutations, confidence=confidence, seed=seed, sample=sample, resample_rows=resample_rows,
                       rsa_rows=rsa_rows, rbf_rows=rbf_rows, rbf_sigma=rbf_sigma, approx=approx, join=join, client=client)
    pair = res.pairs[0]
    return replace(pair, notes=res.notes)
