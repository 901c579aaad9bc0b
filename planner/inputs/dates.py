"""Detect the date format of a timestamp column and rewrite it as ISO 8601.

A column contains one format: ISO 8601 (``2024-01-05``, ``2024-01-05T14:30:00+01:00``)
or a numeric date with the year last (``05/01/2024``, ``05/01/2024 14:30``,
also with ``.`` or ``-`` between the parts), optionally followed by a UTC
offset. A numeric date is day first or month first for the whole column:

- a column where some first part is above 12 is day first, and one where some
  second part is above 12 is month first;
- a column where both happen mixes the two orders and is rejected, with a
  problem on each row of the less common order;
- a column where every part is 12 or less is ambiguous and follows
  ``[inputs] date_format``; with ``"auto"`` it is read day first, the
  convention of French spreadsheet software, and the choice is logged and
  noted in the data quality.

A column that mixes ISO and numeric dates is rejected the same way. The
format is never guessed row by row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from planner.inputs.errors import Problem
from planner.messages import Message, translatable

logger = logging.getLogger(__name__)

_ISO = r"^\d{4}-\d{2}-\d{2}"
_NUMERIC = (r"^(?P<first>\d{1,2})(?P<mark>[/.-])(?P<second>\d{1,2})(?P=mark)(?P<year>\d{4})"
            r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second_of_minute>\d{2}(?:\.\d+)?))?)?"
            r"\s*(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?$")
FORMAT_NAMES = {"iso": translatable("ISO 8601 (YYYY-MM-DD)"), "day_first": translatable("day first (DD/MM/YYYY)"),
                "month_first": translatable("month first (MM/DD/YYYY)")}


@dataclass
class DateColumn:
    """A timestamp column rewritten as ISO 8601 text, with what the rewrite found."""

    text: pd.Series
    date_format: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def normalize_dates(values: pd.Series, file: str, column: str, lines: pd.Series,
                    date_format: str = "auto") -> DateColumn:
    """Rewrite a column of date text as ISO 8601 text, one format for the whole column.

    Parameters
    ----------
    values : Series of str
        The column as read, stripped; empty string where missing.
    file, column : str
        Where the values come from, for the problems.
    lines : Series of int
        The 1-based line number of each value (header = line 1).
    date_format : str
        ``"auto"``, ``"iso"``, ``"day_first"`` or ``"month_first"``.

    Returns
    -------
    DateColumn
        ``text`` has numeric dates rewritten as ``YYYY-MM-DD HH:MM:SS`` with
        any offset kept, and every other value unchanged, so that the ISO
        parser reports it. ``problems`` lists the rows whose format
        disagrees with the column's.
    """
    text = values.fillna("").astype(str)
    iso = text.str.contains(_ISO, regex=True)
    parts = text.str.extract(_NUMERIC)
    numeric = parts["first"].notna()
    result = DateColumn(text=text.copy(), date_format="iso")
    if not numeric.any():
        if date_format in ("day_first", "month_first") and iso.any():
            result.problems += _disagreeing(iso, file, column, lines, text,
                                            translatable("date is ISO 8601 but [inputs] date_format is {setting!r}; "
                                                         "write it {format} or change the setting",
                                                         setting=date_format, format=FORMAT_NAMES[date_format]))
        return result

    if date_format == "iso":
        result.problems += _disagreeing(numeric, file, column, lines, text,
                                        translatable("date is not ISO 8601 but [inputs] date_format is 'iso'; "
                                                     "write it as YYYY-MM-DD or change the setting"))
        return result
    if date_format == "auto" and iso.sum() > numeric.sum():
        result.problems += _disagreeing(numeric, file, column, lines, text, _mixed_message("iso", iso, lines))
        return result
    if iso.any():
        result.problems += _disagreeing(iso, file, column, lines, text, _mixed_message("numeric", numeric, lines))

    first, second = parts["first"].astype(float), parts["second"].astype(float)
    day_first_rows, month_first_rows = numeric & (first > 12), numeric & (second > 12)
    if date_format == "auto":
        if day_first_rows.any() and month_first_rows.any():
            minority = month_first_rows if month_first_rows.sum() <= day_first_rows.sum() else day_first_rows
            majority = "day_first" if minority is month_first_rows else "month_first"
            example = int(lines[(day_first_rows if majority == "day_first" else month_first_rows).idxmax()])
            result.problems += _disagreeing(
                minority, file, column, lines, text,
                translatable("date is not {format} like line {line:d}; write every date of the column in one "
                             "order, or declare it with [inputs] date_format", format=FORMAT_NAMES[majority],
                             line=example))
            order = majority
        elif month_first_rows.any():
            order = "month_first"
        else:
            order = "day_first"
            if not day_first_rows.any():
                note = translatable("{column}: every date has day and month 12 or less, so the order is ambiguous; "
                                    "read as {format}, the default. Declare [inputs] date_format to change it",
                                    column=column, format=FORMAT_NAMES["day_first"])
                result.notes.append(note)
                logger.info("%s: %s", file, note)
    else:
        order = date_format
        wrong = month_first_rows if order == "day_first" else day_first_rows
        result.problems += _disagreeing(wrong, file, column, lines, text,
                                        translatable("invalid date for [inputs] date_format = {setting!r}: the "
                                                     "month is above 12; fix the date or change the setting",
                                                     setting=order))
    result.date_format = order
    day, month = (parts["first"], parts["second"]) if order == "day_first" else (parts["second"], parts["first"])
    rewritten = (parts["year"] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + " "
                 + parts["hour"].fillna("0").str.zfill(2) + ":" + parts["minute"].fillna("00") + ":"
                 + parts["second_of_minute"].fillna("00").str.zfill(2) + parts["offset"].fillna(""))
    result.text = text.where(~numeric, rewritten)
    return result


def _mixed_message(majority: str, majority_rows: pd.Series, lines: pd.Series) -> Message:
    example = int(lines[majority_rows.idxmax()])
    if majority == "iso":
        return translatable("date is not ISO 8601 like line {line:d} and the rest of the column; write every date "
                            "of the column in one format", line=example)
    return translatable("date is ISO 8601 but the column's dates are numeric like line {line:d}; write every date "
                        "of the column in one format", line=example)


def _disagreeing(rows: pd.Series, file: str, column: str, lines: pd.Series, text: pd.Series,
                 message: str) -> list[Problem]:
    return [Problem(file, int(lines[index]), column, text[index], message) for index in rows.index[rows]]
