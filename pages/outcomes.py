"""Outcomes: the end-of-year survey as n of N with honest intervals, and the program's cohorts side by side."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import streamlit as st

from lib import exports
from lib.report import charts
from lib.year import outcomes
from ui import cache, changes, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_committee("Outcomes")
st.title("Outcomes")
conn = cache.cursor()
version = cache.data_version(conn)
cycle = session.selected_cycle()
if cycle is None:
    st.info("No program year yet: the figures appear once applications, circles and the end-of-year survey are "
            "imported.", icon=":material/info:")
    st.stop()

NOTICE, RESET, SEEN = "outcomes_notice", "outcomes_reset", "outcomes_seen"
changes.resume(RESET)
st.caption(f"Program year {cycle}. A named respondent's latest answer counts once; anonymous answers count toward "
           "the totals only. Each share comes with its 95% Wilson interval: small cohorts say little, and the "
           "interval shows how little.")
changes.notice(NOTICE)

result = cache.outcomes_summary(cycle, version)
for flag in result.flags:
    st.warning(escape(flag), icon=":material/flag:")

cols = st.columns(4)
for column, answer, label in ((cols[0], result.met_goals, "Met their career goals"),
                              (cols[1], result.would_again, "Would participate again")):
    low, high = answer.interval or (None, None)
    column.metric(label, f"{answer.yes} of {answer.n}" if answer.n else "—", border=True,
                  help=("95% Wilson interval " + f"{low:.0%}–{high:.0%}" if answer.n else "No responses yet.")
                  + (" Flagged: see the warning above." if result.flags else ""))
    column.caption(f"{answer.pct:.0%} · 95% CI {low:.0%}–{high:.0%}" if answer.n else "No responses yet")
cols[2].metric("Responses", f"{result.responses} of {result.participants}", border=True,
               help=f"{result.named} named, {result.anonymous} anonymous; participants are the members of the final "
                    "circles." + (" Flagged: see the warning above." if result.flags else ""))
cols[2].caption("Response rate " + (f"{result.response_rate:.0%}" if result.response_rate is not None else "—")
                + (" ⚑" if result.flags else ""))
cols[3].metric("Satisfaction", f"{result.satisfaction_mean:.1f} / 5" if result.satisfaction_mean else "—",
               border=True, help="Mean of the 1-5 answers.")

if result.responses:
    with st.container(border=True):
        st.markdown("**As the annual report will say it**")
        for question in ("met_goals", "participate_again"):
            st.markdown(escape(result.sentence(question)))
    left, right = st.columns(2)
    with left:
        st.vega_lite_chart(charts.stretched(charts.answers(result)), width="stretch", theme=None)
    with right:
        st.vega_lite_chart(charts.stretched(charts.satisfaction(result)), width="stretch", theme=None)
else:
    st.info(f"No end-of-year survey answers for {cycle} yet. Import the survey's export on the Import page, or type "
            "answers in below.", icon=":material/info:")

st.subheader("Breakdown")
BY = {label: key for key, label in outcomes.BREAKDOWNS.items()}
st.session_state.setdefault("outcomes_by", "Circle")
by = st.segmented_control("Break down by", list(BY), key="outcomes_by") or "Circle"
table, hidden, anonymous = cache.outcomes_breakdown(cycle, BY[by], version)
if len(table):
    st.dataframe(table[["group", "responses", "met_goals_yes", "met_goals_pct", "would_again_yes", "would_again_pct"]],
                 hide_index=True, width="stretch", key="outcomes_breakdown",
                 column_config={"group": by, "responses": "Responses", "met_goals_yes": "Met goals (yes)",
                                "met_goals_pct": st.column_config.NumberColumn("Share", format="percent"),
                                "would_again_yes": "Would again (yes)",
                                "would_again_pct": st.column_config.NumberColumn("Share", format="percent")})
notes = []
if hidden:
    notes.append(f"{hidden} response(s) are in groups of fewer than {outcomes.SMALLEST_GROUP} and are not shown: "
                 "small numbers identify people.")
if anonymous:
    notes.append(f"{anonymous} anonymous response(s) cannot be placed in any group.")
if not len(table) and not notes:
    notes.append("No named responses to break down.")
st.caption(" ".join(notes))

with st.expander("Comments (confidential)", icon=":material/lock:"):
    quotable = st.toggle("Only comments whose authors agreed to be quoted", value=True, key="quotable_only")
    said = cache.outcomes_comments(cycle, quotable, version)
    st.caption("Only comments with consent to quote ever go into the annual report, and never with a name.")
    if said.empty:
        st.info("No comments.", icon=":material/info:")
    else:
        st.dataframe(said[["comments", "met_goals", "participate_again", "satisfaction", "consent_to_quote"]],
                     hide_index=True, width="stretch", key="outcomes_comments",
                     column_config={"comments": st.column_config.TextColumn("Comment", width="large"),
                                    "met_goals": "Met goals", "participate_again": "Again",
                                    "satisfaction": "Satisfaction", "consent_to_quote": "May quote"})

with st.expander("Type in an answer received on paper or by email", icon=":material/edit_note:"):
    members = cache.attendance_members(cycle, version)
    who = {0: "Anonymous"} | {int(p): f"{n} ({c})" for p, n, c in zip(members["person_id"], members["name"],
                                                                      members["circle"])}
    with st.form("outcome_form", clear_on_submit=True):
        person = st.selectbox("Respondent", list(who), format_func=who.__getitem__, key="outcome_person")
        goals = st.radio("Did the experience meet your career goals?", outcomes.ANSWERS["met_goals"],
                         format_func=str.capitalize, horizontal=True, key="outcome_goals")
        again = st.radio("Would you participate in this type of program again?", outcomes.ANSWERS["participate_again"],
                         format_func=str.capitalize, horizontal=True, key="outcome_again")
        score = st.select_slider("Satisfaction", options=[1, 2, 3, 4, 5], value=4, key="outcome_satisfaction")
        text = st.text_area("Comments (confidential)", key="outcome_comments", max_chars=5000)
        consent = st.checkbox("The respondent agreed to be quoted (without their name)", key="outcome_consent")
        if st.form_submit_button("Save answer", type="primary", icon=":material/save:"):
            ok, _ = changes.attempt(lambda: outcomes.enter(conn, cycle, me.username, goals, again, score, text,
                                                           consent, person or None), SEEN)
            if ok:
                changes.done("Answer saved.", RESET, NOTICE)
    typed = cache.outcomes_entered(cycle, version)
    if len(typed):
        st.dataframe(typed, hide_index=True, width="stretch", key="outcomes_entered")
        labels = {int(i): f"#{i} by {b} on {t:%b %d, %Y}" for i, b, t in
                  zip(typed["id"], typed["entered_by"], typed["submitted_at"])}
        target = st.selectbox("Remove a typed-in answer", list(labels), format_func=labels.__getitem__,
                              key="remove_response")
        sure = st.checkbox("Yes, remove it", key="remove_confirm")
        if st.button("Remove answer", disabled=not sure, key="remove_answer", icon=":material/delete:"):
            ok, _ = changes.attempt(lambda: outcomes.remove_entered(conn, target, me.username), SEEN)
            if ok:
                changes.done("Answer removed.", RESET, NOTICE, ("remove_confirm",))

st.subheader("Across years")
years = cache.cohorts(version)
st.vega_lite_chart(charts.stretched(charts.cohorts(years, cycle)), width="stretch", theme=None)
shown = years.assign(**{
    "met goals": [f"{y} of {n}" if n else "—" for y, n in zip(years["met_goals_yes"], years["met_goals_n"])],
    "would again": [f"{y} of {n}" if n else "—" for y, n in zip(years["would_again_yes"], years["would_again_n"])],
    "flagged": years["flags"].map(lambda n: "⚑ yes" if n else "")})
st.dataframe(shown[["cycle", "applicants", "eligible", "placed", "circles", "completed", "attendance_rate", "responses",
                    "met goals", "would again", "flagged"]],
             hide_index=True, width="stretch", key="cohorts_table",
             column_config={"cycle": "Program year", "applicants": "Applicants", "eligible": "Eligible",
                            "placed": "Placed", "circles": "Circles", "completed": "Stayed to May",
                            "attendance_rate": st.column_config.NumberColumn("Attendance", format="percent"),
                            "responses": "Responses", "met goals": "Met goals", "would again": "Would again",
                            "flagged": "Flagged"})
st.download_button("Download the cohorts (CSV)", data=lambda: exports.to_csv(years), key="download_cohorts",
                   file_name="ali-circles-cohorts.csv", mime="text/csv", icon=":material/download:")

st.markdown("**Alumni: what past participants did in later years**")
alumni = cache.alumni(version)
if alumni.empty:
    st.info("No final circles yet.", icon=":material/info:")
else:
    st.dataframe(alumni, hide_index=True, width="stretch", key="alumni_table",
                 column_config={"cycle": "Cohort", "participants": "Participants",
                                "joined_directory": "Later in the Skills Directory", "applied_again": "Applied again",
                                "facilitated": "Facilitated a circle", "later_years": "Later years so far"})
    st.caption("Facilitating is matched through a committee account's email address.")
