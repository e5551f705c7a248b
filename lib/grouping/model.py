"""The grouping problem and its answer: data classes, plain-English feasibility checks, scoring of an assignment.

People are numbered 0..n-1 and groups 0..G-1 everywhere, in the messages too (they are indices into the
caller's lists). The solvers work on "units": people who must be together (the `together` pairs, joined
transitively) are merged into one unit before searching, so that rule can never be broken by a move.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}


class Infeasible(ValueError):
    """The hard rules (sizes, pins, forbidden and together pairs) cannot all hold; the message says why."""


@dataclass
class Problem:
    """N people to put into groups with size bounds, maximising the sum of pair scores within groups."""

    scores: np.ndarray                      # n x n, symmetric, zero diagonal: the pair scores to maximise
    sizes: list[tuple[int, int]]            # (lower, upper) people per group
    criteria: dict[str, np.ndarray] = field(default_factory=dict)  # weighted n x n parts, for the breakdown only
    pins: dict[int, int] = field(default_factory=dict)             # person -> group (hard)
    forbidden: list[tuple[int, int]] = field(default_factory=list)  # never in one group (hard)
    together: list[tuple[int, int]] = field(default_factory=list)   # always in one group (hard)
    labels: list[str | None] | None = None  # at most one person per label per group, when feasible
    slots: list[frozenset[str]] | None = None  # a slot common to each group, when feasible; empty = any
    fairness: float = 0.0                   # objective = total + fairness * P * worst (see Solution)


@dataclass
class Solution:
    """Groups found (or given) for a Problem, with their scores and what could not be met."""

    groups: list[list[int]]            # sorted members per group, in group order
    objective: float                   # total + fairness * P * worst, P = pairs within groups
    total: float                       # sum of pair scores within groups
    group_scores: list[float]
    worst: float                       # lowest mean pair score over groups of two or more people (0 if none)
    breakdown: list[dict[str, float]]  # per group, per criterion: its sum over the group's pairs
    slot: list[str | None]             # alphabetically first common slot, None if none or no slots given
    relaxed: list[str]                 # when-feasible rules not met (for evaluate: hard rules broken too)
    optimal: bool                      # proven optimal (within 1e-6 relative: the solver's rounding)
    bound: float | None                # proven upper bound on the objective, when known
    gap: float | None                  # (bound - objective) / max(1, |objective|)
    seconds: float
    method: str                        # "cp-sat", "search", "cp-sat+search" or "given"


def _people(count: int) -> str:
    """'one person', 'two people', '12 people'."""
    if count == 1:
        return "one person"
    return f"{_WORDS.get(count, count)} people"


def groups_for(n: int, lower: int = 4, upper: int = 6, count: int | None = None) -> list[tuple[int, int]]:
    """Size bounds for n people in groups of lower..upper people (count groups, or the count nearest n/mid-size)."""
    if lower < 0 or upper < lower or upper < 1:
        raise Infeasible(f"Group sizes of {lower} to {upper} people make no sense: the upper size must be at "
                         "least the lower one and at least 1")
    if n < 0:
        raise Infeasible(f"The number of people cannot be negative ({n})")
    if count is not None:
        if count < 1:
            raise Infeasible(f"The number of groups must be at least 1 (got {count})")
        if not count * lower <= n <= count * upper:
            raise Infeasible(f"{n} people cannot form {count} group{'s' if count != 1 else ''} of {lower} to {upper} "
                             f"people: {count} such groups need between {count * lower} and {count * upper} people")
        return [(lower, upper)] * count
    if n < lower or n == 0:
        raise Infeasible(f"{_people(n).capitalize()} {'is' if n == 1 else 'are'} too few for one group of at least "
                         f"{lower}")
    feasible = [k for k in range(max(1, -(-n // upper)), (n // lower if lower else n) + 1)
                if k * lower <= n <= k * upper]
    if not feasible:
        fewer = n // upper
        more = fewer + 1
        raise Infeasible(f"{n} people cannot be split into groups of {lower} to {upper}: {fewer} group"
                         f"{'s take' if fewer != 1 else ' takes'} at most {fewer * upper} people and {more} groups "
                         f"need at least {more * lower}")
    middle = (lower + upper) / 2
    # Ties go to more, smaller groups: a circle of four talks more than one of six.
    best = min(feasible, key=lambda k: (abs(k - n / middle), -k))
    return [(lower, upper)] * best


# ------------------------------------------------------------------------------------------------------
# Compilation: checks, then the unit-level data the solvers share
# ------------------------------------------------------------------------------------------------------

@dataclass
class Compiled:
    """A checked Problem in unit form (people who must be together merged), shared by both solvers."""

    problem: Problem
    n: int
    lo: np.ndarray                      # per group, people
    hi: np.ndarray
    units: list[list[int]]              # members of each unit, sorted
    unit_of: np.ndarray                 # person -> unit
    weight: np.ndarray                  # people per unit
    D: np.ndarray                       # unit x unit score (sum over member pairs), zero diagonal
    internal: np.ndarray                # score inside each unit (constant)
    pin: np.ndarray                     # unit -> pinned group or -1
    forbid: np.ndarray                  # unit x unit bool
    label_pairs: np.ndarray             # unit x unit: same-label person pairs across the two units
    label_internal: int                 # same-label pairs inside units (cannot be avoided)
    slot_names: list[str]               # every slot anyone gave, sorted
    avail: np.ndarray                   # unit x slot: members available at the slot (unknown = all)
    fairness: float

    @property
    def groups(self) -> int:
        """Number of groups."""
        return len(self.lo)

    @property
    def has_soft(self) -> bool:
        """Whether labels or slots are in play."""
        return bool(self.label_pairs.any()) or self.label_internal > 0 or bool(self.slot_names)

    def people_groups(self, assign: np.ndarray) -> list[list[int]]:
        """Turn a unit -> group array into sorted member lists per group."""
        groups: list[list[int]] = [[] for _ in range(self.groups)]
        for unit, group in enumerate(assign):
            groups[int(group)].extend(self.units[unit])
        return [sorted(members) for members in groups]

    def unit_assign(self, groups: list[list[int]]) -> np.ndarray:
        """Turn member lists into a unit -> group array (the first member of each unit decides)."""
        assign = np.full(len(self.units), -1, dtype=np.int64)
        for g, members in enumerate(groups):
            for person in members:
                assign[self.unit_of[person]] = g
        return assign


def _matrix(value, n: int, name: str) -> np.ndarray:
    """A checked, symmetric n x n float matrix with a zero diagonal."""
    matrix = np.array(value, dtype=np.float64)
    if matrix.shape != (n, n):
        raise ValueError(f"{name} must be an {n} x {n} matrix, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError(f"{name} holds a value that is not a finite number")
    if not np.array_equal(matrix, matrix.T):
        if not np.allclose(matrix, matrix.T, rtol=1e-9, atol=1e-9):
            raise ValueError(f"{name} must be symmetric (the score of a and b is the score of b and a)")
        matrix = (matrix + matrix.T) / 2
    np.fill_diagonal(matrix, 0.0)
    return matrix


def _components(n: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Connected components of the together pairs (union-find), each sorted, ordered by first member."""
    parent = list(range(n))

    def root(x: int) -> int:
        """The representative of x's component (halving the path on the way)."""
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for person in range(n):
        members.setdefault(root(person), []).append(person)
    return sorted(members.values(), key=lambda m: m[0])


def _person(value, n: int, what: str) -> int:
    """A person index from the caller, checked against n."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what}: person {value!r} is not a whole number")
    if not 0 <= int(value) < n:
        raise Infeasible(f"{what} names person {value}, but people are numbered 0 to {n - 1}")
    return int(value)


def _list_people(people: list[int]) -> str:
    """'persons 1, 2 and 5'."""
    if len(people) == 1:
        return f"person {people[0]}"
    return "persons " + ", ".join(map(str, people[:-1])) + f" and {people[-1]}"


def compile_problem(problem: Problem) -> Compiled:
    """Check the problem (raise Infeasible with the reason when the hard rules contradict) and build units."""
    scores = np.asarray(problem.scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(f"scores must be a square n x n matrix, got shape {scores.shape}")
    n = scores.shape[0]
    scores = _matrix(scores, n, "scores")
    for name, matrix in problem.criteria.items():
        _matrix(matrix, n, f"criterion {name!r}")
    if not problem.sizes:
        raise Infeasible("There are no groups to put people into")
    lo = np.array([int(a) for a, _ in problem.sizes], dtype=np.int64)
    hi = np.array([int(b) for _, b in problem.sizes], dtype=np.int64)
    G = len(lo)
    for g in range(G):
        if lo[g] < 0 or hi[g] < lo[g]:
            raise Infeasible(f"Group {g} has sizes {lo[g]} to {hi[g]}: the upper size must be at least the lower one")
    if lo.sum() > n:
        raise Infeasible(f"The groups need at least {lo.sum()} people together (the sum of their lower sizes), "
                         f"but there are only {n}")
    if hi.sum() < n:
        raise Infeasible(f"The groups take at most {hi.sum()} people together (the sum of their upper sizes), "
                         f"but there are {n}")
    if not math.isfinite(problem.fairness) or problem.fairness < 0:
        raise ValueError("fairness must be a finite number, 0 or more")
    # Implied bounds: a group cannot take more than what the others' lower sizes leave, nor fewer than what
    # their upper sizes cannot hold. Tight bounds let the solvers see fixed sizes where there are some.
    lo, hi = np.maximum(lo, n - (hi.sum() - hi)), np.minimum(hi, n - (lo.sum() - lo))
    if problem.labels is not None and len(problem.labels) != n:
        raise ValueError(f"labels must have one entry per person ({n}), got {len(problem.labels)}")
    if problem.slots is not None and len(problem.slots) != n:
        raise ValueError(f"slots must have one entry per person ({n}), got {len(problem.slots)}")

    pins: dict[int, int] = {}
    for person, group in problem.pins.items():
        person = _person(person, n, "A pin")
        if isinstance(group, bool) or not isinstance(group, (int, np.integer)) or not 0 <= int(group) < G:
            raise Infeasible(f"Person {person} is pinned to group {group}, but the groups are numbered 0 to {G - 1}")
        pins[person] = int(group)
    together = [(_person(a, n, "A together pair"), _person(b, n, "A together pair")) for a, b in problem.together]
    forbidden = [(_person(a, n, "A forbidden pair"), _person(b, n, "A forbidden pair")) for a, b in problem.forbidden]
    together_set = {frozenset(p) for p in together if p[0] != p[1]}
    for a, b in forbidden:
        if a == b:
            raise Infeasible(f"Person {a} is forbidden from sharing a group with themselves")
        if frozenset((a, b)) in together_set:
            raise Infeasible(f"Persons {min(a, b)} and {max(a, b)} must be in one group and are also forbidden "
                             "from sharing one")

    units = _components(n, together)
    unit_of = np.empty(n, dtype=np.int64)
    for u, members in enumerate(units):
        unit_of[members] = u
    U = len(units)
    weight = np.array([len(m) for m in units], dtype=np.int64)
    pin = np.full(U, -1, dtype=np.int64)
    pinned_by = [-1] * U
    for person in sorted(pins):
        u, group = unit_of[person], pins[person]
        if pin[u] >= 0 and pin[u] != group:
            other = pinned_by[u]
            raise Infeasible(f"Person {other} is pinned to group {pin[u]} and must be with person {person}, who is "
                             f"pinned to group {group}")
        pin[u], pinned_by[u] = group, person
    for u, members in enumerate(units):
        if pin[u] >= 0 and weight[u] > hi[pin[u]]:
            raise Infeasible(f"{_list_people(members).capitalize()} must all be together and are pinned to group "
                             f"{pin[u]}, which takes at most {hi[pin[u]]}")
        if weight[u] > hi.max():
            raise Infeasible(f"{_list_people(members).capitalize()} must all be together ({weight[u]} people), but no "
                             f"group takes more than {hi.max()}")
    forbid = np.zeros((U, U), dtype=bool)
    for a, b in forbidden:
        ua, ub = unit_of[a], unit_of[b]
        if ua == ub:
            raise Infeasible(f"Persons {min(a, b)} and {max(a, b)} are linked by must-be-together pairs but are "
                             "forbidden from sharing a group")
        forbid[ua, ub] = forbid[ub, ua] = True
        if pin[ua] >= 0 and pin[ua] == pin[ub]:
            raise Infeasible(f"Persons {min(a, b)} and {max(a, b)} are forbidden from sharing a group, but both are "
                             f"pinned to group {pin[ua]} (directly or through people they must be with)")
    for g in range(G):
        pinned = weight[pin == g].sum()
        if pinned > hi[g]:
            raise Infeasible(f"{_people(int(pinned)).capitalize()} are pinned to group {g} (counting those who must be "
                             f"with them), but it takes at most {hi[g]}")
    # Units too heavy for every group they could reach make the sizes impossible; the exact packing is left to
    # the solver, which says so in plain words too.

    member = np.zeros((U, n))
    member[unit_of, np.arange(n)] = 1.0
    D = member @ scores @ member.T
    internal = np.diag(D).copy() / 2
    np.fill_diagonal(D, 0.0)

    label_pairs = np.zeros((U, U), dtype=np.int64)
    label_internal = 0
    if problem.labels is not None:
        codes: dict[str, int] = {}
        for label in problem.labels:
            if label is not None and label not in codes:
                codes[label] = len(codes)
        if codes:
            onehot = np.zeros((U, len(codes)), dtype=np.int64)
            for person, label in enumerate(problem.labels):
                if label is not None:
                    onehot[unit_of[person], codes[label]] += 1
            label_pairs = onehot @ onehot.T
            label_internal = int(((np.diag(label_pairs) - onehot.sum(axis=1)) // 2).sum())
            np.fill_diagonal(label_pairs, 0)

    slot_names = sorted({s for person_slots in (problem.slots or []) for s in person_slots})
    avail = np.zeros((U, len(slot_names)), dtype=np.int64)
    if slot_names:
        index = {s: k for k, s in enumerate(slot_names)}
        for person, person_slots in enumerate(problem.slots):
            if person_slots:
                for s in person_slots:
                    avail[unit_of[person], index[s]] += 1
            else:
                avail[unit_of[person], :] += 1
    return Compiled(problem=problem, n=n, lo=lo, hi=hi, units=units, unit_of=unit_of, weight=weight, D=D,
                    internal=internal, pin=pin, forbid=forbid, label_pairs=label_pairs, label_internal=label_internal,
                    slot_names=slot_names, avail=avail, fairness=float(problem.fairness))


# ------------------------------------------------------------------------------------------------------
# Scoring an assignment
# ------------------------------------------------------------------------------------------------------

def _check_groups(n: int, G: int, groups: list[list[int]]) -> list[list[int]]:
    """Member lists, checked: G groups, everyone exactly once."""
    if len(groups) != G:
        raise ValueError(f"Expected {G} groups, got {len(groups)}")
    seen = np.zeros(n, dtype=np.int64)
    clean = []
    for members in groups:
        row = []
        for person in members:
            if isinstance(person, bool) or not isinstance(person, (int, np.integer)) or not 0 <= int(person) < n:
                raise ValueError(f"Group member {person!r} is not a person number between 0 and {n - 1}")
            seen[int(person)] += 1
            row.append(int(person))
        clean.append(sorted(row))
    missing = [int(p) for p in np.flatnonzero(seen == 0)]
    twice = [int(p) for p in np.flatnonzero(seen > 1)]
    if missing:
        raise ValueError(f"{_list_people(missing).capitalize()} {'is' if len(missing) == 1 else 'are'} in no group")
    if twice:
        raise ValueError(f"{_list_people(twice).capitalize()} {'is' if len(twice) == 1 else 'are'} in more than one "
                         "group")
    return clean


def _group_sum(matrix: np.ndarray, members: list[int]) -> float:
    """Sum of a matrix over the unordered pairs of members."""
    if len(members) < 2:
        return 0.0
    block = matrix[np.ix_(members, members)]
    return float(block.sum() - np.trace(block)) / 2


def fairness_parts(group_scores: list[float], sizes: list[int]) -> tuple[float, int]:
    """The worst group mean pair score (over groups with a pair; 0 if none) and the number of pairs P."""
    means = [score / (size * (size - 1) / 2) for score, size in zip(group_scores, sizes) if size >= 2]
    pairs = sum(size * (size - 1) // 2 for size in sizes)
    return (min(means) if means else 0.0), pairs


def hard_breaches(problem: Problem, groups: list[list[int]]) -> list[str]:
    """Plain-English list of the hard rules a given assignment breaks (sizes, pins, forbidden, together)."""
    where = {person: g for g, members in enumerate(groups) for person in members}
    notes = []
    for g, (lower, upper) in enumerate(problem.sizes):
        size = len(groups[g])
        if size < lower:
            notes.append(f"Group {g} has {size} people, fewer than its lower size {lower}")
        elif size > upper:
            notes.append(f"Group {g} has {size} people, more than its upper size {upper}")
    for person, group in sorted(problem.pins.items()):
        if where.get(person) != group:
            notes.append(f"Person {person} is pinned to group {group} but is in group {where.get(person)}")
    for a, b in problem.forbidden:
        if where.get(a) == where.get(b):
            notes.append(f"Persons {min(a, b)} and {max(a, b)} must not share a group but are both in group "
                         f"{where.get(a)}")
    for a, b in problem.together:
        if where.get(a) != where.get(b):
            notes.append(f"Persons {min(a, b)} and {max(a, b)} must share a group but are in groups "
                         f"{where.get(min(a, b))} and {where.get(max(a, b))}")
    return notes


def soft_notes(problem: Problem, groups: list[list[int]]) -> tuple[list[str | None], list[str]]:
    """The common slot of each group, and notes on the when-feasible rules (labels, slots) not met."""
    notes = []
    if problem.labels is not None:
        for g, members in enumerate(groups):
            count: dict[str, list[int]] = {}
            for person in members:
                label = problem.labels[person]
                if label is not None:
                    count.setdefault(label, []).append(person)
            for label in sorted(count):
                if len(count[label]) > 1:
                    notes.append(f"Group {g} has {_people(len(count[label]))} from {label} "
                                 f"({_list_people(count[label])})")
    slots: list[str | None] = [None] * len(groups)
    universe = sorted({s for person_slots in (problem.slots or []) for s in person_slots})
    if universe:
        for g, members in enumerate(groups):
            if not members:
                continue
            common = set(universe)
            for person in members:
                if problem.slots[person]:
                    common &= problem.slots[person]
            if common:
                slots[g] = min(common)
            else:
                notes.append(f"Group {g} has no common slot")
    return slots, notes


def score(problem: Problem, groups: list[list[int]], *, method: str, seconds: float = 0.0, optimal: bool = False,
          bound: float | None = None) -> Solution:
    """Build the Solution of an assignment (the one place objective, worst, breakdown and notes are computed)."""
    scores = _matrix(problem.scores, len(problem.scores), "scores")
    groups = _check_groups(len(scores), len(problem.sizes), groups)
    group_scores = [_group_sum(scores, members) for members in groups]
    total = float(sum(group_scores))
    worst, pairs = fairness_parts(group_scores, [len(m) for m in groups])
    objective = total + problem.fairness * pairs * worst
    criteria = {name: np.asarray(matrix, dtype=np.float64) for name, matrix in problem.criteria.items()}
    breakdown = [{name: _group_sum(matrix, members) for name, matrix in criteria.items()} for members in groups]
    slots, notes = soft_notes(problem, groups)
    if method == "given":
        notes = hard_breaches(problem, groups) + notes
    if bound is not None:
        bound = max(bound, objective)
    gap = None if bound is None else (bound - objective) / max(1.0, abs(objective))
    return Solution(groups=groups, objective=objective, total=total, group_scores=group_scores, worst=worst,
                    breakdown=breakdown, slot=slots, relaxed=notes, optimal=optimal, bound=bound, gap=gap,
                    seconds=seconds, method=method)


def evaluate(problem: Problem, groups: list[list[int]]) -> Solution:
    """Score a given assignment (e.g. hand-edited circles); hard rules it breaks are listed in `relaxed` too."""
    return score(problem, groups, method="given")
