"""Cell types, number formats and column widths of ``report.xlsx``.

The tables arrive as they are written to the CSV files: times as ISO 8601
text with the UTC offset, dates as ``YYYY-MM-DD``, ids as text. Excel
sorts, filters and sums only real dates and numbers, so this module turns
them back into Python values and picks an Excel number format per column.

Excel has no time zone, so a time is written as the naive local time of the
dataset's zone and its column header names the zone. Dates and times use
Excel's built-in formats 14 and 22, which Excel and LibreOffice show in the
short date style of the reader's system (``25/11/2013 00:00`` in a French
Excel). The other formats are stored in Excel's US syntax and shown with the
reader's grouping and decimal signs (``#,##0.00`` shows as ``1 234,50`` in a
French Excel).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

DATE_FORMAT = "mm-dd-yy"
"""Excel's built-in format 14: the short date of the reader's system."""
DATETIME_FORMAT = "m/d/yy h:mm"
"""Excel's built-in format 22: the short date and time of the reader's system."""
PERCENT_FORMAT = "0.0%"
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
ID_FORMAT = "0"
"""Numeric ids, such as Milan's square numbers, are numbers without digit grouping."""

# Columns of fractions, shown as percentages as in the HTML report.
PERCENT_COLUMNS: frozenset[str] = frozenset({
    "utilisation_p90", "threshold", "service_level_target", "expected_service_level", "service_level",
    "max_occupancy", "service_level_probability", "utilisation_after_action", "margin_after_action",
    "grade_of_service", "blocking_at_installed",
})
ID_COLUMNS: frozenset[str] = frozenset({"cell_id", "peak_cell_id"})
MIN_WIDTH, MAX_WIDTH = 8, 60
"""Column widths, in characters of the default font; Excel cuts a longer text at the next filled cell."""
# Width of a formatted date and time or a date, which the text length of the Python value does not give.
_TIME_WIDTH, _DATE_WIDTH = 16, 10

_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?[+-]\d{2}:\d{2}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class TypedColumn:
    """A column of a sheet as written: its values, Excel number format, width and whether it contains times."""

    values: list[object]
    number_format: str | None
    width: int
    is_time: bool = False
    utc_offsets: int = 0
    """How many UTC offsets the times have: 2 in a week with a daylight-saving change."""


def typed_column(name: str, series: pd.Series) -> TypedColumn:
    """Return the values of a CSV column as Excel cell values, with their number format and width.

    ISO times become naive local datetimes, because the text is already in
    local time. ISO dates become dates, and a column of whole-number ids
    becomes integers. Numbers get a format by column: percentages, whole
    numbers with digit grouping, or two fixed decimals. Text stays text.
    """
    present = [value for value in series if not _is_missing(value)]
    texts = [value for value in present if isinstance(value, str)]
    if present and len(texts) == len(present):
        if all(_ISO_TIME.match(text) for text in texts):
            offsets = {text[-6:] for text in texts}
            values = [None if _is_missing(value) else datetime.fromisoformat(value).replace(tzinfo=None)
                      for value in series]
            return TypedColumn(values, DATETIME_FORMAT, _TIME_WIDTH, is_time=True, utc_offsets=len(offsets))
        if all(_ISO_DATE.match(text) for text in texts):
            values = [None if _is_missing(value) else date.fromisoformat(value) for value in series]
            return TypedColumn(values, DATE_FORMAT, _DATE_WIDTH)
        if name in ID_COLUMNS and all(text.isdigit() and str(int(text)) == text for text in texts):
            values = [None if _is_missing(value) else int(value) for value in series]
            return TypedColumn(values, ID_FORMAT, _width(texts))
    values = list(series)
    numbers = [value for value in present if _is_number(value)]
    if not present or len(numbers) < len(present):
        return TypedColumn(values, None, _width([str(value) for value in present]))
    if name in PERCENT_COLUMNS:
        return TypedColumn(values, PERCENT_FORMAT, _width([f"{value:.1%}" for value in numbers]))
    if all(float(value).is_integer() for value in numbers):
        return TypedColumn(values, INTEGER_FORMAT, _width([f"{value:,.0f}" for value in numbers]))
    return TypedColumn(values, DECIMAL_FORMAT, _width([f"{value:,.2f}" for value in numbers]))


def column_width(header: str, column: TypedColumn) -> int:
    """Return the width of a column: its longest value or its header, between ``MIN_WIDTH`` and ``MAX_WIDTH``."""
    return max(MIN_WIDTH, min(MAX_WIDTH, max(column.width, len(header)) + 2))


def _width(texts: list[str]) -> int:
    return max((len(text) for text in texts), default=0)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT or value == "":
        return True
    return isinstance(value, (float, np.floating)) and np.isnan(value)
