"""Skills Directory: the published directory of the selected program year, searchable."""
import streamlit as st

from ui import cache, session

st.title("ALI Skills Directory")
cycle = session.selected_cycle()
st.caption("Colleagues across Indiana who agreed to share their skills, for support, discussion, feedback or "
           "collaboration. Only members who chose to be published this year are listed.")

if cycle is None:
    st.info("No Skills Directory Survey has been imported yet.")
    st.stop()

conn = cache.cursor()
search = st.text_input("Search", key="directory_search", placeholder="Try: cataloging, info lit, Ball State, Northeast",
                       help="Every word must match a name, institution, region, job title, department or skill "
                            "(skill aliases count: 'info lit' finds Information literacy instruction). "
                            "Put a phrase in double quotes.")
table = cache.published(cycle, search.strip(), cache.data_version(conn))

left, right = st.columns([3, 1])
left.markdown(f"**{len(table)}** member{'s' if len(table) != 1 else ''} in the {cycle} directory"
              + (f" matching *{search.strip()}*" if search.strip() else ""))
right.download_button("Download CSV", table.assign(
    skills=table["skills"].map("; ".join), other_skills=table["other_skills"].map("; ".join),
    contact_purposes=table["contact_purposes"].map("; ".join)).to_csv(index=False).encode("utf-8"),
    file_name=f"ali-skills-directory-{cycle}.csv", mime="text/csv", key="directory_download",
    icon=":material/download:", disabled=table.empty)

if table.empty:
    st.info("Nobody matches that search. Try fewer words or a broader skill." if search.strip()
            else "Nobody has agreed to be published for this year yet.")
else:
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
