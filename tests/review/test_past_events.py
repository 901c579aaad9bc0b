"""The steps of the past-events notebook on the bundled San Siro data."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.inputs import load_dataset
from planner.review import (
    ATTENDANCE_FIT_COLUMNS,
    attendance_fits,
    event_traffic_windows,
    fit_attendance_uplift,
    past_event_weeks,
    review_past_events,
)
from tests.conftest import BUNDLED_DATA


@pytest.fixture(scope="module")
def san_siro():
    return load_dataset(BUNDLED_DATA / "san-siro")


@pytest.fixture(scope="module")
def past(san_siro):
    return review_past_events(san_siro, max_weeks=2)


def test_past_event_weeks_skip_warm_up(san_siro):
    assert [week.label for week in past_event_weeks(san_siro, max_weeks=10)] == ["2013-W46", "2013-W47", "2013-W48"]
    assert [week.label for week in past_event_weeks(san_siro, max_weeks=10, warm_up_weeks=0)] == [
        "2013-W44", "2013-W45", "2013-W46", "2013-W47", "2013-W48"]
    assert past_event_weeks(san_siro, max_weeks=0) == []


def test_review_past_events_latest_weeks(past):
    assert [review.plan.week.label for review in past.reviews] == ["2013-W47", "2013-W48"]
    assert sorted(set(past.events["event_id"])) == ["san-siro-2013-11-23", "san-siro-2013-12-01"]
    assert len(past.events) == 4
    ratios = past.events.set_index(["event_id", "measure"])["actual_peak_uplift_ratio"]
    assert ratios[("san-siro-2013-11-23", "internet")] > 4.0
    assert ratios[("san-siro-2013-11-23", "calls_sms")] > 4.0
    # The data's clock has drifted the 1 December response (08:00 to 12:00) hours before its scheduled
    # 15:00 kick-off. The plan places the match there, and the review scores the hours the plan marked.
    assert ratios[("san-siro-2013-12-01", "internet")] > 4.0
    assert ratios[("san-siro-2013-12-01", "calls_sms")] > 4.0


def test_event_traffic_windows_around_event(past):
    review = past.reviews[-1]
    windows = event_traffic_windows(review, margin_hours=6)
    row = review.events[review.events["measure"] == "internet"].iloc[0]
    window = windows[(row.event_id, "internet")]

    assert list(window.columns) == ["baseline", "actual"]
    assert window.index[0] == row.start - pd.Timedelta(hours=6)
    assert window.index[-1] <= row.end + pd.Timedelta(hours=6)
    forecast = review.plan.forecast
    marked = forecast[(forecast["measure"] == "internet") & (forecast["event_id"] == row.event_id)]["timestamp"]
    scored = window.loc[window.index.isin(set(marked)), "actual"]
    assert scored.max() == pytest.approx(row.actual_peak)


def test_attendance_fits_per_measure(past):
    fits = attendance_fits(past.events)

    assert list(fits.columns) == list(ATTENDANCE_FIT_COLUMNS)
    assert list(fits["measure"]) == ["calls_sms", "internet"]
    assert list(fits["events"]) == [2, 2]
    internet = past.events[past.events["measure"] == "internet"]
    slope, intercept, _ = fit_attendance_uplift(internet)
    assert fits.loc[fits["measure"] == "internet", "slope"].iloc[0] == pytest.approx(slope)
    assert fits.loc[fits["measure"] == "internet", "intercept"].iloc[0] == pytest.approx(intercept)


def test_attendance_fits_exact_line():
    # Synthetic: uplift ratio - 1 = 1e-5 x attendance + 0.5 exactly, for two measures.
    attendance = [20000.0, 40000.0, 60000.0]
    events = pd.DataFrame({"measure": ["calls"] * 3 + ["data"] * 3, "attendance": attendance * 2,
                           "actual_peak_uplift_ratio": [1.5 + 1e-5 * value for value in attendance] * 2})

    fits = attendance_fits(events)

    assert fits["slope"].tolist() == pytest.approx([1e-5, 1e-5])
    assert fits["intercept"].tolist() == pytest.approx([0.5, 0.5])
    assert fits["r_squared"].tolist() == pytest.approx([1.0, 1.0])
