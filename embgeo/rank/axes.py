"""Rank axes: directions ``w`` in embedding space whose projection ``x·w`` orders
the rows by an ordinal attribute ``y``.

Reference: Sonthalia et al., *On the rankability of visual embeddings* — regression
axes, few-shot axes from a handful of labelled rows, and two-extremes axes.

Every fitter takes a preprocessed training matrix ``X`` of shape (n_samples,
n_features) (see :func:`preprocess`) and returns an axis of shape (n_features,)
oriented so that larger ``x·w`` means larger ``y``. Fitters that only look at the
*order* of ``y`` (extremes, top/bottom-q means) are invariant to monotone
transforms of the attribute; the ridge fitters are not.
"""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError, param, setting

#: ridge penalties, relative to the mean non-zero eigenvalue of XᵀX (see :func:`ridge_axis`)
RELATIVE_ALPHAS = tuple(10.0 ** np.arange(-4.0, 4.5, 0.5))


def preprocess(X: np.ndarray, *, mean: np.ndarray | None = None, normalize: bool = True) -> np.ndarray:
    """``x ↦ (x − mean) / ‖x − mean‖₂`` row by row, in float64.

    ``mean`` (n_features,) is fitted on the training rows by the caller (``None``:
    no centring); ``normalize=False`` skips the L2 step. Rows that are zero after
    centring stay zero.
    """
    Z = np.array(X, dtype=np.float64)
    if mean is not None:
        Z -= mean
    if normalize:
        norms = np.linalg.norm(Z, axis=1, keepdims=True)
        np.divide(Z, norms, out=Z, where=norms > 0)
    return Z


def unit(w: np.ndarray) -> np.ndarray:
    """``w / ‖w‖`` (a zero vector stays zero)."""
    n = float(np.linalg.norm(w))
    return w / n if n > 0 else w


def _order(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row indices sorted by ``y``, ties broken at random (seeded)."""
    return np.lexsort((rng.permutation(y.size), y))


def extremes_axis(X: np.ndarray, y: np.ndarray, *, rng: np.random.Generator) -> np.ndarray:
    """Two-extremes axis ``w = x_argmax y − x_argmin y`` (ties for the extreme value broken at random).

    Uses two labelled rows only. For ``x = a·u + σ·ε`` (ε ~ N(0, I_d)) its cosine
    to ``u`` is ``Δa / √(Δa² + 2σ²d)`` up to noise, with ``Δa`` the attribute range.
    """
    order = _order(y, rng)
    return X[order[-1]] - X[order[0]]


def extremes_quantile_axis(X: np.ndarray, y: np.ndarray, *, quantile: float = 0.1, rng: np.random.Generator) -> np.ndarray:
    """Top-q minus bottom-q mean axis: ``w = mean(x | top m rows) − mean(x | bottom m rows)``.

    ``m = max(1, round(q·n))`` rows by rank of ``y`` (default q = 0.1), ties broken at
    random. For ``x = a·u + σ·ε`` its cosine to ``u`` is ``Δ / √(Δ² + 2σ²d/m)`` with
    ``Δ`` the difference of the two groups' mean attributes.
    """
    if not 0 < quantile <= 0.5:
        raise EmbgeoError(f"{param('quantile')} must be in (0, 0.5], got {quantile}", hint=f"e.g. {setting('quantile', 0.1)} for the top and bottom 10 %")
    order = _order(y, rng)
    m = max(1, int(round(quantile * y.size)))
    return X[order[-m:]].mean(axis=0) - X[order[:m]].mean(axis=0)


def anchor_axis(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """User-anchor axis ``w = mean(high anchors) − mean(low anchors)`` (rows already preprocessed)."""
    return np.asarray(high, dtype=np.float64).mean(axis=0) - np.asarray(low, dtype=np.float64).mean(axis=0)


def _alpha_grid(X: np.ndarray) -> np.ndarray:
    Xc = X - X.mean(axis=0)
    scale = float(np.einsum("ij,ij->", Xc, Xc)) / max(1, min(X.shape[0] - 1, X.shape[1]))
    return np.asarray(RELATIVE_ALPHAS) * (scale if scale > 0 else 1.0)


def ridge_axis(X: np.ndarray, y: np.ndarray, *, groups: np.ndarray | None = None, inner_folds: int = 5):
    """Ridge regression axis with a cross-validated penalty.

    ``w = argmin ‖y − b − Xw‖² + α‖w‖²``, α chosen from ``RELATIVE_ALPHAS × λ̄``
    (10⁻⁴ … 10⁴ times λ̄, the mean non-zero eigenvalue of the centred XᵀX, so the
    grid is scale-free) by efficient leave-one-out (generalised cross-validation),
    or by GroupKFold over ``groups`` when given so that no group is split between
    the fit and the check. Returns ``(w, b, α)``; ``x·w + b`` predicts ``y``.
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import GroupKFold

    alphas = _alpha_grid(X)
    cv = None
    if groups is not None:
        n_groups = np.unique(groups).size
        if n_groups >= 2:
            cv = list(GroupKFold(n_splits=min(inner_folds, n_groups)).split(X, y, groups))
    model = RidgeCV(alphas=alphas, cv=cv).fit(X, y)
    return np.asarray(model.coef_, dtype=np.float64), float(model.intercept_), float(model.alpha_)


def fewshot_axis(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Few-shot axis from k labelled rows: ridge (penalty by leave-one-out) on those rows.

    With k = 2 the centred rows are ±(x_hi − x_lo)/2, so every penalty gives the
    two-extremes direction; it is returned directly.
    """
    if y.size == 2:
        hi, lo = (0, 1) if y[0] > y[1] else (1, 0)
        return X[hi] - X[lo]
    return ridge_axis(X, y)[0]


def pca_axes(X: np.ndarray, n_components: int = 10) -> np.ndarray:
    """The top ``n_components`` principal directions of ``X`` (rows of the result), signs made deterministic."""
    Xc = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(Xc, full_matrices=False)
    Vt = Vt[: min(n_components, Vt.shape[0])]
    # svd_flip-like: the largest |component| of each direction is positive
    signs = np.sign(Vt[np.arange(Vt.shape[0]), np.abs(Vt).argmax(axis=1)])
    return Vt * np.where(signs == 0, 1.0, signs)[:, None]


def pairwise_axis(X: np.ndarray, y: np.ndarray, *, rng: np.random.Generator, max_pairs: int = 5000, C: float = 1.0) -> np.ndarray:
    """Pairwise (logistic, RankNet-style) axis: ``w`` maximising the likelihood of the order of pairs.

    ``P(yᵢ > yⱼ) = σ(w·(xᵢ − xⱼ))``; up to ``max_pairs`` (default 5000) pairs of rows with
    different attribute values are drawn at random (seeded), each in a random orientation,
    and an L2-penalised logistic regression without intercept (``C`` = 1) is fitted on the
    differences. Uses only the order of ``y``, so it is invariant to monotone transforms.
    """
    from sklearn.linear_model import LogisticRegression

    n = y.size
    i = rng.integers(n, size=4 * max_pairs)
    j = rng.integers(n, size=4 * max_pairs)
    keep = y[i] != y[j]
    i, j = i[keep][:max_pairs], j[keep][:max_pairs]
    if i.size == 0:
        raise EmbgeoError("the pairwise axis needs two rows with different attribute values")
    D = X[i] - X[j]
    t = (y[i] > y[j]).astype(int)
    if np.unique(t).size < 2:  # every pair drawn in one orientation: flip half (the model is symmetric)
        D[::2], t[::2] = -D[::2], 1 - t[::2]
    model = LogisticRegression(C=C, fit_intercept=False, max_iter=1000).fit(D, t)
    return np.asarray(model.coef_[0], dtype=np.float64)
