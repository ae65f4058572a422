"""Batch-script settings: a bad EMBGEO_SPILL_BYTES is one error line (not an import crash), seeds of
2**32 and above reach umap-learn through a deterministic reduction (smaller seeds unchanged), and a
read-only home gives no matplotlib warnings under -q."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

BIG_SEED = 2**32  # one past what umap-learn / RandomState take
QUICK_UMAP = ["-m", "umap", "-k", "5", "--epochs", "20"]


def _env(**changes) -> dict:
    env = dict(os.environ)
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def _embgeo(args, env, cwd=None):
    return subprocess.run([sys.executable, "-m", "embgeo", *map(str, args)], capture_output=True, text=True, check=False,
                          timeout=240, env=env, cwd=cwd)


@pytest.fixture
def parquet_file(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    x = np.random.default_rng(5).standard_normal((40, 6)).astype(np.float32)
    path = tmp_path / "emb.parquet"
    pq.write_table(pa.table({"emb": pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), 6)}), path)
    return path, x


@pytest.fixture
def small_npy(tmp_path):
    x = np.random.default_rng(11).standard_normal((60, 8)).astype(np.float32)
    path = tmp_path / "x.npy"
    np.save(path, x)
    return path, x


# ---------------------------------------------------------------- EMBGEO_SPILL_BYTES

@pytest.mark.parametrize("value", ["1G", "-1", "2.5e9", "1 G", "many"])
def test_bad_spill_bytes_is_one_error_line(run_cli, monkeypatch, parquet_file, value):
    path, _ = parquet_file
    monkeypatch.setenv("EMBGEO_SPILL_BYTES", value)
    r = run_cli(["info", path])
    assert r.code == 2, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    line = lines[0]
    assert "EMBGEO_SPILL_BYTES=" in line and value.split()[0] in line
    assert "whole number of bytes" in line and "2000000000" in line
    assert "Traceback" not in r.stderr and "--" not in line.replace("e.g.", "")


@pytest.mark.parametrize("value", ["", "   ", " 1000000 ", "0"])
def test_empty_or_whole_spill_bytes_reads(run_cli, monkeypatch, parquet_file, value):
    path, _ = parquet_file
    monkeypatch.setenv("EMBGEO_SPILL_BYTES", value)
    r = run_cli(["info", path])
    assert r.code == 0, r.stderr
    assert "EMBGEO_SPILL_BYTES" not in r.stderr


def test_spill_bytes_is_read_when_used(monkeypatch, parquet_file):
    from embgeo.errors import EmbgeoError
    from embgeo.io import columnar, load

    path, x = parquet_file
    monkeypatch.delenv("EMBGEO_SPILL_BYTES", raising=False)
    assert columnar.spill_bytes() == columnar.DEFAULT_SPILL_BYTES == 512 * 2**20
    monkeypatch.setenv("EMBGEO_SPILL_BYTES", "")
    assert columnar.spill_bytes() == columnar.DEFAULT_SPILL_BYTES
    monkeypatch.setenv("EMBGEO_SPILL_BYTES", " 2000000000 ")
    assert columnar.spill_bytes() == 2_000_000_000
    monkeypatch.setenv("EMBGEO_SPILL_BYTES", "0")  # always spill: the matrix comes back memory-mapped, same values
    es = load(path)
    assert isinstance(es.matrix, np.memmap)
    np.testing.assert_array_equal(np.asarray(es.matrix), x)
    monkeypatch.setenv("EMBGEO_SPILL_BYTES", "1G")
    with pytest.raises(EmbgeoError, match="EMBGEO_SPILL_BYTES=1G is not a whole number of bytes"):
        columnar.spill_bytes()
    monkeypatch.setattr(columnar, "SPILL_BYTES", 123)  # a number set in Python wins over the variable
    assert columnar.spill_bytes() == 123


def test_bad_spill_bytes_does_not_break_import_help_or_npy(tmp_path, small_npy):
    path, _ = small_npy
    env = _env(EMBGEO_SPILL_BYTES="1G")
    imp = subprocess.run([sys.executable, "-c", "import embgeo.io.columnar, embgeo.io"], capture_output=True, text=True, check=False, timeout=120, env=env)
    assert imp.returncode == 0, imp.stderr
    helped = _embgeo(["--help"], env)
    assert helped.returncode == 0 and "Traceback" not in helped.stderr
    info = _embgeo(["info", path], env)  # a .npy never spills: the variable is not used
    assert info.returncode == 0 and "Traceback" not in info.stderr, info.stderr


# ---------------------------------------------------------------- seeds ≥ 2**32

def test_legacy_seed_keeps_32_bit_seeds_and_reduces_larger_ones():
    from embgeo.errors import EmbgeoError
    from embgeo.projection import MAX_LEGACY_SEED, legacy_seed

    for s in (0, 1, 7, 12345, 2**31 - 1, 2**31, MAX_LEGACY_SEED, np.int64(42), np.uint32(MAX_LEGACY_SEED)):
        assert legacy_seed(s) == int(s)
    for s in (BIG_SEED, BIG_SEED + 1, 2**64, 10**40):
        got = legacy_seed(s)
        assert isinstance(got, int) and 0 <= got <= MAX_LEGACY_SEED
        assert got == int(np.random.SeedSequence(s).generate_state(1, dtype=np.uint32)[0]) == legacy_seed(s)
        np.random.RandomState(got)  # accepted by the legacy API
    assert len({legacy_seed(BIG_SEED + i) for i in range(200)}) == 200  # no collisions among nearby big seeds
    for bad in (-1, True, 1.5, "3", None):
        with pytest.raises(EmbgeoError):
            legacy_seed(bad)


def _coords_from_csv(text: str) -> np.ndarray:
    rows = list(csv.DictReader(io.StringIO(text)))
    return np.array([[float(r["x"]), float(r["y"])] for r in rows])


@pytest.mark.parametrize("method", ["umap", "hyperbolic-umap"])
def test_big_seed_maps_are_reproducible(run_cli, small_npy, method):
    pytest.importorskip("umap")
    path, _ = small_npy
    argv = ["-q", "--seed", BIG_SEED, "project", path, "-m", method, "-k", "5", "--epochs", "20", "-f", "csv"]
    a, b = run_cli(argv), run_cli(argv)
    assert a.code == 0, a.stderr
    assert "Seed must be" not in a.stderr and "internal error" not in a.stderr
    A, B = _coords_from_csv(a.stdout), _coords_from_csv(b.stdout)
    assert A.shape == (60, 2) and np.isfinite(A).all()
    np.testing.assert_array_equal(A, B)


def test_big_seed_is_recorded_with_the_seed_umap_got(run_cli, small_npy):
    pytest.importorskip("umap")
    from embgeo.projection import legacy_seed

    path, _ = small_npy
    r = run_cli(["-q", "--seed", BIG_SEED, "project", path, *QUICK_UMAP, "-f", "json"])
    assert r.code == 0, r.stderr
    res = json.loads(r.stdout)["results"]
    assert res["seed"] == BIG_SEED
    assert res["params"]["random_state"] == legacy_seed(BIG_SEED) != 0


@pytest.mark.parametrize("seed", [7, 2**32 - 1])
def test_32_bit_seeds_reach_umap_unchanged(run_cli, small_npy, seed):
    """A seed below 2**32 gives exactly the map umap-learn draws with that random_state (as before the change)."""
    umap = pytest.importorskip("umap")
    import warnings

    from embgeo.projection import project

    path, x = small_npy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = umap.UMAP(n_components=2, n_neighbors=5, min_dist=0.1, metric="cosine", random_state=seed, n_epochs=20,
                        transform_seed=seed).fit_transform(x)
    p = project(x, method="umap", k=5, n_epochs=20, seed=seed)
    np.testing.assert_array_equal(p.coordinates, np.asarray(ref, dtype=np.float64))
    assert p.seed == seed and p.params["random_state"] == seed
    r = run_cli(["-q", "--seed", seed, "project", path, *QUICK_UMAP, "-f", "csv"])
    assert r.code == 0, r.stderr
    np.testing.assert_array_equal(_coords_from_csv(r.stdout), np.asarray(ref, dtype=np.float64))


# ---------------------------------------------------------------- matplotlib on a read-only home

def _unwritable_home(tmp_path):
    """A home whose ~/.config and ~/.cache are files: matplotlib cannot create its folders there (as a
    read-only home, which root would still write)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".config").write_text("not a folder")
    (home / ".cache").write_text("not a folder")
    (home / ".matplotlib").write_text("not a folder")
    return home


def test_quiet_plot_with_unwritable_home_prints_no_matplotlib_warning(tmp_path, small_npy):
    path, _ = small_npy
    home, tmp = _unwritable_home(tmp_path), tmp_path / "tmp"
    tmp.mkdir()
    env = _env(HOME=str(home), TMPDIR=str(tmp), MPLCONFIGDIR=None, XDG_CONFIG_HOME=None, XDG_CACHE_HOME=None)
    probe = subprocess.run([sys.executable, "-c", "import matplotlib.figure"], capture_output=True, text=True, check=False, timeout=120, env=env)
    assert "mkdir -p failed" in probe.stderr or "temporary cache directory" in probe.stderr  # the setting reproduces the problem
    out = tmp_path / "p.png"
    r = _embgeo(["-q", "project", path, "-m", "pca", "--plot", out], env)
    assert r.returncode == 0, r.stderr
    assert "mkdir -p failed" not in r.stderr and "temporary cache directory" not in r.stderr and "Matplotlib" not in r.stderr, r.stderr
    assert r.stderr.strip() == "", r.stderr
    assert out.stat().st_size > 0
    folder = tmp / f"embgeo-mpl-{os.getuid()}"
    assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o700  # per user, kept for the font cache


def test_user_mplconfigdir_is_never_overridden(tmp_path, monkeypatch):
    from embgeo.plots import _mplconfig

    home = _unwritable_home(tmp_path)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.delitem(sys.modules, "matplotlib", raising=False)  # as before matplotlib is first imported
    mine = tmp_path / "mine"
    monkeypatch.setenv("MPLCONFIGDIR", str(mine))
    assert _mplconfig.use_writable_config() is None and os.environ["MPLCONFIGDIR"] == str(mine)
    monkeypatch.delenv("MPLCONFIGDIR")
    got = _mplconfig.use_writable_config()  # unwritable default: the per-user folder
    assert got == str(tmp_path / f"embgeo-mpl-{os.getuid()}") == os.environ["MPLCONFIGDIR"]
    monkeypatch.delenv("MPLCONFIGDIR")
    monkeypatch.setenv("HOME", str(tmp_path / "good-home"))  # writable default: nothing changes
    assert _mplconfig.use_writable_config() is None and "MPLCONFIGDIR" not in os.environ


def test_no_change_once_matplotlib_is_imported(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib  # noqa: F401

    from embgeo.plots import _mplconfig

    monkeypatch.setenv("HOME", str(_unwritable_home(tmp_path)))
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    assert _mplconfig.use_writable_config() is None and "MPLCONFIGDIR" not in os.environ


def test_planted_per_user_folder_is_not_used(tmp_path, monkeypatch):
    from embgeo.plots import _mplconfig

    monkeypatch.setenv("HOME", str(_unwritable_home(tmp_path)))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.delitem(sys.modules, "matplotlib", raising=False)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / f"embgeo-mpl-{os.getuid()}")  # a link planted in the shared temp folder
    assert _mplconfig.use_writable_config() is None and "MPLCONFIGDIR" not in os.environ


def test_large_seeds_reach_the_probe_and_the_hyperbolic_umap(run_cli, tmp_path):
    """`layers --class` (scikit-learn folds) and `hyperbolic reembed --umap` crashed on a seed ≥ 2**32
    ("Seed must be between 0 and 2**32 - 1"); both go through legacy_seed, as `project` does."""
    import json

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 6))
    np.save(tmp_path / "stack.npy", np.stack([X, X + 0.1 * rng.normal(size=X.shape)]))
    (tmp_path / "lab.csv").write_text("c\n" + "\n".join(str(i % 3) for i in range(90)) + "\n")
    np.save(tmp_path / "x.npy", X)
    args = ["layers", tmp_path / "stack.npy", "--labels", tmp_path / "lab.csv", "--join", "row-order", "--class", "c", "-f", "json"]
    big = run_cli(["-q", "--seed", str(2**32), *args])
    assert big.code == 0, big.stderr
    again = run_cli(["-q", "--seed", str(2**32), *args])
    assert json.loads(big.stdout)["results"] == json.loads(again.stdout)["results"]
    umap = run_cli(["-q", "--seed", str(2**32 + 5), "hyperbolic", "reembed", tmp_path / "x.npy", "--umap", "--k", "5", "-f", "json"])
    assert umap.code == 0, umap.stderr
