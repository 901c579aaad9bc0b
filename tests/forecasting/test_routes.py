"""Moving events: a route loads each cell in order at the right hours (synthetic grid)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from planner.forecasting.model import EventForecaster
from planner.forecasting.past_events import learn_at_venue_cell
from planner.forecasting.routes import march_length_m, route_cell_weights, route_schedule
from planner.inputs import load_dataset
from planner.inputs.settings import RouteSettings
from planner.inputs.weeks import parse_week
from tests.conftest import BUNDLED_DATA
from tests.forecasting.grid import LATITUDE, east_of, grid_dataset, north_of, planned_event
from tests.forecasting.synthetic import TIMEZONE

PLAN_START = pd.Timestamp("2024-02-26", tz=TIMEZONE)
DEPARTURE = PLAN_START + pd.Timedelta(days=1, hours=14)


def _route(event_id: str, offsets_m: list[float], times: list[pd.Timestamp] | None) -> pd.DataFrame:
    return pd.DataFrame({"event_id": event_id, "sequence": range(1, len(offsets_m) + 1), "latitude": LATITUDE,
                         "longitude": [east_of(offset) for offset in offsets_m],
                         "time": times if times is not None else pd.NaT})


def _cells(offsets_m: list[float], latitude: float = LATITUDE) -> pd.DataFrame:
    return pd.DataFrame({"cell_id": [f"cell-{index}" for index in range(len(offsets_m))], "latitude": latitude,
                         "longitude": [east_of(offset) for offset in offsets_m]})


def test_march_length_from_crowd():
    assert march_length_m(30000, RouteSettings(density_people_per_m2=1.5, street_width_m=20)) == 1000.0
    assert march_length_m(np.nan, RouteSettings()) == 0.0


def test_schedule_from_speed():
    route = _route("walk", [0.0, 900.0, 1800.0], None)
    schedule = route_schedule(route, DEPARTURE, RouteSettings(speed_m_per_s=0.5))
    assert schedule.length_m == pytest.approx(1800.0, rel=1e-3)
    assert abs(schedule.times[-1] - (DEPARTURE + pd.Timedelta(hours=1))) < pd.Timedelta(seconds=1)


def test_schedule_follows_moved_event():
    hours = [DEPARTURE + pd.Timedelta(hours=step) for step in range(2)]
    route = _route("walk", [0.0, 1000.0], hours)
    schedule = route_schedule(route, DEPARTURE + pd.Timedelta(days=2), RouteSettings())
    assert schedule.times[0] == DEPARTURE + pd.Timedelta(days=2)


def test_route_loads_cells_in_order():
    # One kilometre per hour from 14:00; a short march (300 people, 10 m) and a 300 m footprint.
    offsets = [0.0, 1000.0, 2000.0, 3000.0]
    times = [DEPARTURE + pd.Timedelta(hours=step) for step in range(4)]
    schedule = route_schedule(_route("march", offsets, times), DEPARTURE, RouteSettings())
    hours = pd.date_range(DEPARTURE - pd.Timedelta(hours=2), periods=8, freq="h")
    cells = pd.concat([_cells(offsets), _cells([1000.0], latitude=north_of(2000.0)).assign(cell_id="far")])
    weights = route_cell_weights(schedule, DEPARTURE, DEPARTURE + pd.Timedelta(hours=3.5),
                                 march_length_m(300, RouteSettings()), hours, cells, None, 300.0)
    busiest_hour = [hours[int(np.argmax(weights[:, column]))] for column in range(4)]
    assert busiest_hour == [DEPARTURE + pd.Timedelta(hours=step) for step in range(4)]
    assert weights[:, 4].max() == 0.0
    # Nothing before the start or after the end.
    assert weights[:2].max() == 0.0
    assert weights[-1].max() == 0.0
    assert weights.max() <= 1.0


def test_long_march_spreads_over_cells():
    # A 2 km march whose head walks from 2 km to 3 km in the hour covers all four cells in that hour.
    offsets = [0.0, 1000.0, 2000.0, 3000.0]
    times = [DEPARTURE + pd.Timedelta(hours=10 + step) for step in range(4)]
    schedule = route_schedule(_route("march", offsets, times), DEPARTURE + pd.Timedelta(hours=10),
                              RouteSettings())
    hours = pd.DatetimeIndex([DEPARTURE + pd.Timedelta(hours=12)])
    weights = route_cell_weights(schedule, DEPARTURE, DEPARTURE + pd.Timedelta(hours=20), 2000.0, hours,
                                 _cells(offsets), None, 300.0)
    assert (weights[0] > 0.0).all()
    assert weights[0, 1] == pytest.approx(weights[0, 2], rel=0.05)


def test_forecast_follows_route_hours():
    # Route cells 1-4 lie 5-8 km east of the stadium, whose past matches give the effect of a crowd.
    offsets = [0.0, 5000.0, 6000.0, 7000.0, 8000.0]
    times = [DEPARTURE + pd.Timedelta(hours=step) for step in range(4)]
    route = _route("march", offsets[1:], times)
    march = planned_event("march", "demonstration", "", DEPARTURE, 3.5, attendance=300.0)
    dataset = grid_dataset(offsets, planned=pd.DataFrame([march]), routes=route)
    forecaster = EventForecaster().fit(dataset, PLAN_START)
    result = forecaster.predict(PLAN_START, PLAN_START + pd.Timedelta(days=7))
    table = result.table.assign(uplift=lambda frame: frame["p50"] - frame["baseline"])
    for step, cell_id in enumerate(["cell-1", "cell-2", "cell-3", "cell-4"]):
        cell = table[table["cell_id"] == cell_id].set_index("timestamp")["uplift"]
        assert cell.idxmax() == DEPARTURE + pd.Timedelta(hours=step)
        assert cell.max() > 0.0
    stadium = table[table["cell_id"] == "cell-0"]
    assert stadium.loc[stadium["timestamp"].dt.day_of_week == 1, "uplift"].abs().max() == 0.0
    assert result.events.loc[result.events["event_id"] == "march", "cells_affected"].item() == 4
    marked = table[table["event_id"].str.contains("march")]
    assert set(marked["cell_id"]) == {"cell-1", "cell-2", "cell-3", "cell-4"}


def test_route_range_widens_quantiles():
    offsets = [0.0, 5000.0, 6000.0]
    times = [DEPARTURE, DEPARTURE + pd.Timedelta(hours=1)]
    spreads = []
    for low, high in ((300.0, 300.0), (100.0, 500.0)):
        march = planned_event("march", "demonstration", "", DEPARTURE, 2, attendance=np.nan, low=low, high=high)
        dataset = grid_dataset(offsets, planned=pd.DataFrame([march]), routes=_route("march", offsets[1:], times))
        table = EventForecaster().fit(dataset, PLAN_START).predict(PLAN_START, PLAN_START + pd.Timedelta(days=7)).table
        row = table[(table["cell_id"] == "cell-1") & (table["timestamp"] == DEPARTURE)].iloc[0]
        spreads.append(row["p90"] - row["p10"])
    assert spreads[1] > spreads[0]


def test_march_learns_from_its_venue_first():
    # The bundled Paris calendar: every march starts at the Place de la République, the only venue.
    dataset = load_dataset(BUNDLED_DATA / "paris-2023")
    week = parse_week("2023-W12", dataset.timezone)
    forecaster = EventForecaster().fit(dataset, week.start)
    result = forecaster.predict(week.start, week.end)
    marches = result.events[result.events["event_id"].isin(dataset.routes["event_id"])]
    assert len(marches) > 0
    assert (marches["pooling"] == "venue").all()
    assert (marches["learned_at_venue"] == marches["learned_events"]).all()

    # With one venue, the venue's events at its most responsive cell are the kind's travelling profile.
    fit = forecaster.measures_["internet"]
    own = learn_at_venue_cell(fit.groups[("venue", "republique", "demonstration")],
                              fit.profiles[("venue", "republique", "*")])
    np.testing.assert_array_equal(own.beta, fit.profiles[("kind", "demonstration")].beta)
    # Events of the same kind elsewhere (here, a kind profile five times as strong) leave the marches alone.
    for measure_fit in forecaster.measures_.values():
        kind = measure_fit.profiles[("kind", "demonstration")]
        measure_fit.profiles[("kind", "demonstration")] = replace(kind, beta=5 * kind.beta)
    pd.testing.assert_frame_equal(forecaster.predict(week.start, week.end).table, result.table)
