"""A restored backup is data, never code: crafted files are refused, and nothing in them ever runs.

Each crafted backup starts as a real backup of a small database, then gains what an attacker would add: a view
over read_text() of a file holding a marker, a macro replacing a built-in, a view in place of a table, an
unknown table, an extra column, a computed column, a type, a schema, a sequence, an index. The marker must
never appear anywhere (page, command line, database), and built-in functions must stay built-in.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import streamlit as st

from lib import db
from lib.admin import auth, backup, restore
from tests.apptest_support import app, open_page, query, texts
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
MARKER = "MARKER-cookie-key-4f1d9a"


@pytest.fixture
def secret(tmp_path) -> Path:
    """A file only the server should read (think data/.cookie_key or /etc/passwd), holding the marker."""
    path = tmp_path / "secret.txt"
    path.write_text(MARKER)
    return path


@pytest.fixture
def genuine(empty_db_file, tmp_path) -> Path:
    """A real backup of a small database (not the test's own) with a person and a committee user in it."""
    source = tmp_path / "source.duckdb"
    shutil.copy(empty_db_file, source)
    conn = db.connect(source)
    try:
        conn.execute("INSERT INTO people (email, name) VALUES ('zoe@example.edu', 'Zoë O''Neil')")
        auth.add_user(conn, "chair", "Casey Chair", PASSWORD, role="admin")
        return backup.backup(conn, tmp_path / "genuine.duckdb", "test").path
    finally:
        conn.close()


def crafted(genuine: Path, tmp_path: Path, name: str, *sql: str) -> Path:
    """A copy of the genuine backup changed by these statements, as an attacker's DuckDB would write it."""
    path = tmp_path / f"{name}.duckdb"
    shutil.copy(genuine, path)
    conn = duckdb.connect(str(path))
    try:
        for statement in sql:
            conn.execute(statement)
    finally:
        conn.close()
    return path


def attacks(secret: Path) -> dict[str, tuple[list[str], str]]:
    """Name -> (statements, what the refusal must name)."""
    text = str(secret).replace("'", "''")
    return {
        "view-over-a-file": ([
            "DROP TABLE institutions",
            f"CREATE VIEW institutions AS SELECT 1 AS id, content AS name FROM read_text('{text}')"],
            "view main.institutions"),
        "macro-overriding-lower": (["CREATE MACRO lower(x) AS 'PWNED'"], "macro main.lower"),
        "table-macro": ([f"CREATE MACRO leak() AS TABLE SELECT * FROM read_text('{text}')"], "table macro main.leak"),
        "view-shadowing-a-table": ([
            "ALTER TABLE people RENAME TO people_real",
            f"CREATE VIEW people AS SELECT p.*, (SELECT content FROM read_text('{text}')) AS leak FROM people_real p"],
            "view main.people"),
        "unknown-table": (["CREATE TABLE stolen (x VARCHAR)", f"INSERT INTO stolen VALUES ('{MARKER}')"],
                          "table main.stolen"),
        "extra-column": (["ALTER TABLE people ADD COLUMN extra VARCHAR", f"UPDATE people SET extra = '{MARKER}'"],
                         "column main.people.extra"),
        "computed-column": ([
            "DROP TABLE cycles",
            "CREATE TABLE cycles (name VARCHAR PRIMARY KEY, starts_on DATE NOT NULL, ends_on DATE NOT NULL, "
            "application_deadline DATE NOT NULL, shown VARCHAR GENERATED ALWAYS AS (upper(name)))"],
            "column main.cycles.shown"),
        "type": (["CREATE TYPE mood AS ENUM ('a', 'b')"], "type main.mood"),
        "schema": (["CREATE SCHEMA elsewhere", "CREATE TABLE elsewhere.t (x INTEGER)"], "schema elsewhere"),
        "sequence": (["CREATE SEQUENCE seq_extra"], "sequence main.seq_extra"),
        "index": (["CREATE INDEX people_name ON people (name)"], "index main.people_name"),
    }


def everything_text(path: Path) -> str:
    """Every value of every table of a database, as one text (to look for the marker)."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables() WHERE database_name ="
                                            " current_database()").fetchall()]
        return "\n".join(str(conn.execute(f'SELECT * FROM "{name}"').fetchall()) for name in names)
    finally:
        conn.close()


def test_every_crafted_backup_is_refused_naming_what_it_found(genuine, secret, tmp_path, conn):
    live = tmp_path / "test.duckdb"
    conn.close()
    before = everything_text(live)
    for name, (sql, named) in attacks(secret).items():
        path = crafted(genuine, tmp_path, name, *sql)
        with pytest.raises(ValueError) as refused:
            restore.check(path)
        message = str(refused.value)
        assert named in message and f"{path.name} cannot be restored" in message, (name, message)
        assert MARKER not in message
        with pytest.raises(ValueError, match="cannot be restored"):
            restore.restore_file(path, live, actor="test", undo_dir=tmp_path / "undo")
        assert everything_text(live) == before, name
    assert not (tmp_path / "undo").exists()  # refused before anything was touched
    assert restore.check(genuine)["people"] == 1  # the genuine backup still restores


def test_the_command_line_refuses_a_crafted_backup_and_shows_no_marker(genuine, secret, tmp_path, conn):
    conn.close()
    live = tmp_path / "test.duckdb"
    env = dict(os.environ, ALI_DB=str(live), ALI_BACKUP_DIR=str(tmp_path / "backups"))
    for name in ("view-over-a-file", "macro-overriding-lower", "view-shadowing-a-table"):
        sql, named = attacks(secret)[name]
        path = crafted(genuine, tmp_path, name, *sql)
        result = subprocess.run([sys.executable, "-m", "lib", "restore", str(path), "--yes"], capture_output=True,
                                text=True, cwd=ROOT, env=env, timeout=300, check=False)
        assert result.returncode == 2 and named in result.stderr, result.stderr
        assert MARKER not in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert MARKER not in everything_text(live)


def test_the_backups_page_refuses_a_crafted_upload(demo_conn, genuine, secret, tmp_path, monkeypatch):
    folder = tmp_path / "page-backups"
    monkeypatch.setenv("ALI_BACKUP_DIR", str(folder))
    demo_conn.close()
    st.cache_resource.clear()
    st.cache_data.clear()
    at = open_page(app("chair"), "pages/backups.py")
    at.segmented_control(key="restore_source").set_value("Upload a file").run()
    for name in ("view-over-a-file", "macro-overriding-lower"):
        sql, named = attacks(secret)[name]
        path = crafted(genuine, tmp_path, name, *sql)
        at.file_uploader(key="restore_upload").set_value((path.name, path.read_bytes(),
                                                          "application/octet-stream")).run()
        assert not at.exception, at.exception
        shown = texts(at)
        assert named in shown and MARKER not in shown
        assert not [b for b in at.button if b.key == "restore_button"]  # nothing to confirm
    assert backup.list_backups(folder) == []  # a refused upload is not kept
    assert query("SELECT lower('ABC')") == [("abc",)]
    from ui import cache

    cache.connection().close()
    st.cache_resource.clear()
    assert MARKER not in everything_text(tmp_path / "test.duckdb")


def test_a_restore_copies_rows_into_a_database_the_migrations_built(secret, tmp_path, conn):
    """Even data that looks like SQL is only data; the restored file has only the dashboard's own objects."""
    conn.execute("INSERT INTO people (email, name) VALUES ('zoe@example.edu', 'Zoë O''Neil')")
    conn.execute("INSERT INTO people (email, name) VALUES ('x@example.edu', '=HYPERLINK(\"http://x\")'' OR 1=1 --')")
    made = backup.backup(conn, tmp_path / "second.duckdb", "test").path
    conn.close()
    live = tmp_path / "test.duckdb"
    done = restore.restore_file(made, live, actor="test", undo_dir=tmp_path / "undo")
    assert done.undo is not None and done.migrated == []
    raw = duckdb.connect(str(live), read_only=True)  # not db.connect: that would migrate on open
    try:
        assert raw.execute("SELECT name FROM people ORDER BY id").fetchall() == [
            ("Zoë O'Neil",), ("=HYPERLINK(\"http://x\")' OR 1=1 --",)]
        assert raw.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall() == [(0,)]
        assert raw.execute("SELECT count(*) FROM duckdb_functions() WHERE NOT internal AND database_name ="
                           " current_database()").fetchall() == [(0,)]
    finally:
        raw.close()


def test_an_older_backup_is_migrated_by_the_restore_itself(tmp_path):
    """Read without migrating: the restored file has every migration, so restore did not leave it to connect()."""
    old = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(old))
    db.applied_migrations(conn)
    for number, name, path in db.migrations():
        if number < 10:
            with db.transaction(conn):
                db.apply_migration(conn, path)
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [number, name])
    conn.execute("INSERT INTO people (email, name) VALUES ('jose@example.edu', 'José Álvarez')")
    conn.close()
    live = tmp_path / "live.duckdb"
    db.connect(live).close()
    done = restore.restore_file(old, live, actor="test", undo_dir=tmp_path / "undo")
    assert done.migrated == [f"{n:03d}_{name}" for n, name, _ in db.migrations() if n >= 10]
    raw = duckdb.connect(str(live), read_only=True)
    try:
        assert [r[0] for r in raw.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()] == \
            [n for n, _, _ in db.migrations()]
        assert raw.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'report_sections'").fetchall() \
            == [(1,)]
        assert raw.execute("SELECT name FROM people").fetchall() == [("José Álvarez",)]
        assert raw.execute("SELECT action FROM audit_log").fetchall() == [("backup.restore",)]
    finally:
        raw.close()


def test_sequences_continue_after_the_restored_rows(genuine, tmp_path, conn):
    conn.close()
    live = tmp_path / "test.duckdb"
    restore.restore_file(genuine, live, actor="test", undo_dir=tmp_path / "undo")
    restored = db.connect(live)
    try:
        before = restored.execute("SELECT max(id) FROM people").fetchall()[0][0]
        restored.execute("INSERT INTO people (email, name) VALUES ('new@example.edu', 'New')")
        assert restored.execute("SELECT max(id) FROM people").fetchall()[0][0] == before + 1
    finally:
        restored.close()


def test_the_apps_connection_reaches_no_file_but_the_database_and_its_backups(tmp_path, secret):
    folder = tmp_path / "backups"
    conn = db.connect(tmp_path / "locked.duckdb", files=[folder])
    try:
        for sql, params in (("SELECT content FROM read_text(?)", [str(secret)]),
                            ("SELECT * FROM read_csv(?)", [str(secret)]),
                            ("ATTACH ? AS elsewhere", [str(tmp_path / "elsewhere.duckdb")]),
                            ("COPY (SELECT 1) TO ?", [str(tmp_path / "out.csv")])):
            with pytest.raises(duckdb.Error, match="disabled by configuration|Permission"):
                conn.execute(sql, params).fetchall()
        with pytest.raises(duckdb.Error):
            conn.execute("SET enable_external_access = true")  # locked for good
        folder.mkdir()
        made = backup.backup(conn, folder / "inside.duckdb", "test")  # backups still work, in their folder
        assert restore.check(made.path)["people"] == 0
        with pytest.raises(ValueError):
            backup.backup(conn, tmp_path / "outside.duckdb", "test")
    finally:
        conn.close()
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "outside.duckdb").exists()


def test_reopening_a_file_whose_instance_lives_on_stays_locked_down(tmp_path, secret):
    # A cursor of the first connection (a background index build) keeps DuckDB's instance of the file alive, so
    # the next connect meets its configuration already locked: it must open, still locked down, not fail.
    first = db.connect(tmp_path / "shared.duckdb", files=[tmp_path / "backups"])
    lingering = first.cursor()
    del first  # dropped, as a cleared cache drops it: not closed
    again = db.connect(tmp_path / "shared.duckdb", files=[tmp_path / "backups"])
    try:
        with pytest.raises(duckdb.Error, match="disabled by configuration|Permission"):
            again.execute("SELECT content FROM read_text(?)", [str(secret)]).fetchall()
        assert again.execute("SELECT current_setting('lock_configuration')").fetchall() == [(True,)]
    finally:
        again.close()
        lingering.close()


def test_the_running_app_opens_its_database_locked_down(demo_conn, secret, monkeypatch):
    demo_conn.close()
    st.cache_resource.clear()
    from ui import cache

    with pytest.raises(duckdb.Error, match="disabled by configuration|Permission"):
        cache.cursor().execute("SELECT content FROM read_text(?)", [str(secret)]).fetchall()
    assert cache.cursor().execute("SELECT current_setting('lock_configuration')").fetchall() == [(True,)]
