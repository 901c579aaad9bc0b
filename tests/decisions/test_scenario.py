"""Scenarios: events replaced or added without editing the calendar, and the plans compared."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.decisions.scenario import apply_scenario, compare_plans, plan_scenario
from planner.inputs import load_dataset
from planner.inputs.tables import read_events
from planner.inputs.weeks import resolve_week
from tests.conftest import BUNDLED_DATA

TIMEZONE = "Europe/Paris"


def _event(event_id: str, day: str, attendance: float) -> dict:
    start = pd.Timestamp(day, tz=TIMEZONE)
    return {"event_id": event_id, "name": event_id, "kind": "match", "venue_id": "stadium", "start": start,
            "end": start + pd.Timedelta(hours=2), "expected_attendance": attendance, "attendance_low": np.nan,
            "attendance_high": np.nan, "source": "calendar"}


def test_apply_scenario_replaces_and_adds():
    # Synthetic calendar of two matches; the scenario moves one and adds a demonstration.
    calendar = pd.DataFrame([_event("match-a", "2024-03-02 20:00", 40000), _event("match-b", "2024-03-09 20:00",
                                                                                  30000)])
    scenario = pd.DataFrame([_event("match-a", "2024-03-03 15:00", 80000), _event("march", "2024-03-05 14:00",
                                                                                  5000)])
    events, changes = apply_scenario(calendar, scenario)
    assert list(events["event_id"]) == ["match-a", "march", "match-b"]
    moved = events.set_index("event_id").loc["match-a"]
    assert moved["start"] == pd.Timestamp("2024-03-03 15:00", tz=TIMEZONE)
    assert moved["expected_attendance"] == 80000
    assert moved["source"] == "scenario"
    assert dict(zip(changes["event_id"], changes["change"])) == {"match-a": "replaced", "march": "added"}
    assert len(calendar) == 2


@pytest.fixture(scope="module")
def paris_scenario():
    dataset = load_dataset(BUNDLED_DATA / "paris-2023")
    scenario, _ = read_events(dataset.path / "scenarios" / "unannounced-march.csv", dataset.settings, dataset.venues)
    week = resolve_week("2023-W12", dataset)
    return plan_scenario(dataset, week, scenario)


def test_scenario_larger_crowd_more_uplift(paris_scenario):
    without, with_scenario, _ = paris_scenario
    event_id = "paris-protest-2023-03-23"
    before = without.events.set_index("event_id").loc[event_id]
    after = with_scenario.events.set_index("event_id").loc[event_id]
    assert after["attendance_high"] == 2 * before["attendance_high"]
    assert after["peak_uplift_ratio"] > before["peak_uplift_ratio"]


def test_compare_plans_side_by_side(paris_scenario):
    without, with_scenario, changes = paris_scenario
    table = compare_plans(without, with_scenario).set_index(["indicator", "role"])
    assert table.loc[("events", ""), "without_scenario"] == 1
    assert table.loc[("events", ""), "with_scenario"] == 2
    assert table.loc[("add_cell_hours", ""), "change"] == (
        (with_scenario.capacity["action"] == "add").sum() - (without.capacity["action"] == "add").sum())
    roles = {role for indicator, role in table.index if indicator == "staff_shifts"}
    assert roles == {"customer_care_agent", "supervision_engineer"}
    assert set(changes["change"]) == {"replaced", "added"}
