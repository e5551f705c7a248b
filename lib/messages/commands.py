"""`python -m lib messages preview|send|eml|log`: the year's messages without the browser."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from .. import cycles

if TYPE_CHECKING:
    from . import compose


def parsers(sub) -> None:
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


def run(conn: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    """Run one `messages` subcommand; refusals raise ValueError (exit 2)."""
    from . import sending, templates  # composing loads the circles and the calendar: only when run

    cycles.parse(args.cycle)
    command = args.messages_command
    if command == "log":
        frame = sending.log(conn, args.cycle)
        if args.json:
            print(frame.to_json(orient="records", date_format="iso", force_ascii=False))
        elif frame.empty:
            print(f"No message of {args.cycle} has been sent yet.")
        else:
            print(frame[["id", "kind", "recipient", "status", "reason", "attempts", "updated_by", "updated_at"]]
                  .to_string(index=False))
        return 0
    if command == "send":
        return _send(conn, args)
    if command == "survey-url":
        current = templates.year_settings(conn, args.cycle)
        templates.save_survey_url(conn, args.cycle, args.url, current.version, "cli")
        print(f"The {args.cycle} end-of-year survey is at {args.url.strip()}")
        return 0
    planned = sending.plan(conn, args.cycle, args.kind, args.to, attach=command == "eml")
    if command == "eml":
        return _eml(args, [p.message for p in planned])
    tally = sending.counts(planned)
    if args.json:
        print(json.dumps({"counts": tally, "messages": [
            {"to": p.message.to_email, "name": p.message.to_name, "template": p.message.template,
             "template_version": p.message.template_version, "subject": p.message.subject, "body": p.message.body,
             "attachments": [n for n, _ in p.message.attachments], "status": p.status, "reason": p.reason,
             "problem": p.message.problem} for p in planned]}, ensure_ascii=False))
        return 0
    for p in planned:
        state = sending.STATUS_WORDS.get(p.status, "not sent yet")
        print(f"=== To: {p.message.to_name} <{p.message.to_email}> [{p.message.template}, {state}"
              + (f": {p.reason}" if p.reason else "") + (f"; cannot send: {p.message.problem}"
                                                         if p.message.problem else "") + "]")
        print(f"Subject: {p.message.subject}")
        for name, _ in p.message.attachments:
            print(f"Attached: {name}")
        print(f"\n{p.message.body}\n")
    print(f"{len(planned)} message(s): {tally['to_send']} to send, {tally['sent']} sent, {tally['failed']} failed, "
          f"{tally['interrupted']} interrupted, {tally['no_address']} without an address")
    return 0


def _send(conn: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    """Confirm, send, print what happened (exit 1 when some failed, 2 when nothing could be sent)."""
    from . import mail, sending

    smtp = mail.config()
    if smtp is None:
        raise ValueError("No mail server is set up: set ALI_SMTP_HOST and ALI_MAIL_FROM (or [smtp] in "
                         ".streamlit/secrets.toml), or write drafts with `python -m lib messages eml`.")
    tally = sending.counts(sending.plan(conn, args.cycle, args.kind, args.to))
    if not args.yes:
        if not sys.stdin.isatty():
            raise ValueError("Not sent: nothing can ask for a confirmation here (standard input is not a "
                             "terminal). Add --yes to send without asking.")
        answer = input(f"Send {tally['to_send']} {args.kind} message(s) of {args.cycle} through "
                       f"{smtp.describe()}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing sent.")
            return 1
    outcome = sending.send(conn, args.cycle, args.kind, "cli", args.to, smtp=smtp)
    if args.json:
        print(json.dumps(outcome.as_dict(), ensure_ascii=False))
    else:
        print(f"sent {outcome.sent}, skipped {outcome.skipped} (sent before), failed {len(outcome.failed)}")
        for item in outcome.failed:
            print(f"  failed: {item['name']} <{item['email']}>: {item['reason']}")
        for item in outcome.interrupted:
            print(f"  interrupted earlier, may have gone out (resend on the Messages page if not): "
                  f"{item['name']} <{item['email']}>")
        if outcome.stopped:
            print(f"stopped: {outcome.stopped}; {outcome.not_tried} not tried (send again to go on)")
    return 1 if outcome.failed or outcome.stopped else 0


def _eml(args: argparse.Namespace, messages: list[compose.Message]) -> int:
    """Write the drafts and the mail-merge CSV into a folder."""
    from . import files

    try:
        args.out.mkdir(parents=True, exist_ok=True)
        written = files.eml_files(messages)
        for name, data in written:
            (args.out / name).write_bytes(data)
        merge = args.out / files.file_name(args.cycle, args.kind, "csv")
        merge.write_bytes(files.merge_csv(messages))
    except OSError as exc:
        raise ValueError(f"Cannot write into {args.out}: {exc.strerror}") from exc
    print(f"Wrote {len(written)} .eml draft(s) and {merge.name} into {args.out}")
    skipped = [m for m in messages if m.problem]
    for m in skipped:
        print(f"  no draft for {m.to_name}: {m.problem}")
    return 0
