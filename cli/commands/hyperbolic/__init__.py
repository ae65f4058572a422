"""``embgeo hyperbolic …``: the command group. Its subcommands live in the modules
``embgeo.cli.commands.hyperbolic.*`` (each exposes ``register(group)``)."""

import importlib
import pkgutil

import typer

#: the run details each command's table shows under its metric rows (JSON ``results`` keys, in order)
DETAILS = {
    "train": ("n_nodes", "dim", "model", "c", "stopped", "seconds", "max_norm"),
    "eval": ("model", "n_nodes", "n_dims", "scale_fitted", "distortion_sources", "link_queries", "hyperlex_alpha"),
    "combinatorial": ("map_sala_stderr", "sala_queries", "distortion_sources", "n_nodes", "dim", "eps", "root", "max_degree", "height",
                      "root_id", "engine", "precision_bits", "float64_enough", "is_tree", "seconds_embed", "seconds_eval"),
    "hmds": ("n_rows", "dim", "centred", "solver", "perron_eigenvalue", "eigenvalues", "refine_steps", "seconds"),
    "delta": ("n_rows", "exact", "n_subsets", "subset_size", "n_quadruples", "seconds"),
    "reembed": ("n_rows", "n_rows_in", "k", "dim", "n_dims", "scale_auto", "dims_recovered", "hyperbolic_better", "seconds"),
}


def tidy_table(result, command: str):
    """The terminal/Markdown table of a hyperbolic command in the ids of its JSON and CSV: the
    tidy metric rows (``metric | value | ci_low | ci_high | unit | status``; an infinite
    distortion as ``∞ (see notes)``), then :data:`DETAILS` under their JSON keys."""
    from embgeo.cli.output import metric_table
    from embgeo.hyperbolic.display import shown

    d = result.to_dict()
    return metric_table(result.metrics(), [(k, d[k]) for k in DETAILS[command] if d.get(k) is not None], shown=shown)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Hyperbolic re-embeddings: Poincaré training, the combinatorial tree construction, h-MDS, Gromov δ, evaluation.",
        no_args_is_help=True,
    )
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if not mod.startswith("_"):
            importlib.import_module(f"{__name__}.{mod}").register(group)
    app.add_typer(group, name="hyperbolic")
