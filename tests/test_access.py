"""Who may open what, through the real router (AppTest): every page for every role, logins, sessions that end.

AppTest runs every page file the way a freshly started server runs a deep link (a folder named pages/ makes
Streamlit run the file by itself); each of these tests therefore also goes through ui.session.page(), which
sends such runs through app.py.
"""
from __future__ import annotations

import time

import jwt
import pytest
import streamlit as st

from lib import db
from lib.admin import auth
from tests.apptest_support import app, open_page, sign_in, submit_login, texts
from tests.conftest import PASSWORD
from ui import session
from ui.markup import escape

PAGES = {"pages/overview.py": "Overview", "pages/directory.py": "ALI Skills Directory", "pages/imports.py": "Import",
         "pages/admin.py": "Users", "pages/account.py": "My account", "pages/circles.py": "Peer Mentorship Circles",
         "pages/attendance.py": "Meetings and attendance", "pages/outcomes.py": "Outcomes",
         "pages/report.py": "Annual report", "pages/audit.py": "Audit log", "pages/privacy.py": "Privacy requests",
         "pages/backups.py": "Backups", "pages/messages.py": "Messages"}
COMMITTEE_ONLY = {"pages/overview.py", "pages/imports.py", "pages/admin.py", "pages/circles.py", "pages/attendance.py",
                  "pages/outcomes.py", "pages/report.py", "pages/audit.py", "pages/privacy.py",
                  "pages/backups.py", "pages/messages.py"}
# Admin pages: a committee member is told only an admin may, and sees nothing of the page.
ADMIN_ONLY = {"pages/admin.py": "Only an admin can manage users", "pages/audit.py": "Only an admin can read the audit log",
              "pages/privacy.py": "Only an admin can act on privacy requests",
              "pages/backups.py": "Only an admin can make and restore backups"}


@pytest.fixture(autouse=True)
def _fresh_app(demo_conn):
    """Every test runs the real router on a private copy of the demo database."""
    demo_conn.close()  # the app opens the file itself
    st.cache_resource.clear()
    st.cache_data.clear()


def with_db(action):
    """Run something against the test database with a connection of its own."""
    conn = db.connect()
    try:
        return action(conn)
    finally:
        conn.close()


def committee_data_shown(at) -> bool:
    """Whether the run shows anything only the committee may see (figures, the users table, the importer)."""
    return bool(at.metric) or any("Username" in d.value.columns for d in at.dataframe) or \
        any(u.key == "import_file" for u in at.get("file_uploader"))


# --- every page for every role --------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_opening_any_page(page):
    at = open_page(app(), page)
    assert not at.exception
    if page in COMMITTEE_ONLY:
        assert at.title[0].value == "Committee login"
        assert "is for the Mentorship Committee. Log in to open it." in texts(at)
        assert at.text_input(key="login_username") and not committee_data_shown(at)
    elif page == "pages/account.py":
        assert at.title[0].value == "Committee login"
    else:
        assert at.title[0].value == "ALI Skills Directory" and not committee_data_shown(at)


@pytest.mark.parametrize("page", PAGES)
def test_a_committee_member_opening_any_page(page):
    at = open_page(app("member"), page)
    assert not at.exception
    assert at.title[0].value == PAGES[page]
    if page in ADMIN_ONLY:
        assert ADMIN_ONLY[page] in texts(at) and not committee_data_shown(at)
        assert not at.get("tab") and not at.text_input and not at.dataframe


@pytest.mark.parametrize("page", PAGES)
def test_an_admin_opening_any_page(page):
    at = open_page(app("chair"), page)
    assert not at.exception and at.title[0].value == PAGES[page]
    if page == "pages/admin.py":
        assert any("Username" in d.value.columns for d in at.dataframe)


def test_the_bare_address_opens_the_right_start_page():
    assert app().title[0].value == "ALI Skills Directory"
    assert app("member").title[0].value == "Overview"


# --- logging in ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page, user, lands_on", [("pages/overview.py", "member", "Overview"),
                                                  ("pages/admin.py", "chair", "Users"),
                                                  ("pages/imports.py", "chair", "Import"),
                                                  ("pages/account.py", "member", "Overview")])
def test_a_committee_link_asks_to_log_in_then_lands_there(page, user, lands_on):
    at = open_page(app(), page)
    submit_login(at, user)
    assert not at.exception
    assert at.title[0].value == lands_on
    assert at.session_state[session.AUTH]["username"] == user


def test_a_member_logging_in_on_the_users_page_is_told_only_admins_may():
    at = submit_login(open_page(app(), "pages/admin.py"), "member")
    assert at.title[0].value == "Users" and "Only an admin can manage users" in texts(at)
    assert not committee_data_shown(at)


def test_failed_logins_lock_the_username_in_the_database_for_every_session(monkeypatch):
    monkeypatch.setenv("ALI_LOGIN_MAX_FAILURES", "3")
    at = open_page(app(), "pages/account.py")
    for _ in range(2):
        submit_login(at, "chair", "not-the-password")
        assert "Username or password is incorrect." in texts(at)
    submit_login(at, "chair", "not-the-password")
    assert "Too many failed logins for this username: try again in 15 minutes" in texts(at)
    fresh = submit_login(open_page(app(), "pages/account.py"), "chair", PASSWORD)  # a new browser session
    assert "Too many failed logins" in texts(fresh) and session.AUTH not in fresh.session_state
    recorded = with_db(lambda conn: conn.execute(
        "SELECT action, count(*) FROM audit_log WHERE entity_id = 'chair' AND action LIKE 'login%'"
        " GROUP BY action ORDER BY action").fetchall())
    assert recorded == [("login.failed", 3), ("login.refused_locked", 1)]
    # An admin's new password lifts the lock.
    with_db(lambda conn: auth.set_password(conn, "chair", "a-brand-new-password", actor="member"))
    assert submit_login(open_page(app(), "pages/account.py"), "chair", "a-brand-new-password").title[0].value == \
        "Overview"


def test_an_unknown_username_is_answered_and_locked_like_a_real_one(monkeypatch):
    monkeypatch.setenv("ALI_LOGIN_MAX_FAILURES", "2")
    answers = []
    for username in ("chair", "nobody-here"):
        at = open_page(app(), "pages/account.py")
        answers.append([texts(submit_login(at, username, "wrong-password-1")).split("\n")[-1],
                        texts(submit_login(at, username, "wrong-password-2")).split("\n")[-1]])
    assert answers[0] == answers[1]
    assert "Too many failed logins" in answers[0][1]


def test_an_empty_database_tells_how_to_create_the_first_admin():
    with_db(lambda conn: conn.execute("DELETE FROM users"))
    at = open_page(app(), "pages/account.py")
    assert not at.exception
    assert "No committee user exists yet" in texts(at) and "python -m lib init" in texts(at)
    assert not at.text_input  # no form to guess at
    assert with_db(lambda conn: conn.execute("SELECT count(*) FROM users").fetchall()) == [(0,)]


# --- sessions that end --------------------------------------------------------------------------------------


def replay(token: object):
    """A new browser session presenting a captured (or forged) token, opening the Users page."""
    at = open_page(app(), "pages/account.py")
    at.session_state[session.AUTH] = {"username": "chair", "token": token}
    at.switch_page("pages/admin.py")
    return at.run()


def test_a_captured_token_opens_nothing_after_logout():
    at = app("chair")
    captured = at.session_state[session.AUTH]["token"]
    assert replay(captured).title[0].value == "Users"  # valid while the session lasts
    at.sidebar.button(key="logout_button").click().run()
    assert "You are logged out." in texts(at) and at.title[0].value == "ALI Skills Directory"
    again = replay(captured)
    assert not again.exception and again.title[0].value == "Committee login" and not committee_data_shown(again)


def test_a_captured_token_opens_nothing_after_a_password_change():
    at = open_page(app("chair"), "pages/account.py")
    captured = at.session_state[session.AUTH]["token"]
    at.text_input(key="own_current").input(PASSWORD)
    at.text_input(key="own_new").input("a-brand-new-password")
    at.text_input(key="own_new_again").input("a-brand-new-password")
    next(b for b in at.button if b.label == "Change password").click().run()
    assert "Every other session and login cookie of yours has ended" in texts(at)
    assert at.run().title[0].value == "My account"  # this session goes on with a fresh token
    assert replay(captured).title[0].value == "Committee login"


def test_a_removed_users_token_opens_nothing():
    at = app("member")
    captured = at.session_state[session.AUTH]["token"]
    with_db(lambda conn: auth.remove_user(conn, "member", actor="chair"))
    assert at.run().title[0].value in ("ALI Skills Directory", "Committee login")
    assert not committee_data_shown(at)
    assert replay(captured).title[0].value == "Committee login"


def _forged() -> dict[str, object]:
    """Tokens a visitor could make up."""
    key = auth.cookie_key()
    now = int(time.time())
    claims = {"sub": "chair", "tv": 1, "iat": now, "exp": now + 3600}
    real_version = with_db(lambda conn: conn.execute("SELECT token_version FROM users WHERE username = 'chair'")
                           .fetchall()[0][0])
    return {
        "alg none": jwt.encode({**claims, "tv": real_version}, None, algorithm="none"),
        "another key": jwt.encode({**claims, "tv": real_version}, "x" * 40, algorithm="HS256"),
        "expired": jwt.encode({**claims, "tv": real_version, "exp": now - 10}, key, algorithm="HS256"),
        "guessed version": jwt.encode({**claims, "tv": real_version + 1}, key, algorithm="HS256"),
        "no version": jwt.encode({"sub": "chair", "exp": now + 3600}, key, algorithm="HS256"),
        "another user": jwt.encode({**claims, "sub": "nobody"}, key, algorithm="HS256"),
        "garbage": "not.a.token",
        "empty": "",
        "huge": "a" * 100_000,
        "not text": 12345,
    }


@pytest.mark.parametrize("kind", ["alg none", "another key", "expired", "guessed version", "no version",
                                  "another user", "garbage", "empty", "huge", "not text"])
def test_forged_and_malformed_tokens_are_visitors_never_a_crash(kind):
    at = replay(_forged()[kind])
    assert not at.exception
    assert at.title[0].value == "Committee login" and not committee_data_shown(at)


# --- text people typed is shown as typed --------------------------------------------------------------------


PAYLOAD = "**Bold** ![img](https://example.invalid/x.png) <b>b</b> :material/home: $x$ [link](https://e.invalid)"


def test_a_display_name_with_markdown_is_shown_literally():
    with_db(lambda conn: auth.add_user(conn, "marky", PAYLOAD, "a-long-password", role="committee"))
    at = app()
    sign_in(at, "marky")
    at.run()
    shown = [m.value for m in at.sidebar.markdown if "Logged in as" in m.value]
    assert shown == [f"Logged in as **{escape(PAYLOAD)}**  \n`marky` · committee"]
    at = open_page(at, "pages/account.py")
    assert any(escape(PAYLOAD) in m.value for m in at.markdown)


def test_a_search_with_markdown_is_echoed_literally():
    at = app()
    at.text_input(key="directory_search").input("**x** ![i](https://example.invalid/i.png)").run()
    assert any(escape("**x** ![i](https://example.invalid/i.png)") in m.value for m in at.markdown)
    assert not at.exception


def test_the_login_cookie_is_strict_and_secure_over_https():
    at = submit_login(open_page(app(), "pages/account.py"), "member")
    scripts = [element.proto.body for element in at.get("html")]
    token = at.session_state[session.AUTH]["token"]
    [script] = [body for body in scripts if "document.cookie" in body]
    assert token in script and "SameSite=Strict" in script and "max-age=604800" in script
    assert "location.protocol === 'https:' ? '; Secure' : ''" in script
    at.sidebar.button(key="logout_button").click().run()
    [script] = [element.proto.body for element in at.get("html") if "document.cookie" in element.proto.body]
    assert "max-age=0" in script and token not in script


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_database(page, tmp_path, monkeypatch):
    """A new installation: the admin exists, nothing is imported yet."""
    empty = tmp_path / "empty.duckdb"
    conn = db.connect(empty)
    try:
        auth.add_user(conn, "chair", "Casey Chair", PASSWORD, role="admin")
    finally:
        conn.close()
    monkeypatch.setenv("ALI_DB", str(empty))
    st.cache_resource.clear()
    at = open_page(app("chair"), page)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == PAGES[page]
