"""Downloads that open safely in a spreadsheet: formulas never run, list cells fit one cell, accents survive."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from lib import exports


@pytest.mark.parametrize("typed", ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-3", "@SUM(A1)", "\tTab", "\rCR",
                                   "=cmd|' /C calc'!A0"])
def test_formula_like_text_is_neutralised(typed):
    assert exports.safe_cell(typed) == "'" + typed


@pytest.mark.parametrize("plain", ["José Álvarez", "O'Brien", "Zoë", "", "2025-26", "a=b", 42, None])
def test_plain_values_are_left_alone(plain):
    assert exports.safe_cell(plain) == plain


def test_csv_download_defuses_every_cell_and_keeps_accents():
    frame = pd.DataFrame({"name": ["=1+1", "José Álvarez", "O'Brien"],
                          "skills": [["=evil()", "Cataloging"], ["Metadata"], []],
                          "title": ["@SUM(A1:A9)", "-2", "Librarian"]})
    data = exports.to_csv(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["name"] for row in rows] == ["'=1+1", "José Álvarez", "O'Brien"]
    assert [row["title"] for row in rows] == ["'@SUM(A1:A9)", "'-2", "Librarian"]
    assert rows[0]["skills"] == "'=evil(); Cataloging" and rows[2]["skills"] == ""
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
