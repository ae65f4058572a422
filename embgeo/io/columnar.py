"""Columnar and hierarchical containers: HDF5 and Parquet, read block by block.

Large matrices are spilled into a temporary memory-mapped ``.npy`` (:class:`Sink`) whose size
is bounded by the data the file really stores and checked against free space first; the spill
file is removed on success, on error and on interruption (SIGINT, or SIGTERM through the CLI).
HDF5 external links, virtual datasets and external raw storage (which read other files) are refused.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, either, offers, param, require
from embgeo.io.binary import layers_first, stack_ids_error, stack_or_set
from embgeo.io.common import (PREFERRED_KEYS, check_attr_cols, use_attr_col, hdf5_id_keys, hdf5_unnamed_ids, id_array, id_named_column_error, index_column_error,
                               index_like_columns, is_id_name, is_plain_number, named_like_ids, short_error, use_id_col,
                               with_id_candidates)
from embgeo.io.containers import auto_key, not_a_matrix, picked_key, with_vectors
from embgeo.io.csvrules import named_like_the_dimensions
from embgeo.io.model import EmbeddingSet
from embgeo.io.text import column_array
from embgeo.validation import dtype_hint

#: matrices from chunked containers (parquet, chunked/compressed HDF5) larger than this many bytes
#: are spilled block by block into a temporary memory-mapped .npy instead of being held in memory
DEFAULT_SPILL_BYTES = 512 * 2**20
#: a number of bytes that replaces ``$EMBGEO_SPILL_BYTES`` and the default (None: read them, :func:`spill_bytes`)
SPILL_BYTES: int | None = None
#: the environment variable that sets the spill size
SPILL_VARIABLE = "EMBGEO_SPILL_BYTES"
#: rows per block when reading chunked containers
READ_BLOCK_ROWS = 65536
#: rows per parquet batch (single-threaded, no pre-buffering: measured 358 MB peak on 300k × 768)
PARQUET_BATCH_ROWS = 8192
#: a chunked/compressed HDF5 dataset may declare at most this many times the bytes it stores
#: (unwritten chunks read as fill values: a 1 kB file can declare terabytes)
MAX_EXPANSION = 64


def spill_bytes() -> int:
    """The spill size in bytes: :data:`SPILL_BYTES` when set, else ``$EMBGEO_SPILL_BYTES``, else
    :data:`DEFAULT_SPILL_BYTES` (512 MiB). The variable is read when a matrix is read, not at import:
    empty means the default; anything but a whole number of bytes (``1G``, ``-1``, ``2.5e9``) is
    refused in one line (nothing is guessed)."""
    if SPILL_BYTES is not None:
        return int(SPILL_BYTES)
    from embgeo.arguments import env_whole_number

    return env_whole_number(SPILL_VARIABLE, DEFAULT_SPILL_BYTES, unit="bytes", example="2000000000",
                            default_text=f"{DEFAULT_SPILL_BYTES} (512 MiB)")


class Sink:
    """Collects row blocks into one (n, d) matrix: in memory when small, else a temporary
    ``.npy`` written block by block with plain writes (no dirty mapped pages) and then
    memory-mapped read-only (the file is unlinked once mapped; the mapping keeps the data
    until it is released), so peak memory is about one block. Use it as a context manager:
    the temporary file is removed if reading stops early (error, SIGINT)."""

    def __init__(self, n: int):
        self.n, self.out, self.fh, self.tmp, self.pos, self.d, self.dtype = n, None, None, None, 0, None, None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            self.discard()
        return False

    def discard(self) -> None:
        """Close and remove the temporary file, if any."""
        if self.fh is not None:
            self.fh.close()
            self.fh = None
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None

    def add(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block)
        if block.ndim != 2:
            raise EmbgeoError(f"rows from {self.pos} are not a matrix (shape {block.shape})")
        if self.d is None:
            self.d, self.dtype = block.shape[1], block.dtype
            need = self.n * self.d * block.dtype.itemsize
            if need > spill_bytes():
                import shutil
                import tempfile

                folder = tempfile.gettempdir()
                free = shutil.disk_usage(folder).free
                if need + (64 << 20) > free:
                    raise EmbgeoError(f"needs {need / 2**30:.2f} GiB of temporary space in {folder} but {free / 2**30:.2f} GiB are free",
                                      hint="set TMPDIR to a folder with room")
                fd, self.tmp = tempfile.mkstemp(prefix="embgeo-", suffix=".npy")
                self.fh = os.fdopen(fd, "wb")
                np.lib.format.write_array_header_1_0(self.fh, {"descr": np.lib.format.dtype_to_descr(block.dtype), "fortran_order": False, "shape": (self.n, self.d)})
            else:
                self.out = np.empty((self.n, self.d), dtype=block.dtype)
        if block.shape[1] != self.d:
            raise EmbgeoError(f"row {self.pos} has {block.shape[1]} values, earlier rows have {self.d}")
        if self.pos + block.shape[0] > self.n:
            raise EmbgeoError(f"holds more than the {self.n} rows its metadata declares")
        if self.fh is not None:
            self.fh.write(block.astype(self.dtype, copy=False).tobytes())
        else:
            self.out[self.pos : self.pos + block.shape[0]] = block
        self.pos += block.shape[0]

    def result(self) -> np.ndarray:
        if self.d is None:
            raise EmbgeoError("holds no rows")
        if self.pos != self.n:
            self.discard()
            raise EmbgeoError(f"holds {self.pos} rows but its metadata declares {self.n}")
        if self.fh is None:
            return self.out
        self.fh.close()
        self.fh = None
        try:
            mapped = np.load(self.tmp, mmap_mode="r")
            # an open descriptor keeps the unlinked file readable with pread (embgeo.validation.take_rows)
            keep = os.open(self.tmp, os.O_RDONLY)
            if os.path.exists(f"/proc/self/fd/{keep}"):
                mapped.filename = f"/proc/self/fd/{keep}"
            else:  # pragma: no cover - no /proc: scattered reads go through the mapping
                os.close(keep)
        finally:
            self.discard()  # the mapping stays valid; nothing is left on disk
        return mapped


# ---------------------------------------------------------------- hdf5

def _check_local(f, key: str, h5py) -> None:
    """Refuse a path that goes through an external link (it opens another file)."""
    parts = [p for p in key.split("/") if p]
    for i in range(1, len(parts) + 1):
        path = "/".join(parts[:i])
        link = f.get(path, getlink=True)
        if isinstance(link, h5py.ExternalLink):
            raise EmbgeoError(f"'/{path}' is an external link to {link.filename}:{link.path}; embgeo reads only the file itself",
                              hint="copy the data into this file (h5py: f[name] = other[name][()])")


def read_hdf5(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    h5py = require("h5py", package="h5py", extra="hdf5", feature="reading HDF5 files")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise EmbgeoError(f"is not a readable HDF5 file ({short_error(exc)})") from None
    with f:
        datasets, links, groups = [], [], []

        def visit(name):
            link = f.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                links.append(f"/{name} (an external link to {link.filename}:{link.path}, not read)")
                return None
            try:
                obj = f.get(name)
            except (KeyError, OSError):
                obj = None
            if obj is None:
                links.append(f"/{name} (a link to nothing)")
            elif isinstance(link, h5py.SoftLink):  # another name for an object visited under its own name
                return None
            elif isinstance(obj, h5py.Dataset):
                datasets.append(name)
            elif isinstance(obj, h5py.Group):
                groups.append(name)
            return None

        f.visit_links(visit)  # every link (visit() skips external ones)
        picked = {}  # {"key": …} when the dataset was picked by its name among several
        if key is None:
            ndims = (2, 3) if allow_3d else (2,)
            cands = [n for n in datasets if not is_id_name(n) and f[n].ndim in ndims and f[n].dtype.kind in "fiub"]
            key = auto_key(cands, f"{'2-D/3-D' if allow_3d else '2-D'} numeric datasets", "FILE.h5", "/") or next((k for k in PREFERRED_KEYS if k in datasets), None) \
                or (cands[0] if len(cands) == 1 else None)
            if key is None and not cands:
                found = [f"/{n} {_describe(f[n])}" for n in datasets] + links + [f"/{g} (group)" for g in groups]
                raise EmbgeoError(f"holds no {'2-D or 3-D' if allow_3d else '2-D'} numeric dataset (found: {', '.join(found[:8]) or 'nothing'})",
                                  hint="store the embeddings as one (n_samples, n_features) dataset of numbers"
                                       + ("; embgeo reads only the file itself, never linked files" if links else ""))
            if key is None:
                raise EmbgeoError(f"holds several {'2-D/3-D' if allow_3d else '2-D'} numeric datasets ({', '.join('/' + c for c in cands[:8])}); which one?",
                                  hint=f"name it as FILE.h5:/{cands[0]}")
            rivals = {n: tuple(f[n].shape) for n in datasets if n != key and not is_id_name(n.rpartition("/")[2])
                      and f[n].ndim >= 2 and f[n].dtype.kind in "fiub"}
            if key in datasets and f[key].ndim >= 2 and len([n for n in datasets if not is_id_name(n.rpartition("/")[2])]) > 1:  # every other matrix (numbers, 2-D or more) is a rival, whatever its shape
                picked = picked_key(key, {key: tuple(f[key].shape), **rivals}, "datasets", "FILE.h5", "/")
        key = key.lstrip("/")
        _check_local(f, key, h5py)
        if key not in f or not isinstance(f[key], h5py.Dataset):
            raise EmbgeoError(f"has no dataset '/{key}' (datasets: {', '.join('/' + d for d in datasets[:8]) or 'none'})")
        ds = f[key]
        if ds.ndim < 2:  # ids, labels, a scalar: say what it is, and the matrix to name
            raise not_a_matrix(key, ds.shape, "FILE.h5", [d for d in datasets if f[d].ndim >= 2], prefix="/")
        if ds.dtype.kind not in "fiub":
            raise EmbgeoError(f"dataset '/{key}' has dtype {ds.dtype}; expected real numbers", hint=dtype_hint(ds.dtype))
        if ds.is_virtual:
            raise EmbgeoError(f"dataset '/{key}' is a virtual dataset (it maps other files); embgeo reads only the file itself",
                              hint="copy the data into a regular dataset")
        if ds.external:
            raise EmbgeoError(f"dataset '/{key}' keeps its data in external files ({ds.external[0][0]!r}); embgeo reads only the file itself",
                              hint="copy the data into a regular dataset")
        arr = hdf5_array(path, ds)
        stack = allow_3d if allow_3d and arr.ndim == 3 else False  # a layer stack L×n×d: the ids belong to the n rows (axis 1)
        arr = layers_first(arr, allow_3d)
        rows = (arr.shape[1] if stack else arr.shape[0]) if arr.ndim else 0
        ids = None
        paths, found = hdf5_id_keys(f, datasets, key, rows)  # beside the matrix, then at the root; read once; two that differ are a question
        for ik in paths:
            cand = f[ik]
            meant = ik.rpartition("/")[2].lower() in ("ids", "id")
            if not isinstance(cand, h5py.Dataset):
                continue
            if cand.ndim == 1 and len(cand) == rows and cand.dtype.kind in "iufSOU" and not cand.is_virtual and not cand.external:
                ids = found  # the first that fits (hdf5_id_keys read it)
                break
            if meant and cand.ndim == 1 and len(cand) == rows:  # meant as ids, but not readable as ids: never dropped silently
                what = ("is a virtual dataset" if cand.is_virtual else "keeps its data in external files") if cand.is_virtual or cand.external \
                    else f"has dtype {cand.dtype}"
                raise EmbgeoError(f"dataset '/{ik}' {what}; ids must be text or numbers stored in the file itself",
                                  hint=f"store one id per row as strings or integers in '/{ik}'")
            fix = f"store one id per row (a 1-D '/{ik}' of length {rows})"
            if meant and stack:  # (the shape cannot fit here)
                raise stack_ids_error(f"dataset '/{ik}' has shape {cand.shape}", f"'/{key}'", arr.shape, fix, cand.shape,
                                      rows_first=stack == "rows-first")
            if meant and arr.ndim == 2 and (cand.ndim != 1 or len(cand) != rows):  # meant as ids, but they do not fit: never drop them silently
                raise EmbgeoError(f"dataset '/{ik}' has shape {cand.shape} but '/{key}' has {rows} rows", hint=fix)
        cands = []  # 1-D unique integers or text beside the matrix: not read as ids; a join asks about them
        if ids is None and (stack or arr.ndim == 2):
            cands = hdf5_unnamed_ids(f, datasets, key, rows)
        vectors = [d for d in datasets if d != key and not is_id_name(d.rpartition("/")[2]) and f[d].shape == (rows,)] \
            if stack or arr.ndim == 2 else []
    return stack_or_set(arr, ids, stack, with_vectors(with_id_candidates({"keys": datasets, **picked}, cands), vectors))


def _describe(ds) -> str:
    """A dataset's rank and type for an error message: ``1-D float32``, ``scalar int64``, ``2-D string``."""
    rank = "scalar" if ds.ndim == 0 else f"{ds.ndim}-D"
    kind = "string" if ds.dtype.kind in "SUO" else str(ds.dtype)
    return f"{rank} {kind}"


def hdf5_array(path: Path, ds) -> np.ndarray:
    """A contiguous, uncompressed dataset stored in the file itself is memory-mapped straight from
    the file (its data offset is known and the file must hold all of it); a chunked or compressed
    one is read (into memory, or block by block into a spill file) only if the bytes it declares
    are at most :data:`MAX_EXPANSION` times the bytes it stores."""
    declared = int(ds.size) * ds.dtype.itemsize
    if ds.chunks is None and ds.compression is None and ds.size > 0:
        offset = ds.id.get_offset()
        if offset is not None:
            if offset + declared > path.stat().st_size:
                raise EmbgeoError(f"dataset '{ds.name}' declares {declared} bytes past the end of the file (truncated?)")
            return np.memmap(path, dtype=ds.dtype, mode="r", offset=offset, shape=ds.shape)
    stored = int(ds.id.get_storage_size())
    if declared > MAX_EXPANSION * stored + (1 << 20):
        raise EmbgeoError(f"dataset '{ds.name}' declares {declared} bytes of data but stores only {stored}",
                          hint="its chunks were never written; the file is incomplete or corrupt")
    if ds.ndim != 2 or declared <= spill_bytes():
        return ds[()]
    step = max(READ_BLOCK_ROWS // max(1, ds.chunks[0]), 1) * ds.chunks[0] if ds.chunks else READ_BLOCK_ROWS
    with Sink(ds.shape[0]) as sink:  # chunked/compressed and large: block by block into a temporary memory map
        for a in range(0, ds.shape[0], step):
            sink.add(ds[a : a + step])
        return sink.result()


# ---------------------------------------------------------------- parquet

def _fill(name: str, row: int | None = None) -> str:
    """What to do about a missing (null) cell of the embedding column ``name`` (or a missing value inside the vector of ``row``)."""
    drop = f"df = df.drop(index={row})" if row is not None else f"df = df.dropna(subset=['{name}'])"
    return f"fill it in, or drop the row (e.g. pandas: {drop}), and write the file again"


def _first_null(arr) -> int:
    """The position of the first null of a pyarrow array."""
    return int(np.flatnonzero(np.asarray(arr.is_null()))[0])


def _not_numeric(name: str, values, row: int, d: int | None) -> EmbgeoError:
    """A column (``d`` is None) or the values of a list column (``d`` per row) not stored as numbers:
    names the first value that is not a number (or the type, when every value reads as one)."""
    from embgeo.io.common import is_plain_number

    per = d or 1
    fix = (f"store the vectors as lists of floats (e.g. pyarrow: table.column('{name}').cast(pa.list_(pa.float32())))" if d
           else f"store the column as floats (e.g. pandas: df['{name}'] = pd.to_numeric(df['{name}']))") + " and write the file again"
    typed = f"the column holds {values.type} values; expected floats or integers"
    for i, v in enumerate(values.to_pylist()):
        if v is None or not is_plain_number(str(v).strip()):
            where = f"row {row + i // per}" + (f", value {i % per} of the vector" if d else "")
            what = "missing (null)" if v is None else f"{str(v).strip()[:30]!r} is not a number"
            return EmbgeoError(f"column '{name}', {where}: {what} ({typed})", hint="fix the value, then " + fix)
    return EmbgeoError(f"column '{name}': {typed}", hint=fix)


def _decimal_as_float(col, pa):
    """A decimal column as float64, each value the float nearest to it (through its text: Arrow's own cast
    to float64 can be one unit in the last place off, e.g. 0.412 → 0.41200000000000003); nulls stay null."""
    text = col.cast(pa.string())
    return pa.array(np.asarray(text.fill_null("nan").to_numpy(zero_copy_only=False), dtype=np.float64), mask=np.asarray(text.is_null()))


def _refuse_numbers_as_text(name: str, values: list, path: Path) -> None:
    """A text column of a parquet file whose dimensions are its numeric columns, holding fractions (numbers
    that are not whole: ``0.123``, ``1e-3``) in at least half of its cells: a dimension stored as text, or a
    label? Never guessed. Whole numbers as text (zip codes ``02139``, codes ``0``/``1``, ``00042``) are labels:
    parquet is typed, and a string column is text its writer chose."""
    cells = [str(v).strip() for v in values if v is not None and str(v).strip()]
    fractions = [c for c in cells if is_plain_number(c) and not c.lstrip("+-").isdigit()]
    if cells and 2 * len(fractions) >= len(cells):
        raise EmbgeoError(f"column '{name}' stores numbers as text ({len(fractions)} of its {len(cells)} values are fractions, e.g. "
                          f"{fractions[0][:20]!r}): a dimension or a label column? embgeo does not guess", source=str(path),
                          hint="write it as a float column to read it as a dimension; to keep it as a label, store the vectors "
                               f"as one list column and read it as {path.name}:COLUMN")


def _is_text(t, pa) -> bool:
    """Is the arrow type ``t`` text or bytes (string, binary, their large/view forms, or a dictionary of them: a pandas categorical)?"""
    t = t.value_type if pa.types.is_dictionary(t) else t
    view = getattr(pa.types, "is_string_view", None), getattr(pa.types, "is_binary_view", None)
    return (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t)
            or pa.types.is_fixed_size_binary(t) or any(f is not None and f(t) for f in view))


def _text(v) -> str:
    """A parquet cell as text (bytes decoded as UTF-8; a null as an empty cell)."""
    return "" if v is None else v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def _pandas_index(schema, names: list[str]) -> list[str]:
    """The columns that hold the pandas index of the data frame the file was written from (``__index_level_0__``,
    or the index's name): its metadata's ``index_columns`` stored as columns (a RangeIndex is stored as metadata only)."""
    try:
        meta = schema.pandas_metadata or {}
    except Exception:  # noqa: BLE001 - unreadable pandas metadata: no index is known (an index column is still refused by its name)
        meta = {}
    cols = meta.get("index_columns", []) if isinstance(meta, dict) else []
    return [c for c in cols if isinstance(c, str) and c in names] if isinstance(cols, list) else []


def _pandas_range_index(schema, n: int) -> tuple[str, np.ndarray] | None:
    """A named pandas RangeIndex (``set_index('id')`` over ids 1 … n in pandas 3) kept in the metadata only
    (no column): its name and values, when it is the whole index and spans the ``n`` rows. An unnamed one is
    the default row numbering: None."""
    try:
        meta = schema.pandas_metadata or {}
    except Exception:  # noqa: BLE001 - unreadable pandas metadata: no index is known
        return None
    cols = meta.get("index_columns", []) if isinstance(meta, dict) else []
    if not isinstance(cols, list) or len(cols) != 1 or not isinstance(cols[0], dict) or cols[0].get("kind") != "range":
        return None
    r, name = cols[0], cols[0].get("name")
    try:
        values = np.arange(int(r["start"]), int(r["stop"]), int(r.get("step", 1)), dtype=np.int64)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return (name, values) if isinstance(name, str) and name and values.size == n else None


def _auto_index(c: str) -> bool:
    """Is ``c`` an unnamed pandas index stored as a column (``__index_level_0__``): the old row positions of the frame?"""
    return c.startswith("__index_level_") and c.endswith("__")


def _which_ids(cands: list[str], index_cols: list[str], range_name: str | None = None) -> EmbgeoError:
    """Several columns that could be the row ids (a pandas index and an ``id`` column, or the levels of a MultiIndex)."""
    named = ", ".join(f"the pandas index column {c!r}" if c in index_cols else f"column {c!r}" for c in cands)
    if range_name is not None:
        named += f", the pandas index {range_name!r} (a RangeIndex kept in the metadata)"
    return EmbgeoError(f"holds several columns that could be the row ids ({named}); embgeo does not guess which one",
                       hint="pass " + " or ".join(use_id_col(c) for c in cands[:3]) + "; the others are not read as dimensions")


def read_parquet(path: Path, *, key=None, id_col=None, attr_cols=(), allow_3d=False) -> EmbeddingSet:
    """Parquet: the vector column (list / fixed-size list) or the numeric columns are read
    batch by batch (row groups), so a file larger than memory is spilled to a temporary
    memory map rather than loaded; an ``id`` column (or ``id_col``) gives the ids, never a
    dimension; other scalar columns become attributes, and so do the columns named in
    ``attr_cols`` whatever they hold (an integer ``year`` beside float dimensions)."""
    require("pyarrow", package="pyarrow", extra="parquet", feature="reading parquet files")
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path, pre_buffer=False, memory_map=False)  # no read-ahead of whole row groups
        schema = pf.schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise EmbgeoError(f"is not a readable parquet file ({short_error(exc)})") from None
    names = list(schema.names)
    n = pf.metadata.num_rows
    if id_col is not None and id_col not in names:
        raise EmbgeoError(f"no id column '{id_col}' (columns: {', '.join(names[:12])})", hint=f"pass {param('id_col')} with a column name from the file")
    attrs = set(check_attr_cols(attr_cols, names, id_col=id_col, key=key))  # attributes the caller named: never dimensions or ids
    index_cols = [c for c in _pandas_index(schema, names) if c not in attrs]  # the pandas index stored as a column: the row ids, never a dimension
    named_id = "id" in names and key != "id" and "id" not in attrs
    not_dims = set(index_cols) | attrs | ({"id"} if index_cols and named_id else set())
    has_id = id_col is not None or named_id
    # an unnamed index (__index_level_0__: the old row positions of a filtered frame) beside an id column: dropped, no question
    index_cols = [c for c in index_cols if not (has_id and _auto_index(c) and c != id_col)]
    ranged = _pandas_range_index(schema, n) if id_col is None else None
    if ranged is not None and ranged[0] in names:
        ranged = None
    if id_col is None:
        cands = [c for c in index_cols if c != key] + (["id"] if named_id and "id" not in index_cols else [])
        if len(cands) > 1 or (cands and ranged is not None):
            raise _which_ids(cands, index_cols, ranged[0] if ranged is not None else None)
        id_col = cands[0] if cands else None
    is_list = lambda t: pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)  # noqa: E731
    # a decimal column is numbers (read as float64); a text column of numbers is refused below (never a silent label)
    is_num = lambda t: pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t)  # noqa: E731
    list_cols = [c for c in names if is_list(schema.field(c).type)]
    for c in attrs & set(list_cols):
        raise EmbgeoError(f"column {c!r} holds vectors (a list column), so it cannot be an attribute",
                          hint=f"drop it from {param('attr_cols', '--attr-col')}; name it as {path.name}:{c} to read it as the embeddings")
    num_cols: list[str] = []
    if key is not None:
        if key not in names:
            best = list_cols[0] if list_cols else None
            raise EmbgeoError(f"has no column '{key}' (columns: {', '.join(names[:12])})",
                              hint=f"name the vector column: {path.name}:{best}" if best else f"drop ':{key}' to read the numeric columns as the dimensions")
        list_cols = [key] if is_list(schema.field(key).type) else []
        num_cols = [] if list_cols else [key]
        if not list_cols and not is_num(schema.field(key).type) and (key == id_col or key in index_cols or named_like_ids(key)):
            best = next((c for c in names if is_list(schema.field(c).type)), None)
            fix = f"name the vector column instead ({path.name}:{best})" if best else f"drop ':{key}' to read the numeric columns as the dimensions"
            raise EmbgeoError(f"column '{key}' is the id column (the row ids, {schema.field(key).type}), not the embeddings",
                              hint=fix + (f"; its rows take their ids from '{key}'" if key == "id" else f", and pass {use_id_col(key)} to read '{key}' as the row ids"))
    if len(list_cols) > 1:
        raise EmbgeoError(f"several list columns ({', '.join(list_cols)})", hint="name one as FILE.parquet:COLUMN")
    if not list_cols and key is None:
        num_cols = [c for c in names if c != id_col and c not in not_dims and is_num(schema.field(c).type)]
        for c in num_cols:  # an integer column named like an index or an id: never a dimension (as in a CSV file)
            if pa.types.is_integer(schema.field(c).type) and named_like_ids(c):
                raise id_named_column_error(c, id_col)
        if not num_cols:
            raise EmbgeoError(f"has no list column and no numeric columns (columns: {', '.join(names[:12])})",
                              hint="store the embeddings as one list column or as one float column per dimension")
    row = 0
    with Sink(n) as sink:
        if list_cols:
            name = list_cols[0]
            for batch in pf.iter_batches(columns=[name], batch_size=PARQUET_BATCH_ROWS, use_threads=False):
                col = batch.column(0)
                if col.null_count:
                    raise EmbgeoError(f"column '{name}', row {row + _first_null(col)}: the vector is missing (null)", hint=_fill(name))
                if pa.types.is_fixed_size_list(col.type):
                    d = col.type.list_size
                else:
                    lengths = np.asarray(col.value_lengths())
                    ref = lengths[0] if sink.d is None else sink.d
                    if lengths.size and (lengths != ref).any():
                        bad = int(np.flatnonzero(lengths != ref)[0])
                        raise EmbgeoError(f"column '{name}' is ragged: row {row + bad} has {lengths[bad]} values, row 0 has {ref}",
                                          hint="every vector needs the same length; fix or drop that row and write the file again")
                    d = int(ref) if lengths.size else 0
                values = col.flatten()
                if not (pa.types.is_floating(values.type) or pa.types.is_integer(values.type) or pa.types.is_boolean(values.type)):
                    raise _not_numeric(name, values, row, d or 1)
                if values.null_count:
                    i = _first_null(values)
                    bad = row + i // max(d, 1)
                    raise EmbgeoError(f"column '{name}', row {bad}: value {i % max(d, 1)} of the vector is missing (null)", hint=_fill(name, bad))
                flat = values.to_numpy(zero_copy_only=False)
                sink.add(flat.reshape(-1, d) if d else np.empty((len(col), 0)))
                row += len(col)
                del batch, col, flat
                pa.default_memory_pool().release_unused()
            used = {name, id_col}
        else:
            for batch in pf.iter_batches(columns=num_cols, batch_size=PARQUET_BATCH_ROWS, use_threads=False):
                cols = [_decimal_as_float(c, pa) if pa.types.is_decimal(c.type) else c for c in (batch.column(i) for i in range(len(num_cols)))]
                for c, cname in zip(cols, num_cols):
                    if not (pa.types.is_floating(c.type) or pa.types.is_integer(c.type) or pa.types.is_boolean(c.type)):
                        raise _not_numeric(cname, c, row, None)
                    if c.null_count:
                        raise EmbgeoError(f"column '{cname}', row {row + _first_null(c)}: the value is missing (null)", hint=_fill(cname))
                sink.add(np.column_stack([c.to_numpy(zero_copy_only=False) for c in cols]))
                row += batch.num_rows
                del batch, cols
                pa.default_memory_pool().release_unused()
            used = set(num_cols) | {id_col}
        matrix = sink.result()
    if num_cols and key is None:  # a column holding 0 … n−1 (or 1 … n) once each is a row index or a dimension: never guessed
        for j, start in index_like_columns(matrix):
            raise index_column_error(f"'{num_cols[j]}'", num_cols[j], start, n, id_col=id_col)
        floats = [c for c in num_cols if pa.types.is_floating(schema.field(c).type) or pa.types.is_decimal(schema.field(c).type)]
        ints = [c for c in num_cols if pa.types.is_integer(schema.field(c).type) and not named_like_the_dimensions(c, floats)]  # e15 beside e0 … e14: a dimension
        if floats and ints:  # an integer column among float columns (a label, a year): a dimension? never guessed, as in CSV
            c = ints[0]
            raise EmbgeoError(f"column '{c}' is an integer column{f' (so are {len(ints) - 1} more)' if len(ints) > 1 else ''} while "
                              f"{len(floats)} other columns are floats: an attribute or a code, or an embedding dimension? embgeo does not guess which",
                              hint=f"pass {use_id_col(c)} if it holds row ids; "
                                   + (f"pass {use_attr_col(c) if len(ints) == 1 else either(f'attr_cols={ints!r}', '--attr-col ' + ','.join(ints))} "
                                      f"to keep {'it as an attribute' if len(ints) == 1 else 'them as attributes'}" if offers("attr_cols", "--attr-col") else
                                      f"to keep it as an attribute, store the vectors as one list column and read it as {path.name}:COLUMN "
                                      "(the other columns become labels), or move it to " + either("a labels file (embgeo.io.join_labels)", "a --labels file"))
                                   + "; to read it as a dimension, store it as float")
    scalars = [c for c in names if c not in used and not is_list(schema.field(c).type) and (c in attrs or not c.startswith("__index_level_"))]
    wanted = scalars + ([id_col] if id_col else [])
    table = pf.read(columns=wanted) if wanted else None
    attributes = {}
    for c in scalars:
        vals = table.column(c).to_pylist()
        if not list_cols and key is None and c not in not_dims and _is_text(schema.field(c).type, pa):  # (not_dims holds the attributes named)
            _refuse_numbers_as_text(c, [None if v is None else _text(v) for v in vals], path)
        attributes[c] = column_array([_text(v) for v in vals])
    ids = id_array(table.column(id_col).to_pylist(), f"column '{id_col}'") if id_col else None
    if ids is None and ranged is not None:  # a named RangeIndex: the ids, from its start, stop and step
        ids = id_array(ranged[1].tolist(), f"the pandas index {ranged[0]!r}")
    return EmbeddingSet(matrix=matrix, ids=ids, attributes=attributes, provenance={"columns": names})
