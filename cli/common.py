"""Shared options, input loading, progress and messages for every command."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from embgeo.cli.output import Format, emit_result, input_entry  # noqa: F401  (re-exported)


class Device(str, Enum):
    """Where heavy work runs (the global --device and per-command overrides)."""

    cpu = "cpu"
    cuda = "cuda"
    auto = "auto"


@dataclass
class Settings:
    seed: int = 0
    device: str = "cpu"
    quiet: bool = False
    verbose: bool = False
    #: the root options written on the command line (``seed``, ``device``): a command's own option may not contradict them
    given: frozenset = frozenset()


_SETTINGS: ContextVar[Settings] = ContextVar("embgeo_settings", default=Settings())


def set_settings(value: Settings) -> None:
    """Called by the root callback once per invocation."""
    _SETTINGS.set(value)


def settings() -> Settings:
    """The global options of the running invocation (--seed, --device, --quiet, --verbose)."""
    return _SETTINGS.get()


def seed_value(local: Optional[int]) -> int:
    """The command's ``--seed``, else the global one; both written, with different values, is an error (one would be
    dropped silently)."""
    check_root_agrees("seed", local)
    return settings().seed if local is None else local


def check_root_agrees(name: str, local) -> None:
    """``embgeo --NAME A COMMAND --NAME B`` with A ≠ B: refuse (never pick one silently)."""
    glob = getattr(settings(), name)
    local = getattr(local, "value", local)
    if local is None or name not in settings().given or str(local).lower() == str(glob).lower():
        return
    from embgeo.errors import EmbgeoError

    raise EmbgeoError(f"--{name} {glob} (before the command) and --{name} {local} (after it) differ",
                      hint=f"give --{name} once")


def check_out_option(ctx: typer.Context, value: Optional[Path], param: typer.CallbackParam = None) -> Optional[Path]:
    """--out is checked when it is parsed, so that nothing is computed for an output that cannot be written."""
    from embgeo.cli.output import check_out

    # -f json --out u.csv: refused before any work; with -f any name will do (/dev/stdout, x.dat), without it the suffix
    # picks the format (when -f follows --out on the command line, -f's own check sees both)
    check_out(ctx.params.get("fmt"), value, fmt_known="fmt" in ctx.params)
    _check_folder(value, param)
    return value


def _check_folder(value: Optional[Path], param=None) -> None:
    """An output's folder must exist, and take new files, before anything is computed (or any other output written):
    a folder without write permission is refused now, naming the option (``param``: typer's, when a callback)."""
    if value is None:
        return
    from embgeo.errors import EmbgeoError

    if not value.parent.is_dir():
        raise EmbgeoError(f"the folder {str(value.parent)!r} does not exist", source=str(value), hint="create it first or write elsewhere")
    import os

    special = str(value) == "-" or (value.exists() and not value.is_file())  # a pipe or a device (/dev/stdout) is written in place
    if not special and not os.access(value.parent, os.W_OK | os.X_OK):
        option = next((o for o in getattr(param, "opts", ()) if o.startswith("--")), "this option")
        raise EmbgeoError(f"{option} cannot write into {str(value.parent)!r}: no permission to create files there", source=str(value),
                          hint="write elsewhere, or make the folder writable")


def side_output(*suffixes: str):
    """A parse-time check for a file option that holds data (``--scores``, ``--coords-out``…): its suffix and folder."""

    def check(value: Optional[Path], param: typer.CallbackParam = None) -> Optional[Path]:  # (typer passes the option)
        if value is not None and value.suffix.lower() not in suffixes:
            from embgeo.errors import EmbgeoError

            # as a callback it is told its option (--write-direction); called directly, it says "this option"
            option = next((o for o in getattr(param, "opts", ()) if o.startswith("--")), "this option")
            raise EmbgeoError(f"{option} writes {' or '.join(suffixes)}, not '{value.suffix or '(none)'}'", source=str(value),
                              hint=f"name the file with {' or '.join(suffixes)}")
        _check_folder(value, param)
        return value

    return check


def _check_plot(value: Optional[Path], param: typer.CallbackParam = None) -> Optional[Path]:
    if value is not None and value.suffix.lower() not in (".png", ".svg"):
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"cannot draw a plot as '{value.suffix or '(none)'}'", source=str(value), hint="use .png or .svg")
    _check_folder(value, param)
    return value


def _check_fmt(ctx: typer.Context, value: Optional[Format]) -> Optional[Format]:
    from embgeo.cli.output import check_out

    check_out(value, ctx.params.get("out"))
    return value


# --- shared option types (one set of output options on every command) -------
FormatOpt = Annotated[Optional[Format], typer.Option("--format", "-f", help="Output format: table, json, csv, md (default: table, or from the --out suffix).", case_sensitive=False, callback=_check_fmt)]
OutOpt = Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the output to this file (atomically) instead of stdout; .json, .csv, .md or .txt (any name with --format).", dir_okay=False, callback=check_out_option)]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Random seed for sampled estimates (default: the global --seed, 0).", min=0)]
IdColOpt = Annotated[Optional[str], typer.Option("--id-col", help="Column holding row ids (CSV/TSV/parquet).")]
AttrColOpt = Annotated[Optional[List[str]], typer.Option(
    "--attr-col", help="Column holding an attribute, not a dimension (CSV/TSV/parquet): read as a label column whatever it holds, "
                       "e.g. an integer year or class code beside float dimensions. Repeat it or give a comma list.", show_default=False)]


def attr_list(value) -> list[str] | None:
    """The columns of ``--attr-col`` (repeated, or comma lists), in order; None when it was not given."""
    if not value:
        return None
    return [c.strip() for v in value for c in str(v).split(",") if c.strip()] or None
LabelsOpt = Annotated[Optional[Path], typer.Option("--labels", help="CSV/TSV of attributes, joined by id (an 'id' column) or by row order.")]
LabelsIdOpt = Annotated[Optional[str], typer.Option("--labels-id-col", help="Id column of the --labels file (default: 'id').")]
DropNonfiniteOpt = Annotated[bool, typer.Option("--drop-nonfinite", help="Drop rows with NaN or inf instead of failing.")]
DedupeOpt = Annotated[bool, typer.Option("--dedupe", help="Drop exact duplicate rows (keeps the first copy).")]
class FailOn(str, Enum):
    warn = "warn"
    bad = "bad"


class Join(str, Enum):
    """How --labels rows meet the embedding rows: by id (the default whenever either side has ids) or, explicitly, by row order."""

    id = "id"
    row_order = "row-order"


class StackLayout(str, Enum):
    """How one 3-D stack file is laid out (embgeo.io.load_layers(layout=...))."""

    layers_first = "layers-first"
    rows_first = "rows-first"


StackLayoutOpt = Annotated[Optional[StackLayout], typer.Option(
    "--stack-layout", help="How one 3-D stack file is laid out: layers-first (L×n×d) or rows-first (n×L×d, e.g. torch.stack(hidden_states, dim=1)). "
                           "Left out: layers-first, and a file with more layers than rows is refused (the axes are then ambiguous).",
    case_sensitive=False, show_default=False)]


def layout_value(layout) -> str | None:
    """The ``layout=`` of :func:`embgeo.io.load_layers` for a ``--stack-layout`` value."""
    return getattr(layout, "value", layout)


FailOnOpt = Annotated[Optional[FailOn], typer.Option("--fail-on", help="Exit 1 (after writing the output) when the verdict is at least this severe: warn or bad.", case_sensitive=False, show_default=False)]
def join_option(what: str):
    """``--join`` with one meaning in every command (embgeo.io.join): ``what`` names the rows it joins."""
    extra = "; a --labels file may also hold rows for other ids, which are not used" if "--labels" in what else ""
    return Annotated[Optional[Join], typer.Option(
        "--join", help=f"Join {what} by 'id' (whenever they carry ids: every id on both sides, once; an error on any mismatch{extra}) "
                       "or by 'row-order' (only when asked, or when no side has ids).", case_sensitive=False, show_default=False)]


JoinOpt = join_option("--labels onto X")
MethodOpt = Annotated[Optional[List[str]], typer.Option("--method", "-m", help="Method(s), named in the description above: repeat the option or give a comma list (-m A -m B, or -m A,B).", show_default=False)]
SampleOpt = Annotated[Optional[int], typer.Option("--sample", help="Work on a seeded random sample of N rows (the interval says so).", min=2, show_default=False)]
KOpt = Annotated[int, typer.Option("--k", "-k", help="Number of nearest neighbours.", min=1)]


def old_name(old: str, kind=str):
    """The hidden option under a renamed option's old name: scripts that use it keep working, and
    :func:`renamed` says on stderr what it is called now (one name means one thing in every command)."""
    return Annotated[Optional[kind], typer.Option(old, hidden=True, show_default=False)]


def renamed(value, old_value, *, old: str, new: str, default=None):
    """The value of option ``new``, or of its old name ``old`` (:func:`old_name`) when the script gave that instead.

    Giving both names is always an error, whatever the values, also when ``new`` is given at its
    default: whether ``new`` was given is read from click's parameter source, so ``new`` declares its
    real default and the help shows it. (``value`` None also means "not given", for options without
    a default.) Neither gives ``value`` (or ``default``). The old name alone works, with a note on stderr."""
    if old_value is None:
        return default if value is None else value
    if _given(new, value):
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"{old} is the old name of {new}; both were given", hint=f"give {new} only")
    message(f"note: {old} is now {new} (one name means one thing in every command); the old name will go in a later release")
    return old_value


def refuse_unused(mode: str, used: set[str], hint: str) -> None:
    """Refuse every option the script gave that ``mode`` does not read (``used``: the parameters' Python
    names that it does read): a value given and ignored would be a silent guess about what was meant."""
    given = [p.opts[0] for p in _given_params() if getattr(p, "param_type_name", "") == "option" and p.name not in used]
    if given:
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply with {mode}", hint=hint)


def only_with(mode: str, present: bool, names: set[str], hint: str) -> None:
    """Refuse the options ``names`` (the parameters' Python names) that the script gave when ``mode`` is
    absent: they tune something that only ``mode`` computes, so ignoring them would be a silent guess."""
    given = [] if present else [p.opts[0] for p in _given_params() if p.name in names]
    if given:
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} only with {mode}", hint=hint)


def _given_params() -> list:
    """The parameters of the running command that the script gave (command line or environment), not
    left at their defaults: click's parameter source, the one test of "given" for every check here."""
    ctx = _context()
    if ctx is None:
        return []
    return [p for p in ctx.command.params
            if (src := ctx.get_parameter_source(p.name)) is not None and src.name not in ("DEFAULT", "DEFAULT_MAP")]


def _context():
    try:
        from typer._click.globals import get_current_context  # Typer's vendored click (as in cli/app.py)
    except ImportError:  # pragma: no cover - Typer releases that use click itself
        from click import get_current_context
    return get_current_context(silent=True)


def _given(option: str, value) -> bool:
    """Whether ``option`` was given on the command line (or by an environment variable), not left at its default."""
    if _context() is None:
        return value is not None
    return any(option in p.opts for p in _given_params())


def split_list(values) -> list[str]:
    """Repeatable and comma-separated option values → one flat list, order kept, duplicates dropped."""
    out: list[str] = []
    for v in values or []:
        for part in str(v).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


InputFormatOpt = Annotated[Optional[str], typer.Option("--input-format", help="Force the input format (npy, npz, csv, tsv, text, word2vec-binary, parquet, safetensors, hdf5, pt, fvecs, bvecs).")]


def message(text: str, *, style: str | None = None) -> None:
    """A message on stderr (suppressed by --quiet)."""
    if settings().quiet:
        return
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False).print(escape(text), style=style, soft_wrap=True)


def wrote(path, what: str | None = None) -> None:
    """The one stderr line for a file a run wrote besides its data: ``wrote PATH (what it holds)``.
    (The data itself, ``--out FILE``, is written without a line, in every command.)"""
    message(f"wrote {path}" + (f" ({what})" if what else ""))


def verbose(text: str) -> None:
    if settings().verbose and not settings().quiet:
        message(text, style="dim")


@contextmanager
def progress(description: str, total: int | None = None):
    """Yield ``advance(n=1)``; a rich bar on stderr only when stderr is a terminal."""
    if settings().quiet or not sys.stderr.isatty():
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TimeElapsedColumn, TimeRemainingColumn, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


def read_embeddings(spec: str, *, id_col=None, labels=None, labels_id_col=None, input_format=None, drop_nonfinite=False, dedupe=False, join=None,
                    attr_cols=None):
    """Load ``spec`` through :mod:`embgeo.io`, join labels, drop rows if asked (and say so)."""
    from embgeo.io import join_labels, load
    from embgeo.validation import clean_rows

    es = load(spec, fmt=input_format, id_col=id_col, attr_cols=attr_cols)
    if es.ids is not None and labels is None:  # (a labels join by id refuses repeated ids itself, naming them)
        from embgeo.io.common import repeated_id_text, repeated_ids

        rep = repeated_ids(es.ids)
        if rep:
            message(f"{es.source}: {len(rep)} repeated ids (first: {repeated_id_text(es.ids, *rep[0])}); "
                    "a join by id (--labels, compare, gap) refuses them", style="yellow")
    if labels is not None:
        es = join_labels(es, labels, id_col=labels_id_col, join=getattr(join, "value", join))
    if drop_nonfinite or dedupe:
        X, kept = clean_rows(es.matrix, drop_nonfinite=drop_nonfinite, dedupe=dedupe)
        dropped = es.n_samples - kept.size
        if dropped:
            message(f"{es.source}: dropped {dropped} rows ({'NaN/inf' if drop_nonfinite else ''}{' and ' if drop_nonfinite and dedupe else ''}{'duplicates' if dedupe else ''})")
            es = es.take(kept)
    return es


#: the JSON note of a ``--device cuda`` that fell back (the stderr message vanishes with -q)
CUDA_FALLBACK_NOTE = "--device cuda: no CUDA device is available here; ran on the CPU"


def resolve_device(device: str | None = None, notes: list | None = None) -> str:
    """``cpu``, ``cuda`` or ``auto`` → the device to use; falls back to CPU with a message (and, when
    ``notes`` is given, :data:`CUDA_FALLBACK_NOTE` in it, for the JSON notes)."""
    check_root_agrees("device", device)
    device = (device or settings().device or "cpu").lower()
    if device == "cpu":
        return "cpu"
    import torch  # lazy

    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        message("--device cuda: no CUDA device is available here; running on the CPU.", style="yellow")
        if notes is not None:
            notes.append(CUDA_FALLBACK_NOTE)
    return "cpu"


def env_default(name: str, default=None):
    return os.environ.get(name, default)


SchedulerOpt = Annotated[Optional[str], typer.Option("--scheduler", envvar="EMBGEO_SCHEDULER", help="Run the blockwise work on a Dask cluster: 'local' (a cluster on this machine) or tcp://HOST:PORT (default: $EMBGEO_SCHEDULER; needs embgeo\\[cluster]).", show_default=False)]


@contextmanager
def scheduler_client(scheduler: Optional[str]):
    """Yield a connected ``distributed.Client`` for ``--scheduler`` (closed on exit), or None when none is given."""
    from embgeo.distributed.cluster import connect, scheduler_address

    address = scheduler_address(scheduler)
    if address is None:
        yield None
        return
    client = connect(address)
    try:
        verbose(f"scheduler: {address} ({len(client.scheduler_info().get('workers', {}))} workers)")
        yield client
    finally:
        client.close()


PlotOpt = Annotated[Optional[Path], typer.Option("--plot", help="Also draw the result to this image file (.png or .svg).", dir_okay=False, callback=_check_plot)]


@contextmanager
def about(source):
    """An error raised inside without a file name gets ``source`` (so its one line names the input)."""
    from embgeo.errors import EmbgeoError

    try:
        yield
    except EmbgeoError as exc:
        raise exc.with_source(str(source)) from None


def save_plot(result, path: Optional[Path], **kwargs) -> None:
    """Draw ``result`` with :func:`embgeo.plots.plot_result` and save it atomically to ``path``."""
    if path is None:
        return
    from embgeo.plots import save_figure, plot_result

    fig = plot_result(result, **kwargs)
    save_figure(fig, path)
    wrote(path, "plot")
