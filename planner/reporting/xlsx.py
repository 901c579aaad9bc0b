"""``report.xlsx``: the plan's tables as one workbook, one sheet per table, for sharing.

The sheets hold the same columns and machine values as the CSV files
(``add``, ``customer_care_agent``), so that formulas and other programs can
rely on them. Times are ISO 8601 text with the UTC offset, as in the CSV
files, because an Excel date has no time zone and two different hours of a
daylight-saving day share the same wall-clock time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from planner.decisions.plan import WeeklyPlan
from planner.reporting.tables import SHEET_TABLES

_HEADER_FONT = Font(bold=True)


def write_xlsx(plan: WeeklyPlan, path: str | Path) -> None:
    """Write the plan's forecast, events, capacity, staffing and data-quality tables to one workbook.

    Each sheet has a bold header row with the column names, frozen panes
    below it and an auto-filter. Missing values are empty cells.
    """
    workbook = Workbook(write_only=True)
    for sheet_name, build_table in SHEET_TABLES.items():
        _write_sheet(workbook, sheet_name, build_table(plan))
    workbook.save(path)


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
