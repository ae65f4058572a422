"""Rank axes per layer (``embgeo rank --layers``): which layer of a model encodes an ordinal
attribute as a direction best?

:func:`rank_layers` runs :func:`embgeo.rank.core.rank_axes` — the same protocol, options and
seed — on every layer of a stack: the axes are fitted on the training folds of each layer and
scored on its held-out rows (Spearman ρ with its bootstrap interval). A layer's numbers are
exactly those of ``rank_axes`` on that layer alone. The verdict names the layer whose best
linear axis has the highest held-out ρ, with that layer's own verdict status.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.rank.results import RANK_WARN, VERDICT_ORDER, FewShotCurve, MethodScore, RankResult, rho_texts
from embgeo.results import Metric, Result, Verdict, jsonable


@dataclass(frozen=True, slots=True)
class RankLayersResult(Result):
    """One :class:`~embgeo.rank.results.RankResult` per layer (``results[i]`` for ``layers[i]``).

    ``n_rows_in``: the rows given; :attr:`n_rows`: the rows measured (those with a value), as the JSON's keys."""

    attribute: str
    layers: tuple
    results: tuple = field(repr=False)
    n_rows_in: int = 0
    notes: tuple = ()

    @property
    def n_rows(self) -> int:
        """The rows measured (with a value of the attribute; the same in every layer)."""
        return int(self.results[0].n_rows) if self.results else 0

    @property
    def n_dims(self) -> int:
        return int(max(r.n_dims or 0 for r in self.results))

    def best(self) -> int | None:
        """Index of the layer whose deciding axis has the highest held-out ρ (the first of equals), or None."""
        rhos = [self._rho(r) for r in self.results]
        finite = [i for i, v in enumerate(rhos) if np.isfinite(v)]
        return max(finite, key=lambda i: rhos[i]) if finite else None

    @staticmethod
    def _decider(r: RankResult) -> str | None:
        ran = [m for m in VERDICT_ORDER if m in r.methods and np.isfinite(r.methods[m].spearman)]
        return max(ran, key=lambda m: r.methods[m].spearman) if ran else None

    def _rho(self, r: RankResult) -> float:
        name = self._decider(r)
        return float(r.methods[name].spearman) if name is not None else float("nan")

    def spearman(self, method: str | None = None) -> np.ndarray:
        """Held-out ρ per layer of ``method`` (default: each layer's deciding axis)."""
        out = []
        for r in self.results:
            name = method or self._decider(r)
            m = r.methods.get(name) if name else None
            out.append(float(m.spearman) if m is not None else float("nan"))
        return np.asarray(out)

    def to_dict(self) -> dict:
        """``attr``, ``n_rows``, ``n_dims`` (widest layer), ``best_layer`` and ``layers``: per layer ``layer``,
        ``n_dims``, ``method`` (the deciding axis), ``spearman`` with ``ci_low``/``ci_high``, ``status`` (the
        layer's own verdict) and ``detail`` (everything ``embgeo rank`` reports for that layer alone)."""
        b = self.best()
        rows = []
        for name, r in zip(self.layers, self.results):
            dec = self._decider(r)
            m = r.methods.get(dec) if dec else None
            detail = r.to_dict()
            detail.pop("notes", None)
            rows.append({"layer": name, "n_dims": r.n_dims, "method": dec, "spearman": None if m is None else m.spearman,
                         "ci_low": None if m is None else m.spearman_ci[0], "ci_high": None if m is None else m.spearman_ci[1],
                         "status": r.verdict().status, "detail": detail})
        first = self.results[0]
        return jsonable({"attr": self.attribute, "n_rows": self.n_rows, "n_rows_in": self.n_rows_in, "n_dims": self.n_dims,
                         "n_missing": first.n_missing, "folds": first.n_folds, "n_layers": len(self.layers),
                         "best_layer": None if b is None else self.layers[b], "layers": rows})

    def metrics(self) -> list[Metric]:
        """Tidy rows with a ``layer`` column: ``spearman`` of every axis method per layer (one row per layer
        with the default ``-m regression``; ``status`` on each layer's deciding row), and, when the baselines
        ran, ``random_band``, ``shuffled_band``, ``knn_ceiling``, ``mlp_ceiling`` per layer."""
        out = []
        for name, r in zip(self.layers, self.results):
            dec, status = self._decider(r), r.verdict().status
            for method, m in r.ordered():
                ex = {"layer": name, "attr": self.attribute, "method": method}
                if isinstance(m, MethodScore) and method in ("knn", "mlp"):
                    out.append(Metric(f"{method}_ceiling", m.spearman, m.spearman_ci[0], m.spearman_ci[1], extra=ex))
                elif isinstance(m, MethodScore):
                    out.append(Metric("spearman", m.spearman, m.spearman_ci[0], m.spearman_ci[1],
                                      status=status if method == dec else "", extra=ex))
                elif isinstance(m, FewShotCurve):
                    out.append(Metric("spearman", m.spearman, extra={**ex, "k": int(m.k[-1])}))
                else:
                    out.append(Metric(f"{method}_band", m.spearman, extra=ex))
        return out

    def table(self):
        """One row per layer and axis method: ρ with its interval, Kendall τ-b, pairwise accuracy, the random band."""
        cols = ["layer", "method", "spearman", "ci_low", "ci_high", "kendall", "pairwise_accuracy", "random_band"]
        rows = []
        for name, r in zip(self.layers, self.results):
            band = r.random.spearman if r.random is not None else None
            for method, m in r.ordered():
                if isinstance(m, MethodScore) and method not in ("knn", "mlp"):
                    rows.append([name, method, m.spearman, m.spearman_ci[0], m.spearman_ci[1], m.kendall, m.pairwise_accuracy, band])
        return cols, jsonable(rows)

    def verdict(self) -> Verdict:
        """The best layer (highest held-out ρ of its deciding axis) with that layer's own rank verdict: ``bad``
        within the random-direction band, ``warn`` below ρ = 0.5, else ``ok``; the reason names the layer, ρ
        with its interval, and the runner-up layer."""
        b = self.best()
        if b is None:
            return Verdict("info", "no linear axis was scored on any layer", "", None)
        r = self.results[b]
        v = r.verdict()
        dec = self._decider(r)
        m = r.methods[dec]
        rhos = [self._rho(x) for x in self.results]
        others = [i for i in range(len(rhos)) if i != b and np.isfinite(rhos[i])]
        second = max(others, key=lambda i: rhos[i]) if others else None
        runner = f"next: {self.layers[second]} ρ {rhos[second]:.3f}" if second is not None else ""
        band = r.random.spearman if r.random is not None else float("nan")
        btext, rtext = rho_texts(m.spearman, band, m.spearman_ci, dec)
        bnote = f"; {btext.removesuffix(' (95th percentile)')}" if np.isfinite(band) else ""
        what = {"bad": ", within the random-direction band: not a direction", "warn": f", below {RANK_WARN}: a weak direction"}.get(v.status, "")
        reason = (f"best layer for '{self.attribute}': {self.layers[b]} — {rtext}"
                  f"{what} ({runner or 'one layer'}{bnote})")
        return Verdict(v.status, reason, v.fix, "spearman", {"layer": str(self.layers[b]), "method": dec})


def stack_layers(stack) -> tuple[list, list]:
    """``(layers, names)`` of a LayerStack, an ``L×n×d`` array or a list of ``(n, d_l)`` matrices
    (:func:`embgeo.intrinsic.layers.split_layers`, names as text)."""
    from embgeo.intrinsic.layers import split_layers

    layers, names = split_layers(stack)
    return list(layers), [str(n) for n in names]


def rank_layers(stack, y, *, attribute: str = "attribute", methods=("regression",), progress=None, **kwargs) -> RankLayersResult:
    """:func:`embgeo.rank.core.rank_axes` on every layer of ``stack`` (a LayerStack, an ``L×n×d`` array or a
    list of ``(n, d_l)`` matrices) with the attribute ``y`` (n,), ``methods`` (default: the regression axis)
    and the other keyword arguments of ``rank_axes`` (``baselines``, ``n_folds``, ``k``, ``n_bootstrap``, ``seed`` …),
    the same on every layer; a keyword ``rank_axes`` does not take is refused. ``knn_neighbors`` is the former
    name of ``k`` (DeprecationWarning). ``progress`` (optional) is called with 1 after each layer."""
    import inspect

    from embgeo.arguments import check_attribute, check_attribute_name, check_count, renamed_keyword
    from embgeo.rank.checks import check_y
    from embgeo.rank.core import rank_axes

    taken = [p for p in inspect.signature(rank_axes).parameters if p not in ("X", "y", "attribute", "methods", "knn_neighbors")]
    unknown = [key for key in kwargs if key not in taken and key != "knn_neighbors"]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], taken, n=1)
        raise EmbgeoError(f"rank_layers() got an unexpected keyword argument '{unknown[0]}'",
                          hint=(f"did you mean {close[0]}=? " if close else "") + "rank_layers takes the keywords of rank_axes: " + ", ".join(taken))
    if "knn_neighbors" in kwargs:  # the former name of k: said once here, not once per layer; the message names what was used
        old = kwargs.pop("knn_neighbors")
        new = kwargs.pop("k", None)
        k = renamed_keyword("rank_layers", "knn_neighbors", old, "k", new)
        if old is not None:
            k = check_count("knn_neighbors", k, minimum=1, flag="k")
        if k is not None:
            kwargs["k"] = k

    layers, names = stack_layers(stack)
    attribute = check_attribute_name(attribute)

    n = int(np.shape(layers[0])[0])
    check_y(y)
    if np.size(y) != n:
        raise EmbgeoError(f"the attribute has {np.size(y)} values for {n} rows of the layer stack", hint="give one value per row")
    y = check_attribute(y, n, attribute=attribute)
    out = []
    for L, name in zip(layers, names):
        try:
            out.append(rank_axes(L, y, attribute=attribute, methods=methods, **kwargs))
        except EmbgeoError as exc:
            raise EmbgeoError(f"layer '{name}': {exc.message}", hint=exc.hint) from None
        if progress is not None:
            progress(1)
    notes = tuple(dict.fromkeys(n_ for r in out for n_ in r.notes))
    return RankLayersResult(attribute, tuple(str(x) for x in names), tuple(out), n, notes)


__all__ = ["rank_layers", "RankLayersResult", "stack_layers"]
