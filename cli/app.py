"""The ``embgeo`` Typer application.

Each module in ``embgeo.cli.commands`` exposes ``register(app)``; they are
imported here (cheaply: commands import numpy and the library lazily inside
their bodies) so that ``--help`` lists every command without loading torch,
umap, scikit-learn or matplotlib.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from embgeo._version import __version__
from embgeo.cli.common import Device, Settings, set_settings
from embgeo.errors import use_options, use_surface  # stdlib only: messages name options, not arguments, while a command runs
from embgeo.outputs import begin_outputs, end_outputs  # stdlib only: cheap at start-up

#: commands in workflow order in `embgeo --help`: look at the data, get it, analyse it, compare, report
WORKFLOW = ["datasets", "info", "extract", "uniformity", "gap", "id", "layers", "rank", "cosine", "compare",
            "hyperbolic", "project", "report"]


class WorkflowGroup(TyperGroup):
    def list_commands(self, ctx):
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: (WORKFLOW.index(n) if n in WORKFLOW else len(WORKFLOW), n))


def _new_app() -> typer.Typer:
    application = typer.Typer(
        cls=WorkflowGroup,
        name="embgeo",
        help="The geometry of saved embeddings, and whether their similarities can be trusted.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    application.callback()(_root)
    return application


def _version(value: bool):
    if value:
        typer.echo(f"embgeo {__version__}")
        raise typer.Exit()


def _root(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option("--seed", help="Global random seed for every sampled estimate.", min=0)] = 0,
    device: Annotated[Device, typer.Option("--device", help="Where heavy work runs (torch on a GPU for cuda/auto when present).", case_sensitive=False)] = Device.cpu,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No messages or progress on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail on stderr.")] = False,
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
):
    """The geometry of saved embeddings, and whether their similarities can be trusted."""
    ctx.obj = Settings(seed=seed, device=device.value, quiet=quiet, verbose=verbose)
    set_settings(ctx.obj)
    ctx.with_resource(use_surface("cli"))  # also for the app called directly (CliRunner); reset when the command ends
    ctx.with_resource(use_options(_running_options))  # hints name only the remedies the running command offers


def _running_options() -> frozenset[str] | None:
    """The options of the running command and of the groups above it (``hyperbolic train``, ``embgeo --seed``):
    every spelling (``--drop-zero``, ``-k``, ``--no-separability``) of click's current context and its parents;
    None outside a command (:func:`embgeo.errors.offers` then names every remedy)."""
    try:
        from typer._click.globals import get_current_context  # Typer's vendored click
    except ImportError:  # pragma: no cover - older Typer uses click itself
        from click import get_current_context
    ctx = get_current_context(silent=True)
    if ctx is None:
        return None
    options: set[str] = set()
    while ctx is not None:
        for p in ctx.command.params:
            options.update(o for o in (*p.opts, *p.secondary_opts) if o.startswith("-"))
        ctx = ctx.parent
    return frozenset(options)


def _plain_help_types() -> None:
    """Help shows flags as flags and lists as repeatable values: no ``<bool>``, no ``<list[str]>``."""
    import re

    from typer.core import TyperArgument, TyperOption

    for cls in (TyperOption, TyperArgument):
        if cls.__dict__.get("_embgeo_plain", False):
            continue
        original = cls.display_type_rich

        def display_type_rich(self, ctx, _original=original):
            if getattr(self, "is_flag", False) or getattr(self, "is_bool_flag", False):
                return None
            text = _original(self, ctx)
            if text is None:
                return None
            return re.sub(r"list\[(.*?)\]", r"\1…", str(text))

        cls.display_type_rich = display_type_rich
        cls._embgeo_plain = True


_plain_help_types()


#: the module of cli/commands that registers each command (all others: the module of the same name)
MODULE_OF = {"gap": "uniformity"}


def _register_commands(application: typer.Typer, only: str | None = None) -> None:
    """Register every command module, or only the one that defines command ``only``."""
    from embgeo.cli import commands

    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    if only is not None:
        names = [MODULE_OF.get(only, only)]
    for mod in names:
        if mod.startswith("_"):
            continue
        importlib.import_module(f"embgeo.cli.commands.{mod}").register(application)


def _register_stubs(application: typer.Typer) -> None:
    """Every command by name and one-line help, nothing imported: all that ``embgeo --help`` shows."""
    for name in WORKFLOW:
        def stub():  # pragma: no cover - never run: a command named on the line builds the real tree
            raise SystemExit(2)

        application.command(name, help=SHORT_HELP[name], short_help=SHORT_HELP[name])(stub)


#: one line per command in `embgeo --help` (the full docstring stays in `embgeo COMMAND --help`)
SHORT_HELP = {
    "info": "Shape, dtype, norms; NaN/inf, zero and duplicate rows.",
    "datasets": "Bundled sample data and synthetic sets with known answers.",
    "uniformity": "Uniformity and alignment (Wang & Isola), exact or sampled.",
    "gap": "The modality gap between two row-paired sets.",
    "id": "Intrinsic dimension: TwoNN, MLE, GRIDE, PCA, RankMe, per layer.",
    "rank": "Rank axes: is an ordinal attribute a direction?",
    "cosine": "When cosine similarity misleads: a verdict per pitfall.",
    "hyperbolic": "Poincaré training, tree construction, h-MDS, Gromov δ.",
    "project": "2-D maps: UMAP, PCA, hyperbolic UMAP on the disk.",
    "report": "Every analysis that applies, as one HTML report.",
    "compare": "Two spaces of the same items: CKA, mutual kNN, RSA …",
    "extract": "Per-layer hidden states of a local model.",
    "layers": "Layer-by-Layer suite: entropy, curvature, LiDAR …",
}


def _set_short_help(application: typer.Typer) -> None:
    for info in application.registered_commands:
        name = info.name or (info.callback.__name__ if info.callback else "")
        if name in SHORT_HELP and not info.short_help:
            info.short_help = SHORT_HELP[name]
    for info in application.registered_groups:
        name = info.name or ""
        if name in SHORT_HELP and not info.short_help:
            info.short_help = SHORT_HELP[name]


def build_app(only: str | None = None) -> typer.Typer:
    """The command tree: every command, or only command ``only`` (what one invocation needs)."""
    application = _new_app()
    _register_commands(application, only)
    _set_short_help(application)
    return application


#: root options that take a value (their value is not the command's name)
_ROOT_VALUED = ("--seed", "--device")


def _command_name(args: list[str]) -> str | None:
    """The command named on the line (the first word that is neither an option nor a root option's value)."""
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            return None
        if a in _ROOT_VALUED:
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        return a
    return None


def _app_for(args: list[str]) -> typer.Typer:
    """Only what this invocation needs: one command's module, or (for ``embgeo --help``) the names alone."""
    name = _command_name(args)
    if name in WORKFLOW:
        return build_app(only=name)
    if name is None and any(a in ("-h", "--help", "--version") for a in args) or not args:
        application = _new_app()
        _register_stubs(application)
        return application
    return build_app()  # an unknown command: click lists the choices


def __getattr__(name: str):
    """``embgeo.cli.app.app``: the full tree, built on first use (tests, the CLI reference)."""
    if name == "app":
        application = build_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: library errors become one line on stderr and exit code 2."""

    set_settings(Settings())  # a fresh invocation starts from the defaults
    _terminate_like_interrupt()
    args = _hoist_global_flags(list(sys.argv[1:] if argv is None else argv))
    try:
        import typer._click.exceptions as click_exc  # Typer's vendored click
    except ImportError:  # pragma: no cover - older Typer uses click itself
        import click.exceptions as click_exc
    begin_outputs()  # a run that fails takes back the outputs it wrote before failing
    try:
        with use_surface("cli"):  # library messages name --options, not Python arguments (reset on the way out)
            _run(args, click_exc)
    except SystemExit as exc:  # --fail-on's exit 1 keeps its outputs: they were written on purpose
        end_outputs(keep=exc.code in (0, 1, None))
        raise
    except BaseException:  # an unexpected error: its traceback follows, without the outputs written so far
        end_outputs(keep=False)
        raise
    end_outputs(keep=True)


def _run(args: list[str], click_exc) -> None:
    """The command, with every failure turned into one line (:func:`_fail`)."""
    from embgeo.errors import EmbgeoError

    try:
        application = _app_for(args)
        _refuse_repeated_options(application, args)
        code = application(args=args, prog_name="embgeo", standalone_mode=False)
        if code == 130:  # Typer turned a Ctrl-C into its exit code without a word: say it, like every error
            raise KeyboardInterrupt
        if isinstance(code, int) and code:
            raise SystemExit(code)
    except click_exc.UsageError as exc:  # a bad option or value: one line, like every other error
        if type(exc).__name__ == "NoArgsIsHelpError":  # a group called bare: its help, as click would
            exc.show()
            raise SystemExit(exc.exit_code) from None
        where = exc.ctx.command_path if exc.ctx is not None else "embgeo"
        _fail(f"{where}: {exc.format_message()} (see {where} --help)", 2)
    except click_exc.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code or 1)
    except EmbgeoError as exc:
        _fail(str(exc), 2)
    except MemoryError:
        _fail("out of memory; try --sample N or a smaller --block", 2)
    except OSError as exc:  # missing file, permissions, a full (ENOSPC) or read-only (EROFS) file system …
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}", 2)
    except RuntimeError as exc:  # torch.OutOfMemoryError subclasses RuntimeError (torch is not imported here)
        if type(exc).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(exc):
            _fail("out of GPU memory; try --device cpu, a smaller --block or --sample N", 2)
        raise
    except KeyboardInterrupt:
        _fail("interrupted", 130)


def _refuse_repeated_options(application, args: list[str]) -> None:
    """An option that takes one value, given twice with different values (``project -m pca -m umap``,
    ``uniformity --t 1 --t 2``), is refused: click would keep the last one without a word. Options that
    take several values (``-m twonn -m mle`` in ``id``) and flags are not affected."""
    from embgeo.errors import EmbgeoError

    try:
        cmd = typer.main.get_command(application)
    except Exception:  # noqa: BLE001 - click reports a broken command line itself
        return
    seen: dict = {}
    i, path = 0, []
    while i < len(args):
        a = args[i]
        if a == "--":
            break
        if hasattr(cmd, "commands") and not a.startswith("-") and a in getattr(cmd, "commands", {}):
            cmd, seen = cmd.commands[a], {}
            path.append(a)
            i += 1
            continue
        if not a.startswith("-") or a == "-":
            i += 1
            continue
        name, eq, value = a.partition("=") if a.startswith("--") else (a[:2], "=" if len(a) > 2 else "", a[2:])
        param = next((p for p in getattr(cmd, "params", []) if name in (*p.opts, *getattr(p, "secondary_opts", ()))), None)
        if param is None or getattr(param, "is_flag", False) or getattr(param, "count", False):
            i += 1
            continue
        if not eq:
            value = args[i + 1] if i + 1 < len(args) else None
            i += 1
        i += 1
        if getattr(param, "multiple", False) or getattr(param, "nargs", 1) != 1 or value is None:
            continue
        got = seen.setdefault(param.name, [])
        got.append((name, value))
        if len({v for _, v in got}) > 1:
            shown = ", ".join(f"{n} {v}" for n, v in got)
            where = " ".join(["embgeo", *path])
            raise EmbgeoError(f"{where}: {got[0][0]} is given {len(got)} times ({shown}); it takes one value, and embgeo does not pick one",
                              hint=f"give {got[0][0]} once")


#: global flags that take no value and may also be written after the command (`embgeo cosine X -q`)
_GLOBAL_FLAGS = ("-q", "--quiet", "-v", "--verbose")


def _hoist_global_flags(args: list[str]) -> list[str]:
    """Move -q/-v written after the command to the front, where the root callback reads them
    (no command has options of those names; everything after ``--`` is left alone)."""
    end = args.index("--") if "--" in args else len(args)
    flags = [a for a in args[:end] if a in _GLOBAL_FLAGS]
    if not flags:
        return args
    rest = [a for a in args[:end] if a not in _GLOBAL_FLAGS] + args[end:]
    return flags + rest


def _terminate_like_interrupt() -> None:
    """SIGTERM unwinds like SIGINT (temporary and spill files are removed on the way out)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # pragma: no cover - not settable here
        pass


def _fail(text: str, code: int) -> None:
    """The one error line; outputs the run wrote before failing are taken back, and it says so."""
    undone = end_outputs(keep=False)
    if undone:
        shown = ", ".join(undone[:3]) + (f" and {len(undone) - 3} more" if len(undone) > 3 else "")
        text += f" (took back what this run had written: {shown})"
    sys.stdout.flush()
    sys.stderr.write(f"embgeo: error: {text}\n")
    sys.stderr.flush()
    raise SystemExit(code)
