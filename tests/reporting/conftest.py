"""A small synthetic WeeklyPlan, built by hand, for the reporting tests.

The plan covers ISO week 2013-W33 (Monday 12 August 2013) in Europe/Paris for
two cells and the ``traffic`` measure. The settings also declare ``calls`` for
tests that add a second measure. A match at the stadium on Wednesday evening pushes
cell ``C1`` over its threshold, so it gets an ``add`` action; cell ``C2``
stays ``ok``. Every number is synthetic and chosen so that tests know the
expected result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.decisions.plan import WeeklyPlan
from planner.inputs.dataset import Dataset, DataQuality, TableQuality
from planner.inputs.settings import load_settings
from planner.inputs.weeks import Week

SETTINGS_TOML = """
[dataset]
name = "synthetic_city"
title = "Synthetic city centre"
timezone = "Europe/Paris"
country = "FR"

[measures.traffic]
unit = "MB"
kind = "volume"
label = "Data traffic"

[measures.calls]
unit = "calls"
kind = "volume"
label = "Voice calls"

[capacity]
default_utilisation_threshold = 0.8
watch_margin = 0.1

[[capacity.extra_units]]
name = "temporary carrier"
capacity = { traffic = 300.0 }

[staffing]
interval_minutes = 30
shrinkage = 0.3

[staffing.roles.customer_care_agent]
driver_measure = "traffic"
base_arrivals_per_hour = 40
handle_time_seconds = 240
service_level_target = 0.8
answer_time_seconds = 20

[staffing.roles.supervision_engineer]
driver_measure = "traffic"
base_arrivals_per_hour = 2
handle_time_seconds = 1200
service_level_target = 0.9
answer_time_seconds = 300

[assumptions]
"staffing.shrinkage" = "No absence records; 30 % is a common planning value."
"""

CAPACITY_MB = 1000.0
THRESHOLD = 0.8
EVENT_START = pd.Timestamp("2013-08-14 20:45", tz="Europe/Paris")
EVENT_END = pd.Timestamp("2013-08-14 23:00", tz="Europe/Paris")


@pytest.fixture
def make_plan(tmp_path: Path) -> Callable[..., WeeklyPlan]:
    """Return a builder of the synthetic plan; keyword arguments change one aspect of it."""
    settings_path = tmp_path / "settings" / "settings.toml"
    settings_path.parent.mkdir()
    settings_path.write_text(SETTINGS_TOML, encoding="utf-8")

    def build(event_name: str = "Milan v Inter", venue_name: str = "Stadium", with_actuals: bool = False,
              dataset_name: str = "synthetic_city", week: Week | None = None, with_risk: bool = True) -> WeeklyPlan:
        settings = load_settings(settings_path)
        week = week or Week(2013, 33, settings.timezone)
        dataset = _dataset(settings, dataset_name, settings_path.parent, venue_name)
        forecast = _forecast(week, with_actuals, with_risk)
        return WeeklyPlan(
            dataset=dataset,
            week=week,
            forecast=forecast,
            events=_events(event_name, venue_name),
            capacity=_capacity(forecast),
            staffing=_staffing(week),
            staffing_intervals=pd.DataFrame(columns=[
                "interval_start", "date", "shift", "role", "arrivals_per_hour", "sized_arrivals_per_hour",
                "offered_load_erlangs", "agents_fractional", "staff_on_shift", "service_level"]),
            assumptions=dict(settings.assumptions),
            notes=["Synthetic plan for the reporting tests."],
        )

    return build


def _dataset(settings, name: str, path: Path, venue_name: str) -> Dataset:
    cells = pd.DataFrame({
        "cell_id": ["C1", "C2"], "site_id": ["S1", "S1"], "latitude": [45.478, 45.480],
        "longitude": [9.124, 9.130], "utilisation_threshold": [THRESHOLD, THRESHOLD],
        "capacity_traffic": [CAPACITY_MB, CAPACITY_MB],
    })
    venues = pd.DataFrame({"venue_id": ["V1"], "name": [venue_name], "latitude": [45.478],
                           "longitude": [9.124], "capacity_people": [80000.0]})
    quality = DataQuality(
        tables=[TableQuality("traffic", "traffic.csv", rows_read=10, rows_accepted=9, rows_rejected=1,
                             notes=["line 5: negative traffic rejected"])],
        notes=["3 hours imputed"],
    )
    empty_traffic = pd.DataFrame({"cell_id": pd.Series(dtype=str),
                                  "timestamp": pd.Series(dtype="datetime64[ns, Europe/Paris]"),
                                  "traffic": pd.Series(dtype=float)})
    return Dataset(name=name, path=path, settings=settings, traffic=empty_traffic, events=pd.DataFrame(),
                   venues=venues, cells=cells, quality=quality)


def _forecast(week: Week, with_actuals: bool, with_risk: bool) -> pd.DataFrame:
    """Return a daily cycle between 200 and 600 MB, with a synthetic match uplift on cell C1."""
    hours = week.hours()
    local_hour = np.asarray(hours.hour, dtype=float)
    baseline = 400.0 - 200.0 * np.cos(2 * np.pi * local_hour / 24)
    frames = []
    for cell_id in ("C1", "C2"):
        in_event = (hours >= EVENT_START.floor("h")) & (hours < EVENT_END)
        uplift = np.where(in_event & (cell_id == "C1"), 3.0 if with_risk else 1.2, 1.0)
        p50 = baseline * uplift
        frames.append(pd.DataFrame({
            "cell_id": cell_id, "measure": "traffic", "timestamp": hours, "baseline": baseline,
            "p10": p50 * 0.9, "p50": p50, "p90": p50 * 1.1,
            "actual": p50 * 1.05 if with_actuals else np.nan,
        }))
    return pd.concat(frames, ignore_index=True)


def _events(event_name: str, venue_name: str) -> pd.DataFrame:
    return pd.DataFrame({
        "event_id": ["E1"], "name": [event_name], "kind": ["match"], "venue_id": ["V1"],
        "venue_name": [venue_name], "start": [EVENT_START], "end": [EVENT_END],
        "expected_attendance": [75000.0], "attendance_low": [70000.0], "attendance_high": [80000.0],
        "measure": ["traffic"], "peak_uplift_ratio": [3.0], "uplift_ratio_p10": [2.6],
        "uplift_ratio_p90": [3.4], "cells_affected": [1.0], "pooling": ["kind"],
        "learned_from": ["E0 (2013-05-19)"], "learned_events": [1], "learned_at_venue": [0],
    })


def _capacity(forecast: pd.DataFrame) -> pd.DataFrame:
    """Apply the capacity rule to the synthetic forecast, keeping event hours and hours not ``ok``."""
    table = forecast.rename(columns={"p90": "forecast_p90"})[["cell_id", "measure", "timestamp", "forecast_p90"]]
    table = table.assign(capacity=CAPACITY_MB, threshold=THRESHOLD)
    table["utilisation_p90"] = table["forecast_p90"] / CAPACITY_MB
    table["event_id"] = np.where((table["timestamp"] >= EVENT_START.floor("h")) & (table["timestamp"] < EVENT_END),
                                 "E1", "")
    table["action"] = np.select([table["utilisation_p90"] > THRESHOLD, table["utilisation_p90"] > THRESHOLD - 0.1],
                                ["add", "watch"], "ok")
    needed = np.ceil((table["forecast_p90"] / THRESHOLD - CAPACITY_MB) / 300.0)
    table["extra_units"] = np.where(table["action"] == "add", needed, 0.0)
    table["extra_unit_name"] = "temporary carrier"
    kept = (table["event_id"] != "") | (table["action"] != "ok")
    columns = ["cell_id", "measure", "event_id", "timestamp", "forecast_p90", "capacity", "threshold",
               "utilisation_p90", "action", "extra_units", "extra_unit_name"]
    return table.loc[kept, columns].reset_index(drop=True)


def _staffing(week: Week) -> pd.DataFrame:
    rows = []
    monday = date.fromisocalendar(week.year, week.number, 1)
    for day in range(7):
        for shift, load in (("night", 1.5), ("morning", 3.0), ("afternoon", 4.5)):
            for role, target in (("customer_care_agent", 0.8), ("supervision_engineer", 0.9)):
                peak = 2.0 if day == 2 and shift == "afternoon" else 1.0
                fractional = (load * peak + 1.25) / 0.7
                rows.append({
                    "date": monday + timedelta(days=day), "shift": shift, "role": role,
                    "expected_load": load * peak, "required_staff_fractional": fractional,
                    "required_staff": int(np.ceil(fractional)), "service_level_target": target,
                    "expected_service_level": target + 0.05, "hours_covered": 8.0, "partial_shift": False,
                })
    return pd.DataFrame(rows)
