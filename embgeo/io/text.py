"""Readers for every supported format. Nothing is ever unpickled.

``load(spec)`` takes ``PATH`` or ``PATH:KEY`` (``.npz:key``, ``.parquet:column``,
``.safetensors:tensor``, ``.h5:/path``, ``.pt:key``) and returns an
:class:`~embgeo.io.model.EmbeddingSet`. ``.npy``, ``.fvecs``/``.bvecs`` and
``.safetensors`` are memory-mapped, never copied whole.
"""
from __future__ import annotations

import csv
import io
import json
import os
import struct
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, require
from embgeo.io.model import EmbeddingSet, LayerStack, _is_number

#: suffix → format name
SUFFIXES = {
    ".npy": "npy",
    ".npz": "npz",
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "text",
    ".vec": "text",
    ".bin": "word2vec-binary",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".safetensors": "safetensors",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".pt": "pt",
    ".pth": "pt",
    ".fvecs": "fvecs",
    ".bvecs": "bvecs",
}

#: keys tried, in order, when a container holds several arrays and none was named
PREFERRED_KEYS = ("embeddings", "embedding", "X", "x", "vectors", "arr_0", "data")
ID_KEYS = ("ids", "id", "words", "labels_id")


def split_spec(spec: str | os.PathLike) -> tuple[Path, str | None]:
    """Split ``"file.npz:key"`` into ``(Path("file.npz"), "key")``.

    The part after the last ``:`` is a key only when what precedes it is a file
    with a known suffix (so ``C:\\data\\x.npy`` and names containing ``:`` work).
    """
    text = os.fspath(spec)
    if os.path.exists(text):
        return Path(text), None
    head, sep, tail = text.rpartition(":")
    if sep and head and Path(head).suffix.lower() in SUFFIXES:
        return Path(head), tail or None
    return Path(text), None


def detect_format(path: Path, fmt: str | None = None) -> str:
    if fmt:
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".gz":
        raise EmbgeoError("compressed files are not read directly", source=str(path), hint="decompress it first (gunzip)")
    if suffix not in SUFFIXES:
        known = " ".join(sorted(SUFFIXES))
        raise EmbgeoError(f"unknown file type '{suffix or '(none)'}'", source=str(path), hint=f"use one of: {known}, or pass --input-format")
    return SUFFIXES[suffix]


def load(
    spec: str | os.PathLike,
    *,
    fmt: str | None = None,
    key: str | None = None,
    id_col: str | None = None,
) -> EmbeddingSet:
    """Load one embedding matrix from ``spec`` (``PATH`` or ``PATH:KEY``).

    Parameters
    ----------
    fmt : force a format (``npy``, ``npz``, ``csv``, ``tsv``, ``text``, ``word2vec-binary``,
        ``parquet``, ``safetensors``, ``hdf5``, ``pt``, ``fvecs``, ``bvecs``).
    key : array / column / tensor / dataset to read from a container (overrides ``:KEY``).
    id_col : CSV/TSV/parquet column holding row ids.
    """
    path, spec_key = split_spec(spec)
    key = key or spec_key
    src = str(path)
    if not path.exists():
        raise EmbgeoError("file not found", source=src, hint="check the path")
    if path.is_dir():
        raise EmbgeoError("is a directory, not a file", source=src)
    fmt = detect_format(path, fmt)
    if path.stat().st_size == 0:
        raise EmbgeoError("file is empty", source=src)
    reader = _READERS[fmt]
    try:
        es = reader(path, key=key, id_col=id_col)
    except EmbgeoError as exc:
        raise exc.with_source(src) from None
    except (ValueError, OSError, EOFError, KeyError, IndexError, TypeError, struct.error, UnicodeDecodeError, RuntimeError) as exc:
        raise EmbgeoError(f"cannot read as {fmt}: {_short(exc)}", source=src, hint="check that the file is complete and in this format") from None
    matrix = es.matrix
    if matrix.ndim != 2:
        if matrix.ndim == 0:
            raise EmbgeoError("holds a single number (a 0-D array); expected (n_samples, n_features)", source=src, hint="save a 2-D matrix")
        if matrix.ndim == 1:
            raise EmbgeoError(f"holds a 1-D array of shape {matrix.shape}; expected (n_samples, n_features)", source=src, hint="save a 2-D matrix")
        raise EmbgeoError(f"holds a {matrix.ndim}-D array of shape {matrix.shape}; expected (n_samples, n_features)", source=src, hint="for a layer stack use --layers")
    if matrix.dtype.kind not in "fiub":
        raise EmbgeoError(f"holds dtype {matrix.dtype}; expected numbers", source=src)
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise EmbgeoError(f"holds an empty matrix of shape {matrix.shape}", source=src)
    prov = {"file": src, "format": fmt, "key": key, "dtype": es.provenance.get("dtype", str(matrix.dtype)), "file_bytes": path.stat().st_size}
    prov.update({k: v for k, v in es.provenance.items() if k not in prov})
    return EmbeddingSet(matrix=matrix, ids=es.ids, attributes=es.attributes, provenance=prov)


def load_layers(specs: list[str], *, fmt: str | None = None, id_col: str | None = None) -> LayerStack:
    """A layer stack from one ``L×n×d`` file (``.npy``/``.npz``/…) or several 2-D files."""
    if len(specs) == 1:
        path, key = split_spec(specs[0])
        fmt1 = detect_format(path, fmt)
        if fmt1 in ("npy", "npz", "safetensors", "hdf5", "pt"):
            try:
                arr = _READERS[fmt1](path, key=key, id_col=None, allow_3d=True).matrix
            except EmbgeoError as exc:
                raise exc.with_source(str(path)) from None
            if arr.ndim == 3:
                return LayerStack.from_array(arr, source=str(path))
    sets = []
    for spec in specs:
        es = load(spec, fmt=fmt, id_col=id_col)
        sets.append(EmbeddingSet(es.matrix, es.ids, es.attributes, {**es.provenance, "name": Path(es.source).stem}))
    return LayerStack.from_sets(sets)


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


# ---------------------------------------------------------------- numpy

def _check_numeric(arr: np.ndarray, what: str) -> None:
    if arr.dtype.hasobject:
        raise EmbgeoError(f"{what} holds Python objects (a pickle); embgeo never unpickles", hint="save a plain numeric array")
    if arr.dtype.kind not in "fiub":
        raise EmbgeoError(f"{what} has dtype {arr.dtype}; expected numbers")


def _read_npy(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    if key:
        raise EmbgeoError(f"a .npy file holds one array; got key '{key}'", hint="drop the ':KEY' part")
    with open(path, "rb") as fh:
        if fh.read(6) != b"\x93NUMPY":
            raise EmbgeoError("is not a .npy file (no NumPy header)", hint="check the file, or pass --input-format")
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise EmbgeoError("holds Python objects (a pickled array); embgeo never unpickles", hint="save a plain numeric array with np.save") from None
        if "mmap length" in str(exc) or "cannot reshape" in str(exc):
            raise EmbgeoError("file is truncated: the header promises more data than the file holds", hint="save it again") from None
        raise
    _check_numeric(arr, "the array")
    return EmbeddingSet(matrix=arr)


def _read_npz(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    import zipfile

    try:
        z = np.load(path, allow_pickle=False)
    except zipfile.BadZipFile:
        raise EmbgeoError("is not a valid .npz archive (bad zip)", hint="save it again with np.savez") from None
    if not hasattr(z, "files"):
        return EmbeddingSet(matrix=z)
    with z:
        names = list(z.files)
        if not names:
            raise EmbgeoError("holds no arrays", hint="save the matrix with np.savez(path, embeddings=X)")
        if key is None:
            numeric2d = [k for k in names if k not in ID_KEYS]
            if len(numeric2d) == 1:
                key = numeric2d[0]
            else:
                key = next((k for k in PREFERRED_KEYS if k in names), None)
            if key is None:
                raise EmbgeoError(f"holds several arrays ({', '.join(names)}); which one?", hint=f"name it as FILE.npz:{names[0]}")
        if key not in names:
            raise EmbgeoError(f"has no array '{key}' (arrays: {', '.join(names) or 'none'})", hint=f"use FILE.npz:{names[0]}" if names else None)
        try:
            arr = z[key]
        except ValueError as exc:
            if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                raise EmbgeoError(f"array '{key}' holds Python objects (a pickle); embgeo never unpickles", hint="save plain numeric arrays") from None
            raise
        _check_numeric(arr, f"array '{key}'")
        ids = None
        for ik in ID_KEYS:
            if ik in names and ik != key:
                try:
                    cand = z[ik]
                except ValueError:
                    continue  # an object id array is ignored, not unpickled
                if cand.ndim == 1 and len(cand) == (arr.shape[0] if arr.ndim else 0):
                    ids = cand.astype(str)
                    break
                if ik in ("ids", "id") and arr.ndim == 2:  # meant as ids, but they do not fit: never drop them silently
                    raise EmbgeoError(f"array '{ik}' has shape {cand.shape} but '{key}' has {arr.shape[0]} rows",
                                      hint=f"save one id per row (a 1-D '{ik}' of length {arr.shape[0]})")
        return EmbeddingSet(matrix=arr, ids=ids, provenance={"keys": names})


# ---------------------------------------------------------------- delimited text

def _parse_float(text: str) -> float:
    return float(text)


def _sig_digits(token: str) -> int:
    """Significant decimal digits written in a number token (``"-1.250e-3"`` → 3)."""
    mant = token.strip().lstrip("+-").lower().split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    return len(mant)


def _text_dtype(tokens) -> type:
    """float32 when no value is written with more than 9 significant digits (float32's
    round-trip precision, how float32 embeddings are printed), else float64."""
    return np.float32 if max((_sig_digits(t) for t in tokens), default=0) <= 9 else np.float64


def _maybe_float32(values: np.ndarray, tokens=None) -> np.ndarray:
    """Parsed text values as float32 when the text carries no more than float32 precision."""
    if tokens is None:
        return values
    return values.astype(_text_dtype(tokens))


def _parse_list_cell(cell: str, row: int, col: str) -> list[float]:
    text = cell.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise EmbgeoError(f"row {row}, column '{col}': expected a list like [0.1, 0.2], got {text[:30]!r}")
    inner = text[1:-1].replace(",", " ").split()
    try:
        return [float(v) for v in inner]
    except ValueError:
        raise EmbgeoError(f"row {row}, column '{col}': non-numeric value in list {text[:30]!r}") from None


def _read_delimited(path: Path, *, key=None, id_col=None, allow_3d=False, delimiter=None) -> EmbeddingSet:
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: a BOM (Excel) is not part of the first cell
        rows = list(csv.reader(fh, delimiter=delimiter))
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if not rows:
        raise EmbgeoError("has no rows")
    first = rows[0]
    has_header = id_col is not None or _looks_like_header(first, rows[1] if len(rows) > 1 else None)
    if has_header:
        header = [h.strip() for h in first]
        body = rows[1:]
    else:
        header = [f"c{i}" for i in range(len(first))]
        body = rows
    if id_col is None and has_header:
        # a column named "id", or pandas' unnamed index column, holds row ids, not a dimension
        if "id" in header:
            id_col = "id"
        elif header and header[0] == "" and body and all(r[0].strip().isdigit() for r in body[:1000]):
            id_col = ""
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise EmbgeoError(f"header names column '{dup}' twice")
    if not body:
        raise EmbgeoError("has a header but no data rows")
    width = len(header)
    for i, r in enumerate(body):
        if len(r) != width:
            line = i + (2 if has_header else 1)
            raise EmbgeoError(f"line {line} has {len(r)} fields but the header has {width}", hint="every row needs the same number of columns")
    if id_col is not None and id_col not in header:
        raise EmbgeoError(f"no id column '{id_col}' (columns: {', '.join(header[:12])})", hint="pass --id-col with a column name from the header")
    cols = list(zip(*body))
    list_cols = [h for h, c in zip(header, cols) if h != id_col and c[0].strip().startswith("[")]
    if key is not None:
        if key not in header:
            raise EmbgeoError(f"no column '{key}'")
        list_cols = [key]
    attributes: dict[str, np.ndarray] = {}
    ids = None
    if list_cols:
        if len(list_cols) > 1:
            raise EmbgeoError(f"several list columns ({', '.join(list_cols)})", hint="name one as FILE.csv:COLUMN")
        lc = list_cols[0]
        j = header.index(lc)
        cells = [r[j] for r in body]
        vecs = [_parse_list_cell(c, i + 2, lc) for i, c in enumerate(cells)]
        lengths = {len(v) for v in vecs}
        if len(lengths) != 1:
            bad = next(i for i, v in enumerate(vecs) if len(v) != len(vecs[0]))
            raise EmbgeoError(f"column '{lc}' is ragged: row {bad + 2} has {len(vecs[bad])} values, row 2 has {len(vecs[0])}")
        matrix = _maybe_float32(np.asarray(vecs, dtype=np.float64), (t for c in cells for t in c.strip()[1:-1].replace(",", " ").split()))
        others = [h for h in header if h not in (lc, id_col)]
    else:
        dims, others = [], []
        for h, c in zip(header, cols):
            if h == id_col:
                continue
            if all(_is_number(v) for v in c):
                dims.append(h)
            else:
                others.append(h)
        if not dims:
            raise EmbgeoError("has no numeric columns to use as embedding dimensions")
        idx = [header.index(h) for h in dims]
        # a column that is numeric only in some rows is an error in the data, not a label column
        for h in others:
            c = cols[header.index(h)]
            n_num = sum(_is_number(v) for v in c)
            if n_num >= 0.9 * len(c):
                bad = next(i for i, v in enumerate(c) if not _is_number(v))
                raise EmbgeoError(f"column '{h}', line {bad + (2 if has_header else 1)}: non-numeric value {c[bad][:30]!r}", hint="fix the value or remove the row")
        matrix = _maybe_float32(np.array([[float(r[j]) for j in idx] for r in body], dtype=np.float64), (r[j] for r in body for j in idx))
        others = [h for h in others]
    for h in others:
        attributes[h] = _column_array(cols[header.index(h)])
    if id_col is not None:
        ids = np.asarray([c.strip() for c in cols[header.index(id_col)]], dtype=str)
    return EmbeddingSet(matrix=matrix, ids=ids, attributes=attributes, provenance={"columns": header})


def _column_array(values) -> np.ndarray:
    """Numbers (empty → NaN) as float64, anything else as str."""
    out = []
    for v in values:
        s = v.strip()
        if s == "" or s.lower() in ("nan", "na", "null", "none"):
            out.append(np.nan)
            continue
        try:
            out.append(float(s))
        except ValueError:
            return np.asarray([v.strip() for v in values], dtype=str)
    return np.asarray(out, dtype=np.float64)


def _cell_kind(text: str) -> str:
    t = text.strip()
    return "num" if _is_number(t) else ("list" if t.startswith("[") else "text")


def _looks_like_header(first: list[str], second: list[str] | None) -> bool:
    """Is the first row of a delimited file a header?

    Yes when some column holds text in the first row and a number or a ``[…]`` list in
    the second; not when every cell has the same kind as in the second row (a headerless
    file whose first column is an id looks like that). An all-number first row is a
    header only when it is exactly ``0 1 … d−1`` over a body that is not (pandas'
    default column names).
    """
    kinds1 = [_cell_kind(c) for c in first]
    if second is None:
        return any(k != "num" for k in kinds1)
    kinds2 = [_cell_kind(c) for c in second]
    if any(a == "text" and b != "text" for a, b in zip(kinds1, kinds2)):
        return True
    if all(k == "num" for k in kinds1):
        ints = [float(c) for c in first]
        return ints == [float(i) for i in range(len(first))] and [float(c) for c in second if _is_number(c)] != ints
    return False


def _read_tsv(path, **kw):
    return _read_delimited(path, delimiter="\t", **kw)


def _read_csv(path, **kw):
    return _read_delimited(path, delimiter=",", **kw)


# ---------------------------------------------------------------- word vectors

def _read_text_vectors(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    """word2vec text (first line ``n d``) or GloVe text (no header): ``word v1 … vd`` per line."""
    words, vecs, tokens = [], [], []
    header = None
    with open(path, encoding="utf-8-sig", errors="strict") as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.split()  # spaces or tabs
            if not parts or parts == [""]:
                continue
            if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                header = (int(parts[0]), int(parts[1]))
                continue
            if len(parts) < 2:
                raise EmbgeoError(f"line {lineno}: expected a word followed by numbers")
            try:
                vec = [float(p) for p in parts[1:]]
            except ValueError:
                raise EmbgeoError(f"line {lineno}: non-numeric value after the word {parts[0][:30]!r}") from None
            if vecs and len(vec) != len(vecs[0]):
                raise EmbgeoError(f"line {lineno} has {len(vec)} values, earlier lines have {len(vecs[0])}", hint="every vector needs the same length")
            words.append(parts[0])
            vecs.append(vec)
            tokens.extend(parts[1:])
    if not vecs:
        raise EmbgeoError("holds no vectors")
    if header is not None:
        n, d = header
        if d != len(vecs[0]):
            raise EmbgeoError(f"header says {d} dimensions but vectors have {len(vecs[0])}")
        if n != len(vecs):
            raise EmbgeoError(f"header says {n} vectors but the file holds {len(vecs)} (truncated?)")
    matrix = _maybe_float32(np.asarray(vecs, dtype=np.float64), tokens)
    return EmbeddingSet(matrix=matrix, ids=np.asarray(words, dtype=str), provenance={"variant": "word2vec" if header else "glove"})


def _read_word2vec_binary(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    data = path.read_bytes()
    nl = data.find(b"\n")
    try:
        n, d = (int(v) for v in data[:nl].split())
    except ValueError:
        raise EmbgeoError("does not start with a word2vec binary header 'n d'") from None
    if n <= 0 or d <= 0:
        raise EmbgeoError(f"header says {n} vectors of {d} dimensions")
    pos = nl + 1
    words, matrix = [], np.empty((n, d), dtype=np.float32)
    nbytes = 4 * d
    for i in range(n):
        while pos < len(data) and data[pos : pos + 1] in (b"\n", b" "):
            pos += 1
        sp = data.find(b" ", pos)
        if sp < 0 or sp + 1 + nbytes > len(data):
            raise EmbgeoError(f"truncated at vector {i} of {n}", hint="the file is incomplete")
        words.append(data[pos:sp].decode("utf-8", errors="replace"))
        matrix[i] = np.frombuffer(data, dtype="<f4", count=d, offset=sp + 1)
        pos = sp + 1 + nbytes
    return EmbeddingSet(matrix=matrix, ids=np.asarray(words, dtype=str))


# ---------------------------------------------------------------- vecs

def _read_vecs(path: Path, *, key=None, id_col=None, allow_3d=False, component=np.float32) -> EmbeddingSet:
    """``.fvecs`` / ``.bvecs`` (TEXMEX): each row is an int32 ``d`` then ``d`` components."""
    size = path.stat().st_size
    if size < 4:
        raise EmbgeoError("too short for a vecs file")
    d = int(np.fromfile(path, dtype="<i4", count=1)[0])
    itemsize = np.dtype(component).itemsize
    if d <= 0 or d > 1_000_000:
        raise EmbgeoError(f"first row claims {d} dimensions; not a vecs file?")
    row_bytes = 4 + d * itemsize
    if size % row_bytes:
        raise EmbgeoError(f"size {size} is not a whole number of {d}-dimensional rows (truncated?)")
    n = size // row_bytes
    rec = np.memmap(path, dtype=np.dtype([("d", "<i4"), ("v", np.dtype(component).newbyteorder("<"), (d,))]), mode="r", shape=(n,))
    dims = np.asarray(rec["d"])
    if (dims != d).any():
        bad = int(np.flatnonzero(dims != d)[0])
        raise EmbgeoError(f"row {bad} declares {dims[bad]} dimensions, row 0 declares {d}")
    return EmbeddingSet(matrix=rec["v"])


def _read_fvecs(path, **kw):
    return _read_vecs(path, component=np.float32, **kw)


def _read_bvecs(path, **kw):
    return _read_vecs(path, component=np.uint8, **kw)


# ---------------------------------------------------------------- safetensors

_ST_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1"}


def bf16_to_float32(raw: np.ndarray) -> np.ndarray:
    """bfloat16 bits (uint16) → float32 (exact: bfloat16 is the top half of float32)."""
    return (np.asarray(raw, dtype=np.uint32) << 16).view(np.float32)


def _read_safetensors(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    """Parsed directly from the documented layout (8-byte header size, JSON header, data) and memory-mapped."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise EmbgeoError("too short for a safetensors file")
        (hlen,) = struct.unpack("<Q", head)
        if hlen <= 0 or 8 + hlen > size:
            raise EmbgeoError("header length is outside the file (not a safetensors file, or truncated)")
        try:
            header = json.loads(fh.read(hlen).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise EmbgeoError("header is not valid JSON (not a safetensors file?)") from None
    if not isinstance(header, dict):
        raise EmbgeoError("header is not a JSON object (not a safetensors file?)")
    header.pop("__metadata__", None)
    for k, v in header.items():
        if not (isinstance(v, dict) and {"dtype", "shape", "data_offsets"} <= set(v)):
            raise EmbgeoError(f"tensor '{k}' has no dtype/shape/data_offsets in the header (not a safetensors file?)")
    names = sorted(header)
    if not names:
        raise EmbgeoError("holds no tensors")
    if key is None:
        cands = [k for k in names if len(header[k]["shape"]) in ((2, 3) if allow_3d else (2,))]
        key = next((k for k in PREFERRED_KEYS if k in names), None) or (cands[0] if len(cands) == 1 else None)
        if key is None:
            raise EmbgeoError(f"holds several tensors ({', '.join(names[:8])}); which one?", hint=f"name it as FILE.safetensors:{names[0]}")
    if key not in header:
        raise EmbgeoError(f"has no tensor '{key}' (tensors: {', '.join(names[:8])})")
    info = header[key]
    dt = info["dtype"]
    if dt not in _ST_DTYPES:
        raise EmbgeoError(f"tensor '{key}' has dtype {dt}, which embgeo does not read")
    start, end = (int(v) for v in info["data_offsets"])
    shape = tuple(int(v) for v in info["shape"])
    item = np.dtype(_ST_DTYPES[dt]).itemsize
    if not 0 <= start <= end or any(v < 0 for v in shape) or end - start != int(np.prod(shape)) * item or 8 + hlen + end > size:
        raise EmbgeoError(f"tensor '{key}' data lies outside the file (truncated?)")
    arr = np.memmap(path, dtype=_ST_DTYPES[dt], mode="r", offset=8 + hlen + start, shape=shape)
    prov = {"keys": names}
    prov["dtype"] = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}.get(dt, dt.lower())
    if dt == "BF16":
        arr = bf16_to_float32(arr)
    return EmbeddingSet(matrix=arr, provenance=prov)


# ---------------------------------------------------------------- hdf5 / parquet / torch

def _read_hdf5(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    h5py = require("h5py", package="h5py", extra="hdf5", feature="reading HDF5 files")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise EmbgeoError(f"is not a readable HDF5 file ({_short(exc)})") from None
    with f:
        datasets = []
        f.visititems(lambda name, obj: datasets.append(name) if isinstance(obj, h5py.Dataset) else None)
        if key is None:
            cands = [n for n in datasets if f[n].ndim in ((2, 3) if allow_3d else (2,))]
            key = next((k for k in PREFERRED_KEYS if k in datasets), None) or (cands[0] if len(cands) == 1 else None)
            if key is None:
                raise EmbgeoError(f"holds several datasets ({', '.join(datasets[:8])}); which one?", hint=f"name it as FILE.h5:/{datasets[0] if datasets else 'path'}")
        key = key.lstrip("/")
        if key not in f or not isinstance(f[key], h5py.Dataset):
            raise EmbgeoError(f"has no dataset '/{key}' (datasets: {', '.join('/' + d for d in datasets[:8]) or 'none'})")
        ds = f[key]
        if ds.dtype.kind not in "fiub":
            raise EmbgeoError(f"dataset '/{key}' has dtype {ds.dtype}; expected numbers")
        arr = _hdf5_array(path, ds)
        ids = None
        for ik in ID_KEYS:
            if ik in f and isinstance(f[ik], h5py.Dataset) and f[ik].ndim == 1 and len(f[ik]) == arr.shape[0]:
                raw = f[ik][()]
                ids = np.asarray([v.decode() if isinstance(v, bytes) else str(v) for v in raw], dtype=str)
                break
    return EmbeddingSet(matrix=arr, ids=ids, provenance={"keys": datasets})


def _hdf5_array(path: Path, ds) -> np.ndarray:
    """A contiguous, uncompressed HDF5 dataset is memory-mapped straight from the file (its
    data offset is known), so it is read block by block like a ``.npy``; a chunked or
    compressed one is read into memory."""
    if ds.chunks is None and ds.compression is None and ds.size > 0:
        offset = ds.id.get_offset()
        if offset is not None:
            return np.memmap(path, dtype=ds.dtype, mode="r", offset=offset, shape=ds.shape)
    if ds.ndim != 2 or ds.size * ds.dtype.itemsize <= SPILL_BYTES:
        return ds[()]
    sink = _Sink(ds.shape[0])  # chunked/compressed and large: block by block into a temporary memory map
    step = max(READ_BLOCK_ROWS // max(1, ds.chunks[0]), 1) * ds.chunks[0] if ds.chunks else READ_BLOCK_ROWS
    for a in range(0, ds.shape[0], step):
        sink.add(ds[a : a + step])
    return sink.result()


#: matrices from chunked containers (parquet, chunked/compressed HDF5) larger than this are
#: spilled block by block into a temporary memory-mapped .npy instead of being held in memory
SPILL_BYTES = int(os.environ.get("EMBGEO_SPILL_BYTES", 512 * 2**20))
#: rows per block when reading chunked containers
READ_BLOCK_ROWS = 65536
#: rows per parquet batch (single-threaded, no pre-buffering: measured 358 MB peak on 300k × 768)
PARQUET_BATCH_ROWS = 8192


class _Sink:
    """Collects row blocks into one (n, d) matrix: in memory when small, else a temporary
    ``.npy`` written block by block with plain writes (no dirty mapped pages) and then
    memory-mapped read-only (the file is unlinked once mapped; the mapping keeps the data
    until it is released), so peak memory is about one block."""

    def __init__(self, n: int):
        self.n, self.out, self.fh, self.tmp, self.pos, self.d, self.dtype = n, None, None, None, 0, None, None

    def add(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block)
        if self.d is None:
            self.d, self.dtype = block.shape[1], block.dtype
            if self.n * self.d * block.dtype.itemsize > SPILL_BYTES:
                import tempfile

                fd, self.tmp = tempfile.mkstemp(prefix="embgeo-", suffix=".npy")
                self.fh = os.fdopen(fd, "wb")
                np.lib.format.write_array_header_1_0(self.fh, {"descr": np.lib.format.dtype_to_descr(block.dtype), "fortran_order": False, "shape": (self.n, self.d)})
            else:
                self.out = np.empty((self.n, self.d), dtype=block.dtype)
        if block.shape[1] != self.d:
            raise EmbgeoError(f"row {self.pos} has {block.shape[1]} values, earlier rows have {self.d}")
        if self.fh is not None:
            self.fh.write(block.astype(self.dtype, copy=False).tobytes())
        else:
            self.out[self.pos : self.pos + block.shape[0]] = block
        self.pos += block.shape[0]

    def result(self) -> np.ndarray:
        if self.d is None:
            raise EmbgeoError("holds no rows")
        if self.fh is None:
            return self.out
        self.fh.close()
        try:
            mapped = np.load(self.tmp, mmap_mode="r")
            # an open descriptor keeps the unlinked file readable with pread (embgeo.validation.take_rows)
            keep = os.open(self.tmp, os.O_RDONLY)
            if os.path.exists(f"/proc/self/fd/{keep}"):
                mapped.filename = f"/proc/self/fd/{keep}"
            else:  # pragma: no cover - no /proc: scattered reads go through the mapping
                os.close(keep)
        finally:
            os.unlink(self.tmp)  # the mapping stays valid; nothing is left on disk
        return mapped


def _read_parquet(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    """Parquet: the vector column (list / fixed-size list) or the numeric columns are read
    batch by batch (row groups), so a file larger than memory is spilled to a temporary
    memory map rather than loaded; scalar columns become ids and attributes."""
    require("pyarrow", package="pyarrow", extra="parquet", feature="reading parquet files")
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path, pre_buffer=False, memory_map=False)  # no read-ahead of whole row groups
        schema = pf.schema_arrow
    except (pa.ArrowInvalid, OSError) as exc:
        raise EmbgeoError(f"is not a readable parquet file ({_short(exc)})") from None
    names = list(schema.names)
    n = pf.metadata.num_rows
    if id_col is not None and id_col not in names:
        raise EmbgeoError(f"no id column '{id_col}' (columns: {', '.join(names[:12])})")
    is_list = lambda t: pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)  # noqa: E731
    is_num = lambda t: pa.types.is_floating(t) or pa.types.is_integer(t)  # noqa: E731
    list_cols = [c for c in names if is_list(schema.field(c).type)]
    num_cols: list[str] = []
    if key is not None:
        if key not in names:
            raise EmbgeoError(f"has no column '{key}' (columns: {', '.join(names[:12])})")
        list_cols = [key] if is_list(schema.field(key).type) else []
        num_cols = [] if list_cols else [key]
    if len(list_cols) > 1:
        raise EmbgeoError(f"several list columns ({', '.join(list_cols)})", hint="name one as FILE.parquet:COLUMN")
    if not list_cols and key is None:
        num_cols = [c for c in names if c != id_col and is_num(schema.field(c).type)]
        if not num_cols:
            raise EmbgeoError("has no list column and no numeric columns")
    sink = _Sink(n)
    row = 0
    if list_cols:
        name = list_cols[0]
        for batch in pf.iter_batches(columns=[name], batch_size=PARQUET_BATCH_ROWS, use_threads=False):
            col = batch.column(0)
            if col.null_count:
                raise EmbgeoError(f"column '{name}' has missing vectors (first batch with one starts at row {row})")
            if pa.types.is_fixed_size_list(col.type):
                d = col.type.list_size
            else:
                lengths = np.asarray(col.value_lengths())
                ref = lengths[0] if sink.out is None else sink.out.shape[1]
                if lengths.size and (lengths != ref).any():
                    bad = int(np.flatnonzero(lengths != ref)[0])
                    raise EmbgeoError(f"column '{name}' is ragged: row {row + bad} has {lengths[bad]} values, row 0 has {ref}")
                d = int(ref) if lengths.size else 0
            flat = col.flatten().to_numpy(zero_copy_only=False)
            if flat.dtype.kind not in "fiub":
                raise EmbgeoError(f"column '{name}' holds {flat.dtype} values; expected numbers")
            sink.add(flat.reshape(-1, d))
            row += len(col)
            del batch, col, flat
            pa.default_memory_pool().release_unused()
        used = {name, id_col}
    else:
        for batch in pf.iter_batches(columns=num_cols, batch_size=PARQUET_BATCH_ROWS, use_threads=False):
            sink.add(np.column_stack([batch.column(i).to_numpy(zero_copy_only=False) for i in range(len(num_cols))]))
            del batch
            pa.default_memory_pool().release_unused()
        used = set(num_cols) | {id_col}
    matrix = sink.result()
    scalars = [c for c in names if c not in used and not is_list(schema.field(c).type)]
    wanted = scalars + ([id_col] if id_col else [])
    table = pf.read(columns=wanted) if wanted else None
    attributes = {}
    for c in scalars:
        vals = table.column(c).to_pylist()
        attributes[c] = _column_array(["" if v is None else str(v) for v in vals])
    ids = np.asarray([str(v) for v in table.column(id_col).to_pylist()], dtype=str) if id_col else None
    return EmbeddingSet(matrix=matrix, ids=ids, attributes=attributes, provenance={"columns": names})


def _read_pt(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    import pickle
    import zipfile

    import torch  # lazy: only for .pt files

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise EmbgeoError(f"holds more than tensors; embgeo loads .pt files with weights_only=True and never unpickles code ({_short(exc)[:80]})", hint="save only tensors: torch.save(tensor, path) or a dict of tensors") from None
    except (RuntimeError, zipfile.BadZipFile, EOFError) as exc:
        raise EmbgeoError(f"is not a readable torch file ({_short(exc)[:100]})", hint="check that the file is complete") from None
    if isinstance(obj, dict):
        tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if key is None:
            cands = [k for k, v in tensors.items() if v.ndim in ((2, 3) if allow_3d else (2,))]
            key = next((k for k in PREFERRED_KEYS if k in tensors), None) or (cands[0] if len(cands) == 1 else None)
            if key is None:
                raise EmbgeoError(f"holds a dict of several tensors ({', '.join(map(str, tensors))}); which one?", hint="name it as FILE.pt:KEY")
        if key not in tensors:
            raise EmbgeoError(f"has no tensor '{key}' (keys: {', '.join(map(str, obj))})")
        obj = tensors[key]
    elif key is not None:
        raise EmbgeoError(f"holds a single tensor; got key '{key}'")
    if not isinstance(obj, torch.Tensor):
        raise EmbgeoError(f"holds a {type(obj).__name__}, not a tensor")
    stored = str(obj.dtype).replace("torch.", "")
    if obj.dtype == torch.bfloat16:
        obj = obj.float()
    if obj.is_complex() or obj.dtype == torch.bool:
        raise EmbgeoError(f"tensor has dtype {stored}; expected real numbers")
    return EmbeddingSet(matrix=obj.detach().numpy(), provenance={"dtype": stored})


_READERS = {
    "npy": _read_npy,
    "npz": _read_npz,
    "csv": _read_csv,
    "tsv": _read_tsv,
    "text": _read_text_vectors,
    "word2vec-binary": _read_word2vec_binary,
    "parquet": _read_parquet,
    "safetensors": _read_safetensors,
    "hdf5": _read_hdf5,
    "pt": _read_pt,
    "fvecs": _read_fvecs,
    "bvecs": _read_bvecs,
}

FORMATS = tuple(_READERS)
