"""One matrix saved in every supported format gives the same `info` JSON."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from embgeo.io import load

# float32 values printed with 9 significant digits round-trip exactly through text formats
N, D = 37, 6


@pytest.fixture(scope="module")
def matrix():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N, D)).astype(np.float32)
    x[5] = x[2]  # one duplicate row
    x[9] = 0.0  # one zero row
    return x


def _fmt(v: float) -> str:
    return f"{v:.9g}"


def write_all(x: np.ndarray, tmp):
    """Write ``x`` in every format; returns {label: spec}."""
    import h5py
    import pyarrow as pa
    import pyarrow.parquet as pq
    import torch
    from safetensors.numpy import save_file

    ids = [f"w{i}" for i in range(len(x))]
    specs = {}
    np.save(tmp / "a.npy", x)
    specs["npy"] = tmp / "a.npy"
    np.savez(tmp / "a.npz", emb=x, other=np.arange(3))
    specs["npz:key"] = f"{tmp / 'a.npz'}:emb"
    np.savez(tmp / "single.npz", x)
    specs["npz"] = tmp / "single.npz"
    for sep, name in ((",", "a.csv"), ("\t", "a.tsv")):
        lines = [sep.join(["id"] + [f"d{j}" for j in range(D)])]
        lines += [sep.join([ids[i]] + [_fmt(v) for v in row]) for i, row in enumerate(x)]
        (tmp / name).write_text("\n".join(lines) + "\n")
    specs["csv"] = tmp / "a.csv"
    specs["tsv"] = tmp / "a.tsv"
    lines = ["id,vector,topic"] + [f'{ids[i]},"[{", ".join(_fmt(v) for v in row)}]",t{i % 3}' for i, row in enumerate(x)]
    (tmp / "list.csv").write_text("\n".join(lines) + "\n")
    specs["csv-list"] = tmp / "list.csv"
    body = [" ".join([ids[i]] + [_fmt(v) for v in row]) for i, row in enumerate(x)]
    (tmp / "w2v.txt").write_text(f"{N} {D}\n" + "\n".join(body) + "\n")
    specs["word2vec-text"] = tmp / "w2v.txt"
    (tmp / "glove.txt").write_text("\n".join(body) + "\n")
    specs["glove"] = tmp / "glove.txt"
    with open(tmp / "w2v.bin", "wb") as fh:
        fh.write(f"{N} {D}\n".encode())
        for i, row in enumerate(x):
            fh.write(ids[i].encode() + b" " + row.astype("<f4").tobytes() + b"\n")
    specs["word2vec-binary"] = tmp / "w2v.bin"
    flat = pa.array(x.reshape(-1))
    pq.write_table(pa.table({"id": ids, "emb": pa.FixedSizeListArray.from_arrays(flat, D)}), tmp / "fixed.parquet")
    specs["parquet-fixed"] = f"{tmp / 'fixed.parquet'}:emb"
    pq.write_table(pa.table({"id": ids, "emb": [list(map(float, r)) for r in x]}, schema=pa.schema([("id", pa.string()), ("emb", pa.list_(pa.float32()))])), tmp / "list.parquet")
    specs["parquet-list"] = tmp / "list.parquet"
    pq.write_table(pa.table({f"d{j}": x[:, j] for j in range(D)}), tmp / "cols.parquet")
    specs["parquet-columns"] = tmp / "cols.parquet"
    save_file({"embeddings": x, "bias": np.zeros(3, np.float32)}, str(tmp / "a.safetensors"))
    specs["safetensors"] = tmp / "a.safetensors"
    with h5py.File(tmp / "a.h5", "w") as f:
        f.create_dataset("group/emb", data=x)
        f.create_dataset("meta", data=np.arange(4))
    specs["hdf5"] = f"{tmp / 'a.h5'}:/group/emb"
    torch.save(torch.from_numpy(x.copy()), tmp / "a.pt")
    specs["pt"] = tmp / "a.pt"
    torch.save({"embeddings": torch.from_numpy(x.copy()), "step": torch.tensor(3)}, tmp / "dict.pt")
    specs["pt-dict"] = tmp / "dict.pt"
    with open(tmp / "a.fvecs", "wb") as fh:
        for row in x:
            fh.write(struct.pack("<i", D) + row.astype("<f4").tobytes())
    specs["fvecs"] = tmp / "a.fvecs"
    return specs


COMPARED = ("n_rows", "n_dims", "dtype", "bytes", "norm_min", "norm_median", "norm_max", "nan_inf_rows", "zero_rows", "duplicate_rows", "duplicate_groups")


def test_every_format_gives_the_same_info(matrix, tmp_path, run_cli):
    specs = write_all(matrix, tmp_path)
    assert len(specs) >= 17
    reference = None
    for label, spec in specs.items():
        res = run_cli(["info", spec, "--format", "json"])
        assert res.code == 0, (label, res.stderr)
        doc = json.loads(res.stdout)
        assert doc["schema"] == "embgeo.info/1"
        got = {k: doc["results"]["files"][0][k] for k in COMPARED}
        if reference is None:
            reference = got
        assert got == reference, label
    assert reference["duplicate_rows"] == 1 and reference["zero_rows"] == 1 and reference["dtype"] == "float32"


def test_values_match_exactly(matrix, tmp_path):
    specs = write_all(matrix, tmp_path)
    for label, spec in specs.items():
        es = load(spec)
        np.testing.assert_array_equal(np.asarray(es.matrix), matrix, err_msg=label)


def test_ids_and_label_columns_are_read(matrix, tmp_path):
    specs = write_all(matrix, tmp_path)
    for label in ("csv-list", "word2vec-text", "glove", "word2vec-binary"):
        es = load(specs[label], id_col="id" if label == "csv-list" else None)
        assert es.ids is not None and es.ids[3] == "w3", label
    es = load(specs["csv-list"], id_col="id")
    assert list(es.attributes) == ["topic"] and es.attributes["topic"][4] == "t1"
    es = load(specs["parquet-list"], id_col="id")
    assert es.ids[0] == "w0"


def test_npy_is_memory_mapped(matrix, tmp_path):
    np.save(tmp_path / "m.npy", matrix)
    es = load(tmp_path / "m.npy")
    assert isinstance(es.matrix, np.memmap)
    with open(tmp_path / "a.fvecs", "wb") as fh:
        for row in matrix:
            fh.write(struct.pack("<i", D) + row.astype("<f4").tobytes())
    assert isinstance(load(tmp_path / "a.fvecs").matrix.base, np.memmap) or isinstance(load(tmp_path / "a.fvecs").matrix, np.memmap)


def test_half_precision_is_computed_in_float32(tmp_path):
    import torch
    from safetensors.torch import save_file

    from embgeo.validation import as_matrix

    x = np.random.default_rng(1).standard_normal((10, 4)).astype(np.float16)
    np.save(tmp_path / "h.npy", x)
    es = load(tmp_path / "h.npy")
    assert es.stored_dtype == "float16" and as_matrix(es).dtype == np.float32
    t = torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)
    save_file({"embeddings": t}, str(tmp_path / "b.safetensors"))
    es = load(tmp_path / "b.safetensors")
    assert es.stored_dtype == "bfloat16"
    # independent conversion: torch's own bfloat16 → float32
    np.testing.assert_array_equal(np.asarray(es.matrix), t.float().numpy())
    torch.save(t, tmp_path / "b.pt")
    es = load(tmp_path / "b.pt")
    assert es.stored_dtype == "bfloat16"
    np.testing.assert_array_equal(es.matrix, t.float().numpy())


def test_bvecs(tmp_path):
    x = np.random.default_rng(2).integers(0, 256, size=(8, 5)).astype(np.uint8)
    with open(tmp_path / "a.bvecs", "wb") as fh:
        for row in x:
            fh.write(struct.pack("<i", 5) + row.tobytes())
    es = load(tmp_path / "a.bvecs")
    np.testing.assert_array_equal(np.asarray(es.matrix), x)


def test_layer_stack_from_3d_array_and_files(tmp_path):
    from embgeo.io import load_layers

    rng = np.random.default_rng(3)
    stack = rng.standard_normal((3, 20, 4)).astype(np.float32)
    np.save(tmp_path / "stack.npy", stack)
    ls = load_layers([str(tmp_path / "stack.npy")])
    assert len(ls) == 3 and ls.layers[1].shape == (20, 4)
    np.testing.assert_array_equal(ls.layers[2], stack[2])
    for i in range(3):
        np.save(tmp_path / f"l{i}.npy", stack[i])
    ls = load_layers([str(tmp_path / f"l{i}.npy") for i in range(3)])
    assert ls.names == ("l0", "l1", "l2")
    np.save(tmp_path / "short.npy", stack[0][:10])
    from embgeo.errors import EmbgeoError

    with pytest.raises(EmbgeoError, match="rows"):
        load_layers([str(tmp_path / "l0.npy"), str(tmp_path / "short.npy")])


def test_contiguous_hdf5_is_memory_mapped(tmp_path):
    import h5py

    x = np.random.default_rng(4).standard_normal((50, 6)).astype(np.float32)
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f.create_dataset("flat", data=x)
        f.create_dataset("packed", data=x, chunks=(10, 6), compression="gzip")
        f.create_dataset("big_endian", data=x.astype(">f4"))
    flat = load(f"{tmp_path / 'a.h5'}:/flat")
    assert isinstance(flat.matrix, np.memmap)
    np.testing.assert_array_equal(flat.matrix, x)
    packed = load(f"{tmp_path / 'a.h5'}:/packed")
    assert not isinstance(packed.matrix, np.memmap)
    np.testing.assert_array_equal(packed.matrix, x)
    np.testing.assert_array_equal(load(f"{tmp_path / 'a.h5'}:/big_endian").matrix, x)
