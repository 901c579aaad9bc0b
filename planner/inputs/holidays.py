"""Public holidays as area-wide events, from the ``holidays`` package."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import holidays as holidays_package
import numpy as np
import pandas as pd

from planner.messages import translatable

HOLIDAY_COLUMNS: tuple[str, ...] = ("event_id", "name", "kind", "venue_id", "start", "end", "expected_attendance",
                                    "attendance_low", "attendance_high", "source")


def holiday_events(country: str, subdivision: str, start: date | datetime | pd.Timestamp,
                   end: date | datetime | pd.Timestamp, timezone: ZoneInfo) -> pd.DataFrame:
    """Return one event per public holiday of a country from ``start`` to ``end``, both dates included.

    Parameters
    ----------
    country : str
        ISO 3166-1 alpha-2 code such as ``"FR"``; ``""`` returns no events.
    subdivision : str
        ISO 3166-2 subdivision code as the ``holidays`` package spells it
        (``"CA"`` for California); ``""`` for the national holidays only.
    start, end : date, datetime or Timestamp
        The span; a timestamp counts by its date in ``timezone``.
    timezone : ZoneInfo
        The dataset time zone.

    Returns
    -------
    DataFrame
        The columns of ``Dataset.events``: ``event_id`` = ``holiday-YYYY-MM-DD``,
        the holiday's name from the package in the country's own language
        (names joined by ``"; "`` when two holidays fall on one day), ``kind`` = ``"holiday"``, ``venue_id`` = ``""``,
        ``start`` = local midnight, ``end`` = the next local midnight (23 or 25
        hours later on a daylight-saving day), NaN attendance and ``source`` =
        ``"holidays"``.

    Raises
    ------
    ValueError
        If the package does not know the country or the subdivision.
    """
    first, last = _local_date(start, timezone), _local_date(end, timezone)
    if not country or last < first:
        return _frame([], timezone)
    try:
        # Without a language the package names holidays after the machine's locale (LANG), so the same data gave
        # "New Year's Day" on one machine and "Jour de l'an" on another. The country's own language is stable.
        language = holidays_package.country_holidays(country, subdiv=subdivision or None).default_language
        calendar = holidays_package.country_holidays(country, subdiv=subdivision or None,
                                                     years=range(first.year, last.year + 1), language=language)
    except NotImplementedError as error:
        raise ValueError(translatable("the holidays package has no calendar for country {country!r}, subdivision "
                                      "{subdivision!r} ({error}); use an ISO 3166-1 alpha-2 country code such as "
                                      "\"FR\" (\"\" for no holidays) and a subdivision code that the package "
                                      "lists, or \"\"", country=country, subdivision=subdivision,
                                      error=str(error))) from None
    rows = []
    for day, name in sorted(calendar.items()):
        if first <= day <= last:
            rows.append({"day": day, "name": name})
    return _frame(rows, timezone)


def _local_date(moment: date | datetime | pd.Timestamp, timezone: ZoneInfo) -> date:
    if isinstance(moment, datetime):
        stamp = pd.Timestamp(moment)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert(timezone)
        return stamp.date()
    return moment


def _frame(rows: list[dict], timezone: ZoneInfo) -> pd.DataFrame:
    days = pd.DatetimeIndex([pd.Timestamp(row["day"]) for row in rows], dtype="datetime64[us]")
    # NOTE: in a zone whose clocks change at midnight, that midnight does not exist and the
    # event starts at the first valid time after it.
    starts = days.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    ends = (days + pd.Timedelta(days=1)).tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    frame = pd.DataFrame({
        "event_id": pd.Series([f"holiday-{row['day'].isoformat()}" for row in rows], dtype=str),
        "name": pd.Series([row["name"] for row in rows], dtype=str),
        "kind": "holiday",
        "venue_id": "",
        "start": starts,
        "end": ends,
        "expected_attendance": np.nan,
        "attendance_low": np.nan,
        "attendance_high": np.nan,
        "source": "holidays",
    })
    return frame[list(HOLIDAY_COLUMNS)]
