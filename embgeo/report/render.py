"""Render an :class:`embgeo.report.build.Report` as one self-contained HTML page and as Markdown.

HTML: CSS inline in a ``<style>`` element, images as ``data:image/png;base64`` URIs,
no scripts, no external URL anywhere, and every string — labels, file names, column
names, numbers — passed through :func:`html.escape` (labels may contain markup).
Markdown: the same content, images as files in a folder beside it, table cells with
``|`` escaped and text HTML-escaped (Markdown renders entities).
"""
from __future__ import annotations

import base64
import html
import math
import re

from embgeo._version import __version__

STATUS_LABEL = {"ok": "ok", "warn": "warn", "bad": "bad", "info": "info", "skipped": "skipped", "error": "error"}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;background:#f6f7f9;color:#1d2330;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;margin:0 0 6px}
.sub{color:#5a6270;font-size:.92em}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px;margin:18px 0 26px}
.card{display:block;background:#fff;border-radius:8px;padding:12px 14px;border-left:6px solid #9aa3ae;box-shadow:0 1px 2px rgba(0,0,0,.08);color:inherit;text-decoration:none}
.card .t{font-weight:600}.card .k{font-size:.8em;color:#5a6270;margin-top:6px}.card .v{font-size:1.25em;font-weight:600}
.card .s{font-size:.85em;margin-top:4px}.card .d,.card .r{font-size:.78em;color:#5a6270;margin-top:4px}
.st-ok{border-color:#2e9d4a}.st-warn{border-color:#e0a000}.st-bad{border-color:#d13b3b}.st-info{border-color:#3b7dd8}.st-skipped,.st-error{border-color:#9aa3ae}
.badge{display:inline-block;font-size:.75em;font-weight:700;text-transform:uppercase;padding:1px 7px;border-radius:9px;color:#fff;background:#9aa3ae;vertical-align:middle}
.b-ok{background:#2e9d4a}.b-warn{background:#c98f00}.b-bad{background:#d13b3b}.b-info{background:#3b7dd8}
section{background:#fff;border-radius:8px;padding:18px 20px;margin:0 0 18px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.verdict{font-weight:600;margin:6px 0}
.overall{background:#fff;border-left:6px solid #9aa3ae;border-radius:8px;padding:10px 14px;margin:14px 0 0;font-weight:600}
.expl{margin:8px 0}.ref,.settings{font-size:.88em;color:#5a6270;margin:4px 0}
figure{margin:12px 0}figure img{max-width:100%;height:auto;border:1px solid #e3e6ea}
figcaption{font-size:.85em;color:#5a6270}
table{border-collapse:collapse;font-size:.85em;margin:8px 0;display:block;overflow-x:auto}
th,td{border:1px solid #e1e4e8;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5}
details{margin:8px 0}summary{cursor:pointer;color:#3b5b8c}
ul.notes{font-size:.88em;color:#3a4250}
.leftout{font-size:.9em;color:#5a6270}
"""


def esc(value) -> str:
    """Escape anything for HTML text or attributes."""
    return html.escape(str(value), quote=True)


def cell(v) -> str:
    """A table cell as text (numbers to 4 significant digits)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "∞" if math.isinf(v) else ""
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(cell(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}: {cell(x)}" for k, x in v.items())
    try:
        import numpy as np

        if isinstance(v, np.generic):
            return cell(v.item())
    except ImportError:  # pragma: no cover
        pass
    return str(v)


def anchor(key: str) -> str:
    return "sec-" + re.sub(r"[^a-z0-9_-]", "-", key.lower())


def image_name(section, index: int) -> str:
    return f"{anchor(section.key)[4:]}-{index + 1}.png"


def _table_html(t) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(cell(v))}</td>" for v in row) + "</tr>" for row in t.rows)
    return f'<table><caption class="sub">{esc(t.caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def decided_text(section) -> str:
    """``decided by: <metric> = <value>`` — the metric id (as in the analysis's JSON and CSV) whose value
    decided the section's verdict, with that value."""
    v = (section.decided or {}).get("value")
    return f"decided by: {section.decided_by}" + ("" if v is None else f" = {cell(v)}")


def reduced_text(section) -> str:
    """How the section's settings fall short of its command's defaults."""
    return f"fewer than the command's defaults: {section.reduced}"


def overall_text(report) -> str:
    """The report's verdict as the CLI prints it (the one ``--fail-on`` reads), and the sections shown
    with a status that it does not count."""
    v = report.verdict()
    text = f"Verdict: {v.status} — {v.reason}" + (f" (decided by: {v.decided_by})" if v.decided_by else "") + (f"; fix: {v.fix}" if v.fix else "")
    out = report.not_counted()
    if out:
        text += ("; not counted in the verdict (they describe, they do not judge X): "
                 + ", ".join(f"{s.title} ({s.status})" for s in out))
    return text


def render_html(report) -> str:
    """The report as one self-contained HTML document (no scripts, no external resources)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(report.title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{esc(report.title)}</h1>",
        f'<div class="sub">embgeo {esc(__version__)} · {esc(len(report.sections))} analyses in {esc(f"{report.seconds:.1f}")} s · seed {esc(report.seed)}</div>',
        '<table class="inputs"><tbody>' + "".join(f"<tr><th>{esc(k)}</th><td>{esc(cell(v))}</td></tr>" for k, v in report.inputs) + "</tbody></table>",
        f'<p class="overall st-{esc(report.verdict().status)}">{esc(overall_text(report))}</p>',
        '<div class="cards">',
    ]
    for s in report.sections:
        out.append(
            f'<a class="card st-{esc(s.status)}" href="#{esc(anchor(s.key))}"><div class="t">{esc(s.title)} '
            f'<span class="badge b-{esc(s.status)}">{esc(STATUS_LABEL.get(s.status, s.status))}</span></div>'
            f'<div class="k">{esc(s.key_label)}</div><div class="v">{esc(s.key_value)}</div><div class="s">{esc(s.verdict)}</div>'
            + (f'<div class="d">{esc(decided_text(s))}</div>' if s.decided_by else "")
            + (f'<div class="r">{esc(reduced_text(s))}</div>' if s.reduced else "")
            + "</a>"
        )
    out.append("</div>")
    for s in report.sections:
        out.append(f'<section id="{esc(anchor(s.key))}" data-section="{esc(s.key)}">')
        out.append(f'<h2>{esc(s.title)} <span class="badge b-{esc(s.status)}">{esc(STATUS_LABEL.get(s.status, s.status))}</span></h2>')
        if s.key_label:
            out.append(f'<div class="sub">{esc(s.key_label)}: <b>{esc(s.key_value)}</b></div>')
        out.append(f'<p class="verdict">{esc(s.verdict)}</p>')
        if s.decided_by:
            out.append(f'<p class="sub">{esc(decided_text(s))}</p>')
        if s.reduced:
            out.append(f'<p class="sub">{esc(reduced_text(s))}</p>')
        if s.explanation:
            out.append(f'<p class="expl">{esc(s.explanation)}</p>')
        for img in s.images:
            data = base64.b64encode(img.png).decode("ascii")
            out.append(f'<figure><img alt="{esc(img.caption)}" src="data:image/png;base64,{data}"><figcaption>{esc(img.caption)}</figcaption></figure>')
        for i, t in enumerate(s.tables):
            if i == 0:
                out.append(_table_html(t))
            else:
                out.append(f"<details><summary>{esc(t.caption)}</summary>{_table_html(t)}</details>")
        if s.notes:
            out.append('<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in s.notes) + "</ul>")
        if s.settings:
            out.append(f'<p class="settings">Settings: {esc(s.settings)} · {esc(f"{s.seconds:.1f}")} s</p>')
        if s.reference:
            out.append(f'<p class="ref">Reference: {esc(s.reference)}</p>')
        out.append("</section>")
    if report.left_out:
        out.append('<section class="leftout" id="left-out"><h2>Not run</h2><ul>'
                   + "".join(f"<li>{esc(t)}: {esc(r)}</li>" for t, r in report.left_out) + "</ul></section>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


#: an ``&`` that a Markdown renderer would read as the start of an HTML entity (``&amp;``, ``&#39;``)
_ENTITY = re.compile(r"&(?=#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")


def md(value) -> str:
    """Text for Markdown, readable as plain text too: markup neutralised (``<`` and ``>`` escaped, as are
    an ``&`` that would start an entity, pipes and backticks); quotes and a plain ``&`` stay as written."""
    text = _ENTITY.sub("&amp;", cell(value)).replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "&#96;")


def _table_md(t) -> list[str]:
    lines = [f"*{md(t.caption)}*", "", "| " + " | ".join(md(c) for c in t.columns) + " |", "|" + "---|" * len(t.columns)]
    lines += ["| " + " | ".join(md(v) for v in row) + " |" for row in t.rows]
    return lines + [""]


def render_markdown(report, *, image_folder: str) -> str:
    """The report as Markdown; images are referenced as ``image_folder/<section>-<n>.png``."""
    lines = [f"# {md(report.title)}", "",
             f"embgeo {md(__version__)} · {len(report.sections)} analyses in {report.seconds:.1f} s · seed {report.seed}", ""]
    lines += ["| input | value |", "|---|---|"] + [f"| {md(k)} | {md(v)} |" for k, v in report.inputs] + [""]
    lines += [f"**{md(overall_text(report))}**", ""]
    lines += ["## Summary", "", "| analysis | verdict | key number | value | decided by | in one sentence |", "|---|---|---|---|---|---|"]
    lines += [f"| [{md(s.title)}](#{anchor(s.key)}) | {md(s.status)} | {md(s.key_label)} | {md(s.key_value)} | {md(s.decided_by)} | "
              f"{md(s.verdict + (f' ({reduced_text(s)})' if s.reduced else ''))} |" for s in report.sections]
    lines.append("")
    for s in report.sections:
        lines += [f'<a id="{anchor(s.key)}"></a>', "", f"## {md(s.title)} — {md(s.status)}", ""]
        if s.key_label:
            lines += [f"**{md(s.key_label)}: {md(s.key_value)}**", ""]
        lines += [md(s.verdict), ""]
        if s.decided_by:
            lines += [md(decided_text(s)), ""]
        if s.reduced:
            lines += [md(reduced_text(s)), ""]
        if s.explanation:
            lines += [md(s.explanation), ""]
        for j, img in enumerate(s.images):
            lines += [f"![{md(img.caption)}]({image_folder}/{image_name(s, j)})", ""]
        for t in s.tables:
            lines += _table_md(t)
        if s.notes:
            lines += [f"- {md(n)}" for n in s.notes] + [""]
        if s.settings:
            lines += [f"Settings: {md(s.settings)} · {s.seconds:.1f} s", ""]
        if s.reference:
            lines += [f"Reference: {md(s.reference)}", ""]
    if report.left_out:
        lines += ["## Not run", ""] + [f"- {md(t)}: {md(r)}" for t, r in report.left_out] + [""]
    return "\n".join(lines)


__all__ = ["render_html", "render_markdown", "esc", "cell", "anchor", "image_name", "decided_text", "reduced_text", "CSS"]
