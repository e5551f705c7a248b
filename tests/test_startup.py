"""A freshly started server: runs that import their page's modules at the same moment never see half a module."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "scripts" / "concurrent_page_imports.py"
STARTUP = "from ui import startup"


def test_app_and_every_page_import_ui_startup_before_anything_else():
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        first = next(node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))
        assert ast.unparse(first) == STARTUP, f"{path.name}: its first import must be `{STARTUP}`"


def test_startup_imports_every_module_a_page_imports():
    # In a fresh interpreter: importing ui.startup alone leaves every module the pages use imported.
    probe = ("import json, sys\nfrom ui import startup\n"
             "print(json.dumps([startup.modules(), [m for m in startup.modules() if m not in sys.modules]]))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=300,
                            check=True)
    names, missing = json.loads(result.stdout.splitlines()[-1])
    for expected in ("lib.circles", "lib.circles.rosters", "lib.admin.restore", "ui.session", "ui.cache", "pandas"):
        assert expected in names
    assert missing == []


def test_thirty_runs_importing_at_once_never_meet_a_half_imported_module():
    # Without ui.startup first, about one fresh interpreter in three met "deadlock detected by
    # _ModuleLock('lib.circles.rosters')" here: a visitor's ImportError or KeyError on a cold server.
    for attempt in range(6):
        result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, cwd=ROOT, timeout=300,
                                check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "", f"attempt {attempt}: {result.stdout}"


def test_serve_warms_the_app_before_any_visitor(demo_db_file, tmp_path):
    # What serve.py's lifespan runs when the server starts: the pages' modules, the pages' own cached
    # connection and both search indexes of the current year, before any session exists.
    import shutil

    shutil.copy(demo_db_file, tmp_path / "demo.duckdb")
    probe = ("import asyncio, json, sys, threading\nimport serve\n"
             "async def start():\n    async with serve.lifespan(None):\n        pass\n"
             "asyncio.run(start())\n"
             "[thread.join() for thread in threading.enumerate() if thread.name == serve._THREAD]\n"
             "from lib.directory import search\nfrom ui import cache, startup\n"
             "print(json.dumps([sorted(key[2] for key in search._CACHE),"
             " [m for m in startup.modules() if m not in sys.modules], cache.connection() is cache.connection()]))")
    env = dict(os.environ, ALI_DB=str(tmp_path / "demo.duckdb"), ALI_WARM_SEARCH_INDEX="1", ALI_BACKUP_AT="")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env=env, check=True)
    audiences, missing, one_connection = json.loads(result.stdout.splitlines()[-1])
    assert audiences == ["committee", "public"] and missing == [] and one_connection
    assert "Ready in" in result.stdout and "ScriptRunContext" not in result.stderr


def test_the_served_app_says_when_it_is_ready(demo_db_file, tmp_path):
    # The server as the service starts it: healthy at once, then ready (imported, index built) without a visitor.
    import shutil
    import time

    from tests.browser_support import app_env, start_app

    shutil.copy(demo_db_file, tmp_path / "demo.duckdb")
    env = dict(app_env(tmp_path / "demo.duckdb", tmp_path / "exports"), ALI_WARM_SEARCH_INDEX="1")
    server = start_app(env, tmp_path / "logs")
    try:
        deadline = time.monotonic() + 120
        while "Ready in" not in server.output() and time.monotonic() < deadline and server.process.poll() is None:
            time.sleep(0.1)
        assert "Ready in" in server.output(), server.output()
        assert "Traceback" not in server.output() and "ScriptRunContext" not in server.output()
    finally:
        server.stop()
