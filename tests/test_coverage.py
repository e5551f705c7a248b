"""Statewide skill coverage (lib/directory/coverage.py) on small hand-written exports whose answers are counted
by hand."""
from __future__ import annotations

import csv
import io

import pytest

from lib import exports
from lib.directory import coverage
from lib.directory.coverage import Filters
from lib.imports import batches as imports

SURVEY_HEADER = ["Timestamp", "Email Address", "Name", "Institution", "Job title",
                 "Areas of expertise (check all that apply)", "I am open to colleagues contacting me for",
                 "May we publish your information in the ALI Skills Directory?"]
APPLICATION_HEADER = ["Timestamp", "Email Address", "Name", "Institution", "Position / job title",
                      "How long have you worked in libraries?",
                      "What do you hope to gain from a Peer Mentorship Circle? (check all that apply)",
                      "I agree to the participant expectations"]


def export(header: list[str], rows: list[list[str]]) -> bytes:
    """A Google Sheet CSV download with these rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# 2024-25: Ana (published), Gus (published; does not answer again, so lapses), Nora (no consent).
SURVEY_2024 = [
    ["9/10/2024 9:00:00", "ana@example.edu", "José Álvarez", "IUPUI", "Cataloger", "Cataloging", "Support", "Yes"],
    ["9/11/2024 9:00:00", "gus@example.edu", "Gus Gone", "Purdue University", "Archivist", "Archives", "Support", "Yes"],
    ["9/12/2024 9:00:00", "nora@example.edu", "Nora Nein", "Valparaiso University", "Librarian", "GIS", "Support", "No"],
]
# 2025-26, by hand: published are Ana (Marion, Central, public), Zoë (Delaware, East Central, public), Pat O'Neil
# (St. Joseph, North Central, private) and Uma (an institution nobody knows: no county, no region). Nora does
# not consent; Hal's job title looks like a formula, so his answer is held; Flo said yes, then no.
SURVEY_2025 = [
    ["9/10/2025 9:00:00", "ana@example.edu", "José Álvarez", "IUPUI", "Cataloger",
     "Cataloging, Metadata, Information literacy instruction", "Support", "Yes"],
    ["9/11/2025 9:00:00", "zoe@example.edu", "Zoë Brontë", "Ball State University", "Archivist", "Cataloging, Archives",
     "Discussion", "Yes"],
    ["9/12/2025 9:00:00", "pat@example.edu", "Pat O'Neil", "University of Notre Dame", "Grants librarian",
     "Cataloging, Grant writing", "Feedback", "Yes"],
    ["9/13/2025 9:00:00", "nora@example.edu", "Nora Nein", "Valparaiso University", "Librarian", "GIS, Archives",
     "Support", "No"],
    ["9/14/2025 9:00:00", "hal@example.edu", "Hal Held", "Christian Theological Seminary", '=HYPERLINK("http://x.example","y")',
     "GIS, Cataloging, Metadata", "Support", "Yes"],
    ["9/15/2025 9:00:00", "flo@example.edu", "Flo Flip", "Ball State University", "Librarian", "Job search", "Support",
     "Yes"],
    ["9/20/2025 9:00:00", "flo@example.edu", "Flo Flip", "Ball State University", "Librarian", "Job search", "Support",
     "No"],
    ["9/16/2025 9:00:00", "uma@example.edu", "Uma Unlisted", "Nowhere Special Library", "Librarian", "Mentoring",
     "Support", "Yes"],
]
PUBLISHED_2025 = {"Central": 1, "East Central": 1, "North Central": 1, coverage.UNKNOWN: 1}
EXPERTS_2025 = {"Cataloging": 3, "Metadata": 1, "Information literacy instruction": 1, "Archives": 1,
                "Grant writing": 1, "Mentoring": 1}
# Applications 2025-26: Kim and Lee (Lee's earlier application asked for work-life balance; the later one wins).
APPLICATIONS_2025 = [
    ["9/20/2025 9:00:00", "kim@example.edu", "Kim Ng", "Ball State University", "Assistant", "1-2 years",
     "Teaching and instruction, Research and publishing", "I agree"],
    ["9/21/2025 9:00:00", "lee@example.edu", "Lee Ó Briain", "IUPUI", "Assistant", "Less than 1 year",
     "Work-life balance", "I agree"],
    ["9/22/2025 9:00:00", "lee@example.edu", "Lee Ó Briain", "IUPUI", "Assistant", "Less than 1 year",
     "Teaching and instruction, Understanding budgets, Knitting circles", "I agree"],
]


@pytest.fixture
def survey(conn):
    """The empty database with the two hand-written survey years and the applications imported."""
    for rows, name in ((SURVEY_2024, "survey-2024.csv"), (SURVEY_2025, "survey-2025.csv")):
        result = imports.import_bytes(conn, export(SURVEY_HEADER, rows), name)
        assert result.ok, result.errors
    result = imports.import_bytes(conn, export(APPLICATION_HEADER, APPLICATIONS_2025), "applications.csv")
    assert result.ok and result.kind == "applications", result.errors
    return conn


def test_the_fixture_holds_one_answer_and_withholds_another(survey):
    held = survey.execute("""SELECT p.email FROM survey_responses r JOIN people p ON p.id = r.person_id
                             WHERE r.held_reason IS NOT NULL""").fetchall()
    assert held == [("hal@example.edu",)]
    names = {row[0] for row in survey.execute("SELECT name FROM people").fetchall()}
    assert {"José Álvarez", "Zoë Brontë", "Pat O'Neil"} <= names


def test_summary_counts_only_published_members(survey):
    figures = coverage.summary(survey, "2025-26")
    taxonomy = survey.execute("SELECT count(*) FROM skills WHERE NOT proposed").fetchall()[0][0]
    assert figures["members"] == sum(PUBLISHED_2025.values()) == 4
    # Uma's institution is not on record: she counts as a member, not as an institution or a county.
    assert figures["institutions"] == 3 and figures["counties"] == 3 and figures["unmapped"] == 1
    assert figures["skills"] == taxonomy
    assert figures["skills_with_experts"] == len(EXPERTS_2025)
    assert figures["skills_3plus"] == sum(n >= 3 for n in EXPERTS_2025.values()) == 1
    assert figures["thin_skills"] == taxonomy - sum(n >= 2 for n in EXPERTS_2025.values())


def test_every_county_is_listed_with_its_published_members(survey):
    table = coverage.counties(survey, "2025-26")
    assert len(table) == 92 and table["county_fips"].is_unique
    by_county = dict(zip(table["county"], table["members"]))
    assert {name: n for name, n in by_county.items() if n} == {"Marion": 1, "Delaware": 1, "St. Joseph": 1}
    # Nora's Porter county and Hal's seminary (also Marion) add nothing: one withheld, one held.
    assert by_county["Porter"] == 0


def test_institutions_are_points_with_coordinates(survey):
    table = coverage.institutions(survey, "2025-26")
    assert dict(zip(table["institution"], table["members"])) == {
        "Indiana University Indianapolis": 1, "Ball State University": 1, "University of Notre Dame": 1}
    assert table["latitude"].between(37.7, 41.8).all() and table["longitude"].between(-88.1, -84.7).all()


def test_top_skills_and_the_skill_region_matrix(survey):
    top = coverage.top_skills(survey, "2025-26", limit=50)
    assert dict(zip(top["skill"], top["experts"])) == EXPERTS_2025
    assert top.iloc[0]["skill"] == "Cataloging" and top.iloc[0]["regions"] == 3
    matrix = coverage.skill_region_matrix(survey, "2025-26", limit=2)
    assert matrix["skill"].iloc[0] == "Cataloging" and matrix["skill"].nunique() == 2
    cataloging = matrix[matrix["skill"] == "Cataloging"]
    assert dict(zip(cataloging["region"], cataloging["experts"])) == {
        "Central": 1, "East Central": 1, "North Central": 1, "Northeast": 0, "Northwest": 0, "South Central": 0,
        "Southeast": 0, "Southwest": 0, "West Central": 0, coverage.UNKNOWN: 0}
    assert matrix["experts"].sum() == 3 + 1  # Cataloging's three and the runner-up's one


def test_gaps_list_thin_skills_and_small_regions_and_types(survey):
    found = coverage.gaps(survey, "2025-26", few=2)
    thin = dict(zip(found["skills"]["skill"], found["skills"]["experts"]))
    assert "Cataloging" not in thin and thin["GIS"] == 0 and thin["Job search"] == 0 and thin["Metadata"] == 1
    regions = dict(zip(found["regions"]["region"], found["regions"]["members"]))
    assert {r: n for r, n in regions.items() if n} == PUBLISHED_2025 and len(regions) == 10
    kinds = dict(zip(found["institution_types"]["institution_type"], found["institution_types"]["members"]))
    assert kinds["public"] == 2 and kinds["private"] == 1 and kinds["seminary"] == 0 and kinds[coverage.UNKNOWN] == 1
    assert found["regions"]["few"].all()  # nobody has 2 members anywhere
    # The region table compares regions, so a region filter does not empty it.
    narrowed = coverage.gaps(survey, "2025-26", Filters(region="Central"), few=2)
    assert dict(zip(narrowed["regions"]["region"], narrowed["regions"]["members"])) == regions


@pytest.mark.parametrize("filters, members, on_map, skills_3plus", [
    (Filters(region="Central"), 1, 1, 0),                     # Ana (Hal is held)
    (Filters(institution_type="public"), 2, 2, 0),            # Ana, Zoë
    (Filters(institution_type="private"), 1, 1, 0),           # Pat (Nora did not consent)
    (Filters(category="Metadata and discovery"), 3, 3, 1),    # Ana, Zoë, Pat: three catalogers
    (Filters(category="Equity and wellbeing"), 1, 0, 0),      # Uma, whose institution has no county
    (Filters(region="Northwest"), 0, 0, 0),                   # Nora only, who did not consent
])
def test_filters_narrow_members_and_skills(survey, filters, members, on_map, skills_3plus):
    figures = coverage.summary(survey, "2025-26", filters)
    assert (figures["members"], figures["skills_3plus"]) == (members, skills_3plus)
    assert coverage.counties(survey, "2025-26", filters)["members"].sum() == on_map


def test_a_category_filter_keeps_only_its_skills(survey):
    figures = coverage.summary(survey, "2025-26", Filters(category="Metadata and discovery"))
    in_category = survey.execute("SELECT count(*) FROM skills WHERE category = 'Metadata and discovery'").fetchall()[0][0]
    assert figures["skills"] == in_category
    top = coverage.top_skills(survey, "2025-26", Filters(category="Metadata and discovery"))
    assert dict(zip(top["skill"], top["experts"])) == {"Cataloging": 3, "Metadata": 1}
    matrix = coverage.skill_region_matrix(survey, "2025-26", Filters(category="Metadata and discovery"))
    assert matrix["skill"].nunique() == in_category  # every skill of the category, gaps included


def test_demand_against_supply(survey):
    table = coverage.demand_supply(survey, "2025-26")
    rows = {row.interest: row for row in table.itertuples()}
    assert set(rows) == {"Teaching and instruction", "Research and publishing", "Understanding budgets",
                         "Knitting circles"}  # Lee's earlier "Work-life balance" was replaced
    assert rows["Teaching and instruction"].applicants == 2
    assert rows["Teaching and instruction"].experts == 1  # Ana's information literacy instruction
    assert rows["Research and publishing"].experts == 1  # Pat's grant writing
    assert rows["Understanding budgets"].matched_by == "words" and rows["Understanding budgets"].skills == ["Budgeting"]
    assert rows["Understanding budgets"].experts == 0
    assert rows["Knitting circles"].matched_by == "none" and rows["Knitting circles"].experts == 0
    assert table["applicants"].sum() == 5  # Kim's two interests and Lee's three


def test_demand_follows_region_and_category(survey):
    central = coverage.demand_supply(survey, "2025-26", Filters(region="Central"))
    assert dict(zip(central["interest"], central["applicants"])) == {
        "Teaching and instruction": 1, "Understanding budgets": 1, "Knitting circles": 1}  # Lee (IUPUI) only
    teaching = coverage.demand_supply(survey, "2025-26", Filters(category="Instruction and learning"))
    assert list(teaching["interest"]) == ["Teaching and instruction"]


def test_the_form_options_map_to_real_skills(survey):
    from lib.imports import forms

    mapping = coverage.interest_skills(survey, list(forms.DEFAULT_INTEREST_OPTIONS))
    assert set(coverage.INTEREST_MATCHES) == set(forms.DEFAULT_INTEREST_OPTIONS)
    for option, (skills, how) in mapping.items():
        assert skills and how == "form option", option
    assert "Tenure and promotion" in mapping["Navigating tenure and promotion"][0]


def test_year_over_year(survey):
    table = coverage.year_over_year(survey).set_index("cycle")
    assert list(table.index) == ["2024-25", "2025-26"]
    assert table.loc["2024-25", ["respondents", "published", "new_members", "lapsed"]].tolist() == [3, 2, 3, 0]
    # 2025-26: seven answered (Ana, Zoë, Pat, Nora, Hal, Flo, Uma); Ana and Nora answered before; Gus lapsed.
    assert table.loc["2025-26", ["respondents", "published", "new_members", "lapsed"]].tolist() == [7, 4, 5, 1]
    assert table.loc["2024-25", "skills_with_experts"] == 2 and table.loc["2025-26", "skills_3plus"] == 1
    central = coverage.year_over_year(survey, Filters(region="Central")).set_index("cycle")
    # Central: Purdue (Gus) and IUPUI (Ana) in 2024-25; Ana and Hal (held, not published) in 2025-26.
    assert central.loc["2024-25", ["respondents", "published"]].tolist() == [2, 2]
    assert central.loc["2025-26", ["respondents", "published", "new_members", "lapsed"]].tolist() == [2, 1, 1, 1]


def test_a_cycle_without_published_members_gives_zeros_not_errors(conn):
    rows = [["9/10/2025 9:00:00", "nora@example.edu", "Nora Nein", "IUPUI", "Librarian", "GIS", "Support", "No"]]
    assert imports.import_bytes(conn, export(SURVEY_HEADER, rows), "no.csv").ok
    report = coverage.report(conn, "2025-26")
    assert report["summary"]["members"] == 0 and report["summary"]["skills_with_experts"] == 0
    assert len(report["counties"]) == 92 and report["counties"]["members"].sum() == 0
    assert report["institutions"].empty and report["top_skills"].empty and report["demand"].empty
    assert report["matrix"]["experts"].sum() == 0
    assert coverage.year_over_year(conn)["respondents"].tolist() == [1]


def test_an_empty_database_has_no_years_and_empty_tables(conn):
    assert coverage.year_over_year(conn).empty
    assert coverage.summary(conn, "2025-26")["members"] == 0
    assert coverage.filter_options(conn)["region"]  # the reference data is seeded even when no survey is


def test_downloads_of_typed_interests_are_defused(survey):
    rows = [["9/23/2025 9:00:00", "eve@example.edu", "Eve", "IUPUI", "Assistant", "1-2 years",
             '=HYPERLINK("http://evil.example"), Teaching and instruction', "I agree"]]
    assert imports.import_bytes(survey, export(APPLICATION_HEADER, rows), "eve.csv").ok
    table = coverage.demand_supply(survey, "2025-26")
    typed = [value for value in table["interest"] if value.startswith("=")]
    assert typed and typed[0].startswith('=HYPERLINK')
    text = exports.to_csv(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ',=HYPERLINK' not in text


def test_overview_headline_reports_skill_depth_that_moves(survey):
    from lib.year import overview

    taxonomy = survey.execute("SELECT count(*) FROM skills WHERE NOT proposed").fetchall()[0][0]
    figures = overview.headline(survey, "2025-26")
    assert "skills_covered" not in figures
    assert (figures["skills_3plus"], figures["thin_skills"], figures["skills_in_taxonomy"]) == (1, taxonomy - 1, taxonomy)
    trend = overview.trend(survey).set_index("cycle")
    # 2024-25: Ana's cataloging and Gus's archives, one expert each; nothing has a second expert yet.
    assert trend.loc["2024-25", "skills_3plus"] == 0 and trend.loc["2024-25", "thin_skills"] == taxonomy
    assert trend.loc["2025-26", "thin_skills"] == taxonomy - 1
