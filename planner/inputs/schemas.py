"""Pandera schemas of the cells, venues and events tables, after parsing.

Every check has a name, and ``CHECK_MESSAGES`` gives for each name the rule
and the fix in plain words, so that ``planner.inputs.validation`` can turn
each pandera failure case into a ``Problem``. Columns whose names depend on
the settings (the measures, ``capacity_<measure>``) or on another file (known
cells and venues) are added by the ``*_schema`` functions. The traffic table,
with millions of rows, is checked by numpy operations in
``planner.inputs.traffic`` instead, with the messages of the ``known_cell``,
``non_empty``, ``not_nullable`` checks given here.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from planner.inputs.dataset import EVENT_KINDS
from planner.messages import translatable

CHECK_MESSAGES: dict[str, str] = {
    "not_nullable": translatable("missing value; fill in the field"),
    "non_empty": translatable("empty field; every row needs a value here"),
    "field_uniqueness": translatable("duplicate id; every row needs its own id"),
    "multiple_fields_uniqueness": translatable("duplicate row"),
    "latitude_range": translatable("latitude out of range; write decimal degrees (WGS84) between -90 and 90, such "
                                   "as 45.478"),
    "longitude_range": translatable("longitude out of range; write decimal degrees (WGS84) between -180 and 180, "
                                    "such as 9.124"),
    "threshold_range": translatable("utilisation threshold out of range; write a fraction in (0, 1] such as 0.8, "
                                    "or leave it empty to use capacity.default_utilisation_threshold from "
                                    "settings.toml"),
    "capacity_positive": translatable("capacity must be greater than 0; write the cell's capacity in the measure's "
                                      "unit"),
    "people_positive": translatable("capacity_people must be greater than 0; write the number of people, or leave "
                                    "it empty"),
    "attendance_non_negative": translatable("attendance cannot be negative; write the number of people, or leave it "
                                            "empty"),
    "traffic_non_negative": translatable("negative traffic value"),
    "known_kind": translatable("unknown event kind; use one of: {kinds}", kinds=", ".join(EVENT_KINDS)),
    "known_venue": translatable("unknown venue_id; add the venue to venues.csv, or leave venue_id empty for an "
                                "area-wide event"),
    "known_cell": translatable("unknown cell_id; add the cell to cells.csv or remove its rows from traffic.csv"),
    "end_after_start": translatable("event ends before or when it starts; the end must be later than the start"),
    "attendance_order": translatable("attendance figures out of order; they must satisfy "
                                     "attendance_low <= expected_attendance <= attendance_high"),
    "on_step_grid": translatable("timestamp is not on the step grid"),
}


def _non_empty(series: pd.Series) -> pd.Series:
    return series.str.len() > 0


class _TableModel(pa.DataFrameModel):
    """Base of the table models: a file may have columns beyond the declared ones.

    NOTE: only the configuration is shared. A ``@pa.check`` method inherited by two models loses
    its name in the second model's schema (pandera 0.35: ``CheckInfo.to_check`` pops ``name``
    from the kwargs it shares), and ``CHECK_MESSAGES`` is keyed by that name. So each model
    declares its own ``latitude_range`` and ``longitude_range`` checks.
    """

    class Config:
        strict = False


class VenueModel(_TableModel):
    """``venues.csv``: one row per venue."""

    venue_id: Series[str] = pa.Field(unique=True)
    name: Series[str]
    latitude: Series[float]
    longitude: Series[float]
    capacity_people: Series[float] = pa.Field(nullable=True)

    @pa.check("venue_id", name="non_empty")
    def _venue_id_non_empty(cls, series):
        return _non_empty(series)

    @pa.check("latitude", name="latitude_range")
    def _latitude_range(cls, series):
        return series.between(-90, 90)

    @pa.check("longitude", name="longitude_range")
    def _longitude_range(cls, series):
        return series.between(-180, 180)

    @pa.check("capacity_people", name="people_positive")
    def _capacity_positive(cls, series):
        return series > 0


class CellModel(_TableModel):
    """``cells.csv``: one row per cell, before the ``capacity_<measure>`` columns."""

    cell_id: Series[str] = pa.Field(unique=True)
    site_id: Series[str]
    latitude: Series[float]
    longitude: Series[float]
    utilisation_threshold: Series[float] = pa.Field(nullable=True)

    @pa.check("cell_id", "site_id", name="non_empty")
    def _ids_non_empty(cls, series):
        return _non_empty(series)

    @pa.check("latitude", name="latitude_range")
    def _latitude_range(cls, series):
        return series.between(-90, 90)

    @pa.check("longitude", name="longitude_range")
    def _longitude_range(cls, series):
        return series.between(-180, 180)

    @pa.check("utilisation_threshold", name="threshold_range")
    def _threshold_range(cls, series):
        return (series > 0) & (series <= 1)


class EventModel(_TableModel):
    """``events.csv``: one row per event, before ``start``, ``end`` and the venue check."""

    event_id: Series[str] = pa.Field(unique=True)
    name: Series[str]
    kind: Series[str]
    venue_id: Series[str]
    expected_attendance: Series[float] = pa.Field(nullable=True)
    attendance_low: Series[float] = pa.Field(nullable=True)
    attendance_high: Series[float] = pa.Field(nullable=True)

    @pa.check("event_id", name="non_empty")
    def _event_id_non_empty(cls, series):
        return _non_empty(series)

    @pa.check("kind", name="known_kind")
    def _known_kind(cls, series):
        return series.isin(EVENT_KINDS)

    @pa.check("expected_attendance", "attendance_low", "attendance_high", name="attendance_non_negative")
    def _attendance_non_negative(cls, series):
        return series >= 0

    @pa.dataframe_check(name="end_after_start")
    def _end_after_start(cls, frame):
        # A row with a missing start or end has its own problem already.
        return frame["end"].isna() | frame["start"].isna() | (frame["end"] > frame["start"])

    @pa.dataframe_check(name="attendance_order")
    def _attendance_order(cls, frame):
        low, expected, high = frame["attendance_low"], frame["expected_attendance"], frame["attendance_high"]
        low_ok = low.isna() | expected.isna() | (low <= expected)
        high_ok = high.isna() | expected.isna() | (expected <= high)
        span_ok = low.isna() | high.isna() | (low <= high)
        return low_ok & high_ok & span_ok


def venues_schema() -> pa.DataFrameSchema:
    """Return the schema of the parsed venues table."""
    return VenueModel.to_schema()


def cells_schema(measure_names: Collection[str]) -> pa.DataFrameSchema:
    """Return the schema of the parsed cells table with one capacity column per measure."""
    capacity = pa.Check(lambda series: series > 0, name="capacity_positive")
    return CellModel.to_schema().add_columns(
        {f"capacity_{name}": pa.Column(float, capacity, nullable=False) for name in measure_names})


def events_schema(venue_ids: Collection[str] | None) -> pa.DataFrameSchema:
    """Return the schema of the parsed events table.

    ``venue_id`` must be empty or one of ``venue_ids``; ``None`` skips that check.
    """
    schema = EventModel.to_schema().add_columns({
        "start": pa.Column(nullable=False),
        "end": pa.Column(nullable=False),
    })
    if venue_ids is None:
        return schema
    allowed = set(venue_ids) | {""}
    known_venue = pa.Check(lambda series: series.isin(allowed), name="known_venue")
    return schema.update_column("venue_id", checks=[known_venue])
