"""Larger than memory: embgeo on a 1M × 768 float32 memory-mapped .npy (about 3 GB).

Creates the file under /tmp once (chunk by chunk, never whole in memory), runs
each command in its own child process — ``embgeo info``, sampled uniformity,
PCA / effective rank, TwoNN on approximate kNN of a seeded sample, and the
PCA / sampled-uniformity cases again with ``--scheduler local`` — and records
wall time and the child's peak RSS (``os.wait4`` rusage, i.e. what
``/usr/bin/time -v`` reports). Peak RSS counts the pages of the memory-mapped
file that the process touched (shared, reclaimable page cache); each child also
reports, at exit, its resident file pages and its private (anonymous) memory.
Writes the ``scaling`` section of docs/benchmarks.md and deletes the file.

    python bench/bench_scaling.py               # 1 000 000 × 768 (about 5-10 min on 2 shared cores)
    python bench/bench_scaling.py --n 200000    # a quicker run
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, md_table, update_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
LIMIT_MB = 2048

# runs the CLI in-process, then writes /proc/self/status memory lines to $EMBGEO_BENCH_STATUS at exit
CHILD = r"""
import atexit, json, os, sys
def _status():
    keep = {}
    for line in open('/proc/self/status'):
        k, _, v = line.partition(':')
        if k in ('VmHWM', 'VmRSS', 'RssAnon', 'RssFile', 'RssShmem'):
            keep[k] = int(v.split()[0]) / 1024
    with open(os.environ['EMBGEO_BENCH_STATUS'], 'w') as f:
        json.dump(keep, f)
atexit.register(_status)
from embgeo.cli.app import main
main(sys.argv[1:])
"""


def make_file(path: Path, n: int, d: int, seed: int = 0) -> None:
    """A float32 .npy of n × d: a 12-dimensional linear structure plus isotropic noise, written in chunks."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((12, d)).astype(np.float32)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    step = 50_000
    for s in range(0, n, step):
        e = min(n, s + step)
        block = rng.standard_normal((e - s, 12), dtype=np.float32) @ basis
        block += 0.05 * rng.standard_normal((e - s, d), dtype=np.float32)
        out[s:e] = block
        out.flush()
    del out


def run_case(argv: list[str], status_path: Path) -> dict:
    env = {**os.environ, "EMBGEO_BENCH_STATUS": str(status_path), "OMP_NUM_THREADS": "2"}
    env.pop("EMBGEO_SCHEDULER", None)
    err_path = status_path.with_suffix(".err")
    t = time.perf_counter()
    with open(err_path, "wb") as err_file:
        p = subprocess.Popen([PY, "-c", CHILD, *argv], stdout=subprocess.PIPE, stderr=err_file, env=env, cwd=ROOT)
        out = p.stdout.read()  # the JSON result; stderr goes to a file, so no pipe can fill up
        _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    err = err_path.read_text(errors="replace")
    err_path.unlink(missing_ok=True)
    mem = json.loads(status_path.read_text()) if status_path.exists() else {}
    status_path.unlink(missing_ok=True)
    try:
        data = json.loads(out.decode())
    except ValueError:
        data = None
    # VmHWM: the child's own high-water mark (ru_maxrss also carries the parent's RSS at fork/exec)
    peak = mem.get("VmHWM", usage.ru_maxrss / 1024)
    return {"argv": argv, "code": p.returncode, "seconds": seconds, "peak_rss_mb": peak, "ru_maxrss_mb": usage.ru_maxrss / 1024,
            "rss_file_mb": mem.get("RssFile"), "rss_anon_mb": mem.get("RssAnon"), "data": data, "stderr": err.strip()[-400:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=768)
    ap.add_argument("--id-sample", type=int, default=50_000, help="rows of the seeded sample for approximate-kNN TwoNN")
    ap.add_argument("--keep", action="store_true", help="keep the file in /tmp")
    ap.add_argument("--no-write", action="store_true", help="print the table, do not touch docs/benchmarks.md")
    args = ap.parse_args()

    path = Path("/tmp") / f"embgeo_scaling_{args.n}x{args.d}.npy"
    status = Path("/tmp") / f"embgeo_scaling_status_{os.getpid()}.json"
    if not path.exists():
        t = time.perf_counter()
        # in a child process: writing through a memory map raises this process's RSS, and a child's
        # ru_maxrss starts from its parent's at fork/exec, so the parent must stay small
        subprocess.run([PY, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                        f"from bench_scaling import make_file; from pathlib import Path; make_file(Path({str(path)!r}), {args.n}, {args.d})"], check=True)
        print(f"wrote {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t:.0f} s", flush=True)
    f = str(path)
    cases = [
        ("embgeo info", ["info", f, "-f", "json"]),
        ("uniformity, sampled (200 000 pairs)", ["uniformity", f, "--mode", "sample", "-f", "json"]),
        ("id: PCA + effective rank (RankMe)", ["id", f, "-m", "pca,rankme", "-f", "json"]),
        (f"id: TwoNN, approximate kNN on a {args.id_sample} sample", ["id", f, "-m", "twonn", "--approx", "--sample", str(args.id_sample), "-f", "json"]),
        ("id: PCA + RankMe, --scheduler local", ["id", f, "-m", "pca,rankme", "-f", "json", "--scheduler", "local"]),
        ("uniformity, sampled, --scheduler local", ["uniformity", f, "--mode", "sample", "-f", "json", "--scheduler", "local"]),
    ]
    results = []
    try:
        for label, argv in cases:
            r = run_case(argv, status)
            r["label"] = label
            results.append(r)
            print(f"{label}: code {r['code']}, {r['seconds']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB "
                  f"(file pages {r['rss_file_mb']}, private {r['rss_anon_mb']} MB at exit)", flush=True)
            if r["code"] != 0:
                print(r["stderr"], flush=True)
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)

    def value(r):
        d = r["data"] or {}
        if "uniformity" in d:
            u = d["uniformity"]
            return f"U = {u['value']:.5f} [{u['ci_low']:.5f}, {u['ci_high']:.5f}]"
        if "pca" in d or "rankme" in d or "twonn" in d:
            parts = []
            if d.get("pca"):
                parts.append(f"PR {d['pca']['participation_ratio']:.2f}")
            if d.get("rankme"):
                parts.append(f"RankMe {d['rankme']['effective_rank']:.2f}")
            if d.get("twonn"):
                parts.append(f"TwoNN {d['twonn']['dimension']:.2f} (recall {d['neighbors'].get('recall')})")
            return ", ".join(parts)
        if d.get("files"):
            d = d["files"][0]
        if "rows" in d:
            return f"{d['rows']} rows, {d['duplicate_rows']} duplicates, median norm {d['norm_median']:.3f}"
        return "—"

    rows = []
    for r in results:
        ok = "yes" if r["peak_rss_mb"] < LIMIT_MB else "no"
        private = f"{r['rss_anon_mb']:.0f} MB" if r["rss_anon_mb"] is not None else "—"
        file_pages = f"{r['rss_file_mb']:.0f} MB" if r["rss_file_mb"] is not None else "—"
        rows.append([r["label"], "ok" if r["code"] == 0 else f"exit {r['code']}", f"{r['seconds']:.1f} s", f"{r['peak_rss_mb']:.0f} MB", ok, file_pages, private, value(r)])
    size = args.n * args.d * 4 / 1e9
    md = (
        f"### Larger than memory: {args.n:,} × {args.d} float32 memory map ({size:.1f} GB)\n\n"
        f"Machine: {machine()} (shared with other engineers' jobs: times are noisy). Each command ran in its own "
        f"child process through the real CLI; peak RSS is the child's own high-water mark `VmHWM` (the figure `/usr/bin/time -v` reports as maximum resident set size). "
        f"The file had just been written, so it was in the page cache. Peak RSS counts the pages of the memory-mapped "
        f"file the process touched (shared page cache the kernel can reclaim); the two columns after it split the "
        f"resident set at exit into those file pages and private memory.\n\n"
        + md_table(["command", "status", "time", "peak RSS", f"< {LIMIT_MB // 1024} GiB", "file pages at exit", "private at exit", "result"], rows)
        + "\n\nReproduce: `python bench/bench_scaling.py` (`--n 200000` for a quicker run). The file is deleted at the end.\n"
    )
    print(md)
    if not args.no_write:
        update_section("scaling", md)


if __name__ == "__main__":
    main()
