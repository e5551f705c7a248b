"""AppTest tests of the Messages page: render, template save and conflict, preview, send to a loopback server."""
from __future__ import annotations

import pytest
import streamlit as st

from lib import db
from lib.admin import auth
from lib.messages import templates
from tests.apptest_support import app, open_page, query, texts
from tests.conftest import PASSWORD
from tests.smtp_support import smtp_server

CYCLE = "2025-26"
PAGE = "pages/messages.py"


def page(**state):
    """The Messages page opened by the chair, with widget state seeded before its first run."""
    at = app("chair")
    for key, value in state.items():
        at.session_state[key] = value
    at = open_page(at, PAGE)
    assert not at.exception, at.exception
    return at


def applicant_count() -> int:
    """How many applicants the year has (latest submission each)."""
    return query("SELECT count(DISTINCT person_id) FROM applications WHERE cycle = ?", [CYCLE])[0][0]


@pytest.mark.usefixtures("app_on_demo")
def test_the_page_renders_each_kind_and_says_there_is_no_mail_server():
    at = page()
    shown = texts(at)
    assert "No mail server is set up" in shown and "Preview" in shown
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Recipients"] == f"{applicant_count():,}" and metrics["To send"] == metrics["Recipients"]
    assert {b.proto.label for b in at.get("download_button")} == {"Drafts (.eml, in a ZIP)", "Mail-merge table (CSV)"}
    assert not [b for b in at.button if b.key == "messages_send"]  # nothing to send through
    at.radio(key="messages_kind").set_value("survey").run()
    assert not at.exception and "end-of-year survey first" in texts(at)
    at.radio(key="messages_kind").set_value("check-in").run()
    assert not at.exception and at.radio(key="messages_audience").value == "member"


@pytest.mark.usefixtures("app_on_demo")
def test_the_preview_shows_the_recipients_own_message_literally():
    at = page()
    options = at.selectbox(key="messages_recipient").options
    placed = next(i for i, label in enumerate(options) if label.endswith(" · Placed in a circle"))
    at.selectbox(key="messages_recipient").set_value(placed).run()
    (shown,) = at.code
    name = options[placed].split(" <")[0]
    assert f"To: {name}" in shown.value and "Attached: ali-circle-" in shown.value and "Orientation:" in shown.value
    assert "This message: not sent yet; template version default." in texts(at)


@pytest.mark.usefixtures("app_on_demo")
def test_a_template_is_saved_and_a_stale_save_is_refused_naming_who():
    body_key, subject_key = f"messages_{CYCLE}_waitlisted_body", f"messages_{CYCLE}_waitlisted_subject"
    at = page()
    at.text_area(key=body_key).input("Dear {{first_name}}, you are on the waitlist.").run()
    save = next(b for b in at.button if b.key == f"messages_{CYCLE}_waitlisted_save")
    save.click().run()
    assert not at.exception and "Saved: Waitlisted." in texts(at)
    assert query("SELECT version, updated_by FROM message_templates WHERE template = 'waitlisted'") == [(1, "chair")]
    # Meanwhile someone else saves; this page still holds version 1.
    conn = db.connect()
    try:
        templates.save(conn, CYCLE, "waitlisted", "Theirs", "Their text {{name}}", 1, "member")
    finally:
        conn.close()
    at.text_input(key=subject_key).input("Mine").run()
    next(b for b in at.button if b.key == f"messages_{CYCLE}_waitlisted_save").click().run()
    assert "Not saved" in texts(at) and "by member" in texts(at)
    assert query("SELECT subject, version FROM message_templates WHERE template = 'waitlisted'") == [("Theirs", 2)]
    # An unknown field is refused with the fields the template knows.
    at.text_area(key=body_key).input("{{circle}}").run()
    next(b for b in at.button if b.key == f"messages_{CYCLE}_waitlisted_save").click().run()
    assert "no field {{circle}}" in texts(at)


@pytest.mark.usefixtures("app_on_demo")
def test_sending_asks_first_then_sends_each_once_through_the_loopback_server(monkeypatch):
    with smtp_server(monkeypatch) as server:
        at = page()
        total = applicant_count()
        send = next(b for b in at.button if b.key == "messages_send")
        assert send.label == f"Send {total} message(s)…"
        send.click().run()
        assert not server.received and f"Send {total} decisions message(s) of {CYCLE}" in texts(at)
        next(b for b in at.button if b.key == "messages_send_yes").click().run()
        assert not at.exception
        assert len(server.received) == total and f"Sent {total}, skipped 0" in texts(at)
        assert query("SELECT count(*) FROM messages WHERE status = 'sent' AND updated_by = 'chair'")[0][0] == total
        assert next(b for b in at.button if b.key == "messages_send").label == "Nothing to send"
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Sent"] == f"{total:,}" and metrics["To send"] == "0"
        assert "This message: sent;" in texts(at)
        assert at.dataframe[-1].value.shape[0] == total  # the log
        # Resending one message is a deliberate act: chosen, confirmed, then sent once more.
        log_id = query("SELECT min(id) FROM messages")[0][0]
        at.selectbox(key="messages_resend_id").set_value(log_id).run()
        resend = next(b for b in at.button if b.key == "messages_resend")
        assert resend.disabled
        at.checkbox(key="messages_resend_sure").check().run()
        next(b for b in at.button if b.key == "messages_resend").click().run()
        assert not at.exception and len(server.received) == total + 1 and "Sent 1, skipped 0" in texts(at)
        assert query("SELECT attempts FROM messages WHERE id = ?", [log_id]) == [(2,)]


def test_an_empty_database_says_there_is_nothing_yet(blank_database):
    st.cache_data.clear()
    at = open_page(app("member"), PAGE)
    assert not at.exception and at.title[0].value == "Messages" and "No program year yet" in texts(at)
