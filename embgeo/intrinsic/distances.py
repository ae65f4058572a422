"""Neighbour distances for the ratio estimators (TwoNN, MLE, GRIDE, the calibrated TwoNN), and their notes.

:func:`prepare_points` finds exact duplicate rows by value and drops them (or refuses them);
:func:`neighbor_distances` reads the distances of one :func:`embgeo.knn.engine.knn` search (cosine
neighbours as chords) and refuses distances of 0; :func:`tied_points` and :func:`check_ties` find
the points whose two nearest neighbours tie (quantised data). :mod:`embgeo.intrinsic.estimators`
re-exports every name here.
"""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.knn.engine import Neighbors, drop_duplicates, find_duplicates, knn
from embgeo.validation import as_matrix


def high_id_note() -> str:
    """The note of every estimate: high dimensions are underestimated."""
    calibrated = either("methods='calibrated'", "-m calibrated")
    return ("note: every intrinsic-dimension estimator underestimates high dimensions "
            "(the curse of dimensionality needs exponentially many points; a 70-d cube reads about 40-45 at n = 10^4); "
            f"read estimates above ~20 as lower bounds, or read the calibrated estimate ({calibrated}), which removes this bias")


def noise_note() -> str:
    """The note of an estimate whose local estimators read above the global ones (ambient noise)."""
    return ("note: ambient noise inflates local estimators at small scales; compare the GRIDE scale curve "
            f"(and {param('sample')} sizes) and trust the plateau")


def dedupe_hint() -> str:
    """How to drop exact duplicate rows, as the caller writes it."""
    return either("duplicates='drop'", "--dedupe")


DUPLICATE_POLICIES = ("drop", "error")

#: a ratio r₂/r₁ within this relative distance of 1 is a tie (r₁ = r₂, μ = 1): exact for distances
#: recomputed in float64 (the engine recomputes every reported distance so), and wide enough for their round-off
TIE_RTOL = 1e-9
#: above this share of points whose two nearest neighbours tie, the distances are quantised and the
#: ratio estimators refuse (below it, TwoNN and GRIDE at n2 = 2 leave the tied points out, with a note)
TIE_MAX_SHARE = 0.10


# --------------------------------------------------------------------------- shared helpers


def prepare_points(X, *, min_rows: int, duplicates: str = "drop", name: str = "X", needs=None) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate ``X`` and handle exact duplicate rows: ``(X_kept, kept_rows, n_dropped)``.

    Ratio estimators need every nearest distance > 0. Duplicates are found by
    value (never by a distance threshold) and dropped, keeping the first copy.
    ``needs``: ``(keyword, value, flag)`` of the setting that asks for ``min_rows`` rows (``("k2", 20, None)``),
    named in the error for too few rows (None: no keyword to name).
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise EmbgeoError(f"duplicates must be one of {', '.join(DUPLICATE_POLICIES)}; got {duplicates!r}")
    X = as_matrix(X, name=name, min_rows=1)
    report = find_duplicates(X)
    n = X.shape[0]
    if report.n_duplicate_rows:
        distinct = n - report.n_duplicate_rows
        if duplicates == "error":
            raise EmbgeoError(
                f"{name} has {report.n_duplicate_rows} exact duplicate rows (e.g. row {int(report.duplicate_rows[0])}); "
                "ratio estimators need distinct points",
                hint=f"pass {dedupe_hint()}",
            )
        if distinct < min_rows:
            raise EmbgeoError(
                f"{name} has only {distinct} distinct rows among {n} (all others are exact duplicates); this needs at least {min_rows}{_for(needs)}",
                hint="intrinsic dimension is undefined for repeated points; check how the embeddings were saved",
            )
        X, kept, _ = drop_duplicates(X, report=report)
        return X, kept, int(report.n_duplicate_rows)
    if n < min_rows:
        raise EmbgeoError(f"{name} has {n} rows; this needs at least {min_rows}{_for(needs)}",
                          hint="pass more rows" + (f", or lower {param(needs[0], needs[2])}" if needs else ""))
    return X, np.arange(n), 0


def _for(needs) -> str:
    """`` (k2=20 neighbours, plus 2)``: the setting that asks for the rows (``needs`` of :func:`prepare_points`), or nothing."""
    return f" ({setting(needs[0], needs[1], needs[2])} neighbours, plus 2)" if needs else ""


def neighbor_distances(X, k: int, *, neighbors: Neighbors | None, duplicates: str, approx: bool, seed, metric: str, backend: str, device: str,
                       name: str, needs=None):
    """``(distances (n, ≥k), duplicates dropped, recall)`` from ``neighbors`` or a fresh search on deduplicated ``X``;
    ``recall`` is the measured recall of those neighbours when they are approximate (None: exact ones). ``needs``:
    the setting that asks for ``k`` neighbours, as in :func:`prepare_points` (named when there are too few)."""
    if neighbors is not None:
        if neighbors.k < k:
            asked = f" ({setting(needs[0], needs[1], needs[2])})" if needs else ""
            raise EmbgeoError(f"the given neighbours hold k={neighbors.k}; this estimator needs k={k}{asked}", hint="search with a larger k")
        D = _metric_distances(neighbors.distances[:, :k], neighbors.metric)
        dropped, nb = 0, neighbors
    else:
        X, _, dropped = prepare_points(X, min_rows=k + 2, duplicates=duplicates, name=name, needs=needs)
        nb = knn(X, k, metric=metric, approx=approx, seed=seed, backend=backend, device=device, check_duplicates=False)
        D = _metric_distances(nb.distances, metric)
    _check_distances(D)
    return D, dropped, (None if nb.exact else nb.recall)


def _metric_distances(D: np.ndarray, metric: str) -> np.ndarray:
    """Distances the ratio estimators can use. The engine reports cosine neighbours at
    ``1 − cos``, which is *not* a distance (on unit vectors it is ‖x − y‖²/2, so every
    ratio r₂/r₁ would be squared and the ID halved); the chord ``√(2(1 − cos))`` is the
    Euclidean distance between the normalised rows."""
    if metric == "cosine":
        return np.sqrt(2.0 * np.maximum(D, 0.0))
    if metric == "dot":
        raise EmbgeoError("intrinsic dimension needs a distance; the dot product is not one", hint="use metric='euclidean' or 'cosine'")
    return D


def _check_distances(D: np.ndarray) -> None:
    if D.ndim != 2 or D.shape[0] < 3:
        raise EmbgeoError(f"need neighbour distances for at least 3 points; got shape {D.shape}")
    zero = np.flatnonzero(D[:, 0] <= 0.0)
    if zero.size:
        raise EmbgeoError(
            f"{zero.size} points have a neighbour at distance 0 (e.g. point {int(zero[0])}); ratio estimators need distinct points",
            hint=f"drop exact duplicates first ({dedupe_hint()})",
        )
    check_ties(D)


def tied_points(D: np.ndarray) -> np.ndarray:
    """Boolean mask of the points whose first two neighbour distances tie: ``r₂ − r₁ ≤ TIE_RTOL · r₂``
    (``μ = r₂/r₁ = 1``, ``log μ = 0``). For continuous data a tie has probability 0."""
    D = np.asarray(D, dtype=np.float64)
    return (D[:, 1] - D[:, 0]) <= TIE_RTOL * D[:, 1]


def check_ties(D: np.ndarray, *, max_share: float = TIE_MAX_SHARE) -> int:
    """The number of tied points (:func:`tied_points`); raise when more than ``max_share`` of them tie.

    Ties among distinct points mean the distances take few values (binary, integer or otherwise
    quantised embeddings): the ratio μ = 1 is an artefact of the lattice, not of the manifold, and
    every ratio estimator (TwoNN, MLE, GRIDE) reads the lattice instead of the dimension.
    """
    if D.ndim != 2 or D.shape[1] < 2:
        return 0
    tied = int(np.count_nonzero(tied_points(D)))
    n = int(D.shape[0])
    if tied > max_share * n:
        share = tied / n
        n_values = int(np.unique(np.round(np.asarray(D[:, :2], dtype=np.float64), 9)).size)
        raise EmbgeoError(
            f"{share:.0%} of the points ({tied} of {n}) have their two nearest neighbours at the same distance (r1 = r2; "
            f"the nearest distances take {n_values} distinct value{'' if n_values == 1 else 's'}): the data look quantised "
            f"(binary or integer embeddings), and the ratio estimators (TwoNN, MLE, GRIDE) need continuous distances "
            f"(they refuse above {max_share:.0%} ties)",
            hint="estimate on the embeddings before quantisation, or read the spectral measures only: "
                 + either("methods=('pca', 'rankme', 'entropy')", "-m pca,rankme,entropy"),
        )
    return tied
