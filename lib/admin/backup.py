"""Backups of the database: a consistent copy while the app runs, the backups kept, and the nightly backup.

A backup is a complete DuckDB database file of its own (tables, rows, sequence positions), made by DuckDB's
`COPY FROM DATABASE` inside one read transaction, so writes that land meanwhile are either wholly in it or
not at all. Restoring one is lib.admin.restore's job.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

import duckdb

from .. import db
from ..settings import get_settings

SUFFIX = ".duckdb"
MANUAL = "ali-backup-"             # made by someone (the Backups page, `python -m lib backup FOLDER`)
BEFORE_RESTORE = "ali-before-restore-"  # made automatically before a restore, so a restore can be undone
UPLOADED = "ali-uploaded-"         # a backup uploaded on the Backups page, kept so it can be restored again
NIGHTLY = "ali-nightly-"           # made by the running dashboard every night (settings.backup_at)
PARTIAL = ".partial"


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


# ------------------------------------------------------------------------------------------- names and paths


def checked_path(path: Path | str, what: str) -> Path:
    """Refuse a path DuckDB could misread (a NUL or a line break in it); return it absolute."""
    text = str(path)
    if not text or any(c in text for c in "\0\n\r"):
        raise ValueError(f"The {what} path {text!r} has a control character in it; choose a plain file name.")
    return Path(text).expanduser().absolute()


def identifier(name: str) -> str:
    """Quote a catalog name DuckDB itself reported (it follows the database file's name) as an identifier."""
    return '"' + name.replace('"', '""') + '"'


def fresh_alias() -> str:
    """A fresh name to attach a file under (two backups at once must not share one)."""
    return f"ali_backup_{uuid.uuid4().hex[:12]}"


def backup_name(folder: Path | str, prefix: str = MANUAL) -> Path:
    """A new timestamped backup file name in the folder (created, private, when missing)."""
    folder = checked_path(folder, "backup folder")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = folder / f"{prefix}{stamp}{SUFFIX}"
    number = 2
    while candidate.exists():
        candidate = folder / f"{prefix}{stamp}-{number}{SUFFIX}"
        number += 1
    return candidate


def same_file(a: Path, b: Path) -> bool:
    """Tell whether two paths name the same existing file."""
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def sync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk, so a power cut cannot leave a renamed but empty file."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(path: Path) -> None:
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
    out = checked_path(out, "backup")
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
        if path and same_file(out, Path(path)):
            raise ValueError(f"{out} is the database itself; choose another file for the backup.")
        # A half-written backup never carries the final name: it is written under a temporary one beside it.
        partial = out.parent / f".{out.name}.{uuid.uuid4().hex[:8]}{PARTIAL}"
        alias = fresh_alias()
        try:
            # The path goes in as a parameter (DuckDB 2 binds ATTACH's path); the alias is generated above and
            # the catalog name comes from DuckDB itself, quoted as an identifier.
            cur.execute(f"ATTACH ? AS {alias} (TYPE DUCKDB)", [str(partial)])
            try:
                cur.execute(f"COPY FROM DATABASE {identifier(catalog)} TO {alias}")
                counts = row_counts(cur, alias)
            finally:
                cur.execute(f"DETACH {alias}")  # writes everything into the file and closes it
            os.chmod(partial, 0o600)
            sync(partial)
            os.replace(partial, out)
            sync(out.parent)
        except duckdb.PermissionException as exc:
            discard(partial)
            raise ValueError(f"Cannot write the backup {out}: this connection may write backups only in its backups "
                             f"folder ({get_settings().backup_dir}). Choose a file there.") from exc
        except (OSError, duckdb.IOException) as exc:  # a folder not writable, a full disk
            discard(partial)
            raise ValueError(f"Cannot write the backup {out}: {getattr(exc, 'strerror', None) or exc}") from exc
        except BaseException:
            discard(partial)
            raise
    finally:
        cur.close()
    made = Backup(out, out.stat().st_size, len(counts), sum(counts.values()), time.perf_counter() - started, counts)
    with db.transaction(conn):
        db.audit(conn, actor, "backup.create", "backup", out.name,
                 {"file": str(out), "bytes": made.bytes, "tables": made.tables, "rows": made.rows})
    return made


def row_counts(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    """Rows of every table of an attached database (names as DuckDB lists them, quoted)."""
    names = [row[0] for row in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main'"
        " AND table_type = 'BASE TABLE' ORDER BY table_name", [catalog]).fetchall()]
    return {name: db.scalar(conn, f"SELECT count(*) FROM {identifier(catalog)}.main.{identifier(name)}")
            for name in names}


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
