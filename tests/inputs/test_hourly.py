"""Hourly aggregation of traffic steps, across daylight-saving days, on synthetic data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.inputs.hourly import to_hourly
from planner.inputs.settings import load_settings
from planner.inputs.tables import read_traffic

SETTINGS = """
[dataset]
name = "synthetic"
timezone = "Europe/Paris"
country = ""

[traffic]
step_minutes = {step}

[measures.calls]
unit = "calls"
kind = "volume"

[measures.erlangs]
unit = "Erlang"
kind = "rate"
"""


def _settings(tmp_path: Path, step: int):
    path = tmp_path / "settings.toml"
    path.write_text(SETTINGS.format(step=step), encoding="utf-8")
    return load_settings(path)


def _write_traffic(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "traffic.csv"
    path.write_text("cell_id,timestamp,calls,erlangs\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _local_day_rows(day: str, hours: list[tuple[str, int]], cells=("cell-a", "cell-b")) -> list[str]:
    """Synthetic 10-minute rows without offset: each listed local hour gets calls = its position in the day."""
    rows = []
    for position, (clock_hour, _) in enumerate(hours):
        for minute in range(0, 60, 10):
            for cell in cells:
                rows.append(f"{cell},{day} {clock_hour}:{minute:02d}:00,{position},{position + 0.5}")
    return rows


def test_hourly_spring_day_23_rows(tmp_path):
    # Synthetic: 2024-03-31 in Paris has no 02:00 local hour.
    settings = _settings(tmp_path, 10)
    hours = [(f"{hour:02d}", hour) for hour in range(24) if hour != 2]
    traffic, _ = read_traffic(_write_traffic(tmp_path, _local_day_rows("2024-03-31", hours)), settings)

    hourly, quality = to_hourly(traffic, settings)

    cell_a = hourly[hourly["cell_id"] == "cell-a"]
    assert len(cell_a) == 23
    assert len(hourly) == 46
    assert list(cell_a["calls"]) == [6.0 * position for position in range(23)]
    assert list(cell_a["erlangs"]) == [position + 0.5 for position in range(23)]
    assert cell_a["timestamp"].iloc[2] == pd.Timestamp("2024-03-31 03:00", tz="Europe/Paris")
    assert quality.missing_hours == {"calls": 0, "erlangs": 0}


def test_hourly_autumn_day_25_rows(tmp_path):
    # Synthetic: 2024-10-27 in Paris has the local hour 02:00 twice, written in file order.
    settings = _settings(tmp_path, 10)
    hours = [(f"{hour:02d}", hour) for hour in range(3)] + [("02", 2)] + [(f"{hour:02d}", hour) for hour in range(3, 24)]
    traffic, _ = read_traffic(_write_traffic(tmp_path, _local_day_rows("2024-10-27", hours)), settings)

    hourly, _ = to_hourly(traffic, settings)

    cell_b = hourly[hourly["cell_id"] == "cell-b"].reset_index(drop=True)
    assert len(cell_b) == 25
    assert list(cell_b["calls"]) == [6.0 * position for position in range(25)]
    assert cell_b.loc[2, "timestamp"].isoformat() == "2024-10-27T02:00:00+02:00"
    assert cell_b.loc[3, "timestamp"].isoformat() == "2024-10-27T02:00:00+01:00"


def test_autumn_repeated_hour_file_order(tmp_path):
    # Synthetic: two cells interleaved; each cell's first 02:10 is summer time, its second is winter time.
    settings = _settings(tmp_path, 10)
    rows = ["cell-a,2024-10-27 02:10:00,1,0", "cell-b,2024-10-27 02:10:00,2,0",
            "cell-b,2024-10-27 02:10:00,3,0", "cell-a,2024-10-27 02:10:00,4,0"]

    traffic, quality = read_traffic(_write_traffic(tmp_path, rows), settings)

    by_value = traffic.set_index("calls")["timestamp"].map(lambda moment: moment.isoformat())
    assert by_value[1.0] == "2024-10-27T02:10:00+02:00"
    assert by_value[2.0] == "2024-10-27T02:10:00+02:00"
    assert by_value[3.0] == "2024-10-27T02:10:00+01:00"
    assert by_value[4.0] == "2024-10-27T02:10:00+01:00"
    assert quality.rows_rejected == 0


def test_hourly_volume_sum_rate_mean(tmp_path):
    # Synthetic 15-minute steps: full hour, 3 of 4 steps, 2 of 4, 1 of 4, then an hour with no row.
    settings = _settings(tmp_path, 15)
    start = pd.Timestamp("2024-01-15 10:00", tz="Europe/Paris")
    steps = {0: 1.0, 15: 2.0, 30: 3.0, 45: 4.0,
             60: 1.0, 75: 2.0, 105: 4.0,
             120: 6.0, 135: 2.0,
             180: 8.0,
             270: 5.0}
    traffic = pd.DataFrame({
        "cell_id": "cell-a",
        "timestamp": [start + pd.Timedelta(minutes=minute) for minute in steps],
        "calls": list(steps.values()),
        "erlangs": list(steps.values()),
    })

    hourly, quality = to_hourly(traffic, settings)

    assert list(hourly["timestamp"]) == [start + pd.Timedelta(hours=hour) for hour in range(5)]
    np.testing.assert_allclose(hourly["calls"], [10.0, 7.0 * 4 / 3, 8.0 * 4 / 2, np.nan, np.nan])
    np.testing.assert_allclose(hourly["erlangs"], [2.5, 7.0 / 3, 4.0, np.nan, np.nan])
    assert quality.imputed_hours == {"calls": 2, "erlangs": 2}
    assert quality.missing_hours == {"calls": 2, "erlangs": 2}


def test_hourly_missing_values_not_counted(tmp_path):
    # Synthetic 30-minute steps: an empty field is not a present step.
    settings = _settings(tmp_path, 30)
    traffic = pd.DataFrame({
        "cell_id": ["cell-a", "cell-a"],
        "timestamp": pd.DatetimeIndex(["2024-01-15 10:00", "2024-01-15 10:30"]).tz_localize("Europe/Paris"),
        "calls": [np.nan, 5.0],
        "erlangs": [np.nan, np.nan],
    })

    hourly, quality = to_hourly(traffic, settings)

    assert hourly.loc[0, "calls"] == 10.0
    assert np.isnan(hourly.loc[0, "erlangs"])
    assert quality.imputed_hours["calls"] == 1
    assert quality.missing_hours["erlangs"] == 1


def test_hourly_many_cells_grid(tmp_path):
    # Synthetic: 20000 cells over one day; the first cell's first 10 hours have no row.
    cell_count = 20000
    settings = _settings(tmp_path, 10)
    steps = pd.date_range("2024-06-01", periods=6 * 24, freq="10min", tz="Europe/Paris")
    cells = np.repeat([f"cell-{index:05d}" for index in range(cell_count)], len(steps))
    timestamps = steps[np.tile(np.arange(len(steps)), cell_count)]
    traffic = pd.DataFrame({"cell_id": cells, "timestamp": timestamps, "calls": 1.0, "erlangs": 2.0}).iloc[60:]

    hourly, quality = to_hourly(traffic, settings)

    assert len(hourly) == cell_count * 24
    assert hourly["calls"].sum() == pytest.approx(6.0 * (cell_count * 24 - 10))
    assert quality.missing_hours["calls"] == 10
    assert hourly["cell_id"].iloc[0] == "cell-00000"
    assert np.isnan(hourly["calls"].iloc[0])
