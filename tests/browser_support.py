"""Shared by tests/test_browser.py and scripts/screenshots.py: start the real app, drive Debian's Chromium.

Nothing here downloads a browser: Playwright is pointed at /usr/bin/chromium (never `playwright install`).
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = "Debian's Chromium is not installed at /usr/bin/chromium: apt-get install -y chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
# Generous: CI is a 2-core machine, and the first run of each page warms caches and imports.
TIMEOUT_MS = 30_000
EXCEPTION = '[data-testid="stException"]'


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


COOKIE_KEY = "browser-test-cookie-key-not-secret-only-for-tests"


def app_env(db_path: Path, demo_dir: Path, cookie_key: str = COOKIE_KEY) -> dict[str, str]:
    """Return the environment of an app process on this database (built explicitly, not from fixtures)."""
    env = dict(os.environ)
    env.update({
        "ALI_DB": str(db_path),
        "ALI_DEMO_DIR": str(demo_dir),
        "ALI_COOKIE_KEY": cookie_key,
        "PYTHONUNBUFFERED": "1",
        "ALI_BACKUP_AT": "",  # no nightly backup thread in a test server
    })
    return env


@dataclass
class AppServer:
    """A `streamlit run serve.py` process (app.py, as the service runs it) on a free port, its output in a log file."""

    process: subprocess.Popen
    port: int
    log_path: Path
    _log: object = field(repr=False, default=None)

    @property
    def base_url(self) -> str:
        """The app's address, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Everything the server printed so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


def start_app(env: dict[str, str], log_dir: Path | None = None, timeout: float = 60.0) -> AppServer:
    """Start the app and wait until /_stcore/health answers "ok"; raise with the server output if it fails."""
    port = free_port()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="ali-app-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"streamlit-{port}.log"
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed by AppServer.stop
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    server = AppServer(process, port, log_path, log)
    try:
        wait_healthy(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def wait_healthy(server: AppServer, timeout: float = 60.0) -> None:
    """Poll the health endpoint until it says "ok"."""
    url = f"{server.base_url}/_stcore/health"
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.process.returncode} before it was healthy:\n"
                               f"{server.output()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = response.read().decode("utf-8", "replace").strip()
                if response.status == 200 and body == "ok":
                    return
                last_error = f"HTTP {response.status}: {body[:200]}"
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last_error = repr(exc)
        time.sleep(0.25)
    raise RuntimeError(f"streamlit did not answer {url} within {timeout:.0f} s ({last_error}):\n{server.output()}")


def launch_chromium(playwright):
    """Launch Debian's Chromium through Playwright (headless)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def new_context(browser, viewport: dict | None = None):
    """A fresh browser context (no cookies) with the standard (or a given) viewport."""
    context = browser.new_context(viewport=viewport or VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def sidebar_link(page, title: str):
    """The sidebar navigation link of a page, by its title."""
    return page.locator(".st-key-navigation a").filter(has=page.get_by_text(title, exact=True))


# Streamlit marks the app root with the state of the script run; its own end-to-end tests wait on it too.
_QUIET_JS = """([quiet]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') + '/' + app.getAttribute('data-test-connection-state')
                      : 'absent';
    const now = performance.now();
    if (state !== window.__aliState) { window.__aliState = state; window.__aliSince = now; }
    return state === 'notRunning/CONNECTED' && now - window.__aliSince >= quiet;
}"""


def wait_until_quiet(page, quiet_ms: int = 250, timeout: int = TIMEOUT_MS) -> None:
    """Wait until the app has been idle (no script run in progress, connected) for quiet_ms."""
    page.wait_for_function(_QUIET_JS, arg=[quiet_ms], polling=50, timeout=timeout)


def click(page, target, done, timeout: int = TIMEOUT_MS) -> None:
    """Click target once the app is idle, then wait until done shows.

    A page load runs the app once and nothing reruns it by itself (the login cookie is written by a script
    in the page, not by a component that reports back), so one click after the run has finished is enough.
    """
    from playwright.sync_api import expect

    wait_until_quiet(page, timeout=timeout)
    target.click()
    expect(done).to_be_visible(timeout=timeout)


def submit_login(page, base_url: str, username: str, password: str, timeout: int = TIMEOUT_MS) -> None:
    """Fill and submit the login form on /account; return once the app has answered (Overview or an error)."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/account")
    expect(page.get_by_role("heading", name="Committee login")).to_be_visible(timeout=timeout)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    answered = (page.get_by_text("Username or password is incorrect.")
                .or_(page.get_by_text(re.compile(r"Too many failed logins")))
                .or_(page.get_by_role("heading", name="Overview", exact=True)))
    click(page, page.get_by_role("button", name="Log in"), answered.first, timeout=timeout)


def login(page, base_url: str, username: str, password: str, timeout: int = TIMEOUT_MS) -> None:
    """Log in through the form on /account; the app opens the Overview and the browser stores the cookie."""
    from playwright.sync_api import expect

    submit_login(page, base_url, username, password, timeout=timeout)
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=timeout)
    wait_for_cookie(page.context, present=True, timeout=timeout)


def logout(page, timeout: int = TIMEOUT_MS) -> None:
    """Press "Log out" in the sidebar and wait until the visitors' navigation is back and the cookie gone."""
    from playwright.sync_api import expect

    click(page, page.get_by_role("button", name="Log out"), sidebar_link(page, "Committee login"), timeout=timeout)
    expect(page.get_by_text("Logged in as")).to_have_count(0, timeout=timeout)
    wait_for_cookie(page.context, present=False, timeout=timeout)


def cookie_name() -> str:
    """The name of the login cookie (ALI_COOKIE_NAME or the default of lib.settings)."""
    from lib.settings import get_settings

    return get_settings().cookie_name


def has_login_cookie(context) -> bool:
    """Tell whether the browser context holds the login cookie."""
    name = cookie_name()
    return any(cookie["name"] == name for cookie in context.cookies())


def wait_for_cookie(context, present: bool, timeout: int = TIMEOUT_MS) -> None:
    """Wait until the login cookie is stored (present=True) or deleted (present=False) by the browser."""
    deadline = time.monotonic() + timeout / 1000
    while has_login_cookie(context) != present:
        if time.monotonic() > deadline:
            state = "stored" if present else "deleted"
            raise AssertionError(f"the login cookie {cookie_name()!r} was not {state} within {timeout / 1000:.0f} s")
        time.sleep(0.1)


def warm_up(browser, base_url: str, timeout: int = TIMEOUT_MS) -> None:
    """Open the main page once so app.py runs and calls st.navigation.

    Streamlit treats a folder named pages/ beside app.py as a "pages directory" app until the first
    st.navigation call in the process; until then a deep link such as /admin runs pages/admin.py directly,
    without app.py (see test_cold_server_deep_links). Tests other than that one want the steady state.
    """
    from playwright.sync_api import expect

    context = new_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/")
        expect(page.get_by_role("heading", name="ALI Skills Directory")).to_be_visible(timeout=timeout)
        expect(sidebar_link(page, "Committee login")).to_be_visible(timeout=timeout)
    finally:
        context.close()


def wait_for_charts(page, at_least: int = 1, timeout: int = TIMEOUT_MS) -> None:
    """Wait until the app is idle, at least `at_least` Vega charts exist and every one has drawn."""
    from playwright.sync_api import expect

    wait_until_quiet(page, timeout=timeout)
    # Vega embeds mount one by one after the script run ends, so the count is awaited, not read once.
    page.wait_for_function("n => document.querySelectorAll('.vega-embed').length >= n",
                           arg=at_least, polling=50, timeout=timeout)
    for chart in page.locator(".vega-embed").all():
        expect(chart.locator("canvas, svg").first).to_be_visible(timeout=timeout)


# The focused element, described for a failure message: tag, role, accessible name or text, widget key.
_FOCUSED_JS = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return 'nothing (the page body)';
    const keyed = e.closest('[class*="st-key-"]');
    const key = keyed ? [...keyed.classList].find(c => c.startsWith('st-key-')) : 'no widget key';
    const name = (e.getAttribute('aria-label') || e.innerText || e.value || '').slice(0, 60).replace(/\\s+/g, ' ');
    return `${e.tagName.toLowerCase()}[role=${e.getAttribute('role') || ''}] "${name}" in ${key}`;
}"""


def focused(page) -> str:
    """The element that has the keyboard focus (document.activeElement), in words."""
    return page.evaluate(_FOCUSED_JS)


def has_focus(page, selector: str) -> bool:
    """Tell whether document.activeElement matches the CSS selector."""
    return page.evaluate("sel => !!document.activeElement && document.activeElement.matches(sel)", selector)


def wait_until_settled(page, timeout: int = TIMEOUT_MS) -> None:
    """Wait until the app is idle and the elements of the previous run are gone.

    For a moment after a run, an element the run replaced stays in the page marked data-stale (a select box
    whose options changed, for one): a key pressed then can land on the copy that is about to go.
    """
    wait_until_quiet(page, timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", polling=50, timeout=timeout)


def tab_to(page, selector: str, backwards: bool = False, limit: int = 250) -> None:
    """Press Tab (Shift+Tab when backwards) until the focused element matches selector, as a keyboard user would.

    Fails, saying where the focus went, when the element is never reached: it cannot be used without a mouse.
    """
    wait_until_settled(page)
    key = "Shift+Tab" if backwards else "Tab"
    seen = []
    for _ in range(limit):
        if has_focus(page, selector):
            return
        page.keyboard.press(key)
        seen.append(focused(page))
    raise AssertionError(f"{limit} presses of {key} never focused {selector}; the focus went to: "
                         + "; ".join(dict.fromkeys(seen)))


# Counts the script runs the page has seen start: an observer on the attribute Streamlit sets on its root.
_RUNS_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app && window.__aliRunsOf !== app) {
        window.__aliRunsOf = app;
        window.__aliRuns = 0;
        new MutationObserver(records => {
            for (const r of records) if (app.getAttribute('data-test-script-state') === 'running') window.__aliRuns++;
        }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }
    return window.__aliRuns || 0;
}"""


def press(page, key: str, times: int = 1, timeout: int = TIMEOUT_MS) -> None:
    """Press a key that makes the app rerun (a choice, a button, a checkbox), and wait until that run is over.

    Waiting for the app to be idle alone is not enough: the run a key starts may begin a moment later, and
    would then redraw the widget the next keys type into.
    """
    for _ in range(times):
        before = page.evaluate(_RUNS_JS)
        page.keyboard.press(key)
        page.wait_for_function(f"() => ({_RUNS_JS})() > {before}", polling=50, timeout=timeout)
        wait_until_settled(page, timeout=timeout)
