"""Recording the program year: meetings, attendance (grid, rates, at risk, completion), outcomes and cohorts."""
from __future__ import annotations

import csv
from datetime import date, time

import pytest

from lib.db import ConflictError
from lib.imports import batches as imports
from lib.year import attendance, cohorts, meetings, outcomes


def _circle(conn, cycle: str, name: str = "Circle A") -> int:
    """The id of a final circle."""
    return conn.execute("""SELECT c.id FROM circles c JOIN circle_drafts d ON d.id = c.draft_id
                           WHERE d.cycle = ? AND d.status = 'final' AND c.name = ?""", [cycle, name]).fetchall()[0][0]


# ------------------------------------------------------------------------------------------ meetings

def test_every_final_circle_has_its_dated_calendar(demo_conn):
    for cycle in ("2023-24", "2024-25", "2025-26"):
        frame = meetings.of_cycle(demo_conn, cycle)
        per_circle = frame.groupby("circle_id")
        assert all(len(group) == 9 for _, group in per_circle), cycle
        assert frame["held_on"].notna().all()
        orientation = frame[frame["kind"] == "orientation"]
        assert all(pd_month(d) == 10 for d in orientation["held_on"])
        may = frame[(frame["kind"] == "monthly") & (frame["seq"] == 8)]
        assert all(pd_month(d) == 5 for d in may["held_on"])


def pd_month(value) -> int:
    """The month of a date-like value."""
    return value.month


def test_move_cancel_restore_and_add_a_meeting(demo_conn):
    circle_id = _circle(demo_conn, "2025-26")
    frame = meetings.of_cycle(demo_conn, "2025-26", circle_id)
    november = frame[frame["title"] == "Nov"].iloc[0]
    meetings.move(demo_conn, int(november.meeting_id), int(november.version), "chair", date(2025, 11, 25),
                  time(15, 0), note="Thanksgiving week")
    moved = meetings.of_cycle(demo_conn, "2025-26", circle_id).set_index("meeting_id").loc[int(november.meeting_id)]
    assert moved["held_on"].date() == date(2025, 11, 25) and moved["starts_at"] == time(15, 0)
    assert moved["updated_by"] == "chair" and moved["version"] == november.version + 1
    with pytest.raises(ConflictError, match="changed by chair"):
        meetings.move(demo_conn, int(november.meeting_id), int(november.version), "member", date(2025, 11, 20))
    with pytest.raises(ValueError, match="outside the 2025-26 program year"):
        meetings.move(demo_conn, int(november.meeting_id), int(moved["version"]), "chair", date(2027, 1, 1))
    kept = meetings.cancel(demo_conn, int(november.meeting_id), int(moved["version"]), "chair", "snow")
    assert kept > 0  # the marks stay, but no longer count
    counted = attendance.marks(demo_conn, "2025-26")
    assert int(november.meeting_id) not in set(counted["meeting_id"])
    again = meetings.of_cycle(demo_conn, "2025-26", circle_id).set_index("meeting_id").loc[int(november.meeting_id)]
    meetings.cancel(demo_conn, int(november.meeting_id), int(again["version"]), "chair", cancelled=False)
    added = meetings.add(demo_conn, circle_id, date(2026, 6, 2), "chair", minutes=90)
    row = meetings.of_cycle(demo_conn, "2025-26", circle_id).set_index("meeting_id").loc[added]
    assert row["kind"] == "extra" and row["title"] == "Added 1" and row["minutes"] == 90
    actions = [r[0] for r in demo_conn.execute(
        "SELECT action FROM audit_log WHERE entity = 'meeting' ORDER BY id").fetchall()]
    assert actions == ["meeting.move", "meeting.cancel", "meeting.restore", "meeting.add"]


def test_the_calendar_file_follows_moves_and_cancellations(demo_conn):
    from lib.circles import rosters

    circle_id = _circle(demo_conn, "2025-26")
    frame = meetings.of_cycle(demo_conn, "2025-26", circle_id)
    december = frame[frame["title"] == "Dec"].iloc[0]
    before = rosters.roster_file(demo_conn, "2025-26", "ics", circle_id).decode()
    assert before.count("BEGIN:VEVENT") == 9
    meetings.cancel(demo_conn, int(december.meeting_id), int(december.version), "chair")
    meetings.add(demo_conn, circle_id, date(2026, 6, 9), "chair")
    after = rosters.roster_file(demo_conn, "2025-26", "ics", circle_id).decode()
    # The cancelled meeting stays, marked so, for calendars that imported the first file to drop it.
    assert after.count("BEGIN:VEVENT") == 10 and "Added circle meeting" in after
    assert after.count("STATUS:CANCELLED") == 1


# ---------------------------------------------------------------------------------------- attendance

def _set_marks(conn, circle_id: int, person_id: int, statuses: list) -> None:
    """Give one member exactly these marks, meeting by meeting in calendar order (None: not marked)."""
    grid = attendance.grid(conn, circle_id)
    meeting_ids = [int(m) for m in grid.meetings["meeting_id"]]
    statuses = statuses + [None] * (len(meeting_ids) - len(statuses))
    cells = {(person_id, m): (grid.marks.get((person_id, m)), new) for m, new in zip(meeting_ids, statuses)}
    attendance.save(conn, circle_id, {k: v for k, v in cells.items() if v[0] != v[1]}, "chair")


@pytest.mark.parametrize("statuses, ever, at_risk", [
    (["present", "present", "absent", "absent"], True, True),
    (["absent", "absent", "present"], True, False),              # came back: no longer at risk
    (["absent", "excused", "absent"], False, False),             # an excused absence breaks a run
    (["present", "absent", None, "absent"], True, True),         # an unmarked meeting neither breaks nor extends
    (["present", "absent"], False, False),
    ([None, None], False, False),
])
def test_the_at_risk_rule(demo_conn, statuses, ever, at_risk):
    circle_id = _circle(demo_conn, "2025-26")
    person = int(attendance.grid(demo_conn, circle_id).members["person_id"].iloc[0])
    _set_marks(demo_conn, circle_id, person, statuses)
    row = attendance.members(demo_conn, "2025-26").set_index("person_id").loc[person]
    assert (bool(row["missed_two_in_a_row"]), bool(row["at_risk"])) == (ever, at_risk)
    assert row["marked"] == sum(1 for s in statuses if s) and pd_isna(row["completed"])  # May is not marked


def pd_isna(value) -> bool:
    """Tell whether a value is missing."""
    import pandas as pd

    return bool(pd.isna(value))


def test_grid_edit_saves_with_the_editor_and_refuses_a_stale_cell(demo_conn):
    circle_id = _circle(demo_conn, "2025-26", "Circle B")
    grid = attendance.grid(demo_conn, circle_id)
    frame = grid.frame()
    first_member, other = int(frame["person_id"].iloc[0]), int(frame["person_id"].iloc[1])
    frame.loc[0, "Orientation"] = "Present"
    frame.loc[1, "Orientation"] = "Excused"
    cells = attendance.changes(grid, frame)
    orientation = int(grid.meetings.loc[grid.meetings["title"] == "Orientation", "meeting_id"].iloc[0])
    assert cells == {(first_member, orientation): (None, "present"), (other, orientation): (None, "excused")}
    assert attendance.save(demo_conn, circle_id, cells, "chair") == 2
    # A second committee member edited from the same old grid: the cell changed under them.
    late = {(first_member, orientation): (None, "absent")}
    with pytest.raises(ConflictError, match="now Present \\(set by chair\\)"):
        attendance.save(demo_conn, circle_id, late, "member")
    fresh = attendance.grid(demo_conn, circle_id)
    assert fresh.marks[(first_member, orientation)] == "present"
    assert attendance.last_change(demo_conn, circle_id)[0] == "chair"
    # Clearing a cell removes the mark.
    assert attendance.save(demo_conn, circle_id, {(other, orientation): ("excused", None)}, "chair") == 1
    assert (other, orientation) not in attendance.grid(demo_conn, circle_id).marks
    detail = demo_conn.execute("SELECT detail FROM audit_log WHERE action = 'attendance.edit' ORDER BY id").fetchall()
    assert len(detail) == 2 and '"before": null' in detail[0][0]


def test_grid_rejects_a_word_that_is_not_a_mark(demo_conn):
    grid = attendance.grid(demo_conn, _circle(demo_conn, "2025-26"))
    frame = grid.frame()
    frame.loc[0, "Nov"] = "=HYPERLINK(\"x\")"
    with pytest.raises(ValueError, match="is not a mark"):
        attendance.changes(grid, frame)


def test_a_hand_mark_survives_undoing_the_import_it_corrected(demo_conn):
    circle_id = _circle(demo_conn, "2025-26")
    grid = attendance.grid(demo_conn, circle_id)
    person = int(grid.members["person_id"].iloc[0])
    november = int(grid.meetings.loc[grid.meetings["title"] == "Nov", "meeting_id"].iloc[0])
    seen = grid.marks[(person, november)]
    new = "excused" if seen != "excused" else "present"
    attendance.save(demo_conn, circle_id, {(person, november): (seen, new)}, "chair")
    batch = demo_conn.execute("SELECT id FROM import_batches WHERE kind = 'attendance' AND cycle = '2025-26'"
                              ).fetchall()[0][0]
    imports.undo_batch(demo_conn, batch, "chair")
    assert attendance.grid(demo_conn, circle_id).marks == {(person, november): new}


def test_a_member_rate_counts_only_marked_meetings(demo_conn):
    # Four meetings have taken place; two are marked present, one absent, one nobody marked.
    circle_id = _circle(demo_conn, "2025-26")
    grid = attendance.grid(demo_conn, circle_id)
    person, other = (int(p) for p in grid.members["person_id"].iloc[:2])
    _set_marks(demo_conn, circle_id, person, ["present", None, "present", "absent"])
    _set_marks(demo_conn, circle_id, other, ["present", "present", "present", "present"])
    day = date(2026, 1, 5)  # orientation, October, November and December are past
    demo_conn.execute("DELETE FROM attendance WHERE meeting_id IN (SELECT id FROM meetings WHERE circle_id = ? AND "
                      "held_on > ?)", [circle_id, day])
    row = attendance.members(demo_conn, "2025-26", today=day).set_index("person_id").loc[person]
    assert (row["meetings"], row["marked"], row["present"]) == (4, 3, 2)
    assert row["rate"] == pytest.approx(2 / 3)
    circle = attendance.circles(demo_conn, "2025-26", today=day).set_index("circle_id").loc[circle_id]
    assert circle["rate"] == pytest.approx(circle["present"] / circle["marked"])


def test_rates_completion_and_at_risk_of_the_demo(demo_conn):
    first_year = attendance.summary(demo_conn, "2023-24")
    assert first_year.participants == 5 and first_year.completed == 5 and first_year.at_risk == 0
    assert first_year.rate == first_year.present / first_year.marked > 0.9
    per_member = attendance.members(demo_conn, "2025-26")
    for row in per_member.itertuples():
        assert row.present + row.absent + row.excused == row.marked
    risky = per_member[per_member["at_risk"]]
    assert len(risky) >= 1 and not risky["completed"].any()  # the demo's dropout stopped coming
    per_circle = attendance.circles(demo_conn, "2025-26")
    assert per_circle["members"].sum() == attendance.summary(demo_conn, "2025-26").participants
    assert per_circle["present"].sum() == per_member["present"].sum()


def test_figures_before_the_year_is_over(demo_conn):
    # In January, with October to December marked: later meetings do not count and completion is not known.
    demo_conn.execute("""DELETE FROM attendance WHERE meeting_id IN (SELECT id FROM meetings
                         WHERE cycle = '2025-26' AND held_on > DATE '2026-01-05')""")
    early = attendance.summary(demo_conn, "2025-26", today=date(2026, 1, 5))
    assert early.completed is None and early.completion_known == 0 and early.marked > 0
    per_member = attendance.members(demo_conn, "2025-26", today=date(2026, 1, 5))
    assert (per_member["meetings"] == 4).all()  # orientation, October, November, December
    assert meetings.held(demo_conn, "2025-26", today=date(2026, 1, 5)) == 4 * len(attendance.circle_list(
        demo_conn, "2025-26"))


def test_empty_database_has_no_attendance(conn):
    figures = attendance.summary(conn, "2025-26")
    assert (figures.participants, figures.marked, figures.rate, figures.completed) == (0, 0, None, None)
    assert attendance.circles(conn, "2025-26").empty


# ------------------------------------------------------------------------------------------ outcomes

def test_the_first_year_reads_as_published(demo_conn):
    result = outcomes.summary(demo_conn, "2023-24")
    assert result.sentence("met_goals") == ("5 of 5 participants (100%; 95% CI 57-100%) said the experience met "
                                            "their career goals.")
    assert result.sentence("participate_again").startswith("5 of 5 participants (100%; 95% CI 57-100%) said they "
                                                           "would participate")
    assert result.flags == [] and result.response_rate == 1.0
    data = result.as_dict()
    assert data["met_goals"]["ci_low"] == pytest.approx(0.5655, abs=1e-3) and data["met_goals"]["ci_high"] == 1.0


def test_partial_answers_are_shown_not_folded_into_no(demo_conn):
    result = outcomes.summary(demo_conn, "2024-25")
    assert result.met_goals.answers["partially"] >= 1 and result.would_again.answers["maybe"] >= 1
    assert sum(result.met_goals.answers.values()) == result.met_goals.n
    assert "partially" in result.sentence("met_goals") and "maybe" in result.sentence("participate_again")


def _anonymous_copy(demo_exports, tmp_path, cycle: str, shift_minutes: int = 7):
    """The cycle's end-of-year file without emails, each timestamp moved: a second export of the same survey."""
    source = next(demo_exports.glob(f"*end_of_year*{cycle}*"))
    with source.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    email = [i for i, h in enumerate(header) if "email" in h.lower()]
    keep = [i for i in range(len(header)) if i not in email]
    out = tmp_path / f"anonymous-{cycle}.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([header[i] for i in keep])
        for row in rows[1:]:
            stamp = row[0]
            minute = int(stamp.split(":")[1])
            row[0] = stamp.replace(f":{minute:02d}:", f":{(minute + shift_minutes) % 60:02d}:", 1)
            writer.writerow([row[i] for i in keep])
    return out


def test_an_anonymous_copy_is_caught_at_preview_and_flagged_after(demo_conn, demo_exports, tmp_path):
    copy = _anonymous_copy(demo_exports, tmp_path, "2025-26")
    preview = imports.import_file(demo_conn, copy, kind="outcomes", dry_run=True)
    warned = " ".join(w.message for w in preview.warnings if w.row is None)
    assert "participants" in warned and "looks like a copy" in warned
    imports.import_file(demo_conn, copy, kind="outcomes")
    result = outcomes.summary(demo_conn, "2025-26")
    assert result.responses > result.participants
    assert any("More responses" in flag for flag in result.flags)
    assert any("word for word" in flag for flag in result.flags)


def test_a_named_repeat_submission_counts_once(demo_conn):
    before = outcomes.summary(demo_conn, "2025-26")
    person = demo_conn.execute("SELECT person_id, submitted_at FROM outcome_responses WHERE cycle = '2025-26' AND "
                               "person_id IS NOT NULL LIMIT 1").fetchall()[0]
    demo_conn.execute("""INSERT INTO outcome_responses (cycle, person_id, submitted_at, met_goals, participate_again)
                         VALUES ('2025-26', ?, ?::TIMESTAMP + INTERVAL 1 DAY, 'no', 'no')""", list(person))
    after = outcomes.summary(demo_conn, "2025-26")
    assert after.responses == before.responses and after.met_goals.answers["no"] >= 1


def test_breakdowns_hide_groups_under_three(demo_conn):
    table, hidden, anonymous = outcomes.breakdown(demo_conn, "2025-26", "region")
    assert (table["responses"] >= 3).all()
    total = outcomes.summary(demo_conn, "2025-26").responses
    assert table["responses"].sum() + hidden + anonymous == total
    assert hidden > 0  # the demo has thin regions
    with pytest.raises(ValueError):
        outcomes.breakdown(demo_conn, "2025-26", "email")


def test_comments_quoted_only_with_consent(demo_conn):
    quotable = outcomes.comments(demo_conn, "2025-26")
    everyone = outcomes.comments(demo_conn, "2025-26", quotable_only=False)
    assert quotable["consent_to_quote"].all() and len(everyone) > len(quotable)


def test_typed_in_answers_count_and_can_be_removed(demo_conn):
    before = outcomes.summary(demo_conn, "2025-26")
    member = int(attendance.members(demo_conn, "2025-26")["person_id"].iloc[-1])
    response = outcomes.enter(demo_conn, "2025-26", "chair", "partially", "maybe", 3, "José's «notes» =1+1",
                              False, None)
    after = outcomes.summary(demo_conn, "2025-26")
    assert after.responses == before.responses + 1 and after.met_goals.answers["partially"] >= 1
    assert outcomes.entered(demo_conn, "2025-26")["id"].tolist() == [response]
    with pytest.raises(ValueError, match="not in a final circle"):
        outcomes.enter(demo_conn, "2025-26", "chair", "yes", "yes", person_id=999999)
    with pytest.raises(ValueError, match="one of"):
        outcomes.enter(demo_conn, "2025-26", "chair", "sure", "yes")
    outcomes.enter(demo_conn, "2025-26", "chair", "yes", "yes", 5, person_id=member)
    outcomes.remove_entered(demo_conn, response, "chair")
    imported = int(demo_conn.execute("SELECT min(id) FROM outcome_responses WHERE entered_by IS NULL").fetchall()[0][0])
    with pytest.raises(ValueError, match="undo that import"):
        outcomes.remove_entered(demo_conn, imported, "chair")


# ------------------------------------------------------------------------------------------- cohorts

def test_cohorts_side_by_side(demo_conn):
    years = cohorts.side_by_side(demo_conn)
    assert years["cycle"].tolist() == ["2023-24", "2024-25", "2025-26"]
    first = years.iloc[0]
    assert (first["placed"], first["completed"], first["met_goals_yes"], first["met_goals_n"]) == (5, 5, 5, 5)
    assert (years["placed"] <= years["eligible"]).all() and (years["eligible"] <= years["applicants"]).all()


def test_alumni_follow_up_counts_later_years_only(demo_conn):
    cohort = cohorts.alumni_people(demo_conn, "2023-24")
    alum = int(cohort["person_id"].iloc[0])
    email = demo_conn.execute("SELECT email FROM people WHERE id = ?", [alum]).fetchall()[0][0]
    # The alum applies again in 2025-26, answers the 2024-25 directory survey, and facilitates a 2025-26 circle.
    demo_conn.execute("""INSERT INTO applications (person_id, cycle, submitted_at, name)
                         VALUES (?, '2025-26', TIMESTAMP '2025-09-20 10:00:00', 'Alum')""", [alum])
    demo_conn.execute("""INSERT INTO survey_responses (person_id, cycle, submitted_at, consent)
                         VALUES (?, '2024-25', TIMESTAMP '2024-09-20 10:00:00', true)""", [alum])
    demo_conn.execute("INSERT INTO users (username, name, email, password_hash, role) VALUES "
                      "('alum', 'Alum', upper(?), 'x', 'committee')", [email])
    demo_conn.execute("UPDATE circles SET facilitator = 'alum' WHERE id = ?", [_circle(demo_conn, "2025-26")])
    row = cohorts.alumni(demo_conn).set_index("cycle").loc["2023-24"]
    assert (row["joined_directory"], row["applied_again"], row["facilitated"]) == (1, 1, 1)
    person = cohorts.alumni_people(demo_conn, "2023-24").set_index("person_id").loc[alum]
    assert (person["directory_since"], person["applied_again"], person["facilitated"]) == ("2024-25", "2025-26",
                                                                                          "2025-26")
    # The cohort that facilitated in its own year did not do so "later".
    assert cohorts.alumni(demo_conn).set_index("cycle").loc["2025-26", "facilitated"] == 0


def test_cli_attendance_text_and_json(demo_db_file, tmp_path):
    import json
    import os
    import shutil
    import subprocess
    import sys

    path = tmp_path / "cli.duckdb"
    shutil.copy(demo_db_file, path)
    env = dict(os.environ, ALI_DB=str(path))

    def run(*args: str) -> subprocess.CompletedProcess:
        """Run the command line on the copy."""
        return subprocess.run([sys.executable, "-m", "lib", "attendance", *args], capture_output=True, text=True,
                              env=env, timeout=300, check=False)

    body = json.loads(run("--cycle", "2025-26", "--json").stdout)
    assert body["participants"] == 17 and sum(c["members"] for c in body["circles"]) == 17
    assert body["rate"] == pytest.approx(body["present"] / body["marked"])
    assert [m["name"] for m in body["at_risk_members"]] and body["at_risk"] == len(body["at_risk_members"])
    text = run("--cycle", "2023-24").stdout
    assert "Attendance of 2023-24: 98% (39 present of 40 marked" in text and "completed the year: 5 of 5" in text
    unknown = run("--cycle", "2031-32")
    assert unknown.returncode == 2 and "No program year 2031-32" in unknown.stderr
