"""Proposing a field for a column no header claimed, from what its answers look like.

Every year's form words its questions anew, so a header may match no field. Rather than drop such a column, its
answers are read: a list of short checkbox-like phrases is the kind's checkbox question (topics for circle
applications, areas of expertise for the skills survey), day-and-time phrases are availability, dates and
times are the timestamp, yes/no answers are the agreement or the consent. Only fields no column claims yet
are proposed, only when exactly one column fits and the answers clearly fit; the committee sees each one
marked as guessed and can change it. The content also settles the two application questions headers confuse
most: checkbox answers under a "goals" header are the interests, free text under an "interests" header the goals.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from . import forms
from .answers import (EMAIL_RE, TIME_ZONE_SUFFIX, checkbox_separator, is_availability, is_no, is_yes, plausible_years,
                      timestamp_formats)
from .sheets import Sheet, quoted

# Enough answers to judge a column; a 100,000-row file is judged on its first rows.
SAMPLE_ROWS = 500

CHECKBOX_FIELD = {"skills": "expertise", "applications": "interests"}
YES_NO_FIELD = {"skills": "consent", "applications": "agreement"}
_SHAPE_FIELD = {"timestamp": "timestamp", "email": "email"}

_DATE_LIKE = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b")
_FORMATS = tuple(dict.fromkeys(timestamp_formats(False) + timestamp_formats(True)))
# A checkbox option is a short phrase; an answer longer than this is someone writing sentences.
_OPTION_WORDS, _OPTION_CHARS = 8, 80
_FREE_TEXT_WORDS = 8


def answers(sheet: Sheet, header: str) -> list[str]:
    """Return the non-empty answers of a column (its first SAMPLE_ROWS rows), spaces tidied."""
    column = sheet.table.column(sheet.column(header)).slice(0, SAMPLE_ROWS).to_pylist()
    return [text for text in (re.sub(r"\s+", " ", value or "").strip() for value in column) if text]


def is_timestamp(text: str) -> bool:
    """Tell whether a cell is a date (and time) of either export shape, in a plausible year."""
    if not _DATE_LIKE.match(text):
        return False
    bare = re.sub(TIME_ZONE_SUFFIX, "", text)
    earliest, latest = plausible_years()
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(bare, fmt)
        except ValueError:
            continue
        return earliest <= parsed.year <= latest
    return False


def _is_yes_no(text: str) -> bool:
    """Tell whether a cell answers yes or no."""
    return is_yes(text) or is_no(text)


def _split(values: list[str]) -> list[list[str]]:
    """Split every cell into its checked options (';' when the column uses it, else ', ')."""
    separator = checkbox_separator(values, lambda part: False)
    return [[part for part in (p.strip().strip(",;").strip() for p in value.split(separator)) if part]
            for value in values]


def _is_option(part: str) -> bool:
    """Tell whether one answer part reads like a checkbox option: a short phrase, not a sentence or a number."""
    words = part.split()
    return (0 < len(words) <= _OPTION_WORDS and len(part) <= _OPTION_CHARS and ". " not in part
            and not part.endswith("?") and re.search(r"[A-Za-z]", part) is not None
            and re.match(EMAIL_RE, part.lower()) is None)


def _looks_like_checkboxes(cells: list[list[str]]) -> bool:
    """Tell whether split cells are checked options: short phrases, several per answer, shared between answers."""
    parts = [part for cell in cells for part in cell]
    if not parts or sum(map(_is_option, parts)) < 0.9 * len(parts):
        return False
    if sum(len(part.split()) for part in parts) / len(parts) > 5:
        return False
    several = sum(1 for cell in cells if len(cell) >= 2)
    if not several or (len(cells) >= 3 and several < 0.3 * len(cells)):
        return False
    # Options repeat from answer to answer; with a handful of answers there is too little to tell.
    if len(cells) >= 3:
        shared = Counter(part.lower() for cell in cells for part in {p.lower() for p in cell})
        return max(shared.values()) >= 2
    return True


def shape(values: list[str]) -> str | None:
    """Name what a column's answers look like: timestamp, email, yes_no, availability, checkboxes, free_text or None."""
    if not values:
        return None
    total = len(values)

    def share(test) -> float:
        """The fraction of answers that pass a test."""
        return sum(1 for value in values if test(value)) / total

    if share(is_timestamp) >= 0.9:
        return "timestamp"
    if share(lambda v: re.match(EMAIL_RE, v.lower()) is not None) >= 0.9:
        return "email"
    if (share(_is_yes_no) >= 0.95 and len({v.lower() for v in values}) <= 6
            and any(re.search(r"[A-Za-z]", v) for v in values)):
        return "yes_no"
    cells = _split(values)
    if _looks_like_checkboxes(cells):
        parts = [part for cell in cells for part in cell]
        return "availability" if sum(map(is_availability, parts)) >= 0.8 * len(parts) else "checkboxes"
    if share(lambda v: len(v.split()) >= _FREE_TEXT_WORDS) >= 0.5:
        return "free_text"
    return None


def _field_for(kind: str, found: str | None) -> str | None:
    """The field of a kind a column of this shape answers, if the kind has one."""
    if found == "checkboxes":
        return CHECKBOX_FIELD.get(kind)
    if found == "yes_no":
        return YES_NO_FIELD.get(kind)
    if found == "availability":
        return "availability" if kind == "applications" else CHECKBOX_FIELD.get(kind)
    name = _SHAPE_FIELD.get(found or "")
    return name if name and any(spec.name == name for spec in forms.FIELDS[kind]) else None


def propose(kind: str, sheet: Sheet, mapping: dict[str, str],
            shapes: dict[str, str | None] | None = None) -> dict[str, str]:
    """Return header -> field guessed from the answers, for columns the headers left out (and the goals swap).

    `shapes` caches each column's shape across calls for several kinds of one sheet.
    """
    shapes = {} if shapes is None else shapes

    def shape_of(header: str) -> str | None:
        """A column's shape, read once per sheet."""
        if header not in shapes:
            shapes[header] = shape(answers(sheet, header))
        return shapes[header]

    claimed = set(mapping.values())
    candidates: dict[str, list[str]] = {}
    for header in sheet.headers:
        if header in mapping:
            continue
        name = _field_for(kind, shape_of(header))
        if name and name not in claimed:
            candidates.setdefault(name, []).append(header)
    # Two columns that both fit one field: which is which is the committee's call, not a guess.
    guessed = {headers[0]: name for name, headers in candidates.items() if len(headers) == 1}
    if kind == "applications":
        taken = claimed | set(guessed.values())
        by_field = {name: header for header, name in mapping.items()}
        for source, target, fits in (("goals", "interests", "checkboxes"), ("interests", "goals", "free_text")):
            header = by_field.get(source)
            if header and target not in taken and shape_of(header) == fits:
                guessed[header] = target
                taken.add(target)
                break
    return guessed


# Honorifics: a "Your Title" question asking for these is no job title.
_HONORIFIC = re.compile(r"^(mr|mrs|ms|miss|mx|dr|prof|professor|rev|sir|madam|mister)\.?$", re.IGNORECASE)
_YES_NO_FIELDS = ("consent", "agreement", "consent_to_quote")
_NAME_FIELDS = ("name", "given_name", "family_name")
# The headers Google itself writes: their column is that field whatever its cells hold (bad cells are row errors).
_GOOGLE_HEADERS = {"timestamp": "timestamp", "email address": "email"}
# A header's field stands when this share of its answers fits it (a few odd answers are the rows' problems).
_FITS = 0.5


def _is_name(text: str) -> bool:
    """Tell whether a cell reads like a person's name: a few words with letters, no address or link."""
    text = re.sub(r"<[^>]*>", " ", text)  # markup is the rows' problem (held for review), not the column's
    words = text.split()
    return (0 < len(words) <= 6 and len(text) <= 80 and not re.search(r"@|://", text)
            and re.search(r"[^\W\d_]", text) is not None)


def _misfit(name: str, values: list[str], found: str | None) -> str | None:
    """Say what a column's answers are when they do not fit the field its header suggests; None when they fit."""
    def share(test) -> float:
        """The fraction of answers that pass a test."""
        return sum(1 for value in values if test(value)) / len(values)

    # Loosely: a date that does not parse, an address with a typo, is a row error to show, not another column.
    if name == "timestamp":
        return None if share(lambda v: _DATE_LIKE.match(v) is not None) >= _FITS else "not dates and times"
    if name == "email":
        return None if share(lambda v: "@" in v) >= _FITS else "not email addresses"
    if found == "email":
        return "email addresses"
    if found == "timestamp":
        return "dates and times"
    if name in _YES_NO_FIELDS and share(_is_yes_no) < _FITS:
        return "not yes or no"
    if name in _NAME_FIELDS and share(_is_name) < _FITS:
        return "not names"
    if name == "job_title" and share(lambda v: _HONORIFIC.match(v) is not None) >= _FITS:
        return "titles such as Mr or Dr, not job titles"
    return None


def misfits(kind: str, sheet: Sheet, mapping: dict[str, str],
            shapes: dict[str, str | None] | None = None) -> dict[str, str]:
    """Return header -> why, for headers whose field (proposed from the header) their answers do not fit.

    A header's words may suit a field its question does not ask ("Preferred email address to publish" is no
    consent): such a field is only a weak guess, shown with its reason, and the column is read for what it holds.
    """
    shapes = {} if shapes is None else shapes
    doubts: dict[str, str] = {}
    for header, name in mapping.items():
        if name.startswith("month:") or _GOOGLE_HEADERS.get(forms.normalise_header(header)) == name:
            continue
        values = answers(sheet, header)
        if not values:
            continue  # nothing to judge by: the header decides
        if header not in shapes:
            shapes[header] = shape(values)
        what = _misfit(name, values, shapes[header])
        if what:
            example = next(iter(values))
            doubts[header] = (f"the header suggests {forms.field(kind, name).label}, but its answers are {what} "
                              f"(e.g. {quoted(example, 40)})")
    return doubts


def from_answers(sheet: Sheet, shapes: dict[str, str | None] | None = None):
    """Return an `extra(kind, mapping)` for lib.imports.forms' kind detection: the fields a sheet's answers add."""
    shapes = {} if shapes is None else shapes

    def extra(kind: str, mapping: dict[str, str]) -> dict[str, str]:
        """The fields this sheet's answers add to a kind's mapping."""
        return propose(kind, sheet, mapping, shapes)
    return extra
