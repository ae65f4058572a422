"""Outputs one run has written, to take back when the run fails (no numpy: the CLI starts this first).

:func:`begin_outputs` starts recording; every file :func:`embgeo.io.writers.atomic_path` renames into
place and every folder :func:`make_folder` makes is noted (a file it replaces keeps its old content as a
hard link beside it); :func:`end_outputs` keeps them all or takes them all back.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from embgeo.errors import EmbgeoError


def write_error(exc: OSError, path: Path) -> EmbgeoError:
    import errno

    why = {errno.ENOSPC: "no space left on the device", errno.EROFS: "the file system is read-only",
           errno.EACCES: "permission denied", errno.EPERM: "permission denied", errno.EDQUOT: "disk quota exceeded"}.get(exc.errno)
    return EmbgeoError(f"cannot write: {why or exc.strerror or exc}", source=str(path),
                       hint="write somewhere else (free space, a writable folder)")


class _Outputs:
    """The files (and folders) one run has written, to take back if the run fails."""

    def __init__(self):
        self.created: list[Path] = []            # files that did not exist before
        self.replaced: list[tuple[Path, Path | None]] = []  # (file, hard link to its old content or None)
        self.folders: list[Path] = []            # folders this run created


_OUTPUTS: _Outputs | None = None


def begin_outputs() -> None:
    """Start recording outputs: from here until :func:`end_outputs`, every file written through
    :func:`embgeo.io.writers.atomic_path` (and every folder made by :func:`make_folder`) belongs to one run, so that
    a run that fails after writing some of its outputs leaves none of them (the CLI does this for
    every command: ``-o`` written, then ``--plot`` failing on a full disk, leaves no ``-o`` file)."""
    global _OUTPUTS
    _OUTPUTS = _Outputs()


def end_outputs(*, keep: bool) -> list[str]:
    """Stop recording. ``keep``: the run succeeded, drop the backups. Otherwise remove the files the
    run created, put back the old content of those it replaced, remove the folders it made when
    empty; return what was taken back (``"PATH removed"`` / ``"PATH restored"``), so the error can say so."""
    global _OUTPUTS
    rec, _OUTPUTS = _OUTPUTS, None
    if rec is None:
        return []
    undone = []
    for path, old in reversed(rec.replaced):
        if keep:
            if old is not None:
                with contextlib.suppress(OSError):
                    os.unlink(old)
            continue
        if old is not None:
            with contextlib.suppress(OSError):
                os.replace(old, path)
                undone.append(f"{path} restored")
    if not keep:
        for path in reversed(rec.created):
            with contextlib.suppress(OSError):
                os.unlink(path)
                undone.append(f"{path} removed")
        for folder in reversed(rec.folders):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty: files put there by others stay
    return undone


def make_folder(path: str | os.PathLike) -> None:
    """``mkdir`` that a failing run takes back (see :func:`begin_outputs`)."""
    path = Path(path)
    if path.is_dir():
        return
    try:
        path.mkdir()
    except OSError as exc:
        raise write_error(exc, path) from None
    if _OUTPUTS is not None:
        _OUTPUTS.folders.append(path)


def record_replace(path: Path) -> None:
    """Just before ``path`` is replaced: note it (and keep its old content) for :func:`end_outputs` (called by :func:`embgeo.io.writers.atomic_path`)."""
    if _OUTPUTS is None:
        return
    if any(p == path for p in _OUTPUTS.created) or any(p == path for p, _ in _OUTPUTS.replaced):
        return  # written twice in one run: the first record holds what was there before the run
    if not path.exists():
        _OUTPUTS.created.append(path)
        return
    old = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent)
        os.close(fd)
        os.unlink(name)
        os.link(path, name)  # the old content survives the rename as this second name
        old = Path(name)
    except OSError:
        old = None  # no hard links here: a failing run cannot put this file back
    _OUTPUTS.replaced.append((path, old))
