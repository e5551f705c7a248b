"""AppTest tests of the Skills and institutions page: decisions through its widgets reach the database."""
from __future__ import annotations

import pytest
import streamlit as st

from lib import db
from lib.directory import skills
from lib.imports import batches as imports
from tests.apptest_support import app, open_page, query, texts
from tests.test_imports_messy import HEADER_2024, csv_bytes, row

PAGE = "pages/skills.py"


@pytest.fixture(autouse=True)
def _router(demo_conn):
    """Every page test runs the real router on a private copy of the demo database, plus a few typed answers."""
    imports.import_bytes(demo_conn, csv_bytes(HEADER_2024, [
        row(ts="9/15/2025 10:00:00", email="jose.alvarez@x.edu", name="José Álvarez", inst="Acme College",
            skills="Cataloging, Zine librarianship, =SUM(A1)"),
        row(ts="9/16/2025 10:00:00", email="zoe@x.edu", name="Zoë Brontë", inst="Acme College",
            skills="Zine Librarianship"),
        row(ts="9/17/2025 10:00:00", email="oneil@x.edu", name="Pat O'Neil", inst="Acme College",
            skills="Textbook affordability"),
    ]), "typed.csv")
    demo_conn.close()  # the app opens the file itself
    st.cache_resource.clear()  # the cached connection belongs to the previous test's database
    st.cache_data.clear()


def shown(at) -> str:
    """The page's text as a reader sees it, bold marks dropped."""
    return texts(at).replace("**", "")


def column(at, name: str) -> list:
    """The values of a column of the first table the page shows with that column."""
    return next(list(frame.value[name]) for frame in at.dataframe if name in frame.value.columns)


def committee_page(tab: str = "Proposed skills") -> object:
    """The page, opened by a logged-in committee member, on one of its tabs."""
    at = open_page(app("member"), PAGE)
    assert not at.exception, at.exception
    if tab != "Proposed skills":
        at.session_state["taxonomy_tab"] = tab  # the tab a click would open (only the open tab is drawn)
        at.run()
    return at


def test_a_visitor_is_asked_to_log_in():
    at = open_page(app(), PAGE)
    assert not at.exception
    assert at.title[0].value == "Committee login"
    assert "Managing the taxonomy is for the Mentorship Committee" in shown(at)
    assert not at.dataframe and not at.tabs  # nothing of the page itself


def test_accept_a_proposed_skill_as_a_new_skill():
    at = committee_page()
    assert at.title[0].value == "Skills and institutions"
    assert "Zine librarianship" in column(at, "Typed by members")
    at.selectbox(key="proposal").select("Zine librarianship").run()
    assert "no close skill" in shown(at) and "Health sciences" not in shown(at)
    at.radio(key="proposal_decision").set_value("Add as a new skill").run()
    at.selectbox(key="proposal_category").select("Outreach and engagement").run()
    at.button(key="proposal_apply").click().run()
    assert not at.exception, at.exception
    assert "Added Zine librarianship to the taxonomy" in shown(at) and "answer(s) re-linked" in shown(at)
    assert query("SELECT category FROM skills WHERE name = 'Zine librarianship'") == [("Outreach and engagement",)]
    assert query("""SELECT count(*) FROM survey_responses
                    WHERE list_contains(list_transform(other_skills, lambda x: lower(x)), 'zine librarianship')
                 """) == [(0,)]
    emails = {r[0] for r in query("""SELECT p.email FROM person_skills ps JOIN skills s ON s.id = ps.skill_id
        JOIN survey_responses r ON r.id = ps.response_id JOIN people p ON p.id = r.person_id
        WHERE s.name = 'Zine librarianship'""")}
    assert {"jose.alvarez@x.edu", "zoe@x.edu"} <= emails
    assert "Zine librarianship" not in column(at, "Typed by members")


def test_accept_as_an_alias_asks_to_confirm_many_answers():
    at = committee_page()
    at.selectbox(key="proposal").select("Spanish-language reference").run()
    at.radio(key="proposal_decision").set_value("Add as an alias of a skill").run()
    at.selectbox(key="proposal_alias_of").select("Reference services").run()
    assert at.button(key="proposal_apply").disabled  # 12 answers change: not without a confirmation
    at.checkbox(key="proposal_confirm").check().run()
    at.button(key="proposal_apply").click().run()
    assert not at.exception, at.exception
    assert "is now an alias of Reference services: 12 answer(s) re-linked" in shown(at)
    aliases = query("SELECT aliases FROM skills WHERE name = 'Reference services'")[0][0]
    assert aliases[-1] == "Spanish-language reference"


def test_typed_text_is_shown_as_typed():
    at = committee_page()
    at.selectbox(key="proposal").select("=SUM(A1)").run()
    assert "=SUM(A1): typed by 1 member(s)" in shown(at)
    at.radio(key="proposal_decision").set_value("Dismiss").run()
    at.button(key="proposal_apply").click().run()
    assert "Dismissed =SUM(A1): it is no longer proposed." in shown(at)
    assert query("SELECT text, dismissed_by FROM skill_dismissals") == [("=SUM(A1)", "member")]


def test_accept_an_institution_alias():
    at = committee_page("Institutions")
    assert column(at, "Institution as typed") == ["Acme College"]
    at.selectbox(key="inst_raw").select("Acme College").run()
    at.selectbox(key="inst_target").select("Butler University").run()
    at.button(key="inst_alias_button").click().run()
    assert not at.exception, at.exception
    assert "Acme College is now an alias of Butler University: 3 survey answer(s)" in shown(at)
    assert query("""SELECT count(*) FROM survey_responses r JOIN institutions i ON i.id = r.institution_id
                    WHERE r.institution_raw = 'Acme College' AND i.name = 'Butler University'""") == [(3,)]
    assert "Acme College" in query("SELECT aliases FROM institutions WHERE name = 'Butler University'")[0][0]
    assert "Every institution name in the answers is recognised." in shown(at)


def test_add_an_institution():
    at = committee_page("Institutions")
    at.text_input(key="inst_new_name").input("Acme College of the Arts")
    at.text_input(key="inst_new_city").input("Donaldson")
    at.selectbox(key="inst_new_county").select("Marshall")
    at.selectbox(key="inst_new_type").select("private")
    at.multiselect(key="inst_new_aliases").select("Acme College")
    at.button(key="inst_new_submit").click().run()
    assert not at.exception, at.exception
    assert "Added Acme College of the Arts: 3 answer(s) and 3 person record(s) linked." in shown(at)
    assert query("SELECT city, county, type, aliases FROM institutions WHERE name = 'Acme College of the Arts'") == \
        [("Donaldson", "Marshall", "private", ["Acme College"])]


def test_rename_in_the_taxonomy_and_a_stale_edit_is_refused():
    at = committee_page("Taxonomy")
    at.text_input(key="taxonomy_search").input("oral").run()
    assert column(at, "Skill") == ["Oral history"]
    at.selectbox(key="taxonomy_skill").select("Oral history").run()
    at.text_input(key="rename_name").input("Oral history and memory")
    at.button(key="rename_submit").click().run()
    assert "Renamed Oral history to Oral history and memory" in shown(at)
    assert query("SELECT aliases FROM skills WHERE name = 'Oral history and memory'")[0][0][-1] == "Oral history"
    # Someone else saves a change to the skill while this page shows it: the next edit here is refused.
    at.selectbox(key="taxonomy_skill").select("Oral history and memory").run()
    conn = db.connect()
    try:
        skill = skills.find(conn, "Oral history and memory")
        skills.move(conn, skill.id, "Community and memory", version=skill.version, actor="chair")
    finally:
        conn.close()
    at.text_input(key="rename_name").input("Oral histories")
    at.button(key="rename_submit").click().run()
    assert not at.exception, at.exception
    assert "was changed by someone else since you opened it" in shown(at)
    assert query("SELECT count(*) FROM skills WHERE name = 'Oral histories'") == [(0,)]
    # The page now shows the latest version: the same edit, submitted again, is saved.
    at.button(key="rename_submit").click().run()
    assert "Renamed Oral history and memory to Oral histories" in shown(at)
    assert query("SELECT category FROM skills WHERE name = 'Oral histories'") == [("Community and memory",)]


def test_merge_needs_a_confirmation():
    at = committee_page("Taxonomy")
    at.selectbox(key="taxonomy_skill").select("Oral history").run()
    at.selectbox(key="merge_into").select("Archives").run()
    assert at.button(key="merge_button").disabled
    at.checkbox(key="merge_confirm").check().run()
    at.button(key="merge_button").click().run()
    assert not at.exception, at.exception
    assert "Merged Oral history into Archives" in shown(at)
    assert query("SELECT count(*) FROM skills WHERE name = 'Oral history'") == [(0,)]
    assert "Oral history" in query("SELECT aliases FROM skills WHERE name = 'Archives'")[0][0]
