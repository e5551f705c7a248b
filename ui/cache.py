"""The one place Streamlit caching is used: the process-wide connection and cached reads."""
from __future__ import annotations

import gc
import threading

import duckdb
import pandas as pd
import pyarrow as pa
import streamlit as st

from lib import db
from lib.directory import coverage, search
from lib.settings import get_settings
from lib.year import overview


@st.cache_resource(show_spinner="Opening the database")
def _open(path: str) -> duckdb.DuckDBPyConnection:
    """Open one database file once per process (files it creates are readable by their owner only).

    The web process never creates the first admin: its password would land in the server's log. The command
    line does (`python -m lib init`, which `python3 run.py app` runs first) and shows it in the terminal.
    """
    db.private_files()
    settings = get_settings()
    # Locked down: SQL on the app's connection reaches no file but the database and the backups folder.
    conn = db.connect(path, files=[settings.backup_dir])
    from lib.admin import backup

    # DuckDB lets one process hold the file, so the running dashboard makes the nightly backup itself.
    backup.start_nightly(lambda: connection().cursor(), settings.backup_dir, settings.backup_time,
                         settings.backup_keep)
    if settings.warm_search_index:  # the first visitor finds the directory's index built
        search.warm_in_background(conn.cursor)
    # What exists by now (modules, the app's code) lives as long as the process: frozen, the collector's
    # automatic passes no longer walk it (see .streamlit/config.toml for the collection after every run).
    gc.freeze()
    return conn


def has_users() -> bool:
    """Tell whether anyone can log in yet."""
    return bool(db.scalar(cursor(), "SELECT count(*) FROM users"))


# Held while a restore replaces the database file under the process's one connection (see restore_backup).
_SWAP = threading.Lock()


def connection() -> duckdb.DuckDBPyConnection:
    """Return the process-wide connection to the database named by the settings (ALI_DB).

    When another program holds the file, the page says so and stops (a visitor sees no path or command line).
    """
    try:
        return _open(str(get_settings().db_path))
    except db.DatabaseBusy as exc:
        holder = f" (process {exc.pid})" if exc.pid else ""
        st.error(f"The dashboard cannot open its database: another program on the server is using the file{holder}. "
                 "Whoever runs the server: stop that program (often a `python -m lib` command still running) and "
                 "reload this page.", icon=":material/lock:")
        st.stop()


def cursor() -> duckdb.DuckDBPyConnection:
    """Return a cursor for this script run (DuckDB cursors are per thread)."""
    try:
        return connection().cursor()
    except duckdb.ConnectionException:
        # A restore in another session closed the shared connection: wait until it has reopened the file.
        with _SWAP:
            try:
                return connection().cursor()
            except duckdb.ConnectionException:
                _open.clear()
                return connection().cursor()


def restore_backup(path, actor: str):
    """Replace the database with a backup while the app runs: close the one connection, restore, reopen.

    Other sessions' next query opens the restored file; a query running in another session at that very
    moment may fail once. The database as it was is backed up first (lib.admin.restore.restore_file).
    """
    from lib.admin import restore

    settings = get_settings()
    with _SWAP:
        conn = connection()
        try:
            return restore.restore_file(path, settings.db_path, actor=actor, conn=conn, undo_dir=settings.backup_dir)
        finally:
            try:
                conn.cursor().close()
            except duckdb.ConnectionException:
                _open.clear()  # closed by the restore (or on its way to failing): the next use opens the file
                connection()
            clear()


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


# Results and facets are kept as the very objects (st.cache_resource), not pickled copies (st.cache_data): a
# visitor's search then costs no unpickling. Both are read-only; the data version in the key refreshes them.
# The database's path is part of their keys: another file (a test's, a restored one) may share a data version.
@st.cache_resource(show_spinner="Searching the directory", max_entries=256)
def _search_page(path: str, cycle: str, text: str, filters: tuple, audience: str, limit: int,
                 version: int) -> tuple[tuple[dict, ...], int]:
    """Cached page of search results as rows, for one database file."""
    table, total = search.search(cursor(), cycle, text, search.Filters(**dict(filters)), audience=audience,
                                 limit=limit)
    return tuple(table.to_pylist()), total


def search_page(cycle: str, text: str, filters: tuple, audience: str, limit: int,
                version: int) -> tuple[tuple[dict, ...], int]:
    """Cached page of search results as rows (filters as a tuple of (facet, values) pairs, so it can be a key)."""
    return _search_page(str(get_settings().db_path), cycle, text, filters, audience, limit, version)


@st.cache_data(show_spinner=False, max_entries=16)
def status_counts(cycle: str, version: int) -> dict[str, int]:
    """Cached count of the committee's directory view by status."""
    return search.status_counts(cursor(), cycle)


@st.cache_resource(show_spinner=False, max_entries=16)
def _facet_options(path: str, cycle: str, audience: str, version: int) -> dict[str, list[str]]:
    """Cached values of each directory facet, for one database file."""
    return search.facet_options(cursor(), cycle, audience)


def facet_options(cycle: str, audience: str, version: int) -> dict[str, list[str]]:
    """Cached values of each directory facet (read-only: the same lists for every session)."""
    return _facet_options(str(get_settings().db_path), cycle, audience, version)


def clear() -> None:
    """Forget cached reads (after a write in this process), and build the new search index in the background."""
    st.cache_data.clear()
    _search_page.clear()
    _facet_options.clear()
    if get_settings().warm_search_index:
        search.warm_in_background(connection().cursor)  # the connection found here, in the page's run


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
    from lib.directory import skills

    return skills.proposals(cursor())


@st.cache_data(show_spinner="Reading the taxonomy", max_entries=8)
def skill_taxonomy(version: int) -> list:
    """Cached skills of the taxonomy with their members."""
    from lib.directory import skills

    return skills.taxonomy(cursor())


@st.cache_data(show_spinner="Reading the institution names to review", max_entries=8)
def institutions_to_review(version: int) -> list:
    """Cached unknown institution names with their suggestions."""
    from lib.directory import institutions

    return institutions.to_review(cursor())


@st.cache_data(show_spinner="Reading the applications", max_entries=16)
def applicants(cycle: str, version: int) -> pd.DataFrame:
    """Cached applicants of a cycle with their eligibility and its reasons."""
    from lib.circles import applications

    return applications.applicants(cursor(), cycle)


@st.cache_data(show_spinner="Reading the circles", max_entries=32)
def circle_draft(draft_id: int, version: int):
    """Cached draft of circles, scored and explained."""
    from lib.circles import drafts as circles

    return circles.load(cursor(), draft_id)


@st.cache_data(show_spinner=False, max_entries=256)
def circle_guests(topics: tuple[str, ...], members: tuple[int, ...], version: int) -> list[dict]:
    """Cached directory members suggested as guests for a circle's topics (its members left out)."""
    from lib.circles import guests

    return guests.suggest_for(cursor(), list(topics), list(members))


@st.cache_data(show_spinner=False, max_entries=16)
def attendance_circles(cycle: str, version: int) -> pd.DataFrame:
    """Cached final circles of a cycle, labelled with their member counts, for pickers."""
    from lib.year import attendance

    return attendance.circle_list(cursor(), cycle)


@st.cache_data(show_spinner="Counting attendance", max_entries=16)
def attendance_summary(cycle: str, version: int):
    """Cached attendance figures of a cycle."""
    from lib.year import attendance

    return attendance.summary(cursor(), cycle)


@st.cache_data(show_spinner=False, max_entries=16)
def attendance_members(cycle: str, version: int) -> pd.DataFrame:
    """Cached attendance per member of a cycle's circles."""
    from lib.year import attendance

    return attendance.members(cursor(), cycle)


@st.cache_data(show_spinner=False, max_entries=16)
def attendance_by_circle(cycle: str, version: int) -> pd.DataFrame:
    """Cached attendance per circle of a cycle."""
    from lib.year import attendance

    return attendance.circles(cursor(), cycle)


@st.cache_data(show_spinner=False, max_entries=16)
def meetings_held(cycle: str, version: int) -> int:
    """Cached count of a cycle's meetings held so far."""
    from lib.year import meetings

    return meetings.held(cursor(), cycle)


@st.cache_data(show_spinner=False, max_entries=64)
def circle_meetings(cycle: str, circle_id: int, version: int) -> pd.DataFrame:
    """Cached calendar of one circle, cancelled meetings included."""
    from lib.year import meetings

    return meetings.of_cycle(cursor(), cycle, circle_id)


@st.cache_data(show_spinner=False, max_entries=64)
def attendance_last_change(circle_id: int, version: int) -> tuple | None:
    """Cached (who, when) of the last mark set by hand in a circle."""
    from lib.year import attendance

    return attendance.last_change(cursor(), circle_id)


@st.cache_data(show_spinner="Reading the end-of-year survey", max_entries=16)
def outcomes_summary(cycle: str, version: int):
    """Cached outcomes of a cycle."""
    from lib.year import outcomes

    return outcomes.summary(cursor(), cycle)


@st.cache_data(show_spinner=False, max_entries=32)
def outcomes_breakdown(cycle: str, by: str, version: int) -> tuple:
    """Cached outcome breakdown (small groups suppressed)."""
    from lib.year import outcomes

    return outcomes.breakdown(cursor(), cycle, by)


@st.cache_data(show_spinner=False, max_entries=16)
def outcomes_comments(cycle: str, quotable_only: bool, version: int) -> pd.DataFrame:
    """Cached comments of a cycle's end-of-year survey."""
    from lib.year import outcomes

    return outcomes.comments(cursor(), cycle, quotable_only)


@st.cache_data(show_spinner=False, max_entries=16)
def outcomes_entered(cycle: str, version: int) -> pd.DataFrame:
    """Cached answers typed in by the committee."""
    from lib.year import outcomes

    return outcomes.entered(cursor(), cycle)


@st.cache_data(show_spinner="Comparing cohorts", max_entries=8)
def cohorts(version: int) -> pd.DataFrame:
    """Cached cohorts side by side."""
    from lib.year import cohorts as years

    return years.side_by_side(cursor())


@st.cache_data(show_spinner=False, max_entries=8)
def alumni(version: int) -> pd.DataFrame:
    """Cached alumni follow-up per cohort."""
    from lib.year import cohorts as years

    return years.alumni(cursor())


@st.cache_data(show_spinner="Writing the report", max_entries=8)
def report_content(cycle: str, version: int):
    """Cached content of a cycle's annual report."""
    from lib.report import model as report

    return report.build(cursor(), cycle)


@st.cache_data(show_spinner=False, max_entries=16)
def report_sections(cycle: str, version: int) -> dict:
    """Cached free-text sections of a cycle's report."""
    from lib.report import model as report

    return report.sections(cursor(), cycle)


@st.cache_data(show_spinner=False, max_entries=8)
def audit_choices(version: int) -> dict[str, list[str]]:
    """Cached actors, actions and entities of the audit log."""
    from lib.admin import audit

    return audit.choices(cursor())


@st.cache_data(show_spinner=False, max_entries=64)
def audit_count(filters, version: int) -> int:
    """Cached count of audit entries matching the filters."""
    from lib.admin import audit

    return audit.count(cursor(), filters)


@st.cache_data(show_spinner="Reading the audit log", max_entries=64)
def audit_entries(filters, offset: int, version: int) -> pd.DataFrame:
    """Cached page of audit entries matching the filters."""
    from lib.admin import audit

    return audit.entries(cursor(), filters, limit=200, offset=offset)


def audit_export(filters, version: int) -> pd.DataFrame:
    """Every matching audit entry for a download (built on click, never cached: it may be large)."""
    from lib.admin import audit

    return audit.entries(cursor(), filters, limit=100_000)


@st.cache_data(show_spinner="Writing each recipient's message", max_entries=16)
def message_plan(cycle: str, kind: str, audience: str, version: int) -> list:
    """Cached messages of a kind and year with their state in the log, attachments named, not written."""
    from lib.messages import sending as messages

    return messages.plan(cursor(), cycle, kind, audience, attach=False)


@st.cache_data(show_spinner=False, max_entries=16)
def message_log(cycle: str, version: int) -> pd.DataFrame:
    """Cached message log of a year."""
    from lib.messages import sending as messages

    return messages.log(cursor(), cycle)
