"""Text formats: CSV/TSV (numeric columns or one list column), word2vec/GloVe text and word2vec binary.

Rules (docs/formats.md states them with examples):

- numbers are parsed in float64 and kept as float32 only when no value is written with more
  than 9 significant digits *and* every value survives the conversion (no overflow to inf, no
  underflow to 0 or to a subnormal); otherwise the matrix is float64;
- a column is a label column only when it is clearly text (at least half of its non-empty cells
  are not numbers); a numeric column with a bad or empty cell is an error naming the line and
  the column (``bad_cells="nan"`` reads such cells as NaN instead);
- nothing is guessed: a column of numbers written with a decimal comma (``0,5``), a column with
  no value at all, an integer column named like a row index (``Unnamed: 0``, ``index``, an empty
  name) that would become a dimension, and an empty id are errors naming the column (and line);
  numbers are plain ASCII (``1_000`` and full-width ``６`` are not numbers);
- the first row is a header when one of its cells is text over a numeric column, or when it
  is a run of consecutive integers (``0 1 … d−1``, ``1 … d``, ``8 … 15``) over a body with non-integer
  values, also after a text or empty first cell (pandas' index name or text column: ``id,0,1,2``;
  ``,0,1,2`` over any values); ``NA``/empty cells are never evidence of a header; the run over
  integer values only (``word,0,1,2`` over a text column, ``0,1,2`` alone) is an error
  (:mod:`embgeo.io.csvrules`);
- in a file with a header, an integer column named like an id (``doc_id``) that is not the id
  column, and a column of integers beside columns of fractions (a ``score``), are errors naming it;
- files are read in blocks of lines (peak memory ≈ the float32 matrix plus one block of rows), and
  every step is linear in the number of columns: after the first rows (the sample), numpy parses
  the numbers of a block at once, and a block that is not plainly numbers is read row by row, so
  that an error names its line and column exactly as when every row is read one by one.
"""
from __future__ import annotations

import csv
import re
from itertools import chain, islice
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.io.common import COMMA_NUMBER, MISSING, cell_kind, column_array  # noqa: F401  (re-exported: labels, columnar, model)
from embgeo.io.common import is_plain_number as is_number
from embgeo.io.common import (check_attr_cols, csv_id, forced_binary_hint, index_column_error, index_like_columns, not_utf8, open_quote,
                              plain_floats, refuse_binary, use_id_col)
from embgeo.io.csvrules import looks_like_header, metadata_column_error, metadata_columns  # noqa: F401  (looks_like_header re-exported)
from embgeo.io.model import EmbeddingSet
from embgeo.io.precision import NeedFloat64, RowBlocks, fits_float32, needs_float64, refuse_inexact_integers  # noqa: F401  (re-exported)

#: rows used to decide the header and which columns are labels
SAMPLE_ROWS = 1000
#: rows parsed per block
BLOCK_ROWS = 4096
#: after the sample, lines are read in blocks of about this many characters; each block's numbers are
#: parsed at once by numpy (:func:`embgeo.io.precision.float_block`) and any block that is not plainly
#: numbers is read again row by row, which names the line and the column of what is wrong
BULK_CHARS = 1 << 20
#: False: every row is read one by one (the reference the bulk reading is tested against)
BULK = True
#: the largest field the CSV reader accepts (one list cell of a 1M-dim vector is ~20 MB)
FIELD_LIMIT = 1 << 30

_INT = re.compile(r"[+-]?[0-9]+")
_UINT = re.compile(r"[0-9]+")
#: names of a row-index column (pandas' ``Unnamed: 0``, ``index``, an empty name, ``id``): never a dimension
INDEX_NAMES = frozenset(("", "id", "ids", "idx", "index", "row_id", "rowid", "unnamed: 0"))


def column_label(header: list[str], j: int) -> str:
    """How an error names column ``j``: ``'name'``, or its position when the header cell is empty."""
    return f"'{header[j]}'" if header[j] else f"{j + 1} (no name in the header)"


def _column_kinds(header: list[str], sample: list[tuple[int, list[str]]], skip: set[int]):
    """Split column indices into (numeric, list, label, empty, comma) from the sample rows: ``empty``
    columns (label columns with no value in the sample) and ``comma`` columns (label columns only
    because their numbers are written with a comma) are refused by the caller."""
    num, lst, lab, empty, comma = [], [], [], [], []
    columns = list(zip(*(r for _, r in sample)))  # the sample's rows all have len(header) cells
    for j in range(len(header)):
        if j in skip:
            continue
        try:  # every cell a plain number (no MISSING token is one): numeric, without a kind per cell
            plain_floats(columns[j])
            num.append(j)
            continue
        except ValueError:
            pass
        kinds = [cell_kind(r[j]) for _, r in sample]
        filled = [k for k in kinds if k != "missing"]
        n_num = sum(k == "num" for k in filled)
        if not filled:
            lab.append(j)
            empty.append(j)
        elif filled[0] == "list":
            lst.append(j)
        elif n_num * 2 >= len(filled):
            num.append(j)
        else:
            lab.append(j)
            n_comma = sum(k == "comma" for k in filled)
            if n_comma and (n_num + n_comma) * 2 >= len(filled):
                comma.append(j)
    return num, lst, lab, empty, comma


def _comma_error(header: list[str], j: int, line: int, cell: str, delimiter: str) -> EmbgeoError:
    sep = "\\t" if delimiter == "\t" else delimiter
    return EmbgeoError(
        f"line {line}, column {column_label(header, j)}: {cell.strip()[:30]!r} is a number written with a comma; "
        "embgeo does not read decimal commas (or thousands separators) and never guesses them",
        hint=f"convert the file to '.' decimal points, e.g. pandas.read_csv(path, sep='{sep}', decimal=',').to_csv(out, sep='{sep}', index=False), "
             "or drop the column if it does not hold numbers",
    )


def _check_columns(header, sample, num, lst, empty, comma, id_col, whole, delimiter) -> None:
    """Refuse what would otherwise be guessed: comma numbers read as text, an empty column, a row index used as a dimension."""
    for j in empty:
        where = "any row" if whole else f"its first {len(sample)} rows (lines {sample[0][0]}–{sample[-1][0]})"
        raise EmbgeoError(f"column {column_label(header, j)} has no value in {where}: only empty or NA cells, so it is neither a dimension nor a label",
                          hint="fill it in or remove the column; a delimiter at the end of every line adds an empty column")
    if not lst:
        for j in comma:
            line, r = next((line, r) for line, r in sample if cell_kind(r[j]) == "comma")
            raise _comma_error(header, j, line, r[j], delimiter)
        for j in num:
            name = header[j]
            if name.strip().lower() not in INDEX_NAMES and not re.fullmatch(r"unnamed: [0-9]+", name.strip().lower()):
                continue
            vals = [r[j].strip() for _, r in sample]
            if not all(_INT.fullmatch(v) for v in vals):
                continue
            shown = ", ".join(vals[:3]) + (", …" if len(vals) > 3 else "")
            fix = (f"drop the column; the ids come from column '{id_col}'" if id_col is not None
                   else f"pass {use_id_col(name)} to use it as row ids, or drop the column" if name
                   else f"give the column a name and pass {use_id_col()} to use it as row ids, or drop the column")
            raise EmbgeoError(f"column {column_label(header, j)} holds integers ({shown}) and is named like a row index; "
                              "embgeo does not use it as an embedding dimension", hint=fix)


def _check_semicolons(sample: list[list[str]], delimiter: str) -> None:
    """A ``;``-separated file (European CSV, decimal commas) is refused, never read as a few columns."""
    if delimiter != ",":
        return
    semis = {sum(c.count(";") for c in r) for r in sample[:20]}
    if len(semis) == 1 and min(semis) >= 1 and any(ch.isdigit() for c in sample[-1] for ch in c):
        raise EmbgeoError(
            "looks ';'-separated (European CSV with decimal commas); embgeo does not guess decimal separators",
            hint="save it with ',' between fields and '.' as the decimal point",
        )


#: one number with a decimal comma (``0,5``): a one-column file of these is not told apart from two integer columns
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+")


def _check_other_delimiter(sample: list[tuple[int, list[str]]], delimiter: str, path: Path, forced: bool) -> None:
    """A comma-separated file read as TSV (named ``.tsv``, or ``--input-format tsv``), or a tab-separated one read
    as CSV, is one column per line: refused, naming its delimiter. Only when certain: every line of the sample is
    one field, the first holds the other delimiter and is not a list; with commas, the first is a header (text
    between the commas) or every line has as many numbers, not all ``0,5`` (decimal commas: named by the cells)."""
    if delimiter not in (",", "\t") or any(len(r) != 1 for _, r in sample):
        return
    other, first = ("," if delimiter == "\t" else "\t"), sample[0][1][0].strip()
    if len(parts := first.split(other)) < 2 or first.startswith("[") or other == "," and all(is_number(p.strip()) for p in parts) and (
            len({r[0].count(",") for _, r in sample}) > 1 or all(_DECIMAL_COMMA.fullmatch(r[0].strip()) for _, r in sample)):
        return
    fmt, theirs, ours = ("csv", "commas", "TSV (split at tabs)") if other == "," else ("tsv", "tabs", "CSV (split at commas)")
    fix = (f"pass {setting('fmt', fmt, '--input-format')}: its fields are separated by {theirs}" if forced
           else f"rename it to {path.stem}.{fmt} (or pass {setting('fmt', fmt, '--input-format')}) if it is {fmt.upper()}, or save it "
                f"with {'tabs' if other == ',' else 'commas'} between the fields")
    raise EmbgeoError(f"line {sample[0][0]} ({first[:40]!r}) holds {theirs} but no {'tab' if other == ',' else 'comma'}: read as {ours}, "
                      "every line would be one column", hint=fix)


def _bad_cell(values: list[str], names: list[str], line: int) -> EmbgeoError:
    for v, name in zip(values, names):
        if not is_number(v):
            if COMMA_NUMBER.fullmatch(v.strip()):
                return EmbgeoError(f"line {line}, column '{name}': {v.strip()[:30]!r} is a number written with a comma; embgeo does not read "
                                   "decimal commas (or thousands separators)", hint="write numbers with '.' as the decimal point and no thousands separator")
            what = "an empty cell" if not v.strip() else f"non-numeric value {v.strip()[:30]!r}"
            return EmbgeoError(f"line {line}, column '{name}': {what} in a numeric column",
                               hint=either("fix the value or remove the row; embgeo.io.load(..., bad_cells='nan') reads it as NaN",
                                          "fix the value (nan for a missing one) or remove the row"))
    return EmbgeoError(f"line {line}: a value could not be read")  # pragma: no cover


def _floats(values: list[str], names: list[str], line: int, bad_cells: str) -> list[float]:
    try:
        out = plain_floats(values)
    except ValueError:
        if bad_cells != "nan":
            raise _bad_cell(values, names, line) from None
        out = [float(v) if is_number(v) else float("nan") for v in values]
    if float("inf") in out or float("-inf") in out:
        for v, x, name in zip(values, out, names):
            if np.isinf(x) and v.strip().lower().lstrip("+-") not in ("inf", "infinity"):
                raise EmbgeoError(f"line {line}, column '{name}': {v.strip()[:30]!r} is too large for float64")
    return out


def _list_cell(cell: str, line: int, col: str) -> tuple[list[float], str]:
    text = cell.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise EmbgeoError(f"line {line}, column '{col}': expected a list like [0.1, 0.2], got {text[:30]!r}")
    inner = text[1:-1].replace(",", " ")
    try:
        vals = plain_floats(inner.split())
    except ValueError:
        repr_ = re.search(r"[A-Za-z_]\w*\(|\.\.\.|…", inner)  # np.float32(0.1), array(…), a truncated print
        raise EmbgeoError(f"line {line}, column '{col}': non-numeric value in list {text[:30]!r}",
                          hint="the cell is a Python repr, not numbers: save the vectors as .npy or parquet, or write each list "
                               "with json.dumps(v.tolist())" if repr_ else "write each list as numbers, like [0.1, 0.2]") from None
    if float("inf") in vals or float("-inf") in vals:
        raise EmbgeoError(f"line {line}, column '{col}': the list holds inf (or a value too large for float64)")
    return vals, inner


def _check_key(key: str, name: str, header, pos, sample, num, lst, delimiter) -> None:
    """``FILE.csv:KEY`` names the one list column (cells like ``[0.1, 0.2]``) to read; anything else is
    an error that says what the file holds and how to read it."""
    ext = ".tsv" if delimiter == "\t" else ".csv"
    what = f'on a {ext} file, :KEY names a column of lists like "[0.1, 0.2]"'
    if lst:
        fix = f"name the list column: {name}:{header[lst[0]]}"
    elif num:
        fix = f"drop ':{key}' to read the numeric columns ({', '.join(header[j] for j in num[:6])}{', …' if len(num) > 6 else ''}) as the dimensions"
    else:
        fix = f"drop ':{key}'"
    if key not in pos:
        shown = ", ".join(header[:12]) + (", …" if len(header) > 12 else "")
        raise EmbgeoError(f"no column '{key}' (columns: {shown}); {what}" + ("" if lst else " and this file has none"), hint=fix)
    if pos[key] not in lst:
        got = sample[0][1][pos[key]].strip()[:30] if sample else ""
        raise EmbgeoError(f"column '{key}' is not a list column (first value {got!r}); {what}", hint=fix)


class _SplitRows:
    """Rows of a file whose fields are separated by runs of spaces or tabs (``np.savetxt``'s layout),
    with ``line_num`` like :func:`csv.reader`."""

    def __init__(self, fh):
        self.fh, self.line_num = fh, 0

    def __iter__(self):
        for line in self.fh:
            self.line_num += 1
            yield line.split()


def _whitespace_separated(path: Path, delimiter: str) -> bool:
    """Is ``path`` a table separated by spaces (no ``delimiter`` in its first rows, and a line with two
    or more fields)? Only asked when the user forced ``--input-format csv``/``tsv``."""
    several = False
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for i, line in enumerate(fh):
            if delimiter in line:
                return False
            several = several or len(line.split()) > 1
            if i >= SAMPLE_ROWS:
                break
    return several


def _is_comment(r: list[str]) -> bool:
    return bool(r) and r[0].strip().startswith("#")


def _comment(line: int, r: list[str], path: Path, width: int | None = None) -> EmbgeoError:
    """The error for a row that starts with ``#``: comment lines are not read (never skipped by a guess)."""
    shown = " ".join(" ".join(r).split())[:40]
    fields = "" if width is None else f": {len(r)} field{'s' if len(r) != 1 else ''}, the data has {width}"
    return EmbgeoError(f"line {line} looks like a comment ({shown!r}{fields}); embgeo does not read comment lines",
                       hint=f"remove them, e.g. grep -v '^#' {path.name} > {path.stem}-nocomments{path.suffix}")


def _ragged(line: int, r: list[str], width: int, path: Path) -> EmbgeoError:
    """A row whose field count is not the header's; a row that starts with ``#`` is named as a comment."""
    if _is_comment(r):
        return _comment(line, r, path, width)
    return EmbgeoError(f"line {line} has {len(r)} fields but the header has {width}", hint="every row needs the same number of columns")


class _Table:
    """What the rows of one CSV/TSV file are read into: the matrix (:class:`RowBlocks`), the label
    columns and the ids. :meth:`take` reads one row and names the line and the column of anything
    wrong; :meth:`bulk_rows` and :meth:`bulk_lines` read a block at once when it is plainly numbers
    and keep nothing otherwise (False), so that the caller gives the block to :meth:`take`."""

    def __init__(self, path, header, num, lst, lab, idj, split, bad_cells, dtype):
        self.path, self.header, self.width, self.num, self.lst, self.lab, self.idj = path, header, len(header), num, lst, lab, idj
        self.split, self.delimiter = split, split or " "  # split None: runs of spaces or tabs
        self.bad_cells, self.dtype, self.d = bad_cells, dtype, None
        self.names = [header[j] for j in num]
        self.cut = slice(num[0], num[0] + len(num)) if num and num == list(range(num[0], num[0] + len(num))) else None
        self.out, self.labels = RowBlocks(dtype, BLOCK_ROWS), {j: [] for j in lab}
        self.ids = [] if idj is not None else None
        self.numbers_only = not lst and num == list(range(self.width))  # every column a dimension
        self.last = None  # the last row read as cells (None when the last rows were read as lines: no quote in them)

    def cells(self, r: list[str]) -> list[str]:
        return r[self.cut] if self.cut is not None else [r[j] for j in self.num]

    def take(self, line: int, r: list[str]) -> None:
        header, width = self.header, self.width
        self.last = r
        if len(r) != width:
            raise _ragged(line, r, width, self.path)
        if self.lst:
            vals, text = _list_cell(r[self.lst[0]], line, header[self.lst[0]])
            if self.d is None:
                self.d = len(vals)
            elif len(vals) != self.d:
                raise EmbgeoError(f"column '{header[self.lst[0]]}' is ragged: line {line} has {len(vals)} values, the first row has {self.d}")
        else:
            cells = self.cells(r)
            try:
                vals = _floats(cells, self.names, line, self.bad_cells)
            except EmbgeoError:
                if _is_comment(r):
                    raise _comment(line, r, self.path) from None
                raise
            text = self.delimiter.join(cells)
        if self.dtype == np.float32 and needs_float64(text):
            refuse_inexact_integers(text)
            raise NeedFloat64
        self.out.add(vals)
        for j in self.lab:
            self.labels[j].append(r[j])
        if self.ids is not None:
            ident = r[self.idj].strip()
            if not ident:
                raise EmbgeoError(f"line {line}, column {column_label(header, self.idj)}: the id is empty",
                                  hint="every row needs an id; fill it in or remove the row")
            self.ids.append(csv_id(ident))  # "3.0" (pandas after a NaN) is the id "3", as in every reader of text tables

    def bulk_rows(self, rows: list[list[str]]) -> bool:
        """Non-blank rows (lists of cells) at once, as :meth:`take` reads them one by one."""
        if self.lst or any(len(r) != self.width for r in rows):
            return False
        if rows:
            self.last = rows[-1]
        return self._keep([self.delimiter.join(self.cells(r)) for r in rows], lambda j: [r[j] for r in rows])

    def bulk_lines(self, lines: list[str], text: str) -> bool:
        """Lines with no quote and no NUL (``text``: the lines joined) whose dimensions are side by side,
        at once: each line is cut at its first and its last delimiters around the dimensions, where
        :mod:`csv` cuts such a line; a line of whitespace alone holds no row, as for :mod:`csv`."""
        if self.lst or self.cut is None:
            return False
        self.last = None
        if self.numbers_only:
            return not text.strip() or self.out.add_text(lines, text, len(self.num), self.split)
        lo, hi, d = self.cut.start, self.cut.stop, self.split
        heads = [(ln.rstrip("\r\n") if d else ln).split(d, lo) for ln in lines if ln.strip()]
        if any(len(h) != lo + 1 for h in heads):
            return False
        if hi == self.width:
            return self._keep([h[lo] for h in heads], lambda j: [h[j] for h in heads])
        tails = [h[lo].rsplit(d, self.width - hi) for h in heads]
        if any(len(t) != self.width - hi + 1 for t in tails):
            return False
        return self._keep([t[0] for t in tails], lambda j: [h[j] for h in heads] if j < lo else [t[j - hi + 1] for t in tails])

    def _keep(self, texts: list[str], column) -> bool:
        """Rows given as the text of their dimensions (``texts``) and ``column(j)``, the cells of column ``j``."""
        ids = None if self.ids is None else [i.strip() for i in column(self.idj)]
        if (ids is not None and not all(ids)) or not self.out.add_text(texts, "\n".join(texts), len(self.num), self.split, len(texts)):
            return False
        for j in self.lab:
            self.labels[j].extend(column(j))
        if ids is not None:
            self.ids.extend([csv_id(i) if "." in i else i for i in ids])
        return True


def _read_body(fh, reader, rows, table: _Table, split: str | None) -> None:
    """The rows after the sample: blocks of lines read at once (:class:`_Table`), a block that is not
    plainly numbers row by row. From a block holding a quote on (a quoted cell may span lines), the
    rest of the file is cut into rows by :mod:`csv`, as the sample was, and read in blocks of rows."""
    if not BULK or table.lst:
        for r in rows:
            table.take(reader.line_num, r)
        return
    line0 = reader.line_num  # lines read so far
    while lines := fh.readlines(BULK_CHARS):
        text = "".join(lines)
        quoted = split is not None and '"' in text
        if not quoted and "\x00" not in text and table.bulk_lines(lines, text):
            line0 += len(lines)
            continue
        block = chain(lines, fh) if quoted else lines
        rdr = csv.reader(block, delimiter=split) if split is not None else _SplitRows(block)
        filled = ((line0 + rdr.line_num, r) for r in rdr if r and (r[0].strip() or any(c.strip() for c in r)))
        while part := list(islice(filled, max(1, (BULK_CHARS >> 4) // table.width))):
            if not table.bulk_rows([r for _, r in part]):
                for line, r in part:
                    table.take(line, r)
        if quoted:
            return
        line0 += len(lines)


def read_delimited(path: Path, *, key=None, id_col=None, attr_cols=(), allow_3d=False, delimiter=None, bad_cells="error",
                   forced=False) -> EmbeddingSet:
    """CSV/TSV: numeric columns (or one ``[…]`` list column), an id column, label columns.

    ``attr_cols``: columns the caller names as attributes (label columns), whatever they hold: never
    a dimension, never refused as a question (an integer ``year`` beside float dimensions).

    ``forced`` (the user named the format: ``--input-format csv``/``tsv``): a file with no such
    delimiter in its first rows and several fields per line is read as fields separated by runs of
    spaces or tabs (``np.savetxt``'s default layout), never as one text column."""
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    if bad_cells not in ("error", "nan"):
        raise EmbgeoError(f"bad_cells must be 'error' or 'nan', got {bad_cells!r}")
    fmt = "tsv" if delimiter == "\t" else "csv"
    refuse_binary(path, binary_hint=forced_binary_hint(fmt) if forced else None)
    try:
        if forced and _whitespace_separated(path, delimiter):
            delimiter = None  # runs of spaces or tabs
        try:
            return _read_delimited(path, key, id_col, delimiter, bad_cells, np.float32, attr_cols, forced)
        except NeedFloat64:
            return _read_delimited(path, key, id_col, delimiter, bad_cells, np.float64, attr_cols, forced)
    except UnicodeDecodeError:
        raise not_utf8(path, binary_hint=forced_binary_hint(fmt) if forced else None) from None
    except EmbgeoError:
        # a quoted field left open swallows the rest of the file into the last row: what looked wrong
        # there (its field count, a cell) is the quote, which opened many lines before
        if delimiter is not None and (err := find_unclosed_quote(path, delimiter)) is not None:
            raise err from None
        raise


class RowLines:
    """The lines of a file given to :func:`csv.reader`, remembered for the row being read: call :meth:`done` after
    each row it yields. When it stops (the end of the file, or a :class:`csv.Error`: ``reading``),
    :meth:`unclosed_quote` is the error for a quoted field left open (it swallows the rest of the file into
    the last row), naming the line where the quote opens; None when there is none."""

    def __init__(self, fh):
        self.fh, self.held, self.start, self.last = fh, [], 1, (1, [])

    def __iter__(self):
        for line in self.fh:
            self.held.append(line)
            yield line

    def done(self) -> None:
        self.last, self.start, self.held = (self.start, self.held), self.start + len(self.held), []

    def unclosed_quote(self, delimiter: str, *, reading: bool = False) -> EmbgeoError | None:
        start, lines = (self.start, self.held) if reading else self.last
        at = open_quote(text := "".join(lines), delimiter) if any('"' in ln for ln in lines) else None
        if at is None:
            return None
        line, end = start + len(re.findall("\r\n|\r|\n", text[:at])), start + len(lines) - 1
        runs = (f"is still open at line {end}, longer than a field may be" if reading else
                f"is never closed, so the rest of the file (lines {line}–{end}) is read as one field" if end > line else "is never closed")
        return EmbgeoError(f"line {line}: the quoted field {text[at:].splitlines()[0][:30]!r} {runs}",
                           hint="close the quote (a '\"' at the end of the field) or remove it; a quote inside a quoted field is written twice ('\"\"')")


def find_unclosed_quote(path, delimiter: str) -> EmbgeoError | None:
    """:meth:`RowLines.unclosed_quote` of the CSV/TSV ``path`` read whole (None also when it cannot be read)."""
    try:
        with open(path, "rb") as fh:  # most files hold no quote at all: a scan of bytes says so
            if not any(b'"' in block for block in iter(lambda: fh.read(1 << 22), b"")):
                return None
        with open(path, newline="", encoding="utf-8-sig") as fh:
            src = RowLines(fh)
            try:
                for _ in csv.reader(src, delimiter=delimiter):
                    src.done()
            except csv.Error:
                return src.unclosed_quote(delimiter, reading=True)
            return src.unclosed_quote(delimiter)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _read_delimited(path, key, id_col, delimiter, bad_cells, dtype, attr_cols=(), forced=False) -> EmbeddingSet:
    csv.field_size_limit(FIELD_LIMIT)
    with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: a BOM (Excel) is not part of the first cell
        reader = csv.reader(fh, delimiter=delimiter) if delimiter is not None else _SplitRows(fh)
        split, delimiter = delimiter, delimiter or " "  # split: None for runs of spaces or tabs
        rows = (r for r in reader if r and (r[0].strip() or any(c.strip() for c in r)))
        sample, whole = [], True
        for r in rows:
            sample.append((reader.line_num, r))
            if len(sample) > SAMPLE_ROWS:
                whole = False
                break
        if not sample:
            raise EmbgeoError("has no rows (only blank lines)", hint="write one line per embedding, one number per column")
        _check_other_delimiter(sample, delimiter, path, forced)
        _check_semicolons([r for _, r in sample], delimiter)
        first = sample[0][1]
        if len(sample) > 1 and _is_comment(first) and len(first) != len(sample[1][1]):
            raise _ragged(sample[0][0], first, len(sample[1][1]), path)
        has_header = id_col is not None or bool(attr_cols) or looks_like_header(first, [r for _, r in sample[1:]], line=sample[0][0], delimiter=delimiter)
        header_line = sample[0][0]
        if has_header:
            header = [h.strip() for h in first]
            sample = sample[1:]
        else:
            header = [f"c{i}" for i in range(len(first))]
        width = len(header)
        pos = {}
        for j, h in enumerate(header):
            if h in pos:
                where = f"columns {pos[h] + 1} and {j + 1} of line {header_line}"
                if not h:
                    raise EmbgeoError(f"header leaves {where} without a name; embgeo names a column by its header",
                                      hint="give every column a name (an index column written by pandas has an empty name; save with index=False or name it)")
                raise EmbgeoError(f"header names column '{h}' twice ({where}); embgeo names a column by its header, so it cannot tell them apart",
                                  hint=f"rename one of the columns (e.g. '{h}.1', as pandas.read_csv does) or remove the one that repeats the other")
            pos[h] = j
        if not sample:
            shown = delimiter.join(header[:6]) + (delimiter + "…" if width > 6 else "")
            raise EmbgeoError(f"has a header ({shown!r}) but no data rows",
                              hint=f"add one line per embedding below the header, {width} value{'s' if width > 1 else ''} per line")
        for line, r in sample:
            if len(r) != width:
                raise _ragged(line, r, width, path)
        # pandas' unnamed index column (df.to_csv() writes it first, with an empty name): integers or text, one per row
        first = [r[0].strip() for _, r in sample] if has_header and header[0] == "" else []
        pandas_index = bool(first) and all(first) and len(set(first)) == len(first) and (
            all(_UINT.fullmatch(v) for v in first) or any(cell_kind(v) == "text" for v in first))
        attrs = {pos[c] for c in check_attr_cols(attr_cols, header, id_col=id_col, key=key)}  # the attribute columns the caller named
        if id_col is None and has_header:
            # a column named "id", or pandas' unnamed index column, holds row ids, not a dimension
            if "id" in pos and pos["id"] not in attrs:
                id_col = "id"
            elif pandas_index and 0 not in attrs:
                id_col = ""
        if id_col is not None and id_col not in pos:
            raise EmbgeoError(f"no id column '{id_col}' (columns: {', '.join(header[:12])})", hint=f"pass {param('id_col')} with a column name from the header")
        skip = {pos[id_col]} if id_col is not None else set()
        if pandas_index and id_col not in (None, "") and 0 not in attrs:  # the index pandas wrote beside the named id column: its old row labels, not data
            skip.add(0)
        num, lst, lab, empty, comma = _column_kinds(header, sample, skip | attrs)
        lab = sorted(set(lab) | attrs)  # the attributes the caller named: label columns, whatever they hold
        if key is not None:
            _check_key(key, path.name, header, pos, sample, num, lst, delimiter)
            lst = [pos[key]]
            num = []
            lab = [j for j in range(width) if j != pos[key] and j not in skip]
        if len(lst) > 1:
            raise EmbgeoError(f"several list columns ({', '.join(header[j] for j in lst)})", hint="name one as FILE.csv:COLUMN")
        _check_columns(header, sample, num, lst, empty, comma, id_col, whole, delimiter)
        metadata = metadata_columns(header, sample, num) if has_header and not lst else ([], [])
        if not lst and not num:
            seen = [f"{column_label(header, j)} ({'ids' if j in skip else 'text'}, e.g. {sample[0][1][j].strip()[:20]!r})" for j in range(width)]
            raise EmbgeoError(f"has no numeric columns to use as embedding dimensions (columns: {', '.join(seen[:8])}{', …' if width > 8 else ''})",
                              hint="embeddings need one numeric column per dimension or one list column like \"[0.1, 0.2]\"; "
                                   f"if the numbers are there, check the delimiter (',' for .csv, tab for .tsv) or pass {param('fmt', '--input-format')}")
        if lst:
            lab = [j for j in range(width) if j not in skip and j != lst[0]]
        table = _Table(path, header, num, lst, lab, pos.get(id_col) if id_col is not None else None, split, bad_cells, dtype)
        if not (BULK and table.bulk_rows([r for _, r in sample])):
            for line, r in sample:
                table.take(line, r)
        _read_body(fh, reader, rows, table, split)
    last = table.last
    if split is not None and last and ("\n" in last[-1] or "\r" in last[-1]):  # a quote left open swallows the rest of the file
        err = find_unclosed_quote(path, split)
        if err is not None:
            raise err
    matrix = table.out.result(table.d or len(num))
    if lst and table.d == 0:
        raise EmbgeoError(f"column '{header[lst[0]]}' holds empty lists")
    if not lst:  # a column holding 0 … n−1 (or 1 … n) once each is a row index or a dimension: never guessed
        for j, start in index_like_columns(matrix):
            col = num[j]
            raise index_column_error(column_label(header, col), header[col] if has_header else None, start, matrix.shape[0], id_col=id_col)
        for j in chain(*metadata):  # an integer column named like an id, or of integers beside fractions: never a silent dimension
            raise metadata_column_error(header, sample, j, metadata[1], id_col)
    attributes = {header[j]: column_array(v) for j, v in table.labels.items()}
    ids = table.ids
    return EmbeddingSet(matrix=matrix, ids=None if ids is None else np.asarray(ids, dtype=str), attributes=attributes,
                        provenance={"columns": header})


def read_tsv(path, **kw):
    return read_delimited(path, delimiter="\t", **kw)


def read_csv(path, **kw):
    return read_delimited(path, delimiter=",", **kw)
