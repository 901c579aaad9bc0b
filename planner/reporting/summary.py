"""Highlights of the report: events ranked by risk, actions to take, staffing peaks, forecast error.

These functions reduce the plan's tables to the few rows a planner acts on.
They return plain DataFrames with machine values, and the template
translates and formats them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.decisions.plan import WeeklyPlan, event_cells, event_hours, offset_hours, plan_week
from planner.forecasting.windows import time_of_day_known

AT_RISK_ACTIONS: tuple[str, ...] = ("add", "watch")
MAX_PLOTTED_CELLS = 12
MAX_UPLIFT_CELLS = 4
_ACTION_RANK = {"add": 2, "watch": 1, "ok": 0}
_HOUR = pd.Timedelta(hours=1)
MIN_FLAT_HOURS = 3
"""Hours outside events at a cell's highest p90 of the week from which its p90 counts as held flat by a cap."""
_FLAT_TOLERANCE = 1e-9
"""Relative difference below which two p90 values are the same value, as the cap sets them."""


def week_events(plan: WeeklyPlan) -> pd.DataFrame:
    """Return one row per event of the week, ranked by risk.

    Risk is the peak p90 utilisation over the cell-hours of the event, then
    the peak uplift ratio. Columns: the event's own columns (``event_id``,
    ``name``, ``kind``, ``venue_id``, ``venue_name``, ``start``, ``end``, the
    attendance, ``time_known`` when the calendar has it and ``attendance_capped_to`` when the forecast has it),
    ``peak_uplift_ratio`` (maximum over measures),
    ``peak_utilisation_p90``, ``cells_add`` (cells with at least one hour to
    reinforce during the event, over all measures) and ``cells_watch`` (the
    other cells with at least one hour to watch during the event).
    """
    events = plan.events
    columns = ["event_id", "name", "kind", "venue_id", "venue_name", "start", "end",
               "expected_attendance", "attendance_low", "attendance_high"]
    for optional in ("time_known", "attendance_capped_to"):
        if optional in events.columns:
            columns.append(optional)
    if events.empty:
        return pd.DataFrame(columns=[*columns, "peak_uplift_ratio", "peak_utilisation_p90", "cells_add",
                                     "cells_watch"])

    table = events.groupby("event_id", sort=False).first()[columns[1:]].reset_index()
    uplift = events.groupby("event_id", sort=False)["peak_uplift_ratio"].max()
    table["peak_uplift_ratio"] = table["event_id"].map(uplift)

    capacity = _capacity_by_event(plan.capacity)
    capacity = capacity[capacity["event_id"] != ""]
    peak = capacity.groupby("event_id")["utilisation_p90"].max()
    # Each cell is counted once per event, at its worst action, so a cell to reinforce is not also one to watch.
    at_risk = capacity[capacity["action"].isin(AT_RISK_ACTIONS)]
    needs_unit = (at_risk["action"] == "add").groupby([at_risk["event_id"], at_risk["cell_id"]]).any()
    cells_add = needs_unit.groupby(level="event_id").sum()
    cells_watch = (~needs_unit).groupby(level="event_id").sum()
    table["peak_utilisation_p90"] = table["event_id"].map(peak)
    table["cells_add"] = table["event_id"].map(cells_add).fillna(0).astype(int)
    table["cells_watch"] = table["event_id"].map(cells_watch).fillna(0).astype(int)

    return table.sort_values(["peak_utilisation_p90", "peak_uplift_ratio", "start"],
                             ascending=[False, False, True], na_position="last").reset_index(drop=True)


def capacity_actions(plan: WeeklyPlan) -> pd.DataFrame:
    """Return one row per cell, measure and event with an ``add`` or ``watch`` hour.

    A cell-hour that lies in several events counts for each of them, and
    hours outside events have an empty ``event_id``.

    Columns: ``cell_id``, ``measure``, ``event_id``, ``event_name``,
    ``action`` (the worst of the hours), ``timestamp`` (hour of peak
    utilisation), and ``forecast_p90``, ``capacity``, ``threshold`` and
    ``utilisation_p90`` at that hour. Then ``extra_units`` (maximum over the
    hours, NaN when no extra unit covers the measure), ``extra_unit_name``,
    ``hours`` (count of add or watch hours) and ``deadline`` (the earlier
    of the event's start and its first such hour, or the first such hour
    outside events). Rows are sorted with
    ``add`` first, then by peak utilisation.
    """
    columns = ["cell_id", "measure", "event_id", "event_name", "action", "timestamp", "forecast_p90", "capacity",
               "threshold", "utilisation_p90", "extra_units", "extra_unit_name", "hours", "deadline"]
    capacity = _capacity_by_event(plan.capacity)
    capacity = capacity[capacity["action"].isin(AT_RISK_ACTIONS)]
    if capacity.empty:
        return pd.DataFrame(columns=[*columns, "flat_p90"])

    keys = ["cell_id", "measure", "event_id"]
    peak_rows = capacity.loc[capacity.groupby(keys)["utilisation_p90"].idxmax()].set_index(keys)
    grouped = capacity.groupby(keys)
    table = peak_rows[["timestamp", "forecast_p90", "capacity", "threshold", "utilisation_p90",
                       "extra_unit_name"]].copy()
    table["action"] = grouped["action"].agg(lambda actions: max(actions, key=_ACTION_RANK.__getitem__))
    table["extra_units"] = grouped["extra_units"].max()
    table["hours"] = grouped.size()
    table["first_hour"] = grouped["timestamp"].min()
    table = table.reset_index()

    starts = _event_field(plan.events, "start").dropna().to_dict()
    names = _event_field(plan.events, "name").dropna().astype(str).to_dict()
    table["event_name"] = [names.get(event_id, "") for event_id in table["event_id"]]
    # An event's action is due at its start or at its first hour at risk, whichever comes first, because the
    # uplift of arrivals (or of a drifted clock) can reach the threshold before the scheduled start.
    table["deadline"] = [min(starts.get(event_id, first_hour), first_hour)
                         for event_id, first_hour in zip(table["event_id"], table["first_hour"])]
    table["action_rank"] = table["action"].map(_ACTION_RANK)
    table = table.sort_values(["action_rank", "utilisation_p90", "deadline"], ascending=[False, False, True])
    flat = flat_p90_cells(plan).set_index(["cell_id", "measure"])["p90"]
    flat_value = pd.Series([flat.get((cell, measure), np.nan) for cell, measure in zip(table["cell_id"],
                                                                                      table["measure"])],
                           index=table.index, dtype=float)
    table["flat_p90"] = np.isclose(table["forecast_p90"].to_numpy(float), flat_value.to_numpy(),
                                   rtol=_FLAT_TOLERANCE, atol=0.0)
    return table[[*columns, "flat_p90"]].reset_index(drop=True)


def flat_p90_cells(plan: WeeklyPlan) -> pd.DataFrame:
    """Return the cells whose p90 is held at one value for at least ``MIN_FLAT_HOURS`` hours outside events.

    The forecast caps a cell's p90 outside events at
    ``planner.forecasting.model.BAND_CEILING`` times its highest event-free
    hour, and a capped hour has exactly the cap as p90. The forecast table
    does not say which hours were capped. So a cell counts when its highest
    p90 of the week outside events recurs, within ``_FLAT_TOLERANCE``, in
    ``MIN_FLAT_HOURS`` hours or more, because a forecast that is not capped
    varies from hour to hour. Columns: ``cell_id``, ``measure``, ``p90`` (the flat
    value), ``flat_hours`` and ``hours`` (forecast hours of the cell in the
    week), most flat hours first.
    """
    columns = ["cell_id", "measure", "p90", "flat_hours", "hours"]
    forecast = plan.forecast
    if forecast.empty:
        return pd.DataFrame(columns=columns)
    outside = forecast
    if "event_id" in forecast.columns:
        outside = forecast[forecast["event_id"].fillna("").astype(str) == ""]
    outside = outside[outside["p90"].notna()]
    if outside.empty:
        return pd.DataFrame(columns=columns)
    keys = ["cell_id", "measure"]
    highest = outside.groupby(keys)["p90"].transform("max")
    at_highest = np.isclose(outside["p90"].to_numpy(float), highest.to_numpy(float), rtol=_FLAT_TOLERANCE, atol=0.0)
    at_highest &= highest.to_numpy(float) > 0
    table = outside[at_highest].groupby(keys).agg(p90=("p90", "max"), flat_hours=("p90", "size"))
    table["hours"] = forecast.groupby(keys).size().reindex(table.index)
    table = table[table["flat_hours"] >= MIN_FLAT_HOURS].reset_index()
    return table.sort_values(["flat_hours", "cell_id"], ascending=[False, True])[columns].reset_index(drop=True)


def cells_at_risk(plan: WeeklyPlan) -> pd.DataFrame:
    """Return one row per cell and measure with an ``add`` or ``watch`` hour, highest peak utilisation first.

    Columns: ``cell_id``, ``measure``, ``action`` (the worst of the week),
    ``peak_utilisation_p90``, ``peak_time``, ``max_extra_units``,
    ``extra_unit_name`` and ``event_ids`` (the events of its risky hours, as
    text).
    """
    columns = ["cell_id", "measure", "action", "peak_utilisation_p90", "peak_time", "max_extra_units",
               "extra_unit_name", "event_ids"]
    capacity = plan.capacity[plan.capacity["action"].isin(AT_RISK_ACTIONS)].reset_index(drop=True)
    if capacity.empty:
        return pd.DataFrame(columns=columns)

    keys = ["cell_id", "measure"]
    grouped = capacity.groupby(keys)
    peak_rows = capacity.loc[grouped["utilisation_p90"].idxmax()].set_index(keys)
    worst_rank = capacity["action"].map(_ACTION_RANK).groupby([capacity[key] for key in keys]).max()
    action_of_rank = {rank: action for action, rank in _ACTION_RANK.items()}
    # Most at-risk hours of a large network fall outside any event, so only the others are joined.
    with_events = capacity[capacity["event_id"].fillna("").astype(str) != ""]
    event_ids = with_events.groupby(keys)["event_id"].agg(_join_event_ids).reindex(worst_rank.index, fill_value="")
    table = pd.DataFrame({
        "action": worst_rank.map(action_of_rank),
        "peak_utilisation_p90": peak_rows["utilisation_p90"],
        "peak_time": peak_rows["timestamp"],
        "max_extra_units": grouped["extra_units"].max(),
        "extra_unit_name": peak_rows["extra_unit_name"],
        "event_ids": event_ids,
    }).reset_index()
    table = table.sort_values(["peak_utilisation_p90", "cell_id"], ascending=[False, True])
    return table[columns].reset_index(drop=True)


def cells_by_uplift(plan: WeeklyPlan, limit: int = MAX_UPLIFT_CELLS) -> pd.DataFrame:
    """Return the cells and measures whose p50 rises most above the baseline this week.

    Columns: ``cell_id``, ``measure``, ``peak_uplift_ratio`` (maximum of p50
    over baseline over the hours with a positive baseline), at most ``limit``
    rows, largest first. Cells whose p50 never exceeds the baseline are left
    out, because they show no event effect.
    """
    forecast = plan.forecast
    usable = forecast[(forecast["baseline"] > 0) & forecast["p50"].notna()]
    if usable.empty:
        return pd.DataFrame(columns=["cell_id", "measure", "peak_uplift_ratio"])
    ratios = usable.assign(ratio=usable["p50"] / usable["baseline"])
    table = ratios.groupby(["cell_id", "measure"])["ratio"].max().rename("peak_uplift_ratio").reset_index()
    table = table[table["peak_uplift_ratio"] > 1.0]
    return table.sort_values(["peak_uplift_ratio", "cell_id"], ascending=[False, True]).head(limit).reset_index(
        drop=True)


def staffing_peaks(plan: WeeklyPlan) -> pd.DataFrame:
    """Return, for each role, the shift of the week that needs the most staff (the earliest on a tie)."""
    staffing = plan.staffing
    if staffing.empty:
        return staffing.copy()
    ordered = staffing.sort_values(["required_staff", "required_staff_fractional", "date"],
                                   ascending=[False, False, True], kind="stable")
    return ordered.groupby("role", sort=False).head(1).sort_values("role").reset_index(drop=True)


def usual_week_plan(plan: WeeklyPlan) -> WeeklyPlan:
    """Plan the same dataset and week again with no event, as the usual week to compare staffing with.

    The usual week is the plan the same history gives when the week has no
    planned event and no public holiday: the baseline forecast, its capacity
    actions and its staffing. Comparing with it isolates what the week's
    events add, whereas the median of the previous weeks would also mix in
    growth and the events of those weeks.
    """
    no_events = plan.dataset.events.iloc[0:0]
    return plan_week(plan.dataset, plan.week, scenario_events=no_events)


def staffing_changes(plan: WeeklyPlan, usual_staffing: pd.DataFrame) -> pd.DataFrame:
    """Return the shifts whose staff differs from the usual week, in time order.

    Parameters
    ----------
    plan : WeeklyPlan
    usual_staffing : DataFrame
        The ``staffing`` table of the usual week, such as
        ``usual_week_plan(plan).staffing``.

    Returns
    -------
    DataFrame
        ``date``, ``shift``, ``role``, ``required_staff``, ``usual_staff``,
        ``change`` (``required_staff − usual_staff``), ``expected_load`` and
        ``usual_load`` (Erlangs). A shift missing from the usual week counts
        as 0 usual staff.
    """
    columns = ["date", "shift", "role", "required_staff", "usual_staff", "change", "expected_load", "usual_load"]
    if plan.staffing.empty:
        return pd.DataFrame(columns=columns)
    keys = ["date", "shift", "role"]
    usual = usual_staffing[[*keys, "required_staff", "expected_load"]].rename(
        columns={"required_staff": "usual_staff", "expected_load": "usual_load"})
    merged = plan.staffing.reset_index(drop=True).reset_index(names="_order").merge(usual, on=keys, how="left")
    merged["usual_staff"] = merged["usual_staff"].fillna(0).astype(int)
    merged["change"] = merged["required_staff"].astype(int) - merged["usual_staff"]
    changed = merged[merged["change"] != 0].sort_values("_order")
    return changed[columns].reset_index(drop=True)


def forecast_error(plan: WeeklyPlan) -> pd.DataFrame:
    """Return how far the forecast was from the actual traffic, per measure.

    Columns: ``measure``, ``hours`` (cell-hours with an actual value),
    ``mae`` (mean absolute error of p50), ``mean_actual``, ``relative_mae``
    (MAE over the mean actual) and ``coverage_p10_p90`` (share of cell-hours
    whose actual lies in the p10–p90 band, which should be near 0.8).
    """
    forecast = plan.forecast[plan.forecast["actual"].notna() & plan.forecast["p50"].notna()]
    rows = []
    for measure, group in forecast.groupby("measure", sort=False):
        error = (group["actual"] - group["p50"]).abs()
        inside = (group["actual"] >= group["p10"]) & (group["actual"] <= group["p90"])
        mean_actual = group["actual"].mean()
        rows.append({
            "measure": measure,
            "hours": len(group),
            "mae": error.mean(),
            "mean_actual": mean_actual,
            "relative_mae": error.mean() / mean_actual if mean_actual > 0 else np.nan,
            "coverage_p10_p90": inside.mean(),
        })
    return pd.DataFrame(rows, columns=["measure", "hours", "mae", "mean_actual", "relative_mae", "coverage_p10_p90"])


def event_peaks(plan: WeeklyPlan) -> pd.DataFrame:
    """Return the peak actual traffic of each event window beside the peak forecast.

    The peaks are taken over the event's cells and hours as the review
    measures them: the cells the forecast marks with the event, or, when it
    marks none, those within 1 km of the venue and the nearest one
    (:func:`planner.decisions.plan.event_cells`); and the hours where the
    plan placed the event, from 1 h before to 2 h after it
    (:func:`planner.decisions.plan.event_hours`), which a learned timing
    offset can move hours away from the calendar's times. Columns:
    ``event_id``, ``name``, ``start`` (the calendar's local start, which
    tells apart events of the same name), ``time_known`` (whether the
    calendar gives the time of day or the date only), ``offset_hours``
    (how far the forecast placed the event from ``start``), ``measure``,
    ``peak_actual``, ``peak_p50``, ``peak_p90`` and ``within_p90`` (whether
    the peak actual stayed at or below the peak p90).
    """
    columns = ["event_id", "name", "start", "time_known", "offset_hours", "measure", "peak_actual", "peak_p50",
               "peak_p90", "within_p90"]
    forecast = plan.forecast
    if plan.events.empty or not plan.has_actuals:
        return pd.DataFrame(columns=columns)

    # Converted once: each event's window is then a few masks over columns of millions of rows.
    cell_ids = forecast["cell_id"].astype(str)
    observed = forecast["actual"].notna()
    rows = []
    for event in plan.events.drop_duplicates(["event_id", "measure"]).itertuples(index=False):
        cells, _ = event_cells(plan, event.event_id, event.measure, event.venue_id)
        hours = event_hours(plan, event.event_id, event.measure)
        in_window = ((forecast["measure"] == event.measure) & forecast["timestamp"].isin(hours)
                     & cell_ids.isin(cells))
        window = forecast[in_window & observed]
        if window.empty:
            continue
        peak_actual = window["actual"].max()
        peak_p90 = window["p90"].max()
        rows.append({"event_id": event.event_id, "name": event.name, "start": event.start,
                     "time_known": time_of_day_known(event), "offset_hours": offset_hours(event),
                     "measure": event.measure,
                     "peak_actual": peak_actual, "peak_p50": window["p50"].max(), "peak_p90": peak_p90,
                     "within_p90": bool(peak_actual <= peak_p90)})
    return pd.DataFrame(rows, columns=columns)


def _capacity_by_event(capacity: pd.DataFrame) -> pd.DataFrame:
    """Return the capacity rows with one row per event where a cell-hour lies in several (ids joined by ";")."""
    event_ids = capacity["event_id"].fillna("").astype(str).str.split(";")
    exploded = capacity.assign(event_id=event_ids).explode("event_id")
    exploded["event_id"] = exploded["event_id"].fillna("").str.strip()
    return exploded.reset_index(drop=True)


def _event_field(events: pd.DataFrame, column: str) -> pd.Series:
    return events.drop_duplicates("event_id").set_index("event_id")[column]


def _join_event_ids(event_ids: pd.Series) -> str:
    unique: list[str] = []
    for text in event_ids.fillna("").astype(str):
        for event_id in text.split(";"):
            event_id = event_id.strip()
            if event_id and event_id not in unique:
                unique.append(event_id)
    return ";".join(unique)
