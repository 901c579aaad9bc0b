"""Bring traffic in steps of ``[traffic] step_minutes`` to hourly values per cell."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.inputs.settings import Settings
from planner.messages import translatable, translatable_plural


@dataclass
class HourlyQuality:
    """Cell hours per measure that were imputed or left missing by :func:`to_hourly`."""

    imputed_hours: dict[str, int] = field(default_factory=dict)
    missing_hours: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def to_hourly(traffic: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, HourlyQuality]:
    """Aggregate traffic steps into one row per cell and hour.

    Each step belongs to the hour that contains its start. Hours are absolute
    hours in the dataset time zone, so a day with a daylight-saving change
    has 23 or 25 of them. A volume measure is summed over the hour's steps
    and a rate measure is averaged. When only some steps of an hour have a
    value but at least half do, the hour is imputed: a volume becomes
    ``sum * steps_per_hour / steps_present`` and a rate the mean of the
    present steps. With fewer than half the steps present the hour is NaN.

    Parameters
    ----------
    traffic : DataFrame
        ``cell_id``, ``timestamp`` (tz-aware, on the step grid, unique per
        cell) and one float column per measure, as from
        :func:`planner.inputs.tables.read_traffic`.
    settings : Settings
        Supplies the step and each measure's kind.

    Returns
    -------
    hourly : DataFrame
        ``cell_id``, ``timestamp`` (hour start) and one float column per
        measure, for every cell of ``traffic`` and every hour from the first
        to the last hour of the data: an hour without any step is a row of NaN.
    quality : HourlyQuality
        Imputed and missing cell hours per measure, with a note for each.
    """
    measures = list(settings.measure_names)
    steps_per_hour = 60 // settings.step_minutes
    quality = HourlyQuality()
    if traffic.empty:
        empty = pd.DataFrame({"cell_id": pd.Series(dtype=str),
                              "timestamp": pd.Series(dtype=f"datetime64[us, {settings.timezone.key}]")})
        for name in measures:
            empty[name] = pd.Series(dtype="float64")
            quality.imputed_hours[name] = 0
            quality.missing_hours[name] = 0
        return empty, quality

    if steps_per_hour == 1:
        hourly = _hourly_steps(traffic, measures)
        if hourly is not None:
            _count_hours(hourly, dict.fromkeys(measures, 0), settings, quality)
            return hourly, quality

    timestamps = traffic["timestamp"]
    # Subtract the local minutes in absolute time: flooring the wall clock would be ambiguous
    # in the repeated autumn hour, and UTC flooring would be wrong where the offset has minutes.
    hour = timestamps - pd.to_timedelta(timestamps.dt.minute, unit="min")
    cells = pd.Categorical(traffic["cell_id"].astype(str))
    grouped = traffic[measures].groupby([cells.codes, hour.rename("timestamp")], sort=True)
    sums = grouped.sum(min_count=1)
    counts = grouped.count()

    enough = counts * 2 >= steps_per_hour
    partial = enough & (counts < steps_per_hour)
    values = pd.DataFrame(index=sums.index)
    for name in measures:
        if settings.measure(name).kind == "volume":
            hourly_value = sums[name] * steps_per_hour / counts[name]
        else:
            hourly_value = sums[name] / counts[name]
        values[name] = hourly_value.where(enough[name]).astype("float64")

    hours = pd.date_range(hour.min(), hour.max(), freq="h")
    full_index = pd.MultiIndex.from_product([np.arange(len(cells.categories)), hours],
                                            names=["cell_code", "timestamp"])
    values.index = values.index.set_names(["cell_code", "timestamp"])
    values = values.reindex(full_index)

    hourly = values.reset_index()
    hourly.insert(0, "cell_id", pd.Series(cells.categories[hourly.pop("cell_code")], dtype=str))
    _count_hours(hourly, {name: int(partial[name].sum()) for name in measures}, settings, quality)
    return hourly, quality


def _hourly_steps(traffic: pd.DataFrame, measures: list[str]) -> pd.DataFrame | None:
    """Lay out hourly steps on the full grid of cells and hours, as :func:`to_hourly` does for shorter steps.

    A step of one hour is its own hourly value, because the sum or the mean
    of one value is that value. So the rows only need placing, by a numpy
    scatter into a cells x hours matrix in place of a group-by. Returns
    None when a timestamp is not a whole number of hours after the first one
    (a time zone whose offset changes by less than an hour), for the general
    path.
    """
    timestamps = traffic["timestamp"]
    cell_codes, cell_ids = pd.factorize(traffic["cell_id"].astype(str), sort=True)
    time_codes, times = pd.factorize(timestamps)
    hours = pd.date_range(timestamps.min(), timestamps.max(), freq="h")
    positions = hours.get_indexer(times)
    if (positions < 0).any():
        return None
    rows = cell_codes * len(hours) + positions[time_codes]

    hourly = pd.DataFrame({
        "cell_id": pd.Series(pd.Index(cell_ids).repeat(len(hours)), dtype=str),
        "timestamp": hours[np.tile(np.arange(len(hours)), len(cell_ids))],
    })
    for name in measures:
        column = np.full(len(cell_ids) * len(hours), np.nan)
        column[rows] = traffic[name].to_numpy(dtype="float64")
        hourly[name] = column
    return hourly


def _count_hours(hourly: pd.DataFrame, imputed_hours: dict[str, int], settings: Settings,
                 quality: HourlyQuality) -> None:
    """Record the imputed and missing cell hours of each measure in ``quality``, with a note for each."""
    steps_per_hour = 60 // settings.step_minutes
    for name in imputed_hours:
        imputed = imputed_hours[name]
        missing = int(hourly[name].isna().sum())
        quality.imputed_hours[name] = imputed
        quality.missing_hours[name] = missing
        if imputed:
            if settings.measure(name).kind == "volume":
                method = translatable("scaled up to the full hour")
            else:
                method = translatable("averaged")
            quality.notes.append(translatable_plural(
                "{measure}: {count} cell hour imputed from at least half of its {steps} steps ({method})",
                "{measure}: {count} cell hours imputed from at least half of their {steps} steps ({method})",
                imputed, measure=name, steps=steps_per_hour, method=method))
        if missing:
            quality.notes.append(translatable(
                "{measure}: {count} of {total} cell hours missing (fewer than half of their {steps} steps have "
                "a value)", measure=name, count=missing, total=len(hourly), steps=steps_per_hour))
