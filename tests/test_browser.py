"""The real app in Debian's Chromium: what visitors, committee members and admins see and may open.

One `streamlit run app.py` serves the whole module (on a copy of the demo database); every test gets a fresh
browser context, so no cookie leaks from one test to the next. Screenshots go to ALI_TEST_ARTIFACTS.
"""
from __future__ import annotations

import os
import re
import shutil
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


@pytest.fixture(scope="module")
def app(demo_db_file, tmp_path_factory, browser):
    """The real app on a copy of the demo database, warmed up (see support.warm_up)."""
    server = _serve(demo_db_file, tmp_path_factory.mktemp("browser-app"))
    try:
        support.warm_up(browser, server.base_url)
        yield server
    finally:
        server.stop()


def login(page, app, username: str) -> None:
    """Log in with the test password: the app lands on the Overview."""
    support.login(page, app.base_url, username, PASSWORD)


@pytest.fixture
def page(request, browser, app):
    """A page in a fresh browser context (no cookies); checks the server logged no traceback meanwhile."""
    log_start = len(app.output())
    errors: list[str] = []
    context = support.new_context(browser)
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    failed_before = request.session.testsfailed
    try:
        yield tab
    finally:
        if request.session.testsfailed > failed_before:  # keep what the browser showed when the test failed
            tab.screenshot(path=str(artifacts_dir() / f"browser-{_short(request)}-failed.png"))
            print(f"--- page {tab.url}; app output during the test ---\n{app.output()[log_start:]}")
        context.close()
    logged = app.output()[log_start:]
    assert "Traceback" not in logged, f"the server logged an error during the test:\n{logged}"
    assert not errors, f"JavaScript errors in the page: {errors}"


def _short(request) -> str:
    """The test's name without its test_ prefix, for screenshot names."""
    return request.node.name.removeprefix("test_")


def directory_count(page, cycle: str = CYCLE, matching: str | None = None) -> int:
    """Wait for the directory's count line (for this search, if any) and return its number."""
    pattern = rf"members? in the {re.escape(cycle)} directory" + (rf" matching {re.escape(matching)}" if matching
                                                                 else r"\s*$")
    line = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(pattern))
    expect(line).to_be_visible(timeout=TIMEOUT_MS)
    found = COUNT_LINE.search(line.inner_text())
    assert found, line.inner_text()
    return int(found.group(1).replace(",", ""))


def nav_titles(page) -> list[str]:
    """The titles of the sidebar navigation links."""
    links = page.locator('[data-testid="stSidebarNav"] a [data-testid="stMarkdownContainer"]')
    return [text.strip() for text in links.all_inner_texts()]


def metric_value(page, label: str):
    """The value element of the st.metric with this label."""
    label_element = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stMetric").filter(has=label_element).get_by_test_id("stMetricValue")


def expect_not_found(page, fallback: str = "ALI Skills Directory") -> None:
    """The "Page not found" dialog, the fallback page (the default page of this viewer), and no Users page."""
    expect(page.get_by_text("Page not found")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("heading", name=fallback, exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    if fallback != "Overview":
        expect(page.get_by_text("Headline figures")).to_have_count(0)
    expect(page.locator(USERS_TABLE)).to_have_count(0)
    expect(page.get_by_role("heading", name="Users", exact=True)).to_have_count(0)


# --- visitors -----------------------------------------------------------------------------------------------


def test_visitor_directory_and_search(page, app):
    page.goto(app.base_url + "/")
    expect(page.get_by_role("heading", name="ALI Skills Directory")).to_be_visible(timeout=TIMEOUT_MS)
    total = directory_count(page)
    assert total > 0
    expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible(timeout=TIMEOUT_MS)
    expect(support.sidebar_link(page, "Committee login")).to_be_visible()
    assert nav_titles(page) == ["Skills Directory", "Committee login"]
    expect(support.sidebar_link(page, "Overview")).to_have_count(0)

    search = page.get_by_role("textbox", name="Search")
    search.fill("info lit")
    search.press("Enter")
    found = directory_count(page, matching="info lit")
    assert 0 < found < total, f"searching 'info lit' (a skill alias) left {found} of {total} members"
    shot(page, "visitor_directory")


def test_visitor_cannot_open_committee_urls(page, app):
    for path in ("/overview", "/admin"):
        page.goto(app.base_url + path)
        expect_not_found(page)
        expect(support.sidebar_link(page, "Overview")).to_have_count(0)
        expect(support.sidebar_link(page, "Users")).to_have_count(0)
        shot(page, f"visitor_not_found_{path.strip('/')}")


# --- committee members and admins --------------------------------------------------------------------------


def test_admin_login_and_every_page(page, app):
    login(page, app, "chair")
    expect(page.get_by_role("heading", name=f"Skills Directory {CYCLE}")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Peer Mentorship Circles {CYCLE}")).to_be_visible()
    expect(metric_value(page, "Would participate again")).to_have_text("13 of 14")
    expect(page.get_by_text("Logged in as Casey Chair")).to_be_visible()
    assert nav_titles(page) == ["Overview", "Skills Directory", "Import", "Users", "My account"]

    visits = [
        ("Skills Directory", "ALI Skills Directory", r"/directory$"),
        ("Import", "Import", r"/import$"),
        ("Users", "Users", r"/admin$"),
        ("My account", "My account", r"/account$"),
        ("Overview", "Overview", r"/(overview)?$"),
    ]
    for link, heading, url in visits:
        support.click(page, support.sidebar_link(page, link),
                            page.get_by_role("heading", name=heading, exact=True))
        expect(page).to_have_url(re.compile(url), timeout=TIMEOUT_MS)
        if link == "Skills Directory":
            directory_count(page)
        elif link == "Users":
            expect(page.locator(USERS_TABLE)).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "Import":
            expect(page.get_by_text("Import history")).to_be_visible(timeout=TIMEOUT_MS)
        elif link == "My account":
            expect(page.get_by_text("Change my password")).to_be_visible(timeout=TIMEOUT_MS)
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
    assert nav_titles(page) == ["Overview", "Skills Directory", "Import", "My account"]
    expect(support.sidebar_link(page, "Users")).to_have_count(0)
    page.goto(app.base_url + "/admin")
    expect_not_found(page, fallback="Overview")  # still logged in after the reload
    shot(page, "member_admin_not_found")


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
    shot(page, "after_logout")
    page.goto(app.base_url + "/overview")
    expect_not_found(page)
    expect(page.get_by_text("Logged in as")).to_have_count(0)
    shot(page, "after_logout_reload")


# --- a freshly started server -----------------------------------------------------------------------------


def test_cold_server_deep_links(browser, demo_db_file, tmp_path):
    # A folder named pages/ makes a fresh Streamlit server run deep links without app.py until the first
    # st.navigation call; ui.session.routed() sends such runs back through the router.
    server = _serve(demo_db_file, tmp_path)
    context = support.new_context(browser)
    tab = context.new_page()
    try:
        # Nobody has opened "/" on this server yet: deep links are the first requests it serves.
        tab.goto(server.base_url + "/admin")
        expect(tab.get_by_role("main")).to_contain_text(re.compile(r"\w"), timeout=TIMEOUT_MS)
        expect(tab.locator(USERS_TABLE)).to_have_count(0)
        # The router serves the visitor's default page; the committee page never ran.
        expect(tab.get_by_role("heading", name="ALI Skills Directory")).to_be_visible(timeout=TIMEOUT_MS)
        assert nav_titles(tab) == ["Skills Directory", "Committee login"]
        tab.goto(server.base_url + "/directory")
        directory_count(tab)
        tab.goto(server.base_url + "/account")
        expect(tab.get_by_role("button", name="Log in")).to_be_visible(timeout=TIMEOUT_MS)
        assert_no_exception(tab)
    finally:
        try:
            tab.screenshot(path=str(artifacts_dir() / "browser-cold_server_deep_links.png"))
        finally:
            context.close()
            server.stop()


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
