"""Hyperbolic embeddings of hierarchies and graphs.

Callables (loaded on first use; nothing heavy is imported here):

- :func:`train` — the Nickel & Kiela (2017) Poincaré trainer with geoopt
  (:func:`embgeo.hyperbolic.poincare.train_poincare`);
- :func:`evaluate` — MAP, mean rank and distortion of an embedding: coordinates, a distance
  callable, or the result of :func:`train` or :func:`combinatorial` as it is
  (:func:`embgeo.hyperbolic.evaluate.evaluate_embedding`);
- :func:`combinatorial` — the Sala et al. (2018) tree construction
  (:func:`embgeo.hyperbolic.combinatorial.embed_hierarchy`);
- :func:`hmds` — h-MDS of a distance matrix (:func:`embgeo.hyperbolic.hmds.hmds`);
- :func:`delta` — Gromov δ (:func:`embgeo.hyperbolic.delta.gromov_delta`);
- :func:`reembed` — an embedding matrix re-embedded into the ball
  (:func:`embgeo.hyperbolic.reembed.reembed`);
- :func:`read_hierarchy` / :func:`hierarchy_from_edges` — edge lists and closures;
- :func:`combinatorial_embedding`, :func:`embed_hierarchy`, :func:`rooted_tree`,
  :func:`embedding_scale`, :func:`bits_needed` — the construction's parts
  (:mod:`~embgeo.hyperbolic.combinatorial` is its public face, the engines are in
  :mod:`~embgeo.hyperbolic.construction`, the rooted tree in :mod:`~embgeo.hyperbolic.trees`).

The results they return are here too (loaded on first use): :class:`Hierarchy` (``read_hierarchy``,
``hierarchy_from_edges``), :class:`PoincareEmbedding` (``train``), :class:`EvalResult` (``evaluate``),
:class:`CombinatorialResult` / :class:`TreeEmbedding` (``combinatorial``), :class:`HmdsResult` (``hmds``),
:class:`DeltaResult` (``delta``) and :class:`ReembedResult` (``reembed``).

``evaluate``, ``combinatorial``, ``hmds``, ``delta`` and ``reembed`` are also the
modules that hold them: each module is callable, so ``embgeo.hyperbolic.hmds(D)``
works whether or not ``embgeo.hyperbolic.hmds`` was imported as a module, and each shows its
function's signature and docstring (``inspect.signature``, ``help``).
The functions that take a hierarchy (``train``, ``evaluate``, ``combinatorial``) take a
:class:`~embgeo.hyperbolic.graphs.Hierarchy`: build one with :func:`hierarchy_from_edges` or
:func:`read_hierarchy` (an edge list given instead is a one-line error saying so).
Mathematics on the ball and the hyperboloid is in :mod:`embgeo.hyperbolic.math`.
"""
from __future__ import annotations

import importlib

_LAZY = {
    "train": "embgeo.hyperbolic.poincare:train_poincare",
    "evaluate": "embgeo.hyperbolic.evaluate:",
    "combinatorial": "embgeo.hyperbolic.combinatorial:",
    "hmds": "embgeo.hyperbolic.hmds:",
    "delta": "embgeo.hyperbolic.delta:",
    "reembed": "embgeo.hyperbolic.reembed:",
    "read_hierarchy": "embgeo.hyperbolic.graphs:read_hierarchy",
    "hierarchy_from_edges": "embgeo.hyperbolic.graphs:hierarchy_from_edges",
    "poincare_distance": "embgeo.hyperbolic.math:poincare_distance",
    "combinatorial_embedding": "embgeo.hyperbolic.combinatorial:combinatorial_embedding",
    "embed_hierarchy": "embgeo.hyperbolic.combinatorial:embed_hierarchy",
    "TreeEmbedding": "embgeo.hyperbolic.combinatorial:TreeEmbedding",
    "CombinatorialResult": "embgeo.hyperbolic.combinatorial:CombinatorialResult",
    "rooted_tree": "embgeo.hyperbolic.trees:rooted_tree",
    "embedding_scale": "embgeo.hyperbolic.construction:embedding_scale",
    "bits_needed": "embgeo.hyperbolic.construction:bits_needed",
    # the results the callables return (for isinstance checks and type hints)
    "Hierarchy": "embgeo.hyperbolic.graphs:Hierarchy",
    "PoincareEmbedding": "embgeo.hyperbolic.poincare:PoincareEmbedding",
    "EvalResult": "embgeo.hyperbolic.evaluate:EvalResult",
    "HmdsResult": "embgeo.hyperbolic.hmds:HmdsResult",
    "DeltaResult": "embgeo.hyperbolic.delta:DeltaResult",
    "ReembedResult": "embgeo.hyperbolic.reembed:ReembedResult",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'embgeo.hyperbolic' has no attribute {name!r}")
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attr) if attr else module
    globals()[name] = value
    return value
