"""The demo's end-of-year surveys: satisfaction, goals and comments, one year anonymous."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from .applications import _Applicant
from .world import _work_hour

OUTCOME_HEADERS = (
    "Timestamp",
    "Email Address",
    "Did the experience meet your career goals?",
    "Would you participate in this type of program again?",
    "Overall, how satisfied were you with your circle? (1 = not at all, 5 = very)",
    "Comments",
    "May we quote your comments anonymously in reports to ALI leadership?",
)
# The 2024-25 end-of-year survey did not collect emails.
_ANONYMOUS_OUTCOMES = frozenset({"2024-25"})
_WARM_COMMENTS = (
    "This was the highlight of my first year. I finally have people to call when I am stuck.",
    "Meeting monthly kept me accountable and the group felt genuinely safe.",
    "I learned so much from hearing how other libraries do things. Thank you to the committee!",
    "Our circle clicked right away. We plan to keep meeting on our own.",
    "It helped me through my first promotion dossier and a lot of self-doubt.",
    "A wonderful, low-pressure way to build a network across Indiana.",
    "I appreciated the structure of the orientation and the freedom to set our own topics.",
)
_GENERAL_COMMENTS = (
    "Great experience overall. A few more suggested discussion topics would help.",
    "Scheduling was hard in the spring but the conversations were worth it.",
    "I wish we had met in person at least once.",
    "Very supportive group. I would recommend it to new colleagues.",
    "The orientation was helpful; the last two meetings felt a bit rushed.",
    "Thank you, this made me feel part of the Indiana library community.",
    "Loved it. Maybe pair circles with a guest speaker once a semester?",
    "It was good to hear that others struggle with the same things.",
)
_MIXED_COMMENTS = (
    "I liked my circle, but my career goals shifted during the year so it only partly applied.",
    "Hard to keep up with monthly meetings during the semester; every other month might work better.",
    "Our group lost momentum after winter break.",
    "Good people, but we rarely managed to find a time everyone could attend.",
)
_MULTILINE_COMMENT = (
    "Three things I valued:\n- honest conversations\n- practical tips for instruction\n"
    "- a group chat that kept us going between meetings"
)


def _outcomes(
    rng: random.Random,
    cycle: str,
    year: int,
    cfg: dict[str, int],
    scale: float,
    members: list[_Applicant],
    dropouts: set[str],
) -> tuple[tuple[str, ...], list[list[str]]]:
    """Return the end-of-year survey header and rows, sorted by timestamp."""
    stayed = [a for a in members if a.person.email not in dropouts]
    left = [a for a in members if a.person.email in dropouts]
    count = min(cfg["responses"], len(members))
    respondents = rng.sample(stayed, min(count, len(stayed)))
    respondents += rng.sample(left, count - len(respondents))
    special = max(1, round(scale))
    entries = []
    for position, a in enumerate(respondents):
        when = datetime(year + 1, 5, 20) + timedelta(
            days=rng.randint(0, 30), hours=_work_hour(rng), minutes=rng.randrange(60), seconds=rng.randrange(60)
        )
        goals, again, satisfaction = "Yes", "Yes", rng.choices((3, 4, 5), weights=(1, 4, 6))[0]
        comment = rng.choice(_GENERAL_COMMENTS) if rng.random() < 0.7 else ""
        if year == 2023:
            satisfaction = rng.choice((4, 5, 5))
            comment = _WARM_COMMENTS[position % len(_WARM_COMMENTS)]
        elif position < special:
            goals, satisfaction, comment = "Partially", 3, rng.choice(_MIXED_COMMENTS)
        elif position < 2 * special:
            if year == 2024:
                again, satisfaction = "Maybe", rng.choice((3, 4))
            else:
                again, satisfaction = "No", rng.choice((2, 3))
            comment = rng.choice(_MIXED_COMMENTS)
        elif position == 2 * special and year == 2025:
            comment = _MULTILINE_COMMENT
        quote = ("Yes" if rng.random() < 0.8 else "No") if comment else ""
        row: list = [when]
        if cycle not in _ANONYMOUS_OUTCOMES:
            row.append(a.person.email)
        row += [goals, again, str(satisfaction), comment, quote]
        entries.append((when, position, row))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    header = tuple(h for h in OUTCOME_HEADERS if not (cycle in _ANONYMOUS_OUTCOMES and h == "Email Address"))
    return header, [entry[2] for entry in entries]
