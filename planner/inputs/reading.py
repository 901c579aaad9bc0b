"""Read a CSV file into text columns, keeping each row's line number.

Only an empty field is a missing value: text such as ``NA`` or ``nan`` in a
number column is reported as invalid instead of being read as missing.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.dialect import SEPARATOR_NAMES, CsvDialect, decode_file, detect_separator
from planner.inputs.errors import InputError, Problem
from planner.inputs.numbers import detect_decimal, number_problem, parse_number_text
from planner.inputs.settings import InputSettings
from planner.messages import Message, translatable, translatable_plural

logger = logging.getLogger(__name__)


@dataclass
class RawTable:
    """A CSV file as read, before validation.

    ``frame`` has a default RangeIndex and contains every field as stripped
    text (a Parquet table keeps its column types). ``lines`` maps each index
    to its 1-based line number in the file (header = line 1); for a Parquet
    file it is the row number counted the same way. Blank lines are kept out
    of ``frame`` and listed in ``blank_lines``. ``notes`` say how the file was
    read when that differs from plain UTF-8 CSV, and ``problems`` hold the
    problems of the whole file found after the header (such as mixed decimal
    marks or a line with the wrong number of fields), which no repair can fix.
    """

    file: str
    frame: pd.DataFrame
    lines: pd.Series
    columns_found: list[str]
    blank_lines: list[int] = field(default_factory=list)
    rows_read: int = 0
    dialect: CsvDialect | None = None
    decimal: str = "."
    decimal_reason: str = ""
    decimal_known: bool = True
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_csv_table(path: str | Path, required: list[str], text_columns: list[str],
                   column_reasons: dict[str, str] | None = None, inputs: InputSettings | None = None,
                   number_columns: list[str] | None = None) -> RawTable:
    """Read a CSV file, checking its header first.

    Parameters
    ----------
    path : str or Path
        The CSV file with a header line. Its encoding, separator and decimal
        mark are detected unless ``inputs`` declares them (see
        ``planner.inputs.dialect`` and ``planner.inputs.numbers``).
    required : list of str
        Columns that must be in the header.
    text_columns : list of str
        Columns read as text (stripped of surrounding spaces, empty string
        where missing). Every other column is left for
        :func:`parse_numbers`.
    column_reasons : dict, optional
        Why a required column is needed, added to its missing-column problem.
    inputs : InputSettings, optional
        The ``[inputs]`` settings; detection for every field when omitted.
    number_columns : list of str, optional
        The columns whose fields decide the decimal mark; by default the
        required columns that are not text.

    Raises
    ------
    InputError
        If the file is missing, cannot be decoded, has no header, repeats a
        column name, or lacks a required column (one problem per missing
        column, listing the columns found). A line with more or fewer fields
        than the header is left out of ``frame`` and gets a problem in
        ``problems``, which the readers raise with the problems of the other
        lines.
    """
    path = Path(path)
    file = str(path)
    inputs = inputs or InputSettings()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(file, None, None, None, translatable("file not found; every dataset folder needs "
                                                                       "this file"))]) from None
    text, encoding, encoding_detected = decode_file(data, file, inputs.encoding)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise InputError([Problem(file, 1, None, None, translatable("the file is empty; the first line must be the "
                                                                    "header"))])
    separator, separator_detected = detect_separator(first_line, required, inputs.separator)
    dialect = CsvDialect(encoding, separator, encoding_detected, separator_detected)

    records = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = [name.strip() for name in next(records)]
    check_header(file, header, required, column_reasons, dialect)

    rows: list[list[str]] = []
    row_lines: list[int] = []
    blank_lines: list[int] = []
    ragged: list[Problem] = []
    line = records.line_num
    for record in records:
        first = line + 1
        line = records.line_num
        if not any(field.strip() for field in record):
            blank_lines.append(first)
            continue
        if len(record) != len(header):
            ragged.append(Problem(file, first, None, separator.join(record),
                                  translatable("the line has {count} fields but the header has {expected}; quote "
                                               "a field that contains the separator ({separator}), and give every "
                                               "line as many fields as the header", count=len(record),
                                               expected=len(header), separator=SEPARATOR_NAMES[separator])))
            continue
        rows.append([field.strip() for field in record])
        row_lines.append(first)

    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header, dtype=object)
    for name in header:
        frame[name] = frame[name].astype(object)
    lines = pd.Series(np.array(row_lines, dtype=np.int64), index=frame.index)
    # A line with the wrong number of fields is left out and listed with the file's problems, so that the
    # readers still check the other lines and report every problem at once.
    table = RawTable(file=file, frame=frame, lines=lines, columns_found=header, blank_lines=blank_lines,
                     rows_read=len(rows) + len(blank_lines), dialect=dialect, problems=ragged)

    numbers = [name for name in (number_columns or [c for c in required if c not in text_columns]) if name in header]
    _resolve_decimal(table, numbers, inputs.decimal)
    logger.info("%s: read with %s, decimal mark %r", file, dialect.describe(), table.decimal)
    if not dialect.is_plain or table.decimal != ".":
        reason = translatable("declared") if inputs.decimal != "auto" else table.decimal_reason
        table.notes.append(translatable("read with {dialect}, decimal mark {decimal!r} ({reason})",
                                        dialect=dialect.describe(), decimal=table.decimal, reason=reason))
    return table


def check_header(file: str, header: list[str], required: list[str], column_reasons: dict[str, str] | None,
                 dialect: CsvDialect | None = None) -> None:
    """Raise ``InputError`` for each repeated column name and each missing required column."""
    problems = []
    repeated = sorted({name for name in header if header.count(name) > 1})
    for name in repeated:
        problems.append(Problem(file, 1, name, None, translatable("column name appears more than once in the "
                                                                  "header; rename or remove the extra column")))
    found = ", ".join(header) if header else translatable("(none)")
    reasons = column_reasons or {}
    hint = ""
    if dialect is not None and len(header) == 1:
        hint = translatable(" The header has one field with the {separator} separator; check the separator, or "
                            "declare it with [inputs] separator in settings.toml.",
                            separator=SEPARATOR_NAMES[dialect.separator])
    for name in required:
        if name not in header:
            reason = translatable(" because {reason}", reason=reasons[name]) if name in reasons else ""
            problems.append(Problem(file, 1, name, None,
                                    translatable("missing column; the header has: {found}. Add the column "
                                                 "{column!r}{reason}.{hint}", found=found, column=name,
                                                 reason=reason, hint=hint)))
    if problems:
        raise InputError(problems)


MAX_INPUT_NUMBER = 1e15
"""The largest magnitude accepted in a number field (the messages write it out as 1e15). No count of people,
traffic volume, capacity or coordinate comes near it, and the Erlang sizing fails on values such as 1e300."""


def parse_numbers(table: RawTable, column: str) -> tuple[pd.Series, list[Problem]]:
    """Return a column as float64, NaN where empty, with a problem per value that is not a finite number.

    A number above :data:`MAX_INPUT_NUMBER` in magnitude is a problem too.

    Text is read with the table's decimal mark (see ``planner.inputs.numbers``).
    """
    values = table.frame[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        bad = pd.Series(np.isinf(numbers.to_numpy()), index=values.index)
        text = values
    else:
        text = values.astype("object").where(values.notna(), "").astype(str).str.strip()
        numbers, bad = parse_number_text(text, table.decimal)
        if not table.decimal_known:
            # The file's problems name the fields whose decimal mark disagrees; report only the other ones.
            _, bad_other = parse_number_text(text, "," if table.decimal == "." else ".")
            bad &= bad_other
    problems = [number_problem(table.file, int(table.lines[index]), column, _plain(text[index]), table.decimal)
                for index in numbers.index[bad]]
    too_large = ~bad & (numbers.abs() > MAX_INPUT_NUMBER)
    problems += [Problem(table.file, int(table.lines[index]), column, _plain(text[index]),
                         translatable("number too large to be a real value (above 1e15); check the unit and the "
                                      "value"))
                 for index in numbers.index[too_large]]
    return numbers.where(~(bad | too_large)), problems


def describe_lines(lines: list[int] | pd.Index | np.ndarray, max_ranges: int = 40) -> Message:
    """Describe line numbers compactly as ``lines 3-7, 12`` (at most ``max_ranges`` ranges)."""
    ordered = sorted(int(line) for line in lines)
    ranges: list[tuple[int, int]] = []
    for line in ordered:
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], line)
        elif not ranges or line != ranges[-1][1]:
            ranges.append((line, line))
    parts: list[str] = [f"{first}" if first == last else f"{first}-{last}" for first, last in ranges[:max_ranges]]
    hidden = len(ranges) - len(parts)
    if hidden > 0:
        parts.append(translatable("and {count} more ranges", count=hidden))
    return translatable_plural("line {lines}", "lines {lines}", len(ordered), lines=parts)


def _resolve_decimal(table: RawTable, columns: list[str], declared: str) -> None:
    """Set the table's decimal mark, or add a problem for a file that mixes decimal marks."""
    if declared != "auto":
        table.decimal, table.decimal_reason = declared, "declared"
        return
    fields = pd.concat([table.frame[name] for name in columns], ignore_index=True) if columns else pd.Series([], dtype=object)
    fields = fields[fields.notna() & (fields != "")].astype(str)
    decimal, reason = detect_decimal(fields, table.dialect.separator if table.dialect else ",")
    table.decimal_reason = reason
    if decimal is not None:
        table.decimal = decimal
        return
    table.decimal_known = False
    message = translatable("cannot tell the decimal mark: {reason}; write every number with the same decimal mark, "
                           "or declare it with [inputs] decimal = \".\" or \",\" in settings.toml", reason=reason)
    disagreeing = []
    for name in columns:
        values = table.frame[name].fillna("").astype(str)
        comma = values.str.contains(",", regex=False)
        dot = values.str.contains(".", regex=False)
        minority = comma if comma.sum() <= dot.sum() or not dot.any() else dot
        disagreeing += [(index, name) for index in values.index[minority]]
    if not disagreeing or len(disagreeing) == len(fields):
        table.problems.append(Problem(table.file, None, ", ".join(columns), None, message))
    for index, name in disagreeing:
        table.problems.append(Problem(table.file, int(table.lines[index]), name, table.frame.at[index, name], message))


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
