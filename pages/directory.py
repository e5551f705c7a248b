"""Skills Directory: find a colleague anywhere in Indiana, best match first; profiles, filters and downloads."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import pandas as pd
import streamlit as st

from lib import exports
from lib.directory import files, members, publication, search
from ui import cache, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

who = session.viewer()
audience = search.COMMITTEE if who.is_committee else search.PUBLIC
PAGE = 25

st.title("ALI Skills Directory")
st.caption("Colleagues across Indiana who agreed to share their skills, for support, discussion, feedback or "
           "collaboration. Only members who chose to be published this year are listed."
           + (" As a committee member you also see members who are not published, and why." if who.is_committee
              else ""))

cycle = session.selected_cycle()
if cycle is None:
    st.info("No Skills Directory Survey has been imported yet.")
    st.stop()

FACETS = [("categories", "Skill category"), ("skills", "Skill"), ("regions", "Region"), ("counties", "County"),
          ("institutions", "Institution"), ("institution_types", "Institution type"), ("open_to", "Open to"),
          ("years", "Years in the profession")] + ([("statuses", "Status")] if who.is_committee else [])


@st.dialog("Directory entry", width="large")
def show_profile(person_id: int) -> None:
    """The whole entry of one member, with a link to write to them."""
    entry = search.profile(cache.cursor(), cycle, person_id, audience)
    if entry is None:
        st.warning("This member is no longer in the directory.")
        return
    st.subheader(escape(entry["name"]))
    st.markdown(" · ".join(escape(part) for part in (entry["job_title"], entry["department"]) if part) or " ")
    st.markdown(f"**Institution:** {escape(entry['institution'] or 'not given')}"
                + (f" ({escape(entry['region'])} Indiana, {escape(entry['county'])} County)" if entry["region"] else ""))
    if entry["years"] is not None:
        st.markdown(f"**Years in the profession:** {entry['years']}")
    st.markdown("**Areas of expertise:** " + (", ".join(escape(s) for s in entry["skills"]) or "none listed"))
    if entry["other_skills"]:
        st.markdown("**Other expertise (in their words):** " + ", ".join(escape(s) for s in entry["other_skills"]))
    st.markdown("**Open to:** " + (", ".join(entry["open_to"]) or "not said")
                + f" · **Contact by:** {escape(entry['contact_method'] or 'email')}")
    st.link_button(f"Write to {escape(entry['name'])}", publication.mailto(entry["email"]),
                   icon=":material/mail:", type="primary")
    st.caption(f"Email: {escape(entry['email'])}")
    if "history" in entry:
        st.markdown(f"**Status this year:** {entry['status']}")
        history = pd.DataFrame(entry["history"])
        if not history.empty:
            st.markdown("**Every answer to the Skills Directory Survey** (committee only)")
            st.dataframe(history.rename(columns={
                "cycle": "Program year", "submitted_at": "Submitted", "consent": "Consented", "held_reason":
                "Held because", "reviewed_by": "Reviewed by", "skills": "Skills", "others": "Other answers"}),
                hide_index=True, width="stretch")


def result(row: dict, number: int, text: str) -> None:
    """One member in the results: who, where, which skills matched, and how to reach them.

    Three elements in one bordered box (no columns, one text for skills and contact): a page of 25 is drawn
    on every search, and under load every element sent costs the server time.
    """
    with st.container(border=True, key=f"result_{number}"):
        title = f"**{escape(row['name'])}**"
        if row["status"] != "published":
            title += f" :gray-badge[{row['status']}]"
        place = f"{row['region']} Indiana" if row["region"] else None
        st.markdown(title + "  \n" + " · ".join(escape(p) for p in (
            row["job_title"], row["department"], row["institution"], place) if p))
        matched = set(row["matched_skills"]) | set(row["matched_other"])
        skills = [s for s in row["skills"] if s in matched] + [s for s in row["skills"] if s not in matched]
        others = [s for s in row["other_skills"] if s in matched] + [s for s in row["other_skills"] if s not in matched]
        # Matches are highlighted and listed first; the rest of the entry follows, then the profile has it all.
        labels = [f":blue-background[**{escape(s)}**]" if s in matched else escape(s) for s in skills + others][:10]
        more = len(skills) + len(others) - len(labels)
        reasons = search.why(row)
        contact = [f"Open to {', '.join(row['open_to'])}" if row["open_to"] else None,
                   f"contact by {escape(row['contact_method'])}" if row["contact_method"] else None,
                   f"[{escape(row['email'])}]({publication.mailto(row['email'])})"]
        st.markdown((("Skills: " + ", ".join(labels) + (f" and {more} more" if more > 0 else "")) if labels
                     else "No skills listed") + "  \n" + " · ".join(part for part in contact if part)
                    + (f" · matched in {', '.join(reasons)}" if reasons and text else ""))
        if st.button("Profile", key=f"profile_{row['person_id']}", icon=":material/person:"):
            show_profile(row["person_id"])


@st.fragment
def find() -> None:
    """The search box, the filters and the results: a search or a filter reruns only this part of the page."""
    viewer = session.viewer_in_fragment()  # a logout elsewhere still ends this session at its next search
    conn = cache.cursor()
    version = cache.data_version(conn)
    options = cache.facet_options(cycle, audience, version)
    text = st.text_input("Search", key="directory_search",
                         placeholder="Try: cataloging, info lit, José, Ball State, Northeast",
                         help="Skills (names, aliases and British or American spellings), job titles, institutions, "
                              "regions and names, accents and small typos forgiven. Members who list a skill you "
                              "name come first, then people matching more of your words. Put a phrase in double "
                              "quotes.").strip()
    with st.expander("Filters", icon=":material/filter_list:"):
        columns = st.columns(3)
        chosen = {}
        for number, (facet, label) in enumerate(FACETS):
            chosen[facet] = columns[number % 3].multiselect(label, options.get(facet, []), key=f"facet_{facet}",
                                                            placeholder="Any")
    filters = tuple((facet, tuple(values)) for facet, values in chosen.items() if values)

    shown = st.session_state.get("directory_shown", PAGE)
    if st.session_state.get("_directory_query") != (text, filters, cycle):
        st.session_state["_directory_query"] = (text, filters, cycle)
        st.session_state["directory_shown"] = shown = PAGE
    rows, total = cache.search_page(cycle, text, filters, audience, shown, version)

    summary = (f"**{total:,}** member{'s' if total != 1 else ''} in the {cycle} directory"
               + (f" matching *{escape(text)}*" if text else "") + (" (filtered)" if filters else ""))
    if viewer.is_committee:
        summary += " · " + ", ".join(f"{status} {count:,}"
                                     for status, count in cache.status_counts(cycle, version).items())
    st.markdown(summary)
    if not rows:
        st.info("Nobody matches that search. Try fewer words, a broader skill, or clear the filters." if text or filters
                else "Nobody has agreed to be published for this year yet.", icon=":material/search_off:")
    else:
        for number, row in enumerate(rows):
            result(row, number, text)
        if total > len(rows):
            st.caption(f"Showing {len(rows):,} of {total:,}, best matches first.")
            # A callback, not a rerun: it runs before this part of the page is drawn again, whole run or not.
            st.button(f"Show {min(PAGE, total - len(rows))} more", key="directory_more", icon=":material/expand_more:",
                      on_click=lambda: st.session_state.update(directory_shown=shown + PAGE))

    def results_csv() -> bytes:
        """Every member this search matches, as CSV (built only when someone asks for it)."""
        table, _ = search.search(cache.cursor(), cycle, text, search.Filters(**dict(filters)), audience=audience,
                                 limit=None)
        columns = ["name", "job_title", "department", "institution", "region", "county", "email", "skills",
                   "other_skills", "open_to", "contact_method", "years"] + (["status"] if viewer.is_committee else [])
        return exports.to_csv(table.select(columns).to_pandas())

    st.download_button("These results (CSV)", results_csv, file_name=f"ali-skills-directory-{cycle}-search.csv",
                       mime="text/csv", key="directory_download", icon=":material/download:", disabled=not rows)


find()

st.divider()
st.header("Download", divider=False)
left, _ = st.columns([2, 1], vertical_alignment="top")
with left:
    st.markdown(f"**ALI Annual Skills Directory {cycle}**: every published member, as a file to share or print.")
    buttons = st.columns(len(publication.FORMATS))
    for column, (fmt, (_, mime)) in zip(buttons, publication.FORMATS.items()):
        # Short labels: four buttons share two thirds of a row (CSV, XLSX, PDF, HTML; the line above says what).
        column.download_button(fmt.upper(), lambda fmt=fmt: files.directory_file(cache.cursor(), cycle, fmt),
                               file_name=publication.file_name(cycle, fmt), mime=mime, key=f"publish_{fmt}",
                               icon=":material/description:", width="stretch")

if who.is_committee:
    conn = cache.cursor()
    held = members.held(conn, cycle)
    st.divider()
    st.header("Held for review")
    if held.empty:
        st.caption("No answer is waiting for review: everything members agreed to publish is published.")
    else:
        st.caption("These answers looked like a spreadsheet formula, contained markup or gave no name, so they are "
                   "kept out of the public directory and every download until someone approves them as they are or "
                   "corrects them (an answer with no name is published only once a name is added).")
        for row in held.itertuples():
            with st.expander(escape(f"{row.email} · {row.held_reason}"), icon=":material/flag:"):
                with st.form(f"review_{row.id}"):
                    # A blank field is NaN in the frame: shown empty, never as the text "nan".
                    values = {field: st.text_input(field.replace("_", " ").capitalize(),
                                                   value="" if pd.isna(getattr(row, field)) else getattr(row, field),
                                                   key=f"review_{row.id}_{field}")
                              for field in members.REVIEWABLE_FIELDS}
                    if st.form_submit_button("Publish with these values", type="primary"):
                        try:
                            members.review(conn, int(row.id), int(row.version), actor=who.username,
                                             corrections=values)
                        except (members.ConflictError, ValueError) as exc:  # a stale version, or no name
                            st.error(escape(str(exc)))
                        else:
                            cache.clear()
                            st.rerun()
