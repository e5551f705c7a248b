"""Ranked search of the Skills Directory, on a directory whose right answers are known by construction."""
from __future__ import annotations

import csv
import io

import pytest

from lib.directory import members as directory, search
from lib.imports import batches as imports

HEADER = ["Timestamp", "Email Address", "Name", "Institution", "Job title", "Department", "Years in the profession",
          "Areas of expertise", "Colleagues may contact me for", "May we publish your information?"]
# email: name, institution, job title, department, years, skills, open to, consent
PEOPLE_2025 = {
    "jose@bsu.edu": ("José Álvarez", "Ball State University", "Metadata Librarian", "Technical Services", "4",
                     "Cataloging, Metadata", "Support, Feedback", "Yes"),
    "maria@purdue.edu": ("Maria Alvarez", "Purdue University", "Archivist", "Archives", "12",
                         "Archives, Digitization", "Discussion", "Yes"),
    "zoe@earlham.edu": ("Zoë O'Neil", "Earlham College", "Instruction Librarian", "Public Services", "1",
                        "Information literacy instruction, Zine librarianship", "Support, Discussion", "Yes"),
    "zoe.smith@butler.edu": ("Zoe Smith", "Butler University", "Library Director", "Administration", "25",
                             "Leadership, Strategic planning", "Collaboration", "Yes"),
    "cat@pnw.edu": ("Cat Nguyen", "Purdue University Northwest", "Cataloging Specialist", "Technical Services", "7",
                    "Cataloging, Authority control", "Feedback", "Yes"),
    "librarian@bsu.edu": ("Lee Metadata", "Ball State University", "Librarian", "Research", "15",
                          "Data management", "Collaboration", "Yes"),
    "shy@depauw.edu": ("Sam Shy", "DePauw University", "Cataloging Librarian", "Technical Services", "9",
                       "Cataloging", "Support", "No"),
    "eve@bsu.edu": ('=HYPERLINK("http://x.invalid","Eve")', "Ball State University", "Cataloger", "Cataloging",
                    "3", "Cataloging", "Support", "Yes"),
}
PEOPLE_2024 = {
    "gone@isu.edu": ("Gail Gone", "Indiana State University", "Cataloging Librarian", "Technical Services", "20",
                     "Cataloging", "Support", "Yes"),
    "shy@depauw.edu": ("Sam Shy", "DePauw University", "Cataloging Librarian", "Technical Services", "8",
                       "Cataloging", "Support", "Yes"),
}


def export(people: dict, day: str) -> bytes:
    """A Skills Directory Survey export of these people."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for number, (email, answer) in enumerate(people.items()):
        writer.writerow([f"{day} 10:{number:02d}:00", email, *answer])
    return buffer.getvalue().encode()


@pytest.fixture
def directory_conn(conn):
    """Two program years of a small directory with known answers."""
    assert imports.import_bytes(conn, export(PEOPLE_2024, "9/15/2024"), "2024.csv").ok
    assert imports.import_bytes(conn, export(PEOPLE_2025, "9/15/2025"), "2025.csv").ok
    return conn


def emails(conn, text, audience=search.PUBLIC, filters=None, cycle="2025-26") -> list[str]:
    """The emails a search returns, best first."""
    table, _ = search.search(conn, cycle, text, filters, audience=audience, limit=None)
    return table.column("email").to_pylist()


@pytest.mark.parametrize("query, first", [
    ("José Álvarez", "jose@bsu.edu"), ("jose alvarez", "jose@bsu.edu"), ("Jose", "jose@bsu.edu"),
    ("Zoë", "zoe@earlham.edu"), ("Alvares", "jose@bsu.edu"), ("Zoë O'Neil", "zoe@earlham.edu"),
    ("oneil", "zoe@earlham.edu"), ("O'Neil", "zoe@earlham.edu"), ("neil", "zoe@earlham.edu"),
    ("Maria Alvarez", "maria@purdue.edu"), ("zine", "zoe@earlham.edu"), ("cataloging ball state", "jose@bsu.edu"),
    ("archivist purdue", "maria@purdue.edu"), ('"metadata librarian"', "jose@bsu.edu"),
    ("info lit", "zoe@earlham.edu"), ("strategic planning", "zoe.smith@butler.edu"),
])
def test_the_right_person_comes_first(directory_conn, query, first):
    assert emails(directory_conn, query)[0] == first


def test_accents_fold_both_ways(directory_conn):
    assert set(emails(directory_conn, "alvarez")) == set(emails(directory_conn, "Álvarez")) == \
        {"jose@bsu.edu", "maria@purdue.edu"}
    assert set(emails(directory_conn, "Zoe")) == set(emails(directory_conn, "Zoë")) == \
        {"zoe@earlham.edu", "zoe.smith@butler.edu"}


def test_spellings_typos_and_aliases_find_the_same_skill(directory_conn):
    catalogers = {"jose@bsu.edu", "cat@pnw.edu"}
    assert set(emails(directory_conn, "cataloging")) >= catalogers
    for variant in ("cataloguing", "catalogng", "Cataloguing", "CATALOGING", "catalog"):
        found = emails(directory_conn, variant)
        assert set(found[:2]) == catalogers, variant  # the skill holders rank above job-title matches
    assert emails(directory_conn, "information literacy instruction") == ["zoe@earlham.edu"]


def test_several_terms_rank_those_matching_more_first(directory_conn):
    table, total = search.search(directory_conn, "2025-26", "cataloging purdue", limit=None)
    rows = table.to_pylist()
    assert rows[0]["email"] == "cat@pnw.edu" and rows[0]["matched_units"] == 2
    assert {r["email"] for r in rows} >= {"jose@bsu.edu", "maria@purdue.edu"}  # one term each
    key = [(r["listed_units"], r["matched_units"]) for r in rows]
    assert key == sorted(key, reverse=True)
    assert total == len(rows)


# Who lists the Metadata skill, who only says "metadata" elsewhere, and who is at Purdue or at IU Indianapolis
# (whose former name, an alias, is "Indiana University-Purdue University Indianapolis").
PEOPLE_RANKING = {
    "morgan@purdue.edu": ("Morgan Meta", "Purdue University", "Metadata Librarian", "Metadata and Cataloging", "6",
                          "Digitization, Metadata remediation", "Support", "Yes"),
    "ann@bsu.edu": ("Ann Lister", "Ball State University", "Librarian", "Research", "5", "Metadata", "Support", "Yes"),
    "pat@purdue.edu": ("Pat Kim", "Purdue University", "Librarian", "Research", "5", "Metadata", "Support", "Yes"),
    "ira@iu.edu": ("Ira Indy", "Indiana University Indianapolis", "Librarian", "Research", "5", "Metadata",
                   "Support", "Yes"),
    "cy@iu.edu": ("Cy Class", "Indiana University Indianapolis", "Librarian", "Research", "5",
                  "Classification, Cataloging", "Support", "Yes"),
    "dee@purdue.edu": ("Dee Cat", "Purdue University", "Librarian", "Research", "5", "Cataloging", "Support", "Yes"),
    "jo@bsu.edu": ("Jo Title", "Ball State University", "Metadata Specialist", "Research", "5", "Digitization",
                   "Support", "Yes"),
    "abe@iu.edu": ("Abe Alias", "Indiana University Indianapolis", "Metadata Librarian", "Research", "5",
                   "Digitization", "Support", "Yes"),
}
LISTERS = {"ann@bsu.edu", "pat@purdue.edu", "ira@iu.edu"}


@pytest.fixture
def ranking_conn(conn):
    """A directory where a named skill, other fields and an institution's alias compete."""
    assert imports.import_bytes(conn, export(PEOPLE_RANKING, "9/15/2025"), "ranking.csv").ok
    return conn


def test_members_listing_the_skill_come_first(ranking_conn):
    found = emails(ranking_conn, "metadata")
    assert set(found[:3]) == LISTERS
    # A job title, a department and an "other" answer all saying metadata still rank below listing the skill,
    assert found[3:6] == ["morgan@purdue.edu", "abe@iu.edu", "jo@bsu.edu"]
    # and a skill merely in the category "Metadata and discovery" ranks below those and a job title alone.
    assert set(found[6:]) == {"cy@iu.edu", "dee@purdue.edu"}


def test_the_named_skill_first_then_the_named_institution(ranking_conn):
    table, _ = search.search(ranking_conn, "2025-26", "metadata Purdue", limit=None)
    rows = table.to_pylist()
    found = [row["email"] for row in rows]
    # Those who list Metadata first: at Purdue University, then at IU Indianapolis (Purdue only in an old
    # name), then elsewhere; only then the Purdue job title that says metadata without listing the skill.
    assert found[:4] == ["pat@purdue.edu", "ira@iu.edu", "ann@bsu.edu", "morgan@purdue.edu"]
    assert rows[0]["matched_skills"] == ["Metadata"] and rows[0]["listed_units"] == 1
    assert rows[3]["listed_units"] == 0 and rows[3]["matched_units"] == 2
    # Then those matching both words, at Purdue before IU Indianapolis: a Cataloging librarian at Purdue before a
    # metadata job title at IU Indianapolis (as high a score), before a Cataloging librarian there.
    assert found[4:] == ["dee@purdue.edu", "abe@iu.edu", "cy@iu.edu", "jo@bsu.edu"]


def test_a_quoted_phrase_must_appear_as_written(directory_conn):
    # "Lee Metadata, Librarian" has both words but not the phrase.
    assert emails(directory_conn, '"metadata librarian"') == ["jose@bsu.edu"]
    assert set(emails(directory_conn, "metadata librarian")) >= {"jose@bsu.edu", "librarian@bsu.edu"}


def test_results_say_why_they_matched(directory_conn):
    table, _ = search.search(directory_conn, "2025-26", "zine instruction", limit=None)
    zoe = table.to_pylist()[0]
    assert zoe["email"] == "zoe@earlham.edu"
    assert zoe["matched_other"] == ["Zine librarianship"]
    assert zoe["matched_skills"] == ["Information literacy instruction"]
    assert search.why(zoe)[:2] == ["skills", "other expertise"]


def test_the_public_sees_only_consenting_approved_members_of_this_year(directory_conn):
    everyone = emails(directory_conn, "")
    assert "shy@depauw.edu" not in everyone       # answered no this year
    assert "eve@bsu.edu" not in everyone          # held for review: a formula for a name
    assert "gone@isu.edu" not in everyone         # lapsed: answered only last year
    assert set(everyone) == set(directory.published(directory_conn, "2025-26")["email"])
    assert "shy@depauw.edu" not in emails(directory_conn, "Sam Shy")
    assert search.profile(directory_conn, "2025-26", person_id=_id(directory_conn, "shy@depauw.edu")) is None


def test_the_committee_also_sees_consent_held_and_lapsed_members(directory_conn):
    table, _ = search.search(directory_conn, "2025-26", "cataloging", audience=search.COMMITTEE, limit=None)
    status = dict(zip(table.column("email").to_pylist(), table.column("status").to_pylist()))
    assert status["shy@depauw.edu"] == "not published"
    assert status["eve@bsu.edu"] == "held for review"
    assert status["gone@isu.edu"] == "lapsed"
    assert status["jose@bsu.edu"] == "published"
    only_lapsed = search.Filters(statuses=["lapsed"])
    assert emails(directory_conn, "", audience=search.COMMITTEE, filters=only_lapsed) == ["gone@isu.edu"]


def _id(conn, email: str) -> int:
    """A person's id."""
    return conn.execute("SELECT id FROM people WHERE email = ?", [email]).fetchall()[0][0]


def test_a_profile_is_the_whole_entry_and_history_is_the_committees(directory_conn):
    public = search.profile(directory_conn, "2025-26", _id(directory_conn, "zoe@earlham.edu"))
    assert public["name"] == "Zoë O'Neil" and public["email"] == "zoe@earlham.edu"
    assert public["skills"] == ["Information literacy instruction"] and public["other_skills"] == ["Zine librarianship"]
    assert "history" not in public and "consent" not in public and "status" not in public
    shy = search.profile(directory_conn, "2025-26", _id(directory_conn, "shy@depauw.edu"), audience=search.COMMITTEE)
    assert [(h["cycle"], h["consent"]) for h in shy["history"]] == [("2025-26", False), ("2024-25", True)]


def test_facets_narrow_the_results(directory_conn):
    by_region = search.Filters(regions=["East Central"])
    assert set(emails(directory_conn, "", filters=by_region)) == {"jose@bsu.edu", "librarian@bsu.edu",
                                                                   "zoe@earlham.edu"}
    assert set(emails(directory_conn, "", filters=search.Filters(open_to=["collaboration"]))) == \
        {"librarian@bsu.edu", "zoe.smith@butler.edu"}
    assert set(emails(directory_conn, "", filters=search.Filters(years=["Under 3 years"]))) == {"zoe@earlham.edu"}
    assert set(emails(directory_conn, "cataloging", filters=search.Filters(institution_types=["private"]))) == set()
    assert set(emails(directory_conn, "", filters=search.Filters(categories=["Archives and preservation"]))) >= \
        {"maria@purdue.edu"}
    options = search.facet_options(directory_conn, "2025-26")
    assert "East Central" in options["regions"] and "Cataloging" in options["skills"]
    assert options["statuses"] == []  # the public has no status facet


def test_search_text_is_never_sql_or_a_broken_pattern(directory_conn):
    for text in ("'; DROP TABLE people; --", "((((", "[a-", "\\", "*", '"', "a" * 500, "=SUM(A1)"):
        search.search(directory_conn, "2025-26", text)
    assert directory_conn.execute("SELECT count(*) FROM people").fetchall()[0][0] == 9


def test_an_empty_directory_searches_to_nothing(conn):
    table, total = search.search(conn, "2025-26", "cataloging")
    assert table.num_rows == 0 and total == 0


def test_the_index_follows_changes_at_once(directory_conn):
    assert "eve@bsu.edu" not in emails(directory_conn, "cataloger")
    held = directory.held(directory_conn, "2025-26").set_index("email").loc["eve@bsu.edu"]
    directory.review(directory_conn, int(held["id"]), int(held["version"]), actor="member",
                     corrections={"name": "Eve Adams"})
    assert emails(directory_conn, "Eve Adams")[0] == "eve@bsu.edu"


def test_the_command_line_searches_best_first(directory_conn, tmp_path):
    import json
    import shutil

    from tests.test_cli import run

    directory_conn.close()
    copy = tmp_path / "cli.duckdb"
    shutil.copy(tmp_path / "test.duckdb", copy)
    done = run("search", "Jose Alvarez", "--json", env_db=copy)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results[0]["name"] == "José Álvarez" and results[0]["institution"] == "Ball State University"
    assert {"person_id", "name", "institution", "matched_skills", "score"} <= set(results[0])
    assert results[0]["score"] >= results[-1]["score"]
    assert "shy@depauw.edu" not in done.stdout
    committee = run("search", "cataloging", "--all", env_db=copy)
    assert "Sam Shy" in committee.stdout and "[not published]" in committee.stdout
    refused = run("search", "x", "--cycle", "2025", env_db=copy)
    assert refused.returncode == 2 and "not a program year" in refused.stderr


def _count_builds(monkeypatch) -> list[tuple]:
    """Record every index build (cycle, audience) while still building it."""
    builds, build = [], search._build

    def counted(conn, cycle, audience):
        builds.append((cycle, audience))
        return build(conn, cycle, audience)
    monkeypatch.setattr(search, "_build", counted)
    return builds


def test_the_index_is_built_ahead_and_again_after_a_change(directory_conn, monkeypatch):
    search.forget_indexes()
    builds = _count_builds(monkeypatch)
    search.warm_in_background(directory_conn.cursor).join()
    assert sorted(builds) == [("2025-26", search.COMMITTEE), ("2025-26", search.PUBLIC)]  # the current year
    emails(directory_conn, "cataloging")
    emails(directory_conn, "cataloging", audience=search.COMMITTEE)
    assert len(builds) == 2  # searches found both built
    held = directory.held(directory_conn, "2025-26").set_index("email").loc["eve@bsu.edu"]
    directory.review(directory_conn, int(held["id"]), int(held["version"]), actor="member")
    search.warm_in_background(directory_conn.cursor).join()  # what the dashboard does after a change
    assert len(builds) == 4
    assert "eve@bsu.edu" in emails(directory_conn, "cataloger") and len(builds) == 4


def test_searches_arriving_during_a_build_wait_for_it(directory_conn, monkeypatch):
    import threading

    search.forget_indexes()
    builds = _count_builds(monkeypatch)
    found = []
    threads = [threading.Thread(target=lambda: found.append(search.index(directory_conn.cursor(), "2025-26")))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [("2025-26", search.PUBLIC)] and all(index is found[0] for index in found)
