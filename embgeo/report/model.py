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
    def in_verdict(self) -> bool:
        """Whether this section's status counts in the report's verdict: those that judge X do; a section
        that describes something else (the re-embedding: X's shape, not a defect; a hierarchy scored from
        its edges alone; the per-layer curves) says ``data["in_verdict"] = False`` and is shown, not counted."""
        return bool(self.data.get("in_verdict", True))

    @property
    def metric_id(self) -> str:
        """This card's id in :meth:`Report.metrics`: ``<section key>.<metric id>`` (the section key alone
        when the card has no metric, e.g. a section that was skipped or failed)."""
        metric = self.decided_by or self.decided.get("metric") or ""
        return f"{self.key}.{metric}" if metric else self.key

    def to_dict(self) -> dict:
        return jsonable({
            "key": self.key, "title": self.title, "status": self.status, "in_verdict": self.in_verdict, "key_label": self.key_label,
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
                               status=s.status, extra={"section": s.key, "in_verdict": s.in_verdict}))
        return rows

    def verdict(self):
        """The worst verdict of the sections that judge X (a section whose ``data`` says
        ``in_verdict: False`` — e.g. a hierarchy scored from its edges alone — is shown but not counted),
        and at least ``warn`` when a section could not run (status ``error``): its reason names every
        failed section. Where the failures alone make it ``warn`` (the sections that judged are ``ok``, or
        none judged), ``decided_by`` is the first failed section's row of :meth:`metrics` (its key: a failed
        section has no metric); otherwise the worst judging section decides and names its metric. The CLI's
        verdict line and ``--fail-on`` read this verdict: one rule."""
        from embgeo.results import Verdict, severity

        judged = [s for s in self.sections if s.status in ("ok", "warn", "bad") and s.in_verdict]
        errors = [s for s in self.sections if s.status == "error"]
        failed = ""
        if errors:
            first = errors[0]
            why = first.verdict.removeprefix("could not run: ")
            failed = (f"{len(errors)} section{'s' if len(errors) > 1 else ''} could not run ({', '.join(s.key for s in errors)}): "
                      f"{first.title}: {why}")
        worst = max(judged, key=lambda s: severity(s.status)) if judged else None
        if errors and (worst is None or severity(worst.status) < severity("warn")):
            # a section that failed is not a pass: the report is at least warn, decided by the first failure
            return Verdict("warn", failed, "see the failed sections in the report (their errors say what to change)", first.metric_id)
        if worst is None:
            return Verdict("info", "no section gave a verdict")
        reason = f"{worst.title}: {worst.verdict}" + (f"; also {failed}" if failed else "")
        # decided_by names the metric, as a row id of metrics(): "<section>.<metric>" (e.g. "intrinsic.mle")
        return Verdict(worst.status, reason, "" if worst.status == "ok" else "see its section in the report", worst.metric_id)

    def not_counted(self) -> list:
        """The sections with a status of their own that the verdict does not count (:attr:`Section.in_verdict`)."""
        return [s for s in self.sections if not s.in_verdict and s.status in ("ok", "warn", "bad")]

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
