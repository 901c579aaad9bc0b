"""Event actions on the bundled San Siro week 2013-W48, where the match's uplift starts before its kick-off."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.decisions.plan import plan_week
from planner.inputs import load_dataset
from planner.inputs.weeks import resolve_week
from planner.reporting import summary

SAN_SIRO = Path(__file__).resolve().parents[2] / "data" / "san-siro"
MATCH_ID = "san-siro-2013-12-01"


@pytest.fixture(scope="module")
def match_week_plan():
    dataset = load_dataset(SAN_SIRO)
    return plan_week(dataset, resolve_week("2013-W48", dataset))


def test_early_uplift_hours_belong_to_match(match_week_plan):
    capacity = match_week_plan.capacity
    at_risk = capacity[capacity["action"].isin(["add", "watch"])]

    # The clock drift places the match's response hours before its 15:00 kick-off, and the calls start rising
    # at 09:00, an hour before the match's scoring window.
    assert set(at_risk["event_id"]) == {MATCH_ID}
    early = at_risk[(at_risk["measure"] == "calls_sms")]["timestamp"].min()
    assert early == pd.Timestamp("2013-12-01 09:00", tz="Europe/Rome")


def test_match_action_due_at_first_risk(match_week_plan):
    actions = summary.capacity_actions(match_week_plan)

    assert sorted(actions["measure"]) == ["calls_sms", "internet"]
    assert set(actions["event_id"]) == {MATCH_ID}
    deadlines = actions.set_index("measure")["deadline"]
    assert deadlines["calls_sms"] == pd.Timestamp("2013-12-01 09:00", tz="Europe/Rome")
    assert deadlines["internet"] == pd.Timestamp("2013-12-01 10:00", tz="Europe/Rome")
    start = match_week_plan.events.set_index("event_id").loc[MATCH_ID, "start"].iloc[0]
    assert (deadlines <= start).all()
