"""``embgeo hyperbolic …``: the command group. Its subcommands live in the modules
``embgeo.cli.commands.hyperbolic.*`` (each exposes ``register(group)``)."""

import importlib
import pkgutil

import typer


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Hyperbolic re-embeddings: Poincaré training, the combinatorial tree construction, h-MDS, Gromov δ, evaluation.",
        no_args_is_help=True,
    )
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if not mod.startswith("_"):
            importlib.import_module(f"{__name__}.{mod}").register(group)
    app.add_typer(group, name="hyperbolic")
