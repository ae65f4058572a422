"""CSV/TSV read in bulk (numpy parses a block of lines at once) gives exactly what the row-by-row
reading gives: the same matrix, dtype, ids, label columns, and the same error naming the same line
and column. ``embgeo.io.text.BULK = False`` is the row-by-row reference; a small ``SAMPLE_ROWS`` and
``BULK_CHARS`` put most rows of a small file in many bulk blocks after the sample."""
from __future__ import annotations

import random

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.io import load
from embgeo.io import text as text_io
from embgeo.io.precision import RowBlocks, fits_float32, needs_float64, needs_float64_block


def _read(path, bulk: bool, monkeypatch, **kw):
    monkeypatch.setattr(text_io, "BULK", bulk)
    try:
        es = load(path, **kw)
    except EmbgeoError as exc:
        return ("error", str(exc))
    attrs = {k: (v.dtype.str, v.tolist()) for k, v in es.attributes.items()}
    return ("ok", es.matrix, None if es.ids is None else es.ids.tolist(), attrs)


BULK_BLOCKS = []  # how many blocks the last bulk reading parsed at once (the bulk path did run)


def both(path, monkeypatch, **kw):
    """Read ``path`` in bulk and row by row; assert the two agree exactly and return the bulk reading."""
    kept, add_text = [], RowBlocks.add_text
    monkeypatch.setattr(RowBlocks, "add_text", lambda self, *a: kept.append(add_text(self, *a)) or kept[-1])
    fast = _read(path, True, monkeypatch, **kw)
    monkeypatch.setattr(RowBlocks, "add_text", add_text)
    BULK_BLOCKS[:] = [sum(kept)]
    careful = _read(path, False, monkeypatch, **kw)
    assert fast[0] == careful[0], (fast, careful)
    if fast[0] == "error":
        assert fast[1] == careful[1]
        return fast
    assert fast[1].dtype == careful[1].dtype and fast[1].shape == careful[1].shape
    assert fast[1].tobytes() == careful[1].tobytes()  # bit for bit, NaN included
    assert fast[2:] == careful[2:]
    return fast


@pytest.fixture
def small_blocks(monkeypatch):
    """Sample of 3 rows, blocks of about 200 characters: a small file goes through many bulk blocks."""
    monkeypatch.setattr(text_io, "SAMPLE_ROWS", 3)
    monkeypatch.setattr(text_io, "BULK_CHARS", 200)


def _write(path, header, rows, nl="\n", bom=False):
    text = nl.join([header] + rows if header else rows) + nl
    path.write_bytes((("\ufeff" if bom else "") + text).encode("utf-8"))
    return path


def _matrix(seed, n, d, fmt="%.9g"):
    X = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return X, [",".join(fmt % v for v in r) for r in X]


@pytest.mark.parametrize("nl", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", [False, True])
def test_float32_file_same_in_bulk(tmp_path, monkeypatch, small_blocks, nl, bom):
    X, rows = _matrix(0, 120, 5)
    p = _write(tmp_path / "a.csv", ",".join(f"d{i}" for i in range(5)), rows, nl=nl, bom=bom)
    out = both(p, monkeypatch)
    assert out[1].dtype == np.float32 and BULK_BLOCKS[0] > 5
    np.testing.assert_array_equal(out[1], X)


@pytest.mark.parametrize("value", ["0.1234567891", "16777217", "1e39", "1000000001"])
def test_float64_decided_deep_in_the_file_same_in_bulk(tmp_path, monkeypatch, small_blocks, value):
    # 10 significant digits, an integer float32 rounds, a value beyond float32: float64 from a row in the body
    _, rows = _matrix(1, 150, 4)
    rows[120] = ",".join([value] + rows[120].split(",")[1:])
    p = _write(tmp_path / "a.csv", "a,b,c,d", rows)
    out = both(p, monkeypatch)
    assert out[1].dtype == np.float64 and out[1][120, 0] == float(value)


def test_nine_digits_and_zeros_stay_float32(tmp_path, monkeypatch, small_blocks):
    _, rows = _matrix(2, 150, 3)
    small = "%.9g" % np.float32(-0.000123456789)  # a float32's 9 digits after 3 leading zeros
    rows[100] = f"0.100000000,1000000000,{small}"  # trailing and leading zeros are not significant
    out = both(_write(tmp_path / "a.csv", "a,b,c", rows), monkeypatch)
    assert out[1].dtype == np.float32


def test_nan_tokens_same_in_bulk(tmp_path, monkeypatch, small_blocks):
    _, rows = _matrix(3, 100, 3)
    rows[10] = "nan,1,2"
    rows[60] = "1,NaN,-inf"
    rows[90] = " 1.5 ,+2,.5"
    out = both(_write(tmp_path / "a.csv", "a,b,c", rows), monkeypatch)
    m = out[1]
    assert np.isnan(m[10, 0]) and np.isnan(m[60, 1]) and m[60, 2] == -np.inf and m[90].tolist() == [1.5, 2.0, 0.5]


def test_id_and_label_columns_same_in_bulk(tmp_path, monkeypatch, small_blocks):
    rng = random.Random(4)
    X, rows = _matrix(4, 200, 4)
    labels = ["cat", "dog", "héllo", "a_b", "x y"]
    body = [f"w{i},{rng.choice(labels)},{r}" if i % 7 else f"{i}.0,{rng.choice(labels)},{r}" for i, r in enumerate(rows)]
    out = both(_write(tmp_path / "a.csv", "id,topic,d0,d1,d2,d3", body), monkeypatch)
    np.testing.assert_array_equal(out[1], X)
    assert BULK_BLOCKS[0] > 5
    assert out[2][:2] == ["0", "w1"] and out[2][7] == "7"  # an id written as a whole float is the integer
    assert set(out[3]["topic"][1]) <= set(labels)


def test_labels_after_and_between_dimensions_same_in_bulk(tmp_path, monkeypatch, small_blocks):
    X, rows = _matrix(5, 150, 4)
    after = [f"{r},lab{i % 3},k{i}" for i, r in enumerate(rows)]
    out = both(_write(tmp_path / "after.csv", "d0,d1,d2,d3,topic,id", after), monkeypatch)
    np.testing.assert_array_equal(out[1], X)
    assert BULK_BLOCKS[0] > 5
    between = [f"{r.split(',', 1)[0]},lab{i % 3},{r.split(',', 1)[1]}" for i, r in enumerate(rows)]
    out = both(_write(tmp_path / "between.csv", "d0,topic,d1,d2,d3", between), monkeypatch)
    np.testing.assert_array_equal(out[1], X)


def test_quoted_cells_same_in_bulk(tmp_path, monkeypatch, small_blocks):
    X, rows = _matrix(6, 150, 3)
    body = [f'"{r.split(",")[0]}",{",".join(r.split(",")[1:])},"a, {i}"' for i, r in enumerate(rows)]
    body[100] = body[100].replace('"a, 100"', '"two\nlines"')  # a quoted cell spanning two lines
    out = both(_write(tmp_path / "a.csv", "a,b,c,note", body), monkeypatch)
    np.testing.assert_array_equal(out[1], X)
    assert out[3]["note"][1][100] == "two\nlines"


def test_tsv_and_space_separated_same_in_bulk(tmp_path, monkeypatch, small_blocks):
    X, rows = _matrix(7, 150, 4)
    out = both(_write(tmp_path / "a.tsv", "a\tb\tc\td", [r.replace(",", "\t") for r in rows]), monkeypatch)
    np.testing.assert_array_equal(out[1], X)
    out = both(_write(tmp_path / "a.txt", None, [r.replace(",", "   ") for r in rows]), monkeypatch, fmt="csv")
    np.testing.assert_array_equal(out[1], X)


def test_blank_lines_same_in_bulk(tmp_path, monkeypatch, small_blocks):
    X, rows = _matrix(8, 120, 3)
    for i in (20, 50, 80):
        rows[i] = rows[i] + "\n" + ("   " if i == 50 else " , , " if i == 80 else "")
    out = both(_write(tmp_path / "a.csv", "a,b,c", rows), monkeypatch)
    np.testing.assert_array_equal(out[1], X)


@pytest.mark.parametrize("cell, message", [
    ("abc", "line 5000, column 'd3': non-numeric value 'abc' in a numeric column"),
    ("", "line 5000, column 'd3': an empty cell in a numeric column"),
    ('"1,5"', "line 5000, column 'd3': '1,5' is a number written with a comma"),
    ("1_000", "line 5000, column 'd3': non-numeric value '1_000' in a numeric column"),
    ("1e999", "line 5000, column 'd3': '1e999' is too large for float64"),
])
def test_bad_cell_deep_in_a_large_file_names_line_and_column(tmp_path, monkeypatch, cell, message):
    # default sample and block sizes: line 5000 is far past the sample, inside a bulk block
    _, rows = _matrix(9, 6000, 6, fmt="%.6g")
    cells = rows[4998].split(",")  # line 5000: the header is line 1
    cells[3] = cell
    rows[4998] = ",".join(cells)
    out = both(_write(tmp_path / "big.csv", ",".join(f"d{i}" for i in range(6)), rows), monkeypatch)
    assert out[0] == "error" and message in out[1]
    assert BULK_BLOCKS[0] >= 1  # the sample was read at once; the block holding line 5000 row by row


def test_bad_cells_nan_deep_in_a_large_file(tmp_path, monkeypatch):
    _, rows = _matrix(10, 6000, 6, fmt="%.6g")
    rows[4998] = "abc," + rows[4998].split(",", 1)[1]
    out = both(_write(tmp_path / "big.csv", ",".join(f"d{i}" for i in range(6)), rows), monkeypatch, bad_cells="nan")
    assert np.isnan(out[1][4998, 0]) and np.isfinite(out[1][4997]).all()


@pytest.mark.parametrize("line, message", [
    ("1,2", "line 3001 has 2 fields but the header has 3"),
    ("# note,1,2", "line 3001 looks like a comment"),
    ("1,2,3,", "line 3001 has 4 fields but the header has 3"),
])
def test_bad_rows_deep_in_a_large_file(tmp_path, monkeypatch, line, message):
    _, rows = _matrix(11, 4000, 3, fmt="%.6g")
    rows[2999] = line
    out = both(_write(tmp_path / "big.csv", "a,b,c", rows), monkeypatch)
    assert out[0] == "error" and message in out[1]


def test_empty_id_deep_in_the_file(tmp_path, monkeypatch, small_blocks):
    _, rows = _matrix(12, 100, 3)
    body = [f"{'' if i == 70 else f'w{i}'},{r}" for i, r in enumerate(rows)]
    out = both(_write(tmp_path / "a.csv", "id,a,b,c", body), monkeypatch)
    assert out[0] == "error" and "line 72, column 'id': the id is empty" in out[1]


def test_random_files_same_in_bulk(tmp_path, monkeypatch, small_blocks):
    """Seeded small files with a few odd cells and rows: both readings agree on every one."""
    r = random.Random(13)
    odd = ["", "abc", "nan", "inf", "1e999", "16777217", "0.1234567891", '"2.5"', "1_0", "\uff16", "\x1c1", " 7 ", "#1"]
    for k in range(40):
        d = r.randint(1, 4)
        lab = r.random() < 0.5
        header = ",".join(([("id")] if lab else []) + [f"d{i}" for i in range(d)] + (["topic"] if lab else []))
        rows = []
        for i in range(r.choice([10, 60])):
            cells = [f"{r.gauss(0, 1):.{r.choice([6, 9])}g}" for _ in range(d)]
            if r.random() < 0.03:
                cells[r.randrange(d)] = r.choice(odd)
            line = ",".join(([f"w{i}"] if lab else []) + cells + ([r.choice(["a", "b c", "é"])] if lab else []))
            rows.append(line if r.random() > 0.02 else r.choice(["", "   ", ",".join(cells[:-1])]))
        both(_write(tmp_path / f"r{k}.csv", header, rows, nl=r.choice(["\n", "\r\n"])), monkeypatch)


def test_needs_float64_block_is_needs_float64():
    r = random.Random(14)
    chars = "0123456789.,-e \n1000"
    for _ in range(3000):
        text = "".join(r.choice(chars) for _ in range(r.randint(0, 60)))
        assert needs_float64_block(text) == needs_float64(text), repr(text)
    assert needs_float64_block("1,2\n0.1234567891") and not needs_float64_block("0.100000000,1000000000")
    assert needs_float64_block("\uff11" + "1234567891") == needs_float64("\uff11" + "1234567891")  # non-ASCII: the regex


def test_fits_float32_checks_every_slice():
    ok = np.array([float("%.6g" % v) for v in np.random.default_rng(15).standard_normal(40000)])
    assert fits_float32(ok)
    bad = ok.copy()
    bad[39000] = 16777217.0  # in the third slice of 16384 values
    assert not fits_float32(bad) and not fits_float32(bad.reshape(200, 200))
