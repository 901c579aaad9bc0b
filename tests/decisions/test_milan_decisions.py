"""Capacity and staffing on the bundled Milan data, with the observed traffic as the forecast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from planner.decisions.capacity import plan_capacity, rank_cells_at_risk
from planner.decisions.erlang import agents_for_service_level_fractional
from planner.decisions.staffing import plan_staffing
from planner.inputs.loading import load_dataset
from planner.inputs.weeks import Week


MILAN = Path(__file__).resolve().parents[2] / "data" / "milan"


@pytest.fixture(scope="module")
def milan():
    if not (MILAN / "settings.toml").is_file():
        pytest.skip(f"bundled dataset not found at {MILAN}")
    return load_dataset(MILAN)


@pytest.fixture
def observed_forecast(milan):
    """The observed Internet activity as p50 and p90, with a match window marked as an event."""
    forecast = milan.traffic.rename(columns={"internet": "p50"}).assign(measure="internet", event_id="")
    forecast["p90"] = forecast["p50"]
    match = milan.events.set_index("event_id").loc["san-siro-2013-11-23"]
    inside = (forecast["timestamp"] >= match["start"].floor("h")) & (forecast["timestamp"] < match["end"])
    forecast.loc[inside, "event_id"] = "san-siro-2013-11-23"
    return forecast


def test_milan_capacity_matches_documented_counts(milan, observed_forecast):
    # The settings document 265 add and 342 watch cell-hours over the four weeks of observed traffic.
    capacity = plan_capacity(observed_forecast, milan.cells, milan.settings)

    counts = capacity["action"].value_counts()
    assert counts["add"] == 265
    assert counts["watch"] == 342
    outside_events = capacity[capacity["event_id"] == ""]
    assert (outside_events["action"] != "ok").all()
    inside_events = observed_forecast[observed_forecast["event_id"] != ""]
    assert len(inside_events) > 0
    assert (capacity["event_id"] != "").sum() == len(inside_events)


def test_milan_extra_units_restore_threshold(milan, observed_forecast):
    capacity = plan_capacity(observed_forecast, milan.cells, milan.settings)

    add = capacity[capacity["action"] == "add"]
    assert (add["extra_unit_name"] == "temporary carrier").all()
    after = add["forecast_p90"] / (add["capacity"] + add["extra_units"] * 303.6)
    before = add["forecast_p90"] / (add["capacity"] + (add["extra_units"] - 1) * 303.6)
    assert (after <= add["threshold"]).all()
    assert (before > add["threshold"]).all()
    ranking = rank_cells_at_risk(capacity)
    assert ranking["cell_id"].iloc[0] == "5641"
    assert ranking["overload_utilisation_hours"].is_monotonic_decreasing


def test_milan_staffing_meets_targets(milan, observed_forecast):
    week = Week(2013, 47, milan.timezone)
    history = milan.traffic[milan.traffic["timestamp"] < week.start]
    reference = {"internet": float(history.groupby("timestamp")["internet"].sum().mean())}
    capacity = plan_capacity(observed_forecast, milan.cells, milan.settings)

    staffing, intervals = plan_staffing(observed_forecast, capacity, milan.settings, reference, week)

    assert len(intervals) == 336 * len(milan.settings.staffing.roles)
    targets = intervals["role"].map({role.name: role.service_level_target for role in milan.settings.staffing.roles})
    assert (intervals["service_level"] >= targets - 1e-12).all()
    care = next(role for role in milan.settings.staffing.roles if role.name == "customer_care_agent")
    care_intervals = intervals[intervals["role"] == care.name]
    peak = care_intervals["offered_load_erlangs"].max()
    # Each interval is staffed for the Poisson count it stays at or below with probability 0.8, or for
    # its expected count where that is larger.
    assert care.service_level_probability == 0.8
    expected_counts = care_intervals["arrivals_per_hour"] / 2
    sized_counts = np.maximum(poisson.ppf(0.8, expected_counts), expected_counts)
    assert (care_intervals["sized_arrivals_per_hour"] / 2).tolist() == sized_counts.tolist()
    sized_peak = care_intervals["sized_arrivals_per_hour"].max() * care.handle_time_seconds / 3600
    needed = agents_for_service_level_fractional(sized_peak, care.handle_time_seconds, care.answer_time_seconds,
                                                 care.service_level_target, care.max_occupancy)
    care_staffing = staffing[staffing["role"] == care.name]
    assert care_staffing["required_staff"].max() == int(np.ceil(needed / (1 - milan.settings.staffing.shrinkage)))
    assert care_staffing["expected_load"].max() == pytest.approx(peak)
    assert pd.Series(care_staffing["date"]).nunique() == 8
