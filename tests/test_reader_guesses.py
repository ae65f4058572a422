"""Inputs the readers used to read by guessing (audit of the input readers): a text file of plain
numbers read as word vectors, integer id columns read as a dimension, large integers rounded to
float32, an ``.npz`` with two auto-pick arrays, float ids dropped by some readers, and weak
messages (a comment line in a CSV, sparse/meta ``.pt`` tensors, a 0-dimension ``.fvecs``, a
forced format that does not match the file).

Every refusal is exit code 2 and one line naming the file, the choice and the option that makes it;
every file that is fine loads with its real values."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.io import load
from embgeo.io.precision import fits_float32


from tests.test_io_guessing import info, refused  # noqa: E402  (the one definition of "refused in one line")


# ---------------------------------------------------------------- 1. a text file of plain numbers

def test_savetxt_numbers_are_refused_naming_both_readings(tmp_path, run_cli):
    x = np.random.default_rng(0).normal(size=(100, 8))
    p = tmp_path / "savetxt.txt"
    np.savetxt(p, x)
    err = refused(run_cli, [p], "every line starts with a number", "table of 8 numbers per line", "word vectors whose words are numbers",
                  "--input-format tsv", "all 8 numbers", "--input-format text", "7 dimensions")
    assert "does not guess" in err
    with pytest.raises(EmbgeoError, match="every line starts with a number"):
        load(p)


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
def test_a_forced_tsv_or_csv_reads_space_separated_numbers(tmp_path, run_cli, fmt):
    x = np.random.default_rng(1).normal(size=(100, 8))
    p = tmp_path / "savetxt.txt"
    np.savetxt(p, x)  # '%.18e' separated by one space
    doc = info(run_cli, [p, "--input-format", fmt])
    assert (doc["n_rows"], doc["n_dims"], doc["has_ids"], doc["dtype"]) == (100, 8, False, "float64")
    es = load(p, fmt=fmt)
    np.testing.assert_array_equal(es.matrix, x)  # every column, the first included, exactly
    q = tmp_path / "short.txt"
    np.savetxt(q, x.astype(np.float32), fmt="%.9g", delimiter="  ")  # runs of spaces
    es = load(q, fmt=fmt)
    assert es.matrix.dtype == np.float32
    np.testing.assert_array_equal(es.matrix, x.astype(np.float32))
    # a header line of names works as in any CSV; the suffix alone never splits at spaces
    (tmp_path / "named.txt").write_text("a b c\n0.5 0.25 1\n0.75 0.125 2\n")
    es = load(tmp_path / "named.txt", fmt=fmt)
    assert es.provenance["columns"] == ["a", "b", "c"] and es.matrix.tolist() == [[0.5, 0.25, 1], [0.75, 0.125, 2]]
    (tmp_path / "spaces.csv").write_text("a b\n0.5 1\n0.25 2\n")
    refused(run_cli, [tmp_path / "spaces.csv"], "no numeric columns")


def test_a_forced_text_format_reads_numbers_as_words(tmp_path, run_cli):
    x = np.random.default_rng(2).normal(size=(100, 8))
    p = tmp_path / "savetxt.txt"
    np.savetxt(p, x)
    doc = info(run_cli, [p, "--input-format", "text"])
    assert (doc["n_rows"], doc["n_dims"], doc["has_ids"]) == (100, 7, True)
    years = tmp_path / "years.vec"
    years.write_text("".join(f"{1990 + i} {0.5 * i} {-0.25 * i} 1\n" for i in range(30)))
    refused(run_cli, [years], "'1990', '1991', …", "--input-format text")
    es = load(years, fmt="text")
    assert es.ids.tolist()[:3] == ["1990", "1991", "1992"] and es.matrix.shape == (30, 3)
    assert es.matrix[2].tolist() == [1.0, -0.5, 1.0]


def test_word_vectors_with_words_still_load(tmp_path):
    (tmp_path / "g.txt").write_text("the 1 2 3\n1990 4 5 6\nof 7 8 9\n")  # one numeric word among words
    es = load(tmp_path / "g.txt")
    assert es.ids.tolist() == ["the", "1990", "of"] and es.matrix[1].tolist() == [4, 5, 6]
    # a word2vec header says the first token is the word: numbers as words need no option
    (tmp_path / "w.txt").write_text("3 2\n10 0.5 0.25\n20 0.75 0.125\n30 1 2\n")
    es = load(tmp_path / "w.txt")
    assert es.ids.tolist() == ["10", "20", "30"] and es.matrix.tolist() == [[0.5, 0.25], [0.75, 0.125], [1, 2]]


# ---------------------------------------------------------------- 2. integer id columns of any name

def _id_csv(path, name, ids, x):
    lines = [",".join([name] + [f"d{j}" for j in range(x.shape[1])])]
    lines += [",".join([str(i)] + [f"{v:.6f}" for v in r]) for i, r in zip(ids, x)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("name", ["row", "item_id", "doc_id", "node", "key", "pid", "uid", "sample", "#", "word_idx"])
@pytest.mark.parametrize("start", [0, 1])
def test_an_integer_permutation_column_is_refused_whatever_its_name(tmp_path, run_cli, name, start):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(100, 5))
    ids = rng.permutation(100) + start
    p = _id_csv(tmp_path / "e.csv", name, ids, x)
    refused(run_cli, [p], f"column '{name}'", f"integers {start} … {start + 99} once", "row index", "does not guess",
            f"--id-col '{name}'", "drop the column")
    doc = info(run_cli, [p, "--id-col", name])  # the fix works
    assert (doc["n_rows"], doc["n_dims"], doc["has_ids"]) == (100, 5, True)
    es = load(p, id_col=name)
    assert es.ids.tolist()[:3] == [str(i) for i in ids[:3]]
    np.testing.assert_allclose(es.matrix, x, atol=1e-6)


def test_embgeos_own_projection_csv_is_not_read_with_its_row_column_as_a_dimension(tmp_path, run_cli):
    x = np.random.default_rng(4).normal(size=(120, 16)).astype(np.float32)
    np.save(tmp_path / "r.npy", x)
    out = tmp_path / "map.csv"
    res = run_cli(["project", tmp_path / "r.npy", "--method", "pca", "-o", out])
    assert res.code == 0, res.stderr
    header = out.read_text().splitlines()[0]
    first = header.split(",")[0]
    refused(run_cli, [out], f"column '{first}'", "0 … 119", f"--id-col '{first}'")
    doc = info(run_cli, [out, "--id-col", first])
    assert (doc["n_rows"], doc["n_dims"], doc["has_ids"]) == (120, len(header.split(",")) - 1, True)


def test_a_parquet_integer_permutation_column_is_refused(tmp_path, run_cli):
    import pyarrow as pa
    import pyarrow.parquet as pq

    x = np.random.default_rng(5).normal(size=(50, 6))
    cols = {f"d{j}": x[:, j] for j in range(6)}
    pq.write_table(pa.table({**cols, "item": np.arange(50)}), tmp_path / "p.parquet")
    refused(run_cli, [tmp_path / "p.parquet"], "column 'item'", "0 … 49", "--id-col 'item'")
    es = load(tmp_path / "p.parquet", id_col="item")
    assert es.matrix.shape == (50, 6) and es.ids[7] == "7"
    np.testing.assert_array_equal(es.matrix, x)
    # beside an 'id' column: the hint says where the ids come from
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(50)], **cols, "rank": np.arange(1, 51)}), tmp_path / "q.parquet")
    refused(run_cli, [tmp_path / "q.parquet"], "column 'rank'", "1 … 50", "the ids come from column 'id'", "--id-col 'rank'")


def test_permutation_columns_in_headerless_files_and_beside_ids(tmp_path, run_cli):
    x = np.random.default_rng(6).normal(size=(20, 3))
    p = tmp_path / "h.csv"
    np.savetxt(p, np.c_[np.arange(20), x], delimiter=",", fmt="%.6g")
    refused(run_cli, [p], "column 'c0'", "0 … 19", "no header", "--id-col NAME")
    q = tmp_path / "i.csv"
    q.write_text("id,n,a\n" + "".join(f"w{i},{(i * 7) % 20},{v:.4f}\n" for i, v in enumerate(x[:, 0])))
    refused(run_cli, [q], "column 'n'", "the ids come from column 'id'", "--id-col 'n'")


def test_integer_columns_that_are_not_a_row_index_stay_dimensions(tmp_path):
    x = np.random.default_rng(7).normal(size=(10, 2))
    cases = {
        "gap.csv": [0, 1, 2, 3, 4, 5, 6, 7, 8, 10],  # not 0 … n−1
        "dup.csv": [0, 1, 2, 3, 4, 5, 6, 7, 8, 8],
        "from2.csv": list(range(2, 12)),
        "counts.csv": [3, 0, 5, 1, 1, 2, 0, 7, 4, 2],
    }
    for name, col in cases.items():
        es = load(_id_csv(tmp_path / name, "n", col, x))
        assert es.matrix.shape == (10, 3), name
        assert es.matrix[:, 0].tolist() == col, name
    es = load(_id_csv(tmp_path / "three.csv", "n", [2, 0, 1], x[:3]))  # fewer rows than INDEX_MIN_ROWS: data
    assert es.matrix.shape == (3, 3)
    # integer coordinates of a small line or grid (the review's case: refused at 4 rows, with no way to read them)
    (tmp_path / "line.csv").write_text("x,y\n" + "".join(f"{i},{i}\n" for i in range(5)))
    assert load(tmp_path / "line.csv").matrix.tolist() == [[i, i] for i in range(5)]


# ---------------------------------------------------------------- 3. numbers that float32 changes

def test_large_integers_keep_float64(tmp_path, run_cli):
    p = tmp_path / "bigint2.csv"
    p.write_text("a,b\n16777217,0.5\n16777216,0.5\n1.5,2\n")
    doc = info(run_cli, [p])
    assert doc["dtype"] == "float64" and doc["duplicate_rows"] == 0
    es = load(p)
    assert es.matrix.dtype == np.float64 and es.matrix[:, 0].tolist() == [16777217, 16777216, 1.5]
    (tmp_path / "big.vec").write_text("w 16777217 1\nv 16777216 1\n")
    es = load(tmp_path / "big.vec")
    assert es.matrix.dtype == np.float64 and es.matrix[0, 0] == 16777217
    (tmp_path / "seven.csv").write_text("a,b\n8.589973e9,1\n1,2\n")  # 7 digits float32 cannot hold
    assert load(tmp_path / "seven.csv").matrix[0, 0] == 8.589973e9


def test_values_float32_holds_stay_float32(tmp_path):
    x = np.random.default_rng(8).normal(size=(200, 4)).astype(np.float32)
    for fmt in ("%.9g", "%.7g", "%.4f"):
        p = tmp_path / "f.csv"
        np.savetxt(p, x, fmt=fmt, delimiter=",", header="a,b,c,d", comments="")
        es = load(p)
        assert es.matrix.dtype == np.float32, fmt
        if fmt == "%.9g":
            np.testing.assert_array_equal(es.matrix, x)
    assert fits_float32(np.array([0.1, 0.2, 16777216.0, 0.123456791, 1e-30]))
    assert not fits_float32(np.array([16777217.0]))
    assert not fits_float32(np.array([123456789000.0]))


def test_float32_is_kept_exactly_when_every_number_prints_back():
    """The rule against its definition, value by value: a number written with k ≤ 9 significant digits
    survives float32 when float32's value printed with k digits is the same number."""
    rng = np.random.default_rng(12)
    n_lost = 0
    for _ in range(20000):
        k = int(rng.integers(1, 10))
        mant = int(rng.integers(10 ** (k - 1), 10**k))
        if mant % 10 == 0:
            continue
        v = float(f"{mant}e{int(rng.integers(-36, 30))}")  # within float32's range
        kept = float(f"%.{k}g" % float(np.float32(v))) == v
        n_lost += not kept
        assert fits_float32(np.array([v, 0.5])) == kept, (mant, v)
    assert n_lost > 1000  # the sample holds both kinds


# ---------------------------------------------------------------- 4. several auto-pick names

def test_an_npz_with_two_auto_pick_arrays_asks_which_one(tmp_path, run_cli):
    x = np.random.default_rng(9).normal(size=(60, 8)).astype(np.float32)
    p = tmp_path / "X_and_arr0.npz"
    np.savez(p, X=x, arr_0=x[:, :3])
    refused(run_cli, [p], "holds several arrays (X, arr_0); which one?", "FILE.npz:X", "FILE.npz:arr_0")
    assert load(f"{p}:arr_0").matrix.shape == (60, 3)
    assert load(f"{p}:X").matrix.shape == (60, 8)
    np.savez(tmp_path / "x_norms.npz", X=x, data=np.ones(60))  # one auto-pick name is a matrix: no question
    assert load(tmp_path / "x_norms.npz").matrix.shape == (60, 8)


def test_other_containers_with_two_auto_pick_names_ask_which_one(tmp_path, run_cli):
    import h5py
    import torch
    from safetensors.numpy import save_file

    x = np.ones((5, 3), np.float32)
    save_file({"embeddings": x, "X": x}, str(tmp_path / "two.safetensors"))
    refused(run_cli, [tmp_path / "two.safetensors"], "several 2-D tensors (embeddings, X); which one?", "FILE.safetensors:X")
    with h5py.File(tmp_path / "two.h5", "w") as f:
        f["X"] = x
        f["vectors"] = x
    refused(run_cli, [tmp_path / "two.h5"], "several 2-D numeric datasets (/X, /vectors)", "FILE.h5:/vectors")
    torch.save({"embedding": torch.ones(5, 3), "data": torch.ones(5, 2)}, tmp_path / "two.pt")
    refused(run_cli, [tmp_path / "two.pt"], "several tensors (embedding, data); which one?", "FILE.pt:data")
    assert load(f"{tmp_path / 'two.pt'}:data").matrix.shape == (5, 2)


# ---------------------------------------------------------------- 5. float ids: one rule everywhere

def test_float_ids_are_ids_in_every_container(tmp_path, run_cli):
    import h5py
    import pyarrow as pa
    import pyarrow.parquet as pq
    import torch

    x = np.random.default_rng(10).normal(size=(4, 3)).astype(np.float32)
    fids = np.array([0.0, 0.5, 1.0, 2.5])
    want = ["0", "0.5", "1", "2.5"]  # a whole number is the integer's id
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f["emb"] = x
        f["ids"] = fids
    np.savez(tmp_path / "a.npz", emb=x, ids=fids)
    torch.save({"emb": torch.from_numpy(x), "ids": fids.tolist()}, tmp_path / "a.pt")
    torch.save({"emb": torch.from_numpy(x), "ids": torch.tensor(fids)}, tmp_path / "t.pt")
    pq.write_table(pa.table({"id": fids, **{f"d{j}": x[:, j] for j in range(3)}}), tmp_path / "a.parquet")
    for name in ("a.h5", "a.npz", "a.pt", "t.pt", "a.parquet"):
        doc = info(run_cli, [tmp_path / name])
        assert doc["has_ids"] is True, name
        es = load(tmp_path / name)
        assert es.ids.tolist() == want, name
        np.testing.assert_array_equal(es.matrix, x, err_msg=name)
    # integer and whole-float ids of the same rows join
    np.savez(tmp_path / "b.npz", emb=x, ids=np.array([0, 1, 2, 3]))
    with h5py.File(tmp_path / "b.h5", "w") as f:
        f["emb"] = x
        f["ids"] = np.array([0.0, 1.0, 2.0, 3.0])
    assert load(tmp_path / "b.npz").ids.tolist() == load(tmp_path / "b.h5").ids.tolist() == ["0", "1", "2", "3"]


def test_bad_ids_are_refused_never_dropped(tmp_path, run_cli):
    import h5py
    import torch

    x = np.ones((3, 2), np.float32)
    with h5py.File(tmp_path / "nan.h5", "w") as f:
        f["emb"] = x
        f["ids"] = np.array([0.0, np.nan, 2.0])
    refused(run_cli, [tmp_path / "nan.h5"], "dataset '/ids', row 1", "the id is nan")
    np.savez(tmp_path / "nan.npz", emb=x, ids=np.array([0.0, 1.0, np.inf]))
    refused(run_cli, [tmp_path / "nan.npz"], "array 'ids', row 2", "the id is inf")
    with h5py.File(tmp_path / "cplx.h5", "w") as f:
        f["emb"] = x
        f["ids"] = np.array([1j, 2j, 3j])
    refused(run_cli, [tmp_path / "cplx.h5"], "dataset '/ids' has dtype complex128", "ids must be text or numbers")
    torch.save({"emb": torch.from_numpy(x), "ids": ["a", "b"]}, tmp_path / "short.pt")
    refused(run_cli, [tmp_path / "short.pt"], "'ids' has shape (2,)", "'emb' has 3 rows")
    torch.save({"emb": torch.from_numpy(x), "ids": "abc"}, tmp_path / "str.pt")
    refused(run_cli, [tmp_path / "str.pt"], "'ids' is a str")
    torch.save({"emb": torch.from_numpy(x), "ids": ["a", None, "c"]}, tmp_path / "none.pt")
    refused(run_cli, [tmp_path / "none.pt"], "'ids', row 1", "missing (null)")
    torch.save({"emb": torch.from_numpy(x), "ids": ["a", "b", "c"]}, tmp_path / "ok.pt")
    assert load(tmp_path / "ok.pt").ids.tolist() == ["a", "b", "c"]


# ---------------------------------------------------------------- 6. messages that say what is wrong

def test_a_comment_line_in_a_csv_is_named(tmp_path, run_cli):
    p = tmp_path / "comment.csv"
    p.write_text("# generated by foo\na,b,c,d\n" + "".join(f"{i}.5,1,2,3\n" for i in range(5)))
    refused(run_cli, [p], "line 1 looks like a comment", "'# generated by foo'", "does not read comment lines",
            "grep -v '^#' comment.csv")
    q = tmp_path / "mid.csv"
    q.write_text("a,b\n0.5,1\n# a note, here\n0.25,2\n")
    refused(run_cli, [q], "line 3 looks like a comment", "'# a note here'")
    r = tmp_path / "hash.csv"  # a column named '#' is not a comment
    r.write_text("#,a\nx,0.5\ny,0.25\n")
    assert load(r).attributes["#"].tolist() == ["x", "y"]


def test_sparse_and_meta_tensors_say_what_is_wrong(tmp_path, run_cli):
    import torch

    torch.save({"emb": torch.eye(4).to_sparse()}, tmp_path / "sparse.pt")
    err = refused(run_cli, [tmp_path / "sparse.pt"], "tensor 'emb' is a sparse tensor (sparse_coo)", "dense tensors only", "X.to_dense()")
    assert "complete" not in err
    torch.save(torch.empty(5, 3, device="meta"), tmp_path / "meta.pt")
    err = refused(run_cli, [tmp_path / "meta.pt"], "on the 'meta' device", "no values")
    assert "complete" not in err


def test_a_zero_dimension_vecs_file_has_a_fix(tmp_path, run_cli):
    p = tmp_path / "d0.fvecs"
    p.write_bytes(struct.pack("<i", 0) * 4)
    refused(run_cli, [p], "first row claims 0 dimensions", "int32", "not a .fvecs file", "struct.pack('<i', d)", "--input-format")
    q = tmp_path / "d0.bvecs"
    q.write_bytes(struct.pack("<i", 0) * 4)
    refused(run_cli, [q], "d uint8 values", "not a .bvecs file")


def test_a_format_that_does_not_match_the_contents_names_the_real_one(tmp_path, run_cli):
    x = np.ones((4, 3), np.float32)
    np.save(tmp_path / "x.npy", x)
    err = refused(run_cli, [tmp_path / "x.npy", "--input-format", "csv"], "holds a NumPy .npy array", "--input-format csv reads it as csv",
                  "drop --input-format csv", "the suffix .npy reads it as npy")
    assert "iconv" not in err and "UTF-8" not in err
    refused(run_cli, [tmp_path / "x.npy", "--input-format", "text"], "holds a NumPy .npy array")
    (tmp_path / "y.csv").write_bytes((tmp_path / "x.npy").read_bytes())
    refused(run_cli, [tmp_path / "y.csv"], "holds a NumPy .npy array", "its suffix .csv", "rename it to y.npy", "--input-format npy")
    np.savez(tmp_path / "z.npz", emb=x)
    refused(run_cli, [tmp_path / "z.npz", "--input-format", "pt"], "holds a NumPy .npz archive", "drop --input-format pt")
    (tmp_path / "z.bin").write_bytes((tmp_path / "z.npz").read_bytes())
    assert load(tmp_path / "z.bin", fmt="npz").matrix.shape == (4, 3)  # the right forced format reads it
    refused(run_cli, [tmp_path / "z.bin", "--input-format", "npy"], "holds a NumPy .npz archive", "pass --input-format npz")


def test_csv_ids_written_as_whole_floats_join_ids_of_other_readers(tmp_path):
    """pandas writes an id column that once held NaN as 1.0, 2.0 …: those are the ids 1, 2 …, as in .npz."""
    x = np.random.default_rng(11).normal(size=(5, 3))
    (tmp_path / "fid.csv").write_text("id,a,b,c\n" + "".join(f"{i}.0,{r[0]},{r[1]},{r[2]}\n" for i, r in zip(range(1, 6), x)))
    np.savez(tmp_path / "fid.npz", embeddings=x, ids=np.arange(1.0, 6.0))
    assert load(tmp_path / "fid.csv").ids.tolist() == load(tmp_path / "fid.npz").ids.tolist() == ["1", "2", "3", "4", "5"]
    (tmp_path / "txt.csv").write_text("id,a\n1.5,0.1\n007,0.2\nw1,0.3\n")  # other ids stay as written
    assert load(tmp_path / "txt.csv").ids.tolist() == ["1.5", "007", "w1"]
