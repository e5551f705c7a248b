"""Recording the program year.

Meetings can be moved, cancelled and added by the committee (versioned, with who and when); attendance cells
record who set them; end-of-year answers can be typed in by the committee; the annual report keeps the
free-text sections the committee writes for each cycle. Final circles that came from a roster import get the
default calendar their finalised peers get, so every final circle has dated meetings.
"""
from __future__ import annotations

import duckdb

_DDL = """
ALTER TABLE meetings ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE meetings ADD COLUMN note VARCHAR;
ALTER TABLE meetings ADD COLUMN updated_by VARCHAR;
ALTER TABLE meetings ADD COLUMN updated_at TIMESTAMP;
ALTER TABLE attendance ADD COLUMN updated_by VARCHAR;
ALTER TABLE attendance ADD COLUMN updated_at TIMESTAMP;
ALTER TABLE outcome_responses ADD COLUMN entered_by VARCHAR;
CREATE TABLE report_sections (
    cycle       VARCHAR NOT NULL,
    section     VARCHAR NOT NULL,
    body        VARCHAR NOT NULL DEFAULT '',
    version     INTEGER NOT NULL DEFAULT 1,
    updated_by  VARCHAR,
    updated_at  TIMESTAMP,
    PRIMARY KEY (cycle, section)
);
"""


def apply(conn: duckdb.DuckDBPyConnection) -> None:
    """Add the columns and table, then date the meetings of imported rosters."""
    from lib.year import meetings

    for statement in _DDL.split(";"):
        if statement.strip():
            conn.execute(statement)
    circles = [row[0] for row in conn.execute(
        "SELECT c.id FROM circles c JOIN circle_drafts d ON d.id = c.draft_id WHERE d.status = 'final'").fetchall()]
    meetings.ensure_schedule(conn, circles)
