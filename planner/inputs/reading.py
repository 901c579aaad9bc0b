"""Read a CSV file into text and number columns, keeping each row's line number.

Only an empty field is a missing value: text such as ``NA`` or ``nan`` in a
number column is reported as invalid instead of being read as missing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.errors import InputError, Problem


@dataclass
class RawTable:
    """A CSV file as read, before validation.

    ``frame`` has a default RangeIndex. ``lines`` maps each index to its
    1-based line number in the file (header = line 1). Blank lines are kept
    out of ``frame`` and listed in ``blank_lines``.
    """

    file: str
    frame: pd.DataFrame
    lines: pd.Series
    columns_found: list[str]
    blank_lines: list[int] = field(default_factory=list)
    rows_read: int = 0


def read_csv_table(path: str | Path, required: list[str], text_columns: list[str],
                   column_reasons: dict[str, str] | None = None) -> RawTable:
    """Read a CSV file, checking its header first.

    Parameters
    ----------
    path : str or Path
        The CSV file, UTF-8, comma separated, with a header line.
    required : list of str
        Columns that must be in the header.
    text_columns : list of str
        Columns read as text (stripped of surrounding spaces, empty string
        where missing). Every other column is left for
        :func:`parse_numbers`.
    column_reasons : dict, optional
        Why a required column is needed, added to its missing-column problem.

    Raises
    ------
    InputError
        If the file is missing, unreadable, has no header, repeats a column
        name or lacks a required column (one problem per missing column,
        listing the columns found).
    """
    path = Path(path)
    file = str(path)
    header = _read_header(path)
    problems = []
    repeated = sorted({name for name in header if header.count(name) > 1})
    for name in repeated:
        problems.append(Problem(file, 1, name, None, "column name appears more than once in the header; "
                                                     "rename or remove the extra column"))
    found = ", ".join(header) if header else "(none)"
    reasons = column_reasons or {}
    for name in required:
        if name not in header:
            reason = f" because {reasons[name]}" if name in reasons else ""
            problems.append(Problem(file, 1, name, None,
                                    f"missing column; the header has: {found}. Add the column {name!r}{reason}"))
    if problems:
        raise InputError(problems)

    dtypes = {name: str for name in text_columns if name in header}
    try:
        frame = pd.read_csv(path, header=0, names=header, dtype=dtypes, keep_default_na=False, na_values=[""],
                            skip_blank_lines=False, encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError([Problem(file, None, None, None,
                                  f"the file is not valid UTF-8 ({error.reason} at byte {error.start}); "
                                  "save it as UTF-8")]) from None
    except pd.errors.ParserError as error:
        raise InputError([Problem(file, None, None, None,
                                  f"invalid CSV: {error}; every line needs as many fields as the header")]) from None

    lines = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
    blank = frame.isna().all(axis=1) if len(frame.columns) else pd.Series(False, index=frame.index)
    blank_lines = [int(line) for line in lines[blank]]
    rows_read = len(frame)
    frame = frame.loc[~blank].reset_index(drop=True)
    lines = lines.loc[~blank].reset_index(drop=True)

    for name in dtypes:
        frame[name] = frame[name].fillna("").astype(str).str.strip()
    return RawTable(file=file, frame=frame, lines=lines, columns_found=header,
                    blank_lines=blank_lines, rows_read=rows_read)


def parse_numbers(table: RawTable, column: str) -> tuple[pd.Series, list[Problem]]:
    """Return a column as float64, NaN where empty, with a problem per value that is not a finite number."""
    values = table.frame[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        text = values
    else:
        text = values.astype("object").where(values.notna(), "").astype(str).str.strip()
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
        text = text.where(text != "")
    bad = (text.notna() & numbers.isna()) | np.isinf(numbers)
    problems = [
        Problem(table.file, int(table.lines[index]), column, _plain(text[index]),
                "invalid number; write a plain decimal number such as 12.5 (dot as decimal separator), "
                "or leave the field empty when the value is missing")
        for index in numbers.index[bad]
    ]
    return numbers.where(~bad), problems


def describe_lines(lines: list[int] | pd.Index | np.ndarray, max_ranges: int = 40) -> str:
    """Describe line numbers compactly as ``lines 3-7, 12`` (at most ``max_ranges`` ranges)."""
    ordered = sorted(int(line) for line in lines)
    ranges: list[tuple[int, int]] = []
    for line in ordered:
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], line)
        elif not ranges or line != ranges[-1][1]:
            ranges.append((line, line))
    parts = [f"{first}" if first == last else f"{first}-{last}" for first, last in ranges[:max_ranges]]
    hidden = len(ranges) - len(parts)
    if hidden > 0:
        parts.append(f"and {hidden} more ranges")
    word = "line" if len(ordered) == 1 else "lines"
    return f"{word} {', '.join(parts)}"


def _read_header(path: Path) -> list[str]:
    file = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except FileNotFoundError:
        raise InputError([Problem(file, None, None, None, "file not found; every dataset folder needs this file")]) from None
    except UnicodeDecodeError as error:
        raise InputError([Problem(file, 1, None, None,
                                  f"the file is not valid UTF-8 ({error.reason}); save it as UTF-8")]) from None
    if not header:
        raise InputError([Problem(file, 1, None, None, "the file is empty; the first line must be the header")])
    return [name.strip() for name in header]


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
