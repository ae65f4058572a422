"""``embgeo layers --labels … --join id|row-order``: the labels join the stack's rows as in every other
command taking ``--labels`` (by id when both sides have ids, by row order only when asked or when
neither side has ids); a labels file with ids over a stack without them is a one-line error naming
the choice and the option, not a misleading "column is not numeric"."""
from __future__ import annotations

import json

import numpy as np
import pytest

N, L, D = 60, 2, 6


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(7)
    a = rng.standard_normal(N)
    S = rng.standard_normal((L, N, D))
    S[1, :, 0] += 3.0 * a  # layer 1 carries the attribute
    cls = np.where(a > 0, "hi", "lo")
    np.save(tmp_path / "stack.npy", S)  # a .npy stack carries no row ids
    rows = [f"{float(a[i])!r},{cls[i]}" for i in range(N)]
    (tmp_path / "plain.csv").write_text("a,c\n" + "\n".join(rows) + "\n")  # no id column
    (tmp_path / "named.csv").write_text("id,a,c\n" + "\n".join(f"s{i:03d},{r}" for i, r in enumerate(rows)) + "\n")
    perm = rng.permutation(N)  # ids that are the row numbers, in a shuffled file: joined by id, not by position
    (tmp_path / "numbered.csv").write_text("id,a,c\n" + "\n".join(f"{i},{rows[i]}" for i in perm) + "\n")
    return tmp_path


def _layers(run_cli, t, labels, *extra):
    return run_cli(["layers", t / "stack.npy", "--labels", t / labels, "--attr", "a", "--class", "c", "--folds", "3",
                    "-f", "json", *extra])  # (no --dime-perms: without views it is refused, not ignored)


def test_ids_in_the_labels_but_not_in_the_stack_are_refused_naming_join(run_cli, files):
    res = _layers(run_cli, files, "named.csv")
    assert res.code == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"embgeo: error: {files / 'named.csv'}: has an id column 'id' but the embeddings carry no ids")
    assert "--join row-order" in lines[0] and "not numeric" not in lines[0] and "Traceback" not in res.stderr
    # asking for a join by id where the labels have no id column: the same kind of one-line error
    res = _layers(run_cli, files, "plain.csv", "--join", "id")
    assert res.code == 2 and "has no id column to join on" in res.stderr and "--join row-order" in res.stderr
    # a real non-numeric column still says so
    res = run_cli(["layers", files / "stack.npy", "--labels", files / "plain.csv", "--attr", "c", "-f", "json"])
    assert res.code == 2 and "column 'c' is not numeric" in res.stderr


def test_join_row_order_and_join_by_id_give_the_row_order_result(run_cli, files):
    base = _layers(run_cli, files, "plain.csv")  # neither side has ids: row order
    assert base.code == 0, base.stderr
    ref = json.loads(base.stdout)
    asked = _layers(run_cli, files, "named.csv", "--join", "row-order")
    by_id = _layers(run_cli, files, "numbered.csv")  # shuffled rows, ids = row numbers: joined by id
    by_id_asked = _layers(run_cli, files, "numbered.csv", "--join", "id")
    for res, how in ((asked, "row-order"), (by_id, None), (by_id_asked, "id")):
        assert res.code == 0, res.stderr
        doc = json.loads(res.stdout)
        assert doc["settings"]["join"] == how
        # the same rows get the same labels, so every per-layer number is identical (same seed)
        assert doc["results"] == ref["results"]
    rho = [layer["rank_spearman"]["value"] for layer in ref["results"]["layers"]]
    assert rho[1] > 0.8 > 0.3 > abs(rho[0])  # the attribute lives in layer 1 only (seeded: 0.918 and -0.008)
    assert [layer["probe_accuracy"] for layer in ref["results"]["layers"]][1] > 0.8
    # a shuffled file joined by row order would give other numbers: the id join really reorders
    wrong = _layers(run_cli, files, "numbered.csv", "--join", "row-order")
    assert wrong.code == 0 and json.loads(wrong.stdout)["results"] != ref["results"]
