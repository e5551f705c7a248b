"""The published directory as a file in each of `publication.FORMATS`: which writer writes which format.

`publication` writes the CSV, XLSX and HTML, `booklet` the PDF (fpdf2 is loaded only for it). Choosing between
them here keeps the writers apart: the booklet imports `publication`, and `publication` imports no writer.
"""
from __future__ import annotations

import duckdb

from . import publication
from .publication import Directory


def render(directory: Directory, fmt: str) -> bytes:
    """Write a loaded directory in one of FORMATS."""
    publication.check_format(fmt)
    if fmt == "pdf":
        from .booklet import to_pdf  # fpdf2 is loaded only for the PDF
        return to_pdf(directory)
    return {"csv": publication.to_csv, "xlsx": publication.to_xlsx, "html": publication.to_html}[fmt](directory)


def directory_file(conn: duckdb.DuckDBPyConnection, cycle: str, fmt: str) -> bytes:
    """The published directory of a program year as the bytes of a CSV, XLSX, PDF or HTML file."""
    publication.check_format(fmt)
    return render(publication.load(conn, cycle), fmt)
