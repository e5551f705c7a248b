"""The annual report as one self-contained HTML page, and as Markdown.

Both walk the parts lib.report.model built. The HTML inlines its stylesheet and its charts (SVG from vl-convert, as
data: images, so their ids cannot clash) and loads nothing from anywhere; its Content-Security-Policy says so.
Markdown cannot hold a chart, so it writes the table of what each chart shows. Every piece of text goes through
`html.escape` or `md_escape`, so a circle called `**x**` or `<b>`, or a comment starting with `=`, reads as typed.
"""
from __future__ import annotations

import base64
import html
import re
from typing import TYPE_CHECKING

from .model import Figure, Stats, Table, Text, body_blocks

if TYPE_CHECKING:
    from .model import Report

_CSS = """
:root { --navy: #1F3B4D; --teal: #2E6F73; --gold: #C9A227; --ink: #1a1a1a; --grey: #5A646E; }
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: var(--ink); margin: 0; line-height: 1.5;
       background: #f6f7f8; }
main { max-width: 56rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; background: white; }
header { border-bottom: 3px solid var(--gold); margin-bottom: 1.5rem; }
h1 { color: var(--navy); font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { color: var(--navy); font-size: 1.3rem; margin: 2rem 0 .6rem; padding-bottom: .2rem;
     border-bottom: 1px solid #cfdedf; }
.made { color: var(--grey); margin: 0 0 1rem; }
.note { color: var(--grey); font-size: .9rem; }
.flag { background: #faf3dc; border-left: 5px solid var(--gold); padding: .5rem .8rem; font-weight: bold; }
.empty { color: var(--grey); font-style: italic; }
blockquote { margin: .8rem 0; padding: .2rem 1rem; border-left: 4px solid var(--teal); color: #26333d; }
.body p { white-space: pre-wrap; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .6rem; margin: 1rem 0;
         padding: 0; list-style: none; }
.stats li { border: 1px solid #cfdedf; border-top: 4px solid var(--teal); padding: .5rem .7rem; }
.stats .value { display: block; font-size: 1.35rem; font-weight: bold; color: var(--teal); }
.stats .label { color: var(--grey); font-size: .85rem; }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: .92rem; }
caption { text-align: left; font-weight: bold; color: var(--navy); padding: .3rem 0; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #dfe5e8; text-align: left; vertical-align: top; }
th { background: #eef4f4; color: var(--navy); }
td.num, th.num { text-align: right; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; }
details { margin: .3rem 0 1rem; }
summary { cursor: pointer; color: var(--teal); }
@media print { body { background: white; } main { padding: 0; } details { display: none; } }
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _e(text: object) -> str:
    """Escape text for HTML, quotes included."""
    return html.escape(str(text), quote=True)


def to_html(report: Report) -> str:
    """One accessible, self-contained page: inline stylesheet, charts as inline SVG images, text escaped."""
    from . import charts

    made = report.made.strftime("%B %d, %Y").replace(" 0", " ")
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(report.title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>", "<main>",
           f"<header><h1>{_e(report.title)}</h1>",
           f'<p class="made">Academic Libraries of Indiana, Mentorship Committee. Prepared {_e(made)}.</p>',
           "</header>"]
    for part in report.parts:
        out.append(f'<section id="{_e(part.key)}" aria-labelledby="h-{_e(part.key)}">')
        out.append(f'<h2 id="h-{_e(part.key)}">{_e(part.heading)}</h2>')
        for item in part.items:
            if isinstance(item, Text):
                out.append(_html_text(item))
            elif isinstance(item, Stats):
                out.append('<ul class="stats">' + "".join(
                    f'<li><span class="value">{_e(value)}</span> <span class="label">{_e(label)}</span></li>'
                    for label, value in item.items) + "</ul>")
            elif isinstance(item, Figure):
                svg = base64.b64encode(charts.to_svg(item.spec).encode("utf-8")).decode("ascii")
                out.append(f'<figure><img src="data:image/svg+xml;base64,{svg}" alt="{_e(item.alt)}"></figure>')
                table = _html_table(item.table)
                out.append(table if item.show_table else
                           f"<details><summary>The data of this chart</summary>{table}</details>")
            else:
                out.append(_html_table(item))
        out.append("</section>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _html_text(item: Text) -> str:
    """A paragraph in the HTML for its kind; the committee's text keeps its paragraphs and line breaks."""
    if item.kind == "quote":
        return f"<blockquote><p>“{_e(item.text)}”</p></blockquote>"
    if item.kind == "flag":
        return f'<p class="flag" role="note"><span>Warning:</span> {_e(item.text)}</p>'
    if item.kind == "body":
        parts = []
        for kind, lines in body_blocks(item.text):
            if kind == "p":
                parts.append("<p>" + _e("\n".join(lines)) + "</p>")
            else:
                parts.append("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>")
        return '<div class="body">' + "".join(parts) + "</div>"
    css = {"note": ' class="note"', "empty": ' class="empty"'}.get(item.kind, "")
    return f"<p{css}>{_e(item.text)}</p>"


def _html_table(table: Table) -> str:
    """A table with a caption, header cells scoped to their columns, numbers right-aligned."""
    def cls(index: int) -> str:
        """The class of a numeric column's cells."""
        return ' class="num"' if index in table.numeric else ""

    head = "".join(f'<th scope="col"{cls(i)}>{_e(c)}</th>' for i, c in enumerate(table.columns))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{_e(v)}</td>" for i, v in enumerate(row)) + "</tr>"
                   for row in table.rows)
    note = f'<p class="note">{_e(table.note)}</p>' if table.note else ""
    return (f"<table><caption>{_e(table.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{note}")


# ------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------

# Characters that mean something anywhere in a line of CommonMark (and GitHub's tables and strikethrough).
_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
# What makes a line a heading, list item, quote, rule or setext underline when it starts the line.
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")


def md_escape(text: object) -> str:
    """Text as Markdown that renders exactly as typed: inline markers and line-start markers backslash-escaped."""
    escaped = _INLINE.sub(r"\\\1", str(text))
    lines = []
    for line in escaped.split("\n"):
        # Leading spaces would make an indented code block.
        line = _LINE_START.sub(lambda m: "\\" + m.group(2) if not m.group(2)[0].isdigit()
                               else m.group(2)[:-1] + "\\" + m.group(2)[-1], line.lstrip())
        lines.append(line)
    return "\n".join(lines)


def _md_cell(text: object) -> str:
    """A table cell: escaped, on one line."""
    return md_escape(" ".join(str(text).split()))


def to_markdown(report: Report) -> str:
    """The report as Markdown: headings, paragraphs, key figures and every chart's data as a table."""
    made = report.made.strftime("%B %d, %Y").replace(" 0", " ")
    out = [f"# {md_escape(report.title)}", "",
           f"Academic Libraries of Indiana, Mentorship Committee. Prepared {md_escape(made)}.", ""]
    for part in report.parts:
        out += [f"## {md_escape(part.heading)}", ""]
        for item in part.items:
            if isinstance(item, Text):
                out += [_md_text(item), ""]
            elif isinstance(item, Stats):
                out += _md_table(Table("Key figures", ["Figure", "Value"], [list(pair) for pair in item.items],
                                       numeric=(1,)))
            elif isinstance(item, Figure):
                out += _md_table(item.table, chart=True)
            else:
                out += _md_table(item)
    return "\n".join(out).rstrip("\n") + "\n"


def _md_text(item: Text) -> str:
    """A paragraph in Markdown for its kind; the committee's text keeps its line breaks."""
    if item.kind == "quote":
        return "> “" + md_escape(" ".join(item.text.split())) + "”"
    if item.kind == "flag":
        return "> **Warning:** " + md_escape(" ".join(item.text.split()))
    if item.kind == "body":
        # Two trailing spaces keep a single line break a line break.
        return "\n\n".join("  \n".join(md_escape(line) for line in lines) if kind == "p" else
                             "\n".join("- " + md_escape(line) for line in lines)
                             for kind, lines in body_blocks(item.text))
    if item.kind in ("note", "empty"):
        return "_" + md_escape(item.text) + "_"
    return md_escape(item.text)


def _md_table(table: Table, chart: bool = False) -> list[str]:
    """A pipe table under a bold title (a chart's says so), with its note."""
    align = ["---:" if i in table.numeric else "---" for i in range(len(table.columns))]
    lines = [f"**{'Chart: ' if chart else ''}{md_escape(table.title)}**", "",
             "| " + " | ".join(_md_cell(c) for c in table.columns) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in table.rows]
    lines.append("")
    if table.note:
        lines += ["_" + md_escape(table.note) + "_", ""]
    return lines


__all__ = ["md_escape", "to_html", "to_markdown"]
