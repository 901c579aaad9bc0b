"""Venue profiles and event uplifts held on the cells within a venue's reach only.

On the bundled Paris 2023 data set: a real calendar of marches from the
Place de la République over a synthetic cell grid. The marches' routes are
left out, so each one is forecast at its venue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.forecasting.footprint import distance_to_venue_m, venue_footprint
from planner.forecasting.model import EventForecaster
from planner.inputs import load_dataset
from planner.inputs.weeks import parse_week
from tests.conftest import BUNDLED_DATA

VENUE = "republique"
EVENT = "paris-protest-2023-04-13"
NO_ROUTES = pd.DataFrame(columns=["event_id", "sequence", "latitude", "longitude", "time"])


@pytest.fixture(scope="module")
def paris():
    dataset = load_dataset(BUNDLED_DATA / "paris-2023")
    return dataset, parse_week("2023-W15", dataset.timezone)


def cells_within(dataset, reach_m: float) -> np.ndarray:
    cells = list(dataset.cells["cell_id"])
    return np.flatnonzero(distance_to_venue_m(dataset, VENUE, cells, to_polygons=False) <= reach_m)


def uplifted_cells(table: pd.DataFrame) -> set[str]:
    return set(table.loc[table["p50"] != table["baseline"], "cell_id"])


@pytest.mark.parametrize("reach_m", [3000.0, 1000.0], ids=["default", "narrow"])
def test_venue_profile_spans_reach_columns(paris, reach_m):
    dataset, week = paris
    fit = EventForecaster(venue_reach_m=reach_m).fit(dataset, week.start).measures_["internet"]
    within = cells_within(dataset, reach_m)
    assert 0 < len(within) < len(dataset.cells)
    for kind in ("demonstration", "*"):
        profile = fit.profiles[("venue", VENUE, kind)]
        np.testing.assert_array_equal(profile.columns, within)
        assert profile.beta.shape == profile.sigma.shape == (len(profile.positions), len(within))
        assert profile.affected.shape == (len(within),)
        assert profile.affected.any()


@pytest.mark.parametrize("reach_m", [3000.0, 1000.0], ids=["default", "narrow"])
def test_venue_uplift_lands_within_reach(paris, reach_m):
    dataset, week = paris
    forecaster = EventForecaster(venue_reach_m=reach_m).fit(dataset, week.start)
    result = forecaster.predict(week.start, week.end, routes=NO_ROUTES)
    reach_cells = set(dataset.cells["cell_id"].iloc[cells_within(dataset, reach_m)])
    raised = uplifted_cells(result.table)
    marked = set(result.table.loc[result.table["event_id"].str.contains(EVENT), "cell_id"])
    summary = result.events.set_index("event_id").loc[EVENT]

    assert summary["pooling"] == "venue"
    assert raised and raised <= reach_cells
    assert marked == raised
    assert summary["cells_affected"] == len(marked)
    assert summary["peak_cell_id"] in raised


def test_borrowed_uplift_lands_on_footprint(paris):
    # Place de la Nation has no past event: its march borrows the demonstrations' effect and spreads it over
    # the cells of the kind's footprint, and only over them.
    dataset, week = paris
    event = dataset.events[dataset.events["event_id"] == EVENT].assign(event_id="march-at-nation", venue_id="nation")
    result = EventForecaster().fit(dataset, week.start).predict(week.start, week.end, events=event, routes=NO_ROUTES)
    cells = list(dataset.cells["cell_id"])
    weights, _ = venue_footprint(dataset, "nation", "demonstration", cells)
    footprint = {cell for cell, weight in zip(cells, weights) if weight > 0}
    summary = result.events.set_index("event_id").loc["march-at-nation"]

    assert summary["pooling"] == "kind"
    assert summary["learned_events"] == 11
    assert summary["learned_at_venue"] == 0
    assert 0 < len(footprint) < len(cells)
    assert uplifted_cells(result.table) == footprint
    assert set(result.table.loc[result.table["event_id"] == "march-at-nation", "cell_id"]) == footprint
    assert summary["cells_affected"] == len(footprint)


def test_moving_event_counts_venue_sources(paris):
    # The march of 13 April moves along its route from its venue, so it takes the travelling profile of the
    # eleven earlier marches, which all started there.
    dataset, week = paris
    result = EventForecaster().fit(dataset, week.start).predict(week.start, week.end)
    summary = result.events.set_index("event_id").loc[EVENT]

    assert summary["pooling"] == "venue"
    assert summary["learned_from"] == "11 events: paris-protest-2023-01-19 ... paris-protest-2023-04-06"
    assert summary["learned_events"] == 11
    assert summary["learned_at_venue"] == 11


def test_past_events_blanked_within_reach(paris):
    dataset, week = paris
    fit = EventForecaster().fit(dataset, week.start).measures_["internet"]
    calendar = dataset.events
    past = calendar[(calendar["venue_id"] == VENUE) & (calendar["start"] < week.start)]
    assert len(past) >= 3
    within = cells_within(dataset, 3000.0)
    beyond = np.setdiff1d(np.arange(len(dataset.cells)), within)
    assert list(fit.cells) == list(dataset.cells["cell_id"])
    observed = dataset.traffic_matrix("internet").reindex(index=fit.index, columns=fit.cells).to_numpy(float)
    for event in past.itertuples(index=False):
        row = fit.index.get_loc(event.start.floor("h"))
        others = calendar[(calendar["start"] <= event.start) & (calendar["end"] > event.start)
                          & (calendar["event_id"] != event.event_id)]
        assert others.empty, f"{event.event_id} overlaps {list(others['event_id'])}"
        assert np.isnan(fit.clean[row, within]).all()
        # Beyond the venue's reach the hour stays in the baseline wherever the cell had traffic.
        assert (~np.isnan(observed[row, beyond])).any()
        np.testing.assert_array_equal(np.isnan(fit.clean[row, beyond]), np.isnan(observed[row, beyond]))
