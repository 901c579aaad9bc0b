"""Read and validate the cells, venues and events CSV tables of a dataset folder.

Each reader returns the parsed table and its row accounting. Any bad value
makes these small, hand-edited files unusable: a missing column, an empty or
repeated id, a value that is not a number or is out of range, an unknown
reference. Each problem is collected with every other problem of the file
and raised as one ``InputError``. A blank line is rejected instead: it is
counted in ``TableQuality.rows_rejected`` and a note names it. The traffic
table has its own reader with a bad-row policy, ``planner.inputs.traffic``,
re-exported here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.accounting import index_of_line, note_extra_columns, table_quality
from planner.inputs.attendance import check_attendance
from planner.inputs.dataset import TableQuality
from planner.inputs.errors import InputError, Problem
from planner.inputs.reading import RawTable, parse_numbers, read_csv_table
from planner.inputs.schemas import cells_schema, events_schema, venues_schema
from planner.inputs.settings import InputSettings, Settings
from planner.inputs.timestamps import parse_timestamp_column
from planner.inputs.traffic import read_traffic
from planner.inputs.validation import validate_table
from planner.inputs.weeks import Week
from planner.messages import translatable

__all__ = ["read_cells", "read_events", "read_scenario", "read_traffic", "read_venues", "EVENT_COLUMNS",
           "CELL_COLUMNS", "VENUE_COLUMNS", "EVENT_OPTIONAL_COLUMNS"]

VENUE_COLUMNS: tuple[str, ...] = ("venue_id", "name", "latitude", "longitude", "capacity_people")
CELL_COLUMNS: tuple[str, ...] = ("cell_id", "site_id", "latitude", "longitude", "utilisation_threshold")
DATE_ONLY = r"\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\s*"
"""A calendar date without a time of day, in any of the date orders that ``[inputs] date_format`` reads."""

EVENT_COLUMNS: tuple[str, ...] = ("event_id", "name", "kind", "venue_id", "start", "end", "expected_attendance")
EVENT_OPTIONAL_COLUMNS: tuple[str, ...] = ("attendance_low", "attendance_high")


def read_cells(path: str | Path, settings: Settings) -> tuple[pd.DataFrame, TableQuality]:
    """Read ``cells.csv``: one row per cell, with a ``capacity_<measure>`` column per measure.

    An optional ``channels_<measure>`` column per measure gives the installed
    voice channels (a whole number, or empty) that Erlang B sizing compares
    against.

    An empty ``utilisation_threshold`` is filled with the settings'
    ``capacity.default_utilisation_threshold`` and a note counts those cells.

    Raises
    ------
    InputError
        Listing every problem of the file.
    """
    capacity_columns = [f"capacity_{name}" for name in settings.measure_names]
    reasons = {column: translatable("settings.toml declares the measure {measure!r}",
                                    measure=column.removeprefix("capacity_"))
               for column in capacity_columns}
    table = read_csv_table(path, [*CELL_COLUMNS, *capacity_columns], ["cell_id", "site_id"], reasons, settings.inputs)
    channel_columns = [f"channels_{name}" for name in settings.measure_names
                       if f"channels_{name}" in table.frame.columns]
    frame, problems = _typed_frame(table, ["cell_id", "site_id"],
                                   ["latitude", "longitude", "utilisation_threshold", *capacity_columns,
                                    *channel_columns])
    problems.extend(_channel_problems(frame, table, channel_columns))
    if frame.empty and not problems:
        # Without this, every traffic row would be reported as an unknown cell.
        raise InputError([Problem(str(path), None, None, None,
                                  translatable("the file has a header but no cell; add one row per cell"))])
    reported = {(index_of_line(table, problem.row), problem.column) for problem in problems}
    check_problems, _ = validate_table(frame, cells_schema(settings.measure_names), table, reported)
    problems.extend(check_problems)
    if problems:
        raise InputError(problems)

    quality = table_quality("cells", table)
    default = settings.capacity.default_utilisation_threshold
    empty = frame["utilisation_threshold"].isna()
    if empty.any():
        frame["utilisation_threshold"] = frame["utilisation_threshold"].fillna(default)
        quality.notes.append(translatable("cells without utilisation_threshold, given the default {default} of "
                                          "capacity.default_utilisation_threshold: {count} of {total}",
                                          default=default, count=int(empty.sum()), total=len(frame)))
    note_extra_columns(quality, table, [*CELL_COLUMNS, *capacity_columns, *channel_columns])
    return frame[[*CELL_COLUMNS, *capacity_columns, *channel_columns]], quality


def read_venues(path: str | Path, inputs: InputSettings | None = None) -> tuple[pd.DataFrame, TableQuality]:
    """Read ``venues.csv``: one row per venue; ``capacity_people`` may be empty (NaN).

    ``inputs`` declares the CSV dialect; detection when omitted.

    Raises
    ------
    InputError
        Listing every problem of the file.
    """
    table = read_csv_table(path, list(VENUE_COLUMNS), ["venue_id", "name"], inputs=inputs)
    frame, problems = _typed_frame(table, ["venue_id", "name"], ["latitude", "longitude", "capacity_people"])
    reported = {(index_of_line(table, problem.row), problem.column) for problem in problems}
    check_problems, _ = validate_table(frame, venues_schema(), table, reported)
    problems.extend(check_problems)
    if problems:
        raise InputError(problems)

    quality = table_quality("venues", table)
    note_extra_columns(quality, table, list(VENUE_COLUMNS))
    return frame[list(VENUE_COLUMNS)], quality


def read_events(path: str | Path, settings: Settings, venues: pd.DataFrame | None,
                week: Week | None = None) -> tuple[pd.DataFrame, TableQuality]:
    """Read ``events.csv``: one row per planned event.

    Parameters
    ----------
    path : str or Path
        The file. ``attendance_low`` and ``attendance_high`` are optional
        columns; every attendance field may be empty.
    settings : Settings
        The dataset settings. A ``start`` or ``end`` without a UTC offset is
        local time in its time zone, and an ambiguous autumn time is read as
        summer time.
    venues : DataFrame or None
        The venues table; an event's ``venue_id`` must be one of its ids, or
        empty for an event that concerns the whole area. ``None`` skips this
        check, for use when the venues file itself is invalid.
    week : Week, optional
        The week being planned. When given, every event must overlap it,
        as :func:`read_scenario` requires.

    Returns
    -------
    events : DataFrame
        The columns of ``Dataset.events`` with ``source`` = ``"calendar"``.
    quality : TableQuality

    Raises
    ------
    InputError
        Listing every problem of the file.
    """
    table = read_csv_table(path, list(EVENT_COLUMNS), ["event_id", "name", "kind", "venue_id", "start", "end"],
                           inputs=settings.inputs, number_columns=["expected_attendance", *EVENT_OPTIONAL_COLUMNS])
    for column in EVENT_OPTIONAL_COLUMNS:
        if column not in table.frame.columns:
            table.frame[column] = np.nan
    frame, problems = _typed_frame(table, ["event_id", "name", "kind", "venue_id"],
                                   ["expected_attendance", *EVENT_OPTIONAL_COLUMNS])
    notes = []
    # An event written with dates only has no known time of day. It runs from the first date's midnight to
    # the end of the last date, and is forecast at the start times of the past events it is learned from.
    date_only = {column: table.frame[column].fillna("").astype(str).str.fullmatch(DATE_ONLY)
                 for column in ("start", "end")}
    time_unknown = date_only["start"] & date_only["end"] & (table.frame["start"].fillna("").astype(str) != "")
    mismatched = date_only["start"] ^ date_only["end"]
    for column in ("start", "end"):
        # The date-only side of a row with one date and one time is reported once, below.
        for rows in (~time_unknown & ~(mismatched & date_only[column]), time_unknown):
            if not rows.any():
                continue
            values = table.frame.loc[rows, column]
            if rows is time_unknown:
                # Midnight written out, so that the end of a date such as 2013-12-01 is not read as an offset.
                values = values.astype(str).str.strip() + " 00:00"
            parsed = parse_timestamp_column(values, settings.timezone, table.file, column,
                                            table.lines[rows], date_format=settings.inputs.date_format,
                                            nonexistent=settings.inputs.nonexistent_local_time)
            frame.loc[rows, column] = parsed.values
            problems.extend(parsed.problems)
            notes.extend(parsed.notes)
            if parsed.shifted:
                notes.append(translatable("{column}: local times in the skipped spring hour shifted forward to the "
                                          "instant they mean ([inputs] nonexistent_local_time): {count}",
                                          column=column, count=len(parsed.shifted)))
    for index in mismatched[mismatched].index:
        column = "start" if date_only["start"][index] else "end"
        problems.append(Problem(table.file, int(table.lines[index]), column, table.frame.at[index, column],
                                translatable("a date without a time of day, while the other end of the event has "
                                             "one; write both start and end with their time, or both as dates "
                                             "when the time of day is not known yet")))
    if time_unknown.any():
        # The event runs to the end of its last day.
        frame.loc[time_unknown, "end"] = frame.loc[time_unknown, "end"].map(
            lambda day: (day.tz_localize(None) + pd.Timedelta(days=1)).tz_localize(
                settings.timezone, nonexistent="shift_forward", ambiguous=False) if pd.notna(day) else day)
        notes.append(translatable("events with a date but no time of day: {events}; each is forecast at the start "
                                  "times of the past events it is learned from",
                                  events=", ".join(frame.loc[time_unknown, "event_id"].astype(str))))
    frame["time_known"] = ~time_unknown.to_numpy()

    reported = {(index_of_line(table, problem.row), problem.column) for problem in problems}
    check_problems, _ = validate_table(frame, events_schema(None if venues is None else venues["venue_id"]), table, reported)
    problems.extend(check_problems)
    attendance_columns = ["expected_attendance", *EVENT_OPTIONAL_COLUMNS]
    attendance_problems, attendance_notes = check_attendance(frame, venues, table.file,
                                                             [int(line) for line in table.lines],
                                                             {column: column for column in attendance_columns})
    problems.extend(problem for problem in attendance_problems
                    if (index_of_line(table, problem.row), problem.column) not in reported)
    if week is not None:
        problems.extend(_outside_week_problems(frame, table, week))
    if problems:
        raise InputError(sorted(problems, key=lambda problem: problem.row or 0))

    quality = table_quality("events", table)
    quality.notes.extend(notes)
    quality.notes.extend(attendance_notes)
    note_extra_columns(quality, table, [*EVENT_COLUMNS, *EVENT_OPTIONAL_COLUMNS])
    frame["source"] = "calendar"
    columns = ["event_id", "name", "kind", "venue_id", "start", "end", "expected_attendance",
               *EVENT_OPTIONAL_COLUMNS, "source", "time_known"]
    return frame[columns].sort_values("start", kind="stable").reset_index(drop=True), quality


def read_scenario(path: str | Path, settings: Settings, venues: pd.DataFrame | None,
                  week: Week) -> tuple[pd.DataFrame, TableQuality]:
    """Read a ``--scenario`` file: rows in the format of ``events.csv``, each overlapping ``week``.

    A scenario event outside the planned week would change nothing in the
    plan, so it is rejected rather than compared as "+0".

    Raises
    ------
    InputError
        If the file is missing, or listing every problem of the file,
        including each event that does not overlap ``week``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), None, None, None,
                                  translatable("scenario file not found; check the --scenario path, which names a "
                                               "CSV file with the columns of events.csv"))])
    return read_events(path, settings, venues, week=week)


def _outside_week_problems(frame: pd.DataFrame, table: RawTable, week: Week) -> list[Problem]:
    """List the events whose span from start to end does not overlap ``week``."""
    problems = []
    for index, row in frame.iterrows():
        start, end = row["start"], row["end"]
        if pd.isna(start) or pd.isna(end) or (start < week.end and end > week.start):
            continue
        year, number, _ = start.isocalendar()
        problems.append(Problem(table.file, int(table.lines[index]), "start", table.frame.at[index, "start"],
                                translatable("the event is outside the planned week {week}, which runs from "
                                             "{first:%Y-%m-%d} to {last:%Y-%m-%d}; move the event into that week, "
                                             "or plan its own week with --week {event_week}", week=week.label,
                                             first=week.start.date(), last=week.start.date() + pd.Timedelta(days=6),
                                             event_week=f"{year}-W{number:02d}")))
    return problems


def _channel_problems(frame: pd.DataFrame, table: RawTable, columns: list[str]) -> list[Problem]:
    """Check the optional ``channels_<measure>`` columns: a whole number of installed channels >= 0, or empty."""
    problems = []
    for column in columns:
        values = frame[column]
        invalid = values.notna() & ((values < 0) | (values != values.round()))
        for index in invalid[invalid].index:
            # Report the value as written in the file, as the table's other problems do, not the parsed number.
            written = table.frame.at[index, column]
            problems.append(Problem(table.file, int(table.lines[index]), column, written,
                                    translatable("installed voice channels must be a whole number >= 0; write the "
                                                 "count of channels, or leave the field empty to size against "
                                                 "the cell's capacity")))
    return problems


def _typed_frame(table: RawTable, text_columns: list[str], number_columns: list[str]
                 ) -> tuple[pd.DataFrame, list[Problem]]:
    frame = pd.DataFrame({column: table.frame[column].astype(str) for column in text_columns})
    # The file's own problems (such as a decimal mark that cannot be told) come first.
    problems: list[Problem] = list(table.problems)
    for column in number_columns:
        frame[column], number_problems = parse_numbers(table, column)
        problems.extend(number_problems)
    return frame, problems
