"""Grouping engine: put people into groups with size bounds, maximising the sum of pair scores, with hard rules.

Used to form peer-mentoring circles; measured on maximally diverse grouping problem (MDGP) instances
(`python -m lib grouping mdgp FILE`, `bench/mdgp.py`). See `Problem`, `solve`, `evaluate`.
"""
from __future__ import annotations

from .engine import solve
from .mdgp import read_mdgp
from .model import Infeasible, Problem, Solution, evaluate, groups_for

__all__ = ["Infeasible", "Problem", "Solution", "evaluate", "groups_for", "read_mdgp", "solve"]
