"""Re-run the ``$ command`` examples of docs pages and rewrite the output shown under them.

    python docs/regen_examples.py docs/id.md [docs/rank.md …] [--check]

Each page runs in one scratch folder, in page order, exactly as ``tests/test_doc_examples.py``
runs it (same sandbox, same bundled data, same matcher). An example whose output still matches
what the page shows (``…`` wildcards included) is left as it is; any other has its shown output
replaced by what the command printed now (stdout, then stderr), and is listed on stderr so that
the prose around it can be read again and timings or temporary paths turned into ``…``.
A command that exits non-zero is reported and left untouched. ``--check`` rewrites nothing.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_doc_examples as t  # noqa: E402  (the test module is the single definition of the rules)


def regenerate(page: Path, check: bool = False) -> int:
    """Rewrite ``page`` in place; return the number of examples that differed or failed."""
    lines = page.read_text(encoding="utf-8").split("\n")
    found = [e for e in t.examples(page) if e[1] is not None]
    changed = 0
    edits = []  # (first expected line index, number of expected lines, new lines)
    with tempfile.TemporaryDirectory() as tmp:
        env = t._sandbox(Path(tmp))
        for line_no, cmd, expected in found:
            proc = subprocess.run(["bash", "-c", "set -o pipefail\n" + cmd], cwd=tmp, env=env,
                                  capture_output=True, text=True, timeout=900)
            first = cmd.splitlines()[0]
            if proc.returncode != 0:
                print(f"{page.name}:{line_no}: exit {proc.returncode}: $ {first}\n  {proc.stderr.strip()[-300:]}",
                      file=sys.stderr)
                changed += 1
                continue
            shown = t._tokens("\n".join(expected))
            out = proc.stdout + "\n" + proc.stderr
            if shown and (t.match(shown, t._tokens(out)) is None
                          or t.match(shown, t._tokens(proc.stderr + "\n" + proc.stdout)) is None):
                continue
            if not shown and not expected:
                continue  # a command shown without output stays so
            changed += 1
            print(f"{page.name}:{line_no}: output changed: $ {first}", file=sys.stderr)
            new = [ln.rstrip() for ln in (proc.stdout.rstrip("\n").split("\n") if proc.stdout.strip() else [])]
            new += [ln.rstrip() for ln in (proc.stderr.rstrip("\n").split("\n") if proc.stderr.strip() else [])]
            # the command's own lines: line_no is 1-based and points at the "$ " line
            n_cmd = len(cmd.split("\n"))
            start = line_no - 1 + n_cmd
            edits.append((start, len(expected), new))
    if edits and not check:
        for start, n_old, new in sorted(edits, reverse=True):
            lines[start:start + n_old] = new
        page.write_text("\n".join(lines), encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    check = "--check" in argv
    pages = [Path(a) for a in argv if a != "--check"]
    if not pages:
        print(__doc__, file=sys.stderr)
        return 2
    bad = sum(regenerate(p, check) for p in pages)
    print(f"{bad} example(s) {'differ' if check else 'rewritten or failing'}", file=sys.stderr)
    return 1 if (check and bad) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
