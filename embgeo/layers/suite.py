"""The Layer-by-Layer suite per layer: prompt and dataset entropy, curvature, InfoNCE, LiDAR,
DiME, and (with token clouds) the token geometry of :mod:`embgeo.layers.tokens`."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.arguments import given, keyword_default
from embgeo.errors import EmbgeoError, either, param
from embgeo.io.readers import refuse_nonfinite_layers
from embgeo.results import Metric, Result, Verdict

#: metric id → (unit, what it is); the ids of :meth:`LayerSuiteResult.metrics`
METRIC_INFO = {
    "prompt_entropy": ("", "α-entropy of each text's token Gram (reference preprocessing), mean over texts"),
    "dataset_entropy": ("", "α-entropy of the Gram of the pooled texts"),
    "curvature": ("rad", "mean angle between consecutive token-difference vectors, mean over texts"),
    "infonce": ("nats", "InfoNCE loss between the first two views"),
    "infonce_mi": ("", "1 − InfoNCE/log N"),
    "lidar": ("", "α-entropy of the LDA matrix over augmentations"),
    "lidar_rank": ("", "exp of the Shannon entropy of the LDA spectrum (LiDAR's effective rank)"),
    "dime": ("", "difference of matrix entropies between the first two views"),
    "token_gride": ("", "GRIDE of each text's tokens at its largest scale, mean over texts"),
    "token_gride_sd": ("", "sd over texts of token_gride"),
    "token_twonn": ("", "TwoNN of each text's tokens, mean over texts"),
    "token_twonn_sd": ("", "sd over texts of token_twonn"),
    "token_cosine_mean": ("", "mean pairwise token cosine, mean over texts"),
    "token_cosine_mean_sd": ("", "sd over texts of the mean pairwise token cosine"),
    "token_cosine_sd": ("", "sd of pairwise token cosines within a text, mean over texts"),
    "loss_spearman": ("", "Spearman correlation of token_gride with the per-text loss"),
    "loss_pvalue": ("", "p-value of loss_spearman"),
    "token_overlap": ("", "neighbourhood overlap χ(k) of tokens with the next layer, mean over texts"),
    "rank_spearman": ("", "held-out Spearman of the regression rank axis of the attribute"),
    "probe_accuracy": ("", "held-out accuracy of a logistic-regression probe of the classes"),
    "probe_chance": ("", "majority-class share of the classes"),
    "label_overlap": ("", "share of the k nearest neighbours with the row's class label"),
    "label_overlap_chance": ("", "Σ p_c², the label overlap of random neighbours"),
}


@dataclass(frozen=True, slots=True)
class LayerSuiteResult(Result):
    """Per-layer values of every metric that the inputs allow (``values[id]`` is an array over layers)."""

    layers: tuple
    values: dict  # metric id → (L,) array
    overlap: np.ndarray | None = field(default=None, repr=False)  # (L−1) × K
    overlap_sd: np.ndarray | None = field(default=None, repr=False)
    gride_curve: tuple = ()
    n_texts: int = 0
    n_rows: int = 0
    n_dims: int = 0
    n_views: int = 0
    settings: dict = field(default_factory=dict)
    notes: tuple = ()
    intervals: dict = field(default_factory=dict)  # metric id → ((L,) ci_low, (L,) ci_high)

    def to_dict(self) -> dict:
        from embgeo.results import jsonable

        rows = []
        for i, name in enumerate(self.layers):
            d = {"layer": name}
            for k, v in self.values.items():
                if k in self.intervals:
                    d[k] = {"value": jsonable(v[i]), "ci_low": jsonable(self.intervals[k][0][i]), "ci_high": jsonable(self.intervals[k][1][i])}
                else:
                    d[k] = jsonable(v[i])
            if self.overlap is not None and self.overlap.size:
                d["token_overlap"] = jsonable(self.overlap[i]) if i < self.overlap.shape[0] else None
            if self.gride_curve:
                d["token_gride_curve"] = {str(k): v for k, v in self.gride_curve[i].items()}
            rows.append(d)
        return {"n_rows": self.n_rows, "n_texts": self.n_texts, "n_dims": self.n_dims, "n_views": self.n_views,
                "metrics": list(self.values), "layers": rows}

    def metrics(self) -> list[Metric]:
        out = []
        decided = self._decided()
        for k, v in self.values.items():
            unit = METRIC_INFO.get(k, ("", ""))[0]
            lo, hi = self.intervals.get(k, (None, None))
            for i, name in enumerate(self.layers):
                st = "info" if decided is not None and decided[:2] == (k, i) else ""  # the row the verdict names carries its status
                out.append(Metric(k, v[i], None if lo is None else float(lo[i]), None if hi is None else float(hi[i]),
                                  unit=unit, status=st, extra={"layer": name}))
        if self.overlap is not None:
            for i in range(self.overlap.shape[0]):
                for j in range(self.overlap.shape[1]):
                    out.append(Metric("token_overlap", self.overlap[i, j], extra={"layer": self.layers[i], "k": j + 1}))
        return out

    def table(self):
        keys = list(self.values)
        cols = ["layer", *keys]
        if self.overlap is not None and self.overlap.size:
            finite = [j + 1 for j in range(min(10, self.overlap.shape[1])) if np.isfinite(self.overlap[:, j]).any()]
            k = finite[-1] if finite else min(10, self.overlap.shape[1])  # the largest k ≤ 10 that the texts reach
            cols.append(f"token_overlap (k={k})")
        rows = []
        for i, name in enumerate(self.layers):
            r = [name, *[float(self.values[key][i]) for key in keys]]
            if self.overlap is not None and self.overlap.size:
                r.append(float(self.overlap[i, k - 1]) if i < self.overlap.shape[0] else None)
            rows.append(r)
        return cols, rows

    def curves(self) -> dict:
        return {k: [float(x) for x in v] for k, v in self.values.items()}

    def verdict(self) -> Verdict:
        """``info``: these are descriptive curves. With a task (--class, --attr) the reason
        names the best layer for it (highest probe accuracy, else held-out rank Spearman);
        otherwise the layer where the dataset entropy (else the prompt entropy) is lowest,
        the compression point of the paper."""
        decided = self._decided()
        if decided is None:
            return Verdict("info", "no verdict applies to these per-layer curves")
        key, i, what = decided
        v = self.values[key]
        row = {"layer": str(self.layers[i])}
        if what:
            return Verdict("info", f"best layer for the task: {self.layers[i]} ({what} {float(v[i]):.4g}, {key})", "", key, row)
        return Verdict("info", f"{key} is lowest at layer {self.layers[i]} ({float(v[i]):.4g}); "
                       "Skean et al. find intermediate layers of lower entropy often embed best", "", key, row)

    def _decided(self) -> tuple[str, int, str] | None:
        """``(metric id, layer index, task name or "")`` of the row the verdict names: the best layer for the
        task (highest probe accuracy, else held-out rank Spearman), else the lowest dataset (prompt) entropy."""
        for key, what in (("probe_accuracy", "probe accuracy"), ("rank_spearman", "held-out rank Spearman")):
            v = self.values.get(key)
            if v is not None and np.isfinite(v).any():
                return key, int(np.nanargmax(v)), what
        for key in ("dataset_entropy", "prompt_entropy"):
            v = self.values.get(key)
            if v is not None and np.isfinite(v).any():
                return key, int(np.nanargmin(v)), ""
        return None


def check_layer_stack(layers, names, *, source: str | None = None, what: str = "") -> None:
    """Refuse a layer with a NaN/inf row or without spread (every row the same vector, e.g. all zero),
    naming the layer (``what`` prefixes it, e.g. ``"view 2, "``) and the file (``source``): its entropies,
    InfoNCE and LiDAR would be NaN or meaningless. The rows of every layer and view stay aligned, so a
    bad row is refused rather than dropped."""
    for L, name in zip(layers, names):
        X = np.asarray(L)
        label = f"{what}layer '{name}'"
        if X.ndim != 2 or X.shape[0] < 1:
            raise EmbgeoError(f"{label} has shape {X.shape}; expected rows × dims", source=source)
        if X.dtype.kind not in "biuf":
            raise EmbgeoError(f"{label} has dtype {X.dtype}; expected numbers", source=source)
        refuse_nonfinite_layers([X], [name], [source], what=what)  # the words of every command that reads a stack
        if X.shape[0] > 1 and bool(np.all(X == X[0])):
            kind = "all zero" if not np.any(X[0]) else f"the same vector in all {X.shape[0]} rows"
            raise EmbgeoError(f"{label} is {kind}: a layer without spread has no entropy, InfoNCE or LiDAR (they would read NaN)",
                              source=source, hint="check how that layer was extracted, or leave it out of the stack")


def _stack_layers(stack, *, what: str = ""):
    """``(layers as float64, names)``; a layer that does not hold real numbers (complex, text, objects) is refused
    before the cast, which would keep the real part of complex numbers without a word."""
    from embgeo.intrinsic.layers import split_layers as _layers
    from embgeo.validation import dtype_hint

    layers, names = _layers(stack)
    names = [str(n) for n in names]
    out = []
    for L, name in zip(layers, names):
        a = np.asarray(L)
        if a.dtype.kind not in "biuf":
            raise EmbgeoError(f"{what}layer '{name}' has dtype {a.dtype}; expected real numbers", hint=dtype_hint(a.dtype))
        out.append(a.astype(np.float64, copy=False))
    return out, names


def views_from_groups(layer: np.ndarray, groups) -> tuple[np.ndarray, int]:
    """Rows grouped by ``groups`` (each group one sample, its rows its augmentations) →
    ``N × A × D`` with ``A`` the smallest group size (larger groups keep their first A rows)."""
    groups = np.asarray(groups)
    if groups.shape[0] != layer.shape[0]:
        raise EmbgeoError(f"the group column has {groups.shape[0]} values for {layer.shape[0]} rows")
    uniq, first, inv, counts = np.unique(groups, return_index=True, return_inverse=True, return_counts=True)
    order = np.argsort(first)  # groups in order of first appearance
    A = int(counts.min())
    if A < 2 or uniq.size < 2:
        raise EmbgeoError(f"views by group need at least 2 groups of at least 2 rows; the smallest group has {A} row(s)",
                          hint=f"give each sample two or more rows (augmentations) sharing a {param('groups', '--group')} value")
    V = np.stack([layer[np.flatnonzero(inv == g)[:A]] for g in order])
    return V, int(counts.max() - A)


def layer_suite(
    stack=None,
    *,
    views=None,
    groups=None,
    tokens=None,
    entropy_alpha: float = keyword_default(1.0),
    entropy_norm: str = keyword_default("maxEntropy"),
    temperature: float = 0.1,
    delta: float = 1e-4,
    dime_perms: int = 10,
    geometry: bool = True,
    gride_max: int = 256,
    overlap_max_k: int = 31,
    loss=None,
    attribute=None,
    attribute_name: str = "attribute",
    classes=None,
    n_folds: int = keyword_default(5),
    k: int = keyword_default(10),
    seed=0,
    progress=None,
    alpha: float | None = None,
    norm: str | None = None,
    task_folds: int | None = None,
    task_k: int | None = None,
) -> LayerSuiteResult:
    """Every Layer-by-Layer metric the inputs allow, per layer.

    ``stack``: pooled rows per layer (a LayerStack, an ``L×n×d`` array, tensor or nested list, or a list of
    ``(n, d)`` matrices) — the first view;
    ``views``: further stacks with the same rows and layers (one per augmentation); or
    ``groups``: one value per row of ``stack`` (rows sharing a value are augmentations of one
    sample); ``tokens``: :class:`embgeo.extract.store.TokenClouds` for the prompt-level
    metrics (and, when ``stack`` is not given, its texts pooled as the reference pools them);
    ``attribute`` / ``classes`` (one value per row of ``stack``): the best-layer task metrics
    of :mod:`embgeo.layers.task` (rank Spearman; probe accuracy and label overlap), ``attribute_name``
    the attribute's column name in messages. A layer (of ``stack`` or a view) with a NaN/inf row, without
    spread, or of another dtype than real numbers is refused (:func:`check_layer_stack`).

    Settings (the command line's options in brackets):

    * ``entropy_alpha`` (1.0, ``--entropy-alpha``): order α of every matrix entropy (prompt and dataset
      entropy, LiDAR, DiME), 1 = Shannon; ``entropy_norm`` (``"maxEntropy"``, ``--entropy-norm``): their
      normalisation, one of :data:`~embgeo.layers.entropy.ENTROPY_NORMS`;
    * ``temperature`` (0.1): InfoNCE's τ; ``delta`` (1e-4): LiDAR's ridge on the within-class scatter;
      ``dime_perms`` (10): the seeded permutations DiME averages over (all three need ``views`` or ``groups``);
    * ``geometry`` (True): with ``tokens``, the per-text token geometry (GRIDE, TwoNN, overlap, cosine);
      ``gride_max`` (256): its largest GRIDE neighbour rank; ``overlap_max_k`` (31): the overlap χ(k) for
      k = 1 … this; ``loss`` (one value per text): adds Spearman(token GRIDE, loss) per layer;
    * ``n_folds`` (5, ``--folds``): the cross-validation folds of the ``attribute`` rank axis and the
      ``classes`` probe (the probe's are capped by the smallest class, with a note); ``k`` (10, ``--k``): the
      neighbours of the ``classes`` label overlap (below the rows: a larger one is refused);
    * ``seed`` (0): every random choice (DiME permutations, folds, kNN ties); ``progress``: called as work advances.

    Former names, with a DeprecationWarning: ``alpha`` (``entropy_alpha``), ``norm`` (``entropy_norm``),
    ``task_folds`` (``n_folds``), ``task_k`` (``k``).
    """
    from embgeo.layers.curvature import curvatures
    from embgeo.layers.entropy import check_alpha, check_norm, dataset_entropy, prompt_entropies, reference_pool
    from embgeo.layers.infonce import infonce
    from embgeo.layers.lidar import dime, lidar

    from embgeo.arguments import check_attribute_values, check_count, check_flag, renamed_keyword

    geometry = check_flag("geometry", geometry)

    # former names (DeprecationWarning); a message names the keyword the caller used
    renamed = {}
    for old, old_value, new, value in (("alpha", alpha, "entropy_alpha", entropy_alpha), ("norm", norm, "entropy_norm", entropy_norm),
                                        ("task_folds", task_folds, "n_folds", n_folds), ("task_k", task_k, "k", k)):
        renamed[new] = (new, value)
        if old_value is not None:  # the new keyword at its default counts as not given
            renamed[new] = (old, renamed_keyword("layer_suite", old, old_value, new, value if given(value) else None))
    alpha = check_alpha(renamed["entropy_alpha"][1], renamed["entropy_alpha"][0])
    norm = check_norm(renamed["entropy_norm"][1], renamed["entropy_norm"][0])
    # the counts, named as the caller spells them (n_folds is --folds, k is --k on the command line)
    dime_perms = check_count("dime_perms", dime_perms, minimum=1)
    task_folds = check_count(renamed["n_folds"][0], renamed["n_folds"][1], minimum=2, flag="folds",
                             hint="cross-validation needs at least 2 folds")
    task_k = check_count(renamed["k"][0], renamed["k"][1], minimum=1, flag="k")
    if attribute is not None:
        check_attribute_values(attribute)
    if stack is None and tokens is None:
        raise EmbgeoError("nothing to measure: give a pooled layer stack, token clouds, or both")
    notes: list[str] = []
    values: dict[str, list] = {}
    layers = names = None
    pooled_from_tokens = False
    if stack is not None:
        layers, names = _stack_layers(stack)
        check_layer_stack(layers, names)
        if classes is not None:  # k ≥ the rows is refused before any work, as embgeo cosine and compare refuse it
            from embgeo.cosine.neighbors import check_k

            check_k(task_k, layers[0].shape[0])
    if tokens is not None:
        if names is not None and len(names) != tokens.n_layers:
            raise EmbgeoError(f"the token clouds have {tokens.n_layers} layers but the stack has {len(names)}",
                              hint="give files extracted from the same model")
        names = names or [str(n) for n in tokens.layer_names]
    L = len(names)
    from embgeo.validation import from_tensor

    views = from_tensor(views)  # a tensor is one view stack, as an array is
    if isinstance(views, np.ndarray):
        views = [views]  # one view stack (its truth value is ambiguous)
    if views is not None and len(views) and groups is not None:
        raise EmbgeoError("views and groups both say which rows are views of one sample: give one of them",
                          hint="views= (stacks of the same rows) or groups= (a group per row), not both")
    view_sets = []
    if views is not None and len(views):
        for j, vs in enumerate(views):
            vl, _ = _stack_layers(vs, what=f"view {j + 2}, ")
            if len(vl) != L or any(a.shape != b.shape for a, b in zip(vl, layers or [])):
                raise EmbgeoError(f"view {j + 2} does not match the first view's layers and shapes",
                                  hint="every view holds the same rows (samples) and layers")
            check_layer_stack(vl, names, what=f"view {j + 2}, ")
            view_sets.append(vl)
    if (views or groups is not None) and layers is None:
        raise EmbgeoError("views need the pooled first view (X)", hint=f"give {either('stack', 'X')} as well as {param('views')} or {param('groups', '--group')}")

    if tokens is not None:
        pe, cv, pooled = [], [], []
        for l in range(L):
            cl = tokens.layer(l)
            pe.append(prompt_entropies(cl, alpha=alpha, norm=norm))
            cv.append(curvatures(cl))
            P = reference_pool(cl)
            pooled.append(P)
            if progress is not None:
                progress(0)
        with np.errstate(all="ignore"):
            values["prompt_entropy"] = [float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for v in pe]
            values["curvature"] = [float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for v in cv]
        short = int(np.sum(tokens.lengths < 3))
        if short:
            notes.append(f"{short} of {tokens.n_texts} texts have fewer than 3 tokens: no curvature (the reference scores them 0)")
        # the reference's dataset entropy: texts pooled from their normalised tokens (also when X is given)
        values["dataset_entropy"] = [dataset_entropy(P, alpha=alpha, norm=norm, preprocess=False) for P in pooled]
        if layers is None:
            layers, pooled_from_tokens = pooled, True
    if "dataset_entropy" not in values:
        values["dataset_entropy"] = [dataset_entropy(X, alpha=alpha, norm=norm, preprocess=True) for X in layers]
        notes.append(f"dataset entropy of pooled rows: rows centred and L2-normalised here (the reference normalises each text's tokens before pooling; give {param('tokens')} for that)")

    V = None
    if view_sets:
        V = [np.stack([layers[l], *[vs[l] for vs in view_sets]], axis=1) for l in range(L)]
    elif groups is not None:
        V = []
        for l in range(L):
            v, extra = views_from_groups(layers[l], groups)
            V.append(v)
        if extra:
            notes.append(f"groups differ in size: each keeps its first {V[0].shape[1]} rows ({extra} rows more in the largest)")
    if V is not None:
        inf = [infonce(v[:, 0], v[:, 1], temperature=temperature) for v in V]
        values["infonce"] = [a for a, _ in inf]
        values["infonce_mi"] = [b for _, b in inf]
        li = [lidar(v, alpha=alpha, norm=norm, delta=delta) for v in V]
        values["lidar"] = [a for a, _ in li]
        values["lidar_rank"] = [b for _, b in li]
        values["dime"] = [dime(v[:, 0], v[:, 1], alpha=alpha, norm=norm, n_permutations=dime_perms, seed=seed) for v in V]

    intervals = {}
    if attribute is not None or classes is not None:
        if stack is None:
            raise EmbgeoError(f"task metrics ({param('attribute', '--attr')}, {param('classes', '--class')}) need the pooled stack {either('stack', 'X')}")
        from embgeo.layers.task import task_per_layer

        task = task_per_layer(layers, attribute=attribute, attribute_name=attribute_name, classes=classes, n_folds=task_folds, k=task_k, seed=seed)
        if classes is not None:  # the probe's folds are capped by the smallest class: said, not silent
            from embgeo.layers.task import probe_folds

            folds = probe_folds(classes, layers[0].shape[0], task_folds)
            if folds < int(task_folds):
                notes.append(f"probe accuracy: {folds}-fold cross-validation, not {int(task_folds)} (the smallest class has {folds} rows)")
        if "rank_spearman" in task:
            values["rank_spearman"], lo, hi = task.pop("rank_spearman")
            intervals["rank_spearman"] = (lo, hi)
        values.update(task)

    overlap = overlap_sd = None
    curve = ()
    if tokens is not None and geometry:
        from embgeo.layers.tokens import token_geometry

        tg = token_geometry(tokens, gride_max=gride_max, overlap_max_k=overlap_max_k, loss=loss, seed=seed, progress=progress)
        for key in ("gride", "gride_sd", "twonn", "twonn_sd", "cosine_mean", "cosine_mean_sd", "cosine_sd"):
            values[f"token_{key}"] = list(tg[key])
        if loss is not None:
            values["loss_spearman"], values["loss_pvalue"] = list(tg["loss_spearman"]), list(tg["loss_pvalue"])
        overlap, overlap_sd, curve = tg["overlap"], tg["overlap_sd"], tuple(tg["gride_curve"])
        tied, few = int(tg["n_texts_tied"]), int(tg["n_texts_short"])
        if few:
            notes.append(f"{few} texts have fewer than 4 distinct tokens in some layer: no token ID there")
        if tied:
            notes.append(f"{tied} texts have tied nearest distances (r1 = r2) for more than 10% of their tokens in some layer "
                         "(quantised token vectors): no token ID there")
    elif loss is not None:
        raise EmbgeoError("a per-text loss correlates with the token ID: it needs token clouds and the token geometry")
    n_rows = int(layers[0].shape[0])
    n_dims = int(layers[0].shape[1])
    return LayerSuiteResult(
        tuple(names), {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}, overlap, overlap_sd, curve,
        int(tokens.n_texts) if tokens is not None else 0, n_rows, n_dims,
        0 if V is None else int(V[0].shape[1]),
        {"entropy_alpha": alpha, "entropy_norm": norm, "temperature": temperature, "delta": delta, "dime_perms": int(dime_perms),
         "gride_max": int(gride_max), "overlap_max_k": int(overlap_max_k), "pooled_from_tokens": pooled_from_tokens},
        tuple(notes),
        intervals,
    )
