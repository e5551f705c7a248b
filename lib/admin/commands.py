"""The command line of administration: `init`, `users`, privacy requests and retention (`people show|delete EMAIL`,
`retention purge`), `backup OUT` and `restore IN [--yes]` (run while the dashboard is stopped)."""
from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import duckdb

from .. import db
from ..settings import get_settings
from . import auth, backup, privacy, restore


def init_parser(sub) -> None:
    """Register `init [--demo]`."""
    init = sub.add_parser("init", help="create or migrate the database; print the first admin's password once")
    init.add_argument("--demo", action="store_true", help="also load the synthetic demo data when the database is empty")


def users_parser(sub) -> None:
    """Register `users add|list|remove|set-password`."""
    users = sub.add_parser("users", help="committee users")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="add a user (password asked, or read from standard input)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", choices=auth.ROLES, default="committee")
    add.add_argument("--email")
    users_sub.add_parser("list", help="list users")
    remove = users_sub.add_parser("remove", help="remove a user")
    remove.add_argument("username")
    setpw = users_sub.add_parser("set-password", help="set a user's password (asked, or read from standard input)")
    setpw.add_argument("username")


def privacy_parsers(sub) -> None:
    """Register `people show|delete` and `retention purge`."""
    people = sub.add_parser("people", help="privacy requests: what is held about a person, and deleting all of it")
    people_sub = people.add_subparsers(dest="people_command", required=True)
    show = people_sub.add_parser("show", help="everything held about the person with this email")
    show.add_argument("email")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    delete = people_sub.add_parser("delete", help="delete every row about the person with this email (asks first)")
    delete.add_argument("email")
    delete.add_argument("--yes", action="store_true", help="do not ask (needed when standard input is not a terminal)")
    retention = sub.add_parser("retention", help="purge confidential data of old program years")
    retention_sub = retention.add_subparsers(dest="retention_command", required=True)
    purge = retention_sub.add_parser("purge", help="delete applications and clear end-of-year comments of program "
                                                   "years older than the retention (asks first)")
    purge.add_argument("--years", type=int, default=None,
                       help=f"keep this many years (default ALI_RETENTION_YEARS, now {get_settings().retention_years})")
    purge.add_argument("--yes", action="store_true", help="do not ask (needed when standard input is not a terminal)")


def _confirmed(question: str, yes: bool) -> bool:
    """Whether to go ahead: --yes, or 'y' typed on a terminal; ValueError when there is no one to ask."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise ValueError("Nothing was changed: standard input is not a terminal, so there is no one to confirm. "
                         "Add --yes to confirm on the command line.")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _read_password(prompt: str) -> str:
    """Ask twice on a terminal; otherwise read one line from standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        if first != getpass.getpass("Again: "):
            raise auth.UserError("The two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def _users(conn, args) -> int:
    """Run a `users` subcommand."""
    if args.users_command == "list":
        for user in auth.list_users(conn):
            print(f"{user.username}\t{user.role}\t{user.name}\t{user.email or ''}")
    elif args.users_command == "add":
        password = _read_password(f"Password for {args.username}")
        user = auth.add_user(conn, args.username, args.name, password, role=args.role, email=args.email)
        print(f"Added {user.username} ({user.role})")
    elif args.users_command == "remove":
        auth.remove_user(conn, args.username)
        print(f"Removed {args.username}")
    elif args.users_command == "set-password":
        auth.set_password(conn, args.username, _read_password(f"New password for {args.username}"))
        print(f"Password of {args.username} changed")
    return 0


def _print_footprint(found: privacy.Footprint) -> None:
    """The footprint for people to read."""
    print(f"{found.name or '(no name)'} <{found.email}>, person {found.person_id}; program years: "
          f"{', '.join(found.cycles) or 'none'}")
    for row in found.table():
        print(f"  {row['what']}: {row['rows']}")
    for circle in found.circles:
        print(f"  circle: {circle['cycle']} {circle['circle']} ({circle['status']}, draft '{circle['draft']}', "
              f"{circle['others']} other member(s))")
    for note in found.notes:
        print(f"  note: {note}")


def run(conn: duckdb.DuckDBPyConnection, args) -> int:
    """Run `init`, `users`, `people`, `retention`, `backup` or `restore`; exit 2 on a refusal, 1 when a question is
    answered no."""
    if args.command == "init":
        auth.announce_first_admin(auth.ensure_first_admin(conn))
        if args.demo:
            from ..demo import build

            if db.scalar(conn, "SELECT count(*) FROM import_batches"):
                print("The database already has data; demo not loaded.")
            else:
                build.load(conn, report=print)
        print(f"Database ready: {get_settings().db_path}")
        return 0
    if args.command == "users":
        return _users(conn, args)
    if args.command in ("backup", "restore"):
        return _backup_or_restore(conn, args)
    if args.command == "retention":
        return _purge(conn, args)
    found = privacy.find(conn, args.email)
    if args.people_command == "show":
        if args.json:
            print(json.dumps(found.as_dict(), ensure_ascii=False, default=str))
        else:
            _print_footprint(found)
        return 0
    _print_footprint(found)
    if not _confirmed(f"Delete everything about {found.email}?", args.yes):
        print("Nothing was deleted.")
        return 1
    removed = privacy.delete_person(conn, found.email, actor="cli")
    print(f"Deleted everything about {found.email}: " + ", ".join(f"{k} {v}" for k, v in removed.items() if v))
    print(f"Request reference: {removed.reference} (in the audit log as person.delete; quote it to the requester)")
    return 0


def _purge(conn: duckdb.DuckDBPyConnection, args) -> int:
    """Show what the purge removes, ask, purge."""
    plan = privacy.preview_purge(conn, args.years)
    print(f"Retention: {plan.years} year(s); today's program year is {plan.current}.")
    if plan.empty:
        print("Nothing to purge: no confidential data is older than that.")
        return 0
    for row in plan.cycles:
        print(f"  {row['cycle']}: {row['applications']} application(s), {row['eligibility_overrides']} eligibility "
              f"decision(s), {row['comments']} end-of-year comment(s)")
    print(f"  people left with no other data, removed too: {plan.people}")
    if not _confirmed(f"Purge the confidential data of {', '.join(c['cycle'] for c in plan.cycles)}?", args.yes):
        print("Nothing was purged.")
        return 1
    done = privacy.purge(conn, plan.years, actor="cli")
    print(f"Purged {', '.join(done['cycles'])}: {done['applications']} application(s), {done['eligibility_overrides']} "
          f"eligibility decision(s), {done['comments']} comment(s) cleared, {done['people']} person record(s) removed, "
          f"{done['audit_log']} audit entries redacted. Reference: {done['reference']}")
    return 0


def backup_parsers(sub) -> None:
    """Register `backup` and `restore`."""
    made = sub.add_parser("backup", help="copy the database to a file, consistently (while the dashboard is stopped; "
                                         "while it runs, use its Backups page)")
    made.add_argument("out", type=Path, help="the backup file, or a folder for a new timestamped name in it")
    made.add_argument("--overwrite", action="store_true", help="replace OUT when it exists (default: refuse)")
    back = sub.add_parser("restore", help="replace the database with a backup, after an automatic backup of it")
    back.add_argument("file", type=Path, help="a backup made by `python -m lib backup` or the Backups page")
    back.add_argument("--yes", action="store_true", help="do not ask before replacing the database")


def _backup_or_restore(conn, args) -> int:
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
