"""The Skills Directory page (AppTest): ranked results, filters, profiles, downloads, and the committee's review."""
from __future__ import annotations

import re

import pytest
import streamlit as st

from lib import db
from lib.imports import batches as imports
from tests.apptest_support import app, open_page, texts

HELD = ("Timestamp,Email Address,Name,Institution,Job title,Areas of expertise,May we publish your information?\n"
        "10/2/2025 10:00:00,held.one@example.edu,Hal Held,Ball State University,<b>Boss</b>,Cataloging,Yes\n")


@pytest.fixture(autouse=True)
def _fresh_app(demo_conn):
    """The real router on a private copy of the demo database (plus one answer held for review)."""
    assert imports.import_bytes(demo_conn, HELD.encode(), "held.csv").ok
    demo_conn.close()
    st.cache_resource.clear()
    st.cache_data.clear()


def member_count(at) -> int:
    """The number in the page's count line."""
    return int(re.search(r"\*\*([\d,]+)\*\* members? in the", texts(at)).group(1).replace(",", ""))


def results(at) -> list[str]:
    """The names of the results shown, in order."""
    return [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**") and "  \n" in m.value]


def test_a_visitor_searches_and_the_skill_holders_come_first():
    at = app()
    assert not at.exception and at.title[0].value == "ALI Skills Directory"
    everyone = member_count(at)
    at.text_input(key="directory_search").input("info lit").run()
    shown = texts(at)
    found = member_count(at)
    assert 0 < found < everyone and "matching *info lit*" in shown
    skills_lines = [m.value for m in at.markdown if m.value.startswith("Skills: ")]
    assert skills_lines and skills_lines[0].startswith("Skills: :blue-background[**Information literacy instruction**]")
    assert "Hal Held" not in shown  # held for review: never shown to the public


def test_no_match_says_so():
    at = app()
    at.text_input(key="directory_search").input("zzzz-no-such-thing").run()
    assert "Nobody matches that search" in texts(at) and not at.exception


def test_filters_narrow_the_results():
    at = app()
    at.multiselect(key="facet_regions").select("Northwest").run()
    assert "(filtered)" in texts(at)
    lines = [m.value for m in at.markdown if m.value.startswith("**") and "  \n" in m.value]
    assert lines and all("Northwest Indiana" in line for line in lines)


def test_show_more_adds_a_page():
    at = app()
    first = len(results(at))
    at.button(key="directory_more").click().run()
    assert len(results(at)) == first + 25


def test_a_profile_shows_the_whole_entry_with_a_mailto_link():
    at = app()
    at.text_input(key="directory_search").input("Zoë").run()
    profile = next(b for b in at.button if b.key and b.key.startswith("profile_"))
    profile.click().run()
    assert not at.exception
    assert any(b.proto.url.startswith("mailto:") for b in at.get("link_button"))
    assert "Areas of expertise" in texts(at) and "Every answer" not in texts(at)


def test_the_committee_sees_status_and_reviews_a_held_answer():
    at = open_page(app("member"), "pages/directory.py")
    assert "held for review 1" in texts(at) and "lapsed" in texts(at)
    at.multiselect(key="facet_statuses").select("held for review").run()
    assert results(at) == ["Hal Held"]
    form_title = next(t for t in at.text_input if t.key and t.key.endswith("_job_title"))
    assert form_title.value == "<b>Boss</b>"
    form_title.input("Head of Cataloging")
    next(b for b in at.button if b.label == "Publish with these values").click().run()
    assert not at.exception
    conn = db.connect()
    try:
        assert conn.execute("SELECT job_title, reviewed_by FROM survey_responses r JOIN people p ON p.id = r.person_id"
                            " WHERE p.email = 'held.one@example.edu'").fetchall() == [("Head of Cataloging", "member")]
    finally:
        conn.close()
    visitor = app()
    visitor.text_input(key="directory_search").input("Hal Held").run()
    assert results(visitor)[0] == "Hal Held"


def test_an_answer_without_a_name_is_published_only_once_a_name_is_added():
    conn = db.connect()
    try:
        nameless = HELD.replace("held.one@example.edu,Hal Held", "no.name@example.edu,  ").replace("<b>Boss</b>", "")
        assert imports.import_bytes(conn, nameless.encode(), "nameless.csv").ok
    finally:
        conn.close()
    st.cache_data.clear()
    at = open_page(app("member"), "pages/directory.py")
    at.multiselect(key="facet_statuses").select("held for review").run()
    # The blank name is shown empty (not as "nan", which publishing would then store as the name).
    nameless_input = next(t for t in at.text_input if t.key and t.key.endswith("_name") and t.value != "Hal Held")
    assert nameless_input.value == ""
    form = nameless_input.key.rsplit("_", 1)[0]
    next(b for b in at.button if b.label == "Publish with these values" and b.form_id == form).click().run()
    assert not at.exception and "no name: add the member's name before publishing it" in texts(at)
    nameless_input = next(t for t in at.text_input if t.key == f"{form}_name")
    nameless_input.input("Noor Haddad")
    next(b for b in at.button if b.label == "Publish with these values" and b.form_id == form).click().run()
    assert not at.exception
    visitor = app()
    visitor.text_input(key="directory_search").input("Noor Haddad").run()
    assert results(visitor)[0] == "Noor Haddad"


def test_every_download_is_offered():
    at = app()
    keys = {button.key for button in at.get("download_button")}
    assert {"directory_download", "publish_csv", "publish_xlsx", "publish_pdf", "publish_html"} <= keys


def test_a_markdown_name_is_written_literally_on_the_profiles_write_to_button(demo_db_file, tmp_path):
    from lib.imports import batches as importer
    from ui.markup import escape

    name = "Md **x** _y_"
    export = ("Timestamp,Email Address,Name,Institution,Job title,Areas of expertise,May we publish your information?\n"
              f"10/3/2025 10:00:00,md.member@example.edu,{name},Ball State University,Librarian,Cataloging,Yes\n")
    conn = db.connect()
    try:
        assert importer.import_bytes(conn, export.encode(), "md.csv").ok
    finally:
        conn.close()
    st.cache_data.clear()
    at = app()
    at.text_input(key="directory_search").input("md.member").run()
    next(b for b in at.button if b.key and b.key.startswith("profile_")).click().run()
    assert not at.exception
    [write] = [b.proto.label for b in at.get("link_button") if b.proto.label.startswith("Write to")]
    assert write == "Write to " + escape(name) and "\\*\\*x\\*\\*" in write


def test_a_change_rebuilds_the_search_index_in_the_background(monkeypatch):
    import threading

    from lib.directory import search

    monkeypatch.setenv("ALI_WARM_SEARCH_INDEX", "1")
    at = open_page(app("member"), "pages/directory.py")
    at.multiselect(key="facet_statuses").select("held for review").run()
    next(b for b in at.button if b.label == "Publish with these values").click().run()
    assert not at.exception
    for thread in threading.enumerate():
        if thread.name == "ali-search-index":
            thread.join()

    def never(*_):
        raise AssertionError("the index after the change was not built in the background")
    monkeypatch.setattr(search, "_build", never)
    conn = db.connect()
    try:  # the data as it is after the review: both audiences' indexes are there already
        assert "held.one@example.edu" in search.index(conn, "2025-26").table.column("email").to_pylist()
        search.index(conn, "2025-26", search.COMMITTEE)
    finally:
        conn.close()
