"""Migrations, transactions and the schema."""
from __future__ import annotations

import stat
from pathlib import Path

import duckdb
import pytest

from lib import cycles, db

ROOT = Path(__file__).resolve().parents[1]


def test_migrations_are_recorded_and_safe_to_rerun(conn):
    recorded = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert [(n, name) for n, name, _ in db.migrations()] == recorded
    assert db.migrate(conn) == []  # nothing left to apply
    assert conn.execute("SELECT count(*) FROM institutions").fetchall()[0][0] == 46


def test_reopening_a_database_keeps_its_data(tmp_path):
    path = tmp_path / "again.duckdb"
    first = db.connect(path)
    cycles.ensure(first, "2024-25")
    first.close()
    second = db.connect(path)
    assert cycles.all_cycles(second) == ["2024-25"]
    assert len(second.execute("SELECT * FROM schema_migrations").fetchall()) == len(db.migrations())
    second.close()


def test_the_schema_models_the_whole_domain(conn):
    tables = {row[0] for row in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"people", "institutions", "counties", "cycles", "skills", "survey_responses", "person_skills",
            "applications", "circle_drafts", "circles", "circle_members", "forbidden_pairs", "meetings",
            "attendance", "outcome_responses", "import_batches", "column_mappings", "audit_log", "users",
            "settings", "schema_migrations"} <= tables


def test_a_failed_transaction_writes_nothing(conn):
    with pytest.raises(RuntimeError):
        with db.transaction(conn):
            cycles.ensure(conn, "2030-31")
            raise RuntimeError("boom")
    assert cycles.all_cycles(conn) == []


def test_people_emails_are_unique(conn):
    conn.execute("INSERT INTO people (email, name) VALUES ('a@x.edu', 'A')")
    with pytest.raises(duckdb.ConstraintException):
        conn.execute("INSERT INTO people (email, name) VALUES ('a@x.edu', 'B')")


@pytest.mark.parametrize("name, start", [("2024-25", 2024), ("1999-00", 1999)])
def test_cycle_names(name, start):
    assert cycles.parse(name) == start
    assert cycles.name_for(start) == name


@pytest.mark.parametrize("bad", ["2024-26", "2024", "24-25", "", "2024/25"])
def test_bad_cycle_names_are_refused(bad):
    with pytest.raises(ValueError, match="program year"):
        cycles.parse(bad)


def test_cycle_of_a_date_runs_september_to_august():
    from datetime import date

    assert cycles.of_date(date(2025, 9, 1)) == "2025-26"
    assert cycles.of_date(date(2026, 8, 31)) == "2025-26"
    assert cycles.of_date(date(2025, 8, 31)) == "2024-25"
    assert cycles.deadline("2025-26") == date(2025, 10, 1)


def test_a_locked_database_gets_a_clear_message(tmp_path):
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "locked.duckdb"
    db.connect(path).close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        c = duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(30)""")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(db.DatabaseBusy, match="in use by another program"):
            db.connect(path)
    finally:
        holder.kill()


def test_the_database_and_what_it_writes_are_private_to_their_owner(tmp_path):
    """Password hashes, emails and consent answers: readable by the owner only (folder, file, write-ahead log)."""
    import subprocess
    import sys

    folder = tmp_path / "private" / "data"
    script = (
        "import os, stat, sys\n"
        "from lib import db\n"
        "db.private_files()\n"
        f"conn = db.connect({str(folder / 'ali.duckdb')!r})\n"
        "conn.execute('CREATE TABLE scratch (x INTEGER)'); conn.execute('INSERT INTO scratch VALUES (1)')\n"
        f"wal = {str(folder / 'ali.duckdb.wal')!r}\n"
        "print(oct(stat.S_IMODE(os.stat(wal).st_mode)) if os.path.exists(wal) else 'no-wal')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("0o600", "no-wal")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "ali.duckdb").stat().st_mode) == 0o600


def test_a_new_database_file_is_private_even_without_the_umask(tmp_path):
    conn = db.connect(tmp_path / "fresh.duckdb")
    conn.close()
    assert stat.S_IMODE((tmp_path / "fresh.duckdb").stat().st_mode) == 0o600
