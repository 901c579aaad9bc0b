"""Event windows on the hourly grid, and the position of each hour in its event.

An event's effect is described hour by hour relative to two anchors: the
hours up to the middle of the event are placed by the time from its start to
the middle of the hour, the later hours by the time from its end. A crowd arrives
around kick-off and leaves around the final whistle, so anchoring both ends
keeps the arrival and the departure peaks in place when events last longer
or shorter than the ones learned from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

END_ANCHOR = 1000
"""Offset added to the position of hours counted from the end anchor."""

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
        of that hour (negative before the start), or ``END_ANCHOR`` plus the
        time from the event's end, for the hours past the middle of the event.
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
    return EventWindow(rows=rows.astype(np.int64), positions=_positions(hours, start, end))


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


def _positions(hours: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    middle = hours + HOUR / 2
    from_start = np.asarray((middle - start) / HOUR, dtype=float)
    from_end = np.asarray((middle - end) / HOUR, dtype=float)
    half_duration = (end - start) / HOUR / 2
    return np.where(from_start <= half_duration, from_start, END_ANCHOR + from_end)
