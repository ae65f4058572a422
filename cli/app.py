"""The ``embgeo`` Typer application.

Each module in ``embgeo.cli.commands`` exposes ``register(app)``; they are
imported here (cheaply: commands import numpy and the library lazily inside
their bodies) so that ``--help`` lists every command without loading torch,
umap, scikit-learn or matplotlib.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import pkgutil
import sys
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from embgeo._version import __version__
from embgeo.cli.common import Device, Settings, set_settings
from embgeo.cli.exits import BROKEN_PIPE, encodable_streams, fail, internal_error, terminate_like_interrupt
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
    given = frozenset(n for n in ("seed", "device") if getattr(ctx.get_parameter_source(n), "name", "DEFAULT") not in ("DEFAULT", "DEFAULT_MAP"))
    ctx.obj = Settings(seed=seed, device=device.value, quiet=quiet, verbose=verbose, given=given)
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
    _check_paths_first(application)
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
    terminate_like_interrupt()
    encodable_streams()
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
        if exc.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
            # Typer turns a broken pipe (the reader of stdout left: `| head -1`) into a silent 1, the code of a tripped
            # gate; it is SIGPIPE's 141, as for any Unix tool, and the files written stay (nothing failed here)
            end_outputs(keep=True)
            raise SystemExit(BROKEN_PIPE) from None
        end_outputs(keep=exc.code in (0, 1, None))
        raise
    except KeyboardInterrupt:  # a Ctrl-C (or SIGTERM) after the command returned: the same one line and 130 as inside it
        fail("interrupted", 130)
    except Exception as exc:  # a bug: one line and exit 70 (not 1, which a tripped --fail-on means), the outputs taken back
        internal_error(exc)
    except BaseException:  # (GeneratorExit and the like) without the outputs written so far
        end_outputs(keep=False)
        raise
    end_outputs(keep=True)


def _run(args: list[str], click_exc) -> None:
    """The command, with every failure turned into one line (:func:`_fail`)."""
    from embgeo.errors import EmbgeoError

    try:
        application = _app_for(args)
        _refuse_repeated_options(application, args)
        _refuse_empty_paths(application, args)
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
        fail(f"{where}: {exc.format_message()} (see {where} --help)", 2)
    except click_exc.ClickException as exc:
        fail(exc.format_message(), exc.exit_code or 1)
    except EmbgeoError as exc:
        fail(str(exc), 2)
    except MemoryError:
        sized = [a.split("=")[0] for a in args if a.split("=")[0] in _SIZE_OPTIONS]  # the sizes this line asked for, if any
        fail(f"out of memory; {'lower ' + ', '.join(dict.fromkeys(sized)) if sized else 'try fewer rows (--sample N, where the command has it)'}", 2)
    except OSError as exc:  # missing file, permissions, a full (ENOSPC) or read-only (EROFS) file system …
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}", 2)
    except RuntimeError as exc:  # torch.OutOfMemoryError subclasses RuntimeError (torch is not imported here)
        if type(exc).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(exc):
            fail("out of GPU memory; try --device cpu, a smaller --block or --sample N", 2)
        raise
    except KeyboardInterrupt:
        fail("interrupted", 130)


@functools.lru_cache(maxsize=4)
def _click_command(application):  # the click tree, built once per process for every walk of the line
    return typer.main.get_command(application)


def _walk_line(application, args: list[str]):
    """What the command line gives, word by word, without parsing it for real: ``("option", path, command,
    param, spelling, value)`` for each option that takes a value (flags are skipped), and ``("positional",
    path, command, None, index, word)`` for each word that is neither an option nor an option's value
    (``index`` counts them per command). ``path`` is the command path below ``embgeo`` (``("hyperbolic",
    "train")``). Options the command does not have are skipped: click refuses them itself."""
    try:
        cmd = _click_command(application)
    except Exception:  # noqa: BLE001 - click reports a broken command line itself
        return
    i, path, index = 0, (), 0
    while i < len(args):
        a = args[i]
        if a == "--":
            for rest in args[i + 1:]:
                yield "positional", path, cmd, None, index, rest
                index += 1
            return
        if hasattr(cmd, "commands") and not a.startswith("-") and a in getattr(cmd, "commands", {}):
            cmd, path, index = cmd.commands[a], (*path, a), 0
            i += 1
            continue
        if not a.startswith("-") or a == "-":
            yield "positional", path, cmd, None, index, a
            index += 1
            i += 1
            continue
        name, eq, value = a.partition("=") if a.startswith("--") else (a[:2], "=" if len(a) > 2 else "", a[2:])
        param = next((p for p in getattr(cmd, "params", []) if name in (*p.opts, *getattr(p, "secondary_opts", ()))), None)
        if param is None or getattr(param, "is_flag", False) or getattr(param, "count", False):
            i += 1
            continue
        nargs = max(1, getattr(param, "nargs", 1) or 1)
        if not eq:
            value = args[i + 1] if i + 1 < len(args) else None
            i += 1
        i += 1
        if nargs > 1:  # the other values of a two-value option (cosine --factors A B) are its own, not positional words
            value = (value, *args[i:i + nargs - 1])
            i += nargs - 1
        yield "option", path, cmd, param, name, value


def _refuse_repeated_options(application, args: list[str]) -> None:
    """An option that takes one value, given twice with different values (``project -m pca -m umap``,
    ``uniformity --t 1 --t 2``), is refused: click would keep the last one without a word. Options that
    take several values (``-m twonn -m mle`` in ``id``) and flags are not affected."""
    from embgeo.errors import EmbgeoError

    seen: dict = {}
    at = None
    for kind, path, _cmd, param, name, value in _walk_line(application, args):
        if path != at:
            seen, at = {}, path
        if kind != "option" or getattr(param, "multiple", False) or getattr(param, "nargs", 1) != 1 or value is None:
            continue
        got = seen.setdefault(param.name, [])
        got.append((name, value))
        if len({v for _, v in got}) > 1:
            shown = ", ".join(f"{n} {v}" for n, v in got)
            where = " ".join(["embgeo", *path])
            raise EmbgeoError(f"{where}: {got[0][0]} is given {len(got)} times ({shown}); it takes one value, and embgeo does not pick one",
                              hint=f"give {got[0][0]} once")


# --- the files of a run: given, distinct, and none written over an input ------------------------------
# Outputs are told from inputs by their parse-time check (check_out_option, _check_plot, side_output(...) of
# cli/common.py, or a callback's ``embgeo_output`` attribute), else by name (OUTPUT_OPTIONS, every --write-*).
# Any other option or argument is an input where its value names an existing file (PATH or PATH:KEY);
# tests/test_output_paths.py classifies every file option of every command, so a new one cannot slip by.

#: output options recognised by name: those without a check of cli/common.py as callback (--html, --md,
#: --out-dir, datasets export --out; hyperbolic's --coords and train's --out call side_output inside their own check)
OUTPUT_OPTIONS = frozenset({"--out", "--plot", "--html", "--md", "--out-dir", "--coords", "--save-axis", "--scores", "--checkpoint"})
#: input options whose value is text, not a Path, but names a file (PATH or PATH:KEY): an empty value is refused like a path's
INPUT_SPEC_OPTIONS = frozenset({"--pairs", "--layers", "--compare", "--tokens", "--views", "--anchor-low-file", "--anchor-high-file", "--factors"})
#: (output, input) that may name one file: the run reads the input first and replaces it on purpose
SAME_FILE_OK = frozenset({("--checkpoint", "--resume")})  # a resumed training goes on checkpointing to the file it resumed from
#: the parse-time checks of cli/common.py that mark an output option (by qualified name: side_output(...) makes a new one each time)
_OUTPUT_CHECKS = ("check_out_option", "_check_plot", "side_output.<locals>.check")
#: options that set how much a run holds in memory (named by an out-of-memory error when given)
_SIZE_OPTIONS = frozenset({"--n-pairs", "--bootstrap", "--permutations", "--shuffles", "--random-directions", "--block", "--sample", "--n"})
#: options whose empty value means something: pandas' unnamed index column is the column named ''
EMPTY_OK = frozenset({"--id-col", "--labels-id-col"})
#: arguments that are names, not paths (datasets info|path|export NAME)
NOT_PATH_ARGUMENTS = frozenset({"name"})


def is_output(param) -> bool:
    """Whether a click parameter names a file (or folder) the command writes (see the comment above)."""
    if getattr(param, "param_type_name", "") != "option":
        return False
    import inspect

    check = inspect.unwrap(param.callback) if getattr(param, "callback", None) is not None else None
    marked = getattr(check, "embgeo_output", None)
    if marked is not None:
        return bool(marked)
    if getattr(check, "__module__", "") == "embgeo.cli.common" and getattr(check, "__qualname__", "") in _OUTPUT_CHECKS:
        return True
    return any(o in OUTPUT_OPTIONS or o.startswith("--write-") for o in param.opts)


def _mentions_path(annotation) -> bool:
    import typing
    from pathlib import PurePath

    return (isinstance(annotation, type) and issubclass(annotation, PurePath)) or any(map(_mentions_path, typing.get_args(annotation)))


def is_path_option(param) -> bool:
    """Whether an option's value is a path: an output, a Path-typed option, or one of :data:`INPUT_SPEC_OPTIONS`."""
    if getattr(param, "param_type_name", "") != "option":
        return False
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return False  # (extract --tokens/--no-tokens, id --layers: the same names, without a value)
    if is_output(param) or any(o in INPUT_SPEC_OPTIONS for o in param.opts):
        return True
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)  # Typer ≥ 0.2x keeps the annotation
    if annotation is not None:
        return _mentions_path(annotation)
    return type(getattr(param, "type", None)).__name__ == "Path"  # older Typer: click.Path


def _label(param) -> str:
    """How the line names a parameter: its long option (``--out``), or an argument's metavar (``X``)."""
    if getattr(param, "param_type_name", "") == "option":
        return next((o for o in param.opts if o.startswith("--")), param.opts[0])
    return param.metavar or param.name.upper()


def _argument_at(cmd, index: int):
    """The argument that the ``index``-th positional word of ``cmd`` fills (None past the last)."""
    arguments = [p for p in getattr(cmd, "params", []) if getattr(p, "param_type_name", "") == "argument"]
    for p in arguments:
        n = getattr(p, "nargs", 1)
        if n == -1 or index < n:
            return p
        index -= n
    return None


def _refuse_empty_paths(application, args: list[str]) -> None:
    """An empty path (``embgeo info ""``, ``--out ""``) is refused by name: read as a path it is the
    current folder, and the error would say "is a directory". So is any other empty option value
    (``-m ''``, ``--class ''``) but those of :data:`EMPTY_OK`."""
    from embgeo.errors import EmbgeoError

    for kind, path, cmd, param, name, value in _walk_line(application, args):
        where = " ".join(["embgeo", *path])
        if kind == "option" and isinstance(value, tuple) and any(v is None or (v.startswith("-") and not v[1:2].isdigit()) for v in value[1:]):
            meta = param.metavar or " ".join(["VALUE"] * len(value))  # cosine --factors A --bootstrap 5: click took the option as B
            raise EmbgeoError(f"{where}: {name} takes {len(value)} values ({meta}), one after the other; it got {', '.join(repr(v) for v in value if v is not None)}",
                              hint=f"write {name} {meta} with all {len(value)} values before the next option")
        if "" not in (value if isinstance(value, tuple) else (value,)):
            continue
        if kind == "option" and is_path_option(param):
            raise EmbgeoError(f"{where}: {name} was given an empty path", hint=f"name a {'folder' if name.endswith('-dir') else 'file'} after {name}")
        if kind == "option" and not any(o in EMPTY_OK for o in param.opts):  # -m '' ran every method, --class '' none
            raise EmbgeoError(f"{where}: {name} was given an empty value", hint=f"give {name} a value, or leave it out")
        if kind == "positional" and not hasattr(cmd, "commands"):
            arg = _argument_at(cmd, name)
            if arg is not None and arg.name not in NOT_PATH_ARGUMENTS:
                raise EmbgeoError(f"{where}: an empty path was given for {_label(arg)}", hint="name a file")


def _check_paths_first(application: typer.Typer) -> None:
    """Every command of ``application`` (and of its groups) runs :func:`_check_paths` before its body."""
    for info in application.registered_commands:
        body = info.callback
        if body is None or getattr(body, "_embgeo_paths_checked", False):
            continue

        def command(*args, _body=body, **kwargs):
            _check_paths()
            return _body(*args, **kwargs)

        functools.update_wrapper(command, body)  # same name, help and parameters (typer reads the signature through __wrapped__)
        command._embgeo_paths_checked = True
        info.callback = command
    for group in application.registered_groups:
        if group.typer_instance is not None:
            _check_paths_first(group.typer_instance)


def _words(value) -> list[str]:
    """The path-like values of a parsed parameter (text and paths; lists and tuples flattened)."""
    from enum import Enum
    from pathlib import PurePath

    if isinstance(value, (str, PurePath)) and not isinstance(value, Enum):
        return [str(value)]
    return [w for v in value for w in _words(v)] if isinstance(value, (list, tuple)) else []


def _input_file(text: str) -> str | None:
    """The existing file that ``text`` names (``PATH`` or ``PATH:KEY``), or None. A symbolic link that
    goes round in a loop, or points at nothing, is refused here by name: read later it would be "not found"."""
    import os
    import stat

    if not text or text == "-":
        return None
    candidates = [text] + [text[:i] for i in range(len(text) - 1, 0, -1) if text[i] == ":"]
    for c in candidates:
        try:
            st = os.stat(c)
        except ValueError:  # an embedded NUL: not a path
            return None
        except OSError:
            if os.path.islink(c):  # a loop, or a link to nothing: the library's one message
                from embgeo.io.readers import broken_link

                error = broken_link(c)
                if error is not None:
                    raise error from None
            continue
        return c if stat.S_ISREG(st.st_mode) else None
    return None


def _same_file(a: str, b: str) -> bool:
    """One file: the same inode where both exist (a link, a hard link), else the same resolved path."""
    import os

    with contextlib.suppress(OSError):
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def _check_paths() -> None:
    """Before a command's body: no two outputs name one file, and no output names one of the run's
    input files (the output would replace it, atomically and for good). Streams (``--out /dev/stdout``)
    are not files and are left alone. Symbolic-link loops among the inputs are refused by name."""
    from embgeo.errors import EmbgeoError
    from embgeo.outputs import is_stream

    try:
        from typer._click.globals import get_current_context  # Typer's vendored click
    except ImportError:  # pragma: no cover - older Typer uses click itself
        from click import get_current_context
    ctx = get_current_context(silent=True)
    if ctx is None:
        return
    outputs, inputs = [], []
    for p in ctx.command.params:
        values = _words(ctx.params.get(p.name))
        if is_output(p):
            outputs += [(_label(p), v) for v in values if v and not is_stream(v)]
            continue
        for v in values:
            found = _input_file(v)
            if found is not None:
                inputs.append((_label(p), found))
    for i, (name, out) in enumerate(outputs):
        for other, earlier in outputs[:i]:
            if _same_file(out, earlier):
                raise EmbgeoError(f"{other} and {name} both write this file", source=out, hint="give each output its own file")
    for name, out in outputs:
        for what, found in inputs:
            if (name, what) not in SAME_FILE_OK and _same_file(out, found):
                raise EmbgeoError(f"is an input of this run ({what}); writing {name} there would replace it", source=out,
                                  hint="write elsewhere")


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
