"""Per-event actions with their margin, and voice channels by Erlang B, on synthetic cells."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from planner.decisions.actions import EVENT_ACTION_COLUMNS, VOICE_COLUMNS, plan_event_actions, plan_voice_channels
from planner.decisions.capacity import plan_capacity
from planner.decisions.erlang import erlang_b
from planner.inputs.settings import CapacitySettings, Measure

from .conftest import make_settings
from .test_capacity import CARRIER_SETTINGS, synthetic_forecast


def test_event_actions_exact_units_and_margin():
    # Synthetic: capacity 1000 calls, threshold 0.8, temporary carrier 300 calls. A p90 of 1500
    # needs ceil((1500 / 0.8 − 1000) / 300) = 3 carriers, leaving 1500 / 1900 = 0.789 utilisation.
    forecast = pd.concat([
        synthetic_forecast("c1", "calls", [1500.0, 850.0, 100.0], ["E1", "E1;E2", "E1"]),
        synthetic_forecast("c2", "calls", [750.0], ["E2"]),
    ])
    cells = pd.DataFrame({"cell_id": ["c1", "c2"], "utilisation_threshold": 0.8, "capacity_calls": 1000.0})

    actions = plan_event_actions(plan_capacity(forecast, cells, CARRIER_SETTINGS), CARRIER_SETTINGS)

    assert tuple(actions.columns) == EVENT_ACTION_COLUMNS
    assert actions[["event_id", "cell_id", "action"]].values.tolist() == [
        ["E1", "c1", "add"], ["E2", "c1", "add"], ["E2", "c2", "watch"]]
    first = actions.iloc[0]
    assert first["extra_units"] == 3
    assert first["extra_unit_name"] == "temporary carrier"
    assert first["utilisation_after_action"] == pytest.approx(1500 / 1900)
    assert first["margin_after_action"] == pytest.approx(0.8 - 1500 / 1900)
    # E2 peaks at 850 on c1: one carrier gives 850 / 1300.
    assert actions.iloc[1]["extra_units"] == 1
    assert actions.iloc[1]["margin_after_action"] == pytest.approx(0.8 - 850 / 1300)
    assert actions.iloc[2]["margin_after_action"] == pytest.approx(0.8 - 0.75)


def test_event_actions_follow_their_own_event():
    # Synthetic: event A only reaches watch (750), event B needs a carrier (950). Sorted by utilisation B
    # comes first, sorted by id A does: each event must keep its own action.
    forecast = pd.concat([
        synthetic_forecast("c1", "calls", [750.0], ["A"]),
        synthetic_forecast("c2", "calls", [950.0], ["B"]),
    ])
    cells = pd.DataFrame({"cell_id": ["c1", "c2"], "utilisation_threshold": 0.8, "capacity_calls": 1000.0})

    actions = plan_event_actions(plan_capacity(forecast, cells, CARRIER_SETTINGS), CARRIER_SETTINGS)

    by_event = actions.set_index("event_id")
    assert by_event.loc["A", "action"] == "watch"
    assert by_event.loc["A", "extra_units"] == 0
    assert by_event.loc["B", "action"] == "add"
    assert by_event.loc["B", "extra_units"] == 1


def test_event_actions_empty_without_risk():
    forecast = synthetic_forecast("c1", "calls", [100.0], ["E1"])
    cells = pd.DataFrame({"cell_id": ["c1"], "utilisation_threshold": 0.8, "capacity_calls": 1000.0})

    actions = plan_event_actions(plan_capacity(forecast, cells, CARRIER_SETTINGS), CARRIER_SETTINGS)

    assert actions.empty
    assert tuple(actions.columns) == EVENT_ACTION_COLUMNS


def voice_settings(grade_of_service: float = 0.01):
    settings = make_settings(CapacitySettings(grade_of_service=grade_of_service))
    return dataclasses.replace(settings, measures=(Measure("voice", "Erlangs", "rate"),
                                                   Measure("data_mb", "MB", "volume")))


def test_voice_channels_by_erlang_b():
    # Synthetic: 25 Erlangs at the busy hour need 36 channels at 1 % blocking (B(36) = 0.0080,
    # B(35) = 0.0114); c1 has 30 channels installed, c2 has 40.
    forecast = pd.concat([synthetic_forecast("c1", "voice", [10.0, 25.0, 20.0], ["", "E1", "E1"]),
                          synthetic_forecast("c2", "voice", [25.0], ["E1"]),
                          synthetic_forecast("c1", "data_mb", [900.0], [""])])
    cells = pd.DataFrame({"cell_id": ["c1", "c2"], "capacity_voice": [24.0, 32.0],
                          "channels_voice": [30, 40], "capacity_data_mb": 1000.0})

    voice = plan_voice_channels(forecast, cells, voice_settings())

    assert tuple(voice.columns) == VOICE_COLUMNS
    assert voice["cell_id"].tolist() == ["c1", "c2"]
    assert voice["channels_needed"].tolist() == [36, 36]
    assert erlang_b(36, 25.0) <= 0.01 < erlang_b(35, 25.0)
    assert voice["channels_installed"].tolist() == [30.0, 40.0]
    assert voice["extra_channels"].tolist() == [6, 0]
    assert voice["blocking_at_installed"].iloc[0] == pytest.approx(erlang_b(30, 25.0))
    assert voice["busy_hour"].iloc[0] == forecast["timestamp"].iloc[1]


def test_voice_channels_capacity_column_fallback():
    forecast = synthetic_forecast("c1", "voice", [25.0], ["E1"])
    cells = pd.DataFrame({"cell_id": ["c1"], "capacity_voice": [36.0]})

    voice = plan_voice_channels(forecast, cells, voice_settings(0.05))

    assert voice["channels_installed"].tolist() == [36.0]
    assert voice["channels_needed"].tolist() == [31]
    assert voice["extra_channels"].tolist() == [0]


def test_voice_channels_none_without_erlang_measure():
    forecast = synthetic_forecast("c1", "calls", [25.0], ["E1"])

    assert plan_voice_channels(forecast, pd.DataFrame({"cell_id": ["c1"]}), CARRIER_SETTINGS).empty
