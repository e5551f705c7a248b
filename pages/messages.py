"""Messages: the year's decisions, survey invitations and check-ins, written here, previewed, sent once each."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import streamlit as st

from lib.messages import mail
from lib.messages import compose, files, sending, templates
from ui import cache, changes, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_committee("Messages")
st.title("Messages")
conn = cache.cursor()
version = cache.data_version(conn)
cycle = session.selected_cycle()
if cycle is None:
    st.info("No program year yet: messages are written from imported applications and final circles.",
            icon=":material/info:")
    st.stop()

NOTICE, RESET, SEEN, CONFIRM, OUTCOME = ("messages_notice", "messages_reset", "messages_seen", "messages_confirm",
                                         "messages_outcome")
changes.resume(RESET)
st.caption(f"Every message of {cycle}, from the templates below: each recipient's own message, plain text, holding "
           "only what they may see. Each is sent once; the log below says who got what, when and from whom.")
changes.notice(NOTICE)

try:
    smtp = mail.config()
except ValueError as exc:
    smtp = None
    st.error(f"The mail settings cannot work: {escape(exc)}", icon=":material/mail_lock:")
if smtp:
    reply = f", replies to {smtp.reply_to}" if smtp.reply_to else ""
    st.caption(f"Sent through {escape(smtp.describe())}, from {escape(smtp.sender)}{escape(reply)}.")
else:
    st.info("No mail server is set up (ALI_SMTP_HOST and ALI_MAIL_FROM, see the README): download the messages "
            "as drafts ready to send from your own mail program, or as a mail-merge table.", icon=":material/drafts:")

kind = st.radio("Message", list(templates.KINDS), format_func=templates.KINDS.get, horizontal=True, key="messages_kind")
audience = compose.MEMBER
if kind == "check-in":
    audience = st.radio("Write to", list(compose.AUDIENCES), format_func=compose.AUDIENCES.get, horizontal=True,
                        key="messages_audience")
if kind == "survey":
    year = templates.year_settings(conn, cycle)
    st.session_state.setdefault(f"messages_survey_url_{cycle}", year.survey_url)
    url = st.text_input(f"Address of the {cycle} end-of-year survey", key=f"messages_survey_url_{cycle}",
                        placeholder="https://forms.gle/...")
    if st.button("Save the address", key="messages_survey_save", disabled=url.strip() == year.survey_url):
        ok, _ = changes.attempt(lambda: templates.save_survey_url(conn, cycle, url, year.version, me.username),
                                SEEN)
        if ok:
            changes.done("Saved the survey's address.", RESET, NOTICE)

# ---------------------------------------------------------------------------------------------- templates
st.subheader("Text")
st.caption("Fields in double braces are filled for each recipient. Saved with your name and checked: if another "
           "committee member saved a template since you opened it, yours is not saved over theirs.")
seen = st.session_state.setdefault(SEEN, {})
shown = [t for t in templates.of_kind(kind) if kind != "check-in" or t.key.endswith(audience)]
tabs = st.tabs([t.label for t in shown]) if len(shown) > 1 else [st.container()]
for tab, kind_template in zip(tabs, shown):
    key = kind_template.key
    stored = templates.load(conn, cycle, key)
    state = f"messages_{cycle}_{key}"
    seen.setdefault(state, stored.version)
    st.session_state.setdefault(f"{state}_subject", stored.subject)
    st.session_state.setdefault(f"{state}_body", stored.body)
    with tab:
        subject = st.text_input("Subject", key=f"{state}_subject", max_chars=templates.MAX_SUBJECT)
        body = st.text_area("Message", key=f"{state}_body", height=260, max_chars=templates.MAX_BODY)
        st.caption("Fields: " + "; ".join(f"`{{{{{name}}}}}` {escape(words)}"
                                          for name, words in kind_template.fields.items()))
        if stored.updated_by:
            st.caption(f"Version {stored.version}, saved by {escape(stored.updated_by)} on "
                       f"{stored.updated_at:%b %d, %Y at %H:%M}.")
        else:
            st.caption("The default text: not changed for this program year yet.")
        changed = (" ".join(subject.split()), templates.clean(body)) != (stored.subject, stored.body)
        if st.button("Save this text", key=f"{state}_save", type="primary", disabled=not changed,
                     icon=":material/save:"):
            ok, _ = changes.attempt(lambda: templates.save(conn, cycle, key, subject, body, seen[state], me.username),
                                    "_messages_refused")
            if ok:
                changes.done(f"Saved: {kind_template.label}.", RESET, NOTICE, (SEEN,))
            else:
                theirs = templates.load(conn, cycle, key)
                seen[state] = theirs.version  # the next Save is a deliberate choice to replace theirs
                with st.expander(f"The text {theirs.updated_by or 'someone'} saved meanwhile", expanded=True):
                    st.text(f"Subject: {theirs.subject}\n\n{theirs.body}")

# ---------------------------------------------------------------------------------------------- preview
st.subheader("Preview")
try:
    planned = cache.message_plan(cycle, kind, audience, version)
except ValueError as exc:
    st.warning(escape(exc), icon=":material/hourglass_empty:")
    st.stop()
tally = sending.counts(planned)
cols = st.columns(5)
for column, (label, value) in zip(cols, (("Recipients", len(planned)), ("To send", tally["to_send"]),
                                         ("Sent", tally["sent"]), ("Failed", tally["failed"]),
                                         ("Interrupted", tally["interrupted"]))):
    column.metric(label, f"{value:,}")
if not planned:
    st.info("Nobody to write to for this message.", icon=":material/info:")
else:
    def _label(index: int) -> str:
        """A recipient as the picker lists them."""
        item = planned[index].message
        return f"{item.to_name} <{item.to_email}> · {templates.TEMPLATES[item.template].label}"

    chosen = planned[st.selectbox("Recipient", range(len(planned)), format_func=_label, key="messages_recipient")]
    head = [f"To: {chosen.message.to_name} <{chosen.message.to_email}>", f"Subject: {chosen.message.subject}"]
    head += [f"Attached: {name}" for name, _ in chosen.message.attachments]
    st.code("\n".join(head) + "\n\n" + chosen.message.body, language=None, wrap_lines=True)
    st.caption(f"This message: {sending.STATUS_WORDS.get(chosen.status, 'not sent yet')}; template version "
               f"{chosen.message.template_version or 'default'}.")
    if chosen.message.problem:
        st.warning(f"Cannot be sent: {escape(chosen.message.problem)}.", icon=":material/block:")
    if chosen.reason:
        st.error(f"Last attempt failed: {escape(chosen.reason)}", icon=":material/error:")

# ---------------------------------------------------------------------------------------------- sending
st.subheader("Send")
if outcome := st.session_state.pop(OUTCOME, None):
    words = f"Sent {outcome.sent}, skipped {outcome.skipped} (sent before), failed {len(outcome.failed)}."
    (st.warning if outcome.failed or outcome.stopped else st.success)(words, icon=":material/outgoing_mail:")
    if outcome.stopped:
        st.error(f"Stopped: {escape(outcome.stopped)}. {outcome.not_tried} not tried: send again to go on.",
                 icon=":material/error:")
    if outcome.failed:
        st.dataframe(outcome.failed, hide_index=True, key="messages_failed")
if tally["interrupted"]:
    st.warning(f"{tally['interrupted']} message(s) were interrupted between the mail server and the log: they may "
               "have gone out, so no send repeats them. Resend one from the log below if its recipient did not get "
               "it.", icon=":material/help:")
if smtp:
    todo = tally["to_send"]
    target = (cycle, kind, audience, todo)
    if st.button(f"Send {todo} message(s)…" if todo else "Nothing to send", key="messages_send",
                 disabled=not todo, icon=":material/send:"):
        st.session_state[CONFIRM] = target
    if st.session_state.get(CONFIRM) == target and todo:
        st.warning(f"Send {todo} {templates.KINDS[kind].split(' (')[0].lower()} message(s) of {cycle} through "
                   f"{escape(smtp.host)} now? Sent mail cannot be called back.", icon=":material/warning:")
        yes, no = st.columns(2)
        if yes.button(f"Yes, send {todo}", type="primary", key="messages_send_yes", width="stretch"):
            st.session_state.pop(CONFIRM, None)
            bar = st.progress(0.0, text=f"Sending 0 of {todo}")
            done = sending.send(conn, cycle, kind, me.username, audience,
                                 progress=lambda n, total, name: bar.progress(n / total, text=f"Sent {n} of {total}"))
            st.session_state[OUTCOME] = done
            cache.clear()
            st.rerun()
        if no.button("Cancel", key="messages_send_no", width="stretch"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()

st.caption("Or send them yourself: every message as an unsent draft (.eml: Outlook, Apple Mail and Thunderbird open "
           "it ready to send), or one row per recipient for a mail merge.")
left, right = st.columns(2)
ready = [p.message for p in planned]
left.download_button("Drafts (.eml, in a ZIP)", data=lambda: files.eml_zip(
                         [p.message for p in sending.plan(cache.cursor(), cycle, kind, audience)]),
                     file_name=files.file_name(cycle, kind, "zip"), mime="application/zip",
                     key="messages_eml", icon=":material/download:", width="stretch", disabled=not ready)
right.download_button("Mail-merge table (CSV)", data=lambda: files.merge_csv(ready),
                      file_name=files.file_name(cycle, kind, "csv"), mime="text/csv", key="messages_csv",
                      icon=":material/download:", width="stretch", disabled=not ready)

# ---------------------------------------------------------------------------------------------- the log
st.subheader("Log")
log = cache.message_log(cycle, version)
if log.empty:
    st.caption(f"No message of {cycle} has been sent yet.")
else:
    st.dataframe(log.drop(columns=["id"]), hide_index=True, key="messages_log",
                 column_config={"kind": "Kind", "template": "Template", "template_version": "Version",
                                "about": "About", "audience": "To", "recipient": "Address", "subject": "Subject",
                                "status": "Result", "reason": "Why it failed", "attempts": "Attempts",
                                "updated_by": "By",
                                "updated_at": st.column_config.DatetimeColumn("When", format="MMM D, HH:mm"),
                                "sent_at": st.column_config.DatetimeColumn("Sent", format="MMM D, HH:mm")})
    if smtp:
        pick = st.selectbox("Resend one message on purpose", log["id"].tolist(), index=None, key="messages_resend_id",
                            format_func=lambda i: " · ".join(str(v) for v in log.loc[log["id"] == i, [
                                "recipient", "kind", "status"]].iloc[0]))
        sure = pick is not None and st.checkbox("Yes, send this one message again, although it may have gone out",
                                                key="messages_resend_sure")
        if st.button("Resend this message", key="messages_resend", icon=":material/replay:", disabled=not sure):
            try:
                again = sending.resend(conn, int(pick), me.username)
            except ValueError as exc:
                st.error(escape(exc), icon=":material/block:")
            else:
                st.session_state[OUTCOME] = again
                st.session_state.pop("messages_resend_sure", None)
                cache.clear()
                st.rerun()
