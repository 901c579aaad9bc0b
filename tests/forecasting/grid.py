"""A synthetic grid of cells along a street, with a stadium whose match effect is known (test helper).

Cells sit every ``spacing_m`` metres east of the stadium on one latitude.
Every cell follows the same daily pattern; past matches add a known excess
at the stadium cell only, so that the learned effect travels to venues
without history exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.dataset import DataQuality, Dataset
from planner.inputs.geography import EARTH_RADIUS_M
from planner.inputs.routes import empty_routes
from planner.inputs.settings import CapacitySettings, Measure, Settings, StaffingSettings
from tests.forecasting.synthetic import TIMEZONE, daily_shape

LATITUDE = 48.85
LONGITUDE = 2.30
MATCH_EXCESS = 60.0
"""Excess at the stadium cell in the hour after kick-off, for a match of 40 000 people."""


def east_of(metres: float) -> float:
    """Return the longitude ``metres`` east of the stadium."""
    return LONGITUDE + float(np.degrees(metres / (EARTH_RADIUS_M * np.cos(np.radians(LATITUDE)))))


def north_of(metres: float) -> float:
    """Return the latitude ``metres`` north of the stadium."""
    return LATITUDE + float(np.degrees(metres / EARTH_RADIUS_M))


def grid_dataset(cell_offsets_m: list[float], *, weeks: int = 8, start: str = "2024-01-01",
                 extra_venues: dict[str, float] | None = None, planned: pd.DataFrame | None = None,
                 routes: pd.DataFrame | None = None, settings: Settings | None = None) -> Dataset:
    """Build the grid: weekly Saturday 20:00 matches at the stadium over ``weeks`` weeks of history.

    ``extra_venues`` maps a venue id to its distance east of the stadium in
    metres. ``planned`` events are appended to the calendar after the history.
    """
    hours = pd.date_range(pd.Timestamp(start, tz=TIMEZONE), periods=weeks * 168, freq="h")
    cells = [f"cell-{index}" for index in range(len(cell_offsets_m))]
    values = np.tile(daily_shape(hours)[:, None], (1, len(cells)))
    saturdays = [day for day in pd.date_range(hours[0], hours[-1], freq="D") if day.day_of_week == 5]
    kick_offs = [day + pd.Timedelta(hours=20) for day in saturdays[:-1]]
    for kick_off in kick_offs:
        values[hours.get_indexer([kick_off])[0], 0] += MATCH_EXCESS
    traffic = pd.DataFrame({"cell_id": np.repeat(np.array(cells, dtype=object)[None, :], len(hours), 0).ravel(),
                            "timestamp": np.repeat(hours, len(cells)), "load": values.ravel()})
    matches = pd.DataFrame({
        "event_id": [f"match-{moment:%Y-%m-%d}" for moment in kick_offs], "name": "Synthetic match",
        "kind": "match", "venue_id": "stadium", "start": kick_offs,
        "end": [moment + pd.Timedelta(hours=2) for moment in kick_offs], "expected_attendance": 40000.0,
        "attendance_low": np.nan, "attendance_high": np.nan, "source": "calendar",
    })
    events = pd.concat([matches, planned], ignore_index=True) if planned is not None else matches
    venue_offsets = {"stadium": 0.0, **(extra_venues or {})}
    venues = pd.DataFrame({"venue_id": list(venue_offsets), "name": list(venue_offsets), "latitude": LATITUDE,
                           "longitude": [east_of(offset) for offset in venue_offsets.values()],
                           "capacity_people": 50000})
    cell_table = pd.DataFrame({"cell_id": cells, "site_id": cells, "latitude": LATITUDE,
                               "longitude": [east_of(offset) for offset in cell_offsets_m],
                               "utilisation_threshold": 0.8, "capacity_load": 400.0})
    settings = settings or Settings(name="grid", title="Synthetic grid", timezone=TIMEZONE, country="",
                                    subdivision="", step_minutes=60, measures=(Measure("load", "MB", "volume"),),
                                    capacity=CapacitySettings(), staffing=StaffingSettings())
    return Dataset(name="grid", path=Path("."), settings=settings, traffic=traffic, events=events, venues=venues,
                   cells=cell_table, quality=DataQuality(), routes=empty_routes() if routes is None else routes)


def planned_event(event_id: str, kind: str, venue_id: str, start: pd.Timestamp, hours: float,
                  attendance: float = 40000.0, low: float = np.nan, high: float = np.nan) -> dict:
    """Return one events-table row."""
    return {"event_id": event_id, "name": event_id, "kind": kind, "venue_id": venue_id, "start": start,
            "end": start + pd.Timedelta(hours=hours), "expected_attendance": attendance, "attendance_low": low,
            "attendance_high": high, "source": "calendar"}
