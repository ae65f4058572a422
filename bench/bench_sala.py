"""Benchmarks for the Sala et al. toolbox: combinatorial construction on the bundled graphs
(WordNet noun tree in 2-D: MAP ≥ 0.98 in < 60 s), h-MDS of n = 5,000 points (< 30 s), Gromov δ.

    .venv/bin/python bench/bench_sala.py            # default sizes (a few minutes)
    .venv/bin/python bench/bench_sala.py --full     # WordNet MAP over all 74k rows too (slow)
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, md_table, peak_rss_mb, sgemm_gflops, update_section  # noqa: E402

from embgeo.datasets import path  # noqa: E402
from embgeo.hyperbolic.combinatorial import embed_hierarchy  # noqa: E402
from embgeo.hyperbolic.delta import gromov_delta  # noqa: E402
from embgeo.hyperbolic.graphs import read_hierarchy  # noqa: E402
from embgeo.hyperbolic.hmds import hmds, hyperboloid_pairwise  # noqa: E402

PAPER = {"smalltree": 1.0, "csphd": 0.991, "diseasome": 0.822, "wordnet-tree": 0.989}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="WordNet MAP over every row (≈ 5–10 min)")
    ap.add_argument("--queries", type=int, default=2000)
    args = ap.parse_args()
    gf = sgemm_gflops(1024, 3)
    rows = []
    for name in ["smalltree", "csphd", "diseasome", "wordnet-tree"]:
        h = read_hierarchy(path(name))
        big = h.n_nodes > 20000
        t = time.perf_counter()
        r = embed_hierarchy(h, dim=2, eps=0.1, max_queries=args.queries if big else None, distortion_sources=200 if big else None, seed=0)
        wall = time.perf_counter() - t
        e = r.embedding
        mp = f"{r.map:.4f}" + (f" ± {r.map_stderr:.4f} ({r.map_queries} rows)" if r.map_stderr is not None else "")
        rows.append([name, h.n_nodes, e.max_degree, f"{e.tau:.2f}", e.bits_needed, e.engine, mp, PAPER[name], f"{r.distortion_mean:.4f}", f"{r.seconds_embed:.2f}", f"{wall:.1f}"])
        print(rows[-1], flush=True)
    # the float64 collapse on the smalltree
    h = read_hierarchy(path("smalltree"))
    r53 = embed_hierarchy(h, dim=2, eps=0.1, precision=53)
    t = time.perf_counter()
    rmp = embed_hierarchy(h, dim=2, eps=0.1, precision=r53.embedding.bits_needed)
    tmp = time.perf_counter() - t
    prec_rows = [
        ["float64 (53 bits)", r53.embedding.n_on_boundary, f"{r53.map:.4f}", "inf" if r53.distortion_mean is None else f"{r53.distortion_mean:.4f}"],
        [f"mpmath ({rmp.embedding.bits_needed} bits)", 0, f"{rmp.map:.4f}", f"{rmp.distortion_mean:.5f}"],
        ["frames (exact float64 scheme)", 0, f"{rows[0][6]}", rows[0][8]],
    ]
    full_line = ""
    if args.full:
        h = read_hierarchy(path("wordnet-tree"))
        t = time.perf_counter()
        rf = embed_hierarchy(h, dim=2, eps=0.1, distortion_sources=200, seed=0)
        full_line = f"\nFull WordNet MAP over all {rf.map_queries} rows: **{rf.map:.4f}** in {time.perf_counter() - t:.0f} s.\n"
        print(full_line)
    # h-MDS n = 5000 in H^5
    rng = np.random.default_rng(0)
    n, r = 5000, 5
    V = rng.standard_normal((n, r))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    rad = rng.uniform(0, 3, n)
    H = np.column_stack([np.cosh(rad), np.sinh(rad)[:, None] * V])
    D = hyperboloid_pairwise(H)
    t = time.perf_counter()
    res = hmds(D, dim=5)
    th = time.perf_counter() - t
    res_u = hmds(D, dim=5, centred=False)
    hm_rows = [
        ["centred (Perron)", n, 5, res.dims_recovered, f"{res.max_abs_error:.1e}", res.solver, f"{th:.1f}"],
        ["uncentred (public variant)", n, 5, res_u.dims_recovered, f"{res_u.max_abs_error:.2f}", res_u.solver, f"{res_u.seconds:.1f}"],
    ]
    print(hm_rows, flush=True)
    # δ
    from scipy.sparse.csgraph import shortest_path

    t = time.perf_counter()
    dd = gromov_delta(points=rng.standard_normal((20000, 32)), seed=0)
    td = time.perf_counter() - t
    hg = read_hierarchy(path("csphd"))
    from embgeo.hyperbolic.graphs import graph_distances

    Dg = graph_distances(hg)
    ok = np.isfinite(Dg).all()
    dg = gromov_delta(Dg, seed=0) if ok else None
    del shortest_path
    md = [
        f"Machine: {machine()}; sgemm {gf:.0f} GFLOP/s; shared with other engineers' jobs (timings are noisy). Peak RSS {peak_rss_mb():.0f} MB.",
        "",
        "**Combinatorial construction, 2-D, ε = 0.1** (MAP with the Sala et al. definition against the original graph; distortion with the scale τ; WordNet MAP from random query rows ± standard error, distortion from 200 random source rows; `wall` includes evaluation):",
        "",
        md_table(["graph", "nodes", "max deg", "τ", "bits needed", "engine", "MAP", "paper MAP", "avg distortion", "embed s", "wall s"], rows),
        full_line,
        "**Precision on the smalltree** (ε = 0.1, 153 bits needed):",
        "",
        md_table(["engine", "points on the boundary", "MAP", "avg distortion"], prec_rows),
        f"\nmpmath run (including evaluation from mpmath coordinates): {tmp:.2f} s.",
        "",
        "**h-MDS of n = 5,000 points of H^5** (distances from the hyperboloid; target < 30 s):",
        "",
        md_table(["variant", "n", "dim asked", "dims recovered", "max abs error of d", "solver", "seconds"], hm_rows),
        "",
        f"**Gromov δ**: 20,000 Gaussian points in R^32, sampled (20 subsets of 60 + 200k quadruples): δ ≥ {dd.delta:.3f}, relative {dd.delta_relative:.3f}, {td:.1f} s."
        + (f" CS PhD graph ({hg.n_nodes} nodes), sampled: δ ≥ {dg.delta}, relative {dg.delta_relative:.3f}." if dg else " (CS PhD graph is disconnected: δ not computed.)"),
    ]
    update_section("sala", "## Combinatorial construction, h-MDS, Gromov δ (bench/bench_sala.py)\n\n" + "\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
