"""The one place Streamlit caching is used: the process-wide connection and cached reads."""
from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import streamlit as st

from lib import coverage, db, overview, search
from lib.settings import get_settings


@st.cache_resource(show_spinner="Opening the database")
def _open(path: str) -> duckdb.DuckDBPyConnection:
    """Open one database file once per process (files it creates are readable by their owner only).

    The web process never creates the first admin: its password would land in the server's log. The command
    line does (`python -m lib init`, which `python3 run.py app` runs first) and shows it in the terminal.
    """
    db.private_files()
    return db.connect(path)


def has_users() -> bool:
    """Tell whether anyone can log in yet."""
    return bool(db.scalar(cursor(), "SELECT count(*) FROM users"))


def connection() -> duckdb.DuckDBPyConnection:
    """Return the process-wide connection to the database named by the settings (ALI_DB)."""
    return _open(str(get_settings().db_path))


def cursor() -> duckdb.DuckDBPyConnection:
    """Return a cursor for this script run (DuckDB cursors are per thread)."""
    return connection().cursor()


def data_version(conn: duckdb.DuckDBPyConnection) -> int:
    """Return a number that grows with every write, so cached reads refresh after changes."""
    return db.scalar(conn, "SELECT coalesce(max(id), 0) FROM audit_log") or 0


@st.cache_data(show_spinner="Counting", max_entries=64)
def headline(cycle: str, version: int) -> dict:
    """Cached headline figures of a cycle."""
    return overview.headline(cursor(), cycle)


@st.cache_data(show_spinner="Computing trends", max_entries=16)
def trend(version: int) -> pd.DataFrame:
    """Cached per-cycle trend table."""
    return overview.trend(cursor())


@st.cache_data(show_spinner="Searching the directory", max_entries=256)
def search_page(cycle: str, text: str, filters: tuple, audience: str, limit: int, version: int) -> tuple[pa.Table, int]:
    """Cached page of search results (filters as a tuple of (facet, values) pairs, so it can be a key)."""
    return search.search(cursor(), cycle, text, search.Filters(**dict(filters)), audience=audience, limit=limit)


@st.cache_data(show_spinner=False, max_entries=16)
def status_counts(cycle: str, version: int) -> dict[str, int]:
    """Cached count of the committee's directory view by status."""
    return search.status_counts(cursor(), cycle)


@st.cache_data(show_spinner=False, max_entries=16)
def facet_options(cycle: str, audience: str, version: int) -> dict[str, list[str]]:
    """Cached values of each directory facet."""
    return search.facet_options(cursor(), cycle, audience)


def clear() -> None:
    """Forget cached reads (after a write in this process)."""
    st.cache_data.clear()


@st.cache_data(show_spinner="Mapping coverage", max_entries=64)
def coverage_report(cycle: str, region: str | None, institution_type: str | None, category: str | None,
                    version: int) -> dict:
    """Cached tables of the Coverage page for one program year and filters."""
    return coverage.report(cursor(), cycle, coverage.Filters(region, institution_type, category))


@st.cache_data(show_spinner="Comparing program years", max_entries=32)
def coverage_years(region: str | None, institution_type: str | None, category: str | None, version: int) -> pd.DataFrame:
    """Cached year-over-year coverage table for one set of filters."""
    return coverage.year_over_year(cursor(), coverage.Filters(region, institution_type, category))


@st.cache_data(show_spinner=False, max_entries=8)
def coverage_filters(version: int) -> dict[str, list[str]]:
    """Cached choices of the Coverage page's filters."""
    return coverage.filter_options(cursor())


@st.cache_data(show_spinner=False)
def county_shapes() -> dict:
    """Cached GeoJSON of Indiana's counties (a committed file that never changes while the app runs)."""
    return coverage.county_shapes()


@st.cache_data(show_spinner="Reading the proposed skills", max_entries=8)
def skill_proposals(version: int) -> list:
    """Cached typed skills proposed for the taxonomy, with their closest skills."""
    from lib import skills

    return skills.proposals(cursor())


@st.cache_data(show_spinner="Reading the taxonomy", max_entries=8)
def skill_taxonomy(version: int) -> list:
    """Cached skills of the taxonomy with their members."""
    from lib import skills

    return skills.taxonomy(cursor())


@st.cache_data(show_spinner="Reading the institution names to review", max_entries=8)
def institutions_to_review(version: int) -> list:
    """Cached unknown institution names with their suggestions."""
    from lib import institutions

    return institutions.to_review(cursor())


@st.cache_data(show_spinner="Reading the applications", max_entries=16)
def applicants(cycle: str, version: int) -> pd.DataFrame:
    """Cached applicants of a cycle with their eligibility and its reasons."""
    from lib import applications

    return applications.applicants(cursor(), cycle)


@st.cache_data(show_spinner="Reading the circles", max_entries=32)
def circle_draft(draft_id: int, version: int):
    """Cached draft of circles, scored and explained."""
    from lib import circles

    return circles.load(cursor(), draft_id)


@st.cache_data(show_spinner=False, max_entries=256)
def circle_guests(topics: tuple[str, ...], members: tuple[int, ...], version: int) -> list[dict]:
    """Cached directory members suggested as guests for a circle's topics (its members left out)."""
    from lib.circles import guests

    return guests.suggest_for(cursor(), list(topics), list(members))
