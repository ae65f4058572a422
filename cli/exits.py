"""How a run of ``embgeo`` ends when it does not succeed: one line on stderr and its exit status.

0 success; 1 a tripped gate (``--fail-on``, ``info --strict``); 2 bad input or usage; 70 an internal error
(a bug: :func:`internal_error`); 130 an interrupt (Ctrl-C, SIGTERM: :func:`terminate_like_interrupt`);
141 the reader of stdout left (a broken pipe, ``| head -1``: :data:`BROKEN_PIPE`, silent).
Every failure takes back the outputs the run had written (:func:`embgeo.outputs.end_outputs`) and says so.
"""
from __future__ import annotations

import sys

from embgeo.cli.common import settings
from embgeo.outputs import end_outputs

#: the exit status when the reader of stdout has gone (128 + SIGPIPE, as a Unix tool killed by it)
BROKEN_PIPE = 141


def encodable_streams() -> None:
    """A stream whose encoding cannot write every character (a Latin-1 locale, Windows' cp1252) writes the others
    as escapes (``≥`` → ``\\u2265``, which JSON reads back as the same character) instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding not in ("utf8", "utf8sig") and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - a detached or closed stream
                pass


#: the exit status of an internal error (BSD's EX_SOFTWARE): 1 is a tripped gate, 2 bad input, 130 an interrupt
INTERNAL_ERROR = 70


def internal_error(exc: Exception) -> None:
    """An exception embgeo did not expect: its traceback only with ``-v`` (or EMBGEO_TRACEBACK=1), then one line
    that says it is a bug, and exit :data:`INTERNAL_ERROR` — a script's ``|| echo "verdict bad"`` after
    ``--fail-on`` must not read a crash as a verdict."""
    import os
    import traceback

    if settings().verbose or os.environ.get("EMBGEO_TRACEBACK", "") not in ("", "0"):
        traceback.print_exception(exc, file=sys.stderr)
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    fail(f"internal error (a bug in embgeo; -v shows the traceback, please report it with the command line): {text}", INTERNAL_ERROR)


def terminate_like_interrupt() -> None:
    """SIGTERM unwinds like SIGINT (temporary and spill files are removed on the way out)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # pragma: no cover - not settable here
        pass


def fail(text: str, code: int) -> None:
    """The one error line; outputs the run wrote before failing are taken back, and it says so."""
    undone = end_outputs(keep=False)
    if undone:
        shown = ", ".join(undone[:3]) + (f" and {len(undone) - 3} more" if len(undone) > 3 else "")
        text += f" (took back what this run had written: {shown})"
    sys.stdout.flush()
    sys.stderr.write(f"embgeo: error: {text}\n")
    sys.stderr.flush()
    raise SystemExit(code)
