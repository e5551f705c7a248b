"""The Skills Directory: each person's latest answer per cycle, what is published, and answers held for review."""
from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

from ..db import ConflictError, audit, first, transaction

# The latest response per person and cycle; earlier ones stay as history.
LATEST_RESPONSES = """
    SELECT * FROM survey_responses
    QUALIFY row_number() OVER (PARTITION BY person_id, cycle ORDER BY submitted_at DESC, id DESC) = 1
"""

# Shown to the public: a member's latest answer of the cycle, with consent, and not held for review (an
# answer the importer flagged is shown once a committee member approved or corrected it).
PUBLIC = "consent AND (held_reason IS NULL OR reviewed_at IS NOT NULL)"
# The same for one cycle (one ? parameter), filtered before the window: far less to sort at scale.
LATEST_OF_CYCLE = """
    SELECT * FROM survey_responses WHERE cycle = ?
    QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY submitted_at DESC, id DESC) = 1
"""
PUBLISHED_RESPONSES = f"SELECT * FROM ({LATEST_OF_CYCLE}) WHERE {PUBLIC}"

# The published directory of a cycle (one ? parameter): what the public sees, and what
# lib.directory.publication writes.
PUBLISHED_DIRECTORY = f"""
    WITH published AS ({PUBLISHED_RESPONSES}),
    skill_lists AS (
        SELECT ps.response_id, list(s.name ORDER BY s.name) AS skills
        FROM person_skills ps JOIN skills s ON s.id = ps.skill_id
        WHERE ps.response_id IN (SELECT id FROM published)
        GROUP BY ps.response_id)
    SELECT p.name, pe.email, coalesce(i.name, p.institution_raw) AS institution, i.region, i.county,
           p.job_title, p.department, p.years_in_profession,
           coalesce(st.skills, []) AS skills, p.other_skills, p.contact_purposes, p.contact_method
    FROM published p
    JOIN people pe ON pe.id = p.person_id
    LEFT JOIN institutions i ON i.id = p.institution_id
    LEFT JOIN skill_lists st ON st.response_id = p.id
    ORDER BY p.name COLLATE noaccent.nocase, pe.email
"""

COLUMNS = ["name", "email", "institution", "region", "county", "job_title", "department",
           "years_in_profession", "skills", "other_skills", "contact_purposes", "contact_method"]


def published_table(conn: duckdb.DuckDBPyConnection, cycle: str) -> pa.Table:
    """Return the published directory of a cycle as an Arrow table, by name (searching is lib.directory.search)."""
    return conn.sql(PUBLISHED_DIRECTORY, params=[cycle]).to_arrow_table()


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Turn a directory table into a DataFrame whose list cells are plain Python lists."""
    lists = [name for name in table.column_names if pa.types.is_list(table.schema.field(name).type)]
    frame = table.drop_columns(lists).to_pandas()
    for name in lists:
        frame[name] = table.column(name).to_pylist()
    return frame[table.column_names]


def published(conn: duckdb.DuckDBPyConnection, cycle: str) -> pd.DataFrame:
    """Return the published directory of a cycle: consenting latest answers not held for review."""
    return to_frame(published_table(conn, cycle))


def counts(conn: duckdb.DuckDBPyConnection, cycle: str) -> dict[str, int]:
    """Count a cycle's respondents, published members, withheld (no consent), held for review and lapsed people."""
    row = first(conn.execute(f"""
        WITH latest AS ({LATEST_RESPONSES})
        SELECT count(*) FILTER (WHERE cycle = ?),
               count(*) FILTER (WHERE cycle = ? AND {PUBLIC}),
               count(*) FILTER (WHERE cycle = ? AND NOT consent),
               count(*) FILTER (WHERE cycle = ? AND consent AND NOT ({PUBLIC})),
               (SELECT count(DISTINCT person_id) FROM latest l WHERE l.cycle < ?
                  AND l.person_id NOT IN (SELECT person_id FROM latest WHERE cycle = ?))
        FROM latest""", [cycle, cycle, cycle, cycle, cycle, cycle]).fetchall())
    return {"respondents": row[0], "published": row[1], "withheld": row[2], "held": row[3], "lapsed": row[4]}


REVIEWABLE_FIELDS = ("name", "job_title", "department", "contact_method")


def held(conn: duckdb.DuckDBPyConnection, cycle: str) -> pd.DataFrame:
    """Return the latest answers of a cycle held for review, with the reason, for the committee."""
    return conn.execute(f"""
        SELECT r.id, r.version, p.email, r.name, r.job_title, r.department, r.contact_method, r.other_skills,
               r.held_reason, r.submitted_at
        FROM ({LATEST_OF_CYCLE}) r JOIN people p ON p.id = r.person_id
        WHERE r.consent AND r.held_reason IS NOT NULL AND r.reviewed_at IS NULL
        ORDER BY r.submitted_at""", [cycle]).df()


def review(conn: duckdb.DuckDBPyConnection, response_id: int, version: int, actor: str,
           corrections: dict[str, str | None] | None = None) -> None:
    """Approve a held answer for publishing, optionally correcting its fields first; refuses a stale version."""
    corrections = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in (corrections or {}).items()}
    unknown = set(corrections) - set(REVIEWABLE_FIELDS)
    if unknown:
        raise ValueError(f"Only {', '.join(REVIEWABLE_FIELDS)} can be corrected, not {', '.join(sorted(unknown))}")
    with transaction(conn):
        row = first(conn.execute(f"SELECT version, {', '.join(REVIEWABLE_FIELDS)} FROM survey_responses WHERE id = ?",
                                 [response_id]).fetchall())
        if row is None:
            raise ValueError(f"No survey answer {response_id}")
        if row[0] != version:
            raise ConflictError("Someone else reviewed or changed this answer meanwhile; look at it again.")
        before = dict(zip(REVIEWABLE_FIELDS, row[1:]))
        changed = {k: v for k, v in corrections.items() if before[k] != v}
        if not {**before, **changed}["name"]:
            raise ValueError("This answer has no name: add the member's name before publishing it")
        # Column names come from REVIEWABLE_FIELDS, never from input; the values are parameters.
        assignments = "".join(f"{name} = ?, " for name in changed)
        conn.execute(f"UPDATE survey_responses SET {assignments}reviewed_by = ?, reviewed_at = now()::TIMESTAMP,"
                     " version = version + 1 WHERE id = ? AND version = ?",
                     [*changed.values(), actor, response_id, version])
        audit(conn, actor, "directory.review", "survey_response", response_id,
              {"before": {k: before[k] for k in changed}, "after": changed})


def coverage(conn: duckdb.DuckDBPyConnection, cycle: str) -> dict[str, int]:
    """Count distinct skills, institutions and counties among a cycle's published members."""
    row = first(conn.execute(f"""
        WITH latest AS ({LATEST_RESPONSES}), published AS (SELECT * FROM latest WHERE cycle = ? AND {PUBLIC})
        SELECT (SELECT count(DISTINCT ps.skill_id) FROM person_skills ps WHERE ps.response_id IN (SELECT id FROM published)),
               count(DISTINCT p.institution_id),
               count(DISTINCT i.county_fips)
        FROM published p LEFT JOIN institutions i ON i.id = p.institution_id""", [cycle]).fetchall())
    return {"skills": row[0], "institutions": row[1], "counties": row[2]}
