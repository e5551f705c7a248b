"""`python -m lib circles form|list|finalise|export`: forming circles without the browser (the parser is in lib.cli)."""
from __future__ import annotations

import argparse
import json

import duckdb

from .. import cycles
from ..admin.commands import _confirmed
from . import drafts, edits, rosters
from .criteria import Options


def _circles_json(draft: drafts.Draft) -> list[dict]:
    """A draft's circles for scripts."""
    return [{"name": c.name, "score": c.score, "warnings": c.warnings, "slot": c.slot,
             "shared_interests": [t for t, _ in c.shared_interests],
             "members": [{"person_id": m["person_id"], "name": m["name"], "institution": m.get("institution")}
                         for m in c.members]} for c in draft.circles]


def _finalise(conn: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    """Make a draft (the newest one unless --draft) the cycle's final circles, after a confirmation."""
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
    """Run one `circles` subcommand; refusals raise ValueError (exit 2)."""
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
