"""Join a labels/attributes table (CSV/TSV) onto an :class:`EmbeddingSet`."""
from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.io.common import not_utf8
from embgeo.io.model import EmbeddingSet
from embgeo.io.text import column_array


def read_table(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """Read a CSV/TSV with a header; returns ``(header, rows)``."""
    path = Path(path)
    src = str(path)
    if not path.exists():
        raise EmbgeoError("labels file not found", source=src)
    if path.stat().st_size == 0:
        raise EmbgeoError("labels file is empty", source=src)
    delim = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: an Excel BOM is not part of the header
            reader = csv.reader(fh, delimiter=delim)
            lines, rows = [], []
            for r in reader:
                if r and any(c.strip() for c in r):
                    lines.append(reader.line_num)  # the file line the row ends on (blank lines skipped)
                    rows.append(r)
    except UnicodeDecodeError:
        raise not_utf8(path, "labels file") from None
    if len(rows) < 2:
        raise EmbgeoError("labels file needs a header row and at least one data row", source=src)
    header = [h.strip() for h in rows[0]]
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
    return header, rows[1:]


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
      shuffled labels file never produces a result.

    ``provenance["labels_join"]`` records ``"id"``, ``"row number"`` or ``"row order"``.
    """
    src = str(labels_path)
    if join not in (None, "id", "row-order", "row_order"):
        raise EmbgeoError(f"join must be 'id' or 'row-order', got {join!r}")
    join = "row-order" if join == "row_order" else join
    header, rows = read_table(labels_path)
    if id_col is not None and id_col not in header:
        raise EmbgeoError(f"no id column '{id_col}' (columns: {', '.join(header[:12])})", source=src, hint="pass --labels-id-col with a column of the labels file")
    key = id_col or ("id" if "id" in header else None)
    cols = list(zip(*rows))
    table_ids = [c.strip() for c in cols[header.index(key)]] if key is not None else None
    n = es.n_samples
    if join == "row-order" or (join is None and es.ids is None and key is None):
        if len(rows) != n:
            raise EmbgeoError(f"has {len(rows)} rows but the embeddings have {n}; a join by row order needs the same rows in the same order",
                              source=src, hint="give both files ids (--id-col / an 'id' column) or make the row counts equal")
        order = np.arange(n)
        how = "row order"
    elif key is None:  # the embeddings have ids (or a join by id was asked)
        raise EmbgeoError("has no id column to join on" + (" but the embeddings carry ids" if es.ids is not None else ""), source=src,
                          hint="add an 'id' column (or name it with --labels-id-col), or pass --join row-order if the rows are in the same order")
    else:
        pos = {}
        for i, t in enumerate(table_ids):
            if t in pos:
                raise EmbgeoError(f"id '{t}' appears twice (lines {pos[t] + 2} and {i + 2})", source=src, hint="ids must be unique")
            pos[t] = i
        if es.ids is None:
            if sorted(pos) != sorted(str(i) for i in range(n)):
                raise EmbgeoError(f"has an id column '{key}' but the embeddings carry no ids to match it", source=src,
                                  hint="load the embeddings with their ids (--id-col), or pass --join row-order if the rows are in the same order")
            order = np.asarray([pos[str(i)] for i in range(n)])
            how = "row number"
        else:
            emb_ids = [str(i) for i in es.ids]
            missing = [i for i in emb_ids if i not in pos]
            if len(missing) == len(emb_ids):
                raise EmbgeoError(f"its id column '{key}' matches none of the {n} embedding ids (labels: '{table_ids[0]}', …; embeddings: '{emb_ids[0]}', …)",
                                  source=src, hint="join on the column that holds the embedding ids (--labels-id-col)")
            if missing:
                raise EmbgeoError(f"{len(missing)} of {n} embedding ids have no label row (first: '{missing[0]}')",
                                  source=src, hint="the labels file must hold every id of the embeddings")
            order = np.asarray([pos[i] for i in emb_ids])
            how = "id"
    attrs = {}
    for j, name in enumerate(header):
        if name == key:
            continue
        attrs[name] = column_array([cols[j][i] for i in order])
    out = es.with_attributes(attrs)
    return replace(out, provenance={**out.provenance, "labels": src, "labels_join": how})
