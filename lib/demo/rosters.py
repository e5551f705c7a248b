"""The demo's circle rosters and attendance sheets: the on-time eligible applicants in circles, month by month."""
from __future__ import annotations

import random

from .applications import _Applicant

ROSTER_HEADERS = ("Circle", "Email")
MONTHS = ("Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May")
ATTENDANCE_HEADERS = ("Circle", "Name", "Email") + MONTHS


def _form_circles(rng: random.Random, members: list[_Applicant]) -> list[tuple[str, list[_Applicant]]]:
    """Split the on-time eligible applicants into circles of 4-6, spreading each institution across circles."""
    people = list(members)
    rng.shuffle(people)
    if len(people) == 7:
        # 7 cannot be split into circles of 4-6: the committee waitlists one.
        people.pop()
    count = max(1, -(-len(people) // 6))
    groups: dict[int, list[_Applicant]] = {}
    for a in people:
        groups.setdefault(a.person.institution, []).append(a)
    # Dealing the largest institutions first, round robin, puts colleagues in different circles.
    dealt = [a for group in sorted(groups.values(), key=len, reverse=True) for a in group]
    circles: list[list[_Applicant]] = [[] for _ in range(count)]
    for position, a in enumerate(dealt):
        circles[position % count].append(a)
    return [
        (f"Circle {_letters(i)}", sorted(circle, key=lambda a: (a.person.last, a.person.first, a.person.email)))
        for i, circle in enumerate(circles)
    ]


def _letters(index: int) -> str:
    """Return spreadsheet-style letters: A..Z, AA, AB, ..."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(65 + rest) + text
    return text


def _attendance(
    rng: random.Random, year: int, scale: float, circles: list[tuple[str, list[_Applicant]]]
) -> tuple[list[list[str]], set[str]]:
    """Return the attendance sheet rows and the emails of members who dropped out."""
    members = [(name, a) for name, group in circles for a in group]
    grid = [["Present"] * len(MONTHS) for _ in members]
    dropouts: set[str] = set()
    if year == 2023:
        # The first cohort attended nearly everything: at most two missed meetings per five members.
        cells = [(m, k) for m in range(len(members)) for k in range(len(MONTHS))]
        misses = rng.randint(1, max(1, round(2 * scale)))
        for m, k in rng.sample(cells, min(misses, len(cells))):
            grid[m][k] = rng.choice(("Absent", "Excused"))
    else:
        for row in grid:
            for k in range(len(MONTHS)):
                row[k] = rng.choices(("Present", "Excused", "Absent"), weights=(88, 6, 6))[0]
        for m in rng.sample(range(len(members)), min(round(scale), len(members))):
            start = rng.randint(2, 5)
            for k in range(start, len(MONTHS)):
                grid[m][k] = "Absent"
            dropouts.add(members[m][1].person.email)
    rows = [[name, a.person.name, a.person.email] + grid[m] for m, (name, a) in enumerate(members)]
    return rows, dropouts
