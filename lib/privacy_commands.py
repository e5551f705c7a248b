"""The command line of privacy requests and retention: `people show|delete EMAIL`, `retention purge`."""
from __future__ import annotations

import json
import sys

import duckdb

from . import privacy
from .settings import get_settings


def parsers(sub) -> None:
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
    """Run `people show|delete` or `retention purge`; exit 2 on a refusal, 1 when the question is answered no."""
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
