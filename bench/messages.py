#!/usr/bin/env python3
"""Benchmark the year's messages: composing, drafting and sending them against reading the year's applicants.

Run from the project root with the project's virtualenv:

    .venv/bin/python bench/messages.py [--people 20000] [--repeat 5] [--cycle 2025-26] [--db FILE] [--json out.json]

It builds a demo database in a temporary folder (`lib.demo`, 420-person pool unless --people; or a copy of
--db), then, in one process, times for the `decisions` of one program year: `lib.messages.sending.plan` (every
recipient's message composed, each placed member's calendar, the log read; and as the page's preview makes it,
calendars named but not written), `eml_zip` and `merge_csv` of those
messages, and `send` to a real SMTP server on 127.0.0.1 (aiosmtpd, a test dependency; the log is emptied before
each send, untimed), against the baseline `lib.circles.applications.applicants` (the eligibility read every message
starts from). One untimed warm-up of each comes first; then N rounds, the order rotating each round. It prints
medians and each median's ratio to the baseline's. No timed assertion anywhere: compare ratios, not seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib import db  # noqa: E402
from lib.circles import applications  # noqa: E402
from lib.demo import build as demo  # noqa: E402
from lib.messages import files, sending  # noqa: E402

BASELINE = "applicants (eligibility read)"


def log(text: str) -> None:
    """Progress goes to stderr so that stdout holds only the results table."""
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Build or copy the database, start the loopback server, run the rounds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--cycle", default="2025-26", help="program year (default 2025-26)")
    parser.add_argument("--people", type=int, default=None, help="demo people pool (default lib.demo's 420)")
    parser.add_argument("--db", type=Path, help="use a copy of this database instead of building the demo")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("ALI_BCRYPT_ROUNDS", "4")
    from tests.smtp_support import Recorder, free_port
    from aiosmtpd.controller import Controller

    with tempfile.TemporaryDirectory(prefix="ali-messages-bench-") as folder:
        path = Path(folder) / "bench.duckdb"
        os.environ["ALI_DB"] = str(path)
        started = time.perf_counter()
        if args.db:
            shutil.copy(args.db, path)
            conn = db.connect(path)
        else:
            conn = db.connect(path)
            demo.load(conn, people=args.people, out_dir=Path(folder) / "exports")
        log(f"database ready in {time.perf_counter() - started:.1f} s")
        recorder, port = Recorder(), free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        os.environ.update({"ALI_SMTP_HOST": "127.0.0.1", "ALI_SMTP_PORT": str(port), "ALI_SMTP_SECURITY": "none",
                           "ALI_MAIL_FROM": "ALI Mentorship Committee <mentorship@example.org>",
                           "ALI_MAIL_REPLY_TO": "chair@example.org"})
        try:
            return _run(conn, args, recorder)
        finally:
            controller.stop()
            conn.close()


def _run(conn, args, recorder) -> int:
    """Warm up, time the interleaved rounds, print and optionally save the medians."""
    cycle = args.cycle
    planned = [p.message for p in sending.plan(conn, cycle, "decisions")]

    def send() -> int:
        """Send every decision to the loopback server (the log emptied first, untimed by the caller)."""
        outcome = sending.send(conn, cycle, "decisions", "bench")
        assert outcome.sent == len(planned) and not outcome.failed, outcome.as_dict()
        return outcome.sent

    calls = {BASELINE: lambda: len(applications.applicants(conn, cycle)),
             "plan: every decision composed": lambda: len(sending.plan(conn, cycle, "decisions")),
             "plan for the preview (calendars named, not written)":
                 lambda: len(sending.plan(conn, cycle, "decisions", attach=False)),
             "eml_zip: every draft": lambda: len(files.eml_zip(planned)),
             "merge_csv": lambda: len(files.merge_csv(planned)),
             "send: every decision to 127.0.0.1": send}
    reset = {"send: every decision to 127.0.0.1": lambda: conn.execute("DELETE FROM messages")}
    names = list(calls)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    log(f"messages benchmark: cycle {cycle}, {len(planned):,} decisions, {args.repeat} rounds, load {load:.2f}")
    for name in names:
        reset.get(name, lambda: None)()
        calls[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(args.repeat):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            reset.get(name, lambda: None)()
            started = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - started)
        log(f"round {round_no + 1}/{args.repeat} done")
    base = statistics.median(times[BASELINE])
    rows = [{"measure": name, "median_s": statistics.median(times[name]), "min_s": min(times[name]),
             "max_s": max(times[name]), "ratio": statistics.median(times[name]) / base} for name in names]
    end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cycle {cycle}, {len(planned):,} decisions, {args.repeat} rounds; load average {load:.2f} at start, "
          f"{end:.2f} at end; {os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    print("| measure | median s | min s | max s | ratio to the eligibility read |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['measure']} | {r['median_s']:.3f} | {r['min_s']:.3f} | {r['max_s']:.3f} | {r['ratio']:.2f}× |")
    if args.json:
        args.json.write_text(json.dumps({"cycle": cycle, "messages": len(planned), "repeat": args.repeat,
                                         "load_start": load, "load_end": end, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
