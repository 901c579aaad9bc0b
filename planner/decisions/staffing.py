"""Staffing per shift and role from the traffic forecast, by Erlang C or Erlang A.

Each role's arrivals follow the network traffic of its driver measure and
the number of overloaded cells. The week is cut into intervals (30 minutes
by default), and each interval gets the fractional agents the role's queue
model needs to meet its service level target with the role's
``service_level_probability``. Shrinkage is applied once, the
shift needs the maximum over its intervals, and rounding to whole staff
happens once, at the end.

Erlang C (the default) assumes Poisson arrivals, exponential handle times
and infinite patience, so the plan is conservative when callers hang up.
Erlang A adds an exponential patience (``patience_seconds``), and its
service level counts abandoned calls as not answered in time. A role with a
``calibration_log`` takes its base arrival rate, handle time and patience
from that log (see :mod:`planner.decisions.calibration`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import timedelta

import numpy as np
import pandas as pd

from planner.decisions import erlang, erlang_a
from planner.decisions.arrival_quantiles import arrivals_at_probability
from planner.decisions.calibration import apply_calibration, calibrate_role, role_calibration
from planner.inputs.errors import InputError, Problem
from planner.inputs.settings import RoleSettings, Settings, Shift
from planner.inputs.weeks import Week
from planner.messages import translatable

logger = logging.getLogger(__name__)

STAFFING_COLUMNS: tuple[str, ...] = (
    "date", "shift", "role", "expected_load", "required_staff_fractional", "required_staff",
    "service_level_target", "expected_service_level", "hours_covered", "partial_shift",
)
INTERVAL_COLUMNS: tuple[str, ...] = (
    "interval_start", "date", "shift", "role", "arrivals_per_hour", "sized_arrivals_per_hour",
    "offered_load_erlangs", "agents_fractional", "staff_on_shift", "service_level",
)

STAFFING_MODEL_COLUMNS: tuple[str, ...] = (
    "role", "model", "driver_measure", "base_arrivals_per_hour", "arrivals_per_overloaded_cell_hour",
    "handle_time_seconds", "patience_seconds", "service_level_target", "answer_time_seconds", "max_occupancy",
    "service_level_probability", "arrival_dispersion", "calibration_log", "calibration_arrivals",
)

_MINUTES_PER_DAY = 24 * 60
# Relative slack before rounding up, so that 14 agents / 0.7 = 20.000000000000004 gives 20 staff.
_RELATIVE_TOLERANCE = 1e-9


def plan_staffing(forecast: pd.DataFrame, capacity: pd.DataFrame, settings: Settings,
                  reference_traffic: Mapping[str, float], week: Week) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Plan the staff each role needs on each shift of the week.

    For every role of ``settings.staffing.roles`` and every hour ``t``::

        arrivals_per_hour(t) = base_arrivals_per_hour
                               × network_p50(driver_measure, t) / reference_traffic[driver_measure]
                               + arrivals_per_overloaded_cell_hour × cells_with_add(t)

    where ``network_p50`` sums the p50 forecast over cells and
    ``cells_with_add`` counts the distinct cells whose action is ``add`` for
    any measure at that hour. Each interval of
    ``settings.staffing.interval_minutes`` takes its hour's rate, and its
    offered load is ``arrivals_per_hour × handle_time_seconds / 3600``
    Erlangs. The interval is staffed for ``sized_arrivals_per_hour``: the
    arrival count it stays at or below with the role's
    ``service_level_probability``, for Poisson arrivals or, with
    ``arrival_dispersion`` above 1 (set, or measured by the calibration
    log), negative binomial ones (see
    :func:`~planner.decisions.arrival_quantiles.arrivals_at_probability`),
    over the interval's length. The role's ``model``, Erlang C or Erlang A,
    gives the fractional agents that meet its service level target at that
    count within ``answer_time_seconds`` and its max occupancy (see
    :func:`~planner.decisions.erlang.agents_for_service_level_fractional` and
    :func:`~planner.decisions.erlang_a.agents_for_service_level_fractional`).
    A role with a ``calibration_log`` first takes its base arrival rate,
    handle time and patience from the log.

    Shrinkage is applied once, ``staff = agents / (1 − shrinkage)``. A
    shift's fractional need is the maximum over its intervals, and
    ``required_staff`` is its ceiling. With that whole staff, ``staff × (1 −
    shrinkage)`` agents are available in each interval of the shift, the
    interval's ``service_level`` is the one expected at its forecast load,
    and ``expected_service_level`` is the lowest interval service level.
    ``hours_covered`` is the time the shift's intervals span inside the week,
    and ``partial_shift`` is true for a shift that starts before the week or
    ends after it (the first and last night shifts with the default shifts),
    whose staffing rests on those hours only.

    Shifts follow local wall-clock time: a shift belongs to the date it
    starts on, so the 22:00 shift covers intervals up to 06:00 the next day,
    and on a daylight-saving night it lasts 7 or 9 hours. The intervals
    before the first shift start of the week's Monday belong to the shift
    that started on the Sunday before the week, and are labelled with that
    date.

    Parameters
    ----------
    forecast : DataFrame
        Long forecast with ``cell_id``, ``measure``, ``timestamp`` (tz-aware
        hour start) and ``p50``. It must cover every hour of ``week`` for
        each role's driver measure. Hours outside the week are ignored.
    capacity : DataFrame
        Output of :func:`~planner.decisions.capacity.plan_capacity`, for the
        ``add`` actions.
    settings : Settings
        The dataset's settings, for ``settings.staffing``.
    reference_traffic : mapping of str to float
        Measure name to the mean hourly network total (sum over cells) in the
        history.
    week : Week
        The ISO week to plan, in the dataset's time zone.

    Returns
    -------
    staffing : DataFrame
        One row per shift date, shift and role, with the columns of
        ``WeeklyPlan.staffing``, in time order.
    intervals : DataFrame
        One row per interval and role, with the columns of
        ``WeeklyPlan.staffing_intervals``.

    Raises
    ------
    InputError
        If the shifts leave a time of day uncovered or cover it twice, or a
        role's calibration log is invalid.
    ValueError
        If the forecast misses an hour of the week for a driver measure, or
        ``reference_traffic`` has no positive value for a driver measure.
    """
    staffing_settings = settings.staffing
    interval_starts = pd.date_range(week.start, week.end, freq=f"{staffing_settings.interval_minutes}min",
                                    inclusive="left")
    roles = tuple(calibrate_role(role, settings) for role in staffing_settings.roles)
    if not roles:
        return _empty(STAFFING_COLUMNS), _empty(INTERVAL_COLUMNS)

    shift_names, shift_dates, shift_starts = _assign_shifts(interval_starts, staffing_settings.shifts, settings)
    hours = week.hours()
    hour_index = hours.searchsorted(interval_starts, side="right") - 1
    overloaded_cells = _overloaded_cells_per_hour(capacity, hours)
    shrinkage = staffing_settings.shrinkage

    staffing_parts = []
    interval_parts = []
    for role in roles:
        _log_sizing(role)
        ratio = _network_ratio(forecast, role.driver_measure, reference_traffic, hours)
        arrivals_per_hour = (role.base_arrivals_per_hour * ratio
                             + role.arrivals_per_overloaded_cell_hour * overloaded_cells)
        intervals = pd.DataFrame({
            "interval_start": interval_starts,
            "date": shift_dates,
            "shift": shift_names,
            "role": role.name,
            "arrivals_per_hour": arrivals_per_hour[hour_index],
        })
        intervals["sized_arrivals_per_hour"] = _sized_arrivals_per_hour(
            role, intervals["arrivals_per_hour"].to_numpy(), staffing_settings.interval_minutes)
        intervals["offered_load_erlangs"] = intervals["arrivals_per_hour"] * role.handle_time_seconds / 3600.0
        sized_loads = intervals["sized_arrivals_per_hour"].to_numpy() * role.handle_time_seconds / 3600.0
        intervals["agents_fractional"] = _agents_needed(role, sized_loads)
        intervals["_staff_need"] = intervals["agents_fractional"] / (1.0 - shrinkage)
        intervals["_shift_start"] = shift_starts

        shifts = _size_shifts(intervals, role, staffing_settings.interval_minutes)
        shifts["partial_shift"] = _partial_shifts(shifts, staffing_settings.shifts, week)
        intervals = intervals.merge(shifts[["date", "shift", "required_staff"]], on=["date", "shift"], how="left",
                                    validate="many_to_one")
        intervals["staff_on_shift"] = intervals["required_staff"]
        # NOTE: whole staff times (1 − shrinkage) is a fractional agent count, and its
        # service level is interpolated linearly between the whole agent counts either side.
        intervals["service_level"] = _service_levels(
            role, intervals["staff_on_shift"].to_numpy() * (1.0 - shrinkage),
            intervals["offered_load_erlangs"].to_numpy())
        lowest = intervals.groupby(["date", "shift"], sort=False)["service_level"].min()
        lowest = lowest.rename("expected_service_level")
        shifts = shifts.merge(lowest.reset_index(), on=["date", "shift"], how="left", validate="one_to_one")

        staffing_parts.append(shifts)
        interval_parts.append(intervals)

    role_order = {role.name: index for index, role in enumerate(roles)}
    staffing = pd.concat(staffing_parts, ignore_index=True)
    staffing["_role_order"] = staffing["role"].map(role_order)
    staffing = staffing.sort_values(["_shift_start", "_role_order"], kind="stable").reset_index(drop=True)
    intervals = pd.concat(interval_parts, ignore_index=True)
    intervals["_role_order"] = intervals["role"].map(role_order)
    intervals = intervals.sort_values(["_role_order", "interval_start"], kind="stable").reset_index(drop=True)
    logger.debug("planned %d shifts for %d roles over %d intervals of week %s",
                 len(staffing), len(roles), len(interval_starts), week)
    return staffing[list(STAFFING_COLUMNS)], intervals[list(INTERVAL_COLUMNS)]


def arrival_dispersion(role: RoleSettings) -> float:
    """Return the dispersion a role is staffed with: its setting, else 1 (Poisson arrivals)."""
    return 1.0 if role.arrival_dispersion is None else role.arrival_dispersion


def describe_staffing_models(settings: Settings) -> pd.DataFrame:
    """Describe the queue model and the rates each role is staffed with, after calibration.

    Returns
    -------
    DataFrame
        One row per role of ``settings.staffing.roles``, in settings order,
        with the columns of ``STAFFING_MODEL_COLUMNS``. The rates, handle time,
        patience and dispersion are those :func:`plan_staffing` uses: taken from the
        role's calibration log when it has one. ``calibration_log`` is the
        log's path as set (empty without a log) and ``calibration_arrivals``
        the arrivals it contains (NaN without a log). ``patience_seconds`` is
        NaN when the role sets none, ``inf`` when its log has no abandonment,
        and ``service_level_probability`` NaN when the role is staffed for
        the expected arrivals.

    Raises
    ------
    InputError
        If a role's calibration log is invalid.
    """
    rows = []
    for role in settings.staffing.roles:
        calibration = role_calibration(role, settings)
        calibrated = role if calibration is None else apply_calibration(role, calibration)
        arrivals = math.nan if calibration is None else calibration.arrivals
        rows.append({
            "role": role.name,
            "model": role.model,
            "driver_measure": role.driver_measure,
            "base_arrivals_per_hour": calibrated.base_arrivals_per_hour,
            "arrivals_per_overloaded_cell_hour": calibrated.arrivals_per_overloaded_cell_hour,
            "handle_time_seconds": calibrated.handle_time_seconds,
            "patience_seconds": math.nan if calibrated.patience_seconds is None else calibrated.patience_seconds,
            "service_level_target": role.service_level_target,
            "answer_time_seconds": role.answer_time_seconds,
            "max_occupancy": role.max_occupancy,
            "service_level_probability": (math.nan if role.service_level_probability is None
                                          else role.service_level_probability),
            "arrival_dispersion": arrival_dispersion(calibrated),
            "calibration_log": role.calibration_log,
            "calibration_arrivals": arrivals,
        })
    return pd.DataFrame(rows, columns=list(STAFFING_MODEL_COLUMNS))


# ---------------------------------------------------------------------------
# Private helpers
# ---------------------------------------------------------------------------


def _log_sizing(role: RoleSettings) -> None:
    if role.service_level_probability is None:
        logger.info("role %s: staffed for the expected arrivals of each interval", role.name)
        return
    dispersion = arrival_dispersion(role)
    spread = "Poisson" if dispersion == 1 else f"dispersion {dispersion:g}"
    logger.info("role %s: each interval staffed to meet its target with probability %g (%s arrivals, %s)",
                role.name, role.service_level_probability, spread, role.model)


def _sized_arrivals_per_hour(role: RoleSettings, arrivals_per_hour: np.ndarray, interval_minutes: int) -> np.ndarray:
    """Return the hourly rate of the arrival count each interval is staffed for."""
    intervals_per_hour = 60.0 / interval_minutes
    expected_counts = arrivals_per_hour / intervals_per_hour
    sized_counts = arrivals_at_probability(expected_counts, role.service_level_probability, arrival_dispersion(role))
    return sized_counts * intervals_per_hour


def _agents_needed(role: RoleSettings, loads: np.ndarray) -> np.ndarray:
    """Return the fractional agents the role's queue model needs per interval load."""
    if role.model == "erlang_a":
        return np.asarray(erlang_a.agents_for_service_level_fractional(
            loads, role.handle_time_seconds, _patience(role), role.answer_time_seconds, role.service_level_target,
            role.max_occupancy))
    return np.asarray(erlang.agents_for_service_level_fractional(
        loads, role.handle_time_seconds, role.answer_time_seconds, role.service_level_target, role.max_occupancy))


def _service_levels(role: RoleSettings, agents: np.ndarray, loads: np.ndarray) -> np.ndarray:
    """Return the service level of fractional agent counts under the role's queue model."""
    if role.model == "erlang_a":
        return np.asarray(erlang_a.service_level_fractional(agents, loads, role.handle_time_seconds,
                                                            _patience(role), role.answer_time_seconds))
    return np.asarray(erlang.service_level_fractional(agents, loads, role.handle_time_seconds,
                                                      role.answer_time_seconds))


def _patience(role: RoleSettings) -> float:
    if role.patience_seconds is None:
        raise ValueError(f"role {role.name} uses erlang_a but has no patience_seconds; set it in the settings "
                         "or give a calibration_log with wait_seconds and abandoned columns")
    return role.patience_seconds


def _size_shifts(intervals: pd.DataFrame, role: RoleSettings, interval_minutes: int) -> pd.DataFrame:
    """Take each shift's peak need and round it up to whole staff."""
    shifts = intervals.groupby(["date", "shift"], sort=False).agg(
        _shift_start=("_shift_start", "first"),
        expected_load=("offered_load_erlangs", "max"),
        required_staff_fractional=("_staff_need", "max"),
        _intervals=("_staff_need", "size"),
    ).reset_index()
    shifts["hours_covered"] = shifts["_intervals"] * interval_minutes / 60.0
    rounded = np.ceil(shifts["required_staff_fractional"].to_numpy() * (1.0 - _RELATIVE_TOLERANCE))
    shifts["required_staff"] = rounded.astype(np.int64)
    shifts["role"] = role.name
    shifts["service_level_target"] = role.service_level_target
    return shifts


def _partial_shifts(shifts: pd.DataFrame, settings_shifts: tuple[Shift, ...], week: Week) -> np.ndarray:
    """Flag the shifts that start before the week or end after it, so the week contains only part of them.

    Both sides are compared in local wall-clock time, so a shift on a
    daylight-saving night, 7 or 9 hours long, is not flagged for that.
    """
    durations = {shift.name: shift.duration_hours for shift in settings_shifts}
    starts = pd.to_datetime(shifts["_shift_start"].to_numpy())
    ends = starts + pd.to_timedelta(shifts["shift"].map(durations).to_numpy(dtype=float), unit="h")
    week_start = week.start.tz_localize(None)
    week_end = week.end.tz_localize(None)
    return np.asarray((starts < week_start) | (ends > week_end), dtype=bool)


def _assign_shifts(interval_starts: pd.DatetimeIndex, shifts: tuple[Shift, ...],
                   settings: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label each interval with its shift, the date the shift starts on and a sort key.

    Returns
    -------
    names, dates, starts : ndarray
        Shift name, shift date (``datetime.date``) and the shift's local
        start as a naive ``datetime64`` for ordering.
    """
    _check_shifts_cover_day(shifts, settings)

    minutes = np.asarray(interval_starts.hour * 60 + interval_starts.minute)
    local_dates = np.asarray(interval_starts.date)
    names = np.empty(len(interval_starts), dtype=object)
    dates = np.empty(len(interval_starts), dtype=object)
    starts = np.empty(len(interval_starts), dtype="datetime64[m]")
    for shift in shifts:
        start_minute = shift.start.hour * 60 + shift.start.minute
        covered = (minutes - start_minute) % _MINUTES_PER_DAY < shift.duration_hours * 60
        from_previous_day = covered & (minutes < start_minute)
        names[covered] = shift.name
        shift_dates = np.where(from_previous_day, local_dates - timedelta(days=1), local_dates)
        dates[covered] = shift_dates[covered]
        starts[covered] = (shift_dates[covered].astype("datetime64[D]")
                           + np.timedelta64(start_minute, "m"))
    return names, dates, starts


def _check_shifts_cover_day(shifts: tuple[Shift, ...], settings: Settings) -> None:
    """Raise unless every interval start of a day lies in exactly one shift."""
    interval_minutes = settings.staffing.interval_minutes
    minutes = np.arange(0, _MINUTES_PER_DAY, interval_minutes)
    coverage = np.zeros(minutes.shape, dtype=np.int64)
    for shift in shifts:
        start_minute = shift.start.hour * 60 + shift.start.minute
        coverage += (minutes - start_minute) % _MINUTES_PER_DAY < shift.duration_hours * 60
    if np.all(coverage == 1):
        return

    shift_list = ", ".join(f"{s.name} {s.start:%H:%M} for {s.duration_hours:g} h" for s in shifts) or "none"
    problems = []
    for first, last, count in _coverage_runs(minutes, coverage, interval_minutes):
        span = f"{_clock(first)}-{_clock(last)}"
        if count == 0:
            message = translatable("no shift covers {span} local time; add a shift or lengthen one so that the day "
                                   "is covered", span=span)
        else:
            message = translatable("{count} shifts cover {span} local time; shorten or move shifts so that each time "
                                   "has one", count=count, span=span)
        problems.append(Problem(str(settings.path or "settings.toml"), None, "staffing.shifts", shift_list, message))
    raise InputError(problems)


def _coverage_runs(minutes: np.ndarray, coverage: np.ndarray, interval_minutes: int) -> list[tuple[int, int, int]]:
    """Group consecutive interval starts with the same wrong coverage into (first, end, count) runs."""
    runs: list[tuple[int, int, int]] = []
    for minute, count in zip(minutes.tolist(), coverage.tolist()):
        if count == 1:
            continue
        if runs and runs[-1][1] == minute and runs[-1][2] == count:
            runs[-1] = (runs[-1][0], minute + interval_minutes, count)
        else:
            runs.append((minute, minute + interval_minutes, count))
    return runs


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _network_ratio(forecast: pd.DataFrame, measure: str, reference_traffic: Mapping[str, float],
                   hours: pd.DatetimeIndex) -> np.ndarray:
    """Return the network p50 of ``measure`` per hour of the week, over its reference value."""
    reference = reference_traffic.get(measure)
    if reference is None or not np.isfinite(reference) or reference <= 0:
        raise ValueError(f"reference traffic for measure {measure!r} is {reference!r}; pass the positive mean "
                         "hourly network total of the history for every role's driver measure")

    rows = forecast[forecast["measure"] == measure]
    network = _by_week_hour(rows.groupby("timestamp")["p50"].sum(), hours)
    # A cell without traffic history has a NaN baseline as well. It counts as zero, as in the reference, and the
    # forecast's notes name it, so this warning leaves it out.
    has_baseline = rows["baseline"].notna() if "baseline" in rows.columns else True
    missing_p50 = _by_week_hour((rows["p50"].isna() & has_baseline).groupby(rows["timestamp"]).sum(), hours)
    if missing_p50.sum() > 0:
        logger.warning(translatable("{count} cell-hours of measure {measure} in the week have no p50 forecast and "
                                    "count as zero in the network total that drives staffing",
                                    count=int(missing_p50.sum()), measure=measure))
    absent = network.index[network.isna()]
    if len(absent):
        first_hours = ", ".join(str(hour) for hour in absent[:5])
        raise ValueError(f"forecast has no {measure!r} rows for {len(absent)} hours of the week, "
                         f"such as {first_hours}; staffing needs the forecast for every hour of the week")
    return network.to_numpy(dtype=float) / reference


def _overloaded_cells_per_hour(capacity: pd.DataFrame, hours: pd.DatetimeIndex) -> np.ndarray:
    add = capacity[capacity["action"] == "add"]
    counts = add.groupby("timestamp")["cell_id"].nunique()
    return _by_week_hour(counts, hours).fillna(0).to_numpy(dtype=float)


def _by_week_hour(values: pd.Series, hours: pd.DatetimeIndex) -> pd.Series:
    """Align a series indexed by tz-aware hour starts on the week's hours, NaN where absent."""
    if len(values) == 0:
        return pd.Series(np.nan, index=hours)
    values = values.copy()
    values.index = pd.DatetimeIndex(values.index).tz_convert(hours.tz)
    return values.reindex(hours)


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})


__all__ = ["INTERVAL_COLUMNS", "STAFFING_COLUMNS", "STAFFING_MODEL_COLUMNS", "arrival_dispersion",
           "describe_staffing_models", "plan_staffing"]
