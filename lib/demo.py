"""Deterministic generator of realistic SYNTHETIC Google Forms exports for demos, tests and benchmarks.

Three program years (2023-24, 2024-25, 2025-26) of the Skills Directory Survey, Peer Mentorship Circle
applications, the committee's circle rosters, attendance sheets and end-of-year surveys. Every name and
email is invented. The quirks real exports have (changing question wording, aliases and stray spaces in
the institution cell, repeat submissions, free-text "Other" answers, a BOM, an anonymous survey, a late
application) are put in on purpose so the importer and the UI meet them in the demo.
"""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"

CYCLES = ("2023-24", "2024-25", "2025-26")
DEFAULT_PEOPLE = 420
# Respondents per fall at the default pool size (about 57%, 64% and 71% of the pool).
_RESPONDENTS = {2023: 240, 2024: 270, 2025: 300}
# Share of a year's respondents who also answered the previous fall.
_RETURNING = (0.64, 0.72)
_REPEAT_SUBMISSION = 0.04
_OTHER_SKILL = 0.08

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

ROSTER_HEADERS = ("Circle", "Email")
MONTHS = ("Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May")
ATTENDANCE_HEADERS = ("Circle", "Name", "Email") + MONTHS

OUTCOME_HEADERS = (
    "Timestamp",
    "Email Address",
    "Did the experience meet your career goals?",
    "Would you participate in this type of program again?",
    "Overall, how satisfied were you with your circle? (1 = not at all, 5 = very)",
    "Comments",
    "May we quote your comments anonymously in reports to ALI leadership?",
)
# The 2024-25 end-of-year survey did not collect emails.
_ANONYMOUS_OUTCOMES = frozenset({"2024-25"})
_BOM_SKILLS = frozenset({"2024-25"})
# Committees use both download shapes (see lib.imports.answers): the newest year comes as the form's own CSV download,
# the earlier years as the linked Sheet's.
EXPORT_SHAPES = ("sheet", "form")
SHAPES = {"2023-24": "sheet", "2024-25": "sheet", "2025-26": "form"}

CONTACT_PURPOSES = ("Support", "Discussion", "Feedback", "Collaboration")
CONTACT_METHODS = ("Email", "Phone", "Video call", "Microsoft Teams", "Zoom")
_CONTACT_METHOD_WEIGHTS = (60, 7, 9, 12, 12)

# Never equal to a taxonomy option; no commas, so a splitter against the option list sees one value.
OTHER_SKILLS = (
    "Zine librarianship",
    "Info lit",
    "Game-based learning",
    "Wikipedia edit-a-thons",
    "Podcasting",
    "Escape room design",
    "Textbook affordability",
    "Citation managers (Zotero)",
    "Community archives",
    "3D printing",
    "Spanish-language reference",
    "Library instruction for athletes",
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
_WARM_COMMENTS = (
    "This was the highlight of my first year. I finally have people to call when I am stuck.",
    "Meeting monthly kept me accountable and the group felt genuinely safe.",
    "I learned so much from hearing how other libraries do things. Thank you to the committee!",
    "Our circle clicked right away. We plan to keep meeting on our own.",
    "It helped me through my first promotion dossier and a lot of self-doubt.",
    "A wonderful, low-pressure way to build a network across Indiana.",
    "I appreciated the structure of the orientation and the freedom to set our own topics.",
)
_GENERAL_COMMENTS = (
    "Great experience overall. A few more suggested discussion topics would help.",
    "Scheduling was hard in the spring but the conversations were worth it.",
    "I wish we had met in person at least once.",
    "Very supportive group. I would recommend it to new colleagues.",
    "The orientation was helpful; the last two meetings felt a bit rushed.",
    "Thank you, this made me feel part of the Indiana library community.",
    "Loved it. Maybe pair circles with a guest speaker once a semester?",
    "It was good to hear that others struggle with the same things.",
)
_MIXED_COMMENTS = (
    "I liked my circle, but my career goals shifted during the year so it only partly applied.",
    "Hard to keep up with monthly meetings during the semester; every other month might work better.",
    "Our group lost momentum after winter break.",
    "Good people, but we rarely managed to find a time everyone could attend.",
)
_MULTILINE_COMMENT = (
    "Three things I valued:\n- honest conversations\n- practical tips for instruction\n"
    "- a group chat that kept us going between meetings"
)

FIRST_NAMES = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen",
    "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Sandra", "Mark", "Margaret",
    "Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily", "Paul", "Donna", "Joshua", "Michelle",
    "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Timothy", "Stephanie",
    "Ronald", "Rebecca", "Jason", "Sharon", "Edward", "Laura", "Jeffrey", "Cynthia", "Ryan", "Dorothy",
    "Jacob", "Amy", "Gary", "Kathleen", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Emma",
    "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Nicole", "Scott", "Anna", "Brandon", "Samantha",
    "Benjamin", "Katherine", "Samuel", "Christine", "Gregory", "Rachel", "Alexander", "Carolyn", "Patrick",
    "Janet", "Frank", "Maria", "Raymond", "Olivia", "Jack", "Heather", "Tyler", "Catherine", "Aaron",
    "Diane", "Nathan", "Julie", "Adam", "Victoria", "Henry", "Lauren", "Zachary", "Kelly", "Peter",
    "Christina", "Kyle", "Ruth", "Noah", "Megan", "Darnell", "Keisha", "Priya", "Wei", "Mohammed",
    "Fatima", "José", "Zoë", "Renée", "Andrés", "Sofía", "Chloé", "Aaliyah", "Hiroshi", "Nadia",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Yoder",
    "Schmidt", "Hochstetler", "Stoltzfus", "Nowak", "Kowalski", "Chen", "Wang", "Singh", "Okafor", "Mensah",
    "Haddad", "O'Brien", "Núñez", "Jiménez", "Peña", "Schröder", "Dubois", "Bauer", "Fischer", "Sullivan",
)
_ASCII = str.maketrans({
    "á": "a", "à": "a", "â": "a", "ä": "a", "ã": "a", "é": "e", "è": "e", "ê": "e", "ë": "e",
    "í": "i", "ì": "i", "î": "i", "ï": "i", "ó": "o", "ò": "o", "ô": "o", "ö": "o", "õ": "o", "ø": "o",
    "ú": "u", "ù": "u", "û": "u", "ü": "u", "ñ": "n", "ç": "c",
})

# title, weight, needs experience, skill boosts (skill names or categories), departments
_TITLES = (
    ("Instruction Librarian", 10, False, ("Instruction and learning",),
     ("Research and Instruction", "Teaching and Learning", "Public Services")),
    ("Reference and Instruction Librarian", 9, False, ("Instruction and learning", "Research and reference"),
     ("Research and Instruction", "Public Services", "Reference")),
    ("Research Services Librarian", 5, False, ("Research and reference",), ("Research Services", "Public Services")),
    ("Subject Liaison Librarian", 6, False, ("Research and reference", "Subject liaison work", "Collection development"),
     ("Liaison Services", "Research and Instruction")),
    ("Health Sciences Librarian", 2, False, ("Health sciences librarianship", "Systematic reviews", "Research and reference"),
     ("Health Sciences Library", "Research Services")),
    ("First-Year Experience Librarian", 2, False, ("First-year experience", "Student success", "Instruction and learning"),
     ("Teaching and Learning", "Outreach")),
    ("Head of Technical Services", 3, True, ("Collections", "Metadata and discovery", "Management and supervision"),
     ("Technical Services", "Collections and Technical Services")),
    ("Cataloging and Metadata Librarian", 5, False, ("Metadata and discovery",),
     ("Technical Services", "Metadata Services", "Cataloging")),
    ("Electronic Resources Librarian", 4, False, ("Collections", "Electronic resources management", "Licensing and negotiation"),
     ("Technical Services", "Collections")),
    ("Collection Development Librarian", 3, False, ("Collections",), ("Collections", "Collection Strategy")),
    ("Archivist", 4, False, ("Archives and preservation",), ("Archives and Special Collections", "University Archives")),
    ("Special Collections Librarian", 3, False, ("Archives and preservation", "Exhibits"),
     ("Archives and Special Collections", "Special Collections")),
    ("Digital Initiatives Librarian", 3, False, ("Digitization", "Digital preservation", "Technology", "Digital humanities"),
     ("Digital Initiatives", "Digital Scholarship")),
    ("Library Director", 5, True, ("Leadership and management",), ("Administration", "Library Administration")),
    ("Dean of Libraries", 1, True, ("Leadership and management",), ("Dean's Office", "Administration")),
    ("Associate Dean for Collections", 1, True, ("Leadership and management", "Collections"), ("Administration", "Collections")),
    ("Scholarly Communication Librarian", 3, False, ("Scholarly communication and research support",),
     ("Scholarly Communication", "Research Support Services")),
    ("Data Services Librarian", 2, False, ("Research data management", "Data services", "Data visualization", "GIS"),
     ("Research Data Services", "Scholarly Communication")),
    ("Access Services Coordinator", 5, False, ("Access and user services",), ("Access Services", "Circulation", "User Services")),
    ("Head of Access Services", 2, True, ("Access and user services", "Management and supervision"), ("Access Services",)),
    ("Interlibrary Loan Coordinator", 3, False, ("Interlibrary loan", "Access and user services"),
     ("Access Services", "Interlibrary Loan")),
    ("Systems Librarian", 3, False, ("Technology",), ("Library Technology", "Systems and Digital Services")),
    ("Web Services Librarian", 2, False, ("Web development", "User experience", "Accessibility"),
     ("Library Technology", "Web Services")),
    ("Outreach Librarian", 3, False, ("Outreach and engagement",), ("Outreach", "Public Services", "Engagement")),
    ("Assessment Librarian", 2, False, ("Library assessment", "Assessment of student learning", "Data visualization"),
     ("Assessment", "Administration")),
    ("Library Assistant", 6, False, ("Access and user services", "Customer service"),
     ("Access Services", "Public Services", "Technical Services")),
    ("Library Technician", 3, False, ("Access and user services", "Collections"), ("Technical Services", "Access Services")),
    ("Evening and Weekend Supervisor", 2, False, ("Access and user services", "Student worker supervision"),
     ("Access Services", "Circulation")),
    ("Theological Librarian", 1, False, ("Research and reference", "Collections"), ("Library",)),
    ("Diversity and Inclusion Librarian", 1, False, ("Equity and wellbeing", "Outreach and engagement"),
     ("Outreach", "Administration")),
)
_STUDENT_TITLES = ("Graduate Assistant", "MLS student", "Library Science Graduate Student", "Student Assistant, Reference")
_TITLE_BOOST = 6.0
_SENIOR_YEARS = 6

_CATEGORY_WEIGHTS = {
    "Instruction and learning": 3.0,
    "Research and reference": 2.6,
    "Collections": 2.2,
    "Leadership and management": 2.2,
    "Access and user services": 1.6,
    "Outreach and engagement": 1.4,
    "Career development": 1.4,
}
_SKILL_WEIGHTS = {
    "Information literacy instruction": 3.0,
    "Reference services": 3.0,
    "Research consultations": 1.8,
    "Collection development": 2.2,
    "Leadership": 1.8,
    "Customer service": 1.6,
    "Mentoring": 1.5,
    "GIS": 0.12,
    "Linked data": 0.12,
    "Legal research": 0.12,
    "Systematic reviews": 0.5,
    "Health sciences librarianship": 0.5,
    "Oral history": 0.4,
    "Shared print": 0.4,
    "Bibliometrics": 0.5,
    "Programming and scripting": 0.5,
    "Makerspaces": 0.5,
}
_SKILL_COUNTS = tuple(range(3, 13))
_SKILL_COUNT_WEIGHTS = (8, 11, 13, 13, 11, 9, 7, 5, 3, 2)

_INSTITUTION_WEIGHTS = {
    "Ivy Tech Community College": 40,
    "Indiana University Bloomington": 38,
    "Purdue University": 36,
    "Indiana University Indianapolis": 32,
    "Ball State University": 26,
    "Indiana State University": 20,
    "University of Notre Dame": 12,
    "Butler University": 9,
    "Purdue University Fort Wayne": 9,
    "Purdue University Northwest": 8,
    "University of Southern Indiana": 8,
    "Vincennes University": 6,
    "Valparaiso University": 6,
    "University of Indianapolis": 6,
    "University of Evansville": 5,
    "DePauw University": 5,
    "Indiana Wesleyan University": 5,
}
_TYPE_WEIGHTS = {"public": 7, "community college": 8, "health sciences": 4, "private": 2.5, "seminary": 1}
# Library-school students mostly study at the two IU campuses with ILS programs.
_LIBRARY_SCHOOLS = ("Indiana University Indianapolis", "Indiana University Bloomington")

# fall year: eligible and on time, "More than 3 years", eligible but late, submits twice, also in the skills survey,
# end-of-year responses
_PMC = {
    2023: dict(eligible=5, ineligible=0, late=0, twice=0, from_survey=1, responses=5),
    2024: dict(eligible=12, ineligible=1, late=1, twice=0, from_survey=2, responses=10),
    2025: dict(eligible=17, ineligible=2, late=1, twice=1, from_survey=2, responses=14),
}
_LATE_DAY = {2024: 4, 2025: 6}


def _cumulative(weights) -> list[float]:
    """Return running totals for random.choices(cum_weights=...), which is faster than weights=."""
    total, result = 0.0, []
    for weight in weights:
        total += weight
        result.append(total)
    return result


# Submissions come mostly in office hours, some in the evening, almost none at night.
_HOURS_CW = _cumulative([0.2] * 7 + [1, 4, 7, 8, 7, 5, 7, 8, 7, 5, 2, 1.5, 2, 2.5, 2, 1, 0.5])


@dataclass(frozen=True)
class DemoFile:
    """One generated export: where it is, what it holds and for which program year."""

    path: Path
    kind: str  # "skills" | "applications" | "rosters" | "attendance" | "outcomes"
    cycle: str  # "2023-24" ...


@dataclass(frozen=True)
class _Institution:
    name: str
    aliases: tuple[str, ...]
    type: str
    domain: str


@dataclass
class _Person:
    first: str
    last: str
    email: str
    institution: int
    title: str
    department: str
    start_year: int
    skills: list[int]
    other: str
    purposes: tuple[int, ...]
    contact: str
    consent: bool

    @property
    def name(self) -> str:
        """Return the full name as typed into the forms."""
        return f"{self.first} {self.last}"


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


class _World:
    """Reference data and precomputed weight tables shared by all generators."""

    def __init__(self) -> None:
        """Load the institutions and skills taxonomy from data/reference."""
        self.institutions = _load_institutions()
        self.skills, self.categories = _load_skills()
        self.inst_cw = _cumulative(
            _INSTITUTION_WEIGHTS.get(inst.name, _TYPE_WEIGHTS.get(inst.type, 2)) for inst in self.institutions
        )
        by_name = {inst.name: i for i, inst in enumerate(self.institutions)}
        self.library_schools = [by_name[name] for name in _LIBRARY_SCHOOLS if name in by_name]
        self.all_titles_cw = _cumulative(t[1] for t in _TITLES)
        self.junior_titles = [i for i, t in enumerate(_TITLES) if not t[2]]
        self.junior_titles_cw = _cumulative(_TITLES[i][1] for i in self.junior_titles)
        self.title_index = {t[0]: i for i, t in enumerate(_TITLES)}
        base = [
            _CATEGORY_WEIGHTS.get(cat, 1.0) * _SKILL_WEIGHTS.get(skill, 1.0)
            for skill, cat in zip(self.skills, self.categories)
        ]
        # Per-title tables make skill sets follow the job, which is what makes the charts look real.
        self.skill_cw = []
        for _, _, _, boosts, _ in _TITLES:
            self.skill_cw.append(_cumulative(
                w * (_TITLE_BOOST if (skill in boosts or cat in boosts) else 1.0)
                for w, skill, cat in zip(base, self.skills, self.categories)
            ))
        self.emails: dict[str, int] = {}

    def email(self, first: str, last: str, institution: int) -> str:
        """Return a new unique address first.last{n}@domain for the institution."""
        base = f"{_ascii(first)}.{_ascii(last)}@{self.institutions[institution].domain}"
        count = self.emails.get(base, 0) + 1
        self.emails[base] = count
        local, domain = base.split("@")
        return f"{local}{count if count > 1 else ''}@{domain}"


def write_exports(out_dir: Path, people: int | None = None, seed: int = 2023,
                  shape: str | None = None) -> list[DemoFile]:
    """Write the synthetic Google Forms exports of three program years into out_dir (in SHAPES, or all in one shape)."""
    if shape not in (None, *EXPORT_SHAPES):
        raise ValueError(f"shape must be one of {', '.join(EXPORT_SHAPES)} (got {shape!r})")
    pool = DEFAULT_PEOPLE if people is None else int(people)
    if pool < 10:
        raise ValueError(f"people must be at least 10 (got {pool})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    master = random.Random(seed)
    # Separate streams per stage keep each file stable when another stage's logic changes.
    pool_rng, *stage_rngs = [random.Random(master.getrandbits(64)) for _ in range(1 + 2 * len(CYCLES))]
    world = _World()
    # The PMC never shrinks below the real cohort sizes; larger pools (benchmarks) scale it up.
    scale = max(1.0, pool / DEFAULT_PEOPLE)

    persons, yearly = _participation(pool_rng, world, pool)
    files: list[DemoFile] = []
    last_seen: dict[int, int] = {}
    applied: set[int] = set()
    for number, cycle in enumerate(CYCLES):
        year = 2023 + number
        survey_rng, pmc_rng = stage_rngs[2 * number], stage_rngs[2 * number + 1]
        respondents = yearly[year]
        for index in respondents:
            if index in last_seen:
                _between_years(survey_rng, world, persons[index])
            last_seen[index] = year
        path = out_dir / f"skills_survey_{cycle}.csv"
        rows = _skills_rows(survey_rng, world, year, [persons[i] for i in respondents])
        _write_csv(path, SKILLS_HEADERS[cycle], rows, shape or SHAPES[cycle], bom=cycle in _BOM_SKILLS)
        files.append(DemoFile(path, "skills", cycle))

        early = [i for i in respondents if year - persons[i].start_year <= 3 and i not in applied]
        files.extend(_write_pmc(pmc_rng, world, out_dir, cycle, year, scale, persons, early, applied,
                                shape or SHAPES[cycle]))
    return files


def _participation(rng: random.Random, world: _World, pool: int) -> tuple[list[_Person], dict[int, list[int]]]:
    """Create the people who answer at least once and the sorted indices of each fall's respondents."""
    target = {year: max(1, round(pool * count / DEFAULT_PEOPLE)) for year, count in _RESPONDENTS.items()}
    first = min(target[2023], pool)
    yearly = {2023: list(range(first))}
    fresh = first
    join_year = [2023] * first
    for year in (2024, 2025):
        previous = yearly[year - 1]
        returning = min(len(previous), round(target[year] * rng.uniform(*_RETURNING)))
        chosen = rng.sample(previous, returning)
        wanted = target[year] - returning
        new = list(range(fresh, min(pool, fresh + wanted)))
        fresh += len(new)
        join_year += [year] * len(new)
        if len(new) < wanted:
            # The pool is used up: people who skipped a year come back.
            previous_set = set(previous)
            lapsed = [i for i in range(fresh) if i not in previous_set and join_year[i] < year]
            chosen += rng.sample(lapsed, min(wanted - len(new), len(lapsed)))
        yearly[year] = sorted(chosen + new)
    persons = [_new_person(rng, world, join_year[i]) for i in range(fresh)]
    return persons, yearly


def _new_person(rng: random.Random, world: _World, join_year: int) -> _Person:
    """Draw a skills-survey respondent who first answers in join_year."""
    roll = rng.random()
    if roll < 0.18:
        years = rng.randint(0, 3)
    elif roll < 0.80:
        years = rng.randint(4, 20)
    else:
        years = rng.randint(21, 40)
    institution = rng.choices(range(len(world.institutions)), cum_weights=world.inst_cw)[0]
    title = _pick_title(rng, world, years)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return _Person(
        first=first,
        last=last,
        email=world.email(first, last, institution),
        institution=institution,
        title=_TITLES[title][0],
        department=rng.choice(_TITLES[title][4]),
        start_year=join_year - years,
        skills=_pick_skills(rng, world, title),
        other=rng.choice(OTHER_SKILLS) if rng.random() < _OTHER_SKILL else "",
        purposes=_pick_purposes(rng),
        contact=rng.choices(CONTACT_METHODS, weights=_CONTACT_METHOD_WEIGHTS)[0],
        consent=rng.random() < 0.82,
    )


def _pick_title(rng: random.Random, world: _World, years: int) -> int:
    """Return a title index; directors and heads need some years behind them."""
    if years < _SENIOR_YEARS:
        return world.junior_titles[rng.choices(range(len(world.junior_titles)), cum_weights=world.junior_titles_cw)[0]]
    return rng.choices(range(len(_TITLES)), cum_weights=world.all_titles_cw)[0]


def _pick_skills(rng: random.Random, world: _World, title: int) -> list[int]:
    """Return 3-12 distinct skill indices in taxonomy order, weighted by the job."""
    wanted = min(rng.choices(_SKILL_COUNTS, weights=_SKILL_COUNT_WEIGHTS)[0], len(world.skills))
    cw = world.skill_cw[title]
    chosen: dict[int, None] = {}
    while len(chosen) < wanted:
        for index in rng.choices(range(len(world.skills)), cum_weights=cw, k=wanted):
            chosen[index] = None
            if len(chosen) == wanted:
                break
    return sorted(chosen)


def _pick_purposes(rng: random.Random) -> tuple[int, ...]:
    """Return a non-empty subset of the contact purposes, in form order."""
    picked = tuple(i for i, p in enumerate((0.7, 0.6, 0.5, 0.65)) if rng.random() < p)
    return picked or (rng.randrange(len(CONTACT_PURPOSES)),)


def _add_skill(rng: random.Random, world: _World, person: _Person) -> bool:
    """Add one new skill to the person's set if there is room; return whether one was added."""
    if len(person.skills) >= 12:
        return False
    cw = world.skill_cw[world.title_index.get(person.title, 0)]
    for _ in range(20):
        index = rng.choices(range(len(world.skills)), cum_weights=cw)[0]
        if index not in person.skills:
            person.skills = sorted(person.skills + [index])
            return True
    return False


def _between_years(rng: random.Random, world: _World, person: _Person) -> None:
    """Apply the small changes a returning respondent makes a year later."""
    if rng.random() < 0.03:
        # The email stays: people keep their address on file, and the directory follows them by email.
        person.institution = rng.choices(range(len(world.institutions)), cum_weights=world.inst_cw)[0]
        if rng.random() < 0.5:
            title = _pick_title(rng, world, 10)
            person.title, person.department = _TITLES[title][0], rng.choice(_TITLES[title][4])
    if rng.random() < 0.08:
        _add_skill(rng, world, person)
    if rng.random() < 0.10:
        person.purposes = _pick_purposes(rng)
    if rng.random() < 0.05:
        person.contact = rng.choices(CONTACT_METHODS, weights=_CONTACT_METHOD_WEIGHTS)[0]
    if person.consent:
        person.consent = rng.random() >= 0.03
    else:
        person.consent = rng.random() < 0.10


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


def _institution_cell(rng: random.Random, institution: _Institution) -> str:
    """Return the institution as a person types it: mostly canonical, sometimes an alias or sloppy."""
    roll = rng.random()
    if roll < 0.10 and institution.aliases:
        return rng.choice(institution.aliases)
    if roll > 0.985:
        return rng.choice((institution.name.upper(), institution.name.lower(), institution.name + " ", institution.name + "  "))
    return institution.name


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


def _work_hour(rng: random.Random) -> int:
    """Return an hour of the day, mostly office hours with some evenings."""
    return rng.choices(range(24), cum_weights=_HOURS_CW)[0]


def _write_pmc(
    rng: random.Random,
    world: _World,
    out_dir: Path,
    cycle: str,
    year: int,
    scale: float,
    persons: list[_Person],
    early: list[int],
    applied: set[int],
    shape: str,
) -> list[DemoFile]:
    """Write the applications, rosters, attendance and end-of-year files of one program year."""
    cfg = {key: round(value * scale) for key, value in _PMC[year].items()}
    applicants = _applicants(rng, world, year, cfg, persons, early, applied)
    entries = [(a.when, seq, _application_row(rng, world, a)) for seq, a in enumerate(applicants)]
    on_time = [a for a in applicants if a.eligible and not a.late]
    early_birds = [a for a in on_time if a.when < datetime(year, 9, 26)]
    for a in rng.sample(early_birds, min(cfg["twice"], len(early_birds))):
        # The second submission changes availability and still arrives before the deadline.
        a.when += timedelta(seconds=rng.randint(3600, 3 * 86400))
        previous = a.availability
        while a.availability == previous:
            a.availability = _pick_availability(rng)
        entries.append((a.when, len(entries), _application_row(rng, world, a)))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    rows = [entry[2] for entry in entries]
    files = []
    path = out_dir / f"pmc_applications_{cycle}.csv"
    _write_csv(path, APPLICATION_HEADERS, rows, shape)
    files.append(DemoFile(path, "applications", cycle))

    circles = _form_circles(rng, on_time)
    path = out_dir / f"circles_{cycle}.csv"
    _write_csv(path, ROSTER_HEADERS, [[name, a.person.email] for name, members in circles for a in members], shape)
    files.append(DemoFile(path, "rosters", cycle))

    attendance, dropouts = _attendance(rng, year, scale, circles)
    path = out_dir / f"attendance_{cycle}.csv"
    _write_csv(path, ATTENDANCE_HEADERS, attendance, shape)
    files.append(DemoFile(path, "attendance", cycle))

    path = out_dir / f"end_of_year_{cycle}.csv"
    members = [a for _, group in circles for a in group]
    header, rows = _outcomes(rng, cycle, year, cfg, scale, members, dropouts)
    _write_csv(path, header, rows, shape)
    files.append(DemoFile(path, "outcomes", cycle))
    return files


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


def _form_circles(rng: random.Random, members: list[_Applicant]) -> list[tuple[str, list[_Applicant]]]:
    """Split the on-time eligible applicants into circles of 4-6, spreading each institution across circles."""
    people = list(members)
    rng.shuffle(people)
    if len(people) == 7:
        # 7 cannot be split into circles of 4-6: the committee waitlists one.
        people.pop()
    count = max(1, -(-len(people) // 6))
    groups: dict[int, list[_Applicant]] = {}
    for a in people:
        groups.setdefault(a.person.institution, []).append(a)
    # Dealing the largest institutions first, round robin, puts colleagues in different circles.
    dealt = [a for group in sorted(groups.values(), key=len, reverse=True) for a in group]
    circles: list[list[_Applicant]] = [[] for _ in range(count)]
    for position, a in enumerate(dealt):
        circles[position % count].append(a)
    return [
        (f"Circle {_letters(i)}", sorted(circle, key=lambda a: (a.person.last, a.person.first, a.person.email)))
        for i, circle in enumerate(circles)
    ]


def _letters(index: int) -> str:
    """Return spreadsheet-style letters: A..Z, AA, AB, ..."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(65 + rest) + text
    return text


def _attendance(
    rng: random.Random, year: int, scale: float, circles: list[tuple[str, list[_Applicant]]]
) -> tuple[list[list[str]], set[str]]:
    """Return the attendance sheet rows and the emails of members who dropped out."""
    members = [(name, a) for name, group in circles for a in group]
    grid = [["Present"] * len(MONTHS) for _ in members]
    dropouts: set[str] = set()
    if year == 2023:
        # The first cohort attended nearly everything: at most two missed meetings per five members.
        cells = [(m, k) for m in range(len(members)) for k in range(len(MONTHS))]
        misses = rng.randint(1, max(1, round(2 * scale)))
        for m, k in rng.sample(cells, min(misses, len(cells))):
            grid[m][k] = rng.choice(("Absent", "Excused"))
    else:
        for row in grid:
            for k in range(len(MONTHS)):
                row[k] = rng.choices(("Present", "Excused", "Absent"), weights=(88, 6, 6))[0]
        for m in rng.sample(range(len(members)), min(round(scale), len(members))):
            start = rng.randint(2, 5)
            for k in range(start, len(MONTHS)):
                grid[m][k] = "Absent"
            dropouts.add(members[m][1].person.email)
    rows = [[name, a.person.name, a.person.email] + grid[m] for m, (name, a) in enumerate(members)]
    return rows, dropouts


def _outcomes(
    rng: random.Random,
    cycle: str,
    year: int,
    cfg: dict[str, int],
    scale: float,
    members: list[_Applicant],
    dropouts: set[str],
) -> tuple[tuple[str, ...], list[list[str]]]:
    """Return the end-of-year survey header and rows, sorted by timestamp."""
    stayed = [a for a in members if a.person.email not in dropouts]
    left = [a for a in members if a.person.email in dropouts]
    count = min(cfg["responses"], len(members))
    respondents = rng.sample(stayed, min(count, len(stayed)))
    respondents += rng.sample(left, count - len(respondents))
    special = max(1, round(scale))
    entries = []
    for position, a in enumerate(respondents):
        when = datetime(year + 1, 5, 20) + timedelta(
            days=rng.randint(0, 30), hours=_work_hour(rng), minutes=rng.randrange(60), seconds=rng.randrange(60)
        )
        goals, again, satisfaction = "Yes", "Yes", rng.choices((3, 4, 5), weights=(1, 4, 6))[0]
        comment = rng.choice(_GENERAL_COMMENTS) if rng.random() < 0.7 else ""
        if year == 2023:
            satisfaction = rng.choice((4, 5, 5))
            comment = _WARM_COMMENTS[position % len(_WARM_COMMENTS)]
        elif position < special:
            goals, satisfaction, comment = "Partially", 3, rng.choice(_MIXED_COMMENTS)
        elif position < 2 * special:
            if year == 2024:
                again, satisfaction = "Maybe", rng.choice((3, 4))
            else:
                again, satisfaction = "No", rng.choice((2, 3))
            comment = rng.choice(_MIXED_COMMENTS)
        elif position == 2 * special and year == 2025:
            comment = _MULTILINE_COMMENT
        quote = ("Yes" if rng.random() < 0.8 else "No") if comment else ""
        row: list = [when]
        if cycle not in _ANONYMOUS_OUTCOMES:
            row.append(a.person.email)
        row += [goals, again, str(satisfaction), comment, quote]
        entries.append((when, position, row))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    header = tuple(h for h in OUTCOME_HEADERS if not (cycle in _ANONYMOUS_OUTCOMES and h == "Email Address"))
    return header, [entry[2] for entry in entries]


def _timestamp(when: datetime, shape: str) -> str:
    """Return a timestamp as the export shape writes it.

    "sheet": the linked Sheet's US locale, 9/15/2025 10:32:11; "form": the form's own download,
    2025/09/15 10:32:11 AM EDT (12-hour clock and Indiana's time zone abbreviation).
    """
    if shape == "sheet":
        return f"{when.month}/{when.day}/{when.year} {when.hour}:{when.minute:02d}:{when.second:02d}"
    hour = when.hour % 12 or 12
    return (f"{when:%Y/%m/%d} {hour}:{when.minute:02d}:{when.second:02d} {'PM' if when.hour >= 12 else 'AM'} "
            f"{'EDT' if _daylight_saving(when) else 'EST'}")


def _daylight_saving(when: datetime) -> bool:
    """Tell whether US daylight saving time is in force (second Sunday of March to first Sunday of November)."""
    march = datetime(when.year, 3, 8)
    november = datetime(when.year, 11, 1)
    starts = march + timedelta(days=(6 - march.weekday()) % 7, hours=2)
    ends = november + timedelta(days=(6 - november.weekday()) % 7, hours=2)
    return starts <= when < ends


def _cell(value: object, shape: str) -> object:
    """Write one cell in the export shape: timestamps as the shape prints them, checkbox answers joined."""
    if isinstance(value, datetime):
        return _timestamp(value, shape)
    if isinstance(value, tuple):
        # The Sheet joins checked boxes with ", ", the form's own download with ";".
        return (";" if shape == "form" else ", ").join(value)
    return value


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list], shape: str, bom: bool = False) -> None:
    """Write a CSV the way Google Forms exports it in the given shape (optionally with the BOM Excel adds)."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows([_cell(value, shape) for value in row] for row in rows)


def _load_institutions() -> list[_Institution]:
    """Read data/reference/institutions.csv and give each institution a synthetic email domain."""
    with (REFERENCE_DIR / "institutions.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    result, used = [], set()
    for row in rows:
        name = row["name"].strip()
        words = [w for w in name.replace("-", " ").replace("'s", "").split() if w]
        domain = "".join(w[0] for w in words).lower()
        if domain in used:
            domain = _ascii(words[0]) + "".join(w[0] for w in words[1:]).lower()
        while domain in used:
            domain += "x"
        used.add(domain)
        aliases = tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip())
        result.append(_Institution(name, aliases, (row.get("type") or "").strip(), domain + ".edu"))
    return result


def _load_skills() -> tuple[list[str], list[str]]:
    """Read data/reference/skills.csv: the form's options in taxonomy order and their categories."""
    with (REFERENCE_DIR / "skills.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.DictReader(handle) if row["skill"].strip()]
    return [row["skill"].strip() for row in rows], [row["category"].strip() for row in rows]


def _ascii(text: str) -> str:
    """Return text folded to lowercase a-z for an email address."""
    return "".join(c for c in text.lower().translate(_ASCII) if "a" <= c <= "z")


def load(conn, people: int | None = None, seed: int = 2023, out_dir: Path | None = None,
         report=lambda text: None, shape: str | None = None) -> list:
    """Write the demo exports and import them through lib.imports.batches, the path users' files take."""
    from .imports import batches
    from .settings import get_settings

    out_dir = out_dir or get_settings().demo_dir
    report(f"Writing synthetic Google Forms exports to {out_dir} ...")
    results = []
    for demo_file in write_exports(out_dir, people=people, seed=seed, shape=shape):
        # Rosters and attendance sheets carry no timestamps, so they are told their cycle.
        cycle = demo_file.cycle if demo_file.kind in ("rosters", "attendance") else None
        if demo_file.kind == "rosters" and conn.execute(
                "SELECT count(*) FROM circle_drafts WHERE cycle = ? AND status = 'final'",
                [demo_file.cycle]).fetchall()[0][0]:
            report(f"  {demo_file.path.name}: {demo_file.cycle} already has final circles, left as they are")
            continue
        result = batches.import_file(conn, demo_file.path, kind=demo_file.kind, cycle=cycle, actor="demo")
        if result.errors:
            raise RuntimeError(f"demo file {demo_file.path.name} did not import: {result.errors[0]}")
        report(f"  {demo_file.path.name}: {result.rows} rows, {result.new} new, {result.updated} updated, "
               f"{result.unchanged} unchanged")
        results.append(result)
    return results
