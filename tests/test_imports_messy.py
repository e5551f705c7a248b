"""The importer against messy real-world exports: encodings, Excel, renamed headers, bad cells, odd files."""
from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest

from lib.circles import applications
from lib.directory import members as directory
from lib.imports import batches as imports, sheets

HEADER_2024 = ["Timestamp", "Email Address", "Your name", "Institution / Library", "Position / job title",
               "Areas of expertise", "Colleagues may contact me for (check all that apply)",
               "I consent to my information being shared in the ALI Skills Directory"]


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8", sep: str = ",") -> bytes:
    """Write a small CSV export in memory."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def row(ts="9/15/2025 10:32:11", email="ana@example.edu", name="Ana López", inst="Ball State University",
        title="Librarian", skills="Cataloging, Metadata", purposes="Support", consent="Yes") -> list[str]:
    """One survey answer with sensible defaults."""
    return [ts, email, name, inst, title, skills, purposes, consent]


def count(conn, table: str) -> int:
    """Rows in a table."""
    return conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def test_renamed_headers_of_another_year_are_recognised(conn):
    result = imports.import_bytes(conn, csv_bytes(HEADER_2024, [row()]), "2024.csv")
    assert result.kind == "skills" and result.ok
    assert result.mapping["Your name"] == "name" and result.mapping["Institution / Library"] == "institution"


def test_cp1252_with_accents_from_excel(conn):
    data = csv_bytes(HEADER_2024, [row(name="Renée Núñez")], encoding="cp1252")
    result = imports.import_bytes(conn, data, "excel.csv")
    assert result.ok and any("Windows-1252" in str(w) for w in result.warnings)
    assert conn.execute("SELECT name FROM people").fetchall() == [("Renée Núñez",)]


def test_bom_and_semicolons(conn):
    data = b"\xef\xbb\xbf" + csv_bytes(HEADER_2024, [row(skills="Cataloging")], sep=";")
    result = imports.import_bytes(conn, data, "semicolons.csv")
    assert result.ok and result.new == 1


def test_blank_rows_keep_row_numbers_right(conn):
    text = csv_bytes(HEADER_2024, [row()]).decode() + "\r\n,,,,,,,\r\n\r\n" + \
        ",".join(row(email="broken", name="Ben")) + "\r\n\r\n"
    result = imports.import_bytes(conn, text.encode(), "blank.csv")
    assert result.rows == 2
    # Line 3 is blank, line 4 has only commas, line 5 is blank: the broken row is line 6 of the file.
    assert [(p.row, p.column) for p in result.errors] == [(6, "Email Address")]


def test_blank_lines_read_by_the_fast_reader_keep_row_numbers(conn):
    # Blank lines between many rows (the fast path, not the csv module's): the row named is the file's row.
    rows = [row(email=f"p{n}@example.edu", name=f"Person {n}") for n in range(300)]
    rows[250] = row(email="broken", name="Zoë O'Brien")
    text = csv_bytes(HEADER_2024, rows[:100]).decode() + "\r\n\r\n" + csv_bytes(HEADER_2024, rows[100:]).decode() \
        .split("\r\n", 1)[1]
    result = imports.import_bytes(conn, text.encode(), "gaps.csv")
    assert result.rows == 300
    # Header row 1, 100 rows (2-101), two blank lines (102-103): the 251st answer is row 254.
    assert [(p.row, p.column, p.value) for p in result.errors] == [(254, "Email Address", "broken")]


def test_a_byte_that_is_no_utf8_far_into_the_file_reads_it_as_cp1252(conn):
    # The first 64 KB are plain UTF-8 (ASCII): only the Arrow reader meets the Windows-1252 byte further on.
    rows = [row(email=f"p{n}@example.edu", name=f"Person {n}") for n in range(1500)]
    rows.append(row(email="rene@example.edu", name="Renée Núñez"))
    data = csv_bytes(HEADER_2024, rows, encoding="cp1252")
    assert len(data) > 65536 and data[:65536].decode("utf-8")
    result = imports.import_bytes(conn, data, "excel.csv")
    assert result.ok and result.new == 1501 and any("Windows-1252" in str(w) for w in result.warnings)
    assert conn.execute("SELECT name FROM people WHERE email = 'rene@example.edu'").fetchall() == [("Renée Núñez",)]


def test_a_character_cut_by_the_header_sample_still_reads_as_utf8(conn):
    # A header longer than the 64 KB sample, with 'é' (two bytes) astride the cut: still UTF-8, not cp1252.
    long_header = "Notes " + "x" * (65536 - len(",".join(HEADER_2024)) - 8) + "é and more"
    data = csv_bytes(HEADER_2024 + [long_header], [row(name="José Álvarez") + ["é"]])
    with pytest.raises(UnicodeDecodeError):
        data[:65536].decode("utf-8")  # the sample alone ends in half a character
    result = imports.import_bytes(conn, data, "long-header.csv")
    assert result.ok and not any("Windows-1252" in str(w) for w in result.warnings)
    assert conn.execute("SELECT name FROM people").fetchall() == [("José Álvarez",)]


def test_a_survey_import_does_not_import_pandas(tmp_path):
    # pandas takes a third of a second and tens of MB to import: the command line's survey import never needs it.
    import subprocess
    import sys
    from pathlib import Path

    export = tmp_path / "survey.csv"
    export.write_bytes(csv_bytes(HEADER_2024, [row(name="José Álvarez")]))
    code = ("import sys; from lib import db; from lib.imports import batches as imports;"
            " conn = db.connect(sys.argv[1]); result = imports.import_file(conn, sys.argv[2]);"
            " assert result.new == 1, result.errors; print('pandas' in sys.modules)")
    root, database = Path(__file__).resolve().parents[1], str(tmp_path / "t.duckdb")
    # A database made beforehand, as the import's own process finds it (a first migration reads reference data).
    subprocess.run([sys.executable, "-c", "import sys; from lib import db; db.connect(sys.argv[1]).close()", database],
                   cwd=root, check=True)
    done = subprocess.run([sys.executable, "-c", code, database, str(export)], cwd=root, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_quoted_cell_with_line_breaks(conn):
    data = csv_bytes(HEADER_2024, [row(title="Head of\nSpecial Collections"), row(email="ben@example.edu", ts="bad")])
    result = imports.import_bytes(conn, data, "multiline.csv")
    assert [(p.row, p.column) for p in result.errors] == [(3, "Timestamp")]


def test_xlsx_with_real_dates_and_a_chosen_sheet(conn):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["nothing here"])
    sheet = book.create_sheet("Form Responses 1")
    sheet.append(HEADER_2024)
    sheet.append([datetime(2024, 9, 20, 14, 5), "x@y.edu", "Xu Yi", "Purdue University", "Librarian",
                  "Copyright, Open access", "Collaboration", "Yes"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(imports.ImportRefused, match="sheet 'Notes' of responses.xlsx: this sheet has no responses.*"
                                                    "Choose the sheet"):
        imports.import_bytes(conn, buffer.getvalue(), "responses.xlsx")
    result = imports.import_bytes(conn, buffer.getvalue(), "responses.xlsx", sheet="Form Responses 1")
    assert result.ok and result.cycles == ["2024-25"]
    with pytest.raises(imports.ImportRefused, match="no sheet 'Nope'"):
        imports.import_bytes(conn, buffer.getvalue(), "responses.xlsx", sheet="Nope")


def test_day_first_dates(conn):
    data = csv_bytes(HEADER_2024, [row(ts="25/09/2025 10:00:00")])
    assert not imports.import_bytes(conn, data, "uk.csv", dry_run=True).ok
    result = imports.import_bytes(conn, data, "uk.csv", day_first=True)
    assert result.ok and result.cycles == ["2025-26"]


def test_formula_and_html_are_kept_as_inert_text(conn):
    data = csv_bytes(HEADER_2024, [row(name="<b>Ana</b> <script>x</script>López",
                                       title='=HYPERLINK("http://x.example","click")')])
    result = imports.import_bytes(conn, data, "odd.csv")
    assert result.ok
    messages = " ".join(str(w) for w in result.warnings)
    assert "HTML tags removed" in messages and "spreadsheet formula" in messages
    name, title = conn.execute("SELECT name, job_title FROM survey_responses").fetchall()[0]
    assert name == "Ana xLópez" and title.startswith("=HYPERLINK")


def test_unknown_and_fuzzy_institutions_are_kept_and_flagged(conn):
    data = csv_bytes(HEADER_2024, [row(inst="Ball State Univ"), row(email="b@x.edu", inst="Acme College"),
                                   row(email="c@x.edu", inst="IUPUI"), row(email="d@x.edu", inst="Indiana Univesity Kokomo")])
    result = imports.import_bytes(conn, data, "inst.csv")
    assert result.ok
    flagged = {p.value: p.message for p in result.warnings if p.column == "Institution / Library"}
    assert "Acme College" in flagged and "flagged for review" in flagged["Acme College"]
    assert "read as 'Indiana University Kokomo'" in flagged["Indiana Univesity Kokomo"]
    assert "Ball State Univ" not in flagged and "IUPUI" not in flagged  # abbreviations and aliases are certain
    rows = dict(conn.execute("""SELECT r.institution_raw, i.name FROM survey_responses r
                                LEFT JOIN institutions i ON i.id = r.institution_id""").fetchall())
    assert rows == {"Ball State Univ": "Ball State University", "Acme College": None,
                    "IUPUI": "Indiana University Indianapolis", "Indiana Univesity Kokomo": "Indiana University Kokomo"}


def test_unknown_skills_are_proposed_with_the_nearest_skill(conn):
    data = csv_bytes(HEADER_2024, [row(skills="Cataloging, Metadta creation, Info lit")])
    result = imports.import_bytes(conn, data, "skills.csv")
    proposal = next(p for p in result.warnings if p.value == "Metadta creation")
    assert "closest existing skill: Metadata" in proposal.message
    skills = conn.execute("""SELECT list(s.name ORDER BY s.name) FROM person_skills ps
                             JOIN skills s ON s.id = ps.skill_id""").fetchall()[0][0]
    assert skills == ["Cataloging", "Information literacy instruction"]


def test_repeat_submissions_keep_history_and_publish_the_latest(conn):
    data = csv_bytes(HEADER_2024, [row(), row(ts="9/20/2025 8:00:00", consent="No"),
                                   row(ts="9/25/2025 8:00:00", consent="Yes", skills="Archives")])
    result = imports.import_bytes(conn, data, "repeats.csv")
    assert (result.new, result.repeats) == (1, 2) and count(conn, "survey_responses") == 3
    assert list(directory.published(conn, "2025-26")["skills"].iloc[0]) == ["Archives"]


def test_a_later_export_adds_only_the_new_responses(conn):
    first = csv_bytes(HEADER_2024, [row()])
    later = csv_bytes(HEADER_2024, [row(), row(email="ben@example.edu", name="Ben", ts="9/30/2025 9:00:00")])
    imports.import_bytes(conn, first, "week1.csv")
    result = imports.import_bytes(conn, later, "week2.csv")
    assert (result.new, result.unchanged, result.updated) == (1, 1, 0)
    assert count(conn, "survey_responses") == 2


def test_the_wrong_kind_is_refused_with_the_missing_field_named(conn):
    with pytest.raises(imports.ImportRefused, match="Would participate again"):
        imports.import_bytes(conn, csv_bytes(HEADER_2024, [row()]), "survey.csv", kind="outcomes")
    assert count(conn, "import_batches") == 0


def test_files_over_50_mb_are_refused(conn):
    with pytest.raises(imports.ImportRefused, match="over 50 MB"):
        imports.import_bytes(conn, b"a" * (50 * 1024 * 1024 + 1), "huge.csv")


@pytest.mark.parametrize("data, message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel"),
    (b"PK\x03\x04garbage", "not a readable Excel workbook"),
    (b"\r\n\r\n", "empty"),
])
def test_odd_files_are_refused(conn, data, message):
    with pytest.raises(imports.ImportRefused, match=message):
        imports.import_bytes(conn, data, "odd.bin")


def test_a_confirmed_mapping_is_remembered_for_the_same_headers(conn):
    header = ["Timestamp", "Email Address", "Nom", "Institution", "Expertise", "Publish?"]
    data = csv_bytes(header, [["9/15/2025 10:00:00", "a@x.edu", "Ana", "Purdue University", "Cataloging", "Yes"]])
    with pytest.raises(imports.ImportRefused, match="'Name'"):
        imports.import_bytes(conn, data, "french.csv", kind="skills")
    result = imports.import_bytes(conn, data, "french.csv", kind="skills", mapping={"Nom": "name"})
    assert result.ok and result.batch_id
    later = csv_bytes(header, [["9/16/2025 10:00:00", "b@x.edu", "Bea", "Purdue University", "Archives", "Yes"]])
    again = imports.import_bytes(conn, later, "french-2.csv")
    assert again.mapping_source == "remembered" and again.kind == "skills" and again.new == 1


def test_a_failure_while_writing_leaves_nothing_behind(conn, monkeypatch):
    def broken(connection, batch_id):
        connection.execute("INSERT INTO cycles VALUES ('2031-32', '2031-09-01', '2032-08-31', '2031-10-01')")
        raise RuntimeError("disk full")

    monkeypatch.setitem(imports._WRITERS, "skills", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        imports.import_bytes(conn, csv_bytes(HEADER_2024, [row()]), "s.csv")
    for table in ("people", "survey_responses", "import_batches", "cycles", "column_mappings", "audit_log"):
        assert count(conn, table) == 0, table


def test_applications_split_options_that_contain_commas(conn):
    header = ["Timestamp", "Email Address", "Name", "Institution", "How long have you worked in libraries?",
              "What do you hope to gain? (check all that apply)", "When are you available?", "I agree to the expectations"]
    data = csv_bytes(header, [["9/10/2025 9:00:00", "new@x.edu", "Noor", "Butler", "1-2 years",
                               "Confidence, belonging and imposter syndrome, Work-life balance, Podcast club",
                               "Monday morning, Friday afternoon", "I agree"]])
    result = imports.import_bytes(conn, data, "apps.csv")
    assert result.kind == "applications" and result.ok
    interests, slots = conn.execute("SELECT interests, availability FROM applications").fetchall()[0]
    assert interests == ["Confidence, belonging and imposter syndrome", "Work-life balance", "Podcast club"]
    assert slots == ["mon-am", "fri-pm"]
    assert applications.applicants(conn, "2025-26")["eligible"].tolist() == [True]


def test_sheet_reader_reports_ragged_rows():
    text = b"A,B\n1,2\n3,4,5\n"
    sheet = sheets.read(text, "ragged.csv")
    assert sheet.rows == 2 and any("more cells" in note for note in sheet.notes)


def test_unrecognised_institutions_are_listed_for_review(conn):
    from lib.directory import institutions

    data = csv_bytes(HEADER_2024, [row(inst="Acme College"), row(email="b@x.edu", inst="Acme College"),
                                   row(email="c@x.edu", inst="Purdue University")])
    imports.import_bytes(conn, data, "inst.csv")
    assert institutions.needing_review(conn) == [("Acme College", 2)]


def test_typed_skills_are_listed_as_proposals_with_the_closest_skill(conn):
    from lib.directory import skills

    data = csv_bytes(HEADER_2024, [row(skills="Cataloging, Metadta creation"),
                                   row(email="b@x.edu", skills="Metadta creation, Zines"),
                                   row(email="c@x.edu", skills="Archives")])
    imports.import_bytes(conn, data, "s.csv")
    assert skills.proposals(conn) == [("Metadta creation", 2, "Metadata"), ("Zines", 1, None)]
