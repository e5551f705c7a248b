"""Circle drafts: read and explain them, propose new ones with the grouping engine, compare two.

Hand edits are in `edits`. Every change to a draft names the version it was made on; a change made on an
older version is refused with a ConflictError that says who changed the draft since, so two committee
members never overwrite each other silently.
"""
from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from ..db import audit, first, scalar, writing
from ..grouping.engine import solve
from ..grouping.model import Infeasible, Problem, evaluate
from . import applications
from . import criteria
from .criteria import Blocker, Options, People

FINAL, DRAFT, SUPERSEDED = "final", "draft", "superseded"
BREAKDOWN_MAX = 300
RELAXED_KEPT = 12  # notes of rules the engine had to relax, kept with the draft (then how many more)


class NotFormable(ValueError):
    """The circles cannot be formed as asked; `blockers` says why and what to do."""

    def __init__(self, blockers: list[Blocker]) -> None:
        super().__init__(" ".join(b.message for b in blockers))
        self.blockers = blockers


@dataclass
class Circle:
    """One circle of a draft, with what its members share and what is wrong with it."""

    id: int
    name: str
    members: list[dict]
    facilitator: str | None
    slot: str | None
    format: str | None
    score: float                      # 0-100: the mean pair score of the circle against a perfect pair
    breakdown: dict[str, float]       # criterion label -> 0-100 over the circle's pairs
    shared_interests: list[tuple[str, int]]
    common_slots: list[str]
    warnings: list[str]


@dataclass
class Draft:
    """A proposal or the final circles of a cycle, read whole."""

    id: int
    cycle: str
    name: str
    status: str
    version: int
    options: Options
    solver: dict
    created_by: str | None
    created_at: datetime | None
    updated_by: str | None
    updated_at: datetime | None
    finalised_by: str | None
    finalised_at: datetime | None
    circles: list[Circle] = field(default_factory=list)
    unplaced: list[dict] = field(default_factory=list)   # eligible applicants in no circle, with a reason
    score: float = 0.0                # mean of circle scores
    worst: float = 0.0                # lowest circle score

    def circle_of(self, person_id: int) -> Circle | None:
        """The circle a person is in, or None."""
        return next((c for c in self.circles if any(m["person_id"] == person_id for m in c.members)), None)


# ---------------------------------------------------------------- reading

def pool(conn: duckdb.DuckDBPyConnection, cycle: str) -> pd.DataFrame:
    """Every applicant of the cycle with eligibility (lib.circles.applications), the eligible first."""
    return applications.applicants(conn, cycle)


def eligible(conn: duckdb.DuckDBPyConnection, cycle: str) -> pd.DataFrame:
    """The cycle's eligible applicants, one row each."""
    frame = pool(conn, cycle)
    return frame[frame["eligible"].astype(bool)].reset_index(drop=True) if len(frame) else frame


def list_drafts(conn: duckdb.DuckDBPyConnection, cycle: str) -> pd.DataFrame:
    """The cycle's drafts, final first then newest: id, name, status, circles, people, who, when, solver (JSON)."""
    return conn.execute("""
        SELECT d.id, d.name, d.status, count(DISTINCT c.id) AS circles, count(m.person_id) AS people,
               d.created_by, d.created_at, coalesce(d.updated_by, d.created_by) AS updated_by,
               coalesce(d.updated_at, d.created_at) AS updated_at, d.finalised_by, d.finalised_at, d.version, d.solver
        FROM circle_drafts d LEFT JOIN circles c ON c.draft_id = d.id LEFT JOIN circle_members m ON m.circle_id = c.id
        WHERE d.cycle = ?
        GROUP BY d.id, d.name, d.status, d.created_by, d.created_at, d.updated_by, d.updated_at, d.finalised_by,
                 d.finalised_at, d.version, d.solver
        ORDER BY d.status = 'final' DESC, coalesce(d.updated_at, d.created_at) DESC, d.id DESC""", [cycle]).df()


def final_draft_id(conn: duckdb.DuckDBPyConnection, cycle: str) -> int | None:
    """The id of the cycle's final circles, or None."""
    return scalar(conn, "SELECT max(id) FROM circle_drafts WHERE cycle = ? AND status = 'final'", [cycle])


def pair_rules(conn: duckdb.DuckDBPyConnection, cycle: str) -> dict[str, list[tuple[int, int]]]:
    """The cycle's forbidden pairs and pairs kept together, as person-id pairs."""
    forbidden = conn.execute("SELECT person_a, person_b FROM forbidden_pairs WHERE cycle = ? ORDER BY 1, 2",
                             [cycle]).fetchall()
    together = conn.execute("SELECT person_a, person_b FROM together_pairs WHERE cycle = ? ORDER BY 1, 2",
                            [cycle]).fetchall()
    return {"forbidden": [tuple(p) for p in forbidden], "together": [tuple(p) for p in together]}


def load(conn: duckdb.DuckDBPyConnection, draft_id: int) -> Draft:
    """Read a draft whole: its circles with scores, shared interests and warnings, and who is unplaced."""
    row = first(conn.execute("""
        SELECT id, cycle, name, status, version, weights, solver, created_by, created_at, updated_by, updated_at,
               finalised_by, finalised_at FROM circle_drafts WHERE id = ?""", [draft_id]).fetchall())
    if row is None:
        raise ValueError(f"There is no circle draft {draft_id} (deleted meanwhile?)")
    draft = Draft(id=row[0], cycle=row[1], name=row[2], status=row[3], version=row[4],
                  options=Options.from_json(row[5]), solver=json.loads(row[6]) if row[6] else {},
                  created_by=row[7], created_at=row[8], updated_by=row[9], updated_at=row[10],
                  finalised_by=row[11], finalised_at=row[12])
    # Circle A ... Z, then AA: shorter names first, so the letters read in order.
    circles = conn.execute("""
        SELECT c.id, c.name, c.facilitator, c.meeting_slot, c.format,
               list(m.person_id ORDER BY m.person_id) FILTER (WHERE m.person_id IS NOT NULL),
               list(m.person_id ORDER BY m.person_id) FILTER (WHERE m.pinned)
        FROM circles c LEFT JOIN circle_members m ON m.circle_id = c.id
        WHERE c.draft_id = ? GROUP BY c.id, c.name, c.facilitator, c.meeting_slot, c.format
        ORDER BY length(c.name), c.name""", [draft_id]).fetchall()
    everyone = pool(conn, draft.cycle)
    placed_ids = [p for c in circles for p in (c[5] or [])]
    # Members of an imported roster may have no application this cycle; they still show, by name.
    applied = set(everyone["person_id"].tolist()) if len(everyone) else set()
    extra = [p for p in placed_ids if p not in applied]
    frame = pd.concat([everyone, _people_without_application(conn, extra)], ignore_index=True) if extra else everyone
    by_id = {int(r["person_id"]): r for r in frame.to_dict("records")}
    people = People.from_frame(frame) if len(frame) else None
    index = {pid: i for i, pid in enumerate(people.ids)} if people else {}
    rules = pair_rules(conn, draft.cycle)
    for cid, name, facilitator, slot, fmt, member_ids, pinned in circles:
        member_ids = member_ids or []
        members = [_member(by_id.get(p), p, p in (pinned or [])) for p in member_ids]
        # Scores are computed per circle: the whole pool's matrices would not fit at statewide scale.
        inside = people.subset([index[p] for p in member_ids if p in index]) if people else None
        unweighted = criteria.matrices(inside, draft.options.stage_mode) if inside else {}
        draft.circles.append(_describe(cid, name, facilitator, slot, fmt, members, list(range(len(inside or []))),
                                       inside, unweighted, draft.options, rules))
    placed = set(placed_ids)
    for record in (everyone.to_dict("records") if len(everyone) else []):
        if bool(record["eligible"]) and int(record["person_id"]) not in placed:
            member = _member(record, int(record["person_id"]), False)
            member["reason"] = draft.options.waitlist.get(int(record["person_id"]), "not placed in any circle")
            draft.unplaced.append(member)
    scores = [c.score for c in draft.circles if c.members]
    draft.score = float(np.mean(scores)) if scores else 0.0
    draft.worst = float(min(scores)) if scores else 0.0
    return draft


def _people_without_application(conn: duckdb.DuckDBPyConnection, person_ids: list[int]) -> pd.DataFrame:
    """Minimal rows for circle members who have no application in the cycle."""
    return conn.execute("""
        SELECT p.id AS person_id, p.name, p.email, i.name AS institution, i.type AS institution_type,
               i.region, false AS eligible
        FROM people p LEFT JOIN institutions i ON i.id = p.institution_id
        WHERE list_contains(?::INTEGER[], p.id)""", [person_ids]).df()


_MEMBER_FIELDS = ("name", "email", "institution", "institution_type", "region", "job_title", "career_stage",
                  "format", "interests", "availability", "goals")


def _member(record: dict | None, person_id: int, pinned: bool) -> dict:
    """A circle member as the page and the exports show them."""
    record = record or {}
    member = {"person_id": person_id, "pinned": pinned}
    for key in _MEMBER_FIELDS:
        value = record.get(key)
        if hasattr(value, "tolist"):
            value = value.tolist()
        if isinstance(value, float) and np.isnan(value):
            value = None
        member[key] = value
    member["name"] = member["name"] or member["email"] or f"Person {person_id}"
    member["eligible"] = bool(record.get("eligible", False))
    return member


def _describe(cid: int, name: str, facilitator: str | None, slot: str | None, fmt: str | None, members: list[dict],
              idx: list[int], people: People | None, unweighted: dict[str, np.ndarray], options: Options,
              rules: dict[str, list[tuple[int, int]]]) -> Circle:
    """Score one circle and say what its members share and what is wrong with it."""
    pairs = [(a, b) for k, a in enumerate(idx) for b in idx[k + 1:]]
    breakdown: dict[str, float] = {}
    total_weight = sum(options.weight(key) for key in criteria.LABELS) or 1.0
    score = 0.0
    for key, label in criteria.LABELS.items():
        if not pairs or key not in unweighted:
            continue
        mean = float(np.mean([unweighted[key][a, b] for a, b in pairs]))
        breakdown[label] = round(100 * mean, 1)
        score += 100 * mean * options.weight(key) / total_weight
    interests = sorted(((topic, count) for topic, count in _counts(m.get("interests") for m in members).items()
                        if count >= 2), key=lambda item: (-item[1], item[0]))
    slot_sets = [people.slots[i] for i in idx if people and people.slots[i]] if people else []
    common = sorted(frozenset.intersection(*slot_sets)) if slot_sets else []
    warnings = _warnings(members, idx, people, common, options, rules)
    return Circle(id=cid, name=name, members=members, facilitator=facilitator,
                  slot=slot if slot in common else (common[0] if common else None), format=fmt,
                  score=round(score, 1) if pairs else 0.0, breakdown=breakdown, shared_interests=interests,
                  common_slots=common, warnings=warnings)


def _counts(lists) -> dict[str, int]:
    """How many members list each value."""
    counts: dict[str, int] = {}
    for values in lists:
        for value in set(values or []):
            counts[value] = counts.get(value, 0) + 1
    return counts


def _warnings(members: list[dict], idx: list[int], people: People | None, common: list[str], options: Options,
              rules: dict[str, list[tuple[int, int]]]) -> list[str]:
    """Plain-English problems of one circle."""
    out: list[str] = []
    size = len(members)
    if size and not options.lower <= size <= options.upper and not (options.allow_seven and size == 7):
        out.append(f"{size} members: circles have {options.lower} to {options.upper}.")
    by_institution: dict[str, list[str]] = {}
    for m in members:
        if m.get("institution"):
            by_institution.setdefault(m["institution"], []).append(m["name"])
    for institution, names in sorted(by_institution.items()):
        if len(names) > 1:
            out.append(f"{len(names)} from {institution}: {', '.join(names)}.")
    if people and idx and any(people.slots[i] for i in idx) and not common:
        out.append("No meeting time that every member has.")
    if people and idx:
        formats = [people.format[i] for i in idx]
        if any("person" in f for f in formats) and any("virtual" in f for f in formats):
            out.append("Mixes members who want to meet in person with members who want to meet online only.")
        far = [(people.names[a], people.names[b]) for k, a in enumerate(idx) for b in idx[k + 1:]
               if "person" in people.format[a] and "person" in people.format[b]
               and (criteria.miles(people.place[a], people.place[b]) or 0) > 2 * criteria.NEARBY_MILES]
        if far:
            out.append(f"In-person members far apart: {'; '.join(f'{a} and {b}' for a, b in far[:3])}.")
    ids = {m["person_id"]: m["name"] for m in members}
    for a, b in rules["forbidden"]:
        if a in ids and b in ids:
            out.append(f"{ids[a]} and {ids[b]} are not to be in one circle.")
    for a, b in rules["together"]:
        if (a in ids) != (b in ids):
            inside = ids.get(a) or ids.get(b)
            out.append(f"{inside} is to be kept with someone in another circle.")
    for m in members:
        if not m.get("eligible"):
            out.append(f"{m['name']} is not eligible this year.")
    return out


# ---------------------------------------------------------------- proposing

def _letters(index: int) -> str:
    """Circle A, B, ... Z, AA, AB ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = string.ascii_uppercase[rest] + letters
    return letters


def _problem(people: People, options: Options, rules: dict, shape: list[tuple[int, int]],
             pins: dict[int, int] | None = None) -> Problem:
    """The engine's problem for these people: weighted scores, pins, pair rules, hard-when-feasible rules."""
    unweighted = criteria.matrices(people, options.stage_mode)
    scores, parts = criteria.weighted(unweighted, options)
    index = {pid: i for i, pid in enumerate(people.ids)}

    def pairs(kind: str) -> list[tuple[int, int]]:
        """A cycle's pair rule as engine indices (people not being grouped dropped)."""
        return [(index[a], index[b]) for a, b in rules[kind] if a in index and b in index]

    essential = criteria.WEIGHTS["essential"]
    return Problem(
        # The engine's per-criterion breakdown is only asked for at committee scale: at statewide scale the
        # matrices would cost a gigabyte, and the page explains circles from their own members anyway.
        scores=scores, sizes=shape, criteria=parts if len(people) <= BREAKDOWN_MAX else {},
        pins={index[p]: g for p, g in (pins or {}).items() if p in index},
        forbidden=pairs("forbidden"), together=pairs("together"),
        labels=list(people.institution) if options.weight("institution") >= essential else None,
        slots=list(people.slots) if options.weight("availability") >= essential else None,
        fairness=options.fairness,
    )


def _form(people: People, options: Options, rules: dict, pins: dict[int, int] | None = None,
          circles: int | None = None):
    """Run the engine; returns (groups of person ids, slots per group, solver summary)."""
    if circles is not None:
        options = Options(**{**options.__dict__, "count": circles})
    blockers = [b for b in criteria.check(people, options) if b.stops]
    if blockers:
        raise NotFormable(blockers)
    shape = criteria.sizes(len(people), options)
    try:
        solution = solve(_problem(people, options, rules, shape, pins), seconds=options.seconds, seed=options.seed,
                         iterations=options.iterations)
    except Infeasible as exc:
        raise NotFormable([Blocker(str(exc), ["Remove a pin or a pair rule", "Change the number of circles"])]) from exc
    groups = [[people.ids[i] for i in group] for group in solution.groups]
    relaxed = solution.relaxed[:RELAXED_KEPT]
    if len(solution.relaxed) > RELAXED_KEPT:
        relaxed.append(f"... and {len(solution.relaxed) - RELAXED_KEPT} more such notes")
    summary = {"method": solution.method, "optimal": solution.optimal, "gap": solution.gap,
               "seconds": round(solution.seconds, 2), "objective": round(solution.objective, 2),
               "relaxed": relaxed}
    return groups, solution.slot, summary


def solver_words(solver: dict | None) -> str:
    """How sure the engine is of a draft, in words: 'proven the best possible' or 'the best found in 5 s'.

    The bound behind it (CP-SAT's gap, kept in the JSON) is not a score out of 100, so it is not shown to people.
    """
    if not solver:
        return "not formed by the engine (imported or made by hand)"
    if solver.get("optimal"):
        return "proven the best possible"
    seconds = float(solver.get("seconds") or 0.0)
    return f"the best found in {seconds:.0f} s" if seconds >= 1 else "the best found in under a second"


class SameProposal(ValueError):
    """A proposal with exactly the circles of a draft the cycle already has: nothing new was saved."""

    def __init__(self, draft_id: int, name: str, seed: int) -> None:
        super().__init__(f"This proposal is the same as '{name}': nothing new was saved. Try another seed "
                         f"(for example {seed + 1}) or change what matters.")
        self.draft_id, self.name, self.next_seed = draft_id, name, seed + 1


def _same_as(conn: duckdb.DuckDBPyConnection, cycle: str, groups: list[list[int]]) -> tuple[int, str] | None:
    """The draft of the cycle (newest first) whose circles hold exactly these groups, or None."""
    wanted = sorted(sorted(g) for g in groups)
    rows = conn.execute("""
        SELECT d.id, d.name, list(m.person_id ORDER BY m.person_id) FILTER (WHERE m.person_id IS NOT NULL)
        FROM circle_drafts d JOIN circles c ON c.draft_id = d.id LEFT JOIN circle_members m ON m.circle_id = c.id
        WHERE d.cycle = ? GROUP BY d.id, d.name, c.id ORDER BY d.id DESC""", [cycle]).fetchall()
    by_draft: dict[tuple[int, str], list[list[int]]] = {}
    for draft_id, name, members in rows:
        by_draft.setdefault((draft_id, name), []).append(sorted(members or []))
    return next((key for key, circles in by_draft.items() if sorted(c for c in circles if c) == wanted), None)


def _next_name(conn: duckdb.DuckDBPyConnection, cycle: str) -> str:
    """'Proposal N': one more than the highest N among the cycle's proposals (an imported roster is not one)."""
    names = [r[0] for r in conn.execute("SELECT name FROM circle_drafts WHERE cycle = ?", [cycle]).fetchall()]
    numbers = [int(n.split()[1]) for n in names if len(n.split()) == 2 and n.split()[0] == "Proposal"
               and n.split()[1].isdigit()]
    return f"Proposal {max(numbers, default=0) + 1}"


def check(conn: duckdb.DuckDBPyConnection, cycle: str, options: Options | None = None) -> list[Blocker]:
    """What stands in the way of forming the cycle's circles with these options (before solving)."""
    options = options or Options()
    frame = eligible(conn, cycle)
    frame = frame[~frame["person_id"].isin(list(options.waitlist))] if len(frame) else frame
    return criteria.check(People.from_frame(frame), options)


def propose(conn: duckdb.DuckDBPyConnection, cycle: str, options: Options | None, actor: str,
            name: str | None = None, allow_same: bool = False) -> int:
    """Form the cycle's eligible applicants (minus the waitlist) into circles and save them as a new draft.

    Circles identical to a draft the cycle already has are not saved again (SameProposal names that draft),
    unless `allow_same`.
    """
    options = options or Options()
    frame = eligible(conn, cycle)
    frame = frame[~frame["person_id"].isin(list(options.waitlist))] if len(frame) else frame
    people = People.from_frame(frame)
    groups, slots, summary = _form(people, options, pair_rules(conn, cycle))
    with writing(conn, "the circle drafts") as tx:
        same = _same_as(tx, cycle, groups) if not allow_same else None
        if same is not None:
            raise SameProposal(same[0], same[1], options.seed)
        name = name if name is not None else _next_name(tx, cycle)
        _check_name(tx, cycle, name)
        draft_id = scalar(tx, """INSERT INTO circle_drafts (cycle, name, status, weights, solver, created_by)
                                 VALUES (?, ?, 'draft', ?, ?, ?) RETURNING id""",
                          [cycle, name, options.to_json(), json.dumps(summary), actor])
        for g, (members, slot) in enumerate(zip(groups, slots)):
            circle_id = scalar(tx, "INSERT INTO circles (draft_id, cycle, name, meeting_slot) VALUES (?, ?, ?, ?)"
                                   " RETURNING id", [draft_id, cycle, f"Circle {_letters(g)}", slot])
            tx.executemany("INSERT INTO circle_members (circle_id, person_id) VALUES (?, ?)",
                           [[circle_id, p] for p in members])
        audit(tx, actor, "circles.propose", "circle_draft", draft_id,
              {"cycle": cycle, "name": name, "circles": groups, "solver": summary})
    return draft_id


def _check_name(conn: duckdb.DuckDBPyConnection, cycle: str, name: str) -> None:
    """Refuse an empty or taken draft name."""
    if not name.strip():
        raise ValueError("Give the draft a name.")
    if scalar(conn, "SELECT count(*) FROM circle_drafts WHERE cycle = ? AND name = ?", [cycle, name]):
        raise ValueError(f"{cycle} already has a draft called '{name}'; choose another name.")


# ---------------------------------------------------------------- comparing

def compare(conn: duckdb.DuckDBPyConnection, a: int, b: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two drafts side by side: (summary per draft, each person's circle in both with who moved)."""
    first_draft, second = load(conn, a), load(conn, b)
    summary = pd.DataFrame([
        {"Draft": d.name, "Status": d.status, "Circles": len(d.circles),
         "Placed": sum(len(c.members) for c in d.circles), "Not placed": len(d.unplaced),
         "Mean score": round(d.score, 1), "Worst circle": round(d.worst, 1),
         "Warnings": sum(len(c.warnings) for c in d.circles)}
        | {label: round(float(np.mean([c.breakdown.get(label, 0.0) for c in d.circles if c.members] or [0.0])), 1)
           for label in criteria.LABELS.values()}
        for d in (first_draft, second)])
    names = {}
    for d in (first_draft, second):
        for c in d.circles:
            for m in c.members:
                names[m["person_id"]] = m["name"]
        for m in d.unplaced:
            names[m["person_id"]] = m["name"]
    rows = []
    for person_id, name in names.items():
        ca, cb = first_draft.circle_of(person_id), second.circle_of(person_id)
        rows.append({"Name": name, first_draft.name: ca.name if ca else "not placed",
                     second.name if second.name != first_draft.name else f"{second.name} (2)":
                         cb.name if cb else "not placed"})
    people = pd.DataFrame(rows)
    if len(people):
        # Same circle membership is what matters, not the letter: two drafts may label the same group differently.
        same = {person_id: _companions(first_draft, person_id) == _companions(second, person_id) for person_id in names}
        people["Same companions"] = [same[pid] for pid in names]
        people = people.sort_values(["Same companions", "Name"], key=lambda s: s.map(str).str.lower()
                                    if s.name == "Name" else s).reset_index(drop=True)
    return summary, people


def summary_by_measure(summary: pd.DataFrame) -> pd.DataFrame:
    """compare()'s summary turned: one row per measure, one column per draft (as text, numbers as shown)."""
    names = list(summary["Draft"])
    if len(names) == 2 and names[0] == names[1]:
        names[1] = f"{names[1]} (2)"
    rows = [{"Measure": column, **{name: "" if pd.isna(value) else str(value)
                                   for name, value in zip(names, summary[column])}}
            for column in summary.columns if column != "Draft"]
    return pd.DataFrame(rows, columns=["Measure", *names])


def _companions(draft: Draft, person_id: int) -> frozenset[int]:
    """Who shares a circle with a person in a draft."""
    circle = draft.circle_of(person_id)
    return frozenset(m["person_id"] for m in circle.members) if circle else frozenset()


def evaluate_groups(conn: duckdb.DuckDBPyConnection, cycle: str, groups: list[list[int]],
                    options: Options | None = None):
    """Score a hand-made grouping of person ids with the engine (for tests and comparisons)."""
    options = options or Options()
    frame = eligible(conn, cycle)
    people = People.from_frame(frame)
    index = {pid: i for i, pid in enumerate(people.ids)}
    problem = _problem(people, options, pair_rules(conn, cycle), [(len(g), len(g)) for g in groups])
    return evaluate(problem, [[index[p] for p in g] for g in groups])
