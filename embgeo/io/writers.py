"""Atomic writers: a file appears whole or not at all."""
from __future__ import annotations

import contextlib
import os
import tempfile  # noqa: F401  (tests patch writers.tempfile.mkstemp)
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.outputs import check_replaceable, record_replace, short_temp, write_error, write_target


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    An existing ``path`` keeps its permission bits; a new one gets the usual ``0666 & ~umask``.
    A symbolic link is written through: the file it names gets the new content (created when the
    link points at nothing) and the link stays. The temporary file has a short hidden name
    (``.embgeo-XXXXXXXX.tmp``), so any name the file system accepts can be written. Standard output
    (``-``, ``/dev/stdout``), a device or a pipe is refused: it cannot be replaced by a finished file.
    On any failure — an ``OSError`` (read-only or full file system: one-line
    :class:`EmbgeoError`), an exception, SIGINT — the temporary file is removed and ``path`` is
    left as it was.
    """
    path = Path(path)
    check_replaceable(path)  # before anything is written: a rename would replace the stream's name
    target = write_target(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise EmbgeoError("output folder does not exist", source=str(path), hint=f"create {parent} first")
    if target.is_dir():
        raise EmbgeoError("is a folder; cannot write a file there", source=str(path))
    try:
        tmp = short_temp(parent, suffix or target.suffix)
    except OSError as exc:
        raise write_error(exc, path) from None
    try:
        yield Path(tmp)
        try:
            mode = target.stat().st_mode & 0o7777 if target.exists() else None
        except OSError:
            mode = None
        if mode is None:
            mask = os.umask(0)
            os.umask(mask)
            mode = 0o666 & ~mask  # mkstemp makes 0600; give the usual permissions
        os.chmod(tmp, mode)
        record_replace(target)
        os.replace(tmp, target)  # onto the link's target: the link itself stays
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, EmbgeoError):
            raise write_error(exc, path) from None
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    with atomic_path(path, suffix=".npy") as tmp:
        np.save(tmp, np.asarray(array), allow_pickle=False)


def save_npz(path: str | os.PathLike, **arrays) -> None:
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **{k: np.asarray(v) for k, v in arrays.items()})


def save_matrix(path: str | os.PathLike, array: np.ndarray, *, ids=None) -> None:
    """Save a matrix by the suffix of ``path`` (``.npy``, ``.npz``, ``.csv``, ``.tsv``)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        save_npy(path, array)
    elif suffix == ".npz":
        extra = {"ids": np.asarray(ids, dtype=str)} if ids is not None else {}
        save_npz(path, embeddings=array, **extra)
    elif suffix in (".csv", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        d = array.shape[1]
        lines = [sep.join((["id"] if ids is not None else []) + [f"d{j}" for j in range(d)])]
        for i, row in enumerate(np.asarray(array)):
            vals = [repr(float(v)) for v in row]
            lines.append(sep.join(([safe_cell(str(ids[i]), sep)] if ids is not None else []) + vals))
        write_text(path, "\n".join(lines) + "\n")
    else:
        raise EmbgeoError(f"cannot write a matrix as '{suffix}'", source=str(path), hint="use .npy, .npz, .csv or .tsv")


def safe_cell(text: str, sep: str = ",") -> str:
    """A text cell from user data made safe for spreadsheets and for the delimiter: a cell that
    starts with ``=``, ``+``, ``-``, ``@`` (or tab / carriage return) and is not a number gets a
    leading ``'`` (the usual formula-injection guard); a cell holding the delimiter, a quote or a
    newline is quoted."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(text)
        except ValueError:
            text = "'" + text
    if sep in text or '"' in text or "\n" in text or "\r" in text:
        text = '"' + text.replace('"', '""') + '"'
    return text
