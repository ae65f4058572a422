"""Helpers shared by the readers of every format (public names; no reader imports another's privates)."""
from __future__ import annotations

import numpy as np

from embgeo.errors import EmbgeoError
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


def ids_as_text(values) -> np.ndarray:
    """Row ids of any dtype (int, bytes, str) as a str array."""
    return np.asarray([v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values], dtype=str)


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


def id_array(values, what: str) -> np.ndarray:
    """Row ids (int, bytes, str) as a str array; a missing (null) or empty id is an error naming its row."""
    values = list(values)
    for i, v in enumerate(values):
        if v is None or (isinstance(v, (str, bytes)) and not v.strip()):
            raise EmbgeoError(f"{what}, row {i}: the id is {'missing (null)' if v is None else 'empty'}",
                              hint="every row needs an id; fill it in or remove the row")
    return ids_as_text(values)


def no_key(key, what: str, noun: str = "matrix") -> None:
    """A file that holds one ``noun`` takes no ``:KEY`` (``--id-col`` is refused by :func:`embgeo.io.load`)."""
    if key:
        raise EmbgeoError(f"a {what} file holds one {noun}; got key '{key}'", hint="drop the ':KEY' part")


def not_utf8(path, what: str = "") -> EmbgeoError:
    """The error for a text file that is not UTF-8: the first bad line and byte, and the command that converts it."""
    from pathlib import Path

    path = Path(path)
    where = ""
    try:
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    where = f": line {lineno} holds the byte 0x{raw[exc.start]:02x} (byte {exc.start + 1} of the line)"
                    break
    except OSError:
        pass
    fixed = f"{path.stem}-utf8{path.suffix}"
    return EmbgeoError(f"{what + ' ' if what else ''}is not UTF-8 text{where}", source=str(path),
                       hint=f"convert it to UTF-8 from its encoding (e.g. latin1): iconv -f latin1 -t utf-8 {path.name} > {fixed}, then pass {fixed}")
