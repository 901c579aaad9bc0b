"""Tests of report.pdf and of the data-quality table; tests/reporting/test_xlsx.py covers report.xlsx."""

from __future__ import annotations

import dataclasses
import logging
import zlib
import re
from pathlib import Path

from planner.inputs.dataset import DataQuality, TableQuality
from planner.reporting import pdf, write_report
from planner.reporting.html import render_html
from planner.reporting.i18n import clause_separator
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


def test_quality_table_one_row_per_table(make_plan):
    plan = make_plan()
    table = quality_table(plan)

    assert list(table.columns) == list(QUALITY_COLUMNS)
    assert list(table["table"]) == [record.table for record in plan.dataset.quality.tables]
    assert list(table["rows_read"]) == [record.rows_read for record in plan.dataset.quality.tables]


def _plan_with_two_notes(make_plan):
    plan = make_plan()
    table = TableQuality("traffic", "traffic.csv", rows_read=10, rows_accepted=8, rows_rejected=2,
                         notes=["line 5: negative traffic rejected", "line 7: negative traffic rejected"])
    dataset = dataclasses.replace(plan.dataset, quality=DataQuality(tables=[table], notes=[]))
    return dataclasses.replace(plan, dataset=dataset)


def test_quality_table_notes_separator(make_plan):
    plan = _plan_with_two_notes(make_plan)

    english = quality_table(plan)
    french = quality_table(plan, separator=clause_separator("fr"))

    assert english.loc[0, "notes"] == "line 5: negative traffic rejected; line 7: negative traffic rejected"
    assert french.loc[0, "notes"] == "line 5: negative traffic rejected\u202f; line 7: negative traffic rejected"


def test_french_report_notes_no_break_space(make_plan):
    plan = _plan_with_two_notes(make_plan)

    french = render_html(plan, lang="fr")
    english = render_html(plan, lang="en")

    assert "negative traffic rejected\u202f; line 7" in french
    assert "negative traffic rejected; line 7" in english
