"""Helpers shared by the readers of every format (public names; no reader imports another's privates)."""
from __future__ import annotations

import math
import re

import numpy as np

from embgeo.errors import EmbgeoError, either
from embgeo.validation import dtype_hint

#: keys tried, in order, when a container holds several arrays and none was named
PREFERRED_KEYS = ("embeddings", "embedding", "X", "x", "vectors", "arr_0", "data")
#: arrays / datasets / columns that hold row ids, never a dimension
ID_KEYS = ("ids", "id", "words", "labels_id")


def short_error(exc: BaseException) -> str:
    """An exception's text on one line, at most 200 characters (its type when it has no text)."""
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def check_numeric(arr: np.ndarray, what: str) -> None:
    """Raise unless ``arr`` holds plain numbers (never Python objects)."""
    if arr.dtype.hasobject:
        raise EmbgeoError(f"{what} holds Python objects (a pickle); embgeo never unpickles", hint="save a plain numeric array")
    if arr.dtype.kind not in "fiub":
        raise EmbgeoError(f"{what} has dtype {arr.dtype}; expected real numbers", hint=dtype_hint(arr.dtype))


def _id_text(v) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, (float, np.floating)) and float(v).is_integer() and abs(v) < 2**53:
        return str(int(v))  # a whole number stored as a float is the same id as the integer: 3.0 → "3"
    return str(v)


def ids_as_text(values) -> np.ndarray:
    """Row ids of any dtype (int, float, bytes, str) as a str array; a whole-number float is written
    as the integer (``3.0`` → ``"3"``), any other float as Python writes it (``1.5``)."""
    return np.asarray([_id_text(v) for v in values], dtype=str)


def is_plain_number(text: str) -> bool:
    """Is ``text`` a number as CSV and text vector files write it (ASCII digits, ``.``, ``e``,
    ``inf``/``nan``)? Python's ``float`` also reads ``1_000`` and full-width ``６``; those are not
    numbers in a data file (they are read as non-numeric cells)."""
    if not text.isascii() or "_" in text:
        return False
    try:
        float(text)
        return True
    except ValueError:
        return False


def plain_floats(values: list[str]) -> list[float]:
    """``float`` of every value, raising ValueError for a value :func:`is_plain_number` refuses."""
    out = list(map(float, values))
    joined = "".join(values)
    if "_" in joined or not joined.isascii():
        raise ValueError("not a plain number")
    return out


#: cells read as missing (for header sniffing and label columns); in a numeric column they are bad cells
MISSING = frozenset(("", "na", "n/a", "null", "none", "nil", "-"))
#: a number written with a comma: a decimal comma (0,5), a thousands separator (1,000) or both (1.234,5)
COMMA_NUMBER = re.compile(r"(?=[^,]*,)[+-]?[0-9]*(?:[.,][0-9]+)+(?:[eE][+-]?[0-9]+)?")


def column_array(values) -> np.ndarray:
    """A label column: numbers (empty / NA → NaN) as float64, anything else as str."""
    out = []
    for v in values:
        s = v.strip()
        if s.lower() in MISSING:
            out.append(np.nan)
            continue
        if not is_plain_number(s):
            return np.asarray([v.strip() for v in values], dtype=str)
        out.append(float(s))
    return np.asarray(out, dtype=np.float64)


def cell_kind(text: str) -> str:
    """``missing``, ``num``, ``comma`` (a number written with a comma: ``0,5``), ``list`` or ``text``."""
    t = text.strip()
    if t.lower() in MISSING:
        return "missing"
    if is_plain_number(t):
        return "num"
    if COMMA_NUMBER.fullmatch(t):
        return "comma"
    return "list" if t.startswith("[") else "text"


def id_array(values, what: str) -> np.ndarray:
    """Row ids as a str array, by the same rule in every reader: text, integers and floats
    (:func:`ids_as_text`) are ids; a missing (null), empty or NaN/inf id, or a value that is
    not one id (a list, a dict, a bool), is an error naming its row."""
    values = list(values)
    for i, v in enumerate(values):
        if v is None or (isinstance(v, (str, bytes)) and not v.strip()):
            raise EmbgeoError(f"{what}, row {i}: the id is {'missing (null)' if v is None else 'empty'}",
                              hint="every row needs an id; fill it in or remove the row")
        if isinstance(v, (bool, np.bool_, list, tuple, dict, set, np.ndarray)):
            raise EmbgeoError(f"{what}, row {i}: the id is a {type(v).__name__} ({str(v)[:30]!r}), not text or a number",
                              hint="save one id per row as text or an integer")
        if isinstance(v, (float, np.floating)) and not math.isfinite(v):
            raise EmbgeoError(f"{what}, row {i}: the id is {v}", hint="every row needs an id; fill it in or remove the row")
    return ids_as_text(values)


#: a numeric column holding each of 0 … n−1 (or 1 … n) exactly once over at least this many rows is
#: ambiguous (a row index or a dimension?) and refused; with fewer rows it stays a dimension
INDEX_MIN_ROWS = 20  # fewer rows: a small grid or line of integer coordinates is data (0 … 4 is not evidence)


def index_like_columns(matrix: np.ndarray, block_rows: int = 65536) -> list[tuple[int, int]]:
    """``(column, start)`` for every column of the ``(n, d)`` ``matrix`` whose values are exactly an
    integer permutation of ``0 … n−1`` (start 0) or ``1 … n`` (start 1), ``n ≥ INDEX_MIN_ROWS``.
    Read block by block (a memory-mapped matrix stays mapped); only candidates are sorted."""
    n = int(matrix.shape[0])
    if matrix.ndim != 2 or n < INDEX_MIN_ROWS or matrix.shape[1] == 0 or matrix.dtype.kind not in "fiu":
        return []
    lo = hi = None
    for a in range(0, n, block_rows):
        blk = np.asarray(matrix[a : a + block_rows], dtype=np.float64)
        bmin, bmax = blk.min(axis=0), blk.max(axis=0)  # NaN propagates: a column with NaN is no candidate
        lo = bmin if lo is None else np.minimum(lo, bmin)
        hi = bmax if hi is None else np.maximum(hi, bmax)
    out = []
    for j in np.flatnonzero(((lo == 0) | (lo == 1)) & (hi == lo + n - 1)):
        col = np.asarray(matrix[:, j], dtype=np.float64)
        start = int(lo[j])
        if np.array_equal(np.sort(col), np.arange(start, start + n, dtype=np.float64)):
            out.append((int(j), start))
    return out


#: the formats whose row ids come from a column (``id_col``); the others keep them in an ``ids`` array
TABULAR_FORMATS = ("csv", "tsv", "parquet")


def where_ids(formats=()) -> str:
    """Where row ids come from, for inputs read in ``formats`` (``None`` entries: unknown), as a hint
    names them: a column of a CSV/TSV/parquet file (``embgeo.load(..., id_col=COLUMN)`` / ``--id-col
    COLUMN``) or an ``ids`` array saved beside the matrix (.npz, .h5, .pt, safetensors metadata),
    both when the formats are unknown or mixed."""
    known = {f for f in formats if f}
    column = either("embgeo.load(..., id_col=COLUMN)", "--id-col COLUMN")
    array = "an 'ids' array saved beside the matrix in .npz, .h5 or .pt, or 'ids' metadata in safetensors"
    if known and known <= set(TABULAR_FORMATS):
        return f"an id column, {column}"
    if known == {"npy"}:
        return "an 'ids' array, by saving the matrix as .npz, .h5 or .pt with its ids beside it"
    if known and not known & set(TABULAR_FORMATS):
        return array
    return f"{array}, or an id column of a CSV/TSV/parquet file, {column}"


def use_id_col(name: str | None = None) -> str:
    """``--id-col NAME`` as the caller writes it (``id_col='NAME'`` from Python)."""
    return either(f"id_col={name!r}", f"--id-col {name!r}") if name is not None else either("id_col='NAME'", "--id-col NAME")


def index_column_error(label: str, name: str | None, start: int, n: int, *, id_col: str | None = None) -> EmbgeoError:
    """The one line for a column that holds a row index (:func:`index_like_columns`): it is never
    silently an embedding dimension. ``label`` names it in the message (``'row'``), ``name`` is what
    ``--id-col`` takes (None when the file has no header)."""
    if name is None:
        fix = f"the file has no header: add a header line naming the columns and pass {use_id_col()} to use it as row ids, or drop the column"
    elif not name:
        fix = f"give the column a name and pass {use_id_col()} to use it as row ids, or drop the column"
    elif id_col is not None:
        fix = f"drop the column (the ids come from column {id_col!r}), or pass {use_id_col(name)} to use it as the row ids instead"
    else:
        fix = f"pass {use_id_col(name)} to use it as row ids, or drop the column to keep only the other columns as dimensions"
    return EmbgeoError(f"column {label} holds each of the integers {start} … {start + n - 1} once, like a row index; "
                       "embgeo does not guess whether it is row ids or an embedding dimension", hint=fix)


def auto_key(cands: list[str], noun: str, example: str, prefix: str = "") -> str | None:
    """The one name of :data:`PREFERRED_KEYS` among ``cands`` (the arrays that could be the matrix),
    None when there is none; several (``X`` and ``arr_0``) are ambiguous: "which one?", never the
    first of the list. ``example`` is how the hint writes the file (``FILE.npz``), ``prefix`` what
    precedes a key (``/`` for HDF5)."""
    present = [k for k in PREFERRED_KEYS if k in cands]
    if len(present) > 1:
        raise EmbgeoError(f"holds several {noun} ({', '.join(prefix + k for k in present)}); which one?",
                          hint="name it as " + " or ".join(f"{example}:{prefix}{k}" for k in present))
    return present[0] if present else None


def no_key(key, what: str, noun: str = "matrix") -> None:
    """A file that holds one ``noun`` takes no ``:KEY`` (``--id-col`` is refused by :func:`embgeo.io.load`)."""
    if key:
        raise EmbgeoError(f"a {what} file holds one {noun}; got key '{key}'", hint="drop the ':KEY' part")


def not_utf8(path, what: str = "") -> EmbgeoError:
    """The error for a text file that is not UTF-8: the first bad line and byte, and the command that converts it."""
    from pathlib import Path

    path = Path(path)
    where = ""
    try:
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    where = f": line {lineno} holds the byte 0x{raw[exc.start]:02x} (byte {exc.start + 1} of the line)"
                    break
    except OSError:
        pass
    fixed = f"{path.stem}-utf8{path.suffix}"
    return EmbgeoError(f"{what + ' ' if what else ''}is not UTF-8 text{where}", source=str(path),
                       hint=f"convert it to UTF-8 from its encoding (e.g. latin1): iconv -f latin1 -t utf-8 {path.name} > {fixed}, then pass {fixed}")
