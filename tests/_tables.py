"""Test helper: a command's ``-f md`` table speaks the ids of its CSV and JSON (shared by the CLI tests)."""
from __future__ import annotations

import csv
import io
import json

import pytest


def _md_table(text):
    lines = [ln for ln in text.splitlines() if ln.startswith("| ")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    return head, [dict(zip(head, (c.strip().replace("\\\\|", "|") for c in ln.strip("|").split("|")))) for ln in lines[2 if lines[1].startswith("|---") else 1:]]


def _same(shown, value):
    """A table cell (6 significant digits) against a CSV/JSON value."""
    if value in ("", None):
        return shown in ("", "∞ (see notes)")  # (JSON: null for NaN and infinity)
    if shown == "∞ (see notes)":  # an infinite value: inf in the CSV
        return value in ("inf", float("inf"))
    if isinstance(value, bool) or value in ("true", "false"):
        return shown == str(value).lower()
    if isinstance(value, list):
        return [float(v) for v in shown.split(", ")] == pytest.approx([float(v) for v in value], rel=1e-5)
    try:
        return float(shown) == pytest.approx(float(value), rel=1e-5, abs=1e-300)
    except ValueError:
        return shown == str(value)


def assert_table_speaks_ids(run_cli, argv):
    """-f md names its rows with the ids of the CSV and the JSON keys: every tidy CSV row is a table row with the
    same value, interval, unit and status; every other table row is a JSON ``results`` key with its value."""
    from embgeo.cli.output import TIDY_COLUMNS
    from embgeo.results import flatten

    head, md = _md_table(run_cli(["-q", *argv, "-f", "md"]).stdout)
    assert head[0] == "metric" and head[-5:] == TIDY_COLUMNS[1:], head
    varying = head[1:-5]
    csv_rows = list(csv.DictReader(io.StringIO(run_cli(["-q", *argv, "-f", "csv"]).stdout)))
    results = flatten(json.loads(run_cli(["-q", *argv, "-f", "json"]).stdout)["results"])
    metric_rows = md[:len(csv_rows)]
    for c, m in zip(csv_rows, metric_rows):
        assert m["metric"] == c["metric"] and all(_same(m[k], c[k]) for k in varying), (m, c)
        assert "seconds" in c["metric"] or all(_same(m[k], c[k]) for k in ("value", "ci_low", "ci_high")), (m, c)
        assert (m["unit"], m["status"]) == (c["unit"], c["status"])
    for m in md[len(csv_rows):]:
        timing = "seconds" in m["metric"]  # differs between runs
        assert m["metric"] in results and (timing or _same(m["value"], results[m["metric"]])), m
        assert m["ci_low"] == m["ci_high"] == m["unit"] == m["status"] == ""
    return head, md
