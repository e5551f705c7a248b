"""Exports as people really make them: names in two columns, blank answers, misleading headers, the wrong year."""
from __future__ import annotations

import json

import pytest

from lib.directory import members as directory
from lib.imports import batches as imports, forms
from tests.export_shapes_support import SHAPES, export, when

CONSENT = "May we publish your answers in the ALI Skills Directory?"
SPLIT = ["Timestamp", "Email Address", "Last Name", "First Name", "Institution", "Areas of expertise", CONSENT]


def split_rows() -> list[list]:
    """Three survey answers with the family name asked before the given name."""
    return [[when(15), "jose@example.edu", "Méndez", "José", "Ball State University", ["Cataloging", "Metadata"], "Yes"],
            [when(16), "zoe@example.edu", "O'Neil", "Zoë", "Purdue University", ["Instruction"], "Yes"],
            [when(17), "kim@example.edu", "Nguyen", "Kim Anh", "Butler University", ["Metadata"], "Yes"]]


def names(conn) -> list[str]:
    """The names the survey answers hold, in email order."""
    return [row[0] for row in conn.execute(
        "SELECT r.name FROM survey_responses r JOIN people p ON p.id = r.person_id ORDER BY p.email").fetchall()]


# ------------------------------------------------------------------ 1. first and last name in two columns

@pytest.mark.parametrize("shape", SHAPES)
def test_given_and_family_name_columns_join_given_first(conn, shape):
    data, name = export(shape, SPLIT, split_rows())
    result = imports.import_bytes(conn, data, name)
    assert result.ok and result.kind == "skills"
    assert result.mapping["Last Name"] == "family_name" and result.mapping["First Name"] == "given_name"
    assert not result.unmapped
    assert names(conn) == ["José Méndez", "Kim Anh Nguyen", "Zoë O'Neil"]
    assert conn.execute("SELECT name FROM people WHERE email = 'jose@example.edu'").fetchall() == [("José Méndez",)]


@pytest.mark.parametrize("given, family", [("First name", "Last name"), ("Given name", "Surname"),
                                           ("Forename(s)", "Family name"), ("Preferred first name", "Last Name")])
def test_every_wording_of_the_two_parts_is_recognised_in_either_order(given, family):
    for headers in (["Timestamp", given, family], ["Timestamp", family, given]):
        mapping = forms.propose_mapping("applications", headers)
        assert mapping[given] == "given_name" and mapping[family] == "family_name"
    assert forms.propose_mapping("skills", ["First and last name"]) == {"First and last name": "name"}


def test_the_parts_can_be_mapped_by_hand_and_the_mapping_is_remembered(conn):
    header = ["Timestamp", "Email Address", "Vorname", "Nachname", "Institution", "Areas of expertise", CONSENT]
    rows = [[r[0], r[1], r[3], r[2], *r[4:]] for r in split_rows()]
    data, name = export("sheet_csv", header, rows[:2])
    with pytest.raises(imports.ImportRefused, match="'Name' .*given_name and family_name"):
        imports.import_bytes(conn, data, name, mapping={"Vorname": "given_name", "Nachname": ""})
    result = imports.import_bytes(conn, data, name, mapping={"Vorname": "given_name", "Nachname": "family_name"})
    assert result.ok and names(conn) == ["José Méndez", "Zoë O'Neil"]
    # Next year's export of the same form: the confirmed mapping is used again, both parts included.
    data, name = export("sheet_csv", header, rows)
    again = imports.import_bytes(conn, data, name)
    assert again.mapping_source == "remembered" and again.ok and again.new == 1
    assert names(conn) == ["José Méndez", "Kim Anh Nguyen", "Zoë O'Neil"]


def test_a_name_column_wins_over_the_parts_where_it_is_answered(conn):
    header = ["Timestamp", "Email Address", "Full name", "First name", "Last name", "Institution",
              "Areas of expertise", CONSENT]
    rows = [[when(15), "a@example.edu", "Ana María López", "Ana", "López", "Purdue University", ["Metadata"], "Yes"],
            [when(16), "b@example.edu", "", "Ben", "Okafor", "Purdue University", ["Metadata"], "Yes"]]
    data, name = export("form_csv", header, rows)
    assert imports.import_bytes(conn, data, name).ok
    assert names(conn) == ["Ana María López", "Ben Okafor"]


# ------------------------------------------------------------------ 3. required answers left blank

@pytest.mark.parametrize("shape", SHAPES)
def test_nameless_answers_are_held_and_blank_institutions_warned(conn, shape):
    header = ["Timestamp", "Email Address", "Your name", "Institution", "Areas of expertise", CONSENT]
    rows = [[when(15), "ana@example.edu", "Ana López", "Ball State University", ["Metadata"], "Yes"],
            [when(16), "blank@example.edu", "   ", "Purdue University", ["Metadata"], "Yes"],
            [when(17), "none@example.edu", "", "", ["Cataloging"], "Yes"]]
    data, name = export(shape, header, rows)
    result = imports.import_bytes(conn, data, name)
    assert result.ok and result.new == 3
    nameless = [(w.row, w.column) for w in result.warnings if w.message.startswith("no name")]
    assert nameless == [(3, "Your name"), (4, "Your name")]
    assert [(w.row, w.column) for w in result.warnings if w.message.startswith("no institution")] == [(4, "Institution")]
    published = directory.published(conn, "2025-26")
    assert list(published["name"]) == ["Ana López"]
    held = directory.held(conn, "2025-26")
    assert sorted(held["email"]) == ["blank@example.edu", "none@example.edu"]
    assert set(held["held_reason"]) == {"No name given"}
    # A committee member cannot publish it without giving a name, and can with one.
    response = held[held["email"] == "none@example.edu"].iloc[0]
    with pytest.raises(ValueError, match="no name"):
        directory.review(conn, int(response["id"]), int(response["version"]), "tester")
    directory.review(conn, int(response["id"]), int(response["version"]), "tester", {"name": "Noor Haddad"})
    assert sorted(directory.published(conn, "2025-26")["name"]) == ["Ana López", "Noor Haddad"]


@pytest.mark.parametrize("shape", SHAPES)
def test_an_empty_email_stays_a_row_error(conn, shape):
    header = ["Timestamp", "Email Address", "Your name", "Institution", "Areas of expertise", CONSENT]
    rows = [[when(15), "ana@example.edu", "Ana López", "Ball State University", ["Metadata"], "Yes"],
            [when(16), "", "Ben Okafor", "Purdue University", ["Metadata"], "Yes"]]
    data, name = export(shape, header, rows)
    result = imports.import_bytes(conn, data, name)
    assert not result.ok and [(e.row, e.column) for e in result.errors] == [(3, "Email Address")]
    assert "no email address" in result.errors[0].message
    assert conn.execute("SELECT count(*) FROM people").fetchall() == [(0,)]


# ------------------------------------------------------------------ 4. a header rule that matches the wrong question

PUBLISH_EMAIL = "Preferred email address to publish so students can contact you"


@pytest.mark.parametrize("shape", SHAPES)
def test_an_email_question_mentioning_publish_is_the_email_not_the_consent(conn, shape):
    header = ["Timestamp", "Your name", PUBLISH_EMAIL, "Institution", "Areas of expertise",
              "I consent to my information being shared in the ALI Skills Directory"]
    rows = [[when(15), "Ana López", "ana@example.edu", "Ball State University", ["Metadata"], "Yes"],
            [when(16), "Ben Okafor", "ben@example.edu", "Purdue University", ["Cataloging"], "No"]]
    data, name = export(shape, header, rows)
    found = imports.inspect(conn, data, name)
    assert found.kind == "skills"
    assert found.mapping[PUBLISH_EMAIL] == "email" and PUBLISH_EMAIL in found.guessed
    assert found.mapping["I consent to my information being shared in the ALI Skills Directory"] == "consent"
    result = imports.import_bytes(conn, data, name)
    assert result.ok and result.new == 2


def test_a_header_is_only_a_weak_guess_when_its_answers_do_not_fit(conn):
    header = ["Timestamp", "Username", "Your Title", "Full name", "Institution", "Areas of expertise",
              "Secondary Parent/Guardian Email Address", "May we publish this in the directory?"]
    rows = [[when(15), "ana@example.edu", "Dr.", "Ana López", "Ball State University", ["Metadata"],
             "parent1@example.com", "Yes"],
            [when(16), "ben@example.edu", "Mr", "Ben Okafor", "Purdue University", ["Cataloging"],
             "parent2@example.com", "Yes"],
            [when(17), "cy@example.edu", "Mx.", "Cy Park", "Butler University", ["Metadata"], "", "No"]]
    data, name = export("sheet_csv", header, rows)
    found = imports.inspect(conn, data, name)
    assert found.mapping["Username"] == "email"
    assert "Secondary Parent/Guardian Email Address" not in found.mapping
    assert "Your Title" not in found.mapping
    assert "Job title" in found.doubtful["Your Title"] and "Mr or Dr" in found.doubtful["Your Title"]
    result = imports.import_bytes(conn, data, name)
    assert result.ok and "Your Title" in result.doubtful and "Your Title" in result.unmapped
    assert conn.execute("SELECT count(*) FROM survey_responses WHERE job_title IS NOT NULL").fetchall() == [(0,)]
    # Mapped by hand, it is imported as asked (the committee's call), and no longer a weak guess.
    conn.execute("DELETE FROM column_mappings")
    by_hand = imports.import_bytes(conn, data, name, mapping={"Your Title": "job_title"}, dry_run=True)
    assert by_hand.ok and "Your Title" not in by_hand.doubtful


@pytest.mark.parametrize("field_name, header, values, reason", [
    ("consent", "Publish?", ["https://example.org/a", "https://example.org/b"], "not yes or no"),
    ("name", "Your name", ["ana@example.edu", "ben@example.edu"], "email addresses"),
    ("name", "Your name", ["1994", "2001"], "not names"),
    ("timestamp", "Submitted", ["yesterday", "soon"], "not dates and times"),
    ("email", "Username", ["ana.lopez", "bokafor"], "not email addresses"),
])
def test_each_field_checks_its_answers(field_name, header, values, reason):
    from lib.imports import guesses
    from lib.imports.sheets import read

    data, name = export("sheet_csv", [header], [[value] for value in values])
    doubts = guesses.misfits("skills", read(data, name), {header: field_name})
    assert reason in doubts[header]


def test_the_headers_google_writes_are_trusted_whatever_their_cells_hold():
    from lib.imports import guesses
    from lib.imports.sheets import read

    data, name = export("sheet_csv", ["Timestamp", "Email Address"], [["someday", "x-at-example.edu"]])
    assert guesses.misfits("skills", read(data, name), {"Timestamp": "timestamp", "Email Address": "email"}) == {}


# ------------------------------------------------------------------ 6. consent answers that cannot be read

@pytest.mark.parametrize("shape", SHAPES)
def test_unreadable_consent_is_warned_by_row_and_counted(conn, shape):
    header = ["Timestamp", "Email Address", "Your name", "Institution", "Areas of expertise", CONSENT]
    consents = ["Yes", "https://example.org/form?id=2", "No", "Yes", "https://example.org/form?id=5", ""]
    rows = [[when(10 + i), f"p{i}@example.edu", f"Person {chr(65 + i)}", "Purdue University", ["Metadata"], consent]
            for i, consent in enumerate(consents)]
    data, name = export(shape, header, rows)
    result = imports.import_bytes(conn, data, name)
    assert result.ok and result.unreadable_consent == 2
    unread = [(w.row, w.column, w.value) for w in result.warnings if w.message.startswith("not a yes or no")]
    assert unread == [(3, CONSENT, "https://example.org/form?id=2"), (6, CONSENT, "https://example.org/form?id=5")]
    assert [w.row for w in result.warnings if w.message.startswith("no answer")] == [7]
    assert any(w.row is None and "2 answer(s)" in w.message for w in result.warnings)
    assert list(directory.published(conn, "2025-26")["name"]) == ["Person A", "Person D"]


# ------------------------------------------------------------------ 7. detection weighs all the headers

def test_a_form_with_a_group_question_is_not_read_as_circle_rosters(conn):
    header = ["Timestamp", "Email Address", "Full name", "Which user group of the library do you work with?",
              "Institution", "Areas of expertise", CONSENT]
    rows = [[when(15), "ana@example.edu", "Ana López", "Students", "Purdue University", ["Metadata"], "Yes"]]
    data, name = export("sheet_csv", header, rows)
    assert imports.import_bytes(conn, data, name).kind == "skills"
    # Without its consent question no form is complete, and the refusal names what is missing, not timestamps.
    data, name = export("sheet_csv", header[:-1], [rows[0][:-1]])
    with pytest.raises(imports.ImportRefused) as refused:
        imports.import_bytes(conn, data, name)
    assert "timestamps" not in str(refused.value) and "Consent to publish" in str(refused.value)
    assert refused.value.preview.kind == "skills" and refused.value.preview.mapping["Full name"] == "name"
    # A roster typed by the committee is still one.
    assert forms.detect_kind(["Group", "Email", "Name"]) == "rosters"


# ------------------------------------------------------------------ 8. a file whose header row was deleted

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", [None, "skills"])
def test_a_missing_header_row_is_refused_with_or_without_a_kind(conn, shape, kind):
    rows = [[r[0], r[1], f"{r[3]} {r[2]}", *r[4:]] for r in split_rows()]
    data, name = export(shape, [str(cell) if not isinstance(cell, list) else ", ".join(cell) for cell in rows[0]],
                        rows[1:])
    with pytest.raises(imports.ImportRefused, match=f"{name}: the header row seems to be missing"):
        imports.import_bytes(conn, data, name, kind=kind)
    assert conn.execute("SELECT count(*) FROM import_batches").fetchall() == [(0,)]


# ------------------------------------------------------------------ 10. the program year is checked

OUTCOMES = ["Timestamp", "Did the experience meet your career goals?",
            "Would you participate in this type of program again?", "Comments"]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_chosen_program_year_the_timestamps_contradict_is_warned(conn, shape):
    rows = [[when(d, 5, 2025), "Yes", "Yes", ""] for d in (3, 12, 30)]
    data, name = export(shape, OUTCOMES, rows)
    wrong = imports.import_bytes(conn, data, name, cycle="2023-24", dry_run=True)
    year = [w for w in wrong.warnings if "program year" in w.message]
    assert len(year) == 1 and (year[0].row, year[0].column) == (2, "Timestamp")
    assert "2024-25" in year[0].message and "2023-24" in year[0].message and year[0].value
    right = imports.import_bytes(conn, data, name, cycle="2024-25", dry_run=True)
    assert not [w for w in right.warnings if "program year" in w.message]
    assert not [w for w in imports.import_bytes(conn, data, name, dry_run=True).warnings
                if "program year" in w.message]


# ------------------------------------------------------------------ 2. one question asked in two form sections

AVAILABILITY = "When are you available?"
APPLICATION = ["Timestamp", "Email Address", "Full name", "Institution", "How long have you worked in libraries?",
               AVAILABILITY, "I agree to the participant expectations", AVAILABILITY]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_question_repeated_in_two_sections_merges_per_row(conn, shape):
    rows = [[when(15), "ana@example.edu", "Ana López", "Purdue University", "1-2 years",
             ["Monday evening", "Tuesday morning"], "Yes", ""],
            [when(16), "ben@example.edu", "Ben Okafor", "Purdue University", "Less than 1 year", "", "Yes",
             ["Wednesday afternoon"]],
            [when(17), "cy@example.edu", "Cy Park", "Purdue University", "2-3 years", ["Monday evening"], "Yes",
             ["Monday evening", "Friday morning"]]]
    data, name = export(shape, APPLICATION, rows)
    result = imports.import_bytes(conn, data, name)
    assert result.ok and result.kind == "applications"
    assert result.mapping[AVAILABILITY] == "availability" and not result.unmapped
    assert any("asked in 2 columns" in w.message for w in result.warnings)
    stored = dict(conn.execute("""SELECT p.email, a.availability FROM applications a
                                  JOIN people p ON p.id = a.person_id""").fetchall())
    assert stored == {"ana@example.edu": ["mon-eve", "tue-am"], "ben@example.edu": ["wed-pm"],
                      "cy@example.edu": ["mon-eve", "fri-am"]}


# ------------------------------------------------------------------ 5. an "Other" answer through a short alias

@pytest.mark.parametrize("shape", SHAPES)
def test_only_a_whole_answer_equal_to_a_name_or_alias_is_recognised(conn, shape):
    header = ["Timestamp", "Email Address", "Your name", "Institution", "Areas of expertise", CONSENT]
    rows = [[when(15), "ana@example.edu", "Ana López", "Purdue University", ["PM (1300-1900)", "Metadata"], "Yes"],
            [when(16), "ben@example.edu", "Ben Okafor", "Purdue University", ["P.M.", "Métadata"], "Yes"]]
    data, name = export(shape, header, rows)
    result = imports.import_bytes(conn, data, name)
    assert result.ok
    proposed = [(w.row, w.value) for w in result.warnings if "proposed for the taxonomy" in w.message]
    assert proposed == [(2, "PM (1300-1900)")]
    linked = dict(conn.execute("""SELECT p.email, list(s.name ORDER BY s.name) FROM person_skills ps
        JOIN skills s ON s.id = ps.skill_id JOIN survey_responses r ON r.id = ps.response_id
        JOIN people p ON p.id = r.person_id GROUP BY p.email""").fetchall())
    assert linked == {"ana@example.edu": ["Metadata"], "ben@example.edu": ["Metadata", "Project management"]}


# ------------------------------------------------------------------ 9. a typo in an email

@pytest.mark.parametrize("shape", SHAPES)
def test_a_new_email_one_letter_from_the_same_persons_is_warned(conn, shape):
    header = ["Timestamp", "Email Address", "Your name", "Institution", "Areas of expertise", CONSENT]
    first = [[when(15), "jose.mendez@ucsd.edu", "José Méndez", "Purdue University", ["Metadata"], "Yes"]]
    data, name = export(shape, header, first, "first")
    assert imports.import_bytes(conn, data, name).ok
    later = [[when(20), "jose.mendez@ucsd.esu", "Jose Mendez", "Purdue University", ["Metadata"], "Yes"],
             [when(21), "jose.mendes@ucsd.edu", "Joseph Mendes", "Purdue University", ["Metadata"], "Yes"],
             [when(22), "zoe@example.edu", "Zoë Park", "Purdue University", ["Metadata"], "Yes"],
             [when(23), "zoe@example.edy", "Zoë Park", "Purdue University", ["Metadata"], "Yes"]]
    data, name = export(shape, header, later, "later")
    result = imports.import_bytes(conn, data, name)
    assert result.ok and result.new_people == 4  # nothing is merged
    typos = [(w.row, w.column, w.value) for w in result.warnings if "one letter away" in w.message]
    assert typos == [(2, "Email Address", "jose.mendez@ucsd.esu"), (5, "Email Address", "zoe@example.edy")]
    assert "jose.mendez@ucsd.edu" in next(w.message for w in result.warnings if w.row == 2 and "letter" in w.message)
    assert "row 4 of this file" in next(w.message for w in result.warnings if w.row == 5 and "letter" in w.message)


# ------------------------------------------------------------------ 7 and 8 on the command line

def _cli(tmp_path, header, rows, *args, shape="sheet_csv"):
    """Write an export and run `import --json` on it against a fresh database; return (process, stdout JSON)."""
    from tests.test_cli import run

    data, name = export(shape, header, rows)
    path = tmp_path / name
    path.write_bytes(data)
    done = run("import", str(path), "--json", *args, env_db=tmp_path / "cli.duckdb")
    return done, json.loads(done.stdout)


def test_json_prints_the_preview_of_a_refusal_with_the_reason_on_stderr_too(tmp_path):
    header = ["Timestamp", "Email Address", "Full name", "Which user group do you work with most?",
              "Institution", "Areas of expertise"]
    done, body = _cli(tmp_path, header, [[when(15), "ana@example.edu", "Ana López", "Students",
                                          "Purdue University", ["Metadata"]]])
    assert done.returncode == 2 and body["ok"] is False
    assert body["kind"] == "skills" and body["mapping"]["Full name"] == "name"
    assert body["unmapped"] == ["Which user group do you work with most?"]
    assert "Consent to publish" in body["refused"] and body["errors"][0]["message"] == body["refused"]
    assert "timestamps" not in body["refused"]
    assert done.stderr.startswith("error: responses.csv: no column found") and "Consent to publish" in done.stderr


def test_json_prints_row_errors_on_stdout_and_names_them_on_stderr(tmp_path):
    header = ["Timestamp", "Email Address", "Your name", "Institution", "Areas of expertise", CONSENT]
    done, body = _cli(tmp_path, header, [[when(15), "ana@example.edu", "Ana López", "Purdue University", ["Metadata"],
                                          "Yes"],
                                         [when(16), "not-an-address", "Ben Okafor", "Purdue University", ["Metadata"],
                                          "Yes"]], shape="form_csv")
    assert done.returncode == 2 and body["ok"] is False and body["errors"][0]["row"] == 3
    assert body["mapping"]["Your name"] == "name"
    assert "1 problem(s); nothing was imported" in done.stderr and "row 3, column 'Email Address'" in done.stderr


@pytest.mark.parametrize("shape", SHAPES)
def test_json_of_a_file_missing_its_header_row(tmp_path, shape):
    rows = [[r[0], r[1], f"{r[3]} {r[2]}", *r[4:]] for r in split_rows()]
    done, body = _cli(tmp_path, [str(c) if not isinstance(c, list) else ", ".join(c) for c in rows[0]], rows[1:],
                      "--kind", "skills", shape=shape)
    assert done.returncode == 2 and body["ok"] is False and "header row seems to be missing" in body["refused"]
    assert "header row seems to be missing" in done.stderr


def test_a_header_set_aside_leaves_its_field_to_the_next_header_that_asks_it(conn):
    header = ["Timestamp", "Email Address", "Full name", "Your Title", "Job title", "Institution",
              "Areas of expertise", CONSENT]
    rows = [[when(15), "ana@example.edu", "Ana López", "Dr.", "<script>alert(1)</script>", "Purdue University",
             ["Metadata"], "Yes"],
            [when(16), "ben@example.edu", "Ben Okafor", "Mr", "Archivist", "Purdue University", ["Metadata"], "Yes"]]
    data, name = export("form_csv", header, rows)
    found = imports.inspect(conn, data, name)
    assert found.mapping["Job title"] == "job_title" and "Your Title" in found.doubtful
    result = imports.import_bytes(conn, data, name)
    held = [(w.row, w.column, w.value) for w in result.warnings if "held for review" in w.message]
    assert held == [(2, "Job title", "<script>alert(1)</script>")]
    assert list(directory.held(conn, "2025-26")["email"]) == ["ana@example.edu"]


def test_json_of_an_unreadable_file_or_a_bad_program_year(tmp_path):
    from tests.test_cli import run

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\r\n")
    done = run("import", str(empty), "--json", env_db=tmp_path / "cli.duckdb")
    body = json.loads(done.stdout)
    assert done.returncode == 2 and body["ok"] is False and body["file_name"] == "empty.csv"
    assert "the file is empty" in body["refused"] and "Download responses" in body["refused"]
    assert "the file is empty" in done.stderr
    header = ["Timestamp", "Email Address", "Your name", "Institution", "Areas of expertise", CONSENT]
    done, body = _cli(tmp_path, header, [[when(15), "ana@example.edu", "Ana López", "Purdue University",
                                          ["Metadata"], "Yes"]], "--cycle", "2025")
    assert done.returncode == 2 and body["ok"] is False and body["refused"] and "error:" in done.stderr
