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

from planner.inputs.timestamps import floor_hour

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
    start_hour = floor_hour(start)
    end_hour = floor_hour(end)
    first = start_hour - hours_before * HOUR
    last = end_hour + hours_after * HOUR
    hours = pd.date_range(first, last, freq="h")
    rows = index.get_indexer(hours)
    inside = rows >= 0
    hours, rows = hours[inside], rows[inside]
    return EventWindow(rows=rows.astype(np.int64), positions=_positions(hours, start))


def occurrences(start: pd.Timestamp, end: pd.Timestamp) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Split a multi-day event into its daily occurrences.

    An event longer than 24 hours (a festival written as one row from its
    first day's start to its last day's end) runs each local day from the
    start's time of day to the end's time of day, crossing midnight when the
    end's time of day is not after the start's. A shorter event is one
    occurrence.
    """
    if end - start <= pd.Timedelta(hours=24):
        return [(start, end)]
    daily = end.replace(year=start.year, month=start.month, day=start.day) - start
    if daily <= pd.Timedelta(0):
        daily += pd.Timedelta(days=1)
    result = []
    day = 0
    while True:
        # Whole local days keep the wall-clock start time across a daylight-saving change.
        local = (start.tz_localize(None) + pd.Timedelta(days=day)).tz_localize(start.tz, nonexistent="shift_forward",
                                                                               ambiguous=True)
        if local >= end:
            break
        result.append((local, min(local + daily, end)))
        day += 1
    return result


def occurrence_window(start: pd.Timestamp, end: pd.Timestamp, index: pd.DatetimeIndex, *, hours_before: int,
                      hours_after: int) -> EventWindow:
    """Return the window of every daily occurrence of an event (see ``occurrences``), joined in time order.

    Each occurrence's positions are measured from its own start; an hour
    covered by two occurrences' windows is kept once, in the later one.
    """
    windows = [event_window(first, last, index, hours_before=hours_before, hours_after=hours_after)
               for first, last in occurrences(start, end)]
    if len(windows) == 1:
        return windows[0]
    rows = np.concatenate([window.rows for window in windows])
    positions = np.concatenate([window.positions for window in windows])
    _, last_seen = np.unique(rows[::-1], return_index=True)
    keep = np.sort(len(rows) - 1 - last_seen)
    return EventWindow(rows=rows[keep], positions=positions[keep])


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


def time_of_day_known(event) -> bool:
    """Return whether a calendar row gives the event's time of day (``time_known``; missing or NaN: known).

    An event written with dates only in ``events.csv`` runs from midnight to
    midnight, and its window does not tell when the crowd comes.
    """
    value = getattr(event, "time_known", True)
    return bool(value) if pd.notna(value) else True
