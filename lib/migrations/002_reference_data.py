"""Seed counties, institutions and the skills taxonomy from data/reference/."""
from __future__ import annotations

import duckdb
import pandas as pd

from lib.settings import get_settings


def _frame(name: str) -> pd.DataFrame:
    """Read one reference CSV with every column as text."""
    return pd.read_csv(get_settings().reference_dir / name, dtype=str, keep_default_na=False)


def apply(conn: duckdb.DuckDBPyConnection) -> None:
    """Load the reference tables in bulk (existing names are left as they are)."""
    # Registered frames turn ~200 single-row inserts into three set-based ones.
    conn.register("ref_counties", _frame("counties.csv"))
    conn.register("ref_institutions", _frame("institutions.csv"))
    conn.register("ref_skills", _frame("skills.csv"))
    try:
        conn.execute("""
            INSERT INTO counties (county_fips, county, latitude, longitude, region)
            SELECT county_fips, county, latitude::DOUBLE, longitude::DOUBLE, region FROM ref_counties
            ON CONFLICT DO NOTHING""")
        conn.execute("""
            INSERT INTO institutions (name, aliases, city, county, county_fips, latitude, longitude, type, region)
            SELECT name, list_filter(list_transform(string_split(aliases, ';'), lambda a: trim(a)), lambda a: a <> ''),
                   city, county, county_fips, latitude::DOUBLE, longitude::DOUBLE, type, region
            FROM ref_institutions ORDER BY name
            ON CONFLICT DO NOTHING""")
        conn.execute("""
            INSERT INTO skills (name, category, aliases)
            SELECT skill, category, list_filter(list_transform(string_split(aliases, ';'), lambda a: trim(a)), lambda a: a <> '')
            FROM ref_skills ON CONFLICT DO NOTHING""")
    finally:
        for name in ("ref_counties", "ref_institutions", "ref_skills"):
            conn.unregister(name)
