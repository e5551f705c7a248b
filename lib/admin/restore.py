"""Checking a backup and restoring it: a backup is untrusted data, never code.

A backup can come from anywhere (an email, a shared drive), and a DuckDB file can hold more than rows: views
that read files, macros that replace built-in functions, types, sequences, schemas. So a backup is never opened
as the app's database. It is read through a connection that can reach no file but the backup itself, its
catalog is compared with the schema this dashboard's own migrations build at the backup's migration level (any
object that schema lacks is refused, named), and a restore builds a new database with those migrations and
copies into it only the rows of the known tables and columns. That new file then gets the newer migrations,
and replaces the database.
"""
from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import duckdb

from .. import db
from ..settings import get_settings
from . import backup

UPLOADED = backup.UPLOADED
# Tables every database of this dashboard has had since its first migration: a file without them is not one.
REQUIRED_TABLES = ("schema_migrations", "people", "cycles", "survey_responses", "applications", "users", "audit_log")
# Reading a backup is bounded: DuckDB spills past this instead of growing, and uses at most two threads.
MEMORY_LIMIT = "1GB"
THREADS = 2
# A sequence is moved to the backup's position one value at a time; a position no real database reaches is
# refused rather than spending minutes on it.
MAX_SEQUENCE = 100_000_000


@dataclass(frozen=True)
class Restored:
    """A finished restore: the database replaced, the backup it now holds and the copy that undoes it."""

    database: Path
    source: Path
    undo: Path | None
    held: dict
    migrated: list[str]
    seconds: float


# ------------------------------------------------------------------------------------------- the catalog


def _sandbox(*files: Path, database: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A connection (in memory, or to a new database file) that can reach no file but these; bounded in memory."""
    conn = duckdb.connect(":memory:" if database is None else str(database),
                          config={"threads": THREADS, "memory_limit": MEMORY_LIMIT})
    conn.execute("SET allowed_paths = ?", [[str(p) for f in files for p in (f, Path(f"{f}.wal"))]])
    conn.execute("SET enable_external_access = false")
    conn.execute("SET lock_configuration = true")
    return conn


def _catalog(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, dict[str, object]]:
    """Every object of one database, by kind: name -> what defines it (columns, constraints, function type)."""
    def rows(sql: str) -> list[tuple]:
        """The rows of one catalog query about this database."""
        return conn.execute(sql, [catalog]).fetchall()

    found: dict[str, dict[str, object]] = {
        "schema": {name: None for (name,) in rows(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = ? AND NOT internal")},
        "view": {f"{s}.{n}": None for s, n in rows(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal")},
        "macro": {f"{s}.{n}": kind for s, n, kind in rows(
            "SELECT DISTINCT schema_name, function_name, function_type FROM duckdb_functions()"
            " WHERE database_name = ? AND NOT internal")},
        "type": {f"{s}.{n}": None for s, n in rows(
            "SELECT schema_name, type_name FROM duckdb_types() WHERE database_name = ? AND NOT internal")},
        "sequence": {f"{s}.{n}": None for s, n in rows(
            "SELECT schema_name, sequence_name FROM duckdb_sequences() WHERE database_name = ?")},
        "index": {f"{s}.{n}": None for s, n in rows(
            "SELECT schema_name, index_name FROM duckdb_indexes() WHERE database_name = ?")},
        "table": {},
    }
    columns: dict[str, list[tuple]] = {}
    for schema, table, column, kind, default, nullable in rows(
            "SELECT c.schema_name, c.table_name, c.column_name, c.data_type, c.column_default, c.is_nullable"
            " FROM duckdb_columns() c JOIN duckdb_tables() t ON t.database_name = c.database_name"
            " AND t.schema_name = c.schema_name AND t.table_name = c.table_name"
            " WHERE c.database_name = ? ORDER BY c.schema_name, c.table_name, c.column_index"):
        columns.setdefault(f"{schema}.{table}", []).append((column, kind, default, nullable))
    constraints: dict[str, list[tuple]] = {}
    for schema, table, kind, text in rows(
            "SELECT schema_name, table_name, constraint_type, constraint_text FROM duckdb_constraints()"
            " WHERE database_name = ? ORDER BY ALL"):
        constraints.setdefault(f"{schema}.{table}", []).append((kind, text))
    for schema, table in rows("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?"):
        name = f"{schema}.{table}"
        found["table"][name] = (tuple(columns.get(name, ())), tuple(constraints.get(name, ())))
    return found


@lru_cache(maxsize=8)
def expected(levels: tuple[int, ...]) -> dict[str, dict[str, object]]:
    """The catalog this dashboard's own migrations build at these migration numbers (in a throwaway database)."""
    paths = {number: path for number, _, path in db.migrations()}
    conn = duckdb.connect()
    try:
        db.applied_migrations(conn)
        for number in levels:
            with db.transaction(conn):
                db.apply_migration(conn, paths[number])
        return _catalog(conn, db.scalar(conn, "SELECT current_database()"))
    finally:
        conn.close()


def _differences(found: dict, wanted: dict) -> list[str]:
    """What a backup's catalog has that the dashboard's schema does not (or lacks, or defines otherwise)."""
    problems = []
    for kind in ("schema", "table", "view", "macro", "type", "sequence", "index"):
        for name in sorted(set(found[kind]) - set(wanted[kind])):
            what = f"{found[kind][name].replace('_', ' ')}" if kind == "macro" else kind
            problems.append(f"{what} {name}")
    for name in sorted(set(wanted["table"]) - set(found["table"])):
        problems.append(f"no table {name}")
    for name in sorted(set(found["table"]) & set(wanted["table"])):
        (have, have_rules), (want, want_rules) = found["table"][name], wanted["table"][name]
        by_name, wanted_by_name = {c[0]: c for c in have}, {c[0]: c for c in want}
        for column in by_name.keys() - wanted_by_name.keys():
            problems.append(f"column {name}.{column} (unknown)")
        for column in wanted_by_name.keys() - by_name.keys():
            problems.append(f"no column {name}.{column}")
        for column in by_name.keys() & wanted_by_name.keys():
            if by_name[column] != wanted_by_name[column]:
                _, kind, default, _ = by_name[column]
                problems.append(f"column {name}.{column} defined otherwise ({kind}"
                                f"{f', computed as {default}' if default else ''})")
        if have_rules != want_rules:
            problems.append(f"constraints of {name} that differ")
    return problems


def _listed(problems: list[str], limit: int = 8) -> str:
    """A few problems in one line, with how many more."""
    shown = "; ".join(problems[:limit])
    return shown + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")


# ------------------------------------------------------------------------------------------- checking a backup


def check(path: Path | str) -> dict:
    """Read a backup through a sandboxed connection and say what it holds; refuse anything but this dashboard's data."""
    path = backup.checked_path(path, "backup")
    if not path.is_file():
        raise ValueError(f"{path}: no such file.")
    if Path(f"{path}.wal").exists():
        raise ValueError(f"{path.name} has an unfinished write-ahead log beside it ({path.name}.wal), so the file "
                         "alone is not the whole database. Make backups with the Backups page or "
                         "`python -m lib backup`, which write one complete file.")
    conn = _sandbox(path)
    alias = backup.fresh_alias()
    try:
        try:
            conn.execute(f"ATTACH ? AS {alias} (TYPE DUCKDB, READ_ONLY)", [str(path)])
        except duckdb.Error as exc:
            raise ValueError(_unreadable(path, str(exc))) from exc
        found = _catalog(conn, alias)
        # A view standing in for a table counts here, so that the refusal below names it for what it is.
        named = {name.removeprefix("main.") for name in [*found["table"], *found["view"]] if name.startswith("main.")}
        missing = [name for name in REQUIRED_TABLES if name not in named]
        if missing:
            raise ValueError(f"{path.name} is a DuckDB database but not one of this dashboard: it has no "
                             f"{', '.join(missing)} table(s). Choose a backup made by the Backups page or "
                             "`python -m lib backup`.")
        try:
            applied = [int(row[0]) for row in conn.execute(
                f"SELECT version FROM {alias}.main.schema_migrations ORDER BY version").fetchall()]
        except (duckdb.Error, TypeError, ValueError) as exc:
            raise ValueError(f"{path.name} has a schema_migrations table this dashboard cannot read: {exc}") from exc
        known = {number: f"{number:03d}_{name}" for number, name, _ in db.migrations()}
        newer = [number for number in applied if number not in known]
        if newer:
            raise ValueError(
                f"{path.name} comes from a newer version of this dashboard: it has migration(s) "
                f"{', '.join(f'{n:03d}' for n in newer)}, and this version knows only up to {max(known):03d}. "
                "Update the dashboard first, then restore it.")
        problems = _differences(found, expected(tuple(applied)))
        if problems:
            raise ValueError(
                f"{path.name} cannot be restored: besides this dashboard's tables it holds {_listed(problems)}. "
                "A backup is checked as a file from anywhere, and only a database exactly as this dashboard's own "
                "migrations make it is restored. Choose a backup made by the Backups page or `python -m lib backup`.")
        counts = backup.row_counts(conn, alias)
        cycles = [row[0] for row in conn.execute(f"SELECT name FROM {alias}.main.cycles ORDER BY name").fetchall()]
        last_change = db.scalar(conn, f"SELECT max(happened_at) FROM {alias}.main.audit_log")
    finally:
        conn.close()
    stat = path.stat()
    return {"path": path, "bytes": stat.st_size, "modified": datetime.fromtimestamp(stat.st_mtime),
            "migrations": [known[n] for n in applied], "levels": tuple(applied),
            "pending": [label for number, label in sorted(known.items()) if number not in applied],
            "tables": counts, "rows": sum(counts.values()), "cycles": cycles, "people": counts["people"],
            "users": counts["users"], "last_change": last_change}


def _unreadable(path: Path, message: str) -> str:
    """Say in plain words why DuckDB could not open a file as a database."""
    if "not a valid DuckDB database" in message:
        return (f"{path.name} is not a DuckDB database file. Choose a backup made by the Backups page or "
                "`python -m lib backup` (a .duckdb file).")
    if re.search(r"version|newer", message, re.IGNORECASE):
        return (f"{path.name} was written by another version of DuckDB than this dashboard's ({duckdb.__version__}) "
                f"and cannot be read here ({message}). Update the dashboard, then restore it.")
    if "lock" in message.lower():
        return f"{path.name} is open in another program; close it there first."
    return f"{path.name} cannot be opened as a database: {message}"


def describe(held: dict) -> list[str]:
    """What a checked backup holds, as lines for people (the command line and the Backups page)."""
    years = ", ".join(held["cycles"]) or "none"
    lines = [f"{held['path'].name}: {held['bytes']:,} bytes, saved {held['modified']:%Y-%m-%d %H:%M}",
             f"program years: {years}",
             (f"people: {held['people']:,}; committee users: {held['users']}; "
              f"{held['rows']:,} rows in {len(held['tables'])} tables"),
             f"last change recorded: {held['last_change']:%Y-%m-%d %H:%M}" if held["last_change"]
             else "last change recorded: none",
             f"migrations: {held['migrations'][0][:3]}-{held['migrations'][-1][:3]}" if held["migrations"]
             else "migrations: none"]
    if held["pending"]:
        lines.append(f"older than this version: {len(held['pending'])} migration(s) will bring it up to date after "
                     f"the restore ({', '.join(held['pending'])})")
    return lines


def save_upload(data: bytes, file_name: str, folder: Path | str) -> tuple[Path, dict]:
    """Keep an uploaded backup in the folder once it checks out; return its path and what it holds."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(file_name).stem).strip(".-")[:60] or "backup"
    final = backup.backup_name(folder, f"{UPLOADED}{stem}-")
    partial = final.parent / f".{final.name}.{uuid.uuid4().hex[:8]}{backup.PARTIAL}"
    try:
        partial.write_bytes(data)
        os.chmod(partial, 0o600)
        held = check(partial)
        os.replace(partial, final)
    except ValueError as exc:
        backup.discard(partial)
        raise ValueError(str(exc).replace(partial.name, file_name)) from None
    except OSError as exc:
        backup.discard(partial)
        raise ValueError(f"Cannot keep the uploaded file in {final.parent}: {exc.strerror or exc}") from exc
    except BaseException:
        backup.discard(partial)
        raise
    return final, held | {"path": final}


# ------------------------------------------------------------------------------------------- restoring


def _rebuild(source: Path, out: Path, held: dict, actor: str, detail: dict) -> list[str]:
    """Build a new database at `out`: the backup's migrations, its rows of the known tables, then newer migrations."""
    levels, wanted = held["levels"], expected(held["levels"])
    paths = {number: path for number, _, path in db.migrations()}
    conn = _sandbox(source, database=out)
    try:
        db.applied_migrations(conn)
        for number in levels:
            with db.transaction(conn):
                db.apply_migration(conn, paths[number])
        alias = backup.fresh_alias()
        conn.execute(f"ATTACH ? AS {alias} (TYPE DUCKDB, READ_ONLY)", [str(source)])
        try:
            with db.transaction(conn):
                for name, (columns, _) in wanted["table"].items():
                    schema, table = name.split(".", 1)
                    target = f"{backup.identifier(schema)}.{backup.identifier(table)}"
                    names = ", ".join(backup.identifier(column[0]) for column in columns)
                    # Rows the migrations seeded (reference data) give way to the backup's own.
                    conn.execute(f"DELETE FROM {target}")
                    conn.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM {alias}.{target}")
                _align_sequences(conn, alias, wanted)
        finally:
            conn.execute(f"DETACH {alias}")
        migrated = db.migrate(conn)
        with db.transaction(conn):
            db.audit(conn, actor, "backup.restore", "backup", source.name,
                     {"file": str(source), "rows": held["rows"], "tables": len(held["tables"]), "migrated": migrated}
                     | detail)
        conn.execute("CHECKPOINT")
        return migrated
    finally:
        conn.close()


def _align_sequences(conn: duckdb.DuckDBPyConnection, alias: str, wanted: dict) -> None:
    """Move each known sequence to the backup's position, so new ids follow the restored rows."""
    here = dict(conn.execute("SELECT schema_name || '.' || sequence_name, last_value FROM duckdb_sequences()"
                             " WHERE database_name = current_database()").fetchall())
    there = dict(conn.execute("SELECT schema_name || '.' || sequence_name, last_value FROM duckdb_sequences()"
                              " WHERE database_name = ?", [alias]).fetchall())
    for name in wanted["sequence"]:
        target, current = there.get(name), here.get(name) or 0
        if target is None or target <= current:
            continue
        if target > MAX_SEQUENCE:
            raise ValueError(f"the backup's sequence {name} stands at {target:,}, which no database of this "
                             "dashboard reaches; not restored.")
        # DuckDB has no setval, and a sequence a column's default uses cannot be replaced.
        conn.execute("SELECT max(nextval(?)) FROM range(?)", [name.split(".", 1)[1], target - current]).fetchall()


def restore_file(backup_path: Path | str, db_path: Path | str | None = None, *, actor: str = "cli",
                 conn: duckdb.DuckDBPyConnection | None = None, undo_dir: Path | str | None = None) -> Restored:
    """Replace the database with a new one holding a checked backup's rows, after an automatic backup of it; audit.

    With `conn` (the running app's one connection to db_path) the automatic backup is made through it and
    it is then closed: the caller must open a new connection afterwards. Without it the database is opened
    here, which fails with lib.db.DatabaseBusy while another process (the running app) holds it.
    """
    started = time.perf_counter()
    source = backup.checked_path(backup_path, "backup")
    target = backup.checked_path(db_path or get_settings().db_path, "database")
    if backup.same_file(source, target):
        raise ValueError(f"{source} is the database itself; choose a backup to restore.")
    held = check(source)
    undo_folder = Path(undo_dir) if undo_dir is not None else get_settings().backup_dir
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}{backup.PARTIAL}"
    current, stamp = conn, uuid.uuid4().hex
    try:
        if current is None and target.exists():
            try:
                current = db.connect(target, migrate_now=False)
            except duckdb.Error:
                current = None  # a damaged database cannot be opened: its undo copy is the raw file below
        undo = _undo_copy(current, target, undo_folder, actor)
        try:
            migrated = _rebuild(source, partial, held, actor, {"undo": str(undo) if undo else None, "stamp": stamp})
            os.chmod(partial, 0o600)
            backup.sync(partial)
        except duckdb.Error as exc:
            raise ValueError(f"{source.name} could not be copied into a new database: {exc}") from exc
        except OSError as exc:
            raise ValueError(f"Cannot write the restored database beside {target.name}: {exc.strerror or exc}") \
                from exc
        # The database stays open (locked against other programs) until the moment its file is replaced.
        if current is not None:
            current.close()
            current = None
        # A write-ahead log left by the old file would be replayed into the new one: it belongs to the old
        # file, whose every committed change the undo copy above already holds.
        Path(f"{target}.wal").unlink(missing_ok=True)
        os.replace(partial, target)
        backup.sync(target.parent)
    except BaseException:
        backup.discard(partial)
        if current is not None and conn is None:
            current.close()
        raise
    restored = db.connect(target, migrate_now=False)
    try:
        # DuckDB hands a process the database it already has open under that path: were any other connection
        # to the old file still open here, this one would be to the old file too, and the restore invisible.
        if not db.scalar(restored, "SELECT count(*) FROM audit_log WHERE action = 'backup.restore'"
                         " AND json_extract_string(detail, '$.stamp') = ?", [stamp]):
            raise RuntimeError(f"{source.name} was copied into place as {target}, but this process still reads the "
                               "old database through another connection. Restart the dashboard to use the restored "
                               "data.")
    finally:
        restored.close()
    return Restored(target, source, undo, held, migrated, time.perf_counter() - started)


def _undo_copy(conn: duckdb.DuckDBPyConnection | None, target: Path, folder: Path, actor: str) -> Path | None:
    """Back up the database about to be replaced (a raw copy when it cannot be opened); None when there is none."""
    if conn is not None:
        return backup.backup(conn, backup.backup_name(folder, backup.BEFORE_RESTORE), actor).path
    if not target.exists():
        return None
    undo = backup.backup_name(folder, backup.BEFORE_RESTORE)
    try:
        shutil.copyfile(target, undo)
        os.chmod(undo, 0o600)
        if Path(f"{target}.wal").exists():
            shutil.copyfile(f"{target}.wal", f"{undo}.wal")
    except OSError as exc:
        raise ValueError(f"Cannot save a copy of the current database before restoring: {exc.strerror or exc}") \
            from exc
    return undo
