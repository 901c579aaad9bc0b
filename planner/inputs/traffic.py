"""Read and validate the traffic table from CSV or Parquet, with the bad-row policy of the settings.

Every bad row is found in one pass, by numpy checks on whole columns, and
classified by its fault:

- a value that is not a number, or a negative value, can be repaired: the
  field becomes missing and the row is counted in ``rows_repaired``;
- a missing, invalid or non-existent timestamp, a timestamp off the step
  grid, an empty or unknown ``cell_id`` and a repeated (``cell_id``,
  ``timestamp``) pair cannot: the row is dropped and counted in
  ``rows_rejected`` (for a repeated pair, every row after the first one).

``[inputs] on_bad_rows = "reject_file"`` (the default) raises one
``InputError`` that lists every such row. ``"repair"`` applies the repairs
and rejections above and notes each kind with its lines and values. Problems
of the whole file are raised under both policies: a missing column, a file
that cannot be decoded, lines with the wrong number of fields, a column that
mixes date formats, decimal marks or timestamps with and without a UTC offset.
A local time moved out of the skipped spring hour by ``[inputs]
nonexistent_local_time = "shift_forward"`` is counted as repaired under both
policies.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.accounting import index_of_line, note_extra_columns, quote_values, table_quality
from planner.inputs.dataset import TableQuality
from planner.inputs.errors import InputError, Problem
from planner.inputs.parquet import read_parquet_table
from planner.inputs.reading import RawTable, describe_lines, parse_numbers, read_csv_table
from planner.inputs.schemas import CHECK_MESSAGES
from planner.inputs.settings import Settings
from planner.inputs.timestamps import parse_timestamp_column
from planner.messages import translatable

logger = logging.getLogger(__name__)

PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")

# Fault kind: (repairable, words for the data-quality note).
FAULTS: dict[str, tuple[bool, str]] = {
    "not_a_number": (True, translatable("values set to missing because they are not numbers")),
    "negative": (True, translatable("values set to missing because they are negative")),
    "implausible": (True, translatable("values set to missing because they are more than 100 times the cell's "
                                       "capacity")),
    "timestamp": (False, translatable("rows rejected because the timestamp is missing, invalid or does not exist")),
    "off_grid": (False, translatable("rows rejected because the timestamp is off the step grid")),
    "cell": (False, translatable("rows rejected because cell_id is empty or not in cells.csv")),
    "duplicate": (False, translatable("rows rejected because an earlier line has the same cell_id and timestamp "
                                      "(the first row is kept)")),
}
_CHECK_FAULTS = {"traffic_non_negative": "negative", "plausible": "implausible", "on_step_grid": "off_grid", "non_empty": "cell",
                 "known_cell": "cell"}


IMPLAUSIBLE_CAPACITY_MULTIPLE = 100.0
"""A value whose hourly rate is above this many times its cell's capacity is rejected: a cell that carried it
would have been overloaded a hundredfold, which is a unit or typing error rather than traffic. The hourly rate
of a volume is the step's value times the steps per hour, so no hour made of accepted steps can exceed the
multiple. A rate's value is its hourly rate."""


def read_traffic(path: str | Path, settings: Settings, known_cells: Collection[str] | None = None, *,
                 cell_ids: Collection[str] | None = None,
                 capacities: pd.DataFrame | None = None) -> tuple[pd.DataFrame, TableQuality]:
    """Read the traffic table: one row per cell and time step.

    Parameters
    ----------
    path : str or Path
        A CSV file (any dialect that ``planner.inputs.reading`` reads) or a
        Parquet file (suffix ``.parquet``), with columns ``cell_id``,
        ``timestamp`` and one column per measure declared in the settings.
        ``timestamp`` is the start of the interval, with or without a UTC
        offset (see ``planner.inputs.timestamps``), on the grid of
        ``[traffic] step_minutes``. An empty measure field is a missing value.
    settings : Settings
        The dataset settings: time zone, step, measures and ``[inputs]``.
    known_cells : collection of str, optional
        The ``cell_id`` values of ``cells.csv``; a row of any other cell is a
        bad row. Not checked when omitted.
    cell_ids : collection of str, optional
        Read and validate only the rows of these cells (a partition of the
        network); a Parquet file is then read one row group at a time, never
        whole. Line numbers in problems stay those of the whole file, and the
        row counts of ``quality`` cover these cells only.
    capacities : DataFrame, optional
        The cells table, with ``cell_id`` and a ``capacity_<measure>`` column
        per measure. A value whose hourly rate is above
        :data:`IMPLAUSIBLE_CAPACITY_MULTIPLE` times its cell's capacity is then
        a bad field, repaired to missing under ``"repair"``. Not checked when
        omitted.

    Returns
    -------
    traffic : DataFrame
        ``cell_id`` (str), ``timestamp`` (tz-aware, dataset time zone) and one
        float column per measure, NaN where missing, sorted by cell and time,
        without the rejected rows.
    quality : TableQuality
        Row accounting, with ``missing_values`` per measure and a note per
        kind of repair or rejection naming its lines and values.

    Raises
    ------
    InputError
        Listing every problem of the file.
    """
    inputs = settings.inputs
    measures = list(settings.measure_names)
    reasons = {name: translatable("settings.toml declares the measure {measure!r}", measure=name) for name in measures}
    required = ["cell_id", "timestamp", *measures]
    if Path(path).suffix.lower() in PARQUET_SUFFIXES:
        table = read_parquet_table(path, required, ["cell_id"], reasons, cell_ids=cell_ids)
    else:
        table = read_csv_table(path, required, ["cell_id", "timestamp"], reasons, inputs)
        if cell_ids is not None:
            table = _only_cells(table, cell_ids)

    if table.frame.empty and cell_ids is None and not table.problems:
        # Without this, the dataset would fail later with "0 hours of traffic" and a range from NaT to NaT.
        raise InputError([Problem(table.file, None, None, None,
                                  translatable("the file has a header but no data row; add one row per cell and "
                                               "time step"))])
    file_problems: list[Problem] = list(table.problems)
    faults: dict[int, list[tuple[str, Problem]]] = defaultdict(list)
    frame = pd.DataFrame({"cell_id": table.frame["cell_id"].astype(str)})
    timestamps = parse_timestamp_column(table.frame["timestamp"], settings.timezone, table.file, "timestamp",
                                        table.lines, groups=table.frame["cell_id"], date_format=inputs.date_format,
                                        nonexistent=inputs.nonexistent_local_time)
    frame["timestamp"] = timestamps.values
    file_problems += timestamps.file_problems
    for index, problem in timestamps.row_problems.items():
        faults[index].append(("timestamp", problem))
    for name in measures:
        frame[name], number_problems = parse_numbers(table, name)
        for problem in number_problems:
            faults[index_of_line(table, problem.row)].append(("not_a_number", problem))

    # Codes of the sorted distinct cell ids, shared by the checks: factorizing millions of strings is costly.
    cell_codes, cell_ids = pd.factorize(frame["cell_id"], sort=True)
    ordered = _sorted_by_cell_and_time(frame, cell_codes)
    _check_rows(frame, table, settings, known_cells, cell_codes, cell_ids, faults, file_problems)
    if capacities is not None:
        _check_plausible(frame, table, settings, capacities, cell_codes, cell_ids, faults)
    if not ordered:
        # Rows sorted with strictly increasing times within each cell cannot repeat a pair.
        _check_duplicates(frame, table, cell_codes, faults, set(timestamps.shifted))

    row_problems = [problem for row in faults.values() for _, problem in row]
    if file_problems or (row_problems and inputs.on_bad_rows == "reject_file"):
        raise InputError(sorted(file_problems + row_problems, key=lambda problem: (problem.row or 0,
                                                                                  problem.column or "")))

    rejected = {index for index, row in faults.items() if any(not FAULTS[kind][0] for kind, _ in row)}
    repaired = ({index for index in faults if index not in rejected} | set(timestamps.shifted)) - rejected
    for index in repaired:
        for kind, problem in faults.get(index, []):
            if kind in ("negative", "implausible"):
                frame.at[index, problem.column] = float("nan")

    quality = table_quality("traffic", table, rejected=len(rejected), repaired=len(repaired))
    quality.notes.extend(timestamps.notes)
    _note_faults(quality, faults, rejected)
    if timestamps.shifted:
        lines = table.lines[timestamps.shifted].to_numpy()
        quality.notes.append(translatable("local times in the skipped spring hour shifted forward to the instant "
                                          "they mean ([inputs] nonexistent_local_time): {count} ({lines})",
                                          count=len(lines), lines=describe_lines(lines)))
    note_extra_columns(quality, table, required)
    if rejected or repaired:
        logger.warning(translatable("{file}: {repaired} rows repaired and {rejected} rejected under [inputs] "
                                    "on_bad_rows = {mode!r}", file=str(table.file), repaired=len(repaired),
                                    rejected=len(rejected), mode=inputs.on_bad_rows))

    if rejected:
        frame = frame.drop(index=sorted(rejected))
    for name in measures:
        missing = int(frame[name].isna().sum())
        quality.missing_values[name] = missing
        if missing:
            quality.notes.append(translatable("{measure}: {count} of {total} values missing (empty fields)",
                                              measure=name, count=missing, total=len(frame)))
    if not ordered:
        frame = frame.sort_values(["cell_id", "timestamp"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame["cell_id"] = frame["cell_id"].astype(str)
    return frame, quality


def _sorted_by_cell_and_time(frame: pd.DataFrame, cell_codes: np.ndarray) -> bool:
    """Return whether the rows run by cell_id, then by strictly increasing timestamp within a cell.

    ``cell_codes`` are the ranks of the rows' cell ids among the sorted
    distinct ones. A file written cell by cell (the usual Parquet export)
    then skips a sort and a duplicate search of millions of rows. A missing
    timestamp makes the result False.
    """
    cell_steps = np.diff(cell_codes)
    if (cell_steps < 0).any():
        return False
    times = frame["timestamp"].to_numpy(dtype="datetime64[us]").view(np.int64)
    return bool((np.diff(times)[cell_steps == 0] > 0).all())


def _only_cells(table: RawTable, cell_ids: Collection[str]) -> RawTable:
    """Return the CSV table with only the rows of the given cells, keeping their line numbers."""
    keep = table.frame["cell_id"].isin({str(cell) for cell in cell_ids}).to_numpy()
    frame = table.frame[keep].reset_index(drop=True)
    lines = pd.Series(table.lines.to_numpy()[keep], index=frame.index)
    return replace(table, frame=frame, lines=lines, rows_read=len(frame))


def _check_rows(frame: pd.DataFrame, table: RawTable, settings: Settings, known_cells: Collection[str] | None,
                cell_codes: np.ndarray, cell_ids: pd.Index, faults: dict[int, list[tuple[str, Problem]]],
                file_problems: list[Problem]) -> None:
    """Add the faults of single fields: empty or unknown cells, off-grid times, negative values.

    The checks run as numpy operations on whole columns, because the long
    table has millions of rows. ``cell_codes`` index ``cell_ids``, the
    distinct cell ids. Faults are added column by column (``cell_id``,
    ``timestamp``, then the measures), each in row order. Fields that already
    have a problem in ``faults`` or ``file_problems`` are not reported again.

    Raises
    ------
    InputError
        For a missing timestamp that has no problem of its own.
    """
    reported = {(index, problem.column) for index, row in faults.items() for _, problem in row}
    reported |= {(index_of_line(table, problem.row), problem.column) for problem in file_problems}
    grid_message = translatable("timestamp is not on the {minutes}-minute grid of [traffic] step_minutes; write the "
                                "start of the interval, or set step_minutes to the data's step",
                                minutes=settings.step_minutes)
    negative_message = translatable("negative traffic value; write the measured value, or leave the field empty when "
                                    "it is missing (a missing-value code such as -1 must be an empty field)")

    empty = (frame["cell_id"] == "").to_numpy()
    checks: list[tuple[str, str, np.ndarray, str]] = []
    if known_cells is not None:
        known = pd.Index(cell_ids).isin(pd.Index(list(known_cells)))
        unknown = ~known[cell_codes] & ~empty
        checks.append(("known_cell", "cell_id", unknown, CHECK_MESSAGES["known_cell"]))
    checks.append(("non_empty", "cell_id", empty, CHECK_MESSAGES["non_empty"]))
    timestamps = frame["timestamp"]
    missing_time = timestamps.isna().to_numpy()
    checks.append(("not_nullable", "timestamp", missing_time, CHECK_MESSAGES["not_nullable"]))
    checks.append(("on_step_grid", "timestamp", ~_on_step_grid(timestamps, settings.step_minutes) & ~missing_time,
                   grid_message))
    for name in settings.measure_names:
        checks.append(("traffic_non_negative", name, (frame[name] < 0).to_numpy(), negative_message))

    for check, column, failing, message in checks:
        for index in frame.index[failing]:
            index = int(index)
            if (index, column) in reported:
                continue
            problem = Problem(table.file, int(table.lines[index]), column, _original(table, frame, index, column),
                              message)
            if check not in _CHECK_FAULTS:
                raise InputError([problem])
            faults[index].append((_CHECK_FAULTS[check], problem))


def _check_plausible(frame: pd.DataFrame, table: RawTable, settings: Settings, capacities: pd.DataFrame,
                     cell_codes: np.ndarray, cell_ids: pd.Index, faults: dict[int, list[tuple[str, Problem]]]) -> None:
    """Add a fault for every value whose hourly rate is above the multiple of its cell's capacity.

    Rows of cells missing from ``capacities`` are skipped: they already have
    a fault of their own.
    """
    by_cell = capacities.assign(cell_id=capacities["cell_id"].astype(str)).drop_duplicates("cell_id").set_index("cell_id")
    steps_per_hour = 60 // settings.step_minutes
    for measure in settings.measures:
        # Look up each distinct cell once, not each of the long table's rows.
        capacity = by_cell[f"capacity_{measure.name}"].reindex(cell_ids).to_numpy(dtype="float64")[cell_codes]
        values = frame[measure.name].to_numpy()
        hourly_rate = values * steps_per_hour if measure.kind == "volume" else values
        implausible = hourly_rate > IMPLAUSIBLE_CAPACITY_MULTIPLE * capacity
        for position in np.flatnonzero(implausible):
            index = int(frame.index[position])
            faults[index].append(("implausible", Problem(
                table.file, int(table.lines[index]), measure.name, _text(table.frame.at[index, measure.name]),
                translatable("more than {multiple:.0f} times the cell's capacity of {capacity:,.1f} per hour in "
                             "cells.csv (as an hourly rate: {rate:,.1f}); check the unit or the value, or the "
                             "cell's capacity in cells.csv", multiple=IMPLAUSIBLE_CAPACITY_MULTIPLE,
                             capacity=float(capacity[position]), rate=float(hourly_rate[position])))))


def _on_step_grid(timestamps: pd.Series, step_minutes: int) -> np.ndarray:
    """Return whether each local wall-clock time is a whole multiple of the step within its hour."""
    # Each distinct time once: every cell repeats the same timestamps. A missing time (code -1) is off the grid.
    codes, distinct = pd.factorize(timestamps)
    distinct = pd.DatetimeIndex(distinct)
    local = distinct.tz_localize(None) if distinct.tz is not None else distinct
    nanoseconds = local.to_numpy(dtype="datetime64[ns]").view(np.int64)
    minute = (nanoseconds // 60_000_000_000) % 60
    below_minute = nanoseconds % 60_000_000_000
    on_grid = np.append((minute % step_minutes == 0) & (below_minute == 0), False)
    return on_grid[codes]


def _original(table: RawTable, frame: pd.DataFrame, index: int, column: str):
    """Return a field as written in a CSV file, such as ``-5`` rather than ``-5.0``, and a Parquet number as stored."""
    written = table.frame[column]
    if pd.api.types.is_numeric_dtype(written) and pd.notna(frame.at[index, column]):
        return float(frame.at[index, column])
    return _text(table.frame.at[index, column])


def _check_duplicates(frame: pd.DataFrame, table: RawTable, cell_codes: np.ndarray,
                      faults: dict[int, list[tuple[str, Problem]]], shifted: set[int] = frozenset()) -> None:
    """Add a fault for every row after the first with the same cell_id and timestamp.

    ``shifted`` are the rows whose local time in the skipped spring hour was
    shifted forward; the problem says so, because the file shows them with
    another time than the row they repeat.
    """
    valid = frame["timestamp"].notna().to_numpy()
    # One integer key per (cell_id, timestamp) pair: hashing two int64 codes is much cheaper than hashing text.
    time_codes, times = pd.factorize(frame["timestamp"])
    keys = pd.Series(cell_codes.astype(np.int64) * (len(times) + 1) + time_codes, index=frame.index)[valid]
    repeated = keys.duplicated(keep="first")
    if not repeated.any():
        return
    keyed = frame.loc[valid, ["cell_id", "timestamp"]]
    first_index = keyed.reset_index().groupby(["cell_id", "timestamp"], sort=False)["index"].transform("first")
    first_index.index = keyed.index
    measures = [column for column in frame.columns if column not in ("cell_id", "timestamp")]
    for index in keyed.index[repeated]:
        first = int(first_index[index])
        same = frame.loc[[first, index], measures].fillna(-1.0).nunique().max() <= 1 if measures else True
        values = translatable("the same values") if same else translatable("different values")
        message = translatable("duplicate row; line {line:d} has the same cell_id and timestamp, with {values}. Keep "
                               "one row per cell and time step", line=int(table.lines[first]), values=values)
        for row in (first, int(index)):
            if row in shifted:
                message = translatable("{problem}. Line {line:d} reads {written!r}, a local time in the skipped "
                                       "spring hour that [inputs] nonexistent_local_time = \"shift_forward\" moved "
                                       "to the same instant", problem=message, line=int(table.lines[row]),
                                       written=_text(table.frame.at[row, "timestamp"]))
        faults[int(index)].append(("duplicate", Problem(
            table.file, int(table.lines[index]), "timestamp", _text(table.frame.at[index, "timestamp"]), message)))


def _note_faults(quality: TableQuality, faults: dict[int, list[tuple[str, Problem]]], rejected: set[int]) -> None:
    by_kind: dict[str, list[Problem]] = defaultdict(list)
    for index, row in faults.items():
        for kind, problem in row:
            # A rejected row's repairable faults do not matter: the whole row is gone.
            if index in rejected and FAULTS[kind][0]:
                continue
            by_kind[kind].append(problem)
    for kind, (_, words) in FAULTS.items():
        problems = by_kind.get(kind)
        if problems:
            columns = sorted({problem.column for problem in problems if problem.column})
            quality.notes.append(translatable("{fault} ({columns}): {count} ({values})", fault=words,
                                              columns=", ".join(columns), count=len(problems),
                                              values=quote_values(problems)))


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
