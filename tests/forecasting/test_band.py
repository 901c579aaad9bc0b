"""The p10-p90 band of the baseline, on synthetic series with known errors."""

import logging

import numpy as np
import pandas as pd
import pytest

from planner.forecasting.baseline import band_scale, hour_of_day_spread, relative_error_quantiles
from planner.forecasting.model import EventForecaster
from planner.forecasting.uplift import Z_90, PastEvent, learn_profile, predictive_factor
from planner.reporting.i18n import render_message
from tests.forecasting.synthetic import TIMEZONE, match_events, synthetic_dataset


def test_hour_spread_against_cell_mean():
    # Synthetic: two days of a flat estimate of 100; errors of 30 at 08:00 and 10 at every other hour.
    hour_of_day = np.tile(np.arange(24), 2)
    estimate = np.full((48, 1), 100.0)
    actual = estimate + np.where(hour_of_day == 8, 30.0, 10.0)[:, None] * np.tile([1.0, -1.0], 24)[:, None]
    overall = (2 * 0.3 + 46 * 0.1) / 48
    spread = hour_of_day_spread(actual, estimate, hour_of_day, prior_hours=0.0)
    assert spread[8, 0] == pytest.approx(0.3 / overall)
    assert spread[9, 0] == pytest.approx(0.1 / overall)
    # With a prior of 2 hours, each hour's mean error is halfway to the cell's.
    shrunk = hour_of_day_spread(actual, estimate, hour_of_day, prior_hours=2.0)
    assert shrunk[8, 0] == pytest.approx((0.3 + overall) / 2 / overall)


def test_short_history_band_from_day_to_day_change():
    # Synthetic: the same daily pattern every day and a 10-hour event each day, so that only 21 of the
    # 72 hours before the origin are event-free. The day-to-day change is zero, so the band is too.
    events = match_events(["2024-01-01 12:00", "2024-01-02 12:00", "2024-01-03 12:00"], [40000.0] * 3,
                          duration_hours=10.0)
    dataset = synthetic_dataset(events, {}, weeks=1)
    origin = pd.Timestamp("2024-01-04 00:00", tz=TIMEZONE)
    forecaster = EventForecaster().fit(dataset, origin)
    table = forecaster.predict(origin, origin + pd.Timedelta(hours=8), events=events.iloc[:0]).table
    assert (table["p90"] - table["p10"]).abs().max() == pytest.approx(0.0, abs=1e-9)


def test_band_scale_covers_a_held_out_week():
    # Synthetic: one cell, two weeks of a flat estimate of 100. In week 0 the errors are +-10 %, in week 1
    # +-20 %, alternating sign. Week 1 needs the band of week 0 (+-10 %) doubled. Week 0 needs the band
    # of week 1 at half its width. The 0.8 quantile of those needed scales (half 0.5, half 2) is 2.
    estimate = np.full((336, 1), 100.0)
    sign = np.tile([1.0, -1.0], 168)[:, None]
    size = np.where(np.arange(336) < 168, 10.0, 20.0)[:, None]
    actual = estimate + sign * size
    weeks = np.arange(336) // 168
    scale = band_scale(actual, estimate, np.ones_like(estimate), weeks, (0.1, 0.5, 0.9))
    assert scale == pytest.approx([2.0])
    assert band_scale(actual[:168], estimate[:168], np.ones((168, 1)), weeks[:168], (0.1, 0.5, 0.9)) == [1.0]


def two_point_events(count: int) -> list[PastEvent]:
    """Synthetic: ``count`` past events at one cell and one hour, half with an excess of +1, half of -1."""
    return [PastEvent(f"e{index}", "match", "stadium", np.nan, np.array([0.5]),
                      np.array([[1.0 if index % 2 else -1.0]])) for index in range(count)]


def test_event_spread_scaled_to_cover_its_residuals():
    # 20 events of +-1: the event-to-event standard deviation is sqrt(20 / 19), and a band of
    # +-Z_90 sd would cover all of them. Scaled to the residuals' own p10-p90, it is exactly +-1.
    # Then, as for any profile, it is widened for predicting a new event from 20 past ones.
    profile = learn_profile(two_point_events(20), {})
    assert profile.sigma[0, 0] == pytest.approx(predictive_factor(20) / Z_90)
    # Too few events to measure the shape of their spread: the standard deviation is kept.
    assert learn_profile(two_point_events(6), {}).sigma[0, 0] == pytest.approx(np.sqrt(6 / 5) * predictive_factor(6))


@pytest.mark.parametrize(("events", "t_90"), [(2, 3.0777), (4, 1.6377), (10, 1.3830)])
def test_predictive_factor_follows_student_t(events, t_90):
    # Student's t quantiles at 0.9 from printed tables, for 1, 3 and 9 degrees of freedom.
    assert predictive_factor(events) == pytest.approx(t_90 * np.sqrt(1 + 1 / events) / Z_90, rel=1e-4)


def test_band_ceiling_after_one_odd_week():
    # Synthetic: six weeks of a daily pattern, the fourth at three times its level. The error sample (the last
    # four weeks) then contains errors of +200 %, which would put p90 far above anything the cell ever carried.
    events = match_events([], [])
    dataset = synthetic_dataset(events, {}, weeks=6)
    traffic = dataset.traffic
    odd_week = (traffic["timestamp"] >= pd.Timestamp("2024-01-22", tz=TIMEZONE)) & (
        traffic["timestamp"] < pd.Timestamp("2024-01-29", tz=TIMEZONE))
    traffic.loc[odd_week, "load"] *= 3
    origin = pd.Timestamp("2024-02-12 00:00", tz=TIMEZONE)

    table = EventForecaster().fit(dataset, origin).predict(origin, origin + pd.Timedelta(days=7)).table

    record = traffic.loc[traffic["timestamp"] >= origin - pd.Timedelta(weeks=4), "load"].max()
    assert table["p90"].max() == pytest.approx(1.5 * record)
    assert (table["p90"] >= table["p50"]).all()


def test_short_error_sample_fixed_band(caplog):
    # Synthetic: ten hours of two cells, fewer than the 48 a measured band needs, even pooled.
    actual, estimate = np.full((10, 2), 100.0), np.full((10, 2), 90.0)
    with caplog.at_level(logging.WARNING, logger="planner.forecasting.baseline"):
        band = relative_error_quantiles(actual, estimate, (0.1, 0.5, 0.9))
    np.testing.assert_allclose(band, [[-0.3, -0.3], [0.0, 0.0], [0.3, 0.3]])
    assert render_message(caplog.records[-1].msg, "fr") == (
        "trop peu d’historique sans événement pour mesurer les erreurs de prévision\u202f; la bande est fixée à ±30 %")
