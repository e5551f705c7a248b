"""Annual report: the program year for ALI leadership, written from the data, with the committee's own sections."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import streamlit as st

from lib.report import files, model
from ui import cache, changes, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_committee("The annual report")
st.title("Annual report")
conn = cache.cursor()
version = cache.data_version(conn)
cycle = session.selected_cycle()
if cycle is None:
    st.info("No program year yet: the report is written from imported data.", icon=":material/info:")
    st.stop()

NOTICE, RESET, SEEN = "report_notice", "report_reset", "report_seen"
changes.resume(RESET)
st.caption(f"The {cycle} report for ALI leadership: program summary, attendance, outcomes with their 95% intervals, "
           "charts, Skills Directory coverage, and the sections the committee writes below. Comments are quoted only "
           "when their authors agreed, and never with a name.")
changes.notice(NOTICE)

content = cache.report_content(cycle, version)
for flag in content.outcomes.flags:
    st.warning(escape(flag), icon=":material/flag:")
with st.container(border=True):
    st.markdown("**What the report says about outcomes**")
    for question in ("met_goals", "participate_again"):
        st.markdown(escape(content.outcomes.sentence(question)))

st.subheader("The committee's sections")
st.caption("Written here, saved with your name, and checked: if another committee member saved a section since you "
           "opened it, yours is not saved over theirs, and your text stays in the box.")
stored = cache.report_sections(cycle, version)
seen = st.session_state.setdefault(SEEN, {})
if seen.get("_cycle") != cycle:
    # Another program year: its sections replace what the boxes held.
    seen.clear()
    seen["_cycle"] = cycle
    for key in model.SECTIONS:
        st.session_state.pop(f"report_{key}", None)
edited = {}
for key, title in model.SECTIONS.items():
    section = stored[key]
    seen.setdefault(key, section.version)
    st.session_state.setdefault(f"report_{key}", section.body)
    edited[key] = st.text_area(title, key=f"report_{key}", height=120, max_chars=20000,
                               help="Plain text; a line starting with '- ' becomes a bullet.")
    if section.updated_by:
        st.caption(f"Last saved by {escape(section.updated_by)} on {section.updated_at:%b %d, %Y at %H:%M}.")
unsaved = [key for key in model.SECTIONS if model.clean(edited[key]) != stored[key].body]
if st.button(f"Save {len(unsaved)} section(s)" if unsaved else "Save sections", type="primary",
             disabled=not unsaved, key="report_save", icon=":material/save:"):
    saved = []
    for key in unsaved:
        ok, _ = changes.attempt(lambda key=key: model.save_section(conn, cycle, key, edited[key], seen[key],
                                                                   me.username), "_report_refused")
        if not ok:
            # Their text is shown beside yours; the next Save is a deliberate choice to replace it.
            theirs = model.sections(conn, cycle)[key]
            seen[key] = theirs.version
            st.session_state["report_conflict"] = (model.SECTIONS[key], theirs.updated_by, theirs.body)
            break
        saved.append(model.SECTIONS[key])
    if len(saved) == len(unsaved):
        changes.done(f"Saved: {', '.join(saved)}.", RESET, NOTICE, (SEEN, "report_conflict"))
    elif saved:
        cache.clear()
        st.info(f"Saved before the refusal: {', '.join(saved)}.", icon=":material/info:")
if conflict := st.session_state.get("report_conflict"):
    title, who, body = conflict
    with st.expander(f"{title}: the text {who or 'someone'} saved meanwhile", expanded=True, icon=":material/merge:"):
        st.text(body or "(empty)")
        st.caption("Your text is still in the box above. Merge what you want to keep, then Save: it will replace "
                   "theirs.")

st.subheader("Download")
if unsaved:
    st.warning("Some sections have changes that are not saved: the files hold the saved text. Save first.",
               icon=":material/edit_note:")
cols = st.columns(3)
for column, (fmt, label, mime) in zip(cols, (("pdf", "PDF for printing", "application/pdf"),
                                             ("html", "Web page (HTML)", "text/html"),
                                             ("md", "Markdown", "text/markdown"))):
    column.download_button(label, data=lambda fmt=fmt: files.render(cache.cursor(), cycle, fmt),
                           file_name=model.file_name(cycle, fmt), mime=mime, key=f"download_report_{fmt}",
                           icon=":material/download:", width="stretch", type="primary" if fmt == "pdf" else "secondary")
st.caption("Each file is written when you click, from the data as it is now; charts are drawn on the server, "
           "without a browser or the internet.")
