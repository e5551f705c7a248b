"""The rules the committee cares most about, each tested against applicants whose scores pull the other way.

Two colleagues of one institution, or a pair the committee keeps apart, are made each other's best match on
every other criterion; everyone else differs from them on format, interests and career stage. A proposal or a
re-solve that lost the rule on its way to the engine would put the pair in one circle.
"""
from __future__ import annotations

import csv
import io

import pytest

from lib.circles import drafts, edits
from lib.circles.criteria import Options
from lib.demo.applications import APPLICATION_HEADERS
from lib.grouping.model import groups_for
from lib.imports import batches as imports

CYCLE = "2025-26"
BUDGET = dict(seconds=1.0, seed=0, iterations=300)  # a move budget: the same circles on any machine
# The committee weighs interests, format and stage as highly as institutions: the pair's match is strong.
KEEN = {"interests": "essential", "format": "essential", "stage": "essential"}
TWIN_GOALS = "Assessment rubrics for first-year information literacy sessions"


def _row(email: str, name: str, institution: str, stage: str, interests: str, goals: str, fmt: str) -> list[str]:
    """One application as the form exports it."""
    return ["9/15/2025 10:00:00", email, name, institution, "Librarian", stage, interests, goals, fmt,
            "Tuesday afternoon", "I agree", ""]


OTHERS = [  # in person, early career, each with a topic of their own
    ("Zoë Nguyen", "Purdue University", "Leadership development", "Run a department someday"),
    ("Siobhán O'Brien", "Indiana University Bloomington", "Work-life balance", "Boundaries with email"),
    ("Renée Marquez", "Butler University", "Job search and career planning", "Interview practice"),
    ("Liam O'Neil", "DePauw University", "Navigating tenure and promotion", "Dossier writing"),
    ("Maya Chen", "Valparaiso University", "Building a professional network", "Meet peers statewide"),
    ("Noah Rivers", "Vincennes University", "Research and publishing", "Write a first article"),
]


def _load(conn, pair: list[tuple[str, str]]) -> list[int]:
    """Two tempting applicants (name, institution) and six others; returns the pair's person ids."""
    rows = [_row(f"twin{k}@example.edu", name, institution, "2-3 years",
                 "Teaching and instruction, Research and publishing", TWIN_GOALS, "Virtual")
            for k, (name, institution) in enumerate(pair)]
    rows += [_row(f"other{k}@example.edu", name, institution, "Less than 1 year", topic, goals, "In person")
             for k, (name, institution, topic, goals) in enumerate(OTHERS)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(APPLICATION_HEADERS)
    writer.writerows(rows)
    imports.import_bytes(conn, out.getvalue().encode(), "apps.csv")
    ids = dict(conn.execute("SELECT email, id FROM people").fetchall())
    return [ids["twin0@example.edu"], ids["twin1@example.edu"]]


def _apart(draft, a: int, b: int) -> bool:
    """Whether two people are in different circles of a draft (both placed)."""
    ca, cb = draft.circle_of(a), draft.circle_of(b)
    assert ca is not None and cb is not None
    return ca.id != cb.id


def test_two_colleagues_who_match_best_are_put_in_different_circles(conn):
    a, b = _load(conn, [("José Álvarez", "Ball State University"), ("Ana Álvarez", "Ball State University")])
    # Without the institution rule the scores alone put the colleagues together: the temptation is real.
    tempted = drafts.propose(conn, CYCLE, Options(importance={**KEEN, "institution": "very important"}, **BUDGET),
                              "chair")
    assert not _apart(drafts.load(conn, tempted), a, b)
    draft = drafts.load(conn, drafts.propose(conn, CYCLE, Options(importance=KEEN, **BUDGET), "chair"))
    assert _apart(draft, a, b)
    assert not any(" from Ball State University" in w for c in draft.circles for w in c.warnings)
    # Re-solving keeps the rule too.
    edits.resolve(conn, draft.id, draft.version, "chair", seconds=1.0)
    assert _apart(drafts.load(conn, draft.id), a, b)


def test_a_forbidden_pair_the_scores_pull_together_is_kept_apart_in_a_proposal(conn):
    a, b = _load(conn, [("José Álvarez", "Ball State University"), ("Zoë Okafor", "Indiana State University")])
    together = drafts.load(conn, drafts.propose(conn, CYCLE, Options(importance=KEEN, **BUDGET), "chair"))
    assert not _apart(together, a, b)  # the pair's scores alone put them in one circle
    edits.set_pair_rule(conn, CYCLE, "forbidden", a, b, True, "chair")
    draft = drafts.load(conn, drafts.propose(conn, CYCLE, Options(importance=KEEN, **BUDGET), "chair"))
    assert _apart(draft, a, b)
    assert not any("not to be in one circle" in w for c in draft.circles for w in c.warnings)


def test_a_forbidden_pair_is_kept_apart_when_the_draft_is_re_solved(conn):
    a, b = _load(conn, [("José Álvarez", "Ball State University"), ("Zoë Okafor", "Indiana State University")])
    draft = drafts.load(conn, drafts.propose(conn, CYCLE, Options(importance=KEEN, **BUDGET), "chair"))
    assert not _apart(draft, a, b)
    edits.set_pair_rule(conn, CYCLE, "forbidden", a, b, True, "chair")
    edits.resolve(conn, draft.id, draft.version, "chair", seconds=1.0)
    after = drafts.load(conn, draft.id)
    assert _apart(after, a, b)
    assert sorted(m["person_id"] for c in after.circles for m in c.members) == sorted(
        m["person_id"] for c in draft.circles for m in c.members)

@pytest.mark.parametrize("n, lower, upper, count", [
    (10, 3, 5, 3),   # 2.5 groups of the middle size 4: three circles of 3-4, not two of 5
    (18, 3, 5, 5),   # 4.5: five, not four
    (22, 4, 7, 4),   # 4.0 exactly: no tie
    (33, 4, 7, 6),   # 6.0
    (27, 4, 8, 5),   # 4.5: five, not four
])
def test_groups_for_breaks_a_tie_towards_more_smaller_circles(n, lower, upper, count):
    assert groups_for(n, lower, upper) == [(lower, upper)] * count
