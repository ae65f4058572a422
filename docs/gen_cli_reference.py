"""Generate docs/cli-reference.md from the live ``--help`` of every command.

Run ``make docs`` after changing a command; ``tests/test_docs.py`` fails when the
file is stale.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "cli-reference.md"


def _help(args: list[str]) -> str:
    from typer.testing import CliRunner

    from embgeo.cli.app import app

    env = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    res = CliRunner().invoke(app, args + ["--help"], env=env, prog_name="embgeo", terminal_width=100)
    return "\n".join(line.rstrip() for line in res.output.strip().splitlines())


def _walk(app_args: list[str], group) -> list[list[str]]:
    import typer.main

    cmds = []
    click_group = typer.main.get_command(group)
    for name, cmd in sorted(getattr(click_group, "commands", {}).items()):
        cmds.append(app_args + [name])
        if hasattr(cmd, "commands"):
            for sub in sorted(cmd.commands):
                cmds.append(app_args + [name, sub])
    return cmds


def render() -> str:
    os.environ.setdefault("COLUMNS", "100")
    from embgeo.cli.app import app

    parts = ["# CLI reference", "", "Generated from `--help` by `docs/gen_cli_reference.py` (`make docs`); a test fails when it is stale.", ""]
    parts += ["## `embgeo`", "", "```text", _help([]), "```", ""]
    for args in _walk([], app):
        parts += [f"## `embgeo {' '.join(args)}`", "", "```text", _help(args), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if OUT.exists() and OUT.read_text() == text else 1)
    OUT.write_text(text)
    print(f"wrote {OUT}")
