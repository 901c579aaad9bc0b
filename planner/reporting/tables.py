"""The plan's tables as CSV files: fixed columns, ISO 8601 times with UTC offset.

The CSV files keep the machine values of the plan (``add``, ``night``,
``customer_care_agent``) and English text so that other programs can read
them whatever the report's language. The HTML report and ``report.xlsx``
translate them. Files are UTF-8, comma separated, with a dot as the decimal
sign and an empty field for a missing value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from planner.decisions.actions import EVENT_ACTION_COLUMNS, VOICE_COLUMNS
from planner.decisions.plan import WeeklyPlan
from planner.decisions.staffing import INTERVAL_COLUMNS, STAFFING_MODEL_COLUMNS, describe_staffing_models

FORECAST_COLUMNS: tuple[str, ...] = ("cell_id", "measure", "timestamp", "p10", "p50", "p90", "baseline", "actual")
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id", "name", "kind", "venue_id", "venue_name", "start", "end", "expected_attendance",
    "attendance_low", "attendance_high", "measure", "peak_uplift_ratio", "uplift_ratio_p10",
    "uplift_ratio_p90", "cells_affected", "pooling", "learned_from",
)
CAPACITY_COLUMNS: tuple[str, ...] = (
    "cell_id", "measure", "event_id", "timestamp", "forecast_p90", "capacity", "utilisation_p90", "action",
    "extra_units", "threshold", "extra_unit_name",
)
STAFFING_COLUMNS: tuple[str, ...] = (
    "date", "shift", "role", "expected_load", "required_staff", "service_level_target",
    "expected_service_level", "required_staff_fractional", "hours_covered", "partial_shift",
)
QUALITY_COLUMNS: tuple[str, ...] = (
    "table", "file", "rows_read", "rows_accepted", "rows_repaired", "rows_rejected", "missing_values",
    "imputed_hours", "missing_hours", "notes",
)

# Counts: written without a decimal part when every value is a whole number.
COUNT_COLUMNS: frozenset[str] = frozenset({
    "expected_attendance", "attendance_low", "attendance_high", "attendance_capped_to", "cells_affected",
    "learned_events", "learned_at_venue", "pooled_venues", "extra_units", "required_staff",
    "channels_needed", "channels_installed", "extra_channels", "calibration_arrivals", "staff_on_shift",
})
# Written as ISO 8601 with offset; any other column of datetimes is written the same way.
TIME_COLUMNS: frozenset[str] = frozenset({"timestamp", "start", "end"})
DECIMALS = 4


def forecast_table(plan: WeeklyPlan) -> pd.DataFrame:
    """Return the hourly forecast as written to ``forecast.csv``."""
    return _csv_frame(plan.forecast, FORECAST_COLUMNS, plan.dataset.timezone, "forecast")


def events_table(plan: WeeklyPlan) -> pd.DataFrame:
    """Return the week's events, one row per event and measure, as written to ``events.csv``.

    Columns of the plan's events table beyond the documented ones are kept,
    after them.
    """
    extra = tuple(column for column in plan.events.columns if column not in EVENT_COLUMNS)
    return _csv_frame(plan.events, EVENT_COLUMNS + extra, plan.dataset.timezone, "events")


def capacity_table(plan: WeeklyPlan) -> pd.DataFrame:
    """Return the capacity check of every kept cell-hour as written to ``capacity.csv``."""
    return _csv_frame(plan.capacity, CAPACITY_COLUMNS, plan.dataset.timezone, "capacity")


def staffing_table(plan: WeeklyPlan) -> pd.DataFrame:
    """Return the staffing need per day, shift and role as written to ``staffing.csv``."""
    staffing = plan.staffing
    if "date" in staffing.columns:
        # A calendar date has no offset, so it is written as YYYY-MM-DD whatever its type.
        staffing = staffing.assign(date=[_iso_date(value) for value in staffing["date"]])
    return _csv_frame(staffing, STAFFING_COLUMNS, plan.dataset.timezone, "staffing")


def quality_table(plan: WeeklyPlan, render_note: Callable[[str], str] = str, separator: str = "; ") -> pd.DataFrame:
    """Return the data-quality record of the dataset, one row per input table.

    Columns: ``table``, ``file``, ``rows_read``, ``rows_accepted``,
    ``rows_repaired``, ``rows_rejected``, then ``missing_values``,
    ``imputed_hours`` and ``missing_hours`` as ``measure=count`` pairs joined
    by ``;``, and ``notes`` joined by ``separator``. ``render_note`` turns
    each note into text before the join, such as
    ``planner.reporting.i18n.message_renderer("fr")``, with the separator
    of that language (``planner.reporting.i18n.clause_separator``). The
    defaults keep the English text.
    """
    rows = []
    for table in plan.dataset.quality.tables:
        rows.append({
            "table": table.table,
            "file": table.file,
            "rows_read": table.rows_read,
            "rows_accepted": table.rows_accepted,
            "rows_repaired": table.rows_repaired,
            "rows_rejected": table.rows_rejected,
            "missing_values": _counts_text(table.missing_values),
            "imputed_hours": _counts_text(table.imputed_hours),
            "missing_hours": _counts_text(table.missing_hours),
            "notes": separator.join(render_note(note) for note in table.notes),
        })
    return pd.DataFrame(rows, columns=list(QUALITY_COLUMNS))


def staffing_intervals_table(plan: WeeklyPlan) -> pd.DataFrame:
    """Return every interval's load, sized arrivals, staff on shift and expected service level, per role."""
    intervals = _with_columns(plan.staffing_intervals, INTERVAL_COLUMNS)
    if "date" in intervals.columns:
        intervals = intervals.assign(date=[_iso_date(value) for value in intervals["date"]])
    return _csv_frame(intervals, INTERVAL_COLUMNS, plan.dataset.timezone, "staffing_intervals")


def event_actions_table(plan: WeeklyPlan) -> pd.DataFrame:
    """Return, per event, the cells at risk, the recommended action and the margin it leaves."""
    return _csv_frame(_with_columns(plan.event_actions, EVENT_ACTION_COLUMNS), EVENT_ACTION_COLUMNS,
                      plan.dataset.timezone, "event_actions")


def voice_channels_table(plan: WeeklyPlan) -> pd.DataFrame:
    """Return the voice channels sized by Erlang B per cell, empty when no measure is in Erlangs."""
    return _csv_frame(_with_columns(plan.voice_channels, VOICE_COLUMNS), VOICE_COLUMNS, plan.dataset.timezone,
                      "voice_channels")


def staffing_model_table(plan: WeeklyPlan) -> pd.DataFrame:
    """Return each role's queue model, rates and sizing probability, as calibrated for the plan.

    An infinite patience (a calibration log without abandonment) is written
    as an empty value, because a spreadsheet cell cannot hold infinity.
    """
    models = describe_staffing_models(plan.dataset.settings)
    models["patience_seconds"] = models["patience_seconds"].replace(math.inf, math.nan)
    return _csv_frame(models, STAFFING_MODEL_COLUMNS, plan.dataset.timezone, "staffing_model")


def assumptions_table(plan: WeeklyPlan) -> pd.DataFrame:
    """Return the settings that were assumed rather than measured, with the reason in English, by setting."""
    rows = sorted(plan.assumptions.items())
    return pd.DataFrame(rows, columns=["setting", "reason"]).astype(object)


CSV_TABLES: dict[str, Callable[[WeeklyPlan], pd.DataFrame]] = {
    "forecast.csv": forecast_table,
    "events.csv": events_table,
    "capacity.csv": capacity_table,
    "staffing.csv": staffing_table,
}


# The sheets of report.xlsx, in order: the CSV tables, the staffing model, the service level of every staffing
# interval, the per-event actions, the voice channels, the data-quality record and the assumptions.
SHEET_TABLES: dict[str, Callable[[WeeklyPlan], pd.DataFrame]] = {
    "forecast": forecast_table,
    "events": events_table,
    "capacity": capacity_table,
    "staffing": staffing_table,
    "staffing_model": staffing_model_table,
    "staffing_intervals": staffing_intervals_table,
    "event_actions": event_actions_table,
    "voice_channels": voice_channels_table,
    "data_quality": quality_table,
    "assumptions": assumptions_table,
}


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a table prepared by one of the ``*_table`` functions: UTF-8, comma, no index.

    The bytes are those of ``DataFrame.to_csv``: a float as Python's
    ``repr`` (the shortest text that reads back as the same number), an
    empty field where a value is missing, and a field quoted only when it
    contains a comma, a quote or a line break. Tables of floats, integers,
    booleans and text are formatted column by column, several times faster
    than ``to_csv`` on a forecast of millions of rows; any other table, or
    text that needs quoting, goes through ``to_csv``.
    """
    formats = [_csv_format(frame[name]) for name in frame.columns]
    if any(format_ is None for format_ in formats) or any(_needs_quotes(str(name)) for name in frame.columns):
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", na_rep="")
        return
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(",".join(str(name) for name in frame.columns) + "\n")
        # Slice by slice, so that the text of only one slice of rows is held at a time.
        for first in range(0, len(frame), _CSV_ROWS_PER_SLICE):
            rows = frame.iloc[first:first + _CSV_ROWS_PER_SLICE]
            texts = [format_(rows.iloc[:, position]) for position, format_ in enumerate(formats)]
            handle.write("".join(",".join(row) + "\n" for row in zip(*texts)))


_CSV_ROWS_PER_SLICE = 100_000
_QUOTED_CHARACTERS = (",", '"', "\n", "\r")


def _csv_format(series: pd.Series) -> Callable[[pd.Series], list[str]] | None:
    """Return the function that turns part of a column into its CSV fields as ``to_csv`` writes them.

    None for a column that ``to_csv`` must write itself: another type, or
    text that needs quoting.
    """
    if pd.api.types.is_bool_dtype(series) and not series.isna().any():
        return _boolean_texts
    if series.dtype == np.float64:
        return _float_texts
    if pd.api.types.is_integer_dtype(series):
        return _integer_texts
    if pd.api.types.is_string_dtype(series) or series.dtype == object:
        distinct = series.dropna().unique()
        if all(type(value) is str and not _needs_quotes(value) for value in distinct):
            return _plain_texts
    return None


def _boolean_texts(series: pd.Series) -> list[str]:
    return ["True" if value else "False" for value in series.to_numpy(dtype=bool)]


def _float_texts(series: pd.Series) -> list[str]:
    return ["" if value != value else repr(value) for value in series.to_numpy().tolist()]


def _integer_texts(series: pd.Series) -> list[str]:
    return ["" if value is None else str(value) for value in series.astype(object).where(series.notna(), None)]


def _plain_texts(series: pd.Series) -> list[str]:
    return series.astype(object).where(series.notna(), "").tolist()


def _needs_quotes(text: str) -> bool:
    return any(character in text for character in _QUOTED_CHARACTERS)


def round_for_csv(value: float) -> float:
    """Round to 4 decimals, keeping at least 4 significant digits of a small value.

    ``1234.56789`` gives ``1234.5679`` and ``0.000123456`` gives ``0.0001235``,
    so neither large traffic volumes nor small fractions lose digits that
    matter. NaN and infinities are returned unchanged.
    """
    if not math.isfinite(value) or value == 0:
        return value
    decimals = max(DECIMALS, DECIMALS - 1 - math.floor(math.log10(abs(value))))
    return round(value, decimals)


def _csv_frame(table: pd.DataFrame, columns: tuple[str, ...], timezone: ZoneInfo, name: str) -> pd.DataFrame:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"missing column {', '.join(missing)} in the plan's {name} table; "
                         f"its columns are {', '.join(map(str, table.columns))}")
    frame = table.loc[:, list(columns)].reset_index(drop=True)
    for column in columns:
        series = frame[column]
        if column in TIME_COLUMNS or _is_datetime_column(series):
            frame[column] = _iso_times(series, timezone, f"{name}.{column}")
        elif pd.api.types.is_bool_dtype(series):
            continue
        elif pd.api.types.is_float_dtype(series):
            frame[column] = _rounded(series, whole_numbers=column in COUNT_COLUMNS)
    return frame


def _with_columns(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Return ``table``, or an empty table with ``columns`` when it has no column at all."""
    if table.empty and len(table.columns) == 0:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})
    return table


def _rounded(series: pd.Series, whole_numbers: bool) -> pd.Series:
    values = series.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if whole_numbers and np.all(finite == np.round(finite)):
        return series.round().astype("Int64")
    return pd.Series(_round_for_csv_array(values), index=series.index, dtype=float)


def _round_for_csv_array(values: np.ndarray) -> np.ndarray:
    """Return ``round_for_csv`` of every value, vectorised, with the same results.

    ``numpy.round`` scales, rounds and scales back, which can differ from
    Python's correctly rounded ``round`` where the scaled value lies within a
    few units in the last place of a half, and the number of decimals can
    differ where a value lies that close to a power of ten. Those values go
    through ``round_for_csv`` itself.
    """
    result = values.astype(float, copy=True)
    usable = np.isfinite(values) & (values != 0)
    magnitude = np.abs(np.where(usable, values, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(magnitude))
        near_power = np.abs(magnitude / 10.0**exponent - 1.0) < 1e-9
        near_power |= np.abs(magnitude / 10.0 ** (exponent + 1) - 1.0) < 1e-9
    decimals = np.maximum(DECIMALS, DECIMALS - 1 - exponent)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = values * 10.0**decimals
        near_half = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) <= 4 * np.spacing(np.abs(scaled))
        rounded = np.rint(scaled) / 10.0**decimals
    fast = usable & ~near_power & ~near_half & (decimals <= 15) & (np.abs(scaled) < 2.0**52)
    result[fast] = rounded[fast]
    slow = usable & ~fast
    result[slow] = [round_for_csv(value) for value in values[slow]]
    return result


def _is_datetime_column(series: pd.Series) -> bool:
    """Return whether a column has datetimes, either as a datetime dtype or as Python objects."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if series.dtype != object:
        return False
    present = series.dropna()
    return not present.empty and all(isinstance(value, datetime) for value in present)


def _iso_times(series: pd.Series, timezone: ZoneInfo, where: str) -> pd.Series:
    """Return ISO 8601 texts with the UTC offset, such as ``2005-08-15T19:00:00-07:00``, in local time."""
    times = pd.to_datetime(series)
    if times.isna().all():
        # A column of missing times only, such as the peak time of an event with no uplift, has no time zone.
        return pd.Series([""] * len(times), index=series.index, dtype=object)
    if times.dt.tz is None:
        raise ValueError(f"invalid {where}: the times have no time zone; build the plan with tz-aware times")
    if len(times):
        times = times.dt.tz_convert(timezone)
    # A forecast repeats each hour once per cell, so each distinct time is formatted once.
    codes, uniques = pd.factorize(times)
    texts = np.array([value.isoformat() for value in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], index=series.index, dtype=object)


def _counts_text(counts: dict[str, int]) -> str:
    return ";".join(f"{name}={count}" for name, count in counts.items())


def _iso_date(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)).isoformat()
