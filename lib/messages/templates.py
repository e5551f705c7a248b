"""The committee's message templates, per program year, versioned like the report's sections, with defaults.

A template is a subject and a plain-text body with fields in double braces (`{{first_name}}`), filled per
recipient. Each kind of message has its own templates: `decisions` one per decision (placed, waitlisted, not
eligible), `check-in` one for the member and one for their facilitator. A template never saved is the default
below (version 0). A field's value is inserted as it is, once: a name that contains braces stays as typed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import duckdb

from .. import cycles
from ..db import ConflictError, audit, first, saved_since, writing

KINDS = {"decisions": "Decisions (placed, waitlisted, not eligible)", "survey": "End-of-year survey",
         "check-in": "Check-in (members at risk)"}
MAX_SUBJECT = 200
MAX_BODY = 20_000
FIELD = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

_COMMON = {"first_name": "the recipient's first name", "name": "the recipient's full name",
           "cycle": "the program year, like 2025-26"}


@dataclass(frozen=True)
class Kind:
    """One template: which kind of message it belongs to, its label, its fields and its default text."""

    key: str
    kind: str
    label: str
    fields: dict[str, str]
    subject: str
    body: str


_SIGNATURE = "\n\nWith best wishes,\nThe ALI Mentorship Committee"

TEMPLATES: dict[str, Kind] = {t.key: t for t in (
    Kind("placed", "decisions", "Placed in a circle", {
        **_COMMON, "circle": "the circle's name", "members": "the circle's members and how to reach them, one a line",
        "facilitator": "the facilitator from the committee, and how to reach them",
        "meeting_time": "when the circle meets, like 'Tuesday afternoons'",
        "orientation": "the orientation's date and time, with the year",
        "first_meeting": "the first monthly meeting's date and time, with the year",
        "dates": "every meeting of the year, one a line", "expectations": "the participant expectations, one a line"},
        "Your ALI Peer Mentorship Circle {{cycle}}: {{circle}}",
        "Dear {{first_name}},\n\n"
        "Thank you for applying to the ALI Peer Mentorship Circles {{cycle}}. We are glad to tell you that you "
        "are a member of {{circle}}:\n\n{{members}}\n\n"
        "Your facilitator: {{facilitator}}\n\n"
        "Your circle meets {{meeting_time}}, once a month from October through May.\n"
        "Orientation: {{orientation}}\nFirst meeting: {{first_meeting}}\n\n"
        "All dates:\n{{dates}}\n\n"
        "The attached calendar file adds them to your calendar.\n\n"
        "As agreed in your application, circle members:\n{{expectations}}" + _SIGNATURE),
    Kind("waitlisted", "decisions", "Waitlisted", dict(_COMMON),
         "Your application to the ALI Peer Mentorship Circles {{cycle}}",
         "Dear {{first_name}},\n\n"
         "Thank you for applying to the ALI Peer Mentorship Circles {{cycle}}. This year more people applied "
         "than our circles could hold, and we could not place you in a circle yet: you are on our waitlist.\n\n"
         "What happens next: if a place opens in a circle during the year, we will write to you first. If "
         "not, we will keep your interest in mind for next year's circles, and you are warmly invited to apply "
         "again in the fall. Meanwhile, the ALI Annual Skills Directory lists colleagues across Indiana who "
         "offer support, discussion, feedback or collaboration." + _SIGNATURE),
    Kind("not_eligible", "decisions", "Not eligible", {
        **_COMMON, "reasons": "why the application is not eligible, in plain words, one a line"},
        "Your application to the ALI Peer Mentorship Circles {{cycle}}",
        "Dear {{first_name}},\n\n"
        "Thank you for applying to the ALI Peer Mentorship Circles {{cycle}}. The circles are for librarians "
        "and library staff within their first 3 years in the profession and for library-school students, who "
        "apply by the deadline and agree to the participant expectations. We could not offer you a place this "
        "year:\n\n{{reasons}}\n\n"
        "What you can do: the ALI Annual Skills Directory lists colleagues across Indiana who offer support, "
        "discussion, feedback or collaboration, and you are welcome to take part in the Skills Directory "
        "Survey each fall. If you will be eligible next year, we would be glad to read your application."
        + _SIGNATURE),
    Kind("survey", "survey", "End-of-year survey", {
        **_COMMON, "circle": "the member's circle", "survey_url": "the survey's address (set for the program year)"},
        "How was your ALI Peer Mentorship Circle year? ({{cycle}})",
        "Dear {{first_name}},\n\n"
        "Thank you for taking part in {{circle}} of the ALI Peer Mentorship Circles {{cycle}}. Would you "
        "tell us how the year went? The end-of-year survey takes about five minutes:\n\n{{survey_url}}\n\n"
        "Your answers help the committee improve the circles and report to ALI leadership; comments are "
        "quoted only if you agree, and never with your name." + _SIGNATURE),
    Kind("check_in_member", "check-in", "Check-in: to the member", {
        **_COMMON, "circle": "the member's circle", "missed": "the last two meetings missed, with their dates",
        "facilitator": "the circle's facilitator from the committee"},
        "Checking in: your ALI Peer Mentorship Circle ({{circle}})",
        "Dear {{first_name}},\n\n"
        "We missed you at the last two meetings of {{circle}}:\n{{missed}}\n\n"
        "We hope all is well. If the meeting time no longer works for you, or anything else makes it hard to "
        "attend, reply to this message: we would like to help you keep your place in the circle." + _SIGNATURE),
    Kind("check_in_facilitator", "check-in", "Check-in: to the facilitator", {
        **_COMMON, "member": "the member who missed meetings", "member_email": "that member's address",
        "circle": "the circle", "missed": "the last two meetings the member missed, with their dates"},
        "Check-in: {{member}} missed two meetings of {{circle}}",
        "Dear {{first_name}},\n\n"
        "{{member}} ({{member_email}}) missed the last two meetings of {{circle}}, which you facilitate:\n"
        "{{missed}}\n\n"
        "Could you check in with them? A short, kind note often helps a member come back." + _SIGNATURE),
)}


def of_kind(kind: str) -> list[Kind]:
    """The templates of one kind of message, in order; ValueError for an unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"No kind of message '{kind}': use one of {', '.join(KINDS)}.")
    return [t for t in TEMPLATES.values() if t.kind == kind]


@dataclass
class Template:
    """A template as the committee last saved it for a program year (version 0: the default)."""

    key: str
    subject: str
    body: str
    version: int = 0
    updated_by: str | None = None
    updated_at: datetime | None = None

    @property
    def kind(self) -> Kind:
        """What this template is for."""
        return TEMPLATES[self.key]


def _known(key: str) -> Kind:
    """The template called key, or ValueError listing them."""
    if key not in TEMPLATES:
        raise ValueError(f"No message template '{key}': use one of {', '.join(TEMPLATES)}.")
    return TEMPLATES[key]


def load(conn: duckdb.DuckDBPyConnection, cycle: str, key: str) -> Template:
    """One template of a program year: as saved, or the default."""
    kind = _known(key)
    row = first(conn.execute("""SELECT subject, body, version, updated_by, updated_at FROM message_templates
                                WHERE cycle = ? AND template = ?""", [cycle, key]).fetchall())
    return Template(key, *row) if row else Template(key, kind.subject, kind.body)


def clean(text: str) -> str:
    """Text as saved: Windows line ends made plain, no trailing spaces, no blank lines around."""
    lines = [line.rstrip() for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def check(key: str, subject: str, body: str) -> tuple[str, str]:
    """The subject and body as saved, or ValueError naming the unknown fields or the length over the limit."""
    kind = _known(key)
    subject, body = " ".join((subject or "").split()), clean(body)
    if not subject:
        raise ValueError(f"{kind.label}: the subject is empty.")
    if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        raise ValueError(f"{kind.label}: at most {MAX_SUBJECT} characters of subject and {MAX_BODY:,} of text.")
    unknown = sorted({name for text in (subject, body) for name in FIELD.findall(text)} - set(kind.fields))
    if unknown:
        raise ValueError(f"{kind.label}: no field {', '.join('{{' + u + '}}' for u in unknown)}; this template "
                         f"knows {', '.join('{{' + f + '}}' for f in kind.fields)}.")
    return subject, body


def save(conn: duckdb.DuckDBPyConnection, cycle: str, key: str, subject: str, body: str, version: int,
         actor: str) -> int:
    """Save a template against the version the editor saw; return the new version.

    ConflictError naming who saved since (nothing is written) when the stored version is not `version`.
    """
    subject, body = check(key, subject, body)
    cycles.application_deadline(conn, cycle)  # refuses an unknown program year
    label = f"the '{TEMPLATES[key].label}' message of {cycle}"
    try:
        with writing(conn, label) as tx:
            row = first(tx.execute("""SELECT subject, body, version, updated_by, updated_at FROM message_templates
                                      WHERE cycle = ? AND template = ?""", [cycle, key]).fetchall())
            stored = row[2] if row else 0
            if stored != version:
                raise saved_since(f"{label[0].upper()}{label[1:]}", row and row[3], row and row[4])
            if row and (row[0], row[1]) == (subject, body):
                return stored
            if row is None:
                tx.execute("""INSERT INTO message_templates (cycle, template, subject, body, version, updated_by,
                              updated_at) VALUES (?, ?, ?, ?, 1, ?, now()::TIMESTAMP)""",
                           [cycle, key, subject, body, actor])
            else:
                tx.execute("""UPDATE message_templates SET subject = ?, body = ?, version = version + 1,
                              updated_by = ?, updated_at = now()::TIMESTAMP
                              WHERE cycle = ? AND template = ? AND version = ?""",
                           [subject, body, actor, cycle, key, version])
            audit(tx, actor, "messages.template", "message_template", f"{cycle}/{key}",
                  {"cycle": cycle, "template": key, "version": stored + 1,
                   "before": {"subject": row[0], "body": row[1]} if row else None,
                   "after": {"subject": subject, "body": body}})
    except duckdb.ConstraintException as exc:
        raise ConflictError(f"Someone else saved {label} at the same moment; nothing was saved.") from exc
    return stored + 1


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each known field replaced by its value, in one pass (values are never read as fields)."""
    return FIELD.sub(lambda m: values[m.group(1)] if m.group(1) in values else m.group(0), text)


@dataclass
class YearSettings:
    """What a program year's messages need beyond the templates: the end-of-year survey's address."""

    survey_url: str = ""
    version: int = 0
    updated_by: str | None = None
    updated_at: datetime | None = None


def year_settings(conn: duckdb.DuckDBPyConnection, cycle: str) -> YearSettings:
    """A program year's message settings (version 0: never saved)."""
    row = first(conn.execute("SELECT survey_url, version, updated_by, updated_at FROM message_settings "
                             "WHERE cycle = ?", [cycle]).fetchall())
    return YearSettings(row[0] or "", *row[1:]) if row else YearSettings()


def save_survey_url(conn: duckdb.DuckDBPyConnection, cycle: str, url: str, version: int, actor: str) -> int:
    """Set the end-of-year survey's address of a program year (an https:// or http:// address); the new version."""
    url = (url or "").strip()
    if url and (not re.fullmatch(r"https?://[^\s<>\"]+", url) or len(url) > 500):
        raise ValueError(f"'{url[:80]}' is not a web address: write it like https://forms.gle/...")
    cycles.application_deadline(conn, cycle)
    with writing(conn, f"the {cycle} survey address") as tx:
        row = first(tx.execute("SELECT survey_url, version, updated_by FROM message_settings WHERE cycle = ?",
                               [cycle]).fetchall())
        stored = row[1] if row else 0
        if stored != version:
            raise ConflictError(f"The {cycle} survey address was changed by {row[2] or 'someone'} since you opened "
                                "it; nothing was saved.")
        if row is None:
            tx.execute("""INSERT INTO message_settings (cycle, survey_url, version, updated_by, updated_at)
                          VALUES (?, ?, 1, ?, now()::TIMESTAMP)""", [cycle, url, actor])
        else:
            tx.execute("""UPDATE message_settings SET survey_url = ?, version = version + 1, updated_by = ?,
                          updated_at = now()::TIMESTAMP WHERE cycle = ? AND version = ?""",
                       [url, actor, cycle, version])
        audit(tx, actor, "messages.survey_url", "cycle", cycle,
              {"before": row[0] if row else None, "after": url})
    return stored + 1
