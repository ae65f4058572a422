"""One report of every analysis that applies to the inputs: a self-contained HTML file and a Markdown twin.

:func:`build_report` runs the sections registered in
:data:`embgeo.report.sections.SECTIONS` through the library functions, in order.
A section whose inputs are missing (no pairs → no modality gap; no attribute → no
rank axes; no hierarchy → no hierarchy embedding; no layers → no per-layer curves)
is left out and listed with the reason; a section whose analysis module cannot be
imported is kept with a note that it was skipped; a section whose analysis raises
:class:`~embgeo.errors.EmbgeoError` is kept with the error. Each section ends in a
verdict (``ok`` / ``warn`` / ``bad``, or ``info`` where no verdict applies), a key
number, tables, figures, a short explanation and its reference.

:func:`write_report` renders it (:mod:`embgeo.report.render`) to one HTML file —
images inline as base64 PNG, CSS inline, no scripts and no external URLs, every
string escaped — and beside it ``<stem>.md`` with the images in ``<stem>_files/``.
Every file is written atomically.
"""
from __future__ import annotations

import dataclasses
import time
from os import PathLike
from pathlib import Path

from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.report.model import STATUSES, Context, Image, Report, Section, Table  # noqa: F401  (re-exported)


def _inputs(ctx: Context) -> list:
    es = ctx.es
    rows = [["embeddings", f"{es.source} ({es.n_samples} × {es.n_features}, {es.stored_dtype})"]]
    if es.attributes:
        rows.append(["label columns", ", ".join(sorted(es.attributes))])
    if ctx.attr:
        rows.append(["attribute for rank axes", ctx.attr])
    if ctx.pairs is not None:
        a, b = ctx.pairs
        rows.append(["row-paired sets", f"{a.source} and {b.source} ({a.n_samples} pairs, {a.n_features} dims)"])
    if ctx.layers is not None:
        rows.append(["layers", f"{len(ctx.layers)} layers: {', '.join(map(str, ctx.layers.names))}"])
    if ctx.cache.get("compare") is not None:
        c = ctx.cache["compare"]
        rows.append(["compared with", f"{c.source} ({c.n_samples} × {c.n_features})"])
    if ctx.hierarchy is not None:
        h = ctx.hierarchy
        rows.append(["hierarchy", f"{h.source or 'edges'} ({h.n_nodes} nodes, {h.n_edges} edges{', closure' if h.closed else ''})"])
    rows.append(["seed", ctx.seed])
    return rows


def _safe_run(spec, ctx: Context) -> Section:
    t0 = time.perf_counter()
    try:
        sec = spec.run(ctx)
    except ImportError as exc:
        return Section(spec.key, spec.title, "skipped", "", "—", f"skipped: its analysis module is not available ({exc})",
                       reference=spec.reference, seconds=time.perf_counter() - t0)
    except EmbgeoError as exc:
        return Section(spec.key, spec.title, "error", "", "—", f"could not run: {exc}", reference=spec.reference,
                       seconds=time.perf_counter() - t0)
    return dataclasses.replace(sec, seconds=time.perf_counter() - t0)


def applicable_sections(ctx: Context, sections=None) -> tuple[list, list]:
    """``(specs that apply, [title, reason] for those left out)``."""
    from embgeo.report.sections import SECTIONS

    run, left = [], []
    for spec in (SECTIONS if sections is None else sections):
        reason = spec.applies(ctx)
        if reason is None:
            run.append(spec)
        else:
            left.append([spec.title, reason])
    return run, left


def _section_keys() -> list[str]:
    from embgeo.report.sections import SECTIONS

    return [s.key for s in SECTIONS]


#: ways to draw the map (``"none"`` leaves the map out); the first three are :data:`embgeo.projection.METHODS`
MAP_METHODS = ("pca", "umap", "hyperbolic-umap", "none")


def _check_only(only) -> list[str] | None:
    """``only`` as a list of section keys: one key, a comma list in one string, or a sequence of keys."""
    if only is None:
        return None
    keys = _section_keys()
    items = [only] if isinstance(only, str) else only
    try:
        items = list(items)
    except TypeError:
        raise EmbgeoError(f"only must be a section key or a list of them, got {only!r}", hint=f"e.g. only=['uniformity', 'cosine']; the keys: {', '.join(keys)}") from None
    out = []
    for item in items:
        if not isinstance(item, str):
            raise EmbgeoError(f"only must hold section keys (text), got {item!r}", hint=f"the keys: {', '.join(keys)}")
        out += [k.strip() for k in item.split(",") if k.strip()]
    unknown = [k for k in out if k not in keys]
    if unknown:
        raise EmbgeoError(f"only names {len(unknown)} unknown section{'s' if len(unknown) > 1 else ''}: {', '.join(map(repr, unknown))}",
                          hint=f"the keys: {', '.join(keys)}")
    if not out:
        raise EmbgeoError("only is empty: no section asked for", hint=f"leave it out for every section that applies, or name some of: {', '.join(keys)}")
    return out


def check_report_arguments(*, seed=0, map_method="pca", reembed_sample=500, title=None, only=None, progress=None, join=None) -> dict:
    """The report's settings checked before any analysis runs: each wrong one is a one-line
    :class:`~embgeo.errors.EmbgeoError` naming it (never a raw ``int()`` error, never a section that fails
    later). Returns them normalised: ``seed`` and ``reembed_sample`` as ints, ``only`` as a list of keys."""
    from embgeo.arguments import check_count

    seed = check_count("seed", seed, minimum=0)
    reembed_sample = check_count("reembed_sample", reembed_sample, minimum=0, hint="0 leaves the re-embedding out")
    if 0 < reembed_sample < 4:  # h-MDS of fewer rows would fail in its card, naming X rather than this setting
        raise EmbgeoError(f"{param('reembed_sample', '--reembed-sample')} {reembed_sample} is too few rows: the hyperbolic re-embedding needs at least 4",
                          hint=f"pass {setting('reembed_sample', 4, '--reembed-sample')} or more, or {setting('reembed_sample', 0, '--reembed-sample')} to leave the section out")
    if not isinstance(map_method, str) or map_method not in MAP_METHODS:
        raise EmbgeoError(f"{param('map_method', '--map')} must be one of {', '.join(MAP_METHODS)}, got {map_method!r}",
                          hint=f"e.g. {setting('map_method', 'pca', '--map')} (fast)")
    if title is not None and not isinstance(title, str):
        raise EmbgeoError(f"{param('title')} must be text, got {title!r} ({type(title).__name__})", hint=f"e.g. {setting('title', 'my embeddings')}")
    if progress is not None and not callable(progress):
        raise EmbgeoError(f"progress must be a callable progress(n_done, n_total, title), got {progress!r}")
    if join is not None:
        from embgeo.io.join import check_join

        check_join(join)
    return {"seed": seed, "map_method": map_method, "reembed_sample": reembed_sample, "title": title, "only": _check_only(only),
            "progress": progress, "join": join}


def _check_hierarchy(hierarchy) -> None:
    if hierarchy is None:
        return
    from embgeo.hyperbolic.evaluate import require_hierarchy

    require_hierarchy(hierarchy, name="hierarchy")


def build_report(
    es,
    *,
    pairs=None,
    attr: str | None = None,
    color_by: str | None = None,
    layers=None,
    tokens=None,
    layer_class: str | None = None,
    hierarchy=None,
    compare=None,
    seed: int = 0,
    map_method: str = "pca",
    reembed_sample: int = 500,
    title: str | None = None,
    only=None,
    progress=None,
    join: str | None = None,
) -> Report:
    """Run every analysis that applies and collect the sections.

    Parameters
    ----------
    es : :class:`~embgeo.io.EmbeddingSet` — the embeddings (with label columns, if any).
    pairs : optional ``(A, B)`` row-paired :class:`EmbeddingSet` s (a different row set is fine); with ids
        the rows of B are joined onto those of A **by id** (every id in both, once; a mismatch, repeated
        ids, or ids on one side only raise :class:`~embgeo.errors.EmbgeoError`), arrays by row order;
        sets without ids whose text key column (e.g. ``word``) holds the same values in another order
        raise too (:func:`embgeo.io.join.check_key_columns`).
    join : ``None``/``"id"`` (by id whenever the pairs carry ids) or ``"row-order"`` (take the pairs' rows as they are).
    attr : numeric label column for the rank axes (and the norm–attribute correlation).
    color_by : label column that colours the map (default: the text column with the most
        distinct non-blank values, between 2 and 30, else ``attr``).
    layers : optional :class:`~embgeo.io.LayerStack` for the per-layer curves.
    tokens : optional :class:`~embgeo.extract.store.TokenClouds` of the stack's texts (prompt entropy, curvature).
    layer_class : label column for the per-layer probe accuracy and label overlap (with ``layers``).
    hierarchy : optional :class:`~embgeo.hyperbolic.graphs.Hierarchy` to embed in the disk.
    compare : optional second :class:`EmbeddingSet` of the same items (the ``compare`` section).
    seed : a non-negative integer; every section draws its random numbers from it.
    map_method : ``pca`` (default: fast), ``umap`` or ``hyperbolic-umap`` for the map; ``none`` leaves the map out.
    reembed_sample : rows (seeded sample) re-embedded into the ball by h-MDS (O(n²)); 0 leaves it out.
    only : optional list of section keys to run (the others are left out).
    progress : optional ``callable(n_done, n_total, title)`` called before each section.

    Every setting is checked before any analysis runs (:func:`check_report_arguments`): a wrong one raises
    :class:`~embgeo.errors.EmbgeoError` naming it.
    """
    from embgeo.io.model import as_embedding_set
    from embgeo.report.sections import SECTIONS

    checked = check_report_arguments(seed=seed, map_method=map_method, reembed_sample=reembed_sample, title=title, only=only,
                                     progress=progress, join=join)
    seed, reembed_sample, only = checked["seed"], checked["reembed_sample"], checked["only"]
    _check_hierarchy(hierarchy)
    es = as_embedding_set(es)
    if compare is not None:
        compare = as_embedding_set(compare, name="compare")
    if attr is not None and attr not in es.attributes:
        es.attribute(attr)  # raises the one-line error naming the columns
    if color_by is not None and color_by not in es.attributes:
        es.attribute(color_by)
    if layer_class is not None and layer_class not in es.attributes:
        es.attribute(layer_class)
    if (tokens is not None or layer_class is not None) and layers is None:
        raise EmbgeoError("token clouds and a class column feed the per-layer section: they need a layer stack", hint=either("pass layers= too", "pass --layers STACK too"))
    if pairs is not None:
        from embgeo.io.join import check_key_columns
        from embgeo.uniformity.core import paired_rows

        a, b = _two(pairs)
        a, b = as_embedding_set(a, name="A"), as_embedding_set(b, name="B")
        names = (getattr(a, "source", "A"), getattr(b, "source", "B"))
        check_key_columns((a, b), join=join, names=names)  # no ids, but a key column in another order: refused, not paired by position
        pairs = paired_rows(a, b, join=join, names=names)
    ctx = Context(es=es, pairs=pairs, attr=attr, color_by=color_by, layers=layers, tokens=tokens, layer_class=layer_class,
                  hierarchy=hierarchy, seed=seed,
                  map_method="pca" if map_method == "none" else map_method, reembed_sample=reembed_sample)
    if compare is not None:
        ctx.cache["compare"] = compare
        ctx.cache["join"] = join  # the second space joins by the report's one rule too
    specs = SECTIONS if only is None else [s for s in SECTIONS if s.key in set(only)]
    run, left = applicable_sections(ctx, specs)
    if only is not None:
        left += [[s.title, "not asked for"] for s in SECTIONS if s.key not in set(only)]
    if map_method == "none" and any(s.key == "map" for s in run):  # asked not to draw it
        run = [s for s in run if s.key != "map"]
        left.append([next(s.title for s in SECTIONS if s.key == "map"), f"turned off ({setting('map_method', 'none', '--map')})"])
    t0 = time.perf_counter()
    sections = []
    from embgeo._blas import threads_for

    with threads_for(es.matrix):  # a small input: one BLAS thread (embgeo/_blas.py)
        for i, spec in enumerate(run):
            if progress is not None:
                progress(i, len(run), spec.title)
            sections.append(_safe_run(spec, ctx))
    if progress is not None:
        progress(len(run), len(run), "done")
    return Report(
        title=title or f"embgeo report: {es.source}", inputs=_inputs(ctx), sections=sections, left_out=left,
        seconds=time.perf_counter() - t0, seed=seed,
    )


def _two(pairs) -> tuple:
    """``pairs`` as ``(A, B)``; anything else is a one-line error naming ``pairs``."""
    try:
        items = tuple(pairs) if isinstance(pairs, (tuple, list)) else None
    except TypeError:  # pragma: no cover - tuple() of a tuple/list
        items = None
    if items is None or len(items) != 2:
        got = f"{len(items)} items" if items is not None else type(pairs).__name__
        raise EmbgeoError(f"{param('pairs')} must be two row-paired sets (A, B), got {got}",
                          hint=either("pairs=(A, B): two arrays or EmbeddingSets whose row i is one pair", "--pairs B, or --pairs A --pairs B"))
    return items


def _check_paths(html, md) -> tuple[Path | None, Path | None]:
    """The report's output paths, checked before anything is written (or computed): suffixes and folders."""
    html = None if html is None else Path(html)
    md = None if md is None else Path(md)
    if html is None and md is None:
        raise EmbgeoError("nothing to write: give an HTML path, a Markdown path, or both", hint="html='report.html' and/or md='report.md'")
    if html is not None and html.suffix.lower() not in (".html", ".htm"):
        raise EmbgeoError("the report's HTML file must end in .html", source=str(html), hint="name it report.html")
    if md is not None and md.suffix.lower() != ".md":
        raise EmbgeoError("the report's Markdown file must end in .md", source=str(md), hint="name it report.md")
    for path in (html, md):
        if path is not None:
            parent = path.parent if str(path.parent) else Path(".")
            if not parent.is_dir():
                raise EmbgeoError("output folder does not exist", source=str(path), hint=f"create {parent} first")
    return html, md


def write_report(report: Report, html=None, *, md=None, markdown: bool | None = None) -> list[Path]:
    """Write the report: ``html`` (one self-contained file) and/or ``md`` (Markdown, its images in
    ``<md stem>_files/`` beside it). Every file is written atomically; returns the paths written.

    ``markdown=True`` (library convenience) writes the Markdown twin beside ``html`` as ``<stem>.md``.
    """
    from embgeo.arguments import check_flag
    from embgeo.io.writers import write_bytes, write_text
    from embgeo.outputs import make_folder
    from embgeo.report.render import image_name, render_html, render_markdown

    markdown = None if markdown is None else check_flag("markdown", markdown)

    html = None if html is None else Path(html)
    if markdown and md is None and html is not None:
        md = html.with_suffix(".md")
    html, md = _check_paths(html, md)
    written = []
    if md is not None:
        parent = md.parent if str(md.parent) else Path(".")
        folder = parent / f"{md.stem}_files"
        if folder.is_symlink():
            raise EmbgeoError("the report's image folder is a symbolic link; images are not written through it", source=str(folder),
                              hint=f"remove the link {folder}, or name the Markdown file differently")
        if folder.exists() and not folder.is_dir():
            raise EmbgeoError("the report's image folder exists as a file", source=str(folder),
                              hint=f"remove or rename {folder}, or name the Markdown file differently")
        images = [(s, j, img) for s in report.sections for j, img in enumerate(s.images)]
        if images:
            make_folder(folder)  # taken back with the files if the run fails
        for s, j, img in images:
            p = folder / image_name(s, j)
            write_bytes(p, img.png)
            written.append(p)
        write_text(md, render_markdown(report, image_folder=folder.name))
        written.append(md)
        _drop_stale_figures(folder, keep={p.name for p in written})
    if html is not None:
        write_text(html, render_html(report))
        written.append(html)
    _readable(written)
    return written


def _drop_stale_figures(folder: Path, keep: set) -> None:
    """Remove the figures an earlier report left in ``folder`` (``<section>-<n>.png`` of a section this run did
    not draw): the Markdown beside it must not sit next to figures of another run, possibly of other data.
    Other files in the folder are left alone."""
    import re

    from embgeo.report.render import anchor
    from embgeo.report.sections import SECTIONS

    names = "|".join(re.escape(anchor(s.key)[4:]) for s in SECTIONS)
    pattern = re.compile(rf"(?:{names})-[0-9]+\.png")
    if not folder.is_dir():
        return
    for p in folder.iterdir():
        if p.name not in keep and pattern.fullmatch(p.name) and p.is_file() and not p.is_symlink():
            p.unlink()


def _readable(paths) -> None:
    """Atomic writes create private (0600) files; a report is for sharing: apply the usual umask."""
    import os

    mask = os.umask(0)
    os.umask(mask)
    for p in paths:
        try:
            os.chmod(p, 0o666 & ~mask)
        except OSError:  # pragma: no cover - e.g. a file system without modes
            pass


__all__ = ["Report", "Section", "Table", "Image", "Context", "build_report", "write_report", "applicable_sections", "check_report_arguments",
           "MAP_METHODS", "STATUSES"]


def _check_report_keywords(kwargs: dict) -> None:
    """The keywords :func:`report` passes on to :func:`build_report`: one it does not take (a typo) is a one-line
    error naming it and ``report`` (Python's own message would name ``build_report``), with the nearest keyword."""
    import difflib
    import inspect

    own = ("X", "out", "pairs", "attr", "labels", "layers", "hierarchy", "seed")
    known = [k for k in inspect.signature(build_report).parameters if k != "es"] + [k for k in own if k != "X"]
    for key in kwargs:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1)
            raise EmbgeoError(f"report() got an unexpected keyword argument {key!r}",
                              hint=(f"did you mean {near[0]}=? " if near else "") + f"its keywords: {', '.join(sorted(set(known)))}")


def report(X, *, out=None, pairs=None, attr: str | None = None, labels=None, layers=None, hierarchy=None,
           seed: int = 0, **kwargs) -> Report:
    """Build the report of ``X`` (an array, tensor, list or :class:`~embgeo.io.EmbeddingSet`)
    and, with ``out`` (an ``.html`` path), write it with its Markdown twin.

    ``labels`` is an optional mapping ``column -> values`` (one per row) added as label
    columns; ``pairs`` an optional ``(A, B)`` of row-paired arrays or sets (sets with ids are
    joined by id; ``join="row-order"`` takes their rows as they are); ``compare`` may be an array too.
    Other keyword arguments go to :func:`build_report`. Every setting (``seed``, ``out``, ``map_method``, …)
    is checked before any work: a wrong one raises :class:`~embgeo.errors.EmbgeoError` naming it.
    The report's :meth:`~embgeo.report.model.Report.verdict` is the worst section verdict, and at least
    ``warn`` when a section could not run.
    """
    from embgeo.io.model import as_embedding_set

    # every setting is checked before any work: a wrong one is a one-line error, not a failed section later
    _check_report_keywords(kwargs)
    if out is not None and not isinstance(out, (str, PathLike)):
        raise EmbgeoError(f"out must be the path of the HTML file (text or a Path), got {out!r} ({type(out).__name__})",
                          hint="e.g. out='report.html' (the Markdown twin is written beside it)")
    check_report_arguments(seed=seed, **{k: kwargs[k] for k in ("map_method", "reembed_sample", "title", "only", "progress", "join") if k in kwargs})
    _check_hierarchy(hierarchy)
    if out is not None:
        _check_paths(out, Path(out).with_suffix(".md"))
    if labels is not None and not hasattr(labels, "items"):
        raise EmbgeoError(f"labels must map each column name to its values (one per row), got {type(labels).__name__}",
                          hint="e.g. labels={'topic': topics}")
    if pairs is not None:
        pairs = _two(pairs)
    es = as_embedding_set(X)
    if labels:
        import numpy as np

        es = es.with_attributes({str(k): np.asarray(v) for k, v in labels.items()})
    if pairs is not None:
        pairs = (as_embedding_set(pairs[0], name="A"), as_embedding_set(pairs[1], name="B"))
    if kwargs.get("compare") is not None:
        kwargs["compare"] = as_embedding_set(kwargs["compare"], name="compare")
    rep = build_report(es, pairs=pairs, attr=attr, layers=layers, hierarchy=hierarchy, seed=seed, **kwargs)
    if out is not None:
        write_report(rep, out, markdown=True)
    return rep
