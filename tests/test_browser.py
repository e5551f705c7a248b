"""The real app in Debian's Chromium: what visitors, committee members and admins see and may open.

One `streamlit run serve.py` (app.py, warmed as the server starts) serves the whole module (on a copy of the demo database); every test gets a fresh
browser context, so no cookie leaks from one test to the next. Screenshots go to ALI_TEST_ARTIFACTS.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser_support import CHROMIUM, CHROMIUM_MISSING, EXCEPTION, ROOT, TIMEOUT_MS

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(CHROMIUM_MISSING, allow_module_level=True)
pytest.importorskip("playwright.sync_api",
                    reason="the playwright package is not installed: pip install -e '.[test]' (never `playwright install`)")

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests import browser_support as support  # noqa: E402
from lib import db  # noqa: E402
from lib.admin import auth
from tests.conftest import PASSWORD  # noqa: E402

CYCLE = "2025-26"
COUNT_LINE = re.compile(r"(\d[\d,]*)\s+members?\s+in the (\d{4}-\d{2}) directory")
USERS_TABLE = '[data-testid="stDataFrame"]:has(th:text-is("Username"))'


def artifacts_dir() -> Path:
    """The folder CI keeps: ALI_TEST_ARTIFACTS, else tests/artifacts."""
    folder = Path(os.environ.get("ALI_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(page, name: str) -> Path:
    """Save a screenshot as browser-<name>.png and check the page shows no Streamlit exception."""
    path = artifacts_dir() / f"browser-{name}.png"
    # Lazily loaded elements (the dataframe, the charts) show a grey placeholder for a moment.
    expect(page.locator('[data-testid="stSkeleton"]:visible')).to_have_count(0, timeout=TIMEOUT_MS)
    page.screenshot(path=str(path))
    assert_no_exception(page)
    return path


def assert_no_exception(page) -> None:
    """No Streamlit exception box on the page."""
    expect(page.locator(EXCEPTION)).to_have_count(0)


# --- fixtures ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, shared by the module."""
    with sync_playwright() as playwright:
        instance = support.launch_chromium(playwright)
        yield instance
        instance.close()


def _serve(db_source: Path, folder: Path) -> support.AppServer:
    """Start the app on a private copy of a database (the env is built here: conftest's is per test)."""
    db_copy = folder / "app.duckdb"
    shutil.copy(db_source, db_copy)
    return support.start_app(support.app_env(db_copy, folder / "demo"), log_dir=folder)


# A display name that would render bold, load an image, link and show an icon if it reached Markdown unescaped.
MARKDOWN_NAME = "**Bold** ![img](https://example.invalid/x.png) <b>b</b> :material/home: [link](https://e.invalid)"


@pytest.fixture(scope="module")
def browser_db(demo_db_file, tmp_path_factory) -> Path:
    """The demo database plus the users these tests change: one with a Markdown name, one who changes a password."""
    path = tmp_path_factory.mktemp("browser-db") / "demo-plus.duckdb"
    shutil.copy(demo_db_file, path)
    conn = db.connect(path)
    try:
        auth.add_user(conn, "marky", MARKDOWN_NAME, PASSWORD, role="committee")
        auth.add_user(conn, "changer", "Chris Changer", PASSWORD, role="admin")
    finally:
        conn.close()
    return path


@pytest.fixture(scope="module")
def app(browser_db, tmp_path_factory, browser):
    """The real app on a copy of the demo database, warmed up (see support.warm_up)."""
    server = _serve(browser_db, tmp_path_factory.mktemp("browser-app"))
    try:
        support.warm_up(browser, server.base_url)
        yield server
    finally:
        server.stop()


def login(page, app, username: str) -> None:
    """Log in with the test password: the app lands on the Overview."""
    support.login(page, app.base_url, username, PASSWORD)


@contextmanager
def watched(request, app, tab):
    """Yield the tab; keep a screenshot and the server output if the test fails; then check for errors."""
    log_start = len(app.output())
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    failed_before = request.session.testsfailed
    try:
        yield tab
    finally:
        if request.session.testsfailed > failed_before:  # keep what the browser showed when the test failed
            tab.screenshot(path=str(artifacts_dir() / f"browser-{_short(request)}-failed.png"))
            print(f"--- page {tab.url}; app output during the test ---\n{app.output()[log_start:]}")
        tab.close()
    logged = app.output()[log_start:]
    assert "Traceback" not in logged, f"the server logged an error during the test:\n{logged}"
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def page(request, browser, app):
    """A page in a fresh browser context (no cookies); checks the server logged no traceback meanwhile."""
    context = support.new_context(browser)
    try:
        with watched(request, app, context.new_page()) as tab:
            yield tab
    finally:
        context.close()


def _short(request) -> str:
    """The test's name without its test_ prefix, for screenshot names."""
    return request.node.name.removeprefix("test_")


def directory_count(page, cycle: str = CYCLE, matching: str | None = None) -> int:
    """Wait for the directory's count line (for this search, if any) and return its number."""
    pattern = rf"members? in the {re.escape(cycle)} directory" + (rf" matching {re.escape(matching)}" if matching
                                                                 else r"(\s*$| · )")
    line = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(pattern))
    expect(line).to_be_visible(timeout=TIMEOUT_MS)
    found = COUNT_LINE.search(line.inner_text())
    assert found, line.inner_text()
    return int(found.group(1).replace(",", ""))


def nav_titles(page) -> list[str]:
    """The titles of the sidebar navigation links."""
    links = page.locator('.st-key-navigation a [data-testid="stMarkdownContainer"]')
    return [text.strip() for text in links.all_inner_texts()]


def metric_value(page, label: str):
    """The value element of the st.metric with this label."""
    label_element = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stMetric").filter(has=label_element).get_by_test_id("stMetricValue")


def expect_login_prompt(page, what: str) -> None:
    """A committee page opened by a visitor: the login form at that address, and none of the page's data."""
    expect(page.get_by_role("heading", name="Committee login")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text(f"{what} is for the Mentorship Committee. Log in to open it.")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    expect(page.locator(USERS_TABLE)).to_have_count(0)
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)


COMMITTEE_LINKS = {"/overview": "The Overview", "/import": "Importing", "/admin": "Managing users",
                   "/coverage": "Coverage", "/skills": "Managing the taxonomy"}


# --- visitors -----------------------------------------------------------------------------------------------


def test_visitor_directory_and_search(page, app):
    page.goto(app.base_url + "/")
    expect(page.get_by_role("heading", name="ALI Skills Directory")).to_be_visible(timeout=TIMEOUT_MS)
    total = directory_count(page)
    assert total > 0
    expect(page.locator(".st-key-result_0")).to_be_visible(timeout=TIMEOUT_MS)
    expect(support.sidebar_link(page, "Committee login")).to_be_visible()
    assert nav_titles(page) == ["Skills Directory", "Committee login"]
    expect(support.sidebar_link(page, "Overview")).to_have_count(0)

    search = page.get_by_role("textbox", name="Search")
    search.fill("info lit")
    search.press("Enter")
    found = directory_count(page, matching="info lit")
    assert 0 < found < total, f"searching 'info lit' (a skill alias) left {found} of {total} members"
    shot(page, "visitor_directory")


def test_visitor_opening_committee_links_is_asked_to_log_in(page, app):
    for path, what in COMMITTEE_LINKS.items():
        page.goto(app.base_url + path)
        expect_login_prompt(page, what)
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        assert nav_titles(page) == ["Skills Directory", "Committee login"]
        shot(page, f"visitor_login_prompt_{path.strip('/')}")
    page.goto(app.base_url + "/directory")
    assert directory_count(page) > 0


def test_a_committee_link_logs_in_and_lands_there(page, app):
    page.goto(app.base_url + "/import")
    expect_login_prompt(page, "Importing")
    page.get_by_role("textbox", name="Username").fill("member")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    support.click(page, page.get_by_role("button", name="Log in"), page.get_by_role("heading", name="Import", exact=True))
    expect(page).to_have_url(re.compile(r"/import$"))
    expect(page.get_by_text("Import history")).to_be_visible(timeout=TIMEOUT_MS)
    support.wait_for_cookie(page.context, present=True)
    shot(page, "login_lands_on_import")


# --- committee members and admins --------------------------------------------------------------------------


def test_admin_login_and_every_page(page, app):
    login(page, app, "chair")
    expect(page.get_by_role("heading", name=f"Skills Directory {CYCLE}")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Peer Mentorship Circles {CYCLE}")).to_be_visible()
    expect(metric_value(page, "Would participate again")).to_have_text("13 of 14")
    expect(page.get_by_text("Logged in as Casey Chair")).to_be_visible()
    assert nav_titles(page) == ["Overview", "Skills Directory", "Coverage", "Circles", "Meetings and attendance",
                                "Outcomes", "Annual report", "Messages", "Import", "Skills and institutions", "Users",
                                "Audit log", "Backups", "Privacy requests", "My account"]

    visits = [
        ("Skills Directory", "ALI Skills Directory", r"/directory$"),
        ("Coverage", "Coverage", r"/coverage$"),
        ("Circles", "Peer Mentorship Circles", r"/circles$"),
        ("Meetings and attendance", "Meetings and attendance", r"/attendance$"),
        ("Outcomes", "Outcomes", r"/outcomes$"),
        ("Annual report", "Annual report", r"/report$"),
        ("Messages", "Messages", r"/messages$"),
        ("Import", "Import", r"/import$"),
        ("Skills and institutions", "Skills and institutions", r"/skills$"),
        ("Users", "Users", r"/admin$"),
        ("Audit log", "Audit log", r"/audit$"),
        ("Backups", "Backups", r"/backups$"),
        ("Privacy requests", "Privacy requests", r"/privacy$"),
        ("My account", "My account", r"/account$"),
        ("Overview", "Overview", r"/(overview)?$"),
    ]
    for link, heading, url in visits:
        support.click(page, support.sidebar_link(page, link), page.get_by_role("heading", name=heading, exact=True))
        expect(page).to_have_url(re.compile(url), timeout=TIMEOUT_MS)
        if link == "Skills Directory":
            directory_count(page)
        elif link == "Users":
            expect(page.locator(USERS_TABLE)).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "Audit log":
            expect(page.get_by_text(re.compile(r"matching entr"))).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "Backups":
            expect(page.get_by_role("button", name="Make a backup now")).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "Privacy requests":
            expect(page.get_by_role("heading", name="Retention")).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "Import":
            expect(page.get_by_text("Import history")).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "My account":
            expect(page.get_by_text("Change my password")).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "Coverage":
            support.wait_for_charts(page, at_least=4)
        elif link == "Circles":
            expect(page.get_by_text("Override eligibility")).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "Meetings and attendance":
            expect(page.locator(".st-key-attendance_grid")).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "Outcomes":
            expect(metric_value(page, "Would participate again")).to_have_text("13 of 14", timeout=TIMEOUT_MS)
            support.wait_for_charts(page, at_least=3)
        elif link == "Annual report":
            expect(page.locator(".st-key-download_report_pdf button")).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "Messages":
            expect(page.locator(".st-key-messages_eml button")).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "Skills and institutions":
            expect(page.get_by_role("tab").first).to_be_visible(timeout=TIMEOUT_MS)
        else:
            expect(metric_value(page, "Would participate again")).to_have_text("13 of 14", timeout=TIMEOUT_MS)
            support.wait_for_charts(page)
        shot(page, f"admin_{link.lower().replace(' ', '_')}")


def test_program_year_selector(page, app):
    login(page, app, "chair")
    expect(metric_value(page, "Would participate again")).to_have_text("13 of 14")
    page.get_by_role("combobox", name="Program year").click()
    page.get_by_role("option", name="2023-24", exact=True).click()
    expect(page.get_by_role("heading", name="Skills Directory 2023-24")).to_be_visible(timeout=TIMEOUT_MS)
    expect(metric_value(page, "Would participate again")).to_have_text("5 of 5", timeout=TIMEOUT_MS)
    shot(page, "program_year_2023-24")


def test_login_survives_reload(page, app):
    login(page, app, "chair")
    page.goto(app.base_url + "/admin")
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    table = page.locator(USERS_TABLE)
    expect(table).to_be_visible(timeout=TIMEOUT_MS)
    expect(table.locator('td:text-is("chair")')).to_have_count(1)
    expect(table.locator('td:text-is("member")')).to_have_count(1)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    shot(page, "admin_after_reload")


def test_committee_member_has_no_admin_page(page, app):
    login(page, app, "member")
    expect(page.get_by_text("Logged in as Morgan Member")).to_be_visible()
    assert nav_titles(page) == ["Overview", "Skills Directory", "Coverage", "Circles", "Meetings and attendance",
                                "Outcomes", "Annual report", "Messages", "Import", "Skills and institutions",
                                "My account"]
    expect(support.sidebar_link(page, "Users")).to_have_count(0)
    page.goto(app.base_url + "/admin")  # still logged in after the reload, through the cookie
    expect(page.get_by_text("Only an admin can manage users.")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator(USERS_TABLE)).to_have_count(0)
    expect(page.get_by_role("tab")).to_have_count(0)
    page.goto(app.base_url + "/directory")
    assert directory_count(page) > 0
    shot(page, "member_admin_refused")


def test_wrong_password(page, app):
    support.submit_login(page, app.base_url, "chair", "not-the-password")
    expect(page.get_by_text("Username or password is incorrect.")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Committee login")).to_be_visible()
    expect(support.sidebar_link(page, "Overview")).to_have_count(0)
    assert not support.has_login_cookie(page.context)
    shot(page, "wrong_password")


def test_logout_deletes_the_cookie(page, app):
    login(page, app, "chair")
    support.logout(page)
    expect(page.get_by_role("heading", name="ALI Skills Directory")).to_be_visible(timeout=TIMEOUT_MS)
    shot(page, "after_logout")
    page.goto(app.base_url + "/overview")
    expect_login_prompt(page, "The Overview")
    expect(page.get_by_text("Logged in as")).to_have_count(0)
    shot(page, "after_logout_reload")


def login_cookie(context) -> dict:
    """The login cookie the browser holds."""
    return next(c for c in context.cookies() if c["name"] == support.cookie_name())


def replay(browser, app, cookie: dict, path: str = "/admin"):
    """A fresh browser presenting a captured cookie; returns its page after opening path."""
    context = support.new_context(browser)
    context.add_cookies([{key: cookie[key] for key in ("name", "value", "domain", "path")}])
    tab = context.new_page()
    tab.goto(app.base_url + path)
    return tab


def test_a_captured_cookie_opens_nothing_after_logout(page, app, browser):
    login(page, app, "chair")
    captured = login_cookie(page.context)
    thief = replay(browser, app, captured)
    try:
        expect(thief.locator(USERS_TABLE)).to_be_visible(timeout=TIMEOUT_MS)  # valid until the owner logs out
        support.logout(page)
        thief.goto(app.base_url + "/admin")
        expect_login_prompt(thief, "Managing users")
        shot(thief, "cookie_replayed_after_logout")
    finally:
        thief.context.close()


def test_a_captured_cookie_opens_nothing_after_a_password_change(page, app, browser):
    login(page, app, "changer")
    captured = login_cookie(page.context)
    support.click(page, support.sidebar_link(page, "My account"), page.get_by_role("heading", name="My account"))
    page.get_by_role("textbox", name="Current password").fill(PASSWORD)
    page.get_by_role("textbox", name="New password", exact=True).fill("a-brand-new-password")
    page.get_by_role("textbox", name="Repeat the new password").fill("a-brand-new-password")
    support.click(page, page.get_by_role("button", name="Change password"),
                  page.get_by_text(re.compile("Every other session and login cookie of yours has ended")))
    thief = replay(browser, app, captured)
    try:
        expect_login_prompt(thief, "Managing users")
    finally:
        thief.context.close()
    page.reload()  # the session that changed the password goes on, with a new cookie
    expect(page.get_by_role("heading", name="My account")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("Logged in as Chris Changer")).to_be_visible()


def test_a_logout_elsewhere_ends_a_directory_session_at_its_next_search(page, app, browser):
    # A search reruns only the directory's results (a fragment, app.py not run): the login is checked there too.
    login(page, app, "chair")
    other = replay(browser, app, login_cookie(page.context), "/directory")
    try:
        expect(other.get_by_text(re.compile(r"not published \d"))).to_be_visible(timeout=TIMEOUT_MS)
        support.wait_until_quiet(other)
        support.logout(page)
        search = other.get_by_role("textbox", name="Search")
        search.fill("cataloging")
        search.press("Enter")
        directory_count(other, matching="cataloging")
        expect(other.get_by_text(re.compile(r"not published \d"))).to_have_count(0, timeout=TIMEOUT_MS)
        expect(other.get_by_text("Logged in as")).to_have_count(0, timeout=TIMEOUT_MS)
    finally:
        other.context.close()


@pytest.mark.parametrize("forgery", ["alg-none", "garbage"])
def test_a_forged_cookie_is_a_visitor(app, browser, forgery):
    import jwt

    claims = {"sub": "chair", "tv": 1, "exp": 4_102_444_800}
    value = jwt.encode(claims, None, algorithm="none") if forgery == "alg-none" else "eyJ.garbage.!!"
    tab = replay(browser, app, {"name": support.cookie_name(), "value": value, "domain": "127.0.0.1", "path": "/"})
    try:
        expect_login_prompt(tab, "Managing users")
        assert_no_exception(tab)
    finally:
        tab.context.close()


def test_failed_logins_are_limited_even_for_unknown_usernames(page, app):
    for attempt in range(5):
        support.submit_login(page, app.base_url, "ghost-user", f"wrong-password-{attempt}")
    expect(page.get_by_text(re.compile(r"Too many failed logins for this username: try again in 15 minutes")))\
        .to_be_visible(timeout=TIMEOUT_MS)
    assert not support.has_login_cookie(page.context)
    shot(page, "login_limit")


def test_a_markdown_display_name_is_shown_as_typed(page, app):
    login(page, app, "marky")
    sidebar = page.get_by_test_id("stSidebar")
    line = sidebar.get_by_test_id("stMarkdownContainer").filter(has_text="Logged in as")
    expect(line).to_be_visible(timeout=TIMEOUT_MS)
    # Exactly as typed (an invisible zero-width space keeps addresses and icon names from being recognised).
    assert line.inner_text().replace("\u200b", "").split("\n")[0] == "Logged in as " + MARKDOWN_NAME
    expect(line.locator("strong strong, em, img, a, [data-testid='stIconMaterial']")).to_have_count(0)
    expect(page.locator('img[src*="example.invalid"]')).to_have_count(0)
    expect(page.locator('a[href*="invalid"]')).to_have_count(0)
    shot(page, "markdown_name")


# --- a freshly started server -----------------------------------------------------------------------------


def test_cold_server_deep_links_from_several_sessions_at_once(browser, browser_db, tmp_path):
    # A folder named pages/ makes a freshly started server run a deep link as that page file alone until the
    # process first meets st.navigation; ui.session.page() sends such runs through app.py. Nobody opens "/"
    # first here: several sessions, logged out and logged in by cookie, open committee addresses at once.
    copy = tmp_path / "cold.duckdb"
    shutil.copy(browser_db, copy)
    conn = db.connect(copy)
    try:
        tokens = {user: auth.issue_token(conn, user, support.COOKIE_KEY) for user in ("chair", "member")}
    finally:
        conn.close()
    server = support.start_app(support.app_env(copy, tmp_path / "demo"), log_dir=tmp_path)
    visits = [(None, "/admin"), (None, "/overview"), ("member", "/admin"), ("chair", "/admin"), (None, "/directory"),
              ("member", "/import")]
    tabs = []
    try:
        for user, path in visits:
            context = support.new_context(browser)
            if user:
                context.add_cookies([{"name": support.cookie_name(), "value": tokens[user], "domain": "127.0.0.1",
                                      "path": "/"}])
            tab = context.new_page()
            tab.goto(server.base_url + path, wait_until="commit")  # all requests go out before any is answered
            tabs.append((user, path, tab))
        for user, path, tab in tabs:
            if user is None and path == "/directory":
                assert directory_count(tab) > 0
            elif user is None:
                expect_login_prompt(tab, COMMITTEE_LINKS[path])
            elif user == "member" and path == "/admin":
                expect(tab.get_by_text("Only an admin can manage users.")).to_be_visible(timeout=TIMEOUT_MS)
                expect(tab.locator(USERS_TABLE)).to_have_count(0)
            elif path == "/admin":
                expect(tab.locator(USERS_TABLE)).to_be_visible(timeout=TIMEOUT_MS)
            else:
                expect(tab.get_by_text("Import history")).to_be_visible(timeout=TIMEOUT_MS)
            # Never the list of page files Streamlit would show for a pages/ folder.
            expect(tab.get_by_test_id("stSidebarNav")).to_have_count(0)
            assert_no_exception(tab)
            tab.screenshot(path=str(artifacts_dir() / f"browser-cold_{user or 'visitor'}_{path.strip('/')}.png"))
        assert "Traceback" not in server.output()
    finally:
        for _, _, tab in tabs:
            tab.context.close()
        server.stop()


# Every address of the app, as a visitor would type or follow it.
EVERY_ADDRESS = ["/", "/directory", "/account", "/overview", "/coverage", "/circles", "/attendance", "/outcomes",
                 "/report", "/messages", "/import", "/skills", "/admin", "/audit", "/backups", "/privacy"]


def test_a_cold_server_shows_no_error_to_visitors_opening_every_address_at_once(browser, browser_db, tmp_path):
    # Right after the health check answers, one visitor per address: every run imports its page's modules at the
    # same moment, in threads of its own. No run may meet a half-imported module (ImportError, KeyError).
    copy = tmp_path / "cold-all.duckdb"
    shutil.copy(browser_db, copy)
    server = support.start_app(support.app_env(copy, tmp_path / "demo"), log_dir=tmp_path)
    tabs = []
    try:
        for path in EVERY_ADDRESS:
            tab = support.new_context(browser).new_page()
            tab.goto(server.base_url + path, wait_until="commit")  # all requests go out before any is answered
            tabs.append((path, tab))
        for path, tab in tabs:
            if path in ("/", "/directory"):
                assert directory_count(tab) > 0, path
            else:
                expect(tab.get_by_role("heading", name="Committee login")).to_be_visible(timeout=TIMEOUT_MS)
            assert_no_exception(tab)
            shown = tab.locator("body").inner_text()
            for error in ("Error", "Traceback", "partially initialized", "KeyError"):
                assert error not in shown, (path, error)
        output = server.output()
        assert "Traceback" not in output and "ImportError" not in output and "KeyError" not in output
    finally:
        for _, tab in tabs:
            tab.context.close()
        server.stop()


def test_the_server_never_logs_a_password(browser, tmp_path):
    # An empty database: the web process does not create the first admin (its password would land here).
    server = support.start_app(support.app_env(tmp_path / "empty.duckdb", tmp_path / "demo"), log_dir=tmp_path)
    context = support.new_context(browser)
    try:
        tab = context.new_page()
        tab.goto(server.base_url + "/account")
        expect(tab.get_by_text("No committee user exists yet")).to_be_visible(timeout=TIMEOUT_MS)
        expect(tab.get_by_text("Nobody has agreed to be published").or_(tab.get_by_role("button", name="Log in")))\
            .to_have_count(0)
        assert "password" not in server.output().lower()
        shot(tab, "empty_database_login")
    finally:
        context.close()
        server.stop()
    conn = db.connect(tmp_path / "empty.duckdb")
    try:
        assert conn.execute("SELECT count(*) FROM users").fetchall() == [(0,)]
    finally:
        conn.close()


# --- importing ----------------------------------------------------------------------------------------------

IMPORT_CSV = (
    "Timestamp,Email Address,Your name,Institution / Library,Job title,Areas of expertise,"
    "Colleagues may contact me for,I consent to my information being shared in the ALI Skills Directory\n"
    '10/2/2025 10:00:00,browser.one@example.edu,José Álvarez,IUPUI,Librarian,"Cataloging, Podcasting",'
    '"Support, Feedback",Yes\n'
    "10/3/2025 14:30:00,browser.two@example.edu,Zoë O'Neil,Acme College,Archivist,Archives,Discussion,Yes\n"
)
# The same two answers as the form's own "Download responses (.csv)" writes them.
IMPORT_FORM_CSV = (
    "Timestamp,Email Address,Your name,Institution / Library,Job title,Areas of expertise,"
    "Colleagues may contact me for,I consent to my information being shared in the ALI Skills Directory\n"
    "2025/10/02 10:00:00 AM EDT,browser.one@example.edu,José Álvarez,IUPUI,Librarian,Cataloging;Podcasting,"
    "Support;Feedback,Yes\n"
    "2025/10/03 2:30:00 PM EDT,browser.two@example.edu,Zoë O'Neil,Acme College,Archivist,Archives,Discussion,Yes\n"
)


def upload(page, path: Path) -> None:
    """Choose a file in the Import page's uploader and wait for its preview."""
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    expect(page.get_by_text(f"{path.name}: 2 rows")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Columns")).to_be_visible()


@pytest.mark.parametrize("first, second", [("form", "sheet"), ("sheet", "form")])
def test_import_both_shapes_preview_commit_and_undo(page, app, tmp_path, first, second):
    exports = {"form": tmp_path / "Skills survey (Responses).csv", "sheet": tmp_path / "october-responses.csv"}
    exports["form"].write_text(IMPORT_FORM_CSV, encoding="utf-8")
    exports["sheet"].write_text(IMPORT_CSV, encoding="utf-8")
    login(page, app, "member")
    support.click(page, support.sidebar_link(page, "Import"), page.get_by_role("heading", name="Import", exact=True))
    upload(page, exports[first])
    expect(metric_value(page, "New people")).to_have_text("2", timeout=TIMEOUT_MS)
    expect(metric_value(page, "Errors")).to_have_text("0")
    expect(page.get_by_text("warning(s): the file can be imported as it is")).to_be_visible()
    shot(page, f"import_preview_{first}")
    commit = page.get_by_role("button", name=re.compile(r"^Import 2 new or updated"))
    support.click(page, commit, page.get_by_text(re.compile(rf"Imported {re.escape(exports[first].name)} as batch #\d+")))
    shot(page, f"import_done_{first}")
    # Ready for the next file: the uploader is empty, and the file just imported is not previewed again.
    expect(page.get_by_text(re.compile(r"To take it back, choose #\d+ under"))).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    expect(page.get_by_role("heading", name="Columns")).to_have_count(0)
    expect(page.get_by_text("Everything in this file is already imported")).to_have_count(0)

    # The other shape of the same responses holds nothing new: both shapes import identically.
    upload(page, exports[second])
    expect(metric_value(page, "Unchanged")).to_have_text("2", timeout=TIMEOUT_MS)
    expect(metric_value(page, "New")).to_have_text("0")
    expect(page.get_by_text("Everything in this file is already imported")).to_be_visible()
    shot(page, f"import_other_shape_{second}")

    newest = page.get_by_role("combobox", name="Import to undo")
    expect(newest).to_have_value(re.compile(rf"^#\d+ · {re.escape(exports[first].name)} · "))
    support.wait_until_quiet(page)
    page.get_by_text(re.compile(r"Yes, remove everything import #\d+ added")).click()
    undo = page.get_by_role("button", name="Undo import")
    expect(undo).to_be_enabled(timeout=TIMEOUT_MS)
    support.click(page, undo, page.get_by_text(re.compile(r"Undid import #\d+: .*2 people")))
    shot(page, f"import_undone_{first}")


def test_an_eleven_column_mapping_and_its_warnings_are_whole_at_1400_px(page, app, tmp_path):
    from tests.test_import_page import ELEVEN, ELEVEN_ROWS, _export

    path = tmp_path / "eleven columns.csv"
    path.write_bytes(_export(ELEVEN, ELEVEN_ROWS))
    login(page, app, "member")
    support.click(page, support.sidebar_link(page, "Import"), page.get_by_role("heading", name="Import", exact=True))
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    expect(page.get_by_role("heading", name="Preview")).to_be_visible(timeout=TIMEOUT_MS)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    support.wait_until_quiet(page)
    # Every row and every column of the mapping fits: the grid has nothing to scroll to, either way.
    height, shown_height, width, shown_width = grid.locator(".dvn-scroller").evaluate(
        "e => [e.scrollHeight, e.clientHeight, e.scrollWidth, e.clientWidth]")
    assert height <= shown_height + 1 and width <= shown_width + 1, (height, shown_height, width, shown_width)
    box = grid.bounding_box()
    assert box["x"] + box["width"] <= support.VIEWPORT["width"]
    shot(page, "import_eleven_columns_mapping")
    page.get_by_text("warning(s): the file can be imported as it is").click()
    problem = page.get_by_text("contains markup (HTML tags): held for review before it is published", exact=True)
    expect(problem).to_be_visible(timeout=TIMEOUT_MS)
    problem.scroll_into_view_if_needed()
    cell = problem.bounding_box()
    assert cell["x"] + cell["width"] <= support.VIEWPORT["width"]
    shot(page, "import_eleven_columns_warnings")


# --- the directory, coverage and taxonomy pages, and accessibility ----------------------------------------------


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    support.wait_until_quiet(page, quiet_ms=750)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                             "wcag21aa"]}})
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_directory_search_profile_and_published_downloads(page, app, tmp_path):
    page.goto(app.base_url + "/directory")
    total = directory_count(page)
    search = page.get_by_role("textbox", name="Search")
    search.fill("Zoë")
    search.press("Enter")
    found = directory_count(page, matching="Zoë")
    assert 0 < found < total
    first = page.locator(".st-key-result_0")
    expect(first).to_contain_text("Zoë")
    support.click(page, first.get_by_role("button", name="Profile"), page.get_by_role("dialog"))
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("link", name=re.compile(r"^Write to Zoë"))).to_have_attribute("href", re.compile("^mailto:"))
    expect(dialog.get_by_text("Areas of expertise")).to_be_visible()
    shot(page, "directory_profile")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    for fmt, check in (("csv", lambda data: data.startswith(b"\xef\xbb\xbf")),
                       ("html", lambda data: b"<html" in data.lower() and b"mailto:" in data),
                       ("pdf", lambda data: data.startswith(b"%PDF"))):
        support.wait_until_quiet(page)  # a deferred download belongs to the finished run
        with page.expect_download() as download:
            page.locator(f".st-key-publish_{fmt} button").click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.name.startswith("ali-skills-directory-2025-26") and check(path.read_bytes()), fmt


# Every page, for the role that uses it, in the state people use it in: axe-core finds no serious or critical
# WCAG 2.1 A/AA violation. One row per page; a new page adds a row (and a function putting it in its used state).

USERS = {"committee": "member", "admin": "chair"}  # the visitor logs in as nobody


def heading(page, title: str):
    """The page's title."""
    return page.get_by_role("heading", name=title, exact=True)


def directory_searched(page, exports: Path) -> None:
    """A search with results, then a member's profile open (the dialog is checked too)."""
    directory_count(page)
    page.get_by_role("textbox", name="Search").fill("cataloging")
    page.keyboard.press("Enter")
    directory_count(page, matching="cataloging")
    assert serious_violations(page) == []
    support.click(page, page.locator(".st-key-result_0").get_by_role("button", name="Profile"),
                  page.get_by_role("dialog"))
    expect(page.get_by_role("dialog").get_by_text("Areas of expertise")).to_be_visible()


def login_refused(page, exports: Path) -> None:
    """The login form after a wrong password: the error shows beside the fields."""
    page.get_by_role("textbox", name="Username").fill("axe-visitor")
    page.get_by_role("textbox", name="Password").fill("not-the-password")
    support.click(page, page.get_by_role("button", name="Log in"), page.get_by_text("Username or password is incorrect."))


def overview_drawn(page, exports: Path) -> None:
    """Every headline card with its trend line, each line described in words, and the two charts."""
    support.wait_for_charts(page, at_least=11)
    described = page.locator('.vega-embed[role="graphics-document"][aria-label*=". By year: "]')
    expect(described).to_have_count(9)
    expect(described.first).to_have_attribute("aria-label", re.compile(r"^Members in the directory: \d+ in 2025-26, "
                                                                       r"(up|down) from \d+ in 2024-25\. By year: "))


def charts_drawn(at_least: int) -> Callable:
    """The page once its charts have drawn."""
    def ready(page, exports: Path) -> None:
        """Wait for the charts."""
        support.wait_for_charts(page, at_least=at_least)
    return ready


def coverage_drawn(page, exports: Path) -> None:
    """The map and the charts, each with its "Show data" table."""
    support.wait_for_charts(page, at_least=4)
    expect(page.get_by_text("Show data").first).to_be_visible()


def showing(text: str) -> Callable:
    """The page once this text shows."""
    def ready(page, exports: Path) -> None:
        """Wait for the text."""
        expect(page.get_by_text(text).first).to_be_visible(timeout=TIMEOUT_MS)
    return ready


def showing_element(selector: str) -> Callable:
    """The page once this element shows."""
    def ready(page, exports: Path) -> None:
        """Wait for the element."""
        expect(page.locator(selector).first).to_be_visible(timeout=TIMEOUT_MS)
    return ready


def import_previewed(page, exports: Path) -> None:
    """A demo export chosen in the uploader: its columns, preview and counts show."""
    export = exports / "skills_survey_2025-26.csv"
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(export))
    expect(page.get_by_text(f"{export.name}: ")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Columns")).to_be_visible()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(metric_value(page, "Unchanged")).to_be_visible(timeout=TIMEOUT_MS)


def draft_shown(page, exports: Path) -> None:
    """The Drafts view: the year's circles as cards, with the hand edits under them."""
    support.click(page, page.locator(".st-key-circles_view").get_by_text("Drafts", exact=True),
                  page.get_by_role("heading", name="Circle A"))
    expect(page.get_by_text("Change by hand")).to_be_visible(timeout=TIMEOUT_MS)


def person_found(page, exports: Path) -> None:
    """A privacy request looked up: everything held about one demo member."""
    with open(exports / "skills_survey_2025-26.csv", newline="", encoding="utf-8-sig") as handle:
        email = next(csv.DictReader(handle))["Email address"]
    page.get_by_role("textbox", name="Email address of the person who asked").fill(email)
    support.click(page, page.get_by_role("button", name="Find"),
                  page.get_by_role("checkbox", name=re.compile(f"Yes, delete everything about {re.escape(email)}")))


def message_previewed(page, exports: Path) -> None:
    """A decision message previewed for its first recipient, as it would go out."""
    expect(page.locator("pre").filter(has_text="Subject: ").first).to_be_visible(timeout=TIMEOUT_MS)


@dataclass(frozen=True)
class Visit:
    """A page of the accessibility tour, the role that uses it, and how to put it in its used state."""

    path: str
    title: str
    role: str  # visitor, committee or admin
    prepare: Callable[..., None]  # prepare(page, the demo exports folder): the page in its used state


TOUR = [
    Visit("/directory", "ALI Skills Directory", "visitor", directory_searched),
    Visit("/account", "Committee login", "visitor", login_refused),
    Visit("/overview", "Overview", "committee", overview_drawn),
    Visit("/coverage", "Coverage", "committee", coverage_drawn),
    Visit("/circles", "Peer Mentorship Circles", "committee", draft_shown),
    Visit("/attendance", "Meetings and attendance", "committee", showing_element(".st-key-attendance_grid")),
    Visit("/outcomes", "Outcomes", "committee", charts_drawn(3)),
    Visit("/report", "Annual report", "committee", showing_element(".st-key-download_report_pdf button")),
    Visit("/import", "Import", "committee", import_previewed),
    Visit("/messages", "Messages", "committee", message_previewed),
    Visit("/skills", "Skills and institutions", "committee", showing_element('[role="tab"]')),
    Visit("/account", "My account", "committee", showing("Change my password")),
    Visit("/admin", "Users", "admin", showing_element(USERS_TABLE)),
    Visit("/audit", "Audit log", "admin", showing_element('[data-testid="stDataFrame"]')),
    Visit("/backups", "Backups", "admin", showing_element('button:has-text("Make a backup now")')),
    Visit("/privacy", "Privacy requests", "admin", person_found),
]


def test_the_tour_covers_every_page():
    import ast

    # Every _page(path, title, icon, url_path, ...) the router registers.
    router = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    registered = {call.args[3].value for call in ast.walk(router)
                  if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "_page"}
    assert len(registered) >= 14 and registered == {visit.path.strip("/") for visit in TOUR}


@pytest.fixture(scope="module")
def logged_in(browser, app):
    """One browser context per role, logged in once (by the form) and shared by the tour's visits."""
    contexts: dict[str, object] = {}

    def context_of(role: str):
        """The role's context, logging in on first use."""
        if role not in contexts:
            contexts[role] = support.new_context(browser)
            if role in USERS:
                tab = contexts[role].new_page()
                login(tab, app, USERS[role])
                tab.close()
        return contexts[role]

    yield context_of
    for context in contexts.values():
        context.close()


@pytest.mark.parametrize("visit", TOUR, ids=lambda v: f"{v.role}-{v.path.strip('/')}")
def test_every_page_is_accessible_in_use(request, app, logged_in, visit, demo_db_file):
    with watched(request, app, logged_in(visit.role).new_page()) as tab:
        tab.goto(app.base_url + visit.path)
        expect(heading(tab, visit.title)).to_be_visible(timeout=TIMEOUT_MS)
        assert serious_violations(tab) == [], "as the page opens"  # e.g. the Import page's empty uploader
        visit.prepare(tab, demo_db_file.parent / "exports")
        assert_no_exception(tab)
        shot(tab, f"a11y_{visit.role}_{visit.path.strip('/')}")
        assert serious_violations(tab) == []


def test_circles_propose_move_finalise_and_export(page, app, tmp_path):
    login(page, app, "chair")
    support.click(page, support.sidebar_link(page, "Circles"),
                  page.get_by_role("heading", name="Peer Mentorship Circles", exact=True))
    shot(page, "circles_applicants")
    assert serious_violations(page) == []
    support.click(page, page.locator(".st-key-circles_view").get_by_text("Propose", exact=True),
                  page.get_by_role("button", name="Propose circles"))
    shot(page, "circles_propose")
    support.click(page, page.get_by_role("button", name="Propose circles"),
                  page.get_by_text("Proposal saved as a draft"))
    expect(page.get_by_role("heading", name="Circle A")).to_be_visible(timeout=TIMEOUT_MS)
    support.wait_until_quiet(page)
    shot(page, "circles_draft")
    assert serious_violations(page) == []
    # Move the first person of the list into the last circle.
    for box, presses in (("edit_person", 1), ("edit_target", 2)):
        page.locator(f".st-key-{box}").get_by_role("combobox").click()
        for _ in range(presses):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        support.wait_until_quiet(page)
    support.click(page, page.locator(".st-key-edit_apply button"), page.get_by_text("Move: saved."))
    support.wait_until_quiet(page)
    support.click(page, page.get_by_text("These circles replace the current final circles"),
                  page.locator(".st-key-finalise button:not([disabled])"))
    support.click(page, page.locator(".st-key-finalise button"), page.get_by_text("is now final for"))
    expect(page.get_by_role("heading", name="Welcome emails")).to_be_visible(timeout=TIMEOUT_MS)
    shot(page, "circles_final")
    for fmt, check in (("csv", lambda data: data.startswith(b"\xef\xbb\xbfCircle")),
                       ("xlsx", lambda data: data.startswith(b"PK")),
                       ("ics", lambda data: data.startswith(b"BEGIN:VCALENDAR"))):
        support.wait_until_quiet(page)  # a deferred download belongs to the finished run
        with page.expect_download() as download:
            page.locator(f".st-key-download_{fmt} button").click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.name == f"ali-circles-{CYCLE}.{fmt}" and check(path.read_bytes()), fmt
    # Compare the new final circles with the ones they replaced: the summary fits the page, nothing cut off.
    support.click(page, page.locator(".st-key-circles_view").get_by_text("Compare", exact=True),
                  page.get_by_text("sit with different companions"))
    support.wait_until_quiet(page)
    shot(page, "circles_compare")
    table = page.locator('[data-testid="stDataFrame"]').first  # the summary, above who moved
    main = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    box = table.bounding_box()
    assert box["x"] + box["width"] <= main["x"] + main["width"] + 1
    overflow = table.evaluate("""node => [...node.querySelectorAll('*')].some(
        e => getComputedStyle(e).overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1)""")
    assert not overflow, "the Compare summary scrolls sideways at 1400 px"


def test_attendance_grid_edit_then_report_download(page, app, tmp_path):
    from pypdf import PdfReader

    login(page, app, "chair")
    support.click(page, support.sidebar_link(page, "Meetings and attendance"),
                  page.get_by_role("heading", name="Meetings and attendance", exact=True))
    grid = page.locator(".st-key-attendance_grid [data-testid='stDataFrameResizable']")
    expect(grid).to_be_visible(timeout=TIMEOUT_MS)
    support.wait_until_quiet(page)
    assert serious_violations(page) == []
    # The keyboard edits a cell as a committee member would: the first member's orientation becomes Absent.
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    # The grid is drawn on a canvas; the cell's dropdown is the one place "Absent" is text in the page.
    choice = page.locator("#portal").get_by_text("Absent", exact=True)
    expect(choice).to_be_visible(timeout=TIMEOUT_MS)
    choice.click()
    expect(page.locator(".st-key-attendance_save button")).to_have_text(re.compile("Save 1 change"),
                                                                        timeout=TIMEOUT_MS)
    shot(page, "attendance_grid_edited")
    support.click(page, page.locator(".st-key-attendance_save button"), page.get_by_text("1 mark(s) saved"))
    expect(page.get_by_text(re.compile("Last marked by chair"))).to_be_visible(timeout=TIMEOUT_MS)

    support.click(page, support.sidebar_link(page, "Annual report"),
                  page.get_by_role("heading", name="Annual report", exact=True))
    highlights = page.locator(".st-key-report_highlights textarea")
    highlights.fill("José Álvarez and Zoë O'Brien led a session on open access.")
    highlights.press("Control+Enter")
    support.wait_until_quiet(page)
    support.click(page, page.locator(".st-key-report_save button"), page.get_by_text("Saved: Highlights"))
    shot(page, "report_saved")
    support.wait_until_quiet(page)  # a deferred download belongs to the finished run
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.locator(".st-key-download_report_pdf button").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == f"ali-mentorship-report-{CYCLE}.pdf"
    text = " ".join(p.extract_text() for p in PdfReader(path).pages)
    assert "José Álvarez and Zoë O'Brien" in " ".join(text.split()) or "José Álvarez and Zoë O’Brien" in text
    assert "13 of 14" in text


# --- by keyboard alone ---------------------------------------------------------------------------------------


def card(page, circle: str):
    """The card of a circle: the innermost block holding both its heading and its "Why this score" expander."""
    return page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_role("heading", name=circle, exact=True))\
        .filter(has=page.get_by_text("Why this score, and who could help")).last


# A select box's text, once the rerun its choice started has replaced the old box (both are briefly in the page).
_SELECTED_JS = """([key, wanted]) => {
    const boxes = [...document.querySelectorAll(`.st-key-${key} input[role="combobox"]`)];
    const value = boxes.length === 1 ? boxes[0].value : '';
    return value && (!wanted || new RegExp(wanted).test(value)) ? value : false;
}"""


def selected(page, key: str, wanted: str | re.Pattern | None = None) -> str:
    """Wait until the select box keyed `key` shows a choice (matching `wanted`, if given) and return it."""
    pattern = wanted.pattern if isinstance(wanted, re.Pattern) else wanted and f"^{re.escape(wanted)}$"
    return page.wait_for_function(_SELECTED_JS, arg=[key, pattern], polling=100, timeout=TIMEOUT_MS).json_value()


def choose_by_typing(page, key: str, typed: str, value: str | re.Pattern) -> None:
    """Tab to a select box, replace its text with what is typed, and take the option it narrows to with Enter."""
    support.tab_to(page, f".st-key-{key} input")
    page.keyboard.press("Control+a")
    page.keyboard.type(typed)
    expect(page.get_by_role("option", name=value).first).to_be_visible(timeout=TIMEOUT_MS)
    support.press(page, "Enter")
    selected(page, key, value)


def test_forming_circles_and_marking_attendance_by_keyboard_alone(page, app):
    # Tab, Shift+Tab, Enter, Space, arrow keys and typing only: no click anywhere, and before each key the test
    # checks which element has the focus (document.activeElement), as a keyboard user sees the focus ring.
    page.goto(app.base_url + "/account")
    expect(heading(page, "Committee login")).to_be_visible(timeout=TIMEOUT_MS)
    support.tab_to(page, ".st-key-login_username input")
    page.keyboard.type("chair")
    page.keyboard.press("Tab")
    assert support.has_focus(page, ".st-key-login_password input"), support.focused(page)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(heading(page, "Overview")).to_be_visible(timeout=TIMEOUT_MS)

    support.tab_to(page, '.st-key-navigation a[href$="circles"]')
    support.press(page, "Enter")
    expect(heading(page, "Peer Mentorship Circles")).to_be_visible(timeout=TIMEOUT_MS)
    # The views are a radio group: the arrow keys move between them, Space chooses.
    support.tab_to(page, '.st-key-circles_view button[aria-checked="true"]')
    page.keyboard.press("ArrowRight")
    assert support.has_focus(page, ".st-key-circles_view button") and '"Propose"' in support.focused(page), \
        support.focused(page)
    support.press(page, "Space")
    expect(page.locator(".st-key-propose button")).to_be_visible(timeout=TIMEOUT_MS)

    # Form circles: the engine's proposal becomes a draft, shown as cards. Earlier tests on this server may have
    # proposed with the same settings already: the page then says so and offers another seed, taken by keyboard.
    support.tab_to(page, ".st-key-propose button")
    support.press(page, "Enter")
    outcome = page.get_by_text(re.compile(r"Proposal saved as a draft|nothing new was saved"))
    for _ in range(5):
        expect(outcome.first).to_be_visible(timeout=TIMEOUT_MS)
        if page.get_by_text("Proposal saved as a draft").count():
            break
        support.tab_to(page, ".st-key-propose_other button")
        support.press(page, "Enter")
    expect(page.get_by_text("Proposal saved as a draft")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Circle B", exact=True)).to_be_visible(timeout=TIMEOUT_MS)

    # Move the first person of the list into Circle B.
    support.tab_to(page, ".st-key-edit_person input")
    page.keyboard.press("ArrowDown")  # opens the list on its first person
    expect(page.get_by_role("option").first).to_be_visible(timeout=TIMEOUT_MS)
    support.press(page, "Enter")
    chosen = selected(page, "edit_person")
    name = chosen.rsplit(" (", 1)[0]
    assert name and not chosen.endswith("(Circle B)"), chosen
    choose_by_typing(page, "edit_target", "Circle B", "Circle B")
    support.tab_to(page, ".st-key-edit_apply button")
    support.press(page, "Enter")
    expect(page.get_by_text("Move: saved.")).to_be_visible(timeout=TIMEOUT_MS)
    expect(card(page, "Circle B")).to_contain_text(name)

    # Pin them there: back up to the kind of change (a radio group: the arrow keys choose), then apply.
    for _ in ("Swap", "Pin"):  # each choice reruns the page, so the focus is looked for again
        support.tab_to(page, ".st-key-edit_action input:checked", backwards=True)
        support.press(page, "ArrowRight")
    expect(page.locator(".st-key-edit_action input:checked")).to_have_value("2")  # Move, Swap, Pin
    # The list now says where each person is, so the choice starts afresh.
    choose_by_typing(page, "edit_person", name, f"{name} (Circle B)")
    support.tab_to(page, ".st-key-edit_apply button")
    support.press(page, "Enter")
    expect(page.get_by_text("Pin: saved.")).to_be_visible(timeout=TIMEOUT_MS)
    pinned = card(page, "Circle B").get_by_test_id("stMarkdownContainer").filter(has_text=name)
    expect(pinned.get_by_role("img", name="push_pin icon")).to_be_visible(timeout=TIMEOUT_MS)

    # Finalise: tick the confirmation with Space, then the button.
    support.tab_to(page, ".st-key-finalise_confirm input")
    support.press(page, "Space")
    expect(page.locator(".st-key-finalise button")).to_be_enabled(timeout=TIMEOUT_MS)
    support.tab_to(page, ".st-key-finalise button")
    support.press(page, "Enter")
    expect(page.get_by_text(re.compile(r"is now final for"))).to_be_visible(timeout=TIMEOUT_MS)
    shot(page, "keyboard_circles_final")

    # Mark attendance: Circle B's grid, the first member's orientation becomes Absent.
    support.tab_to(page, '.st-key-navigation a[href$="attendance"]', backwards=True)
    support.press(page, "Enter")
    expect(heading(page, "Meetings and attendance")).to_be_visible(timeout=TIMEOUT_MS)
    choose_by_typing(page, "attendance_circle", "Circle B", re.compile(r"^Circle B\b"))
    support.tab_to(page, ".st-key-attendance_grid canvas")
    page.keyboard.press("ArrowDown")  # the first row's first cell: the member's name
    page.keyboard.press("ArrowRight")  # their orientation
    page.keyboard.press("Enter")  # opens the cell's list of marks
    expect(page.locator("#portal").get_by_text("Absent", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    page.keyboard.type("Absent")
    support.press(page, "Enter")
    expect(page.locator(".st-key-attendance_save button")).to_have_text(re.compile("Save 1 change"), timeout=TIMEOUT_MS)
    support.tab_to(page, ".st-key-attendance_save button")
    support.press(page, "Enter")
    # Saved: the page says who marked last, and nothing is waiting to be saved. (The "1 mark(s) saved" notice is
    # shown for one run only, and a rerun the grid starts as it takes the focus back can replace it at once.)
    expect(page.get_by_text(re.compile(r"Last marked by chair on"))).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator(".st-key-attendance_save button")).to_be_disabled(timeout=TIMEOUT_MS)
    shot(page, "keyboard_attendance_saved")


def test_messages_preview_then_send_through_a_loopback_smtp_server(browser, browser_db, tmp_path, monkeypatch):
    import email
    import io
    import zipfile
    from email import policy

    from tests.smtp_support import smtp_server

    copy = tmp_path / "mail.duckdb"
    shutil.copy(browser_db, copy)
    conn = db.connect(copy)
    try:
        total = conn.execute("SELECT count(DISTINCT person_id) FROM applications WHERE cycle = ?", [CYCLE]).fetchone()[0]
    finally:
        conn.close()
    with smtp_server(monkeypatch) as smtp:  # the app's environment below carries its ALI_SMTP_* settings
        server = support.start_app(support.app_env(copy, tmp_path / "demo"), log_dir=tmp_path)
        context = support.new_context(browser, viewport={"width": 1400, "height": 1100})
        tab = context.new_page()
        try:
            support.login(tab, server.base_url, "chair", PASSWORD)
            support.click(tab, support.sidebar_link(tab, "Messages"),
                          tab.get_by_role("heading", name="Messages", exact=True))
            expect(tab.get_by_text(re.compile(r"Sent through 127\.0\.0\.1:\d+ \(no encryption\)"))).to_be_visible()
            shot(tab, "messages_preview")
            preview = tab.locator("pre").filter(has_text="Subject: ")
            expect(preview).to_contain_text("Dear ")
            send = tab.locator(".st-key-messages_send button")
            expect(send).to_have_text(re.compile(f"Send {total} message"))
            support.click(tab, send, tab.locator(".st-key-messages_send_yes button"))
            assert smtp.received == []  # nothing goes out before the confirmation
            support.click(tab, tab.locator(".st-key-messages_send_yes button"),
                          tab.get_by_text(f"Sent {total}, skipped 0 (sent before), failed 0."))
            assert len(smtp.received) == total
            assert sorted(set(smtp.recipients())) == sorted(smtp.recipients())
            expect(tab.locator(".st-key-messages_send button")).to_have_text(re.compile("Nothing to send"))
            shot(tab, "messages_sent")
            support.wait_until_quiet(tab)
            with tab.expect_download(timeout=TIMEOUT_MS) as download:
                tab.locator(".st-key-messages_eml button").click()
            archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
            drafts = [email.message_from_bytes(archive.read(n), policy=policy.default) for n in archive.namelist()]
            assert len(drafts) == total and all(d["X-Unsent"] == "1" for d in drafts)
            assert "Traceback" not in server.output()
        finally:
            context.close()
            server.stop()
