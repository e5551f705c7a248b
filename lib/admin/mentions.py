"""Where the database names a person outside their own rows: audit entries, import warnings, free text, drafts.

Used by privacy requests and the retention purge (lib/admin/privacy.py) to find those mentions and redact them. A
mention is the person's email or a name they used (as a whole word, any case), their person id where an id is meant
(under a person key, or in the member lists of circle records), or an entity id that is one of their rows.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import duckdb

REDACTED = "privacy request"
REMOVED_TEXT = "[removed]"

# Free text people or the committee typed that may name someone else: (table, column, has a version column).
_FREE_TEXT = (("meetings", "note", True), ("applications", "goals", True), ("applications", "comments", True),
              ("outcome_responses", "comments", False))
_PERSON_KEYS = {"person_id", "person_a", "person_b", "person", "person_ids"}
# Audit entries whose entity id is a row of the person's.
_ROW_ENTITIES = {"survey_response": "survey_responses", "outcome_response": "outcome_responses"}


@dataclass
class Target:
    """The people a deletion or purge concerns, and how text and the audit log can name them."""

    ids: set[int]
    emails: set[str]
    names: set[str]
    response_ids: set[int] = field(default_factory=set)
    outcome_ids: set[int] = field(default_factory=set)
    kept_accounts: set[str] = field(default_factory=set)

    def pattern(self) -> re.Pattern | None:
        """A case-insensitive pattern matching any email or name as a whole word (3 characters or more)."""
        words = sorted({w.strip() for w in self.emails | self.names if w and len(w.strip()) >= 3},
                       key=len, reverse=True)
        if not words:
            return None
        return re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in words), re.IGNORECASE)

    def plain(self) -> list[str]:
        """Lowercase emails and names (3 characters or more), as plain text holds them."""
        return sorted({w.strip().lower() for w in self.emails | self.names if w and len(w.strip()) >= 3})

    def needles(self) -> list[str]:
        """Lowercase substrings that any stored mention contains, also as written inside JSON text."""
        found = set()
        for word in self.emails | self.names:
            if word and len(word.strip()) >= 3:
                word = word.strip()
                found |= {word.lower(), json.dumps(word)[1:-1].lower(), json.dumps(word.lower())[1:-1]}
        return sorted(found)


def target_of(conn: duckdb.DuckDBPyConnection, person_ids: list[int]) -> Target:
    """Collect the emails, names and row ids by which the given people may be mentioned."""
    ids = [int(p) for p in person_ids]
    people = conn.execute("SELECT email, name FROM people WHERE list_contains(?::INTEGER[], id)", [ids]).fetchall()
    names = {n for _, n in people if n}
    for table in ("survey_responses", "applications"):
        names |= {row[0] for row in conn.execute(
            f"SELECT DISTINCT name FROM {table} WHERE list_contains(?::INTEGER[], person_id) AND name IS NOT NULL",
            [ids]).fetchall()}
    emails = {e.lower() for e, _ in people}
    accounts = {row[0] for row in conn.execute(
        "SELECT username FROM users WHERE list_contains(?::VARCHAR[], lower(trim(email)))",
        [sorted(emails)]).fetchall()}
    return Target(
        ids=set(ids), emails=emails, names=names, kept_accounts=accounts,
        response_ids={r[0] for r in conn.execute(
            "SELECT id FROM survey_responses WHERE list_contains(?::INTEGER[], person_id)", [ids]).fetchall()},
        outcome_ids={r[0] for r in conn.execute(
            "SELECT id FROM outcome_responses WHERE list_contains(?::INTEGER[], person_id)", [ids]).fetchall()})


def _mentions(value: object, pattern: re.Pattern | None, ids: set[int], lists_hold_people: bool) -> bool:
    """Whether a decoded JSON value names one of the people (by email, name, or id where ids are meant)."""
    if isinstance(value, str):
        return bool(pattern and pattern.search(value))
    if isinstance(value, dict):
        for key, item in value.items():
            if pattern and pattern.search(str(key)):
                return True
            if lists_hold_people and str(key).isdigit() and int(key) in ids:
                return True
            if key in _PERSON_KEYS and _is_person(item, ids):
                return True
            if _mentions(item, pattern, ids, lists_hold_people):
                return True
        return False
    if isinstance(value, list):
        # Circle records list members by person id; elsewhere a bare number is a count or another row's id.
        return any((lists_hold_people and _is_person(item, ids)) or _mentions(item, pattern, ids, lists_hold_people)
                   for item in value)
    return False


def _is_person(value: object, ids: set[int]) -> bool:
    """Whether a value under a person key is (or lists) one of the ids."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value in ids
    if isinstance(value, str) and value.strip().isdigit():
        return int(value) in ids
    if isinstance(value, list):
        return any(_is_person(item, ids) for item in value)
    return False


def audit_hits(conn: duckdb.DuckDBPyConnection, target: Target,
               purged: list[str] | None = None) -> list[tuple[int, str, str | None]]:
    """Audit entries naming the target (or deciding on a purged year's applicant): (id, new actor, new entity id)."""
    needles = target.needles()
    ids = sorted(target.ids)
    emails = sorted(target.emails)
    clauses = ["contains(lower(coalesce(CAST(detail AS VARCHAR), '')), ?)" for _ in needles]
    clauses += ["lower(actor) = ?" for _ in emails] + ["lower(entity_id) = ?" for _ in emails]
    params: list = [*needles, *emails, *emails]
    if ids:
        clauses.append("entity IN ('person', 'application', 'survey_response', 'outcome_response')")
        clauses.append("regexp_matches(coalesce(CAST(detail AS VARCHAR), ''), ?)")
        params.append(r"(^|[^0-9])(" + "|".join(str(i) for i in ids) + r")([^0-9]|$)")
    if purged:
        clauses.append("(entity = 'application' AND list_contains(?::VARCHAR[], split_part(entity_id, '/', 1)))")
        params.append(purged)
    if not clauses:
        return []
    rows = conn.execute(f"""SELECT id, actor, action, entity, entity_id, CAST(detail AS VARCHAR) FROM audit_log
                            WHERE {' OR '.join(clauses)} ORDER BY id""", params).fetchall()
    pattern, found = target.pattern(), []
    for entry_id, actor, action, entity, entity_id, detail in rows:
        if entity == "user" and entity_id in target.kept_accounts:
            continue  # the committee account is kept, and with it the record of what happened to it
        mine = _entity_is_theirs(entity, entity_id, target) or (
            bool(purged) and entity == "application" and (entity_id or "").split("/", 1)[0] in purged)
        named = (actor or "").lower() in target.emails or (entity_id or "").lower() in target.emails
        circle_record = (action or "").startswith("circles.")
        if not (mine or named or _mentions(_decode(detail), pattern, target.ids, circle_record)):
            continue
        found.append((entry_id, "(redacted)" if (actor or "").lower() in target.emails else actor,
                      "(redacted)" if mine or (entity_id or "").lower() in target.emails else entity_id))
    return found


def _decode(detail: str | None) -> object:
    """Decode an audit detail, or None."""
    if not detail:
        return None
    try:
        return json.loads(detail)
    except ValueError:
        return detail


def _entity_is_theirs(entity: str | None, entity_id: str | None, target: Target) -> bool:
    """Whether the entry's entity is the person or one of their rows."""
    if entity_id is None:
        return False
    if entity == "person":
        return entity_id.isdigit() and int(entity_id) in target.ids
    if entity == "application":
        tail = entity_id.rsplit("/", 1)[-1]
        return tail.isdigit() and int(tail) in target.ids
    if entity in _ROW_ENTITIES:
        rows = target.response_ids if entity == "survey_response" else target.outcome_ids
        return entity_id.isdigit() and int(entity_id) in rows
    return False


def warning_hits(conn: duckdb.DuckDBPyConnection, target: Target) -> list[tuple[int, list, int]]:
    """Import batches whose warnings quote the target: (batch id, redacted warnings, warnings redacted)."""
    needles = target.needles()
    if not needles:
        return []
    clauses = " OR ".join("contains(lower(CAST(warnings AS VARCHAR)), ?)" for _ in needles)
    rows = conn.execute(f"SELECT id, CAST(warnings AS VARCHAR) FROM import_batches WHERE {clauses} ORDER BY id",
                        needles).fetchall()
    pattern, found = target.pattern(), []
    for batch_id, text in rows:
        warnings = _decode(text)
        if not isinstance(warnings, list):
            continue
        kept = [{"redacted": REDACTED} if _mentions(w, pattern, set(), False) else w for w in warnings]
        changed = sum(1 for before, after in zip(warnings, kept) if before is not after)
        if changed:
            found.append((batch_id, kept, changed))
    return found


def text_hits(conn: duckdb.DuckDBPyConnection, target: Target) -> list[tuple[str, str, bool, object, str]]:
    """Free-text cells that name the target: (table, column, versioned, key, text with the mentions replaced)."""
    needles = target.plain()
    pattern = target.pattern()
    if not needles or pattern is None:
        return []
    found = []
    clauses = " OR ".join("contains(lower({column}), ?)" for _ in needles)
    ids = sorted(target.ids)
    for table, column, versioned in _FREE_TEXT:
        # Their own rows go anyway; only mentions in other people's rows and committee notes are rewritten.
        mine = "" if table == "meetings" else " AND NOT list_contains(?::INTEGER[], coalesce(person_id, -1))"
        rows = conn.execute(f"SELECT id, {column} FROM {table} WHERE ({clauses.format(column=column)}){mine}",
                            needles + ([] if table == "meetings" else [ids])).fetchall()
        found += [(table, column, versioned, key, pattern.sub(REMOVED_TEXT, text))
                  for key, text in rows if pattern.search(text)]
    sections = conn.execute(f"SELECT cycle, section, body FROM report_sections WHERE {clauses.format(column='body')}",
                            needles).fetchall()
    found += [("report_sections", "body", True, (cycle, section), pattern.sub(REMOVED_TEXT, body))
              for cycle, section, body in sections if pattern.search(body)]
    return found


def waitlist_hits(conn: duckdb.DuckDBPyConnection, target: Target) -> list[tuple[int, str]]:
    """Circle drafts whose recorded waitlist names one of the people: (draft id, options without them)."""
    found = []
    for draft_id, weights in conn.execute(
            "SELECT id, CAST(weights AS VARCHAR) FROM circle_drafts WHERE weights IS NOT NULL ORDER BY id").fetchall():
        options = _decode(weights)
        waitlist = options.get("waitlist") if isinstance(options, dict) else None
        if isinstance(waitlist, dict) and any(str(k).isdigit() and int(k) in target.ids for k in waitlist):
            options["waitlist"] = {k: v for k, v in waitlist.items() if not (str(k).isdigit() and int(k) in target.ids)}
            found.append((draft_id, json.dumps(options)))
    return found


def redact(conn: duckdb.DuckDBPyConnection, hits: list[tuple[int, str, str | None]], marker: dict) -> int:
    """Replace the detail of the given audit entries by the marker (when, who and what stay); return how many."""
    if hits:
        conn.executemany("UPDATE audit_log SET actor = ?, entity_id = ?, detail = ? WHERE id = ?",
                         [[who, entity_id, json.dumps(marker), entry_id] for entry_id, who, entity_id in hits])
    return len(hits)


def rewrite(conn: duckdb.DuckDBPyConnection, warnings: list[tuple[int, list, int]],
            texts: list[tuple[str, str, bool, object, str]]) -> tuple[int, int]:
    """Store the redacted import warnings and the rewritten free text; return (warnings, cells) changed."""
    for batch_id, kept, _ in warnings:
        conn.execute("UPDATE import_batches SET warnings = ? WHERE id = ?", [json.dumps(kept), batch_id])
    for table, column, versioned, key, text in texts:
        # Table and column names come from _FREE_TEXT, never from input; an open editor of the row sees a conflict.
        bump = ", version = version + 1" if versioned else ""
        if table == "report_sections":
            conn.execute(f"UPDATE report_sections SET body = ?{bump} WHERE cycle = ? AND section = ?", [text, *key])
        else:
            conn.execute(f"UPDATE {table} SET {column} = ?{bump} WHERE id = ?", [text, key])
    return sum(n for _, _, n in warnings), len(texts)
