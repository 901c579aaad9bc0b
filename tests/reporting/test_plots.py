"""Tests of the forecast plots."""

from __future__ import annotations

import dataclasses
import struct
import sys

import pandas as pd

from planner.reporting import plots
from planner.reporting.plots import EventWindow, plot_cell_forecast, plot_plan_cell

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_plot_plan_cell_png_print_size(make_plan):
    png = plot_plan_cell(make_plan(), "C1", "traffic", lang="fr")

    assert png.startswith(PNG_SIGNATURE)
    # 10 x 3.5 inches at 110 dpi
    assert _png_size(png) == (1100, 385)


def test_plot_plan_cell_language_changes_image(make_plan):
    plan = make_plan(with_actuals=True)

    assert plot_plan_cell(plan, "C1", "traffic", lang="fr") != plot_plan_cell(plan, "C1", "traffic", lang="en")


def test_plot_plan_cell_uses_no_pyplot(make_plan):
    plot_plan_cell(make_plan(), "C2", "traffic", lang="en")

    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_plot_cell_forecast_hostile_event_name(make_plan):
    plan = make_plan()
    rows = plan.forecast[plan.forecast["cell_id"] == "C1"]
    window = EventWindow(name="Price $5 $\\frac{1}{0}$ <b>", start=pd.Timestamp("2013-08-14 20:45", tz="Europe/Paris"),
                         end=pd.Timestamp("2013-08-14 23:00", tz="Europe/Paris"))

    png = plot_cell_forecast(rows, plan.dataset.settings.measure("traffic"), plan.dataset.timezone,
                             capacity=1000.0, threshold=0.8, event_windows=[window], lang="fr")

    assert png.startswith(PNG_SIGNATURE)


def test_event_windows_clipped_to_week(make_plan):
    plan = make_plan()
    long_event = plan.events.assign(start=pd.Timestamp("2013-08-10 00:00", tz="Europe/Paris"),
                                    end=pd.Timestamp("2013-08-13 06:00", tz="Europe/Paris"))
    windows = plots._event_windows(dataclasses.replace(plan, events=long_event), "C1", "traffic")

    assert [(window.start, window.end) for window in windows] == [
        (pd.Timestamp("2013-08-12 00:00", tz="Europe/Paris"), pd.Timestamp("2013-08-13 06:00", tz="Europe/Paris"))]


def test_plot_cell_forecast_without_rows(make_plan):
    plan = make_plan()
    empty = plan.forecast.iloc[0:0]

    png = plot_cell_forecast(empty, plan.dataset.settings.measure("traffic"), plan.dataset.timezone,
                             capacity=1000.0, threshold=0.8, week_start=plan.week.start, week_end=plan.week.end)

    assert png.startswith(PNG_SIGNATURE)
