"""Timing offsets: a response that drifts away from the scheduled times (synthetic data)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from planner.forecasting.model import EventForecaster
from planner.forecasting.timing import duration_text, estimate_timing
from planner.inputs.weeks import parse_week
from planner.reporting.i18n import render_message
from tests.forecasting.synthetic import TIMEZONE, match_events, synthetic_dataset

EXCESS = {0: 40.0, 1: 150.0, 2: 60.0}

# Saturday matches scheduled at 20:00 in weeks 2 to 9; the data's clock drifts one hour earlier each week.
SCHEDULED = [f"2024-01-{day:02d} 20:00" for day in (13, 20, 27)] + ["2024-02-03 20:00", "2024-02-10 20:00"]
DRIFT_HOURS = [0, -1, -2, -3, -4]


def drifting_dataset():
    observed_starts = [pd.Timestamp(stamp) + pd.Timedelta(hours=drift) for stamp, drift in zip(SCHEDULED, DRIFT_HOURS)]
    observed = match_events([f"{stamp:%Y-%m-%d %H:%M}" for stamp in observed_starts], [40000.0] * 5)
    dataset = synthetic_dataset(observed, EXCESS, weeks=6, noise=0.01)
    return dataclasses.replace(dataset, events=match_events(SCHEDULED, [40000.0] * 5))


def test_timing_drift_is_learned():
    dataset = drifting_dataset()
    origin = pd.Timestamp("2024-02-05", tz=TIMEZONE)
    forecaster = EventForecaster().fit(dataset, origin)

    timing = forecaster.measures_["load"].timings["stadium"]
    assert timing.drift_hours_per_day == pytest.approx(-1 / 7, abs=0.02)
    assert timing.offset_for(pd.Timestamp("2024-02-10 20:00", tz=TIMEZONE)) - timing.offset_for(
        pd.Timestamp("2024-02-03 20:00", tz=TIMEZONE)) == pytest.approx(-1.0, abs=0.15)


def test_timing_places_peak_where_drift_leads():
    dataset = drifting_dataset()
    week = parse_week("2024-W06", TIMEZONE)
    result = EventForecaster().fit(dataset, week.start).predict(week.start, week.end)
    saturday = result.table.set_index("timestamp")["p50"]
    uplift = saturday - result.table.set_index("timestamp")["baseline"]

    # Scheduled 20:00 and drifted 4 hours early, the largest excess (one hour after the start) is at 17:00.
    assert uplift.idxmax() == pd.Timestamp("2024-02-10 17:00", tz=TIMEZONE)
    assert any("this one is placed 2 h 30 min earlier than scheduled, following a drift of 8.6 min earlier each day"
               in note for note in result.notes)


def test_timing_ignores_scattered_offsets():
    grid_positions = np.arange(-7.5, 10.5, 1.0)
    generator = np.random.default_rng(3)
    series = []
    for jitter in (0.0, 1.0, -1.0, 0.0, 1.0, -1.0):
        curve = 100.0 * np.exp(-0.5 * ((grid_positions - 1.5 - jitter) / 0.7) ** 2)
        series.append(curve + generator.normal(0, 1.0, len(curve)))
    starts = list(pd.date_range("2024-01-06", periods=6, freq="7D", tz=TIMEZONE))

    model = estimate_timing(series, [grid_positions] * 6, starts, [f"e{index}" for index in range(6)])
    assert model is None


def two_events(lag_hours: float):
    """Synthetic: two identical responses a week apart, the second ``lag_hours`` hours late."""
    grid_positions = np.arange(-7.5, 10.5, 1.0)
    series = [100.0 * np.exp(-0.5 * ((grid_positions - 1.5 - lag) / 0.7) ** 2) for lag in (0.0, lag_hours)]
    starts = list(pd.date_range("2024-01-06 20:00", periods=2, freq="7D", tz=TIMEZONE))
    return estimate_timing(series, [grid_positions] * 2, starts, ["first", "second"])


def test_timing_drift_from_two_events():
    model = two_events(-1.5)
    assert model.drift_hours_per_day == pytest.approx(-1.5 / 7)
    assert model.offsets_hours == pytest.approx({"first": 0.75, "second": -0.75})
    # A week after the second event the response is expected another 1.5 hours earlier.
    assert model.offset_for(pd.Timestamp("2024-01-20 20:00", tz=TIMEZONE)) == pytest.approx(-2.25)


def test_timing_two_events_small_lag():
    assert two_events(-0.5) is None


def test_timing_describe_words_direction():
    model = two_events(-1.5)
    scheduled = pd.Timestamp("2024-01-20 20:00", tz=TIMEZONE)

    assert str(model.describe(scheduled)) == ("2 h 15 min earlier than scheduled, following a drift of 12.9 min "
                                              "earlier each day")
    assert str(model.describe(scheduled, scheduled=False)) == ("2 h 15 min earlier, following a drift of 12.9 min "
                                                               "earlier each day")
    assert str(two_events(1.5).describe(scheduled)) == ("2 h 15 min later than scheduled, following a drift of "
                                                        "12.9 min later each day")
    assert render_message(model.describe(scheduled), "fr") == ("2 h 15 min plus tôt que prévu, selon une dérive de "
                                                               "12,9 min plus tôt chaque jour")


def test_duration_text_hours_and_minutes():
    assert duration_text(197) == "3 h 17 min"
    assert duration_text(180) == "3 h"
    assert duration_text(45) == "45 min"
    assert duration_text(0) == "0 min"
