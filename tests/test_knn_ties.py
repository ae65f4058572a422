"""Ties at the k-th neighbour: counted by the engine, and said in a note where numbers read neighbour sets.

On integer or quantised data several rows can sit at exactly the k-th distance; the engine keeps the
lower row numbers, so the set (and mutual kNN, hubness, Jaccard overlaps) can change with the row
order. That is now a note (``Neighbors.n_tied_kth``), not a silent choice.
"""
from __future__ import annotations

import json

import numpy as np

from embgeo.knn import knn
from embgeo.knn.engine import tie_note


def _brute_ties(X, k):
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(D, np.inf)
    S = np.sort(D, axis=1)
    return int(np.count_nonzero(S[:, k - 1] == S[:, k]))


def test_the_engine_counts_rows_whose_kth_place_is_tied():
    X = np.random.default_rng(0).integers(0, 3, size=(200, 6)).astype(float)
    nb = knn(X, 5)
    assert nb.n_tied_kth == _brute_ties(X, 5) > 0
    assert nb.to_dict()["n_tied_kth"] == nb.n_tied_kth
    G = np.random.default_rng(1).normal(size=(200, 6))
    assert knn(G, 5).n_tied_kth == 0
    # the tie is what makes the sets depend on the row order
    P = np.random.default_rng(2).permutation(200)
    a, b = knn(X, 5).indices, P[knn(X[P], 5).indices][np.argsort(P)]
    moved = sum(set(a[i]) != set(b[i]) for i in range(200))
    assert 0 < moved <= nb.n_tied_kth
    assert tie_note(0, 200, 5, "x") is None
    assert tie_note(3, 200, 1, "x").startswith("3 of 200 rows have a tie at their 1st neighbour")
    assert "at their 12th neighbour" in tie_note(3, 200, 12, "x") and "at their 22nd neighbour" in tie_note(3, 200, 22, "x")


def test_cosine_and_compare_say_so_on_integer_data(run_cli, tmp_path):
    X = np.random.default_rng(0).integers(-2, 3, size=(400, 16)).astype(float)
    G = np.random.default_rng(1).normal(size=(400, 16))
    np.save(tmp_path / "int.npy", X)
    np.save(tmp_path / "g.npy", G)
    doc = json.loads(run_cli(["-q", "cosine", tmp_path / "int.npy", "-f", "json"]).stdout)
    ties = doc["results"]["neighbour_ties"]
    assert ties > 0 and any(n.startswith(f"{ties} of 400 rows have a tie at their 10th neighbour") and "hubness" in n for n in doc["notes"])
    clean = json.loads(run_cli(["-q", "cosine", tmp_path / "g.npy", "-f", "json"]).stdout)
    assert clean["results"]["neighbour_ties"] == 0 and not any("have a tie" in n for n in clean["notes"])
    cmp = json.loads(run_cli(["-q", "compare", tmp_path / "int.npy", "--quantize", "binary", "-f", "json"]).stdout)
    assert any("@binary: " in n and "have a tie at their 10th neighbour" in n and "mutual kNN" in n for n in cmp["notes"])
    cg = json.loads(run_cli(["-q", "compare", tmp_path / "g.npy", tmp_path / "g.npy", "-f", "json"]).stdout)
    assert not any("have a tie" in n for n in cg["notes"])
