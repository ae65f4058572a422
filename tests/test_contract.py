"""Every analysis command against the output contract of docs/output.md (issue 15).

Each command runs on the bundled data in JSON and CSV with ``-q``: the JSON has exactly the
contract's top-level keys, ``inputs`` entries are ``{path, key, rows, dims}``, the verdict is one
of ok|warn|bad|info and names a metric that the CSV has; the CSV is tidy (``metric,value,ci_low,
ci_high,unit,status`` first, machine ids, numeric intervals); stdout holds only the data and stderr
nothing under ``-q``. Exit codes 0/1/2/130 are checked at the end.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from embgeo.cli.output import CONTRACT_KEYS, TIDY_COLUMNS, TIMING_KEYS
from embgeo.datasets.registry import path

DATA = Path(path("sentences")).parent
ID_RE = re.compile(r"^[a-z0-9_.]+$")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("contract")
    X = np.load(DATA / "sentences.npy").astype(np.float32)[:300]
    ids = np.array([f"s{i:04d}" for i in range(300)])
    np.savez(d / "x.npz", embeddings=X, ids=ids)
    with open(DATA / "sentences.csv", newline="") as f:
        rows = list(csv.reader(f))
    with open(d / "labels.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows[:301])
    rng = np.random.default_rng(0)
    np.savez(d / "y.npz", embeddings=X @ np.linalg.qr(rng.normal(size=(384, 384)))[0] + 0.01 * rng.normal(size=X.shape), ids=ids)
    np.save(d / "a.npy", np.load(DATA / "paraphrases_a.npy").astype(np.float32)[:200])
    np.save(d / "b.npy", np.load(DATA / "paraphrases_b.npy").astype(np.float32)[:200])
    np.save(d / "stack.npy", np.stack([X, X + 0.05 * rng.normal(size=X.shape), X * 2 + 0.1 * rng.normal(size=X.shape)]).astype(np.float32))
    # the coordinates "hyperbolic eval" reads, made here: a test never relies on another having run first
    # (make test spreads the tests over processes)
    from typer.testing import CliRunner

    from embgeo.cli.app import app

    res = CliRunner().invoke(app, ["-q", *map(str, _args("hyperbolic train", d))])
    assert res.exit_code == 0 and (d / "t.npz").is_file(), res.output
    return d


def _args(name, d):
    edges = path("smalltree")
    return {
        "info": ["info", d / "x.npz", "--labels", d / "labels.csv"],
        "uniformity": ["uniformity", d / "x.npz"],
        "gap": ["gap", d / "a.npy", d / "b.npy"],
        "id": ["id", d / "x.npz", "-m", "twonn,mle", "--bootstrap", "20"],
        "id --layers": ["id", d / "stack.npy", "--layers", "-m", "twonn", "--bootstrap", "0"],
        "layers": ["layers", d / "stack.npy"],
        "rank": ["rank", d / "x.npz", "--labels", d / "labels.csv", "--attr", "number", "-m", "regression",
                 "--bootstrap", "20", "--shuffles", "20", "--random-directions", "20"],
        "cosine": ["cosine", d / "x.npz"],
        "compare": ["compare", d / "x.npz", d / "y.npz", "--bootstrap", "10", "--permutations", "10"],  # the same option names as id and rank
        "hyperbolic train": ["hyperbolic", "train", edges, "--dim", "2", "--epochs", "5", "--coords", d / "t.npz"],
        "hyperbolic eval": ["hyperbolic", "eval", d / "t.npz", edges],
        "hyperbolic combinatorial": ["hyperbolic", "combinatorial", edges],
        "hyperbolic hmds": ["hyperbolic", "hmds", edges, "--dim", "2"],
        "hyperbolic delta": ["hyperbolic", "delta", d / "a.npy"],
        "hyperbolic reembed": ["hyperbolic", "reembed", d / "a.npy", "--dim", "2"],
        "project": ["project", d / "x.npz", "--method", "pca"],
        "report": ["report", d / "x.npz", "--html", d / "r.html", "--reembed-sample", "0", "--map", "none"],
    }[name]


COMMANDS = ["info", "uniformity", "gap", "id", "id --layers", "layers", "rank", "cosine", "compare", "hyperbolic train",
            "hyperbolic eval", "hyperbolic combinatorial", "hyperbolic hmds", "hyperbolic delta", "hyperbolic reembed",
            "project", "report"]


def _flat_keys(obj, prefix=""):
    keys = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            keys.add(f"{prefix}{k}")
            keys.add(str(k))
            keys |= _flat_keys(v, f"{prefix}{k}.")
    elif isinstance(obj, list):
        for v in obj:
            keys |= _flat_keys(v, prefix)
    return keys


#: settings that record what the run derived, not an option: the engine of uniformity/gap
DERIVED_SETTINGS = {"engine"}


#: options that choose where and how the output is written or shown, not what is computed or read
NOT_SETTINGS = {"format", "out", "quiet", "verbose", "help", "version", "html", "plot", "coords", "write_direction", "save_axis",
                "write_processed", "map_out", "self_contained", "progress", "title", "plot_out", "open", "plot_metric"}


def _option_names(name: str, own: bool = False) -> set:
    """The command's options (and the root's: --seed, --device …) as settings keys: ``--id-col`` is ``id_col``,
    a ``--x/--no-x`` or ``--no-x`` flag ``x``. With ``own``: the command's own options but :data:`NOT_SETTINGS`, each
    as the set of keys it may be recorded under."""
    import typer

    from embgeo.cli.app import app

    root = typer.main.get_command(app)
    cmds = [root]
    for part in name.replace(" --layers", "").split():
        cmds.append(cmds[-1].commands[part])
    out = set()
    for c in (cmds[-1],) if own else (cmds[0], cmds[-1]):
        for p in c.params:
            names = [o[2:].replace("-", "_") for o in p.opts if o.startswith("--")]
            if own:  # every name an option may be recorded under, one entry per option (a hidden old name is its new one's)
                if names and not getattr(p, "hidden", False) and not set(names) & NOT_SETTINGS:
                    out.add(frozenset(names + [n[3:] for n in names if n.startswith("no_")]))
                continue
            out.update(names + [n[3:] for n in names if n.startswith("no_")])  # --no-mlp is recorded as mlp: false
    return out


@pytest.mark.parametrize("name", COMMANDS)
def test_command_follows_the_contract(name, data, run_cli):
    args = _args(name, data)
    res = run_cli(["-q", *args, "-f", "json"])
    assert res.code == 0, (name, res.stderr)
    assert res.stderr == "", (name, res.stderr)  # -q: nothing but errors on stderr
    doc = json.loads(res.stdout)  # stdout is exactly one JSON document
    assert list(doc) == CONTRACT_KEYS, (name, list(doc))
    from embgeo.results import SCHEMA_VERSIONS
    name_dots = doc["command"].replace(" ", ".")
    assert doc["schema"] == f"embgeo.{name_dots}/{SCHEMA_VERSIONS.get(name_dots, 1)}"
    assert doc["command"] == name.replace(" --layers", "")
    assert doc["inputs"] and all(set(i) == {"path", "key", "rows", "dims", "dtype"} for i in doc["inputs"]), doc["inputs"]
    assert isinstance(doc["settings"], dict) and doc["settings"]
    if name not in ("info",):
        assert "seed" in doc["settings"], (name, sorted(doc["settings"]))
    # every setting is recorded under its option's name (--bootstrap is "bootstrap" in every command),
    # but for the few values the run derives (which engine ran, how the edges were oriented)
    foreign = sorted(set(doc["settings"]) - _option_names(name) - DERIVED_SETTINGS)
    assert not foreign, f"{name}: settings keys that name no option of the command: {foreign}"
    # and every option that changes what is computed or read is recorded (docs/output.md: "every option value the run used")
    unrecorded = sorted("/".join(sorted(o)) for o in _option_names(name, own=True) if not o & set(doc["settings"]))
    assert not unrecorded, f"{name}: options the settings do not record: {unrecorded}"
    v = doc["verdict"]
    assert set(v) == {"status", "reason", "fix", "decided_by", "decided_row"} and v["status"] in ("ok", "warn", "bad", "info") and v["reason"]
    assert isinstance(doc["notes"], list) and all(isinstance(n, str) for n in doc["notes"])
    # notes are one top-level list: no command repeats some of them inside its results
    assert not (isinstance(doc["results"], dict) and "notes" in doc["results"]), name
    text = json.dumps(doc["results"])
    assert '"n_samples"' not in text and '"n_features"' not in text and '"interval"' not in text, name
    # one pair of row counts: n_rows (measured) and n_rows_in (given); no other spelling of either
    for other in ("n_read", "n_rows_total", "n_rows_used", "n_samples_in"):
        assert f'"{other}"' not in text, (name, other)

    res = run_cli(["-q", *args, "-f", "csv"])
    assert res.code == 0 and res.stderr == "", (name, res.stderr)
    rows = list(csv.reader(io.StringIO(res.stdout)))
    if name == "project":  # a map's data are its coordinates: one row per mapped row (docs/output.md)
        assert rows[0][:4] == ["row", "id", "x", "y"] and len(rows) == 301
        return
    assert rows[0][:6] == TIDY_COLUMNS, (name, rows[0])
    assert len(rows) > 1
    json_keys = _flat_keys(doc["results"])
    ids = set()
    for r in rows[1:]:
        rec = dict(zip(rows[0], r))
        assert ID_RE.match(rec["metric"]), (name, rec["metric"])
        ids.add(rec["metric"])
        for col in ("ci_low", "ci_high"):
            if rec[col] != "":
                assert math.isfinite(float(rec[col])) or rec[col] in ("nan", "inf", "-inf"), (name, rec)
        assert rec["status"] in ("", "ok", "warn", "bad", "info"), (name, rec)
    missing = sorted(i for i in ids if i not in json_keys and i.split(".")[-1] not in json_keys)
    assert not missing, f"{name}: CSV ids missing from the JSON results: {missing[:10]}"
    if v["decided_by"] is not None:
        assert v["decided_by"] in ids or v["decided_by"] in json_keys, (name, v["decided_by"])
    if v["decided_by"] in ids:  # the row that decided carries the verdict's status, info included
        statuses = {dict(zip(rows[0], r))["status"] for r in rows[1:] if dict(zip(rows[0], r))["metric"] == v["decided_by"]}
        assert v["status"] in statuses, (name, v["decided_by"], v["status"], statuses)
        assert_one_deciding_row(name, v, [dict(zip(rows[0], r)) for r in rows[1:]])


def assert_one_deciding_row(name, v, records) -> None:
    """The verdict names one CSV row (docs/output.md): ``decided_by`` with ``decided_row``'s columns picks exactly one
    row carrying the verdict's status; without ``decided_row`` one row of that id carries the status (the others
    none or another), or every row of the id does (the verdict holds for each: ``ok`` in every layer)."""
    same = [r for r in records if r["metric"] == v["decided_by"]]
    if v["decided_row"]:
        picked = [r for r in same if all(r.get(k) == str(x) for k, x in v["decided_row"].items())]
        assert len(picked) == 1 and picked[0]["status"] == v["status"], (name, v, picked)
    else:
        carrying = [r for r in same if r["status"] == v["status"]]
        assert len(carrying) == 1 or len(carrying) == len(same), (name, v, [r["status"] for r in same])


def _hubs(d):
    """docs/cosine.md's hub-ridden set: ten Gaussian classes of different spreads; retrieval decides (bad)."""
    rng = np.random.default_rng(0)
    centres, spread = rng.standard_normal((10, 100)), rng.uniform(0.5, 3.0, size=10)
    X = np.concatenate([centres[c] + spread[c] * rng.standard_normal((30, 100)) for c in range(10)])
    np.save(d / "hubs.npy", X.astype(np.float32))
    (d / "hubs.csv").write_text("cls\n" + "\n".join(f"c{i // 30}" for i in range(300)) + "\n")
    return ["cosine", d / "hubs.npy", "--labels", d / "hubs.csv", "--join", "row-order", "--class", "cls"]


#: runs whose deciding metric id has one row per layer / similarity / pair: decided_row picks the one
MULTI_ROW = {
    "cosine --class": (_hubs, {"method": "mp_empirical"}),
    "id --layers": (lambda d: ["id", d / "stack.npy", "--layers", "--bootstrap", "0"], {"layer": "layer0"}),
    "rank --layers": (lambda d: ["rank", d / "stack.npy", "--layers", "--labels", d / "labels.csv", "--attr", "number", "-m", "regression",
                                 "--bootstrap", "0", "--shuffles", "10", "--random-directions", "10", "--join", "row-order"], {"layer": "layer0", "method": "regression"}),
    "layers": (lambda d: ["layers", d / "stack.npy"], {"layer": "layer0"}),
    "compare --prefix-dims": (lambda d: ["compare", d / "x.npz", "--prefix-dims", "32,64", "--bootstrap", "0", "--permutations", "0"],
                              lambda d: {"x": str(d / "x.npz"), "y": f"{d / 'x.npz'}[:32]"}),
}


@pytest.mark.parametrize("name", sorted(MULTI_ROW))
def test_the_verdict_names_one_row_where_an_id_has_several(name, data, run_cli):
    """``decided_by`` named a metric id that several CSV rows carry (a layer each, a similarity each) — four
    ``precision_gain`` rows were ``bad``; ``decided_row`` names the columns of the one that decided, the same row in
    JSON, CSV and the table's verdict line."""
    make, expected = MULTI_ROW[name]
    args = make(data)
    expected = expected(data) if callable(expected) else expected
    doc = json.loads(run_cli(["-q", *args, "-f", "json"]).stdout)
    v = doc["verdict"]
    assert v["decided_row"] == expected, (name, v)
    rows = list(csv.DictReader(io.StringIO(run_cli(["-q", *args, "-f", "csv"]).stdout)))
    assert sum(r["metric"] == v["decided_by"] for r in rows) > 1  # the case this is about
    assert_one_deciding_row(name, v, rows)
    line = "".join(f", {k} {x}" for k, x in expected.items())
    assert f"(decided by: {v['decided_by']}{line})" in run_cli(["-q", *args, "-f", "md"]).stdout


def _without_timing(obj):
    if isinstance(obj, dict):
        return {k: _without_timing(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_without_timing(v) for v in obj]
    return obj


@pytest.mark.parametrize("name", COMMANDS)
def test_a_second_run_gives_the_same_output(name, data, run_cli):
    """Reproducible: the same command, inputs and seed give the same JSON, byte for byte, but for the
    timing values (TIMING_KEYS) — no unseeded randomness, no clock, no state left by the first run. Both runs
    are in this process (one BLAS thread, one hash seed); across processes with other hash seeds: the
    next test (four commands that read labels and ids or bootstrap).
    (The CSV and the tables are rendered from the same results.) delta runs its sampled search here, the
    seeded path (its exact search, the contract run's, has no randomness)."""
    args = _args(name, data) + (["-m", "sampled", "--quadruples", "20000", "--subsets", "5"] if name == "hyperbolic delta" else [])
    first, second = (run_cli(["-q", *args, "-f", "json"]) for _ in range(2))
    assert first.code == second.code == 0, (name, first.stderr, second.stderr)
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert json.dumps(_without_timing(a)) == json.dumps(_without_timing(b)), name


@pytest.mark.parametrize("name", ["id", "rank", "cosine", "info"])
def test_two_processes_with_other_hash_seeds_give_the_same_output(name, data):
    """Across processes too (the in-process test above shares one hash seed): string hashing decides the
    order of sets and dicts of labels and ids; two processes with PYTHONHASHSEED 1 and 2 must print the
    same JSON but for the timing values. Commands that read labels, ids or draw bootstrap samples."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "embgeo", "-q", *map(str, _args(name, data)), "-f", "json"],
                              capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, (name, proc.stderr)
        outs.append(json.dumps(_without_timing(json.loads(proc.stdout))))
    assert outs[0] == outs[1], name


def test_fail_on_gate_exits_1_after_writing(tmp_path, run_cli):
    """Collapsed embeddings: uniformity's verdict is bad; --fail-on bad exits 1 and the data is still written."""
    rng = np.random.default_rng(0)
    X = np.ones((200, 16)) + 1e-3 * rng.normal(size=(200, 16))
    np.save(tmp_path / "c.npy", X)
    res = run_cli(["uniformity", tmp_path / "c.npy", "--fail-on", "bad", "--out", tmp_path / "u.json"])
    doc = json.loads((tmp_path / "u.json").read_text())
    assert doc["verdict"]["status"] == "bad"
    assert res.code == 1 and "gate" in res.stderr and "--fail-on bad" in res.stderr
    assert run_cli(["-q", "uniformity", tmp_path / "c.npy", "-f", "json"]).code == 0  # no gate asked: exit 0
    res = run_cli(["-q", "uniformity", tmp_path / "c.npy", "--fail-on", "warn", "-f", "csv"])
    assert res.code == 1 and res.stderr == "" and res.stdout.startswith("metric,")


def test_usage_and_input_errors_exit_2(tmp_path, run_cli):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(50, 4)))
    for args in (["uniformity", tmp_path / "missing.npy"], ["uniformity", tmp_path / "x.npy", "--fail-on", "maybe"],
                 ["uniformity", tmp_path / "x.npy", "-f", "json", "--out", tmp_path / "u.csv"]):
        res = run_cli(args)
        assert res.code == 2, args
        assert res.stderr.startswith("embgeo: error:") and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "u.csv").exists()


_STARTED = 0.0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc); without /proc, the wall time since the test's
    start stands in (4 s, as before)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _STARTED


def test_interrupt_exits_130_and_leaves_no_partial_file(tmp_path):
    X = np.random.default_rng(0).normal(size=(6000, 64)).astype(np.float32)
    np.save(tmp_path / "big.npy", X)
    out = tmp_path / "id.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # ~40 s of bootstrap uninterrupted (2 cores), so the signal at 4 s lands mid-computation even on a much faster
    # machine (with 5000 replicates a fast, idle run could finish first); SIGINT restored in the child, because a shell
    # that starts the tests in the background hands its children SIGINT ignored (POSIX), and Python keeps that
    proc = subprocess.Popen([sys.executable, "-m", "embgeo", "id", str(tmp_path / "big.npy"), "-m", "twonn,mle,gride",
                             "--bootstrap", "50000", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # the signal goes when the child has spent 4 CPU-seconds (imports take ~1.5): mid-computation, however loaded
    # the machine is (a fixed 4 s of wall time could land before Python had installed its handler: exit −2)
    global _STARTED
    _STARTED = time.monotonic()
    deadline = _STARTED + 90
    while time.monotonic() < deadline and proc.poll() is None and _cpu_seconds(proc.pid) < 4.0:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, stderr[-500:])
    assert b"interrupted" in stderr and b"Traceback" not in stderr
    assert [p.name for p in tmp_path.iterdir()] == ["big.npy"]  # neither the output nor a temporary file


@pytest.mark.parametrize("name", ["rank", "layers", "project", "hyperbolic delta", "info"])
def test_a_cpu_only_command_records_the_cpu_and_says_so_under_device_cuda(name, data, run_cli):
    """docs/output.md: settings.device is where the work ran. Commands that cannot use a GPU ran on the CPU:
    settings.device is "cpu", and a global --device cuda (ignored without a word before) is a note."""
    args = _args(name, data)
    plain = json.loads(run_cli(["-q", *args, "-f", "json"]).stdout)
    assert plain["settings"]["device"] == "cpu" and not any("--device" in n for n in plain["notes"])
    res = run_cli(["--device", "cuda", *args, "-f", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    command = doc["command"]
    assert doc["settings"]["device"] == "cpu"
    assert f"--device cuda: {command} runs on the CPU; the GPU was not used" in doc["notes"]
    assert f"--device cuda: {command} runs on the CPU" in res.stderr


def test_an_interrupt_after_the_command_returned_is_the_same_one_line(monkeypatch, capsys, tmp_path):
    """A Ctrl-C landing after the command itself returned (outside its own handler) used to unwind as a
    traceback; it is the same "embgeo: error: interrupted" and exit 130, and the outputs are taken back."""
    import embgeo.cli.app as app
    from embgeo.io.writers import write_text

    out = tmp_path / "r.json"

    def returned_then_interrupted(args, click_exc):
        write_text(out, "{}\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(app, "_run", returned_then_interrupted)
    with pytest.raises(SystemExit) as exc:
        app.main(["info", str(tmp_path / "x.npy")])
    err = capsys.readouterr().err
    assert exc.value.code == 130 and err.startswith("embgeo: error: interrupted") and "Traceback" not in err
    assert not out.exists() and "took back" in err


def test_a_bug_is_one_line_and_exit_70_not_the_gate_code(monkeypatch, capsys):
    """An exception embgeo did not expect ended in a traceback and exit 1 — the code of a tripped --fail-on,
    so `embgeo … --fail-on bad || echo "collapsed"` read a crash as a verdict. It is one line, exit 70
    (EX_SOFTWARE); -v (or EMBGEO_TRACEBACK=1) shows the traceback first."""
    import embgeo.cli.app as app
    from embgeo.cli.exits import INTERNAL_ERROR

    def broken(args, click_exc):
        raise ValueError("Seed must be between 0 and 2**32 - 1\nmore text")

    monkeypatch.setattr(app, "_run", broken)
    with pytest.raises(SystemExit) as exc:
        app.main(["info", "x.npy"])
    err = capsys.readouterr().err
    assert exc.value.code == INTERNAL_ERROR == 70 and "Traceback" not in err and err.count("\n") == 1
    assert err.startswith("embgeo: error: internal error (a bug in embgeo;") and err.rstrip().endswith("ValueError: Seed must be between 0 and 2**32 - 1")
    monkeypatch.setenv("EMBGEO_TRACEBACK", "1")
    with pytest.raises(SystemExit):
        app.main(["info", "x.npy"])
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().splitlines()[-1].startswith("embgeo: error: internal error")


def test_a_stream_that_cannot_encode_a_character_escapes_it(tmp_path):
    """A Latin-1 stdout crashed on the '≥' of a verdict (UnicodeEncodeError); it writes \\u2265, which JSON reads back."""
    import os
    import subprocess
    import sys

    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(50, 4)))
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    res = subprocess.run([sys.executable, "-m", "embgeo", "uniformity", str(tmp_path / "x.npy"), "-f", "json"],
                         capture_output=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout.decode("latin-1"))
    assert "≥" in doc["verdict"]["reason"] or "<" in doc["verdict"]["reason"]
    table = subprocess.run([sys.executable, "-m", "embgeo", "uniformity", str(tmp_path / "x.npy")], capture_output=True, env=env, timeout=120)
    assert table.returncode == 0 and b"\\u2014" in table.stdout


def test_a_reader_that_left_is_141_not_the_gate_code(tmp_path):
    """Typer turned a broken pipe into a silent exit 1 — a tripped --fail-on's code. It is SIGPIPE's 141."""
    import subprocess
    import sys

    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(50, 4)))
    proc = subprocess.Popen([sys.executable, "-m", "embgeo", "-q", "uniformity", str(tmp_path / "x.npy"), "-f", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader leaves before the first byte
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141 and b"Traceback" not in err and b"error" not in err


def test_a_reader_that_leaves_mid_output_is_141_too(tmp_path):
    """A large output (1.3 MB of CSV) that the reader stops reading after 100 bytes (``| head -c 100``): Python's
    buffered stdout lost the broken pipe after a partial write and the run ended 0, as if every row had been read."""
    import subprocess
    import sys

    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(30000, 4)))
    proc = subprocess.Popen([sys.executable, "-m", "embgeo", "-q", "project", str(tmp_path / "x.npy"), "-m", "pca", "-f", "csv"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read()
    assert head.startswith(b"row,x,y")
    assert proc.wait(timeout=120) == 141 and b"Traceback" not in err and b"error" not in err
    full = subprocess.run([sys.executable, "-m", "embgeo", "-q", "project", str(tmp_path / "x.npy"), "-m", "pca", "-f", "csv"],
                          capture_output=True, timeout=120)
    assert full.returncode == 0 and full.stdout.count(b"\n") == 30001 and full.stdout.startswith(head)


def test_every_file_a_run_writes_besides_its_data_is_one_wrote_line(data, run_cli, tmp_path):
    # one wording for side files (docs/output.md): "wrote FILE (what it holds)"; --out itself gets no line
    cli = Path(__file__).resolve().parents[1] / "cli"
    src = "\n".join(p.read_text() for p in cli.rglob("*.py") if p != cli / "common.py")  # (common.py defines wrote)
    for old in ('message(f"wrote', "written to {", 'message(f"plot:', 'message(f"map:', 'message(f"coordinates:'):
        assert old not in src, f"use cli.common.wrote, not {old!r}"
    res = run_cli(["project", data / "x.npz", "--method", "pca", "--plot", tmp_path / "m.png", "--coords", tmp_path / "c.csv",
                   "-o", tmp_path / "out.json"])
    assert res.code == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("wrote ")]
    assert lines == [f"wrote {tmp_path / 'm.png'} (map)", f"wrote {tmp_path / 'c.csv'} (coordinates of 300 rows)"], res.stderr
    assert res.stdout == "" and json.loads((tmp_path / "out.json").read_text())["command"] == "project"
