"""The DuckDB file: connecting, numbered migrations and explicit transactions."""
from __future__ import annotations

import importlib
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import duckdb

from .settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.(sql|py)$")


class DatabaseBusy(RuntimeError):
    """Raised when another process (usually the running dashboard) holds the database file."""

    pid: int | None = None  # the process holding it, when DuckDB names it


class ConflictError(RuntimeError):
    """Raised when a row changed since it was read (another committee member saved first)."""


def private_files() -> None:
    """Make every file this process creates from now on readable by its owner only.

    The database holds password hashes, every email and consent answer; its write-ahead log, backups and
    exports hold the same. Called once by each entry point (the app, the command line).
    """
    if os.name == "posix":
        os.umask(0o077)


def connect(path: Path | str | None = None, *, migrate_now: bool = True,
            files: Sequence[Path | str] | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database file (creating it and its folder, private to their owner) and bring its schema up to date.

    With `files`, the connection is then locked down (see lock_down): SQL on it reaches no file but the database
    and those folders. The app and the command line open it so; tests open it either way.
    """
    path = Path(path) if path is not None else get_settings().db_path
    created = str(path) != ":memory:" and not path.exists()
    if str(path) != ":memory:" and not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    try:
        conn = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        # DuckDB lets one process write a file; the dashboard keeps it open while it runs.
        pid, program = _lock_holder(str(exc))
        busy = DatabaseBusy(
            f"The database {path} is in use by another program "
            f"({f'process {pid}: {program}' if pid else 'usually the running dashboard'}). Stop that program "
            "first, or make backups and restores from the Backups page of the running dashboard instead of the "
            "command line, or point ALI_DB at another file.")
        busy.pid = pid
        raise busy from exc
    if created and os.name == "posix":
        os.chmod(path, 0o600)
    if migrate_now:
        migrate(conn)
    if files is not None:
        lock_down(conn, files)
    return conn


def lock_down(conn: duckdb.DuckDBPyConnection, folders: Sequence[Path | str] = ()) -> None:
    """Turn off DuckDB's access to files (but for these folders) and lock the configuration for good.

    Every query is parameterised, so no one's text should ever reach SQL; this is the second line: were a view,
    a macro or a query ever to ask for read_text('/etc/passwd') or to ATTACH another file, DuckDB refuses. The
    database's own file, write-ahead log and spill files are unaffected. Backups need their folder (ATTACH and
    COPY FROM DATABASE write there); nothing else the dashboard does reads or writes files through DuckDB.
    """
    allowed = sorted({str(Path(folder).expanduser().absolute()).rstrip("/") + "/" for folder in folders})
    locked, external = first(conn.execute(
        "SELECT current_setting('lock_configuration'), current_setting('enable_external_access')").fetchall())
    if locked:
        # DuckDB keeps one instance per file and process while any cursor of it lives (a background index
        # build, say): reopening the file after a cache was cleared meets the instance locked down before.
        if external:
            raise RuntimeError("the database's configuration is locked with external access on")
        return
    if allowed:
        conn.execute("SET allowed_directories = ?", [allowed])
    conn.execute("SET enable_external_access = false")
    conn.execute("SET lock_configuration = true")


def _lock_holder(message: str) -> tuple[int | None, str | None]:
    """The PID DuckDB says holds the file's lock, and that process's command line where /proc shows it."""
    found = re.search(r"held in (.*?) \(PID (\d+)\)", message)
    if not found:
        return None, None
    program, pid = found.group(1), int(found.group(2))
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        program = " ".join(w.decode(errors="replace") for w in words) or program
    except OSError:
        pass  # not Linux, or the process just ended: DuckDB's executable name is all there is
    return pid, program if len(program) <= 160 else program[:157] + "..."


def migrations() -> list[tuple[int, str, Path]]:
    """List the migration files in order as (number, name, path)."""
    found = []
    for path in sorted(MIGRATIONS_DIR.iterdir()):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), match.group(2), path))
    numbers = [n for n, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise RuntimeError(f"Two migrations share a number in {MIGRATIONS_DIR}")
    return found


def applied_migrations(conn: duckdb.DuckDBPyConnection) -> list[int]:
    """Return the numbers of the migrations recorded in this database."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    return [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()]


def migrate(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations this database has not recorded yet, each in its own transaction."""
    done = set(applied_migrations(conn))
    applied = []
    for number, name, path in migrations():
        if number in done:
            continue
        with transaction(conn):
            apply_migration(conn, path)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [number, name])
        applied.append(f"{number:03d}_{name}")
    return applied


def apply_migration(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Run one migration file (inside the caller's transaction) without recording it."""
    if path.suffix == ".sql":
        conn.execute(path.read_text(encoding="utf-8"))
    else:
        importlib.import_module(f"lib.migrations.{path.stem}").apply(conn)


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: all of it is written, or none of it."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextmanager
def writing(conn: duckdb.DuckDBPyConnection, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction whose commit, refused because another writer got there first, reads as a conflict."""
    try:
        with transaction(conn):
            yield conn
    except duckdb.TransactionException as exc:
        raise ConflictError(f"Someone else changed {what} at the same moment; nothing was saved. "
                            "Reload and try again.") from exc
    except duckdb.ConstraintException as exc:
        # Two writers inserting the same new key (say, the same attendance mark) at once: the second insert
        # sees the first's uncommitted row. Anything else breaking a constraint is a bug and stays an error.
        if "Duplicate key" not in str(exc):
            raise
        raise ConflictError(f"Someone else changed {what} at the same moment; nothing was saved. "
                            "Reload and try again.") from exc


def saved_since(what: str, by: str | None, at) -> ConflictError:
    """The refusal of a save made on an older version of a text: who saved it since, and when."""
    who = f" by {by}" if by else ""
    when = f" at {at:%b %d %H:%M}" if at else ""
    return ConflictError(f"{what} was saved{who}{when} since you opened it; nothing was saved. Reload to see their "
                         "text, then redo your change.")


def first(rows: list[tuple]) -> tuple | None:
    """Return the first row of a fully fetched result, or None.

    DuckDB 2 refuses further work on a connection while a result is only partly fetched,
    so every query is fetched whole and this picks its first row.
    """
    return rows[0] if rows else None


def scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: list | tuple = ()) -> object:
    """Return the first column of the first row of a parameterised query, or None."""
    row = first(conn.execute(sql, params).fetchall())
    return row[0] if row else None


def audit(conn: duckdb.DuckDBPyConnection, actor: str, action: str, entity: str | None = None,
          entity_id: object = None, detail: dict | None = None) -> None:
    """Record who did what in the audit log (inside the caller's transaction)."""
    import json

    conn.execute(
        "INSERT INTO audit_log (actor, action, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?)",
        [actor, action, entity, None if entity_id is None else str(entity_id),
         None if detail is None else json.dumps(detail, default=str, ensure_ascii=False)],
    )
