"""Property-based tests: random and mutated files never crash the importer and never write half a file.

Every example runs against a fresh database, so nothing one example wrote changes what the next one sees.
The profile (tests/conftest.py) decides how many examples and whether the search is random: `ci`, the
default, is derandomized and replays the same examples on every run; `explore` searches widely (see README).
Failures the wide search finds are kept below as @example lines.
"""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from itertools import count

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lib import db
from lib.imports import answers, batches as imports

TABLES = ("people", "survey_responses", "person_skills", "applications", "outcome_responses", "attendance",
          "import_batches", "cycles", "audit_log")

# One small export of each form that has timestamps, in the Sheet's shape; FORM_SHAPE turns it into the
# form's own download (year-first 12-hour timestamps with a time zone, checkboxes joined with ";").
SHEET_EXPORTS = {
    "skills": (
        "Timestamp,Email Address,Name,Institution,Job title,Areas of expertise (check all that apply),"
        "I am open to colleagues contacting me for,May we publish your information in the ALI Skills Directory?\r\n"
        '9/15/2025 10:32:11,ana@example.edu,Ana López,IUPUI,Librarian,"Cataloging, Metadata",Support,Yes\r\n'
        '9/16/2025 9:00:00,ben@example.edu,Ben Ng,Ball State University,Archivist,"Archives, Zines","Support, Feedback",No\r\n'
        '9/17/2025 9:30:00,cy@example.edu,Cy Day,Purdue University,Director,"Leadership, Budgeting",Collaboration,Yes\r\n'
    ),
    "applications": (
        "Timestamp,Email Address,Name,Institution,How long have you worked in libraries?,"
        "What do you hope to gain? (check all that apply),When are you generally available?,"
        "I agree to the participant expectations\r\n"
        '9/10/2025 14:05:00,zoe@example.edu,Zoë Brandt,DePauw University,1-2 years,'
        '"Work-life balance, Confidence, belonging and imposter syndrome","Monday morning, Friday afternoon",I agree\r\n'
        "9/12/2025 8:15:30,jose@example.edu,José Álvarez,Butler University,Less than 1 year,"
        "Research and publishing,Tuesday afternoon,I agree\r\n"
    ),
    "outcomes": (
        "Timestamp,Did the experience meet your career goals?,Would you participate in this type of program again?,"
        "Comments\r\n"
        "5/20/2026 16:00:00,Yes,Yes,It helped.\r\n"
        "5/21/2026 9:45:10,Partially,Maybe,\"O'Brien's circle, mostly\"\r\n"
    ),
}


def form_shape(text: str) -> str:
    """The same export as the form's own download would write it."""
    import csv
    import io
    from datetime import datetime

    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        when = datetime.strptime(row[0], "%m/%d/%Y %H:%M:%S")
        stamp = f"{when:%Y/%m/%d} {when.hour % 12 or 12}:{when:%M:%S} {'PM' if when.hour >= 12 else 'AM'} EDT"
        cells = [cell.replace("Work-life balance, Confidence", "Work-life balance;Confidence")
                 .replace("Cataloging, Metadata", "Cataloging;Metadata").replace("Archives, Zines", "Archives;Zines")
                 .replace("Support, Feedback", "Support;Feedback").replace("Leadership, Budgeting", "Leadership;Budgeting")
                 .replace("Monday morning, Friday", "Monday morning;Friday") for cell in row[1:]]
        writer.writerow([stamp, *cells])
    return out.getvalue()


EXPORTS = {(kind, "sheet"): text for kind, text in SHEET_EXPORTS.items()}
EXPORTS |= {(kind, "form"): form_shape(text) for kind, text in SHEET_EXPORTS.items()}
VALID = EXPORTS["skills", "sheet"]
# The survey row whose year lost a digit (9/17/025): it used to crash the import, or be stored as the year 25.
LOST_DIGIT = ("delete", VALID.index("9/17/2025") + 5, 1)


@pytest.fixture
def fresh_conn(empty_db_file, tmp_path):
    """A factory of fresh, migrated databases: one per Hypothesis example."""
    numbers = count()

    @contextmanager
    def open_fresh():
        path = tmp_path / f"example-{next(numbers)}.duckdb"
        shutil.copy(empty_db_file, path)
        connection = db.connect(path)
        try:
            yield connection
        finally:
            connection.close()
            path.unlink()
    return open_fresh


def snapshot(conn) -> dict[str, int]:
    """Row counts of every table an import may write."""
    return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in TABLES}


def attempt(conn, data: bytes, name: str = "fuzz.csv", cycle: str | None = None) -> None:
    """Import; the only acceptable failure is a refusal, and a file with errors writes nothing."""
    before = snapshot(conn)
    try:
        result = imports.import_bytes(conn, data, name, cycle=cycle)
    except imports.ImportRefused as refusal:
        assert str(refusal)
        assert snapshot(conn) == before
        return
    if result.errors or result.batch_id is None:
        assert snapshot(conn) == before
        assert all(str(problem) for problem in result.errors)
        return
    assert snapshot(conn)["import_batches"] == before["import_batches"] + 1
    earliest, latest = answers.plausible_years()
    for table in ("survey_responses", "applications", "outcome_responses"):
        years = conn.execute(f"SELECT min(year(submitted_at)), max(year(submitted_at)) FROM {table}").fetchall()[0]
        assert years[0] is None or earliest <= years[0] <= years[1] <= latest, (table, years)


@given(data=st.binary(max_size=3000))
def test_random_bytes(fresh_conn, data):
    with fresh_conn() as conn:
        attempt(conn, data)


@given(text=st.text(max_size=1500))
def test_random_text(fresh_conn, text):
    with fresh_conn() as conn:
        attempt(conn, text.encode("utf-8"))


mutation = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, len(VALID)), st.integers(1, 40)),
    st.tuples(st.just("insert"), st.integers(0, len(VALID)), st.text(max_size=30)),
    st.tuples(st.just("truncate"), st.integers(0, len(VALID)), st.just(0)),
    st.tuples(st.just("duplicate_line"), st.integers(0, 4), st.just(0)),
    st.tuples(st.just("replace_char"), st.integers(0, len(VALID)), st.sampled_from([",", '"', "\n", ";", "\x00", "é"])),
)


def mutate(text: str, change: tuple) -> str:
    """Apply one mutation to an export's text."""
    kind, where, what = change
    where = min(where, len(text))
    if kind == "delete":
        return text[:where] + text[where + what:]
    if kind == "insert":
        return text[:where] + what + text[where:]
    if kind == "truncate":
        return text[:where]
    if kind == "duplicate_line":
        lines = text.split("\r\n")
        return "\r\n".join(lines[:where + 1] + lines[where:where + 1] + lines[where + 1:])
    return text[:where] + what + text[where + 1:]


@given(export=st.sampled_from(sorted(EXPORTS)), changes=st.lists(mutation, min_size=1, max_size=4),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), cycle=st.sampled_from([None, "2025-26"]))
@example(export=("skills", "sheet"), changes=[LOST_DIGIT], encoding="utf-8", cycle=None)
@example(export=("skills", "sheet"), changes=[LOST_DIGIT], encoding="utf-8", cycle="2025-26")
def test_mutated_exports(fresh_conn, export, changes, encoding, cycle):
    text = EXPORTS[export]
    for change in changes:
        text = mutate(text, change)
    with fresh_conn() as conn:
        attempt(conn, text.encode(encoding, errors="replace"), cycle=cycle)


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_the_unmutated_exports_import(conn, export):
    result = imports.import_bytes(conn, EXPORTS[export].encode(), "valid.csv")
    assert result.ok and not [w for w in result.warnings if "not in the skills taxonomy" not in w.message], \
        result.warnings
    assert result.new == EXPORTS[export].count("\r\n") - 1


@pytest.mark.parametrize("kind", sorted(SHEET_EXPORTS))
def test_both_shapes_store_the_same_answers(fresh_conn, kind):
    stored = []
    for shape in ("sheet", "form"):
        with fresh_conn() as conn:
            assert imports.import_bytes(conn, EXPORTS[kind, shape].encode(), f"{shape}.csv").ok
            table = {"skills": "survey_responses", "applications": "applications", "outcomes": "outcome_responses"}[kind]
            stored.append(conn.execute(f"SELECT * EXCLUDE (id, batch_id) FROM {table} ORDER BY submitted_at").fetchall())
    assert stored[0] == stored[1] and stored[0]


def test_a_year_that_lost_a_digit_is_named(conn):
    result = imports.import_bytes(conn, mutate(VALID, LOST_DIGIT).encode(), "lost-digit.csv")
    assert [(p.row, p.column, p.value) for p in result.errors] == [(4, "Timestamp", "9/17/025 9:30:00")]
    assert snapshot(conn)["survey_responses"] == 0
