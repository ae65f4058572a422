"""Atomic writers: a file appears whole or not at all."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise EmbgeoError("output folder does not exist", source=str(path), hint=f"create {parent} first")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix or ".tmp", dir=parent)
    os.close(fd)
    try:
        yield Path(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
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
            lines.append(sep.join(([str(ids[i])] if ids is not None else []) + vals))
        write_text(path, "\n".join(lines) + "\n")
    else:
        raise EmbgeoError(f"cannot write a matrix as '{suffix}'", source=str(path), hint="use .npy, .npz, .csv or .tsv")
