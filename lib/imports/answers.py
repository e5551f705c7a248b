"""Reading the answers people type into Google Forms: emails, checkboxes, timestamps, years, yes/no.

Both export shapes are understood: the form's own "Download responses (.csv)" (timestamps such as
`2025/09/15 10:32:11 AM EDT`, checkboxes joined with ";") and the linked Sheet's download (timestamps in the
sheet's locale such as `9/15/2025 10:32:11`, checkboxes joined with ", ").
"""
from __future__ import annotations

import re
from datetime import date
from typing import Callable, Iterable

from . import forms

EMAIL_RE = r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$"
YES = ("yes", "y", "true", "i agree", "agree", "i consent", "consent", "1")

# The Sheet's download: US month/day (or day/month in other locales), 24-hour or 12-hour clock.
_US_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y")
_DAY_FIRST_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %I:%M:%S %p", "%d/%m/%Y %I:%M %p",
                      "%d/%m/%Y")
# The form's own download: year first, 12-hour clock (the time zone is removed first, see TIME_ZONE_SUFFIX).
_YEAR_FIRST_FORMATS = ("%Y/%m/%d %I:%M:%S %p", "%Y/%m/%d %I:%M %p", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                       "%Y/%m/%d")
# Real datetime cells of an XLSX workbook arrive as ISO text.
_ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%d")

# A trailing time zone: an abbreviation (EDT, EST, CEST: three to five capitals, so "AM"/"PM" never match)
# or an offset (GMT-4, GMT+5:30, UTC, +0530). Both export shapes record the form owner's wall-clock time,
# so the zone is dropped: the two shapes of one export then give the same timestamps.
TIME_ZONE_SUFFIX = r"\s+(?:(?:GMT|UTC)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2}|[A-Z]{3,5})$"

# ALI was founded in 2003; nothing the committee imports can be older.
EARLIEST_YEAR = 2003

_DAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
         "saturday": "sat", "sunday": "sun", "weekday": "weekday", "weekend": "weekend"}
_PARTS = {"morning": "am", "mornings": "am", "afternoon": "pm", "afternoons": "pm",
          "evening": "eve", "evenings": "eve"}


def timestamp_formats(day_first: bool) -> tuple[str, ...]:
    """Every strptime format a timestamp of either export shape may use, the locale's month/day order first."""
    return (_DAY_FIRST_FORMATS if day_first else _US_FORMATS) + _YEAR_FIRST_FORMATS + _ISO_FORMATS


def plausible_years(today: date | None = None) -> tuple[int, int]:
    """The range of years a response's timestamp may fall in: ALI's founding to next year."""
    return EARLIEST_YEAR, (today or date.today()).year + 1


def normalise_email(value: object) -> str | None:
    """Trim and lowercase an email; None when it is not an email address."""
    text = str(value or "").strip().lower()
    if text.startswith("mailto:"):
        text = text[7:]
    return text if re.match(EMAIL_RE, text) else None


def _parts(text: str, separator: str) -> list[str]:
    """Split a cell on one separator, trimming each part and dropping empty ones."""
    return [part for part in (p.strip().strip(",;").strip() for p in text.split(separator)) if part]


def split_checkboxes(cell: object, options: dict[str, str], separator: str = ", ") -> tuple[list[str], list[str]]:
    """Split a checkbox cell against known options (lowercased text -> canonical); return (known, other).

    With the Sheet's ", " separator, options that themselves hold ", " are taken out whole first.
    """
    text = re.sub(r"\s+", " ", str(cell or "")).strip()
    if not text:
        return [], []
    tokens: dict[str, str] = {}
    if separator == ", ":
        # Swapped for a token before splitting, so they stay whole and in the order they were checked.
        for number, option_text in enumerate(sorted((o for o in options if ", " in o), key=len, reverse=True)):
            index = text.lower().find(option_text)
            if index >= 0:
                token = f"\ue000{number}\ue000"
                tokens[token] = options[option_text]
                text = text[:index] + token + text[index + len(option_text):]
    known: list[str] = []
    other: list[str] = []
    for part in _parts(text, separator):
        canonical = tokens.get(part) or options.get(part.lower())
        if canonical:
            known.append(canonical)
        else:
            other.append(part)
    return list(dict.fromkeys(known)), list(dict.fromkeys(other))


def checkbox_separator(cells: Iterable[str], is_option: Callable[[str], bool]) -> str:
    """Tell how a checkbox column joins its answers: ";" (the form's download) or ", " (the Sheet's).

    Decided per column, against the known options: the separator whose split recognises more options wins.
    When no option is recognised either way (a question whose options are not known), the separator that
    occurs in more cells wins; ", " on a tie, as the Sheet is the more common source.
    """
    semicolon = comma = with_semicolon = with_comma = 0
    for cell in cells:
        text = re.sub(r"\s+", " ", str(cell or "")).strip()
        with_semicolon += ";" in text
        with_comma += ", " in text
        semicolon += sum(1 for part in _parts(text, ";") if is_option(part))
        comma += sum(1 for part in _parts(text, ", ") if is_option(part))
    if not with_semicolon:
        return ", "
    if semicolon != comma:
        return ";" if semicolon > comma else ", "
    return ";" if with_semicolon > with_comma else ", "


def is_availability(option: str) -> bool:
    """Tell whether an availability answer names a day and a part of the day ('Monday mornings')."""
    day, _, part = availability_slot(option).partition("-")
    return day in _DAYS.values() and part in _PARTS.values()


def parse_years(value: object) -> int | None:
    """Read 'years in the profession' answers such as '12', '25+', 'less than 1'."""
    text = str(value or "").strip().lower()
    if not text:
        return None
    if "less than" in text or text.startswith("<"):
        return 0
    match = re.search(r"\d+", text)
    return int(match.group()) if match else None


def parse_career_stage(value: object) -> tuple[int | None, bool] | None:
    """Return (months in the profession, is a library-school student), or None when unreadable."""
    text = re.sub(r"\s+", " ", str(value or "")).strip().lower()
    if not text:
        return None
    if "student" in text or "graduating" in text or "library school" in text:
        return None, True
    compact = re.sub(r"\s*[-\u2013]\s*", "-", text)
    for stage, months in forms.CAREER_STAGE_MONTHS.items():
        if compact.startswith(stage):
            return months, False
    years = parse_years(text)
    if years is None:
        return None
    return (years * 12 + 6, False) if "more than" not in text else ((years + 1) * 12, False)


def availability_slot(option: str) -> str:
    """Turn 'Monday morning' into 'mon-am' so availability compares across wordings."""
    words = re.findall(r"[a-z]+", option.lower())
    day = next((_DAYS[w] for w in words if w in _DAYS), None)
    part = next((_PARTS[w] for w in words if w in _PARTS), None)
    if day and part:
        return f"{day}-{part}"
    return "-".join(words) or option


def is_yes(value: object) -> bool:
    """Tell whether a consent or agreement answer says yes."""
    text = str(value or "").strip().lower().rstrip(".!")
    return text in YES or text.startswith(("yes", "i agree", "i consent"))


NO = ("no", "n", "false", "0", "disagree", "i disagree", "i do not agree", "i don't agree", "decline", "i decline",
      "i do not consent", "i don't consent")


def is_no(value: object) -> bool:
    """Tell whether a consent or agreement answer says no."""
    text = str(value or "").strip().lower().rstrip(".!")
    return text in NO or text.startswith(("no,", "no ", "i do not", "i don't"))
