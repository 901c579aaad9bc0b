"""The [footprint] and [routes] settings, and a dataset folder with polygons and routes."""

from __future__ import annotations

import shutil

import pytest

from planner.inputs import InputError, load_dataset
from planner.inputs.settings import DEFAULT_FOOTPRINT_RADIUS_M, load_settings
from tests.conftest import BUNDLED_DATA


def _settings_with(tmp_path, text: str):
    source = (BUNDLED_DATA / "dodgers" / "settings.toml").read_text(encoding="utf-8")
    path = tmp_path / "settings.toml"
    path.write_text(source + "\n" + text, encoding="utf-8")
    return path


def test_footprint_defaults_per_kind(tmp_path):
    settings = load_settings(_settings_with(tmp_path, ""))
    assert settings.footprint.radius_for("match") == DEFAULT_FOOTPRINT_RADIUS_M["match"]
    assert settings.footprint.radius_for("demonstration") == 300.0
    assert settings.footprint.radius_for("unlisted-kind") == 500.0
    assert settings.routes.speed_m_per_s == 0.6


def test_footprint_radius_overrides(tmp_path):
    text = "[footprint]\nradius_m = {match = 1200}\ndefault_radius_m = 250\n[routes]\nstreet_width_m = 30\n"
    settings = load_settings(_settings_with(tmp_path, text))
    assert settings.footprint.radius_for("match") == 1200.0
    assert settings.footprint.radius_for("concert") == DEFAULT_FOOTPRINT_RADIUS_M["concert"]
    assert settings.footprint.radius_for("unlisted-kind") == 250.0
    assert settings.routes.street_width_m == 30.0


def test_footprint_invalid_values_listed(tmp_path):
    text = "[footprint]\nradius_m = {match = -5, concert = \"far\"}\n[routes]\nspeed_m_per_s = 0\n"
    with pytest.raises(InputError) as caught:
        load_settings(_settings_with(tmp_path, text))
    columns = {problem.column for problem in caught.value.problems}
    assert columns == {"footprint.radius_m.match", "footprint.radius_m.concert", "routes.speed_m_per_s"}


def test_load_dataset_polygons_and_routes():
    dataset = load_dataset(BUNDLED_DATA / "paris-2023")
    assert set(dataset.cell_shapes) == set(dataset.cells["cell_id"])
    assert dataset.routes["event_id"].nunique() == 14
    assert (dataset.routes.groupby("event_id")["sequence"].max() == 5).all()


def test_load_dataset_route_unknown_event(tmp_path):
    folder = tmp_path / "paris"
    shutil.copytree(BUNDLED_DATA / "paris-2023", folder)
    with (folder / "routes.csv").open("a", encoding="utf-8") as handle:
        handle.write("no-such-event,1,48.86,2.36,\nno-such-event,2,48.85,2.37,\n")
    with pytest.raises(InputError) as caught:
        load_dataset(folder)
    rows = [problem.row for problem in caught.value.problems if problem.column == "event_id"]
    assert rows == [72, 73]
