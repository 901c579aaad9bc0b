"""Tests of the cell types and number formats of report.xlsx, column by column."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from planner.reporting.xlsx_format import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    DECIMAL_FORMAT,
    ID_FORMAT,
    INTEGER_FORMAT,
    MAX_WIDTH,
    MIN_WIDTH,
    PERCENT_FORMAT,
    column_width,
    typed_column,
)


def test_typed_column_autumn_repeated_hour():
    # 2013-10-27 in Rome: 02:00 occurs twice, first at +02:00 then at +01:00.
    series = pd.Series(["2013-10-27T02:00:00+02:00", "2013-10-27T02:00:00+01:00", ""], dtype=object)
    column = typed_column("timestamp", series)

    assert column.values == [datetime(2013, 10, 27, 2, 0), datetime(2013, 10, 27, 2, 0), None]
    assert column.number_format == DATETIME_FORMAT
    assert column.is_time
    assert column.utc_offsets == 2


def test_typed_column_dates():
    column = typed_column("date", pd.Series(["2013-11-24", "2013-11-25"], dtype=object))

    assert column.values == [date(2013, 11, 24), date(2013, 11, 25)]
    assert column.number_format == DATE_FORMAT
    assert not column.is_time


def test_typed_column_ids():
    numeric = typed_column("cell_id", pd.Series(["5641", "1094"], dtype=object))
    leading_zero = typed_column("cell_id", pd.Series(["0123", "1094"], dtype=object))
    other_column = typed_column("event_id", pd.Series(["5641"], dtype=object))

    assert numeric.values == [5641, 1094]
    assert numeric.number_format == ID_FORMAT
    assert leading_zero.values == ["0123", "1094"]
    assert leading_zero.number_format is None
    assert other_column.number_format is None


def test_typed_column_number_formats():
    utilisation = typed_column("utilisation_p90", pd.Series([0.8188, np.nan]))
    counts = typed_column("rows_read", pd.Series([67200, 10]))
    whole_floats = typed_column("handle_time_seconds", pd.Series([900.0, 180.0]))
    decimals = typed_column("p90", pd.Series([1306.8075, 26.6]))

    assert utilisation.number_format == PERCENT_FORMAT
    assert counts.number_format == INTEGER_FORMAT
    assert whole_floats.number_format == INTEGER_FORMAT
    assert decimals.number_format == DECIMAL_FORMAT
    assert decimals.width == len("1,306.81")


def test_typed_column_text_and_empty():
    text = typed_column("name", pd.Series(["Inter – Sampdoria (Serie A)", None], dtype=object))
    empty = typed_column("busy_hour", pd.Series([], dtype=object))

    assert text.number_format is None
    assert text.values == ["Inter – Sampdoria (Serie A)", None]
    assert empty.number_format is None
    assert empty.values == []


def test_column_width_bounds():
    narrow = typed_column("kind", pd.Series(["a"], dtype=object))
    wide = typed_column("notes", pd.Series(["x" * 200], dtype=object))
    times = typed_column("timestamp", pd.Series(["2013-11-25T00:00:00+01:00"], dtype=object))

    assert column_width("Type", narrow) == MIN_WIDTH
    assert column_width("Notes", wide) == MAX_WIDTH
    # The header is longer than a formatted time, so it sets the width, plus a margin of 2.
    assert column_width("Heure (Europe/Rome)", times) == len("Heure (Europe/Rome)") + 2
