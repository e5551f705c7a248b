"""Importing Google Forms exports: map the columns, validate every row, preview, commit all-or-nothing, undo.

Reading is `sheets`, understanding answers is `answers`, checking rows is `validation`; this module decides
what an upload is, counts what is new and writes it all in one transaction (or nothing).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import duckdb

from .. import cycles
from ..db import audit, first, scalar, transaction
from ..settings import get_settings
from . import checks, forms, guesses
from .answers import EMAIL_RE, parse_career_stage, split_checkboxes
from .refusals import ImportRefused
from .sheets import DOWNLOAD_HINT, Sheet, listed, quoted
from .sheets import read as read_sheet
from .validation import MAX_LISTED, ImportResult, Problem, Staging

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ImportRefused", "ImportResult", "Problem", "import_bytes", "import_file", "inspect", "no_responses",
           "not_imported", "undo_batch", "list_batches", "remembered_mapping", "parse_career_stage", "split_checkboxes"]


@dataclass
class Inspection:
    """What an uploaded file looks like before anything is decided: its kind and proposed mapping."""

    sheet: Sheet
    file_hash: str
    kind: str | None
    mapping: dict[str, str]
    mapping_source: str
    guessed: dict[str, str] = field(default_factory=dict)  # header -> field read from its answers, not its header
    doubtful: dict[str, str] = field(default_factory=dict)  # header -> why its header's field was not proposed

    @property
    def unmapped(self) -> list[str]:
        """The columns no field is mapped to (they would not be imported), in file order."""
        return not_imported(self.sheet.headers, self.mapping)


def no_responses(sheet: Sheet) -> str | None:
    """Say, naming the file (and sheet), that it holds no responses, only its header row; None when it has some."""
    if sheet.rows:
        return None
    several = len(sheet.sheet_names) > 1
    where = f"sheet '{sheet.sheet}' of {sheet.file_name}" if several else sheet.file_name
    blank = f" and {sheet.blank_rows:,} blank row(s)" if sheet.blank_rows else ""
    other = (" Choose the sheet that holds the responses." if several else
             " Download the responses again once people have answered the form.")
    return (f"{where}: this {'sheet' if several else 'file'} has no responses: only the header row{blank}. "
            f"Nothing to import.{other}")


def missing_header_row(sheet: Sheet) -> str | None:
    """Say, naming the file, that its first row is a response rather than the questions; None when it is not."""
    for header in sheet.headers:
        what = ("an email address" if re.match(EMAIL_RE, header.strip().lower()) else
                "a date and time" if guesses.is_timestamp(header) else None)
        if what:
            return (f"{sheet.file_name}: the header row seems to be missing: the first row holds {quoted(header)}, "
                    f"{what}, so it looks like a response, not the questions. Download the responses again (the "
                    "first row must hold the questions, as in a Google Forms export), or type the questions back "
                    "into the first row.")
    return None


def unknown_form(sheet: Sheet) -> str:
    """Say, naming the file, that its headers match none of the forms, and what to do about it."""
    return (f"{sheet.file_name}: could not tell which form this is from its headers ({listed(sheet.headers, 6)}): "
            f"they match none of the forms ({', '.join(forms.KIND_LABELS.values())}). Check that this is the "
            f"responses export of one of them. {DOWNLOAD_HINT} If it is, choose its form and map its columns to the "
            "form's fields by hand.")


def not_imported(headers: list[str], mapping: dict[str, str]) -> list[str]:
    """Return the headers a mapping leaves out, in file order."""
    return [header for header in headers if not mapping.get(header)]


# ---------------------------------------------------------------- fingerprints and mapping memory

def file_hash(data: bytes) -> str:
    """Return the sha256 of the uploaded bytes."""
    return hashlib.sha256(data).hexdigest()


def headers_key(headers: list[str]) -> str:
    """Fingerprint a header row so next year's export of the same form finds its confirmed mapping."""
    return hashlib.sha256("\x1f".join(forms.normalise_header(h) for h in headers).encode()).hexdigest()


def remembered_mapping(conn: duckdb.DuckDBPyConnection, headers: list[str]) -> tuple[str, dict[str, str]] | None:
    """Return (kind, mapping) confirmed earlier for exactly this set of headers, or None."""
    row = first(conn.execute("SELECT kind, mapping FROM column_mappings WHERE headers_key = ?"
                             " ORDER BY saved_at DESC LIMIT 1", [headers_key(headers)]).fetchall())
    if row is None:
        return None
    mapping = {h: f for h, f in json.loads(row[1]).items() if h in headers}
    return row[0], mapping


def _remember(conn: duckdb.DuckDBPyConnection, kind: str, headers: list[str], mapping: dict[str, str],
              actor: str) -> None:
    """Store the mapping used by a committed import (inside its transaction)."""
    conn.execute("""INSERT INTO column_mappings (kind, headers_key, mapping, saved_by) VALUES (?, ?, ?, ?)
                    ON CONFLICT (kind, headers_key) DO UPDATE SET mapping = excluded.mapping,
                    saved_by = excluded.saved_by, saved_at = now()::TIMESTAMP""",
                 [kind, headers_key(headers), json.dumps(mapping), actor])


def inspect(conn: duckdb.DuckDBPyConnection, data: bytes, file_name: str, sheet: str | int | None = None,
            kind: str | None = None) -> Inspection:
    """Read an upload and propose its kind and mapping (a remembered mapping first)."""
    table = read_sheet(data, file_name, sheet)
    headless = missing_header_row(table)
    if headless:
        raise ImportRefused(headless)
    remembered = remembered_mapping(conn, table.headers)
    if remembered and (kind is None or remembered[0] == kind):
        return Inspection(table, file_hash(data), remembered[0], remembered[1], "remembered")
    # A remembered mapping was confirmed by a person, columns it ignores included; a fresh one is not, so
    # columns its headers left out are read for what their answers look like (which may also tell the kind).
    shapes: dict[str, str | None] = {}
    kind = kind or forms.guess_kind(table.headers, guesses.from_answers(table, shapes))
    mapping: dict[str, str] = {}
    doubtful: dict[str, str] = {}
    # A header whose answers do not fit its field leaves the field to the next header that asks it ("Your Title"
    # holding Dr and Mr leaves the job title to "Job title"); each round sets aside at least one more header.
    while kind:
        mapping = forms.propose_mapping(kind, [header for header in table.headers if header not in doubtful])
        found = guesses.misfits(kind, table, mapping, shapes)
        if not found:
            break
        doubtful.update(found)
    guessed = guesses.propose(kind, table, mapping, shapes) if kind else {}
    mapping.update(guessed)
    doubtful = {header: why for header, why in doubtful.items() if header not in guessed}
    return Inspection(table, file_hash(data), kind, mapping, "proposed", guessed, doubtful)


# ---------------------------------------------------------------- the import

def import_file(conn: duckdb.DuckDBPyConnection, path: Path | str, **kwargs) -> ImportResult:
    """Import an export from a path on disk."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"{path}: cannot read the file ({exc.strerror})") from exc
    return import_bytes(conn, data, path.name, **kwargs)


def import_bytes(conn: duckdb.DuckDBPyConnection, data: bytes, file_name: str, *, kind: str | None = None,
                 cycle: str | None = None, mapping: dict[str, str] | None = None, dry_run: bool = False,
                 actor: str = "cli", sheet: str | int | None = None, day_first: bool | None = None,
                 progress: Callable[[float, str], None] | None = None) -> ImportResult:
    """Import one export: map its columns, validate every row, then write it all in one transaction (or nothing)."""
    report = progress or (lambda fraction, text: None)
    report(0.05, "Reading the file")
    if kind is not None and kind not in forms.KINDS:
        raise ImportRefused(f"Unknown kind '{kind}'; choose one of: {', '.join(forms.KINDS)}")
    if cycle is not None:
        cycles.parse(cycle)
    found = inspect(conn, data, file_name, sheet, kind)
    table = found.sheet
    empty = no_responses(table)
    if empty:
        raise ImportRefused(empty)

    def preview(final_mapping: dict[str, str]) -> ImportResult:
        """What the file was read as, for the refusal or the import that follows."""
        return ImportResult(
            file_name=file_name, file_hash=found.file_hash, kind=found.kind, cycle=cycle, mapping=final_mapping,
            rows=table.rows, dry_run=dry_run, mapping_source="given" if mapping else found.mapping_source,
            unmapped=not_imported(table.headers, final_mapping),
            guessed={h: f for h, f in found.guessed.items() if final_mapping.get(h) == f},
            doubtful={h: why for h, why in found.doubtful.items() if not final_mapping.get(h)})

    def refuse(message: str, final_mapping: dict[str, str]) -> ImportRefused:
        """A refusal that carries what the file was read as."""
        seen = preview(final_mapping)
        seen.errors.append(Problem(None, None, None, message))
        return ImportRefused(message, seen)

    if found.kind is None:
        raise refuse(unknown_form(table), {})
    kind = found.kind
    try:
        final_mapping = _merge_mapping(kind, table.headers, found.mapping, mapping or {}, file_name)
    except ImportRefused as exc:
        raise refuse(str(exc), found.mapping) from exc
    missing = forms.missing_required(kind, final_mapping)
    if missing:
        parts = " or two columns, the given and the family name (fields " + " and ".join(forms.NAME_PARTS) + ")"
        names = "; ".join(f"'{spec.label}' (field {spec.name}){parts if spec.name == 'name' else ''}"
                          for spec in missing)
        unmapped = not_imported(table.headers, final_mapping)
        left = f" Columns not imported: {listed(unmapped)}." if unmapped else ""
        weak = {header: why for header, why in found.doubtful.items() if header in unmapped}
        left += "".join(f" {quoted(header)}: {why}." for header, why in weak.items())
        raise refuse(f"{file_name}: no column found for required field(s) {names}.{left} Map a column to it, "
                     f"e.g. --map \"Header text={missing[0].name}\".", final_mapping)
    if kind in forms.UNTIMED_KINDS and not cycle:
        raise refuse(f"{file_name}: this file has no timestamps ({forms.KIND_LABELS[kind].lower()}), so "
                     "choose its program year (e.g. --cycle 2025-26)", final_mapping)
    result = preview(final_mapping)
    result.warnings += [Problem(None, None, None, note) for note in table.notes]
    if day_first is None:
        day_first = get_settings().day_first
    report(0.15, "Checking every row")
    staging = Staging(conn, table, final_mapping, kind, cycle, day_first, result)
    try:
        staging.prepare()
        # The checks add Problems to the staged rows, so they import validation and run here, after it.
        checks.formulas_and_markup(staging)
        checks.blank_answers(staging)
        result.unreadable_consent = checks.unreadable_consent(staging)
        checks.program_year(staging)
        checks.email_typos(staging)
        report(0.55, "Comparing with what is already imported")
        if result.errors or dry_run:
            _count(conn, kind, result)
            return result
        report(0.7, "Writing to the database")
        try:
            with transaction(conn):
                _count(conn, kind, result)
                if result.new or result.updated:
                    result.batch_id = _write(conn, kind, result, actor)
                    _remember(conn, kind, table.headers, final_mapping, actor)
        except duckdb.TransactionException as exc:
            # Two people importing at the same moment: DuckDB refuses the second commit as a whole.
            raise ImportRefused(f"{file_name}: another change was saved at the same moment, so nothing from this "
                                "file was written. Import it again.") from exc
    finally:
        staging.drop()
    report(1.0, "Done")
    return result


def _merge_mapping(kind: str, headers: list[str], proposed: dict[str, str], overrides: dict[str, str],
                   file_name: str) -> dict[str, str]:
    """Apply explicit header=field overrides on top of the proposed mapping."""
    valid = {spec.name for spec in forms.FIELDS[kind]} | {""}
    if kind == "attendance":
        valid |= {f"month:{m}" for m in forms.MONTHS}
    merged = {h: f for h, f in proposed.items() if f in valid}
    for header, target in overrides.items():
        if header not in headers:
            raise ImportRefused(f"{file_name}: --map names a column that is not in the file: {quoted(header)}")
        if target not in valid:
            raise ImportRefused(f"{file_name}: '{target}' is not a field of {kind}; fields: "
                                f"{', '.join(sorted(v for v in valid if v))}")
        for other, value in list(merged.items()):
            if value == target and other != header:
                del merged[other]
        if target:
            merged[header] = target
        else:
            merged.pop(header, None)
    return merged


_RESPONSE_TABLES = {"skills": "survey_responses", "applications": "applications"}


def _count(conn: duckdb.DuckDBPyConnection, kind: str, result: ImportResult) -> None:
    """Count new, updated and unchanged rows against what the database holds (writes nothing)."""
    if not scalar(conn, "SELECT count(*) FROM incoming"):
        return
    if kind in _RESPONSE_TABLES:
        table = _RESPONSE_TABLES[kind]
        # Table names come from the fixed dict above, never from input.
        counts = first(conn.execute(f"""
            WITH marked AS (
                SELECT i.email, i.cycle, t.present IS NOT NULL AS present, k.known IS NOT NULL AS known
                FROM incoming i
                LEFT JOIN people p ON p.email = i.email
                LEFT JOIN (SELECT DISTINCT person_id, cycle, submitted_at, true AS present FROM {table}) t
                       ON t.person_id = p.id AND t.cycle = i.cycle AND t.submitted_at = i.submitted_at
                LEFT JOIN (SELECT DISTINCT person_id, cycle, true AS known FROM {table}) k
                       ON k.person_id = p.id AND k.cycle = i.cycle)
            SELECT count(*) FILTER (WHERE present),
                   count(DISTINCT (email, cycle)) FILTER (WHERE NOT present AND NOT known),
                   count(DISTINCT (email, cycle)) FILTER (WHERE NOT present AND known),
                   (SELECT count(DISTINCT i.email) FROM incoming i
                    WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.email = i.email))
            FROM marked""").fetchall())
        result.unchanged, result.new, result.updated, result.new_people = counts
    elif kind == "outcomes":
        from ..year import outcomes  # here, not at the top: it imports pandas, which a survey import never needs

        result.unchanged = scalar(conn, """
            SELECT count(*) FROM incoming i WHERE EXISTS (
                SELECT 1 FROM outcome_responses o WHERE o.cycle = i.cycle AND o.submitted_at = i.submitted_at
                AND o.met_goals IS NOT DISTINCT FROM i.met_goals
                AND o.participate_again IS NOT DISTINCT FROM i.participate_again
                AND o.comments IS NOT DISTINCT FROM i.comments)""")
        result.new = scalar(conn, "SELECT count(*) FROM incoming") - result.unchanged
        result.warnings += [Problem(None, None, None, note) for note in outcomes.incoming_flags(conn)]
    elif kind == "attendance":
        counts = first(conn.execute("""
            SELECT count(*) FILTER (WHERE a.status = i.status),
                   count(*) FILTER (WHERE a.status IS NULL),
                   count(*) FILTER (WHERE a.status IS NOT NULL AND a.status <> i.status)
            FROM incoming i
            LEFT JOIN meetings m ON m.circle_id = i.circle_id AND m.seq = i.seq AND m.kind = 'monthly'
            LEFT JOIN attendance a ON a.meeting_id = m.id AND a.person_id = i.person_id""").fetchall())
        result.unchanged, result.new, result.updated = counts
    elif kind == "rosters":
        result.new = scalar(conn, "SELECT count(*) FROM incoming")


def _write(conn: duckdb.DuckDBPyConnection, kind: str, result: ImportResult, actor: str) -> int:
    """Write the incoming rows and the batch record (inside the caller's transaction)."""
    for name in result.cycles:
        cycles.ensure(conn, name)
    batch_id = scalar(conn, """
        INSERT INTO import_batches (kind, cycle, file_name, file_hash, mapping, created_by, rows_read,
                                    new_count, updated_count, unchanged_count, warnings)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        [kind, ", ".join(result.cycles), result.file_name, result.file_hash, json.dumps(result.mapping),
         actor, result.rows, result.new, result.updated, result.unchanged,
         json.dumps([asdict(w) for w in result.warnings[:MAX_LISTED]])])
    if kind in _RESPONSE_TABLES:
        conn.execute("""
            INSERT INTO people (email, name, institution_id, batch_id)
            SELECT email, arg_max(name, submitted_at), arg_max(institution_id, submitted_at), ?
            FROM incoming i WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.email = i.email)
            GROUP BY email""", [batch_id])
    _WRITERS[kind](conn, batch_id)
    audit(conn, actor, "import", "import_batch", batch_id,
          {"kind": kind, "file": result.file_name, "new": result.new, "updated": result.updated})
    return batch_id


def _write_skills(conn: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Insert survey responses and their skills (split once, while staging)."""
    conn.execute("""
        INSERT INTO survey_responses (person_id, cycle, batch_id, submitted_at, name, institution_id,
            institution_raw, job_title, department, years_in_profession, contact_purposes, contact_method,
            consent, other_skills, held_reason)
        SELECT p.id, i.cycle, ?, i.submitted_at, i.name, i.institution_id, i.institution_raw, i.job_title,
               i.department, i.years, i.purposes, i.contact_method, i.consent, i.other_skills, i.held_reason
        FROM incoming i JOIN people p ON p.email = i.email
        WHERE NOT EXISTS (SELECT 1 FROM survey_responses r WHERE r.person_id = p.id AND r.cycle = i.cycle
                          AND r.submitted_at = i.submitted_at)""", [batch_id])
    conn.execute("""
        INSERT INTO person_skills (response_id, skill_id)
        SELECT DISTINCT r.id, s.skill_id
        FROM import_parts s
        JOIN incoming i ON i.row = s._row
        JOIN people p ON p.email = i.email
        JOIN survey_responses r ON r.person_id = p.id AND r.cycle = i.cycle AND r.submitted_at = i.submitted_at
        WHERE s.skill_id IS NOT NULL AND r.batch_id = ?""", [batch_id])


def _write_applications(conn: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Insert applications (eligibility is computed when read, by lib.circles.applications)."""
    conn.execute("""
        INSERT INTO applications (person_id, cycle, batch_id, submitted_at, name, institution_id, institution_raw,
            job_title, career_stage, months_in_profession, is_student, interests, goals, format, availability,
            agreement, comments)
        SELECT p.id, i.cycle, ?, i.submitted_at, i.name, i.institution_id, i.institution_raw, i.job_title,
               i.career_stage, i.months, i.student, i.interests, i.goals, i.format, i.availability, i.agreement,
               i.comments
        FROM incoming i JOIN people p ON p.email = i.email
        WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.person_id = p.id AND a.cycle = i.cycle
                          AND a.submitted_at = i.submitted_at)""", [batch_id])


def _write_outcomes(conn: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Insert end-of-year responses, linked to a person only when the email is known."""
    conn.execute("""
        INSERT INTO outcome_responses (cycle, person_id, batch_id, submitted_at, met_goals, participate_again,
                                       satisfaction, comments, consent_to_quote)
        SELECT i.cycle, p.id, ?, i.submitted_at, i.met_goals, i.participate_again, i.satisfaction, i.comments,
               i.consent_to_quote
        FROM incoming i LEFT JOIN people p ON p.email = i.email
        WHERE NOT EXISTS (SELECT 1 FROM outcome_responses o WHERE o.cycle = i.cycle
                          AND o.submitted_at = i.submitted_at
                          AND o.met_goals IS NOT DISTINCT FROM i.met_goals
                          AND o.participate_again IS NOT DISTINCT FROM i.participate_again
                          AND o.comments IS NOT DISTINCT FROM i.comments)""", [batch_id])


def _write_rosters(conn: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Create the cycle's final draft, its circles and their members; mark placed applications."""
    cycle = scalar(conn, "SELECT any_value(cycle) FROM incoming")
    draft_id = scalar(conn, "INSERT INTO circle_drafts (cycle, name, status, batch_id, created_by)"
                            " VALUES (?, 'Imported roster', 'final', ?, 'import') RETURNING id", [cycle, batch_id])
    conn.execute("INSERT INTO circles (draft_id, cycle, name) SELECT DISTINCT ?, cycle, circle FROM incoming",
                 [draft_id])
    conn.execute("""
        INSERT INTO circle_members (circle_id, person_id)
        SELECT DISTINCT c.id, i.person_id FROM incoming i JOIN circles c ON c.draft_id = ? AND c.name = i.circle""",
                 [draft_id])
    from ..year import meetings  # the calendar needs the circles package, which only rosters use

    meetings.ensure_schedule(conn, [row[0] for row in conn.execute(
        "SELECT id FROM circles WHERE draft_id = ?", [draft_id]).fetchall()])
    conn.execute("""
        UPDATE applications SET status = 'placed', version = version + 1
        WHERE cycle = ? AND person_id IN (SELECT person_id FROM incoming) AND status = 'applied'""", [cycle])


def _write_attendance(conn: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Create missing meetings and record attendance, keeping what an update replaced."""
    conn.execute("""
        INSERT INTO meetings (circle_id, cycle, month, seq, kind)
        SELECT DISTINCT i.circle_id, i.cycle, i.month, i.seq, 'monthly' FROM incoming i
        WHERE NOT EXISTS (SELECT 1 FROM meetings m WHERE m.circle_id = i.circle_id AND m.seq = i.seq
                          AND m.kind = 'monthly')""")
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE attendance_new AS
        SELECT m.id AS meeting_id, i.person_id, i.status, a.status AS previous_status,
               a.batch_id AS previous_batch_id
        FROM incoming i
        JOIN meetings m ON m.circle_id = i.circle_id AND m.seq = i.seq AND m.kind = 'monthly'
        LEFT JOIN attendance a ON a.meeting_id = m.id AND a.person_id = i.person_id
        WHERE a.status IS NULL OR a.status <> i.status""")
    conn.execute("""
        DELETE FROM attendance WHERE (meeting_id, person_id) IN
            (SELECT (meeting_id, person_id) FROM attendance_new WHERE previous_status IS NOT NULL)""")
    conn.execute("""
        INSERT INTO attendance (meeting_id, person_id, status, batch_id, previous_status, previous_batch_id)
        SELECT meeting_id, person_id, status, ?, previous_status, previous_batch_id FROM attendance_new""",
                 [batch_id])
    conn.execute("DROP TABLE attendance_new")


_WRITERS = {
    "skills": _write_skills,
    "applications": _write_applications,
    "outcomes": _write_outcomes,
    "rosters": _write_rosters,
    "attendance": _write_attendance,
}


# ---------------------------------------------------------------- history and undo

def list_batches(conn: duckdb.DuckDBPyConnection) -> "pd.DataFrame":
    """Return the import history, newest first."""
    return conn.execute("""
        SELECT id, kind, cycle, file_name, left(file_hash, 12) AS file_hash, created_by, created_at,
               rows_read, new_count, updated_count, unchanged_count, undone_at, undone_by
        FROM import_batches ORDER BY id DESC""").df()


def undo_batch(conn: duckdb.DuckDBPyConnection, batch_id: int, actor: str = "cli") -> dict[str, int]:
    """Remove everything one import wrote, in one transaction; return rows removed per table."""
    removed: dict[str, int] = {}
    with transaction(conn):
        row = first(conn.execute("SELECT kind, undone_at FROM import_batches WHERE id = ?", [batch_id]).fetchall())
        if row is None:
            raise ImportRefused(f"No import batch {batch_id}")
        if row[1] is not None:
            raise ImportRefused(f"Import batch {batch_id} was already undone on {row[1]:%Y-%m-%d %H:%M}")
        later = scalar(conn, """SELECT min(batch_id) FROM attendance WHERE previous_batch_id = ?""", [batch_id])
        if later:
            raise ImportRefused(f"Import batch {later} changed attendance that batch {batch_id} wrote: undo {later} first")

        def _delete(label: str, sql: str, params: list) -> None:
            removed[label] = removed.get(label, 0) + (first(conn.execute(sql, params).fetchall())[0] or 0)

        _delete("person_skills", "DELETE FROM person_skills WHERE response_id IN"
                " (SELECT id FROM survey_responses WHERE batch_id = ?)", [batch_id])
        _delete("survey_responses", "DELETE FROM survey_responses WHERE batch_id = ?", [batch_id])
        _delete("applications", "DELETE FROM applications WHERE batch_id = ?", [batch_id])
        _delete("outcome_responses", "DELETE FROM outcome_responses WHERE batch_id = ?", [batch_id])
        _delete("attendance", "DELETE FROM attendance WHERE batch_id = ? AND previous_status IS NULL", [batch_id])
        # Attendance this batch changed goes back to what it replaced.
        conn.execute("""UPDATE attendance SET status = previous_status, batch_id = previous_batch_id,
                            previous_status = NULL, previous_batch_id = NULL WHERE batch_id = ?""", [batch_id])
        conn.execute("""UPDATE applications SET status = 'applied', version = version + 1
            WHERE status = 'placed' AND (cycle, person_id) IN (SELECT (c.cycle, m.person_id) FROM circle_members m
            JOIN circles c ON c.id = m.circle_id JOIN circle_drafts d ON d.id = c.draft_id WHERE d.batch_id = ?)""",
                     [batch_id])
        _delete("circle_members", "DELETE FROM circle_members WHERE circle_id IN (SELECT c.id FROM circles c"
                " JOIN circle_drafts d ON d.id = c.draft_id WHERE d.batch_id = ?)", [batch_id])
        _delete("attendance", "DELETE FROM attendance WHERE meeting_id IN (SELECT m.id FROM meetings m JOIN circles c"
                " ON c.id = m.circle_id JOIN circle_drafts d ON d.id = c.draft_id WHERE d.batch_id = ?)", [batch_id])
        _delete("meetings", "DELETE FROM meetings WHERE circle_id IN (SELECT c.id FROM circles c"
                " JOIN circle_drafts d ON d.id = c.draft_id WHERE d.batch_id = ?)", [batch_id])
        _delete("circles", "DELETE FROM circles WHERE draft_id IN (SELECT id FROM circle_drafts WHERE batch_id = ?)",
                [batch_id])
        _delete("circle_drafts", "DELETE FROM circle_drafts WHERE batch_id = ?", [batch_id])
        _delete("people", """DELETE FROM people WHERE batch_id = ?
            AND id NOT IN (SELECT person_id FROM survey_responses) AND id NOT IN (SELECT person_id FROM applications)
            AND id NOT IN (SELECT person_id FROM circle_members)
            AND id NOT IN (SELECT person_id FROM outcome_responses WHERE person_id IS NOT NULL)
            AND id NOT IN (SELECT person_id FROM attendance)""", [batch_id])
        conn.execute("UPDATE import_batches SET undone_at = current_timestamp, undone_by = ? WHERE id = ?",
                     [actor, batch_id])
        audit(conn, actor, "import.undo", "import_batch", batch_id, removed)
    return removed