"""Readers, writers and the data model (:class:`EmbeddingSet`, :class:`LayerStack`)."""
from embgeo.io.labels import join_labels
from embgeo.io.model import EmbeddingSet, LayerStack
from embgeo.io.readers import FORMATS, load, load_layers, split_spec
from embgeo.io.writers import atomic_path, save_matrix, save_npy, save_npz, write_text

__all__ = [
    "EmbeddingSet", "LayerStack", "FORMATS", "load", "load_layers", "split_spec", "join_labels",
    "atomic_path", "save_matrix", "save_npy", "save_npz", "write_text",
]
