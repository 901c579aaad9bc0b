"""Clock drift of a whole data feed: the daily pattern slides earlier day after day (synthetic data)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from planner.forecasting.baseline import seasonal_profile
from planner.forecasting.clock_drift import (ClockDrift, estimate_clock_drift, feed_clock_drift, pooled_from_sums,
                                            pooled_sums, pooled_traffic, read_shifted)
from planner.forecasting.model import EventForecaster
from planner.inputs import InputError, load_dataset
from planner.inputs.settings import ForecastSettings, load_settings
from tests.conftest import BUNDLED_DATA
from tests.forecasting.synthetic import TIMEZONE, match_events, synthetic_dataset

DRIFT_HOURS_PER_DAY = -1 / 6
"""Ten minutes earlier every day, as on the San Siro data."""

WEEKS = 8


def peaked_day(hour_of_day: np.ndarray) -> np.ndarray:
    """Return a daily pattern with a morning shoulder and an evening peak, by fractional local hour."""
    evening = np.exp(-0.5 * (((hour_of_day - 20.0 + 12.0) % 24.0 - 12.0) / 2.0) ** 2)
    morning = np.exp(-0.5 * (((hour_of_day - 9.0 + 12.0) % 24.0 - 12.0) / 2.5) ** 2)
    return 20.0 + 100.0 * evening + 40.0 * morning


def drifting_traffic(hours: pd.DatetimeIndex, drift_hours_per_day: float, *, noise: float = 0.0,
                     seed: int = 0) -> np.ndarray:
    """Return the peaked pattern moved by ``drift_hours_per_day`` each day, each hour's value at its middle."""
    elapsed = (hours - hours[0]) / pd.Timedelta(hours=1) + 0.5
    # A pattern that comes earlier each day (a negative drift) reaches each phase at an earlier clock time.
    clock = (elapsed - drift_hours_per_day * elapsed / 24.0) % 24.0
    values = peaked_day(np.asarray(clock, dtype=float))
    return values * (1 + noise * np.random.default_rng(seed).standard_normal(len(hours)))


def drifting_dataset(drift_hours_per_day: float, *, noise: float = 0.02):
    """Return the one-cell synthetic dataset with no events and the drifting traffic."""
    dataset = synthetic_dataset(match_events([], []), {}, weeks=WEEKS + 1)
    traffic = dataset.traffic.copy()
    traffic["load"] = drifting_traffic(pd.DatetimeIndex(traffic["timestamp"]), drift_hours_per_day, noise=noise)
    return dataclasses.replace(dataset, traffic=traffic)


def origin_of(dataset) -> pd.Timestamp:
    return dataset.first_hour + pd.Timedelta(weeks=WEEKS)


def test_drift_measured_on_synthetic_feed():
    dataset = drifting_dataset(DRIFT_HOURS_PER_DAY)
    origin = origin_of(dataset)

    drift = feed_clock_drift(dataset, origin, dataset.events, hours_before=3, hours_after=4)

    assert drift is not None
    assert drift.hours_per_day == pytest.approx(DRIFT_HOURS_PER_DAY, abs=0.01)
    assert drift.r_squared >= 0.95
    assert drift.improvement >= 0.5


def test_no_drift_on_steady_clock():
    dataset = drifting_dataset(0.0)

    assert feed_clock_drift(dataset, origin_of(dataset), dataset.events, hours_before=3, hours_after=4) is None


def test_scattered_day_offsets_not_a_drift():
    # Each day's pattern sits up to an hour and a half early or late at random: no steady drift.
    hours = pd.date_range(pd.Timestamp("2024-01-01", tz=TIMEZONE), periods=WEEKS * 168, freq="h")
    day_offsets = np.random.default_rng(5).uniform(-1.5, 1.5, WEEKS * 7)
    elapsed = np.arange(len(hours)) + 0.5
    values = peaked_day((elapsed - np.repeat(day_offsets, 24)) % 24.0)

    assert estimate_clock_drift([values], hours) is None


def test_too_short_history_gives_no_drift():
    hours = pd.date_range(pd.Timestamp("2024-01-01", tz=TIMEZONE), periods=10 * 24, freq="h")

    assert estimate_clock_drift([drifting_traffic(hours, DRIFT_HOURS_PER_DAY)], hours) is None


def test_corrected_baseline_recovers_shift():
    hours = pd.date_range(pd.Timestamp("2024-01-01", tz=TIMEZONE), periods=(WEEKS + 1) * 168, freq="h")
    truth = drifting_traffic(hours, DRIFT_HOURS_PER_DAY)
    clean = truth[:, None].copy()
    clean[WEEKS * 168:] = np.nan
    target = np.arange(WEEKS * 168, len(hours))
    drift = ClockDrift(hours_per_day=DRIFT_HOURS_PER_DAY, r_squared=1.0, improvement=1.0, pairs=WEEKS * 7)

    plain = seasonal_profile(clean, hours, target).values[:, 0]
    corrected = seasonal_profile(clean, hours, target, drift=drift).values[:, 0]

    plain_error = np.mean(np.abs(plain - truth[target]) / truth[target])
    corrected_error = np.mean(np.abs(corrected - truth[target]) / truth[target])
    # A week back the pattern sat 70 minutes later; the weighted mean of past weeks lags by hours without the drift.
    assert plain_error > 0.25
    assert corrected_error < 0.02
    # The evening peak of the planned days lands on the hour the drift leads to.
    assert hours[target][np.argmax(corrected[:24])] == hours[target][np.argmax(truth[target][:24])]


def test_forecaster_follows_drift_only_when_set():
    dataset = drifting_dataset(DRIFT_HOURS_PER_DAY)
    origin = origin_of(dataset)
    end = origin + pd.Timedelta(weeks=1)
    truth = drifting_traffic(pd.date_range(dataset.first_hour, end, freq="h", inclusive="left"),
                             DRIFT_HOURS_PER_DAY)[-168:]

    following = EventForecaster().fit(dataset, origin)
    ignoring_settings = dataclasses.replace(dataset.settings, forecast=ForecastSettings(follow_clock_drift=False))
    ignoring = EventForecaster().fit(dataclasses.replace(dataset, settings=ignoring_settings), origin)

    assert following.clock_drift_ is not None
    assert ignoring.clock_drift_ is None
    followed = following.predict(origin, end).table["baseline"].to_numpy()
    ignored = ignoring.predict(origin, end).table["baseline"].to_numpy()
    assert np.mean(np.abs(followed - truth)) < 0.5 * np.mean(np.abs(ignored - truth))
    assert "drifts by -9.9 min a day" in str(following.predict(origin, end).notes)
    assert not any("drifts by" in str(note) for note in ignoring.predict(origin, end).notes)


def test_steady_clock_leaves_forecast_unchanged():
    dataset = drifting_dataset(0.0)
    origin = origin_of(dataset)
    end = origin + pd.Timedelta(weeks=1)
    off = dataclasses.replace(dataset, settings=dataclasses.replace(
        dataset.settings, forecast=ForecastSettings(follow_clock_drift=False)))

    default = EventForecaster().fit(dataset, origin).predict(origin, end).table
    switched_off = EventForecaster().fit(off, origin).predict(origin, end).table

    pd.testing.assert_frame_equal(default, switched_off, check_exact=True)


def test_forecaster_takes_given_drift():
    dataset = drifting_dataset(DRIFT_HOURS_PER_DAY)
    origin = origin_of(dataset)
    given = ClockDrift(hours_per_day=-0.1, r_squared=0.9, improvement=0.5, pairs=20)
    off = dataclasses.replace(dataset, settings=dataclasses.replace(
        dataset.settings, forecast=ForecastSettings(follow_clock_drift=False)))

    assert EventForecaster(clock_drift=given).fit(off, origin).clock_drift_ == given
    assert EventForecaster(clock_drift=None).fit(dataset, origin).clock_drift_ is None
    assert EventForecaster(clock_drift="auto").fit(dataset, origin).clock_drift_ is not None
    with pytest.raises(ValueError, match="invalid clock_drift 'on'"):
        EventForecaster(clock_drift="on")


def test_pooled_sums_of_halves_match_whole():
    dataset = load_dataset(BUNDLED_DATA / "milan")
    origin = pd.Timestamp("2013-11-25", tz="Europe/Rome")
    index = pd.date_range(dataset.first_hour, origin, freq="h", inclusive="left")
    cells = list(dataset.cells["cell_id"])
    traffic = dataset.traffic
    # The second half's rows come first and in reverse order, so that no sum can depend on the row order.
    halves = [traffic[traffic["cell_id"].isin(cells[50:])].iloc[::-1], traffic[traffic["cell_id"].isin(cells[:50])]]
    own_index = [pd.date_range(half["timestamp"].min(), origin, freq="h", inclusive="left") for half in halves]

    whole = pooled_traffic(traffic, ["internet"], index)
    split = pooled_from_sums([pooled_sums(half, ["internet"], hours) for half, hours in zip(halves, own_index)],
                             index)

    assert len(whole) == len(split) == 1
    assert np.count_nonzero(np.isfinite(whole[0])) > 0.9 * len(index)
    assert np.array_equal(whole[0], split[0], equal_nan=True)
    # The level weighting makes the pooled series the network's traffic relative to its usual size.
    assert np.nanmean(whole[0]) == pytest.approx(1.0, abs=0.05)


def test_pooled_sums_outside_index_rejected():
    dataset = load_dataset(BUNDLED_DATA / "milan")
    origin = pd.Timestamp("2013-11-25", tz="Europe/Rome")
    index = pd.date_range(dataset.first_hour, origin, freq="h", inclusive="left")
    sums = pooled_sums(dataset.traffic, ["internet"], index)

    with pytest.raises(ValueError, match="not on the hours of"):
        pooled_from_sums([sums], index[24:])


def test_read_shifted_interpolates_between_hours():
    values = np.array([[0.0], [10.0], [20.0], [np.nan], [40.0]])
    rows = np.array([0, 1, 2, -1, 4])

    shifted = read_shifted(values, rows, 0.25)[:, 0]

    assert shifted[0] == pytest.approx(2.5)
    assert shifted[1] == pytest.approx(12.5)
    assert np.isnan(shifted[2])  # next to a NaN
    assert np.isnan(shifted[3])  # no row
    assert np.isnan(shifted[4])  # after the last row
    assert read_shifted(values, rows, -1.0)[1, 0] == 0.0
    assert np.isnan(read_shifted(values, rows, -1.0)[0, 0])


def test_follow_clock_drift_setting_checked(tmp_path):
    source = (BUNDLED_DATA / "dodgers" / "settings.toml").read_text(encoding="utf-8")
    path = tmp_path / "settings.toml"
    assert load_settings(BUNDLED_DATA / "dodgers" / "settings.toml").forecast.follow_clock_drift is True
    path.write_text(source + "\n[forecast]\nfollow_clock_drift = false\n", encoding="utf-8")
    assert load_settings(path).forecast.follow_clock_drift is False

    path.write_text(source + "\n[forecast]\nfollow_clock_drift = \"yes\"\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_settings(path)
    (problem,) = caught.value.problems
    assert problem.column == "forecast.follow_clock_drift"
    assert problem.value == "yes"
    assert "true or false" in str(problem.message)
