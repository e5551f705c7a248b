"""The command line's `report`: the annual report to ALI leadership, written to a PDF, HTML or Markdown file."""
from __future__ import annotations

from pathlib import Path


def parsers(sub) -> None:
    """Register `report` (the annual report to a file)."""
    annual = sub.add_parser("report", help="write the annual report to ALI leadership (PDF, HTML or Markdown)")
    annual.add_argument("--cycle", required=True, help="program year, e.g. 2023-24")
    annual.add_argument("--format", required=True, choices=("pdf", "html", "md"))
    annual.add_argument("--out", required=True, type=Path)


def run(conn, args) -> int:
    """Run `report`: write the file; say where and how big."""
    from .. import cycles
    from . import files, model as report

    cycles.application_deadline(conn, args.cycle)  # ValueError naming the known years for an unknown one
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
