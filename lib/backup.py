"""Backups of the database: a consistent copy while the app runs, checking a copy, and restoring one.

A backup is a complete DuckDB database file of its own (tables, rows, sequence positions), made by DuckDB's
`COPY FROM DATABASE` inside one read transaction, so writes that land meanwhile are either wholly in it or
not at all. A restore replaces the database file with a checked copy of a backup, after an automatic backup
of the database it replaces, and then brings the restored file's schema up to date.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

import duckdb

from . import db
from .settings import get_settings

SUFFIX = ".duckdb"
MANUAL = "ali-backup-"             # made by someone (the Backups page, `python -m lib backup FOLDER`)
BEFORE_RESTORE = "ali-before-restore-"  # made automatically before a restore, so a restore can be undone
UPLOADED = "ali-uploaded-"         # a backup uploaded on the Backups page, kept so it can be restored again
NIGHTLY = "ali-nightly-"           # made by the running dashboard every night (settings.backup_at)
_PARTIAL = ".partial"
# Tables every database of this dashboard has had since its first migration: a file without them is not one.
REQUIRED_TABLES = ("schema_migrations", "people", "cycles", "survey_responses", "applications", "users", "audit_log")


@dataclass(frozen=True)
class Backup:
    """A backup just written: where, how big, what it holds and how long it took."""

    path: Path
    bytes: int
    tables: int
    rows: int
    seconds: float
    table_rows: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BackupFile:
    """A backup found in a folder."""

    path: Path
    bytes: int
    modified: datetime

    @property
    def name(self) -> str:
        """The file name."""
        return self.path.name

    @property
    def kind(self) -> str:
        """Who made it: by hand, automatically before a restore, or uploaded."""
        if self.name.startswith(BEFORE_RESTORE):
            return "automatic, before a restore"
        if self.name.startswith(NIGHTLY):
            return "nightly, by the running dashboard"
        return "uploaded" if self.name.startswith(UPLOADED) else "made by hand"


@dataclass(frozen=True)
class Restored:
    """A finished restore: the database replaced, the backup it now holds and the copy that undoes it."""

    database: Path
    source: Path
    undo: Path | None
    held: dict
    migrated: list[str]
    seconds: float


# ------------------------------------------------------------------------------------------- names and paths


def _checked_path(path: Path | str, what: str) -> Path:
    """Refuse a path DuckDB could misread (a NUL or a line break in it); return it absolute."""
    text = str(path)
    if not text or any(c in text for c in "\0\n\r"):
        raise ValueError(f"The {what} path {text!r} has a control character in it; choose a plain file name.")
    return Path(text).expanduser().absolute()


def _identifier(name: str) -> str:
    """Quote a catalog name DuckDB itself reported (it follows the database file's name) as an identifier."""
    return '"' + name.replace('"', '""') + '"'


def _alias() -> str:
    """A fresh name to attach a file under (two backups at once must not share one)."""
    return f"ali_backup_{uuid.uuid4().hex[:12]}"


def backup_name(folder: Path | str, prefix: str = MANUAL) -> Path:
    """A new timestamped backup file name in the folder (created, private, when missing)."""
    folder = _checked_path(folder, "backup folder")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = folder / f"{prefix}{stamp}{SUFFIX}"
    number = 2
    while candidate.exists():
        candidate = folder / f"{prefix}{stamp}-{number}{SUFFIX}"
        number += 1
    return candidate


def _same_file(a: Path, b: Path) -> bool:
    """Tell whether two paths name the same existing file."""
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _sync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk, so a power cut cannot leave a renamed but empty file."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _discard(path: Path) -> None:
    """Remove a half-written file and any write-ahead log DuckDB left beside it."""
    for leftover in (path, Path(f"{path}.wal")):
        try:
            leftover.unlink()
        except OSError:
            pass  # nothing there, or it cannot go: the error that brought us here is the one to report


# ------------------------------------------------------------------------------------------- making a backup


def backup(conn: duckdb.DuckDBPyConnection, out: Path | str, actor: str, *, overwrite: bool = False) -> Backup:
    """Copy the open database into a new file, consistently even while others write; audit it."""
    started = time.perf_counter()
    out = _checked_path(out, "backup")
    if out.is_dir():
        raise ValueError(f"{out} is a folder; give a file name, or use backup_name() for a timestamped one.")
    if not out.parent.is_dir():
        raise ValueError(f"The folder {out.parent} does not exist; create it first or choose another.")
    if out.exists() and not overwrite:
        raise ValueError(f"{out} already exists. Choose another name (or a folder, for a new timestamped name); "
                         "a backup is never written over another unless asked.")
    cur = conn.cursor()
    try:
        catalog = db.scalar(cur, "SELECT current_database()")
        path = db.scalar(cur, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
        if path and _same_file(out, Path(path)):
            raise ValueError(f"{out} is the database itself; choose another file for the backup.")
        # A half-written backup never carries the final name: it is written under a temporary one beside it.
        partial = out.parent / f".{out.name}.{uuid.uuid4().hex[:8]}{_PARTIAL}"
        alias = _alias()
        try:
            # The path goes in as a parameter (DuckDB 2 binds ATTACH's path); the alias is generated above and
            # the catalog name comes from DuckDB itself, quoted as an identifier.
            cur.execute(f"ATTACH ? AS {alias} (TYPE DUCKDB)", [str(partial)])
            try:
                cur.execute(f"COPY FROM DATABASE {_identifier(catalog)} TO {alias}")
                counts = _row_counts(cur, alias)
            finally:
                cur.execute(f"DETACH {alias}")  # writes everything into the file and closes it
            os.chmod(partial, 0o600)
            _sync(partial)
            os.replace(partial, out)
            _sync(out.parent)
        except (OSError, duckdb.IOException) as exc:  # a folder not writable, a full disk
            _discard(partial)
            raise ValueError(f"Cannot write the backup {out}: {getattr(exc, 'strerror', None) or exc}") from exc
        except BaseException:
            _discard(partial)
            raise
    finally:
        cur.close()
    made = Backup(out, out.stat().st_size, len(counts), sum(counts.values()), time.perf_counter() - started, counts)
    with db.transaction(conn):
        db.audit(conn, actor, "backup.create", "backup", out.name,
                 {"file": str(out), "bytes": made.bytes, "tables": made.tables, "rows": made.rows})
    return made


def _row_counts(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    """Rows of every table of an attached database (names as DuckDB lists them, quoted)."""
    names = [row[0] for row in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main'"
        " AND table_type = 'BASE TABLE' ORDER BY table_name", [catalog]).fetchall()]
    return {name: db.scalar(conn, f"SELECT count(*) FROM {_identifier(catalog)}.main.{_identifier(name)}")
            for name in names}


# ------------------------------------------------------------------------------------------- checking a backup


def check(path: Path | str) -> dict:
    """Open a backup read-only and say what it holds; refuse a file that is not a database of this dashboard."""
    path = _checked_path(path, "backup")
    if not path.is_file():
        raise ValueError(f"{path}: no such file.")
    if Path(f"{path}.wal").exists():
        raise ValueError(f"{path.name} has an unfinished write-ahead log beside it ({path.name}.wal), so the file "
                         "alone is not the whole database. Make backups with the Backups page or "
                         "`python -m lib backup`, which write one complete file.")
    conn = duckdb.connect()
    alias = _alias()
    try:
        try:
            conn.execute(f"ATTACH ? AS {alias} (TYPE DUCKDB, READ_ONLY)", [str(path)])
        except duckdb.Error as exc:
            raise ValueError(_unreadable(path, str(exc))) from exc
        counts = _row_counts(conn, alias)
        missing = [name for name in REQUIRED_TABLES if name not in counts]
        if missing:
            raise ValueError(f"{path.name} is a DuckDB database but not one of this dashboard: it has no "
                             f"{', '.join(missing)} table(s). Choose a backup made by the Backups page or "
                             "`python -m lib backup`.")
        applied = [row[0] for row in conn.execute(
            f"SELECT version FROM {alias}.main.schema_migrations ORDER BY version").fetchall()]
        known = {number: f"{number:03d}_{name}" for number, name, _ in db.migrations()}
        newer = [number for number in applied if number not in known]
        if newer:
            raise ValueError(
                f"{path.name} comes from a newer version of this dashboard: it has migration(s) "
                f"{', '.join(f'{n:03d}' for n in newer)}, and this version knows only up to {max(known):03d}. "
                "Update the dashboard first, then restore it.")
        cycles = [row[0] for row in conn.execute(f"SELECT name FROM {alias}.main.cycles ORDER BY name").fetchall()]
        last_change = db.scalar(conn, f"SELECT max(happened_at) FROM {alias}.main.audit_log")
    finally:
        conn.close()
    stat = path.stat()
    return {"path": path, "bytes": stat.st_size, "modified": datetime.fromtimestamp(stat.st_mtime),
            "migrations": [known[n] for n in applied],
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


# ------------------------------------------------------------------------------------------- restoring


def restore_file(backup_path: Path | str, db_path: Path | str | None = None, *, actor: str = "cli",
                 conn: duckdb.DuckDBPyConnection | None = None, undo_dir: Path | str | None = None) -> Restored:
    """Replace the database file with a backup, after an automatic backup of it; migrate; audit.

    With `conn` (the running app's one connection to db_path) the automatic backup is made through it and
    it is then closed: the caller must open a new connection afterwards. Without it the database is opened
    here, which fails with lib.db.DatabaseBusy while another process (the running app) holds it.
    """
    started = time.perf_counter()
    source = _checked_path(backup_path, "backup")
    target = _checked_path(db_path or get_settings().db_path, "database")
    if _same_file(source, target):
        raise ValueError(f"{source} is the database itself; choose a backup to restore.")
    held = check(source)
    undo_folder = Path(undo_dir) if undo_dir is not None else get_settings().backup_dir
    partial = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}{_PARTIAL}"
    current = conn
    try:
        if current is None and target.exists():
            try:
                current = db.connect(target, migrate_now=False)
            except duckdb.Error:
                current = None  # a damaged database cannot be opened: its undo copy is the raw file below
        undo = _undo_copy(current, target, undo_folder, actor)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            shutil.copyfile(source, partial)
            os.chmod(partial, 0o600)
            _sync(partial)
        except OSError as exc:
            raise ValueError(f"Cannot copy {source.name} beside the database: {exc.strerror or exc}") from exc
        # The database stays open (locked against other programs) until the moment its file is replaced.
        if current is not None:
            current.close()
            current = None
        # A write-ahead log left by the old file would be replayed into the new one: it belongs to the old
        # file, whose every committed change the undo copy above already holds.
        Path(f"{target}.wal").unlink(missing_ok=True)
        os.replace(partial, target)
        _sync(target.parent)
    except BaseException:
        _discard(partial)
        if current is not None and conn is None:
            current.close()
        raise
    restored = db.connect(target, migrate_now=False)
    try:
        # DuckDB hands a process the database it already has open under that path: were any other connection
        # to the old file still open here, this one would be to the old file too, and the restore invisible.
        if _row_counts(restored, db.scalar(restored, "SELECT current_database()")) != held["tables"]:
            raise RuntimeError(f"{source.name} was copied into place as {target}, but this process still reads the "
                               "old database through another connection. Restart the dashboard to use the restored "
                               "data.")
        db.migrate(restored)  # an older backup is brought up to date
        migrated = [f"{n:03d}_{name}" for n, name, _ in db.migrations()
                    if f"{n:03d}_{name}" not in held["migrations"]]
        with db.transaction(restored):
            db.audit(restored, actor, "backup.restore", "backup", source.name,
                     {"file": str(source), "undo": str(undo) if undo else None, "rows": held["rows"],
                      "tables": len(held["tables"]), "migrated": migrated})
    finally:
        restored.close()
    return Restored(target, source, undo, held, migrated, time.perf_counter() - started)


def _undo_copy(conn: duckdb.DuckDBPyConnection | None, target: Path, folder: Path, actor: str) -> Path | None:
    """Back up the database about to be replaced (a raw copy when it cannot be opened); None when there is none."""
    if conn is not None:
        return backup(conn, backup_name(folder, BEFORE_RESTORE), actor).path
    if not target.exists():
        return None
    undo = backup_name(folder, BEFORE_RESTORE)
    try:
        shutil.copyfile(target, undo)
        os.chmod(undo, 0o600)
        if Path(f"{target}.wal").exists():
            shutil.copyfile(f"{target}.wal", f"{undo}.wal")
    except OSError as exc:
        raise ValueError(f"Cannot save a copy of the current database before restoring: {exc.strerror or exc}") \
            from exc
    return undo


# ------------------------------------------------------------------------------------------- listing and uploads


def list_backups(folder: Path | str) -> list[BackupFile]:
    """The backups in a folder, newest first (half-written and hidden files left out)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.name.startswith(".") or path.suffix != SUFFIX or not path.is_file():
            continue
        stat = path.stat()
        found.append(BackupFile(path, stat.st_size, datetime.fromtimestamp(stat.st_mtime)))
    return sorted(found, key=lambda f: (f.modified, f.name), reverse=True)


def save_upload(data: bytes, file_name: str, folder: Path | str) -> tuple[Path, dict]:
    """Keep an uploaded backup in the folder once it checks out; return its path and what it holds."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(file_name).stem).strip(".-")[:60] or "backup"
    final = backup_name(folder, f"{UPLOADED}{stem}-")
    partial = final.parent / f".{final.name}.{uuid.uuid4().hex[:8]}{_PARTIAL}"
    try:
        partial.write_bytes(data)
        os.chmod(partial, 0o600)
        held = check(partial)
        os.replace(partial, final)
    except ValueError as exc:
        _discard(partial)
        raise ValueError(str(exc).replace(partial.name, file_name)) from None
    except OSError as exc:
        _discard(partial)
        raise ValueError(f"Cannot keep the uploaded file in {final.parent}: {exc.strerror or exc}") from exc
    except BaseException:
        _discard(partial)
        raise
    return final, held | {"path": final}


# ------------------------------------------------------------------------------------------- nightly backups
# DuckDB lets one process open the file, so while the dashboard runs `python -m lib backup` cannot: the
# dashboard makes the nightly backup itself, in a thread of its own, through the same connection.

_nightly_thread: threading.Thread | None = None
_nightly_lock = threading.Lock()


def next_run(now: datetime, at: clock) -> datetime:
    """The next moment the clock shows `at`: later today, or tomorrow when that time has passed."""
    today = datetime.combine(now.date(), at)
    return today if today > now else today + timedelta(days=1)


def nightly_once(conn: duckdb.DuckDBPyConnection, folder: Path | str, keep: int) -> Backup:
    """Make one nightly backup and keep only the newest `keep` nightly ones (others are never touched)."""
    made = backup(conn, backup_name(folder, NIGHTLY), "nightly")
    for old in [f for f in list_backups(folder) if f.name.startswith(NIGHTLY)][max(1, keep):]:
        old.path.unlink(missing_ok=True)
    return made


def start_nightly(cursor: Callable[[], duckdb.DuckDBPyConnection], folder: Path | str, at: clock | None,
                  keep: int) -> threading.Thread | None:
    """Start, once per process, the thread that backs the database up every night at `at` (None: never)."""
    global _nightly_thread
    with _nightly_lock:
        if at is None or (_nightly_thread is not None and _nightly_thread.is_alive()):
            return _nightly_thread

        def loop() -> None:
            """Sleep until the next run, back up, repeat; a failed night is logged and tried again the next."""
            while True:
                time.sleep(max(1.0, (next_run(datetime.now(), at) - datetime.now()).total_seconds()))
                try:
                    made = nightly_once(cursor(), folder, keep)
                    logging.getLogger(__name__).info("nightly backup %s (%s bytes)", made.path, made.bytes)
                except Exception:  # noqa: BLE001 - a night without a backup must not stop the next ones
                    logging.getLogger(__name__).exception("nightly backup failed; trying again tomorrow")

        _nightly_thread = threading.Thread(target=loop, name="ali-nightly-backup", daemon=True)
        _nightly_thread.start()
        return _nightly_thread
