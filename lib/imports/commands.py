"""The command line's `import FILE` (check, preview, commit) and `imports list|undo` (the import history)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from . import forms
from .refusals import ImportRefused


def parsers(sub) -> None:
    """Register `import` and `imports list|undo`."""
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


def run(conn, args) -> int:
    """Run `import` or `imports list|undo`."""
    if args.command == "import":
        return _import_command(conn, args)
    from . import batches
    if args.imports_command == "list":
        print(batches.list_batches(conn).to_string(index=False))
    else:
        removed = batches.undo_batch(conn, args.batch_id, actor="cli")
        print(f"Undid batch {args.batch_id}: " + ", ".join(f"{k} {v}" for k, v in removed.items() if v))
    return 0


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
    from . import batches
    try:
        result = batches.import_file(conn, args.file, kind=args.kind, cycle=args.cycle, mapping=_parse_maps(args.map),
                                     dry_run=args.dry_run, actor="cli", sheet=args.sheet,
                                     day_first=True if args.day_first else None)
    except ValueError as exc:  # ImportRefused, or a malformed --cycle or --map
        if args.json:
            # A file refused before its columns were read (unreadable, a bad --cycle) has no mapping to show.
            seen = getattr(exc, "preview", None) or batches.ImportResult(
                file_name=args.file.name, file_hash="", kind=args.kind, cycle=args.cycle, mapping={},
                dry_run=args.dry_run, errors=[batches.Problem(None, None, None, str(exc))])
            print(json.dumps({**seen.to_dict(), "refused": str(exc)}, default=str))
        raise
    _print_import(result, args.json)
    if not result.ok:
        print(f"error: {args.file.name}: {len(result.errors)} problem(s); nothing was imported", file=sys.stderr)
        for problem in result.errors[:50]:
            print(f"  {problem}", file=sys.stderr)
        return 2
    return 0
