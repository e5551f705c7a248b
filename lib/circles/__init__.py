"""Peer Mentorship Circles: criteria, drafts proposed by the grouping engine and edited by hand, rosters.

`criteria` says what makes a good circle, `drafts` reads, proposes and compares, `edits` changes and
finalises, `rosters`
hands out files and emails, `guests` links circles to the Skills Directory.
"""
from __future__ import annotations

from .criteria import (CRITERIA, DEFAULT_IMPORTANCE, IMPORTANCE, LABELS, STAGE_MODES, Blocker, Options,
                       People)
from .drafts import (DRAFT, FINAL, SUPERSEDED, Circle, Draft, NotFormable, check, compare, eligible,
                     final_draft_id, list_drafts, load, pair_rules, pool, propose, solver_words,
                     summary_by_measure, SameProposal)
from .edits import copy, delete, finalise, move, pin, rename_circle, resolve, set_facilitator, set_pair_rule, swap
from .guests import suggest, topics
from .rosters import (FORMATS, file_name, roster, roster_file, schedule, slot_words, welcome_email,
                      welcome_emails)

__all__ = [
    "CRITERIA", "DEFAULT_IMPORTANCE", "IMPORTANCE", "LABELS", "STAGE_MODES", "Blocker", "Options", "People",
    "DRAFT", "FINAL", "SUPERSEDED", "Circle", "Draft", "NotFormable", "check", "compare", "copy", "delete",
    "eligible", "final_draft_id", "finalise", "list_drafts", "load", "move", "pair_rules", "pin", "pool", "propose",
    "rename_circle", "resolve", "SameProposal", "set_facilitator", "set_pair_rule", "solver_words",
    "summary_by_measure", "swap", "suggest", "topics", "FORMATS", "file_name",
    "roster", "roster_file", "schedule", "slot_words", "welcome_email", "welcome_emails",
]
