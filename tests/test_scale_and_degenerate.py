"""Degenerate pair distances, huge t, extreme scales, one-row inputs and options that do not apply.

- every pair distance equal (or equal to a few ulps): the distribution summary widens its histogram
  range instead of raising numpy's "too many bins";
- ``uniformity_sphere`` at t = 1e10 … 1e308: asymptotic expansions, fast, equal to closed forms; the
  ordinary range keeps its values to 1e-12;
- data scaled by a power of two far beyond float64's squares (×2**530 ≈ 1e160, ×2**−565 ≈ 1e-170):
  scale-free results are unchanged bit for bit, distances (δ, diameter, raw alignment, norms) are the
  scaled values exactly, and raw uniformity (whose kernel e^(−t·1e320) is not a float) is refused;
- one row, ``--alpha`` without ``--pairs``, ``--n-pairs`` with ``--mode exact``: one line, exit 2.
"""
from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from _cli import one_line

from embgeo.errors import EmbgeoError
from embgeo.hyperbolic.delta import gromov_delta
from embgeo.uniformity.core import alignment, uniformity, uniformity_sphere
from embgeo.uniformity.stats import summarize
from embgeo.validation import row_norms, scan_rows

BIG, SMALL = 530, -565  # 2**530 ≈ 3.5e159, 2**-565 ≈ 1.5e-170: squares beyond float64 either way


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(100, 6))


@pytest.fixture
def files(tmp_path, X):
    Q = np.linalg.qr(np.random.default_rng(0).normal(size=(50, 50)))[0]
    arrays = {"x": X, "y": X + 0.1, "q": Q, "one": X[:1], "big": np.ldexp(X, BIG), "small": np.ldexp(X, SMALL),
              "bigy": np.ldexp(X + 0.1, BIG)}
    paths = {k: tmp_path / f"{k}.npy" for k in arrays}
    for k, a in arrays.items():
        np.save(paths[k], a)
    return paths


def _json(run_cli, argv):
    res = run_cli([*argv, "-f", "json"])
    assert res.code == 0, res.stderr
    return json.loads(res.stdout)


# --------------------------------------------------------------------------- 1. equal distances


def test_raw_pairs_moved_by_one_offset_have_alignment_six_hundredths(run_cli, files, X):
    """Y = X + 0.1: every pair distance is ‖0.1·1‖ = √0.06 up to a few ulps (np.histogram raised
    "too many bins"); alignment (α = 2, raw rows) = 6 · 0.1² = 0.06, raw uniformity of X and Y are equal."""
    doc = _json(run_cli, ["uniformity", files["x"], "--pairs", files["y"], "--raw"])
    r = doc["results"]
    assert r["alignment"]["alignment"] == pytest.approx(0.06, abs=1e-12)
    assert r["alignment"]["ci_low"] == pytest.approx(0.06, abs=1e-12) and r["alignment"]["ci_high"] == pytest.approx(0.06, abs=1e-12)
    dist = r["alignment"]["distances"]
    assert dist["mean"] == pytest.approx(math.sqrt(0.06), abs=1e-15) and dist["std"] < 1e-15
    edges, counts = np.array(dist["histogram"]["edges"]), np.array(dist["histogram"]["counts"])
    assert len(edges) == 51 and counts.sum() == 100 and np.all(np.diff(edges) > 0)
    assert set(np.flatnonzero(counts)) <= {24, 25}  # every distance in the two middle bins
    # the range: ± 2**-20 of its centre around the distances
    assert edges[-1] - edges[0] == pytest.approx(2 * math.sqrt(0.06) * 2.0**-20, rel=1e-9)
    assert edges[0] <= dist["quantiles"]["p0"] and dist["quantiles"]["p100"] <= edges[-1]
    ref = uniformity(X, normalize=False, mode="exact").uniformity
    assert r["uniformity"] == ref and r["pairs"]["uniformity"] == pytest.approx(ref, abs=1e-12)
    assert ref == pytest.approx(-6.61260332635937, abs=1e-12)


@pytest.mark.parametrize("mode", ["exact", "sample"])
def test_raw_orthonormal_rows_have_uniformity_minus_four(run_cli, files, mode):
    """Rows of an orthogonal matrix: every squared distance is 2, so raw uniformity at t = 2 is −4 exactly."""
    doc = _json(run_cli, ["uniformity", files["q"], "--raw", "--mode", mode])
    r = doc["results"]
    assert r["uniformity"] == pytest.approx(-4.0, abs=1e-12) and r["mode"] == mode
    if mode == "sample":
        assert r["ci_low"] == pytest.approx(-4.0, abs=1e-12) and r["ci_high"] == pytest.approx(-4.0, abs=1e-12)
    sq = r["sq_distances"]
    assert sq["n_values"] == 10_000 and sum(sq["histogram"]["counts"]) == 10_000
    assert all(v == pytest.approx(2.0, abs=1e-12) for v in sq["quantiles"].values())


def test_summary_of_equal_values():
    at_1e20 = summarize(np.full(7, 1e20), what="v", exact=True)  # ±0.5 is below 1e20's resolution
    assert at_1e20.hist_counts.sum() == 7 and at_1e20.hist_counts[25] == 7 and np.all(np.diff(at_1e20.hist_edges) > 0)
    assert at_1e20.hist_edges[0] == pytest.approx(1e20 * (1 - 2.0**-20), rel=1e-15)
    zeros = summarize(np.zeros(5), what="v", exact=True)  # numpy's own choice for equal values: ±0.5
    assert zeros.hist_edges[0] == -0.5 and zeros.hist_edges[-1] == 0.5 and zeros.hist_counts[25] == 5
    spread = summarize(np.array([1.0, 2.0, 3.0]), what="v", exact=True)  # an ordinary range is left as it is
    assert spread.hist_edges[0] == 1.0 and spread.hist_edges[-1] == 3.0


# --------------------------------------------------------------------------- 2. huge t


def test_uniform_sphere_value_at_huge_t_is_fast_and_right():
    start = time.perf_counter()
    for t in (1e10, 1e15, 1e300, 1.7e308):
        # d = 1: x, y = ±1, U = log(½ + ½e^(−4t)) → −log 2; d = 3: s uniform, U = −2t + log(sinh 2t / 2t) → −log 4t
        assert uniformity_sphere(1, t) == pytest.approx(-math.log(2.0), abs=1e-14)
        assert uniformity_sphere(3, t) == pytest.approx(-(math.log(4.0) + math.log(t)), rel=1e-14)
        for d in (2, 384, 768, 10**6, 10**8):
            assert math.isfinite(uniformity_sphere(d, t))
    assert time.perf_counter() - start < 1.0
    # t ≫ d²: U → log Γ(d/2) − (d − 1)/2 · log t − ½ log 4π (the next term is −(d−2)²/(16t))
    limit = math.lgamma(192.0) - 191.5 * math.log(1e10) - 0.5 * math.log(4 * math.pi)
    assert uniformity_sphere(384, 1e10) == pytest.approx(limit, abs=1e-5)
    # the Hankel (d = 384) and Debye (d = 10⁶) expansions against 40-digit quadrature (mpmath)
    assert uniformity_sphere(384, 1e10) == pytest.approx(-3594.9862298151907, rel=1e-14)
    assert uniformity_sphere(10**6, 1e9) == pytest.approx(-4300510.275642925, rel=1e-14)


@pytest.mark.parametrize("d,t,value", [
    (384, 2.0, -3.979167790929864), (768, 2.0, -3.989583474246373), (3, 30.0, -4.787491742782046),
    (1024, 0.5, -0.9995117189823763), (4096, 30.0, -59.56059398673093), (20000, 300.0, -591.0040447446783),
    (1, 2.0, -0.6928117741870385), (2, 5.0, -2.0570279168813044),
])
def test_uniform_sphere_value_keeps_its_ordinary_values(d, t, value):
    """Values of the implementation before the large-t fix (ive and the ₀F₁ series), to 1e-12."""
    assert uniformity_sphere(d, t) == pytest.approx(value, abs=1e-12)


def test_uniformity_at_t_1e10_returns(run_cli, files):
    start = time.perf_counter()
    r = _json(run_cli, ["uniformity", files["x"], "--t", "1e10"])["results"]
    assert time.perf_counter() - start < 10.0
    assert r["uniformity_sphere"] == uniformity_sphere(6, 1e10) and r["uniformity_sphere"] == pytest.approx(-58.13699226786959, rel=1e-12)


# --------------------------------------------------------------------------- 3. extreme scales


def test_info_norms_at_any_scale(run_cli, files, X):
    """Norms scale exactly with the data; no row is zero unless all its values are exactly 0."""
    ref = np.sqrt(np.einsum("ij,ij->i", X, X))
    for key, k in (("x", 0), ("big", BIG), ("small", SMALL)):
        info = _json(run_cli, ["info", files[key]])["results"]["files"][0]
        assert info["zero_rows"] == 0 and info["nan_inf_rows"] == 0
        assert info["norm_min"] == np.ldexp(ref.min(), k) and info["norm_max"] == np.ldexp(ref.max(), k)
        assert info["norm_median"] == np.ldexp(np.median(ref), k)
    assert info["norm_min"] == pytest.approx(9.338616868994775e-01 * 2.0**SMALL, rel=1e-15)
    Z = np.ldexp(X, SMALL)
    Z[[3, 7]] = 0.0
    Z[9] = -0.0
    Z[11] = 0.0
    Z[11, 2] = 5e-324  # one subnormal value: not a zero row
    assert scan_rows(Z).zero_rows.tolist() == [3, 7, 9] and row_norms(Z[11:12]).tolist() == [5e-324]


def test_delta_and_diameter_scale_exactly(run_cli, files, X):
    ref = _json(run_cli, ["hyperbolic", "delta", files["x"]])["results"]
    assert ref["delta"] == pytest.approx(1.694471826983459, rel=1e-12) and ref["diameter"] == pytest.approx(7.468341207696745, rel=1e-12)
    for key, k in (("big", BIG), ("small", SMALL)):
        r = _json(run_cli, ["hyperbolic", "delta", files[key]])["results"]
        assert r["delta"] == np.ldexp(ref["delta"], k) and r["diameter"] == np.ldexp(ref["diameter"], k)
        assert r["delta_relative"] == ref["delta_relative"]
    kw = dict(method="sampled", n_subsets=3, subset_size=20, n_quadruples=2000, seed=1)
    a, b = gromov_delta(points=X, **kw), gromov_delta(points=np.ldexp(X, BIG), **kw)
    assert (b.delta, b.diameter, b.delta_subset_mean, b.delta_subset_ci_high) == tuple(
        np.ldexp(v, BIG) for v in (a.delta, a.diameter, a.delta_subset_mean, a.delta_subset_ci_high))
    assert b.delta_relative == a.delta_relative and not b.exact


@pytest.mark.parametrize("mode", ["exact", "sample"])
def test_normalised_uniformity_does_not_depend_on_the_scale(X, mode):
    kw = {"n_pairs": 5000} if mode == "sample" else {}  # (exact mode draws no pairs: n_pairs beside it is refused)
    ref = uniformity(X, mode=mode, **kw)
    for k in (BIG, SMALL):
        r = uniformity(np.ldexp(X, k), mode=mode, **kw)
        assert (r.uniformity, r.ci_low, r.ci_high) == pytest.approx((ref.uniformity, ref.ci_low, ref.ci_high), abs=1e-14, nan_ok=True)
    assert ref.uniformity == pytest.approx(-2.7879087043837547 if mode == "exact" else -2.754873769665434, abs=1e-12)


@pytest.mark.parametrize("mode", ["exact", "sample"])
def test_raw_uniformity_refuses_values_whose_squares_leave_float64(run_cli, files, mode):
    """The raw kernel e^(−2‖x−y‖²) of rows 1e160 apart is e^(−1e320): not a float; refused, never shown as −0.67."""
    for key, word in (("big", "overflow"), ("small", "underflow")):
        line = one_line(run_cli(["uniformity", files[key], "--raw", "--mode", mode]), f"{files[key]} holds values whose squares {word} float64",
                        "raw distances depend on the scale", "leave out --raw")
        assert "Traceback" not in line
    with pytest.raises(EmbgeoError, match=r"squares overflow float64.*normalize=True"):
        uniformity(np.ldexp(np.eye(3), BIG), normalize=False, mode=mode)


def test_raw_alignment_scales_exactly_or_is_refused(X):
    Y = X + 0.1
    for alpha, k in ((1.0, BIG), (1.0, SMALL), (2.0, 300), (2.0, -300), (0.5, SMALL)):
        ref = alignment(X, Y, alpha=alpha, normalize=False)
        r = alignment(np.ldexp(X, k), np.ldexp(Y, k), alpha=alpha, normalize=False)
        if float(k * alpha).is_integer():  # a power of two: exact
            assert (r.alignment, r.ci_low, r.ci_high) == tuple(math.ldexp(v, int(k * alpha)) for v in (ref.alignment, ref.ci_low, ref.ci_high))
        else:  # 2**(−282.5): one rounding
            want = tuple(math.ldexp(v * math.sqrt(2.0), math.floor(k * alpha)) for v in (ref.alignment, ref.ci_low, ref.ci_high))
            assert (r.alignment, r.ci_low, r.ci_high) == pytest.approx(want, rel=1e-15)
        assert r.distances.quantile(0.5) == math.ldexp(ref.distances.quantile(0.5), k)
    assert alignment(X, Y, alpha=2.0, normalize=False).alignment == pytest.approx(0.06, abs=1e-12)
    # α = 2: 0.06 · 2**1060 and 0.06 · 2**-1130 are beyond float64
    for k, where in ((BIG, "above"), (SMALL, "below")):
        with pytest.raises(EmbgeoError, match=f"is {where} the float64 range"):
            alignment(np.ldexp(X, k), np.ldexp(Y, k), normalize=False)
    # normalised alignment and the whole paired run do not depend on the scale
    assert alignment(np.ldexp(X, BIG), np.ldexp(Y, BIG)).alignment == alignment(X, Y).alignment


def test_paired_run_at_a_huge_scale_equals_the_plain_one(run_cli, files):
    plain = _json(run_cli, ["uniformity", files["x"], "--pairs", files["y"]])["results"]
    big = _json(run_cli, ["uniformity", files["big"], "--pairs", files["bigy"]])["results"]
    for path in (("uniformity",), ("pairs", "uniformity"), ("alignment", "alignment"), ("gap", "gap_centroid_distance")):
        a, b = plain, big
        for p in path:
            a, b = a[p], b[p]
        assert b == pytest.approx(a, abs=1e-14), path


def test_a_tiny_row_beside_ordinary_ones_is_not_a_zero_row(X):
    Z = X.copy()
    Z[4] *= 1e-200  # its squares underflow: its norm is 1e-200 · ‖x₄‖, not 0
    ref = np.linalg.norm(X[4])
    assert scan_rows(Z).zero_rows.size == 0 and scan_rows(Z).norm_min == pytest.approx(ref * 1e-200, rel=1e-15)
    ux = uniformity(np.r_[X[:4], X[5:]], mode="exact")
    # normalised, the tiny row is the unit vector of X[4]: the same as the unscaled set
    assert uniformity(Z, mode="exact").uniformity == pytest.approx(uniformity(X, mode="exact").uniformity, abs=1e-14)
    assert uniformity(Z, mode="exact").uniformity != ux.uniformity


# --------------------------------------------------------------------------- 4. one row, 5. options that do not apply


def test_one_row_is_one_standard_line(run_cli, files):
    line = one_line(run_cli(["uniformity", files["one"]]))
    assert line == f"embgeo: error: {files['one']}: has 1 row; this needs at least 2 (pass at least 2 rows, one per item)"


def test_options_that_do_not_apply_are_refused(run_cli, files):
    one_line(run_cli(["uniformity", files["x"], "--alpha", "3"]), "--alpha applies only with --pairs Y", "add --pairs Y, or drop --alpha")
    one_line(run_cli(["uniformity", files["x"], "--mode", "exact", "--n-pairs", "5"]),
             "--n-pairs applies only with sampled pairs", "--mode exact uses every pair")
    one_line(run_cli(["gap", files["x"], files["y"], "--mode", "exact", "--n-pairs", "50"]), "--n-pairs applies only with sampled pairs")
    # --mode auto reads --n-pairs above 20 000 rows: accepted at any size (exact here, the same value)
    auto = _json(run_cli, ["uniformity", files["x"], "--n-pairs", "5000"])["results"]
    plain = _json(run_cli, ["uniformity", files["x"]])["results"]
    assert auto["mode"] == "exact" and auto["uniformity"] == plain["uniformity"] == pytest.approx(-2.7879087043837547, abs=1e-12)
    sampled = _json(run_cli, ["uniformity", files["x"], "--mode", "sample", "--n-pairs", "5000"])["results"]
    assert sampled["n_pairs"] == 5000 and sampled["mode"] == "sample"
    paired = _json(run_cli, ["uniformity", files["x"], "--pairs", files["y"], "--alpha", "3"])["results"]
    assert paired["alignment"]["alpha"] == 3.0 and paired["alignment"]["alignment"] == pytest.approx(
        alignment(np.load(files["x"]), np.load(files["y"]), alpha=3.0).alignment, abs=1e-15)


def test_knn_distances_are_in_the_units_of_x_at_any_scale():
    """kNN on data whose squares over/underflow is searched on an exactly rescaled copy; the distances it
    returns were the copy's (0.13 for 0.75 at ×1e160), now they are X's: scaled back by the same power of two."""
    import embgeo as eg

    X = np.random.default_rng(0).normal(size=(200, 6))
    ref = eg.knn(X, 3)
    refq = eg.knn(X, 2, query=X[:3] + 0.01)
    for e in (530, -565):  # powers of two: every value exact
        S = np.ldexp(X, e)
        got = eg.knn(S, 3)
        np.testing.assert_array_equal(got.indices, ref.indices)
        np.testing.assert_array_equal(got.distances, np.ldexp(ref.distances, e))
        q = eg.knn(S, 2, query=np.ldexp(X[:3] + 0.01, e))  # the query gets X's power of two
        np.testing.assert_array_equal(q.indices, refq.indices)
        np.testing.assert_allclose(q.distances, np.ldexp(refq.distances, e), rtol=1e-12)
        np.testing.assert_array_equal(eg.knn(S, 2, metric="cosine").distances, eg.knn(X, 2, metric="cosine").distances)


def test_pca_coordinates_and_hmds_at_extreme_scales():
    """PCA map coordinates are linear in X: at ×2^530 they are the coordinates ×2^530 (they were those of a
    silently rescaled copy). h-MDS reads distances through cosh, not scale-free: overflowing ones are refused."""
    import embgeo as eg
    from embgeo.errors import EmbgeoError
    from embgeo.projection import project

    X = np.random.default_rng(0).normal(size=(100, 6))
    a, b = project(X, method="pca"), project(np.ldexp(X, 530), method="pca")
    np.testing.assert_array_equal(np.ldexp(a.coordinates, 530), b.coordinates)
    D = np.sqrt(((X[:40, None] - X[None, :40]) ** 2).sum(-1))
    with pytest.raises(EmbgeoError, match="squares overflow float64.*give a scale to match"):
        eg.hyperbolic.hmds(np.ldexp(D, 530), dim=2)


def test_centred_and_abtt_rows_are_in_the_units_of_x():
    """cosine --write-processed writes the processed rows: centring and all-but-the-top are linear, so at ×2^530
    they are the rows ×2^530 (they were a rescaled copy's); whitening is scale-free."""
    from embgeo.cosine.postprocess import all_but_the_top, center, whiten

    X = np.random.default_rng(0).normal(size=(100, 6))
    S = np.ldexp(X, 530)
    np.testing.assert_array_equal(np.ldexp(center(X), 530), center(S))
    np.testing.assert_allclose(np.ldexp(all_but_the_top(X), 530), all_but_the_top(S), rtol=1e-12)
    np.testing.assert_allclose(whiten(X), whiten(S), rtol=1e-12, atol=1e-12)
