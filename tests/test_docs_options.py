"""Every visible option of every command is named on that command's docs page.

The rule, for each command and sub-command of ``embgeo`` (the click tree of ``embgeo.cli.app.app``;
hidden commands and hidden options, the renamed aliases, are left out):

- the command has a page (``PAGE`` below; a new command without an entry fails);
- every visible option is named on its page by one of its long spellings (``--tokens`` or
  ``--no-tokens``), as a whole word: ``--k`` is not found inside ``--k-max``;
- a shared input option — one declared with the shared type of ``embgeo.cli.common``
  (``--id-col``, ``--attr-col``, ``--labels-id-col``, ``--input-format``, ``--stack-layout``: same
  long name and same help) — is named in a paragraph of the page (prose, outside code blocks) that
  links to formats.md, where these options are described: the page's "shared options" sentence.
  (``extract --id-col``, the id column of its texts file, is its own option and follows the first rule.)

docs/formats.md lists every name ``--input-format`` accepts (``embgeo.io.FORMATS``).
"""
from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: the page of each command ("" is the root `embgeo`: its global options are on output.md)
PAGE = {
    "": "output.md",
    "info": "info.md",
    "datasets": "datasets.md", "datasets export": "datasets.md", "datasets info": "datasets.md",
    "datasets list": "datasets.md", "datasets path": "datasets.md",
    "extract": "layers.md", "layers": "layers.md",
    "uniformity": "uniformity.md", "gap": "gap.md", "id": "id.md", "rank": "rank.md",
    "cosine": "cosine.md", "compare": "compare.md", "project": "project.md", "report": "report.md",
    "hyperbolic": "hyperbolic.md", "hyperbolic train": "hyperbolic.md", "hyperbolic eval": "hyperbolic.md",
    "hyperbolic combinatorial": "hyperbolic-sala.md", "hyperbolic hmds": "hyperbolic-sala.md",
    "hyperbolic delta": "hyperbolic-sala.md", "hyperbolic reembed": "hyperbolic-sala.md",
}

FENCE = re.compile(r"^\s*```")


def _commands():
    """``[(name, click command)]`` of the root and every visible command and sub-command."""
    import typer.main

    from embgeo.cli.app import app

    out = []

    def walk(cmd, path):
        out.append((" ".join(path), cmd))
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            if not getattr(sub, "hidden", False):
                walk(sub, path + [name])

    walk(typer.main.get_command(app), [])
    return out


def _options(cmd):
    """The visible options of ``cmd``: ``[(long spellings, help)]``."""
    return [([o for o in (*p.opts, *p.secondary_opts) if o.startswith("--")], p.help or "")
            for p in cmd.params if getattr(p, "param_type_name", "") == "option" and not p.hidden]


def _shared():
    """``{long name: help}`` of the shared input options, as embgeo.cli.common declares them."""
    from embgeo.cli import common

    out = {}
    for decl in (common.IdColOpt, common.AttrColOpt, common.LabelsIdOpt, common.InputFormatOpt, common.StackLayoutOpt):
        info = typing.get_args(decl)[1]
        # typer.Option("--id-col", ...): the first name is stored as the default, the others as param_decls
        names = [d for d in (info.default, *info.param_decls) if isinstance(d, str) and d.startswith("--")]
        out[names[0]] = info.help
    return out


def named(option: str, text: str) -> bool:
    """``option`` occurs in ``text`` as a whole word (not inside a longer option name)."""
    return re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", text) is not None


def paragraphs(text: str) -> list[str]:
    """The prose paragraphs of a Markdown page: fenced code blocks left out, split at blank lines."""
    prose, inside = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            inside = not inside
            prose.append("")
            continue
        prose.append("" if inside else line)
    return [p for p in re.split(r"\n\s*\n", "\n".join(prose)) if p.strip()]


def _page(name: str) -> str:
    return (DOCS / PAGE[name]).read_text(encoding="utf-8")


def test_the_walk_sees_every_command_and_the_shared_options():
    found = dict(_commands())
    assert {"", "compare", "hyperbolic delta", "hyperbolic reembed", "datasets export", "id"} <= set(found)
    assert set(_shared()) == {"--id-col", "--attr-col", "--labels-id-col", "--input-format", "--stack-layout"}
    report = {spellings[0] for spellings, help_ in _options(found["report"]) if _shared().get(spellings[0]) == help_}
    assert report == set(_shared())  # report takes every shared input option
    extract = {spellings[0] for spellings, help_ in _options(found["extract"]) if _shared().get(spellings[0]) == help_}
    assert extract == set()  # extract --id-col names a column of the texts file: its own option
    assert ["--tokens", "--no-tokens"] in [s for s, _ in _options(found["extract"])]


def test_every_command_has_a_page():
    missing = [name for name, _ in _commands() if name not in PAGE]
    assert not missing, f"commands without an entry in PAGE (and so without a docs page): {missing}"
    assert all((DOCS / page).exists() for page in PAGE.values())


def test_the_rule_reads_whole_option_names():
    assert named("--k", "give `-k/--k 10`")
    assert not named("--k", "give `--k-max 10`")
    assert not named("--plot", "`--plot-metric ID`")
    assert named("--plot", "(`--plot FILE`)")
    text = "Intro.\n\n```text\nembgeo x [--id-col COL]\n```\n\nSee [formats.md](formats.md): `--input-format`.\n"
    paras = paragraphs(text)
    assert paras == ["Intro.", "See [formats.md](formats.md): `--input-format`."]  # the code block is not prose


@pytest.mark.parametrize("name", sorted(PAGE))
def test_every_visible_option_is_on_its_page(name):
    commands = dict(_commands())
    if name not in commands:
        pytest.fail(f"PAGE names {name!r}, which is no longer a command: remove it")
    text = _page(name)
    missing = ["/".join(spellings) for spellings, _ in _options(commands[name])
               if not any(named(o, text) for o in spellings)]
    assert not missing, f"embgeo {name}: options not named on docs/{PAGE[name]}: {missing}"


@pytest.mark.parametrize("name", sorted(PAGE))
def test_shared_input_options_are_in_the_sentence_linking_formats(name):
    commands = dict(_commands())
    if name not in commands:
        pytest.fail(f"PAGE names {name!r}, which is no longer a command: remove it")
    shared = _shared()
    mine = [spellings[0] for spellings, help_ in _options(commands[name]) if shared.get(spellings[0]) == help_]
    linking = [p for p in paragraphs(_page(name)) if "](formats.md" in p]
    missing = [o for o in mine if not any(named(o, p) for p in linking)]
    assert not missing, (f"embgeo {name}: shared input options not named in a paragraph of docs/{PAGE[name]} that "
                         f"links to formats.md: {missing}")


def test_formats_page_lists_every_input_format_name():
    from embgeo.io import FORMATS

    para = [p for p in paragraphs((DOCS / "formats.md").read_text(encoding="utf-8")) if "`--input-format NAME`" in p]
    assert para, "docs/formats.md has no paragraph on `--input-format NAME`"
    missing = [f for f in FORMATS if f"`{f}`" not in para[0]]
    assert not missing, f"docs/formats.md does not list these --input-format names: {missing}"
    # the CLI's help names the same formats, in the same order
    help_ = _shared()["--input-format"]
    assert re.findall(r"[\w-]+", help_[help_.index("(") + 1:help_.rindex(")")]) == list(FORMATS)
