"""What makes a good circle: the criteria, their weights in plain words, pair scores, and feasibility checks."""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

from ..grouping.model import Infeasible, groups_for
from ..textmatch import fold

IMPORTANCE = ("not important", "somewhat important", "important", "very important", "essential")
# Doubling steps: "very important" outweighs two "important" criteria, as people mean it.
WEIGHTS = {"not important": 0.0, "somewhat important": 1.0, "important": 2.0, "very important": 4.0, "essential": 8.0}
STAGE_MODES = {"similar": "similar career stages", "mixed": "a deliberate mix of career stages"}
NEARBY_MILES = 60.0   # members of an in-person circle should be able to drive to one another
STAGE_SPAN_MONTHS = 36.0


@dataclass(frozen=True)
class Criterion:
    """One thing the committee weighs when forming circles."""

    key: str
    label: str
    meaning: str  # what a pair scoring 100% on it means


CRITERIA = (
    Criterion("institution", "Different institutions", "the two work at different institutions"),
    Criterion("institution_type", "Mix of institution types", "their institutions are of different types"),
    Criterion("region", "Mix of regions", "they are from different regions of Indiana"),
    Criterion("interests", "Shared interests and goals", "they want to discuss the same topics"),
    Criterion("format", "Compatible format", "they can meet the way both prefer (in person only when nearby)"),
    Criterion("availability", "Shared availability", "they have meeting times in common"),
    Criterion("stage", "Career stage", "their career stages are similar (or mixed, as chosen)"),
)
LABELS = {c.key: c.label for c in CRITERIA}

DEFAULT_IMPORTANCE = {
    "institution": "essential",
    "institution_type": "somewhat important",
    "region": "important",
    "interests": "very important",
    "format": "important",
    "availability": "essential",
    "stage": "somewhat important",
}


@dataclass
class Options:
    """How the committee wants this year's circles formed."""

    importance: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_IMPORTANCE))
    stage_mode: str = "similar"
    lower: int = 4
    upper: int = 6
    count: int | None = None          # number of circles; None lets the sizes decide
    allow_seven: bool = False         # with exactly 7 applicants, one circle of 7
    waitlist: dict[int, str] = field(default_factory=dict)  # person id -> why they wait
    seconds: float = 5.0
    seed: int = 0
    iterations: int | None = None     # a move budget instead of the clock: the same answer on any machine
    fairness: float = 0.5             # weight of the worst circle's score against the total

    def __post_init__(self) -> None:
        unknown = set(self.importance) - set(LABELS)
        if unknown:
            raise ValueError(f"Unknown criteria: {', '.join(sorted(unknown))}")
        for key, word in self.importance.items():
            if word not in WEIGHTS:
                raise ValueError(f"'{word}' is not a weight; choose one of: {', '.join(IMPORTANCE)}")
        self.importance = {**DEFAULT_IMPORTANCE, **self.importance}
        if self.stage_mode not in STAGE_MODES:
            raise ValueError(f"Career stage must be one of: {', '.join(STAGE_MODES)}")
        self.waitlist = {int(k): str(v) for k, v in self.waitlist.items()}

    def weight(self, key: str) -> float:
        """The numeric weight of one criterion."""
        return WEIGHTS[self.importance[key]]

    def to_json(self) -> str:
        """Serialise for the draft's record."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> "Options":
        """Read a draft's recorded options (defaults for anything missing)."""
        if not text:
            return cls()
        data = json.loads(text)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# ---------------------------------------------------------------- pair scores

def _slots(values) -> frozenset[str]:
    """Availability slots with 'weekday-eve' spread over Monday to Friday so it meets 'tue-eve'."""
    slots: set[str] = set()
    for value in list(values if values is not None else []):
        if value.startswith("weekday-"):
            slots.update(f"{day}-{value.split('-', 1)[1]}" for day in ("mon", "tue", "wed", "thu", "fri"))
        else:
            slots.add(value)
    return frozenset(slots)


_WORD = re.compile(r"[a-z]{5,}")
_COMMON = frozenset("would about their there these those people other being which learn really things".split())


def goal_words(text: object) -> frozenset[str]:
    """Distinctive words of a free-text goal, accent- and case-folded, for overlap between two applicants."""
    if not isinstance(text, str) or not text.strip():
        return frozenset()
    return frozenset(w for w in _WORD.findall(fold(text)) if w not in _COMMON)


def miles(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float | None:
    """Great-circle distance in miles, or None when a place is unknown."""
    if a is None or b is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 3958.8 * 2 * math.asin(min(1.0, math.sqrt(h)))


@dataclass
class People:
    """The applicants being grouped, as plain per-person lists the criteria read."""

    ids: list[int]
    names: list[str]
    institution: list[str | None]
    institution_type: list[str | None]
    region: list[str | None]
    interests: list[frozenset[str]]
    goals: list[frozenset[str]]
    format: list[str]
    place: list[tuple[float, float] | None]
    slots: list[frozenset[str]]
    months: list[float]

    @classmethod
    def from_frame(cls, frame) -> "People":
        """Build from lib.circles.applications.applicants() rows."""
        def text(value):
            """A cell as text, or None when empty."""
            return None if value is None or (isinstance(value, float) and math.isnan(value)) or value == "" else str(value)

        def place(row):
            """The institution's coordinates, or None."""
            lat, lon = row.get("latitude"), row.get("longitude")
            ok = all(v is not None and not (isinstance(v, float) and math.isnan(v)) for v in (lat, lon))
            return (float(lat), float(lon)) if ok else None

        def months(row):
            """Months in the profession (students 0, unknown 18)."""
            if bool(row.get("is_student")):
                return 0.0
            value = row.get("months_in_profession")
            return 18.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)

        rows = frame.to_dict("records")
        return cls(
            ids=[int(r["person_id"]) for r in rows],
            names=[text(r.get("name")) or text(r.get("email")) or f"Person {r['person_id']}" for r in rows],
            institution=[text(r.get("institution")) for r in rows],
            institution_type=[text(r.get("institution_type")) for r in rows],
            region=[text(r.get("region")) for r in rows],
            interests=[frozenset(list(r.get("interests") if r.get("interests") is not None else [])) for r in rows],
            goals=[goal_words(r.get("goals")) for r in rows],
            format=[(text(r.get("format")) or "either").lower() for r in rows],
            place=[place(r) for r in rows],
            slots=[_slots(r.get("availability")) for r in rows],
            months=[months(r) for r in rows],
        )

    def __len__(self) -> int:
        """How many people."""
        return len(self.ids)

    def subset(self, indices: list[int]) -> "People":
        """The same lists for some of the people, in the given order."""
        return People(**{name: [getattr(self, name)[i] for i in indices] for name in self.__dataclass_fields__})


def _codes(values: list) -> np.ndarray:
    """Integer codes of values (-1 for unknown), so equality is one vectorised comparison."""
    index: dict = {}
    return np.array([-1 if v is None else index.setdefault(v, len(index)) for v in values], dtype=np.int64)


def _different(values: list[str | None]) -> np.ndarray:
    """1 where two people's values differ, 0 where equal, 0.5 where one is unknown."""
    codes = _codes(values)
    known = codes >= 0
    out = np.where(codes[:, None] == codes[None, :], 0.0, 1.0)
    return np.where(known[:, None] & known[None, :], out, 0.5)


def _incidence(sets: list[frozenset]) -> np.ndarray:
    """A person x value 0/1 matrix of set membership."""
    index: dict = {}
    for values in sets:
        for value in values:
            index.setdefault(value, len(index))
    out = np.zeros((len(sets), max(1, len(index))), dtype=np.float32)
    for row, values in enumerate(sets):
        for value in values:
            out[row, index[value]] = 1.0
    return out


def _distances(places: list[tuple[float, float] | None]) -> np.ndarray:
    """Pairwise great-circle miles; NaN where a place is unknown."""
    n = len(places)
    lat = np.radians(np.array([p[0] if p else np.nan for p in places], dtype=float)).reshape(n, 1)
    lon = np.radians(np.array([p[1] if p else np.nan for p in places], dtype=float)).reshape(n, 1)
    h = np.sin((lat.T - lat) / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin((lon.T - lon) / 2) ** 2
    return 3958.8 * 2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def matrices(people: People, stage_mode: str = "similar") -> dict[str, np.ndarray]:
    """Unweighted pair scores in [0, 1], one matrix per criterion, zero diagonal (vectorised: N may be thousands)."""
    n = len(people)
    if n == 0:
        return {c.key: np.zeros((0, 0)) for c in CRITERIA}
    interests = _incidence(people.interests)
    shared = interests @ interests.T
    sizes = interests.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - shared
    jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    goals = _incidence(people.goals)
    common = goals @ goals.T
    counts = goals.sum(axis=1)
    smaller = np.minimum(counts[:, None], counts[None, :])
    overlap = np.divide(common, smaller, out=np.zeros_like(common), where=smaller > 0)
    slots = _incidence(people.slots)
    has = slots.sum(axis=1)
    together = slots @ slots.T
    fewer = np.minimum(has[:, None], has[None, :])
    # Unknown availability fits anyone; otherwise the share of the smaller list in common.
    availability = np.where(fewer > 0, np.divide(together, fewer, out=np.ones_like(together), where=fewer > 0), 1.0)
    months = np.array(people.months, dtype=float)
    span = np.minimum(np.abs(months[:, None] - months[None, :]) / STAGE_SPAN_MONTHS, 1.0)
    in_person = np.array(["person" in f for f in people.format])
    online = np.array(["virtual" in f for f in people.format])
    miles_apart = _distances(people.place)
    near = np.where(np.isnan(miles_apart), 0.5,
                    np.where(miles_apart <= NEARBY_MILES, 1.0, np.where(miles_apart <= 2 * NEARBY_MILES, 0.5, 0.1)))
    any_person = in_person[:, None] | in_person[None, :]
    any_online = online[:, None] | online[None, :]
    # Virtual or either on both sides meet online; in person needs the other willing and nearby.
    fit = np.where(~any_person, 1.0, np.where(any_online, 0.0, near))
    out = {
        "institution": np.where(_codes(people.institution)[:, None] == _codes(people.institution)[None, :],
                                np.where(_codes(people.institution)[:, None] >= 0, 0.0, 1.0), 1.0),
        "institution_type": _different(people.institution_type),
        "region": _different(people.region),
        "interests": 0.8 * jaccard + 0.2 * np.minimum(overlap, 1.0),
        "format": fit,
        "availability": availability,
        "stage": 1.0 - span if stage_mode == "similar" else span,
    }
    for key, matrix in out.items():
        matrix = np.asarray(matrix, dtype=np.float64)
        np.fill_diagonal(matrix, 0.0)
        out[key] = matrix
    return out


def weighted(unweighted: dict[str, np.ndarray], options: Options) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The engine's pair scores (sum of weighted criteria, on a 0-100 scale per pair) and each weighted part."""
    total_weight = sum(options.weight(key) for key in unweighted) or 1.0
    parts = {LABELS[key]: matrix * (100.0 * options.weight(key) / total_weight)
             for key, matrix in unweighted.items() if options.weight(key) > 0}
    n = next(iter(unweighted.values())).shape[0] if unweighted else 0
    scores = sum(parts.values()) if parts else np.zeros((n, n))
    return np.asarray(scores, dtype=float), parts


# ---------------------------------------------------------------- feasibility

@dataclass
class Blocker:
    """A reason the circles cannot be formed as asked, with what the committee can do about it."""

    message: str
    choices: list[str]
    stops: bool = True  # False: a warning, the engine still runs (relaxing the rule where it must)


def _listed(names: list[str], separator: str = ", ", at_most: int = 8) -> str:
    """Names for a message, the first few and how many more."""
    shown = separator.join(names[:at_most])
    return shown + (f" and {len(names) - at_most} more" if len(names) > at_most else "")


def sizes(n: int, options: Options) -> list[tuple[int, int]]:
    """The circle sizes for n people, honouring a one-off circle of 7; raises Infeasible."""
    if options.allow_seven and n == 7:
        return [(7, 7)]
    return groups_for(n, options.lower, options.upper, options.count)


def check(people: People, options: Options) -> list[Blocker]:
    """Say before solving what cannot work: sizes (N = 7, N < 4), no common time, too few institutions."""
    n = len(people)
    blockers: list[Blocker] = []
    try:
        shape = sizes(n, options)
    except Infeasible as exc:
        if n == 0:
            return [Blocker("There are no eligible applicants to place (after the waitlist).",
                            ["Import this year's applications", "Review eligibility overrides"])]
        choices = ["Recruit more applicants"]
        if n == 7:
            choices = ["Waitlist one applicant (6 form one circle)", "Allow one circle of 7", *choices]
        elif n < options.lower:
            choices = ["Wait for more applications", *choices]
        else:
            choices = ["Change the number of circles", *choices]
        return [Blocker(str(exc), choices)]
    groups = len(shape)
    if options.weight("availability") >= WEIGHTS["essential"]:
        incidence = _incidence(people.slots)
        known = incidence.sum(axis=1) > 0
        meets = ((incidence @ incidence.T) > 0) | ~known[None, :]
        np.fill_diagonal(meets, False)
        lonely = [people.names[i] for i in np.flatnonzero(known & (meets.sum(axis=1) < options.lower - 1))]
        if lonely:
            blockers.append(Blocker(
                f"{len(lonely)} applicant{'s share' if len(lonely) > 1 else ' shares'} no meeting time with enough "
                f"others for a circle: {_listed(lonely)}. Their circles may have no common time.",
                ["Waitlist them", "Make availability less than essential", "Ask them for more times"], stops=False))
    if options.weight("institution") >= WEIGHTS["essential"]:
        crowded = [(name, count) for name, count in Counter(i for i in people.institution if i).items()
                   if count > groups]
        if crowded:
            listed = _listed([f"{name} ({count})" for name, count in crowded], "; ")
            blockers.append(Blocker(
                f"Too few circles ({groups}) to keep colleagues apart: {listed}. Some circles will hold two "
                "people from one institution.",
                ["Waitlist some of them", "Make 'different institutions' less than essential"], stops=False))
    return blockers
