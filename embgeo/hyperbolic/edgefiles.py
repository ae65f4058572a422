"""Edge-list files: the text formats :func:`embgeo.hyperbolic.graphs.read_hierarchy` reads.

Public API (also importable from :mod:`embgeo.hyperbolic.graphs`, as before the split):

    EDGE_COLUMNS                        the column pairs that make line 1 an edge-list header
    CHILD_COLUMNS, PARENT_COLUMNS       the column names that state the direction of the edges
    column_word(name) -> str            the word a header name stands for (the rule below)
    is_edge_header(fields) -> bool
    header_orientation(fields) -> "child-parent" | "parent-child" | None
    read_edge_file(path) -> EdgeFile    ids as text, weights parsed, file lines, the header

Formats:

- **edge lists** ``u v [w]`` separated by whitespace (or commas), one edge per
  line; ``#`` and ``%`` start comments (Network Repository ``.edges`` files);
- **CSV edge lists** ``id1,id2[,weight]`` (``mammal_closure.csv``: each row hyponym → ancestor).
  Line 1 of a ``.csv`` is an edge-list header (:func:`is_edge_header`: ``id1,id2``, ``u,v``,
  ``source,target`` … of :data:`EDGE_COLUMNS`, spelled as the rule below allows) or evidently
  data (two integer ids, or a numeric weight); a first line that may be either (``a,b``) is
  refused. In other files a first line of edge-column names is skipped; one of other names over
  integer ids is refused. In every file, a header whose names are also nodes of the edges below
  it (``u v`` over ``v w``) may be an edge as well: refused, never a node lost.

A header whose first two names state the direction (:func:`header_orientation`: a name of
:data:`CHILD_COLUMNS` and one of :data:`PARENT_COLUMNS`, e.g. ``child,parent``,
``hyponym,hypernym``, ``ancestor,descendant``) says how the edges are listed; the neutral ones
(``id1,id2``, ``u,v``, ``source,target`` …) do not.

Column names are compared by one rule (:func:`column_word`), not by a list of spellings: a name
is put in lower case, its separators (``_``, ``-``, ``.``, spaces) are dropped, then ONE
trailing qualifier among ``id``, ``ids``, ``name``, ``node``, ``key``, ``synset``, ``label``,
``term`` (only when something is left), and a plural of a word of three letters or more
(``children``, ``parents``, ``subclasses``) stands for the word. So ``child_id,parent_id``,
``ChildID,ParentID``, ``child id,parent id``, ``parent_node,child_node``,
``hyponym_synset,hypernym_synset`` and ``children,parents`` state the direction as
``child,parent`` does, and ``source_id,target_id`` or ``node_1,node_2`` are the neutral
``source,target`` and ``node1,node2``. Names that merely contain a word are not it
(``childhood,parenting``, ``grandchild,grandparent``), and two node names (``dog,animal``) stay
an edge. A third column, if any, is the weight column's name (not a number).

Building the graph from the edges (ids, orientation, repeated edges) is :mod:`embgeo.hyperbolic.graphs`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError

__all__ = ["CHILD_COLUMNS", "EDGE_COLUMNS", "PARENT_COLUMNS", "EdgeFile", "column_word", "header_orientation", "is_edge_header",
           "read_edge_file"]

#: header names of the lower end of an edge (the child) and of its upper end (the parent), in
#: lower case: a header naming one of each, in either order, states the direction of the edges
#: (names are compared after :func:`column_word`: ``child_id``, ``ParentName``, ``children`` … count)
CHILD_COLUMNS = ("child", "hyponym", "descendant", "subclass", "narrower")
PARENT_COLUMNS = ("parent", "hypernym", "ancestor", "superclass", "broader")
#: the column pairs that make a first line an edge-list header (names compared after
#: :func:`column_word`: ``source_id,target_id``, ``node_1,node_2`` …); any pair of a child and a
#: parent name (:func:`header_orientation`) is one too
EDGE_COLUMNS = (("id1", "id2"), ("u", "v"), ("source", "target"), ("src", "dst"), ("child", "parent"), ("parent", "child"),
                ("from", "to"), ("node1", "node2"), ("hyponym", "hypernym"), ("hypernym", "hyponym"),
                ("descendant", "ancestor"), ("ancestor", "descendant"))
_HEADER_WORDS = {"id1", "id2", "u", "v", "source", "target", "src", "dst", "from", "to", "node1", "node2", "weight", "w",
                 *CHILD_COLUMNS, *PARENT_COLUMNS}
_WORDS = _HEADER_WORDS | {x for pair in EDGE_COLUMNS for x in pair}
#: the trailing qualifiers :func:`column_word` drops (one of them), longest first
_QUALIFIERS = ("synset", "label", "name", "node", "term", "ids", "key", "id")
_SEPARATORS = str.maketrans("", "", "_-. ")
#: plurals of the words of three letters or more that do not end in a digit (``u``, ``id1`` have none)
_PLURALS = {"children": "child", **{w + ("es" if w.endswith(("s", "x")) else "s"): w for w in _WORDS if len(w) >= 3 and not w[-1].isdigit()}}


@dataclass(frozen=True, slots=True)
class EdgeFile:
    """The edges of a file as written: ``us[i] vs[i]`` (text ids) on file line ``lines[i]``.

    ``weights`` (float64, positive and finite) or None; ``header`` the column names of a
    header line (None without one) and ``header_line`` its line number."""

    us: list
    vs: list
    weights: np.ndarray | None
    lines: list
    header: tuple | None = None
    header_line: int | None = None


def _names(fields) -> list[str]:
    return [str(x).strip().lstrip("\ufeff").strip("\"") for x in fields]


def column_word(name) -> str:
    """The word a header column ``name`` stands for, for matching against :data:`EDGE_COLUMNS`,
    :data:`CHILD_COLUMNS` and :data:`PARENT_COLUMNS`: in lower case, without separators (``_``,
    ``-``, ``.``, spaces), without ONE trailing qualifier among ``id``, ``ids``, ``name``, ``node``,
    ``key``, ``synset``, ``label``, ``term`` (only when something is left), and a plural of a word
    of three letters or more in the word's place (``children`` → ``child``, ``subclasses`` →
    ``subclass``). ``"ChildID"``, ``"child id"``, ``"child_name"`` → ``"child"``; ``"node_1"`` →
    ``"node1"``; ``"source_id"`` → ``"source"``. A name that no rule turns into a known word comes
    back in lower case without separators (``"Childhood"`` → ``"childhood"``): containing a word is
    not being it."""
    s = _names([name])[0].lower().translate(_SEPARATORS)
    candidates = [s] + [s[: -len(q)] for q in _QUALIFIERS if s.endswith(q) and len(s) > len(q)][:1]
    for c in candidates:
        c = _PLURALS.get(c, c)
        if c in _WORDS:
            return c
    return s


def _words(fields) -> list[str]:
    return [column_word(x) for x in _names(fields)]


def is_edge_header(fields) -> bool:
    """Whether ``fields`` (line 1, split) is an edge-list header: the first two names one of
    :data:`EDGE_COLUMNS` or a child and a parent name, compared after :func:`column_word` (any case,
    ``source_id,target_id``, ``child_id,parent_id``, ``node_1,node_2``, ``ChildID,ParentID`` …), and
    at most a third, the weight column's (not a number). Two node names (``dog,animal``) or names
    that merely contain a word (``childhood,parenting``) are no header."""
    f = _names(fields)
    return (len(f) in (2, 3) and (tuple(_words(f[:2])) in EDGE_COLUMNS or header_orientation(f) is not None)
            and (len(f) == 2 or bool(f[2]) and not _is_float(f[2])))


def header_orientation(fields) -> str | None:
    """How a header lists the edges: ``"child-parent"`` when its first two names are a child name
    (:data:`CHILD_COLUMNS`) then a parent name (:data:`PARENT_COLUMNS`), ``"parent-child"`` the other
    way round, ``None`` for a neutral header (``id1,id2``, ``u,v``, ``source,target`` …). Names are
    compared after :func:`column_word`: ``child_id,parent_id``, ``ChildID,ParentID``,
    ``parent_node,child_node``, ``hyponym_synset,hypernym_synset``, ``children,parents`` state the
    direction as ``child,parent`` does."""
    f = _words(_names(fields)[:2])
    if len(f) < 2:
        return None
    if f[0] in CHILD_COLUMNS and f[1] in PARENT_COLUMNS:
        return "child-parent"
    if f[0] in PARENT_COLUMNS and f[1] in CHILD_COLUMNS:
        return "parent-child"
    return None


def _is_float(s: str, kind=float) -> bool:
    try:
        kind(s)
        return True
    except ValueError:
        return False


def _parse_lines(path: Path):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise EmbgeoError("is not a UTF-8 text file", source=str(path), hint="give an edge list 'u v [w]' or a CSV 'id1,id2[,weight]'") from None
    is_csv = path.suffix.lower() == ".csv"
    us, vs, ws, lines = [], [], [], []
    has_w = None
    header = None  # (line number, names) of a header line
    first = None  # (line number, text) of line 1 when it is not a header; False after a header
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#%":
            continue
        parts = [p.strip() for p in line.split(",")] if (is_csv or "," in line) else line.split()
        if first is None:
            if is_edge_header(parts) or (not is_csv and len(parts) >= 2 and set(_words(parts[:2])) <= _HEADER_WORDS):
                first = False
                header = (lineno, tuple(_names(parts)))
                continue  # a header row
            first = (lineno, line)
            if is_csv and len(parts) in (2, 3) and parts[0] and parts[1] and not (_is_float(parts[0], int) and _is_float(parts[1], int) or len(parts) == 3 and _is_float(parts[2])):
                raise EmbgeoError(f"line {lineno} ({line[:60]!r}) is a header or an edge? a CSV edge list names its columns on line 1 (id1,id2[,weight]); embgeo does not guess",
                                  source=str(path), hint="start the file with the header line id1,id2 or id1,id2,weight, or name it .edges (read without a header)")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise EmbgeoError(f"line {lineno} has {len(parts)} field(s) ({line[:60]!r}); expected 'u v [weight]'", source=str(path), hint="one edge per line: two node ids and an optional weight")
        if len(parts) > 3:
            raise EmbgeoError(f"line {lineno} has {len(parts)} fields ({line[:60]!r}); expected 'u v [weight]'", source=str(path))
        this_w = len(parts) == 3
        if has_w is None:
            has_w = this_w
        elif has_w != this_w:
            raise EmbgeoError(f"line {lineno} has {len(parts)} fields but earlier lines have {3 if has_w else 2}", source=str(path), hint="give a weight on every line or on none")
        us.append(parts[0])
        vs.append(parts[1])
        if this_w:
            ws.append(parts[2])
        lines.append(lineno)
    if header is not None:
        _check_header_not_nodes(header, us, vs, lines, path)
    if first and len(us) > 1 and not (_is_float(us[0], int) or _is_float(vs[0], int)) and all(_is_float(a, int) and _is_float(b, int) for a, b in zip(us[1:], vs[1:])):
        raise EmbgeoError(f"line {first[0]} ({first[1][:60]!r}) looks like a header, but its names are not edge-list columns, and every other line holds integer ids: "
                          "embgeo does not guess", source=str(path), hint="name the columns id1,id2[,weight] (or u,v, source,target …), or delete the line")
    return us, vs, (ws if has_w else None), lines, header


def _check_header_not_nodes(header: tuple, us: list, vs: list, lines: list, path: Path) -> None:
    """Refuse a header line whose column names are also nodes of the edges below it (``u v`` over ``v w``,
    ``w x`` …): line 1 may then be an edge as well as a header, and which one decides the graph (a node
    lost or a node added). Real headers (``id1,id2``, ``source,target`` over other names) pass."""
    lineno, names = header
    nodes = {}
    for a, b, ln in zip(us, vs, lines):
        nodes.setdefault(a, ln)
        nodes.setdefault(b, ln)
    clash = [n for n in names[:2] if n in nodes]
    if not clash:
        return
    first = min(clash, key=lambda n: nodes[n])
    sep = "," if "," in "".join(names) or path.suffix.lower() == ".csv" else " "
    free = next((pair for pair in EDGE_COLUMNS if not set(pair) & set(nodes)), ("id1", "id2"))
    raise EmbgeoError(f"line {lineno} ({sep.join(names)!r}) could be an edge or a header: its names are edge-list column names, but "
                      f"{first!r} is also a node (line {nodes[first]}); embgeo does not guess", source=str(path),
                      hint=f"if line {lineno} is an edge, put a header line {sep.join(free)!r} above it; if it is a header, "
                           "its names must not be nodes: rename the columns (or the nodes)")


def read_edge_file(path: str | os.PathLike) -> EdgeFile:
    """The edges of an edge-list file as written (see the module docstring for the formats).

    Raises a one-line :class:`~embgeo.errors.EmbgeoError` naming the file and line for a missing
    file, a folder, a file that is not UTF-8, a malformed line, no edges, a weight that is not a
    positive finite number, or a first line that may be a header or an edge."""
    p = Path(path)
    if not p.exists():
        raise EmbgeoError("no such file", source=str(p), hint="give an edge list 'u v [w]' or a closure CSV 'id1,id2[,weight]'")
    if p.is_dir():
        raise EmbgeoError("is a folder, not an edge list", source=str(p))
    us, vs, ws, lines, header = _parse_lines(p)
    if not us:
        raise EmbgeoError("has no edges", source=str(p), hint="one edge per line: 'u v [weight]'")
    weights = None
    if ws is not None:
        try:
            weights = np.array([float(w) for w in ws], dtype=np.float64)
        except ValueError:
            bad = next(i for i, w in enumerate(ws) if not _is_float(w))
            raise EmbgeoError(f"line {lines[bad]}: weight {ws[bad]!r} is not a number", source=str(p)) from None
        bad = np.flatnonzero(~np.isfinite(weights) | (weights <= 0))
        if bad.size:
            raise EmbgeoError(f"line {lines[bad[0]]}: weight {ws[bad[0]]} must be a positive finite number", source=str(p), hint="edge weights are lengths for shortest paths")
    return EdgeFile(us=us, vs=vs, weights=weights, lines=lines, header=None if header is None else header[1],
                    header_line=None if header is None else header[0])
