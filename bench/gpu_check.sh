#!/usr/bin/env bash
# GPU check for embgeo's kNN GEMM: achieved TFLOP/s against the card's peak, in a few minutes on one GPU.
#
#   bash bench/gpu_check.sh [--n 200000] [--d 768] [--block 8192] [--repeats 10]
#
# Measures (1) the bare score GEMM of the exact kNN (a block of queries × the whole database,
# float32, with TF32 off and on), (2) embgeo's exact kNN end to end with backend torch on cuda
# (GEMM + top-k + float64 refinement), and checks its neighbours against the numpy engine on a
# sample of queries. Exits 3 with a one-line message when torch sees no CUDA device.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
  if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
exec "$PY" - "$@" <<'PYEOF'
import argparse, sys, time

p = argparse.ArgumentParser(prog="gpu_check.sh")
p.add_argument("--n", type=int, default=200_000, help="database rows")
p.add_argument("--d", type=int, default=768, help="dimensions")
p.add_argument("--block", type=int, default=8192, help="query rows per GEMM")
p.add_argument("--repeats", type=int, default=10)
p.add_argument("--k", type=int, default=10)
a = p.parse_args()

try:
    import torch
except ImportError:
    print("gpu_check: torch is not installed; nothing to measure", file=sys.stderr)
    sys.exit(3)
if not torch.cuda.is_available():
    print(f"gpu_check: CUDA is not available (torch {torch.__version__}, CUDA build: {torch.version.cuda or 'none'}); "
          "nothing to measure - run this on a machine with an NVIDIA GPU", file=sys.stderr)
    sys.exit(3)

# dense peak TFLOP/s (FP32 non-tensor, TF32 tensor) from the vendors' data sheets
PEAKS = {
    "H200 NVL": (60.0, 417.5), "H200": (67.0, 494.7), "H100 SXM": (67.0, 494.7), "H100 NVL": (60.0, 417.5), "H100 PCIe": (51.2, 378.0), "H100": (67.0, 494.7),
    "A100": (19.5, 156.0), "A10G": (31.2, 62.5), "A10": (31.2, 62.5), "L40S": (91.6, 183.0), "L40": (90.5, 90.5),
    "L4": (30.3, 60.0), "V100": (15.7, None), "T4": (8.1, None), "RTX 4090": (82.6, 82.6), "RTX 3090": (35.6, 35.6),
}
FP32_PER_SM = {(7, 0): 64, (7, 5): 64, (8, 0): 64, (8, 6): 128, (8, 9): 128, (9, 0): 128}

dev = torch.device("cuda")
prop = torch.cuda.get_device_properties(dev)
name = prop.name
peak = next((v for key, v in PEAKS.items() if key in name), None)
source = "data sheet"
if peak is None:
    clock = getattr(prop, "clock_rate", None)  # kHz, in recent torch builds
    per_sm = FP32_PER_SM.get((prop.major, prop.minor))
    if clock and per_sm:
        peak, source = (2 * prop.multi_processor_count * per_sm * clock * 1e3 / 1e12, None), "SM count × clock"
print(f"device: {name} (sm_{prop.major}{prop.minor}, {prop.multi_processor_count} SMs, {prop.total_memory / 2**30:.0f} GiB), torch {torch.__version__}")

n, d, b = a.n, a.d, min(a.block, a.n)
g = torch.Generator(device=dev).manual_seed(0)
B = torch.randn(n, d, device=dev, generator=g)
Q = torch.randn(b, d, device=dev, generator=g)


def set_tf32(on: bool) -> None:
    m = torch.backends.cuda.matmul
    if hasattr(m, "fp32_precision"):  # torch >= 2.9: the per-backend API (the legacy flag is deprecated)
        m.fp32_precision = "tf32" if on else "ieee"
    else:
        m.allow_tf32 = on


def gemm_tflops(tf32: bool) -> float:
    set_tf32(tf32)
    S = Q @ B.T
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(a.repeats):
        t = time.perf_counter()
        torch.matmul(Q, B.T, out=S)
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return 2.0 * b * n * d / best / 1e12


rows = []
for label, tf32, i in (("float32 (TF32 off)", False, 0), ("TF32 tensor cores", True, 1)):
    got = gemm_tflops(tf32)
    pk = peak[i] if peak else None
    rows.append((label, got, pk))
set_tf32(False)
print(f"kNN score GEMM: {b} queries × {n} rows × {d} dims")
for label, got, pk in rows:
    share = f"{100 * got / pk:.0f}% of the {pk:g} TFLOP/s peak ({source})" if pk else "peak unknown for this card"
    print(f"  {label:20s} {got:8.1f} TFLOP/s  {share}")
del B, Q
torch.cuda.empty_cache()

# embgeo's exact kNN end to end on the GPU, checked against numpy on a sample of queries
import numpy as np

sys.path.insert(0, ".")
from embgeo.knn.engine import knn

rng = np.random.default_rng(0)
X = rng.standard_normal((n, d), dtype=np.float32)
knn(X[:4096], a.k, backend="torch", device="cuda", check_duplicates=False)  # warm-up
torch.cuda.synchronize()
t = time.perf_counter()
res = knn(X, a.k, backend="torch", device="cuda", check_duplicates=False)
torch.cuda.synchronize()
sec = time.perf_counter() - t
flops = 2.0 * n * n * d
print(f"embgeo knn (torch, cuda, exact, k={a.k}) on {n} × {d}: {sec:.2f} s, {flops / sec / 1e12:.1f} TFLOP/s effective (GEMM + top-k + float64 refinement + transfers)")
qs = np.sort(rng.choice(n, size=200, replace=False))
ref = knn(X, a.k, query=X[qs], exclude_self=False, check_duplicates=False)
ref_i = ref.indices[:, 1:]  # queries are rows of X: drop the row itself
agree = np.mean([len(set(r) & set(g[: a.k - 1])) / (a.k - 1) for r, g in zip(ref_i, res.indices[qs])])
print(f"neighbours agree with the numpy engine on 200 queries: {agree:.4f}")

# the path the CLI takes: a memory-mapped .npy (prepared and uploaded once)
import os
import tempfile

with tempfile.TemporaryDirectory() as tmp:
    f = os.path.join(tmp, "x.npy")
    np.save(f, X)
    mm = np.load(f, mmap_mode="r")
    torch.cuda.synchronize()
    t = time.perf_counter()
    res_mm = knn(mm, a.k, backend="torch", device="cuda", check_duplicates=False)
    torch.cuda.synchronize()
    sec_mm = time.perf_counter() - t
    same = float(np.mean(np.all(np.sort(res_mm.indices, 1) == np.sort(res.indices, 1), axis=1)))
    print(f"embgeo knn on a memory-mapped .npy: {sec_mm:.2f} s; rows with the in-memory neighbour set: {same:.4f}")
    del mm, res_mm
if agree < 0.999 or same < 0.999:
    print("gpu_check: FAILED - the CUDA neighbours disagree with the numpy engine", file=sys.stderr)
    sys.exit(1)
print("gpu_check: ok")
PYEOF
