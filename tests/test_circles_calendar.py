"""The circles' calendar (.ics) as other programs read it: vobject, the `ics` package and dateutil's tzical.

None of them is what writes the file (icalendar does), so a time zone they read differently, a cancelled
meeting they would keep, or a change they would not take as an update shows here.
"""
from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import ics
import pytest
import vobject
from dateutil import tz

from lib.circles import rosters
from lib.year import meetings

CYCLE = "2025-26"
INDIANA = ZoneInfo("America/Indiana/Indianapolis")


def _vobject(text: str) -> dict[str, dict]:
    """UID -> start (aware), status, sequence, stamp and description, as vobject reads them."""
    events = {}
    for event in vobject.readOne(text).vevent_list:
        events[event.uid.value] = {"start": event.dtstart.value, "status": event.status.value,
                                   "sequence": int(event.sequence.value), "stamp": event.dtstamp.value,
                                   "description": event.description.value, "summary": event.summary.value}
    return events


def _ics(text: str) -> dict[str, dict]:
    """UID -> start (aware) and status, as the `ics` package reads them."""
    return {e.uid: {"start": e.begin.datetime, "status": e.status} for e in ics.Calendar(text).events}


def _tzical(text: str) -> dict[str, dict]:
    """UID -> start, with the file's own VTIMEZONE read by dateutil.tz.tzical and the wall time from the file."""
    zone = tz.tzical(io.StringIO(text)).get("America/Indiana/Indianapolis")
    events, uid = {}, None
    for line in text.replace("\r\n ", "").splitlines():
        if line.startswith("UID:"):
            uid = line[4:]
        elif line.startswith("DTSTART;TZID=America/Indiana/Indianapolis:"):
            wall = datetime.strptime(line.rsplit(":", 1)[1], "%Y%m%dT%H%M%S")
            start = wall.replace(tzinfo=zone)
        elif line == "END:VEVENT":
            events[uid] = {"start": start}
    return events


READERS = {"vobject": _vobject, "ics": _ics, "dateutil": _tzical}


def _circle_id(conn) -> int:
    """Circle A of the cycle's final circles."""
    return conn.execute("""SELECT c.id FROM circles c JOIN circle_drafts d ON d.id = c.draft_id
                           WHERE d.cycle = ? AND d.status = 'final' ORDER BY length(c.name), c.name""",
                        [CYCLE]).fetchall()[0][0]


@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_monthly_meeting_of_a_circle_is_at_one_local_time_all_year(demo_conn, reader):
    frame = meetings.of_cycle(demo_conn, CYCLE)
    expected = {str(cid): {(s.hour, s.minute) for s in group["starts_at"]} for cid, group in frame.groupby("circle_id")}
    text = rosters.roster_file(demo_conn, CYCLE, "ics").decode()
    assert "RDATE" not in text and "RRULE:FREQ=YEARLY" in text
    events = READERS[reader](text)
    assert len(events) == len(frame)
    by_circle = defaultdict(set)
    offsets = set()
    for uid, event in events.items():
        start = event["start"]
        assert start.tzinfo is not None, uid
        local = start.astimezone(UTC).astimezone(INDIANA)
        by_circle[uid.split("-")[2]].add((local.hour, local.minute))
        offsets.add(start.astimezone(UTC).hour)
    assert all(len(times) == 1 for times in by_circle.values()), by_circle
    assert dict(by_circle) == expected
    assert len(offsets) >= 2  # daylight-saving and standard time both occur: the test crosses the changes


def test_changes_update_the_calendar_in_place(demo_conn):
    circle_id = _circle_id(demo_conn)
    before = _vobject(rosters.roster_file(demo_conn, CYCLE, "ics", circle_id).decode())
    assert {e["sequence"] for e in before.values()} == {0} and {e["status"] for e in before.values()} == {"CONFIRMED"}
    assert all(e["stamp"].year >= 2024 for e in before.values())  # a real time, not a placeholder
    frame = meetings.of_cycle(demo_conn, CYCLE, circle_id)
    december = frame[frame["title"] == "Dec"].iloc[0]
    january = frame[frame["title"] == "Jan"].iloc[0]
    meetings.move(demo_conn, int(december.meeting_id), int(december.version), "chair", date(2025, 12, 9),
                  note="the library closes early on the 16th")
    meetings.cancel(demo_conn, int(january.meeting_id), int(january.version), "chair", "snow week")
    text = rosters.roster_file(demo_conn, CYCLE, "ics", circle_id).decode()
    after = _vobject(text)
    assert set(after) == set(before)  # stable UIDs; the cancelled meeting is still in the file
    moved = next(e for e in after.values() if e["start"].date() == date(2025, 12, 9))
    assert moved["sequence"] == 1 and moved["status"] == "CONFIRMED"
    assert "Moved from Tuesday, December 16, 2025" in moved["description"]
    assert "the library closes early on the 16th" in moved["description"]
    cancelled = [uid for uid, e in after.items() if e["status"] == "CANCELLED"]
    assert len(cancelled) == 1 and after[cancelled[0]]["sequence"] == 1
    assert "snow week" in after[cancelled[0]]["description"]
    assert _ics(text)[cancelled[0]]["status"] == "CANCELLED"
    unchanged = [uid for uid in after if after[uid]["start"] == before[uid]["start"]
                 and uid not in cancelled]
    assert len(unchanged) == len(after) - 2 and all(after[uid]["sequence"] == 0 for uid in unchanged)
    # Restoring is one more change: the sequence grows again.
    january = meetings.of_cycle(demo_conn, CYCLE, circle_id).set_index("meeting_id").loc[int(january.meeting_id)]
    meetings.cancel(demo_conn, int(january.name), int(january.version), "chair", cancelled=False)
    restored = _vobject(rosters.roster_file(demo_conn, CYCLE, "ics", circle_id).decode())[cancelled[0]]
    assert restored["sequence"] == 2 and restored["status"] == "CONFIRMED"
    assert restored["stamp"] >= after[cancelled[0]]["stamp"]


def test_the_circle_is_named_once_and_email_dates_carry_the_year(demo_conn):
    text = rosters.roster_file(demo_conn, CYCLE, "ics").decode().replace("\r\n ", "")
    assert "Circle Circle" not in text
    draft = rosters.final(demo_conn, CYCLE)
    email = rosters.welcome_email(demo_conn, draft, draft.circles[0].id)
    dates = [line for line in email["body"].splitlines() if line.startswith("- Circle meeting") or
             line.startswith("- Orientation")]
    assert len(dates) == 9
    assert all(", 2025 at " in line or ", 2026 at " in line for line in dates), dates
    assert "Circle Circle" not in email["body"] and "Circle Circle" not in email["subject"]
