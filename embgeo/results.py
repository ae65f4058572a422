"""The result protocol shared by every analysis.

Each analysis returns a frozen ``@dataclass(slots=True)`` that subclasses
:class:`Result`. ``to_dict()`` gives a JSON-safe dict (numpy scalars become
Python numbers, arrays become lists, NaN/inf become ``None``); ``table()``
gives ``(columns, rows)`` for the one renderer in the command line. The
defaults below work for flat results; nested results override ``table``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, localcontext
import math
from typing import Any

import numpy as np

#: version of the JSON layout; bump a command's entry in :data:`SCHEMA_VERSIONS` when one of its keys is renamed or removed
SCHEMA_VERSION = 1

#: commands whose JSON layout moved past :data:`SCHEMA_VERSION` (the key that changed, in the CHANGELOG)
SCHEMA_VERSIONS = {
    "gap": 2,  # separability.cv → separability.folds (the count), separability.folds → fold_accuracy; settings.cv → folds;
    #            mixup.lam → mixup.lambda (the --lambda)
    # n_rows is the rows measured, n_rows_in the rows given, in every command (projection had it first):
    "rank": 2,  # n_rows was the rows given (now n_rows_in) and n_used the rows measured (now n_rows);
    #             knn_ceiling.n_neighbors → knn_ceiling.k (the k used; both renames in the unreleased 0.2.0)
    "hyperbolic.reembed": 2,  # n_rows was the rows given (now n_rows_in), n_rows_used the rows re-embedded (now n_rows)
    "id": 2,  # n_read → n_rows_in; interval_level → confidence, n_boot → bootstrap, discard_fraction → discard (the options' names)
    "compare": 2,  # n_rows_total → n_rows_in
    "hyperbolic.delta": 2,  # settings.method (auto|exact|sampled) → settings.mode (auto|exact|sample), as uniformity's --mode
    "cosine": 2,  # retrieval.n_bootstrap → retrieval.bootstrap (the option's name)
    # a result's own notes are in the top-level notes only (results.notes, a copy of some of them, is gone):
    "project": 2, "hyperbolic.hmds": 2,  # (rank and hyperbolic.reembed had it too; they are at 2 already)
    "report": 2,  # its sections' data are those commands' results
}


def schema_id(command: str) -> str:
    """``embgeo.<command>/<version>`` (sub-commands with a dot: ``embgeo.hyperbolic.eval/1``)."""
    name = command.replace(" ", ".")
    return f"embgeo.{name}/{SCHEMA_VERSIONS.get(name, SCHEMA_VERSION)}"


def jsonable(obj: Any) -> Any:
    """Convert ``obj`` into something ``json.dumps`` accepts (NaN/inf → None)."""
    if isinstance(obj, Result):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, (str, int)) or obj is None:
        return obj
    return str(obj)


def flatten(d: dict, prefix: str = "") -> dict:
    """Flatten nested dicts into dotted keys (lists are kept when short and scalar)."""
    out: dict = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


#: verdict statuses, mildest first; ``info`` means no verdict applies and never trips a gate
STATUSES = ("info", "ok", "warn", "bad")
_SEVERITY = {"info": -1, "": -1, "ok": 0, "warn": 1, "bad": 2}


def severity(status: str) -> int:
    """Order of statuses for gates (``--fail-on``) and for the worst of several verdicts."""
    return _SEVERITY.get(status, -1)


def worst_verdict(verdicts) -> "Verdict":
    """The most severe of ``verdicts`` (the first of equals); ``info`` when there is none."""
    verdicts = [v for v in verdicts if v is not None]
    if not verdicts:
        return Verdict("info", "no verdict applies to this analysis")
    return max(verdicts, key=lambda v: severity(v.status))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a user should conclude, derived from numbers the same result reports.

    ``status``: ``ok`` | ``warn`` | ``bad`` | ``info`` (nothing to judge);
    ``reason``: one sentence that quotes the deciding number and its threshold;
    ``fix``: what to do about it (empty when nothing is to be done);
    ``decided_by``: the metric id (as in :meth:`Result.metrics`) whose value decided it;
    ``decided_row``: where several rows carry that id (one per layer, similarity or pair), the columns that pick
    the one that decided (``{"layer": "3"}``, ``{"method": "mp_empirical"}``); None when the id alone names it,
    or when the verdict holds for every row of that id (``ok`` in every layer).
    The CLI and the report both print ``result.verdict()``: one rule, one place.
    """

    status: str
    reason: str
    fix: str = ""
    decided_by: str | None = None
    decided_row: dict | None = None

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"verdict status must be one of {STATUSES}, got {self.status!r}")

    def to_dict(self) -> dict:
        return {"status": self.status, "reason": self.reason, "fix": self.fix, "decided_by": self.decided_by,
                "decided_row": dict(self.decided_row) if self.decided_row else None}

    @property
    def decided_text(self) -> str:
        """``id`` or ``id, layer 3``: the deciding row as a verdict line names it (empty without ``decided_by``)."""
        if not self.decided_by:
            return ""
        return self.decided_by + "".join(f", {k} {v}" for k, v in (self.decided_row or {}).items())


def _side(a: Decimal, b: Decimal) -> int:
    return (a > b) - (a < b)


def beside_threshold(value: float, *thresholds: float, digits: int = 3, scale: float = 1.0, max_digits: int = 12, sign: bool = False) -> str:
    """``value × scale`` as a verdict text or table shows it: ``digits`` decimals, or more where
    fewer would round it onto or across one of ``thresholds`` (given as the rule states them,
    unscaled: ``beside_threshold(0.3957, 0.7, 0.4, digits=0, scale=100)`` is ``39.6``, not ``40``), so
    that the shown number always reads to the status its rule gives: a uniformity ratio of 0.7997
    under "warn below 80 %" reads ``79.97``, not ``80``. ``sign`` writes ``+`` before a positive
    number (a gain). ``n/a`` when missing or not finite."""
    if value is None or not np.isfinite(value):
        return "n/a"
    with localcontext() as ctx:
        ctx.prec = 80  # every product below is exact
        sc = Decimal(repr(float(scale)))
        exact = Decimal(float(value)) * sc  # the float the rule compares, scaled exactly
        limits = [(Decimal(float(t)) * sc, Decimal(repr(float(t))) * sc) for t in thresholds if t is not None and np.isfinite(t)]
    for d in range(max(0, int(digits)), max(int(digits), max_digits) + 1):
        text = f"{exact:.{d}f}"
        if all(_side(Decimal(text), as_read) == _side(exact, as_compared) for as_compared, as_read in limits):
            break
    else:
        text = f"{float(value) * float(scale)!r}"
    return f"+{text}" if sign and not text.startswith("-") else text  # as Python's "+" format: zero too



def beside_each_other(a: float, b: float, *, digits: int = 3, limits_a: tuple = (), limits_b: tuple = (), max_digits: int = 12) -> tuple[str, str]:
    """``a`` and ``b`` as a verdict that compares them shows them: at one precision (``digits``
    decimals or more) at which the shown numbers compare as the exact ones do, and each reads on
    its side of its own thresholds (``limits_a``, ``limits_b``; see :func:`beside_threshold`).
    A held-out ρ of 0.31204 against a random band of 0.31196 reads ``0.31204`` and ``0.31196``,
    not ``0.312`` and ``0.312``."""
    if not (np.isfinite(a) and np.isfinite(b)):
        return beside_threshold(a, *limits_a, digits=digits), beside_threshold(b, *limits_b, digits=digits)
    d = max(digits, *(len(t.partition(".")[2]) for t in (beside_threshold(a, *limits_a, digits=digits, max_digits=max_digits),
                                                        beside_threshold(b, *limits_b, digits=digits, max_digits=max_digits))))
    exact = _side(Decimal(float(a)), Decimal(float(b)))
    for dd in range(d, max_digits + 1):
        ta, tb = f"{Decimal(float(a)):.{dd}f}", f"{Decimal(float(b)):.{dd}f}"
        if _side(Decimal(ta), Decimal(tb)) == exact:
            return ta, tb
    return repr(float(a)), repr(float(b))

@dataclass(frozen=True, slots=True)
class Metric:
    """One row of the tidy output: ``metric,value,ci_low,ci_high,unit,status`` (+ ``extra`` columns).

    ``metric`` is a stable machine id (lower case, ``[a-z0-9_]``, dots for nesting, no units
    or symbols: ``uniformity``, ``alignment``, ``twonn``, ``mutual_knn``); the same id is a
    key under ``results`` in the JSON. ``extra`` holds the columns that vary between rows of
    one command (``input``, ``layer``, ``method``, ``k``, ``t`` …).
    """

    metric: str
    value: Any
    ci_low: float | None = None
    ci_high: float | None = None
    unit: str = ""
    status: str = ""
    extra: dict = dataclasses.field(default_factory=dict)

    def row(self) -> dict:
        return {"metric": self.metric, "value": jsonable(self.value), "ci_low": jsonable(self.ci_low),
                "ci_high": jsonable(self.ci_high), "unit": self.unit, "status": self.status, **jsonable(self.extra)}

    def csv_row(self) -> dict:
        """:meth:`row` for the tidy CSV: an infinite value or interval end stays ``±inf`` (an unbounded
        interval, an infinite distortion: numbers that read back as floats), NaN is an empty cell."""
        keep = lambda v: float(v) if isinstance(v, (float, np.floating)) and math.isinf(float(v)) else jsonable(v)  # noqa: E731
        return {**self.row(), "value": keep(self.value), "ci_low": keep(self.ci_low), "ci_high": keep(self.ci_high)}


class Result:
    """Mixin for result dataclasses (declare them ``frozen=True, slots=True``).

    The output contract every analysis shares: ``to_dict()`` (the JSON ``results``),
    ``metrics()`` (the tidy CSV rows, stable ids), ``verdict()`` (status, reason, fix,
    and the metric that decided it) and ``table()`` (the rows a terminal shows).
    """

    __slots__ = ()

    def metrics(self) -> list[Metric]:
        """Tidy rows, one per estimate. The default lists every numeric scalar field;
        analyses override it with ids, intervals and units of their own."""
        rows = []
        for key, value in flatten(self.to_dict()).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            rows.append(Metric(key, value))
        return rows

    def verdict(self) -> Verdict:
        """The conclusion drawn from this result's own numbers (``info`` where none applies)."""
        return Verdict("info", "no verdict applies to this analysis")

    def to_dict(self) -> dict:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """Rows for a table: by default one ``metric | value`` row per scalar field."""
        rows = []
        for key, value in flatten(self.to_dict()).items():
            if isinstance(value, list) and (len(value) > 12 or any(isinstance(v, (list, dict)) for v in value)):
                continue  # long arrays belong in JSON, not a table
            rows.append([key, value])
        return ["metric", "value"], rows

    def to_frame(self):
        """The tidy rows of :meth:`metrics` as a ``pandas.DataFrame`` (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            from embgeo.errors import MissingExtraError

            raise MissingExtraError("pandas", "frame", feature="to_frame()") from None
        return pd.DataFrame([m.row() for m in self.metrics()])

    def _repr_html_(self) -> str:
        """A notebook view: the result's table as HTML (every cell escaped)."""
        import html

        columns, rows = self.table()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in r) + "</tr>" for r in rows
        )
        return f"<table><caption>{html.escape(type(self).__name__)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list):
        return ", ".join(_cell(x) for x in v)
    return "" if v is None else str(v)
