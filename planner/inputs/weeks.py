"""ISO weeks in a dataset's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from planner.messages import translatable

_WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    """One ISO week: from Monday 00:00 to the next Monday 00:00, local time.

    A week that holds a daylight-saving change has 167 or 169 hours.
    """

    year: int
    number: int
    timezone: ZoneInfo

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def start(self) -> pd.Timestamp:
        monday = date.fromisocalendar(self.year, self.number, 1)
        return pd.Timestamp(datetime(monday.year, monday.month, monday.day), tz=self.timezone)

    @property
    def end(self) -> pd.Timestamp:
        monday = date.fromisocalendar(self.year, self.number, 1) + timedelta(days=7)
        return pd.Timestamp(datetime(monday.year, monday.month, monday.day), tz=self.timezone)

    def hours(self) -> pd.DatetimeIndex:
        """Return the start of every hour of the week, tz-aware."""
        return pd.date_range(self.start, self.end, freq="h", inclusive="left")

    def previous(self, weeks: int = 1) -> Week:
        """Return the ISO week ``weeks`` weeks before this one."""
        monday = date.fromisocalendar(self.year, self.number, 1) - timedelta(days=7 * weeks)
        iso = monday.isocalendar()
        return Week(iso.year, iso.week, self.timezone)

    def following(self, weeks: int = 1) -> Week:
        """Return the ISO week ``weeks`` weeks after this one."""
        return self.previous(-weeks)

    def __str__(self) -> str:
        return self.label


def parse_week(text: str, timezone: ZoneInfo) -> Week:
    """Parse an ISO week such as ``2005-W33``.

    Raises
    ------
    ValueError
        If the text is not of the form ``YYYY-Www`` or the week does not exist.
    """
    match = _WEEK_PATTERN.match(text.strip())
    if not match:
        raise ValueError(translatable("invalid week {text!r}; expected an ISO week such as 2005-W33", text=text))
    year, number = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(translatable("invalid week {text!r}: {year:d} has no ISO week {number:d}", text=text,
                                      year=year, number=number)) from None
    return Week(year, number, timezone)


def week_of(timestamp: pd.Timestamp) -> Week:
    """Return the ISO week that holds ``timestamp``, in its own time zone."""
    iso = timestamp.isocalendar()
    return Week(iso.year, iso.week, timestamp.tzinfo)


def resolve_week(text: str, dataset) -> Week:
    """Return the week a user asked for: an ISO week, or ``next`` for the week after the latest data.

    ``dataset`` is anything with ``timezone`` and ``last_hour`` attributes,
    such as a ``Dataset``.
    """
    if text.strip().lower() == "next":
        last = dataset.last_hour.tz_convert(dataset.timezone)
        return week_of(last).following()
    return parse_week(text, dataset.timezone)
