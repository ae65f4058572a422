"""Degenerate inputs are refused with one line naming the file (and the layer / column), or give
finite numbers: never ``inf``/``nan`` presented as a result with exit code 0, never a traceback or a
leaked warning.

* ``embgeo id`` on tied distances (quantised / binary embeddings): more than 10 % of the points
  with r1 = r2 are refused with the share; a few ties are left out of TwoNN with a note, and the
  estimate to read is finite;
* ``embgeo layers``: a NaN row or an all-zero layer in X or in a ``--views`` file;
* ``embgeo hyperbolic delta|hmds`` on a point set of diameter 0; ``embgeo compare`` with a
  constant space;
* ``layers --attr`` and ``cosine --attr`` on a constant column name the column.
"""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")  # a numerical warning is a bug here, not noise


def _one_line_error(res, *parts):
    """Exit code 2, nothing on stdout, exactly one stderr line that starts with ``embgeo: error:`` and names ``parts``."""
    assert res.code == 2, (res.code, res.stdout[-500:], res.stderr)
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    line = lines[0]
    assert line.startswith("embgeo: error: "), line
    assert "Traceback" not in res.stderr and "Warning" not in res.stderr
    for p in parts:
        assert str(p) in line, (p, line)
    return line


# --------------------------------------------------------------------------- 1. tied distances (embgeo id)


@pytest.fixture
def tied(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "grid.npy", rng.integers(0, 3, size=(300, 4)).astype("f4"))  # 79 distinct points of {0,1,2}^4
    np.save(tmp_path / "bits.npy", rng.integers(0, 2, size=(300, 12)).astype(bool))  # binary codes
    X = rng.normal(size=(400, 5))
    extra = []
    for i in range(10):  # point i gets two neighbours at exactly the same distance 0.001: r1 = r2
        v = np.zeros(5)
        v[0] = 0.001
        extra += [X[i] + v, X[i] - v]
    np.save(tmp_path / "some_ties.npy", np.vstack([X, extra]))
    return tmp_path


def test_quantised_grid_is_refused_with_the_tie_share(run_cli, tied):
    line = _one_line_error(run_cli(["id", tied / "grid.npy", "--bootstrap", "20"]), tied / "grid.npy", "100% of the points (79 of 79)",
                           "r1 = r2", "quantised", "-m pca,rankme,entropy")
    assert "inf" not in line.split()


def test_binary_embeddings_are_refused_with_the_tie_share(run_cli, tied):
    _one_line_error(run_cli(["id", tied / "bits.npy", "--bootstrap", "20"]), tied / "bits.npy", "59% of the points", "quantised")
    # every ratio estimator refuses alike, MLE and GRIDE alone too
    for m in ("mle", "gride"):
        _one_line_error(run_cli(["id", tied / "bits.npy", "-m", m, "--bootstrap", "20"]), "59% of the points")
    # the spectral measures need no distinct distances: they still run
    res = run_cli(["id", tied / "bits.npy", "-m", "pca,rankme", "-f", "json"])
    assert res.code == 0 and "Warning" not in res.stderr
    assert math.isfinite(json.loads(res.stdout)["results"]["pca"]["participation_ratio"])


def test_a_few_ties_are_left_out_of_twonn_with_a_note(run_cli, tied):
    res = run_cli(["id", tied / "some_ties.npy", "-m", "twonn,mle,gride", "--bootstrap", "30", "-f", "json"])
    assert res.code == 0, res.stderr
    assert "Warning" not in res.stderr and "Traceback" not in res.stderr
    doc = json.loads(res.stdout)
    tw = doc["results"]["twonn"]
    assert tw["n_ties"] == 10 and tw["n_points"] == 420
    assert 3.5 < tw["dimension"] < 7.0 and math.isfinite(tw["ci_low"]) and math.isfinite(tw["ci_high"])
    n2_2 = doc["results"]["gride"]["scales"][0]
    assert n2_2["n2"] == 2 and math.isfinite(n2_2["dimension"])
    rec = doc["results"]["recommended"]
    assert rec is not None and math.isfinite(rec["value"])
    assert f"read {rec['metric']} = {rec['value']:.2f}" in doc["verdict"]["reason"] and "inf" not in doc["verdict"]["reason"]
    assert any("10 of 420 points" in n and "r1 = r2" in n for n in doc["notes"])


def test_library_twonn_and_gride_leave_ties_out_and_stay_finite(tied):
    from embgeo.errors import EmbgeoError
    from embgeo.intrinsic.estimators import gride_dimension, mle_dimension, twonn_dimension

    X = np.load(tied / "some_ties.npy")
    tw = twonn_dimension(X, n_bootstrap=20)
    assert tw.n_ties == 10 and tw.n_points == 420 and np.isfinite(tw.dimension) and np.isfinite(tw.mle_exact_interval).all()
    assert np.isfinite(gride_dimension(X, gride_max=16).dimension).all()
    with pytest.raises(EmbgeoError, match=r"100% of the points .* quantised"):
        twonn_dimension(np.load(tied / "grid.npy"), n_bootstrap=0)
    with pytest.raises(EmbgeoError, match=r"of the points .*r1 = r2"):
        mle_dimension(np.load(tied / "grid.npy"), k1=3, k2=6, n_bootstrap=0)


def test_a_non_finite_estimate_is_never_the_one_to_read():
    from embgeo.intrinsic.summary import intrinsic_dimension

    X = np.random.default_rng(3).normal(size=(300, 4))
    rep = intrinsic_dimension(X, methods="twonn,mle", n_bootstrap=20)
    assert rep.recommended().metric == "twonn"
    bad = dataclasses.replace(rep, twonn=dataclasses.replace(rep.twonn, dimension=float("inf")))
    rec = bad.recommended()
    assert rec.metric == "mle" and math.isfinite(rec.value)
    v = bad.verdict()
    assert "read mle" in v.reason and "inf" not in v.reason and "twonn" not in [e.metric for e in bad.estimates()]


# --------------------------------------------------------------------------- 2. layers: views and degenerate layers


@pytest.fixture
def stacks(tmp_path):
    rng = np.random.default_rng(0)
    S = rng.normal(size=(4, 80, 6)).astype("f4")
    np.save(tmp_path / "stack.npy", S)
    np.save(tmp_path / "view.npy", S + 0.1 * rng.normal(size=S.shape).astype("f4"))
    T = S.copy()
    T[2, 17, 3] = np.nan
    np.save(tmp_path / "stack_nan.npy", T)
    Z = S.copy()
    Z[1] = 0.0
    np.save(tmp_path / "stack_zero.npy", Z)
    return tmp_path


def test_layers_refuses_a_nan_row_in_a_views_file(run_cli, stacks):
    _one_line_error(run_cli(["layers", stacks / "stack.npy", "--views", stacks / "stack_nan.npy", "--dime-perms", "2"]),
                    stacks / "stack_nan.npy", "layer 'layer2'", "NaN or inf", "row 17")


def test_layers_refuses_a_nan_row_or_a_zero_layer_in_x_like_id_layers(run_cli, stacks):
    _one_line_error(run_cli(["layers", stacks / "stack_nan.npy"]), stacks / "stack_nan.npy", "layer 'layer2'", "row 17")
    _one_line_error(run_cli(["id", "--layers", stacks / "stack_nan.npy"]), stacks / "stack_nan.npy", "layer 'layer2'")
    _one_line_error(run_cli(["layers", stacks / "stack_zero.npy"]), stacks / "stack_zero.npy", "layer 'layer1'", "all zero")
    _one_line_error(run_cli(["id", "--layers", stacks / "stack_zero.npy"]), stacks / "stack_zero.npy", "layer 'layer1'")
    # clean views still give finite numbers
    res = run_cli(["layers", stacks / "stack.npy", "--views", stacks / "view.npy", "--dime-perms", "2", "-f", "json"])
    assert res.code == 0, res.stderr
    for row in json.loads(res.stdout)["results"]["layers"]:
        assert all(v is not None and math.isfinite(v) for k, v in row.items() if k in ("dataset_entropy", "lidar", "infonce", "dime"))


def test_layer_suite_names_the_view_and_the_layer():
    from embgeo.errors import EmbgeoError
    from embgeo.layers import layer_suite

    rng = np.random.default_rng(1)
    S = rng.normal(size=(2, 30, 4))
    V = S.copy()
    V[1, 5, 0] = np.inf
    with pytest.raises(EmbgeoError, match=r"view 2, layer 'layer1' has 1 row with NaN or inf \(row 5\)"):
        layer_suite(S, views=[V])


# --------------------------------------------------------------------------- 3. zero diameter, constant spaces


def test_delta_and_hmds_refuse_a_set_of_diameter_zero(run_cli, tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "ident.npy", np.tile(rng.normal(size=(1, 8)), (50, 1)).astype("f4"))
    np.save(tmp_path / "zeros.npy", np.zeros((20, 20)))
    _one_line_error(run_cli(["hyperbolic", "delta", tmp_path / "ident.npy"]), tmp_path / "ident.npy", "diameter 0")
    _one_line_error(run_cli(["hyperbolic", "delta", tmp_path / "ident.npy", "--mode", "sample"]), tmp_path / "ident.npy", "diameter 0")
    _one_line_error(run_cli(["hyperbolic", "delta", tmp_path / "zeros.npy", "--distances"]), tmp_path / "zeros.npy", "diameter 0")
    _one_line_error(run_cli(["hyperbolic", "hmds", tmp_path / "zeros.npy"]), tmp_path / "zeros.npy", "every distance", "is 0")


def test_compare_refuses_a_constant_space_naming_its_file(run_cli, tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "px.npy", rng.normal(size=(60, 8)).astype("f4"))
    np.save(tmp_path / "px_ident.npy", np.tile(rng.normal(size=(1, 8)), (60, 1)).astype("f4"))
    for args in ([tmp_path / "px.npy", tmp_path / "px_ident.npy"], [tmp_path / "px_ident.npy", tmp_path / "px.npy", "--metric", "euclidean"]):
        line = _one_line_error(run_cli(["compare", *args, "--bootstrap", "5", "--permutations", "5"]), tmp_path / "px_ident.npy",
                               "constant space has no geometry to compare")
        assert "nan" not in line and str(tmp_path / "px.npy") + ":" not in line


# --------------------------------------------------------------------------- 4./5. constant attribute columns


def test_layers_attribute_constant_names_the_column(run_cli, stacks):
    (stacks / "lab.csv").write_text("score,other\n" + "\n".join(f"5,{i}" for i in range(80)) + "\n")
    line = _one_line_error(run_cli(["layers", stacks / "stack.npy", "--labels", stacks / "lab.csv", "--attr", "score"]),
                           stacks / "lab.csv", "'score' is constant")
    assert "'attribute'" not in line


def test_task_per_layer_names_the_attribute():
    from embgeo.errors import EmbgeoError
    from embgeo.layers.task import task_per_layer

    X = np.random.default_rng(0).normal(size=(40, 4))
    with pytest.raises(EmbgeoError, match="attribute 'score' is constant"):
        task_per_layer([X], attribute=np.full(40, 2.0), attribute_name="score", n_folds=3)


def test_cosine_attr_constant_is_refused_as_rank_refuses_it(run_cli, tmp_path):
    np.save(tmp_path / "cx.npy", np.random.default_rng(0).normal(size=(60, 8)).astype("f4"))
    (tmp_path / "lab.csv").write_text("freq,score\n" + "\n".join(f"5,{i}" for i in range(60)) + "\n")
    line = _one_line_error(run_cli(["cosine", tmp_path / "cx.npy", "--labels", tmp_path / "lab.csv", "--join", "row-order", "--attr", "freq"]),
                           tmp_path / "lab.csv", "attribute 'freq' is constant", "Spearman")
    assert "null" not in line
    rank = run_cli(["rank", tmp_path / "cx.npy", "--labels", tmp_path / "lab.csv", "--join", "row-order", "--attr", "freq"])
    assert rank.code == 2 and "'freq' is constant" in rank.stderr
    # a varying column still gives a Spearman ρ
    res = run_cli(["cosine", tmp_path / "cx.npy", "--labels", tmp_path / "lab.csv", "--join", "row-order", "--attr", "score", "-f", "json"])
    assert res.code == 0, res.stderr
    assert math.isfinite(json.loads(res.stdout)["results"]["diagnostics"]["norms"]["spearman"])


@pytest.mark.parametrize("argv", [
    ["id", "{stack}", "--layers", "-m", "twonn"],
    ["compare", "{stack}", "--layers", "--bootstrap", "0", "--permutations", "0"],
    ["rank", "{stack}", "--layers", "--labels", "{labels}", "--join", "row-order", "--attr", "a", "--no-mlp"],
    ["layers", "{stack}"],
    ["id", "{l0}", "{l1}", "{l2}", "--layers", "-m", "twonn"],  # per-layer files: the bad file is named
    ["id", "{l0}", "{l1j}", "--layers", "-m", "twonn"],  # joined by id: the row named is the file's own, not the join's
], ids=["id", "compare", "rank", "layers", "id-files", "id-files-joined"])
def test_every_stack_reader_names_the_file_and_layer_of_a_nan_row(run_cli, stacks, argv):
    """A NaN row in a layer is refused by the one stack loader (embgeo.io.load_layers) in the same words
    in every command that reads a stack: the file, the layer, the row, and why it is not dropped."""
    T = np.load(stacks / "stack_nan.npy")
    for i in range(3):
        np.save(stacks / f"l{i}.npy", T[i])
    (stacks / "lab.csv").write_text("a\n" + "".join(f"{v:.4f}\n" for v in np.random.default_rng(1).normal(size=80)))
    np.save(stacks / "x.npy", T[0])
    ids = np.array([f"r{i:03d}" for i in range(80)])
    order = np.random.default_rng(2).permutation(80)
    np.savez(stacks / "l0j.npz", embeddings=T[0], ids=ids)
    np.savez(stacks / "l1j.npz", embeddings=T[2][order], ids=ids[order])  # layer2's NaN row 17, shuffled
    names = {"stack": stacks / "stack_nan.npy", "labels": stacks / "lab.csv", **{f"l{i}": stacks / f"l{i}.npy" for i in range(3)}}
    if "{l1j}" in argv:
        names.update(l0=stacks / "l0j.npz", l1j=stacks / "l1j.npz")
    args = [a.format(**names) for a in argv]
    if "{l1j}" in argv:
        row = int(np.flatnonzero(order == 17)[0])
        bad_file, layer = names["l1j"], "layer 'l1j'"
    else:
        row = 17
        bad_file, layer = (names["l2"], "layer 'l2'") if "{l2}" in argv else (names["stack"], "layer 'layer2'")
    _one_line_error(run_cli(args), f"{bad_file}: {layer} has 1 row with NaN or inf (row {row})",
                    "(fix or remove those rows in every layer: the rows stay aligned across layers)")


def test_report_keeps_going_past_a_nan_row_in_its_layers(run_cli, stacks):
    """docs/report.md: an analysis that fails is kept as a card with its one-line error; the rest still runs."""
    import json

    T = np.load(stacks / "stack_nan.npy")
    np.save(stacks / "x.npy", T[0])
    res = run_cli(["-q", "report", stacks / "x.npy", "--layers", stacks / "stack_nan.npy", "--html", stacks / "r.html",
                   "--map", "none", "--reembed-sample", "0", "-f", "json"])
    assert res.code == 0, res.stderr
    cards = {c["key"]: c for c in json.loads(res.stdout)["results"]["sections"]}
    assert cards["layers"]["status"] == "error" and "layer 'layer2' has 1 row with NaN or inf (row 17)" in cards["layers"]["verdict"]
    assert cards["uniformity"]["status"] != "error" and (stacks / "r.html").exists()
