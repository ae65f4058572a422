"""Token clouds on disk: one ``T_i × d`` array per text per layer, ragged over texts.

Layout (HDF5 ``.h5``/``.hdf5`` or ``.safetensors``):

* ``tokens`` — ``L × ΣT_i × d`` (float32 by default): every text's tokens, concatenated;
* ``offsets`` — ``n + 1`` int64: text ``i`` is ``tokens[:, offsets[i]:offsets[i+1]]``;
* ``ids`` — ``n`` text ids and ``layer_names`` — ``L`` names (HDF5 string datasets; in a
  safetensors file both sit in the JSON metadata under ``"ids"`` and ``"layer_names"``).

Pooled stacks (``L × n × d``: ``mean``, ``first``, ``last``) use the same two containers,
one dataset (tensor) per pooling plus ``ids``; ``embgeo id --layers pooled.h5:mean`` reads them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, require

TOKEN_SUFFIXES = (".h5", ".hdf5", ".safetensors")


@dataclass(frozen=True)
class TokenClouds:
    """Ragged token clouds: ``cloud(layer, i)`` is text ``i``'s ``T_i × d`` matrix at ``layer``."""

    tokens: np.ndarray  # L × ΣT × d
    offsets: np.ndarray  # n + 1
    ids: np.ndarray
    layer_names: tuple
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        off = np.asarray(self.offsets)
        if self.tokens.ndim != 3:
            raise EmbgeoError(f"token clouds must be L × tokens × d; got shape {self.tokens.shape}")
        if off.ndim != 1 or off.size < 2 or off[0] != 0 or off[-1] != self.tokens.shape[1] or np.any(np.diff(off) < 0):
            raise EmbgeoError("token cloud offsets must rise from 0 to the number of stored tokens",
                              hint="write the file with embgeo extract")
        if len(self.ids) != off.size - 1 or len(self.layer_names) != self.tokens.shape[0]:
            raise EmbgeoError("token clouds: ids or layer names do not match the stored texts and layers")

    @property
    def n_texts(self) -> int:
        return int(self.offsets.size - 1)

    @property
    def n_layers(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def n_dims(self) -> int:
        return int(self.tokens.shape[2])

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def cloud(self, layer: int, i: int) -> np.ndarray:
        return np.asarray(self.tokens[layer, int(self.offsets[i]):int(self.offsets[i + 1])], dtype=np.float64)

    def layer(self, layer: int) -> list[np.ndarray]:
        block = np.asarray(self.tokens[layer], dtype=np.float64)
        return [block[int(a):int(b)] for a, b in zip(self.offsets[:-1], self.offsets[1:])]

    def take(self, rows) -> "TokenClouds":
        rows = np.asarray(rows, dtype=np.int64)
        parts = [np.asarray(self.tokens[:, int(self.offsets[i]):int(self.offsets[i + 1])]) for i in rows]
        lengths = np.array([p.shape[1] for p in parts], dtype=np.int64)
        tok = np.concatenate(parts, axis=1) if parts else self.tokens[:, :0]
        return TokenClouds(tok, np.concatenate([[0], np.cumsum(lengths)]), np.asarray(self.ids)[rows], self.layer_names, self.provenance)

    @classmethod
    def from_lists(cls, clouds_per_text, *, ids=None, layer_names=None) -> "TokenClouds":
        """From a list over texts of ``L × T_i × d`` arrays."""
        clouds_per_text = [np.asarray(c) for c in clouds_per_text]
        if not clouds_per_text:
            raise EmbgeoError("no texts")
        L, d = clouds_per_text[0].shape[0], clouds_per_text[0].shape[2]
        for c in clouds_per_text:
            if c.ndim != 3 or c.shape[0] != L or c.shape[2] != d:
                raise EmbgeoError(f"every text's cloud must be {L} × T × {d}; got {c.shape}")
        lengths = np.array([c.shape[1] for c in clouds_per_text], dtype=np.int64)
        ids = np.asarray([str(i) for i in range(len(clouds_per_text))] if ids is None else [str(i) for i in ids])
        names = tuple(layer_names) if layer_names is not None else tuple(f"layer{i}" for i in range(L))
        return cls(np.concatenate(clouds_per_text, axis=1), np.concatenate([[0], np.cumsum(lengths)]), ids, names)


def _check_suffix(path: Path) -> str:
    suf = path.suffix.lower()
    if suf not in TOKEN_SUFFIXES:
        raise EmbgeoError(f"token clouds are stored as .h5 or .safetensors, not '{suf or '(none)'}'", source=str(path))
    return "safetensors" if suf == ".safetensors" else "hdf5"


def write_arrays(path, arrays: dict, *, ids, layer_names) -> None:
    """Write named arrays plus ids and layer names atomically to ``path`` (.h5 or .safetensors)."""
    from embgeo.io.writers import atomic_path

    path = Path(path)
    kind = _check_suffix(path)
    ids = [str(i) for i in ids]
    names = [str(n) for n in layer_names]
    with atomic_path(path) as tmp:
        if kind == "hdf5":
            h5py = require("h5py", package="h5py", extra="hdf5", feature="writing HDF5 files")
            with h5py.File(tmp, "w") as f:
                for k, v in arrays.items():
                    f.create_dataset(k, data=np.ascontiguousarray(v))
                f.create_dataset("ids", data=np.asarray(ids, dtype=object), dtype=h5py.string_dtype())
                f.create_dataset("layer_names", data=np.asarray(names, dtype=object), dtype=h5py.string_dtype())
        else:
            st = require("safetensors.numpy", package="safetensors", extra="safetensors", feature="writing safetensors files")
            st.save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp),
                         metadata={"ids": json.dumps(ids), "layer_names": json.dumps(names), "format": "embgeo"})


def write_tokens(path, clouds: TokenClouds) -> None:
    write_arrays(path, {"tokens": clouds.tokens, "offsets": np.asarray(clouds.offsets, dtype=np.int64)},
                 ids=clouds.ids, layer_names=clouds.layer_names)


def load_tokens(path) -> TokenClouds:
    """Read token clouds written by :func:`write_tokens` (``embgeo extract``)."""
    path = Path(path)
    if not path.exists():
        raise EmbgeoError("no such file", source=str(path))
    kind = _check_suffix(path)
    try:
        if kind == "hdf5":
            h5py = require("h5py", package="h5py", extra="hdf5", feature="reading HDF5 files")
            with h5py.File(path, "r") as f:
                if "tokens" not in f or "offsets" not in f:
                    raise EmbgeoError("holds no token clouds (datasets 'tokens' and 'offsets')", hint="write them with embgeo extract")
                tokens, offsets = f["tokens"][()], f["offsets"][()]
                dec = lambda a: [v.decode() if isinstance(v, bytes) else str(v) for v in a]  # noqa: E731
                ids = dec(f["ids"][()]) if "ids" in f else [str(i) for i in range(offsets.size - 1)]
                names = dec(f["layer_names"][()]) if "layer_names" in f else [f"layer{i}" for i in range(tokens.shape[0])]
        else:
            require("safetensors", package="safetensors", extra="safetensors", feature="reading safetensors files")
            from safetensors import safe_open

            with safe_open(str(path), framework="numpy") as f:
                keys = set(f.keys())
                if not {"tokens", "offsets"} <= keys:
                    raise EmbgeoError("holds no token clouds (tensors 'tokens' and 'offsets')", hint="write them with embgeo extract")
                tokens, offsets, meta = f.get_tensor("tokens"), f.get_tensor("offsets"), f.metadata() or {}
            ids = json.loads(meta["ids"]) if "ids" in meta else [str(i) for i in range(offsets.size - 1)]
            names = json.loads(meta["layer_names"]) if "layer_names" in meta else [f"layer{i}" for i in range(tokens.shape[0])]
    except EmbgeoError as exc:
        raise exc.with_source(str(path)) from None
    except (OSError, ValueError, KeyError) as exc:
        raise EmbgeoError(f"is not a readable token-cloud file ({' '.join(str(exc).split())[:160]})", source=str(path)) from None
    clouds = TokenClouds(np.asarray(tokens), np.asarray(offsets, dtype=np.int64), np.asarray(ids, dtype=str), tuple(names), {"file": str(path)})
    return clouds
