"""Same-hour lookups on the local wall clock, across daylight-saving changes.

"The same hour last week" means the same local clock time seven days earlier,
which is 167, 168 or 169 absolute hours back when a daylight-saving change
falls in between. These helpers map each hour of a tz-aware hourly index to
the row that holds its local-clock twin ``days`` days before or after.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def lagged_rows(index: pd.DatetimeIndex, days: int) -> np.ndarray:
    """Return, for each hour of ``index``, the row of the same local time ``days`` days earlier.

    Parameters
    ----------
    index : DatetimeIndex
        Tz-aware, hourly, sorted.
    days : int
        Positive to look back, negative to look ahead.

    Returns
    -------
    ndarray of int
        Row numbers into ``index``; -1 where the twin hour is outside the index
        or does not exist on the local clock (the skipped spring hour). In the
        repeated autumn hour, both occurrences map to the first one.
    """
    wall_clock = index.tz_localize(None)
    # np.unique returns the first row of each wall-clock time, so the repeated autumn hour maps to its first occurrence.
    unique_values, first_row = np.unique(wall_clock.to_numpy(), return_index=True)
    unique_clock = pd.DatetimeIndex(unique_values)
    targets = wall_clock - pd.Timedelta(days=days)
    positions = unique_clock.get_indexer(targets)
    rows = np.where(positions >= 0, first_row[np.maximum(positions, 0)], -1)
    return rows.astype(np.int64)


def take_rows(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return ``values[rows]`` with NaN where ``rows`` is -1."""
    taken = values[np.maximum(rows, 0)].astype(float)
    taken[rows < 0] = np.nan
    return taken


def local_index(index: pd.DatetimeIndex, timezone) -> pd.DatetimeIndex:
    """Return ``index`` converted to ``timezone`` (kept tz-aware)."""
    return index.tz_convert(timezone)
