"""Re-embed an embedding matrix into hyperbolic space: does the ball fit it better?

1. the k-nearest-neighbour graph of the rows (the shared engine
   :func:`embgeo.knn.engine.knn`), symmetrised, edges weighted by Euclidean length;
2. geodesic (shortest-path) distances in that graph, on its largest connected part
   (the Isomap distances: they follow the data manifold);
3. h-MDS (:func:`embgeo.hyperbolic.hmds.hmds`) into the Poincaré ball of dimension
   ``r`` and, side by side, Euclidean classical MDS at the same ``r``;
4. for each, MAP with the Sala et al. definition (positives = the kNN-graph
   neighbours) and average / worst-case distortion against the geodesic distances
   (scale fitted for each method, so neither is penalised for units);
5. optionally hyperbolic UMAP (umap-learn, ``output_metric="hyperboloid"``) mapped to
   the Poincaré disk, for pictures (its MAP is reported too; its distortion is not
   meaningful — UMAP does not try to keep distances).

If the ball wins on MAP or distortion and loses on neither (ties: MAP within 0.02,
distortion within 5 % or 1e-6 absolute), the data are more tree-like than flat at that neighbourhood scale
(:func:`embgeo.hyperbolic.verdicts.compare_verdict`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.results import Result

#: candidate values of t·median(D) tried by scale="auto"
AUTO_SCALES = (0.5, 1.0, 2.0, 4.0, 8.0)


class MethodScores(dict):
    """One entry of :attr:`ReembedResult.methods` (a plain dict in JSON: ``method``, ``label``, ``space``,
    ``map_sala``, ``distortion_mean``, ``distortion_worst``)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class ReembedResult(Result):
    """Side-by-side scores of h-MDS (ball), classical MDS (flat) and hyperbolic UMAP.

    ``methods``: list of dicts ``{method (hmds, mds, umap), label, space, map_sala, distortion_mean,
    distortion_worst}``; ``map_sala`` / ``distortion_mean`` / ``distortion_worst`` repeat the h-MDS
    row (the headline). ``map_sala`` is Sala et al.'s MAP (positives: the kNN graph's neighbours);
    the id ``map`` is only ever the Nickel–Kiela MAP of ``hyperbolic train/eval``. :meth:`verdict`
    weighs MAP and distortion of the ball against the plane
    (:func:`embgeo.hyperbolic.verdicts.compare_verdict`) and names the one that decided;
    ``hyperbolic_better`` is its status ``ok``. Coordinates: ``coordinates_hmds`` (Poincaré ball), ``coordinates_mds``
    (Euclidean), ``coordinates_umap`` (Poincaré disk, or None), for the rows ``kept``.
    ``n_rows`` is the rows re-embedded (the kNN graph's largest connected part, duplicates dropped) and
    ``n_rows_in`` the rows given, as the JSON's ``n_rows`` and ``n_rows_in`` (``n_rows_used`` is the former
    name of ``n_rows``, a DeprecationWarning).
    """

    n_rows: int
    n_rows_in: int
    k: int
    dim: int
    n_dims: int
    scale: float
    scale_auto: bool
    dims_recovered: int
    map_sala: float
    distortion_mean: float
    distortion_worst: float
    hyperbolic_better: bool
    methods: list
    seconds: float
    kept: np.ndarray = field(repr=False)
    coordinates_hmds: np.ndarray = field(repr=False)
    coordinates_mds: np.ndarray = field(repr=False)
    coordinates_umap: np.ndarray | None = field(default=None, repr=False)
    notes: tuple = ()

    @property
    def n_rows_used(self) -> int:
        """The former name of ``n_rows``, the rows re-embedded (DeprecationWarning)."""
        import warnings

        warnings.warn("ReembedResult.n_rows_used is now .n_rows (the rows re-embedded; .n_rows_in: the rows given)",
                      DeprecationWarning, stacklevel=2)
        return self.n_rows

    def to_dict(self) -> dict:
        from embgeo.results import jsonable

        # n_rows: the rows measured (the kNN graph's largest connected part), as in every command; n_rows_in: the rows given
        skip = {"kept", "coordinates_hmds", "coordinates_mds", "coordinates_umap"}
        d = {k: jsonable(getattr(self, k)) for k in self.__dataclass_fields__ if k not in skip}
        d["n_rows"], d["n_rows_in"], d["n_dims"] = int(self.n_rows), int(self.n_rows_in), int(self.n_dims)
        d["notes"] = list(self.notes)
        return d

    def table(self):
        from embgeo.hyperbolic.display import shown

        rows = [[m["label"], m["space"], m["map_sala"], shown(m["distortion_mean"]), shown(m["distortion_worst"])] for m in self.methods]
        return ["method", "space", "MAP (Sala)", "mean distortion", "worst-case distortion"], rows

    def _pair(self):
        h = next(m for m in self.methods if m["method"] == "hmds")
        e = next(m for m in self.methods if m["method"] == "mds")
        return h, e

    def metrics(self):
        from embgeo.results import Metric

        v = self.verdict()
        out = []
        for m in self.methods:
            for key in ("map_sala", "distortion_mean", "distortion_worst"):
                if m[key] is not None:
                    st = v.status if (key == v.decided_by and m["method"] == "hmds") else ""
                    out.append(Metric(key, m[key], status=st, extra={"method": m["method"], "dim": self.dim}))
        out.append(Metric("scale", self.scale, extra={"method": "hmds", "dim": self.dim}))
        return out

    def verdict(self):
        """Ball against plane on MAP and mean distortion together (one rule: CLI and report)."""
        from embgeo.hyperbolic.verdicts import compare_verdict

        h, e = self._pair()
        return compare_verdict(h["map_sala"], e["map_sala"], h["distortion_mean"], e["distortion_mean"], dim=self.dim)


def knn_graph(X, *, k: int = 10, approx: bool = False, seed=0):
    """Symmetric kNN graph (scipy CSR, edge = Euclidean length) from :func:`embgeo.knn.engine.knn`."""
    import scipy.sparse as sp

    from embgeo.knn.engine import knn

    nb = knn(X, k, approx=approx, seed=seed)
    n = nb.indices.shape[0]
    rows = np.repeat(np.arange(n), nb.indices.shape[1])
    cols = nb.indices.ravel()
    w = nb.distances.ravel().astype(np.float64)
    pos = w[w > 0]
    tiny = (pos.min() if pos.size else 1.0) * 1e-9
    w = np.where(w > 0, w, tiny)  # duplicates: a zero-length edge would vanish from a sparse matrix
    A = sp.csr_matrix((w, (rows, cols)), shape=(n, n))
    A = A.maximum(A.T).tocsr()
    A.sort_indices()
    return A, nb


def classical_mds(D: np.ndarray, *, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Torgerson MDS: top-``dim`` eigenpairs of ``B = −½ J D² J``; returns (coordinates, eigenvalues)."""
    from scipy.linalg import eigh

    n = D.shape[0]
    D2 = D ** 2
    B = -0.5 * (D2 - D2.mean(axis=0)[None, :] - D2.mean(axis=1)[:, None] + D2.mean())
    w, V = eigh(B, subset_by_index=[n - dim, n - 1])
    o = np.argsort(w)[::-1]
    w, V = w[o], V[:, o]
    return V * np.sqrt(np.maximum(w, 0.0)), w


def _scores(d_emb: np.ndarray, D: np.ndarray, positives) -> tuple[float, float, float]:
    from embgeo.hyperbolic.evaluate import distortion, mean_average_precision

    iu = np.triu_indices(D.shape[0], 1)
    avg, worst, _ = distortion(d_emb[iu], D[iu], scale=None)
    mp = mean_average_precision(d_emb, positives).map
    return float(mp), float(avg), float(worst)


def reembed(
    X,
    *,
    dim: int = 2,
    k: int = 10,
    scale: float | str = "auto",
    umap: bool = False,
    approx: bool = False,
    seed=0,
) -> ReembedResult:
    """Re-embed the rows of ``X`` (n_samples, n_features) into the Poincaré ball of dimension ``dim``.

    Parameters
    ----------
    dim : target dimension ``r`` (for both h-MDS and the Euclidean MDS baseline).
    k : neighbours per row in the kNN graph.
    scale : h-MDS scale ``t`` (a positive number), or ``"auto"``: the ``t`` among ``c/median(D)``,
        ``c ∈ {0.5, 1, 2, 4, 8}``, with the lowest average distortion.
    umap : also run hyperbolic UMAP (umap-learn, hyperboloid output) to the Poincaré disk
        (2-D only; slower: numba compiles on first use). True or False.
    approx : approximate kNN (pynndescent) for large inputs. True or False.
    seed : a non-negative int, a numpy Generator or None: the kNN search (with ``approx``), h-MDS and UMAP.

    Memory and time are O(n²) (all geodesic distances): meant for n up to a few thousand.
    References: Sala et al. (2018) for h-MDS; Tenenbaum et al. (2000) for geodesic
    distances on a kNN graph; McInnes et al. (2018) for UMAP.
    """
    from scipy.sparse.csgraph import connected_components, shortest_path

    from embgeo.arguments import check_finite_number, check_flag
    from embgeo.hyperbolic.hmds import hmds, hyperboloid_pairwise
    from embgeo.validation import as_matrix, check_seed

    t0 = time.perf_counter()
    umap, approx, seed = check_flag("umap", umap), check_flag("approx", approx), check_seed(seed)
    if not (isinstance(scale, str) and scale == "auto"):  # "0.5" is not a scale: text is 'auto' only
        if isinstance(scale, str):
            raise EmbgeoError(f"{param('scale')} must be a positive number or 'auto', got {scale!r}", hint=f"e.g. {setting('scale', 1.0)} or {setting('scale', 'auto')}")
        scale = check_finite_number("scale", scale, low=0.0, closed=False)
    X = as_matrix(X, name="X", min_rows=4, allow_nonfinite=True)
    n = X.shape[0]
    bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if bad.size:
        from embgeo.validation import format_rows

        raise EmbgeoError(f"X has {bad.size} row{'s' if bad.size > 1 else ''} with NaN or inf (row{'s' if bad.size > 1 else ''} {format_rows(bad)}): they have no neighbours",
                          hint=either("fix or remove those rows first (reembed drops none)", "fix or remove those rows first (reembed has no --drop-nonfinite)"))
    if not isinstance(k, (int, np.integer)) or isinstance(k, (bool, np.bool_)) or not 1 <= k < n:  # (True is not k = 1)
        raise EmbgeoError(f"k must be between 1 and n − 1 = {n - 1} for {n} rows (each row's k nearest neighbours are other rows); got {setting('k', k)}",
                          hint=f"give {param('k')} between 1 and {n - 1}")
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, (bool, np.bool_)) or not 1 <= dim < n - 1:
        raise EmbgeoError(f"dim must be between 1 and n − 2 = {n - 2} for {n} rows (a re-embedding into a ball of dimension dim needs "
                          f"more than dim + 1 rows, after duplicates and rows outside the kNN graph's largest part are dropped); got {setting('dim', dim)}",
                          hint=f"give {param('dim')} between 1 and {n - 2}")
    from embgeo.validation import scan_rows

    notes = []
    # duplicate rows are 0-length edges: distinct rows would get graph distance 0
    dup = scan_rows(X, duplicates=True).duplicate_rows
    distinct = np.setdiff1d(np.arange(n), dup)
    if distinct.size < n:
        if distinct.size <= max(int(k), int(dim) + 1, 3):
            raise EmbgeoError(f"X has only {distinct.size} distinct rows among {n}; a re-embedding needs more than k = {k} and dim + 1 = {int(dim) + 1}",
                              hint="check the input (constant or repeated rows)")
        notes.append(f"{dup.size} exact duplicate rows dropped (first copy kept): they would be at graph distance 0")
        X = np.asarray(X)[distinct]
    A, _ = knn_graph(X, k=int(k), approx=approx, seed=seed)
    n_comp, labels = connected_components(A, directed=False)
    if n_comp > 1:
        big = np.argmax(np.bincount(labels))
        kept = np.flatnonzero(labels == big)
        notes.append(f"the {k}-NN graph has {n_comp} connected parts; the largest ({kept.size} of {X.shape[0]} rows) was re-embedded — raise {param('k')} to connect more")
        A = A[kept][:, kept]
    else:
        kept = np.arange(X.shape[0])
    X_kept = X[kept]
    kept = distinct[kept]  # indices of the input rows
    m = kept.size
    if m <= dim + 1:
        raise EmbgeoError(f"only {m} rows are connected in the {k}-NN graph; need more than dim + 1 = {dim + 1}", hint=f"raise {param('k')}")
    D = shortest_path(A, method="D", directed=False)
    positives = (A > 0).astype(np.float64)
    med = float(np.median(D[np.triu_indices(m, 1)]))
    if scale == "auto":
        cands = [c / med for c in AUTO_SCALES if c / med * D.max() <= 700]
        if not cands:
            cands = [600.0 / D.max()]
        best = None
        for t in cands:
            r = hmds(D, dim=dim, scale=t, seed=seed)
            if best is None or r.distortion_mean < best.distortion_mean:
                best = r
        res = best
        auto = True
    else:
        res = hmds(D, dim=dim, scale=scale, seed=seed)
        auto = False
    notes += list(res.notes)
    d_h = hyperboloid_pairwise(res.hyperboloid) / res.scale
    h_map, h_avg, h_worst = _scores(d_h, D, positives)
    Ye, _ = classical_mds(D, dim=dim)
    from scipy.spatial.distance import cdist

    d_e = cdist(Ye, Ye)
    e_map, e_avg, e_worst = _scores(d_e, D, positives)
    methods = [
        MethodScores(method="hmds", label="h-MDS", space=f"Poincaré ball H^{dim}", map_sala=h_map, distortion_mean=h_avg, distortion_worst=h_worst),
        MethodScores(method="mds", label="classical MDS", space=f"Euclidean R^{dim}", map_sala=e_map, distortion_mean=e_avg, distortion_worst=e_worst),
    ]
    from embgeo.hyperbolic.display import infinite_note

    for label, avg_, worst_, done in (("h-MDS", h_avg, h_worst, any("infinite" in s for s in res.notes)), ("classical MDS", e_avg, e_worst, False)):
        note = None if done else infinite_note("pairs at positive geodesic distance landed on the same point", mean=avg_, worst=worst_, of=label)
        if note:
            notes.append(note)
    U = None
    if umap:
        U = umap_disk(X_kept, k=int(k), seed=seed)
        from embgeo.hyperbolic.math import poincare_pairwise

        d_u = poincare_pairwise(U, U)
        from embgeo.hyperbolic.evaluate import mean_average_precision

        methods.append(MethodScores(method="umap", label="UMAP (hyperboloid)", space="Poincaré disk H^2",
                                    map_sala=float(mean_average_precision(d_u, positives).map), distortion_mean=None, distortion_worst=None))
    from embgeo.hyperbolic.verdicts import compare_verdict

    better = compare_verdict(h_map, e_map, h_avg, e_avg, dim=int(dim)).status == "ok"
    return ReembedResult(
        n_rows=int(m), n_rows_in=int(n), k=int(k), dim=int(dim), n_dims=int(X.shape[1]), scale=float(res.scale), scale_auto=auto, dims_recovered=res.dims_recovered,
        map_sala=h_map, distortion_mean=h_avg, distortion_worst=h_worst, hyperbolic_better=better, methods=methods,
        seconds=time.perf_counter() - t0, kept=kept, coordinates_hmds=res.coordinates, coordinates_mds=Ye,
        coordinates_umap=U, notes=tuple(notes),
    )


def umap_disk(X, *, k: int = 15, seed=0) -> np.ndarray:
    """Hyperbolic UMAP: umap-learn with ``output_metric="hyperboloid"``, mapped to the Poincaré disk.

    umap returns the space part ``(x, y)`` of hyperboloid points; with ``z = √(1+x²+y²)``
    the disk point is ``(x, y)/(1 + z)``.
    """
    from embgeo.errors import require

    umap_mod = require("umap", package="umap-learn", extra="all", feature="hyperbolic UMAP")
    import warnings

    from embgeo.validation import legacy_seed

    rs = legacy_seed(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else 0  # umap-learn: 32 bits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        emb = umap_mod.UMAP(n_neighbors=max(2, int(k)), n_components=2, output_metric="hyperboloid", random_state=rs).fit_transform(np.asarray(X, dtype=np.float32))
    x, y = emb[:, 0].astype(np.float64), emb[:, 1].astype(np.float64)
    z = np.sqrt(1.0 + x * x + y * y)
    return np.column_stack([x / (1.0 + z), y / (1.0 + z)])


from embgeo._callable import make_callable  # noqa: E402

make_callable(__name__, "reembed")
