"""The validation helper: row scans, duplicates by value, errors naming rows."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embgeo.errors import EmbgeoError
from embgeo.validation import as_matrix, as_rng, clean_rows, scan_rows


def test_scan_rows_finds_each_kind(rng):
    x = rng.standard_normal((50, 7)).astype(np.float32)
    x[3] = np.nan
    x[8, 2] = np.inf
    x[10] = 0.0
    x[20] = x[11]
    x[21] = x[11]
    x[30] = x[12]
    x[31] = -0.0 * x[31] + 0.0  # an all-zero row with negative zeros...
    x[31] = -0.0
    rep = scan_rows(x, block=7)  # small blocks exercise the block seams
    assert rep.nonfinite_rows.tolist() == [3, 8]
    assert rep.zero_rows.tolist() == [10, 31]
    # -0.0 and 0.0 rows are the same vector: row 31 duplicates row 10
    assert rep.duplicate_rows.tolist() == [20, 21, 30, 31]
    assert rep.duplicate_groups == 3
    assert rep.duplicate_of.tolist() == [11, 11, 12, 10]
    norms = np.linalg.norm(np.delete(x, [3, 8], axis=0).astype(np.float64), axis=1)
    np.testing.assert_allclose([rep.norm_min, rep.norm_median, rep.norm_max], [norms.min(), np.median(norms), norms.max()], rtol=1e-12)


def test_near_duplicates_are_not_duplicates(rng):
    x = rng.standard_normal((20, 5))
    x[7] = x[2] + 1e-15  # differs in the last bit: a different vector
    rep = scan_rows(x)
    assert rep.duplicate_rows.size == 0 or not np.array_equal(x[7], x[2])


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 60), st.integers(1, 9), st.integers(0, 2**31 - 1))
def test_duplicates_match_exact_row_equality(n, d, seed):
    """Property: the scan agrees with a naive O(n²) row comparison."""
    r = np.random.default_rng(seed)
    x = r.integers(-2, 3, size=(n, d)).astype(np.float64)  # small alphabet → many duplicates
    rep = scan_rows(x, block=5)
    naive = [i for i in range(n) if any(np.array_equal(x[i], x[j]) for j in range(i))]
    assert rep.duplicate_rows.tolist() == naive


def test_clean_rows_drops_only_what_was_asked(rng):
    x = rng.standard_normal((10, 3))
    x[1] = np.nan
    x[5] = x[4]
    kept, idx = clean_rows(x, drop_nonfinite=True, dedupe=True)
    assert idx.tolist() == [0, 2, 3, 4, 6, 7, 8, 9]
    np.testing.assert_array_equal(kept, x[idx])
    same, idx2 = clean_rows(x)
    assert same is x and idx2.size == 10


def test_as_matrix_errors_name_rows():
    x = np.ones((6, 2))
    x[4] = np.nan
    with pytest.raises(EmbgeoError, match=r"1 row with NaN or inf \(row 4\)"):
        as_matrix(x, name="emb.npy")
    y = np.ones((6, 2))
    y[[1, 2]] = 0
    with pytest.raises(EmbgeoError, match="rows 1, 2"):
        as_matrix(y, allow_zero_rows=False)
    with pytest.raises(EmbgeoError, match="1-D"):
        as_matrix(np.arange(4.0))
    with pytest.raises(EmbgeoError, match="needs at least 5"):
        as_matrix(np.ones((3, 2)), min_rows=5)
    with pytest.raises(EmbgeoError, match="dtype"):
        as_matrix(np.array([["a"]]))


def test_as_matrix_dtypes_and_no_copy(tmp_path):
    x16 = np.ones((4, 3), np.float16)
    assert as_matrix(x16).dtype == np.float32
    x64 = np.ones((4, 3))
    assert as_matrix(x64) is x64
    np.save(tmp_path / "m.npy", np.ones((4, 3), np.float32))
    mm = np.load(tmp_path / "m.npy", mmap_mode="r")
    assert as_matrix(mm) is mm  # memory-mapped input is not copied


def test_as_rng():
    assert as_rng(3).integers(1000) == np.random.default_rng(3).integers(1000)
    g = np.random.default_rng(1)
    assert as_rng(g) is g
    with pytest.raises(EmbgeoError, match="seed"):
        as_rng(-1)


def test_read_rows_copies_and_releases_memory_maps(tmp_path):
    from embgeo.validation import read_rows

    x = np.arange(3000 * 7, dtype=np.float32).reshape(3000, 7)
    np.save(tmp_path / "m.npy", x)
    mm = np.load(tmp_path / "m.npy", mmap_mode="r")
    for a, b in [(0, 1), (5, 1200), (1199, 3000)]:
        got = read_rows(mm, a, b)
        assert not isinstance(got, np.memmap)
        np.testing.assert_array_equal(got, x[a:b])
    # pages were dropped, not the data: the map still reads correctly afterwards
    np.testing.assert_array_equal(np.asarray(mm[2990:]), x[2990:])
    np.testing.assert_array_equal(read_rows(x, 3, 5), x[3:5])  # plain arrays pass through


def test_take_rows_reads_a_memory_map_with_pread(tmp_path):
    from embgeo.validation import take_rows

    x = np.random.default_rng(0).standard_normal((500, 9)).astype(np.float32)
    np.save(tmp_path / "m.npy", x)
    mm = np.load(tmp_path / "m.npy", mmap_mode="r")
    for idx in ([0], [3, 4, 5, 9], [499], list(range(0, 500, 7)), []):
        got = take_rows(mm, np.array(idx, dtype=np.int64))
        np.testing.assert_array_equal(got, x[idx] if idx else x[:0])
    np.testing.assert_array_equal(take_rows(x, np.array([2, 1])), x[[2, 1]])  # plain arrays index as usual
