"""Coverage: where the published directory's members are, which skills are deep or thin, and demand vs supply."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import altair as alt
import pandas as pd
import streamlit as st

from lib import exports
from lib.directory import coverage
from ui import cache, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

session.require_committee("Coverage")
cycle = session.selected_cycle()
st.title("Coverage")
st.caption("Statewide skill coverage of the Skills Directory in the program year chosen in the sidebar: published "
           "members only (latest answer of the year, with consent, not held for review).")
if cycle is None:
    st.info("The database is empty. Import a Skills Directory Survey to begin.")
    st.stop()

conn = cache.cursor()
version = cache.data_version(conn)
options = cache.coverage_filters(version)
left, middle, right = st.columns(3)
region = left.selectbox("Region", [None, *options["region"]], key="coverage_region",
                        format_func=lambda v: "All regions" if v is None else v,
                        help="Members whose institution is in this region (see docs/regions.md).")
kind = middle.selectbox("Institution type", [None, *options["institution_type"]], key="coverage_type",
                        format_func=lambda v: "All types" if v is None else v)
category = right.selectbox("Skill category", [None, *options["category"]], key="coverage_category",
                           format_func=lambda v: "All categories" if v is None else v,
                           help="Only this category's skills, and the members who offer at least one of them.")
filtered = any((region, kind, category))
report = cache.coverage_report(cycle, region, kind, category, version)
years = cache.coverage_years(region, kind, category, version)
figures = report["summary"]

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
ORANGE, BLUE, GREEN, PURPLE = "#E69F00", "#0072B2", "#009E73", "#CC79A7"
# Counts of people: whole numbers on every axis and legend, even when the largest count is 1.
WHOLE = {"format": "d", "tickMinStep": 1}


def with_data(chart, table: pd.DataFrame, name: str, width: str = "stretch") -> None:
    """Draw a chart, then its table and a safe CSV download in a "Show data" expander."""
    if chart is not None:
        st.altair_chart(chart, width=width)
    with st.expander("Show data"):
        st.dataframe(table, hide_index=True, width="stretch")
        st.download_button("Download CSV", exports.to_csv(table), file_name=f"ali-coverage-{name}-{cycle}.csv",
                           mime="text/csv", key=f"coverage_download_{name}", icon=":material/download:")


a, b, c, d, e = st.columns([1.2, 0.85, 1.0, 1.3, 0.9], gap="small")  # room for the long labels
a.metric("Published members", f"{figures['members']:,}", border=True,
         help="Members in this year's directory who match the filters.")
b.metric("Institutions", f"{figures['institutions']:,}", border=True,
         help="Institutions with at least one such member.")
c.metric("Counties", f"{figures['counties']} of 92", border=True,
         help="Indiana counties with at least one such member's institution.")
d.metric("Skills with 3+ experts", f"{figures['skills_3plus']} of {figures['skills']}", border=True,
         help="Taxonomy skills (in the chosen category) that at least 3 published members offer.")
e.metric("Thin skills", f"{figures['thin_skills']} of {figures['skills']}", border=True,
         help="Taxonomy skills (in the chosen category) that no published member, or only one, offers.")

if figures["members"] == 0:
    st.info(f"No published members in {cycle}" + (" match these filters." if filtered else
            ": nobody who answered this year's survey has agreed to be published yet.") +
            " The map, skills and gaps need at least one; demand and the years' trends follow below.",
            icon=":material/info:")
else:
    st.subheader("Where members are")
    counties = report["counties"]
    places = report["institutions"]
    shapes = alt.Chart(alt.Data(values=cache.county_shapes()["features"])).mark_geoshape(
        stroke="white", strokeWidth=0.6).transform_lookup(
        lookup="properties.county_fips",
        from_=alt.LookupData(counties, "county_fips", ["county", "region", "members"]),
    ).encode(
        # Counties without a member stay grey, so "nobody" never looks like "a few".
        color=alt.condition("datum.members > 0",
                            alt.Color("members:Q", title="Members", legend=alt.Legend(**WHOLE),
                                      scale=alt.Scale(scheme="blues", type="sqrt", domainMin=1, nice=False)),
                            alt.value("#E4E4E4")),
        tooltip=[alt.Tooltip("county:N", title="County"), alt.Tooltip("region:N", title="Region"),
                 alt.Tooltip("members:Q", title="Published members")],
    )
    dots = alt.Chart(places).mark_circle(color=ORANGE, stroke="#333333", strokeWidth=0.8, opacity=0.85).encode(
        longitude="longitude:Q", latitude="latitude:Q",
        size=alt.Size("members:Q", title="Members at an institution", scale=alt.Scale(range=[30, 500], zero=False),
                      legend=alt.Legend(**WHOLE)),
        tooltip=[alt.Tooltip("institution:N", title="Institution"), alt.Tooltip("members:Q", title="Members"),
                 alt.Tooltip("institution_type:N", title="Type"), alt.Tooltip("county:N", title="County")],
    )
    indiana = alt.layer(shapes, dots).resolve_legend(color="independent", size="independent").project(
        type="mercator").properties(
        title=f"Published members per county and institution, {cycle}", height=560)
    with_data(indiana, counties, "counties")
    st.caption("Grey: no published member. Circles: institutions, sized by their published members.")
    if figures["unmapped"]:
        st.caption(f"{figures['unmapped']} member{'s' if figures['unmapped'] != 1 else ''} named an institution "
                   "with no county on record, so they are counted above but not on the map (see Skills and "
                   "institutions).")
    with st.expander("Institutions on the map"):
        st.dataframe(places, hide_index=True, width="stretch")
        st.download_button("Download CSV", exports.to_csv(places), file_name=f"ali-coverage-institutions-{cycle}.csv",
                           mime="text/csv", key="coverage_download_institutions", icon=":material/download:")

    st.subheader("Skills by region")
    matrix = report["matrix"]
    heat = alt.Chart(matrix).mark_rect(stroke="white").encode(
        x=alt.X("region:N", title="Region", axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("skill:N", title=None, sort=alt.EncodingSortField("skill_total", order="descending"),
                axis=alt.Axis(labelLimit=260)),
        color=alt.Color("experts:Q", title="Experts", scale=alt.Scale(scheme="viridis"), legend=alt.Legend(**WHOLE)),
        tooltip=[alt.Tooltip("skill:N", title="Skill"), alt.Tooltip("category:N", title="Category"),
                 alt.Tooltip("region:N", title="Region"), alt.Tooltip("experts:Q", title="Published experts")],
    ).properties(title=(f"Published experts per skill and region, {cycle}" if category else
                        f"Published experts per region, the {matrix['skill'].nunique()} most offered skills, {cycle}"),
                 height=alt.Step(20))
    with_data(heat, matrix.drop(columns="skill_total"), "skills-by-region")

    top = report["top_skills"]
    bars = alt.Chart(top).mark_bar().encode(
        x=alt.X("experts:Q", title="Published experts", axis=alt.Axis(**WHOLE)),
        y=alt.Y("skill:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
        color=alt.Color("regions:Q", title="Regions", scale=alt.Scale(scheme="cividis", domain=[0, 9]),
                        legend=alt.Legend(**WHOLE)),
        tooltip=[alt.Tooltip("skill:N", title="Skill"), alt.Tooltip("category:N", title="Category"),
                 alt.Tooltip("experts:Q", title="Published experts"),
                 alt.Tooltip("institutions:Q", title="Institutions"), alt.Tooltip("regions:Q", title="Regions")],
    ).properties(title=f"Top skills by published experts (colour: regions they reach), {cycle}",
                 height=alt.Step(22))
    with_data(bars, top, "top-skills")

    st.subheader("Gaps")
    gaps = report["gaps"]
    thin, regions, kinds = gaps["skills"], gaps["regions"], gaps["institution_types"]
    g1, g2, g3 = st.columns(3)
    with g1:
        st.markdown(f"**Thin skills** ({len(thin)}): no published expert, or one")
        st.markdown("\n".join(f"- {escape(row.skill)}: {'nobody' if row.experts == 0 else 'one member'}"
                              for row in thin.head(15).itertuples()) or "None: every skill has 2 or more.")
        if len(thin) > 15:
            st.caption(f"and {len(thin) - 15} more in the table below.")
    few = f"fewer than {coverage.FEW_MEMBERS} published members"
    with g2:
        st.markdown(f"**Regions with {few}**")
        st.markdown("\n".join(f"- {escape(row.region)}: {row.members}" for row in regions[regions["few"]].itertuples())
                    or "None.")
    with g3:
        st.markdown(f"**Institution types with {few}**")
        st.markdown("\n".join(f"- {escape(row.institution_type)}: {row.members}"
                              for row in kinds[kinds["few"]].itertuples()) or "None.")
    with st.expander("Show data"):
        for label, table, name in (("Thin skills", thin, "thin-skills"), ("Regions", regions, "regions"),
                                   ("Institution types", kinds, "institution-types")):
            st.markdown(f"**{label}**")
            st.dataframe(table, hide_index=True, width="stretch")
            st.download_button("Download CSV", exports.to_csv(table), file_name=f"ali-coverage-{name}-{cycle}.csv",
                               mime="text/csv", key=f"coverage_download_{name}", icon=":material/download:")

st.subheader("What circle applicants ask for, and who offers it")
demand = report["demand"]
if demand.empty:
    st.info(f"No Peer Mentorship Circle applications with interests in {cycle}"
            + (" match these filters." if filtered else "."), icon=":material/info:")
else:
    asked = demand.assign(skills=demand["skills"].map(lambda s: ", ".join(s) if len(s) else "no matching skill"))
    long = asked.assign(asking=asked["applicants"]).melt(
        id_vars=["interest", "skills", "matched_by", "asking"], value_vars=["applicants", "experts"],
        var_name="measure", value_name="people").rename(columns={"asking": "applicants"})
    long["measure"] = long["measure"].map({"applicants": "Applicants asking", "experts": "Published experts offering"})
    pairs = alt.Chart(long).mark_bar().encode(
        x=alt.X("people:Q", title=None, axis=alt.Axis(**WHOLE)),
        y=alt.Y("interest:N", title=None, sort=alt.EncodingSortField("applicants", op="max", order="descending"),
                axis=alt.Axis(labelLimit=300)),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=["Applicants asking", "Published experts offering"],
                                        range=[ORANGE, BLUE])),
        column=alt.Column("measure:N", title=None, header=alt.Header(labelFontWeight="bold")),
        tooltip=[alt.Tooltip("interest:N", title="Interest"), alt.Tooltip("measure:N", title="Count"),
                 alt.Tooltip("people:Q", title="People"), alt.Tooltip("skills:N", title="Matching skills"),
                 alt.Tooltip("matched_by:N", title="Matched by")],
    ).resolve_scale(x="independent").properties(
        title=f"Interests of {cycle} circle applicants vs published experts in matching skills", width=300,
        height=alt.Step(22))
    with_data(pairs, asked, "demand-supply", width="content")
    unmatched = demand[demand["matched_by"] == "none"]
    if not unmatched.empty:
        st.caption("No taxonomy skill matches: " + "; ".join(escape(v) for v in unmatched["interest"])
                   + ". Add an alias on Skills and institutions if one should.")

st.subheader("Year over year")
def year_lines(years: pd.DataFrame, labels: dict[str, str], y_title: str, title: str, colours: list[str]):
    """One line per measure across program years (the columns named in labels, shown by their labels)."""
    long = years.melt(id_vars="cycle", value_vars=list(labels), var_name="measure", value_name="count")
    long["measure"] = long["measure"].map(labels)
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("cycle:N", title="Program year", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("count:Q", title=y_title, axis=alt.Axis(**WHOLE)),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=list(labels.values()), range=colours)),
        tooltip=[alt.Tooltip("cycle:N", title="Year"), alt.Tooltip("measure:N", title="Count"),
                 alt.Tooltip("count:Q", title=y_title)],
    ).properties(title=title, height=300)


if years.empty:
    st.info("No program year on record yet.", icon=":material/info:")
else:
    trend = year_lines(years, {"respondents": "Answered", "published": "Published", "new_members": "New",
                               "lapsed": "Lapsed"}, "Members", "Members per program year",
                       [BLUE, ORANGE, GREEN, PURPLE])
    depth_chart = year_lines(years, {"skills_with_experts": "With an expert", "skills_3plus": "With 3+ experts",
                                     "thin_skills": "Thin (0 or 1)"}, "Taxonomy skills",
                             "Depth of skills per program year", [BLUE, GREEN, ORANGE])
    one, two = st.columns(2)
    with one:
        st.altair_chart(trend, width="stretch")
    with two:
        st.altair_chart(depth_chart, width="stretch")
    st.caption("Answered: latest survey answer of the year, published or not. New: a first answer ever. Lapsed: "
               "answered an earlier year but not this one. Skills: taxonomy skills by their published experts.")
    with_data(None, years, "years")
