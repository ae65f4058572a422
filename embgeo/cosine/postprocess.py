"""Post-processing transforms (centring, all-but-the-top, whitening, per-dimension scaling) and their effect.

All statistics (mean, covariance, eigenvectors) are computed in float64, block by
block; the transformed matrix keeps the computing dtype of the input (float64
stays float64, everything else is returned as float32).

References
----------
- J. Mu & P. Viswanath, "All-but-the-Top: Simple and Effective Postprocessing for
  Word Representations", ICLR 2018 (remove the mean and the top ≈ d/100 principal
  components).
- J. Su, J. Cao, W. Liu & Y. Ou, "Whitening Sentence Representations for Better
  Semantics and Faster Retrieval", 2021 (whitening).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.arguments import check_count, check_flag, check_number, renamed_keyword
from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.cosine.common import (
    OK, Spectrum, Verdict, Judged, judge, column_mean, column_variance, fmt, grade, jaccard_at_k, neighbour_recall, shown, spectrum, with_direction,
)
from embgeo.results import Result
from embgeo.validation import DEFAULT_BLOCK_ROWS, as_matrix, as_scaled_matrix, check_seed, compute_dtype, iter_blocks

#: Jaccard@k between raw and centred / all-but-the-top neighbours (lower is worse)
POST_JACCARD_WARN, POST_JACCARD_BAD = 0.7, 0.4
#: default relative eigenvalue floor for whitening (× the largest eigenvalue)
WHITEN_FLOOR = 1e-6


def processed_hint(method: str) -> str:
    """How to keep a post-processed matrix: ``postprocess(X, 'centre')`` in Python, the options that write it on the command line."""
    return either(f"embgeo.cosine.postprocess(X, {method!r})", f"--write-processed FILE --process {method}")


METHODS = ("centre", "abtt", "whiten", "standardise")
#: other spellings :func:`postprocess` accepts (``centred`` is the retrieval similarity's name for centring)
ALIASES = {"center": "centre", "centred": "centre", "centered": "centre", "standardize": "standardise", "all-but-the-top": "abtt"}


def _apply(X, fn, *, block: int = DEFAULT_BLOCK_ROWS) -> np.ndarray:
    out = np.empty(X.shape, dtype=compute_dtype(X.dtype))
    for s, e in iter_blocks(X.shape[0], block):
        out[s:e] = fn(np.asarray(X[s:e], dtype=np.float64))
    return out


def _in_units_of_x(out: np.ndarray, e: int) -> np.ndarray:
    """A linear transform of ``X·2^e`` (:func:`~embgeo.validation.as_scaled_matrix`) brought back to ``X``'s units (exact)."""
    if not e:
        return out
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(out, -e).astype(out.dtype, copy=False)


def center(X) -> np.ndarray:
    """``x − μ`` with the mean ``μ`` accumulated in float64."""
    X, e = as_scaled_matrix(X, name="X", min_rows=1)
    mu = column_mean(X)
    return _in_units_of_x(_apply(X, lambda b: b - mu), e)


def abtt_components(d: int) -> int:
    """The all-but-the-top default: ``max(1, round(d/100))`` components (Mu & Viswanath 2018)."""
    return max(1, int(round(d / 100.0)))


def check_abtt_components(value, d: int, *, name: str = "abtt_components") -> int:
    """The number of principal components all-but-the-top removes: ``max(1, round(d/100))`` for None,
    else a whole number in ``0 … d − 1`` (``name``: the argument as the caller wrote it)."""
    if value is None:
        return abtt_components(d)
    D = check_count(name, value, minimum=0, flag="abtt-components")
    if D >= d:
        raise EmbgeoError(f"{param(name, '--abtt-components')} must be between 0 and {d - 1} (X has {d} columns), got {D}",
                          hint=f"e.g. {setting(name, abtt_components(d), '--abtt-components')} (the default: max(1, round(d/100)))")
    return D


def check_whiten_floor(value, *, name: str = "whiten_floor") -> float:
    """The whitening eigenvalue floor (relative to the largest eigenvalue): :data:`WHITEN_FLOOR` for None,
    else a finite number above 0 (``name``: the argument as the caller wrote it)."""
    if value is None:
        return WHITEN_FLOOR
    v = check_number(name, value, flag="whiten-floor")
    if not (np.isfinite(v) and v > 0):
        raise EmbgeoError(f"the whitening eigenvalue floor must be positive, got {value}",
                          hint=f"pass {param(name, '--whiten-floor')} above 0 (default {WHITEN_FLOOR:g}); it keeps zero-variance directions from being divided by 0")
    return v


def all_but_the_top(X, *, n_components: int | None = None, spec: Spectrum | None = None) -> np.ndarray:
    """All-but-the-top (Mu & Viswanath 2018): ``x̃ = (x − μ) − Σ_{i≤D} (uᵢᵀ(x − μ)) uᵢ``.

    ``uᵢ`` are the top ``D`` principal directions of the float64 covariance;
    ``D`` (``n_components``, a whole number in ``0 … d − 1``) defaults to ``max(1, round(d/100))``.
    ``spec``: a precomputed :func:`spectrum` of ``X``.
    """
    X, e = as_scaled_matrix(X, name="X", min_rows=2)
    D = check_abtt_components(n_components, X.shape[1], name="n_components")
    spec = spec or spectrum(X)
    mu, top = spec.mean, spec.eigenvectors[:, :D]
    return _in_units_of_x(_apply(X, lambda b: (b - mu) - ((b - mu) @ top) @ top.T), e)


@dataclass(frozen=True, slots=True)
class Whitening(Result):
    """The whitening map ``x ↦ (x − μ) W`` and how many eigenvalues were floored."""

    mean: np.ndarray = field(repr=False)
    W: np.ndarray = field(repr=False)
    eigenvalues: np.ndarray = field(repr=False)
    floor: float = 0.0
    n_floored: int = 0

    def to_dict(self) -> dict:
        return {"floor": self.floor, "n_floored": self.n_floored}


def whitening_map(X, *, floor: float = WHITEN_FLOOR, spec: Spectrum | None = None) -> Whitening:
    """ZCA whitening in float64: ``W = U diag(1/√max(λᵢ, floor·λ₁)) Uᵀ`` from the covariance ``UΛUᵀ``.

    The eigenvalue floor (default ``1e-6 × λ₁``) keeps rank-deficient directions
    (``n ≤ d``, collinear features) from being blown up by ``1/√0``.
    """
    X = as_matrix(X, name="X", min_rows=2)
    floor = check_whiten_floor(floor, name="floor")
    spec = spec or spectrum(X)
    mu, U = spec.mean, spec.eigenvectors
    lam = np.clip(spec.eigenvalues, 0.0, None)
    if lam[0] <= 0:
        raise zero_variance("X")
    fl = floor * lam[0]
    kept = np.maximum(lam, fl)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        W = (U / np.sqrt(kept)) @ U.T
    if not np.isfinite(W).all():  # a floor so small that floor × λ₁ is 0 (or 1/√ of it overflows)
        raise EmbgeoError(f"the whitening eigenvalue floor {floor:g} × the largest eigenvalue {lam[0]:.3g} is too small to divide by",
                          hint=f"pass a larger {param('floor', '--whiten-floor')} (default {WHITEN_FLOOR:g})")
    return Whitening(mu, W, lam, float(fl), int(np.sum(lam < fl)))


def zero_variance(name: str) -> EmbgeoError:
    """The error for a matrix whose rows are all the same vector: nothing to whiten (or to compare)."""
    return EmbgeoError(f"{name} has zero variance (every row is the same vector): it cannot be whitened and every cosine is 1",
                       hint="pass the embeddings of different items; embgeo info FILE counts the duplicate rows")


def whiten(X, *, floor: float = WHITEN_FLOOR, spec: Spectrum | None = None) -> np.ndarray:
    """Whitened copy of ``X`` (see :func:`whitening_map`): covariance ≈ identity on the kept directions."""
    X = as_matrix(X, name="X", min_rows=2)
    wm = whitening_map(X, floor=floor, spec=spec)
    return _apply(X, lambda b: (b - wm.mean) @ wm.W)


def standardise(X) -> np.ndarray:
    """Each dimension divided by its standard deviation (no centring: a pure diagonal rescaling ``X·D``).

    Constant dimensions are left unscaled.
    """
    X = as_matrix(X, name="X", min_rows=2)
    mu = column_mean(X)
    sd = np.sqrt(column_variance(X, mean=mu))
    sd[sd == 0] = 1.0
    return _apply(X, lambda b: b / sd)


def postprocess(X, method: str, *, n_components: int | None = None, floor: float = WHITEN_FLOOR) -> np.ndarray:
    """Apply one of ``centre``, ``abtt``, ``whiten``, ``standardise`` (see each function; ``center`` and
    ``centred`` are ``centre``, as in the retrieval similarities). ``n_components``/``floor``: those of
    :func:`all_but_the_top` and :func:`whiten`; both are checked whatever the method (a whole number ≥ 0, None
    for the default; a finite number above 0), and read only by those two."""
    if n_components is not None:  # (its upper bound, d − 1, is checked by all_but_the_top, which reads it)
        check_count("n_components", n_components, minimum=0, flag="abtt-components")
    floor = check_whiten_floor(floor, name="floor")
    method = ALIASES.get(method, method) if isinstance(method, str) else method
    if method == "centre":
        return center(X)
    if method == "abtt":
        return all_but_the_top(X, n_components=n_components)
    if method == "whiten":
        return whiten(X, floor=floor)
    if method == "standardise":
        return standardise(X)
    raise EmbgeoError(f"unknown post-processing '{method}'", hint=f"use one of: {', '.join(METHODS)}")


# --------------------------------------------------------------------------- effect
@dataclass(frozen=True, slots=True)
class TransformEffect(Result):
    """Anisotropy, hubness and neighbour overlap with the raw matrix after one transform."""

    name: str
    mean_cosine: float
    hub_skewness: float
    hub_share: float
    antihub_share: float
    jaccard_with_raw: float
    occurrence_hist: np.ndarray = field(repr=False)


@dataclass(frozen=True, slots=True)
class PostprocessResult(Judged):
    """Effect of centring, all-but-the-top and whitening on anisotropy, hubness and neighbours."""

    k: int
    abtt_components: int
    whiten_floor: float
    whiten_floored: int
    transforms: list  # TransformEffect for raw, centre, abtt, whiten
    recommended: str
    judgement: Verdict = field(default=None, repr=False)
    #: the smallest measured recall of the approximate neighbour lists read; None: exact (and no JSON key)
    recall: float | None = None

    def effect(self, name: str) -> TransformEffect:
        return next(t for t in self.transforms if t.name == name)


def postprocessing(X, *, k: int = 10, abtt_components: int | None = None, whiten_floor: float | None = None,
                   raw_neighbors=None, centred_neighbors=None, spec: Spectrum | None = None, backend: str = "auto", device: str = "cpu",
                   approx: bool = False, seed=0, n_components=None, floor=None) -> PostprocessResult:
    """What centring, all-but-the-top (``abtt_components`` principal components, default
    ``D = max(1, round(d/100))``) and whitening (eigenvalue floor ``whiten_floor`` × λ₁, default 1e-6) do.
    ``n_components``/``floor``: the former names of ``abtt_components``/``whiten_floor`` (deprecated).

    For each transform: the exact mean pair cosine (anisotropy), the skewness of
    the cosine k-occurrence and the hub / anti-hub shares, and the Jaccard@k
    (default k = 10) of its cosine neighbours with the raw ones.

    Verdict: ``ok`` when the raw matrix needs no post-processing (mean cosine below
    0.1 and k-occurrence skewness below 1: then neighbours move only by noise);
    otherwise on ``min(Jaccard(raw, centred), Jaccard(raw, all-but-the-top))``:
    ``warn`` below 0.7, ``bad`` below 0.4 — cosine neighbours then depend on a
    choice of origin and of a few directions, which the user has to make on purpose.
    ``recommended`` is the mildest transform (centre, then abtt, then whiten) that
    brings the mean cosine below 0.1 and the skewness below 1, or the one with the
    lowest skewness.
    ``backend``/``device``: where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`: ``backend="auto"``
    (the default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"``
    or ``"auto"``. ``approx``: approximate neighbours (pynndescent), the smallest measured recall in ``recall``.
    """
    from embgeo.cosine.isotropy import ANISOTROPY_WARN, mean_pair_cosine
    from embgeo.cosine.neighbors import HUB_SKEW_WARN, check_k, k_occurrence, neighbours

    abtt_components = renamed_keyword("postprocessing", "n_components", n_components, "abtt_components", abtt_components)
    whiten_floor = renamed_keyword("postprocessing", "floor", floor, "whiten_floor", whiten_floor)
    X = as_matrix(X, name="X", min_rows=3, allow_zero_rows=False)
    n, d = X.shape
    k = check_k(k, n)
    D = check_abtt_components(abtt_components, d)
    whiten_floor = check_whiten_floor(whiten_floor)
    approx = check_flag("approx", approx)
    check_seed(seed)  # (read by an approximate search only)
    opts = dict(backend=backend, device=device, approx=approx, seed=seed)
    spec = spec or spectrum(X)
    wm = whitening_map(X, floor=whiten_floor, spec=spec)
    mats = {
        "raw": X,
        "centre": center(X),
        "abtt": all_but_the_top(X, n_components=D, spec=spec),
        "whiten": _apply(X, lambda b: (b - wm.mean) @ wm.W),
    }
    given = {"raw": raw_neighbors, "centre": centred_neighbors}
    effects, raw_idx, read = [], None, []
    for name, M in mats.items():
        M = with_direction(M)  # a row equal to the mean has no direction after centring
        nb = given.get(name) or neighbours(M, k, **opts)
        read.append(nb)
        if raw_idx is None:
            raw_idx = nb.indices[:, :k]
        ko = k_occurrence(nb.indices, n, k=k)
        jac = float(jaccard_at_k(raw_idx, nb.indices[:, :k]).mean())
        effects.append(TransformEffect(name, mean_pair_cosine(M), ko.skewness, ko.hub_share, ko.antihub_share, jac, ko.occurrence_hist))
    by = {t.name: t for t in effects}
    good = [t for t in ("centre", "abtt", "whiten") if by[t].mean_cosine < ANISOTROPY_WARN and by[t].hub_skewness < HUB_SKEW_WARN]
    recommended = good[0] if good else min(("centre", "abtt", "whiten"), key=lambda t: by[t].hub_skewness)
    worst_j = min(by["centre"].jaccard_with_raw, by["abtt"].jaccard_with_raw)
    needed = by["raw"].mean_cosine >= ANISOTROPY_WARN or by["raw"].hub_skewness >= HUB_SKEW_WARN
    # an isotropic, hub-free matrix needs no post-processing; its neighbours then move only by noise
    status = grade(worst_j, warn=POST_JACCARD_WARN, bad=POST_JACCARD_BAD, higher_is_worse=False) if needed else OK
    kept = lambda t: shown(by[t].jaccard_with_raw, POST_JACCARD_WARN, POST_JACCARD_BAD, digits=0, scale=100)  # noqa: E731
    mc = lambda t: shown(by[t].mean_cosine, ANISOTROPY_WARN)  # noqa: E731
    reason = (f"centring keeps {kept('centre')} % of the cosine neighbours, all-but-the-top ({D} PC{'' if D == 1 else 's'}) "
              f"{kept('abtt')} %, whitening {fmt(100 * by['whiten'].jaccard_with_raw, 0)} %; mean cosine "
              f"{mc('raw')} → {mc('centre')} / {mc('abtt')} / {mc('whiten')}")
    if not needed:
        reason += f"; the raw matrix has neither anisotropy (≥ {ANISOTROPY_WARN}) nor hubness (skew ≥ {HUB_SKEW_WARN}) to remove"
    if status == OK:
        fix = "none needed" if not needed else f"none needed ('{recommended}' is the mildest transform that fixes anisotropy and hubness, and it moves few neighbours)"
    else:
        fix = f"neighbours depend on the origin and the top directions: apply '{recommended}' on purpose and use the processed matrix everywhere ({processed_hint(recommended)})"
    verdict = judge(status, f"when the raw matrix is anisotropic or hubby, min Jaccard@{k}(raw, centred / all-but-the-top): warn < {POST_JACCARD_WARN}, bad < {POST_JACCARD_BAD}", reason, fix, "postprocess_jaccard")
    return PostprocessResult(k, D, wm.floor, wm.n_floored, effects, recommended, verdict, neighbour_recall(*read))


__all__ = [
    "center", "all_but_the_top", "abtt_components", "whiten", "whitening_map", "zero_variance", "standardise", "postprocess",
    "postprocessing", "PostprocessResult", "TransformEffect", "Whitening", "METHODS", "ALIASES",
    "check_abtt_components", "check_whiten_floor",
]
