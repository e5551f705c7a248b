"""AppTest tests of Meetings and attendance, Outcomes and Annual report: render, edit, save, conflicts, download."""
from __future__ import annotations

import pytest
import streamlit as st

from lib import db
from lib.report import model as report
from lib.year import attendance
from tests.apptest_support import app, open_page, query, texts

CYCLE = "2025-26"


pytestmark = pytest.mark.usefixtures("app_on_demo")  # every test runs the real router on the demo


def page(path: str, **state):
    """A page opened by the chair, with widget state seeded before its first run."""
    at = app("chair")
    for key, value in state.items():
        at.session_state[key] = value
    at = open_page(at, path)
    assert not at.exception, at.exception
    return at


def _grid_state(column: str, value: str, row: int = 0) -> dict:
    """The edit state of the attendance grid: one cell changed."""
    return {"edited_rows": {row: {column: value}}, "added_rows": [], "deleted_rows": []}


# --------------------------------------------------------------------------------- meetings and attendance

@pytest.mark.parametrize("view", ["Attendance", "Record a meeting", "Calendar", "Figures"])
def test_every_attendance_view_renders(view):
    at = page("pages/attendance.py", attendance_view=view)
    shown = texts(at)
    assert "Meetings and attendance" in shown and "At risk" in shown
    assert at.selectbox(key="attendance_circle").value is not None


def test_the_grid_saves_an_edit_with_the_editors_name():
    at = page("pages/attendance.py")
    assert at.data_editor(key="attendance_grid").value.shape[0] >= 4
    at.session_state["attendance_grid"] = _grid_state("Orientation", "Excused")
    at.run()
    save = at.button(key="attendance_save")
    assert save.label == "Save 1 change(s)" and not save.disabled
    save.click().run()
    assert not at.exception, at.exception
    assert "1 mark(s) saved" in texts(at)
    rows = query("SELECT status, updated_by FROM attendance WHERE updated_by IS NOT NULL")
    assert rows == [("excused", "chair")]
    assert query("SELECT count(*) FROM audit_log WHERE action = 'attendance.edit'")[0][0] == 1


def test_unsaved_grid_edits_survive_switching_views():
    at = page("pages/attendance.py")
    at.session_state["attendance_grid"] = _grid_state("Orientation", "Excused")
    at.run()
    at.segmented_control(key="attendance_view").set_value("Calendar").run()
    assert "1 change(s) to this circle's grid are not saved yet" in texts(at)
    at.segmented_control(key="attendance_view").set_value("Attendance").run()
    assert at.button(key="attendance_save").label == "Save 1 change(s)"
    assert at.data_editor(key="attendance_grid").value["Orientation"].iloc[0] == "Excused"


def test_a_cell_someone_else_changed_is_not_overwritten():
    at = page("pages/attendance.py")
    grid = at.data_editor(key="attendance_grid").value
    circle_id = at.selectbox(key="attendance_circle").value
    person = int(grid["person_id"].iloc[0])
    # Another committee member marks the same cell after this page was opened.
    conn = db.connect()
    seen = attendance.grid(conn, circle_id)
    orientation = int(seen.meetings.loc[seen.meetings["title"] == "Orientation", "meeting_id"].iloc[0])
    attendance.save(conn, circle_id, {(person, orientation): (None, "present")}, "member")
    conn.close()
    at.session_state["attendance_grid"] = _grid_state("Orientation", "Absent")
    at.run()
    at.button(key="attendance_save").click().run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Not saved" in shown and "now Present (set by member)" in shown
    assert query("SELECT status, updated_by FROM attendance WHERE meeting_id = ? AND person_id = ?",
                 [orientation, person]) == [("present", "member")]


def test_record_a_meeting_marks_each_member():
    at = page("pages/attendance.py", attendance_view="Record a meeting")
    meeting = at.selectbox(key="record_meeting")
    orientation = next(m for m in meeting.options if m.startswith("Orientation"))
    meeting.select(orientation).run()
    marks = [w for w in at.segmented_control if str(w.key).startswith("mark_")]
    assert len(marks) >= 4
    for widget in marks:
        widget.set_value("Present")
    at.run()
    at.button(key="record_save").click().run()
    assert not at.exception, at.exception
    assert f"{len(marks)} mark(s) saved" in texts(at)
    assert query("SELECT count(*) FROM attendance WHERE status = 'present' AND updated_by = 'chair'")[0][0] == len(marks)


def test_calendar_moves_cancels_and_adds():
    at = page("pages/attendance.py", attendance_view="Calendar")
    move = at.selectbox(key="move_meeting")
    november = next(o for o in move.options if o.startswith("Nov"))
    move.select(november).run()
    from datetime import date
    at.date_input(key="move_date").set_value(date(2025, 11, 25)).run()
    at.text_input(key="move_note").input("Thanksgiving week").run()
    at.button(key="move").click().run()
    assert not at.exception, at.exception
    assert "moved to Tuesday, November 25" in texts(at)
    assert at.button(key="cancel").disabled  # nothing is cancelled without the confirmation
    at.checkbox(key="cancel_confirm").check().run()
    at.button(key="cancel").click().run()
    assert "cancelled" in texts(at)
    at.date_input(key="add_date").set_value(date(2026, 6, 2)).run()
    at.button(key="add").click().run()
    assert "Meeting added on Tuesday, June 2" in texts(at)
    assert query("SELECT count(*) FROM audit_log WHERE entity = 'meeting'")[0][0] == 3


# ------------------------------------------------------------------------------------------------ outcomes

def test_outcomes_show_n_of_n_with_intervals_and_the_report_sentences():
    at = page("pages/outcomes.py")
    shown = texts(at)
    assert "13 of 14" in shown and "95% CI" in shown
    assert "said the experience met their career goals" in shown
    years = next(f.value for f in at.dataframe if "applicants" in f.value.columns)
    assert years["cycle"].tolist() == ["2023-24", "2024-25", "2025-26"]


@pytest.mark.parametrize("by", ["Circle", "Institution type", "Region"])
def test_breakdowns_render_and_say_what_they_hide(by):
    at = page("pages/outcomes.py", outcomes_by=by)
    shown = texts(at)
    assert "Breakdown" in shown
    table = [f for f in at.dataframe if f.key == "outcomes_breakdown"]
    assert not table or (table[0].value["responses"] >= 3).all()


def test_typing_in_an_answer_counts_it():
    at = page("pages/outcomes.py")
    at.radio(key="outcome_goals").set_value("partially")
    at.radio(key="outcome_again").set_value("maybe")
    at.text_area(key="outcome_comments").input("Zoë's circle =1+1 <b>x</b>")
    at.button(key="FormSubmitter:outcome_form-Save answer").click().run()
    assert not at.exception, at.exception
    assert "Answer saved" in texts(at) and "14 of 15" not in texts(at)
    assert query("SELECT met_goals, participate_again, entered_by, comments FROM outcome_responses "
                 "WHERE entered_by IS NOT NULL") == [("partially", "maybe", "chair", "Zoë's circle =1+1 <b>x</b>")]


def test_more_responses_than_participants_is_flagged_on_outcomes_and_overview():
    conn = db.connect()
    conn.execute("""INSERT INTO outcome_responses (cycle, submitted_at, met_goals, participate_again)
                    SELECT '2025-26', TIMESTAMP '2026-06-01 10:00:00' + to_minutes(i), 'yes', 'yes'
                    FROM range(10) t(i)""")
    conn.close()
    assert "More responses (24) than participants (17)" in texts(page("pages/outcomes.py"))
    assert "More responses (24) than participants (17)" in texts(page("pages/overview.py"))


# ---------------------------------------------------------------------------------------------- report

def test_report_page_saves_a_section_and_offers_three_files():
    at = page("pages/report.py")
    shown = texts(at)
    assert "Annual report" in shown and "said the experience met their career goals" in shown
    at.text_area(key="report_highlights").input("José Álvarez's circle met every month.\n- =SUM(A1)").run()
    assert at.button(key="report_save").label == "Save 1 section(s)"
    at.button(key="report_save").click().run()
    assert not at.exception, at.exception
    assert "Saved: Highlights" in texts(at)
    assert query("SELECT body, updated_by FROM report_sections") == [
        ("José Álvarez's circle met every month.\n- =SUM(A1)", "chair")]
    for fmt in ("pdf", "html", "md"):
        assert at.get("download_button")  # the three downloads are drawn
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["PDF for printing", "Web page (HTML)", "Markdown"]


def test_a_section_saved_meanwhile_is_shown_not_overwritten():
    at = page("pages/report.py")
    conn = db.connect()
    report.save_section(conn, CYCLE, "recommendations", "Theirs: recruit facilitators early.", 0, "member")
    conn.close()
    at.text_area(key="report_recommendations").input("Mine: meet every other month.").run()
    at.button(key="report_save").click().run()
    shown = texts(at)
    assert "Not saved" in shown and "Theirs: recruit facilitators early." in [t.value for t in at.text]
    assert at.text_area(key="report_recommendations").value == "Mine: meet every other month."
    at.button(key="report_save").click().run()  # a deliberate second save replaces theirs
    assert query("SELECT body, updated_by FROM report_sections") == [("Mine: meet every other month.", "chair")]


def test_the_overview_outcome_chart_highlights_the_selected_year():
    at = page("pages/overview.py")
    import json

    specs = [json.loads(element.proto.spec) for element in at.get("vega_lite_chart")]
    outcome = next(spec for spec in specs if "layer" in spec and "question" in json.dumps(spec))
    opacity = outcome["layer"][0]["encoding"]["opacity"]
    assert opacity["condition"]["test"] == "(datum.cycle === '2025-26')" and opacity["value"] < 1
