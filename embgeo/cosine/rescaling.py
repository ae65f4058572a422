"""The rescaling freedom of a factorisation, and how much cosine neighbours depend on per-dimension scale.

Steck, Ekanadham & Kallus (2024): if ``X ≈ A Bᵀ`` was learned with a loss that
only sees the product, then ``A·D`` and ``B·D⁻¹`` (``D`` diagonal, positive) fit
exactly as well — every dot product ``aᵢ·bⱼ`` is unchanged — yet the cosine
similarities between rows of ``B·D⁻¹`` change with ``D``. Cosine neighbours of
the item factors are then an artefact of an arbitrary choice. A representation
that does not depend on ``D`` is ``Lᵀbⱼ`` with ``AᵀA = LLᵀ``: its inner products
``bᵢᵀ AᵀA bⱼ = (Abᵢ)·(Abⱼ)`` are those of the columns of ``A Bᵀ``.

Reference: H. Steck, C. Ekanadham & N. Kallus, "Is Cosine-Similarity of
Embeddings Really About Similarity?", WWW 2024 Companion.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.arguments import check_flag, check_number, renamed_keyword
from embgeo.errors import EmbgeoError
from embgeo.cosine.common import OK, Verdict, Judged, judge, fmt, grade, jaccard_at_k, neighbour_recall, shown
from embgeo.results import Result
from embgeo.validation import as_matrix, as_rng, check_seed

#: Jaccard@k of cosine neighbours across dot-product-preserving rescalings (lower is worse)
FACTOR_JACCARD_WARN, FACTOR_JACCARD_BAD = 0.8, 0.5
#: Jaccard@k between raw and per-dimension-standardised cosine neighbours (single matrix)
SCALE_JACCARD_WARN, SCALE_JACCARD_BAD = 0.6, 0.3
#: spreads σ of the random rescalings D = diag(exp(σ z)), z ~ N(0, 1)
DEFAULT_SPREADS = (0.5, 1.0, 2.0)


@dataclass(frozen=True, slots=True)
class RescaleCase(Result):
    """Cosine neighbours of the rescaled item factors ``B·D⁻¹`` (or of a rescaled matrix)."""

    name: str
    jaccard: float  # Jaccard@k with the reference neighbours
    precision: float | None = None  # share of neighbours with the same label, when labels are given
    max_dot_change: float | None = None  # max |(AD)(BD⁻¹)ᵀ − ABᵀ| / max |ABᵀ| on the checked entries
    log_scale_sd: float | None = None  # sd of log dⱼ


@dataclass(frozen=True, slots=True)
class RescalingResult(Judged):
    """Sensitivity of cosine neighbours to a rescaling that should not matter."""

    mode: str  # "factors" (A, B given) or "single" (one matrix)
    k: int
    cases: list  # RescaleCase, the reference first
    min_jaccard: float
    invariant_jaccard: float | None = None  # Lᵀb neighbours, identity vs the most extreme D
    invariant_precision: float | None = None
    log_norm_ratio: np.ndarray | None = field(default=None, repr=False)  # log(‖A_j‖/‖B_j‖) per latent dimension
    log_norm_ratio_sd: float | None = None
    judgement: Verdict = field(default=None, repr=False)
    #: the smallest measured recall of the approximate neighbour lists read; None: exact (and no JSON key)
    recall: float | None = None


def _precision(indices: np.ndarray, labels) -> float | None:
    if labels is None:
        return None
    lab = np.asarray(labels)
    return float(np.mean(lab[indices] == lab[:, None]))


def invariant_factors(A, B) -> np.ndarray:
    """``Lᵀbⱼ`` for every row ``bⱼ`` of ``B``, with ``AᵀA = LLᵀ`` (Cholesky in float64).

    Rows of the result are ``(B L)``; their inner products ``bᵢᵀAᵀAbⱼ`` do not depend
    on the diagonal rescaling ``A·D, B·D⁻¹``. A rank-deficient ``AᵀA`` uses the
    symmetric square root (eigenvalues clipped at 0) instead of Cholesky.
    """
    A = as_matrix(A, name="A", min_rows=1, dtype=np.float64)
    B = as_matrix(B, name="B", min_rows=2, dtype=np.float64)
    G = A.T @ A
    try:
        L = np.linalg.cholesky(G)
    except np.linalg.LinAlgError:
        lam, V = np.linalg.eigh(G)
        L = V * np.sqrt(np.clip(lam, 0.0, None))
    return B @ L


def check_spreads(spreads) -> tuple[float, ...]:
    """``spreads`` as a tuple of floats: each a finite number above 0 (the sd σ of ``log dⱼ``); none is fine."""
    if isinstance(spreads, (str, bytes)) or np.ndim(spreads) > 1:
        raise EmbgeoError(f"spreads must be a sequence of numbers, got {spreads!r}", hint=f"e.g. spreads={DEFAULT_SPREADS}")
    out = []
    for s in np.atleast_1d(np.asarray(spreads, dtype=object)).tolist():
        v = check_number("spreads", s)
        if not (np.isfinite(v) and v > 0):
            raise EmbgeoError(f"spreads holds {s!r}; every spread σ of the random rescalings exp(σ z) must be a finite number above 0",
                              hint=f"e.g. spreads={DEFAULT_SPREADS} (σ = 0 is the identity, already among the rescalings)")
        out.append(v)
    return tuple(out)


def rescalings(A, B, *, spreads=DEFAULT_SPREADS, seed=0) -> list[tuple[str, np.ndarray]]:
    """Named diagonal scalings ``d`` (``A → A·diag(d)``, ``B → B·diag(1/d)``) that keep ``ABᵀ``.

    ``balanced`` (‖A_j‖ = ‖B_j‖ for every latent dimension j), ``scale-in-B`` (A's
    columns unit length), ``scale-in-A`` (B's columns unit length) and one random
    ``dⱼ = exp(σ zⱼ)``, ``z ~ N(0, 1)``, for each spread σ in ``spreads``.
    """
    na = np.linalg.norm(A, axis=0)
    nb = np.linalg.norm(B, axis=0)
    safe = (na > 0) & (nb > 0)
    one = np.ones(A.shape[1])
    bal = np.where(safe, np.sqrt(np.where(safe, nb, 1) / np.where(safe, na, 1)), 1.0)
    in_b = np.where(na > 0, 1.0 / np.where(na > 0, na, 1), 1.0)
    in_a = np.where(nb > 0, nb, 1.0)
    out = [("identity", one), ("balanced", bal), ("scale-in-B", in_b), ("scale-in-A", in_a)]
    rng = as_rng(seed)
    for s in check_spreads(spreads):
        out.append((f"random σ={s:g}", np.exp(float(s) * rng.standard_normal(A.shape[1]))))
    return out


def check_factors(factors, labels=None, *, labels_name: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """``factors`` as the float64 pair ``(A, B)`` of one factorisation ``X ≈ A Bᵀ``; raises unless it is a
    2-tuple (or 2-list) of matrices of the same rank and ``labels`` (if given) has one entry per row of ``B``."""
    if isinstance(factors, np.ndarray) or not isinstance(factors, (tuple, list)) or len(factors) != 2:
        got = (f"an array of shape {factors.shape}" if isinstance(factors, np.ndarray)
               else f"a {type(factors).__name__} of {len(factors)} items" if isinstance(factors, (tuple, list))
               else f"a {type(factors).__name__}")
        raise EmbgeoError(f"factors is (A, B), the user and item factors of one factorisation X ≈ A Bᵀ; got {got}",
                          hint="pass factors=(A, B) with A n_users × r and B n_items × r")
    A = as_matrix(factors[0], name="A (user factors)", min_rows=1, dtype=np.float64)
    B = as_matrix(factors[1], name="B (item factors)", min_rows=2, dtype=np.float64, allow_zero_rows=False)
    if A.shape[1] != B.shape[1]:
        raise EmbgeoError(f"factor matrices disagree on the rank: A has {A.shape[1]} columns, B has {B.shape[1]}",
                          hint="pass A (n_users × r) and B (n_items × r) of one factorisation X ≈ A Bᵀ")
    if labels is not None:
        try:
            size = None if isinstance(labels, (str, bytes)) else len(labels)
        except TypeError:
            size = None
        if size is None:
            raise EmbgeoError(f"{labels_name} must be a sequence of labels, one per row of B, got {type(labels).__name__}",
                              hint="give one label per item, in the order of B's rows")
        if size != B.shape[0]:
            raise EmbgeoError(f"{labels_name} has {size} entries for {B.shape[0]} rows of B",
                              hint="give one label per item, in the order of B's rows")
    return A, B


def factor_rescaling(A, B, *, k: int = 10, spreads=DEFAULT_SPREADS, classes=None, seed=0, check_entries: int = 1000,
                     backend: str = "auto", device: str = "cpu", approx: bool = False, labels=None) -> RescalingResult:
    """Cosine neighbours of the item factors ``B`` under rescalings that leave every dot product unchanged.

    For each ``d`` of :func:`rescalings`: the cosine ``k``-NN (default 10) of the rows
    of ``B·diag(1/d)``; their Jaccard@k with the neighbours of ``B`` itself; the
    precision@k against ``classes`` (a class per row of B) when given; and the largest change
    of ``(A·diag(d))(B·diag(1/d))ᵀ`` against ``ABᵀ`` over ``check_entries`` × ``check_entries``
    entries, relative to ``max |ABᵀ|`` (float64: ≈ 1e-16). The D-independent
    :func:`invariant_factors` are searched for the identity and the widest random
    ``d`` (their Jaccard should be 1). ``log_norm_ratio`` is ``log(‖A_j‖/‖B_j‖)`` per
    latent dimension j; its spread shows how the fit split the scale.

    Verdict on the smallest Jaccard@k over the rescalings: ``warn`` below 0.8,
    ``bad`` below 0.5. ``spreads``: the σ (each above 0) of the random rescalings; ``labels``: the former
    name of ``classes`` (deprecated).
    ``backend``/``device``: where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`: ``backend="auto"``
    (the default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"``
    or ``"auto"``. ``approx``: approximate neighbours (pynndescent), the smallest measured recall in ``recall``.
    """
    from embgeo.arguments import check_count
    from embgeo.cosine.neighbors import check_k, neighbours

    classes = renamed_keyword("factor_rescaling", "labels", labels, "classes", classes)
    A, B = check_factors((A, B), classes, labels_name="classes")
    k = check_k(k, B.shape[0])
    spreads = check_spreads(spreads)
    check_entries = check_count("check_entries", check_entries, minimum=1)
    approx = check_flag("approx", approx)
    opts = dict(backend=backend, device=device, approx=approx, seed=seed)
    rng = as_rng(seed)
    ia = np.sort(rng.choice(A.shape[0], size=min(check_entries, A.shape[0]), replace=False))
    ib = np.sort(rng.choice(B.shape[0], size=min(check_entries, B.shape[0]), replace=False))
    P = A[ia] @ B[ib].T
    scale = float(np.max(np.abs(P))) or 1.0
    cases, ref, read = [], None, []
    scalings = rescalings(A, B, spreads=spreads, seed=rng)
    for name, dvec in scalings:
        Bd = B / dvec
        nb = neighbours(Bd, k, **opts)
        read.append(nb)
        if ref is None:
            ref = nb.indices[:, :k]
        change = float(np.max(np.abs((A[ia] * dvec) @ Bd[ib].T - P))) / scale
        cases.append(RescaleCase(name, float(jaccard_at_k(ref, nb.indices[:, :k]).mean()), _precision(nb.indices[:, :k], classes),
                                 change, float(np.std(np.log(dvec)))))
    widest = scalings[-1][1]
    read += [neighbours(invariant_factors(A, B), k, **opts), neighbours(invariant_factors(A * widest, B / widest), k, **opts)]
    inv0, inv1 = read[-2].indices[:, :k], read[-1].indices[:, :k]
    inv_j = float(jaccard_at_k(inv0, inv1).mean())
    na, nbn = np.linalg.norm(A, axis=0), np.linalg.norm(B, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.log(na / nbn)
    lr_sd = float(np.std(lr[np.isfinite(lr)])) if np.isfinite(lr).any() else float("nan")
    min_j = min(c.jaccard for c in cases[1:])
    status = grade(min_j, warn=FACTOR_JACCARD_WARN, bad=FACTOR_JACCARD_BAD, higher_is_worse=False)
    worst_case = min(cases[1:], key=lambda c: c.jaccard)
    max_change = max(c.max_dot_change for c in cases)
    reason = (f"rescalings A·D, B·D⁻¹ that change no dot product (max relative change {max_change:.1e}) keep only "
              f"{shown(min_j, FACTOR_JACCARD_WARN, FACTOR_JACCARD_BAD, digits=0, scale=100)} % of B's cosine neighbours ('{worst_case.name}'); the D-independent Lᵀb has {fmt(100 * inv_j, 0)} % of its neighbours in common under D = I and the widest D; "
              f"sd of log(‖A_j‖/‖B_j‖) = {fmt(lr_sd, 2)}")
    if status == OK:
        reason = reason.replace("keep only", "keep")
    fix = "none needed" if status == OK else "do not take cosines of raw factors: use Lᵀbⱼ with AᵀA = LLᵀ (cosine between columns of A Bᵀ), or the dot product, or fix the scale during training"
    verdict = judge(status, f"min Jaccard@{k} over rescalings: warn < {FACTOR_JACCARD_WARN}, bad < {FACTOR_JACCARD_BAD}", reason, fix, "rescaling_jaccard")
    inv_p = _precision(inv0, classes)
    return RescalingResult("factors", k, cases, min_j, inv_j, inv_p, lr, lr_sd, verdict, neighbour_recall(*read))


def dimension_rescaling(X, *, k: int = 10, raw_neighbors=None, whiten_floor: float | None = None, spec=None,
                        backend: str = "auto", device: str = "cpu", approx: bool = False, seed=0, floor=None) -> RescalingResult:
    """For one matrix: how much cosine neighbours depend on the scale of each dimension.

    Jaccard@k (default 10) of the cosine neighbours of ``X`` with those of its
    per-dimension standardised copy ``X·diag(1/σ)`` (a pure diagonal rescaling, the
    single-matrix analogue of Steck et al.'s freedom) and of its whitened copy
    (float64, eigenvalue floor ``whiten_floor`` × λ₁, default 1e-6; ``floor``: its former name, deprecated).
    Verdict on the standardised Jaccard: ``warn`` below 0.6, ``bad`` below 0.3.
    ``backend``/``device``: where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`: ``backend="auto"``
    (the default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"``
    or ``"auto"``. ``approx``: approximate neighbours (pynndescent), the smallest measured recall in ``recall``.
    """
    from embgeo.cosine.neighbors import check_k, neighbours
    from embgeo.cosine.postprocess import check_whiten_floor, standardise, whiten

    whiten_floor = check_whiten_floor(renamed_keyword("dimension_rescaling", "floor", floor, "whiten_floor", whiten_floor))
    X = as_matrix(X, name="X", min_rows=3, allow_zero_rows=False)
    k = check_k(k, X.shape[0])
    approx = check_flag("approx", approx)
    check_seed(seed)  # (read by an approximate search only)
    opts = dict(backend=backend, device=device, approx=approx, seed=seed)
    read = [raw_neighbors if raw_neighbors is not None else neighbours(X, k, **opts)]
    ref = read[0].indices[:, :k]
    from embgeo.cosine.common import with_direction

    cases = [RescaleCase("raw", 1.0)]
    for name, M in (("standardised", standardise(X)), ("whitened", whiten(X, floor=whiten_floor, spec=spec))):
        nb = neighbours(with_direction(M), k, **opts)
        read.append(nb)
        cases.append(RescaleCase(name, float(jaccard_at_k(ref, nb.indices[:, :k]).mean())))
    j_std, j_wh = cases[1].jaccard, cases[2].jaccard
    status = grade(j_std, warn=SCALE_JACCARD_WARN, bad=SCALE_JACCARD_BAD, higher_is_worse=False)
    reason = (f"dividing each dimension by its sd keeps {shown(j_std, SCALE_JACCARD_WARN, SCALE_JACCARD_BAD, digits=0, scale=100)} % of the cosine neighbours, whitening {fmt(100 * j_wh, 0)} %"
              + ("" if status == OK else ": neighbours depend on how each dimension happens to be scaled"))
    fix = "none needed" if status == OK else "cosine neighbours here reflect per-dimension scale; check results against the standardised or whitened matrix and report the choice"
    verdict = judge(status, f"Jaccard@{k}(raw, standardised): warn < {SCALE_JACCARD_WARN}, bad < {SCALE_JACCARD_BAD}", reason, fix, "rescaling_jaccard_standardised")
    return RescalingResult("single", k, cases, min(j_std, j_wh), judgement=verdict, recall=neighbour_recall(*read))


__all__ = ["RescaleCase", "RescalingResult", "factor_rescaling", "dimension_rescaling", "invariant_factors", "rescalings", "check_spreads"]
