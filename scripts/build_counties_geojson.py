"""Build the committed county shapes the Coverage page maps: data/reference/indiana_counties.geojson.

Reads the US Census cartographic boundary file ``cb_2016_us_county_500k`` that the PyPI package
``plotly-geo`` ships, with ``pyshp``; keeps Indiana (``STATEFP == '18'``, 92 counties), simplifies the
outlines and writes one GeoJSON feature per county with the properties ``county_fips`` ('18097') and
``county`` ('Marion'), matching ``data/reference/counties.csv``.

Simplification keeps neighbouring counties seamless: every border two counties share is cut at the points
where the set of counties using a vertex changes, and each such arc is simplified once (Douglas-Peucker)
and used by both, so no slivers or gaps open between counties. No network access is needed, and the output
is deterministic: unchanged inputs give a byte-identical file. The app reads only the committed file.

Usage::

    .venv/bin/python scripts/build_counties_geojson.py [--out FILE] [--tolerance DEGREES]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from importlib import resources
from pathlib import Path

import shapefile

PROJECT_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = PROJECT_ROOT / "data" / "reference" / "indiana_counties.geojson"
COUNTIES_CSV = PROJECT_ROOT / "data" / "reference" / "counties.csv"

INDIANA_STATEFP = "18"
EXPECTED_COUNTY_COUNT = 92
SHAPEFILE_NAME = "cb_2016_us_county_500k"
DECIMALS = 4  # about 11 m: far finer than a county drawn a few hundred pixels wide
# About 150 m of allowed deviation: invisible on a statewide map, and it keeps the file near 100 KB.
DEFAULT_TOLERANCE = 0.0015

Point = tuple[float, float]


class CountyShapesError(RuntimeError):
    """Raised when the shapefile cannot produce the 92 Indiana counties."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUTPUT, help="GeoJSON file to write (default: %(default)s)")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                        help="Douglas-Peucker tolerance in degrees (default: %(default)s)")
    return parser.parse_args(argv)


def shapefile_path() -> Path:
    """Return the path (without extension) of the county shapefile inside the installed plotly-geo package."""
    try:
        folder = resources.files("_plotly_geo") / "package_data"
    except ModuleNotFoundError as error:
        raise CountyShapesError("plotly-geo is not installed: .venv/bin/pip install -c constraints.txt "
                                "plotly-geo pyshp") from error
    path = Path(str(folder)) / SHAPEFILE_NAME
    if not path.with_suffix(".shp").exists():
        raise CountyShapesError(f"{path}.shp not found in the plotly-geo package")
    return path


def read_indiana(path: Path) -> list[tuple[str, str, list[list[Point]]]]:
    """Return (fips, county name, rings) for each Indiana county, rings rounded and without repeated points."""
    counties = []
    with shapefile.Reader(str(path)) as reader:
        for shape, record in zip(reader.iterShapes(), reader.iterRecords()):
            if record["STATEFP"] != INDIANA_STATEFP:
                continue
            bounds = list(shape.parts) + [len(shape.points)]
            rings = []
            for start, end in zip(bounds, bounds[1:]):
                ring: list[Point] = []
                for x, y in shape.points[start:end]:
                    point = (round(x, DECIMALS), round(y, DECIMALS))
                    if not ring or ring[-1] != point:
                        ring.append(point)
                if len(ring) >= 4:
                    rings.append(ring)
            counties.append((record["GEOID"], record["NAME"], rings))
    if len(counties) != EXPECTED_COUNTY_COUNT:
        raise CountyShapesError(f"found {len(counties)} Indiana counties, expected {EXPECTED_COUNTY_COUNT}")
    return sorted(counties)


def _distance(point: Point, start: Point, end: Point) -> float:
    """Distance from a point to the segment start-end, in degrees."""
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    if length == 0:
        return ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return ((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5


def douglas_peucker(line: list[Point], tolerance: float) -> list[Point]:
    """Simplify an open polyline, keeping both ends and every point farther than tolerance from the result."""
    keep = [False] * len(line)
    keep[0] = keep[-1] = True
    stack = [(0, len(line) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, None
        for i in range(first + 1, last):
            distance = _distance(line[i], line[first], line[last])
            if distance > best:
                best, index = distance, i
        if index is not None and best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [point for point, kept in zip(line, keep) if kept]


def simplify(counties: list[tuple[str, str, list[list[Point]]]], tolerance: float) -> dict[str, list[list[Point]]]:
    """Simplify every ring so that a border shared by two counties is simplified once, the same for both."""
    users: dict[Point, set[str]] = {}
    for fips, _, rings in counties:
        for ring in rings:
            for point in ring:
                users.setdefault(point, set()).add(fips)
    arcs: dict[tuple[Point, ...], list[Point]] = {}

    def arc(points: list[Point]) -> list[Point]:
        """The simplified arc, computed in one canonical direction so both neighbours get the same points."""
        forward = points if points[0] <= points[-1] else points[::-1]
        key = tuple(forward)
        if key not in arcs:
            arcs[key] = douglas_peucker(forward, tolerance)
        done = arcs[key]
        return done if forward is points else done[::-1]

    result: dict[str, list[list[Point]]] = {}
    for fips, _, rings in counties:
        simplified = []
        for ring in rings:
            open_ring = ring[:-1]  # shapefile rings repeat their first point at the end
            n = len(open_ring)
            # A vertex stays where the counties sharing it change: a junction of three counties, or where a
            # border with a neighbour meets the state line.
            fixed = [i for i in range(n) if users[open_ring[i]] != users[open_ring[i - 1]]
                     or users[open_ring[i]] != users[open_ring[(i + 1) % n]]]
            if not fixed:
                far = max(range(n), key=lambda i: (open_ring[i][0] - open_ring[0][0]) ** 2
                          + (open_ring[i][1] - open_ring[0][1]) ** 2)
                fixed = sorted({0, far})
            if len(fixed) == 1:
                fixed.append((fixed[0] + n // 2) % n)
            points: list[Point] = []
            for a, b in zip(fixed, fixed[1:] + [fixed[0] + n]):
                piece = [open_ring[i % n] for i in range(a, b + 1)]
                points += arc(piece)[:-1]
            points.append(points[0])
            if len(points) >= 4:
                simplified.append(points)
        result[fips] = simplified
    return result


def signed_area(ring: list[Point]) -> float:
    """Twice the signed planar area of a closed ring: negative when it runs clockwise."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:]))


def build(tolerance: float = DEFAULT_TOLERANCE) -> dict:
    """Return the Indiana counties as a GeoJSON FeatureCollection, sorted by FIPS code."""
    counties = read_indiana(shapefile_path())
    with COUNTIES_CSV.open(newline="", encoding="utf-8") as handle:
        known = {row["county_fips"]: row["county"] for row in csv.DictReader(handle)}
    if {fips for fips, _, _ in counties} != set(known):
        raise CountyShapesError("the shapefile's Indiana FIPS codes differ from data/reference/counties.csv")
    rings = simplify(counties, tolerance)
    features = []
    for fips, _, _ in counties:
        # Shapefiles run outer rings clockwise and holes counter-clockwise, which is also what Vega's d3-geo
        # needs for spherical polygons; the RFC 7946 order (outer counter-clockwise) would fill the whole globe
        # except the county. So the rings keep the shapefile's direction and only their grouping is rebuilt.
        polygons: list[list[list[list[float]]]] = []
        for ring in rings[fips]:
            coordinates = [[x, y] for x, y in ring]
            if signed_area(ring) < 0:
                polygons.append([coordinates])
            elif polygons:
                polygons[-1].append(coordinates)
            else:
                raise CountyShapesError(f"county {fips}: a hole comes before any outer ring")
        geometry = ({"type": "Polygon", "coordinates": polygons[0]} if len(polygons) == 1
                    else {"type": "MultiPolygon", "coordinates": polygons})
        # The name comes from counties.csv so the map and the tables spell counties the same way.
        features.append({"type": "Feature", "properties": {"county_fips": fips, "county": known[fips]},
                         "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def dump(collection: dict) -> str:
    """Serialise compactly, one feature per line, so a changed county shows as one changed line in a diff."""
    lines = [json.dumps(feature, separators=(",", ":"), ensure_ascii=False) for feature in collection["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    """Build the GeoJSON file and print a summary."""
    args = parse_args(argv)
    collection = build(args.tolerance)
    text = dump(collection)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8", newline="\n")
    points = sum(len(ring) for feature in collection["features"] for polygon in
                 ([feature["geometry"]["coordinates"]] if feature["geometry"]["type"] == "Polygon"
                  else feature["geometry"]["coordinates"]) for ring in polygon)
    print(f"Wrote {len(collection['features'])} counties, {points} points, {len(text.encode()) / 1024:.0f} KB "
          f"to {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CountyShapesError as error:
        print(f"build_counties_geojson: error: {error}", file=sys.stderr)
        sys.exit(1)
