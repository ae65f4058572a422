"""Word-vector files: word2vec/GloVe/fastText text (``word v1 … vd`` per line, an optional ``n d``
first line) and word2vec binary. The word of each line is the row's id."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, setting
from embgeo.io.common import is_plain_number as is_number
from embgeo.io.common import forced_binary_hint, no_key, not_utf8, plain_floats, refuse_binary, use_id_col
from embgeo.io.model import EmbeddingSet
from embgeo.io.precision import NeedFloat64, RowBlocks, needs_float64, refuse_inexact_integers
from embgeo.io.text import BLOCK_ROWS

_UINT = re.compile(r"[0-9]+")  # the word2vec header 'n d'
#: the first 4 bytes of a fastText model (.bin): int32 793712314, little-endian
_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")

# ---------------------------------------------------------------- word vectors

def read_text_vectors(path: Path, *, key=None, id_col=None, allow_3d=False, forced=False) -> EmbeddingSet:
    """word2vec text (first line ``n d``) or GloVe text (no header): ``word v1 … vd`` per line.

    A file whose every line starts with a number and that has no word2vec header is either a table
    of numbers (``np.savetxt``) or word vectors whose words are numbers: it is refused, naming both
    readings, unless ``forced`` (the user passed ``--input-format text``: word vectors)."""
    no_key(key, "word-vector text")
    refuse_binary(path, binary_hint=forced_binary_hint("text") if forced else None)
    try:
        try:
            return _read_text_vectors(path, np.float32, forced)
        except NeedFloat64:
            return _read_text_vectors(path, np.float64, forced)
    except UnicodeDecodeError:
        raise not_utf8(path, binary_hint=forced_binary_hint("text") if forced else None) from None


#: word-vector text separates its fields by ASCII spaces (GloVe, fastText, word2vec and gensim write
#: one space; a tab is read as well): a word may hold any other character, a non-breaking space included
_FIELD_SEP = re.compile(r"[ \t]+")


def _fields(line: str) -> list[str]:
    """The fields of one word-vector line: split on runs of ASCII spaces and tabs only (``str.split()``
    also splits on U+00A0 and other Unicode spaces, which may be, or be part of, a word)."""
    text = line.strip(" \t\r\n")
    return _FIELD_SEP.split(text) if text else []


def _non_numeric(parts: list[str], lineno: int, d: int | None) -> EmbgeoError:
    """A line ``word v1 …`` with a value that is not a number; a word with a space in it (``new york``,
    the multi-word tokens of GloVe 840B) is named as such."""
    word = parts[0][:30]
    last = max(i for i in range(1, len(parts)) if not is_number(parts[i]))
    vals = len(parts) - last - 1
    if vals and all(not is_number(p) for p in parts[1 : last + 1]) and (d is None or vals == d):
        token = " ".join(parts[: last + 1])[:60]
        return EmbgeoError(
            f"line {lineno}: non-numeric value after the word {word!r}: the word is probably {token!r}, which contains a space "
            "(a multi-word token, as in GloVe 840B); word-vector text separates the word from its numbers by spaces, so embgeo does not "
            "guess where such a word ends",
            hint=f"convert the file to a format with a separate id column, e.g. a CSV with the words quoted in a 'word' column read with "
                 f"{use_id_col('word')} (split each line from the right: line.rstrip().rsplit(' ', {vals})), or an .npz with an 'ids' array "
                 "beside the matrix; or remove the lines whose word holds a space",
        )
    bad = next(i for i in range(1, len(parts)) if not is_number(parts[i]))
    return EmbgeoError(f"line {lineno}: non-numeric value after the word {word!r}: value {bad} is {parts[bad][:30]!r}",
                       hint="fix the value (nan for a missing one) or remove the line; word-vector text is the word, then numbers, separated by spaces")


def _one_field_hint(field: str) -> str:
    """The hint for a line of one field: comma-separated values (``np.savetxt(..., delimiter=',')``) are a CSV."""
    cells = field.split(",")
    if len(cells) > 1:
        what = "numbers" if all(is_number(c) for c in cells) else "values"
        return f"the file looks like comma-separated {what}: pass {setting('fmt', 'csv', '--input-format')}"
    return "each line is a word, then its numbers, separated by spaces"


def _read_text_vectors(path: Path, dtype, forced: bool = False) -> EmbeddingSet:
    words, out, d, header, header_line = [], RowBlocks(dtype, BLOCK_ROWS), None, None, 1
    numeric_words = True  # every word so far is a number
    first = True  # the word2vec header 'n d' is the first non-blank line
    with open(path, encoding="utf-8-sig", errors="strict") as fh:
        for lineno, line in enumerate(fh, 1):
            parts = _fields(line)  # ASCII spaces or tabs
            if not parts:
                continue
            if first and len(parts) == 2 and all(_UINT.fullmatch(p) for p in parts):
                header, header_line, first = (int(parts[0]), int(parts[1])), lineno, False
                continue
            first = False
            if len(parts) < 2:
                raise EmbgeoError(f"line {lineno}: expected a word followed by numbers", hint=_one_field_hint(parts[0]))
            try:
                vec = plain_floats(parts[1:])
            except ValueError:
                raise _non_numeric(parts, lineno, d) from None
            if d is None:
                d = len(vec)
            elif len(vec) != d:
                extra = len(vec) - d
                hint = "every vector needs the same length"
                if extra > 0:
                    hint += (f"; if the word is {' '.join(parts[: extra + 1])[:60]!r}, it contains a space, which word-vector text cannot hold: "
                             f"convert the file to a format with a separate id column (a CSV read with {use_id_col('word')}, or an .npz with an 'ids' array)")
                raise EmbgeoError(f"line {lineno} has {len(vec)} values, earlier lines have {d}", hint=hint)
            if float("inf") in vec or float("-inf") in vec:
                raise EmbgeoError(f"line {lineno}: inf (or a value too large for float64)")
            if dtype == np.float32 and needs_float64(" ".join(parts[1:])):
                refuse_inexact_integers(" ".join(parts[1:]))
                raise NeedFloat64
            words.append(parts[0])
            numeric_words = numeric_words and is_number(parts[0])
            out.add(vec)
    if d is None:
        raise EmbgeoError("holds no vectors", hint="write one line per word: the word, then its numbers")
    if numeric_words and header is None and not forced:
        raise EmbgeoError(f"every line starts with a number ({', '.join(repr(w) for w in words[:2])}{', …' if len(words) > 2 else ''}), so it is either "
                          f"a table of {d + 1} numbers per line or word vectors whose words are numbers; embgeo does not guess which",
                          hint=f"pass {setting('fmt', 'tsv', '--input-format')} to read all {d + 1} numbers of a line as dimensions, "
                               f"or {setting('fmt', 'text', '--input-format')} to read the first number as the word and {d} dimensions")
    if header is not None:
        n, hd = header
        if hd != d:
            raise EmbgeoError(f"header says {hd} dimensions but vectors have {d}",
                              hint=f"fix line {header_line} to '{n} {d}', or export the file again")
        if n != len(words):
            raise EmbgeoError(f"header says {n} vectors but the file holds {len(words)} (truncated?)",
                              hint=f"if the file was cut short, export it again; if it is complete, fix the count on line {header_line} to '{len(words)} {d}'")
    return EmbeddingSet(matrix=out.result(d), ids=np.asarray(words, dtype=str), provenance={"variant": "word2vec" if header else "glove"})


def _bad_word(word: bytes) -> bool:
    return not word or len(word) > 1000 or any(b < 0x20 or b == 0x7F for b in word)


def read_word2vec_binary(path: Path, *, key=None, id_col=None, allow_3d=False) -> EmbeddingSet:
    """word2vec binary: ``n d\\n`` then per vector ``word`` SPACE ``d`` little-endian float32
    (and an optional newline). Every word must be clean UTF-8 text and nothing may follow the
    ``n``-th vector, so a header whose ``n`` or ``d`` disagrees with the data is an error."""
    no_key(key, "word2vec binary")
    data = path.read_bytes()
    nl = data.find(b"\n")
    try:
        n, d = (int(v) for v in data[: nl if nl >= 0 else 64].split())
    except ValueError:
        fasttext = data[:4] == _FASTTEXT_MAGIC
        raise EmbgeoError("does not start with a word2vec binary header 'n d'" + (" (it is a fastText model)" if fasttext else ""),
                          hint="embgeo reads word2vec binary and text vectors, not fastText .bin models: export the fastText model's "
                               "vectors as .vec text (e.g. gensim's model.wv.save_word2vec_format('out.vec') or fastText's "
                               "print-word-vectors) and pass that file") from None
    if n <= 0 or d <= 0:
        raise EmbgeoError(f"header says {n} vectors of {d} dimensions")
    nbytes = 4 * d
    if n * (nbytes + 2) > len(data):
        raise EmbgeoError(f"header says {n} vectors of {d} dimensions, more than the file's {len(data)} bytes hold (truncated?)", hint="the file is incomplete or the header is wrong")
    pos = nl + 1
    words, matrix = [], np.empty((n, d), dtype=np.float32)
    for i in range(n):
        while pos < len(data) and data[pos : pos + 1] in (b"\n", b"\r"):
            pos += 1
        sp = data.find(b" ", pos, pos + 1001)
        if sp < 0 or sp + 1 + nbytes > len(data):
            raise EmbgeoError(f"truncated at vector {i} of {n}", hint="the file is incomplete")
        raw = data[pos:sp]
        try:
            word = raw.decode("utf-8")
        except UnicodeDecodeError:
            word = None
        if word is None or _bad_word(raw):
            raise EmbgeoError(f"vector {i}: the word is not text ({raw[:20]!r})", hint=f"the header's dimension ({d}) or count ({n}) does not match the data")
        words.append(word)
        matrix[i] = np.frombuffer(data, dtype="<f4", count=d, offset=sp + 1)
        pos = sp + 1 + nbytes
    if data[pos:].strip():
        raise EmbgeoError(f"{len(data) - pos} bytes follow the header's {n} vectors", hint="the header's count or dimension does not match the data")
    return EmbeddingSet(matrix=matrix, ids=np.asarray(words, dtype=str))
