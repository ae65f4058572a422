"""Rows of several inputs put in one order: by id whenever the inputs carry ids, by row order
only when none has, or when asked.

The rule (the same as for ``--labels``, and for every command that pairs rows: ``compare``,
``gap``, ``uniformity --pairs``, ``report --pairs``, the per-layer files of a layer stack):

- when every input carries ids the rows are joined by id onto the order of the **first**
  input, and every id must be in every input, exactly once — any mismatch is an error that
  counts the ids each side lacks (repeated ids are an error too);
- when no input has ids the rows are taken in file order and the row counts must agree;
- inputs of which only some carry ids are refused unless ``join="row-order"`` is asked for
  explicitly (then every input is taken in file order);
- inputs without ids that all hold a text column of unique values, the same values in every
  input but in another order (a ``word`` column of two CSVs, a headerless file's first column),
  are refused unless ``join="row-order"``: the pairing lives in that column (``--id-col``), and a
  join by row order would pair different items (:func:`check_key_columns`).

Each failure is one :class:`~embgeo.errors.EmbgeoError` naming the input (``source``) and the
option that resolves it (``--join row-order``). Ids are compared by
:func:`embgeo.io.common.id_key`, the one rule for id text on every side of every join: text as
written, spaces around it stripped (numbers stored as numbers were written as text once, when read:
``3`` and ``3.0`` are ``"3"``); two rows of one input whose ids are one id by that rule are repeated
ids. Messages show the ids as they were read.

:func:`row_orders` computes the order (an index array per input, ``None`` where an input is
already in the common order); :func:`align_rows` applies it to the matrices and
:func:`align_sets` to whole :class:`~embgeo.io.model.EmbeddingSet` s (ids and attributes follow).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from embgeo.errors import EmbgeoError, either, setting
from embgeo.io.common import id_candidates, id_keys, ids_as_text, repeated_id_text, repeated_ids, where_ids

__all__ = ["JOINS", "Aligned", "RowOrder", "check_join", "check_id_candidates", "check_key_columns", "row_orders", "align_rows",
           "align_sets", "input_ids", "input_name"]

#: the values of ``join`` (``None`` means ``"id"``: by id whenever the inputs carry ids)
JOINS = ("id", "row-order")


@dataclass(frozen=True)
class Aligned:
    """``matrices[i]`` holds the rows of input ``i`` in the common order; ``ids`` that order (or None)."""

    matrices: tuple
    ids: np.ndarray | None
    join: str  # "id" | "row order"


@dataclass(frozen=True)
class RowOrder:
    """``orders[i]``: the rows of input ``i`` to take (an int64 index array), or ``None`` when input
    ``i`` is already in the common order; ``ids``: the ids of that order (or None);
    ``join``: ``"id"`` or ``"row order"``."""

    orders: tuple
    ids: np.ndarray | None
    join: str


def row_order_setting() -> str:
    """``join='row-order'`` from Python, ``--join row-order`` on the command line."""
    return setting("join", "row-order")


def _key_ids(column: str) -> str:
    """How to take the row ids from a key column: read each file with ``embgeo.load(..., id_col='word')``
    in Python (the functions that pair rows take loaded sets), ``pass --id-col word`` on the command line."""
    return either(f"load each file with embgeo.load(..., {setting('id_col', column)})", f"pass --id-col {column}")


def _where_ids(sets) -> str:
    """Where the ids of these inputs would come from (:func:`embgeo.io.common.where_ids` of their formats)."""
    return where_ids([(getattr(s, "provenance", None) or {}).get("format") for s in sets])


def check_join(join) -> str:
    """``join`` (``None``, ``"id"``, ``"row-order"``/``"row_order"`` or an enum of them) as ``"id"`` or ``"row-order"``."""
    value = getattr(join, "value", join)
    value = "id" if value is None else str(value).replace("_", "-")
    if value not in JOINS:
        raise EmbgeoError(f"join must be 'id' or 'row-order', got {join!r}")
    return value


def input_ids(s) -> np.ndarray | None:
    """The row ids of ``s`` as text (an array has none; a pandas DataFrame or Series has its index,
    unless that is the default ``0 … n−1`` RangeIndex, which is row order)."""
    if isinstance(s, np.ndarray):
        return None
    if type(s).__module__.startswith("pandas"):
        index = s.index
        default = type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1
        return None if default else ids_as_text(index.to_numpy())
    ids = getattr(s, "ids", None)
    return None if ids is None else ids_as_text(ids)


def _matrix(s):
    return s.matrix if hasattr(s, "matrix") and not isinstance(s, np.ndarray) else s


def _rows(s) -> int:
    m = _matrix(s)
    shape = getattr(m, "shape", None)
    return int(shape[0]) if shape else len(m)


def input_name(s, i: int) -> str:
    """How errors name input ``i``: its file, else ``input i+1``."""
    prov = getattr(s, "provenance", None)
    return str(prov.get("file", f"input {i + 1}")) if prov else f"input {i + 1}"


def _unique_text(values) -> list[str] | None:
    """The cells of a text attribute column, stripped, when they are non-empty and unique (else None)."""
    v = np.asarray(values)
    if v.dtype.kind not in "US" or v.ndim != 1:
        return None
    cells = [c.decode("utf-8", "replace").strip() if isinstance(c, bytes) else str(c).strip() for c in v.tolist()]
    if not cells or not all(cells) or len(set(cells)) != len(cells):
        return None
    return cells


def _headerless(s) -> bool:
    """Were the column names of ``s`` made up by the reader (``c0``, ``c1``, …: a CSV without a header)?"""
    cols = (getattr(s, "provenance", None) or {}).get("columns")
    return bool(cols) and list(cols) == [f"c{i}" for i in range(len(cols))]


def check_id_candidates(s, name: str) -> None:
    """Refuse a join of the rows of ``s`` (named ``name``) with other rows when ``s`` has no ids but its
    reader recorded id candidates (``provenance["id_candidates"]``: a 1-D array of unique text or
    integers beside the matrix, e.g. ``array 'tokens'``): whether the rows join on it or by row order
    is not known, and the two give different results. Callers skip this for ``join="row-order"``."""
    cands = id_candidates(s)
    if not cands:
        return
    what = cands[0] + (f" (and {', '.join(cands[1:])})" if len(cands) > 1 else "")
    raise EmbgeoError(f"has no row ids, but {what} holds a different value for each row; embgeo reads row ids only from an array "
                      "named 'ids', so it is not known whether the rows join on it or by row order", source=name,
                      hint=f"rename it to 'ids' if it holds the row ids, or pass {row_order_setting()} if the rows are in the same order")


def check_key_columns(sets, *, join=None, names=None) -> None:
    """Refuse a join by row order that a key column contradicts: when no input carries ids (and
    ``join`` is not ``"row-order"``) but every input holds a text attribute column of unique values,
    the same set of values in each, in a different order, the pairing of the rows lives in that
    column — taking the rows by position would pair different items. The error names the column
    and the options that decide (``--id-col COLUMN`` or ``--join row-order``). Inputs whose key
    columns are in the same order (both joins agree) pass."""
    sets = list(sets)
    if len(sets) < 2 or check_join(join) == "row-order" or any(input_ids(s) is not None for s in sets):
        return
    names = list(names) if names is not None else [input_name(s, i) for i, s in enumerate(sets)]
    attrs = [getattr(s, "attributes", None) or {} for s in sets]
    for c0, v0 in attrs[0].items():
        cells0 = _unique_text(v0)
        if cells0 is None:
            continue
        set0 = set(cells0)
        match = [(c0, cells0)]
        for a in attrs[1:]:
            found = None
            for c in sorted(a, key=lambda k: k != c0):  # the same name first
                cells = _unique_text(a[c])
                if cells is not None and len(cells) == len(cells0) and set(cells) == set0:
                    found = (c, cells)
                    break
            if found is None:
                break
            match.append(found)
        else:
            off = next((i for i, (_, cells) in enumerate(match) if i and cells != cells0), None)
            if off is None:
                continue  # the same order in every input: a join on the column and by row order agree
            c_off = match[off][0]
            cols = (f"column '{c0}' of {names[0]} and {names[off]}" if c_off == c0
                    else f"column '{c0}' of {names[0]} and column '{c_off}' of {names[off]}")
            if any(_headerless(s) for s in sets):
                fix = (f"the files have no header line: add one that names this column in every file (e.g. 'word,…') and {_key_ids('word')} "
                       f"to join the rows on it, or pass {row_order_setting()} if row i of every input is the same item")
            elif c_off == c0:
                fix = f"{_key_ids(c0)} to join the rows on it, or {row_order_setting()} if row i of every input is the same item"
            else:
                fix = (f"give the column one name in every file and {_key_ids('NAME')} to join the rows on it, "
                       f"or pass {row_order_setting()} if row i of every input is the same item")
            raise EmbgeoError(f"no input carries row ids, but {cols} hold the same {len(cells0)} unique values "
                              f"in another order (first row: '{cells0[0]}' vs '{match[off][1][0]}'), so a join by row order would pair different items",
                              source=names[off], hint=fix)


def row_orders(sets, *, join=None, names=None) -> RowOrder:
    """The common order of the rows of ``sets`` (EmbeddingSets or arrays), without moving any data.

    ``join``: ``None``/``"id"`` (by id whenever the inputs carry ids) or ``"row-order"``.
    Ids are compared by :func:`embgeo.io.common.id_key` (text as written, stripped); the common order's
    ``ids`` are the first input's, as read.
    Raises :class:`EmbgeoError` on repeated ids (by that rule), ids missing from an input (with counts
    both ways and the first few), inputs of which only some carry ids (unless
    ``join="row-order"``), or row counts that differ for a row-order join.
    """
    sets = list(sets)
    if not sets:
        raise EmbgeoError("nothing to join: no inputs")
    names = list(names) if names is not None else [input_name(s, i) for i, s in enumerate(sets)]
    ids = [input_ids(s) for s in sets]
    join = check_join(join)
    if join != "row-order" and len(sets) > 1:  # an array beside the matrix that may hold the ids: by id or by row order? asked
        for name, s, iv in zip(names, sets, ids):
            if iv is None:
                check_id_candidates(s, name)
    have = [i is not None for i in ids]
    if join == "row-order" or not any(have):
        if join != "row-order":
            check_key_columns(sets, names=names)
        n0 = _rows(sets[0])
        for name, s in zip(names[1:], sets[1:]):
            if _rows(s) != n0:
                raise EmbgeoError(f"has {_rows(s)} rows but {names[0]} has {n0}, and the rows are joined by row order", source=name,
                                  hint=f"give both inputs ids ({_where_ids(sets)}) so that rows are joined by id, or compare files of the same rows")
        return RowOrder(tuple(None for _ in sets), ids[0] if have[0] else None, "row order")
    if not all(have):
        without = [n for n, h in zip(names, have) if not h]
        withids = [n for n, h in zip(names, have) if h]
        raise EmbgeoError(f"{', '.join(withids)} carry row ids but {', '.join(without)} do not, so their rows cannot be matched by id",
                          source=without[0], hint=f"give every input ids ({_where_ids(sets)}), or pass {row_order_setting()} if the rows are in the same order")
    for name, iv in zip(names, ids):
        rep = repeated_ids(iv)
        if rep:
            raise EmbgeoError(f"{len(rep)} repeated ids (first: {repeated_id_text(iv, *rep[0])}): rows cannot be matched by id",
                              source=name, hint=f"make the ids unique (or drop the repeated rows) before comparing, or pass {row_order_setting()} if the rows are in the same order")
    ref = ids[0]
    ref_list = ref.tolist()
    keys = [id_keys(iv) for iv in ids]  # compared by id_key; shown as read
    ref_set = set(keys[0])
    for name, iv, kv in zip(names[1:], ids[1:], keys[1:]):
        other = set(kv)
        only_ref = [v for v, k in zip(ref_list, keys[0]) if k not in other]
        only_other = [v for v, k in zip(iv.tolist(), kv) if k not in ref_set]
        if only_ref or only_other:
            parts = []
            if only_ref:
                parts.append(f"{len(only_ref)} of the {ref.size} ids of {names[0]} are not in {name} (first: {', '.join(repr(v) for v in only_ref[:3])})")
            if only_other:
                parts.append(f"{len(only_other)} of the {iv.size} ids of {name} are not in {names[0]} (first: {', '.join(repr(v) for v in only_other[:3])})")
            raise EmbgeoError("the ids do not match: " + "; ".join(parts), source=name,
                              hint="compare embeddings of the same items (filter both files to the shared ids first), "
                                   f"or pass {row_order_setting()} if the rows are in the same order")
    orders = [None]
    for kv in keys[1:]:
        pos = {k: j for j, k in enumerate(kv)}
        order = np.fromiter((pos[k] for k in keys[0]), dtype=np.int64, count=ref.size)
        orders.append(None if np.array_equal(order, np.arange(order.size)) else order)
    return RowOrder(tuple(orders), ref, "id")


def align_rows(sets, *, join=None, names=None) -> Aligned:
    """Put the rows of ``sets`` (EmbeddingSets or arrays) in one order (see :func:`row_orders`);
    returns the matrices (an input already in order is returned as it is, not copied)."""
    sets = list(sets)
    ro = row_orders(sets, join=join, names=names)
    mats = tuple(_matrix(s) if o is None else np.asarray(_matrix(s))[o] for s, o in zip(sets, ro.orders))
    return Aligned(mats, ro.ids, ro.join)


def align_sets(sets, *, join=None, names=None) -> tuple[list, str]:
    """``(sets in one order, how)``: each :class:`~embgeo.io.model.EmbeddingSet` reordered onto the
    rows of the first (its ids and attribute columns follow); ``how`` is ``"id"`` or ``"row order"``.
    Arrays have no ids: they join by row order. An input already in order is returned unchanged."""
    sets = list(sets)
    ro = row_orders(sets, join=join, names=names)
    out = []
    for s, o in zip(sets, ro.orders):
        if o is None:
            out.append(s)
        elif isinstance(s, np.ndarray) or not hasattr(s, "matrix"):
            out.append(np.asarray(s)[o])
        else:
            out.append(replace(s, matrix=np.asarray(s.matrix[o]), ids=None if s.ids is None else np.asarray(s.ids)[o],
                               attributes={k: np.asarray(v)[o] for k, v in s.attributes.items()}))
    return out, ro.join
