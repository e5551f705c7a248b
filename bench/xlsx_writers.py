"""Benchmark: the directory's XLSX writer (hand-written SpreadsheetML) against XlsxWriter's constant_memory mode.

The same synthetic directory goes through `lib.directory.publication.to_xlsx` and through an XlsxWriter version of it
(the same cells, styles, widths, frozen rows and filter; every cell written with write_string, so no text can
become a formula), in process, interleaved; prints medians and the ratio. XlsxWriter replaces the hand-written
writer only within 1.5x of it.

    .venv/bin/python bench/xlsx_writers.py [--members 57000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.directory import publication  # noqa: E402

SKILLS = ["Cataloging", "Metadata", "Archives", "Copyright", "Open access", "Zine librarianship", "Instruction",
          "Data services", "Digital humanities", "Assessment"]


def xlsxwriter_directory(directory: publication.Directory) -> bytes:
    """The directory workbook written by XlsxWriter in constant_memory mode."""
    import xlsxwriter

    rows = [[publication._xlsx_text(value) for value in row] for row in publication._rows(directory)]
    out = io.BytesIO()
    # constant_memory writes each row to a temporary file as it goes; in_memory would turn it off.
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet(f"Directory {directory.cycle}")
    text = book.add_format({"num_format": "@", "valign": "top", "text_wrap": True})
    header = book.add_format({"num_format": "@", "valign": "top", "text_wrap": True, "bold": True,
                              "bg_color": "#E8EEF2"})
    title = book.add_format({"num_format": "@", "bold": True, "font_size": 14, "font_color": "#1F3B4D"})
    for index, name in enumerate(publication.HEADERS):
        longest = max((len(row[index]) for row in rows if row[index]), default=0)
        sheet.set_column(index, index, max(len(name) + 4, min(longest + 2, publication._WIDTHS[name])))
    sheet.freeze_panes(2, 0)
    sheet.autofilter(1, 0, max(len(rows) + 1, 2), len(publication.HEADERS) - 1)
    sheet.write_string(0, 0, publication._xlsx_text(directory.title), title)
    for column, name in enumerate(publication.HEADERS):
        sheet.write_string(1, column, name, header)
    for number, row in enumerate(rows, 2):
        for column, value in enumerate(row):
            if value:
                sheet.write_string(number, column, value, text)
    book.close()
    return out.getvalue()


def directory_of(members: int) -> publication.Directory:
    """A synthetic published directory: accented names, a few skills each."""
    rng = random.Random(19)
    people = [publication.Member(f"José Álvarez {n}", "Librarian", "Research Services", "Ball State University",
                                 "East Central", f"person{n}@example.edu", tuple(rng.sample(SKILLS, 4)), (),
                                 ("Support", "Feedback"), "Email") for n in range(members)]
    return publication.Directory("2025-26", date(2025, 10, 1), people)


def main() -> int:
    """Time both writers alternately and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=57_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    directory = directory_of(args.members)
    ours, theirs = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        mine = publication.to_xlsx(directory)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        other = xlsxwriter_directory(directory)
        theirs.append(time.perf_counter() - started)
    hand, library = statistics.median(ours), statistics.median(theirs)
    print(f"{'writer':40} {'median s':>9} {'KB':>7}")
    print(f"{'hand-written SpreadsheetML (lib)':40} {hand:>9.3f} {len(mine) / 1024:>7.0f}")
    print(f"{'XlsxWriter constant_memory':40} {library:>9.3f} {len(other) / 1024:>7.0f}")
    print(f"{'ratio XlsxWriter / hand-written (use at 1.5)':40} {library / hand:>9.2f}")
    print(f"{args.members:,} members, {args.repeat} runs each, interleaved; load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
