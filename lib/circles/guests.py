"""The Skills Directory as a resource for circles: published members whose skills fit what a circle wants to discuss."""
from __future__ import annotations

import duckdb

from .. import cycles
from ..directory import search
from .drafts import Circle

TOPICS_PER_CIRCLE = 4


def topics(circle: Circle) -> list[str]:
    """What a circle wants to discuss: its shared interests first, then any member's, most common first."""
    shared = [topic for topic, _ in circle.shared_interests]
    counts: dict[str, int] = {}
    for member in circle.members:
        for topic in member.get("interests") or []:
            counts[topic] = counts.get(topic, 0) + 1
    rest = sorted((t for t in counts if t not in shared), key=lambda t: (-counts[t], t))
    return (shared + rest)[:TOPICS_PER_CIRCLE]


def suggest(conn: duckdb.DuckDBPyConnection, circle: Circle, limit: int = 3,
            directory_cycle: str | None = None) -> list[dict]:
    """Published directory members outside the circle whose skills match its topics, best first.

    Only what the published directory shows is used (consenting, approved members and their published
    fields), so a suggestion can be passed on to the circle as is.
    """
    return suggest_for(conn, topics(circle), [m["person_id"] for m in circle.members], limit, directory_cycle)


def suggest_for(conn: duckdb.DuckDBPyConnection, wanted: list[str], member_ids: list[int], limit: int = 3,
                directory_cycle: str | None = None) -> list[dict]:
    """Published directory members, not among member_ids, whose skills match the wanted topics, best first."""
    directory_cycle = directory_cycle or cycles.current(conn)
    if not directory_cycle or not wanted:
        return []
    members = set(member_ids)
    found: dict[int, dict] = {}
    for topic in wanted:
        table, _ = search.search(conn, directory_cycle, topic, limit=10)
        for row in table.to_pylist():
            if row["person_id"] in members or not (row.get("matched_skills") or row.get("matched_other")):
                continue
            entry = found.setdefault(row["person_id"], {
                "person_id": row["person_id"], "name": row["name"], "email": row.get("email"),
                "institution": row.get("institution"), "job_title": row.get("job_title"),
                "open_to": row.get("open_to") or [], "skills": [], "topics": [], "score": 0.0})
            entry["topics"].append(topic)
            entry["skills"] += [s for s in (row.get("matched_skills") or []) + (row.get("matched_other") or [])
                                if s not in entry["skills"]]
            entry["score"] += float(row.get("score") or 0)
    ranked = sorted(found.values(), key=lambda e: (-len(e["topics"]), -e["score"], str(e["name"]).lower()))
    return ranked[:limit]
