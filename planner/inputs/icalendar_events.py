"""Read planned events from an iCalendar file (RFC 5545), such as a shared calendar's export.

The file is parsed with the ``icalendar`` package and recurrences are expanded
with ``recurring-ical-events``, which applies RRULE, RDATE, EXDATE and
modified occurrences (RECURRENCE-ID) as RFC 5545 defines them. Each VEVENT
occurrence becomes one event:

- ``event_id``: the UID; for an occurrence of a recurring event, the UID
  followed by the occurrence's local start, such as ``uid-20240406T2100``.
- ``name``: SUMMARY.
- ``kind``: ``X-PLANNER-KIND`` when present, which must be an event kind;
  otherwise the first value of CATEGORIES that is an event kind (case is
  ignored); otherwise ``other``, and a note counts those events.
- ``venue_id``: ``X-PLANNER-VENUE-ID`` when present, which must be a venue id;
  otherwise LOCATION when it equals a venue's id or name, or when the part
  before its first comma does (``Parc des Princes, 24 rue ...``); empty for
  an event without LOCATION (an area-wide event). A LOCATION that matches no
  venue is a problem.
- ``expected_attendance``, ``attendance_low``, ``attendance_high``:
  ``X-ATTENDANCE``, ``X-ATTENDANCE-LOW``, ``X-ATTENDANCE-HIGH``, plain numbers.
- ``start`` and ``end``: DTSTART and DTEND (or DTSTART + DURATION). A TZID is
  an IANA zone, a zone defined by the file's VTIMEZONE, or a Windows zone
  name such as ``Romance Standard Time``, which ``icalendar`` maps to
  ``Europe/Paris`` with the Unicode CLDR table it ships. A time without TZID
  and without ``Z`` is local time in the dataset's zone. An all-day event
  (``VALUE=DATE``) runs from local midnight of its first day to local
  midnight after its last day (DTEND is exclusive), so 23 or 25 hours on a
  daylight-saving day.

A VEVENT with STATUS:CANCELLED is counted as rejected with a note; so are
occurrences removed by EXDATE, which a note counts.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import icalendar
import numpy as np
import pandas as pd
import recurring_ical_events

from planner.inputs.attendance import check_attendance
from planner.inputs.dataset import EVENT_KINDS, TableQuality
from planner.inputs.dialect import decode_file
from planner.inputs.errors import InputError, Problem
from planner.inputs.numbers import parse_number_text
from planner.inputs.settings import Settings
from planner.messages import translatable

logger = logging.getLogger(__name__)

EVENT_COLUMNS: tuple[str, ...] = ("event_id", "name", "kind", "venue_id", "start", "end", "expected_attendance",
                                  "attendance_low", "attendance_high", "source")
ATTENDANCE_PROPERTIES: dict[str, str] = {"X-ATTENDANCE": "expected_attendance", "X-ATTENDANCE-LOW": "attendance_low",
                                         "X-ATTENDANCE-HIGH": "attendance_high"}
# Recurrences without an end are expanded this far past the last DTSTART when no window is given.
DEFAULT_EXPANSION = pd.Timedelta(days=366)


def read_events_ics(path: str | Path, settings: Settings, venues: pd.DataFrame | None,
                    window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> tuple[pd.DataFrame, TableQuality]:
    """Read an iCalendar file into the columns of ``Dataset.events``.

    Parameters
    ----------
    path : str or Path
        The ``.ics`` file.
    settings : Settings
        The dataset settings: the zone of floating times and ``[inputs] encoding``.
    venues : DataFrame or None
        The venues table, to match LOCATION and check ``X-PLANNER-VENUE-ID``;
        None skips the venue match (every event is area-wide).
    window : (Timestamp, Timestamp), optional
        The span over which recurring events are expanded, such as the data
        span plus the forecast horizon. By default from the first DTSTART to
        366 days after the last one.

    Returns
    -------
    events : DataFrame
        The columns of ``Dataset.events`` with ``source`` = ``"calendar"``,
        sorted by start.
    quality : TableQuality
        ``rows_read`` counts the VEVENT components; notes count the
        occurrences expanded, the cancellations and the defaulted kinds.

    Raises
    ------
    InputError
        Listing every problem of the file, each with the line of its VEVENT
        and the property.
    """
    path = Path(path)
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(file, None, None, None, translatable("file not found"))]) from None
    text, _, _ = decode_file(data, file, settings.inputs.encoding)
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:
        raise InputError([Problem(file, None, None, None,
                                  translatable("invalid iCalendar file ({error}); export the calendar again as an "
                                               ".ics file (RFC 5545)", error=str(error)))]) from None
    reader = _CalendarReader(file, text, settings, venues)
    components = list(calendar.walk("VEVENT"))
    for component in components:
        reader.check(component)
    reader.raise_if_problems()

    first, last = window if window is not None else reader.default_window(components)
    try:
        occurrences = recurring_ical_events.of(calendar).between(first.to_pydatetime(), last.to_pydatetime())
    except (ValueError, recurring_ical_events.InvalidCalendar) as error:
        raise InputError([Problem(file, None, "RRULE", None,
                                  translatable("invalid recurrence ({error}); check the RRULE, EXDATE and RDATE "
                                               "properties", error=str(error)))]) from None
    occurrences = [occurrence for occurrence in occurrences
                   if str(occurrence.get("STATUS", "")).upper() != "CANCELLED"]
    rows = [reader.row(occurrence) for occurrence in occurrences]
    reader.raise_if_problems()

    events = pd.DataFrame(rows, columns=list(EVENT_COLUMNS[:-1]))
    events["source"] = "calendar"
    for column in ("start", "end"):
        events[column] = pd.to_datetime(events[column], utc=True).dt.tz_convert(settings.timezone).dt.as_unit("us")
    for column in ATTENDANCE_PROPERTIES.values():
        events[column] = events[column].astype("float64")
    events = events.sort_values(["start", "event_id"], kind="stable").reset_index(drop=True)
    reader.check_events(events)
    reader.raise_if_problems()
    return events, reader.quality(components, occurrences, first, last)


class _CalendarReader:
    """Collect every problem of a calendar before raising, and turn occurrences into rows."""

    def __init__(self, file: str, text: str, settings: Settings, venues: pd.DataFrame | None) -> None:
        self.file = file
        self.settings = settings
        self.timezone = settings.timezone
        self.problems: list[Problem] = []
        self.lines = _vevent_lines(text)
        self.defaulted_kinds: list[str] = []
        self.recurring_uids: set[str] = set()
        self.venues = venues
        self.attendance_notes: list[str] = []
        self.venues_by_key: dict[str, str] | None = None
        if venues is not None:
            self.venues_by_key = {}
            for venue_id, name in zip(venues["venue_id"], venues["name"]):
                self.venues_by_key[str(name).casefold().strip()] = str(venue_id)
            for venue_id in venues["venue_id"]:
                self.venues_by_key[str(venue_id).casefold().strip()] = str(venue_id)

    def raise_if_problems(self) -> None:
        if self.problems:
            raise InputError(sorted(self.problems, key=lambda problem: problem.row or 0))

    def fail(self, component, prop: str | None, value, message: str) -> None:
        self.problems.append(Problem(self.file, self.line(component), prop, value, message))

    def line(self, component) -> int | None:
        return self.lines.get(str(component.get("UID", "")))

    def check(self, component) -> None:
        """Check the properties of one VEVENT that the expansion relies on."""
        if any(component.get(prop) is not None for prop in ("RRULE", "RDATE", "RECURRENCE-ID")):
            self.recurring_uids.add(str(component.get("UID", "")).strip())
        if not str(component.get("UID", "")).strip():
            self.fail(component, "UID", None, translatable("missing UID; every VEVENT needs a unique UID"))
        if component.get("DTSTART") is None:
            self.fail(component, "DTSTART", None, translatable("missing DTSTART; every event needs a start"))
            return
        for prop in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            value = component.get(prop)
            if value is not None and isinstance(value.dt, datetime) and value.dt.tzinfo is None \
                    and "TZID" in value.params:
                self.fail(component, prop, value.params["TZID"],
                          translatable("unknown time zone; use an IANA name such as Europe/Paris, a Windows name "
                                       "such as Romance Standard Time, or add its VTIMEZONE to the file"))
        start, end, duration = component.get("DTSTART"), component.get("DTEND"), component.get("DURATION")
        if end is None and duration is None and isinstance(start.dt, datetime):
            self.fail(component, "DTEND", None, translatable("missing DTEND and DURATION; the event would last no "
                                                             "time. Add DTEND or DURATION"))
        # Checked here because recurring-ical-events swaps a DTEND that comes before DTSTART.
        if end is not None and type(end.dt) is type(start.dt) and not self.problems_of(component) \
                and self.instant(end.dt) <= self.instant(start.dt):
            self.fail(component, "DTEND", end.to_ical().decode(),
                      translatable("event ends before or when it starts ({start}); the end must be later than the "
                                   "start", start=start.to_ical().decode()))
        if duration is not None and duration.dt <= timedelta(0):
            self.fail(component, "DURATION", duration.to_ical().decode(), translatable("DURATION must be positive"))

    def problems_of(self, component) -> list[Problem]:
        line = self.line(component)
        return [problem for problem in self.problems if line is not None and problem.row == line]

    def default_window(self, components) -> tuple[pd.Timestamp, pd.Timestamp]:
        starts = [self.instant(component.get("DTSTART").dt) for component in components]
        if not starts:
            now = pd.Timestamp.now(tz=self.timezone)
            return now, now
        return min(starts), max(starts) + DEFAULT_EXPANSION

    def instant(self, value: date | datetime) -> pd.Timestamp:
        """Return a DTSTART or DTEND value as a tz-aware timestamp in the dataset zone."""
        if not isinstance(value, datetime):
            return pd.Timestamp(datetime(value.year, value.month, value.day)).tz_localize(
                self.timezone, ambiguous=True, nonexistent="shift_forward")
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is None:
            return stamp.tz_localize(self.timezone, ambiguous=True, nonexistent="shift_forward")
        return stamp.tz_convert(self.timezone)

    def row(self, occurrence) -> dict:
        uid = str(occurrence.get("UID", "")).strip()
        start_value = occurrence.get("DTSTART").dt
        start = self.instant(start_value)
        end_value = occurrence.end if occurrence.get("DTEND") is not None or occurrence.get("DURATION") is not None \
            else (start_value + timedelta(days=1) if not isinstance(start_value, datetime) else start_value)
        end = self.instant(end_value)
        event_id = f"{uid}-{start:%Y%m%dT%H%M}" if uid in self.recurring_uids else uid
        row = {"event_id": event_id, "name": str(occurrence.get("SUMMARY", "")).strip(),
               "kind": self.kind(occurrence), "venue_id": self.venue(occurrence), "start": start, "end": end}
        for prop, column in ATTENDANCE_PROPERTIES.items():
            row[column] = self.attendance(occurrence, prop)
        return row

    def kind(self, occurrence) -> str:
        declared = occurrence.get("X-PLANNER-KIND")
        if declared is not None:
            kind = str(declared).strip().lower()
            if kind not in EVENT_KINDS:
                self.fail(occurrence, "X-PLANNER-KIND", str(declared),
                          translatable("unknown event kind; use one of: {kinds}", kinds=", ".join(EVENT_KINDS)))
            return kind
        for category in _categories(occurrence):
            if category.lower() in EVENT_KINDS:
                return category.lower()
        self.defaulted_kinds.append(str(occurrence.get("UID", "")))
        return "other"

    def venue(self, occurrence) -> str:
        declared = occurrence.get("X-PLANNER-VENUE-ID")
        if declared is not None:
            venue_id = str(declared).strip()
            if self.venues_by_key is not None and venue_id not in set(self.venues_by_key.values()):
                self.fail(occurrence, "X-PLANNER-VENUE-ID", venue_id,
                          translatable("unknown venue_id; add the venue to venues.csv"))
            return venue_id
        location = str(occurrence.get("LOCATION", "")).strip()
        if not location or self.venues_by_key is None:
            return ""
        for key in (location, location.split(",", 1)[0]):
            found = self.venues_by_key.get(key.casefold().strip())
            if found is not None:
                return found
        self.fail(occurrence, "LOCATION", location,
                  translatable("LOCATION matches no venue id or name of venues.csv; write the venue's name or id "
                               "first in LOCATION, set X-PLANNER-VENUE-ID, or remove LOCATION for an area-wide "
                               "event"))
        return ""

    def attendance(self, occurrence, prop: str) -> float:
        value = occurrence.get(prop)
        if value is None:
            return np.nan
        text = str(value).strip()
        numbers, invalid = parse_number_text(pd.Series([text]), ".")
        if invalid.iloc[0] or numbers.iloc[0] < 0:
            self.fail(occurrence, prop, text,
                      translatable("invalid attendance; write a whole number of people >= 0, such as 47000"))
            return np.nan
        return float(numbers.iloc[0])

    def check_events(self, events: pd.DataFrame) -> None:
        for row in events.itertuples(index=False):
            uid = row.event_id
            line = self.lines.get(uid) or self.lines.get(uid.rsplit("-", 1)[0])
            if row.end <= row.start:
                self.problems.append(Problem(self.file, line, "DTEND", str(row.end),
                                             translatable("event ends before or when it starts ({start}); the end "
                                                          "must be later than the start", start=str(row.start))))
            low, expected, high = row.attendance_low, row.expected_attendance, row.attendance_high
            if (pd.notna(low) and pd.notna(expected) and low > expected) or \
                    (pd.notna(high) and pd.notna(expected) and expected > high):
                self.problems.append(Problem(self.file, line, "X-ATTENDANCE", expected,
                                             translatable("attendance figures out of order; they must satisfy "
                                                          "X-ATTENDANCE-LOW <= X-ATTENDANCE <= X-ATTENDANCE-HIGH")))
        lines = [self.lines.get(uid) or self.lines.get(uid.rsplit("-", 1)[0]) for uid in events["event_id"]]
        attendance_problems, self.attendance_notes = check_attendance(
            events, self.venues, self.file, lines, {column: prop for prop, column in ATTENDANCE_PROPERTIES.items()})
        # The occurrences of a recurring event share its line and figures: report each problem once.
        self.problems.extend(dict.fromkeys(attendance_problems))
        repeated = events["event_id"][events["event_id"].duplicated()]
        for event_id in repeated.unique():
            self.problems.append(Problem(self.file, self.lines.get(event_id), "UID", event_id,
                                         translatable("duplicate UID; give every event its own UID")))

    def quality(self, components, occurrences, first: pd.Timestamp, last: pd.Timestamp) -> TableQuality:
        cancelled = [component for component in components
                     if str(component.get("STATUS", "")).upper() == "CANCELLED"]
        quality = TableQuality(table="events", file=self.file, rows_read=len(components),
                               rows_rejected=len(cancelled))
        quality.rows_accepted = quality.rows_read - quality.rows_rejected
        quality.notes.extend(self.attendance_notes)
        if cancelled:
            uids = ", ".join(str(component.get("UID", "")) for component in cancelled)
            quality.notes.append(translatable("events rejected because STATUS is CANCELLED: {count} ({uids})",
                                              count=len(cancelled), uids=uids))
        recurring = [occurrence for occurrence in occurrences
                     if str(occurrence.get("UID", "")).strip() in self.recurring_uids]
        if self.recurring_uids:
            quality.notes.append(translatable("recurring events expanded from {first:%Y-%m-%d} to {last:%Y-%m-%d}: "
                                              "{events} events gave {count} occurrences", first=first, last=last,
                                              events=len(self.recurring_uids), count=len(recurring)))
        exdates = sum(len(_exdates(component)) for component in components)
        if exdates:
            quality.notes.append(translatable("occurrences cancelled by EXDATE: {count}", count=exdates))
        if self.defaulted_kinds:
            quality.notes.append(translatable("events without X-PLANNER-KIND or a CATEGORIES value that is an "
                                              "event kind, given the kind 'other': {count} ({uids})",
                                              count=len(self.defaulted_kinds),
                                              uids=", ".join(sorted(set(self.defaulted_kinds))[:20])))
        return quality


def _categories(component) -> list[str]:
    value = component.get("CATEGORIES")
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [str(category).strip() for item in values for category in getattr(item, "cats", [item])]


def _exdates(component) -> list:
    value = component.get("EXDATE")
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [moment for item in values for moment in item.dts]


def _vevent_lines(text: str) -> dict[str, int]:
    """Map each UID to the line of its ``BEGIN:VEVENT`` in the file."""
    lines: dict[str, int] = {}
    begin = None
    for number, line in enumerate(text.splitlines(), start=1):
        upper = line.strip().upper()
        if upper == "BEGIN:VEVENT":
            begin = number
        elif begin is not None and re.match(r"^UID[;:]", upper):
            lines.setdefault(line.split(":", 1)[1].strip(), begin)
    return lines
