"""Convert the 100 Milan grid squares (hourly Internet activity) into ``data/milan``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from conversion.common import csv_text, iso_text, localize, number_text, render_template, round_to
from conversion.matches import TIMEZONE, match_events, read_matches, san_siro_venue

SOURCE = Path("milan_telecom_100_squares_hourly")
TRAFFIC_FILE = SOURCE / "milan_100_squares_hourly.2013-11-04_to_2013-12-01.csv"
CENTROIDS_FILE = SOURCE / "milan_100_squares_centroids.csv"
GRID_FILE = Path("milan_telecom_san_siro") / "milano-grid.geojson"
GRID_ATTRIBUTION = ("Contains data from the Milano GRID of the Telecom Italia Big Data Challenge 2014 "
                    "(doi:10.1038/sdata.2015.55), used under ODbL 1.0; this derived database is shared under "
                    "ODbL 1.0 too.")

# Capacity of each square: CAPACITY_FACTOR x its 99th percentile hourly value
# over the calibration fortnight (the first two ISO weeks of the slice).
CALIBRATION_END = pd.Timestamp("2013-11-18 00:00")
CAPACITY_PERCENTILE = 0.99
CAPACITY_FACTOR = 1.5
THRESHOLD = 0.8
WATCH_MARGIN = 0.1
# The square nearest to the stadium; the stadium square itself is not in the sample.
NEAREST_SQUARE = "5641"


def convert(shared: Path) -> dict[str, str]:
    """Build every file of ``data/milan`` from the shared source files.

    Returns
    -------
    dict
        File name to file text.
    """
    wide = pd.read_csv(shared / TRAFFIC_FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    wide = wide.rename(columns={wide.columns[0]: "local_time"})
    timestamps = localize(pd.to_datetime(wide["local_time"], format="%Y-%m-%d %H:%M:%S"), TIMEZONE)

    long = wide.drop(columns="local_time").assign(timestamp=timestamps)
    long = long.melt(id_vars="timestamp", var_name="cell_id", value_name="internet")
    long = long.sort_values(["cell_id", "timestamp"], kind="stable").reset_index(drop=True)
    traffic = pd.DataFrame({
        "cell_id": long["cell_id"],
        "timestamp": iso_text(long["timestamp"]),
        "internet": long["internet"],
    })

    values = long.assign(internet=pd.to_numeric(long["internet"])).pivot(
        index="timestamp", columns="cell_id", values="internet")
    calibration = values[values.index < CALIBRATION_END.tz_localize(TIMEZONE)]
    capacity = (CAPACITY_FACTOR * calibration.quantile(CAPACITY_PERCENTILE)).map(lambda v: round_to(v, 0.1))
    cells = _cells(shared, capacity)

    matches = read_matches(shared)
    events = match_events(matches)

    median_capacity = float(capacity.median())
    facts = _facts(values, capacity, events)
    facts.update({
        "rows": len(traffic),
        "cells": values.shape[1],
        "hours": values.shape[0],
        "first_timestamp": traffic["timestamp"].min(),
        "last_timestamp": traffic["timestamp"].max(),
        "match_count": len(events),
        "capacity_min": number_text(capacity.min(), 1),
        "capacity_median": number_text(median_capacity, 1),
        "capacity_max": number_text(capacity.max(), 1),
        "carrier_capacity": number_text(round_to(median_capacity / 2, 0.1), 1),
        "wheels_capacity": number_text(round_to(median_capacity, 0.1), 1),
        "nearest_square": NEAREST_SQUARE,
        "nearest_capacity": number_text(capacity[NEAREST_SQUARE], 1),
    })
    return {
        "traffic.csv": csv_text(traffic),
        "cells.csv": csv_text(cells),
        "cells.geojson": _cell_polygons(shared, list(cells["cell_id"])),
        "events.csv": csv_text(events),
        "venues.csv": csv_text(san_siro_venue()),
        "settings.toml": render_template("milan/settings.toml.in", facts),
        "PROVENANCE.md": render_template("milan/PROVENANCE.md.in", facts),
    }


def _cells(shared: Path, capacity: pd.Series) -> pd.DataFrame:
    centroids = pd.read_csv(shared / CENTROIDS_FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = sorted(set(capacity.index) - set(centroids["square_id"]))
    if missing:
        raise ValueError(f"{CENTROIDS_FILE}: no centroid for squares {', '.join(missing)}")
    cells = pd.DataFrame({
        "cell_id": centroids["square_id"],
        "site_id": centroids["square_id"],
        "latitude": centroids["lat"],
        "longitude": centroids["lon"],
        "utilisation_threshold": "",
        "capacity_internet": centroids["square_id"].map(lambda square: number_text(capacity[square], 1)),
    })
    return cells.sort_values("cell_id", kind="stable").reset_index(drop=True)


def _cell_polygons(shared: Path, cell_ids: list[str]) -> str:
    """Return the Milano GRID polygons of the bundled squares as GeoJSON text, in ``cell_ids`` order."""
    grid = json.loads((shared / GRID_FILE).read_text(encoding="utf-8"))
    by_square = {str(feature["properties"]["cellId"]): feature["geometry"] for feature in grid["features"]}
    missing = [cell_id for cell_id in cell_ids if cell_id not in by_square]
    if missing:
        raise ValueError(f"{GRID_FILE}: no polygon for squares {', '.join(missing)}")
    features = [{"type": "Feature", "properties": {"cell_id": cell_id}, "geometry": by_square[cell_id]}
                for cell_id in cell_ids]
    document = {"type": "FeatureCollection", "attribution": GRID_ATTRIBUTION, "license": "ODbL-1.0",
                "features": features}
    lines = [json.dumps(feature, separators=(",", ":")) for feature in features]
    header = json.dumps({key: value for key, value in document.items() if key != "features"})[:-1]
    return header + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def _facts(values: pd.DataFrame, capacity: pd.Series, events: pd.DataFrame) -> dict[str, object]:
    """Count the observed cell-hours that reach the add and watch bands, per ISO week."""
    utilisation = values / capacity
    add = utilisation > THRESHOLD
    watch = (utilisation > THRESHOLD - WATCH_MARGIN) & ~add
    week = values.index.map(lambda moment: f"{moment.isocalendar().year}-W{moment.isocalendar().week:02d}")
    match_days = set(pd.to_datetime(events["start"]).map(lambda moment: moment.date()))
    on_match_day = values.index.map(lambda moment: moment.date() in match_days)

    lines = ["| ISO week | cell-hours at add (> 0.8) | cells with an add hour | cell-hours at watch | "
             "add cell-hours on match days |", "|---|---|---|---|---|"]
    for label in sorted(set(week)):
        in_week = week == label
        lines.append(f"| {label} | {int(add[in_week].sum().sum())} | {int(add[in_week].any().sum())} | "
                     f"{int(watch[in_week].sum().sum())} | {int(add[in_week & on_match_day].sum().sum())} |")
    nearest_add = add[NEAREST_SQUARE]
    return {
        "band_table": "\n".join(lines),
        "add_total": int(add.sum().sum()),
        "watch_total": int(watch.sum().sum()),
        "nearest_add_hours": int(nearest_add.sum()),
        "nearest_add_after_calibration": int(nearest_add[values.index >= CALIBRATION_END.tz_localize(TIMEZONE)].sum()),
    }
