"""Build ``data/paris-2023``: the real 2023 Paris protest calendar over a SYNTHETIC cell grid.

The calendar is real: the intersyndicale days against the 2023 pension
reform, with the Paris counts of the authorities (low) and of the CGT union
(high). Everything else is synthetic and labelled so: the cells are a
regular 400 m grid over eastern Paris, their hourly traffic is resampled
from the bundled Milan squares, and past protest days get a synthetic excess
along the march route, so that the planner has an effect to learn.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from conversion.common import csv_text, iso_text, number_text, render_template, round_to
from planner.forecasting.routes import march_length_m, route_cell_weights, route_schedule
from planner.inputs.geography import EARTH_RADIUS_M
from planner.inputs.settings import RouteSettings

PROTESTS_FILE = Path("france_events") / "paris_pension_reform_protests_2023.csv"
MILAN_FILE = Path("milan_telecom_100_squares_hourly") / "milan_100_squares_hourly.2013-11-04_to_2013-12-01.csv"
TIMEZONE = "Europe/Paris"
FIRST_DAY = pd.Timestamp("2023-01-02")
LAST_DAY = pd.Timestamp("2023-04-16")
"""The synthetic traffic spans 15 ISO weeks, 2023-W01 to 2023-W15: 12 of the 14 protest days."""
SEED = 2023

GRID_CENTRE = (48.8579, 2.3798)
GRID_COLUMNS, GRID_ROWS = 8, 7
CELL_SIZE_M = 400.0
START_HOUR, DURATION_HOURS = 14, 5
"""Paris marches usually left at about 14:00; the 5-hour duration is assumed."""

# Approximate waypoints of the usual République - Bastille - Nation route, from public maps.
ROUTE = [
    ("Place de la République", 48.8675, 2.3638),
    ("Boulevard du Temple, Filles du Calvaire", 48.8630, 2.3666),
    ("Place de la Bastille", 48.8532, 2.3692),
    ("Rue du Faubourg Saint-Antoine, Faidherbe", 48.8508, 2.3840),
    ("Place de la Nation", 48.8483, 2.3958),
]
VENUES = [("republique", "Place de la République", 48.8675, 2.3638),
          ("nation", "Place de la Nation", 48.8483, 2.3958)]

FOOTPRINT_RADIUS_M = 300.0
"""Reach of a march around its route, the settings' radius for demonstrations."""
SYNTHETIC_UPLIFT_PER_100K = 0.5
"""Synthetic excess, in units of the cell's mean level, of 100 000 marchers standing in the cell for an hour."""
CAPACITY_FACTOR = 1.5


def convert(shared: Path) -> dict[str, str]:
    """Build every file of ``data/paris-2023``; returns file name to file text."""
    protests = pd.read_csv(shared / PROTESTS_FILE, dtype={"date": str})
    events = _events(protests)
    cells, polygons, shapes = _grid()
    hours = pd.date_range(FIRST_DAY.tz_localize(TIMEZONE), (LAST_DAY + pd.Timedelta(hours=23)).tz_localize(TIMEZONE),
                          freq="h")
    values = _resampled_traffic(shared, hours, len(cells))
    routes = _routes(events)
    values, injected = _inject_protests(values, hours, cells, shapes, events, routes)

    calibration = values[: 2 * 168]
    capacity = [round_to(CAPACITY_FACTOR * float(np.quantile(calibration[:, column], 0.99)), 0.1)
                for column in range(len(cells))]
    cells["utilisation_threshold"] = ""
    cells["capacity_internet"] = [number_text(value, 1) for value in capacity]

    traffic = pd.DataFrame({
        "cell_id": np.repeat(cells["cell_id"].to_numpy(), len(hours)),
        "timestamp": np.tile(iso_text(pd.Series(hours)).to_numpy(), len(cells)),
        "internet": [number_text(value, 1) for value in values.T.ravel()],
    })
    venues = pd.DataFrame(VENUES, columns=["venue_id", "name", "latitude", "longitude"]).assign(capacity_people="")
    facts = {
        "rows": len(traffic), "cells": len(cells), "cell_size_m": number_text(CELL_SIZE_M, 0),
        "first_timestamp": traffic["timestamp"].iloc[0], "last_timestamp": traffic["timestamp"].iloc[len(hours) - 1],
        "event_count": len(events), "events_in_span": int((pd.to_datetime(events["start"], utc=True)
                                                          < (LAST_DAY + pd.Timedelta(days=1)).tz_localize(TIMEZONE)).sum()),
        "route_table": "\n".join(f"| {index} | {name} | {latitude} | {longitude} |"
                                 for index, (name, latitude, longitude) in enumerate(ROUTE, start=1)),
        "uplift_per_100k": number_text(SYNTHETIC_UPLIFT_PER_100K, 1),
        "injected_days": injected, "seed": SEED,
    }
    return {
        "traffic.csv": csv_text(traffic),
        "cells.csv": csv_text(cells[["cell_id", "site_id", "latitude", "longitude", "utilisation_threshold",
                                     "capacity_internet"]]),
        "cells.geojson": polygons,
        "events.csv": csv_text(events),
        "venues.csv": csv_text(venues),
        "routes.csv": csv_text(routes),
        "settings.toml": render_template("paris-2023/settings.toml.in", facts),
        "PROVENANCE.md": render_template("paris-2023/PROVENANCE.md.in", facts),
    }


def _events(protests: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for protest in protests.itertuples(index=False):
        start = pd.Timestamp(protest.date) + pd.Timedelta(hours=START_HOUR)
        low, high = protest.paris_participants_authorities, protest.paris_participants_cgt
        rows.append({
            "event_id": f"paris-protest-{protest.date}", "kind": "demonstration", "venue_id": "republique",
            "name": f"Pension reform protest day {protest.intersyndicale_day_no} (Paris march)",
            "start": start.tz_localize(TIMEZONE).isoformat(),
            "end": (start + pd.Timedelta(hours=DURATION_HOURS)).tz_localize(TIMEZONE).isoformat(),
            "expected_attendance": "",
            "attendance_low": "" if pd.isna(low) else str(int(low)),
            "attendance_high": "" if pd.isna(high) else str(int(high)),
        })
    return pd.DataFrame(rows)[["event_id", "name", "kind", "venue_id", "start", "end", "expected_attendance",
                               "attendance_low", "attendance_high"]]


def _grid() -> tuple[pd.DataFrame, str, dict]:
    """Return the synthetic square cells (centroids), their polygons as GeoJSON text and as shapes."""
    latitude_step = np.degrees(CELL_SIZE_M / EARTH_RADIUS_M)
    longitude_step = latitude_step / np.cos(np.radians(GRID_CENTRE[0]))
    rows, features, shapes = [], [], {}
    for row in range(GRID_ROWS):
        for column in range(GRID_COLUMNS):
            latitude = GRID_CENTRE[0] + (row - (GRID_ROWS - 1) / 2) * latitude_step
            longitude = GRID_CENTRE[1] + (column - (GRID_COLUMNS - 1) / 2) * longitude_step
            cell_id = f"P{row:02d}{column:02d}"
            rows.append({"cell_id": cell_id, "site_id": cell_id, "latitude": round(latitude, 6),
                         "longitude": round(longitude, 6)})
            half_lat, half_lon = latitude_step / 2, longitude_step / 2
            ring = [[round(longitude + dx * half_lon, 6), round(latitude + dy * half_lat, 6)]
                    for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))]
            shapes[cell_id] = [[np.array(ring)]]
            features.append(json.dumps({"type": "Feature", "properties": {"cell_id": cell_id},
                                        "geometry": {"type": "Polygon", "coordinates": [ring]}},
                                       separators=(",", ":")))
    header = json.dumps({"type": "FeatureCollection",
                         "description": "SYNTHETIC square cells of 400 m over eastern Paris; not a real network"})[:-1]
    return pd.DataFrame(rows), header + ', "features": [\n' + ",\n".join(features) + "\n]}\n", shapes


def _resampled_traffic(shared: Path, hours: pd.DatetimeIndex, cell_count: int) -> np.ndarray:
    """Give each synthetic cell the weekly pattern of a randomly drawn Milan square, week after week.

    Hour h of 2023 takes the Milan value at the same weekday and hour of one
    of the four Milan weeks, in rotation, so the series keeps its daily and
    weekly shape and its week-to-week noise.
    """
    milan = pd.read_csv(shared / MILAN_FILE)
    milan = milan.drop(columns=milan.columns[0]).to_numpy(float)
    generator = np.random.default_rng(SEED)
    squares = generator.choice(milan.shape[1], size=cell_count, replace=False)
    week_of_year = ((hours.tz_localize(None) - FIRST_DAY) // pd.Timedelta(weeks=1)).to_numpy()
    hour_of_week = (hours.dayofweek * 24 + hours.hour).to_numpy()
    milan_rows = (week_of_year % 4) * 168 + hour_of_week
    return milan[milan_rows][:, squares]


def _routes(events: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for event_id in events["event_id"]:
        for sequence, (_, latitude, longitude) in enumerate(ROUTE, start=1):
            rows.append({"event_id": event_id, "sequence": sequence, "latitude": latitude, "longitude": longitude,
                         "time": ""})
    return pd.DataFrame(rows)


def _inject_protests(values: np.ndarray, hours: pd.DatetimeIndex, cells: pd.DataFrame, shapes: dict,
                     events: pd.DataFrame, routes: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Add the synthetic excess of each protest day in the span along its route; return the values and day count."""
    settings = RouteSettings()
    level = values.mean(axis=0)
    counted = pd.to_numeric(events["attendance_low"]).add(pd.to_numeric(events["attendance_high"])) / 2
    typical = float(counted.median())
    days = 0
    for event, crowd in zip(events.itertuples(index=False), counted.fillna(typical)):
        start, end = pd.Timestamp(event.start), pd.Timestamp(event.end)
        if start < hours[0] or start > hours[-1]:
            continue
        route = routes[routes["event_id"] == event.event_id].assign(time=pd.NaT)
        schedule = route_schedule(route, start, settings)
        weights = route_cell_weights(schedule, start, end, march_length_m(crowd, settings), hours, cells, shapes,
                                     FOOTPRINT_RADIUS_M)
        values = values + SYNTHETIC_UPLIFT_PER_100K * (crowd / 100_000) * weights * level[None, :]
        days += 1
    return values, days
