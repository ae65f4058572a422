"""Approximate k-NN through pynndescent, with recall measured against exact search."""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.knn.exact import Prepared, column_mean, exact_distances, exact_numpy, merge_topk, select_k_scores
from embgeo.validation import as_rng


def approx_search(X, Q, k, *, metric, exclude, seed, recall_sample, dtype, self_query):
    """The approximate path of :func:`embgeo.knn.engine.knn`: ``(indices, recall, n_recall_queries)``.

    pynndescent (imported here, lazily) on float32 rows, centred for ``metric='euclidean'``; the
    neighbour graph itself when ``self_query`` (row ``i`` dropped when ``exclude``), else a query of
    ``Q``; then :func:`approx_recall` on ``recall_sample`` queries drawn with ``seed``.
    """
    if metric == "dot":
        raise EmbgeoError("approximate search supports metric 'euclidean' or 'cosine'; got 'dot'", hint="use exact search for maximum inner product")
    from embgeo.errors import require

    pynndescent = require("pynndescent", package="pynndescent", extra="all", feature="approximate kNN")
    rng = as_rng(seed)
    data = np.ascontiguousarray(X, dtype=np.float32)
    if metric == "euclidean":
        mean = column_mean(X).astype(np.float32)
        data = data - mean  # float32 precision near a large offset (pynndescent does not centre)
    n = data.shape[0]
    extra = 1 if exclude else 0
    index = pynndescent.NNDescent(data, n_neighbors=min(n - 1, max(k + extra, 15)), metric=metric,
                                  random_state=int(rng.integers(2**31 - 1)), low_memory=True, n_jobs=1, verbose=False)
    if self_query:
        graph_i, _ = index.neighbor_graph
        idx = _drop_self(graph_i, k, exclude)
    else:
        q = np.ascontiguousarray(Q, dtype=np.float32)
        if metric == "euclidean":
            q = q - mean
        idx, _ = index.query(q, k=k)
        idx = idx.astype(np.int64)
    # measured recall on a seeded sample of queries
    m = int(min(Q.shape[0], max(1, recall_sample)))
    sample = np.sort(rng.choice(Q.shape[0], size=m, replace=False))
    recall = approx_recall(X, Q, idx, sample, metric=metric, exclude=exclude, dtype=dtype)
    return idx, recall, m


def _drop_self(graph: np.ndarray, k: int, exclude: bool) -> np.ndarray:
    graph = graph.astype(np.int64)
    n = graph.shape[0]
    if not exclude:
        return graph[:, :k]
    rows = np.arange(n)[:, None]
    keep = graph != rows
    keep &= graph >= 0
    out = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        cand = graph[i][keep[i]]
        if cand.size < k:  # pynndescent found fewer than k valid neighbours
            raise EmbgeoError(f"approximate search returned only {cand.size} neighbours for row {i}", hint="use exact search")
        out[i] = cand[:k]
    return out


def approx_recall(X, Q, indices: np.ndarray, sample: np.ndarray, *, metric: str, exclude: bool, dtype=np.float32) -> float:
    """Recall of ``indices`` on the queries ``sample`` against exact search.

    A returned neighbour counts as correct when its (float64) distance is no
    larger than the exact ``k``-th distance: robust to ties and duplicates,
    and equal to ``|approx ∩ exact| / k`` when there are no ties.
    """
    k = indices.shape[1]
    prep = Prepared(X, metric, dtype, None)
    if exclude:
        # exact search for the sampled rows only, excluding each sampled row by index
        qs = Q[sample]
        cand = _exact_with_excluded(prep, qs, k, sample)
    else:
        cand = exact_numpy(prep, Q[sample], k, None, max(1, sample.size))
    exact_d = np.sort(exact_distances(X, Q[sample], cand, metric=metric), axis=1)
    approx_d = exact_distances(X, Q[sample], indices[sample], metric=metric)
    tol = 1e-12 * np.maximum(1.0, np.abs(exact_d[:, -1:]))
    hits = (approx_d <= exact_d[:, -1:] + tol).sum(axis=1)
    return float(hits.sum() / (k * sample.size))


def _exact_with_excluded(prep: Prepared, Qs, k, rows):
    Qp = prep.prepare_query(Qs)
    best_s = best_i = None
    for start, stop, B, sq in prep.chunks():
        S = Qp @ B.T
        if sq is not None:
            S += sq.astype(S.dtype)[None, :]
        hit = (rows >= start) & (rows < stop)
        S[np.flatnonzero(hit), rows[hit] - start] = np.inf
        sel, sc = select_k_scores(S, min(k, stop - start))
        best_s, best_i = merge_topk(best_s, best_i, sc, sel + start, k)
    return best_i
