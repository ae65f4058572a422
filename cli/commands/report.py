"""``embgeo report X [--pairs Y] [--labels L] [--attr COLUMN] [--layers FILE ... [--tokens T] [--class COL]] [--edges EDGES] --html report.html [--md report.md] [--out summary.json]``"""

from enum import Enum
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from embgeo.cli.common import (
    join_option, only_with,
    DedupeOpt, DropNonfiniteOpt, FailOnOpt, FormatOpt, AttrColOpt, IdColOpt, attr_list, InputFormatOpt, LabelsIdOpt, LabelsOpt, OutOpt, SeedOpt, StackLayoutOpt, layout_value,
    emit_result, input_entry, message, wrote, progress, read_embeddings, seed_value,
)


#: one --join for every row join of the report: --labels onto X, the --pairs, the --compare space, per-layer files of --layers
ReportJoinOpt = join_option("--labels onto X, the --pairs files, the --compare space (and per-layer --layers files)")


class MapMethod(str, Enum):
    pca = "pca"
    umap = "umap"
    hyperbolic_umap = "hyperbolic-umap"
    none = "none"


def report(
    file: Annotated[str, typer.Argument(help="Embedding file (PATH or PATH:KEY).", show_default=False, metavar="X")],
    html: Annotated[Optional[Path], typer.Option("--html", help="Write the report as one self-contained HTML file (images inline, no scripts).", dir_okay=False, show_default=False)] = None,
    md: Annotated[Optional[Path], typer.Option("--md", help="Write the report as Markdown; its images go into <stem>_files/ beside it.", dir_okay=False, show_default=False)] = None,
    pairs: Annotated[Optional[List[str]], typer.Option("--pairs", help="Row-paired sets for the modality gap: --pairs B (pairs X with B) or --pairs A --pairs B (any two row-paired files).", show_default=False)] = None,
    attr: Annotated[Optional[str], typer.Option("--attr", help="Numeric label column for the rank axis (and norm vs attribute); needs --labels unless the input carries it.")] = None,
    color_by: Annotated[Optional[str], typer.Option("--color-by", help="Label column that colours the map (default: the text column with the most distinct values, 2–30, else --attr).")] = None,
    layers: Annotated[Optional[List[str]], typer.Option("--layers", help="A layer stack for per-layer curves: one L×n×d file, or repeat --layers once per layer file.", show_default=False)] = None,
    tokens: Annotated[Optional[Path], typer.Option("--tokens", help="Token clouds of the stack's texts (tokens.h5 from embgeo extract): prompt entropy and curvature in the per-layer curves.", dir_okay=False, show_default=False)] = None,
    class_col: Annotated[Optional[str], typer.Option("--class", help="Class column of the labels: per-layer probe accuracy and label overlap in the per-layer curves (with --layers).", show_default=False)] = None,
    compare: Annotated[Optional[str], typer.Option("--compare", help="A second embedding of the same items (rows joined by id): adds the 'same geometry?' section (CKA, mutual kNN, imbalance, Procrustes, RSA).", metavar="Y", show_default=False)] = None,
    edges: Annotated[Optional[Path], typer.Option("--edges", help="A hierarchy or graph (edge list 'u v \\[w]' or closure CSV 'id1,id2\\[,weight]') to embed in the Poincaré disk.", dir_okay=False)] = None,
    map_method: Annotated[MapMethod, typer.Option("--map", help="How the map is drawn: pca (fast), umap, hyperbolic-umap (slower: numba compiles on first use), none.", case_sensitive=False)] = MapMethod.pca,
    reembed_sample: Annotated[int, typer.Option("--reembed-sample", help="Rows (seeded sample) re-embedded into the Poincaré ball by h-MDS (at least 4); 0 leaves the section out.", min=0)] = 500,
    title: Annotated[Optional[str], typer.Option("--title", help="Title of the report (default: 'embgeo report: X').")] = None,
    seed: SeedOpt = None,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    labels: LabelsOpt = None,
    labels_id_col: LabelsIdOpt = None,
    input_format: InputFormatOpt = None,
    stack_layout: StackLayoutOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    dedupe: DedupeOpt = False,
    join: ReportJoinOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Run every analysis that applies to the inputs and write the report: --html (one self-contained
    file: images inline, no scripts or external URLs) and/or --md (Markdown with its images).
    The summary table (one row per section) is the data: stdout, or --out FILE.
    The verdict is the worst verdict of the sections that judge X, and names the section that decided it (the re-embedding,
    the per-layer curves and a hierarchy scored from its edges alone are shown with their status, not counted); a section
    that could not run makes it at least warn. The page and the Markdown open with it."""
    from embgeo.errors import EmbgeoError
    from embgeo.report.build import build_report, write_report

    if html is None and md is None and out is None and getattr(fmt, "value", fmt) in (None, "table"):
        # the summary alone (-f json|csv|md, or --out FILE) is a gate for a pipeline: every section runs, no page is written
        raise EmbgeoError("nothing to write: give --html FILE and/or --md FILE, or ask for the summary alone (-f json, --out FILE)",
                          hint="e.g. --html report.html")
    for path, suffixes in ((html, (".html", ".htm")), (md, (".md",))):
        if path is None:
            continue
        if path.suffix.lower() not in suffixes:
            raise EmbgeoError(f"this option writes {suffixes[0]}, not '{path.suffix or '(none)'}'", source=str(path), hint=f"name the file report{suffixes[0]}")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise EmbgeoError("output folder does not exist", source=str(path), hint=f"create {parent} first")
    if md is not None:
        folder = (md.parent if str(md.parent) else Path(".")) / f"{md.stem}_files"
        if folder.exists() and not folder.is_dir():
            raise EmbgeoError("the report's image folder exists as a file", source=str(folder), hint=f"remove or rename {folder}, or name the Markdown file differently")
    from embgeo.report.build import check_report_arguments

    check_report_arguments(reembed_sample=reembed_sample)  # before any file is read (the one rule, also in Python)
    from embgeo.io.readers import id_cols, per_column_input

    # --id-col and --attr-col go to the CSV/TSV/parquet inputs among X, the --pairs and --compare (the others keep their ids)
    specs = [file, *(pairs or []), *([compare] if compare else [])]
    cols, attrs = id_cols(specs, id_col, input_format), per_column_input(specs, attr_list(attr_col), input_format)
    es = read_embeddings(file, id_col=cols[0], labels=labels, labels_id_col=labels_id_col, input_format=input_format,
                         drop_nonfinite=drop_nonfinite, dedupe=dedupe, join=join, attr_cols=attrs[0])
    if not drop_nonfinite:  # every analysis would fail on them: say so once, before any work
        from embgeo.validation import format_rows, scan_rows

        bad = scan_rows(es.matrix, duplicates=False).nonfinite_rows
        if bad.size:
            raise EmbgeoError(f"has {bad.size} rows with NaN or inf (rows {format_rows(bad)})", source=es.source, hint="fix them or pass --drop-nonfinite")
    pair_sets = None
    if pairs:
        if len(pairs) > 2:
            raise EmbgeoError(f"--pairs takes one or two files, got {len(pairs)}", hint="--pairs B, or --pairs A --pairs B")
        sets = [read_embeddings(p, id_col=c, input_format=input_format, attr_cols=a) for p, c, a in zip(pairs, cols[1:], attrs[1:])]
        pair_sets = (es, sets[0]) if len(sets) == 1 else (sets[0], sets[1])
        from embgeo.io.join import check_key_columns
        from embgeo.uniformity.core import paired_rows

        names = (file, pairs[0]) if len(sets) == 1 else (pairs[0], pairs[1])
        check_key_columns(pair_sets, join=getattr(join, "value", join), names=names)  # no ids, but a key column in another order
        pair_sets = paired_rows(*pair_sets, join=getattr(join, "value", join), names=names)  # B onto A by id whenever they carry ids
        a, b = pair_sets
        if a.n_samples != b.n_samples or a.n_features != b.n_features:
            raise EmbgeoError(f"the paired sets must have the same shape: {a.source} is {a.n_samples} × {a.n_features}, {b.source} is {b.n_samples} × {b.n_features}",
                              hint="row i of both files must be one pair")
    compare_set = read_embeddings(compare, id_col=cols[-1], input_format=input_format, attr_cols=attrs[-1]) if compare else None
    if compare_set is not None:  # asked for: a --compare input that cannot be joined is an error now, as for --pairs, not a failed section
        from embgeo.io.join import row_orders

        row_orders([es, compare_set], join=getattr(join, "value", join), names=(es.source, compare_set.source))
    stack = None
    only_with("--layers", bool(layers), {"stack_layout"}, "--stack-layout says how a 3-D stack file is laid out: add --layers, or drop it")
    if layers:
        from embgeo.io import load_layers

        stack = load_layers(list(layers), fmt=input_format, id_col=id_col, join=getattr(join, "value", join), layout=layout_value(stack_layout),
                            check_finite=False, attr_cols=attr_list(attr_col))  # a NaN row fails its cards only: the rest of the report runs (docs/report.md)
        # a pooled stack's row ids (embgeo extract writes them beside it) are read by load_layers itself
    if (tokens is not None or class_col is not None) and stack is None:
        raise EmbgeoError(f"{'--tokens' if tokens is not None else '--class'} feeds the per-layer curves: it needs --layers STACK",
                          hint="pass --layers pooled.h5:mean (from embgeo extract)")
    clouds = None
    if tokens is not None:
        from embgeo.extract.store import load_tokens

        clouds = load_tokens(tokens)
    hierarchy = None
    if edges is not None:
        from embgeo.hyperbolic.graphops import orientation_note
        from embgeo.hyperbolic.graphs import read_hierarchy

        hierarchy = read_hierarchy(edges)
        if note := orientation_note(hierarchy):  # the header decided the direction against the auto rule
            message(f"{Path(edges).name}: {note}")
    s = seed_value(seed)
    from embgeo.report.build import Context, applicable_sections

    # --map none: build_report leaves the map out itself, saying "turned off (--map none)"
    skip = {"map"} if map_method is MapMethod.none else set()
    ctx = Context(es=es, pairs=pair_sets, attr=attr, layers=stack, tokens=clouds, layer_class=class_col, hierarchy=hierarchy,
                  reembed_sample=reembed_sample)
    ctx.cache["compare"] = compare_set
    total = len([sp for sp in applicable_sections(ctx)[0] if sp.key not in skip])
    with progress("report", total=total) as advance:
        state = {"done": 0}

        def step(done, total, title):
            advance(done - state["done"])
            state["done"] = done
            if title != "done":
                from embgeo.cli.common import verbose

                verbose(f"report: {title}")

        rep = build_report(
            es, pairs=pair_sets, attr=attr, color_by=color_by, layers=stack, tokens=clouds, layer_class=class_col, hierarchy=hierarchy,
            compare=compare_set, seed=s, join=getattr(join, "value", join),
            map_method=map_method.value, reembed_sample=reembed_sample, title=title,
            progress=step,
        )
    ran = [sec for sec in rep.sections if sec.key != "overview"]
    if ran and all(sec.status == "error" for sec in ran):  # a pipeline must not read this as success: one error line, which
        # says why itself, before any page is written (a failed run leaves no page to send the reader to)
        raise EmbgeoError(f"no analysis could run: all {len(ran)} sections failed (first: {ran[0].title}: {ran[0].verdict})", source=es.source)
    written = write_report(rep, html, md=md) if (html is not None or md is not None) else []
    for p in written:
        if p.suffix != ".png":
            wrote(p)
    images = [p for p in written if p.suffix == ".png"]
    if images:
        wrote(images[0].parent, f"{len(images)} images")
    for sec in rep.sections:
        if sec.status in ("skipped", "error"):
            message(f"report: {sec.title}: {sec.verdict}", style="yellow")
    inputs = [input_entry(es)]
    if pair_sets is not None:
        inputs += [input_entry(p) for p in pair_sets if p is not es]
    if stack is not None:
        inputs += [input_entry(f) for f in layers]
    if clouds is not None:
        inputs.append(input_entry(tokens, rows=clouds.n_texts, dims=clouds.n_dims))
    if compare_set is not None:
        inputs.append(input_entry(compare_set))
    if edges is not None:
        inputs.append(input_entry(edges, rows=hierarchy.n_edges))
    settings = {"html": html, "md": md, "pairs": pairs, "attr": attr, "color_by": color_by, "layers": layers, "tokens": tokens, "class": class_col, "compare": compare, "edges": edges,
                "map": map_method.value, "reembed_sample": reembed_sample, "title": title, "seed": s, "id_col": id_col, "attr_col": attr_list(attr_col),
                "labels": labels, "labels_id_col": labels_id_col, "input_format": input_format, "stack_layout": layout_value(stack_layout), "drop_nonfinite": drop_nonfinite,
                "dedupe": dedupe, "join": getattr(join, "value", join), "fail_on": getattr(fail_on, "value", fail_on)}
    emit_result(command="report", inputs=inputs, settings=settings, result=rep, fmt=fmt, out=out,
                title=f"embgeo report — {es.source} ({rep.seconds:.1f} s)", fail_on=fail_on)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
