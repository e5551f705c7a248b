"""Recognising the institution names people type: each step of the matcher, one by one."""
from __future__ import annotations

import pytest

from lib.directory import institutions
from lib.imports import batches as imports


@pytest.fixture
def matcher(conn):
    """The matcher over the seeded institutions table."""
    return institutions.Matcher.from_db(conn)


@pytest.mark.parametrize("typed, name, how", [
    ("Ball State University", "Ball State University", "exact"),
    ("  ball state   university ", "Ball State University", "exact"),
    ("IUPUI", "Indiana University Indianapolis", "alias"),
    ("Purdue Calumet", "Purdue University Northwest", "alias"),
    ("Ball State Univ", "Ball State University", "alias"),
    ("Saint Mary's College", "Saint Mary's College", "exact"),
    ("St Marys College", "Saint Mary's College", "alias"),
    ("Ivy Tech Community College - Bloomington", "Ivy Tech Community College", "campus"),
    ("Ivy Tech Community College – Lafayette", "Ivy Tech Community College", "campus"),
    ("Ivy Tech, Sellersburg", "Ivy Tech Community College", "campus"),
    ("Ball State University (Muncie)", "Ball State University", "campus"),
    ("Butler", "Butler University", "prefix"),
    ("Ball Stat University", "Ball State University", "fuzzy"),
    ("Acme College", None, "unknown"),
    ("", None, "unknown"),
])
def test_each_step_of_the_matcher(matcher, typed, name, how):
    found = matcher.match(typed)
    assert (found.name, found.how) == (name, how)


def test_a_campus_suffix_is_recognised_on_import_without_review(conn):
    export = ("Timestamp,Email Address,Name,Institution,Areas of expertise,May we publish your information?\n"
              "9/15/2025 10:00:00,ana@example.edu,Ana López,Ivy Tech Community College - Bloomington,Cataloging,Yes\n")
    result = imports.import_bytes(conn, export.encode(), "campus.csv")
    assert result.ok and not [w for w in result.warnings if w.column == "Institution"]
    assert conn.execute("SELECT i.name FROM survey_responses r JOIN institutions i ON i.id = r.institution_id"
                        ).fetchall() == [("Ivy Tech Community College",)]
    assert institutions.needing_review(conn) == []
