"""Searching the Skills Directory: one box, ranked best first, accent- and typo-tolerant, with facets.

A search index of one program year (one row per member: display fields, skill ids, and the words of each text
field folded to lowercase without accents) is built in DuckDB once per year, audience and data version and
kept as Arrow in this process. Each search is then one parameterised query over it using substring tests on
space-separated words (' word' finds a word's start), which DuckDB runs far faster than regular expressions.
Ranking: members who list a skill the search names (its name, an alias, a British or American spelling, a
typo of one) come first, by how many of the terms name a skill they list; then members matching more of the
terms; then those at an institution the search names (in its own name, not an alias); then the score: a listed skill weighs most, then a member's own "other" answer, a skill one of whose words
a term starts, job title and department, the institution's own name, a skill's category, and last the
institution's aliases, region, county and city, and the member's name. So "metadata Purdue" lists those who list
Metadata first, those at Purdue University before those at IU Indianapolis (whose old name contains "Purdue"),
and a Cataloging librarian (whose skill is in the category "Metadata and discovery") after both. A whole word
counts a little more than the start of one.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
from rapidfuzz import fuzz, process

from .. import cycles
from ..db import first, scalar
from . import members as directory

PUBLIC, COMMITTEE = "public", "committee"
# The skill weight is the highest: a unit scoring it names a skill the member lists (see search's ranking).
WEIGHTS = {"skill": 10, "other": 9, "skill_word": 8, "work": 5, "institution": 4, "category": 3, "place": 2,
           "name": 3}
FIELD_LABELS = {"skill": "skills", "other": "other expertise", "work": "job title or department",
                "institution": "institution or region", "place": "institution or region", "name": "name"}
# Text fields in the index (a column NAME_f each), scored in this order; "place" is the institution's aliases,
# region, county and city as well as its name, so a match there counts only when "institution" did not.
TEXT_FIELDS = ("other", "work", "institution", "place", "name")
# Fields where a whole word counts one more than the start of one ("José" before "St. Joseph").
WHOLE_WORD_FIELDS = ("institution", "place", "name")
FUZZY_MIN = 84          # RapidFuzz ratio for a typo ("catalogng" ~ "cataloging")
FUZZY_MIN_LENGTH = 4    # shorter words are matched exactly: too many near neighbours
STATUSES = ("published", "not published", "held for review", "lapsed")
# Words that would match nearly everyone; a search for "head of cataloging" means head and cataloging.
STOP_WORDS = frozenset("a an and at by for from in of on or the to with".split())
SHORT_WORD = 2  # words this short match whole words only ("no" is not the start of "north")
YEARS_BANDS = {"Under 3 years": (0, 2), "3-9 years": (3, 9), "10-19 years": (10, 19), "20 years or more": (20, 200)}

# Folding done by DuckDB for the index and for the query alike, so both sides agree on every letter.
_FOLD = "replace(replace(strip_accents(lower(coalesce({0}, ''))), chr(8217), chr(39)), chr(8216), chr(39))"
_NOT_WORD = r"[^\pL\pN]+"


def _fold_sql(column: str) -> str:
    """SQL folding a text column: lowercase, accents removed, typographic apostrophes made plain."""
    return _FOLD.format(column)


def _words_sql(expression: str) -> str:
    """SQL giving the words of folded text between spaces, with and without apostrophes (' o neil oneil ').

    A word's start is then found with a plain substring test for ' neil', a phrase with ' o neil'.
    """
    spaced = f"regexp_replace({expression}, '{_NOT_WORD}', ' ', 'g')"
    joined = f"regexp_replace(replace({expression}, chr(39), ''), '{_NOT_WORD}', ' ', 'g')"
    # Most texts hold no apostrophe: their second form would repeat the first, so it is skipped.
    return (f"(' ' || trim({spaced}) || ' ' || CASE WHEN contains({expression}, chr(39)) THEN trim({joined}) || ' '"
            " ELSE '' END)")


_INDEX_SQL = f"""
    , skill_sets AS (
        -- Skill ids only: names and categories come from the taxonomy in Python, far cheaper than a list
        -- of strings per member.
        SELECT r.id AS response_id, list(ps.skill_id) AS skill_ids
        FROM scope r JOIN person_skills ps ON ps.response_id = r.id GROUP BY r.id),
    places AS (
        -- Once per institution rather than once per member.
        SELECT id, {_words_sql(_fold_sql(
            "concat_ws(' ', name, array_to_string(aliases, ' '), region, county, city)"))} AS place_f
        FROM institutions),
    rows AS (
        SELECT r.person_id, r.id AS response_id, r.cycle AS answered_in, pe.email, r.name,
               coalesce(i.name, r.institution_raw) AS institution, i.type AS institution_type, i.region, i.county,
               r.job_title, r.department, r.years_in_profession AS years, r.contact_purposes AS open_to,
               r.contact_method, r.other_skills, coalesce(k.skill_ids, []) AS skill_ids, r.consent,
               CASE WHEN r.cycle < ? THEN 'lapsed' WHEN NOT r.consent THEN 'not published'
                    WHEN r.held_reason IS NOT NULL AND r.reviewed_at IS NULL THEN 'held for review'
                    ELSE 'published' END AS status,
               {_words_sql(_fold_sql('r.name'))} AS name_f,
               {_words_sql(_fold_sql("concat_ws(' ', r.job_title, r.department)"))} AS work_f,
               coalesce(pl.place_f, {_words_sql(_fold_sql('r.institution_raw'))}) AS place_f,
               {_words_sql(_fold_sql('coalesce(i.name, r.institution_raw)'))} AS institution_f,
               -- One answer per line, so a phrase never runs from one answer into the next.
               ' ' || regexp_replace({_fold_sql(
                   "array_to_string(list_transform(r.other_skills, lambda x: ' ' || x || ' '), chr(10))")},
                   '[^\\pL\\pN\\n]+', ' ', 'g') || ' ' AS other_f,
               {_fold_sql('r.name')} AS name_folded
        FROM scope r
        JOIN people pe ON pe.id = r.person_id
        LEFT JOIN institutions i ON i.id = r.institution_id
        LEFT JOIN places pl ON pl.id = r.institution_id
        LEFT JOIN skill_sets k ON k.response_id = r.id)
    -- Everything a term can be found in, fields kept apart by a line break (no phrase spans two).
    SELECT *, name_f || chr(10) || work_f || chr(10) || place_f || chr(10) || other_f AS hay
    FROM rows
"""

_SCOPES = {
    PUBLIC: f"scope AS ({directory.PUBLISHED_RESPONSES})",
    # The committee also sees members who did not consent, answers held for review and lapsed members (each
    # person's latest answer up to this year).
    COMMITTEE: """scope AS (SELECT * FROM survey_responses WHERE cycle <= ?
                          QUALIFY row_number() OVER (PARTITION BY person_id
                                                     ORDER BY cycle DESC, submitted_at DESC, id DESC) = 1)""",
}


@dataclass
class Index:
    """One program year's search index for one audience, and the vocabularies typos are corrected against."""

    table: pa.Table
    skills: dict[str, set[int]]       # folded skill name, alias or category phrase -> skill ids
    skill_names: dict[int, str]
    skill_categories: dict[int, str]
    skill_words: dict[str, set[int]]  # each folded word of skill names and aliases -> skill ids
    category_words: dict[str, set[int]]  # each folded word of category names -> the category's skill ids
    name_words: list[str]             # distinct folded words of members' names


@dataclass
class Unit:
    """One thing the searcher asked for: a word, a quoted phrase, or a skill named in the box."""

    text: str                         # folded, words separated by single spaces
    skill_ids: set[int] = field(default_factory=set)  # skills it names: a name or alias, or one with a typo
    loose_ids: set[int] = field(default_factory=set)  # skills with a word it starts ("catalog" in "rare book cataloging")
    category_ids: set[int] = field(default_factory=set)  # skills of a category with a word it starts
    words: list[str] = field(default_factory=list)  # the text, and typo-corrected alternatives


_CACHE: dict[tuple, Index] = {}
_LOCK = threading.Lock()
_BUILDING: dict[tuple, threading.Lock] = {}  # one lock per index being built


def fold(conn: duckdb.DuckDBPyConnection, text: str) -> str:
    """Fold text the way the index is folded, and keep its words between single spaces."""
    folded = scalar(conn, f"SELECT {_fold_sql('?::VARCHAR')}", [text or ""]) or ""
    return re.sub(r"[^\w'\"]+|_", " ", folded).strip()


def _data_version(conn: duckdb.DuckDBPyConnection) -> tuple:
    """What identifies the data an index was built from: the database file and its last audited change."""
    return tuple(first(conn.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM audit_log), (SELECT count(*) FROM skills),"
        " (SELECT path FROM duckdb_databases() WHERE database_name = current_database())").fetchall()))


def index(conn: duckdb.DuckDBPyConnection, cycle: str, audience: str = PUBLIC) -> Index:
    """Return the search index of a program year for an audience, built once per data version."""
    if audience not in _SCOPES:
        raise ValueError(f"audience must be one of {', '.join(_SCOPES)}")
    key = (_data_version(conn), cycle, audience)
    with _LOCK:
        found = _CACHE.get(key)
        building = _BUILDING.setdefault(key, threading.Lock())
    if found is not None:
        return found
    # One build per index at a time: a search arriving while the background build runs waits for it rather
    # than building the same index again beside it.
    with building:
        with _LOCK:
            found = _CACHE.get(key)
        if found is not None:
            return found
        built = _build(conn, cycle, audience)
        with _LOCK:
            if len(_CACHE) >= 16:  # a few years and audiences at most; forget the oldest
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = built
            _BUILDING.pop(key, None)
    return built


def _build(conn: duckdb.DuckDBPyConnection, cycle: str, audience: str) -> Index:
    """Build the search index of a program year for an audience from the database."""
    table = conn.sql(f"WITH {_SCOPES[audience]} {_INDEX_SQL}", params=[cycle, cycle]).to_arrow_table()
    # Each row's position, so a page of results is taken from the table by position (see search).
    table = table.append_column("row_index", pa.array(range(table.num_rows), type=pa.int64())).combine_chunks()
    phrases, names, categories, words, category_words = _skill_vocabulary(conn)
    return Index(table, phrases, names, categories, words, category_words, _name_words(conn, table))


def warm(conn: duckdb.DuckDBPyConnection, cycle: str | None = None) -> list[Index]:
    """Build now (unless built) the indexes of a program year, the current one by default, for both audiences."""
    cycle = cycle or cycles.current(conn)
    return [index(conn, cycle, audience) for audience in (PUBLIC, COMMITTEE)] if cycle else []


def warm_in_background(cursor: Callable[[], duckdb.DuckDBPyConnection]) -> threading.Thread:
    """Run warm in a thread with its own cursor (at start-up, after a change); a failure is only logged, and
    the next search builds what it needs."""
    def build() -> None:
        """Warm the current year's indexes."""
        try:
            warm(cursor())
        except Exception:  # noqa: BLE001 - a search builds the index itself when this did not
            logging.getLogger(__name__).exception("building the search index in the background failed")

    # Not a daemon: a process ending mid-build waits the second it takes rather than tearing DuckDB down under a
    # running query (which aborts the interpreter).
    thread = threading.Thread(target=build, name="ali-search-index", daemon=False)
    thread.start()
    return thread


def forget_indexes() -> None:
    """Drop every cached search index (a benchmark's cold start; tests that rebuild a database)."""
    with _LOCK:
        _CACHE.clear()


def _skill_vocabulary(conn: duckdb.DuckDBPyConnection) -> tuple[dict, dict, dict, dict, dict]:
    """Folded skill names, aliases and categories with the skills they stand for, names, categories, the words
    of names and aliases, and the words of categories."""
    phrases: dict[str, set[int]] = {}
    category_phrases: set[str] = set()
    names: dict[int, str] = {}
    categories: dict[int, str] = {}
    rows = conn.execute(f"""SELECT id, name, category, {_fold_sql('name')}, {_fold_sql('category')},
                                   list_transform(aliases, lambda a: {_fold_sql('a')})
                            FROM skills WHERE NOT proposed""").fetchall()
    for skill_id, name, plain_category, folded, category, aliases in rows:
        names[skill_id] = name
        categories[skill_id] = plain_category
        for phrase, is_category in [(folded, False), (category, True), *((a, False) for a in aliases or [])]:
            phrase = re.sub(r"[^\w']+|_", " ", phrase or "").strip()
            if phrase:
                phrases.setdefault(phrase, set()).add(skill_id)
                if is_category:
                    category_phrases.add(phrase)
    words: dict[str, set[int]] = {}
    category_words: dict[str, set[int]] = {}
    # A category's words say less than a skill's own ("metadata" in "Metadata and discovery" is not Cataloging's
    # name), so they are kept apart; a phrase that is both a category and a skill's name counts as the skill's.
    for phrase, ids in phrases.items():
        into = category_words if phrase in category_phrases else words
        for word in phrase.replace("'", " ").split():
            into.setdefault(word, set()).update(ids)
    return phrases, names, categories, words, category_words


def _name_words(conn: duckdb.DuckDBPyConnection, table: pa.Table) -> list[str]:
    """Distinct words of members' names in the index (the vocabulary for typos in names)."""
    conn.register("search_names", table.select(["name_f"]))
    try:
        return [row[0] for row in conn.execute(
            "SELECT DISTINCT w FROM (SELECT unnest(string_split(trim(name_f), ' ')) AS w FROM search_names)"
            " WHERE length(w) > 1").fetchall()]
    finally:
        conn.unregister("search_names")


# ------------------------------------------------------------------------------------------ the query


def parse(folded: str, found: Index) -> list[Unit]:
    """Split a folded search (see fold) into units: quoted phrases, skills named in it, and words."""
    units = [_unit(phrase.strip(), found) for phrase in re.findall(r'"([^"]+)"', folded) if phrase.strip()]
    rest = " " + re.sub(r'"[^"]*"?', " ", folded).replace("'", "") + " "
    # A skill's name or alias typed in full ("info lit", "information literacy instruction") is one unit.
    for phrase in sorted((p for p in found.skills if " " in p), key=len, reverse=True):
        if f" {phrase.replace(chr(39), '')} " in rest:
            units.append(Unit(phrase, set(found.skills[phrase]), words=[phrase.replace("'", "")]))
            rest = rest.replace(f" {phrase.replace(chr(39), '')} ", " ")
    units += [_unit(word, found) for word in rest.split() if word not in STOP_WORDS]
    return units


def _unit(text: str, found: Index) -> Unit:
    """Resolve one word or phrase: the skills it names (exactly, with a typo, or by a word's start) and spellings."""
    text = text.replace("'", "")
    unit = Unit(text, set(found.skills.get(text, set())), words=[text])
    if " " in text:
        return unit
    if not unit.skill_ids and len(text) >= FUZZY_MIN_LENGTH:
        for phrase, score, _ in process.extract(text, [p for p in found.skills if " " not in p], scorer=fuzz.ratio,
                                                limit=3):
            if score >= FUZZY_MIN:
                unit.skill_ids |= found.skills[phrase]
                unit.words.append(phrase)
    if len(text) >= 3:
        for vocabulary, into in ((found.skill_words, unit.loose_ids), (found.category_words, unit.category_ids)):
            for word, ids in vocabulary.items():
                if word.startswith(text):
                    into |= ids
    if len(text) >= FUZZY_MIN_LENGTH:
        for vocabulary, into in ((found.skill_words, unit.loose_ids), (found.category_words, unit.category_ids)):
            if unit.skill_ids or unit.loose_ids or unit.category_ids:
                break
            for word, score, _ in process.extract(text, list(vocabulary), scorer=fuzz.ratio, limit=5):
                if score >= FUZZY_MIN:
                    into |= vocabulary[word]
                    unit.words.append(word)
        for word, score, _ in process.extract(text, found.name_words, scorer=fuzz.ratio, limit=8):
            if score >= FUZZY_MIN and not word.startswith(text):
                unit.words.append(word)
    unit.loose_ids -= unit.skill_ids
    unit.category_ids -= unit.skill_ids | unit.loose_ids
    unit.words = list(dict.fromkeys(unit.words))
    return unit


@dataclass
class Filters:
    """Facets that narrow a search (all optional; several values of one facet mean any of them)."""

    categories: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    institutions: list[str] = field(default_factory=list)
    institution_types: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    counties: list[str] = field(default_factory=list)
    open_to: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)      # keys of YEARS_BANDS
    statuses: list[str] = field(default_factory=list)   # committee only

    def sql(self, found: "Index") -> tuple[list[str], list]:
        """WHERE conditions (fixed fragments) and their parameters, skills and categories as skill ids."""
        conditions, params = [], []
        for values, of in ((self.categories, found.skill_categories), (self.skills, found.skill_names)):
            if values:
                conditions.append("list_has_any(skill_ids, ?::INTEGER[])")
                params.append(sorted(skill_id for skill_id, value in of.items() if value in values))
        if self.open_to:
            conditions.append("list_has_any(open_to, ?::VARCHAR[])")
            params.append(list(self.open_to))
        for column, values in (("institution", self.institutions), ("institution_type", self.institution_types),
                               ("region", self.regions), ("county", self.counties), ("status", self.statuses)):
            if values:
                conditions.append(f"list_contains(?::VARCHAR[], {column})")
                params.append(list(values))
        if self.years:
            bands = [YEARS_BANDS[band] for band in self.years if band in YEARS_BANDS]
            conditions.append("(" + " OR ".join("years BETWEEN ? AND ?" for _ in bands) + ")" if bands else "false")
            params += [bound for band in bands for bound in band]
        return conditions, params


RESULT_COLUMNS = ("person_id", "response_id", "name", "email", "institution", "institution_type", "region", "county",
                  "job_title", "department", "years", "open_to", "contact_method", "other_skills", "status",
                  "answered_in")


def _contains_any(column: str, needles: list[str]) -> tuple[str, list]:
    """SQL testing whether a words column holds any of the needles, and its parameters."""
    return "(" + " OR ".join(f"contains({column}, ?)" for _ in needles) + ")", list(needles)


def _starts(unit: Unit) -> list[str]:
    """What finds the start of the unit's words in a words column (a whole word for very short ones)."""
    return [f" {word}" if len(word) > SHORT_WORD else f" {word} " for word in unit.words]


def _unit_score(unit: Unit) -> tuple[str, list]:
    """SQL scoring one unit for a row, and its parameters.

    A skill the term names outweighs one whose name merely has a word the term starts, which outweighs a
    job title; a skill's category counts less than the institution's own name; the text fields are only
    looked at when the term is somewhere in the row's text at all (most candidates of a several-word search
    match only some of the words). The unit scores the best of what it found.
    """
    starts = _starts(unit)
    wholes = [f" {word} " for word in unit.words]
    cases, params = "", []
    for ids, weight in ((unit.skill_ids, WEIGHTS["skill"]), (unit.loose_ids, WEIGHTS["skill_word"])):
        if ids:
            cases += f" WHEN list_has_any(skill_ids, ?::INTEGER[]) THEN {weight}"
            params.append(sorted(ids))
    hay_sql, hay_params = _contains_any("hay", starts)
    parts, part_params = [], []
    if unit.category_ids:
        parts.append(f"CASE WHEN list_has_any(skill_ids, ?::INTEGER[]) THEN {WEIGHTS['category']} ELSE 0 END")
        part_params.append(sorted(unit.category_ids))
    for name in TEXT_FIELDS:
        start_sql, start_params = _contains_any(f"{name}_f", starts)
        if name in WHOLE_WORD_FIELDS:
            whole_sql, whole_params = _contains_any(f"{name}_f", wholes)
            parts.append(f"CASE WHEN {whole_sql} THEN {WEIGHTS[name] + 1} WHEN {start_sql} THEN {WEIGHTS[name]}"
                         " ELSE 0 END")
            part_params += whole_params + start_params
        else:
            parts.append(f"CASE WHEN {start_sql} THEN {WEIGHTS[name]} ELSE 0 END")
            part_params += start_params
    if not unit.category_ids:
        params += hay_params
        return f"CASE{cases} WHEN NOT {hay_sql} THEN 0 ELSE greatest({', '.join(parts)}) END", params + part_params
    # A category's skills can match a row whose text holds no word of the term.
    return f"CASE{cases} ELSE greatest({', '.join(parts)}) END", params + part_params


def search(conn: duckdb.DuckDBPyConnection, cycle: str, text: str | None = None, filters: Filters | None = None,
           audience: str = PUBLIC, limit: int | None = 50, offset: int = 0) -> tuple[pa.Table, int]:
    """Return (one page of results best first, how many matched) for a search box and facets."""
    found = index(conn, cycle, audience)
    exact = fold(conn, text or "")
    units = parse(exact, found)
    where, params = (filters or Filters()).sql(found)
    if audience == PUBLIC:
        where.append("status = 'published'")  # the public index holds nothing else; said twice on purpose
    scores, score_params, prefilter, prefilter_params = [], [], [], []
    all_skill_ids: set[int] = set()
    for unit in units:
        sql, unit_params = _unit_score(unit)
        at_sql, at_params = _contains_any("institution_f", _starts(unit))
        scores.append((sql, at_sql))
        score_params += unit_params + at_params
        all_skill_ids |= unit.skill_ids | unit.loose_ids | unit.category_ids
        hay_sql, hay_params = _contains_any("hay", _starts(unit))
        ids = sorted(unit.skill_ids | unit.loose_ids | unit.category_ids)
        prefilter.append(f"(list_has_any(skill_ids, ?::INTEGER[]) OR {hay_sql})" if ids else hay_sql)
        prefilter_params += ([ids] if ids else []) + hay_params
    if units:
        where.append("(" + " OR ".join(prefilter) + ")")
        params += prefilter_params
    condition = " AND ".join(where) or "true"
    every_start = [start for unit in units for start in _starts(unit)]
    # u: a unit's score; i: whether it is in the name of the member's institution (the institution named).
    unit_columns = ", ".join(f"{score} AS u{number}, {at}::INTEGER AS i{number}"
                             for number, (score, at) in enumerate(scores)) or "0 AS u0"
    at_named = " + ".join(f"i{number}" for number in range(len(scores))) or "0"
    matched = " + ".join(f"(u{number} > 0)::INTEGER" for number in range(len(scores))) or "0"
    # Only a skill the member lists scores the skill weight, the highest (see WEIGHTS).
    listed = " + ".join(f"(u{number} >= {WEIGHTS['skill']})::INTEGER" for number in range(len(scores))) or "0"
    total_score = " + ".join(f"u{number}" for number in range(len(scores))) or "0"
    # Ranking reads the few columns it needs; the page's display columns are then taken from the Arrow table
    # by position, which is much cheaper than joining the whole index back.
    sql = f"""
        WITH scored AS (
            SELECT row_index, name_folded, email, {unit_columns} FROM search_index WHERE {condition})
        SELECT row_index, count(*) OVER () AS total, {matched} AS matched_units, {listed} AS listed_units,
               -- The whole box naming the member exactly ("José Álvarez") puts them first.
               ({total_score} + CASE WHEN ? <> '' AND name_folded = ? THEN 20 ELSE 0 END)::INTEGER AS score,
               ? <> '' AND name_folded = ? AS named, {at_named} AS at_named
        FROM scored
        ORDER BY named DESC, listed_units DESC, matched_units DESC, at_named DESC, score DESC, name_folded, email
        LIMIT ? OFFSET ?"""
    conn.register("search_index", found.table)
    try:
        ranked = conn.execute(sql, [*score_params, *params, exact, exact, exact, exact, limit if limit is not None else 2**62,
                                    offset]).fetchall()
        # Every row carries the count of all matches; a page past the end needs it asked for.
        total = ranked[0][1] if ranked else (
            scalar(conn, f"SELECT count(*) FROM search_index WHERE {condition}", params) if offset else 0)
    finally:
        conn.unregister("search_index")
    rows = found.table.select([*RESULT_COLUMNS, "skill_ids", "work_f", "place_f", "name_f"]).take(
        pa.array([row[0] for row in ranked], type=pa.int64())).to_pylist()
    folded_others = conn.execute(f"SELECT list_transform(?::VARCHAR[][], lambda answers: list_transform(answers,"
                                 f" lambda x: {_words_sql(_fold_sql('x'))}))",
                                 [[row["other_skills"] for row in rows]]).fetchall()[0][0] if rows else []
    for row, others in zip(rows, folded_others):
        row["others_f"] = others
    for row, (_, _, matched_units, listed_units, score, _, _) in zip(rows, ranked):
        row["skills"] = sorted(found.skill_names[i] for i in row["skill_ids"] if i in found.skill_names)
        row.update(_explain(row, all_skill_ids, every_start, found), score=score, matched_units=matched_units,
                   listed_units=listed_units)
    return pa.Table.from_pylist(rows, schema=_result_schema(found.table)), total


def _explain(row: dict, skill_ids: set[int], starts: list[str], found: "Index") -> dict:
    """Which of a result's skills and other answers matched, and in which other fields (for showing why)."""
    others = row.pop("others_f")
    fields = {name: row.pop(f"{name}_f") for name in ("work", "place", "name")}
    return {
        "matched_skills": sorted(found.skill_names[i] for i in row.pop("skill_ids") if i in skill_ids
                                 and i in found.skill_names),
        "matched_other": [answer for answer, folded in zip(row["other_skills"], others)
                          if any(start in folded for start in starts)],
        "matched_in": [FIELD_LABELS[name] for name, text in fields.items() if any(start in text for start in starts)],
    }


def _result_schema(table: pa.Table) -> pa.Schema:
    """The columns of a page of results: the display fields, the score and what matched."""
    fields = [table.schema.field(name) for name in RESULT_COLUMNS]
    return pa.schema(fields + [pa.field("skills", pa.list_(pa.string())), pa.field("score", pa.int32()), pa.field("matched_units", pa.int32()),
                               pa.field("listed_units", pa.int32()),
                               pa.field("matched_skills", pa.list_(pa.string())),
                               pa.field("matched_other", pa.list_(pa.string())),
                               pa.field("matched_in", pa.list_(pa.string()))])


def why(row: dict) -> list[str]:
    """Say in words where a result matched (for people reading the results)."""
    reasons = [FIELD_LABELS["skill"]] if row.get("matched_skills") else []
    if row.get("matched_other"):
        reasons.append(FIELD_LABELS["other"])
    return reasons + [label for label in row.get("matched_in") or [] if label not in reasons]


def facet_options(conn: duckdb.DuckDBPyConnection, cycle: str, audience: str = PUBLIC) -> dict[str, list[str]]:
    """The values each facet can take in this year's directory (for filter widgets)."""
    found = index(conn, cycle, audience)
    conn.register("search_index", found.table)
    try:
        held = {row[0] for row in conn.execute("SELECT DISTINCT unnest(skill_ids) FROM search_index").fetchall()}

        def distinct(expression: str) -> list[str]:
            """The distinct values of an expression over the index, sorted."""
            return [row[0] for row in conn.execute(
                f"SELECT DISTINCT v FROM (SELECT {expression} AS v FROM search_index) WHERE v IS NOT NULL ORDER BY v"
            ).fetchall()]
        return {
            "categories": sorted({found.skill_categories[i] for i in held if found.skill_categories.get(i)}),
            "skills": sorted(found.skill_names[i] for i in held if i in found.skill_names),
            "institutions": distinct("institution"), "institution_types": distinct("institution_type"),
            "regions": distinct("region"), "counties": distinct("county"), "open_to": distinct("unnest(open_to)"),
            "years": list(YEARS_BANDS), "statuses": distinct("status") if audience == COMMITTEE else [],
        }
    finally:
        conn.unregister("search_index")


def status_counts(conn: duckdb.DuckDBPyConnection, cycle: str) -> dict[str, int]:
    """How many members of the committee's view have each status (published, not published, held, lapsed)."""
    statuses = index(conn, cycle, COMMITTEE).table.column("status").value_counts().to_pylist()
    found = {item["values"]: item["counts"] for item in statuses}
    return {status: found.get(status, 0) for status in STATUSES}


def profile(conn: duckdb.DuckDBPyConnection, cycle: str, person_id: int, audience: str = PUBLIC) -> dict | None:
    """A member's whole entry for this year; the committee also gets every answer they ever gave."""
    found = index(conn, cycle, audience)
    conn.register("search_index", found.table)
    try:
        rows = conn.sql(f"SELECT {', '.join(RESULT_COLUMNS)}, skill_ids, consent FROM search_index WHERE person_id = ?",
                        params=[person_id]).to_arrow_table().to_pylist()
    finally:
        conn.unregister("search_index")
    if not rows:
        return None
    entry = rows[0]
    entry["skills"] = sorted(found.skill_names[i] for i in entry.pop("skill_ids") if i in found.skill_names)
    if audience == COMMITTEE:
        entry["history"] = conn.execute("""
            SELECT r.cycle, r.submitted_at, r.consent, r.held_reason, r.reviewed_by, len(r.other_skills) AS others,
                   (SELECT count(*) FROM person_skills ps WHERE ps.response_id = r.id) AS skills
            FROM survey_responses r WHERE r.person_id = ? AND r.cycle <= ?
            ORDER BY r.cycle DESC, r.submitted_at DESC""", [person_id, cycle]).df().to_dict("records")
    else:
        entry.pop("consent", None)
        entry.pop("status", None)
    return entry
