"""Rows of several embedding sets put in one order: by id, or by row order only when no set has ids.

embgeo.io has no public join of two id arrays to reuse (``embgeo.io.join_labels`` joins a labels
*file* onto one set); the id text is :func:`embgeo.io.common.ids_as_text`, as in the readers.

The rule (the same as for ``--labels``): when every input carries ids the rows are
joined by id, and every id must be in every input, exactly once — any mismatch is an
error that counts the ids each side lacks. When no input has ids the rows are taken
in file order and the row counts must agree. Inputs of which only some carry ids are
refused unless ``join="row-order"`` is asked for explicitly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embgeo.errors import EmbgeoError


@dataclass(frozen=True)
class Aligned:
    """``matrices[i]`` holds the rows of input ``i`` in the common order; ``ids`` that order (or None)."""

    matrices: tuple
    ids: np.ndarray | None
    join: str  # "id" | "row order"


def _ids(s):
    from embgeo.io.common import ids_as_text  # the readers' id text (bytes decoded as UTF-8), so ids compare as loaded

    ids = getattr(s, "ids", None)
    return None if ids is None else ids_as_text(ids)


def _matrix(s):
    return s.matrix if hasattr(s, "matrix") and not isinstance(s, np.ndarray) else s


def _name(s, i):
    prov = getattr(s, "provenance", None)
    return str(prov.get("file", f"input {i + 1}")) if prov else f"input {i + 1}"


def align_rows(sets, *, join: str | None = None, names=None) -> Aligned:
    """Put the rows of ``sets`` (EmbeddingSets or arrays) in one order.

    ``join``: ``None``/``"id"`` (by id whenever the inputs carry ids) or ``"row-order"``.
    Raises :class:`EmbgeoError` on repeated ids, ids missing from an input (with counts
    both ways and the first few), or row counts that differ for a row-order join.
    """
    sets = list(sets)
    names = list(names) if names is not None else [_name(s, i) for i, s in enumerate(sets)]
    ids = [_ids(s) for s in sets]
    mats = [_matrix(s) for s in sets]
    join = (join or "id").replace("_", "-")
    if join not in ("id", "row-order"):
        raise EmbgeoError(f"join must be 'id' or 'row-order', got {join!r}")
    have = [i is not None for i in ids]
    if join == "row-order" or not any(have):
        n0 = mats[0].shape[0]
        for name, m in zip(names[1:], mats[1:]):
            if m.shape[0] != n0:
                raise EmbgeoError(f"has {m.shape[0]} rows but {names[0]} has {n0}, and the rows are joined by row order", source=name,
                                  hint="give both inputs ids (an 'ids' array or --id-col) so that rows are joined by id, or compare files of the same rows")
        return Aligned(tuple(mats), ids[0] if have[0] else None, "row order")
    if not all(have):
        without = [n for n, h in zip(names, have) if not h]
        withids = [n for n, h in zip(names, have) if h]
        raise EmbgeoError(f"{', '.join(withids)} carry row ids but {', '.join(without)} do not, so their rows cannot be matched by id",
                          source=without[0], hint="give every input ids (an 'ids' array or --id-col), or pass --join row-order if the rows are in the same order")
    for name, iv in zip(names, ids):
        uniq, counts = np.unique(iv, return_counts=True)
        if uniq.size < iv.size:
            rep = uniq[counts > 1]
            raise EmbgeoError(f"{iv.size - uniq.size} repeated ids (first: {', '.join(repr(str(r)) for r in rep[:3])}): rows cannot be matched by id",
                              source=name, hint="make the ids unique (or drop the repeated rows) before comparing")
    ref = ids[0]
    ref_set = set(ref.tolist())
    for name, iv in zip(names[1:], ids[1:]):
        other = set(iv.tolist())
        only_ref = [v for v in ref.tolist() if v not in other]
        only_other = [v for v in iv.tolist() if v not in ref_set]
        if only_ref or only_other:
            parts = []
            if only_ref:
                parts.append(f"{len(only_ref)} of the {ref.size} ids of {names[0]} are not in {name} (first: {', '.join(repr(v) for v in only_ref[:3])})")
            if only_other:
                parts.append(f"{len(only_other)} of the {iv.size} ids of {name} are not in {names[0]} (first: {', '.join(repr(v) for v in only_other[:3])})")
            raise EmbgeoError("the ids do not match: " + "; ".join(parts), source=name,
                              hint="compare embeddings of the same items (filter both files to the shared ids first)")
    out = [mats[0]]
    for iv, m in zip(ids[1:], mats[1:]):
        pos = {v: j for j, v in enumerate(iv.tolist())}
        order = np.fromiter((pos[v] for v in ref.tolist()), dtype=np.int64, count=ref.size)
        out.append(m if np.array_equal(order, np.arange(order.size)) else np.asarray(m)[order])
    return Aligned(tuple(out), ref, "id")
