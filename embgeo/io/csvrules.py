"""The rules that decide, from the first rows of a CSV/TSV file, what its first row and its integer
columns are (used by :mod:`embgeo.io.text`; docs/formats.md states them with examples).

- :func:`looks_like_header`: the first row is a header when one of its cells is text over a numeric
  column, or when it is a run of consecutive integers (``0 1 … d−1``, ``1 … d``, or any start:
  ``8 … 15``, pandas' column names after slicing) over a body with a non-integer value, also after
  a text or an empty first cell (pandas' index name or unnamed index column: ``id,0,1,2``,
  ``,0,1,2``); an empty first cell and the run over a first column that holds values is pandas'
  header whatever the values. The run over integer values only could be data as well: an error
  naming both readings (:func:`header_or_data`, :func:`run_header_or_data`), never a guess.
- :func:`metadata_columns`: in a file with a header, an integer column named like an id
  (:func:`~embgeo.io.common.named_like_ids`: ``doc_id``, ``docID``, ``item-id``) that is not the id column, and a column of
  integers (two or more values) beside columns of fractions (in 20 rows or more) are not silently dimensions: the
  reader refuses them (:func:`metadata_column_error`), naming the column and the fix.
"""
from __future__ import annotations

import re

from embgeo.errors import EmbgeoError, either, offers
from embgeo.io.common import INDEX_MIN_ROWS, cell_kind, named_like_ids, use_attr_col, use_id_col

#: an integer cell (a sign allowed) and a column name that is a non-negative integer
INT = re.compile(r"[+-]?[0-9]+")
UINT = re.compile(r"[0-9]+")
#: separators dropped from a column name before matching it (``doc_id``, ``item-id``, ``doc id``)
_SEPARATORS = str.maketrans("", "", "_-. ")
#: characters of a number written as a float (``3.0``, ``1e3``, ``nan``, ``inf``)
_FLOAT_CHARS = frozenset(".eEnNiI")


def int_run(cells: list[str]) -> bool:
    """Are ``cells`` a run of d ≥ 2 consecutive non-negative integers (``0 … d−1``, ``1 … d``,
    ``8 … 15``): pandas' default column names, or what is left of them after slicing?"""
    if len(cells) < 2 or not all(UINT.fullmatch(c) for c in cells):
        return False
    ints = [int(c) for c in cells]
    return ints == list(range(ints[0], ints[0] + len(ints)))


def fractional(body: list[list[str]], start: int = 0, rows: int = 50) -> bool:
    """Does a cell of the first ``rows`` sample rows (from column ``start`` on) hold a number that is not an integer?"""
    return any(cell_kind(v) == "num" and not INT.fullmatch(v.strip()) for r in body[:rows] for v in r[start:])


def _shown(first: list[str], delimiter: str) -> str:
    return delimiter.join(c.strip() for c in first[:6]) + (delimiter + "…" if len(first) > 6 else "")


def header_or_data(first: list[str], line: int, delimiter: str) -> EmbgeoError:
    """The one line for a first row ``NAME,0,1,…`` over a text first column and integer values: a
    header (pandas' default column names after an index name) or a data row, never guessed."""
    name, rest = first[0].strip(), [c.strip() for c in first[1:]]
    return EmbgeoError(
        f"line {line} ({_shown(first, delimiter)!r}) is either a header (a column {name!r}, then columns named {rest[0]} … {rest[-1]}, "
        f"as pandas names them) or a data row (the text {name!r} and the values {', '.join(rest[:3])}{', …' if len(rest) > 3 else ''}), "
        "and every value below it is an integer too; embgeo does not guess which",
        hint=f"if line {line} is a header, pass {use_id_col(name)} to read it as one (column {name!r} then holds the row ids); "
             f"if it is data, add a header line above it naming the columns (e.g. word{delimiter}d0{delimiter}d1{delimiter}…)",
    )


def run_header_or_data(first: list[str], line: int, delimiter: str) -> EmbgeoError:
    """The one line for a first row ``0,1,…,d−1`` (any start) over integer values only: a header
    (pandas' column names) or a data row (quantized or 0/1 codes), never guessed."""
    cells = [c.strip() for c in first]
    a, b = cells[0], cells[-1]
    sep = "\\t" if delimiter == "\t" else delimiter
    return EmbgeoError(
        f"line {line} ({_shown(first, delimiter)!r}) is either a header (columns named {a} … {b}, as pandas names them) "
        f"or a data row (the values {', '.join(cells[:3])}{', …' if len(cells) > 3 else ''}), and every value below it "
        "is an integer too; embgeo does not guess which",
        hint=f"if line {line} is a header, remove the line or name the columns with text (e.g. d{a}{sep}d{int(a) + 1}{sep}…); "
             f"if it is data, add a header line above it naming the columns (e.g. d0{sep}d1{sep}…)",
    )


def looks_like_header(first: list[str], body: list[list[str]], *, line: int = 1, delimiter: str = ",") -> bool:
    """Is ``first`` (line ``line``) a header over the sample rows ``body``? (see the module docstring)

    A first row ``NAME,0,1,…,d−1`` (or ``…,1,…,d``, or any start) whose first cell is text is what
    pandas writes for a frame with the default column names after a named index (``df.to_csv()``) or
    a text column (``df.to_csv(index=False)``): a header when a value below it is not an integer, or
    when the first column below it holds numbers (the data reading would put the text in a numeric
    column). Over a text first column and integer values only it could be data as well: an error."""
    kinds1 = [cell_kind(c) for c in first]
    if not body:
        return any(k == "text" for k in kinds1)
    if kinds1[0] == "text" and int_run([c.strip() for c in first[1:]]):
        if fractional(body, 1, len(body)):
            return True
        col = [cell_kind(r[0]) for r in body if r]
        if "num" in col and all(k in ("num", "missing") for k in col):
            return True
        if pandas_names([c.strip() for c in first[1:]]):
            return True
        raise header_or_data(first, line, delimiter)
    # a header names columns: a row holding numbers among text cells is data with a bad cell
    for j, c in enumerate(first if "num" not in kinds1 else []):
        if cell_kind(c) != "text":
            continue
        kinds = [cell_kind(r[j]) for r in body if j < len(r)]
        filled = sum(k != "missing" for k in kinds)
        if filled and sum(k in ("num", "list", "comma") for k in kinds) * 2 >= filled:
            return True
    cells = [c.strip() for c in first]
    named = [c for c in cells if c]
    if not int_run(named):
        return False
    if fractional(body, 0, len(body)):
        return True
    if not cells[0] and len(named) == len(cells) - 1:  # ',0,1,…': pandas' unnamed index column, then the run
        return any(r and cell_kind(r[0]) != "missing" for r in body)
    if len(named) == len(cells) and all(cell_kind(v) == "missing" or INT.fullmatch(v.strip()) for r in body for v in r):
        if pandas_names(named):
            return True
        raise run_header_or_data(first, line, delimiter)
    return False


#: a first row ``0,1,…,d−1`` of at least this many integers over integer values is pandas' default header
#: (``pd.DataFrame(codes).to_csv(index=False)``): a quantized vector holding exactly 0, 1, …, d−1 in order
#: is not a reading to weigh (d = 8 int8 values: one chance in 256**8)
PANDAS_RUN_MIN = 8


def pandas_names(cells: list[str]) -> bool:
    """Are ``cells`` pandas' default column names ``0 … d−1`` with d ≥ :data:`PANDAS_RUN_MIN`?"""
    return len(cells) >= PANDAS_RUN_MIN and int_run(cells) and int(cells[0]) == 0


def _written_as_float(col: list[str]) -> bool:
    """Does a cell of ``col`` hold a number written as a float (``0.25``, ``3.0``, ``1e-3``, ``nan``)?"""
    if not _FLOAT_CHARS.intersection("".join(col)):  # digits and signs only: no such cell (read at C speed)
        return False
    return any(cell_kind(v) == "num" and not INT.fullmatch(v.strip()) for v in col)


def metadata_columns(header: list[str], sample: list[tuple[int, list[str]]], num: list[int]) -> tuple[list[int], list[int]]:
    """``(id_named, codes)``: the numeric columns ``num`` (of a file with a header) that the sample rows
    show to be no plain dimension: integer columns named like an id (:func:`~embgeo.io.common.named_like_ids`), and columns
    of integers with two or more values while another numeric column holds a number written as a
    float (``0.25``, ``3.0``, ``1e-3``), over :data:`~embgeo.io.common.INDEX_MIN_ROWS` sample rows or
    more: an attribute, a code or a count beside the dimensions? A file of integers only (quantized
    embeddings), a constant integer column (all 0), a column numbered as the float columns are
    (:func:`named_like_the_dimensions`) and a file of fewer rows are neither."""
    def ints(j):
        col = [r[j].strip() for _, r in sample]
        return col if all(INT.fullmatch(v) for v in col) else None

    named = [j for j in num if named_like_ids(header[j]) and ints(j) is not None]
    if len(sample) < INDEX_MIN_ROWS:  # a few rows written by hand (0.5,1): integers there are no evidence
        return named, []
    floats = {j for j in num if _written_as_float([r[j] for _, r in sample])}
    if not floats:
        return named, []
    codes = []
    for j in num:
        if j in named or j in floats or named_like_the_dimensions(header[j], [header[k] for k in floats]):
            continue
        col = ints(j)
        if col is not None and len({int(v) for v in col}) >= 2:
            codes.append(j)
    return named, codes


_NUMBERED = re.compile(r"(.*?)([0-9]+)")


def named_like_the_dimensions(name: str, dimensions: list[str]) -> bool:
    """Is ``name`` numbered as the float columns ``dimensions`` are (``e15`` beside ``e0`` … ``e14``, ``dim_7``
    beside ``dim_0``; ``7`` beside ``0``): the same prefix, then a number. Such an integer column (a binary
    feature, a dimension that happens to hold whole numbers) is one of the dimensions, not an attribute."""
    m = _NUMBERED.fullmatch(name.strip())
    if m is None or not dimensions:
        return False
    prefixes = {(_NUMBERED.fullmatch(d.strip()) or [None, None])[1] for d in dimensions}
    return prefixes == {m.group(1)}


def metadata_column_error(header: list[str], sample, j: int, codes: list[int], id_col) -> EmbgeoError:
    """The one line for a column of :func:`metadata_columns`: ``codes`` the integer columns beside
    fractions (``j`` among them, or ``j`` named like an id); ``id_col`` the id column, if any."""
    name = header[j]
    vals = [r[j].strip() for _, r in sample]
    shown = ", ".join(vals[:3]) + (", …" if len(vals) > 3 else "")
    if j not in codes:
        fix = (f"drop the column (the ids come from column {id_col!r}), or pass {use_id_col(name)} to use it as the row ids instead"
               if id_col is not None else f"pass {use_id_col(name)} to use it as row ids, or drop the column")
        if offers("attr_cols", "--attr-col"):
            fix += f"; pass {use_attr_col(name)} to keep it as an attribute"
        return EmbgeoError(f"column {name!r} holds integers ({shown}) and is named like an id; "
                           "embgeo does not use it as an embedding dimension", hint=fix)
    more = [header[k] for k in codes if k != j]
    also = f" (so does {', '.join(repr(m) for m in more[:3])}{', …' if len(more) > 3 else ''})" if more else ""
    ids = "" if id_col is not None else f"pass {use_id_col(name)} if it holds row ids; "
    if offers("attr_cols", "--attr-col"):
        named = [name, *more]
        keep = f"pass {use_attr_col(named[0]) if len(named) == 1 else either(f'attr_cols={named!r}', '--attr-col ' + ','.join(named))} to keep {'it as an attribute' if len(named) == 1 else 'them as attributes'}"
    else:
        keep = ("to keep it as an attribute, move it to a " + either("labels file (embgeo.io.join_labels(X, FILE))", "--labels file")
                + f" (pandas: df[[{id_col or 'id'!r}, {name!r}]].to_csv('labels.csv', index=False); "
                  f"df.drop(columns=[{name!r}]).to_csv('vectors.csv', index=False))")
    return EmbgeoError(
        f"column {name!r} holds only integers ({shown}){also} while other columns hold fractions: an attribute or a code, "
        "or an embedding dimension? embgeo does not guess which",
        hint=f"{ids}{keep}; to read {'it as a dimension' if not more else 'them as dimensions'}, write {'its' if not more else 'their'} values as floats "
             f"(e.g. {vals[0] if vals else '3'}.0)",
    )
