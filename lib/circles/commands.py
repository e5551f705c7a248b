"""`python -m lib circles form|list|finalise|export`: forming circles without the browser; `applications` and
`cycles deadline`, who may join them."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from .. import cycles
from ..admin.commands import _confirmed

if TYPE_CHECKING:
    from . import drafts


def parsers(sub) -> None:
    """Register `circles form|list|finalise|export`, `applications list|override` and `cycles deadline`.

    Choices are spelled out: the circles package loads only when a command runs.
    """
    circles = sub.add_parser("circles", help="Peer Mentorship Circles: propose, list, finalise, export")
    circles_sub = circles.add_subparsers(dest="circles_command", required=True)
    form = circles_sub.add_parser("form", help="form the cycle's eligible applicants into circles; save a draft")
    form.add_argument("--cycle", required=True, help="program year, e.g. 2025-26")
    form.add_argument("--seconds", type=float, default=5.0, help="search time limit (default 5)")
    form.add_argument("--seed", type=int, default=0, help="same seed, same circles (default 0)")
    form.add_argument("--name", help="draft name (default: Proposal N)")
    form.add_argument("--json", action="store_true", help="print the circles as a JSON list")
    listing = circles_sub.add_parser("list", help="the cycle's drafts and its final circles")
    listing.add_argument("--cycle", required=True)
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    final = circles_sub.add_parser("finalise", help="make a draft the cycle's final circles (asks first)")
    final.add_argument("--cycle", required=True)
    final.add_argument("--draft", type=int, help="the draft's id (default: the newest draft)")
    final.add_argument("--yes", action="store_true", help="do not ask (needed when standard input is not a terminal)")
    export = circles_sub.add_parser("export", help="the final circles as a roster (CSV, XLSX) or calendar (.ics)")
    export.add_argument("--cycle", required=True)
    export.add_argument("--format", required=True, choices=("csv", "xlsx", "ics"))
    export.add_argument("--out", required=True, type=Path)
    apps = sub.add_parser("applications", help="Peer Mentorship Circle applicants: eligibility and overrides")
    apps_sub = apps.add_subparsers(dest="applications_command", required=True)
    apps_list = apps_sub.add_parser("list", help="each applicant with eligibility and the reason when not eligible")
    apps_list.add_argument("--cycle", required=True, help="program year, e.g. 2025-26")
    apps_list.add_argument("--json", action="store_true", help="print a JSON list")
    apps_override = apps_sub.add_parser("override", help="record or clear the committee's eligibility decision")
    apps_override.add_argument("--cycle", required=True, help="program year, e.g. 2025-26")
    apps_override.add_argument("email", help="the applicant's email")
    apps_override.add_argument("--eligible", required=True, choices=("yes", "no", "clear"))
    apps_override.add_argument("--reason", required=True, help="why (kept with the decision)")
    cycles_p = sub.add_parser("cycles", help="program years: application deadline")
    cycles_sub = cycles_p.add_subparsers(dest="cycles_command", required=True)
    deadline = cycles_sub.add_parser("deadline", help="set a program year's application deadline (inclusive)")
    deadline.add_argument("cycle", help="program year, e.g. 2025-26")
    deadline.add_argument("date", help="YYYY-MM-DD")


def _circles_json(draft: drafts.Draft) -> list[dict]:
    """A draft's circles for scripts."""
    return [{"name": c.name, "score": c.score, "warnings": c.warnings, "slot": c.slot,
             "shared_interests": [t for t, _ in c.shared_interests],
             "members": [{"person_id": m["person_id"], "name": m["name"], "institution": m.get("institution")}
                         for m in c.members]} for c in draft.circles]


def _finalise(conn: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    """Make a draft (the newest one unless --draft) the cycle's final circles, after a confirmation."""
    from . import drafts, edits

    table = drafts.list_drafts(conn, args.cycle)
    if args.draft is None:
        waiting = table[table["status"] == drafts.DRAFT]
        if not len(waiting):
            raise ValueError(f"{args.cycle} has no draft to finalise: python -m lib circles form --cycle {args.cycle}")
        draft_id = int(waiting["id"].iloc[0])
    else:
        draft_id = args.draft
        if draft_id not in set(int(i) for i in table["id"]):
            raise ValueError(f"{args.cycle} has no circle draft {draft_id}: python -m lib circles list --cycle "
                             f"{args.cycle}")
    draft = drafts.load(conn, draft_id)
    previous = drafts.final_draft_id(conn, args.cycle)
    members = sum(len(c.members) for c in draft.circles)
    print(f"Draft {draft.id} '{draft.name}' of {draft.cycle}: {len(draft.circles)} circles, {members} members, "
          f"{len(draft.unplaced)} not placed; {drafts.solver_words(draft.solver)}.")
    replaced = ""
    if previous is not None and previous != draft.id:
        replaced = f" It replaces the final circles '{drafts.load(conn, previous).name}' (kept as superseded)."
        print(replaced.strip())
    if not _confirmed(f"Finalise '{draft.name}' as the circles of {draft.cycle}?", args.yes):
        print("Not finalised; nothing was changed.")
        return 1
    edits.finalise(conn, draft.id, draft.version, "cli", replace=previous is not None)
    print(f"'{draft.name}' is now final for {draft.cycle}: rosters, welcome emails and the calendar are ready "
          f"(python -m lib circles export --cycle {draft.cycle} ...).")
    return 0


def run(conn: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    """Run one `circles`, `applications` or `cycles` subcommand; refusals raise ValueError (exit 2)."""
    if args.command in ("applications", "cycles"):
        return _applications_command(conn, args)
    from . import drafts, rosters  # the grouping engine loads only for these commands
    from .criteria import Options

    cycles.parse(args.cycle)
    if args.circles_command == "form":
        options = Options(seconds=args.seconds, seed=args.seed)
        try:
            draft_id = drafts.propose(conn, args.cycle, options, "cli", args.name)
        except drafts.NotFormable as exc:
            raise ValueError("; ".join(f"{b.message} You can: {', '.join(b.choices)}." for b in exc.blockers)) from exc
        draft = drafts.load(conn, draft_id)
        if args.json:
            print(json.dumps(_circles_json(draft), default=str))
            return 0
        print(f"Saved draft {draft.id} '{draft.name}' for {draft.cycle}: {len(draft.circles)} circles, mean score "
              f"{draft.score:.1f}, worst {draft.worst:.1f}; {drafts.solver_words(draft.solver)}")
        for circle in draft.circles:
            print(f"\n{circle.name} (score {circle.score:.1f}, meets {rosters.slot_words(circle.slot)})")
            for m in circle.members:
                print(f"  {m['name']}" + (f", {m['institution']}" if m.get("institution") else ""))
            for warning in circle.warnings:
                print(f"  warning: {warning}")
        for m in draft.unplaced:
            print(f"\nnot placed: {m['name']} ({m['reason']})")
        return 0
    if args.circles_command == "finalise":
        return _finalise(conn, args)
    if args.circles_command == "list":
        table = drafts.list_drafts(conn, args.cycle)
        if args.json:
            out = {"drafts": json.loads(table.to_json(orient="records", date_format="iso")), "final": None}
            final_id = drafts.final_draft_id(conn, args.cycle)
            if final_id is not None:
                out["final"] = _circles_json(drafts.load(conn, final_id))
            for row in out["drafts"]:
                # The engine's own summary, bound (gap) included, with the words the page shows.
                solver = json.loads(row.pop("solver") or "{}")
                row["solver"] = solver | {"status": drafts.solver_words(solver)} if solver else None
            print(json.dumps(out, default=str))
        elif not len(table):
            print(f"No circle drafts for {args.cycle}: python -m lib circles form --cycle {args.cycle}")
        else:
            table["engine"] = [drafts.solver_words(json.loads(s)) if s else "" for s in table["solver"]]
            print(table[["id", "name", "status", "circles", "people", "updated_by", "updated_at", "engine"]]
                  .to_string(index=False))
        return 0
    data = rosters.roster_file(conn, args.cycle, args.format)
    try:
        args.out.write_bytes(data)
    except OSError as exc:
        raise ValueError(f"Cannot write {args.out}: {exc.strerror}") from exc
    print(f"Wrote {args.out} ({len(data):,} bytes)")
    return 0


def _applications_command(conn, args) -> int:
    """Run `applications list|override` or `cycles deadline`."""
    from datetime import date

    from .. import cycles
    from . import applications
    if args.command == "cycles":
        try:
            when = date.fromisoformat(args.date)
        except ValueError:
            raise ValueError(f"'{args.date}' is not a date; write it like 2025-10-01") from None
        before = cycles.set_deadline(conn, args.cycle, when, actor="cli")
        print(f"Application deadline of {args.cycle}: {cycles.day_label(when)} (was {cycles.day_label(before)}); "
              "applications submitted that day are on time")
        return 0
    if args.applications_command == "override":
        person_id = applications.person_by_email(conn, args.cycle, args.email)
        eligible = {"yes": True, "no": False, "clear": None}[args.eligible]
        applications.override(conn, args.cycle, person_id, eligible, args.reason, actor="cli")
        verdict = {"yes": "eligible", "no": "not eligible", "clear": "decided by the rule again"}[args.eligible]
        print(f"{args.email.strip().lower()} in {args.cycle}: {verdict} ({args.reason.strip()})")
        return 0
    frame = applications.applicants(conn, args.cycle)
    rows = frame.to_dict("records")
    if args.json:
        print(json.dumps([{
            "person_id": int(r["person_id"]), "name": r["name"], "email": r["email"], "institution": r["institution"],
            "eligible": bool(r["eligible"]), "rule_eligible": bool(r["rule_eligible"]), "reasons": r["reasons"],
            "override_reason": r["override_reason"], "submitted_at": r["submitted_at"].isoformat(),
            "interests": r["interests"], "availability": r["availability"], "format": r["format"],
            "career_stage": r["career_stage"]} for r in rows], ensure_ascii=False))
        return 0
    print(f"{len(rows)} applicant(s) in {args.cycle}. {applications.summary(applications.counts(conn, args.cycle))}")
    for r in rows:
        verdict = "eligible" if r["eligible"] else "not eligible"
        why = "; ".join(r["reasons"])
        if r["override"] is not None:
            why = f"committee: {r['override_reason']}" + (f" (rule: {why})" if why else "")
        print(f"  {r['name']} <{r['email']}>, {r['institution'] or 'no institution'}: {verdict}"
              + (f" - {why}" if why else ""))
    return 0
