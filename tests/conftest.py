"""Shared fixtures: temporary databases, one with the demo loaded, and a logged-in AppTest helper."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from lib import db
from lib.admin import auth
from lib.demo import build as demo

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-battery"

# Property tests: "ci" (the default) replays the same derandomized examples on every run and machine, so the
# suite cannot fail on a case no one touched; "explore" searches widely and randomly, and saves what it finds
# in .hypothesis/ (python3 run.py test tests/test_imports_properties.py --hypothesis-profile=explore).
# Examples it finds go into the tests as @example lines, which every profile replays.
_QUIET = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
hypothesis_settings.register_profile("ci", derandomize=True, database=None, max_examples=60, deadline=None,
                                     suppress_health_check=_QUIET, print_blob=True)
hypothesis_settings.register_profile("explore", max_examples=2000, deadline=None, suppress_health_check=_QUIET,
                                     print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Point every test at its own database, demo folder and cookie key, never the user's data/."""
    monkeypatch.setenv("ALI_DB", str(tmp_path / "test.duckdb"))
    monkeypatch.setenv("ALI_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("ALI_COOKIE_KEY", "test-cookie-key-not-secret-only-for-the-test-suite")
    monkeypatch.setenv("ALI_BCRYPT_ROUNDS", "4")
    # No nightly backup thread in tests: one firing at 02:00 mid-run would add files to folders tests count.
    monkeypatch.setenv("ALI_BACKUP_AT", "")
    # No mail server unless a test starts one: neither the caller's environment nor a secrets file.
    monkeypatch.setenv("ALI_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    for name in ("HOST", "PORT", "SECURITY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"ALI_SMTP_{name}", raising=False)
    monkeypatch.delenv("ALI_MAIL_FROM", raising=False)
    monkeypatch.delenv("ALI_MAIL_REPLY_TO", raising=False)
    monkeypatch.setenv("ALI_WARM_SEARCH_INDEX", "0")  # a test builds the index when it searches (see test_search)


@pytest.fixture(scope="session")
def empty_db_file(tmp_path_factory) -> Path:
    """A freshly migrated database, built once and copied by each test that needs one."""
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    db.connect(path).close()
    return path


@pytest.fixture
def conn(empty_db_file, tmp_path):
    """A migrated, empty database in a temporary file."""
    shutil.copy(empty_db_file, tmp_path / "test.duckdb")
    connection = db.connect(tmp_path / "test.duckdb")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory) -> Path:
    """A database file with the demo loaded and two users, built once per test run."""
    os.environ.setdefault("ALI_BCRYPT_ROUNDS", "4")
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.duckdb"
    connection = db.connect(path)
    demo.load(connection, out_dir=folder / "exports")
    auth.add_user(connection, "chair", "Casey Chair", PASSWORD, role="admin")
    auth.add_user(connection, "member", "Morgan Member", PASSWORD, role="committee")
    connection.close()
    return path


@pytest.fixture
def demo_conn(demo_db_file, tmp_path, monkeypatch):
    """A private copy of the demo database, safe to change."""
    path = tmp_path / "test.duckdb"
    shutil.copy(demo_db_file, path)
    monkeypatch.setenv("ALI_DB", str(path))
    connection = db.connect(path)
    yield connection
    connection.close()


@pytest.fixture
def app_on_demo(demo_conn):
    """The real router on this test's private copy of the demo database (the app opens the file itself)."""
    import streamlit as st

    demo_conn.close()
    st.cache_resource.clear()  # the cached connection belongs to the previous test's database
    st.cache_data.clear()


@pytest.fixture
def demo_exports(demo_db_file) -> Path:
    """The folder of synthetic exports the demo database was loaded from."""
    return demo_db_file.parent / "exports"


def pytest_configure(config):
    """Keep the browser tests' screenshots where CI can find them."""
    os.environ.setdefault("ALI_TEST_ARTIFACTS", str(ROOT / "tests" / "artifacts"))


@pytest.fixture
def blank_database(tmp_path, monkeypatch):
    """An empty migrated database with one committee user, in place of the demo."""
    import streamlit as st

    path = tmp_path / "blank.duckdb"
    monkeypatch.setenv("ALI_DB", str(path))
    conn = db.connect(path)
    auth.add_user(conn, "member", "Morgan Member", PASSWORD, role="committee")
    conn.close()
    st.cache_resource.clear()
    return path
