"""Best layer for a task: held-out rank-axis Spearman, linear-probe accuracy and label overlap per layer.

* ``rank_spearman`` — :func:`embgeo.rank.core.rank_axes` with the regression axis only
  (ridge, ``n_folds`` folds, pooled held-out scores), its bootstrap interval in ``ci_low``/``ci_high``;
* ``probe_accuracy`` — a multinomial logistic regression (scikit-learn, L2, C = 1, on
  standardised features) scored by stratified ``n_folds``-fold cross-validation (seeded
  shuffle): the mean held-out accuracy; ``probe_chance`` is the majority-class share;
* ``label_overlap`` — the share of each row's ``k`` nearest neighbours (Euclidean, exact,
  :func:`embgeo.knn.engine.knn`) with the row's label, averaged over rows; ``Σ_c p_c²`` is what
  random neighbours would give (``label_overlap_chance``).
"""
from __future__ import annotations

import numpy as np

from embgeo.arguments import check_count
from embgeo.errors import EmbgeoError, param
from embgeo.validation import as_rng, legacy_seed


def _labels(classes, n) -> np.ndarray:
    c = np.asarray(classes)
    if c.shape != (n,):
        raise EmbgeoError(f"the class column has {c.shape[0] if c.ndim else 0} values for {n} rows")
    names, inv, counts = np.unique(c.astype(str), return_inverse=True, return_counts=True)
    if counts.size < 2:
        raise EmbgeoError(f"{param('classes', '--class')} holds a single class ('{names[0]}' on all {n} rows); a probe needs at least 2",
                          hint="give a column with two or more classes")
    return inv


def probe_folds(classes, n: int, n_folds: int) -> int:
    """The folds the probe runs: ``n_folds``, capped by the size of the smallest class (stratified folds)."""
    return min(int(n_folds), int(np.bincount(_labels(classes, n)).min()))


def probe_accuracy(X, classes, *, n_folds: int = 5, seed=0) -> float:
    """Mean held-out accuracy of a logistic-regression probe over stratified folds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    n_folds = check_count("n_folds", n_folds, minimum=2, flag="folds")
    X = np.asarray(X, dtype=np.float64)
    y = _labels(classes, X.shape[0])
    folds = probe_folds(y, X.shape[0], n_folds)
    if folds < 2:
        names, counts = np.unique(np.asarray(classes).astype(str), return_counts=True)
        rare = names[counts < 2]
        raise EmbgeoError(f"{param('classes', '--class')}: {rare.size} class{'es' if rare.size > 1 else ''} with 1 row "
                          f"('{rare[0]}'{', …' if rare.size > 1 else ''}); every class needs at least 2 rows for a held-out probe",
                          hint="drop the rare classes' rows first, or merge them")
    accs = []
    # scikit-learn takes 32-bit seeds: a larger --seed goes through legacy_seed (unchanged below 2**32)
    state = legacy_seed(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else int(as_rng(seed).integers(2**31 - 1))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=state).split(X, y):
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        clf.fit(X[tr], y[tr])
        accs.append(float(np.mean(clf.predict(X[te]) == y[te])))
    return float(np.mean(accs))


def label_overlap(X, classes, *, k: int = 10, seed=0) -> float:
    """Mean share of the ``k`` nearest neighbours that carry the row's label."""
    from embgeo.knn.engine import knn

    k = check_count("k", k, minimum=1)
    X = np.asarray(X, dtype=np.float64)
    y = _labels(classes, X.shape[0])
    k = min(k, X.shape[0] - 1)
    idx = knn(X, k, seed=seed, check_duplicates=False).indices
    return float(np.mean(y[idx] == y[:, None]))


def task_per_layer(layers, *, attribute=None, attribute_name: str = "attribute", classes=None, n_folds: int = 5, k: int = 10,
                   n_bootstrap: int = 200, seed=0) -> dict:
    """Per-layer arrays of the task metrics that the given columns allow (``attribute_name``: how messages name the attribute)."""
    out: dict = {}
    n = layers[0].shape[0]
    if attribute is not None:
        from embgeo.rank.core import rank_axes

        y = np.asarray(attribute, dtype=np.float64)
        if y.shape != (n,):
            raise EmbgeoError(f"attribute '{attribute_name}' has {y.shape[0] if y.ndim else 0} values for {n} rows")
        rho, lo, hi = [], [], []
        for X in layers:
            m = rank_axes(X, y, attribute=attribute_name, methods=("regression",), baselines=False, n_folds=n_folds,
                          n_bootstrap=n_bootstrap, seed=seed).methods["regression"]
            rho.append(m.spearman)
            lo.append(m.spearman_ci[0])
            hi.append(m.spearman_ci[1])
        out["rank_spearman"] = (np.array(rho), np.array(lo), np.array(hi))
    if classes is not None:
        y = _labels(classes, n)
        p = np.bincount(y) / y.size
        out["probe_accuracy"] = np.array([probe_accuracy(X, y, n_folds=n_folds, seed=seed) for X in layers])
        out["probe_chance"] = np.full(len(layers), float(p.max()))
        out["label_overlap"] = np.array([label_overlap(X, y, k=k, seed=seed) for X in layers])
        out["label_overlap_chance"] = np.full(len(layers), float(np.sum(p**2)))
    return out
