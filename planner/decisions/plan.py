"""The weekly plan: forecast, capacity actions and staffing for one ISO week."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import trim_mean

from planner.decisions.actions import plan_event_actions, plan_voice_channels
from planner.decisions.capacity import plan_capacity
from planner.decisions.staffing import plan_staffing
from planner.forecasting.backtest import SCORING_RADIUS_M, scoring_cells
from planner.forecasting.model import EventForecaster, ForecastResult
from planner.forecasting.windows import HOUR, metric_window_mask
from planner.inputs.dataset import Dataset
from planner.inputs.weeks import Week
from planner.messages import translatable

logger = logging.getLogger(__name__)
# Weeks after the last traffic that a plan may start: the forecast repeats the weeks before the data
# end, and two months on a fast-growing network's trend and season have moved too far to trust it.
MAX_WEEKS_AHEAD = 8
# Values of ``cells_basis`` in the review: how the cells of an event were chosen (see ``event_cells``).
CELLS_FROM_FORECAST = "forecast"
CELLS_NEAR_VENUE = "venue_radius"
CELLS_WHOLE_NETWORK = "network"


@dataclass(frozen=True)
class WeeklyPlan:
    """Everything the report shows for one dataset and one ISO week.

    Attributes
    ----------
    forecast : DataFrame
        One row per cell, measure and hour of the week: ``cell_id``,
        ``measure``, ``timestamp`` (tz-aware hour start), ``baseline`` (the
        forecast without events), ``p10``, ``p50``, ``p90`` and ``actual``
        (the observed value when the week is in the data, else NaN).
    events : DataFrame
        The week's events, one row per event and measure: ``event_id``,
        ``name``, ``kind``, ``venue_id``, ``venue_name``, ``start``, ``end``,
        ``expected_attendance``, ``attendance_low``, ``attendance_high``,
        ``measure``, ``peak_uplift_ratio`` (peak of p50 over baseline across the
        event's cells and hours), ``uplift_ratio_p10``, ``uplift_ratio_p90``,
        ``cells_affected``, ``pooling`` (``venue``, ``kind``, ``all`` or
        ``none``: which history the uplift was learned from),
        ``learned_from`` (the past events used, as text),
        ``learned_events`` (how many), ``learned_at_venue`` (how many of
        them at the event's venue), ``pooled_venues`` (how many venues of
        its kind the profile was drawn towards, 0 when it was not),
        ``attendance_capped_to`` (the venue's
        ``capacity_people`` when an attendance figure is above it, so the
        uplift is scaled for that many people; NaN otherwise) and
        ``offset_hours`` (how far the forecast moved the event from its
        calendar times by a learned timing offset; see :func:`event_hours`).
    capacity : DataFrame
        ``cell_id``, ``measure``, ``event_id`` (empty outside events),
        ``timestamp``, ``forecast_p90``, ``capacity``, ``threshold``,
        ``utilisation_p90``, ``action`` (``ok``, ``watch``, ``add``),
        ``extra_units`` and ``extra_unit_name``.
    staffing : DataFrame
        One row per day, shift and role: ``date``, ``shift``, ``role``,
        ``expected_load`` (peak offered load of the shift, Erlangs),
        ``required_staff_fractional``, ``required_staff``,
        ``service_level_target``, ``expected_service_level`` (the lowest
        interval service level of the shift with that staffing),
        ``hours_covered`` (hours of the shift inside the week) and
        ``partial_shift`` (true when the shift starts before the week or
        ends after it, so its staffing rests on ``hours_covered`` only).
    staffing_intervals : DataFrame
        One row per interval and role: ``interval_start``, ``date``,
        ``shift``, ``role``, ``arrivals_per_hour``,
        ``sized_arrivals_per_hour`` (the rate the interval is staffed for,
        see ``service_level_probability``), ``offered_load_erlangs`` (at the
        expected arrivals), ``agents_fractional`` (before shrinkage),
        ``staff_on_shift``, ``service_level`` (at the expected arrivals).
    assumptions : dict
        Dotted setting key to the reason the value is assumed.
    notes : list of str
        Choices made for the user, in English, for the log and the report.
    event_actions : DataFrame
        One row per event, cell and measure with an ``add`` or ``watch``
        hour: ``event_id``, ``cell_id``, ``measure``, ``peak_hour``,
        ``forecast_p90``, ``capacity``, ``threshold``, ``utilisation_p90``,
        ``action``, ``extra_units``, ``extra_unit_name``,
        ``utilisation_after_action`` and ``margin_after_action`` (threshold
        minus the utilisation after the action).
    voice_channels : DataFrame
        One row per cell and measure in Erlangs: ``cell_id``, ``measure``,
        ``busy_hour``, ``busy_hour_erlangs_p90``, ``grade_of_service``,
        ``channels_needed`` (Erlang B), ``channels_installed``,
        ``blocking_at_installed`` and ``extra_channels``. Empty when no
        measure is in Erlangs.
    """

    dataset: Dataset
    week: Week
    forecast: pd.DataFrame
    events: pd.DataFrame
    capacity: pd.DataFrame
    staffing: pd.DataFrame
    staffing_intervals: pd.DataFrame
    assumptions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    event_actions: pd.DataFrame = field(default_factory=pd.DataFrame)
    voice_channels: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The forecast rows that name each event, indexed on first use (see _rows_naming).
    _event_rows: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def has_actuals(self) -> bool:
        return bool(self.forecast["actual"].notna().any())


def plan_week(dataset: Dataset, week: Week, *, scenario_events: pd.DataFrame | None = None,
              log_warnings: bool = True) -> WeeklyPlan:
    """Forecast one ISO week from the history before it, then plan capacity and staffing.

    Parameters
    ----------
    dataset : Dataset
        Only its traffic strictly before ``week.start`` is learned from; the
        week's own traffic, when present, is kept as ``actual`` for comparison.
    week : Week
    scenario_events : DataFrame, optional
        Events to plan for in place of the dataset's calendar for this week.
    log_warnings : bool, default True
        See :func:`plan_from_forecast`.
    """
    check_history_recent(dataset, week)
    # Forecast from the history strictly before the week.
    forecaster = EventForecaster().fit(dataset, week.start)
    result = forecaster.predict(week.start, week.end, scenario_events)
    logger.info("forecast %s for %s: %d cells, %d events", dataset.name, week.label,
                len(dataset.cells), result.events["event_id"].nunique())
    return plan_from_forecast(dataset, week, result, scenario_events=scenario_events, log_warnings=log_warnings)


def plan_from_forecast(dataset: Dataset, week: Week, result: ForecastResult, *,
                       scenario_events: pd.DataFrame | None = None,
                       reference: dict[str, float] | None = None, log_warnings: bool = True) -> WeeklyPlan:
    """Plan capacity and staffing for one ISO week from its forecast.

    ``plan_week`` is this function applied to ``EventForecaster().fit(dataset,
    week.start).predict(week.start, week.end, scenario_events)``; callers that
    forecast otherwise (several scenarios from one fit, or cells forecast in
    partitions) pass their result here.

    Parameters
    ----------
    dataset : Dataset
        Its traffic gives the ``actual`` column and, unless ``reference`` is
        given, the staffing reference.
    week : Week
    result : ForecastResult
        The forecast of the week's hours for every cell of the dataset.
    scenario_events : DataFrame, optional
        The events the forecast was made for, in place of the dataset's calendar.
    reference : dict of str to float, optional
        Mean hourly network total of each measure over the four weeks before
        the week; computed from ``dataset.traffic`` when omitted.
    log_warnings : bool, default True
        Log the plan's warnings as well as adding them to its notes. False
        for a second plan of the same week, such as the usual week, so that
        the console shows each warning once.
    """
    last_data = check_history_recent(dataset, week)
    forecast = _with_actuals(result.table, dataset, week)
    events = _describe_events(result.events, scenario_events if scenario_events is not None else dataset.events,
                              dataset.venues)
    # The forecast also models events just outside the week, because their lead-in or aftermath reaches into it.
    # The plan's events are those that take place during the week.
    events = events[(events["start"] < week.end) & (events["end"] > week.start)].reset_index(drop=True)

    # Decisions: capacity actions per cell-hour, then staffing per interval and shift.
    capacity = plan_capacity(forecast, dataset.cells, dataset.settings)
    if reference is None:
        reference = reference_traffic(dataset, week)
    staffing, intervals = plan_staffing(forecast, capacity, dataset.settings, reference, week)
    event_actions = plan_event_actions(capacity, dataset.settings)
    voice_channels = plan_voice_channels(forecast, dataset.cells, dataset.settings)

    notes = list(result.notes)
    gap_days = (week.start - last_data) / pd.Timedelta(days=1) if last_data is not None else 0.0
    if gap_days > 7:
        gap_note = translatable("{week} starts {days:.0f} days after the last traffic before it ({last:%Y-%m-%d "
                                "%H:%M}); the forecast repeats the weeks before that date", week=week.label,
                                days=gap_days, last=last_data)
        if log_warnings:
            logger.warning(gap_note)
        notes.append(gap_note)
    for measure, value in reference.items():
        notes.append(translatable("staffing workload is scaled by the network's {measure} against its mean of "
                                  "{value:,.1f} per hour over the last four weeks of traffic before {week}",
                                  measure=measure, value=value, week=week.label))
    return WeeklyPlan(dataset=dataset, week=week, forecast=forecast, events=events, capacity=capacity,
                      staffing=staffing, staffing_intervals=intervals,
                      assumptions=dict(dataset.settings.assumptions), notes=notes,
                      event_actions=event_actions, voice_channels=voice_channels)


def event_hours(plan: WeeklyPlan, event_id: str, measure: str) -> pd.DatetimeIndex:
    """Return the hours of the week where the plan placed an event for a measure, from 1 h before to 2 h after it.

    They are the hours the forecast marks with the event, which follow where
    it placed the event's uplift. A learned timing offset moves them, because
    a drifting feed clock can put the response hours before the calendar's
    start, and an event without a time of day is placed at the usual start
    times of past events. When the forecast marks no hour (the event affects no cell), they are
    the hours that overlap the same window around the calendar times moved
    by the event's ``offset_hours``. Every part of the report and the review
    that looks at an event's hours takes them from here, so that they all
    look where the forecast put the event.
    """
    rows = _rows_naming(plan, event_id)
    rows = rows[plan.forecast["measure"].iloc[rows].to_numpy() == measure]
    hours = pd.DatetimeIndex(sorted(plan.forecast["timestamp"].iloc[rows].unique()))
    if len(hours):
        return hours
    forecast = plan.forecast[plan.forecast["measure"] == measure]
    rows = plan.events[(plan.events["event_id"] == event_id) & (plan.events["measure"] == measure)]
    if rows.empty:
        rows = plan.events[plan.events["event_id"] == event_id]
    if rows.empty:
        return pd.DatetimeIndex([], tz=plan.week.start.tz)
    shift = offset_hours(rows.iloc[0]) * HOUR
    index = pd.DatetimeIndex(sorted(forecast["timestamp"].unique()))
    window = pd.DataFrame({"start": [rows.iloc[0]["start"] + shift], "end": [rows.iloc[0]["end"] + shift]})
    return index[metric_window_mask(window, index)]


def placed_times(event) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the start and end where the forecast placed an event: its calendar times moved by ``offset_hours``."""
    shift = offset_hours(event) * HOUR
    start = event["start"] if isinstance(event, pd.Series) else event.start
    end = event["end"] if isinstance(event, pd.Series) else event.end
    return start + shift, end + shift


def offset_hours(event) -> float:
    """Return how far the forecast moved an event (a row of ``WeeklyPlan.events``) from its calendar times, in hours.

    0 when it was not moved, or when the row has no ``offset_hours``.
    """
    value = event.get("offset_hours", 0.0) if isinstance(event, pd.Series) else getattr(event, "offset_hours", 0.0)
    return float(value) if pd.notna(value) else 0.0


def event_cells(plan: WeeklyPlan, event_id: str, measure: str, venue_id: object) -> tuple[list[str], str]:
    """Choose the cells on which an event's effect on a measure is measured.

    Returns
    -------
    cells, basis : list of str, str
        The cells the plan's forecast marks with the event for the measure
        (basis ``forecast``). When it marks none, the cells within
        ``SCORING_RADIUS_M`` of the venue and always the nearest one
        (``venue_radius``), or every cell when the event has no venue in the
        dataset (``network``).
    """
    forecast = plan.forecast
    rows = _rows_naming(plan, event_id)
    rows = rows[forecast["measure"].iloc[rows].to_numpy() == measure]
    cells = sorted(forecast["cell_id"].iloc[rows].astype(str).unique())
    if cells:
        return cells, CELLS_FROM_FORECAST

    venue = venue_id if isinstance(venue_id, str) else ""
    near = sorted(str(cell) for cell in scoring_cells(plan.dataset, venue)) if venue else []
    if near:
        logger.info("%s: the forecast marks no %s cell, so the review measures the %d cells within %.0f m of %s "
                    "and the nearest one", event_id, measure, len(near), SCORING_RADIUS_M, venue)
        return near, CELLS_NEAR_VENUE
    return sorted(forecast["cell_id"].astype(str).unique()), CELLS_WHOLE_NETWORK


def _with_actuals(table: pd.DataFrame, dataset: Dataset, week: Week) -> pd.DataFrame:
    inside = dataset.traffic[(dataset.traffic["timestamp"] >= week.start) & (dataset.traffic["timestamp"] < week.end)]
    actual = inside.melt(id_vars=["cell_id", "timestamp"], value_vars=list(dataset.settings.measure_names),
                         var_name="measure", value_name="actual")
    merged = table.merge(actual, on=["cell_id", "measure", "timestamp"], how="left")
    return merged[["cell_id", "measure", "timestamp", "baseline", "p10", "p50", "p90", "actual", "event_id"]]


def _describe_events(summary: pd.DataFrame, calendar: pd.DataFrame, venues: pd.DataFrame) -> pd.DataFrame:
    venue_names = venues.set_index("venue_id")["name"]
    columns = ["event_id", "name", "kind", "venue_id", "start", "end", "expected_attendance", "attendance_low",
               "attendance_high"] + (["time_known"] if "time_known" in calendar.columns else [])
    details = calendar[columns].drop_duplicates("event_id")
    events = details.merge(summary, on="event_id", how="inner")
    events.insert(4, "venue_name", events["venue_id"].map(venue_names).fillna(""))
    return events.sort_values(["start", "event_id", "measure"]).reset_index(drop=True)


def reference_traffic(dataset: Dataset, week: Week, weeks: int = 4) -> dict[str, float]:
    """Return the typical hourly network total of each measure over the last ``weeks`` weeks of data before ``week``.

    See ``reference_from_totals`` for how the total is taken. Only the rows of
    those weeks are copied and summed, because the traffic contains every
    cell-hour of the history. Copying all of it took most of the staffing
    stage of ``benchmarks/scale.py`` at 50,000 cells.
    """
    measures = list(dataset.settings.measure_names)
    rows = _reference_rows(dataset.traffic, measures, week, weeks)
    totals = dataset.traffic.loc[rows, ["timestamp", *measures]].groupby("timestamp")[measures].sum(min_count=1)
    return reference_from_totals(totals, measures, f"{dataset.name!r} before {week.label}", weeks)


def _reference_rows(traffic: pd.DataFrame, measures: list[str], week: Week, weeks: int) -> np.ndarray:
    """Return a row mask of the traffic in the last ``weeks`` weeks with data before ``week``.

    The weeks end at the last hour before ``week`` where some measure has a
    value, as in ``reference_from_totals``, so the hourly totals of these
    rows are the totals that function keeps from the whole history.
    """
    timestamps = traffic["timestamp"]
    before = (timestamps < week.start).to_numpy()
    with_data = before & traffic[measures].notna().any(axis=1).to_numpy()
    if not with_data.any():
        return with_data
    last_hour = _latest(timestamps, with_data)
    return with_data & (timestamps > last_hour - pd.Timedelta(weeks=weeks)).to_numpy()


def _latest(timestamps: pd.Series, rows: np.ndarray) -> pd.Timestamp:
    """Return the latest of the tz-aware ``timestamps`` on the rows where the mask ``rows`` is true.

    The mask must select at least one row. The maximum is taken over the
    UTC values in place, because a boolean selection would copy the
    timestamps of every selected row.
    """
    utc = timestamps.dt.tz_convert(None).to_numpy()
    latest_utc = np.max(utc, where=rows, initial=utc.min())
    return pd.Timestamp(latest_utc).tz_localize("UTC").tz_convert(timestamps.dt.tz)


def check_history_recent(dataset: Dataset, week: Week) -> pd.Timestamp | None:
    """Return the last traffic timestamp before the week, None when there is none.

    Raises
    ------
    ValueError
        When the week starts more than ``MAX_WEEKS_AHEAD`` weeks after that timestamp.
    """
    timestamps = dataset.traffic["timestamp"]
    before = (timestamps < week.start).to_numpy()
    if not before.any():
        return None  # The forecaster raises its own error on a week with no history.
    last_data = _latest(timestamps, before)
    if week.start - last_data > pd.Timedelta(weeks=MAX_WEEKS_AHEAD):
        raise ValueError(translatable(
            "{week} starts {days:.0f} days after the last traffic of dataset {dataset!r} ({last:%Y-%m-%d %H:%M}), "
            "and a plan repeats the weeks before that date for at most {weeks} weeks; add recent traffic to the "
            "dataset or plan an earlier week, such as --week next",
            week=week.label, days=(week.start - last_data) / pd.Timedelta(days=1), dataset=dataset.name,
            last=last_data, weeks=MAX_WEEKS_AHEAD))
    return last_data


def reference_from_totals(totals: pd.DataFrame, measures: list[str], where: str, weeks: int = 4) -> dict[str, float]:
    """Return the typical hourly network total per measure from hourly totals before a week.

    The weeks end at the last hour with data, so a week planned after a gap
    in the data still has a reference. The mean is trimmed by 1 % at each
    end, so that a single absurd value in the history cannot move every
    role's workload.
    """
    totals = totals.dropna(how="all")
    if totals.empty:
        raise ValueError(f"no traffic in {where}; plan a later week")
    totals = totals[totals.index > totals.index.max() - pd.Timedelta(weeks=weeks)]
    return {measure: float(trim_mean(totals[measure].dropna(), 0.01)) for measure in measures}


def _rows_naming(plan: WeeklyPlan, event_id: str) -> np.ndarray:
    """Return the sorted positions of the plan's forecast rows whose ``;``-joined ``event_id`` field names the event.

    The index of every event's rows is built on the first call, in one pass
    over the forecast, because the report looks events up dozens of times
    in a forecast of millions of rows.
    """
    if not plan._event_rows:
        plan._event_rows.update(_index_event_rows(plan.forecast))
    return plan._event_rows.get(event_id, np.array([], dtype=np.intp))


def _index_event_rows(forecast: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return, for each event id named in the forecast's ``event_id`` field, the sorted positions of its rows."""
    index: dict[str, np.ndarray] = {"": np.array([], dtype=np.intp)}
    if "event_id" not in forecast.columns:
        return index
    fields_by_row = forecast["event_id"].to_numpy()
    named = np.flatnonzero(pd.notna(fields_by_row))
    codes, fields = pd.factorize(fields_by_row[named])
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(fields) + 1))
    positions: dict[str, list[np.ndarray]] = {}
    for code, text in enumerate(fields):
        rows = named[order[bounds[code]:bounds[code + 1]]]
        for event_id in str(text).split(";"):
            if event_id:
                positions.setdefault(event_id, []).append(rows)
    index.update({event_id: np.sort(np.concatenate(parts)) for event_id, parts in positions.items()})
    return index
