"""The demo's Skills Directory Survey: three falls of answers, with the quirks real exports have.

Changing question wording, aliases and stray spaces in the institution cell, repeat submissions, free-text
"Other" skills and a BOM are put in on purpose, so the importer and the pages meet them in the demo.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from .world import CONTACT_METHODS, CONTACT_PURPOSES, _Person, _World, _add_skill, _institution_cell, _work_hour

_REPEAT_SUBMISSION = 0.04

SKILLS_HEADERS = {
    "2023-24": (
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
    ),
    "2024-25": (
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
    ),
    "2025-26": (
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
    ),
}
_BOM_SKILLS = frozenset({"2024-25"})


def _skills_rows(rng: random.Random, world: _World, year: int, respondents: list[_Person]) -> list[list[str]]:
    """Return one fall's survey rows, repeat submissions included, sorted by timestamp."""
    window_end = datetime(year, 10, 24, 23, 59, 59)
    entries: list[tuple[datetime, int, list[str]]] = []
    for seq, person in enumerate(respondents):
        when = _survey_time(rng, year)
        entries.append((when, seq, _skills_row(rng, world, person, when, year)))
        if rng.random() < _REPEAT_SUBMISSION:
            if (window_end - when).total_seconds() < 7200:
                when -= timedelta(hours=2)
                entries[-1] = (when, seq, _skills_row(rng, world, person, when, year))
            room = min((window_end - when).total_seconds(), 4 * 86400)
            later = when + timedelta(seconds=rng.randint(600, int(room)))
            _resubmission_change(rng, world, person)
            entries.append((later, seq, _skills_row(rng, world, person, later, year)))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return [entry[2] for entry in entries]


def _resubmission_change(rng: random.Random, world: _World, person: _Person) -> None:
    """Make the small change that prompts someone to submit the form a second time."""
    roll = rng.random()
    if roll < 0.5 and _add_skill(rng, world, person):
        return
    if roll < 0.75:
        person.consent = not person.consent
    else:
        choices = [m for m in CONTACT_METHODS if m != person.contact]
        person.contact = rng.choice(choices)


def _skills_row(rng: random.Random, world: _World, person: _Person, when: datetime, year: int) -> list[str]:
    """Return one survey row in the column order shared by all three years' headers."""
    skills = [world.skills[i] for i in person.skills]
    if person.other:
        skills.append(person.other)
    department = person.department if rng.random() >= 0.05 else ""
    return [
        when,
        person.email,
        person.name,
        _institution_cell(rng, world.institutions[person.institution]),
        person.title,
        department,
        _years_cell(rng, year - person.start_year),
        tuple(skills),
        tuple(CONTACT_PURPOSES[i] for i in person.purposes),
        person.contact,
        "Yes" if person.consent else "No",
    ]


def _years_cell(rng: random.Random, years: int) -> str:
    """Return years in the profession the way people type them into a short-answer box."""
    if years <= 0:
        return "less than 1"
    if years >= 25 and rng.random() < 0.5:
        return "25+"
    return str(years)


def _survey_time(rng: random.Random, year: int) -> datetime:
    """Return a submission time between Sept 8 and Oct 24, bunched after the listserv email and reminder."""
    roll = rng.random()
    if roll < 0.55:
        day = int(rng.expovariate(1 / 3))
    elif roll < 0.85:
        day = 21 + int(rng.expovariate(1 / 2.5))
    else:
        day = rng.randint(0, 46)
    start = datetime(year, 9, 8)
    day = min(day, 46)
    weekday = (start + timedelta(days=day)).weekday()
    if weekday >= 5 and rng.random() < 0.6:
        day = min(day + 7 - weekday, 46)
    return start + timedelta(days=day, hours=_work_hour(rng), minutes=rng.randrange(60), seconds=rng.randrange(60))
