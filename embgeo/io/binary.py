"""Binary array formats: ``.npy``, ``.npz``, safetensors, ``.fvecs``/``.bvecs`` and torch ``.pt``.

Headers are checked against the bytes that follow them before anything is mapped or
allocated: a header that promises more (or less) data than the file holds is an error, so a
corrupt file is never read as a matrix of another shape and never allocates what it declares.
Nothing is ever unpickled.
"""
from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, param, setting
from embgeo.io.common import (PREFERRED_KEYS, check_numeric, id_array, id_names, is_id_name, is_permission_error, no_key, one_id_set, permission_denied,
                              short_error, unnamed_id_candidates, with_id_candidates)
from embgeo.io.containers import auto_key, not_a_matrix, own_companions, picked_key, with_vectors
from embgeo.io.model import EmbeddingSet

_NPY_MAGIC = b"\x93NUMPY"


def read_npy_header(fh, what: str = "the file") -> tuple[tuple, bool, np.dtype, int]:
    """``(shape, fortran_order, dtype, data_offset)`` of the ``.npy`` stream ``fh`` (at its start)."""
    fmt = np.lib.format
    start = fh.tell()
    if fh.read(6) != _NPY_MAGIC:
        raise EmbgeoError("is not a .npy file (no NumPy header)" if what == "the file" else f"{what} is not a .npy array (no NumPy header)",
                          hint=f"check the file, or pass {param('fmt', '--input-format')}")
    fh.seek(start)
    try:
        major, _minor = fmt.read_magic(fh)
        if major == 1:
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif major in (2, 3):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unknown .npy version {major}")
    except Exception as exc:  # noqa: BLE001 - numpy raises ValueError, SyntaxError, tokenize.TokenError … on a bad header
        reason = short_error(exc)
        # numpy's own words only when they say something about the header: never an internal repr (<ast.Call object at 0x…>)
        said = "" if re.search(r" at 0x[0-9a-fA-F]+|malformed node|<[^>]*>", reason) else f" ({reason[:80]})"
        raise EmbgeoError(f"{what} has a malformed .npy header{said}: it is not a valid .npy file", hint="save it again with np.save") from None
    if dtype.hasobject:
        raise EmbgeoError(f"{what} holds Python objects (a pickled array); embgeo never unpickles", hint="save a plain numeric array with np.save")
    if any(not isinstance(s, int) or s < 0 for s in shape):
        raise EmbgeoError(f"{what} declares an invalid shape {shape}")
    return tuple(shape), bool(fortran), dtype, fh.tell() - start


def check_data_size(declared: int, held: int, what: str) -> None:
    """The bytes a header declares must be exactly the bytes that follow it."""
    if held < declared:
        raise EmbgeoError(f"{what} is truncated: the header promises {declared} bytes of data, the file holds {held}", hint="save it again")
    if held > declared:
        raise EmbgeoError(f"{what} holds {held - declared} bytes more than its header's shape declares", hint="the header does not match the data; save it again")


def read_npy(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    no_key(key, ".npy", "array")
    with open(path, "rb") as fh:
        shape, _fortran, dtype, offset = read_npy_header(fh)
    check_numeric(np.empty(0, dtype=dtype), "the array")
    check_data_size(int(np.prod(shape, dtype=object)) * dtype.itemsize, path.stat().st_size - offset, "the array")
    arr = np.load(path, mmap_mode="r", allow_pickle=False)
    return EmbeddingSet(matrix=layers_first(arr, allow_3d))


def _npz_member(zf, name: str) -> np.ndarray:
    """One ``.npy`` member of an open zip file, its header checked against its size first."""
    import zipfile
    import zlib

    member = name + ".npy"
    what = f"array '{name}'"
    try:
        info = zf.getinfo(member)
        with zf.open(info) as fh:
            shape, fortran, dtype, offset = read_npy_header(fh, what)
            nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
            check_data_size(nbytes, info.file_size - offset, what)
            raw = fh.read(nbytes)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise EmbgeoError(f"{what} is corrupt in the archive ({short_error(exc)[:80]})", hint="save it again with np.savez") from None
    if len(raw) != nbytes:
        raise EmbgeoError(f"{what} is truncated in the archive", hint="save it again with np.savez")
    arr = np.frombuffer(raw, dtype=dtype)
    return arr.reshape(shape[::-1]).transpose() if fortran else arr.reshape(shape)


def _npz_heads(zf, names: list[str]) -> dict:
    """``{name: (shape, dtype)}`` of the arrays ``names`` of an open ``.npz`` (headers only; a corrupt member is
    skipped here and named when it is read)."""
    heads = {}
    for k in names:
        try:
            with zf.open(k + ".npy") as fh:
                shape, _f, dtype, _o = read_npy_header(fh, f"array '{k}'")
        except Exception:  # noqa: BLE001 - named when it is read
            continue
        heads[k] = (tuple(shape), dtype)
    return heads


def _npz_auto_key(zf, matrices: list[str], names: list[str], allow_3d: bool) -> str | None:
    """The array to read from an ``.npz`` of several when none was named: the one auto-pick name
    (``embeddings``, ``X``, ``arr_0``, …) that holds a matrix; two such names are "which one?"."""
    preferred = [k for k in PREFERRED_KEYS if k in matrices]
    if len(preferred) > 1:
        ndims = (2, 3) if allow_3d else (2,)
        shaped = []
        for k in preferred:
            try:
                with zf.open(k + ".npy") as fh:
                    ndim = len(read_npy_header(fh, f"array '{k}'")[0])
            except Exception:  # noqa: BLE001 - a corrupt member counts; it is named when it is read
                ndim = 2
            if ndim in ndims:
                shaped.append(k)
        auto_key(shaped, "arrays", "FILE.npz")
        if shaped:
            return shaped[0]
    return next((k for k in PREFERRED_KEYS if k in names), None)


def read_npz(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    """An ``.npz`` archive; every member must be a ``.npy`` array (members are read through the
    zip index, so a corrupt or foreign member is named, never unpickled or guessed)."""
    import zipfile

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        if is_permission_error(exc):
            raise permission_denied(path) from None
        raise EmbgeoError(f"is not a valid .npz archive ({short_error(exc)[:60]})", hint="save it again with np.savez") from None
    with zf:
        members = zf.namelist()
        other = [m for m in members if not m.endswith(".npy")]
        if other:
            raise EmbgeoError(f"member '{other[0][:60]}' is not a .npy array", hint="an .npz holds only arrays saved with np.savez")
        names = [m[:-4] for m in members]
        picked = {}  # {"key": …} when the matrix was picked by its name among several
        if not names:
            raise EmbgeoError("holds no arrays", hint="save the matrix with np.savez(path, embeddings=X)")
        if key is None:
            matrices = [k for k in names if not is_id_name(k)]
            if not matrices:
                raise EmbgeoError(f"holds only id arrays ({', '.join(names)}) and no embedding matrix",
                                  hint="save the matrix too: np.savez(path, embeddings=X, ids=ids)")
            key = matrices[0] if len(matrices) == 1 else _npz_auto_key(zf, matrices, names, allow_3d)
            if key is None:
                raise EmbgeoError(f"holds several arrays ({', '.join(names)}); which one?", hint=f"name it as FILE.npz:{matrices[0]}")
            if len(matrices) > 1 and key in matrices:  # every other matrix (numbers, 2-D or more) is a rival, whatever its shape
                heads = _npz_heads(zf, names)
                own = own_companions({k: sh for k, (sh, _dt) in heads.items()})  # embgeo's coordinates files: views of the same points
                rivals = {k: sh for k, (sh, dt) in heads.items()
                          if k in matrices and k != key and k not in own and len(sh) >= 2 and dt.kind in "fiub"}
                if key in heads and len(heads[key][0]) >= 2:  # (a corrupt matrix is named when it is read, a 1-D array below)
                    picked = picked_key(key, {key: heads[key][0], **rivals}, "arrays", "FILE.npz")
        if key not in names:
            raise EmbgeoError(f"has no array '{key}' (arrays: {', '.join(names) or 'none'})", hint=f"use FILE.npz:{names[0]}")
        arr = _npz_member(zf, key)
        if arr.ndim < 2:  # ids, labels, a scalar: say what it is, and the matrix to name
            raise not_a_matrix(key, arr.shape, "FILE.npz", [k for k, (sh, dt) in _npz_heads(zf, names).items() if len(sh) >= 2 and dt.kind in "fiub"])
        check_numeric(arr, f"array '{key}'")
        stack = allow_3d if allow_3d and arr.ndim == 3 else False  # a layer stack L×n×d: the ids belong to the n rows (axis 1)
        arr = layers_first(arr, allow_3d)
        found = []  # every id array that fits the rows: two that differ are a question (one_id_set)
        rows = (arr.shape[1] if stack else arr.shape[0]) if arr.ndim else 0
        for ik in id_names(names, key):  # ids, IDs, ID, …
            meant = ik.lower() in ("ids", "id")
            try:
                cand = _npz_member(zf, ik)
            except EmbgeoError:
                if meant:
                    raise
                continue
            if cand.ndim == 1 and len(cand) == rows:
                found.append((f"array '{ik}'", id_array(cand, f"array '{ik}'")))
                continue
            fix = f"save one id per row (a 1-D '{ik}' of length {rows})"
            if meant and stack:
                raise stack_ids_error(f"array '{ik}' has shape {cand.shape}", f"'{key}'", arr.shape, fix, cand.shape, rows_first=stack == "rows-first")
            if meant and arr.ndim == 2:  # meant as ids, but they do not fit: never drop them silently
                raise EmbgeoError(f"array '{ik}' has shape {cand.shape} but '{key}' has {rows} rows", hint=fix)
        cands = []  # 1-D unique integers or text under another name (tokens, arr_1): not read as ids; a join asks about them
        others = [k for k in names if k != key and not is_id_name(k)]
        if not found and (stack or arr.ndim == 2):
            cands = unnamed_id_candidates(_npz_vectors(zf, others, rows), rows)
        vectors = [k for k, (sh, _dt) in _npz_heads(zf, others).items() if sh == (rows,)] if stack or arr.ndim == 2 else []
        return stack_or_set(arr, one_id_set(found), stack, with_vectors(with_id_candidates({"keys": names, **picked}, cands), vectors))


def _npz_vectors(zf, names: list[str], rows: int):
    """``(what, name, values)`` of the 1-D integer or text arrays of ``rows`` values among ``names`` (headers read first)."""
    for k in names:
        try:
            with zf.open(k + ".npy") as fh:
                shape, _f, dtype, _o = read_npy_header(fh, f"array '{k}'")
        except Exception:  # noqa: BLE001 - a corrupt member beside the matrix is not read
            continue
        if shape == (rows,) and dtype.kind in "iuSU":
            try:
                yield f"array '{k}'", k, _npz_member(zf, k)
            except EmbgeoError:
                continue


def stack_ids_error(what: str, stack_name: str, shape: tuple, fix: str, got_shape=None, *, rows_first: bool = False) -> EmbgeoError:
    """The one line for ids beside a layer stack that do not fit its rows: a stack is
    layers × rows × dims (``L×n×d``), so one id per row is ``n`` ids. Ids as many as the layers
    (and not the rows) say that the axes were read the wrong way round: the hint names the layout
    that fits (``rows_first``: the file was read rows-first, ``shape`` is after the swap)."""
    L, n, d = (int(s) for s in shape)
    if got_shape is not None and len(got_shape) == 1 and got_shape[0] == L != n:
        if rows_first:
            fix += (f"; {L} ids count the file's second axis, so the file is layers × rows × dims: "
                    f"drop {setting('layout', 'rows-first', '--stack-layout')}")
        else:
            fix += (f"; {L} is the number of layers: a stack is read as layers × rows × dims, so if this one is rows × layers × dims, "
                    f"pass {setting('layout', 'rows-first', '--stack-layout')}")
    read = "read rows-first as " if rows_first else ""
    return EmbgeoError(f"{what} but the stack {stack_name} ({read}{L} layers × {n} rows × {d} dims) has {n} rows", hint=fix)


def layers_first(arr, allow_3d):
    """A 3-D array as layers × rows × dims: ``allow_3d="rows-first"`` says the file holds rows × layers ×
    dims (e.g. ``torch.stack(hidden_states, dim=1)``), so its first two axes are swapped (a view)."""
    return np.swapaxes(arr, 0, 1) if allow_3d == "rows-first" and getattr(arr, "ndim", 0) == 3 else arr


def stack_or_set(arr, ids, stack: bool, provenance: dict, **kw) -> EmbeddingSet:
    """What a reader returns: a matrix with its row ids, or (``stack``) an ``L×n×d`` array whose ``n``
    row ids travel as ``provenance["row_ids"]`` (an :class:`EmbeddingSet`'s ids count its first axis,
    the layers); :func:`embgeo.io.load_layers` gives them to the stack."""
    if stack:
        return EmbeddingSet(matrix=arr, provenance={**provenance, "row_ids": ids}, **kw)
    return EmbeddingSet(matrix=arr, ids=ids, provenance=provenance, **kw)


# ---------------------------------------------------------------- safetensors

#: safetensors dtype → the name embgeo reports
ST_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}
ST_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1"}
#: item sizes of every dtype the safetensors format defines (for checking the layout of tensors embgeo does not read)
ST_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
               "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}


def bf16_to_float32(raw: np.ndarray) -> np.ndarray:
    """bfloat16 bits (uint16) → float32 (exact: bfloat16 is the top half of float32)."""
    return (np.asarray(raw, dtype=np.uint32) << 16).view(np.float32)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_safetensors_layout(header: dict, data_bytes: int) -> None:
    """Every tensor's dtype, integer shape and offsets; the ranges tile the data exactly
    (no overlap, no gap, nothing past the end)."""
    spans = []
    for k, v in header.items():
        if not (isinstance(v, dict) and {"dtype", "shape", "data_offsets"} <= set(v)):
            raise EmbgeoError(f"tensor '{k}' has no dtype/shape/data_offsets in the header (not a safetensors file?)")
        shape, offs, dt = v["shape"], v["data_offsets"], v["dtype"]
        if not isinstance(shape, list) or not all(_is_int(s) and s >= 0 for s in shape):
            raise EmbgeoError(f"tensor '{k}' has shape {str(shape)[:40]}; a shape is a list of non-negative integers")
        if not (isinstance(offs, list) and len(offs) == 2 and all(_is_int(o) for o in offs) and 0 <= offs[0] <= offs[1]):
            raise EmbgeoError(f"tensor '{k}' has data_offsets {str(offs)[:40]}; expected [start, end] with 0 <= start <= end")
        if dt not in ST_ITEMSIZE:
            raise EmbgeoError(f"tensor '{k}' has unknown dtype {str(dt)[:20]}")
        if offs[1] - offs[0] != int(np.prod(shape, dtype=object)) * ST_ITEMSIZE[dt]:
            raise EmbgeoError(f"tensor '{k}' spans {offs[1] - offs[0]} bytes but its shape {tuple(shape)} of {dt} needs {int(np.prod(shape, dtype=object)) * ST_ITEMSIZE[dt]}")
        spans.append((offs[0], offs[1], k))
    end = 0
    for a, b, k in sorted(spans):
        if a < end:
            raise EmbgeoError(f"tensor '{k}' overlaps the tensor before it (bytes {a}–{b})", hint="the file is corrupt")
        if a > end:
            raise EmbgeoError(f"a gap of {a - end} bytes precedes tensor '{k}'", hint="the file is corrupt")
        end = b
    if end > data_bytes:
        raise EmbgeoError(f"tensor data ends at byte {end} but the file holds {data_bytes} (truncated?)")
    if end < data_bytes:
        raise EmbgeoError(f"{data_bytes - end} bytes follow the last tensor", hint="the file is corrupt")


def read_safetensors(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    """Parsed directly from the documented layout (8-byte header size, JSON header, data) and memory-mapped."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise EmbgeoError("too short for a safetensors file")
        (hlen,) = struct.unpack("<Q", head)
        if hlen <= 0 or 8 + hlen > size or hlen > 100 << 20:
            raise EmbgeoError("header length is outside the file (not a safetensors file, or truncated)")
        try:
            header = json.loads(fh.read(hlen).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise EmbgeoError("header is not valid JSON (not a safetensors file?)") from None
    if not isinstance(header, dict):
        raise EmbgeoError("header is not a JSON object (not a safetensors file?)")
    meta = header.pop("__metadata__", None)
    check_safetensors_layout(header, size - 8 - hlen)
    names = sorted(header)
    if not names:
        raise EmbgeoError("holds no tensors")
    picked = {}  # {"key": …} when the tensor was picked by its name among several
    if key is None:
        ndims = (2, 3) if allow_3d else (2,)
        cands = [k for k in names if len(header[k]["shape"]) in ndims and header[k]["dtype"] in ST_DTYPES]
        key = auto_key(cands, f"{'2-D/3-D' if allow_3d else '2-D'} tensors", "FILE.safetensors") or next((k for k in PREFERRED_KEYS if k in names), None) \
            or (cands[0] if len(cands) == 1 else None)
        if key is None and not cands:
            found = ", ".join(f"{k} {len(header[k]['shape'])}-D {ST_NAMES.get(header[k]['dtype'], header[k]['dtype'].lower())}" for k in names[:8])
            raise EmbgeoError(f"holds no {'2-D or 3-D' if allow_3d else '2-D'} numeric tensor (found: {found})",
                              hint="save the embeddings as one (n_samples, n_features) tensor")
        if key is None:
            raise EmbgeoError(f"holds several {'2-D/3-D' if allow_3d else '2-D'} tensors ({', '.join(cands[:8])}); which one?",
                              hint=f"name it as FILE.safetensors:{cands[0]}")
        rivals = {k: tuple(header[k]["shape"]) for k in names if k != key and not is_id_name(k) and len(header[k]["shape"]) >= 2}
        if key in header and len(header[key]["shape"]) >= 2 and len([k for k in names if not is_id_name(k)]) > 1:  # every other matrix (2-D or more) is a rival, whatever its shape
            picked = picked_key(key, {key: tuple(header[key]["shape"]), **rivals}, "tensors", "FILE.safetensors")
    if key not in header:
        raise EmbgeoError(f"has no tensor '{key}' (tensors: {', '.join(names[:8])})")
    info = header[key]
    if len(info["shape"]) < 2:  # ids, labels, a scalar: say what it is, and the matrix to name
        raise not_a_matrix(key, info["shape"], "FILE.safetensors", [k for k in names if len(header[k]["shape"]) >= 2])
    dt = info["dtype"]
    if dt not in ST_DTYPES:
        raise EmbgeoError(f"tensor '{key}' has dtype {dt}, which embgeo does not read")
    start = info["data_offsets"][0]
    shape = tuple(info["shape"])
    if 0 in shape:
        arr = np.empty(shape, dtype=ST_DTYPES[dt])
    else:
        arr = np.memmap(path, dtype=ST_DTYPES[dt], mode="r", offset=8 + hlen + start, shape=shape)
    prov = {"keys": names, **picked}
    prov["dtype"] = ST_NAMES.get(dt, dt.lower())
    if dt == "BF16":
        arr = bf16_to_float32(arr)
    stack = allow_3d if allow_3d and len(shape) == 3 else False  # a layer stack L×n×d: the ids belong to the n rows (axis 1)
    arr = layers_first(arr, allow_3d)
    ids, cands = _st_ids(path, header, meta, key, tuple(arr.shape), 8 + hlen, stack) if len(shape) == 2 or stack else (None, [])
    rows = int(arr.shape[1] if stack else arr.shape[0]) if arr.ndim else 0
    vectors = [k for k in names if k != key and not is_id_name(k) and header[k]["shape"] == [rows]] if len(shape) == 2 or stack else []
    return stack_or_set(arr, ids, stack, with_vectors(with_id_candidates(prov, cands), vectors))


#: safetensors dtypes an id tensor may have (integers or floats; the one id rule of id_array applies)
_ST_ID_DTYPES = {**ST_DTYPES, "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}


def _st_ids(path: Path, header: dict, meta, key: str, shape: tuple, data_start: int, stack: bool):
    """Row ids of a safetensors matrix or stack. A tensor holds numbers only (no text), so ids are
    either the header's ``__metadata__`` entry ``"ids"`` (a JSON list, as ``embgeo extract`` writes
    it) or a 1-D numeric tensor named ``ids``/``id``/``words``/``labels_id`` (integer ids). An
    ``ids``/``id`` that does not fit the rows is an error; both present and disagreeing is a question."""
    rows = int(shape[1] if stack else shape[0])
    found = []

    def misfit(what: str, got_shape, fix: str) -> EmbgeoError:
        if stack:
            return stack_ids_error(f"{what} has shape {tuple(got_shape)}", f"'{key}'", shape, fix, tuple(got_shape), rows_first=stack == "rows-first")
        return EmbgeoError(f"{what} has shape {tuple(got_shape)} but '{key}' has {rows} rows", hint=fix)

    if isinstance(meta, dict) and "ids" in meta:
        what = "metadata 'ids'"
        try:
            values = json.loads(meta["ids"]) if isinstance(meta["ids"], str) else None
        except (json.JSONDecodeError, RecursionError):
            values = None
        if not isinstance(values, list):
            raise EmbgeoError(f"{what} is not a JSON list of ids", hint="write it as json.dumps(ids), one id per row (as embgeo extract does)")
        if len(values) != rows:
            raise misfit(what, (len(values),), f"write one id per row (a JSON list of {rows} ids)")
        found.append((what, id_array(values, what)))
    for ik in id_names(header, key):  # ids, IDs, ID, …
        info = header[ik]
        what, dt, got = f"tensor '{ik}'", info["dtype"], tuple(info["shape"])
        if len(got) == 1 and got[0] == rows and dt in _ST_ID_DTYPES:
            raw = _st_read(path, info, data_start)
            found.append((what, id_array((bf16_to_float32(raw) if dt == "BF16" else raw).tolist(), what)))
            continue
        if ik.lower() in ("ids", "id"):  # meant as ids, but they do not fit: never drop them silently
            if len(got) == 1 and got[0] == rows:
                raise EmbgeoError(f"{what} has dtype {dt}; ids in a safetensors file are integers",
                                  hint=f"save the ids as an integer tensor '{ik}', or as text in the metadata: metadata={{'ids': json.dumps(ids)}}")
            raise misfit(what, got, f"save one id per row (a 1-D tensor '{ik}' of length {rows})")
    cands = []  # a 1-D integer tensor of unique values under another name (tokens): not read as ids; a join asks about it
    if not found:
        cands = unnamed_id_candidates(((f"tensor '{k}'", k, _st_read(path, header[k], data_start)) for k in sorted(header)
                                       if k != key and not is_id_name(k)
                                       and header[k]["shape"] == [rows] and header[k]["dtype"][0] in "IU" and header[k]["dtype"] in _ST_ID_DTYPES), rows)
    return one_id_set(found), cands  # the metadata and the tensors: several that differ are a question, never the first


def _st_read(path: Path, info: dict, data_start: int) -> np.ndarray:
    """A (small, 1-D) tensor of a safetensors file, read from its data offsets."""
    with open(path, "rb") as fh:
        a, b = info["data_offsets"]
        fh.seek(data_start + a)
        return np.frombuffer(fh.read(b - a), dtype=_ST_ID_DTYPES[info["dtype"]])


# ---------------------------------------------------------------- vecs

def read_vecs(path: Path, *, key=None, id_col=None, allow_3d=False, component=np.float32) -> EmbeddingSet:
    """``.fvecs`` / ``.bvecs`` (TEXMEX): each row is an int32 ``d`` then ``d`` components."""
    no_key(key, f".{'b' if component == np.uint8 else 'f'}vecs")
    size = path.stat().st_size
    if size < 4:
        raise EmbgeoError("too short for a vecs file")
    d = int(np.fromfile(path, dtype="<i4", count=1)[0])
    itemsize = np.dtype(component).itemsize
    if d <= 0 or d > 1_000_000:
        kind = "b" if component == np.uint8 else "f"
        raise EmbgeoError(f"first row claims {d} dimensions, but every .{kind}vecs row starts with its dimension d (int32, 1 to 1000000) "
                          f"followed by d {'uint8' if kind == 'b' else 'float32'} values: not a .{kind}vecs file, or a corrupt one",
                          hint=f"write each row as struct.pack('<i', d) + row.astype('{'u1' if kind == 'b' else '<f4'}').tobytes(), "
                               f"or pass {param('fmt', '--input-format')} with the file's real format")
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


def read_fvecs(path, **kw):
    return read_vecs(path, component=np.float32, **kw)


def read_bvecs(path, **kw):
    return read_vecs(path, component=np.uint8, **kw)


# ---------------------------------------------------------------- torch

def _pickle_head(path: Path) -> bool:
    """Does ``path`` start as a pickle stream (the PROTO opcode of protocol 2–5: a raw ``pickle.dump`` or a
    legacy ``torch.save``) or as the zip archive of ``torch.save`` (whose ``data.pkl`` is one)?"""
    with open(path, "rb") as fh:
        head = fh.read(4)
    return (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")) or head == b"PK\x03\x04"


def _first_words(text: str, limit: int = 100) -> str:
    """The first line of ``text``, cut at a word (with "…") when it is longer than ``limit`` characters."""
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.") + " …"


def read_pt(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    import pickle
    import warnings

    import torch  # lazy: only for .pt files

    try:
        with warnings.catch_warnings():  # torch warns (on stderr) about pickle protocols before it refuses a file: the error says it all
            warnings.simplefilter("ignore")
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if not _pickle_head(path):
            raise EmbgeoError("is not a torch file: it starts neither as the zip archive that torch.save writes nor as a pickle",
                              hint=f"check that this is the file you meant, or pass {param('fmt', '--input-format')} with its real format") from None
        named = re.search(r"GLOBAL ([A-Za-z_][\w.]*)", str(exc))
        what = f" (such as {named.group(1)})" if named else ""
        raise EmbgeoError(f"holds pickled Python objects{what} beyond tensors; reading them would run the pickle's code, and embgeo never unpickles "
                          "(torch.load with weights_only=True refuses the file)",
                          hint="save plain tensors: torch.save({'embeddings': X}, path) with X a torch tensor (and 'ids' a list of str or a 1-D tensor), "
                               "or save the matrix as .safetensors or .npy") from None
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a corrupt archive fails in many ways inside torch; each is one line
        if is_permission_error(exc):
            raise permission_denied(path) from None
        raise EmbgeoError(f"is not a readable torch file ({_first_words(short_error(exc))})", hint="check that the file is complete") from None
    ids_from, picked = None, {}  # picked: {"key": …} when the tensor was picked by its name among several
    if isinstance(obj, dict):
        tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if key is None:
            cands = [k for k, v in tensors.items() if v.ndim in ((2, 3) if allow_3d else (2,)) and not is_id_name(k)]
            key = auto_key(cands, "tensors", "FILE.pt") or next((k for k in PREFERRED_KEYS if k in tensors), None) or (cands[0] if len(cands) == 1 else None)
            if key is None and not cands:
                found = ", ".join(f"{k} {v.ndim}-D {str(v.dtype).replace('torch.', '')}" for k, v in list(tensors.items())[:8]) or "no tensors"
                raise EmbgeoError(f"holds a dict with no {'2-D or 3-D' if allow_3d else '2-D'} tensor (found: {found})",
                                  hint="save the embeddings as one (n_samples, n_features) tensor")
            if key is None:
                raise EmbgeoError(f"holds a dict of several tensors ({', '.join(map(str, cands))}); which one?", hint=f"name it as FILE.pt:{cands[0]}")
            rivals = {k: tuple(v.shape) for k, v in tensors.items() if k != key and not is_id_name(k) and v.ndim >= 2 and not v.is_complex()}
            if key in tensors and tensors[key].ndim >= 2 and len([k for k in obj if not is_id_name(k)]) > 1:  # every other matrix (2-D or more) is a rival, whatever its shape
                picked = picked_key(key, {key: tuple(tensors[key].shape), **rivals}, "tensors", "FILE.pt")
        if key not in tensors:
            if key in obj:  # an entry that is no tensor: say what it is (ids saved as a list are read with the matrix)
                role = " (it holds the row ids, which are read with the matrix)" if is_id_name(key) else ""
                matrices = [str(k) for k, v in tensors.items() if v.ndim >= 2]
                raise EmbgeoError(f"entry '{key}' is a {type(obj[key]).__name__}, not a tensor, so it is not a matrix{role}",
                                  hint=f"name the matrix: FILE.pt:{matrices[0]}" if matrices else "save the embeddings as one (n_samples, n_features) tensor")
            raise EmbgeoError(f"has no tensor '{key}' (keys: {', '.join(map(str, obj))})")
        ids_from = obj
        obj = tensors[key]
        if obj.ndim < 2:  # ids, labels, a scalar: say what it is, and the matrix to name
            raise not_a_matrix(key, tuple(obj.shape), "FILE.pt", [k for k, v in tensors.items() if v.ndim >= 2])
    elif key is not None:
        raise EmbgeoError(f"holds a single tensor; got key '{key}'")
    if not isinstance(obj, torch.Tensor):
        raise EmbgeoError(f"holds a {type(obj).__name__}, not a tensor")
    stored = str(obj.dtype).replace("torch.", "")
    where = f"tensor '{key}'" if key is not None else "the tensor"
    if obj.layout != torch.strided:
        layout = str(obj.layout).replace("torch.", "")
        raise EmbgeoError(f"{where} is a sparse tensor ({layout}); embgeo reads dense tensors only",
                          hint="save it dense: torch.save(X.to_dense(), path)")
    if obj.is_meta:
        raise EmbgeoError(f"{where} is on the 'meta' device: it has a shape {tuple(obj.shape)} but no values",
                          hint="save a tensor that holds its values (created on the CPU or a GPU, not device='meta')")
    if obj.is_quantized:
        raise EmbgeoError(f"{where} is quantized ({stored}); embgeo reads plain numbers", hint="save it dequantized: torch.save(X.dequantize(), path)")
    if obj.dtype == torch.bfloat16:
        obj = obj.float()
    if obj.is_complex() or obj.dtype == torch.bool:
        raise EmbgeoError(f"tensor has dtype {stored}; expected real numbers",
                          hint="save real numbers instead: X.real, X.abs() for the magnitude, or torch.cat([X.real, X.imag], 1) to keep both parts"
                          if obj.is_complex() else "save it as floats: X.float()")
    matrix = obj.detach().resolve_conj().resolve_neg().numpy()
    stack = allow_3d if allow_3d and matrix.ndim == 3 else False  # a layer stack L×n×d: the ids belong to the n rows (axis 1)
    matrix = layers_first(matrix, allow_3d)
    ids, cands = _pt_ids(ids_from, key, matrix, stack) if ids_from is not None else (None, [])
    rows = (matrix.shape[1] if stack else matrix.shape[0]) if matrix.ndim else 0
    vectors = [str(k) for k, v in ids_from.items() if k != key and not is_id_name(k) and _pt_vector(v, rows) is not None] \
        if ids_from is not None and (stack or matrix.ndim == 2) else []
    return stack_or_set(matrix, ids, stack, with_vectors(with_id_candidates({"dtype": stored, **picked}, cands), vectors))


def _pt_ids(obj: dict, key, matrix: np.ndarray, stack: bool = False):
    """Row ids beside the tensor in a ``.pt`` dict: an ``ids``/``id`` entry (a list of text or numbers,
    or a 1-D tensor) read like an ``.npz`` ``ids`` array; one that does not fit is an error, never dropped.
    For a layer stack (``stack``: ``L×n×d``) one id per row is ``n`` ids."""
    import torch

    rows = (matrix.shape[1] if stack else matrix.shape[0]) if matrix.ndim else 0
    found = []  # every id entry that fits the rows: two that differ are a question (one_id_set)
    for ik in id_names([k for k in obj if isinstance(k, str)], key):  # ids, IDs, ID, …
        cand = obj[ik]
        if isinstance(cand, torch.Tensor):
            values = cand.tolist() if cand.ndim == 1 and cand.layout == torch.strided and not cand.is_meta else None
            shape = tuple(cand.shape)
        elif isinstance(cand, (list, tuple)):
            values, shape = list(cand), (len(cand),)
        else:
            values, shape = None, type(cand).__name__
        if values is not None and len(values) == rows:
            found.append((f"entry '{ik}'", id_array(values, f"'{ik}'")))
            continue
        got = f"is a {shape}" if isinstance(shape, str) else f"has shape {shape}"
        fix = f"save one id per row (a list or 1-D tensor '{ik}' of length {rows})"
        if ik.lower() in ("ids", "id") and stack:
            raise stack_ids_error(f"'{ik}' {got}", f"'{key}'", matrix.shape, fix, None if isinstance(shape, str) else shape, rows_first=stack == "rows-first")
        if ik.lower() in ("ids", "id") and matrix.ndim == 2:  # meant as ids, but they do not fit: never drop them silently
            raise EmbgeoError(f"'{ik}' {got} but '{key}' has {rows} rows", hint=fix)
    cands = []  # 1-D unique integers or text under another name (tokens): not read as ids; a join asks about them
    if not found and (stack or matrix.ndim == 2):
        cands = unnamed_id_candidates(((f"entry '{k}'", k, vec) for k, v in obj.items()
                                       if k != key and not is_id_name(k) and (vec := _pt_vector(v, rows)) is not None), rows)
    return one_id_set(found), cands


def _pt_vector(v, rows: int):
    """An entry of a ``.pt`` dict as a 1-D array of ``rows`` values, if it is one (a dense 1-D integer tensor, or a list of
    texts or integers); else None."""
    import torch

    if isinstance(v, torch.Tensor):
        ok = v.ndim == 1 and len(v) == rows and v.layout == torch.strided and not v.is_meta and not v.is_quantized and not v.is_floating_point() \
            and not v.is_complex() and v.dtype != torch.bool
        return v.numpy() if ok else None
    return list(v) if isinstance(v, (list, tuple)) and len(v) == rows else None
