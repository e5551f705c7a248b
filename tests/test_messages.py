"""The year's messages against a real SMTP server on 127.0.0.1: each once, failures retried, drafts that parse."""
from __future__ import annotations

import email
import io
import zipfile
from email import policy
from email.header import decode_header, make_header

import pytest

from lib import cli
from lib.admin import privacy
from lib.circles import applications
from lib.circles import rosters
from lib.db import ConflictError
from lib.messages import mail
from lib.messages import compose, sending, templates
from lib.messages import files as message_files
from lib.settings import get_settings
from tests.smtp_support import free_port, smtp_server

CYCLE = "2025-26"
HOSTILE = "=HYPERLINK(\"https://evil.invalid\") <b>Zoë</b> **O'Neil**"


def applicants(conn) -> list[dict]:
    """The year's applicants (latest submission), as lib.circles.applications reads them."""
    return applications._records(conn, CYCLE)


def read(data: bytes) -> email.message.EmailMessage:
    """A message as the standard email package reads it."""
    return email.message_from_bytes(data, policy=policy.default)


def body_of(message) -> str:
    """The plain-text body of a parsed message."""
    return message.get_body(("plain",)).get_content()


# --- sending ---------------------------------------------------------------------------------------------------


def test_each_applicant_gets_exactly_one_decision_and_a_second_send_sends_nothing(demo_conn, monkeypatch):
    everyone = applicants(demo_conn)
    with smtp_server(monkeypatch) as server:
        outcome = sending.send(demo_conn, CYCLE, "decisions", "chair")
        assert outcome.sent == len(everyone) and not outcome.failed and not outcome.stopped
        assert sorted(server.recipients()) == sorted(r["email"] for r in everyone)
        again = sending.send(demo_conn, CYCLE, "decisions", "chair")
        assert again.sent == 0 and again.skipped == len(everyone)
        assert len(server.received) == len(everyone)
    log = sending.log(demo_conn, CYCLE)
    assert len(log) == len(everyone) and set(log["status"]) == {"sent"}
    assert set(log["updated_by"]) == {"chair"} and log["sent_at"].notna().all()
    assert demo_conn.execute("SELECT count(*) FROM audit_log WHERE action = 'messages.sent'").fetchone()[0] \
        == len(everyone)


def test_what_each_decision_says_and_shows_no_one_else(demo_conn, monkeypatch):
    draft = rosters.final(demo_conn, CYCLE)
    everyone = {r["email"]: r for r in applicants(demo_conn)}
    # Confidential text the committee keeps must never reach a message.
    demo_conn.execute("UPDATE applications SET comments = 'CONFIDENTIAL-NOTE' WHERE cycle = ?", [CYCLE])
    rejected = next(r for r in everyone.values() if r["eligible"] and draft.circle_of(int(r["person_id"])) is None
                    ) if any(r["eligible"] and draft.circle_of(int(r["person_id"])) is None
                             for r in everyone.values()) else None
    late = next(r for r in everyone.values() if r["late"] and not r["eligible"])
    decided = next(r for r in everyone.values() if not r["eligible"] and not r["late"])
    applications.override(demo_conn, CYCLE, int(decided["person_id"]), False, "SECRET-OVERRIDE-REASON", "chair")
    all_emails = {m["email"] for c in draft.circles for m in c.members} | set(everyone)
    with smtp_server(monkeypatch) as server:
        sending.send(demo_conn, CYCLE, "decisions", "chair")
        mails = {m["To"].addresses[0].addr_spec: m for m in server.parsed()}
    for address, mail in mails.items():
        text = body_of(mail)
        assert "CONFIDENTIAL-NOTE" not in text and "SECRET-OVERRIDE-REASON" not in text
        assert mail["From"].addresses[0].addr_spec == "mentorship@example.org"
        assert mail["Reply-To"].addresses[0].addr_spec == "chair@example.org"
        circle = draft.circle_of(int(everyone[address]["person_id"]))
        shown = {e for e in all_emails if e in text}
        if circle is None:
            assert shown == set(), f"{address} sees {shown}"
            assert not list(mail.iter_attachments())
            others = {m["name"] for c in draft.circles for m in c.members}
            assert not [n for n in others if n in text]
        else:
            assert shown == {m["email"] for m in circle.members}
            assert f"You are a member of {circle.name}".lower() in text.lower().replace("you \nare", "you are") \
                or circle.name in text
            assert str(int(CYCLE[:4])) in text and "Orientation:" in text and "First meeting:" in text
            assert "respect confidentiality" in text
            (calendar,) = list(mail.iter_attachments())
            assert calendar.get_content_type() == "text/calendar"
    assert "the committee reviewed your application" in body_of(mails[decided["email"]])
    late_text = body_of(mails[late["email"]])
    assert "after the Oct 1 deadline" in late_text and "Skills Directory" in late_text
    if rejected is not None:
        assert "waitlist" in body_of(mails[rejected["email"]])


def test_a_refused_recipient_is_listed_and_retried(demo_conn, monkeypatch):
    everyone = applicants(demo_conn)
    victim = everyone[3]["email"]
    with smtp_server(monkeypatch) as server:
        server.refuse = {victim}
        outcome = sending.send(demo_conn, CYCLE, "decisions", "chair")
        assert outcome.sent == len(everyone) - 1 and not outcome.stopped
        (failed,) = outcome.failed
        assert failed["email"] == victim and "550" in failed["reason"] and "refused the address" in failed["reason"]
        planned = sending.plan(demo_conn, CYCLE, "decisions")
        assert sending.counts(planned)["to_send"] == 1 and sending.counts(planned)["failed"] == 1
        server.refuse = set()
        retry = sending.send(demo_conn, CYCLE, "decisions", "chair")
        assert retry.sent == 1 and retry.skipped == len(everyone) - 1
        assert sorted(server.recipients()) == sorted(r["email"] for r in everyone)
    row = demo_conn.execute("SELECT status, attempts, reason FROM messages WHERE recipient = ?", [victim]).fetchone()
    assert row == ("sent", 2, None)


def test_a_server_that_does_not_answer_stops_the_send_and_records_nothing_sent(demo_conn, monkeypatch):
    monkeypatch.setenv("ALI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ALI_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("ALI_SMTP_SECURITY", "none")
    monkeypatch.setenv("ALI_MAIL_FROM", "mentorship@example.org")
    outcome = sending.send(demo_conn, CYCLE, "decisions", "chair")
    assert outcome.sent == 0 and "did not answer" in outcome.stopped
    assert outcome.not_tried == len(applicants(demo_conn))
    assert demo_conn.execute("SELECT count(*) FROM messages WHERE status <> 'failed'").fetchone()[0] == 0


def test_a_wrong_password_is_said_and_the_right_one_sends(demo_conn, monkeypatch):
    with smtp_server(monkeypatch, auth=True) as server:
        monkeypatch.setenv("ALI_SMTP_PASSWORD", "not-the-password")
        outcome = sending.send(demo_conn, CYCLE, "decisions", "chair")
        assert outcome.sent == 0 and "refused the user name or password" in outcome.stopped
        assert server.received == []
        monkeypatch.setenv("ALI_SMTP_PASSWORD", "loopback-secret")
        smtp = mail.config()
        assert "loopback-secret" not in repr(smtp) + smtp.describe() + repr(get_settings())
        assert sending.send(demo_conn, CYCLE, "decisions", "chair").sent == len(applicants(demo_conn))


def test_a_send_interrupted_after_the_server_accepted_resumes_without_a_duplicate(demo_conn, monkeypatch):
    everyone = applicants(demo_conn)
    real = sending._record
    calls = {"n": 0}

    def crash_on_third(conn, log_id, actor, message_id, reason):
        calls["n"] += 1
        if calls["n"] == 3:  # the server has accepted the third message; the process dies before the record
            raise KeyboardInterrupt
        return real(conn, log_id, actor, message_id, reason)

    with smtp_server(monkeypatch) as server:
        monkeypatch.setattr(sending, "_record", crash_on_third)
        with pytest.raises(KeyboardInterrupt):
            sending.send(demo_conn, CYCLE, "decisions", "chair")
        assert len(server.received) == 3
        monkeypatch.setattr(sending, "_record", real)
        resumed = sending.send(demo_conn, CYCLE, "decisions", "chair")
        assert resumed.sent == len(everyone) - 3 and resumed.skipped == 2
        (interrupted,) = resumed.interrupted
        assert sorted(server.recipients()) == sorted(r["email"] for r in everyone)  # nobody twice
        log_id = demo_conn.execute("SELECT id FROM messages WHERE status = 'sending'").fetchone()[0]
        # Resending on purpose is the one way a message goes out again.
        assert sending.resend(demo_conn, log_id, "chair").sent == 1
        assert server.recipients().count(interrupted["email"]) == 2
        assert sending.send(demo_conn, CYCLE, "decisions", "chair").sent == 0


def test_no_final_circles_no_decisions_and_no_server_no_send(demo_conn, monkeypatch, capsys):
    assert cli.main(["messages", "send", "--cycle", CYCLE, "--kind", "decisions", "--yes"]) == 2
    assert "No mail server is set up" in capsys.readouterr().err
    demo_conn.execute("UPDATE circle_drafts SET status = 'draft' WHERE cycle = ?", [CYCLE])
    with pytest.raises(ValueError, match="no final circles yet"):
        sending.plan(demo_conn, CYCLE, "decisions")
    demo_conn.close()
    with smtp_server(monkeypatch) as server:
        assert cli.main(["messages", "send", "--cycle", CYCLE, "--kind", "decisions", "--yes"]) == 2
        assert server.received == []
    assert "no final circles yet" in capsys.readouterr().err


def test_survey_needs_its_address_and_goes_to_each_participant(demo_conn, monkeypatch):
    with pytest.raises(ValueError, match="end-of-year survey first"):
        sending.plan(demo_conn, CYCLE, "survey")
    with pytest.raises(ValueError, match="not a web address"):
        templates.save_survey_url(demo_conn, CYCLE, "javascript:alert(1)", 0, "chair")
    templates.save_survey_url(demo_conn, CYCLE, "https://forms.example.org/eoy", 0, "chair")
    with pytest.raises(ConflictError, match="chair"):
        templates.save_survey_url(demo_conn, CYCLE, "https://forms.example.org/other", 0, "member")
    members = {m["email"] for c in rosters.final(demo_conn, CYCLE).circles for m in c.members}
    with smtp_server(monkeypatch) as server:
        assert sending.send(demo_conn, CYCLE, "survey", "chair").sent == len(members)
        assert set(server.recipients()) == members
        assert all("https://forms.example.org/eoy" in body_of(m) for m in server.parsed())


def test_check_in_goes_to_the_member_or_their_facilitator(demo_conn, monkeypatch):
    from lib.admin import auth
    from lib.year import attendance

    at_risk = attendance.members(demo_conn, CYCLE)
    at_risk = at_risk[at_risk["at_risk"].astype(bool)]
    assert len(at_risk) >= 1, "the demo has members at risk"
    to_members = sending.plan(demo_conn, CYCLE, "check-in")
    assert {p.message.person_id for p in to_members} == set(at_risk["person_id"].astype(int))
    assert all("missed you at the last two meetings" in p.message.body for p in to_members)
    circle_id = int(at_risk["circle_id"].iloc[0])
    auth.add_user(demo_conn, "fac", "Faye Facilitator", "a-long-password-1", email="faye@example.org")
    demo_conn.execute("UPDATE circles SET facilitator = 'fac' WHERE id = ?", [circle_id])
    to_facilitators = sending.plan(demo_conn, CYCLE, "check-in", compose.FACILITATOR)
    ready = [p for p in to_facilitators if not p.message.problem]
    assert ready and {p.message.to_email for p in ready} == {"faye@example.org"}
    member = at_risk[at_risk["circle_id"] == circle_id]["name"].iloc[0]
    assert member in ready[0].message.body and ready[0].message.audience == "facilitator"
    with smtp_server(monkeypatch) as server:
        outcome = sending.send(demo_conn, CYCLE, "check-in", "chair", compose.FACILITATOR)
        assert outcome.sent == len(ready) and server.recipients() == ["faye@example.org"] * len(ready)
        # To the members is another message: it is still to send.
        assert sending.send(demo_conn, CYCLE, "check-in", "chair").sent == len(to_members)


# --- templates ---------------------------------------------------------------------------------------------------


def test_templates_are_versioned_refuse_a_stale_edit_and_unknown_fields(demo_conn, monkeypatch):
    default = templates.load(demo_conn, CYCLE, "waitlisted")
    assert default.version == 0 and "{{first_name}}" in default.body
    assert templates.save(demo_conn, CYCLE, "waitlisted", "Waitlist {{cycle}}", "Hello {{first_name}}!", 0,
                         "chair") == 1
    with pytest.raises(ConflictError, match="chair"):
        templates.save(demo_conn, CYCLE, "waitlisted", "Mine", "Mine {{name}}", 0, "member")
    with pytest.raises(ValueError, match=r"no field \{\{circle\}\}"):
        templates.save(demo_conn, CYCLE, "waitlisted", "x", "{{circle}}", 1, "chair")
    assert templates.load(demo_conn, CYCLE, "waitlisted").body == "Hello {{first_name}}!"
    assert templates.load(demo_conn, "2024-25", "waitlisted").version == 0  # per program year
    waitlisted = [p.message for p in sending.plan(demo_conn, CYCLE, "decisions") if p.message.template == "waitlisted"]
    if waitlisted:
        assert waitlisted[0].subject == f"Waitlist {CYCLE}" and waitlisted[0].template_version == 1
    with smtp_server(monkeypatch):
        sending.send(demo_conn, CYCLE, "decisions", "chair")
    versions = dict(demo_conn.execute("SELECT template, max(template_version) FROM messages GROUP BY 1").fetchall())
    assert versions["placed"] == 0 and versions.get("waitlisted", 1) == 1


def test_a_typed_field_value_is_never_read_as_a_field():
    assert templates.fill("Hi {{name}}, {{cycle}}", {"name": "{{cycle}}", "cycle": "2025-26"}) == \
        "Hi {{cycle}}, 2025-26"


# --- names, headers and drafts ------------------------------------------------------------------------------------


def _hostile_names(conn) -> dict[str, str]:
    """Give three applicants names with a newline header, a formula with markup, and accents; their emails."""
    everyone = applicants(conn)
    names = {everyone[0]["email"]: "Eve Evil\r\nBcc: spy@evil.invalid", everyone[1]["email"]: HOSTILE,
             everyone[2]["email"]: "José Álvarez-O'Neil"}
    for address, name in names.items():
        conn.execute("UPDATE applications SET name = ? WHERE person_id = (SELECT id FROM people WHERE email = ?)",
                     [name, address])
    return names


def test_names_go_into_headers_as_names_and_bodies_literally(demo_conn, monkeypatch):
    names = _hostile_names(demo_conn)
    with smtp_server(monkeypatch) as server:
        sending.send(demo_conn, CYCLE, "decisions", "chair")
        assert "spy@evil.invalid" not in server.recipients()
        mails = {m["To"].addresses[0].addr_spec: m for m in server.parsed()}
    for address, name in names.items():
        mail = mails[address]
        typed = " ".join(name.split())
        assert mail["Bcc"] is None and len(mail["To"].addresses) == 1
        # The modern reader keeps the space between two encoded words of a long name; the legacy one reads
        # the header exactly as RFC 2047 says.
        assert mail["To"].addresses[0].display_name.replace(" ", "") == typed.replace(" ", "")
        raw = email.message_from_bytes(mail.as_bytes())["To"]
        assert typed in str(make_header(decode_header(raw)))
        assert f"Dear {name.split()[0]}," in body_of(mail)


def test_eml_drafts_parse_carry_x_unsent_and_their_calendar_parses_twice(demo_conn, tmp_path, monkeypatch):
    from icalendar import Calendar
    import vobject

    names = _hostile_names(demo_conn)
    planned = [p.message for p in sending.plan(demo_conn, CYCLE, "decisions")]
    archive = zipfile.ZipFile(io.BytesIO(message_files.eml_zip(planned)))
    drafts = [read(archive.read(n)) for n in archive.namelist()]
    assert len(drafts) == len(applicants(demo_conn)) and all(n.endswith(".eml") for n in archive.namelist())
    assert all(d["X-Unsent"] == "1" and d["From"] is None for d in drafts)  # no From set: the mail program's own
    placed = [d for d in drafts if list(d.iter_attachments())]
    assert placed
    for draft in placed:
        (part,) = list(draft.iter_attachments())
        data = part.get_content()
        data = data.encode() if isinstance(data, str) else data
        events = Calendar.from_ical(data).walk("VEVENT")
        assert len(events) == 9
        parsed = vobject.readOne(data.decode())
        assert len(parsed.vevent_list) == 9
        assert all(CYCLE in e.summary.value for e in parsed.vevent_list)
    monkeypatch.setenv("ALI_MAIL_FROM", "Mentorship <mc@example.org>")
    out = tmp_path / "drafts"
    assert cli.main(["messages", "eml", "--cycle", CYCLE, "--kind", "decisions", "--out", str(out)]) == 0
    files = sorted(out.glob("*.eml"))
    assert len(files) == len(drafts)
    assert read(files[0].read_bytes())["From"].addresses[0].addr_spec == "mc@example.org"
    merge = (out / f"ali-messages-{CYCLE}-decisions.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in merge and "\n=HYPERLINK" not in merge and "Eve Evil Bcc" in merge
    assert names


def test_the_command_line_previews_sends_and_logs(demo_conn, monkeypatch, capsys):
    import json

    count = len(applicants(demo_conn))
    demo_conn.close()
    assert cli.main(["messages", "preview", "--cycle", CYCLE, "--kind", "decisions", "--json"]) == 0
    preview = json.loads(capsys.readouterr().out)
    assert preview["counts"]["to_send"] == count and len(preview["messages"]) == count
    with smtp_server(monkeypatch) as server:
        assert cli.main(["messages", "send", "--cycle", CYCLE, "--kind", "decisions", "--yes", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["sent"] == count
        assert cli.main(["messages", "send", "--cycle", CYCLE, "--kind", "decisions", "--yes"]) == 0
        assert f"sent 0, skipped {count}" in capsys.readouterr().out
        assert len(server.received) == count
    assert cli.main(["messages", "log", "--cycle", CYCLE, "--json"]) == 0
    assert {row["status"] for row in json.loads(capsys.readouterr().out)} == {"sent"}
    assert cli.main(["messages", "survey-url", "--cycle", CYCLE, "https://forms.example.org/s"]) == 0


def test_deleting_a_person_deletes_their_messages(demo_conn, monkeypatch):
    target = applicants(demo_conn)[0]["email"]
    with smtp_server(monkeypatch):
        sending.send(demo_conn, CYCLE, "decisions", "chair")
    privacy.delete_person(demo_conn, target, "chair")
    assert demo_conn.execute("SELECT count(*) FROM messages WHERE recipient = ?", [target]).fetchone()[0] == 0
    assert privacy.unhandled_tables(demo_conn) == []


def test_a_message_being_sent_or_sent_is_never_claimed_again_by_a_second_send(demo_conn):
    message = sending.plan(demo_conn, CYCLE, "decisions")[0].message
    first = sending._claim(demo_conn, message, "chair")
    assert first is not None
    assert sending._claim(demo_conn, message, "member") is None  # a second send meanwhile leaves it alone
    sending._record(demo_conn, first, "chair", "<id@example.org>", None)
    assert sending._claim(demo_conn, message, "member") is None
    assert sending._claim(demo_conn, message, "member", resend=True) == first
    assert demo_conn.execute("SELECT status, attempts FROM messages WHERE id = ?", [first]).fetchone() == ("sending", 2)


def test_mail_settings_come_from_the_environment_or_the_secrets_file(tmp_path, monkeypatch):
    assert mail.config() is None  # no server: drafts only
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[smtp]\nhost = "smtp.example.org"\nsecurity = "ssl"\nuser = "mc"\npassword = "pw"\n'
                       'from = "ALI Mentorship Committee <mc@example.org>"\nreply_to = "chair@example.org"\n',
                       encoding="utf-8")
    monkeypatch.setenv("ALI_SECRETS_FILE", str(secrets))
    smtp = mail.config()
    assert (smtp.host, smtp.port, smtp.security, smtp.user, smtp.password) == ("smtp.example.org", 465, "ssl", "mc",
                                                                                 "pw")
    assert smtp.sender.display_name == "ALI Mentorship Committee" and smtp.reply_to.addr_spec == "chair@example.org"
    monkeypatch.setenv("ALI_SMTP_HOST", "mail.other.org")
    monkeypatch.setenv("ALI_SMTP_SECURITY", "starttls")
    assert (mail.config().host, mail.config().port) == ("mail.other.org", 587)  # the environment wins
    monkeypatch.setenv("ALI_SMTP_SECURITY", "tls")
    with pytest.raises(ValueError, match="ALI_SMTP_SECURITY must be one of starttls, ssl, none"):
        mail.config()
    monkeypatch.setenv("ALI_SMTP_SECURITY", "none")
    monkeypatch.setenv("ALI_MAIL_FROM", "not an address")
    with pytest.raises(ValueError, match="ALI_MAIL_FROM"):
        mail.config()


def test_the_preview_is_the_message_sent_with_its_calendar_named_only(demo_conn):
    preview = [p.message for p in sending.plan(demo_conn, CYCLE, "decisions", attach=False)]
    full = [p.message for p in sending.plan(demo_conn, CYCLE, "decisions")]
    assert [(m.to_email, m.subject, m.body) for m in preview] == [(m.to_email, m.subject, m.body) for m in full]
    assert [[n for n, _ in m.attachments] for m in preview] == [[n for n, _ in m.attachments] for m in full]
    placed = next(m for m in preview if m.attachments)
    assert placed.attachments[0][1] is None
    with pytest.raises(ValueError, match="was not written"):
        message_files.to_email(placed)
