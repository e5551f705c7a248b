"""Statewide skill coverage of the Skills Directory: where published members are, what they offer, what is thin.

Every figure counts *published* members only (members.PUBLISHED_RESPONSES: each member's latest answer
of the program year, with consent, not held for review), except the year-over-year respondents, new and
lapsed counts, which are about who answered at all. A member's region, institution type and county are
those of the institution named in that answer. Filters narrow every figure the same way: a region or an
institution type keeps the members of such institutions; a skill category keeps the skills of that
category and the members who offer at least one of them.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd

from .. import cycles
from ..db import first
from ..imports import forms
from . import members
from . import skills as skills_module

DEEP = 3          # "skills with 3+ experts": enough that a member asking has a choice of colleagues
THIN = 1          # "thin skills": nobody, or a single person the whole state depends on
FEW_MEMBERS = 5   # a region or institution type with fewer published members is listed as a gap
UNKNOWN = "Unknown"  # region or type of a member whose institution has none on record
# Built offline from the Census county shapefile by scripts/build_counties_geojson.py and committed.
COUNTY_SHAPES = Path(__file__).resolve().parents[2] / "data" / "reference" / "indiana_counties.geojson"

# The interests the application form offers (forms.DEFAULT_INTEREST_OPTIONS), read as the taxonomy's
# categories and skills whose experts could help with them. Free-text interests are matched by words instead.
INTEREST_MATCHES: dict[str, dict[str, tuple[str, ...]]] = {
    "Building a professional network": {"skills": ("Mentoring", "Service and committee work", "Consortial work")},
    "Navigating tenure and promotion": {"skills": ("Tenure and promotion",)},
    "Teaching and instruction": {"categories": ("Instruction and learning",)},
    "Research and publishing": {"skills": ("Presenting and professional writing", "Scholarly communication",
                                           "Grant writing")},
    "Leadership development": {"categories": ("Leadership and management",)},
    "Job search and career planning": {"skills": ("Job search", "Career planning")},
    "Work-life balance": {"skills": ("Work-life balance",)},
    "Confidence, belonging and imposter syndrome": {"categories": ("Equity and wellbeing",)},
}
# Words of category names too general to say which category a free-text interest means.
_GENERIC_CATEGORY_WORDS = {"and", "user", "services", "support", "development", "learning", "management",
                           "engagement", "reference", "communication", "discovery"}


@dataclass(frozen=True)
class Filters:
    """What the Coverage page narrows to: a region, an institution type, a skill category (None: all)."""

    region: str | None = None
    institution_type: str | None = None
    category: str | None = None


ALL = Filters()


def _scope(alias: str, filters: Filters) -> tuple[str, list]:
    """SQL condition that a survey answer (table alias) is in scope, and its parameters."""
    conditions, params = ["true"], []
    if filters.region:
        conditions.append(f"{alias}.institution_id IN (SELECT id FROM institutions WHERE region = ?)")
        params.append(filters.region)
    if filters.institution_type:
        conditions.append(f"{alias}.institution_id IN (SELECT id FROM institutions WHERE type = ?)")
        params.append(filters.institution_type)
    if filters.category:
        conditions.append(f"""{alias}.id IN (SELECT ps.response_id FROM person_skills ps JOIN skills s
                              ON s.id = ps.skill_id WHERE NOT s.proposed AND s.category = ?)""")
        params.append(filters.category)
    return " AND ".join(conditions), params


def _taxonomy(filters: Filters) -> tuple[str, list]:
    """SQL condition on skills alias s: a taxonomy skill (not a proposal) of the chosen category."""
    if filters.category:
        return "NOT s.proposed AND s.category = ?", [filters.category]
    return "NOT s.proposed", []


def _published(cycle: str, filters: Filters) -> tuple[str, list]:
    """The CTEs `members` (published members in scope) and `expertise` (their taxonomy skills), with parameters."""
    scope, scope_params = _scope("p", filters)
    taxonomy, taxonomy_params = _taxonomy(filters)
    sql = f"""
        WITH members AS (
            SELECT p.id AS response_id, p.person_id, p.institution_id,
                   coalesce(i.name, p.institution_raw) AS institution,
                   coalesce(i.type, '{UNKNOWN}') AS institution_type, coalesce(i.region, '{UNKNOWN}') AS region,
                   i.county_fips, i.latitude, i.longitude
            FROM ({members.PUBLISHED_RESPONSES}) p LEFT JOIN institutions i ON i.id = p.institution_id
            WHERE {scope}),
        expertise AS (
            SELECT m.response_id, m.person_id, m.institution_id, m.region, s.id AS skill_id, s.name AS skill,
                   s.category
            FROM members m JOIN person_skills ps ON ps.response_id = m.response_id JOIN skills s ON s.id = ps.skill_id
            WHERE {taxonomy}),
        taxonomy AS (SELECT s.id, s.name, s.category FROM skills s WHERE {taxonomy})
    """
    return sql, [cycle, *scope_params, *taxonomy_params, *taxonomy_params]


def _query(conn: duckdb.DuckDBPyConnection, cycle: str, filters: Filters | None, body: str,
           params: list | None = None) -> pd.DataFrame:
    """Run a query over the published-members CTEs of a cycle."""
    prefix, prefix_params = _published(cycle, filters or ALL)
    return conn.execute(prefix + body, prefix_params + (params or [])).df()


def county_shapes() -> dict:
    """Return the committed GeoJSON of Indiana's 92 counties (properties county_fips and county)."""
    return json.loads(COUNTY_SHAPES.read_text(encoding="utf-8"))


def filter_options(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Return the choices of each filter: regions, institution types and skill categories on record."""
    def column(sql: str) -> list[str]:
        """One sorted list of non-empty values."""
        return [row[0] for row in conn.execute(sql).fetchall()]

    return {
        "region": column("SELECT DISTINCT region FROM counties WHERE region IS NOT NULL ORDER BY region"),
        "institution_type": column("SELECT DISTINCT type FROM institutions WHERE type IS NOT NULL ORDER BY type"),
        "category": column("SELECT DISTINCT category FROM skills WHERE NOT proposed AND category IS NOT NULL"
                           " ORDER BY category"),
    }


def summary(conn: duckdb.DuckDBPyConnection, cycle: str, filters: Filters | None = None) -> dict[str, int]:
    """Count published members, institutions, counties, unmapped members and skill depth for a cycle."""
    prefix, params = _published(cycle, filters or ALL)
    row = first(conn.execute(prefix + f"""
        , depth AS (SELECT t.id, count(DISTINCT e.person_id) AS experts
                    FROM taxonomy t LEFT JOIN expertise e ON e.skill_id = t.id GROUP BY t.id)
        SELECT (SELECT count(*) FROM members),
               (SELECT count(DISTINCT institution_id) FROM members),
               (SELECT count(DISTINCT county_fips) FROM members),
               (SELECT count(*) FROM members WHERE county_fips IS NULL),
               (SELECT count(*) FROM depth),
               (SELECT count(*) FROM depth WHERE experts > 0),
               (SELECT count(*) FROM depth WHERE experts >= {DEEP}),
               (SELECT count(*) FROM depth WHERE experts <= {THIN})""", params).fetchall())
    keys = ("members", "institutions", "counties", "unmapped", "skills", "skills_with_experts", "skills_3plus",
            "thin_skills")
    return dict(zip(keys, row))


def counties(conn: duckdb.DuckDBPyConnection, cycle: str, filters: Filters | None = None) -> pd.DataFrame:
    """Return all 92 counties (county_fips, county, region, members, institutions), zeros included, for the map."""
    return _query(conn, cycle, filters, """
        SELECT c.county_fips, c.county, c.region, count(m.response_id) AS members,
               count(DISTINCT m.institution_id) AS institutions
        FROM counties c LEFT JOIN members m ON m.county_fips = c.county_fips
        GROUP BY ALL ORDER BY c.county_fips""")


def institutions(conn: duckdb.DuckDBPyConnection, cycle: str, filters: Filters | None = None) -> pd.DataFrame:
    """Return the located institutions with published members (institution, type, region, county, lat/lon, members)."""
    return _query(conn, cycle, filters, """
        SELECT i.name AS institution, i.type AS institution_type, i.region, i.county, i.latitude, i.longitude,
               count(*) AS members
        FROM members m JOIN institutions i ON i.id = m.institution_id
        WHERE i.latitude IS NOT NULL AND i.longitude IS NOT NULL
        GROUP BY ALL ORDER BY members DESC, institution""")


def top_skills(conn: duckdb.DuckDBPyConnection, cycle: str, filters: Filters | None = None,
               limit: int = 15) -> pd.DataFrame:
    """Return the skills with the most published experts (skill, category, experts, institutions, regions)."""
    return _query(conn, cycle, filters, """
        SELECT skill, category, count(DISTINCT person_id) AS experts,
               count(DISTINCT institution_id) AS institutions, count(DISTINCT region) AS regions
        FROM expertise GROUP BY skill, category
        ORDER BY experts DESC, skill LIMIT ?""", [int(limit)])


def skill_region_matrix(conn: duckdb.DuckDBPyConnection, cycle: str, filters: Filters | None = None,
                        limit: int | None = None) -> pd.DataFrame:
    """Return published experts per skill and region (skill, category, region, experts), zeros included.

    With a limit, only the skills with the most experts overall; without, every taxonomy skill in scope.
    """
    filters = filters or ALL
    region = "WHERE region = ?" if filters.region else ""
    return _query(conn, cycle, filters, f"""
        , totals AS (SELECT t.name AS skill, t.category, count(DISTINCT e.person_id) AS experts
                     FROM taxonomy t LEFT JOIN expertise e ON e.skill_id = t.id GROUP BY ALL
                     ORDER BY experts DESC, skill LIMIT ?),
        regions AS (SELECT DISTINCT region FROM counties {region}
                    UNION SELECT DISTINCT region FROM members),
        cells AS (SELECT skill, region, count(DISTINCT person_id) AS experts FROM expertise GROUP BY ALL)
        SELECT t.skill, t.category, r.region, coalesce(c.experts, 0) AS experts, t.experts AS skill_total
        FROM totals t CROSS JOIN regions r LEFT JOIN cells c ON c.skill = t.skill AND c.region = r.region
        ORDER BY skill_total DESC, t.skill, r.region""",
        [limit if limit is not None else 2**31 - 1] + ([filters.region] if filters.region else []))


def gaps(conn: duckdb.DuckDBPyConnection, cycle: str, filters: Filters | None = None,
         few: int = FEW_MEMBERS) -> dict[str, pd.DataFrame]:
    """Return the thin spots: skills with 0 or 1 expert, and every region and institution type with its members.

    The region table ignores the region filter (and the type table the type filter), so it compares like with
    like; a `few` column marks those with fewer than `few` published members.
    """
    filters = filters or ALL
    thin = _query(conn, cycle, filters, f"""
        SELECT t.name AS skill, t.category, count(DISTINCT e.person_id) AS experts
        FROM taxonomy t LEFT JOIN expertise e ON e.skill_id = t.id
        GROUP BY ALL HAVING count(DISTINCT e.person_id) <= {THIN} ORDER BY experts, skill""")
    regions = _query(conn, cycle, replace(filters, region=None), """
        , every AS (SELECT DISTINCT region FROM counties UNION SELECT DISTINCT region FROM members)
        SELECT r.region, count(m.response_id) AS members, count(DISTINCT m.institution_id) AS institutions,
               count(m.response_id) < ? AS few
        FROM every r LEFT JOIN members m ON m.region = r.region
        GROUP BY ALL ORDER BY members, r.region""", [few])
    types = _query(conn, cycle, replace(filters, institution_type=None), """
        , every AS (SELECT DISTINCT type AS institution_type FROM institutions WHERE type IS NOT NULL
                    UNION SELECT DISTINCT institution_type FROM members)
        SELECT t.institution_type, count(m.response_id) AS members,
               count(DISTINCT m.institution_id) AS institutions, count(m.response_id) < ? AS few
        FROM every t LEFT JOIN members m ON m.institution_type = t.institution_type
        GROUP BY ALL ORDER BY members, t.institution_type""", [few])
    return {"skills": thin, "regions": regions, "institution_types": types}


def _word_pattern(phrase: str) -> str:
    """A whole-word pattern for a phrase that also accepts a plural ('budget' finds 'budgets')."""
    return r"(?<![\w])" + re.escape(phrase) + r"(?:s|es)?(?![\w])"


def interest_skills(conn: duckdb.DuckDBPyConnection, interests: list[str]) -> dict[str, tuple[list[str], str]]:
    """Map each interest to the taxonomy skills whose experts could help, and how: 'form option', 'words' or 'none'."""
    taxonomy = conn.execute("SELECT name, category FROM skills WHERE NOT proposed ORDER BY name").fetchall()
    by_category: dict[str, list[str]] = {}
    for name, category in taxonomy:
        by_category.setdefault(category, []).append(name)
    names = {name for name, _ in taxonomy}
    phrases = skills_module.options(conn)
    category_words = {word: category for category in by_category
                      for word in re.findall(r"[a-z]+", (category or "").lower())
                      if word not in _GENERIC_CATEGORY_WORDS}
    options = {option.lower(): option for option in forms.DEFAULT_INTEREST_OPTIONS}
    found: dict[str, tuple[list[str], str]] = {}
    for interest in interests:
        text = (interest or "").strip().lower()
        option = options.get(text)
        if option in INTEREST_MATCHES:
            match = INTEREST_MATCHES[option]
            chosen = {s for s in match.get("skills", ()) if s in names}
            chosen |= {s for c in match.get("categories", ()) for s in by_category.get(c, [])}
            found[interest] = (sorted(chosen), "form option")
            continue
        chosen = {skill for phrase, skill in phrases.items() if re.search(_word_pattern(phrase), text)}
        if not chosen:
            # No skill named: a category word ("archives", "technology") stands for the whole category.
            chosen = {s for word, category in category_words.items() if re.search(_word_pattern(word), text)
                      for s in by_category[category]}
        found[interest] = (sorted(chosen), "words" if chosen else "none")
    return found


def demand_supply(conn: duckdb.DuckDBPyConnection, cycle: str, filters: Filters | None = None) -> pd.DataFrame:
    """Return each interest circle applicants asked for against the published experts offering matching skills.

    Columns: interest, applicants (latest application per person), experts (published members offering any
    matching skill), skills (the matching skills, in scope), matched_by ('form option', 'words' or 'none').
    Region and institution type narrow applicants and experts alike; a category keeps the interests that
    match at least one of its skills.
    """
    filters = filters or ALL
    scope, scope_params = _scope("a", replace(filters, category=None))
    asked = conn.execute(f"""
        WITH latest AS (SELECT * FROM applications WHERE cycle = ?
                        QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY submitted_at DESC, id DESC) = 1),
        wanted AS (SELECT DISTINCT a.person_id, trim(x.interest) AS interest
                   FROM latest a, unnest(a.interests) AS x(interest) WHERE {scope})
        SELECT interest, count(*) AS applicants FROM wanted WHERE interest <> ''
        GROUP BY interest ORDER BY applicants DESC, interest""", [cycle, *scope_params]).fetchall()
    mapping = interest_skills(conn, [interest for interest, _ in asked])
    pairs = [(interest, skill) for interest, _ in asked for skill in mapping[interest][0]]
    offered = _query(conn, cycle, filters, """
        , wanted AS (SELECT unnest(?::VARCHAR[]) AS interest, unnest(?::VARCHAR[]) AS skill)
        SELECT w.interest, count(DISTINCT e.person_id) AS experts, list(DISTINCT t.name ORDER BY t.name) AS skills
        FROM wanted w JOIN taxonomy t ON t.name = w.skill LEFT JOIN expertise e ON e.skill_id = t.id
        GROUP BY w.interest""", [[p[0] for p in pairs], [p[1] for p in pairs]])
    by_interest = {row.interest: (int(row.experts), list(row.skills)) for row in offered.itertuples()}
    rows = []
    for interest, applicants in asked:
        experts, skills = by_interest.get(interest, (0, []))
        if filters.category and not skills:
            continue
        rows.append({"interest": interest, "applicants": int(applicants), "experts": experts, "skills": skills,
                     "matched_by": mapping[interest][1]})
    return pd.DataFrame(rows, columns=["interest", "applicants", "experts", "skills", "matched_by"])


def year_over_year(conn: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> pd.DataFrame:
    """Return per cycle: respondents, published, new members, lapsed, skills with experts and with 3+ experts.

    New: a first answer ever. Lapsed: answered an earlier year but not this one (counted in scope by their
    most recent earlier answer). Respondents, new and lapsed count everyone who answered, published or not.
    """
    filters = filters or ALL
    scope, scope_params = _scope("l", filters)
    rows = []
    for cycle in cycles.all_cycles(conn):
        answered = first(conn.execute(f"""
            WITH latest AS ({members.LATEST_RESPONSES}),
            scoped AS (SELECT l.* FROM latest l WHERE {scope}),
            before AS (SELECT * FROM latest WHERE cycle < ?
                       QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY cycle DESC) = 1)
            SELECT count(*) FILTER (WHERE cycle = ?),
                   count(*) FILTER (WHERE cycle = ? AND person_id NOT IN (SELECT person_id FROM latest
                                                                           WHERE cycle < ?)),
                   (SELECT count(*) FROM before b WHERE b.id IN (SELECT id FROM scoped)
                      AND b.person_id NOT IN (SELECT person_id FROM latest WHERE cycle = ?))
            FROM scoped""", [*scope_params, cycle, cycle, cycle, cycle, cycle]).fetchall())
        depth = summary(conn, cycle, filters)
        rows.append({"cycle": cycle, "respondents": answered[0], "published": depth["members"],
                     "new_members": answered[1], "lapsed": answered[2],
                     "skills_with_experts": depth["skills_with_experts"], "skills_3plus": depth["skills_3plus"],
                     "thin_skills": depth["thin_skills"]})
    return pd.DataFrame(rows, columns=["cycle", "respondents", "published", "new_members", "lapsed",
                                       "skills_with_experts", "skills_3plus", "thin_skills"])


def report(conn: duckdb.DuckDBPyConnection, cycle: str, filters: Filters | None = None, top: int = 15,
           matrix_skills: int = 20) -> dict:
    """Return every table of the Coverage page for one cycle and filters, keyed by what it shows."""
    filters = filters or ALL
    return {
        "summary": summary(conn, cycle, filters),
        "counties": counties(conn, cycle, filters),
        "institutions": institutions(conn, cycle, filters),
        "top_skills": top_skills(conn, cycle, filters, top),
        # A chosen category is small enough to show every one of its skills, gaps included.
        "matrix": skill_region_matrix(conn, cycle, filters, None if filters.category else matrix_skills),
        "gaps": gaps(conn, cycle, filters),
        "demand": demand_supply(conn, cycle, filters),
    }
