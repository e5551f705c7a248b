"""Peer Mentorship Circle applicants of a cycle in full, and who is eligible, by one rule, explained per applicant.

The rule (computed whenever it is read, so a changed deadline or setting applies at once):

* within the first 3 years in the profession (`settings.eligible_months`, 36) or a library-school student, and
* submitted by the cycle's application deadline (`cycles.application_deadline`, October 1 unless the committee
  changed it; the whole deadline day counts), judged on the person's first submission of the cycle, so an
  applicant who applied in time and corrected the form later is not late, and
* agreed to the participant expectations (in the latest submission).

The latest submission of a person in the cycle is their application. The committee may override the rule for
one applicant, with a reason; who and when are kept, and two people deciding at once cannot overwrite each other.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from .. import cycles
from ..db import ConflictError, audit, first, writing
from ..settings import get_settings

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["application_id", "person_id", "name", "email", "institution_id", "institution", "institution_type",
           "region", "county", "city", "latitude", "longitude", "job_title", "career_stage", "months_in_profession",
           "is_student", "submitted_at", "first_submitted_at", "late", "agreement", "interests", "goals", "format",
           "availability", "comments", "status", "rule_eligible", "eligible", "reasons", "override",
           "override_reason", "override_by", "override_at", "override_version"]

# Why the rule says no, in the order reasons are listed. counts() files an applicant with more than one under
# "several", and anyone the committee declared not eligible under "committee", whatever the rule says.
REASONS = {
    "experience": "more than 3 years in the profession",
    "late": "submitted after the deadline",
    "agreement": "did not agree to the participant expectations",
    "several": "more than one of these",
    "committee": "not eligible by the committee's decision",
}

_APPLICANTS = """
    WITH mine AS (SELECT * FROM applications WHERE cycle = ?),
    latest AS (SELECT * FROM mine
               QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY submitted_at DESC, id DESC) = 1),
    first_in AS (SELECT person_id, min(submitted_at) AS first_submitted_at FROM mine GROUP BY person_id)
    SELECT a.id, a.person_id, coalesce(a.name, p.name) AS name, p.email, a.institution_id,
           coalesce(i.name, a.institution_raw), i.type, coalesce(i.region, c.region), coalesce(i.county, c.county),
           i.city, coalesce(i.latitude, c.latitude), coalesce(i.longitude, c.longitude),
           a.job_title, a.career_stage, a.months_in_profession, a.is_student, a.submitted_at, f.first_submitted_at,
           f.first_submitted_at::DATE > cy.application_deadline, a.agreement, a.interests, a.goals, a.format,
           a.availability, a.comments, a.status,
           o.eligible, o.reason, o.decided_by, o.decided_at, coalesce(o.version, 0), cy.application_deadline
    FROM latest a
    JOIN first_in f ON f.person_id = a.person_id
    JOIN people p ON p.id = a.person_id
    JOIN cycles cy ON cy.name = a.cycle
    LEFT JOIN institutions i ON i.id = a.institution_id
    LEFT JOIN counties c ON c.county_fips = i.county_fips
    LEFT JOIN eligibility_overrides o ON o.cycle = a.cycle AND o.person_id = a.person_id
    ORDER BY name COLLATE noaccent.nocase, p.email
"""


def _experience_reason() -> str:
    """Say 'more than 3 years in the profession' for the configured limit."""
    months = get_settings().eligible_months
    years = f"{months // 12} years" if months % 12 == 0 else f"{months} months"
    return f"more than {years} in the profession"


def _records(conn: duckdb.DuckDBPyConnection, cycle: str) -> list[dict]:
    """Every applicant of a cycle as a dict, with the rule's verdict, its reason keys and texts, and any override."""
    cycles.application_deadline(conn, cycle)  # refuses an unknown cycle
    limit = get_settings().eligible_months
    records = []
    for row in conn.execute(_APPLICANTS, [cycle]).fetchall():
        record = dict(zip(COLUMNS[:26], row[:26]))
        decided, reason, by, at, version, deadline = row[26:]
        months, student = record["months_in_profession"], bool(record["is_student"])
        keys, texts = [], []
        if not (student or (months is not None and months <= limit)):
            keys.append("experience")
            texts.append(_experience_reason() if months is not None else "career stage not known")
        if record["late"]:
            keys.append("late")
            texts.append(f"submitted {cycles.day_label(record['first_submitted_at'], year=False)}, after the "
                         f"{cycles.day_label(deadline, year=False)} deadline")
        if not record["agreement"]:
            keys.append("agreement")
            texts.append(REASONS["agreement"])
        record.update(
            interests=list(record["interests"] or []), availability=list(record["availability"] or []),
            is_student=student, late=bool(record["late"]), agreement=bool(record["agreement"]),
            rule_eligible=not keys, eligible=(not keys) if decided is None else bool(decided), reasons=texts,
            override=decided, override_reason=reason if decided is not None else None,
            override_by=by if decided is not None else None, override_at=at if decided is not None else None,
            override_version=version, _keys=keys)
        records.append(record)
    return records


def applicants(conn: duckdb.DuckDBPyConnection, cycle: str) -> "pd.DataFrame":
    """Return the latest application of each person in a cycle, one row each, with eligibility explained, by name.

    `reasons` lists in plain English why the rule says not eligible (empty when it says eligible); `eligible` is
    the rule's verdict unless the committee overrode it (`override`, with reason, who and when).
    `override_version` is what `override(..., expected_version=...)` expects (0 when never overridden).
    ValueError for a cycle the database does not have.
    """
    import pandas as pd

    records = _records(conn, cycle)
    frame = pd.DataFrame([{name: record[name] for name in COLUMNS} for record in records], columns=COLUMNS)
    return frame.astype({"months_in_profession": "Int64", "institution_id": "Int64", "latitude": "float64",
                         "longitude": "float64", "override_version": "int64"})


def counts(conn: duckdb.DuckDBPyConnection, cycle: str) -> dict:
    """Count a cycle's applicants so the parts add up: eligible + not eligible = applicants.

    `not_eligible_by` splits the not eligible by reason (keys of REASONS): an applicant the committee declared
    not eligible counts under "committee"; otherwise one reason under its own key, several under "several".
    `overrides` counts applicants the committee decided on; of them `made_eligible` were not eligible by the
    rule and `made_not_eligible` were eligible by it. `late` counts every late applicant (some are also
    counted under another reason or made eligible), for the record.
    """
    records = _records(conn, cycle)
    by = dict.fromkeys(("experience", "late", "agreement", "several", "committee"), 0)
    for record in records:
        if record["eligible"]:
            continue
        keys = record["_keys"]
        bucket = "committee" if record["override"] is False else keys[0] if len(keys) == 1 else "several"
        by[bucket] += 1
    eligible = sum(1 for record in records if record["eligible"])
    decided = [record for record in records if record["override"] is not None]
    return {
        "applicants": len(records),
        "eligible": eligible,
        "not_eligible": len(records) - eligible,
        "not_eligible_by": by,
        "overrides": len(decided),
        "made_eligible": sum(1 for r in decided if r["override"] and not r["rule_eligible"]),
        "made_not_eligible": sum(1 for r in decided if not r["override"] and r["rule_eligible"]),
        "late": sum(1 for record in records if record["late"]),
        "deadline": cycles.application_deadline(conn, cycle),
    }


def summary(figures: dict) -> str:
    """Say in one line how counts() add up: '17 eligible + 2 with more than 3 years ... = 20 applicants'."""
    deadline = cycles.day_label(figures["deadline"], year=False)
    labels = {"experience": f"with {_experience_reason()}", "late": f"late (after the {deadline} deadline)",
              "agreement": "who did not agree to the expectations", "several": "not eligible for several reasons",
              "committee": "not eligible by the committee's decision"}
    parts = [f"{figures['eligible']} eligible"] + [f"{n} {labels[key]}" for key, n in figures["not_eligible_by"].items()
                                                   if n]
    text = f"{' + '.join(parts)} = {figures['applicants']} applicant{'s' if figures['applicants'] != 1 else ''}."
    if figures["overrides"]:
        text += (f" The committee decided {figures['overrides']} by hand ({figures['made_eligible']} made eligible, "
                 f"{figures['made_not_eligible']} made not eligible).")
    return text


def person_by_email(conn: duckdb.DuckDBPyConnection, cycle: str, email: str) -> int:
    """Return the person id of a cycle's applicant by email; ValueError when they did not apply that cycle."""
    row = first(conn.execute("""SELECT p.id FROM people p WHERE p.email = lower(trim(?))
                                AND EXISTS (SELECT 1 FROM applications a WHERE a.person_id = p.id AND a.cycle = ?)""",
                             [email, cycle]).fetchall())
    if row is None:
        raise ValueError(f"No application from {email.strip()} in {cycle}")
    return row[0]


def override(conn: duckdb.DuckDBPyConnection, cycle: str, person_id: int, eligible: bool | None, reason: str,
             actor: str, expected_version: int | None = None) -> int:
    """Record (True/False) or clear (None) the committee's eligibility decision for one applicant; return its version.

    A reason is required either way. With `expected_version` (the `override_version` the committee saw), a
    decision someone else changed meanwhile is refused with ConflictError instead of overwritten.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Give a reason for the eligibility decision: it is kept with the decision")
    if not (actor or "").strip():
        raise ValueError("Say who decides")
    cycles.application_deadline(conn, cycle)
    with writing(conn, "this applicant's eligibility"):
        if not first(conn.execute("SELECT 1 FROM applications WHERE cycle = ? AND person_id = ? LIMIT 1",
                                  [cycle, person_id]).fetchall()):
            raise ValueError(f"Person {person_id} did not apply in {cycle}")
        row = first(conn.execute("SELECT eligible, reason, decided_by, version FROM eligibility_overrides"
                                 " WHERE cycle = ? AND person_id = ?", [cycle, person_id]).fetchall())
        current = row[3] if row else 0
        if expected_version is not None and expected_version != current:
            raise ConflictError("Someone else changed this applicant's eligibility meanwhile; look at it again.")
        if eligible is None and (row is None or row[0] is None):
            raise ValueError("There is no override to clear: the rule already decides")
        if row is None:
            conn.execute("""INSERT INTO eligibility_overrides (cycle, person_id, eligible, reason, decided_by,
                            decided_at, version) VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP, 1)""",
                         [cycle, person_id, eligible, reason, actor])
        else:
            conn.execute("""UPDATE eligibility_overrides SET eligible = ?, reason = ?, decided_by = ?,
                            decided_at = now()::TIMESTAMP, version = version + 1
                            WHERE cycle = ? AND person_id = ? AND version = ?""",
                         [eligible, reason, actor, cycle, person_id, current])
        audit(conn, actor, "applications.override" if eligible is not None else "applications.override_cleared",
              "application", f"{cycle}/{person_id}",
              {"cycle": cycle, "person_id": person_id,
               "before": None if row is None else {"eligible": row[0], "reason": row[1], "decided_by": row[2]},
               "after": {"eligible": eligible, "reason": reason}})
    return current + 1
