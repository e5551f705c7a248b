"""The Import page with files a new user really uploads: one with no responses, an unreadable one, and the next
file after a successful import."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import streamlit as st

from tests.apptest_support import app, open_page, query, texts
from tests.test_cli import run
from tests.fuzz_corpus import plain

HEADER = ("Timestamp,Email Address,Name,Institution,Job title,Areas of expertise,Colleagues may contact me for,"
          "I consent to my information being shared in the ALI Skills Directory\n")
EXPORT = (HEADER + '10/2/2025 10:00:00,fresh.one@example.edu,Fresh One,Purdue University,Librarian,"Cataloging, '
                   'Metadata",Support,Yes\n'
                   "10/3/2025 10:00:00,fresh.two@example.edu,Fresh Two,Ball State University,Archivist,Archives,"
                   "Discussion,Yes\n").encode()


pytestmark = pytest.mark.usefixtures("app_on_demo")  # every test runs the real router on the demo


def _workbook() -> bytes:
    """A small valid workbook of the export above."""
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(EXPORT.decode())):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip(**parts: bytes) -> bytes:
    """A ZIP archive of the given parts (names with '/' written as '__')."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name.replace("__", "/"), content)
    return out.getvalue()


DATA = Path(__file__).parent / "data"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
UNREADABLE = {
    "cut short.xlsx": (_workbook()[:1500], "not a readable Excel workbook (it may be damaged or cut short)"),
    "random bytes.xlsx": (bytes(range(256)) * 8, "looks like binary data"),
    "zip but not a workbook.xlsx": (_zip(notes__readme_txt=b"hello"), "ZIP archive, not an Excel workbook"),
    "a word file.xlsx": (_zip(**{"word__document.xml": b"<w/>", "[Content_Types].xml": b"<x/>"}), "Word document"),
    "old excel.xls.csv": (OLE + "Workbook".encode("utf-16-le"), "old Excel .xls workbook"),
    # A real workbook saved with the password "secret" (by msoffcrypto-tool, which the project does not need).
    "protected.xlsx": ((DATA / "protected.xlsx").read_bytes(), "protected with a password"),
    "empty.csv": (b"  \r\n\r\n", "the file is empty"),
    "report.pdf.csv": (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF document, not a spreadsheet"),
}


def test_a_file_with_only_its_header_row_says_it_has_no_responses():
    at = open_page(app("member"), "pages/imports.py")
    for name, data, expected in [("headers.csv", HEADER.encode(), "only the header row. Nothing to import."),
                                 ("blank rows.csv", HEADER.encode() + b",,,,,,,\n\n  ,\n",
                                  "only the header row and 3 blank row(s)")]:
        at.file_uploader(key="import_file").set_value((name, data, "text/csv")).run()
        assert not at.exception, at.exception
        shown = texts(at)
        assert f"{name}: this file has no responses: {expected}" in shown
        assert "already imported" not in shown and not at.metric  # no preview, no counts
        assert "import_commit" not in [b.key for b in at.button]  # nothing to import: no Import button


def test_the_command_line_says_the_same_about_a_file_with_no_responses(tmp_path):
    headers = tmp_path / "headers.csv"
    headers.write_bytes(HEADER.encode())
    refused = run("import", str(headers), env_db=tmp_path / "test.duckdb")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: headers.csv: this file has no responses: only the header row.")
    broken = tmp_path / "cut short.xlsx"
    broken.write_bytes(UNREADABLE["cut short.xlsx"][0])
    refused = run("import", str(broken), env_db=tmp_path / "test.duckdb")
    assert refused.returncode == 2 and "BadZipFile" not in refused.stderr
    assert refused.stderr.startswith("error: cut short.xlsx: this is not a readable Excel workbook")


def test_an_unreadable_file_is_named_in_plain_words_with_what_to_do():
    at = open_page(app("member"), "pages/imports.py")
    for name, (data, expected) in UNREADABLE.items():
        at.file_uploader(key="import_file").set_value((name, data, "application/octet-stream")).run()
        assert not at.exception, (name, at.exception)
        errors = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]  # the Markdown escapes undone
        assert len(errors) == 1 and expected in errors[0], (name, errors)
        message = errors[0]
        assert message.startswith(f"{name}: ") and plain(message), message
        assert re.search(r"(upload|download|save|remove)", message), f"{name}: the message says what to do"
        assert "import_commit" not in [b.key for b in at.button]


def test_after_an_import_the_page_shows_the_result_and_is_ready_for_the_next_file():
    at = open_page(app("member"), "pages/imports.py")
    at.file_uploader(key="import_file").set_value(("october.csv", EXPORT, "text/csv")).run()
    assert {m.label: m.value for m in at.metric}["New"] == "2"
    at.button(key="import_commit").click().run()
    assert not at.exception, at.exception
    batch = query("SELECT max(id) FROM import_batches")[0][0]
    shown = texts(at)
    assert (f"Imported october.csv as batch #{batch} (Skills Directory Survey, 2025-26): 2 new, 0 updated, "
            f"0 unchanged, 2 new people. To take it back, choose #{batch} under **Undo an import** below.") in shown
    # The uploader is a new, empty one: the file just imported is not previewed again as "already imported".
    uploaders = at.get("file_uploader")
    assert [u.key for u in uploaders] == ["import_file_1"] and not uploaders[0].value
    assert "already imported" not in shown and not at.metric
    assert next(s for s in at.selectbox if s.label == "Import to undo").value.startswith(f"#{batch} · october.csv")

    # Uploading the same file again is the user's choice, and then it is indeed already imported.
    at.file_uploader(key="import_file_1").set_value(("october.csv", EXPORT, "text/csv")).run()
    assert "Everything in this file is already imported" in texts(at)
    assert at.button(key="import_commit").disabled
    # The next file after that gets the next uploader once it is imported too.
    second = EXPORT.replace(b"fresh.", b"later.").replace(b"10/3/2025", b"10/4/2025")
    at.file_uploader(key="import_file_1").set_value(("november.csv", second, "text/csv")).run()
    at.button(key="import_commit").click().run()
    assert "Imported november.csv as batch" in texts(at)
    assert [u.key for u in at.get("file_uploader")] == ["import_file_2"]


def test_a_workbook_whose_first_sheet_has_no_responses_lets_the_user_choose_another():
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Exported for the committee"])
    responses = book.create_sheet("Form Responses 1")
    for row in csv.reader(io.StringIO(EXPORT.decode())):
        responses.append(row)
    out = io.BytesIO()
    book.save(out)
    at = open_page(app("member"), "pages/imports.py")
    at.file_uploader(key="import_file").set_value(("responses.xlsx", out.getvalue(), "application/octet-stream")).run()
    assert "sheet 'Notes' of responses.xlsx: this sheet has no responses: only the header row." in texts(at)
    at.selectbox(key="import_sheet").select("Form Responses 1").run()
    assert not at.exception and {m.label: m.value for m in at.metric}["Rows read"] == "2"


# ------------------------------------------------------------------ exports as people really make them

def _export(header: list[str], rows: list[list[str]]) -> bytes:
    """A small Sheet-shaped CSV export."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode()


ELEVEN = ["Timestamp", "Email Address", "First Name", "Last Name", "Institution", "Your Title", "Job title",
          "Areas of expertise", "Years in the profession", "Preferred contact method",
          "I consent to my information being shared in the ALI Skills Directory"]
ELEVEN_ROWS = [
    ["10/2/2025 10:00:00", "split.one@example.edu", "José", "Méndez", "Purdue University", "Dr.",
     "<script>alert(1)</script>", "Cataloging, Metadata", "5", "Email", "Yes"],
    ["10/3/2025 10:00:00", "split.two@example.edu", "Zoë", "O'Neil", "", "Mr", "Archivist", "PM (1300-1900)", "2",
     "Email", "https://example.org/consent"],
    ["10/4/2025 10:00:00", "split.three@example.edu", "", "", "Butler University", "Mx.", "Librarian", "Metadata", "1",
     "Phone", "Yes"]]


def test_an_eleven_column_export_shows_both_name_parts_weak_guesses_and_every_warning():
    at = open_page(app("member"), "pages/imports.py")
    at.file_uploader(key="import_file").set_value(("eleven.csv", _export(ELEVEN, ELEVEN_ROWS), "text/csv")).run()
    assert not at.exception, at.exception
    mapping = at.dataframe[0].value
    fields = dict(zip(mapping["Column in the file"], mapping["Field"]))
    assert len(mapping) == 11
    assert fields["First Name"].startswith("Given name") and fields["Last Name"].startswith("Family name")
    assert fields["Job title"] == "Job title" and fields["Your Title"] == "(ignore this column)"
    shown = texts(at)
    assert "Your Title" in shown and "its answers are titles such as Mr or Dr" in shown
    assert "1 answer(s) to this question could not be read as yes or no" in shown
    problems = at.table[0].value
    listed = {(row.Row, row.Column, row.Value): row.Problem for row in problems.reset_index().itertuples()}
    assert listed[("2", "Job title", "<script>alert(1)</script>")].startswith("contains markup (HTML tags): held")
    assert listed[("4", "First Name + Last Name", "")].startswith("no name: held for review")
    assert listed[("3", "Institution", "")].startswith("no institution")
    assert "proposed for the taxonomy" in listed[("3", "Areas of expertise", "PM (1300-1900)")]
    at.button(key="import_commit").click().run()
    assert query("SELECT name FROM people WHERE email = 'split.one@example.edu'") == [("José Méndez",)]


def test_unrelated_headers_are_refused_naming_the_file_with_advice():
    at = open_page(app("member"), "pages/imports.py")
    data = _export(["Order number", "Product", "Quantity"], [["17", "Chair", "2"]])
    at.file_uploader(key="import_file").set_value(("orders.csv", data, "text/csv")).run()
    errors = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("orders.csv: could not tell which form this is")
    assert "Download responses" in errors[0] and "Choose it above" not in errors[0]


def test_a_program_year_the_timestamps_contradict_is_warned_on_the_page():
    header = ["Timestamp", "Did the experience meet your career goals?",
              "Would you participate in this type of program again?"]
    data = _export(header, [["5/3/2025 10:00:00", "Yes", "Yes"], ["5/12/2025 10:00:00", "Yes", "Maybe"]])
    at = open_page(app("member"), "pages/imports.py")
    at.file_uploader(key="import_file").set_value(("end of year.csv", data, "text/csv")).run()
    at.selectbox(key="import_cycle").select("2023-24").run()
    assert not at.exception, at.exception
    problems = at.table[0].value
    assert any("dated in program year 2024-25, but 2023-24 was chosen" in p for p in problems["Problem"])
