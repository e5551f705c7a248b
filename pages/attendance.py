"""Meetings and attendance: each final circle's calendar and its members' marks, who is at risk, who stayed."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
from datetime import time

import pandas as pd
import streamlit as st

from lib import exports
from lib.circles import rosters
from lib.report import charts
from lib.year import attendance, meetings
from ui import cache, changes, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_committee("Meetings and attendance")
st.title("Meetings and attendance")
conn = cache.cursor()
version = cache.data_version(conn)
cycle = session.selected_cycle()
if cycle is None:
    st.info("No program year yet: import applications and form circles first.", icon=":material/info:")
    st.stop()

VIEWS = ("Attendance", "Record a meeting", "Calendar", "Figures")
NOTICE, RESET, SEEN = "attendance_notice", "attendance_reset", "attendance_seen"
PENDING = "attendance_pending"  # grid edits not saved yet, kept while the grid is not on screen
changes.resume(RESET)
st.caption(f"Program year {cycle}. Attendance is confidential to the committee. Marks are saved with your name; "
           "a mark someone else changed since you opened the page is never overwritten: you are told which.")
changes.notice(NOTICE)

circle_list = cache.attendance_circles(cycle, version)
if circle_list.empty:
    st.info(f"{cycle} has no final circles yet. Finalise a draft on the Circles page (or import a roster): each "
            "circle then gets its calendar, an orientation in October and monthly meetings to May.",
            icon=":material/info:")
    st.stop()


def _done(message: str, forget: tuple[str, ...] = ()) -> None:
    """After a change: forget cached reads, what this session saw and the given widgets; keep the message."""
    changes.done(message, RESET, NOTICE, (SEEN, PENDING, "attendance_grid", *_marks_keys(), *forget))


def _marks_keys() -> list[str]:
    """The per-member mark widgets of the 'Record a meeting' view."""
    return [key for key in st.session_state if str(key).startswith("mark_")]


figures = cache.attendance_summary(cycle, version)
cols = st.columns(4)
cols[0].metric("Attendance", "—" if figures.rate is None else f"{figures.rate:.0%}", border=True,
               help=f"{figures.present:,} present of {figures.marked:,} marked member-meetings "
                    f"({figures.excused:,} excused count as marked, not present).")
cols[1].metric("At risk", f"{figures.at_risk:,}", border=True,
               help="Members whose last two marked meetings were both missed (absent).")
cols[2].metric("Completed the year", "—" if figures.completed is None else f"{figures.completed:,}",
               border=True, help="Present or excused at their circle's last meeting of the year (May); counted once "
                                 "that meeting is marked.")
if figures.completed is not None:
    cols[2].caption(f"of {figures.completion_known:,} whose last meeting is marked "
                    f"({figures.completed / figures.completion_known:.0%})")
cols[3].metric("Meetings held", f"{cache.meetings_held(cycle, version):,}", border=True,
               help="Meetings on the calendar, not cancelled, dated today or earlier, over all circles.")

people = cache.attendance_members(cycle, version)
risky = people[people["at_risk"]]
if len(risky):
    with st.expander(f"{len(risky)} member(s) at risk: missed their last two meetings", expanded=len(risky) <= 10,
                     icon=":material/warning:"):
        st.dataframe(risky[["name", "circle", "present", "absent", "excused", "rate"]], hide_index=True,
                     width="stretch", key="at_risk_table",
                     column_config={"name": "Member", "circle": "Circle", "present": "Present", "absent": "Absent",
                                    "excused": "Excused",
                                    "rate": st.column_config.ProgressColumn("Attendance", format="percent",
                                                                            min_value=0, max_value=1)})

names = dict(zip(circle_list["circle_id"].astype(int), circle_list["label"]))
if st.session_state.get("attendance_circle") not in names:
    st.session_state["attendance_circle"] = next(iter(names))
circle_id = st.selectbox("Circle", list(names), format_func=names.__getitem__, key="attendance_circle")
if st.session_state.get("_attendance_shown") != circle_id:
    # Another circle: its grid starts from what is stored, not from edits made to the previous one.
    st.session_state["_attendance_shown"] = circle_id
    for _key in (SEEN, "attendance_grid", *_marks_keys()):
        st.session_state.pop(_key, None)
pending = st.session_state.setdefault(PENDING, {}).get(circle_id, {})
if pending and st.session_state.get("attendance_view") != VIEWS[0]:
    st.warning(f"{len(pending)} change(s) to this circle's grid are not saved yet: open the Attendance view to save "
               "or discard them.", icon=":material/edit_note:")
st.session_state.setdefault("attendance_view", VIEWS[0])
view = st.segmented_control("View", VIEWS, key="attendance_view", label_visibility="collapsed") or VIEWS[0]


def _seen() -> attendance.Grid:
    """The circle's grid as this session first showed it: saves are checked against it, cell by cell."""
    if SEEN not in st.session_state:
        st.session_state[SEEN] = attendance.grid(conn, circle_id)
    return st.session_state[SEEN]


def _save(cells: dict, what: str) -> None:
    """Save changed cells, or say which marks someone else changed meanwhile."""
    ok, count = changes.attempt(lambda: attendance.save(conn, circle_id, cells, me.username), SEEN)
    if ok:
        _done(f"{what}: {count} mark(s) saved.")


# ------------------------------------------------------------------------------------------- the grid
def show_grid() -> None:
    """Members by meetings, edited in place; saved together, checked against what was shown."""
    grid = _seen()
    if grid.members.empty:
        st.info("This circle has no members.", icon=":material/info:")
        return
    if grid.meetings.empty:
        st.info("Every meeting of this circle is cancelled. Restore or add one in the Calendar view.",
                icon=":material/info:")
        return
    frame = grid.frame()
    titles = dict(zip(grid.meetings["meeting_id"].astype(int), grid.meetings["title"]))
    for (person_id, meeting_id), (_, new) in pending.items():
        # Edits made before the view or the page reran are shown again, not dropped.
        frame.loc[frame["person_id"] == person_id, titles[meeting_id]] = attendance.LABELS.get(new, attendance.UNMARKED)
    options = [*attendance.LABELS.values(), attendance.UNMARKED]
    config = {"person_id": None, "Member": st.column_config.TextColumn("Member", disabled=True, pinned=True)}
    for meeting_id, heading, day in zip(grid.meetings["meeting_id"], grid.meetings["title"], grid.meetings["held_on"]):
        when = f"{pd.Timestamp(day):%b %d, %Y}" if pd.notna(day) else "no date"
        config[heading] = st.column_config.SelectboxColumn(heading, options=options, help=when, required=True)
    st.caption(f"Click a cell to mark Present, Absent or Excused ({attendance.UNMARKED}: not marked). Nothing is "
               "saved until you press Save.")
    edited = st.data_editor(frame, key="attendance_grid", hide_index=True, width="stretch", num_rows="fixed",
                            column_config=config)
    try:
        cells = attendance.changes(grid, edited)
    except ValueError as exc:
        st.error(escape(str(exc)), icon=":material/block:")
        return
    st.session_state[PENDING][circle_id] = cells
    left, right = st.columns([1, 1])
    if left.button(f"Save {len(cells)} change(s)" if cells else "Save", type="primary", disabled=not cells,
                   key="attendance_save", icon=":material/save:", width="stretch"):
        _save(cells, grid.circle)
    if right.button("Discard my edits and reload", key="attendance_reload", icon=":material/refresh:",
                    width="stretch"):
        _done(f"{grid.circle}: reloaded.")
    stamp = cache.attendance_last_change(circle_id, version)
    if stamp:
        st.caption(f"Last marked by {escape(stamp[0])} on {stamp[1]:%b %d, %Y at %H:%M}.")


# ------------------------------------------------------------------------------- record one meeting
def show_record() -> None:
    """One meeting at a time, as a facilitator reports it: a mark per member."""
    grid = _seen()
    if grid.meetings.empty or grid.members.empty:
        st.info("Nothing to record: no meetings or no members.", icon=":material/info:")
        return
    labels = {int(m): f"{t} ({pd.Timestamp(d):%b %d})" if pd.notna(d) else t
              for m, t, d in zip(grid.meetings["meeting_id"], grid.meetings["title"], grid.meetings["held_on"])}
    meeting_id = st.selectbox("Meeting", list(labels), format_func=labels.__getitem__, key="record_meeting")
    options = list(attendance.LABELS.values())
    chosen = {}
    for person_id, name in zip(grid.members["person_id"].astype(int), grid.members["name"]):
        seen = grid.marks.get((person_id, meeting_id))
        key = f"mark_{meeting_id}_{person_id}"
        st.session_state.setdefault(key, attendance.LABELS.get(seen))
        chosen[person_id] = st.segmented_control(escape(name), options, key=key)
    words = {label: status for status, label in attendance.LABELS.items()}
    cells = {(p, meeting_id): (grid.marks.get((p, meeting_id)), words.get(label) if label else None)
             for p, label in chosen.items()}
    cells = {key: value for key, value in cells.items() if value[0] != value[1]}
    if st.button(f"Save {len(cells)} mark(s)" if cells else "Save marks", type="primary", disabled=not cells,
                 key="record_save", icon=":material/save:"):
        _save(cells, f"{grid.circle}, {labels[meeting_id]}")


# ----------------------------------------------------------------------------------------- calendar
def show_calendar() -> None:
    """The circle's meetings: move, cancel or restore, add; the calendar as an .ics file."""
    frame = cache.circle_meetings(cycle, circle_id, version)
    shown = frame.assign(status=frame["cancelled"].map({True: "Cancelled", False: "Scheduled"}),
                         note=frame["note"].fillna(""), updated_by=frame["updated_by"].fillna(""))
    st.dataframe(shown[["title", "held_on", "starts_at", "minutes", "status", "note", "updated_by"]], hide_index=True,
                 width="stretch", key="calendar_table",
                 column_config={"title": "Meeting", "held_on": st.column_config.DateColumn("Date", format="ddd MMM D, YYYY"),
                                "starts_at": st.column_config.TimeColumn("Starts", format="h:mm a"),
                                "minutes": st.column_config.NumberColumn("Minutes"), "status": "Status",
                                "note": "Note", "updated_by": "Changed by"})
    cols = st.columns(2)
    cols[0].download_button("This circle's calendar (.ics)", icon=":material/event:", key="download_circle_ics",
                            data=lambda: rosters.roster_file(cache.cursor(), cycle, "ics", circle_id),
                            file_name=f"ali-{names[circle_id].split(' (')[0].lower().replace(' ', '-')}-{cycle}.ics",
                            mime="text/calendar", width="stretch")
    cols[1].download_button("Every circle's calendar (.ics)", icon=":material/calendar_month:", key="download_all_ics",
                            data=lambda: rosters.roster_file(cache.cursor(), cycle, "ics"),
                            file_name=rosters.file_name(cycle, "ics"), mime="text/calendar", width="stretch")
    titles = {int(r.meeting_id): f"{r.title} ({pd.Timestamp(r.held_on):%b %d})" + (" · cancelled" if r.cancelled else "")
              for r in frame.itertuples()}
    rows = {int(r.meeting_id): r for r in frame.itertuples()}
    move, cancel, add = st.columns(3, gap="medium")
    with move.container(border=True):
        st.markdown("**Move a meeting**")
        meeting_id = st.selectbox("Meeting", list(titles), format_func=titles.__getitem__, key="move_meeting")
        row = rows[meeting_id]
        day = st.date_input("New date", value=pd.Timestamp(row.held_on).date(), key="move_date", format="MM/DD/YYYY")
        starts = st.time_input("Starts at", value=row.starts_at or time(12, 0), key="move_time", step=900)
        note = st.text_input("Why (optional)", key="move_note", max_chars=200)
        if st.button("Move", key="move", icon=":material/edit_calendar:"):
            ok, _ = changes.attempt(lambda: meetings.move(conn, meeting_id, int(row.version), me.username, day,
                                                          starts, note=note), SEEN)
            if ok:
                _done(f"{row.title} moved to {day:%A, %B} {day.day}.", forget=("move_note",))
    with cancel.container(border=True):
        st.markdown("**Cancel or restore**")
        target = st.selectbox("Meeting", list(titles), format_func=titles.__getitem__, key="cancel_meeting")
        row = rows[target]
        verb = "Restore" if row.cancelled else "Cancel"
        note = st.text_input("Why (optional)", key="cancel_note", max_chars=200)
        sure = st.checkbox(f"Yes, {verb.lower()} {row.title}", key="cancel_confirm")
        if st.button(f"{verb} meeting", key="cancel", disabled=not sure, icon=":material/event_busy:"):
            ok, kept = changes.attempt(lambda: meetings.cancel(conn, target, int(row.version), me.username, note,
                                                               cancelled=not row.cancelled), SEEN)
            if ok:
                extra = f" Its {kept} attendance mark(s) are kept but no longer count." if kept and not row.cancelled else ""
                _done(f"{row.title} {'restored' if row.cancelled else 'cancelled'}.{extra}",
                      forget=("cancel_note", "cancel_confirm"))
    with add.container(border=True):
        st.markdown("**Add a meeting**")
        start_year = int(cycle[:4])
        day = st.date_input("Date", value=None, key="add_date", format="MM/DD/YYYY",
                            min_value=pd.Timestamp(start_year, 9, 1).date(),
                            max_value=pd.Timestamp(start_year + 1, 6, 30).date())
        starts = st.time_input("Starts at", value=None, key="add_time", step=900)
        length = st.number_input("Minutes", min_value=15, max_value=240, value=60, step=15, key="add_minutes")
        if st.button("Add meeting", key="add", disabled=day is None, icon=":material/event_available:"):
            ok, _ = changes.attempt(lambda: meetings.add(conn, circle_id, day, me.username, starts, int(length)), SEEN)
            if ok:
                _done(f"Meeting added on {day:%A, %B} {day.day}.", forget=("add_date", "add_time"))


# ------------------------------------------------------------------------------------------ figures
def show_figures() -> None:
    """Rates per circle (chart) and per member (table), completion and streaks."""
    per_circle = cache.attendance_by_circle(cycle, version)
    if per_circle["marked"].sum() == 0:
        st.info("No attendance marked yet this year.", icon=":material/info:")
    else:
        shown, subtitle = charts.attention(per_circle)
        st.vega_lite_chart(charts.stretched(charts.attendance_by_circle(shown, subtitle)), width="stretch",
                           theme=None)
    table = people.assign(completed=people["completed"].map({True: "Yes", False: "No"}).fillna("Not yet known"))
    st.dataframe(table[["name", "circle", "present", "absent", "excused", "marked", "rate", "missed_two_in_a_row",
                        "at_risk", "completed"]],
                 hide_index=True, width="stretch", key="member_rates",
                 column_config={"name": "Member", "circle": "Circle", "present": "Present", "absent": "Absent",
                                "excused": "Excused", "marked": "Marked",
                                "rate": st.column_config.ProgressColumn("Attendance", format="percent", min_value=0,
                                                                        max_value=1),
                                "missed_two_in_a_row": "Missed 2 in a row", "at_risk": "At risk now",
                                "completed": "Stayed to May"})
    st.download_button("Download attendance figures (CSV)", key="download_attendance", icon=":material/download:",
                       data=lambda: exports.to_csv(table.drop(columns=["person_id", "circle_id"])),
                       file_name=f"ali-attendance-{cycle}.csv", mime="text/csv")


{"Attendance": show_grid, "Record a meeting": show_record, "Calendar": show_calendar,
 "Figures": show_figures}[view]()
