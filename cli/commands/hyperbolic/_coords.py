"""``--coords`` of every hyperbolic command that writes coordinates (train, combinatorial, hmds, reembed):
one option, one meaning — ``.npz`` or ``.csv``, both with the row ids, both read back by
``embgeo hyperbolic eval`` (and every command that reads embeddings).

- ``.csv``: ``id, x1 … xd`` (full precision), then any extra columns of the command (reembed:
  ``mds1 …``, ``umap_disk1, umap_disk2``);
- ``.npz``: ``embeddings`` (the ball coordinates), ``ids``, ``curvature`` and ``model`` (what
  ``eval`` reads for its defaults), plus the command's own arrays (train: config, history, holdout …;
  reembed: ``table``/``table_columns``, every CSV column but the id; combinatorial above float64:
  ``coordinates_text``, one row's exact coordinates a string).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

#: the suffixes ``--coords`` writes, in every hyperbolic command
SUFFIXES = (".npz", ".csv")


def check_coords(value: Optional[Path], param: typer.CallbackParam = None) -> Optional[Path]:
    """The parse-time check of ``--coords``: .npz or .csv, in a folder that exists (before any work)."""
    from embgeo.cli.common import side_output

    return side_output(*SUFFIXES)(value, param)


def coords_option(what: str):
    """``--coords`` with one help line shape: ``what`` says what the command writes."""
    return Annotated[Optional[Path], typer.Option(
        "--coords", help=f"Also write {what} to this file: .npz (embeddings, ids, curvature, model …) or .csv (id, x1, x2, …); "
                         "hyperbolic eval reads either.", dir_okay=False, callback=check_coords, show_default=False)]


def write_coords(path: Path, ids, coords, *, text=None, extra: dict | None = None, arrays: dict | None = None) -> None:
    """Write ``coords`` (n × d ball coordinates) with their ``ids`` atomically, by the suffix of ``path``.

    ``text``: the rows' exact coordinates as strings (n × d; the CSV writes them, the .npz keeps them as
    ``coordinates_text``, one string a row); ``extra``: ``{column: [str, …]}`` more CSV columns, also in the
    .npz as ``table``/``table_columns`` (with the x columns, so that its shape never rivals ``embeddings``);
    ``arrays``: more .npz arrays (curvature, model …)."""
    import numpy as np

    coords = np.asarray(coords, dtype=np.float64)
    ids = [str(i) for i in ids]
    if Path(path).suffix.lower() == ".npz":
        from embgeo.io.writers import save_npz

        out = {"embeddings": coords, "ids": np.asarray(ids, dtype=str), "curvature": np.array(1.0), "model": np.array("poincare")}
        if text is not None:
            out["coordinates_text"] = np.asarray([" ".join(str(v) for v in row) for row in text], dtype=str)
        if extra:
            names = [f"x{i + 1}" for i in range(coords.shape[1])] + list(extra)
            table = np.column_stack([coords] + [np.asarray([float(v) for v in extra[k]]) for k in extra])
            out["table"], out["table_columns"] = table, np.asarray(names, dtype=str)
        out.update(arrays or {})
        save_npz(path, **out)
        return
    import csv
    import io

    from embgeo.io.writers import write_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id"] + [f"x{i + 1}" for i in range(coords.shape[1])] + (list(extra) if extra else []))
    for i, row in enumerate(coords):
        vals = list(text[i]) if text is not None else [repr(float(v)) for v in row]
        more = [extra[k][i] for k in extra] if extra else []
        w.writerow([ids[i]] + vals + more)
    write_text(path, buf.getvalue())
