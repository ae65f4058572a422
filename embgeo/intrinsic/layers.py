"""Intrinsic dimension per layer and neighbourhood overlap between consecutive layers.

References
----------
* Valeriani, Doimo, Cuturello et al. (2023), The geometry of hidden
  representations of large transformer models. NeurIPS (ID profile across
  layers; neighbourhood overlap χ).
* Cheng et al. / "The Geometry of Tokens in Internal Representations of Large
  Language Models" (ID and neighbourhood overlap of token clouds per layer).
* Skean et al. (2025), Layer by Layer (matrix entropy per layer).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embgeo.arguments import check_count, check_flag, check_level
from embgeo.errors import EmbgeoError, either, param
from embgeo.intrinsic.estimators import check_discard
from embgeo.intrinsic.methods import PEER_MLE_K, neighbors_needed, parse_methods
from embgeo.intrinsic.result import ESTIMATOR_CAPTION, SPECTRAL_CAPTION, IntrinsicReport, interval_of, level_text
from embgeo.intrinsic.sampling import sample_rows
from embgeo.intrinsic.summary import check_settings, intrinsic_dimension
from embgeo.knn.engine import knn
from embgeo.results import Result
from embgeo.validation import as_matrix, check_seed


def neighbourhood_overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-row share of common neighbours of two ``(n, k)`` index arrays: ``|N_a(i) ∩ N_b(i)| / k``.

    Valeriani et al. (2023): ``χ = (1/n) Σᵢ |N_a(i) ∩ N_b(i)| / k``; 1 means the same
    neighbourhoods, ``k/(n−1)`` is what unrelated random neighbourhoods give.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 2:
        raise EmbgeoError(f"neighbour index arrays must have the same (n, k) shape; got {a.shape} and {b.shape}")
    k = a.shape[1]
    hits = np.empty(a.shape[0], dtype=np.int64)
    step = max(1, 2**24 // max(1, k * k))
    for s in range(0, a.shape[0], step):  # (rows, k, k) comparisons, bounded memory
        hits[s:s + step] = (a[s:s + step, :, None] == b[s:s + step, None, :]).any(axis=2).sum(axis=1)
    return hits / k


@dataclass(frozen=True, slots=True)
class LayerReport(Result):
    """Every asked estimator per layer, plus the neighbourhood overlap χ(l, l+1)."""

    names: tuple
    reports: tuple  # IntrinsicReport per layer
    overlap: np.ndarray  # (L−1,) mean χ between layer l and l+1
    overlap_k: int
    n_rows: int
    n_used: int
    methods: tuple

    @property
    def overlap_chance(self) -> float:
        """What unrelated neighbourhoods give: ``k/(n−1)``."""
        return self.overlap_k / max(1, self.n_used - 1)

    def to_dict(self) -> dict:
        layers = []
        for i, (name, rep) in enumerate(zip(self.names, self.reports)):
            d = {"layer": name, **rep.to_dict()}
            d["overlap_next"] = float(self.overlap[i]) if i < self.overlap.size else None
            layers.append(d)
        return {"n_rows": self.n_rows, "n_used": self.n_used, "overlap_k": self.overlap_k, "overlap_chance": self.overlap_chance,
                "methods": list(self.methods), "confidence": self.reports[0].confidence if self.reports else None, "layers": layers}

    def metrics(self) -> list:
        """One row per layer per estimate (the single-matrix ids with a ``layer`` column), and
        ``overlap`` per pair of consecutive layers (``layer`` → ``next``)."""
        from embgeo.results import Metric

        rows = []
        for name, rep in zip(self.names, self.reports):
            rows += [m for m in rep.metrics(extra={"layer": name}) if m.metric not in ("n_used", "n_duplicates_dropped")]
        for i, v in enumerate(self.overlap):
            rows.append(Metric("overlap_next", float(v), unit="", extra={"layer": self.names[i], "next": self.names[i + 1], "k": self.overlap_k,
                                                                     "chance": self.overlap_chance}))
        return rows

    def verdict(self):
        """The per-layer verdicts (the single-matrix rule), worst first: ``warn`` names the layer."""
        from embgeo.results import Verdict

        verdicts = [rep.verdict() for rep in self.reports]
        warned = [(n, v) for n, v in zip(self.names, verdicts) if v.status in ("warn", "bad")]
        if warned:
            name, v = warned[0]
            more = f" ({len(warned)} of {len(self.names)} layers warn: {', '.join(str(n) for n, _ in warned)})" if len(warned) > 1 else ""
            return Verdict(v.status, f"layer {name}{more}: {v.reason}", v.fix, v.decided_by, {"layer": str(name)} if v.decided_by else None)
        if verdicts and all(v.status == "ok" for v in verdicts):
            read = sorted({v.decided_by for v in verdicts if v.decided_by})
            level = level_text(self.reports[0].confidence)
            return Verdict("ok", f"in every layer the neighbour estimators agree within their {level} intervals; read {', '.join(read)}",
                           "", read[0] if read else None)
        return Verdict("info", "per-layer spectral measures only: no intrinsic-dimension estimator was asked", "", None)

    def curves(self) -> dict:
        """Estimate → list of per-layer values (``None`` where missing), for tables and plots: the
        estimators (``twonn``, ``twonn_linear``, ``mle``, ``mle_k20``, ``gride`` = its plateau),
        the spectral measures (``pca``, ``rankme``, ``entropy``) and ``overlap`` (L − 1 values)."""
        out: dict = {}
        for key in ESTIMATE_KEYS + SPECTRAL_KEYS:
            vals = [_headline(rep, key) for rep in self.reports]
            if any(v is not None for v in vals) or key in self.methods:
                out[key] = vals
        out["overlap"] = [float(v) for v in self.overlap]
        return out

    def intervals(self) -> dict:
        """Estimator → list of per-layer ``(ci_low, ci_high)`` (NaN where none)."""
        out = {}
        for key in ESTIMATE_KEYS:
            ivs = [_interval(rep, key) for rep in self.reports]
            if any(np.isfinite(lo) for lo, _ in ivs):
                out[key] = ivs
        return out

    def estimator_table(self):
        """``layer | <estimator>… | overlap→next``: the intrinsic-dimension estimators per layer (GRIDE: its plateau)."""
        curves = self.curves()
        est = [k for k in ESTIMATE_KEYS if k in curves]
        cols = ["layer", *[{"gride": "gride.plateau"}.get(k, k) for k in est], f"overlap→next (k={self.overlap_k})"]
        rows = [[name, *[curves[k][i] for k in est], float(self.overlap[i]) if i < self.overlap.size else None]
                for i, name in enumerate(self.names)]
        return cols, rows

    def spectral_table(self):
        """``layer | pca | rankme | entropy`` (those asked): the spectral measures per layer."""
        curves = self.curves()
        spec = [k for k in SPECTRAL_KEYS if k in curves]
        return ["layer", *spec], [[name, *[curves[k][i] for k in spec]] for i, name in enumerate(self.names)]

    def tables(self) -> list[tuple[str, list[str], list[list]]]:
        """``[(caption, columns, rows), …]``: the estimators and the overlap per layer, and the spectral
        measures per layer, as two tables (one when only one family was asked)."""
        cols, rows = self.estimator_table()
        scols, srows = self.spectral_table()
        if len(scols) == 1:
            return [(ESTIMATOR_CAPTION + ", per layer", cols, rows)]
        if len(cols) == 2:  # no estimator asked: the overlap joins the spectral table
            return [(SPECTRAL_CAPTION + ", per layer", scols + cols[1:], [s + r[1:] for s, r in zip(srows, rows)])]
        return [(ESTIMATOR_CAPTION + ", per layer", cols, rows), (SPECTRAL_CAPTION + ", per layer", scols, srows)]

    def table(self):
        """The first of :meth:`tables`."""
        _, cols, rows = self.tables()[0]
        return cols, rows


#: the per-layer estimates, in table order
ESTIMATE_KEYS = ("twonn", "twonn_linear", "mle", "mle_k20", "gride")
SPECTRAL_KEYS = ("pca", "rankme", "entropy")


def _headline(rep: IntrinsicReport, key: str):
    r = getattr(rep, key, None)
    if r is None:
        return None
    if key == "gride":
        p = rep.plateau()
        return None if p is None else p.value
    if key == "pca":
        return float(r.participation_ratio)
    if key == "rankme":
        return float(r.effective_rank)
    if key == "entropy":
        return float(r.normalized)
    return float(r.dimension)


def _interval(rep: IntrinsicReport, key: str) -> tuple[float, float]:
    if key == "gride":
        p = rep.plateau()
        return (p.ci_low, p.ci_high) if p is not None else (float("nan"), float("nan"))
    r = getattr(rep, key, None)
    return interval_of(r) if r is not None else (float("nan"), float("nan"))


def layer_dimensions(
    stack,
    *,
    methods=("twonn", "mle", "gride", "pca", "rankme", "entropy"),
    k: int = 20,
    gride_max: int = 64,
    discard_fraction: float = 0.1,
    twonn_variant: str = "mle",
    overlap_k: int = 10,
    sample: int | None = None,
    approx: bool = False,
    seed=0,
    n_bootstrap: int = 200,
    metric: str = "euclidean",
    backend: str = "auto",
    device: str = "cpu",
    progress=None,
    confidence: float = 0.95,
) -> LayerReport:
    """Intrinsic dimension of every layer of ``stack`` and the overlap between consecutive layers.

    ``stack`` is a :class:`embgeo.io.LayerStack` (or a 3-D array or torch tensor ``L×n×d``, an
    ``L×n×d`` nested list, or a list of ``(n, d_l)`` matrices with the same rows). The same seeded ``sample``
    of rows is used in every layer. One kNN search per layer (``k`` large
    enough for both the estimators and the overlap, default ``overlap_k`` = 10)
    serves everything when the layer has no duplicate rows.

    Each layer is estimated by :func:`~embgeo.intrinsic.summary.intrinsic_dimension` with these settings:
    ``methods`` (the estimators: ``twonn``, ``mle``, ``gride``, ``calibrated``, ``pca``, ``rankme``,
    ``entropy`` or ``all``; default all but ``calibrated``), ``k`` (the MLE's upper order, 20),
    ``gride_max`` (GRIDE's largest order, 64), ``discard_fraction`` (TwoNN's censored share, 0.1),
    ``twonn_variant`` (``"mle"`` or ``"linear"``), ``n_bootstrap`` (replicates of the intervals, 200; 0: none),
    ``approx`` (approximate neighbours with a measured recall), ``seed`` (the sample, the bootstraps),
    ``metric`` (``"euclidean"`` or ``"cosine"``), ``backend``/``device`` (where the neighbour search runs, as in
    :func:`embgeo.knn.engine.knn`: ``backend="auto"`` (the default) is numpy on the CPU and torch on a GPU;
    ``device`` is ``"cpu"`` (default), ``"cuda"``/``"cuda:N"`` or ``"auto"``) and ``confidence`` (0.95: the level of
    every interval).
    ``overlap_k``: the neighbours compared between consecutive layers; ``progress``: an optional callable
    ``advance(k)`` told when each layer is done.
    """
    methods = parse_methods(methods)
    # every setting is checked before the first layer's search (the messages name the keywords, not the per-layer calls')
    k, gride_max, twonn_variant, n_bootstrap = check_settings(k=k, gride_max=gride_max, twonn_variant=twonn_variant, n_bootstrap=n_bootstrap)
    overlap_k = check_count("overlap_k", overlap_k, minimum=1)
    confidence = check_level(confidence)
    discard_fraction, approx, seed = check_discard(discard_fraction), check_flag("approx", approx), check_seed(seed)
    layers, names = split_layers(stack)
    n = layers[0].shape[0]
    rows = sample_rows(n, sample, seed)
    need = max(int(overlap_k), neighbors_needed(methods, k=int(k), gride_max=int(gride_max)))
    if "mle" in methods and (n if rows is None else rows.size) >= PEER_MLE_K + 2:
        need = max(need, PEER_MLE_K)  # the peers' MLE (k = 20) reads the same search
    reports, knn_idx = [], []
    for i, (L, name) in enumerate(zip(layers, names)):
        X = as_matrix(L, name=f"layer '{name}'", min_rows=3)
        if rows is not None:
            X = np.asarray(X[rows])
        if need > X.shape[0] - 1:
            opt = param("overlap_k") if need == int(overlap_k) else f"{param('k')} / {param('gride_max')}"
            raise EmbgeoError(f"layer '{name}' has {X.shape[0]} rows; k={need} neighbours need at least {need + 1}", hint=f"lower {opt} or pass more rows")
        nb = knn(X, need, metric=metric, approx=approx, seed=seed, backend=backend, device=device)
        knn_idx.append(nb.indices[:, : int(overlap_k)])
        reuse = nb if nb.n_duplicate_rows == 0 else None
        try:
            rep = intrinsic_dimension(X, methods=methods, k=k, gride_max=gride_max, discard_fraction=discard_fraction,
                                      twonn_variant=twonn_variant, n_bootstrap=n_bootstrap, confidence=confidence, seed=seed, approx=approx,
                                      metric=metric, backend=backend, device=device, neighbors=reuse, check_sample=rows is not None)
        except EmbgeoError as exc:  # name the layer the problem is in
            if exc.source or f"layer '{name}'" in exc.message:
                raise
            raise EmbgeoError(f"layer '{name}': {exc.message}", hint=exc.hint) from None
        reports.append(rep)
        if progress is not None:
            progress(1)
    overlap = np.array([neighbourhood_overlap(knn_idx[i], knn_idx[i + 1]).mean() for i in range(len(layers) - 1)])
    return LayerReport(tuple(names), tuple(reports), overlap, int(overlap_k), int(n), int(rows.size if rows is not None else n), methods)


def _layer(L):
    """One layer of a list: an EmbeddingSet's matrix, a tensor as numpy, nested lists as an array; an array as it is."""
    from embgeo.validation import from_tensor

    L = from_tensor(L.matrix if hasattr(L, "matrix") and not isinstance(L, np.ndarray) else L)
    if isinstance(L, np.ndarray):
        return L
    try:
        return np.asarray(L)
    except (ValueError, TypeError):  # ragged rows
        return L


def split_layers(stack):
    """``(layers, names)`` of a stack: a :class:`~embgeo.io.LayerStack`, an ``L×n×d`` array or torch tensor,
    or a list (or tuple) of ``(n, d_l)`` matrices — arrays, tensors, nested lists — with the same rows
    (an ``L×n×d`` nested list is such a list)."""
    from embgeo.validation import from_tensor

    if hasattr(stack, "layers") and hasattr(stack, "names"):
        return list(stack.layers), list(stack.names)
    stack = from_tensor(stack)  # an L×n×d tensor is an L×n×d array
    if isinstance(stack, np.ndarray) and stack.ndim == 3:
        return [stack[i] for i in range(stack.shape[0])], [f"layer{i}" for i in range(stack.shape[0])]
    if isinstance(stack, (list, tuple)) and len(stack):
        layers = [_layer(L) for L in stack]
        first = layers[0]
        n = first.shape[0] if isinstance(first, np.ndarray) and first.ndim else 0
        for i, L in enumerate(layers):
            if not isinstance(L, np.ndarray) or L.ndim != 2 or L.shape[0] != n:
                shape = L.shape if isinstance(L, np.ndarray) else "ragged (rows of different lengths)"
                raise EmbgeoError(f"layer {i} has shape {shape}; every layer must be (n_samples, n_features) with {n} rows",
                                  hint="pass an L×n×d array, or a list of (n, d) matrices of the same rows")
        return layers, [f"layer{i}" for i in range(len(layers))]
    shape = f" (got {type(stack).__name__} of shape {stack.shape})" if isinstance(stack, np.ndarray) else f" (got {type(stack).__name__})"
    raise EmbgeoError(f"a layer stack must be a LayerStack, an L×n×d array or tensor, or a list of (n, d) matrices{shape}",
                      hint=either("one layer is not a stack: pass it to the single-matrix analyses (e.g. embgeo.intrinsic_dimension)",
                                  "one layer is not a stack: leave out --layers")
                      if isinstance(stack, np.ndarray) and stack.ndim == 2 else None)
