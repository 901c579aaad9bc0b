"""The Dask engine: forecast partitions of cells on a dask.distributed cluster, plan on the client.

The client reads the settings, cells, venues and events, and the traffic of
the context cells only (see ``planner.engine.partition``). Each worker reads
the traffic rows of its partition from the dataset folder, which must be
readable at the same path on every worker, and returns the forecast of its
own cells for the week with and without its events. When the settings
follow the feed's clock drift, a first pass reads each partition's own cells
and returns their hourly sums, from which the client estimates the drift of
the whole dataset and passes it to every partition's forecaster (see
``planner.forecasting.clock_drift.PooledSums``). The client concatenates
them in the in-process order, then plans capacity and staffing with
``planner.decisions.plan.plan_from_forecast``, so the plans equal those of
the in-process engine.

The plans' ``dataset.traffic`` holds the planned week only (the hours the
``actual`` column comes from); the history stays on the workers.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path

import pandas as pd

from planner.decisions.plan import WeeklyPlan, plan_from_forecast, reference_from_totals
from planner.engine.partition import (PartitionForecast, context_cells, forecast_partition, partition_cells,
                                      partition_pooled_sums)
from planner.forecasting.clock_drift import ClockDrift, PooledSums, pooled_clock_drift, pooled_from_sums
from planner.forecasting.model import EVENT_COLUMNS, EventForecaster, ForecastResult
from planner.inputs.dataset import DataQuality, Dataset, TableQuality
from planner.inputs.loading import load_dataset
from planner.inputs.weeks import resolve_week
from planner.messages import translatable

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = "20s"
"""How long the client waits for the scheduler before giving up."""
CELLS_PER_PARTITION = 2000
"""Default partition size: large enough that the context cells are a small share of the work."""


def plan_on_cluster(folder: str | Path, week_text: str, *, scheduler: str | None = None,
                    partitions: int | None = None, workers: int = 2,
                    threads_per_worker: int = 1) -> tuple[WeeklyPlan, WeeklyPlan]:
    """Plan a week with the cells' forecasts computed on a Dask cluster.

    Parameters
    ----------
    folder : str or Path
        The dataset folder, at the same path on the client and the workers.
    week_text : str
        ISO week such as ``2013-W48``, or ``next``.
    scheduler : str, optional
        Address of a running scheduler, such as ``tcp://10.0.0.5:8786``.
        Without it a ``LocalCluster`` of ``workers`` processes is started
        on 127.0.0.1 and closed at the end.
    partitions : int, optional
        Number of partitions of the cells; by default one per
        ``CELLS_PER_PARTITION`` cells and at least one per worker.
    workers, threads_per_worker : int
        Size of the local cluster; ignored with ``scheduler``.

    Returns
    -------
    plan, usual : WeeklyPlan
        As :func:`planner.engine.plan_with_usual_week` returns them.

    Raises
    ------
    ImportError
        If dask.distributed is not installed (the ``dask`` extra).
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:
        raise ImportError(translatable("the dask engine needs the dask.distributed package, which is not "
                                       "installed; install the dask extra with pip install -e \".[dask]\" in the "
                                       "planner folder")) from error

    folder = Path(folder).resolve()
    # Cells and venues first, to find the context cells; then the dataset with their traffic only.
    # Without a span in the Parquet statistics, the holidays span the traffic of the cells read here.
    tables_only = load_dataset(folder, cell_ids=[])
    context = context_cells(tables_only)
    skeleton = load_dataset(folder, cell_ids=context or list(tables_only.cells["cell_id"].iloc[:1]))
    client_dataset = skeleton
    week = resolve_week(week_text, client_dataset)
    count = partitions or max(workers, math.ceil(len(skeleton.cells) / CELLS_PER_PARTITION))
    groups = partition_cells(skeleton.cells, count)

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    try:
        client = _connect(Client, scheduler or cluster)
        with client:
            frame = client.scatter(replace(skeleton, traffic=skeleton.traffic.iloc[0:0]), broadcast=True)
            drift = None
            if skeleton.settings.forecast.follow_clock_drift:
                sums = client.gather([client.submit(partition_pooled_sums, frame, week.start, own, pure=False)
                                      for own in groups])
                drift = dataset_clock_drift(skeleton, week.start, sums)
            futures = [client.submit(forecast_partition, frame, week, own, context, drift, pure=False)
                       for own in groups]
            results: list[PartitionForecast] = client.gather(futures)
    finally:
        if cluster is not None:
            cluster.close()
    logger.info("%d partitions of %s forecast on the cluster for %s", len(groups), skeleton.name, week.label)
    return _plans(client_dataset, week, results)


def dataset_clock_drift(dataset: Dataset, origin: pd.Timestamp, sums: list[PooledSums]) -> ClockDrift | None:
    """Estimate the clock drift of the whole dataset from the pooled sums of its partitions.

    This is the drift that ``EventForecaster.fit`` finds on the whole
    traffic table (with the forecaster's default options), without holding
    that table: ``dataset`` supplies the events and settings, ``sums`` the
    traffic of every cell.
    """
    origin = pd.Timestamp(origin).tz_convert(dataset.timezone)
    starts = [part.index[0] for part in sums if len(part.index)]
    if not starts:
        return None
    index = pd.date_range(min(starts), origin, freq="h", inclusive="left")
    forecaster = EventForecaster()
    past_events = dataset.events[dataset.events["start"] < origin]
    return pooled_clock_drift(pooled_from_sums(sums, index), index, past_events,
                              hours_before=forecaster.hours_before_event, hours_after=forecaster.hours_after_event,
                              max_weeks=forecaster.history_weeks, label=dataset.name)


def _connect(client_class, address):
    """Return a client of the scheduler; an unreachable address raises ValueError naming it."""
    try:
        return client_class(address, timeout=CONNECT_TIMEOUT)
    except OSError as error:
        raise ValueError(translatable("could not connect to the Dask scheduler {address}: {error}; check the "
                                      "address and that the scheduler is running, or leave out --scheduler to "
                                      "start a local cluster", address=address, error=str(error))) from None


def _plans(client_dataset: Dataset, week, results: list[PartitionForecast]) -> tuple[WeeklyPlan, WeeklyPlan]:
    settings = client_dataset.settings
    measures = list(settings.measure_names)
    actual = pd.concat([result.actual for result in results], ignore_index=True)
    quality = DataQuality(tables=[_merged_quality([result.quality for result in results])]
                          + [table for table in client_dataset.quality.tables if table.table != "traffic"],
                          notes=client_dataset.quality.notes)
    dataset = replace(client_dataset, traffic=actual, quality=quality)

    totals = pd.concat([result.network_totals for result in results])
    network = totals.groupby(level=0)[measures].sum(min_count=1)
    reference = reference_from_totals(network, measures, f"{client_dataset.name!r} before {week.label}")

    plans = []
    no_events = dataset.events.iloc[0:0]
    for name, scenario in (("events", None), ("usual", no_events)):
        table = pd.concat([result.scenarios[name].table for result in results], ignore_index=True)
        rank = table["measure"].map({measure: position for position, measure in enumerate(measures)})
        table = (table.assign(_rank=rank).sort_values(["_rank", "cell_id", "timestamp"], kind="stable")
                 .drop(columns="_rank").reset_index(drop=True))
        events = _merged_events([result.scenarios[name].events for result in results],
                                [result.strengths[name] for result in results])
        notes = list(dict.fromkeys(note for result in results for note in result.scenarios[name].notes))
        forecast = ForecastResult(table=table, events=events, notes=notes)
        plans.append(plan_from_forecast(dataset, week, forecast, scenario_events=scenario, reference=reference,
                                        log_warnings=not plans))
    return plans[0], plans[1]


def _merged_events(summaries: list[pd.DataFrame], strengths: list[dict]) -> pd.DataFrame:
    """Keep, per event and measure, the row of the partition with the strongest peak cell; add up affected cells."""
    rows = []
    if not summaries or summaries[0].empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    first = summaries[0]
    for position, (event_id, measure) in enumerate(zip(first["event_id"], first["measure"])):
        best, best_strength, affected = 0, -math.inf, 0
        for index, (summary, strength) in enumerate(zip(summaries, strengths)):
            value = strength.get((event_id, measure), -math.inf)
            affected += int(summary["cells_affected"].iloc[position])
            if value > best_strength:
                best, best_strength = index, value
        row = summaries[best].iloc[position].to_dict()
        row["cells_affected"] = affected
        rows.append(row)
    return pd.DataFrame(rows, columns=first.columns)


def _merged_quality(tables: list[TableQuality]) -> TableQuality:
    """Add up the traffic row accounting of the partitions."""
    merged = TableQuality(table="traffic", file=tables[0].file)
    for table in tables:
        merged.rows_read += table.rows_read
        merged.rows_accepted += table.rows_accepted
        merged.rows_repaired += table.rows_repaired
        merged.rows_rejected += table.rows_rejected
        merged.notes.extend(table.notes)
        for target, source in ((merged.missing_values, table.missing_values),
                               (merged.imputed_hours, table.imputed_hours),
                               (merged.missing_hours, table.missing_hours)):
            for name, value in source.items():
                target[name] = target.get(name, 0) + value
    return merged
