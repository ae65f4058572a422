"""User-facing errors.

Every problem with the user's input is an :class:`EmbgeoError`: one line that
names the file (``source``), where in it (row / column / key) and what to do
(``hint``). The command line prints ``str(error)`` and exits with code 2.

A message names a setting the way the caller wrote it: :func:`param` / :func:`setting` give the
keyword argument (``k=500``) from Python and the option (``--k 500``) while the command line runs
(:func:`use_surface`).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar


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
    the option ``flag`` (default ``--`` + ``name`` with ``-`` for ``_``) on the command line."""
    if _SURFACE.get() == "cli":
        return flag or "--" + name.replace("_", "-")
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
