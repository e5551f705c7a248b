"""Skills Directory: the published directory of the selected program year, searchable."""
import streamlit as st

from lib import directory, exports
from ui import cache, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

st.title("ALI Skills Directory")
cycle = session.selected_cycle()
st.caption("Colleagues across Indiana who agreed to share their skills, for support, discussion, feedback or "
           "collaboration. Only members who chose to be published this year are listed.")

if cycle is None:
    st.info("No Skills Directory Survey has been imported yet.")
    st.stop()

conn = cache.cursor()
DISPLAY_LIMIT = 2000
search = st.text_input("Search", key="directory_search", placeholder="Try: cataloging, info lit, Ball State, Northeast",
                       help="Every word must match a name, institution, region, job title, department or skill "
                            "(skill aliases count: 'info lit' finds Information literacy instruction). "
                            "Put a phrase in double quotes.")
found = cache.published(cycle, search.strip(), cache.data_version(conn))
table = directory.to_frame(found.slice(0, DISPLAY_LIMIT))

left, right = st.columns([3, 1], vertical_alignment="center")
left.markdown(f"**{found.num_rows:,}** member{'s' if found.num_rows != 1 else ''} in the {cycle} directory"
              + (f" matching *{escape(search.strip())}*" if search.strip() else ""))


def directory_csv() -> bytes:
    """Build the download only when someone asks for it."""
    return exports.to_csv(directory.to_frame(found))


right.download_button("Download CSV", directory_csv, width="stretch", file_name=f"ali-skills-directory-{cycle}.csv",
                      mime="text/csv", key="directory_download", icon=":material/download:", disabled=table.empty)

if table.empty:
    st.info("Nobody matches that search. Try fewer words or a broader skill." if search.strip()
            else "Nobody has agreed to be published for this year yet.")
else:
    if found.num_rows > DISPLAY_LIMIT:
        st.caption(f"Showing the first {DISPLAY_LIMIT:,} by name; narrow the search, or download the full list.")
    st.dataframe(
        table,
        hide_index=True,
        column_order=["name", "institution", "region", "job_title", "skills", "contact_purposes", "contact_method",
                      "email", "department", "years_in_profession", "other_skills"],
        width="stretch",
        key="directory_table",
        column_config={
            "name": st.column_config.TextColumn("Name", width="medium"),
            "email": st.column_config.TextColumn("Email"),
            "institution": st.column_config.TextColumn("Institution", width="medium"),
            "region": st.column_config.TextColumn("Region"),
            "job_title": st.column_config.TextColumn("Job title", width="medium"),
            "department": st.column_config.TextColumn("Department"),
            "years_in_profession": st.column_config.NumberColumn("Years", help="Years in the profession"),
            "skills": st.column_config.ListColumn("Areas of expertise", width="large"),
            "other_skills": st.column_config.ListColumn("Other expertise"),
            "contact_purposes": st.column_config.ListColumn("Open to", help="Support, discussion, feedback, collaboration"),
            "contact_method": st.column_config.TextColumn("Contact by"),
        },
    )
