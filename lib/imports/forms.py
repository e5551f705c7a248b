"""The four Google Forms (and the roster sheet): their fields, header synonyms and answer options."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

KINDS = ("skills", "applications", "attendance", "outcomes", "rosters")

KIND_LABELS = {
    "skills": "Skills Directory Survey",
    "applications": "Peer Mentorship Circle applications",
    "attendance": "Attendance sheet",
    "outcomes": "End-of-year survey",
    "rosters": "Circle rosters",
}

MONTHS = ("Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May")
_MONTH_NAMES = {
    "oct": "Oct", "october": "Oct", "nov": "Nov", "november": "Nov", "dec": "Dec", "december": "Dec",
    "jan": "Jan", "january": "Jan", "feb": "Feb", "february": "Feb", "mar": "Mar", "march": "Mar",
    "apr": "Apr", "april": "Apr", "may": "May",
}

UNTIMED_KINDS = ("attendance", "rosters")  # typed by the committee: no timestamps, so the program year is chosen

CONTACT_PURPOSES = ("support", "discussion", "feedback", "collaboration")

CAREER_STAGE_MONTHS = {
    "less than 1 year": 6,
    "1-2 years": 18,
    "2-3 years": 30,
    "more than 3 years": 48,
}

DEFAULT_INTEREST_OPTIONS = (
    "Building a professional network",
    "Navigating tenure and promotion",
    "Teaching and instruction",
    "Research and publishing",
    "Leadership development",
    "Job search and career planning",
    "Work-life balance",
    "Confidence, belonging and imposter syndrome",
)


@dataclass(frozen=True)
class Field:
    """One question of a form: where it goes, whether the import needs it, how to recognise its header."""

    name: str
    label: str
    required: bool
    pattern: str  # matched against the normalised header

    def matches(self, normalised_header: str) -> bool:
        """Tell whether a normalised header asks this question."""
        return re.search(self.pattern, normalised_header) is not None


_TIMESTAMP = Field("timestamp", "Timestamp", True, r"^timestamp$|submitted|submission date|^date$")
# "Username" is Google's header for the address a form in a Google Workspace domain collects.
_EMAIL = Field("email", "Email address", True,
               r"^(e ?mail|email address|your email|e ?mail address)\b|^(your )?e ?mail|^username$")
_NAME = Field("name", "Name", True, r"^(full |your |first and last |preferred )?name\b|your name|full name")
# Many forms ask the name in two questions; the two parts are joined (given name first) into the name.
_GIVEN = Field("given_name", "Given name (first part of the name)", False,
               r"^(your |preferred )?(first|given|fore) ?names?\b")
_FAMILY = Field("family_name", "Family name (last part of the name)", False,
                r"^(your )?(last|family|sur) ?names?\b")
NAME_PARTS = ("given_name", "family_name")

# What applicants want to talk about is the main input for grouping, and every year's form words it anew:
# topics to discuss, areas to grow in or develop, what they hope to gain, areas of interest, goals to check.
# A header that asks why, or for anything else, or in their own words, is free text (goals or comments).
_INTERESTS = (
    r"^(?!why\b)(?!.*\b(anything else|tell us more|in your own words|describe|explain)\b)(?=.*("
    r"hop(e|ing) to (gain|get|learn)|get out of|\binterest|\btopics?\b|\bsubjects?\b|\bthemes?\b|discuss"
    r"|talk (about|through)|\bareas?\b.*\b(grow|growth|develop|improve|strengthen|focus|work on|explore|learn)"
    r"|(like|want|hope|wish|need|plan) to (grow|develop|improve|strengthen|build|learn|explore|focus|work on|cover)"
    r"|focus (on|areas?)|(check|select|mark|choose|tick) all.*goal|goals?\b.*(check|select|mark|choose|tick) all))")
_GOALS = (r"tell us more|goal|in your own words|^why\b|motivat|what brings you|hope to (achieve|accomplish)"
          r"|describe.*\b(hope|want|expect|interest)")

# Fields are tried in this order; the first field whose pattern matches an unclaimed header claims it.
# The order matters where headers share words ("may we publish ... Skills Directory" is consent, not skills).
FIELDS: dict[str, tuple[Field, ...]] = {
    "skills": (
        _TIMESTAMP, _EMAIL,
        Field("consent", "Consent to publish", True, r"publish|consent|shared in|share my|directory\?"),
        Field("purposes", "Contact purposes offered", False, r"contact(ing)? me for|contact you for|open to|may contact me"),
        Field("contact_method", "Preferred contact method", False, r"contact method|way to contact|preferred contact|how .*contact"),
        Field("expertise", "Areas of expertise", True, r"expertise|skills|areas of"),
        _GIVEN, _FAMILY, _NAME,
        Field("institution", "Institution", True, r"institution|library|college|university|employer|organi[sz]ation"),
        Field("job_title", "Job title", False, r"job title|position|title|^role"),
        Field("department", "Department", False, r"department|unit|division"),
        Field("years", "Years in the profession", False, r"years|how long"),
    ),
    "applications": (
        _TIMESTAMP, _EMAIL,
        Field("agreement", "Agreement to the expectations", True, r"agree|expectations|code of conduct"),
        Field("interests", "Interests and goals (checkboxes)", False, _INTERESTS),
        Field("goals", "Goals (free text)", False, _GOALS),
        Field("format", "Preferred format", False, r"format|virtual|in person"),
        Field("availability", "Availability", False, r"availab|when are you|days and times"),
        Field("career_stage", "Career stage", True,
              r"how long|career stage|stage of your career|where are you in your career|years|experience"),
        Field("comments", "Comments", False, r"comment|question|anything else"),
        _GIVEN, _FAMILY, _NAME,
        Field("institution", "Institution", True, r"institution|library|college|university|employer|organi[sz]ation"),
        Field("job_title", "Job title", False, r"job title|position|title|^role"),
    ),
    "outcomes": (
        _TIMESTAMP,
        Field("email", "Email address", False, _EMAIL.pattern),
        Field("consent_to_quote", "Consent to quote", False, r"quote"),
        Field("met_goals", "Met career goals", True, r"career goals|meet your"),
        Field("participate_again", "Would participate again", True, r"again"),
        Field("satisfaction", "Satisfaction 1-5", False, r"satisf|rate|rating"),
        Field("comments", "Comments", False, r"comment"),
    ),
    "attendance": (
        Field("circle", "Circle", True, r"circle|group"),
        _EMAIL,
        Field("name", "Name", False, _NAME.pattern),
    ),
    "rosters": (
        Field("circle", "Circle", True, r"circle|group"),
        _EMAIL,
        Field("name", "Name", False, _NAME.pattern),
    ),
}


# Words a header may use for a field, for the fuzzy pass that catches typos ("Instituion", "E-mial").
SYNONYMS = {
    "timestamp": ("timestamp", "submitted at", "date and time"),
    "email": ("email address", "email", "e mail address", "e mail"),
    "name": ("name", "full name", "your name"),
    "institution": ("institution", "library", "university", "college"),
    "job_title": ("job title", "position", "title"),
    "department": ("department",),
    "years": ("years in the profession", "years"),
    "expertise": ("areas of expertise", "expertise", "skills"),
    "purposes": ("contact me for", "open to"),
    "contact_method": ("contact method",),
    "consent": ("consent", "publish"),
    "career_stage": ("career stage", "how long have you worked"),
    "interests": ("interests", "hope to gain"),
    "format": ("format",),
    "availability": ("availability", "available"),
    "agreement": ("agree", "expectations"),
    "met_goals": ("career goals",),
    "participate_again": ("participate again",),
    "satisfaction": ("satisfaction", "satisfied"),
    "circle": ("circle", "group"),
}
FUZZY_HEADER_MIN = 85


def normalise_header(header: str) -> str:
    """Lowercase a header and fold punctuation and spaces so wording variants compare equal."""
    text = re.sub(r"[\u2018\u2019]", "'", str(header).strip().lower())
    text = re.sub(r"[^a-z0-9'?]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def month_of(header: str) -> str | None:
    """Return the program month an attendance column stands for ('Oct'...'May'), or None."""
    words = normalise_header(header).split(" ")
    return _MONTH_NAMES.get(words[0]) if words and words[0] else None


def field(kind: str, name: str) -> Field:
    """Return one field of a kind by name."""
    for candidate in FIELDS[kind]:
        if candidate.name == name:
            return candidate
    raise KeyError(f"{kind} has no field {name}")


def propose_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """Propose header -> field for one kind of form (attendance month columns map to 'month:Oct'...)."""
    mapping: dict[str, str] = {}
    normalised = {header: normalise_header(header) for header in headers}
    if kind == "attendance":
        for header in headers:
            month = month_of(header)
            if month and month not in {v.split(":")[1] for v in mapping.values()}:
                mapping[header] = f"month:{month}"
    for spec in FIELDS[kind]:
        for header in headers:
            if header in mapping or not normalised[header]:
                continue
            if spec.matches(normalised[header]):
                mapping[header] = spec.name
                break
    # A second, fuzzy pass only for required fields still missing, so a typo does not stop the import.
    for spec in FIELDS[kind]:
        if not spec.required or spec.name in mapping.values():
            continue
        words = SYNONYMS.get(spec.name, (spec.label.lower(),))
        scored = [(max(max(fuzz.ratio(w, normalised[h]), fuzz.partial_ratio(w, normalised[h])) for w in words), h)
                  for h in headers if h not in mapping and normalised[h]]
        if scored:
            score, header = max(scored)
            if score >= FUZZY_HEADER_MIN:
                mapping[header] = spec.name
    return mapping


def missing_required(kind: str, mapping: dict[str, str]) -> list[Field]:
    """Return the required fields of a kind that no header is mapped to."""
    mapped = set(mapping.values())
    missing = [spec for spec in FIELDS[kind] if spec.required and spec.name not in mapped
               and not (spec.name == "name" and mapped.issuperset(NAME_PARTS))]
    if kind == "attendance" and not any(value.startswith("month:") for value in mapped):
        missing.append(Field("month:Oct", "At least one month column (Oct ... May)", True, r"^$"))
    return missing


def guess_kind(headers: list[str], extra=None) -> str | None:
    """Name the form a header row most resembles even when a required field is missing (None below 3 fields).

    `extra(kind, mapping)` may add fields the headers did not show (lib.imports.batches reads the answers); they
    complete a kind and count half as much as a header in telling kinds apart.
    """
    complete = detect_kind(headers, extra)
    if complete:
        return complete
    timestamped = any(_TIMESTAMP.matches(normalise_header(h)) for h in headers)
    scores = {kind: 0 if timestamped and kind in UNTIMED_KINDS else len(propose_mapping(kind, headers))
              for kind in KINDS}
    best = max(scores, key=lambda kind: (scores[kind], -KINDS.index(kind)))
    return best if scores[best] >= 3 else None


def detect_kind(headers: list[str], extra=None) -> str | None:
    """Guess which form an export comes from by how completely its headers fill each kind's fields."""
    best, best_score = None, 0.0
    # Rosters and attendance sheets are typed by the committee: no timestamps, and little besides circle, name,
    # email and months. A form's responses (a timestamp column, many questions) that mention a "group" are not one.
    timestamped = any(_TIMESTAMP.matches(normalise_header(h)) for h in headers)
    for kind in KINDS:
        mapping = propose_mapping(kind, headers)
        if kind in UNTIMED_KINDS and (timestamped or len(mapping) < 0.5 * len(headers)):
            continue
        added = extra(kind, mapping) if extra else {}
        if missing_required(kind, {**mapping, **added}):
            continue
        # Prefer the kind that explains most headers, then the one with more fields of its own.
        explained = len(mapping) + 0.5 * len(added)
        score = explained / max(len(headers), 1) + explained / (10 * len(FIELDS[kind]) + 10)
        if kind == "rosters" and any(month_of(h) for h in headers):
            continue
        if score > best_score:
            best, best_score = kind, score
    return best
