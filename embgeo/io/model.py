"""The data model: one :class:`EmbeddingSet` and a :class:`LayerStack`."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from embgeo.errors import EmbgeoError, either


@dataclass(frozen=True)
class EmbeddingSet:
    """An ``(n_samples, n_features)`` matrix with optional ids and attribute columns.

    ``matrix`` keeps the stored dtype (float16, bfloat16-as-float32, …) and may be
    memory-mapped; analyses convert blocks through :func:`embgeo.validation.as_matrix`.
    ``attributes`` maps a column name to an array of length ``n_samples`` (numbers
    as float64 with NaN for missing, anything else as str). ``provenance`` records
    where the data came from (file, format, key, stored dtype).
    """

    matrix: np.ndarray
    ids: np.ndarray | None = None
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        if not hasattr(self.matrix, "ndim"):  # nested lists: the array they spell
            try:
                object.__setattr__(self, "matrix", np.asarray(self.matrix))
            except (TypeError, ValueError):
                raise EmbgeoError("the matrix is not a numeric (n_samples, n_features) array (rows of different lengths?)", source=self.provenance.get("file"),
                                  hint="pass a 2-D array, one row per item") from None
        if self.matrix.ndim < 2:  # refused here, not in the first analysis (a 3-D array is a layer stack, read by load_layers)
            what = "a single number (a 0-D array)" if self.matrix.ndim == 0 else f"a 1-D array of shape {tuple(self.matrix.shape)}"
            raise EmbgeoError(f"the matrix is {what}; expected (n_samples, n_features)", source=self.provenance.get("file"),
                              hint=either("reshape it: x[None, :] (x.reshape(1, -1)) for one row, x[:, None] for one feature",
                                          "save a 2-D matrix"))
        n = self.matrix.shape[0]
        if self.ids is not None and len(self.ids) != n:
            raise EmbgeoError(f"{len(self.ids)} ids for {n} rows", source=self.source)
        for name, col in self.attributes.items():
            if len(col) != n:
                raise EmbgeoError(f"attribute column '{name}' has {len(col)} values for {n} rows", source=self.source)

    @property
    def source(self) -> str:
        return str(self.provenance.get("file", "<array>"))

    @property
    def n_samples(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.matrix.shape[1]) if self.matrix.ndim > 1 else 0

    @property
    def stored_dtype(self) -> str:
        return str(self.provenance.get("dtype", self.matrix.dtype))

    def with_attributes(self, extra: dict[str, np.ndarray]) -> "EmbeddingSet":
        merged = dict(self.attributes)
        merged.update(extra)
        return replace(self, attributes=merged)

    def take(self, rows: np.ndarray) -> "EmbeddingSet":
        """A copy restricted to ``rows`` (ids and attributes follow)."""
        rows = np.asarray(rows)
        return EmbeddingSet(
            matrix=np.asarray(self.matrix[rows]),
            ids=None if self.ids is None else self.ids[rows],
            attributes={k: v[rows] for k, v in self.attributes.items()},
            provenance={**self.provenance, "rows_kept": int(rows.size)},
        )

    def attribute(self, name: str, *, numeric: bool = False, kind: str = "attribute") -> np.ndarray:
        """Return attribute column ``name``; with ``numeric`` it must hold numbers. ``kind`` is how a
        missing column is named (``"class"`` for a class column).

        A text column with ``numeric`` is read as numbers when every cell is a number or a missing
        value (empty, ``NA``, ``N/A``, ``null``, ``none``, ``nil``, ``-``: NaN), as the readers do;
        any other cell is an error naming the file's line (``row`` where the column has no file)."""
        if name not in self.attributes:
            have = ", ".join(sorted(self.attributes)) or "none"
            labels = self.provenance.get("labels")
            if labels is not None:
                from embgeo.io.labels import header_looks_like_data, header_note, read_table

                try:
                    header = read_table(labels)[0]
                except EmbgeoError:
                    header = []
                if header and header_looks_like_data(header):
                    raise EmbgeoError(f"no {kind} column '{name}' (columns: {have}): {header_note(header)}, but it holds numbers, "
                                      "not column names (a file without a header?)", source=str(labels),
                                      hint="add a header line naming the columns (e.g. 'score') above the data")
            vectors = list(self.provenance.get("vectors") or ()) if labels is None else []
            if vectors:  # 1-D arrays saved beside the matrix (.npz, .h5, .pt, safetensors): never read as attribute columns
                held = (f"the file holds a 1-D array '{name}'" if name in vectors
                        else f"the file holds 1-D arrays ({', '.join(repr(v) for v in vectors[:8])}{', …' if len(vectors) > 8 else ''})")
                raise EmbgeoError(
                    f"no {kind} column '{name}' (columns: {have}): {held}, but embgeo reads attribute columns only from CSV, TSV and "
                    "parquet files and labels files, never from the arrays of a container", source=str(self.source),
                    hint="write the array to a CSV with a header naming it (and an 'id' column if the matrix has ids, else in row order), then "
                         + either("attach it with embgeo.io.join_labels(X, FILE)", "pass --labels FILE"))
            raise EmbgeoError(
                f"no {kind} column '{name}' (columns: {have})",
                source=str(self.provenance.get("labels", self.source)),  # the file the columns came from
                hint=either("add a labels file with that column (embgeo.io.join_labels(X, FILE))", "pass --labels FILE with that column")
                + ", or pick one of the columns listed",
            )
        col = self.attributes[name]
        if numeric and col.dtype.kind not in "biuf":
            return self._numeric(name, col)
        return col.astype(np.float64) if numeric else col

    def _numeric(self, name: str, col: np.ndarray) -> np.ndarray:
        """A text column as float64 (missing values → NaN), or the error naming its first bad cell."""
        from embgeo.io.common import is_plain_number
        from embgeo.io.text import MISSING, cell_kind

        cells = ["" if v is None else str(v).strip() for v in col.tolist()]
        out = np.full(len(cells), np.nan)
        bad = []
        for i, c in enumerate(cells):
            if c.lower() in MISSING:
                continue
            if is_plain_number(c):
                out[i] = float(c)
            else:
                bad.append(i)
        if not bad:
            return out
        src, found = self._find_cell(name, {cells[i] for i in bad})
        if found is not None:  # the first bad cell in the file's order
            line, first = found
            where = f"line {line}"
        else:
            first = cells[bad[0]]
            where = f"row {bad[0]}"
        place = f"{where}, column '{name}'" if found is not None else f"attribute column '{name}', {where}"
        shown = first[:40]
        if cell_kind(first) != "comma" and len(bad) > int(np.isfinite(out).sum()):  # mostly text: a label column, not numbers with a bad cell
            raise EmbgeoError(f"attribute column '{name}' is not numeric: it holds text ({where}: {shown!r})", source=src,
                              hint="choose a numeric column")
        if cell_kind(first) == "comma":
            sep = "\\t" if src.lower().endswith(".tsv") else ","
            raise EmbgeoError(f"{place}: {shown!r} is a number written with a comma; embgeo does not read decimal commas "
                              "(or thousands separators) and never guesses them, so the column is not numeric", source=src,
                              hint=f"convert the file to '.' decimal points, e.g. pandas.read_csv(path, sep='{sep}', decimal=',')"
                                   f".to_csv(out, sep='{sep}', index=False), or choose another column")
        raise EmbgeoError(f"{place}: {shown!r} is not a number, so attribute column '{name}' is not numeric", source=src,
                          hint="fix the value, write NA (or leave the cell empty) for a missing value, or choose a numeric column")

    def _find_cell(self, name: str, values: set) -> tuple[str, tuple[int, str] | None]:
        """``(file, (line, cell) or None)``: the file column ``name`` came from (the labels file, else a
        CSV/TSV embeddings file with a header) and its first data line holding one of ``values``."""
        from embgeo.io.labels import find_cell

        labels = self.provenance.get("labels")
        if labels is not None:
            found = find_cell(labels, name, values)
            if found is not None:
                return str(labels), found
        fmt = self.provenance.get("format")
        if fmt in ("csv", "tsv"):
            found = find_cell(self.source, name, values, delimiter="\t" if fmt == "tsv" else ",")
            if found is not None:
                return self.source, found
        return str(labels if labels is not None else self.source), None


def is_number(v) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def dimension_columns(es: EmbeddingSet, *, with_certainty: bool = False):
    """The names of the file columns that ``es`` holds as its dimensions (in matrix order), or None
    when the reader recorded no column names or they cannot be told apart.

    ``provenance["dimensions"]`` (the names a reader read as dimensions) is used when recorded.
    Otherwise they are derived from ``provenance["columns"]`` (every column of a CSV/TSV/parquet
    file): the columns that are not attribute columns, less the id column when the set has ids —
    ``id`` or the unnamed index column when present; a column named by ``--id-col`` is not
    recorded, so then one of the names returned is the id column (``with_certainty=True`` returns
    ``(names, exact)`` with ``exact=False`` in that case)."""
    prov = es.provenance or {}
    dims = prov.get("dimensions")
    if dims is not None:
        names = [str(c) for c in dims]
        ok = len(names) == es.n_features
        return ((names, True) if ok else (None, False)) if with_certainty else (names if ok else None)
    cols = prov.get("columns")
    names, exact = None, False
    if cols:
        cand = [str(c) for c in cols if str(c) not in es.attributes]
        if es.ids is not None and len(cand) == es.n_features + 1:
            for idname in ("id", ""):
                if idname in cand:
                    cand.remove(idname)
                    break
        if len(cand) == es.n_features:
            names, exact = cand, True
        elif es.ids is not None and len(cand) == es.n_features + 1:
            names = cand  # the --id-col column is one of them
    return (names, exact) if with_certainty else (names if exact else None)


@dataclass(frozen=True)
class LayerStack:
    """Several layers of the same ``n_samples`` rows: an ``L×n×d`` array or one file per layer.

    Layers may have different widths (``d``); rows must align across layers.
    """

    layers: tuple[np.ndarray, ...]
    names: tuple[str, ...]
    ids: np.ndarray | None = None
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.layers:
            raise EmbgeoError("a layer stack needs at least one layer")
        n = self.layers[0].shape[0]
        for name, layer in zip(self.names, self.layers):
            if layer.ndim != 2:
                raise EmbgeoError(f"layer '{name}' has shape {layer.shape}; expected (n_samples, n_features)")
            if layer.shape[0] != n:
                raise EmbgeoError(
                    f"layer '{name}' has {layer.shape[0]} rows but the first layer has {n}",
                    hint="every layer must hold the same rows in the same order",
                )

    def __len__(self) -> int:
        return len(self.layers)

    @property
    def join(self) -> str | None:
        """How the rows of per-layer files were joined: ``"id"`` or ``"row order"`` (None for one array)."""
        return self.provenance.get("join")

    @classmethod
    def from_array(cls, array: np.ndarray, *, source: str = "<array>", ids=None) -> "LayerStack":
        """The layers of an ``L×n×d`` array; ``ids`` (optional): one unique id per row (``n`` of them)."""
        if array.ndim != 3:
            raise EmbgeoError(f"a layer stack array must be 3-D (L×n×d), got shape {array.shape}", source=source)
        n = int(array.shape[1])
        if ids is not None:
            from embgeo.io.common import id_array

            ids = np.asarray(ids)
            if ids.ndim != 1 or ids.shape[0] != n:
                raise EmbgeoError(f"the stack's ids have shape {ids.shape} but its layers have {n} rows",
                                  source=source, hint=f"save one id per row (a 1-D 'ids' array of length {n})")
            ids = id_array(ids, "the stack's ids")  # a null or empty id is an error naming its row, as in read_npz
            uniq, counts = np.unique(ids, return_counts=True)
            if uniq.size < ids.size:
                rep = uniq[counts > 1]
                raise EmbgeoError(f"the stack's ids repeat {ids.size - uniq.size} times (first: {', '.join(repr(str(r)) for r in rep[:3])})",
                                  source=source, hint="give every row its own id")
        return cls(
            layers=tuple(array[i] for i in range(array.shape[0])),
            names=tuple(f"layer{i}" for i in range(array.shape[0])),
            ids=ids,
            provenance={"file": source},
        )

    @classmethod
    def from_sets(cls, sets: list[EmbeddingSet], *, join: str | None = None) -> "LayerStack":
        """One layer per set, the rows joined onto the first set's order by :func:`embgeo.io.join.align_sets`:
        by id whenever the sets carry ids (every id in every set, once), by row order only when none
        has, or with ``join="row-order"``; sets of which only some carry ids are refused otherwise."""
        from embgeo.io.join import align_sets

        sets = list(sets)
        if not sets:
            raise EmbgeoError("a layer stack needs at least one layer")
        joined, how = align_sets(sets, join=join)
        ids = next((s.ids for s in joined if s.ids is not None), None) if how == "row order" else joined[0].ids
        return cls(
            layers=tuple(s.matrix for s in joined),
            names=tuple(s.provenance.get("name", s.source) for s in joined),
            ids=ids,
            attributes=joined[0].attributes,
            provenance={"files": [s.source for s in sets], "join": how},
        )


def as_embedding_set(X, *, name: str = "X") -> EmbeddingSet:
    """``X`` as an :class:`EmbeddingSet`: an :class:`EmbeddingSet` unchanged; an array,
    a torch tensor or a nested list validated into an ``(n_samples, n_features)`` matrix."""
    if isinstance(X, EmbeddingSet):
        return X
    from embgeo.validation import as_matrix

    M = as_matrix(X, name=name, allow_nonfinite=True)
    return EmbeddingSet(matrix=M, provenance={"file": f"<{name}>", "dtype": str(M.dtype)})
