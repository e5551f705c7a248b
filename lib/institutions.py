"""Institutions: recognising the names people type (aliases, abbreviations, typos) and those to review."""
from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
from rapidfuzz import fuzz, process

# Abbreviations people type for words in institution names.
_WORDS = {"univ": "university", "u": "university", "coll": "college", "st": "saint", "inst": "institute",
          "tech": "tech", "&": "and", "cc": "community college"}
FUZZY_MIN = 86
FUZZY_MARGIN = 4


@dataclass(frozen=True)
class Match:
    """How a typed institution was recognised."""

    institution_id: int | None
    name: str | None
    how: str  # exact, alias, campus, prefix, fuzzy, unknown


def normalise(text: str) -> str:
    """Lowercase, drop punctuation and expand common abbreviations."""
    words = re.sub(r"[^\w&]+", " ", text.lower().replace("'", "")).split()
    return " ".join(_WORDS.get(word, word) for word in words)


class Matcher:
    """Matches typed institution names against the institutions table."""

    def __init__(self, rows: list[tuple[int, str, list[str]]]):
        """Index names and aliases; rows are (id, name, aliases)."""
        self._exact: dict[str, tuple[int, str, str]] = {}
        self._normal: dict[str, tuple[int, str]] = {}
        for inst_id, name, aliases in rows:
            for text, how in [(name, "exact"), *((a, "alias") for a in aliases or [])]:
                self._exact.setdefault(re.sub(r"\s+", " ", text.strip().lower()), (inst_id, name, how))
                self._normal.setdefault(normalise(text), (inst_id, name))
        self._choices = list(self._normal)

    @classmethod
    def from_db(cls, conn: duckdb.DuckDBPyConnection) -> "Matcher":
        """Build a matcher from the institutions table."""
        return cls(conn.execute("SELECT id, name, aliases FROM institutions").fetchall())

    def match(self, raw: str) -> Match:
        """Recognise one typed name: exact or alias, then without a campus suffix, then by close spelling."""
        key = re.sub(r"\s+", " ", raw.strip().lower())
        if not key:
            return Match(None, None, "unknown")
        if key in self._exact:
            inst_id, name, how = self._exact[key]
            return Match(inst_id, name, how)
        normal = normalise(raw)
        if normal in self._normal:
            return Match(*self._normal[normal], "alias")
        # "Ivy Tech Community College - Bloomington": the institution, then a campus.
        head = re.split(r"\s*[,/(]\s*|\s+[-\u2013\u2014]\s*", raw.strip(), maxsplit=1)[0]
        if head != raw.strip():
            found = self.match(head)
            if found.institution_id is not None:
                return Match(found.institution_id, found.name, "campus")
        # "Butler", "DePauw", "Indiana State": the start of exactly one institution's name.
        starts = {self._normal[n] for n in self._choices if n.startswith(normal + " ")}
        if len({inst_id for inst_id, _ in starts}) == 1:
            return Match(*next(iter(starts)), "prefix")
        best = process.extract(normal, self._choices, scorer=fuzz.token_sort_ratio, limit=2)
        if best and best[0][1] >= FUZZY_MIN:
            runner_up = best[1][1] if len(best) > 1 and self._normal[best[1][0]][0] != self._normal[best[0][0]][0] else 0
            if best[0][1] - runner_up >= FUZZY_MARGIN:
                return Match(*self._normal[best[0][0]], "fuzzy")
        return Match(None, None, "unknown")


def needing_review(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """List institution names from answers that matched nothing, with how many answers use them."""
    return conn.execute("""
        SELECT institution_raw, count(*) FROM (
            SELECT institution_raw FROM survey_responses WHERE institution_id IS NULL AND institution_raw IS NOT NULL
            UNION ALL
            SELECT institution_raw FROM applications WHERE institution_id IS NULL AND institution_raw IS NOT NULL)
        GROUP BY institution_raw ORDER BY count(*) DESC, institution_raw""").fetchall()
