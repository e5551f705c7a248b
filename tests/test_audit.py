"""The audit log: every kind of write leaves one entry with who, what and the values before and after."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import streamlit as st

from lib import cycles
from lib.admin import audit, auth
from lib.circles import applications
from lib.circles import edits
from lib.messages import templates
from lib.report import model as report
from lib.year import attendance, meetings, outcomes
from tests.apptest_support import app, open_page, texts
from tests.conftest import PASSWORD


def _newest(conn) -> tuple[str, str, str | None]:
    """The newest entry's actor, action and detail."""
    return conn.execute("SELECT actor, action, CAST(detail AS VARCHAR) FROM audit_log ORDER BY id DESC LIMIT 1"
                        ).fetchall()[0]


def _final(conn) -> tuple[int, int, int]:
    """A final 2025-26 draft, its version and one of its circles."""
    draft_id, version, circle_id = conn.execute("""
        SELECT d.id, d.version, min(c.id) FROM circle_drafts d JOIN circles c ON c.draft_id = d.id
        WHERE d.cycle = '2025-26' AND d.status = 'final' GROUP BY d.id, d.version""").fetchall()[0]
    return draft_id, version, circle_id


WRITES = {
    "user.add": lambda c: auth.add_user(c, "newbie", "Zoë O'Brien", PASSWORD, actor="chair"),
    "user.update": lambda c: auth.update_user(c, "member", version=auth.get_user(c, "member").version,
                                              role="admin", actor="chair"),
    "user.set_password": lambda c: auth.set_password(c, "member", PASSWORD + "x", actor="chair"),
    "user.remove": lambda c: auth.remove_user(c, "member", actor="chair"),
    "cycle.deadline": lambda c: cycles.set_deadline(c, "2025-26", date(2025, 10, 3), actor="chair"),
    "applications.override": lambda c: applications.override(
        c, "2025-26", int(applications.applicants(c, "2025-26")["person_id"].iloc[0]), False, "Moved away", "chair",
        expected_version=0),
    "meeting.move": lambda c: meetings.move(
        c, *[int(v) for v in meetings.of_cycle(c, "2025-26").iloc[1][["meeting_id", "version"]]], "chair",
        date(2025, 10, 28)),
    "attendance.edit": lambda c: attendance.save(
        c, _final(c)[2], {(int(attendance.grid(c, _final(c)[2]).members["person_id"].iloc[0]),
                           int(attendance.grid(c, _final(c)[2]).meetings["meeting_id"].iloc[0])): (None, "present")},
        "chair"),
    "outcome.enter": lambda c: outcomes.enter(c, "2025-26", "chair", "yes", "maybe", 4),
    "report.section": lambda c: report.save_section(c, "2025-26", "highlights", "A good year.", 0, "chair"),
    "circles.rename": lambda c: edits.rename_circle(c, _final(c)[0], _final(c)[1], _final(c)[2], "Circle Zoë",
                                                    "chair"),
    "messages.template": lambda c: templates.save(c, "2025-26", "waitlisted", "Hello", "Dear {{first_name}}", 0,
                                                 "chair"),
    "messages.survey_url": lambda c: templates.save_survey_url(c, "2025-26", "https://forms.example.org/s", 0,
                                                              "chair"),
}


@pytest.mark.parametrize("action", WRITES)
def test_every_kind_of_write_records_who_what_before_and_after(demo_conn, action):
    before = demo_conn.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
    WRITES[action](demo_conn)
    assert demo_conn.execute("SELECT count(*) FROM audit_log").fetchall()[0][0] == before + 1
    actor, recorded, detail = _newest(demo_conn)
    assert actor == "chair" and (recorded == action or recorded.startswith(action))
    assert audit.changes(detail), f"{action} records no before/after: {detail}"
    assert PASSWORD not in (detail or "")


def test_a_refused_write_leaves_no_entry(demo_conn):
    before = demo_conn.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
    with pytest.raises(ValueError):
        meetings.move(demo_conn, int(meetings.of_cycle(demo_conn, "2025-26").iloc[0]["meeting_id"]), 1, "chair",
                      date(2031, 1, 1))
    assert demo_conn.execute("SELECT count(*) FROM audit_log").fetchall()[0][0] == before


def test_filters(demo_conn):
    outcomes.enter(demo_conn, "2025-26", "chair", "yes", "yes", 5, "Zoë's note")
    auth.add_user(demo_conn, "newbie", "Newbie", PASSWORD, actor="member")
    everything = audit.count(demo_conn)
    assert everything == len(audit.entries(demo_conn, limit=100_000))
    assert audit.count(demo_conn, audit.Filters(actor="member")) == 1
    assert audit.count(demo_conn, audit.Filters(action="user")) >= 1  # a family: user.*
    assert audit.count(demo_conn, audit.Filters(action="outcome.enter")) == 1
    assert audit.count(demo_conn, audit.Filters(entity="user")) >= 1
    assert audit.count(demo_conn, audit.Filters(text="ZOË'S")) == 0  # the detail keeps the answers, not comments
    assert audit.count(demo_conn, audit.Filters(text="newbie")) >= 1
    today = date.today()
    assert audit.count(demo_conn, audit.Filters(since=today, until=today)) >= 2
    assert audit.count(demo_conn, audit.Filters(until=today - timedelta(days=3650))) == 0
    assert audit.count(demo_conn, audit.Filters(text="'; DROP TABLE audit_log; --")) == 0
    choices = audit.choices(demo_conn)
    assert "chair" in choices["actor"] and "user" in choices["action"] and "user.add" in choices["action"]


def test_changes_reads_before_and_after_at_any_depth():
    assert audit.changes('{"before": 1, "after": 2}') == [("value", 1, 2)]
    cells = '{"cells": [{"member": "Zoë", "meeting": "Nov", "before": null, "after": "present"}]}'
    assert audit.changes(cells) == [("Zoë, Nov", None, "present")]
    assert audit.changes(None) == [] and audit.changes("not json") == [] and audit.changes(float("nan")) == []


def test_the_audit_page_filters_and_shows_one_entry(app_on_demo):
    at = open_page(app("chair"), "pages/audit.py")
    assert not at.exception, at.exception
    assert "matching entr" in texts(at)
    at.selectbox(key="audit_action").select("import").run()
    shown = next(f.value for f in at.dataframe if "action" in f.value.columns)
    assert set(shown["action"]) <= {"import", "import.undo"} and len(shown) >= 1
    at.text_input(key="audit_text").input("no such thing anywhere").run()
    assert "No entry matches these filters" in texts(at)


def test_the_audit_page_is_for_admins_only(app_on_demo):
    at = open_page(app("member"), "pages/audit.py")
    assert not at.exception
    assert "Only an admin" in texts(at) or "admin" in texts(at).lower()
    assert not [f for f in at.dataframe if "action" in f.value.columns]
