"""Metrics over embedding matrices: uniformity, intrinsic dimension, rankability, cosine pitfalls."""
