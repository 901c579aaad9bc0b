"""``report.xlsx``: the plan's tables as one workbook, one sheet per table, for sharing.

Planners read the workbook as they read the report, so it is in the
report's language: the sheet names, the column headers, the values of the
plan's categories (``add`` is shown as ``à renforcer``, ``customer_care_agent``
as ``conseiller clientèle``), the measure labels, the ``learned_from``
text, the data-quality notes and the plan's notes. The rows and the
numbers are those of the CSV files, which keep the machine names and
values for other programs.
Identifiers and the dataset's own names (cells, events, venues, files) are
written as they are. Times, dates, ids and numbers are real Excel values
with number formats (see :mod:`planner.reporting.xlsx_format`); a time is
the local wall-clock time, and its header names the time zone because an
Excel date has none.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from planner.decisions.plan import WeeklyPlan
from planner.messages import Message, translatable, translatable_plural
from planner.reporting.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    clause_separator,
    format_number,
    label_message,
    localize_text,
    localized_measure,
    render_message,
    settings_text,
    translate_sources,
    translate_value,
    translations,
)
from planner.reporting.summary import cells_at_risk
from planner.reporting.tables import CSV_TABLES, SHEET_TABLES, quality_table
from planner.reporting.xlsx_format import TypedColumn, column_width, typed_column

logger = logging.getLogger(__name__)

_HEADER_FONT = Font(bold=True)
MAX_SHEET_ROWS = 20_000
"""Rows of a sheet at most: openpyxl writes about 50,000 cells a second, and Excel stops at 1,048,576 rows."""
_KEPT_ROWS = {"forecast": translatable("the cells at risk, most at risk first"),
              "capacity": translatable("the highest p90 utilisation")}

# Sheet names, as message ids. Excel limits a name to 31 characters, without []:*?/\.
SHEET_NAMES: dict[str, str] = {
    "forecast": N_("Forecast"),
    "events": N_("Events"),
    "capacity": N_("Capacity"),
    "staffing": N_("Staffing"),
    "staffing_model": N_("Staffing model"),
    "staffing_intervals": N_("Staffing intervals"),
    "event_actions": N_("Event actions"),
    "voice_channels": N_("Voice channels"),
    "data_quality": N_("Data quality"),
    "assumptions": N_("Assumptions"),
    "notes": N_("Notes"),
}
# The one line that a sheet without rows shows, as message ids; a sheet not listed gets ``_NO_ROWS``.
EMPTY_SHEET_TEXTS: dict[str, str] = {
    "events": N_("No planned event this week."),
    "capacity": N_("No cell-hour is inside an event or at risk this week."),
    "event_actions": N_("No cell is at risk during an event this week, so no event needs an action."),
    "voice_channels": N_("No measure is in Erlangs, so no voice channel is sized."),
    "staffing": N_("No staffing role is set in the settings."),
    "staffing_model": N_("No staffing role is set in the settings."),
    "staffing_intervals": N_("No staffing role is set in the settings."),
    "assumptions": N_("The settings list no assumption."),
}
_NO_ROWS = N_("No row for this week.")
# Column headers, as message ids. A column not listed here keeps its machine name.
COLUMN_HEADERS: dict[str, str] = {
    "cell_id": N_("Cell"),
    "measure": N_("Measure"),
    "timestamp": N_("Hour"),
    "p10": N_("Forecast p10"),
    "p50": N_("Forecast p50"),
    "p90": N_("Forecast p90"),
    "baseline": N_("Baseline (no event)"),
    "actual": N_("Actual value"),
    "event_id": N_("Event id"),
    "name": N_("Event"),
    "kind": N_("Kind"),
    "venue_id": N_("Venue id"),
    "venue_name": N_("Venue"),
    "start": N_("Start"),
    "end": N_("End"),
    "expected_attendance": N_("Expected attendance"),
    "attendance_low": N_("Low attendance"),
    "attendance_high": N_("High attendance"),
    "peak_uplift_ratio": N_("Peak uplift ratio"),
    "uplift_ratio_p10": N_("Uplift ratio p10"),
    "uplift_ratio_p90": N_("Uplift ratio p90"),
    "cells_affected": N_("Cells affected"),
    "pooling": N_("Past events used"),
    "learned_from": N_("Learned from"),
    "learned_events": N_("Past events learned from"),
    "learned_at_venue": N_("Of them at this venue"),
    "pooled_venues": N_("Drawn towards venues of its kind"),
    "attendance_capped_to": N_("Attendance used (venue capacity)"),
    "offset_hours": N_("Moved by timing offset (h)"),
    "time_known": N_("Time of day known"),
    "peak_time": N_("Peak time"),
    "peak_cell_id": N_("Peak cell"),
    "forecast_p90": N_("Forecast p90"),
    "capacity": N_("Capacity"),
    "utilisation_p90": N_("P90 utilisation"),
    "action": N_("Action"),
    "extra_units": N_("Extra units"),
    "threshold": N_("Threshold"),
    "extra_unit_name": N_("Extra unit"),
    "date": N_("Day"),
    "shift": N_("Shift"),
    "role": N_("Role"),
    "expected_load": N_("Expected load (Erlangs)"),
    "required_staff": N_("Staff"),
    "service_level_target": N_("Service level target"),
    "expected_service_level": N_("Expected service level"),
    "required_staff_fractional": N_("Fractional need"),
    "hours_covered": N_("Hours of the shift in the week"),
    "partial_shift": N_("Partial shift"),
    "table": N_("Table"),
    "file": N_("File"),
    "rows_read": N_("Rows read"),
    "rows_accepted": N_("Rows accepted"),
    "rows_repaired": N_("Rows repaired"),
    "rows_rejected": N_("Rows rejected"),
    "missing_values": N_("Missing values"),
    "imputed_hours": N_("Imputed hours"),
    "missing_hours": N_("Missing hours"),
    "notes": N_("Notes"),
    "note": N_("Note"),
    "setting": N_("Setting"),
    "reason": N_("Reason"),
    # Staffing model
    "model": N_("Queue model"),
    "driver_measure": N_("Driver measure"),
    "base_arrivals_per_hour": N_("Arrivals per hour"),
    "arrivals_per_overloaded_cell_hour": N_("Arrivals per overloaded cell-hour"),
    "handle_time_seconds": N_("Handle time (s)"),
    "patience_seconds": N_("Mean patience (s)"),
    "answer_time_seconds": N_("Answer time (s)"),
    "max_occupancy": N_("Maximum occupancy"),
    "service_level_probability": N_("Probability of meeting the target"),
    "arrival_dispersion": N_("Arrival dispersion"),
    "calibration_log": N_("Calibration log"),
    "calibration_arrivals": N_("Arrivals in the calibration log"),
    # Staffing intervals
    "interval_start": N_("Interval start"),
    "arrivals_per_hour": N_("Expected arrivals per hour"),
    "sized_arrivals_per_hour": N_("Sized arrivals per hour"),
    "offered_load_erlangs": N_("Offered load (Erlangs)"),
    "agents_fractional": N_("Agents needed (fractional)"),
    "staff_on_shift": N_("Staff on shift"),
    "service_level": N_("Expected service level"),
    # Event actions
    "peak_hour": N_("Peak hour"),
    "utilisation_after_action": N_("Utilisation after the action"),
    "margin_after_action": N_("Margin to the threshold"),
    # Voice channels
    "busy_hour": N_("Busy hour"),
    "busy_hour_erlangs_p90": N_("Busy-hour load p90 (Erlangs)"),
    "grade_of_service": N_("Grade of service"),
    "channels_needed": N_("Channels needed"),
    "channels_installed": N_("Channels installed"),
    "blocking_at_installed": N_("Blocking with the installed channels"),
    "extra_channels": N_("Extra channels"),
}
# Columns of machine values shown by their label, with their category in ``i18n.VALUE_NAMES``.
_VALUE_COLUMNS: dict[str, str] = {
    "model": "queue_model",
    "kind": "event_kind",
    "pooling": "pooling",
    "action": "action",
    "shift": "shift",
    "role": "role",
    "table": "table",
}
# Columns of ``measure=count`` pairs of the data-quality table, shown with the measures' labels.
_COUNT_PAIR_COLUMNS = ("missing_values", "imputed_hours", "missing_hours")


def write_xlsx(plan: WeeklyPlan, path: str | Path, lang: str = DEFAULT_LANGUAGE) -> None:
    """Write the plan's tables, one sheet each (see ``SHEET_TABLES``), to one workbook in ``lang``.

    The sheet names, headers and text values are in ``lang`` (see
    :func:`localized_sheet`); the rows and numbers are those of the CSV
    files, as typed Excel values (see :mod:`planner.reporting.xlsx_format`).
    Each sheet has a bold header row, frozen below, an auto-filter and
    column widths that fit its values. A sheet without rows has one line
    that says why. Missing values are empty cells. A table of more than
    ``MAX_SHEET_ROWS`` rows keeps those most at risk (whole cells at risk
    for the forecast, the highest utilisation for capacity), and a ``notes``
    sheet states it in ``lang``; the CSV files hold every row. The ``notes``
    sheet also lists the plan's notes, as the HTML report does, and, in a
    week when the clocks change, which hour is skipped or repeated.
    """
    workbook = Workbook(write_only=True)
    try:
        _write_workbook(workbook, plan, path, lang)
    except BaseException:
        # On an error or Ctrl-C, the sheets' XML writers are still open. Left to the garbage collector, they
        # print "Exception ignored ... LxmlSyntaxError" after the command line's own message.
        _discard_workbook(workbook)
        raise


def _write_workbook(workbook: Workbook, plan: WeeklyPlan, path: str | Path, lang: str) -> None:
    timezone = str(plan.dataset.timezone)
    # The plan's notes come first, in the order that the HTML report lists them under its Notes heading.
    notes = [_render_note(plan.dataset.settings, lang, note) for note in plan.notes]
    repeated_hour = False
    for sheet_name, build_table in SHEET_TABLES.items():
        if sheet_name == "data_quality":
            # The notes are joined into one text per table, so they are rendered before the join.
            build_table = partial(quality_table, render_note=partial(_render_note, plan.dataset.settings, lang),
                                  separator=clause_separator(lang))
        if sheet_name == "forecast" and len(plan.forecast) > MAX_SHEET_ROWS:
            # Only the rows kept are formatted: the whole forecast of a large network takes a minute.
            kept_rows = _most_at_risk(plan, sheet_name, plan.forecast)
            frame = build_table(replace(plan, forecast=kept_rows))
            total = len(plan.forecast)
        else:
            frame = build_table(plan)
            total = len(frame)
            if total > MAX_SHEET_ROWS:
                frame = _most_at_risk(plan, sheet_name, frame)
        if len(frame) < total:
            notes.append(render_message(_rows_kept_note(sheet_name, len(frame), total, lang), lang))
        columns = [typed_column(str(name), frame[name]) for name in frame.columns]
        repeated_hour = repeated_hour or any(column.utc_offsets > 1 for column in columns)
        empty_text = translations(lang).gettext(EMPTY_SHEET_TEXTS.get(sheet_name, _NO_ROWS))
        _write_sheet(workbook, sheet_title(sheet_name, lang), localized_sheet(plan, frame, lang), columns,
                     timezone, empty_text)
    if repeated_hour:
        notes.append(render_message(clock_change_note(plan.week.hours(), timezone), lang))
    if notes:
        frame = pd.DataFrame({"note": notes})
        _write_sheet(workbook, sheet_title("notes", lang), localized_sheet(plan, frame, lang),
                     [typed_column("note", frame["note"])], timezone, "")
    workbook.save(path)


def _discard_workbook(workbook: Workbook) -> None:
    """Close the XML writers of an unfinished write-only workbook and delete their temporary files.

    NOTE: this reads the private ``_rows`` and ``_writer`` attributes of
    openpyxl's write-only sheets (checked with openpyxl 3.1.5), which has no
    public way to abandon a workbook.
    """
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        for stream in (getattr(sheet, "_rows", None), getattr(writer, "xf", None)):
            if stream is None:
                continue
            try:
                stream.close()
            except Exception as error:  # noqa: BLE001 - the sheet is discarded, and the first error is re-raised.
                logger.debug("discarding the unfinished sheet %r: %s", sheet.title, error)
        if writer is not None:
            try:
                writer.cleanup()
            except (OSError, ValueError) as error:
                logger.debug("temporary file of sheet %r not removed: %s", sheet.title, error)


def clock_change_note(hours: pd.DatetimeIndex, timezone: str) -> Message:
    """Build the note that the sheets show wall-clock times, naming the hour skipped or repeated in ``hours``.

    ``hours`` is the week's hours, tz-aware and one hour apart. Where two
    consecutive hours are not one wall-clock hour apart, the clocks changed
    between them: a gap of two hours is the spring change, no gap the autumn one.
    """
    wall_clock = hours.tz_localize(None)
    for before, after in zip(wall_clock[:-1], wall_clock[1:]):
        change = after - before
        if change > pd.Timedelta(hours=1):
            return translatable(
                "Times are wall-clock times in {timezone}, because Excel has no time zone. On {day:%Y-%m-%d} the "
                "clocks go forward, so no row is at {hour}, the skipped hour; the CSV files give each time its UTC "
                "offset.", timezone=timezone, day=after.date(), hour=f"{before + pd.Timedelta(hours=1):%H:%M}")
        if change < pd.Timedelta(hours=1):
            return translatable(
                "Times are wall-clock times in {timezone}, because Excel has no time zone. On {day:%Y-%m-%d} the "
                "clocks go back, so the hour at {hour} appears twice, in time order; the CSV files give each time "
                "its UTC offset.", timezone=timezone, day=after.date(), hour=f"{after:%H:%M}")
    return translatable("Times are wall-clock times in {timezone}, because Excel has no time zone; the CSV files "
                        "give each time its UTC offset.", timezone=timezone)


def _render_note(settings, lang: str, note: str) -> str:
    """Render a data-quality or plan note in ``lang`` with the measures' labels, as the HTML report shows it."""
    return render_message(label_message(note, settings, lang), lang)


def _rows_kept_note(sheet_name: str, kept: int, total: int, lang: str) -> str:
    """Return the note that a sheet shows ``kept`` rows of ``total``, and which ones."""
    kept_rows = _KEPT_ROWS.get(sheet_name, translatable("the first ones"))
    if f"{sheet_name}.csv" in CSV_TABLES:
        return translatable_plural("{sheet}: {count} of {total} rows, {kept}; {file} holds every row",
                                   "{sheet}: {count} of {total} rows, {kept}; {file} holds every row",
                                   kept, sheet=sheet_title(sheet_name, lang), total=total,
                                   kept=kept_rows, file=f"{sheet_name}.csv")
    return translatable_plural("{sheet}: {count} of {total} rows, {kept}",
                               "{sheet}: {count} of {total} rows, {kept}",
                               kept, sheet=sheet_title(sheet_name, lang), total=total, kept=kept_rows)


def sheet_title(sheet_name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the name of a sheet of ``report.xlsx`` in ``lang``, such as ``Effectifs`` for ``staffing``."""
    return translations(lang).gettext(SHEET_NAMES[sheet_name])


def localized_sheet(plan: WeeklyPlan, frame: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return a table of the CSV files with its headers and text values in ``lang``, for the workbook.

    The rows, their order and the numbers are unchanged. The plan's
    categories, measure names, extra unit names and ``learned_from`` texts
    are translated; a value without a translation is kept.
    """
    settings = plan.dataset.settings
    gettext = translations(lang).gettext
    localized = frame.copy()
    for column in localized.columns:
        if column in _VALUE_COLUMNS:
            category = _VALUE_COLUMNS[column]
            localized[column] = _map_texts(localized[column], lambda value: translate_value(category, value, lang))
        elif column in ("measure", "driver_measure"):
            localized[column] = _map_texts(localized[column], lambda name: _measure_label(settings, name, lang))
        elif column in _COUNT_PAIR_COLUMNS:
            localized[column] = _map_texts(localized[column], lambda text: _count_pairs(settings, text, lang))
        elif column == "reason":
            localized[column] = _map_texts(localized[column],
                                           lambda text: localize_text(settings_text(settings, text, lang), lang))
        elif column == "extra_unit_name":
            localized[column] = _map_texts(localized[column], lambda name: settings_text(settings, name, lang))
        elif column == "learned_from":
            localized[column] = _map_texts(localized[column], lambda text: translate_sources(text, lang))
    localized.columns = [gettext(COLUMN_HEADERS[column]) if column in COLUMN_HEADERS else str(column)
                         for column in localized.columns]
    return localized


def _measure_label(settings, name: str, lang: str) -> str:
    """Return a measure's label in ``lang``, or ``name`` itself for a measure that the settings do not declare."""
    if name not in {measure.name for measure in settings.measures}:
        return name
    return localized_measure(settings, name, lang).label


def _count_pairs(settings, text: str, lang: str) -> str:
    """Return ``measure=count`` pairs joined by ``;`` as the measures' labels and counts in ``lang``."""
    pairs = []
    for pair in filter(None, text.split(";")):
        name, _, count = pair.partition("=")
        shown_count = format_number(int(count), lang) if count.isdigit() else count
        pairs.append(render_message(translatable("{measure}: {count}", measure=_measure_label(settings, name, lang),
                                                 count=shown_count), lang))
    return clause_separator(lang).join(pairs)


def _map_texts(series: pd.Series, translate) -> pd.Series:
    """Return the column with each distinct text translated once; missing values stay missing."""
    texts = {value: translate(value) for value in series.dropna().unique() if isinstance(value, str)}
    return pd.Series([texts.get(value, value) if isinstance(value, str) else value for value in series],
                     index=series.index, dtype=object)


def _most_at_risk(plan: WeeklyPlan, sheet_name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return at most ``MAX_SHEET_ROWS`` rows of a long sheet, those most at risk, in their original order."""
    if sheet_name == "forecast":
        # Whole cells, most at risk first, as many as fit.
        order = list(dict.fromkeys(cells_at_risk(plan)["cell_id"]))
        rows_per_cell = frame.groupby("cell_id").size()
        kept_cells = [cell for cell, total in zip(order, rows_per_cell.reindex(order).fillna(0).cumsum())
                      if total <= MAX_SHEET_ROWS]
        return frame[frame["cell_id"].isin(set(kept_cells))]
    if "utilisation_p90" in frame.columns:
        return frame.loc[frame["utilisation_p90"].sort_values(ascending=False, kind="stable").index[:MAX_SHEET_ROWS]
                         .sort_values()]
    return frame.head(MAX_SHEET_ROWS)


def _write_sheet(workbook: Workbook, sheet_name: str, frame: pd.DataFrame, columns: list[TypedColumn],
                 timezone: str, empty_text: str) -> None:
    """Write one sheet: the header row, then the rows with the columns' types, formats and widths.

    ``frame`` has the headers and text values in the report's language, and
    ``columns`` the typed values of the same columns, in the same order.
    """
    sheet = workbook.create_sheet(sheet_name)
    sheet.freeze_panes = "A2"
    headers = [f"{name} ({timezone})" if column.is_time else str(name) for name, column in zip(frame.columns, columns)]
    for position, (header, column) in enumerate(zip(headers, columns), start=1):
        sheet.column_dimensions[get_column_letter(position)].width = column_width(header, column)
    if len(frame.columns) and len(frame):
        last_column = get_column_letter(len(frame.columns))
        sheet.auto_filter.ref = f"A1:{last_column}{len(frame) + 1}"
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = _HEADER_FONT
        header_cells.append(cell)
    sheet.append(header_cells)
    if frame.empty:
        if empty_text:
            sheet.append([empty_text])
        return
    # Text columns take their translated values; typed columns keep the values of the CSV table.
    values = [column.values if column.number_format else list(frame.iloc[:, position])
              for position, column in enumerate(columns)]
    formats = [column.number_format for column in columns]
    for row in zip(*values):
        sheet.append([_cell(sheet, value, number_format) for value, number_format in zip(row, formats)])


def _cell(sheet, value: object, number_format: str | None = None) -> object:
    """Return the value to write, with its number format; text is always stored as text, never as a formula.

    openpyxl stores a string that starts with ``=`` as a formula, so an event
    name such as ``=HYPERLINK(...)`` from a calendar would run when the
    workbook is opened. Such text is written as a string cell instead.
    """
    value = _cell_value(value)
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    if number_format is None or value is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value
