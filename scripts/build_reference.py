"""Build the committed reference data the dashboard seeds its tables from.

Reads the shared source lists (``indiana_institutions.csv`` and
``library_skills.csv``) and the offline ``zipcodes`` package, and writes:

* ``data/reference/counties.csv``     -- all 92 Indiana counties with FIPS code,
  centroid and committee region;
* ``data/reference/institutions.csv`` -- every source institution with aliases,
  county, FIPS, coordinates, type and region;
* ``data/reference/skills.csv``       -- the skills taxonomy, copied unchanged.

No network access is needed. The output is deterministic, so the script is
safe to re-run at any time: unchanged inputs give byte-identical files.

Usage::

    .venv/bin/python scripts/build_reference.py [--source DIR] [--markdown]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean

import zipcodes

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = PROJECT_ROOT / ".." / "shared" / "reference"
OUTPUT_DIR = PROJECT_ROOT / "data" / "reference"

EXPECTED_COUNTY_COUNT = 92

# Region grid (see docs/regions.md). A county is in the "north" row when its
# centroid latitude is >= NORTH_LAT_MIN and in the "south" row when it is
# < SOUTH_LAT_MAX; it is in the "west" column when its longitude is
# < WEST_LON_MAX and in the "east" column when it is >= EAST_LON_MIN.
NORTH_LAT_MIN = 40.6
SOUTH_LAT_MAX = 39.4
WEST_LON_MAX = -86.9
EAST_LON_MIN = -85.8

# The Indianapolis metro counties are "Central" regardless of the grid, so the
# committee's Indianapolis-area members are never split across regions.
CENTRAL_METRO_COUNTIES = frozenset(
    {
        "Marion",
        "Hamilton",
        "Hendricks",
        "Boone",
        "Hancock",
        "Johnson",
        "Morgan",
        "Shelby",
        "Madison",
    }
)

REGION_GRID = {
    ("north", "west"): "Northwest",
    ("north", "central"): "North Central",
    ("north", "east"): "Northeast",
    ("central", "west"): "West Central",
    ("central", "central"): "Central",
    ("central", "east"): "East Central",
    ("south", "west"): "Southwest",
    ("south", "central"): "South Central",
    ("south", "east"): "Southeast",
}
REGIONS = tuple(REGION_GRID.values())

# Published FIPS codes used to prove the alphabetical derivation is right.
FIPS_ANCHORS = {
    "Adams": "18001",
    "Allen": "18003",
    "DeKalb": "18033",
    "Delaware": "18035",
    "Lake": "18089",
    "LaPorte": "18091",
    "Marion": "18097",
    "Monroe": "18105",
    "St. Joseph": "18141",
    "Scott": "18143",
    "Tippecanoe": "18157",
    "Vanderburgh": "18163",
    "Whitley": "18183",
}

# The zipcodes data spells some counties more than one way (e.g. "La Porte"
# next to "LaPorte"); these are the spellings the app must use.
REQUIRED_SPELLINGS = ("St. Joseph", "LaPorte", "DeKalb", "LaGrange")

# Cities whose name does not match any zipcodes city record. Empty because,
# with zipcodes 3.0.0, every source city resolves (including Notre Dame,
# Winona Lake, Saint Mary of the Woods, Saint Meinrad, Upland, North
# Manchester and Oakland City). Add "City": "County" here if a future source
# row or zipcodes release breaks the lookup; such institutions get the
# county centroid as their coordinates.
CITY_COUNTY_OVERRIDES: dict[str, str] = {}

# Alternative names members type for their institution; used by the app to
# match free-text affiliations. Institutions not listed get no aliases.
INSTITUTION_ALIASES = {
    "Anabaptist Mennonite Biblical Seminary": ["AMBS"],
    "Ball State University": ["BSU", "Ball State"],
    "Christian Theological Seminary": ["CTS"],
    "Concordia Theological Seminary": ["CTSFW", "Concordia Theological Seminary Fort Wayne"],
    "Indiana State University": ["ISU"],
    "Indiana University Bloomington": ["IU Bloomington", "IUB", "Indiana University"],
    "Indiana University East": ["IUE", "IU East"],
    "Indiana University Indianapolis": [
        "IUPUI",
        "IU Indianapolis",
        "Indiana University-Purdue University Indianapolis",
    ],
    "Indiana University Kokomo": ["IUK", "IU Kokomo"],
    "Indiana University Northwest": ["IUN", "IU Northwest"],
    "Indiana University School of Dentistry": ["IUSD", "IU School of Dentistry"],
    "Indiana University School of Medicine": ["IUSM", "IU School of Medicine"],
    "Indiana University South Bend": ["IUSB", "IU South Bend"],
    "Indiana University Southeast": ["IUS", "IU Southeast"],
    "Indiana Wesleyan University": ["IWU"],
    "Ivy Tech Community College": ["Ivy Tech"],
    "Oakland City University": ["OCU"],
    "Purdue University": ["Purdue West Lafayette", "Purdue University West Lafayette"],
    "Purdue University Fort Wayne": [
        "IPFW",
        "Purdue Fort Wayne",
        "PFW",
        "Indiana University-Purdue University Fort Wayne",
    ],
    "Purdue University Northwest": [
        "Purdue Calumet",
        "Purdue University Calumet",
        "Purdue North Central",
        "PNW",
    ],
    "Rose-Hulman Institute of Technology": ["Rose-Hulman"],
    "Saint Mary's College": ["St. Mary's College"],
    "Saint Mary-of-the-Woods College": ["SMWC", "St. Mary-of-the-Woods College"],
    "Saint Meinrad Seminary and School of Theology": [
        "Saint Meinrad",
        "St. Meinrad Seminary and School of Theology",
    ],
    "University of Evansville": ["UE"],
    "University of Indianapolis": ["UIndy"],
    "University of Notre Dame": ["Notre Dame", "ND"],
    "University of Saint Francis": ["USF", "University of St. Francis"],
    "University of Southern Indiana": ["USI"],
    "Valparaiso University": ["Valpo"],
}

COUNTY_FIELDS = ["county", "county_fips", "latitude", "longitude", "region"]
INSTITUTION_FIELDS = [
    "name",
    "aliases",
    "city",
    "county",
    "county_fips",
    "latitude",
    "longitude",
    "type",
    "region",
]
SKILL_FIELDS = ["skill", "category", "aliases"]


class ReferenceDataError(RuntimeError):
    """Raised when inputs cannot produce trustworthy reference data."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help="directory holding indiana_institutions.csv and library_skills.csv "
        "(default: ../shared/reference next to the project)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=OUTPUT_DIR,
        help="directory to write the CSV files to (default: data/reference)",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="also print the region table used in docs/regions.md",
    )
    return parser.parse_args(argv)


def read_csv(path: Path, expected_fields: list[str]) -> list[dict[str, str]]:
    """Read a CSV file and check it has exactly the expected header."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != expected_fields:
            raise ReferenceDataError(
                f"{path}: expected columns {expected_fields}, got {reader.fieldnames}"
            )
        return list(reader)


def write_csv(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    """Write rows as UTF-8 CSV with LF line endings and minimal quoting."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=fields, lineterminator="\n", quoting=csv.QUOTE_MINIMAL
        )
        writer.writeheader()
        writer.writerows(rows)


def fmt_coord(value: float) -> str:
    """Format a coordinate with exactly four decimals."""
    return f"{value:.4f}"


def spelling_key(county: str) -> str:
    """Return a key under which variant spellings of one county collide."""
    return county.casefold().replace(" ", "").replace(".", "")


def indiana_zip_records() -> list[dict[str, object]]:
    """Return usable Indiana zip records with a canonical county name."""
    raw = zipcodes.filter_by(state="IN")
    usable = []
    for record in raw:
        county = record["county"].removesuffix(" County").strip()
        lat, lon = float(record["lat"]), float(record["long"])
        # A few records have no county or a 0,0 placeholder position; they
        # would invent a 93rd county or drag centroids into the Atlantic.
        if not county or (lat == 0.0 and lon == 0.0):
            continue
        usable.append({"city": record["city"], "county": county, "lat": lat, "lon": lon})

    # zipcodes spells a few counties two ways ("La Porte"/"LaPorte",
    # "Lagrange"/"LaGrange"); the most common spelling is the official one.
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for record in usable:
        spellings[spelling_key(record["county"])][record["county"]] += 1
    canonical = {
        key: min(counts, key=lambda name: (-counts[name], name))
        for key, counts in spellings.items()
    }
    for record in usable:
        record["county"] = canonical[spelling_key(record["county"])]
    return usable


def fips_sort_key(county: str) -> str:
    """Return the key that orders counties the way FIPS codes were assigned."""
    # FIPS alphabetises "St. Joseph" as "Saint Joseph" (it sits between Rush
    # and Scott), and ignores case so "DeKalb" precedes "Delaware".
    return county.replace("St. ", "Saint ").casefold()


def assign_fips(counties: list[str]) -> dict[str, str]:
    """Map each county to its FIPS code and verify against known anchors."""
    ordered = sorted(counties, key=fips_sort_key)
    fips = {county: f"18{2 * index + 1:03d}" for index, county in enumerate(ordered)}
    for county, code in FIPS_ANCHORS.items():
        if fips.get(county) != code:
            raise ReferenceDataError(
                f"FIPS derivation is wrong: {county} got {fips.get(county)}, expected {code}"
            )
    return fips


def region_for(county: str, lat: float, lon: float) -> str:
    """Return the committee region for a county from its name and centroid."""
    if county in CENTRAL_METRO_COUNTIES:
        return "Central"
    if lat >= NORTH_LAT_MIN:
        row = "north"
    elif lat < SOUTH_LAT_MAX:
        row = "south"
    else:
        row = "central"
    if lon < WEST_LON_MAX:
        column = "west"
    elif lon >= EAST_LON_MIN:
        column = "east"
    else:
        column = "central"
    return REGION_GRID[(row, column)]


def build_counties(zip_records: list[dict[str, object]]) -> list[dict[str, str]]:
    """Build one row per county with FIPS, centroid and region."""
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for record in zip_records:
        points[record["county"]].append((record["lat"], record["lon"]))

    if len(points) != EXPECTED_COUNTY_COUNT:
        raise ReferenceDataError(
            f"zipcodes yielded {len(points)} Indiana counties, expected "
            f"{EXPECTED_COUNTY_COUNT}: {sorted(points)}"
        )
    missing = [name for name in REQUIRED_SPELLINGS if name not in points]
    if missing:
        raise ReferenceDataError(f"county spellings not found in zipcodes data: {missing}")

    fips = assign_fips(list(points))
    rows = []
    for county in sorted(points, key=fips_sort_key):
        lat = mean(p[0] for p in points[county])
        lon = mean(p[1] for p in points[county])
        rows.append(
            {
                "county": county,
                "county_fips": fips[county],
                "latitude": fmt_coord(lat),
                "longitude": fmt_coord(lon),
                "region": region_for(county, lat, lon),
            }
        )
    return rows


def locate_city(
    city: str, zip_records: list[dict[str, object]], counties: dict[str, dict[str, str]]
) -> tuple[str, float, float]:
    """Return (county, latitude, longitude) for an Indiana city name."""
    matches = [r for r in zip_records if r["city"].casefold() == city.casefold()]
    if matches:
        votes = Counter(r["county"] for r in matches)
        county = min(votes, key=lambda name: (-votes[name], name))
        # Average only the majority county's zips so a city whose zips spill
        # into a neighbour (Indianapolis -> Hamilton) stays inside its county.
        in_county = [r for r in matches if r["county"] == county]
        return county, mean(r["lat"] for r in in_county), mean(r["lon"] for r in in_county)
    if city in CITY_COUNTY_OVERRIDES:
        county = CITY_COUNTY_OVERRIDES[city]
        if county not in counties:
            raise ReferenceDataError(f"override for {city!r} names unknown county {county!r}")
        row = counties[county]
        return county, float(row["latitude"]), float(row["longitude"])
    raise ReferenceDataError(
        f"city {city!r} not found in zipcodes; add it to CITY_COUNTY_OVERRIDES"
    )


def check_aliases(names: list[str]) -> None:
    """Fail if an alias is ambiguous or refers to an unknown institution."""
    unknown = sorted(set(INSTITUTION_ALIASES) - set(names))
    if unknown:
        raise ReferenceDataError(f"aliases defined for institutions not in source: {unknown}")
    owner: dict[str, str] = {name.casefold(): name for name in names}
    for name, aliases in INSTITUTION_ALIASES.items():
        for alias in aliases:
            if ";" in alias:
                raise ReferenceDataError(f"alias {alias!r} contains the ';' separator")
            previous = owner.setdefault(alias.casefold(), name)
            if previous != name:
                raise ReferenceDataError(f"alias {alias!r} of {name} clashes with {previous}")


def build_institutions(
    source_rows: list[dict[str, str]],
    zip_records: list[dict[str, object]],
    county_rows: list[dict[str, str]],
) -> list[dict[str, str]]:
    """Build one row per institution with aliases, county, coordinates and region."""
    counties = {row["county"]: row for row in county_rows}
    names = [row["institution"].strip() for row in source_rows]
    duplicates = sorted(name for name, n in Counter(names).items() if n > 1)
    if duplicates:
        raise ReferenceDataError(f"duplicate institutions in source: {duplicates}")
    check_aliases(names)

    rows = []
    for source in source_rows:
        name, city = source["institution"].strip(), source["city"].strip()
        kind = source["type"].strip()
        if not kind:
            raise ReferenceDataError(f"{name}: missing type")
        county, lat, lon = locate_city(city, zip_records, counties)
        if county not in counties:
            raise ReferenceDataError(f"{name}: county {county!r} is not one of the 92 counties")
        rows.append(
            {
                "name": name,
                "aliases": ";".join(INSTITUTION_ALIASES.get(name, [])),
                "city": city,
                "county": county,
                "county_fips": counties[county]["county_fips"],
                "latitude": fmt_coord(lat),
                "longitude": fmt_coord(lon),
                "type": kind,
                "region": counties[county]["region"],
            }
        )
    return sorted(rows, key=lambda row: row["name"])


def check_skills(rows: list[dict[str, str]]) -> None:
    """Fail if the skills taxonomy has blank or repeated skill names."""
    names = [row["skill"] for row in rows]
    if any(not name.strip() for name in names):
        raise ReferenceDataError("skills taxonomy has a blank skill name")
    duplicates = sorted(name for name, n in Counter(names).items() if n > 1)
    if duplicates:
        raise ReferenceDataError(f"duplicate skills in taxonomy: {duplicates}")


def region_table(county_rows: list[dict[str, str]]) -> str:
    """Return the Markdown region table pasted into docs/regions.md."""
    members: dict[str, list[str]] = {region: [] for region in REGIONS}
    for row in county_rows:
        members[row["region"]].append(row["county"])
    lines = ["| Region | Counties (n) | Counties |", "| --- | ---: | --- |"]
    for region in REGIONS:
        names = sorted(members[region], key=fips_sort_key)
        lines.append(f"| {region} | {len(names)} | {', '.join(names)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build all reference CSV files and print a summary."""
    args = parse_args(argv)
    source = args.source.resolve()

    institutions_src = read_csv(source / "indiana_institutions.csv", ["institution", "city", "type"])
    skills = read_csv(source / "library_skills.csv", SKILL_FIELDS)
    check_skills(skills)

    zip_records = indiana_zip_records()
    county_rows = build_counties(zip_records)
    institution_rows = build_institutions(institutions_src, zip_records, county_rows)

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "counties.csv", COUNTY_FIELDS, county_rows)
    write_csv(out / "institutions.csv", INSTITUTION_FIELDS, institution_rows)
    write_csv(out / "skills.csv", SKILL_FIELDS, skills)

    print(f"Wrote {len(county_rows)} counties, {len(institution_rows)} institutions, "
          f"{len(skills)} skills to {out}/")
    counts = Counter(row["region"] for row in county_rows)
    print("Counties per region:")
    for region in REGIONS:
        print(f"  {region:<14} {counts[region]:>3}")
    if args.markdown:
        print()
        print(region_table(county_rows))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ReferenceDataError as error:
        print(f"build_reference: error: {error}", file=sys.stderr)
        sys.exit(1)
