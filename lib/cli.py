"""The command line, `python -m lib COMMAND` on the database named by ALI_DB: each package's commands, assembled.

Every package keeps its commands beside it (`lib/<package>/commands.py`: the parsers, and `run`); this module
puts them in one parser, in the order `--help` lists them, and runs the one chosen. The commands modules import
their heavy modules only when they run, so that `python -m lib import` does not pay for pandas.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import db
from .admin import auth
from .admin import commands as admin
from .circles import commands as circles
from .db import ConflictError
from .demo import commands as demo
from .directory import commands as directory
from .grouping import commands as grouping
from .imports import commands as imports
from .imports.refusals import ImportRefused
from .messages import commands as messages
from .report import commands as report
from .settings import get_settings
from .year import commands as year

# The package that runs each command (grouping runs without the database, so it is not here).
RUNS = {"init": admin, "demo": demo, "stats": year, "users": admin, "import": imports, "imports": imports,
        "export": directory, "skills": directory, "institutions": directory, "search": directory, "circles": circles,
        "applications": circles, "cycles": circles, "outcomes": year, "attendance": year, "report": report,
        "people": admin, "retention": admin, "backup": admin, "restore": admin, "messages": messages}


def _parser() -> argparse.ArgumentParser:
    """Build the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m lib", description=(
        "ALI Mentorship dashboard without the browser. The database is ALI_DB "
        f"(now {get_settings().db_path})."))
    sub = parser.add_subparsers(dest="command", required=True)
    admin.init_parser(sub)
    demo.parsers(sub)
    year.stats_parser(sub)
    admin.users_parser(sub)
    imports.parsers(sub)
    directory.parsers(sub)
    circles.parsers(sub)
    grouping.parsers(sub)
    year.parsers(sub)
    report.parsers(sub)
    admin.privacy_parsers(sub)
    admin.backup_parsers(sub)
    messages.parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the process exit code (2 when refused)."""
    args = _parser().parse_args(argv)
    if args.command == "grouping":  # needs no database, so it also runs while the dashboard holds the file
        return grouping.run(args)
    db.private_files()
    try:
        conn = db.connect(files=_folders(args))
    except db.DatabaseBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(conn, args)
    except (auth.UserError, ImportRefused, ConflictError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()


def _folders(args) -> list[Path]:
    """The folders a command may reach through DuckDB: the backups folder, and where `backup OUT` writes."""
    folders = [get_settings().backup_dir]
    if args.command == "backup":
        out = Path(args.out).expanduser().absolute()
        folders.append(out if out.is_dir() else out.parent)
    return folders


def _run(conn, args) -> int:
    """Dispatch a parsed command to its package."""
    return RUNS[args.command].run(conn, args)
