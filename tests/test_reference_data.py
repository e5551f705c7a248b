"""Checks on the committed reference data in data/reference (no network)."""

import csv
from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"

REGIONS = {
    "Northwest",
    "North Central",
    "Northeast",
    "West Central",
    "Central",
    "East Central",
    "Southwest",
    "South Central",
    "Southeast",
}


def read_rows(name):
    """Return the rows of a reference CSV file as dicts."""
    with (REFERENCE_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def counties():
    """Rows of counties.csv."""
    return read_rows("counties.csv")


@pytest.fixture(scope="module")
def institutions():
    """Rows of institutions.csv."""
    return read_rows("institutions.csv")


@pytest.fixture(scope="module")
def skills():
    """Rows of skills.csv."""
    return read_rows("skills.csv")


def test_92_counties_with_unique_indiana_fips(counties):
    """All 92 counties are present with unique, odd, Indiana FIPS codes."""
    assert len(counties) == 92
    fips = [row["county_fips"] for row in counties]
    assert len(set(fips)) == 92
    assert len({row["county"] for row in counties}) == 92
    for code in fips:
        assert len(code) == 5 and code.isdigit()
        assert code.startswith("18")
        assert int(code) % 2 == 1


def test_counties_have_known_regions(counties):
    """Every county carries one of the nine region names."""
    assert {row["region"] for row in counties} <= REGIONS


def test_institutions_are_located(institutions, counties):
    """Every institution has a real county, FIPS, Indiana coordinates, type and region."""
    fips_by_county = {row["county"]: row["county_fips"] for row in counties}
    region_by_county = {row["county"]: row["region"] for row in counties}
    assert institutions
    for row in institutions:
        name = row["name"]
        assert row["county"], name
        assert fips_by_county.get(row["county"]) == row["county_fips"], name
        assert 37.7 <= float(row["latitude"]) <= 41.8, name
        assert -88.1 <= float(row["longitude"]) <= -84.7, name
        assert row["type"].strip(), name
        assert row["region"] in REGIONS, name
        # Institutions inherit their county's region; a hand edit to one file
        # without the other would show up here.
        assert row["region"] == region_by_county[row["county"]], name


def test_institution_names_unique(institutions):
    """Institution names are unique."""
    names = [row["name"] for row in institutions]
    assert len(names) == len(set(names))


def test_iupui_alias(institutions):
    """The IUPUI alias resolves to Indiana University Indianapolis, and only to it."""
    owners = [
        row["name"]
        for row in institutions
        if "IUPUI" in [alias.strip() for alias in row["aliases"].split(";")]
    ]
    assert owners == ["Indiana University Indianapolis"]


def test_skills_taxonomy(skills):
    """skills.csv has 87 uniquely named skills."""
    assert len(skills) == 87
    names = [row["skill"] for row in skills]
    assert len(set(names)) == 87
    assert all(name.strip() for name in names)


SHARED_REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.mark.skipif(not SHARED_REFERENCE.exists(), reason="../shared/reference is not beside the project")
def test_committed_reference_data_is_what_the_script_builds(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, str(root / "scripts" / "build_reference.py"), "--source", str(SHARED_REFERENCE),
                    "--out", str(tmp_path)], check=True, capture_output=True, timeout=300)
    for name in ("counties.csv", "institutions.csv", "skills.csv"):
        assert (tmp_path / name).read_bytes() == (root / "data" / "reference" / name).read_bytes(), name
