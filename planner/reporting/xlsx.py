"""``report.xlsx``: the plan's tables as one workbook, one sheet per table, for sharing.

The sheets hold the same columns and machine values as the CSV files
(``add``, ``customer_care_agent``), so that formulas and other programs can
rely on them. Times are ISO 8601 text with the UTC offset, as in the CSV
files, because an Excel date has no time zone and two different hours of a
daylight-saving day share the same wall-clock time.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from planner.decisions.plan import WeeklyPlan
from planner.messages import translatable, translatable_plural
from planner.reporting.i18n import DEFAULT_LANGUAGE, render_message
from planner.reporting.summary import cells_at_risk
from planner.reporting.tables import CSV_TABLES, SHEET_TABLES

_HEADER_FONT = Font(bold=True)
MAX_SHEET_ROWS = 20_000
"""Rows of a sheet at most: openpyxl writes about 50,000 cells a second, and Excel stops at 1,048,576 rows."""
_KEPT_ROWS = {"forecast": translatable("the cells at risk, most at risk first"),
              "capacity": translatable("the highest p90 utilisation")}


def write_xlsx(plan: WeeklyPlan, path: str | Path, lang: str = DEFAULT_LANGUAGE) -> None:
    """Write the plan's tables, one sheet each, to one workbook (see ``SHEET_TABLES``).

    Each sheet has a bold header row with the column names, frozen panes
    below it and an auto-filter. Missing values are empty cells. A table of
    more than ``MAX_SHEET_ROWS`` rows keeps those most at risk (whole cells
    at risk for the forecast, the highest utilisation for capacity), and a
    ``notes`` sheet says so in ``lang``; the CSV files hold every row.
    """
    workbook = Workbook(write_only=True)
    notes = []
    for sheet_name, build_table in SHEET_TABLES.items():
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
            kept_rows = _KEPT_ROWS.get(sheet_name, translatable("the first ones"))
            if f"{sheet_name}.csv" in CSV_TABLES:
                note = translatable_plural("{sheet}: {count} of {total} rows, {kept}; {sheet}.csv holds every row",
                                           "{sheet}: {count} of {total} rows, {kept}; {sheet}.csv holds every row",
                                           len(frame), sheet=sheet_name, total=total, kept=kept_rows)
            else:
                note = translatable_plural("{sheet}: {count} of {total} rows, {kept}",
                                           "{sheet}: {count} of {total} rows, {kept}",
                                           len(frame), sheet=sheet_name, total=total, kept=kept_rows)
            notes.append(render_message(note, lang))
        _write_sheet(workbook, sheet_name, frame)
    if notes:
        _write_sheet(workbook, "notes", pd.DataFrame({"note": notes}))
    workbook.save(path)


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


def _write_sheet(workbook: Workbook, sheet_name: str, frame: pd.DataFrame) -> None:
    sheet = workbook.create_sheet(sheet_name)
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        last_column = get_column_letter(len(frame.columns))
        sheet.auto_filter.ref = f"A1:{last_column}{len(frame) + 1}"
    header = []
    for name in frame.columns:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = _HEADER_FONT
        header.append(cell)
    sheet.append(header)
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_cell(sheet, value) for value in row])


def _cell(sheet, value: object) -> object:
    """Return the value to write; text is always stored as text, never as a formula.

    openpyxl stores a string that starts with ``=`` as a formula, so an event
    name such as ``=HYPERLINK(...)`` from a calendar would run when the
    workbook is opened. Such text is written as a string cell instead.
    """
    value = _cell_value(value)
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


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
