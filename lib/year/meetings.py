"""A final circle's calendar: the orientation and monthly meetings, moved, cancelled or added by the committee.

Finalising circles (or importing a roster) gives each circle the default calendar of `circles.rosters.schedule`.
Every change is version-checked, so two committee members moving the same meeting cannot overwrite each other,
and audited. A cancelled meeting keeps any attendance marked for it, but no figure counts it.
"""
from __future__ import annotations

from datetime import date, time

import duckdb
import pandas as pd

from .. import cycles
from ..circles.rosters import schedule
from ..db import ConflictError, audit, first, scalar, writing

KINDS = {"orientation": "Orientation", "monthly": "Monthly meeting", "extra": "Added meeting"}
_COLUMNS = ["meeting_id", "circle_id", "circle", "kind", "seq", "month", "held_on", "starts_at", "minutes",
            "cancelled", "note", "version", "updated_by", "updated_at", "title"]


def title(kind: str, seq: int) -> str:
    """How a meeting is named in the grid, calendars and the report: 'Orientation', 'Nov', 'Added 1'."""
    if kind == "orientation":
        return "Orientation"
    if kind == "extra":
        return f"Added {seq}"
    return cycles_month(seq)


def cycles_month(seq: int) -> str:
    """The program month of a monthly meeting: 1 -> 'Oct' ... 8 -> 'May'."""
    return ("Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May")[seq - 1]


def ensure_schedule(conn: duckdb.DuckDBPyConnection, circle_ids: list[int]) -> int:
    """Give final circles the default calendar's missing meetings and dates (inside the caller's transaction).

    Meetings already stored keep their dates; only missing meetings are added and undated ones dated.
    Returns the number of meetings added or dated.
    """
    if not circle_ids:
        return 0
    circles = conn.execute("SELECT id, cycle, meeting_slot FROM circles WHERE id IN (SELECT unnest(?))",
                           [list(circle_ids)]).fetchall()
    rows = [(cid, cycle, m.kind, m.seq, m.month, m.day, m.starts_at, m.minutes)
            for cid, cycle, slot in circles for m in schedule(cycle, slot)]
    frame = pd.DataFrame(rows, columns=["circle_id", "cycle", "kind", "seq", "month", "held_on", "starts_at",
                                        "minutes"])
    conn.register("default_calendar", frame)
    try:
        dated = first(conn.execute("""
            UPDATE meetings m SET held_on = d.held_on, starts_at = coalesce(m.starts_at, d.starts_at)
            FROM default_calendar d
            WHERE m.circle_id = d.circle_id AND m.kind = d.kind AND m.seq = d.seq AND m.held_on IS NULL""").fetchall())
        added = first(conn.execute("""
            INSERT INTO meetings (circle_id, cycle, month, seq, kind, held_on, starts_at, minutes)
            SELECT circle_id, cycle, month, seq, kind, held_on, starts_at, minutes FROM default_calendar d
            WHERE NOT EXISTS (SELECT 1 FROM meetings m WHERE m.circle_id = d.circle_id AND m.kind = d.kind
                              AND m.seq = d.seq)""").fetchall())
    finally:
        conn.unregister("default_calendar")
    return (dated[0] if dated else 0) + (added[0] if added else 0)


def of_cycle(conn: duckdb.DuckDBPyConnection, cycle: str, circle_id: int | None = None) -> pd.DataFrame:
    """Every meeting of a cycle's final circles (or one of them), cancelled ones included, in calendar order."""
    frame = conn.execute("""
        SELECT m.id, m.circle_id, c.name, m.kind, m.seq, m.month, m.held_on, m.starts_at, m.minutes, m.cancelled,
               m.note, m.version, m.updated_by, m.updated_at
        FROM meetings m JOIN circles c ON c.id = m.circle_id JOIN circle_drafts d ON d.id = c.draft_id
        WHERE d.cycle = ? AND d.status = 'final' AND (? IS NULL OR m.circle_id = ?)
        ORDER BY length(c.name), c.name, m.held_on NULLS LAST,
                 CASE m.kind WHEN 'orientation' THEN 0 ELSE 1 END, m.seq""",
                         [cycle, circle_id, circle_id]).df()
    frame.columns = _COLUMNS[:-1]
    frame["title"] = [title(k, s) for k, s in zip(frame["kind"], frame["seq"])]
    return frame


def _row(conn: duckdb.DuckDBPyConnection, meeting_id: int) -> tuple:
    """A meeting's circle, cycle, kind, seq, date, version and cancelled flag, or ValueError."""
    row = first(conn.execute("""SELECT c.name, m.cycle, m.kind, m.seq, m.held_on, m.version, m.cancelled, m.circle_id
                                FROM meetings m JOIN circles c ON c.id = m.circle_id WHERE m.id = ?""",
                             [meeting_id]).fetchall())
    if row is None:
        raise ValueError(f"No meeting {meeting_id}: it may have been deleted with its circles.")
    return row


def _check_date(cycle: str, day: date) -> None:
    """Refuse a date outside the program year (September to June)."""
    start = cycles.parse(cycle)
    if not date(start, 9, 1) <= day <= date(start + 1, 6, 30):
        raise ValueError(f"{day:%B %d, %Y} is outside the {cycle} program year (September {start} to June "
                         f"{start + 1}).")


def _bump(tx: duckdb.DuckDBPyConnection, meeting_id: int, version: int, sets: str, params: list,
          actor: str) -> None:
    """Apply one versioned change to a meeting, or ConflictError when someone changed it since it was read."""
    changed = first(tx.execute(f"""UPDATE meetings SET {sets}, version = version + 1, updated_by = ?,
                                   updated_at = now()::TIMESTAMP WHERE id = ? AND version = ? RETURNING id""",
                               [*params, actor, meeting_id, version]).fetchall())
    if changed is None:
        who = first(tx.execute("SELECT updated_by, updated_at FROM meetings WHERE id = ?", [meeting_id]).fetchall())
        by = f" by {who[0]} at {who[1]:%H:%M}" if who and who[0] and who[1] else ""
        raise ConflictError(f"This meeting was changed{by} since you opened it; nothing was saved. "
                            "Reload to see the change.")


def move(conn: duckdb.DuckDBPyConnection, meeting_id: int, version: int, actor: str, held_on: date,
         starts_at: time | None = None, minutes: int | None = None, note: str | None = None) -> None:
    """Give a meeting a new date (and time, length or note)."""
    name, cycle, kind, seq, before, _, _, _ = _row(conn, meeting_id)
    _check_date(cycle, held_on)
    if minutes is not None and not 15 <= minutes <= 240:
        raise ValueError("A meeting lasts from 15 minutes to 4 hours.")
    with writing(conn, "this meeting") as tx:
        # The SET clause is fixed text; values travel as parameters.
        _bump(tx, meeting_id, version, "held_on = ?, starts_at = coalesce(?, starts_at), "
              "minutes = coalesce(?, minutes), note = coalesce(?, note)",
              [held_on, starts_at, minutes, note or None], actor)
        audit(tx, actor, "meeting.move", "meeting", meeting_id,
              {"circle": name, "cycle": cycle, "meeting": title(kind, seq), "before": before, "after": held_on,
               "starts_at": starts_at, "minutes": minutes, "note": note})


def cancel(conn: duckdb.DuckDBPyConnection, meeting_id: int, version: int, actor: str, note: str = "",
           cancelled: bool = True) -> int:
    """Cancel a meeting (or restore it with cancelled=False); return how many attendance marks it keeps."""
    name, cycle, kind, seq, day, _, was, _ = _row(conn, meeting_id)
    if was == cancelled:
        raise ValueError(f"This meeting is already {'cancelled' if was else 'on the calendar'}.")
    with writing(conn, "this meeting") as tx:
        _bump(tx, meeting_id, version, "cancelled = ?, note = ?", [cancelled, note.strip() or None], actor)
        marks = scalar(tx, "SELECT count(*) FROM attendance WHERE meeting_id = ?", [meeting_id])
        audit(tx, actor, "meeting.cancel" if cancelled else "meeting.restore", "meeting", meeting_id,
              {"circle": name, "cycle": cycle, "meeting": title(kind, seq), "held_on": day, "note": note,
               "attendance_kept": marks, "before": {"cancelled": was}, "after": {"cancelled": cancelled}})
    return marks


def add(conn: duckdb.DuckDBPyConnection, circle_id: int, held_on: date, actor: str, starts_at: time | None = None,
        minutes: int = 60, note: str = "") -> int:
    """Add a meeting to a final circle's calendar; return its id."""
    row = first(conn.execute("""SELECT c.name, d.cycle, d.status, c.meeting_slot FROM circles c
                                JOIN circle_drafts d ON d.id = c.draft_id WHERE c.id = ?""", [circle_id]).fetchall())
    if row is None:
        raise ValueError(f"No circle {circle_id}.")
    name, cycle, status, slot = row
    if status != "final":
        raise ValueError(f"{name} is not a final circle: meetings belong to final circles.")
    _check_date(cycle, held_on)
    if not 15 <= minutes <= 240:
        raise ValueError("A meeting lasts from 15 minutes to 4 hours.")
    starts = starts_at or schedule(cycle, slot)[1].starts_at
    with writing(conn, f"{name}'s calendar") as tx:
        seq = scalar(tx, "SELECT coalesce(max(seq), 0) + 1 FROM meetings WHERE circle_id = ? AND kind = 'extra'",
                     [circle_id])
        meeting_id = scalar(tx, """
            INSERT INTO meetings (circle_id, cycle, month, seq, kind, held_on, starts_at, minutes, note, updated_by,
                                  updated_at)
            VALUES (?, ?, ?, ?, 'extra', ?, ?, ?, ?, ?, now()::TIMESTAMP) RETURNING id""",
                            [circle_id, cycle, f"{held_on:%b}", seq, held_on, starts, minutes, note.strip() or None,
                             actor])
        audit(tx, actor, "meeting.add", "meeting", meeting_id,
              {"circle": name, "cycle": cycle, "before": None,
               "after": {"held_on": held_on, "starts_at": starts, "minutes": minutes}})
    return meeting_id


def held(conn: duckdb.DuckDBPyConnection, cycle: str, today: date | None = None) -> int:
    """How many meetings of a cycle's final circles took place: not cancelled and dated on or before today."""
    today = today or date.today()
    return scalar(conn, """SELECT count(*) FROM meetings m JOIN circles c ON c.id = m.circle_id
                           JOIN circle_drafts d ON d.id = c.draft_id
                           WHERE d.cycle = ? AND d.status = 'final' AND NOT m.cancelled AND m.held_on <= ?""",
                  [cycle, today]) or 0


__all__ = ["KINDS", "ConflictError", "add", "cancel", "ensure_schedule", "held", "move", "of_cycle", "title"]
