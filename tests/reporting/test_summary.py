"""Tests of the report's highlights on the synthetic plan."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from planner.reporting import summary
from tests.reporting.conftest import EVENT_START


def test_capacity_actions_add_before_event(make_plan):
    actions = summary.capacity_actions(make_plan())

    assert list(actions["action"]) == ["add"]
    action = actions.iloc[0]
    assert action["cell_id"] == "C1"
    assert action["event_id"] == "E1"
    assert action["event_name"] == "Milan v Inter"
    # The hour 20:00-21:00 holds the 20:45 start and is already at risk, so the action is due at 20:00.
    assert action["deadline"] == EVENT_START.floor("h")
    assert action["timestamp"] == pd.Timestamp("2013-08-14 20:00", tz="Europe/Paris")
    assert action["utilisation_p90"] == pytest.approx(0.99)
    # ceil((990 / 0.8 - 1000) / 300) = 1
    assert action["extra_units"] == 1
    assert action["hours"] == 3


def test_capacity_actions_split_joined_event_ids(make_plan):
    plan = make_plan()
    capacity = plan.capacity.copy()
    capacity.loc[capacity["event_id"] == "E1", "event_id"] = "E1;E2"
    actions = summary.capacity_actions(dataclasses.replace(plan, capacity=capacity))

    assert sorted(actions["event_id"]) == ["E1", "E2"]
    second = actions[actions["event_id"] == "E2"].iloc[0]
    assert second["event_name"] == ""
    assert second["deadline"] == pd.Timestamp("2013-08-14 20:00", tz="Europe/Paris")


def test_capacity_actions_outside_events(make_plan):
    plan = make_plan()
    capacity = plan.capacity.assign(event_id="")
    actions = summary.capacity_actions(dataclasses.replace(plan, capacity=capacity, events=plan.events.iloc[0:0]))

    assert list(actions["event_id"]) == [""]
    assert actions.loc[0, "event_name"] == ""
    assert actions.loc[0, "deadline"] == pd.Timestamp("2013-08-14 20:00", tz="Europe/Paris")


def test_week_events_ranked_by_risk(make_plan):
    plan = make_plan()
    quiet = plan.events.assign(event_id="E9", name="Quiet concert", kind="concert", peak_uplift_ratio=1.1)
    events = summary.week_events(dataclasses.replace(plan, events=pd.concat([quiet, plan.events])))

    assert list(events["event_id"]) == ["E1", "E9"]
    assert events.loc[0, "peak_utilisation_p90"] == pytest.approx(0.99)
    assert events.loc[0, "cells_add"] == 1
    # C1 has two hours to reinforce and one to watch during E1: it counts once, as a cell to reinforce.
    assert events.loc[0, "cells_watch"] == 0
    assert events.loc[1, "cells_add"] == 0


def test_week_events_watch_only_cell_counted(make_plan):
    plan = make_plan()
    capacity = plan.capacity.copy()
    # C2 gets one hour to watch during E1 and no hour to reinforce.
    second_cell = capacity.index[(capacity["cell_id"] == "C2") & (capacity["event_id"] == "E1")][0]
    capacity.loc[second_cell, "action"] = "watch"
    events = summary.week_events(dataclasses.replace(plan, capacity=capacity))

    assert events.loc[0, "cells_add"] == 1
    assert events.loc[0, "cells_watch"] == 1


def test_cells_at_risk_one_row_per_cell(make_plan):
    cells = summary.cells_at_risk(make_plan())

    assert list(cells["cell_id"]) == ["C1"]
    assert cells.loc[0, "action"] == "add"
    assert cells.loc[0, "max_extra_units"] == 1
    assert cells.loc[0, "event_ids"] == "E1"


def test_cells_by_uplift_largest_first(make_plan):
    cells = summary.cells_by_uplift(make_plan(with_risk=False))

    assert list(cells["cell_id"]) == ["C1"]
    assert cells.loc[0, "peak_uplift_ratio"] == pytest.approx(1.2)


def test_staffing_peaks_per_role(make_plan):
    peaks = summary.staffing_peaks(make_plan())

    assert list(peaks["role"]) == ["customer_care_agent", "supervision_engineer"]
    assert list(peaks["shift"]) == ["afternoon", "afternoon"]
    assert str(peaks.loc[0, "date"]) == "2013-08-14"
    # synthetic load 9.0 Erlangs: ceil((9.0 + 1.25) / 0.7) = 15
    assert list(peaks["required_staff"]) == [15, 15]


def test_forecast_error_exact_mae(make_plan):
    plan = make_plan(with_actuals=True)
    error = summary.forecast_error(plan)

    # The synthetic actual is 5 % above p50 everywhere.
    expected_mae = 0.05 * plan.forecast["p50"].mean()
    assert error.loc[0, "hours"] == 336
    assert error.loc[0, "mae"] == pytest.approx(expected_mae)
    assert error.loc[0, "relative_mae"] == pytest.approx(0.05 / 1.05)
    assert error.loc[0, "coverage_p10_p90"] == 1.0


def test_event_peaks_compare_window(make_plan):
    peaks = summary.event_peaks(make_plan(with_actuals=True))

    assert len(peaks) == 1
    row = peaks.iloc[0]
    assert row["peak_p50"] == pytest.approx(900.0)
    assert row["peak_actual"] == pytest.approx(945.0)
    assert row["peak_p90"] == pytest.approx(990.0)
    assert bool(row["within_p90"]) is True
    assert row["start"] == pd.Timestamp("2013-08-14 20:45", tz="Europe/Paris")
    assert bool(row["time_known"]) is True


def test_event_peaks_empty_without_actuals(make_plan):
    assert summary.event_peaks(make_plan()).empty
