"""Cell polygons: reading cells.geojson and distances to polygons, on the real Milan grid."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from planner.inputs.errors import InputError
from planner.inputs.geography import distance_m
from planner.inputs.geometry import distance_to_cells_m, read_cell_shapes

SAN_SIRO = (45.4781, 9.1241)
STADIUM_SQUARE = "5738"
NEIGHBOURS = ("5637", "5638", "5639", "5737", "5739", "5837", "5838", "5839")


@pytest.fixture
def milan_block(shared_data, tmp_path):
    """Write the real grid squares around San Siro as a cells.geojson with a cell_id property."""
    document = json.loads((shared_data / "milan_telecom_san_siro" / "milano-grid.geojson").read_text())
    wanted = {STADIUM_SQUARE, *NEIGHBOURS, "5060"}
    features = [{"type": "Feature", "properties": {"cell_id": str(feature["properties"]["cellId"])},
                 "geometry": feature["geometry"]}
                for feature in document["features"] if str(feature["properties"]["cellId"]) in wanted]
    path = tmp_path / "cells.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_distance_zero_inside_stadium_square(milan_block):
    shapes = read_cell_shapes(milan_block)
    cells = pd.DataFrame({"cell_id": [STADIUM_SQUARE, *NEIGHBOURS, "5060"], "latitude": np.nan,
                          "longitude": np.nan})
    distances = distance_to_cells_m(*SAN_SIRO, cells, shapes)
    assert distances[0] == 0.0
    # Neighbouring squares of 235 m touch the stadium square, so the stadium is at most one square's diagonal away.
    assert (distances[1:9] > 0).all()
    assert (distances[1:9] < 335).all()
    # The Duomo square is about 5 km from San Siro.
    assert 4000 < distances[9] < 6000


def test_polygon_distance_to_nearest_edge():
    # Synthetic square of 0.01 degrees around (45.0, 9.0); a point due north of it.
    ring = [[8.995, 44.995], [9.005, 44.995], [9.005, 45.005], [8.995, 45.005], [8.995, 44.995]]
    shapes = {"square": [[np.array(ring)]]}
    cells = pd.DataFrame({"cell_id": ["square", "point"], "latitude": [45.0, 45.0], "longitude": [9.0, 9.0]})
    distances = distance_to_cells_m(45.015, 9.0, cells, shapes)
    expected_edge = distance_m(45.015, 9.0, np.array([45.005]), np.array([9.0]))[0]
    assert distances[0] == pytest.approx(expected_edge, rel=1e-3)
    assert distances[1] == pytest.approx(distance_m(45.015, 9.0, np.array([45.0]), np.array([9.0]))[0])


def test_read_cell_shapes_lists_every_problem(tmp_path):
    square = {"type": "Polygon", "coordinates": [[[9.0, 45.0], [9.1, 45.0], [9.1, 45.1], [9.0, 45.0]]]}
    features = [{"type": "Feature", "properties": {}, "geometry": square},
                {"type": "Feature", "properties": {"cell_id": "a"}, "geometry": {"type": "Point",
                                                                                 "coordinates": [9, 45]}},
                {"type": "Feature", "properties": {"cell_id": "unknown"}, "geometry": square}]
    path = tmp_path / "cells.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_cell_shapes(path, pd.Series(["a"]))
    assert [(problem.row, problem.column) for problem in caught.value.problems] == [
        (1, "cell_id"), (2, "geometry"), (3, "cell_id")]
