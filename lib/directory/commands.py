"""The command line of the Skills Directory: `export directory`, `skills`, `institutions` and `search`."""
from __future__ import annotations

import json
from pathlib import Path


def parsers(sub) -> None:
    """Register `export directory`, `skills`, `institutions` and `search`."""
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


def run(conn, args) -> int:
    """Run `export`, `skills`, `institutions` or `search`."""
    if args.command == "export":
        return _export_directory(conn, args)
    if args.command == "skills":
        return _skills_command(conn, args)
    if args.command == "institutions":
        return _institutions_command(conn, args)
    return _search(conn, args)


def _export_directory(conn, args) -> int:
    """Write the published directory of a program year in one format; say what was written."""
    from .. import cycles
    from . import files, publication
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


def _skills_command(conn, args) -> int:
    """Run a `skills` subcommand."""
    from . import skills
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
    from . import institutions
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


def _search(conn, args) -> int:
    """Run `search`: ranked results of the Skills Directory, for people or as JSON."""
    from .. import cycles
    from . import search

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
