"""Institutions: recognising the names people type (aliases, abbreviations, typos), and reviewing unknown ones.

An unknown name is either accepted as an alias of an institution or becomes a new institution; either way the
past answers that typed it are linked (surveys, applications, and people still without an institution), in one
audited transaction, and the next import matches it (the matcher reads the aliases from the table).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
from rapidfuzz import fuzz, process

from ..db import ConflictError, audit, first, scalar, writing
from ..textmatch import TokenScorer, fold

# Abbreviations people type for words in institution names.
_WORDS = {"univ": "university", "u": "university", "coll": "college", "st": "saint", "inst": "institute",
          "tech": "tech", "&": "and", "cc": "community college"}
FUZZY_MIN = 86
FUZZY_MARGIN = 4
TYPES = ("public", "private", "seminary", "health sciences", "community college")
# Words most institution names share: they never make one a suggestion for another.
GENERIC_WORDS = frozenset({"university", "college", "institute", "school", "campus", "community", "saint", "of",
                           "the", "and", "at", "in"})
SUGGEST_MIN = 40  # suggestions are for a person to choose from, so weaker ones are shown too
SUGGESTIONS = 3
CERTAIN = ("exact", "alias", "campus")  # matches the importer accepts without asking


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
        self._rows = rows
        self._scorer: TokenScorer | None = None

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

    def suggest(self, raw: str, limit: int = SUGGESTIONS) -> list[tuple[int, str, int]]:
        """Up to `limit` institutions a typed name may mean, as (id, name, score 0-100), best first."""
        if self._scorer is None:
            entries = ((inst_id, [name, *(aliases or [])], []) for inst_id, name, aliases in self._rows)
            self._scorer = TokenScorer(entries, GENERIC_WORDS, split=lambda text: fold(normalise(text)).split())
        names = {inst_id: name for inst_id, name, _ in self._rows}
        found = self.match(raw)
        ranked = self._scorer.rank(raw, limit=limit + 1, minimum=SUGGEST_MIN)
        if found.institution_id is not None:  # what the importer would read it as comes first
            score = 100 if found.how in CERTAIN else dict(ranked).get(found.institution_id, FUZZY_MIN)
            ranked = [(found.institution_id, score), *((i, s) for i, s in ranked if i != found.institution_id)]
        return [(inst_id, names[inst_id], score) for inst_id, score in ranked[:limit]]


def needing_review(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """List institution names from answers that matched nothing, with how many answers use them."""
    return conn.execute("""
        SELECT institution_raw, count(*) FROM (
            SELECT institution_raw FROM survey_responses WHERE institution_id IS NULL AND institution_raw IS NOT NULL
            UNION ALL
            SELECT institution_raw FROM applications WHERE institution_id IS NULL AND institution_raw IS NOT NULL)
        GROUP BY institution_raw ORDER BY count(*) DESC, institution_raw""").fetchall()


# ------------------------------------------------------------------------------------------ reviewing


@dataclass(frozen=True)
class Unknown:
    """A typed institution name that matched nothing, how many answers use it, and up to 3 suggestions."""

    name: str
    answers: int
    suggestions: tuple[tuple[int, str, int], ...]


@dataclass(frozen=True)
class Institution:
    """One institution as the committee edits it."""

    id: int
    name: str
    aliases: tuple[str, ...]
    city: str | None
    county: str | None
    type: str | None
    version: int


@dataclass(frozen=True)
class Relinked:
    """Past answers an accepted name linked to its institution."""

    institution_id: int
    name: str
    responses: int = 0
    applications: int = 0
    people: int = 0

    @property
    def answers(self) -> int:
        """Survey answers and applications together."""
        return self.responses + self.applications


def to_review(conn: duckdb.DuckDBPyConnection) -> list[Unknown]:
    """Unknown institution names from answers, most used first, each with up to 3 suggestions."""
    matcher = Matcher.from_db(conn)
    return [Unknown(name, count, tuple(matcher.suggest(name))) for name, count in needing_review(conn)]


def list_institutions(conn: duckdb.DuckDBPyConnection) -> list[Institution]:
    """Every institution, alphabetically."""
    rows = conn.execute("SELECT id, name, aliases, city, county, type, version FROM institutions ORDER BY name")
    return [Institution(i, n, tuple(a or ()), c, k, t, v) for i, n, a, c, k, t, v in rows.fetchall()]


def counties(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Indiana's counties (from data/reference/counties.csv), alphabetically."""
    return [row[0] for row in conn.execute("SELECT county FROM counties ORDER BY county").fetchall()]


def find(conn: duckdb.DuckDBPyConnection, name: str) -> Institution:
    """The institution a name means (exactly, by alias, campus or a unique start); ValueError naming close ones."""
    matcher = Matcher.from_db(conn)
    found = matcher.match(name)
    if found.institution_id is None or found.how == "fuzzy":
        close = [n for _, n, _ in matcher.suggest(name)]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(f"No institution named '{name}'.{hint}")
    return next(i for i in list_institutions(conn) if i.id == found.institution_id)


def _clean(text: str | None, what: str) -> str:
    """Trim a typed name; ValueError when it is empty, too long or looks like a formula or markup."""
    value = re.sub(r"\s+", " ", text or "").strip()
    if not normalise(value):
        raise ValueError(f"{what} needs some letters or digits.")
    if len(value) > 200:
        raise ValueError(f"{what} can have at most 200 characters.")
    if re.match(r"\s*([=+@]|-\s*[\d(=+])", value) or re.search(r"<\s*/?\s*[A-Za-z!][^>]*>", value):
        raise ValueError(f"{what} cannot look like a spreadsheet formula or contain HTML tags: '{value}'.")
    return value


def _relink(conn: duckdb.DuckDBPyConnection, institution_id: int, name: str) -> Relinked:
    """Link unlinked answers whose typed name now certainly means this institution (inside the caller's transaction)."""
    matcher = Matcher.from_db(conn)
    typed = [row[0] for row in conn.execute("""
        SELECT institution_raw FROM survey_responses WHERE institution_id IS NULL AND institution_raw IS NOT NULL
        UNION SELECT institution_raw FROM applications WHERE institution_id IS NULL AND institution_raw IS NOT NULL
        """).fetchall()]
    names = [raw for raw in typed if (found := matcher.match(raw)).institution_id == institution_id
             and found.how in CERTAIN]
    if not names:
        return Relinked(institution_id, name)
    counts = []
    for table in ("survey_responses", "applications"):  # fixed names, never input
        counts.append(scalar(conn, f"""UPDATE {table} SET institution_id = ?, version = version + 1
                                       WHERE institution_id IS NULL AND list_contains(?, institution_raw)""",
                             [institution_id, names]) or 0)
    people = scalar(conn, """
        UPDATE people SET institution_id = ?, version = version + 1
        WHERE institution_id IS NULL AND id IN (SELECT person_id FROM survey_responses WHERE institution_id = ?
                                                UNION SELECT person_id FROM applications WHERE institution_id = ?)""",
                    [institution_id, institution_id, institution_id]) or 0
    return Relinked(institution_id, name, int(counts[0]), int(counts[1]), int(people))


def accept_alias(conn: duckdb.DuckDBPyConnection, raw: str, institution_id: int, *, version: int | None = None,
                 actor: str = "cli") -> Relinked:
    """Make a typed name an alias of an institution and link the past answers that typed it."""
    alias = _clean(raw, "The name")
    with writing(conn, "the institutions"):
        row = first(conn.execute("SELECT name, aliases, version FROM institutions WHERE id = ?",
                                 [institution_id]).fetchall())
        if row is None:
            raise ConflictError("This institution no longer exists. Reload the page.")
        name, aliases, current = row[0], list(row[1] or []), row[2]
        if version is not None and version != current:
            raise ConflictError(f"'{name}' was changed by someone else since you opened it; reload and try again.")
        found = Matcher.from_db(conn).match(alias)
        if found.institution_id not in (None, institution_id) and found.how in ("exact", "alias"):
            raise ValueError(f"'{alias}' already names '{found.name}'.")
        after = aliases
        if not (found.institution_id == institution_id and found.how in ("exact", "alias")):
            after = [*aliases, alias]
            conn.execute("UPDATE institutions SET aliases = ?, version = version + 1 WHERE id = ? AND version = ?",
                         [after, institution_id, current])
        relinked = _relink(conn, institution_id, name)
        audit(conn, actor, "institution.alias", "institution", institution_id,
              {"typed": alias, "before": {"aliases": aliases}, "after": {"aliases": after},
               "relinked_responses": relinked.responses, "relinked_applications": relinked.applications,
               "relinked_people": relinked.people})
    return relinked


def add_institution(conn: duckdb.DuckDBPyConnection, name: str, city: str, county: str, kind: str, *,
                    aliases: list[str] | tuple[str, ...] = (), actor: str = "cli") -> Relinked:
    """Add a real institution missing from the list (its county's region and centre filled in) and link its answers."""
    final = _clean(name, "The institution's name")
    town = _clean(city, "The city")
    extra = list(dict.fromkeys(_clean(a, "An alias") for a in aliases if a and a.strip() and a.strip() != final))
    if kind not in TYPES:
        raise ValueError(f"Choose a type: {', '.join(TYPES)}.")
    with writing(conn, "the institutions"):
        place = first(conn.execute("SELECT county, county_fips, latitude, longitude, region FROM counties"
                                   " WHERE lower(county) = lower(?)", [county.strip()]).fetchall())
        if place is None:
            raise ValueError(f"'{county}' is not an Indiana county.")
        matcher = Matcher.from_db(conn)
        for text in [final, *extra]:
            found = matcher.match(text)
            if found.institution_id is not None and found.how in ("exact", "alias"):
                raise ValueError(f"'{text}' already names '{found.name}'.")
        # The county's centre stands in for the campus's coordinates until someone records them.
        institution_id = scalar(conn, """
            INSERT INTO institutions (name, aliases, city, county, county_fips, latitude, longitude, type, region)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""", [final, extra, town, *place[:4], kind, place[4]])
        relinked = _relink(conn, institution_id, final)
        audit(conn, actor, "institution.add", "institution", institution_id,
              {"before": None, "after": {"name": final, "aliases": extra, "city": town, "county": place[0],
                                         "type": kind, "region": place[4]},
               "relinked_responses": relinked.responses, "relinked_applications": relinked.applications,
               "relinked_people": relinked.people})
    return relinked
