"""``embgeo datasets list|info|path|export``: the bundled sample data."""

import shutil
from pathlib import Path
from typing import Annotated, Optional

import typer

from embgeo.cli.common import FormatOpt, OutOpt, SeedOpt, emit_result, wrote, seed_value

group = typer.Typer(help="List, describe and export the bundled sample data.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Dataset name (see: embgeo datasets list).", show_default=False)]

#: the fields of a dataset in its JSON ``results`` (and CSV ``metric`` ids), in this order
FIELDS = ("name", "kind", "description", "source", "licence")


def _record(d) -> dict:
    """One dataset as JSON ``results``: its fields, its bundled files, and its meta (nodes, edges, format, defaults …)."""
    return {**{f: getattr(d, f) for f in FIELDS}, "files": [str(p) for p in d.paths()], **d.meta}


def _metrics(record: dict, **extra) -> list:
    """The tidy CSV rows of one dataset: one row per value (``files.0``, ``defaults.n`` …; never a Python repr)."""
    from embgeo.results import Metric, flatten

    rows = []
    for key, value in flatten(record).items():
        if key == "name" and extra:
            continue  # the dataset column names it
        if isinstance(value, (list, tuple)):
            rows += [Metric(f"{key}.{i}", v, extra=dict(extra)) for i, v in enumerate(value)]
        else:
            rows.append(Metric(key, value, extra=dict(extra)))
    return rows


def _verdict(what: str):
    from embgeo.results import Verdict

    return Verdict("info", f"{what}: no verdict applies")


@group.command("list")
def list_(fmt: FormatOpt = None, out: OutOpt = None):
    """List the bundled datasets (hierarchies, graphs, real embeddings, synthetic sets)."""
    from embgeo.datasets import DATASETS

    records = [_record(d) for d in DATASETS.values()]
    metrics = [m for r in records for m in _metrics({k: r[k] for k in FIELDS if k != "name"}, dataset=r["name"])]
    rows = [[d.name, d.kind, d.description] for d in DATASETS.values()]
    emit_result(command="datasets list", inputs=[], settings={}, results={"n_datasets": len(records), "datasets": records},
                metrics=metrics, verdict=_verdict("a catalogue of the bundled datasets"), notes=[],
                columns=["name", "kind", "description"], rows=rows, fmt=fmt, out=out, title="embgeo datasets")


@group.command("info")
def info(name: NameArg, fmt: FormatOpt = None, out: OutOpt = None):
    """Describe one dataset: what it is, its source, licence and files."""
    from embgeo.datasets import get

    d = get(name)
    record = _record(d)
    notes = []
    if d.kind == "synthetic":
        notes.append(f"generated on demand from a seed: embgeo datasets export {d.name} --out FILE.npy (the defaults above; --seed S)")
    metrics = _metrics(record)
    rows = [[m.metric, m.value] for m in metrics]
    emit_result(command="datasets info", inputs=[], settings={"name": name}, results=record, metrics=metrics,
                verdict=_verdict(f"a description of the dataset '{d.name}'"), notes=notes,
                columns=["field", "value"], rows=rows, fmt=fmt, out=out, title=f"dataset {name}")


@group.command("path")
def path(name: NameArg):
    """Print the path of a bundled dataset's main file (for use in scripts)."""
    from embgeo.datasets import path as dataset_path

    typer.echo(str(dataset_path(name)))


@group.command("export")
def export(
    name: NameArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (.npy/.npz/.csv for synthetic sets) or folder (bundled files are copied into it).")],
    n: Annotated[Optional[int], typer.Option("--n", help="Rows (synthetic sets).", min=1)] = None,
    d: Annotated[Optional[int], typer.Option("--dim", "-d", "--d", help="Ambient dimension (synthetic sets).", min=1)] = None,
    intrinsic: Annotated[Optional[int], typer.Option("--intrinsic", help="Intrinsic dimension (ball, cube, subspace).", min=1)] = None,
    noise: Annotated[Optional[float], typer.Option("--noise", help="Noise std per coordinate (cube, subspace, swiss-roll).", min=0)] = None,
    gap: Annotated[Optional[float], typer.Option("--gap", help="Planted centroid offset (paired-gap).", min=0)] = None,
    seed: SeedOpt = None,
):
    """Generate a synthetic set with a seed, or copy a bundled dataset's files (with its licence)."""
    from embgeo.datasets import get
    from embgeo.errors import EmbgeoError

    if str(out) == "-":  # a dataset is files (or a folder of them), never standard output: not a folder named '-'
        raise EmbgeoError("datasets export writes files, not standard output", source="-",
                          hint="give a file (synthetic sets: .npy, .npz, .csv) or a folder (bundled sets)")
    ds = get(name)
    if ds.kind == "synthetic":
        _export_synthetic(name, out, dict(n=n, d=d, k=intrinsic, noise=noise, gap=gap), seed_value(seed))
        return
    given = [o for o, v in (("--n", n), ("--dim", d), ("--intrinsic", intrinsic), ("--noise", noise), ("--gap", gap), ("--seed", seed))
             if v is not None]
    if given:  # never ignored silently: a bundled set is copied as shipped
        raise EmbgeoError(f"option {given[0]} does not apply to the bundled dataset '{name}': its files are copied as shipped",
                          hint=f"drop {', '.join(given)}, or export a synthetic set: embgeo datasets list names them")
    if out.exists() and not out.is_dir():
        raise EmbgeoError("exists and is not a folder", source=str(out), hint="bundled datasets are copied into a folder")
    copies = list(ds.paths())
    if any(p.parent.name == "graphs" for p in copies):  # the provenance of the graphs travels with them
        copies.append(next(p for p in copies if p.parent.name == "graphs").parent / "SOURCES.md")
    if not out.exists() and out.suffix.lower() in _FILE_SUFFIXES:
        raise EmbgeoError(f"names a {out.suffix} file, but a bundled dataset is copied into a folder, its {len(copies)} file(s) "
                          "as shipped", source=str(out), hint=f"give a folder, e.g. -o {out.with_suffix('')}")
    out.mkdir(parents=True, exist_ok=True)
    for p in copies:
        shutil.copyfile(p, out / p.name)
    wrote(out, f"{len(copies)} file{'' if len(copies) == 1 else 's'} of '{name}': {', '.join(p.name for p in copies)}")
    typer.echo(str(out))


#: suffixes of data files: -o with one of them names a file, not the folder a bundled set is copied into
_FILE_SUFFIXES = {".npy", ".npz", ".csv", ".tsv", ".txt", ".vec", ".h5", ".hdf5", ".pt", ".parquet", ".safetensors", ".edges",
                  ".json", ".md", ".html"}


# generator parameter -> its option (the intrinsic dimension is ``k`` in the generators, but
# ``-k/--k`` means neighbours everywhere in the CLI)
_OPTION = {"k": "intrinsic"}


def _export_synthetic(name: str, out: Path, given: dict, seed: int) -> None:
    import inspect

    import numpy as np

    from embgeo.datasets.synthetic import GENERATORS
    from embgeo.errors import EmbgeoError
    from embgeo.io.writers import save_matrix, save_npz

    fn, defaults, _ = GENERATORS[name]
    accepted = set(inspect.signature(fn).parameters)
    kwargs = dict(defaults)
    for key, value in given.items():
        if value is None:
            continue
        if key not in accepted:
            takes = sorted("--" + _OPTION.get(a, a) for a in accepted - {"seed"})
            raise EmbgeoError(f"option --{_OPTION.get(key, key)} does not apply to '{name}' (it takes: {', '.join(takes)})")
        kwargs[key] = value
    result = fn(**kwargs, seed=seed)
    suffix = out.suffix.lower()
    if isinstance(result, tuple):  # paired sets
        x, y, direction = result
        if suffix == ".npz":
            save_npz(out, x=x, y=y, direction=direction)
            written = [out]
        else:
            pairs = out.with_name(out.stem + "_pairs" + out.suffix)
            save_matrix(out, x)
            save_matrix(pairs, y)
            written = [out, pairs]
    else:
        save_matrix(out, np.asarray(result))
        written = [out]
    wrote(", ".join(map(str, written)), f"{name}: {', '.join(f'{_OPTION.get(k, k)}={v}' for k, v in kwargs.items())}, seed={seed}")
    for w in written:
        typer.echo(str(w))


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="datasets")
