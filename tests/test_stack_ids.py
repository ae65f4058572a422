"""Row ids beside a 3-D layer stack (layers × rows × dims) are read in every container — an ``ids``
array in ``.npz``, an ``ids`` dataset in HDF5, an ``ids`` entry of a ``.pt`` dict, the ``ids`` metadata
or an integer ``ids`` tensor of a safetensors file — with the rules of a 2-D matrix's ids, and the
labels join of the per-layer commands follows them: a shuffled labels file gives the numbers of the
aligned one. ``rank --layers`` over per-layer CSV files refuses a labels column that a layer's file
read as a dimension, as ``rank`` does for one file.

Each refusal is exit code 2 with one ``embgeo: error:`` line naming the file and the fix."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests._cli import one_line

L, N, D = 3, 80, 6
RANK = ["-m", "regression", "--no-baselines", "--bootstrap", "0", "-f", "json"]


def rhos(res) -> list[float]:
    assert res.code == 0, res.stderr
    return [row["spearman"] for row in json.loads(res.stdout)["results"]["layers"]]


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    """One seeded stack (3 × 80 × 6, layer 1 carries the attribute 'a'), with ids t… in a shuffled order,
    saved as .npz, .pt, .h5 and safetensors with its ids, and as .npy without; labels aligned and shuffled."""
    d = tmp_path_factory.mktemp("stack_ids")
    rng = np.random.default_rng(7)
    S = rng.standard_normal((L, N, D)).astype(np.float32)
    y = rng.standard_normal(N)
    S[1, :, 0] += (y / 0.3).astype(np.float32)
    ids = np.array([f"t{k}" for k in rng.permutation(N)])
    np.save(d / "stack.npy", S)
    np.savez(d / "stack.npz", embeddings=S, ids=ids)
    import torch

    torch.save({"embeddings": torch.from_numpy(S), "ids": ids.tolist()}, d / "stack.pt")
    files = {"npz": d / "stack.npz", "pt": d / "stack.pt"}
    try:
        import h5py

        with h5py.File(d / "stack.h5", "w") as f:
            f["embeddings"] = S
            f.create_dataset("ids", data=np.asarray(ids, dtype=object), dtype=h5py.string_dtype())
        files["h5"] = d / "stack.h5"
    except ImportError:
        pass
    try:
        from safetensors.numpy import save_file

        save_file({"embeddings": S}, str(d / "stack.safetensors"), metadata={"ids": json.dumps(ids.tolist())})
        files["safetensors"] = d / "stack.safetensors"
    except ImportError:
        pass
    (d / "lab.csv").write_text("id,a\n" + "".join(f"{ids[i]},{float(y[i])!r}\n" for i in range(N)))
    q = rng.permutation(N)
    (d / "lab_shuf.csv").write_text("id,a\n" + "".join(f"{ids[i]},{float(y[i])!r}\n" for i in q))
    (d / "lab_rows.csv").write_text("a\n" + "".join(f"{float(v)!r}\n" for v in y))  # no ids: row order
    return d, S, y, ids, files


def _need(files, fmt):
    if fmt not in files:
        pytest.skip({"h5": "h5py is not installed", "safetensors": "safetensors is not installed"}[fmt])
    return files[fmt]


@pytest.mark.parametrize("fmt", ["npz", "pt", "h5", "safetensors"])
def test_every_container_gives_the_stack_its_row_ids(stacks, fmt):
    from embgeo.io import load_layers

    d, S, y, ids, files = stacks
    st = load_layers([str(_need(files, fmt))])
    assert len(st) == L and st.ids is not None and st.ids.tolist() == ids.tolist()
    np.testing.assert_array_equal(np.stack(st.layers), S)


@pytest.mark.parametrize("fmt", ["pt", "h5", "safetensors"])
def test_rank_layers_joins_shuffled_labels_by_the_stacks_ids(run_cli, stacks, fmt):
    """The shuffled labels file gives exactly the numbers of the aligned one (and of the .npz stack, and of
    the id-less .npy with labels in row order); a join by row order of the shuffled file would not."""
    d, S, y, ids, files = stacks
    path = _need(files, fmt)
    aligned = rhos(run_cli(["rank", path, "--layers", "--labels", d / "lab.csv", "--attr", "a", *RANK]))
    shuffled = rhos(run_cli(["rank", path, "--layers", "--labels", d / "lab_shuf.csv", "--attr", "a", *RANK]))
    assert shuffled == aligned
    assert rhos(run_cli(["rank", d / "stack.npz", "--layers", "--labels", d / "lab_shuf.csv", "--attr", "a", *RANK])) == aligned
    assert rhos(run_cli(["rank", d / "stack.npy", "--layers", "--labels", d / "lab_rows.csv", "--attr", "a", *RANK])) == aligned
    assert aligned[1] > 0.8 and max(abs(aligned[0]), abs(aligned[2])) < 0.4
    wrong = rhos(run_cli(["rank", path, "--layers", "--labels", d / "lab_shuf.csv", "--attr", "a", "--join", "row-order", *RANK]))
    assert abs(wrong[1]) < 0.4  # the rows paired by position: the attribute is lost, as the ids join prevents


@pytest.mark.parametrize("fmt", ["pt", "h5"])
def test_layers_attr_joins_by_the_stacks_ids(run_cli, stacks, fmt):
    d, S, y, ids, files = stacks
    path = _need(files, fmt)

    def run(lab):
        r = run_cli(["layers", path, "--labels", d / lab, "--attr", "a", "-f", "json"])
        assert r.code == 0, r.stderr
        return json.loads(r.stdout)["results"]

    aligned, shuffled = run("lab.csv"), run("lab_shuf.csv")
    assert json.dumps(aligned, sort_keys=True) == json.dumps(shuffled, sort_keys=True)
    assert "rank_spearman" in json.dumps(aligned)


def test_id_and_compare_layers_read_a_pt_and_h5_stack(run_cli, stacks):
    """``id --layers`` and ``compare --layers`` on a stack with ids: the numbers of the same stack without ids."""
    d, S, y, ids, files = stacks

    def idl(path):
        r = run_cli(["id", "--layers", path, "-m", "twonn", "-f", "json"])
        assert r.code == 0, r.stderr
        return json.loads(r.stdout)["results"]["layers"]

    def cmp(path):
        r = run_cli(["compare", "--layers", path, "-m", "cka", "--bootstrap", "0", "--permutations", "0", "-f", "json"])
        assert r.code == 0, r.stderr
        return [p["cka_linear"]["value"] for p in json.loads(r.stdout)["results"]["pairs"]]

    ref_id, ref_cmp = idl(d / "stack.npy"), cmp(d / "stack.npy")
    for fmt in ("pt", "h5"):
        if fmt in files:
            assert json.dumps(idl(files[fmt]), sort_keys=True) == json.dumps(ref_id, sort_keys=True)
            assert cmp(files[fmt]) == pytest.approx(ref_cmp, abs=1e-12)


def test_float_and_integer_ids_follow_the_one_id_rule(run_cli, stacks, tmp_path):
    """Whole-number float ids are the integers' ids (3.0 → "3"), in a .pt tensor, an HDF5 dataset and a
    safetensors tensor alike; a NaN id is an error naming its row. The ids are a permutation of the row
    numbers 0 … n−1: without them the labels would join by row number — silently on the wrong rows."""
    import torch

    d, S, y, ids, files = stacks
    nums = np.random.default_rng(3).permutation(N)
    (tmp_path / "lab.csv").write_text("id,a\n" + "".join(f"{nums[i]},{float(y[i])!r}\n" for i in np.random.default_rng(4).permutation(N)))
    aligned = rhos(run_cli(["rank", d / "stack.npz", "--layers", "--labels", d / "lab.csv", "--attr", "a", *RANK]))
    made = []
    torch.save({"embeddings": torch.from_numpy(S), "ids": torch.tensor(nums, dtype=torch.float64)}, tmp_path / "f.pt")
    made.append(tmp_path / "f.pt")
    if "h5" in files:
        import h5py

        with h5py.File(tmp_path / "i.h5", "w") as f:
            f["embeddings"] = S
            f["ids"] = nums.astype(np.int64)
        made.append(tmp_path / "i.h5")
    if "safetensors" in files:
        from safetensors.numpy import save_file

        save_file({"embeddings": S, "ids": nums.astype(np.int64)}, str(tmp_path / "i.safetensors"))
        made.append(tmp_path / "i.safetensors")
    for path in made:
        assert rhos(run_cli(["rank", path, "--layers", "--labels", tmp_path / "lab.csv", "--attr", "a", *RANK])) == aligned, path
    bad = nums.astype(np.float64)
    bad[5] = np.nan
    torch.save({"embeddings": torch.from_numpy(S), "ids": torch.tensor(bad)}, tmp_path / "nan.pt")
    one_line(run_cli(["id", "--layers", tmp_path / "nan.pt", "-m", "twonn"]), "nan.pt", "row 5: the id is nan")


def test_ids_that_do_not_fit_the_rows_are_refused(run_cli, stacks, tmp_path):
    """Ids beside a stack must be one per row (axis 1 of layers × rows × dims): a wrong length, ids as many
    as the layers (a rows × layers × dims file), repeated ids and two disagreeing id sets are refused."""
    import torch

    d, S, y, ids, files = stacks
    torch.save({"embeddings": torch.from_numpy(S), "ids": ids[:-2].tolist()}, tmp_path / "short.pt")
    one_line(run_cli(["id", "--layers", tmp_path / "short.pt", "-m", "twonn"]), "short.pt", "'ids' has shape (78,)",
             f"({L} layers × {N} rows × {D} dims) has {N} rows", "one id per row")
    T = np.ascontiguousarray(S.transpose(1, 0, 2))  # rows × layers × dims, ids per row: read as 80 layers of 3 rows
    np.savez(tmp_path / "nld.npz", embeddings=T, ids=ids)
    line = one_line(run_cli(["rank", tmp_path / "nld.npz", "--layers", "--labels", d / "lab.csv", "--attr", "a", *RANK]),
                    "nld.npz", f"has shape ({N},)", f"{N} layers × {L} rows", "--stack-layout rows-first")
    assert "rows × layers × dims" in line
    torch.save({"embeddings": torch.from_numpy(S), "ids": ids[:1].tolist() + ids[:-1].tolist()}, tmp_path / "dup.pt")
    one_line(run_cli(["id", "--layers", tmp_path / "dup.pt", "-m", "twonn"]), "dup.pt", "repeat", "give every row its own id")
    if "h5" in files:
        import h5py

        with h5py.File(tmp_path / "short.h5", "w") as f:
            f["embeddings"] = S
            f["ids"] = np.arange(N + 1)
        one_line(run_cli(["id", "--layers", tmp_path / "short.h5", "-m", "twonn"]), "short.h5", "dataset '/ids' has shape (81,)", f"has {N} rows")
    if "safetensors" in files:
        from safetensors.numpy import save_file

        save_file({"embeddings": S}, str(tmp_path / "short.safetensors"), metadata={"ids": json.dumps(ids[:-1].tolist())})
        one_line(run_cli(["id", "--layers", tmp_path / "short.safetensors", "-m", "twonn"]), "short.safetensors", "metadata 'ids' has shape (79,)")
        save_file({"embeddings": S, "ids": np.arange(N)}, str(tmp_path / "two.safetensors"), metadata={"ids": json.dumps(ids.tolist())})
        one_line(run_cli(["id", "--layers", tmp_path / "two.safetensors", "-m", "twonn"]), "two.safetensors", "two sets of row ids",
                 "metadata 'ids' and tensor 'ids'", "keep one of them")


def test_a_stack_without_ids_or_with_an_id_col_is_not_guessed(run_cli, stacks):
    """A stack without ids and labels with ids that are not the row numbers: refused (no join by row order);
    ``--id-col`` names a column, and a stack has none: refused, not ignored."""
    d, S, y, ids, files = stacks
    one_line(run_cli(["rank", d / "stack.npy", "--layers", "--labels", d / "lab_shuf.csv", "--attr", "a", *RANK]),
             "lab_shuf.csv", "the embeddings carry no ids", "--join row-order")
    for argv in (["rank", files["pt"], "--layers", "--labels", d / "lab.csv", "--attr", "a", *RANK],
                 ["id", "--layers", files["pt"], "-m", "twonn"]):
        one_line(run_cli([*argv, "--id-col", "id"]), "stack.pt", "--id-col 'id' names a column", "(one 3-D array) has no columns", "drop --id-col")


# --------------------------------------------------------------------------- rank --layers: the attribute inside a layer's file

def _csv(path, X, ids, extra=None):
    """A CSV with an id column, ``extra`` = (name, values) as its first numeric column, then d0 … d{k}."""
    head = ["id"] + ([extra[0]] if extra else []) + [f"d{j}" for j in range(X.shape[1])]
    rows = [[str(ids[i])] + ([f"{extra[1][i]:.6f}"] if extra else []) + [f"{v:.6f}" for v in X[i]] for i in range(X.shape[0])]
    path.write_text(",".join(head) + "\n" + "\n".join(",".join(r) for r in rows) + "\n")


def test_rank_layers_refuses_an_attribute_that_is_a_column_of_a_layer_file(run_cli, tmp_path):
    """Random vectors per layer, the second layer's file holding the attribute as a column: refused, one line
    naming the column, that file and the fix; as `rank` refuses the one file."""
    rng = np.random.default_rng(11)
    n = 120
    rating = rng.uniform(0, 10, n)
    ids = np.array([f"q{i}" for i in range(n)])
    _csv(tmp_path / "l0.csv", rng.normal(size=(n, 8)), ids)
    _csv(tmp_path / "l1.csv", rng.normal(size=(n, 8)), ids, ("rating", rating))
    (tmp_path / "lab.csv").write_text("id,rating\n" + "".join(f"{ids[i]},{rating[i]:.6f}\n" for i in rng.permutation(n)))
    needles = ("lab.csv", "column 'rating'", "l1.csv", "embedding dimension", "remove column 'rating' from the embeddings file")
    one_line(run_cli(["rank", tmp_path / "l0.csv", tmp_path / "l1.csv", "--layers", "--labels", tmp_path / "lab.csv", "--attr", "rating", *RANK]),
             *needles)
    one_line(run_cli(["rank", tmp_path / "l1.csv", "--labels", tmp_path / "lab.csv", "--attr", "rating", *RANK]), *needles)  # the one-file rule
    one_line(run_cli(["rank", tmp_path / "l1.csv", "--layers", "--labels", tmp_path / "lab.csv", "--attr", "rating", *RANK]), *needles)
    # what the check prevents: under another name (which no check can match) layer 1 "ranks" its noise by the column it carries
    (tmp_path / "lab_renamed.csv").write_text("id,score\n" + "".join(f"{ids[i]},{rating[i]:.6f}\n" for i in range(n)))
    leaked = rhos(run_cli(["rank", tmp_path / "l0.csv", tmp_path / "l1.csv", "--layers", "--labels", tmp_path / "lab_renamed.csv",
                           "--attr", "score", *RANK]))
    assert leaked[1] > 0.8 and abs(leaked[0]) < 0.4


def test_rank_layers_over_clean_csv_files_equals_the_arrays(run_cli, tmp_path):
    """Per-layer CSV files without the attribute (ids in another order in each, one read with --id-col): the
    numbers of the same layers as .npy files with labels in row order; the id column is never a leak."""
    rng = np.random.default_rng(12)
    n = 100
    y = rng.normal(size=n)
    A = [np.round(rng.normal(size=(n, 6)), 6) for _ in range(2)]
    A[1][:, 0] = np.round(A[1][:, 0] + y / 0.3, 6)
    ids = np.array([f"r{i}" for i in range(n)])
    p = rng.permutation(n)
    _csv(tmp_path / "c0.csv", A[0], ids)
    _csv(tmp_path / "c1.csv", A[1][p], ids[p])
    for k in range(2):
        np.save(tmp_path / f"c{k}.npy", A[k])
    (tmp_path / "lab.csv").write_text("id,a\n" + "".join(f"{ids[i]},{float(y[i])!r}\n" for i in rng.permutation(n)))
    (tmp_path / "rows.csv").write_text("a\n" + "".join(f"{float(v)!r}\n" for v in y))
    ref = rhos(run_cli(["rank", tmp_path / "c0.npy", tmp_path / "c1.npy", "--layers", "--labels", tmp_path / "rows.csv", "--attr", "a", *RANK]))
    got = rhos(run_cli(["rank", tmp_path / "c0.csv", tmp_path / "c1.csv", "--layers", "--labels", tmp_path / "lab.csv", "--attr", "a", *RANK]))
    assert got == pytest.approx(ref, abs=1e-12) and ref[1] > 0.8
    # ids from a column named by --id-col: the labels file's own 'key' column is the join key, not a leak
    for k in range(2):
        (tmp_path / f"k{k}.csv").write_text((tmp_path / f"c{k}.csv").read_text().replace("id,", "key,", 1))
    (tmp_path / "labk.csv").write_text((tmp_path / "lab.csv").read_text().replace("id,", "key,", 1))
    got = rhos(run_cli(["rank", tmp_path / "k0.csv", tmp_path / "k1.csv", "--layers", "--id-col", "key", "--labels", tmp_path / "labk.csv",
                        "--labels-id-col", "key", "--attr", "a", *RANK]))
    assert got == pytest.approx(ref, abs=1e-12)
