"""All intrinsic-dimension estimators on one matrix, sharing one neighbour search.

:func:`intrinsic_dimension` samples rows (seeded, :mod:`~embgeo.intrinsic.sampling`), drops
exact duplicates for the ratio estimators, runs :func:`embgeo.knn.engine.knn` once with the
largest ``k`` any asked method needs (:mod:`~embgeo.intrinsic.methods`), and hands the
distances to TwoNN, MLE, GRIDE and the calibrated estimator; PCA, RankMe and matrix entropy
share one float64 scatter spectrum. It returns an :class:`~embgeo.intrinsic.result.IntrinsicReport`,
which says which estimate to read and why, and gives the verdict.

The registry, sampling and report names are importable from here too (the distributed path
reads them through this module).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from embgeo.arguments import check_count, check_flag, check_level
from embgeo.errors import EmbgeoError, param, setting
from embgeo.intrinsic.corrected import calibrated_dimension
from embgeo.intrinsic.estimators import (
    TIE_MAX_SHARE, check_bootstrap, check_discard, gride_dimension, high_id_note, mle_dimension, noise_note, prepare_points, twonn_dimension,
)
from embgeo.intrinsic.methods import (
    METHODS, NEIGHBOR_METHODS, PEER_MLE_K, PEER_TWONN_DISCARD, SPECTRAL_METHODS, check_enough_rows, neighbors_needed, parse_methods,
)
from embgeo.intrinsic.result import Estimate, IntrinsicReport, Plateau, gride_plateau
from embgeo.intrinsic.sampling import SAMPLE_DETAIL, SampleCheck, sample_check, sample_rows, take_rows
from embgeo.intrinsic.spectral import matrix_entropy, pca_dimension, rankme, scatter_spectrum
from embgeo.knn.engine import Neighbors, knn
from embgeo.validation import as_matrix, check_seed, sample_note

__all__ = [
    "intrinsic_dimension", "IntrinsicReport", "Estimate", "Plateau", "gride_plateau", "SampleCheck", "sample_check",
    "sample_rows", "take_rows", "parse_methods", "check_enough_rows", "neighbors_needed", "prepare_points", "METHODS",
    "NEIGHBOR_METHODS", "SPECTRAL_METHODS", "PEER_MLE_K", "PEER_TWONN_DISCARD", "high_id_note", "noise_note",
]


#: TwoNN's estimates (``twonn_variant``; ``variant`` of :func:`~embgeo.intrinsic.estimators.twonn_dimension`)
TWONN_VARIANTS = ("mle", "linear")


def check_settings(*, k, gride_max, twonn_variant, n_bootstrap) -> tuple[int, int, str, int]:
    """``(k, gride_max, twonn_variant, n_bootstrap)`` checked before anything is computed (shared by
    :func:`intrinsic_dimension` and :func:`~embgeo.intrinsic.layers.layer_dimensions`); each message names
    the keyword (``gride_max``) from Python and the option (``--gride-max``) on the command line."""
    k = check_count("k", k, minimum=3, hint="MLE averages the neighbour orders k/2..k")
    gride_max = check_count("gride_max", gride_max, minimum=2, hint="GRIDE's largest order n2 = 2·n1 is at least 2")
    if not isinstance(twonn_variant, str) or twonn_variant not in TWONN_VARIANTS:
        raise EmbgeoError(f"{param('twonn_variant', 'variant')} must be 'mle' or 'linear'; got {twonn_variant!r}",
                          hint=f"e.g. {setting('twonn_variant', 'linear', 'variant')} for Facco's linear fit")
    n_bootstrap = check_bootstrap(n_bootstrap)
    return k, gride_max, twonn_variant, n_bootstrap


def intrinsic_dimension(
    X,
    *,
    methods=("twonn", "mle", "gride", "pca", "rankme", "entropy"),
    k: int = 20,
    gride_max: int = 64,
    discard_fraction: float = 0.1,
    twonn_variant: str = "mle",
    n_bootstrap: int = 200,
    sample: int | None = None,
    approx: bool = False,
    seed=0,
    duplicates: str = "drop",
    metric: str = "euclidean",
    backend: str = "auto",
    device: str = "cpu",
    neighbors: Neighbors | None = None,
    peers: bool = True,
    check_sample: bool | None = None,
    progress=None,
    kernel_rate: bool = False,
    confidence: float = 0.95,
) -> IntrinsicReport:
    """Run the asked estimators on ``X`` (n_rows, n_dims) with one kNN search.

    Parameters
    ----------
    methods : the estimators, a name, a comma list or a sequence: ``twonn``, ``mle``, ``gride``,
        ``calibrated`` (opt-in: its first call at a given n measures reference curves), ``pca``,
        ``rankme``, ``entropy``, or ``all`` (every one but ``calibrated``). Default: all six.
    k : the MLE's upper neighbour order (k1 = ⌈k/2⌉: the Levina–Bickel 10..20 by default).
    gride_max : the largest GRIDE order n2 (n1 = 1, 2, 4, …; n2 = 2·n1); default 64.
    discard_fraction : TwoNN's share of the largest ratios r2/r1 censored (default 0.1).
    twonn_variant : TwoNN's estimate: ``"mle"`` (censored maximum likelihood, default) or ``"linear"`` (Facco's fit).
    n_bootstrap : bootstrap replicates of the TwoNN, MLE and calibrated intervals (default 200; 0: none,
        TwoNN then reports its exact χ² interval).
    sample : estimate on a seeded random subset of that many rows (None: every row).
    approx : approximate neighbours (pynndescent) with a measured recall, for large n.
    seed : seeds the sample, the bootstraps and an approximate search.
    duplicates : ``"drop"`` (default: exact duplicate rows dropped, first copy kept, counted in
        ``n_duplicates_dropped``) or ``"error"``.
    metric : ``"euclidean"`` (default) or ``"cosine"`` (chord distances between the normalised rows).
    backend, device : where the neighbour search runs, as in :func:`embgeo.knn.engine.knn`: ``backend="auto"`` (the
        default) is numpy on the CPU and torch on a GPU; ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"`` or
        ``"auto"``.
    neighbors : a search already done on exactly these (deduplicated, sampled) rows, reused.
    peers : add the peers' defaults on the same neighbours (default True): ``twonn_linear`` (linear fit,
        discard 0.1: skdim ``TwoNN()``, DADApy ``compute_id_2NN()``) and ``mle_k20`` (skdim ``MLE()``,
        k = 20), each left out when it equals embgeo's own row.
    check_sample : re-estimate TwoNN on a seeded half of the used rows (True/False; default None: when ``sample`` is
        smaller than the data): on data with structure at several scales the estimate depends on n.
    progress : an optional callable ``advance(k)`` told how many rows the search has done.
    kernel_rate : keep the exact search's achieved GEMM rate as a fraction of this machine's sgemm rate
        in ``knn_rate`` (default False: it measures the sgemm rate once, ~0.1 s).
    confidence : the level of every interval (0.95): the bootstrap percentiles, TwoNN's exact χ²
        interval, GRIDE's normal intervals, the calibrated estimate's; the verdict compares them.

    The report's ``n_rows`` is the rows measured (after ``sample``) and ``n_rows_in`` the rows given.
    """
    methods = parse_methods(methods)
    confidence = check_level(confidence)
    k, gride_max, twonn_variant, n_bootstrap = check_settings(k=k, gride_max=gride_max, twonn_variant=twonn_variant, n_bootstrap=n_bootstrap)
    discard_fraction = check_discard(discard_fraction)
    approx, peers, kernel_rate = check_flag("approx", approx), check_flag("peers", peers), check_flag("kernel_rate", kernel_rate)
    if check_sample is not None:
        check_sample = check_flag("check_sample", check_sample)
    check_seed(seed)  # (every method reads it only with a sample, a bootstrap or an approximate search)
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
    if check_sample is None:
        check_sample = rows is not None
    results: dict = {}
    dropped = 0
    n_used = X.shape[0]
    nb_summary = None
    notes = [high_id_note()]
    nb_methods = [m for m in methods if m in NEIGHBOR_METHODS]
    if nb_methods:
        need = neighbors_needed(nb_methods, k=int(k), gride_max=int(gride_max))
        check_enough_rows(X.shape[0], nb_methods, k=int(k), gride_max=int(gride_max))
        Xd, _, dropped = prepare_points(X, min_rows=need + 2, duplicates=duplicates)
        n_used = Xd.shape[0]
        peer_k = PEER_MLE_K if (peers and "mle" in methods and n_used >= PEER_MLE_K + 2) else 0
        if neighbors is None or neighbors.k < need or neighbors.n_query != Xd.shape[0]:
            neighbors = knn(Xd, max(need, peer_k), metric=metric, approx=approx, seed=seed, backend=backend, device=device,
                            check_duplicates=False, progress=progress)
        nb_summary = neighbors.to_dict()
        if kernel_rate:
            results["knn_rate"] = neighbors.sgemm_fraction()
        common = {"neighbors": neighbors, "seed": seed}
        if "twonn" in methods:
            results["twonn"] = twonn_dimension(discard_fraction=discard_fraction, variant=twonn_variant, n_bootstrap=n_bootstrap, confidence=confidence, **common)
            if peers and not (twonn_variant == "linear" and discard_fraction == PEER_TWONN_DISCARD):
                results["twonn_linear"] = twonn_dimension(discard_fraction=PEER_TWONN_DISCARD, variant="linear", n_bootstrap=n_bootstrap, confidence=confidence, **common)
        if "mle" in methods:
            results["mle"] = mle_dimension(k1=max(2, (int(k) + 1) // 2), k2=int(k), n_bootstrap=n_bootstrap, confidence=confidence, **common)
            if peer_k:
                peer_nb = neighbors if neighbors.k >= PEER_MLE_K else knn(
                    Xd, PEER_MLE_K, metric=metric, approx=approx, seed=seed, backend=backend, device=device, check_duplicates=False)
                results["mle_k20"] = mle_dimension(k1=PEER_MLE_K, k2=PEER_MLE_K, n_bootstrap=n_bootstrap, confidence=confidence, neighbors=peer_nb, seed=seed)
            elif peers:
                notes.append(f"note: the peers' MLE at k = {PEER_MLE_K} needs {PEER_MLE_K + 2} distinct rows; left out")
        if "gride" in methods:
            results["gride"] = gride_dimension(neighbors=neighbors, gride_max=int(gride_max), confidence=confidence)
        if "calibrated" in methods:
            results["calibrated"] = calibrated_dimension(Xd, neighbors=neighbors, n_dims=int(X.shape[1]), n_bootstrap=n_bootstrap, confidence=confidence, seed=seed)
        for m in list(results):
            if m != "knn_rate":
                results[m] = dataclasses.replace(results[m], n_duplicates_dropped=dropped)
        if check_sample and "twonn" in results:
            results["sample_check"] = sample_check(Xd, results["twonn"], seed=seed, discard_fraction=discard_fraction, metric=metric,
                                                   approx=approx, backend=backend, device=device, confidence=confidence)
    if any(m in methods for m in ("rankme", "entropy")):
        raw = scatter_spectrum(X, center=False)
        if "rankme" in methods:
            results["rankme"] = rankme(X, eigenvalues=raw)
        if "entropy" in methods:
            results["entropy"] = matrix_entropy(X, eigenvalues=raw)
    if "pca" in methods:
        results["pca"] = pca_dimension(X)
    if "gride" in methods:
        notes.append(noise_note())
    if dropped:
        notes.append(f"note: {dropped} exact duplicate rows were dropped before the ratio estimators (they make r1 = 0)")
    tw = results.get("twonn")
    if tw is not None and tw.n_ties:
        notes.append(f"note: {tw.n_ties} of {tw.n_points} points ({tw.n_ties / tw.n_points:.1%}) have their two nearest neighbours at the "
                     "same distance (r1 = r2, a ratio of exactly 1: probability 0 for continuous data); TwoNN and GRIDE at n2 = 2 leave "
                     f"them out (more than {TIE_MAX_SHARE:.0%} ties: the data look quantised and the ratio estimators refuse)")
    note = sample_note(sample, n_rows, seed, detail=SAMPLE_DETAIL if nb_methods else "")
    if note is not None:
        notes.append(note)
    if neighbors is not None and not neighbors.exact and neighbors.recall is not None:
        notes.append(f"note: approximate neighbours; measured recall {neighbors.recall:.3f} on {neighbors.recall_sample} queries")
    return IntrinsicReport(int(X.shape[0]), int(n_used), int(dropped), rows is not None, methods, neighbors=nb_summary, notes=tuple(notes),
                           n_dims=int(X.shape[1]), n_rows_in=int(n_rows), confidence=float(confidence), **results)
