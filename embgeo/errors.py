"""User-facing errors.

Every problem with the user's input is an :class:`EmbgeoError`: one line that
names the file (``source``), where in it (row / column / key) and what to do
(``hint``). The command line prints ``str(error)`` and exits with code 2.

A message names a setting the way the caller wrote it: :func:`param` / :func:`setting` give the
keyword argument (``k=500``) from Python and the option (``--k 500``) while the command line runs
(:func:`use_surface`). A hint names only the remedies the running command offers: :func:`offers` says
whether it has an option (every command records its options for its run, :func:`use_options`).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Collection, Optional, Union


class EmbgeoError(ValueError):
    """A one-line, actionable error about the user's input or parameters."""

    def __init__(self, message: str, *, source: str | None = None, hint: str | None = None):
        self.message = " ".join(str(message).split())
        self.source = source
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:  # one line, always
        text = f"{self.source}: {self.message}" if self.source else self.message
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.split())

    def with_source(self, source: str) -> "EmbgeoError":
        """Return a copy of this error attributed to ``source`` (keeps an existing source)."""
        if self.source:
            return self
        return type(self)(self.message, source=source, hint=self.hint)


class MissingExtraError(EmbgeoError, ImportError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str, *, feature: str, source: str | None = None):
        self.package, self.extra, self.feature = package, extra, feature
        EmbgeoError.__init__(
            self,
            f"{feature} needs the optional package '{package}'",
            source=source,
            hint=f"install it with: pip install 'embgeo[{extra}]'",
        )

    def with_source(self, source: str) -> "EmbgeoError":
        if self.source:
            return self
        return MissingExtraError(self.package, self.extra, feature=self.feature, source=source)


def require(module: str, *, package: str, extra: str, feature: str):
    """Import an optional module or raise :class:`MissingExtraError` with an install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(package, extra, feature=feature) from None


# --------------------------------------------------------------------------- the surface
# Messages name what the caller typed: a keyword argument (``k=500``) from Python, an option
# (``--k 500``) on the command line. The CLI sets the surface to "cli" for the run of a command
# (:func:`use_surface`, in ``embgeo.cli.app``); everything else is the Python surface.

_SURFACE: ContextVar[str] = ContextVar("embgeo_surface", default="python")

SURFACES = ("python", "cli")


def surface() -> str:
    """``"python"`` (the default) or ``"cli"`` while an ``embgeo`` command runs."""
    return _SURFACE.get()


@contextmanager
def use_surface(name: str):
    """Messages raised inside name arguments (``"python"``) or options (``"cli"``); reset on exit."""
    if name not in SURFACES:
        raise ValueError(f"surface must be one of {SURFACES}, got {name!r}")
    token = _SURFACE.set(name)
    try:
        yield
    finally:
        _SURFACE.reset(token)


def param(name: str, flag: str | None = None) -> str:
    """The name of a setting as the caller writes it: the keyword argument ``name`` from Python,
    the option ``flag`` (default ``--`` + ``name`` with ``-`` for ``_``; see :func:`flag_of`) on the command line."""
    if _SURFACE.get() == "cli":
        return flag_of(name, flag)
    return name


def setting(name: str, value, flag: str | None = None) -> str:
    """A setting with its value as the caller writes it: ``k=500`` / ``method='pca'`` from Python,
    ``--k 500`` / ``--method pca`` on the command line, a text value quoted for the shell where it
    needs it (``--id-col 'Unnamed: 0'``; ``flag`` as in :func:`param`)."""
    if _SURFACE.get() == "cli":
        if isinstance(value, str):  # as a shell reads it: 'Unnamed: 0' keeps its quotes, pca stays pca
            from shlex import quote

            value = quote(value)
        return f"{param(name, flag)} {value}"
    return f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}"


def either(python: str, cli: str) -> str:
    """One of two wordings, for a hint whose remedy differs between the surfaces
    (``duplicates='drop'`` in Python is ``--dedupe`` on the command line)."""
    return cli if _SURFACE.get() == "cli" else python


# --------------------------------------------------------------------------- the running command's options
# A hint names a remedy only where the caller can use it: from Python every keyword of the function
# at hand; on the command line only the options of the running command (``compare`` has no
# ``--drop-zero``). The CLI records the options of each command for its run (:func:`use_options`,
# in ``embgeo.cli.app``); outside a command they are unknown and :func:`offers` says yes.

Options = Union[Collection[str], Callable[[], Optional[Collection[str]]], None]

_OPTIONS: ContextVar[Options] = ContextVar("embgeo_options", default=None)


@contextmanager
def use_options(options: Options):
    """The options of the running command (every spelling: ``--drop-zero``, ``-k``), or a function that
    returns them when asked (None: unknown), for the block; reset on exit."""
    token = _OPTIONS.set(options)
    try:
        yield
    finally:
        _OPTIONS.reset(token)


def command_options() -> frozenset[str] | None:
    """The options of the running command, or None when they are unknown (Python, or no command)."""
    got = _OPTIONS.get()
    if callable(got):
        got = got()
    return None if got is None else frozenset(got)


def flag_of(name: str, flag: str | None = None) -> str:
    """The option that sets argument ``name``: ``flag`` (its leading ``--`` may be left out, ``"raw"``
    is ``--raw``), by default ``--`` + ``name`` with ``-`` for ``_``."""
    if flag is None:
        return "--" + name.replace("_", "-")
    return flag if flag.startswith("-") else "--" + flag


def offers(name: str, flag: str | None = None) -> bool:
    """Whether the caller can use the setting ``name``: always from Python (the function that asks knows
    its own keywords) and wherever the options are unknown; on the command line only when the running
    command has the option (``flag`` as in :func:`flag_of`)."""
    if _SURFACE.get() != "cli":
        return True
    options = command_options()
    return options is None or flag_of(name, flag) in options
