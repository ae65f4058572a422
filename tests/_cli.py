"""Test helper: the one shape of a refusal on the command line (shared by the CLI tests)."""
from __future__ import annotations


def one_line(res, *needles) -> str:
    """Exit 2, nothing on stdout, one ``embgeo: error:`` line (no traceback) holding every needle; the line."""
    assert res.code == 2, (res.code, res.stdout[-500:], res.stderr)
    assert res.stdout == "" and "Traceback" not in res.stderr, (res.stdout[-300:], res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("embgeo: error: "), res.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]
