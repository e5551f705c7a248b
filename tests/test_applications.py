"""Circle applicants in full: the one eligibility rule, overrides, counts that add up, and importing every column."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from lib import cycles, db
from lib.circles import applications
from lib.db import ConflictError
from lib.imports import batches as imports, forms
from lib.year import overview

ROOT = Path(__file__).resolve().parents[1]

HEADER = ["Timestamp", "Email Address", "Name", "Institution", "Position / job title",
          "How long have you worked in libraries?", "What do you hope to gain? (check all that apply)",
          "Tell us more about your goals", "Preferred meeting format", "When are you available? (check all that apply)",
          "I agree to the participant expectations", "Questions or comments"]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """Write a small CSV export in memory, as the linked Sheet would."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def app_row(ts="9/10/2025 9:00:00", email="ana@example.edu", name="Ana López", inst="Butler University",
            title="Librarian", stage="1-2 years", interests="Work-life balance, Teaching and instruction",
            goals="Meet peers who are new too", fmt="Virtual", avail="Monday morning, Friday afternoon",
            agree="I agree", comments="") -> list[str]:
    """One application with sensible defaults: eligible, on time, agreed."""
    return [ts, email, name, inst, title, stage, interests, goals, fmt, avail, agree, comments]


def load(conn, *rows: list[str]) -> None:
    """Import application rows and check the import went through."""
    result = imports.import_bytes(conn, csv_bytes(HEADER, list(rows)), "apps.csv")
    assert result.ok and result.kind == "applications", result.errors


def one(conn, cycle: str = "2025-26") -> dict:
    """The only applicant of a cycle, as a dict."""
    frame = applications.applicants(conn, cycle)
    assert len(frame) == 1
    return frame.iloc[0].to_dict()


# ---------------------------------------------------------------- the rule

@pytest.mark.parametrize("changes, reasons", [
    ({}, []),
    ({"stage": "Library school student, graduating Spring 2026"}, []),
    ({"stage": "Less than 1 year"}, []),
    ({"stage": "2-3 years"}, []),
    ({"stage": "More than 3 years"}, ["more than 3 years in the profession"]),
    ({"ts": "10/3/2025 9:00:00"}, ["submitted Oct 3, after the Oct 1 deadline"]),
    ({"agree": "No"}, ["did not agree to the participant expectations"]),
    ({"stage": "More than 3 years", "ts": "10/3/2025 9:00:00", "agree": "No"},
     ["more than 3 years in the profession", "submitted Oct 3, after the Oct 1 deadline",
      "did not agree to the participant expectations"]),
    ({"stage": "Library school student", "ts": "10/2/2025 9:00:00"}, ["submitted Oct 2, after the Oct 1 deadline"]),
])
def test_each_rule_and_their_combination(conn, changes, reasons):
    load(conn, app_row(**changes))
    applicant = one(conn)
    assert applicant["reasons"] == reasons
    assert applicant["rule_eligible"] is applicant["eligible"] is (not reasons)
    assert applicant["late"] is ("ts" in changes)
    assert applicant["agreement"] is ("agree" not in changes)
    assert applicant["override"] is None and applicant["override_reason"] is None


def test_the_deadline_day_counts_whole(conn):
    load(conn, app_row(ts="10/1/2025 23:59:59"), app_row(email="ben@example.edu", name="Ben", ts="10/2/2025 0:00:01"))
    verdicts = dict(zip(*[applications.applicants(conn, "2025-26")[c] for c in ("email", "eligible")]))
    assert verdicts == {"ana@example.edu": True, "ben@example.edu": False}


def test_a_deadline_edited_for_one_cycle_changes_only_that_cycle(conn):
    load(conn, app_row(ts="10/3/2025 9:00:00"), app_row(ts="10/3/2024 9:00:00", email="old@example.edu", name="Olga"))
    assert not one(conn, "2025-26")["eligible"] and not one(conn, "2024-25")["eligible"]
    before = cycles.set_deadline(conn, "2025-26", date(2025, 10, 3), actor="chair")
    assert before == date(2025, 10, 1) and cycles.application_deadline(conn, "2025-26") == date(2025, 10, 3)
    assert one(conn, "2025-26")["eligible"] and one(conn, "2025-26")["reasons"] == []
    assert one(conn, "2024-25")["reasons"] == ["submitted Oct 3, after the Oct 1 deadline"]
    cycles.set_deadline(conn, "2025-26", date(2025, 10, 2), actor="chair")
    assert one(conn, "2025-26")["reasons"] == ["submitted Oct 3, after the Oct 2 deadline"]
    audit = conn.execute("SELECT actor, entity_id, detail FROM audit_log WHERE action = 'cycle.deadline'"
                         " ORDER BY id").fetchall()
    assert [(a, e) for a, e, _ in audit] == [("chair", "2025-26")] * 2
    assert json.loads(audit[0][2]) == {"before": "2025-10-01", "after": "2025-10-03"}


def test_a_deadline_outside_its_program_year_or_of_an_unknown_year_is_refused(conn):
    load(conn, app_row())
    with pytest.raises(ValueError, match="within the program year"):
        cycles.set_deadline(conn, "2025-26", date(2026, 10, 1), actor="chair")
    with pytest.raises(ValueError, match="No program year 2031-32"):
        cycles.set_deadline(conn, "2031-32", date(2031, 10, 1), actor="chair")
    with pytest.raises(ValueError, match="not a program year"):
        cycles.set_deadline(conn, "2025", date(2025, 10, 1), actor="chair")
    assert cycles.application_deadline(conn, "2025-26") == date(2025, 10, 1)


def test_repeat_submissions_the_latest_wins(conn):
    load(conn, app_row(agree="No", interests="Research and publishing"),
         app_row(ts="9/20/2025 9:00:00", interests="Leadership development", avail="Tuesday evening"))
    applicant = one(conn)
    assert applicant["interests"] == ["Leadership development"] and applicant["availability"] == ["tue-eve"]
    assert applicant["eligible"] and applicant["submitted_at"] == datetime(2025, 9, 20, 9)
    assert conn.execute("SELECT count(*) FROM applications").fetchall()[0][0] == 2


def test_correcting_an_application_after_the_deadline_is_not_late(conn):
    load(conn, app_row(ts="9/30/2025 9:00:00"), app_row(ts="10/4/2025 9:00:00", fmt="Either"))
    applicant = one(conn)
    assert applicant["format"] == "either" and not applicant["late"] and applicant["eligible"]
    assert applicant["first_submitted_at"] == datetime(2025, 9, 30, 9)


def test_applicants_are_sorted_accent_blind_with_their_institution_and_place(conn):
    load(conn, app_row(email="eve@example.edu", name="Eve Adams"),
         app_row(email="emile@example.edu", name="Émile Zola", inst="Purdue University"),
         app_row(email="zed@example.edu", name="zed Young", inst="Acme College"))
    frame = applications.applicants(conn, "2025-26")
    assert list(frame["name"]) == ["Émile Zola", "Eve Adams", "zed Young"]
    required = ["application_id", "person_id", "name", "email", "institution_id", "institution", "institution_type",
                "region", "county", "city", "latitude", "longitude", "job_title", "career_stage",
                "months_in_profession", "is_student", "submitted_at", "late", "agreement", "interests", "goals",
                "format", "availability", "comments", "status", "rule_eligible", "eligible", "reasons", "override",
                "override_reason", "override_by", "override_at"]
    assert set(required) <= set(frame.columns)
    eve = frame.set_index("email").loc["eve@example.edu"]
    assert eve["institution"] == "Butler University" and eve["county"] == "Marion" and eve["city"] == "Indianapolis"
    assert eve["institution_type"] and eve["region"] and 39 < eve["latitude"] < 40 and -87 < eve["longitude"] < -85
    assert eve["months_in_profession"] == 18 and eve["interests"] == ["Work-life balance", "Teaching and instruction"]
    unknown = frame.set_index("email").loc["zed@example.edu"]
    assert unknown["institution"] == "Acme College" and pd.isna(unknown["region"])


def test_an_unknown_cycle_is_refused_and_an_empty_one_has_no_rows(conn):
    with pytest.raises(ValueError, match="No program year 2031-32"):
        applications.applicants(conn, "2031-32")
    cycles.ensure(conn, "2030-31")
    assert applications.applicants(conn, "2030-31").empty
    assert applications.counts(conn, "2030-31")["applicants"] == 0


def test_months_in_profession_limit_is_a_setting(conn, monkeypatch):
    load(conn, app_row(stage="More than 3 years"))
    assert not one(conn)["eligible"]
    monkeypatch.setattr(applications, "get_settings", lambda: type("S", (), {"eligible_months": 60})())
    assert one(conn)["eligible"]


# ---------------------------------------------------------------- overrides

def test_an_override_with_a_reason_is_recorded_audited_and_cleared(conn):
    load(conn, app_row(ts="10/3/2025 9:00:00"))
    person = one(conn)["person_id"]
    assert applications.override(conn, "2025-26", person, True, "The form was down on Oct 1", "chair") == 1
    applicant = one(conn)
    assert applicant["eligible"] and not applicant["rule_eligible"]
    assert applicant["reasons"] == ["submitted Oct 3, after the Oct 1 deadline"]  # the rule still explains itself
    assert applicant["override"] is True and applicant["override_reason"] == "The form was down on Oct 1"
    assert applicant["override_by"] == "chair" and applicant["override_at"] is not None
    assert applicant["override_version"] == 1
    assert applications.override(conn, "2025-26", person, None, "Deadline moved instead", "member",
                                 expected_version=1) == 2
    applicant = one(conn)
    assert not applicant["eligible"] and applicant["override"] is None and applicant["override_reason"] is None
    assert applicant["override_version"] == 2
    actions = conn.execute("SELECT action, actor, entity_id FROM audit_log WHERE action LIKE 'applications.%'"
                           " ORDER BY id").fetchall()
    assert actions == [("applications.override", "chair", f"2025-26/{person}"),
                       ("applications.override_cleared", "member", f"2025-26/{person}")]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_override_without_a_reason_is_refused(conn, reason):
    load(conn, app_row())
    with pytest.raises(ValueError, match="reason"):
        applications.override(conn, "2025-26", one(conn)["person_id"], False, reason, "chair")
    assert conn.execute("SELECT count(*) FROM eligibility_overrides").fetchall()[0][0] == 0


def test_a_stale_override_is_refused(conn):
    load(conn, app_row())
    person = one(conn)["person_id"]
    seen = one(conn)["override_version"]
    assert seen == 0
    applications.override(conn, "2025-26", person, False, "Already in a circle elsewhere", "chair", expected_version=seen)
    with pytest.raises(ConflictError):
        applications.override(conn, "2025-26", person, True, "Looks fine to me", "member", expected_version=seen)
    applicant = one(conn)
    assert applicant["override"] is False and applicant["override_by"] == "chair" and not applicant["eligible"]


def test_an_override_needs_an_applicant_and_something_to_clear(conn):
    load(conn, app_row())
    person = one(conn)["person_id"]
    with pytest.raises(ValueError, match="did not apply"):
        applications.override(conn, "2025-26", person + 1000, True, "why not", "chair")
    with pytest.raises(ValueError, match="no override to clear"):
        applications.override(conn, "2025-26", person, None, "tidy up", "chair")
    with pytest.raises(ValueError, match="No program year"):
        applications.override(conn, "2031-32", person, True, "why not", "chair")
    assert applications.person_by_email(conn, "2025-26", " ANA@example.edu ") == person
    with pytest.raises(ValueError, match="No application from"):
        applications.person_by_email(conn, "2025-26", "nobody@example.edu")


# ---------------------------------------------------------------- counts

def _adds_up(figures: dict) -> None:
    """Check the parts of counts() sum to their totals."""
    assert figures["eligible"] + figures["not_eligible"] == figures["applicants"]
    assert sum(figures["not_eligible_by"].values()) == figures["not_eligible"]
    assert figures["made_eligible"] + figures["made_not_eligible"] <= figures["overrides"]


def test_counts_add_up_on_the_demo(demo_conn):
    for cycle in cycles.all_cycles(demo_conn):
        figures = applications.counts(demo_conn, cycle)
        _adds_up(figures)
        assert figures["applicants"] == len(applications.applicants(demo_conn, cycle))
        headline = overview.headline(demo_conn, cycle)
        assert headline["applicants"] == figures["applicants"] and headline["eligible"] == figures["eligible"]
    figures = applications.counts(demo_conn, "2025-26")
    assert (figures["applicants"], figures["eligible"]) == (20, 17)
    assert figures["not_eligible_by"] == {"experience": 2, "late": 1, "agreement": 0, "several": 0, "committee": 0}
    assert applications.summary(figures) == ("17 eligible + 2 with more than 3 years in the profession + 1 late "
                                             "(after the Oct 1 deadline) = 20 applicants.")

    frame = applications.applicants(demo_conn, "2025-26")
    late = int(frame[frame["late"]]["person_id"].iloc[0])
    fine = int(frame[frame["eligible"]]["person_id"].iloc[0])
    applications.override(demo_conn, "2025-26", late, True, "The form was down", "chair")
    applications.override(demo_conn, "2025-26", fine, False, "Withdrew by email", "chair")
    figures = applications.counts(demo_conn, "2025-26")
    _adds_up(figures)
    assert (figures["eligible"], figures["overrides"], figures["made_eligible"], figures["made_not_eligible"]) == (
        17, 2, 1, 1)
    assert figures["not_eligible_by"] == {"experience": 2, "late": 0, "agreement": 0, "several": 0, "committee": 1}
    assert "The committee decided 2 by hand" in applications.summary(figures)


def test_several_reasons_count_once(conn):
    load(conn, app_row(stage="More than 3 years", ts="10/5/2025 9:00:00"),
         app_row(email="ben@example.edu", name="Ben", agree="No"), app_row(email="cy@example.edu", name="Cy"))
    figures = applications.counts(conn, "2025-26")
    _adds_up(figures)
    assert figures["not_eligible_by"] == {"experience": 0, "late": 0, "agreement": 1, "several": 1, "committee": 0}
    assert figures["late"] == 1
    assert applications.summary(figures).endswith("= 3 applicants.")


# ---------------------------------------------------------------- no column dropped silently

def test_columns_not_imported_are_listed_in_file_order(conn):
    header = HEADER[:6] + ["Favourite colour"] + HEADER[6:] + ["Internal note"]
    row = app_row()
    data = csv_bytes(header, [row[:6] + ["blue"] + row[6:] + ["x"]])
    found = imports.inspect(conn, data, "apps.csv")
    assert found.unmapped == ["Favourite colour", "Internal note"]
    preview = imports.import_bytes(conn, data, "apps.csv", dry_run=True)
    assert preview.unmapped == ["Favourite colour", "Internal note"] and preview.to_dict()["unmapped"] == preview.unmapped
    ignored = imports.import_bytes(conn, data, "apps.csv", mapping={"Questions or comments": ""})
    assert ignored.unmapped == ["Favourite colour", "Questions or comments", "Internal note"]


def test_a_refusal_for_a_missing_field_names_the_columns_not_imported(conn):
    header = ["Timestamp", "Email Address", "Name", "Institution", "Where do you work?", "I agree to the expectations"]
    data = csv_bytes(header, [["9/10/2025 9:00:00", "a@x.edu", "Ana", "Butler University", "Ball State", "Yes"]])
    with pytest.raises(imports.ImportRefused, match="Columns not imported: 'Where do you work\\?'"):
        imports.import_bytes(conn, data, "apps.csv", kind="applications")


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run `python -m lib` on the test's database."""
    return subprocess.run([sys.executable, "-m", "lib", *args], check=False, capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ), timeout=300)


def test_the_command_line_lists_unmapped_and_guessed_columns(conn, tmp_path):
    conn.close()  # the command line opens the database itself
    header = HEADER[:6] + ["Pick what you would like from the program", "Favourite colour"] + HEADER[7:10] + [
        "Please confirm"]
    rows = [[f"9/{10 + n}/2025 9:00:00", f"p{n}@example.edu", f"P{n}", "Butler University", "Librarian",
             "1-2 years", topics, colour, "Goals", "Virtual", "Monday morning", "Yes"]
            for n, (topics, colour) in enumerate([("Work-life balance, Teaching and instruction", "blue"),
                                                   ("Teaching and instruction, Research and publishing", "red"),
                                                   ("Research and publishing, Work-life balance", "green")])]
    path = tmp_path / "apps.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = _run_cli("import", str(path), "--json", "--dry-run")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["kind"] == "applications" and printed["unmapped"] == ["Favourite colour"]
    assert printed["guessed"] == {"Pick what you would like from the program": "interests", "Please confirm": "agreement"}
    text = _run_cli("import", str(path), "--dry-run")
    assert "not imported (no field chosen): 'Favourite colour'" in text.stdout
    assert "guessed from its answers: 'Please confirm' -> agreement" in text.stdout


def test_the_command_line_lists_applicants_overrides_and_sets_the_deadline(demo_conn):
    demo_conn.close()
    listed = _run_cli("applications", "list", "--cycle", "2025-26", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 20 and sum(r["eligible"] for r in rows) == 17
    assert {"person_id", "name", "email", "institution", "eligible", "rule_eligible", "reasons", "override_reason",
            "submitted_at", "interests", "availability", "format", "career_stage"} <= set(rows[0])
    late = next(r for r in rows if any("deadline" in reason for reason in r["reasons"]))
    assert datetime.fromisoformat(late["submitted_at"]).month == 10
    unknown = _run_cli("applications", "list", "--cycle", "2031-32")
    assert unknown.returncode == 2 and "No program year 2031-32" in unknown.stderr

    refused = _run_cli("applications", "override", "--cycle", "2025-26", late["email"], "--eligible", "yes",
                       "--reason", " ")
    assert refused.returncode == 2 and "reason" in refused.stderr
    done = _run_cli("applications", "override", "--cycle", "2025-26", late["email"], "--eligible", "yes",
                    "--reason", "The form was down")
    assert done.returncode == 0, done.stderr
    after = {r["email"]: r for r in json.loads(_run_cli("applications", "list", "--cycle", "2025-26", "--json").stdout)}
    assert after[late["email"]]["eligible"] and not after[late["email"]]["rule_eligible"]
    assert after[late["email"]]["override_reason"] == "The form was down"
    text = _run_cli("applications", "list", "--cycle", "2025-26").stdout
    assert "18 eligible + 2 with more than 3 years in the profession = 20 applicants." in text

    moved = _run_cli("cycles", "deadline", "2025-26", "2025-10-31")
    assert moved.returncode == 0 and "Oct 31, 2025 (was Oct 1, 2025)" in moved.stdout
    bad = _run_cli("cycles", "deadline", "2025-26", "someday")
    assert bad.returncode == 2 and "not a date" in bad.stderr
    conn = db.connect()
    try:
        assert applications.applicants(conn, "2025-26").set_index("email").loc[late["email"], "rule_eligible"]
    finally:
        conn.close()


# ---------------------------------------------------------------- columns proposed from their answers

TOPICS = ["Work-life balance, Teaching and instruction", "Teaching and instruction, Research and publishing",
          "Research and publishing, Work-life balance, Leadership development"]


def _apps(header_topics: str, topics: list[str], agreement_header: str = "I agree to the participant expectations",
          agree: tuple[str, ...] = ("I agree", "I agree", "I agree"), extra: dict[str, list[str]] | None = None) -> bytes:
    """An applications export with the topics and agreement questions worded as given."""
    extra = extra or {}
    header = ["Timestamp", "Email Address", "Name", "Institution", "How long have you worked in libraries?",
              header_topics, agreement_header, *extra]
    rows = [[f"9/{10 + n}/2025 9:00:00", f"p{n}@example.edu", f"P{n}", "Butler University", "1-2 years",
             topics[n], agree[n], *(values[n] for values in extra.values())] for n in range(3)]
    return csv_bytes(header, rows)


def test_a_checkbox_column_no_header_claims_is_proposed_as_the_topics(conn):
    data = _apps("Pick what you would like from the program", TOPICS)
    found = imports.inspect(conn, data, "apps.csv")
    assert found.kind == "applications" and found.guessed == {"Pick what you would like from the program": "interests"}
    assert found.mapping["Pick what you would like from the program"] == "interests" and found.unmapped == []
    result = imports.import_bytes(conn, data, "apps.csv")
    assert result.ok and result.guessed == found.guessed
    assert applications.applicants(conn, "2025-26")["interests"].tolist()[0] == ["Work-life balance",
                                                                               "Teaching and instruction"]


def test_a_yes_no_column_is_proposed_as_the_agreement(conn):
    data = _apps("What topics would you like to discuss?", TOPICS, agreement_header="Please confirm",
                 agree=("Yes", "yes", "No"))
    found = imports.inspect(conn, data, "apps.csv")
    assert found.guessed == {"Please confirm": "agreement"}
    result = imports.import_bytes(conn, data, "apps.csv")
    assert result.ok
    assert applications.applicants(conn, "2025-26")["agreement"].tolist() == [True, True, False]


def test_two_yes_no_columns_are_not_guessed_and_a_claimed_field_is_never_taken(conn):
    two = _apps("What topics would you like to discuss?", TOPICS, agreement_header="Please confirm",
                agree=("Yes", "Yes", "No"), extra={"Have you been in a circle before?": ["No", "Yes", "No"]})
    found = imports.inspect(conn, two, "apps.csv", kind="applications")
    assert found.guessed == {} and found.unmapped == ["Please confirm", "Have you been in a circle before?"]
    claimed = _apps("What topics would you like to discuss?", TOPICS, extra={"Pick a few": TOPICS})
    found = imports.inspect(conn, claimed, "apps.csv")
    assert found.guessed == {} and found.unmapped == ["Pick a few"]


def test_free_text_and_single_answers_are_not_taken_for_checkboxes(conn):
    stories = ["I would like to find people who started at the same time as me and compare notes.",
               "Mostly I want to talk about teaching one-shot sessions and how to plan them well.",
               "Building confidence in meetings, and learning how others handle committee work."]
    data = _apps("What topics would you like to discuss?", TOPICS,
                 extra={"Anything on your mind": stories, "Favourite colour": ["blue", "red", "green"]})
    found = imports.inspect(conn, data, "apps.csv")
    assert found.guessed == {} and found.unmapped == ["Anything on your mind", "Favourite colour"]


def test_checkbox_answers_under_a_goals_header_are_the_topics(conn):
    data = _apps("What are your goals for joining?", TOPICS)
    found = imports.inspect(conn, data, "apps.csv")
    assert found.mapping["What are your goals for joining?"] == "interests"
    assert found.guessed == {"What are your goals for joining?": "interests"}


def test_skills_survey_columns_proposed_from_their_answers(conn):
    header = ["When", "Email Address", "Name", "Institution", "What could you help colleagues with", "OK to share?"]
    rows = [["9/15/2025 10:00:00", "a@x.edu", "Ana", "Purdue University", "Cataloging, Metadata", "Yes"],
            ["9/16/2025 10:00:00", "b@x.edu", "Ben", "Ball State University", "Archives, Metadata, GIS", "No"],
            ["9/17/2025 10:00:00", "c@x.edu", "Cy", "Butler University", "GIS, Cataloging", "Yes"]]
    found = imports.inspect(conn, csv_bytes(header, rows), "skills.csv")
    assert found.kind == "skills"
    assert found.guessed == {"When": "timestamp", "What could you help colleagues with": "expertise",
                             "OK to share?": "consent"}
    result = imports.import_bytes(conn, csv_bytes(header, rows), "skills.csv")
    assert result.ok and result.new == 3


def test_a_remembered_mapping_is_not_second_guessed(conn):
    data = _apps("What topics would you like to discuss?", TOPICS, extra={"Pick a few": TOPICS})
    imports.import_bytes(conn, data, "apps.csv", mapping={"What topics would you like to discuss?": "",
                                                          "Pick a few": ""})
    found = imports.inspect(conn, data, "apps.csv")
    assert found.mapping_source == "remembered" and found.guessed == {}
    assert found.unmapped == ["What topics would you like to discuss?", "Pick a few"]


# ---------------------------------------------------------------- the topics question in its many wordings

@pytest.mark.parametrize("header", [
    "What topics would you like to discuss?",
    "Topics you want to discuss in your circle (check all that apply)",
    "Which areas would you like to grow in?",
    "Areas you'd like to develop",
    "What do you hope to gain from a Peer Mentorship Circle? (check all that apply)",
    "What are your goals? (select all that apply)",
    "Areas of interest",
    "What would you like to talk about?",
    "What would you like your circle to focus on?",
    "Professional interests",
    "Subjects you would like to explore",
])
def test_the_topics_question_in_its_many_wordings(conn, header):
    assert forms.propose_mapping("applications", [header])[header] == "interests"
    result = imports.import_bytes(conn, _apps(header, TOPICS), "apps.csv")
    assert result.ok and result.mapping[header] == "interests" and result.unmapped == []
    assert "Leadership development" in applications.applicants(conn, "2025-26")["interests"].tolist()[2]


@pytest.mark.parametrize("header, field", [
    ("Tell us more about your goals", "goals"),
    ("What are your goals for participating?", "goals"),
    ("Why are you interested in joining a circle?", "goals"),
    ("In your own words, what do you hope to achieve?", "goals"),
    ("Is there anything else you would like to discuss?", "comments"),
    ("What stage of your career are you in?", "career_stage"),
])
def test_free_text_questions_are_not_the_topics(header, field):
    assert forms.propose_mapping("applications", [header]).get(header) == field


def test_free_text_under_a_topics_header_goes_to_goals(conn):
    stories = ["I would like to find people who started at the same time as me and compare notes.",
               "Mostly I want to talk about teaching one-shot sessions and how to plan them well.",
               "Building confidence in meetings, and learning how others handle committee work."]
    data = _apps("What topics would you like to discuss?", stories)
    found = imports.inspect(conn, data, "apps.csv")
    assert found.guessed == {"What topics would you like to discuss?": "goals"}
    imports.import_bytes(conn, data, "apps.csv")
    frame = applications.applicants(conn, "2025-26")
    assert frame["goals"].tolist()[0] == stories[0] and frame["interests"].tolist()[0] == []
