"""`python -m lib circles form|list|export`: forming circles without the browser (the parser is in lib.cli)."""
from __future__ import annotations

import argparse
import json

import duckdb

from .. import cycles
from . import drafts, rosters
from .criteria import Options


def _circles_json(draft: drafts.Draft) -> list[dict]:
    """A draft's circles for scripts."""
    return [{"name": c.name, "score": c.score, "warnings": c.warnings, "slot": c.slot,
             "shared_interests": [t for t, _ in c.shared_interests],
             "members": [{"person_id": m["person_id"], "name": m["name"], "institution": m.get("institution")}
                         for m in c.members]} for c in draft.circles]


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
        solver = draft.solver
        print(f"Saved draft {draft.id} '{draft.name}' for {draft.cycle}: {len(draft.circles)} circles, mean score "
              f"{draft.score:.1f}, worst {draft.worst:.1f} ({solver.get('method')}, "
              f"{'proven optimal' if solver.get('optimal') else 'best found'}, {solver.get('seconds')} s)")
        for circle in draft.circles:
            print(f"\n{circle.name} (score {circle.score:.1f}, meets {rosters.slot_words(circle.slot)})")
            for m in circle.members:
                print(f"  {m['name']}" + (f", {m['institution']}" if m.get("institution") else ""))
            for warning in circle.warnings:
                print(f"  warning: {warning}")
        for m in draft.unplaced:
            print(f"\nnot placed: {m['name']} ({m['reason']})")
        return 0
    if args.circles_command == "list":
        table = drafts.list_drafts(conn, args.cycle)
        if args.json:
            out = {"drafts": json.loads(table.to_json(orient="records", date_format="iso")), "final": None}
            final_id = drafts.final_draft_id(conn, args.cycle)
            if final_id is not None:
                out["final"] = _circles_json(drafts.load(conn, final_id))
            print(json.dumps(out, default=str))
        elif not len(table):
            print(f"No circle drafts for {args.cycle}: python -m lib circles form --cycle {args.cycle}")
        else:
            print(table[["id", "name", "status", "circles", "people", "updated_by", "updated_at"]].to_string(index=False))
        return 0
    data = rosters.roster_file(conn, args.cycle, args.format)
    try:
        args.out.write_bytes(data)
    except OSError as exc:
        raise ValueError(f"Cannot write {args.out}: {exc.strerror}") from exc
    print(f"Wrote {args.out} ({len(data):,} bytes)")
    return 0
