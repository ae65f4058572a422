"""``embgeo hyperbolic train`` and ``embgeo hyperbolic eval``: Nickel–Kiela Poincaré
embeddings and the shared evaluation (MAP, mean rank, distortion)."""

import math
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from embgeo.cli.commands.hyperbolic._coords import check_coords, write_coords
from embgeo.cli.common import (
    FailOnOpt, FormatOpt, AttrColOpt, IdColOpt, attr_list, OutOpt, PlotOpt, SeedOpt, emit_result, input_entry, join_option, wrote, old_name, renamed, resolve_device,
    save_plot, seed_value, settings, side_output,
)

EdgesArg = Annotated[Path, typer.Argument(metavar="EDGES", help="Hierarchy or graph: an edge list 'u v \\[w]' or a closure CSV 'id1,id2\\[,weight]'.", show_default=False, dir_okay=False)]


def _value(v):
    return getattr(v, "value", v)


def _table(result, command: str) -> dict:
    from embgeo.cli.commands.hyperbolic import tidy_table

    columns, rows = tidy_table(result, command)
    return {"columns": columns, "rows": rows}


def edges_entry(path, h) -> dict:
    """The ``inputs`` item of an edges file: its nodes are the rows."""
    return input_entry(str(path), rows=h.n_nodes)


class Model(str, Enum):
    poincare = "poincare"
    lorentz = "lorentz"


class EvalModel(str, Enum):
    poincare = "poincare"
    lorentz = "lorentz"
    euclidean = "euclidean"


class Optim(str, Enum):
    radam = "radam"
    rsgd = "rsgd"


class Metric(str, Enum):
    nk = "nk"
    sala = "sala"
    all = "all"


class Orientation(str, Enum):
    auto = "auto"
    child_parent = "child-parent"
    parent_child = "parent-child"
    undirected = "undirected"


class DType(str, Enum):
    float64 = "float64"
    float32 = "float32"


OrientationOpt = Annotated[Orientation, typer.Option("--orientation", help="How the edges are listed: auto (a header naming the direction, e.g. child,parent or hypernym,hyponym, decides; else a DAG whose sinks are fewer than its sources is child→parent; a cycle, or more than one root per connected part, makes it an undirected graph), child-parent, parent-child (either must agree with such a header), undirected.", case_sensitive=False)]


def _positive(name: str, upper: float | None = None):
    """A parse-time check: a finite number > 0 (and ≤ ``upper``)."""

    def check(value):
        if value is None:
            return value
        if not (math.isfinite(value) and value > 0 and (upper is None or value <= upper)):
            from embgeo.errors import EmbgeoError

            rng = f"in (0, {upper:g}]" if upper is not None else "a finite number > 0"
            raise EmbgeoError(f"{name} must be {rng}; got {value}")
        return value

    return check


def _orientation(h) -> dict:
    """What the run read of the edges' direction (derived, so a result, not a setting): ``orientation_read``
    (child-parent, parent-child or undirected) and ``orientation_from`` (auto, header or given)."""
    return {"orientation_read": h.orientation, "orientation_from": h.orientation_from}


def _hierarchy_notes(h) -> list[str]:
    from embgeo.hyperbolic.graphs import check_hierarchy

    rep = check_hierarchy(h)
    return [f"{Path(h.source).name if h.source else 'graph'}: {m}" for m in rep.messages]


def _check_summary_out(ctx: typer.Context, param: typer.CallbackParam, value: Optional[Path]) -> Optional[Path]:
    """--out is the summary, checked when parsed, before any work: its suffix and folder, and against
    --format (whichever comes first on the command line: the later one's check sees the other)."""
    if value is not None and value.suffix.lower() == ".npz":
        from embgeo.errors import EmbgeoError

        raise EmbgeoError("--out is the summary (.json, .csv, .md or .txt); the embedding is --coords FILE.npz", source=str(value),
                          hint=f"--coords {value}")
    from embgeo.cli.common import check_out_option

    return check_out_option(ctx, value)  # the one --out rule (suffix, -f, folder) of every command


def train(
    edges: EdgesArg,
    coords: Annotated[Path, typer.Option("--coords", help="Write the embedding here: .npz (embeddings, ids, curvature, model, config, history, holdout) or .csv (id, x1, x2, …: the ball coordinates); hyperbolic eval reads either.", dir_okay=False, callback=check_coords, show_default=False)],
    dim: Annotated[int, typer.Option("--dim", "-d", help="Embedding dimension.", min=1)] = 10,
    epochs: Annotated[int, typer.Option("--epochs", help="Passes over the positive pairs (closure of a DAG, edges of a graph).", min=0)] = 300,
    negatives: Annotated[int, typer.Option("--negatives", help="Negatives per positive pair (nodes that are not positives).", min=1)] = 50,
    lr: Annotated[float, typer.Option("--lr", help="Learning rate (radam: 0.03; rsgd: try 1); > 0.", callback=_positive("--lr"))] = 0.03,
    model: Annotated[Model, typer.Option("--model", help="poincare (the ball) or lorentz (the hyperboloid; saved converted to the ball as well).", case_sensitive=False)] = Model.poincare,
    optimizer: Annotated[Optim, typer.Option("--optimizer", help="geoopt RiemannianAdam (radam) or RiemannianSGD (rsgd).", case_sensitive=False)] = Optim.radam,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Positive pairs per step.", min=1)] = 256,
    share_negatives: Annotated[int, typer.Option("--share-negatives", help="Pairs that share one negative sample (1: each pair its own).", min=1)] = 16,
    burnin: Annotated[int, typer.Option("--burnin", help="Burn-in epochs at lr × --burnin-factor with degree^0.75 negatives.", min=0)] = 20,
    burnin_factor: Annotated[float, typer.Option("--burnin-factor", help="Learning-rate factor during burn-in.")] = 0.1,
    curvature: Annotated[float, typer.Option("--c", help="Curvature −c of the space (c > 0).")] = 1.0,
    dtype: Annotated[DType, typer.Option("--dtype", help="float64 (default) or float32 (clips points at ‖x‖ ≤ 0.996: lower MAP).", case_sensitive=False)] = DType.float64,
    eval_every: Annotated[int, typer.Option("--eval-every", help="Evaluate MAP every N epochs (0: only at the end).", min=0)] = 25,
    target_map: Annotated[Optional[float], typer.Option("--target-map", help="Stop once the MAP (Nickel–Kiela) reaches this (in (0, 1]).", callback=_positive("--target-map", upper=1.0))] = None,
    patience: Annotated[Optional[int], typer.Option("--patience", help="Stop after N evaluations without a MAP gain.", min=1)] = None,
    holdout: Annotated[float, typer.Option("--holdout", help="Hold out this fraction of the pairs (touching neither root nor leaf) for 'eval --link-prediction' (Nickel & Kiela: 0.1).", min=0.0, max=0.99)] = 0.0,
    sparse: Annotated[Optional[bool], typer.Option("--sparse/--dense", help="Sparse steps update only the rows a batch touches (O(batch) per step; default above 20 000 nodes); dense steps move every row (Adam moments of all rows).", show_default=False)] = None,
    threads: Annotated[int, typer.Option("--threads", help="torch threads while training (1 is fastest for these small steps on 2 cores).", min=1)] = 1,
    checkpoint: Annotated[Optional[Path], typer.Option("--checkpoint", help="Write a resumable checkpoint (.npz) here.", dir_okay=False, callback=side_output(".npz"))] = None,
    checkpoint_every: Annotated[int, typer.Option("--checkpoint-every", help="Checkpoint every N epochs (and at the end).", min=1)] = 25,
    resume: Annotated[Optional[Path], typer.Option("--resume", help="Continue from a checkpoint written with the same settings.", dir_okay=False)] = None,
    orientation: OrientationOpt = Orientation.auto,
    seed: SeedOpt = None,
    plot: PlotOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the summary to this file (atomically) instead of stdout; .json, .csv, .md or .txt (any name with --format).", dir_okay=False, callback=_check_summary_out)] = None,
):
    """Train a Poincaré embedding of a hierarchy (Nickel & Kiela 2017) and save it to --coords.

    The summary (MAP, mean rank, epochs, time) goes to stdout or --out; progress with loss and
    MAP to stderr on a terminal. The verdict reads the reconstruction MAP (ok ≥ 0.9, warn ≥ 0.5).
    """
    from embgeo.hyperbolic.graphs import read_hierarchy
    from embgeo.hyperbolic.poincare import save_embedding, train_poincare

    as_csv = coords.suffix.lower() == ".csv"
    if as_csv and holdout > 0:  # refused before any work: the held-out pairs would be lost
        from embgeo.errors import EmbgeoError

        raise EmbgeoError("--holdout saves the held-out pairs with the embedding, which only .npz can hold", source=str(coords),
                          hint=f"give --coords {coords.with_suffix('.npz')} (eval --link-prediction reads the pairs from it)")
    h = read_hierarchy(edges, orientation=orientation.value, cycles="error")  # a cycle: a wrong edge or a graph, never guessed
    notes = _hierarchy_notes(h)  # shown once: among the notes under the table (JSON "notes"), as in eval
    sd = seed_value(seed)
    device_notes: list[str] = []
    device = resolve_device(notes=device_notes)  # settings.device: where it ran (a cuda fallback is a note)
    with _train_progress(epochs) as callback:
        result = train_poincare(
            h, dim=dim, epochs=epochs, negatives=negatives, lr=lr, batch_size=batch_size, share_negatives=share_negatives,
            burnin=burnin, burnin_factor=burnin_factor, optimizer=optimizer.value, model=model.value, c=curvature, dtype=dtype.value,
            seed=sd, eval_every=eval_every, target_map=target_map, patience=patience, threads=threads, sparse=sparse,
            callback=callback, checkpoint=checkpoint, checkpoint_every=checkpoint_every if checkpoint else None, resume=resume,
            device=device, holdout=holdout,
        )
    if as_csv:
        write_coords(coords, result.ids, result.coordinates)
    else:
        save_embedding(coords, result)
    save_plot(result, plot, hierarchy=h)
    wrote(coords, f"coordinates, {result.coordinates.shape[0]} × {result.coordinates.shape[1]}, {model.value}, c={curvature:g}")
    notes = notes + device_notes + [f"MAP and mean rank: Nickel–Kiela definition (closure ancestors, the node itself excluded); stopped: {result.stopped}"]
    if as_csv:
        notes.append(f"{coords} holds the ids and the ball coordinates only (no curvature, model or history: .npz keeps them)"
                     + (f"; evaluate it with --c {curvature:g}" if curvature != 1.0 else ""))
    if result.holdout is not None:
        notes.append(f"{result.holdout.shape[0]} pairs held out (touching neither root nor leaf; seed {sd}); MAP is over the pairs trained on. "
                     f"Score them with: embgeo hyperbolic eval {coords} {edges} --link-prediction")
    emit_result(
        command="hyperbolic train", inputs=[edges_entry(edges, h)],
        settings={"device": device, "coords": str(coords), "dim": dim, "epochs": epochs, "negatives": negatives, "lr": lr, "model": model.value,
                  "optimizer": optimizer.value, "batch_size": batch_size, "share_negatives": share_negatives, "burnin": burnin,
                  "burnin_factor": burnin_factor, "c": curvature, "dtype": dtype.value, "eval_every": eval_every, "target_map": target_map,
                  "patience": patience, "holdout": holdout, "sparse": result.config.sparse, "threads": threads,
                  "checkpoint": None if checkpoint is None else str(checkpoint), "checkpoint_every": checkpoint_every,
                  "resume": None if resume is None else str(resume), "orientation": orientation.value, "seed": sd,
                  "fail_on": getattr(fail_on, "value", fail_on)},
        result=result, results={"coords": str(coords), **result.to_dict(), **_orientation(h)}, notes=notes, fmt=fmt, out=out,
        title=f"embgeo hyperbolic train {edges}", fail_on=fail_on, **_table(result, "train"),
    )


class _TrainProgress:
    def __init__(self, bar, task):
        self.bar, self.task, self.map = bar, task, None

    def __call__(self, epoch, loss, map_):
        if map_ is not None:
            self.map = map_
        self.bar.update(self.task, completed=epoch, loss=f"{loss:.4f}", map="—" if self.map is None else f"{self.map:.4f}")


class _train_progress:
    """A rich bar on stderr with epoch, loss and the last MAP (only on a terminal, not with --quiet)."""

    def __init__(self, total):
        self.total, self.bar = total, None

    def __enter__(self):
        if settings().quiet or not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}  MAP {task.fields[map]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.bar.__enter__()
        task = self.bar.add_task("train", total=self.total, loss="—", map="—")
        return _TrainProgress(self.bar, task)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def eval_(
    emb: Annotated[str, typer.Argument(metavar="X", help="Embedding (PATH or PATH:KEY); rows matched to the nodes by id; without ids, row k is node k when the nodes are the integers 0…n−1, else give --join row-order.", show_default=False)],
    edges: EdgesArg,
    metric: Annotated[Metric, typer.Option("--protocol", help="Which MAP: nk: MAP + mean rank, closure ancestors as positives (Nickel & Kiela); sala: MAP with graph neighbours + distortion (Sala et al.); all: both.", case_sensitive=False)] = Metric.nk,
    model: Annotated[Optional[EvalModel], typer.Option("--model", help="Geometry of the coordinates (default: poincare, or what the .npz says).", case_sensitive=False)] = None,
    curvature: Annotated[Optional[float], typer.Option("--c", help="Curvature −c (default: 1, or the .npz's 'curvature').")] = None,
    distortion: Annotated[Optional[bool], typer.Option("--distortion/--no-distortion", help="Mean and worst-case distortion (default: with sala/all).", show_default=False)] = None,
    scale: Annotated[Optional[float], typer.Option("--scale", help="Scale s in d_emb/s for mean distortion (default: fitted).")] = None,
    distortion_sources: Annotated[Optional[int], typer.Option("--distortion-sources", help="Estimate distortion from this many random source nodes (default: all; large graphs).", min=1)] = None,
    unweighted: Annotated[bool, typer.Option("--unweighted", help="Count hops even when the edge list has weights.")] = False,
    link_prediction: Annotated[bool, typer.Option("--link-prediction", help="Rank the pairs held out by 'train --holdout' among non-edges: MAP and mean rank (Nickel & Kiela), with chance levels.")] = False,
    hyperlex: Annotated[Optional[Path], typer.Option("--hyperlex", help="HyperLex file (WORD1 WORD2 … AVG_SCORE, or 'u v score'): Spearman ρ of −(1 + α(‖v‖ − ‖u‖))·d(u, v), α = 1000.", dir_okay=False, exists=True)] = None,
    orientation: OrientationOpt = Orientation.auto,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    join: join_option("the rows of X onto the nodes of EDGES (row-order: row i is the i-th node; integer nodes by value, "
                      "named ones by first appearance)") = None,
    seed: SeedOpt = None,
    plot: PlotOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
    metric_old: old_name("--metric") = None,
    max_sources_old: old_name("--max-sources", int) = None,
):
    """Evaluate an embedding of a hierarchy: MAP and mean rank (Nickel–Kiela), MAP (Sala et al.), distortion;
    link prediction on held-out pairs and HyperLex on request.

    The verdict weighs MAP and mean distortion together (MAP ok ≥ 0.9, warn ≥ 0.5; distortion ok ≤ 0.2,
    warn ≤ 0.5) and names the one that decided."""
    from embgeo.cli.common import read_embeddings
    from embgeo.errors import EmbgeoError
    from embgeo.hyperbolic.evaluate import evaluate_embedding
    from embgeo.hyperbolic.graphs import read_hierarchy
    from embgeo.hyperbolic.poincare import embedding_metadata

    if metric_old is not None and metric_old.lower() not in [m.value for m in Metric]:
        raise EmbgeoError(f"--metric (now --protocol) is one of {', '.join(m.value for m in Metric)}; got {metric_old!r}")
    metric = Metric(renamed(metric, None if metric_old is None else metric_old.lower(), old="--metric", new="--protocol"))
    distortion_sources = renamed(distortion_sources, max_sources_old, old="--max-sources", new="--distortion-sources")
    meta = embedding_metadata(emb)
    es = read_embeddings(emb, id_col=id_col, attr_cols=attr_list(attr_col))
    h = read_hierarchy(edges, orientation=orientation.value, cycles="error")
    notes = _hierarchy_notes(h)
    model_name = model.value if model is not None else meta.get("model", "poincare")
    if model is None and model_name == "lorentz":
        model_name = "poincare"  # the .npz's 'embeddings' are the ball coordinates
    c = curvature if curvature is not None else float(meta.get("curvature", 1.0))
    ids, join_note = _match_rows(es, h, getattr(join, "value", join), emb=str(emb), edges=Path(edges).name)
    notes += [join_note] if join_note else []
    if scale is not None and not scale > 0:
        raise EmbgeoError(f"--scale must be positive; got {scale}", hint="leave it out to fit the scale")
    held = None
    if link_prediction:
        held = meta.get("holdout")
        if held is None:
            raise EmbgeoError("--link-prediction needs the pairs held out in training; this file has none", source=str(emb),
                              hint="train with 'embgeo hyperbolic train EDGES --coords E.npz --holdout 0.1' and evaluate E.npz")
    lex = None
    if hyperlex is not None:
        from embgeo.hyperbolic.linkpred import read_hyperlex

        lex = read_hyperlex(hyperlex)
    try:
        r = evaluate_embedding(es.matrix, h, protocol=metric.value, model=model_name, c=c, ids=ids, distortion=distortion, scale=scale,
                               weighted=not unweighted, distortion_sources=distortion_sources, seed=seed_value(seed), holdout=held, hyperlex=lex,
                               produced_by=meta.get("produced_by"))
    except EmbgeoError as exc:
        raise exc.with_source(str(emb)) from None
    notes = notes + list(r.notes)
    if metric.value in ("nk", "all"):
        notes.append("map, mean_rank (Nickel–Kiela): positives are the closure ancestors of each node, the node itself excluded")
    if metric.value in ("sala", "all"):
        notes.append(f"map_sala (Sala et al.): positives are graph neighbours ({r.graph}); never compare it with the Nickel–Kiela map")
    if r.link_map is not None:
        notes.append(f"link prediction: {r.link_edges} held-out pairs of {r.link_queries} nodes ranked among non-edges (pairs trained on are not candidates)")
    if r.hyperlex_pairs is not None:
        notes.append(f"HyperLex: {r.hyperlex_pairs} pairs with both words in the embedding ({r.hyperlex_pairs_missing} without); α = {r.hyperlex_alpha:g}")
    emit_result(
        command="hyperbolic eval", inputs=[input_entry(es), edges_entry(edges, h)] + ([input_entry(str(hyperlex))] if hyperlex else []),
        settings={"protocol": metric.value, "model": model_name, "c": c, "distortion": distortion, "scale": scale, "distortion_sources": distortion_sources,
                  "unweighted": unweighted, "link_prediction": link_prediction, "hyperlex": None if hyperlex is None else str(hyperlex),
                  "orientation": orientation.value, "id_col": id_col, "attr_col": attr_list(attr_col), "join": getattr(join, "value", join), "seed": seed_value(seed),
                  "fail_on": getattr(fail_on, "value", fail_on)},
        result=r, results={**r.to_dict(), **_orientation(h)}, notes=notes, fmt=fmt, out=out, title=f"embgeo hyperbolic eval {emb} {edges}", fail_on=None, **_table(r, "eval"),
    )
    if plot is not None:
        import numpy as np

        coords = np.asarray(es.matrix)
        if ids is not None:  # rows in the hierarchy's node order
            pos = {str(v): i for i, v in enumerate(ids)}
            coords = coords[[pos[str(u)] for u in h.ids]]
        # the histogram's source nodes are the evaluation's (--distortion-sources, --seed): it drew 300 with seed 0
        save_plot(r, plot, coordinates=coords if model_name == "poincare" else None, hierarchy=h if model_name == "poincare" else None,
                  distortion_sources=distortion_sources, seed=seed_value(seed))
    from embgeo.cli.output import gate

    gate(r.verdict(), fail_on)


def _match_rows(es, h, join, *, emb: str, edges: str):
    """How the rows of ``es`` meet the nodes of ``h`` (never by a guessed order): ``(ids, note)`` with ``ids``
    the node of each row, for :func:`evaluate_embedding`, and the note that says how (None for a plain join by id).

    - by **id** whenever X carries ids (the default; ``--join id``);
    - by **row number** when X has no ids and the nodes are exactly the integers ``0 … n−1``: row k is node k
      (as a labels file's row numbers meet embeddings without ids);
    - by **row order** only with ``--join row-order``: row i is the i-th node of EDGES (integer nodes by
      value, named nodes by first appearance in the file), X's ids unused;
    - otherwise (no ids, nodes named or other integers) an error that names both fixes."""
    import numpy as np

    from embgeo.errors import EmbgeoError

    n, rows = h.n_nodes, es.n_samples
    node_ids = [str(v) for v in h.ids.tolist()]
    if join == "row-order":
        if rows != n:
            raise EmbgeoError(f"has {rows} rows but {edges} has {n} nodes; a join by row order needs one row per node", source=emb,
                              hint="give X one row per node, or join by id (save ids with the embedding: npz key 'ids', a CSV id column)")
        order = "integer nodes by value" if _integer_ids(node_ids) else f"named nodes in order of first appearance in {edges}"
        unused = "; its ids are not used" if es.ids is not None else ""
        return np.asarray(node_ids), f"rows of X joined by row order (--join row-order): row i is the i-th node of {edges} ({order}){unused}"
    if es.ids is not None:
        have = {str(v) for v in es.ids.tolist()}
        extra = len(have - set(node_ids))
        return es.ids, (f"rows of X joined to the nodes of {edges} by id; {extra} ids of X are not nodes of {edges} and were left out" if extra else None)
    if node_ids == [str(i) for i in range(n)]:
        if rows != n:
            raise EmbgeoError(f"has {rows} rows and no ids, but {edges} has {n} nodes (0…{n - 1}): row k is node k, so X needs {n} rows", source=emb,
                              hint="save ids with the embedding (npz key 'ids', a CSV id column), or give one row per node")
        return np.asarray(node_ids), f"X has no ids: row k is node k (the nodes of {edges} are the integers 0…{n - 1})"
    what = "named" if not _integer_ids(node_ids) else f"integers but not 0…{n - 1}"
    raise EmbgeoError(f"has no row ids and the nodes of {edges} are {what}, so its rows cannot be matched to nodes; embgeo does not guess the order",
                      source=emb, hint="save ids with the embedding (npz key 'ids', a CSV id column or --id-col), "
                                       f"or pass --join row-order if row i is the i-th node of {edges} (integer nodes by value, named nodes by first appearance)")


def _integer_ids(ids) -> bool:
    try:
        [int(v) for v in ids]
        return True
    except ValueError:
        return False


def register(group: typer.Typer) -> None:
    group.command("train")(train)
    group.command("eval")(eval_)
