"""An option that takes one value, given twice with different values, is refused (click would keep the last
one without a word); options that take several values and the same value twice are not affected."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests._cli import one_line


@pytest.fixture
def x(tmp_path):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(60, 5)))
    return tmp_path / "x.npy"


@pytest.mark.parametrize("argv, words", [
    (["uniformity", "{x}", "--t", "1", "--t", "2"], ["embgeo uniformity: --t is given 2 times (--t 1, --t 2)", "give --t once"]),
    (["project", "{x}", "-m", "pca", "-m", "umap"], ["embgeo project: -m is given 2 times (-m pca, -m umap)", "does not pick one"]),
    (["project", "{x}", "-mpca", "--method=umap"], ["-m is given 2 times (-m pca, --method umap)"]),
    (["--seed", "1", "id", "{x}", "-k", "5", "-k", "7"], ["embgeo id: -k is given 2 times (-k 5, -k 7)"]),
])
def test_a_one_value_option_given_twice_is_refused(argv, words, x, run_cli):
    one_line(run_cli([a.format(x=x) for a in argv]), *words)


def test_several_values_and_the_same_value_twice_run(x, run_cli):
    res = run_cli(["id", x, "-m", "twonn", "-m", "mle", "--bootstrap", "0", "-q", "-f", "json"])
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["settings"]["method"] == ["twonn", "mle"]
    res = run_cli(["uniformity", x, "--t", "2", "--t", "2", "-q", "-f", "json"])
    assert res.code == 0 and json.loads(res.stdout)["settings"]["t"] in (2, 2.0, [2.0], [2])
