"""Calibrate a staffing role from a log of real calls or alarms.

The log is a CSV file, one row per arrival, with a header line:

``timestamp``
    Arrival time, ISO 8601 with a UTC offset (``2024-03-05T09:12:44+01:00``).
``handle_time_seconds``
    Handle time of an answered arrival, a number >= 0. It may be empty for
    an abandoned one.
``wait_seconds`` (optional)
    Time spent waiting in queue before answer or abandonment, >= 0.
``abandoned`` (optional)
    ``1``/``0``, ``true``/``false`` or ``yes``/``no``: whether the caller hung
    up before an answer. Empty means ``0``.

The calibration gives the mean arrival rate per hour over the hours the log
spans, the mean handle time of the answered arrivals and, when the log has
both ``wait_seconds`` and ``abandoned``, the mean patience by the maximum
likelihood estimate for exponential patience with censoring: the total wait
of every arrival that waited, divided by the number of abandonments. An
answered caller's wait is a lower bound of its patience, which is why it
counts in the total.

When the log spans at least two complete local weeks (Monday 00:00 to
Monday 00:00), it also measures the arrival dispersion: the week-to-week
variance of each weekday and interval's count over its mean (see
:func:`planner.decisions.arrival_quantiles.dispersion_from_counts`).
"""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from planner.decisions.arrival_quantiles import dispersion_from_counts

from planner.inputs.errors import InputError, Problem
from planner.inputs.settings import RoleSettings, Settings
from planner.inputs.timestamps import floor_hour
from planner.messages import translatable

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS: tuple[str, ...] = ("timestamp", "handle_time_seconds")
OPTIONAL_COLUMNS: tuple[str, ...] = ("wait_seconds", "abandoned")

_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no", ""}


@dataclass(frozen=True)
class Calibration:
    """Arrival rate, handle time and patience estimated from an arrival log.

    ``patience_seconds`` is ``None`` when the log cannot estimate it (no
    ``wait_seconds`` or ``abandoned`` column) and ``inf`` when nobody
    abandoned. ``arrival_dispersion`` is ``None`` when the log spans fewer
    than two complete weeks, the number counted in ``complete_weeks``.
    """

    path: Path
    arrivals: int
    answered: int
    abandoned: int
    hours: float
    arrivals_per_hour: float
    handle_time_seconds: float
    patience_seconds: float | None
    arrival_dispersion: float | None = None
    complete_weeks: int = 0


def read_arrival_log(path: str | Path) -> pd.DataFrame:
    """Read and check an arrival log.

    Returns
    -------
    DataFrame
        ``timestamp`` (tz-aware, UTC), ``handle_time_seconds`` (NaN where
        empty), ``wait_seconds`` (NaN when the column is absent) and
        ``abandoned`` (bool), one row per arrival in file order.

    Raises
    ------
    InputError
        If the file is missing or empty, a required column is missing, or any
        value is invalid. Every bad value is listed with its line number.
    """
    path = Path(path)
    file = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise InputError([Problem(file, None, None, None,
                                  translatable("arrival log not found; check calibration_log in the settings, which "
                                               "is relative to the dataset folder"))]) from None
    if not rows:
        raise InputError([Problem(file, None, None, None,
                                  translatable("arrival log is empty; expected a header line with {columns} and one "
                                               "row per arrival", columns=", ".join(REQUIRED_COLUMNS)))])

    header = [name.strip() for name in rows[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise InputError([Problem(file, 1, column, None,
                                  translatable("missing column; the header needs {columns} (optional: {optional})",
                                               columns=", ".join(REQUIRED_COLUMNS),
                                               optional=", ".join(OPTIONAL_COLUMNS)))
                          for column in missing])

    position = {name: header.index(name) for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if name in header}
    parsed: dict[str, list] = {"timestamp": [], "handle_time_seconds": [], "wait_seconds": [], "abandoned": []}
    problems: list[Problem] = []
    for offset, row in enumerate(rows[1:]):
        line = offset + 2
        if not any(field.strip() for field in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(file, line, None, ",".join(row),
                                    translatable("row has {count} fields but the header has {expected}; fix the "
                                                 "separators of this row", count=len(row), expected=len(header))))
            continue
        values = {name: row[index].strip() for name, index in position.items()}
        abandoned = _parse_abandoned(values.get("abandoned", ""), file, line, problems)
        parsed["timestamp"].append(_parse_timestamp(values["timestamp"], file, line, problems))
        parsed["handle_time_seconds"].append(
            _parse_seconds(values["handle_time_seconds"], "handle_time_seconds", file, line, problems,
                           empty_allowed=bool(abandoned)))
        parsed["wait_seconds"].append(
            _parse_seconds(values["wait_seconds"], "wait_seconds", file, line, problems, empty_allowed=False)
            if "wait_seconds" in values else math.nan)
        parsed["abandoned"].append(bool(abandoned))
    if not parsed["timestamp"] and not problems:
        problems.append(Problem(file, None, None, None, translatable("arrival log has a header but no arrivals")))
    if problems:
        raise InputError(problems)

    log = pd.DataFrame(parsed)
    log["timestamp"] = pd.to_datetime(log["timestamp"], utc=True)
    return log


def calibrate_from_log(path: str | Path, timezone: ZoneInfo | str = "UTC",
                       interval_minutes: int = 30) -> Calibration:
    """Estimate the arrival rate, handle time, patience and arrival dispersion from an arrival log.

    The arrival rate counts every arrival over the whole hours from the hour
    of the first arrival to the end of the hour of the last, so hours without
    arrivals inside that span count as zero. The dispersion compares the
    counts of each weekday and ``interval_minutes`` interval, in local time
    of ``timezone``, over the complete weeks of that span.

    Raises
    ------
    InputError
        If the log is invalid (see :func:`read_arrival_log`) or has no
        answered arrival with a positive handle time.
    """
    path = Path(path)
    log = read_arrival_log(path)
    first = floor_hour(log["timestamp"].min())
    last = floor_hour(log["timestamp"].max()) + pd.Timedelta(hours=1)
    hours = (last - first) / pd.Timedelta(hours=1)

    answered = log[~log["abandoned"] & (log["handle_time_seconds"] > 0)]
    if answered.empty:
        raise InputError([Problem(str(path), None, "handle_time_seconds", None,
                                  translatable("no answered arrival with a handle time > 0; the log cannot give a "
                                               "handle time"))])

    patience = None
    abandoned_count = int(log["abandoned"].sum())
    if log["wait_seconds"].notna().all():
        waited_total = float(log["wait_seconds"].sum())
        patience = waited_total / abandoned_count if abandoned_count else math.inf

    counts = _weekly_counts(log["timestamp"], first, last, ZoneInfo(str(timezone)), interval_minutes)
    dispersion = dispersion_from_counts(counts) if len(counts) >= 2 else None

    calibration = Calibration(
        path=path, arrivals=len(log), answered=len(answered), abandoned=abandoned_count, hours=hours,
        arrivals_per_hour=len(log) / hours, handle_time_seconds=float(answered["handle_time_seconds"].mean()),
        patience_seconds=patience, arrival_dispersion=dispersion, complete_weeks=len(counts),
    )
    logger.info("calibrated from %s: %d arrivals over %.0f hours, %.2f per hour, handle time %.1f s, "
                "patience %s s, dispersion %s over %d complete weeks", path, calibration.arrivals, hours,
                calibration.arrivals_per_hour, calibration.handle_time_seconds,
                "unknown" if patience is None else f"{patience:.1f}",
                "unknown" if dispersion is None else f"{dispersion:.2f}", len(counts))
    return calibration


def calibrate_role(role: RoleSettings, settings: Settings) -> RoleSettings:
    """Return the role with its rate, handle time, patience and dispersion taken from its calibration log.

    A role without ``calibration_log`` is returned unchanged. See
    :func:`role_calibration` for how the log is read and
    :func:`apply_calibration` for what it replaces.

    Raises
    ------
    InputError
        If the log is invalid, or the role uses Erlang A and neither the
        settings nor the log give a patience.
    """
    calibration = role_calibration(role, settings)
    if calibration is None:
        return role
    return apply_calibration(role, calibration)


def role_calibration(role: RoleSettings, settings: Settings) -> Calibration | None:
    """Calibrate from the role's log, or return ``None`` when the role has no ``calibration_log``.

    The log path is relative to the folder of ``settings.path``, and its
    weeks and intervals are those of the settings' time zone and
    ``staffing.interval_minutes``.
    """
    if not role.calibration_log:
        return None
    folder = settings.path.parent if settings.path is not None else Path(".")
    return calibrate_from_log(folder / role.calibration_log, settings.timezone, settings.staffing.interval_minutes)


def apply_calibration(role: RoleSettings, calibration: Calibration) -> RoleSettings:
    """Return the role with the estimates of ``calibration`` in place of its set values.

    The log's mean arrival rate replaces ``base_arrivals_per_hour``, which
    assumes that the network traffic over the log's span was at its
    reference level. The patience is replaced only when the log can estimate
    it, and the dispersion only when the role sets none and the log spans
    two complete weeks.

    Raises
    ------
    InputError
        If the role uses Erlang A and neither the settings nor the log give a
        patience.
    """
    patience = role.patience_seconds if calibration.patience_seconds is None else calibration.patience_seconds
    if role.model == "erlang_a" and patience is None:
        raise InputError([Problem(str(calibration.path), 1, "abandoned", None,
                                  translatable("role {role} uses erlang_a but the log has no wait_seconds and "
                                               "abandoned columns to estimate the patience; add them or set "
                                               "patience_seconds", role=role.name))])
    dispersion = role.arrival_dispersion
    if dispersion is None:
        dispersion = calibration.arrival_dispersion
    return replace(role, base_arrivals_per_hour=calibration.arrivals_per_hour,
                   handle_time_seconds=calibration.handle_time_seconds, patience_seconds=patience,
                   arrival_dispersion=dispersion)


# ---------------------------------------------------------------------------
# Private helpers
# ---------------------------------------------------------------------------


def _weekly_counts(timestamps: pd.Series, first: pd.Timestamp, last: pd.Timestamp, timezone: ZoneInfo,
                   interval_minutes: int) -> np.ndarray:
    """Count arrivals per weekday and local interval in each complete local week between ``first`` and ``last``.

    Returns an array of shape (complete weeks, intervals per week). A local
    wall-clock interval that a daylight-saving night repeats counts the
    arrivals of both, and one that it skips counts none.
    """
    local = timestamps.dt.tz_convert(timezone)
    first_day = first.tz_convert(timezone).date()
    monday = first_day - timedelta(days=first_day.weekday())
    if _local_midnight(monday, timezone) < first:
        monday += timedelta(days=7)
    week_starts = []
    while _local_midnight(monday + timedelta(days=7), timezone) <= last:
        week_starts.append((_local_midnight(monday, timezone), _local_midnight(monday + timedelta(days=7), timezone)))
        monday += timedelta(days=7)

    intervals_per_day = 24 * 60 // interval_minutes
    counts = np.zeros((len(week_starts), 7 * intervals_per_day))
    minutes = local.dt.hour * 60 + local.dt.minute
    slots = (local.dt.day_of_week * intervals_per_day + minutes // interval_minutes).to_numpy()
    for week, (start, end) in enumerate(week_starts):
        inside = ((local >= start) & (local < end)).to_numpy()
        counts[week] = np.bincount(slots[inside], minlength=counts.shape[1])
    return counts


def _local_midnight(day: date, timezone: ZoneInfo) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize(timezone, nonexistent="shift_forward")


def _parse_timestamp(text: str, file: str, line: int, problems: list[Problem]) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(text) if text else None
    except ValueError:
        stamp = None
    if stamp is None or pd.isna(stamp) or stamp.tzinfo is None:
        problems.append(Problem(file, line, "timestamp", text,
                                translatable("invalid timestamp; expected ISO 8601 with a UTC offset, such as "
                                             "2024-03-05T09:12:44+01:00")))
        return None
    return stamp


def _parse_seconds(text: str, column: str, file: str, line: int, problems: list[Problem],
                   empty_allowed: bool) -> float:
    if text == "" and empty_allowed:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        if column == "handle_time_seconds":
            hint = translatable(" (it may be empty only for an abandoned arrival)")
        else:
            hint = ""
        problems.append(Problem(file, line, column, text,
                                translatable("invalid number of seconds; expected a number >= 0{hint}", hint=hint)))
        return math.nan
    return value


def _parse_abandoned(text: str, file: str, line: int, problems: list[Problem]) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered not in _FALSE:
        problems.append(Problem(file, line, "abandoned", text,
                                translatable("invalid flag; expected 1 or 0, true or false, yes or no, or empty for 0")))
    return False
