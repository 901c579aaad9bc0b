"""Venue footprints: the kernel's known answers and the spread of a borrowed effect over cells (synthetic)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.forecasting.footprint import kernel_weights
from planner.forecasting.model import EventForecaster
from tests.forecasting.grid import MATCH_EXCESS, grid_dataset, planned_event
from tests.forecasting.synthetic import TIMEZONE

PLAN_START = pd.Timestamp("2024-02-26", tz=TIMEZONE)
"""Monday after the eight weeks of synthetic history."""


def _forecast(cell_offsets_m, events, extra_venues, **forecaster_options):
    planned = pd.DataFrame(events)
    dataset = grid_dataset(cell_offsets_m, extra_venues=extra_venues, planned=planned)
    forecaster = EventForecaster(**forecaster_options).fit(dataset, PLAN_START)
    result = forecaster.predict(PLAN_START, PLAN_START + pd.Timedelta(days=7), planned)
    table = result.table.set_index(["cell_id", "timestamp"])
    return table, result


def _relative_uplift(table, cell_id, moment):
    row = table.loc[(cell_id, moment)]
    return (row["p50"] - row["baseline"]) / row["baseline"]


def test_kernel_weights_known_answers():
    weights = kernel_weights(np.array([0.0, 400.0, 800.0, 1200.0, np.nan]), 800.0)
    assert weights[0] == 1.0
    assert weights[1] == pytest.approx(0.75)
    assert weights[2] == 0.0
    assert weights[3] == 0.0
    assert weights[4] == 0.0


def test_kernel_weights_zero_radius():
    assert list(kernel_weights(np.array([0.0, 1.0]), 0.0)) == [1.0, 0.0]


def test_footprint_full_at_venue_none_beyond():
    # Cells: stadium, the new arena (5 km east), 400 m past the arena, 1200 m past it.
    offsets = [0.0, 5000.0, 5400.0, 6200.0]
    kick_off = PLAN_START + pd.Timedelta(days=2, hours=20)
    table, result = _forecast(offsets, [planned_event("arena-match", "match", "arena", kick_off, 2)],
                              {"arena": 5000.0})
    at_venue = _relative_uplift(table, "cell-1", kick_off)
    # The stadium cell's excess over its level at kick-off travels whole to the cell at the arena.
    stadium_level = table.loc[("cell-0", kick_off), "baseline"]
    assert at_venue == pytest.approx(MATCH_EXCESS / stadium_level, rel=0.05)
    assert _relative_uplift(table, "cell-2", kick_off) == pytest.approx(0.75 * at_venue, rel=1e-6)
    assert _relative_uplift(table, "cell-3", kick_off) == 0.0
    assert _relative_uplift(table, "cell-0", kick_off) == 0.0
    assert any("within 800 m" in note for note in result.notes)


def test_footprint_nearest_cell_when_none_within():
    offsets = [0.0, 3000.0]
    kick_off = PLAN_START + pd.Timedelta(days=2, hours=20)
    table, result = _forecast(offsets, [planned_event("arena-match", "match", "arena", kick_off, 2)],
                              {"arena": 4000.0})
    assert _relative_uplift(table, "cell-1", kick_off) > 0.2
    assert any("nearest cell cell-1" in note for note in result.notes)


def test_festival_loads_each_day():
    # Synthetic three-day festival written as one row: 14:00 on Wednesday to 23:00 on Friday.
    offsets = [0.0, 5000.0]
    opening = PLAN_START + pd.Timedelta(days=2, hours=14)
    festival = planned_event("festival", "festival", "arena", opening, 57)
    table, result = _forecast(offsets, [festival], {"arena": 5000.0})
    for day in range(3):
        assert _relative_uplift(table, "cell-1", opening + pd.Timedelta(days=day)) > 0.2
    # Between two days (05:00) the festival is closed.
    assert _relative_uplift(table, "cell-1", opening + pd.Timedelta(days=1, hours=-9)) == 0.0
    assert _relative_uplift(table, "cell-1", opening + pd.Timedelta(days=3)) == 0.0
    assert set(result.events["event_id"]) == {"festival"}


def test_recurring_events_each_loaded():
    offsets = [0.0, 5000.0]
    first = PLAN_START + pd.Timedelta(days=1, hours=20)
    second = PLAN_START + pd.Timedelta(days=4, hours=20)
    events = [planned_event("arena-tuesday", "match", "arena", first, 2),
              planned_event("arena-friday", "match", "arena", second, 2)]
    table, _ = _forecast(offsets, events, {"arena": 5000.0})
    assert _relative_uplift(table, "cell-1", first) == pytest.approx(_relative_uplift(table, "cell-1", second),
                                                                     rel=0.02)
    assert _relative_uplift(table, "cell-1", first) > 0.2
    assert _relative_uplift(table, "cell-1", first + pd.Timedelta(days=1)) == 0.0
