"""Event windows on the hourly grid, around the Europe/Paris change of time."""

import pandas as pd

from planner.forecasting.windows import event_window
from planner.inputs.timestamps import floor_hours

TIMEZONE = "Europe/Paris"
# 29 October 2023 has 25 hours: 02:00 occurs first at +02:00, then at +01:00.
AUTUMN_DAY = pd.date_range(pd.Timestamp("2023-10-29", tz=TIMEZONE), periods=25, freq="h")


def test_window_starts_in_first_repeated_hour():
    start = pd.Timestamp("2023-10-29T02:15:00+02:00").tz_convert(TIMEZONE)
    end = pd.Timestamp("2023-10-29T04:00:00+01:00").tz_convert(TIMEZONE)
    window = event_window(start, end, AUTUMN_DAY, hours_before=1, hours_after=0)
    assert list(AUTUMN_DAY[window.rows].strftime("%H:%M%z")) == ["01:00+0200", "02:00+0200", "02:00+0100",
                                                                 "03:00+0100", "04:00+0100"]


def test_window_starts_in_second_repeated_hour():
    start = pd.Timestamp("2023-10-29T02:30:00+01:00").tz_convert(TIMEZONE)
    window = event_window(start, start + pd.Timedelta(minutes=20), AUTUMN_DAY, hours_before=0, hours_after=0)
    assert list(AUTUMN_DAY[window.rows].strftime("%H:%M%z")) == ["02:00+0100"]


def test_floor_hours_keeps_each_repeated_hour():
    times = pd.Series(pd.to_datetime(["2023-10-29T02:10:00+02:00", "2023-10-29T02:50:00+01:00"],
                                     utc=True).tz_convert(TIMEZONE))
    assert list(floor_hours(times).dt.strftime("%H:%M%z")) == ["02:00+0200", "02:00+0100"]
