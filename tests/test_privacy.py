"""Privacy: a person deleted leaves no trace, the purge keeps aggregates, downloads are committee-only and defused."""
from __future__ import annotations

import ast
import csv
import inspect
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from openpyxl import load_workbook

from lib import db, exports
from lib.admin import auth, privacy
from lib.circles import applications
from lib.circles import edits, rosters
from lib.directory import publication
from lib.messages import files
from lib.report import model as report
from lib.year import attendance, cohorts, outcomes
from tests.apptest_support import app, button, open_page, query, texts
from tests.conftest import PASSWORD
from ui.markup import escape

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 29)  # program year 2026-27: with 2 years kept, only 2023-24 is purged
TEXT_TYPES = ("VARCHAR", "JSON", "VARCHAR[]")


def _participant(conn) -> tuple[int, str, str, str]:
    """A demo participant with survey answers, an application, attendance and a named outcome, in a final circle."""
    rows = conn.execute("""
        SELECT p.id, p.email, p.name, d.cycle FROM people p
        JOIN circle_members m ON m.person_id = p.id JOIN circles c ON c.id = m.circle_id
        JOIN circle_drafts d ON d.id = c.draft_id AND d.status = 'final'
        WHERE EXISTS (SELECT 1 FROM survey_responses s WHERE s.person_id = p.id)
          AND EXISTS (SELECT 1 FROM applications a WHERE a.person_id = p.id AND a.cycle = d.cycle)
          AND EXISTS (SELECT 1 FROM attendance a WHERE a.person_id = p.id)
          AND EXISTS (SELECT 1 FROM outcome_responses o WHERE o.person_id = p.id AND o.cycle = d.cycle)
          -- a name no one else's contains, so finding it anywhere afterwards is a trace of this person
          AND (SELECT count(*) FROM people q WHERE contains(lower(q.name), lower(p.name))) = 1
        ORDER BY d.cycle DESC, p.id LIMIT 1""").fetchall()
    assert rows, "the demo has no participant with every kind of data"
    return rows[0]


def _traces(conn, needles: list[str], skip: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a text, JSON or list column of any table still holds a needle."""
    columns = conn.execute("""SELECT table_name, column_name FROM information_schema.columns
                              WHERE table_schema = 'main' AND data_type IN ('VARCHAR', 'JSON', 'VARCHAR[]')
                              ORDER BY 1, 2""").fetchall()
    found = []
    for table, column in columns:
        if table in skip:
            continue
        for needle in needles:
            variants = {needle.lower(), json.dumps(needle)[1:-1].lower()}
            for variant in variants:
                sql = f'SELECT count(*) FROM "{table}" WHERE contains(lower(CAST("{column}" AS VARCHAR)), ?)'
                if conn.execute(sql, [variant]).fetchall()[0][0]:
                    found.append((table, column, needle))
    return found


def _mentions_everywhere(conn, person_id: int, email: str, name: str, cycle: str) -> dict:
    """Put the person into every place a mention can hide; return ids to check afterwards."""
    others = [r[0] for r in conn.execute("""SELECT DISTINCT person_id FROM applications WHERE cycle = ?
                                            AND person_id <> ? ORDER BY 1 LIMIT 2""", [cycle, person_id]).fetchall()]
    applications.override(conn, cycle, person_id, True, f"{name} asked by email", actor="chair")
    edits.set_pair_rule(conn, cycle, "forbidden", person_id, others[0], True, actor="chair")
    edits.set_pair_rule(conn, cycle, "together", others[0], others[1], True, actor="chair")  # not about them
    draft = conn.execute("SELECT id FROM circle_drafts WHERE cycle = ? AND status = 'final'", [cycle]).fetchall()[0][0]
    with db.transaction(conn):
        db.audit(conn, "chair", "attendance.edit", "circle", 1,
                 {"cells": [{"member": name.upper(), "meeting": "Oct", "before": None, "after": "present"}]})
        db.audit(conn, "chair", "circles.resolve", "circle_draft", draft, {"after": [[person_id, others[0]]]})
        db.audit(conn, email, "login.failed", "user", email, {"failures": 1})
        db.audit(conn, "chair", "import.undo", "import_batch", 99, {"people": person_id, "attendance": 3})
        conn.execute("INSERT INTO login_failures (username, failures) VALUES (?, 1)", [email])
        conn.execute("UPDATE meetings SET note = ? WHERE id = (SELECT min(id) FROM meetings)",
                     [f"Moved: {name} is travelling"])
        conn.execute("""UPDATE outcome_responses SET comments = ? WHERE id = (SELECT min(id) FROM outcome_responses
                        WHERE person_id IS DISTINCT FROM ? AND cycle = ?)""", [f"Thanks to {name}!", person_id, cycle])
        conn.execute("""UPDATE import_batches SET warnings = ? WHERE id = (SELECT min(id) FROM import_batches)""",
                     [json.dumps([{"row": 4, "column": "Name", "value": f"<b>{name}</b>", "message": "tags removed"},
                                  {"row": 5, "column": "Other", "value": "Zines", "message": "not in the taxonomy"}])])
        conn.execute("UPDATE circle_drafts SET weights = ? WHERE id = ?",
                     [json.dumps({"waitlist": {str(person_id): "taken out by chair", str(others[1]): "later"}}), draft])
    ids = {row[0]: row[1] for row in conn.execute(
        "SELECT action, id FROM audit_log WHERE action IN ('circles.together', 'import.undo')").fetchall()}
    return {"draft": draft, "others": others, "kept_entries": ids}


def test_deleting_a_participant_leaves_no_trace_and_the_figures_still_compute(demo_conn):
    conn = demo_conn
    person_id, email, name, cycle = _participant(conn)
    placed = _mentions_everywhere(conn, person_id, email, name, cycle)
    kept_before = {i: query_row(conn, i) for i in placed["kept_entries"].values()}
    circle_id, others_in_circle, circle_version = conn.execute("""
        SELECT c.id, (SELECT list(o.person_id ORDER BY o.person_id) FROM circle_members o WHERE o.circle_id = c.id
                      AND o.person_id <> ?), c.version
        FROM circle_members m JOIN circles c ON c.id = m.circle_id JOIN circle_drafts d ON d.id = c.draft_id
        WHERE m.person_id = ? AND d.status = 'final'""", [person_id, person_id]).fetchall()[0]
    draft_version = conn.execute("SELECT version FROM circle_drafts WHERE id = ?", [placed["draft"]]).fetchall()[0][0]
    responses_before = outcomes.summary(conn, cycle).responses

    found = privacy.find(conn, f"  {email.upper()} ")
    assert found.person_id == person_id and found.email == email and found.in_final_circle and not found.accounts
    assert found.counts["survey_responses"] >= 1 and found.counts["applications"] >= 1
    assert found.counts["attendance"] >= 1 and found.counts["outcome_responses"] >= 1
    assert found.counts["eligibility_overrides"] == 1 and found.counts["forbidden_pairs"] == 1
    assert found.counts["login_failures"] == 1 and found.counts["waitlist_notes"] == 1
    assert found.counts["audit_log"] == 5  # override, forbid, attendance edit, resolve, failed login
    assert found.counts["import_warnings"] == 1 and found.counts["free_text"] == 2
    assert any("keeps its other" in note for note in found.notes)

    removed = privacy.delete_person(conn, email, actor="chair")
    assert {k: v for k, v in removed.items() if k in found.counts} == found.counts
    assert removed["people"] == 1 and len(removed.reference) == 36

    assert _traces(conn, [email, name]) == []
    for table in privacy.HANDLED:
        if table != "users":
            column = "id" if table == "people" else "person_id"
            if table in ("forbidden_pairs", "together_pairs"):
                assert not conn.execute(f"SELECT count(*) FROM {table} WHERE ? IN (person_a, person_b)",
                                        [person_id]).fetchall()[0][0]
            else:
                assert not conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?",
                                        [person_id]).fetchall()[0][0]

    # One record that a deletion happened, with counts and the reference only.
    [(actor, entity, entity_id, detail)] = conn.execute(
        "SELECT actor, entity, entity_id, detail FROM audit_log WHERE action = 'person.delete'").fetchall()
    detail = json.loads(detail)
    assert (actor, entity, entity_id) == ("chair", "privacy_request", removed.reference)
    assert set(detail) == {"reference", "removed"} and detail["removed"] == dict(removed)
    assert all(isinstance(v, int) for v in detail["removed"].values())
    redacted = conn.execute("SELECT action, actor, detail FROM audit_log WHERE detail::VARCHAR LIKE '%\"redacted\"%'"
                            " ORDER BY id").fetchall()
    assert sorted(a for a, _, _ in redacted) == ["applications.override", "attendance.edit", "circles.forbidden",
                                                 "circles.resolve", "login.failed"]
    assert all(json.loads(d) == {"redacted": "privacy request", "reference": removed.reference} for _, _, d in redacted)
    assert [who for action, who, _ in redacted if action == "login.failed"] == ["(redacted)"]
    # Entries about other people, or that merely hold the same number, are untouched.
    assert {i: query_row(conn, i) for i in placed["kept_entries"].values()} == kept_before

    # The circle keeps its other members and moves on a version; the draft too, with who changed it.
    assert conn.execute("SELECT list(person_id ORDER BY person_id), any_value(c.version) FROM circle_members m "
                        "JOIN circles c ON c.id = m.circle_id WHERE c.id = ?", [circle_id]).fetchall()[0] == \
        (others_in_circle, circle_version + 1)
    assert conn.execute("SELECT version, updated_by, weights FROM circle_drafts WHERE id = ?",
                        [placed["draft"]]).fetchall()[0][:2] == (draft_version + 1, "chair")
    assert "[removed]" in conn.execute("SELECT note FROM meetings WHERE id = (SELECT min(id) FROM meetings)"
                                       ).fetchall()[0][0]
    assert conn.execute("SELECT count(*) FROM together_pairs").fetchall()[0][0] == 1

    # The figures still compute, one response fewer.
    assert outcomes.summary(conn, cycle).responses == responses_before - 1
    years = cohorts.side_by_side(conn)
    assert cycle in set(years["cycle"]) and attendance.summary(conn, cycle).participants == len(others_in_circle) + \
        conn.execute("""SELECT count(*) FROM circle_members m JOIN circles c ON c.id = m.circle_id
                        JOIN circle_drafts d ON d.id = c.draft_id WHERE d.cycle = ? AND d.status = 'final'
                        AND c.id <> ?""", [cycle, circle_id]).fetchall()[0][0]


def query_row(conn, entry_id: int) -> tuple:
    """One audit entry as stored."""
    return conn.execute("SELECT actor, action, entity, entity_id, CAST(detail AS VARCHAR) FROM audit_log WHERE id = ?",
                        [entry_id]).fetchall()[0]


def test_an_unknown_or_blank_email_is_refused_and_nothing_changes(demo_conn):
    entries = demo_conn.execute("SELECT count(*) FROM audit_log").fetchall()
    with pytest.raises(ValueError, match="No one with the email nobody@example.edu is in the database"):
        privacy.delete_person(demo_conn, " Nobody@Example.edu ", actor="chair")
    with pytest.raises(ValueError, match="Type the email address"):
        privacy.find(demo_conn, "   ")
    with pytest.raises(ValueError, match="not an email address"):
        privacy.find(demo_conn, "just-a-name")
    assert demo_conn.execute("SELECT count(*) FROM audit_log").fetchall() == entries


def test_a_committee_account_with_the_same_email_is_kept_and_said_so(demo_conn):
    person_id, email, name, _ = _participant(demo_conn)
    auth.add_user(demo_conn, "steward", name, PASSWORD, role="committee", email=email.upper(), actor="chair")
    found = privacy.find(demo_conn, email)
    assert found.accounts == ["steward"]
    assert any("committee account uses this email (steward). It is kept" in note for note in found.notes)
    privacy.delete_person(demo_conn, email, actor="chair")
    assert demo_conn.execute("SELECT count(*) FROM people WHERE id = ?", [person_id]).fetchall() == [(0,)]
    assert demo_conn.execute("SELECT username FROM users WHERE lower(email) = ?", [email]).fetchall() == [("steward",)]
    # The account's own history stays with it; nothing else names them.
    assert "user.add" in demo_conn.execute("SELECT string_agg(action) FROM audit_log WHERE entity_id = 'steward'"
                                           ).fetchall()[0][0]
    assert _traces(demo_conn, [email, name], skip=("users", "audit_log")) == []


def test_an_email_known_only_as_a_committee_account_says_where_to_manage_it(demo_conn):
    auth.add_user(demo_conn, "solo", "Solo Account", PASSWORD, role="committee", email="solo@example.edu")
    with pytest.raises(ValueError, match=r"A committee account uses it \(solo\): manage it on the Users page"):
        privacy.find(demo_conn, "SOLO@example.edu")


def test_every_table_naming_a_person_is_handled(conn):
    columns = conn.execute("""SELECT table_name, column_name FROM information_schema.columns
                              WHERE table_schema = 'main' AND column_name IN ('person_id', 'person_a', 'person_b',
                                                                              'email')""").fetchall()
    unknown = sorted({table for table, _ in columns} - set(privacy.HANDLED))
    assert unknown == [], f"add these tables to lib/admin/privacy.py (deleting and counting their rows): {unknown}"
    assert privacy.unhandled_tables(conn) == []


def test_a_new_table_naming_people_stops_a_deletion(demo_conn):
    _, email, _, _ = _participant(demo_conn)
    demo_conn.execute("CREATE TABLE mentor_notes (person_id INTEGER, note VARCHAR)")
    assert privacy.unhandled_tables(demo_conn) == ["mentor_notes"]
    with pytest.raises(ValueError, match="mentor_notes.*nothing was deleted"):
        privacy.delete_person(demo_conn, email, actor="chair")
    assert demo_conn.execute("SELECT count(*) FROM people WHERE email = ?", [email]).fetchall() == [(1,)]


# ---------------------------------------------------------------------------------------------------- retention


def _counts(conn, table: str) -> dict[str, int]:
    """Rows per program year of a table."""
    return dict(conn.execute(f"SELECT cycle, count(*) FROM {table} GROUP BY 1 ORDER BY 1").fetchall())


def test_the_purge_preview_writes_nothing_and_the_purge_keeps_the_aggregates(demo_conn):
    conn = demo_conn
    # Someone who only applied in 2023-24, with a committee decision: nothing of theirs is left afterwards.
    with db.transaction(conn):
        lone = conn.execute("INSERT INTO people (email, name) VALUES ('lone.applicant@example.edu', 'Lone Applicant')"
                            " RETURNING id").fetchall()[0][0]
        conn.execute("""INSERT INTO applications (person_id, cycle, submitted_at, name, comments, goals)
                        VALUES (?, '2023-24', TIMESTAMP '2023-09-20 10:00', 'Lone Applicant', 'Private', 'Grow')""",
                     [lone])
    applications.override(conn, "2023-24", lone, False, "Lone Applicant withdrew", actor="chair")
    applications_before, outcomes_before = _counts(conn, "applications"), _counts(conn, "outcome_responses")
    years_before = cohorts.side_by_side(conn).set_index("cycle")
    entries = conn.execute("SELECT count(*) FROM audit_log").fetchall()

    plan = privacy.preview_purge(conn, 2, today=TODAY)
    assert plan.current == "2026-27" and [c["cycle"] for c in plan.cycles] == ["2023-24"]
    assert plan.cycles[0]["applications"] == applications_before["2023-24"]
    assert plan.cycles[0]["eligibility_overrides"] == 1 and plan.cycles[0]["comments"] >= 1 and plan.people == 1
    assert conn.execute("SELECT count(*) FROM audit_log").fetchall() == entries
    assert _counts(conn, "applications") == applications_before

    done = privacy.purge(conn, 2, actor="chair", today=TODAY)
    assert done["cycles"] == ["2023-24"] and done["applications"] == applications_before["2023-24"]
    assert done["people"] == 1 and done["audit_log"] == 1
    after = _counts(conn, "applications")
    assert "2023-24" not in after and after == {k: v for k, v in applications_before.items() if k != "2023-24"}
    assert _counts(conn, "outcome_responses") == outcomes_before
    assert conn.execute("""SELECT count(*) FROM outcome_responses WHERE cycle = '2023-24'
                           AND (comments IS NOT NULL OR consent_to_quote)""").fetchall() == [(0,)]
    assert conn.execute("SELECT count(*) FROM outcome_responses WHERE cycle = '2024-25' AND comments IS NOT NULL"
                        ).fetchall()[0][0] > 0
    assert conn.execute("SELECT count(*) FROM eligibility_overrides").fetchall() == [(0,)]
    assert conn.execute("SELECT count(*) FROM people WHERE id = ?", [lone]).fetchall() == [(0,)]
    assert _traces(conn, ["lone.applicant@example.edu", "Lone Applicant"]) == []
    # The end-of-year answers still count, and the later years are untouched.
    years = cohorts.side_by_side(conn).set_index("cycle")
    for column in ("responses", "met_goals_yes", "met_goals_n", "would_again_yes", "placed"):
        assert years[column].to_dict() == years_before[column].to_dict(), column
    assert years.loc["2024-25", "applicants"] == years_before.loc["2024-25", "applicants"]
    [(actor, detail)] = conn.execute("SELECT actor, detail FROM audit_log WHERE action = 'retention.purge'").fetchall()
    assert actor == "chair" and json.loads(detail)["cycles"] == ["2023-24"]
    assert "Lone" not in detail and "@" not in detail
    assert privacy.preview_purge(conn, 2, today=TODAY).empty


def test_the_retention_comes_from_the_setting_and_must_be_a_year_or_more(demo_conn, monkeypatch):
    monkeypatch.setenv("ALI_RETENTION_YEARS", "1")
    assert [c["cycle"] for c in privacy.preview_purge(demo_conn, today=TODAY).cycles] == ["2023-24", "2024-25"]
    monkeypatch.setenv("ALI_RETENTION_YEARS", "5")
    assert privacy.preview_purge(demo_conn, today=TODAY).empty
    for years in (0, -1, 1.5):
        with pytest.raises(ValueError, match="Keep at least 1 program year"):
            privacy.purge(demo_conn, years, actor="chair", today=TODAY)


# ---------------------------------------------------------------------------------------------------- command line


def _cli(path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the command line on a database file, with no terminal to answer questions."""
    return subprocess.run([sys.executable, "-m", "lib", *args], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, ALI_DB=str(path)), stdin=subprocess.DEVNULL, timeout=300, check=False)


def test_cli_people_show_delete_and_the_refusal_without_yes(demo_db_file, tmp_path):
    path = tmp_path / "cli.duckdb"
    shutil.copy(demo_db_file, path)
    conn = db.connect(path)
    _, email, name, _ = _participant(conn)
    conn.close()
    shown = _cli(path, "people", "show", email.upper(), "--json")
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["email"] == email and body["in_final_circle"] and body["counts"]["people"] == 1
    refused = _cli(path, "people", "delete", email)
    assert refused.returncode == 2 and "Add --yes" in refused.stderr and name in refused.stdout
    deleted = _cli(path, "people", "delete", email, "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert f"Deleted everything about {email}" in deleted.stdout and "Request reference: " in deleted.stdout
    again = _cli(path, "people", "delete", email, "--yes")
    assert again.returncode == 2 and "No one with the email" in again.stderr
    purge = _cli(path, "retention", "purge", "--years", "1")
    assert purge.returncode == 2 and "Add --yes" in purge.stderr and "application(s)" in purge.stdout


# ---------------------------------------------------------------------------------------------------- the page


@pytest.fixture
def router(demo_conn):
    """The real router on a private copy of the demo; returns the participant to delete."""
    found = _participant(demo_conn)
    demo_conn.close()
    st.cache_resource.clear()
    st.cache_data.clear()
    return found


def test_the_page_finds_confirms_and_deletes(router):
    person_id, email, name, _ = router
    at = open_page(app("chair"), "pages/privacy.py")
    assert not at.exception and at.title[0].value == "Privacy requests"
    at.text_input(key="privacy_email").input(f" {email.upper()} ")
    button(at, "Find").click().run()
    [footprint] = [d.value for d in at.dataframe if "what" in d.value.columns]
    assert name in texts(at) and footprint["rows"].sum() > 1 and "attendance" in set(footprint["table"])
    assert at.button(key="privacy_delete").disabled
    at.checkbox(key="privacy_confirm").check().run()
    assert email in at.checkbox(key="privacy_confirm").label
    at.button(key="privacy_delete").click().run()
    assert not at.exception, at.exception
    [reference] = [r[0] for r in query("SELECT entity_id FROM audit_log WHERE action = 'person.delete'")]
    assert f"Request reference: **{reference}**" in texts(at)
    assert query("SELECT count(*) FROM people WHERE id = ?", [person_id]) == [(0,)]
    assert at.text_input(key="privacy_email").value == ""  # the form is cleared for the next request


def test_the_page_says_when_no_one_has_the_email_and_shows_markup_literally(router):
    at = open_page(app("chair"), "pages/privacy.py")
    at.text_input(key="privacy_email").input("**x**@<b>example</b>.edu")
    button(at, "Find").click().run()
    assert any(escape("No one with the email **x**@<b>example</b>.edu") in e.value for e in at.info)
    assert not at.checkbox and not at.exception


def test_the_page_previews_and_purges(router):
    at = open_page(app("chair"), "pages/privacy.py")
    at.number_input(key="retention_years").set_value(1).run()
    conn = db.connect()
    try:
        expected = privacy.purged_cycles(conn, 1)
    finally:
        conn.close()
    [preview] = [d.value for d in at.dataframe if "applications" in d.value.columns]
    assert list(preview["cycle"]) == expected
    at.checkbox(key="retention_confirm").check().run()
    at.button(key="retention_purge").click().run()
    assert not at.exception, at.exception
    assert "Purged " + ", ".join(expected) in texts(at)
    assert query("SELECT count(*) FROM applications WHERE list_contains(?::VARCHAR[], cycle)", [expected]) == [(0,)]
    assert "Nothing to purge" in texts(at)


# ---------------------------------------------------------------------------------------------------- exports


PAGES = sorted((ROOT / "pages").glob("*.py"))
# The published directory: its downloads hold only members who agreed, and only the fields they agreed to.
PUBLIC_PAGES = {"directory.py"}
SPREADSHEETS = {"text/csv", "application/vnd.ms-excel",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Functions pages hand a download to; each is checked below to defuse formulas or to write no spreadsheet.
BUILDERS = ("exports.to_csv(", "roster_file(", "directory_file(", "files.render(", "files.merge_csv(",
            "files.eml_zip(")
PAYLOAD = '=HYPERLINK("https://example.invalid","x")'


def _downloads(path: Path) -> list[tuple[int, str | None, str]]:
    """Each st.download_button in a page: (line, mime when written out, source of the data it serves)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "download_button"):
            continue
        keywords = {k.arg: k.value for k in node.keywords}
        data = keywords.get("data", node.args[1] if len(node.args) > 1 else None)
        assert data is not None, f"{path.name}:{node.lineno}: a download without data"
        if isinstance(data, ast.Name) and data.id in functions:
            source = ast.unparse(functions[data.id])
        else:
            source = ast.unparse(data)
        mime = keywords.get("mime")
        found.append((node.lineno, mime.value if isinstance(mime, ast.Constant) else None, source))
    return found


def _page_ids(paths: list[Path]) -> list[str]:
    """Test ids: the page file names."""
    return [p.name for p in paths]


DOWNLOAD_PAGES = [p for p in PAGES if _downloads(p)]


@pytest.mark.parametrize("path", DOWNLOAD_PAGES, ids=_page_ids(DOWNLOAD_PAGES))
def test_every_download_is_for_the_committee_and_defuses_formulas(path):
    source = path.read_text(encoding="utf-8")
    if path.name not in PUBLIC_PAGES:
        assert "session.require_committee(" in source or "session.require_admin(" in source, \
            f"{path.name} offers downloads without asking for the committee login"
    for line, mime, data in _downloads(path):
        if any(builder in data for builder in BUILDERS):
            continue
        # Anything else must be a known format that no spreadsheet opens as cells (a calendar, plain text).
        assert mime is not None and mime not in SPREADSHEETS, \
            f"{path.name}:{line}: a download not built by exports.to_csv or a checked builder: {data}"


def test_the_public_directory_downloads_only_published_members():
    downloads = _downloads(ROOT / "pages" / "directory.py")
    assert downloads and all("exports.to_csv(" in data or "files.directory_file(" in data
                             for _, _, data in downloads)
    # The search download runs with the viewer's audience: visitors get the public one.
    assert "audience=audience" in next(data for _, _, data in downloads if "exports.to_csv(" in data)


def test_the_builders_defuse_every_spreadsheet_cell():
    assert "safe_cell(" in inspect.getsource(exports.to_csv)
    assert "to_csv(frame)" in inspect.getsource(rosters.roster_file)
    assert rosters.to_csv is exports.to_csv and "safe_cell(" in inspect.getsource(rosters.to_xlsx)
    assert "exports.to_csv(" in inspect.getsource(publication.to_csv)
    assert "safe_cell(" in inspect.getsource(publication._xlsx_text)
    assert set(report.FORMATS) == {"pdf", "html", "md"}  # the report is never a spreadsheet
    assert "to_csv(" in inspect.getsource(files.merge_csv) and files.to_csv is exports.to_csv
    assert "zipfile" in inspect.getsource(files.eml_zip)  # mail drafts, not cells


def test_a_formula_typed_as_a_name_is_defused_in_the_attendance_csv_and_the_roster_xlsx(demo_conn):
    conn = demo_conn
    cycle, person_id = conn.execute("""
        SELECT d.cycle, min(m.person_id) FROM circle_members m JOIN circles c ON c.id = m.circle_id
        JOIN circle_drafts d ON d.id = c.draft_id WHERE d.status = 'final'
        GROUP BY d.cycle ORDER BY d.cycle DESC LIMIT 1""").fetchall()[0]
    for table, column in (("people", "id"), ("applications", "person_id"), ("survey_responses", "person_id")):
        conn.execute(f"UPDATE {table} SET name = ? WHERE {column} = ?", [PAYLOAD, person_id])

    # The page's "Download attendance figures (CSV)".
    figures = attendance.members(conn, cycle)
    assert PAYLOAD in set(figures["name"])
    cells = [cell for row in csv.reader(io.StringIO(
        exports.to_csv(figures.drop(columns=["person_id", "circle_id"])).decode("utf-8-sig"))) for cell in row]
    assert "'" + PAYLOAD in cells and not [c for c in cells if c.startswith(("=", "+", "@"))]

    book = load_workbook(io.BytesIO(rosters.roster_file(conn, cycle, "xlsx")))
    values = [cell for row in book.active.iter_rows() for cell in row if cell.value is not None]
    assert "'" + PAYLOAD in [cell.value for cell in values]
    assert all(cell.data_type != "f" for cell in values)
    assert not [cell.value for cell in values if isinstance(cell.value, str) and cell.value.startswith("=")]


def test_backups_made_before_a_deletion_are_named_in_the_footprint(demo_conn, tmp_path, monkeypatch):
    _, email, _, _ = _participant(demo_conn)
    assert not any("backup" in note for note in privacy.find(demo_conn, email).notes)
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "ali-backup-20261101-120000.duckdb").write_bytes(b"")
    monkeypatch.setenv("ALI_BACKUP_DIR", str(folder))
    assert any(note.startswith("1 backup file(s) in ") and "restoring one brings it back" in note
               for note in privacy.find(demo_conn, email).notes)
