"""Who hears what: each recipient's actual message of a kind and program year, holding only what they may see.

* `decisions` (once the year's circles are final), to every applicant of the year (latest submission): placed
  members get their own circle (its members and how to reach them, the facilitator, the dates) and its .ics;
  the waitlisted and the not eligible get no one's name or address, the latter the rule's reasons in words.
* `survey`, to the members of the final circles, with the year's survey address.
* `check-in`, about each member at risk (their last two marked meetings missed): to the member, or to their
  circle's facilitator.

No application comment, waitlist note or override reason ever goes into a message. Everything is plain text,
so a name typed with markup or a formula reads as typed.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import duckdb

from .. import cycles
from ..circles import applications
from ..circles import rosters
from ..circles.drafts import Circle, Draft
from ..year import attendance
from . import templates

MEMBER, FACILITATOR = "member", "facilitator"
AUDIENCES = {MEMBER: "the members at risk", FACILITATOR: "their circles' facilitators"}


@dataclass
class Message:
    """One recipient's message, ready to send (or `problem` says why it cannot be)."""

    cycle: str
    kind: str
    template: str
    template_version: int
    person_id: int          # whom the message is about (the recipient, unless it goes to a facilitator)
    audience: str
    to_name: str
    to_email: str
    subject: str
    body: str
    # (file name, .ics bytes); the bytes are None in a preview made without them (attach=False)
    attachments: list[tuple[str, bytes | None]] = field(default_factory=list)
    problem: str | None = None

    @property
    def key(self) -> tuple[str, str, int, str]:
        """What makes a message the same message: program year, kind, the person it is about, the audience."""
        return self.cycle, self.kind, self.person_id, self.audience


def first_name(name: str | None) -> str:
    """The first word of a name ('José Álvarez' -> 'José'), or 'colleague'."""
    words = (name or "").split()
    return words[0] if words else "colleague"


def _when(meeting: rosters.Meeting) -> str:
    """'Tuesday, October 14, 2025 at 12:00 PM (Indiana time)'."""
    clock = f"{meeting.starts_at:%I:%M %p}".lstrip("0")
    return f"{meeting.day:%A, %B} {meeting.day.day}, {meeting.day.year} at {clock} (Indiana time)"


def _one_line(value: object) -> str:
    """A typed value on one line: line breaks and runs of spaces become one space."""
    return " ".join(str(value or "").split())


def _facilitators(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str | None]]:
    """Committee users by username: (display name, email)."""
    return {u: (n, e) for u, n, e in conn.execute("SELECT username, name, email FROM users").fetchall()}


def _facilitator_words(circle: Circle, users: dict) -> str:
    """'Casey Chair <casey@example.org>', or a sentence saying the committee will name one."""
    if not circle.facilitator:
        return "to be named by the committee"
    name, email = users.get(circle.facilitator, (circle.facilitator, None))
    return _one_line(name) + (f" <{email}>" if email else "")


def _member_line(member: dict) -> str:
    """'- Name, job title, institution <email>' for a circle's member list."""
    extra = "".join(f", {_one_line(member[k])}" for k in ("job_title", "institution") if member.get(k))
    return f"- {_one_line(member['name'])}{extra}" + (f" <{member['email']}>" if member.get("email") else "")


class _Builder:
    """Fills a kind's templates for a program year, once per template."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, cycle: str) -> None:
        self.conn, self.cycle = conn, cycle
        self.loaded = {key: templates.load(conn, cycle, key) for key in templates.TEMPLATES}

    def make(self, key: str, person_id: int, audience: str, name: str, email: str | None, values: dict,
             attachments: list | None = None, problem: str | None = None) -> Message:
        """One message from template `key` with these values (the common ones added)."""
        template = self.loaded[key]
        values = {"first_name": first_name(name), "name": _one_line(name), "cycle": self.cycle, **values}
        subject = " ".join(templates.fill(template.subject, values).split())
        body = templates.fill(template.body, values)
        email = (email or "").strip()
        if problem is None and not email:
            problem = "no email address"
        elif problem is None and (email.count("@") != 1 or any(ch in email for ch in " \t\r\n<>,;\"")):
            problem = f"'{_one_line(email)}' is not an email address"
        return Message(self.cycle, templates.TEMPLATES[key].kind, key, template.version, person_id, audience,
                       _one_line(name), email, subject, body, attachments or [], problem)


def final_circles(conn: duckdb.DuckDBPyConnection, cycle: str) -> Draft:
    """The program year's final circles, or ValueError: messages wait for them."""
    cycles.application_deadline(conn, cycle)
    try:
        return rosters.final(conn, cycle)
    except ValueError as exc:
        raise ValueError(f"{cycle} has no final circles yet: the decisions, the survey and the check-ins go out "
                         "once the year's circles are finalised on the Circles page.") from exc


def decisions(conn: duckdb.DuckDBPyConnection, cycle: str, attach: bool = True) -> list[Message]:
    """The decision of every applicant of the year: placed, waitlisted or not eligible (attach: the .ics too)."""
    draft = final_circles(conn, cycle)
    build, users = _Builder(conn, cycle), _facilitators(conn)
    per_circle: dict[int, tuple[dict, list]] = {}
    circle_of = {int(m["person_id"]): c for c in draft.circles for m in c.members}
    out = []
    for record in applications._records(conn, cycle):
        person_id = int(record["person_id"])
        circle = circle_of.get(person_id)
        name, email = record["name"] or record["email"], record["email"]
        if circle is not None:
            if circle.id not in per_circle:
                per_circle[circle.id] = _circle_values(conn, draft, circle, users, attach)
            values, files = per_circle[circle.id]
            out.append(build.make("placed", person_id, MEMBER, name, email, values, files))
        elif record["eligible"]:
            out.append(build.make("waitlisted", person_id, MEMBER, name, email, {}))
        else:
            reasons = record["reasons"] if record["override"] is None else []
            if not reasons:  # the committee decided: its reason is its own, never sent
                reasons = ["the committee reviewed your application and could not offer a place this year"]
            out.append(build.make("not_eligible", person_id, MEMBER, name, email,
                                  {"reasons": "\n".join(f"- {r}" for r in reasons)}))
    return out


def _circle_values(conn: duckdb.DuckDBPyConnection, draft: Draft, circle: Circle, users: dict,
                   attach: bool = True) -> tuple[dict, list]:
    """A circle's fields for the placed template, and its calendar as an attachment (named only, unless attach)."""
    year = rosters.meetings(conn, circle.id, draft.cycle, circle.slot)
    orientation = next((m for m in year if m.kind == "orientation"), None)
    first_monthly = next((m for m in year if m.kind != "orientation"), None)
    values = {
        "circle": _one_line(circle.name), "members": "\n".join(_member_line(m) for m in circle.members),
        "facilitator": _facilitator_words(circle, users), "meeting_time": rosters.slot_words(circle.slot) if circle.slot else "at a time the circle agrees on",
        "orientation": _when(orientation) if orientation else "to be announced",
        "first_meeting": _when(first_monthly) if first_monthly else "to be announced",
        "dates": "\n".join(f"- {m.title}: {_when(m)}" for m in year) or "- to be announced",
        "expectations": "\n".join(f"- {e}" for e in rosters.EXPECTATIONS)}
    slug = "".join(ch if ch.isalnum() else "-" for ch in circle.name.lower()).strip("-") or str(circle.id)
    # The draft is already read: to_ics with it, narrowed to this circle (roster_file would read the whole year
    # again for each circle, and to_ics would walk every circle of the year to find this one).
    # Writing the calendar is most of a preview's time: a preview names it, a send or a draft writes it.
    data = rosters.to_ics(conn, replace(draft, circles=[circle])) if attach else None
    files = [(f"ali-circle-{slug}-{draft.cycle}.ics", data)]
    return values, files


def survey(conn: duckdb.DuckDBPyConnection, cycle: str) -> list[Message]:
    """The end-of-year survey invitation to each member of the year's final circles."""
    draft = final_circles(conn, cycle)
    url = templates.year_settings(conn, cycle).survey_url
    if not url:
        raise ValueError(f"Set the address of the {cycle} end-of-year survey first (on the Messages page, or "
                         f"python -m lib messages survey-url --cycle {cycle} URL): the invitation needs it.")
    build = _Builder(conn, cycle)
    return [build.make("survey", int(m["person_id"]), MEMBER, m["name"], m.get("email"),
                       {"circle": _one_line(c.name), "survey_url": url})
            for c in draft.circles for m in c.members]


def check_in(conn: duckdb.DuckDBPyConnection, cycle: str, audience: str = MEMBER,
             today: date | None = None) -> list[Message]:
    """A check-in about each member at risk: to the member, or to their circle's facilitator."""
    if audience not in AUDIENCES:
        raise ValueError(f"A check-in goes to {' or '.join(AUDIENCES)}, not '{audience}'.")
    draft = final_circles(conn, cycle)
    build, users = _Builder(conn, cycle), _facilitators(conn)
    per = attendance.members(conn, cycle, today)
    risky = per[per["at_risk"].astype(bool)]
    if risky.empty:
        return []
    marks = attendance.marks(conn, cycle, today)
    marks = marks[marks["status"].notna()]
    out = []
    for row in risky.itertuples(index=False):
        circle = next((c for c in draft.circles if c.id == int(row.circle_id)), None)
        member = next((m for m in circle.members if m["person_id"] == int(row.person_id)), None) if circle else None
        if member is None:
            continue
        theirs = marks[(marks["person_id"] == row.person_id) & (marks["circle_id"] == row.circle_id)]
        last = theirs.sort_values("position").tail(2)
        missed = "\n".join(f"- {_meeting_title(k, s)}: {cycles.day_label(d)}" for k, s, d in
                           zip(last["kind"], last["seq"], last["held_on"]))
        values = {"circle": _one_line(circle.name), "missed": missed}
        if audience == MEMBER:
            values["facilitator"] = _facilitator_words(circle, users)
            out.append(build.make("check_in_member", member["person_id"], MEMBER, member["name"],
                                  member.get("email"), values))
            continue
        name, email = users.get(circle.facilitator, (None, None)) if circle.facilitator else (None, None)
        problem = None if circle.facilitator else f"{circle.name} has no facilitator"
        if circle.facilitator and not email:
            problem = f"the facilitator {circle.facilitator} has no email address (Users page)"
        values.update(member=_one_line(member["name"]), member_email=member.get("email") or "no address")
        out.append(build.make("check_in_facilitator", member["person_id"], FACILITATOR,
                              name or circle.facilitator or "facilitator", email, values, problem=problem))
    return out


def _meeting_title(kind: str, seq: int) -> str:
    """'Orientation', 'Nov meeting', 'Added meeting 1'."""
    from ..year.meetings import title

    name = title(kind, int(seq))
    return name if kind == "orientation" else f"{name} meeting" if kind == "monthly" else name


def messages(conn: duckdb.DuckDBPyConnection, cycle: str, kind: str, audience: str = MEMBER,
             today: date | None = None, attach: bool = True) -> list[Message]:
    """Every message of a kind and program year, as each recipient would read it (attach: with the .ics bytes)."""
    templates.of_kind(kind)
    if kind == "decisions":
        return decisions(conn, cycle, attach)
    if kind == "survey":
        return survey(conn, cycle)
    return check_in(conn, cycle, audience, today)
