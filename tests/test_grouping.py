"""The grouping engine (lib.grouping): optimality against brute force, hard rules under random problems,
determinism, the when-feasible rules, plain-English refusals, and the MDGP reader and command line."""
from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.grouping.engine import solve
from lib.grouping.mdgp import read_mdgp
from lib.grouping.model import Infeasible, Problem, evaluate, groups_for

ROOT = Path(__file__).resolve().parents[1]
MDGP_FILE = ROOT / "tests" / "data" / "mdgp" / "RanInt_n010_ss_10.txt"
SLOTS = ("Mon", "Tue", "Wed")


# ----------------------------------------------------------------------------------------------------------
# Random problems that are feasible by construction: a hidden assignment is drawn first, and every hard rule
# (pins, together, forbidden) agrees with it.
# ----------------------------------------------------------------------------------------------------------

def random_problem(seed: int, n: int, groups: int, *, pins=False, forbidden=False, together=False, labels=False,
                   slots=False, fairness=0.0, negative=True) -> Problem:
    """A random problem of n people in `groups` groups with random bounds, feasible by construction."""
    rng = np.random.default_rng(seed)
    sizes = np.full(groups, n // groups)
    sizes[: n % groups] += 1
    rng.shuffle(sizes)
    bounds = [(int(max(0, s - rng.integers(0, 2))), int(s + rng.integers(0, 2))) for s in sizes]
    hidden = np.repeat(np.arange(groups), sizes)[rng.permutation(n)]
    low = -10 if negative else 0
    scores = rng.integers(low, 30, (n, n)).astype(float)
    scores = np.triu(scores, 1)
    scores = scores + scores.T
    problem = Problem(scores=scores, sizes=bounds, fairness=fairness)
    if pins:
        for person in rng.choice(n, size=min(n, 2), replace=False):
            problem.pins[int(person)] = int(hidden[person])
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    rng.shuffle(pairs)
    if together:
        problem.together = [(int(a), int(b)) for a, b in pairs if hidden[a] == hidden[b]][:2]
    if forbidden:
        problem.forbidden = [(int(a), int(b)) for a, b in pairs if hidden[a] != hidden[b]][:3]
    if labels:
        problem.labels = [str(rng.choice(["A", "B", "C", "D"])) if rng.random() < 0.8 else None for _ in range(n)]
    if slots:
        problem.slots = [frozenset(str(s) for s in SLOTS if rng.random() < 0.6) for _ in range(n)]
    return problem


def penalty(problem: Problem, assign: np.ndarray) -> int:
    """Soft points as the engine counts them: same-label pairs, plus people missing their group's best slot."""
    points = 0
    n = len(assign)
    if problem.labels is not None:
        points += sum(1 for a in range(n) for b in range(a + 1, n)
                      if assign[a] == assign[b] and problem.labels[a] is not None
                      and problem.labels[a] == problem.labels[b])
    if problem.slots is not None and any(problem.slots):
        for g in range(len(problem.sizes)):
            members = [p for p in range(n) if assign[p] == g]
            if members:
                points += len(members) - max(sum(1 for p in members if not problem.slots[p] or s in problem.slots[p])
                                             for s in SLOTS)
    return points


def objective(problem: Problem, assign: np.ndarray) -> float:
    """Total plus fairness * pairs * worst group mean, straight from the definition."""
    group_scores, pairs, means = [], 0, []
    for g in range(len(problem.sizes)):
        members = np.flatnonzero(assign == g)
        score = sum(problem.scores[a, b] for a, b in itertools.combinations(members, 2))
        group_scores.append(score)
        count = len(members) * (len(members) - 1) // 2
        pairs += count
        if count:
            means.append(score / count)
    return sum(group_scores) + problem.fairness * pairs * (min(means) if means else 0.0)


def brute_force(problem: Problem) -> tuple[int, float]:
    """(fewest soft points, best objective at that count) over every assignment keeping the hard rules."""
    n, G = len(problem.scores), len(problem.sizes)
    best = None
    for assign in itertools.product(range(G), repeat=n):
        assign = np.array(assign)
        counts = np.bincount(assign, minlength=G)
        if any(not lo <= counts[g] <= hi for g, (lo, hi) in enumerate(problem.sizes)):
            continue
        if any(assign[p] != g for p, g in problem.pins.items()):
            continue
        if any(assign[a] == assign[b] for a, b in problem.forbidden):
            continue
        if any(assign[a] != assign[b] for a, b in problem.together):
            continue
        key = (penalty(problem, assign), -objective(problem, assign))
        best = key if best is None or key < best else best
    return best[0], -best[1]


def assign_of(groups: list[list[int]], n: int) -> np.ndarray:
    """Member lists to a person -> group array."""
    assign = np.full(n, -1)
    for g, members in enumerate(groups):
        assign[members] = g
    return assign


def check_hard_rules(problem: Problem, solution) -> None:
    """Everyone exactly once, sizes within bounds, pins, forbidden and together pairs kept."""
    n = len(problem.scores)
    assert sorted(p for members in solution.groups for p in members) == list(range(n))
    assert all(members == sorted(members) for members in solution.groups)
    for members, (lo, hi) in zip(solution.groups, problem.sizes):
        assert lo <= len(members) <= hi
    assign = assign_of(solution.groups, n)
    assert all(assign[p] == g for p, g in problem.pins.items())
    assert all(assign[a] != assign[b] for a, b in problem.forbidden)
    assert all(assign[a] == assign[b] for a, b in problem.together)


# ----------------------------------------------------------------------------------------------------------
# Optimality
# ----------------------------------------------------------------------------------------------------------

BRUTE_CASES = [
    {"seed": 1, "n": 7, "groups": 2},
    {"seed": 2, "n": 8, "groups": 3},
    {"seed": 3, "n": 9, "groups": 3},
    {"seed": 4, "n": 9, "groups": 2, "pins": True, "forbidden": True, "together": True},
    {"seed": 5, "n": 8, "groups": 3, "pins": True, "forbidden": True, "together": True},
    {"seed": 6, "n": 9, "groups": 3, "together": True, "forbidden": True},
    {"seed": 7, "n": 8, "groups": 2, "fairness": 1.0},
    {"seed": 8, "n": 9, "groups": 3, "fairness": 0.5, "pins": True},
    {"seed": 9, "n": 8, "groups": 2, "labels": True},
    {"seed": 10, "n": 8, "groups": 3, "slots": True, "labels": True, "forbidden": True},
    {"seed": 12, "n": 9, "groups": 3, "fairness": 1.0, "together": True, "forbidden": True},
    {"seed": 13, "n": 9, "groups": 2, "fairness": 0.25, "together": True, "labels": True, "slots": True},
]


@pytest.fixture(scope="module")
def brute():
    """Brute-force optimum of each case, computed once."""
    return {i: brute_force(random_problem(**case)) for i, case in enumerate(BRUTE_CASES)}


@pytest.mark.parametrize("index", range(len(BRUTE_CASES)))
def test_exact_path_reaches_the_brute_force_optimum_and_says_so(index, brute):
    problem = random_problem(**BRUTE_CASES[index])
    solution = solve(problem, seconds=30, seed=0)
    check_hard_rules(problem, solution)
    points, best = brute[index]
    assert solution.method == "cp-sat"
    assert solution.optimal and solution.gap is not None and solution.gap <= 1e-6
    assert penalty(problem, assign_of(solution.groups, len(problem.scores))) == points
    assert solution.objective == pytest.approx(best, abs=1e-6)
    assert solution.bound == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("index", range(len(BRUTE_CASES)))
def test_search_path_reaches_the_brute_force_optimum(index, brute):
    problem = random_problem(**BRUTE_CASES[index])
    solution = solve(problem, seconds=30, seed=0, method="search", iterations=1500)
    check_hard_rules(problem, solution)
    points, best = brute[index]
    assert solution.method == "search" and not solution.optimal and solution.bound is None
    assert penalty(problem, assign_of(solution.groups, len(problem.scores))) == points
    assert solution.objective == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("index", range(len(BRUTE_CASES)))
def test_sampled_search_path_reaches_the_brute_force_optimum(index, brute, monkeypatch):
    """With FULL_UNITS below n the sampled code path runs; its sample (16 rows) then holds every row."""
    from lib.grouping import search

    monkeypatch.setattr(search, "FULL_UNITS", 4)
    problem = random_problem(**BRUTE_CASES[index])
    solution = solve(problem, seconds=30, seed=0, method="search", iterations=1500)
    check_hard_rules(problem, solution)
    points, best = brute[index]
    assert penalty(problem, assign_of(solution.groups, len(problem.scores))) == points
    assert solution.objective == pytest.approx(best, abs=1e-6)


def test_objective_fields_follow_their_definitions():
    problem = random_problem(11, 12, 3, fairness=1.0, labels=True)
    problem.criteria = {"half": problem.scores / 2}
    solution = solve(problem, seconds=5, seed=0, method="search", iterations=300)
    assign = assign_of(solution.groups, 12)
    assert solution.objective == pytest.approx(objective(problem, assign))
    assert solution.total == pytest.approx(sum(solution.group_scores))
    pairs = sum(len(m) * (len(m) - 1) // 2 for m in solution.groups)
    assert solution.objective == pytest.approx(solution.total + pairs * solution.worst)
    assert [b["half"] for b in solution.breakdown] == pytest.approx([s / 2 for s in solution.group_scores])


# ----------------------------------------------------------------------------------------------------------
# Hard rules always hold (property test)
# ----------------------------------------------------------------------------------------------------------

@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), groups=st.integers(1, 6), pins=st.booleans(),
       forbidden=st.booleans(), together=st.booleans(), labels=st.booleans(), slots=st.booleans(),
       fairness=st.sampled_from([0.0, 0.0, 1.0]), auto=st.booleans())
def test_any_returned_solution_keeps_every_hard_rule(seed, n, groups, pins, forbidden, together, labels, slots,
                                                     fairness, auto):
    groups = min(groups, n)
    problem = random_problem(seed, n, groups, pins=pins, forbidden=forbidden, together=together, labels=labels,
                             slots=slots, fairness=fairness)
    method = "auto" if auto and n <= 8 else "search"
    solution = solve(problem, seconds=10, seed=seed, method=method, iterations=150)
    check_hard_rules(problem, solution)
    again = evaluate(problem, solution.groups)
    assert again.total == pytest.approx(solution.total)
    assert again.objective == pytest.approx(solution.objective)
    assert again.relaxed == solution.relaxed and again.slot == solution.slot
    assert again.method == "given" and not again.optimal


@pytest.mark.parametrize("seed", range(6))
def test_the_sampled_neighbourhood_of_large_problems_keeps_every_rule(seed, monkeypatch):
    """Beyond FULL_UNITS people the search samples rows of the swap matrix: lowered here to reach that path."""
    from lib.grouping import search

    monkeypatch.setattr(search, "FULL_UNITS", 6)
    problem = random_problem(100 + seed, 24, 5, pins=True, forbidden=True, together=seed % 2 == 0, labels=True,
                             slots=seed % 3 == 0, fairness=[0.0, 1.0][seed % 2])
    solution = solve(problem, seconds=30, seed=seed, method="search", iterations=400)
    check_hard_rules(problem, solution)
    assert evaluate(problem, solution.groups).objective == pytest.approx(solution.objective)
    again = solve(problem, seconds=30, seed=seed, method="search", iterations=400)
    assert again.groups == solution.groups


# ----------------------------------------------------------------------------------------------------------
# Determinism
# ----------------------------------------------------------------------------------------------------------

def test_same_seed_same_groups_on_the_search_path():
    problem = random_problem(21, 40, 8, pins=True, forbidden=True, labels=True, slots=True)
    first = solve(problem, seconds=60, seed=5, method="search", iterations=400)
    second = solve(problem, seconds=60, seed=5, method="search", iterations=400)
    assert first.groups == second.groups and first.objective == second.objective


def test_same_seed_same_groups_on_the_cp_sat_path():
    problem = random_problem(22, 10, 2, negative=False)
    first = solve(problem, seconds=10, seed=3)
    second = solve(problem, seconds=10, seed=3)
    assert first.method == second.method == "cp-sat"
    assert first.groups == second.groups


# ----------------------------------------------------------------------------------------------------------
# Labels and slots: met when they can be, reported when they cannot
# ----------------------------------------------------------------------------------------------------------

def _clustered(n: int, key) -> np.ndarray:
    """Scores that reward putting people with the same key together (what the rules must resist)."""
    scores = np.array([[10.0 if key(a) == key(b) else 1.0 for b in range(n)] for a in range(n)])
    np.fill_diagonal(scores, 0)
    return scores


@pytest.mark.parametrize("method", ["auto", "search"])
def test_labels_are_spread_when_possible(method):
    labels = ["A", "A", "A", "B", "B", "B", "C", "C", "C", "D", "D", "D"]
    problem = Problem(scores=_clustered(12, lambda p: labels[p]), sizes=[(4, 4)] * 3, labels=labels)
    solution = solve(problem, seconds=10, seed=0, method=method, iterations=300)
    assert solution.relaxed == []
    for members in solution.groups:
        assert len({labels[p] for p in members}) == len(members)


@pytest.mark.parametrize("method", ["auto", "search"])
def test_labels_that_cannot_be_spread_are_reported(method):
    labels = ["A", "A", "A", None, "B", "C", "D", "E"]
    problem = Problem(scores=_clustered(8, lambda p: p % 2), sizes=[(4, 4)] * 2, labels=labels)
    solution = solve(problem, seconds=10, seed=0, method=method, iterations=300)
    assert len(solution.relaxed) == 1
    assert "has two people from A" in solution.relaxed[0] and solution.relaxed[0].startswith("Group ")


@pytest.mark.parametrize("method", ["auto", "search"])
def test_groups_get_a_common_slot_when_possible(method):
    slots = [frozenset({"Mon"})] * 4 + [frozenset({"Tue", "Wed"})] * 3 + [frozenset()]
    problem = Problem(scores=_clustered(8, lambda p: p % 2), sizes=[(4, 4)] * 2, slots=slots)
    solution = solve(problem, seconds=10, seed=0, method=method, iterations=300)
    assert solution.relaxed == []
    assert sorted(solution.slot) == ["Mon", "Tue"]  # "Tue" is the alphabetically first common slot
    by_slot = {slot: members for slot, members in zip(solution.slot, solution.groups)}
    assert by_slot["Mon"] == [0, 1, 2, 3]


@pytest.mark.parametrize("method", ["auto", "search"])
def test_groups_without_a_common_slot_are_reported(method):
    # Only the three Monday people can share a slot; the others make a group without one.
    slots = [frozenset({day}) for day in ("Tue", "Mon", "Wed", "Mon", "Tue", "Mon")]
    problem = Problem(scores=_clustered(6, lambda p: p % 2), sizes=[(3, 3)] * 2, slots=slots)
    solution = solve(problem, seconds=10, seed=0, method=method, iterations=300)
    assert len(solution.relaxed) == 1 and solution.relaxed[0].endswith("has no common slot")
    assert sorted(solution.slot, key=str) == ["Mon", None]
    assert solution.groups[solution.slot.index("Mon")] == [1, 3, 5]


def test_no_slots_given_means_no_slot():
    problem = random_problem(3, 8, 2)
    assert solve(problem, seconds=5, seed=0).slot == [None, None]


# ----------------------------------------------------------------------------------------------------------
# groups_for and the refusals
# ----------------------------------------------------------------------------------------------------------

def test_groups_for_picks_the_count_nearest_n_over_5():
    assert groups_for(8) == [(4, 6), (4, 6)]
    eight = solve(Problem(scores=np.ones((8, 8)) - np.eye(8), sizes=groups_for(8)), seconds=5, seed=0)
    assert [len(members) for members in eight.groups] == [4, 4]
    assert groups_for(25) == [(4, 6)] * 5
    assert groups_for(31) == [(4, 6)] * 6
    assert groups_for(12, count=3) == [(4, 6)] * 3
    assert groups_for(10, 2, 3) == [(2, 3)] * 4


@pytest.mark.parametrize("n, words", [(7, "7 people cannot be split into groups of 4 to 6"),
                                      (3, "too few for one group of at least 4"),
                                      (0, "too few")])
def test_groups_for_refuses_impossible_counts(n, words):
    with pytest.raises(Infeasible, match=words):
        groups_for(n)


def test_groups_for_refuses_an_impossible_count():
    with pytest.raises(Infeasible, match="10 people cannot form 3 groups of 4 to 6"):
        groups_for(10, count=3)


def _problem(n=10, sizes=None, **rules) -> Problem:
    """A plain problem for the refusal tests."""
    return Problem(scores=np.ones((n, n)) - np.eye(n), sizes=sizes or [(5, 5), (5, 5)], **rules)


@pytest.mark.parametrize("problem, words", [
    (_problem(sizes=[(6, 6), (6, 6)]), "need at least 12 people"),
    (_problem(sizes=[(4, 4), (4, 4)]), "take at most 8 people"),
    (_problem(pins={3: 2}), "person 3 is pinned to group 2, but the groups are numbered 0 to 1"),
    (_problem(pins={12: 0}), "names person 12, but people are numbered 0 to 9"),
    (_problem(pins={3: 1, 5: 0}, together=[(3, 4), (4, 5)]),
     "person 3 is pinned to group 1 and must be with person 5, who is pinned to group 0"),
    (_problem(together=[(2, 7)], forbidden=[(7, 2)]), "persons 2 and 7 must be in one group and are also forbidden"),
    (_problem(together=[(1, 2), (2, 3)], forbidden=[(1, 3)]), "persons 1 and 3 are linked by must-be-together pairs"),
    (_problem(together=[(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]),
     "must all be together (6 people), but no group takes more than 5"),
    (_problem(pins={p: 0 for p in range(6)}), "six people are pinned to group 0"),
    (_problem(pins={1: 0, 2: 0}, forbidden=[(1, 2)]), "forbidden from sharing a group, but both are pinned to group 0"),
    (_problem(n=6, sizes=[(2, 2)] * 3, forbidden=[(a, b) for a in range(4) for b in range(a + 1, 4)]),
     "hard rules cannot all be met"),
])
def test_contradictory_hard_rules_are_refused_in_plain_words(problem, words):
    with pytest.raises(Infeasible) as caught:
        solve(problem, seconds=5, seed=0)
    assert words.lower() in str(caught.value).lower()


def test_malformed_input_is_a_value_error():
    with pytest.raises(ValueError, match="symmetric"):
        solve(Problem(scores=np.array([[0.0, 1.0], [2.0, 0.0]]), sizes=[(2, 2)]))
    with pytest.raises(ValueError, match="method"):
        solve(_problem(), method="magic")
    with pytest.raises(ValueError, match="labels must have one entry per person"):
        solve(_problem(labels=["A"]))


def test_evaluate_lists_the_hard_rules_a_hand_edit_breaks():
    problem = _problem(pins={0: 0}, forbidden=[(1, 2)], together=[(3, 4)], labels=[None, "X", "X"] + [None] * 7)
    edited = evaluate(problem, [[1, 2, 3, 5, 6, 7], [0, 4, 8, 9]])
    assert edited.method == "given" and not edited.optimal and edited.bound is None
    text = " | ".join(edited.relaxed)
    for words in ("Group 0 has 6 people, more than its upper size 5", "Person 0 is pinned to group 0 but is in group 1",
                  "Persons 1 and 2 must not share a group", "Persons 3 and 4 must share a group",
                  "Group 0 has two people from X"):
        assert words in text
    with pytest.raises(ValueError, match="Person 9 is in no group"):
        evaluate(problem, [[0, 1, 2, 3, 4], [5, 6, 7, 8]])


# ----------------------------------------------------------------------------------------------------------
# MDGP instances and the command line
# ----------------------------------------------------------------------------------------------------------

def test_read_mdgp_and_the_known_optimum():
    problem, name = read_mdgp(MDGP_FILE)
    assert name == "RanInt_n010_ss_10" and problem.scores.shape == (10, 10) and problem.sizes == [(5, 5), (5, 5)]
    assert problem.scores[0, 1] == problem.scores[1, 0] == 88
    solution = solve(problem, seconds=10, seed=0)
    assert solution.objective == 1112 and solution.optimal and solution.gap == 0


def test_read_mdgp_different_sizes_and_bad_files(tmp_path):
    path = tmp_path / "tiny_ds.txt"
    path.write_text("4 2 ds 1 2 2 3 \n0 1 1.5\n0 2 2\n2 3 4.25\n")
    problem, name = read_mdgp(path)
    assert name == "tiny_ds" and problem.sizes == [(1, 2), (2, 3)] and problem.scores[3, 2] == 4.25
    assert problem.scores[1, 3] == 0
    path.write_text("4 2 xx 1 2 2 3\n")
    with pytest.raises(ValueError, match="first line"):
        read_mdgp(path)
    path.write_text("4 2 ss 2 2 2 2\n0 9 1\n")
    with pytest.raises(ValueError, match="line 2"):
        read_mdgp(path)


def _cli(*args: str) -> subprocess.CompletedProcess:
    """Run `python -m lib` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "lib", *args], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          check=False)


def test_cli_grouping_mdgp_json():
    result = _cli("grouping", "mdgp", str(MDGP_FILE), "--seconds", "5", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"instance", "objective", "groups", "seconds", "optimal", "gap", "method"}
    assert answer["instance"] == "RanInt_n010_ss_10" and answer["objective"] == 1112 and answer["optimal"]
    assert sorted(p for g in answer["groups"] for p in g) == list(range(10))


def test_cli_grouping_mdgp_text_and_refusals(tmp_path):
    result = _cli("grouping", "mdgp", str(MDGP_FILE), "--seconds", "5")
    assert result.returncode == 0, result.stderr
    assert "objective: 1112.00" in result.stdout and "optimal: yes" in result.stdout
    missing = _cli("grouping", "mdgp", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr and not missing.stdout
    bad = tmp_path / "bad.txt"
    bad.write_text("not an instance\n")
    malformed = _cli("grouping", "mdgp", str(bad))
    assert malformed.returncode == 2 and "first line" in malformed.stderr
