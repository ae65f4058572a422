"""Cosine checked against ground truth: which similarity retrieves the relevant rows?

Steck et al. (2024) ask whether cosine similarity is really about similarity; with
labels (rows of one class are relevant to each other) or relevance judgements
(``qrels``: query id → relevant ids) the question has an answer in numbers. Every
row with at least one relevant row is a query; every other row is a candidate. For
each similarity below the ``k`` best candidates of each query give

- precision@k ``= |top_k ∩ R| / k``, recall@k ``= |top_k ∩ R| / |R|``,
- nDCG@k ``= Σ_{r ≤ k, hit at r} 1/log₂(r+1) / Σ_{r ≤ min(k, |R|)} 1/log₂(r+1)`` (binary gains),

averaged over queries, with percentile-bootstrap intervals over queries, and the
paired gain of each similarity over raw cosine (the same resampled queries).

Similarities (distance form, lower is closer; ``d`` is the cosine distance ``1 − cos``):

- ``cosine`` (raw), ``dot`` (``−x·y``), ``centred`` (cosine after subtracting the mean
  row), ``abtt`` (all-but-the-top, Mu & Viswanath 2018), ``whiten`` (ZCA whitening);
- hubness reductions of ``d`` (Radovanović et al. 2010; definitions as in scikit-hubness,
  Feldbauer et al. 2018), each re-ranking the ``candidates`` nearest rows by cosine
  (all rows when ``candidates ≥ n − 1``), with row statistics over all other rows:

  - ``mp_empirical``: mutual proximity ``1 − #{m ∉ {i, j}: d_im > d_ij and d_jm > d_ij} / (n − 2)``
    (Schnitzer et al. 2012);
  - ``mp_gaussian``: ``1 − SF(d_ij; μᵢ, σᵢ)·SF(d_ij; μⱼ, σⱼ)`` with ``μᵢ, σᵢ`` the mean and sd
    of row ``i``'s distances to the other rows and ``SF`` the normal survival function;
  - ``local_scaling``: ``1 − exp(−d_ij² / (σᵢσⱼ))``, ``σᵢ`` the distance to row ``i``'s ``k``-th
    neighbour (Zelnik-Manor & Perona 2005);
  - ``nicdm``: ``d_ij / √(μᵢμⱼ)``, ``μᵢ`` the mean distance to row ``i``'s ``k`` neighbours
    (Jegou et al. 2010);
  - ``csls``: ``2 d_ij − rᵢ − rⱼ``, ``rᵢ`` the mean distance to row ``i``'s ``k`` neighbours,
    i.e. ``−(2cos − r̄ᵢ − r̄ⱼ)`` in similarity form (Conneau et al. 2018).

Verdict: ``bad`` when a similarity beats raw cosine at precision@k by a gain whose whole
bootstrap interval lies above ``margin`` (default 0.02, two points of precision); it names the similarity. ``ok``
otherwise. Full distance matrices are built (``n ≤`` :data:`MAX_ROWS`; use a sample above).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.cosine.common import shown
from embgeo.results import Metric, Result, Verdict, jsonable
from embgeo.validation import as_matrix, as_rng

SIMILARITIES = ("cosine", "dot", "centred", "abtt", "whiten", "mp_empirical", "mp_gaussian", "local_scaling", "nicdm", "csls")
#: other spellings of a similarity (``centre``/``center``: the post-processing's name for centring); results use the canonical one
SIMILARITY_ALIASES = {"centre": "centred", "center": "centred", "centered": "centred"}
#: similarities that are a transform of the vectors (and so can be written with --write-processed)
VECTOR_TRANSFORMS = ("centred", "abtt", "whiten")
HUBNESS_REDUCTIONS = ("mp_empirical", "mp_gaussian", "local_scaling", "nicdm", "csls")
#: largest n for which the full distance matrices are built
MAX_ROWS = 10000
DEFAULT_CANDIDATES = 100
#: the precision@k gain over raw cosine that a similarity's whole interval must clear for the verdict ``bad``
#: (two points of precision: smaller gains are real but rarely worth changing a similarity for)
DEFAULT_MARGIN = 0.02


def similarity_names(methods, *, name: str = "methods") -> list[str]:
    """``methods`` (names of :data:`SIMILARITIES`, or their :data:`SIMILARITY_ALIASES`) as canonical names, in order,
    each once; one name or a comma list in one string is a list. Raises naming the first unknown one, and naming the
    argument (``name``; ``--method`` on the command line) for anything but names."""
    if isinstance(methods, str):
        methods = [methods]
    if not np.iterable(methods) or isinstance(methods, (bytes, dict)):
        raise EmbgeoError(f"{param(name, '--method')} must be a similarity name, a comma list or a sequence of names, got {methods!r}",
                          hint=_names_hint(name))
    out = []
    for m in methods:
        if not isinstance(m, str):
            raise EmbgeoError(f"{param(name, '--method')} must hold similarity names (text), got {m!r}",
                              hint=_names_hint(name))
        for sim in m.split(","):
            sim = sim.strip()
            if sim == "":
                continue
            sim = SIMILARITY_ALIASES.get(sim, sim)
            if sim not in SIMILARITIES:
                raise EmbgeoError(f"unknown similarity {sim!r}", hint=f"use one of: {', '.join(SIMILARITIES)} (centre or center for centred)")
            out.append(sim)
    return list(dict.fromkeys(out))


def _names_hint(name: str) -> str:
    return either(f"e.g. {name}=('cosine', 'centred')", "e.g. --method cosine,centred") + f", from {', '.join(SIMILARITIES)}"


def _unit(M: np.ndarray) -> np.ndarray:
    M = np.asarray(M, dtype=np.float64)
    nr = np.linalg.norm(M, axis=1, keepdims=True)
    return np.divide(M, nr, out=np.zeros_like(M), where=nr > 0)


def cosine_distance_matrix(M) -> np.ndarray:
    """``1 − cos(xᵢ, xⱼ)`` for all pairs, float64 (zero rows have cosine 0 with everything)."""
    U = _unit(M)
    return 1.0 - U @ U.T


def _off_diag(D: np.ndarray) -> np.ndarray:
    D = np.array(D, dtype=np.float64)
    np.fill_diagonal(D, np.inf)
    return D


def _knn_stats(D: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(distance to the k-th neighbour, mean distance to the k neighbours) of each row (self excluded)."""
    Do = _off_diag(D)
    part = np.partition(Do, k - 1, axis=1)[:, :k]
    return part.max(axis=1), part.mean(axis=1)


def candidate_lists(D: np.ndarray, candidates: int) -> np.ndarray:
    """Each row's ``candidates`` nearest other rows under ``D`` (n, C), nearest first, ties by index."""
    n = D.shape[0]
    C = int(min(max(candidates, 1), n - 1))
    Do = _off_diag(D)
    if C < n - 1:
        idx = np.argpartition(Do, C - 1, axis=1)[:, :C]
    else:
        idx = np.tile(np.arange(n), (n, 1))[~np.eye(n, dtype=bool)].reshape(n, n - 1)
    vals = np.take_along_axis(Do, idx, axis=1)
    order = np.lexsort((idx, vals), axis=1)
    return np.take_along_axis(idx, order, axis=1)


def secondary_distances(D: np.ndarray, cand: np.ndarray, method: str, *, k: int = 10, block: int = 64) -> np.ndarray:
    """The hubness-reduced distance of each query row ``i`` to its candidates ``cand[i]`` (n, C).

    ``D`` is the full (n, n) primary distance matrix (its diagonal is ignored);
    ``method`` one of :data:`HUBNESS_REDUCTIONS` (formulas in the module docstring).
    """
    n = D.shape[0]
    rows = np.arange(n)[:, None]
    d = D[rows, cand]
    if method == "mp_empirical":
        out = np.empty_like(d)
        Do = np.array(D, dtype=np.float64)
        np.fill_diagonal(Do, -np.inf)  # a row is never farther than d from itself
        for s in range(0, n, block):
            e = min(n, s + block)
            for i in range(s, e):
                dij = d[i][:, None]  # (C, 1)
                both = (Do[i][None, :] > dij) & (Do[cand[i]] > dij)  # (C, n); m = i and m = j never count
                out[i] = 1.0 - both.sum(axis=1) / (n - 2.0)
        return out
    if method == "mp_gaussian":
        from scipy.stats import norm

        Do = np.array(D, dtype=np.float64)
        mask = ~np.eye(n, dtype=bool)
        vals = Do[mask].reshape(n, n - 1)
        mu, sd = vals.mean(axis=1), vals.std(axis=1, ddof=0)
        sd = np.where(sd > 0, sd, np.finfo(float).tiny)
        return 1.0 - norm.sf(d, mu[:, None], sd[:, None]) * norm.sf(d, mu[cand], sd[cand])
    kth, mean_k = _knn_stats(D, k)
    if method == "local_scaling":
        s = kth[:, None] * kth[cand]
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - np.exp(-np.where(s > 0, d * d / s, np.where(d > 0, np.inf, 0.0)))
    if method == "nicdm":
        s = np.sqrt(mean_k[:, None] * mean_k[cand])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s > 0, d / s, np.where(d > 0, np.inf, 0.0))
    if method == "csls":
        return 2.0 * d - mean_k[:, None] - mean_k[cand]
    raise EmbgeoError(f"unknown hubness reduction '{method}'", hint=f"use one of: {', '.join(HUBNESS_REDUCTIONS)}")


def rank_candidates(score: np.ndarray, cand: np.ndarray, kk: int) -> np.ndarray:
    """The ``kk`` candidates with the lowest ``score`` per row; ties keep the candidates' order."""
    pos = np.broadcast_to(np.arange(cand.shape[1]), cand.shape)
    order = np.lexsort((pos, score), axis=1)[:, :kk]
    return np.take_along_axis(cand, order, axis=1)


def top_k(D: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k`` nearest other rows under the full distance matrix ``D``, ties by index."""
    return candidate_lists(D, k)


def query_scores(top: np.ndarray, relevant: list, k: int) -> np.ndarray:
    """(n_queries, 3): precision@k, recall@k and nDCG@k of each query (binary relevance).

    ``top`` (n, ≥ k) ranked neighbours of every row; ``relevant`` a list of
    ``(row, set_of_rows)`` for the queries.
    """
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    out = np.empty((len(relevant), 3))
    for q, (i, rel) in enumerate(relevant):
        hits = np.fromiter((t in rel for t in top[i, :k]), dtype=bool, count=k)
        h = hits.sum()
        ideal = disc[: min(k, len(rel))].sum()
        out[q] = (h / k, h / len(rel), float(disc[hits].sum() / ideal))
    return out


def relevant_from_labels(labels) -> list:
    """Queries from class labels: every row whose class has another row; relevant = the other rows of its class.
    Missing labels (None, NaN, empty text) make a row a candidate only."""
    lab = np.asarray(labels, dtype=object).reshape(-1)
    groups: dict = {}
    for i, v in enumerate(lab):
        if v is None or (isinstance(v, float) and not np.isfinite(v)) or (isinstance(v, str) and not v.strip()):
            continue
        groups.setdefault(v if not isinstance(v, str) else v.strip(), []).append(i)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        s = set(members)
        out += [(i, s - {i}) for i in members]
    out.sort(key=lambda t: t[0])
    return out


def relevant_from_qrels(pairs, ids) -> tuple[list, int]:
    """Queries from ``(query_id, doc_id)`` pairs over the row ids ``ids``; returns (queries, pairs skipped).
    A pair whose query or document is not a row id, or that relates a row to itself, is skipped."""
    pos = {str(v): i for i, v in enumerate(ids)}
    rel: dict[int, set] = {}
    skipped = 0
    for qid, did in pairs:
        qi, di = pos.get(str(qid)), pos.get(str(did))
        if qi is None or di is None or qi == di:
            skipped += 1
            continue
        rel.setdefault(qi, set()).add(di)
    return sorted(rel.items()), skipped


def _row_number(v, n: int, what: str) -> int:
    """``v`` as a row number of ``X`` (0 … n − 1); raises naming ``what`` (negative numbers do not count from the end)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise EmbgeoError(f"{what} is {v!r}, not a row number", hint=f"name rows of X by their numbers 0 … {n - 1}")
    if not 0 <= v < n:
        raise EmbgeoError(f"{what} is row {int(v)}, but X has rows 0 … {n - 1}",
                          hint="row numbers count from 0 and a negative one does not count from the end: fix the number or drop the pair")
    return int(v)


def check_relevant(relevant, n: int) -> list:
    """``relevant`` (a list of ``(row, set_of_rows)``, or a mapping row → rows) checked against the ``n`` rows of ``X``:
    every row number an integer in ``0 … n − 1``, no query twice, and every query with a relevant row other than
    itself (the query itself is dropped from its set: it is never among its own neighbours). Returns the pairs in the
    given order as ``(int, set[int])``; raises an :class:`EmbgeoError` naming the pair otherwise."""
    from collections.abc import Iterable, Mapping

    if isinstance(relevant, Mapping):
        relevant = list(relevant.items())
    if isinstance(relevant, (str, bytes, np.ndarray)) or not isinstance(relevant, Iterable):
        raise EmbgeoError(f"relevant must be a list of (row, set_of_rows) pairs, got {type(relevant).__name__}",
                          hint="e.g. relevant=[(0, {3, 7}), (1, {2})]")
    out, seen = [], {}
    for p, pair in enumerate(relevant):
        try:
            q, rel = pair
        except (TypeError, ValueError):
            raise EmbgeoError(f"relevant[{p}] is not a (row, set_of_rows) pair", hint="e.g. relevant=[(0, {3, 7}), (1, {2})]") from None
        q = _row_number(q, n, f"the query of relevant[{p}]")
        if q in seen:
            raise EmbgeoError(f"relevant[{p}] repeats query row {q} (first in relevant[{seen[q]}])",
                              hint="give each query once, with the union of its relevant rows")
        seen[q] = p
        if isinstance(rel, (str, bytes)) or not isinstance(rel, Iterable):
            raise EmbgeoError(f"relevant[{p}] (query row {q}) has {rel!r} where a set of relevant rows belongs",
                              hint=f"write ({q}, {{row, …}}), e.g. ({q}, {{{rel!r}}})" if isinstance(rel, (int, np.integer)) else "give a set of row numbers")
        rows = {_row_number(v, n, f"a relevant row of relevant[{p}] (query row {q})") for v in rel}
        rows.discard(q)
        if not rows:
            raise EmbgeoError(f"relevant[{p}] (query row {q}) has no relevant row other than the query itself",
                              hint="add its relevant rows, or drop the pair")
        out.append((q, rows))
    return out


#: words that make a first qrels line a header (compared in lower case)
_QRELS_HEADER_WORDS = frozenset({"query", "query_id", "queryid", "qid", "q", "doc", "doc_id", "docid", "document", "did", "corpus_id",
                                 "relevance", "rel", "label", "score", "judgement", "judgment", "iteration", "iter", "q0"})


def read_qrels(path) -> list[tuple[str, str]]:
    """Relevance judgements: one pair per line, ``query doc`` (2 columns), ``query doc relevance`` (3) or
    TREC ``query iteration doc relevance`` (4); separated by tabs, commas or spaces; a first line that names
    its columns (``query,doc,relevance``) and pairs with relevance ≤ 0 are skipped. A relevance that is not a
    number, and a pair judged twice with different relevances, are errors naming the line."""
    import re
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise EmbgeoError("no such qrels file", source=str(p), hint="give a file of 'query doc [relevance]' lines")
    pairs, judged, first = [], {}, True  # judged: (query, doc) -> (relevance, line), to refuse a pair judged twice differently
    for ln, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        header_line, first = first, False
        parts = [t for t in re.split(r"[\t,]|\s+", line) if t != ""]
        if len(parts) == 2:
            q, d, rel = parts[0], parts[1], "1"
        elif len(parts) == 3:
            q, d, rel = parts
        elif len(parts) == 4:
            q, _, d, rel = parts
        else:
            raise EmbgeoError(f"line {ln} has {len(parts)} fields", source=str(p), hint="use 'query doc', 'query doc relevance' or TREC 'query 0 doc relevance'")
        if header_line and {q.lower().strip('"'), d.lower().strip('"')} <= _QRELS_HEADER_WORDS:
            continue  # a header naming the query and doc columns (2 columns: its relevance reads as 1)
        try:
            r = float(rel)
        except ValueError:
            if header_line and any(t.lower().strip('"') in _QRELS_HEADER_WORDS for t in parts):
                continue  # a header (query,doc,relevance …)
            raise EmbgeoError(f"line {ln}: relevance '{rel}' is not a number", source=str(p),
                              hint="write 'query doc relevance' with a number (a header line must name its columns: query, doc, relevance)") from None
        if not math.isfinite(r):
            raise EmbgeoError(f"line {ln}: relevance '{rel}' is not a finite number", source=str(p))
        seen = judged.get((q, d))
        if seen is not None and seen[0] != r:  # which judgement counts? never the first or the last silently
            raise EmbgeoError(f"line {ln} judges query '{q}', doc '{d}' {rel}, but line {seen[1]} judged it {seen[2]}", source=str(p),
                              hint="keep one judgement per query and doc")
        if seen is None:
            judged[(q, d)] = (r, ln, rel)
            if r > 0:
                pairs.append((q, d))
    if not pairs:
        raise EmbgeoError("no relevant pairs in the qrels file", source=str(p))
    return pairs


@dataclass(frozen=True, slots=True)
class RetrievalResult(Result):
    """precision@k, recall@k and nDCG@k of every similarity, with bootstrap intervals over queries,
    and each similarity's paired gain in precision@k over raw cosine."""

    k: int
    n_rows: int
    n_queries: int
    source: str  # "classes" or "qrels"
    candidates: int
    n_bootstrap: int  # written as "bootstrap" (the option's name, as in settings and the other commands' results)
    confidence: float
    margin: float
    methods: list
    scores: dict  # method -> {precision_at_k, recall_at_k, ndcg_at_k, each with ci_low/ci_high; precision_gain + ci}
    per_query: dict = field(default=None, repr=False)  # method -> (n_queries, 3)

    def to_dict(self) -> dict:
        return jsonable({"k": self.k, "n_rows": self.n_rows, "n_queries": self.n_queries, "source": self.source,
                         "candidates": self.candidates, "bootstrap": self.n_bootstrap, "confidence": self.confidence,
                         "margin": self.margin, "methods": {m: self.scores[m] for m in self.methods}})

    def metrics(self) -> list[Metric]:
        rows = []
        for m in self.methods:
            s = self.scores[m]
            for key in ("precision_at_k", "recall_at_k", "ndcg_at_k"):
                rows.append(Metric(key, s[key]["value"], s[key]["ci_low"], s[key]["ci_high"], extra={"method": m, "k": self.k}))
            if m != "cosine":
                g = s["precision_gain"]
                rows.append(Metric("precision_gain", g["value"], g["ci_low"], g["ci_high"],
                                   status=self.gain_status(m), extra={"method": m, "k": self.k}))
        return rows

    def gain_status(self, m: str) -> str:
        """``bad`` when similarity ``m``'s precision@k gain over raw cosine has its whole interval above ``margin``, else ``ok``."""
        g = self.scores[m]["precision_gain"]
        return "bad" if (g["ci_low"] is not None and np.isfinite(g["ci_low"]) and g["ci_low"] > self.margin) else "ok"

    def winners(self) -> list[str]:
        """Similarities whose precision@k gain over raw cosine clears ``margin`` with its whole interval, best first."""
        w = [m for m in self.methods if m != "cosine" and self.gain_status(m) == "bad"]
        return sorted(w, key=lambda m: -self.scores[m]["precision_gain"]["value"])

    def best_vector_transform(self) -> str | None:
        """The vector transform (centred, abtt, whiten) with the highest precision@k, if it beats raw cosine."""
        cands = [m for m in VECTOR_TRANSFORMS if m in self.scores]
        if not cands:
            return None
        best = max(cands, key=lambda m: self.scores[m]["precision_at_k"]["value"])
        return best if self.scores[best]["precision_gain"]["value"] > 0 else None

    def verdict(self) -> Verdict:
        raw = self.scores["cosine"]["precision_at_k"]["value"]
        w = self.winners()
        lvl = f"{100 * self.confidence:g} %"
        if w:
            m = w[0]
            g = self.scores[m]["precision_gain"]
            from embgeo.cosine.postprocess import processed_hint

            fix = (f"use '{m}' instead of raw cosine ({processed_hint(m.replace('centred', 'centre'))})" if m in VECTOR_TRANSFORMS
                   else f"rank with '{m}' (a hubness reduction applied at query time) instead of raw cosine")
            return Verdict("bad", f"'{m}' raises precision@{self.k} from {raw:.3f} to {self.scores[m]['precision_at_k']['value']:.3f} "
                                  f"(gain {g['value']:.3f}, {lvl} interval {shown(g['ci_low'], self.margin)} – {g['ci_high']:.3f}, entirely above {self.margin:g}) "
                                  f"on {self.n_queries} queries: raw cosine leaves relevant rows out", fix, "precision_gain", {"method": m})
        best = max((m for m in self.methods if m != "cosine"), key=lambda m: self.scores[m]["precision_gain"]["value"], default=None)
        extra = ""
        if best is not None:
            g = self.scores[best]["precision_gain"]
            extra = f"; the best, '{best}', gains {g['value']:.3f} ({lvl} interval {shown(g['ci_low'], self.margin)} – {g['ci_high']:.3f}, not entirely above {self.margin:g})"
        return Verdict("ok", f"no similarity beats raw cosine's precision@{self.k} {raw:.3f} beyond its bootstrap interval{extra}", "", "precision_gain")


def _bootstrap(values: dict, n_bootstrap: int, confidence: float, seed) -> dict:
    """Mean and percentile interval over queries for each method's per-query values, resampled
    jointly (the same queries for every method), plus each method's paired precision gain over cosine."""
    methods = list(values)
    q = values[methods[0]].shape[0]
    alpha = (1.0 - confidence) / 2.0
    if n_bootstrap > 0:
        W = as_rng(seed).multinomial(q, np.full(q, 1.0 / q), size=n_bootstrap).astype(np.float64) / q  # (B, q)
    out = {}
    base = values["cosine"][:, 0]
    for m in methods:
        V = values[m]
        s = {}
        for j, key in enumerate(("precision_at_k", "recall_at_k", "ndcg_at_k")):
            lo = hi = float("nan")
            if n_bootstrap > 0:
                b = W @ V[:, j]
                lo, hi = (float(x) for x in np.quantile(b, [alpha, 1 - alpha]))
            s[key] = {"value": float(V[:, j].mean()), "ci_low": lo, "ci_high": hi}
        diff = V[:, 0] - base
        lo = hi = float("nan")
        if n_bootstrap > 0 and m != "cosine":
            b = W @ diff
            lo, hi = (float(x) for x in np.quantile(b, [alpha, 1 - alpha]))
        s["precision_gain"] = {"value": float(diff.mean()), "ci_low": lo if m != "cosine" else 0.0, "ci_high": hi if m != "cosine" else 0.0}
        out[m] = s
    return out


def check_margin(margin) -> float:
    """The precision@k gain a similarity's whole interval must clear for the verdict ``bad``: a number in [0, 1]."""
    from embgeo.arguments import check_number

    v = check_number("margin", margin)
    if not 0.0 <= v <= 1.0:  # NaN fails too
        raise EmbgeoError(f"{param('margin')} is a gain in precision@k and must lie between 0 and 1, got {margin!r}",
                          hint=f"e.g. {setting('margin', DEFAULT_MARGIN)} (two points of precision; 0: any gain whose whole interval is above 0)")
    return v


def retrieval(
    X,
    *,
    classes=None,
    relevant=None,
    k: int = 10,
    methods=SIMILARITIES,
    candidates: int | None = None,
    abtt_components: int | None = None,
    whiten_floor: float | None = None,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    margin: float = DEFAULT_MARGIN,
    seed=0,
    labels=None,
    n_components=None,
    floor=None,
) -> RetrievalResult:
    """precision@k / recall@k / nDCG@k of every similarity in ``methods`` against ground truth.

    ``X`` (n_samples, n_features); ``classes`` (n_samples,) class of each row, or
    ``relevant`` a list of ``(row, set_of_relevant_rows)`` (see :func:`relevant_from_qrels`), rows
    numbered ``0 … n − 1`` (checked by :func:`check_relevant`: a row outside them, a repeated query or a
    query with no relevant row but itself is refused).
    ``k`` (10) ranks and neighbours of the reductions; ``candidates`` (a whole number ≥ k; default
    ``max(100, k)``) rows re-ranked by the hubness reductions; ``methods`` names of :data:`SIMILARITIES`
    (``centre``/``center`` are ``centred``); ``abtt_components``/``whiten_floor`` of all-but-the-top
    and whitening; ``n_bootstrap`` (1000) resamples of the queries at ``confidence`` (0.95); ``margin``
    (0.02, in [0, 1]) the gain a similarity's whole interval must clear for the verdict ``bad``.
    ``labels``, ``n_components``, ``floor``: the former names of ``classes``, ``abtt_components``,
    ``whiten_floor`` (deprecated). Formulas in the module docstring.
    """
    from embgeo.arguments import check_count, check_level, renamed_keyword
    from embgeo.cosine.postprocess import all_but_the_top, center, check_abtt_components, check_whiten_floor, whiten

    classes = renamed_keyword("retrieval", "labels", labels, "classes", classes)
    abtt_components = renamed_keyword("retrieval", "n_components", n_components, "abtt_components", abtt_components)
    whiten_floor = renamed_keyword("retrieval", "floor", floor, "whiten_floor", whiten_floor)
    X = as_matrix(X, name="X", min_rows=3)
    n = X.shape[0]
    if n > MAX_ROWS:
        raise EmbgeoError(f"retrieval builds {n} × {n} distance matrices; at most {MAX_ROWS} rows", hint=either("evaluate a seeded sample of the rows", "evaluate a seeded sample (--sample N)"))
    k = check_count("k", k, minimum=1)
    if not k < n - 1:
        raise EmbgeoError(f"k must be between 1 and {n - 2} for retrieval over {n} rows, got {k!r}", hint=f"lower {param('k')}")
    methods = similarity_names(methods)
    if "cosine" not in methods:
        methods.insert(0, "cosine")
    if (classes is None) == (relevant is None):
        raise EmbgeoError("retrieval needs class labels or relevance judgements (one of them)", hint=either("pass classes (a class per row) or relevant (the relevant rows of each query)", "pass --class COLUMN or --qrels FILE"))
    confidence = check_level(confidence)
    n_bootstrap = check_count("n_bootstrap", n_bootstrap, minimum=0, flag="bootstrap",
                              hint=f"{setting('n_bootstrap', 0, '--bootstrap')}: no intervals")
    margin = check_margin(margin)
    if candidates is None:
        candidates = max(DEFAULT_CANDIDATES, k)
    else:
        candidates = check_count("candidates", candidates, minimum=1, hint=f"the rows each query's hubness reductions re-rank: k ({k}) or more")
        if candidates < k:
            raise EmbgeoError(f"candidates={candidates} is fewer than the k={k} rows each query ranks",
                              hint=f"pass candidates ≥ {k} (or None for max({DEFAULT_CANDIDATES}, k))")
    D_abtt = check_abtt_components(abtt_components, X.shape[1])
    whiten_floor = check_whiten_floor(whiten_floor)
    if classes is not None:
        classes = np.asarray(classes, dtype=object).reshape(-1)
        if classes.size != n:
            raise EmbgeoError(f"the classes have {classes.size} values for {n} rows")
        relevant = relevant_from_labels(classes)
        source = "classes"
    else:
        relevant = check_relevant(relevant, n)
        source = "qrels"
    if not relevant:
        raise EmbgeoError("no row has a relevant row: no query to evaluate", hint="each class needs at least two rows (or the qrels must name rows of X)")
    cand_n = int(min(candidates, n - 1))
    D = cosine_distance_matrix(X)
    cand = candidate_lists(D, cand_n)
    values = {}
    for m in methods:
        if m == "cosine":
            top = cand[:, :k]
        elif m == "dot":
            Xf = np.asarray(X, dtype=np.float64)
            top = top_k(-(Xf @ Xf.T), k)
        elif m == "centred":
            top = top_k(cosine_distance_matrix(center(X)), k)
        elif m == "abtt":
            top = top_k(cosine_distance_matrix(all_but_the_top(X, n_components=D_abtt)), k)
        elif m == "whiten":
            top = top_k(cosine_distance_matrix(whiten(X, floor=whiten_floor)), k)
        else:
            top = rank_candidates(secondary_distances(D, cand, m, k=k), cand, k)
        values[m] = query_scores(top, relevant, k)
    scores = _bootstrap(values, n_bootstrap, confidence, seed)
    return RetrievalResult(int(k), n, len(relevant), source, cand_n, int(n_bootstrap), float(confidence), float(margin),
                           methods, scores, values)


__all__ = [
    "SIMILARITIES", "SIMILARITY_ALIASES", "HUBNESS_REDUCTIONS", "VECTOR_TRANSFORMS", "RetrievalResult", "retrieval", "secondary_distances",
    "similarity_names", "check_margin",
    "cosine_distance_matrix", "candidate_lists", "query_scores", "relevant_from_labels", "relevant_from_qrels", "read_qrels",
]
