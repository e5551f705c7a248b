"""Program years ("cycles") such as 2024-25: naming, dates and which one a date falls in."""
from __future__ import annotations

import re
from datetime import date, datetime

import duckdb

from .db import audit, first, writing
from .settings import get_settings

_CYCLE = re.compile(r"^(\d{4})-(\d{2})$")


def parse(name: str) -> int:
    """Return the fall year of a cycle name like '2024-25', or raise ValueError."""
    match = _CYCLE.match(name.strip()) if isinstance(name, str) else None
    if not match:
        raise ValueError(f"'{name}' is not a program year; write it like 2025-26")
    start = int(match.group(1))
    if (start + 1) % 100 != int(match.group(2)):
        raise ValueError(f"'{name}' is not a program year: the second year must follow the first (e.g. {start}-{(start + 1) % 100:02d})")
    return start


def name_for(start_year: int) -> str:
    """Return the cycle name that starts in the fall of start_year."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def of_date(when: date | datetime) -> str:
    """Return the cycle a date belongs to: September through August."""
    return name_for(when.year if when.month >= 9 else when.year - 1)


def deadline(name: str) -> date:
    """Return the application deadline of a cycle (October 1 by default)."""
    settings = get_settings()
    return date(parse(name), settings.deadline_month, settings.deadline_day)


def ensure(conn: duckdb.DuckDBPyConnection, name: str) -> str:
    """Create the cycle row if missing and return its name."""
    start = parse(name)
    conn.execute(
        "INSERT INTO cycles (name, starts_on, ends_on, application_deadline) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (name) DO NOTHING",
        [name, date(start, 9, 1), date(start + 1, 8, 31), deadline(name)],
    )
    return name


def all_cycles(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Return every cycle in the database, oldest first."""
    return [row[0] for row in conn.execute("SELECT name FROM cycles ORDER BY name").fetchall()]


def current(conn: duckdb.DuckDBPyConnection) -> str | None:
    """Return the newest cycle that has directory answers (else the newest cycle), or None."""
    row = first(conn.execute(
        "SELECT max(cycle) FROM survey_responses"
    ).fetchall())
    if row and row[0]:
        return row[0]
    names = all_cycles(conn)
    return names[-1] if names else None


def day_label(day: date | datetime, year: bool = True) -> str:
    """Write a day the way the committee reads it: 'Oct 1, 2025' (or 'Oct 1')."""
    return f"{day:%b} {day.day}" + (f", {day.year}" if year else "")


def application_deadline(conn: duckdb.DuckDBPyConnection, name: str) -> date:
    """Return the application deadline stored for a cycle; ValueError when the database has no such cycle."""
    parse(name)
    row = first(conn.execute("SELECT application_deadline FROM cycles WHERE name = ?", [name]).fetchall())
    if row is None:
        known = ", ".join(all_cycles(conn)) or "none yet"
        raise ValueError(f"No program year {name} in the database (known: {known})")
    return row[0]


def set_deadline(conn: duckdb.DuckDBPyConnection, cycle: str, date: date, actor: str) -> date:
    """Change a cycle's application deadline (applications submitted on that day are on time); return the old one."""
    # The parameter shadows the date class, named so to read as the command reads: set_deadline(conn, cycle, date).
    when = date.date() if isinstance(date, datetime) else date
    with writing(conn, f"the {cycle} deadline"):
        before = application_deadline(conn, cycle)
        row = first(conn.execute("SELECT starts_on, ends_on FROM cycles WHERE name = ?", [cycle]).fetchall())
        # Responses belong to a cycle by their date (September to August): a deadline outside it fits no one.
        if not row[0] <= when <= row[1]:
            raise ValueError(f"The {cycle} deadline must fall within the program year ({day_label(row[0])} to "
                             f"{day_label(row[1])}), not {day_label(when)}")
        conn.execute("UPDATE cycles SET application_deadline = ? WHERE name = ?", [when, cycle])
        audit(conn, actor, "cycle.deadline", "cycle", cycle, {"before": before, "after": when})
    return before
