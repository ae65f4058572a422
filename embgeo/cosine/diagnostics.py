"""Cosine-similarity pitfalls: diagnostics that tell a user when cosine similarity misleads.

:func:`cosine_diagnostics` runs seven diagnostics on an ``(n_samples, n_features)``
matrix and gives each a verdict (``ok`` / ``warn`` / ``bad``, the threshold, a
one-sentence reason and a suggested fix):

1. ``anisotropy`` — mean cosine of random pairs, raw and centred, against an
   isotropic Gaussian of the same size (Ethayarajh 2019);
2. ``isoscore`` — IsoScore and its same-size Gaussian baseline (Rudman et al. 2022);
3. ``rogue_dimensions`` — each dimension's share of the mean cosine (Timkey & van
   Schijndel 2021);
4. ``norms`` — norm distribution, dot-product vs cosine neighbours, norm vs a user
   attribute (Steck et al. 2024);
5. ``hubness`` — skewness of the k-occurrence, raw and centred (Radovanović et al. 2010);
6. ``rescaling`` — the diagonal rescaling freedom of a factorisation ``X ≈ ABᵀ``
   (Steck, Ekanadham & Kallus 2024), or for one matrix the dependence of cosine
   neighbours on per-dimension scale;
7. ``postprocessing`` — centring, all-but-the-top (Mu & Viswanath 2018) and
   whitening: their effect on anisotropy, hubness and neighbour sets.

The parts live in ``cosine_isotropy`` (1–3), ``cosine_neighbors`` (4–5),
``cosine_rescaling`` (6) and ``cosine_postprocess`` (7); every neighbour list
comes from :func:`embgeo.knn.engine.knn`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.cosine.common import BAD, OK, WARN, Verdict, fmt, spectrum, worst, with_direction
from embgeo.cosine.isotropy import (
    ANISOTROPY_WARN, AnisotropyResult, IsoScoreResult, RogueDimensionsResult, anisotropy, isoscore, isoscore_from_variances, rogue_dimensions,
)
from embgeo.cosine.neighbors import HubnessResult, NormsResult, hubness, neighbours, norms
from embgeo.cosine.postprocess import (
    WHITEN_FLOOR, PostprocessResult, all_but_the_top, center, postprocess, postprocessing, standardise, whiten,
)
from embgeo.cosine.rescaling import RescalingResult, dimension_rescaling, factor_rescaling, invariant_factors
from embgeo.results import Result
from embgeo.validation import as_matrix, as_rng

DIAGNOSTICS = ("anisotropy", "isoscore", "rogue_dimensions", "norms", "hubness", "rescaling", "postprocessing")


@dataclass(frozen=True, slots=True)
class CosineReport(Result):
    """Every cosine diagnostic of one matrix, each with its verdict."""

    n_samples: int
    n_features: int
    k: int
    neighbour_rows: int  # rows the neighbour diagnostics used (all, or a seeded sample)
    seed: int
    status: str  # the worst verdict
    anisotropy: AnisotropyResult
    isoscore: IsoScoreResult
    rogue_dimensions: RogueDimensionsResult
    norms: NormsResult
    hubness: HubnessResult
    rescaling: RescalingResult
    postprocessing: PostprocessResult

    def verdicts(self) -> dict[str, Verdict]:
        return {name: getattr(self, name).verdict for name in DIAGNOSTICS}

    def table(self):
        """``diagnostic | value | baseline | verdict | reason``, one row per diagnostic."""
        a, s, r, nm, h, rs, p = (getattr(self, n) for n in DIAGNOSTICS)
        rows = [
            ["anisotropy", f"{fmt(a.mean_cosine)} (all pairs; sample {fmt(a.sampled_mean)} [{fmt(a.ci_low)}, {fmt(a.ci_high)}]); centred {fmt(a.centred_mean_cosine)}",
             f"{fmt(a.baseline_mean)} [{fmt(a.baseline_ci_low)}, {fmt(a.baseline_ci_high)}]"],
            ["isoscore", fmt(s.isoscore), fmt(s.baseline)],
            ["rogue_dimensions",
             f"top {r.top} {r.top_dimensions}: {fmt(100 * r.top_share, 1)} %" if r.mean_cosine >= ANISOTROPY_WARN
             else f"top {r.top} {r.top_dimensions}; mean cosine {fmt(r.mean_cosine)} too small to share out",
             f"even: {fmt(100 * r.top / r.n_features, 1)} %"],
            ["norms", f"CV {fmt(nm.distribution.cv)}; Jaccard@{nm.k} dot/cos {fmt(nm.jaccard_dot_cosine, 2)}"
             + (f"; ρ(norm, {nm.attribute}) {fmt(nm.spearman, 2)}" if nm.spearman is not None else ""),
             f"CV {fmt(nm.distribution.baseline_cv)}; Jaccard 1"],
            ["hubness", f"skew {fmt(h.raw.skewness, 2)} (centred {fmt(h.centred.skewness, 2)}); hubs {fmt(100 * h.raw.hub_share, 1)} %",
             f"skew {fmt(h.baseline.skewness, 2)}"],
        ]
        if rs.mode == "factors":
            rows.append(["rescaling", f"min Jaccard@{rs.k} over D {fmt(rs.min_jaccard, 2)}", f"Lᵀb: {fmt(rs.invariant_jaccard, 2)}"])
        else:
            rows.append(["rescaling", f"Jaccard@{rs.k} standardised {fmt(rs.cases[1].jaccard, 2)}, whitened {fmt(rs.cases[2].jaccard, 2)}", "1"])
        rows.append(["postprocessing", f"Jaccard@{p.k} centre {fmt(p.effect('centre').jaccard_with_raw, 2)}, abtt {fmt(p.effect('abtt').jaccard_with_raw, 2)}, whiten {fmt(p.effect('whiten').jaccard_with_raw, 2)}", "1"])
        for row, name in zip(rows, DIAGNOSTICS):
            v = getattr(self, name).verdict
            row += [v.status, v.reason]
        return ["diagnostic", "value", "baseline", "verdict", "reason"], rows

    def fixes(self) -> list[str]:
        """``name: fix`` for every diagnostic that is not ``ok``."""
        return [f"{n}: {v.fix}" for n, v in self.verdicts().items() if v.status != OK]


def cosine_diagnostics(
    X,
    *,
    k: int = 10,
    factors=None,
    factor_labels=None,
    attribute=None,
    attribute_name: str = "attribute",
    n_pairs: int = 20000,
    top: int = 3,
    n_components: int | None = None,
    floor: float = WHITEN_FLOOR,
    neighbour_sample: int | None = None,
    seed=0,
    backend: str = "numpy",
    device: str = "cpu",
    approx: bool = False,
    on_step=None,
) -> CosineReport:
    """Run all seven cosine diagnostics on ``X`` (n_samples, n_features).

    Parameters
    ----------
    k : neighbours per row for every neighbour diagnostic (default 10).
    factors : optional ``(A, B)`` with ``X ≈ A Bᵀ`` (A: n_users × r, B: n_items × r);
        the rescaling diagnostic then uses them, otherwise it rescales ``X`` itself.
    factor_labels : optional class per row of B (precision@k under each rescaling).
    attribute : optional numeric per-row attribute (e.g. frequency) for Spearman with the norm.
    n_pairs : random pairs for the sampled anisotropy (default 20000).
    top : how many rogue dimensions to name (default 3).
    n_components : all-but-the-top components (default ``max(1, round(d/100))``).
    floor : relative eigenvalue floor for whitening (default 1e-6 × λ₁).
    neighbour_sample : run the neighbour diagnostics (norms, hubness, rescaling of
        one matrix, post-processing) on a seeded sample of this many rows (default: all).
    seed : seed for every sampled estimate.
    backend, device, approx : passed to :func:`embgeo.knn.engine.knn`.
    on_step : optional ``callable(name)`` called before each diagnostic (progress).

    Returns
    -------
    CosineReport, whose ``status`` is the worst verdict.
    """
    X = as_matrix(X, name="X", min_rows=3, allow_zero_rows=False)
    n, d = X.shape
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise EmbgeoError(f"k must be a positive integer, got {k!r}")
    step = on_step or (lambda name: None)
    rng = as_rng(seed)
    seeds = rng.integers(0, 2**31 - 1, size=6)
    if attribute is not None:
        attribute = np.asarray(attribute, dtype=np.float64).reshape(-1)
        if attribute.size != n:
            raise EmbgeoError(f"attribute '{attribute_name}' has {attribute.size} values for {n} rows")
    Xn, attr_n = X, attribute
    if neighbour_sample is not None and neighbour_sample < n:
        if neighbour_sample <= k:
            raise EmbgeoError(f"the neighbour sample ({neighbour_sample} rows) must exceed k={k}")
        rows = np.sort(rng.choice(n, size=int(neighbour_sample), replace=False))
        Xn = np.asarray(X[rows])
        attr_n = None if attribute is None else attribute[rows]
    if k >= Xn.shape[0]:
        raise EmbgeoError(f"k={k} needs more than {k} rows, got {Xn.shape[0]}", hint="lower --k")
    opts = dict(backend=backend, device=device, approx=approx, seed=int(seeds[0]))

    step("anisotropy")
    aniso = anisotropy(X, n_pairs=n_pairs, seed=int(seeds[1]))
    step("isoscore")
    spec = spectrum(X)  # one float64 eigendecomposition for IsoScore, all-but-the-top and whitening
    iso = isoscore(X, seed=int(seeds[2]), eigenvalues=spec.eigenvalues)
    spec_n = spec if Xn is X else spectrum(Xn)
    step("rogue_dimensions")
    rogue = rogue_dimensions(X, top=top)
    step("neighbours")
    raw_nb = neighbours(Xn, k, **opts)
    cen_nb = neighbours(with_direction(center(Xn)), k, **opts)
    step("norms")
    nrm = norms(Xn, k=k, attribute=attr_n, attribute_name=attribute_name, cosine_neighbors=raw_nb, **opts)
    step("hubness")
    hub = hubness(Xn, k=k, cosine_neighbors=raw_nb, centred_neighbors=cen_nb, **opts)
    step("rescaling")
    if factors is not None:
        A, B = factors
        resc = factor_rescaling(A, B, k=k, labels=factor_labels, seed=int(seeds[3]), backend=backend, device=device, approx=approx)
    else:
        resc = dimension_rescaling(Xn, k=k, raw_neighbors=raw_nb, floor=floor, spec=spec_n, **opts)
    step("postprocessing")
    post = postprocessing(Xn, k=k, n_components=n_components, floor=floor, raw_neighbors=raw_nb, centred_neighbors=cen_nb, spec=spec_n, **opts)
    parts = dict(anisotropy=aniso, isoscore=iso, rogue_dimensions=rogue, norms=nrm, hubness=hub, rescaling=resc, postprocessing=post)
    status = worst(*(p.verdict.status for p in parts.values()))
    return CosineReport(n, d, int(k), int(Xn.shape[0]), int(seed) if isinstance(seed, (int, np.integer)) else 0, status, **parts)


__all__ = [
    "CosineReport", "Verdict", "cosine_diagnostics", "DIAGNOSTICS", "OK", "WARN", "BAD",
    "anisotropy", "isoscore", "isoscore_from_variances", "rogue_dimensions", "norms", "hubness",
    "factor_rescaling", "dimension_rescaling", "invariant_factors", "postprocessing", "postprocess",
    "center", "all_but_the_top", "whiten", "standardise",
]
