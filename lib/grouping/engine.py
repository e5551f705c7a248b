"""`solve`: pick the exact model or the search (or both), keep the hard rules, report what was proven.

"auto" runs CP-SAT alone on small problems (up to EXACT_UNITS units, EXACT_UNITS_CLIQUE when all groups are
alike), where it usually proves optimality in well under a second ("cp-sat"); if it has not proven it within
EXACT_SHARE of the time, the tabu search continues from its answer and the better of the two is returned, with
CP-SAT's bound ("cp-sat+search"). Larger problems go to the iterated tabu search alone ("search"), which
proves nothing (bound None). "cp-sat" and "search" force one side. Answers are compared lexicographically:
fewer forbidden pairs, then fewer soft points (labels, slots), then the objective. A returned solution never
breaks a hard rule: when the search cannot shed a forbidden pair, CP-SAT finds an arrangement that keeps them
all (or proves there is none: Infeasible).

`iterations` (keyword only) bounds the search by moves rather than by the clock, and CP-SAT by its
deterministic time, so that a run repeats exactly on a loaded machine (the tests use it); `seconds` still
applies to the search.
"""
from __future__ import annotations

import time

import numpy as np

from .exact import build_and_solve, clique_eligible
from .model import Compiled, Infeasible, Problem, Solution, compile_problem, score
from .search import random_assignment, tabu_search

# Up to this many units (people, with must-be-together pairs merged) "auto" tries to prove optimality: the
# clique model (all groups alike) proves 16 random people in 4 groups in about 0.3 s, the assignment model
# (different bounds, pins, slots, fairness) 12 people in a few seconds at worst.
EXACT_UNITS = 12
EXACT_UNITS_CLIQUE = 16
# Share of the time budget CP-SAT gets in "auto" before the search takes over.
EXACT_SHARE = 0.7
METHODS = ("auto", "cp-sat", "search")


def penalty_of(c: Compiled, assign: np.ndarray) -> tuple[int, int]:
    """(forbidden pairs sharing a group, soft points: same-label pairs plus people missing their group's slot)."""
    same = assign[:, None] == assign[None, :]
    forbidden = int((c.forbid & same).sum() // 2)
    soft = int((c.label_pairs * same).sum() // 2)
    if c.slot_names:
        for g in range(c.groups):
            members = assign == g
            if members.any():
                soft += int(c.weight[members].sum() - c.avail[members].sum(axis=0).max())
    return forbidden, soft


def _feasible_start(c: Compiled, seconds: float, seed: int) -> np.ndarray:
    """An assignment keeping every hard rule, from CP-SAT; raise Infeasible when there is none (or none found)."""
    result = build_and_solve(c, max(1.0, seconds), seed, feasibility_only=True, deterministic=True)
    if result.assign is None:
        raise Infeasible(f"No arrangement respecting the group sizes, pins, must-be-together and forbidden pairs was "
                         f"found within {max(1.0, seconds):.0f} seconds; the rules may contradict each other")
    return result.assign


def solve(problem: Problem, seconds: float = 10.0, seed: int = 0, method: str = "auto", *,
          iterations: int | None = None) -> Solution:
    """Best grouping found within `seconds` (or `iterations` search moves, for reproducible runs)."""
    began = time.perf_counter()
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    c = compile_problem(problem)
    units = len(c.units)

    def left() -> float:
        """Seconds left of the budget."""
        return max(0.0, seconds - (time.perf_counter() - began))

    candidates = []  # (unit -> group array, method label)
    exact = None
    small = units <= (EXACT_UNITS_CLIQUE if clique_eligible(c) else EXACT_UNITS)
    if method == "cp-sat" or (method == "auto" and small):
        share = 1.0 if method == "cp-sat" else EXACT_SHARE
        try:
            exact = build_and_solve(c, seconds * share, seed, deterministic=iterations is not None)
        except OverflowError:
            exact = None  # scores too large or too fine for 64-bit integers: the search alone then
        if exact is not None and exact.assign is not None:
            candidates.append((exact.assign, "cp-sat"))
    if exact is None or not exact.proven:
        start = exact.assign if exact is not None and exact.assign is not None else None
        if start is None and random_assignment(c, np.random.default_rng(seed)) is None:
            start = _feasible_start(c, left(), seed)
        found = tabu_search(c, left(), seed, iterations=iterations, start=start)
        if found is not None:
            candidates.append((found.assign, "search" if exact is None else "cp-sat+search"))
    ranked = []
    for order, (assign, label) in enumerate(candidates):
        forbidden, soft = penalty_of(c, assign)
        objective = score(problem, c.people_groups(assign), method=label).objective if len(candidates) > 1 else 0.0
        ranked.append(((forbidden, soft, -objective, order), assign, label, soft))
    ranked.sort(key=lambda item: item[0])
    if not ranked or ranked[0][0][0] > 0:
        # The search could not shed every forbidden pair: get a feasible assignment, then improve it.
        start = _feasible_start(c, left(), seed)
        found = tabu_search(c, left(), seed, iterations=iterations if iterations is not None else 20 * units,
                            start=start)
        assign = found.assign if found is not None and penalty_of(c, found.assign)[0] == 0 else start
        ranked = [((0, 0, 0.0, 0), assign, "search" if exact is None else "cp-sat+search", penalty_of(c, assign)[1])]
    _, assign, label, soft = ranked[0]
    bound = None
    proven = False
    # CP-SAT's bound holds for answers with as many soft points as its own, hence for any with fewer.
    if exact is not None and exact.assign is not None and exact.bound is not None and soft <= exact.penalty:
        bound = exact.bound
        proven = exact.proven and label == "cp-sat"
    if exact is not None and not exact.proven:
        label = "cp-sat+search"  # both ran, whichever answer won
    solution = score(problem, c.people_groups(assign), method=label, bound=bound)
    solution.optimal = bool(proven and solution.gap is not None and solution.gap <= 1e-6)
    solution.seconds = time.perf_counter() - began
    return solution
