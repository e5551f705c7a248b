"""Shared fixtures: temporary databases, one with the demo loaded, and a logged-in AppTest helper."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lib import auth, db, demo

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Point every test at its own database, demo folder and cookie key, never the user's data/."""
    monkeypatch.setenv("ALI_DB", str(tmp_path / "test.duckdb"))
    monkeypatch.setenv("ALI_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("ALI_COOKIE_KEY", "test-cookie-key-not-secret")
    monkeypatch.setenv("ALI_LOGIN_SLEEP", "0")
    monkeypatch.setenv("ALI_BCRYPT_ROUNDS", "4")


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
def demo_exports(demo_db_file) -> Path:
    """The folder of synthetic exports the demo database was loaded from."""
    return demo_db_file.parent / "exports"


def pytest_configure(config):
    """Keep the browser tests' screenshots where CI can find them."""
    os.environ.setdefault("ALI_TEST_ARTIFACTS", str(ROOT / "tests" / "artifacts"))
