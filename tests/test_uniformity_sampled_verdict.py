"""A sampled uniformity ratio whose interval spans a threshold does not decide: the verdict says so (warn,
naming the interval and the fix) instead of reading the point estimate as ok; a narrow interval decides."""
from __future__ import annotations

import numpy as np

import embgeo as eg

X = np.random.default_rng(0).normal(size=(400, 16))


def test_few_pairs_do_not_decide():
    res = eg.uniformity(X, mode="sample", n_pairs=5, seed=0)
    v = res.verdict()
    lo, hi = res.ratio_interval()
    assert res.uniformity_ratio >= 0.8  # the point estimate alone would read ok
    assert v.status == "warn" and v.decided_by == "uniformity_ratio"
    assert "interval" in v.reason and "5 sampled pairs do not decide" in v.reason and "n_pairs=" in v.fix and "mode='exact'" in v.fix
    assert lo is None or hi is None or lo < 0.8 <= hi or lo < 0.5 <= hi


def test_many_pairs_decide_as_the_exact_value():
    sampled = eg.uniformity(X, mode="sample", n_pairs=200_000, seed=0)
    exact = eg.uniformity(X)
    lo, hi = sampled.ratio_interval()
    assert 0.8 < lo <= hi  # a narrow interval above the ok threshold
    assert sampled.verdict().status == exact.verdict().status == "ok"
    assert abs(sampled.uniformity_ratio - exact.uniformity_ratio) < hi - lo


def test_an_unbounded_interval_end_reads_the_same_in_table_and_csv(tmp_path, run_cli):
    """An interval unbounded on one side: -inf/inf in the table and the CSV (floats that read back),
    null in JSON (no infinity there), the verdict's reason says unbounded (docs/output.md)."""
    import csv
    import io
    import json

    S = np.random.default_rng(0).normal(size=(1000, 32))
    np.save(tmp_path / "sph.npy", S / np.linalg.norm(S, axis=1, keepdims=True))
    argv = ["-q", "uniformity", tmp_path / "sph.npy", "--mode", "sample", "--n-pairs", "3000", "--t", "9"]
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(run_cli([*argv, "-f", "csv"]).stdout))}
    assert rows["uniformity"]["ci_low"] == "-inf" and float(rows["uniformity"]["ci_high"]) < 0
    assert rows["uniformity_ratio"]["ci_high"] == "inf" and 0 < float(rows["uniformity_ratio"]["ci_low"]) < 0.8
    assert rows["uniformity_ratio"]["status"] == "warn"
    doc = json.loads(run_cli([*argv, "-f", "json"]).stdout)
    assert doc["results"]["ci_low"] is None and doc["results"]["ci_high"] < 0
    assert "unbounded]" in doc["verdict"]["reason"] and doc["verdict"]["status"] == "warn"
    md = run_cli([*argv, "-f", "md"]).stdout
    assert "| uniformity_ratio |" in md and "| inf |" in md and "| -inf |" in md
