"""Summaries of a dataset's traffic for the exploration notebook: weekly seasonality and growth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.inputs.dataset import Dataset


def hour_of_week_profile(dataset: Dataset, measure: str) -> pd.DataFrame:
    """Return the mean network traffic of ``measure`` by local weekday and hour.

    The network traffic is the sum over cells of each hour with a value. The
    result has one row per hour of the week: ``weekday`` (0 is Monday),
    ``hour`` (local wall-clock hour) and ``mean_traffic``. Event hours are
    included, so a weekly event shows as a bump.
    """
    network = _network_traffic(dataset, measure)
    local = network.index.tz_convert(dataset.timezone)
    frame = pd.DataFrame({"weekday": local.weekday, "hour": local.hour, "traffic": network.to_numpy()})
    profile = frame.groupby(["weekday", "hour"])["traffic"].mean().rename("mean_traffic")
    return profile.reset_index()


def weekly_totals(dataset: Dataset, measure: str) -> pd.DataFrame:
    """Return the network traffic of ``measure`` per ISO week, with its growth over the previous week.

    Columns: ``week_start`` (local Monday 00:00), ``hours`` (hours with a
    value), ``total``, ``mean_per_hour`` and ``growth`` (relative change of
    ``mean_per_hour`` from the previous week, NaN for the first). Partial
    weeks at either end are kept, so compare them by ``mean_per_hour``.
    """
    network = _network_traffic(dataset, measure)
    local = network.index.tz_convert(dataset.timezone)
    week_start = (local.normalize() - pd.to_timedelta(local.weekday, unit="D"))
    grouped = pd.Series(network.to_numpy(), index=week_start).groupby(level=0)
    table = pd.DataFrame({"hours": grouped.count(), "total": grouped.sum()})
    table["mean_per_hour"] = table["total"] / table["hours"].replace(0, np.nan)
    table["growth"] = table["mean_per_hour"].pct_change()
    return table.rename_axis("week_start").reset_index()


def _network_traffic(dataset: Dataset, measure: str) -> pd.Series:
    if measure not in dataset.settings.measure_names:
        raise ValueError(f"unknown measure {measure!r}; the dataset's measures are "
                         f"{', '.join(dataset.settings.measure_names)}")
    return dataset.traffic.groupby("timestamp")[measure].sum(min_count=1).dropna()
