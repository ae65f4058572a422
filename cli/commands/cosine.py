"""``embgeo cosine X [--factors A B] [--attr COLUMN] [--class COLUMN | --qrels FILE] [-k 10]``"""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional, Tuple

import typer

from embgeo.cli.common import (
    DedupeOpt, DropNonfiniteOpt, FailOnOpt, FormatOpt, AttrColOpt, IdColOpt, attr_list, InputFormatOpt, JoinOpt, KOpt, LabelsIdOpt, LabelsOpt,
    MethodOpt, OutOpt, PlotOpt, SampleOpt, SeedOpt, emit_result, input_entry, message, wrote, read_embeddings, resolve_device,
    old_name, only_with, renamed, save_plot, seed_value, side_output, split_list, verbose,
)


class Process(str, Enum):
    best = "best"
    centre = "centre"
    center = "center"
    centred = "centred"  # the retrieval similarity's name for centring (-m centred): either spelling works in both options
    abtt = "abtt"
    whiten = "whiten"
    standardise = "standardise"


def cosine(
    file: Annotated[str, typer.Argument(help="Embedding file (PATH or PATH:KEY), rows = items.", show_default=False, metavar="X")],
    factors: Annotated[Optional[Tuple[str, str]], typer.Option("--factors", metavar="A B", help="Factor matrices A B of X ≈ A Bᵀ (A: users × r, B: items × r), two files after one --factors: test cosine neighbours of B under rescalings A·D, B·D⁻¹.", show_default=False)] = None,
    attr: Annotated[Optional[str], typer.Option("--attr", help="Numeric attribute column (e.g. frequency) to correlate with the norm; needs --labels unless the input file carries it.", show_default=False)] = None,
    classes: Annotated[Optional[str], typer.Option("--class", help="Class column (from --labels or the input): rows of a class are relevant to each other; scores precision/recall/nDCG@k of every similarity.", show_default=False)] = None,
    qrels: Annotated[Optional[Path], typer.Option("--qrels", help="Relevance judgements, lines 'query doc [relevance]' (or TREC 'query 0 doc relevance') over row ids: retrieval as with --class.", show_default=False, dir_okay=False)] = None,
    method: MethodOpt = None,
    k: KOpt = 10,
    pairs: Annotated[int, typer.Option("--n-pairs", help="Random pairs for the sampled anisotropy and its interval (as in embgeo uniformity).", min=2)] = 20000,
    top: Annotated[int, typer.Option("--top", help="How many rogue dimensions to name.", min=1)] = 3,
    abtt_components: Annotated[Optional[int], typer.Option("--abtt-components", help="Principal components all-but-the-top removes (default: max(1, round(d/100))).", min=0, show_default=False)] = None,
    whiten_floor: Annotated[float, typer.Option("--whiten-floor", help="Whitening eigenvalue floor, relative to the largest eigenvalue.", min=0.0)] = 1e-6,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples of the queries for the retrieval intervals.", min=0)] = 1000,
    confidence: Annotated[float, typer.Option("--confidence", help="Level of the retrieval intervals.", min=0.5, max=0.999)] = 0.95,
    margin: Annotated[float, typer.Option("--margin", help="Retrieval verdict: bad when a similarity's precision@k gain over raw cosine has its whole interval above this.", min=0.0, max=1.0)] = 0.02,
    sample: SampleOpt = None,
    approx: Annotated[bool, typer.Option("--approx", help="Approximate kNN (pynndescent, recall measured) for large n.")] = False,
    write_processed: Annotated[Optional[Path], typer.Option("--write-processed", help="Save the post-processed matrix here (.npy, .npz, .csv, .tsv; written atomically).", dir_okay=False, callback=side_output(".npy", ".npz", ".csv", ".tsv"), show_default=False)] = None,
    process: Annotated[Process, typer.Option("--process", help="Post-processing written by --write-processed; best: the vector transform that retrieves best (with --class/--qrels), else the recommended one.", case_sensitive=False)] = Process.best,
    fail_on: FailOnOpt = None,
    id_col: IdColOpt = None,
    attr_col: AttrColOpt = None,
    labels: LabelsOpt = None,
    labels_id_col: LabelsIdOpt = None,
    join: JoinOpt = None,
    input_format: InputFormatOpt = None,
    drop_nonfinite: DropNonfiniteOpt = False,
    dedupe: DedupeOpt = False,
    drop_zero: Annotated[bool, typer.Option("--drop-zero", help="Drop all-zero rows (they have no direction, so no cosine).")] = False,
    seed: SeedOpt = None,
    plot: PlotOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
    classes_old: old_name("--classes") = None,
):
    """Cosine-similarity pitfalls: a verdict (ok / warn / bad) per diagnostic — anisotropy, IsoScore,
    rogue dimensions, norms, hubness, the rescaling freedom and post-processing — with the numbers behind it;
    with --class or --qrels, which similarity (raw cosine, dot, centred, all-but-the-top, whitened, or a
    hubness reduction: mutual proximity, local scaling, NICDM, CSLS) retrieves the relevant rows best."""
    from embgeo.cosine.diagnostics import cosine_diagnostics, postprocess
    from embgeo.errors import EmbgeoError
    from embgeo.io import save_matrix

    classes = renamed(classes, classes_old, old="--classes", new="--class")
    if classes and qrels:
        raise EmbgeoError("--class and --qrels both define what is relevant", hint="pass one of them")
    only_with("--class or --qrels", bool(classes or qrels), {"bootstrap", "confidence", "margin"},
              "they set the retrieval check's intervals and verdict: add --class COLUMN or --qrels FILE, or drop them")
    only_with("--write-processed", write_processed is not None, {"process"},
              "--process picks what --write-processed saves: add --write-processed FILE, or drop it")
    sims = split_list(method)
    if sims:
        from embgeo.cosine.retrieval import SIMILARITIES, SIMILARITY_ALIASES

        sims = list(dict.fromkeys(SIMILARITY_ALIASES.get(m, m) for m in sims))  # -m centre is the similarity centred
        bad = [m for m in sims if m not in SIMILARITIES]
        if bad:
            raise EmbgeoError(f"unknown --method {bad[0]!r}", hint=f"use {', '.join(SIMILARITIES)} (comma-separated or repeated; centre for centred)")
        if not (classes or qrels):
            raise EmbgeoError("--method picks the similarities of the retrieval check", hint="add --class COLUMN or --qrels FILE")
    es = read_embeddings(file, id_col=id_col, labels=labels, labels_id_col=labels_id_col, input_format=input_format, attr_cols=attr_list(attr_col),
                         drop_nonfinite=drop_nonfinite, dedupe=dedupe, join=join)
    if drop_zero:
        from embgeo.validation import clean_rows

        _, kept = clean_rows(es.matrix, drop_zero=True)
        if kept.size < es.n_samples:
            message(f"{es.source}: dropped {es.n_samples - kept.size} all-zero rows")
            es = es.take(kept)
    attribute = es.attribute(attr, numeric=True) if attr else None
    if attribute is not None:  # a constant attribute has no Spearman with the norm: refused as embgeo rank refuses it
        from embgeo.cosine.neighbors import check_attribute

        check_attribute(attribute, attr, source=str(labels) if labels is not None else es.source)
    class_col = es.attribute(classes, kind="class") if classes else None
    relevant = None
    notes: list[str] = []
    if qrels is not None:
        from embgeo.cosine.retrieval import read_qrels, relevant_from_qrels

        ids = es.ids if es.ids is not None else [str(i) for i in range(es.n_samples)]
        relevant, skipped = relevant_from_qrels(read_qrels(qrels), ids)
        if not relevant:
            raise EmbgeoError("no pair of the qrels names two rows of X", source=str(qrels),
                              hint="query and document ids must be row ids of X (or row numbers when X has no ids)")
        if skipped:
            notes.append(f"{skipped} qrels pairs skipped (an id that is not a row of X, or a row paired with itself)")
    fac = None
    inputs = [input_entry(es)]
    if factors:
        bad = next((f for f in factors if f.startswith("-") or "," in f), None)
        if bad is not None:  # '--factors A --bootstrap 5' took the option as B; '--factors A,B x' took x
            raise EmbgeoError(f"--factors takes two files, A then B, as two words; it got {factors[0]!r} and {factors[1]!r}",
                              hint="write --factors A.npy B.npy (not A.npy,B.npy), with both files before any other option")
        fa = read_embeddings(factors[0], input_format=input_format)
        fb = read_embeddings(factors[1], input_format=input_format)
        fac = (fa.matrix, fb.matrix)
        if fb.n_samples != es.n_samples:  # the diagnostic is about the cosine neighbours of B's rows: X must be those items
            raise EmbgeoError(f"B has {fb.n_samples} rows but X has {es.n_samples}: with --factors, X's rows are the items, B's rows",
                              source=factors[1], hint="pass B as X (embgeo cosine B --factors A B), with A users × r and B items × r")
        if class_col is not None and fb.n_samples != class_col.size:
            raise EmbgeoError(f"--class has {class_col.size} values but B has {fb.n_samples} rows", source=factors[1],
                              hint="with --factors, X's rows are the items: pass B as X (embgeo cosine B --factors A B)")
        inputs += [input_entry(fa), input_entry(fb)]
    device = resolve_device(notes=notes)  # settings.device: where it ran (a cuda fallback is a note)
    backend = "torch" if device == "cuda" else "numpy"
    s = seed_value(seed)
    try:
        report = cosine_diagnostics(
            es.matrix, k=k, factors=fac, factor_labels=class_col if fac is not None else None, attribute=attribute, attribute_name=attr or "attribute", n_pairs=pairs, top=top,
            abtt_components=abtt_components, whiten_floor=whiten_floor, neighbour_sample=sample, seed=s, backend=backend,
            device=device, approx=approx, classes=class_col, relevant=relevant, similarities=sims or None, n_bootstrap=bootstrap, confidence=confidence, margin=margin,
            on_step=lambda name: verbose(f"cosine: {name}"),
        )
    except EmbgeoError as exc:
        raise exc.with_source(es.source) from None
    notes += [f"fix — {line}" for line in report.fixes()]
    from embgeo.validation import sample_note

    on_sample = ["norms", "hubness"] + (["rescaling"] if fac is None else []) + ["post-processing"] + (["retrieval"] if report.retrieval is not None else [])
    on_all = ["anisotropy", "IsoScore", "rogue dimensions"] + (["the factor rescaling"] if fac is not None else [])
    note = sample_note(sample, report.n_rows, s, values=f"the neighbour diagnostics ({', '.join(on_sample)})",
                       detail=f"{', '.join(on_all[:-1])} and {on_all[-1]} use every row")
    if note is not None:
        notes.append(note)
    if report.neighbour_ties:
        from embgeo.knn.engine import tie_note

        notes.append(tie_note(report.neighbour_ties, report.neighbour_rows, report.k,
                              "hubness, the dot/cosine Jaccard and the rescaling and post-processing overlaps"))
    if report.retrieval is not None:
        rt = report.retrieval
        notes.append(f"retrieval: {rt.n_queries} queries from {rt.source}; hubness reductions re-rank the {rt.candidates} nearest rows by cosine; "
                     f"intervals: {rt.n_bootstrap} bootstrap resamples of the queries")
    processed_method = None
    process_name = {"center": "centre", "centred": "centre"}.get(process.value, process.value)  # centred: as --method names it
    if write_processed is not None:
        processed_method = process_name
        if processed_method == "best":
            best = report.retrieval.best_vector_transform() if report.retrieval is not None else None
            processed_method = {"centred": "centre"}.get(best, best) if best else report.postprocessing.recommended
        processed = postprocess(es.matrix, processed_method, n_components=abtt_components, floor=whiten_floor)
        save_matrix(write_processed, processed, ids=es.ids)
        wrote(write_processed, f"the rows after --process {processed_method}, {processed.shape[0]} × {processed.shape[1]}, {processed.dtype}")
    settings = {
        "k": k, "factors": list(factors) if factors else None, "attr": attr, "class": classes, "qrels": qrels, "method": sims or None,
        "n_pairs": pairs, "top": top, "abtt_components": abtt_components, "whiten_floor": whiten_floor, "bootstrap": bootstrap, "confidence": confidence, "margin": margin,
        "sample": sample, "approx": approx, "write_processed": write_processed, "process": processed_method or process_name,
        "fail_on": getattr(fail_on, "value", fail_on), "id_col": id_col, "attr_col": attr_list(attr_col), "labels": labels, "labels_id_col": labels_id_col,
        "join": getattr(join, "value", join), "input_format": input_format, "drop_nonfinite": drop_nonfinite, "dedupe": dedupe,
        "drop_zero": drop_zero, "seed": s, "device": device,
    }
    save_plot(report, plot)
    emit_result(command="cosine", inputs=inputs, settings=settings, result=report, notes=notes, fmt=fmt, out=out,
                title=f"embgeo cosine — {es.source} ({report.n_rows} × {report.n_dims})", fail_on=fail_on)


def register(app: typer.Typer) -> None:
    app.command("cosine")(cosine)
