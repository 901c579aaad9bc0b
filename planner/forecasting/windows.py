"""Event windows on the hourly grid, and the position of each hour in its event.

An event's effect is described hour by hour relative to two anchors: the
hours up to the middle of the event are counted from the hour that holds its
start, the later hours from the hour that holds its end. A crowd arrives
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
    positions : ndarray of int
        For each row, its position in the event: ``k`` for the k-th hour
        after the hour holding the start (negative before it), or
        ``END_ANCHOR + k`` for the k-th hour after the hour holding the end.
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
    return EventWindow(rows=rows.astype(np.int64), positions=_positions(hours, start_hour, end_hour))


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


def _positions(hours: pd.DatetimeIndex, start_hour: pd.Timestamp, end_hour: pd.Timestamp) -> np.ndarray:
    from_start = np.round((hours - start_hour) / HOUR).astype(np.int64)
    from_end = np.round((hours - end_hour) / HOUR).astype(np.int64)
    half_duration = int(round((end_hour - start_hour) / HOUR)) // 2
    return np.where(from_start <= half_duration, from_start, END_ANCHOR + from_end)
