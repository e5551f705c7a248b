"""AppTest tests of every page: they render without exceptions, and their main interactions work."""
from __future__ import annotations

import pytest
import streamlit as st

from lib import auth, db
from tests.apptest_support import app, button, log_in, open_page, texts, use_navigation_only
from tests.conftest import PASSWORD

COMMITTEE_PAGES = ["pages/overview.py", "pages/admin.py"]


@pytest.fixture(autouse=True)
def _router(monkeypatch, demo_conn):
    """Every page test runs the real router on a private copy of the demo database."""
    use_navigation_only(monkeypatch)
    demo_conn.close()  # the app opens the file itself
    st.cache_resource.clear()  # the cached connection belongs to the previous test's database
    st.cache_data.clear()



def test_visitor_lands_on_the_published_directory():
    at = app()
    assert not at.exception
    assert at.title[0].value == "ALI Skills Directory"
    assert "members in the 2025-26 directory" in texts(at)
    assert at.text_input(key="directory_search").value == ""
    assert at.sidebar.caption[0].value == "Program year **2025-26**"


def test_visitor_search_uses_skill_aliases():
    at = app()
    everyone = at.dataframe[0].value
    at.text_input(key="directory_search").input("info lit").run()
    found = at.dataframe[0].value
    assert 0 < len(found) < len(everyone)
    # 'info lit' is an alias of the skill; a few members also typed it as a free-text 'Other' answer.
    assert all("Information literacy instruction" in list(skills) or "Info lit" in list(other)
               for skills, other in zip(found["skills"], found["other_skills"]))


def test_visitor_search_with_no_match_says_so():
    at = app()
    at.text_input(key="directory_search").input("zzzz-no-such-skill").run()
    assert "Nobody matches that search" in texts(at)
    assert not at.exception


@pytest.mark.parametrize("page", COMMITTEE_PAGES)
def test_visitor_cannot_open_committee_pages_by_url(page):
    at = app()
    with pytest.raises(ValueError):
        at.switch_page(page)  # not registered for visitors, so there is no URL to reach


@pytest.mark.parametrize("page", COMMITTEE_PAGES)
def test_committee_pages_refuse_a_visitor_even_when_run_directly(page):
    from streamlit.testing.v1 import AppTest

    from tests.apptest_support import APP

    at = AppTest.from_file(APP.replace("app.py", page), default_timeout=60).run()
    assert not at.exception
    assert at.error and "Please log in" in at.error[0].value or "Only an admin" in at.error[0].value
    assert not at.metric and not at.dataframe


def test_login_form_logs_in_and_opens_the_overview():
    at = app()
    log_in(at, "chair")
    assert at.session_state["authentication_status"] is True
    at.run()  # the browser's cookie component reruns the app; here the test does
    assert not at.exception
    assert at.title[0].value == "Overview"


def test_wrong_password_is_refused():
    at = app()
    log_in(at, "chair", "not-the-password")
    assert "Username or password is incorrect." in texts(at)
    assert not at.session_state["authentication_status"]


def test_overview_shows_headline_figures_and_trends():
    at = open_page(app("chair"), "pages/overview.py")
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Would participate again"] == "13 of 14"
    assert int(labels["Members in the directory"]) > 200
    assert labels["Circles"] == "3"
    assert len(at.get("vega_lite_chart")) == 2


def test_overview_follows_the_cycle_selector():
    at = open_page(app("chair"), "pages/overview.py")
    at.sidebar.selectbox(key="cycle").select("2023-24").run()
    labels = {m.label: m.value for m in at.metric}
    assert labels["Would participate again"] == "5 of 5"
    assert "Skills Directory 2023-24" in texts(at)
    assert "95% Wilson interval 57%–100%" in texts(at)


def test_committee_member_has_no_admin_page():
    at = app("member")
    assert not at.exception
    with pytest.raises(ValueError):
        at.switch_page("pages/admin.py")
    at = open_page(app("member"), "pages/overview.py")
    assert at.title[0].value == "Overview"


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


def test_logout_returns_to_the_visitor_view():
    at = app("chair")
    at.sidebar.button(key="logout_button").click().run()
    assert "You are logged out." in texts(at)
    at.run()
    assert at.title[0].value == "ALI Skills Directory"
    with pytest.raises(ValueError):
        at.switch_page("pages/overview.py")
