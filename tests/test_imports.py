"""The importer on the demo exports and on hand-made messy files."""
from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest

from lib.directory import members as directory
from lib.imports import batches as imports, forms, sheets

SKILLS_HEADER = ("Timestamp,Email Address,Name,Institution,Job title,Areas of expertise (check all that apply),"
                 "I am open to colleagues contacting me for,May we publish your information in the ALI Skills Directory?\n")


def skills_csv(*rows: str) -> bytes:
    """A small Skills Directory Survey export with the given data lines."""
    return (SKILLS_HEADER + "".join(row + "\n" for row in rows)).encode("utf-8")


ROW_ANA = '9/15/2025 10:32:11,Ana.Lopez@Example.edu ,Ana López,IUPUI,Librarian,"Cataloging, Metadata",Support,Yes'
ROW_BEN = '9/16/2025 9:00:00,ben@example.edu,Ben Ng,Ball State University,Archivist,"Archives, Zine librarianship","Support, Feedback",No'


def test_demo_exports_loaded_completely(demo_conn):
    counts = dict(demo_conn.execute("SELECT kind, count(*) FROM import_batches GROUP BY kind").fetchall())
    assert counts == {"skills": 3, "applications": 3, "rosters": 3, "attendance": 3, "outcomes": 3}
    again = demo_conn.execute("""SELECT count(*) FILTER (WHERE participate_again = 'yes'), count(*)
                                 FROM outcome_responses WHERE cycle = '2023-24'""").fetchall()[0]
    assert again == (5, 5)


@pytest.mark.parametrize("name, kind", [
    ("skills_survey_2024-25.csv", "skills"), ("pmc_applications_2025-26.csv", "applications"),
    ("attendance_2024-25.csv", "attendance"), ("end_of_year_2024-25.csv", "outcomes"),
    ("circles_2025-26.csv", "rosters"),
])
def test_the_kind_is_recognised_from_the_headers(demo_exports, name, kind):
    headers = sheets.read((demo_exports / name).read_bytes(), name).headers
    assert forms.detect_kind(headers) == kind


def test_reimporting_the_same_file_changes_nothing(demo_conn, demo_exports):
    before = demo_conn.execute("SELECT count(*) FROM survey_responses").fetchall()
    result = imports.import_file(demo_conn, demo_exports / "skills_survey_2025-26.csv")
    assert result.ok and result.new == 0 and result.updated == 0 and result.batch_id is None
    assert result.unchanged == result.rows
    assert demo_conn.execute("SELECT count(*) FROM survey_responses").fetchall() == before


def test_values_are_normalised(conn):
    result = imports.import_bytes(conn, skills_csv(ROW_ANA, ROW_BEN), "survey.csv")
    assert result.ok and result.kind == "skills" and result.new == 2 and result.new_people == 2
    person = conn.execute("SELECT email, name FROM people ORDER BY email").fetchall()
    assert person == [("ana.lopez@example.edu", "Ana López"), ("ben@example.edu", "Ben Ng")]
    inst = conn.execute("""SELECT i.name FROM survey_responses r JOIN institutions i ON i.id = r.institution_id
                           JOIN people p ON p.id = r.person_id WHERE p.email = 'ana.lopez@example.edu'""").fetchall()
    assert inst == [("Indiana University Indianapolis",)]
    other = conn.execute("SELECT other_skills, contact_purposes FROM survey_responses r JOIN people p"
                         " ON p.id = r.person_id WHERE p.email = 'ben@example.edu'").fetchall()[0]
    assert other == (["Zine librarianship"], ["support", "feedback"])
    assert any("Zine librarianship" in str(w) for w in result.warnings)


def test_the_latest_submission_wins_and_a_later_no_unpublishes(conn):
    imports.import_bytes(conn, skills_csv(ROW_ANA), "first.csv")
    assert list(directory.published(conn, "2025-26")["name"]) == ["Ana López"]
    later = ROW_ANA.replace("9/15/2025 10:32:11", "10/2/2025 8:00:00").replace(",Yes", ",No")
    result = imports.import_bytes(conn, skills_csv(ROW_ANA, later), "second.csv")
    assert (result.new, result.updated, result.unchanged, result.repeats) == (0, 1, 1, 1)
    assert directory.published(conn, "2025-26").empty
    assert conn.execute("SELECT count(*) FROM survey_responses").fetchall()[0][0] == 2  # history kept


def test_errors_name_row_column_and_value_and_nothing_is_written(conn):
    bad_date = ROW_BEN.replace("9/16/2025 9:00:00", "someday")
    bad_email = ROW_ANA.replace("Ana.Lopez@Example.edu ", "not-an-email")
    result = imports.import_bytes(conn, skills_csv(ROW_ANA, bad_date, bad_email), "bad.csv")
    assert not result.ok and result.batch_id is None
    found = {(p.row, p.column) for p in result.errors}
    assert found == {(3, "Timestamp"), (4, "Email Address")}
    assert "not a date" in str(result.errors[0]) and "row 3" in str(result.errors[0])
    assert conn.execute("SELECT count(*) FROM people").fetchall()[0][0] == 0


def test_a_missing_required_column_is_named(conn):
    data = b"Timestamp,Email Address,Name,Institution\n9/15/2025 10:00:00,a@x.edu,A,Purdue University\n"
    with pytest.raises(imports.ImportRefused, match="Areas of expertise"):
        imports.import_bytes(conn, data, "short.csv", kind="skills")


@pytest.mark.parametrize("data, message", [
    (b"", "empty"), (b"\x00\x01\x02binary\x00", "binary"), (b"just one line of text\n", "no responses: only the header row"),
    (b"Timestamp,Question\n,\n", "no responses: only the header row and 1 blank row"),
])
def test_unusable_files_are_refused(conn, data, message):
    with pytest.raises(imports.ImportRefused, match=message):
        imports.import_bytes(conn, data, "odd.csv")


def test_cp1252_semicolons_bom_and_blank_rows(conn):
    text = (SKILLS_HEADER.replace(",", ";") + ROW_ANA.replace(",", ";").replace('"Cataloging; Metadata"', "Cataloging")
            + "\n;;;;;;;\n\n")
    result = imports.import_bytes(conn, text.encode("cp1252"), "excel.csv")
    assert result.ok and result.rows == 1
    assert conn.execute("SELECT name FROM people").fetchall() == [("Ana López",)]
    result = imports.import_bytes(conn, b"\xef\xbb\xbf" + skills_csv(ROW_BEN), "bom.csv")
    assert result.ok and result.new == 1


def test_xlsx_with_real_datetimes(conn):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([h for h in SKILLS_HEADER.strip().split(",")])
    sheet.append([datetime(2024, 9, 20, 14, 5), "x@y.edu", "Xu Yi", "Purdue University", "Librarian",
                  "Copyright, Open access", "Collaboration", "Yes"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = imports.import_bytes(conn, buffer.getvalue(), "responses.xlsx")
    assert result.ok and result.new == 1
    assert conn.execute("SELECT cycle, submitted_at FROM survey_responses").fetchall() == [
        ("2024-25", datetime(2024, 9, 20, 14, 5))]


def test_checkbox_option_with_a_comma_is_kept_whole():
    options = {o.lower(): o for o in forms.DEFAULT_INTEREST_OPTIONS}
    known, other = imports.split_checkboxes(
        "Work-life balance, Confidence, belonging and imposter syndrome, Podcasting", options)
    assert known == ["Work-life balance", "Confidence, belonging and imposter syndrome"]  # in the order checked
    assert other == ["Podcasting"]


@pytest.mark.parametrize("answer, months, student", [
    ("Less than 1 year", 6, False), ("1-2 years", 18, False), ("2 – 3 years", 30, False),
    ("More than 3 years", 48, False), ("Library school student, graduating Spring 2026", None, True),
])
def test_career_stage(answer, months, student):
    assert imports.parse_career_stage(answer) == (months, student)


def test_applications_flag_eligibility_and_lateness(demo_conn):
    from lib.circles import applications

    figures = applications.counts(demo_conn, "2025-26")
    assert (figures["not_eligible"], figures["late"]) == (3, 1)
    slots = demo_conn.execute("SELECT availability FROM applications LIMIT 1").fetchall()[0][0]
    assert slots and all("-" in slot for slot in slots)


def test_undo_removes_a_batch_and_the_people_it_brought(conn):
    first = imports.import_bytes(conn, skills_csv(ROW_ANA), "first.csv")
    second = imports.import_bytes(conn, skills_csv(ROW_BEN), "second.csv")
    removed = imports.undo_batch(conn, second.batch_id, actor="tester")
    assert removed["survey_responses"] == 1 and removed["people"] == 1
    assert [r[0] for r in conn.execute("SELECT email FROM people").fetchall()] == ["ana.lopez@example.edu"]
    with pytest.raises(imports.ImportRefused, match="already undone"):
        imports.undo_batch(conn, second.batch_id)
    history = imports.list_batches(conn)
    assert list(history["id"]) == [second.batch_id, first.batch_id]
    assert history["undone_by"].iloc[0] == "tester"


def test_undo_of_attendance_restores_what_it_replaced(demo_conn, demo_exports, tmp_path):
    path = demo_exports / "attendance_2024-25.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    before = first[header.index("Oct")]
    first[header.index("Oct")] = "Excused" if before != "Excused" else "Present"
    changed = tmp_path / "attendance.csv"
    changed.write_text("\n".join([lines[0], ",".join(first)]) + "\n", encoding="utf-8")
    result = imports.import_file(demo_conn, changed, kind="attendance", cycle="2024-25")
    assert (result.updated, result.unchanged) == (1, 7)
    imports.undo_batch(demo_conn, result.batch_id)
    status = demo_conn.execute("""SELECT a.status FROM attendance a JOIN meetings m ON m.id = a.meeting_id
        JOIN people p ON p.id = a.person_id WHERE p.email = ? AND m.cycle = '2024-25' AND m.month = 'Oct'""",
                               [first[header.index("Email")].lower()]).fetchall()
    assert status == [(before.lower(),)]


def test_attendance_needs_a_cycle_and_known_circles(demo_conn, demo_exports):
    with pytest.raises(imports.ImportRefused, match="program year"):
        imports.import_file(demo_conn, demo_exports / "attendance_2024-25.csv")
    result = imports.import_file(demo_conn, demo_exports / "attendance_2024-25.csv", cycle="2023-24")
    assert not result.ok and "no final circle" in str(result.errors[0])


def test_mapping_override_and_bad_override(conn):
    data = skills_csv(ROW_ANA).replace(b"Job title", b"Rank")
    result = imports.import_bytes(conn, data, "s.csv", mapping={"Rank": "job_title"})
    assert result.mapping["Rank"] == "job_title"
    assert conn.execute("SELECT job_title FROM survey_responses").fetchall() == [("Librarian",)]
    with pytest.raises(imports.ImportRefused, match="not in the file"):
        imports.import_bytes(conn, data, "s.csv", mapping={"Nope": "job_title"})
    with pytest.raises(imports.ImportRefused, match="not a field"):
        imports.import_bytes(conn, data, "s.csv", mapping={"Rank": "shoe_size"})


def test_dry_run_counts_but_writes_nothing(conn):
    result = imports.import_bytes(conn, skills_csv(ROW_ANA, ROW_BEN), "s.csv", dry_run=True)
    assert result.new == 2 and result.batch_id is None
    assert conn.execute("SELECT count(*) FROM people").fetchall()[0][0] == 0


def test_person_skills_hold_no_duplicate_pairs(demo_conn):
    duplicates = demo_conn.execute("""SELECT count(*) FROM (SELECT response_id, skill_id FROM person_skills
                                      GROUP BY ALL HAVING count(*) > 1)""").fetchall()[0][0]
    assert duplicates == 0
