"""MAP / mean rank (Nickel–Kiela and Sala definitions) and distortion, on hand-checked cases,
against sklearn's average_precision_score, and on hand-built perfect embeddings."""
from __future__ import annotations

import numpy as np
import pytest

from embgeo.datasets import path
from embgeo.errors import EmbgeoError
from embgeo.hyperbolic import evaluate as ev
from embgeo.hyperbolic.evaluate import distortion, evaluate_embedding, mean_average_precision
from embgeo.hyperbolic.graphs import graph_distances, hierarchy_from_edges, read_hierarchy
from embgeo.hyperbolic.math import mobius_add, poincare_pairwise


def _line_case():
    """b → a, c → b (closure adds c → a), d → a; points on a line a=0, b=1, d=1.5, c=3."""
    h = hierarchy_from_edges([("b", "a"), ("c", "b"), ("d", "a")], orientation="child-parent")
    pos = {"a": 0.0, "b": 1.0, "c": 3.0, "d": 1.5}
    X = np.array([[pos[i], 0.0] for i in h.ids])
    return h, X


def test_hand_checked_tiny_hierarchy():
    h, X = _line_case()
    r = evaluate_embedding(X, h, metric="all", model="euclidean", scale=1.0)
    # worked out by hand in docs/hyperbolic.md ("A hand-checked example"):
    # NK: AP(b)=1/2, AP(c)=(1/2+2/3)/2, AP(d)=1/3 (tie with c counts against a); ranks all 2
    np.testing.assert_allclose(r.map, 17 / 36, rtol=1e-12)  # exact rationals; 1e-12 = round-off
    np.testing.assert_allclose(r.mean_rank, 2.0, rtol=1e-12)
    assert (r.nk_queries, r.nk_positives) == (3, 4)
    # Sala: AP(a)=1, AP(b)=7/12, AP(c)=1/2, AP(d)=1/3
    np.testing.assert_allclose(r.map_sala, 29 / 48, rtol=1e-12)
    # ratios d_emb/d_graph = 1, 1.5, 2, 1.5, 0.25, 0.5
    np.testing.assert_allclose(r.distortion_avg, 3.25 / 6, rtol=1e-12)
    np.testing.assert_allclose(r.distortion_worst, 8.0, rtol=1e-12)
    fitted = evaluate_embedding(X, h, metric="sala", model="euclidean")
    np.testing.assert_allclose(fitted.scale, 1.5, rtol=1e-12)  # weighted median of d_G/d_emb → s = 3/2
    np.testing.assert_allclose(fitted.distortion_avg, 13 / 36, rtol=1e-12)


def test_map_matches_sklearn_on_random_embedding():
    from sklearn.metrics import average_precision_score

    h = read_hierarchy(path("mammals"))
    rng = np.random.default_rng(7)
    sub = np.arange(0, h.n_nodes, 7)  # a subsample of queries keeps the reference loop fast
    X = rng.uniform(-0.3, 0.3, size=(h.n_nodes, 5))
    D = poincare_pairwise(X)
    P = h.adjacency(symmetric=False).tolil()
    aps, ranks = [], []
    for u in sub:
        p = P.rows[u]
        if not p:
            continue
        lab = np.zeros(h.n_nodes)
        lab[p] = 1
        keep = np.arange(h.n_nodes) != u  # u itself is not a candidate
        aps.append(average_precision_score(lab[keep], -D[u, keep]))
        dm = D[u].copy()
        dm[p] = np.inf
        dm[u] = np.inf
        ranks += [(dm < D[u, q]).sum() + 1 for q in p]
    r = mean_average_precision(D[sub], h.adjacency(symmetric=False), rows=sub, block=13)
    np.testing.assert_allclose(r.map, np.mean(aps), rtol=1e-12)  # same arithmetic, round-off only
    np.testing.assert_allclose(r.mean_rank, np.mean(ranks), rtol=1e-12)


def test_self_is_excluded_unlike_gensim():
    # query u at distance 0 from itself: counting u as a negative (gensim) would halve its AP
    h = hierarchy_from_edges([("u", "p")], orientation="child-parent")
    X = np.array([[0.1, 0.0], [0.3, 0.0]])
    assert evaluate_embedding(X, h).map == 1.0


def _tree_embedding(h, edge_length):
    """Place each child at hyperbolic distance edge_length(depth) from its parent, spread evenly
    around it (away from the grandparent), using Möbius translations (isometries of the ball)."""
    from scipy.sparse.csgraph import breadth_first_order

    n = h.n_nodes
    children = [[] for _ in range(n)]
    parent = np.full(n, -1)
    for c, p in h.edges:
        children[p].append(c)
        parent[c] = p
    root = int(np.flatnonzero(parent < 0)[0])
    X = np.zeros((n, 2))
    depth = np.zeros(n, dtype=int)
    order, _ = breadth_first_order(h.neighbours, root, directed=False)
    for v in order:
        kids = children[v]
        if not kids:
            continue
        if parent[v] >= 0:
            q = mobius_add(-X[v], X[parent[v]])  # the parent seen from v at the origin
            base = np.arctan2(q[1], q[0])
            angles = base + 2 * np.pi * np.arange(1, len(kids) + 1) / (len(kids) + 1)
        else:
            angles = 2 * np.pi * np.arange(len(kids)) / len(kids)
        for k, a in zip(kids, angles):
            depth[k] = depth[v] + 1
            r = np.tanh(edge_length(depth[k]) / 2)  # hyperbolic distance L from 0 ↔ norm tanh(L/2)
            X[k] = mobius_add(X[v], r * np.array([np.cos(a), np.sin(a)]))
    return X


def test_perfect_embeddings_have_map_one():
    h = read_hierarchy(path("smalltree"))  # balanced tree, 40 nodes, depth 3
    # Sala: equal edge lengths → every node's neighbours are its nearest points
    Xs = _tree_embedding(h, lambda k: 6.0)
    rs = evaluate_embedding(Xs, h, metric="sala")
    assert rs.map_sala == 1.0
    # average distortion of such a construction is small (Sala et al.: 0.013 for theirs)
    assert rs.distortion_avg < 0.1
    # NK: edge lengths that double with depth make every ancestor closer than any non-ancestor
    Xn = _tree_embedding(h, lambda k: 2.0 ** k)
    rn = evaluate_embedding(Xn, h, metric="nk")
    assert rn.map == 1.0 and rn.mean_rank == 1.0
    assert rn.nk_positives == 102  # closure of the 39 tree edges: 3·1 + 9·2 + 27·3


def test_distortion_matches_brute_force_and_histogram_mode(monkeypatch):
    rng = np.random.default_rng(3)
    h = read_hierarchy(path("smalltree"))
    X = rng.uniform(-0.5, 0.5, size=(h.n_nodes, 3))
    Dg = graph_distances(h)
    De = poincare_pairwise(X)
    iu = np.triu_indices(h.n_nodes, 1)
    x = De[iu] / Dg[iu]
    grid = np.linspace(0.5 * x.min(), 2 * x.max(), 200001)
    best = min(np.abs(x[None, :] / s - 1).mean() for s in grid[::1000])  # coarse grid: an upper bound
    avg, worst, s = distortion(De[iu], Dg[iu])
    assert avg <= best + 1e-12  # the weighted median is the exact minimiser
    np.testing.assert_allclose(avg, np.abs(x / s - 1).mean(), rtol=1e-12)
    np.testing.assert_allclose(worst, x.max() / x.min(), rtol=1e-12)
    r = evaluate_embedding(X, h, metric="sala")
    np.testing.assert_allclose([r.distortion_avg, r.distortion_worst, r.scale], [avg, worst, s], rtol=1e-12)
    # the log-histogram used beyond 20M pairs: scale within one bin (80/2^20 in log) of exact
    monkeypatch.setattr(ev, "_EXACT_PAIRS", 10)
    rh = evaluate_embedding(X, h, metric="sala", block=5)
    np.testing.assert_allclose(rh.scale, s, rtol=2e-4)  # bin width in log space is 7.6e-5
    np.testing.assert_allclose(rh.distortion_avg, avg, rtol=2e-4)
    # sampled sources: an estimate over fewer pairs
    rsamp = evaluate_embedding(X, h, metric="sala", max_sources=10, seed=1)
    assert rsamp.distortion_pairs == 10 * (h.n_nodes - 1)


def test_disconnected_pairs_left_out():
    h = hierarchy_from_edges([("a", "b"), ("c", "d")], orientation="undirected")
    X = np.array([[0.0, 0.0], [0.2, 0.0], [0.0, 0.5], [0.0, 0.7]])
    r = evaluate_embedding(X, h, metric="sala", model="euclidean")
    assert r.distortion_pairs == 4 and r.disconnected_pairs == 8
    assert r.distortion_avg == pytest.approx(0.0, abs=1e-12)  # both edges fit one scale (0.2)


def test_bad_embeddings_raise():
    h, X = _line_case()
    with pytest.raises(EmbgeoError, match="outside the Poincaré ball"):
        evaluate_embedding(X, h)  # norms up to 3: not points of the unit ball
    with pytest.raises(EmbgeoError, match="rows but the hierarchy has"):
        evaluate_embedding(X[:3] * 0.1, h)
    with pytest.raises(EmbgeoError, match="metric must be"):
        evaluate_embedding(X * 0.1, h, metric="bogus")
    with pytest.raises(EmbgeoError, match="no row in the embedding"):
        evaluate_embedding(X * 0.1, h, ids=["a", "b", "c", "zz"])
    # ids reorder rows
    perm = [2, 0, 3, 1]
    r1 = evaluate_embedding(X * 0.1, h, metric="all")
    r2 = evaluate_embedding((X * 0.1)[perm], h, metric="all", ids=h.ids[perm])
    assert r1.to_dict() == r2.to_dict()
