"""Readers, writers, the data model (:class:`EmbeddingSet`, :class:`LayerStack`) and the row join
(:mod:`embgeo.io.join`: by id whenever the inputs carry ids, by row order only when none has, or when asked)."""
from embgeo.io.join import align_rows, align_sets, row_orders
from embgeo.io.labels import join_labels
from embgeo.io.model import EmbeddingSet, LayerStack
from embgeo.io.readers import FORMATS, load, load_layers, split_spec
from embgeo.io.writers import atomic_path, save_matrix, save_npy, save_npz, write_text

__all__ = [
    "EmbeddingSet", "LayerStack", "FORMATS", "load", "load_layers", "split_spec", "join_labels",
    "align_rows", "align_sets", "row_orders",
    "atomic_path", "save_matrix", "save_npy", "save_npz", "write_text",
]
