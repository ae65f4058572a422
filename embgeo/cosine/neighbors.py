"""Norm effects and hubness — the cosine diagnostics that look at neighbours.

Every neighbour list comes from the one engine, :func:`embgeo.knn.engine.knn`.

References
----------
- M. Radovanović, A. Nanopoulos & M. Ivanović, "Hubs in Space: Popular Nearest
  Neighbors in High-Dimensional Data", JMLR 11, 2010 (k-occurrence skewness).
- H. Steck, C. Ekanadham & N. Kallus, "Is Cosine-Similarity of Embeddings Really
  About Similarity?", WWW 2024 Companion (norms carry what cosine throws away).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.arguments import check_attribute_values, check_count, check_flag
from embgeo.errors import EmbgeoError, offers, param, setting
from embgeo.cosine.common import (
    COSINE_EDGES, OK, WARN, Verdict, Judged, judge, fmt, grade, histogram, jaccard_at_k, neighbour_recall, shown, with_direction, worst,
)
from embgeo.cosine.isotropy import NormDistribution, norm_distribution
from embgeo.results import Result
from embgeo.validation import as_matrix, as_rng, check_seed

#: Jaccard@k between dot-product and cosine neighbours (lower is worse)
NORM_JACCARD_WARN, NORM_JACCARD_BAD = 0.5, 0.2
#: |Spearman| between the norm and a user attribute
NORM_SPEARMAN_WARN = 0.3
#: skewness of the k-occurrence distribution
HUB_SKEW_WARN, HUB_SKEW_BAD = 1.0, 3.0
#: largest isotropic Gaussian drawn for the hubness baseline
HUB_BASELINE_MAX_ROWS = 2000


def neighbours(X, k: int, *, metric: str = "cosine", backend: str = "auto", device: str = "cpu", approx: bool = False, seed=0):
    """``embgeo.knn.engine.knn`` with the options the cosine diagnostics pass around (dot products: always exact).
    ``backend``/``device``: where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`: ``backend="auto"``
    (the default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"``
    or ``"auto"``."""
    from embgeo.knn.engine import knn

    approx = check_flag("approx", approx)
    return knn(X, k, metric=metric, backend=backend, device=device, approx=approx and metric != "dot", seed=seed, check_duplicates=False)


def check_k(k: int, n: int, *, rows: str = "rows", source: str | None = None, name: str = "k", flag: str | None = None) -> int:
    """``k`` as an int: a whole number ≥ 1 (not a bool, a fraction or text) below the ``n`` rows (``rows``: what
    they are, e.g. "rows with a value of 'year'"; ``source``: the file the error names). ``name``: the keyword the
    caller wrote (``knn_neighbors``, the former name of ``k``); ``flag``: its option on the command line."""
    k = check_count(name, k, minimum=1, flag=flag)
    if k >= n:
        shown_k = setting(name, k, flag) if offers(name, flag) else f"k = {k}"
        raise EmbgeoError(f"{shown_k} needs more than {k} {rows}, got {n}", source=source,
                          hint=f"lower {param(name, flag)}" if offers(name, flag) else f"give more than {k} rows")
    return int(k)


# --------------------------------------------------------------------------- norms
@dataclass(frozen=True, slots=True)
class NormsResult(Judged):
    """Row-norm distribution, dot-vs-cosine neighbour overlap and the norm–attribute correlation."""

    k: int
    distribution: NormDistribution
    jaccard_dot_cosine: float
    jaccard_dot_cosine_rows: np.ndarray = field(repr=False)
    attribute: str | None = None
    spearman: float | None = None
    spearman_p: float | None = None
    attribute_rows: int = 0
    judgement: Verdict = field(default=None, repr=False)
    #: the measured recall of approximate cosine neighbours (``approx=True``); None: exact (and no JSON key)
    recall: float | None = None

    def to_dict(self) -> dict:
        d = Judged.to_dict(self)
        d.pop("jaccard_dot_cosine_rows")
        d["jaccard_hist_counts"] = np.bincount(np.rint(self.jaccard_dot_cosine_rows * 20).astype(int), minlength=21).tolist()
        d["jaccard_hist_edges"] = [round(i / 20 - 0.025, 4) for i in range(22)]
        return d


def check_attribute_name_given(attribute_name, attribute) -> str:
    """``attribute_name`` (text, default ``"attribute"``): it names the values ``attribute``, so another name
    without them would be ignored, and is refused."""
    if not isinstance(attribute_name, str):
        raise EmbgeoError(f"attribute_name must be text (the attribute's name), got {attribute_name!r} ({type(attribute_name).__name__})",
                          hint="e.g. attribute_name='frequency'")
    if attribute is None and attribute_name != "attribute":
        raise EmbgeoError(f"attribute_name={attribute_name!r} names the attribute, but no attribute was given; it would be ignored",
                          hint="pass the values as attribute=… (one number per row), or leave attribute_name out")
    return attribute_name


def check_attribute(a, name: str = "attribute", *, source: str | None = None) -> np.ndarray:
    """Refuse an attribute whose Spearman correlation with the norm is undefined: fewer than 3 rows
    with a value, or one value on every row (as ``embgeo rank`` refuses a constant attribute); and one
    with an infinite value (only NaN means missing), naming the row."""
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    inf = np.flatnonzero(np.isinf(a))
    if inf.size:  # only NaN means missing: an infinite value is an error in the data, not a gap to skip
        more = f" (and {inf.size - 1} more rows)" if inf.size > 1 else ""
        raise EmbgeoError(f"attribute '{name}' is {a[inf[0]]:g} on row {inf[0]}{more}", source=source,
                          hint="only NaN marks a missing value: fix the value or set it to NaN")
    have = a[~np.isnan(a)]
    if have.size < 3:
        raise EmbgeoError(f"attribute '{name}' has {have.size} rows with a value; its Spearman correlation with the norm needs at least 3",
                          source=source, hint=f"pass a column with values on more rows, or drop {param('attribute', '--attr')}")
    if np.ptp(have) == 0:
        raise EmbgeoError(f"attribute '{name}' is constant ({have[0]:g} on all {have.size} rows with a value); "
                          "its Spearman correlation with the norm is undefined", source=source,
                          hint=f"pass a column that varies with {param('attribute', '--attr')}, or drop {param('attribute', '--attr')}")
    return a


def norms(X, *, k: int = 10, attribute=None, attribute_name: str = "attribute", cosine_neighbors=None,
          backend: str = "auto", device: str = "cpu", approx: bool = False, seed=0) -> NormsResult:
    """What the norms do to neighbours (Steck et al. 2024).

    - Norm distribution (float64): mean, sd, coefficient of variation CV = sd/mean,
      quantiles, histogram; an isotropic Gaussian's CV ``√(d−μ²)/μ`` is the baseline.
    - ``Jaccard@k = mean_i |N_dot(i) ∩ N_cos(i)| / |N_dot(i) ∪ N_cos(i)|`` between the
      ``k`` (default 10) dot-product and cosine neighbours of every row: 1 means the
      norms change nothing, low values mean dot-product and cosine answer differently.
    - With ``attribute`` (length n, e.g. word frequency): Spearman ρ between the
      norm and it (NaN rows skipped; ±inf is refused, naming the row).

    Verdict: ``warn`` when Jaccard@k < 0.5 or |ρ| ≥ 0.3; ``bad`` when Jaccard@k < 0.2.
    ``backend``/``device``: where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`: ``backend="auto"``
    (the default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"``
    or ``"auto"``. ``approx``: approximate cosine neighbours (pynndescent; dot products stay exact), their measured
    recall in ``recall``. ``seed`` (of an approximate search) is checked whatever ``approx`` says.
    ``attribute_name`` names ``attribute`` and needs it.
    """
    approx = check_flag("approx", approx)
    check_seed(seed)
    check_attribute_name_given(attribute_name, attribute)
    X = as_matrix(X, name="X", min_rows=2, allow_zero_rows=False)
    n = X.shape[0]
    k = check_k(k, n)
    dist = norm_distribution(X)
    opts = dict(backend=backend, device=device, approx=approx, seed=seed)
    cos_nb = cosine_neighbors if cosine_neighbors is not None else neighbours(X, k, metric="cosine", **opts)
    dot_nb = neighbours(X, k, metric="dot", **opts)
    jac_rows = jaccard_at_k(dot_nb.indices[:, :k], cos_nb.indices[:, :k])
    jac = float(jac_rows.mean())
    rho = p = None
    used = 0
    if attribute is not None:
        a = np.asarray(check_attribute_values(attribute), dtype=np.float64).reshape(-1)
        if a.size != n:
            raise EmbgeoError(f"attribute '{attribute_name}' has {a.size} values for {n} rows")
        check_attribute(a, attribute_name)
        ok = np.isfinite(a)
        used = int(ok.sum())
        if used >= 3 and np.ptp(a[ok]) > 0:
            from scipy.stats import spearmanr

            res = spearmanr(dist.norms[ok], a[ok])
            rho, p = float(res.statistic), float(res.pvalue)
    s_j = grade(jac, warn=NORM_JACCARD_WARN, bad=NORM_JACCARD_BAD, higher_is_worse=False)
    s_r = WARN if (rho is not None and abs(rho) >= NORM_SPEARMAN_WARN) else OK
    status = worst(s_j, s_r)
    parts = [f"norms vary by CV {fmt(dist.cv)} (isotropic Gaussian {fmt(dist.baseline_cv)}) and dot-product and cosine share {shown(jac, NORM_JACCARD_WARN, NORM_JACCARD_BAD, digits=0, scale=100)} % of their {k} neighbours (Jaccard@{k})"]
    if rho is not None:
        parts.append(f"the norm has Spearman ρ = {shown(rho, NORM_SPEARMAN_WARN, -NORM_SPEARMAN_WARN, digits=2)} with '{attribute_name}'")
    reason = "; ".join(parts)
    if status == OK:
        fix = "none needed"
    elif s_r != OK and s_j == OK:
        fix = f"the norm encodes '{attribute_name}': cosine discards it, the dot product keeps it — pick the one whose behaviour you want"
    else:
        fix = "the norms carry information cosine discards: decide whether it is signal (use the dot product) or nuisance (use cosine), and report which"
    threshold = f"Jaccard@{k}(dot, cosine): warn < {NORM_JACCARD_WARN}, bad < {NORM_JACCARD_BAD}; |Spearman(norm, attribute)|: warn ≥ {NORM_SPEARMAN_WARN}"
    return NormsResult(k, dist, jac, jac_rows, attribute_name if attribute is not None else None, rho, p, used,
                       judge(status, threshold, reason, fix, "norm_spearman" if s_r != OK and s_j == OK else "jaccard_dot_cosine"),
                       neighbour_recall(cos_nb))


# --------------------------------------------------------------------------- hubness
@dataclass(frozen=True, slots=True)
class KOccurrence(Result):
    """Hubness numbers of one neighbour graph."""

    skewness: float
    hub_share: float  # N_k > 2k
    antihub_share: float  # N_k = 0
    max_occurrence: int
    robin_hood: float  # share of k-occurrence to move for every row to be a neighbour equally often
    counts: np.ndarray = field(repr=False)  # N_k(x) for every row
    occurrence_hist: np.ndarray = field(repr=False)  # bincount of N_k
    neighbour_cosine_hist: np.ndarray = field(repr=False)  # counts on COSINE_EDGES

    def to_dict(self) -> dict:
        d = Result.to_dict(self)
        d.pop("counts")
        return d


def k_occurrence(indices: np.ndarray, n: int, *, k: int | None = None, cosine_distances: np.ndarray | None = None) -> KOccurrence:
    """``N_k(x)`` = how often ``x`` appears among the ``k`` neighbours of the other rows, and its skewness.

    Skewness is the standardised third moment ``E[(N_k − k)³] / sd(N_k)³``
    (``scipy.stats.skew``, biased); hubs are rows with ``N_k > 2k``, anti-hubs rows
    with ``N_k = 0`` (Radovanović et al. 2010). The Robin Hood index
    ``RH = ½ Σ|N_k(x) − k̄| / Σ N_k(x)`` (k̄ the mean k-occurrence) is the share of
    k-occurrences that must move for every row to be a neighbour equally often
    (Feldbauer et al. 2018; scikit-hubness's definition): 0 without hubs, → 1 when one
    row is everyone's neighbour; unlike skewness it is bounded and stable at large n.

    ``indices`` (n_queries, ≥ k) are row numbers in ``0 … n − 1``; ``k`` (default: all columns) at most their width.
    """
    n = check_count("n", n, minimum=1)
    idx = np.asarray(indices)
    if idx.ndim != 2 or idx.dtype.kind not in "iu":
        raise EmbgeoError(f"indices must be a 2-D array of integer row numbers (one row of neighbours per query), got "
                          f"{idx.ndim}-D {idx.dtype}", hint="pass the indices of a neighbour search, e.g. embgeo.knn(X, k).indices")
    k = idx.shape[1] if k is None else check_count("k", k, minimum=1)
    if k > idx.shape[1]:
        raise EmbgeoError(f"k={k} but indices hold {idx.shape[1]} neighbours per row", hint=f"pass k ≤ {idx.shape[1]}, or search more neighbours")
    if idx.size and (idx[:, :k].min() < 0 or idx[:, :k].max() >= n):
        bad = idx[:, :k][(idx[:, :k] < 0) | (idx[:, :k] >= n)]
        raise EmbgeoError(f"indices hold row {int(bad[0])}, outside 0…{n - 1} ({bad.size} out of range)",
                          hint="row numbers count from 0 (a negative one marks no neighbour)" if bad[0] < 0 else
                          f"n is the number of rows the indices point into: pass n > {int(idx[:, :k].max())}, or indices of those {n} rows")
    counts = np.bincount(idx[:, :k].ravel(), minlength=n).astype(np.int64)
    c = counts - counts.mean()
    sd = np.sqrt(np.mean(c * c))
    sk = float(np.mean(c**3) / sd**3) if sd > 0 else 0.0
    total = float(counts.sum())
    rh = float(0.5 * np.abs(c).sum() / total) if total > 0 else float("nan")
    nb_hist = histogram(1.0 - np.asarray(cosine_distances)[:, :k].ravel()) if cosine_distances is not None else np.zeros(COSINE_EDGES.size - 1, dtype=np.int64)
    return KOccurrence(sk, float(np.mean(counts > 2 * k)), float(np.mean(counts == 0)), int(counts.max()), rh,
                       counts, np.bincount(counts).astype(np.int64), nb_hist)


@dataclass(frozen=True, slots=True)
class HubnessResult(Judged):
    """Hubness of the cosine k-NN graph, raw and centred, with an isotropic Gaussian baseline."""

    k: int
    raw: KOccurrence
    centred: KOccurrence
    baseline: KOccurrence
    baseline_rows: int
    cosine_hist_edges: np.ndarray = field(default_factory=lambda: COSINE_EDGES.copy(), repr=False)  # edges of every neighbour_cosine_hist
    judgement: Verdict = field(default=None, repr=False)
    #: the smallest measured recall of the approximate neighbour graphs (raw, centred, baseline); None: exact
    recall: float | None = None


def hubness(X, *, k: int = 10, cosine_neighbors=None, centred_neighbors=None, backend: str = "auto", device: str = "cpu",
            approx: bool = False, seed=0) -> HubnessResult:
    """Hubness (Radovanović et al. 2010) of the cosine ``k``-NN graph (default k = 10), before and after centring.

    Reports the skewness of the k-occurrence ``N_k``, the share of hubs
    (``N_k > 2k``) and anti-hubs (``N_k = 0``), the histograms of ``N_k`` and of
    the neighbour cosines (for plots), and the same for an isotropic Gaussian of
    the same ``d`` and ``min(n, 2000)`` rows.

    Verdict (on the raw skewness): ``warn`` ≥ 1, ``bad`` ≥ 3.
    ``backend``/``device``: where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`: ``backend="auto"``
    (the default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"``
    or ``"auto"``. ``approx``: approximate neighbours (pynndescent), the smallest measured recall of the graphs in ``recall``.
    """
    approx = check_flag("approx", approx)
    X = as_matrix(X, name="X", min_rows=2, allow_zero_rows=False)
    n, d = X.shape
    k = check_k(k, n)
    opts = dict(backend=backend, device=device, approx=approx, seed=seed)
    gnb = None
    raw_nb = cosine_neighbors if cosine_neighbors is not None else neighbours(X, k, **opts)
    if centred_neighbors is None:
        from embgeo.cosine.postprocess import center

        centred_neighbors = neighbours(with_direction(center(X)), k, **opts)
    raw = k_occurrence(raw_nb.indices, n, k=k, cosine_distances=raw_nb.distances)
    cen = k_occurrence(centred_neighbors.indices, n, k=k, cosine_distances=centred_neighbors.distances)
    nb_rows = int(min(n, HUB_BASELINE_MAX_ROWS))
    G = as_rng(seed).standard_normal((nb_rows, d))
    if nb_rows > k:
        gnb = neighbours(G, k, **opts)
        base = k_occurrence(gnb.indices, nb_rows, k=k, cosine_distances=gnb.distances)
    else:  # too few rows for a baseline graph
        base = KOccurrence(float("nan"), float("nan"), float("nan"), 0, float("nan"), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(COSINE_EDGES.size - 1, np.int64))
    status = grade(raw.skewness, warn=HUB_SKEW_WARN, bad=HUB_SKEW_BAD)
    reason = (f"k-occurrence skewness {shown(raw.skewness, HUB_SKEW_WARN, HUB_SKEW_BAD, digits=2)} (centred {shown(cen.skewness, HUB_SKEW_WARN, HUB_SKEW_BAD, digits=2)}, isotropic Gaussian {fmt(base.skewness, 2)}); "
              f"{fmt(100 * raw.hub_share, 1)} % hubs (N_k > {2 * k}), {fmt(100 * raw.antihub_share, 1)} % never a neighbour; "
              f"Robin Hood index {fmt(raw.robin_hood, 2)} (centred {fmt(cen.robin_hood, 2)}, isotropic Gaussian {fmt(base.robin_hood, 2)})")
    if status == OK:
        fix = "none needed"
    elif grade(cen.skewness, warn=HUB_SKEW_WARN, bad=HUB_SKEW_BAD) == OK:
        fix = f"centre the embeddings: skewness drops to {shown(cen.skewness, HUB_SKEW_WARN, HUB_SKEW_BAD, digits=2)}"
    else:
        fix = "centring is not enough: try all-but-the-top or whitening, or a hubness reduction (mutual proximity, CSLS) for retrieval"
    verdict = judge(status, f"k-occurrence skewness: warn ≥ {HUB_SKEW_WARN}, bad ≥ {HUB_SKEW_BAD}", reason, fix, "hubness_skewness")
    return HubnessResult(k, raw, cen, base, nb_rows, COSINE_EDGES.copy(), verdict, neighbour_recall(raw_nb, centred_neighbors, gnb))


__all__ = ["NormsResult", "KOccurrence", "HubnessResult", "norms", "hubness", "k_occurrence", "neighbours"]
