"""The committed county shapes (data/reference/indiana_counties.geojson) and the script that builds them."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lib.directory import coverage

ROOT = Path(__file__).resolve().parents[1]
GEOJSON = ROOT / "data" / "reference" / "indiana_counties.geojson"


def rings(feature: dict) -> list[list[list[float]]]:
    """Every ring of a Polygon or MultiPolygon feature."""
    geometry = feature["geometry"]
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


def test_92_counties_whose_fips_and_names_match_counties_csv():
    shapes = json.loads(GEOJSON.read_text(encoding="utf-8"))
    with (ROOT / "data" / "reference" / "counties.csv").open(newline="", encoding="utf-8") as handle:
        counties = {row["county_fips"]: row["county"] for row in csv.DictReader(handle)}
    features = shapes["features"]
    assert shapes["type"] == "FeatureCollection" and len(features) == 92
    assert {f["properties"]["county_fips"]: f["properties"]["county"] for f in features} == counties
    assert coverage.county_shapes() == shapes  # what the app reads


def test_shapes_are_small_closed_clockwise_and_inside_indiana():
    shapes = json.loads(GEOJSON.read_text(encoding="utf-8"))
    assert GEOJSON.stat().st_size < 500_000
    for feature in shapes["features"]:
        outer = rings(feature)[0]
        assert len(outer) >= 4 and outer[0] == outer[-1], feature["properties"]
        # Vega (d3-geo) fills the outside of a counter-clockwise outer ring: the whole globe but the county.
        area = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(outer, outer[1:]))
        assert area < 0, feature["properties"]
        for x, y in (point for ring in rings(feature) for point in ring):
            assert -88.1 <= x <= -84.78 and 37.77 <= y <= 41.77


def test_neighbouring_counties_share_their_simplified_border():
    shapes = json.loads(GEOJSON.read_text(encoding="utf-8"))
    by_name = {f["properties"]["county"]: {tuple(p) for ring in rings(f) for p in ring} for f in shapes["features"]}
    # Marion (Indianapolis) touches these seven counties; each shared border keeps the same points on both sides.
    for neighbour in ("Hamilton", "Hancock", "Shelby", "Johnson", "Morgan", "Hendricks", "Boone"):
        assert len(by_name["Marion"] & by_name[neighbour]) >= 2, neighbour


def test_committed_geojson_is_what_the_script_builds(tmp_path):
    pytest.importorskip("_plotly_geo", reason="plotly-geo (the test extras) is not installed")
    pytest.importorskip("shapefile", reason="pyshp (the test extras) is not installed")
    out = tmp_path / "indiana_counties.geojson"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_counties_geojson.py"), "--out", str(out)],
                   check=True, capture_output=True, timeout=300)
    assert out.read_bytes() == GEOJSON.read_bytes()
