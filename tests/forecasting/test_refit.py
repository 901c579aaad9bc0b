"""A fit again with timing offsets refits only the cells the offsets change, with the same result as a whole refit.

On the bundled Paris 2023 data set: a real calendar of marches from the Place
de la République over a synthetic cell grid.
"""

from __future__ import annotations

import numpy as np

from planner.forecasting.model import EventForecaster, _hours_by_cells
from planner.inputs import load_dataset
from planner.inputs.weeks import parse_week
from tests.conftest import BUNDLED_DATA

BASELINE_ARRAYS = ("in_sample", "level", "growth", "error_quantiles", "error_spread", "band_ceiling", "level_shift")


def test_refit_with_offsets_matches_whole_fit(monkeypatch):
    dataset = load_dataset(BUNDLED_DATA / "paris-2023")
    week = parse_week("2023-W15", dataset.timezone)
    forecaster = EventForecaster(learn_timing=False).fit(dataset, week.start)
    measure = dataset.settings.measure_names[0]
    first = forecaster.measures_[measure]
    observed = _hours_by_cells(dataset.traffic, measure, first.index, first.cells)
    marches = forecaster.past_events_[forecaster.past_events_["venue_id"] == "republique"]["event_id"]
    offsets = {event_id: -2.0 for event_id in marches}
    fitted_cells = []
    fit_baseline = forecaster._fit_baseline

    def recorded(observed_part, *arguments):
        fitted_cells.append(observed_part.shape[1])
        return fit_baseline(observed_part, *arguments)

    monkeypatch.setattr(forecaster, "_fit_baseline", recorded)
    whole = forecaster._fit_with_offsets(observed, first.index, first.cells, offsets, measure)
    partial = forecaster._fit_with_offsets(observed, first.index, first.cells, offsets, measure, previous=first)

    assert len(marches) > 2
    assert not first.baseline.pooled_errors
    assert fitted_cells[0] == len(first.cells)
    assert 0 < fitted_cells[1] < len(first.cells)
    np.testing.assert_array_equal(partial.clean, whole.clean)
    for name in BASELINE_ARRAYS:
        np.testing.assert_array_equal(getattr(partial.baseline, name), getattr(whole.baseline, name), err_msg=name)
    assert not np.array_equal(whole.baseline.in_sample, first.baseline.in_sample)
