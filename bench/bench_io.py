"""Reading embeddings from CSV: ``embgeo.io.load`` against ``numpy.loadtxt`` and ``pandas.read_csv``.

The same files for every reader (seed 0; float32 values drawn from a standard normal):

* ``100,000 × 64`` and ``20,000 × 384``, written with ``%.9g`` (every value round-trips, so embgeo
  keeps float32), a header ``d0,d1,…``;
* ``100,000 × (id, topic, 64)``: a text id (``w17``), a text label column (4 topics), 64 dimensions;
* ``20,000 × 64`` float64 values written with ``%.17g`` (embgeo reads float64: 17 digits).

Each reader runs in its own process, best of ``--repeats``; peak RSS is the process's own
high-water mark (VmHWM) and "for the read" is that peak minus the process's RSS right before the
first read (interpreter and imports excluded). The peers are asked for the dtype embgeo returns;
``numpy.loadtxt`` reads the numeric columns only (it has no text columns), ``pandas.read_csv`` reads
every column (the numeric ones as that dtype). "same matrix" compares the numeric matrices bit for
bit with embgeo's. ``--before DIR`` also times embgeo from another checkout in the same run, e.g.
``git archive 70b9fe7 embgeo | tar -x -C /tmp/before`` then ``--before /tmp/before --before-label 70b9fe7``.

    .venv/bin/python bench/bench_io.py                       # writes the "io" section of docs/benchmarks.md
    .venv/bin/python bench/bench_io.py --quick --no-write    # a tenth of the rows, nothing written
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, md_table, own_peak_rss_mb, update_section  # noqa: E402

#: name (for --only) → (rows, dims, text columns, printf format, dtype of the values)
FILES = {
    "wide64": (100_000, 64, False, "%.9g", "float32"),
    "wide384": (20_000, 384, False, "%.9g", "float32"),
    "text": (100_000, 64, True, "%.9g", "float32"),
    "float64": (20_000, 64, False, "%.17g", "float64"),
}


def label(spec) -> str:
    n, d, text, fmt, dtype = spec
    return f"{n:,} × " + (f"(id, topic, {d})" if text else str(d)) + ("" if dtype == "float32" else f" {dtype} `{fmt}`")
TOPICS = np.array(["cat", "dog", "bird", "fish"])


def write_file(path: Path, n: int, d: int, text: bool, fmt: str, dtype: str, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if dtype == "float32":
        X = X.astype(np.float32)
    names = [f"d{i}" for i in range(d)]
    with open(path, "w", newline="") as fh:
        if text:
            topics = TOPICS[rng.integers(0, len(TOPICS), n)]
            fh.write(",".join(["id", "topic"] + names) + "\n")
            row = ",".join([fmt] * d)
            for i in range(n):
                fh.write(f"w{i},{topics[i]}," + row % tuple(X[i].tolist()) + "\n")
        else:
            np.savetxt(fh, X, fmt=fmt, delimiter=",", header=",".join(names), comments="")


def _rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_case(tool: str, path: str, d: int, text: bool, dtype: str, repeats: int) -> dict:
    """One reader on one file, in this process: best of ``repeats``."""
    if tool == "embgeo":
        from embgeo.io import load

        where = str(Path(sys.modules["embgeo"].__file__).resolve().parents[1])
        read = lambda: load(path).matrix  # noqa: E731
    elif tool == "loadtxt":
        where = np.__version__
        cols = range(2, 2 + d) if text else None
        read = lambda: np.loadtxt(path, delimiter=",", skiprows=1, usecols=cols, dtype=dtype)  # noqa: E731
    elif tool == "pandas":
        import pandas as pd

        where = pd.__version__
        kinds = {f"d{i}": dtype for i in range(d)}
        read = lambda: pd.read_csv(path, dtype=kinds)[list(kinds)].to_numpy()  # noqa: E731
    else:
        raise SystemExit(f"unknown reader {tool}")
    base, times, digest = _rss_mb(), [], None
    for _ in range(repeats):
        t = time.perf_counter()
        X = read()
        times.append(time.perf_counter() - t)
        digest = hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest()
        shape, got = X.shape, str(X.dtype)
        del X
    return {"tool": tool, "where": where, "seconds": times, "shape": list(shape), "dtype": got, "sha1": digest,
            "rss_before_mb": base, "peak_rss_mb": own_peak_rss_mb()}


def spawn(tool: str, path: Path, spec, repeats: int, before: str | None = None) -> dict:
    n, d, text, fmt, dtype = spec
    env = dict(os.environ)
    if before:
        env["PYTHONPATH"] = before + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, __file__, "--case", tool, "--file", str(path), "--d", str(d), "--dtype", dtype, "--repeats", str(repeats)]
    if text:
        cmd.append("--text")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        return {"tool": tool, "error": (p.stderr.strip().splitlines() or ["failed"])[-1][:120]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def write(results, args, load_avg) -> None:
    rows = []
    for spec, size_mb, runs in results:
        n, name = spec[0], label(spec)
        ours = next((r for r in runs if r.get("label") == "embgeo" and "seconds" in r), None)
        for r in runs:
            if "seconds" not in r:
                rows.append([name, f"{size_mb:.0f}", r["label"], "—", "—", "—", "—", "—", "—", r.get("error", "")])
                continue
            best = min(r["seconds"])
            ratio = "1" if r is ours else (f"{best / min(ours['seconds']):.2f}" if ours else "—")
            same = "—" if r is ours or not ours else ("yes" if r["sha1"] == ours["sha1"] and r["dtype"] == ours["dtype"] else "no")
            rows.append([name, f"{size_mb:.0f}", r["label"], r["dtype"], f"{best:.2f}", f"{n / best:,.0f}", ratio,
                         f"{r['peak_rss_mb']:.0f} ({r['peak_rss_mb'] - r['rss_before_mb']:.0f})", same, ""])
    md = [
        "## Reading CSV (`embgeo.io.load`) — bench/bench_io.py",
        "",
        f"Machine: {machine()}; load average {load_avg:.1f} at the start (the machine was shared with other jobs: times are noisy). "
        f"Best of {args.repeats} reads, each reader in its own process. Files: seed 0, float32 values of a standard normal written "
        "with `%.9g` (each value round-trips: embgeo keeps float32), a header `d0,d1,…`; the `(id, topic, 64)` file adds a text id and a "
        "text label column (4 topics); the float64 file holds float64 values written with `%.17g`. The peers are asked for the dtype "
        "embgeo returns; numpy.loadtxt reads the numeric columns only (it has no text columns), pandas.read_csv every column. "
        "'time ÷ embgeo' above 1: embgeo is faster. Peak RSS is the process's own VmHWM, in brackets the part above the process's RSS "
        "before the first read. 'same matrix': the numeric matrix equals embgeo's bit for bit."
        + (" Rows 'embgeo before' run the code of another checkout in the same run." if args.before else ""),
        "",
        md_table(["file", "MB", "reader", "dtype", "seconds", "rows/s", "time ÷ embgeo", "peak RSS MB (read)", "same matrix", "note"], rows),
        "",
        "Reproduce: `python bench/bench_io.py` (`--quick` reads a tenth of the rows; `--before DIR` adds embgeo from another checkout).",
    ]
    if not args.no_write:
        update_section("io", "\n".join(md))
    print("\n".join(md))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a tenth of the rows")
    ap.add_argument("--before", help="a checkout (its root, holding embgeo/) whose reader is timed too")
    ap.add_argument("--before-label", default="before")
    ap.add_argument("--data-dir", help="keep the files here (reused when present) instead of a temporary folder")
    ap.add_argument("--only", help="comma-separated names of FILES (wide64, wide384, text, float64)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--case")
    ap.add_argument("--file")
    ap.add_argument("--d", type=int)
    ap.add_argument("--text", action="store_true")
    ap.add_argument("--dtype")
    a = ap.parse_args(argv)
    if a.case:
        print(json.dumps(run_case(a.case, a.file, a.d, a.text, a.dtype, a.repeats)))
        return
    load_avg = os.getloadavg()[0]
    have_pandas = importlib.util.find_spec("pandas") is not None
    names = [s for s in a.only.split(",") if s] if a.only else list(FILES)
    tmp = None if a.data_dir else tempfile.TemporaryDirectory()
    folder = Path(a.data_dir or tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for i, name in enumerate(names):
            n, d, text, fmt, dtype = FILES[name]
            spec = (n // 10 if a.quick else n, d, text, fmt, dtype)
            path = folder / f"bench_io_{i}_{spec[0]}x{d}{'_text' if text else ''}_{dtype}.csv"
            if not path.exists():
                write_file(path, *spec)
            runs = [{**spawn("embgeo", path, spec, a.repeats), "label": "embgeo"}]
            if a.before:
                runs.append({**spawn("embgeo", path, spec, a.repeats, before=a.before), "label": f"embgeo before ({a.before_label})"})
            runs.append({**spawn("loadtxt", path, spec, a.repeats), "label": "numpy.loadtxt"})
            runs.append({**spawn("pandas", path, spec, a.repeats), "label": "pandas.read_csv"} if have_pandas
                        else {"label": "pandas.read_csv", "error": "pandas is not installed"})
            for r in runs:
                print(json.dumps(r), flush=True)
            results.append((spec, path.stat().st_size / 1e6, runs))
            write(results, a, load_avg)  # rewritten after each file: an interrupted run keeps what finished
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
