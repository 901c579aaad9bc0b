"""Checks of the bundled dataset folders under data/ and of the converter that writes them."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from planner.inputs.dataset import EVENT_KINDS
from planner.inputs.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
SHARED = REPO / ".." / "shared" / "data"
DATASETS = ("milan", "san-siro", "dodgers", "paris-2023")
FILES = ("settings.toml", "traffic.csv", "events.csv", "venues.csv", "cells.csv", "PROVENANCE.md")
EVENT_COLUMNS = ["event_id", "name", "kind", "venue_id", "start", "end",
                 "expected_attendance", "attendance_low", "attendance_high"]

needs_sources = pytest.mark.skipif(not SHARED.is_dir(), reason="source data sets not present next to the repository")


def read_table(name: str, table: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name / f"{table}.csv", dtype=str, keep_default_na=False, encoding="utf-8")


@needs_sources
def test_converter_reproduces_committed_files(tmp_path):
    subprocess.run([sys.executable, str(DATA / "convert_shared.py"), "--shared", str(SHARED), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for name in DATASETS:
        written_files = sorted(path.name for path in (tmp_path / name).iterdir())
        assert set(FILES) <= set(written_files)
        for file_name in written_files:
            written = (tmp_path / name / file_name).read_bytes()
            committed = (DATA / name / file_name).read_bytes()
            assert written == committed, f"{name}/{file_name} differs from a fresh conversion"


def _conversion_common():
    """Load data/conversion/common.py, which is a script's module and not part of the planner package."""
    spec = importlib.util.spec_from_file_location("conversion_common", DATA / "conversion" / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("french", "mark"), [("Note : 18:00", ":"), ("Note\u00a0: x ; y", ";"),
                                              ("vraiment ?", "?"), ("« plus de X »", "«"),
                                              ("«\u00a0plus de X »", "»")])
def test_converter_rejects_plain_french_spaces(french, mark):
    check_french_spacing = _conversion_common().check_french_spacing
    with pytest.raises(ValueError, match=rf"templates/x/settings.toml.in: the French text of 'Note' has '{mark}'"):
        check_french_spacing(f'[translations.fr]\n"Note" = "{french}"\n', "x/settings.toml.in")


def test_converter_accepts_french_no_break_spaces():
    check_french_spacing = _conversion_common().check_french_spacing
    french = "Note\u00a0: à 18:00, voir cells.csv:latitude\u202f; «\u00a0plus de X\u00a0»\u202f?"
    check_french_spacing(f'[translations.fr]\n"Note" = "{french}"\n', "x/settings.toml.in")


@pytest.mark.parametrize(("name", "rows", "empty"), [("milan", 67200, 0), ("san-siro", 4464, 0),
                                                     ("dodgers", 50400, 2903)])
def test_traffic_row_counts_match_sources(name, rows, empty):
    traffic = read_table(name, "traffic")
    measures = load_settings(DATA / name / "settings.toml").measure_names
    assert len(traffic) == rows
    assert int((traffic[list(measures)] == "").any(axis=1).sum()) == empty


@pytest.mark.parametrize("name", DATASETS)
def test_traffic_timestamps_regular_and_sorted(name):
    settings = load_settings(DATA / name / "settings.toml")
    traffic = read_table(name, "traffic")
    assert list(traffic.columns) == ["cell_id", "timestamp", *settings.measure_names]
    assert traffic["timestamp"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00[+-]\d\d:\d\d").all()

    timestamps = pd.to_datetime(traffic["timestamp"], utc=True)
    assert not traffic.duplicated(["cell_id", "timestamp"]).any()
    for _, moments in timestamps.groupby(traffic["cell_id"]):
        steps = moments.diff().dropna().unique()
        assert list(steps) == [pd.Timedelta(minutes=settings.step_minutes)]
    ordered = pd.DataFrame({"cell_id": traffic["cell_id"], "utc": timestamps}).sort_values(["cell_id", "utc"])
    assert ordered.index.tolist() == list(range(len(traffic)))


@pytest.mark.parametrize("name", DATASETS)
def test_timestamp_offsets_match_timezone(name):
    settings = load_settings(DATA / name / "settings.toml")
    traffic = read_table(name, "traffic")
    local = pd.to_datetime(traffic["timestamp"], utc=True).dt.tz_convert(settings.timezone)
    expected = local.map(lambda moment: moment.isoformat())
    assert (expected == traffic["timestamp"]).all()


@needs_sources
def test_dodgers_counts_shifted_to_interval_start():
    # Dodgers.data stamps each count with the END of its five minutes and codes a missing count as -1.
    source = pd.read_csv(SHARED / "dodgers_loop_sensor" / "Dodgers.data", header=None, names=["end", "cars"],
                         dtype=str)
    traffic = read_table("dodgers", "traffic")
    source_ends = pd.to_datetime(source["end"], format="%m/%d/%Y %H:%M").dt.tz_localize("America/Los_Angeles")
    starts = pd.to_datetime(traffic["timestamp"], utc=True).dt.tz_convert("America/Los_Angeles")
    assert ((source_ends - starts) == pd.Timedelta(minutes=5)).all()
    assert (source["cars"].replace("-1", "") == traffic["cars"]).all()
    assert traffic.loc[traffic["timestamp"] == "2005-07-28T17:55:00-07:00", "cars"].item() == \
        source.loc[source["end"] == "7/28/2005 18:00", "cars"].item()


@pytest.mark.parametrize("name", DATASETS)
def test_events_reference_known_venues(name):
    events = read_table(name, "events")
    venues = read_table(name, "venues")
    assert list(events.columns) == EVENT_COLUMNS
    assert events["event_id"].is_unique
    assert set(events["kind"]) <= set(EVENT_KINDS)
    assert set(events["venue_id"]) - {""} <= set(venues["venue_id"])
    starts = pd.to_datetime(events["start"], utc=True)
    ends = pd.to_datetime(events["end"], utc=True)
    assert (ends > starts).all()
    for column in ("expected_attendance", "attendance_low", "attendance_high"):
        assert events[column].str.fullmatch(r"\d*").all()


@pytest.mark.parametrize(("name", "count", "unknown_attendance"), [("milan", 10, 5), ("san-siro", 5, 0),
                                                                   ("dodgers", 81, 0)])
def test_events_counts_and_unknown_attendance(name, count, unknown_attendance):
    events = read_table(name, "events")
    assert len(events) == count
    assert int((events["expected_attendance"] == "").sum()) == unknown_attendance


@pytest.mark.parametrize("name", DATASETS)
def test_cells_capacities_listed_as_assumptions(name):
    settings = load_settings(DATA / name / "settings.toml")
    cells = read_table(name, "cells")
    capacity_columns = [f"capacity_{measure}" for measure in settings.measure_names]
    assert list(cells.columns) == ["cell_id", "site_id", "latitude", "longitude", "utilisation_threshold",
                                   *capacity_columns]
    assert set(read_table(name, "traffic")["cell_id"]) == set(cells["cell_id"])
    for column in capacity_columns:
        assert (pd.to_numeric(cells[column]) > 0).all()
        assert f"cells.csv:{column}" in settings.assumptions
    for role in settings.staffing.roles:
        for key in ("base_arrivals_per_hour", "arrivals_per_overloaded_cell_hour", "handle_time_seconds"):
            assert f"staffing.roles.{role.name}.{key}" in settings.assumptions
    assert "staffing.shrinkage" in settings.assumptions


@pytest.mark.parametrize("name", DATASETS)
def test_assumption_texts_name_no_setting_key(name):
    # A text for readers of the report gives a setting's value in words, not the key of settings.toml.
    with open(DATA / name / "settings.toml", "rb") as handle:
        settings = tomllib.load(handle)
    keys = set()
    tables = [settings]
    while tables:
        for key, value in tables.pop().items():
            if isinstance(value, dict):
                tables.append(value)
            elif "_" in key and "." not in key:
                keys.add(key)
    texts = [*settings["assumptions"].values(), *settings["translations"]["fr"].values()]

    named = sorted(key for key in keys if any(re.search(rf"\b{re.escape(key)}\b", text) for text in texts))

    assert named == []
