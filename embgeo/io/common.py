"""Helpers shared by the readers of every format (public names; no reader imports another's privates)."""
from __future__ import annotations

import math
import re

import numpy as np

from embgeo.errors import EmbgeoError, either, offers, param, setting
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


#: a number as an id may be written: sign, digits with at most one '.', an exponent (no inf/nan, no '_')
_NUMBER_ID = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]{1,6}))?")


#: an id written as a whole-number float (``3.0``: pandas after a NaN in an integer column): the integer's id
WHOLE_FLOAT_ID = re.compile(r"([+-]?[0-9]+)\.0+")


def id_key(text) -> str:
    """The form in which two ids are compared, on every side of every join (embeddings of any format,
    a labels table, both inputs of ``compare``/``gap``, the per-layer files of a stack) and by every
    check for repeated ids: the id's text with the spaces around it stripped (``' w1 '`` is ``'w1'``),
    compared as written, case and all — ``01`` and ``1``, ``1.1`` and ``1.10``, ``1e3`` and ``1000``
    are different ids, as text ids are (word vectors hold all of them).

    Numbers stored as numbers become text once, when they are read (:func:`ids_as_text`: ``3`` and
    ``3.0`` are ``"3"``), and a cell of a CSV/TSV id column written as a whole-number float (``3.0``) is
    the integer's id there (:func:`csv_id`), so an integer id joins the same number however a
    file wrote it. Messages show ids as they were read, never their keys."""
    return (text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)).strip()


def csv_id(cell: str) -> str:
    """The id of a CSV/TSV cell: its text stripped, and a whole-number float (``3.0``, ``3.00``) the
    integer (``3``): a text file does not say that a column held numbers, and pandas writes an integer
    id column as floats once it holds a missing value. Every reader of text tables applies it."""
    s = cell.strip()
    m = WHOLE_FLOAT_ID.fullmatch(s)
    return m.group(1) if m else s


def canonical_number(text) -> str:
    """A number's text written canonically (for ids stored as numbers: :func:`ids_as_text`): ``1.0`` is
    ``1``, ``1.50`` is ``1.5``, ``-0.0`` is ``0``, ``1e3`` is ``1000``; exact (decimal, never rounded
    through float). Text that is not a plain number is returned stripped."""
    s = (text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)).strip()
    m = _NUMBER_ID.fullmatch(s)
    if m is None or not (m.group(2) or m.group(3)):
        return s
    sign, whole, frac, exp = m.group(1), m.group(2), m.group(3) or "", m.group(4)
    digits = (whole + frac).lstrip("0")
    if not digits:
        return "0"
    e = int(exp or 0) - len(frac)
    kept = digits.rstrip("0")
    e += len(digits) - len(kept)
    digits = kept
    sign = "-" if sign == "-" else ""
    if e >= 0 and len(digits) + e <= 40:
        return sign + digits + "0" * e
    if e < 0 and -e <= 40:
        padded = digits.rjust(1 - e, "0")
        return f"{sign}{padded[:e]}.{padded[e:]}"
    return f"{sign}{digits[0]}{'.' + digits[1:] if len(digits) > 1 else ''}e{e + len(digits) - 1}"



def id_keys(ids) -> list[str]:
    """:func:`id_key` of every id (``ids``: any sequence or array of ids)."""
    return [id_key(v) for v in (ids.tolist() if isinstance(ids, np.ndarray) else ids)]


def repeated_ids(ids) -> list[tuple[int, int]]:
    """``(first, row)`` for every row whose id (by :func:`id_key`)
    is the id of an earlier row ``first``; empty when the ids are unique."""
    seen: dict[str, int] = {}
    out = []
    for i, k in enumerate(id_keys(ids)):
        j = seen.setdefault(k, i)
        if j != i:
            out.append((j, i))
    return out


def repeated_id_text(ids, first: int, row: int) -> str:
    """``id '1' (rows 0 and 1)``, or ``id 'a' (row 0) and ' a' (row 1), the same id`` when the spaces
    around them differ: a repeated id (:func:`repeated_ids`) as read, for a message."""
    a, b = str(ids[first]), str(ids[row])
    if a == b:
        return f"id {a[:40]!r} (rows {first} and {row})"
    return f"id {a[:40]!r} (row {first}) and {b[:40]!r} (row {row}), the same id"


def _id_text(v) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return canonical_number(str(v))  # a number is written canonically: 3.0 → "3", -0.0 → "0", 1.5 → "1.5"
    return str(v)


def ids_as_text(values) -> np.ndarray:
    """Row ids of any dtype (int, float, bytes, str) as a str array: text as written (bytes decoded
    as UTF-8), a number written canonically (:func:`canonical_number`): a whole-number float as the integer
    (``3.0`` → ``"3"``, ``-0.0`` → ``"0"``), any other float in its shortest form (``1.5``)."""
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


def one_id_set(found) -> np.ndarray | None:
    """The row ids of a container from the id arrays it holds (``found``: ``(what, ids)`` for each
    of :data:`ID_KEYS` present that fits the rows, in that order; ``what`` names it, e.g. ``array
    'ids'``). One set is read; several that hold the same ids (by :func:`id_key`) are read as the
    first; several that differ are an error naming both and the first row where they differ: no
    option picks an id array (``:KEY`` names the matrix), so the fix is to keep one in the file."""
    found = list(found)
    if not found:
        return None
    what0, ids0 = found[0]
    keys0 = id_keys(ids0)
    for what, ids in found[1:]:
        keys = id_keys(ids)
        if keys != keys0:
            bad = next(i for i, (a, b) in enumerate(zip(keys0, keys)) if a != b)
            raise EmbgeoError(f"holds two sets of row ids that differ ({what0} and {what}, first at row {bad}: "
                              f"{str(ids0[bad])[:30]!r} vs {str(ids[bad])[:30]!r}); embgeo does not guess which one",
                              hint=f"keep one of them in the file (drop {what} or {what0}); no option picks an id array")
    return ids0


def is_id_name(name) -> bool:
    """Is ``name`` one of :data:`ID_KEYS` in any case (``IDs``, ``ID``, ``Ids``)?"""
    return isinstance(name, str) and name.lower() in ID_KEYS


def id_names(names, key=None) -> list[str]:
    """The names among ``names`` that hold row ids (:func:`is_id_name`), ``key`` (the matrix) left
    out, in the order of :data:`ID_KEYS` (``ids`` before ``IDs``, both before ``words``)."""
    found = [n for n in names if is_id_name(n) and n != key]
    return sorted(found, key=lambda n: (ID_KEYS.index(n.lower()), n != n.lower(), n))


def may_be_ids(values, rows: int) -> bool:
    """Could ``values``, saved beside a matrix of ``rows`` rows under a name that is not an id name,
    be its row ids? A 1-D array (or list) of integers or text, one per row, all different. Floats
    (scores) and repeated values (class labels) are not ids."""
    arr = values if isinstance(values, np.ndarray) else None
    if arr is None:
        vals = list(values)
        if not all(isinstance(v, (str, bytes)) or (isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))) for v in vals):
            return False
        arr = np.asarray([v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in vals])
    if rows < 2 or arr.ndim != 1 or len(arr) != rows:
        return False
    if arr.dtype.kind == "O":
        if not all(isinstance(v, (str, bytes)) for v in arr.tolist()):
            return False
        return len(set(arr.tolist())) == rows
    return arr.dtype.kind in "iuSU" and np.unique(arr).size == rows


def unnamed_id_candidates(arrays, rows: int) -> list[str]:
    """The names (``what``: e.g. ``array 'texts'``) of those of ``arrays`` (``(what, name, values)``: the
    1-D arrays saved beside a matrix of ``rows`` rows that has no id array) that :func:`may_be_ids`.
    They are not read as ids (embgeo reads ids only from an array named like :data:`ID_KEYS`), and
    reading the file is no guess; a reader records them as ``provenance["id_candidates"]`` and a join
    of rows (:func:`embgeo.io.join.row_orders`, :func:`embgeo.io.labels.join_labels`), where they
    would decide the result, asks (:func:`id_candidates`)."""
    return [what for what, _name, values in arrays if may_be_ids(values, rows)]


def id_candidates(es) -> list[str]:
    """The id candidates a reader recorded for ``es`` (:func:`unnamed_id_candidates`), when it has no ids."""
    if getattr(es, "ids", None) is not None:
        return []
    prov = getattr(es, "provenance", None)
    return list((prov or {}).get("id_candidates") or []) if isinstance(prov, dict) else []


def with_id_candidates(provenance: dict, candidates) -> dict:
    """``provenance`` with ``"id_candidates"`` set when ``candidates`` is not empty."""
    candidates = list(candidates or [])
    return {**provenance, "id_candidates": candidates} if candidates else provenance


def hdf5_id_keys(f, datasets, key: str, rows: int) -> tuple[list[str], np.ndarray | None]:
    """``(paths, ids)``: the datasets that may hold the row ids of the matrix ``key`` (of the open file
    ``f``; ``datasets``: its dataset names), in the order the HDF5 reader checks them — those named like
    ids (:func:`id_names`) in the matrix's own group first (``/data/ids`` beside ``/data/embeddings``),
    then at the root — and the ids of those that fit its ``rows``, read once (:func:`one_id_set`: two
    that differ are an error, never the first; None when none fits)."""
    group = key.strip("/").rpartition("/")[0]

    def in_group(g: str) -> list[str]:
        prefix = g + "/" if g else ""
        return [prefix + n for n in id_names([d[len(prefix):] for d in datasets if d.startswith(prefix) and "/" not in d[len(prefix):]])]

    paths = [p for p in in_group(group) + (in_group("") if group else []) if p != key.strip("/")]
    found = []
    for ik in paths:
        cand = f[ik]
        if getattr(cand, "ndim", None) == 1 and len(cand) == rows and cand.dtype.kind in "iufSOU" \
                and not cand.is_virtual and not cand.external:
            found.append((f"dataset '/{ik}'", id_array(cand[()], f"dataset '/{ik}'")))
    return paths, one_id_set(found)


def hdf5_unnamed_ids(f, datasets, key: str, rows: int) -> list[str]:
    """:func:`unnamed_id_candidates` for the 1-D datasets in the matrix's group and at the root of an HDF5 file."""
    group = key.strip("/").rpartition("/")[0]
    near = [d for d in datasets if d.rpartition("/")[0] in (group, "") and d != key.strip("/") and not is_id_name(d.rpartition("/")[2])]
    arrays = []
    for d in near:
        cand = f[d]
        if cand.ndim == 1 and len(cand) == rows and cand.dtype.kind in "iuSO" and not cand.is_virtual and not cand.external:
            arrays.append((f"dataset '/{d}'", d, cand[()]))
    return unnamed_id_candidates(arrays, rows)


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


#: integer columns named like a row index or an id (lower case; also ``unnamed: N``, ``__index_level_N__``
#: and any ``…_id``/``…_idx``): in a file whose dimensions are its numeric columns, never a dimension
ID_COLUMN_NAMES = frozenset(("", "id", "ids", "idx", "index", "row_id", "rowid", "row_idx", "docid", "row_index"))
_ID_COLUMN_NAME = re.compile(r"unnamed: [0-9]+|__index_level_[0-9]+__|.+[_\-. ](id|ids|idx|index)")
#: ``id``/``ids`` starting a camel-case word: ``docId``, ``docID``, ``itemIds`` (``valid``, ``grid`` do not)
_CAMEL_ID = re.compile(r"[A-Za-z0-9](Id|ID|Ids|IDs)")


def named_like_ids(name: str) -> bool:
    """Is a column's name that of a row index or an id — ``ID``, ``index``, ``idx``, ``row_id``, ``doc_id``,
    ``item-id``, ``user ids``, ``docId``, ``docID`` — the one rule of every reader with columns (CSV, TSV,
    parquet)? A word that merely ends in the letters (``valid``, ``grid``, ``android``) is not."""
    raw = str(name).strip()
    s = raw.lower()
    return s in ID_COLUMN_NAMES or _ID_COLUMN_NAME.fullmatch(s) is not None or any(
        _CAMEL_ID.fullmatch(raw[i:]) for i in range(max(0, len(raw) - 4), len(raw) - 1))


def id_named_column_error(name: str, id_col: str | None = None) -> EmbgeoError:
    """The one line for an integer column named like a row index or an id (:func:`named_like_ids`) in a
    file whose dimensions are its numeric columns: it is never silently an embedding dimension."""
    fix = (f"drop the column (the ids come from column {id_col!r}), or pass {use_id_col(name)} to use it as the row ids instead"
           if id_col is not None else f"pass {use_id_col(name)} to use it as row ids, or drop the column to keep only the other columns as dimensions")
    if offers("attr_cols", "--attr-col"):
        fix += f"; pass {use_attr_col(name)} to keep it as an attribute"
    return EmbgeoError(f"column {name!r} holds integers and is named like a row index or an id; embgeo does not use it as an embedding dimension",
                       hint=fix)


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


def use_attr_col(name: str | None = None) -> str:
    """``--attr-col NAME`` as the caller writes it (``attr_cols=['NAME']`` from Python)."""
    return either(f"attr_cols=[{name!r}]", f"--attr-col {name!r}") if name is not None else either("attr_cols=['NAME']", "--attr-col NAME")


def attr_col_list(attr_cols) -> list[str]:
    """``attr_cols`` (None, one column name, or a sequence of names) as a list of names; anything else (a number,
    a name that is not text) is refused in one line naming it."""
    if attr_cols is None:
        return []
    if isinstance(attr_cols, str):
        return [attr_cols]
    flag = param("attr_cols", "--attr-col")
    if not isinstance(attr_cols, (list, tuple)) and not (hasattr(attr_cols, "__iter__") and not isinstance(attr_cols, (bytes, dict))):
        raise EmbgeoError(f"{flag} must be a column name or a list of column names, got {attr_cols!r} ({type(attr_cols).__name__})",
                          hint=f"e.g. {use_attr_col('year')}")
    cols = list(attr_cols)
    bad = next((c for c in cols if not isinstance(c, str)), None)
    if bad is not None:
        raise EmbgeoError(f"{flag} must hold column names (text), got {bad!r} ({type(bad).__name__})", hint=f"e.g. {use_attr_col(str(bad))}")
    return cols


def check_attr_cols(attr_cols, names: list[str], *, id_col: str | None = None, key: str | None = None) -> list[str]:
    """The columns the caller names as attributes (``attr_cols``, ``--attr-col``), checked against the
    file's column ``names``: each must be a column, once, and neither the id column nor the matrix's own
    column (``key``). Returns them as a list (empty when none are named)."""
    if attr_cols is None:
        return []
    if isinstance(attr_cols, str):
        attr_cols = [attr_cols]
    cols = [str(c) for c in attr_cols]
    flag = param("attr_cols", "--attr-col")
    for c in cols:
        if c not in names:
            shown = ", ".join(repr(n) for n in names[:12]) + (", …" if len(names) > 12 else "")
            raise EmbgeoError(f"{flag} names the column {c!r}, but the file has no such column (columns: {shown})",
                              hint=f"give {flag} a column name from the file (names match exactly, case included)")
        if c == id_col:
            raise EmbgeoError(f"column {c!r} is named both as the id column and as an attribute", hint=f"drop it from {flag}, or name another {param('id_col')}")
        if c == key:
            raise EmbgeoError(f"column {c!r} is named both as the vector column (:{c}) and as an attribute", hint=f"drop it from {flag}")
    if len(set(cols)) != len(cols):
        twice = next(c for c in cols if cols.count(c) > 1)
        raise EmbgeoError(f"{flag} names the column {twice!r} twice", hint="name each attribute column once")
    return cols


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


def no_key(key, what: str, noun: str = "matrix") -> None:
    """A file that holds one ``noun`` takes no ``:KEY`` (``--id-col`` is refused by :func:`embgeo.io.load`)."""
    if key:
        raise EmbgeoError(f"a {what} file holds one {noun}; got key '{key}'", hint="drop the ':KEY' part")


#: byte-order marks of other encodings than UTF-8 (UTF-32 LE first: it starts like UTF-16 LE); the first block of a file
_BOMS, _HEAD_BYTES = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")), 1 << 16


def _bomless_utf16(head: bytes) -> str | None:
    """``"utf-16le"``/``"utf-16be"`` when ``head`` is ASCII text in UTF-16 without a byte-order mark (every other byte NUL)."""
    head = head[: min(4096, len(head) - len(head) % 2)]
    for enc, zeros, chars in (("utf-16le", head[1::2], head[0::2]), ("utf-16be", head[0::2], head[1::2])):
        if len(head) >= 8 and zeros.count(0) >= 0.9 * len(zeros) and chars.count(0) <= 0.1 * len(chars) \
                and sum(32 <= c < 127 or c in (9, 10, 13) for c in chars) >= 0.9 * len(chars):
            return enc
    return None


def not_utf8(path, what: str = "", *, binary_hint: str | None = None) -> EmbgeoError:
    """The error for a text file that is not UTF-8, with the command that converts it: UTF-16/UTF-32 text (a
    byte-order mark, or every other byte NUL) is named as such (``iconv -f utf-16``); other NUL bytes are binary
    data, not text (``binary_hint``: what to check, by default the format); only what may be 8-bit text gets the
    first bad line and byte and the latin1 advice."""
    from pathlib import Path
    from shlex import quote

    path, head, where = Path(path), b"", ""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
            if b"\x00" not in head:
                fh.seek(0)
                for lineno, raw in enumerate(fh, 1):
                    try:
                        raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        where = f": line {lineno} holds the byte 0x{raw[exc.start]:02x} (byte {exc.start + 1} of the line)"
                        break
    except OSError:
        pass
    name, fixed = f"{what} " if what else "", quote(f"{path.stem}-utf8{path.suffix}")
    bom = next((label for mark, label in _BOMS if head.startswith(mark)), None)
    enc = bom or (_bomless_utf16(head) if b"\x00" in head else None)
    if enc is not None:
        said = f"is {bom} text (it starts with a {bom} byte-order mark)" if bom else "looks like UTF-16 text without a byte-order mark (every other byte is NUL)"
        return EmbgeoError(f"{name}{said}, not UTF-8", source=str(path),
                           hint=f"convert it to UTF-8: iconv -f {enc.lower()} -t utf-8 {quote(path.name)} > {fixed}, then pass {fixed}")
    if b"\x00" in head:
        return EmbgeoError(f"{name}holds binary data (NUL bytes), not text", source=str(path), hint=binary_hint or (
            f"check that this is the file you meant and its format: a binary file (.npy, .fvecs, …) is read by its suffix, "
            f"or name its format with {param('fmt', '--input-format')}"))
    return EmbgeoError(f"{name}is not UTF-8 text{where}", source=str(path), hint="convert it to UTF-8 from its encoding (e.g. latin1): "
                       f"iconv -f latin1 -t utf-8 {quote(path.name)} > {fixed}, then pass {fixed}")


def forced_binary_hint(fmt: str) -> str:
    """The hint of :func:`not_utf8` for a binary file read as text because the caller named the text format ``fmt``."""
    what = {"csv": "CSV text", "tsv": "TSV text", "text": "word-vector text"}.get(fmt, f"{fmt} text")
    return (f"it is not {what}: drop {setting('fmt', fmt, '--input-format')} to read it by its suffix (.npy, .fvecs, …), "
            f"or give {param('fmt', '--input-format')} the format it is in")


def refuse_binary(path, what: str = "", *, binary_hint: str | None = None) -> None:
    """Refuse a file read as text whose first block holds NUL bytes (:func:`not_utf8` names it): NUL bytes
    decode as UTF-8, so UTF-16 text without a byte-order mark or binary data would be cut into odd rows."""
    try:
        with open(path, "rb") as fh:
            nul = b"\x00" in fh.read(_HEAD_BYTES)
    except OSError:
        return
    if nul:
        raise not_utf8(path, what, binary_hint=binary_hint)


def is_permission_error(exc: BaseException) -> bool:
    """Is ``exc`` a refusal by the operating system to read a file (``EACCES``/``EPERM``)?"""
    import errno

    return isinstance(exc, OSError) and (isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM))


def permission_denied(path) -> EmbgeoError:
    """The one line for a file that the operating system does not let embgeo read."""
    from shlex import quote

    return EmbgeoError("cannot read the file: permission denied", source=str(path), hint=f"check its permissions: chmod u+r {quote(str(path))}")


def check_readable(path) -> None:
    """Raise :func:`permission_denied` unless the first byte of ``path`` can be read (any other problem is its reader's to name)."""
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        if is_permission_error(exc):
            raise permission_denied(path) from None


def open_quote(text: str, delimiter: str) -> int | None:
    """The offset of the '"' that opens a field still open at the end of ``text`` (whole CSV/TSV rows, quoted as
    :mod:`csv` reads them: a field that starts with '"', '""' inside it one quote), or None."""
    ends, i, start = re.compile("[" + re.escape(delimiter) + "\r\n]"), 0, True
    while i < len(text):
        if start and text[i] == '"':
            k = text.find('"', i + 1)
            while k >= 0 and text.startswith('""', k):
                k = text.find('"', k + 2)
            if k < 0:
                return i
            i, start = k + 1, False  # after the closing quote the field goes on as written
        elif (m := ends.search(text, i)) is None:
            return None
        else:
            i, start = m.end(), True
    return None
