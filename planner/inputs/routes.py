"""Routes of moving events (demonstrations, marathons, parades): ordered waypoints, with times or not.

A route is read from ``routes.csv`` (columns ``event_id``, ``sequence``,
``latitude``, ``longitude`` and an optional ``time``) or from
``routes.geojson`` (LineString features with an ``event_id`` property and
an optional ``times`` list, one local or offset time per point). Within one
event the times are either all given or all empty; empty times are placed
later from the event's start and the settings' marching speed.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.errors import InputError, Problem
from planner.inputs.settings import Settings
from planner.inputs.timestamps import parse_timestamp_column
from planner.messages import translatable

logger = logging.getLogger(__name__)

ROUTE_COLUMNS: tuple[str, ...] = ("event_id", "sequence", "latitude", "longitude", "time")


def empty_routes() -> pd.DataFrame:
    """Return a routes table with no rows and the columns of ``Dataset.routes``."""
    frame = pd.DataFrame({column: pd.Series(dtype=object) for column in ROUTE_COLUMNS})
    frame["sequence"] = frame["sequence"].astype(int)
    frame["latitude"] = frame["latitude"].astype(float)
    frame["longitude"] = frame["longitude"].astype(float)
    return frame


def read_routes(path: str | Path, settings: Settings, event_ids: pd.Series | None = None) -> pd.DataFrame:
    """Read a routes file (``.csv`` or ``.geojson``) into one row per waypoint, sorted by event and sequence.

    Returns the columns ``ROUTE_COLUMNS``: ``time`` is tz-aware in the
    dataset's time zone, NaT where the file gives none.

    Raises
    ------
    InputError
        Listing every problem: a missing or non-numeric field, a latitude
        outside [-90, 90] or a longitude outside [-180, 180], a repeated
        sequence, a route with fewer than 2 waypoints, times given for only
        some waypoints of an event or not increasing along the route, and an
        ``event_id`` absent from the events when ``event_ids`` is given.
    """
    path = Path(path)
    if path.suffix.lower() == ".geojson":
        frame, lines, problems = _geojson_rows(path)
    else:
        frame, lines, problems = _csv_rows(path)
    if frame.empty and not problems:
        return empty_routes()

    for column, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        values = pd.to_numeric(frame[column], errors="coerce")
        for row in np.flatnonzero(values.isna() | (values < low) | (values > high)):
            problems.append(Problem(str(path), int(lines.iloc[row]), column, frame[column].iloc[row],
                                    translatable("invalid {column}; expected decimal degrees in [{low}, {high}]",
                                                 column=column, low=low, high=high)))
        frame[column] = values
    sequence = pd.to_numeric(frame["sequence"], errors="coerce")
    for row in np.flatnonzero(sequence.isna() | (sequence % 1 != 0)):
        problems.append(Problem(str(path), int(lines.iloc[row]), "sequence", frame["sequence"].iloc[row],
                                translatable("invalid sequence; expected a whole number giving the waypoint's "
                                             "order")))
    frame["sequence"] = sequence

    text = frame["time"].fillna("").astype(str).str.strip()
    given = text != ""
    times = pd.Series(pd.NaT, index=frame.index, dtype=f"datetime64[ns, {settings.timezone.key}]")
    if given.any():
        parsed = parse_timestamp_column(text[given], settings.timezone, str(path), "time", lines[given],
                                        date_format=settings.inputs.date_format,
                                        nonexistent=settings.inputs.nonexistent_local_time)
        problems.extend(parsed.problems)
        times[given] = pd.Series(parsed.values, index=text[given].index)
    frame["time"] = times
    if event_ids is not None:
        known = set(event_ids.astype(str))
        for row in np.flatnonzero(~frame["event_id"].isin(known)):
            problems.append(Problem(str(path), int(lines.iloc[row]), "event_id", frame["event_id"].iloc[row],
                                    translatable("event not found in the events; add it to events.csv or fix the "
                                                 "id")))
    problems.extend(_route_problems(path, frame, lines))
    if problems:
        raise InputError(sorted(problems, key=lambda problem: problem.row or 0))

    frame["sequence"] = frame["sequence"].astype(int)
    frame = frame.sort_values(["event_id", "sequence"], kind="stable").reset_index(drop=True)
    logger.info("%s: %d waypoints of %d routes", path, len(frame), frame["event_id"].nunique())
    return frame[list(ROUTE_COLUMNS)]


def _csv_rows(path: Path) -> tuple[pd.DataFrame, pd.Series, list[Problem]]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InputError([Problem(str(path), None, None, None,
                                  translatable("cannot read the routes file: {error}", error=str(error)))]) from None
    missing = [column for column in ROUTE_COLUMNS[:4] if column not in frame.columns]
    if missing:
        raise InputError([Problem(str(path), 1, column, None,
                                  translatable("missing column; the header needs {columns} and may add time",
                                               columns=", ".join(ROUTE_COLUMNS[:4])))
                          for column in missing])
    if "time" not in frame.columns:
        frame["time"] = ""
    frame = frame[list(ROUTE_COLUMNS)].copy()
    frame["event_id"] = frame["event_id"].str.strip()
    lines = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
    problems = [Problem(str(path), int(lines.iloc[row]), "event_id", "", translatable("missing event_id"))
                for row in np.flatnonzero(frame["event_id"] == "")]
    return frame, lines, problems


def _geojson_rows(path: Path) -> tuple[pd.DataFrame, pd.Series, list[Problem]]:
    """Flatten LineString features into waypoint rows; ``lines`` then holds the feature number (from 1)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError([Problem(str(path), None, None, None,
                                  translatable("invalid GeoJSON: {error}", error=str(error)))]) from None
    rows, numbers, problems = [], [], []
    for number, feature in enumerate(document.get("features", []) if isinstance(document, dict) else [], start=1):
        properties = (feature or {}).get("properties") or {}
        geometry = (feature or {}).get("geometry") or {}
        event_id = str(properties.get("event_id") or "").strip()
        if not event_id:
            problems.append(Problem(str(path), number, "event_id", None, translatable("missing event_id property")))
            continue
        if geometry.get("type") != "LineString":
            problems.append(Problem(str(path), number, "geometry", geometry.get("type"),
                                    translatable("invalid geometry; expected a LineString of longitude, latitude "
                                                 "points")))
            continue
        points = geometry.get("coordinates") or []
        times = properties.get("times") or [""] * len(points)
        if len(times) != len(points):
            problems.append(Problem(str(path), number, "times", len(times),
                                    translatable("expected one time per point ({count}) or no times property",
                                                 count=len(points))))
            continue
        for sequence, (point, moment) in enumerate(zip(points, times), start=1):
            longitude, latitude = (list(point) + [None, None])[:2]
            rows.append({"event_id": event_id, "sequence": sequence, "latitude": latitude,
                         "longitude": longitude, "time": moment or ""})
            numbers.append(number)
    frame = pd.DataFrame(rows, columns=list(ROUTE_COLUMNS))
    return frame, pd.Series(numbers, index=frame.index, dtype=int), problems


def _route_problems(path: Path, frame: pd.DataFrame, lines: pd.Series) -> list[Problem]:
    problems = []
    for event_id, route in frame.groupby("event_id", sort=False):
        first_line = int(lines.loc[route.index[0]])
        repeated = route["sequence"].dropna().duplicated()
        for index in repeated[repeated].index:
            problems.append(Problem(str(path), int(lines.loc[index]), "sequence", route.at[index, "sequence"],
                                    translatable("repeated sequence in the route of {event!r}; number the waypoints "
                                                 "1, 2, 3...", event=event_id)))
        if len(route) < 2:
            problems.append(Problem(str(path), first_line, "event_id", event_id,
                                    translatable("a route needs at least 2 waypoints")))
        timed = route["time"].notna()
        if timed.any() and not timed.all():
            problems.append(Problem(str(path), first_line, "time", event_id,
                                    translatable("give a time for every waypoint of this route, or for none of "
                                                 "them")))
        elif timed.all() and len(route) > 1:
            ordered = route.sort_values("sequence")["time"]
            if not ordered.is_monotonic_increasing:
                problems.append(Problem(str(path), first_line, "time", event_id,
                                        translatable("waypoint times must not decrease along the sequence")))
    return problems
