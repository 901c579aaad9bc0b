"""Event windows on the hourly grid, and the position of each hour in its event.

Each hour of an event's window is placed by the time from the event's start
to the middle of that hour, so that an event starting at 19:10 and one
starting at 20:00 line up by their start rather than by the clock hour. The
end enters through the event's duration: the uplift model learns mostly from
past events of a similar duration, which line up at both ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class EventWindow:
    """The hours of one event's window, as rows of an hourly index.

    Attributes
    ----------
    rows : ndarray of int
        Rows of the hourly index inside the window, in time order.
    positions : ndarray of float
        For each row, the time in hours from the event's start to the middle
        of that hour, negative before the start.
    """

    rows: np.ndarray
    positions: np.ndarray


def event_window(start: pd.Timestamp, end: pd.Timestamp, index: pd.DatetimeIndex, *,
                 hours_before: int, hours_after: int) -> EventWindow:
    """Return the rows of ``index`` from ``hours_before`` hours before the start to ``hours_after`` after the end.

    ``index`` must be an hourly, tz-aware, gap-free index; hours outside it are
    left out of the window.
    """
    start_hour = start.floor("h")
    end_hour = end.floor("h")
    first = start_hour - hours_before * HOUR
    last = end_hour + hours_after * HOUR
    hours = pd.date_range(first, last, freq="h")
    rows = index.get_indexer(hours)
    inside = rows >= 0
    hours, rows = hours[inside], rows[inside]
    return EventWindow(rows=rows.astype(np.int64), positions=_positions(hours, start))


def metric_window_mask(events: pd.DataFrame, index: pd.DatetimeIndex, *, hours_before: int = 1,
                       hours_after: int = 2) -> np.ndarray:
    """Return a boolean mask of the hours that overlap any event's scoring window.

    The scoring window runs from ``hours_before`` hours before the start to
    ``hours_after`` hours after the end; an hour counts when any part of it
    overlaps the window.
    """
    mask = np.zeros(len(index), dtype=bool)
    hour_start = index
    hour_end = index + HOUR
    for start, end in zip(events["start"], events["end"]):
        mask |= np.asarray((hour_end > start - hours_before * HOUR) & (hour_start < end + hours_after * HOUR))
    return mask


def _positions(hours: pd.DatetimeIndex, start: pd.Timestamp) -> np.ndarray:
    return np.asarray((hours + HOUR / 2 - start) / HOUR, dtype=float)
