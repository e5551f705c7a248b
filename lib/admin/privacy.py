"""Privacy requests and retention: what is held about one person, deleting it on request, purging old confidential data.

Deleting a person removes every row about them in one transaction: the person record, survey answers and their
skills, applications, eligibility decisions, circle memberships (drafts and final; the circle keeps its other
members and its version moves on, so an editor who had it open sees a conflict rather than a ghost), attendance,
pair rules, failed logins typed with their email, and their named end-of-year answers. Those answers are deleted
rather than made anonymous: an anonymous answer dated and placed in a small circle could still be traced back to
them, so the program year's totals drop by their answers instead. Audit entries that mention them keep when, who
and what, with the detail replaced by a redaction marker; import warnings that quote them are redacted the same
way; their name or email in committee notes, report sections and other people's comments becomes "[removed]".
One new audit entry, `person.delete`, records that a deletion happened: the counts and a random reference the
admin can quote to the requester, nothing about the person. A committee account with the same email is kept
(it is managed on the Users page) and said so.

The retention purge deletes applications and eligibility decisions and clears end-of-year comments (and the
consent to quote them) of program years that started more than N years before today's, keeping the answers
themselves so cohorts still count them; people left with no row anywhere are removed too.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date

import duckdb

from .. import cycles
from ..db import audit, first, scalar, writing
from ..settings import get_settings
from . import mentions

# Columns that name a person; a table holding one must be handled below (a test checks the schema).
PERSON_COLUMNS = ("person_id", "person_a", "person_b", "email")
# Every table with a person column, and what a deletion does to it.
HANDLED = {
    "people": "deleted (the person record: email, name)",
    "survey_responses": "deleted, with their skills (person_skills)",
    "applications": "deleted",
    "eligibility_overrides": "deleted",
    "circle_members": "deleted; the circle keeps its other members and its version moves on",
    "attendance": "deleted",
    "outcome_responses": "named answers deleted; anonymous answers carry no person",
    "forbidden_pairs": "deleted",
    "together_pairs": "deleted",
    "messages": "deleted: the log of messages about them (what was sent, to which address)",
    "users": "kept: a committee account is managed on the Users page",
}
LABELS = {
    "people": "Person record (email, name)",
    "survey_responses": "Skills Directory Survey answers",
    "person_skills": "Skills listed in those answers",
    "applications": "Circle applications",
    "eligibility_overrides": "Eligibility decisions",
    "circle_members": "Circle memberships (drafts and final)",
    "attendance": "Attendance marks",
    "outcome_responses": "End-of-year survey answers (named)",
    "forbidden_pairs": "\"Never together\" pairs",
    "together_pairs": "\"Keep together\" pairs",
    "messages": "Messages sent to or about them (the log)",
    "login_failures": "Failed logins typed with this email",
    "waitlist_notes": "Waitlist notes in circle drafts",
    "audit_log": "Audit entries that mention them (detail redacted)",
    "import_warnings": "Import warnings that quote them (redacted)",
    "free_text": "Mentions in notes, report sections and comments (become [removed])",
}
_DELETES = (
    ("person_skills", ("DELETE FROM person_skills WHERE response_id IN "
                       "(SELECT id FROM survey_responses WHERE list_contains(?::INTEGER[], person_id))")),
    ("survey_responses", "DELETE FROM survey_responses WHERE list_contains(?::INTEGER[], person_id)"),
    ("applications", "DELETE FROM applications WHERE list_contains(?::INTEGER[], person_id)"),
    ("eligibility_overrides", "DELETE FROM eligibility_overrides WHERE list_contains(?::INTEGER[], person_id)"),
    ("attendance", "DELETE FROM attendance WHERE list_contains(?::INTEGER[], person_id)"),
    ("circle_members", "DELETE FROM circle_members WHERE list_contains(?::INTEGER[], person_id)"),
    ("outcome_responses", "DELETE FROM outcome_responses WHERE list_contains(?::INTEGER[], person_id)"),
    ("forbidden_pairs", ("DELETE FROM forbidden_pairs WHERE list_contains(?::INTEGER[], person_a)"
                         " OR list_contains(?::INTEGER[], person_b)")),
    ("together_pairs", ("DELETE FROM together_pairs WHERE list_contains(?::INTEGER[], person_a)"
                        " OR list_contains(?::INTEGER[], person_b)")),
    ("messages", "DELETE FROM messages WHERE list_contains(?::INTEGER[], person_id)"),
)


@dataclass
class Footprint:
    """Everything the database holds about one person, as a privacy request needs to see it."""

    email: str
    person_id: int
    name: str | None
    names: list[str]
    counts: dict[str, int]
    circles: list[dict]
    cycles: list[str]
    accounts: list[str]
    notes: list[str]

    @property
    def in_final_circle(self) -> bool:
        """Whether they sit in a final circle of any program year."""
        return any(c["status"] == "final" for c in self.circles)

    @property
    def rows(self) -> int:
        """Rows that a deletion removes (redactions and replaced mentions not counted)."""
        return sum(v for k, v in self.counts.items() if k not in ("audit_log", "import_warnings", "free_text",
                                                                  "waitlist_notes"))

    def as_dict(self) -> dict:
        """A plain dict for JSON."""
        return asdict(self) | {"in_final_circle": self.in_final_circle}

    def table(self) -> list[dict]:
        """One row per kind of data held, with its count and what a deletion does."""
        return [{"what": label, "table": key, "rows": self.counts[key]} for key, label in LABELS.items()
                if self.counts.get(key)]


class Deletion(dict):
    """Rows removed per table (a dict), with the request reference recorded in the audit log."""

    def __init__(self, counts: dict[str, int], reference: str):
        """Keep the counts as the dict and the reference as an attribute."""
        super().__init__(counts)
        self.reference = reference


def normal_email(email: str) -> str:
    """Trim and lowercase an email the way imports store it; ValueError when blank or not an address."""
    value = (email or "").strip().lower()
    if not value:
        raise ValueError("Type the email address of the person who asked.")
    if "@" not in value:
        raise ValueError(f"'{value}' is not an email address.")
    return value


def unhandled_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables with a person column (person_id, person_a, person_b, email) this module does not clear."""
    rows = conn.execute("""SELECT DISTINCT table_name FROM information_schema.columns
                           WHERE table_schema = 'main' AND list_contains(?::VARCHAR[], column_name)
                           ORDER BY 1""", [list(PERSON_COLUMNS)]).fetchall()
    return [row[0] for row in rows if row[0] not in HANDLED]


def _count_rows(conn: duckdb.DuckDBPyConnection, ids: list[int], email: str) -> dict[str, int]:
    """Rows per table that belong to the people (read only)."""
    counts = {"people": scalar(conn, "SELECT count(*) FROM people WHERE list_contains(?::INTEGER[], id)", [ids])}
    for label, sql in _DELETES:
        select = "SELECT count(*) FROM" + sql[len("DELETE FROM"):]
        counts[label] = scalar(conn, select, [ids] * select.count("?"))
    counts["login_failures"] = scalar(conn, "SELECT count(*) FROM login_failures WHERE lower(username) = ?", [email])
    return counts


def find(conn: duckdb.DuckDBPyConnection, email: str) -> Footprint:
    """Everything held about the person with this email (case and spaces ignored); ValueError when no one has it."""
    address = normal_email(email)
    row = first(conn.execute("SELECT id, name FROM people WHERE lower(trim(email)) = ?", [address]).fetchall())
    accounts = [r[0] for r in conn.execute("SELECT username FROM users WHERE lower(trim(email)) = ? ORDER BY 1",
                                           [address]).fetchall()]
    if row is None:
        also = (f" A committee account uses it ({', '.join(accounts)}): manage it on the Users page."
                if accounts else "")
        raise ValueError(f"No one with the email {address} is in the database (survey answers, applications, "
                         f"circles, attendance, end-of-year answers).{also} Check the spelling.")
    person_id, name = row
    target = mentions.target_of(conn, [person_id])
    counts = _count_rows(conn, [person_id], address)
    counts["waitlist_notes"] = len(mentions.waitlist_hits(conn, target))
    counts["audit_log"] = len(mentions.audit_hits(conn, target))
    counts["import_warnings"] = sum(n for _, _, n in mentions.warning_hits(conn, target))
    counts["free_text"] = len(mentions.text_hits(conn, target))
    circles = [{"cycle": r[0], "circle": r[1], "draft": r[2], "status": r[3], "others": r[4]} for r in conn.execute("""
        SELECT d.cycle, c.name, d.name, d.status,
               (SELECT count(*) FROM circle_members o WHERE o.circle_id = c.id AND o.person_id <> ?)
        FROM circle_members m JOIN circles c ON c.id = m.circle_id JOIN circle_drafts d ON d.id = c.draft_id
        WHERE m.person_id = ? ORDER BY d.cycle, d.status = 'final' DESC, d.name, c.name""",
        [person_id, person_id]).fetchall()]
    years = sorted({r[0] for r in conn.execute("""
        SELECT cycle FROM survey_responses WHERE person_id = ? UNION SELECT cycle FROM applications WHERE person_id = ?
        UNION SELECT cycle FROM outcome_responses WHERE person_id = ?
        UNION SELECT cycle FROM eligibility_overrides WHERE person_id = ?""", [person_id] * 4).fetchall()}
                   | {c["cycle"] for c in circles})
    return Footprint(email=address, person_id=person_id, name=name, names=sorted(target.names), counts=counts,
                     circles=circles, cycles=years, accounts=accounts, notes=_notes(counts, circles, accounts))


def _notes(counts: dict[str, int], circles: list[dict], accounts: list[str]) -> list[str]:
    """What a deletion will mean, in plain words."""
    notes = []
    for c in circles:
        if c["status"] == "final":
            notes.append(f"In the final circles of {c['cycle']} ({c['circle']}): the circle keeps its other "
                         f"{c['others']} member(s); its attendance figures lose this member's marks.")
    if counts.get("outcome_responses"):
        notes.append(f"{counts['outcome_responses']} end-of-year answer(s) with their name are deleted, not made "
                     "anonymous (a dated answer in a small circle could still point to them): those years' totals "
                     "drop by as many responses.")
    if accounts:
        notes.append(f"A committee account uses this email ({', '.join(accounts)}). It is kept, with its audit "
                     "entries: remove it on the Users page if the request covers it.")
    backups = get_settings().backup_dir
    kept = sorted(backups.glob("*.duckdb")) if backups.is_dir() else []
    if kept:
        notes.append(f"{len(kept)} backup file(s) in {backups} were made before this deletion and still hold their "
                     "data (restoring one brings it back): delete those the request covers, or let them age out.")
    if counts.get("audit_log"):
        notes.append(f"{counts['audit_log']} audit entries mention them: each keeps when, who and what was done, "
                     "and its detail is replaced by a redaction marker.")
    return notes


def delete_person(conn: duckdb.DuckDBPyConnection, email: str, actor: str) -> Deletion:
    """Delete every row about the person with this email in one transaction; return rows removed per table.

    The result carries `.reference`, the random reference of the one `person.delete` audit entry (counts only).
    """
    address = normal_email(email)
    reference = str(uuid.uuid4())
    with writing(conn, "this person's data"):
        unknown = unhandled_tables(conn)
        if unknown:
            raise ValueError(f"The database has table(s) naming people that the privacy request does not know how "
                             f"to clear ({', '.join(unknown)}); nothing was deleted. lib/admin/privacy.py needs "
                             "updating.")
        footprint = find(conn, address)
        target = mentions.target_of(conn, [footprint.person_id])
        removed = _scrub(conn, target, actor, reference)
        removed["login_failures"] = first(conn.execute(
            "DELETE FROM login_failures WHERE lower(username) = ?", [address]).fetchall())[0]
        removed["people"] = first(conn.execute("DELETE FROM people WHERE id = ?", [footprint.person_id]).fetchall())[0]
        audit(conn, actor, "person.delete", "privacy_request", reference, {"reference": reference, "removed": removed})
    return Deletion(removed, reference)


def _scrub(conn: duckdb.DuckDBPyConnection, target: mentions.Target, actor: str, reference: str) -> dict[str, int]:
    """Delete the target's rows (not the people rows) and redact every mention of them; return counts per kind."""
    ids = sorted(target.ids)
    # Found before anything is deleted: the rows that name them are what identifies the mentions.
    audit_hits, waitlists = mentions.audit_hits(conn, target), mentions.waitlist_hits(conn, target)
    warnings, texts = mentions.warning_hits(conn, target), mentions.text_hits(conn, target)
    circles = [r[0] for r in conn.execute(
        "SELECT DISTINCT circle_id FROM circle_members WHERE list_contains(?::INTEGER[], person_id)", [ids]).fetchall()]
    removed: dict[str, int] = {}
    for label, sql in _DELETES:
        removed[label] = first(conn.execute(sql, [ids] * sql.count("?")).fetchall())[0]
    drafts = {d for d, _ in waitlists}
    for draft_id, options in waitlists:
        conn.execute("UPDATE circle_drafts SET weights = ? WHERE id = ?", [options, draft_id])
    if circles:
        conn.execute("UPDATE circles SET version = version + 1 WHERE list_contains(?::INTEGER[], id)", [circles])
        drafts |= {r[0] for r in conn.execute(
            "SELECT DISTINCT draft_id FROM circles WHERE list_contains(?::INTEGER[], id)", [circles]).fetchall()}
    if drafts:
        # A draft someone has open was changed: their next save is refused with this actor's name.
        conn.execute("""UPDATE circle_drafts SET version = version + 1, updated_by = ?, updated_at = now()::TIMESTAMP
                        WHERE list_contains(?::INTEGER[], id)""", [actor, sorted(drafts)])
    removed["waitlist_notes"] = len(waitlists)
    removed["audit_log"] = mentions.redact(conn, audit_hits, {"redacted": mentions.REDACTED, "reference": reference})
    removed["import_warnings"], removed["free_text"] = mentions.rewrite(conn, warnings, texts)
    return removed


# ---------------------------------------------------------------------------------------------------- retention


@dataclass
class PurgePlan:
    """What a retention purge removes: per program year, and the people left with nothing."""

    years: int
    current: str
    cycles: list[dict]
    people: int

    @property
    def empty(self) -> bool:
        """Whether there is nothing to purge."""
        return not self.people and not any(v for c in self.cycles for k, v in c.items() if k != "cycle")

    def totals(self) -> dict[str, int]:
        """Counts summed over the program years."""
        keys = ("applications", "eligibility_overrides", "comments")
        return {k: sum(c[k] for c in self.cycles) for k in keys} | {"people": self.people}

    def as_dict(self) -> dict:
        """A plain dict for JSON."""
        return asdict(self) | {"totals": self.totals()}


def _years(years: int | None) -> int:
    """The retention period: the setting unless given; ValueError below 1 year."""
    value = get_settings().retention_years if years is None else years
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"Keep at least 1 program year of confidential data (got {value}); set a whole number "
                         "of years, 1 or more.")
    return int(value)


def purged_cycles(conn: duckdb.DuckDBPyConnection, years: int | None = None, today: date | None = None) -> list[str]:
    """Program years that started more than `years` years before today's program year, oldest first."""
    keep = _years(years)
    now = cycles.parse(cycles.of_date(today or date.today()))
    names = {r[0] for r in conn.execute("""SELECT name FROM cycles UNION SELECT cycle FROM applications
                                           UNION SELECT cycle FROM eligibility_overrides
                                           UNION SELECT cycle FROM outcome_responses""").fetchall()}
    return sorted(n for n in names if now - cycles.parse(n) > keep)


_LEFT_WITH_NOTHING = """
    SELECT id FROM people p WHERE list_contains(?::INTEGER[], p.id)
      AND NOT EXISTS (SELECT 1 FROM survey_responses x WHERE x.person_id = p.id)
      AND NOT EXISTS (SELECT 1 FROM applications x WHERE x.person_id = p.id
                      AND NOT list_contains(?::VARCHAR[], x.cycle))
      AND NOT EXISTS (SELECT 1 FROM eligibility_overrides x WHERE x.person_id = p.id
                      AND NOT list_contains(?::VARCHAR[], x.cycle))
      AND NOT EXISTS (SELECT 1 FROM circle_members x WHERE x.person_id = p.id)
      AND NOT EXISTS (SELECT 1 FROM attendance x WHERE x.person_id = p.id)
      AND NOT EXISTS (SELECT 1 FROM outcome_responses x WHERE x.person_id = p.id)
      AND NOT EXISTS (SELECT 1 FROM forbidden_pairs x WHERE p.id IN (x.person_a, x.person_b))
      AND NOT EXISTS (SELECT 1 FROM together_pairs x WHERE p.id IN (x.person_a, x.person_b))
    ORDER BY id"""


def _left_with_nothing(conn: duckdb.DuckDBPyConnection, purged: list[str]) -> list[int]:
    """People with purged applications or decisions who have no other row anywhere."""
    touched = [r[0] for r in conn.execute("""
        SELECT person_id FROM applications WHERE list_contains(?::VARCHAR[], cycle)
        UNION SELECT person_id FROM eligibility_overrides WHERE list_contains(?::VARCHAR[], cycle)""",
        [purged, purged]).fetchall()]
    if not touched:
        return []
    return [r[0] for r in conn.execute(_LEFT_WITH_NOTHING, [touched, purged, purged]).fetchall()]


def preview_purge(conn: duckdb.DuckDBPyConnection, years: int | None = None, today: date | None = None) -> PurgePlan:
    """What a purge with this retention would remove, per program year; writes nothing."""
    keep = _years(years)
    purged = purged_cycles(conn, keep, today)
    rows = []
    for cycle in purged:
        rows.append({
            "cycle": cycle,
            "applications": scalar(conn, "SELECT count(*) FROM applications WHERE cycle = ?", [cycle]),
            "eligibility_overrides": scalar(conn, "SELECT count(*) FROM eligibility_overrides WHERE cycle = ?",
                                            [cycle]),
            "comments": scalar(conn, """SELECT count(*) FROM outcome_responses WHERE cycle = ?
                                        AND (comments IS NOT NULL OR consent_to_quote)""", [cycle])})
    return PurgePlan(years=keep, current=cycles.of_date(today or date.today()), cycles=rows,
                     people=len(_left_with_nothing(conn, purged)) if purged else 0)


def purge(conn: duckdb.DuckDBPyConnection, years: int | None = None, actor: str = "cli",
          today: date | None = None) -> dict:
    """Purge confidential data of program years older than the retention, in one transaction; return the counts.

    Applications and eligibility decisions are deleted; end-of-year comments are cleared with the consent to quote
    them, the answers kept so cohorts still count them; people left with no row anywhere are removed, and audit
    entries about purged decisions or removed people are redacted. Audited with counts only.
    """
    keep = _years(years)
    reference = str(uuid.uuid4())
    with writing(conn, "the retention purge"):
        plan = preview_purge(conn, keep, today)
        purged = [c["cycle"] for c in plan.cycles]
        result = {"years": keep, "cycles": purged, "reference": reference, **plan.totals(), "audit_log": 0,
                  "import_warnings": 0}
        if not purged:
            return result
        gone = _left_with_nothing(conn, purged)
        target = mentions.target_of(conn, gone)
        # The audit entries of purged decisions hold their reasons; removed people are redacted wherever named.
        result["audit_log"] = mentions.redact(conn, mentions.audit_hits(conn, target, purged),
                                      {"redacted": "retention", "reference": reference})
        # Warnings of those imports quote the answers being purged (goals, comments).
        result["import_warnings"] = first(conn.execute("""
            UPDATE import_batches SET warnings = '[]' WHERE kind IN ('applications', 'outcomes')
               AND list_has_any(string_split(cycle, ', '), ?::VARCHAR[])
               AND warnings IS NOT NULL AND CAST(warnings AS VARCHAR) <> '[]'""", [purged]).fetchall())[0]
        conn.execute("DELETE FROM applications WHERE list_contains(?::VARCHAR[], cycle)", [purged])
        conn.execute("DELETE FROM eligibility_overrides WHERE list_contains(?::VARCHAR[], cycle)", [purged])
        conn.execute("""UPDATE outcome_responses SET comments = NULL, consent_to_quote = false
                        WHERE list_contains(?::VARCHAR[], cycle) AND (comments IS NOT NULL OR consent_to_quote)""",
                     [purged])
        if gone:
            conn.execute("DELETE FROM login_failures WHERE list_contains(?::VARCHAR[], lower(username))",
                         [sorted(target.emails)])
            conn.execute("DELETE FROM people WHERE list_contains(?::INTEGER[], id)", [gone])
        audit(conn, actor, "retention.purge", "retention", reference,
              {k: v for k, v in result.items() if k != "reference"})
    return result
