"""All intrinsic-dimension estimators on one matrix, sharing one neighbour search.

:func:`intrinsic_dimension` samples rows (seeded), drops exact duplicates for
the ratio estimators, runs :func:`embgeo.knn.engine.knn` once with the largest
``k`` any asked method needs, and hands the distances to TwoNN, MLE and GRIDE;
PCA, RankMe and matrix entropy share one float64 scatter spectrum.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError
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
from embgeo.results import Result
from embgeo.validation import as_matrix, as_rng

METHODS = ("twonn", "mle", "gride", "pca", "rankme", "entropy")
NEIGHBOR_METHODS = ("twonn", "mle", "gride")


def parse_methods(methods) -> tuple[str, ...]:
    """``"twonn,mle"`` / ``["all"]`` / a tuple → validated method names in canonical order."""
    if isinstance(methods, str):
        methods = [m for m in methods.replace(" ", "").split(",") if m]
    names = set()
    for m in methods:
        m = str(m).lower()
        if m == "all":
            names.update(METHODS)
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


@dataclass(frozen=True, slots=True)
class IntrinsicReport(Result):
    """Every asked estimator on one matrix; keys named after the methods."""

    n_rows: int
    n_used: int
    n_duplicates_dropped: int
    sampled: bool
    methods: tuple
    twonn: TwoNNResult | None = None
    mle: MLEResult | None = None
    gride: GrideResult | None = None
    pca: PCAResult | None = None
    rankme: RankMeResult | None = None
    entropy: EntropyResult | None = None
    neighbors: dict | None = None
    notes: tuple = field(default=())

    def to_dict(self) -> dict:
        out = {"n_rows": self.n_rows, "n_used": self.n_used, "n_duplicates_dropped": self.n_duplicates_dropped, "sampled": self.sampled}
        for m in self.methods:
            r = getattr(self, m)
            out[m] = r.to_dict() if r is not None else None
            if m == "rankme" and r is not None:
                out[m]["normalized"] = r.normalized
        out["neighbors"] = self.neighbors
        out["notes"] = list(self.notes)
        return out

    def summary_rows(self) -> list[list]:
        """``[method, estimate, interval, detail]`` rows, one per method."""
        rows = []
        for m in self.methods:
            r = getattr(self, m)
            if m == "twonn":
                rows.append(["twonn", r.dimension, _ci(r.interval), f"{r.variant}; linear fit {r.linear:.3f}; discard {r.discard_fraction:g}"])
            elif m == "mle":
                rows.append(["mle", r.dimension, _ci(r.interval), f"k={r.k1}..{r.k2}"])
            elif m == "gride":
                curve = ", ".join(f"{d:.2f}@{b}" for b, d in zip(r.n2, r.dimension))
                rows.append(["gride", float(r.dimension[0]) if r.dimension.size else None, "", f"ID@n2: {curve}"])
            elif m == "pca":
                rows.append(["pca", r.participation_ratio, "", f"participation ratio; 90/95/99%: {r.components_90}/{r.components_95}/{r.components_99} components"])
            elif m == "rankme":
                rows.append(["rankme", r.effective_rank, "", f"effective rank of {r.max_rank}"])
            elif m == "entropy":
                rows.append(["entropy", r.normalized, "", f"normalised matrix entropy (alpha={r.alpha:g}); {r.entropy:.3f} nats"])
        return rows

    def table(self):
        return ["method", "estimate", "95% interval", "detail"], self.summary_rows()


def _ci(iv) -> str:
    lo, hi = iv
    return "" if lo is None or not np.isfinite(lo) else f"{lo:.2f} – {hi:.2f}"


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
    if "twonn" in methods:
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
    progress=None,
) -> IntrinsicReport:
    """Run the asked estimators on ``X`` (n_samples, n_features) with one kNN search.

    ``k`` is the MLE's upper neighbour order (k1 = ⌈k/2⌉, the Levina–Bickel
    10..20 by default); ``gride_max`` the largest GRIDE order; ``sample``
    estimates on a seeded random subset of rows (scale curves over ``sample``
    sizes are a feature: the neighbourhood scale grows as n shrinks). Exact
    duplicates are dropped (first copy kept) for the ratio estimators and
    counted in ``n_duplicates_dropped``; ``neighbors`` may pass a search already
    done on exactly these (deduplicated, sampled) rows.
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
    results: dict = {}
    dropped = 0
    n_used = X.shape[0]
    nb_summary = None
    nb_methods = [m for m in methods if m in NEIGHBOR_METHODS]
    if nb_methods:
        need = neighbors_needed(nb_methods, k=int(k), gride_max=int(gride_max))
        check_enough_rows(X.shape[0], nb_methods, k=int(k), gride_max=int(gride_max))
        Xd, _, dropped = prepare_points(X, min_rows=need + 2, duplicates=duplicates)
        n_used = Xd.shape[0]
        if neighbors is None or neighbors.k < need or neighbors.n_query != Xd.shape[0]:
            neighbors = knn(Xd, need, metric=metric, approx=approx, seed=seed, backend=backend, device=device, check_duplicates=False, progress=progress)
        nb_summary = neighbors.to_dict()
        common = {"neighbors": neighbors, "seed": seed}
        if "twonn" in methods:
            results["twonn"] = twonn_dimension(discard_fraction=discard_fraction, variant=twonn_variant, n_boot=n_boot, **common)
        if "mle" in methods:
            results["mle"] = mle_dimension(k1=max(2, (int(k) + 1) // 2), k2=int(k), n_boot=n_boot, **common)
        if "gride" in methods:
            results["gride"] = gride_dimension(neighbors=neighbors, max_order=int(gride_max))
        for m in nb_methods:
            results[m] = dataclasses.replace(results[m], n_duplicates_dropped=dropped)
    if any(m in methods for m in ("rankme", "entropy")):
        raw = scatter_spectrum(X, center=False)
        if "rankme" in methods:
            results["rankme"] = rankme(X, eigenvalues=raw)
        if "entropy" in methods:
            results["entropy"] = matrix_entropy(X, eigenvalues=raw)
    if "pca" in methods:
        results["pca"] = pca_dimension(X)
    notes = [HIGH_ID_NOTE]
    if "gride" in methods:
        notes.append(NOISE_NOTE)
    if dropped:
        notes.append(f"note: {dropped} exact duplicate rows were dropped before the ratio estimators (they make r1 = 0)")
    if rows is not None:
        notes.append(f"note: estimated on a seeded random sample of {rows.size} of {n_rows} rows (--seed {seed})")
    if neighbors is not None and not neighbors.exact and neighbors.recall is not None:
        notes.append(f"note: approximate neighbours; measured recall {neighbors.recall:.3f} on {neighbors.recall_sample} queries")
    return IntrinsicReport(n_rows, int(n_used), int(dropped), rows is not None, methods, neighbors=nb_summary, notes=tuple(notes), **results)
