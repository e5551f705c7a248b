"""AppTest tests of the Circles page: propose -> move -> finalise -> export through its widgets, and conflicts."""
from __future__ import annotations

import json

import pytest
import streamlit as st

from lib import db
from lib.circles import drafts, edits
from tests.apptest_support import app, open_page, query, texts

PAGE = "pages/circles.py"
CYCLE = "2025-26"


pytestmark = pytest.mark.usefixtures("app_on_demo")  # every test runs the real router on the demo


def page(view: str | None = None):
    """The Circles page opened by the chair, optionally on one view."""
    at = open_page(app("chair"), PAGE)
    assert not at.exception, at.exception
    if view:
        at.segmented_control(key="circles_view").set_value(view).run()
        assert not at.exception, at.exception
    return at


def propose(at):
    """Propose with a short search and return the page showing the new draft."""
    at.slider(key="solve_seconds").set_value(1).run()
    at.button(key="propose").click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("view", ["Applicants", "Propose", "Drafts", "Compare", "Final circles"])
def test_every_view_renders(view):
    at = page(view)
    assert "Peer Mentorship Circles" in texts(at)


def test_applicants_show_eligibility_and_an_override_needs_a_reason():
    at = page("Applicants")
    shown = texts(at)
    assert "Applicants" in shown and "Eligible" in shown
    table = next(f.value for f in at.dataframe if "Why not" in f.value.columns)
    assert len(table) >= 20 and (table["Why not"] != "").any()
    person = at.selectbox(key="override_person").options[0]
    at.radio(key="override_decision").set_value("Not eligible")
    at.button(key="FormSubmitter:override_form-Save override").click().run()
    assert "Give a reason" in texts(at)
    at.text_input(key="override_reason").input("Moved out of state")
    at.button(key="FormSubmitter:override_form-Save override").click().run()
    assert not at.exception
    assert query("SELECT count(*) FROM audit_log WHERE action LIKE '%override%'")[0][0] == 1, person


def test_propose_move_finalise_and_download():
    at = propose(page("Propose"))
    assert at.segmented_control(key="circles_view").value == "Drafts"
    assert "Proposal saved" in texts(at)
    draft_id = query("SELECT max(id) FROM circle_drafts WHERE status = 'draft'")[0][0]
    cards = [m.value for m in at.markdown if m.value.startswith("#### Circle")]
    assert len(cards) >= 3
    # Move someone to another circle.
    at.radio(key="edit_action").set_value("Move").run()
    at.selectbox(key="edit_person").select_index(0).run()
    target = at.selectbox(key="edit_target")
    target.select_index(len(target.options) - 2).run()  # the last circle (the very last option is the waitlist)
    at.button(key="edit_apply").click().run()
    assert not at.exception and "Move: saved." in texts(at), texts(at)
    assert query("SELECT version FROM circle_drafts WHERE id = ?", [draft_id])[0][0] == 2
    # Finalise: the demo already has final circles for 2025-26, so the checkbox says they are replaced.
    confirm = at.checkbox(key="finalise_confirm")
    assert "replace" in confirm.label
    confirm.check().run()
    at.button(key="finalise").click().run()
    assert not at.exception
    assert query("SELECT status FROM circle_drafts WHERE id = ?", [draft_id])[0][0] == "final"
    assert at.segmented_control(key="circles_view").value == "Final circles"
    downloads = {d.key for d in at.get("download_button")}
    assert {"download_csv", "download_xlsx", "download_ics"} <= downloads
    assert "Welcome emails" in texts(at)


def test_a_stale_draft_is_refused_with_who_changed_it():
    at = propose(page("Propose"))
    draft_id = query("SELECT max(id) FROM circle_drafts WHERE status = 'draft'")[0][0]
    # Another committee member changes the draft after this page showed it.
    conn = db.connect()
    try:
        draft = drafts.load(conn, draft_id)
        edits.pin(conn, draft_id, draft.version, draft.circles[0].members[0]["person_id"], True, "member")
    finally:
        conn.close()
    at.radio(key="edit_action").set_value("Pin").run()
    at.selectbox(key="edit_person").select_index(1).run()
    at.button(key="edit_apply").click().run()
    assert not at.exception
    assert "member changed this draft" in texts(at)
    assert query("SELECT count(*) FROM circle_members WHERE pinned")[0][0] == 1


def test_compare_two_proposals():
    at = propose(page("Propose"))
    at.segmented_control(key="circles_view").set_value("Propose").run()
    at.number_input(key="solve_seed").set_value(3).run()
    propose(at)
    at.segmented_control(key="circles_view").set_value("Compare").run()
    assert not at.exception
    # One row per measure, a column per draft: fits the page's width however many criteria there are.
    summary = next(f.value for f in at.dataframe if "Measure" in f.value.columns)
    assert len(summary.columns) == 3 and {"Mean score", "Worst circle", "Different institutions"} <= set(
        summary["Measure"])
    assert "sit with different companions" in texts(at)


def test_the_same_proposal_twice_is_not_saved_and_another_seed_is_offered():
    at = propose(page("Propose"))
    assert "Proposal 1 (draft)" in at.selectbox(key="circles_draft").options
    drafts = query("SELECT count(*) FROM circle_drafts")[0][0]
    at.segmented_control(key="circles_view").set_value("Propose").run()
    propose(at)  # the same settings and seed again
    assert "is the same as 'Proposal 1': nothing new was saved" in texts(at)
    assert query("SELECT count(*) FROM circle_drafts")[0][0] == drafts
    at.button(key="propose_other").click().run()
    assert not at.exception, at.exception
    shown = texts(at)
    # Seed 1 was tried at once: a new draft made with it, or (the demo is small) the same circles again, said so.
    if "Proposal saved" in shown:
        newest = query("SELECT name, weights FROM circle_drafts ORDER BY id DESC LIMIT 1")[0]
        assert newest[0] == "Proposal 2" and json.loads(newest[1])["seed"] == 1
    else:
        assert "is the same as" in shown and at.number_input(key="solve_seed").value == 1


def test_a_visitor_is_asked_to_log_in():
    at = open_page(app(), PAGE)
    assert not at.exception
    assert "Peer Mentorship Circles" not in texts(at)
