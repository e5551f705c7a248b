"""Hostile input for every importer: 1,000 generated and mutated files per kind, never a crash or a half write.

The files come from tests/fuzz_corpus.py (seeded, the same on every run). Each kind imports its files one after
another into its own copy of the demo database. What keeps the files independent is the database fingerprint
(row count and sum of row hashes of every table), checked after every file: a refusal, a file with errors or
one with nothing new leaves it exactly as it was, and an import that succeeded is undone and leaves it as it was
except for the bookkeeping tables below. Every refusal and problem must be plain words, and a refusal names the
file. The kinds run side by side in worker processes when the machine has the cores.
tests/test_imports_properties.py searches the same ground with Hypothesis against fresh databases; this file
adds the volume, the encodings and the workbooks; the quick tests at the end pin what the corpus found.
"""
from __future__ import annotations

import io
import multiprocessing
import os
import re
import shutil
import sys
import time
import traceback
import types
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from lib import db
from lib.imports import batches as imports, sheets
from tests.fuzz_corpus import FILES_PER_KIND, SOURCES, Case, corpus, plain

# ALI_FUZZ_FILES runs more files per kind (a longer search); the suite's figure is FILES_PER_KIND.
FILES = max(FILES_PER_KIND, int(os.environ.get("ALI_FUZZ_FILES", "0") or 0))

# What undo keeps on purpose: the batch itself (marked undone), the audit trail of the import and of its undo,
# the column mapping it confirmed (remembered for next year's export of the same form) and a program year it
# created. Every other table must be exactly as before the import.
BOOKKEEPING = frozenset({"import_batches", "audit_log", "column_mappings", "cycles"})


# ------------------------------------------------------------------------------------------------ fingerprint

def fingerprint_sql(conn) -> str:
    """One query giving every table's row count and sum of row hashes (table names from the catalog)."""
    tables = [row[0] for row in conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
        " AND NOT temporary ORDER BY 1").fetchall()]
    return " UNION ALL ".join(f"SELECT '{t}', count(*), coalesce(sum(hash(x)), 0) FROM {t} x" for t in tables)


def fingerprint(conn, sql: str) -> dict[str, tuple[int, int]]:
    """Row count and sum of row hashes of each table."""
    return {name: (rows, total) for name, rows, total in conn.execute(sql).fetchall()}


def without_bookkeeping(prints: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """The fingerprint of the tables undo restores."""
    return {table: value for table, value in prints.items() if table not in BOOKKEEPING}


def test_the_fingerprint_sees_a_one_cell_change_and_a_new_row(demo_conn):
    sql = fingerprint_sql(demo_conn)
    before = fingerprint(demo_conn, sql)
    assert set(before) >= {"people", "survey_responses", "attendance", "import_batches"} and len(before) > 15
    demo_conn.execute("UPDATE people SET name = name || '.' WHERE id = (SELECT min(id) FROM people)")
    changed = fingerprint(demo_conn, sql)
    assert changed["people"][0] == before["people"][0] and changed["people"] != before["people"]
    assert {t for t in before if before[t] != changed[t]} == {"people"}
    demo_conn.execute("UPDATE people SET name = left(name, length(name) - 1) WHERE id = (SELECT min(id) FROM people)")
    assert fingerprint(demo_conn, sql) == before
    demo_conn.execute("INSERT INTO cycles VALUES ('2031-32', '2031-09-01', '2032-08-31', '2031-10-01')")
    assert fingerprint(demo_conn, sql)["cycles"][0] == before["cycles"][0] + 1


# ------------------------------------------------------------------------------------------------ the run

@dataclass
class Tally:
    """What one kind's files did, for the report."""

    kind: str
    files: int = 0
    refused: int = 0
    with_errors: int = 0
    nothing_new: int = 0
    imported: int = 0
    messages: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self) -> str:
        """The report printed after a kind's run (pytest -s shows it)."""
        top = "\n".join(f"    {n:4d}  {m}" for m, n in self.messages.most_common(10))
        return (f"\n{self.kind}: {self.files} files in {self.seconds:.1f} s: {self.refused} refused, "
                f"{self.with_errors} with row errors, {self.nothing_new} with nothing new, {self.imported} imported"
                f" and undone; {len(self.messages)} distinct messages, top 10:\n{top}")


def _shape(message: str, name: str) -> str:
    """A message with the file name, quoted values and numbers taken out, to count distinct messages."""
    message = message.replace(name, "<file>")
    message = re.sub(r"'[^']*'|\([^)]*\)", "…", message)
    return re.sub(r"\d+", "N", message)[:160]


def run_case(conn, case: Case, kind: str, sql: str, before: dict, tally: Tally) -> dict:
    """Import one file and check the rules; return the fingerprint the next file starts from."""
    try:
        result = imports.import_bytes(conn, case.data, case.name, kind=kind, cycle=case.cycle, actor="fuzz",
                                      day_first=False)  # not ALI_DAY_FIRST: the same results on every machine
    except imports.ImportRefused as refusal:
        message = str(refusal)
        assert plain(message), f"{case}: refusal in programmer's words: {message[:300]!r}"
        assert case.name in message, f"{case}: refusal does not name the file: {message[:300]!r}"
        assert fingerprint(conn, sql) == before, f"{case}: a refused file changed the database"
        tally.refused += 1
        tally.messages[_shape(message, case.name)] += 1
        return before
    unclear = [p.message for p in result.errors + result.warnings if not plain(p.message)]
    assert not unclear, f"{case}: messages in programmer's words: {unclear[:3]}"
    if result.errors or result.batch_id is None:
        assert result.batch_id is None, f"{case}: a file with errors got a batch"
        assert fingerprint(conn, sql) == before, f"{case}: a file with errors or nothing new changed the database"
        if result.errors:
            tally.with_errors += 1
            tally.messages.update({_shape(p.message, case.name) for p in result.errors})
        else:
            tally.nothing_new += 1
        return before
    assert fingerprint(conn, sql) != before, f"{case}: batch {result.batch_id} wrote nothing"
    imports.undo_batch(conn, result.batch_id, actor="fuzz")
    after = fingerprint(conn, sql)
    changed = {t for t in before if without_bookkeeping(before).get(t) != without_bookkeeping(after).get(t)}
    assert not changed, f"{case}: undoing batch {result.batch_id} left {sorted(changed)} changed"
    tally.imported += 1
    return after


def fuzz_kind(kind: str, database: Path, exports: Path, count: int) -> tuple[Tally, str | None]:
    """Import one kind's files into a database of its own; return the tally and the first failure (or None)."""
    tally, failure = Tally(kind), None
    started = time.perf_counter()
    conn = db.connect(database)
    try:
        sql = fingerprint_sql(conn)
        state = fingerprint(conn, sql)
        for case in corpus(kind, exports, count):
            try:
                state = run_case(conn, case, kind, sql, state, tally)
            except AssertionError as exc:
                failure = str(exc)
                break
            except Exception as exc:  # anything but a refusal is a crash: name the file that caused it
                failure = f"{case}: crashed with {exc.__class__.__name__}: {exc}\n{traceback.format_exc()}"
                break
            tally.files += 1
    finally:
        conn.close()
    tally.seconds = time.perf_counter() - started
    return tally, failure


@pytest.fixture(scope="module")
def fuzz_runs(demo_db_file, tmp_path_factory):
    """Start every kind's run at once, in worker processes when there are cores to spare; kind -> its future."""
    folder = tmp_path_factory.mktemp("fuzz")
    exports = demo_db_file.parent / "exports"
    jobs = {}
    for kind in SOURCES:
        shutil.copy(demo_db_file, folder / f"{kind}.duckdb")
        jobs[kind] = (kind, folder / f"{kind}.duckdb", exports, FILES)
    workers = min(len(jobs), os.cpu_count() or 1)
    try:
        if workers < 2:
            raise NotImplementedError("one core: nothing to gain from workers")
        # spawn, not fork: the parent holds DuckDB and Arrow threads, which a forked child would inherit half-made.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        # A spawned child first re-runs the parent's __main__ file; after the page tests that is app.py (the
        # router runs it as __main__), which cannot run outside Streamlit. The workers need nothing from it.
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            runs = {kind: pool.submit(fuzz_kind, *job) for kind, job in jobs.items()}
        finally:
            sys.modules["__main__"] = main
    except (NotImplementedError, OSError):  # one core, or no shared memory for the workers' locks: run them here
        yield {kind: _now(*job) for kind, job in jobs.items()}
        return
    with pool:
        yield runs


def _now(*job) -> Future:
    """Run one kind's files here and now, as a finished future (a machine with one core)."""
    done: Future = Future()
    done.set_result(fuzz_kind(*job))
    return done


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(SOURCES))
def test_a_thousand_hostile_files_never_crash_or_write_half(kind, fuzz_runs):
    tally, failure = fuzz_runs[kind].result()
    print(tally.summary())
    assert failure is None, failure
    assert tally.files == FILES
    # The corpus reaches every outcome, or it would test less than it claims.
    assert tally.refused and tally.with_errors and tally.imported, tally.summary()


# ------------------------------------------------------------------------------------------------ what it found

def _workbook(rows: list[list[object]]) -> bytes:
    """A workbook holding these rows."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_cut_or_damaged_anywhere_is_refused_in_plain_words():
    data = _workbook([["Timestamp", "Email Address"], ["9/15/2025 10:32:11", "a@b.edu"]] * 20)
    for cut in range(0, len(data), max(1, len(data) // 40)):
        with pytest.raises(sheets.ImportRefused) as refused:
            sheets.read(data[:cut] if cut else b"PK\x03\x04", "cut.xlsx")
        assert str(refused.value) == f"cut.xlsx: {sheets.DAMAGED_XLSX}"


def test_utf16_text_from_excel_is_read_with_or_without_its_bom():
    text = "Timestamp\tEmail Address\tName\r\n9/15/2025 10:32:11\tana@example.edu\tAna López\r\n"
    for data in (text.encode("utf-16"), text.encode("utf-16-le"), text.encode("utf-16-be")):
        sheet = sheets.read(data, "unicode text.txt")
        assert sheet.headers == ["Timestamp", "Email Address", "Name"] and sheet.rows == 1
        assert sheet.sample("Name") == ["Ana López"] and any("UTF-16" in note for note in sheet.notes)


def test_a_cell_over_128_kb_is_read_by_either_reader():
    cell = "é" + "x" * 300_000
    for encoding in ("utf-8", "cp1252"):  # Arrow's reader, then the csv module (whose default limit is 128 KB)
        sheet = sheets.read(f"Name,Comments\r\nAna,{cell}\r\n".encode(encoding), "big.csv")
        assert sheet.sample("Comments") == [cell]


def test_a_first_row_wider_than_any_form_is_refused_and_trailing_blanks_are_not_counted():
    with pytest.raises(sheets.ImportRefused, match=r"wide.csv: the first row has 20,002 columns, but a Google Forms"):
        sheets.read(("Name,Email" + ",Question" * 20_000 + "\r\nA,a@b.edu\r\n").encode(), "wide.csv")
    sheet = sheets.read(("Name,Email" + "," * 1_000_000 + "\r\nA,a@b.edu\r\n").encode(), "commas.csv")
    assert sheet.headers == ["Name", "Email"] and sheet.rows == 1


def test_refusals_quote_long_and_invisible_headers_briefly(conn):
    headers = ["\x1b[31mred\u202e", "y" * 500] + [f"Question {n}" for n in range(30)]
    data = (",".join(headers) + "\r\n" + ",".join("x" for _ in headers) + "\r\n").encode()
    with pytest.raises(imports.ImportRefused) as refused:
        imports.import_bytes(conn, data, "odd headers.csv", kind="outcomes")
    message = str(refused.value)
    assert "Columns not imported: '[31mred'; '" + "y" * 60 + "…'; 'Question 0';" in message
    assert message.endswith("and 24 more. Map a column to it, e.g. --map \"Header text=timestamp\".")
    assert plain(message) and len(message) < 700


def test_attendance_without_a_program_year_names_the_file(conn):
    with pytest.raises(imports.ImportRefused, match=r"^march.csv: this file has no timestamps \(attendance sheet\)"):
        imports.import_bytes(conn, b"Circle,Email,Oct\r\nCircle A,a@b.edu,Present\r\n", "march.csv",
                             kind="attendance")


def test_a_member_listed_twice_on_an_attendance_sheet_is_one_mark_or_a_named_conflict(demo_conn, demo_exports):
    header, first = (demo_exports / "attendance_2024-25.csv").read_text(encoding="utf-8").splitlines()[:2]
    october = header.split(",").index("Oct")
    other = first.split(",")
    other[october] = "Excused" if other[october] != "Excused" else "Present"
    changed = ",".join(other)
    # The same new mark twice used to reach the database twice, and stop the import on its primary key.
    same = imports.import_bytes(demo_conn, f"{header}\n{changed}\n{changed}\n".encode(), "twice.csv",
                                kind="attendance", cycle="2024-25")
    assert same.ok and (same.updated, same.unchanged) == (1, 7) and same.batch_id  # once per meeting
    imports.undo_batch(demo_conn, same.batch_id)
    conflict = imports.import_bytes(demo_conn, f"{header}\n{first}\n{changed}\n".encode(), "twice.csv",
                                    kind="attendance", cycle="2024-25")
    assert [(p.row, p.column) for p in conflict.errors] == [(3, "Oct")]
    assert "also in row 2" in conflict.errors[0].message and conflict.batch_id is None
