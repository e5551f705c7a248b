"""Seed counties, institutions and the skills taxonomy from data/reference/."""
from __future__ import annotations

import csv

import duckdb

from lib.settings import get_settings


def _rows(name: str) -> list[dict[str, str]]:
    """Read one reference CSV as dictionaries."""
    with open(get_settings().reference_dir / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _aliases(cell: str) -> list[str]:
    """Split a ';'-separated alias cell."""
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def apply(conn: duckdb.DuckDBPyConnection) -> None:
    """Load the reference tables (idempotent: existing names are left as they are)."""
    conn.executemany(
        "INSERT INTO counties (county_fips, county, latitude, longitude, region) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [[r["county_fips"], r["county"], float(r["latitude"]), float(r["longitude"]), r["region"]]
         for r in _rows("counties.csv")],
    )
    conn.executemany(
        "INSERT INTO institutions (name, aliases, city, county, county_fips, latitude, longitude, type, region)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [[r["name"], _aliases(r["aliases"]), r["city"], r["county"], r["county_fips"],
          float(r["latitude"]), float(r["longitude"]), r["type"], r["region"]]
         for r in _rows("institutions.csv")],
    )
    conn.executemany(
        "INSERT INTO skills (name, category, aliases) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [[r["skill"], r["category"], _aliases(r["aliases"])] for r in _rows("skills.csv")],
    )
