"""The command line's `backup OUT` and `restore IN [--yes]` (run while the dashboard is stopped)."""
from __future__ import annotations

import sys
from pathlib import Path

from . import backup, restore
from .settings import get_settings


def parsers(sub) -> None:
    """Register `backup` and `restore`."""
    made = sub.add_parser("backup", help="copy the database to a file, consistently (while the dashboard is stopped; "
                                         "while it runs, use its Backups page)")
    made.add_argument("out", type=Path, help="the backup file, or a folder for a new timestamped name in it")
    made.add_argument("--overwrite", action="store_true", help="replace OUT when it exists (default: refuse)")
    back = sub.add_parser("restore", help="replace the database with a backup, after an automatic backup of it")
    back.add_argument("file", type=Path, help="a backup made by `python -m lib backup` or the Backups page")
    back.add_argument("--yes", action="store_true", help="do not ask before replacing the database")


def run(conn, args) -> int:
    """Run `backup` or `restore` on the open database (a restore closes it)."""
    settings = get_settings()
    if args.command == "backup":
        out = backup.backup_name(args.out) if args.out.is_dir() else args.out
        made = backup.backup(conn, out, actor="cli", overwrite=args.overwrite)
        print(f"Backed up {settings.db_path} to {made.path}")
        print(f"  {made.bytes:,} bytes, {made.tables} tables, {made.rows:,} rows, {made.seconds:.1f} s")
        return 0
    held = restore.check(args.file)
    print(f"Backup {held['path']}")
    for line in restore.describe(held):
        print(f"  {line}")
    if not args.yes:
        if not sys.stdin.isatty():
            raise ValueError("Not restored: nothing can ask for a confirmation here (standard input is not a "
                             "terminal). Add --yes to restore without asking.")
        answer = input(f"Replace {settings.db_path} with {held['path']}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Not restored; the database is unchanged.")
            return 1
    done = restore.restore_file(args.file, settings.db_path, actor="cli", conn=conn, undo_dir=settings.backup_dir)
    print(f"Restored {done.database} from {done.source} in {done.seconds:.1f} s")
    if done.migrated:
        print(f"  brought up to date: {', '.join(done.migrated)}")
    if done.undo:
        print(f"  the database as it was is kept in {done.undo} (restore that file to undo this)")
    return 0
