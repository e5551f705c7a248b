"""Workbooks that would take far more memory to read than their size: refused before any reader allocates."""
from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import datetime

import openpyxl
import pytest
import python_calamine

from lib.imports import sheets, workbook_guard

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.'
    'xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Form Responses 1" sheetId="1" '
    'r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"'
    ' Target="sharedStrings.xml"/></Relationships>',
}


def letters(number: int) -> str:
    """A column's letters (1 = A)."""
    text = ""
    while number:
        number, rest = divmod(number - 1, 26)
        text = chr(65 + rest) + text
    return text


def workbook(rows: str, dimension: str | None = None, shared: list[str] | None = None, prolog: str = "",
             prefix: str = "") -> bytes:
    """A workbook written by hand around the given <row> elements, as a crafted upload would be."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<{p}worksheet {xmlns}>'
             + (f'<{p}dimension ref="{dimension}"/>' if dimension else "")
             + f"<{p}sheetData>{rows}</{p}sheetData></{p}worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in PARTS.items():
            book.writestr(name, text)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        strings = "".join(f"<si><t>{text}</t></si>" for text in shared or [])
        book.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">{strings}'
                                              "</sst>")
    return out.getvalue()


def text_cell(ref: str, text: str) -> str:
    """An inline-text cell."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header(width: int) -> str:
    """A first row of width questions."""
    return '<row r="1">' + "".join(text_cell(f"{letters(i + 1)}1", f"Question {i + 1}") for i in range(width)) + "</row>"


@pytest.fixture
def no_reader(monkeypatch):
    """Fail the test if the workbook reaches python-calamine: the refusal must come before any allocation."""
    class Unopened:
        @staticmethod
        def from_filelike(*args, **kwargs):
            raise AssertionError("the reader opened a workbook the guard should have refused")

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", Unopened)


def refused_quietly(data: bytes, name: str) -> str:
    """Read a workbook expected to be refused; return the message, checking Python's peak memory stayed small."""
    tracemalloc.start()
    try:
        with pytest.raises(sheets.ImportRefused) as refused:
            sheets.read(data, name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024, f"{peak / 1e6:.0f} MB traced while refusing a {len(data):,}-byte file"
    return str(refused.value)


def test_a_1000_column_header_and_a_cell_on_row_40000_is_refused_before_reading(no_reader):
    data = workbook(header(1000) + f'<row r="40000">{text_cell("A40000", "x")}</row>', dimension="A1:ALL40000")
    assert len(data) < 10_000  # the 7 KB file of the report
    message = refused_quietly(data, "responses.xlsx")
    assert message.startswith("responses.xlsx: sheet 'Form Responses 1' reaches row 40,000 and column ALL "
                              "(40,000,000 cells from A1)")
    assert f"{workbook_guard.MAX_CELLS:,} cells" in message and ".csv" in message


def test_a_declaration_of_every_row_excel_has_is_refused(no_reader):
    data = workbook(header(1000) + f'<row r="1048576">{text_cell("ALL1048576", "x")}</row>',
                    dimension="A1:ALL1048576")
    assert "reaches row 1,048,576 and column ALL" in refused_quietly(data, "all rows.xlsx")


def test_a_declared_dimension_is_never_trusted_either_way():
    # Declared huge but holding two rows: read (the declaration allocates nothing).
    sheet = sheets.read(workbook(header(3) + f'<row r="2">{text_cell("A2", "Ana")}</row>',
                                 dimension="A1:XFD1048576"), "small.xlsx")
    assert sheet.headers == ["Question 1", "Question 2", "Question 3"] and sheet.rows == 1
    # Declared tiny but reaching far: refused all the same.
    data = workbook(header(1000) + f'<row r="40000">{text_cell("A40000", "x")}</row>', dimension="A1:B2")
    assert "reaches row 40,000" in refused_quietly(data, "lying.xlsx")


def test_a_real_sparse_workbook_with_a_far_cell_is_read_within_the_budget():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Form Responses 1"
    sheet.append(["Timestamp", "Email Address", "Full name"])
    sheet.append([datetime(2025, 9, 15, 10, 32, 11), "ana@example.edu", "José Álvarez"])
    sheet.append([datetime(2025, 9, 16, 9, 0, 0), "zoe@example.edu", "Zoë O'Neil"])
    sheet.cell(row=200_000, column=2, value="stray@example.edu")  # a cell typed far below the answers
    sheet.cell(row=3, column=20, value="a note far to the right")  # an unnamed column, kept for its cell
    out = io.BytesIO()
    book.save(out)
    read = sheets.read(out.getvalue(), "sparse.xlsx")
    assert read.headers == ["Timestamp", "Email Address", "Full name", "Column 20"]
    assert read.sample("Column 20") == ["a note far to the right"]
    assert read.table.column("_row").to_pylist() == [2, 3, 200_000]
    assert read.table.column("c2").to_pylist() == ["José Álvarez", "Zoë O'Neil", ""]
    assert read.table.column("c0").to_pylist()[0] == "2025-09-15 10:32:11"
    assert read.blank_rows == 200_000 - 4


def test_one_long_shared_text_in_every_cell_is_refused(no_reader):
    # 12,000 cells each naming one 32,000-character shared string: 384 MB once copied into the cells.
    rows = header(2) + "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>' for n in range(2, 12_002))
    data = workbook(rows, shared=["x" * 32_000])
    assert len(data) < 200_000
    assert "MB of text once its shared texts are copied" in refused_quietly(data, "copies.xlsx")


def test_shared_texts_are_read_and_counted(monkeypatch):
    rows = header(2) + '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>0</v></c></row>'
    data = workbook(rows, shared=["Zoë", "=HYPERLINK(&quot;http://x&quot;)"])
    sheet = sheets.read(data, "shared.xlsx")
    assert sheet.table.column("c0").to_pylist() == ['=HYPERLINK("http://x")']
    assert sheet.table.column("c1").to_pylist() == ["Zoë"]
    assert workbook_guard.check(data, "shared.xlsx", "Form Responses 1").columns == 2
    monkeypatch.setattr(workbook_guard, "MAX_TEXT", 100)
    with pytest.raises(sheets.ImportRefused, match="MB of text"):
        sheets.read(data, "shared.xlsx")


@pytest.mark.parametrize("hidden", [
    '<c\tr="ALL40000" t="inlineStr"><is><t>x</t></is></c>',  # a tab where a space is expected
    "<c foo=' r=\"A2\"' r=\"ALL40000\" t=\"inlineStr\"><is><t>x</t></is></c>",  # a reference inside a value
    '<x:c r="ALL40000" xmlns:x="' + MAIN + '" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c>',  # a prefix
    '<c r = "ALL40000" t="inlineStr"><is><t>x</t></is></c>',  # spaces around '='
])
def test_a_far_cell_written_unusually_is_still_seen(hidden, no_reader):
    data = workbook(header(1000) + f'<row r="40000">{hidden}</row>')
    assert "reaches row 40,000 and column ALL" in refused_quietly(data, "hidden.xlsx")


def test_cells_without_their_reference_are_refused_not_guessed(no_reader):
    data = workbook(header(3) + '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 5)
    assert "cannot be checked before reading" in refused_quietly(data, "no refs.xlsx")


def test_a_namespace_prefix_everywhere_is_read():
    rows = ('<x:row r="1">' + "".join(f'<x:c r="{c}1" t="inlineStr"><x:is><x:t>{t}</x:t></x:is></x:c>'
                                      for c, t in (("A", "Email Address"), ("B", "Full name"))) + "</x:row>"
            '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>ana@example.edu</x:t></x:is></x:c>'
            '<x:c r="B2" t="inlineStr"><x:is><x:t>Ana López</x:t></x:is></x:c></x:row>')
    sheet = sheets.read(workbook(rows, prefix="x"), "prefixed.xlsx")
    assert sheet.headers == ["Email Address", "Full name"] and sheet.sample("Full name") == ["Ana López"]


@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
])
def test_entities_external_or_nested_are_refused_as_a_damaged_workbook(prolog, no_reader):
    data = workbook(header(2) + f'<row r="2">{text_cell("A2", "&x;&d;")}</row>', prolog=prolog)
    assert refused_quietly(data, "entities.xlsx") == f"entities.xlsx: {sheets.DAMAGED_XLSX}"


def test_a_part_that_unpacks_past_the_budget_is_refused_even_when_its_size_lies(monkeypatch, no_reader):
    monkeypatch.setattr(workbook_guard, "MAX_INFLATED", 2_000_000)
    padding = " " * 3_000_000  # whitespace between rows: compresses a thousandfold
    data = workbook(header(2) + padding + f'<row r="2">{text_cell("A2", "x")}</row>')
    assert "unpacks to more than 2 MB" in refused_quietly(data, "bomb.xlsx")
    # The central directory claims the sheet holds 100 bytes; the guard inflates what is there, not what is said.
    book = zipfile.ZipFile(io.BytesIO(data))
    info = book.getinfo("xl/worksheets/sheet1.xml")
    central = data.index(b"xl/worksheets/sheet1.xml", info.header_offset + 31) - 46  # its central header
    assert data[central:central + 4] == b"PK\x01\x02"
    lying = data[:central + 24] + (100).to_bytes(4, "little") + data[central + 28:]
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("xl/worksheets/sheet1.xml").file_size == 100
    assert "unpacks to more than 2 MB" in refused_quietly(lying, "bomb.xlsx")


def test_two_parts_of_one_name_are_refused(no_reader):
    data = workbook(header(2))
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as book, pytest.warns(UserWarning):
        book.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    assert refused_quietly(out.getvalue(), "twice.xlsx") == f"twice.xlsx: {sheets.DAMAGED_XLSX}"
