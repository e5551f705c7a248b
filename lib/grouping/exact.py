"""The exact model: CP-SAT over units (people who must be together merged), for small problems.

x[u, g] says unit u is in group g; y[u, v, g] stands for "u and v are both in g", tied to the x only in the
direction the objective needs (a positive score wants y up, so y <= x[u, g] and y <= x[v, g]; a penalty
wants it down, so y >= x[u, g] + x[v, g] - 1), plus the cut "the others in u's group number lower-w_u to
upper-w_u", which makes the linear relaxation much tighter. Interchangeable groups (same bounds, nobody
pinned) are ordered by their smallest unit, so each partition is searched once.

CP-SAT wants integer coefficients: scores are multiplied by 10^k when they have at most six decimals (exact),
otherwise scaled to about 2^30 in total and rounded; the returned bound adds the rounding slack, so it stays
a true bound. Labels and slots are penalties weighing more than any score difference (lexicographic), which
makes them hard whenever they can all be met. Forbidden pairs, sizes and pins are hard constraints.

One worker and a fixed seed make a run reproducible (CP-SAT is deterministic with one worker).
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
from ortools.sat.python import cp_model

from .model import Compiled, Infeasible

_LIMIT = 2 ** 61
# The clique model has C(U, 3) triples of transitivity constraints: beyond this it is not worth building.
CLIQUE_UNITS = 40


@dataclass
class ExactResult:
    """What CP-SAT returned: an assignment (unit -> group) or None, whether it is proven, and a bound."""

    assign: np.ndarray | None
    status: str
    proven: bool          # the solver proved this assignment optimal for the (scaled) model
    bound: float | None   # upper bound on the true objective, for solutions with as few penalty points
    slack: float          # how much rounding may separate the model's optimum from the true one
    penalty: int
    value: float = 0.0    # the objective of the assignment as the model sees it (rounded scores)


def _scale(values: np.ndarray) -> tuple[float, bool]:
    """A factor turning the scores into integers: exact with up to 6 decimals, else about 2^30 in total."""
    total = float(np.abs(values).sum())
    if total == 0:
        return 1.0, True
    for k in range(7):
        scaled = values * 10 ** k
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))) and \
                total * 10 ** k < 2 ** 40:
            return float(10 ** k), True
    return 2.0 ** 30 / total, False


def _symmetric_classes(c: Compiled) -> list[list[int]]:
    """Groups that are interchangeable: same bounds and nobody pinned to them (slots are chosen per group)."""
    pinned = {int(g) for g in c.pin[c.pin >= 0]}
    classes: dict[tuple[int, int], list[int]] = {}
    for g in range(c.groups):
        if g not in pinned:
            classes.setdefault((int(c.lo[g]), int(c.hi[g])), []).append(g)
    return [groups for groups in classes.values() if len(groups) > 1]


def clique_eligible(c: Compiled) -> bool:
    """Whether the group-free clique model applies: all groups alike, no pins, slots or fairness."""
    return (bool((c.lo == c.lo[0]).all() and (c.hi == c.hi[0]).all()) and not (c.pin >= 0).any()
            and not c.slot_names and not c.fairness and len(c.units) <= CLIQUE_UNITS)


def _size_patterns(c: Compiled, limit: int = 60) -> list[np.ndarray] | None:
    """Every vector of group sizes within the bounds summing to n, one per order of interchangeable groups.

    None when there are more than `limit` of them.
    """
    G = c.groups
    classes = {g: k for k, groups in enumerate(_symmetric_classes(c)) for g in groups}
    ranges = [range(int(c.lo[g]), int(c.hi[g]) + 1) for g in range(G)]
    patterns = []
    count = 1
    for r in ranges:
        count *= len(r)
        if count > 100_000:
            return None
    for sizes in itertools.product(*ranges):
        if sum(sizes) != c.n:
            continue
        # Interchangeable groups: keep only the pattern whose sizes do not increase along the class.
        if any(sizes[g] < sizes[h] for g in range(G) for h in range(g + 1, G)
               if g in classes and classes.get(h) == classes[g]):
            continue
        patterns.append(np.array(sizes, dtype=np.int64))
        if len(patterns) > limit:
            return None
    return patterns


def _per_pattern(c: Compiled, patterns: list[np.ndarray], seconds: float, seed: int, hint: np.ndarray | None,
                 deterministic: bool) -> ExactResult:
    """Fairness with sizes left open: one fixed-size model per size pattern (P is then a constant, and the
    model linear), the best answer kept; proven when every pattern is, bounded by the largest bound."""
    began = time.perf_counter()
    results = []
    for index, sizes in enumerate(patterns):
        share = (seconds - (time.perf_counter() - began)) / (len(patterns) - index) if not deterministic else \
            seconds / len(patterns)
        fixed = replace(c, lo=sizes, hi=sizes)
        counts = None if hint is None else np.bincount(hint, weights=c.weight, minlength=c.groups)
        try:
            result = build_and_solve(fixed, max(0.01, share), seed, hint if counts is not None and
                                     (counts == sizes).all() else None, deterministic=deterministic)
        except Infeasible:
            continue
        results.append(result)
    if not results:
        raise Infeasible("The hard rules cannot all be met: no arrangement of the people into groups respects the "
                         "group sizes, the pins, the must-be-together pairs and the forbidden pairs at once")
    found = [r for r in results if r.assign is not None]
    if not found:
        return ExactResult(None, "UNKNOWN", False, None, max(r.slack for r in results), 0)
    best = max(found, key=lambda r: (-r.penalty, r.value))
    complete = len(found) == len(results)
    # A pattern proven to need more soft points than the best holds no answer as good: it bounds nothing.
    bound = max(r.bound for r in found if not r.proven or r.penalty == best.penalty) if complete else None
    proven = complete and all(r.proven for r in results)
    return ExactResult(best.assign, "OPTIMAL" if proven else "FEASIBLE", proven, bound,
                       max(r.slack for r in results), best.penalty, best.value)


def _solver(seconds: float, seed: int, deterministic: bool) -> cp_model.CpSolver:
    """A one-worker solver with a time limit (deterministic time when runs must repeat exactly)."""
    solver = cp_model.CpSolver()
    if deterministic:
        # Deterministic time is CP-SAT's own work count, close to seconds on an idle machine; the wall clock
        # limit is only a safety net far away.
        solver.parameters.max_deterministic_time = max(0.01, float(seconds))
        solver.parameters.max_time_in_seconds = 10 * max(1.0, float(seconds))
    else:
        solver.parameters.max_time_in_seconds = max(0.01, float(seconds))
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(seed) % (2 ** 31)
    return solver


def build_and_solve(c: Compiled, seconds: float, seed: int = 0, hint: np.ndarray | None = None,
                    feasibility_only: bool = False, symmetry: bool = True, deterministic: bool = False) -> ExactResult:
    """Solve the CP-SAT model within `seconds`; raise Infeasible when the hard rules provably cannot hold."""
    if not feasibility_only and symmetry and clique_eligible(c):
        return _clique(c, seconds, seed, hint, deterministic)
    if not feasibility_only and c.fairness and not (c.lo == c.hi).all():
        patterns = _size_patterns(c)
        if patterns is not None:
            return _per_pattern(c, patterns, seconds, seed, hint, deterministic)
    U, G = len(c.units), c.groups
    w = c.weight
    model = cp_model.CpModel()
    allowed = [[c.pin[u] < 0 or c.pin[u] == g for g in range(G)] for u in range(U)]
    x = {(u, g): model.NewBoolVar(f"x{u}_{g}") for u in range(U) for g in range(G) if allowed[u][g]}
    for u in range(U):
        model.AddExactlyOne(x[u, g] for g in range(G) if allowed[u][g])
    for g in range(G):
        members = [(u, x[u, g]) for u in range(U) if allowed[u][g]]
        model.Add(sum(int(w[u]) * var for u, var in members) >= int(c.lo[g]))
        model.Add(sum(int(w[u]) * var for u, var in members) <= int(c.hi[g]))
    forbid_pairs = [(u, v) for u in range(U) for v in range(u + 1, U) if c.forbid[u, v]]
    for u, v in forbid_pairs:
        for g in range(G):
            if allowed[u][g] and allowed[v][g]:
                model.AddBoolOr([x[u, g].Not(), x[v, g].Not()])
    if symmetry:
        free = [u for u in range(U) if c.pin[u] < 0]
        for groups in _symmetric_classes(c):
            for i, u in enumerate(free):
                for j, g in enumerate(groups):
                    if j > i:
                        model.Add(x[u, g] == 0)
                    elif j > 0:
                        model.Add(x[u, g] <= sum(x[free[m], groups[j - 1]] for m in range(i)))

    if feasibility_only:
        return _run(model, c, x, _solver(seconds, seed, deterministic), hint, scale=1.0, divisor=1.0, const=0.0,
                    slack=0.0, big=0, viol=None, objective=False)

    f = c.fairness
    scale, _ = _scale(np.concatenate([c.D[np.triu_indices(U, 1)], c.internal]))
    Dint = np.round(c.D * scale).astype(np.int64)
    Iint = np.round(c.internal * scale).astype(np.int64)
    rounding = float(np.abs(c.D * scale - Dint)[np.triu_indices(U, 1)].sum() + np.abs(c.internal * scale - Iint).sum())
    span = int(np.abs(np.triu(Dint, 1)).sum() + np.abs(Iint).sum())
    labels = c.label_pairs
    y = {}
    for u in range(U):
        for v in range(u + 1, U):
            if c.forbid[u, v]:
                continue
            for g in range(G):
                if allowed[u][g] and allowed[v][g]:
                    y[u, v, g] = var = model.NewBoolVar(f"y{u}_{v}_{g}")
                    up = Dint[u, v] > 0 or f
                    down = Dint[u, v] < 0 or labels[u, v] > 0 or f
                    # Linear forms (not clauses), so that they enter CP-SAT's linear relaxation.
                    if up:
                        model.Add(var <= x[u, g])
                        model.Add(var <= x[v, g])
                    if down:
                        model.Add(var >= x[u, g] + x[v, g] - 1)
    for u in range(U):
        for g in range(G):
            if not allowed[u][g]:
                continue
            others = [int(w[v]) * y[min(u, v), max(u, v), g] for v in range(U) if (min(u, v), max(u, v), g) in y]
            model.Add(sum(others) <= int(c.hi[g] - w[u]) * x[u, g])
            model.Add(sum(others) >= int(max(0, c.lo[g] - w[u])) * x[u, g])
    score = sum(int(Dint[u, v]) * var for (u, v, g), var in y.items() if Dint[u, v])
    const = float(c.internal.sum())

    # Fairness: f * P * worst, with worst <= (group score) / (pairs in the group) for every group with a pair.
    # worst is kept as L * worst, L the least common multiple of the possible pair counts, so that each
    # constraint L * worst * pairs <= L * score is exact in integers (no rounding of the mean).
    q, p = 1, 0
    fair_slack = 0.0
    fair = 0
    lcm = 1
    if f:
        fixed = bool((c.lo == c.hi).all())
        lcm = math.lcm(*[math.comb(s_, 2) for g in range(G) for s_ in range(max(2, int(c.lo[g])), int(c.hi[g]) + 1)]
                       or [1])
        if 1000 * span * lcm * (math.comb(c.n, 2) + 1) ** 2 >= _LIMIT:
            raise OverflowError("the exact model's objective would not fit in 64 bits")
        worst = model.NewIntVar(-span * lcm, span * lcm, "worst")
        pair_terms = []
        for g in range(G):
            group_score = sum(int(Dint[u, v]) * var for (u, v, gg), var in y.items() if gg == g and Dint[u, v]) + \
                sum(int(Iint[u]) * x[u, g] for u in range(U) if allowed[u][g] and Iint[u])
            size = sum(int(w[u]) * x[u, g] for u in range(U) if allowed[u][g])
            if c.lo[g] == c.hi[g]:
                if c.lo[g] >= 2:
                    model.Add(worst * math.comb(int(c.lo[g]), 2) <= lcm * group_score)
                pair_terms.append(math.comb(int(c.lo[g]), 2))
                continue
            choice = {s_: model.NewBoolVar(f"z{g}_{s_}") for s_ in range(int(c.lo[g]), int(c.hi[g]) + 1)}
            model.AddExactlyOne(choice.values())
            model.Add(sum(s_ * var for s_, var in choice.items()) == size)
            for s_, var in choice.items():
                if s_ >= 2:
                    model.Add(worst * math.comb(s_, 2) <= lcm * group_score).OnlyEnforceIf(var)
            pair_terms.append(sum(math.comb(s_, 2) * var for s_, var in choice.items()))
        max_pairs = math.comb(c.n, 2)
        if fixed:
            ratio = Fraction(f * sum(pair_terms)).limit_denominator(1000)
            q, p = ratio.denominator, ratio.numerator
            fair = p * worst
            fair_slack = abs(f * sum(pair_terms) - float(ratio)) * span / scale
        else:
            ratio = Fraction(f).limit_denominator(1000)
            q, p = ratio.denominator, ratio.numerator
            pairs = model.NewIntVar(0, max_pairs, "pairs")
            model.Add(pairs == sum(pair_terms))
            product = model.NewIntVar(-span * lcm * max_pairs, span * lcm * max_pairs, "pairs_times_worst")
            model.AddMultiplicationEquality(product, [pairs, worst])
            fair = p * product
            fair_slack = abs(f - float(ratio)) * max_pairs * span / scale
        # Rounded scores move every group's mean, hence the worst one, by at most the total rounding.
        fair_slack += f * max_pairs * rounding / scale

    # Penalties: same-label pairs and people not available at their group's slot.
    viol_terms = [int(labels[u, v]) * var for (u, v, g), var in y.items() if labels[u, v]]
    if c.slot_names:
        K = len(c.slot_names)
        t = {(g, s): model.NewBoolVar(f"t{g}_{s}") for g in range(G) for s in range(K)}
        for g in range(G):
            model.AddExactlyOne(t[g, s] for s in range(K))
        for (u, g), var in x.items():
            missing = [(s, int(w[u] - c.avail[u, s])) for s in range(K) if w[u] - c.avail[u, s] > 0]
            if not missing:
                continue
            miss = model.NewIntVar(0, int(w[u]), f"m{u}_{g}")
            for s, count in missing:
                model.Add(miss >= count).OnlyEnforceIf([var, t[g, s]])
            viol_terms.append(miss)
    viol = sum(viol_terms) if viol_terms else None
    max_pairs = math.comb(c.n, 2)
    big = q * lcm * span + abs(p) * lcm * span * max(1, max_pairs) + 1
    objective = q * lcm * score + fair
    if viol is not None:
        objective = objective - big * viol
    if big * (math.comb(c.n, 2) + c.n + 1) >= _LIMIT:
        raise OverflowError("the exact model's objective would not fit in 64 bits")
    model.Maximize(objective)
    return _run(model, c, x, _solver(seconds, seed, deterministic), hint, scale=scale, divisor=q * lcm * scale,
                const=const, slack=rounding / scale + fair_slack, big=big, viol=viol, objective=True)


def _run(model, c: Compiled, x, solver, hint, *, scale, divisor, const, slack, big, viol, objective):
    """Solve, read the assignment and translate the bound back to the caller's units."""
    U = len(c.units)
    if hint is not None:
        for (u, g), var in x.items():
            model.AddHint(var, int(hint[u] == g))
    status = solver.Solve(model)
    name = solver.StatusName(status)
    if status == cp_model.INFEASIBLE:
        raise Infeasible("The hard rules cannot all be met: no arrangement of the people into groups respects the "
                         "group sizes, the pins, the must-be-together pairs and the forbidden pairs at once")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(None, name, False, None, slack, 0)
    assign = np.full(U, -1, dtype=np.int64)
    for (u, g), var in x.items():
        if solver.BooleanValue(var):
            assign[u] = g
    penalty = int(solver.Value(viol)) if viol is not None else 0
    if not objective:
        return ExactResult(assign, name, False, None, 0.0, penalty)
    bound = (solver.BestObjectiveBound() + big * penalty) / divisor + const + slack
    value = (solver.ObjectiveValue() + big * penalty) / divisor + const
    return ExactResult(assign, name, status == cp_model.OPTIMAL, bound, slack, penalty, value)


def _clique(c: Compiled, seconds: float, seed: int, hint: np.ndarray | None, deterministic: bool) -> ExactResult:
    """The clique-partition model for interchangeable groups: s[u, v] = "u and v share a group", no group index.

    Transitivity (s_uv + s_vw - s_uw <= 1) makes the s a partition; each unit's partners weigh lower-w_u to
    upper-w_u; a unit is the representative of its group when it shares it with no smaller unit, and there
    are G representatives. With no group index there is no symmetry to break, and the linear relaxation is
    far stronger than the assignment model's (RanInt_n012_ss_03: 0.02 s against about 1 s).
    """
    U, G = len(c.units), c.groups
    w = c.weight
    lo, hi = int(c.lo[0]), int(c.hi[0])
    model = cp_model.CpModel()
    s = {(u, v): model.NewBoolVar(f"s{u}_{v}") for u in range(U) for v in range(u + 1, U)}

    def same(a: int, b: int):
        """The s variable of an unordered pair."""
        return s[min(a, b), max(a, b)]

    for (u, v), var in s.items():
        if c.forbid[u, v]:
            model.Add(var == 0)
    for a in range(U):
        for b in range(a + 1, U):
            for d in range(b + 1, U):
                ab, bd, ad = s[a, b], s[b, d], s[a, d]
                model.Add(ab + bd - ad <= 1)
                model.Add(ab - bd + ad <= 1)
                model.Add(-ab + bd + ad <= 1)
    for u in range(U):
        partners = sum(int(w[v]) * same(u, v) for v in range(U) if v != u)
        model.Add(partners >= lo - int(w[u]))
        model.Add(partners <= hi - int(w[u]))
    leader = [model.NewBoolVar(f"r{u}") for u in range(U)]
    for u in range(U):
        for v in range(u):
            model.AddImplication(leader[u], s[v, u].Not())
        model.AddBoolOr([leader[u]] + [s[v, u] for v in range(u)])
    if lo >= 1:
        model.Add(sum(leader) == G)
    else:
        model.Add(sum(leader) <= G)
    scale, _ = _scale(np.concatenate([c.D[np.triu_indices(U, 1)], c.internal]))
    Dint = np.round(c.D * scale).astype(np.int64)
    rounding = float(np.abs(c.D * scale - Dint)[np.triu_indices(U, 1)].sum())
    span = int(np.abs(np.triu(Dint, 1)).sum()) + 1
    score = sum(int(Dint[u, v]) * var for (u, v), var in s.items() if Dint[u, v])
    viol_terms = [int(c.label_pairs[u, v]) * var for (u, v), var in s.items() if c.label_pairs[u, v]]
    viol = sum(viol_terms) if viol_terms else None
    big = span + 1
    model.Maximize(score - big * viol if viol is not None else score)
    if hint is not None:
        for (u, v), var in s.items():
            model.AddHint(var, int(hint[u] == hint[v]))
    solver = _solver(seconds, seed, deterministic)
    status = solver.Solve(model)
    name = solver.StatusName(status)
    if status == cp_model.INFEASIBLE:
        raise Infeasible("The hard rules cannot all be met: no arrangement of the people into groups respects the "
                         "group sizes, the must-be-together pairs and the forbidden pairs at once")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(None, name, False, None, rounding / scale, 0)
    assign = np.full(U, -1, dtype=np.int64)
    group = 0
    for u in range(U):
        if assign[u] < 0:
            assign[u] = group
            for v in range(u + 1, U):
                if solver.BooleanValue(s[u, v]):
                    assign[v] = group
            group += 1
    penalty = int(solver.Value(viol)) if viol is not None else 0
    bound = (solver.BestObjectiveBound() + big * penalty) / scale + float(c.internal.sum()) + rounding / scale
    value = (solver.ObjectiveValue() + big * penalty) / scale + float(c.internal.sum())
    return ExactResult(assign, name, status == cp_model.OPTIMAL, bound, rounding / scale, penalty, value)
