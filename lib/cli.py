"""The command line: `python -m lib init|demo|stats|users|import|imports` on the database named by ALI_DB."""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from .admin import auth
from . import db
from .imports import forms
from .db import ConflictError
from .settings import get_settings
from .imports.refusals import ImportRefused


def _parser() -> argparse.ArgumentParser:
    """Build the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m lib", description=(
        "ALI Mentorship dashboard without the browser. The database is ALI_DB "
        f"(now {get_settings().db_path})."))
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create or migrate the database; print the first admin's password once")
    init.add_argument("--demo", action="store_true", help="also load the synthetic demo data when the database is empty")

    demo_p = sub.add_parser("demo", help="generate synthetic Google Forms exports and import them")
    demo_p.add_argument("--people", type=int, default=None, help="size of the synthetic people pool (default 420)")
    demo_p.add_argument("--seed", type=int, default=2023)
    demo_p.add_argument("--out", type=Path, default=None, help="folder for the exports (default data/demo)")
    demo_p.add_argument("--shape", choices=("sheet", "form"), default=None,
                        help="write every year as the linked Sheet's CSV or as the form's own download "
                             "(default: 2025-26 as the form's download, earlier years as the Sheet's)")

    stats = sub.add_parser("stats", help="headline figures of the database")
    stats.add_argument("--json", action="store_true", help="print one JSON object")

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

    imp = sub.add_parser("import", help="import a Google Forms export (CSV or XLSX)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--kind", choices=forms.KINDS)
    imp.add_argument("--cycle", help="program year, e.g. 2025-26 (default: from each row's timestamp)")
    imp.add_argument("--map", action="append", default=[], metavar="HEADER=FIELD",
                     help="map a column to a field (repeatable); FIELD empty to ignore the column")
    imp.add_argument("--sheet", help="XLSX sheet name (default: the first sheet)")
    imp.add_argument("--day-first", action="store_true",
                     help="timestamps are day/month/year (default: US month/day, or ALI_DAY_FIRST)")
    imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    imp.add_argument("--json", action="store_true", help="print one JSON object")

    batches = sub.add_parser("imports", help="import history")
    batches_sub = batches.add_subparsers(dest="imports_command", required=True)
    batches_sub.add_parser("list", help="list import batches")
    undo = batches_sub.add_parser("undo", help="undo one import batch")
    undo.add_argument("batch_id", type=int)

    export = sub.add_parser("export", help="write a published file")
    export_sub = export.add_subparsers(dest="export_command", required=True)
    published = export_sub.add_parser("directory", help="the ALI Annual Skills Directory of one program year "
                                                        "(only members who chose to share)")
    # The formats are spelled out here so that parsing never imports the PDF and Excel writers.
    published.add_argument("--format", required=True, choices=("csv", "xlsx", "pdf", "html"))
    published.add_argument("--out", type=Path, required=True, help="file to write")
    published.add_argument("--cycle", help="program year, e.g. 2025-26 (default: the newest with survey answers)")
    skills_p = sub.add_parser("skills", help="the skills taxonomy: members' proposals, adding skills, aliases, merging")
    skills_sub = skills_p.add_subparsers(dest="skills_command", required=True)
    skills_proposals = skills_sub.add_parser("proposals", help="'other' skills members typed, with the closest skills")
    skills_proposals.add_argument("--json", action="store_true", help="print one JSON list")
    skills_add = skills_sub.add_parser("add", help="add a typed skill to the taxonomy and re-link the answers that "
                                                   "typed it")
    skills_add.add_argument("name")
    skills_add.add_argument("--category", help="its category (default: Other)")
    skills_alias = skills_sub.add_parser("alias", help="make a typed skill an alias of a skill and re-link its answers")
    skills_alias.add_argument("alias")
    skills_alias.add_argument("--to", required=True, metavar="SKILL", dest="skill")
    skills_merge = skills_sub.add_parser("merge", help="merge a skill into another (its name becomes an alias)")
    skills_merge.add_argument("source", metavar="FROM")
    skills_merge.add_argument("--into", required=True, metavar="SKILL", dest="skill")
    skills_dismiss = skills_sub.add_parser("dismiss", help="stop proposing a typed skill")
    skills_dismiss.add_argument("text")

    inst_p = sub.add_parser("institutions", help="institution names answers used that matched no institution")
    inst_sub = inst_p.add_subparsers(dest="institutions_command", required=True)
    inst_review = inst_sub.add_parser("review", help="list unknown names with suggestions")
    inst_review.add_argument("--json", action="store_true", help="print one JSON list")
    inst_alias = inst_sub.add_parser("alias", help="accept a typed name as an alias and re-link its answers")
    inst_alias.add_argument("name")
    inst_alias.add_argument("--to", required=True, metavar="INSTITUTION", dest="institution")
    find = sub.add_parser("search", help="search the published Skills Directory, best match first")
    find.add_argument("query", help='words, skills, names or a "quoted phrase"')
    find.add_argument("--cycle", help="program year (default: the newest directory)")
    find.add_argument("--limit", type=int, default=20, help="how many results (default 20)")
    find.add_argument("--all", action="store_true",
                      help="the committee's view: also members not published, held for review or lapsed")
    find.add_argument("--json", action="store_true", help="print a JSON list, best first")
    _circles_parser(sub)
    _applications_parser(sub)
    _grouping_parser(sub)
    _report_parsers(sub)
    _privacy_parsers(sub)
    _backup_parsers(sub)
    _messages_parser(sub)
    return parser


def _messages_parser(sub) -> None:
    """Register `messages preview|send|eml|log` (kinds spelled out: the messages package loads only when run)."""
    kinds = ("decisions", "survey", "check-in")
    top = sub.add_parser("messages", help="the year's messages: decisions, survey invitations, check-ins")
    msub = top.add_subparsers(dest="messages_command", required=True)
    preview = msub.add_parser("preview", help="each recipient's message as it would go out, and what is sent")
    send = msub.add_parser("send", help="send what has not been sent (failed ones again); print sent, skipped, "
                                        "failed")
    eml = msub.add_parser("eml", help="write every message as an unsent .eml draft, and a mail-merge CSV")
    for command in (preview, send, eml):
        command.add_argument("--cycle", required=True, help="program year, e.g. 2025-26")
        command.add_argument("--kind", required=True, choices=kinds)
        command.add_argument("--to", choices=("member", "facilitator"), default="member",
                             help="check-in: write to the members at risk or their facilitators (default member)")
    for command in (preview, send):
        command.add_argument("--json", action="store_true", help="print one JSON object")
    send.add_argument("--yes", action="store_true", help="do not ask before sending")
    eml.add_argument("--out", required=True, type=Path, help="folder for the files")
    survey_url = msub.add_parser("survey-url", help="set the address of a program year's end-of-year survey")
    survey_url.add_argument("--cycle", required=True)
    survey_url.add_argument("url", help="the survey's address, https://...")
    logged = msub.add_parser("log", help="every message of a year: to whom, when, by whom, with what result")
    logged.add_argument("--cycle", required=True)
    logged.add_argument("--json", action="store_true", help="print one JSON list")


def _backup_parsers(sub) -> None:
    """Register `backup OUT` and `restore IN [--yes]` (lib/admin/commands.py)."""
    from .admin import commands as admin_commands
    admin_commands.backup_parsers(sub)


def _privacy_parsers(sub) -> None:
    """Register `people show|delete` and `retention purge` (lib/admin/commands.py)."""
    from .admin import commands as admin_commands
    admin_commands.privacy_parsers(sub)


def _circles_parser(sub) -> None:
    """Register `circles form|list|finalise|export` (choices spelled out: the circles package loads only when run)."""
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


def _read_password(prompt: str) -> str:
    """Ask twice on a terminal; otherwise read one line from standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        if first != getpass.getpass("Again: "):
            raise auth.UserError("The two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def _parse_maps(values: list[str]) -> dict[str, str]:
    """Turn repeated HEADER=FIELD options into a dict (the last '=' separates, headers may hold '=')."""
    mapping = {}
    for value in values:
        if "=" not in value:
            raise ImportRefused(f"--map needs HEADER=FIELD, got '{value}'")
        header, target = value.rsplit("=", 1)
        mapping[header.strip()] = target.strip()
    return mapping


def _print_import(result, as_json: bool) -> None:
    """Print an import's outcome for people or for scripts."""
    if as_json:
        print(json.dumps(result.to_dict(), default=str))
        return
    verb = "Checked (dry run)" if result.dry_run else "Imported" if result.batch_id else "Nothing new in"
    print(f"{verb} {result.file_name}: {forms.KIND_LABELS[result.kind]}, cycle {result.cycle or 'from timestamps'}")
    print(f"  rows {result.rows}, new {result.new}, updated {result.updated}, unchanged {result.unchanged}, "
          f"repeat submissions {result.repeats}, new people {result.new_people}")
    if result.batch_id:
        print(f"  batch {result.batch_id} (undo: python -m lib imports undo {result.batch_id})")
    for header, target in result.guessed.items():
        print(f"  guessed from its answers: '{header}' -> {target} (override with --map \"{header}=FIELD\")")
    for header, why in result.doubtful.items():
        print(f"  weak guess, not used: '{header}': {why} (use it with --map \"{header}=FIELD\")")
    if result.unmapped:
        print("  not imported (no field chosen): " + "; ".join(f"'{h}'" for h in result.unmapped))
    for warning in result.warnings[:20]:
        print(f"  warning: {warning}")
    if len(result.warnings) > 20:
        print(f"  ... and {len(result.warnings) - 20} more warnings")


def _import_command(conn, args) -> int:
    """Run `import`: with --json the preview object is always printed, a refusal's included (exit 2)."""
    from .imports import batches as imports
    try:
        result = imports.import_file(conn, args.file, kind=args.kind, cycle=args.cycle, mapping=_parse_maps(args.map),
                                     dry_run=args.dry_run, actor="cli", sheet=args.sheet,
                                     day_first=True if args.day_first else None)
    except ValueError as exc:  # ImportRefused, or a malformed --cycle or --map
        if args.json:
            # A file refused before its columns were read (unreadable, a bad --cycle) has no mapping to show.
            seen = getattr(exc, "preview", None) or imports.ImportResult(
                file_name=args.file.name, file_hash="", kind=args.kind, cycle=args.cycle, mapping={},
                dry_run=args.dry_run, errors=[imports.Problem(None, None, None, str(exc))])
            print(json.dumps({**seen.to_dict(), "refused": str(exc)}, default=str))
        raise
    _print_import(result, args.json)
    if not result.ok:
        print(f"error: {args.file.name}: {len(result.errors)} problem(s); nothing was imported", file=sys.stderr)
        for problem in result.errors[:50]:
            print(f"  {problem}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the process exit code (2 when refused)."""
    args = _parser().parse_args(argv)
    if args.command == "grouping":  # needs no database, so it also runs while the dashboard holds the file
        return _grouping(args)
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
    """Dispatch a parsed command."""
    # Modules are imported per command, so that `python -m lib import` does not pay for pandas.
    if args.command == "init":
        auth.announce_first_admin(auth.ensure_first_admin(conn))
        if args.demo:
            from .demo import build

            if db.scalar(conn, "SELECT count(*) FROM import_batches"):
                print("The database already has data; demo not loaded.")
            else:
                build.load(conn, report=print)
        print(f"Database ready: {get_settings().db_path}")
        return 0
    if args.command == "demo":
        from .demo import build
        auth.announce_first_admin(auth.ensure_first_admin(conn))
        build.load(conn, people=args.people, seed=args.seed, out_dir=args.out, report=print, shape=args.shape)
        return 0
    if args.command == "stats":
        from .year import overview
        figures = overview.stats(conn)
        if args.json:
            print(json.dumps(figures, default=str))
        else:
            for key, value in figures.items():
                print(f"{key}: {value}")
        return 0
    if args.command == "users":
        return _users(conn, args)
    if args.command == "import":
        return _import_command(conn, args)
    if args.command == "imports":
        from .imports import batches as imports
        if args.imports_command == "list":
            print(imports.list_batches(conn).to_string(index=False))
        else:
            removed = imports.undo_batch(conn, args.batch_id, actor="cli")
            print(f"Undid batch {args.batch_id}: " + ", ".join(f"{k} {v}" for k, v in removed.items() if v))
        return 0
    if args.command == "export":
        return _export_directory(conn, args)
    if args.command == "skills":
        return _skills_command(conn, args)
    if args.command == "institutions":
        return _institutions_command(conn, args)
    if args.command == "search":
        return _search(conn, args)
    if args.command == "circles":
        from .circles import commands as circles_commands
        return circles_commands.run(conn, args)
    if args.command in ("applications", "cycles"):
        return _applications_command(conn, args)
    if args.command == "grouping":
        return _grouping(args)
    if args.command in ("outcomes", "report"):
        return _report_command(conn, args)
    if args.command == "attendance":
        return _attendance_command(conn, args)
    if args.command in ("people", "retention", "backup", "restore"):
        from .admin import commands as admin_commands
        return admin_commands.run(conn, args)
    if args.command == "messages":
        from .messages import commands as messages_commands
        return messages_commands.run(conn, args)
    raise AssertionError(args.command)


def _search(conn, args) -> int:
    """Run `search`: ranked results of the Skills Directory, for people or as JSON."""
    from . import cycles
    from .directory import search

    cycle = args.cycle or cycles.current(conn)
    if cycle is None:
        raise ValueError("No Skills Directory Survey has been imported yet")
    cycles.parse(cycle)
    table, total = search.search(conn, cycle, args.query, audience=search.COMMITTEE if args.all else search.PUBLIC,
                                 limit=args.limit)
    rows = table.to_pylist()
    if args.json:
        print(json.dumps([{
            "person_id": row["person_id"], "name": row["name"], "institution": row["institution"],
            "region": row["region"], "job_title": row["job_title"], "email": row["email"],
            "matched_skills": row["matched_skills"], "matched_other": row["matched_other"],
            "matched_in": search.why(row), "score": row["score"], "matched_terms": row["matched_units"],
            "open_to": row["open_to"], **({"status": row["status"]} if args.all else {})} for row in rows],
            ensure_ascii=False))
        return 0
    print(f"{total} member(s) of the {cycle} directory match {args.query!r}; best first:")
    for row in rows:
        where = ", ".join(part for part in (row["job_title"], row["institution"], row["region"]) if part)
        matched = ", ".join(row["matched_skills"] + row["matched_other"])
        print(f"  {row['name']} ({where}) <{row['email']}>" + (f" - matched: {matched}" if matched else "")
              + (f" [{row['status']}]" if args.all and row["status"] != "published" else ""))
    return 0


def _export_directory(conn, args) -> int:
    """Write the published directory of a program year in one format; say what was written."""
    from . import cycles
    from .directory import files, publication
    cycle = args.cycle or cycles.current(conn)
    if cycle is None:
        raise ValueError("The database has no program year yet: import a Skills Directory Survey first")
    directory = publication.load(conn, cycle)
    data = files.render(directory, args.format)
    try:
        args.out.write_bytes(data)
    except OSError as exc:
        raise ValueError(f"Cannot write {args.out}: {exc.strerror or exc}") from exc
    count = len(directory.members)
    print(f"Wrote {directory.title} ({args.format}) to {args.out}: {count} member{'s' if count != 1 else ''}, "
          f"{len(data):,} bytes")
    if not count:
        print(f"  {directory.empty_note} The file says so.")
    return 0


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


def _skills_command(conn, args) -> int:
    """Run a `skills` subcommand."""
    from .directory import skills
    if args.skills_command == "proposals":
        found = skills.proposals(conn)
        if args.json:
            print(json.dumps([{"text": p.text, "members": p.members, "answers": p.answers, "closest": p.closest,
                               "candidates": [{"skill": c.name, "score": c.score} for c in p.candidates]}
                              for p in found]))
        for p in [] if args.json else found:
            hints = ", ".join(f"{c.name} ({c.score})" for c in p.candidates) or "no close skill"
            print(f"{p.text}\t{p.members} members\t{p.answers} answers\t{hints}")
        return 0
    if args.skills_command == "dismiss":
        skills.dismiss(conn, args.text, actor="cli")
        print(f"Dismissed '{args.text}': it is no longer proposed")
        return 0
    if args.skills_command == "add":
        change = skills.accept_as_skill(conn, args.name, args.category, actor="cli")
    elif args.skills_command == "alias":
        change = skills.accept_as_alias(conn, args.alias, skills.find(conn, args.skill).id, actor="cli")
    else:
        source, target = skills.find(conn, args.source), skills.find(conn, args.skill)
        change = skills.merge(conn, source.id, target.id, actor="cli")
        print(f"Merged '{source.name}' into '{change.name}': {change.moved} answer(s) moved")
    if args.skills_command != "merge":
        print(f"Saved '{change.name}'")
    print(f"  {change.relinked} past answer(s) re-linked" + (f" ({', '.join(change.values)})" if change.values else ""))
    return 0


def _institutions_command(conn, args) -> int:
    """Run an `institutions` subcommand."""
    from .directory import institutions
    if args.institutions_command == "review":
        found = institutions.to_review(conn)
        if args.json:
            print(json.dumps([{"name": u.name, "answers": u.answers,
                               "suggestions": [{"institution": n, "score": s} for _, n, s in u.suggestions]}
                              for u in found]))
        for u in [] if args.json else found:
            print(f"{u.name}\t{u.answers} answers\t" + (", ".join(f"{n} ({s})" for _, n, s in u.suggestions)
                                                          or "no suggestion"))
        return 0
    target = institutions.find(conn, args.institution)
    relinked = institutions.accept_alias(conn, args.name, target.id, actor="cli")
    print(f"'{args.name}' is now an alias of {target.name}: {relinked.responses} survey answer(s), "
          f"{relinked.applications} application(s) and {relinked.people} person record(s) re-linked")
    return 0


def _applications_parser(sub) -> None:
    """Register `applications list|override` and `cycles deadline`."""
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


def _applications_command(conn, args) -> int:
    """Run `applications list|override` or `cycles deadline`."""
    from datetime import date

    from .circles import applications
    from . import cycles
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


def _grouping_parser(sub) -> None:
    """Register `grouping mdgp FILE` (the grouping engine on a maximally diverse grouping problem instance)."""
    grouping = sub.add_parser("grouping", help="the grouping engine behind the circles, on outside benchmarks")
    grouping_sub = grouping.add_subparsers(dest="grouping_command", required=True)
    mdgp = grouping_sub.add_parser("mdgp", help="solve a maximally diverse grouping problem instance (MDGPLIB format)")
    mdgp.add_argument("file", type=Path)
    mdgp.add_argument("--seconds", type=float, default=10.0, help="time limit (default 10)")
    mdgp.add_argument("--seed", type=int, default=0, help="same seed, same search (default 0)")
    mdgp.add_argument("--json", action="store_true", help="print one JSON object")


def _grouping(args) -> int:
    """Run `grouping mdgp`: read the instance, solve, print the groups (exit 2 on a missing or malformed file)."""
    from .grouping import engine, mdgp
    try:
        problem, name = mdgp.read_mdgp(args.file)
        solution = engine.solve(problem, seconds=args.seconds, seed=args.seed)
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"instance": name, "objective": solution.objective, "groups": solution.groups,
                          "seconds": round(solution.seconds, 3), "optimal": solution.optimal, "gap": solution.gap,
                          "method": solution.method}))
        return 0
    print(f"instance: {name} ({len(problem.scores)} elements, {len(problem.sizes)} groups)")
    print(f"objective: {solution.objective:.2f}")
    print(f"method: {solution.method}")
    print(f"optimal: {'yes (proven)' if solution.optimal else 'not proven'}")
    print("gap: " + ("unknown (no bound)" if solution.gap is None
                     else f"{solution.gap:.2%} (bound {solution.bound:.2f})"))
    print(f"seconds: {solution.seconds:.2f}")
    for g, members in enumerate(solution.groups):
        print(f"group {g} ({len(members)}): " + " ".join(map(str, members)))
    return 0


def _report_parsers(sub) -> None:
    """Register `outcomes` (a program year's outcome figures) and `report` (the annual report to a file)."""
    result = sub.add_parser("outcomes", help="a program year's end-of-year outcomes, attendance and flags")
    result.add_argument("--cycle", required=True, help="program year, e.g. 2023-24")
    result.add_argument("--json", action="store_true", help="print one JSON object")
    seen = sub.add_parser("attendance", help="a program year's attendance: rates, members at risk, completion")
    seen.add_argument("--cycle", required=True, help="program year, e.g. 2025-26")
    seen.add_argument("--json", action="store_true", help="print one JSON object")
    annual = sub.add_parser("report", help="write the annual report to ALI leadership (PDF, HTML or Markdown)")
    annual.add_argument("--cycle", required=True, help="program year, e.g. 2023-24")
    annual.add_argument("--format", required=True, choices=("pdf", "html", "md"))
    annual.add_argument("--out", required=True, type=Path)


def _report_command(conn, args) -> int:
    """Run `outcomes` (figures as text or JSON) or `report` (write the file; say where and how big)."""
    from .year import attendance, outcomes
    from . import cycles
    from .report import files, model as report

    cycles.application_deadline(conn, args.cycle)  # ValueError naming the known years for an unknown one
    if args.command == "report":
        built = report.build(conn, args.cycle)
        data = files.render_report(built, args.format)
        try:
            args.out.write_bytes(data)
        except OSError as exc:
            raise ValueError(f"Cannot write {args.out}: {exc.strerror or exc}") from exc
        print(f"Wrote {built.title} ({args.format}) to {args.out}: {len(data):,} bytes")
        for flag in built.flags:
            print(f"  warning: {flag}")
        return 0
    result = outcomes.summary(conn, args.cycle)
    seen = attendance.summary(conn, args.cycle)
    if args.json:
        body = result.as_dict() | {"attendance_rate": seen.rate, "attendance": seen.as_dict(),
                                   "sentences": {"met_goals": result.sentence("met_goals"),
                                                 "participate_again": result.sentence("participate_again")}}
        print(json.dumps(body, ensure_ascii=False))
        return 0
    print(f"Outcomes of {args.cycle}")
    print(f"  {result.sentence('met_goals')}")
    print(f"  {result.sentence('participate_again')}")
    rate = f" ({result.response_rate:.0%})" if result.response_rate is not None else ""
    print(f"  responses: {result.responses} from {result.participants} participants{rate}; "
          f"{result.named} named, {result.anonymous} anonymous")
    answered = sum(result.satisfaction.values())
    print("  satisfaction: " + (f"mean {result.satisfaction_mean:.1f} from {answered} answers ("
                                + ", ".join(f"{k}: {v}" for k, v in result.satisfaction.items()) + ")"
                                if answered else "no answers"))
    print("  attendance: " + (f"{seen.rate:.0%} ({seen.present} present of {seen.marked} marked)"
                              if seen.marked else "nothing marked"))
    for flag in result.flags:
        print(f"  warning: {flag}")
    return 0


def _attendance_command(conn, args) -> int:
    """Run `attendance`: the year's rate and completion, each circle, and who is at risk (text or JSON)."""
    from .year import attendance
    from . import cycles

    cycles.application_deadline(conn, args.cycle)  # ValueError naming the known years for an unknown one
    figures = attendance.summary(conn, args.cycle)
    per_circle = attendance.circles(conn, args.cycle)
    risky = attendance.members(conn, args.cycle)
    risky = risky[risky["at_risk"]]
    if args.json:
        print(json.dumps(figures.as_dict() | {
            "cycle": args.cycle,
            "circles": [{"circle": r.circle, "members": int(r.members), "present": int(r.present),
                         "marked": int(r.marked), "rate": None if r.rate != r.rate else r.rate,
                         "at_risk": int(r.at_risk), "completed": int(r.completed)} for r in per_circle.itertuples()],
            "at_risk_members": [{"name": r.name, "circle": r.circle, "absent": int(r.absent),
                                 "rate": r.rate} for r in risky.itertuples()]}, ensure_ascii=False))
        return 0
    print(f"Attendance of {args.cycle}: " + (f"{figures.rate:.0%} ({figures.present} present of {figures.marked} "
                                              f"marked, {figures.excused} excused)" if figures.marked
                                              else "nothing marked yet"))
    if figures.completed is not None:
        print(f"  completed the year: {figures.completed} of {figures.completion_known}")
    for r in per_circle.itertuples():
        rate = f"{r.rate:.0%}" if r.marked else "-"
        print(f"  {r.circle}: {r.members} members, attendance {rate}, at risk {r.at_risk}")
    print(f"  at risk (missed their last two meetings): {len(risky)}")
    for r in risky.itertuples():
        print(f"    {r.name} ({r.circle})")
    return 0
