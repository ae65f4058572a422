"""A bounded fuzz suite for every input format (issue 14).

One small matrix is saved in every format; seeded mutations of those files (truncation,
byte flips, inserted/deleted bytes, header and shape edits, huge declared shapes, wrong
dtypes, NaN/inf, BOM, CRLF, quoted fields, missing cells) are each loaded by
``embgeo.io.load`` *and* run through ``embgeo info`` in a separate worker process. Property:

- the load returns exactly the rows × dims the file holds (the original shape; a prefix of
  the rows for a truncated line-based text file; the exact values for mutations that keep
  the data: BOM, CRLF, quoting), or raises :class:`~embgeo.errors.EmbgeoError`;
- the CLI exits 0 with the same rows/dims, or 2 with exactly one line ``embgeo: error: …``;
- nothing else: no other exception (a traceback), no hang (a case over 20 s), no worker
  above 1 GB peak RSS.

``EMBGEO_FUZZ_CASES`` sets the number of mutated files (default 1000, under a minute here);
``make fuzz`` runs many more.
"""
from __future__ import annotations

import json
import os
import struct
import time
from pathlib import Path

import numpy as np
import pytest

N, D = 12, 5
CASES = int(os.environ.get("EMBGEO_FUZZ_CASES", "1000"))
SEED = int(os.environ.get("EMBGEO_FUZZ_SEED", "14"))
CASE_TIMEOUT_S = 20.0
MAX_RSS_BYTES = 1 << 30


def matrix() -> np.ndarray:
    x = np.random.default_rng(0).standard_normal((N, D)).astype(np.float32)
    return np.round(x, 4).astype(np.float32)  # short decimal text, exact round trip through float32


def _t(v) -> str:
    return f"{float(v):.9g}"


def write_formats(x: np.ndarray, tmp: Path) -> dict[str, Path]:
    """name → file holding ``x`` (ids w0…) in every format and a few layouts of the same data."""
    import h5py
    import pyarrow as pa
    import pyarrow.parquet as pq
    import torch
    from safetensors.numpy import save_file

    ids = [f"w{i}" for i in range(len(x))]
    out = {}
    tmp.mkdir(parents=True, exist_ok=True)

    def put(name, fn, path):
        fn(tmp / path)
        out[name] = tmp / path

    put("npy", lambda p: np.save(p, x), "a.npy")
    put("npy-fortran", lambda p: np.save(p, np.asfortranarray(x)), "f.npy")
    put("npy-bigendian", lambda p: np.save(p, x.astype(">f4")), "be.npy")
    put("npy-float64", lambda p: np.save(p, x.astype(np.float64)), "d.npy")
    put("npz", lambda p: np.savez(p, embeddings=x, ids=np.array(ids)), "a.npz")
    put("npz-compressed", lambda p: np.savez_compressed(p, embeddings=x), "c.npz")
    put("csv", lambda p: p.write_text("\n".join([",".join(["id"] + [f"d{j}" for j in range(D)])] + [",".join([ids[i]] + [_t(v) for v in r]) for i, r in enumerate(x)]) + "\n"), "a.csv")
    put("csv-headerless", lambda p: p.write_text("\n".join(",".join(_t(v) for v in r) for r in x) + "\n"), "h.csv")
    put("tsv", lambda p: p.write_text("\n".join(["\t".join(f"d{j}" for j in range(D))] + ["\t".join(_t(v) for v in r) for r in x]) + "\n"), "a.tsv")
    put("csv-list", lambda p: p.write_text("\n".join(["id,vector"] + [f'{ids[i]},"[{", ".join(_t(v) for v in r)}]"' for i, r in enumerate(x)]) + "\n"), "l.csv")
    put("word2vec-text", lambda p: p.write_text(f"{N} {D}\n" + "\n".join(" ".join([ids[i]] + [_t(v) for v in r]) for i, r in enumerate(x)) + "\n"), "w.txt")
    put("glove", lambda p: p.write_text("\n".join(" ".join([ids[i]] + [_t(v) for v in r]) for i, r in enumerate(x)) + "\n"), "g.txt")
    put("word2vec-binary", lambda p: p.write_bytes(f"{N} {D}\n".encode() + b"".join(f"{ids[i]} ".encode() + r.astype("<f4").tobytes() + b"\n" for i, r in enumerate(x))), "w.bin")
    put("safetensors", lambda p: save_file({"embeddings": x, "bias": np.ones(3, np.float32)}, str(p)), "a.safetensors")
    put("fvecs", lambda p: p.write_bytes(b"".join(struct.pack("<i", D) + r.astype("<f4").tobytes() for r in x)), "a.fvecs")
    xb = (np.abs(x) * 50).astype(np.uint8)
    put("bvecs", lambda p: p.write_bytes(b"".join(struct.pack("<i", D) + r.tobytes() for r in xb)), "a.bvecs")

    def h5(p, **kw):
        with h5py.File(p, "w") as f:
            f.create_dataset("embeddings", data=x, **kw)
            f["ids"] = np.array(ids, dtype="S")

    put("hdf5", h5, "a.h5")
    put("hdf5-chunked", lambda p: h5(p, chunks=(4, D), compression="gzip"), "c.h5")
    put("parquet", lambda p: pq.write_table(pa.table({"id": ids, "emb": pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), D)}), p, row_group_size=5), "a.parquet")
    put("parquet-columns", lambda p: pq.write_table(pa.table({"id": ids, **{f"d{j}": x[:, j] for j in range(D)}}), p), "c.parquet")
    put("pt", lambda p: torch.save({"embeddings": torch.from_numpy(x.copy())}, p), "a.pt")
    return out


TEXT = {"csv", "csv-headerless", "tsv", "csv-list", "word2vec-text", "glove"}
VECS = {"fvecs", "bvecs"}  # headerless rows: removing whole rows leaves a valid, shorter file


def _expected(name: str, x: np.ndarray) -> np.ndarray:
    return (np.abs(x) * 50).astype(np.uint8).astype(np.float32) if name == "bvecs" else x


def mutate(name: str, data: bytes, rng: np.random.Generator) -> tuple[bytes, str, str]:
    """One seeded mutation → (new bytes, what was done, oracle: exact | prefix | shape)."""
    kinds = ["truncate", "flip", "flip", "insert", "delete", "digits"]
    if name in TEXT:
        kinds += ["bom", "crlf", "quote", "nan", "drop_cell", "dup_line", "empty_line"]
    if name.startswith("npy") or name in ("safetensors", "word2vec-binary", "word2vec-text", "fvecs"):
        kinds += ["huge", "dtype"]
    kind = kinds[rng.integers(len(kinds))]
    b = bytearray(data)
    n = len(b)
    if kind == "truncate":
        cut = int(rng.integers(1, n))
        return bytes(b[:cut]), f"truncate at {cut}", "prefix" if name in TEXT else ("fewer_rows" if name in VECS else "shape")
    if kind == "flip":
        where = [int(i) for i in rng.integers(0, n, size=int(rng.integers(1, 4)))]
        for i in where:
            b[i] ^= int(rng.integers(1, 256))
        return bytes(b), f"flip bytes {where}", "shape"
    if kind == "insert":
        i = int(rng.integers(0, n))
        junk = bytes(rng.integers(0, 256, size=int(rng.integers(1, 9))).astype(np.uint8))
        return bytes(b[:i]) + junk + bytes(b[i:]), f"insert {junk!r} at {i}", "shape"
    if kind == "delete":
        i = int(rng.integers(0, n - 1))
        k = int(rng.integers(1, min(16, n - i) + 1))
        oracle = "prefix" if name in TEXT and i + k == n else ("fewer_rows" if name in VECS else "shape")  # whole vecs rows may go
        return bytes(b[:i] + b[i + k:]), f"delete {k} bytes at {i}", oracle
    if kind == "digits":  # change one ASCII digit: shapes, offsets, sizes and values in headers
        pos = [i for i in range(min(n, 400)) if 48 <= b[i] <= 57] or [i for i in range(n) if 48 <= b[i] <= 57]
        if not pos:
            return bytes(b), "no digit to change", "exact"
        i = pos[int(rng.integers(len(pos)))]
        b[i] = 48 + (b[i] - 48 + int(rng.integers(1, 10))) % 10
        return bytes(b), f"digit at {i} → {chr(b[i])}", "shape"
    if kind == "huge":
        text = data[:400]
        for old in (f"({N}, {D})".encode(), f"[{N}, {D}]".encode(), f"{N} {D}".encode(), struct.pack("<i", D)):
            if old in text:
                new = old.replace(str(N).encode(), b"10000000000000", 1) if old != struct.pack("<i", D) else struct.pack("<i", 999_999)
                return data.replace(old, new, 1), f"huge declared shape ({old!r} → {new!r})", "shape"
        return data, "no shape to enlarge", "exact"
    if kind == "dtype":
        for old, new in ((b"<f4", b"<f8"), (b"<f4", b"|O"), (b"F32", b"F64"), (b"<f8", b"<f2"), (b"F32", b"BOOL")):
            if old in data[:400]:
                return data.replace(old, new, 1), f"dtype {old!r} → {new!r}", "shape"
        return data, "no dtype to change", "exact"
    lines = data.decode().split("\n")
    body = [i for i, line in enumerate(lines) if line and i > 0]
    if kind == "bom":
        return b"\xef\xbb\xbf" + data, "BOM", "exact"
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n"), "CRLF", "exact"
    if kind == "empty_line":
        i = body[int(rng.integers(len(body)))]
        lines.insert(i, "")
        return "\n".join(lines).encode(), f"empty line before {i}", "exact"
    sep = "\t" if name == "tsv" else (" " if name in ("word2vec-text", "glove") else ",")
    i = body[int(rng.integers(len(body)))]
    cells = lines[i].split(sep)
    if kind == "quote":
        if name in ("word2vec-text", "glove", "csv-list"):
            return data, "no quoting in this format", "exact"
        j = int(rng.integers(len(cells)))
        cells[j] = f'"{cells[j]}"'
        lines[i] = sep.join(cells)
        return "\n".join(lines).encode(), f"quote cell {j} of line {i}", "exact"
    if kind == "dup_line":
        lines.insert(i, lines[i])
        return "\n".join(lines).encode(), f"duplicate line {i}", "one_more_row"
    j = int(rng.integers(1 if name not in ("csv-headerless", "tsv") else 0, len(cells)))
    if kind == "nan":
        cells[j] = ["nan", "inf", "-inf", "NaN"][int(rng.integers(4))] if name != "csv-list" else cells[j]
        lines[i] = sep.join(cells)
        return "\n".join(lines).encode(), f"non-finite cell {j} of line {i}", "shape"
    del cells[j]  # drop_cell
    lines[i] = sep.join(cells)
    return "\n".join(lines).encode(), f"drop cell {j} of line {i}", "shape"


def make_cases(tmp: Path, count: int, seed: int) -> tuple[list[dict], np.ndarray]:
    x = matrix()
    files = write_formats(x, tmp / "orig")
    rng = np.random.default_rng(seed)
    names = sorted(files)
    cases = [{"name": nm, "path": str(p), "what": "original", "oracle": "exact"} for nm, p in files.items()]
    for c in range(count):
        nm = names[c % len(names)]
        src = files[nm]
        data, what, oracle = mutate(nm, src.read_bytes(), rng)
        p = tmp / f"case{c:05d}{src.suffix}"
        p.write_bytes(data)
        cases.append({"name": nm, "path": str(p), "what": what, "oracle": oracle})
    return cases, x


def run_case(case: dict) -> dict:
    """In the worker: load with the library, then run `embgeo info` through the real entry point."""
    import contextlib
    import io

    from embgeo.cli.app import main
    from embgeo.errors import EmbgeoError
    from embgeo.io import load

    out = {"load": None, "error": None, "values": None}
    try:
        es = load(case["path"])
        m = np.asarray(es.matrix, dtype=np.float64)
        out["load"] = list(m.shape)
        out["values"] = m.tolist() if m.size <= 4 * N * D else None
    except EmbgeoError as exc:
        out["error"] = str(exc)
        out["one_line"] = "\n" not in str(exc)
    except BaseException as exc:  # noqa: BLE001 - what the property forbids, reported to the parent
        out["crash"] = f"load: {type(exc).__name__}: {exc}"[:300]
    so, se = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
            main(["-q", "info", case["path"], "-f", "json"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # noqa: BLE001
        out["crash"] = f"cli: {type(exc).__name__}: {exc}"[:300]
        code = None
    out["code"], out["stderr"] = code, se.getvalue()
    if code == 0:
        try:
            entry = json.loads(so.getvalue())["inputs"][0]
            out["cli_shape"] = [entry["rows"], entry["dims"]]
        except (ValueError, KeyError, IndexError) as exc:
            out["crash"] = f"cli: output is not the JSON contract ({exc})"
    out["rss"] = _peak_rss()
    return out


def _peak_rss() -> int:
    """This worker's own peak RSS: VmHWM (per address space, reset by exec). ru_maxrss is not: Linux
    carries it across fork and exec, so a worker spawned by a large pytest process inherits its peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _worker(conn) -> None:
    import typer.main

    from embgeo.cli.app import app

    built, plain = typer.main.get_command(app), typer.main.get_command
    typer.main.get_command = lambda a: built if a is app else plain(a)  # build the click tree once per worker, not per run
    while True:
        case = conn.recv()
        if case is None:
            return
        conn.send(run_case(case))


def run_all(cases: list[dict]) -> tuple[list[tuple[dict, dict | None]], float]:
    """Every case in a spawned worker; a case that takes longer than CASE_TIMEOUT_S is a hang
    (the worker is killed and a fresh one takes the remaining cases)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    results, t0, proc, conn = [], time.perf_counter(), None, None
    try:
        for case in cases:
            if proc is None:
                conn, child = ctx.Pipe()
                proc = ctx.Process(target=_worker, args=(child,), daemon=True)
                proc.start()
            conn.send(case)
            budget = CASE_TIMEOUT_S + (30.0 if not results or results[-1][1] is None else 0.0)  # the first case imports everything
            if conn.poll(budget):
                try:
                    results.append((case, conn.recv()))
                    continue
                except EOFError:
                    pass
            results.append((case, None))  # hang or a dead worker (a crash of the interpreter)
            proc.kill()
            proc.join()
            proc = None
    finally:
        if proc is not None:
            conn.send(None)
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    return results, time.perf_counter() - t0


def check(case: dict, res: dict | None, x: np.ndarray) -> str | None:
    """Why ``res`` breaks the property, or None."""
    if res is None:
        return "hang (> 20 s) or the worker died"
    if "crash" in res:
        return res["crash"]
    if res["rss"] > MAX_RSS_BYTES:
        return f"peak RSS {res['rss'] / 2**20:.0f} MiB"
    exp = _expected(case["name"], x)
    if res["load"] is None:
        if case["oracle"] == "exact":
            return f"a file with the data intact failed: {res['error']}"
        if not res.get("one_line"):
            return "error on several lines"
        if res["code"] != 2:
            return f"load failed but the CLI exited {res['code']}"
    else:
        rows, dims = res["load"]
        if case["oracle"] == "prefix":
            if not 1 <= rows <= N or (dims != D and not (rows == 1 and dims < D)):  # one cut row holds fewer values
                return f"loaded {rows}×{dims}, not a prefix of {N}×{D}"
            if res["values"] is not None and rows > 1 and not np.array_equal(np.asarray(res["values"])[: rows - 1], exp[: rows - 1].astype(np.float64)):
                return "a truncated file gave other values in its complete rows"
        elif case["oracle"] == "fewer_rows":
            if dims != D or not 1 <= rows <= N:
                return f"loaded {rows}×{dims}; the file holds at most {N}×{D}"
        elif case["oracle"] == "one_more_row":
            if [rows, dims] != [N + 1, D]:
                return f"loaded {rows}×{dims}; the file holds {N + 1}×{D}"
        elif [rows, dims] != [N, D]:
            return f"loaded {rows}×{dims}; the file holds {N}×{D}"
        if case["oracle"] == "exact" and res["values"] is not None and not np.array_equal(np.asarray(res["values"]), exp.astype(np.float64)):
            return "the values differ from the data written"
        if res["code"] != 0 or res.get("cli_shape") != [rows, dims]:
            if not (res["code"] == 2 and res["stderr"].count("\n") == 1):  # a CLI check (e.g. rows) may refuse what loads
                return f"the CLI exited {res['code']} with {res['stderr'][:200]!r}"
    if res["code"] == 2:
        err = res["stderr"]
        if not (err.startswith("embgeo: error: ") and err.count("\n") == 1 and "Traceback" not in err):
            return f"exit 2 without exactly one error line: {err[:200]!r}"
    elif res["code"] != 0:
        return f"exit code {res['code']}"
    return None


def test_fuzz_every_format(tmp_path):
    cases, x = make_cases(tmp_path, CASES, SEED)
    results, seconds = run_all(cases)
    bad = [(c["name"], c["what"], why) for c, r in results if (why := check(c, r, x))]
    loaded = sum(1 for _, r in results if r and r["load"] is not None)
    print(f"\nfuzz: {len(results)} runs ({CASES} mutated files of {len(cases) - CASES} formats/layouts), "
          f"{loaded} loaded, {len(results) - loaded} refused in one line, {seconds:.1f} s, seed {SEED}")
    assert not bad, "\n".join(f"{n} [{w}]: {why}" for n, w, why in bad[:20])
    assert seconds < 90 or CASES > 1000


@pytest.mark.parametrize("oracle", ["exact"])
def test_the_oracle_catches_a_misread(tmp_path, oracle):
    """The property is not vacuous: a silently wrong shape, a multi-line error and a hang are caught."""
    x = matrix()
    case = {"name": "npy", "path": "", "what": "", "oracle": oracle}
    ok = {"load": [N, D], "values": x.astype(np.float64).tolist(), "code": 0, "cli_shape": [N, D], "stderr": "", "rss": 1}
    assert check(case, ok, x) is None
    assert "loaded 12×4" in check(case, {**ok, "load": [N, D - 1], "cli_shape": [N, D - 1]}, x)
    assert "values differ" in check(case, {**ok, "values": (x + 1).astype(np.float64).tolist()}, x)
    assert "hang" in check(case, None, x)
    shaped = {**case, "oracle": "shape"}
    assert "one error line" in check(shaped, {"load": None, "error": "e", "one_line": True, "code": 2, "stderr": "Traceback\nx\n", "rss": 1}, x)
