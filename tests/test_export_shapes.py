"""Both shapes of a Google Forms export: the form's own CSV download and the linked Sheet's, for every form."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from lib import cli, db
from lib.demo import build as demo
from lib.imports import answers, batches as imports

# Everything an import writes about people and programs, keyed by what identifies each row (an email, a program
# year, a circle's name) rather than by ids, which depend on the order rows were inserted in.
CANONICAL = {
    "people": "SELECT email, name, institution_id, version FROM people",
    "cycles": "SELECT * FROM cycles",
    "survey_responses": """
        SELECT p.email, r.* EXCLUDE (id, person_id),
               (SELECT list(s.name ORDER BY s.name) FROM person_skills ps JOIN skills s ON s.id = ps.skill_id
                WHERE ps.response_id = r.id) AS skills
        FROM survey_responses r JOIN people p ON p.id = r.person_id""",
    "applications": "SELECT p.email, a.* EXCLUDE (id, person_id) FROM applications a JOIN people p ON p.id = a.person_id",
    "circles": """
        SELECT d.cycle, d.name AS draft, d.status, c.name, list(p.email ORDER BY p.email) AS members
        FROM circles c JOIN circle_drafts d ON d.id = c.draft_id
        JOIN circle_members m ON m.circle_id = c.id JOIN people p ON p.id = m.person_id
        GROUP BY ALL""",
    "attendance": """
        SELECT c.cycle, c.name, mt.month, mt.seq, mt.kind, p.email, a.status, a.batch_id
        FROM attendance a JOIN meetings mt ON mt.id = a.meeting_id JOIN circles c ON c.id = mt.circle_id
        JOIN people p ON p.id = a.person_id""",
    "outcome_responses": """
        SELECT p.email, o.* EXCLUDE (id, person_id) FROM outcome_responses o LEFT JOIN people p ON p.id = o.person_id""",
}


def contents(conn, table: str) -> list[tuple]:
    """Every row of a table by its natural keys, in a fixed order."""
    return conn.execute(f"SELECT * FROM ({CANONICAL[table]}) ORDER BY ALL").fetchall()


@pytest.fixture(scope="module")
def shaped_demos(tmp_path_factory):
    """The demo loaded twice into fresh databases: every year as the Sheet's CSV, and as the form's download."""
    loaded = {}
    for shape in demo.EXPORT_SHAPES:
        folder = tmp_path_factory.mktemp(f"demo-{shape}")
        conn = db.connect(folder / "db.duckdb")
        demo.load(conn, out_dir=folder / "exports", shape=shape)
        loaded[shape] = (conn, folder / "exports")
    yield loaded
    for conn, _ in loaded.values():
        conn.close()


def test_the_demo_writes_each_shape_as_google_does(shaped_demos):
    sheet = (shaped_demos["sheet"][1] / "skills_survey_2025-26.csv").read_text(encoding="utf-8-sig").splitlines()
    form = (shaped_demos["form"][1] / "skills_survey_2025-26.csv").read_text(encoding="utf-8-sig").splitlines()
    assert sheet[0] == form[0]
    sheet_row, form_row = next(csv.reader([sheet[1]])), next(csv.reader([form[1]]))
    assert datetime.strptime(sheet_row[0], "%m/%d/%Y %H:%M:%S")
    assert form_row[0].endswith((" AM EDT", " PM EDT"))
    assert datetime.strptime(form_row[0][:-4], "%Y/%m/%d %I:%M:%S %p")
    assert ", " in sheet_row[7] and ";" in form_row[7] and ";" not in sheet_row[7]


def test_the_default_demo_has_one_year_in_each_shape(demo_exports):
    newest = (demo_exports / "pmc_applications_2025-26.csv").read_text(encoding="utf-8").splitlines()[1]
    oldest = (demo_exports / "pmc_applications_2023-24.csv").read_text(encoding="utf-8").splitlines()[1]
    assert newest.startswith("2025/") and " EDT," in newest
    assert oldest.startswith("9/")


@pytest.mark.parametrize("table", CANONICAL)
def test_both_shapes_of_every_form_import_identically(shaped_demos, table):
    sheet_rows = contents(shaped_demos["sheet"][0], table)
    assert sheet_rows, f"the demo wrote nothing into {table}"
    assert contents(shaped_demos["form"][0], table) == sheet_rows


def test_the_forms_download_keeps_every_checked_box(shaped_demos):
    conn = shaped_demos["form"][0]
    # No answer was taken whole as one unknown 'other' skill, and every response offered some contact purpose.
    assert not conn.execute("SELECT count(*) FROM survey_responses, unnest(other_skills) AS t(x)"
                            " WHERE contains(x, ';')").fetchall()[0][0]
    assert not conn.execute("SELECT count(*) FROM survey_responses WHERE len(contact_purposes) = 0").fetchall()[0][0]
    assert not conn.execute("SELECT count(*) FROM applications, unnest(availability) AS t(x)"
                            " WHERE contains(x, ';')").fetchall()[0][0]


# --- timestamps -------------------------------------------------------------------------------------------

HEADER = ["Timestamp", "Email Address", "Name", "Institution", "Job title", "Areas of expertise",
          "I am open to colleagues contacting me for", "May we publish your information in the ALI Skills Directory?"]


def survey(*rows: list[str]) -> bytes:
    """A small Skills Directory Survey export."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def answer(ts: str, email: str = "ana@example.edu", skills: str = "Cataloging, Metadata",
           purposes: str = "Support") -> list[str]:
    """One survey answer."""
    return [ts, email, "Ana López", "Ball State University", "Librarian", skills, purposes, "Yes"]


@pytest.mark.parametrize("typed, expected", [
    ("2025/09/15 10:32:11 AM EDT", datetime(2025, 9, 15, 10, 32, 11)),
    ("2025/09/15 10:32:11 PM EDT", datetime(2025, 9, 15, 22, 32, 11)),
    ("2025/09/15 12:05:00 AM EST", datetime(2025, 9, 15, 0, 5)),
    ("2025/09/15 10:32:11 AM GMT-4", datetime(2025, 9, 15, 10, 32, 11)),
    ("2025/09/15 10:32:11 AM GMT+5:30", datetime(2025, 9, 15, 10, 32, 11)),
    ("2025/09/15 10:32:11 AM GMT", datetime(2025, 9, 15, 10, 32, 11)),
    ("2025/09/15 10:32:11 am", datetime(2025, 9, 15, 10, 32, 11)),
    ("2025/9/5 1:02:03 PM CEST", datetime(2025, 9, 5, 13, 2, 3)),
    ("9/15/2025 10:32:11", datetime(2025, 9, 15, 10, 32, 11)),
    ("9/15/2025 1:02:03 PM", datetime(2025, 9, 15, 13, 2, 3)),
    ("9/15/2025 10:32", datetime(2025, 9, 15, 10, 32)),
    ("2025-09-15 10:32:11", datetime(2025, 9, 15, 10, 32, 11)),
])
def test_timestamps_of_both_shapes(conn, typed, expected):
    result = imports.import_bytes(conn, survey(answer(typed)), "one.csv")
    assert result.ok, result.errors
    assert conn.execute("SELECT submitted_at FROM survey_responses").fetchall() == [(expected,)]


def test_day_first_sheet_and_year_first_download_in_one_file(conn):
    data = survey(answer("15/09/2025 10:32:11", "a@example.edu"), answer("2025/09/16 9:00:00 AM EDT", "b@example.edu"))
    result = imports.import_bytes(conn, data, "mixed.csv", day_first=True)
    assert result.ok, result.errors
    assert [row[0].date() for row in conn.execute("SELECT submitted_at FROM survey_responses ORDER BY 1").fetchall()] \
        == [date(2025, 9, 15), date(2025, 9, 16)]


CRASH = survey(answer("9/15/2025 10:32:11", "a@example.edu"), answer("9/17/025 9:30:00", "b@example.edu"))


@pytest.mark.parametrize("cycle", [None, "2025-26"])
def test_a_year_that_lost_a_digit_is_a_row_error_and_nothing_is_written(conn, cycle):
    result = imports.import_bytes(conn, CRASH, "crash.csv", cycle=cycle)
    assert not result.ok and result.batch_id is None
    [problem] = result.errors
    assert (problem.row, problem.column, problem.value) == (3, "Timestamp", "9/17/025 9:30:00")
    assert "year" in problem.message and str(answers.EARLIEST_YEAR) in problem.message
    assert conn.execute("SELECT count(*) FROM survey_responses").fetchall() == [(0,)]
    assert conn.execute("SELECT count(*) FROM people").fetchall() == [(0,)]


@pytest.mark.parametrize("typed", ["9/17/25 9:30:00", "9/17/1925 9:30:00", "9/17/2999 9:30:00", "2025/13/01 1:00:00 PM",
                                   "9/17/0 9:30:00", "2025/09/15 10:32:11 AM EDT EDT"])
def test_implausible_or_broken_timestamps_are_row_errors(conn, typed):
    result = imports.import_bytes(conn, survey(answer(typed)), "bad.csv", cycle="2025-26")
    assert [(p.row, p.value) for p in result.errors] == [(2, typed)]


def test_the_command_line_names_the_row_of_a_broken_timestamp(conn, tmp_path, capsys):
    conn.close()
    path = tmp_path / "crash.csv"
    path.write_bytes(CRASH)
    assert cli.main(["import", str(path), "--cycle", "2025-26"]) == 2
    err = capsys.readouterr().err
    assert "row 3" in err and "Timestamp" in err and "9/17/025" in err


# --- checkbox separators -----------------------------------------------------------------------------------

OPTIONS = {o.lower(): o for o in ("Cataloging", "Metadata", "Linked data", "Teaching, learning and assessment")}


def is_option(part: str) -> bool:
    """Known options of the tests below."""
    return part.lower() in OPTIONS


@pytest.mark.parametrize("cells, separator", [
    (["Cataloging;Metadata;Linked data"], ";"),
    (["Cataloging, Metadata, Linked data"], ", "),
    (["Cataloging;Teaching, learning and assessment"], ";"),
    (["Cataloging, Teaching, learning and assessment"], ", "),
    (["Cataloging, Metadata", "Zines; comics, Metadata"], ", "),
    (["Cataloging;Metadata", "Cataloging;Zines, comics and graphic novels"], ";"),
    (["Metadata"], ", "),
    ([], ", "),
])
def test_the_separator_is_recognised_per_column(cells, separator):
    assert answers.checkbox_separator(cells, is_option) == separator


def test_unknown_options_fall_back_to_the_separator_most_cells_use():
    assert answers.checkbox_separator(["Mon 9am;Tue 4pm", "Wed;Thu"], lambda part: False) == ";"
    assert answers.checkbox_separator(["Monday mornings;Friday afternoons"], answers.is_availability) == ";"
    assert answers.checkbox_separator(["Monday mornings, Friday afternoons"], answers.is_availability) == ", "


def test_split_with_semicolons_keeps_options_with_commas_and_other_answers():
    known, other = answers.split_checkboxes("Cataloging;Teaching, learning and assessment;Zines, comics", OPTIONS, ";")
    assert known == ["Cataloging", "Teaching, learning and assessment"] and other == ["Zines, comics"]


def test_semicolon_joined_skills_and_purposes_with_sheet_timestamps(conn):
    data = survey(answer("9/15/2025 10:32:11", skills="Cataloging;Metadata;Linked data",
                         purposes="Support;Discussion;Feedback"))
    result = imports.import_bytes(conn, data, "semicolons.csv")
    assert result.ok and not result.warnings, result.warnings
    skills = conn.execute("SELECT s.name FROM person_skills ps JOIN skills s ON s.id = ps.skill_id ORDER BY 1").fetchall()
    assert [row[0] for row in skills] == ["Cataloging", "Linked data", "Metadata"]
    assert conn.execute("SELECT contact_purposes, other_skills FROM survey_responses").fetchall() == [
        (["support", "discussion", "feedback"], [])]
