"""AppTest tests of the Coverage page: charts, filters by key, login for visitors, empty and unpublished years."""
from __future__ import annotations

import pytest
import streamlit as st

from lib import db
from lib.admin import auth
from lib.directory import members as directory
from lib.imports import batches as imports
from tests.apptest_support import app, open_page, query, texts
from tests.conftest import PASSWORD
from tests.test_coverage import export

PAGE = "pages/coverage.py"


pytestmark = pytest.mark.usefixtures("app_on_demo")  # every test runs the real router on the demo


SURVEY_HEADER = ["Timestamp", "Email Address", "Name", "Institution", "Job title",
                 "Areas of expertise (check all that apply)", "May we publish your information in the ALI Skills Directory?"]
APPLICATION_HEADER = ["Timestamp", "Email Address", "Name", "Institution", "How long have you worked in libraries?",
                      "What do you hope to gain from a Peer Mentorship Circle? (check all that apply)",
                      "I agree to the participant expectations"]
TYPED_INTEREST = "Zoë's *club* for O'Neil & José Álvarez"
FORMULA_INTEREST = '=HYPERLINK("http://evil.example","x")'


def published_in(region: str | None = None) -> int:
    """Published members of 2025-26 from the directory itself (not from lib.directory.coverage), optionally in one
    region."""
    conn = db.connect()
    try:
        table = directory.published(conn, "2025-26")
    finally:
        conn.close()
    return int(len(table) if region is None else (table["region"] == region).sum())


def metrics(at) -> dict[str, str]:
    """The page's headline numbers by label."""
    return {m.label: m.value for m in at.metric}


def test_committee_member_sees_the_map_and_every_chart():
    at = open_page(app("member"), PAGE)
    assert not at.exception
    assert at.title[0].value == "Coverage"
    charts = at.get("vega_lite_chart")
    assert len(charts) == 6  # map, skills by region, top skills, demand vs supply, two year-over-year lines
    assert metrics(at)["Published members"] == f"{published_in():,}"
    assert "Where members are" in texts(at) and "Gaps" in texts(at)
    assert len(at.expander) >= 6 and all(e.label in ("Show data", "Institutions on the map") for e in at.expander)
    downloads = at.get("download_button")
    assert len(downloads) >= 6


def test_the_map_draws_all_92_counties_from_the_committed_shapes():
    at = open_page(app("member"), PAGE)
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert '"geoshape"' in spec and '"mercator"' in spec and "18097" in spec and "Published members per county" in spec
    assert spec.count('"county_fips": "18') + spec.count('"county_fips":"18') >= 92


def test_a_region_filter_narrows_the_figures():
    at = open_page(app("member"), PAGE)
    everyone = metrics(at)["Published members"]
    at.selectbox(key="coverage_region").select("Northeast").run()
    assert not at.exception
    assert metrics(at)["Published members"] == f"{published_in('Northeast'):,}" != everyone
    at.selectbox(key="coverage_region").select(None).run()
    at.selectbox(key="coverage_category").select("Instruction and learning").run()
    assert not at.exception and len(at.get("vega_lite_chart")) == 6
    # A chosen category shows every one of its skills in the heatmap, not the top 20 overall.
    heatmap = at.get("vega_lite_chart")[1].proto
    cells = b"".join(dataset.data.data for dataset in heatmap.datasets)  # the chart's table, as Arrow bytes
    assert "Published experts per skill and region" in heatmap.spec
    assert b"Universal design for learning" in cells and b"Collection development" not in cells


def test_a_filter_nobody_matches_says_so():
    at = open_page(app("member"), PAGE)
    at.selectbox(key="coverage_type").select("community college").run()
    at.selectbox(key="coverage_region").select("Southeast").run()
    assert not at.exception
    assert metrics(at)["Published members"] == "0"
    assert "No published members in 2025-26 match these filters." in texts(at)


def test_visitor_gets_the_login_prompt():
    at = open_page(app(), PAGE)
    assert not at.exception
    assert at.title[0].value == "Committee login"
    assert "Coverage is for the Mentorship Committee" in texts(at)
    assert not at.get("vega_lite_chart") and not at.metric


def test_typed_interests_and_names_show_as_typed():
    conn = db.connect()
    try:
        survey = [["9/20/2025 9:00:00", "jose@example.edu", "José Álvarez", "Ball State University", "Cataloger",
                   "Cataloging", "Yes"],
                  ["9/20/2025 9:05:00", "zoe@example.edu", "Zoë", "Ball State University", "Archivist", "Archives",
                   "Yes"],
                  ["9/20/2025 9:10:00", "pat@example.edu", "Pat O'Neil", "Ball State University",
                   '=HYPERLINK("http://evil.example","x")', "GIS", "Yes"]]
        assert imports.import_bytes(conn, export(SURVEY_HEADER, survey), "accents.csv").ok
        applications = [["9/25/2025 9:00:00", "ana@example.edu", "Ana O'Neil", "IUPUI", "1-2 years",
                         f"{TYPED_INTEREST}, {FORMULA_INTEREST}", "I agree"]]
        result = imports.import_bytes(conn, export(APPLICATION_HEADER, applications), "typed.csv")
        assert result.ok, result.errors
    finally:
        conn.close()
    at = open_page(app("member"), PAGE)
    assert not at.exception
    shown = texts(at).replace("\u200b", "")  # escape() breaks up addresses with a zero-width space
    assert TYPED_INTEREST in shown and FORMULA_INTEREST in shown
    # Escaped for Markdown: the asterisks stay asterisks instead of turning into italics.
    assert any("\\*club\\*" in caption.value for caption in at.caption)
    # José and Zoë are published; Pat's formula-like job title holds his answer back until reviewed.
    assert metrics(at)["Published members"] == f"{published_in():,}"
    assert query("SELECT count(*) FROM survey_responses WHERE held_reason IS NOT NULL")[0][0] == 1


def test_an_empty_database_renders_a_message(blank_database):
    at = open_page(app("member"), PAGE)
    assert not at.exception
    assert at.title[0].value == "Coverage"
    assert "The database is empty" in texts(at)
    assert not at.get("vega_lite_chart")


def test_a_year_without_published_members_renders_a_message(blank_database):
    conn = db.connect(blank_database)
    try:
        rows = [["9/20/2025 9:00:00", "zoe@example.edu", "Zoë O'Neil", "IUPUI", "Librarian", "Cataloging", "No"]]
        assert imports.import_bytes(conn, export(SURVEY_HEADER, rows), "nobody.csv").ok
    finally:
        conn.close()
    at = open_page(app("member"), PAGE)
    assert not at.exception
    assert "No published members in 2025-26: nobody who answered" in texts(at)
    assert metrics(at)["Published members"] == "0"
    assert len(at.get("vega_lite_chart")) == 2  # the year-over-year lines still show who answered


def test_overview_shows_skill_depth_instead_of_skills_covered():
    at = open_page(app("member"), "pages/overview.py")
    assert not at.exception
    labels = {m.label: m for m in at.metric}
    assert "Skills covered" not in labels
    assert int(labels["Skills with 3+ experts"].value) > 0 and int(labels["Thin skills"].value) >= 0
    assert "at least 3 published members" in labels["Skills with 3+ experts"].help
    assert "no published member, or only one" in labels["Thin skills"].help
