"""Load a dataset folder into a validated ``Dataset``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from planner.inputs.dataset import DataQuality, Dataset, TableQuality
from planner.inputs.errors import InputError, Problem
from planner.inputs.gaps import report_gaps
from planner.inputs.geometry import read_cell_shapes
from planner.inputs.holidays import holiday_events
from planner.inputs.hourly import to_hourly
from planner.inputs.icalendar_events import read_events_ics
from planner.inputs.plausibility import note_implausible_values
from planner.inputs.routes import empty_routes, read_routes
from planner.inputs.settings import Settings, load_settings
from planner.inputs.tables import read_cells, read_events, read_venues
from planner.inputs.timestamps import floor_hour
from planner.inputs.traffic import PARQUET_SUFFIXES, read_traffic
from planner.messages import Region, translatable

logger = logging.getLogger(__name__)

# Public holidays are generated this far past the last hour of traffic, so that a forecast can see them.
HOLIDAY_HORIZON = pd.Timedelta(days=60)

_Result = TypeVar("_Result")


def load_dataset(path: str | Path, *, cell_ids: Collection[str] | None = None) -> Dataset:
    """Read, validate and merge every file of a dataset folder.

    The folder contains ``settings.toml``, the traffic table, ``cells.csv``,
    ``venues.csv`` and the events, and may contain ``cells.geojson`` (cell
    polygons) and ``routes.csv`` or ``routes.geojson`` (routes of moving
    events). The traffic table is ``[inputs]
    traffic_file`` when set, else ``traffic.parquet`` when present, else
    ``traffic.csv``; it is brought to hourly values (see
    :func:`planner.inputs.hourly.to_hourly`), its gaps are reported, and
    under ``[inputs] on_bad_rows = "repair"`` its short gaps are filled (see
    ``planner.inputs.gaps``). The events are ``[inputs] events_file`` when
    set, else ``events.csv`` and ``events.ics``, whichever are present (both
    are read when both are). The calendar events (``source`` =
    ``"calendar"``) are merged with the public holidays of the settings'
    country from the first hour of traffic to 60 days past the last one
    (``source`` = ``"holidays"``); a generated holiday is skipped when the
    calendar already has a ``holiday`` event on that day. Recurring events
    of an ``.ics`` file are expanded over the same span.

    With ``cell_ids``, only the traffic of those cells is read (see
    :func:`planner.inputs.traffic.read_traffic`), for a caller that reads the
    rest in partitions; the cells table keeps every cell, and the public
    holidays still span the whole traffic file (see :func:`traffic_span`).

    Raises
    ------
    InputError
        Listing the problems of every file at once. An invalid
        ``settings.toml`` is raised before the tables are read.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, None,
                                  translatable("dataset folder not found; pass a folder that contains "
                                               "settings.toml, traffic.csv, cells.csv, venues.csv and events.csv"))])
    settings = load_settings(folder / "settings.toml")

    problems: list[Problem] = []
    traffic_path = traffic_file(folder, settings)
    cells_result = _collect(problems, read_cells, folder / "cells.csv", settings)
    venues_result = _collect(problems, read_venues, folder / "venues.csv", settings.inputs)
    venues = venues_result[0] if venues_result else None
    known_cells = cells_result[0]["cell_id"] if cells_result else None
    traffic_result = _collect(problems, _read_traffic_of, traffic_path, settings, known_cells, cell_ids,
                              cells_result[0] if cells_result else None)
    window = None
    file_span = traffic_span(traffic_path, settings) if cell_ids is not None else None
    if file_span is not None:
        window = (file_span[0], file_span[1] + HOLIDAY_HORIZON)
    elif traffic_result is not None and not traffic_result[0].empty:
        window = (traffic_result[0]["timestamp"].min(), traffic_result[0]["timestamp"].max() + HOLIDAY_HORIZON)
    events_result = _collect(problems, read_event_files, folder, settings, venues, window)
    shapes_path = folder / "cells.geojson"
    shapes = _collect(problems, read_cell_shapes, shapes_path, known_cells) if shapes_path.is_file() else {}
    routes_path = route_file(folder)
    routes = empty_routes()
    if routes_path is not None:
        routes = _collect(problems, read_routes, routes_path, settings,
                          events_result[0]["event_id"] if events_result else None)
    if problems:
        raise InputError(problems)

    cells, cells_quality = cells_result
    venues, venues_quality = venues_result
    calendar, events_qualities = events_result
    steps, traffic_quality = traffic_result
    if traffic_path.suffix != ".csv" and (folder / "traffic.csv").is_file():
        note = translatable("traffic.csv ignored because the traffic table is {file}", file=traffic_path.name)
        traffic_quality.notes.append(note)
        logger.warning(translatable("{place}: {problem}", place=str(folder), problem=note))

    hourly = hourly_traffic(steps, settings, traffic_quality)
    note_implausible_values(hourly, cells, settings, traffic_quality)
    events_quality = events_qualities[0]

    quality = DataQuality(tables=[traffic_quality, *events_qualities, venues_quality, cells_quality])
    expected_cells = set(cells["cell_id"]) if cell_ids is None else set(cells["cell_id"]) & set(cell_ids)
    # unique() first: a set built from the long column would visit every one of its rows in Python.
    silent_cells = sorted(expected_cells - set(hourly["cell_id"].unique()))
    if silent_cells:
        listed = [", ".join(silent_cells[:20])]
        if len(silent_cells) > 20:
            listed.append(translatable("and {count} more", count=len(silent_cells) - 20))
        note = translatable("cells of cells.csv without traffic rows: {count} ({cells})", count=len(silent_cells),
                            cells=listed)
        quality.notes.append(note)
        logger.warning(translatable("{place}: {problem}", place=str(folder), problem=note))

    events = _merge_holidays(calendar, settings, hourly if file_span is None else file_span, events_quality)
    # Only a calendar row written with dates alone lacks its time of day (see ``read_events``).
    known = events["time_known"] if "time_known" in events.columns else pd.Series(True, index=events.index)
    events["time_known"] = known.astype(object).where(known.notna(), True).astype(bool)
    for table in quality.tables:
        logger.info("%s: %d rows read, %d accepted, %d repaired, %d rejected", table.file, table.rows_read,
                    table.rows_accepted, table.rows_repaired, table.rows_rejected)
        for note in table.notes:
            logger.info("%s: %s", table.file, note)
    if not hourly.empty:
        logger.info("%s: %d cells, hourly traffic from %s to %s", folder, hourly["cell_id"].nunique(),
                    hourly["timestamp"].min(), hourly["timestamp"].max())

    return Dataset(name=settings.name, path=folder, settings=settings, traffic=hourly, events=events,
                   venues=venues, cells=cells, quality=quality, cell_shapes=shapes, routes=routes)


def hourly_traffic(steps: pd.DataFrame, settings: Settings, quality: TableQuality) -> pd.DataFrame:
    """Bring traffic steps to hourly values and report their gaps, recording both in ``quality``.

    Gaps are interpolated only when ``[inputs] on_bad_rows = "repair"``;
    ``quality`` gets the imputed and missing hours per measure and the notes.
    """
    hourly, hourly_quality = to_hourly(steps, settings)
    repair = settings.inputs.on_bad_rows == "repair"
    hourly, gaps = report_gaps(hourly, list(settings.measure_names),
                               settings.inputs.max_interpolated_gap_hours if repair else None)
    quality.imputed_hours = {name: hourly_quality.imputed_hours[name] + gaps.filled_hours[name]
                             for name in settings.measure_names}
    quality.missing_hours = {name: hourly_quality.missing_hours[name] - gaps.filled_hours[name]
                             for name in settings.measure_names}
    quality.notes.extend(hourly_quality.notes)
    quality.notes.extend(gaps.notes)
    return hourly


def route_file(folder: Path) -> Path | None:
    """Return the routes file of a dataset folder, ``routes.csv`` before ``routes.geojson``, or None."""
    for name in ("routes.csv", "routes.geojson"):
        if (folder / name).is_file():
            return folder / name
    return None


def traffic_file(folder: Path, settings: Settings) -> Path:
    """Return the traffic table of a dataset folder: the declared one, else Parquet when present, else CSV."""
    if settings.inputs.traffic_file:
        return folder / settings.inputs.traffic_file
    parquet = folder / "traffic.parquet"
    return parquet if parquet.is_file() else folder / "traffic.csv"


def traffic_span(path: Path, settings: Settings) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Return the first and last hour of a traffic file without reading its rows, or None.

    Only a Parquet file whose ``timestamp`` column is a time-zone-aware
    timestamp type has this in its row-group statistics; for any other file
    None is returned and the caller takes the span of the traffic it read.
    """
    if path.suffix.lower() not in PARQUET_SUFFIXES or not path.is_file():
        return None
    parquet = pq.ParquetFile(path)
    index = parquet.schema_arrow.get_field_index("timestamp")
    if index < 0 or not pa.types.is_timestamp(parquet.schema_arrow.field(index).type) \
            or parquet.schema_arrow.field(index).type.tz is None:
        return None
    lows, highs = [], []
    for group in range(parquet.metadata.num_row_groups):
        statistics = parquet.metadata.row_group(group).column(index).statistics
        if statistics is None or not statistics.has_min_max:
            return None
        lows.append(pd.Timestamp(statistics.min))
        highs.append(pd.Timestamp(statistics.max))
    if not lows:
        return None
    return (floor_hour(min(lows).tz_convert(settings.timezone)), floor_hour(max(highs).tz_convert(settings.timezone)))


def read_event_files(folder: Path, settings: Settings, venues: pd.DataFrame | None,
                     window: tuple[pd.Timestamp, pd.Timestamp] | None) -> tuple[pd.DataFrame, list[TableQuality]]:
    """Read the event files of a folder and merge them; an ``event_id`` must not repeat across files.

    Returns the events sorted by start, and one quality record per file.

    Raises
    ------
    InputError
        Listing the problems of every event file.
    """
    if settings.inputs.events_file:
        paths = [folder / settings.inputs.events_file]
    else:
        paths = [path for path in (folder / "events.csv", folder / "events.ics") if path.is_file()]
        paths = paths or [folder / "events.csv"]
    problems: list[Problem] = []
    results = []
    for path in paths:
        if path.suffix.lower() == ".ics":
            result = _collect(problems, read_events_ics, path, settings, venues, window)
        else:
            result = _collect(problems, read_events, path, settings, venues)
        if result is not None:
            results.append((path, *result))
    if problems:
        raise InputError(problems)
    if len(results) == 1:
        return results[0][1], [results[0][2]]

    events = pd.concat([frame for _, frame, _ in results], ignore_index=True)
    repeated = events["event_id"][events["event_id"].duplicated()].unique()
    if len(repeated):
        raise InputError([Problem(str(results[-1][0]), None, "event_id", event_id,
                                  translatable("the event id is also in {file}; give every event its own id",
                                               file=results[0][0].name))
                          for event_id in repeated])
    events = events.sort_values(["start", "event_id"], kind="stable").reset_index(drop=True)
    return events, [quality for _, _, quality in results]


def _read_traffic_of(path: Path, settings: Settings, known_cells, cell_ids: Collection[str] | None,
                     cells: pd.DataFrame | None):
    return read_traffic(path, settings, known_cells, cell_ids=cell_ids, capacities=cells)


def _collect(problems: list[Problem], reader: Callable[..., _Result], *arguments) -> _Result | None:
    """Call a reader; on ``InputError`` keep its problems and return None."""
    try:
        return reader(*arguments)
    except InputError as error:
        problems.extend(error.problems)
        return None


def _merge_holidays(calendar: pd.DataFrame, settings: Settings,
                    traffic: pd.DataFrame | tuple[pd.Timestamp, pd.Timestamp], quality: TableQuality) -> pd.DataFrame:
    """Add the generated public holidays to the calendar events, sorted by start.

    ``traffic`` is the hourly traffic, or the first and last hour of traffic.
    """
    if isinstance(traffic, tuple):
        first, last = traffic[0], traffic[1] + HOLIDAY_HORIZON
    elif traffic.empty:
        return calendar
    else:
        first, last = traffic["timestamp"].min(), traffic["timestamp"].max() + HOLIDAY_HORIZON
    if not settings.country:
        return calendar
    try:
        generated = holiday_events(settings.country, settings.subdivision, first, last, settings.timezone)
    except ValueError as error:
        raise InputError([Problem(str(settings.path), None, "dataset.country", settings.country,
                                  error.args[0])]) from None

    calendar_holidays = calendar.loc[calendar["kind"] == "holiday", "start"]
    calendar_days = {moment.date() for moment in calendar_holidays}
    duplicate = generated["start"].map(lambda moment: moment.date() in calendar_days)
    duplicate |= generated["event_id"].isin(set(calendar["event_id"]))
    if duplicate.any():
        skipped = ", ".join(generated.loc[duplicate, "event_id"])
        quality.notes.append(translatable("generated public holidays skipped because the calendar already has "
                                          "them: {count} ({events})", count=int(duplicate.sum()), events=skipped))
    generated = generated.loc[~duplicate]
    region = Region(settings.country, settings.subdivision or "")
    quality.notes.append(translatable("added {count} public holidays of {region} from the holidays package, "
                                      "{first:%Y-%m-%d} to {last:%Y-%m-%d}", count=len(generated), region=region,
                                      first=first.date(), last=last.date()))
    if generated.empty:
        return calendar
    if calendar.empty:
        return generated.reset_index(drop=True)
    events = pd.concat([calendar, generated], ignore_index=True)
    return events.sort_values(["start", "event_id"], kind="stable").reset_index(drop=True)
