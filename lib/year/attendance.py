"""Attendance at circle meetings: the grid the committee edits, and the figures read from it.

Rules, in one place:

* A mark is present, absent or excused. A meeting counts once it is on the calendar (not cancelled) and
  either dated on or before today or already marked.
* Attendance rate = present / marked (excused counts as marked and not present), per member, circle and cycle.
* At risk = the member's last two marked meetings are both absent: the committee hears of it after the second
  missed meeting, while there is still a year to save. "Missed two in a row" also lists those who came back.
* Completed = marked present or excused at the circle's last meeting of the year (May, or the latest not
  cancelled); unknown until that meeting is marked.

Saving the grid is checked cell by cell against what the editor saw, so two committee members marking the same
circle cannot overwrite each other's marks: a cell someone else changed meanwhile is a conflict, named.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from ..db import ConflictError, audit, first, writing
from .meetings import title

STATUSES = ("present", "absent", "excused")
LABELS = {"present": "Present", "absent": "Absent", "excused": "Excused"}
UNMARKED = "—"  # how the grid shows a meeting not marked for a member


@dataclass
class Grid:
    """One circle's members by meetings, as stored."""

    circle_id: int
    circle: str
    cycle: str
    meetings: pd.DataFrame            # meeting_id, title, held_on, kind, seq (not cancelled, calendar order)
    members: pd.DataFrame             # person_id, name, email
    marks: dict[tuple[int, int], str] = field(default_factory=dict)  # (person_id, meeting_id) -> status

    def frame(self) -> pd.DataFrame:
        """Members as rows, meetings as columns (their titles), marks as labels (UNMARKED when not marked)."""
        columns = {int(m): t for m, t in zip(self.meetings["meeting_id"], self.meetings["title"])}
        rows = []
        for person_id, name in zip(self.members["person_id"], self.members["name"]):
            row = {"person_id": int(person_id), "Member": name}
            for meeting_id, heading in columns.items():
                row[heading] = LABELS.get(self.marks.get((int(person_id), meeting_id), ""), UNMARKED)
            rows.append(row)
        return pd.DataFrame(rows, columns=["person_id", "Member", *columns.values()])


def grid(conn: duckdb.DuckDBPyConnection, circle_id: int) -> Grid:
    """The attendance grid of one final circle."""
    row = first(conn.execute("""SELECT c.name, d.cycle FROM circles c JOIN circle_drafts d ON d.id = c.draft_id
                                WHERE c.id = ?""", [circle_id]).fetchall())
    if row is None:
        raise ValueError(f"No circle {circle_id}.")
    meetings = conn.execute("""
        SELECT id AS meeting_id, kind, seq, held_on FROM meetings WHERE circle_id = ? AND NOT cancelled
        ORDER BY held_on NULLS LAST, CASE kind WHEN 'orientation' THEN 0 ELSE 1 END, seq""", [circle_id]).df()
    meetings["title"] = [title(k, s) for k, s in zip(meetings["kind"], meetings["seq"])]
    members = conn.execute("""
        SELECT p.id AS person_id, coalesce(a.name, p.name, p.email) AS name, p.email
        FROM circle_members cm JOIN people p ON p.id = cm.person_id
        LEFT JOIN (SELECT person_id, arg_max(name, submitted_at) AS name FROM applications WHERE cycle = ?
                   GROUP BY person_id) a ON a.person_id = p.id
        WHERE cm.circle_id = ? ORDER BY name, p.email""", [row[1], circle_id]).df()
    marks = {(int(p), int(m)): s for p, m, s in conn.execute("""
        SELECT a.person_id, a.meeting_id, a.status FROM attendance a JOIN meetings m ON m.id = a.meeting_id
        WHERE m.circle_id = ?""", [circle_id]).fetchall()}
    return Grid(circle_id, row[0], row[1], meetings, members, marks)


def circle_list(conn: duckdb.DuckDBPyConnection, cycle: str) -> pd.DataFrame:
    """A cycle's final circles with their member counts and a label for pickers."""
    frame = conn.execute("""
        SELECT c.id AS circle_id, c.name, count(cm.person_id) AS members FROM circles c
        JOIN circle_drafts d ON d.id = c.draft_id LEFT JOIN circle_members cm ON cm.circle_id = c.id
        WHERE d.cycle = ? AND d.status = 'final' GROUP BY c.id, c.name ORDER BY length(c.name), c.name""",
                         [cycle]).df()
    frame["label"] = [f"{n} ({m} members)" for n, m in zip(frame["name"], frame["members"])]
    return frame


def last_change(conn: duckdb.DuckDBPyConnection, circle_id: int) -> tuple | None:
    """(who, when) of the last mark set by hand in a circle, or None."""
    return first(conn.execute("""
        SELECT a.updated_by, a.updated_at FROM attendance a JOIN meetings m ON m.id = a.meeting_id
        WHERE m.circle_id = ? AND a.updated_at IS NOT NULL ORDER BY a.updated_at DESC LIMIT 1""",
                              [circle_id]).fetchall())


def changes(before: Grid, edited: pd.DataFrame) -> dict[tuple[int, int], tuple[str | None, str | None]]:
    """The cells an edited grid frame changes: (person_id, meeting_id) -> (status seen, new status or None)."""
    by_title = {t: int(m) for m, t in zip(before.meetings["meeting_id"], before.meetings["title"])}
    words = {label.lower(): status for status, label in LABELS.items()}
    result = {}
    for record in edited.to_dict("records"):
        person_id = int(record["person_id"])
        for heading, meeting_id in by_title.items():
            text = str(record.get(heading) or "").strip().lower()
            text = "" if text in (UNMARKED, "none", "nan") else text
            new = words.get(text) if text else None
            if text and new is None:
                raise ValueError(f"'{record.get(heading)}' is not a mark: use Present, Absent or Excused.")
            seen = before.marks.get((person_id, meeting_id))
            if new != seen:
                result[(person_id, meeting_id)] = (seen, new)
    return result


def save(conn: duckdb.DuckDBPyConnection, circle_id: int,
         cells: dict[tuple[int, int], tuple[str | None, str | None]], actor: str) -> int:
    """Write changed cells (seen status, new status) in one transaction; return how many changed.

    ConflictError, naming the cells, when any of them no longer holds what the editor saw; nothing is written.
    """
    if not cells:
        return 0
    for _, new in cells.values():
        if new is not None and new not in STATUSES:
            raise ValueError(f"'{new}' is not a mark: use {', '.join(STATUSES)}.")
    current = grid(conn, circle_id)
    names = dict(zip(current.members["person_id"].astype(int), current.members["name"]))
    titles = dict(zip(current.meetings["meeting_id"].astype(int), current.meetings["title"]))
    strangers = [key for key in cells if key[0] not in names or key[1] not in titles]
    if strangers:
        raise ValueError(f"{len(strangers)} marks are not for a member and meeting of {current.circle}: "
                         "the circle changed since it was opened. Reload.")
    with writing(conn, f"{current.circle}'s attendance") as tx:
        stored = {(int(p), int(m)): (s, by, at) for p, m, s, by, at in tx.execute("""
            SELECT a.person_id, a.meeting_id, a.status, a.updated_by, a.updated_at FROM attendance a
            JOIN meetings m ON m.id = a.meeting_id WHERE m.circle_id = ?""", [circle_id]).fetchall()}
        stale = [(key, stored.get(key)) for key, (seen, _) in cells.items()
                 if (stored.get(key) or (None,))[0] != seen]
        if stale:
            described = []
            for (person_id, meeting_id), now in stale[:5]:
                mark = LABELS.get(now[0], "no mark") if now else "no mark"
                who = f" (set by {now[1]})" if now and now[1] else ""
                described.append(f"{names[person_id]}, {titles[meeting_id]}: now {mark}{who}")
            more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
            raise ConflictError("Someone else changed these marks since you opened the grid; nothing was saved: "
                                + "; ".join(described) + more + ". Reload to see their marks, then redo yours.")
        removed = [[m, p] for (p, m), (_, new) in cells.items() if new is None]
        written = [[m, p, new, actor] for (p, m), (_, new) in cells.items() if new is not None]
        if removed:
            tx.executemany("DELETE FROM attendance WHERE meeting_id = ? AND person_id = ?", removed)
        if written:
            tx.executemany("DELETE FROM attendance WHERE meeting_id = ? AND person_id = ?",
                           [row[:2] for row in written])
            # A hand-set mark belongs to no import, so undoing an import never takes it away.
            tx.executemany("""INSERT INTO attendance (meeting_id, person_id, status, updated_by, updated_at)
                              VALUES (?, ?, ?, ?, now()::TIMESTAMP)""", written)
        audit(tx, actor, "attendance.edit", "circle", circle_id,
              {"circle": current.circle, "cycle": current.cycle,
               "cells": [{"member": names[p], "meeting": titles[m], "before": seen, "after": new}
                         for (p, m), (seen, new) in cells.items()]})
    return len(cells)


_MARKS = """
    WITH counted AS (
        SELECT m.id, m.circle_id, m.kind, m.seq, m.held_on FROM meetings m
        JOIN circles c ON c.id = m.circle_id JOIN circle_drafts d ON d.id = c.draft_id
        WHERE d.cycle = ? AND d.status = 'final' AND NOT m.cancelled
          AND (m.held_on <= ? OR EXISTS (SELECT 1 FROM attendance a WHERE a.meeting_id = m.id))),
    marks AS (
        SELECT cm.person_id, c.id AS circle_id, c.name AS circle, coalesce(p.name, p.email) AS name,
               k.id AS meeting_id, k.kind, k.seq, k.held_on, a.status,
               row_number() OVER (PARTITION BY cm.person_id, c.id ORDER BY k.held_on NULLS LAST,
                                  CASE k.kind WHEN 'orientation' THEN 0 ELSE 1 END, k.seq) AS position
        FROM counted k JOIN circles c ON c.id = k.circle_id JOIN circle_members cm ON cm.circle_id = c.id
        JOIN people p ON p.id = cm.person_id
        LEFT JOIN attendance a ON a.meeting_id = k.id AND a.person_id = cm.person_id)
"""


def marks(conn: duckdb.DuckDBPyConnection, cycle: str, today: date | None = None) -> pd.DataFrame:
    """Every member of a cycle's final circles by every meeting that counts, with the mark (None if unmarked)."""
    return conn.execute(_MARKS + "SELECT * FROM marks ORDER BY length(circle), circle, name, position",
                        [cycle, today or date.today()]).df()


def members(conn: duckdb.DuckDBPyConnection, cycle: str, today: date | None = None) -> pd.DataFrame:
    """Per member: circle, present, absent, excused, marked, rate, missed two in a row, at risk, completed."""
    # Streaks run over marked meetings only, so a meeting nobody marked neither breaks nor extends one.
    return conn.execute(_MARKS + """
        , marked AS (
            SELECT person_id, circle_id, status,
                   lag(status) OVER (PARTITION BY person_id, circle_id ORDER BY position) AS before,
                   row_number() OVER (PARTITION BY person_id, circle_id ORDER BY position DESC) AS from_end
            FROM marks WHERE status IS NOT NULL),
        streaks AS (
            SELECT person_id, circle_id, bool_or(status = 'absent' AND before = 'absent') AS ever,
                   count(*) FILTER (WHERE from_end <= 2 AND status = 'absent') = 2 AS at_risk
            FROM marked GROUP BY person_id, circle_id),
        last AS (
            SELECT m.circle_id, arg_max(m.id, m.held_on) AS meeting_id FROM meetings m
            JOIN circles c ON c.id = m.circle_id JOIN circle_drafts d ON d.id = c.draft_id
            WHERE d.cycle = ? AND d.status = 'final' AND NOT m.cancelled AND m.kind <> 'orientation'
            GROUP BY m.circle_id),
        finals AS (
            SELECT k.person_id, k.circle_id, k.status FROM marks k JOIN last l ON l.meeting_id = k.meeting_id)
        SELECT k.person_id, any_value(k.name) AS name, k.circle_id, any_value(k.circle) AS circle,
               count(*) FILTER (WHERE k.status = 'present') AS present,
               count(*) FILTER (WHERE k.status = 'absent') AS absent,
               count(*) FILTER (WHERE k.status = 'excused') AS excused,
               count(k.status) AS marked, count(*) AS meetings,
               CASE WHEN count(k.status) > 0
                    THEN count(*) FILTER (WHERE k.status = 'present') / count(k.status) END AS rate,
               coalesce(any_value(s.ever), false) AS missed_two_in_a_row,
               coalesce(any_value(s.at_risk), false) AS at_risk,
               CASE WHEN any_value(f.status) IS NOT NULL THEN any_value(f.status) IN ('present', 'excused')
                    END AS completed
        FROM marks k
        LEFT JOIN streaks s ON s.person_id = k.person_id AND s.circle_id = k.circle_id
        LEFT JOIN finals f ON f.person_id = k.person_id AND f.circle_id = k.circle_id
        GROUP BY k.person_id, k.circle_id
        ORDER BY length(any_value(k.circle)), any_value(k.circle), any_value(k.name)""",
                        [cycle, today or date.today(), cycle]).df().astype({"completed": "object"})


def circles(conn: duckdb.DuckDBPyConnection, cycle: str, today: date | None = None) -> pd.DataFrame:
    """Per final circle: members, present, marked, rate, members at risk, completed."""
    per = members(conn, cycle, today)
    if per.empty:
        return pd.DataFrame(columns=["circle_id", "circle", "members", "present", "marked", "rate", "at_risk",
                                     "completed"])
    grouped = per.groupby(["circle_id", "circle"], sort=False).agg(
        members=("person_id", "count"), present=("present", "sum"), marked=("marked", "sum"),
        at_risk=("at_risk", "sum"), completed=("completed", lambda s: int(s.fillna(False).astype(bool).sum())))
    grouped = grouped.reset_index()
    grouped["rate"] = [p / m if m else None for p, m in zip(grouped["present"], grouped["marked"])]
    return grouped[["circle_id", "circle", "members", "present", "marked", "rate", "at_risk", "completed"]]


@dataclass
class Summary:
    """A cycle's attendance in figures."""

    cycle: str
    participants: int
    present: int
    marked: int
    excused: int
    at_risk: int
    missed_two_in_a_row: int
    completed: int | None           # None until the circles' last meetings are marked
    completion_known: int

    @property
    def rate(self) -> float | None:
        """Share of marked member-meetings that were present."""
        return self.present / self.marked if self.marked else None

    def as_dict(self) -> dict:
        """The figures as plain values, for JSON."""
        return {"participants": self.participants, "present": self.present, "marked": self.marked,
                "excused": self.excused, "rate": self.rate, "at_risk": self.at_risk,
                "missed_two_in_a_row": self.missed_two_in_a_row, "completed": self.completed,
                "completion_known": self.completion_known}


def summary(conn: duckdb.DuckDBPyConnection, cycle: str, today: date | None = None) -> Summary:
    """A cycle's attendance rate, members at risk and completion."""
    per = members(conn, cycle, today)
    participants = int(first(conn.execute("""
        SELECT count(DISTINCT cm.person_id) FROM circle_members cm JOIN circles c ON c.id = cm.circle_id
        JOIN circle_drafts d ON d.id = c.draft_id WHERE d.cycle = ? AND d.status = 'final'""",
                                          [cycle]).fetchall())[0])
    known = per["completed"].dropna()
    return Summary(cycle, participants, int(per["present"].sum()), int(per["marked"].sum()),
                   int(per["excused"].sum()), int(per["at_risk"].sum()), int(per["missed_two_in_a_row"].sum()),
                   int(known.astype(bool).sum()) if len(known) else None, len(known))
