"""Anisotropy, IsoScore and rogue dimensions — the parts of the cosine diagnostics that need no neighbours.

References
----------
- K. Ethayarajh, "How Contextual are Contextualized Word Representations?", EMNLP 2019
  (anisotropy: the mean cosine of random pairs).
- W. Timkey & M. van Schijndel, "All Bark and No Bite: Rogue Dimensions in Transformer
  Language Models Obscure Representational Quality", EMNLP 2021.
- W. Rudman, N. Gillman, T. Rayne & C. Eickhoff, "IsoScore: Measuring the Uniformity of
  Embedding Space Utilization", Findings of ACL 2022.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.arguments import check_count
from embgeo.errors import EmbgeoError, param, setting
from embgeo.cosine.common import (
    COSINE_EDGES, OK, WARN, Verdict, Judged, judge, column_mean, column_variance, covariance, fmt, grade, shown,
    histogram, per_dimension_pair_cosine, row_norms, unit_sums,
)
from embgeo.results import Result
from embgeo.validation import as_matrix, as_rng

#: anisotropy thresholds on the mean cosine of random pairs
ANISOTROPY_WARN, ANISOTROPY_BAD = 0.1, 0.4
#: IsoScore threshold on the ratio IsoScore / same-size Gaussian baseline (lower is worse); never ``bad``:
#: uneven variance can be the signal itself (a low-dimensional data set)
ISOSCORE_WARN = 0.25
#: rogue-dimension thresholds on the share of the mean cosine held by the top dimensions
ROGUE_WARN, ROGUE_BAD = 0.25, 0.5
_Z95 = 1.959963984540054


# --------------------------------------------------------------------------- anisotropy
@dataclass(frozen=True, slots=True)
class AnisotropyResult(Judged):
    """Mean cosine of random pairs, raw and centred, next to an isotropic Gaussian of the same size."""

    n_rows: int
    n_dims: int
    n_pairs: int
    mean_cosine: float  # exact, over all pairs i≠j
    sampled_mean: float
    ci_low: float
    ci_high: float
    pair_sd: float
    centred_mean_cosine: float
    centred_sampled_mean: float
    centred_ci_low: float
    centred_ci_high: float
    baseline_mean: float
    baseline_ci_low: float
    baseline_ci_high: float
    baseline_pair_sd: float
    hist_edges: np.ndarray = field(repr=False)
    hist_counts: np.ndarray = field(repr=False)
    centred_hist_counts: np.ndarray = field(repr=False)
    baseline_hist_counts: np.ndarray = field(repr=False)
    judgement: Verdict = field(default=None, repr=False)


def _exact_mean_cosine(X, shift=None) -> float:
    s1, s2, used = unit_sums(X, shift=shift)
    if used < 2:
        return float("nan")
    return float((s1 @ s1 - s2.sum()) / (used * (used - 1.0)))


def _pair_cosines(X, i, j, shift=None) -> np.ndarray:
    a = np.asarray(X[i], dtype=np.float64)
    b = np.asarray(X[j], dtype=np.float64)
    if shift is not None:
        a = a - shift
        b = b - shift
    na = np.sqrt(np.einsum("ij,ij->i", a, a))
    nb = np.sqrt(np.einsum("ij,ij->i", b, b))
    keep = (na > 0) & (nb > 0)
    return np.einsum("ij,ij->i", a[keep], b[keep]) / (na[keep] * nb[keep])


def _mean_ci(c: np.ndarray) -> tuple[float, float, float, float]:
    m = float(c.mean())
    sd = float(c.std(ddof=1)) if c.size > 1 else float("nan")
    hw = _Z95 * sd / np.sqrt(c.size)
    return m, m - hw, m + hw, sd


def isotropic_pair_cosines(d: int, n_pairs: int, *, seed=0) -> np.ndarray:
    """Cosines of ``n_pairs`` independent pairs of isotropic Gaussian vectors in ``d`` dimensions.

    Drawn exactly from their law: ``(cos + 1)/2 ~ Beta((d−1)/2, (d−1)/2)`` (mean 0,
    variance ``1/d``), so no ``n_pairs × d`` matrix is built.
    """
    if d < 2:
        return np.where(as_rng(seed).random(n_pairs) < 0.5, -1.0, 1.0)
    a = (d - 1) / 2.0
    return 2.0 * as_rng(seed).beta(a, a, size=n_pairs) - 1.0


def anisotropy(X, *, n_pairs: int = 20000, seed=0) -> AnisotropyResult:
    """Anisotropy: the mean cosine of random pairs of rows (Ethayarajh 2019).

    ``A = E_{i≠j}[cos(xᵢ, xⱼ)]``. Computed exactly over all ``n(n−1)`` ordered
    pairs from ``Σ_{i≠j} uᵢ·uⱼ = ‖Σᵢ uᵢ‖² − n`` (unit rows ``uᵢ``, O(n·d)), and
    estimated from ``n_pairs`` (default 20000) uniformly sampled pairs with a
    normal 95 % interval ``mean ± 1.96·sd/√m``. The same is done after centring
    (subtracting the mean row). The baseline is an isotropic Gaussian of the same
    ``d`` with the same number of sampled pairs (expected 0, pair sd ``1/√d``).
    The histograms (100 bins on [−1, 1]) are kept for plots.

    Verdict: ``ok`` below 0.1, ``warn`` from 0.1, ``bad`` from 0.4 (exact mean cosine).
    """
    n_pairs = check_count("n_pairs", n_pairs, minimum=2, hint="the random pairs of the sampled mean cosine: 2 or more")
    X = as_matrix(X, name="X", min_rows=2, allow_zero_rows=False)
    n, d = X.shape
    rng = as_rng(seed)
    i = rng.integers(n, size=n_pairs)
    j = rng.integers(n - 1, size=n_pairs)
    j += j >= i  # uniform over j ≠ i
    mu = column_mean(X)
    c_raw = _pair_cosines(X, i, j)
    c_cen = _pair_cosines(X, i, j, shift=mu)
    c_base = isotropic_pair_cosines(d, n_pairs, seed=rng)
    m, lo, hi, sd = _mean_ci(c_raw)
    cm, clo, chi, _ = _mean_ci(c_cen) if c_cen.size > 1 else (float("nan"),) * 4
    bm, blo, bhi, _ = _mean_ci(c_base)
    exact = _exact_mean_cosine(X)
    exact_c = _exact_mean_cosine(X, shift=mu)
    status = grade(exact, warn=ANISOTROPY_WARN, bad=ANISOTROPY_BAD)
    base = f"an isotropic Gaussian of the same size gives {fmt(bm)} [{fmt(blo)}, {fmt(bhi)}]"
    if status == OK:
        reason = f"random pairs have mean cosine {shown(exact, ANISOTROPY_WARN, ANISOTROPY_BAD)}; {base}"
        fix = "none needed"
    else:
        reason = f"random pairs have mean cosine {shown(exact, ANISOTROPY_WARN, ANISOTROPY_BAD)} ({base}), so every cosine carries a common offset and unrelated items look similar"
        if grade(exact_c, warn=ANISOTROPY_WARN, bad=ANISOTROPY_BAD) == OK:
            fix = f"centre the embeddings (subtract the mean vector): the mean cosine becomes {shown(exact_c, ANISOTROPY_WARN, ANISOTROPY_BAD)}"
        else:
            fix = f"centring leaves {shown(exact_c, ANISOTROPY_WARN, ANISOTROPY_BAD)}; remove the top principal components (all-but-the-top) or whiten"
    verdict = judge(status, f"mean cosine: warn ≥ {ANISOTROPY_WARN}, bad ≥ {ANISOTROPY_BAD}", reason, fix, "anisotropy")
    return AnisotropyResult(
        n_rows=n, n_dims=d, n_pairs=int(c_raw.size),
        mean_cosine=exact, sampled_mean=m, ci_low=lo, ci_high=hi, pair_sd=sd,
        centred_mean_cosine=exact_c, centred_sampled_mean=cm, centred_ci_low=clo, centred_ci_high=chi,
        baseline_mean=bm, baseline_ci_low=blo, baseline_ci_high=bhi, baseline_pair_sd=1.0 / np.sqrt(d),
        hist_edges=COSINE_EDGES, hist_counts=histogram(c_raw), centred_hist_counts=histogram(c_cen),
        baseline_hist_counts=histogram(c_base), judgement=verdict,
    )


def mean_pair_cosine(X) -> float:
    """Exact mean cosine over all pairs of distinct rows (zero rows skipped), O(n·d)."""
    return _exact_mean_cosine(as_matrix(X, name="X", min_rows=2))


# --------------------------------------------------------------------------- IsoScore
@dataclass(frozen=True, slots=True)
class IsoScoreResult(Judged):
    """IsoScore of the data, of a same-size isotropic Gaussian, and their ratio."""

    n_rows: int
    n_dims: int
    isoscore: float
    baseline: float
    baseline_sd: float
    ratio: float
    variances: np.ndarray = field(repr=False)  # covariance eigenvalues, descending
    judgement: Verdict = field(default=None, repr=False)


def isoscore_from_variances(variances) -> float:
    """IsoScore from the variances along the principal axes (Rudman et al. 2022, Algorithm 1).

    With ``D`` dimensions and principal variances ``Σ`` (length ``D``):
    ``Σ̂ = √D · Σ/‖Σ‖``, defect ``δ = ‖Σ̂ − 1‖ / √(2(D − √D))``,
    ``φ = (D − δ²(D − √D))² / D²`` and ``ι = (D·φ − 1)/(D − 1)``.
    Closed form: ``k`` of ``D`` dimensions used evenly gives ``(k − 1)/(D − 1)``.
    """
    v = np.clip(np.asarray(variances, dtype=np.float64), 0.0, None)
    D = v.size
    norm = np.linalg.norm(v)
    if D < 2 or norm == 0:
        return float("nan")
    vhat = np.sqrt(D) * v / norm
    delta2 = float(np.sum((vhat - 1.0) ** 2)) / (2.0 * (D - np.sqrt(D)))
    phi = (D - delta2 * (D - np.sqrt(D))) ** 2 / D**2
    return float((D * phi - 1.0) / (D - 1.0))


def gaussian_covariance_spectrum(n: int, d: int, *, seed=0) -> np.ndarray:
    """Eigenvalues (descending) of the sample covariance of ``n`` isotropic Gaussian rows in ``d`` dims.

    The centred scatter matrix is Wishart(I, n−1); for ``n−1 ≥ d`` it is drawn by
    the Bartlett decomposition ``W = LLᵀ`` (``L_ii² ~ χ²(n−1−i)``, ``L_ij ~ N(0,1)``
    below the diagonal) in O(d³) without building the ``n × d`` matrix; otherwise
    the Gaussian matrix itself is drawn (it is small then).
    """
    rng = as_rng(seed)
    df = n - 1
    if df >= d:
        L = np.tril(rng.standard_normal((d, d)), k=-1)
        L[np.diag_indices(d)] = np.sqrt(rng.chisquare(df - np.arange(d)))
        ev = np.linalg.eigvalsh(L @ L.T)
    else:
        G = rng.standard_normal((n, d))
        G -= G.mean(axis=0)
        sv = np.linalg.svd(G, compute_uv=False)
        ev = np.zeros(d)
        ev[: sv.size] = sv**2
    return np.sort(np.clip(ev, 0.0, None))[::-1] / max(df, 1)


def isoscore(X, *, seed=0, baseline_repeats: int = 3, eigenvalues=None) -> IsoScoreResult:
    """IsoScore (Rudman et al. 2022) with its same-size isotropic Gaussian baseline.

    The principal variances are the eigenvalues of the float64 sample covariance
    (two passes, block by block); :func:`isoscore_from_variances` does the rest.
    IsoScore is biased low at realistic ``n``: sample eigenvalues of an isotropic
    Gaussian spread (Marchenko–Pastur), so a 2000 × 384 Gaussian scores ≈ 0.84,
    not 1. The baseline is the mean IsoScore of ``baseline_repeats`` (default 3)
    isotropic Gaussians of the same ``n`` and ``d`` (drawn as Wishart spectra).
    ``eigenvalues``: the covariance spectrum of ``X`` when already computed.

    Verdict on ``ratio = IsoScore / baseline``: ``warn`` below 0.25. It is never
    ``bad``: variance held by a few directions may be the signal itself (a
    low-dimensional data set) — the post-processing diagnostic shows what removing
    or equalising those directions does to the neighbours.
    """
    baseline_repeats = check_count("baseline_repeats", baseline_repeats, minimum=1, hint="the Gaussians the baseline averages: 1 or more")
    X = as_matrix(X, name="X", min_rows=2)
    n, d = X.shape
    if d < 2:
        raise EmbgeoError(f"IsoScore needs at least 2 columns, got {d} (with one dimension every cosine is ±1)",
                          hint="pass the whole embedding matrix, one column per dimension; embgeo info FILE shows its shape")
    ev = np.linalg.eigvalsh(covariance(X)) if eigenvalues is None else np.asarray(eigenvalues, dtype=np.float64)
    ev = np.sort(np.clip(ev, 0.0, None))[::-1]
    value = isoscore_from_variances(ev)
    rng = as_rng(seed)
    base = np.array([isoscore_from_variances(gaussian_covariance_spectrum(n, d, seed=rng)) for _ in range(baseline_repeats)])
    b = float(base.mean())
    ratio = value / b if b > 0 else float("nan")
    status = WARN if (np.isfinite(ratio) and ratio < ISOSCORE_WARN) else OK
    top = float(ev[: max(1, d // 100)].sum() / ev.sum()) if ev.sum() > 0 else float("nan")
    if status == OK:
        reason = f"IsoScore {fmt(value)} is {shown(ratio, ISOSCORE_WARN, digits=2)}× that of an isotropic Gaussian of the same size ({fmt(b)}): variance is spread over the dimensions"
        fix = "none needed"
    else:
        reason = f"IsoScore {fmt(value)} is only {shown(ratio, ISOSCORE_WARN, digits=2)}× the same-size Gaussian's {fmt(b)}: a few directions hold most variance (top {max(1, d // 100)} hold {fmt(100 * top, 1)} %) and dominate every cosine"
        fix = "if those directions are not what similarity should be about, remove them (all-but-the-top) or whiten — whitening also inflates noise directions, so check the post-processing row first"
    verdict = judge(status, f"IsoScore / Gaussian baseline: warn < {ISOSCORE_WARN} (never bad)", reason, fix, "isoscore_ratio")
    return IsoScoreResult(n, d, value, b, float(base.std(ddof=1)) if base.size > 1 else float("nan"), ratio, ev, verdict)


# --------------------------------------------------------------------------- rogue dimensions
@dataclass(frozen=True, slots=True)
class RogueDimensionsResult(Judged):
    """Each dimension's contribution to the mean cosine, and the top dimensions."""

    n_dims: int
    mean_cosine: float
    top: int
    top_dimensions: list
    top_share: float
    top_variance_share: float
    contributions: np.ndarray = field(repr=False)  # E[x_a y_a/(‖x‖‖y‖)] per dimension; sums to mean_cosine
    shares: np.ndarray = field(repr=False)  # contributions / mean_cosine
    variance_shares: np.ndarray = field(repr=False)  # var_a / Σ var
    judgement: Verdict = field(default=None, repr=False)


#: the rogue dimensions named by default (``top``; ``--top``)
DEFAULT_TOP = 3


def check_top(top, d: int) -> int:
    """How many rogue dimensions to name, for ``d`` columns: a whole number ≥ 1, at most ``d``. More than ``d`` is
    refused (it would be cut to ``d`` without a word), except the default :data:`DEFAULT_TOP` on fewer columns,
    which names every dimension."""
    top = check_count("top", top, minimum=1, hint="the rogue dimensions named: 1 or more")
    if top > d and top != DEFAULT_TOP:
        raise EmbgeoError(f"{setting('top', top)} asks for more rogue dimensions than the {d} columns of X",
                          hint=f"pass {param('top')} ≤ {d}")
    return min(top, d)


def rogue_dimensions(X, *, top: int = DEFAULT_TOP) -> RogueDimensionsResult:
    """Rogue dimensions (Timkey & van Schijndel 2021): who holds the mean cosine.

    ``CC_a = E_{i≠j}[x_{ia} x_{ja} / (‖xᵢ‖‖xⱼ‖)]`` for each dimension ``a``, exact over
    all pairs (see :func:`embgeo.cosine.common.per_dimension_pair_cosine`);
    ``Σ_a CC_a`` is the mean cosine. ``shares = CC / Σ CC``; the top ``top``
    (default 3) dimensions by ``CC_a`` and their summed share are reported, with
    each dimension's share of the total variance for comparison.

    Verdict: ``ok`` when the mean cosine is below 0.1 (no common offset to dominate);
    otherwise ``warn`` when the top dimensions hold ≥ 25 % of it, ``bad`` ≥ 50 %
    (and only when that is at least 4× what ``top`` evenly used dimensions would hold).
    ``top`` is at most the column count (:func:`check_top`: the default 3 on fewer columns names every one).
    """
    check_count("top", top, minimum=1, hint="the rogue dimensions named: 1 or more")  # (before X: its message first)
    X = as_matrix(X, name="X", min_rows=2, allow_zero_rows=False)
    n, d = X.shape
    top = check_top(top, d)
    cc = per_dimension_pair_cosine(X)
    total = float(cc.sum())
    shares = cc / total if total != 0 else np.full(d, np.nan)
    order = np.argsort(-cc, kind="stable")[:top]
    top_share = float(shares[order].sum()) if total != 0 else float("nan")
    var = column_variance(X)
    vshare = var / var.sum() if var.sum() > 0 else np.full(d, np.nan)
    dims = [int(a) for a in order]
    even = 4.0 * top / d
    if total < ANISOTROPY_WARN:
        status = OK
        reason = f"the mean cosine is only {shown(total, ANISOTROPY_WARN)}, so no dimension can dominate it"
    else:
        status = grade(top_share, warn=max(ROGUE_WARN, even), bad=max(ROGUE_BAD, even))
        each = ", ".join(f"{a} ({fmt(100 * float(shares[a]), 1)} %)" for a in dims)
        reason = f"dimensions {each} hold {shown(top_share, max(ROGUE_WARN, even), max(ROGUE_BAD, even), digits=1, scale=100)} % of the mean cosine {shown(total, ANISOTROPY_WARN)} but {fmt(100 * float(vshare[order].sum()), 1)} % of the variance"
        if status == OK:
            reason += "; no few dimensions dominate"
    fix = "none needed" if status == OK else f"standardise each dimension (z-score) or drop dimensions {dims} before taking cosines; centring removes their shared offset"
    verdict = judge(status, f"top-{top} share of the mean cosine (when it is ≥ {ANISOTROPY_WARN}): warn ≥ {max(ROGUE_WARN, even):g}, bad ≥ {max(ROGUE_BAD, even):g}", reason, fix, "rogue_dims")
    return RogueDimensionsResult(d, total, top, dims, top_share, float(vshare[order].sum()), cc, shares, vshare, verdict)


# --------------------------------------------------------------------------- norm distribution
@dataclass(frozen=True, slots=True)
class NormDistribution(Result):
    """Summary of the row norms (float64) and the coefficient of variation of an isotropic Gaussian."""

    mean: float
    sd: float
    cv: float
    min: float
    q05: float
    median: float
    q95: float
    max: float
    baseline_cv: float
    hist_edges: np.ndarray = field(repr=False)
    hist_counts: np.ndarray = field(repr=False)
    norms: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        d = Result.to_dict(self)
        d.pop("norms")
        return d


def gaussian_norm_cv(d: int) -> float:
    """Coefficient of variation of ‖x‖ for x ~ N(0, σ²I_d): ``√(d − μ²)/μ`` with ``μ = √2 Γ((d+1)/2)/Γ(d/2)``."""
    from scipy.special import gammaln

    mu = np.sqrt(2.0) * np.exp(gammaln((d + 1) / 2.0) - gammaln(d / 2.0))
    return float(np.sqrt(max(d - mu * mu, 0.0)) / mu)


def norm_distribution(X, *, bins: int = 50) -> NormDistribution:
    """Distribution of the row norms: mean, sd, CV = sd/mean, quantiles, histogram (``bins`` bins, a whole number ≥ 1)."""
    bins = check_count("bins", bins, minimum=1, hint="the bins of the norm histogram: 1 or more")
    X = as_matrix(X, name="X", min_rows=1)
    nr = row_norms(X)
    q = np.quantile(nr, [0.05, 0.5, 0.95])
    lo, hi = float(nr.min()), float(nr.max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    counts, _ = np.histogram(nr, bins=edges)
    mean = float(nr.mean())
    sd = float(nr.std(ddof=1)) if nr.size > 1 else 0.0
    return NormDistribution(mean, sd, sd / mean if mean > 0 else float("nan"), lo, float(q[0]), float(q[1]), float(q[2]), hi,
                            gaussian_norm_cv(X.shape[1]), edges, counts.astype(np.int64), nr)


__all__ = [
    "AnisotropyResult", "IsoScoreResult", "RogueDimensionsResult", "NormDistribution",
    "anisotropy", "mean_pair_cosine", "isotropic_pair_cosines", "isoscore", "isoscore_from_variances",
    "gaussian_covariance_spectrum", "rogue_dimensions", "norm_distribution", "gaussian_norm_cv",
]
