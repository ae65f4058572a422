"""BLAS threads on small inputs: each command on the bundled 300 × 384 sentences, idle and beside a busy BLAS process.

An analysis of a small matrix (at most ``embgeo._blas.SMALL_ENTRIES`` entries) runs its BLAS on one
thread. This script times the commands that do most small linear algebra (rank, cosine, project
--method pca, report) in fresh processes, with the limit (the default) and without it
(``EMBGEO_SMALL_BLAS_ENTRIES=0``: numpy's thread pool, what embgeo did before), on an idle machine
and beside a second process that runs 1500² float64 GEMMs on numpy's default pool (a notebook,
another job). Median of ``--repeats`` runs; writes the "BLAS threads" section of docs/benchmarks.md.

    .venv/bin/python bench/bench_threads.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, md_table, update_section  # noqa: E402

HOG = """
import numpy as np, time
a = np.random.default_rng(0).normal(size=(1500, 1500))
t = time.time()
while time.time() - t < 3600:
    a @ a
"""


def _data(d: Path) -> dict:
    from embgeo.datasets.registry import path

    src = Path(path("sentences")).parent
    X = np.load(src / "sentences.npy").astype(np.float32)[:300]
    np.savez(d / "x.npz", embeddings=X, ids=np.array([f"s{i:04d}" for i in range(300)]))
    with open(src / "sentences.csv", newline="") as f:
        rows = list(csv.reader(f))
    with open(d / "labels.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows[:301])
    x = str(d / "x.npz")
    return {
        "rank": ["rank", x, "--labels", str(d / "labels.csv"), "--attr", "number"],
        "cosine": ["cosine", x],
        "project --method pca": ["project", x, "--method", "pca"],
        "report": ["report", x, "--html", str(d / "r.html")],
    }


def _time(args: list[str], limit: bool, repeats: int) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    if not limit:
        env["EMBGEO_SMALL_BLAS_ENTRIES"] = "0"
    else:
        env.pop("EMBGEO_SMALL_BLAS_ENTRIES", None)
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "embgeo", "-q", *args, "-f", "json"], env=env, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cmds = _data(Path(tmp))
        rows = []
        times = {}
        for busy in (False, True):
            hog = subprocess.Popen([sys.executable, "-c", HOG]) if busy else None
            try:
                if hog is not None:
                    time.sleep(2.0)
                for name, args in cmds.items():
                    for limit in (False, True):
                        times[(name, busy, limit)] = _time(args, limit, a.repeats)
                        print(name, "busy" if busy else "idle", "one thread" if limit else "pool", f"{times[(name, busy, limit)]:.2f} s",
                              flush=True)
            finally:
                if hog is not None:
                    hog.kill()
                    hog.wait()
        for name in cmds:
            i0, i1, b0, b1 = (times[(name, busy, limit)] for busy in (False, True) for limit in (False, True))
            rows.append([f"`{name}`", f"{i0:.2f}", f"{i1:.2f}", f"{b0:.2f}", f"{b1:.2f}", f"{b0 / b1:.1f}×"])
    md = (f"Each command on the bundled sentences (300 × 384), fresh process, median of {a.repeats} runs, seconds; {machine()}. "
          "*pool*: numpy's BLAS thread pool (`EMBGEO_SMALL_BLAS_ENTRIES=0`, embgeo before this change); *one thread*: the "
          "default for inputs of at most 10⁶ entries. *busy*: beside a second process running 1500² float64 GEMMs on its "
          "default pool.\n\n"
          + md_table(["command", "idle, pool", "idle, one thread", "busy, pool", "busy, one thread", "busy: pool / one"], rows))
    update_section("threads", "## BLAS threads on small inputs — bench/bench_threads.py\n\n" + md)
    print(md)


if __name__ == "__main__":
    main()
