"""Benchmark of ``embgeo compare`` against a platonic-rep-style torch implementation (CPU).

Two spaces of the same items with a planted shared structure: X (n × 768) and Y (n × 384)
both linear images of a 64-dimensional latent plus noise, float32. Each case runs in its
own process (time and the process's own peak RSS, VmHWM):

* ``embgeo values``: every default measure (linear CKA biased/unbiased, mutual kNN@10,
  information imbalance both ways, Procrustes residual, retrieval R@1/R@10, RSA), no replicates;
* ``embgeo full``: the same with the default 100 bootstrap replicates and 100 permutations
  (CKA/Procrustes: permutations of all n rows, one n × 768·384 product each; bootstrap on 1000 rows);
* ``torch ref``: the reference as platonic-rep writes it (rows L2-normalised; mutual kNN by a
  full ``n×n`` score matrix and ``argsort``; CKA with ``n×n`` Gram matrices and ``K @ H @ L @ H``;
  the unbiased HSIC of Song et al. with ``n×n`` products), values only, no intervals.

The reference's CKA is O(n³) with several ``n×n`` float32 matrices; it runs at the smaller
``--ref-n`` sizes (the same data's first rows), where the values of both are compared.

    python bench/bench_compare.py                  # n = 20 000, reference CKA at 2 000
    python bench/bench_compare.py --n 3000 --no-write
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, md_table, own_peak_rss_mb, sgemm_gflops, update_section  # noqa: E402


def make_data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, 64)).astype(np.float32)
    X = Z @ rng.standard_normal((64, 768)).astype(np.float32) + 2.0 * rng.standard_normal((n, 768)).astype(np.float32)
    Y = Z @ rng.standard_normal((64, 384)).astype(np.float32) + 2.0 * rng.standard_normal((n, 384)).astype(np.float32)
    return X, Y


# ----------------------------------------------------------------------------- the reference (torch, CPU)


def ref_metrics(X, Y, *, what=("mutual_knn", "cka", "unbiased_cka"), topk: int = 10) -> dict:
    """platonic-rep's AlignmentMetrics, written out (normalised features as its measure_alignment does)."""
    import torch
    import torch.nn.functional as F

    A = F.normalize(torch.from_numpy(np.ascontiguousarray(X)), dim=-1)
    B = F.normalize(torch.from_numpy(np.ascontiguousarray(Y)), dim=-1)
    out = {}

    def knn(f):
        return (f @ f.T).fill_diagonal_(-1e8).argsort(dim=1, descending=True)[:, :topk]

    def hsic_biased(K, L):
        H = torch.eye(K.shape[0], dtype=K.dtype) - 1 / K.shape[0]
        return torch.trace(K @ H @ L @ H)

    def hsic_unbiased(K, L):
        m = K.shape[0]
        Kt = K.clone().fill_diagonal_(0)
        Lt = L.clone().fill_diagonal_(0)
        v = torch.sum(Kt * Lt.T) + torch.sum(Kt) * torch.sum(Lt) / ((m - 1) * (m - 2)) - 2 * torch.sum(torch.mm(Kt, Lt)) / (m - 2)
        return v / (m * (m - 3))

    if "mutual_knn" in what:
        ka, kb = knn(A), knn(B)
        n = ka.shape[0]
        r = torch.arange(n).unsqueeze(1)
        ma = torch.zeros(n, n)
        mb = torch.zeros(n, n)
        ma[r, ka] = 1.0
        mb[r, kb] = 1.0
        out["mutual_knn"] = float(((ma * mb).sum(dim=1) / topk).mean())
        del ma, mb
    for name, fn in (("cka", hsic_biased), ("unbiased_cka", hsic_unbiased)):
        if name in what:
            K, L = A @ A.T, B @ B.T
            out[name] = float(fn(K, L) / (torch.sqrt(fn(K, K) * fn(L, L)) + 1e-6))
    return out


# ----------------------------------------------------------------------------- one case per process


def run_case(case: str, n: int, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    X, Y = make_data(n)
    t = time.perf_counter()
    if case.startswith("embgeo"):
        from embgeo.compare import compare

        reps = 100 if case == "embgeo_full" else 0
        res = compare(X, Y, n_bootstrap=reps, n_permutations=reps, seed=0)
        values = {m.metric + (f"@{m.k}" if m.k else ""): m.value for m in res.measures}
    elif case == "ref_all":
        values = ref_metrics(X, Y)
    elif case == "ref_knn":
        values = ref_metrics(X, Y, what=("mutual_knn",))
    else:
        raise SystemExit(f"unknown case {case}")
    return {"case": case, "n": n, "seconds": time.perf_counter() - t, "peak_rss_mb": own_peak_rss_mb(), "values": values}


def spawn(case: str, n: int, threads: int, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--case", case, "--n", str(n), "--threads", str(threads)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"case": case, "n": n, "seconds": None, "peak_rss_mb": None, "values": {}, "error": f"over {timeout:.0f} s"}
    if p.returncode != 0:
        return {"case": case, "n": n, "seconds": None, "peak_rss_mb": None, "values": {}, "error": p.stderr.strip().splitlines()[-1:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--ref-n", default="1000,2000", help="sizes at which the reference computes every measure (its CKA is O(n³))")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--no-ref-knn", action="store_true", help="skip the reference's mutual kNN at the full n")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--full-cases", default="embgeo_full,ref_knn,embgeo_values", help="cases run at --n, in this order")
    ap.add_argument("--case")
    ap.add_argument("--wide", action="store_true", help="wide, short spaces (n ≪ d): the Procrustes residual against scipy's, same run")
    a = ap.parse_args(argv)
    if a.wide:
        wide(a)
        return
    if a.case:
        print(json.dumps(run_case(a.case, a.n, a.threads)))
        return
    ref_ns = [int(v) for v in a.ref_n.split(",") if v]
    gf = sgemm_gflops(1024)
    runs = []
    plan = [(case, n) for n in ref_ns for case in ("embgeo_values", "ref_all")]
    plan += [(case, a.n) for case in a.full_cases.split(",") if case and not (a.no_ref_knn and case == "ref_knn")]
    for case, n in plan:  # the section is rewritten after every case, so an interrupted run still records what finished
        runs.append(spawn(case, n, a.threads, a.timeout))
        print(json.dumps(runs[-1]), flush=True)
        if not a.no_write:
            write(runs, a, gf)


def write(runs, a, gf) -> None:
    fmt = lambda v, d=2: "—" if v is None else f"{v:.{d}f}"  # noqa: E731
    rows = []
    for r in runs:
        label = {"embgeo_values": "embgeo compare (values)", "embgeo_full": "embgeo compare (+100 bootstrap, 100 permutations)",
                 "ref_all": "torch reference (mutual kNN, CKA, unbiased CKA)", "ref_knn": "torch reference (mutual kNN only)"}[r["case"]]
        v = r["values"]
        rows.append([f"{r['n']:,}", label, fmt(r["seconds"], 1), fmt(r["peak_rss_mb"], 0), fmt(v.get("cka_linear", v.get("cka")), 4),
                     fmt(v.get("cka_linear_unbiased", v.get("unbiased_cka")), 4), fmt(v.get("mutual_knn@10", v.get("mutual_knn")), 4),
                     r.get("error", "")])
    md = ["## compare (`embgeo compare`) — bench/bench_compare.py", "",
          f"X n × 768 and Y n × 384 (float32), linear images of a shared 64-dimensional latent plus noise; {machine()}, "
          f"{a.threads} threads, sgemm {gf:.0f} GFLOP/s at the time of the run (the machine was shared). Each case in its own process; "
          "peak RSS is the process's own VmHWM. 'values' is every default measure (linear CKA biased and unbiased, mutual kNN@10, "
          "information imbalance both ways, Procrustes residual, retrieval R@1/R@10 after the map, RSA on 500 rows) without replicates; "
          "the reference is platonic-rep's AlignmentMetrics written out in torch (CPU), which has no intervals, no imbalance, "
          "no Procrustes and no RSA; its CKA builds n×n Gram and centring matrices and multiplies them (O(n³)), so it runs at the "
          "smaller sizes only.", "",
          md_table(["n", "run", "seconds", "peak RSS MB", "cka_linear", "cka_linear_unbiased", "mutual_knn@10", "note"], rows)]
    update_section("compare", "\n".join(md))


def wide(a) -> None:
    """Procrustes residual of wide, short spaces: X n × d, Y = X + noise (float64), against scipy.spatial.procrustes's
    disparity (the same quantity: 1 − ‖X̂ᵀŶ‖²_* after centring and unit Frobenius norm), and ``embgeo compare`` with
    the Procrustes residual and retrieval and their default replicates (100 bootstrap, 100 permutations; 30 of each
    for Procrustes)."""
    from scipy.spatial import procrustes as scipy_procrustes

    from embgeo.compare import compare, procrustes_residual

    rows = []
    for n, d in ((50, 1000), (50, 3000), (200, 3000)):
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, d))
        Y = X + 0.5 * rng.standard_normal((n, d))
        t = time.perf_counter()
        ours = procrustes_residual(X, Y)
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        peer = scipy_procrustes(X, Y)[2]
        t_peer = time.perf_counter() - t
        t = time.perf_counter()
        compare(X, Y, methods=["procrustes", "retrieval"], seed=0)
        t_full = time.perf_counter() - t
        rows.append([n, d, f"{t_ours:.3f}", f"{t_peer:.2f}", f"{t_peer / t_ours:.0f}×", f"{abs(ours - peer):.1e}", f"{t_full:.2f}"])
        print(rows[-1], flush=True)
    md = ["## compare on wide, short spaces — bench/bench_compare.py --wide", "",
          f"{machine()}, 2026-12-07. X n × d standard normal, Y = X + 0.5·noise (float64). `procrustes_residual` against "
          "scipy.spatial.procrustes's disparity in the same process (the same quantity; scipy takes the SVD of the d × d "
          "cross-product, embgeo of the n × n one between the row factors U·S); `compare` = `embgeo.compare.compare(X, Y, "
          "methods=['procrustes', 'retrieval'])` with its default replicates (100 bootstrap and 100 permutations, at most 30 "
          "of each for Procrustes). Before this change `compare` took the d × d route as scipy does, for the value and "
          "every replicate: over 100 s at 50 × 3 000.", "",
          md_table(["n", "d", "embgeo s", "scipy s", "ratio", "|difference|", "compare (+replicates, retrieval) s"], rows)]
    if not a.no_write:
        update_section("compare-wide", "\n".join(md))


if __name__ == "__main__":
    main()
