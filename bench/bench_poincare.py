"""Benchmark: Poincaré embeddings (embgeo.hyperbolic.poincare) on the mammals closure, against
gensim's PoincareModel in the same run, and (with --wordnet) the 74k-node WordNet noun tree.

    .venv/bin/python bench/bench_poincare.py              # mammals 10 and 5 dims, float32, gensim (a few minutes)
    .venv/bin/python bench/bench_poincare.py --wordnet    # adds WordNet (several more minutes)
    .venv/bin/python bench/bench_poincare.py --no-gensim --no-write

Every MAP here is the Nickel–Kiela reconstruction MAP computed by embgeo's evaluator (closure
ancestors as positives, the query itself excluded), for gensim's vectors too. gensim is
installed into its own venv (.bench-venv-gensim) and run in a subprocess; its own
ReconstructionEvaluation figure is reported beside ours to show the effect of counting the
query itself as a negative.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine, md_table, peak_rss_mb, sgemm_gflops, update_section  # noqa: E402

GENSIM_VENV = ROOT / ".bench-venv-gensim"

GENSIM_CHILD = r"""
import csv, json, sys, time
import numpy as np
from gensim.models.poincare import PoincareModel, ReconstructionEvaluation
closure, outdir, dim, neg, epochs, every, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
rows = [r for r in csv.reader(open(closure)) if r and r[0] != "id1"]
pairs = [(r[0], r[1]) for r in rows]
t0, c0 = time.perf_counter(), time.process_time()
model = PoincareModel(pairs, size=dim, negative=neg, seed=seed)
snaps = []
for e in range(1, epochs + 1):
    model.train(epochs=1, print_every=10**9)
    if e % every == 0 or e == epochs:
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        np.save(f"{outdir}/g{e}.npy", model.kv.vectors)
        snaps.append({"epoch": e, "cpu_seconds": cpu, "seconds": wall})
ids = list(model.kv.index_to_key)
tsv = f"{outdir}/closure.tsv"
with open(tsv, "w") as f:
    for a, b in pairs:
        f.write(f"{a}\t{b}\n")
own = ReconstructionEvaluation(tsv, model.kv).evaluate()
print(json.dumps({"snapshots": snaps, "ids": ids, "own_eval": {k: float(v) for k, v in own.items()}}))
"""


def ensure_gensim() -> tuple[bool, str]:
    py = GENSIM_VENV / "bin" / "python"
    if not py.exists():
        r = subprocess.run([sys.executable, "-m", "venv", str(GENSIM_VENV)], capture_output=True, text=True)
        if r.returncode:
            return False, f"venv failed: {r.stderr.strip()[-200:]}"
    r = subprocess.run([str(py), "-c", "import gensim; print(gensim.__version__)"], capture_output=True, text=True)
    if r.returncode:
        r2 = subprocess.run([str(py), "-m", "pip", "install", "-q", "gensim"], capture_output=True, text=True)
        if r2.returncode:
            return False, f"pip install gensim failed: {(r2.stderr or r2.stdout).strip()[-300:]}"
        r = subprocess.run([str(py), "-c", "import gensim; print(gensim.__version__)"], capture_output=True, text=True)
        if r.returncode:
            return False, f"gensim does not import: {r.stderr.strip()[-200:]}"
    return True, r.stdout.strip()


def run_ours(h, *, dim, epochs, target, eval_every, threads, dtype="float64", lr=0.03, seed=0):
    from embgeo.hyperbolic.poincare import train_poincare

    r = train_poincare(h, dim=dim, epochs=epochs, lr=lr, eval_every=eval_every, target_map=target, threads=threads, dtype=dtype, seed=seed)
    return r


def first_reaching(history, level):
    for e in history:
        if e["map"] is not None and e["map"] >= level - 1e-12:
            return e
    return None


def run_gensim(closure_path, h, *, dim, negatives, epochs, every, seed):
    from embgeo.hyperbolic.evaluate import evaluate_embedding

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        r = subprocess.run([str(GENSIM_VENV / "bin" / "python"), "-c", GENSIM_CHILD, str(closure_path), tmp, str(dim), str(negatives), str(epochs), str(every), str(seed)], capture_output=True, text=True)
        wall = time.perf_counter() - t
        if r.returncode:
            raise RuntimeError(r.stderr.strip()[-500:])
        doc = json.loads(r.stdout.strip().splitlines()[-1])
        ids = np.array(doc["ids"])
        for s in doc["snapshots"]:
            X = np.load(f"{tmp}/g{s['epoch']}.npy")
            ev = evaluate_embedding(X, h, ids=ids, protocol="nk")
            s["map"], s["mean_rank"] = ev.map, ev.mean_rank
        doc["wall_total"] = wall
        return doc


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-gensim", action="store_true")
    ap.add_argument("--gensim-epochs", type=int, default=200)
    ap.add_argument("--gensim-every", type=int, default=10)
    ap.add_argument("--wordnet", action="store_true", help="also train on the 74k-node WordNet noun tree (closure: 572k pairs)")
    ap.add_argument("--wordnet-epochs", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    from embgeo.datasets import path
    from embgeo.hyperbolic.graphs import read_hierarchy

    load = os.getloadavg()[0]
    gflops = sgemm_gflops(1024, 3)
    mammals = read_hierarchy(path("mammals"))
    out = [f"Machine: {machine()}; sgemm {gflops:.0f} GFLOP/s; load average at start {load:.1f} on {os.cpu_count()} cores (shared with other engineers: wall times are inflated, CPU-seconds less so).", ""]

    # --- torch threads: 30 epochs each, alternating ------------------------------------------
    from embgeo.hyperbolic.poincare import train_poincare

    train_poincare(mammals, dim=10, epochs=2, eval_every=0)  # warm-up (imports, allocations)
    trows = []
    for t in (1, 2, 1, 2):
        r = train_poincare(mammals, dim=10, epochs=30, eval_every=0, threads=t)
        trows.append([t, f"{r.cpu_seconds:.1f}", f"{r.seconds:.1f}"])
    print("threads", trows, flush=True)
    out += ["### torch threads (mammals, 10 dims, 30 epochs, no evaluation)", "", md_table(["threads", "CPU-s", "wall s"], trows), ""]

    # --- mammals, 10 and 5 dims -----------------------------------------------------------
    rows = []
    r10 = run_ours(mammals, dim=10, epochs=400, target=0.95, eval_every=5, threads=args.threads)
    e10 = first_reaching(r10.history, 0.95)
    print(f"ours 10d: MAP {r10.map:.4f} epochs {r10.epochs_run} cpu {r10.cpu_seconds:.1f}s wall {r10.seconds:.1f}s", flush=True)
    rows.append(["embgeo, 10 dims, float64 (target 0.95)", f"{r10.map:.4f}", f"{r10.mean_rank:.2f}", r10.epochs_run, f"{r10.cpu_seconds:.1f}", f"{r10.seconds:.1f}", "yes" if e10 and e10["cpu_seconds"] <= 60 else "no"])
    r5 = run_ours(mammals, dim=5, epochs=400, target=None, eval_every=25, threads=args.threads)
    best5 = max(r5.history, key=lambda e: e["map"])
    e5 = first_reaching(r5.history, 0.927)
    print(f"ours 5d: MAP {r5.map:.4f} best {best5['map']:.4f} cpu {r5.cpu_seconds:.1f}s", flush=True)
    rows.append(["embgeo, 5 dims, float64 (400 epochs)", f"{r5.map:.4f} (best {best5['map']:.4f})", f"{r5.mean_rank:.2f}", r5.epochs_run, f"{r5.cpu_seconds:.1f}", f"{r5.seconds:.1f}", f"0.927 reached at epoch {e5['epoch']}, {e5['cpu_seconds']:.1f} CPU-s" if e5 else "0.927 not reached"])
    r32 = run_ours(mammals, dim=10, epochs=200, target=None, eval_every=50, threads=args.threads, dtype="float32")
    print(f"ours 10d float32: MAP {r32.map:.4f}", flush=True)
    rows.append(["embgeo, 10 dims, float32 (200 epochs)", f"{r32.map:.4f}", f"{r32.mean_rank:.2f}", r32.epochs_run, f"{r32.cpu_seconds:.1f}", f"{r32.seconds:.1f}", "float32 clips at ‖x‖ ≤ 0.996"])
    out += ["### Mammals (WordNet closure, 1180 nodes, 6540 pairs), Nickel–Kiela MAP", "",
            md_table(["run", "MAP", "mean rank", "epochs", "CPU-s", "wall s", "target"], rows), "",
            f"Settings: RiemannianAdam lr 0.03, 50 negatives (shared by 16 pairs), batch 256, burn-in 20 epochs at lr/10, seed 0, {args.threads} torch thread(s). CPU-seconds are process CPU time (all threads) and include the periodic MAP evaluations (every 5 epochs for the 10-dim run). Published: 5 dims MAP 0.927, mean rank 1.26 (Nickel & Kiela).", ""]
    curve = [f"{e['epoch']}: {e['map']:.3f} ({e['cpu_seconds']:.0f}s)" for e in r10.history[4::5]]
    out += ["10-dim MAP by epoch (CPU-s): " + ", ".join(curve), ""]

    # --- gensim ------------------------------------------------------------------------------
    if not args.no_gensim:
        ok, info = ensure_gensim()
        if not ok:
            out += ["### gensim PoincareModel", "", f"Not run: {info}", ""]
        else:
            try:
                g = run_gensim(path("mammals"), mammals, dim=10, negatives=10, epochs=args.gensim_epochs, every=args.gensim_every, seed=0)
                best = max(g["snapshots"], key=lambda s: s["map"])
                ours_at = first_reaching(r10.history, best["map"])
                if ours_at is None:  # our 10-dim run stopped at 0.95; gensim did better: run longer
                    longer = run_ours(mammals, dim=10, epochs=800, target=best["map"], eval_every=5, threads=args.threads)
                    ours_at = first_reaching(longer.history, best["map"])
                grows = [[s["epoch"], f"{s['map']:.4f}", f"{s['mean_rank']:.2f}", f"{s['cpu_seconds']:.1f}", f"{s['seconds']:.1f}"] for s in g["snapshots"]]
                ratio = best["cpu_seconds"] / ours_at["cpu_seconds"] if ours_at else float("nan")
                print(f"gensim best MAP {best['map']:.4f} at {best['cpu_seconds']:.1f} CPU-s; ours reaches it at {ours_at and ours_at['cpu_seconds']:.1f}; ratio {ratio:.1f}", flush=True)
                out += [f"### gensim {info} PoincareModel, same run (10 dims, 10 negatives: gensim stalls at ≥ 30; lr 0.1, batch 10, burn-in 10 — its defaults)", "",
                        md_table(["gensim epoch", "MAP (embgeo evaluator)", "mean rank", "CPU-s", "wall s"], grows), "",
                        f"- gensim's best MAP: **{best['map']:.4f}** after {best['epoch']} epochs, {best['cpu_seconds']:.1f} CPU-s.",
                        f"- embgeo reaches that MAP after {ours_at['epoch']} epochs, {ours_at['cpu_seconds']:.1f} CPU-s (including its evaluations): **{ratio:.1f}× less CPU time** (goal ≥ 5×)." if ours_at else "- embgeo did not reach gensim's best MAP.",
                        f"- gensim's own ReconstructionEvaluation on its final vectors: MAP {g['own_eval'].get('MAP', float('nan')):.4f}, mean rank {g['own_eval'].get('mean_rank', float('nan')):.2f} — lower than ours on the same vectors ({g['snapshots'][-1]['map']:.4f}) because it ranks the query itself (distance 0) as a negative.", ""]
            except Exception as exc:  # noqa: BLE001 — the bench reports what failed
                out += ["### gensim PoincareModel", "", f"Failed: {str(exc)[:300]}", ""]

    # --- WordNet -------------------------------------------------------------------------------
    if args.wordnet:
        from embgeo.hyperbolic.evaluate import evaluate_embedding
        from embgeo.hyperbolic.graphs import transitive_closure
        from embgeo.hyperbolic.poincare import train_poincare

        wn = read_hierarchy(path("wordnet-tree"))
        clo = transitive_closure(wn)
        rw = train_poincare(clo, dim=10, epochs=args.wordnet_epochs, lr=0.03, batch_size=1024, eval_every=0, threads=args.threads, burnin=2, sparse=True)
        t = time.process_time()
        ev = evaluate_embedding(rw.coordinates, clo, protocol="nk")
        t_eval = time.process_time() - t
        print(f"wordnet: MAP {ev.map:.4f} rank {ev.mean_rank:.1f} train cpu {rw.cpu_seconds:.0f}s eval {t_eval:.0f}s", flush=True)
        out += ["### WordNet noun tree (74,374 nodes; closure 572,005 pairs), 10 dims", "",
                md_table(["epochs", "MAP", "mean rank", "CPU-s: training + its final MAP evaluation", "wall s", "CPU-s: one full evaluation alone", "peak RSS MB"],
                         [[rw.epochs_run, f"{ev.map:.4f}", f"{ev.mean_rank:.2f}", f"{rw.cpu_seconds:.0f}", f"{rw.seconds:.0f}", f"{t_eval:.0f}", f"{peak_rss_mb():.0f}"]]), "",
                f"Batch 1024, 2 burn-in epochs, sparse RiemannianAdam (only the rows a step touches move: one epoch {(rw.cpu_seconds - t_eval) / max(rw.epochs_run, 1):.1f} CPU-s on average here, the training CPU-s less one evaluation, against 33 CPU-s for dense steps, which move all 74k rows each step). The evaluation ranks all 74k nodes for every one of the 74k queries, blockwise (about 8M distances per block). Nickel & Kiela report MAP 0.851 for 10 dims on the noun closure (743k pairs, with multiple inheritance: not the same set of pairs) after far longer training.", ""]

    out.append(f"Peak RSS of the bench process: {peak_rss_mb():.0f} MB.")
    text = "## Poincaré embeddings (`embgeo hyperbolic train`)\n\n" + "\n".join(out)
    print(text)
    if not args.no_write:
        update_section("poincare", text)


if __name__ == "__main__":
    main()
