"""Hostile files for the importers, generated from the demo exports by a seeded random.Random.

Every call of `corpus(kind, exports, count)` yields the same files in the same order, so a failure names a case
number that can be made again: wrong encodings, BOMs, control characters, open quotes, truncation at random
offsets, flipped bytes, damaged workbooks, random bytes and other formats under a spreadsheet's name, formulas
and HTML in cells, dates out of range, shuffled, duplicated and missing columns, and a handful of huge files
(a 1 MB cell, a million commas, 20,000 columns).
"""
from __future__ import annotations

import codecs
import csv
import io
import random
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

import openpyxl

FILES_PER_KIND = 1000
CYCLES = ("2023-24", "2024-25", "2025-26")
NEW_CYCLE = "2026-27"  # no circles yet: a roster for it imports (and is undone), one for the demo years cannot
SOURCES = {"skills": "skills_survey_{}.csv", "applications": "pmc_applications_{}.csv",
           "attendance": "attendance_{}.csv", "outcomes": "end_of_year_{}.csv", "rosters": "circles_{}.csv"}

# Words that only a programmer should read: exception class names, tracebacks, reprs of Python objects.
TECHNICAL = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception)\b|BadZipFile|Error:|errno|<class |"
                       r"object at 0x|\bNoneType\b|\\x[0-9a-f]{2}")


def plain(message: str) -> bool:
    """Tell whether a message is plain words for a committee member (non-empty, no programmer's terms)."""
    return bool(message.strip()) and not TECHNICAL.search(message)


@dataclass
class Case:
    """One generated file: what to import, and how it was made (to reproduce a failure)."""

    number: int
    name: str
    data: bytes
    cycle: str | None
    how: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        """Describe the case in a failure message."""
        return f"case {self.number} {self.name!r} ({len(self.data):,} bytes, cycle {self.cycle}): {', '.join(self.how)}"


Table = tuple[list[str], list[list[str]]]

CONTROL = ["\x00", "\x1b[31m", "\r", "\x0b", "\x0c", "\x07", "\x7f", "\u2028", "\u0085", "\ufeff", "\u202e", "\x1a"]
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3", "=1/0",
            '=IMPORTXML("http://x.example", "//a")']
MARKUP = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "<b>bold</b> name", "&lt;&amp;&gt;",
          "]]><!--", "<?xml version='1.0'?>"]
ODD_VALUES = ["0", "-1", "1e400", "NaN", "None", "null", "TRUE", "#N/A", "#DIV/0!", "'", '"', ",", ";", "\\",
              "%s%n", "{0}", "' OR 1=1 --", "Robert'); DROP TABLE people;--", "   ", "\t", "ü@ü.de", "Yes; No",
              "yes, no", "Present?", "PRESENT", "p", "6", "5.5", "١٢٣", "٣"]
ODD_DATES = ["1/1/1900 0:00:00", "12/31/9999 23:59:59", "2/30/2025 10:00:00", "13/45/2025 10:00:00", "0/0/0000",
             "99999999999", "2025-13-01", "9/15/25 10:00", "1e308", "", "9/15/2025 25:61:61", "-1",
             "2025/09/15 10:32:11 AM XYZT", "Sept 15 2025", "1/1/0001 00:00:00", "9/15/2025 10:32:11 GMT+99:99",
             "45678.5", "9/15/1999 10:00:00", "1/1/2100 10:00:00", "2025/02/29 1:00:00 PM EST"]
ODD_EMAILS = ["A@B", "no-at-sign", "a@b.c", "ü@ü.de", "mailto:x@y.edu", "<x@y.edu>", "x@y.edu, z@w.edu",
              "x@@y.edu", "@", " ", "x" * 300 + "@y.edu", "MIXED.Case@Example.EDU "]
ENCODINGS = ["utf-8"] * 8 + ["utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                             "mac_roman", "cp437"]
INVALID_UTF8 = [b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xfe\xff", b"\x80\x80\x80"]
NAMES = ["{kind}-{n:04d}.csv", "Form Responses {n} (1).csv", "Résumé – respuestas {n}.csv", "名前 {n}.csv",
         "{kind} {n}.xlsx", "{kind}-{n}.CSV", "{kind}-{n}.txt", "{kind}-{n}"]


def _cell(rng: random.Random, rows: list[list[str]]) -> tuple[int, int] | None:
    """A random (row, column) of the data, or None when there is none."""
    cells = [(r, c) for r, row in enumerate(rows) for c in range(len(row))]
    return rng.choice(cells) if cells else None


def _set_cell(rng: random.Random, table: Table, make) -> Table:
    """Replace one random data cell by make(old value)."""
    header, rows = table
    spot = _cell(rng, rows)
    if spot:
        rows[spot[0]][spot[1]] = make(rows[spot[0]][spot[1]])
    return header, rows


def _set_column(rng: random.Random, table: Table, pattern: str, values: list[str]) -> Table:
    """Replace the cells of the first column whose header matches by odd values (else a random cell)."""
    header, rows = table
    column = next((i for i, h in enumerate(header) if re.search(pattern, h, re.I)), None)
    if column is None:
        return _set_cell(rng, table, lambda old: rng.choice(values))
    for row in rows:
        if column < len(row) and rng.random() < 0.7:
            row[column] = rng.choice(values)
    return header, rows


def _shuffle_columns(rng, table):
    """Put the columns in another order (the same for every row)."""
    header, rows = table
    order = list(range(len(header)))
    rng.shuffle(order)
    return [header[i] for i in order], [[row[i] if i < len(row) else "" for i in order] for row in rows]


def _duplicate_header(rng, table):
    """Give two columns the same header (and sometimes the same cells)."""
    header, rows = table
    if len(header) > 1:
        a, b = rng.sample(range(len(header)), 2)
        header[b] = header[a]
        if rng.random() < 0.5:
            for row in rows:
                if a < len(row) and b < len(row):
                    row[b] = row[a]
    return header, rows


def _drop_column(rng, table):
    """Leave one column out."""
    header, rows = table
    if len(header) > 1:
        gone = rng.randrange(len(header))
        return header[:gone] + header[gone + 1:], [row[:gone] + row[gone + 1:] for row in rows]
    return header, rows


def _rename_header(rng, table):
    """Change a header's case, spacing or spelling."""
    header, rows = table
    i = rng.randrange(len(header))
    header[i] = rng.choice([header[i].upper(), f"  {header[i]}  ", header[i].replace(" ", "  "), header[i][:-2],
                            header[i] + "?", "", header[i][::-1], "\ufeff" + header[i]])
    return header, rows


def _ragged(rng, table):
    """Make some rows longer or shorter than the header."""
    header, rows = table
    for row in rows:
        if rng.random() < 0.5:
            if rng.random() < 0.5:
                row.extend(rng.choice(ODD_VALUES) for _ in range(rng.randint(1, 5)))
            else:
                del row[rng.randrange(len(row) + 1):]
    return header, rows


def _blank_rows(rng, table):
    """Insert blank rows, or make every row blank."""
    header, rows = table
    if rng.random() < 0.2:
        return header, [[""] * rng.choice((0, len(header))) for _ in rows]
    for _ in range(rng.randint(1, 4)):
        rows.insert(rng.randint(0, len(rows)), [""] * rng.choice((0, 1, len(header))))
    return header, rows


def _unicode_cell(rng, table):
    """Random code points (emoji, right-to-left, combining marks) in one cell."""
    pools = [(0x20, 0x7e), (0xa0, 0x24f), (0x300, 0x36f), (0x590, 0x6ff), (0x1f300, 0x1f6ff), (0x4e00, 0x4fff),
             (0xe000, 0xe0ff)]
    text = "".join(chr(rng.randint(*rng.choice(pools))) for _ in range(rng.randint(1, 40)))
    return _set_cell(rng, table, lambda old: text)


TABLE_MUTATIONS = {
    "shuffle columns": _shuffle_columns,
    "duplicate header": _duplicate_header,
    "drop column": _drop_column,
    "rename header": _rename_header,
    "ragged rows": _ragged,
    "blank rows": _blank_rows,
    "headers only": lambda rng, table: (table[0], []),
    "duplicate row": lambda rng, table: (table[0], table[1] + table[1][:1]),
    "control characters": lambda rng, table: _set_cell(
        rng, table, lambda old: old[:len(old) // 2] + rng.choice(CONTROL) + old[len(old) // 2:]),
    "formula": lambda rng, table: _set_cell(rng, table, lambda old: rng.choice(FORMULAS)),
    "markup": lambda rng, table: _set_cell(rng, table, lambda old: rng.choice(MARKUP) + old),
    "odd value": lambda rng, table: _set_cell(rng, table, lambda old: rng.choice(ODD_VALUES)),
    "odd dates": lambda rng, table: _set_column(rng, table, "timestamp", ODD_DATES),
    "odd emails": lambda rng, table: _set_column(rng, table, "e-?mail", ODD_EMAILS),
    "odd answers": lambda rng, table: _set_column(rng, table, rng.choice(["circle", "oct|nov|may", "agree|consent",
                                                                         "again|goals", "how long|years"]),
                                                  ODD_VALUES),
    "long cell": lambda rng, table: _set_cell(rng, table, lambda old: old + "x, y; " * 2000),
    "long header": lambda rng, table: ([h + " lorem ipsum" * 200 if i == 0 else h
                                        for i, h in enumerate(table[0])], table[1]),
    "wide header": lambda rng, table: (table[0] + [rng.choice(["", "Extra", "Column"]) for _ in range(300)],
                                       table[1]),
    "unicode cell": _unicode_cell,
}


def _fresh(kind: str, rng: random.Random, table: Table) -> Table:
    """Change the rows so that part of them is new to the demo database (an import then writes, and is undone)."""
    header, rows = table
    if kind == "rosters":
        return table  # its program year decides: NEW_CYCLE has no circles yet
    for row in rows:
        for i, cell in enumerate(row):
            if kind == "attendance":
                if cell in ("Present", "Absent", "Excused"):
                    row[i] = rng.choice(["Present", "Absent", "Excused"])
            elif i == 0 and re.search(r"\d:\d\d:\d\d", cell):
                row[i] = re.sub(r":\d\d(?=\D*$)", f":{rng.randint(0, 59):02d}", cell, count=1)
            elif "@" in cell and rng.random() < 0.5:
                row[i] = f"fuzz{rng.randint(0, 10**6)}.{cell.strip()}"
    return header, rows


def _write_csv(rng: random.Random, table: Table, how: list[str]) -> str:
    """Write a table as CSV text in a randomly chosen dialect."""
    delimiter = rng.choice([","] * 6 + [";", "\t"])
    ending = rng.choice(["\r\n", "\r\n", "\n", "\r"])
    quoting = rng.choice([csv.QUOTE_MINIMAL] * 3 + [csv.QUOTE_ALL])
    if (delimiter, ending, quoting) != (",", "\r\n", csv.QUOTE_MINIMAL):
        how.append(f"dialect {delimiter!r} {ending!r} quoting={quoting}")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=ending, quoting=quoting)
    writer.writerow(table[0])
    writer.writerows(table[1])
    return out.getvalue()


def _mutate_text(rng: random.Random, text: str, how: list[str]) -> str:
    """Damage the CSV text: an open quote, lost or extra characters, a cut, odd line endings."""
    name = rng.choice(["open quote", "delete", "insert", "truncate", "duplicate line", "bare CR", "no newline",
                       "trailing blanks", "stray quote"])
    how.append(name)
    where = rng.randint(0, len(text))
    if name == "open quote":
        return text[:where] + '"' + text[where:]
    if name == "stray quote":
        return text.replace(",", ',"', 1) if rng.random() < 0.5 else text.replace("\n", '"\n', 1)
    if name == "delete":
        return text[:where] + text[where + rng.randint(1, 60):]
    if name == "insert":
        return text[:where] + "".join(rng.choice(',;"\n\r\t x\x00é') for _ in range(rng.randint(1, 20))) + text[where:]
    if name == "truncate":
        return text[:where]
    if name == "duplicate line":
        lines = text.splitlines(keepends=True)
        line = rng.randrange(len(lines)) if lines else 0
        return "".join(lines[:line + 1] + lines[line:])
    if name == "bare CR":
        return text.replace("\r\n", "\r").replace("\n", "\r")
    if name == "no newline":
        return text.rstrip("\r\n")
    return text + "\r\n" * rng.randint(1, 5) + ",,,,\r\n" * rng.randint(0, 3)


def _encode(rng: random.Random, text: str, how: list[str]) -> bytes:
    """Encode the text in a randomly chosen encoding (unencodable characters replaced)."""
    encoding = rng.choice(ENCODINGS)
    if encoding != "utf-8":
        how.append(encoding)
    return text.encode(encoding, errors="replace")


def _mutate_bytes(rng: random.Random, data: bytes, how: list[str]) -> bytes:
    """Damage the bytes: cut them, flip some, insert invalid UTF-8 or NULs, stack BOMs."""
    name = rng.choice(["cut bytes", "flip bytes", "invalid utf-8", "nul bytes", "double BOM", "garbage tail"])
    how.append(name)
    where = rng.randint(0, len(data))
    if name == "cut bytes":
        return data[:where]
    if name == "flip bytes":
        changed = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            if changed:
                changed[rng.randrange(len(changed))] ^= 1 << rng.randrange(8)
        return bytes(changed)
    if name == "invalid utf-8":
        return data[:where] + rng.choice(INVALID_UTF8) + data[where:]
    if name == "nul bytes":
        return data[:where] + b"\x00" * rng.randint(1, 3) + data[where:]
    if name == "double BOM":
        return codecs.BOM_UTF8 * 2 + data
    return data + bytes(rng.randrange(32, 256) for _ in range(rng.randint(1, 200)))


def _xlsx(rng: random.Random, table: Table, how: list[str]) -> bytes:
    """Write the table as a workbook (timestamps as real datetimes, numbers as numbers), sometimes damaged."""
    book = openpyxl.Workbook()
    if rng.random() < 0.15:
        book.active.title = "Notes"
        book.active.append(["Exported for the committee"])
        sheet = book.create_sheet("Form Responses 1")
        how.append("second sheet")
    else:
        sheet = book.active
    sheet.append(table[0])
    for row in table[1]:
        cells: list[object] = []
        for cell in row:
            try:
                cells.append(datetime.strptime(cell, "%m/%d/%Y %H:%M:%S"))
            except ValueError:
                cells.append(int(cell) if cell.isdigit() and len(cell) < 10 else cell)
        # openpyxl refuses control characters a workbook cannot hold; a real export never has them either.
        sheet.append([re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", c) if isinstance(c, str) else c for c in cells])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    damage = rng.choice(["none", "none", "cut", "flip", "drop part", "bad xml", "not a workbook", "empty zip"])
    how.append(f"xlsx {damage}")
    if damage == "cut":
        return data[:rng.randint(0, len(data))]
    if damage == "flip":
        changed = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            changed[rng.randrange(len(changed))] ^= 1 << rng.randrange(8)
        return bytes(changed)
    if damage in ("drop part", "bad xml", "not a workbook", "empty zip"):
        source = zipfile.ZipFile(io.BytesIO(data))
        parts = source.namelist()
        victim = rng.choice(parts)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            if damage == "not a workbook":
                target.writestr(rng.choice(["word/document.xml", "mimetype", "notes.txt"]),
                                rng.choice([b"<w:document/>", b"application/vnd.oasis.opendocument.spreadsheet", b"hi"]))
            for part in ([] if damage in ("not a workbook", "empty zip") else parts):
                content = source.read(part)
                if part == victim and damage == "drop part":
                    continue
                if part == victim:
                    content = content[:rng.randint(0, len(content))] + rng.choice([b"", b"<", b"\x00\xff", b"&bogus;"])
                target.writestr(part, content)
        return out.getvalue()
    return data


def _whole_file(rng: random.Random, table: Table, how: list[str]) -> bytes:
    """A file that is no export at all: empty, random bytes, another format under a spreadsheet's name."""
    name = rng.choice(["empty", "whitespace", "BOM only", "random bytes", "random text", "pdf", "png", "old xls",
                       "password-protected xlsx", "html page", "header line only", "utf-16 BOM only", "json"])
    how.append(name)
    header_line = ",".join(table[0]).encode()
    return {
        "empty": b"",
        "whitespace": b" \r\n\t\r\n" * rng.randint(1, 50),
        "BOM only": codecs.BOM_UTF8 + b"\r\n",
        "random bytes": bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000))),
        "random text": "".join(chr(rng.randint(1, 0x2fff)) for _ in range(rng.randint(1, 800))).encode(
            "utf-8", errors="replace"),
        "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + header_line,
        "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(200)),
        "old xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 64,
        # An Office file protected with a password is an OLE container holding these two streams, not a ZIP.
        "password-protected xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
                                    + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50
                                    + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64),
        "html page": b"<!DOCTYPE html>\n<html><head><title>Form Responses</title></head><body><table><tr><td>"
                     + header_line + b"</td></tr></table></body></html>",
        "header line only": header_line + rng.choice([b"", b"\r\n", b"\n\n\n", b"\r\n,,,,\r\n"]),
        "utf-16 BOM only": codecs.BOM_UTF16_LE,
        "json": b'{"Timestamp": "9/15/2025 10:32:11", "Email Address": "a@b.edu"}',
    }[name]


def _huge(rng: random.Random, table: Table, number: int, how: list[str]) -> bytes:
    """One of the few big files: a 1 MB cell, a line of a million commas, a million-comma header, 20,000 columns."""
    header, rows = table
    name = ["1 MB cell", "million commas in a row", "million commas in the header", "20,000 columns",
            "1 MB header", "1 MB quoted cell with newlines"][number % 6]
    how.append(name)
    lines = [",".join(header)] + [",".join(f'"{c}"' for c in row) for row in rows]
    if name == "1 MB cell":
        lines[1:2] = [lines[1] + ',"' + "x" * 1_000_000 + '"'] if len(lines) > 1 else ["x" * 1_000_000]
    elif name == "million commas in a row":
        lines.insert(rng.randint(1, len(lines)), "," * 1_000_000)
    elif name == "million commas in the header":
        lines[0] += "," * 1_000_000
    elif name == "20,000 columns":
        lines[0] += "".join(f",Extra question {i}" for i in range(20_000))
    elif name == "1 MB header":
        lines[0] = "y" * 1_000_000 + "," + lines[0]
    else:
        lines.insert(1, '"' + "line\n" * 200_000 + '",' + lines[-1])
    return ("\r\n".join(lines) + "\r\n").encode()


HUGE = frozenset({17, 333, 555, 777, 888, 999})


def read_export(path: Path) -> Table:
    """A demo export as (header, rows) of text."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    return rows[0], rows[1:]


def corpus(kind: str, exports: Path, count: int = FILES_PER_KIND) -> Iterator[Case]:
    """The generated files of one kind, always the same ones for the same kind and count."""
    rng = random.Random(f"fuzz-{kind}")  # a str seed: the same stream on every run and platform
    sources = {cycle: read_export(exports / SOURCES[kind].format(cycle)) for cycle in CYCLES}
    for number in range(count):
        year = rng.choice(CYCLES)
        header, rows = sources[year]
        table: Table = (list(header), [list(row) for row in rng.sample(rows, min(len(rows), rng.randint(1, 6)))])
        how: list[str] = [year]
        if kind == "rosters":
            cycle = NEW_CYCLE if rng.random() < 0.7 else year
        elif kind == "attendance":
            cycle = year if rng.random() < 0.9 else rng.choice([None, NEW_CYCLE, *CYCLES])
        else:
            cycle = None if rng.random() < 0.85 else rng.choice(CYCLES)
        if rng.random() < 0.5:
            table = _fresh(kind, rng, table)
            how.append("fresh")
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            name = rng.choice(sorted(TABLE_MUTATIONS))
            table = TABLE_MUTATIONS[name](rng, table)
            how.append(name)
        name = rng.choice(NAMES).format(kind=kind, n=number)
        roll = rng.random()
        if number in HUGE:
            data = _huge(rng, table, number, how)
        elif roll < 0.08:
            data = _whole_file(rng, table, how)
        elif roll < 0.2:
            data = _xlsx(rng, table, how)
            name = name.rsplit(".", 1)[0] + (".xlsx" if rng.random() < 0.9 else ".csv")
        else:
            text = _write_csv(rng, table, how)
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                text = _mutate_text(rng, text, how)
            data = _encode(rng, text, how)
            for _ in range(rng.choice((0, 0, 0, 1, 2))):
                data = _mutate_bytes(rng, data, how)
        yield Case(number, name, data, cycle, how)
