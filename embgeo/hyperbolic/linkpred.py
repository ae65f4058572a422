"""The evaluations of Nickel & Kiela (2017) beyond reconstruction: link prediction and HyperLex.

**Link prediction** (§4.1 of the paper): a fraction of the training pairs (the transitive
closure of a DAG) is held out before training, the embedding is trained on the rest, and
each held-out pair ``(u, v)`` (``v`` an ancestor of ``u``) is ranked among the *non-edges*
of ``u``: the candidates of a query ``u`` are every node except ``u`` and its training
positives (the "filtered" setting — a pair seen in training is neither a hit nor a miss).
Held-out pairs touch neither a root nor a leaf: a pair into the root is trivial (every node
descends from it) and a pair from a leaf has no training evidence below it
(:func:`holdout_pairs`). ``link_map`` and ``link_mean_rank`` use the same average precision
and ``rank = 1 + #non-positive candidates no farther`` as the reconstruction MAP; chance levels of a
random order are reported beside them (:func:`chance_map`: ``E[AP] = (H_N + (R−1)(N−H_N)/(N−1))/N``
for ``R`` held-out positives among ``N`` candidates, ``E[rank] = 1 + (N−R)/2``).

**HyperLex** (Vulić et al. 2017; §4.3 of the paper): graded is-a judgements of word pairs
``(u, v)`` ("u is a type of v", 0–10) against the score
``−(1 + α(‖v‖ − ‖u‖)) · d(u, v)`` with ``α = 1000``: near pairs score high, and a hypernym
``v`` closer to the origin than ``u`` is rewarded. Reported: Spearman's ρ over the pairs whose
two words are nodes of the embedding (:func:`hyperlex_spearman`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, setting
from embgeo.results import Result

#: α of the is-a score −(1 + α(‖v‖ − ‖u‖)) d(u, v) (Nickel & Kiela 2017)
HYPERLEX_ALPHA = 1000.0


# --------------------------------------------------------------------------- link prediction
def holdout_pairs(h, fraction: float, *, seed=0):
    """Split the training pairs of the DAG ``h`` into (kept, held_out) index arrays (m, 2), child → ancestor.

    The pairs are the transitive closure of ``h``; ``round(fraction · m)`` of them are held out,
    drawn (seeded) among the pairs whose two nodes are neither a root (no parent) nor a leaf
    (no child) of ``h``. Raises when ``h`` is undirected or no pair qualifies.
    """
    from embgeo.hyperbolic.graphs import transitive_closure
    from embgeo.validation import as_rng

    if not (0.0 < float(fraction) < 1.0):
        raise EmbgeoError(f"holdout must be a fraction in (0, 1); got {fraction!r}", hint="try 0.1 (10 % of the pairs, as Nickel & Kiela)")
    if not h.directed:
        raise EmbgeoError("link prediction holds out pairs of a hierarchy (a DAG); this graph is undirected",
                          hint="give the edges child → parent, or leave holdout out")
    clo = h if h.closed else transitive_closure(h)
    pairs = np.asarray(clo.edges, dtype=np.int64)
    n = h.n_nodes
    has_parent = np.zeros(n, bool)
    has_parent[h.edges[:, 0]] = True
    has_child = np.zeros(n, bool)
    has_child[h.edges[:, 1]] = True
    inner = has_parent & has_child  # neither a root nor a leaf
    ok = np.flatnonzero(inner[pairs[:, 0]] & inner[pairs[:, 1]])
    k = int(round(float(fraction) * pairs.shape[0]))
    if ok.size == 0 or k == 0:
        raise EmbgeoError(f"no pair of the {pairs.shape[0]} can be held out: {ok.size} pairs touch neither a root nor a leaf, "
                          f"and {fraction:g} of the pairs is {k}", hint="a deeper hierarchy, or a larger holdout fraction")
    if k > ok.size:
        k = ok.size
    held = np.sort(as_rng(seed).choice(ok, size=k, replace=False))
    keep = np.ones(pairs.shape[0], bool)
    keep[held] = False
    return pairs[keep], pairs[held]


def chance_map(n_candidates, n_positives) -> tuple[np.ndarray, np.ndarray]:
    """Expected AP and expected rank of a positive under a uniformly random order.

    For ``R`` positives among ``N`` candidates: ``E[AP] = (H_N + (R−1)(N−H_N)/(N−1)) / N``
    (``1`` when ``N = 1``) and ``E[rank] = 1 + (N−R)/2`` (each non-positive precedes a
    positive with probability ½).
    """
    N = np.asarray(n_candidates, dtype=np.float64)
    R = np.asarray(n_positives, dtype=np.float64)
    H = np.array([np.sum(1.0 / np.arange(1, int(x) + 1)) for x in np.atleast_1d(N)]).reshape(N.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(N > 1, (R - 1.0) / np.maximum(N - 1.0, 1.0), 0.0)
    ap = (H + frac * (N - H)) / N
    return ap, 1.0 + (N - R) / 2.0


@dataclass(frozen=True, slots=True)
class LinkPrediction(Result):
    """Held-out pairs ranked among non-edges: MAP and mean rank, and both by chance."""

    link_map: float
    link_mean_rank: float
    link_map_chance: float
    link_mean_rank_chance: float
    link_edges: int
    link_queries: int


def link_prediction(distances, n_nodes: int, train_pairs, held_pairs, *, block: int | None = None) -> LinkPrediction:
    """Rank each held-out pair ``(u, v)`` among the non-edges of ``u`` (see the module docstring).

    ``distances``: a callable ``rows -> (len(rows), n_nodes)`` (or an (n_nodes, n_nodes) array);
    ``train_pairs`` / ``held_pairs``: (m, 2) node indices, query first. Training positives of
    a query are taken out of its candidates; the query itself is never a candidate.
    """
    import scipy.sparse as sp

    from embgeo.hyperbolic.evaluate import mean_average_precision

    n = int(n_nodes)
    held = np.asarray(held_pairs, dtype=np.int64).reshape(-1, 2)
    train = np.asarray(train_pairs, dtype=np.int64).reshape(-1, 2)
    if held.shape[0] == 0:
        raise EmbgeoError("no held-out pairs to score", hint="train with holdout > 0")
    H = sp.csr_matrix((np.ones(held.shape[0]), (held[:, 0], held[:, 1])), shape=(n, n))
    H.data[:] = 1.0
    T = sp.csr_matrix((np.ones(train.shape[0]), (train[:, 0], train[:, 1])), shape=(n, n)) if train.size else sp.csr_matrix((n, n))
    T = (T - T.multiply(H)).tocsr()  # a pair both held out and trained on stays a positive
    T.eliminate_zeros()
    get = distances if callable(distances) else (lambda rows, D=np.asarray(distances, dtype=np.float64): D[rows])

    def filtered(rows):
        D = np.array(get(rows), dtype=np.float64, copy=True)
        sub = T[rows]
        D[np.repeat(np.arange(len(rows)), np.diff(sub.indptr)), sub.indices] = np.inf
        return D

    r = mean_average_precision(filtered, H, block=block)
    queries = np.flatnonzero(np.diff(H.indptr) > 0)
    R = np.diff(H.indptr)[queries]
    N = (n - 1) - np.diff(T.indptr)[queries]
    ap0, rank0 = chance_map(N, R)
    return LinkPrediction(
        link_map=float(r.map), link_mean_rank=float(r.mean_rank), link_map_chance=float(ap0.mean()),
        link_mean_rank_chance=float((rank0 * R).sum() / R.sum()), link_edges=int(r.n_positives), link_queries=int(r.n_queries),
    )


# --------------------------------------------------------------------------- HyperLex
def read_hyperlex(path) -> tuple[list[str], list[str], np.ndarray]:
    """Word pairs and scores from a HyperLex file (``WORD1 WORD2 … AVG_SCORE`` with a header,
    whitespace-, tab- or comma-separated) or any ``u v score`` list."""
    p = Path(path)
    try:
        lines = [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    except OSError as exc:
        raise EmbgeoError(f"cannot read the HyperLex file: {exc.strerror or exc}", source=str(p)) from None
    split = (lambda s: [x.strip() for x in s.split(",")]) if lines and "," in lines[0] and "\t" not in lines[0] else str.split
    rows = [split(ln) for ln in lines]
    if not rows:
        raise EmbgeoError("the HyperLex file is empty", source=str(p))
    head = [c.lower() for c in rows[0]]
    iu, iv, isc = 0, 1, 2
    if "avg_score" in head or "word1" in head:
        iu = head.index("word1") if "word1" in head else 0
        iv = head.index("word2") if "word2" in head else 1
        isc = head.index("avg_score") if "avg_score" in head else len(head) - 1
        rows = rows[1:]
    us, vs, sc = [], [], []
    for i, r in enumerate(rows):
        try:
            sc.append(float(r[isc]))
        except (IndexError, ValueError):
            if i == 0:
                continue  # an unnamed header
            raise EmbgeoError(f"line {i + 1}: expected 'u v score' (a number in column {isc + 1}); got {' '.join(r)!r}", source=str(p)) from None
        us.append(r[iu])
        vs.append(r[iv])
    if not sc:
        raise EmbgeoError("no scored pairs in the HyperLex file", source=str(p))
    return us, vs, np.asarray(sc, dtype=np.float64)


def node_lookup(ids) -> dict:
    """Word → row: the ids themselves, and for WordNet synsets (``dog.n.01``) the lemma of the
    lowest-numbered sense (``dog`` → ``dog.n.01``)."""
    ids = [str(x) for x in ids]
    out = {s: i for i, s in enumerate(ids)}
    best: dict = {}
    for i, s in enumerate(ids):
        parts = s.rsplit(".", 2)
        if len(parts) == 3 and parts[2].isdigit():
            word = parts[0]
            if word not in out and (word not in best or int(parts[2]) < best[word][0]):
                best[word] = (int(parts[2]), i)
    out.update({w: i for w, (_, i) in best.items() if w not in out})
    return out


def isa_scores(X, u_rows, v_rows, *, c: float = 1.0, alpha: float = HYPERLEX_ALPHA) -> np.ndarray:
    """``−(1 + α(‖v‖ − ‖u‖)) · d(u, v)`` for Poincaré points ``X`` (curvature −c)."""
    from embgeo.hyperbolic.math import poincare_distance

    X = np.asarray(X, dtype=np.float64)
    U, V = X[np.asarray(u_rows)], X[np.asarray(v_rows)]
    d = poincare_distance(U, V, c=c)
    nu, nv = np.linalg.norm(U, axis=1), np.linalg.norm(V, axis=1)
    return -(1.0 + alpha * (nv - nu)) * d


@dataclass(frozen=True, slots=True)
class HyperLexResult(Result):
    hyperlex_spearman: float
    hyperlex_pairs: int
    hyperlex_pairs_missing: int
    hyperlex_alpha: float


def hyperlex_spearman(X, ids, us, vs, scores, *, c: float = 1.0, alpha: float = HYPERLEX_ALPHA) -> HyperLexResult:
    """Spearman's ρ between the is-a scores of the pairs ``(us[i], vs[i])`` and ``scores``."""
    from scipy.stats import spearmanr

    look = node_lookup(ids)
    keep = [i for i in range(len(us)) if us[i] in look and vs[i] in look]
    if len(keep) < 3:
        raise EmbgeoError(f"only {len(keep)} of the {len(us)} HyperLex pairs have both words in the embedding; Spearman needs 3",
                          hint="the words must be node ids (or WordNet lemmas such as 'dog' for 'dog.n.01')")
    s = isa_scores(X, [look[us[i]] for i in keep], [look[vs[i]] for i in keep], c=c, alpha=alpha)
    rho = float(spearmanr(s, np.asarray(scores)[keep]).statistic)
    return HyperLexResult(hyperlex_spearman=rho, hyperlex_pairs=len(keep), hyperlex_pairs_missing=len(us) - len(keep), hyperlex_alpha=float(alpha))


def link_prediction_by_ids(dist, h, holdout, *, block=None) -> LinkPrediction:
    """:func:`link_prediction` of the held-out pairs given as node ids ``(u, ancestor)`` of ``h``
    (as ``hyperbolic train --holdout`` stores them); the training pairs are the closure without them."""
    from embgeo.hyperbolic.graphs import transitive_closure

    pos = {s: i for i, s in enumerate(np.asarray(h.ids).astype(str).tolist())}
    pairs = np.asarray(holdout).astype(str).reshape(-1, 2)
    missing = sorted({x for x in pairs.ravel().tolist() if x not in pos})
    if missing:
        raise EmbgeoError(f"{len(missing)} held-out nodes are not in the hierarchy (e.g. {', '.join(missing[:3])})",
                          hint="evaluate against the edges file the embedding was trained on")
    held = np.array([[pos[a], pos[b]] for a, b in pairs.tolist()], dtype=np.int64).reshape(-1, 2)
    if not h.directed:
        raise EmbgeoError("link prediction needs the hierarchy as a DAG; these edges were read as an undirected graph", hint=f"read the edges with {setting('orientation', 'child-parent')}")
    clo = h if h.closed else transitive_closure(h)
    return link_prediction(dist, h.n_nodes, clo.edges, held, block=block)


__all__ = ["HYPERLEX_ALPHA", "HyperLexResult", "LinkPrediction", "chance_map", "holdout_pairs", "hyperlex_spearman",
           "isa_scores", "link_prediction", "link_prediction_by_ids", "node_lookup", "read_hyperlex"]
