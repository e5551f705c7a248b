"""Validating an uploaded export row by row: problems found, and the staged tables an import writes from.

The heavy lifting is set-based SQL in DuckDB over the uploaded table, so a 100,000-row survey validates in
about the time it takes to read it; only small per-value work (fuzzy names, nearest skills) is Python.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from ..directory import institutions, skills
from . import forms
from .answers import (EMAIL_RE, TIME_ZONE_SUFFIX, YES, availability_slot, checkbox_separator, is_availability,
                      is_yes, parse_career_stage, parse_years, plausible_years, split_checkboxes, timestamp_formats)
from ..db import scalar
from .sheets import Sheet

if TYPE_CHECKING:
    import pandas as pd

MAX_LISTED = 200  # problems listed per kind of problem; the rest are counted


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
    unmapped: list[str] = field(default_factory=list)      # headers not imported, in file order
    guessed: dict[str, str] = field(default_factory=dict)  # header -> field read from its answers, not its header
    doubtful: dict[str, str] = field(default_factory=dict)  # header -> why the field its header suggests was not used
    unreadable_consent: int = 0  # consent answers read as neither yes nor no (they count as no)

    @property
    def ok(self) -> bool:
        """Tell whether the file can be (or was) committed."""
        return not self.errors

    def to_dict(self) -> dict:
        """Return a JSON-ready summary."""
        data = asdict(self)
        data["ok"] = self.ok
        data["errors"] = [asdict(p) for p in self.errors]
        data["warnings"] = [asdict(p) for p in self.warnings]
        return data

    def problems_frame(self) -> pd.DataFrame:
        """Return errors then warnings as one table (for showing and downloading)."""
        import pandas as pd

        rows = [{"severity": severity, **asdict(problem)}
                for severity, items in (("error", self.errors), ("warning", self.warnings)) for problem in items]
        return pd.DataFrame(rows, columns=["severity", "row", "column", "value", "message"])


# The last row of each (email, cycle, timestamp): found on the keys alone, since a window over every column
# would sort them all.
_LATEST = """(SELECT * FROM import_valid WHERE _row IN
               (SELECT max(_row) FROM import_valid GROUP BY email, cycle, submitted_at))"""


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


def fcol(name: str) -> str:
    """The staging column of a field: 'month:Oct' -> f_month_Oct (identifiers made here, never from input)."""
    return "f_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _sql_text(values: tuple[str, ...]) -> str:
    """Render fixed, internal strings (formats, option words) as SQL literals; never used for input."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


class Staging:
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
        """SQL for a field's raw text: its internal column (c0, c1 ...) or '' when not mapped.

        The name, when the form asks it in two parts, is the given and the family name joined (given first);
        a name column, when there is one too, wins in the rows that answer it.
        """
        header = self.columns.get(name)
        own = f"coalesce(import_raw.{self.table.column(header)}, '')" if header else "''"
        if name != "name" or not any(part in self.columns for part in forms.NAME_PARTS):
            return own
        given, family = (self.col(part) for part in forms.NAME_PARTS)
        joined = f"concat_ws(' ', nullif(trim({given}), ''), nullif(trim({family}), ''))"
        return joined if not header else f"CASE WHEN trim({own}) <> '' THEN {own} ELSE {joined} END"

    def header(self, name: str) -> str | None:
        """The uploaded header text of a field (of a name in parts, both headers joined with ' + ')."""
        if name == "name" and name not in self.columns:
            parts = [self.columns[part] for part in forms.NAME_PARTS if part in self.columns]
            return " + ".join(parts) or None
        return self.columns.get(name)

    def separator(self, name: str, is_option) -> str:
        """Tell how the checkbox column of a field joins its answers (see answers.checkbox_separator)."""
        if name not in self.columns:
            return ", "
        column = fcol(name)
        # Only cells with more than one answer can tell the separators apart.
        cells = [row[0] for row in self.conn.execute(
            f"SELECT {column} FROM import_base WHERE is_valid AND (contains({column}, ';') OR contains({column}, ', '))"
            " LIMIT 2000").fetchall()]
        return checkbox_separator(cells, is_option)

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
            records = PYTHON_PREPARERS[self.kind](self, frame)
            self.stage("incoming", pa.Table.from_pandas(records, preserve_index=False))
        self.result.cycles = [row[0] for row in self.conn.execute(
            "SELECT DISTINCT cycle FROM incoming WHERE cycle IS NOT NULL ORDER BY 1").fetchall()]
        if self.result.cycle is None and len(self.result.cycles) == 1:
            self.result.cycle = self.result.cycles[0]

    def _base(self) -> None:
        """Create import_base (every row parsed, with is_valid) and the view import_valid of its good rows."""
        # The SQL below is assembled from identifiers made here (c0.., f_*) and this module's constants;
        # uploaded values only ever reach DuckDB as data in import_raw or as ? parameters.
        has_ts, has_email = "timestamp" in self.columns, "email" in self.columns
        email_required = has_email and forms.field(self.kind, "email").required
        earliest, latest = plausible_years()
        ts = (f"try_strptime(nullif(regexp_replace(trim({self.col('timestamp')}), {_sql_text((TIME_ZONE_SUFFIX,))},"
              f" ''), ''), [{_sql_text(timestamp_formats(self.day_first))}])" if has_ts else "NULL::TIMESTAMP")
        # Every field of the form gets a column ('' when not mapped), so later SQL need not ask.
        names = list(dict.fromkeys([spec.name for spec in forms.FIELDS[self.kind]] + list(self.columns)))
        fields = ", ".join(f"{self.col(name)} AS {fcol(name)}" for name in names)
        cycle_sql = ("?" if self.cycle else
                     "CASE WHEN submitted_at IS NULL THEN NULL ELSE printf('%d-%02d', y, (y + 1) % 100) END")
        pattern = _sql_text((EMAIL_RE,))
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
                           {ts} AS parsed_at,
                           -- A year that lost or gained a digit (9/17/025) parses; it is no response date.
                           CASE WHEN year(parsed_at) BETWEEN {earliest:d} AND {latest:d} THEN parsed_at END
                               AS submitted_at,
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
            example = "15/9/2025 10:32:11" if self.day_first else "9/15/2025 10:32:11"
            self.list_rows(
                "SELECT _row, f_timestamp FROM import_base WHERE parsed_at IS NULL ORDER BY _row", [],
                self.header("timestamp"),
                f"not a date and time (expected e.g. {example} or 2025/09/15 10:32:11 AM EDT)")
            self.list_rows(
                "SELECT _row, f_timestamp FROM import_base WHERE parsed_at IS NOT NULL AND submitted_at IS NULL"
                " ORDER BY _row", [], self.header("timestamp"),
                f"the year is not plausible for a response (expected {earliest} to {latest}): is a digit missing?")
        if has_email:
            condition = "NOT regexp_full_match(email_text, ?) AND email_text <> ''"
            self.list_rows(f"SELECT _row, f_email FROM import_base WHERE {condition} ORDER BY _row", [EMAIL_RE],
                           self.header("email"), "not an email address")
        if self.header("name"):
            self.list_rows("SELECT _row, f_name FROM import_base WHERE name_had_html ORDER BY _row", [],
                           self.header("name"), "HTML tags removed from the name", errors=False)

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
        separator = self.separator("expertise", lambda part: part.lower() in options)
        # With ", " (the Sheet's download) an option holding ", " would be cut; ";" (the form's) cuts none.
        comma_options = sorted((o for o in options if ", " in o), key=len, reverse=True) if separator == ", " else []
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
            SELECT p._row, p.pos, p.part, o.skill_id
            FROM (SELECT _row, trim(unnest(parts)) AS part, generate_subscripts(parts, 1) AS pos
                  FROM (SELECT _row, string_split({expr}, ?) AS parts FROM import_latest)) p
            LEFT JOIN import_options o ON o.key = lower(p.part)
            WHERE p.part <> ''""", [*params, separator])
        index = skills.Index.from_db(self.conn)
        self._recognise_typed(index)
        purposes = _sql_text(forms.CONTACT_PURPOSES)
        yes = _sql_text(YES)
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
                   coalesce(o.other_skills, []) AS other_skills,
                   {_held_reason_sql()} AS held_reason
            FROM import_latest v
            LEFT JOIN (SELECT _row, list(part ORDER BY pos) AS other_skills FROM import_parts WHERE skill_id IS NULL
                       GROUP BY _row) o ON o._row = v._row""")
        self._other_skill_warnings(index)

    def _recognise_typed(self, index: skills.Index) -> None:
        """Link parts the SQL split left unknown that name a skill once normalised ('Métadata', 'Name (Alias)').

        Only the distinct unknown values go through Python (a few, even in a 100,000-row file); the staged
        parts are then rebuilt with their skill in one join.
        """
        unknown = [row[0] for row in self.conn.execute(
            "SELECT DISTINCT part FROM import_parts WHERE skill_id IS NULL").fetchall()]
        found = [(part, hit[0]) for part in unknown if (hit := index.recognise(part))]
        if not found:
            return
        self.stage("import_recognised", *_values(("part", "VARCHAR"), ("skill_id", "INTEGER"), found))
        self.stage("import_parts", """
            SELECT p._row, p.pos, p.part, coalesce(p.skill_id, r.skill_id) AS skill_id
            FROM import_parts p LEFT JOIN import_recognised r ON r.part = p.part AND p.skill_id IS NULL""")

    def _other_skill_warnings(self, index: skills.Index) -> None:
        """Propose each unknown skill once, with the closest skill in the taxonomy (or say none is close)."""
        column = self.header("expertise")
        others = self.conn.execute("""SELECT part, min(_row), count(*) FROM import_parts WHERE skill_id IS NULL
                                      GROUP BY part ORDER BY min(_row), part""").fetchall()
        dismissed = skills.dismissed_keys(self.conn)
        for value, row_no, count in others[:MAX_LISTED]:
            rows = f" ({count} rows)" if count > 1 else ""
            if skills.dismissal_key(value) in dismissed:
                message = f"not in the skills taxonomy{rows}: kept as an 'other' answer (dismissed from proposals)"
            else:
                nearest = index.closest(value)
                hint = f"closest existing skill: {nearest}" if nearest else "no close skill"
                message = (f"not in the skills taxonomy{rows}: kept as an 'other' answer, proposed for the "
                           f"taxonomy; {hint}")
            self.result.warnings.append(Problem(row_no, column, value, message))
        if len(others) > MAX_LISTED:
            self.result.warnings.append(Problem(None, column, None,
                                                f"{len(others) - MAX_LISTED} more answers not in the taxonomy"))
        purposes_other = self.conn.execute(f"""
            SELECT min(_row), x FROM (SELECT _row, unnest(list_transform(regexp_split_to_array(lower(f_purposes), '[,;]'),
                                                                           lambda y: trim(y))) AS x FROM import_valid
                                      WHERE regexp_replace(lower(f_purposes),
                                                           'support|discussion|feedback|collaboration|[,;\\s]', '', 'g') <> '')
            WHERE x <> '' AND x NOT IN ({_sql_text(forms.CONTACT_PURPOSES)}) GROUP BY x ORDER BY 1""").fetchall()
        for row_no, value in purposes_other[:MAX_LISTED]:
            self.result.warnings.append(Problem(row_no, self.header("purposes"), value,
                                                "not one of support, discussion, feedback, collaboration: ignored"))


# What makes a published field suspicious: a spreadsheet formula (=, +, @, or - before a digit, sign or
# bracket) or markup (an HTML tag). Such answers are held from the public directory until reviewed.
_FORMULA_LIKE = r"^\s*([=+@\t]|-\s*[\d(=+])"
MARKUP = r"<\s*/?\s*[A-Za-z!][^>]*>"
REVIEWED_FIELDS = (("name", "f_name", "Name"), ("job_title", "f_job_title", "Job title"),
                    ("department", "f_department", "Department"), ("contact_method", "f_contact_method",
                                                                      "Preferred contact method"))


def _held_reason_sql() -> str:
    """SQL naming why a survey row is held for review (NULL when it is not), from this module's constants only."""
    # Nothing nameless is published: a blank name waits for a committee member to add one.
    checks = ["CASE WHEN v.name IS NULL THEN 'No name given' END"]
    for _, column, label in REVIEWED_FIELDS:
        checks.append(f"CASE WHEN regexp_matches({column}, '{_FORMULA_LIKE}') THEN "
                      f"'{label} looks like a spreadsheet formula' END")
        checks.append(f"CASE WHEN regexp_matches({column}, '{MARKUP}') THEN '{label} contains markup (HTML tags)' END")
    checks.append(f"CASE WHEN len(list_filter(coalesce(o.other_skills, []), lambda x: regexp_matches(x, '{_FORMULA_LIKE}')"
                  f" OR regexp_matches(x, '{MARKUP}'))) > 0 THEN 'An other expertise answer looks like a formula "
                  "or contains markup' END")
    return f"nullif(concat_ws('; ', {', '.join(checks)}), '')"


def _prepare_applications(stage: Staging, frame: pd.DataFrame) -> pd.DataFrame:
    """Turn Peer Mentorship Circle application rows into application records."""
    import pandas as pd

    result, columns = stage.result, stage.columns
    interest_options = {o.lower(): o for o in forms.DEFAULT_INTEREST_OPTIONS}
    interests_separator = stage.separator("interests", lambda part: part.lower() in interest_options)
    availability_separator = stage.separator("availability", is_availability)
    records = []
    for values in _python_latest(stage, frame):
        stage_raw = re.sub(r"\s+", " ", values.get("f_career_stage", "")).strip()
        parsed = parse_career_stage(stage_raw)
        if parsed is None:
            result.errors.append(Problem(values["_row"], columns["career_stage"], stage_raw or None,
                                         "career stage not understood (e.g. '1-2 years' or 'Library school student')"))
            continue
        months, student = parsed
        interests, other_interests = split_checkboxes(values.get("f_interests", ""), interest_options,
                                                      interests_separator)
        _, availability = split_checkboxes(values.get("f_availability", ""), {}, availability_separator)
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
            "interests": interests + other_interests, "goals": _clean(values.get("f_goals")),
            "format": ("in person" if "person" in fmt else "virtual" if "virtual" in fmt or "online" in fmt
                       else "either" if fmt else None),
            "availability": list(dict.fromkeys(availability_slot(o) for o in availability)),
            "agreement": agreed, "comments": _clean(values.get("f_comments")),
        })
    return pd.DataFrame(records, columns=[
        "row", "submitted_at", "cycle", "email", "name", "institution_raw", "institution_id", "job_title",
        "career_stage", "months", "student", "interests", "goals", "format", "availability", "agreement",
        "comments"]).astype({"months": "Int64", "institution_id": "Int64"})


def _clean(value: object) -> str | None:
    """Trim a free-text cell; None when blank."""
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    return text or None


def _python_latest(stage: Staging, frame: pd.DataFrame) -> list[dict]:
    """Keep the later of rows with the same email and timestamp, count repeats; return rows as dicts."""
    stage.count_repeats()
    return frame.sort_values("_row").drop_duplicates(["email", "cycle", "submitted_at"], keep="last").to_dict("records")


def _prepare_outcomes(stage: Staging, frame: pd.DataFrame) -> pd.DataFrame:
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


def _prepare_rosters(stage: Staging, frame: pd.DataFrame) -> pd.DataFrame:
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


def _prepare_attendance(stage: Staging, frame: pd.DataFrame) -> pd.DataFrame:
    """Turn a wide attendance sheet (one row per member, one column per month) into attendance records."""
    import pandas as pd

    result, columns, conn, cycle = stage.result, stage.columns, stage.conn, stage.cycle
    circles = dict(conn.execute(
        "SELECT c.name, c.id FROM circles c JOIN circle_drafts d ON d.id = c.draft_id"
        " WHERE d.cycle = ? AND d.status = 'final'", [cycle]).fetchall())
    people = _person_ids(conn, list(frame["email"]))
    months = {name.split(":")[1]: header for name, header in columns.items() if name.startswith("month:")}
    records = []
    marked: dict[tuple[int, int, str], tuple[int, str]] = {}  # (circle, person, month) -> (row, status) seen first
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
            # A member listed twice is one mark per meeting: the same mark again is harmless, another is a conflict.
            key = (circles[circle], people[values["email"]], month)
            if key in marked:
                first_row, first_status = marked[key]
                if first_status != status:
                    result.errors.append(Problem(values["_row"], header, values.get(f"f_month_{month}"),
                                                 f"this member is also in row {first_row}, marked {first_status} "
                                                 "there: keep one row per member"))
                continue
            marked[key] = (values["_row"], status)
            records.append({"row": values["_row"], "cycle": cycle, "circle_id": circles[circle],
                            "person_id": people[values["email"]], "month": month,
                            "seq": forms.MONTHS.index(month) + 1, "status": status})
    return pd.DataFrame(records, columns=["row", "cycle", "circle_id", "person_id", "month", "seq", "status"])


PYTHON_PREPARERS = {
    "applications": _prepare_applications,
    "outcomes": _prepare_outcomes,
    "rosters": _prepare_rosters,
    "attendance": _prepare_attendance,
}
