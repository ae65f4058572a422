"""The report's data model: :class:`Table`, :class:`Image`, :class:`Section`,
:class:`Report` and the run :class:`Context` the sections read."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embgeo.results import Result, jsonable

STATUSES = ("ok", "warn", "bad", "info", "skipped", "error")


@dataclass(frozen=True, slots=True)
class Table:
    """A table of a section: ``caption``, ``columns`` and ``rows`` (cells are formatted on rendering)."""

    caption: str
    columns: list
    rows: list


@dataclass(frozen=True, slots=True)
class Image:
    """A figure of a section, encoded as PNG."""

    caption: str
    png: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Section(Result):
    """What one analysis contributed to the report.

    ``status``: ``ok`` / ``warn`` / ``bad`` (the verdict), ``info`` (a measurement
    without a verdict), ``skipped`` (its module is not installed) or ``error``.
    ``key_label``/``key_value``: the headline number; ``verdict``: one sentence;
    ``explanation``: what the number means; ``reference``: where it comes from;
    ``settings``: how it was run.
    ``decided_by``: the metric id (in the analysis's own :meth:`~embgeo.results.Result.metrics`) whose
    value decided the verdict (``verdict().decided_by`` of the analysis; empty where nothing was judged);
    ``decided``: that metric's row at full precision (``metric``, ``value``, ``ci_low``, ``ci_high``, ``unit``
    and its extra columns) — for a card without a verdict, its headline metric, if any;
    ``reduced``: how the section's settings fall short of its command's defaults (empty when they match).
    """

    key: str
    title: str
    status: str
    key_label: str
    key_value: str
    verdict: str
    explanation: str = ""
    reference: str = ""
    settings: str = ""
    tables: list = field(default_factory=list)
    images: list = field(default_factory=list, repr=False)
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    data: dict = field(default_factory=dict, repr=False)
    decided_by: str = ""
    decided: dict = field(default_factory=dict)
    reduced: str = ""

    @property
    def metric_id(self) -> str:
        """This card's id in :meth:`Report.metrics`: ``<section key>.<metric id>`` (the section key alone
        when the card has no metric, e.g. a section that was skipped or failed)."""
        metric = self.decided_by or self.decided.get("metric") or ""
        return f"{self.key}.{metric}" if metric else self.key

    def to_dict(self) -> dict:
        return jsonable({
            "key": self.key, "title": self.title, "status": self.status, "key_label": self.key_label,
            "key_value": self.key_value, "verdict": self.verdict, "decided_by": self.decided_by or None,
            "decided": self.decided or None, "reduced": self.reduced or None, "settings": self.settings, "notes": self.notes,
            "seconds": round(self.seconds, 2), "tables": [{"caption": t.caption, "columns": t.columns, "rows": t.rows} for t in self.tables],
            "images": [i.caption for i in self.images], "data": self.data,
        })


@dataclass(frozen=True, slots=True)
class Report(Result):
    """The whole report: inputs, one :class:`Section` per analysis that applied, and what was left out."""

    title: str
    inputs: list  # [label, value] rows describing the inputs
    sections: list
    left_out: list  # [title, reason]
    seconds: float
    seed: int

    def to_dict(self) -> dict:
        return jsonable({
            "title": self.title, "inputs": self.inputs, "seconds": round(self.seconds, 2), "seed": self.seed,
            "verdicts": {s.key: s.status for s in self.sections},
            "sections": [s.to_dict() for s in self.sections], "left_out": [{"section": t, "reason": r} for t, r in self.left_out],
        })

    def table(self):
        rows = [[s.title, s.status, s.key_label, s.key_value, s.decided_by, round(s.seconds, 1)] for s in self.sections]
        rows += [[t, "left out", r, "", "", None] for t, r in self.left_out]
        return ["section", "verdict", "key number", "value", "decided by", "seconds"], rows

    def metrics(self):
        """One tidy row per card: the metric that decided its verdict (``decided_by``), at full precision,
        with its interval and unit, the card's status, and the ``section`` key. The metric id is
        ``<section>.<metric>`` (e.g. ``intrinsic.mle``); a card without a verdict shows its headline metric
        when it has one (``map.n_mapped``); a skipped or failed section has an empty value."""
        from embgeo.results import Metric

        rows = []
        for s in self.sections:
            d = s.decided or {}
            rows.append(Metric(s.metric_id, d.get("value"), d.get("ci_low"), d.get("ci_high"), d.get("unit", "") or "",
                               status=s.status, extra={"section": s.key}))
        return rows

    def verdict(self):
        """The worst verdict of the sections that judge X (a section whose ``data`` says
        ``in_verdict: False`` — e.g. a hierarchy scored from its edges alone — is shown but not counted)."""
        from embgeo.results import Verdict, severity

        judged = [s for s in self.sections if s.status in ("ok", "warn", "bad") and s.data.get("in_verdict", True)]
        errors = [s for s in self.sections if s.status == "error"]
        if not judged:
            if errors:
                return Verdict("warn", f"{len(errors)} section(s) could not run ({errors[0].title}: {errors[0].verdict})", "see the report", errors[0].metric_id)
            return Verdict("info", "no section gave a verdict")
        worst = max(judged, key=lambda s: severity(s.status))
        # decided_by names the metric, as a row id of metrics(): "<section>.<metric>" (e.g. "intrinsic.mle")
        return Verdict(worst.status, f"{worst.title}: {worst.verdict}", "" if worst.status == "ok" else "see its section in the report", worst.metric_id)

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)


@dataclass
class Context:
    """Everything a section may use: the inputs and the settings of this run."""

    es: object  # EmbeddingSet
    pairs: tuple | None = None  # (EmbeddingSet, EmbeddingSet), row-paired
    attr: str | None = None
    color_by: str | None = None
    layers: object | None = None  # LayerStack
    tokens: object | None = None  # TokenClouds of the stack's texts (prompt entropy, curvature)
    layer_class: str | None = None  # class column for the per-layer probe
    hierarchy: object | None = None  # Hierarchy
    seed: int = 0
    map_method: str = "pca"
    reembed_sample: int = 500
    hierarchy_method: str = "combinatorial"
    cache: dict = field(default_factory=dict)

    @property
    def X(self) -> np.ndarray:
        return self.es.matrix
