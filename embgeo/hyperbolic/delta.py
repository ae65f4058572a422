"""Gromov δ-hyperbolicity of a metric space (four-point condition).

For four points ``x, y, z, w`` let ``S₁ ≥ S₂ ≥ S₃`` be the three sums
``d(x,y)+d(z,w)``, ``d(x,z)+d(y,w)``, ``d(x,w)+d(y,z)``; the space is δ-hyperbolic with
``δ = max over quadruples of (S₁ − S₂)/2`` (Gromov 1987). Trees (and tree metrics) have
δ = 0; a cycle of ``4k`` unit edges has δ = k; relative δ ``2δ/diam`` lies in [0, 1] and
compares spaces of different size (Khrulkov et al. 2020, *Hyperbolic Image Embeddings*,
use it to ask whether an embedding is tree-like).

Exact: with Gromov products ``(x|y)_w = ½(d(x,w) + d(y,w) − d(x,y))``,
``δ = max_w max_{x,y} [max_z min((x|z)_w, (z|y)_w) − (x|y)_w]`` — one max-min matrix
product per base point, O(n⁴) in all, for ``n ≤ exact_max`` (default 120).

Sampled (larger n): random subsets of ``subset_size`` points are solved exactly and
``n_quadruples`` random quadruples of the whole set are scored. ``delta`` is the largest
value seen — a certain *lower bound* of the full δ; ``delta_subset_ci_low`` /
``delta_subset_ci_high`` are the 2.5–97.5 % range of the subsets' δ (how much the estimate moves between samples).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embgeo.arguments import check_count
from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.results import Result


@dataclass(frozen=True, slots=True)
class DeltaResult(Result):
    """Gromov δ, relative δ = 2δ/diameter, and how it was obtained."""

    delta: float
    delta_relative: float
    diameter: float
    n_rows: int
    exact: bool
    n_subsets: int
    subset_size: int
    n_quadruples: int
    delta_subset_mean: float | None
    delta_subset_ci_low: float | None
    delta_subset_ci_high: float | None
    seconds: float

    def metrics(self):
        from embgeo.results import Metric

        out = [Metric("delta", self.delta, unit="distance"), Metric("delta_relative", self.delta_relative, status="info"),  # the verdict's row
               Metric("diameter", self.diameter, unit="distance")]
        if self.delta_subset_mean is not None:
            out.append(Metric("delta_subset_mean", self.delta_subset_mean, self.delta_subset_ci_low, self.delta_subset_ci_high, unit="distance"))
        return out

    def verdict(self):
        """Descriptive (info): relative δ says how tree-like the metric is (0 for a tree metric), but
        concentrated high-dimensional distances also give small δ, so it passes no judgement."""
        from embgeo.results import Verdict

        bound = "" if self.exact else " (sampled: a lower bound)"
        return Verdict("info", f"relative δ = 2δ/diameter = {self.delta_relative:.4g}{bound}: 0 for a tree metric; small values "
                               "suggest a tree-like metric, but concentrated distances of high-dimensional data are small too — "
                               "test a hyperbolic fit with 'embgeo hyperbolic reembed'", "", "delta_relative")

    def table(self):
        d = self.to_dict()
        labels = [
            ("delta", "Gromov δ (four-point)" if self.exact else "Gromov δ (largest found: a lower bound)"),
            ("delta_relative", "relative δ = 2δ/diameter"), ("diameter", "diameter"), ("n_rows", "points"),
            ("exact", "exact (all quadruples)"), ("n_subsets", "random subsets solved exactly"),
            ("subset_size", "subset size"), ("n_quadruples", "random quadruples scored"),
            ("delta_subset_mean", "mean δ over subsets"), ("delta_subset_ci_low", "subset δ 2.5 %"), ("delta_subset_ci_high", "subset δ 97.5 %"),
            ("seconds", "seconds"),
        ]
        return ["metric", "value"], [[label, d[k]] for k, label in labels if d.get(k) is not None]


def _maxmin_delta(D: np.ndarray, *, block: int = 64) -> float:
    """Exact four-point δ of a small distance matrix (all base points)."""
    n = D.shape[0]
    best = 0.0
    for w in range(n):
        A = 0.5 * (D[:, w][:, None] + D[w][None, :] - D)
        for s in range(0, n, block):
            a = A[s:s + block]  # (b, n): rows x
            mm = np.minimum(a[:, :, None], A[None, :, :]).max(axis=1)  # max_z min(A[x,z], A[z,y])
            best = max(best, float((mm - a).max()))
    return best


def four_point(D: np.ndarray, quads: np.ndarray) -> np.ndarray:
    """``(S₁ − S₂)/2`` for each row ``(x, y, z, w)`` of ``quads`` (m, 4)."""
    x, y, z, w = quads.T
    s = np.stack([D[x, y] + D[z, w], D[x, z] + D[y, w], D[x, w] + D[y, z]], axis=1)
    s.sort(axis=1)
    return 0.5 * (s[:, 2] - s[:, 1])


def _refuse_nonfinite(X: np.ndarray, name: str) -> None:
    """NaN/inf rows have no distances: refuse them by row (delta has no --drop-nonfinite: a set without them is another set)."""
    from embgeo.validation import format_rows

    bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if bad.size:
        raise EmbgeoError(f"{name} has {bad.size} row{'s' if bad.size > 1 else ''} with NaN or inf (row{'s' if bad.size > 1 else ''} {format_rows(bad)}): "
                          "they have no distances", hint="fix or remove those rows first (" + either("gromov_delta drops none", "delta has no --drop-nonfinite") + ": δ of the other rows is δ of another set)")


def _unscaled(value: float, exponent: int) -> float:
    """A distance computed on points · 2**exponent, in the units of the points (exact: a power of two).
    One beyond the float64 range is refused, never shown as inf or 0."""
    from embgeo.validation import representable, unscale

    if not exponent:
        return value
    out = unscale(value, exponent)
    if not representable(out, value):
        raise EmbgeoError(f"δ and the diameter of these points ({value:.6g} × 2^{-exponent}) are {'above' if out else 'below'} the float64 range",
                          hint="rescale the points (δ and the diameter are distances: they depend on the scale)")
    return out


def gromov_delta(
    D=None,
    *,
    points=None,
    method: str = "auto",
    exact_max: int = 120,
    n_subsets: int = 20,
    subset_size: int = 60,
    n_quadruples: int = 200_000,
    seed=0,
) -> DeltaResult:
    """Gromov four-point δ of a distance matrix ``D`` (n, n), or of Euclidean ``points`` (n, d).

    Parameters
    ----------
    D : (n_points, n_points) distances (symmetric, zero diagonal); or give ``points``
        (n_points, n_features) for Euclidean distances computed on demand (no n×n matrix).
    method : ``"exact"``, ``"sampled"`` or ``"auto"`` (exact when n ≤ ``exact_max``).
    n_subsets, subset_size : random subsets solved exactly (sampled method); ``subset_size`` ≥ 4 points
        (a subset as large as the set solves it exactly).
    n_quadruples : random quadruples of the whole set scored (sampled method).
    seed : random seed (subsets and quadruples).

    Returns δ, relative δ ``2δ/diam`` (diameter exact for a matrix; for ``points`` the
    largest distance among the sampled points), and for the sampled method the subset
    mean and 2.5–97.5 % interval. References: Gromov (1987), *Hyperbolic groups*;
    Khrulkov et al. (2020) for relative δ of embeddings. A set whose points all coincide
    (diameter 0) raises an :class:`~embgeo.errors.EmbgeoError`: its relative δ is undefined.
    ``points`` whose squares over- or underflow float64 (values of 1e160 or 1e-170) are solved
    scaled by a power of two and δ, the diameter and the subset values are scaled back exactly
    (relative δ does not depend on the scale); a value beyond float64 raises.
    """
    import time

    from embgeo.validation import as_rng, as_scaled_matrix

    t0 = time.perf_counter()
    exponent = 0  # points are rescaled by 2**exponent where their squares over/underflow; δ and diameter scale back
    if (D is None) == (points is None):
        raise EmbgeoError("give exactly one of a distance matrix D or points")
    if D is not None:
        from embgeo.hyperbolic.hmds import as_distance_matrix

        D = as_distance_matrix(D, points_hint=either("for a matrix of points pass points= instead of D", "for a matrix of points leave out --distances") + ": δ of the distances between its rows")
        n = D.shape[0]

        def sub(idx):
            return D[np.ix_(idx, idx)]

        def pair(a, b):
            return D[a, b]
    else:
        # δ and the diameter are distances: computed on points · 2**exponent (exact, a power of two) where the
        # squares of the points over- or underflow (values of 1e160 or 1e-170), then brought back exactly
        X, exponent = as_scaled_matrix(points, name="points", min_rows=4, dtype=np.float64, allow_nonfinite=True)
        _refuse_nonfinite(X, "points")
        X = X - X.mean(axis=0)
        n = X.shape[0]

        def sub(idx):
            from scipy.spatial.distance import cdist

            return cdist(X[idx], X[idx])

        def pair(a, b):
            return np.linalg.norm(X[a] - X[b], axis=-1)
    if n < 4:
        raise EmbgeoError(f"δ needs at least 4 points; got {n}")
    if (float(D.max()) if D is not None else float(np.abs(X).max())) == 0.0:  # points centred: all zero = all identical
        what = "every distance is 0" if D is not None else f"all {n} rows are the same point"
        raise EmbgeoError(f"{what} (diameter 0): δ and relative δ = 2δ/diameter are undefined, not those of a tree",
                          hint="pass distinct points; check how the file was written")
    if method not in ("auto", "exact", "sampled"):
        raise EmbgeoError(f"method must be auto, exact or sampled; got {method!r}")
    # whole numbers (a bool, a fraction or text is refused); a subset is solved exactly, so it holds at least 4 points
    n_subsets = check_count("n_subsets", n_subsets, minimum=0, flag="subsets")
    subset_size = check_count("subset_size", subset_size, minimum=4, hint="the four-point condition needs 4 points per subset")
    n_quadruples = check_count("n_quadruples", n_quadruples, minimum=0, flag="quadruples")
    exact_max = check_count("exact_max", exact_max, minimum=0)
    rng = as_rng(seed)
    # a "subset" as large as the set is the whole set: solve it exactly, once
    exact = method == "exact" or (method == "auto" and n <= exact_max) or (n_subsets > 0 and subset_size >= n)
    if not exact and n_subsets == 0 and n_quadruples == 0:
        raise EmbgeoError("a sampled δ with 0 subsets and 0 quadruples measures nothing", hint=f"give {param('n_subsets', '--subsets')} or {param('n_quadruples', '--quadruples')} > 0")
    if exact:
        full = sub(np.arange(n))
        delta = _maxmin_delta(full)
        diam = float(full.max())
        rel = 2 * delta / diam  # scale-free: taken before the distances are scaled back
        delta, diam = _unscaled(delta, exponent), _unscaled(diam, exponent)
        return DeltaResult(delta=delta, delta_relative=rel, diameter=diam, n_rows=n, exact=True,
                           n_subsets=0, subset_size=n, n_quadruples=0, delta_subset_mean=None, delta_subset_ci_low=None, delta_subset_ci_high=None, seconds=time.perf_counter() - t0)
    size = int(min(subset_size, n))
    deltas, diam = [], 0.0
    for _ in range(int(n_subsets)):
        idx = np.sort(rng.choice(n, size=size, replace=False))
        S = sub(idx)
        diam = max(diam, float(S.max()))
        deltas.append(_maxmin_delta(S))
    best = max(deltas) if deltas else 0.0
    m = int(n_quadruples)
    for s in range(0, m, 100_000):
        q = rng.integers(0, n, size=(min(100_000, m - s), 4))
        if D is not None:
            vals = four_point(D, q)
        else:
            x, y, z, w = q.T
            six = [pair(x, y), pair(z, w), pair(x, z), pair(y, w), pair(x, w), pair(y, z)]
            s3 = np.stack([six[0] + six[1], six[2] + six[3], six[4] + six[5]], axis=1)
            s3.sort(axis=1)
            vals = 0.5 * (s3[:, 2] - s3[:, 1])
            diam = max(diam, max(float(a.max()) for a in six))
        best = max(best, float(vals.max()) if vals.size else 0.0)
    if D is not None:
        diam = float(D.max())
    if diam == 0.0:  # every sampled point coincides (the set has a positive diameter elsewhere)
        raise EmbgeoError(f"every sampled point coincides (diameter 0 over {len(deltas)} subsets and {m} quadruples): relative δ is undefined",
                          hint="most rows repeat one point: drop the duplicates, or solve exactly with " + setting("method", "exact"))
    arr = np.asarray(deltas)
    return DeltaResult(
        delta=_unscaled(best, exponent), delta_relative=2 * best / diam, diameter=_unscaled(diam, exponent), n_rows=n, exact=False,
        n_subsets=len(deltas), subset_size=size, n_quadruples=m,
        delta_subset_mean=_unscaled(float(arr.mean()), exponent) if arr.size else None,
        delta_subset_ci_low=_unscaled(float(np.percentile(arr, 2.5)), exponent) if arr.size else None,
        delta_subset_ci_high=_unscaled(float(np.percentile(arr, 97.5)), exponent) if arr.size else None,
        seconds=time.perf_counter() - t0,
    )


from embgeo._callable import make_callable  # noqa: E402

make_callable(__name__, "gromov_delta")
