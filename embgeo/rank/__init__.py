"""Rank axes for ordinal attributes (Sonthalia et al., *On the rankability of visual
embeddings*): :func:`rank_axes` (:mod:`~embgeo.rank.core`), the axes
(:mod:`~embgeo.rank.axes`), ordering metrics (:mod:`~embgeo.rank.ordering`), and
:func:`rank_layers` per layer of a stack (:mod:`~embgeo.rank.layers`)."""
from embgeo.rank.core import RankResult, rank_axes, score_axis
from embgeo.rank.layers import RankLayersResult, rank_layers
from embgeo.rank.ordering import kendall_tau, ordering_metrics, pairwise_accuracy, spearman

__all__ = ["rank_axes", "score_axis", "RankResult", "rank_layers", "RankLayersResult", "ordering_metrics", "spearman", "kendall_tau", "pairwise_accuracy"]
