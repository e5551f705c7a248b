"""Importing Google Forms exports: map the columns, validate every row, preview, commit all-or-nothing, undo.

The heavy lifting is set-based SQL in DuckDB over the uploaded table, so a 100,000-row survey imports in
about the time it takes to read it; only small per-value work (fuzzy names, nearest skills) is Python.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import duckdb
import pyarrow as pa

from . import cycles, forms, institutions, skills
from .db import audit, first, scalar, transaction
from .settings import get_settings
from .sheets import ImportRefused, Sheet
from .sheets import read as read_sheet

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ImportRefused", "ImportResult", "Problem", "import_bytes", "import_file", "inspect", "undo_batch",
           "list_batches", "remembered_mapping"]

MAX_LISTED = 200  # problems listed per kind of problem; the rest are counted
_EMAIL_RE = r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$"
_US_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
_DAY_FIRST_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
_ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_YES = ("yes", "y", "true", "i agree", "agree", "i consent", "consent", "1")
_DAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
         "saturday": "sat", "sunday": "sun", "weekday": "weekday", "weekend": "weekend"}
_PARTS = {"morning": "am", "mornings": "am", "afternoon": "pm", "afternoons": "pm",
          "evening": "eve", "evenings": "eve"}


@dataclass
class Problem:
    """One error or warning about one cell (or a column, or the whole file) of the uploaded file."""

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
    mapping_source: str = "proposed"  # proposed, remembered, given
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
    cycles: list[str] = field(default_factory=list)

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

    def problems_frame(self) -> pd.DataFrame:
        """Return errors then warnings as one table (for showing and downloading)."""
        import pandas as pd

        rows = [{"severity": severity, **asdict(problem)}
                for severity, items in (("error", self.errors), ("warning", self.warnings)) for problem in items]
        return pd.DataFrame(rows, columns=["severity", "row", "column", "value", "message"])


@dataclass
class Inspection:
    """What an uploaded file looks like before anything is decided: its kind and proposed mapping."""

    sheet: Sheet
    file_hash: str
    kind: str | None
    mapping: dict[str, str]
    mapping_source: str


# ---------------------------------------------------------------- small value parsers (also used in tests)

def normalise_email(value: object) -> str | None:
    """Trim and lowercase an email; None when it is not an email address."""
    text = str(value or "").strip().lower()
    if text.startswith("mailto:"):
        text = text[7:]
    return text if re.match(_EMAIL_RE, text) else None


def split_checkboxes(cell: object, options: dict[str, str]) -> tuple[list[str], list[str]]:
    """Split a checkbox cell against known options (lowercased text -> canonical); return (known, other)."""
    text = re.sub(r"\s+", " ", str(cell or "")).strip()
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
    text = str(value or "").strip().lower()
    if not text:
        return None
    if "less than" in text or text.startswith("<"):
        return 0
    match = re.search(r"\d+", text)
    return int(match.group()) if match else None


def parse_career_stage(value: object) -> tuple[int | None, bool] | None:
    """Return (months in the profession, is a library-school student), or None when unreadable."""
    text = re.sub(r"\s+", " ", str(value or "")).strip().lower()
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


def is_yes(value: object) -> bool:
    """Tell whether a consent or agreement answer says yes."""
    text = str(value or "").strip().lower().rstrip(".!")
    return text in _YES or text.startswith(("yes", "i agree", "i consent"))


def file_hash(data: bytes) -> str:
    """Return the sha256 of the uploaded bytes."""
    return hashlib.sha256(data).hexdigest()


def headers_key(headers: list[str]) -> str:
    """Fingerprint a header row so next year's export of the same form finds its confirmed mapping."""
    return hashlib.sha256("\x1f".join(forms.normalise_header(h) for h in headers).encode()).hexdigest()


# ---------------------------------------------------------------- mapping memory

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
    remembered = remembered_mapping(conn, table.headers)
    if remembered and (kind is None or remembered[0] == kind):
        return Inspection(table, file_hash(data), remembered[0], remembered[1], "remembered")
    kind = kind or forms.guess_kind(table.headers)
    mapping = forms.propose_mapping(kind, table.headers) if kind else {}
    return Inspection(table, file_hash(data), kind, mapping, "proposed")


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
    if found.kind is None:
        raise ImportRefused(
            f"{file_name}: could not tell which form this is from its headers "
            f"({', '.join(table.headers[:6])}{'...' if len(table.headers) > 6 else ''}). "
            f"Choose the kind ({', '.join(forms.KINDS)}) and map the columns.")
    kind = found.kind
    final_mapping = _merge_mapping(kind, table.headers, found.mapping, mapping or {}, file_name)
    missing = forms.missing_required(kind, final_mapping)
    if missing:
        names = "; ".join(f"'{spec.label}' (field {spec.name})" for spec in missing)
        raise ImportRefused(
            f"{file_name}: no column found for required field(s) {names}. Map a column to it, "
            f"e.g. --map \"Header text={missing[0].name}\".")
    result = ImportResult(file_name=file_name, file_hash=found.file_hash, kind=kind, cycle=cycle,
                          mapping=final_mapping, rows=table.rows, dry_run=dry_run,
                          mapping_source="given" if mapping else found.mapping_source)
    result.warnings += [Problem(None, None, None, note) for note in table.notes]
    if kind in ("attendance", "rosters") and not cycle:
        raise ImportRefused(f"{forms.KIND_LABELS[kind]} have no timestamps: choose the program year "
                            "(e.g. --cycle 2025-26)")
    if day_first is None:
        day_first = get_settings().day_first
    report(0.15, "Checking every row")
    staging = _Staging(conn, table, final_mapping, kind, cycle, day_first, result)
    try:
        staging.prepare()
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


def _values(*columns_and_rows) -> tuple[str, list]:
    """SQL and parameters for a small table of Python values: (name, type) pairs, then the rows.

    Built by DuckDB rather than pyarrow, which would import pandas to convert Python values.
    """
    *columns, rows = columns_and_rows
    names = ", ".join(name for name, _ in columns)
    if not rows:
        nulls = ", ".join(f"NULL::{kind} AS {name}" for name, kind in columns)
        return f"SELECT {nulls} WHERE false", []
    casts = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in columns)
    placeholders = ", ".join("(" + ", ".join("?" for _ in columns) + ")" for _ in rows)
    return f"SELECT {casts} FROM (VALUES {placeholders}) AS v({names})", [v for row in rows for v in row]


def _fcol(name: str) -> str:
    """The staging column of a field: 'month:Oct' -> f_month_Oct (identifiers made here, never from input)."""
    return "f_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _sql_text(values: tuple[str, ...]) -> str:
    """Render fixed, internal strings (formats, option words) as SQL literals; never used for input."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


class _Staging:
    """Temp tables of one import on one connection: raw cells, validated base rows, the incoming records."""

    VIEWS = ("import_latest", "import_valid")  # dropped first: they read the staged tables

    def __init__(self, conn, table: Sheet, mapping: dict[str, str], kind: str, cycle: str | None,
                 day_first: bool, result: ImportResult):
        """Remember what to stage."""
        self.conn, self.table, self.kind, self.cycle = conn, table, kind, cycle
        self.day_first, self.result = day_first, result
        self.columns = {target: header for header, target in mapping.items()}
        self.staged: dict[str, pa.Table] = {}

    def drop(self) -> None:
        """Remove the views and the staged tables."""
        for name in self.VIEWS:
            self.conn.execute(f"DROP VIEW IF EXISTS temp.{name}")
        for name in ("import_raw", *self.staged):
            try:
                self.conn.unregister(name)
            except Exception:  # nothing registered when reading failed early
                pass
        self.staged.clear()

    def stage(self, name: str, source: "str | pa.Table", params: list | None = None) -> None:
        """Keep a query's result (or an Arrow table) under a name for later SQL.

        Staged results live in Arrow, registered with DuckDB: materialising 100,000 rows there costs a
        fraction of a temp table, and DuckDB scans them in place.
        """
        table = source if isinstance(source, pa.Table) else self.conn.sql(source, params=params).to_arrow_table()
        self.conn.register(name, table)
        self.staged[name] = table

    def col(self, name: str) -> str:
        """SQL for a field's raw text: its internal column (c0, c1 ...) or '' when not mapped."""
        header = self.columns.get(name)
        return f"coalesce(import_raw.{self.table.column(header)}, '')" if header else "''"

    def header(self, name: str) -> str | None:
        """The uploaded header text of a field."""
        return self.columns.get(name)

    def list_rows(self, sql: str, params: list, column: str | None, message: str, errors: bool = True) -> int:
        """Add a problem per row a query returns (row, value), up to MAX_LISTED; return how many there were."""
        rows = self.conn.execute(sql, params).fetchall()
        target = self.result.errors if errors else self.result.warnings
        for row_no, value in rows[:MAX_LISTED]:
            target.append(Problem(row_no, column, value, message))
        if len(rows) > MAX_LISTED:
            target.append(Problem(None, column, None, f"{len(rows) - MAX_LISTED} more rows: {message}"))
        return len(rows)

    def prepare(self) -> None:
        """Validate the common fields in SQL, then build the kind's incoming records."""
        self.conn.register("import_raw", self.table.table)
        self._base()
        if self.kind == "skills":
            self._skills()
        else:
            frame = self.conn.execute("SELECT * FROM import_valid ORDER BY _row").df()
            records = _PYTHON_PREPARERS[self.kind](self, frame)
            self.stage("incoming", pa.Table.from_pandas(records, preserve_index=False))
        self.result.cycles = [row[0] for row in self.conn.execute(
            "SELECT DISTINCT cycle FROM incoming WHERE cycle IS NOT NULL ORDER BY 1").fetchall()]
        if self.result.cycle is None and len(self.result.cycles) == 1:
            self.result.cycle = self.result.cycles[0]

    def _base(self) -> None:
        """Create import_base (every row parsed, with is_valid) and the view import_valid of its good rows."""
        # The SQL below is assembled from identifiers made here (c0.., f_*) and this module's constants;
        # uploaded values only ever reach DuckDB as data in import_raw or as ? parameters.
        formats = (_DAY_FIRST_FORMATS if self.day_first else _US_FORMATS) + _ISO_FORMATS
        has_ts, has_email = "timestamp" in self.columns, "email" in self.columns
        email_required = has_email and forms.field(self.kind, "email").required
        ts = (f"try_strptime(nullif(trim({self.col('timestamp')}), ''), [{_sql_text(formats)}])"
              if has_ts else "NULL::TIMESTAMP")
        # Every field of the form gets a column ('' when not mapped), so later SQL need not ask.
        names = list(dict.fromkeys([spec.name for spec in forms.FIELDS[self.kind]] + list(self.columns)))
        fields = ", ".join(f"{self.col(name)} AS {_fcol(name)}" for name in names)
        cycle_sql = ("?" if self.cycle else
                     "CASE WHEN submitted_at IS NULL THEN NULL ELSE printf('%d-%02d', y, (y + 1) % 100) END")
        pattern = _sql_text((_EMAIL_RE,))
        valid = ["true"]
        if has_ts:
            valid.append("submitted_at IS NOT NULL")
        if has_email:
            valid.append(f"regexp_full_match(email_text, {pattern})" if email_required
                         else f"(email_text = '' OR regexp_full_match(email_text, {pattern}))")
        inst_key = f"trim(regexp_replace({self.col('institution')}, '\\s+', ' ', 'g'))"
        self._institutions(inst_key)
        self.stage("import_base", f"""
            SELECT *, {cycle_sql} AS cycle, {' AND '.join(valid)} AS is_valid,
                   nullif(email_text, '') AS email, nullif(name_clean, '') AS name,
                   nullif(institution_raw, '') AS institution_text
            FROM (
                SELECT *, CASE WHEN month(submitted_at) >= 9 THEN year(submitted_at)
                               ELSE year(submitted_at) - 1 END AS y
                FROM (
                    SELECT import_raw._row AS _row, {fields},
                           {ts} AS submitted_at,
                           lower(trim(regexp_replace({self.col('email')}, '^\\s*mailto:', '', 'i'))) AS email_text,
                           trim(regexp_replace(regexp_replace({self.col('name')}, '<[^>]*>', '', 'g'), '\\s+', ' ', 'g'))
                               AS name_clean,
                           contains({self.col('name')}, '<') AND regexp_matches({self.col('name')}, '<[^>]+>')
                               AS name_had_html,
                           {inst_key} AS institution_raw, i.institution_id
                    FROM import_raw LEFT JOIN import_inst i ON i.raw = {inst_key}))""",
                          [self.cycle] if self.cycle else [])
        self.conn.execute("CREATE OR REPLACE TEMP VIEW import_valid AS SELECT * FROM import_base WHERE is_valid")
        if has_ts:
            self.list_rows(
                "SELECT _row, f_timestamp FROM import_base WHERE submitted_at IS NULL ORDER BY _row", [],
                self.header("timestamp"),
                "not a date and time (expected e.g. 9/15/2025 10:32:11"
                + (", day first" if self.day_first else "") + ")")
        if has_email:
            condition = "NOT regexp_full_match(email_text, ?)" + ("" if email_required else " AND email_text <> ''")
            self.list_rows(f"SELECT _row, f_email FROM import_base WHERE {condition} ORDER BY _row", [_EMAIL_RE],
                           self.header("email"), "not an email address")
        if "name" in self.columns:
            self.list_rows("SELECT _row, f_name FROM import_base WHERE name_had_html ORDER BY _row", [],
                           self.header("name"), "HTML tags removed from the name", errors=False)
        for name in self.columns:
            column = _fcol(name)
            self.list_rows(f"SELECT _row, {column} FROM import_base WHERE starts_with(ltrim({column}), '=')"
                           " ORDER BY _row", [], self.header(name),
                           "looks like a spreadsheet formula: kept as plain text, never run", errors=False)

    def _institutions(self, inst_key: str) -> None:
        """Match each distinct typed institution once (aliases, campus, fuzzy); flag the unknown ones."""
        pairs: list[tuple[str, int | None]] = []
        try:
            self._match_institutions(inst_key, pairs)
        finally:
            self.stage("import_inst", *_values(("raw", "VARCHAR"), ("institution_id", "INTEGER"), pairs))

    def _match_institutions(self, inst_key: str, pairs: list) -> None:
        """Fill pairs with (typed name, institution id or None), warning about guesses and unknowns."""
        if "institution" not in self.columns:
            return
        typed = self.conn.execute(f"""SELECT {inst_key} AS raw, min(_row), count(*) FROM import_raw
                                      GROUP BY 1 HAVING raw <> '' ORDER BY 2""").fetchall()
        matcher = institutions.Matcher.from_db(self.conn)
        column = self.header("institution")
        for raw, row_no, count in typed:
            found = matcher.match(raw)
            pairs.append((raw, found.institution_id))
            where = f" ({count} rows)" if count > 1 else ""
            if found.how == "fuzzy" or found.how == "prefix":
                self.result.warnings.append(Problem(row_no, column, raw,
                                                    f"read as '{found.name}'{where}: check it is right"))
            elif found.how == "unknown":
                self.result.warnings.append(Problem(row_no, column, raw,
                                                    f"institution not recognised{where}: kept as written and "
                                                    "flagged for review"))

    def count_repeats(self) -> None:
        """Warn about exact duplicates (same email and timestamp) and count repeat submissions."""
        duplicates = self.conn.execute("""
            SELECT _row, email FROM (SELECT _row, email, row_number() OVER
                (PARTITION BY email, cycle, submitted_at ORDER BY _row DESC) AS n FROM import_valid) WHERE n > 1
            ORDER BY _row""").fetchall()
        for row_no, email in duplicates[:MAX_LISTED]:
            self.result.warnings.append(Problem(row_no, self.header("email"), email,
                                                "same email and timestamp as a later row: the later row is kept"))
        self.result.repeats = scalar(self.conn, """SELECT coalesce(sum(n - 1), 0) FROM
            (SELECT count(DISTINCT submitted_at) AS n FROM import_valid GROUP BY email, cycle)""")

    def _skills(self) -> None:
        """Build the incoming survey responses, splitting checkbox cells against the skills taxonomy in SQL."""
        options = skills.options_with_ids(self.conn)
        # Options holding ', ' are swapped for a token before splitting, so they stay whole.
        comma_options = sorted((o for o in options if ", " in o), key=len, reverse=True)
        tokens = {f"\x1f{i}\x1f": options[o] for i, o in enumerate(comma_options)}
        rows = [(key, skill_id) for key, (skill_id, _) in options.items()]
        rows += [(token, skill_id) for token, (skill_id, _) in tokens.items()]
        self.stage("import_options", *_values(("key", "VARCHAR"), ("skill_id", "INTEGER"), rows))
        params: list = []
        expr = "f_expertise"
        for option, token in zip(comma_options, tokens):
            expr = f"regexp_replace({expr}, ?, ?, 'gi')"
            params += [re.escape(option), token]
        self.count_repeats()
        self.conn.execute(f"CREATE OR REPLACE TEMP VIEW import_latest AS SELECT * FROM {_LATEST}")
        self.stage("import_parts", f"""
            SELECT p._row, p.part, o.skill_id
            FROM (SELECT _row, trim(unnest(string_split({expr}, ', '))) AS part FROM import_latest) p
            LEFT JOIN import_options o ON o.key = lower(p.part)
            WHERE p.part <> ''""", params)
        purposes = _sql_text(forms.CONTACT_PURPOSES)
        yes = _sql_text(_YES)
        self.stage("incoming", f"""
            SELECT v._row AS row, v.submitted_at, v.cycle, v.email, v.name, v.institution_text AS institution_raw,
                   v.institution_id,
                   nullif(trim(regexp_replace(f_job_title, '\\s+', ' ', 'g')), '') AS job_title,
                   nullif(trim(regexp_replace(f_department, '\\s+', ' ', 'g')), '') AS department,
                   CASE WHEN lower(f_years) LIKE '%less than%' OR trim(f_years) LIKE '<%' THEN 0
                        ELSE TRY_CAST(nullif(regexp_extract(f_years, '\\d+'), '') AS INTEGER) END AS years,
                   list_filter([{purposes}], lambda p: contains(lower(f_purposes), p)) AS purposes,
                   nullif(trim(f_contact_method), '') AS contact_method,
                   (lower(trim(f_consent)) IN ({yes}) OR lower(trim(f_consent)) LIKE 'yes%'
                    OR lower(trim(f_consent)) LIKE 'i agree%' OR lower(trim(f_consent)) LIKE 'i consent%') AS consent,
                   coalesce(o.other_skills, []) AS other_skills
            FROM import_latest v
            LEFT JOIN (SELECT _row, list(part) AS other_skills FROM import_parts WHERE skill_id IS NULL
                       GROUP BY _row) o ON o._row = v._row""")
        self._other_skill_warnings({key: name for key, (_, name) in options.items()})

    def _other_skill_warnings(self, options: dict[str, str]) -> None:
        """Propose each unknown skill once, with the nearest skill in the taxonomy."""
        column = self.header("expertise")
        others = self.conn.execute("""SELECT part, min(_row), count(*) FROM import_parts WHERE skill_id IS NULL
                                      GROUP BY part ORDER BY min(_row)""").fetchall()
        for value, row_no, count in others[:MAX_LISTED]:
            nearest = skills.closest(value, options)
            hint = f"; closest existing skill: {nearest}" if nearest else ""
            rows = f" ({count} rows)" if count > 1 else ""
            self.result.warnings.append(Problem(row_no, column, value,
                                                f"not in the skills taxonomy{rows}: kept as an 'other' answer, "
                                                f"proposed for the taxonomy{hint}"))
        if len(others) > MAX_LISTED:
            self.result.warnings.append(Problem(None, column, None,
                                                f"{len(others) - MAX_LISTED} more answers not in the taxonomy"))
        purposes_other = self.conn.execute(f"""
            SELECT min(_row), x FROM (SELECT _row, unnest(list_transform(string_split(lower(f_purposes), ','),
                                                                           lambda y: trim(y))) AS x FROM import_valid
                                      WHERE regexp_replace(lower(f_purposes),
                                                           'support|discussion|feedback|collaboration|[,\\s]', '', 'g') <> '')
            WHERE x <> '' AND x NOT IN ({_sql_text(forms.CONTACT_PURPOSES)}) GROUP BY x ORDER BY 1""").fetchall()
        for row_no, value in purposes_other[:MAX_LISTED]:
            self.result.warnings.append(Problem(row_no, self.header("purposes"), value,
                                                "not one of support, discussion, feedback, collaboration: ignored"))


def _prepare_applications(stage: _Staging, frame: pd.DataFrame) -> pd.DataFrame:
    """Turn Peer Mentorship Circle application rows into application records."""
    import pandas as pd

    result, columns = stage.result, stage.columns
    interest_options = {o.lower(): o for o in forms.DEFAULT_INTEREST_OPTIONS}
    records = []
    for values in _python_latest(stage, frame):
        stage_raw = re.sub(r"\s+", " ", values.get("f_career_stage", "")).strip()
        parsed = parse_career_stage(stage_raw)
        if parsed is None:
            result.errors.append(Problem(values["_row"], columns["career_stage"], stage_raw or None,
                                         "career stage not understood (e.g. '1-2 years' or 'Library school student')"))
            continue
        months, student = parsed
        interests, other_interests = split_checkboxes(values.get("f_interests", ""), interest_options)
        _, availability = split_checkboxes(values.get("f_availability", ""), {})
        fmt = values.get("f_format", "").strip().lower()
        agreed = is_yes(values.get("f_agreement", ""))
        if not agreed:
            result.warnings.append(Problem(values["_row"], columns["agreement"], values.get("f_agreement") or None,
                                           "applicant did not agree to the participant expectations"))
        records.append({
            "row": values["_row"], "submitted_at": values["submitted_at"], "cycle": values["cycle"],
            "email": values["email"], "name": values["name"], "institution_raw": values["institution_text"],
            "institution_id": values["institution_id"], "job_title": _clean(values.get("f_job_title")),
            "career_stage": stage_raw, "months": months, "student": student,
            "eligible": student or (months is not None and months <= get_settings().eligible_months),
            "late": values["submitted_at"].date() > cycles.deadline(values["cycle"]),
            "interests": interests + other_interests, "goals": _clean(values.get("f_goals")),
            "format": ("in person" if "person" in fmt else "virtual" if "virtual" in fmt or "online" in fmt
                       else "either" if fmt else None),
            "availability": list(dict.fromkeys(availability_slot(o) for o in availability)),
            "agreement": agreed, "comments": _clean(values.get("f_comments")),
        })
    return pd.DataFrame(records, columns=[
        "row", "submitted_at", "cycle", "email", "name", "institution_raw", "institution_id", "job_title",
        "career_stage", "months", "student", "eligible", "late", "interests", "goals", "format", "availability",
        "agreement", "comments"]).astype({"months": "Int64", "institution_id": "Int64"})


def _clean(value: object) -> str | None:
    """Trim a free-text cell; None when blank."""
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    return text or None


def _python_latest(stage: _Staging, frame: pd.DataFrame) -> list[dict]:
    """Keep the later of rows with the same email and timestamp, count repeats; return rows as dicts."""
    stage.count_repeats()
    return frame.sort_values("_row").drop_duplicates(["email", "cycle", "submitted_at"], keep="last").to_dict("records")


def _prepare_outcomes(stage: _Staging, frame: pd.DataFrame) -> pd.DataFrame:
    """Turn end-of-year survey rows into outcome records (anonymous when there is no email)."""
    import pandas as pd

    result, columns = stage.result, stage.columns
    answers = {"met_goals": ("yes", "no", "partially"), "participate_again": ("yes", "no", "maybe")}
    records = []
    for values in frame.to_dict("records"):
        record = {"row": values["_row"], "submitted_at": values["submitted_at"], "cycle": values["cycle"],
                  "email": values.get("email")}
        bad = False
        for name, allowed in answers.items():
            text = values.get(f"f_{name}", "").strip().lower().rstrip(".")
            value = next((a for a in allowed if text.startswith(a)), None)
            if value is None:
                result.errors.append(Problem(values["_row"], columns[name], values.get(f"f_{name}") or None,
                                             f"expected one of {', '.join(a.capitalize() for a in allowed)}"))
                bad = True
            record[name] = value
        satisfaction_text = values.get("f_satisfaction", "").strip()
        satisfaction = parse_years(satisfaction_text) if satisfaction_text else None
        if satisfaction_text and (satisfaction is None or not 1 <= satisfaction <= 5):
            result.errors.append(Problem(values["_row"], columns["satisfaction"], satisfaction_text,
                                         "satisfaction must be a number from 1 to 5"))
            bad = True
        if bad:
            continue
        record.update(satisfaction=satisfaction, comments=_clean(values.get("f_comments")),
                      consent_to_quote=is_yes(values.get("f_consent_to_quote", "")))
        records.append(record)
    return pd.DataFrame(records, columns=[
        "row", "submitted_at", "cycle", "email", "met_goals", "participate_again", "satisfaction", "comments",
        "consent_to_quote"]).astype({"satisfaction": "Int64"})


def _person_ids(conn: duckdb.DuckDBPyConnection, emails: list[str]) -> dict[str, int]:
    """Map emails to existing person ids."""
    if not emails:
        return {}
    return dict(conn.execute("SELECT email, id FROM people WHERE email IN (SELECT unnest(?))", [emails]).fetchall())


def _prepare_rosters(stage: _Staging, frame: pd.DataFrame) -> pd.DataFrame:
    """Turn a roster sheet (circle, email) into final circle memberships."""
    import pandas as pd

    result, columns, conn, cycle = stage.result, stage.columns, stage.conn, stage.cycle
    people = _person_ids(conn, list(frame["email"]))
    records = []
    for values in frame.to_dict("records"):
        circle = _clean(values.get("f_circle"))
        if not circle:
            result.errors.append(Problem(values["_row"], columns["circle"], None, "no circle named"))
        elif values["email"] not in people:
            result.errors.append(Problem(values["_row"], columns["email"], values["email"],
                                         "no application or survey answer from this email: import those first"))
        else:
            records.append({"row": values["_row"], "cycle": cycle, "circle": circle,
                            "person_id": people[values["email"]]})
    if not result.errors and scalar(conn, "SELECT count(*) FROM circle_drafts WHERE cycle = ? AND status = 'final'",
                                    [cycle]):
        result.errors.append(Problem(None, None, cycle, f"{cycle} already has final circles; undo or edit them instead"))
    return pd.DataFrame(records, columns=["row", "cycle", "circle", "person_id"])


_ATTENDANCE = {"present": "present", "p": "present", "yes": "present", "x": "present", "attended": "present",
               "absent": "absent", "a": "absent", "no": "absent", "excused": "excused", "e": "excused"}


def _prepare_attendance(stage: _Staging, frame: pd.DataFrame) -> pd.DataFrame:
    """Turn a wide attendance sheet (one row per member, one column per month) into attendance records."""
    import pandas as pd

    result, columns, conn, cycle = stage.result, stage.columns, stage.conn, stage.cycle
    circles = dict(conn.execute(
        "SELECT c.name, c.id FROM circles c JOIN circle_drafts d ON d.id = c.draft_id"
        " WHERE d.cycle = ? AND d.status = 'final'", [cycle]).fetchall())
    people = _person_ids(conn, list(frame["email"]))
    months = {name.split(":")[1]: header for name, header in columns.items() if name.startswith("month:")}
    records = []
    for values in frame.to_dict("records"):
        circle = _clean(values.get("f_circle"))
        if circle not in circles:
            result.errors.append(Problem(values["_row"], columns["circle"], circle,
                                         f"no final circle with this name in {cycle}"))
            continue
        if values["email"] not in people:
            result.errors.append(Problem(values["_row"], columns["email"], values["email"], "unknown person"))
            continue
        for month, header in months.items():
            text = values.get(f"f_month_{month}", "").strip().lower()
            if not text:
                continue  # a meeting not held yet, or not recorded
            status = _ATTENDANCE.get(text)
            if status is None:
                result.errors.append(Problem(values["_row"], header, values.get(f"f_month_{month}"),
                                             "expected Present, Absent or Excused"))
                continue
            records.append({"row": values["_row"], "cycle": cycle, "circle_id": circles[circle],
                            "person_id": people[values["email"]], "month": month,
                            "seq": forms.MONTHS.index(month) + 1, "status": status})
    return pd.DataFrame(records, columns=["row", "cycle", "circle_id", "person_id", "month", "seq", "status"])


_PYTHON_PREPARERS = {
    "applications": _prepare_applications,
    "outcomes": _prepare_outcomes,
    "rosters": _prepare_rosters,
    "attendance": _prepare_attendance,
}

_LATEST = """(SELECT * FROM import_valid QUALIFY row_number() OVER
               (PARTITION BY email, cycle, submitted_at ORDER BY _row DESC) = 1)"""

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
        result.unchanged = scalar(conn, """
            SELECT count(*) FROM incoming i WHERE EXISTS (
                SELECT 1 FROM outcome_responses o WHERE o.cycle = i.cycle AND o.submitted_at = i.submitted_at
                AND o.met_goals IS NOT DISTINCT FROM i.met_goals
                AND o.participate_again IS NOT DISTINCT FROM i.participate_again
                AND o.comments IS NOT DISTINCT FROM i.comments)""")
        result.new = scalar(conn, "SELECT count(*) FROM incoming") - result.unchanged
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
            consent, other_skills)
        SELECT p.id, i.cycle, ?, i.submitted_at, i.name, i.institution_id, i.institution_raw, i.job_title,
               i.department, i.years, i.purposes, i.contact_method, i.consent, i.other_skills
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
