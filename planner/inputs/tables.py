"""Read and validate the four CSV tables of a dataset folder.

Each reader returns the parsed table and its row accounting. Some problems
make the file unusable: a missing column, an empty or repeated id, a value
that is not a number or is out of range, an unknown reference. Each of them is
collected with every other problem of the file and raised as one
``InputError``. A traffic row with a negative value, a repeated (cell_id, timestamp) pair, and a
blank line in any file are rejected instead: they are counted in
``TableQuality.rows_rejected`` and a note names their lines.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.dataset import TableQuality
from planner.inputs.errors import InputError, Problem
from planner.inputs.reading import RawTable, describe_lines, parse_numbers, read_csv_table
from planner.inputs.schemas import cells_schema, events_schema, traffic_schema, venues_schema
from planner.inputs.settings import Settings
from planner.inputs.timestamps import parse_timestamps
from planner.inputs.validation import validate_table

VENUE_COLUMNS: tuple[str, ...] = ("venue_id", "name", "latitude", "longitude", "capacity_people")
CELL_COLUMNS: tuple[str, ...] = ("cell_id", "site_id", "latitude", "longitude", "utilisation_threshold")
EVENT_COLUMNS: tuple[str, ...] = ("event_id", "name", "kind", "venue_id", "start", "end", "expected_attendance")
EVENT_OPTIONAL_COLUMNS: tuple[str, ...] = ("attendance_low", "attendance_high")


def read_traffic(path: str | Path, settings: Settings,
                 known_cells: Collection[str] | None = None) -> tuple[pd.DataFrame, TableQuality]:
    """Read ``traffic.csv``: one row per cell and time step.

    Parameters
    ----------
    path : str or Path
        The file, with columns ``cell_id``, ``timestamp`` and one column per
        measure declared in the settings. ``timestamp`` is the start of the
        interval in ISO 8601, with or without a UTC offset (see
        ``planner.inputs.timestamps``), on the grid of ``[traffic]
        step_minutes``. An empty measure field is a missing value.
    settings : Settings
        The dataset settings: time zone, step and measures.
    known_cells : collection of str, optional
        The ``cell_id`` values of ``cells.csv``; a row of any other cell is a
        problem. Not checked when omitted.

    Returns
    -------
    traffic : DataFrame
        ``cell_id`` (str), ``timestamp`` (tz-aware, dataset time zone) and one
        float column per measure, NaN where missing, sorted by cell and time,
        without the rejected rows.
    quality : TableQuality
        Row accounting, with ``missing_values`` per measure.

    Raises
    ------
    InputError
        Listing every problem of the file.
    """
    measures = list(settings.measure_names)
    reasons = {name: f"settings.toml declares the measure {name!r}" for name in measures}
    table = read_csv_table(path, ["cell_id", "timestamp", *measures], ["cell_id", "timestamp"], reasons)
    problems: list[Problem] = []
    frame = pd.DataFrame({"cell_id": table.frame["cell_id"]})
    frame["timestamp"], timestamp_problems = parse_timestamps(
        table.frame["timestamp"], settings.timezone, table.file, "timestamp", table.lines,
        groups=table.frame["cell_id"])
    problems.extend(timestamp_problems)
    for name in measures:
        frame[name], number_problems = parse_numbers(table, name)
        problems.extend(number_problems)

    schema = traffic_schema(measures, settings.step_minutes, known_cells)
    reported = {(_index(table, problem), problem.column) for problem in problems}
    grid_message = (f"timestamp is not on the {settings.step_minutes}-minute grid of [traffic] step_minutes; "
                    "write the start of the interval, or set step_minutes to the data's step")
    check_problems, rejected = validate_table(frame, schema, table, reported,
                                              reject_checks=("traffic_non_negative", "multiple_fields_uniqueness"),
                                              messages={"on_step_grid": grid_message})
    problems.extend(check_problems)
    if problems:
        raise InputError(sorted(problems, key=lambda problem: problem.row or 0))

    quality = _quality("traffic", table, rejected)
    reasons_by_check = {"traffic_non_negative": "a value is negative",
                        "multiple_fields_uniqueness": "an earlier line has the same cell_id and timestamp"}
    for check, reason in reasons_by_check.items():
        indexes = [index for index, failed in rejected.items() if failed == check]
        if indexes:
            quality.notes.append(f"rows rejected because {reason}: {len(indexes)} "
                                 f"({describe_lines(table.lines[indexes].to_numpy())})")
    _note_extra_columns(quality, table, ["cell_id", "timestamp", *measures])

    frame = frame.drop(index=list(rejected))
    for name in measures:
        missing = int(frame[name].isna().sum())
        quality.missing_values[name] = missing
        if missing:
            quality.notes.append(f"{name}: {missing} of {len(frame)} values missing (empty fields)")
    frame = frame.sort_values(["cell_id", "timestamp"], kind="stable").reset_index(drop=True)
    frame["cell_id"] = frame["cell_id"].astype(str)
    return frame, quality


def read_cells(path: str | Path, settings: Settings) -> tuple[pd.DataFrame, TableQuality]:
    """Read ``cells.csv``: one row per cell, with a ``capacity_<measure>`` column per measure.

    An empty ``utilisation_threshold`` is filled with the settings'
    ``capacity.default_utilisation_threshold`` and a note counts those cells.

    Raises
    ------
    InputError
        Listing every problem of the file.
    """
    capacity_columns = [f"capacity_{name}" for name in settings.measure_names]
    reasons = {column: f"settings.toml declares the measure {column.removeprefix('capacity_')!r}"
               for column in capacity_columns}
    table = read_csv_table(path, [*CELL_COLUMNS, *capacity_columns], ["cell_id", "site_id"], reasons)
    frame, problems = _typed_frame(table, ["cell_id", "site_id"],
                                   ["latitude", "longitude", "utilisation_threshold", *capacity_columns])
    reported = {(_index(table, problem), problem.column) for problem in problems}
    check_problems, _ = validate_table(frame, cells_schema(settings.measure_names), table, reported)
    problems.extend(check_problems)
    if problems:
        raise InputError(problems)

    quality = _quality("cells", table, {})
    default = settings.capacity.default_utilisation_threshold
    empty = frame["utilisation_threshold"].isna()
    if empty.any():
        frame["utilisation_threshold"] = frame["utilisation_threshold"].fillna(default)
        quality.notes.append(f"cells without utilisation_threshold, given the default {default} of "
                             f"capacity.default_utilisation_threshold: {int(empty.sum())} of {len(frame)}")
    _note_extra_columns(quality, table, [*CELL_COLUMNS, *capacity_columns])
    return frame[[*CELL_COLUMNS, *capacity_columns]], quality


def read_venues(path: str | Path) -> tuple[pd.DataFrame, TableQuality]:
    """Read ``venues.csv``: one row per venue; ``capacity_people`` may be empty (NaN).

    Raises
    ------
    InputError
        Listing every problem of the file.
    """
    table = read_csv_table(path, list(VENUE_COLUMNS), ["venue_id", "name"])
    frame, problems = _typed_frame(table, ["venue_id", "name"], ["latitude", "longitude", "capacity_people"])
    reported = {(_index(table, problem), problem.column) for problem in problems}
    check_problems, _ = validate_table(frame, venues_schema(), table, reported)
    problems.extend(check_problems)
    if problems:
        raise InputError(problems)

    quality = _quality("venues", table, {})
    _note_extra_columns(quality, table, list(VENUE_COLUMNS))
    return frame[list(VENUE_COLUMNS)], quality


def read_events(path: str | Path, settings: Settings,
                venues: pd.DataFrame | None) -> tuple[pd.DataFrame, TableQuality]:
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
    table = read_csv_table(path, list(EVENT_COLUMNS), ["event_id", "name", "kind", "venue_id", "start", "end"])
    for column in EVENT_OPTIONAL_COLUMNS:
        if column not in table.frame.columns:
            table.frame[column] = np.nan
    frame, problems = _typed_frame(table, ["event_id", "name", "kind", "venue_id"],
                                   ["expected_attendance", *EVENT_OPTIONAL_COLUMNS])
    for column in ("start", "end"):
        frame[column], timestamp_problems = parse_timestamps(table.frame[column], settings.timezone,
                                                             table.file, column, table.lines)
        problems.extend(timestamp_problems)

    reported = {(_index(table, problem), problem.column) for problem in problems}
    check_problems, _ = validate_table(frame, events_schema(None if venues is None else venues["venue_id"]), table, reported)
    problems.extend(check_problems)
    if problems:
        raise InputError(sorted(problems, key=lambda problem: problem.row or 0))

    quality = _quality("events", table, {})
    _note_extra_columns(quality, table, [*EVENT_COLUMNS, *EVENT_OPTIONAL_COLUMNS])
    frame["source"] = "calendar"
    columns = ["event_id", "name", "kind", "venue_id", "start", "end", "expected_attendance",
               *EVENT_OPTIONAL_COLUMNS, "source"]
    return frame[columns].sort_values("start", kind="stable").reset_index(drop=True), quality


def _typed_frame(table: RawTable, text_columns: list[str], number_columns: list[str]
                 ) -> tuple[pd.DataFrame, list[Problem]]:
    frame = pd.DataFrame({column: table.frame[column].astype(str) for column in text_columns})
    problems: list[Problem] = []
    for column in number_columns:
        frame[column], number_problems = parse_numbers(table, column)
        problems.extend(number_problems)
    return frame, problems


def _index(table: RawTable, problem: Problem) -> int:
    """Return the frame index of a problem's line (lines follow the index, except for skipped blank lines)."""
    if problem.row is None:
        return -1
    return int(np.searchsorted(table.lines.to_numpy(), problem.row))


def _quality(name: str, table: RawTable, rejected: dict[int, str]) -> TableQuality:
    quality = TableQuality(table=name, file=table.file, rows_read=table.rows_read)
    quality.rows_rejected = len(rejected) + len(table.blank_lines)
    quality.rows_accepted = quality.rows_read - quality.rows_rejected
    if table.blank_lines:
        quality.notes.append(f"blank lines rejected: {len(table.blank_lines)} ({describe_lines(table.blank_lines)})")
    return quality


def _note_extra_columns(quality: TableQuality, table: RawTable, used: list[str]) -> None:
    extra = [column for column in table.columns_found if column not in used]
    if extra:
        quality.notes.append(f"ignored columns not used by the planner: {', '.join(extra)}")
