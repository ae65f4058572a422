"""Global, spectral dimension measures: PCA, effective rank (RankMe), matrix entropy.

All three read the eigenvalues of the ``(n_dims × n_dims)`` scatter
matrix ``ZᵀZ`` (its non-zero eigenvalues are those of the Gram matrix ``ZZᵀ``),
accumulated block by block in float64, so a memory-mapped matrix is never
loaded whole. When ``n_dims > n_rows`` the smaller Gram matrix is used.

References
----------
* Gao, Trauger, Bhattacharya et al. / Recanatesi et al.: participation ratio
  ``PR = (Σλ)² / Σλ²`` of the covariance spectrum.
* Garrido, Balestriero, Najman & LeCun (2023), RankMe: assessing the downstream
  performance of pretrained self-supervised representations by their rank. ICML.
* Skean, Arefin, Zhao et al. (2025), Layer by Layer: uncovering hidden
  representations in language models. ICML (matrix-based entropy of the Gram
  spectrum per layer; Giraldo, Rao & Príncipe 2014 for the α-entropy).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.arguments import check_finite_number, check_flag
from embgeo.errors import EmbgeoError
from embgeo.results import Result
from embgeo.validation import as_matrix, read_rows

VARIANCE_LEVELS = (0.90, 0.95, 0.99)
#: RankMe's ε (Garrido et al. 2023): p_k = σ_k/‖σ‖₁ + ε
RANKME_EPS = 1e-7


def scatter_spectrum(X, *, center: bool, block: int = 16384) -> np.ndarray:
    """Eigenvalues (descending, ≥ 0) of ``ZᵀZ`` with ``Z = X − mean`` if ``center`` else ``X``.

    Two passes when centring (the mean first, in float64) so a large common offset
    does not cancel; memory O(block × n_dims + n_dims²).
    """
    X = as_matrix(X, name="X", min_rows=2)
    n, d = X.shape
    mean = np.zeros(d)
    if center:
        for s in range(0, n, block):
            mean += read_rows(X, s, min(n, s + block)).sum(axis=0, dtype=np.float64)
        mean /= n
    if d <= n or d <= 4096:
        C = np.zeros((d, d))
        for s in range(0, n, block):
            b = read_rows(X, s, min(n, s + block)).astype(np.float64) - mean
            C += b.T @ b
        ev = np.linalg.eigvalsh(C)
    else:  # wide and short: the n × n Gram has the same non-zero spectrum
        Z = np.asarray(X).astype(np.float64) - mean
        ev = np.linalg.eigvalsh(Z @ Z.T)
    ev = np.clip(ev[::-1], 0.0, None)
    return ev


def matrix_shape(X) -> tuple[int, int]:
    """``(n_rows, n_dims)`` of ``X`` (None: ``(0, 0)``); a list is read, and anything that is not a matrix
    (1-D, 3-D) is refused as :func:`~embgeo.validation.as_matrix` refuses it."""
    if X is None:
        return 0, 0
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 2:
        shape = as_matrix(X, name="X", min_rows=2).shape
    return int(shape[0]), int(shape[1])


@dataclass(frozen=True, slots=True)
class PCAResult(Result):
    """PCA dimension: participation ratio and components needed for 90/95/99 % of the variance."""

    participation_ratio: float
    components_90: int
    components_95: int
    components_99: int
    explained_variance_ratio: np.ndarray = field(repr=False)
    n_rows: int = 0
    n_dims: int = 0

    def to_dict(self) -> dict:
        return {
            "participation_ratio": float(self.participation_ratio),
            "components_90": int(self.components_90),
            "components_95": int(self.components_95),
            "components_99": int(self.components_99),
            "explained_variance_ratio_top": [float(v) for v in self.explained_variance_ratio[:20]],
            "n_rows": int(self.n_rows),
            "n_dims": int(self.n_dims),
        }


def pca_dimension(X, *, eigenvalues: np.ndarray | None = None) -> PCAResult:
    """Linear (PCA) dimension of ``X`` (n_rows, n_dims).

    With covariance eigenvalues ``λ₁ ≥ λ₂ ≥ …``: participation ratio
    ``PR = (Σλ)² / Σλ²`` (between 1 and the rank; equals m for m equal
    variances), and ``components_p = min{m : Σ_{i≤m} λᵢ / Σλ ≥ p}`` for
    p = 0.90, 0.95, 0.99. A curved manifold needs more linear components than
    its intrinsic dimension (a swiss roll has PR ≈ 3 for ID 2).
    """
    ev = scatter_spectrum(X, center=True) if eigenvalues is None else np.asarray(eigenvalues, dtype=np.float64)
    n, d = matrix_shape(X)
    total = ev.sum()
    if total <= 0:
        raise EmbgeoError("X has zero variance (all rows equal); PCA dimension is undefined", hint="check the input")
    ratio = ev / total
    cum = np.cumsum(ratio)
    comps = [int(np.searchsorted(cum, p - 1e-12) + 1) for p in VARIANCE_LEVELS]
    pr = float(total**2 / np.sum(ev**2))
    return PCAResult(pr, *[min(c, ev.size) for c in comps], ratio, int(n), int(d))


@dataclass(frozen=True, slots=True)
class RankMeResult(Result):
    """Effective rank (RankMe) of the embedding matrix."""

    effective_rank: float
    max_rank: int
    centered: bool

    @property
    def normalized(self) -> float:
        return self.effective_rank / self.max_rank


def rankme(X, *, center: bool = False, eigenvalues: np.ndarray | None = None) -> RankMeResult:
    """RankMe (Garrido et al. 2023): ``exp(−Σ_k p_k log p_k)``, ``p_k = σ_k/‖σ‖₁ + ε``.

    ``σ_k`` are the singular values of the embedding matrix (uncentred by
    default, as in the paper; ``center=True`` uses the covariance), ε = 1e-7.
    Between 1 and min(n_rows, n_dims); m equal singular values give m.
    """
    center = check_flag("center", center)
    ev = scatter_spectrum(X, center=center) if eigenvalues is None else np.asarray(eigenvalues, dtype=np.float64)
    max_rank = int(min(matrix_shape(X)) if X is not None else ev.size)
    # the sum runs over the min(n, d) singular values only: the d − n structural zeros of a wide
    # matrix's d×d scatter would each add −ε log ε and push RankMe above min(n, d)
    ev = np.sort(np.clip(ev, 0.0, None))[::-1][:max_rank]
    sigma = np.sqrt(ev)
    if sigma.sum() <= 0:
        raise EmbgeoError("X is all zeros; RankMe is undefined", hint="check the input")
    p = sigma / sigma.sum() + RANKME_EPS
    return RankMeResult(float(np.exp(-np.sum(p * np.log(p)))), max_rank, bool(center))


@dataclass(frozen=True, slots=True)
class EntropyResult(Result):
    """Matrix-based Rényi entropy of the Gram spectrum, raw (nats) and normalised to [0, 1]."""

    entropy: float
    normalized: float
    alpha: float
    max_rank: int
    centered: bool


def matrix_entropy(X, *, alpha: float = 1.0, center: bool = False, eigenvalues: np.ndarray | None = None) -> EntropyResult:
    """Normalised matrix entropy of the Gram matrix ``K = ZZᵀ`` (Skean et al. 2025).

    With ``pᵢ = λᵢ(K)/tr K``: ``S_α = log(Σ pᵢ^α)/(1 − α)`` (α = 1: the Shannon /
    von Neumann limit ``−Σ pᵢ log pᵢ``), and ``normalized = S_α / log r`` with
    ``r = min(n_rows, n_dims)`` the largest possible rank, so 1 means
    every direction carries the same energy and 0 a rank-one set. Default α = 1,
    rows as given (``center=False``). ``alpha``: a finite number above 0 (text, a bool, ∞ and NaN are refused);
    ``Σ pᵢ^α`` is summed in the log domain, so a large α does not underflow.
    """
    alpha = check_finite_number("alpha", alpha, low=0.0, closed=False)
    center = check_flag("center", center)
    ev = scatter_spectrum(X, center=center) if eigenvalues is None else np.asarray(eigenvalues, dtype=np.float64)
    tr = ev.sum()
    if tr <= 0:
        raise EmbgeoError("X is all zeros; matrix entropy is undefined", hint="check the input")
    p = ev[ev > 0] / tr
    if abs(alpha - 1.0) < 1e-12:
        S = float(-np.sum(p * np.log(p)))
    else:  # log Σ pᵢ^α = m + log Σ exp(α log pᵢ − m), m = max α log pᵢ: no underflow to log 0 at large α
        a = alpha * np.log(p)
        m = float(a.max())
        S = float((m + np.log(np.sum(np.exp(a - m)))) / (1.0 - alpha))
    r = int(min(matrix_shape(X)) if X is not None else ev.size)
    return EntropyResult(S, float(S / np.log(r)) if r > 1 else 0.0, float(alpha), r, bool(center))
