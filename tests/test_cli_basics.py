"""Fast start, output protocol, python -m, atomic --out."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np

HEAVY = ("torch", "umap", "sklearn", "matplotlib", "geoopt", "numba", "pynndescent", "dask")


def _imported_after(args: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from embgeo.cli.app import main\n"
        "try:\n    main(%r)\nexcept SystemExit:\n    pass\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules})))\n" % (args,)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout
    return set(out.strip().splitlines()[-1].split(","))


def test_help_imports_nothing_heavy():
    for args in (["--help"], ["info", "--help"], ["datasets", "list", "--help"]):
        loaded = _imported_after(args)
        assert not loaded & set(HEAVY), (args, loaded & set(HEAVY))


def test_every_command_help_is_light():
    """Every command's --help, including the hyperbolic group's subcommands, imports nothing heavy."""
    import typer.main

    from embgeo.cli.app import app

    group = typer.main.get_command(app)
    paths = []
    for name, cmd in group.commands.items():
        paths.append([name])
        for sub in getattr(cmd, "commands", {}):
            paths.append([name, sub])
    code = (
        "import sys, contextlib, io\n"
        "from embgeo.cli.app import main\n"
        f"for p in {paths!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n            main(p + ['--help'])\n        except SystemExit:\n            pass\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    loaded = set(out.stdout.strip().splitlines()[-1].split(","))
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_python_m_embgeo():
    proc = subprocess.run([sys.executable, "-m", "embgeo", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("embgeo ")


def test_formats_and_stdout_only_data(tmp_path, run_cli):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.save(tmp_path / "x.npy", x)
    res = run_cli(["info", tmp_path / "x.npy", "--format", "json"])
    doc = json.loads(res.stdout)
    assert doc["schema"] == "embgeo.info/1" and doc["results"]["files"][0]["n_rows"] == 4
    assert doc["inputs"] == [{"path": str(tmp_path / "x.npy"), "key": None, "rows": 4, "dims": 3, "dtype": "float32"}]
    assert doc["verdict"]["status"] == "ok"
    np.testing.assert_allclose(doc["results"]["files"][0]["norm_max"], np.linalg.norm(x[-1].astype(np.float64)), rtol=1e-12)  # norms accumulate in float64
    assert res.stderr == ""
    res = run_cli(["info", tmp_path / "x.npy", "-f", "csv"])
    rows = list(csv.reader(io.StringIO(res.stdout)))
    assert rows[0] == ["metric", "value", "ci_low", "ci_high", "unit", "status", "input"]
    assert ["n_rows", "4", "", "", "", "", str(tmp_path / "x.npy")] in rows
    res = run_cli(["info", tmp_path / "x.npy", "-f", "md"])
    assert "| n_rows | 4 |" in res.stdout
    res = run_cli(["info", tmp_path / "x.npy", "-f", "table"])
    assert "rows" in res.stdout and "4" in res.stdout


def test_csv_numbers_are_exact_and_tables_rounded(tmp_path, run_cli):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((50, 6)).astype(np.float32))
    value = json.loads(run_cli(["uniformity", tmp_path / "x.npy", "-f", "json"]).stdout)["results"]["uniformity"]
    rows = dict(r[:2] for r in csv.reader(io.StringIO(run_cli(["uniformity", tmp_path / "x.npy", "-f", "csv"]).stdout)))
    assert float(rows["uniformity"]) == value  # the shortest repr reads back to the same float64
    md = run_cli(["uniformity", tmp_path / "x.npy", "-f", "md"]).stdout
    assert f"| uniformity | {value:.6g} |" in md


def test_out_is_written_atomically_with_format_from_suffix(tmp_path, run_cli):
    np.save(tmp_path / "x.npy", np.ones((3, 2), np.float32))
    res = run_cli(["info", tmp_path / "x.npy", "--out", tmp_path / "r.json"])
    assert res.code == 0 and res.stdout == ""
    assert json.loads((tmp_path / "r.json").read_text())["results"]["files"][0]["n_dims"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "x.npy"]  # no temp file left
    res = run_cli(["info", tmp_path / "x.npy", "--out", tmp_path / "nofolder" / "r.json"])
    assert res.code == 2 and "does not exist" in res.stderr


def test_info_several_files_and_labels(tmp_path, run_cli):
    np.save(tmp_path / "a.npy", np.ones((3, 2), np.float32))
    np.save(tmp_path / "b.npy", np.ones((5, 4), np.float64))
    (tmp_path / "l.csv").write_text("topic\nx\ny\nz\n")
    res = run_cli(["info", tmp_path / "a.npy", tmp_path / "b.npy", "-f", "json"])
    doc = json.loads(res.stdout)
    files = doc["results"]["files"]
    assert [f["n_rows"] for f in files] == [3, 5] and files[1]["duplicate_rows"] == 4
    assert doc["verdict"]["status"] == "warn" and doc["verdict"]["decided_by"] == "duplicate_rows"
    res = run_cli(["info", tmp_path / "a.npy", "--labels", tmp_path / "l.csv", "-f", "json"])
    assert json.loads(res.stdout)["results"]["files"][0]["label_columns"] == ["topic"]
    res = run_cli(["info", tmp_path / "b.npy", "--strict"])  # duplicates trip the gate, after the output is written
    assert res.code == 1 and "duplicate_rows" in res.stdout and "gate" in res.stderr
    assert run_cli(["info", tmp_path / "b.npy", "--fail-on", "bad", "-q"]).code == 0


def test_info_verdict_counts_in_singular_and_plural(tmp_path, run_cli):
    x = np.random.default_rng(0).standard_normal((6, 3))
    cases = {}
    for name, rows in {"nan1": [2], "nan2": [2, 4]}.items():
        y = x.copy()
        y[rows, 0] = np.nan
        cases[name] = y
    cases["zero1"] = np.r_[x[:5], np.zeros((1, 3))]
    cases["dup2"] = np.r_[x[:4], x[:2]]
    cases["one"] = x[:1]
    want = {"nan1": ("1 of 6 rows holds NaN or inf", "drop it (--drop-nonfinite) or fix the file"),
            "nan2": ("2 of 6 rows hold NaN or inf", "drop them (--drop-nonfinite) or fix the file"),
            "zero1": ("1 of 6 rows is all zero (cosine is undefined on it)", "drop it (--drop-zero)"),
            "dup2": ("2 of 6 rows repeat an earlier row exactly", "drop them (--dedupe) before neighbour-based analyses"),
            "one": ("the 1 row is finite, non-zero and distinct", "")}
    for name, y in cases.items():
        np.save(tmp_path / f"{name}.npy", y)
        v = json.loads(run_cli(["info", tmp_path / f"{name}.npy", "-f", "json"]).stdout)["verdict"]
        assert (v["reason"], v["fix"]) == want[name]


def test_outputs_get_normal_permissions(tmp_path):
    import os

    from embgeo.io.writers import write_text

    write_text(tmp_path / "o.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "o.txt").stat().st_mode & 0o777 == 0o666 & ~mask


def test_global_options_reach_commands(tmp_path, run_cli):
    res = run_cli(["datasets", "export", "sphere", "--out", tmp_path / "a.npy", "--n", "5", "--d", "3"])
    assert f"wrote {tmp_path / 'a.npy'} (sphere: n=5, d=3, seed=0)" in res.stderr
    res = run_cli(["-q", "datasets", "export", "sphere", "--out", tmp_path / "b.npy", "--n", "5", "--d", "3"])
    assert res.stderr == "" and res.stdout.strip() == str(tmp_path / "b.npy")
    run_cli(["--seed", "7", "datasets", "export", "sphere", "--out", tmp_path / "c.npy", "--n", "5", "--d", "3"])
    from embgeo.datasets.synthetic import sphere

    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), sphere(5, 3, seed=7))
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), sphere(5, 3, seed=0))  # the default seed again


def test_quiet_and_verbose_work_after_the_command_too(tmp_path, run_cli):
    res = run_cli(["datasets", "export", "sphere", "--out", tmp_path / "b.npy", "--n", "5", "--d", "3", "-q"])
    assert res.code == 0 and res.stderr == ""
