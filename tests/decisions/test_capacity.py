"""Capacity actions and extra units on synthetic cells with known results."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from planner.decisions.capacity import (
    CAPACITY_COLUMNS,
    RISK_COLUMNS,
    attribute_uplift_hours,
    plan_capacity,
    rank_cells_at_risk,
)
from planner.inputs.settings import CapacitySettings, ExtraUnit

from .conftest import make_settings

HOURS = pd.date_range("2024-03-30 22:00", periods=6, freq="h", tz="Europe/Paris")


def synthetic_forecast(cell_id: str, measure: str, p90: list[float], event_id: list[str]) -> pd.DataFrame:
    """Synthetic long forecast for one cell and measure over the first len(p90) hours."""
    count = len(p90)
    # Events raise p50 above the baseline, and the hours outside events keep p50 on the baseline.
    p50 = np.where(np.asarray(event_id) != "", np.array(p90) * 0.9, 100.0)
    return pd.DataFrame({
        "cell_id": cell_id, "measure": measure, "timestamp": HOURS[:count],
        "baseline": np.full(count, 100.0), "p10": np.full(count, 90.0), "p50": p50,
        "p90": p90, "actual": np.full(count, np.nan), "event_id": event_id,
    })


def synthetic_cells(**capacities: float) -> pd.DataFrame:
    return pd.DataFrame({"cell_id": ["c1"], "utilisation_threshold": [0.8],
                         **{f"capacity_{m}": [v] for m, v in capacities.items()}})


CARRIER_SETTINGS = make_settings(CapacitySettings(
    default_utilisation_threshold=0.8, watch_margin=0.1,
    extra_units=(ExtraUnit("small cell", {"data_mb": 50.0}), ExtraUnit("temporary carrier", {"calls": 300.0}),
                 ExtraUnit("cell on wheels", {"calls": 900.0})),
))


def test_plan_capacity_exact_extra_units():
    forecast = synthetic_forecast("c1", "calls", [1500.0], ["E1"])

    plan = plan_capacity(forecast, synthetic_cells(calls=1000.0), CARRIER_SETTINGS)

    row = plan.iloc[0]
    assert row["action"] == "add"
    assert row["utilisation_p90"] == pytest.approx(1.5)
    assert row["extra_units"] == math.ceil((1500 / 0.8 - 1000) / 300)
    assert row["extra_units"] == 3
    assert row["extra_unit_name"] == "temporary carrier"
    assert 1500 / (1000 + 3 * 300) <= 0.8
    assert 1500 / (1000 + 2 * 300) > 0.8


def test_plan_capacity_columns_match_contract():
    forecast = synthetic_forecast("c1", "calls", [1500.0], ["E1"])

    plan = plan_capacity(forecast, synthetic_cells(calls=1000.0), CARRIER_SETTINGS)

    assert tuple(plan.columns) == CAPACITY_COLUMNS
    assert str(plan["timestamp"].dt.tz) == "Europe/Paris"


def test_plan_capacity_threshold_boundaries():
    # Synthetic utilisations 0.8 (at threshold), 0.7 (at the watch line), 0.71, 0.81 and 0.5.
    forecast = synthetic_forecast("c1", "calls", [800.0, 700.0, 710.0, 810.0, 500.0], ["E1"] * 5)

    plan = plan_capacity(forecast, synthetic_cells(calls=1000.0), CARRIER_SETTINGS)

    assert plan["action"].tolist() == ["watch", "ok", "watch", "add", "ok"]
    assert plan["extra_units"].tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]
    assert plan["extra_unit_name"].tolist() == ["", "", "", "temporary carrier", ""]


def test_plan_capacity_drops_ok_outside_events():
    forecast = synthetic_forecast("c1", "calls", [500.0, 750.0, 900.0, 500.0, 500.0], ["", "", "", "E1", "E1;E2"])

    plan = plan_capacity(forecast, synthetic_cells(calls=1000.0), CARRIER_SETTINGS)

    assert plan["timestamp"].tolist() == list(HOURS[1:5])
    assert plan["action"].tolist() == ["watch", "add", "ok", "ok"]
    assert plan["event_id"].tolist() == ["", "", "E1", "E1;E2"]


def test_plan_capacity_no_unit_for_measure():
    settings = make_settings(CapacitySettings(extra_units=(ExtraUnit("small cell", {"data_mb": 50.0}),)))
    forecast = synthetic_forecast("c1", "calls", [1500.0, 500.0], ["", "E1"])

    plan = plan_capacity(forecast, synthetic_cells(calls=1000.0), settings)

    assert plan["action"].tolist() == ["add", "ok"]
    assert np.isnan(plan["extra_units"].iloc[0])
    assert plan["extra_units"].iloc[1] == 0.0
    assert plan["extra_unit_name"].tolist() == ["", ""]


def test_plan_capacity_default_threshold_fills_gap():
    cells = synthetic_cells(calls=1000.0).assign(utilisation_threshold=[np.nan])
    settings = make_settings(CapacitySettings(default_utilisation_threshold=0.6, watch_margin=0.1))
    forecast = synthetic_forecast("c1", "calls", [650.0], [""])

    plan = plan_capacity(forecast, cells, settings)

    assert plan["threshold"].tolist() == [0.6]
    assert plan["action"].tolist() == ["add"]


def test_plan_capacity_missing_p90_watched(caplog):
    forecast = synthetic_forecast("c1", "calls", [np.nan, 500.0], ["", ""])

    plan = plan_capacity(forecast, synthetic_cells(calls=1000.0), CARRIER_SETTINGS)

    assert plan["action"].tolist() == ["watch"]
    assert "no p90 forecast" in caplog.text


def test_plan_capacity_missing_capacity_lists_cells():
    forecast = pd.concat([synthetic_forecast("c1", "calls", [500.0], ["E1"]),
                          synthetic_forecast("c2", "calls", [500.0], ["E1"]),
                          synthetic_forecast("c3", "calls", [500.0], ["E1"])])
    cells = pd.DataFrame({"cell_id": ["c1", "c2"], "utilisation_threshold": [0.8, 0.8],
                          "capacity_calls": [np.nan, 1000.0]})

    with pytest.raises(ValueError) as error:
        plan_capacity(forecast, cells, CARRIER_SETTINGS)

    assert "2 forecast cell and measure pairs" in str(error.value)
    assert "'c1'" in str(error.value)
    assert "'c3'" in str(error.value)


def test_plan_capacity_missing_capacity_column():
    forecast = synthetic_forecast("c1", "data_mb", [500.0], ["E1"])

    with pytest.raises(ValueError, match="capacity_data_mb"):
        plan_capacity(forecast, synthetic_cells(calls=1000.0), CARRIER_SETTINGS)


def test_plan_capacity_many_cells_vectorised():
    rng = np.random.default_rng(7)
    count = 2000
    forecast = pd.DataFrame({
        "cell_id": [f"c{i % 200}" for i in range(count)], "measure": "data_mb",
        "timestamp": np.repeat(pd.date_range("2024-03-31", periods=10, freq="h", tz="Europe/Paris"), 200),
        "p90": rng.uniform(0, 3000, count), "event_id": "E1",
    })
    cells = pd.DataFrame({"cell_id": [f"c{i}" for i in range(200)], "utilisation_threshold": 0.8,
                          "capacity_data_mb": rng.uniform(500, 2000, 200)})

    plan = plan_capacity(forecast, cells, CARRIER_SETTINGS)

    add = plan[plan["action"] == "add"]
    assert len(plan) == count
    after = add["forecast_p90"] / (add["capacity"] + add["extra_units"] * 50.0)
    before = add["forecast_p90"] / (add["capacity"] + (add["extra_units"] - 1) * 50.0)
    assert (after <= 0.8).all()
    assert (before > 0.8).all()


def test_rank_cells_at_risk_summary():
    forecast = pd.concat([
        synthetic_forecast("c1", "calls", [500.0, 750.0, 1500.0, 850.0], ["", "", "E1", "E1;E2"]),
        synthetic_forecast("c2", "calls", [760.0, 500.0], ["E3", ""]),
        synthetic_forecast("c3", "calls", [100.0], ["E3"]),
    ])
    cells = pd.DataFrame({"cell_id": ["c1", "c2", "c3"], "utilisation_threshold": 0.8,
                          "capacity_calls": 1000.0})

    ranking = rank_cells_at_risk(plan_capacity(forecast, cells, CARRIER_SETTINGS))

    assert tuple(ranking.columns) == RISK_COLUMNS
    assert ranking["cell_id"].tolist() == ["c1", "c2"]
    assert ranking["peak_utilisation_p90"].tolist() == [1.5, 0.76]
    assert ranking["hours_add"].tolist() == [2, 0]
    assert ranking["hours_watch"].tolist() == [1, 1]
    assert ranking["first_hour"].tolist() == [HOURS[1], HOURS[0]]
    assert ranking["max_extra_units"].tolist() == [3.0, 0.0]
    assert ranking["event_id"].tolist() == ["E1;E2", "E3"]
    # Expected overload: c1 is 0.7 and 0.05 over its 0.8 threshold; c2 never passes it.
    assert ranking["overload_utilisation_hours"].tolist() == pytest.approx([0.75, 0.0])


def test_rank_cells_at_risk_empty():
    forecast = synthetic_forecast("c1", "calls", [100.0], ["E1"])

    ranking = rank_cells_at_risk(plan_capacity(forecast, synthetic_cells(calls=1000.0), CARRIER_SETTINGS))

    assert ranking.empty
    assert tuple(ranking.columns) == RISK_COLUMNS


def test_attribute_uplift_hours_nearest_event():
    forecast = pd.DataFrame({
        "cell_id": "c1", "measure": "calls", "timestamp": pd.date_range("2024-03-01", periods=9, freq="h",
                                                                          tz="Europe/Paris"),
        "baseline": 100.0,
        "p50": [150.0, 160.0, 170.0, 180.0, 170.0, 160.0, 150.0, 100.0, 120.0],
        "event_id": ["", "", "E1", "", "", "", "E2", "", ""],
    })

    event_ids = attribute_uplift_hours(forecast)

    # Hour 3 is one hour from E1 and three from E2. Hour 4 is two hours from each, so the earlier event wins.
    assert event_ids.tolist()[:7] == ["E1", "E1", "E1", "E1", "E1", "E2", "E2"]
    # Hour 7 has no uplift, and hour 8's uplift run has no marked hour.
    assert event_ids.tolist()[7:] == ["", ""]


def test_attribute_uplift_hours_per_cell():
    hours = pd.date_range("2024-03-01", periods=2, freq="h", tz="Europe/Paris")
    forecast = pd.DataFrame({
        "cell_id": ["c2", "c2", "c1", "c1"], "measure": "calls", "timestamp": [*hours, *hours],
        "baseline": 100.0, "p50": 150.0, "event_id": ["", "", "", "E1"],
    })

    event_ids = attribute_uplift_hours(forecast)

    assert event_ids.tolist() == ["", "", "E1", "E1"]


def test_plan_capacity_claims_early_uplift_hour():
    forecast = synthetic_forecast("c1", "calls", [500.0, 900.0, 950.0, 500.0], ["", "", "E1", "E1"])
    forecast.loc[1, "p50"] = 810.0

    plan = plan_capacity(forecast, synthetic_cells(calls=1000.0), CARRIER_SETTINGS)

    assert plan["timestamp"].tolist() == list(HOURS[1:4])
    assert plan["event_id"].tolist() == ["E1", "E1", "E1"]
    assert plan["action"].tolist() == ["add", "add", "ok"]
