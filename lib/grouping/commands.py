"""The command line's `grouping mdgp FILE`: the grouping engine on a maximally diverse grouping problem instance.

It needs no database, and knows nothing of circles: only the engine and the instance's file.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def parsers(sub) -> None:
    """Register `grouping mdgp FILE` (the grouping engine on a maximally diverse grouping problem instance)."""
    grouping = sub.add_parser("grouping", help="the grouping engine behind the circles, on outside benchmarks")
    grouping_sub = grouping.add_subparsers(dest="grouping_command", required=True)
    mdgp = grouping_sub.add_parser("mdgp", help="solve a maximally diverse grouping problem instance (MDGPLIB format)")
    mdgp.add_argument("file", type=Path)
    mdgp.add_argument("--seconds", type=float, default=10.0, help="time limit (default 10)")
    mdgp.add_argument("--seed", type=int, default=0, help="same seed, same search (default 0)")
    mdgp.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    """Run `grouping mdgp`: read the instance, solve, print the groups (exit 2 on a missing or malformed file)."""
    from . import engine, mdgp
    try:
        problem, name = mdgp.read_mdgp(args.file)
        solution = engine.solve(problem, seconds=args.seconds, seed=args.seed)
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"instance": name, "objective": solution.objective, "groups": solution.groups,
                          "seconds": round(solution.seconds, 3), "optimal": solution.optimal, "gap": solution.gap,
                          "method": solution.method}))
        return 0
    print(f"instance: {name} ({len(problem.scores)} elements, {len(problem.sizes)} groups)")
    print(f"objective: {solution.objective:.2f}")
    print(f"method: {solution.method}")
    print(f"optimal: {'yes (proven)' if solution.optimal else 'not proven'}")
    print("gap: " + ("unknown (no bound)" if solution.gap is None
                     else f"{solution.gap:.2%} (bound {solution.bound:.2f})"))
    print(f"seconds: {solution.seconds:.2f}")
    for g, members in enumerate(solution.groups):
        print(f"group {g} ({len(members)}): " + " ".join(map(str, members)))
    return 0
