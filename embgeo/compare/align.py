"""Rows of several embedding sets put in one order: by id, or by row order only when no set has ids.

The join itself lives in :mod:`embgeo.io.join` (shared with ``gap``, ``uniformity --pairs``,
``report --pairs`` and the per-layer files of a layer stack); this module re-exports it for
:mod:`embgeo.compare`.

The rule (the same as for ``--labels``): when every input carries ids the rows are
joined by id, and every id must be in every input, exactly once — any mismatch is an
error that counts the ids each side lacks. When no input has ids the rows are taken
in file order and the row counts must agree. Inputs of which only some carry ids are
refused unless ``join="row-order"`` is asked for explicitly.
"""
from __future__ import annotations

from embgeo.io.join import Aligned, align_rows

__all__ = ["Aligned", "align_rows"]
