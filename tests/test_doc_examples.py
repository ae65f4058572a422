"""Every example in README.md and docs/*.md is executed, and its shown output compared.

An example is a fenced block (```text / ```console) whose first line starts with ``$ ``. Each
``$ command`` (continued over lines ending in ``\\`` or inside an open quote) runs with bash in
one scratch folder per page, in page order, with the project's ``embgeo`` and ``python`` first on
PATH and the bundled data copied in (``sentences.npy``, ``sentences.csv``, ``paraphrases_a.npy``,
``paraphrases_b.npy``, ``mammal_closure.csv``, ``smalltree.edges``, and ``emb.npy`` = the
sentences). Its stdout and stderr together are compared with the lines shown under it:

- text is compared token by token (table borders and column widths are ignored);
- a number equals the shown one to the shown precision (one unit in its last digit); a number
  shown at full precision (more than 8 significant decimals, as CSV writes them) to 1e-7 relative,
  since its last digits depend on the BLAS kernels of the CPU that ran it;
- ``…`` on its own stands for any run of tokens (timings, paths of temporary files).

A block preceded by ``<!-- not-run: REASON -->`` is not run (e.g. it needs a GPU); the reason
is required. Every command must exit 0: examples of failures end in ``|| echo …`` or
``; echo "exit code $?"`` and show that output.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md"] + sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "cli-reference.md")
#: pages whose examples are not yet checked: none (issue 15); a page may not be added back
PENDING: set = set()
FENCE = re.compile(r"^( *)```(\w*)\s*$")  # also indented under a list item
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(\S.*?)\s*-->")
NUMBER = re.compile(r"[-+−]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
TOKEN = re.compile(r"[-+−]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|…|[^\s\d│┃┏┓┗┛┡┩└┘┌┐├┤┬┴┼━─═╇╈╋╍┳┻╭╮╰╯|]+")


def _complete(command: str) -> bool:
    if command.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(command)
    except ValueError:  # an open quote: the command goes on
        return False
    return True


def examples(page: Path):
    """``[(line number, command, expected output lines)]`` of every runnable block of ``page``;
    blocks marked not-run are returned as ``(line, None, reason)``."""
    lines = page.read_text().splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or m.group(2) not in ("", "text", "console", "shell", "bash"):
            if m:  # skip other fenced blocks (python, json …) whole
                i += 1
                while i < len(lines) and not lines[i].lstrip().startswith("```"):
                    i += 1
            i += 1
            continue
        indent = len(m.group(1))
        start = i
        i += 1
        body = []
        while i < len(lines) and not lines[i].lstrip().startswith("```"):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1
        if not body or not body[0].startswith("$ "):
            continue
        above = "\n".join(lines[max(0, start - 3):start])
        skip = NOT_RUN.search(above)
        if skip:
            out.append((start + 1, None, skip.group(1)))
            continue
        j = 0
        while j < len(body):
            if not body[j].startswith("$ "):
                j += 1
                continue
            cmd = body[j][2:]
            line_no = start + 2 + j
            j += 1
            while not _complete(cmd) and j < len(body):
                cmd += "\n" + (body[j][2:] if body[j].startswith("> ") else body[j])
                j += 1
            expected = []
            while j < len(body) and not body[j].startswith("$ "):
                expected.append(body[j])
                j += 1
            out.append((line_no, cmd, expected))
    return out


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text.replace("−", "-"))


def _num(tok: str):
    if not NUMBER.fullmatch(tok):
        return None
    try:
        return float(tok)
    except ValueError:
        return None


def _same(expected: str, actual: str) -> bool:
    if expected == actual:
        return True
    e, a = _num(expected), _num(actual)
    if e is None or a is None:
        return False
    mantissa = expected.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    scale = 10.0 ** int(expected.lower().split("e")[1]) if "e" in expected.lower() else 1.0
    if decimals == 0 and "e" not in expected.lower() and "." not in expected:
        return e == a
    tol = 1.0001 * scale * 10.0 ** -decimals
    if decimals > 8:  # full precision: the last digits are the BLAS's, not the estimate's
        tol = max(tol, 1e-7 * max(abs(e), abs(a)))
    return abs(a - e) <= tol


def match(expected: list[str], actual: list[str]) -> int | None:
    """None when ``actual`` matches ``expected`` (with ``…`` wildcards), else the index of the first
    expected token that does not match."""
    memo = {}

    def go(i, j):
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == len(expected):
            r = None if j == len(actual) else i
        elif expected[i] == "…":
            r = i
            for k in range(j, len(actual) + 1):
                if go(i + 1, k) is None:
                    r = None
                    break
        elif j < len(actual) and _same(expected[i], actual[j]):
            r = go(i + 1, j + 1)
        else:
            r = i
        memo[key] = r
        return r

    sys.setrecursionlimit(max(10000, 4 * (len(expected) + len(actual))))
    return go(0, 0)


def _sandbox(tmp: Path) -> dict:
    from embgeo.datasets.registry import path

    sentences = Path(path("sentences"))
    data = sentences.parent
    for name in ("sentences.npy", "sentences.csv", "paraphrases_a.npy", "paraphrases_b.npy"):
        shutil.copy(data / name, tmp / name)
    shutil.copy(sentences, tmp / "emb.npy")
    shutil.copy(path("mammals"), tmp / "mammal_closure.csv")
    shutil.copy(path("smalltree"), tmp / "smalltree.edges")
    bin_dir = tmp / ".bin"
    bin_dir.mkdir()
    exe = Path(sys.executable)
    for name in ("python", "python3"):  # a script, not a symlink: a symlinked venv python does not find its venv
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec "{exe}" "$@"\n')
        script.chmod(0o755)
    embgeo = shutil.which("embgeo", path=str(exe.parent)) or str(exe.parent / "embgeo")
    (bin_dir / "embgeo").symlink_to(embgeo)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "COLUMNS": "120", "NO_COLOR": "1",
           "EMBGEO_REPO": str(ROOT)}
    env.pop("EMBGEO_SCHEDULER", None)
    return env


CHECKED = [p for p in PAGES if p.name not in PENDING]


def test_pending_list_only_names_pages_with_examples():
    names = {p.name for p in PAGES}
    assert PENDING <= names, sorted(PENDING - names)


@pytest.mark.parametrize("page", CHECKED, ids=[p.name for p in CHECKED])
def test_page_examples_run_as_shown(page, tmp_path):
    found = examples(page)
    runnable = [e for e in found if e[1] is not None]
    if not found:
        pytest.skip(f"{page.name} shows no command examples")
    env = _sandbox(tmp_path)
    failures = []
    for line_no, cmd, expected in runnable:
        proc = subprocess.run(["bash", "-c", "set -o pipefail\n" + cmd], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)
        where = f"{page.name}:{line_no}: $ {cmd.splitlines()[0]}"
        if proc.returncode != 0:
            failures.append(f"{where}\n  exit {proc.returncode}: {proc.stderr.strip()[-400:]}")
            continue
        shown = _tokens("\n".join(expected))
        if not shown:
            continue
        # a terminal interleaves stdout and stderr; a pipe does not: either order is accepted
        bad = match(shown, _tokens(proc.stdout + "\n" + proc.stderr))
        if bad is not None and match(shown, _tokens(proc.stderr + "\n" + proc.stdout)) is None:
            bad = None
        if bad is not None:
            context = " ".join(shown[max(0, bad - 5): bad + 5])
            at = repr(shown[bad]) if bad < len(shown) else "the end: the output is longer than shown"
            failures.append(f"{where}\n  output differs at shown token {bad} ({at} in: {context})\n"
                            f"  got: {(proc.stdout + proc.stderr)[:600]!r}"
                            + (f"\n  … ending: {(proc.stdout + proc.stderr)[-600:]!r}" if len(proc.stdout + proc.stderr) > 600 else ""))
    if failures:
        pytest.fail(f"{len(failures)} of {len(runnable)} examples in {page.name} differ:\n" + "\n".join(failures), pytrace=False)


def test_not_run_blocks_give_a_reason():
    for page in PAGES:
        for line_no, cmd, reason in examples(page):
            if cmd is None:
                assert len(reason) > 10, f"{page.name}:{line_no}: say why the example is not run"


def test_matcher_compares_to_the_shown_precision():
    assert match(_tokens("uniformity │ -3.97928 │"), _tokens("| uniformity | -3.979281 |")) is None
    assert match(_tokens("uniformity -3.97928"), _tokens("uniformity -3.97938")) is not None
    assert match(_tokens("rows 1640"), _tokens("rows 1641")) is not None
    assert match(_tokens("took … s, done"), _tokens("took 2.31 s, done")) is None
    assert match(_tokens("a b"), _tokens("a b c")) is not None
    assert match(_tokens("0.9966702644363012"), _tokens("0.9966702644363345")) is None  # BLAS digits
    assert match(_tokens("0.9966702644363012"), _tokens("0.9966712644363012")) is not None
