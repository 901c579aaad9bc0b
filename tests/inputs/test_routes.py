"""Reading routes of moving events from CSV and GeoJSON, and rejecting bad ones."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planner.inputs.errors import InputError
from planner.inputs.routes import read_routes
from planner.inputs.settings import CapacitySettings, Measure, Settings, StaffingSettings
from tests.forecasting.synthetic import TIMEZONE

SETTINGS = Settings(name="routes", title="Routes", timezone=TIMEZONE, country="", subdivision="", step_minutes=60,
                    measures=(Measure("load", "MB", "volume"),), capacity=CapacitySettings(),
                    staffing=StaffingSettings())


def test_read_routes_csv_sorted(tmp_path):
    path = tmp_path / "routes.csv"
    path.write_text("event_id,sequence,latitude,longitude,time\n"
                    "march,2,48.8530,2.3690,2023-03-07T15:00\n"
                    "march,1,48.8675,2.3638,2023-03-07T14:00\n"
                    "walk,1,48.80,2.30,\nwalk,2,48.81,2.31,\n", encoding="utf-8")
    routes = read_routes(path, SETTINGS, pd.Series(["march", "walk"]))
    assert list(routes["sequence"][routes["event_id"] == "march"]) == [1, 2]
    assert routes["time"].iloc[0] == pd.Timestamp("2023-03-07 14:00", tz=TIMEZONE)
    assert routes.loc[routes["event_id"] == "walk", "time"].isna().all()


def test_read_routes_lists_every_problem(tmp_path):
    path = tmp_path / "routes.csv"
    path.write_text("event_id,sequence,latitude,longitude,time\n"
                    "march,1,95.0,2.36,2023-03-07T14:00\n"
                    "march,1,48.85,2.37,\n"
                    "ghost,1,48.85,2.37,\n"
                    "ghost,2,48.86,abc,\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_routes(path, SETTINGS, pd.Series(["march"]))
    problems = {(problem.row, problem.column) for problem in caught.value.problems}
    assert (2, "latitude") in problems
    assert (3, "sequence") in problems
    assert (2, "time") in problems
    assert (4, "event_id") in problems
    assert (5, "longitude") in problems


def test_read_routes_geojson_times(tmp_path):
    path = tmp_path / "routes.geojson"
    times = ["2023-03-07T14:00:00+01:00", "2023-03-07T15:30:00+01:00"]
    feature = {"type": "Feature", "properties": {"event_id": "march", "times": times},
               "geometry": {"type": "LineString", "coordinates": [[2.3638, 48.8675], [2.3958, 48.8483]]}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    routes = read_routes(path, SETTINGS)
    assert list(routes["latitude"]) == [48.8675, 48.8483]
    assert routes["time"].iloc[1] - routes["time"].iloc[0] == pd.Timedelta(minutes=90)


def test_read_routes_rejects_decreasing_times(tmp_path):
    path = tmp_path / "routes.csv"
    path.write_text("event_id,sequence,latitude,longitude,time\n"
                    "march,1,48.85,2.36,2023-03-07T15:00\nmarch,2,48.86,2.37,2023-03-07T14:00\n", encoding="utf-8")
    with pytest.raises(InputError, match="must not decrease"):
        read_routes(path, SETTINGS)
