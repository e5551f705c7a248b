"""The program's cohorts side by side, and what became of past participants (alumni follow-up)."""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from .. import cycles
from ..circles import applications
from . import attendance, outcomes

COLUMNS = ["cycle", "applicants", "eligible", "placed", "circles", "completed", "attendance_rate", "responses",
           "met_goals_yes", "met_goals_n", "met_goals_low", "met_goals_high", "would_again_yes", "would_again_n",
           "would_again_low", "would_again_high", "flags"]


def side_by_side(conn: duckdb.DuckDBPyConnection, today: date | None = None,
                 up_to: str | None = None) -> pd.DataFrame:
    """One row per cycle (up to `up_to` when given), oldest first: applicants, eligible, placed, completed,
    attendance and both outcomes."""
    rows = []
    for cycle in cycles.all_cycles(conn):
        if up_to is not None and cycle > up_to:
            continue  # a report on an earlier year never shows the later ones: not worth computing
        apps = applications.counts(conn, cycle)
        seen = attendance.summary(conn, cycle, today)
        result = outcomes.summary(conn, cycle)
        circles = conn.execute("""SELECT count(*) FROM circles c JOIN circle_drafts d ON d.id = c.draft_id
                                  WHERE d.cycle = ? AND d.status = 'final'""", [cycle]).fetchall()[0][0]
        row = {"cycle": cycle, "applicants": apps["applicants"], "eligible": apps["eligible"],
               "placed": seen.participants, "circles": circles, "completed": seen.completed,
               "attendance_rate": seen.rate, "responses": result.responses, "flags": len(result.flags)}
        for key, answer in (("met_goals", result.met_goals), ("would_again", result.would_again)):
            low, high = answer.interval or (None, None)
            row.update({f"{key}_yes": answer.yes, f"{key}_n": answer.n, f"{key}_low": low, f"{key}_high": high})
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def alumni(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per cohort: participants, and how many later joined the Skills Directory, applied again, or facilitated.

    "Later" means in a later program year. Facilitating is matched through a committee account's email.
    """
    return conn.execute("""
        WITH cohort AS (
            SELECT DISTINCT d.cycle, cm.person_id, p.email FROM circle_members cm
            JOIN circles c ON c.id = cm.circle_id JOIN circle_drafts d ON d.id = c.draft_id
            JOIN people p ON p.id = cm.person_id WHERE d.status = 'final'),
        facilitators AS (
            SELECT DISTINCT d.cycle, lower(u.email) AS email FROM circles c
            JOIN circle_drafts d ON d.id = c.draft_id JOIN users u ON u.username = c.facilitator
            WHERE d.status = 'final' AND u.email IS NOT NULL)
        SELECT k.cycle, count(*) AS participants,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM survey_responses s WHERE s.person_id = k.person_id
                                             AND s.cycle > k.cycle AND s.consent)) AS joined_directory,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM applications a WHERE a.person_id = k.person_id
                                             AND a.cycle > k.cycle)) AS applied_again,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM facilitators f WHERE f.email = lower(k.email)
                                             AND f.cycle > k.cycle)) AS facilitated,
               (SELECT count(*) FROM cycles y WHERE y.name > k.cycle) AS later_years
        FROM cohort k GROUP BY k.cycle ORDER BY k.cycle""").df()


def alumni_people(conn: duckdb.DuckDBPyConnection, cycle: str) -> pd.DataFrame:
    """One cohort's participants and what each did later (confidential: committee pages only)."""
    return conn.execute("""
        SELECT DISTINCT p.id AS person_id, coalesce(p.name, p.email) AS name, c.name AS circle,
               (SELECT min(s.cycle) FROM survey_responses s WHERE s.person_id = p.id AND s.cycle > d.cycle
                AND s.consent) AS directory_since,
               (SELECT string_agg(DISTINCT a.cycle, ', ' ORDER BY a.cycle) FROM applications a
                WHERE a.person_id = p.id AND a.cycle > d.cycle) AS applied_again,
               (SELECT string_agg(DISTINCT d2.cycle, ', ' ORDER BY d2.cycle) FROM circles c2
                JOIN circle_drafts d2 ON d2.id = c2.draft_id JOIN users u ON u.username = c2.facilitator
                WHERE d2.status = 'final' AND d2.cycle > d.cycle AND lower(u.email) = lower(p.email)) AS facilitated
        FROM circle_members cm JOIN circles c ON c.id = cm.circle_id JOIN circle_drafts d ON d.id = c.draft_id
        JOIN people p ON p.id = cm.person_id
        WHERE d.cycle = ? AND d.status = 'final' ORDER BY name""", [cycle]).df()
