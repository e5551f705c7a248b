"""Audit log: every change anyone made, who and when, with the values before and after, filtered by an admin."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import json

import streamlit as st

from lib import exports
from lib.admin import audit
from ui import cache, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_admin("Audit log", "read the audit log", "Ask an admin what was changed, by whom and when.",
                           "The audit log")
st.title("Audit log")
st.caption("Every write (imports and undos, edits, circle changes, attendance, taxonomy, users, deletions, backups) "
           "is recorded here in the same transaction as the change itself: who, when, what, and the values before "
           "and after. Entries are never edited; a privacy request removes what they said about that person.")
conn = cache.cursor()
version = cache.data_version(conn)
PAGE = 200

options = cache.audit_choices(version)
cols = st.columns([1, 1.3, 1, 1, 1])
actor = cols[0].selectbox("Who", [None, *options["actor"]], format_func=lambda v: "Anyone" if v is None else v,
                          key="audit_actor")
action = cols[1].selectbox("What", [None, *options["action"]], key="audit_action",
                           format_func=lambda v: "Any action" if v is None else (v if "." in v else f"{v}.* (all)"))
entity = cols[2].selectbox("On", [None, *options["entity"]], format_func=lambda v: "Anything" if v is None else v,
                           key="audit_entity")
since = cols[3].date_input("From", value=None, key="audit_since", format="MM/DD/YYYY")
until = cols[4].date_input("To", value=None, key="audit_until", format="MM/DD/YYYY")
text = st.text_input("Containing", key="audit_text", placeholder="an email, a name, a file name, an id…",
                     max_chars=200)
filters = audit.Filters(actor, action, entity, since, until, text)
total = cache.audit_count(filters, version)
pages = max(1, -(-total // PAGE))
if st.session_state.get("audit_page", 1) > pages:
    st.session_state["audit_page"] = 1
left, right = st.columns([3, 1])
left.markdown(f"**{total:,}** matching entr{'y' if total == 1 else 'ies'}, newest first.")
number = right.number_input("Page", min_value=1, max_value=pages, step=1, key="audit_page",
                            label_visibility="collapsed") if pages > 1 else 1
frame = cache.audit_entries(filters, (number - 1) * PAGE, version)
if frame.empty:
    st.info("No entry matches these filters.", icon=":material/info:")
    st.stop()
st.dataframe(frame.fillna({"detail": "", "entity": "", "entity_id": ""}), hide_index=True, width="stretch",
             key="audit_table",
             column_config={"id": st.column_config.NumberColumn("#", format="%d"),
                            "happened_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss"),
                            "actor": "Who", "action": "What", "entity": "On", "entity_id": "Id",
                            "detail": st.column_config.TextColumn("Detail", width="large")})
st.download_button("Download these entries (CSV)", key="audit_download", icon=":material/download:",
                   data=lambda: exports.to_csv(cache.audit_export(filters, version)),
                   file_name="ali-audit-log.csv", mime="text/csv",
                   help="Every matching entry, up to 100,000; cells that look like formulas are defused.")

st.subheader("One entry")
labels = {int(r.id): f"#{r.id} · {r.happened_at:%Y-%m-%d %H:%M} · {r.actor} · {r.action}" for r in frame.itertuples()}
chosen = st.selectbox("Entry", list(labels), format_func=labels.__getitem__, key="audit_entry")
row = frame.set_index("id").loc[chosen]
pairs = audit.changes(row["detail"])
if pairs:
    st.markdown("**Before and after**")
    st.dataframe([{"Field": escape(str(f)), "Before": json.dumps(b, ensure_ascii=False, default=str),
                   "After": json.dumps(a, ensure_ascii=False, default=str)} for f, b, a in pairs],
                 hide_index=True, width="stretch", key="audit_changes")
if isinstance(row["detail"], str) and row["detail"]:
    st.json(row["detail"], expanded=2)
