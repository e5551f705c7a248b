"""Checks across an import's staged rows: blank answers, unreadable consent, the program year, email typos.

Each adds warnings naming the row, the column and the value; none changes what is imported (a nameless survey
answer is held for review by lib.imports.validation, which only these warnings explain).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import forms
from .answers import is_no, is_yes
from .validation import MARKUP, REVIEWED_FIELDS, Problem, fcol

if TYPE_CHECKING:
    from .validation import Staging

# The consent-like field of each kind, and what an answer that is neither yes nor no becomes.
_YES_NO = {"skills": ("consent", "not published"), "outcomes": ("consent_to_quote", "not quoted")}


def formulas_and_markup(stage: Staging) -> None:
    """Warn about cells a spreadsheet would run as a formula, and markup in survey answers held for review."""
    # A name in two parts is reviewed as the name they join into.
    reviewed = {*(name for name, _, _ in REVIEWED_FIELDS), *forms.NAME_PARTS} if stage.kind == "skills" else set()
    for name in stage.columns:
        column = fcol(name)
        held = ", and held for review before it is published" if name in reviewed else ""
        stage.list_rows(f"SELECT _row, {column} FROM import_base WHERE starts_with(ltrim({column}), '=')"
                        " ORDER BY _row", [], stage.header(name),
                        f"looks like a spreadsheet formula: kept as plain text, never run{held}", errors=False)
        if name in reviewed:
            stage.list_rows(f"SELECT _row, {column} FROM import_base WHERE regexp_matches({column}, ?)"
                            " ORDER BY _row", [MARKUP], stage.header(name),
                            "contains markup (HTML tags): held for review before it is published", errors=False)


def blank_answers(stage: Staging) -> None:
    """Refuse rows with no email where one is required; warn about valid rows with no name or no institution."""
    if stage.header("email") and forms.field(stage.kind, "email").required:
        stage.list_rows("SELECT _row, f_email FROM import_base WHERE email_text = '' ORDER BY _row", [],
                        stage.header("email"), "no email address: it is required (it tells who answered)")
    if stage.kind not in ("skills", "applications"):
        return
    held = "held for review: not published until a name is added on the Directory page"
    outcome = held if stage.kind == "skills" else "the application is shown by its email address"
    stage.list_rows("SELECT _row, f_name FROM import_valid WHERE name IS NULL ORDER BY _row", [],
                    stage.header("name"), f"no name: {outcome}", errors=False)
    if stage.header("institution"):
        stage.list_rows("SELECT _row, f_institution FROM import_valid WHERE institution_text IS NULL ORDER BY _row",
                        [], stage.header("institution"), "no institution: imported without one", errors=False)


def unreadable_consent(stage: Staging) -> int:
    """Warn about blank consent answers and ones read as neither yes nor no (both count as no); return the latter."""
    if stage.kind not in _YES_NO or not stage.header(_YES_NO[stage.kind][0]):
        return 0
    name, outcome = _YES_NO[stage.kind]
    column = f"f_{name}"
    values = [row[0] for row in stage.conn.execute(
        f"SELECT DISTINCT {column} FROM import_valid WHERE trim({column}) <> ''").fetchall()]
    unread = [value for value in values if not is_yes(value) and not is_no(value)]
    stage.list_rows(f"SELECT _row, {column} FROM import_valid WHERE trim({column}) = '' ORDER BY _row", [],
                    stage.header(name), f"no answer: counts as no ({outcome})", errors=False)
    if not unread:
        return 0
    count = stage.list_rows(f"SELECT _row, {column} FROM import_valid WHERE {column} IN (SELECT unnest(?)) ORDER BY _row",
                            [unread], stage.header(name), f"not a yes or no answer: read as no ({outcome})",
                            errors=False)
    stage.result.warnings.append(Problem(
        None, stage.header(name), None, f"{count:,} answer(s) to this question could not be read as yes or no, so "
                                        f"they count as no ({outcome}): check them in the list below"))
    return count


def program_year(stage: Staging) -> None:
    """Warn when the chosen program year is not the one the rows' timestamps fall in, naming both years."""
    if not stage.cycle or not stage.header("timestamp"):
        return
    rows = stage.conn.execute("""
        SELECT dated, count(*), min(_row), arg_min(f_timestamp, _row) FROM (
            SELECT _row, f_timestamp, CASE WHEN month(submitted_at) >= 9 THEN year(submitted_at)
                                           ELSE year(submitted_at) - 1 END AS y,
                   printf('%d-%02d', y, (y + 1) % 100) AS dated
            FROM import_valid WHERE submitted_at IS NOT NULL)
        WHERE dated <> ? GROUP BY dated ORDER BY min(_row)""", [stage.cycle]).fetchall()
    for dated, count, row_no, value in rows:
        stage.result.warnings.append(Problem(
            row_no, stage.header("timestamp"), value,
            f"{count:,} row(s) are dated in program year {dated}, but {stage.cycle} was chosen: they are imported "
            f"as {stage.cycle}. Choose {dated} (or the program year from each row's timestamp) if that is wrong"))


def email_typos(stage: Staging) -> None:
    """Warn when a new email is one letter away from another person's with the same name (nothing is merged)."""
    if stage.kind not in ("skills", "applications"):
        return
    found = stage.conn.execute("""
        WITH incoming_people AS (SELECT email, any_value(name) AS name, min(row) AS row FROM incoming
                                 WHERE name IS NOT NULL GROUP BY email),
             new AS (SELECT * FROM incoming_people i WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.email = i.email)),
             known AS (SELECT email, name, NULL::BIGINT AS row FROM people WHERE name IS NOT NULL
                       UNION ALL SELECT email, name, row FROM incoming_people)
        SELECT DISTINCT n.row, n.email, k.email, k.row FROM new n JOIN known k
          ON lower(strip_accents(trim(k.name))) = lower(strip_accents(trim(n.name)))
         AND k.email <> n.email AND abs(length(k.email) - length(n.email)) <= 1
         AND levenshtein(k.email, n.email) = 1
        WHERE k.row IS NULL OR k.row < n.row
        ORDER BY n.row""").fetchall()
    for row_no, email, other, other_row in found:
        where = f"row {other_row} of this file" if other_row else "someone already in the database"
        stage.result.warnings.append(Problem(
            row_no, stage.header("email"), email,
            f"one letter away from {other} ({where}, with the same name): a typo? It is imported as a new person; "
            "correct the file if it is the same person"))
