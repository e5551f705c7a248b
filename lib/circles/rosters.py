"""What a finalised cycle hands out: rosters (CSV, XLSX), welcome emails and the meeting calendar (.ics)."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from .. import cycles
from ..directory.publication import mailto
from ..exports import safe_cell, to_csv
from .drafts import Draft, final_draft_id, load

FORMATS = ("csv", "xlsx", "ics")
MONTHS = ("Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May")
# Most of Indiana keeps Eastern time; calendar programs shift it for members in the Central-time counties.
ZONE = ZoneInfo("America/Indiana/Indianapolis")
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_DAY_WORDS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
              "sat": "Saturday", "sun": "Sunday", "weekday": "Weekday"}
_PART_WORDS = {"am": "mornings", "pm": "afternoons", "eve": "evenings"}
_STARTS = {"am": time(10, 0), "pm": time(14, 0), "eve": time(18, 0)}
EXPECTATIONS = (
    "attend regularly and participate equitably;",
    'respect confidentiality: what is said in this circle stays confidential;',
    "listen with curiosity and compassion;",
    "abide by the Mentorship Committee's Code of Conduct.",
)


@dataclass(frozen=True)
class Meeting:
    """One meeting of a circle's year."""

    kind: str        # orientation, monthly, extra (added by the committee)
    seq: int         # 0 for the orientation, 1..8 for October..May
    month: str
    day: date
    starts_at: time
    minutes: int
    cancelled: bool = False
    sequence: int = 0                 # how many times it was changed (moved, cancelled, restored): RFC 5545 SEQUENCE
    note: str | None = None           # why it was moved or cancelled
    changed_at: datetime | None = None

    @property
    def title(self) -> str:
        """How the meeting is named in calendars and emails."""
        if self.kind == "extra":
            return "Added circle meeting"
        return "Orientation" if self.kind == "orientation" else f"Circle meeting {self.seq} of 8"


def slot_words(slot: str | None) -> str:
    """'tue-pm' -> 'Tuesday afternoons'; None -> 'to be agreed'."""
    if not slot:
        return "to be agreed"
    day, _, part = slot.partition("-")
    if day in _DAY_WORDS and part in _PART_WORDS:
        return f"{_DAY_WORDS[day]} {_PART_WORDS[part]}"
    return slot.replace("-", " ")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def schedule(cycle: str, slot: str | None) -> list[Meeting]:
    """The default year of a circle: a one-hour orientation in October, then monthly meetings October to May.

    Meetings fall on the circle's common slot (the third such weekday of each month, the orientation on the
    second of October); without a slot, Tuesdays at noon.
    """
    start = cycles.parse(cycle)
    day, _, part = (slot or "").partition("-")
    weekday = _DAYS.get(day, 1)
    starts = _STARTS.get(part, time(12, 0))
    meetings = [Meeting("orientation", 0, "Oct", _nth_weekday(start, 10, weekday, 2), starts, 60)]
    for seq, month in enumerate(MONTHS, 1):
        year, number = (start, 9 + seq) if seq <= 3 else (start + 1, seq - 3)
        meetings.append(Meeting("monthly", seq, month, _nth_weekday(year, number, weekday, 3), starts, 60))
    return meetings


def meetings(conn: duckdb.DuckDBPyConnection, circle_id: int, cycle: str, slot: str | None,
             cancelled: bool = False) -> list[Meeting]:
    """A circle's stored meetings (cancelled ones too when asked), or its default schedule when none are stored."""
    rows = conn.execute("""SELECT kind, seq, month, held_on, starts_at, minutes, cancelled, version, note, updated_at
                           FROM meetings WHERE circle_id = ? AND (? OR NOT cancelled) AND held_on IS NOT NULL
                           ORDER BY held_on, seq""", [circle_id, cancelled]).fetchall()
    if not rows:
        return schedule(cycle, slot)
    return [Meeting(kind, seq, month, held, starts or time(12, 0), minutes or 60, bool(off), max(0, (version or 1) - 1),
                    note, changed)
            for kind, seq, month, held, starts, minutes, off, version, note, changed in rows]


def final(conn: duckdb.DuckDBPyConnection, cycle: str) -> Draft:
    """The cycle's final circles, or ValueError saying none are final yet."""
    draft_id = final_draft_id(conn, cycle)
    if draft_id is None:
        raise ValueError(f"{cycle} has no final circles yet: finalise a draft first.")
    return load(conn, draft_id)


def roster(draft: Draft) -> pd.DataFrame:
    """One row per member: circle, facilitator, meeting time and the member's contact and profile."""
    rows = [{"Circle": c.name, "Facilitator": c.facilitator or "", "Meets": slot_words(c.slot),
             "Name": m["name"], "Email": m.get("email") or "", "Institution": m.get("institution") or "",
             "Job title": m.get("job_title") or "", "Career stage": m.get("career_stage") or "",
             "Format": m.get("format") or "", "Interests": "; ".join(m.get("interests") or [])}
            for c in draft.circles for m in c.members]
    return pd.DataFrame(rows, columns=["Circle", "Facilitator", "Meets", "Name", "Email", "Institution", "Job title",
                                       "Career stage", "Format", "Interests"])


def to_xlsx(frame: pd.DataFrame, title: str) -> bytes:
    """A workbook with a bold frozen header, a filter and readable widths; formulas defused."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(frame.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        sheet.append([safe_cell(value) for value in row])
    for number, column in enumerate(frame.columns, 1):
        longest = max([len(str(column))] + [len(str(v)) for v in frame[column].tolist()])
        sheet.column_dimensions[get_column_letter(number)].width = min(max(10, longest + 2), 60)
        for cell in sheet[get_column_letter(number)][1:]:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _vtimezone():
    """Indiana's time zone as yearly rules (the US rules in force since 2007), which every calendar program reads.

    A list of fixed transition dates (RDATE) is read wrongly by some programs: meetings in daylight-saving time
    then show an hour early.
    """
    from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

    winter, summer = datetime(2007, 1, 15, tzinfo=ZONE), datetime(2007, 7, 15, tzinfo=ZONE)
    zone = Timezone()
    zone.add("tzid", ZONE.key)
    for part, name, begins, rule, before, after in (
            (TimezoneDaylight(), summer.tzname(), datetime(2007, 3, 11, 2, 0), {"freq": "yearly", "bymonth": 3,
                                                                                "byday": "2SU"}, winter, summer),
            (TimezoneStandard(), winter.tzname(), datetime(2007, 11, 4, 2, 0), {"freq": "yearly", "bymonth": 11,
                                                                                "byday": "1SU"}, summer, winter)):
        part.add("tzname", name)
        part.add("dtstart", begins)
        part.add("rrule", rule)
        part.add("tzoffsetfrom", before.utcoffset())
        part.add("tzoffsetto", after.utcoffset())
        zone.add_component(part)
    return zone


def _utc(moment: datetime | None) -> datetime | None:
    """A stored time (naive: the database's local time) in UTC."""
    if moment is None:
        return None
    return moment.astimezone(UTC)


def _when(day: date, starts: time) -> str:
    """'Tuesday, December 16, 2025 at 2:00 PM'."""
    return f"{day:%A, %B} {day.day}, {day.year} at {starts:%I:%M %p}".replace("at 0", "at ")


def _event_description(circle, meeting: Meeting, default: Meeting | None, cycle: str) -> str:
    """What an event says: the circle, why it was cancelled or moved, the facilitator and the members."""
    lines = [f"ALI Peer Mentorship Circles {cycle}: {circle.name}."]
    why = f": {meeting.note}" if meeting.note else ""
    if meeting.cancelled:
        lines.append(f"Cancelled{why}.")
    elif default is not None and (default.day, default.starts_at) != (meeting.day, meeting.starts_at):
        lines.append(f"Moved from {_when(default.day, default.starts_at)}{why}.")
    elif meeting.note:
        lines.append(f"Note: {meeting.note}.")
    if circle.facilitator:
        lines.append(f"Facilitator: {circle.facilitator}.")
    lines.append(f"Members: {', '.join(m['name'] for m in circle.members)}.")
    return "\n".join(lines)


def to_ics(conn: duckdb.DuckDBPyConnection, draft: Draft, circle_id: int | None = None) -> bytes:
    """The calendar of a cycle's circles (or one circle): orientation and monthly meetings, Indiana time.

    Follows RFC 5545 so a calendar that imported an earlier file updates in place: each meeting keeps its UID,
    its SEQUENCE grows with every change, DTSTAMP is when it last changed, and a cancelled meeting stays in the
    file as STATUS:CANCELLED (left out, it would linger in calendars that imported it before).
    """
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Academic Libraries of Indiana//Mentorship dashboard//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"ALI Peer Mentorship Circles {draft.cycle}")
    calendar.add("x-wr-timezone", ZONE.key)
    calendar.add_component(_vtimezone())
    revised = _utc(draft.finalised_at or draft.updated_at or draft.created_at) or datetime.now(UTC)
    slots = dict(conn.execute("SELECT id, meeting_slot FROM circles WHERE draft_id = ?", [draft.id]).fetchall())
    for circle in draft.circles:
        if circle_id is not None and circle.id != circle_id:
            continue
        # A meeting differs from the default calendar it was given at finalising when it was moved.
        defaults = {(m.kind, m.seq): m for m in schedule(draft.cycle, slots.get(circle.id, circle.slot))}
        for meeting in meetings(conn, circle.id, draft.cycle, circle.slot, cancelled=True):
            event = Event()
            begins = datetime.combine(meeting.day, meeting.starts_at, tzinfo=ZONE)
            event.add("uid", f"ali-circle-{circle.id}-{meeting.kind}-{meeting.seq}@ali-mentorship")
            event.add("dtstamp", max(revised, _utc(meeting.changed_at) or revised))
            event.add("sequence", meeting.sequence)
            event.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
            event.add("dtstart", begins)
            event.add("dtend", begins + timedelta(minutes=meeting.minutes))
            event.add("summary", f"{'Cancelled: ' if meeting.cancelled else ''}{circle.name}: {meeting.title} "
                                 f"({draft.cycle})")
            event.add("description", _event_description(circle, meeting, defaults.get((meeting.kind, meeting.seq))
                                                        if meeting.kind != "extra" else None, draft.cycle))
            calendar.add_component(event)
    return calendar.to_ical()


def roster_file(conn: duckdb.DuckDBPyConnection, cycle: str, fmt: str, circle_id: int | None = None) -> bytes:
    """The final circles of a cycle as CSV, XLSX or an .ics calendar."""
    if fmt not in FORMATS:
        raise ValueError(f"Choose a format among {', '.join(FORMATS)}, not '{fmt}'")
    draft = final(conn, cycle)
    if fmt == "ics":
        return to_ics(conn, draft, circle_id)
    frame = roster(draft)
    if circle_id is not None:
        frame = frame[frame["Circle"] == next(c.name for c in draft.circles if c.id == circle_id)]
    return to_csv(frame) if fmt == "csv" else to_xlsx(frame, f"Circles {cycle}")


def file_name(cycle: str, fmt: str) -> str:
    """A download's file name."""
    return f"ali-circles-{cycle}.{fmt}"


def welcome_email(conn: duckdb.DuckDBPyConnection, draft: Draft, circle_id: int) -> dict[str, str]:
    """A welcome email for one circle: to (addresses), subject, body and a mailto link."""
    from urllib.parse import quote

    circle = next(c for c in draft.circles if c.id == circle_id)
    emails = [m["email"] for m in circle.members if m.get("email")]
    first_names = [str(m["name"]).split()[0] for m in circle.members if m.get("name")]
    year = meetings(conn, circle.id, draft.cycle, circle.slot)
    lines = [
        f"Dear {', '.join(first_names[:-1]) + ' and ' + first_names[-1] if len(first_names) > 1 else ''.join(first_names)},",
        "",
        f"Welcome to the ALI Peer Mentorship Circles {draft.cycle}! You are the members of {circle.name}:",
        "",
        *[f"- {m['name']}" + "".join(f", {m[k]}" for k in ("job_title", "institution") if m.get(k))
          + (f" <{m['email']}>" if m.get("email") else "") for m in circle.members],
        "",
    ]
    if circle.shared_interests:
        lines += [f"You share an interest in {', '.join(t for t, _ in circle.shared_interests[:4])}.", ""]
    lines += [f"Your circle meets {slot_words(circle.slot)}, once a month from October through May.", ""]
    lines += ["Dates:"] + [f"- {m.title}: {_when(m.day, m.starts_at)}" for m in year] + [""]
    if circle.facilitator:
        lines += [f"{circle.facilitator} from the Mentorship Committee will facilitate the orientation.", ""]
    lines += ["As agreed in your application, circle members:", *[f"- {e}" for e in EXPECTATIONS], "",
              "We look forward to a good year together.", "", "The ALI Mentorship Committee"]
    subject = f"Welcome to your ALI Peer Mentorship Circle ({circle.name}, {draft.cycle})"
    body = "\n".join(lines)
    link = ("mailto:" + ",".join(mailto(e).removeprefix("mailto:") for e in emails) + "?subject=" + quote(subject) + "&body=" + quote(body)) if emails else ""
    return {"circle": circle.name, "to": ", ".join(emails), "subject": subject, "body": body, "mailto": link}


def welcome_emails(conn: duckdb.DuckDBPyConnection, cycle: str) -> list[dict[str, str]]:
    """The welcome email of every final circle of a cycle."""
    draft = final(conn, cycle)
    return [welcome_email(conn, draft, c.id) for c in draft.circles]
