"""The hyperbolic functions from Python: points outside the ball and shapes that do not pair are one-line
errors, the trainer's own result can be evaluated, and an edge list where a Hierarchy belongs says how
to build one."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import embgeo as eg
from embgeo.errors import EmbgeoError


@pytest.fixture(scope="module")
def h():
    return eg.hyperbolic.hierarchy_from_edges([("b", "a"), ("c", "a"), ("d", "b"), ("e", "b"), ("f", "c"), ("g", "c")])


# --------------------------------------------------------------------------- poincare_distance
@pytest.mark.parametrize("x, y, text", [
    ([[2.0, 0.0]], [[0.0, 3.0]], "x has 1 row on or outside the Poincaré ball of curvature −c (radius 1/√c = 1); first row 0, norm 2"),
    ([[0.5, 0.0]], [[0.0, 3.0]], "y has 1 row on or outside the Poincaré ball of curvature −c (radius 1/√c = 1); first row 0, norm 3"),
    ([[0.1, 0.0], [0.6, 0.8], [0.0, 5.0]], [0.0, 0.0], "x has 2 rows on or outside the Poincaré ball of curvature −c (radius 1/√c = 1); first row 1, norm 1"),
    ([2.0, 0.0], [0.0, 0.0], "x lies on or outside the Poincaré ball of curvature −c (radius 1/√c = 1): its norm is 2"),
    ([[0.0, np.nan]], [0.0, 0.0], "x has 1 row with NaN or inf coordinates; first row 0"),
])
def test_points_outside_the_ball_are_refused(x, y, text):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way to the error
        with pytest.raises(EmbgeoError) as err:
            eg.hyperbolic.poincare_distance(np.array(x), np.array(y))
    assert str(err.value).startswith(text), str(err.value)
    assert "\n" not in str(err.value)


def test_the_ball_follows_the_curvature():
    # radius 1/√c = 0.5 at c = 4: a point at norm 0.7 is outside, one at 0.4 inside
    with pytest.raises(EmbgeoError, match=r"^y lies on or outside the Poincaré ball of curvature −c \(radius 1/√c = 0\.5\): its norm is 0\.7"):
        eg.hyperbolic.poincare_distance(np.zeros(2), np.array([0.7, 0.0]), c=4.0)
    d = eg.hyperbolic.poincare_distance(np.zeros(2), np.array([0.4, 0.0]), c=4.0)
    np.testing.assert_allclose(d, 2.0 / 2.0 * np.arctanh(2.0 * 0.4), rtol=1e-12)  # (2/√c)·artanh(√c‖x‖)


def test_shapes_that_do_not_pair_name_both():
    with pytest.raises(EmbgeoError) as err:
        eg.hyperbolic.poincare_distance(np.zeros((3, 2)), np.zeros((4, 2)))
    assert str(err.value).startswith("x and y have shapes (3, 2) and (4, 2), which do not broadcast"), str(err.value)
    with pytest.raises(EmbgeoError, match=r"^x and y have shapes \(3, 2\) and \(3,\)"):
        eg.hyperbolic.poincare_distance(np.zeros((3, 2)), np.zeros(3))


def test_rows_still_broadcast_and_values_are_right():
    x = np.array([[0.5, 0.0], [0.0, 0.9], [0.0, 0.0]])
    d = eg.hyperbolic.poincare_distance(np.zeros(2), x)  # one point against many
    np.testing.assert_allclose(d, 2.0 * np.arctanh([0.5, 0.9, 0.0]), rtol=1e-12, atol=1e-15)
    # one pair: 1 + 2‖x−y‖²/((1−‖x‖²)(1−‖y‖²)) = 1 + 2·0.5/(0.75·0.75)
    d = eg.hyperbolic.poincare_distance(np.array([0.5, 0.0]), np.array([0.0, 0.5]))
    np.testing.assert_allclose(d, np.arccosh(1.0 + 2.0 * 0.5 / 0.75**2), rtol=1e-12)
    # row-wise pairs equal the pairwise matrix's diagonal
    from embgeo.hyperbolic.math import poincare_pairwise

    rng = np.random.default_rng(0)
    a, b = rng.uniform(-0.5, 0.5, size=(6, 3)), rng.uniform(-0.5, 0.5, size=(6, 3))
    np.testing.assert_allclose(eg.hyperbolic.poincare_distance(a, b), np.diag(poincare_pairwise(a, b)), rtol=1e-10)


# --------------------------------------------------------------------------- a Hierarchy where one belongs
@pytest.mark.parametrize("bad, got", [
    ([("b", "a"), ("c", "a")], "a list of 2 items"),
    (np.array([[0, 1], [2, 1]]), "an array of shape (2, 2)"),
    ("edges.tsv", "a path ('edges.tsv')"),
])
@pytest.mark.parametrize("call", ["train", "combinatorial", "embed_hierarchy", "evaluate"])
def test_an_edge_list_is_not_a_hierarchy(bad, got, call):
    f = {
        "train": lambda g: eg.hyperbolic.train(g, epochs=1),
        "combinatorial": eg.hyperbolic.combinatorial,
        "embed_hierarchy": eg.hyperbolic.embed_hierarchy,
        "evaluate": lambda g: eg.hyperbolic.evaluate(np.zeros((2, 2)), g),
    }[call]
    with pytest.raises(EmbgeoError) as err:
        f(bad)
    msg = str(err.value)
    assert msg == (f"h must be a Hierarchy (a hierarchy or graph), got {got} "
                   "(build one with hierarchy_from_edges(edges) or read_hierarchy(path), both in embgeo.hyperbolic)"), msg
    # the names the hint gives are real
    assert callable(eg.hyperbolic.hierarchy_from_edges) and callable(eg.hyperbolic.read_hierarchy)


# --------------------------------------------------------------------------- the trainer's result
def test_evaluate_takes_the_trainers_result(h):
    pytest.importorskip("torch")
    pytest.importorskip("geoopt")
    t = eg.hyperbolic.train(h, epochs=5, dim=2, seed=0)
    r = eg.hyperbolic.evaluate(t, h, protocol="all")
    ref = eg.hyperbolic.evaluate(t.coordinates, h, ids=t.ids, protocol="all", produced_by="train")
    assert r.to_dict() == ref.to_dict()
    assert r.produced_by == "train" and r.model == "poincare" and r.n_dims == 2
    assert 0.0 < r.map <= 1.0 and r.mean_rank >= 1.0
    assert r.map == pytest.approx(t.map, abs=1e-12)  # the training's own MAP (Nickel–Kiela, the same pairs)
    # a curvature other than the training's is refused, naming both
    with pytest.raises(EmbgeoError, match=r"^the embedding was trained at curvature −1, not c=2"):
        eg.hyperbolic.evaluate(t, h, c=2.0)
    with pytest.raises(EmbgeoError, match="has no hyperboloid coordinates"):
        eg.hyperbolic.evaluate(t, h, model="lorentz")


def test_evaluate_takes_the_combinatorial_result(h):
    cr = eg.hyperbolic.combinatorial(h)
    r = eg.hyperbolic.evaluate(cr, h, protocol="all")
    ref = eg.hyperbolic.evaluate(cr.embedding.distances, h, protocol="all", scale=cr.embedding.tau)
    assert r.to_dict() == ref.to_dict()
    assert r.map_sala == pytest.approx(cr.map_sala, abs=1e-12)
    assert r.distortion_mean == pytest.approx(cr.distortion_mean, rel=1e-9)


def test_evaluate_aligns_a_distance_callable_by_ids(h):
    rng = np.random.default_rng(1)
    X = rng.uniform(-0.5, 0.5, size=(h.n_nodes, 2))  # points of the ball, rows in the order of h.ids
    perm = rng.permutation(h.n_nodes)
    from embgeo.hyperbolic.math import poincare_pairwise

    D = poincare_pairwise(X[perm])  # rows in the order of ids[perm]
    r = eg.hyperbolic.evaluate(lambda rows: D[rows], h, ids=np.asarray(h.ids)[perm], protocol="all")
    ref = eg.hyperbolic.evaluate(X, h, protocol="all")
    assert r.map == pytest.approx(ref.map, abs=1e-12) and r.map_sala == pytest.approx(ref.map_sala, abs=1e-12)
    assert r.distortion_mean == pytest.approx(ref.distortion_mean, rel=1e-9)
