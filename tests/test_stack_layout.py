"""How one 3-D stack file is laid out: layers × rows × dims (``L×n×d``, the default reading) or rows ×
layers × dims (``n×L×d``, e.g. ``torch.stack(hidden_states, dim=1)``), chosen with ``--stack-layout``
(``load_layers(layout=...)``). Read layers-first, a rows-first file has more "layers" than rows: that
reading is refused instead of guessed, naming both choices. A rows-first file read with
``--stack-layout rows-first`` gives exactly the numbers of the same stack saved layers-first, with its
row ids in every container."""
from __future__ import annotations

import json

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from tests._cli import one_line

L, N, D = 3, 40, 5


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """One seeded stack S (3 × 40 × 5) saved layers-first (.npy) and rows-first (.npy, .npz, .pt, .h5,
    safetensors; the containers with ids t0 … t39 in a shuffled order)."""
    d = tmp_path_factory.mktemp("layout")
    rng = np.random.default_rng(11)
    S = rng.standard_normal((L, N, D)).astype(np.float32)
    S[1] += S[0]  # consecutive layers share structure: the overlap and CKA are not noise
    R = np.ascontiguousarray(np.transpose(S, (1, 0, 2)))  # n × L × d
    ids = np.array([f"t{k}" for k in rng.permutation(N)])
    np.save(d / "lnd.npy", S)
    np.save(d / "nld.npy", R)
    np.savez(d / "lnd.npz", embeddings=S, ids=ids)
    np.savez(d / "nld.npz", embeddings=R, ids=ids)
    out = {"lnd": d / "lnd.npy", "nld": d / "nld.npy", "lnd_ids": d / "lnd.npz", "nld.npz": d / "nld.npz"}
    import torch

    torch.save({"embeddings": torch.from_numpy(R), "ids": ids.tolist()}, d / "nld.pt")
    out["nld.pt"] = d / "nld.pt"
    try:
        import h5py

        with h5py.File(d / "nld.h5", "w") as f:
            f["embeddings"] = R
            f.create_dataset("ids", data=np.asarray(ids, dtype=object), dtype=h5py.string_dtype())
        out["nld.h5"] = d / "nld.h5"
    except ImportError:
        pass
    try:
        from safetensors.numpy import save_file

        save_file({"embeddings": R}, str(d / "nld.safetensors"), metadata={"ids": json.dumps(ids.tolist())})
        out["nld.safetensors"] = d / "nld.safetensors"
    except ImportError:
        pass
    return S, ids, out


@pytest.mark.parametrize("name", ["nld.npz", "nld.pt", "nld.h5", "nld.safetensors"])
def test_rows_first_files_read_as_the_layers_first_stack_with_their_ids(files, name):
    from embgeo.io import load_layers

    S, ids, out = files
    if name not in out:
        pytest.skip(f"{name.split('.')[1]} support is not installed")
    st = load_layers([str(out[name])], layout="rows-first")
    assert len(st) == L and st.ids.tolist() == ids.tolist()
    np.testing.assert_array_equal(np.stack(st.layers), S)


def test_a_rows_first_file_read_layers_first_is_refused_with_both_choices(files, run_cli):
    S, ids, out = files
    line = one_line(run_cli(["id", out["nld"], "--layers", "-f", "json"]), "nld.npy", "(40, 3, 5)", "40 layers of 3 rows",
                    "--stack-layout rows-first", "--stack-layout layers-first")
    assert "does not guess" in line
    # ids as many as the layers (40 ids beside a 40 × 3 × 5 array read layers-first) say the same thing
    one_line(run_cli(["id", out["nld.npz"], "--layers", "-f", "json"]), "--stack-layout rows-first")
    # from Python the same refusal names the argument
    from embgeo.io import load_layers

    with pytest.raises(EmbgeoError, match=r"layout='rows-first'") as exc:
        load_layers([str(out["nld"])])
    assert "--stack-layout" not in str(exc.value)


def test_rows_first_gives_the_numbers_of_the_layers_first_file(files, run_cli):
    S, ids, out = files
    ref = run_cli(["id", out["lnd"], "--layers", "-m", "twonn,mle", "-f", "json"])
    got = run_cli(["id", out["nld"], "--layers", "--stack-layout", "rows-first", "-m", "twonn,mle", "-f", "json"])
    assert ref.code == 0 and got.code == 0, (ref.stderr, got.stderr)
    a, b = json.loads(ref.stdout), json.loads(got.stdout)
    assert b["settings"]["stack_layout"] == "rows-first" and a["settings"]["stack_layout"] is None
    assert a["results"] == b["results"] and a["verdict"] == b["verdict"]
    ref = run_cli(["compare", out["lnd_ids"], "--layers", "-m", "cka", "--bootstrap", "0", "-f", "json"])
    got = run_cli(["compare", out["nld.npz"], "--layers", "--stack-layout", "rows-first", "-m", "cka", "--bootstrap", "0", "-f", "json"])
    assert ref.code == 0 and got.code == 0, (ref.stderr, got.stderr)
    ra, rb = json.loads(ref.stdout)["results"], json.loads(got.stdout)["results"]
    assert ra == rb


def test_layers_first_accepts_a_stack_with_more_layers_than_rows(tmp_path):
    from embgeo.io import load_layers

    T = np.random.default_rng(0).standard_normal((12, 8, 4))
    np.save(tmp_path / "deep.npy", T)
    with pytest.raises(EmbgeoError, match="12 layers of 8 rows"):
        load_layers([str(tmp_path / "deep.npy")])
    st = load_layers([str(tmp_path / "deep.npy")], layout="layers-first")  # said explicitly: no question
    assert len(st) == 12 and st.layers[0].shape == (8, 4)
    np.testing.assert_array_equal(st.layers[5], T[5])


def test_stack_layout_only_where_a_stack_file_is_read(files, run_cli, tmp_path):
    S, ids, out = files
    one_line(run_cli(["id", out["lnd"], "--stack-layout", "rows-first"]), "--stack-layout", "only with --layers")
    one_line(run_cli(["compare", out["lnd"], out["lnd"], "--stack-layout", "rows-first"]), "--stack-layout", "only with --layers")
    np.save(tmp_path / "a.npy", S[0])
    np.save(tmp_path / "b.npy", S[1])
    one_line(run_cli(["id", tmp_path / "a.npy", tmp_path / "b.npy", "--layers", "--stack-layout", "rows-first"]),
             "--stack-layout rows-first applies to one 3-D stack file", "one layer each")
    from embgeo.io import load_layers

    with pytest.raises(EmbgeoError, match="unknown stack layout 'columns'"):
        load_layers([str(out["lnd"])], layout="columns")


def test_ids_that_count_the_second_axis_settle_the_layout(tmp_path, run_cli):
    # embgeo extract writes 'ids' (n) beside a pooled L×n×d stack: fewer texts than layers is no question
    T = np.random.default_rng(1).standard_normal((13, 8, 6)).astype(np.float32)
    np.savez(tmp_path / "few.npz", mean=T, ids=np.array([f"t{i}" for i in range(8)]))
    from embgeo.io import load_layers

    st = load_layers([str(tmp_path / "few.npz")])
    assert len(st) == 13 and st.ids.tolist() == [f"t{i}" for i in range(8)]
    res = run_cli(["id", tmp_path / "few.npz", "--layers", "-m", "pca", "--overlap-k", "3", "-f", "json"])
    assert res.code == 0, res.stderr
    assert len({r["layer"] for r in json.loads(res.stdout)["results"]["layers"]}) == 13


def test_rows_first_given_for_a_layers_first_file_says_to_drop_it(files, run_cli):
    S, ids, out = files
    line = one_line(run_cli(["id", out["lnd_ids"], "--layers", "--stack-layout", "rows-first"]),
                    f"read rows-first as {N} layers × {L} rows", "drop --stack-layout rows-first")
    assert "pass --stack-layout rows-first" not in line


def test_layout_messages_for_a_missing_file_and_a_bad_value(run_cli, tmp_path):
    one_line(run_cli(["id", tmp_path / "missing.npy", "--layers", "--stack-layout", "rows-first"]), "missing.npy")
    res = run_cli(["id", tmp_path / "missing.npy", "--layers", "--stack-layout", "rows-first"])
    assert "not a 3-D array" not in res.stderr
    from embgeo.io import load_layers

    with pytest.raises(EmbgeoError, match=r"layout='layers-first' or layout='rows-first'"):
        load_layers([str(tmp_path / "x.npy")], layout="rowsfirst")
