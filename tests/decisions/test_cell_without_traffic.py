"""A cell listed in cells.csv without any traffic row, end to end on a copy of the bundled Milan data."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

from planner.cli import main

MILAN = Path(__file__).resolve().parents[2] / "data" / "milan"
EMPTY_CELL = "9999"


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    """Run ``planner report`` on Milan 2013-W48 with one extra cell that has no traffic."""
    folder = tmp_path_factory.mktemp("milan-empty-cell")
    data = folder / "milan"
    shutil.copytree(MILAN, data)
    with (data / "cells.csv").open("a", encoding="utf-8") as cells:
        cells.write(f"{EMPTY_CELL},{EMPTY_CELL},45.47,9.19,,300\n")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(["report", "--data", str(data), "--week", "2013-W48", "--out", str(folder / "out")])
    return code, folder / "out" / "milan" / "2013-W48", caught


def test_empty_cell_report_succeeds(report_run):
    code, _, caught = report_run

    assert code == 0
    runtime = [str(warning.message) for warning in caught if issubclass(warning.category, RuntimeWarning)]
    assert runtime == []


def test_empty_cell_has_no_forecast(report_run):
    _, out, _ = report_run
    forecast = pd.read_csv(out / "forecast.csv", dtype={"cell_id": str})
    empty = forecast[forecast["cell_id"] == EMPTY_CELL]

    assert len(empty) == 168
    for column in ("baseline", "p10", "p50", "p90"):
        assert empty[column].isna().all(), column
    others = forecast[forecast["cell_id"] != EMPTY_CELL]
    assert others["p50"].notna().all()


def test_empty_cell_no_capacity_action(report_run):
    _, out, _ = report_run
    capacity = pd.read_csv(out / "capacity.csv", dtype={"cell_id": str})
    staffing = pd.read_csv(out / "staffing.csv")

    assert EMPTY_CELL not in set(capacity["cell_id"])
    assert staffing["required_staff"].notna().all()
    assert (staffing["required_staff"] >= 1).all()


def test_empty_cell_note_in_report(report_run):
    _, out, _ = report_run
    page = (out / "report.html").read_text(encoding="utf-8")

    assert "1 cellule n’a aucune donnée (Activité Internet) avant la semaine et n’a donc pas de prévision\u00a0: 9999" in page
