"""The annual report as a file in each of `model.FORMATS`: which writer writes which format.

`render` writes the HTML and Markdown, `pdf` the PDF. Choosing between them here, not in the model, keeps the
writers' imports one way: each imports the model, and the model imports no writer.
"""
from __future__ import annotations

from datetime import date

import duckdb

from . import model
from .model import Report


def render_report(report: Report, fmt: str) -> bytes:
    """Write a built report in one format ('pdf', 'html' or 'md')."""
    model.file_name(report.cycle, fmt)
    if fmt == "pdf":
        from .pdf import to_pdf

        return to_pdf(report)
    from .render import to_html, to_markdown

    return (to_html(report) if fmt == "html" else to_markdown(report)).encode("utf-8")


def render(conn: duckdb.DuckDBPyConnection, cycle: str, fmt: str, today: date | None = None) -> bytes:
    """Build a cycle's report and write it in one format ('pdf', 'html' or 'md')."""
    model.file_name(cycle, fmt)
    return render_report(model.build(conn, cycle, today), fmt)
