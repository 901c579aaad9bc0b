"""Convert the San Siro stadium square (10-minute activity) into ``data/san-siro``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from conversion.common import csv_text, hourly_volume, iso_text, localize, number_text, render_template, round_to
from conversion.matches import TIMEZONE, match_events, read_matches, san_siro_venue

TRAFFIC_FILE = Path("milan_telecom_san_siro") / "San_Siro_Mobile_Phone_Data.2013-11-01_to_2013-12-01.csv"
GRID_FILE = Path("milan_telecom_san_siro") / "milano-grid.geojson"
CELL_ID = "5738"
STEP_MINUTES = 10
LAST_DATE = "2013-12-01"
# Source column to measure name, in the order of the traffic.csv columns.
MEASURES = {"Internet Activity": "internet", "Calls and SMS Activity": "calls_sms"}
# The busiest observed hour runs at OVERLOAD_AT_MAXIMUM x capacity.
OVERLOAD_AT_MAXIMUM = 1.1
THRESHOLD = 0.8
WATCH_MARGIN = 0.1


def convert(shared: Path) -> dict[str, str]:
    """Build every file of ``data/san-siro`` from the shared source files.

    Returns
    -------
    dict
        File name to file text.
    """
    source = pd.read_csv(shared / TRAFFIC_FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    timestamps = localize(pd.to_datetime(source["Timestamp"], format="%Y-%m-%d %H:%M:%S"), TIMEZONE)
    traffic = pd.DataFrame({"cell_id": CELL_ID, "timestamp": iso_text(timestamps)})
    for column, measure in MEASURES.items():
        traffic[measure] = source[column]

    hourly = {
        measure: hourly_volume(pd.Series(pd.to_numeric(source[column]).to_numpy(), index=timestamps), STEP_MINUTES)
        for column, measure in MEASURES.items()
    }
    capacity = {measure: round_to(values.max() / OVERLOAD_AT_MAXIMUM, 10) for measure, values in hourly.items()}

    matches = read_matches(shared)
    events = match_events(matches[matches["date"] <= LAST_DATE].reset_index(drop=True))

    latitude, longitude = square_centroid(shared, int(CELL_ID))
    cells = pd.DataFrame([{
        "cell_id": CELL_ID,
        "site_id": CELL_ID,
        "latitude": f"{latitude:.6f}",
        "longitude": f"{longitude:.6f}",
        "utilisation_threshold": "",
        **{f"capacity_{measure}": number_text(value, 0) for measure, value in capacity.items()},
    }])

    facts: dict[str, object] = {
        "rows": len(traffic),
        "first_timestamp": traffic["timestamp"].iloc[0],
        "last_timestamp": traffic["timestamp"].iloc[-1],
        "match_count": len(events),
        "band_table": _band_table(hourly, capacity, events),
        "peak_table": _peak_table(source, timestamps, events),
    }
    for measure, values in hourly.items():
        facts[f"capacity_{measure}"] = number_text(capacity[measure], 0)
        facts[f"carrier_{measure}"] = number_text(capacity[measure] / 2, 0)
        facts[f"max_{measure}"] = number_text(values.max(), 1)
        facts[f"mean_{measure}"] = number_text(values.mean(), 1)
    return {
        "traffic.csv": csv_text(traffic),
        "cells.csv": csv_text(cells),
        "events.csv": csv_text(events),
        "venues.csv": csv_text(san_siro_venue()),
        "settings.toml": render_template("san-siro/settings.toml.in", facts),
        "PROVENANCE.md": render_template("san-siro/PROVENANCE.md.in", facts),
    }


def square_centroid(shared: Path, square_id: int) -> tuple[float, float]:
    """Return the latitude and longitude of a Milano GRID square: the mean of its four corners."""
    with (shared / GRID_FILE).open(encoding="utf-8") as handle:
        grid = json.load(handle)
    for feature in grid["features"]:
        if feature["properties"]["cellId"] == square_id:
            corners = feature["geometry"]["coordinates"][0][:4]
            longitude = sum(corner[0] for corner in corners) / 4
            latitude = sum(corner[1] for corner in corners) / 4
            return latitude, longitude
    raise ValueError(f"{GRID_FILE}: no square with cellId {square_id}")


def _match_days(events: pd.DataFrame) -> set:
    return set(pd.to_datetime(events["start"]).map(lambda moment: moment.date()))


def _band_table(hourly: dict[str, pd.Series], capacity: dict[str, float], events: pd.DataFrame) -> str:
    """List, per measure, the observed hours in the add and watch bands and how many fall on match days."""
    match_days = _match_days(events)
    lines = ["| measure | capacity per hour | hours at add (> 0.8) | of them on match days | hours at watch | "
             "of them on match days |", "|---|---|---|---|---|---|"]
    for measure, values in hourly.items():
        utilisation = values / capacity[measure]
        add = utilisation > THRESHOLD
        watch = (utilisation > THRESHOLD - WATCH_MARGIN) & ~add
        on_match_day = values.index.map(lambda moment: moment.date() in match_days)
        lines.append(f"| {measure} | {number_text(capacity[measure], 0)} | {int(add.sum())} | "
                     f"{int((add & on_match_day).sum())} | {int(watch.sum())} | {int((watch & on_match_day).sum())} |")
    return "\n".join(lines)


def _peak_table(source: pd.DataFrame, timestamps: pd.Series, events: pd.DataFrame) -> str:
    """Show how far the 10-minute peak of each match day lies from the scheduled kick-off."""
    lines = ["| match | kick-off | Internet peak | offset | calls+SMS peak | offset |", "|---|---|---|---|---|---|"]
    for _, event in events.iterrows():
        kickoff = pd.Timestamp(event["start"])
        row = [event["name"], kickoff.strftime("%Y-%m-%d %H:%M")]
        for column in MEASURES:
            values = pd.Series(pd.to_numeric(source[column]).to_numpy(), index=timestamps)
            day = values[values.index.date == kickoff.date()]
            peak = day.idxmax()
            offset_minutes = int((peak - kickoff).total_seconds() // 60)
            row += [peak.strftime("%H:%M"), f"{offset_minutes:+d} min"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
