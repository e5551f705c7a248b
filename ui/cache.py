"""The one place Streamlit caching is used: the process-wide connection and cached reads."""
from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import streamlit as st

from lib import db, directory, overview
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


@st.cache_data(show_spinner="Searching the directory", max_entries=128)
def published(cycle: str, search: str, version: int) -> pa.Table:
    """Cached published directory of a cycle for one search text (Arrow: cheap to cache)."""
    return directory.published_table(cursor(), cycle, search)


def clear() -> None:
    """Forget cached reads (after a write in this process)."""
    st.cache_data.clear()
