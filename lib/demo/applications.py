"""The demo's Peer Mentorship Circle applications: eligible, ineligible, late and twice-submitted applicants."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from .world import (FIRST_NAMES, LAST_NAMES, _Person, _STUDENT_TITLES, _TITLES, _World, _institution_cell, _pick_title,
                    _work_hour)

APPLICATION_HEADERS = (
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
    "I agree to the participant expectations (attend regularly and participate equitably, respect"
    " confidentiality, listen with curiosity and compassion, abide by the Code of Conduct)",
    "Questions or comments",
)

CAREER_STAGES = ("Less than 1 year", "1-2 years", "2-3 years", "More than 3 years")
GOAL_OPTIONS = (
    "Building a professional network",
    "Navigating tenure and promotion",
    "Teaching and instruction",
    "Research and publishing",
    "Leadership development",
    "Job search and career planning",
    "Work-life balance",
    "Confidence, belonging and imposter syndrome",
)
_GOAL_WEIGHTS = (9, 5, 6, 5, 5, 4, 5, 7)
OTHER_GOALS = (
    "Getting involved in ALI committees",
    "Moving from a paraprofessional role to a librarian role",
    "Managing a heavy teaching load",
    "Learning how other libraries handle assessment",
    "Finding my footing as a solo librarian",
    "Preparing a first conference proposal",
    "Understanding budgets and vendor negotiations",
)
MEETING_FORMATS = ("Virtual", "In person", "Either")
AVAILABILITY_OPTIONS = tuple(
    f"{day} {part}"
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
    for part in ("morning", "afternoon")
) + ("Weekday evenings",)
_AVAILABILITY_WEIGHTS = (3, 5, 6, 7, 6, 7, 6, 7, 4, 3, 3)

_GOAL_STORIES = (
    "I started my first librarian job this year and would love to meet people in similar roles across the state.",
    "I am the only instruction librarian at my library, so I would like peers to bounce teaching ideas off.",
    "I am working toward promotion and want to hear how others balance scholarship with a full desk schedule.",
    "I moved into a supervisory role quickly and want to learn from others who are new to managing student workers.",
    "I would like to build confidence presenting and maybe co-write something with colleagues.",
    "I am finishing my MLS and want to understand what the first years on the job really look like.",
    "I am looking for a supportive group to talk through imposter syndrome and career decisions.",
    "I want to learn how other academic libraries approach outreach to first-generation students.",
    "My library is small and I wear many hats; I hope to find people who understand that.",
    "I came to libraries from K-12 teaching and would appreciate a network in higher education.",
    "I want to get better at saying no and protecting time for projects that matter to me.",
    "I hope to learn about technical services work beyond my own library's workflows.",
    "I am interested in research and publishing but do not know where to start.",
    "Networking, mostly! I do not know many librarians outside my own campus yet.",
)
_APPLICATION_COMMENTS = (
    "Thank you for organizing this!",
    "I may miss the December meeting because of finals week.",
    "Is there a time commitment beyond the monthly meetings?",
    "Happy to meet in person if others are near Indianapolis.",
    "I am excited to participate.",
    "Could circles be grouped by time zone? I am in Evansville (Central time).",
    "A colleague recommended this program.",
    "Will there be a recording of the orientation?",
)
_LATE_DAY = {2024: 4, 2025: 6}


@dataclass
class _Applicant:
    person: _Person
    stage: str
    eligible: bool
    late: bool
    goals: tuple[int, ...]
    goal_other: str
    story: str
    meeting_format: str
    availability: tuple[int, ...]
    comments: str
    when: datetime


def _applicants(
    rng: random.Random,
    world: _World,
    year: int,
    cfg: dict[str, int],
    persons: list[_Person],
    early: list[int],
    applied: set[int],
) -> list[_Applicant]:
    """Return one year's applicants (one per person), eligible on-time ones first."""
    last_day = 28 if year == 2023 else 30
    formats = ("Virtual", "Either") if year == 2023 else MEETING_FORMATS
    from_survey = rng.sample(early, min(cfg["from_survey"], cfg["eligible"], len(early)))
    applied.update(from_survey)
    result = []
    for index in from_survey:
        person = persons[index]
        result.append(_applicant(rng, person, _stage_for(year - person.start_year), True, False, formats,
                                 _application_time(rng, year, last_day)))
    for _ in range(cfg["eligible"] - len(from_survey)):
        person, stage = _new_applicant(rng, world, year, eligible=True)
        result.append(_applicant(rng, person, stage, True, False, formats, _application_time(rng, year, last_day)))
    for _ in range(cfg["ineligible"]):
        person, stage = _new_applicant(rng, world, year, eligible=False)
        result.append(_applicant(rng, person, stage, False, False, formats, _application_time(rng, year, last_day)))
    for number in range(cfg["late"]):
        person, stage = _new_applicant(rng, world, year, eligible=True)
        late_day = _LATE_DAY.get(year, 3) + number // 40
        when = datetime(year, 10, late_day, rng.randint(8, 21), rng.randrange(60), rng.randrange(60))
        result.append(_applicant(rng, person, stage, True, True, formats, when))
    return result


def _new_applicant(rng: random.Random, world: _World, year: int, eligible: bool) -> tuple[_Person, str]:
    """Draw an early-career applicant who is not in the skills pool, with their career-stage answer."""
    if not eligible:
        years, stage = rng.randint(4, 8), CAREER_STAGES[3]
    else:
        stage = rng.choices(
            CAREER_STAGES[:3] + (f"Library school student, graduating Spring {year + 1}",), weights=(25, 30, 25, 20)
        )[0]
        years = {"Less than 1 year": 0, "1-2 years": 1, "2-3 years": rng.randint(2, 3)}.get(stage, 0)
    student = stage.startswith("Library school student")
    if student and world.library_schools and rng.random() < 0.7:
        institution = rng.choice(world.library_schools)
    else:
        institution = rng.choices(range(len(world.institutions)), cum_weights=world.inst_cw)[0]
    title = _pick_title(rng, world, years)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    person = _Person(
        first=first,
        last=last,
        email=world.email(first, last, institution),
        institution=institution,
        title=rng.choice(_STUDENT_TITLES) if student else _TITLES[title][0],
        department=rng.choice(_TITLES[title][4]),
        start_year=year - years,
        skills=[],
        other="",
        purposes=(),
        contact="Email",
        consent=False,
    )
    return person, stage


def _stage_for(years: int) -> str:
    """Return the career-stage option of someone with this many years in libraries."""
    if years < 1:
        return "Less than 1 year"
    if years < 2:
        return "1-2 years"
    return "2-3 years"


def _applicant(
    rng: random.Random,
    person: _Person,
    stage: str,
    eligible: bool,
    late: bool,
    formats: tuple[str, ...],
    when: datetime,
) -> _Applicant:
    """Fill in one application form."""
    count = rng.randint(2, 4)
    goals: dict[int, None] = {}
    while len(goals) < count:
        goals[rng.choices(range(len(GOAL_OPTIONS)), weights=_GOAL_WEIGHTS)[0]] = None
    weights = {"Virtual": 55, "Either": 35, "In person": 10}
    return _Applicant(
        person=person,
        stage=stage,
        eligible=eligible,
        late=late,
        goals=tuple(sorted(goals)),
        goal_other=rng.choice(OTHER_GOALS) if rng.random() < 0.15 else "",
        story=rng.choice(_GOAL_STORIES),
        meeting_format=rng.choices(formats, weights=[weights[f] for f in formats])[0],
        availability=_pick_availability(rng),
        comments=rng.choice(_APPLICATION_COMMENTS) if rng.random() < 0.3 else "",
        when=when,
    )


def _pick_availability(rng: random.Random) -> tuple[int, ...]:
    """Return 3-7 availability options in form order."""
    count = rng.randint(3, 7)
    slots: dict[int, None] = {}
    while len(slots) < count:
        slots[rng.choices(range(len(AVAILABILITY_OPTIONS)), weights=_AVAILABILITY_WEIGHTS)[0]] = None
    return tuple(sorted(slots))


def _application_time(rng: random.Random, year: int, last_day: int) -> datetime:
    """Return an on-time submission in September, with a rush in the last days."""
    day = rng.randint(max(2, last_day - 4), last_day) if rng.random() < 0.3 else rng.randint(2, last_day)
    return datetime(year, 9, day, _work_hour(rng), rng.randrange(60), rng.randrange(60))


def _application_row(rng: random.Random, world: _World, a: _Applicant) -> list[str]:
    """Return one application row."""
    goals = [GOAL_OPTIONS[i] for i in a.goals] + ([a.goal_other] if a.goal_other else [])
    return [
        a.when,
        a.person.email,
        a.person.name,
        _institution_cell(rng, world.institutions[a.person.institution]),
        a.person.title,
        a.stage,
        tuple(goals),
        a.story,
        a.meeting_format,
        tuple(AVAILABILITY_OPTIONS[i] for i in a.availability),
        "I agree",
        a.comments,
    ]
