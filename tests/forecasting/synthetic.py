"""A synthetic one-cell dataset whose event effect is known exactly (test helper)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from planner.inputs.dataset import DataQuality, Dataset
from planner.inputs.settings import CapacitySettings, Measure, Settings, StaffingSettings

TIMEZONE = ZoneInfo("Europe/Paris")


def daily_shape(hours: pd.DatetimeIndex) -> np.ndarray:
    """Return a smooth daily pattern between 50 and 150, by local hour."""
    return 100.0 + 50.0 * np.sin(2 * np.pi * (hours.hour.to_numpy() - 9) / 24)


def synthetic_dataset(events: pd.DataFrame, excess_by_hour: dict[int, float], *, start: str = "2024-01-01",
                      weeks: int = 10, reference_attendance: float = 40000.0, noise: float = 0.0,
                      seed: int = 0) -> Dataset:
    """Build a synthetic dataset: a daily pattern plus, for each event, a known excess.

    ``excess_by_hour`` maps an hour offset from the event's start hour to the
    excess added for an event of ``reference_attendance``; larger crowds add
    proportionally more.
    """
    hours = pd.date_range(pd.Timestamp(start, tz=TIMEZONE), periods=weeks * 168, freq="h")
    values = daily_shape(hours)
    generator = np.random.default_rng(seed)
    values = values * (1 + noise * generator.standard_normal(len(hours)))
    for event in events.itertuples(index=False):
        start_hour = event.start.floor("h")
        for offset, excess in excess_by_hour.items():
            row = hours.get_indexer([start_hour + pd.Timedelta(hours=offset)])[0]
            if row >= 0:
                values[row] += excess * event.expected_attendance / reference_attendance
    traffic = pd.DataFrame({"cell_id": "cell-a", "timestamp": hours, "load": values})
    cells = pd.DataFrame({"cell_id": ["cell-a"], "site_id": ["site-a"], "latitude": [48.8414],
                          "longitude": [2.2530], "utilisation_threshold": [0.8], "capacity_load": [400.0]})
    venues = pd.DataFrame({"venue_id": ["stadium"], "name": ["Stadium"], "latitude": [48.8414],
                           "longitude": [2.2530], "capacity_people": [80000]})
    settings = Settings(name="synthetic", title="Synthetic", timezone=TIMEZONE, country="", subdivision="",
                        step_minutes=60, measures=(Measure("load", "MB", "volume"),),
                        capacity=CapacitySettings(), staffing=StaffingSettings())
    return Dataset(name="synthetic", path=Path("."), settings=settings, traffic=traffic, events=events,
                   venues=venues, cells=cells, quality=DataQuality())


def match_events(starts: list[str], attendances: list[float], duration_hours: float = 2.0) -> pd.DataFrame:
    """Return an events table of matches at the synthetic stadium."""
    start = pd.to_datetime(starts).tz_localize(TIMEZONE)
    return pd.DataFrame({
        "event_id": [f"match-{stamp:%Y-%m-%d}" for stamp in start],
        "name": "Synthetic match", "kind": "match", "venue_id": "stadium",
        "start": start, "end": start + pd.Timedelta(hours=duration_hours),
        "expected_attendance": np.asarray(attendances, dtype=float),
        "attendance_low": np.nan, "attendance_high": np.nan, "source": "calendar",
    })


def venue_network_dataset(venue_excess: dict[str, list[dict[int, float]]], starts: list[str], *,
                          weeks: int = 10) -> Dataset:
    """Build a synthetic network of one cell per venue, 50 km apart, with a known excess for each match.

    ``venue_excess`` maps each venue to the excess of each of its matches
    (hour offset from the start hour to excess, as in
    :func:`synthetic_dataset`), one per entry of ``starts``; a match is
    planned at every venue for each start beyond the last excess given. All
    crowds are 40,000 people.
    """
    hours = pd.date_range(pd.Timestamp("2024-01-01", tz=TIMEZONE), periods=weeks * 168, freq="h")
    start = pd.to_datetime(starts).tz_localize(TIMEZONE)
    traffic, cells, venues, events = [], [], [], []
    for number, (venue, excess_by_match) in enumerate(venue_excess.items()):
        values = daily_shape(hours)
        for match_start, excess_by_hour in zip(start, excess_by_match):
            for offset, excess in excess_by_hour.items():
                values[hours.get_loc(match_start.floor("h") + pd.Timedelta(hours=offset))] += excess
        cell = f"cell-{venue}"
        latitude = 45.0 + 0.45 * number
        traffic.append(pd.DataFrame({"cell_id": cell, "timestamp": hours, "load": values}))
        cells.append({"cell_id": cell, "site_id": f"site-{venue}", "latitude": latitude, "longitude": 2.0,
                      "utilisation_threshold": 0.8, "capacity_load": 400.0})
        venues.append({"venue_id": venue, "name": venue.title(), "latitude": latitude, "longitude": 2.0,
                       "capacity_people": 80000})
        matches = match_events(starts, [40000.0] * len(starts))
        events.append(matches.assign(event_id=[f"{venue}-{stamp:%Y-%m-%d}" for stamp in start], venue_id=venue))
    settings = Settings(name="synthetic", title="Synthetic", timezone=TIMEZONE, country="", subdivision="",
                        step_minutes=60, measures=(Measure("load", "MB", "volume"),),
                        capacity=CapacitySettings(), staffing=StaffingSettings())
    return Dataset(name="synthetic", path=Path("."), settings=settings,
                   traffic=pd.concat(traffic, ignore_index=True), events=pd.concat(events, ignore_index=True),
                   venues=pd.DataFrame(venues), cells=pd.DataFrame(cells), quality=DataQuality())
