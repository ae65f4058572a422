"""``info``: what a matrix holds — shape, dtype, memory, norms and bad rows."""
from __future__ import annotations

from dataclasses import dataclass

from embgeo.io.model import EmbeddingSet
from embgeo.results import Result, Verdict  # noqa: F401  (Verdict: the type files_verdict returns)
from embgeo.validation import drop_option, scan_rows


@dataclass(frozen=True, slots=True)
class InfoResult(Result):
    """Summary of one embedding file (``bytes`` is the in-memory matrix size)."""

    file: str
    format: str
    n_rows: int
    n_dims: int
    dtype: str
    bytes: int
    file_bytes: int
    norm_min: float
    norm_median: float
    norm_max: float
    nan_inf_rows: int
    zero_rows: int
    duplicate_rows: int
    duplicate_groups: int
    has_ids: bool
    repeated_ids: int  # rows whose id is the id of an earlier row (embgeo.io.common.id_key: text as written, stripped)
    label_columns: list
    examples: dict  # up to 10 row numbers of each kind of bad row (duplicates and repeated ids as "row=first")

    def table(self):
        rows = []
        for k, v in self.to_dict().items():
            if k == "examples":
                continue
            kind = {"nan_inf_rows": "nan_inf", "zero_rows": "zero", "duplicate_rows": "duplicate", "repeated_ids": "repeated_id"}.get(k)
            if kind and self.examples.get(kind):
                shown = self.examples[kind]
                v = f"{v} (rows {', '.join(map(str, shown))}{', …' if v > len(shown) else ''})"
            rows.append([k, v])
        return ["field", "value"], rows

    def metrics(self):
        from embgeo.results import Metric

        ids = ("n_rows", "n_dims", "bytes", "file_bytes", "norm_min", "norm_median", "norm_max",
               "nan_inf_rows", "zero_rows", "duplicate_rows", "duplicate_groups", "repeated_ids")
        units = {"bytes": "bytes", "file_bytes": "bytes"}
        bad = {"nan_inf_rows": "bad", "zero_rows": "warn", "duplicate_rows": "warn", "repeated_ids": "warn"}
        return [Metric(k, getattr(self, k), unit=units.get(k, ""),
                       status=(bad[k] if getattr(self, k) else "ok") if k in bad else "",
                       extra={"input": self.file}) for k in ids]

    def verdict(self):
        """``bad`` with NaN/inf rows (every analysis would fail on them), ``warn`` with all-zero or
        duplicate rows (cosine is undefined on zeros; duplicates bias neighbour statistics) or repeated
        ids (a join by id — labels, compare — refuses them), else ``ok``."""
        from embgeo.results import Verdict

        def of(k: int, one: str, many: str) -> str:  # "1 of 1000 rows holds", "3 of 1000 rows hold"
            return f"{k} of {self.n_rows} row{'' if self.n_rows == 1 else 's'} {one if k == 1 else many}"

        if self.nan_inf_rows:
            return Verdict("bad", of(self.nan_inf_rows, "holds NaN or inf", "hold NaN or inf"),
                           f"drop {'it' if self.nan_inf_rows == 1 else 'them'} ({drop_option('drop_nonfinite')}) or fix the file", "nan_inf_rows")
        if self.zero_rows:
            return Verdict("warn", of(self.zero_rows, "is all zero (cosine is undefined on it)", "are all zero (cosine is undefined on them)"),
                           f"drop {'it' if self.zero_rows == 1 else 'them'} ({drop_option('drop_zero')})", "zero_rows")
        if self.duplicate_rows:
            return Verdict("warn", of(self.duplicate_rows, "repeats an earlier row exactly", "repeat an earlier row exactly"),
                           f"drop {'it' if self.duplicate_rows == 1 else 'them'} ({drop_option('dedupe')}) before neighbour-based analyses", "duplicate_rows")
        if self.repeated_ids:
            first = (self.examples.get("repeated_id") or [""])[0]
            shown = f" (first: row {first.replace('=', ' has the id of row ')})" if first else ""
            return Verdict("warn", of(self.repeated_ids, "repeats the id of an earlier row", "repeat the id of an earlier row") + shown,
                           "make the ids unique (drop or rename the repeated rows): a join by id (labels, compare) refuses them", "repeated_ids")
        every = "the 1 row is" if self.n_rows == 1 else f"all {self.n_rows} rows are"
        return Verdict("ok", f"{every} finite, non-zero and distinct", "", "nan_inf_rows")


def describe(es: EmbeddingSet) -> InfoResult:
    """Describe ``es``: norms in float64, and NaN/inf, all-zero and duplicate rows.

    Duplicate rows are rows whose values equal an earlier row exactly
    (``duplicate_rows`` counts the extra copies, ``duplicate_groups`` the distinct
    repeated vectors). ``repeated_ids`` counts the rows whose id is the id of an
    earlier row by :func:`embgeo.io.common.id_key` (text as written, stripped);
    ``examples["repeated_id"]`` shows them as ``row=first``. Runs block by block, so a
    memory-mapped file is never loaded whole.
    """
    from embgeo.io.common import repeated_ids

    report = scan_rows(es.matrix)
    rep = repeated_ids(es.ids) if es.ids is not None else []
    n, d = es.matrix.shape
    itemsize = 2 if es.stored_dtype == "bfloat16" else es.matrix.dtype.itemsize
    return InfoResult(
        file=es.source,
        format=str(es.provenance.get("format", "array")),
        n_rows=int(n),
        n_dims=int(d),
        dtype=es.stored_dtype,
        bytes=int(n * d * itemsize),
        file_bytes=int(es.provenance.get("file_bytes", 0)),
        norm_min=report.norm_min,
        norm_median=report.norm_median,
        norm_max=report.norm_max,
        nan_inf_rows=int(report.nonfinite_rows.size),
        zero_rows=int(report.zero_rows.size),
        duplicate_rows=int(report.duplicate_rows.size),
        duplicate_groups=int(report.duplicate_groups),
        has_ids=es.ids is not None,
        repeated_ids=len(rep),
        label_columns=sorted(es.attributes),
        examples={
            "nan_inf": [int(r) for r in report.nonfinite_rows[:10]],
            "zero": [int(r) for r in report.zero_rows[:10]],
            "duplicate": [f"{int(r)}={int(f)}" for r, f in zip(report.duplicate_rows[:10], report.duplicate_of[:10])],
            "repeated_id": [f"{row}={first}" for first, row in rep[:10]],
        },
    )


def files_verdict(results) -> "Verdict":
    """The verdict of ``embgeo info`` on one or several :class:`InfoResult` s: the worst file's verdict
    (the first of equals); with several files its reason names the file (``dup.npy: 1 of 300 rows
    repeats an earlier row exactly``), and when every file is ok each file is named with its reason."""
    import dataclasses

    from embgeo.results import Verdict, severity, worst_verdict

    results = list(results)
    if not results:
        return Verdict("info", "no file was described")
    verdicts = [r.verdict() for r in results]
    if len(results) == 1:
        return verdicts[0]
    named = [dataclasses.replace(v, reason=f"{r.file}: {v.reason}") for r, v in zip(results, verdicts)]
    worst = worst_verdict(named)
    if worst.status == "ok":
        return dataclasses.replace(worst, reason="; ".join(v.reason for v in named))
    flagged = [r.file for r, v in zip(results, verdicts) if severity(v.status) > severity("ok")]
    if len(flagged) > 1:
        return dataclasses.replace(worst, reason=f"{worst.reason} ({len(flagged)} of {len(results)} files flagged: {', '.join(flagged)})")
    return worst
