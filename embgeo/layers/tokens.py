"""Geometry of token clouds, per text and per layer.

After Viswanathan, Gardinazzi, Panerai, Ansuini, Cazzaniga & Biagetti (2025), *The geometry
of tokens in internal representations of large language models*, and its reference code
(DADApy's GRIDE and TwoNN on the tokens of one prompt). For every text ``i`` and layer ``l``
the cloud is that text's ``T_i`` token vectors:

* **GRIDE** (:func:`embgeo.intrinsic.estimators.gride_dimension`): duplicate tokens dropped
  by value, neighbour ranks ``n2 = 2, 4, …`` up to ``min(gride_max, T_distinct − 2)``
  (``gride_max`` 256 as the reference's ``range_max``); the headline is the estimate at the
  largest scale the text reaches (the whole curve is kept);
* **TwoNN** (:func:`embgeo.intrinsic.estimators.twonn_dimension`, censored MLE, 10 % discarded);
* **neighbourhood overlap** ``χ_l(k) = (1/T) Σ_t |N_l^k(t) ∩ N_{l+1}^k(t)| / k`` between
  layer ``l`` and ``l+1`` for ``k = 1 … 31`` (Euclidean neighbours among the text's tokens);
* **cosine**: mean and standard deviation of ``cos(x_s, x_t)`` over token pairs ``s < t``.

Each quantity is aggregated over texts as mean ± sd (texts too short for an estimate are
left out and counted). ``loss`` (one value per text) gives ``Spearman(GRIDE, loss)`` per layer.
:func:`block_shuffle` is the reference's control: the input tokens of a text cut into ``4^s``
contiguous blocks (``s = 0 … 5``) put in random order before the model runs
(``embgeo extract --shuffle-blocks S``).
"""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.validation import as_rng

GRIDE_MAX = 256
OVERLAP_MAX_K = 31
SHUFFLE_LEVELS = tuple(range(6))


def block_shuffle(n: int, s: int, seed=0) -> np.ndarray:
    """A permutation of ``range(n)``: cut into ``min(4^s, n)`` contiguous blocks, shuffled (``s`` in
    :data:`SHUFFLE_LEVELS`, 0 … 5, as the reference; ``n`` ≥ 0)."""
    from embgeo.arguments import check_count

    n = check_count("n", n, minimum=0, hint="n is the number of tokens to permute")
    if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or int(s) not in SHUFFLE_LEVELS:
        raise EmbgeoError(f"shuffle level s must be an integer in {SHUFFLE_LEVELS[0]} … {SHUFFLE_LEVELS[-1]}; got {s!r}",
                          hint=f"use {SHUFFLE_LEVELS[0]} … {SHUFFLE_LEVELS[-1]} (4^s blocks)")
    rng = as_rng(seed)
    if n <= 1:
        return np.arange(n)
    blocks = np.array_split(np.arange(n), min(4 ** int(s), n))
    order = rng.permutation(len(blocks))
    return np.concatenate([blocks[j] for j in order])


def pairwise_cosine(X) -> tuple[float, float]:
    """Mean and (population) sd of the cosine of every token pair ``s < t`` (zero rows left out; ``X``: T × D,
    at least one row, NaN/inf refused; NaN with fewer than 2 non-zero rows)."""
    from embgeo.layers.entropy import cloud_matrix

    X = cloud_matrix(X, name="tokens")
    nrm = np.linalg.norm(X, axis=1)
    U = X[nrm > 0] / nrm[nrm > 0, None]
    if U.shape[0] < 2:
        return float("nan"), float("nan")
    C = U @ U.T
    v = C[np.triu_indices(U.shape[0], 1)]
    return float(v.mean()), float(v.std())


def overlap_curve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``χ(k)`` for ``k = 1 … K`` from two ``(T, K)`` neighbour index arrays (ascending distance)."""
    from embgeo.intrinsic.layers import neighbourhood_overlap

    K = a.shape[1]
    return np.array([neighbourhood_overlap(a[:, :k], b[:, :k]).mean() for k in range(1, K + 1)])


def cloud_dimensions(X, *, gride_max: int = GRIDE_MAX, seed=0) -> dict:
    """GRIDE curve and headline and TwoNN of one token cloud (NaN when it is too small, or when more than
    :data:`~embgeo.intrinsic.estimators.TIE_MAX_SHARE` of its tokens have tied nearest distances r1 = r2:
    ``tied`` is then True)."""
    from embgeo.intrinsic.estimators import TIE_MAX_SHARE, gride_dimension, prepare_points, tied_points, twonn_dimension
    from embgeo.knn.engine import knn

    out = {"gride": float("nan"), "twonn": float("nan"), "gride_curve": {}, "n_distinct": 0, "tied": False}
    Xu, _, _ = prepare_points(np.asarray(X, dtype=np.float64), min_rows=1)
    n = Xu.shape[0]
    out["n_distinct"] = int(n)
    if n < 4:
        return out
    k = int(min(gride_max, n - 2))
    nb = knn(Xu, max(k, 2), seed=seed, check_duplicates=False)
    if np.count_nonzero(tied_points(nb.distances)) > TIE_MAX_SHARE * n:  # quantised cloud: the ratio estimators refuse it
        out["tied"] = True
        return out
    tw = twonn_dimension(neighbors=nb, n_bootstrap=0, seed=seed)
    out["twonn"] = float(tw.dimension)
    if k >= 2:
        g = gride_dimension(neighbors=nb, gride_max=k)
        out["gride_curve"] = {int(b): float(d) for b, d in zip(g.n2, g.dimension)}
        out["gride"] = float(g.dimension[-1])
    return out


def token_geometry(clouds, *, gride_max: int = GRIDE_MAX, overlap_max_k: int = OVERLAP_MAX_K, loss=None, seed=0, progress=None) -> dict:
    """Per-layer aggregates (mean, sd over texts) of GRIDE, TwoNN, pairwise cosine and the
    overlap curve to the next layer; ``loss`` (n values) adds Spearman(GRIDE, loss) per layer.

    Returns a dict of arrays: ``gride``, ``gride_sd``, ``twonn``, ``twonn_sd``, ``cosine_mean``,
    ``cosine_mean_sd``, ``cosine_sd``, ``n_texts_id`` (L), ``n_texts_tied``, ``n_texts_short``, ``overlap`` and ``overlap_sd``
    ((L−1) × K), ``gride_curve`` (per layer: n2 → mean), ``per_text_gride`` (n × L) and, with
    ``loss``, ``loss_spearman`` and ``loss_pvalue`` (L).
    """
    from embgeo.knn.engine import knn

    if not (isinstance(gride_max, (int, np.integer)) and gride_max >= 2):
        raise EmbgeoError(f"gride_max must be an integer ≥ 2; got {gride_max!r}")
    if not (isinstance(overlap_max_k, (int, np.integer)) and overlap_max_k >= 1):
        raise EmbgeoError(f"overlap_max_k must be a positive integer; got {overlap_max_k!r}")
    L, n = clouds.n_layers, clouds.n_texts
    if loss is not None:
        loss = np.asarray(loss, dtype=np.float64)
        if loss.shape != (n,):
            raise EmbgeoError(f"loss needs one value per text ({n}); got {loss.shape}")
    g = np.full((n, L), np.nan)
    tw = np.full((n, L), np.nan)
    cm = np.full((n, L), np.nan)
    cs = np.full((n, L), np.nan)
    K = int(overlap_max_k)
    ov = np.full((n, max(L - 1, 0), K), np.nan)
    curves = [dict() for _ in range(L)]
    tied = np.zeros((n, L), dtype=bool)
    for i in range(n):
        prev = None
        for l in range(L):
            X = clouds.cloud(l, i)
            dims = cloud_dimensions(X, gride_max=int(gride_max), seed=seed)
            g[i, l], tw[i, l], tied[i, l] = dims["gride"], dims["twonn"], dims["tied"]
            for n2, v in dims["gride_curve"].items():
                curves[l].setdefault(n2, []).append(v)
            cm[i, l], cs[i, l] = pairwise_cosine(X)
            k = min(K, X.shape[0] - 1)
            idx = knn(X, k, seed=seed, check_duplicates=False).indices if k >= 1 else None
            if prev is not None and idx is not None:
                ov[i, l - 1, :k] = overlap_curve(prev, idx)
            prev = idx
        if progress is not None:
            progress(1)

    def ms(a):
        with np.errstate(all="ignore"), _quiet():
            cnt = np.sum(np.isfinite(a), axis=0)
            mean = np.nanmean(a, axis=0)
            sd = np.where(cnt > 1, np.nanstd(a, axis=0, ddof=1), np.nan)
        return mean, sd

    out = {}
    out["gride"], out["gride_sd"] = ms(g)
    out["twonn"], out["twonn_sd"] = ms(tw)
    out["cosine_mean"], out["cosine_mean_sd"] = ms(cm)
    out["cosine_sd"], _ = ms(cs)
    out["overlap"], out["overlap_sd"] = ms(ov) if L > 1 else (np.empty((0, K)), np.empty((0, K)))
    out["n_texts_id"] = np.sum(np.isfinite(g), axis=0)
    out["n_texts_tied"] = int(np.any(tied, axis=1).sum())  # texts whose cloud is quantised in some layer
    out["n_texts_short"] = int(np.any(~np.isfinite(g) & ~tied, axis=1).sum())  # texts too small for an ID in some layer
    out["gride_curve"] = [{n2: float(np.mean(v)) for n2, v in sorted(c.items())} for c in curves]
    out["per_text_gride"] = g
    if loss is not None:
        from scipy.stats import spearmanr

        rho, pv = np.full(L, np.nan), np.full(L, np.nan)
        for l in range(L):
            ok = np.isfinite(g[:, l]) & np.isfinite(loss)
            if ok.sum() >= 3 and np.ptp(g[ok, l]) > 0 and np.ptp(loss[ok]) > 0:
                r = spearmanr(g[ok, l], loss[ok])
                rho[l], pv[l] = float(r.statistic), float(r.pvalue)
        out["loss_spearman"], out["loss_pvalue"] = rho, pv
    return out


class _quiet:
    """Silence numpy's 'mean of empty slice' warnings (an all-NaN column is a NaN aggregate)."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)
