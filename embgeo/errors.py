"""User-facing errors.

Every problem with the user's input is an :class:`EmbgeoError`: one line that
names the file (``source``), where in it (row / column / key) and what to do
(``hint``). The command line prints ``str(error)`` and exits with code 2.
"""
from __future__ import annotations


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
