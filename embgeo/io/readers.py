"""Loading embeddings: ``load(spec)`` picks the reader for a file and checks what it returns.

``load(spec)`` takes ``PATH`` or ``PATH:KEY`` (``.npz:key``, ``.parquet:column``,
``.safetensors:tensor``, ``.h5:/path``, ``.pt:key``) and returns an
:class:`~embgeo.io.model.EmbeddingSet`. ``.npy``, ``.fvecs``/``.bvecs`` and
``.safetensors`` are memory-mapped, never copied whole. The readers live by concern in
:mod:`embgeo.io.text`, :mod:`embgeo.io.binary` and :mod:`embgeo.io.columnar`; every failure
of a reader is an :class:`~embgeo.errors.EmbgeoError` naming the file. Nothing is ever unpickled.
"""
from __future__ import annotations

import csv
import dataclasses
import errno
import os
import struct
import zipfile
import zlib
from pathlib import Path

from embgeo.arguments import check_flag
from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.io import binary, columnar, text, wordvec
from embgeo.io.common import attr_col_list, check_readable, is_permission_error, permission_denied, short_error, use_attr_col, use_id_col
from embgeo.io.model import EmbeddingSet, LayerStack
from embgeo.io.precision import check_exact_integers
from embgeo.validation import dtype_hint

#: suffix → format name
SUFFIXES = {
    ".npy": "npy",
    ".npz": "npz",
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "text",
    ".vec": "text",
    ".bin": "word2vec-binary",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".safetensors": "safetensors",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".pt": "pt",
    ".pth": "pt",
    ".fvecs": "fvecs",
    ".bvecs": "bvecs",
}

READERS = {
    "npy": binary.read_npy,
    "npz": binary.read_npz,
    "csv": text.read_csv,
    "tsv": text.read_tsv,
    "text": wordvec.read_text_vectors,
    "word2vec-binary": wordvec.read_word2vec_binary,
    "parquet": columnar.read_parquet,
    "safetensors": binary.read_safetensors,
    "hdf5": columnar.read_hdf5,
    "pt": binary.read_pt,
    "fvecs": binary.read_fvecs,
    "bvecs": binary.read_bvecs,
}

FORMATS = tuple(READERS)
#: how an error names a format found by :func:`sniff_format`
CONTENT_NAMES = {"npy": "a NumPy .npy array", "npz": "a NumPy .npz archive", "hdf5": "an HDF5 file", "parquet": "a Parquet file",
                 "pt": "a torch .pt file", "safetensors": "a safetensors file"}
#: formats whose rows have named columns (the only ones ``id_col`` applies to)
COLUMN_FORMATS = ("csv", "tsv", "parquet")

#: what a reader may raise on a corrupt file besides EmbgeoError (each becomes one line)
READ_ERRORS = (ValueError, OSError, EOFError, KeyError, IndexError, TypeError, struct.error, UnicodeDecodeError,
               RuntimeError, SyntaxError, OverflowError, zipfile.BadZipFile, zlib.error, csv.Error, RecursionError)


def broken_link(path: str | os.PathLike) -> EmbgeoError | None:
    """The error for a path that is a symbolic link going round in a loop, or pointing at nothing (not
    "file not found": the name is there), else None. One rule for the library and the command line."""
    try:
        os.stat(path)
        return None
    except ValueError:  # an embedded NUL: not a path
        return None
    except OSError as exc:
        src = os.fspath(path)
        if exc.errno == errno.ELOOP:
            return EmbgeoError("is a symbolic link loop: it cannot be resolved to a file", source=src,
                               hint="point the link at a real file, or give the file itself")
        if exc.errno == errno.ENOENT and os.path.islink(src):
            return EmbgeoError(f"is a symbolic link to '{os.readlink(src)}', which does not exist", source=src,
                               hint="fix the link, or give the file itself")
        return None


def split_spec(spec: str | os.PathLike) -> tuple[Path, str | None]:
    """Split ``"file.npz:key"`` into ``(Path("file.npz"), "key")``.

    The part after the last ``:`` is a key only when what precedes it is a file
    with a known suffix (so ``C:\\data\\x.npy`` and names containing ``:`` work).
    """
    if not isinstance(spec, (str, os.PathLike)) or isinstance(os.fspath(spec), bytes):
        raise EmbgeoError(f"a file is named by a path (str or pathlib.Path), got {type(spec).__name__} {spec!r:.40}",
                          hint=either("pass the file's path, e.g. embgeo.load('emb.npy'); an array goes to the analyses directly", "name a file"))
    txt = os.fspath(spec)
    if os.path.exists(txt):
        return Path(txt), None
    head, sep, tail = txt.rpartition(":")
    if sep and head and Path(head).suffix.lower() in SUFFIXES:
        if not tail:  # 'x.npz:' names no key: never read as if no ':' had been written
            raise EmbgeoError("empty key after ':'", source=head,
                              hint=f"name the array after the ':' ({Path(head).name}:KEY), or drop the ':' to let embgeo pick the one matrix")
        return Path(head), tail
    return Path(txt), None


def sniff_format(path: Path) -> str | None:
    """The binary format a file's first bytes declare (its magic number: ``.npy``, ``.npz``, HDF5,
    Parquet, a torch zip archive, a safetensors header), or None (text, ``.fvecs``, unknown)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        if is_permission_error(exc):  # said as such, never as a corrupt file of the format
            raise permission_denied(path) from None
        return None
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except Exception:  # noqa: BLE001 - a damaged archive is named by its reader
            return None
        if names and all(n.endswith(".npy") for n in names):
            return "npz"
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            return "pt"
        return None
    if len(head) >= 9 and head[8:9] == b"{":
        (hlen,) = struct.unpack("<Q", head[:8])
        if 0 < hlen and 8 + hlen <= size:
            return "safetensors"
    return None


def check_contents(path: Path, fmt: str, forced: bool) -> None:
    """Refuse a file whose first bytes declare another format than the one it is read as (a ``.npy``
    given ``--input-format csv``, an ``.npz`` named ``.csv``): one line naming both, never a
    misleading error from the wrong reader (such as "not UTF-8 text")."""
    found = sniff_format(path)
    if found is None or found == fmt:
        return
    suffix = path.suffix.lower()
    if forced:
        fix = (f"drop {setting('fmt', fmt, '--input-format')}: the suffix {suffix} reads it as {found}" if SUFFIXES.get(suffix) == found
               else f"pass {setting('fmt', found, '--input-format')}")
        said = setting("fmt", fmt, "--input-format")
    else:
        ext = next(s for s, f in SUFFIXES.items() if f == found)
        fix = f"rename it to {path.stem}{ext}, or pass {setting('fmt', found, '--input-format')}"
        said = f"its suffix {suffix or '(none)'}"
    raise EmbgeoError(f"holds {CONTENT_NAMES[found]} (its first bytes say so), but {said} reads it as {fmt}", source=str(path), hint=fix)


def detect_format(path: Path, fmt: str | None = None) -> str:
    if fmt:
        if fmt not in READERS:
            raise EmbgeoError(f"unknown input format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".gz":
        raise EmbgeoError("compressed files are not read directly", source=str(path), hint="decompress it first (gunzip)")
    if suffix not in SUFFIXES:
        known = " ".join(sorted(SUFFIXES))
        raise EmbgeoError(f"unknown file type '{suffix or '(none)'}'", source=str(path), hint=f"use one of: {known}, or pass {param('fmt', '--input-format')}")
    return SUFFIXES[suffix]


def load(
    spec: str | os.PathLike,
    *,
    fmt: str | None = None,
    key: str | None = None,
    id_col: str | None = None,
    bad_cells: str = "error",
    attr_cols=(),
) -> EmbeddingSet:
    """Load one embedding matrix from ``spec`` (``PATH`` or ``PATH:KEY``).

    Parameters
    ----------
    fmt : force a format (``npy``, ``npz``, ``csv``, ``tsv``, ``text``, ``word2vec-binary``,
        ``parquet``, ``safetensors``, ``hdf5``, ``pt``, ``fvecs``, ``bvecs``). A forced ``csv``/``tsv``
        reads a file without that delimiter as fields separated by spaces (``np.savetxt``); a forced
        ``text`` reads a file whose words are all numbers as word vectors. A file whose first bytes
        declare another binary format than ``fmt`` (or than its suffix) is an error naming both.
    key : array / column / tensor / dataset to read from a container (overrides ``:KEY``).
    id_col : CSV/TSV/parquet column holding row ids (an error for any other format).
    attr_cols : CSV/TSV/parquet columns that hold attributes (a label, a year, a class code), read
        into ``attributes`` whatever they hold, never as dimensions: an integer column beside float
        dimensions is otherwise refused as a question (an error for any other format).
    bad_cells : CSV/TSV only: ``"error"`` (default) fails on an empty or non-numeric cell in a
        numeric column, naming the line and column; ``"nan"`` reads such cells as NaN.
    """
    if bad_cells not in ("error", "nan"):  # (CSV/TSV only, but a wrong value is wrong for every file)
        raise EmbgeoError(f"{param('bad_cells')} must be 'error' or 'nan', got {bad_cells!r}")
    attr_cols = attr_col_list(attr_cols)
    path, spec_key = split_spec(spec)
    key = key or spec_key
    src = str(path)
    forced = fmt is not None
    if not path.exists():
        raise broken_link(src) or EmbgeoError("file not found", source=src, hint="check the path")
    if path.is_dir():
        raise EmbgeoError("is a directory, not a file", source=src)
    fmt = detect_format(path, fmt)
    if path.stat().st_size == 0:
        raise EmbgeoError("file is empty", source=src)
    check_contents(path, fmt, forced)  # (its first read says "permission denied" as such)
    if id_col is not None and fmt not in COLUMN_FORMATS:
        raise EmbgeoError(f"{use_id_col(id_col)} names a column, but this {fmt} file has no columns", source=src,
                          hint=f"drop {param('id_col')} ({param('id_col')} applies to CSV, TSV and parquet files"
                               + ("; word vectors carry their words as ids)" if fmt in ("text", "word2vec-binary") else ")"))
    if attr_cols and fmt not in COLUMN_FORMATS:
        raise EmbgeoError(f"{use_attr_col(attr_cols[0])} names a column, but this {fmt} file has no columns",
                          source=src, hint=f"drop {param('attr_cols', '--attr-col')} ({param('attr_cols', '--attr-col')} applies to CSV, TSV and parquet files)")
    extra = {"bad_cells": bad_cells} if fmt in ("csv", "tsv") else {}
    if attr_cols:
        extra["attr_cols"] = attr_cols
    if forced and fmt in ("csv", "tsv", "text"):
        extra["forced"] = True  # csv/tsv: a file with no such delimiter is split at spaces; text: numbers as words are words
    try:
        es = READERS[fmt](path, key=key, id_col=id_col, **extra)
    except EmbgeoError as exc:
        raise exc.with_source(src) from None
    except READ_ERRORS as exc:
        if is_permission_error(exc):
            raise permission_denied(path) from None
        raise EmbgeoError(f"cannot read as {fmt}: {short_error(exc)}", source=src, hint="check that the file is complete and in this format") from None
    except MemoryError:
        raise EmbgeoError(f"cannot read as {fmt}: it declares more data than fits in memory", source=src, hint="check that the file is complete") from None
    matrix = es.matrix
    if matrix.ndim != 2:
        if matrix.ndim == 0:
            raise EmbgeoError("holds a single number (a 0-D array); expected (n_samples, n_features)", source=src, hint="save a 2-D matrix")
        if matrix.ndim == 1:
            raise EmbgeoError(f"holds a 1-D array of shape {matrix.shape}; expected (n_samples, n_features)", source=src, hint="save a 2-D matrix")
        raise EmbgeoError(f"holds a {matrix.ndim}-D array of shape {matrix.shape}; expected (n_samples, n_features)", source=src, hint="a 3-D array is a layer stack: read it with " + either("embgeo.load_layers", "id, rank or compare with --layers, embgeo layers, or report --layers FILE"))
    if matrix.dtype.kind not in "fiub":
        raise EmbgeoError(f"holds dtype {matrix.dtype}; expected real numbers", source=src, hint=dtype_hint(matrix.dtype))
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise empty_matrix(path, fmt, matrix.shape, key)
    try:
        check_exact_integers(matrix)  # int64/uint64 beyond 2**53: float64 would round them (never silently)
    except EmbgeoError as exc:
        raise exc.with_source(src) from None
    # key: the one named, or the one picked by its name among several (inputs[].key)
    prov = {"file": src, "format": fmt, "key": key if key is not None else es.provenance.get("key"), "dtype": es.provenance.get("dtype", str(matrix.dtype)), "file_bytes": path.stat().st_size,
            "rows_read": int(matrix.shape[0])}  # kept through take(): inputs[].rows is the file's count
    prov.update({k: v for k, v in es.provenance.items() if k not in prov})
    return EmbeddingSet(matrix=matrix, ids=es.ids, attributes=es.attributes, provenance=prov)


def empty_matrix(path: Path, fmt: str, shape: tuple, key: str | None = None) -> EmbgeoError:
    """The error for a matrix with no rows (or no columns), with how to save one for its format."""
    rows = shape[0] == 0
    want = f"(n, {shape[1]}), n ≥ 1" if rows else f"({shape[0]}, d), d ≥ 1"
    if fmt in ("csv", "tsv"):
        fix = "add one line per embedding, one number per column" if rows else "give it one numeric column per dimension"
    elif fmt in ("text", "word2vec-binary"):
        fix = "write one line per word: the word, then its numbers"
    elif fmt == "npy":
        fix = f"save the embeddings again: np.save('{path.name}', X) with X of shape {want}"
    elif fmt == "npz":
        fix = f"save the embeddings again: np.savez('{path.name}', embeddings=X) with X of shape {want}"
    else:
        fix = f"save the embeddings again with shape {want}"
    if fmt in ("npz", "parquet", "safetensors", "hdf5", "pt"):
        fix += f", or name a non-empty {'column' if fmt == 'parquet' else 'array'} as {path.name}:KEY"
    return EmbgeoError(f"holds an empty matrix of shape {tuple(shape)}: no {'rows' if rows else 'columns'}", source=str(path), hint=fix)


def id_cols(specs, id_col: str | None, fmt: str | None = None) -> list:
    """``--id-col`` for each of several inputs read together (``compare X.csv Y.npz --id-col key``):
    the CSV/TSV/parquet inputs get it, the others keep their own ids. When none of them has columns
    it is given to all, so :func:`load` refuses it with its one line."""
    return per_column_input(specs, id_col, fmt)


def per_column_input(specs, value, fmt: str | None = None) -> list:
    """An option that names columns (``--id-col``, ``--attr-col``) for each of several inputs read
    together: the CSV/TSV/parquet inputs get ``value``, the others None. When none of them has columns
    it is given to all, so :func:`load` refuses it with its one line."""
    specs = list(specs)
    if not value:
        return [value] * len(specs)
    fmts = []
    for spec in specs:
        try:
            fmts.append(detect_format(split_spec(spec)[0], fmt))
        except EmbgeoError:
            fmts.append(None)  # load says what is wrong with this input
    if not any(f in COLUMN_FORMATS for f in fmts):
        return [value] * len(specs)
    return [value if f in COLUMN_FORMATS or f is None else None for f in fmts]


#: how the axes of one 3-D stack file are laid out (``load_layers(layout=...)``, ``--stack-layout``)
STACK_LAYOUTS = ("layers-first", "rows-first")


def load_layers(specs: list[str], *, fmt: str | None = None, id_col: str | None = None, join: str | None = None,
                check_finite: bool = True, layout: str | None = None, attr_cols=()) -> LayerStack:
    """A layer stack from one ``L×n×d`` file (``.npy``/``.npz``/…) or several 2-D files.

    A 3-D file (layers × rows × dims: the first axis is the layers) keeps the row ids stored beside it,
    read by its reader with the rules of a 2-D matrix's ids (one id per row, ``n`` of them, unique):
    an ``ids`` array in ``.npz``, an ``ids`` dataset in HDF5, an ``ids`` entry of a ``.pt`` dict, the
    ``ids`` metadata (or an integer ``ids`` tensor) of a safetensors file. ``id_col`` names a column of
    CSV/TSV/parquet per-layer files; a 3-D stack has no columns and does not use it (a command whose
    only input is the stack refuses it: :func:`refuse_stack_id_col`); ``attr_cols`` likewise names attribute
    columns of per-layer CSV/TSV/parquet files (:func:`load`). Per-layer files are joined onto
    the rows of the first file by :func:`embgeo.io.join.align_sets`: by id whenever they carry ids
    (every id in every file, once), by row order only when none has, or with ``join="row-order"``;
    files of which only some carry ids are refused unless ``join="row-order"``. ``check_finite`` (default True):
    a row with NaN or inf in any layer is refused, naming the file, the layer and the file's own row
    (:func:`refuse_nonfinite_layers`). ``provenance["layer_dimensions"]`` records, for per-layer files whose
    columns are named (CSV/TSV/parquet), ``(file, dimension column names)``: :func:`embgeo.io.join_labels`
    refuses a labels column that one of them read as a dimension.

    ``layout`` says how one 3-D file is laid out: ``"layers-first"`` (``L×n×d``) or ``"rows-first"``
    (``n×L×d``, e.g. ``torch.stack(hidden_states, dim=1)``; its first two axes are swapped). Left out
    (None), the file is read layers-first, and a file with as many layers as rows per layer or more — what a
    rows-first file looks like read layers-first — is refused (the choice is the caller's) unless row
    ids stored beside it count its second axis, which settles the axes.
    """
    check_finite = check_flag("check_finite", check_finite)
    attr_cols = attr_col_list(attr_cols)
    if isinstance(specs, (str, os.PathLike)):  # one path, not its characters: a list of one
        specs = [specs]
    specs = list(specs)
    if not specs:
        raise EmbgeoError("no files given for the layer stack", hint="give one L×n×d file or several 2-D files, one per layer")
    if layout is not None and layout not in STACK_LAYOUTS:
        raise EmbgeoError(f"unknown stack layout {layout!r}", hint=either("give layout='layers-first' or layout='rows-first'",
                                                                          "give --stack-layout layers-first or rows-first"))
    if len(specs) == 1:
        path, key = split_spec(specs[0])
        fmt1 = detect_format(path, fmt)
        if fmt1 in ("npy", "npz", "safetensors", "hdf5", "pt") and path.is_file():
            check_readable(path)
            try:
                es = READERS[fmt1](path, key=key, id_col=None, allow_3d="rows-first" if layout == "rows-first" else True)
                arr = es.matrix
                ids = es.provenance.get("row_ids") if arr.ndim == 3 else None  # the n row ids (the reader matched them to axis 1)
            except EmbgeoError as exc:
                raise exc.with_source(str(path)) from None
            except READ_ERRORS as exc:
                if is_permission_error(exc):
                    raise permission_denied(path) from None
                raise EmbgeoError(f"cannot read as {fmt1}: {short_error(exc)}", source=str(path)) from None
            if arr.ndim == 3:
                if layout is None and arr.shape[0] >= arr.shape[1] and ids is None:  # ids of n = axis 1 rows settle the axes
                    L, n = int(arr.shape[0]), int(arr.shape[1])
                    raise EmbgeoError(f"read as layers × rows × dims, this 3-D array {tuple(int(s) for s in arr.shape)} holds {L} layers of "
                                      f"{n} rows each: {'as many layers as rows, so both readings fit' if L == n else 'more layers than rows, which is how a rows × layers × dims array reads'}; "
                                      "embgeo does not guess which axis holds the rows", source=str(path),
                                      hint=f"pass {setting('layout', 'rows-first', '--stack-layout')} if its first axis is the rows "
                                           f"(e.g. torch.stack(hidden_states, dim=1)), or {setting('layout', 'layers-first', '--stack-layout')} "
                                           f"if it really holds {'as many' if L == n else 'more'} layers {'as' if L == n else 'than'} rows")
                try:
                    check_exact_integers(arr, "the stack")  # int64/uint64 beyond 2**53: float64 would round them (never silently)
                except EmbgeoError as exc:
                    raise exc.with_source(str(path)) from None
                stack = LayerStack.from_array(arr, source=str(path), ids=ids)
                stack = dataclasses.replace(stack, provenance={**stack.provenance, "format": fmt1})
                if check_finite:
                    refuse_nonfinite_layers(stack.layers, stack.names, [str(path)] * len(stack.layers))
                return stack
    if layout is not None and (len(specs) > 1 or split_spec(specs[0])[0].is_file()):  # a missing file: load says so
        raise EmbgeoError(f"{setting('layout', layout, '--stack-layout')} applies to one 3-D stack file; "
                          f"{'these files hold one layer each' if len(specs) > 1 else 'this file is not a 3-D array'}",
                          source=", ".join(str(s) for s in specs), hint=f"drop {param('layout', '--stack-layout')}")
    sets, named = [], []
    for spec, col, attrs in zip(specs, id_cols(specs, id_col, fmt), per_column_input(specs, attr_cols, fmt)):
        es = load(spec, fmt=fmt, id_col=col, attr_cols=attrs)
        sets.append(EmbeddingSet(es.matrix, es.ids, es.attributes, {**es.provenance, "name": Path(es.source).stem}))
        dims = layer_dimension_names(es, col)
        if dims:
            named.append((es.source, dims))
    if check_finite:  # each file before the join: the row named is the file's own
        refuse_nonfinite_layers([s.matrix for s in sets], [s.provenance["name"] for s in sets], [s.source for s in sets])
    stack = LayerStack.from_sets(sets, join=join)
    formats = {s.provenance.get("format") for s in sets}
    extra = {"format": formats.pop() if len(formats) == 1 else None}  # where the row ids came from (hints name it)
    if named:
        extra["layer_dimensions"] = named
    return dataclasses.replace(stack, provenance={**stack.provenance, **extra})


def refuse_stack_id_col(stack: LayerStack, id_col: str | None, source: str, attr_cols=()) -> None:
    """``--id-col`` (or ``--attr-col``) given for a stack read from one 3-D file: it names a column, and a
    stack has none (its row ids come from the file itself). One line, never ignored silently."""
    if attr_cols and stack.join is None:
        first = attr_cols if isinstance(attr_cols, str) else attr_cols[0]
        raise EmbgeoError(f"{use_attr_col(first)} names a column, but this layer stack (one 3-D array) has no columns", source=source,
                          hint=f"drop {param('attr_cols', '--attr-col')}: attributes of a stack's rows come from a "
                               + either("labels file (embgeo.io.join_labels)", "--labels file"))
    if id_col is not None and stack.join is None:  # join is None: one L×n×d array, not per-layer files
        raise EmbgeoError(f"{use_id_col(id_col)} names a column, but this layer stack (one 3-D array) has no columns", source=source,
                          hint=f"drop {param('id_col')}: a stack's row ids come from the file itself (an 'ids' array, dataset or entry beside it)")


def layer_dimension_names(es: EmbeddingSet, id_col: str | None) -> tuple | None:
    """The column names that the file of ``es`` read as its dimensions (CSV/TSV/parquet), exactly, or None.
    ``id_col`` (the ``--id-col`` the file was read with) is the one column that the reader's record
    does not tell apart from the dimensions."""
    from embgeo.io.model import dimension_columns

    names, exact = dimension_columns(es, with_certainty=True)
    if names and not exact and id_col is not None and id_col in names:
        names = [c for c in names if c != id_col]
        exact = len(names) == es.n_features
    return tuple(names) if names and exact else None


def refuse_nonfinite_layers(layers, names, sources, *, what: str = "") -> None:
    """One line naming the file and the layer (``what`` prefixes it, e.g. ``"view 2, "``) when a layer has a
    row with NaN or inf: the rows of every layer stay aligned, so a bad row is refused rather than dropped
    (the same words in every command that reads a stack: id, rank, compare, layers, report)."""
    import numpy as np

    from embgeo.validation import format_rows, scan_rows

    for L, name, source in zip(layers, names, sources):
        X = np.asarray(L)
        if X.dtype.kind != "f" or X.ndim != 2:
            continue
        bad = scan_rows(X, duplicates=False).nonfinite_rows  # block by block: a memory-mapped stack stays mapped
        if bad.size:
            many = "s" if bad.size > 1 else ""
            raise EmbgeoError(f"{what}layer '{name}' has {bad.size} row{many} with NaN or inf (row{many} {format_rows(bad)})", source=source,
                              hint=f"fix or remove those rows in every layer{' and view' if what else ''}: the rows stay aligned across layers")
