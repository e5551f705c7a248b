"""The skills taxonomy, and the free-text skills members typed that are proposed for it."""
from __future__ import annotations

import duckdb
from rapidfuzz import fuzz, process

CLOSEST_MIN = 80


def options_with_ids(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    """Map every lowercased skill name and alias to (skill id, skill name); a name wins over an alias."""
    found: dict[str, tuple[int, str]] = {}
    for skill_id, name, aliases in conn.execute(
            "SELECT id, name, aliases FROM skills WHERE NOT proposed ORDER BY id").fetchall():
        found.setdefault(name.lower(), (skill_id, name))
        for alias in aliases or []:
            found.setdefault(alias.lower(), (skill_id, name))
    return found


def options(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Map every lowercased skill name and alias to its skill."""
    return {key: name for key, (_, name) in options_with_ids(conn).items()}


def closest(value: str, known: dict[str, str]) -> str | None:
    """Return the existing skill closest to a typed one, or None when nothing is close."""
    best = process.extractOne(value.lower(), list(known), scorer=fuzz.WRatio)
    return known[best[0]] if best and best[1] >= CLOSEST_MIN else None


def proposals(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str | None]]:
    """List 'other' skills from members' latest answers: (as typed, how many members, closest existing skill)."""
    rows = conn.execute("""
        SELECT skill, count(DISTINCT person_id) FROM (
            SELECT person_id, unnest(other_skills) AS skill FROM survey_responses
            QUALIFY row_number() OVER (PARTITION BY person_id, cycle ORDER BY submitted_at DESC, id DESC) = 1)
        GROUP BY skill ORDER BY count(DISTINCT person_id) DESC, skill""").fetchall()
    known = options(conn)
    return [(skill, members, closest(skill, known)) for skill, members in rows]
