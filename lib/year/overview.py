"""Headline figures of a cycle and their trend over all cycles, for the Overview page and `stats`."""
from __future__ import annotations

import duckdb
import pandas as pd

from .. import cycles
from ..circles import applications
from ..db import scalar
from ..directory import coverage, members as directory
from . import outcomes


def headline(conn: duckdb.DuckDBPyConnection, cycle: str) -> dict:
    """Return the headline figures of one cycle."""
    members = directory.counts(conn, cycle)
    cover = directory.coverage(conn, cycle)
    depth = coverage.summary(conn, cycle)
    apps = applications.counts(conn, cycle)
    said = outcomes.summary(conn, cycle)
    circles = scalar(conn, """SELECT count(*) FROM circles c JOIN circle_drafts d ON d.id = c.draft_id
                              WHERE d.cycle = ? AND d.status = 'final'""", [cycle])
    participants = scalar(conn, """SELECT count(DISTINCT m.person_id) FROM circle_members m
                                   JOIN circles c ON c.id = m.circle_id JOIN circle_drafts d ON d.id = c.draft_id
                                   WHERE d.cycle = ? AND d.status = 'final'""", [cycle])
    return {
        "cycle": cycle,
        "directory_published": members["published"],
        "respondents": members["respondents"],
        "withheld": members["withheld"],
        "lapsed": members["lapsed"],
        "skills_3plus": depth["skills_3plus"],
        "thin_skills": depth["thin_skills"],
        "skills_in_taxonomy": depth["skills"],
        "institutions_covered": cover["institutions"],
        "counties_covered": cover["counties"],
        "applicants": apps["applicants"],
        "eligible": apps["eligible"],
        "eligibility": apps,  # the not eligible by reason and the overrides; the parts add up to applicants
        "circles": circles,
        "participants": participants,
        "attendance": outcomes.attendance_rate(conn, cycle),
        "participate_again": _n_of_n(said.would_again),
        "met_goals": _n_of_n(said.met_goals),
        "outcome_flags": said.flags,
    }


def _n_of_n(answer: outcomes.Answer) -> dict:
    """One question's yes of responses and interval, as the Overview and `stats` read them."""
    low, high = answer.interval or (None, None)
    return {"question": answer.question, "label": answer.label, "yes": answer.yes, "responses": answer.n,
            "low": low, "high": high}


def trend(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return one row of headline numbers per cycle, oldest first, for sparklines."""
    rows = []
    for name in cycles.all_cycles(conn):
        figures = headline(conn, name)
        again = figures["participate_again"]
        rows.append({
            "cycle": name,
            "directory_published": figures["directory_published"],
            "skills_3plus": figures["skills_3plus"],
            "thin_skills": figures["thin_skills"],
            "institutions_covered": figures["institutions_covered"],
            "counties_covered": figures["counties_covered"],
            "applicants": figures["applicants"],
            "circles": figures["circles"],
            "attendance_rate": figures["attendance"]["rate"],
            "participate_again_share": again["yes"] / again["responses"] if again["responses"] else None,
            "outcome_flags": len(figures["outcome_flags"]),
        })
        for key in ("participate_again", "met_goals"):
            answer = figures[key]
            rows[-1].update({f"{key}_yes": answer["yes"], f"{key}_responses": answer["responses"],
                             f"{key}_low": answer["low"], f"{key}_high": answer["high"]})
    return pd.DataFrame(rows)


def trend_words(label: str, cycles: list[str], values: list, fmt=lambda v: f"{v:,}") -> str:
    """A figure's trend in words, as a sparkline's text alternative: this year, the change, every year.

    For example "Members in the directory: 241 in 2025-26, up from 222 in 2024-25. By year: 2023-24 196,
    2024-25 222, 2025-26 241." Years without a figure are left out.
    """
    known = [(cycle, value) for cycle, value in zip(cycles, values) if value is not None and not pd.isna(value)]
    if not known:
        return f"{label}: no figure yet."
    last_cycle, last = known[-1]
    words = f"{label}: {fmt(last)} in {last_cycle}"
    if len(known) > 1:
        before_cycle, before = known[-2]
        change = ("up from" if last > before else "down from" if last < before else "the same as")
        words += f", {change} {fmt(before)} in {before_cycle}"
        words += ". By year: " + ", ".join(f"{cycle} {fmt(value)}" for cycle, value in known)
    return words + "."


def stats(conn: duckdb.DuckDBPyConnection) -> dict:
    """Return the database summary printed by `python -m lib stats`."""
    names = cycles.all_cycles(conn)
    current = cycles.current(conn)
    per_cycle = {name: headline(conn, name) for name in names}
    return {
        "people": scalar(conn, "SELECT count(*) FROM people"),
        "current_cycle": current,
        "directory_published": per_cycle[current]["directory_published"] if current else 0,
        "skills": scalar(conn, "SELECT count(*) FROM skills WHERE NOT proposed"),
        "institutions": scalar(conn, "SELECT count(*) FROM institutions"),
        "counties": scalar(conn, "SELECT count(*) FROM counties"),
        "users": scalar(conn, "SELECT count(*) FROM users"),
        "cycles": names,
        "applications": {name: per_cycle[name]["applicants"] for name in names},
        "circles": {name: per_cycle[name]["circles"] for name in names},
        "outcome_responses": {name: per_cycle[name]["participate_again"]["responses"] for name in names},
        "would_participate_again": {
            name: {"yes": per_cycle[name]["participate_again"]["yes"],
                   "of": per_cycle[name]["participate_again"]["responses"]} for name in names},
    }
