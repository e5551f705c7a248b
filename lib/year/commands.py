"""The command line of the program year: `stats` (the headline figures), `outcomes` and `attendance`."""
from __future__ import annotations

import json


def stats_parser(sub) -> None:
    """Register `stats`."""
    stats = sub.add_parser("stats", help="headline figures of the database")
    stats.add_argument("--json", action="store_true", help="print one JSON object")


def parsers(sub) -> None:
    """Register `outcomes` and `attendance` (a program year's figures)."""
    result = sub.add_parser("outcomes", help="a program year's end-of-year outcomes, attendance and flags")
    result.add_argument("--cycle", required=True, help="program year, e.g. 2023-24")
    result.add_argument("--json", action="store_true", help="print one JSON object")
    seen = sub.add_parser("attendance", help="a program year's attendance: rates, members at risk, completion")
    seen.add_argument("--cycle", required=True, help="program year, e.g. 2025-26")
    seen.add_argument("--json", action="store_true", help="print one JSON object")


def run(conn, args) -> int:
    """Run `stats`, `outcomes` or `attendance`."""
    if args.command == "stats":
        from . import overview
        figures = overview.stats(conn)
        if args.json:
            print(json.dumps(figures, default=str))
        else:
            for key, value in figures.items():
                print(f"{key}: {value}")
        return 0
    if args.command == "outcomes":
        return _outcomes_command(conn, args)
    return _attendance_command(conn, args)


def _outcomes_command(conn, args) -> int:
    """Run `outcomes`: a program year's outcome figures as text or JSON."""
    from .. import cycles
    from . import attendance, outcomes

    cycles.application_deadline(conn, args.cycle)  # ValueError naming the known years for an unknown one
    result = outcomes.summary(conn, args.cycle)
    seen = attendance.summary(conn, args.cycle)
    if args.json:
        body = result.as_dict() | {"attendance_rate": seen.rate, "attendance": seen.as_dict(),
                                   "sentences": {"met_goals": result.sentence("met_goals"),
                                                 "participate_again": result.sentence("participate_again")}}
        print(json.dumps(body, ensure_ascii=False))
        return 0
    print(f"Outcomes of {args.cycle}")
    print(f"  {result.sentence('met_goals')}")
    print(f"  {result.sentence('participate_again')}")
    rate = f" ({result.response_rate:.0%})" if result.response_rate is not None else ""
    print(f"  responses: {result.responses} from {result.participants} participants{rate}; "
          f"{result.named} named, {result.anonymous} anonymous")
    answered = sum(result.satisfaction.values())
    print("  satisfaction: " + (f"mean {result.satisfaction_mean:.1f} from {answered} answers ("
                                + ", ".join(f"{k}: {v}" for k, v in result.satisfaction.items()) + ")"
                                if answered else "no answers"))
    print("  attendance: " + (f"{seen.rate:.0%} ({seen.present} present of {seen.marked} marked)"
                              if seen.marked else "nothing marked"))
    for flag in result.flags:
        print(f"  warning: {flag}")
    return 0


def _attendance_command(conn, args) -> int:
    """Run `attendance`: the year's rate and completion, each circle, and who is at risk (text or JSON)."""
    from .. import cycles
    from . import attendance

    cycles.application_deadline(conn, args.cycle)  # ValueError naming the known years for an unknown one
    figures = attendance.summary(conn, args.cycle)
    per_circle = attendance.circles(conn, args.cycle)
    risky = attendance.members(conn, args.cycle)
    risky = risky[risky["at_risk"]]
    if args.json:
        print(json.dumps(figures.as_dict() | {
            "cycle": args.cycle,
            "circles": [{"circle": r.circle, "members": int(r.members), "present": int(r.present),
                         "marked": int(r.marked), "rate": None if r.rate != r.rate else r.rate,
                         "at_risk": int(r.at_risk), "completed": int(r.completed)} for r in per_circle.itertuples()],
            "at_risk_members": [{"name": r.name, "circle": r.circle, "absent": int(r.absent),
                                 "rate": r.rate} for r in risky.itertuples()]}, ensure_ascii=False))
        return 0
    print(f"Attendance of {args.cycle}: " + (f"{figures.rate:.0%} ({figures.present} present of {figures.marked} "
                                              f"marked, {figures.excused} excused)" if figures.marked
                                              else "nothing marked yet"))
    if figures.completed is not None:
        print(f"  completed the year: {figures.completed} of {figures.completion_known}")
    for r in per_circle.itertuples():
        rate = f"{r.rate:.0%}" if r.marked else "-"
        print(f"  {r.circle}: {r.members} members, attendance {rate}, at risk {r.at_risk}")
    print(f"  at risk (missed their last two meetings): {len(risky)}")
    for r in risky.itertuples():
        print(f"    {r.name} ({r.circle})")
    return 0
