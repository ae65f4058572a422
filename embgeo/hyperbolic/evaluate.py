"""How well an embedding reproduces a hierarchy or graph.

Public API (shared by every hyperbolic command; add parameters, do not rename):

    evaluate_embedding(emb, h, *, protocol="nk"|"sala"|"all", model="poincare", c=1.0, ids=None,
                       distortion=None, scale=None, distortion_sources=None, seed=0, block=None) -> EvalResult
        EvalResult keys: protocol, map, mean_rank, map_sala, distortion_mean, distortion_worst (None where
        not computed). ``metric=`` is the former name of ``protocol=`` (still accepted, with a
        DeprecationWarning), as ``EvalResult.metric`` is of ``EvalResult.protocol``.
    mean_average_precision(distances, positives, *, rows=None, block=None) -> MapResult (map, mean_rank, …)
    distortion(d_emb, d_graph, *, scale=None) -> (avg, worst, fitted_scale)
    embedding_distances(emb, *, model="poincare", c=1.0) -> callable rows -> (len(rows), n_nodes)

Definitions
-----------
**Reconstruction MAP and mean rank — Nickel & Kiela 2017** (§4.1). The
positives of a query ``u`` are its ancestors in the transitive closure (the
pairs ``(u, v)`` of the data set); ``u`` itself is never a candidate. For a
positive ``v``, ``rank(u, v) = 1 + #{w ∉ P(u) ∪ {u} : d(u, w) ≤ d(u, v)}`` (other
positives do not count; a non-positive at the same distance counts against the positive, as
in AP, so a collapsed embedding cannot read rank 1 — on continuous coordinates ties have
measure zero and this is Nickel & Kiela's rank), and ``AP(u) = (1/|P(u)|) Σ_{v∈P(u)} |{p ∈ P(u): d(u,p) ≤ d(u,v)}| /
|{w ≠ u : d(u,w) ≤ d(u,v)}|``; MAP averages ``AP`` over the nodes that have a positive, mean
rank averages ``rank`` over all positive pairs. (gensim's ``ReconstructionEvaluator``
counts ``u`` itself as a negative at distance 0, which is why it reports 0.49 on a
mammals embedding whose MAP is 0.66.)

**MAP — Sala et al. 2018** (§5): the same average precision, but the positives
of ``a`` are its graph neighbours ``N(a)`` (in the undirected graph; for a
closure input, in its transitive reduction): ``MAP = (1/|V|) Σ_a (1/deg a)
Σ_{b∈N(a)} |N(a) ∩ R_{a,b}| / |R_{a,b}|`` with ``R_{a,b}`` the smallest ball around
``a`` that contains ``b``. The two MAPs measure different things; never compare
one against the other.

**Distortion — Sala et al. 2018** (§2): over pairs ``u ≠ v`` in the same connected
part, average distortion ``(1/#pairs) Σ |d_emb(u,v)/s − d_G(u,v)| / d_G(u,v)`` with
the scale ``s`` given or fitted (the minimiser, a weighted median of
``d_G/d_emb`` with weights ``d_emb/d_G``); worst-case distortion
``max(d_emb/d_G) · max(d_G/d_emb)`` (scale-free, ∞ if two nodes coincide).

All of it runs blockwise over query rows (``block × n_nodes`` distances at a
time), so a 74k-node graph fits in memory; distortion over all pairs of a large
graph can be estimated from ``distortion_sources`` random source nodes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError, setting
from embgeo.hyperbolic.graphs import Hierarchy, iter_graph_distances, transitive_closure, transitive_reduction
from embgeo.hyperbolic.display import infinite_note, shown
from embgeo.hyperbolic.distortion import RatioAccumulator, distortion  # noqa: F401  (distortion: part of this module's API)
from embgeo.hyperbolic.verdicts import distortion_status, map_status, tree_verdict
from embgeo.results import Metric, Result, Verdict  # noqa: F401  (Verdict: the type verdict() returns)
from embgeo.validation import as_matrix, as_rng

METRICS = ("nk", "sala", "all")
MODELS = ("poincare", "lorentz", "euclidean")
#: distances held per block (elements); blocks hold ``max(1, _BLOCK_ELEMENTS // n)`` rows
_BLOCK_ELEMENTS = 8_000_000


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, slots=True)
class MapResult(Result):
    """Mean average precision and mean rank over the queries that have a positive."""

    map: float
    mean_rank: float
    n_queries: int
    n_positives: int
    ap: np.ndarray = field(repr=False, default=None)  # (n_queries,) per-query AP
    queries: np.ndarray = field(repr=False, default=None)  # (n_queries,) their row indices

    def to_dict(self) -> dict:
        return {"map": float(self.map), "mean_rank": float(self.mean_rank), "n_queries": int(self.n_queries), "n_positives": int(self.n_positives)}


@dataclass(frozen=True, slots=True)
class EvalResult(Result):
    """What :func:`evaluate_embedding` measured (``None`` where a metric was not computed).

    Metric ids (JSON keys and CSV rows): ``map`` and ``mean_rank`` (Nickel–Kiela
    reconstruction), ``map_sala`` (graph neighbours), ``distortion_mean`` /
    ``distortion_worst``, ``link_map`` / ``link_mean_rank`` (held-out edges, with their
    chance levels ``link_map_chance`` / ``link_mean_rank_chance``), ``hyperlex_spearman``.
    """

    protocol: str
    model: str
    n_nodes: int
    map: float | None = None
    mean_rank: float | None = None
    map_sala: float | None = None
    distortion_mean: float | None = None
    distortion_worst: float | None = None
    scale: float | None = None
    scale_fitted: bool | None = None
    nk_queries: int | None = None
    nk_positives: int | None = None
    sala_queries: int | None = None
    distortion_pairs: int | None = None
    disconnected_pairs: int | None = None
    distortion_sources: int | None = None
    graph: str | None = None
    n_rows: int | None = None
    n_dims: int | None = None
    link_map: float | None = None
    link_mean_rank: float | None = None
    link_map_chance: float | None = None
    link_mean_rank_chance: float | None = None
    link_edges: int | None = None
    link_queries: int | None = None
    hyperlex_spearman: float | None = None
    hyperlex_pairs: int | None = None
    hyperlex_pairs_missing: int | None = None
    hyperlex_alpha: float | None = None
    produced_by: str | None = None
    notes: list = field(default_factory=list)

    @property
    def metric(self) -> str:
        """The former name of :attr:`protocol` (read-only alias; ``metric`` is the CSV column of metric ids)."""
        return self.protocol

    @property
    def distortion_avg(self) -> float | None:
        """The former name of :attr:`distortion_mean` (read-only alias)."""
        return self.distortion_mean

    _LABELS = (
        ("map", "MAP (Nickel–Kiela: closure ancestors)", ""),
        ("mean_rank", "mean rank (Nickel–Kiela)", "rank"),
        ("map_sala", "MAP (Sala et al.: graph neighbours)", ""),
        ("distortion_mean", "mean distortion", ""),
        ("distortion_worst", "worst-case distortion", ""),
        ("scale", "scale s (d_emb ≈ s · d_graph)", ""),
        ("link_map", "link prediction MAP (held-out edges)", ""),
        ("link_map_chance", "link prediction MAP by chance", ""),
        ("link_mean_rank", "link prediction mean rank", "rank"),
        ("link_mean_rank_chance", "link prediction mean rank by chance", "rank"),
        ("link_edges", "held-out edges scored", "pairs"),
        ("hyperlex_spearman", "HyperLex Spearman ρ", ""),
        ("hyperlex_pairs", "HyperLex pairs scored", "pairs"),
        ("hyperlex_pairs_missing", "HyperLex pairs without both words", "pairs"),
        ("nk_queries", "queries (Nickel–Kiela)", "nodes"),
        ("nk_positives", "positive pairs (Nickel–Kiela)", "pairs"),
        ("sala_queries", "queries (Sala)", "nodes"),
        ("distortion_pairs", "pairs in distortion", "pairs"),
        ("disconnected_pairs", "pairs left out (disconnected)", "pairs"),
    )

    def table(self):
        d = self.to_dict()
        d.update(distortion_mean=shown(self.distortion_mean), distortion_worst=shown(self.distortion_worst))
        rows = [[label, d[key]] for key, label, _ in self._LABELS if d.get(key) is not None]
        return ["metric", "value"], rows

    def _maps(self) -> tuple[float | None, str, dict]:
        """The MAPs the tree verdict judges, every one computed: Sala's first (graph neighbours, as distortion)."""
        if self.map_sala is None:
            return self.map, "map", {}
        return self.map_sala, "map_sala", ({"map": self.map} if self.map is not None else {})

    def metrics(self) -> list[Metric]:
        v = self.verdict()
        out = []
        for key, _, unit in self._LABELS:
            value = getattr(self, key)
            if value is None:
                continue
            status = map_status(value) if key in ("map", "map_sala") else distortion_status(value) if key == "distortion_mean" else ""
            if key == v.decided_by:
                status = v.status
            out.append(Metric(key, value, unit=unit, status=status))
        return out

    def verdict(self) -> Verdict:
        """Tree-likeness of the embedding (:func:`tree_verdict` on every MAP computed and mean distortion: the worst decides)."""
        value, key, more = self._maps()
        return tree_verdict(value, self.distortion_mean, map_id=key, more_maps=more, produced_by=self.produced_by)


# --------------------------------------------------------------------------- inputs
#: the fields the hyperbolic functions read from a hierarchy (graphops works on any object that has them)
_HIERARCHY_FIELDS = ("ids", "edges", "weights", "directed", "closed", "n_nodes")


def require_hierarchy(h, *, name: str = "h") -> Hierarchy:
    """``h`` when it is a :class:`~embgeo.hyperbolic.graphs.Hierarchy`; anything else (a list of edges, an
    array, a path) is a one-line :class:`EmbgeoError` saying how to build one — never a raw AttributeError."""
    if isinstance(h, Hierarchy) or all(hasattr(h, a) for a in _HIERARCHY_FIELDS):  # graphops' duck type too
        return h
    if isinstance(h, (str, bytes)) or hasattr(h, "__fspath__"):
        got = f"a path ({str(h)!r})"
    elif isinstance(h, np.ndarray):
        got = f"an array of shape {h.shape}"
    elif isinstance(h, (list, tuple)):
        got = f"a {type(h).__name__} of {len(h)} item{'' if len(h) == 1 else 's'}"
    else:
        got = f"a {type(h).__name__}"
    raise EmbgeoError(f"{name} must be a Hierarchy (a hierarchy or graph), got {got}",
                      hint="build one with hierarchy_from_edges(edges) or read_hierarchy(path), both in embgeo.hyperbolic")


def _trained_coordinates(emb, *, model: str, c, ids, produced_by):
    """A result of :func:`~embgeo.hyperbolic.poincare.train_poincare` (or of the combinatorial construction)
    as ``(coordinates or distances, model, c, ids, produced_by, scale)``; anything else unchanged."""
    from embgeo.hyperbolic.poincare import PoincareEmbedding

    if isinstance(emb, PoincareEmbedding):
        trained_c = float(emb.config.c)
        if c is not None and float(c) != trained_c:
            raise EmbgeoError(f"the embedding was trained at curvature −{trained_c:g}, not {setting('c', c)}",
                              hint=f"leave c out (the training's curvature is used) or pass {setting('c', trained_c)}")
        if model == "lorentz":
            if emb.lorentz is None:
                raise EmbgeoError("this embedding was trained in the Poincaré ball: it has no hyperboloid coordinates",
                                  hint=setting("model", "poincare"))
            coords = emb.lorentz
        else:
            coords = emb.coordinates  # points of the ball (converted from the hyperboloid for model="lorentz" training)
        return coords, model, trained_c, (emb.ids if ids is None else ids), (produced_by or "train"), None
    from embgeo.hyperbolic.combinatorial import CombinatorialResult, TreeEmbedding

    if isinstance(emb, (CombinatorialResult, TreeEmbedding)):  # its exact distance rows, at the construction's scale τ
        tree = emb.embedding if isinstance(emb, CombinatorialResult) else emb
        rows_ids = emb.ids if isinstance(emb, CombinatorialResult) and ids is None else ids
        return tree.distances, model, (1.0 if c is None else c), rows_ids, produced_by, tree.tau
    return emb, model, (1.0 if c is None else c), ids, produced_by, None


def _align_callable(dist, emb_ids, h: Hierarchy):
    """A distance callable whose rows are in the order of ``emb_ids``, re-indexed to the order of ``h.ids``."""
    if emb_ids is None:
        return dist
    emb_ids = np.asarray(emb_ids).astype(str).reshape(-1)
    if emb_ids.size == h.n_nodes and np.array_equal(emb_ids, np.asarray(h.ids).astype(str)):
        return dist
    order = _align(np.arange(emb_ids.size)[:, None], emb_ids, h)[:, 0]

    def aligned(rows):
        return np.asarray(dist(order[np.asarray(rows)]))[:, order]

    return aligned


# --------------------------------------------------------------------------- distances
def embedding_distances(emb, *, model: str = "poincare", c: float = 1.0, name: str = "embedding"):
    """Validate coordinates and return ``rows -> (len(rows), n_nodes)`` distances.

    ``emb``: (n_nodes, n_features) points in the Poincaré ball (``‖x‖ < 1/√c``), on the
    hyperboloid (``model="lorentz"``, (n_nodes, n_features + 1)), or Euclidean.
    """
    from embgeo.hyperbolic.math import lorentz_pairwise, poincare_pairwise

    if model not in MODELS:
        raise EmbgeoError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    X = as_matrix(emb, name=name, min_rows=2, dtype=np.float64)
    if model == "poincare":
        norms = np.sqrt(np.einsum("ij,ij->i", X, X))
        bad = np.flatnonzero(norms * np.sqrt(c) >= 1.0)
        if bad.size:
            raise EmbgeoError(f"{name} has {bad.size} rows on or outside the Poincaré ball of radius 1/√c = {1 / np.sqrt(c):.6g} (rows {', '.join(map(str, bad[:5]))}; max norm {norms.max():.6g})", hint="give points of the ball, or pass the model/curvature the embedding was trained with")
        return lambda rows: poincare_pairwise(X[rows], X, c=c)
    if model == "lorentz":
        # on the upper sheet of the hyperboloid −x₀² + Σxᵢ² = −1/c (x₀ > 0), to round-off of x₀²
        inner = -X[:, 0] ** 2 + np.einsum("ij,ij->i", X[:, 1:], X[:, 1:])
        off = np.abs(inner + 1.0 / c) > 1e-6 * np.maximum(X[:, 0] ** 2, 1.0 / c)
        bad = np.flatnonzero(off | (X[:, 0] <= 0))
        if bad.size:
            raise EmbgeoError(f"{name} has {bad.size} rows off the hyperboloid −x₀² + Σxᵢ² = −1/c = {-1 / c:.6g} with x₀ > 0 "
                              f"(rows {', '.join(map(str, bad[:5]))})",
                              hint="give hyperboloid coordinates (x₀ first), or " + setting("model", "poincare") + " for points of the ball")
        return lambda rows: lorentz_pairwise(X[rows], X, c=c)

    sq = np.einsum("ij,ij->i", X, X)

    def euclid(rows):
        d = sq[rows][:, None] + sq[None, :] - 2.0 * (X[rows] @ X.T)
        return np.sqrt(np.maximum(d, 0.0))

    return euclid


def _as_dist_fn(emb, *, model, c, n):
    if callable(emb):
        return emb
    fn = embedding_distances(emb, model=model, c=c)
    rows = np.asarray(emb).shape[0]
    if rows != n:
        raise EmbgeoError(f"the embedding has {rows} rows but the hierarchy has {n} nodes", hint="align the embedding to the hierarchy ids (pass ids=...)")
    return fn


def _block_rows(n: int, block: int | None) -> int:
    return max(1, int(block) if block else _BLOCK_ELEMENTS // max(n, 1))


# --------------------------------------------------------------------------- MAP
_TIE_REL = 1e-10  # distances closer than about this fraction of the largest are ties for MAP


def _ap_block(D: np.ndarray, rows: np.ndarray, pos):
    """AP per query row and NK ranks of the positives for one block of distances.

    ``D`` (b, n) distances from ``rows`` (b,) to every node; ``pos`` CSR (n, n) positives.
    Returns (ap (b,) with NaN where a row has no positive, sum of ranks, number of positives).

    Only the candidates of a row (nodes no farther than its farthest positive) are
    looked at, and they are never sorted: each is bucketed among the row's sorted
    positives with ``searchsorted`` on keys ``d + row·S`` (S above every candidate
    distance, so rows do not mix). Distances are snapped to a power-of-two grid of ~1e-10·S
    (keys stay exact), so distances equal up to round-off (which differs between LAPACK
    builds) are ties on every machine; ties count against the positive.
    """
    b, n = D.shape
    P = pos[rows]
    counts = np.diff(P.indptr)
    ap = np.full(b, np.nan)
    if P.nnz == 0:
        return ap, 0.0, 0
    D = np.array(D, dtype=np.float64, copy=True)
    if np.isnan(D).any():
        bad = rows[np.isnan(D).any(axis=1)]
        raise EmbgeoError(f"embedding distances are NaN for {bad.size} query rows (first {', '.join(map(str, bad[:5]))})", hint="check the embedding for NaN/inf coordinates or points outside the ball")
    inf = np.isinf(D)
    if inf.any():
        # points on the boundary (a float64 collapse): farther than every finite distance and
        # tied among themselves — ties count against the positive, so the collapse shows in MAP
        finite = D[~inf]
        D[inf] = 2.0 * (float(np.abs(finite).max()) if finite.size else 0.0) + 1.0
    q = 2.0 ** np.ceil(np.log2((float(np.abs(D).max()) + 1.0) * _TIE_REL))  # grid step: a power of two
    D = np.round(D / q) * q  # exact multiples of q: round-off ties become exact ties
    D[np.arange(b), rows] = np.inf  # the query itself is never a candidate
    pr = np.repeat(np.arange(b), counts)
    dpos = D[pr, P.indices]
    maxpos = np.full(b, -np.inf)
    np.maximum.at(maxpos, pr, dpos)
    mask = D <= maxpos[:, None]
    n_cand = mask.sum(axis=1)
    cand = D[mask]  # row-major: grouped by row
    crow = np.repeat(np.arange(b), n_cand)
    S = np.ceil((float(maxpos[np.isfinite(maxpos)].max()) + 1.0) / q) * q  # a multiple of q: keys stay exact
    ckey = cand + crow * S
    # positives sorted by (row, distance): a small sort
    order = np.lexsort((dpos, pr))
    prs, pks = pr[order], dpos[order] + pr[order] * S
    m = prs.size
    idx = np.arange(m)
    seg_start = (np.cumsum(counts) - counts)[prs]
    new_grp = np.r_[True, (prs[1:] != prs[:-1]) | (pks[1:] != pks[:-1])]
    last_flag = np.r_[new_grp[1:], True]
    grp_last = np.minimum.accumulate(np.where(last_flag, idx, m)[::-1])[::-1]
    # with L(c) = #{positive keys < c}: c ≤ key_j ⟺ L(c) ≤ j;
    # candidates of earlier rows have smaller keys (counted, then subtracted), later rows larger
    cum_left = np.cumsum(np.bincount(np.searchsorted(pks, ckey, side="left"), minlength=m + 1))
    row_base = np.r_[0, np.cumsum(n_cand)][prs]
    le_all = cum_left[idx] - row_base
    le_pos = grp_last - seg_start + 1
    le_nonpos = le_all - le_pos  # non-positives no farther than the positive: ties count against it, as in AP
    prec = le_pos / le_all
    has = counts > 0
    ap[has] = np.bincount(prs, weights=prec, minlength=b)[has] / counts[has]
    return ap, float((1.0 + le_nonpos).sum()), int(m)


def mean_average_precision(distances, positives, *, rows=None, block: int | None = None) -> MapResult:
    """Mean average precision and mean rank of ``positives`` under ``distances``.

    Parameters
    ----------
    distances : (n_queries, n_nodes) array of distances from ``rows`` to every node, or
        a callable ``rows -> (len(rows), n_nodes)`` evaluated block by block.
    positives : scipy.sparse (n_nodes, n_nodes); row ``u`` holds the positives of ``u``
        (closure ancestors for Nickel–Kiela, graph neighbours for Sala et al.).
    rows : the query rows (default: every node with a positive).

    The query itself is excluded; ties count against the positive (a node at the
    same distance as a positive is ranked with it, as in sklearn's
    ``average_precision_score``); ``rank = 1 + #non-positives no farther`` (ties against it too).
    See the module docstring for the formulas.
    """
    import scipy.sparse as sp

    pos = sp.csr_matrix(positives)
    pos.sort_indices()
    n = pos.shape[0]
    has_pos = np.flatnonzero(np.diff(pos.indptr) > 0)
    if callable(distances):
        qrows = has_pos if rows is None else np.asarray(rows, dtype=np.int64)
        get = distances
    else:
        D = np.asarray(distances, dtype=np.float64)
        if D.ndim != 2 or D.shape[1] != n:
            raise EmbgeoError(f"distances have shape {D.shape}; expected (n_queries, {n})")
        qrows = np.arange(D.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
        if qrows.size != D.shape[0]:
            raise EmbgeoError(f"{qrows.size} rows for {D.shape[0]} distance rows")
        lookup = {int(q): i for i, q in enumerate(qrows)}
        get = lambda rr: D[[lookup[int(x)] for x in rr]]  # noqa: E731
        keep = np.diff(pos.indptr)[qrows] > 0
        qrows = qrows[keep]
    step = _block_rows(n, block)
    aps, rank_sum, n_pos = [], 0.0, 0
    for s in range(0, qrows.size, step):
        rr = qrows[s:s + step]
        ap, rs, k = _ap_block(get(rr), rr, pos)
        aps.append(ap)
        rank_sum += rs
        n_pos += k
    ap = np.concatenate(aps) if aps else np.empty(0)
    valid = ~np.isnan(ap)
    return MapResult(
        map=float(ap[valid].mean()) if valid.any() else float("nan"),
        mean_rank=rank_sum / n_pos if n_pos else float("nan"),
        n_queries=int(valid.sum()),
        n_positives=int(n_pos),
        ap=ap[valid],
        queries=qrows[valid] if qrows.size == ap.size else qrows,
    )


# --------------------------------------------------------------------------- all together
def _align(emb, emb_ids, h: Hierarchy):
    if emb_ids is None:  # rows in the order of h.ids (the library's convention; the command line asks for ids or --join)
        return emb
    emb_ids, rows = np.asarray(emb_ids).astype(str).reshape(-1), np.asarray(emb).shape[0]
    if emb_ids.size != rows:
        raise EmbgeoError(f"{emb_ids.size} ids for {rows} embedding rows", hint="give one id per row")
    pos = {s: i for i, s in enumerate(emb_ids.tolist())}
    missing = [s for s in h.ids.tolist() if s not in pos]
    if missing:
        raise EmbgeoError(f"{len(missing)} hierarchy nodes have no row in the embedding (e.g. {', '.join(missing[:3])})", hint="embed every node of the hierarchy, or check the ids")
    uniq, counts = np.unique(emb_ids, return_counts=True)
    if (twice := np.intersect1d(uniq[counts > 1], h.ids.astype(str))).size:
        raise EmbgeoError(f"{twice.size} node ids are on more than one embedding row (first: {str(twice[0])!r}); which row is the node is not guessed", hint="make the ids unique (drop the repeated rows)")
    order = np.array([pos[s] for s in h.ids.tolist()], dtype=np.int64)
    return np.asarray(emb)[order]


def evaluate_embedding(
    emb,
    h: Hierarchy,
    *,
    protocol: str | None = None,
    model: str = "poincare",
    c: float | None = None,
    ids=None,
    distortion: bool | None = None,  # noqa: F811  (the keyword; the function distortion is re-exported above)
    scale: float | None = None,
    weighted: bool = True,
    distortion_sources: int | None = None,
    seed=0,
    block: int | None = None,
    holdout=None,
    hyperlex=None,
    produced_by: str | None = None,
    metric: str | None = None,
    max_sources: int | None = None,
) -> EvalResult:
    """Evaluate an embedding of ``h`` with the Nickel–Kiela and/or Sala et al. definitions.

    Parameters
    ----------
    emb : (n_nodes, n_features) coordinates (rows in the order of ``h.ids``, or of ``ids``),
        a callable ``rows -> (len(rows), n_nodes)`` distances, or the result of
        :func:`~embgeo.hyperbolic.poincare.train_poincare` (its ball coordinates, ids and curvature;
        ``produced_by="train"``) or of the combinatorial construction (its exact distances at its scale τ).
    h : the hierarchy or graph (:class:`~embgeo.hyperbolic.graphs.Hierarchy`: build one with
        :func:`~embgeo.hyperbolic.graphs.hierarchy_from_edges` or :func:`~embgeo.hyperbolic.graphs.read_hierarchy`).
    protocol : ``nk`` (default) — MAP and mean rank with closure ancestors as positives;
        ``sala`` — MAP with graph neighbours, plus distortion; ``all`` — both.
    model : ``poincare`` (default), ``lorentz`` or ``euclidean`` coordinates; ``c`` the curvature −c
        (default 1, or the curvature a training result was trained with).
    ids : the ids of the embedding's rows; they are matched to ``h.ids``.
    distortion : compute average/worst-case distortion (default: for ``sala`` and ``all``).
    scale : the scale ``s`` in ``d_emb/s``; fitted when None.
    weighted : use edge weights as lengths in graph distances (when the file has them).
    distortion_sources : estimate distortion from this many random source nodes (all pairs from
        each) instead of all nodes; ``seed`` draws them (as in :func:`~embgeo.hyperbolic.combinatorial.combinatorial_embedding`).
    max_sources : the former name of ``distortion_sources`` (DeprecationWarning; giving both is an error).
    block : query rows per block (default: about 8M distances per block).
    holdout : (m, 2) node ids ``(u, ancestor)`` held out of training: adds link prediction
        (``link_map``, ``link_mean_rank`` and their chance levels; :mod:`embgeo.hyperbolic.linkpred`).
    hyperlex : ``(words_u, words_v, scores)``: adds ``hyperlex_spearman`` (Poincaré coordinates only).
    produced_by : what made the coordinates (``"train"`` for :func:`train_poincare`; implied by
        ``holdout``, which only training writes), so that the verdict's fix fits it.
    metric : the former name of ``protocol`` (DeprecationWarning; giving both is an error).

    The graph for Sala's MAP and distortion is ``h`` itself, or its transitive
    reduction when ``h`` is a closure (the mammals file); the NK positives are the
    closure of ``h`` (computed when ``h`` is a DAG that is not closed), or the
    neighbours when ``h`` is undirected.
    """
    import scipy.sparse as sp

    from embgeo.arguments import renamed_keyword

    protocol = renamed_keyword("evaluate_embedding", "metric", metric, "protocol", protocol)
    distortion_sources = renamed_keyword("evaluate_embedding", "max_sources", max_sources, "distortion_sources", distortion_sources)
    protocol = "nk" if protocol is None else protocol
    if protocol not in METRICS:
        raise EmbgeoError(f"protocol must be one of {', '.join(METRICS)}, got {protocol!r}")
    h = require_hierarchy(h)
    emb, model, c, ids, produced_by, fitted = _trained_coordinates(emb, model=model, c=c, ids=ids, produced_by=produced_by)
    if fitted is not None and scale is None:
        scale = fitted
    n = h.n_nodes
    emb = _align(emb, ids, h) if not callable(emb) else _align_callable(emb, ids, h)
    dist = _as_dist_fn(emb, model=model, c=c, n=n)
    notes: list[str] = []
    out: dict = {"protocol": protocol, "model": model if not callable(emb) else "callable", "n_nodes": n,
                 "n_rows": n, "n_dims": None if callable(emb) else int(np.asarray(emb).shape[1]),
                 "produced_by": "train" if holdout is not None else produced_by}
    if protocol in ("nk", "all"):
        if h.directed:
            clo = h if h.closed else transitive_closure(h)
            positives = clo.adjacency(symmetric=False)
            if not h.closed:
                notes.append(f"Nickel–Kiela positives: the transitive closure of the {h.n_edges} edges ({clo.n_edges} pairs)")
        else:
            positives = h.neighbours
            notes.append("the graph is undirected: Nickel–Kiela positives are the graph neighbours")
        r = mean_average_precision(dist, positives, block=block)
        out.update(map=r.map, mean_rank=r.mean_rank, nk_queries=r.n_queries, nk_positives=r.n_positives)
    want_dist = (protocol in ("sala", "all")) if distortion is None else bool(distortion)
    if protocol in ("sala", "all") or want_dist:
        g = transitive_reduction(h) if (h.directed and h.closed) else h
        out["graph"] = "the transitive reduction of the closure" if g is not h else "the edges as given, undirected"
        if protocol in ("sala", "all"):
            r = mean_average_precision(dist, g.neighbours, block=block)
            out.update(map_sala=r.map, sala_queries=r.n_queries)
        if want_dist:
            if distortion_sources is not None and distortion_sources < n:
                rng = as_rng(seed)
                sources = np.sort(rng.choice(n, size=int(distortion_sources), replace=False))
                notes.append(f"distortion estimated from {sources.size} random source nodes (seed {seed}) × all {n} nodes")
            else:
                sources = np.arange(n)
            acc = RatioAccumulator(scale)
            disconnected = 0
            for idx, dg in iter_graph_distances(g, sources=sources, weighted=weighted, block=_block_rows(n, block)):
                de = dist(idx)
                dg[np.arange(idx.size), idx] = 0.0
                ok = np.isfinite(dg) & (dg > 0)
                disconnected += int((~np.isfinite(dg)).sum())
                vals = de[ok]
                if np.isnan(vals).any():
                    raise EmbgeoError("embedding distances contain NaN", hint="check the embedding for NaN/inf coordinates")
                acc.add(vals / dg[ok])
            avg, worst, s = acc.result()
            out.update(distortion_mean=float(avg), distortion_worst=float(worst), scale=float(s), scale_fitted=scale is None, distortion_pairs=acc.n, disconnected_pairs=disconnected, distortion_sources=int(sources.size))
            if disconnected:
                notes.append(f"{disconnected} (ordered) pairs lie in different connected parts and are left out of distortion")
            notes += [m for m in [infinite_note(f"{acc.zeros} (ordered) pairs at positive graph distance share a point", mean=avg, worst=worst)] if m]
    if holdout is not None:
        from embgeo.hyperbolic.linkpred import link_prediction_by_ids

        out.update(link_prediction_by_ids(dist, h, holdout, block=block).to_dict())
    if hyperlex is not None:
        if callable(emb) or model != "poincare":
            raise EmbgeoError("the HyperLex score uses Poincaré norms: give Poincaré coordinates", hint=setting("model", "poincare"))
        from embgeo.hyperbolic.linkpred import hyperlex_spearman

        out.update(hyperlex_spearman(emb, h.ids, *hyperlex, c=c).to_dict())
    del sp
    return EvalResult(notes=notes, **out)


from embgeo._callable import make_callable  # noqa: E402

make_callable(__name__, "evaluate_embedding")
