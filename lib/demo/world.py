"""The synthetic people of the demo and what every form's export shares: names, institutions, jobs, skills.

`_World` holds the reference data (data/reference) and the weight tables; the people answer the forms written by
`survey`, `applications`, `rosters` and `outcomes`. The export shapes' timestamps and cells are written here too.
Every name and email is invented.
"""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"
DEFAULT_PEOPLE = 420
# Respondents per fall at the default pool size (about 57%, 64% and 71% of the pool).
_RESPONDENTS = {2023: 240, 2024: 270, 2025: 300}
# Share of a year's respondents who also answered the previous fall.
_RETURNING = (0.64, 0.72)
_OTHER_SKILL = 0.08

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


def _institution_cell(rng: random.Random, institution: _Institution) -> str:
    """Return the institution as a person types it: mostly canonical, sometimes an alias or sloppy."""
    roll = rng.random()
    if roll < 0.10 and institution.aliases:
        return rng.choice(institution.aliases)
    if roll > 0.985:
        return rng.choice((institution.name.upper(), institution.name.lower(), institution.name + " ", institution.name + "  "))
    return institution.name


def _work_hour(rng: random.Random) -> int:
    """Return an hour of the day, mostly office hours with some evenings."""
    return rng.choices(range(24), cum_weights=_HOURS_CW)[0]


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
