"""Rows of several embedding sets put in one order: by id, or by row order only when no set has ids.

The join itself lives in :mod:`embgeo.io.join` (shared with ``gap``, ``uniformity --pairs``,
``report --pairs`` and the per-layer files of a layer stack); this module re-exports it for
:mod:`embgeo.compare`.

The rule (the same as for ``--labels``): when every input carries ids the rows are
joined by id, and every id must be in every input, exactly once — any mismatch is an
error that counts the ids each side lacks. When no input has ids the rows are taken
in file order and the row counts must agree. Inputs of which only some carry ids are
refused unless ``join="row-order"`` is asked for explicitly.

The measures of one pair taken alone (:func:`~embgeo.compare.linear_cka`, :func:`~embgeo.compare.rsa`,
:func:`~embgeo.compare.mutual_knn`, …) pair row ``i`` of one space with row ``i`` of the other:
:func:`check_same_rows` refuses two spaces of different lengths in one line, and :func:`paired_matrices`
checks both inputs (:func:`embgeo.validation.as_matrix`: a 2-D matrix of finite real numbers) and then that.
"""
from __future__ import annotations

from embgeo.errors import EmbgeoError, either
from embgeo.io.join import Aligned, align_rows

__all__ = ["Aligned", "align_rows", "check_same_rows", "paired_matrices"]


def check_same_rows(X, Y, *, names=("X", "Y")) -> None:
    """Raise an :class:`~embgeo.errors.EmbgeoError` unless the matrices ``X`` and ``Y`` hold as many rows
    (``names``: how the message calls them, as the caller wrote them)."""
    nx, ny = int(X.shape[0]), int(Y.shape[0])
    if nx != ny:
        a, b = names
        raise EmbgeoError(f"{a} has {nx} rows, {b} has {ny}: the two spaces must hold the same items, row for row",
                          hint=either("pass the same items in the same order in both (embgeo.compare.align_rows joins EmbeddingSets by id)",
                                      "give files of the same items (joined by id when every file has ids, else by row order)"))


def paired_matrices(X, Y, *, names=("X", "Y"), min_rows: int = 2):
    """``(X, Y)`` as checked matrices (:func:`embgeo.validation.as_matrix`: 2-D, real numbers, no NaN/inf, at least
    ``min_rows`` rows) that hold the same number of rows (:func:`check_same_rows`)."""
    from embgeo.validation import as_matrix

    A = as_matrix(X, name=names[0], min_rows=min_rows)
    B = as_matrix(Y, name=names[1], min_rows=min_rows)
    check_same_rows(A, B, names=names)
    return A, B
