"""Privacy requests: everything held about one person, deleted on request; the retention purge of old program years."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import pandas as pd
import streamlit as st

from lib.admin import privacy
from lib.settings import get_settings
from ui import cache, changes, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_admin("Privacy requests", "act on privacy requests",
                           "Ask an admin to find or delete what is held about someone.",
                           "Privacy requests (for admins)")
st.title("Privacy requests")
conn = cache.cursor()
NOTICE, RESET, SEEN = "privacy_notice", "privacy_reset", "privacy_seen"
changes.resume(RESET)
st.caption("Delete a person on request: every row about them goes in one transaction, and the audit log keeps only "
           "that a deletion happened, with a reference to quote back to them. Below, the retention purge of "
           "confidential data of old program years.")
changes.notice(NOTICE)

st.subheader("Delete a person on request")
with st.form("privacy_search"):
    st.text_input("Email address of the person who asked", key="privacy_email", placeholder="name@example.edu",
                  help="Case and spaces do not matter.")
    st.form_submit_button("Find", icon=":material/search:")
typed = (st.session_state.get("privacy_email") or "").strip()
found = None
if typed:
    try:
        found = privacy.find(conn, typed)
    except ValueError as exc:
        st.info(escape(str(exc)), icon=":material/person_search:")

if found is not None:
    years = ", ".join(found.cycles) or "none"
    st.markdown(f"**{escape(found.name or '(no name)')}** · {escape(found.email)} · program years: {years}")
    st.dataframe(pd.DataFrame(found.table()), hide_index=True, width="stretch", key="privacy_footprint",
                 column_config={"what": st.column_config.TextColumn("What is held", width="large"),
                                "table": "Table", "rows": "Rows"})
    if found.circles:
        st.dataframe(pd.DataFrame(found.circles), hide_index=True, width="stretch", key="privacy_circles",
                     column_config={"cycle": "Program year", "circle": "Circle", "draft": "Draft", "status": "Status",
                                    "others": "Other members"})
    for note in found.notes:
        st.warning(escape(note), icon=":material/info:")
    sure = st.checkbox(f"Yes, delete everything about {escape(found.email)}. This cannot be undone.",
                       key="privacy_confirm")
    if st.button("Delete everything about this person", type="primary", disabled=not sure, key="privacy_delete",
                 icon=":material/person_remove:"):
        ok, removed = changes.attempt(lambda: privacy.delete_person(conn, found.email, me.username), SEEN)
        if ok:
            changes.done(f"Deleted everything about {escape(found.email)}: {found.rows} row(s) removed, "
                         f"{removed['audit_log']} audit entr{'y' if removed['audit_log'] == 1 else 'ies'} redacted. "
                         f"Request reference: **{removed.reference}**: quote it to the person who asked; the audit "
                         "log records it as person.delete, with counts only.", RESET, NOTICE,
                         ("privacy_email", "privacy_confirm"))

st.subheader("Retention")
setting = get_settings().retention_years
st.caption(f"Confidential data is kept for {setting} program year(s) before today's (the setting "
           "ALI_RETENTION_YEARS). The purge deletes the applications and eligibility decisions of older program years "
           "and clears their end-of-year comments (and the consent to quote them). The answers stay, so cohorts and "
           "outcomes still count them, but those years show no applicants afterwards. People left with no other "
           "data are removed too.")
keep = st.number_input("Keep the last N program years", min_value=1, max_value=100, step=1,
                       value=min(100, max(1, setting)), key="retention_years")
plan = privacy.preview_purge(conn, int(keep))
if plan.empty:
    st.info(f"Nothing to purge: no confidential data is more than {plan.years} year(s) older than today's program "
            f"year ({plan.current}).", icon=":material/check_circle:")
else:
    st.dataframe(pd.DataFrame(plan.cycles), hide_index=True, width="stretch", key="retention_preview",
                 column_config={"cycle": "Program year", "applications": "Applications",
                                "eligibility_overrides": "Eligibility decisions", "comments": "Comments cleared"})
    st.caption(f"{plan.people} person record(s) would be left with no other data and are removed too.")
    names = ", ".join(c["cycle"] for c in plan.cycles)
    sure_purge = st.checkbox(f"Yes, purge the confidential data of {names}. This cannot be undone.",
                             key="retention_confirm")
    if st.button("Purge", type="primary", disabled=not sure_purge, key="retention_purge", icon=":material/delete:"):
        ok, done = changes.attempt(lambda: privacy.purge(conn, plan.years, me.username), SEEN)
        if ok:
            changes.done(f"Purged {', '.join(done['cycles'])}: {done['applications']} application(s), "
                         f"{done['eligibility_overrides']} eligibility decision(s), {done['comments']} comment(s) "
                         f"cleared, {done['people']} person record(s) removed. Reference: {done['reference']}.",
                         RESET, NOTICE, ("retention_confirm",))
