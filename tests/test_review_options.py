"""Options that do not apply are refused, and library messages name the option as the caller wrote it
(a review of stop 33: each of these was accepted and ignored, or named a Python keyword on the command line)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.datasets import path
from tests._cli import one_line


@pytest.fixture(scope="module")
def xy(tmp_path_factory):
    d = tmp_path_factory.mktemp("review_options")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 8))
    np.save(d / "x.npy", X)
    np.save(d / "y.npy", X + 0.01 * rng.normal(size=X.shape))
    return d


def test_project_pca_refuses_the_umap_options(xy, run_cli):
    one_line(run_cli(["project", xy / "x.npy", "-m", "pca", "--metric", "bogus", "--k", "500", "--epochs", "3"]),
             "--k, --metric, --epochs apply only with -m umap or hyperbolic-umap")
    res = run_cli(["project", xy / "x.npy", "-m", "pca", "-f", "json"])
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)["settings"]
    assert s["method"] == "pca" and s["metric"] is None and s["k"] is None and s["min_dist"] is None  # not used: not recorded as used


def test_compare_plot_metric_needs_a_heat_map(xy, run_cli):
    one_line(run_cli(["compare", xy / "x.npy", xy / "y.npy", "--plot-metric", "cka_linear"]), "--plot-metric applies only with --plot")
    one_line(run_cli(["compare", xy / "x.npy", xy / "y.npy", "--plot", xy / "p.png", "--plot-metric", "cka_linear"]),
             "--plot-metric picks the heat-map of three or more spaces")
    assert not (xy / "p.png").exists()


def test_library_messages_name_the_cli_option(xy, run_cli):
    one_line(run_cli(["cosine", xy / "x.npy", "--abtt-components", "9"]), "--abtt-components must be between 0 and 7 (X has 8 columns), got 9")
    one_line(run_cli(["hyperbolic", "train", path("smalltree"), "--coords", xy / "c.npz", "--burnin-factor", "-1", "--epochs", "1"]),
             "--burnin-factor must be in (0, 1], got -1.0")
    from embgeo.cosine.postprocess import all_but_the_top
    from embgeo.errors import EmbgeoError

    with pytest.raises(EmbgeoError, match=r"^n_components must be between 0 and 7"):  # the library keeps its keyword names
        all_but_the_top(np.load(xy / "x.npy"), n_components=9)


def test_factors_takes_two_files_as_two_words(xy, run_cli):
    res = run_cli(["cosine", xy / "x.npy", "--factors", f"{xy / 'x.npy'},{xy / 'y.npy'}", xy / "y.npy"])
    one_line(res, "--factors takes two files, A then B, as two words")


@pytest.mark.parametrize("argv,name", [(["id", "{x}", "-m", ""], "-m"), (["cosine", "{x}", "--class="], "--class"),
                                       (["info", "{x}", "--input-format", ""], "--input-format"),
                                       (["project", "{x}", "-m", "pca", "--color-by", ""], "--color-by")])
def test_an_empty_option_value_is_refused(xy, run_cli, argv, name):
    """-m '' ran every method and --class '' none, with exit 0; an empty value is never read as 'not given'."""
    one_line(run_cli([a.replace("{x}", str(xy / "x.npy")) for a in argv]), f"{name} was given an empty value")


def test_an_empty_id_col_still_names_pandas_unnamed_index(tmp_path, run_cli):
    (tmp_path / "pi.csv").write_text(",a,b\nx,0.1,0.2\ny,0.3,0.5\nz,0.7,0.1\n")
    res = run_cli(["info", tmp_path / "pi.csv", "--id-col", "", "-f", "json"])
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["results"]["files"][0]["has_ids"] is True


def test_a_two_value_option_that_swallowed_an_option(xy, run_cli):
    one_line(run_cli(["cosine", xy / "x.npy", "--factors", xy / "x.npy", "--bootstrap", "5"]),
             "--factors takes 2 values (A B), one after the other", "'--bootstrap'")


def test_with_format_any_out_name_is_written(xy, run_cli):
    res = run_cli(["info", xy / "x.npy", "-f", "json", "--out", xy / "info.dat"])
    assert res.code == 0, res.stderr
    assert json.loads((xy / "info.dat").read_text())["command"] == "info"
    one_line(run_cli(["info", xy / "x.npy", "--out", xy / "info2.dat"]), "unknown output suffix '.dat'", "give --format to write any file")
