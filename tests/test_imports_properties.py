"""Property-based tests: random and mutated files never crash the importer and never write half a file."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import imports

TABLES = ("people", "survey_responses", "person_skills", "applications", "outcome_responses", "attendance",
          "import_batches", "cycles", "audit_log")

VALID = (
    "Timestamp,Email Address,Name,Institution,Job title,Areas of expertise (check all that apply),"
    "I am open to colleagues contacting me for,May we publish your information in the ALI Skills Directory?\r\n"
    '9/15/2025 10:32:11,ana@example.edu,Ana López,IUPUI,Librarian,"Cataloging, Metadata",Support,Yes\r\n'
    '9/16/2025 9:00:00,ben@example.edu,Ben Ng,Ball State University,Archivist,"Archives, Zines","Support, Feedback",No\r\n'
    '9/17/2025 9:30:00,cy@example.edu,Cy Day,Purdue University,Director,"Leadership, Budgeting",Collaboration,Yes\r\n'
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])


def snapshot(conn) -> dict[str, int]:
    """Row counts of every table an import may write."""
    return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in TABLES}


def attempt(conn, data: bytes, name: str = "fuzz.csv") -> None:
    """Import; the only acceptable failure is a refusal, and a file with errors writes nothing."""
    before = snapshot(conn)
    try:
        result = imports.import_bytes(conn, data, name)
    except imports.ImportRefused as refusal:
        assert str(refusal)
        assert snapshot(conn) == before
        return
    if result.errors or result.batch_id is None:
        assert snapshot(conn) == before
        assert all(str(problem) for problem in result.errors)
    else:
        after = snapshot(conn)
        assert after["import_batches"] == before["import_batches"] + 1


@SETTINGS
@given(data=st.binary(max_size=3000))
def test_random_bytes(conn, data):
    attempt(conn, data)


@SETTINGS
@given(text=st.text(max_size=1500))
def test_random_text(conn, text):
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


@SETTINGS
@given(changes=st.lists(mutation, min_size=1, max_size=4), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_mutated_exports(conn, changes, encoding):
    text = VALID
    for change in changes:
        text = mutate(text, change)
    attempt(conn, text.encode(encoding, errors="replace"))


def test_the_unmutated_export_imports(conn):
    result = imports.import_bytes(conn, VALID.encode(), "valid.csv")
    assert result.ok and result.new == 3
