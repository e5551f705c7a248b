"""Take the README screenshots: the Overview and the Skills Directory of a fresh demo database, as an admin.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Builds the demo database in a temporary folder (`python -m lib init --demo`), gives the admin a generated
password (`python -m lib users set-password admin`), starts the app on a free port and drives Debian's
Chromium (/usr/bin/chromium) with Playwright. Nothing is downloaded and nothing under data/ is touched.
"""
from __future__ import annotations

import argparse
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import browser_support as support  # noqa: E402


def _run(command: list[str], env: dict[str, str], stdin: str | None = None) -> None:
    """Run `python -m lib ...` in the project root; show its output and stop if it fails."""
    result = subprocess.run([sys.executable, "-m", "lib", *command], cwd=ROOT, env=env, input=stdin,
                            capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"python -m lib {' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


def build_demo(folder: Path) -> tuple[dict[str, str], str]:
    """Create the demo database in folder; return the app's environment and the admin's password."""
    env = support.app_env(folder / "ali.duckdb", folder / "demo", cookie_key=secrets.token_hex(32))
    _run(["init", "--demo"], env)
    password = secrets.token_urlsafe(18)
    _run(["users", "set-password", "admin"], env, stdin=password + "\n")
    return env, password


def take(out: Path) -> list[Path]:
    """Start the app on a fresh demo database and save overview.png and directory.png in out."""
    from playwright.sync_api import expect, sync_playwright

    if not support.CHROMIUM.exists():
        sys.exit(support.CHROMIUM_MISSING)
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with tempfile.TemporaryDirectory(prefix="ali-screenshots-") as tmp:
        folder = Path(tmp)
        print("Building the demo database ...", flush=True)
        env, password = build_demo(folder)
        server = support.start_app(env, log_dir=folder)
        print(f"App running at {server.base_url}", flush=True)
        try:
            with sync_playwright() as playwright:
                browser = support.launch_chromium(playwright)
                try:
                    support.warm_up(browser, server.base_url)
                    # Tall enough that the Overview's charts are in the picture too.
                    context = support.new_context(browser, {"width": 1400, "height": 1350})
                    page = context.new_page()
                    support.login(page, server.base_url, "admin", password)
                    expect(page.get_by_test_id("stMetric").filter(has_text="Would participate again")
                           .get_by_test_id("stMetricValue")).to_be_visible()
                    support.wait_for_charts(page)
                    support.wait_until_quiet(page)
                    saved.append(_shot(page, out / "overview.png"))

                    support.sidebar_link(page, "Skills Directory").click()
                    expect(page.get_by_role("heading", name="ALI Skills Directory")).to_be_visible()
                    expect(page.get_by_text(re.compile(r"members? in the \S+ directory"))).to_be_visible()
                    expect(page.locator(".st-key-result_0")).to_be_visible()
                    support.wait_until_quiet(page)
                    saved.append(_shot(page, out / "directory.png"))
                    context.close()
                finally:
                    browser.close()
        except BaseException:
            print(f"--- app output ---\n{server.output()}", file=sys.stderr)
            raise
        finally:
            server.stop()
    return saved


def _shot(page, path: Path) -> Path:
    """Save a screenshot, refusing one that shows a Streamlit exception."""
    if page.locator(support.EXCEPTION).count():
        raise RuntimeError(f"the page shows an exception; not saving {path.name}")
    page.screenshot(path=str(path))
    print(f"Saved {path}", flush=True)
    return path


def main(argv: list[str] | None = None) -> int:
    """Parse the options and take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots",
                        help="folder for overview.png and directory.png (default docs/screenshots)")
    args = parser.parse_args(argv)
    take(args.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
