"""Several committee members at once: threads sharing one DuckDB connection through cursors, as Streamlit runs them.

No update is lost: every change that was saved is in the database afterwards, and every change that was not is
refused with a message saying why (someone changed the same thing, or saved at the same moment).
"""
from __future__ import annotations

import threading

import pytest

from lib.circles import drafts, edits
from lib.db import ConflictError
from lib.year import attendance

WRITERS = 8


def _final_circle(conn, name: str = "Circle A") -> tuple[int, int]:
    """The draft id and circle id of a final 2025-26 circle."""
    return tuple(conn.execute("""SELECT d.id, c.id FROM circles c JOIN circle_drafts d ON d.id = c.draft_id
                                 WHERE d.cycle = '2025-26' AND d.status = 'final' AND c.name = ?""",
                              [name]).fetchall()[0])


def _run_together(jobs) -> list:
    """Start every job at the same instant in its own thread (each with its own cursor); return their outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def worker(number: int, job) -> None:
        """Wait for the others, then run one job and keep what it returned or raised."""
        barrier.wait()
        try:
            outcomes[number] = job()
        except Exception as exc:  # noqa: BLE001 - every outcome is inspected by the test
            outcomes[number] = exc

    threads = [threading.Thread(target=worker, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _save_with_retries(conn, circle_id: int, cells: dict, actor: str) -> int:
    """Save marks the way a person would: told 'at the same moment', press Save again (the grid is still valid)."""
    for _ in range(20):
        try:
            return attendance.save(conn.cursor(), circle_id, cells, actor)
        except ConflictError as exc:
            if "same moment" not in str(exc):
                raise
    raise AssertionError("never saved")


def test_eight_members_marking_different_cells_at_once_lose_nothing(demo_conn):
    _, circle_id = _final_circle(demo_conn)
    seen = attendance.grid(demo_conn, circle_id)
    members = [int(p) for p in seen.members["person_id"]]
    meetings = [int(m) for m in seen.meetings["meeting_id"]]
    cells = [(p, m) for p in members for m in meetings]
    assert len(cells) >= 5 * WRITERS
    flip = {"present": "excused", "excused": "absent", "absent": "present", None: "present"}
    plans = [{cell: (seen.marks.get(cell), flip[seen.marks.get(cell)]) for cell in cells[i::WRITERS]}
             for i in range(WRITERS)]
    outcomes = _run_together([lambda plan=plan, i=i: _save_with_retries(demo_conn, circle_id, plan, f"writer{i}")
                              for i, plan in enumerate(plans)])
    assert outcomes == [len(plan) for plan in plans], outcomes
    after = attendance.grid(demo_conn, circle_id).marks
    for plan in plans:
        for cell, (_, new) in plan.items():
            assert after[cell] == new
    who = dict(demo_conn.execute("""SELECT a.person_id || '-' || a.meeting_id, a.updated_by FROM attendance a
                                    JOIN meetings m ON m.id = a.meeting_id WHERE m.circle_id = ?""",
                                 [circle_id]).fetchall())
    for i, plan in enumerate(plans):
        assert all(who[f"{p}-{m}"] == f"writer{i}" for p, m in plan)
    assert demo_conn.execute("SELECT count(*) FROM audit_log WHERE action = 'attendance.edit'"
                             ).fetchall()[0][0] == WRITERS


def test_eight_members_marking_the_same_cell_one_wins_the_rest_are_told(demo_conn):
    _, circle_id = _final_circle(demo_conn)
    seen = attendance.grid(demo_conn, circle_id)
    cell = (int(seen.members["person_id"].iloc[0]), int(seen.meetings["meeting_id"].iloc[0]))
    before = seen.marks.get(cell)
    choices = ["present", "absent", "excused"]
    outcomes = _run_together([
        lambda i=i: attendance.save(demo_conn.cursor(), circle_id, {cell: (before, choices[i % 3])}, f"writer{i}")
        for i in range(WRITERS)])
    winners = [i for i, outcome in enumerate(outcomes) if outcome == 1]
    assert len(winners) == 1, outcomes
    for i, outcome in enumerate(outcomes):
        if i not in winners:
            assert isinstance(outcome, ConflictError), outcome
            assert "nothing was saved" in str(outcome) or "now " in str(outcome)
    status, by = demo_conn.execute("SELECT status, updated_by FROM attendance WHERE person_id = ? AND meeting_id = ?",
                                   list(cell)).fetchall()[0]
    assert (status, by) == (choices[winners[0] % 3], f"writer{winners[0]}")


def test_eight_members_renaming_one_circle_from_the_same_version(demo_conn):
    draft_id, circle_id = _final_circle(demo_conn)
    version = drafts.load(demo_conn, draft_id).version
    outcomes = _run_together([
        lambda i=i: edits.rename_circle(demo_conn.cursor(), draft_id, version, circle_id, f"Circle Ω{i}",
                                          f"writer{i}")
        for i in range(WRITERS)])
    winners = [i for i, outcome in enumerate(outcomes) if not isinstance(outcome, Exception)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, ConflictError) for i, o in enumerate(outcomes) if i not in winners)
    draft = drafts.load(demo_conn, draft_id)
    assert draft.version == version + 1
    assert next(c.name for c in draft.circles if c.id == circle_id) == f"Circle Ω{winners[0]}"
    # The others look again and redo their change: every rename lands, one after the other.
    for i in range(WRITERS):
        if i in winners:
            continue
        fresh = drafts.load(demo_conn, draft_id).version
        edits.rename_circle(demo_conn.cursor(), draft_id, fresh, circle_id, f"Circle Ω{i}", f"writer{i}")
    assert drafts.load(demo_conn, draft_id).version == version + WRITERS
    renames = demo_conn.execute("SELECT count(*) FROM audit_log WHERE action LIKE 'circles.rename%'").fetchall()[0][0]
    assert renames == WRITERS


@pytest.mark.parametrize("round_", range(3))
def test_attendance_and_circles_edited_at_once(demo_conn, round_):
    """Sixteen writers at once: eight mark attendance in one circle while eight move members between circles."""
    draft_id, circle_a = _final_circle(demo_conn, "Circle A")
    _, circle_b = _final_circle(demo_conn, "Circle B")
    seen = attendance.grid(demo_conn, circle_b)
    cells = [(int(p), int(m)) for p in seen.members["person_id"] for m in seen.meetings["meeting_id"]]
    plans = [{cell: (seen.marks.get(cell), "excused" if seen.marks.get(cell) != "excused" else "present")
              for cell in cells[i::WRITERS]} for i in range(WRITERS)]
    draft = drafts.load(demo_conn, draft_id)
    movers = [m["person_id"] for m in next(c for c in draft.circles if c.id == circle_a).members][:2]
    jobs = [lambda plan=plan, i=i: _save_with_retries(demo_conn, circle_b, plan, f"marker{i}")
            for i, plan in enumerate(plans)]
    jobs += [lambda i=i: edits.rename_circle(demo_conn.cursor(), draft_id, draft.version, circle_a,
                                               f"Circle A{round_}{i}", f"renamer{i}") for i in range(WRITERS)]
    outcomes = _run_together(jobs)
    assert outcomes[:WRITERS] == [len(plan) for plan in plans]
    renamed = [o for o in outcomes[WRITERS:] if not isinstance(o, Exception)]
    assert len(renamed) == 1 and all(isinstance(o, ConflictError) for o in outcomes[WRITERS:]
                                     if isinstance(o, Exception))
    after = attendance.grid(demo_conn, circle_b).marks
    assert all(after[cell] == new for plan in plans for cell, (_, new) in plan.items())
    assert drafts.load(demo_conn, draft_id).version == draft.version + 1
    assert movers  # circle A kept its members through it all
    assert {m["person_id"] for m in next(c for c in drafts.load(demo_conn, draft_id).circles
                                         if c.id == circle_a).members} >= set(movers)
