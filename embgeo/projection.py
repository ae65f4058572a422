"""Two-dimensional maps of an embedding: UMAP, PCA, and hyperbolic UMAP onto the Poincaré disk.

:func:`project` returns a :class:`ProjectionResult` holding ``(n_samples, 2)``
coordinates for plots (:func:`embgeo.plots.maps.plot_projection`) and for reuse
(:func:`coordinates_table`).

- ``pca``: the top two principal components of the centred rows (covariance
  accumulated blockwise in float64, eigen-decomposed; the sign of each axis is
  fixed so that its largest-magnitude loading is positive, as scikit-learn's
  ``svd_flip``). Distances in a PCA map are Euclidean distances of the projection.
- ``umap``: umap-learn (McInnes, Healy & Melville 2018, *UMAP: Uniform Manifold
  Approximation and Projection for Dimension Reduction*) with a fixed
  ``random_state``, which makes it reproducible (and single-threaded): the seed
  itself below 2**32, above it the 32 bits :func:`legacy_seed` derives from it.
  **UMAP distances are not metric**: the map keeps neighbourhoods, not distances,
  densities or the sizes of and gaps between clusters.
- ``hyperbolic-umap``: umap-learn with ``output_metric="hyperboloid"``: the output
  ``(x, y)`` are the space-like coordinates of the hyperboloid ``z = √(1 + x² + y²)``,
  mapped onto the Poincaré disk by ``p = (x, y)/(1 + z)``. The same caveat holds.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from embgeo._blas import one_thread_when_small
from embgeo.arguments import check_count, check_number, renamed_attribute, renamed_keyword
from embgeo.errors import EmbgeoError, param, setting
from embgeo.results import Result, jsonable
from embgeo.validation import MAX_LEGACY_SEED, legacy_seed, as_rng, as_scaled_matrix, iter_blocks, sample_note, seeded_rows, zero_rows_hint

METHODS = ("umap", "pca", "hyperbolic-umap")
UMAP_NOTE = "UMAP keeps neighbourhoods, not distances: distances, densities and gaps between clusters in the map are not metric"


@dataclass(frozen=True, slots=True)
class ProjectionResult(Result):
    """A 2-D map of ``n_mapped`` of the ``n_rows_in`` rows given (``n_dims`` dims); the attributes are named as the
    JSON keys of :meth:`to_dict` (``n_samples`` and ``n_features`` are the former names of ``n_rows_in`` and ``n_dims``,
    DeprecationWarning).

    ``coordinates`` (n_mapped, 2): map coordinates (on the Poincaré disk for
    ``hyperbolic-umap``, where ``disk`` is True). ``rows``: indices of the mapped
    rows in the input (all rows unless a sample was drawn). ``explained_variance``:
    share of the variance on each PCA axis (PCA only). ``hyperboloid`` (n, 3):
    ``(z, x, y)`` on the hyperboloid (hyperbolic UMAP only). ``params`` records the
    settings used.
    """

    method: str
    n_rows_in: int
    n_dims: int
    n_mapped: int
    seed: int | None
    params: dict
    seconds: float
    disk: bool
    notes: tuple
    coordinates: np.ndarray = field(repr=False)
    rows: np.ndarray = field(repr=False)
    explained_variance: np.ndarray | None = field(default=None, repr=False)
    hyperboloid: np.ndarray | None = field(default=None, repr=False)

    n_samples = renamed_attribute("ProjectionResult", "n_samples", "n_rows_in")
    n_features = renamed_attribute("ProjectionResult", "n_features", "n_dims")

    def to_dict(self) -> dict:
        C = self.coordinates
        return jsonable({
            # n_rows: the rows measured (mapped), as in every command (docs/output.md); the input's rows are n_rows_in
            "method": self.method, "n_rows": self.n_mapped, "n_rows_in": self.n_rows_in, "n_dims": self.n_dims, "n_mapped": self.n_mapped,
            "seed": self.seed, "params": self.params, "seconds": self.seconds, "disk": self.disk,
            "explained_variance": self.explained_variance,
            "bounds": {"x": [C[:, 0].min(), C[:, 0].max()], "y": [C[:, 1].min(), C[:, 1].max()]} if C.size else None,
            "notes": list(self.notes),
        })

    def metrics(self) -> list:
        """Tidy rows: ``n_rows`` (the rows mapped, as every command's ``n_rows`` is the rows measured), ``n_rows_in``
        (the rows given), ``n_dims``, ``n_mapped``, PCA's ``explained_variance`` per axis, the disk's ``max_radius``."""
        from embgeo.results import Metric

        rows = [Metric("n_rows", self.n_mapped), Metric("n_rows_in", self.n_rows_in), Metric("n_dims", self.n_dims),
                Metric("n_mapped", self.n_mapped)]
        if self.explained_variance is not None:
            rows += [Metric("explained_variance", float(v), extra={"axis": f"pc{i + 1}"}) for i, v in enumerate(self.explained_variance)]
        if self.disk and self.coordinates.size:
            rows.append(Metric("max_radius", float(np.linalg.norm(self.coordinates, axis=1).max())))
        return rows

    def verdict(self):
        """A map has no verdict (``info``): it is a picture of neighbourhoods, not a measurement."""
        from embgeo.results import Verdict

        why = "UMAP keeps neighbourhoods, not distances" if self.method != "pca" else "a projection onto two axes"
        return Verdict("info", f"a map has no verdict ({why})")

    def table(self):
        rows = [["method", self.method], ["rows mapped", f"{self.n_mapped} of {self.n_rows_in}"], ["input dims", self.n_dims]]
        rows += [[k, v] for k, v in self.params.items()]
        if self.explained_variance is not None:
            rows.append(["explained variance (PC1, PC2)", [float(v) for v in self.explained_variance]])
        if self.disk:
            r = np.linalg.norm(self.coordinates, axis=1)
            rows.append(["max radius on the disk", float(r.max()) if r.size else None])
        rows.append(["seconds", round(self.seconds, 2)])
        return ["field", "value"], jsonable(rows)


def _check_method(method: str) -> str:
    m = str(method).lower().replace("_", "-")
    if m not in METHODS:
        raise EmbgeoError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return m


def pca_2d(X, *, block: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """Top two principal components of ``X`` (n_samples, n_features): ``(coordinates (n, 2), explained (2,))``.

    Covariance ``C = (1/n) Σ (x − μ)(x − μ)ᵀ`` accumulated blockwise in float64; the
    axes are its top eigenvectors with deterministic signs (largest |loading| positive).
    """
    X, e = as_scaled_matrix(X, name="X", min_rows=2)  # squares that over/underflow: on X·2^e, coordinates brought back
    n, d = X.shape
    mu = np.zeros(d)
    for a, b in iter_blocks(n, block):
        mu += X[a:b].astype(np.float64).sum(0)
    mu /= n
    C = np.zeros((d, d))
    for a, b in iter_blocks(n, block):
        B = X[a:b].astype(np.float64) - mu
        C += B.T @ B
    C /= n
    w, V = np.linalg.eigh(C)
    order = np.argsort(w)[::-1]
    w, V = np.clip(w[order], 0, None), V[:, order]
    k = min(2, d)
    V = V[:, :k]
    flip = np.sign(V[np.argmax(np.abs(V), axis=0), np.arange(k)])
    V = V * np.where(flip == 0, 1.0, flip)
    out = np.zeros((n, 2))
    for a, b in iter_blocks(n, block):
        out[a:b, :k] = (X[a:b].astype(np.float64) - mu) @ V
    total = w.sum()
    explained = np.zeros(2)
    explained[:k] = w[:k] / total if total > 0 else 0.0
    if e:
        with np.errstate(over="ignore", under="ignore"):
            out = np.ldexp(out, -e)
    return out, explained


def hyperboloid_to_disk(xy) -> tuple[np.ndarray, np.ndarray]:
    """umap-learn's hyperboloid output ``(x, y)`` → ``(disk (n, 2), hyperboloid (n, 3) as (z, x, y))``
    with ``z = √(1 + x² + y²)`` and ``p = (x, y)/(1 + z)``."""
    xy = np.asarray(xy, dtype=np.float64)
    z = np.sqrt(1.0 + np.sum(xy * xy, axis=1))
    return xy / (1.0 + z)[:, None], np.column_stack([z, xy])


#: input metrics accepted for UMAP (the ones umap-learn names)
UMAP_METRICS = ("euclidean", "cosine", "manhattan", "chebyshev", "minkowski", "correlation", "canberra", "braycurtis", "hamming", "jaccard")


@one_thread_when_small
def project(
    X,
    *,
    method: str = "umap",
    k: int | None = None,
    min_dist: float = 0.1,
    metric: str = "cosine",
    n_epochs: int | None = None,
    sample: int | None = None,
    seed=0,
    name: str = "X",
    n_neighbors: int | None = None,
    starting=None,
) -> ProjectionResult:
    """A 2-D map of ``X`` (n_samples, n_features) by ``method`` (``umap``, ``pca`` or ``hyperbolic-umap``).

    Defaults: ``k = 15`` neighbours of the UMAP graph (umap-learn's ``n_neighbors``; None: 15),
    ``min_dist = 0.1``, input ``metric = "cosine"``, umap-learn's default number of epochs (``n_epochs=None``:
    500 below 10 000 rows, 200 above; else a whole number ≥ 1); ``random_state = seed`` (reproducible,
    single-threaded; a seed of 2**32 or more, which umap-learn refuses, goes through :func:`legacy_seed`).
    ``sample``: map a seeded random subset of that many rows (``rows`` says which). A UMAP map of ``m`` rows
    needs ``k < m`` (a larger ``k`` is refused, not lowered; ``params["n_neighbors"]`` is the value used).
    ``n_neighbors`` is the former name of ``k`` (DeprecationWarning). ``starting``: None or a callable, called with
    no argument when every check has passed and UMAP is about to start (the command line then says that numba
    compiles on first use, never before an error); PCA does not call it. With ``method="pca"`` the UMAP settings
    (``k``, ``min_dist``, ``metric``, ``n_epochs``) are checked too, and one given other than its default is refused:
    PCA would ignore it. See the module docstring for the disk mapping and the caveat that UMAP distances are not
    metric (McInnes et al. 2018).
    """
    method = _check_method(method)
    k_name = "n_neighbors" if n_neighbors is not None else "k"  # messages name the keyword the caller wrote
    k = renamed_keyword("project", "n_neighbors", n_neighbors, "k", k)
    k = check_count(k_name, 15 if k is None else k, minimum=2, flag="k")
    min_dist = check_number("min_dist", min_dist)
    if not (0.0 <= min_dist <= 1.0):
        raise EmbgeoError(f"{param('min_dist')} must lie in [0, 1], got {min_dist!r}", hint=f"e.g. {setting('min_dist', 0.1)}")
    if n_epochs is not None:
        n_epochs = check_count("n_epochs", n_epochs, minimum=1, flag="epochs", hint="None: umap-learn's default")
    if not isinstance(metric, str) or metric not in UMAP_METRICS:
        raise EmbgeoError(f"unknown UMAP metric {metric!r}", hint=f"use one of: {', '.join(UMAP_METRICS)}")
    if starting is not None and not callable(starting):
        raise EmbgeoError(f"starting must be None or a callable (called with no argument before UMAP starts), got {starting!r} "
                          f"({type(starting).__name__})", hint="e.g. starting=lambda: print('UMAP starts')")
    if method == "pca":  # (the command line passes the defaults with -m pca and refuses these options itself)
        unused = [setting(nm, v, fl) for nm, v, dv, fl in ((k_name, k, 15, "k"), ("min_dist", min_dist, 0.1, None), ("metric", metric, "cosine", None),
                                                           ("n_epochs", n_epochs, None, "epochs")) if v != dv]
        if unused:
            raise EmbgeoError(f"{', '.join(unused)} {'tunes' if len(unused) == 1 else 'tune'} UMAP; {setting('method', 'pca')} would ignore "
                              f"{'it' if len(unused) == 1 else 'them'}", hint=f"leave {'it' if len(unused) == 1 else 'them'} out, or use {setting('method', 'umap')}")
    # (values whose squares over/underflow are mapped from X·2^e, exact; PCA coordinates are brought back to X's units)
    X, e = as_scaled_matrix(X, name=name, min_rows=3, allow_zero_rows=metric != "cosine" or method == "pca", zero_hint=zero_rows_hint(metric=True))
    n, d = X.shape
    rng = as_rng(seed)
    rows = np.arange(n)
    if sample is not None:
        sample = check_count("sample", sample, minimum=3)
        if sample < n:
            rows = seeded_rows(n, sample, rng)  # the --sample of every command (rng is as_rng(seed))
    Xs = np.asarray(X[rows]) if rows.size < n else X
    m = rows.size
    if bool(np.all(Xs == Xs[0])):  # a map of one point: PCA would draw every row at the origin, UMAP a random cloud
        raise EmbgeoError(f"every {'sampled ' if rows.size < n else ''}row is the same vector: a map has nothing to show",
                          source=name, hint="check how the file was written: a failed export repeats one vector")
    # the seed recorded is the caller's; umap-learn takes 32 bits (legacy_seed: unchanged below 2**32)
    int_seed = int(seed) if isinstance(seed, (int, np.integer)) else int(rng.integers(2**31 - 1))
    umap_seed = legacy_seed(int_seed)
    t0 = time.perf_counter()
    notes: list[str] = []
    explained = hyper = None
    if method == "pca":
        coords, explained = pca_2d(Xs)
        if e:
            with np.errstate(over="ignore", under="ignore"):
                coords = np.ldexp(coords, -e)
        params = {"centred": True}
        notes.append("PCA: the two directions of largest variance; distances in the map are projected Euclidean distances")
        disk = False
    else:
        if m < 10:
            raise EmbgeoError(f"UMAP needs at least 10 rows; got {m}", hint=f"use {setting('method', 'pca')} for so few rows")
        from embgeo.cosine.neighbors import check_k

        used = check_k(k, m, source=name if name != "X" else None)  # k ≥ the rows mapped is refused, as embgeo cosine and compare refuse it (never lowered)
        if starting is not None:
            starting()
        import umap  # lazy: heavy (numba)

        kw = dict(n_components=2, n_neighbors=used, min_dist=float(min_dist), metric=metric, random_state=umap_seed,
                  n_epochs=n_epochs, transform_seed=umap_seed)
        if method == "hyperbolic-umap":
            kw["output_metric"] = "hyperboloid"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "n_jobs overridden by random_state", numba/sparse notices
            Y = umap.UMAP(**kw).fit_transform(np.asarray(Xs, dtype=np.float32))
        Y = np.asarray(Y, dtype=np.float64)
        if not np.isfinite(Y).all():
            raise EmbgeoError(f"UMAP returned non-finite coordinates for {name}", hint=f"try {setting('method', 'pca')}, or more rows / fewer duplicates")
        params = {"n_neighbors": used, "min_dist": float(min_dist), "metric": metric, "n_epochs": n_epochs if n_epochs is not None else "umap default",
                  "random_state": umap_seed}
        notes.append(UMAP_NOTE)
        disk = method == "hyperbolic-umap"
        if disk:
            coords, hyper = hyperboloid_to_disk(Y)
            notes.append("hyperbolic UMAP: output on the hyperboloid, drawn on the Poincaré disk p = (x, y)/(1 + z)")
        else:
            coords = Y
    note = sample_note(sample, n, seed, detail="the map holds only these rows (under their input row numbers)")
    if note is not None:
        notes.append(note)
    return ProjectionResult(
        method=method, n_rows_in=int(n), n_dims=int(d), n_mapped=int(m), seed=int_seed, params=params,
        seconds=time.perf_counter() - t0, disk=disk, notes=tuple(notes), coordinates=coords, rows=rows,
        explained_variance=explained, hyperboloid=hyper,
    )


def coordinates_table(result: ProjectionResult, *, ids=None, extra: dict | None = None, row_numbers=None) -> tuple[list[str], list[list]]:
    """``(header, rows)`` of the map coordinates: ``row``, ``id`` (when given), ``x``, ``y`` and any
    ``extra`` columns (arrays over the input rows, e.g. the colour column).

    ``row`` is the row's number in the input; ``row_numbers`` maps the rows of the mapped matrix to
    it (when rows were dropped before mapping). Cells are Python numbers (``x``, ``y`` as float64,
    NaN kept) or text.
    """
    header = ["row"] + (["id"] if ids is not None else []) + ["x", "y"]
    rows_in = result.rows if row_numbers is None else np.asarray(row_numbers)[result.rows]
    cols = [rows_in]
    if ids is not None:
        cols.append(np.asarray(ids)[result.rows])
    C = result.coordinates
    cols += [C[:, 0], C[:, 1]]
    for name, values in (extra or {}).items():
        header.append(str(name))
        cols.append(np.asarray(values)[result.rows])
    out = []
    for i in range(result.rows.size):
        row = []
        for c in cols:
            v = c[i]
            if isinstance(v, (float, np.floating)):
                row.append(float(v))
            elif isinstance(v, (np.integer, int)) and not isinstance(v, bool):
                row.append(int(v))
            else:
                row.append(str(v))
        out.append(row)
    return header, out


__all__ = ["METHODS", "UMAP_NOTE", "MAX_LEGACY_SEED", "legacy_seed", "ProjectionResult", "project", "pca_2d", "hyperboloid_to_disk", "coordinates_table"]
