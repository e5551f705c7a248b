"""Benchmark: `python -m lib import` of a 100,000-row Skills Directory Survey vs DuckDB's own read_csv.

Both sides run as fresh processes writing into a fresh database file, so both pay interpreter start-up
and the write to disk; the ratio is what to compare across machines. Also prints the in-process
read_csv time and the importer's peak memory (max RSS of its process).

`--xlsx` measures reading workbooks instead: `lib.imports.sheets.read` (python-calamine, after lib.imports.workbook_guard's
checks) against openpyxl's read-only mode as the importer used it before, in process and interleaved, on the
demo's three Skills Directory Survey exports saved as XLSX and on a large survey workbook (--xlsx-rows).

    .venv/bin/python bench/import_bench.py [--rows 100000] [--repeat 5]
    .venv/bin/python bench/import_bench.py --xlsx [--xlsx-rows 20000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADERS = ["Timestamp", "Email address", "Full name", "Institution / Library", "Job title", "Department",
           "Years in the profession", "Skills and areas of expertise (check all that apply)",
           "Colleagues may contact me for", "Preferred contact method",
           "Do you agree to have your responses published in the ALI Skills Directory?"]
PURPOSES = ["Support", "Discussion", "Feedback", "Collaboration"]
OTHER = ["Zine librarianship", "Podcasting", "Escape room design", "Wikipedia edit-a-thons"]


def write_survey(path: Path, rows: int, seed: int = 7) -> None:
    """Write a synthetic survey export: a fifth of the rows are repeat submissions, about ten skills each."""
    rng = random.Random(seed)
    with open(ROOT / "data" / "reference" / "skills.csv", encoding="utf-8") as handle:
        skills = [row["skill"] for row in csv.DictReader(handle)]
    with open(ROOT / "data" / "reference" / "institutions.csv", encoding="utf-8") as handle:
        institutions = [row["name"] for row in csv.DictReader(handle)]
    people = rows - rows // 5
    start = datetime(2025, 9, 8, 8, 0, 0)
    records = []
    for n in range(rows):
        person = n if n < people else rng.randrange(people)
        chosen = sorted(rng.sample(range(len(skills)), rng.randint(7, 13)))
        cell = [skills[i] for i in chosen] + ([rng.choice(OTHER)] if rng.random() < 0.05 else [])
        when = start + timedelta(seconds=rng.randrange(60 * 60 * 24 * 45) + (n >= people) * 3600)
        records.append((when, [
            f"{when.month}/{when.day}/{when.year} {when.hour}:{when.minute:02d}:{when.second:02d}",
            f"person{person}@example.edu", f"Person {person}", rng.choice(institutions), "Librarian",
            "Research Services", str(rng.randint(0, 35)), ", ".join(cell),
            ", ".join(p for p in PURPOSES if rng.random() < 0.6) or "Support", "Email",
            "Yes" if rng.random() < 0.82 else "No"]))
    records.sort(key=lambda item: item[0])
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(record for _, record in records)


def timed(command: list[str], env: dict) -> tuple[float, int]:
    """Run a command; return its wall time and its peak memory (KiB of max RSS)."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed: {errors.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss


def write_xlsx(source: Path, target: Path) -> None:
    """Save a CSV export as a workbook the way Google Sheets does (shared strings, one sheet)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target), {"strings_to_numbers": False, "strings_to_formulas": False,
                                             "strings_to_urls": False})
    sheet = book.add_worksheet("Form Responses 1")
    with open(source, newline="", encoding="utf-8-sig") as handle:
        for row, record in enumerate(csv.reader(handle)):
            for column, value in enumerate(record):
                sheet.write_string(row, column, value)
    book.close()


def read_openpyxl(data: bytes) -> int:
    """The importer's former workbook reader: openpyxl read-only, every cell into per-column lists of text."""
    import io

    import openpyxl

    from lib.imports.sheets import _cell_text

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = book[book.sheetnames[0]].iter_rows(values_only=True)
    width = len(next(rows))
    columns: list[list[str]] = [[] for _ in range(width)]
    for record in rows:
        for index in range(width):
            columns[index].append(_cell_text(record[index]) if index < len(record) else "")
    book.close()
    return len(columns[0])


def xlsx_bench(args: argparse.Namespace, work: Path) -> dict:
    """Time lib.imports.sheets.read against openpyxl on the demo's workbooks and a large one; print medians, ratios."""
    from lib.demo import build as demo
    from lib.imports import sheets

    files = []
    for made in demo.write_exports(work / "demo", shape="sheet"):
        if made.kind == "skills":
            files.append((f"demo survey {made.cycle}", made.path.with_suffix(".xlsx")))
            write_xlsx(made.path, files[-1][1])
    large = work / "large.csv"
    write_survey(large, args.xlsx_rows)
    files.append((f"survey, {args.xlsx_rows:,} rows", work / "large.xlsx"))
    write_xlsx(large, files[-1][1])
    results = {}
    print(f"{'workbook':28} {'KB':>7} {'calamine s':>11} {'openpyxl s':>11} {'ratio':>6}")
    for label, path in files:
        data = path.read_bytes()
        rows = sheets.read(data, path.name).rows  # untimed warm-up of both, and the same rows from each
        assert read_openpyxl(data) >= rows, label
        ours, theirs = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            sheets.read(data, path.name)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            read_openpyxl(data)
            theirs.append(time.perf_counter() - started)
        mine, base = statistics.median(ours), statistics.median(theirs)
        results[label] = {"kb": round(len(data) / 1024), "rows": rows, "calamine_median_s": round(mine, 3),
                          "openpyxl_median_s": round(base, 3), "speedup": round(base / mine, 1)}
        print(f"{label:28} {len(data) / 1024:>7.0f} {mine:>11.3f} {base:>11.3f} {base / mine:>5.1f}x")
    print(f"{args.repeat} runs each, interleaved; load {os.getloadavg()[0]:.1f}")
    return results


def main() -> int:
    """Generate the file, then time both sides alternately and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--xlsx", action="store_true", help="measure reading workbooks instead (calamine vs openpyxl)")
    parser.add_argument("--xlsx-rows", type=int, default=20_000, help="rows of the large workbook (default 20,000)")
    args = parser.parse_args()
    if args.xlsx:
        sys.path.insert(0, str(ROOT))
        work = Path(tempfile.mkdtemp(prefix="ali-xlsx-bench-"))
        try:
            results = xlsx_bench(args, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        return 0

    work = Path(tempfile.mkdtemp(prefix="ali-import-bench-"))
    survey = work / "survey.csv"
    write_survey(survey, args.rows)
    template = work / "empty.duckdb"
    env = dict(os.environ, ALI_DB=str(template))
    subprocess.run([sys.executable, "-m", "lib", "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    baseline_code = ("import duckdb, sys; c = duckdb.connect(sys.argv[1]);"
                     " c.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[2]]); c.close()")
    ours, base, memory = [], [], []
    for n in range(args.repeat):
        target = work / f"run{n}.duckdb"
        shutil.copy(template, target)
        seconds, rss = timed([sys.executable, "-m", "lib", "import", str(survey), "--kind", "skills"],
                             dict(os.environ, ALI_DB=str(target)))
        ours.append(seconds)
        memory.append(rss)
        bare = work / f"bare{n}.duckdb"
        base.append(timed([sys.executable, "-c", baseline_code, str(bare), str(survey)], dict(os.environ))[0])
    import duckdb

    in_process = []
    for _ in range(args.repeat):
        connection = duckdb.connect()
        started = time.perf_counter()
        connection.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(survey)])
        in_process.append(time.perf_counter() - started)
        connection.close()
    results = {
        "rows": args.rows, "file_mb": round(survey.stat().st_size / 1e6, 1),
        "import_median_s": round(statistics.median(ours), 3),
        "read_csv_process_median_s": round(statistics.median(base), 3),
        "ratio": round(statistics.median(ours) / statistics.median(base), 2),
        "read_csv_in_process_median_s": round(statistics.median(in_process), 3),
        "import_peak_rss_mb": round(max(memory) / 1024, 1),
        "runs": args.repeat, "load_average": os.getloadavg()[0],
    }
    print(f"{'measure':44} {'median s':>9}")
    print(f"{'python -m lib import (end to end)':44} {results['import_median_s']:>9.3f}")
    print(f"{'baseline: python + duckdb read_csv -> table':44} {results['read_csv_process_median_s']:>9.3f}")
    print(f"{'ratio (goal: at most 3)':44} {results['ratio']:>9.2f}")
    print(f"{'read_csv alone, in process (information)':44} {results['read_csv_in_process_median_s']:>9.3f}")
    print(f"{'import peak memory (max RSS, MB)':44} {results['import_peak_rss_mb']:>9.1f}")
    print(f"rows {args.rows:,}, file {results['file_mb']} MB, {args.repeat} runs, load {results['load_average']:.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
