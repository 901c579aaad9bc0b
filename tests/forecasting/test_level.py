"""The recent level shift carried into the forecast, on synthetic series with a known shift."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from planner.forecasting.baseline import hourly_level_shift, recent_level_shift, weekly_growth
from planner.forecasting.model import EventForecaster
from planner.inputs import InputError
from planner.inputs.settings import ForecastSettings, load_settings
from planner.inputs.weeks import parse_week
from tests.conftest import BUNDLED_DATA
from tests.forecasting.synthetic import TIMEZONE, daily_shape, match_events, synthetic_dataset


def test_level_shift_ratio_of_sums():
    # Synthetic: cell 0 carries twice its estimate, cell 1 half of it with one missing hour,
    # cell 2 has too few known hours, cell 3 ten times its estimate (clipped to 4).
    estimate = np.tile(np.arange(1.0, 25.0)[:, None], (1, 4))
    actual = estimate * np.array([2.0, 0.5, 1.0, 10.0])
    actual[3, 1] = np.nan
    actual[:15, 2] = np.nan
    shift = recent_level_shift(actual, estimate)
    assert shift == pytest.approx([np.log(2.0), np.log(0.5), 0.0, np.log(4.0)])


def test_hourly_shift_shrunk_towards_cell():
    # Synthetic: three days of a flat estimate of 1, and an actual of 2 at 18:00 and 1 elsewhere.
    # Over all 72 hours the ratio is 75 / 72. Hours 17 to 19 each see, over themselves and
    # their neighbours (9 hours), a ratio of 12 / 9, weighed 9 against the 3 hours of the prior.
    hour_of_day = np.tile(np.arange(24), 3)
    estimate = np.ones((72, 1))
    actual = np.where(hour_of_day == 18, 2.0, 1.0)[:, None]
    shifts = hourly_level_shift(actual, estimate, hour_of_day)
    whole = np.log(75 / 72)
    near = 0.75 * np.log(12 / 9) + 0.25 * whole
    assert shifts[[17, 18, 19], 0] == pytest.approx([near] * 3)
    far = 0.75 * np.log(9 / 9) + 0.25 * whole
    assert shifts[[0, 12, 16, 20], 0] == pytest.approx([far] * 4)


def test_hourly_shift_uniform_or_unusable():
    # Synthetic: cell 0 doubles at every hour; cell 1 has too few known hours for any shift.
    hour_of_day = np.tile(np.arange(24), 3)
    estimate = np.ones((72, 2))
    actual = np.column_stack([np.full(72, 2.0), np.where(np.arange(72) < 6, 5.0, np.nan)])
    shifts = hourly_level_shift(actual, estimate, hour_of_day)
    assert shifts[:, 0] == pytest.approx(np.full(24, np.log(2.0)))
    assert shifts[:, 1] == pytest.approx(np.zeros(24))


def doubled_last_days_dataset():
    """Synthetic: the daily pattern for ten weeks, with the three days before 2024-W10 at twice the level."""
    dataset = synthetic_dataset(match_events([], []), {})
    traffic = dataset.traffic.copy()
    origin = parse_week("2024-W10", TIMEZONE).start
    last_days = (traffic["timestamp"] >= origin - pd.Timedelta(days=3)) & (traffic["timestamp"] < origin)
    traffic.loc[last_days, "load"] *= 2.0
    return replace(dataset, traffic=traffic)


@pytest.mark.parametrize("decay_days", [3.0, 1.5])
def test_level_shift_fades_over_the_horizon(decay_days):
    dataset = doubled_last_days_dataset()
    week = parse_week("2024-W10", TIMEZONE)
    forecaster = EventForecaster(trend_damping=0.0, level_decay_days=decay_days).fit(dataset, week.start)
    monday = pd.date_range(week.start, periods=24, freq="h")
    table = forecaster.predict(week.start, week.start + pd.Timedelta(days=1)).table.set_index("timestamp")
    lead_days = np.arange(24) / 24.0
    expected = daily_shape(monday) * 2.0 ** np.exp(-lead_days / decay_days)
    assert table.loc[monday, "p50"].to_numpy() == pytest.approx(expected, rel=1e-9)


def test_evening_shift_reaches_evening_hours():
    # Synthetic: the three days before 2024-W10 carry twice the daily pattern from 18:00 to 20:00.
    # The span around 19:00 doubled whole, so its shift is 3/4 log 2 plus 1/4 of the cell's shift.
    # The span around 03:00 did not move, so its shift is 1/4 of the cell's shift only.
    dataset = synthetic_dataset(match_events([], []), {})
    traffic = dataset.traffic.copy()
    week = parse_week("2024-W10", TIMEZONE)
    local_hour = traffic["timestamp"].dt.tz_convert(TIMEZONE).dt.hour
    last_days = (traffic["timestamp"] >= week.start - pd.Timedelta(days=3)) & (traffic["timestamp"] < week.start)
    traffic.loc[last_days & local_hour.between(18, 20), "load"] *= 2.0
    dataset = replace(dataset, traffic=traffic)
    forecaster = EventForecaster(trend_damping=0.0, level_decay_days=3.0).fit(dataset, week.start)
    table = forecaster.predict(week.start, week.start + pd.Timedelta(days=1)).table.set_index("timestamp")

    day = pd.date_range(week.start, periods=24, freq="h")
    shape = daily_shape(day)
    whole = np.log((shape.sum() + shape[18:21].sum()) / shape.sum())
    fading = np.exp(-np.arange(24) / 24.0 / 3.0)
    evening = shape[19] * np.exp(fading[19] * (0.75 * np.log(2.0) + 0.25 * whole))
    night = shape[3] * np.exp(fading[3] * 0.25 * whole)
    assert table.loc[day[19], "p50"] == pytest.approx(evening, rel=1e-9)
    assert table.loc[day[3], "p50"] == pytest.approx(night, rel=1e-9)


def test_level_correction_off():
    dataset = doubled_last_days_dataset()
    week = parse_week("2024-W10", TIMEZONE)
    forecaster = EventForecaster(trend_damping=0.0, level_window_hours=0).fit(dataset, week.start)
    monday = pd.date_range(week.start, periods=24, freq="h")
    table = forecaster.predict(week.start, week.start + pd.Timedelta(days=1)).table.set_index("timestamp")
    assert table.loc[monday, "p50"].to_numpy() == pytest.approx(daily_shape(monday), rel=1e-9)


def test_weekly_growth_from_two_weeks():
    # Synthetic: a week at 100 then a week at 121; half the log ratio is the growth, 10 % a week.
    filled = np.concatenate([np.full((168, 1), 100.0), np.full((168, 1), 121.0)])
    index = pd.date_range("2024-01-01", periods=336, freq="h", tz=TIMEZONE)
    assert weekly_growth(filled, index, 336, damping=0.5) == pytest.approx([np.log(1.1)])
    assert weekly_growth(filled[168:], index[168:], 168) == pytest.approx([0.0])


def test_level_correction_from_the_dataset_settings():
    dataset = doubled_last_days_dataset()
    dataset = replace(dataset, settings=replace(dataset.settings, forecast=ForecastSettings(level_decay_days=1.5)))
    week = parse_week("2024-W10", TIMEZONE)
    forecaster = EventForecaster(trend_damping=0.0).fit(dataset, week.start)
    monday = pd.date_range(week.start, periods=24, freq="h")
    table = forecaster.predict(week.start, week.start + pd.Timedelta(days=1)).table.set_index("timestamp")
    expected = daily_shape(monday) * 2.0 ** np.exp(-(np.arange(24) / 24.0) / 1.5)
    assert table.loc[monday, "p50"].to_numpy() == pytest.approx(expected, rel=1e-9)


def test_forecast_settings_read_and_checked(tmp_path):
    source = (BUNDLED_DATA / "dodgers" / "settings.toml").read_text(encoding="utf-8")
    path = tmp_path / "settings.toml"
    path.write_text(source + "\n[forecast]\nlevel_window_hours = 48\nlevel_decay_days = 1.5\n", encoding="utf-8")
    assert load_settings(path).forecast == ForecastSettings(level_window_hours=48, level_decay_days=1.5)
    assert load_settings(BUNDLED_DATA / "dodgers" / "settings.toml").forecast == ForecastSettings(72, 3.0)

    path.write_text(source + "\n[forecast]\nlevel_window_hours = -1\nlevel_decay_days = \"long\"\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_settings(path)
    assert {problem.column for problem in caught.value.problems} == {"forecast.level_window_hours",
                                                                    "forecast.level_decay_days"}
