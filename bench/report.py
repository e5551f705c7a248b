#!/usr/bin/env python3
"""Benchmark the annual report: each format end to end against rendering the report's charts alone.

Run from the project root with the project's virtualenv:

    .venv/bin/python bench/report.py [--repeat 7] [--cycle 2025-26] [--people N] [--json out.json]

It builds a demo database in a temporary folder (`lib.demo`, 420-person pool unless --people), then, in one
process, times `lib.report.files.render(conn, cycle, fmt)` for pdf, html and md, `lib.report.model.build` (gathering
the figures, no output) and the baseline `lib.report.model.charts_only` (build, then each chart to PNG with vl-convert:
the part of the report that is not our own layout). One untimed warm-up of each comes first (imports, the
renderer's first start, DuckDB caches); then N rounds, the order rotating each round so that machine drift
touches every measure alike. It prints medians and each median's ratio to the charts' median. No timed
assertion anywhere: compare ratios across machines, not seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib import db
from lib.demo import build as demo
from lib.report import files, model as report

BASELINE = "charts alone (charts_only: build + PNG of each chart)"


def log(text: str) -> None:
    """Progress goes to stderr so that stdout holds only the results table."""
    print(text, file=sys.stderr, flush=True)


def measures(conn, cycle: str) -> dict:
    """The measured calls by name, each returning the bytes it made (for the size column)."""
    def render(fmt: str):
        """One format of the report, end to end."""
        return lambda: files.render(conn, cycle, fmt)

    return {
        BASELINE: lambda: b"".join(report.charts_only(conn, cycle)),
        "report: pdf": render("pdf"),
        "report: html": render("html"),
        "report: md": render("md"),
        "build only (figures, no output)": lambda: report.build(conn, cycle).text().encode(),
    }


def main(argv: list[str] | None = None) -> int:
    """Build the demo, run the rounds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds (default 7)")
    parser.add_argument("--cycle", default="2025-26", help="program year to report on (default 2025-26)")
    parser.add_argument("--people", type=int, default=None, help="demo people pool (default lib.demo's 420)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("ALI_BCRYPT_ROUNDS", "4")
    with tempfile.TemporaryDirectory(prefix="ali-report-bench-") as folder:
        os.environ["ALI_DB"] = str(Path(folder) / "bench.duckdb")
        started = time.perf_counter()
        conn = db.connect(Path(folder) / "bench.duckdb")
        demo.load(conn, people=args.people, out_dir=Path(folder) / "exports")
        log(f"demo built in {time.perf_counter() - started:.1f} s")
        try:
            return _run(conn, args)
        finally:
            conn.close()


def _run(conn, args) -> int:
    """Warm up, time the interleaved rounds, print and optionally save the medians."""
    calls = measures(conn, args.cycle)
    names = list(calls)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    log(f"annual report benchmark: cycle {args.cycle}, {args.repeat} rounds, load average {load:.2f}")
    sizes = {}
    for name in names:
        sizes[name] = len(calls[name]())
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(args.repeat):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - started)
        log(f"round {round_no + 1}/{args.repeat} done")
    base = statistics.median(times[BASELINE])
    rows = [{"measure": name, "median_s": statistics.median(times[name]), "min_s": min(times[name]),
             "max_s": max(times[name]), "bytes": sizes[name],
             "ratio": statistics.median(times[name]) / base} for name in names]
    end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cycle {args.cycle}, {args.repeat} rounds; load average {load:.2f} at start, {end:.2f} at end; "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    print("| measure | median s | min s | max s | output bytes | ratio to charts alone |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['measure']} | {r['median_s']:.3f} | {r['min_s']:.3f} | {r['max_s']:.3f} | {r['bytes']:,} | "
              f"{r['ratio']:.2f}× |")
    if args.json:
        args.json.write_text(json.dumps({"cycle": args.cycle, "repeat": args.repeat, "load_start": load,
                                         "load_end": end, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
