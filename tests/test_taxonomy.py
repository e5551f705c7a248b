"""The taxonomy the committee keeps: recognising typed skills, hints, proposals, every edit and institution aliases."""
from __future__ import annotations

import json

import pytest

from lib.db import ConflictError
from lib.directory import institutions, skills
from lib.imports import batches as imports
from tests.test_imports_messy import HEADER_2024, csv_bytes, row

APPLICATION_HEADER = ["Timestamp", "Email Address", "Name", "Institution", "How long have you worked in libraries?",
                      "I agree to the expectations"]


def survey(*rows: list[str]) -> bytes:
    """A Skills Directory Survey export of these rows."""
    return csv_bytes(HEADER_2024, list(rows))


@pytest.fixture
def two_years(conn):
    """Typed skills and an unknown institution in two program years, by José, Zoë and O'Neil."""
    imports.import_bytes(conn, survey(
        row(ts="9/15/2024 10:00:00", email="jose@x.edu", name="José Álvarez", inst="Acme College",
            skills="Cataloging, Zine librarianship"),
        row(ts="9/16/2024 10:00:00", email="zoe@x.edu", name="Zoë Brontë", skills="=SUM(A1), Zine librarianship"),
    ), "2024.csv")
    imports.import_bytes(conn, survey(
        row(ts="9/15/2025 10:00:00", email="jose@x.edu", name="José Álvarez", inst="Acme College",
            skills="Special collections, Zine Librarianship, Podcasting"),
        row(ts="9/16/2025 10:00:00", email="oneil@x.edu", name="Pat O'Neil", inst="Purdue University",
            skills="Zine librarianship, Cataloging"),
    ), "2025.csv")
    imports.import_bytes(conn, csv_bytes(APPLICATION_HEADER, [
        ["9/10/2025 9:00:00", "new@x.edu", "Noor O'Brien", "Acme College", "1-2 years", "I agree"]]), "apps.csv")
    return conn


def linked(conn, skill: str) -> set[tuple[str, str]]:
    """(email, cycle) of every answer linked to a skill."""
    return set(conn.execute("""SELECT p.email, r.cycle FROM person_skills ps JOIN skills s ON s.id = ps.skill_id
                               JOIN survey_responses r ON r.id = ps.response_id JOIN people p ON p.id = r.person_id
                               WHERE s.name = ?""", [skill]).fetchall())


def others(conn) -> dict[tuple[str, str], list[str]]:
    """The 'other' skills of every answer by (email, cycle)."""
    rows = conn.execute("SELECT p.email, r.cycle, r.other_skills FROM survey_responses r"
                        " JOIN people p ON p.id = r.person_id").fetchall()
    return {(e, c): list(o) for e, c, o in rows}


def snapshot(conn) -> tuple:
    """Everything a taxonomy edit may change."""
    return tuple(conn.execute(sql).fetchall() for sql in (
        "SELECT id, name, category, aliases, version FROM skills ORDER BY id",
        "SELECT response_id, skill_id FROM person_skills ORDER BY ALL",
        "SELECT id, other_skills, version, institution_id FROM survey_responses ORDER BY id",
        "SELECT id, institution_id FROM applications ORDER BY id",
        "SELECT id, institution_id FROM people ORDER BY id",
        "SELECT id, aliases, version FROM institutions ORDER BY id",
        "SELECT key FROM skill_dismissals ORDER BY key",
        "SELECT count(*) FROM audit_log"))


def duplicate_pairs(conn) -> int:
    """person_skills pairs held more than once (it has no primary key)."""
    return conn.execute("""SELECT count(*) FROM (SELECT response_id, skill_id FROM person_skills
                           GROUP BY ALL HAVING count(*) > 1)""").fetchall()[0][0]


def last_audit(conn) -> tuple[str, str, dict]:
    """The newest audit record: (actor, action, detail)."""
    actor, action, detail = conn.execute(
        "SELECT actor, action, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchall()[0]
    return actor, action, json.loads(detail)


def skill_id(conn, name: str) -> int:
    """The id of a skill by name."""
    return conn.execute("SELECT id FROM skills WHERE name = ?", [name]).fetchall()[0][0]


# ------------------------------------------------------------------------------------------ recognising


def test_normalise_ignores_case_accents_and_punctuation():
    assert skills.normalise("Métadata") == "metadata"
    assert skills.normalise("  Open-Educational   Resources ") == "open educational resources"
    assert skills.normalise("Diversity, equity & inclusion") == "diversity equity and inclusion"
    assert skills.normalise("O'Neil's zines") == "oneils zines"


def test_keys_of_a_name_with_a_parenthesised_alias():
    assert skills.keys("Open educational resources (OER)") == ["open educational resources oer",
                                                               "open educational resources", "oer"]
    assert skills.keys("Cataloguing") == ["cataloguing"]
    assert skills.keys("=SUM(A1)") == ["sum a1", "sum", "a1"]


@pytest.mark.parametrize("typed, skill", [
    ("Open educational resources (OER)", "Open educational resources"),
    ("open-educational resources", "Open educational resources"),
    ("OER (Open educational resources)", "Open educational resources"),
    ("Cataloguing", "Cataloging"),
    ("Métadata", "Metadata"),
    ("Data viz", "Data visualization"),
    ("Diversity, equity & inclusion", "Diversity equity and inclusion"),
    ("Zine librarianship", None),
    ("Podcasting (AI)", None),   # the alias part alone is no proof: the name part must be a skill
    ("=SUM(A1)", None),
])
def test_what_the_index_recognises(conn, typed, skill):
    found = skills.Index.from_db(conn).recognise(typed)
    assert (found[1] if found else None) == skill


def test_recognised_on_import_without_asking(conn):
    data = survey(row(name="Zoë Brontë", skills="Open educational resources (OER), open-educational resources, "
                                                "Cataloguing, Métadata, Zine librarianship"))
    result = imports.import_bytes(conn, data, "typed.csv")
    assert result.ok
    assert {p.value for p in result.warnings if p.column == "Areas of expertise"} == {"Zine librarianship"}
    names = conn.execute("""SELECT list(s.name ORDER BY s.name) FROM person_skills ps
                            JOIN skills s ON s.id = ps.skill_id""").fetchall()[0][0]
    assert names == ["Cataloging", "Metadata", "Open educational resources"]  # each once
    assert others(conn) == {("ana@example.edu", "2025-26"): ["Zine librarianship"]}


def test_other_answers_keep_the_order_they_were_typed_in(conn):
    imports.import_bytes(conn, survey(row(skills="Zine librarianship, Podcasting, =SUM(A1), Cataloging, Bird walks")),
                         "order.csv")
    assert others(conn)[("ana@example.edu", "2025-26")] == ["Zine librarianship", "Podcasting", "=SUM(A1)",
                                                             "Bird walks"]


# ------------------------------------------------------------------------------------------ hints


def test_zine_librarianship_is_not_health_sciences(conn):
    index = skills.Index.from_db(conn)
    assert "Health sciences librarianship" not in [c.name for c in index.candidates("Zine librarianship")]
    assert index.closest("Zine librarianship") is None
    assert index.closest("Library services") is None  # nothing but generic words


@pytest.mark.parametrize("typed, closest", [
    ("Metadta creation", "Metadata"),
    ("Grant writting", "Grant writing"),
    ("Copyright law", "Copyright"),
    ("Web acessibility", "Accessibility"),
    ("Medical library services", "Health sciences librarianship"),
    ("Community archives", "Archives"),  # the proposal's words hold a skill's whole name
    ("Archives of the community", "Archives"),
])
def test_a_close_skill_is_named(conn, typed, closest):
    assert skills.Index.from_db(conn).closest(typed) == closest


def test_two_skills_about_as_close_make_no_single_hint():
    index = skills.Index([(1, "Film cataloging", "Collections", []), (2, "Maps cataloging", "Collections", [])])
    found = index.candidates("Film and maps cataloging")
    assert len(found) == 2 and found[0].score - found[1].score < skills.HINT_MARGIN
    assert index.closest("Film and maps cataloging") is None
    assert index.closest("Film catalogueing") == "Film cataloging"
    # Both names are in the typed text: still no single hint.
    assert index.closest("Film cataloging and maps cataloging") is None


def test_import_warnings_say_no_close_skill(conn):
    result = imports.import_bytes(conn, survey(row(skills="Zine librarianship, Metadta creation")), "hints.csv")
    messages = {p.value: p.message for p in result.warnings if p.column == "Areas of expertise"}
    assert messages["Zine librarianship"].endswith("no close skill")
    assert "Health sciences" not in messages["Zine librarianship"]
    assert messages["Metadta creation"].endswith("closest existing skill: Metadata")


# ------------------------------------------------------------------------------------------ proposals


def test_proposals_group_spellings_and_count_members_and_answers(two_years):
    found = {p.text: p for p in skills.proposals(two_years)}
    zine = found["Zine librarianship"]
    assert (zine.members, zine.answers) == (3, 4)  # José in both years, Zoë, O'Neil
    assert zine.variants == ("Zine Librarianship", "Zine librarianship") and zine.closest is None
    assert zine.candidates == ()
    assert set(found) == {"Zine librarianship", "=SUM(A1)", "Podcasting"}
    assert found["=SUM(A1)"] == ("=SUM(A1)", 1, None)


def test_a_value_typed_before_the_taxonomy_knew_it_is_proposed_as_recognised(two_years):
    # Written before normalised recognition existed: the taxonomy names it once accents are ignored.
    two_years.execute("UPDATE survey_responses SET other_skills = ['Métadata'] WHERE cycle = '2024-25'")
    proposal = next(p for p in skills.proposals(two_years) if p.text == "Métadata")
    assert proposal.recognised == "Metadata" and proposal.candidates[0].score == 100
    change = skills.accept_as_alias(two_years, "Métadata", skill_id(two_years, "Metadata"), actor="chair")
    assert change.relinked == 2
    assert "Métadata" not in skills.Index.from_db(two_years).names.values()


# ------------------------------------------------------------------------------------------ accepting


def test_accepting_a_new_skill_relinks_both_years_in_one_audited_change(two_years):
    before = others(two_years)
    change = skills.accept_as_skill(two_years, "Zine librarianship", "Outreach and engagement", actor="chair")
    assert change.relinked == 4 and change.values == ("Zine Librarianship", "Zine librarianship")
    assert linked(two_years, "Zine librarianship") == {("jose@x.edu", "2024-25"), ("jose@x.edu", "2025-26"),
                                                        ("zoe@x.edu", "2024-25"), ("oneil@x.edu", "2025-26")}
    after = others(two_years)
    assert after == {key: [v for v in values if v.lower() != "zine librarianship"] for key, values in before.items()}
    assert after[("zoe@x.edu", "2024-25")] == ["=SUM(A1)"]
    assert duplicate_pairs(two_years) == 0
    actor, action, detail = last_audit(two_years)
    assert (actor, action, detail["relinked_answers"]) == ("chair", "skill.add", 4)
    assert detail["after"] == {"name": "Zine librarianship", "category": "Outreach and engagement", "aliases": []}
    assert "Zine librarianship" not in [p.text for p in skills.proposals(two_years)]
    # The next import links it without asking.
    result = imports.import_bytes(two_years, survey(row(ts="9/20/2025 9:00:00", skills="zine-librarianship")), "n.csv")
    assert not [p for p in result.warnings if p.column == "Areas of expertise"]
    assert ("ana@example.edu", "2025-26") in linked(two_years, "Zine librarianship")


def test_a_new_skill_under_another_name_keeps_the_typed_text_as_an_alias(two_years):
    change = skills.accept_as_skill(two_years, "Podcasting", None, name="Podcasts and audio", actor="chair")
    skill = skills.get(two_years, change.skill_id)
    assert (skill.name, skill.category, skill.aliases) == ("Podcasts and audio", skills.DEFAULT_CATEGORY,
                                                           ("Podcasting",))
    assert linked(two_years, "Podcasts and audio") == {("jose@x.edu", "2025-26")}


def test_accepting_an_alias_relinks_without_duplicate_pairs(two_years):
    target = skills.find(two_years, "Special collections")
    # José's 2025 answer already lists Special collections and typed Zine librarianship too.
    change = skills.accept_as_alias(two_years, "Zine librarianship", target.id, version=target.version, actor="chair")
    assert change.relinked == 4
    assert {("jose@x.edu", "2025-26"), ("zoe@x.edu", "2024-25")} <= linked(two_years, "Special collections")
    assert duplicate_pairs(two_years) == 0
    after = skills.get(two_years, target.id)
    assert after.aliases == (*target.aliases, "Zine librarianship") and after.version == target.version + 1
    _, action, detail = last_audit(two_years)
    assert action == "skill.alias" and detail["before"]["aliases"] == list(target.aliases)
    with pytest.raises(ConflictError, match="changed by someone else"):
        skills.accept_as_alias(two_years, "Podcasting", target.id, version=target.version, actor="chair")


def test_a_name_or_alias_of_another_skill_is_refused(two_years):
    with pytest.raises(ValueError, match="already names the skill 'Cataloging'"):
        skills.accept_as_skill(two_years, "Cataloguing")
    with pytest.raises(ValueError, match="already names the skill 'Metadata'"):
        skills.accept_as_alias(two_years, "Dublin Core", skill_id(two_years, "Cataloging"))
    with pytest.raises(ValueError, match="spreadsheet formula"):
        skills.accept_as_skill(two_years, "=SUM(A1)")
    with pytest.raises(ValueError, match="HTML"):
        skills.accept_as_skill(two_years, "Zines <b>bold</b>")


def test_a_failure_midway_leaves_everything_unchanged(two_years, monkeypatch):
    before = snapshot(two_years)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(skills, "audit", broken)  # the last step of every edit, after the re-linking
    cataloging = skill_id(two_years, "Cataloging")
    special = skill_id(two_years, "Special collections")
    for attempt in (lambda: skills.accept_as_skill(two_years, "Zine librarianship", "Outreach"),
                    lambda: skills.accept_as_alias(two_years, "Zine librarianship", special),
                    lambda: skills.set_aliases(two_years, special, ["Zine librarianship"]),
                    lambda: skills.rename(two_years, special, "Zine librarianship"),
                    lambda: skills.merge(two_years, cataloging, special),
                    lambda: skills.dismiss(two_years, "Podcasting")):
        with pytest.raises(RuntimeError, match="disk full"):
            attempt()
        assert snapshot(two_years) == before
    monkeypatch.setattr(institutions, "audit", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        institutions.accept_alias(two_years, "Acme College", institutions.find(two_years, "Butler University").id)
    assert snapshot(two_years) == before


# ------------------------------------------------------------------------------------------ dismissing


def test_dismissed_proposals_stop_being_proposed_in_every_spelling(two_years):
    skills.dismiss(two_years, "zine librarianship", actor="chair")
    assert "Zine librarianship" not in [p.text for p in skills.proposals(two_years)]
    assert others(two_years)[("oneil@x.edu", "2025-26")] == ["Zine librarianship"]  # answers keep it as typed
    assert last_audit(two_years)[:2] == ("chair", "skill.dismiss")
    with pytest.raises(ValueError, match="dismissed already"):
        skills.dismiss(two_years, "Zine Librarianship")
    result = imports.import_bytes(two_years, survey(row(ts="9/20/2025 9:00:00", skills="ZINE librarianship")), "z.csv")
    assert "dismissed from proposals" in next(p.message for p in result.warnings if p.value == "ZINE librarianship")
    assert [row[0] for row in skills.dismissals(two_years)] == ["zine librarianship"]
    skills.restore(two_years, "Zine librarianship", actor="chair")
    assert "Zine librarianship" in [p.text for p in skills.proposals(two_years)]
    # Accepting a dismissed text later also lifts the dismissal.
    skills.dismiss(two_years, "Podcasting")
    skills.accept_as_skill(two_years, "Podcasting", "Technology")
    assert skills.dismissals(two_years) == []


# ------------------------------------------------------------------------------------------ editing


def test_rename_keeps_the_old_name_as_an_alias_and_refuses_a_stale_version(two_years):
    skill = skills.find(two_years, "Cataloging")
    members = linked(two_years, "Cataloging")
    change = skills.rename(two_years, skill.id, "Cataloguing", version=skill.version, actor="chair")
    renamed = skills.get(two_years, skill.id)
    assert change.name == renamed.name == "Cataloguing"
    assert "Cataloging" in renamed.aliases and "cataloguing" not in renamed.aliases
    assert linked(two_years, "Cataloguing") == members
    _, action, detail = last_audit(two_years)
    assert action == "skill.rename" and detail["before"]["name"] == "Cataloging"
    with pytest.raises(ConflictError, match="changed by someone else"):
        skills.rename(two_years, skill.id, "Cataloging again", version=skill.version)
    with pytest.raises(ValueError, match="already names the skill 'Metadata'"):
        skills.rename(two_years, skill.id, "Metadata")


def test_rename_relinks_answers_that_typed_the_new_name(two_years):
    special = skills.find(two_years, "Exhibits")
    change = skills.rename(two_years, special.id, "Podcasting", version=special.version)
    assert change.relinked == 1 and linked(two_years, "Podcasting") == {("jose@x.edu", "2025-26")}


def test_move_to_another_or_a_new_category(two_years):
    skill = skills.find(two_years, "Oral history")
    skills.move(two_years, skill.id, "Community and memory", version=skill.version, actor="chair")
    assert skills.get(two_years, skill.id).category == "Community and memory"
    assert "Community and memory" in skills.categories(two_years)
    assert last_audit(two_years)[2] == {"before": {"category": "Archives and preservation"},
                                        "after": {"category": "Community and memory"}}
    with pytest.raises(ConflictError):
        skills.move(two_years, skill.id, "Technology", version=skill.version)


def test_editing_aliases_relinks_new_ones_and_refuses_taken_ones(two_years):
    skill = skills.find(two_years, "Special collections")
    change = skills.set_aliases(two_years, skill.id, ["rare books", "Zine librarianship", "zine-librarianship", " "],
                                version=skill.version, actor="chair")
    assert skills.get(two_years, skill.id).aliases == ("rare books", "Zine librarianship")
    assert change.relinked == 4 and duplicate_pairs(two_years) == 0
    with pytest.raises(ValueError, match="already names the skill 'Cataloging'"):
        skills.set_aliases(two_years, skill.id, ["RDA"])


def test_merge_moves_answers_keeps_names_as_aliases_and_removes_the_skill(two_years):
    zine = skills.accept_as_skill(two_years, "Zine librarianship", "Outreach and engagement")
    target = skills.find(two_years, "Special collections")
    source = skills.get(two_years, zine.skill_id)
    with pytest.raises(ConflictError):
        skills.merge(two_years, source.id, target.id, version=source.version, target_version=target.version - 1)
    change = skills.merge(two_years, source.id, target.id, version=source.version, target_version=target.version,
                          actor="chair")
    assert change.moved == 4 and skills.get(two_years, source.id) is None
    assert linked(two_years, "Special collections") >= {("jose@x.edu", "2024-25"), ("zoe@x.edu", "2024-25"),
                                                         ("oneil@x.edu", "2025-26"), ("jose@x.edu", "2025-26")}
    assert duplicate_pairs(two_years) == 0  # José's 2025 answer had both skills
    assert "Zine librarianship" in skills.get(two_years, target.id).aliases
    _, action, detail = last_audit(two_years)
    assert action == "skill.merge" and detail["before"]["merged"]["name"] == "Zine librarianship"
    with pytest.raises(ValueError, match="into itself"):
        skills.merge(two_years, target.id, target.id)


def test_the_taxonomy_lists_members_and_searches_aliases(two_years):
    found = skills.taxonomy(two_years)
    assert next(s for s in found if s.name == "Cataloging").members == 2
    assert [s.name for s in skills.matching(found, "CATALOGUING")] == ["Cataloging"]  # an alias, whatever the case
    assert "Health sciences librarianship" in [s.name for s in skills.matching(found, "NURSING")]
    with pytest.raises(ValueError, match="No skill named 'Catalogin'. Did you mean: Cataloging"):
        skills.find(two_years, "Catalogin")


# ------------------------------------------------------------------------------------------ institutions


def test_unknown_institutions_are_listed_with_suggestions(two_years):
    two_years.execute("UPDATE survey_responses SET institution_id = NULL, institution_raw = 'Earlam'"
                      " WHERE person_id = (SELECT id FROM people WHERE email = 'oneil@x.edu')")
    found = {u.name: u for u in institutions.to_review(two_years)}
    assert found["Acme College"].answers == 3 and found["Acme College"].suggestions == ()
    assert found["Earlam"].suggestions[0][1:] == ("Earlham College", 92)


def test_accepting_an_institution_alias_relinks_past_answers_and_the_next_import(two_years):
    butler = institutions.find(two_years, "Butler University")
    relinked = institutions.accept_alias(two_years, "Acme College", butler.id, version=butler.version, actor="chair")
    assert (relinked.responses, relinked.applications, relinked.people) == (2, 1, 2)
    assert two_years.execute("""SELECT count(*) FROM survey_responses WHERE institution_raw = 'Acme College'
                                AND institution_id = ?""", [butler.id]).fetchall()[0][0] == 2
    assert two_years.execute("SELECT count(*) FROM people WHERE institution_id IS NULL").fetchall()[0][0] == 0
    assert "Acme College" in institutions.find(two_years, "Butler University").aliases
    _, action, detail = last_audit(two_years)
    assert action == "institution.alias" and detail["relinked_applications"] == 1
    assert institutions.to_review(two_years) == []
    result = imports.import_bytes(two_years, survey(row(ts="9/20/2025 9:00:00", inst="Acme College - Main campus")),
                                  "next.csv")
    assert not [p for p in result.warnings if p.column == "Institution / Library"]
    with pytest.raises(ConflictError, match="changed by someone else"):
        institutions.accept_alias(two_years, "Acme Coll", butler.id, version=butler.version)
    with pytest.raises(ValueError, match="already names 'Ball State University'"):
        institutions.accept_alias(two_years, "BSU", butler.id)


def test_adding_a_missing_institution_links_its_answers(two_years):
    relinked = institutions.add_institution(two_years, "Acme College", "Donaldson", "marshall", "private",
                                            aliases=["Acme"], actor="chair")
    assert relinked.answers == 3 and relinked.people == 2
    added = institutions.find(two_years, "Acme")
    assert (added.name, added.city, added.county, added.type) == ("Acme College", "Donaldson", "Marshall", "private")
    region, fips = two_years.execute("SELECT region, county_fips FROM institutions WHERE id = ?",
                                     [added.id]).fetchall()[0]
    assert fips == "18099" and region
    assert last_audit(two_years)[1] == "institution.add"
    with pytest.raises(ValueError, match="not an Indiana county"):
        institutions.add_institution(two_years, "Other College", "Paris", "Paris", "private")
    with pytest.raises(ValueError, match="already names 'Butler University'"):
        institutions.add_institution(two_years, "Butler University", "Indianapolis", "Marion", "private")
    with pytest.raises(ValueError, match="Choose a type"):
        institutions.add_institution(two_years, "Other College", "Muncie", "Delaware", "castle")


# ------------------------------------------------------------------------------------------ command line


@pytest.fixture
def cli_db(two_years, tmp_path):
    """The two program years in a database file the command line can open (this process lets go of it)."""
    two_years.close()
    return tmp_path / "test.duckdb"


def test_cli_lists_proposals_and_adds_a_skill(cli_db):
    from lib import db
    from tests.test_cli import run

    listed = run("skills", "proposals", "--json", env_db=cli_db)
    assert listed.returncode == 0, listed.stderr
    zine = next(p for p in json.loads(listed.stdout) if p["text"] == "Zine librarianship")
    assert (zine["members"], zine["answers"], zine["closest"], zine["candidates"]) == (3, 4, None, [])
    assert "no close skill" in run("skills", "proposals", env_db=cli_db).stdout
    added = run("skills", "add", "Zine librarianship", "--category", "Outreach and engagement", env_db=cli_db)
    assert added.returncode == 0, added.stderr
    assert "4 past answer(s) re-linked" in added.stdout
    again = run("skills", "add", "zine-librarianship", env_db=cli_db)
    assert again.returncode == 2 and "already names the skill 'Zine librarianship'" in again.stderr
    formula = run("skills", "add", "=SUM(A1)", env_db=cli_db)
    assert formula.returncode == 2 and "spreadsheet formula" in formula.stderr
    conn = db.connect(cli_db)
    try:
        assert len(linked(conn, "Zine librarianship")) == 4
        assert last_audit(conn)[:2] == ("cli", "skill.add")
    finally:
        conn.close()


def test_cli_alias_merge_and_dismiss(cli_db):
    from lib import db
    from tests.test_cli import run

    alias = run("skills", "alias", "Podcasting", "--to", "oral history", env_db=cli_db)
    assert alias.returncode == 0, alias.stderr
    assert "1 past answer(s) re-linked (Podcasting)" in alias.stdout
    unknown = run("skills", "alias", "Podcasting", "--to", "Oral histry", env_db=cli_db)
    assert unknown.returncode == 2 and "No skill named 'Oral histry'. Did you mean: Oral history" in unknown.stderr
    merged = run("skills", "merge", "Oral history", "--into", "Archives", env_db=cli_db)
    assert merged.returncode == 0, merged.stderr
    assert "Merged 'Oral history' into 'Archives': 1 answer(s) moved" in merged.stdout
    dismissed = run("skills", "dismiss", "=SUM(A1)", env_db=cli_db)
    assert dismissed.returncode == 0, dismissed.stderr
    texts = [p["text"] for p in json.loads(run("skills", "proposals", "--json", env_db=cli_db).stdout)]
    assert texts == ["Zine librarianship"]
    conn = db.connect(cli_db)
    try:
        archives = skills.find(conn, "Archives")
        assert {"Oral history", "Podcasting"} <= set(archives.aliases)
        assert linked(conn, "Archives") == {("jose@x.edu", "2025-26")}
    finally:
        conn.close()


def test_cli_institution_alias(cli_db):
    from lib import db
    from tests.test_cli import run

    review = run("institutions", "review", "--json", env_db=cli_db)
    assert review.returncode == 0 and json.loads(review.stdout) == [
        {"name": "Acme College", "answers": 3, "suggestions": []}]
    refused = run("institutions", "alias", "Acme College", "--to", "Nowhere State", env_db=cli_db)
    assert refused.returncode == 2 and "No institution named 'Nowhere State'" in refused.stderr
    done = run("institutions", "alias", "Acme College", "--to", "Butler", env_db=cli_db)
    assert done.returncode == 0, done.stderr
    assert "alias of Butler University: 2 survey answer(s), 1 application(s) and 2 person record(s)" in done.stdout
    conn = db.connect(cli_db)
    try:
        assert institutions.to_review(conn) == []
    finally:
        conn.close()
