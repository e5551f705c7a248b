"""Backups, restores, a second process on the same file, and kill -9 in the middle of a large import."""
from __future__ import annotations

import csv
import os
import pty
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import db
from lib.admin import auth, backup, restore
from tests.apptest_support import APP, app, open_page, query, texts
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
ON_LINUX = Path("/proc/self/fd").is_dir()


def run_cli(*args: str, env_db: Path, backups: Path | None = None,
            stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    """Run the command line against one database file (standard input not a terminal unless given)."""
    env = dict(os.environ, ALI_DB=str(env_db), ALI_BACKUP_DIR=str(backups or env_db.parent / "backups"))
    return subprocess.run([sys.executable, "-m", "lib", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          stdin=stdin, timeout=300, check=False)


def tables(conn) -> list[str]:
    """Every base table of the database."""
    return [row[0] for row in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
        " AND table_catalog = current_database() ORDER BY table_name").fetchall()]


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a fixed order, and every sequence's position."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        found = {name: conn.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall() for name in tables(conn)}
        found["(sequences)"] = conn.execute(
            "SELECT sequence_name, last_value FROM duckdb_sequences() WHERE database_name = current_database()"
            " ORDER BY sequence_name").fetchall()
        return found
    finally:
        conn.close()


def fingerprint(path: Path) -> dict[str, tuple]:
    """Rows and a hash of every table (as a multiset), and the sequences: equal means the same contents."""
    conn = duckdb.connect(str(path))  # not read-only: a write-ahead log left behind is replayed, as the app would
    try:
        found = {name: tuple(conn.execute(f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{name}" t').fetchall()[0])
                 for name in tables(conn)}
        found["(sequences)"] = tuple(conn.execute(
            "SELECT sequence_name, last_value FROM duckdb_sequences() WHERE database_name = current_database()"
            " ORDER BY sequence_name").fetchall())
        return found
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------- round trip


def test_a_round_trip_through_the_command_line_is_identical(demo_db_file, tmp_path):
    live, saved = tmp_path / "live.duckdb", tmp_path / "saved"
    shutil.copy(demo_db_file, live)
    saved.mkdir()
    stats_before = run_cli("stats", "--json", env_db=live)
    assert stats_before.returncode == 0, stats_before.stderr
    before = contents(live)
    last_audit = max(row[0] for row in before["audit_log"])

    made = run_cli("backup", str(saved), env_db=live)
    assert made.returncode == 0, made.stderr
    [copy] = list(saved.iterdir())
    assert copy.name.startswith("ali-backup-") and str(copy) in made.stdout and "rows" in made.stdout
    assert copy.stat().st_mode & 0o777 == 0o600

    # Things change after the backup: a new user, attendance and skills deleted.
    conn = db.connect(live)
    auth.add_user(conn, "newcomer", "New Comer", PASSWORD, role="committee")
    conn.execute("DELETE FROM attendance WHERE status = 'absent'")
    conn.execute("DELETE FROM person_skills WHERE response_id IN (SELECT min(id) FROM survey_responses)")
    conn.close()
    assert run_cli("stats", "--json", env_db=live).stdout != stats_before.stdout

    restored = run_cli("restore", str(copy), "--yes", env_db=live)
    assert restored.returncode == 0, restored.stderr
    assert f"Restored {live} from {copy}" in restored.stdout and "ali-before-restore-" in restored.stdout
    assert run_cli("stats", "--json", env_db=live).stdout == stats_before.stdout

    after = contents(live)
    assert set(after) == set(before)
    for name in before:
        if name == "audit_log":
            # The backup holds every entry older than itself; the restore adds exactly its own entry.
            assert [row for row in after[name] if row[0] <= last_audit] == before[name]
            assert [row[3] for row in after[name] if row[0] > last_audit] == ["backup.restore"]
        elif name == "(sequences)":
            moved = {seq: (dict(before[name])[seq], value) for seq, value in after[name]
                     if value != dict(before[name])[seq]}
            assert moved == {"seq_audit": (last_audit, last_audit + 1)}
        else:
            assert after[name] == before[name], name
    # The database as it was before the restore is kept, with the change in it.
    undo = Path(restored.stdout.split("kept in ")[1].split(" ")[0])
    assert undo.parent == tmp_path / "backups" and restore.check(undo)["users"] == restore.check(copy)["users"] + 1


def test_restore_through_the_library_migrates_an_older_backup(tmp_path):
    """A backup from before migration 010 is brought up to date after the restore."""
    old = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(old))
    db.applied_migrations(conn)
    for number, name, path in db.migrations():
        if number < 10:  # as migrate() does, stopping before the newest
            with db.transaction(conn):
                if path.suffix == ".sql":
                    conn.execute(path.read_text(encoding="utf-8"))
                else:
                    __import__(f"lib.migrations.{path.stem}", fromlist=["apply"]).apply(conn)
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [number, name])
    conn.close()
    held = restore.check(old)
    newer = [f"{n:03d}_{name}" for n, name, _ in db.migrations() if n >= 10]
    assert held["pending"] == newer and f"{len(newer)} migration(s) will bring it up to date" in \
        "\n".join(restore.describe(held))
    live = tmp_path / "live.duckdb"
    db.connect(live).close()
    done = restore.restore_file(old, live, actor="test", undo_dir=tmp_path / "undo")
    assert done.migrated == newer and done.undo.parent == tmp_path / "undo"
    conn = db.connect(live)
    try:
        assert db.applied_migrations(conn)[-1] == db.migrations()[-1][0]
        assert conn.execute("SELECT action, actor FROM audit_log").fetchall() == [("backup.restore", "test")]
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------- while others write


def test_a_backup_taken_while_eight_threads_write_is_consistent(demo_conn, tmp_path):
    demo_conn.execute("CREATE TABLE test_marks (writer INTEGER, seq INTEGER)")
    demo_conn.execute("CREATE TABLE test_totals (writer INTEGER PRIMARY KEY, n INTEGER)")
    demo_conn.execute("INSERT INTO test_totals SELECT range, 0 FROM range(8)")
    committed, errors, stop = [0] * 8, [], threading.Event()

    def write(writer: int) -> None:
        """Commit (writer, seq) rows one transaction at a time, with the writer's running total beside them."""
        cur = demo_conn.cursor()
        try:
            while not stop.is_set():
                with db.transaction(cur):
                    cur.execute("INSERT INTO test_marks VALUES (?, ?)", [writer, committed[writer]])
                    cur.execute("UPDATE test_totals SET n = ? WHERE writer = ?", [committed[writer] + 1, writer])
                committed[writer] += 1
        except duckdb.Error as exc:  # reported by the test below
            errors.append(exc)
        finally:
            cur.close()

    def wait_until(condition) -> None:
        """Wait (up to a minute) until the writers got somewhere."""
        deadline = time.monotonic() + 60
        while not condition() and not errors and time.monotonic() < deadline:
            time.sleep(0.01)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: min(committed) >= 20)
        made = [backup.backup(demo_conn, tmp_path / f"during-{n}.duckdb", "test") for n in range(3)]
        at_end = list(committed)
        wait_until(lambda: all(c >= e + 5 for c, e in zip(committed, at_end)))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors
    for copy in made:
        conn = duckdb.connect(str(copy.path), read_only=True)
        try:
            assert conn.execute("SELECT count(*) FROM people").fetchall() == [(454,)]
            marks = conn.execute("SELECT writer, list(seq ORDER BY seq) FROM test_marks GROUP BY writer").fetchall()
            totals = dict(conn.execute("SELECT writer, n FROM test_totals").fetchall())
        finally:
            conn.close()
        for writer, seqs in marks:
            assert seqs == list(range(len(seqs))), f"writer {writer}: a gap in {copy.path.name}"  # a prefix
            assert totals[writer] == len(seqs)  # each transaction wholly in the backup, or not at all
        assert sum(totals.values()) < sum(committed)  # the writers went on after it
    assert committed[0] > 0 and demo_conn.execute("SELECT count(*) FROM test_marks").fetchall()[0][0] == sum(committed)


# ------------------------------------------------------------------------------------------- kill -9


def _big_survey(source: Path, out: Path, rows: int) -> None:
    """A Skills Directory Survey export of many distinct people, made of the demo's rows with new emails."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        header, *body = list(csv.reader(handle))
    email = next(i for i, h in enumerate(header) if "email" in h.lower())
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n in range(rows):
            row = list(body[n % len(body)])
            row[email] = f"member.{n}@example.edu"
            writer.writerow(row)


def _watch_and_kill(proc: subprocess.Popen, database: Path, moment: str) -> dict:
    """Watch the import through /proc and the database file; SIGKILL it at the moment asked; say what was seen.

    early: as soon as it holds the database; middle: a second of CPU later (checking rows); late: once the
    import's uncommitted rows have grown the database file by a megabyte, before any commit began (no WAL).
    """
    start, size, wal = time.monotonic(), database.stat().st_size, Path(f"{database}.wal")
    opened_cpu = None
    while proc.poll() is None:
        try:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            holding = str(database) in {os.readlink(f"/proc/{proc.pid}/fd/{fd}")
                                        for fd in os.listdir(f"/proc/{proc.pid}/fd")}
        except (FileNotFoundError, ProcessLookupError):
            continue  # the process is between two states of /proc; poll() tells whether it ended
        grown = database.stat().st_size - size
        committing = wal.exists()
        if holding and opened_cpu is None:
            opened_cpu = cpu
        due = {"early": holding,
               "middle": holding and opened_cpu is not None and cpu - opened_cpu >= 1.0,
               "late": grown >= 1 << 20 and not committing}[moment]
        assert not committing or moment != "late", "the import began to commit before the late moment was seen"
        if due:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return {"moment": moment, "seconds": round(time.monotonic() - start, 2), "cpu": cpu,
                    "grown_bytes": grown, "committing": committing}
        time.sleep(0.002)
    raise AssertionError(f"the import ended (exit {proc.returncode}) before the {moment} moment")


@pytest.mark.slow
@pytest.mark.skipif(not ON_LINUX, reason="watches the import through /proc")
def test_kill_9_in_the_middle_of_a_large_import_leaves_the_database_as_it_was(demo_db_file, demo_exports, tmp_path):
    rows = 150_000
    survey = tmp_path / "big_survey.csv"
    _big_survey(demo_exports / "skills_survey_2025-26.csv", survey, rows)
    base = tmp_path / "base.duckdb"
    shutil.copy(demo_db_file, base)
    before = fingerprint(base)
    env = dict(os.environ, ALI_BACKUP_DIR=str(tmp_path / "backups"))
    seen = []
    for moment in ("early", "middle", "late"):
        work = tmp_path / f"{moment}.duckdb"
        shutil.copy(base, work)
        proc = subprocess.Popen([sys.executable, "-m", "lib", "import", str(survey), "--kind", "skills"], cwd=ROOT,
                                env=env | {"ALI_DB": str(work)}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            seen.append(_watch_and_kill(proc, work, moment))
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == -signal.SIGKILL
        assert fingerprint(work) == before, seen[-1]
    print(f"\nkill -9 during an import of {rows:,} rows: {seen}")
    assert seen[-1]["grown_bytes"] >= 1 << 20  # the late kill found uncommitted rows already in the file
    # The same import, left to finish, does change the database: the comparison above would have seen it.
    finished = subprocess.run([sys.executable, "-m", "lib", "import", str(survey), "--kind", "skills"], cwd=ROOT,
                              env=env | {"ALI_DB": str(work)}, capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr
    after = fingerprint(work)
    assert after["people"][0] == before["people"][0] + rows and after != before


# ------------------------------------------------------------------------------------------- a second process


@pytest.fixture
def holder(demo_db_file, tmp_path):
    """Another process holding a copy of the demo database open, as a running dashboard would."""
    path = tmp_path / "held.duckdb"
    shutil.copy(demo_db_file, path)
    code = "import sys, time; from lib import db; c = db.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield path, proc
    finally:
        proc.kill()
        proc.wait()


def test_a_second_process_is_told_which_process_holds_the_file_and_what_to_do(holder, tmp_path):
    path, proc = holder
    with pytest.raises(db.DatabaseBusy) as refused:
        db.connect(path)
    assert refused.value.pid == proc.pid
    for args in (["stats"], ["backup", str(tmp_path / "b.duckdb")], ["restore", str(path), "--yes"]):
        result = run_cli(*args, env_db=path)
        assert result.returncode == 2 and not result.stdout
        message = result.stderr
        assert message.startswith(f"error: The database {path} is in use by another program (process {proc.pid}: ")
        assert "time.sleep(60)" in message  # its command line
        assert "Stop that program first" in message and "Backups page of the running dashboard" in message
        assert "Traceback" not in message
    assert not (tmp_path / "b.duckdb").exists()


def test_the_app_shows_a_held_database_as_a_page_not_a_traceback(holder, monkeypatch):
    path, proc = holder
    monkeypatch.setenv("ALI_DB", str(path))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    [error] = at.error
    assert "cannot open its database" in error.value and f"process {proc.pid}" in error.value
    assert str(path) not in error.value  # a visitor learns nothing of the server's files


# ------------------------------------------------------------------------------------------- refusals


@pytest.fixture
def live(demo_db_file, tmp_path) -> tuple[Path, Path]:
    """A copy of the demo database and a backup of it, both closed."""
    path, copy = tmp_path / "live.duckdb", tmp_path / "copy.duckdb"
    shutil.copy(demo_db_file, path)
    conn = db.connect(path)
    backup.backup(conn, copy, "test")
    conn.close()
    return path, copy


def test_restore_asks_first_and_refuses_without_a_terminal(live, tmp_path):
    path, copy = live
    before = fingerprint(path)
    refused = run_cli("restore", str(copy), env_db=path)
    assert refused.returncode == 2 and "Add --yes" in refused.stderr and "not a terminal" in refused.stderr
    assert "program years: 2023-24, 2024-25, 2025-26" in refused.stdout  # what it holds was shown first
    assert fingerprint(path) == before and not (tmp_path / "backups").exists()
    for answer, code in (("n\n", 1), ("y\n", 0)):
        controller, terminal = pty.openpty()
        os.write(controller, answer.encode())
        try:
            asked = run_cli("restore", str(copy), env_db=path, stdin=terminal)
        finally:
            os.close(terminal)
            os.close(controller)
        assert asked.returncode == code, asked.stderr
        assert f"Replace {path} with {copy}? [y/N]" in asked.stdout
    assert "Restored" in asked.stdout and len(list((tmp_path / "backups").iterdir())) == 1


def test_restore_refuses_what_is_not_a_backup_of_this_dashboard(live, tmp_path):
    path, copy = live
    before = fingerprint(path)
    junk = tmp_path / "notes.duckdb"
    junk.write_text("Meeting notes, not a database\n" * 50)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t AS SELECT 1 AS x").close()
    future = tmp_path / "future.duckdb"
    shutil.copy(copy, future)
    conn = duckdb.connect(str(future))
    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'from_the_future')")
    conn.close()
    expected = {junk: "notes.duckdb is not a DuckDB database file",
                other: "other.duckdb is a DuckDB database but not one of this dashboard: it has no schema_migrations",
                future: "future.duckdb comes from a newer version of this dashboard: it has migration(s) 099",
                tmp_path / "missing.duckdb": "missing.duckdb: no such file"}
    for file, message in expected.items():
        result = run_cli("restore", str(file), "--yes", env_db=path)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert fingerprint(path) == before and not (tmp_path / "backups").exists()


def test_backup_refuses_to_overwrite_and_writes_nothing_half_done(live, tmp_path):
    path, copy = live
    kept = copy.read_bytes()
    refused = run_cli("backup", str(copy), env_db=path)
    assert refused.returncode == 2 and "already exists" in refused.stderr and copy.read_bytes() == kept
    missing = run_cli("backup", str(tmp_path / "no" / "such" / "b.duckdb"), env_db=path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    again = run_cli("backup", str(copy), "--overwrite", env_db=path)
    assert again.returncode == 0 and restore.check(copy)["people"] == 454
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left behind
    with pytest.raises(ValueError, match="control character"):
        restore.check(tmp_path / "a\nb.duckdb")


def test_list_backups_newest_first(tmp_path):
    folder = tmp_path / "kept"
    assert backup.list_backups(folder) == []
    folder.mkdir()
    for n, name in enumerate(["ali-backup-1.duckdb", "ali-before-restore-2.duckdb", ".half.duckdb.partial",
                              "notes.txt", "ali-uploaded-x-3.duckdb"]):
        (folder / name).write_bytes(b"x" * (n + 1))
        os.utime(folder / name, (1_700_000_000 + n, 1_700_000_000 + n))
    found = backup.list_backups(folder)
    assert [f.name for f in found] == ["ali-uploaded-x-3.duckdb", "ali-before-restore-2.duckdb", "ali-backup-1.duckdb"]
    assert [f.kind for f in found] == ["uploaded", "automatic, before a restore", "made by hand"]
    assert found[0].bytes == 5


# ------------------------------------------------------------------------------------------- the page


@pytest.fixture
def page_folder(demo_conn, tmp_path, monkeypatch) -> Path:
    """The real router on a private copy of the demo, backups going to a folder of the test's own."""
    folder = tmp_path / "page-backups"
    monkeypatch.setenv("ALI_BACKUP_DIR", str(folder))
    demo_conn.close()
    st.cache_resource.clear()
    st.cache_data.clear()
    return folder


def _backups_page():
    """The Backups page opened by the chair."""
    at = open_page(app("chair"), "pages/backups.py")
    assert not at.exception, at.exception
    return at


def test_the_backups_page_makes_a_backup_to_download(page_folder):
    at = _backups_page()
    assert at.title[0].value == "Backups" and "No backups yet" in texts(at)
    next(b for b in at.button if b.label == "Make a backup now").click().run()
    assert not at.exception, at.exception
    [made] = backup.list_backups(page_folder)
    assert f"Backup made: {made.name}" in texts(at) and made.path.stat().st_mode & 0o777 == 0o600
    assert restore.check(made.path)["people"] == 454
    labels = [b.proto.label for b in at.get("download_button")]
    assert f"Download {made.name}" in labels and any(label.startswith(made.name) for label in labels)
    assert query("SELECT actor, entity_id FROM audit_log WHERE action = 'backup.create'") == [("chair", made.name)]


def test_the_backups_page_restores_after_the_confirmation(page_folder):
    at = _backups_page()
    next(b for b in at.button if b.label == "Make a backup now").click().run()
    [made] = backup.list_backups(page_folder)
    users_before = query("SELECT username FROM users ORDER BY 1")
    conn = db.connect()
    try:
        auth.add_user(conn, "newcomer", "New Comer", PASSWORD, role="committee")
    finally:
        conn.close()
    at.run()
    assert at.selectbox(key="restore_choice").value == made.name
    assert "program years: 2023-24, 2024-25, 2025-26" in texts(at)
    assert at.button(key="restore_button").disabled  # not without the confirmation
    at.checkbox(key="restore_confirm").check().run()
    assert not at.button(key="restore_button").disabled
    at.button(key="restore_button").click().run()
    assert not at.exception, at.exception
    undo = next(f for f in backup.list_backups(page_folder) if f.name.startswith(backup.BEFORE_RESTORE))
    shown = texts(at)
    assert f"Restored test.duckdb from {made.name}" in shown and undo.name in shown
    assert query("SELECT username FROM users ORDER BY 1") == users_before
    assert restore.check(undo.path)["users"] == len(users_before) + 1  # the restore can be undone
    assert at.title[0].value == "Backups"  # still logged in: the chair is in the restored database
    assert query("SELECT actor FROM audit_log WHERE action = 'backup.restore'") == [("chair",)]


def test_the_backups_page_refuses_an_upload_that_is_not_a_backup(page_folder):
    from lib.admin import backup as lib_backup, restore as lib_restore

    with pytest.raises(ValueError, match="notes.duckdb is not a DuckDB database file"):
        lib_restore.save_upload(b"not a database" * 100, "notes.duckdb", page_folder)
    assert lib_backup.list_backups(page_folder) == [] and not [p for p in page_folder.iterdir()]
    path = page_folder / "good.duckdb"
    conn = db.connect()
    try:
        lib_backup.backup(conn, path, "test")
    finally:
        conn.close()
    kept, held = lib_restore.save_upload(path.read_bytes(), "my backup (2).duckdb", page_folder)
    assert kept.name.startswith("ali-uploaded-my-backup-2-") and held["people"] == 454 and held["path"] == kept


def test_a_session_whose_connection_a_restore_closed_opens_the_file_again(page_folder):
    from ui import cache

    cache.connection().close()  # what a restore in another session does to the process's one connection
    assert db.scalar(cache.cursor(), "SELECT count(*) FROM people") == 454


def test_the_next_nightly_run():
    from datetime import datetime, time

    assert backup.next_run(datetime(2026, 11, 28, 1, 0), time(2, 0)) == datetime(2026, 11, 28, 2, 0)
    assert backup.next_run(datetime(2026, 11, 28, 2, 0), time(2, 0)) == datetime(2026, 11, 29, 2, 0)
    assert backup.next_run(datetime(2026, 12, 31, 23, 0), time(2, 0)) == datetime(2027, 1, 1, 2, 0)


def test_nightly_backups_keep_the_newest_and_never_touch_others(demo_conn, tmp_path):
    import os

    folder = tmp_path / "nightly"
    manual = backup.backup(demo_conn, backup.backup_name(folder), "chair").path
    made = []
    for night in range(4):
        made.append(backup.nightly_once(demo_conn, folder, keep=2).path)
        os.utime(made[-1], (1_700_000_000 + night * 86_400,) * 2)  # one night apart
    left = {f.name for f in backup.list_backups(folder)}
    assert left == {manual.name, made[-1].name, made[-2].name}
    assert restore.check(made[-1])["people"] == demo_conn.execute("SELECT count(*) FROM people").fetchall()[0][0]
    assert [f.kind for f in backup.list_backups(folder) if f.name == made[-1].name] == ["nightly, by the running dashboard"]


def test_the_nightly_setting(monkeypatch):
    from datetime import time

    from lib.settings import get_settings

    monkeypatch.setenv("ALI_BACKUP_AT", "")
    assert get_settings().backup_time is None
    monkeypatch.setenv("ALI_BACKUP_AT", "3:30")
    assert get_settings().backup_time == time(3, 30)
    monkeypatch.setenv("ALI_BACKUP_AT", "midnight")
    with pytest.raises(ValueError, match="ALI_BACKUP_AT"):
        get_settings().backup_time


def test_the_running_dashboard_makes_its_nightly_backup(demo_db_file, tmp_path, monkeypatch):
    """The thread the dashboard starts waits for the set time, then backs up through the process's connection."""
    from datetime import datetime, timedelta

    monkeypatch.setattr(backup, "_nightly_thread", None)
    path = tmp_path / "live.duckdb"
    shutil.copy(demo_db_file, path)
    conn = db.connect(path)
    folder = tmp_path / "nightly"
    at = (datetime.now() + timedelta(seconds=2)).time()
    thread = backup.start_nightly(conn.cursor, folder, at, keep=3)
    assert thread is not None and thread.daemon
    assert backup.start_nightly(conn.cursor, folder, at, keep=3) is thread  # once per process
    for _ in range(100):
        made = [f for f in backup.list_backups(folder) if f.name.startswith(backup.NIGHTLY)]
        if made:
            break
        time.sleep(0.2)
    assert made and restore.check(made[0].path)["people"] == conn.execute("SELECT count(*) FROM people").fetchall()[0][0]
    assert backup.start_nightly(conn.cursor, folder, None, keep=3) is thread
