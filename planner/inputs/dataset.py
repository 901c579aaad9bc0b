"""A dataset: its settings and its validated tables, with hourly traffic."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.inputs.settings import Settings

EVENT_KINDS: tuple[str, ...] = ("match", "concert", "demonstration", "marathon", "festival", "holiday", "other")


@dataclass
class TableQuality:
    """Row accounting of one table: read = accepted + repaired + rejected.

    ``missing_values`` counts the empty fields of each measure in the
    accepted rows. ``imputed_hours`` counts the hours of each measure scaled
    up from a partial set of steps, and ``missing_hours`` the cell hours left
    NaN; both are filled for the traffic table only.
    """

    table: str
    file: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_repaired: int = 0
    rows_rejected: int = 0
    notes: list[str] = field(default_factory=list)
    missing_values: dict[str, int] = field(default_factory=dict)
    imputed_hours: dict[str, int] = field(default_factory=dict)
    missing_hours: dict[str, int] = field(default_factory=dict)


@dataclass
class DataQuality:
    """What was missing, imputed or rejected while loading a dataset."""

    tables: list[TableQuality] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, name: str) -> TableQuality:
        for table in self.tables:
            if table.table == name:
                return table
        raise KeyError(f"no quality record for table {name!r}")


@dataclass(frozen=True)
class Dataset:
    """Settings and validated tables of one dataset folder.

    Attributes
    ----------
    traffic : DataFrame
        Hourly traffic in long format: ``cell_id`` (str), ``timestamp``
        (tz-aware start of the hour, in the dataset's time zone) and one float
        column per measure, NaN where the hour has no data.
    events : DataFrame
        ``event_id``, ``name``, ``kind``, ``venue_id`` (empty string for an
        event that concerns the whole area, such as a public holiday),
        ``start``, ``end`` (tz-aware), ``expected_attendance``,
        ``attendance_low``, ``attendance_high`` (float, NaN when unknown),
        ``source`` (``"calendar"`` or ``"holidays"``) and ``time_known``
        (False for an event written with dates only, which then runs from
        midnight to midnight).
    venues : DataFrame
        ``venue_id``, ``name``, ``latitude``, ``longitude``, ``capacity_people``.
    cells : DataFrame
        ``cell_id``, ``site_id``, ``latitude``, ``longitude``,
        ``utilisation_threshold`` (filled from the settings where empty) and
        ``capacity_<measure>`` for each measure.
    cell_shapes : dict
        ``cell_id`` to its polygons from the optional ``cells.geojson`` (see
        ``planner.inputs.geometry``); cells without one are points.
    routes : DataFrame
        Waypoints of moving events from the optional ``routes.csv`` or
        ``routes.geojson``: ``event_id``, ``sequence``, ``latitude``,
        ``longitude``, ``time`` (tz-aware, NaT when not given).
    """

    name: str
    path: Path
    settings: Settings
    traffic: pd.DataFrame
    events: pd.DataFrame
    venues: pd.DataFrame
    cells: pd.DataFrame
    quality: DataQuality
    cell_shapes: dict = field(default_factory=dict)
    routes: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def timezone(self):
        return self.settings.timezone

    def traffic_matrix(self, measure: str) -> pd.DataFrame:
        """Return one measure as a matrix: one row per hour, one column per cell.

        The index covers every hour from the first to the last timestamp of
        the data, so a missing hour is a row of NaN, never an absent row.
        """
        self.settings.measure(measure)
        matrix = self.traffic.pivot_table(index="timestamp", columns="cell_id", values=measure,
                                          aggfunc="first", dropna=False)
        full_index = pd.date_range(matrix.index.min(), matrix.index.max(), freq="h")
        matrix = matrix.reindex(full_index)
        matrix.index.name = "timestamp"
        ordered = [cell for cell in self.cells["cell_id"] if cell in matrix.columns]
        return matrix[ordered]

    @property
    def first_hour(self) -> pd.Timestamp:
        return self.traffic["timestamp"].min()

    @property
    def last_hour(self) -> pd.Timestamp:
        return self.traffic["timestamp"].max()
