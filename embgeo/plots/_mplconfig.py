"""A writable matplotlib configuration folder, chosen before matplotlib is imported.

matplotlib keeps its configuration and font cache in ``$MPLCONFIGDIR``, else (Linux) in
``$XDG_CONFIG_HOME/matplotlib`` and ``$XDG_CACHE_HOME/matplotlib`` (``~/.config``, ``~/.cache``),
else ``~/.matplotlib``. Where that folder cannot be created or written (a read-only home in a
container), importing matplotlib logs two warnings on stderr ("mkdir -p failed …", "Matplotlib created
a temporary cache directory …"), whatever ``-q`` says, and rebuilds its font cache in a new temporary
folder on every run. :func:`use_writable_config` avoids both: when ``MPLCONFIGDIR`` is unset (or empty)
and the default folder is not writable, it sets ``MPLCONFIGDIR`` to ``<tempdir>/embgeo-mpl-<uid>``
(one per user, kept between runs so the font cache is reused). A ``MPLCONFIGDIR`` the user set is
never changed, and nothing is done once matplotlib is imported (its folders are chosen by then).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

#: the variable matplotlib reads its configuration folder from
VARIABLE = "MPLCONFIGDIR"


def _writable(folder: Path) -> bool:
    """Whether matplotlib would use ``folder`` without a warning: it can be created and written."""
    try:
        folder = folder.resolve()
        folder.mkdir(parents=True, exist_ok=True)  # as matplotlib does (it creates it anyway)
    except (OSError, RuntimeError):
        return False
    return folder.is_dir() and os.access(folder, os.W_OK)


def default_folders() -> list[Path] | None:
    """The configuration and cache folders matplotlib uses without ``MPLCONFIGDIR`` (None: no home)."""
    try:
        home = Path.home()
    except (RuntimeError, KeyError):  # no HOME and no user entry
        home = None
    if sys.platform.startswith(("linux", "freebsd")):
        config, cache = os.environ.get("XDG_CONFIG_HOME"), os.environ.get("XDG_CACHE_HOME")
        if home is None and not (config and cache):
            return None
        return [Path(config or home / ".config", "matplotlib"), Path(cache or home / ".cache", "matplotlib")]
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        old = home / ".matplotlib" if home is not None else None
        if old is not None and (old.is_dir() or not local):
            return [old]
        return [Path(local, "matplotlib")] if local else None
    return None if home is None else [home / ".matplotlib"]


def user_folder() -> Path:
    """``<tempdir>/embgeo-mpl-<uid>``: the per-user folder used instead of an unwritable default."""
    import tempfile

    if hasattr(os, "getuid"):
        who = str(os.getuid())
    else:  # pragma: no cover - Windows
        import getpass

        who = "".join(c for c in getpass.getuser() if c.isalnum() or c in "-_") or "user"
    return Path(tempfile.gettempdir(), f"embgeo-mpl-{who}")


def _own_folder(folder: Path) -> bool:
    """Create ``folder`` (mode 700) or accept an existing one that is a real folder of this user, writable."""
    import stat

    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):  # a file or a link planted in the shared temporary folder
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return os.access(folder, os.W_OK)


def use_writable_config() -> str | None:
    """Set ``MPLCONFIGDIR`` to :func:`user_folder` when matplotlib is not imported yet, ``MPLCONFIGDIR``
    is unset or empty and matplotlib's default folders cannot be written; returns the folder set
    (None when nothing was changed). Never raises: at worst matplotlib warns as it would anyway."""
    try:
        if "matplotlib" in sys.modules or os.environ.get(VARIABLE):
            return None
        folders = default_folders()
        if folders is not None and all(_writable(f) for f in folders):
            return None
        folder = user_folder()
        if not _own_folder(folder):
            return None
        os.environ[VARIABLE] = str(folder)
        return str(folder)
    except (OSError, RuntimeError, ValueError, KeyError):  # pragma: no cover - a check of the environment never stops a plot
        return None


__all__ = ["use_writable_config", "default_folders", "user_folder"]
