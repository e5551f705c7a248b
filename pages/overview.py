"""Overview: the selected program year's headline figures, each with its trend over the years."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import altair as alt
import pandas as pd
import streamlit as st

from lib.circles import applications
from lib.report import charts
from lib.year.outcomes import SHORT_LABELS as outcome_questions
from lib.year.overview import trend_words
from ui import cache, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

session.require_committee("The Overview")
cycle = session.selected_cycle()
st.title("Overview")
st.caption("Headline figures of the program year chosen in the sidebar; the small line under each shows every "
           "year so far, the arrow the change since the year before.")
if cycle is None:
    st.info("The database is empty. Import a Skills Directory Survey to begin.")
    st.stop()

conn = cache.cursor()
version = cache.data_version(conn)
figures = cache.headline(cycle, version)
trend = cache.trend(version)
upto = trend[trend["cycle"] <= cycle]
previous = upto.iloc[-2] if len(upto) >= 2 else None


def metric(column, label: str, value, key: str, help_text: str, fmt=lambda v: f"{v:,}",
           delta_color: str = "normal", shown=None) -> None:
    """Draw one headline number with its change since last year and a trend line of all years, told in words."""
    series = upto[["cycle", key]].dropna()
    delta = None
    change = None
    if previous is not None and pd.notna(previous[key]) and value is not None:
        change = value - previous[key]
        delta = fmt(change) if key != "attendance_rate" and key != "participate_again_share" else f"{change * 100:+.0f} pts"
        if isinstance(change, (int, float)) and change > 0 and not delta.startswith("+"):
            delta = "+" + delta
    shown = ("—" if value is None else fmt(value)) if shown is None else shown
    # Streamlit's own sparkline (st.metric's chart_data) is an SVG without a text alternative; this one is described.
    with column.container(border=True):
        st.metric(label, shown, delta=delta, help=help_text, delta_color=delta_color)
        if len(series) > 1:
            cycles, values = series["cycle"].tolist(), series[key].tolist()
            st.vega_lite_chart(charts.sparkline(cycles, values, trend_words(label, cycles, values, fmt),
                                                charts.trend_colour(change, inverse=delta_color == "inverse")),
                               width="stretch")


st.subheader(f"Skills Directory {cycle}")
a, b, b2, c, d = st.columns([1.3, 1.3, 0.8, 0.8, 0.8], gap="small")  # room for the long labels
metric(a, "Members in the directory", figures["directory_published"], "directory_published",
       f"Latest answer of each respondent in {cycle} with consent to publish. {figures['respondents']} answered; "
       f"{figures['withheld']} did not consent; {figures['lapsed']} answered an earlier year but not this one.")
metric(b, "Skills with 3+ experts", figures["skills_3plus"], "skills_3plus",
       f"Taxonomy skills (of {figures['skills_in_taxonomy']}) that at least 3 published members offer: a member "
       "asking for help has a choice of colleagues.")
# Fewer thin skills is better, so a drop shows green.
metric(b2, "Thin skills", figures["thin_skills"], "thin_skills",
       f"Taxonomy skills (of {figures['skills_in_taxonomy']}) that no published member, or only one, offers. "
       "The Coverage page lists them.", delta_color="inverse")
metric(c, "Institutions", figures["institutions_covered"], "institutions_covered",
       "Institutions with at least one published member.")
metric(d, "Counties", figures["counties_covered"], "counties_covered",
       "Indiana counties (of 92) with at least one published member's institution.")

st.subheader(f"Peer Mentorship Circles {cycle}")
e, f, g, h = st.columns(4)
metric(e, "Applicants", figures["applicants"], "applicants",
       f"Latest application per person. {applications.summary(figures['eligibility'])}")
metric(f, "Circles", figures["circles"], "circles", f"Final circles; {figures['participants']} participants.")
rate = figures["attendance"]["rate"]
metric(g, "Attendance", rate, "attendance_rate",
       f"{figures['attendance']['present']} present of {figures['attendance']['recorded']} recorded member-meetings.",
       fmt=lambda v: f"{v:.0%}")
again = figures["participate_again"]
with h:
    share = again["yes"] / again["responses"] if again["responses"] else None
    interval = (f"95% Wilson interval {again['low']:.0%}–{again['high']:.0%}" if again["responses"]
                else "No end-of-year responses yet")
    # Only the selected year's share is compared with the year before: the figure shown is that year's.
    metric(st, "Would participate again", share if upto["cycle"].iloc[-1] == cycle else None,
           "participate_again_share", f"{interval}. Small cohorts say little: the interval shows how little.",
           fmt=lambda v: f"{v:.0%}",
           shown=f"{again['yes']} of {again['responses']}" if again["responses"] else "—")
    st.caption(interval + (" · ⚑ flagged" if figures["outcome_flags"] else ""))
for flag in figures["outcome_flags"]:
    st.warning(escape(flag), icon=":material/flag:")

st.divider()
left, right = st.columns(2)
with left:
    st.markdown("**Directory members by program year**")
    chart = alt.Chart(trend).mark_bar(color="#2E6F73").encode(
        x=alt.X("cycle:N", title="Program year", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("directory_published:Q", title="Published members"),
        opacity=alt.condition(alt.datum.cycle == cycle, alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("cycle:N", title="Year"), alt.Tooltip("directory_published:Q", title="Members"),
                 alt.Tooltip("institutions_covered:Q", title="Institutions"),
                 alt.Tooltip("skills_3plus:Q", title="Skills with 3+ experts")],
    ).properties(height=260)
    st.altair_chart(chart, width="stretch")
with right:
    st.markdown("**End-of-year outcomes, share answering Yes (95% interval)**")
    rows = []
    for _, year in trend.iterrows():
        for key, label in outcome_questions.items():
            if year[f"{key}_responses"]:
                rows.append({"cycle": year["cycle"], "question": label,
                             "share": year[f"{key}_yes"] / year[f"{key}_responses"],
                             "low": year[f"{key}_low"], "high": year[f"{key}_high"],
                             "n of N": f"{year[f'{key}_yes']} of {year[f'{key}_responses']}",
                             "flagged": "yes: see the Outcomes page" if year["outcome_flags"] else "no"})
    outcomes = pd.DataFrame(rows)
    if outcomes.empty:
        st.info("No end-of-year survey imported yet.")
    else:
        base = alt.Chart(outcomes).encode(
            x=alt.X("cycle:N", title="Program year", axis=alt.Axis(labelAngle=0)),
            color=alt.Color("question:N", title=None, legend=alt.Legend(orient="top", labelLimit=320),
                            scale=alt.Scale(range=["#2E6F73", "#C9A227"])),
            xOffset="question:N",
            # The selected program year stands out, as on the bar chart beside it.
            opacity=alt.condition(alt.datum.cycle == cycle, alt.value(1.0), alt.value(0.35)))
        bars = base.mark_rule(strokeWidth=3).encode(y=alt.Y("low:Q", title="Share Yes", axis=alt.Axis(format="%"),
                                                            scale=alt.Scale(domain=[0, 1])), y2="high:Q")
        points = base.mark_point(filled=True, size=80).encode(
            y="share:Q", tooltip=["cycle", "question", "n of N", "flagged",
                                  alt.Tooltip("low:Q", format=".0%", title="95% low"),
                                  alt.Tooltip("high:Q", format=".0%", title="95% high")])
        st.altair_chart(alt.layer(bars, points).properties(height=260), width="stretch", height=330)
