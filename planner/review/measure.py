"""Measure each event of a past week against its forecast: peak, excess traffic, timing, actions, staffing.

The forecast is the plan of the week made from the history strictly before
it (:func:`planner.decisions.plan.plan_week`), so the review uses the
forecast a planner had. An event's cells are those the plan's forecast
marks as affected by it (its ``event_id`` column). When the forecast marks
none, they are the cells the backtest scores for its venue: those within
1 km and always the nearest one (:func:`planner.decisions.plan.event_cells`).
An event without a venue is measured on the whole network.

Its hours are those where the plan placed the event, from one hour before
to two hours after it (:func:`planner.decisions.plan.event_hours`): a
learned timing offset, or the usual start of an event without a time of
day, can put them hours away from the calendar's times. The peaks, the
capacity check and the staffing check of a review row all use these hours,
and the measured effect stored into the event history is taken around the
event as placed, with the offset recorded beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.decisions.plan import (CELLS_FROM_FORECAST, CELLS_NEAR_VENUE, CELLS_WHOLE_NETWORK, WeeklyPlan,
                                    event_cells, event_hours, offset_hours, plan_week)
from planner.forecasting.windows import HOUR, event_window
from planner.inputs.dataset import Dataset
from planner.inputs.timestamps import floor_hours
from planner.inputs.weeks import Week
from planner.messages import translatable

logger = logging.getLogger(__name__)

EVENT_REVIEW_COLUMNS: tuple[str, ...] = (
    "event_id", "name", "kind", "venue_id", "measure", "start", "end", "attendance", "cells", "cells_basis",
    "forecast_peak_p50", "forecast_peak_p90", "forecast_peak_time", "actual_peak", "actual_peak_time",
    "peak_timing_error_hours", "peak_error_ratio", "forecast_excess_total", "actual_excess_total",
    "actual_peak_uplift_ratio", "extra_units", "max_actual_utilisation_after_action", "threshold",
    "capacity_enough", "staffed_load_erlangs", "actual_load_erlangs", "staffing_enough", "offset_hours",
    "window_start", "window_end",
)
# Hours of the event history window around an event, the same as the forecaster's defaults.
HOURS_BEFORE_EVENT = 3
HOURS_AFTER_EVENT = 4


@dataclass(frozen=True)
class WeekReview:
    """The review of one past week.

    Attributes
    ----------
    plan : WeeklyPlan
        The plan made from the history before the week, with its ``actual`` traffic.
    events : DataFrame
        One row per event and measure, with the columns of ``EVENT_REVIEW_COLUMNS``.
        ``cells`` lists the cells measured, joined by ``;``, and
        ``cells_basis`` says how they were chosen: ``forecast`` (the cells
        the forecast marks as affected), ``venue_radius`` (none marked, so
        the cells near the venue) or ``network`` (no venue, so every cell).
    history : DataFrame
        The measured effects, one row per event, measured cell, measure and
        window hour, with the columns of
        :data:`planner.review.store.HISTORY_COLUMNS` except ``reviewed_at``.
    """

    plan: WeeklyPlan
    events: pd.DataFrame
    history: pd.DataFrame


def review_week(dataset: Dataset, week: Week, attendance: Mapping[str, float] | None = None) -> WeekReview:
    """Compare each event of a past week with its forecast and measure its effect.

    Parameters
    ----------
    dataset : Dataset
        Must contain the week's traffic.
    week : Week
    attendance : mapping of str to float, optional
        Actual attendance by event id; other events keep their expected attendance.

    Raises
    ------
    ValueError
        If the week has no actual traffic, or ``attendance`` names an event
        that is not in the week.
    """
    plan = plan_week(dataset, week)
    if not plan.has_actuals:
        raise ValueError(translatable("week {week} has no traffic in dataset {dataset!r}; review a week that is in "
                                      "the data", week=week.label, dataset=dataset.name))
    attendance = dict(attendance or {})
    unknown = sorted(set(attendance) - set(plan.events["event_id"]))
    if unknown:
        known = sorted(plan.events["event_id"].unique())
        raise ValueError(translatable("invalid --attendance: event {events} is not in week {week}; its events are "
                                      "{known}", events=unknown, week=week.label,
                                      known=known or translatable("none")))

    rows = [_review_event(plan, event, attendance) for event in plan.events.itertuples(index=False)]
    events = pd.DataFrame(rows, columns=list(EVENT_REVIEW_COLUMNS))
    history = _history_rows(plan, attendance)
    logger.info("reviewed %d events of %s %s", events["event_id"].nunique(), dataset.name, week.label)
    return WeekReview(plan=plan, events=events, history=history)


def fit_attendance_uplift(events: pd.DataFrame) -> tuple[float, float, float]:
    """Fit ``actual_peak_uplift_ratio − 1 = slope × attendance + intercept`` by least squares.

    Returns
    -------
    slope, intercept, r_squared : float
        NaN when fewer than two events have both values.
    """
    usable = events.dropna(subset=["attendance", "actual_peak_uplift_ratio"])
    if usable["attendance"].nunique() < 2:
        return np.nan, np.nan, np.nan
    x = usable["attendance"].to_numpy(dtype=float)
    y = usable["actual_peak_uplift_ratio"].to_numpy(dtype=float) - 1.0
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = ((y - y.mean()) ** 2).sum()
    r_squared = 1.0 - (residual ** 2).sum() / total if total > 0 else np.nan
    return float(slope), float(intercept), float(r_squared)


def _review_event(plan: WeeklyPlan, event, attendance: Mapping[str, float]) -> dict:
    forecast = plan.forecast
    cells, basis = event_cells(plan, event.event_id, event.measure, event.venue_id)
    # The one window of the row: the hours the plan placed the event at, which its three checks share.
    in_window = event_hours(plan, event.event_id, event.measure)
    rows = forecast[(forecast["measure"] == event.measure) & forecast["cell_id"].isin(cells)
                    & forecast["timestamp"].isin(in_window)]
    # Network totals over the event's cells, hour by hour.
    totals = rows.groupby("timestamp")[["baseline", "p50", "p90", "actual"]].sum(min_count=1)

    record = {
        "event_id": event.event_id, "name": event.name, "kind": event.kind, "venue_id": event.venue_id,
        "measure": event.measure, "start": event.start, "end": event.end,
        "attendance": float(attendance.get(event.event_id, event.expected_attendance)),
        "cells": ";".join(cells),
        "cells_basis": basis,
        "offset_hours": offset_hours(event),
        "window_start": in_window.min() if len(in_window) else pd.NaT,
        "window_end": in_window.max() + HOUR if len(in_window) else pd.NaT,
    }
    record.update(_peaks(totals))
    record.update(_capacity_check(plan, event, cells, in_window))
    record.update(_staffing_check(plan, event, in_window))
    return record


def _peaks(totals: pd.DataFrame) -> dict:
    if totals.empty or totals["actual"].isna().all():
        return {}
    forecast_time = totals["p50"].idxmax()
    actual_time = totals["actual"].idxmax()
    actual_peak = float(totals["actual"].max())
    forecast_peak = float(totals["p50"].max())
    baseline_at_peak = float(totals.loc[actual_time, "baseline"])
    return {
        "forecast_peak_p50": forecast_peak,
        "forecast_peak_p90": float(totals["p90"].max()),
        "forecast_peak_time": forecast_time,
        "actual_peak": actual_peak,
        "actual_peak_time": actual_time,
        "peak_timing_error_hours": (actual_time - forecast_time) / HOUR,
        "peak_error_ratio": actual_peak / forecast_peak if forecast_peak > 0 else np.nan,
        "forecast_excess_total": float((totals["p50"] - totals["baseline"]).sum()),
        "actual_excess_total": float((totals["actual"] - totals["baseline"]).sum()),
        "actual_peak_uplift_ratio": actual_peak / baseline_at_peak if baseline_at_peak > 0 else np.nan,
    }


def _capacity_check(plan: WeeklyPlan, event, cells: list[str], hours: pd.DatetimeIndex) -> dict:
    """Return the actual utilisation after the recommended extra units, at the worst of the event's cell-hours.

    The cell-hours are the event's ``cells`` at its ``hours`` (see :func:`event_hours`).
    """
    capacity = plan.capacity
    mine = capacity[(capacity["measure"] == event.measure) & capacity["cell_id"].astype(str).isin(cells)
                    & capacity["timestamp"].isin(hours)]
    if mine.empty:
        return {"extra_units": 0, "capacity_enough": np.nan}
    actual = plan.forecast[["cell_id", "measure", "timestamp", "actual"]]
    merged = mine.merge(actual, on=["cell_id", "measure", "timestamp"], how="left")
    actions = plan.event_actions
    if not actions.empty:
        actions = actions[(actions["event_id"] == event.event_id) & (actions["measure"] == event.measure)]
        # Capacity after the action, from the plan's own utilisation after it: p90 / utilisation.
        after = actions.assign(capacity_after=np.where(actions["extra_units"] > 0,
                                                       actions["forecast_p90"] / actions["utilisation_after_action"],
                                                       actions["capacity"]))
        merged = merged.merge(after[["cell_id", "capacity_after"]], on="cell_id", how="left")
        merged["capacity_after"] = merged["capacity_after"].fillna(merged["capacity"])
    else:
        merged["capacity_after"] = merged["capacity"]
    utilisation = merged["actual"] / merged["capacity_after"]
    worst = utilisation.idxmax() if utilisation.notna().any() else None
    extra = int(actions["extra_units"].sum()) if not actions.empty else 0
    if worst is None:
        return {"extra_units": extra, "capacity_enough": np.nan}
    return {
        "extra_units": extra,
        "max_actual_utilisation_after_action": float(utilisation[worst]),
        "threshold": float(merged.loc[worst, "threshold"]),
        "capacity_enough": bool(utilisation[worst] <= merged.loc[worst, "threshold"]),
    }


def _staffing_check(plan: WeeklyPlan, event, hours: pd.DatetimeIndex) -> dict:
    """Compare the load the staff was sized for with the actual load, over the intervals of the event's ``hours``.

    The actual load scales the planned load by the network's actual traffic
    over its p50 forecast at that hour. The queue models give a service level
    that falls as the load rises, so the staff was enough wherever the
    actual load stays at or below the planned one.

    NOTE: this ignores the calls from overloaded cells that the staffing adds
    per ``add`` action, so a week with such actions is judged on traffic alone.
    """
    intervals = plan.staffing_intervals
    roles = {role.name for role in plan.dataset.settings.staffing.roles
             if role.driver_measure == event.measure}
    intervals = intervals[intervals["role"].isin(roles)] if not intervals.empty else intervals
    if intervals.empty:
        return {}
    # The whole staff of a shift covers its busiest interval, so each interval is staffed for that load.
    staffed_load = intervals.groupby(["date", "shift", "role"])["offered_load_erlangs"].transform("max")
    forecast = plan.forecast[plan.forecast["measure"] == event.measure]
    network = forecast.groupby("timestamp")[["p50", "actual"]].sum(min_count=1)
    scale = (network["actual"] / network["p50"]).replace([np.inf, -np.inf], np.nan)
    starts = pd.to_datetime(intervals["interval_start"])
    during = floor_hours(starts).isin(hours)
    if not during.any():
        return {}
    actual_load = (intervals.loc[during, "offered_load_erlangs"] * floor_hours(starts[during]).map(scale)).dropna()
    if actual_load.empty:
        return {}
    # The figures shown are those of the interval whose actual load exceeds its staffed load the most, so that
    # the verdict and the two loads beside it agree.
    shortfall = actual_load - staffed_load[actual_load.index]
    worst = shortfall.idxmax()
    return {
        "staffed_load_erlangs": float(staffed_load[worst]),
        "actual_load_erlangs": float(actual_load[worst]),
        "staffing_enough": bool(shortfall.max() <= 1e-9),
    }


def _history_rows(plan: WeeklyPlan, attendance: Mapping[str, float]) -> pd.DataFrame:
    """Return the excess of every event over its window, for every measure and the cells measured for it.

    The cells are those of :func:`event_cells`, so the history holds only
    the cells the review measured. The window runs from
    ``HOURS_BEFORE_EVENT`` before to ``HOURS_AFTER_EVENT`` after the event
    as the plan placed it for the measure: its calendar times moved by the
    forecast's ``offset_hours``, which is stored beside them. So
    ``position_hours`` counts from the moved start, as the forecaster counts
    the hours of a past event it learns at its timing offset.

    The excess is ``(actual − baseline) / level``, where ``baseline`` is the
    plan's forecast without events and ``level`` the cell's mean baseline
    over the week, so that it compares with the forecaster's learned excess.

    NOTE: the forecaster measures past events against an in-sample seasonal
    profile of the history around the event, not against the forecast made
    before the week, so the two excesses differ by that baseline's error.
    """
    columns = ["event_id", "kind", "venue_id", "start", "end", "attendance", "cell_id", "measure",
               "position_hours", "excess", "week", "offset_hours"]
    forecast = plan.forecast
    index = pd.DatetimeIndex(sorted(forecast["timestamp"].unique()))
    level = forecast.groupby(["cell_id", "measure"])["baseline"].mean()
    frames = []
    for event in plan.events.itertuples(index=False):
        offset = offset_hours(event)
        window = event_window(event.start + offset * HOUR, event.end + offset * HOUR, index,
                              hours_before=HOURS_BEFORE_EVENT, hours_after=HOURS_AFTER_EVENT)
        hours = index[window.rows]
        positions = pd.Series(window.positions, index=hours)
        cells = event_cells(plan, event.event_id, event.measure, event.venue_id)[0]
        rows = forecast[forecast["measure"].eq(event.measure) & forecast["cell_id"].astype(str).isin(cells)
                        & forecast["timestamp"].isin(hours) & forecast["actual"].notna()]
        if rows.empty:
            continue
        cell_level = pd.MultiIndex.from_frame(rows[["cell_id", "measure"]]).map(level.to_dict().get)
        cell_level = np.asarray(cell_level, dtype=float)
        cell_level = np.where(np.isfinite(cell_level) & (cell_level > 0), cell_level, 1.0)
        frames.append(pd.DataFrame({
            "event_id": event.event_id, "kind": event.kind, "venue_id": event.venue_id or "",
            "start": event.start, "end": event.end,
            "attendance": float(attendance.get(event.event_id, event.expected_attendance)),
            "cell_id": rows["cell_id"].astype(str).to_numpy(), "measure": rows["measure"].to_numpy(),
            "position_hours": rows["timestamp"].map(positions).to_numpy(dtype=float),
            "excess": ((rows["actual"] - rows["baseline"]).to_numpy(dtype=float) / cell_level),
            "week": plan.week.label, "offset_hours": offset,
        }))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
