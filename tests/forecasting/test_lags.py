"""Same-hour lookups on the local clock across daylight-saving changes."""

import numpy as np
import pandas as pd

from planner.forecasting.lags import lagged_rows

PARIS = "Europe/Paris"


def test_lagged_rows_after_autumn_change():
    # 2024-10-27 has 25 hours in Paris: 02:00 comes twice.
    index = pd.date_range(pd.Timestamp("2024-10-21", tz=PARIS), pd.Timestamp("2024-11-04", tz=PARIS), freq="h",
                          inclusive="left")
    rows = lagged_rows(index, 7)
    monday_after = index.get_indexer([pd.Timestamp("2024-10-28 09:00", tz=PARIS)])[0]
    monday_before = index.get_indexer([pd.Timestamp("2024-10-21 09:00", tz=PARIS)])[0]

    assert len(index) == 14 * 24 + 1
    assert rows[monday_after] == monday_before
    assert monday_after - monday_before == 169


def test_lagged_rows_repeated_hour_maps_to_first():
    index = pd.date_range(pd.Timestamp("2024-10-20", tz=PARIS), pd.Timestamp("2024-11-04", tz=PARIS), freq="h",
                          inclusive="left")
    rows = lagged_rows(index, -7)
    first, second = np.flatnonzero((index.tz_localize(None) == pd.Timestamp("2024-10-27 02:00")))
    sunday_before = index.get_indexer([pd.Timestamp("2024-10-20 02:00", tz=PARIS)])[0]

    assert rows[sunday_before] == first
    assert second == first + 1


def test_lagged_rows_skipped_spring_hour():
    # 2024-03-31 has no 02:00 in Paris, so the hour a week later has no twin.
    index = pd.date_range(pd.Timestamp("2024-03-30", tz=PARIS), pd.Timestamp("2024-04-08", tz=PARIS), freq="h",
                          inclusive="left")
    rows = lagged_rows(index, 7)
    week_later = index.get_indexer([pd.Timestamp("2024-04-07 02:00", tz=PARIS)])[0]

    assert rows[week_later] == -1
