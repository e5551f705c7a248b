"""Helpers for AppTest page tests: the real router, logged in or not."""
from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib import db
from lib.admin import auth
from tests.conftest import PASSWORD
from ui import session

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def app(logged_in_as: str | None = None) -> AppTest:
    """Return an AppTest of the whole app, run once, optionally logged in as a demo user."""
    at = AppTest.from_file(APP, default_timeout=60)
    if logged_in_as:
        sign_in(at, logged_in_as)
    at.run()
    return at


def sign_in(at: AppTest, username: str) -> str:
    """Give an AppTest session the login a successful login form leaves behind; return its token."""
    conn = db.connect()
    try:
        token = auth.issue_token(conn, username, auth.cookie_key())
    finally:
        conn.close()
    at.session_state[session.AUTH] = {"username": username, "token": token}
    return token


def query(sql: str, params: list | None = None) -> list[tuple]:
    """Read the test's database the way the app sees it."""
    conn = db.connect()
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to a page file (e.g. 'pages/overview.py') and run it."""
    at.switch_page(page)
    return at.run()


def button(at: AppTest, label: str):
    """Return the first button (form submit buttons included) with this label."""
    for candidate in at.button:
        if candidate.label == label:
            return candidate
    raise AssertionError(f"no button {label!r}; buttons: {[b.label for b in at.button]}")


def submit_login(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    """Fill and submit the login form the current page shows."""
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    button(at, "Log in").click()
    return at.run()


def log_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    """Fill and submit the login form on the account page."""
    open_page(at, "pages/account.py")
    return submit_login(at, username, password)


def texts(at: AppTest) -> str:
    """Return all markdown, caption, title and metric text of the last run as a reader sees it (escapes undone)."""
    parts = [e.value for e in [*at.title, *at.header, *at.subheader, *at.markdown, *at.caption]]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [e.value for e in [*at.error, *at.info, *at.success, *at.warning]]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))


def problems_shown(at: AppTest):
    """The import preview's problems as the page lists them (a table when few, a data frame when many)."""
    for element in [*at.table, *at.dataframe]:
        frame = element.value
        if "Problem" in frame.columns or frame.index.name == "Kind":
            frame = frame.reset_index().rename(columns={"Kind": "severity", "Row": "row", "Column": "column",
                                                        "Problem": "message", "Value": "value"})
            frame["row"] = [int(r) if str(r).strip() else None for r in frame["row"]]
            return frame
    raise AssertionError("the page lists no problems")
