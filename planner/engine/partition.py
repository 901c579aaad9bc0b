"""Forecast one partition of the cells, so that partitions together give the in-process forecast.

The forecaster treats cells one by one except where it looks across cells
near a venue: the cell that responds most to a venue's events (for the
timing of its events and for effects borrowed by other venues), and the
cells an event affects. Every partition therefore also fits the context
cells, those within reach of any venue plus each venue's nearest cell, and
keeps the rows of its own cells only. An event's summary row is computed
over the partition's own cells, with the strength of its peak cell, so that
the client keeps the strongest row and adds up the affected cells.

The remaining couplings hold only for sparse data: a cell with under 48
usable hours of history takes error quantiles pooled over the cells it is
fitted with, and a placebo hour with no data at a cell takes the mean noise
of the other cells. With such cells the partitioned forecast may differ from
the in-process one.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from planner.forecasting.clock_drift import ClockDrift, PooledSums, pooled_sums
from planner.forecasting.model import EventForecaster, ForecastResult
from planner.inputs.dataset import DataQuality, Dataset, TableQuality
from planner.inputs.geography import distance_m
from planner.inputs.loading import hourly_traffic, traffic_file
from planner.inputs.settings import Settings
from planner.inputs.traffic import read_traffic
from planner.inputs.weeks import Week

logger = logging.getLogger(__name__)


@dataclass
class PartitionForecast:
    """What a worker returns for its partition of cells.

    Attributes
    ----------
    scenarios : dict of str to ForecastResult
        ``"events"`` (the week's calendar) and ``"usual"`` (no event): the
        forecast rows of the partition's own cells, and one summary row per
        event and measure over those cells.
    strengths : dict of str to dict
        Per scenario, ``(event_id, measure)`` to the total absolute uplift of
        the event's peak cell among the partition's own cells (-inf when it
        affects none of them).
    actual : DataFrame
        The partition's traffic in the planned week (the ``actual`` column).
    network_totals : DataFrame
        Sum over the partition's own cells of each measure per hour, over the
        four weeks before the planned week (NaN where no cell has a value).
    quality : TableQuality
        Row accounting of the traffic rows of the partition's own cells.
    """

    scenarios: dict[str, ForecastResult]
    strengths: dict[str, dict[tuple[str, str], float]]
    actual: pd.DataFrame
    network_totals: pd.DataFrame
    quality: TableQuality
    cells: list[str] = field(default_factory=list)


def partition_cells(cells: pd.DataFrame, partitions: int) -> list[list[str]]:
    """Split the cells, in the order of the cells table, into at most ``partitions`` contiguous groups."""
    cell_ids = [str(cell) for cell in cells["cell_id"]]
    size = max(1, math.ceil(len(cell_ids) / max(1, partitions)))
    return [cell_ids[first:first + size] for first in range(0, len(cell_ids), size)]


def context_cells(dataset: Dataset, forecaster: EventForecaster | None = None) -> list[str]:
    """Return the cells every partition fits: within reach of a venue, and each venue's nearest cell.

    The reach is the largest of the forecaster's ``venue_reach_m`` and the
    footprint radii (the forecaster's, or those of the settings'
    ``[footprint]``). The cells are in the order of the cells table.
    """
    forecaster = forecaster or EventForecaster()
    cells, venues = dataset.cells, dataset.venues
    radii = [forecaster.venue_reach_m]
    if forecaster.footprint_radius_m is not None:
        radii.append(forecaster.footprint_radius_m)
    footprint = getattr(dataset.settings, "footprint", None)
    if footprint is not None:
        radii += [footprint.default_radius_m, *footprint.radius_m.values()]
    reach = max(float(radius) for radius in radii)
    latitudes = cells["latitude"].to_numpy(dtype=float)
    longitudes = cells["longitude"].to_numpy(dtype=float)
    chosen = np.zeros(len(cells), dtype=bool)
    for venue in venues.itertuples(index=False):
        distance = distance_m(float(venue.latitude), float(venue.longitude), latitudes, longitudes)
        if not np.isfinite(distance).any():
            continue
        chosen |= distance <= reach
        chosen[int(np.nanargmin(distance))] = True
    return [str(cell) for cell in cells.loc[chosen, "cell_id"]]


def partition_pooled_sums(frame: Dataset, origin: pd.Timestamp, own: list[str]) -> PooledSums:
    """Read the traffic of a partition's own cells and return their clock-drift sums before ``origin``.

    The sums of all partitions add up to those of the whole dataset (see
    :func:`planner.forecasting.clock_drift.pooled_from_sums`), because every
    cell is owned by exactly one partition and all of its rows are read.
    """
    traffic, _ = _read_partition_traffic(Path(frame.path), frame.settings, frame.cells, own)
    origin = pd.Timestamp(origin).tz_convert(frame.timezone)
    first = traffic["timestamp"].min() if not traffic.empty else origin
    index = pd.date_range(first, origin, freq="h", inclusive="left")
    return pooled_sums(traffic, list(frame.settings.measure_names), index)


def forecast_partition(frame: Dataset, week: Week, own: list[str], context: list[str],
                       clock_drift: ClockDrift | None | str = "auto") -> PartitionForecast:
    """Read the traffic of one partition and forecast the week for it, with and without its events.

    Parameters
    ----------
    frame : Dataset
        The dataset as loaded by the client, with every cell, venue and
        event; its traffic is not used. Only the rows of ``own`` and
        ``context`` cells of the traffic table in ``frame.path`` are read.
    week : Week
        The planned week.
    own : list of str
        The cells whose forecast rows this partition returns.
    context : list of str
        Cells fitted as well, so that cross-cell choices near venues are
        the same in every partition (see :func:`context_cells`).
    clock_drift : ClockDrift, None or "auto"
        The drift of the whole dataset's clock (see
        :func:`planner.engine.cluster.dataset_clock_drift`). "auto"
        estimates it from the partition's cells only, which differs from
        the in-process forecast when the feed drifts.
    """
    wanted = set(own) | set(context)
    settings, cells, events = frame.settings, frame.cells, frame.events
    folder = Path(frame.path)
    traffic, quality = _read_partition_traffic(folder, settings, cells, own)
    others = sorted(set(context) - set(own))
    if others:
        # The context cells' rows are counted in their own partition's quality record, not here.
        context_traffic, _ = _read_partition_traffic(folder, settings, cells, others)
        traffic = pd.concat([traffic, context_traffic], ignore_index=True)
    dataset = replace(frame, traffic=traffic, cells=cells[cells["cell_id"].isin(wanted)].reset_index(drop=True),
                      quality=DataQuality(tables=[quality]))

    forecaster = _OwnCellsForecaster(set(own), clock_drift=clock_drift).fit(dataset, week.start)
    scenarios, strengths = {}, {}
    for name, scenario in (("events", None), ("usual", events.iloc[0:0])):
        forecaster.strengths = {}
        result = forecaster.predict(week.start, week.end, scenario)
        table = result.table[result.table["cell_id"].isin(set(own))].reset_index(drop=True)
        scenarios[name] = ForecastResult(table=table, events=result.events, notes=result.notes)
        strengths[name] = dict(forecaster.strengths)

    own_traffic = traffic[traffic["cell_id"].isin(set(own))]
    actual = own_traffic[(own_traffic["timestamp"] >= week.start) & (own_traffic["timestamp"] < week.end)]
    before = own_traffic[own_traffic["timestamp"] < week.start]
    measures = list(settings.measure_names)
    totals = before.groupby("timestamp")[measures].sum(min_count=1)
    logger.info("partition of %d cells (%d fitted) forecast for %s", len(own), len(wanted), week.label)
    return PartitionForecast(scenarios=scenarios, strengths=strengths, actual=actual.reset_index(drop=True),
                             network_totals=totals, quality=quality, cells=list(own))


class _OwnCellsForecaster(EventForecaster):
    """An ``EventForecaster`` whose event summaries cover only the partition's own cells."""

    def __init__(self, own: set[str], **options) -> None:
        super().__init__(**options)
        self.own = own
        self.strengths: dict[tuple[str, str], float] = {}

    def _summarise(self, event_id, measure, pooling, profile, fit, hours, window, baseline, mean, sd, affected,
                   columns, venue_id=""):
        owned = np.fromiter((fit.cells[column] in self.own for column in columns), dtype=bool, count=len(columns))
        affected = affected & owned
        strength = np.abs(mean).sum(axis=0)
        self.strengths[(event_id, measure)] = float(strength[affected].max()) if affected.any() else -math.inf
        return super()._summarise(event_id, measure, pooling, profile, fit, hours, window, baseline, mean, sd,
                                  affected, columns, venue_id)


def _read_partition_traffic(folder: Path, settings: Settings, cells: pd.DataFrame,
                            cell_ids: list[str]) -> tuple[pd.DataFrame, TableQuality]:
    """Read, bring to hourly values and gap-check the traffic of some cells, as ``load_dataset`` does."""
    steps, quality = read_traffic(traffic_file(folder, settings), settings, cells["cell_id"], cell_ids=cell_ids,
                                  capacities=cells)
    return hourly_traffic(steps, settings, quality), quality
