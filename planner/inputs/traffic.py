"""Read and validate the traffic table from CSV or Parquet, with the bad-row policy of the settings.

Every bad row is found in one pass and classified by its fault:

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

import pandas as pd

from planner.inputs.accounting import index_of_line, note_extra_columns, quote_values, table_quality
from planner.inputs.dataset import TableQuality
from planner.inputs.errors import InputError, Problem
from planner.inputs.parquet import read_parquet_table
from planner.inputs.reading import RawTable, describe_lines, parse_numbers, read_csv_table
from planner.inputs.schemas import traffic_schema
from planner.inputs.settings import Settings
from planner.inputs.timestamps import parse_timestamp_column
from planner.inputs.validation import table_failures
from planner.messages import translatable

logger = logging.getLogger(__name__)

PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")

# Fault kind: (repairable, words for the data-quality note).
FAULTS: dict[str, tuple[bool, str]] = {
    "not_a_number": (True, translatable("values set to missing because they are not numbers")),
    "negative": (True, translatable("values set to missing because they are negative")),
    "timestamp": (False, translatable("rows rejected because the timestamp is missing, invalid or does not exist")),
    "off_grid": (False, translatable("rows rejected because the timestamp is off the step grid")),
    "cell": (False, translatable("rows rejected because cell_id is empty or not in cells.csv")),
    "duplicate": (False, translatable("rows rejected because an earlier line has the same cell_id and timestamp "
                                      "(the first row is kept)")),
}
_CHECK_FAULTS = {"traffic_non_negative": "negative", "on_step_grid": "off_grid", "non_empty": "cell",
                 "known_cell": "cell"}


def read_traffic(path: str | Path, settings: Settings, known_cells: Collection[str] | None = None, *,
                 cell_ids: Collection[str] | None = None) -> tuple[pd.DataFrame, TableQuality]:
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

    _check_rows(frame, table, settings, known_cells, faults, file_problems)
    _check_duplicates(frame, table, faults)

    row_problems = [problem for row in faults.values() for _, problem in row]
    if file_problems or (row_problems and inputs.on_bad_rows == "reject_file"):
        raise InputError(sorted(file_problems + row_problems, key=lambda problem: (problem.row or 0,
                                                                                  problem.column or "")))

    rejected = {index for index, row in faults.items() if any(not FAULTS[kind][0] for kind, _ in row)}
    repaired = ({index for index in faults if index not in rejected} | set(timestamps.shifted)) - rejected
    for index in repaired:
        for kind, problem in faults.get(index, []):
            if kind == "negative":
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
        logger.warning("%s: %d rows repaired and %d rejected under [inputs] on_bad_rows = %r", table.file,
                       len(repaired), len(rejected), inputs.on_bad_rows)

    frame = frame.drop(index=sorted(rejected))
    for name in measures:
        missing = int(frame[name].isna().sum())
        quality.missing_values[name] = missing
        if missing:
            quality.notes.append(translatable("{measure}: {count} of {total} values missing (empty fields)",
                                              measure=name, count=missing, total=len(frame)))
    frame = frame.sort_values(["cell_id", "timestamp"], kind="stable").reset_index(drop=True)
    frame["cell_id"] = frame["cell_id"].astype(str)
    return frame, quality


def _only_cells(table: RawTable, cell_ids: Collection[str]) -> RawTable:
    """Return the CSV table with only the rows of the given cells, keeping their line numbers."""
    keep = table.frame["cell_id"].isin({str(cell) for cell in cell_ids}).to_numpy()
    frame = table.frame[keep].reset_index(drop=True)
    lines = pd.Series(table.lines.to_numpy()[keep], index=frame.index)
    return replace(table, frame=frame, lines=lines, rows_read=len(frame))


def _check_rows(frame: pd.DataFrame, table: RawTable, settings: Settings, known_cells: Collection[str] | None,
                faults: dict[int, list[tuple[str, Problem]]], file_problems: list[Problem]) -> None:
    """Add the faults that the pandera schema finds: empty or unknown cells, off-grid times, negatives.

    Fields that already have a problem in ``faults`` or ``file_problems`` are not reported again.
    """
    schema = traffic_schema(settings.measure_names, settings.step_minutes, known_cells)
    # Repeated (cell_id, timestamp) pairs are found by _check_duplicates, among the rows with a valid timestamp.
    schema.unique = None
    reported = {(index, problem.column) for index, row in faults.items() for _, problem in row}
    reported |= {(index_of_line(table, problem.row), problem.column) for problem in file_problems}
    grid_message = translatable("timestamp is not on the {minutes}-minute grid of [traffic] step_minutes; write the "
                                "start of the interval, or set step_minutes to the data's step",
                                minutes=settings.step_minutes)
    negative_message = translatable("negative traffic value; write the measured value, or leave the field empty when "
                                    "it is missing (a missing-value code such as -1 must be an empty field)")
    for failure in table_failures(frame, schema, table, reported,
                                  messages={"on_step_grid": grid_message, "traffic_non_negative": negative_message}):
        if failure.index is None or failure.check not in _CHECK_FAULTS:
            raise InputError([failure.problem])
        faults[failure.index].append((_CHECK_FAULTS[failure.check], failure.problem))


def _check_duplicates(frame: pd.DataFrame, table: RawTable, faults: dict[int, list[tuple[str, Problem]]]) -> None:
    """Add a fault for every row after the first with the same cell_id and timestamp."""
    valid = frame["timestamp"].notna()
    keyed = frame.loc[valid, ["cell_id", "timestamp"]]
    repeated = keyed.duplicated(keep="first")
    if not repeated.any():
        return
    first_index = keyed.reset_index().groupby(["cell_id", "timestamp"], sort=False)["index"].transform("first")
    first_index.index = keyed.index
    measures = [column for column in frame.columns if column not in ("cell_id", "timestamp")]
    for index in keyed.index[repeated]:
        first = int(first_index[index])
        same = frame.loc[[first, index], measures].fillna(-1.0).nunique().max() <= 1 if measures else True
        values = translatable("the same values") if same else translatable("different values")
        faults[int(index)].append(("duplicate", Problem(
            table.file, int(table.lines[index]), "timestamp", _text(table.frame.at[index, "timestamp"]),
            translatable("duplicate row; line {line:d} has the same cell_id and timestamp, with {values}. Keep one "
                         "row per cell and time step", line=int(table.lines[first]), values=values))))


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
