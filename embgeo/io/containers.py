"""Which array of a container (``.npz``, safetensors, HDF5, ``.pt``) is the matrix, when no ``:KEY`` names it.

- the one array named like :data:`~embgeo.io.common.PREFERRED_KEYS` (``embeddings``, ``X``, ``arr_0`` …)
  among the candidates (:func:`auto_key`); two such names are "which one?";
- any other array that may be the matrix (numbers, 2-D or more) beside the one picked is a question too
  (:func:`picked_key`): ``holds several matrices (embeddings 50×8, hidden 3×50×8); which one?``; 1-D
  arrays (ids, labels, attribute columns) never are. embgeo's own hyperbolic coordinates files keep
  views of their points beside ``embeddings`` (:func:`own_companions`), which are no rival.
- the 1-D arrays of one value per row beside the matrix are recorded (:func:`with_vectors`) so that an
  attribute asked for by their name is answered with what the file holds.
"""
from __future__ import annotations

from embgeo.errors import EmbgeoError
from embgeo.io.common import PREFERRED_KEYS, is_id_name

__all__ = ["OWN_COMPANIONS", "auto_key", "not_a_matrix", "own_companions", "picked_key", "shape_text", "with_vectors"]


def auto_key(cands: list[str], noun: str, example: str, prefix: str = "") -> str | None:
    """The one name of :data:`PREFERRED_KEYS` among ``cands`` (the arrays that could be the matrix),
    None when there is none; several (``X`` and ``arr_0``) are ambiguous: "which one?", never the
    first of the list. ``example`` is how the hint writes the file (``FILE.npz``), ``prefix`` what
    precedes a key (``/`` for HDF5)."""
    present = [k for k in PREFERRED_KEYS if k in cands]
    if len(present) > 1:
        raise EmbgeoError(f"holds several {noun} ({', '.join(prefix + k for k in present)}); which one?",
                          hint="name it as " + " or ".join(f"{example}:{prefix}{k}" for k in present))
    return present[0] if present else None


def shape_text(shape) -> str:
    """A shape as a message writes it: ``50×8``, ``3×50×8`` (``50`` for a 1-D array, ``scalar`` for 0-D)."""
    return "×".join(str(int(s)) for s in shape) or "scalar"


#: the arrays that embgeo's own hyperbolic coordinates files (``.npz``: ``embeddings``, ``ids``, a 0-D
#: ``curvature`` and ``model``, as ``hyperbolic train``/``combinatorial``/``hmds``/``reembed --coords``
#: write them) hold beside their ``embeddings``: views of the same points (the hyperboloid points of
#: ``--model lorentz``, the CSV table of ``reembed``), never a rival matrix
OWN_COMPANIONS = ("lorentz", "table")


def own_companions(shapes: dict) -> tuple[str, ...]:
    """The arrays of :data:`OWN_COMPANIONS` that do not rival ``embeddings`` in a container laid out as embgeo
    writes its hyperbolic coordinates (``shapes``: ``{name: shape}`` of every array; a 0-D ``curvature`` and
    ``model`` beside ``embeddings``); empty for any other file."""
    if "embeddings" in shapes and tuple(shapes.get("curvature", (1,))) == () and tuple(shapes.get("model", (1,))) == ():
        return tuple(k for k in OWN_COMPANIONS if k in shapes)
    return ()


def picked_key(key: str, shapes: dict, noun: str, example: str, prefix: str = "") -> dict:
    """The provenance of a matrix picked by its name (:func:`auto_key`, ``key``) or as the one candidate of its
    container: ``{"key": key}``, so that ``inputs[].key`` says which array was read. ``shapes`` (``{name:
    shape}``) holds ``key`` and every array that may be the matrix (numbers, 2-D or more; 1-D arrays — ids,
    labels, attribute columns — never are). Any other of them is a question, never dropped silently whatever its
    shape: "which one?", naming each with its shape (``holds several matrices (embeddings 50×8, hidden
    3×50×8); which one?``). Several of one shape (``x`` and ``y``, ``image`` and ``text``: paired sets saved
    together) say so."""
    rivals = [k for k in shapes if k != key]
    if not rivals:
        return {"key": key}
    both = [key, *rivals]
    shape = tuple(shapes[key])
    if all(tuple(shapes[k]) == shape for k in rivals):
        raise EmbgeoError(f"holds {len(both)} {noun} of shape {shape} ({', '.join(f'{prefix}{k}' for k in both[:6])}); which one? embgeo reads one "
                          "matrix per input and does not pick one by its name beside another of the same shape",
                          hint=f"name it as {example}:{prefix}{key} (or {example}:{prefix}{rivals[0]}); for two paired sets pass both, "
                               f"e.g. {example}:{prefix}{key} {example}:{prefix}{rivals[0]}")
    listed = ", ".join(f"{prefix}{k} {shape_text(shapes[k])}" for k in both[:6]) + (", …" if len(both) > 6 else "")
    raise EmbgeoError(f"holds several matrices ({listed}); which one? embgeo reads one matrix per input and does not pick one "
                      "by its name or its shape",
                      hint="name it as " + " or ".join(f"{example}:{prefix}{k}" for k in both[:3]))


def with_vectors(provenance: dict, names) -> dict:
    """``provenance`` with ``"vectors"`` set to ``names`` (the 1-D arrays of one value per row saved beside the
    matrix, other than its ids: labels, scores …) when there are any. They are not read (not ids, not attribute
    columns); :meth:`embgeo.io.model.EmbeddingSet.attribute` names them when an attribute of that name is asked for."""
    names = [str(n) for n in names or []]
    return {**provenance, "vectors": names} if names else provenance


def not_a_matrix(key, shape, example: str, matrices=(), prefix: str = "") -> EmbgeoError:
    """The one line for a ``:KEY`` (or a picked name) that names a 1-D or 0-D array of a container: what it is —
    the row ids, read with the matrix, when it is named like them — and the matrix to name instead
    (``matrices``: the container's arrays of two or more axes)."""
    role = " (it holds the row ids, which are read with the matrix)" if is_id_name(str(key).rpartition("/")[2]) else ""
    what = "a single value (0-D)" if len(shape) == 0 else f"a 1-D array of shape {tuple(int(s) for s in shape)}"
    matrices = [m for m in matrices if m != key]
    return EmbgeoError(f"'{prefix}{key}' is {what}, not a matrix{role}",
                       hint=f"name the matrix instead: {example}:{prefix}{matrices[0]}" if matrices
                       else "save the embeddings as one (n_samples, n_features) array beside it")
