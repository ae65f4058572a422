"""MAP / mean rank (Nickel–Kiela and Sala definitions) and distortion, on hand-checked cases,
against sklearn's average_precision_score, and on hand-built perfect embeddings."""
from __future__ import annotations

import numpy as np
import pytest

from embgeo.datasets import path
from embgeo.errors import EmbgeoError
from embgeo.hyperbolic.evaluate import distortion, evaluate_embedding, mean_average_precision
from embgeo.hyperbolic.graphs import graph_distances, hierarchy_from_edges, read_hierarchy, transitive_closure
from embgeo.hyperbolic.math import mobius_add, poincare_pairwise


def _line_case():
    """b → a, c → b (closure adds c → a), d → a; points on a line a=0, b=1, d=1.5, c=3."""
    h = hierarchy_from_edges([("b", "a"), ("c", "b"), ("d", "a")], orientation="child-parent")
    pos = {"a": 0.0, "b": 1.0, "c": 3.0, "d": 1.5}
    X = np.array([[pos[i], 0.0] for i in h.ids])
    return h, X


def test_hand_checked_tiny_hierarchy():
    h, X = _line_case()
    r = evaluate_embedding(X, h, protocol="all", model="euclidean", scale=1.0)
    # worked out by hand in docs/hyperbolic.md ("A hand-checked example"):
    # NK: AP(b)=1/2, AP(c)=(1/2+2/3)/2, AP(d)=1/3 (tie with c counts against a); ranks 2, 2, 2 and 3 (d: b closer, c tied)
    np.testing.assert_allclose(r.map, 17 / 36, rtol=1e-12)  # exact rationals; 1e-12 = round-off
    np.testing.assert_allclose(r.mean_rank, 9 / 4, rtol=1e-12)
    assert (r.nk_queries, r.nk_positives) == (3, 4)
    # Sala: AP(a)=1, AP(b)=7/12, AP(c)=1/2, AP(d)=1/3
    np.testing.assert_allclose(r.map_sala, 29 / 48, rtol=1e-12)
    # ratios d_emb/d_graph = 1, 1.5, 2, 1.5, 0.25, 0.5
    np.testing.assert_allclose(r.distortion_mean, 3.25 / 6, rtol=1e-12)
    np.testing.assert_allclose(r.distortion_worst, 8.0, rtol=1e-12)
    fitted = evaluate_embedding(X, h, protocol="sala", model="euclidean")
    np.testing.assert_allclose(fitted.scale, 1.5, rtol=1e-12)  # weighted median of d_G/d_emb → s = 3/2
    np.testing.assert_allclose(fitted.distortion_mean, 13 / 36, rtol=1e-12)


def test_round_off_ties_are_ties():
    # the hand-checked case (a tie between c and the positive a) with its distances jittered
    # by round-off, as a different LAPACK basis or summation order gives: the same 17/36
    h, X = _line_case()
    D = np.abs(X[:, None, 0] - X[None, :, 0])
    P = transitive_closure(h).adjacency(symmetric=False)  # NK positives: closure ancestors
    np.testing.assert_allclose(mean_average_precision(D, P).map, 17 / 36, rtol=1e-12)
    rng = np.random.default_rng(0)
    for _ in range(20):
        jitter = D * (1.0 + 4e-16 * rng.choice([-1.0, 1.0], size=D.shape))
        np.testing.assert_allclose(mean_average_precision(jitter, P).map, 17 / 36, rtol=1e-12)


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
    rs = evaluate_embedding(Xs, h, protocol="sala")
    assert rs.map_sala == 1.0
    # average distortion of such a construction is small (Sala et al.: 0.013 for theirs)
    assert rs.distortion_mean < 0.1
    # NK: edge lengths that double with depth make every ancestor closer than any non-ancestor
    Xn = _tree_embedding(h, lambda k: 2.0 ** k)
    rn = evaluate_embedding(Xn, h, protocol="nk")
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
    r = evaluate_embedding(X, h, protocol="sala")
    np.testing.assert_allclose([r.distortion_mean, r.distortion_worst, r.scale], [avg, worst, s], rtol=1e-12)
    # the log-histogram used beyond 20M pairs: scale within one bin (80/2^20 in log) of exact
    import embgeo.hyperbolic.distortion as dist_mod

    monkeypatch.setattr(dist_mod, "EXACT_PAIRS", 10)  # (it patched a name the accumulator had bound at import: a no-op)
    rh = evaluate_embedding(X, h, protocol="sala", block=5)
    assert rh.scale != s  # the histogram path ran: its scale is a bin edge, not the exact weighted median
    np.testing.assert_allclose(rh.scale, s, rtol=2e-4)  # bin width in log space is 7.6e-5
    np.testing.assert_allclose(rh.distortion_mean, avg, rtol=2e-4)
    # sampled sources: an estimate over fewer pairs
    rsamp = evaluate_embedding(X, h, protocol="sala", distortion_sources=10, seed=1)
    with pytest.warns(DeprecationWarning, match="distortion_sources"):
        old = evaluate_embedding(X, h, protocol="sala", max_sources=10, seed=1)
    assert old.distortion_mean == rsamp.distortion_mean and old.distortion_sources == rsamp.distortion_sources
    assert rsamp.distortion_pairs == 10 * (h.n_nodes - 1)


def test_disconnected_pairs_left_out():
    h = hierarchy_from_edges([("a", "b"), ("c", "d")], orientation="undirected")
    X = np.array([[0.0, 0.0], [0.2, 0.0], [0.0, 0.5], [0.0, 0.7]])
    r = evaluate_embedding(X, h, protocol="sala", model="euclidean")
    assert r.distortion_pairs == 4 and r.disconnected_pairs == 8
    assert r.distortion_mean == pytest.approx(0.0, abs=1e-12)  # both edges fit one scale (0.2)


def test_bad_embeddings_raise():
    h, X = _line_case()
    with pytest.raises(EmbgeoError, match="outside the Poincaré ball"):
        evaluate_embedding(X, h)  # norms up to 3: not points of the unit ball
    with pytest.raises(EmbgeoError, match="rows but the hierarchy has"):
        evaluate_embedding(X[:3] * 0.1, h)
    with pytest.raises(EmbgeoError, match="protocol must be"):
        evaluate_embedding(X * 0.1, h, protocol="bogus")
    with pytest.raises(EmbgeoError, match="no row in the embedding"):
        evaluate_embedding(X * 0.1, h, ids=["a", "b", "c", "zz"])
    # ids reorder rows
    perm = [2, 0, 3, 1]
    r1 = evaluate_embedding(X * 0.1, h, protocol="all")
    r2 = evaluate_embedding((X * 0.1)[perm], h, protocol="all", ids=h.ids[perm])
    assert r1.to_dict() == r2.to_dict()


def test_protocol_is_the_name_and_metric_its_deprecated_alias():
    """``protocol`` names the MAP protocol (JSON ``results.protocol``, as ``settings.protocol``), since
    ``metric`` is the CSV column of metric ids; the old keyword still works, with a DeprecationWarning."""
    h, X = _line_case()
    new = evaluate_embedding(X * 0.1, h, protocol="sala")
    assert new.to_dict()["protocol"] == "sala" and "metric" not in new.to_dict() and new.metric == "sala"
    with pytest.warns(DeprecationWarning, match="protocol="):
        old = evaluate_embedding(X * 0.1, h, metric="sala")
    assert old.to_dict() == new.to_dict()
    for given in ("all", "nk"):  # also the new name at its default value: both were given
        with pytest.raises(EmbgeoError, match="both were given"):
            evaluate_embedding(X * 0.1, h, protocol=given, metric="sala")


@pytest.mark.parametrize("m, d, status, by", [
    (0.95, 0.10, "ok", "map"),
    (0.95, 0.30, "warn", "distortion_mean"),   # MAP ok, distortion warn: distortion decides
    (0.60, 0.10, "warn", "map"),
    (0.40, 0.60, "bad", "map"),                # both bad: MAP decides
    (0.95, 0.90, "bad", "distortion_mean"),
    (0.90, 0.20, "ok", "map"),                 # both on their ok boundary
    (None, 0.60, "bad", "distortion_mean"),
    (0.70, None, "warn", "map"),
])
def test_tree_verdict_weighs_map_and_distortion(m, d, status, by):
    from embgeo.hyperbolic.verdicts import tree_verdict

    v = tree_verdict(m, d)
    assert (v.status, v.decided_by) == (status, by)
    if m is not None:
        assert f"MAP {m:.3f}" in v.reason
    if d is not None:
        assert f"mean distortion {d:.3f}" in v.reason


def test_eval_result_verdict_and_metrics_agree():
    h = hierarchy_from_edges([(1, 0), (2, 0), (3, 1), (4, 1)])
    X = np.random.default_rng(0).uniform(-0.3, 0.3, size=(5, 2))
    r = evaluate_embedding(X, h, protocol="all")
    v = r.verdict()
    assert v.decided_by in ("map_sala", "distortion_mean")
    rows = {m.metric: m for m in r.metrics()}
    assert rows[v.decided_by].status == v.status
    assert set(rows) <= set(r.to_dict()) and r.to_dict()["n_rows"] == 5 and r.to_dict()["n_dims"] == 2
    assert r.distortion_avg == r.distortion_mean  # the former name reads the same number


# --------------------------------------------------------------------------- link prediction and HyperLex (issue 19)
def test_chance_levels_equal_exhaustive_enumeration():
    import itertools

    from embgeo.hyperbolic.linkpred import chance_map

    for N, R in [(1, 1), (2, 1), (5, 2), (6, 3), (7, 1)]:
        aps, ranks = [], []
        for perm in itertools.permutations(range(N)):
            pos = set(range(R))  # candidates 0..R-1 are the positives; perm is the order
            hits, ap = 0, 0.0
            for k, c in enumerate(perm, start=1):
                if c in pos:
                    hits += 1
                    ap += hits / k
                    ranks.append(1 + sum(1 for w in perm[:k] if w not in pos))
            aps.append(ap / R)
        ap0, rank0 = chance_map(N, R)
        assert float(ap0) == pytest.approx(np.mean(aps), abs=1e-12)
        assert float(rank0) == pytest.approx(np.mean(ranks), abs=1e-12)


def _direct_link_prediction(D, n, train, held):
    """A plain loop: candidates of u are every node but u and its training positives."""
    T = {}
    for a, b in train:
        T.setdefault(a, set()).add(b)
    P = {}
    for a, b in held:
        P.setdefault(a, set()).add(b)
    aps, ranks = [], []
    for u, pos in P.items():
        cand = [w for w in range(n) if w != u and (w not in T.get(u, set()) or w in pos)]
        ap = 0.0
        for v in pos:
            at_or_above = [w for w in cand if D[u, w] <= D[u, v]]
            ap += sum(1 for w in at_or_above if w in pos) / len(at_or_above)
            ranks.append(1 + sum(1 for w in cand if w not in pos and D[u, w] < D[u, v]))
        aps.append(ap / len(pos))
    return np.mean(aps), np.mean(ranks)


def test_link_prediction_equals_a_direct_implementation():
    from embgeo.hyperbolic.linkpred import link_prediction

    rng = np.random.default_rng(4)
    n = 12
    X = rng.uniform(-0.4, 0.4, size=(n, 3))
    D = poincare_pairwise(X, X)
    pairs = [(int(a), int(b)) for a, b in rng.integers(0, n, size=(40, 2)) if a != b]
    pairs = sorted(set(pairs))
    held, train = pairs[::4], [p for i, p in enumerate(pairs) if i % 4]
    r = link_prediction(D, n, np.array(train), np.array(held))
    m, k = _direct_link_prediction(D, n, train, held)
    assert r.link_map == pytest.approx(m, abs=1e-10) and r.link_mean_rank == pytest.approx(k, abs=1e-10)
    assert r.link_edges == len(held)
    # through evaluate_embedding with ids (the closure of a DAG minus the held pairs is the training set)
    h = hierarchy_from_edges([(1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (6, 2), (7, 3), (8, 5)])
    Y = rng.uniform(-0.5, 0.5, size=(h.n_nodes, 2))
    held_ids = np.array([["3", "1"], ["5", "2"]])
    ev_ = evaluate_embedding(Y, h, holdout=held_ids)
    from embgeo.hyperbolic.graphs import transitive_closure

    clo = transitive_closure(h).edges
    idx = {s: i for i, s in enumerate(h.ids.astype(str))}
    hh = [(idx[a], idx[b]) for a, b in held_ids]
    m2, k2 = _direct_link_prediction(poincare_pairwise(Y, Y), h.n_nodes, [tuple(p) for p in clo.tolist() if tuple(p) not in hh], hh)
    assert ev_.link_map == pytest.approx(m2, abs=1e-10) and ev_.link_mean_rank == pytest.approx(k2, abs=1e-10)


def test_holdout_pairs_touch_neither_root_nor_leaf():
    from embgeo.hyperbolic.graphs import transitive_closure
    from embgeo.hyperbolic.linkpred import holdout_pairs

    h = read_hierarchy(path("smalltree"))
    keep, held = holdout_pairs(h, 0.1, seed=1)
    clo = transitive_closure(h).edges
    roots = set(range(h.n_nodes)) - set(h.edges[:, 0].tolist())
    leaves = set(range(h.n_nodes)) - set(h.edges[:, 1].tolist())
    eligible = sum(1 for a, b in clo.tolist() if not ({a, b} & (roots | leaves)))
    assert eligible == 9  # smalltree: 102 closure pairs, 9 between inner nodes — fewer than 10 %, so all 9 are held out
    assert held.shape[0] == min(round(0.1 * clo.shape[0]), eligible) and keep.shape[0] + held.shape[0] == clo.shape[0]
    assert {tuple(p) for p in keep.tolist()} | {tuple(p) for p in held.tolist()} == {tuple(p) for p in clo.tolist()}
    assert not (set(held.ravel().tolist()) & (roots | leaves))
    again = holdout_pairs(h, 0.1, seed=1)[1]
    np.testing.assert_array_equal(held, again)
    with pytest.raises(EmbgeoError, match="undirected"):
        holdout_pairs(read_hierarchy(path("smalltree"), orientation="undirected"), 0.1)


def test_link_prediction_on_a_synthetic_tree_beats_chance():
    from embgeo.hyperbolic.poincare import train_poincare

    # a complete ternary tree of depth 4 (121 nodes), listed child → parent
    edges, nxt, frontier = [], 1, [0]
    for _ in range(4):
        new = []
        for p in frontier:
            for _ in range(3):
                edges.append((nxt, p))
                new.append(nxt)
                nxt += 1
        frontier = new
    h = hierarchy_from_edges(edges, orientation="child-parent")
    r = train_poincare(h, dim=5, epochs=60, negatives=10, batch_size=64, lr=0.1, burnin=5, eval_every=0, holdout=0.1, seed=0)
    assert r.holdout.shape[1] == 2 and r.holdout.shape[0] > 10
    ev_ = evaluate_embedding(r.coordinates, h, ids=r.ids, holdout=r.holdout)
    assert ev_.link_map > 2 * ev_.link_map_chance and ev_.link_mean_rank < 0.5 * ev_.link_mean_rank_chance


def test_hyperlex_score_and_spearman_equal_direct_formulas(tmp_path):
    from embgeo.hyperbolic.linkpred import hyperlex_spearman, isa_scores, node_lookup, read_hyperlex

    rng = np.random.default_rng(7)
    ids = np.array(["animal.n.01", "dog.n.01", "dog.n.02", "cat.n.01", "puppy.n.01", "mammal.n.01"])
    X = rng.uniform(-0.5, 0.5, size=(6, 3))
    assert node_lookup(ids)["dog"] == 1 and node_lookup(ids)["animal.n.01"] == 0
    f = tmp_path / "hyperlex.txt"
    f.write_text("WORD1 WORD2 POS TYPE AVG_SCORE AVG_SCORE_0_6 STD\n"
                 "dog animal N hyp-2 9.5 5.7 0.5\ncat mammal N hyp-1 9.0 5.4 0.4\npuppy dog N hyp-1 8.8 5.3 0.4\n"
                 "animal dog N rhyp-2 2.0 1.2 1.0\ncat dog N cohyp 0.5 0.3 0.2\nunicorn animal N hyp-1 7.0 4.2 1.0\n")
    us, vs, sc = read_hyperlex(f)
    assert us[0] == "dog" and vs[0] == "animal" and sc.tolist() == [9.5, 9.0, 8.8, 2.0, 0.5, 7.0]
    look = node_lookup(ids)
    keep = [i for i in range(6) if us[i] in look and vs[i] in look]
    # the is-a score written out: −(1 + α(‖v‖ − ‖u‖))·arcosh(1 + 2‖u−v‖²/((1−‖u‖²)(1−‖v‖²)))
    direct = []
    for i in keep:
        u, v = X[look[us[i]]], X[look[vs[i]]]
        d = np.arccosh(1 + 2 * np.sum((u - v) ** 2) / ((1 - u @ u) * (1 - v @ v)))
        direct.append(-(1 + 1000.0 * (np.linalg.norm(v) - np.linalg.norm(u))) * d)
    got = isa_scores(X, [look[us[i]] for i in keep], [look[vs[i]] for i in keep])
    np.testing.assert_allclose(got, direct, rtol=1e-12)

    def ranks(a):  # average ranks of ties, written out
        a = np.asarray(a, float)
        out = np.empty(a.size)
        for i, x in enumerate(a):
            out[i] = (a < x).sum() + ((a == x).sum() + 1) / 2
        return out

    ra, rb = ranks(direct), ranks(sc[keep])
    rho = np.corrcoef(ra, rb)[0, 1]
    r = hyperlex_spearman(X, ids, us, vs, sc)
    assert r.hyperlex_spearman == pytest.approx(rho, abs=1e-10)
    assert r.hyperlex_pairs == 5 and r.hyperlex_pairs_missing == 1 and r.hyperlex_alpha == 1000.0


def test_a_collapsed_embedding_does_not_read_rank_one():
    """Every point at one place: every non-positive ties with every positive, so each positive ranks
    behind all of them (ties count against the positive, in the rank as in AP), never rank 1."""
    h = read_hierarchy(path("smalltree"))
    X = np.zeros((h.n_nodes, 2))
    r = evaluate_embedding(X, h, protocol="nk", model="poincare")
    P = transitive_closure(h).adjacency(symmetric=False)
    n_pos = np.asarray(P.sum(axis=1)).ravel()
    has = n_pos > 0
    # rank of each positive of u = 1 + (n − 1 − |P(u)|) non-positives, all at distance 0
    expected = ((1 + (h.n_nodes - 1 - n_pos[has])) * n_pos[has]).sum() / n_pos[has].sum()
    np.testing.assert_allclose(r.mean_rank, expected, rtol=1e-12)
    np.testing.assert_allclose(r.map, np.mean(n_pos[has] / (h.n_nodes - 1)), rtol=1e-12)
