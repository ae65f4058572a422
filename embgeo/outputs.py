"""Outputs one run has written, to take back when the run fails (no numpy: the CLI starts this first).

:func:`begin_outputs` starts recording; every file :func:`embgeo.io.writers.atomic_path` renames into
place and every folder :func:`make_folder` makes is noted (a file it replaces keeps its old content as a
hard link beside it); :func:`end_outputs` keeps them all or takes them all back.
"""
from __future__ import annotations

import contextlib
import os
import stat
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


def make_folder(path: str | os.PathLike, *, parents: bool = False) -> None:
    """``mkdir`` that a failing run takes back (see :func:`begin_outputs`); ``parents``: also the
    missing folders above it (each one made is taken back too, when empty)."""
    path = Path(path)
    if path.is_dir():
        return
    missing = [path]
    if parents:
        while not missing[-1].parent.exists() and missing[-1].parent != missing[-1]:
            missing.append(missing[-1].parent)
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except OSError as exc:
            raise write_error(exc, folder) from None
        if _OUTPUTS is not None:
            _OUTPUTS.folders.append(folder)


def _through_proc(path: str) -> bool:
    """Whether ``path`` (or a symbolic link on its way) lies in ``/proc``: ``/dev/stdout``, ``/dev/fd/1``,
    ``/proc/self/fd/1`` are standard output's file descriptor, not a file that can be replaced."""
    p = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links followed
        if os.path.realpath(os.path.dirname(p)).startswith("/proc/"):
            return True
        if not os.path.islink(p):
            return False
        try:
            p = os.path.abspath(os.path.join(os.path.dirname(p), os.readlink(p)))
        except OSError:
            return False
    return False


#: the conventional name of standard output (``--out -``): never a file of that name (``./-`` after the
#: command line has made it a path is the same name; write a file called ``-`` by its full path)
STDOUT_DASH = "-"


def is_dash(path: str | os.PathLike | None) -> bool:
    """Whether ``path`` is ``-``, the usual name of standard output."""
    return path is not None and os.fspath(path) == STDOUT_DASH


def is_stream(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a stream or a device rather than a file: standard output or error
    (``-``, ``/dev/stdout``, ``/dev/fd/N``), ``/dev/null``, a named pipe, a socket. Such a path is written to
    in place: renaming a finished file onto it (:func:`embgeo.io.writers.atomic_path`) would replace
    the device's name with a plain file."""
    text = os.fspath(path)
    if not text:
        return False
    if is_dash(text):
        return True
    if _through_proc(text):
        return True
    try:
        st = os.stat(text)
    except OSError:
        return False
    return not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode))


def check_replaceable(path: str | os.PathLike) -> None:
    """Refuse to rename a file onto ``path`` when it names a stream or a device (:func:`is_stream`)."""
    if is_stream(path):
        raise EmbgeoError("is not a regular file (standard output, a device or a pipe); it cannot be replaced by a finished file",
                          source=str(path), hint="write to a regular file, or to standard output by not naming an output file")


def write_target(path: str | os.PathLike) -> Path:
    """The file that writing ``path`` replaces: ``path`` itself, or, when its last component is a symbolic link
    (or a chain of them), the file the link names (relative to the link's folder), so that the link stays and its
    target gets the new content. A link to nothing names the file to create; a loop, or a link into a folder that
    does not exist, is refused in one line. The folders above the last component are left to the system."""
    path = Path(path)
    p = path
    for _ in range(41):  # the kernel follows 40 links at most
        if not os.path.islink(p):
            break
        try:
            p = Path(os.path.join(os.path.dirname(p), os.readlink(p)))  # an absolute target stays absolute
        except OSError as exc:
            raise write_error(exc, path) from None
    else:
        raise EmbgeoError("is a symbolic link loop: nothing can be written through it", source=str(path),
                          hint="point the link at a file, or write elsewhere")
    if p != path and not p.parent.is_dir():
        raise EmbgeoError(f"is a symbolic link to '{p}', whose folder does not exist", source=str(path),
                          hint=f"create {p.parent} first, or point the link elsewhere")
    return p


def short_temp(folder: str | os.PathLike, suffix: str = ".tmp") -> str:
    """A new empty file in ``folder`` with a short hidden name (``.embgeo-XXXXXXXX.tmp``), whatever the length of
    the name it stands in for: a name of 250 bytes is valid, the same name with a prefix and a suffix is not.
    ``suffix`` (a writer may need the final one, e.g. ``.npy``) is kept when short, else ``.tmp``."""
    if not suffix or len(os.fsencode(suffix)) > 24:
        suffix = ".tmp"
    fd, name = tempfile.mkstemp(prefix=".embgeo-", suffix=suffix, dir=folder)
    os.close(fd)
    return name


def record_replace(path: Path) -> None:
    """Just before ``path`` is replaced: note it (and keep its old content) for :func:`end_outputs` (called by :func:`embgeo.io.writers.atomic_path`).
    A stream or device (``/dev/stdout``, ``-``, ``/dev/null``, a pipe) is refused first: the rename would replace its name with a plain file.
    A symbolic link is followed (:func:`write_target`): its target is what is replaced, and what a failing run puts back."""
    check_replaceable(path)
    path = write_target(path)
    if _OUTPUTS is None:
        return
    if any(p == path for p in _OUTPUTS.created) or any(p == path for p, _ in _OUTPUTS.replaced):
        return  # written twice in one run: the first record holds what was there before the run
    if not path.exists():
        _OUTPUTS.created.append(path)
        return
    old = None
    try:
        name = short_temp(path.parent, ".old")
        os.unlink(name)
        os.link(path, name)  # the old content survives the rename as this second name
        old = Path(name)
    except OSError:
        old = None  # no hard links here: a failing run cannot put this file back
    _OUTPUTS.replaced.append((path, old))
