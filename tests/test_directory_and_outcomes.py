"""The published directory, headline figures and outcome intervals."""
from __future__ import annotations

import pytest

from lib import directory, outcomes, overview


def test_published_directory_holds_only_consenting_latest_answers(demo_conn):
    table = directory.published(demo_conn, "2025-26")
    counts = directory.counts(demo_conn, "2025-26")
    assert len(table) == counts["published"] == table["email"].nunique()
    assert counts["respondents"] == counts["published"] + counts["withheld"]
    withheld = demo_conn.execute(f"""WITH latest AS ({directory.LATEST_RESPONSES})
        SELECT p.email FROM latest l JOIN people p ON p.id = l.person_id
        WHERE l.cycle = '2025-26' AND NOT l.consent""").fetchall()
    assert withheld and not set(table["email"]) & {row[0] for row in withheld}


def test_people_who_did_not_answer_this_year_are_lapsed_not_published(demo_conn):
    counts = directory.counts(demo_conn, "2025-26")
    assert counts["lapsed"] > 0
    lapsed = demo_conn.execute(f"""WITH latest AS ({directory.LATEST_RESPONSES})
        SELECT p.email FROM latest l JOIN people p ON p.id = l.person_id WHERE l.cycle < '2025-26'
        AND l.person_id NOT IN (SELECT person_id FROM latest WHERE cycle = '2025-26')""").fetchall()
    assert not set(directory.published(demo_conn, "2025-26")["email"]) & {row[0] for row in lapsed}


@pytest.mark.parametrize("query, skill", [("info lit", "Information literacy instruction"),
                                          ("CATALOGING", "Cataloging"), ("oer", "Open educational resources")])
def test_search_finds_everyone_with_a_skill_by_name_or_alias(demo_conn, query, skill):
    everyone = directory.published(demo_conn, "2025-26")
    holders = {email for email, skills in zip(everyone["email"], everyone["skills"]) if skill in list(skills)}
    found = directory.published(demo_conn, "2025-26", query)
    assert holders and holders <= set(found["email"])


def test_an_alias_search_is_exact_when_the_alias_is_nowhere_else(demo_conn):
    everyone = directory.published(demo_conn, "2025-26")
    expected = {email for email, skills, other in zip(everyone["email"], everyone["skills"], everyone["other_skills"])
                if "Information literacy instruction" in list(skills) or "Info lit" in list(other)}
    assert set(directory.published(demo_conn, "2025-26", "info lit")["email"]) == expected


def test_search_words_all_have_to_match(demo_conn):
    both = directory.published(demo_conn, "2025-26", "cataloging northeast")
    assert set(both["region"]) <= {"Northeast"}
    assert len(both) <= len(directory.published(demo_conn, "2025-26", "cataloging"))


def test_search_text_is_never_sql(demo_conn):
    assert directory.published(demo_conn, "2025-26", "'; DROP TABLE people; --").empty
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
    assert figures["circles"] == 3 and figures["applicants"] == 20 and figures["late"] == 1
    assert 0.5 < figures["attendance"]["rate"] < 1
    assert 0 < figures["counties_covered"] <= 92
    stats = overview.stats(demo_conn)
    assert stats["cycles"] == ["2023-24", "2024-25", "2025-26"]
    assert stats["applications"] == {"2023-24": 5, "2024-25": 14, "2025-26": 20}
    trend = overview.trend(demo_conn)
    assert list(trend["cycle"]) == stats["cycles"]
    assert trend["participate_again_share"].iloc[0] == 1.0
