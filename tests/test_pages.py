"""AppTest tests of every page: they render without exceptions, and their main interactions work."""
from __future__ import annotations

import json

import pytest
import streamlit as st

from lib import db
from lib.admin import auth
from tests.apptest_support import app, button, log_in, open_page, problems_shown, texts
from tests.conftest import PASSWORD
from ui import session



pytestmark = pytest.mark.usefixtures("app_on_demo")  # every test runs the real router on the demo



def test_visitor_lands_on_the_published_directory():
    at = app()
    assert not at.exception
    assert at.title[0].value == "ALI Skills Directory"
    assert "members in the 2025-26 directory" in texts(at)
    assert at.text_input(key="directory_search").value == ""
    assert at.sidebar.caption[0].value == "Program year **2025-26**"


def test_login_form_logs_in_and_opens_the_overview():
    at = app()
    log_in(at, "chair")
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert at.session_state[session.AUTH]["username"] == "chair"


def test_wrong_password_is_refused():
    at = app()
    log_in(at, "chair", "not-the-password")
    assert "Username or password is incorrect." in texts(at)
    assert session.AUTH not in at.session_state


def test_overview_shows_headline_figures_and_trends():
    at = open_page(app("chair"), "pages/overview.py")
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Would participate again"] == "13 of 14"
    assert int(labels["Members in the directory"]) > 200
    assert labels["Circles"] == "3"
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    # Nine trend lines, each described in words (its text alternative), and the two charts below them.
    described = [spec["description"] for spec in specs if "description" in spec]
    assert len(described) == 9 and len(specs) == 11
    members = labels["Members in the directory"]
    assert described[0].startswith(f"Members in the directory: {members} in 2025-26, up from ")
    assert "By year: 2023-24 " in described[0] and described[0].endswith(f"2025-26 {members}.")
    assert described[-1].startswith("Would participate again: 93% in 2025-26, up from 90% in 2024-25.")
    # Not Streamlit's own sparkline, which draws an SVG that has no text alternative.
    assert all(not m.proto.chart_data for m in at.metric)


def test_overview_follows_the_cycle_selector():
    at = open_page(app("chair"), "pages/overview.py")
    at.sidebar.selectbox(key="cycle").select("2023-24").run()
    labels = {m.label: m.value for m in at.metric}
    assert labels["Would participate again"] == "5 of 5"
    assert "Skills Directory 2023-24" in texts(at)
    assert "95% Wilson interval 57%–100%" in texts(at)


def test_admin_adds_changes_and_removes_a_user(tmp_path):
    at = open_page(app("chair"), "pages/admin.py")
    assert at.title[0].value == "Users"
    at.text_input(key="add_username").input("jdoe")
    at.text_input(key="add_name").input("Jordan Doe")
    at.text_input(key="add_password").input("a-long-password")
    button(at, "Add user").click().run()
    assert not at.exception
    conn = db.connect()
    assert auth.get_user(conn, "jdoe").role == "committee"
    conn.close()

    at.selectbox(key="edit_user").select("jdoe").run()
    at.selectbox(key="edit_role").select("admin").run()
    button(at, "Save changes").click().run()
    conn = db.connect()
    assert auth.get_user(conn, "jdoe").role == "admin"
    conn.close()

    at.selectbox(key="remove_user").select("jdoe").run()
    assert at.button(key="remove_button").disabled  # nothing is removed without confirmation
    at.checkbox(key="remove_confirm").check().run()
    at.button(key="remove_button").click().run()
    conn = db.connect()
    assert auth.get_user(conn, "jdoe") is None
    conn.close()


def test_admin_sees_a_clear_error_for_a_bad_user():
    at = open_page(app("chair"), "pages/admin.py")
    at.text_input(key="add_username").input("Bad Name!")
    at.text_input(key="add_name").input("Someone")
    at.text_input(key="add_password").input("short")
    button(at, "Add user").click().run()
    assert at.error and "username" in at.error[0].value.lower()


def test_account_page_changes_own_password():
    at = open_page(app("member"), "pages/account.py")
    assert at.title[0].value == "My account"
    at.text_input(key="own_current").input(PASSWORD)
    at.text_input(key="own_new").input("a-brand-new-password")
    at.text_input(key="own_new_again").input("a-brand-new-password")
    button(at, "Change password").click().run()
    assert at.success and "Password changed" in at.success[0].value
    conn = db.connect()
    assert auth.verify_user(conn, "member", "a-brand-new-password")
    conn.close()


IMPORT_CSV = (
    "Timestamp,Email Address,Name,Institution,Job title,Areas of expertise (check all that apply),"
    "May we publish your information in the ALI Skills Directory?\n"
    '10/2/2025 10:00:00,new.person@example.edu,Nova Person,Purdue University,Librarian,"Cataloging, GIS",Yes\n'
    '10/3/2025 10:00:00,other.person@example.edu,Otto Person,Acme College,Archivist,Archives,Yes\n'
).encode()


def _count(sql: str) -> int:
    """Run a count on the test database with its own connection."""
    conn = db.connect()
    try:
        return conn.execute(sql).fetchall()[0][0]
    finally:
        conn.close()


def test_import_page_upload_preview_commit_and_undo():
    at = open_page(app("member"), "pages/imports.py")
    assert at.title[0].value == "Import" and not at.exception
    at.file_uploader(key="import_file").set_value(("october.csv", IMPORT_CSV, "text/csv")).run()
    assert not at.exception
    figures = {m.label: m.value for m in at.metric}
    assert figures["Rows read"] == "2" and figures["New people"] == "2" and figures["Errors"] == "0"
    problems = problems_shown(at)
    assert "institution not recognised" in " ".join(map(str, problems["message"]))
    proposed = next(d.value for d in at.dataframe if "Skill as typed" in d.value.columns)
    assert len(proposed) > 0  # the demo's members typed a few skills of their own
    people_before = _count("SELECT count(*) FROM people")
    at.button(key="import_commit").click().run()
    assert not at.exception
    assert "Imported october.csv as batch" in texts(at)
    review = next(d.value for d in at.dataframe if "Institution as typed" in d.value.columns)
    assert list(review["Institution as typed"]) == ["Acme College"]
    assert _count("SELECT count(*) FROM people") == people_before + 2

    newest = _count("SELECT max(id) FROM import_batches")
    chooser = next(s for s in at.selectbox if s.label == "Import to undo")
    assert chooser.value.startswith(f"#{newest} · october.csv")  # the import just made, not the one before
    assert at.button(key="undo_button").disabled
    next(c for c in at.checkbox if c.label.startswith(f"Yes, remove everything import #{newest} added")).check().run()
    at.button(key="undo_button").click().run()
    assert f"Undid import #{newest}" in texts(at)
    assert _count("SELECT count(*) FROM people") == people_before


def test_import_page_shows_errors_and_refuses_to_import():
    broken = IMPORT_CSV.replace(b"10/3/2025 10:00:00", b"someday")
    at = open_page(app("member"), "pages/imports.py")
    at.file_uploader(key="import_file").set_value(("broken.csv", broken, "text/csv")).run()
    assert {m.label: m.value for m in at.metric}["Errors"] == "1"
    assert at.button(key="import_commit").disabled
    assert "Nothing can be imported until the errors are fixed" in texts(at)
    problems = problems_shown(at)
    assert list(problems[problems["severity"] == "error"]["row"]) == [3]


def test_import_page_names_a_missing_required_field():
    renamed = IMPORT_CSV.replace(b"Name,", b"Nom complet,", 1)
    at = open_page(app("member"), "pages/imports.py")
    at.file_uploader(key="import_file").set_value(("renamed.csv", renamed, "text/csv")).run()
    assert at.error and "Required field(s) not mapped: **Name**" in at.error[0].value
    editor = next(d.value for d in at.dataframe if "Field" in d.value.columns)
    assert editor.set_index("Column in the file").loc["Nom complet", "Field"] == "(ignore this column)"
    assert not at.metric  # no preview until the mapping is complete


def test_import_page_refuses_an_unreadable_file():
    at = open_page(app("member"), "pages/imports.py")
    at.file_uploader(key="import_file").set_value(("empty.csv", b"", "text/csv")).run()
    assert at.error and "empty" in at.error[0].value


def test_import_page_reads_the_forms_own_download():
    download = (b"Timestamp,Email Address,Name,Institution,Job title,Areas of expertise (check all that apply),"
                b"Colleagues may contact me for,May we publish your information in the ALI Skills Directory?\n"
                b"2025/10/02 10:00:00 AM EDT,new.person@example.edu,Nova Person,Purdue University,Librarian,"
                b"\"Cataloging;Metadata;Zines, comics and graphic novels\",Support;Feedback,Yes\n"
                b"2025/10/03 2:30:00 PM GMT-4,other.person@example.edu,Zo\xc3\xab O'Neil,Ball State University,"
                b"Archivist,Archives,Discussion,Yes\n")
    at = open_page(app("member"), "pages/imports.py")
    at.file_uploader(key="import_file").set_value(("Skills survey (Responses).csv", download, "text/csv")).run()
    assert not at.exception
    figures = {m.label: m.value for m in at.metric}
    assert figures["Rows read"] == "2" and figures["New"] == "2" and figures["Errors"] == "0"
    problems = problems_shown(at)
    # The one free-text 'Other' answer, whole (its comma is not a separator here); every purpose understood.
    assert list(problems["value"]) == ["Zines, comics and graphic novels"]
    at.button(key="import_commit").click().run()
    assert "Imported Skills survey (Responses).csv as batch" in texts(at)
    assert _count("SELECT count(*) FROM survey_responses WHERE submitted_at = TIMESTAMP '2025-10-03 14:30:00'"
                  " AND contact_purposes = ['discussion']") == 1
    assert _count("SELECT count(*) FROM person_skills ps JOIN survey_responses r ON r.id = ps.response_id"
                  " JOIN people p ON p.id = r.person_id WHERE p.email = 'new.person@example.edu'") == 2


def test_import_page_shows_a_timestamp_that_lost_a_digit_as_a_row_error():
    broken = IMPORT_CSV.replace(b"10/3/2025 10:00:00", b"10/3/025 10:00:00")
    for cycle in (None, "2025-26"):
        at = open_page(app("member"), "pages/imports.py")
        at.file_uploader(key="import_file").set_value(("lost-digit.csv", broken, "text/csv")).run()
        if cycle:
            at.selectbox(key="import_cycle").select(cycle).run()
        assert not at.exception
        assert {m.label: m.value for m in at.metric}["Errors"] == "1"
        assert at.button(key="import_commit").disabled
        problems = problems_shown(at)
        errors = problems[problems["severity"] == "error"]
        assert list(errors["row"]) == [3] and list(errors["value"]) == ["10/3/025 10:00:00"]
        assert "year is not plausible" in errors["message"].iloc[0]


APPLICATIONS_CSV = (
    "Timestamp,Email Address,Name,Institution,How long have you worked in libraries?,"
    "Pick what you would like from the program,Favourite colour,I agree to the participant expectations\n"
    '9/10/2025 9:00:00,p0@example.edu,Pat Zero,Butler University,1-2 years,'
    '"Work-life balance, Teaching and instruction",blue,I agree\n'
    '9/11/2025 9:00:00,p1@example.edu,Pat One,Butler University,Less than 1 year,'
    '"Teaching and instruction, Research and publishing",red,I agree\n'
    '9/12/2025 9:00:00,p2@example.edu,Pat Two,Purdue University,2-3 years,'
    '"Research and publishing, Work-life balance",green,I agree\n'
).encode()


def test_import_page_names_the_columns_not_imported_and_those_guessed_from_their_answers():
    at = open_page(app("member"), "pages/imports.py")
    at.file_uploader(key="import_file").set_value(("apps.csv", APPLICATIONS_CSV, "text/csv")).run()
    assert not at.exception
    infos = [i.value for i in at.info]
    not_imported = next(v for v in infos if v.startswith("Not imported:"))
    assert "**Favourite colour**" in not_imported and "Pick what" not in not_imported
    guessed = next(v for v in infos if v.startswith("Guessed from its answers"))
    assert "**Pick what you would like from the program** → Interests and goals (checkboxes)" in guessed
    editor = next(d.value for d in at.dataframe if "Field" in d.value.columns).set_index("Column in the file")
    assert editor.loc["Pick what you would like from the program", "Proposed from"] == "guessed from its answers"
    assert editor.loc["Pick what you would like from the program", "Field"] == "Interests and goals (checkboxes)"
    assert editor.loc["Favourite colour", "Field"] == "(ignore this column)"
    assert editor.loc["Name", "Proposed from"] == "its header"
    assert {m.label: m.value for m in at.metric}["Rows read"] == "3"  # the preview follows, before the import


def test_overview_applicant_tooltip_adds_up():
    at = open_page(app("chair"), "pages/overview.py")
    applicants = next(m for m in at.metric if m.label == "Applicants")
    assert applicants.value == "20"
    assert ("17 eligible + 2 with more than 3 years in the profession + 1 late (after the Oct 1 deadline) "
            "= 20 applicants.") in applicants.proto.help
