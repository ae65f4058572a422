"""Join a labels/attributes table (CSV/TSV) onto an :class:`EmbeddingSet`."""
from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.io.common import (check_readable, csv_id, id_keys, is_permission_error, not_utf8, permission_denied, refuse_binary,
                              repeated_id_text, repeated_ids, short_error, where_ids)
from embgeo.io.join import check_id_candidates, row_order_setting
from embgeo.io.model import EmbeddingSet, dimension_columns
from embgeo.io.text import INDEX_NAMES, RowLines, cell_kind, column_array


#: the hint for a labels file of binary data
_BINARY_LABELS = "a labels file is a CSV or TSV text table; check that this is the file you meant"


def _read_rows(path: Path, delimiter: str | None = None) -> tuple[list[int], list[list[str]]]:
    """The non-blank rows of a labels file and the file line each ends on. A quoted field left open (it
    would swallow the rest of the file as one field) is an error naming the line where it opens."""
    delim = delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: an Excel BOM is not part of the header
            src = RowLines(fh)
            reader = csv.reader(src, delimiter=delim)
            lines, rows = [], []
            try:
                for r in reader:
                    src.done()
                    if r and any(c.strip() for c in r):
                        lines.append(reader.line_num)  # the file line the row ends on (blank lines skipped)
                        rows.append(r)
            except csv.Error as exc:
                err = src.unclosed_quote(delim, reading=True)
                if err is not None:
                    raise err.with_source(str(path)) from None
                raise EmbgeoError(f"line {src.start}: {short_error(exc)}", source=str(path),
                                  hint="check the quotes and delimiters of that line") from None
            err = src.unclosed_quote(delim)
            if err is not None:
                raise err.with_source(str(path))
    except UnicodeDecodeError:
        raise not_utf8(path, "labels file", binary_hint=_BINARY_LABELS) from None
    except OSError as exc:
        if is_permission_error(exc):
            raise permission_denied(path) from None
        raise
    return lines, rows


def read_table_lines(path: str | Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Read a CSV/TSV with a header; returns ``(header, rows, lines)``: ``lines[i]`` is the file line of ``rows[i]``."""
    path = Path(path)
    src = str(path)
    if not path.exists():
        raise EmbgeoError("labels file not found", source=src)
    if path.is_dir():
        raise EmbgeoError("is a directory, not a labels file", source=src, hint="give the labels table as one CSV or TSV file")
    if path.stat().st_size == 0:
        raise EmbgeoError("labels file is empty", source=src)
    check_readable(path)
    _refuse_non_table(path)
    delim = "\t" if path.suffix.lower() == ".tsv" else ","
    lines, rows = _read_rows(path)
    if len(rows) < 2:
        raise EmbgeoError("labels file needs a header row and at least one data row", source=src)
    header = [h.strip() for h in rows[0]]
    if delim == "," and len(header) == 1 and "\t" in header[0]:  # a tab-separated file named .csv: one column, never split by guess
        raise EmbgeoError(f"has one column named {header[0][:40]!r}: the header holds tabs, but a .csv labels file is split at ','", source=src,
                          hint="name the file .tsv if it is tab-separated, or write it with ',' between the fields")
    if delim == "\t" and len(header) == 1 and "," in header[0]:  # a comma-separated file named .tsv: one column, never split by guess
        raise EmbgeoError(f"has one column named {header[0][:40]!r}: the header holds commas but no tab, and a .tsv labels file is split at tabs",
                          source=src, hint=f"rename it to {path.stem}.csv if it is comma-separated, or save it with tabs between the fields "
                                           "(pandas: df.to_csv('labels.tsv', sep='\\t', index=False))")
    sep = next((c for c in (";", "|") if len(header) == 1 and c in header[0]), None)
    if sep is not None:  # a ';'-separated file (European Excel): one column, never split by guess
        raise EmbgeoError(f"has one column named {header[0][:40]!r}: the header holds '{sep}', but a {'.tsv' if delim == chr(9) else '.csv'} "
                          f"labels file is split at {'a tab' if delim == chr(9) else repr(delim)}", source=src,
                          hint=f"write it with {'tabs' if delim == chr(9) else repr(delim)} between the fields (pandas: "
                               f"pd.read_csv(path, sep='{sep}').to_csv('labels.csv', index=False))")
    dup = next((h for h in header if header.count(h) > 1), None)
    if dup is not None:
        raise EmbgeoError(f"header names column '{dup}' twice", source=src, hint="give every column its own name")
    width = len(header)
    for i, r in zip(lines[1:], rows[1:]):
        if len(r) != width:
            shown = ", ".join(header[:8]) + (", …" if width > 8 else "")
            sep = "a tab" if delim == "\t" else f"'{delim}'"
            raise EmbgeoError(f"line {i} has {len(r)} field{'' if len(r) == 1 else 's'} but the header has {width} ({shown})", source=src,
                              hint=f"give every row {width} values, one per header column (leave a missing one empty); put a value that holds {sep} in double quotes")
    return header, rows[1:], lines[1:]


#: leading bytes of files that are not text tables (what they are, how to write the table as CSV)
_NOT_TABLES = ((b"PAR1", "a parquet file", "pandas.read_parquet(path).to_csv('labels.csv', index=False)"),
               (b"\x93NUMPY", "a NumPy .npy array", "write the labels with pandas: df.to_csv('labels.csv', index=False)"),
               (b"PK\x03\x04", "a zip archive (.npz, .xlsx, …)", "export the sheet or table as CSV (pandas: pd.read_excel(path).to_csv('labels.csv', index=False))"),
               (b"\x89HDF", "an HDF5 file", "write the labels with pandas: df.to_csv('labels.csv', index=False)"),
               (b"ARROW1", "an Arrow/Feather file", "pandas.read_feather(path).to_csv('labels.csv', index=False)"))


def _refuse_non_table(path: Path) -> None:
    """A labels file is a CSV or TSV table: a binary file (parquet, .npy, zip, HDF5, Arrow) or JSON is named as
    such, with how to write it as CSV, rather than failing later as text that is not UTF-8 or has no header."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    for magic, what, fix in _NOT_TABLES:
        if head.startswith(magic):
            raise EmbgeoError(f"is {what}, not a CSV/TSV table; a labels file is a CSV or TSV with a header row", source=str(path),
                              hint=f"write it as CSV: {fix}")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        raise EmbgeoError("looks like JSON, not a CSV/TSV table; a labels file is a CSV or TSV with a header row", source=str(path),
                          hint="write it as CSV: pandas.read_json(path).to_csv('labels.csv', index=False) (lines=True for JSON Lines)")
    refuse_binary(path, "labels file", binary_hint=_BINARY_LABELS)


def read_table(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """Read a CSV/TSV with a header; returns ``(header, rows)``."""
    header, rows, _ = read_table_lines(path)
    return header, rows


def header_looks_like_data(header: list[str]) -> bool:
    """Does a labels file's first line (read as its header) hold only numbers (and empty / NA cells)?
    Column names are words; such a line is most likely the first data row of a file without a header."""
    kinds = [cell_kind(h) for h in header]
    return "num" in kinds and all(k in ("num", "missing", "comma") for k in kinds)


def header_note(header: list[str]) -> str:
    """``the first line ('…') is read as the header``, for errors about a labels file's rows or columns."""
    shown = ",".join(header[:6]) + (",…" if len(header) > 6 else "")
    return f"its first line ({shown[:60]!r}) is read as the header"


def is_index_name(name: str) -> bool:
    """A column named like a row index or an id but not exactly ``id``: empty, pandas' ``Unnamed: 0``,
    ``index``, ``idx``, ``ID``/``Id``, ``ids``, ``row_id`` … (the names the embeddings loader never
    takes as a dimension, :data:`embgeo.io.text.INDEX_NAMES`)."""
    low = name.strip().lower()
    return name != "id" and (low in INDEX_NAMES or re.fullmatch(r"unnamed: [0-9]+", low) is not None)


def _column_label(header: list[str], j: int) -> str:
    return f"'{header[j]}'" if header[j] else f"{j + 1} (no name in the header)"


def find_cell(path: str | Path, column: str, values, *, delimiter: str | None = None) -> tuple[int, str] | None:
    """``(line, cell)`` of the first data row of the CSV/TSV ``path`` (with a header) whose cell in
    ``column`` (stripped) is one of ``values``, or None: for errors that name a cell by its line."""
    path = Path(path)
    try:
        lines, rows = _read_rows(path, delimiter)
    except (OSError, EmbgeoError, csv.Error):
        return None
    if not rows:
        return None
    header = [h.strip() for h in rows[0]]
    if column not in header:
        return None
    j = header.index(column)
    wanted = {str(v).strip() for v in values}
    for line, r in zip(lines[1:], rows[1:]):
        if j < len(r) and r[j].strip() in wanted:
            return line, r[j].strip()
    return None


def _labels_id() -> str:
    """The labels file's id column as the caller names it: ``id_col`` of :func:`join_labels`, ``--labels-id-col`` on the command line."""
    return param("id_col", "--labels-id-col")


def _embedding_ids(es: EmbeddingSet) -> str:
    """Where the embeddings' ids come from, for the format they were read in (``id_col`` of
    :func:`join_labels` is the labels file's column): :func:`embgeo.io.common.where_ids`."""
    return where_ids([es.provenance.get("format")])


def join_labels(es: EmbeddingSet, labels_path: str | Path, *, id_col: str | None = None, join: str | None = None) -> EmbeddingSet:
    """Attach the columns of ``labels_path`` to ``es``.

    ``join`` is ``None`` (decide), ``"id"`` or ``"row-order"``:

    - by **id** whenever the embeddings carry ids (the table must have the id column: ``id_col``,
      else ``id``, and hold every embedding id), or when the table's id column holds the row
      numbers ``0 … n−1`` of embeddings without ids;
    - by **row order** only when neither side has ids, or when ``join="row-order"`` is asked
      (the row counts must be equal; the table's ids are then not taken as the embeddings' ids);
    - an id column that matches none of the embedding ids, embeddings with ids but a table
      without an id column, or a table with ids over embeddings without ids are errors: a
      shuffled labels file never produces a result;
    - a column named like a row index but not ``id`` (empty, pandas' ``Unnamed: 0``, ``index``,
      ``idx``, ``ID``…) is an error unless ``id_col`` names it or ``join="row-order"``: it is not
      known whether the rows join on it or by position;
    - a column with the name of a column that the embeddings file read as a dimension is an error:
      the vectors would hold the attribute itself (for the rows of a layer stack, the column of any
      per-layer file: ``provenance["layer_dimensions"]``, as :func:`embgeo.io.load_layers` records it).

    Ids are compared by :func:`embgeo.io.common.id_key`, the one rule for id text on both sides:
    text as written (spaces around it stripped; a cell written as a whole-number float, ``3.0``, is
    the integer's id ``3``, as in every reader of text tables). Ids that are one id by that rule on
    two rows are repeated: two rows of the table with one id, or (for a join by id) two embedding rows
    with one id — a label row cannot go to both — are errors naming the id, its two lines or rows, and
    the fix. Messages show ids as read.

    ``provenance["labels_join"]`` records ``"id"``, ``"row number"`` or ``"row order"``.
    """
    src = str(labels_path)
    if join not in (None, "id", "row-order", "row_order"):
        raise EmbgeoError(f"join must be 'id' or 'row-order', got {join!r}")
    join = "row-order" if join == "row_order" else join
    header, rows, lines = read_table_lines(labels_path)
    if id_col is not None and id_col not in header:
        raise EmbgeoError(f"no id column '{id_col}' (columns: {', '.join(header[:12])})", source=src, hint=f"pass {_labels_id()} with a column of the labels file")
    key = id_col if id_col is not None else ("id" if "id" in header else None)
    if key is not None and es.ids is None and join != "row-order":  # a join by row number, while an array beside the matrix may hold the ids
        check_id_candidates(es, str(es.source))
    if key is None and join != "row-order":
        j = next((j for j, h in enumerate(header) if is_index_name(h)), None)
        in_order = j is not None and es.ids is None and [csv_id(r[j]) if j < len(r) else "" for r in rows] == [str(i) for i in range(len(rows))]
        if j is not None and not in_order:  # (0 … n−1 in file order over id-less rows: both joins agree, nothing to guess)
            name = header[j]
            named = either(setting("id_col", name), f"--labels-id-col {name!r}")
            raise EmbgeoError(f"column {_column_label(header, j)} is named like a row index or id column but not 'id', so it is not known "
                              "whether the rows join on it or by row order", source=src,
                              hint=f"pass {named} to join on it, or {row_order_setting()} if the rows are in the same order as the embeddings")
    cols = list(zip(*rows))
    table_ids = [csv_id(c) for c in cols[header.index(key)]] if key is not None else None  # '3.0' is the id '3', as in every text reader
    n = es.n_samples
    if join == "row-order" or (join is None and es.ids is None and key is None):
        if len(rows) != n:
            if header_looks_like_data(header) and len(rows) == n - 1:
                raise EmbgeoError(f"has {len(rows)} rows but the embeddings have {n}: {header_note(header)}, "
                                  "but it holds numbers, not column names (a file without a header?)", source=src,
                                  hint="add a header line naming the columns (e.g. 'score') above the data; the first line of a labels file is always its header")
            raise EmbgeoError(f"has {len(rows)} rows but the embeddings have {n} ({header_note(header)}); "
                              "a join by row order needs the same rows in the same order",
                              source=src, hint=f"give both sides ids (the embeddings: {_embedding_ids(es)}; the labels file: an 'id' column) "
                                   "or make the row counts equal")
        order = np.arange(n)
        how = "row order"
    elif key is None:  # the embeddings have ids (or a join by id was asked)
        if header_looks_like_data(header):
            raise EmbgeoError(f"has no id column to join on: {header_note(header)}, but it holds numbers, not column names (a file without a header?)",
                              source=src, hint="add a header line naming the columns (e.g. 'id,score'), with an 'id' column holding the embedding ids")
        raise EmbgeoError("has no id column to join on" + (" but the embeddings carry ids" if es.ids is not None else ""), source=src,
                          hint=f"add an 'id' column (or name it with {_labels_id()}), or pass {row_order_setting()} if the rows are in the same order")
    else:
        rep = repeated_ids(table_ids)
        if rep:
            a, b = rep[0]
            what = (f"id '{table_ids[a]}' appears twice (lines {lines[a]} and {lines[b]})" if table_ids[a] == table_ids[b]
                    else f"id '{table_ids[a]}' (line {lines[a]}) and '{table_ids[b]}' (line {lines[b]}) are the same id, so it appears twice")
            raise EmbgeoError(f"{what}{f' ({len(rep)} repeated ids in all)' if len(rep) > 1 else ''}", source=src,
                              hint=f"ids must be unique: keep one row per id (remove line {lines[b]} or merge it into line {lines[a]})")
        keys = id_keys(table_ids)  # compared by id_key (text as written, stripped); shown as read
        pos = {k: i for i, k in enumerate(keys)}
        if es.ids is None:
            if sorted(pos) != sorted(str(i) for i in range(n)):
                raise EmbgeoError(f"has an id column '{key}' but the embeddings carry no ids to match it", source=src,
                                  hint=f"give the embeddings their ids ({_embedding_ids(es)}), or pass {row_order_setting()} if the rows are in the same order")
            order = np.asarray([pos[str(i)] for i in range(n)])
            how = "row number"
        else:
            emb_ids = [str(i) for i in es.ids]
            emb_rep = repeated_ids(emb_ids)
            if emb_rep:
                first, row = emb_rep[0]
                raise EmbgeoError(f"the embeddings {es.source} hold {repeated_id_text(emb_ids, first, row)}"
                                  f"{f' ({len(emb_rep)} repeated ids in all)' if len(emb_rep) > 1 else ''}, so the label row of that id "
                                  "would go to both rows", source=src,
                                  hint=f"make the embedding ids unique (drop or rename the repeated rows), or pass {row_order_setting()} "
                                       "if the rows of the labels file are in the same order as the embeddings")
            emb_keys = id_keys(emb_ids)
            missing = [i for i, k in zip(emb_ids, emb_keys) if k not in pos]
            if len(missing) == len(emb_ids):
                raise EmbgeoError(f"its id column '{key}' matches none of the {n} embedding ids (labels: '{table_ids[0]}', …; embeddings: '{emb_ids[0]}', …)",
                                  source=src, hint=f"join on the column that holds the embedding ids ({_labels_id()})")
            if missing:
                raise EmbgeoError(f"{len(missing)} of {n} embedding ids have no label row (first: '{missing[0]}')",
                                  source=src, hint="the labels file must hold every id of the embeddings")
            order = np.asarray([pos[k] for k in emb_keys])
            how = "id"
    _refuse_leak(es, header, cols, key, order, src)
    attrs = {}
    for j, name in enumerate(header):
        if name == key:
            continue
        attrs[name] = column_array([cols[j][i] for i in order])
        old = (es.attributes or {}).get(name)
        if old is not None and not _same_column(np.asarray(old), attrs[name]):  # which of the two? never the labels' silently
            raise EmbgeoError(f"column '{name}' is in the embeddings file {es.source} and in the labels file, with different values",
                              source=src, hint=f"rename column '{name}' in one of the two files (or drop it from one)")
    out = es.with_attributes(attrs)
    return replace(out, provenance={**out.provenance, "labels": src, "labels_join": how})


def _refuse_leak(es: EmbeddingSet, header, cols, key, order, src: str) -> None:
    """A labels column named like a column that the embeddings file read as a dimension: the vectors
    carry the attribute (a leak), so every analysis of it would find it. Refused. The rows of a layer
    stack (``provenance["layer_dimensions"]``: ``(file, dimension names)`` of each per-layer file, from
    :func:`embgeo.io.load_layers`) are checked against every layer's file the same way."""
    dims, exact = dimension_columns(es, with_certainty=True)
    files = [(es.source, dims, exact)] if dims else []
    files += [(str(f), names, True) for f, names in (es.provenance or {}).get("layer_dimensions") or ()]
    for source, names, exact in files:
        dimset = set(names)
        for j, name in enumerate(header):
            if name == key or name not in dimset:
                continue
            if not exact and es.ids is not None:
                # the embeddings' id column came from --id-col and is not recorded: a labels column that
                # repeats the embedding ids is that column, not a dimension
                if id_keys([cols[j][i] for i in order]) == id_keys(es.ids):
                    continue
            raise EmbgeoError(f"column '{name}' is also a column of the embeddings file {source}, which read it as an embedding dimension: "
                              "the vectors would carry the attribute itself", source=src,
                              hint=f"remove column '{name}' from the embeddings file (keep it in the labels file only), or rename one of the two "
                                   "if they are different things")


def _same_column(a: np.ndarray, b: np.ndarray) -> bool:
    """Do two attribute columns hold the same values (NaN equal to NaN; text compared as text)?"""
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fiu" and b.dtype.kind in "fiu":
        return bool(np.array_equal(a.astype(np.float64), b.astype(np.float64), equal_nan=True))
    return [str(v) for v in a] == [str(v) for v in b]
