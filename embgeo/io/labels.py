"""Join a labels/attributes table (CSV/TSV) onto an :class:`EmbeddingSet`."""
from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.io.model import EmbeddingSet
from embgeo.io.readers import _column_array


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
            rows = [r for r in csv.reader(fh, delimiter=delim) if r and any(c.strip() for c in r)]
    except UnicodeDecodeError:
        raise EmbgeoError("labels file is not UTF-8 text", source=src) from None
    if len(rows) < 2:
        raise EmbgeoError("labels file needs a header row and at least one data row", source=src)
    header = [h.strip() for h in rows[0]]
    dup = next((h for h in header if header.count(h) > 1), None)
    if dup is not None:
        raise EmbgeoError(f"header names column '{dup}' twice", source=src, hint="give every column its own name")
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise EmbgeoError(f"line {i} has {len(r)} fields but the header has {len(header)}", source=src)
    return header, rows[1:]


def join_labels(es: EmbeddingSet, labels_path: str | Path, *, id_col: str | None = None) -> EmbeddingSet:
    """Attach the columns of ``labels_path`` to ``es``.

    Rows are joined by id when the embeddings carry ids and the table has the id
    column (``id_col``, else ``id``); otherwise by row order, which requires the
    same number of rows. Every embedding row must find exactly one label row.
    """
    src = str(labels_path)
    header, rows = read_table(labels_path)
    key = id_col or ("id" if "id" in header else None)
    if id_col is not None and id_col not in header:
        raise EmbgeoError(f"no id column '{id_col}' (columns: {', '.join(header[:12])})", source=src, hint="pass --labels-id-col with a column of the labels file")
    cols = list(zip(*rows))
    if key is not None and es.ids is not None:
        table_ids = [c.strip() for c in cols[header.index(key)]]
        pos = {}
        for i, t in enumerate(table_ids):
            if t in pos:
                raise EmbgeoError(f"id '{t}' appears twice (lines {pos[t] + 2} and {i + 2})", source=src, hint="ids must be unique")
            pos[t] = i
        missing = [str(i) for i in es.ids if str(i) not in pos]
        if missing:
            raise EmbgeoError(
                f"{len(missing)} of {len(es.ids)} embedding ids have no label row (first: '{missing[0]}')",
                source=src,
                hint="the labels file must hold every id of the embeddings",
            )
        order = np.asarray([pos[str(i)] for i in es.ids])
        join = "id"
    else:
        if len(rows) != es.n_samples:
            how = "has no ids to join on" if es.ids is None else f"has no '{key or 'id'}' column to join on"
            raise EmbgeoError(
                f"has {len(rows)} rows but the embeddings have {es.n_samples}, and the join {how}",
                source=src,
                hint="give both files ids (--id-col / an 'id' column) or make the row counts equal",
            )
        order = np.arange(len(rows))
        # embeddings with ids but a table without an id column: by position, and say so
        join = "row order (the labels have no id column)" if es.ids is not None else "row order"
        if key is not None and es.ids is None:  # the labels' id column names the rows
            es = replace(es, ids=np.asarray([c.strip() for c in cols[header.index(key)]], dtype=str))
    attrs = {}
    for j, name in enumerate(header):
        if name == key:
            continue
        attrs[name] = _column_array([cols[j][i] for i in order])
    out = es.with_attributes(attrs)
    return replace(out, provenance={**out.provenance, "labels": src, "labels_join": join})
