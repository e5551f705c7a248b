"""The published directory, headline figures and outcome intervals."""
from __future__ import annotations

import csv
from datetime import datetime
from xml.etree import ElementTree

import pytest

from lib import db
from lib.directory import members as directory, search
from lib.imports import batches as imports
from lib.report import charts
from lib.year import outcomes, overview


def read_export(path) -> list[dict[str, str]]:
    """The rows of a demo export as dicts (header -> cell), read with the csv module alone."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def when(stamp: str) -> datetime:
    """A timestamp of either export shape: 9/15/2025 10:32:11, or 2025/09/15 10:32:11 AM EDT."""
    if stamp[:4].isdigit():
        return datetime.strptime(stamp.rsplit(" ", 1)[0], "%Y/%m/%d %I:%M:%S %p")
    return datetime.strptime(stamp, "%m/%d/%Y %H:%M:%S")


def latest_answers(path) -> dict[str, dict[str, str]]:
    """Each email's latest row of a survey export: what the directory should show for that year."""
    latest: dict[str, dict[str, str]] = {}
    for row in read_export(path):
        email = row[next(h for h in row if h.lower().startswith("email"))].strip().lower()
        if email not in latest or when(row["Timestamp"]) >= when(latest[email]["Timestamp"]):
            latest[email] = row
    return latest


def consented(row: dict[str, str]) -> bool:
    """The answer to the survey's last question, whose wording changes by year: may we publish you?"""
    return list(row.values())[-1].strip() == "Yes"


def test_published_directory_holds_only_consenting_latest_answers(demo_conn, demo_exports):
    answered = latest_answers(demo_exports / "skills_survey_2025-26.csv")
    expected = {email for email, row in answered.items() if consented(row)}
    withheld = set(answered) - expected
    table = directory.published(demo_conn, "2025-26")
    assert expected and withheld
    assert set(table["email"]) == expected and len(table) == len(expected)
    counts = directory.counts(demo_conn, "2025-26")
    assert (counts["respondents"], counts["published"], counts["withheld"]) == (len(answered), len(expected),
                                                                              len(withheld))
    # Someone whose earlier answer this fall said yes and whose latest says no is not published, and vice versa.
    changed = [email for email in answered if any(
        r["Email address"].strip().lower() == email and consented(r) != consented(answered[email])
        for r in read_export(demo_exports / "skills_survey_2025-26.csv"))]
    assert changed and all((email in set(table["email"])) == consented(answered[email]) for email in changed)


def test_people_who_did_not_answer_this_year_are_lapsed_not_published(demo_conn, demo_exports):
    this_year = set(latest_answers(demo_exports / "skills_survey_2025-26.csv"))
    earlier = set(latest_answers(demo_exports / "skills_survey_2023-24.csv")) | \
        set(latest_answers(demo_exports / "skills_survey_2024-25.csv"))
    lapsed = earlier - this_year
    assert lapsed
    assert directory.counts(demo_conn, "2025-26")["lapsed"] == len(lapsed)
    assert not set(directory.published(demo_conn, "2025-26")["email"]) & lapsed


@pytest.mark.parametrize("query, skill", [("info lit", "Information literacy instruction"),
                                          ("CATALOGING", "Cataloging"), ("oer", "Open educational resources")])
def test_search_finds_everyone_with_a_skill_by_name_or_alias_first(demo_conn, query, skill):
    everyone = directory.published(demo_conn, "2025-26")
    holders = {email for email, skills in zip(everyone["email"], everyone["skills"]) if skill in list(skills)}
    found, total = search.search(demo_conn, "2025-26", query, limit=None)
    assert holders and set(found.column("email").to_pylist()[:len(holders)]) == holders


def test_search_text_is_never_sql(demo_conn):
    table, total = search.search(demo_conn, "2025-26", "'; DROP TABLE people; --")
    assert demo_conn.execute("SELECT count(*) FROM people").fetchall()[0][0] > 0


def test_wilson_interval_of_five_of_five():
    low, high = outcomes.wilson(5, 5)
    assert low == pytest.approx(0.5655, abs=1e-3) and high == 1.0
    assert outcomes.wilson(0, 0) is None
    low, high = outcomes.wilson(13, 14)
    assert 0.6 < low < 0.7 and 0.98 < high < 1.0


def test_the_first_year_is_five_of_five(demo_conn):
    again = outcomes.n_of_n(demo_conn, "2023-24", "participate_again")
    goals = outcomes.n_of_n(demo_conn, "2023-24", "met_goals")
    assert (again["yes"], again["responses"]) == (5, 5) == (goals["yes"], goals["responses"])


def test_headline_and_stats(demo_conn):
    figures = overview.headline(demo_conn, "2025-26")
    assert figures["circles"] == 3 and figures["applicants"] == 20 and figures["eligible"] == 17
    assert figures["eligibility"]["not_eligible_by"]["late"] == 1
    assert 0.5 < figures["attendance"]["rate"] < 1
    assert 0 < figures["counties_covered"] <= 92
    stats = overview.stats(demo_conn)
    assert stats["cycles"] == ["2023-24", "2024-25", "2025-26"]
    assert stats["applications"] == {"2023-24": 5, "2024-25": 14, "2025-26": 20}
    trend = overview.trend(demo_conn)
    assert list(trend["cycle"]) == stats["cycles"]
    assert trend["participate_again_share"].iloc[0] == 1.0



def test_a_trend_in_words_says_this_year_the_change_and_every_year():
    years = ["2023-24", "2024-25", "2025-26"]
    assert overview.trend_words("Members in the directory", years, [196, 222, 1241]) == (
        "Members in the directory: 1,241 in 2025-26, up from 222 in 2024-25. "
        "By year: 2023-24 196, 2024-25 222, 2025-26 1,241.")
    assert overview.trend_words("Attendance", years, [0.91, float("nan"), 0.88], fmt=lambda v: f"{v:.0%}") == (
        "Attendance: 88% in 2025-26, down from 91% in 2023-24. By year: 2023-24 91%, 2025-26 88%.")
    assert overview.trend_words("Thin skills", years[:2], [3, 3]).startswith("Thin skills: 3 in 2024-25, the same as 3")
    assert overview.trend_words("Circles", years[:1], [None]) == "Circles: no figure yet."


def test_a_sparkline_carries_its_words_as_the_accessible_name():
    words = overview.trend_words("Zoë's circles", ["2024-25", "2025-26"], [2, 3])
    spec = charts.sparkline(["2024-25", "2025-26"], [2, 3], words, charts.trend_colour(1))
    # Compiled and rendered by vl-convert, the SVG read with an XML parser, not by the browser the page uses.
    import vl_convert

    assert vl_convert.vegalite_to_vega(spec)["description"] == words  # Vega's aria-label
    root = ElementTree.fromstring(charts.to_svg(spec))
    line = next(element for element in root.iter() if "mark-line" in (element.get("class") or ""))
    assert line.get("aria-hidden") == "true"  # the words say all the line does; a screen reader skips it
    assert charts.trend_colour(-2) == charts.TREND_COLOURS["down"] == charts.trend_colour(2, inverse=True)
    assert charts.trend_colour(0) == charts.trend_colour(None) == charts.TREND_COLOURS["flat"]


SUSPICIOUS = (
    "Timestamp,Email Address,Name,Institution,Job title,Areas of expertise,May we publish your information?\n"
    '9/15/2025 10:00:00,ana@example.edu,Ana López,Ball State University,Librarian,Cataloging,Yes\n'
    '9/15/2025 10:05:00,eve@example.edu,"=HYPERLINK(""http://x.invalid"",""Eve"")",Ball State University,'
    'Archivist,Archives,Yes\n'
    '9/15/2025 10:10:00,sam@example.edu,Sam Script,Ball State University,<script>alert(1)</script>,Archives,Yes\n'
)


def test_suspicious_answers_are_held_from_the_public_until_reviewed(conn):
    assert imports.import_bytes(conn, SUSPICIOUS.encode(), "suspicious.csv").ok
    assert set(directory.published(conn, "2025-26")["email"]) == {"ana@example.edu"}
    counts = directory.counts(conn, "2025-26")
    assert (counts["published"], counts["held"], counts["withheld"]) == (1, 2, 0)
    held = directory.held(conn, "2025-26").set_index("email")
    assert "Name looks like a spreadsheet formula" in held.loc["eve@example.edu", "held_reason"]
    assert "Job title contains markup (HTML tags)" in held.loc["sam@example.edu", "held_reason"]
    sam = held.loc["sam@example.edu"]
    directory.review(conn, int(sam["id"]), int(sam["version"]), actor="member",
                     corrections={"job_title": "Systems Librarian"})
    with pytest.raises(db.ConflictError):  # a second reviewer working from the same view
        directory.review(conn, int(sam["id"]), int(sam["version"]), actor="chair")
    published = directory.published(conn, "2025-26").set_index("email")
    assert set(published.index) == {"ana@example.edu", "sam@example.edu"}
    assert published.loc["sam@example.edu", "job_title"] == "Systems Librarian"
    audit = conn.execute("SELECT detail FROM audit_log WHERE action = 'directory.review'").fetchall()
    assert "<script>" in audit[0][0] and "Systems Librarian" in audit[0][0]
