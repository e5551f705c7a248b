"""Reading maximally diverse grouping problem (MDGP) instances, the MDGPLIB text format.

First line: `M G TYPE l1 u1 ... lG uG` (M elements, G groups, `ss` or `ds`, then each group's size bounds);
every other line `a b d`: the score of the pair (a, b), each pair once. Missing pairs score 0.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .model import Problem


def read_mdgp(path) -> tuple[Problem, str]:
    """Read an MDGP instance file; return the problem and the instance name (the file name without suffix)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"{path.name}: the file is empty")
    head = lines[0]
    try:
        m, g = int(head[0]), int(head[1])
        bounds = [int(x) for x in head[3:3 + 2 * g]]
    except (ValueError, IndexError):
        raise ValueError(f"{path.name}: the first line must be 'M G TYPE l1 u1 ... lG uG'") from None
    if m < 1 or g < 1 or len(bounds) != 2 * g or head[2] not in ("ss", "ds"):
        raise ValueError(f"{path.name}: the first line must be 'M G TYPE l1 u1 ... lG uG' with TYPE ss or ds")
    scores = np.zeros((m, m))
    for number, parts in enumerate(lines[1:], start=2):
        try:
            a, b, d = int(parts[0]), int(parts[1]), float(parts[2])
        except (ValueError, IndexError):
            raise ValueError(f"{path.name}, line {number}: expected 'a b d'") from None
        if not (0 <= a < m and 0 <= b < m) or a == b:
            raise ValueError(f"{path.name}, line {number}: elements must be two different numbers from 0 to {m - 1}")
        scores[a, b] = scores[b, a] = d
    sizes = [(bounds[2 * k], bounds[2 * k + 1]) for k in range(g)]
    return Problem(scores=scores, sizes=sizes), path.stem
