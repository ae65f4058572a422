"""Plots: what was drawn (data arrays, bar heights, tick labels, titles), not pixels."""
from __future__ import annotations

import numpy as np
import pytest

from embgeo.errors import EmbgeoError


def _unit(rng, n, d):
    X = rng.normal(size=(n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_plot_result_dispatch_and_unknown():
    from embgeo.plots import REGISTRY, plot_function, plot_result

    with pytest.raises(EmbgeoError, match="no plot for this result"):
        plot_result(object())
    # every registry target can be imported (no typo in a module or function name)
    for name, target in REGISTRY.items():
        module, _, fn = target.partition(":")
        import importlib

        assert callable(getattr(importlib.import_module(module), fn)), name

    class UniformityResult:  # dispatch is by class name (and base classes)
        pass

    assert plot_function(UniformityResult()).__name__ == "plot_uniformity"


def test_save_figure_png_svg_atomic(tmp_path):
    from embgeo.plots import save_figure
    from embgeo.plots._common import figure

    fig, axes = figure(1)
    axes[0].plot([0, 1], [1, 0])
    save_figure(fig, tmp_path / "a.png")
    save_figure(fig, tmp_path / "a.svg")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "a.svg").read_bytes()[:2000]
    with pytest.raises(EmbgeoError, match="png or .svg"):
        save_figure(fig, tmp_path / "a.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "a.svg"]  # no temporary files left


def test_sphere_densities_closed_form():
    from embgeo.plots._common import trapz
    from embgeo.plots.uniformity import sphere_angle_density, sphere_sq_distance_density

    # d = 3: the angle between uniform points on S² has density sin θ / 2; u = ‖x − y‖² is uniform on [0, 4]
    t = np.linspace(0.01, np.pi - 0.01, 50)
    np.testing.assert_allclose(sphere_angle_density(t, 3), np.sin(t) / 2, rtol=1e-12)  # closed-form normaliser: rounding only
    u = np.linspace(0.1, 3.9, 20)
    np.testing.assert_allclose(sphere_sq_distance_density(u, 3), 0.25, rtol=1e-12)
    for d in (10, 384):
        g = np.linspace(0, 4, 20001)
        p = sphere_sq_distance_density(g, d)
        assert abs(trapz(p, g) - 1) < 1e-3  # a density
        assert abs(trapz(g * p, g) - 2.0) < 1e-3  # E‖x − y‖² = 2 on the sphere


def test_uniformity_plot_draws_the_histograms(rng):
    from embgeo.uniformity.core import alignment, uniformity
    from embgeo.plots import plot_result

    X = _unit(rng, 300, 16)
    Y = X + 0.1 * rng.normal(size=X.shape)
    u = uniformity(X, seed=0)
    al = alignment(X, Y)
    fig = plot_result(u, alignment=al)
    a0, a1, a2 = fig.axes[:3]
    stairs = [p for p in a0.patches if p.__class__.__name__ == "StepPatch"]
    heights = stairs[0].get_data().values
    c, e = u.sq_distances.hist_counts, u.sq_distances.hist_edges
    np.testing.assert_allclose(heights, c / (c.sum() * np.diff(e)))  # density of the stored histogram
    assert f"{u.uniformity:.3f}" in a0.get_title()
    # angle panel: same counts on edges θ = arccos(1 − u/2), in degrees
    edges = [p for p in a1.patches if p.__class__.__name__ == "StepPatch"][0].get_data().edges
    np.testing.assert_allclose(edges, np.degrees(np.arccos(1 - np.clip(e, 0, 4) / 2)))
    assert "alignment" in a2.get_title()


def test_gap_plane_draws_the_gap_vector_exactly(rng):
    from embgeo.uniformity.gap import modality_gap
    from embgeo.plots import plot_result
    from embgeo.plots.gap import gap_plane

    d = 12
    X = _unit(rng, 200, d) + 0.6 * np.eye(d)[0]
    Y = _unit(rng, 200, d) - 0.6 * np.eye(d)[0]
    g = modality_gap(X, Y, separability=False, seed=0)
    Px, Py, B = gap_plane(X, Y, g.gap_vector)
    # the centroid difference lies on the first axis with length ‖Δ‖ (exact up to rounding)
    np.testing.assert_allclose(Px.mean(0) - Py.mean(0), [g.gap_centroid_distance, 0.0], atol=1e-12)
    np.testing.assert_allclose(B @ B.T, np.eye(2), atol=1e-12)
    fig = plot_result(g, X=X, Y=Y)
    offsets = [c.get_offsets() for c in fig.axes[0].collections]
    np.testing.assert_allclose(offsets[0], Px, atol=1e-12)
    np.testing.assert_allclose(offsets[1], Py, atol=1e-12)
    assert len(fig.axes) == 3
    assert len(plot_result(g).axes) == 2  # without the data: projection histogram and cosines


def test_cosine_plot_rogue_bars_and_occurrence(rng):
    from embgeo.cosine.diagnostics import cosine_diagnostics
    from embgeo.plots import plot_result

    X = rng.normal(size=(200, 30))
    X[:, 7] += 4.0  # a rogue dimension
    r = cosine_diagnostics(X, k=5, seed=0)
    fig = plot_result(r)
    bars = fig.axes[1].patches
    shares = np.sort(r.rogue_dimensions.shares)[::-1][:20]
    np.testing.assert_allclose([b.get_height() for b in bars], 100 * shares)
    assert fig.axes[1].get_xticklabels()[0].get_text() == "7"
    occ = [p for p in fig.axes[2].patches if p.__class__.__name__ == "StepPatch"][0].get_data().values
    np.testing.assert_array_equal(occ[: r.hubness.raw.occurrence_hist.size], r.hubness.raw.occurrence_hist)


def test_rank_plot_scatter_curve_and_bars(rng):
    from embgeo.rank.core import rank_axes
    from embgeo.plots import plot_result

    n, d = 150, 10
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.3 * rng.normal(size=n)
    r = rank_axes(X, y, n_bootstrap=50, n_random=50, repeats=2, shots=(2, 8, 32), seed=0)
    fig = plot_result(r)
    sc = fig.axes[0].collections[0].get_offsets()
    held = r.methods["regression"].heldout
    np.testing.assert_allclose(sc, np.column_stack([r.y, held])[np.isfinite(held)])
    line = [ln for ln in fig.axes[1].lines if ln.get_marker() == "o"][0]
    np.testing.assert_allclose(line.get_xdata(), r.fewshot.k)
    np.testing.assert_allclose(line.get_ydata(), r.fewshot.mean)
    labels = [t.get_text() for t in fig.axes[2].get_yticklabels()]
    assert labels[0] == "regression" and "fewshot k=32" in labels
    widths = [b.get_width() for b in fig.axes[2].patches if b.__class__.__name__ == "Rectangle" and b.get_height() == 0.8]
    assert widths[0] == pytest.approx(r.methods["regression"].spearman)


def test_geodesic_arcs_are_geodesics(rng):
    from embgeo.hyperbolic.math import poincare_distance
    from embgeo.plots.hyperbolic import geodesic_arcs

    P = 0.9 * _unit(rng, 20, 2) * rng.uniform(0.1, 1, size=(20, 1))
    Q = 0.9 * _unit(rng, 20, 2) * rng.uniform(0.1, 1, size=(20, 1))
    arcs = geodesic_arcs(P, Q, points=11)
    total = poincare_distance(P, Q)
    t = np.linspace(0, 1, 11)
    for j, tj in enumerate(t):  # points on a geodesic split the distance in proportion t : 1 − t
        np.testing.assert_allclose(poincare_distance(P, arcs[:, j]), tj * total, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(poincare_distance(arcs[:, j], Q), (1 - tj) * total, rtol=1e-9, atol=1e-12)


def test_tree_embedding_plot_and_pair_distortions():
    from embgeo.datasets import path
    from embgeo.hyperbolic.combinatorial import combinatorial_embedding
    from embgeo.hyperbolic.evaluate import evaluate_embedding
    from embgeo.hyperbolic.graphs import read_hierarchy
    from embgeo.plots import plot_result
    from embgeo.plots.hyperbolic import pair_distortions

    h = read_hierarchy(path("smalltree"))
    te = combinatorial_embedding(h.edges, h.n_nodes, dim=2, eps=0.1)
    ev = evaluate_embedding(te.distances, h, protocol="sala")
    vals, s = pair_distortions(te.distances, h, distortion_sources=None)
    # the histogram's values average to the evaluation's average distortion (same pairs, same fitted scale)
    assert vals.size == h.n_nodes * (h.n_nodes - 1) // 2
    np.testing.assert_allclose(vals.mean(), ev.distortion_avg, rtol=1e-9)
    np.testing.assert_allclose(s, ev.scale, rtol=1e-9)
    fig = plot_result(te, hierarchy=h, display_radius=None)
    disk = fig.axes[0]
    np.testing.assert_allclose(disk.collections[-1].get_offsets(), te.coordinates[:, :2])
    assert len(disk.collections[0].get_segments()) == h.n_nodes - 1  # one geodesic per tree edge
    texts = {t.get_text() for t in disk.texts}
    assert str(h.ids[te.root]) in texts  # the root is labelled


def test_plot_layers_and_intrinsic(rng):
    from embgeo.intrinsic.summary import intrinsic_dimension
    from embgeo.intrinsic.layers import layer_dimensions
    from embgeo.plots import plot_result

    X = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 20))
    r = intrinsic_dimension(X, n_bootstrap=20, seed=0)
    fig = plot_result(r)
    gride = [ln for ln in fig.axes[0].lines if ln.get_marker() == "o"][0]
    np.testing.assert_allclose(gride.get_ydata(), r.gride.dimension)
    stack = [X, X + 0.01 * rng.normal(size=X.shape), rng.normal(size=(300, 20))]
    lr = layer_dimensions(stack, methods=("twonn", "pca"), n_bootstrap=10, seed=0)
    fig = plot_result(lr)
    tw = fig.axes[0].lines[0]
    np.testing.assert_allclose(tw.get_ydata(), lr.curves()["twonn"])
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), lr.overlap)


def test_map_plot_categories_escape_mathtext(rng):
    from embgeo.plots import plot_result
    from embgeo.projection import project

    X = rng.normal(size=(40, 5))
    p = project(X, method="pca")
    labels = np.array(["$x$"] * 20 + ["plain"] * 20)
    fig = plot_result(p, color=labels, color_name="kind")
    texts = sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    assert texts == [r"\$x\$", "plain"]  # shown literally, not as mathtext
    num = plot_result(p, color=np.arange(40.0), color_name="n")
    np.testing.assert_allclose(num.axes[0].collections[0].get_array(), np.arange(40.0))


def test_every_command_result_has_a_plot(rng):
    """plot_result draws what `compare`, `layers` and `rank --layers` return (their CLIs call the
    same functions), so `plot_result` works on the result of every analysis command but δ."""
    import embgeo as eg
    from embgeo.layers.suite import layer_suite
    from embgeo.plots import plot_function, plot_result
    from embgeo.plots.compare import plot_compare
    from embgeo.plots.layers import plot_layer_suite
    from embgeo.plots.rank_layers import plot_rank_layers
    from embgeo.rank.layers import rank_layers

    X = rng.normal(size=(80, 6))
    Y = X @ np.linalg.qr(rng.normal(size=(6, 6)))[0]
    pair = eg.compare(X, Y, methods=["cka"], n_bootstrap=5, n_permutations=5)
    many = eg.compare.compare_many([X, Y, rng.normal(size=(80, 6))], methods=["cka"], n_bootstrap=5, n_permutations=5)
    stack = [X, X + 0.1 * rng.normal(size=X.shape), rng.normal(size=(80, 6))]
    suite = layer_suite(stack)
    ranked = rank_layers(stack, X[:, 0] + 0.1 * rng.normal(size=80), n_bootstrap=10, n_random=20, n_shuffles=20,
                         mlp=False, seed=0)
    for result, fn in ((pair, plot_compare), (many, plot_compare), (suite, plot_layer_suite), (ranked, plot_rank_layers)):
        assert plot_function(result) is fn, type(result).__name__
        assert plot_result(result).axes, type(result).__name__
    heat = plot_result(many).axes[0].images[0].get_array()
    np.testing.assert_allclose(np.diag(np.asarray(heat, dtype=float)), 1.0, atol=1e-9)
