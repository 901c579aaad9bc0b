"""Rolling-origin backtest: plan past weeks with only the history before each.

Each origin is the Monday 00:00 of an ISO week; the forecast covers the 168
(or 167, 169) hours of that week, with the week's events known in advance,
and is scored against the observed traffic. Metrics are reported overall,
on event windows (start - 1 h to end + 2 h, at the cells near the venue) and
outside them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.forecasting.lags import lagged_rows, take_rows
from planner.forecasting.model import MIN_HISTORY_HOURS, EventForecaster
from planner.forecasting.references import check_model_packages, reference_models
from planner.forecasting.windows import HOUR
from planner.inputs.dataset import Dataset
from planner.inputs.geography import distance_m
from planner.inputs.weeks import Week, week_of
from planner.messages import translatable
from planner.progress import tqdm

logger = logging.getLogger(__name__)

SCORING_RADIUS_M = 1000.0
"""Cells within this distance of a venue, and always the nearest cell, are scored on its event windows."""

REFERENCE_MODEL = "same_hour_last_week"
METRIC_COLUMNS = ["model", "scope", "hours", "mae", "mae_relative_to_last_week", "peak_error_median",
                  "coverage_p10_p90", "pinball_loss"]


@dataclass(frozen=True)
class BacktestResult:
    """Forecasts and scores of a backtest.

    Attributes
    ----------
    forecasts : DataFrame
        ``model``, ``week``, ``cell_id``, ``measure``, ``timestamp``, ``p10``,
        ``p50``, ``p90``, ``actual``, ``in_event_window``.
    metrics : DataFrame
        One row per model and scope (``overall``, ``event_windows``,
        ``outside_events``) with the columns ``METRIC_COLUMNS``, pooled over
        weeks, cells and measures. ``peak_error_median`` is the median of
        the absolute ``peak_error`` over all the model's rows of ``peaks``,
        every measure included, for ``overall`` and ``event_windows``.
    peaks : DataFrame
        One row per model, event day and measure: the forecast and actual
        daily peak at the venue's cells and their relative error.
    weeks : list of Week
    """

    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    peaks: pd.DataFrame
    weeks: list[Week]


ModelFunction = Callable[[Dataset, Week], pd.DataFrame]


def last_complete_weeks(dataset: Dataset, count: int) -> list[Week]:
    """Return the ``count`` last ISO weeks that the data covers completely, oldest first."""
    last_week = week_of(dataset.last_hour)
    if dataset.last_hour + HOUR < last_week.end:
        last_week = last_week.previous()
    weeks = [last_week.previous(offset) for offset in range(count - 1, -1, -1)]
    measured = dataset.traffic.set_index("timestamp")[list(dataset.settings.measure_names)].notna().any(axis=1)
    first_measured = measured.index[measured.to_numpy()].min()
    available = [week for week in weeks if week.start >= first_measured + MIN_HISTORY_HOURS * HOUR]
    if len(available) < count:
        raise ValueError(translatable("cannot backtest {count} weeks on {dataset!r}: the first of them, {week}, has "
                                      "less than {minimum} hours of traffic before it (the traffic starts at "
                                      "{first}); ask for {available} weeks or fewer", count=count,
                                      dataset=dataset.name, week=str(weeks[0]), minimum=MIN_HISTORY_HOURS,
                                      first=first_measured.isoformat(), available=len(available)))
    return weeks


def run_backtest(dataset: Dataset, weeks: int | Sequence[Week], models: Sequence[str] = ("planner", REFERENCE_MODEL),
                 *, progress_bar: bool = True, progress_label: str = "backtest weeks") -> BacktestResult:
    """Plan each week with only the history before it, and score every model.

    Parameters
    ----------
    weeks : int or sequence of Week
        A count takes the last complete weeks of the data.
    models : sequence of str
        Names from ``available_models()``; ``same_hour_last_week`` is always
        added, since the relative MAE is measured against it.
    progress_bar : bool, default True
        Show a tqdm bar over weeks.
    progress_label : str, default "backtest weeks"
        The bar's label, such as its translation for the command line.
    """
    if isinstance(weeks, int):
        weeks = last_complete_weeks(dataset, weeks)
    registry = available_models()
    unknown = [name for name in models if name not in registry]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; available: {', '.join(registry)}")
    models = list(dict.fromkeys([*models, REFERENCE_MODEL]))
    check_model_packages(models)

    frames = []
    for week in tqdm(list(weeks), desc=progress_label, disable=not progress_bar):
        actual = _actual_table(dataset, week)
        for name in models:
            forecast = registry[name](dataset, week)
            frame = forecast.merge(actual, on=["cell_id", "measure", "timestamp"], how="left")
            frame.insert(0, "week", week.label)
            frame.insert(0, "model", name)
            frames.append(frame)
    forecasts = pd.concat(frames, ignore_index=True)
    forecasts["in_event_window"] = _event_window_flags(dataset, forecasts)
    peaks = _event_day_peaks(dataset, forecasts)
    metrics = _metrics(forecasts, peaks)
    return BacktestResult(forecasts=forecasts, metrics=metrics, peaks=peaks, weeks=list(weeks))


def available_models() -> dict[str, ModelFunction]:
    """Return the models a backtest can compare, by name.

    Besides planner and the same hour last week, the reference models of
    ``planner.forecasting.references`` are listed; they need the ``bench``
    extra and raise ImportError naming it when it is missing.
    """
    return {"planner": planner_model, REFERENCE_MODEL: same_hour_last_week, **reference_models()}


def planner_model(dataset: Dataset, week: Week) -> pd.DataFrame:
    """Forecast a week with planner's ``EventForecaster`` fitted on the history before it."""
    forecaster = EventForecaster().fit(dataset, week.start)
    table = forecaster.predict(week.start, week.end).table
    return table[["cell_id", "measure", "timestamp", "p10", "p50", "p90"]]


def same_hour_last_week(dataset: Dataset, week: Week) -> pd.DataFrame:
    """Forecast each hour by the observed value at the same local time a week earlier (no quantiles)."""
    frames = []
    hours = week.hours()
    for measure in dataset.settings.measure_names:
        matrix = dataset.traffic_matrix(measure)
        index = matrix.index.union(hours)
        values = matrix.reindex(index).to_numpy(dtype=float, copy=True)
        values[index >= week.start] = np.nan
        rows = lagged_rows(index, 7)[index.get_indexer(hours)]
        forecast = take_rows(values, rows)
        frames.append(pd.DataFrame({
            "cell_id": np.tile(matrix.columns.to_numpy(dtype=object), len(hours)),
            "measure": measure,
            "timestamp": np.repeat(hours, matrix.shape[1]),
            "p10": np.nan, "p50": forecast.ravel(), "p90": np.nan,
        }))
    return pd.concat(frames, ignore_index=True)


def _actual_table(dataset: Dataset, week: Week) -> pd.DataFrame:
    inside = dataset.traffic[(dataset.traffic["timestamp"] >= week.start) & (dataset.traffic["timestamp"] < week.end)]
    return inside.melt(id_vars=["cell_id", "timestamp"], value_vars=list(dataset.settings.measure_names),
                       var_name="measure", value_name="actual")


def scoring_cells(dataset: Dataset, venue_id: str) -> list[str]:
    """Return the cells scored on a venue's event windows: the nearest and those within ``SCORING_RADIUS_M``."""
    venues = dataset.venues.set_index("venue_id")
    if venue_id not in venues.index:
        return []
    cells = dataset.cells
    distance = distance_m(venues.at[venue_id, "latitude"], venues.at[venue_id, "longitude"],
                          cells["latitude"].to_numpy(float), cells["longitude"].to_numpy(float))
    chosen = distance <= SCORING_RADIUS_M
    chosen[int(np.nanargmin(distance))] = True
    return list(cells["cell_id"][chosen])


def _scored_events(dataset: Dataset) -> pd.DataFrame:
    events = dataset.events
    return events[(events["venue_id"].fillna("") != "") & (events.get("source", "calendar") == "calendar")]


def _event_window_flags(dataset: Dataset, forecasts: pd.DataFrame) -> np.ndarray:
    flags = np.zeros(len(forecasts), dtype=bool)
    timestamps = forecasts["timestamp"]
    for event in _scored_events(dataset).itertuples(index=False):
        cells = scoring_cells(dataset, event.venue_id)
        overlaps = (timestamps + HOUR > event.start - HOUR) & (timestamps < event.end + 2 * HOUR)
        flags |= np.asarray(overlaps & forecasts["cell_id"].isin(cells))
    return flags


def _event_day_peaks(dataset: Dataset, forecasts: pd.DataFrame) -> pd.DataFrame:
    rows = []
    local_date = forecasts["timestamp"].dt.tz_convert(dataset.timezone).dt.date
    for event in _scored_events(dataset).itertuples(index=False):
        day = event.start.tz_convert(dataset.timezone).date()
        cells = scoring_cells(dataset, event.venue_id)
        selected = forecasts[(local_date == day) & forecasts["cell_id"].isin(cells)]
        for (model, measure, cell), group in selected.groupby(["model", "measure", "cell_id"]):
            if group["actual"].notna().sum() == 0 or group["p50"].notna().sum() == 0:
                continue
            actual_peak = group["actual"].max()
            forecast_peak = group["p50"].max()
            rows.append({"model": model, "event_id": event.event_id, "date": day, "measure": measure, "cell_id": cell,
                         "actual_peak": actual_peak, "forecast_peak": forecast_peak,
                         "peak_error": (forecast_peak - actual_peak) / actual_peak if actual_peak else np.nan})
    return pd.DataFrame(rows, columns=["model", "event_id", "date", "measure", "cell_id", "actual_peak",
                                       "forecast_peak", "peak_error"])


def _metrics(forecasts: pd.DataFrame, peaks: pd.DataFrame) -> pd.DataFrame:
    reference = forecasts[forecasts["model"] == REFERENCE_MODEL].set_index(
        ["week", "cell_id", "measure", "timestamp"])["p50"].rename("reference")
    joined = forecasts.join(reference, on=["week", "cell_id", "measure", "timestamp"])
    scored = joined[joined["actual"].notna() & joined["p50"].notna() & joined["reference"].notna()]
    rows = []
    scopes = {"overall": np.ones(len(scored), dtype=bool), "event_windows": scored["in_event_window"].to_numpy(),
              "outside_events": ~scored["in_event_window"].to_numpy()}
    for model, group in scored.groupby("model", sort=False):
        for scope, mask in scopes.items():
            part = group[mask[scored["model"].to_numpy() == model]]
            rows.append(_score(model, scope, part, peaks))
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def _score(model: str, scope: str, part: pd.DataFrame, peaks: pd.DataFrame) -> dict:
    actual, p50 = part["actual"].to_numpy(), part["p50"].to_numpy()
    mae = float(np.mean(np.abs(actual - p50))) if len(part) else np.nan
    reference_mae = float(np.mean(np.abs(actual - part["reference"].to_numpy()))) if len(part) else np.nan
    has_band = part["p10"].notna().all() and part["p90"].notna().all() and len(part) > 0
    coverage = pinball = np.nan
    if has_band:
        p10, p90 = part["p10"].to_numpy(), part["p90"].to_numpy()
        coverage = float(np.mean((actual >= p10) & (actual <= p90)))
        pinball = float(np.mean([_pinball(actual, p10, 0.1), _pinball(actual, p50, 0.5), _pinball(actual, p90, 0.9)]))
    model_peaks = peaks[peaks["model"] == model]["peak_error"].abs()
    peak_error = float(model_peaks.median()) if scope != "outside_events" and len(model_peaks) else np.nan
    return {"model": model, "scope": scope, "hours": int(len(part)), "mae": mae,
            "mae_relative_to_last_week": mae / reference_mae if reference_mae else np.nan,
            "peak_error_median": peak_error, "coverage_p10_p90": coverage, "pinball_loss": pinball}


def _pinball(actual: np.ndarray, quantile_forecast: np.ndarray, quantile: float) -> float:
    difference = actual - quantile_forecast
    return float(np.mean(np.maximum(quantile * difference, (quantile - 1) * difference)))
