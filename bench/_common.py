"""Shared helpers for the benchmark scripts: machine facts, sgemm throughput, peak RSS,
and writing one section of docs/benchmarks.md between markers."""
from __future__ import annotations

import os
import platform
import re
import resource
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH_MD = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, {time.strftime('%Y-%m-%d')}"


def sgemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best achieved float32 GEMM throughput (GFLOP/s) for an n×n×n product."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def peak_rss_mb() -> float:
    """Peak resident set size of this process (and waited-for children) in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def own_peak_rss_mb() -> float:
    """Peak resident set size of this process since it started its program (VmHWM), in MB.

    Unlike ``ru_maxrss`` it does not count what the parent had resident when it forked this
    process (Linux carries that high-water mark across exec).
    """
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def update_section(name: str, markdown: str) -> None:
    """Replace (or append) the section between ``<!-- bench:NAME -->`` markers in docs/benchmarks.md."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = BENCH_MD.read_text() if BENCH_MD.exists() else "# Benchmarks\n\nFigures written by the scripts in `bench/`; each section is replaced when its script runs again.\n"
    block = f"{start}\n{markdown.strip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    tmp = BENCH_MD.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, BENCH_MD)


def md_table(columns, rows) -> str:
    lines = ["| " + " | ".join(map(str, columns)) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)
