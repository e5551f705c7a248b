"""Checks on the synthetic Google Forms exports written by lib.demo (no network)."""

import csv
import re
from dataclasses import FrozenInstanceError
from datetime import datetime
from pathlib import Path

import pytest

from lib.demo import build, world

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"
CYCLES = ("2023-24", "2024-25", "2025-26")
KINDS = ("skills", "applications", "rosters", "attendance", "outcomes")
TIMESTAMP = re.compile(r"^([1-9]|1[0-2])/([1-9]|[12]\d|3[01])/20\d\d ([1-9]?\d):[0-5]\d:[0-5]\d$")

SKILLS_HEADERS = {
    "2023-24": [
        "Timestamp",
        "Email Address",
        "Name",
        "Institution",
        "Job title",
        "Department",
        "Years in the library profession",
        "Areas of expertise (check all that apply)",
        "I am open to colleagues contacting me for",
        "Preferred contact method",
        "May we publish your information in the ALI Skills Directory?",
    ],
    "2024-25": [
        "Timestamp",
        "Email Address",
        "Your name",
        "Institution / Library",
        "Position / job title",
        "Department or unit",
        "How many years have you worked in libraries?",
        "Areas of expertise",
        "Colleagues may contact me for (check all that apply)",
        "Best way to contact you",
        "I consent to my information being shared in the ALI Skills Directory",
    ],
    "2025-26": [
        "Timestamp",
        "Email address",
        "Full name",
        "Institution / Library",
        "Job title",
        "Department",
        "Years in the profession",
        "Skills and areas of expertise (check all that apply)",
        "Colleagues may contact me for",
        "Preferred contact method",
        "Do you agree to have your responses published in the ALI Skills Directory?",
    ],
}
APPLICATION_HEADER = [
    "Timestamp",
    "Email Address",
    "Name",
    "Institution",
    "Position / job title",
    "How long have you worked in libraries?",
    "What do you hope to gain from a Peer Mentorship Circle? (check all that apply)",
    "Tell us more about your goals",
    "Preferred meeting format",
    "When are you generally available? (check all that apply)",
    "I agree to the participant expectations (attend regularly and participate equitably, respect confidentiality,"
    " listen with curiosity and compassion, abide by the Code of Conduct)",
    "Questions or comments",
]
OUTCOME_HEADER = [
    "Timestamp",
    "Email Address",
    "Did the experience meet your career goals?",
    "Would you participate in this type of program again?",
    "Overall, how satisfied were you with your circle? (1 = not at all, 5 = very)",
    "Comments",
    "May we quote your comments anonymously in reports to ALI leadership?",
]
ATTENDANCE_HEADER = ["Circle", "Name", "Email", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May"]


def read(path):
    """Return the header and the rows of a generated CSV."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def skill_options():
    """Return the skills survey's options in taxonomy order."""
    with (REFERENCE_DIR / "skills.csv").open(newline="", encoding="utf-8") as handle:
        return [row["skill"] for row in csv.DictReader(handle)]


def split_checkboxes(cell, options):
    """Split a Google Forms checkbox cell against the known options; a trailing unknown value is 'Other'."""
    ordered = sorted(options, key=len, reverse=True)
    values, rest = [], cell
    while rest:
        for option in ordered:
            if rest == option or rest.startswith(option + ", "):
                values.append(option)
                rest = rest[len(option) + 2:]
                break
        else:
            values.append(rest)
            break
    return values


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """Files written once at the default size, every year as the linked Sheet's CSV, keyed by (kind, cycle).

    The default demo writes 2025-26 as the form's own download instead; tests/test_export_shapes.py checks
    that both shapes carry the same answers and import identically.
    """
    files = build.write_exports(tmp_path_factory.mktemp("demo"), shape="sheet")
    return {(f.kind, f.cycle): f.path for f in files}


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    first = build.write_exports(tmp_path / "a", seed=7)
    second = build.write_exports(tmp_path / "b", seed=7)
    other = build.write_exports(tmp_path / "c", seed=8)
    assert [f.path.name for f in first] == [f.path.name for f in second] == [f.path.name for f in other]
    for a, b in zip(first, second):
        assert a.path.read_bytes() == b.path.read_bytes(), a.path.name
    assert any(a.path.read_bytes() != c.path.read_bytes() for a, c in zip(first, other))
    assert first[0].path.read_bytes() != other[0].path.read_bytes()


def test_file_list_kinds_and_load_order(tmp_path):
    files = build.write_exports(tmp_path)
    assert [(f.kind, f.cycle) for f in files] == [(kind, cycle) for cycle in CYCLES for kind in KINDS]
    names = {
        "skills": "skills_survey_{}.csv",
        "applications": "pmc_applications_{}.csv",
        "rosters": "circles_{}.csv",
        "attendance": "attendance_{}.csv",
        "outcomes": "end_of_year_{}.csv",
    }
    for f in files:
        assert isinstance(f, build.DemoFile)
        assert f.path == tmp_path / names[f.kind].format(f.cycle)
        assert f.path.is_file()
    with pytest.raises(FrozenInstanceError):
        files[0].kind = "other"


@pytest.mark.parametrize("cycle", CYCLES)
def test_headers_per_year(exports, cycle):
    assert read(exports["skills", cycle])[0] == SKILLS_HEADERS[cycle]
    assert read(exports["applications", cycle])[0] == APPLICATION_HEADER
    assert read(exports["rosters", cycle])[0] == ["Circle", "Email"]
    assert read(exports["attendance", cycle])[0] == ATTENDANCE_HEADER
    expected = [h for h in OUTCOME_HEADER if not (cycle == "2024-25" and h == "Email Address")]
    assert read(exports["outcomes", cycle])[0] == expected


def test_only_the_2024_25_skills_file_has_a_bom_and_all_use_lf(exports):
    for (kind, cycle), path in exports.items():
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == (kind == "skills" and cycle == "2024-25"), path.name
        assert b"\r\n" not in data
        data.decode("utf-8")


def test_application_counts_and_eligibility(exports):
    _, apps23 = read(exports["applications", "2023-24"])
    assert len(apps23) == 5
    assert all(row[8] in ("Virtual", "Either") for row in apps23)
    assert all(row[5] != "More than 3 years" for row in apps23)
    assert all(row[0].startswith("9/") for row in apps23)

    _, apps24 = read(exports["applications", "2024-25"])
    assert len(apps24) == 14 == len({row[1] for row in apps24})
    assert sum(row[5] == "More than 3 years" for row in apps24) == 1
    assert [row[0].split()[0] for row in apps24 if not row[0].startswith("9/")] == ["10/4/2024"]

    _, apps25 = read(exports["applications", "2025-26"])
    assert len(apps25) == 21 and len({row[1] for row in apps25}) == 20
    assert sum(row[5] == "More than 3 years" for row in apps25) == 2
    assert [row[0].split()[0] for row in apps25 if not row[0].startswith("9/")] == ["10/6/2025"]
    twice = [row for row in apps25 if sum(r[1] == row[1] for r in apps25) == 2]
    assert len(twice) == 2 and twice[0][9] != twice[1][9]
    stages = {"Less than 1 year", "1-2 years", "2-3 years", "More than 3 years",
              "Library school student, graduating Spring 2026"}
    assert {row[5] for row in apps25} <= stages


def test_rosters_hold_on_time_eligible_applicants_in_circles_of_4_to_6(exports):
    expected_sizes = {"2023-24": [5], "2024-25": [6, 6], "2025-26": [6, 6, 5]}
    for cycle in CYCLES:
        _, apps = read(exports["applications", cycle])
        _, roster = read(exports["rosters", cycle])
        applied = {row[1] for row in apps}
        on_time_eligible = {row[1] for row in apps if row[0].startswith("9/") and row[5] != "More than 3 years"}
        emails = [row[1] for row in roster]
        assert set(emails) <= applied
        assert set(emails) == on_time_eligible
        assert len(emails) == len(set(emails))
        sizes = {}
        for circle, _ in roster:
            sizes[circle] = sizes.get(circle, 0) + 1
        assert all(4 <= size <= 6 for size in sizes.values())
        assert list(sizes.values()) == expected_sizes[cycle]


def test_attendance_matches_rosters(exports):
    for cycle in CYCLES:
        _, roster = read(exports["rosters", cycle])
        _, sheet = read(exports["attendance", cycle])
        assert [(row[0], row[2]) for row in sheet] == [tuple(row) for row in roster]
        values = [value for row in sheet for value in row[3:]]
        assert set(values) <= {"Present", "Absent", "Excused"}
        if cycle == "2023-24":
            assert sum(value != "Present" for value in values) <= 2
        else:
            assert any(row[-1] == "Absent" and row[-2] == "Absent" and row[-3] == "Absent" for row in sheet)


def test_end_of_year_outcomes(exports):
    _, roster23 = read(exports["rosters", "2023-24"])
    _, rows = read(exports["outcomes", "2023-24"])
    assert len(rows) == 5
    assert all(row[2] == "Yes" and row[3] == "Yes" and row[4] in ("4", "5") for row in rows)
    assert sorted(row[1] for row in rows) == sorted(row[1] for row in roster23)

    _, rows = read(exports["outcomes", "2024-25"])
    assert len(rows) == 10
    assert not any("@" in cell for row in rows for cell in row)
    assert sum(row[1] == "Partially" for row in rows) == 1 and sum(row[2] == "Maybe" for row in rows) == 1

    _, roster25 = read(exports["rosters", "2025-26"])
    _, rows = read(exports["outcomes", "2025-26"])
    assert len(rows) == 14
    assert {row[1] for row in rows} <= {row[1] for row in roster25}
    assert sum(row[3] == "No" for row in rows) == 1
    assert sum(row[2] == "Yes" for row in rows) >= 12


def test_skills_cells_hold_only_options_or_one_other_value(exports):
    options = skill_options()
    purposes = ["Support", "Discussion", "Feedback", "Collaboration"]
    others = 0
    for cycle in CYCLES:
        _, rows = read(exports["skills", cycle])
        for row in rows:
            values = split_checkboxes(row[7], options)
            assert 3 <= len([v for v in values if v in options]) <= 12
            assert all(v in options for v in values[:-1]), row[7]
            if values[-1] not in options:
                others += 1
                assert values[-1] in world.OTHER_SKILLS
            indices = [options.index(v) for v in values if v in options]
            assert indices == sorted(indices), "skills follow the form's option order"
            chosen = row[8].split(", ")
            assert chosen and chosen == [p for p in purposes if p in chosen]
            assert row[9] in ("Email", "Phone", "Video call", "Microsoft Teams", "Zoom")
            assert row[10] in ("Yes", "No")
            assert re.fullmatch(r"\d+|25\+|less than 1", row[6])
    assert others > 0
    assert not {o.lower() for o in world.OTHER_SKILLS} & {o.lower() for o in options}


def test_skills_participation_and_people(exports):
    counts, previous = {}, None
    names = {}
    for cycle in CYCLES:
        _, rows = read(exports["skills", cycle])
        emails = [row[1] for row in rows]
        unique = set(emails)
        counts[cycle] = len(unique)
        assert 0 < len(emails) - len(unique) <= 0.08 * len(unique), "a few repeat submissions"
        if previous is not None:
            assert 0.60 <= len(unique & previous) / len(unique) <= 0.75
        previous = unique
        for row in rows:
            names.setdefault(row[1], set()).add(row[2])
    assert counts == {"2023-24": 240, "2024-25": 270, "2025-26": 300}
    assert all(len(n) == 1 for n in names.values()), "one name per email"
    assert any(c in name for n in names.values() for name in n for c in "éëñ")


def test_timestamps_are_us_google_forms_style_and_sorted(exports):
    for (kind, cycle), path in exports.items():
        if kind in ("rosters", "attendance"):
            continue
        _, rows = read(path)
        stamps = [row[0] for row in rows]
        assert all(TIMESTAMP.match(s) for s in stamps), path.name
        parsed = [datetime.strptime(s, "%m/%d/%Y %H:%M:%S") for s in stamps]
        assert parsed == sorted(parsed), path.name
        if kind == "skills":
            year = int(cycle[:4])
            assert datetime(year, 9, 8) <= parsed[0] and parsed[-1] < datetime(year, 10, 25)


def test_applicants_in_the_skills_survey_are_the_same_person(exports):
    for cycle in CYCLES:
        _, survey = read(exports["skills", cycle])
        _, apps = read(exports["applications", cycle])
        by_email = {row[1]: row[2] for row in survey}
        shared = [row for row in apps if row[1] in by_email]
        assert 1 <= len({row[1] for row in shared}) <= 3
        assert all(by_email[row[1]] == row[2] for row in shared)


def test_people_scales_the_skills_files(tmp_path):
    files = build.write_exports(tmp_path, people=5000)
    for f in files:
        if f.kind == "skills":
            assert len(read(f.path)[1]) > 2000
    emails = [row[1] for f in files if f.kind == "skills" for row in read(f.path)[1]]
    names = {}
    for f in files:
        if f.kind == "skills":
            for row in read(f.path)[1]:
                names.setdefault(row[1], set()).add(row[2])
    assert len(set(emails)) > 4000
    assert all(len(n) == 1 for n in names.values())


def test_the_default_demo_writes_2025_26_as_the_forms_own_download(tmp_path):
    files = {(f.kind, f.cycle): f.path for f in build.write_exports(tmp_path)}
    for (kind, cycle), path in files.items():
        if kind in ("rosters", "attendance"):
            continue
        stamps = [row[0] for row in read(path)[1]]
        if build.SHAPES[cycle] == "form":
            assert all(re.fullmatch(r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}:\d{2} [AP]M E[DS]T", s) for s in stamps), path.name
            parsed = [datetime.strptime(s[:-4], "%Y/%m/%d %I:%M:%S %p") for s in stamps]
        else:
            parsed = [datetime.strptime(s, "%m/%d/%Y %H:%M:%S") for s in stamps]
        assert parsed == sorted(parsed), path.name
    assert set(build.SHAPES.values()) == set(build.EXPORT_SHAPES)
