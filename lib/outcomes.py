"""Program outcomes: attendance rates and end-of-year answers as n of N with Wilson intervals."""
from __future__ import annotations

import math

import duckdb

from .db import first

SHORT_LABELS = {"met_goals": "Met career goals", "participate_again": "Would participate again"}

QUESTIONS = {
    "met_goals": "The experience met their career goals",
    "participate_again": "Would participate in this type of program again",
}


def wilson(successes: int, total: int, z: float = 1.959964) -> tuple[float, float] | None:
    """Return the 95% Wilson score interval of a proportion, or None when there are no responses."""
    if total <= 0:
        return None
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def n_of_n(conn: duckdb.DuckDBPyConnection, cycle: str, question: str) -> dict:
    """Return yes-count, responses and interval for one end-of-year question in one cycle."""
    if question not in QUESTIONS:
        raise ValueError(f"Unknown question {question}")
    # The column name comes from the fixed QUESTIONS keys, never from input.
    yes, total = first(conn.execute(
        f"SELECT count(*) FILTER (WHERE {question} = 'yes'), count({question}) FROM outcome_responses WHERE cycle = ?",
        [cycle]).fetchall())
    interval = wilson(yes, total)
    return {"question": question, "label": QUESTIONS[question], "yes": yes, "responses": total,
            "low": interval[0] if interval else None, "high": interval[1] if interval else None}


def attendance_rate(conn: duckdb.DuckDBPyConnection, cycle: str) -> dict:
    """Return present, recorded and the share present over a cycle's final circles."""
    present, recorded = first(conn.execute("""
        SELECT count(*) FILTER (WHERE a.status = 'present'), count(*)
        FROM attendance a JOIN meetings m ON m.id = a.meeting_id WHERE m.cycle = ?""", [cycle]).fetchall())
    return {"present": present, "recorded": recorded, "rate": present / recorded if recorded else None}
