"""Synthetic Google Forms exports in the shapes people download: the form's CSV, the Sheet's CSV and XLSX."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl

# The form's own download, and the linked Sheet saved as CSV or as XLSX (real datetime cells).
SHAPES = ("form_csv", "sheet_csv", "sheet_xlsx")


def _text(cell, shape: str) -> str:
    """A cell as the CSV of one shape holds it: timestamps and checkbox lists written as Google does."""
    if isinstance(cell, datetime):
        if shape == "form_csv":
            return cell.strftime("%Y/%m/%d %I:%M:%S %p EDT")
        return f"{cell.month}/{cell.day}/{cell.year} {cell:%H:%M:%S}"
    if isinstance(cell, (list, tuple)):
        return (";" if shape == "form_csv" else ", ").join(cell)
    return cell


def export(shape: str, header: list[str], rows: list[list], stem: str = "responses") -> tuple[bytes, str]:
    """Write an export in one shape; return its bytes and file name."""
    if shape == "sheet_xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Form Responses 1"
        sheet.append(header)
        for row in rows:
            sheet.append([cell if isinstance(cell, datetime) else _text(cell, shape) for cell in row])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue(), f"{stem}.xlsx"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_text(cell, shape) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8"), f"{stem}.csv"


def when(day: int, month: int = 9, year: int = 2025) -> datetime:
    """A response's timestamp."""
    return datetime(year, month, day, 10, 32, 11)
