"""Importing Google Forms exports: read, map, validate, preview, commit in one transaction, undo."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd

from . import cycles, forms
from .db import first, audit, scalar, transaction

MAX_BYTES = 50 * 1024 * 1024
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_TIMESTAMP_FORMATS = (
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
)
_YES = {"yes", "y", "true", "i agree", "agree", "i consent", "consent", "1"}
_DAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
         "saturday": "sat", "sunday": "sun", "weekday": "weekday", "weekend": "weekend"}
_PARTS = {"morning": "am", "mornings": "am", "afternoon": "pm", "afternoons": "pm",
          "evening": "eve", "evenings": "eve"}


class ImportRefused(ValueError):
    """The whole file is refused (unreadable, too large, unknown kind, missing required column)."""


@dataclass
class Problem:
    """One error or warning about one cell of the uploaded file."""

    row: int | None     # spreadsheet row number (the header is row 1)
    column: str | None  # the header text as uploaded
    value: str | None
    message: str

    def __str__(self) -> str:
        """Format the problem the way a committee member reads it."""
        where = ", ".join(part for part in (f"row {self.row}" if self.row else "",
                                            f"column '{self.column}'" if self.column else "") if part)
        shown = f" (value: {self.value!r})" if self.value not in (None, "") else ""
        return f"{where}: {self.message}{shown}" if where else f"{self.message}{shown}"


@dataclass
class ImportResult:
    """What an import found and (unless refused or a dry run) wrote."""

    file_name: str
    file_hash: str
    kind: str
    cycle: str | None
    mapping: dict[str, str]
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    repeats: int = 0
    new_people: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Tell whether the file can be (or was) committed."""
        return not self.errors

    def to_dict(self) -> dict:
        """Return a JSON-ready summary."""
        data = asdict(self)
        data["errors"] = [asdict(p) for p in self.errors]
        data["warnings"] = [asdict(p) for p in self.warnings]
        return data


# ---------------------------------------------------------------- reading

def read_table(data: bytes, file_name: str, sheet: str | int | None = None) -> pd.DataFrame:
    """Read CSV or XLSX bytes into a DataFrame of strings (or datetimes from XLSX), blank rows dropped."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"{file_name}: the file is {len(data) / 1e6:.0f} MB; files over 50 MB are refused")
    if not data.strip():
        raise ImportRefused(f"{file_name}: the file is empty")
    if data[:4] == b"PK\x03\x04":
        frame = _read_xlsx(data, file_name, sheet)
    else:
        frame = _read_csv(data, file_name)
    frame = frame.loc[:, [not (str(c).startswith("Unnamed:") and frame[c].isna().all()) for c in frame.columns]]
    frame.columns = [str(c).strip() for c in frame.columns]
    blank = frame.apply(lambda col: col.isna() | (col.astype(str).str.strip() == ""), axis=0).all(axis=1)
    frame = frame.loc[~blank]
    if frame.columns.empty:
        raise ImportRefused(f"{file_name}: no header row found")
    return frame


def _decode(data: bytes, file_name: str) -> str:
    """Decode UTF-8 (with or without BOM), falling back to Excel's cp1252."""
    if b"\x00" in data[:4096]:
        raise ImportRefused(f"{file_name}: this is not a CSV or XLSX file (it looks binary)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(data: bytes, file_name: str) -> pd.DataFrame:
    """Parse CSV text, sniffing comma or semicolon."""
    text = _decode(data, file_name)
    first_line = text.split("\n", 1)[0]
    sep = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                           na_values=[], skip_blank_lines=True)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise ImportRefused(f"{file_name}: not a readable CSV file ({exc})") from exc
    except pd.errors.EmptyDataError as exc:
        raise ImportRefused(f"{file_name}: the file has no header row") from exc


def _read_xlsx(data: bytes, file_name: str, sheet: str | int | None) -> pd.DataFrame:
    """Parse the chosen (default first) sheet of an XLSX workbook."""
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=sheet if sheet is not None else 0,
                              dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ImportRefused(f"{file_name}: not a readable XLSX workbook ({exc})") from exc
    return frame.map(lambda v: v if isinstance(v, datetime) or v is None or (isinstance(v, float) and pd.isna(v))
                     else str(v))


# ---------------------------------------------------------------- values

def parse_timestamp(value: object) -> datetime | None:
    """Parse a Google Forms timestamp (US month/day by default); None when unparseable."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    text = str(value or "").strip()
    for fmt in _TIMESTAMP_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def normalise_email(value: object) -> str | None:
    """Trim and lowercase an email; None when it is not an email address."""
    text = str(value or "").strip().lower()
    if text.startswith("mailto:"):
        text = text[7:]
    return text if _EMAIL.match(text) else None


def clean_text(value: object) -> str | None:
    """Trim a free-text cell; None when blank."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None


def is_yes(value: object) -> bool:
    """Tell whether a consent or agreement answer says yes."""
    text = (clean_text(value) or "").lower().rstrip(".!")
    return text in _YES or text.startswith(("yes", "i agree", "i consent"))


def split_checkboxes(cell: object, options: dict[str, str]) -> tuple[list[str], list[str]]:
    """Split a checkbox cell against known options (lowercased text -> canonical); return (known, other)."""
    text = clean_text(cell)
    if not text:
        return [], []
    known: list[str] = []
    # Options that contain ", " would be cut by a naive split: take them out whole first.
    for option_text in sorted((o for o in options if ", " in o), key=len, reverse=True):
        index = text.lower().find(option_text)
        if index >= 0:
            known.append(options[option_text])
            text = (text[:index] + text[index + len(option_text):]).strip(", ")
    other: list[str] = []
    for part in text.split(", "):
        part = part.strip().strip(",").strip()
        if not part:
            continue
        canonical = options.get(part.lower())
        if canonical:
            known.append(canonical)
        else:
            other.append(part)
    return list(dict.fromkeys(known)), list(dict.fromkeys(other))


def parse_years(value: object) -> int | None:
    """Read 'years in the profession' answers such as '12', '25+', 'less than 1'."""
    text = (clean_text(value) or "").lower()
    if not text:
        return None
    if "less than" in text or text.startswith("<"):
        return 0
    match = re.search(r"\d+", text)
    return int(match.group()) if match else None


def parse_career_stage(value: object) -> tuple[int | None, bool] | None:
    """Return (months in the profession, is a library-school student), or None when unreadable."""
    text = (clean_text(value) or "").lower()
    if not text:
        return None
    if "student" in text or "graduating" in text or "library school" in text:
        return None, True
    compact = re.sub(r"\s*[-\u2013]\s*", "-", text)
    for stage, months in forms.CAREER_STAGE_MONTHS.items():
        if compact.startswith(stage):
            return months, False
    years = parse_years(text)
    if years is None:
        return None
    return (years * 12 + 6, False) if "more than" not in text else ((years + 1) * 12, False)


def availability_slot(option: str) -> str:
    """Turn 'Monday morning' into 'mon-am' so availability compares across wordings."""
    words = re.findall(r"[a-z]+", option.lower())
    day = next((_DAYS[w] for w in words if w in _DAYS), None)
    part = next((_PARTS[w] for w in words if w in _PARTS), None)
    if day and part:
        return f"{day}-{part}"
    return "-".join(words) or option


# ---------------------------------------------------------------- lookups

def institution_lookup(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Map lowercased institution names and aliases to institution ids."""
    lookup: dict[str, int] = {}
    for inst_id, name, aliases in conn.execute("SELECT id, name, aliases FROM institutions").fetchall():
        for text in [name, *(aliases or [])]:
            lookup.setdefault(re.sub(r"\s+", " ", text.strip().lower()), inst_id)
    return lookup


def skill_options(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Map lowercased skill names and aliases to canonical skill names."""
    options: dict[str, str] = {}
    for name, aliases in conn.execute("SELECT name, aliases FROM skills WHERE NOT proposed").fetchall():
        options[name.lower()] = name
        for alias in aliases or []:
            options.setdefault(alias.lower(), name)
    return options


def file_hash(data: bytes) -> str:
    """Return the sha256 of the uploaded bytes."""
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- the import

def import_bytes(conn: duckdb.DuckDBPyConnection, data: bytes, file_name: str, *, kind: str | None = None,
                 cycle: str | None = None, mapping: dict[str, str] | None = None, dry_run: bool = False,
                 actor: str = "cli", sheet: str | int | None = None,
                 progress: Callable[[float, str], None] | None = None) -> ImportResult:
    """Import one export: map its columns, validate every row, then write it all in one transaction (or nothing)."""
    report = progress or (lambda fraction, text: None)
    report(0.05, "Reading the file")
    frame = read_table(data, file_name, sheet)
    headers = list(frame.columns)
    if kind is not None and kind not in forms.KINDS:
        raise ImportRefused(f"Unknown kind '{kind}'; choose one of: {', '.join(forms.KINDS)}")
    kind = kind or forms.detect_kind(headers)
    if kind is None:
        raise ImportRefused(
            f"{file_name}: could not tell which form this is from its headers ({', '.join(headers[:6])}...). "
            f"Choose the kind ({', '.join(forms.KINDS)}) and map the columns."
        )
    if cycle is not None:
        cycles.parse(cycle)
    proposed = forms.propose_mapping(kind, headers)
    final_mapping = _merge_mapping(kind, headers, proposed, mapping or {}, file_name)
    missing = forms.missing_required(kind, final_mapping)
    if missing:
        names = "; ".join(f"'{spec.label}' (field {spec.name})" for spec in missing)
        raise ImportRefused(
            f"{file_name}: no column found for required field(s) {names}. Map a column to it, "
            f"e.g. --map \"Header text={missing[0].name}\"."
        )
    result = ImportResult(file_name=file_name, file_hash=file_hash(data), kind=kind, cycle=cycle,
                          mapping=final_mapping, rows=len(frame), dry_run=dry_run)
    report(0.2, "Checking every row")
    columns = {f: h for h, f in final_mapping.items()}
    prepared = _PREPARERS[kind](conn, frame, columns, cycle, result)
    if result.errors or dry_run:
        _count_only(conn, kind, prepared, result)
        return result
    report(0.6, "Writing to the database")
    with transaction(conn):
        _count_only(conn, kind, prepared, result)
        if result.new or result.updated:
            result.batch_id = _write(conn, kind, prepared, result, actor)
    report(1.0, "Done")
    return result


def import_file(conn: duckdb.DuckDBPyConnection, path: Path | str, **kwargs) -> ImportResult:
    """Import an export from a path on disk."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"{path}: cannot read the file ({exc.strerror})") from exc
    return import_bytes(conn, data, path.name, **kwargs)


def _merge_mapping(kind: str, headers: list[str], proposed: dict[str, str], overrides: dict[str, str],
                   file_name: str) -> dict[str, str]:
    """Apply explicit header=field overrides on top of the proposed mapping."""
    valid = {spec.name for spec in forms.FIELDS[kind]} | {f"month:{m}" for m in forms.MONTHS} | {""}
    merged = dict(proposed)
    for header, target in overrides.items():
        if header not in headers:
            raise ImportRefused(f"{file_name}: --map names a column that is not in the file: '{header}'")
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


def _cell(row: pd.Series, columns: dict[str, str], name: str) -> object:
    """Return the raw cell of a field in a row, or None when the field is not mapped."""
    header = columns.get(name)
    return None if header is None else row[header]


def _common(frame: pd.DataFrame, columns: dict[str, str], cycle: str | None, result: ImportResult,
            conn: duckdb.DuckDBPyConnection, email_required: bool = True) -> list[dict]:
    """Validate timestamp, email, name and institution of every row; return row dicts with the rest raw."""
    institutions = institution_lookup(conn)
    rows = []
    unknown_institutions: dict[str, int] = {}
    for index, (_, row) in enumerate(frame.iterrows()):
        row_no = index + 2
        record: dict = {"row": row_no, "raw": row}
        if "timestamp" in columns:
            when = parse_timestamp(row[columns["timestamp"]])
            if when is None:
                result.errors.append(Problem(row_no, columns["timestamp"], clean_text(row[columns["timestamp"]]),
                                             "not a date and time (expected e.g. 9/15/2025 10:32:11)"))
                continue
            record["submitted_at"] = when
            record["cycle"] = cycle or cycles.of_date(when)
        if "email" in columns:
            email = normalise_email(row[columns["email"]])
            if email is None and (email_required or clean_text(row[columns["email"]])):
                result.errors.append(Problem(row_no, columns["email"], clean_text(row[columns["email"]]),
                                             "not an email address"))
                continue
            record["email"] = email
        if "name" in columns:
            record["name"] = clean_text(row[columns["name"]])
        if "institution" in columns:
            raw = clean_text(row[columns["institution"]])
            record["institution_raw"] = raw
            record["institution_id"] = institutions.get(re.sub(r"\s+", " ", raw.lower())) if raw else None
            if raw and record["institution_id"] is None:
                unknown_institutions.setdefault(raw, row_no)
        rows.append(record)
    for raw, row_no in unknown_institutions.items():
        result.warnings.append(Problem(row_no, columns["institution"], raw,
                                       "institution not in the institutions table: kept as written, flagged for review"))
    return rows


def _latest_only(rows: list[dict], result: ImportResult) -> list[dict]:
    """Drop exact duplicate submissions and count repeat submissions per email and cycle."""
    seen: dict[tuple, dict] = {}
    per_person: dict[tuple, int] = {}
    for record in rows:
        key = (record["email"], record["cycle"], record["submitted_at"])
        if key in seen:
            result.warnings.append(Problem(record["row"], None, record["email"],
                                           f"same email and timestamp as row {seen[key]['row']}: the later row is kept"))
        seen[key] = record
        per_person[(record["email"], record["cycle"])] = per_person.get((record["email"], record["cycle"]), 0) + 1
    result.repeats = sum(count - 1 for count in per_person.values())
    return list(seen.values())


def _prepare_skills(conn, frame, columns, cycle, result) -> pd.DataFrame:
    """Turn Skills Directory Survey rows into response records."""
    options = skill_options(conn)
    records = []
    proposed_other: dict[str, int] = {}
    for record in _latest_only(_common(frame, columns, cycle, result, conn), result):
        row = record.pop("raw")
        known, other = split_checkboxes(_cell(row, columns, "expertise"), options)
        for value in other:
            proposed_other.setdefault(value, record["row"])
        purposes_raw, purposes_other = split_checkboxes(
            _cell(row, columns, "purposes"), {p: p for p in forms.CONTACT_PURPOSES})
        record.update(
            job_title=clean_text(_cell(row, columns, "job_title")),
            department=clean_text(_cell(row, columns, "department")),
            years=parse_years(_cell(row, columns, "years")),
            purposes=purposes_raw,
            contact_method=clean_text(_cell(row, columns, "contact_method")),
            consent=is_yes(_cell(row, columns, "consent")),
            skills=known,
            other_skills=other,
        )
        if purposes_other:
            result.warnings.append(Problem(record["row"], columns.get("purposes"), ", ".join(purposes_other),
                                           "not one of support, discussion, feedback, collaboration: ignored"))
        records.append(record)
    for value, row_no in proposed_other.items():
        result.warnings.append(Problem(row_no, columns.get("expertise"), value,
                                       "not in the skills taxonomy: kept as an 'other' answer"))
    return pd.DataFrame(records, columns=[
        "row", "submitted_at", "cycle", "email", "name", "institution_raw", "institution_id", "job_title",
        "department", "years", "purposes", "contact_method", "consent", "skills", "other_skills"])


def _prepare_applications(conn, frame, columns, cycle, result) -> pd.DataFrame:
    """Turn Peer Mentorship Circle application rows into application records."""
    interest_options = {o.lower(): o for o in forms.DEFAULT_INTEREST_OPTIONS}
    records = []
    for record in _latest_only(_common(frame, columns, cycle, result, conn), result):
        row = record.pop("raw")
        stage_raw = clean_text(_cell(row, columns, "career_stage"))
        stage = parse_career_stage(stage_raw)
        if stage is None:
            result.errors.append(Problem(record["row"], columns["career_stage"], stage_raw,
                                         "career stage not understood (e.g. '1-2 years' or 'Library school student')"))
            continue
        months, student = stage
        interests, other_interests = split_checkboxes(_cell(row, columns, "interests"), interest_options)
        _, availability_options = split_checkboxes(_cell(row, columns, "availability"), {})
        slots = [availability_slot(option) for option in availability_options]
        fmt = (clean_text(_cell(row, columns, "format")) or "").lower()
        record.update(
            job_title=clean_text(_cell(row, columns, "job_title")),
            career_stage=stage_raw,
            months=months,
            student=student,
            eligible=student or (months is not None and months <= 36),
            late=record["submitted_at"].date() > cycles.deadline(record["cycle"]),
            interests=interests + other_interests,
            goals=clean_text(_cell(row, columns, "goals")),
            format=("in person" if "person" in fmt else "virtual" if "virtual" in fmt or "online" in fmt
                    else "either" if fmt else None),
            availability=list(dict.fromkeys(slots)),
            agreement=is_yes(_cell(row, columns, "agreement")),
            comments=clean_text(_cell(row, columns, "comments")),
        )
        if not record["agreement"]:
            result.warnings.append(Problem(record["row"], columns["agreement"],
                                           clean_text(_cell(row, columns, "agreement")),
                                           "applicant did not agree to the participant expectations"))
        records.append(record)
    return pd.DataFrame(records, columns=[
        "row", "submitted_at", "cycle", "email", "name", "institution_raw", "institution_id", "job_title",
        "career_stage", "months", "student", "eligible", "late", "interests", "goals", "format", "availability",
        "agreement", "comments"])


def _prepare_outcomes(conn, frame, columns, cycle, result) -> pd.DataFrame:
    """Turn end-of-year survey rows into outcome records (anonymous when there is no email)."""
    records = []
    answers = {"met_goals": ("yes", "no", "partially"), "participate_again": ("yes", "no", "maybe")}
    for record in _common(frame, columns, cycle, result, conn, email_required=False):
        row = record.pop("raw")
        bad = False
        for name, allowed in answers.items():
            text = (clean_text(_cell(row, columns, name)) or "").lower().rstrip(".")
            value = next((a for a in allowed if text.startswith(a)), None)
            if value is None:
                result.errors.append(Problem(record["row"], columns[name], clean_text(_cell(row, columns, name)),
                                             f"expected one of {', '.join(a.capitalize() for a in allowed)}"))
                bad = True
            record[name] = value
        satisfaction_text = clean_text(_cell(row, columns, "satisfaction"))
        satisfaction = parse_years(satisfaction_text) if satisfaction_text else None
        if satisfaction_text and (satisfaction is None or not 1 <= satisfaction <= 5):
            result.errors.append(Problem(record["row"], columns["satisfaction"], satisfaction_text,
                                         "satisfaction must be a number from 1 to 5"))
            bad = True
        if bad:
            continue
        record.update(satisfaction=satisfaction, comments=clean_text(_cell(row, columns, "comments")),
                      consent_to_quote=is_yes(_cell(row, columns, "consent_to_quote")))
        record.setdefault("email", None)
        records.append(record)
    return pd.DataFrame(records, columns=[
        "row", "submitted_at", "cycle", "email", "met_goals", "participate_again", "satisfaction", "comments",
        "consent_to_quote"])


def _require_cycle(cycle: str | None, kind: str) -> str:
    """Sheets without timestamps need the cycle named."""
    if not cycle:
        raise ImportRefused(f"{forms.KIND_LABELS[kind]} have no timestamps: choose the program year (e.g. --cycle 2025-26)")
    return cycle


def _person_ids(conn: duckdb.DuckDBPyConnection, emails: list[str]) -> dict[str, int]:
    """Map emails to existing person ids."""
    if not emails:
        return {}
    rows = conn.execute("SELECT email, id FROM people WHERE email IN (SELECT unnest(?))", [emails]).fetchall()
    return dict(rows)


def _prepare_rosters(conn, frame, columns, cycle, result) -> pd.DataFrame:
    """Turn a roster sheet (circle, email) into final circle memberships."""
    cycle = _require_cycle(cycle, "rosters")
    rows = _common(frame, columns, cycle, result, conn)
    people = _person_ids(conn, [r["email"] for r in rows])
    records = []
    for record in rows:
        row = record.pop("raw")
        circle = clean_text(row[columns["circle"]])
        if not circle:
            result.errors.append(Problem(record["row"], columns["circle"], None, "no circle named"))
            continue
        if record["email"] not in people:
            result.errors.append(Problem(record["row"], columns["email"], record["email"],
                                         "no application or survey answer from this email: import the applications first"))
            continue
        records.append({"row": record["row"], "cycle": cycle, "circle": circle, "person_id": people[record["email"]]})
    if not result.errors and scalar(conn, "SELECT count(*) FROM circle_drafts WHERE cycle = ? AND status = 'final'", [cycle]):
        result.errors.append(Problem(None, None, cycle, f"{cycle} already has final circles; undo or edit them instead"))
    return pd.DataFrame(records, columns=["row", "cycle", "circle", "person_id"])


def _prepare_attendance(conn, frame, columns, cycle, result) -> pd.DataFrame:
    """Turn a wide attendance sheet (one row per member, one column per month) into attendance records."""
    cycle = _require_cycle(cycle, "attendance")
    rows = _common(frame, columns, cycle, result, conn)
    circles = dict(conn.execute(
        "SELECT c.name, c.id FROM circles c JOIN circle_drafts d ON d.id = c.draft_id"
        " WHERE d.cycle = ? AND d.status = 'final'", [cycle]).fetchall())
    people = _person_ids(conn, [r["email"] for r in rows])
    months = {field_name.split(":")[1]: header for field_name, header in columns.items() if field_name.startswith("month:")}
    statuses = {"present": "present", "p": "present", "yes": "present", "x": "present", "absent": "absent",
                "a": "absent", "no": "absent", "excused": "excused", "e": "excused"}
    records = []
    for record in rows:
        row = record.pop("raw")
        circle = clean_text(row[columns["circle"]])
        if circle not in circles:
            result.errors.append(Problem(record["row"], columns["circle"], circle,
                                         f"no final circle with this name in {cycle}"))
            continue
        if record["email"] not in people:
            result.errors.append(Problem(record["row"], columns["email"], record["email"], "unknown person"))
            continue
        for month, header in months.items():
            text = (clean_text(row[header]) or "").lower()
            if not text:
                continue  # a meeting not held yet, or not recorded
            status = statuses.get(text)
            if status is None:
                result.errors.append(Problem(record["row"], header, clean_text(row[header]),
                                             "expected Present, Absent or Excused"))
                continue
            records.append({"row": record["row"], "cycle": cycle, "circle_id": circles[circle],
                            "person_id": people[record["email"]], "month": month,
                            "seq": forms.MONTHS.index(month) + 1, "status": status})
    return pd.DataFrame(records, columns=["row", "cycle", "circle_id", "person_id", "month", "seq", "status"])


_PREPARERS = {
    "skills": _prepare_skills,
    "applications": _prepare_applications,
    "outcomes": _prepare_outcomes,
    "rosters": _prepare_rosters,
    "attendance": _prepare_attendance,
}

_RESPONSE_TABLES = {"skills": "survey_responses", "applications": "applications"}


def _count_only(conn: duckdb.DuckDBPyConnection, kind: str, prepared: pd.DataFrame, result: ImportResult) -> None:
    """Count new, updated and unchanged rows against what the database holds (writes nothing)."""
    if prepared.empty:
        return
    conn.register("incoming", prepared)
    try:
        if kind in _RESPONSE_TABLES:
            table = _RESPONSE_TABLES[kind]
            # Table names come from the fixed dict above, never from input.
            counts = first(conn.execute(f"""
                WITH marked AS (
                    SELECT i.email, i.cycle,
                           EXISTS (SELECT 1 FROM {table} t WHERE t.person_id = p.id AND t.cycle = i.cycle
                                   AND t.submitted_at = i.submitted_at) AS present,
                           EXISTS (SELECT 1 FROM {table} t WHERE t.person_id = p.id AND t.cycle = i.cycle) AS known
                    FROM incoming i LEFT JOIN people p ON p.email = i.email)
                SELECT
                    count(*) FILTER (WHERE present),
                    count(DISTINCT (email, cycle)) FILTER (WHERE NOT present AND NOT known),
                    count(DISTINCT (email, cycle)) FILTER (WHERE NOT present AND known),
                    (SELECT count(DISTINCT i.email) FROM incoming i WHERE i.email NOT IN (SELECT email FROM people))
                FROM marked""").fetchall())
            result.unchanged, result.new, result.updated, result.new_people = counts
        elif kind == "outcomes":
            result.unchanged = scalar(conn, """
                SELECT count(*) FROM incoming i WHERE EXISTS (
                    SELECT 1 FROM outcome_responses o WHERE o.cycle = i.cycle AND o.submitted_at = i.submitted_at
                    AND o.met_goals IS NOT DISTINCT FROM i.met_goals
                    AND o.participate_again IS NOT DISTINCT FROM i.participate_again
                    AND o.comments IS NOT DISTINCT FROM i.comments)""")
            result.new = len(prepared) - result.unchanged
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
            result.new = len(prepared)
    finally:
        conn.unregister("incoming")


def _write(conn: duckdb.DuckDBPyConnection, kind: str, prepared: pd.DataFrame, result: ImportResult,
           actor: str) -> int:
    """Write the prepared rows and the batch record (inside the caller's transaction)."""
    present_cycles = sorted(set(prepared["cycle"]))
    for name in present_cycles:
        cycles.ensure(conn, name)
    batch_id = scalar(conn, """
        INSERT INTO import_batches (kind, cycle, file_name, file_hash, mapping, created_by, rows_read,
                                    new_count, updated_count, unchanged_count, warnings)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        [kind, ", ".join(present_cycles), result.file_name, result.file_hash, json.dumps(result.mapping),
         actor, result.rows, result.new, result.updated, result.unchanged,
         json.dumps([asdict(w) for w in result.warnings])])
    conn.register("incoming", prepared)
    try:
        if "email" in prepared.columns and kind != "outcomes":
            conn.execute("""
                INSERT INTO people (email, name, institution_id, batch_id)
                SELECT email, arg_max(name, submitted_at), arg_max(institution_id, submitted_at), ?
                FROM incoming WHERE email NOT IN (SELECT email FROM people) GROUP BY email""", [batch_id])
        _WRITERS[kind](conn, batch_id)
    finally:
        conn.unregister("incoming")
    audit(conn, actor, "import", "import_batch", batch_id,
          {"kind": kind, "file": result.file_name, "new": result.new, "updated": result.updated})
    return batch_id


def _write_skills(conn: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Insert survey responses and their skills."""
    conn.execute("""
        INSERT INTO survey_responses (person_id, cycle, batch_id, submitted_at, name, institution_id,
            institution_raw, job_title, department, years_in_profession, contact_purposes, contact_method,
            consent, other_skills)
        SELECT p.id, i.cycle, ?, i.submitted_at, i.name, i.institution_id, i.institution_raw, i.job_title,
               i.department, i.years, i.purposes, i.contact_method, i.consent, i.other_skills
        FROM incoming i JOIN people p ON p.email = i.email
        WHERE NOT EXISTS (SELECT 1 FROM survey_responses r WHERE r.person_id = p.id AND r.cycle = i.cycle
                          AND r.submitted_at = i.submitted_at)""", [batch_id])
    conn.execute("""
        INSERT INTO person_skills (response_id, skill_id)
        SELECT DISTINCT r.id, s.id
        FROM (SELECT email, cycle, submitted_at, unnest(skills) AS skill FROM incoming) i
        JOIN people p ON p.email = i.email
        JOIN survey_responses r ON r.person_id = p.id AND r.cycle = i.cycle AND r.submitted_at = i.submitted_at
        JOIN skills s ON s.name = i.skill
        WHERE r.batch_id = ?""", [batch_id])


def _write_applications(conn: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Insert applications."""
    conn.execute("""
        INSERT INTO applications (person_id, cycle, batch_id, submitted_at, name, institution_id, institution_raw,
            job_title, career_stage, months_in_profession, is_student, eligible, late, interests, goals, format,
            availability, agreement, comments)
        SELECT p.id, i.cycle, ?, i.submitted_at, i.name, i.institution_id, i.institution_raw, i.job_title,
               i.career_stage, i.months, i.student, i.eligible, i.late, i.interests, i.goals, i.format,
               i.availability, i.agreement, i.comments
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
        CREATE TEMP TABLE attendance_new AS
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

def list_batches(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
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
        later = scalar(conn, """SELECT min(b.id) FROM import_batches b WHERE b.id > ? AND b.undone_at IS NULL AND (
                                  b.id IN (SELECT batch_id FROM attendance WHERE previous_batch_id = ?))""",
                       [batch_id, batch_id])
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
