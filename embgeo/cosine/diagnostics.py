"""Cosine-similarity pitfalls: diagnostics that tell a user when cosine similarity misleads.

:func:`cosine_diagnostics` runs seven diagnostics on an ``(n_samples, n_features)``
matrix and gives each a verdict (``ok`` / ``warn`` / ``bad``, a one-sentence reason
that quotes the number and threshold, a suggested fix and the metric that decided it):

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

from embgeo._blas import one_thread_when_small
from embgeo.arguments import check_attribute_values, check_flag, renamed_keyword
from embgeo.errors import EmbgeoError, offers, param, setting, surface
from embgeo.cosine.common import BAD, OK, WARN, Verdict, fmt, shown, spectrum, with_direction
from embgeo.cosine.isotropy import (
    ANISOTROPY_BAD, ANISOTROPY_WARN, ROGUE_BAD, ROGUE_WARN, AnisotropyResult, IsoScoreResult, RogueDimensionsResult, anisotropy, isoscore, isoscore_from_variances, rogue_dimensions,
)
from embgeo.cosine.neighbors import (
    HUB_SKEW_BAD, HUB_SKEW_WARN, NORM_JACCARD_BAD, NORM_JACCARD_WARN, NORM_SPEARMAN_WARN, HubnessResult, NormsResult, hubness, neighbours, norms,
)
from embgeo.cosine.postprocess import (
    POST_JACCARD_BAD, POST_JACCARD_WARN, PostprocessResult, all_but_the_top, center, postprocess, postprocessing, standardise, whiten,
    zero_variance,
)
from embgeo.cosine.rescaling import (
    FACTOR_JACCARD_BAD, FACTOR_JACCARD_WARN, SCALE_JACCARD_BAD, SCALE_JACCARD_WARN, RescalingResult, dimension_rescaling, factor_rescaling, invariant_factors,
)
from embgeo.results import Metric, Result, jsonable, severity
from embgeo.validation import as_matrix, as_rng, seeded_rows

DIAGNOSTICS = ("anisotropy", "isoscore", "rogue_dimensions", "norms", "hubness", "rescaling", "postprocessing")


@dataclass(frozen=True, slots=True)
class CosineReport(Result):
    """Every cosine diagnostic of one matrix, each with its verdict, and (optionally) retrieval
    against ground truth (:mod:`~embgeo.cosine.retrieval`).

    ``metrics()`` gives one tidy row per number with stable ids (``anisotropy``,
    ``isoscore_ratio``, ``rogue_dims``, ``jaccard_dot_cosine``, ``hubness_skewness``,
    ``robin_hood``, ``k_occurrence_max``, ``rescaling_jaccard_standardised`` (one matrix) or
    ``rescaling_jaccard`` (the smallest over the rescalings of ``--factors``), ``postprocess_jaccard``,
    ``precision_at_k`` …); the rows a diagnostic's verdict was decided on carry its
    status. ``verdict()`` is the worst of the diagnostics' verdicts (the first of
    equals, in :data:`DIAGNOSTICS` order, retrieval last) and names its metric.
    """

    n_rows: int
    n_dims: int
    k: int
    neighbour_rows: int  # rows the neighbour diagnostics used (all, or a seeded sample)
    seed: int | None  # the int seed given; None for a Generator or fresh entropy (not reproducible from a number)
    anisotropy: AnisotropyResult
    isoscore: IsoScoreResult
    rogue_dimensions: RogueDimensionsResult
    norms: NormsResult
    hubness: HubnessResult
    rescaling: RescalingResult
    postprocessing: PostprocessResult
    retrieval: object = None  # RetrievalResult with --class / --qrels
    #: rows whose k-th cosine neighbour ties with the next row (exact search): their neighbour set is picked by row order
    neighbour_ties: int | None = None

    def verdicts(self) -> dict[str, Verdict]:
        out = {name: getattr(self, name).verdict() for name in DIAGNOSTICS}
        if self.retrieval is not None:
            out["retrieval"] = self.retrieval.verdict()
        return out

    def verdict(self) -> Verdict:
        """The worst diagnostic verdict; its reason is prefixed with the diagnostic's name."""
        name, v = max(self.verdicts().items(), key=lambda kv: severity(kv[1].status))
        return Verdict(v.status, f"{name}: {v.reason}", v.fix, v.decided_by, v.decided_row)

    @property
    def status(self) -> str:
        return self.verdict().status

    def metrics(self) -> list[Metric]:
        a, s, r, nm, h, rs, p = (getattr(self, n) for n in DIAGNOSTICS)
        kx = {"k": self.k}
        rows = [
            Metric("anisotropy", a.mean_cosine),
            Metric("anisotropy_sampled", a.sampled_mean, a.ci_low, a.ci_high),
            Metric("anisotropy_centred", a.centred_mean_cosine),
            Metric("anisotropy_baseline", a.baseline_mean, a.baseline_ci_low, a.baseline_ci_high),
            Metric("isoscore", s.isoscore),
            Metric("isoscore_baseline", s.baseline),
            Metric("isoscore_ratio", s.ratio),
            Metric("rogue_dims", r.top_share, unit="share"),
            Metric("rogue_dims_variance_share", r.top_variance_share, unit="share"),
            Metric("norm_cv", nm.distribution.cv),
            Metric("norm_cv_baseline", nm.distribution.baseline_cv),
            Metric("jaccard_dot_cosine", nm.jaccard_dot_cosine, extra=kx),
        ]
        if nm.spearman is not None:
            rows.append(Metric("norm_spearman", nm.spearman, extra={"attr": nm.attribute}))
        rows += [
            Metric("hubness_skewness", h.raw.skewness, extra=kx),
            Metric("hubness_skewness_centred", h.centred.skewness, extra=kx),
            Metric("hubness_skewness_baseline", h.baseline.skewness, extra=kx),
            Metric("robin_hood", h.raw.robin_hood, extra=kx),
            Metric("robin_hood_centred", h.centred.robin_hood, extra=kx),
            Metric("robin_hood_baseline", h.baseline.robin_hood, extra=kx),
            Metric("hub_share", h.raw.hub_share, unit="share", extra=kx),
            Metric("antihub_share", h.raw.antihub_share, unit="share", extra=kx),
            Metric("k_occurrence_max", h.raw.max_occurrence, unit="rows", extra=kx),
        ]
        if rs.mode == "factors":
            rows += [Metric("rescaling_jaccard", rs.min_jaccard, extra=kx),  # the smallest over the rescalings D
                     Metric("rescaling_invariant_jaccard", rs.invariant_jaccard, extra=kx)]
            for c in rs.cases:
                if c.precision is not None:
                    rows.append(Metric("rescaling_precision", c.precision, extra={"method": c.name, "k": self.k}))
            if rs.invariant_precision is not None:
                rows.append(Metric("rescaling_precision", rs.invariant_precision, extra={"method": "invariant", "k": self.k}))
        else:  # one matrix: the verdict is on the standardised copy; the whitened one is shown beside it
            rows += [Metric("rescaling_jaccard_standardised", rs.cases[1].jaccard, extra=kx),
                     Metric("rescaling_jaccard_whitened", rs.cases[2].jaccard, extra=kx)]
        rows.append(Metric("postprocess_jaccard", min(p.effect("centre").jaccard_with_raw, p.effect("abtt").jaccard_with_raw), extra=kx))
        for t in p.transforms:
            ex = {"method": t.name, "k": self.k}
            rows += [Metric("transform_mean_cosine", t.mean_cosine, extra=ex),
                     Metric("transform_hubness_skewness", t.hub_skewness, extra=ex),
                     Metric("transform_jaccard", t.jaccard_with_raw, extra=ex)]
        status = {}
        for v in self.verdicts().values():
            if v.decided_by and v.decided_by not in status:
                status[v.decided_by] = v.status
        rows = [Metric(m.metric, m.value, m.ci_low, m.ci_high, m.unit, status.get(m.metric, ""), m.extra) for m in rows]
        if self.retrieval is not None:
            rows += self.retrieval.metrics()
        return rows

    def to_dict(self) -> dict:
        """``n_rows``, ``n_dims``, settings, every metric id as a key (a number, or ``{method: number}``
        where rows vary by method; intervals as ``<id>_ci_low``/``<id>_ci_high`` … in ``diagnostics``),
        ``diagnostics`` (each part in full, with its verdict, for plots) and ``retrieval``."""
        out = {"n_rows": self.n_rows, "n_dims": self.n_dims, "k": self.k, "neighbour_rows": self.neighbour_rows,
               "neighbour_ties": self.neighbour_ties, "seed": self.seed}
        for m in self.metrics():
            if m.metric in ("precision_at_k", "recall_at_k", "ndcg_at_k", "precision_gain"):
                continue  # under retrieval
            if "method" in m.extra:
                out.setdefault(m.metric, {})[m.extra["method"]] = m.value
            else:
                out[m.metric] = m.value
        out["anisotropy_sampled"] = {"value": self.anisotropy.sampled_mean, "ci_low": self.anisotropy.ci_low, "ci_high": self.anisotropy.ci_high}
        out["anisotropy_baseline"] = {"value": self.anisotropy.baseline_mean, "ci_low": self.anisotropy.baseline_ci_low,
                                      "ci_high": self.anisotropy.baseline_ci_high}
        out["rogue_dims_top"] = list(self.rogue_dimensions.top_dimensions)
        out["recommended"] = self.postprocessing.recommended
        out["diagnostics"] = {name: getattr(self, name).to_dict() for name in DIAGNOSTICS}
        if self.retrieval is not None:
            out["retrieval"] = self.retrieval.to_dict()
        return jsonable(out)

    def table(self):
        """``diagnostic | value | baseline | verdict | reason``, one row per diagnostic (and per similarity with retrieval)."""
        a, s, r, nm, h, rs, p = (getattr(self, n) for n in DIAGNOSTICS)
        aniso = (ANISOTROPY_WARN, ANISOTROPY_BAD)
        even = 4.0 * r.top / r.n_dims  # the rogue-dimension thresholds never fall below this (as in rogue_dimensions)
        rows = [
            ["anisotropy", f"{shown(a.mean_cosine, *aniso)} (all pairs; sample {fmt(a.sampled_mean)} [{fmt(a.ci_low)}, {fmt(a.ci_high)}]); centred {shown(a.centred_mean_cosine, *aniso)}",
             f"{fmt(a.baseline_mean)} [{fmt(a.baseline_ci_low)}, {fmt(a.baseline_ci_high)}]"],
            ["isoscore", fmt(s.isoscore), fmt(s.baseline)],
            ["rogue_dimensions",
             f"top {r.top} {r.top_dimensions}: {shown(r.top_share, max(ROGUE_WARN, even), max(ROGUE_BAD, even), digits=1, scale=100)} %"
             if r.mean_cosine >= ANISOTROPY_WARN
             else f"top {r.top} {r.top_dimensions}; mean cosine {shown(r.mean_cosine, ANISOTROPY_WARN)} too small to share out",
             f"even: {fmt(100 * r.top / r.n_dims, 1)} %"],
            ["norms", f"CV {fmt(nm.distribution.cv)}; Jaccard@{nm.k} dot/cos {shown(nm.jaccard_dot_cosine, NORM_JACCARD_WARN, NORM_JACCARD_BAD, digits=2)}"
             + (f"; ρ(norm, {nm.attribute}) {shown(nm.spearman, NORM_SPEARMAN_WARN, -NORM_SPEARMAN_WARN, digits=2)}" if nm.spearman is not None else ""),
             f"CV {fmt(nm.distribution.baseline_cv)}; Jaccard 1"],
            ["hubness", f"skew {shown(h.raw.skewness, HUB_SKEW_WARN, HUB_SKEW_BAD, digits=2)} (centred {shown(h.centred.skewness, HUB_SKEW_WARN, HUB_SKEW_BAD, digits=2)}); Robin Hood {fmt(h.raw.robin_hood, 2)}; hubs {fmt(100 * h.raw.hub_share, 1)} %",
             f"skew {fmt(h.baseline.skewness, 2)}; Robin Hood {fmt(h.baseline.robin_hood, 2)}"],
        ]
        if rs.mode == "factors":
            rows.append(["rescaling", f"min Jaccard@{rs.k} over D {shown(rs.min_jaccard, FACTOR_JACCARD_WARN, FACTOR_JACCARD_BAD, digits=2)}", f"Lᵀb: {fmt(rs.invariant_jaccard, 2)}"])
        else:
            rows.append(["rescaling", f"Jaccard@{rs.k} standardised {shown(rs.cases[1].jaccard, SCALE_JACCARD_WARN, SCALE_JACCARD_BAD, digits=2)}, whitened {fmt(rs.cases[2].jaccard, 2)}", "1"])
        post = lambda t: shown(p.effect(t).jaccard_with_raw, POST_JACCARD_WARN, POST_JACCARD_BAD, digits=2)  # noqa: E731
        rows.append(["postprocessing", f"Jaccard@{p.k} centre {post('centre')}, abtt {post('abtt')}, whiten {fmt(p.effect('whiten').jaccard_with_raw, 2)}", "1"])
        for row, name in zip(rows, DIAGNOSTICS):
            v = getattr(self, name).verdict()
            row += [v.status, v.reason]
        if self.retrieval is not None:
            rt = self.retrieval
            raw = rt.scores["cosine"]
            rv = rt.verdict()
            for m in rt.methods:
                sc = rt.scores[m]
                g = sc["precision_gain"]
                rows.append([f"retrieval: {m}",
                             f"P@{rt.k} {fmt(sc['precision_at_k']['value'])} [{fmt(sc['precision_at_k']['ci_low'])}, {fmt(sc['precision_at_k']['ci_high'])}]; "
                             f"R@{rt.k} {fmt(sc['recall_at_k']['value'])}; nDCG@{rt.k} {fmt(sc['ndcg_at_k']['value'])}"
                             + ("" if m == "cosine" else f"; gain {fmt(g['value'])} [{fmt(g['ci_low'])}, {fmt(g['ci_high'])}]"),
                             "" if m == "cosine" else f"P@{rt.k} {fmt(raw['precision_at_k']['value'])} (raw cosine)",
                             "" if m == "cosine" else rt.gain_status(m),
                             rv.reason if m == "cosine" else ""])
        return ["diagnostic", "value", "baseline", "verdict", "reason"], rows

    def fixes(self) -> list[str]:
        """``name: fix`` for every diagnostic that is not ``ok``."""
        return [f"{n}: {v.fix}" for n, v in self.verdicts().items() if v.status not in (OK, "info") and v.fix]


@one_thread_when_small
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
    abtt_components: int | None = None,
    whiten_floor: float | None = None,
    neighbour_sample: int | None = None,
    seed=0,
    backend: str = "auto",
    device: str = "cpu",
    approx: bool = False,
    classes=None,
    relevant=None,
    similarities=None,
    n_bootstrap: int = 1000,
    margin: float | None = None,
    on_step=None,
    confidence: float = 0.95,
    n_components=None,
    floor=None,
) -> CosineReport:
    """Run all seven cosine diagnostics on ``X`` (n_samples, n_features).

    Parameters
    ----------
    k : neighbours per row for every neighbour diagnostic (default 10).
    factors : optional ``(A, B)`` with ``X ≈ A Bᵀ`` (A: n_users × r, B: n_items × r);
        the rescaling diagnostic then uses them, otherwise it rescales ``X`` itself.
    factor_labels : optional class per row of B (precision@k under each rescaling; only with ``factors``).
    attribute : optional numeric per-row attribute (e.g. frequency) for Spearman with the norm (NaN: missing; ±inf is refused).
    n_pairs : random pairs for the sampled anisotropy (default 20000).
    top : how many rogue dimensions to name (default 3).
    abtt_components : all-but-the-top components, a whole number in ``0 … d − 1`` (default ``max(1, round(d/100))``).
    whiten_floor : relative eigenvalue floor for whitening, above 0 (default 1e-6 × λ₁).
    neighbour_sample : run the neighbour diagnostics (norms, hubness, rescaling of
        one matrix, post-processing) on a seeded sample of this many rows (default: all).
    seed : seed for every sampled estimate (an int, a ``numpy.random.Generator`` or None for fresh
        entropy); the report records the int, and None for the other two.
    backend, device : where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`: ``backend="auto"`` (the
        default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"`` or
        ``"auto"``.
    approx : passed to :func:`embgeo.knn.engine.knn`.
    classes : optional class per row: retrieval against labels (:func:`embgeo.cosine.retrieval.retrieval`),
        on the neighbour sample when there is one.
    relevant : optional ``(row, set_of_rows)`` list from relevance judgements (rows ``0 … n − 1`` of ``X``; not
        with a sample; a query's own row is dropped from its set, and a query left without a relevant row is refused).
    similarities : the similarities retrieval compares (default all of ``SIMILARITIES``; ``centre``/``center`` are ``centred``).
    n_bootstrap : bootstrap resamples of the retrieval queries (default 1000).
    confidence : level of the retrieval intervals, strictly between 0 and 1 (default 0.95).
    margin : precision@k gain over raw cosine a similarity's whole interval must clear for ``bad``, in [0, 1] (default 0.02).
    on_step : optional ``callable(name)`` called before each diagnostic (progress).
    n_components, floor : the former names of ``abtt_components`` and ``whiten_floor`` (deprecated).

    Every argument is checked whether or not it is used. ``similarities``, ``n_bootstrap``, ``confidence`` and
    ``margin`` tune the retrieval check, which runs only with ``classes`` or ``relevant``; ``attribute_name``
    names ``attribute``. Given without them (``similarities`` at all, the others at another value than the
    default), they would be ignored, and are refused. ``top`` is at most the column count (the default 3 names
    every dimension of a narrower matrix).

    Returns
    -------
    CosineReport, whose ``verdict()`` is the worst verdict.
    """
    from embgeo.arguments import check_count, check_level
    from embgeo.cosine.isotropy import check_top
    from embgeo.cosine.neighbors import check_attribute_name_given
    from embgeo.cosine.postprocess import check_abtt_components, check_whiten_floor
    from embgeo.cosine.retrieval import DEFAULT_MARGIN, SIMILARITIES, check_margin, check_relevant, similarity_names
    from embgeo.devices import resolve_engine

    abtt_components = renamed_keyword("cosine_diagnostics", "n_components", n_components, "abtt_components", abtt_components)
    whiten_floor = renamed_keyword("cosine_diagnostics", "floor", floor, "whiten_floor", whiten_floor)
    X = as_matrix(X, name="X", min_rows=3, allow_zero_rows=False)
    n, d = X.shape
    k = check_count("k", k, minimum=1)
    backend, device = resolve_engine(backend, device)  # once, before anything is computed ("auto": numpy on the CPU)
    # every argument is checked against X before anything is sampled or computed
    confidence = check_level(confidence)
    top = check_top(top, d)
    n_pairs = check_count("n_pairs", n_pairs, minimum=2, hint="the random pairs of the sampled mean cosine: 2 or more")
    n_bootstrap = check_count("n_bootstrap", n_bootstrap, minimum=0, flag="bootstrap",
                              hint=f"{setting('n_bootstrap', 0, '--bootstrap')}: no intervals")
    abtt_components = check_abtt_components(abtt_components, d)
    whiten_floor = check_whiten_floor(whiten_floor)
    approx = check_flag("approx", approx)
    if margin is not None:
        margin = check_margin(margin)
    check_attribute_name_given(attribute_name, attribute)
    if similarities is not None:
        similarities = similarity_names(similarities, name="similarities")
    retrieval_unused(classes is None and relevant is None, similarities=similarities, n_bootstrap=n_bootstrap,
                     confidence=confidence, margin=None if margin == DEFAULT_MARGIN else margin)
    if factors is not None:
        from embgeo.cosine.rescaling import check_factors

        factors = check_factors(factors, factor_labels, labels_name="factor_labels")
    elif factor_labels is not None:
        raise EmbgeoError("factor_labels label the rows of B in factors=(A, B), but no factors were given",
                          hint="pass factors=(A, B) as well, or drop factor_labels; classes= labels the rows of X")
    if attribute is not None:
        check_attribute_values(attribute)
        try:
            attribute = np.asarray(attribute, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise EmbgeoError(f"attribute '{attribute_name}' is not numeric", hint="pass one number per row (NaN where missing)") from None
        if attribute.size != n:
            raise EmbgeoError(f"attribute '{attribute_name}' has {attribute.size} values for {n} rows",
                              hint="pass one value per row of X, in X's order")
        from embgeo.cosine.neighbors import check_attribute

        check_attribute(attribute, attribute_name)  # ±inf, constant (or < 3 values): refused, as embgeo rank refuses it
    if classes is not None and relevant is not None:
        raise EmbgeoError("classes and relevant both define what is relevant", hint="pass one of them")
    if classes is not None:
        classes = np.asarray(classes, dtype=object).reshape(-1)
        if classes.size != n:
            raise EmbgeoError(f"classes has {classes.size} values for {n} rows", hint="pass one class per row of X, in X's order")
    if classes is not None or relevant is not None:
        similarities = similarities or None
        if relevant is not None:
            relevant = check_relevant(relevant, n)
            if not relevant:
                raise EmbgeoError("no row has a relevant row: no query to evaluate", hint="give relevant=[(row, set_of_rows), …] with rows of X")
    if neighbour_sample is not None and (isinstance(neighbour_sample, (bool, np.bool_))
                                         or not isinstance(neighbour_sample, (int, np.integer)) or neighbour_sample < 1):
        raise EmbgeoError(f"neighbour_sample must be a positive whole number of rows, got {neighbour_sample!r}",
                          hint="e.g. 5000, or None for every row")
    sampled = neighbour_sample is not None and neighbour_sample < n
    if sampled and relevant is not None:
        raise EmbgeoError("relevance judgements name rows of the whole matrix; they cannot be used with a neighbour sample",
                          hint=f"drop {param('neighbour_sample', '--sample')}, or use {param('classes', '--class')}")
    step = on_step or (lambda name: None)
    rng = as_rng(seed)
    seeds = rng.integers(0, 2**31 - 1, size=6)
    Xn, attr_n = X, attribute
    if sampled:
        if neighbour_sample <= k:
            raise EmbgeoError(f"the neighbour sample ({setting('neighbour_sample', neighbour_sample, '--sample')} rows) must exceed {setting('k', k)}",
                              hint=f"raise {param('neighbour_sample', '--sample')} above {k}, or lower {param('k')}")
        rows = seeded_rows(n, neighbour_sample, seed)  # the --sample of every command (embgeo.validation)
        Xn = np.asarray(X[rows])
        attr_n = None if attribute is None else attribute[rows]
    if k >= Xn.shape[0]:
        raise EmbgeoError(f"{setting('k', k) if offers('k') else f'k = {k}'} needs more than {k} rows, got {Xn.shape[0]}",
                          hint=f"lower {param('k')}" if offers("k") else f"give more than {k} rows")
    opts = dict(backend=backend, device=device, approx=approx, seed=int(seeds[0]))

    step("anisotropy")
    aniso = anisotropy(X, n_pairs=n_pairs, seed=int(seeds[1]))
    step("isoscore")
    spec = spectrum(X)  # one float64 eigendecomposition for IsoScore, all-but-the-top and whitening
    if not spec.eigenvalues.max() > 0 or bool(np.all(X == X[0])):  # every row the same vector (the eigenvalues then hold
        raise zero_variance("X")                                    # only rounding): no direction to measure or whiten
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
        A, B = factors  # checked (a pair of matrices of one rank) before anything was computed
        resc = factor_rescaling(A, B, k=k, classes=factor_labels, seed=int(seeds[3]), backend=backend, device=device, approx=approx)
    else:
        resc = dimension_rescaling(Xn, k=k, raw_neighbors=raw_nb, whiten_floor=whiten_floor, spec=spec_n, **opts)
    step("postprocessing")
    post = postprocessing(Xn, k=k, abtt_components=abtt_components, whiten_floor=whiten_floor, raw_neighbors=raw_nb, centred_neighbors=cen_nb,
                          spec=spec_n, **opts)
    parts = dict(anisotropy=aniso, isoscore=iso, rogue_dimensions=rogue, norms=nrm, hubness=hub, rescaling=resc, postprocessing=post)
    ret = None
    if classes is not None or relevant is not None:
        from embgeo.cosine.retrieval import retrieval

        step("retrieval")
        if Xn is not X and classes is not None:
            classes = classes[rows]
        ret = retrieval(Xn, classes=classes, relevant=relevant, k=k, methods=similarities or SIMILARITIES, abtt_components=abtt_components,
                        whiten_floor=whiten_floor, n_bootstrap=n_bootstrap, confidence=confidence, seed=int(seeds[4]),
                        **({} if margin is None else {"margin": margin}))
    recorded = int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)) else None
    return CosineReport(n, d, int(k), int(Xn.shape[0]), recorded, **parts, retrieval=ret, neighbour_ties=raw_nb.n_tied_kth)


def retrieval_unused(unused: bool, *, similarities, n_bootstrap: int, confidence: float, margin) -> None:
    """Refuse the retrieval settings given while no retrieval runs (``unused``: neither ``classes`` nor
    ``relevant``): ``similarities`` when given at all, ``n_bootstrap``/``confidence``/``margin`` at another value
    than the default (``margin``: None for its default). From Python only: the command line passes its
    ``--bootstrap``/``--confidence``/``--margin`` whether or not ``--class``/``--qrels`` is given."""
    if not unused:
        return
    if similarities is not None:  # (the command line passes it only with --class/--qrels: it refuses -m alone itself)
        raise EmbgeoError("similarities picks the similarities of the retrieval check, which runs only with classes or relevant; "
                          "it would be ignored", hint="pass classes=… (a class per row) or relevant=[(row, rows), …], or leave similarities out")
    given = [f"{name}={value!r}" for name, value, default in (("n_bootstrap", n_bootstrap, 1000), ("confidence", confidence, 0.95),
                                                                ("margin", margin, None)) if value != default]
    if given and surface() == "python":
        one = len(given) == 1
        raise EmbgeoError(f"{', '.join(given)} {'tunes' if one else 'tune'} the retrieval check, which runs only with classes or relevant; "
                          f"{'it' if one else 'they'} would be ignored",
                          hint="pass classes=… (a class per row) or relevant=[(row, rows), …], or leave "
                               + ("it at its default" if one else "them at their defaults"))


__all__ = [
    "CosineReport", "Verdict", "cosine_diagnostics", "DIAGNOSTICS", "OK", "WARN", "BAD",
    "anisotropy", "isoscore", "isoscore_from_variances", "rogue_dimensions", "norms", "hubness",
    "factor_rescaling", "dimension_rescaling", "invariant_factors", "postprocessing", "postprocess",
    "center", "all_but_the_top", "whiten", "standardise",
]
