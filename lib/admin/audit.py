"""Reading the audit log: who did what, when, with the values before and after, filtered for an admin.

Every write in `lib/` records one entry through `lib.db.audit`, inside the transaction it describes, so an
entry exists exactly when the change does. This module only reads them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import duckdb
import pandas as pd

from ..db import scalar


@dataclass(frozen=True)
class Filters:
    """What an admin narrows the log to; None or empty means any."""

    actor: str | None = None
    action: str | None = None        # an exact action, or a family such as "circles" for "circles.*"
    entity: str | None = None
    since: date | None = None
    until: date | None = None        # inclusive: the whole day counts
    text: str | None = None          # found in the entity id or the detail, case-insensitively


def _where(filters: Filters) -> tuple[str, list]:
    """The WHERE clause and its parameters for a set of filters."""
    clauses, params = [], []
    if filters.actor:
        clauses.append("actor = ?")
        params.append(filters.actor)
    if filters.action:
        clauses.append("(action = ? OR starts_with(action, ? || '.'))")
        params += [filters.action, filters.action]
    if filters.entity:
        clauses.append("entity = ?")
        params.append(filters.entity)
    if filters.since:
        clauses.append("happened_at >= ?")
        params.append(datetime.combine(filters.since, time.min))
    if filters.until:
        clauses.append("happened_at < ?")
        params.append(datetime.combine(filters.until + timedelta(days=1), time.min))
    if filters.text and filters.text.strip():
        clauses.append("(contains(lower(coalesce(entity_id, '')), ?) OR contains(lower(coalesce(CAST(detail AS "
                       "VARCHAR), '')), ?))")
        needle = filters.text.strip().lower()
        params += [needle, needle]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def entries(conn: duckdb.DuckDBPyConnection, filters: Filters | None = None, limit: int = 500,
            offset: int = 0) -> pd.DataFrame:
    """Entries matching the filters, newest first: id, happened_at, actor, action, entity, entity_id, detail."""
    where, params = _where(filters or Filters())
    return conn.execute(f"""SELECT id, happened_at, actor, action, entity, entity_id, CAST(detail AS VARCHAR) AS detail
                            FROM audit_log{where} ORDER BY id DESC LIMIT ? OFFSET ?""",
                        [*params, int(limit), int(offset)]).df()


def count(conn: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> int:
    """How many entries match the filters."""
    where, params = _where(filters or Filters())
    return scalar(conn, f"SELECT count(*) FROM audit_log{where}", params) or 0


def choices(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The actors, actions (and their families) and entities the log holds, for filter pickers."""
    def column(sql: str) -> list[str]:
        """One sorted column of distinct values."""
        return [row[0] for row in conn.execute(sql).fetchall()]

    actions = column("SELECT DISTINCT action FROM audit_log ORDER BY 1")
    families = sorted({a.split(".")[0] for a in actions if "." in a} - set(actions))
    return {"actor": column("SELECT DISTINCT actor FROM audit_log ORDER BY 1"),
            "action": sorted(actions + families),
            "entity": column("SELECT DISTINCT entity FROM audit_log WHERE entity IS NOT NULL ORDER BY 1")}


def changes(detail: object) -> list[tuple[str, object, object]]:
    """The (field, before, after) pairs an entry's detail records, wherever it keeps them."""
    if not isinstance(detail, str) or not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return []
    found = []

    def walk(value: object, path: str) -> None:
        """Collect before/after pairs at any depth (a list of cells, a dict per field)."""
        if isinstance(value, dict):
            if "before" in value or "after" in value:
                label = value.get("member") and f"{value.get('member')}, {value.get('meeting')}" or path or "value"
                found.append((label, value.get("before"), value.get("after")))
            for key, inner in value.items():
                if key not in ("before", "after"):
                    walk(inner, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for number, inner in enumerate(value, 1):
                walk(inner, f"{path}[{number}]")

    walk(data, "")
    return found
