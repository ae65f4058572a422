"""Docs are part of the product: the CLI reference is current and every command has a page."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _gen():
    spec = importlib.util.spec_from_file_location("gen_cli_reference", DOCS / "gen_cli_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cli_reference_is_current():
    gen = _gen()
    assert (DOCS / "cli-reference.md").read_text() == gen.render(), "docs/cli-reference.md is stale: run `make docs`"


def test_every_command_has_a_page():
    import typer.main

    from embgeo.cli.app import app

    pages = "\n".join(p.read_text() for p in DOCS.glob("*.md") if p.name not in ("cli-reference.md",))
    group = typer.main.get_command(app)
    missing = []
    for name, cmd in group.commands.items():
        if f"embgeo {name}" not in pages:
            missing.append(name)
        for sub in getattr(cmd, "commands", {}):
            if f"embgeo {name} {sub}" not in pages:
                missing.append(f"{name} {sub}")
    assert not missing, f"commands without a docs page showing them: {missing}"


def test_docs_index_links_every_page():
    index = (DOCS / "index.md").read_text()
    for page in DOCS.glob("*.md"):
        if page.name != "index.md":
            assert f"({page.name})" in index, f"docs/index.md does not link {page.name}"


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
