"""Run a pandera schema on a parsed table and turn its failure cases into problems."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from planner.inputs.errors import Problem
from planner.inputs.reading import RawTable
from planner.inputs.schemas import CHECK_MESSAGES
from planner.messages import Message, translatable

# The column a row-wise check is reported under, for checks that read several columns.
_REPORTED_COLUMN = {"end_after_start": "end", "attendance_order": "expected_attendance"}


@dataclass(frozen=True)
class Failure:
    """One failing field: the check's name, the row's index in the frame and the problem to report."""

    check: str
    index: int | None
    problem: Problem


def validate_table(frame: pd.DataFrame, schema: pa.DataFrameSchema, table: RawTable,
                   reported: Collection[tuple[int, str]] = (),
                   reject_checks: Collection[str] = (),
                   messages: dict[str, str] | None = None) -> tuple[list[Problem], dict[int, str]]:
    """Validate ``frame`` lazily and translate every failure case.

    Parameters
    ----------
    frame : DataFrame
        The parsed table, with the same index as ``table.frame``.
    schema : pandera.DataFrameSchema
        A schema from ``planner.inputs.schemas``.
    table : RawTable
        The file as read: its line numbers and the original text of each
        field, which the problems quote.
    reported : collection of (index, column)
        Fields that already have a problem (such as a value that is not a
        number); their failure cases are not reported twice.
    reject_checks : collection of str
        Names of checks whose failing rows are rejected instead of raised.
    messages : dict, optional
        Check name to message, replacing the one in ``CHECK_MESSAGES``.

    Returns
    -------
    problems : list of Problem
        One per failing field, sorted by line, for the checks not in
        ``reject_checks``. For a uniqueness check, every occurrence after the
        first one.
    rejected : dict
        Index of each rejected row to the name of the first check it failed.
    """
    problems: list[Problem] = []
    rejected: dict[int, str] = {}
    for failure in table_failures(frame, schema, table, reported, messages):
        if failure.check in reject_checks and failure.index is not None:
            rejected.setdefault(failure.index, failure.check)
        else:
            problems.append(failure.problem)
    problems.sort(key=lambda problem: (problem.row or 0, problem.column or ""))
    return problems, rejected


def table_failures(frame: pd.DataFrame, schema: pa.DataFrameSchema, table: RawTable,
                   reported: Collection[tuple[int, str]] = (),
                   messages: dict[str, str] | None = None) -> list[Failure]:
    """Validate ``frame`` lazily and return every failing field with its check's name.

    The parameters are those of :func:`validate_table`.
    """
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        cases = error.failure_cases
    else:
        return []

    skip = set(reported)
    messages = {**CHECK_MESSAGES, **(messages or {})}
    failures: list[Failure] = []
    seen: set[tuple[int, str, str]] = set()
    first_occurrences: dict[tuple[str, ...], dict[int, int]] = {}
    for case in cases.itertuples(index=False):
        check = str(case.check)
        if pd.isna(case.index):
            failures.append(Failure(check, None, Problem(table.file, None, _text(case.column),
                                                         _plain(case.failure_case),
                                                         translatable("failed check {check}", check=check))))
            continue
        index = int(case.index)
        column = _REPORTED_COLUMN.get(check, str(case.column))
        if (index, column) in skip or (index, column, check) in seen:
            continue
        if check in ("field_uniqueness", "multiple_fields_uniqueness"):
            keys = list(schema.unique or []) if check == "multiple_fields_uniqueness" else [column]
            column = keys[0]
            if tuple(keys) not in first_occurrences:
                first_occurrences[tuple(keys)] = _first_occurrence(frame, keys)
            first = first_occurrences[tuple(keys)].get(index)
            if first is None or (index, column, check) in seen:
                continue
            message = _duplicate_message(keys, int(table.lines[first]), check)
        else:
            message = messages.get(check, translatable("failed check {check}", check=check))
            if check == "end_after_start":
                message = translatable("{problem} (start {start})", problem=message,
                                       start=_text(table.frame.at[index, "start"]))
        seen.add((index, column, check))
        failures.append(Failure(check, index, Problem(table.file, int(table.lines[index]), column,
                                                      _original(table, frame, index, column), message)))
    return failures


def _first_occurrence(frame: pd.DataFrame, keys: list[str]) -> dict[int, int]:
    """Map each repeated row's index to the index of the first row with the same keys."""
    duplicated = frame.duplicated(subset=keys, keep="first")
    if not duplicated.any():
        return {}
    first_index = frame.reset_index().groupby(keys, sort=False, dropna=False)["index"].transform("first")
    first_index.index = frame.index
    return {int(index): int(first_index[index]) for index in frame.index[duplicated]}


def _duplicate_message(keys: list[str], first_line: int, check: str) -> Message:
    if check == "field_uniqueness":
        return translatable("duplicate {column}; line {line:d} has the same value. Give every row its own {column}",
                            column=keys[0], line=first_line)
    return translatable("duplicate row; line {line:d} has the same {columns}. Keep one row per cell and time step",
                        line=first_line, columns=" and ".join(keys))


def _original(table: RawTable, frame: pd.DataFrame, index: int, column: str):
    """Return a field as written in a CSV file, such as ``-5`` rather than ``-5.0``, and as stored in Parquet."""
    if column in table.frame.columns and not pd.api.types.is_numeric_dtype(table.frame[column]):
        return _text(table.frame.at[index, column])
    if column in frame.columns and pd.notna(frame.at[index, column]):
        return _plain(frame.at[index, column])
    if column in table.frame.columns:
        return _text(table.frame.at[index, column])
    return None


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value
