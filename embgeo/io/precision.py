"""Text numbers and float32: which parsed values survive float32 (docs/formats.md, *Precision*).

A text format is parsed in float64 and kept as float32 only when no value is written with more
than 9 significant digits (:func:`needs_float64`) and every value survives the conversion
(:func:`fits_float32`); a float32 pass that meets a longer value raises :class:`NeedFloat64` and
the file is parsed again in float64. A block of lines of plain numbers is parsed at once
(:func:`float_block`, :meth:`RowBlocks.add_text`) with :func:`needs_float64_block`, the answer of
:func:`needs_float64` without a regular expression per line.

Binary integers: a 64-bit integer matrix holding a value beyond 2**53 in magnitude, which float64 would
round, is refused (:func:`check_exact_integers`), never rounded silently.
"""
from __future__ import annotations

import re
import warnings

import numpy as np

from embgeo.errors import EmbgeoError

_SIG10 = re.compile(r"[1-9]\d{8}\d*?[1-9]")  # searched in the text with its decimal points removed
_F32 = np.finfo(np.float32)
#: values checked at a time by :func:`fits_float32`
CHECK_VALUES = 16384
#: 10.0 ** k for k = -_P10_LO … _P10_LO, by numpy's array ``**`` as the check computed it per value: a table lookup instead
_P10_LO = 64
_P10 = 10.0 ** np.arange(-_P10_LO, _P10_LO + 1, dtype=np.float64)
#: the bytes a block of plain numbers may hold: printable ASCII but '_' and '"' (a quote), and the
#: whitespace that both ``float`` and numpy strip (numpy also strips \x1c … \x1f, ``float`` does not)
_PLAIN_BYTES = bytes(c for c in range(0x20, 0x7F) if c not in b'_"') + b"\t\n\r\x0b\x0c"
# bytes.translate tables: '0' → 1, '1'…'9' → 2, anything else → 0 (a separator), and for _CLASSES a
# byte that is not plain → 3; '.' is deleted first
_DIGITS = bytes(1 if c == 0x30 else 2 if 0x31 <= c <= 0x39 else 0 for c in range(256))
_CLASSES = bytes(3 if c not in _PLAIN_BYTES else _DIGITS[c] for c in range(256))


#: an integer written without a point or an exponent, 16 digits or more (2**53 has 16)
_LONG_INTEGER = re.compile(r"(?<![\w.])[+-]?\d{16,}(?![\w.])")


def refuse_inexact_integers(text: str) -> None:
    """Refuse text that writes a whole number beyond 2**53 in magnitude (``4611686018427387904``): float64
    would round it, and distinct values (distinct rows) could become equal, as the binary readers refuse
    (:func:`check_exact_integers`). Called where a float32 pass meets a long number, so plain files pay nothing.
    A number written with a point or an exponent is a decimal, whose rounding is the usual one."""
    for m in _LONG_INTEGER.finditer(text):
        if abs(int(m.group())) > FLOAT64_EXACT_INT:
            raise EmbgeoError(f"the text writes the integer {m.group().lstrip('+')}, beyond 2**53 = {FLOAT64_EXACT_INT}: embgeo computes in "
                              "float64, which rounds integers that large (distinct values could become equal); it never rounds them silently",
                              hint="store smaller integers, or write the values as decimals (with a point) if the rounding is intended")


class NeedFloat64(Exception):
    """Raised inside a float32 pass when a value needs float64; the file is parsed again."""


def needs_float64(text: str) -> bool:
    """Does ``text`` write a number with more than 9 significant digits (more than float32 holds)?"""
    return _SIG10.search(text.replace(".", "")) is not None


def needs_float64_block(text: str) -> bool:
    """:func:`needs_float64` of a long text (many lines) with a few passes of numpy instead of a
    regular expression per line (the same answer)."""
    if not text.isascii():
        return needs_float64(text)  # \d also matches non-ASCII digits
    return _long_digits(text.encode("ascii").translate(_DIGITS, b"."), text)


def _long_digits(digits: bytes, text: str) -> bool:
    """``digits``: ``text`` translated by :data:`_DIGITS`. With the decimal points removed, is there a
    run of 10 digits that starts with a nonzero digit and is followed, in the same run of digits, by
    a nonzero digit at the 10th place or later? Only the rare text where a run of 10 or more digits
    holds a zero at that place (``1000000000``) is searched with the regular expression."""
    a = np.frombuffer(digits, dtype=np.uint8)
    n = a.size
    if n < 10:
        return False
    d = a != 0
    w2 = d[:-1] & d[1:]  # w_k[x]: x … x+k−1 are all digits
    w4 = w2[:-2] & w2[2:]
    w8 = w4[:-4] & w4[4:]
    start = w8[: n - 9] & w2[8:]  # 10 digits from x …
    start &= a[: n - 9] == 2  # … the first one nonzero
    if not start.any():
        return False
    if (start & (a[9:] == 2)).any():  # the 10th nonzero: a match
        return True
    return needs_float64(text)


def float_block(lines: list[str], delimiter: str | None, width: int) -> np.ndarray | None:
    """``lines`` of ``width`` plain numbers each (``delimiter`` None: runs of whitespace; the text
    ASCII, no ``_``, no quote, no control character but tab, newline, CR, VT, FF) as a float64
    ``(rows, width)`` matrix, in one pass of numpy's C parser; blank lines (empty or a bare line end)
    hold no row. None when a cell is not a number (an empty cell, text),
    a line has another number of fields or a line is blank but for spaces: the caller then reads
    the lines cell by cell, which names the line and the column. On such text numpy reads a cell
    exactly when ``float`` does, and to the same value."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": blank lines only
            out = np.loadtxt(lines, dtype=np.float64, delimiter=delimiter, comments=None, quotechar=None, ndmin=2)
    except ValueError:
        return None
    return out if out.shape[1] == width else None


def fits_float32(values: np.ndarray) -> bool:
    """Do all finite float64 ``values`` survive float32? No inf, no 0 and no subnormal from a nonzero,
    and every value keeps its digits: rounded to float32 and printed with as many significant digits
    as it has, it gives the same number back (``0.1`` and ``0.123456791`` do; ``16777217``, which
    float32 stores as 16777216, does not). Values are written with at most 9 significant digits here
    (:func:`needs_float64` sends longer ones to float64 first). Checked in slices of
    :data:`CHECK_VALUES` values (the temporaries stay in the CPU cache)."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    return all(_fits(flat[i : i + CHECK_VALUES]) for i in range(0, flat.size, CHECK_VALUES))


def _fits(values: np.ndarray) -> bool:
    finite = np.isfinite(values)
    a = np.abs(values if finite.all() else values[finite])
    if a.size == 0:
        return True
    positive = a > 0
    nz = a if positive.all() else a[positive]
    if not (a.max() <= _F32.max and (nz.size == 0 or nz.min() >= _F32.tiny)):
        return False
    return _keeps_digits(nz)


def _pow10(k: np.ndarray) -> np.ndarray:
    """``10.0 ** k`` for integer exponents ``k`` (an intp array), from the table."""
    return _P10[k + _P10_LO]


def _keeps_digits(a: np.ndarray) -> bool:
    """Do the positive normal-range float64 values ``a`` (each with at most 9 significant digits) keep
    their digits through float32? A value with ``k`` significant digits does when float32 moves it by
    less than half a unit of its ``k``-th digit, or by exactly half a unit when that digit is even
    (printing rounds a tie to even)."""
    err = a.astype(np.float32).astype(np.float64)
    err -= a
    np.abs(err, out=err)
    moved = err > 0
    if not moved.all():
        if not moved.any():
            return True
        a, err = a[moved], err[moved]
    e = np.log10(a)
    np.floor(e, out=e)
    e = e.astype(np.intp)  # the decimal exponent: 10**e <= a < 10**(e + 1)
    e += a >= _pow10(e + 1)
    e -= a < _pow10(e)
    tol = 1e-6  # relative: covers the float64 rounding of the parsed text
    close = err >= 0.5 * _pow10(e - 8) * (1 - tol)  # the others are within half a unit of the 9th digit: they survive
    if not close.all():
        if not close.any():
            return True
        a, err, e = a[close], err[close], e[close]
    for k in (6, 7, 8, 9):  # the fewest significant digits that write the value
        m = a * _pow10(k - 1 - e)
        if k < 9:
            # a value with more digits leaves at least 0.001 (k = 6) in m; float64 error in m is below 1e-8
            r = np.rint(m)
            hit = np.abs(m - r) < 1e-5
        else:
            r, hit = np.rint(m), np.ones(m.shape, dtype=bool)
        if k > 6:  # up to 6 digits always survive (float32 holds 6 decimal digits: the error is < 6e-8 of the value)
            half = 0.5 * _pow10(e[hit] - k + 1)
            eh = err[hit]
            below = eh < half * (1 - tol)
            tie = ~below & (eh <= half * (1 + tol))
            if not (below | (tie & (r[hit] % 2 == 0))).all():
                return False
        if hit.all():
            return True
        miss = ~hit
        a, err, e = a[miss], err[miss], e[miss]
    return True  # pragma: no cover  (k = 9 takes every value left)


class RowBlocks:
    """Rows collected into a float32 or float64 matrix; float32 only while every value fits
    (:func:`fits_float32`, else :class:`NeedFloat64`). Rows come one by one (:meth:`add`, as lists
    of floats, checked every ``block_rows`` rows) or as float64 blocks (:meth:`add_block`), in file order."""

    def __init__(self, dtype, block_rows: int = 4096):
        self.dtype, self.block_rows, self.blocks, self.pending = dtype, block_rows, [], []

    def add(self, values: list[float]) -> None:
        self.pending.append(values)
        if len(self.pending) >= self.block_rows:
            self.flush()

    def add_block(self, block: np.ndarray) -> None:
        self.flush()  # the rows added one by one come first
        self._keep(block)

    def add_text(self, lines: list[str], text: str, width: int, delimiter: str | None, n: int | None = None) -> bool:
        """``lines`` of ``width`` plain numbers (``text``: the lines joined; ``n`` rows when known) parsed
        at once (:func:`float_block`) and kept; False, keeping nothing, when a cell is
        not a plain number, a value is inf (written so, or too large: the caller reads the lines one by
        one and tells which) or the rows are not ``n``. In a float32 pass, a value with more than 9
        significant digits raises :class:`NeedFloat64`, as one row does."""
        if n == 0:
            return True
        if not text.isascii():
            return False
        classes = text.encode("ascii").translate(_CLASSES, b".")  # plain bytes (no 3) and the digits at once
        if b"\x03" in classes:
            return False
        block = float_block(lines, delimiter, width)
        if block is None or (n is not None and block.shape[0] != n) or np.isinf(block).any():
            return False
        if self.dtype == np.float32 and _long_digits(classes, text):
            refuse_inexact_integers(text)
            raise NeedFloat64
        self.add_block(block)
        return True

    def flush(self) -> None:
        if self.pending:
            block = np.array(self.pending, dtype=np.float64)
            self.pending = []
            self._keep(block)

    def _keep(self, block: np.ndarray) -> None:
        if self.dtype == np.float32:
            if not fits_float32(block):
                raise NeedFloat64
            block = block.astype(np.float32)
        self.blocks.append(block)

    def result(self, d: int) -> np.ndarray:
        self.flush()
        if not self.blocks:
            return np.empty((0, d), dtype=self.dtype)
        out = np.concatenate(self.blocks) if len(self.blocks) > 1 else self.blocks[0]
        self.blocks = []
        return out


__all__ = ["FLOAT64_EXACT_INT", "NeedFloat64", "RowBlocks", "check_exact_integers", "fits_float32", "float_block", "needs_float64", "needs_float64_block"]


#: the magnitude up to which float64 (what embgeo computes in) holds every integer exactly: 2**53
FLOAT64_EXACT_INT = 2 ** 53


def check_exact_integers(arr, what: str = "the matrix") -> None:
    """Refuse a 64-bit integer array (int64, uint64) holding a value beyond :data:`FLOAT64_EXACT_INT` in
    magnitude: embgeo computes in float64, which rounds such integers (distinct values, distinct rows, could
    become equal), and it never rounds silently. Narrower integers always fit. One line naming the largest
    value; the caller converts the array if the rounding is intended."""
    if getattr(arr, "dtype", None) is None or arr.dtype.kind not in "iu" or arr.dtype.itemsize < 8 or arr.size == 0:
        return
    hi, lo = int(np.max(arr)), int(np.min(arr))  # Python ints: -2**63 has no int64 magnitude
    worst = hi if abs(hi) >= abs(lo) else lo
    if abs(worst) > FLOAT64_EXACT_INT:
        raise EmbgeoError(f"{what} holds {arr.dtype} values as large as {worst} (in magnitude), beyond 2**53 = {FLOAT64_EXACT_INT}: "
                          "embgeo computes in float64, which rounds integers that large (distinct values could become equal); "
                          "it never rounds them silently",
                          hint="convert it yourself if the rounding is intended (e.g. X.astype(np.float64)), or store smaller integers")
