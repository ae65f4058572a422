"""``embgeo hyperbolic combinatorial|hmds|delta|reembed`` (Sala et al. 2018 toolbox)."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from embgeo.cli.common import (
    FailOnOpt, FormatOpt, AttrColOpt, IdColOpt, attr_list, InputFormatOpt, KOpt, OutOpt, PlotOpt, SampleOpt, SeedOpt, emit_result, input_entry, message, wrote,
    about, renamed, save_plot, seed_value, split_list,
)

from embgeo.cli.commands.hyperbolic._coords import coords_option, write_coords

CoordsOpt = coords_option("the coordinates")

#: what ``map_sala`` is in combinatorial/hmds (the tables name rows by their JSON/CSV ids; ``map`` is only ever Nickel–Kiela's)
_MAP_SALA = ("map_sala is Sala et al.'s MAP (positives: graph neighbours), as in hyperbolic eval; distortion_mean and distortion_worst "
             "compare d_emb/scale with graph distances")


def _table(result, command: str) -> dict:
    from embgeo.cli.commands.hyperbolic import tidy_table

    columns, rows = tidy_table(result, command)
    return {"columns": columns, "rows": rows}


def _edges_entry(spec: str, h) -> dict:
    return input_entry(spec, rows=h.n_nodes)


def _is_edge_list(spec: str, *, matrix: str = "a distance matrix", input_format=None) -> bool:
    """Is ``spec`` an edge list (graph distances) or a matrix? Decided by the file, never guessed:

    - ``--input-format`` given: a matrix (the option names its format);
    - ``.edges`` / ``.edgelist``: an edge list;
    - ``.csv``: an edge list when line 1 is an edge-list header (``id1,id2[,weight]``, ``u,v``,
      ``source,target`` …: :data:`embgeo.hyperbolic.graphs.EDGE_COLUMNS`); other 2–3 column CSVs
      could be either and are refused; wider ones are matrices;
    - ``.txt`` / ``.tsv``: see :func:`_text_edge_list`;
    - anything else: a matrix. ``matrix`` says what a matrix is to the command (for the messages)."""
    if input_format is not None:
        return False
    p = Path(spec.split(":")[0] if not Path(spec).exists() else spec)
    suffix = p.suffix.lower()
    if suffix in (".txt", ".tsv"):
        return _text_edge_list(p, matrix=matrix)
    if suffix == ".csv":
        return _csv_edge_list(p, matrix=matrix)
    return suffix in (".edges", ".edgelist")


def _first_lines(p: Path, count: int = 5) -> list[str]:
    """The first ``count`` data lines (no blank lines, no ``#``/``%`` comments), BOM stripped; [] if unreadable."""
    try:
        with open(p, encoding="utf-8-sig", errors="replace") as fh:
            return [ln.strip() for ln in (fh.readline() for _ in range(4 * count)) if ln.strip() and ln.strip()[0] not in "#%"][:count]
    except OSError:
        return []


def _ambiguous(p: Path, what: str, *, matrix: str):
    """The one-line refusal of a file that could be an edge list or a matrix, with both ways out."""
    from embgeo.errors import EmbgeoError

    suffix = p.suffix.lower()
    header = "id1,id2[,weight]" if suffix == ".csv" else "id1 id2 [weight]"
    other = {".csv": f"for {matrix} give --input-format csv", ".tsv": f"for {matrix} give --input-format tsv"}.get(
        suffix, f"for {matrix} give --input-format tsv (numbers separated by spaces); for word vectors give --input-format text")
    return EmbgeoError(f"{what}: an edge list or {matrix}? embgeo does not guess", source=str(p),
                       hint=f"name an edge list .edges or start it with the header {header}; {other}")


def _csv_edge_list(p: Path, *, matrix: str) -> bool:
    """A ``.csv`` is an edge list only when line 1 names edge columns; 2–3 columns without such a header
    (``3,3`` …, ``x,y``, ``a,b,c``) could be either and are refused; other widths are matrices."""
    import csv

    from embgeo.hyperbolic.graphs import is_edge_header

    lines = _first_lines(p, 1)
    if not lines:
        return False  # empty or unreadable: the matrix reader says what is wrong
    fields = next(csv.reader([lines[0]]))
    if is_edge_header(fields):
        return True
    if len(fields) in (2, 3):
        raise _ambiguous(p, f"{len(fields)} columns and no edge-list header on line 1 ({lines[0][:40]!r})", matrix=matrix)
    return False


def _text_edge_list(p: Path, *, matrix: str = "a distance matrix") -> bool:
    """A ``.txt``/``.tsv`` of 2–3 fields a line: an edge list when line 1 is an edge-list header or a
    second field below it is a name (word vectors hold numbers there); with numbers only (or names on
    line 1 alone: a header of other columns) it could be either, and embgeo does not guess."""
    from embgeo.hyperbolic.graphs import is_edge_header

    lines = [ln.split() for ln in _first_lines(p)]
    if not lines or not all(len(f) in (2, 3) for f in lines):
        return False  # word vectors (a word and its values) or a matrix: the embedding readers say what is wrong
    if is_edge_header(lines[0]):
        return True
    from embgeo.io.common import is_plain_number

    named = [not is_plain_number(f[1]) for f in lines]
    if any(named[1:]) or (named[0] and len(lines) == 1):
        return True
    if named[0]:
        raise _ambiguous(p, f"line 1 ({' '.join(lines[0])[:40]!r}) names no edge-list columns and the lines below hold numbers", matrix=matrix)
    raise _ambiguous(p, "lines of 2–3 numeric fields", matrix=matrix)


PointsOpt = Annotated[bool, typer.Option("--points", help="The rows are points, also when the matrix looks like a distance matrix (square, symmetric, zero diagonal).")]


def refuse_distances_as_points(es, command: str, fix: str) -> None:
    """A square matrix that is exactly symmetric, with a zero diagonal and no negative entry, is a distance
    matrix by every sign a file can give, or an adjacency matrix whose rows are points: which one is the
    caller's to say (``--distances`` or ``--points``), never read on a guess."""
    import numpy as np

    M = es.matrix
    if M.ndim == 2 and M.shape[0] == M.shape[1] >= 4 and not np.any(np.diagonal(M)) and np.array_equal(M, M.T) and not (M < 0).any():
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"this {M.shape[0]} × {M.shape[1]} matrix is symmetric with a zero diagonal, so it looks like a distance "
                          f"matrix (or an adjacency matrix whose rows are points); {command} does not guess which", source=str(es.source), hint=fix)


def _matrix_only(source: str, given: dict) -> None:
    """Refuse options that read a matrix when ``source`` is an edge list: they would be ignored."""
    named = [opt for opt, value in given.items() if value]
    if named:
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"{', '.join(named)} {'applies' if len(named) == 1 else 'apply'} to a matrix, but this is an edge list "
                          "(graph distances are computed from it)", source=source,
                          hint=f"leave out {', '.join(named)}, or give --input-format to read the file as a matrix")


def _sample_rows(n: int, size: int, seed):
    """The seeded ``--sample``: ``size`` of ``n`` input row numbers, sorted (as ``project --sample`` draws them)."""
    from embgeo.validation import seeded_rows

    return seeded_rows(n, size, seed_value(seed))


def _sample_note(sample, n: int, seed, *, detail: str = "") -> str | None:
    """The ``--sample`` note of every command (:func:`embgeo.validation.sample_note`)."""
    from embgeo.validation import sample_note

    return sample_note(sample, n, seed_value(seed), detail=detail)


def _read_graph(spec: str):
    """The hierarchy as a graph of its direct edges: a transitive closure (every ancestor
    listed, e.g. the mammals CSV) is reduced to its Hasse diagram, as the Sala et al.
    metrics and the tree construction need, and the user is told."""
    from embgeo.hyperbolic.graphops import orientation_note
    from embgeo.hyperbolic.graphs import read_hierarchy, transitive_reduction

    h = read_hierarchy(spec)
    if note := orientation_note(h):  # the header decided the direction against the auto rule
        message(f"{Path(spec).name}: {note}")
    if h.directed and h.closed:
        g = transitive_reduction(h)
        if g.n_edges < h.n_edges:
            message(f"{Path(spec).name}: a transitive closure ({h.n_edges} edges); using its transitive reduction ({g.n_edges} direct edges)")
        return g
    return h


def _precision(value: str):
    v = value.strip().lower()
    if v in ("auto", "frames"):
        return v
    try:
        return int(v)
    except ValueError:
        from embgeo.errors import EmbgeoError

        raise EmbgeoError(f"--precision must be 'auto', 'frames' or a number of bits; got {value!r}") from None


def combinatorial(
    edges: Annotated[str, typer.Argument(metavar="EDGES", help="Tree or graph: edge list 'u v \\[w]' or closure CSV (a graph is replaced by its BFS tree).", show_default=False)],
    dim: Annotated[int, typer.Option("--dim", "-d", help="Dimension of the ball (2 = Poincaré disk).", min=2)] = 2,
    eps: Annotated[float, typer.Option("--eps", help="Distortion target ε; sets the scale τ = (1+ε)/ε · v(deg_max).", min=0.0)] = 0.1,
    tau: Annotated[Optional[float], typer.Option("--tau", help="Use this scale τ instead of the one from --eps.")] = None,
    precision: Annotated[str, typer.Option("--precision", help="'auto' (float64 if enough, else the exact frames engine), 'frames', or bits: 53 = float64, more = mpmath.")] = "auto",
    root: Annotated[Optional[int], typer.Option("--root", help="Root node index (default: first node of maximum degree).")] = None,
    weighted: Annotated[bool, typer.Option("--weighted", help="Use the file's edge weights as edge lengths.")] = False,
    max_queries: Annotated[Optional[int], typer.Option("--max-queries", help="Estimate MAP from this many random query rows (default: all rows up to 20000 nodes, else 2000).", min=1)] = None,
    distortion_sources: Annotated[Optional[int], typer.Option("--distortion-sources", help="Estimate distortion from this many random source rows (default: all up to 20000 nodes, else 200).", min=1)] = None,
    coords: CoordsOpt = None,
    seed: SeedOpt = None,
    plot: PlotOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Sarkar's combinatorial construction of a tree in the Poincaré ball (Sala et al. 2018), with the
    bits it needs, MAP (graph neighbours) and distortion in the same precision."""
    from embgeo.hyperbolic.combinatorial import embed_hierarchy
    h = _read_graph(edges)
    big = h.n_nodes > 20000
    mq = max_queries if max_queries is not None else (2000 if big else None)
    ds = distortion_sources if distortion_sources is not None else (200 if big else None)
    with about(edges):
        r = embed_hierarchy(h, dim=dim, eps=eps, tau=tau, precision=_precision(precision), root=root, weighted=weighted, max_queries=mq, distortion_sources=ds, seed=seed_value(seed))
    e = r.embedding  # (bits needed and the engine: a note of the result, not a second line on stderr)
    if coords is not None:
        write_coords(coords, r.ids, e.coordinates, text=e.coordinates_text)
        wrote(coords, f"coordinates, {e.n_nodes} × {e.dim}")
        if not e.float64_enough and e.coordinates_text is None:
            message(f"{coords}: float64 coordinates are rounded ({e.n_on_boundary} on the boundary); use --precision {e.bits_needed} for exact ones")
    save_plot(r.embedding, plot, hierarchy=h)
    emit_result(
        command="hyperbolic combinatorial", inputs=[_edges_entry(edges, h)],
        settings={"dim": dim, "eps": eps, "tau": tau, "precision": precision, "root": root, "weighted": weighted, "max_queries": mq,
                  "distortion_sources": ds, "coords": None if coords is None else str(coords), "seed": seed_value(seed),
                  "fail_on": getattr(fail_on, "value", fail_on)},
        result=r, notes=list(r.notes) + [_MAP_SALA], fmt=fmt, out=out, title=f"embgeo hyperbolic combinatorial {edges}", fail_on=fail_on,
        **_table(r, "combinatorial"),
    )


def hmds_cmd(
    source: Annotated[str, typer.Argument(metavar="X", help="Distance matrix (.npy/.npz/.csv …, n×n) or an edge list (graph distances: .edges/.edgelist, a .csv whose line 1 is the header id1,id2\\[,weight], a .txt/.tsv of 'u v \\[w]' lines with named nodes); with --input-format always a matrix.", show_default=False)],
    dim: Annotated[int, typer.Option("--dim", "-d", help="Dimension r of the ball.", min=1)] = 2,
    scale: Annotated[float, typer.Option("--scale", help="Scale t in Y = cosh(t·D).", min=0.0)] = 1.0,
    uncentred: Annotated[bool, typer.Option("--uncentred", help="The public uncentred variant (PCA of −Y; loses a dimension), for comparison.")] = False,
    solver: Annotated[str, typer.Option("--solver", help="Eigensolver: auto, dense or partial (Lanczos).")] = "auto",
    refine: Annotated[int, typer.Option("--refine", help="Riemannian Adam steps (geoopt) on the distortion after h-MDS.", min=0)] = 0,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    input_format: InputFormatOpt = None,
    coords: CoordsOpt = None,
    seed: SeedOpt = None,
    plot: PlotOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """h-MDS: hyperbolic multidimensional scaling of a distance matrix or a graph (Sala et al. 2018)."""
    import numpy as np

    from embgeo.hyperbolic.hmds import hmds

    positives, ids = None, None
    if _is_edge_list(source, input_format=input_format):
        from embgeo.hyperbolic.graphs import graph_distances

        _matrix_only(source, {"--id-col": id_col is not None, "--attr-col": bool(attr_col)})
        h = _read_graph(source)
        D = graph_distances(h)
        if not np.isfinite(D).all():
            from embgeo.errors import EmbgeoError

            raise EmbgeoError("the graph is disconnected: some graph distances are infinite", source=source, hint="embed one connected part")
        positives, ids = h.neighbours, list(h.ids)
        entry = _edges_entry(source, h)
    else:
        from embgeo.cli.common import read_embeddings

        es = read_embeddings(source, id_col=id_col, input_format=input_format, attr_cols=attr_list(attr_col))
        D = np.asarray(es.matrix, dtype=np.float64)
        ids = list(es.ids) if getattr(es, "ids", None) is not None else [str(i) for i in range(D.shape[0])]
        entry = input_entry(es)
    from embgeo.errors import EmbgeoError

    with about(source):
        r = hmds(D, dim=dim, scale=scale, centred=not uncentred, solver=solver, refine_steps=refine, positives=positives, seed=seed_value(seed))
    if coords is not None:
        write_coords(coords, ids, r.coordinates)
        wrote(coords, f"coordinates, {r.n_rows} × {r.dim}")
    save_plot(r, plot)
    emit_result(
        command="hyperbolic hmds", inputs=[entry],
        settings={"dim": dim, "scale": scale, "uncentred": uncentred, "solver": solver, "refine": refine, "id_col": id_col, "attr_col": attr_list(attr_col),
                  "input_format": input_format, "coords": None if coords is None else str(coords), "seed": seed_value(seed),
                  "fail_on": getattr(fail_on, "value", fail_on)},
        result=r, notes=list(r.notes) + ([_MAP_SALA] if r.map_sala is not None else []), fmt=fmt, out=out,
        title=f"embgeo hyperbolic hmds {source}", fail_on=fail_on, **_table(r, "hmds"),
    )


class DeltaMode(str, Enum):
    """The computation of δ, named as ``uniformity --mode``: every quadruple, a sample of them, or exact when small."""
    auto = "auto"
    exact = "exact"
    sample = "sample"


def delta(
    source: Annotated[str, typer.Argument(metavar="X", help="Embedding matrix (Euclidean distances between rows), a square distance matrix with --distances, or an edge list (graph distances: .edges/.edgelist, a .csv whose line 1 is the header id1,id2\\[,weight], a .txt/.tsv of 'u v \\[w]' lines with named nodes); with --input-format always a matrix.", show_default=False)],
    distances: Annotated[bool, typer.Option("--distances", help="The matrix is an n×n distance matrix, not points.")] = False,
    points: PointsOpt = False,
    mode: Annotated[DeltaMode, typer.Option("--mode", help="exact: all quadruples; sample: random subsets solved exactly and random quadruples (a lower bound of δ); auto: exact up to --exact-max points.", case_sensitive=False)] = DeltaMode.auto,
    method: Annotated[Optional[str], typer.Option("--method", "-m", hidden=True, show_default=False)] = None,
    exact_max: Annotated[int, typer.Option("--exact-max", help="Largest n solved exactly by auto.", min=4)] = 120,
    subsets: Annotated[int, typer.Option("--subsets", help="Random subsets solved exactly (--mode sample).", min=0)] = 20,
    subset_size: Annotated[int, typer.Option("--subset-size", help="Points per subset (--mode sample).", min=4)] = 60,
    quadruples: Annotated[int, typer.Option("--quadruples", help="Random quadruples of the whole set (--mode sample).", min=0)] = 200_000,
    sample: SampleOpt = None,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    input_format: InputFormatOpt = None,
    seed: SeedOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Gromov δ-hyperbolicity (four-point condition) and relative δ = 2δ/diameter.

    --mode: auto (exact up to --exact-max points), exact, or sample, as in uniformity (--method, its
    former name, still reads auto, exact or sampled, with a note). The verdict is
    descriptive (info): relative δ is 0 for a tree metric, but concentrated high-dimensional
    distances give small δ too."""
    import numpy as np

    from embgeo.errors import EmbgeoError
    from embgeo.hyperbolic.delta import gromov_delta

    old = None
    if method is not None:  # the former -m/--method auto|exact|sampled (-m names estimators in every other command)
        old = split_list([method])
        if len(old) != 1 or old[0].lower() not in ("auto", "exact", "sampled", "sample"):
            raise EmbgeoError(f"--method (now --mode) takes one of auto, exact, sampled; got {method!r}", hint="give --mode auto, exact or sample")
        old = DeltaMode("sample" if old[0].lower() in ("sampled", "sample") else old[0].lower())
    mode = renamed(mode, old, old="--method", new="--mode", default=DeltaMode.auto)
    method = {"sample": "sampled"}.get(mode.value, mode.value)  # the library's name (embgeo.hyperbolic.gromov_delta)
    kw = dict(method=method, exact_max=exact_max, n_subsets=subsets, subset_size=subset_size, n_quadruples=quadruples, seed=seed_value(seed))
    sampled = None
    if _is_edge_list(source, matrix="a distance matrix" if distances else "a matrix of points", input_format=input_format):
        from embgeo.hyperbolic.graphs import graph_distances

        _matrix_only(source, {"--distances": distances, "--id-col": id_col is not None, "--attr-col": bool(attr_col)})
        h = _read_graph(source)
        D = graph_distances(h)
        if not np.isfinite(D).all():
            from embgeo.errors import EmbgeoError

            raise EmbgeoError("the graph is disconnected: δ is defined on one connected part", source=source)
        if sample is not None:
            raise EmbgeoError("--sample applies to points, not to a graph", source=source, hint="use --mode sample")
        with about(source):
            r = gromov_delta(D, **kw)
        entry = _edges_entry(source, h)
    else:
        from embgeo.cli.common import read_embeddings

        es = read_embeddings(source, id_col=id_col, input_format=input_format, attr_cols=attr_list(attr_col))
        if distances and points:
            raise EmbgeoError("--distances and --points are two readings of one matrix; give one", source=source)
        if not distances and not points:
            refuse_distances_as_points(es, "delta", "pass --distances to read it as distances, or --points if its rows are points")
        sampled = _sample_note(sample, es.n_samples, seed)
        if sample is not None and sample < es.n_samples:
            if distances:
                raise EmbgeoError("--sample takes rows of points; a distance matrix would need rows and columns", source=source)
            es = es.take(_sample_rows(es.n_samples, sample, seed))
        entry = input_entry(es)  # the file's rows (the notes name the sample δ was computed on)
        with about(source):
            r = gromov_delta(es.matrix, **kw) if distances else gromov_delta(points=es.matrix, **kw)
    notes = ([sampled] if sampled else []) + ([] if r.exact else ["sampled: δ is the largest four-point value found (a lower bound of the exact δ)"])
    emit_result(
        command="hyperbolic delta", inputs=[entry],
        settings={"distances": distances, "points": points, "mode": mode.value, "exact_max": exact_max, "subsets": subsets, "subset_size": subset_size,
                  "quadruples": quadruples, "sample": sample, "id_col": id_col, "attr_col": attr_list(attr_col), "input_format": input_format, "seed": seed_value(seed),
                  "fail_on": getattr(fail_on, "value", fail_on)},
        result=r, notes=notes, fmt=fmt, out=out, title=f"embgeo hyperbolic delta {source}", fail_on=fail_on, **_table(r, "delta"),
    )


def reembed_cmd(
    source: Annotated[str, typer.Argument(metavar="X", help="Embedding matrix (PATH or PATH:KEY).", show_default=False)],
    dim: Annotated[int, typer.Option("--dim", "-d", help="Target dimension r (h-MDS and the Euclidean MDS baseline).", min=1)] = 2,
    k: KOpt = 10,
    scale: Annotated[str, typer.Option("--scale", help="h-MDS scale t, or 'auto' (lowest distortion over t·median(D) ∈ {0.5,…,8}).")] = "auto",
    points: PointsOpt = False,
    umap: Annotated[bool, typer.Option("--umap/--no-umap", help="Also run hyperbolic UMAP onto the Poincaré disk (slow on first use).")] = False,
    approx: Annotated[bool, typer.Option("--approx", help="Approximate kNN (pynndescent).")] = False,
    sample: SampleOpt = None,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    input_format: InputFormatOpt = None,
    coords: CoordsOpt = None,
    seed: SeedOpt = None,
    plot: PlotOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Re-embed an embedding matrix into the Poincaré ball (kNN geodesics → h-MDS) next to Euclidean
    MDS at the same dimension: does hyperbolic space fit it better?

    The verdict weighs MAP and mean distortion together: ok when the ball wins one and loses neither
    (ties: MAP within 0.02, distortion within 5 % or 1e-6), bad when the plane does, warn when they tie or
    disagree; it names the one that decided."""
    import numpy as np

    from embgeo.cli.common import read_embeddings
    from embgeo.hyperbolic.reembed import reembed

    es = read_embeddings(source, id_col=id_col, input_format=input_format, attr_cols=attr_list(attr_col))
    if not points:
        refuse_distances_as_points(es, "reembed", "re-embed a distance matrix with embgeo hyperbolic hmds, which reads one; "
                                                  "pass --points if its rows are points")
    n_all = es.n_samples
    source_rows = np.arange(n_all)  # the input row number of each row re-embedded
    sampled = _sample_note(sample, n_all, seed, detail="only these rows were re-embedded" + (
        "; --coords ids are their input row numbers" if getattr(es, "ids", None) is None else ""))
    if sample is not None and sample < n_all:
        source_rows = _sample_rows(n_all, sample, seed)
        es = es.take(source_rows)
    sc = scale if scale.strip().lower() == "auto" else scale
    if sc != "auto":
        try:
            sc = float(sc)
        except ValueError:
            from embgeo.errors import EmbgeoError

            raise EmbgeoError(f"--scale must be a positive number or 'auto'; got {scale!r}") from None
    from embgeo.errors import EmbgeoError

    with about(source):
        r = reembed(es.matrix, dim=dim, k=k, scale=sc, umap=umap, approx=approx, seed=seed_value(seed))
    if coords is not None:
        # joinable to the input: its ids, else the input row numbers (of the file, not of the sample)
        all_ids = list(es.ids) if getattr(es, "ids", None) is not None else [str(int(i)) for i in source_rows]
        ids = [all_ids[i] for i in r.kept]
        C = r.coordinates_hmds
        extra = {}
        for j in range(r.coordinates_mds.shape[1]):
            extra[f"mds{j + 1}"] = [repr(float(v)) for v in r.coordinates_mds[:, j]]
        if r.coordinates_umap is not None:
            for j in range(2):
                extra[f"umap_disk{j + 1}"] = [repr(float(v)) for v in r.coordinates_umap[:, j]]
        write_coords(coords, ids, np.asarray(C), extra=extra)
        wrote(coords, f"coordinates of {len(ids)} rows: h-MDS, MDS{', UMAP' if r.coordinates_umap is not None else ''}")
    save_plot(r, plot)
    emit_result(
        command="hyperbolic reembed", inputs=[input_entry(es)],
        settings={"dim": dim, "k": k, "scale": scale, "points": points, "umap": umap, "approx": approx, "sample": sample, "id_col": id_col, "attr_col": attr_list(attr_col),
                  "input_format": input_format, "coords": None if coords is None else str(coords), "seed": seed_value(seed),
                  "fail_on": getattr(fail_on, "value", fail_on)},
        result=r, notes=([sampled] if sampled else [])
                        + [f"scale t = {r.scale:.4g}{' (auto)' if r.scale_auto else ''}; {_rows_used(r.n_rows, len(source_rows), n_all)}; k = {r.k}",
                           "methods: " + "; ".join(f"{m['method']} = {m['label']} into {m['space']}" for m in r.methods)
                           + "; map_sala is Sala et al.'s MAP (positives: the kNN graph's neighbours)"] + list(r.notes),
        fmt=fmt, out=out, title=f"embgeo hyperbolic reembed {source}", fail_on=fail_on, **_table(r, "reembed"),
    )


def _rows_used(used: int, drawn: int, n_all: int) -> str:
    """``174 of the 300 sampled rows (of 1640)`` with --sample, else ``50 of 50 rows``: what the re-embedding kept
    (its kNN graph's largest connected part) of the rows it was given."""
    if drawn < n_all:
        return f"{used} of the {drawn} sampled rows (of {n_all})"
    return f"{used} of {n_all} rows"


def register(group: typer.Typer) -> None:
    group.command("combinatorial")(combinatorial)
    group.command("hmds")(hmds_cmd)
    group.command("delta")(delta)
    group.command("reembed")(reembed_cmd)
